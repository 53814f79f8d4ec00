/**
 * Netlink ABI: message header, attribute header, error message and the
 * constants a sock_diag client needs (`include/uapi/linux/netlink.h`,
 * `include/uapi/linux/socket.h`, `include/uapi/asm-generic/socket.h`).
 * Spellings follow the kernel so grep works both ways.
 */
import { defineStruct } from './struct.js'

/** `NETLINK_SOCK_DIAG`: the netlink protocol that carries sock_diag (`netlink.h`). */
export const NETLINK_SOCK_DIAG = 4

/** Socket-level constants for creating and tuning a netlink socket (`socket.h`, `asm-generic/socket.h`). */
export const SOCK = {
  SOCK_STREAM: 1,
  SOCK_DGRAM: 2,
  SOCK_RAW: 3,
  SOCK_SEQPACKET: 5,
  /** Close the fd across exec (OR-ed into the socket type). */
  SOCK_CLOEXEC: 0o2000000,
} as const

/** `SOL_SOCKET` options used by the runtime (`asm-generic/socket.h`). */
export const SOL_SOCKET = 1
/** `SOL_SOCKET` option numbers. */
export const SO = {
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  /** Like SO_RCVBUF but ignores `rmem_max` (needs CAP_NET_ADMIN). */
  SO_RCVBUFFORCE: 33,
  /** Attach a classic BPF program (`struct sock_fprog`) run on every message before it is queued (`sk_filter`). */
  SO_ATTACH_FILTER: 26,
  /** Remove the attached socket filter (ENOENT when none). */
  SO_DETACH_FILTER: 27,
  /** Receive timeout, a `struct timeval` (the 64-bit-time_t `SO_RCVTIMEO_OLD` on x86-64/arm64): a blocked recv returns EAGAIN after it. */
  SO_RCVTIMEO: 20,
} as const

/** `SOL_NETLINK` socket-option level (`socket.h`). */
export const SOL_NETLINK = 270
/** `SOL_NETLINK` option numbers (`netlink.h`). */
export const NETLINK_OPT = {
  NETLINK_ADD_MEMBERSHIP: 1,
  NETLINK_DROP_MEMBERSHIP: 2,
  NETLINK_PKTINFO: 3,
  NETLINK_BROADCAST_ERROR: 4,
  NETLINK_NO_ENOBUFS: 5,
  NETLINK_LISTEN_ALL_NSID: 8,
  /** Do not echo the request payload in NLMSG_ERROR. */
  NETLINK_CAP_ACK: 10,
  /** Allow extended-ack TLVs (message text, offset) after NLMSG_ERROR. */
  NETLINK_EXT_ACK: 11,
  NETLINK_GET_STRICT_CHK: 12,
} as const

/** Netlink control message types (`netlink.h`); family types start at NLMSG_MIN_TYPE. */
export const NLMSG = {
  NLMSG_NOOP: 1,
  NLMSG_ERROR: 2,
  NLMSG_DONE: 3,
  NLMSG_OVERRUN: 4,
  NLMSG_MIN_TYPE: 16,
} as const

/** `nlmsg_flags` bits (`netlink.h`). The same bit means different things on GET requests and on ACKs. */
export const NLM_F = {
  NLM_F_REQUEST: 0x1,
  NLM_F_MULTI: 0x2,
  NLM_F_ACK: 0x4,
  NLM_F_ECHO: 0x8,
  /** The dump was interrupted by a change; the result may be inconsistent. */
  NLM_F_DUMP_INTR: 0x10,
  NLM_F_DUMP_FILTERED: 0x20,
  /** GET request modifiers. */
  NLM_F_ROOT: 0x100,
  NLM_F_MATCH: 0x200,
  NLM_F_ATOMIC: 0x400,
  NLM_F_DUMP: 0x300,
  /** ACK/ERROR modifiers: request payload omitted; extended-ack TLVs follow. */
  NLM_F_CAPPED: 0x100,
  NLM_F_ACK_TLVS: 0x200,
} as const

/** Extended-ack TLV types after an NLMSG_ERROR (`enum nlmsgerr_attrs`). */
export const NLMSGERR_ATTR = {
  NLMSGERR_ATTR_UNUSED: 0,
  NLMSGERR_ATTR_MSG: 1,
  NLMSGERR_ATTR_OFFS: 2,
  NLMSGERR_ATTR_COOKIE: 3,
  NLMSGERR_ATTR_POLICY: 4,
  NLMSGERR_ATTR_MISS_TYPE: 5,
  NLMSGERR_ATTR_MISS_NEST: 6,
} as const

/** `nla_type` flag bits; the type proper is the low 14 bits (`NLA_TYPE_MASK`). */
export const NLA_F_NESTED = 0x8000
/** `nla_type` flag: payload in network byte order. */
export const NLA_F_NET_BYTEORDER = 0x4000
/** Mask selecting the attribute type from `nla_type`. */
export const NLA_TYPE_MASK = 0x3fff

/** Netlink messages and attributes are padded to 4 bytes (`NLMSG_ALIGNTO`, `NLA_ALIGNTO`). */
export const NLMSG_ALIGNTO = 4

/** `struct nlmsghdr` (16 bytes), host order. */
export const nlmsghdr = defineStruct('nlmsghdr', 16, [
  { name: 'nlmsg_len', kind: 'u32' },
  { name: 'nlmsg_type', kind: 'u16' },
  { name: 'nlmsg_flags', kind: 'u16' },
  { name: 'nlmsg_seq', kind: 'u32' },
  { name: 'nlmsg_pid', kind: 'u32' },
] as const)

/** `struct nlattr` (4 bytes): `nla_len` includes this header. */
export const nlattr = defineStruct('nlattr', 4, [
  { name: 'nla_len', kind: 'u16' },
  { name: 'nla_type', kind: 'u16' },
] as const)

/**
 * `struct nlmsgerr` (20 bytes): negative errno (0 = ACK) followed by the
 * header of the request it answers, flattened (`msg.*`).
 */
export const nlmsgerr = defineStruct('nlmsgerr', 20, [
  { name: 'error', kind: 's32' },
  { name: 'msg_len', kind: 'u32' },
  { name: 'msg_type', kind: 'u16' },
  { name: 'msg_flags', kind: 'u16' },
  { name: 'msg_seq', kind: 'u32' },
  { name: 'msg_pid', kind: 'u32' },
] as const)

/** `struct sockaddr_nl` (12 bytes): the kernel is `nl_pid` 0. */
export const sockaddr_nl = defineStruct('sockaddr_nl', 12, [
  { name: 'nl_family', kind: 'u16' },
  { name: 'nl_pad', kind: 'u16' },
  { name: 'nl_pid', kind: 'u32' },
  { name: 'nl_groups', kind: 'u32' },
] as const)
