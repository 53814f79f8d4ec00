/**
 * `struct tcp_info` (`include/uapi/linux/tcp.h`, 280 bytes on 6.18, layout
 * from the running kernel's BTF) and `struct mptcp_info`
 * (`include/uapi/linux/mptcp.h`, 96 bytes on 6.18).
 *
 * Both structs only grow; a kernel sends its own `sizeof`, so decoders read
 * a field only when it lies entirely inside the attribute.
 */
import { defineStruct } from './struct.js'

/**
 * `struct tcp_info`, 6.18. The C bitfields at bytes 6 and 7 are declared
 * as whole bytes (`tcpi_wscale`, `tcpi_flags7`); see {@link TCPI_BITS} for
 * their little-endian bit positions. Bytes 276–279 follow 6.18 (two u16);
 * later kernels reuse them as one u32 bitfield.
 */
export const tcp_info = defineStruct('tcp_info', 280, [
  { name: 'tcpi_state', kind: 'u8' },
  { name: 'tcpi_ca_state', kind: 'u8' },
  { name: 'tcpi_retransmits', kind: 'u8' },
  { name: 'tcpi_probes', kind: 'u8' },
  { name: 'tcpi_backoff', kind: 'u8' },
  { name: 'tcpi_options', kind: 'u8' },
  { name: 'tcpi_wscale', kind: 'u8' },
  { name: 'tcpi_flags7', kind: 'u8' },
  { name: 'tcpi_rto', kind: 'u32' },
  { name: 'tcpi_ato', kind: 'u32' },
  { name: 'tcpi_snd_mss', kind: 'u32' },
  { name: 'tcpi_rcv_mss', kind: 'u32' },
  { name: 'tcpi_unacked', kind: 'u32' },
  { name: 'tcpi_sacked', kind: 'u32' },
  { name: 'tcpi_lost', kind: 'u32' },
  { name: 'tcpi_retrans', kind: 'u32' },
  { name: 'tcpi_fackets', kind: 'u32' },
  { name: 'tcpi_last_data_sent', kind: 'u32' },
  { name: 'tcpi_last_ack_sent', kind: 'u32' },
  { name: 'tcpi_last_data_recv', kind: 'u32' },
  { name: 'tcpi_last_ack_recv', kind: 'u32' },
  { name: 'tcpi_pmtu', kind: 'u32' },
  { name: 'tcpi_rcv_ssthresh', kind: 'u32' },
  { name: 'tcpi_rtt', kind: 'u32' },
  { name: 'tcpi_rttvar', kind: 'u32' },
  { name: 'tcpi_snd_ssthresh', kind: 'u32' },
  { name: 'tcpi_snd_cwnd', kind: 'u32' },
  { name: 'tcpi_advmss', kind: 'u32' },
  { name: 'tcpi_reordering', kind: 'u32' },
  { name: 'tcpi_rcv_rtt', kind: 'u32' },
  { name: 'tcpi_rcv_space', kind: 'u32' },
  { name: 'tcpi_total_retrans', kind: 'u32' },
  { name: 'tcpi_pacing_rate', kind: 'u64' },
  { name: 'tcpi_max_pacing_rate', kind: 'u64' },
  { name: 'tcpi_bytes_acked', kind: 'u64' },
  { name: 'tcpi_bytes_received', kind: 'u64' },
  { name: 'tcpi_segs_out', kind: 'u32' },
  { name: 'tcpi_segs_in', kind: 'u32' },
  { name: 'tcpi_notsent_bytes', kind: 'u32' },
  { name: 'tcpi_min_rtt', kind: 'u32' },
  { name: 'tcpi_data_segs_in', kind: 'u32' },
  { name: 'tcpi_data_segs_out', kind: 'u32' },
  { name: 'tcpi_delivery_rate', kind: 'u64' },
  { name: 'tcpi_busy_time', kind: 'u64' },
  { name: 'tcpi_rwnd_limited', kind: 'u64' },
  { name: 'tcpi_sndbuf_limited', kind: 'u64' },
  { name: 'tcpi_delivered', kind: 'u32' },
  { name: 'tcpi_delivered_ce', kind: 'u32' },
  { name: 'tcpi_bytes_sent', kind: 'u64' },
  { name: 'tcpi_bytes_retrans', kind: 'u64' },
  { name: 'tcpi_dsack_dups', kind: 'u32' },
  { name: 'tcpi_reord_seen', kind: 'u32' },
  { name: 'tcpi_rcv_ooopack', kind: 'u32' },
  { name: 'tcpi_snd_wnd', kind: 'u32' },
  { name: 'tcpi_rcv_wnd', kind: 'u32' },
  { name: 'tcpi_rehash', kind: 'u32' },
  { name: 'tcpi_total_rto', kind: 'u16' },
  { name: 'tcpi_total_rto_recoveries', kind: 'u16' },
  { name: 'tcpi_total_rto_time', kind: 'u32' },
  { name: 'tcpi_received_ce', kind: 'u32' },
  { name: 'tcpi_delivered_e1_bytes', kind: 'u32' },
  { name: 'tcpi_delivered_e0_bytes', kind: 'u32' },
  { name: 'tcpi_delivered_ce_bytes', kind: 'u32' },
  { name: 'tcpi_received_e1_bytes', kind: 'u32' },
  { name: 'tcpi_received_e0_bytes', kind: 'u32' },
  { name: 'tcpi_received_ce_bytes', kind: 'u32' },
  { name: 'tcpi_accecn_fail_mode', kind: 'u16' },
  { name: 'tcpi_accecn_opt_seen', kind: 'u16' },
] as const)

