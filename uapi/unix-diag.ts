/**
 * unix_diag ABI (`include/uapi/linux/unix_diag.h`). Reply attribute types
 * start at 0 (no NONE entry), unlike inet_diag.
 */
import { defineStruct } from './struct.js'

/** `struct unix_diag_req` (24 bytes). */
export const unix_diag_req = defineStruct('unix_diag_req', 24, [
  { name: 'sdiag_family', kind: 'u8' },
  { name: 'sdiag_protocol', kind: 'u8' },
  { name: 'pad', kind: 'u16' },
  { name: 'udiag_states', kind: 'u32' },
  { name: 'udiag_ino', kind: 'u32' },
  { name: 'udiag_show', kind: 'u32' },
  { name: 'udiag_cookie0', kind: 'u32' },
  { name: 'udiag_cookie1', kind: 'u32' },
] as const)

/** `udiag_show` bits: which attributes to include (`UDIAG_SHOW_*`). */
export const UDIAG_SHOW = {
  UDIAG_SHOW_NAME: 0x01,
  UDIAG_SHOW_VFS: 0x02,
  UDIAG_SHOW_PEER: 0x04,
  UDIAG_SHOW_ICONS: 0x08,
  UDIAG_SHOW_RQLEN: 0x10,
  UDIAG_SHOW_MEMINFO: 0x20,
  UDIAG_SHOW_UID: 0x40,
} as const

/** `struct unix_diag_msg` (16 bytes). */
export const unix_diag_msg = defineStruct('unix_diag_msg', 16, [
  { name: 'udiag_family', kind: 'u8' },
  { name: 'udiag_type', kind: 'u8' },
  { name: 'udiag_state', kind: 'u8' },
  { name: 'pad', kind: 'u8' },
  { name: 'udiag_ino', kind: 'u32' },
  { name: 'udiag_cookie0', kind: 'u32' },
  { name: 'udiag_cookie1', kind: 'u32' },
] as const)

/** Reply attribute types (`enum { UNIX_DIAG_NAME, ... }`). */
export const UNIX_DIAG = {
  UNIX_DIAG_NAME: 0,
  UNIX_DIAG_VFS: 1,
  UNIX_DIAG_PEER: 2,
  UNIX_DIAG_ICONS: 3,
  UNIX_DIAG_RQLEN: 4,
  UNIX_DIAG_MEMINFO: 5,
  UNIX_DIAG_SHUTDOWN: 6,
  UNIX_DIAG_UID: 7,
} as const

/** `struct unix_diag_vfs` (8 bytes); `udiag_vfs_dev` is the kernel-internal dev_t (major << 20 | minor). */
export const unix_diag_vfs = defineStruct('unix_diag_vfs', 8, [
  { name: 'udiag_vfs_ino', kind: 'u32' },
  { name: 'udiag_vfs_dev', kind: 'u32' },
] as const)

/** `struct unix_diag_rqlen` (8 bytes): listeners report pending count / backlog, others rx / tx queue bytes. */
export const unix_diag_rqlen = defineStruct('unix_diag_rqlen', 8, [
  { name: 'udiag_rqueue', kind: 'u32' },
  { name: 'udiag_wqueue', kind: 'u32' },
] as const)
