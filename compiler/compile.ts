/**
 * The last pass: resolved filter + socket selection → query plan. Decides
 * which requests ss would send, in ss's order (§5.5 of the ss spec), and
 * which part of the filter the kernel runs.
 */
import { AF, IPPROTO } from '../uapi/inet-diag.js'
import { INET_DIAG_BC_MAX_LEN } from '../uapi/inet-diag.js'
import { FilterError } from '../grammar/errors.js'
import type { Filter } from './filter.js'
import { assemble, type Program } from './assemble.js'
import { audit } from './audit.js'
import { kernelApproximation, kernelCompilable, lower, type LowerOptions } from './lower.js'
import { METRICS, metricsOf, needsTcpInfo } from './metrics.js'
import type { DiagRequest, PlanNote, QueryPlan } from './plan.js'
import { TABLE, type Selection, type TableName } from './select.js'

/** `idiag_ext` bits requested by ss's output options (§5.1). */
export const EXT = {
  /** `-m`: INET_DIAG_MEMINFO | INET_DIAG_SKMEMINFO. */
  memory: (1 << 0) | (1 << 6),
  /** `-i`: INET_DIAG_INFO | INET_DIAG_VEGASINFO | INET_DIAG_CONG. */
  info: (1 << 1) | (1 << 2) | (1 << 3),
  /** `--tos`: INET_DIAG_TOS | INET_DIAG_TCLASS. */
  tos: (1 << 4) | (1 << 5),
} as const

/** `idiag_ext` bit of INET_DIAG_INFO alone: what a filter on tcp_info metrics needs. */
const EXT_TCP_INFO = 1 << 1

/** unix_diag `udiag_show` bits (`include/uapi/linux/unix_diag.h`). */
const UDIAG_SHOW = { NAME: 0x1, VFS: 0x2, PEER: 0x4, ICONS: 0x8, RQLEN: 0x10, MEMINFO: 0x20, UID: 0x40 } as const
/** packet_diag `pdiag_show`: INFO | MEMINFO | FILTER | RING_CFG | FANOUT, as ss sends it. */
const PACKET_SHOW = 0x3d
/** netlink_diag `ndiag_show`: GROUPS | MEMINFO. */
const NETLINK_SHOW = 0x3
/** xdp_diag `xdiag_show`: INFO | UID | RING_CFG | UMEM | MEMINFO. */
const XDP_SHOW = 0x1f
/** `NDIAG_PROTO_ALL`. */
const NETLINK_PROTO_ALL = 255
/** The CLOSE state bit: packet, netlink and xdp sockets are only listed when it is selected. */
const CLOSE_BIT = 1 << 7

/** What the output options ask the kernel to include. */
export interface ExtOptions {
  readonly memory?: boolean
  readonly info?: boolean
  readonly tos?: boolean
  /** `-e`: unix requests add VFS and ICONS. */
  readonly extended?: boolean
}

/** Inputs of {@link compilePlan} besides the filter. */
export interface PlanOptions {
  readonly selection: Selection
  /** The filter's family side effect (§4.7): the family set becomes exactly this family. */
  readonly forcedFamily?: number | null
  /** `preferred_family` after the filter was parsed. */
  readonly preferredFamily: number
  readonly ext?: ExtOptions
  readonly lower?: LowerOptions
}

/** The inet protocols in ss's dump order, with how each is requested. */
const INET_TABLES: readonly { table: TableName; protocol: number }[] = [
  { table: 'raw', protocol: IPPROTO.IPPROTO_RAW },
  { table: 'udp', protocol: IPPROTO.IPPROTO_UDP },
  { table: 'tcp', protocol: IPPROTO.IPPROTO_TCP },
  { table: 'dccp', protocol: IPPROTO.IPPROTO_DCCP },
  { table: 'sctp', protocol: IPPROTO.IPPROTO_SCTP },
]

const has = (mask: number, table: TableName): boolean => (mask & (1 << TABLE[table])) !== 0
const fam = (mask: number, af: number): boolean => (mask & (1 << af)) !== 0

/**
 * Build the query plan. Pure and deterministic: the same filter and options
 * give the same requests and bytes. Every program passes the audit port
 * before it is returned.
 */
