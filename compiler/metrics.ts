/**
 * Where each metric word of the filter language (`rtt`, `cwnd`, `uid`, …;
 * grammar/metrics.ts) gets its value, in which unit, and which sockets
 * report it. One table, read by the evaluator, the planner (which asks for
 * INET_DIAG_INFO when a filter needs tcp_info), explain, and the eBPF target.
 *
 * A socket the kernel reports no value for does not satisfy a metric
 * predicate (whatever the operator); `not` inverts as usual, so
 * `not rtt > 5ms` accepts a TIME-WAIT socket while `rtt <= 5ms` does not.
 */
import type { CmpOp } from '../grammar/ast.js'
import { METRIC_NAMES, type MetricName } from '../grammar/metrics.js'
import type { Filter, MetricNode } from './filter.js'
import type { FilterSocket, FilterTcpInfo } from './socket.js'

/** The base unit a metric's values (in the filter and in {@link readMetric}) are in. */
export type MetricUnit = 'us' | 'bytes' | 'segments' | 'count' | 'uid' | 'inode'

/** Where a metric comes from. */
export type MetricSource =
  /**
   * A `struct tcp_info` member (INET_DIAG_INFO, `include/uapi/linux/tcp.h`);
   * `scale` turns the member's unit into the metric's (ms → µs: 1000).
   */
  | { readonly kind: 'tcp_info'; readonly member: `tcpi_${string}`; readonly key: keyof FilterTcpInfo; readonly scale: number }
  /**
   * A field of the diag message (`struct inet_diag_msg` for inet sockets,
   * the family's own message or attribute for unix and packet sockets).
   */
  | { readonly kind: 'diag_msg'; readonly member: `idiag_${string}`; readonly key: 'rqueue' | 'wqueue' | 'uid' | 'inode' }

/** One metric. */
export interface MetricSpec {
  readonly name: MetricName
  readonly unit: MetricUnit
  readonly source: MetricSource
  /** Which sockets report it, for explanations and docs. */
  readonly reportedBy: string
  /** One line: what it means. */
  readonly meaning: string
}

const TCP = 'TCP sockets other than TIME-WAIT and request (SYN-RECV) sockets, when INET_DIAG_INFO is requested (listeners too)'
const FULL = 'full inet sockets (TCP, UDP, RAW, SCTP, MPTCP; not TIME-WAIT or request sockets); unix and packet sockets when their diag reply carries it'

const tcp = (member: `tcpi_${string}`, key: keyof FilterTcpInfo, scale = 1): MetricSource => ({ kind: 'tcp_info', member, key, scale })

/** Every metric, by name. */
export const METRICS: Readonly<Record<MetricName, MetricSpec>> = Object.freeze({
  rtt: { name: 'rtt', unit: 'us', source: tcp('tcpi_rtt', 'rtt'), reportedBy: TCP, meaning: 'smoothed round-trip time (ss -i: rtt:RTT/rttvar, in ms; listeners report 0)' },
  rttvar: { name: 'rttvar', unit: 'us', source: tcp('tcpi_rttvar', 'rttvar'), reportedBy: TCP, meaning: 'round-trip time variation (ss -i: rtt:rtt/RTTVAR)' },
  rto: { name: 'rto', unit: 'us', source: tcp('tcpi_rto', 'rto'), reportedBy: TCP, meaning: 'retransmission timeout (ss -i: rto:, in ms)' },
  lastsnd: { name: 'lastsnd', unit: 'us', source: tcp('tcpi_last_data_sent', 'lastDataSent', 1000), reportedBy: TCP, meaning: 'time since data was last sent (ss -i: lastsnd:, the kernel counts in ms)' },
  lastrcv: { name: 'lastrcv', unit: 'us', source: tcp('tcpi_last_data_recv', 'lastDataRecv', 1000), reportedBy: TCP, meaning: 'time since data was last received (ss -i: lastrcv:, in ms)' },
  lastack: { name: 'lastack', unit: 'us', source: tcp('tcpi_last_ack_recv', 'lastAckRecv', 1000), reportedBy: TCP, meaning: 'time since an ACK was last received (ss -i: lastack:, in ms)' },
  mss: { name: 'mss', unit: 'bytes', source: tcp('tcpi_snd_mss', 'sndMss'), reportedBy: TCP, meaning: 'send MSS (ss -i: mss:)' },
  bytes_sent: { name: 'bytes_sent', unit: 'bytes', source: tcp('tcpi_bytes_sent', 'bytesSent'), reportedBy: TCP, meaning: 'bytes sent, retransmissions included (ss -i: bytes_sent:)' },
  bytes_acked: { name: 'bytes_acked', unit: 'bytes', source: tcp('tcpi_bytes_acked', 'bytesAcked'), reportedBy: TCP, meaning: 'bytes acknowledged by the peer (ss -i: bytes_acked:)' },
  bytes_received: { name: 'bytes_received', unit: 'bytes', source: tcp('tcpi_bytes_received', 'bytesReceived'), reportedBy: TCP, meaning: 'bytes received (ss -i: bytes_received:)' },
  rqueue: { name: 'rqueue', unit: 'bytes', source: { kind: 'diag_msg', member: 'idiag_rqueue', key: 'rqueue' }, reportedBy: FULL, meaning: 'receive queue, the Recv-Q column (listeners: accept backlog)' },
  wqueue: { name: 'wqueue', unit: 'bytes', source: { kind: 'diag_msg', member: 'idiag_wqueue', key: 'wqueue' }, reportedBy: FULL, meaning: 'send queue, the Send-Q column (listeners: maximum backlog)' },
  cwnd: { name: 'cwnd', unit: 'segments', source: tcp('tcpi_snd_cwnd', 'sndCwnd'), reportedBy: TCP, meaning: 'congestion window (ss -i: cwnd:)' },
  ssthresh: { name: 'ssthresh', unit: 'segments', source: tcp('tcpi_snd_ssthresh', 'sndSsthresh'), reportedBy: TCP, meaning: 'slow-start threshold (ss -i: ssthresh:, shown only below 65535; "infinite" is 2147483647)' },
  retrans: { name: 'retrans', unit: 'segments', source: tcp('tcpi_total_retrans', 'totalRetrans'), reportedBy: TCP, meaning: 'segments retransmitted over the connection\'s life (ss -i: the second number of retrans:N/TOTAL)' },
  lost: { name: 'lost', unit: 'segments', source: tcp('tcpi_lost', 'lost'), reportedBy: TCP, meaning: 'segments currently considered lost (ss -i: lost:)' },
  unacked: { name: 'unacked', unit: 'segments', source: tcp('tcpi_unacked', 'unacked'), reportedBy: TCP, meaning: 'segments in flight (ss -i: unacked:; listeners: accept backlog)' },
  segs_in: { name: 'segs_in', unit: 'count', source: tcp('tcpi_segs_in', 'segsIn'), reportedBy: TCP, meaning: 'segments received (ss -i: segs_in:)' },
  segs_out: { name: 'segs_out', unit: 'count', source: tcp('tcpi_segs_out', 'segsOut'), reportedBy: TCP, meaning: 'segments sent (ss -i: segs_out:)' },
  uid: { name: 'uid', unit: 'uid', source: { kind: 'diag_msg', member: 'idiag_uid', key: 'uid' }, reportedBy: FULL, meaning: 'owner user id (ss -e: uid:)' },
  ino: { name: 'ino', unit: 'inode', source: { kind: 'diag_msg', member: 'idiag_inode', key: 'inode' }, reportedBy: FULL, meaning: 'socket inode (ss -e: ino:; 0 for orphaned sockets)' },
})

