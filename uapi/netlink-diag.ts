/**
 * netlink_diag ABI (`include/uapi/linux/netlink_diag.h`). Attribute types
 * start at 0. Requests must be dumps.
 */
import { defineStruct } from './struct.js'

/** `NDIAG_PROTO_ALL`: `sdiag_protocol` value listing every netlink protocol. */
export const NDIAG_PROTO_ALL = 255

/** `struct netlink_diag_req` (20 bytes). */
export const netlink_diag_req = defineStruct('netlink_diag_req', 20, [
  { name: 'sdiag_family', kind: 'u8' },
  { name: 'sdiag_protocol', kind: 'u8' },
  { name: 'pad', kind: 'u16' },
  { name: 'ndiag_ino', kind: 'u32' },
  { name: 'ndiag_show', kind: 'u32' },
  { name: 'ndiag_cookie0', kind: 'u32' },
  { name: 'ndiag_cookie1', kind: 'u32' },
] as const)

/** `ndiag_show` bits (`NDIAG_SHOW_*`); RING_CFG is obsolete since 4.6. */
export const NDIAG_SHOW = {
  NDIAG_SHOW_MEMINFO: 0x1,
  NDIAG_SHOW_GROUPS: 0x2,
  NDIAG_SHOW_RING_CFG: 0x4,
  NDIAG_SHOW_FLAGS: 0x8,
} as const

/** `struct netlink_diag_msg` (28 bytes). */
export const netlink_diag_msg = defineStruct('netlink_diag_msg', 28, [
  { name: 'ndiag_family', kind: 'u8' },
  { name: 'ndiag_type', kind: 'u8' },
  { name: 'ndiag_protocol', kind: 'u8' },
  { name: 'ndiag_state', kind: 'u8' },
  { name: 'ndiag_portid', kind: 'u32' },
  { name: 'ndiag_dst_portid', kind: 'u32' },
  { name: 'ndiag_dst_group', kind: 'u32' },
  { name: 'ndiag_ino', kind: 'u32' },
  { name: 'ndiag_cookie0', kind: 'u32' },
  { name: 'ndiag_cookie1', kind: 'u32' },
] as const)

/** Reply attribute types (`enum { NETLINK_DIAG_MEMINFO, ... }`). */
export const NETLINK_DIAG = {
  NETLINK_DIAG_MEMINFO: 0,
  NETLINK_DIAG_GROUPS: 1,
  NETLINK_DIAG_RX_RING: 2,
  NETLINK_DIAG_TX_RING: 3,
  NETLINK_DIAG_FLAGS: 4,
} as const

/** NETLINK_DIAG_FLAGS bits (`NDIAG_FLAG_*`). */
export const NDIAG_FLAG = {
  NDIAG_FLAG_CB_RUNNING: 0x1,
  NDIAG_FLAG_PKTINFO: 0x2,
  NDIAG_FLAG_BROADCAST_ERROR: 0x4,
  NDIAG_FLAG_NO_ENOBUFS: 0x8,
  NDIAG_FLAG_LISTEN_ALL_NSID: 0x10,
  NDIAG_FLAG_CAP_ACK: 0x20,
} as const