export function compilePlan(filter: Filter | null, options: PlanOptions): QueryPlan {
  const { selection } = options
  const families = options.forcedFamily != null ? 1 << options.forcedFamily : selection.families
  const preferred = options.preferredFamily
  const states = selection.states
  const tables = selection.tables
  const notes: PlanNote[] = []

  let program: Program | null = null
  let kernel: Filter | null = null
  const metrics = metricsOf(filter)
  if (filter) {
    // With metrics, the kernel gets a superset it can test; ss's filters are compiled as they are.
    const candidate = metrics.length > 0 ? kernelApproximation(filter) : filter
    if (candidate === null) {
      notes.push({ message: `${metricList(metrics)} cannot be tested by inet_diag bytecode, and once ${metrics.length === 1 ? 'it counts' : 'they count'} as "maybe" nothing else in the filter narrows the dump: no bytecode is sent, the filter runs in user space` })
    } else if (kernelCompilable(candidate)) {
      program = assemble(lower(candidate, options.lower))
      const verdict = audit(program.bytes, { netAdmin: true })
      if (!verdict.ok) {
        // The lowering only emits well-formed programs; reaching this is a compiler bug.
        throw new FilterError('E_AUDIT', `internal error: the compiled program fails the kernel audit (${verdict.reason})`)
      }
      kernel = candidate
      if (candidate !== filter) {
        notes.push({ message: `${metricList(metrics)} cannot be tested by inet_diag bytecode: the kernel runs only the rest, each metric counted as "maybe" (true where tested, false under "not"), which keeps every socket the filter can accept; user space applies the whole filter` })
      }
    } else {
      notes.push({ message: 'the filter tests unix/packet/netlink/vsock addresses, which inet_diag bytecode cannot express: it runs in user space only' })
    }
  }
  const tcpInfo = needsTcpInfo(filter)
  const fromInfo = metrics.filter((m) => METRICS[m].source.kind === 'tcp_info')
  if (tcpInfo) notes.push({ message: `${metricList(fromInfo)} ${fromInfo.length === 1 ? 'comes' : 'come'} from tcp_info: TCP requests ask for INET_DIAG_INFO; sockets without it (TIME-WAIT, request, UDP, …) satisfy no metric predicate ("not" inverts as usual)` })
  else if (metrics.length > 0) notes.push({ message: `${metricList(metrics)} ${metrics.length === 1 ? 'comes' : 'come'} from the diag message; TIME-WAIT and request sockets have none and satisfy no metric predicate ("not" inverts as usual)` })

  const ext = options.ext ?? {}
  const inetExt = (ext.memory ? EXT.memory : 0) | (ext.info ? EXT.info : 0) | (ext.tos ? EXT.tos : 0)
  // INET_DIAG_INFO changes nothing ss prints (-i decides that), only what the evaluator can read.
  const tcpExt = inetExt | (tcpInfo ? EXT_TCP_INFO : 0)
  const requests: DiagRequest[] = []
  const closeSelected = (states & CLOSE_BIT) !== 0

  if (has(tables, 'netlink') && fam(families, AF.AF_NETLINK) && closeSelected) {
    requests.push({ kind: 'netlink', table: 'netlink', family: AF.AF_NETLINK, protocol: NETLINK_PROTO_ALL, states: 0, ext: NETLINK_SHOW, program: null })
  }
  if ((has(tables, 'packet_raw') || has(tables, 'packet_dgram')) && fam(families, AF.AF_PACKET) && closeSelected) {
    requests.push({ kind: 'packet', table: 'packet', family: AF.AF_PACKET, protocol: 0, states: 0, ext: PACKET_SHOW, program: null })
  }
  if ((has(tables, 'unix_stream') || has(tables, 'unix_dgram') || has(tables, 'unix_seqpacket')) && fam(families, AF.AF_UNIX)) {
    let show = UDIAG_SHOW.NAME | UDIAG_SHOW.PEER | UDIAG_SHOW.RQLEN
    if (ext.memory) show |= UDIAG_SHOW.MEMINFO
    if (ext.extended) show |= UDIAG_SHOW.VFS | UDIAG_SHOW.ICONS
    if (metrics.includes('uid')) show |= UDIAG_SHOW.UID
    requests.push({ kind: 'unix', table: 'unix', family: AF.AF_UNIX, protocol: 0, states, ext: show, program: null })
  }
  const inet = fam(families, AF.AF_INET) || fam(families, AF.AF_INET6)
  const pushInet = (table: TableName, protocol: number, protocolAttr?: number): void => {
    if (!inet || !has(tables, table)) return
    const base = {
      kind: 'inet' as const,
      table,
      protocol: protocol & 0xff,
      ...(protocolAttr !== undefined ? { protocolAttr } : {}),
      states,
      ext: table === 'tcp' ? tcpExt : inetExt,
      program,
    }
    if (preferred === AF.AF_INET6) {
      requests.push({ ...base, family: AF.AF_INET6 })
      return
    }
    requests.push({ ...base, family: AF.AF_INET })
    if (preferred !== AF.AF_INET) requests.push({ ...base, family: AF.AF_INET6, afterSuccess: true })
  }
  for (const { table, protocol } of INET_TABLES) pushInet(table, protocol)
  if ((has(tables, 'vsock_stream') || has(tables, 'vsock_dgram')) && fam(families, AF.AF_VSOCK)) {
    requests.push({ kind: 'vsock', table: 'vsock', family: AF.AF_VSOCK, protocol: 0, states, ext: 0, program: null })
  }
  if (has(tables, 'tipc') && fam(families, AF.AF_TIPC)) {
    requests.push({ kind: 'tipc', table: 'tipc', family: AF.AF_TIPC, protocol: 0, states, ext: 0, program: null })
  }
  if (has(tables, 'xdp') && fam(families, AF.AF_XDP) && closeSelected) {
    requests.push({ kind: 'xdp', table: 'xdp', family: AF.AF_XDP, protocol: 0, states: 0, ext: XDP_SHOW, program: null })
  }
  pushInet('mptcp', IPPROTO.IPPROTO_MPTCP, IPPROTO.IPPROTO_MPTCP)

  if (program && kernel !== filter) {
    notes.push({ message: `the kernel runs that part as ${program.bytes.length} bytes of bytecode (limit ${INET_DIAG_BC_MAX_LEN}) in every inet request` })
  } else if (program) {
    notes.push({ message: `the kernel runs the whole filter as ${program.bytes.length} bytes of bytecode (limit ${INET_DIAG_BC_MAX_LEN}) in every inet request` })
  }
  if (filter && requests.some((r) => r.kind !== 'inet')) {
    notes.push({ message: 'unix, packet, netlink, vsock, tipc and xdp requests carry no bytecode: the filter runs in user space for them' })
  }
  // ss evaluates the whole filter again in user space for every socket, with
  // semantics that differ from the kernel's in a few places (autobound,
  // prefix-0 and cross-family conditions); doing the same keeps the output
  // identical.
  return { requests, residual: filter, kernel, notes }
}

/** `rtt, cwnd and uid` */
function metricList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`
}
