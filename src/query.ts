/**
 * Executing a {@link QueryPlan}: the requests in plan order, ss's fallbacks
 * for missing protocols and for MARK_COND without CAP_NET_ADMIN, and the
 * user-space pass ss applies to every reply (family and table membership,
 * states where the request carries none, then the residual filter).
 *
 * Two query-time rewrites make the kernel walk less without changing the
 * answer (the rules are pure, in compiler/plan.ts, so `explain` states
 * them): exact ports go into the sockid (`exactPorts`), and TCP's AF_INET
 * and AF_INET6 requests are answered by one walk (`oneTcpWalk`,
 * {@link QueryOptions.singleTcpWalk}).
 *
 * Records are streamed: one datagram is decoded at a time and nothing is
 * collected, so memory stays constant in the number of sockets.
 *
 * ```ts
 * const plan = compilePlan(filter, { selection, preferredFamily: 0 })
 * for (const rec of runQuery(plan, { netns: 'blue', ...selection })) console.log(rec.localPort)
 * ```
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { AF, INET_DIAG, IPPROTO } from '../uapi/inet-diag.js'
import { DEFAULT_LOCAL_PORT_RANGE, evaluate } from '../compiler/evaluate.js'
import type { EvaluateEnv } from '../compiler/evaluate.js'
import type { Filter } from '../compiler/filter.js'
import { PORT_NARROWED_TABLES, exactPorts, oneTcpWalk, wireRequest, type DiagRequest, type QueryPlan } from '../compiler/plan.js'
import { TABLE, hasFamily, tableBit } from '../compiler/select.js'
import type { TableName } from '../compiler/select.js'
import { NetlinkError, dump, dumpLegacyTcp, errnoInfo, netnsPath, openDiag } from '../runtime/index.js'
import type { DiagSocket, LegacyTcpRequest, SocketRecord, SockDiagRequest } from '../runtime/index.js'
import { MessageBatch } from '../runtime/dump.js'
import { InetMessageView } from '../runtime/inet-view.js'
import { replayTcpFile } from './record-replay.js'

/** Inputs of {@link runQuery} besides the plan. */
export interface QueryOptions {
  /** `ip netns` name or namespace path; the current namespace when absent. */
  readonly netns?: string
  /** Family bitmask (`1 << AF_*`) after the filter's side effects. */
  readonly families: number
  /** Table bitmask (`1 << TABLE[name]`). */
  readonly tables: number
  /** State bitmask. */
  readonly states: number
  /**
   * Tables the user named (`-t`, `-A udp`, …), as a table bitmask: a missing
   * protocol is reported only for these (ss is silent about defaults).
   */
  readonly explicitTables?: number
  /** Ephemeral port range for `autobound`; read lazily from the namespace when absent. */
  readonly localPortRange?: readonly [number, number]
  /** Receives one-line notices (`ssx: …`) meant for stderr. */
  readonly onNotice?: (msg: string) => void
  /** A sock_diag socket to use instead of opening one (it is not closed). */
  readonly socket?: DiagSocket
  /**
   * `TCPDIAG_FILE`: a `-D` recording that replaces the TCP requests, read
   * like ss (up to its first NLMSG_DONE; no state test, family and filter
   * applied in user space).
   */
  readonly tcpDiagFile?: string
  /**
   * Answer TCP's AF_INET and AF_INET6 requests from one walk of the kernel's
   * tables (the legacy TCPDIAG_GETSOCK request answers both families), the
   * AF_INET6 sockets held back until the AF_INET ones are out, so the output
   * keeps ss's order. Default true; false sends ss's two requests.
   */
  readonly singleTcpWalk?: boolean
  /**
   * Bytes of AF_INET6 replies a single TCP walk may hold back (default
   * 16 MiB, 4 MiB when the request asks for tcp_info, which makes each
   * reply about four times larger for the same walk saved); past it they
   * are dropped and the AF_INET6 request is sent after the walk, as ss does.
   */
  readonly holdBackBytes?: number
}

const ENOENT = 2
const EPERM = 1
const EINVAL = 22
const EOPNOTSUPP = 95
const SOCK_STREAM = 1
const SOCK_DGRAM = 2
const SOCK_RAW = 3
const SOCK_SEQPACKET = 5

