/**
 * `ssx`: the package entry. Everything of `ssx/compiler` (parser, passes,
 * disassembler, interpreter, evaluator, emitters), plus what needs the
 * machine: the system resolver, the sock_diag runtime (koffi), and
 * streaming the sockets a compiled query selects.
 *
 * ```ts
 * import { querySockets } from 'ssx'
 *
 * for await (const s of querySockets({ tables: ['tcp'], states: ['established'], filter: 'dport = :https' })) {
 *   console.log(s.kind === 'inet' ? s.remotePort : s.kind)
 * }
 * ```
 *
 * Or step by step: {@link compileQuery} (pure), then {@link streamSockets}.
 */
import { compileQuery } from './pure.js'
import type { CompiledQuery, QuerySpec } from './pure.js'
import { runQuery } from './query.js'
import type { QueryOptions, QueryRun } from './query.js'
import { killQuery } from './kill.js'
import { systemResolver } from './system-resolver.js'
import { NetlinkError, destroySocket, encodeRequest, openDiag } from '../runtime/index.js'
import type { DiagSocket, EncodeOptions, InetRecord, SocketRecord } from '../runtime/index.js'
import { wireRequest } from '../compiler/plan.js'
import type { QueryPlan } from '../compiler/plan.js'

export * from './pure.js'

// --- Running queries --------------------------------------------------------------
export { runQuery, QueryRun, readLocalPortRange, hasMarkCond, INET_FAMILIES } from './query.js'
export type { QueryOptions } from './query.js'
export { killQuery, killRecords, KillError } from './kill.js'
export type { KillOptions } from './kill.js'
export { systemResolver, parseServices, parseNlProtos, findCgroup2Mount } from './system-resolver.js'
export type { SystemResolverOptions, ServiceTable, ServiceTables } from './system-resolver.js'

// --- Socket records as JSON (schema ssx-socket/1) ------------------------------------
export { socketToJson, SOCKET_JSON_SCHEMA, SOCKET_JSON_SCHEMA_ID } from './socket-json.js'
export type {
  SocketJson, SocketJsonContext, InetSocketJson, UnixSocketJson, PacketSocketJson, NetlinkSocketJson,
  VsockSocketJson, XdpSocketJson, TipcSocketJson, InetEndpointJson, ShutdownJson, TcpInfoJson, TimerJson,
  SocketUserJson, PacketRingJson, SkMemJson, U64String,
} from './socket-json.js'

// --- The sock_diag runtime ----------------------------------------------------------
export {
  openDiag, netnsPath, DiagSocket, dump, destroySocket, Dump, encodeRequest, encodeDestroyRequest, DUMP_FLAGS,
  decodeRecord, decodeInet, decodeUnix, unixName, decodePacket, decodeNetlink, decodeVsock, decodeXdp, decodeTipc,
  NetlinkError, DecodeError, RequestError, errnoInfo,
} from '../runtime/index.js'
export type {
  OpenDiagOptions, DiagSocketOptions, DumpOptions, DiagKind, SockDiagRequest, InetSocketId, EncodeOptions,
  SocketRecord, InetRecord, TcpInfo, MptcpInfo, InetMemInfo, VegasInfo, DctcpInfo, BbrInfo, Md5Sig,
  UnixRecord, PacketRecord, PacketInfo, PacketMcEntry, PacketRing, SockFilterInsn, NetlinkRecord,
  VsockRecord, XdpRecord, TipcRecord, SkMemInfo, ExtAck, NetlinkOperation, RawAttribute,
} from '../runtime/index.js'

const ENOENT = 2

/** Where and how to run a compiled query. */
export interface StreamOptions {
  /** `ip netns` name or namespace path; the current namespace when absent (another one needs CAP_SYS_ADMIN). */
  readonly netns?: string
  /** A sock_diag socket to use instead of opening one (left open). */
  readonly socket?: DiagSocket
  /** Ephemeral port range for `autobound`; read from the namespace when absent. */
  readonly localPortRange?: readonly [number, number]
  /** Receives one-line notices ss would print on stderr (a protocol the kernel lacks, a refused request). */
  readonly onNotice?: (message: string) => void
}

function queryOptions(query: CompiledQuery, options: StreamOptions): QueryOptions {
  return { ...options, families: query.families, tables: query.selection.tables, states: query.selection.states }
}

/**
 * Send a compiled query's requests and stream the sockets that pass the
 * kernel's bytecode and ss's user-space filter. Iterate the result once,
 * with `for await` or plain `for` (receives are synchronous: the kernel
 * answers a dump at once). One datagram is decoded at a time, so memory
 * stays flat however many sockets there are.
 *
 * @throws NetlinkError while iterating, for socket and namespace errors
 * @throws DecodeError while iterating, for malformed replies
 */
export function streamSockets(query: CompiledQuery, options: StreamOptions = {}): QueryRun {
  return runQuery(query.plan, queryOptions(query, options))
}

/**
 * {@link compileQuery} then {@link streamSockets}, with the system resolver
 * as the default (service names from `/etc/services`, hosts through the
 * system's resolver).
 *
 * @throws as {@link compileQuery} (when iteration starts) and {@link streamSockets}
 */
export async function* querySockets(spec: QuerySpec & StreamOptions = {}): AsyncGenerator<SocketRecord, void, undefined> {
  const query = await compileQuery({ ...spec, resolver: spec.resolver ?? systemResolver() })
  yield* streamSockets(query, spec)
}

/**
 * Destroy every inet socket a compiled query selects (ss `-K`), yielding
 * each record after its SOCK_DESTROY. With `dryRun`, yields the same
 * records and destroys nothing. Needs CAP_NET_ADMIN and a kernel with
 * CONFIG_INET_DIAG_DESTROY.
 *
 * @throws KillError when the kernel refuses a SOCK_DESTROY (the dump stops there)
 */
export function killSockets(query: CompiledQuery, options: StreamOptions & { readonly dryRun?: boolean } = {}): Generator<SocketRecord> {
  return killQuery(query.plan, { ...queryOptions(query, options), ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}) })
}

/**
 * Destroy one inet socket (SOCK_DESTROY), identified by a record from a
 * dump: its addresses, ports, interface and cookie. `protocol` is the IP
 * protocol (default TCP). A socket that is already gone is not an error.
 *
 * @throws NetlinkError when the kernel refuses (EPERM without CAP_NET_ADMIN, EOPNOTSUPP without CONFIG_INET_DIAG_DESTROY)
 */
export function closeSocket(record: InetRecord, options: { readonly netns?: string; readonly socket?: DiagSocket; readonly protocol?: number } = {}): void {
  const sock = options.socket ?? openDiag(options.netns === undefined ? {} : { netns: options.netns })
  try {
    destroySocket(sock, record, options.protocol ?? 6)
  } catch (e) {
    // ENOENT: it closed on its own between the dump and now.
    if (!(e instanceof NetlinkError && e.errno === ENOENT)) throw e
  } finally {
    if (options.socket === undefined) sock.close()
  }
}

/**
 * The complete netlink message of each request of a plan (nlmsghdr,
 * request struct, attributes), in plan order, byte-identical to what ss
 * sends — what `ssx compile --format netlink` prints as hex.
 */
export function encodePlan(plan: QueryPlan, options: EncodeOptions = {}): Uint8Array[] {
  return plan.requests.map((r) => encodeRequest(wireRequest(r), options))
}
