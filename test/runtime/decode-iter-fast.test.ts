/**
 * The iter/tcp record decoder's hand-written fast path against the table
 * codec it replaced: for arbitrary record bytes (any family byte, kind,
 * tcp flag, field values), at any offset in a larger buffer, with and
 * without the kernel's HZ, with and without the `-i` block after each
 * record and the `-m`/`--tos` block before it, the same InetRecord or the
 * same DecodeError.
 */
import t from 'tap'
import fc from 'fast-check'
import { ssx_iter_sock_extra, ssx_iter_tcp_info, ssx_iter_tcp_rec } from '../../uapi/bpf.js'
import { AF, TCP_STATE } from '../../uapi/inet-diag.js'
import { decodeIterTcp } from '../../runtime/decode-iter.js'
import type { InetRecord, TcpInfo } from '../../runtime/decode-inet.js'
import { jiffiesToMsecs } from '../../runtime/kernel-hz.js'

const base = ssx_iter_tcp_rec.size
const V6ONLY_STATES = (1 << TCP_STATE.TCP_LISTEN) | (1 << TCP_STATE.TCP_CLOSE)

/** The decoder as it was: every field through the table codec, then mapped. */
function reference(view: DataView, at: number, hz: number | undefined, withInfo: boolean, withExtra: boolean): InetRecord {
  const o = at + (withExtra ? ssx_iter_sock_extra.size : 0)
  const r = ssx_iter_tcp_rec.decode(view, o)
  if (r.family !== AF.AF_INET && r.family !== AF.AF_INET6) throw new Error('DecodeError')
  const len = r.family === AF.AF_INET ? 4 : 16
  const full = r.kind === 0
  const rec: InetRecord = {
    kind: 'inet', family: r.family, state: r.state,
    timer: hz === undefined ? 0 : r.timer, retrans: hz === undefined ? 0 : r.timer_retrans,
    localAddr: r.src.slice(0, len), remoteAddr: r.dst.slice(0, len), localPort: r.sport, remotePort: r.dport,
    ifindex: r.ifindex, cookie: r.cookie, expires: hz === undefined ? 0 : jiffiesToMsecs(r.timer_jiffies, hz),
    rqueue: r.rqueue, wqueue: r.wqueue, uid: r.uid, inode: r.inode, mark: r.mark, cgroupId: r.cgroup_id,
  }
  if (withExtra) {
    const x = ssx_iter_sock_extra.decode(view, at)
    if (x.has & 1) rec.skMemInfo = { rmemAlloc: x.rmem_alloc, rcvbuf: x.rcvbuf, wmemAlloc: x.wmem_alloc, sndbuf: x.sndbuf, fwdAlloc: x.fwd_alloc, wmemQueued: x.wmem_queued, optmem: x.optmem, backlog: x.backlog, drops: x.drops }
    if (x.has & 2) {
      rec.tos = x.tos
      if (r.family === AF.AF_INET6) rec.tclass = x.tclass
      rec.classId = x.class_id
    }
  }
  if (full) {
    rec.shutdown = r.shutdown
    if (r.family === AF.AF_INET6 && (V6ONLY_STATES & (1 << r.state)) !== 0) rec.v6only = r.v6only !== 0
  }
  if (full && r.tcp === 1) {
    const info: TcpInfo = {
      state: r.state, rtt: r.rtt, rttvar: r.rttvar, sndCwnd: r.snd_cwnd, sndSsthresh: r.snd_ssthresh, sndMss: r.snd_mss,
      retrans: r.retrans, lost: r.lost, unacked: r.unacked, totalRetrans: r.total_retrans, segsIn: r.segs_in, segsOut: r.segs_out,
      bytesSent: r.bytes_sent, bytesAcked: r.bytes_acked, bytesReceived: r.bytes_received,
    }
    if (withInfo) infoBlock(ssx_iter_tcp_info.decode(view, o + base), info, rec)
    rec.tcpInfo = info
  }
  return rec
}

/** A C string of a fixed-width field. */
const cstr = (b: Uint8Array): string => {
  const end = b.indexOf(0)
  return String.fromCharCode(...b.subarray(0, end < 0 ? b.length : end))
}

/** The `-i` block through the table codec, under the netlink decoder's names. */
function infoBlock(b: ReturnType<typeof ssx_iter_tcp_info.decode>, info: TcpInfo, rec: InetRecord): void {
  Object.assign(info, {
    caState: b.ca_state, retransmits: b.retransmits, probes: b.probes, backoff: b.backoff, options: b.options,
    wscale: b.wscale, sndWscale: b.wscale & 15, rcvWscale: b.wscale >> 4,
    flags7: b.flags7, deliveryRateAppLimited: (b.flags7 & 1) === 1, fastopenClientFail: (b.flags7 >> 1) & 3,
    rto: b.rto, ato: b.ato, rcvMss: b.rcv_mss, sacked: b.sacked, lastDataSent: b.last_data_sent, lastDataRecv: b.last_data_recv,
    lastAckRecv: b.last_ack_recv, pmtu: b.pmtu, rcvSsthresh: b.rcv_ssthresh, advmss: b.advmss, reordering: b.reordering,
    rcvRtt: b.rcv_rtt, rcvSpace: b.rcv_space, notsentBytes: b.notsent_bytes, minRtt: b.min_rtt, dataSegsIn: b.data_segs_in,
    dataSegsOut: b.data_segs_out, delivered: b.delivered, deliveredCe: b.delivered_ce, dsackDups: b.dsack_dups,
    reordSeen: b.reord_seen, rcvOoopack: b.rcv_ooopack, sndWnd: b.snd_wnd, rcvWnd: b.rcv_wnd, pacingRate: b.pacing_rate,
    maxPacingRate: b.max_pacing_rate, deliveryRate: b.delivery_rate, busyTime: b.busy_time, rwndLimited: b.rwnd_limited,
    sndbufLimited: b.sndbuf_limited, bytesRetrans: b.bytes_retrans,
  } satisfies TcpInfo)
  const cong = cstr(b.congestion)
  if (cong) rec.congestion = cong
  if (b.ulp_info !== 0) {
    rec.ulp = { name: cstr(b.ulp_name) }
    if (b.ulp_info === 2) {
      rec.ulp.mptcp = {
        tokenRem: b.sf_token_rem, tokenLoc: b.sf_token_loc, relwriteSeq: b.sf_rel_write_seq, mapSeq: b.sf_map_seq, mapSfseq: b.sf_map_sfseq,
        ssnOffset: b.sf_ssn_offset, mapDatalen: b.sf_map_datalen, flags: b.sf_flags, idRem: b.sf_id_rem, idLoc: b.sf_id_loc,
      }
    }
  }
  if (b.cc_info === 1) rec.bbrInfo = { bw: b.bbr_bw, minRtt: b.bbr_min_rtt, pacingGain: b.bbr_pacing_gain, cwndGain: b.bbr_cwnd_gain }
}