/** Which table bit a unix, packet or vsock socket belongs to, by its socket type. */
function tableOfType(rec: SocketRecord): number {
  switch (rec.kind) {
    case 'unix':
      if (rec.type === SOCK_STREAM) return tableBit('unix_stream')
      if (rec.type === SOCK_DGRAM) return tableBit('unix_dgram')
      if (rec.type === SOCK_SEQPACKET) return tableBit('unix_seqpacket')
      return 0
    case 'packet':
      if (rec.type === SOCK_RAW) return tableBit('packet_raw')
      if (rec.type === SOCK_DGRAM) return tableBit('packet_dgram')
      return 0
    case 'vsock':
      if (rec.type === SOCK_STREAM) return tableBit('vsock_stream')
      if (rec.type === SOCK_DGRAM) return tableBit('vsock_dgram')
      return 0
    default:
      return -1 // not split by type
  }
}

/** The table bits a request stands for (unix/packet/vsock requests cover several tables). */
function requestTables(table: string): number {
  switch (table) {
    case 'unix': return tableBit('unix_stream') | tableBit('unix_dgram') | tableBit('unix_seqpacket')
    case 'packet': return tableBit('packet_raw') | tableBit('packet_dgram')
    case 'vsock': return tableBit('vsock_stream') | tableBit('vsock_dgram')
    default: return Object.hasOwn(TABLE, table) ? tableBit(table as TableName) : 0
  }
}

/** True when the filter contains a `fwmark` test (MARK_COND needs CAP_NET_ADMIN in the kernel). */
export function hasMarkCond(f: Filter | null): boolean {
  if (f === null) return false
  switch (f.kind) {
    case 'and':
    case 'or':
      return hasMarkCond(f.left) || hasMarkCond(f.right)
    case 'not':
      return hasMarkCond(f.operand)
    default:
      return f.kind === 'mark'
  }
}

/** Default {@link QueryOptions.holdBackBytes}: without tcp_info, with it. */
const HOLD_BACK_BYTES = 16 << 20
const HOLD_BACK_INFO_BYTES = 4 << 20

/** Size of one {@link HeldBack} chunk. */
const HOLD_BACK_CHUNK = 1 << 20

/**
 * The AF_INET6 sockets of a single TCP walk, copied out of their datagrams
 * until the walk ends (ss prints them after the AF_INET ones), in chunks
 * (no copy on growth), up to a byte limit: past it they are all let go and
 * the AF_INET6 request is sent after the walk instead, so memory stays
 * bounded whatever the sockets.
 */
class HeldBack {
  private readonly chunks: MessageBatch[] = []
  private used = 0
  private total = 0
  /** The limit was reached: nothing is held. */
  overflowed = false

  constructor(private readonly limit: number) {}

  add(src: Uint8Array, start: number, end: number): void {
    const len = end - start
    if (this.total + len > this.limit) {
      this.overflowed = true
      this.chunks.length = 0
      return
    }
    let b = this.chunks.at(-1)
    if (b === undefined || this.used + len > b.bytes.length) {
      b = new MessageBatch('inet', IPPROTO.IPPROTO_TCP)
      b.bytes = new Uint8Array(Math.max(HOLD_BACK_CHUNK, len))
      b.spans = new Int32Array(2048)
      this.chunks.push(b)
      this.used = 0
    }
    if (2 * b.count + 2 > b.spans.length) {
      const grown = new Int32Array(2 * b.spans.length)
      grown.set(b.spans)
      b.spans = grown
    }
    b.bytes.set(src.subarray(start, end), this.used)
    b.spans[2 * b.count] = this.used
    b.spans[2 * b.count + 1] = this.used + len
    b.count++
    this.used += len
    this.total += len
  }

  /** What is held, a chunk at a time (nothing after an overflow). */
  batches(): readonly MessageBatch[] {
    return this.chunks
  }
}

