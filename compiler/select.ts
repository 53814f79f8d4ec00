/**
 * Which socket tables, families and states a command selects: ss's option
 * semantics (`-t -u -x -4 -A … -a -l state …`, spec ss-behavior §2).
 * Pure: no I/O.
 */

/** ss's socket tables ("dbs"), with ss's bit numbers (used for the "one table → hide Netid" rule). */
export const TABLE = {
  tcp: 0,
  mptcp: 1,
  dccp: 2,
  udp: 3,
  raw: 4,
  unix_dgram: 5,
  unix_stream: 6,
  unix_seqpacket: 7,
  packet_dgram: 8,
  packet_raw: 9,
  netlink: 10,
  sctp: 11,
  vsock_stream: 12,
  vsock_dgram: 13,
  tipc: 14,
  xdp: 15,
} as const

/** A table name. */
export type TableName = keyof typeof TABLE

/** The result of option processing, before the filter's own side effects. */
export interface Selection {
  /** Bitmask of `1 << TABLE[name]`. */
  readonly tables: number
  /** Bitmask of `1 << AF_*` (AF_INET, AF_INET6, AF_UNIX, AF_PACKET, AF_NETLINK, AF_VSOCK, AF_TIPC, AF_XDP). */
  readonly families: number
  /** `idiag_states`-style bitmask (ss 6.1 numbering: SS_ALL = 0xfff). */
  readonly states: number
  /** ss's `preferred_family` (AF_UNSPEC = 0 unless -4/-6/-0/-x/-f/--vsock/--tipc/--xdp). */
  readonly preferredFamily: number
}
