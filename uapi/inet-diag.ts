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

/** `INET_DIAG_NOCOOKIE`: both cookie words set to this mean "any cookie". */
export const INET_DIAG_NOCOOKIE = 0xffffffff

/**
 * `struct inet_diag_msg` (72 bytes): the fixed part of every inet reply.
 * The embedded `inet_diag_sockid` (at offset 4) is flattened here because
 * struct tables do not nest; its field names are the kernel's.
 */
export const inet_diag_msg = defineStruct('inet_diag_msg', 72, [
  { name: 'idiag_family', kind: 'u8' },
  { name: 'idiag_state', kind: 'u8' },
  { name: 'idiag_timer', kind: 'u8' },
  { name: 'idiag_retrans', kind: 'u8' },
  { name: 'idiag_sport', kind: 'u16', order: 'be' },
  { name: 'idiag_dport', kind: 'u16', order: 'be' },
  { name: 'idiag_src', kind: { bytes: 16 } },
  { name: 'idiag_dst', kind: { bytes: 16 } },
  { name: 'idiag_if', kind: 'u32' },
  { name: 'idiag_cookie0', kind: 'u32' },
  { name: 'idiag_cookie1', kind: 'u32' },
  { name: 'idiag_expires', kind: 'u32' },
  { name: 'idiag_rqueue', kind: 'u32' },
  { name: 'idiag_wqueue', kind: 'u32' },
  { name: 'idiag_uid', kind: 'u32' },
  { name: 'idiag_inode', kind: 'u32' },
] as const)

/**
 * Legacy `struct inet_diag_req` (60 bytes) used with TCPDIAG_GETSOCK (18):
 * the sockid sits at offset 4 (flattened), states and dbs after it.
 */
export const inet_diag_req = defineStruct('inet_diag_req', 60, [
  { name: 'idiag_family', kind: 'u8' },
  { name: 'idiag_src_len', kind: 'u8' },
  { name: 'idiag_dst_len', kind: 'u8' },
  { name: 'idiag_ext', kind: 'u8' },
  { name: 'idiag_sport', kind: 'u16', order: 'be' },
  { name: 'idiag_dport', kind: 'u16', order: 'be' },
  { name: 'idiag_src', kind: { bytes: 16 } },
  { name: 'idiag_dst', kind: { bytes: 16 } },
  { name: 'idiag_if', kind: 'u32' },
  { name: 'idiag_cookie0', kind: 'u32' },
  { name: 'idiag_cookie1', kind: 'u32' },
  { name: 'idiag_states', kind: 'u32' },
  { name: 'idiag_dbs', kind: 'u32' },
] as const)

/** `struct inet_diag_meminfo` (INET_DIAG_MEMINFO, 16 bytes). */
export const inet_diag_meminfo = defineStruct('inet_diag_meminfo', 16, [
  { name: 'idiag_rmem', kind: 'u32' },
  { name: 'idiag_wmem', kind: 'u32' },
  { name: 'idiag_fmem', kind: 'u32' },
  { name: 'idiag_tmem', kind: 'u32' },
] as const)

/** `struct tcpvegas_info` (INET_DIAG_VEGASINFO, 16 bytes, `include/uapi/linux/inet_diag.h`). */
export const tcpvegas_info = defineStruct('tcpvegas_info', 16, [
  { name: 'tcpv_enabled', kind: 'u32' },
  { name: 'tcpv_rttcnt', kind: 'u32' },
  { name: 'tcpv_rtt', kind: 'u32' },
  { name: 'tcpv_minrtt', kind: 'u32' },
] as const)

/** `struct tcp_dctcp_info` (INET_DIAG_DCTCPINFO, 16 bytes). */
export const tcp_dctcp_info = defineStruct('tcp_dctcp_info', 16, [
  { name: 'dctcp_enabled', kind: 'u16' },
  { name: 'dctcp_ce_state', kind: 'u16' },
  { name: 'dctcp_alpha', kind: 'u32' },
  { name: 'dctcp_ab_ecn', kind: 'u32' },
  { name: 'dctcp_ab_tot', kind: 'u32' },
] as const)

