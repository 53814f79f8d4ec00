/**
 * Watching socket-destroy events for a compiled selection (`ss -E`): the
 * destroy groups of the selected protocols and families, a classic BPF
 * program attached so the kernel drops what the filter rejects, and ss's
 * user-space pass (family, then the whole filter) on what still arrives.
 *
 * ```ts
 * const watch = watchDestroyEvents({ families: INET_FAMILIES, tables: tableBit('tcp'), filter, program })
 * for await (const { event, matched } of watch) if (matched) console.log(event.record.localPort)
 * ```
 *
 * The program is a pre-filter: it never drops an event the filter could
 * accept, and every event that arrives is still checked in user space, so
 * the verdicts are ss's whatever the program could or could not decide.
 */
import { AF } from '../uapi/inet-diag.js'
import { evaluate } from '../compiler/evaluate.js'
import type { EvaluateEnv } from '../compiler/evaluate.js'
import type { Filter } from '../compiler/filter.js'
import { hasFamily, tableBit } from '../compiler/select.js'
import { NetlinkError, RequestError, destroyGroups, openDiagEvents } from '../runtime/index.js'
import type { DestroyEvent, DiagEvents, DiagEventsStats } from '../runtime/index.js'
import { readLocalPortRange } from './query.js'

/**
 * The destroy groups ss joins for a selection: TCP and UDP × IPv4 and IPv6,
 * as far as the tables and families select them (empty: `ss -E` exits 255).
 */
export function destroyGroupsFor(families: number, tables: number): number[] {
  return destroyGroups({
    tcp: (tables & tableBit('tcp')) !== 0,
    udp: (tables & tableBit('udp')) !== 0,
    ipv4: hasFamily(families, AF.AF_INET),
    ipv6: hasFamily(families, AF.AF_INET6),
  })
}

/**
 * While events keep coming, the event loop still runs this often (ms): for
 * stream errors (EPIPE). Signals do not wait for it — they interrupt the
 * recv. A pass through the loop costs about as much as handling an event.
 */
const YIELD_MS = 1000

/** Options of {@link watchDestroyEvents}. */
export interface DestroyWatchOptions {
  /** `ip netns` name or namespace path; the current namespace when absent. */
  readonly netns?: string
  /** Family bitmask (`1 << AF_*`) after the filter's side effects. */
  readonly families: number
  /** Table bitmask (`1 << TABLE[name]`): `tcp` and `udp` count. */
  readonly tables: number
  /** The whole resolved filter, evaluated on every event that arrives (null: none). */
  readonly filter: Filter | null
  /** Classic BPF (`struct sock_filter[]` bytes) for the kernel to run first; must never reject what `filter` accepts. */
  readonly program?: Uint8Array | null
  /**
   * Attach `program` only once the first announcement has arrived. ss
   * renders its header on the first event, whether it matches or not; a
   * program in place from the start would hide that moment.
   */
  readonly deferProgram?: boolean
  /** Ephemeral port range for `autobound`; read from the namespace when first needed. */
  readonly localPortRange?: readonly [number, number]
  /** Stops the watch: iteration ends after the event being handled. */
  readonly signal?: AbortSignal
  /** Called when the kernel reports lost announcements (ENOBUFS); the watch goes on. */
  readonly onOverflow?: () => void
  /** Longest wait in one recv(2), in ms (default 1000): how late an abort from outside a signal handler is noticed while idle. */
  readonly pollMs?: number
}

/** One announcement and ss's verdict on it. */
export interface WatchedEvent {
  readonly event: DestroyEvent
  /** Passed ss's user-space pass (family and filter): ss prints it. */
  readonly matched: boolean
}

/** A running watch: iterate it once with `for await`; {@link DestroyWatch.close} (or the signal) ends it. */
export class DestroyWatch implements AsyncIterable<WatchedEvent> {
  private started = false
  private closed = false
  private attached = false

  /** @internal use {@link watchDestroyEvents} */
  constructor(private readonly events: DiagEvents, private readonly opts: DestroyWatchOptions) {
    this.attached = !opts.program || !opts.deferProgram
  }

  /** Receive counters of the underlying socket. */
  get stats(): Readonly<DiagEventsStats> {
    return this.events.stats
  }

  /** True once a program is attached to the socket. */
  get filtering(): boolean {
    return !!this.opts.program && this.attached
  }

  /** Stop and close the socket. Idempotent. */
  close(): void {
    this.closed = true
    this.events.close()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchedEvent> {
    if (this.started) throw new NetlinkError('recv', 16 /* EBUSY: a watch is iterated once */)
    this.started = true
    const { opts, events } = this
    const { filter, signal } = opts
    let range = opts.localPortRange
    const env: EvaluateEnv = {
      get localPortRange() {
        range ??= readLocalPortRange(opts.netns)
        return range
      },
    }
    const sliceMs = opts.pollMs ?? 1000
    const stopped = (): boolean => this.closed || signal?.aborted === true
    // The thread waits in recv(2) itself (DiagEvents.receiveWithin: far cheaper per event than a
    // trip through the event loop) and lets the loop run — signal handlers, stream errors — when a
    // wait times out or is interrupted, and every YIELD_MS while events keep coming.
    let yielded = Date.now()
    try {
      while (!stopped()) {
        let batch: DestroyEvent[] | null
        try {
          batch = events.receiveWithin(sliceMs)
        } catch (e) {
          if (e instanceof NetlinkError && e.errnoName === 'ENOBUFS') {
            opts.onOverflow?.()
            continue
          }
          throw e
        }
        if (batch === null || Date.now() - yielded >= YIELD_MS) {
          await new Promise((resolve) => setImmediate(resolve))
          yielded = Date.now()
          if (batch === null) continue
        }
        if (!this.attached) {
          // Messages already queued stay unfiltered; the user-space pass below covers them.
          events.attachFilter(opts.program!)
          this.attached = true
        }
        for (const event of batch) {
          const rec = event.record
          const matched = hasFamily(opts.families, rec.family) && (filter === null || evaluate(filter, rec, env))
          yield { event, matched }
          if (stopped()) return
        }
      }
    } finally {
      this.close()
    }
  }
}

/**
 * Subscribe to the destroy announcements of a selection (needs
 * CAP_NET_ADMIN, and CAP_SYS_ADMIN for another namespace). With a program
 * and without `deferProgram`, the program is attached before the socket
 * joins any group.
 * @throws RequestError when the selection has no TCP/UDP × IPv4/IPv6 group
 * @throws NetlinkError opening, joining (EPERM without privileges), attaching (EINVAL: refused program)
 */
export function watchDestroyEvents(opts: DestroyWatchOptions): DestroyWatch {
  const groups = destroyGroupsFor(opts.families, opts.tables)
  if (groups.length === 0) throw new RequestError('tables', 'select no TCP or UDP socket of IPv4 or IPv6: there are no destroy events to watch')
  const program = opts.program && !opts.deferProgram ? opts.program : undefined
  const events = openDiagEvents({ ...(opts.netns !== undefined ? { netns: opts.netns } : {}), groups, ...(program ? { filter: program } : {}) })
  return new DestroyWatch(events, opts)
}
