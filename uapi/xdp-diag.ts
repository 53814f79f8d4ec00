/**
 * xdp_diag ABI (`include/uapi/linux/xdp_diag.h`). Not built on the
 * reference kernel. Attribute types start at 1 (XDP_DIAG_NONE = 0).
 */
import { defineStruct } from './struct.js'

/** `struct xdp_diag_req` (20 bytes). */
export const xdp_diag_req = defineStruct('xdp_diag_req', 20, [
  { name: 'sdiag_family', kind: 'u8' },
  { name: 'sdiag_protocol', kind: 'u8' },
  { name: 'pad', kind: 'u16' },
  { name: 'xdiag_ino', kind: 'u32' },
  { name: 'xdiag_show', kind: 'u32' },
  { name: 'xdiag_cookie0', kind: 'u32' },
  { name: 'xdiag_cookie1', kind: 'u32' },
] as const)

/** `xdiag_show` bits (`XDP_SHOW_*`). */
export const XDP_SHOW = {
  XDP_SHOW_INFO: 0x1,
  XDP_SHOW_RING_CFG: 0x2,
  XDP_SHOW_UMEM: 0x4,
  XDP_SHOW_MEMINFO: 0x8,
  XDP_SHOW_STATS: 0x10,
} as const

/** `struct xdp_diag_msg` (16 bytes). */
export const xdp_diag_msg = defineStruct('xdp_diag_msg', 16, [
  { name: 'xdiag_family', kind: 'u8' },
  { name: 'xdiag_type', kind: 'u8' },
  { name: 'pad', kind: 'u16' },
  { name: 'xdiag_ino', kind: 'u32' },
  { name: 'xdiag_cookie0', kind: 'u32' },
  { name: 'xdiag_cookie1', kind: 'u32' },
] as const)

/** Reply attribute types (`enum { XDP_DIAG_NONE, ... }`). */
export const XDP_DIAG = {
  XDP_DIAG_NONE: 0,
  XDP_DIAG_INFO: 1,
  XDP_DIAG_UID: 2,
  XDP_DIAG_RX_RING: 3,
  XDP_DIAG_TX_RING: 4,
  XDP_DIAG_UMEM: 5,
  XDP_DIAG_UMEM_FILL_RING: 6,
  XDP_DIAG_UMEM_COMPLETION_RING: 7,
  XDP_DIAG_MEMINFO: 8,
  XDP_DIAG_STATS: 9,
} as const
