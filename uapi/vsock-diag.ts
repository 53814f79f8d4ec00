/**
 * vsock_diag ABI (`include/uapi/linux/vm_sockets_diag.h`). Not built on the
 * reference kernel (requests get ENOENT); replies carry no attributes.
 */
import { defineStruct } from './struct.js'

/** `struct vsock_diag_req` (24 bytes); protocol, ino and show must be 0. */
export const vsock_diag_req = defineStruct('vsock_diag_req', 24, [
  { name: 'sdiag_family', kind: 'u8' },
  { name: 'sdiag_protocol', kind: 'u8' },
  { name: 'pad', kind: 'u16' },
  { name: 'vdiag_states', kind: 'u32' },
  { name: 'vdiag_ino', kind: 'u32' },
  { name: 'vdiag_show', kind: 'u32' },
  { name: 'vdiag_cookie0', kind: 'u32' },
  { name: 'vdiag_cookie1', kind: 'u32' },
] as const)

/** `struct vsock_diag_msg` (32 bytes). */
export const vsock_diag_msg = defineStruct('vsock_diag_msg', 32, [
  { name: 'vdiag_family', kind: 'u8' },
  { name: 'vdiag_type', kind: 'u8' },
  { name: 'vdiag_state', kind: 'u8' },
  { name: 'vdiag_shutdown', kind: 'u8' },
  { name: 'vdiag_src_cid', kind: 'u32' },
  { name: 'vdiag_src_port', kind: 'u32' },
  { name: 'vdiag_dst_cid', kind: 'u32' },
  { name: 'vdiag_dst_port', kind: 'u32' },
  { name: 'vdiag_ino', kind: 'u32' },
  { name: 'vdiag_cookie0', kind: 'u32' },
  { name: 'vdiag_cookie1', kind: 'u32' },
] as const)
