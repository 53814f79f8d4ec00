/**
 * Family-independent sock_diag ABI (`include/uapi/linux/sock_diag.h`).
 */

/** Indexes into the u32 array of SKMEMINFO / *_DIAG_MEMINFO attributes (`enum { SK_MEMINFO_RMEM_ALLOC, ... }`). */
export const SK_MEMINFO = {
  SK_MEMINFO_RMEM_ALLOC: 0,
  SK_MEMINFO_RCVBUF: 1,
  SK_MEMINFO_WMEM_ALLOC: 2,
  SK_MEMINFO_SNDBUF: 3,
  SK_MEMINFO_FWD_ALLOC: 4,
  SK_MEMINFO_WMEM_QUEUED: 5,
  SK_MEMINFO_OPTMEM: 6,
  SK_MEMINFO_BACKLOG: 7,
  SK_MEMINFO_DROPS: 8,
} as const

/** Multicast groups of NETLINK_SOCK_DIAG announcing destroyed sockets (`enum sknetlink_groups`). */
export const SKNLGRP = {
  SKNLGRP_NONE: 0,
  SKNLGRP_INET_TCP_DESTROY: 1,
  SKNLGRP_INET_UDP_DESTROY: 2,
  SKNLGRP_INET6_TCP_DESTROY: 3,
  SKNLGRP_INET6_UDP_DESTROY: 4,
} as const

/** `AF_MAX` on 6.18: families at or above it are rejected with EINVAL. */
export const AF_MAX = 46