/** How a single TCP walk ended. */
type TcpWalkEnd =
  /** Both families answered. */
  | 'both'
  /** AF_INET answered; the AF_INET6 sockets overflowed the hold-back and their request is still to send. */
  | 'inet'
  /** The kernel refused the legacy request before any socket: send the plan's requests instead. */
  | 'refused'
  /** The kernel stopped the reply after sockets were yielded (notice given), as a refused request. */
  | 'failed'

/** Does this error mean "the kernel has no handler for this protocol" (ss §5.5: skipped)? */
function isMissingProtocol(e: unknown, req: DiagRequest): e is NetlinkError {
  if (!(e instanceof NetlinkError) || e.operation !== 'dump') return false
  // DCCP answers EINVAL when the module is absent (ss 6.1 then prints RTNETLINK answers).
  return e.errno === ENOENT || e.errno === EOPNOTSUPP || (req.table === 'dccp' && e.errno === EINVAL)
}

/** C's strerror() text for an errno (libuv's table, capitalised like glibc's). */
function strerror(errno: number): string {
  const text = errnoInfo(errno).description
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/**
 * Read `ip_local_port_range` of a namespace: ss's source for `autobound`.
 * Sysctl files answer for the namespace of the reading task, so another
 * namespace is read through `nsenter`. Falls back to ss's 1024–4999.
 */
export function readLocalPortRange(netns?: string): readonly [number, number] {
  const file = '/proc/sys/net/ipv4/ip_local_port_range'
  try {
    const text = netns === undefined
      ? readFileSync(file, 'latin1')
      : execFileSync('nsenter', [`--net=${netnsPath(netns)}`, 'cat', file], { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] })
    const [lo, hi] = text.trim().split(/\s+/).map(Number)
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo!, hi!]
  } catch {
    // unreadable: ss's default below
  }
  return DEFAULT_LOCAL_PORT_RANGE
}

/**
 * A running query: iterate it once, with `for` or `for await`. Receives are
 * synchronous (the kernel answers a dump at once), so the async form is the
 * sync one wrapped.
 */
export class QueryRun implements Iterable<SocketRecord>, AsyncIterable<SocketRecord> {
  /** The request whose reply is being read (for `-K`: the protocol of the socket just yielded). */
  current: DiagRequest | null = null
  /** Requests sent so far (fallback resends included). */
  requestsSent = 0
  private started = false

  constructor(private readonly plan: QueryPlan, private readonly opts: QueryOptions) {}

