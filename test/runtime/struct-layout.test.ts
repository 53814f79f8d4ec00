// Every uapi struct table checked against the C compiler's rules as koffi
// applies them: the same struct declared C-style (natural alignment, nested
// sockid, arrays) must have the same sizeof and the same field offsets.
// Padding fields declared in the tables (pad*, reserved) have no C twin;
// their neighbours' offsets prove them right.
import t from 'tap'
import koffi from 'koffi'
import type { TypeObject } from 'koffi'
import type { FieldSpec, StructDef } from '../../uapi/struct.js'
import * as inet from '../../uapi/inet-diag.js'
import * as nl from '../../uapi/netlink.js'
import * as tcp from '../../uapi/tcp-info.js'
import * as unix from '../../uapi/unix-diag.js'
import * as packet from '../../uapi/packet-diag.js'
import * as ndiag from '../../uapi/netlink-diag.js'
import * as vsock from '../../uapi/vsock-diag.js'
import * as xdp from '../../uapi/xdp-diag.js'
import * as tipc from '../../uapi/tipc-diag.js'

type C = Record<string, string | TypeObject>
const u8 = 'uint8_t', u16 = 'uint16_t', u32 = 'uint32_t', s32 = 'int32_t', u64 = 'uint64_t'
const arr = (type: string, n: number): TypeObject => koffi.array(type, n, 'Array')

const sockidFields: C = { idiag_sport: u16, idiag_dport: u16, idiag_src: arr(u32, 4), idiag_dst: arr(u32, 4), idiag_if: u32, idiag_cookie: arr(u32, 2) }
const sockid = koffi.struct('c_inet_diag_sockid', sockidFields)

/** Offset of a flattened table field in the C struct: nested sockid fields and cookie[0]/[1]. */
function cOffset(type: TypeObject, members: C, name: string, nested: string | null): number | null {
  const cookie = /^(\w+_cookie)([01])$/.exec(name)
  const fields = Object.keys(members)
  if (fields.includes(name)) return koffi.offsetof(type, name)
  if (cookie && fields.includes(cookie[1]!)) return koffi.offsetof(type, cookie[1]!) + 4 * Number(cookie[2])
  if (nested !== null) {
    const sub = cOffset(sockid, sockidFields, name, null)
    if (sub !== null) return koffi.offsetof(type, nested) + sub
  }
  return null
}

let counter = 0
function check<F extends readonly FieldSpec[]>(def: StructDef<F>, c: C, nested: string | null = null): void {
  const type = koffi.struct(`c_${def.name.replace(/\W/g, '_')}_${counter++}`, c)
  t.test(def.name, async (t) => {
    t.equal(def.size, koffi.sizeof(type), 'sizeof')
    for (const f of def.fields) {
      const off = cOffset(type, c, f.name, nested)
      if (off === null) {
        t.match(f.name, /^(pad|reserved)/, `${f.name} has no C field, so it must be padding`)
        continue
      }
      t.equal((def.offsetOf as Record<string, number>)[f.name], off, `offsetof ${f.name}`)
    }
  })
}

check(nl.nlmsghdr, { nlmsg_len: u32, nlmsg_type: u16, nlmsg_flags: u16, nlmsg_seq: u32, nlmsg_pid: u32 })
check(nl.nlattr, { nla_len: u16, nla_type: u16 })
check(nl.nlmsgerr, { error: s32, msg_len: u32, msg_type: u16, msg_flags: u16, msg_seq: u32, msg_pid: u32 })
check(nl.sockaddr_nl, { nl_family: u16, nl_pad: u16, nl_pid: u32, nl_groups: u32 })

