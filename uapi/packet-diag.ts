/**
 * packet_diag ABI (`include/uapi/linux/packet_diag.h`). Attribute types
 * start at 0. Requests must be dumps with `sdiag_protocol` 0.
 */
import { defineStruct } from './struct.js'

/** `struct packet_diag_req` (20 bytes). */
export const packet_diag_req = defineStruct('packet_diag_req', 20, [
  { name: 'sdiag_family', kind: 'u8' },
  { name: 'sdiag_protocol', kind: 'u8' },
  { name: 'pad', kind: 'u16' },
  { name: 'pdiag_ino', kind: 'u32' },
  { name: 'pdiag_show', kind: 'u32' },
  { name: 'pdiag_cookie0', kind: 'u32' },
  { name: 'pdiag_cookie1', kind: 'u32' },
] as const)

/** `pdiag_show` bits (`PACKET_SHOW_*`). */
export const PACKET_SHOW = {
  PACKET_SHOW_INFO: 0x01,
  PACKET_SHOW_MCLIST: 0x02,
  PACKET_SHOW_RING_CFG: 0x04,
  PACKET_SHOW_FANOUT: 0x08,
  PACKET_SHOW_MEMINFO: 0x10,
  PACKET_SHOW_FILTER: 0x20,
} as const

/** `struct packet_diag_msg` (16 bytes); `pdiag_num` is the bound ethertype in host order. */
export const packet_diag_msg = defineStruct('packet_diag_msg', 16, [
  { name: 'pdiag_family', kind: 'u8' },
  { name: 'pdiag_type', kind: 'u8' },
  { name: 'pdiag_num', kind: 'u16' },
  { name: 'pdiag_ino', kind: 'u32' },
  { name: 'pdiag_cookie0', kind: 'u32' },
  { name: 'pdiag_cookie1', kind: 'u32' },
] as const)

/** Reply attribute types (`enum { PACKET_DIAG_INFO, ... }`). */
export const PACKET_DIAG = {
  PACKET_DIAG_INFO: 0,
  PACKET_DIAG_MCLIST: 1,
  PACKET_DIAG_RX_RING: 2,
  PACKET_DIAG_TX_RING: 3,
  PACKET_DIAG_FANOUT: 4,
  PACKET_DIAG_UID: 5,
  PACKET_DIAG_MEMINFO: 6,
  PACKET_DIAG_FILTER: 7,
} as const

/** `struct packet_diag_info` (24 bytes). */
export const packet_diag_info = defineStruct('packet_diag_info', 24, [
  { name: 'pdi_index', kind: 'u32' },
  { name: 'pdi_version', kind: 'u32' },
  { name: 'pdi_reserve', kind: 'u32' },
  { name: 'pdi_copy_thresh', kind: 'u32' },
  { name: 'pdi_tstamp', kind: 'u32' },
  { name: 'pdi_flags', kind: 'u32' },
] as const)

/** `pdi_flags` bits (`PDI_*`). */
export const PDI = {
  PDI_RUNNING: 0x1,
  PDI_AUXDATA: 0x2,
  PDI_ORIGDEV: 0x4,
  PDI_VNETHDR: 0x8,
  PDI_LOSS: 0x10,
} as const

/** `struct packet_diag_mclist` (44 bytes); PACKET_DIAG_MCLIST is a packed array of these. */
export const packet_diag_mclist = defineStruct('packet_diag_mclist', 44, [
  { name: 'pdmc_index', kind: 'u32' },
  { name: 'pdmc_count', kind: 'u32' },
  { name: 'pdmc_type', kind: 'u16' },
  { name: 'pdmc_alen', kind: 'u16' },
  { name: 'pdmc_addr', kind: { bytes: 32 } },
] as const)

/** `struct packet_diag_ring` (28 bytes): RX_RING / TX_RING. */
export const packet_diag_ring = defineStruct('packet_diag_ring', 28, [
  { name: 'pdr_block_size', kind: 'u32' },
  { name: 'pdr_block_nr', kind: 'u32' },
  { name: 'pdr_frame_size', kind: 'u32' },
  { name: 'pdr_frame_nr', kind: 'u32' },
  { name: 'pdr_retire_tmo', kind: 'u32' },
  { name: 'pdr_sizeof_priv', kind: 'u32' },
  { name: 'pdr_features', kind: 'u32' },
] as const)

/** PACKET_DIAG_FILTER is an array of `struct sock_filter`, declared once with the classic BPF tables. */
export { sock_filter } from './bpf-classic.js'