  [Symbol.iterator](): Iterator<SocketRecord> {
    return this.run(false)
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SocketRecord> {
    yield* this.run(false)
  }

  /**
   * The same sockets, inet ones a datagram at a time as {@link MessageBatch}es
   * of the sockets kept (read them in place with an {@link InetMessageView};
   * valid until the next step), others as records. For listings that print a
   * few fields of millions of sockets: no record and no generator step per
   * socket. Iterate either this or the run itself, once.
   */
  batches(): Iterable<SocketRecord | MessageBatch> {
    return { [Symbol.iterator]: () => this.run(true) }
  }

  private *run<B extends boolean>(batched: B): Generator<SocketRecord | (B extends true ? MessageBatch : never)> {
    if (this.started) throw new NetlinkError('dump', 16 /* EBUSY: a query is iterated once */)
    this.started = true
    const { plan, opts } = this
    // Opened on the first request: a pure replay needs no kernel socket.
    let sock = opts.socket
    const own = sock === undefined
    let range = opts.localPortRange
    const env: EvaluateEnv = {
      get localPortRange() {
        range ??= readLocalPortRange(opts.netns)
        return range
      },
    }
    const notice = opts.onNotice ?? (() => undefined)
    const noticed = new Set<string>()
    const once = (key: string, msg: string): void => {
      if (noticed.has(key)) return
      noticed.add(key)
      notice(msg)
    }
    // Set once the kernel refused MARK_COND: later requests go without bytecode.
    let userSpaceOnly = false
    // Per inet protocol: did the previous request succeed (gates `afterSuccess`)?
    const succeeded = new Map<string, boolean>()
    const residual = plan.residual
    const narrowed = exactPorts(plan.kernel)
    const view = new InetMessageView()
    let replayed = false
    let singleTcpWalk = opts.singleTcpWalk !== false
    // Does a socket that reached user space stay (family, then the residual)?
    const accept = (v: InetMessageView): boolean => hasFamily(opts.families, v.family) && (residual === null || evaluate(residual, v.record(), env))
    try {
      const requests = plan.requests
      for (let r = 0; r < requests.length; r++) {
        const req = requests[r]!
        if (req.table === 'tcp' && opts.tcpDiagFile !== undefined) {
          if (replayed) continue
          replayed = true
          this.current = req
          for (const rec of replayTcpFile(opts.tcpDiagFile)) if (this.keep(rec, tableBit('tcp'), residual, env)) yield rec
          continue
        }
        if (req.afterSuccess && succeeded.get(req.table) !== true) continue
        this.current = req
        let bytecode = req.program && !userSpaceOnly ? req.program.bytes : null
        const tablesOfReq = requestTables(req.table)
        const v6 = requests[r + 1]
        if (singleTcpWalk && oneTcpWalk(req, v6)) {
          sock ??= openDiag(opts.netns === undefined ? {} : { netns: opts.netns })
          const legacy: LegacyTcpRequest = { states: req.states, ext: req.ext, bytecode, ...(bytecode !== null ? { ports: narrowed } : {}) }
          const end = yield* this.tcpWalk(sock, legacy, v6, batched, accept, notice) as Generator<SocketRecord | (B extends true ? MessageBatch : never), TcpWalkEnd>
          if (end === 'refused') {
            singleTcpWalk = false
          } else {
            succeeded.set('tcp', end !== 'failed')
            if (end !== 'inet') r++
            continue
          }
        }
        for (;;) {
          const wire: SockDiagRequest = {
            ...wireRequest(req), bytecode,
            ...(bytecode !== null && PORT_NARROWED_TABLES.has(req.table) ? { ports: narrowed } : {}),
          }
          let yielded = 0
          try {
            this.requestsSent++
            sock ??= openDiag(opts.netns === undefined ? {} : { netns: opts.netns })
            const d = dump(sock, wire)
            if (batched && req.kind === 'inet') {
              view.protocol = wire.protocolAttr ?? wire.protocol
              for (const b of d.batches()) {
                // Keep the sockets ss keeps, compacting the batch's spans in place.
                const m = b.retain((start, end) => accept(view.bind(b.bytes, start, end)))
                yielded += m
                if (m > 0) yield b as B extends true ? MessageBatch : never
              }
            } else {
              for (const rec of d) {
                if (!this.keep(rec, tablesOfReq, residual, env)) continue
                yielded++
                yield rec
              }
            }
            succeeded.set(req.table, true)
          } catch (e) {
            if (yielded === 0 && bytecode !== null && e instanceof NetlinkError && e.errno === EPERM && hasMarkCond(plan.kernel)) {
              // MARK_COND needs CAP_NET_ADMIN; without it the kernel refuses the whole program.
              userSpaceOnly = true
              bytecode = null
              once('mark', 'ssx: no CAP_NET_ADMIN for the kernel fwmark test: the filter runs in user space')
              continue
            }
            if (yielded === 0 && isMissingProtocol(e, req)) {
              succeeded.set(req.table, false)
              if (((opts.explicitTables ?? 0) & tablesOfReq) !== 0) once(`missing:${req.table}`, `ssx: ${req.table} sockets are not supported by this kernel`)
              break
            }
            if (e instanceof NetlinkError && e.operation === 'dump') {
              // ss 6.1 prints the kernel's refusal and goes on with the next table
              // (silently for MPTCP); the protocol's AF_INET6 request is not sent.
              succeeded.set(req.table, false)
              if (req.protocolAttr === undefined) notice(`RTNETLINK answers: ${strerror(e.errno)}`)
              break
            }
            throw e
          }
          break
        }
      }
    } finally {
      this.current = null
      if (own) sock?.close()
    }
  }

  /**
   * TCP's AF_INET and AF_INET6 requests answered by one legacy
   * TCPDIAG_GETSOCK walk (same states, attributes, bytecode and sockid
   * ports): the kernel walks its tables once instead of once per family.
   * AF_INET sockets go out as they come; AF_INET6 ones are held back until
   * the walk ends ({@link HeldBack}), keeping ss's order.
   */
  private *tcpWalk(sock: DiagSocket, request: LegacyTcpRequest, v6: DiagRequest, batched: boolean,
    accept: (v: InetMessageView) => boolean, notice: (msg: string) => void): Generator<SocketRecord | MessageBatch, TcpWalkEnd> {
    const view = new InetMessageView()
    view.protocol = IPPROTO.IPPROTO_TCP
    const info = (request.ext & (1 << (INET_DIAG.INET_DIAG_INFO - 1))) !== 0
    const held = new HeldBack(this.opts.holdBackBytes ?? (info ? HOLD_BACK_INFO_BYTES : HOLD_BACK_BYTES))
    let yielded = 0
    this.requestsSent++
    try {
      for (const b of dumpLegacyTcp(sock, request).batches()) {
        // AF_INET sockets stay in the batch; AF_INET6 ones that pass are copied out for later.
        const m = b.retain((start, end) => {
          if (view.bind(b.bytes, start, end).family !== AF.AF_INET6) return accept(view)
          if (!held.overflowed && accept(view)) held.add(b.bytes, start, end)
          return false
        })
        yielded += m
        if (m > 0) yield* emit(b, batched)
      }
    } catch (e) {
      if (!(e instanceof NetlinkError && e.operation === 'dump')) throw e
      if (yielded === 0) return 'refused'
      notice(`RTNETLINK answers: ${strerror(e.errno)}`)
      return 'failed'
    }
    this.current = v6
    if (held.overflowed) return 'inet'
    for (const b of held.batches()) yield* emit(b, batched)
    return 'both'
  }

  /** ss's user-space pass over one reply (§5.5 item 6, §6). */
  private keep(rec: SocketRecord, tablesOfReq: number, residual: Filter | null, env: EvaluateEnv): boolean {
    const { opts } = this
    switch (rec.kind) {
      case 'inet':
        if (!hasFamily(opts.families, rec.family)) return false
        break
      case 'packet':
      case 'netlink':
      case 'xdp':
        // These requests carry no states: ss lists them only in CLOSE.
        if ((opts.states & (1 << rec.state)) === 0) return false
        break
      case 'tipc':
        // ss applies no filter to TIPC sockets.
        return true
      default:
        break
    }
    const typeBit = tableOfType(rec)
    if (typeBit !== -1 && (typeBit & opts.tables & tablesOfReq) === 0) return false
    return residual === null || evaluate(residual, rec, env)
  }
}

/** A batch's sockets, as the batch itself or as records. */
function* emit(b: MessageBatch, batched: boolean): Generator<SocketRecord | MessageBatch> {
  if (batched) {
    if (b.count > 0) yield b
    return
  }
  for (let i = 0; i < b.count; i++) yield b.record(i)
}

/**
 * Execute a query plan against the kernel (in `opts.netns` when given) and
 * stream the sockets that pass both the kernel's bytecode and ss's
 * user-space filter.
 *
 * - Requests are sent in plan order; an inet request marked `afterSuccess`
 *   only when the previous request of its protocol succeeded. TCP's two
 *   go as one legacy request when they ask the same (the AF_INET6 sockets
 *   held back, then listed after the AF_INET ones); ss's two when the
 *   kernel refuses it.
 * - A protocol the kernel lacks (ENOENT, EOPNOTSUPP; EINVAL for DCCP) is
 *   skipped; for a table in `explicitTables`, one notice per table.
 * - EPERM on a program containing MARK_COND: resent without bytecode (the
 *   residual still applies), one notice.
 * - Any other refusal of a request: notice `RTNETLINK answers: <strerror>`
 *   (none for MPTCP) and on to the next request, like ss 6.1.
 *
 * @throws NetlinkError for socket errors (send, recv, namespace; while iterating)
 * @throws DecodeError for malformed replies
 */
export function runQuery(plan: QueryPlan, opts: QueryOptions): QueryRun {
  return new QueryRun(plan, opts)
}

/** AF_INET and AF_INET6 as a families mask, for callers building options by hand. */
export const INET_FAMILIES = (1 << AF.AF_INET) | (1 << AF.AF_INET6)
