/**
 * tipc socket diag ABI (`include/uapi/linux/tipc_sockets_diag.h`). Not
 * built on the reference kernel; replies use TIPC's generic-netlink nested
 * attributes rather than a fixed struct, so only the request is declared.
 */
import { defineStruct } from './struct.js'

/** `struct tipc_sock_diag_req` (8 bytes). */
export const tipc_sock_diag_req = defineStruct('tipc_sock_diag_req', 8, [
  { name: 'sdiag_family', kind: 'u8' },
  { name: 'sdiag_protocol', kind: 'u8' },
  { name: 'pad', kind: 'u16' },
  { name: 'tidiag_states', kind: 'u32' },
] as const)
