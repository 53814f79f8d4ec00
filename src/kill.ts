/**
 * `-K`: destroy every inet socket a query selects (ss-behavior §8.7). Each
 * selected socket gets one SOCK_DESTROY, sent through a second sock_diag
 * socket in the same namespace (the first is busy with the dump), before
 * the record is handed to the caller, who prints it like ss does.
 */
import type { QueryPlan } from '../compiler/plan.js'
import { NetlinkError, destroySocket, errnoInfo, openDiag } from '../runtime/index.js'
import type { DiagSocket, SocketRecord } from '../runtime/index.js'
import { runQuery } from './query.js'
import type { QueryOptions } from './query.js'

const ENOENT = 2
const EOPNOTSUPP = 95

/** Options of {@link killQuery}. */
export interface KillOptions extends QueryOptions {
  /** `--dry-run`: select and yield exactly the same records, destroy nothing. */
  readonly dryRun?: boolean
  /** The socket SOCK_DESTROY goes through (not closed); else one is opened in `netns`. */
  readonly destroySocket?: DiagSocket
}

/**
 * The kernel refused a SOCK_DESTROY for another reason than "cannot"
 * (EOPNOTSUPP) or "already gone" (ENOENT): ss prints
 * `SOCK_DESTROY answers: <strerror>` and stops the dump.
 */
export class KillError extends Error {
  override readonly name = 'KillError'
  constructor(override readonly cause: NetlinkError) {
    const text = errnoInfo(cause.errno).description
    super(`SOCK_DESTROY answers: ${text.charAt(0).toUpperCase()}${text.slice(1)}`)
  }
}

/**
 * Run the plan and destroy each inet socket it yields, before yielding it.
 * Non-inet records pass through untouched (ss kills inet sockets only).
 * @throws KillError on a refused SOCK_DESTROY (the dump stops there)
 * @throws NetlinkError, DecodeError as {@link runQuery}
 */
export function* killQuery(plan: QueryPlan, opts: KillOptions): Generator<SocketRecord> {
  const run = runQuery(plan, opts)
  // The request's protocol byte, as ss sends it.
  yield* killRecords(run, () => run.current?.protocol ?? 0, opts)
}

/**
 * Destroy each inet socket of `records` (from any target: a netlink dump,
 * an eBPF iterator's records) before yielding it; the socket cookie pins
 * the exact socket, so one that closed and whose addresses were reused
 * since it was listed is not touched.
 * @param protocol the IP protocol of the record just taken (TCP or UDP)
 * @throws KillError on a refused SOCK_DESTROY (the listing stops there)
 */
export function* killRecords(records: Iterable<SocketRecord>, protocol: () => number, opts: KillOptions): Generator<SocketRecord> {
  let killer = opts.destroySocket
  const own = killer === undefined && !opts.dryRun
  try {
    for (const rec of records) {
      if (rec.kind === 'inet' && !opts.dryRun) {
        killer ??= openDiag(opts.netns === undefined ? {} : { netns: opts.netns })
        try {
          destroySocket(killer, rec, protocol())
        } catch (e) {
          if (!(e instanceof NetlinkError)) throw e
          if (e.errno !== ENOENT && e.errno !== EOPNOTSUPP) throw new KillError(e)
        }
      }
      yield rec
    }
  } finally {
    if (own) killer?.close()
  }
}