// Every word of the grammar has a source (checked once, when the module loads).
for (const name of METRIC_NAMES) if (METRICS[name]?.name !== name) throw new TypeError(`metric ${name} has no source`)

const AF_INET = 2
const AF_INET6 = 10

/**
 * The value of a metric for a socket, in the metric's unit; undefined when
 * the kernel reported none: tcp_info members of a socket without
 * INET_DIAG_INFO (TIME-WAIT, request, UDP, MPTCP, or not requested) or of a
 * kernel whose tcp_info is shorter; message fields of TIME-WAIT and request
 * sockets (the kernel puts zeros there), recognised by the missing
 * INET_DIAG_SHUTDOWN, which it sends for every full socket.
 */
export function readMetric(name: MetricName, sock: FilterSocket): number | bigint | undefined {
  const src = METRICS[name].source
  if (src.kind === 'tcp_info') {
    const v = sock.tcpInfo?.[src.key]
    if (v === undefined || src.scale === 1) return v
    return typeof v === 'bigint' ? v * BigInt(src.scale) : v * src.scale
  }
  if ((sock.family === AF_INET || sock.family === AF_INET6) && sock.shutdown === undefined) return undefined
  return sock[src.key]
}

/** `value OP threshold`, exactly also for u64 values (JavaScript compares bigint with number exactly). */
export function compareMetric(value: number | bigint, op: CmpOp, threshold: number): boolean {
  switch (op) {
    // `==` between a bigint and a number compares mathematical values (a fraction never equals a u64).
    case 'eq': return value == threshold
    case 'ne': return value != threshold
    case 'lt': return value < threshold
    case 'le': return value <= threshold
    case 'gt': return value > threshold
    case 'ge': return value >= threshold
  }
}

/** Does `sock` satisfy a metric predicate? False when the socket has no such value. */
export function matchMetric(node: MetricNode, sock: FilterSocket): boolean {
  const v = readMetric(node.field, sock)
  return v !== undefined && compareMetric(v, node.op, node.value)
}

/** The metrics a filter tests, in first-use order. */
export function metricsOf(f: Filter | null): MetricName[] {
  const out = new Set<MetricName>()
  const go = (g: Filter): void => {
    switch (g.kind) {
      case 'and':
      case 'or':
        go(g.left)
        go(g.right)
        return
      case 'not':
        go(g.operand)
        return
      case 'metric':
        out.add(g.field)
        return
      default:
    }
  }
  if (f) go(f)
  return [...out]
}

/** Does the filter read tcp_info (so TCP requests must ask for INET_DIAG_INFO)? */
export function needsTcpInfo(f: Filter | null): boolean {
  return metricsOf(f).some((m) => METRICS[m].source.kind === 'tcp_info')
}