/** `struct tcp_bbr_info` (INET_DIAG_BBRINFO, 20 bytes): bandwidth split in two u32 halves. */
export const tcp_bbr_info = defineStruct('tcp_bbr_info', 20, [
  { name: 'bbr_bw_lo', kind: 'u32' },
  { name: 'bbr_bw_hi', kind: 'u32' },
  { name: 'bbr_min_rtt', kind: 'u32' },
  { name: 'bbr_pacing_gain', kind: 'u32' },
  { name: 'bbr_cwnd_gain', kind: 'u32' },
] as const)

/** `struct tcp_diag_md5sig` (one INET_DIAG_MD5SIG array entry, 100 bytes; `include/uapi/linux/tcp.h`). */
export const tcp_diag_md5sig = defineStruct('tcp_diag_md5sig', 100, [
  { name: 'tcpm_family', kind: 'u8' },
  { name: 'tcpm_prefixlen', kind: 'u8' },
  { name: 'tcpm_keylen', kind: 'u16' },
  { name: 'tcpm_addr', kind: { bytes: 16 } },
  { name: 'tcpm_key', kind: { bytes: 80 } },
] as const)

/** Nested attributes of INET_DIAG_ULP_INFO (`include/uapi/linux/inet_diag.h`). */
export const INET_ULP_INFO = { INET_ULP_INFO_NAME: 1, INET_ULP_INFO_TLS: 2, INET_ULP_INFO_MPTCP: 3 } as const

/** Nested attributes of INET_ULP_INFO_TLS (`include/uapi/linux/tls.h`): u16 values except the flags. */
export const TLS_INFO = {
  TLS_INFO_VERSION: 1, TLS_INFO_CIPHER: 2, TLS_INFO_TXCONF: 3, TLS_INFO_RXCONF: 4,
  /** Flag (no payload). */
  TLS_INFO_ZC_RO_TX: 5,
  /** Flag (no payload). */
  TLS_INFO_RX_NO_PAD: 6,
} as const

/** Nested attributes of INET_ULP_INFO_MPTCP (`include/uapi/linux/mptcp.h`). */
export const MPTCP_SUBFLOW_ATTR = {
  /** u32 */ MPTCP_SUBFLOW_ATTR_TOKEN_REM: 1,
  /** u32 */ MPTCP_SUBFLOW_ATTR_TOKEN_LOC: 2,
  /** u32 */ MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ: 3,
  /** u64 */ MPTCP_SUBFLOW_ATTR_MAP_SEQ: 4,
  /** u32 */ MPTCP_SUBFLOW_ATTR_MAP_SFSEQ: 5,
  /** u32 */ MPTCP_SUBFLOW_ATTR_SSN_OFFSET: 6,
  /** u16 */ MPTCP_SUBFLOW_ATTR_MAP_DATALEN: 7,
  /** u32, MPTCP_SUBFLOW_FLAG_* */ MPTCP_SUBFLOW_ATTR_FLAGS: 8,
  /** u8 */ MPTCP_SUBFLOW_ATTR_ID_REM: 9,
  /** u8 */ MPTCP_SUBFLOW_ATTR_ID_LOC: 10,
  MPTCP_SUBFLOW_ATTR_PAD: 11,
} as const

/** `struct inet_diag_sockopt` bits (INET_DIAG_SOCKOPT, 2 bytes read as a little-endian u16). */
export const INET_DIAG_SOCKOPT_BIT = {
  recverr: 0x1,
  is_icsk: 0x2,
  freebind: 0x4,
  hdrincl: 0x8,
  mc_loop: 0x10,
  transparent: 0x20,
  mc_all: 0x40,
  nodefrag: 0x80,
  bind_address_no_port: 0x100,
  recverr_rfc4884: 0x200,
  defer_connect: 0x400,
} as const
