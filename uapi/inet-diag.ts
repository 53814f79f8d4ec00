/**
 * inet_diag ABI: constants and structs from `include/uapi/linux/inet_diag.h`,
 * `include/uapi/linux/sock_diag.h` and `include/net/tcp_states.h`.
 * Spellings follow the kernel so grep works both ways.
 */
import { defineStruct } from './struct.js'

/** Address families (`include/linux/socket.h`). */
export const AF = {
  AF_UNSPEC: 0,
  AF_UNIX: 1,
  AF_INET: 2,
  AF_INET6: 10,
  AF_NETLINK: 16,
  AF_PACKET: 17,
  AF_TIPC: 30,
  AF_VSOCK: 40,
  AF_SMC: 43,
  AF_XDP: 44,
} as const

/** IP protocol numbers (`include/uapi/linux/in.h`). */
export const IPPROTO = {
  IPPROTO_TCP: 6,
  IPPROTO_UDP: 17,
  IPPROTO_DCCP: 33,
  IPPROTO_SCTP: 132,
  IPPROTO_UDPLITE: 136,
  IPPROTO_RAW: 255,
  IPPROTO_MPTCP: 262,
} as const

/** sock_diag message types (`include/uapi/linux/sock_diag.h`, `inet_diag.h`). */
export const SOCK_DIAG = {
  TCPDIAG_GETSOCK: 18,
  DCCPDIAG_GETSOCK: 19,
  SOCK_DIAG_BY_FAMILY: 20,
  SOCK_DESTROY: 21,
} as const

/** TCP states (`include/net/tcp_states.h`); `idiag_states` bit n selects state n. */
export const TCP_STATE = {
  TCP_ESTABLISHED: 1,
  TCP_SYN_SENT: 2,
  TCP_SYN_RECV: 3,
  TCP_FIN_WAIT1: 4,
  TCP_FIN_WAIT2: 5,
  TCP_TIME_WAIT: 6,
  TCP_CLOSE: 7,
  TCP_CLOSE_WAIT: 8,
  TCP_LAST_ACK: 9,
  TCP_LISTEN: 10,
  TCP_CLOSING: 11,
  TCP_NEW_SYN_RECV: 12,
  TCP_BOUND_INACTIVE: 13,
} as const

/** `sk_userlocks` bit set when the application bound an explicit port (`include/net/sock.h`). */
export const SOCK_BINDPORT_LOCK = 0x8

/** Request attributes after `inet_diag_req_v2` (`enum { INET_DIAG_REQ_NONE, ... }`). */
export const INET_DIAG_REQ = {
  INET_DIAG_REQ_NONE: 0,
  INET_DIAG_REQ_BYTECODE: 1,
  INET_DIAG_REQ_SK_BPF_STORAGES: 2,
  INET_DIAG_REQ_PROTOCOL: 3,
} as const

/** Reply attribute types; bit (type-1) of `idiag_ext` requests type (`enum { INET_DIAG_NONE, ... }`). */
export const INET_DIAG = {
  INET_DIAG_NONE: 0,
  INET_DIAG_MEMINFO: 1,
  INET_DIAG_INFO: 2,
  INET_DIAG_VEGASINFO: 3,
  INET_DIAG_CONG: 4,
  INET_DIAG_TOS: 5,
  INET_DIAG_TCLASS: 6,
  INET_DIAG_SKMEMINFO: 7,
  INET_DIAG_SHUTDOWN: 8,
  INET_DIAG_DCTCPINFO: 9,
  INET_DIAG_PROTOCOL: 10,
  INET_DIAG_SKV6ONLY: 11,
  INET_DIAG_LOCALS: 12,
  INET_DIAG_PEERS: 13,
  INET_DIAG_PAD: 14,
  INET_DIAG_MARK: 15,
  INET_DIAG_BBRINFO: 16,
  INET_DIAG_CLASS_ID: 17,
  INET_DIAG_MD5SIG: 18,
  INET_DIAG_ULP_INFO: 19,
  INET_DIAG_SK_BPF_STORAGES: 20,
  INET_DIAG_CGROUP_ID: 21,
  INET_DIAG_SOCKOPT: 22,
} as const

/** Largest bytecode payload: `nla_len` is a u16 holding 4 + length, rounded down to 4 (kernel-sock-diag §2.2). */
export const INET_DIAG_BC_MAX_LEN = 65528

/** `struct inet_diag_bc_op`: one bytecode instruction header. `no` is host order. */
export const inet_diag_bc_op = defineStruct('inet_diag_bc_op', 4, [
  { name: 'code', kind: 'u8' },
  { name: 'yes', kind: 'u8' },
  { name: 'no', kind: 'u16' },
] as const)

/** `struct inet_diag_hostcond` without its flexible `addr[]`; 2 padding bytes after prefix_len. */
export const inet_diag_hostcond = defineStruct('inet_diag_hostcond', 8, [
  { name: 'family', kind: 'u8' },
  { name: 'prefix_len', kind: 'u8' },
  { name: 'pad', kind: { bytes: 2 } },
  { name: 'port', kind: 's32' },
] as const)

/** `struct inet_diag_markcond`. */
export const inet_diag_markcond = defineStruct('inet_diag_markcond', 8, [
  { name: 'mark', kind: 'u32' },
  { name: 'mask', kind: 'u32' },
] as const)

/** `struct inet_diag_sockid`: ports and addresses in network order, `idiag_if` and cookie in host order. */
export const inet_diag_sockid = defineStruct('inet_diag_sockid', 48, [
  { name: 'idiag_sport', kind: 'u16', order: 'be' },
  { name: 'idiag_dport', kind: 'u16', order: 'be' },
  { name: 'idiag_src', kind: { bytes: 16 } },
  { name: 'idiag_dst', kind: { bytes: 16 } },
  { name: 'idiag_if', kind: 'u32' },
  { name: 'idiag_cookie0', kind: 'u32' },
  { name: 'idiag_cookie1', kind: 'u32' },
] as const)

/** `struct inet_diag_req_v2` without its embedded sockid (which follows at offset 8). */
export const inet_diag_req_v2_head = defineStruct('inet_diag_req_v2(head)', 8, [
  { name: 'sdiag_family', kind: 'u8' },
  { name: 'sdiag_protocol', kind: 'u8' },
  { name: 'idiag_ext', kind: 'u8' },
  { name: 'pad', kind: 'u8' },
  { name: 'idiag_states', kind: 'u32' },
] as const)

/** sizeof(struct inet_diag_req_v2). */
export const INET_DIAG_REQ_V2_SIZE = inet_diag_req_v2_head.size + inet_diag_sockid.size
