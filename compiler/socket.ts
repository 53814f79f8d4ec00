/**
 * The view of a socket that filters are evaluated against, both by the
 * kernel-interpreter port and by the AST evaluator. The runtime's decoded
 * records carry these fields under these names, so they can be passed
 * as they are.
 */

/** A socket as a filter sees it. Unused fields for a family may be absent. */
export interface FilterSocket {
  /** AF_INET, AF_INET6, AF_UNIX, AF_PACKET, AF_NETLINK, AF_VSOCK, … */
  readonly family: number
  /** State number as reported (TCP_* numbering; TIME-WAIT sockets report their substate 6 or 5). */
  readonly state: number
  /** inet: local address, 4 or 16 bytes in network order. */
  readonly localAddr?: Uint8Array
  /** inet: remote address. */
  readonly remoteAddr?: Uint8Array
  /**
   * Local "port" in ss's sense: inet port; unix inode; packet ifindex;
   * netlink portid; vsock port.
   */
  readonly localPort: number
  /** Remote "port": inet port; unix peer inode (0 if none); netlink -1; vsock port. */
  readonly remotePort: number
  /** Bound device (`idiag_if`), 0 when unbound. */
  readonly ifindex?: number
  /** SO_MARK (tw_mark / ir_mark for TIME-WAIT and request sockets). */
  readonly mark?: number
  /** cgroup v2 id; 0 for TIME-WAIT and request sockets. */
  readonly cgroupId?: bigint
  /** Kernel `sk_userlocks` (0 for TIME-WAIT and request sockets); bit 0x8 = port explicitly bound. */
  readonly userlocks?: number
  /** unix: bound path, abstract name with NUL bytes as `@`, or undefined when unnamed. */
  readonly localName?: string
  /** unix: peer name (never filled over netlink by ss 6.1). */
  readonly remoteName?: string
  /** packet: link-layer protocol; netlink: netlink protocol. */
  readonly protocol?: number
  /** vsock CIDs. */
  readonly localCid?: number
  readonly remoteCid?: number
  /**
   * INET_DIAG_SHUTDOWN; the kernel sends it for every full inet socket and
   * never for TIME-WAIT or request sockets, which is how metrics tell the
   * latter's placeholder zeros (uid, ino, queues) from real values.
   */
  readonly shutdown?: number
  /** `idiag_rqueue` / UNIX_DIAG_RQLEN: receive queue (listeners: accept backlog). */
  readonly rqueue?: number
  /** `idiag_wqueue` / UNIX_DIAG_RQLEN: send queue (listeners: maximum backlog). */
  readonly wqueue?: number
  /** `idiag_uid` / UNIX_DIAG_UID / PACKET_DIAG_UID. */
  readonly uid?: number
  /** Socket inode (`idiag_inode`, `udiag_ino`, …). */
  readonly inode?: number
  /** INET_DIAG_INFO of a TCP socket, when it was requested and sent (the runtime's camelCased `struct tcp_info`). */
  readonly tcpInfo?: FilterTcpInfo
}

/** The `struct tcp_info` members metrics read (camelCase without `tcpi_`; absent when the kernel's struct is shorter). */
export interface FilterTcpInfo {
  readonly rtt?: number
  readonly rttvar?: number
  readonly rto?: number
  readonly sndMss?: number
  readonly sndCwnd?: number
  readonly sndSsthresh?: number
  readonly totalRetrans?: number
  readonly lost?: number
  readonly unacked?: number
  readonly bytesSent?: bigint | number
  readonly bytesAcked?: bigint | number
  readonly bytesReceived?: bigint | number
  readonly segsIn?: number
  readonly segsOut?: number
  readonly lastDataSent?: number
  readonly lastDataRecv?: number
  readonly lastAckRecv?: number
}