/** Records as arbitrary bytes, the bytes the decoder branches on drawn from the values that matter. */
const recordBytes = (size: number, lead: number) => fc.record({
  bytes: fc.uint8Array({ minLength: size, maxLength: size }),
  family: fc.constantFrom(AF.AF_INET, AF.AF_INET6, AF.AF_INET, AF.AF_INET6, 0, 1, 255),
  kind: fc.constantFrom(0, 1, 2),
  tcp: fc.constantFrom(0, 1, 7),
  state: fc.constantFrom(TCP_STATE.TCP_LISTEN, TCP_STATE.TCP_CLOSE, TCP_STATE.TCP_ESTABLISHED, TCP_STATE.TCP_TIME_WAIT, 31),
  /** Small u64 high words half of the time (the fast path's one-BigInt case). */
  small: fc.boolean(),
}).map(({ bytes: whole, family, kind, tcp, state, small }) => {
  // The record proper starts `lead` bytes in (after the -m/--tos block).
  const bytes = whole.subarray(lead)
  bytes[ssx_iter_tcp_rec.offsetOf.family] = family
  bytes[ssx_iter_tcp_rec.offsetOf.kind] = kind
  bytes[ssx_iter_tcp_rec.offsetOf.tcp] = tcp
  bytes[ssx_iter_tcp_rec.offsetOf.state] = state
  if (lead) whole[ssx_iter_sock_extra.offsetOf.has] = whole[ssx_iter_sock_extra.offsetOf.has]! % 4
  if (small) for (const f of ['cookie', 'cgroup_id', 'bytes_sent', 'bytes_acked', 'bytes_received'] as const) bytes.fill(0, ssx_iter_tcp_rec.offsetOf[f] + 4, ssx_iter_tcp_rec.offsetOf[f] + 8)
  if (bytes.length > base) {
    // The -i block's switches: no block, a name only, an MPTCP subflow; a name of full width (no NUL).
    const I = (f: keyof typeof ssx_iter_tcp_info.offsetOf): number => base + ssx_iter_tcp_info.offsetOf[f]
    bytes[I('ulp_info')] = bytes[I('ulp_info')]! % 3
    bytes[I('cc_info')] = bytes[I('cc_info')]! % 2
    if (small) bytes.fill(0, I('congestion') + 3, I('congestion') + 16)
  }
  return whole
})

t.test('fast path = table codec, for any record at any offset, with and without HZ, with and without the -i block', async (t) => {
  fc.assert(fc.property(
    fc.tuple(fc.boolean(), fc.boolean()).chain(([info, extra]) => {
      const lead = extra ? ssx_iter_sock_extra.size : 0
      return fc.tuple(fc.constant(info), fc.constant(extra), fc.array(recordBytes(lead + base + (info ? ssx_iter_tcp_info.size : 0), lead), { maxLength: 6 }))
    }),
    fc.nat({ max: 13 }), fc.constantFrom(undefined, 100, 250, 300, 1000),
    ([withInfo, withExtra, recs], lead, hz) => {
      const size = (withExtra ? ssx_iter_sock_extra.size : 0) + base + (withInfo ? ssx_iter_tcp_info.size : 0)
      // The records inside a larger buffer, `lead` bytes in: offsets are relative to the view.
      const buf = new Uint8Array(lead + recs.length * size + 3)
      recs.forEach((r, i) => buf.set(r, lead + i * size))
      const bytes = buf.subarray(lead, lead + recs.length * size)
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      let want: InetRecord[] | 'error'
      try {
        want = recs.map((_, i) => reference(view, i * size, hz, withInfo, withExtra))
      } catch {
        want = 'error'
      }
      const opts = { ...(hz === undefined ? {} : { hz }), ...(withInfo ? { info: true } : {}), ...(withExtra ? { extra: true } : {}) }
      if (want === 'error') {
        t.throws(() => decodeIterTcp(bytes, opts), { name: 'DecodeError' })
        return
      }
      const got = decodeIterTcp(bytes, opts)
      t.strictSame(got, want)
      for (const r of got) t.equal(r.localAddr.buffer === bytes.buffer, false, 'addresses are copies, not views of the read buffer')
    },
  ), { numRuns: 1000 })
})
