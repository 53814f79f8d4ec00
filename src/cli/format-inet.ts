/**
 * Row tokens of an inet socket (TCP, UDP, RAW, MPTCP, DCCP, SCTP), as ss
 * 6.1 prints them (ss-behavior §8.2). Pure: names come from injected
 * lookups ({@link InetFormatOptions}).
 */
import type { ProtocolsDb, ServicesDb } from '../services.js'
import { COL } from './render.js'

/** AF_INET6 (AF_INET is 2). */
const AF_INET6 = 10

/** The fields of an inet socket the row needs (runtime's `InetRecord` has them all). */
export interface InetRowRecord {
  /** AF_INET (2) or AF_INET6 (10). */
  readonly family: number
  /** TCP_* state number. */
  readonly state: number
  /** 4 or 16 bytes, network order. */
  readonly localAddr: Uint8Array
  readonly remoteAddr: Uint8Array
  readonly localPort: number
  readonly remotePort: number
  /** Bound device, 0 when unbound. */
  readonly ifindex: number
  readonly rqueue: number
  readonly wqueue: number
  /** INET_DIAG_SKV6ONLY; absent counts as not v6only (as ss's /proc mode). */
  readonly v6only?: boolean
}

/** Lookups and flags of the inet formatter. */
export interface InetFormatOptions {
  /** `-n`: no service or protocol names. */
  readonly numeric: boolean
  /** `-r`: reverse-resolve addresses with {@link InetFormatOptions.reverseLookup}. */
  readonly resolveHosts?: boolean
  /** Host name of an address (4 bytes or 16), or undefined to print it numerically. */
  readonly reverseLookup?: (addr: Uint8Array) => string | undefined
  /** `/proc/sys/net/ipv4/ip_local_port_range` (ss assumes 1024–4999 when unreadable). */
  readonly localPortRange: readonly [number, number]
  readonly services: ServicesDb
  readonly protocols: ProtocolsDb
  /** Interface name of an index (ss: `ll_index_to_name`, which answers `if<N>` when unknown). */
  readonly ifname: (ifindex: number) => string | undefined
}

/** IPPROTO numbers of ss's inet tables. */
export const INET_PROTO = { TCP: 6, UDP: 17, DCCP: 33, SCTP: 132, RAW: 255, MPTCP: 262 } as const

/** State column text per state number (6.1: 12 states; HEAD's extra two print `UNDEF`). */
export const STATE_NAMES: readonly string[] = [
  'UNKNOWN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2',
  'TIME-WAIT', 'UNCONN', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING',
]

/** State text; numbers beyond ss 6.1's table print `UNDEF` like upstream. */
export const stateName = (state: number): string => STATE_NAMES[state] ?? 'UNDEF'

/** Netid of an inet table by its protocol (the table's protocol, not the raw socket's). */
export function inetNetid(ipproto: number): string {
  switch (ipproto) {
    case INET_PROTO.TCP: return 'tcp'
    case INET_PROTO.UDP: return 'udp'
    case INET_PROTO.RAW: return 'raw'
    case INET_PROTO.MPTCP: return 'mptcp'
    case INET_PROTO.SCTP: return 'sctp'
    case INET_PROTO.DCCP: return 'dccp'
    case 58: return 'icmp6'
    default: return '???'
  }
}

/** `%-6d` of a kernel u32 read as C `int`. */
export function queueText(n: number): string {
  const s = String(n | 0)
  return s.length >= 6 ? s : s + '      '.slice(s.length)
}

/** Dotted quad. */
export function ipv4Text(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`
}

/**
 * glibc's inet_ntop(AF_INET6): the first longest run of two or more zero
 * words becomes `::`; `::a.b.c.d` and `::ffff:a.b.c.d` keep the IPv4 tail.
 */
export function ipv6Text(b: Uint8Array): string {
  const w: number[] = []
  for (let i = 0; i < 16; i += 2) w.push((b[i]! << 8) | b[i + 1]!)
  let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase === -1) {
        curBase = i
        curLen = 1
      } else curLen++
      if (curLen > bestLen) {
        bestBase = curBase
        bestLen = curLen
      }
    } else curBase = -1
  }
  if (bestLen < 2) bestBase = -1
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':'
      continue
    }
    if (i !== 0) out += ':'
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += ipv4Text(b, 12)
      break
    }
    out += w[i]!.toString(16)
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':'
  return out
}

const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0)
const isV4Mapped = (b: Uint8Array): boolean =>
  b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff

/** ss's address text (without `%dev` and `:`). */
export function inetAddrText(family: number, addr: Uint8Array, v6only: boolean, opts: Pick<InetFormatOptions, 'resolveHosts' | 'reverseLookup'>): string {
  if (family !== AF_INET6) return hostText(addr, opts) ?? ipv4Text(addr)
  if (!v6only && isZero(addr)) return '*'
  const name = hostText(addr, opts)
  if (name !== undefined) return name.includes(':') ? `[${name}]` : name
  return `[${ipv6Text(addr)}]`
}

function hostText(addr: Uint8Array, opts: Pick<InetFormatOptions, 'resolveHosts' | 'reverseLookup'>): string | undefined {
  if (!opts.resolveHosts || !opts.reverseLookup || isZero(addr)) return undefined
  // A v4-mapped address is looked up as the IPv4 address it carries.
  return opts.reverseLookup(isV4Mapped(addr) ? addr.subarray(12) : addr)
}

/**
 * ss's `resolve_service`: `*` for 0; decimal with `-n`; raw sockets: the
 * protocol name (`ipproto-N` when unknown); otherwise the service name of
 * ports outside the local port range, else decimal.
 */
export function portText(port: number, ipproto: number, opts: InetFormatOptions): string {
  if (port === 0) return '*'
  if (opts.numeric) return String(port)
  if (ipproto === INET_PROTO.RAW) return opts.protocols.name(port) ?? `ipproto-${port}`
  const [min, max] = opts.localPortRange
  if (port >= min && port <= max) return String(port)
  // ss looks up with the last tcp/udp/raw protocol it set; tcp for every stream table.
  return opts.services.name(port, ipproto === INET_PROTO.UDP ? 'udp' : 'tcp') ?? String(port)
}

/**
 * Column tokens (indexed by {@link COL}) of an inet socket, the Process
 * token empty (extras are appended by the caller).
 * @param ipproto the protocol of the table the socket was dumped from ({@link INET_PROTO})
 */
export function inetRow(rec: InetRowRecord, ipproto: number, opts: InetFormatOptions): string[] {
  const v6only = rec.v6only ?? false
  const row = new Array<string>(COL.PROC + 1).fill('')
  row[COL.NETID] = inetNetid(ipproto)
  row[COL.STATE] = stateName(rec.state)
  row[COL.RECVQ] = queueText(rec.rqueue)
  row[COL.SENDQ] = queueText(rec.wqueue)
  let local = inetAddrText(rec.family, rec.localAddr, v6only, opts)
  if (rec.ifindex !== 0) local += `%${opts.ifname(rec.ifindex) ?? `if${rec.ifindex}`}`
  row[COL.ADDR] = local + ':'
  row[COL.SERV] = portText(rec.localPort, ipproto, opts)
  row[COL.RADDR] = inetAddrText(rec.family, rec.remoteAddr, v6only, opts) + ':'
  row[COL.RSERV] = portText(rec.remotePort, ipproto, opts)
  return row
}