check(inet.inet_diag_msg, { idiag_family: u8, idiag_state: u8, idiag_timer: u8, idiag_retrans: u8, id: sockid, idiag_expires: u32, idiag_rqueue: u32, idiag_wqueue: u32, idiag_uid: u32, idiag_inode: u32 }, 'id')
check(inet.inet_diag_req, { idiag_family: u8, idiag_src_len: u8, idiag_dst_len: u8, idiag_ext: u8, id: sockid, idiag_states: u32, idiag_dbs: u32 }, 'id')
check(inet.inet_diag_sockid, { idiag_sport: u16, idiag_dport: u16, idiag_src: arr(u32, 4), idiag_dst: arr(u32, 4), idiag_if: u32, idiag_cookie: arr(u32, 2) })
check(inet.inet_diag_meminfo, { idiag_rmem: u32, idiag_wmem: u32, idiag_fmem: u32, idiag_tmem: u32 })
check(inet.tcpvegas_info, { tcpv_enabled: u32, tcpv_rttcnt: u32, tcpv_rtt: u32, tcpv_minrtt: u32 })
check(inet.tcp_dctcp_info, { dctcp_enabled: u16, dctcp_ce_state: u16, dctcp_alpha: u32, dctcp_ab_ecn: u32, dctcp_ab_tot: u32 })
check(inet.tcp_bbr_info, { bbr_bw_lo: u32, bbr_bw_hi: u32, bbr_min_rtt: u32, bbr_pacing_gain: u32, bbr_cwnd_gain: u32 })
check(inet.tcp_diag_md5sig, { tcpm_family: u8, tcpm_prefixlen: u8, tcpm_keylen: u16, tcpm_addr: arr(u32, 4), tcpm_key: arr(u8, 80) })
check(inet.inet_diag_bc_op, { code: u8, yes: u8, no: u16 })
check(inet.inet_diag_markcond, { mark: u32, mask: u32 })
check(inet.inet_diag_hostcond, { family: u8, prefix_len: u8, port: s32 })

// tcp_info: the C bitfields at bytes 6-7 are declared as the two bytes that hold them.
check(tcp.tcp_info, Object.fromEntries(tcp.tcp_info.fields.map((f) => [f.name, f.kind === 'u8' ? u8 : f.kind === 'u16' ? u16 : f.kind === 'u64' ? u64 : u32])))
check(tcp.mptcp_info, {
  mptcpi_subflows: u8, mptcpi_add_addr_signal: u8, mptcpi_add_addr_accepted: u8, mptcpi_subflows_max: u8, mptcpi_add_addr_signal_max: u8, mptcpi_add_addr_accepted_max: u8,
  mptcpi_flags: u32, mptcpi_token: u32, mptcpi_write_seq: u64, mptcpi_snd_una: u64, mptcpi_rcv_nxt: u64,
  mptcpi_local_addr_used: u8, mptcpi_local_addr_max: u8, mptcpi_csum_enabled: u8, mptcpi_retransmits: u32,
  mptcpi_bytes_retrans: u64, mptcpi_bytes_sent: u64, mptcpi_bytes_received: u64, mptcpi_bytes_acked: u64,
  mptcpi_subflows_total: u8, mptcpi_endp_laminar_max: u8, reserved: arr(u8, 2), mptcpi_last_data_sent: u32, mptcpi_last_data_recv: u32, mptcpi_last_ack_recv: u32,
})

check(unix.unix_diag_req, { sdiag_family: u8, sdiag_protocol: u8, pad: u16, udiag_states: u32, udiag_ino: u32, udiag_show: u32, udiag_cookie: arr(u32, 2) })
check(unix.unix_diag_msg, { udiag_family: u8, udiag_type: u8, udiag_state: u8, pad: u8, udiag_ino: u32, udiag_cookie: arr(u32, 2) })
check(unix.unix_diag_vfs, { udiag_vfs_ino: u32, udiag_vfs_dev: u32 })
check(unix.unix_diag_rqlen, { udiag_rqueue: u32, udiag_wqueue: u32 })

check(packet.packet_diag_req, { sdiag_family: u8, sdiag_protocol: u8, pad: u16, pdiag_ino: u32, pdiag_show: u32, pdiag_cookie: arr(u32, 2) })
check(packet.packet_diag_msg, { pdiag_family: u8, pdiag_type: u8, pdiag_num: u16, pdiag_ino: u32, pdiag_cookie: arr(u32, 2) })
check(packet.packet_diag_info, { pdi_index: u32, pdi_version: u32, pdi_reserve: u32, pdi_copy_thresh: u32, pdi_tstamp: u32, pdi_flags: u32 })
check(packet.packet_diag_mclist, { pdmc_index: u32, pdmc_count: u32, pdmc_type: u16, pdmc_alen: u16, pdmc_addr: arr(u8, 32) })
check(packet.packet_diag_ring, { pdr_block_size: u32, pdr_block_nr: u32, pdr_frame_size: u32, pdr_frame_nr: u32, pdr_retire_tmo: u32, pdr_sizeof_priv: u32, pdr_features: u32 })
check(packet.sock_filter, { code: u16, jt: u8, jf: u8, k: u32 })

