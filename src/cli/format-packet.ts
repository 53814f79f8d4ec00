/**
 * Row tokens of an AF_PACKET socket as ss 6.1 prints them (ss-behavior
 * §8.2): `PROTO:IFACE` and a `*` peer with an empty port.
 */
import { COL } from './render.js'
import { queueText, stateName } from './format-inet.js'

/** The fields of a packet socket the row needs (runtime's `PacketRecord` has them). */
export interface PacketRowRecord {
  /** SOCK_RAW 3 or SOCK_DGRAM 2. */
  readonly type: number
  readonly state: number
  /** Bound ethertype, host order. */
  readonly protocol: number
  /** Bound interface, 0 when none. */
  readonly ifindex: number
  /** Receive queue: SK_MEMINFO rmem_alloc. */
  readonly memInfo?: { readonly rmemAlloc: number }
}

/** Options of the packet formatter. */
export interface PacketFormatOptions {
  /** `-n`: protocol numbers instead of names. */
  readonly numeric: boolean
  readonly ifname: (ifindex: number) => string | undefined
}

/**
 * Ethertype names of iproute2's `ll_proto_n2a` table (lib/ll_proto.c),
 * keyed by host-order ethertype.
 */
export const LL_PROTO_NAMES: ReadonlyMap<number, string> = new Map([
  [0x0060, 'loop'], [0x0200, 'pup'], [0x0201, 'pupat'], [0x0800, 'ip'], [0x0805, 'x25'], [0x0806, 'arp'],
  [0x08ff, 'bpq'], [0x0a00, 'ieeepup'], [0x0a01, 'ieeepupat'], [0x6000, 'dec'], [0x6001, 'dna_dl'],
  [0x6002, 'dna_rc'], [0x6003, 'dna_rt'], [0x6004, 'lat'], [0x6005, 'diag'], [0x6006, 'cust'], [0x6007, 'sca'],
  [0x8035, 'rarp'], [0x809b, 'atalk'], [0x80f3, 'aarp'], [0x8137, 'ipx'], [0x86dd, 'ipv6'], [0x8863, 'ppp_disc'],
  [0x8864, 'ppp_ses'], [0x884c, 'atmmpoa'], [0x8884, 'atmfate'], [0x0001, '802_3'], [0x0002, 'ax25'],
  [0x0003, 'all'], [0x0004, '802_2'], [0x0005, 'snap'], [0x0006, 'ddcmp'], [0x0007, 'wan_ppp'], [0x0008, 'ppp_mp'],
  [0x0009, 'localtalk'], [0x000c, 'can'], [0x0010, 'ppptalk'], [0x0011, 'tr_802_2'], [0x0015, 'mobitex'],
  [0x0016, 'control'], [0x0017, 'irda'], [0x0018, 'econet'], [0x88ca, 'tipc'], [0x88a2, 'aoe'], [0x8100, '802.1Q'],
  [0x88a8, '802.1ad'], [0x8847, 'mpls_uc'], [0x8848, 'mpls_mc'], [0x6558, 'teb'], [0x88cc, 'LLDP'],
])

/** ETH_P_ALL: printed as `*`. */
const ETH_P_ALL = 3

/** The protocol text: `*` for ETH_P_ALL, the name, or `[N]` (decimal) with `-n` or when unknown. */
export function packetProtoText(protocol: number, numeric: boolean): string {
  if (protocol === ETH_P_ALL) return '*'
  return (numeric ? undefined : LL_PROTO_NAMES.get(protocol)) ?? `[${protocol}]`
}

/** Column tokens (indexed by {@link COL}) of a packet socket; Process empty. */
export function packetRow(rec: PacketRowRecord, opts: PacketFormatOptions): string[] {
  const row = new Array<string>(COL.PROC + 1).fill('')
  row[COL.NETID] = rec.type === 3 ? 'p_raw' : 'p_dgr'
  row[COL.STATE] = stateName(rec.state)
  row[COL.RECVQ] = queueText(rec.memInfo?.rmemAlloc ?? 0)
  row[COL.SENDQ] = queueText(0)
  row[COL.ADDR] = packetProtoText(rec.protocol, opts.numeric) + ':'
  row[COL.SERV] = rec.ifindex === 0 ? '*' : (opts.ifname(rec.ifindex) ?? `if${rec.ifindex}`)
  row[COL.RADDR] = '*'
  row[COL.RSERV] = ''
  return row
}
