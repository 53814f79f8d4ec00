/**
 * Decoder for netlink_diag replies (`struct netlink_diag_msg` + attributes
 * from type 0). In ss's model a netlink socket's local "port" is its port
 * id, read as a signed int (kernel-chosen ids are negative), and its remote
 * port is -1.
 */
import { NETLINK_DIAG, netlink_diag_msg } from '../uapi/netlink-diag.js'
import { AttributeDecoder } from './attributes.js'
import type { RawAttribute } from './attributes.js'
import { cookie, fixedStruct, skMemInfoAttribute } from './decode-common.js'
import type { SkMemInfo } from './decode-common.js'

/** One AF_NETLINK socket. */
export interface NetlinkRecord {
  readonly kind: 'netlink'
  family: number
  /** SOCK_RAW 3 or SOCK_DGRAM 2. */
  type: number
  /** Netlink protocol (NETLINK_ROUTE 0, …). */
  protocol: number
  /** 7 (TCP_CLOSE) unless connected (1). */
  state: number
  /** Port id as a signed int. */
  portid: number
  /** = portid. */
  localPort: number
  /** Always -1. */
  remotePort: number
  dstPortid: number
  dstGroup: number
  inode: number
  cookie: bigint
  memInfo?: SkMemInfo
  /** Subscribed multicast groups (1-based group numbers), from the NETLINK_DIAG_GROUPS bitmap. */
  groups?: number[]
  /** NETLINK_DIAG_FLAGS bits (`NDIAG_FLAG_*`). */
  flags?: number
  unknown?: RawAttribute[]
}

/** Group numbers set in a bitmap of little-endian words (bit n → group n + 1). */
function groupsOf(bitmap: Uint8Array): number[] {
  const out: number[] = []
  for (let i = 0; i < bitmap.length; i++) {
    const b = bitmap[i]!
    for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) out.push(i * 8 + bit + 1)
  }
  return out
}

/**
 * Decode one netlink_diag reply payload (after the nlmsghdr).
 * @throws DecodeError on truncated or malformed input
 */
export function decodeNetlink(payload: Uint8Array, base = 0): NetlinkRecord {
  const m = fixedStruct(netlink_diag_msg, payload, 0, base)
  const portid = m.ndiag_portid | 0
  const rec: NetlinkRecord = {
    kind: 'netlink',
    family: m.ndiag_family,
    type: m.ndiag_type,
    protocol: m.ndiag_protocol,
    state: m.ndiag_state,
    portid,
    localPort: portid,
    remotePort: -1,
    dstPortid: m.ndiag_dst_portid,
    dstGroup: m.ndiag_dst_group,
    inode: m.ndiag_ino,
    cookie: cookie(m.ndiag_cookie0, m.ndiag_cookie1),
  }
  const ad = new AttributeDecoder(payload.subarray(netlink_diag_msg.size), base + netlink_diag_msg.size)
  while (ad.next()) {
    switch (ad.type()) {
      case NETLINK_DIAG.NETLINK_DIAG_MEMINFO: rec.memInfo = skMemInfoAttribute(ad); break
      case NETLINK_DIAG.NETLINK_DIAG_GROUPS: rec.groups = groupsOf(ad.bytesView()); break
      case NETLINK_DIAG.NETLINK_DIAG_FLAGS: rec.flags = ad.u32(); break
      default: (rec.unknown ??= []).push(ad.raw())
    }
  }
  ad.finish()
  return rec
}