/** Bit positions inside `tcpi_wscale` (byte 6) and `tcpi_flags7` (byte 7) on little-endian hosts (BTF bit offsets 48, 52, 56, 57). */
export const TCPI_BITS = {
  /** `tcpi_snd_wscale:4`: low nibble of byte 6. */
  snd_wscale: { byte: 'tcpi_wscale', shift: 0, width: 4 },
  /** `tcpi_rcv_wscale:4`: high nibble of byte 6. */
  rcv_wscale: { byte: 'tcpi_wscale', shift: 4, width: 4 },
  /** `tcpi_delivery_rate_app_limited:1`: byte 7 bit 0. */
  delivery_rate_app_limited: { byte: 'tcpi_flags7', shift: 0, width: 1 },
  /** `tcpi_fastopen_client_fail:2`: byte 7 bits 1–2. */
  fastopen_client_fail: { byte: 'tcpi_flags7', shift: 1, width: 2 },
} as const

/** `tcpi_options` bits (`TCPI_OPT_*`). */
export const TCPI_OPT = {
  TCPI_OPT_TIMESTAMPS: 1,
  TCPI_OPT_SACK: 2,
  TCPI_OPT_WSCALE: 4,
  TCPI_OPT_ECN: 8,
  TCPI_OPT_ECN_SEEN: 16,
  TCPI_OPT_SYN_DATA: 32,
  TCPI_OPT_USEC_TS: 64,
  TCPI_OPT_TFO_CHILD: 128,
} as const

/** `struct mptcp_info` (96 bytes on 6.18); INET_DIAG_INFO payload of MPTCP sockets. */
export const mptcp_info = defineStruct('mptcp_info', 96, [
  { name: 'mptcpi_subflows', kind: 'u8' },
  { name: 'mptcpi_add_addr_signal', kind: 'u8' },
  { name: 'mptcpi_add_addr_accepted', kind: 'u8' },
  { name: 'mptcpi_subflows_max', kind: 'u8' },
  { name: 'mptcpi_add_addr_signal_max', kind: 'u8' },
  { name: 'mptcpi_add_addr_accepted_max', kind: 'u8' },
  { name: 'pad6', kind: { bytes: 2 } },
  { name: 'mptcpi_flags', kind: 'u32' },
  { name: 'mptcpi_token', kind: 'u32' },
  { name: 'mptcpi_write_seq', kind: 'u64' },
  { name: 'mptcpi_snd_una', kind: 'u64' },
  { name: 'mptcpi_rcv_nxt', kind: 'u64' },
  { name: 'mptcpi_local_addr_used', kind: 'u8' },
  { name: 'mptcpi_local_addr_max', kind: 'u8' },
  { name: 'mptcpi_csum_enabled', kind: 'u8' },
  { name: 'pad43', kind: 'u8' },
  { name: 'mptcpi_retransmits', kind: 'u32' },
  { name: 'mptcpi_bytes_retrans', kind: 'u64' },
  { name: 'mptcpi_bytes_sent', kind: 'u64' },
  { name: 'mptcpi_bytes_received', kind: 'u64' },
  { name: 'mptcpi_bytes_acked', kind: 'u64' },
  { name: 'mptcpi_subflows_total', kind: 'u8' },
  { name: 'mptcpi_endp_laminar_max', kind: 'u8' },
  { name: 'reserved', kind: { bytes: 2 } },
  { name: 'mptcpi_last_data_sent', kind: 'u32' },
  { name: 'mptcpi_last_data_recv', kind: 'u32' },
  { name: 'mptcpi_last_ack_recv', kind: 'u32' },
] as const)