check(ndiag.netlink_diag_req, { sdiag_family: u8, sdiag_protocol: u8, pad: u16, ndiag_ino: u32, ndiag_show: u32, ndiag_cookie: arr(u32, 2) })
check(ndiag.netlink_diag_msg, { ndiag_family: u8, ndiag_type: u8, ndiag_protocol: u8, ndiag_state: u8, ndiag_portid: u32, ndiag_dst_portid: u32, ndiag_dst_group: u32, ndiag_ino: u32, ndiag_cookie: arr(u32, 2) })

check(vsock.vsock_diag_req, { sdiag_family: u8, sdiag_protocol: u8, pad: u16, vdiag_states: u32, vdiag_ino: u32, vdiag_show: u32, vdiag_cookie: arr(u32, 2) })
check(vsock.vsock_diag_msg, { vdiag_family: u8, vdiag_type: u8, vdiag_state: u8, vdiag_shutdown: u8, vdiag_src_cid: u32, vdiag_src_port: u32, vdiag_dst_cid: u32, vdiag_dst_port: u32, vdiag_ino: u32, vdiag_cookie: arr(u32, 2) })
check(xdp.xdp_diag_req, { sdiag_family: u8, sdiag_protocol: u8, pad: u16, xdiag_ino: u32, xdiag_show: u32, xdiag_cookie: arr(u32, 2) })
check(xdp.xdp_diag_msg, { xdiag_family: u8, xdiag_type: u8, pad: u16, xdiag_ino: u32, xdiag_cookie: arr(u32, 2) })
check(tipc.tipc_sock_diag_req, { sdiag_family: u8, sdiag_protocol: u8, pad: u16, tidiag_states: u32 })

// Sizes from kernel-sock-diag Appendix B (6.18 BTF), as a second, independent source.
const appendixB: [StructDef<readonly FieldSpec[]>, number][] = [
  [nl.nlmsghdr, 16], [nl.nlattr, 4], [nl.nlmsgerr, 20], [inet.inet_diag_req, 60], [inet.inet_diag_sockid, 48], [inet.inet_diag_msg, 72],
  [inet.inet_diag_meminfo, 16], [tcp.tcp_info, 280], [tcp.mptcp_info, 96], [inet.tcpvegas_info, 16], [inet.tcp_dctcp_info, 16], [inet.tcp_bbr_info, 20],
  [inet.tcp_diag_md5sig, 100], [unix.unix_diag_req, 24], [unix.unix_diag_msg, 16], [unix.unix_diag_vfs, 8], [unix.unix_diag_rqlen, 8],
  [packet.packet_diag_req, 20], [packet.packet_diag_msg, 16], [packet.packet_diag_info, 24], [packet.packet_diag_mclist, 44], [packet.packet_diag_ring, 28],
  [ndiag.netlink_diag_req, 20], [ndiag.netlink_diag_msg, 28], [vsock.vsock_diag_req, 24], [vsock.vsock_diag_msg, 32], [xdp.xdp_diag_req, 20], [xdp.xdp_diag_msg, 16], [tipc.tipc_sock_diag_req, 8],
]
for (const [def, size] of appendixB) t.equal(def.size, size, `${def.name} is ${size} bytes (Appendix B)`)
// A few tcp_info offsets from the §4.4 table, independent of the C declaration above.
for (const [name, off] of [['tcpi_rto', 8], ['tcpi_pacing_rate', 104], ['tcpi_delivery_rate', 160], ['tcpi_total_rto', 240], ['tcpi_received_ce', 248], ['tcpi_accecn_opt_seen', 278]] as const) {
  t.equal(tcp.tcp_info.offsetOf[name], off, `tcp_info.${name} at ${off}`)
}
