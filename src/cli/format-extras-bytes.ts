/**
 * The Process column of {@link inetExtras} (`-i`, `-o`, `-e`, `-m`,
 * `--tos`, `--cgroup`, `--inet-sockopt`, with `-p`'s users), written as
 * bytes straight from the reply ({@link InetMessageView}) into the
 * {@link Renderer}: the hot path of `ssx -tain` at millions of sockets.
 *
 * Every byte is what {@link inetExtras} makes of the decoded socket (the
 * property test in test/cli/format-extras-bytes.test.ts compares them on
 * arbitrary messages); what differs is that the socket is not decoded (no
 * record, no tcp_info object of ~70 fields, no BigInt: members are read at
 * their offsets from the uapi tables) and no string is made per socket:
 * numbers are written in place as digits, the fixed words and the `%g`
 * texts of times and gains are kept as bytes. The rare parts (timers, TLS,
 * `busy:`, cgroup paths, …) come from the string formatters.
 *
 * A message the writer does not take ({@link InetExtrasWriter.accepts}:
 * MPTCP, an upper-layer protocol, a tcp_info older than the fields read,
 * attributes the decoder would refuse) goes the string way, which also
 * reports malformed input.
 */
import type { InetMessageView } from '../../runtime/inet-view.js'
import { INET_DIAG, IPPROTO, inet_diag_meminfo, tcp_bbr_info, tcp_dctcp_info } from '../../uapi/inet-diag.js'
import { SK_MEMINFO } from '../../uapi/sock-diag.js'
import { TCPI_BITS, TCPI_OPT, tcp_info } from '../../uapi/tcp-info.js'
import { COL, type Renderer } from './render.js'
import {
  busyExtra, bwText, dctcpExtra, fixed0, gainG, halfEven, hashX, inetSockoptExtra, msG, timerExtra, usersExtra,
  type InetExtrasOptions, type SocketUser,
} from './format-extras.js'

const TI = tcp_info.offsetOf
const BBR = tcp_bbr_info.offsetOf
const DCTCP = tcp_dctcp_info.offsetOf
const MEM = inet_diag_meminfo.offsetOf
/** The tcp_info bytes the `-i` line reads (up to `tcpi_snd_wnd`); a shorter INET_DIAG_INFO goes the string way. */
const INFO_READ = TI.tcpi_snd_wnd + 4
/**
 * Room kept free for what is written without a length check: the `-i`
 * line's words and numbers (about 1,500 bytes at most), `-e`'s, `-m`'s.
 * Texts of any length (users, cgroup paths, timers) ask for their own.
 */
const FIXED_ROOM = 4096
/** Below 2^53 a u64 is exact as a number. */
const EXACT_HI = 0x200000
const SMALL_US = 1 << 17
/** Entries of the `%g` cache of other times before it starts over. */
const MAX_CACHED_TIMES = 1 << 14

const AF_INET6 = 10
const TCP_CLOSING = 10

/**
 * A text written often (a field's name, a cached number): its bytes as
 * little-endian u32s and the 0–3 bytes left, so that most of it goes in
 * four-byte stores (byte loops over the ~30 words of a line were the
 * writer's largest cost).
 */
interface Word {
  readonly quads: Int32Array
  readonly tail: Uint8Array
}

/** The {@link Word} of a binary string (one byte per char). */
function wordOf(s: string): Word {
  const b = Buffer.from(s, 'latin1')
  const quads = new Int32Array(b.length >> 2)
  for (let k = 0; k < quads.length; k++) quads[k] = b.readInt32LE(4 * k)
  return { quads, tail: Uint8Array.from(b.subarray(4 * quads.length)) }
}

/** Words of the line, by their text. */
const W = {
  lineBreak: wordOf('\n\t'), ts: wordOf(' ts'), sack: wordOf(' sack'), ecn: wordOf(' ecn'), ecnseen: wordOf(' ecnseen'), fastopen: wordOf(' fastopen'),
  wscale: wordOf(' wscale:'), rto: wordOf(' rto:'), backoff: wordOf(' backoff:'), rtt: wordOf(' rtt:'), ato: wordOf(' ato:'), mss: wordOf(' mss:'),
  pmtu: wordOf(' pmtu:'), rcvmss: wordOf(' rcvmss:'), advmss: wordOf(' advmss:'), cwnd: wordOf(' cwnd:'), ssthresh: wordOf(' ssthresh:'),
  bytesSent: wordOf(' bytes_sent:'), bytesRetrans: wordOf(' bytes_retrans:'), bytesAcked: wordOf(' bytes_acked:'), bytesReceived: wordOf(' bytes_received:'),
  segsOut: wordOf(' segs_out:'), segsIn: wordOf(' segs_in:'), dataSegsOut: wordOf(' data_segs_out:'), dataSegsIn: wordOf(' data_segs_in:'),
  bbr: wordOf(' bbr:(bw:'), bpsMrtt: wordOf('bps,mrtt:'), pacingGain: wordOf(',pacing_gain:'), cwndGain: wordOf(',cwnd_gain:'),
  send: wordOf(' send '), bps: wordOf('bps'), slash: wordOf('/'), slashBps: wordOf('bps/'), lastsnd: wordOf(' lastsnd:'), lastrcv: wordOf(' lastrcv:'), lastack: wordOf(' lastack:'),
  pacingRate: wordOf(' pacing_rate '), deliveryRate: wordOf(' delivery_rate '), delivered: wordOf(' delivered:'), deliveredCe: wordOf(' delivered_ce:'),
  appLimited: wordOf(' app_limited'), unacked: wordOf(' unacked:'), retrans: wordOf(' retrans:'), lost: wordOf(' lost:'), sacked: wordOf(' sacked:'),
  dsackDups: wordOf(' dsack_dups:'), fackets: wordOf(' fackets:'), reordering: wordOf(' reordering:'), reordSeen: wordOf(' reord_seen:'),
  rcvRtt: wordOf(' rcv_rtt:'), rcvSpace: wordOf(' rcv_space:'), rcvSsthresh: wordOf(' rcv_ssthresh:'), notsent: wordOf(' notsent:'),
  minrtt: wordOf(' minrtt:'), rcvOoopack: wordOf(' rcv_ooopack:'), sndWnd: wordOf(' snd_wnd:'),
  uid: wordOf(' uid:'), ino: wordOf(' ino:'), sk: wordOf(' sk:'), fwmark: wordOf(' fwmark:0x'), cgroup: wordOf(' cgroup:'), v6only: wordOf(' v6only:'),
  tos: wordOf(' tos:'), tclass: wordOf(' tclass:'), classId: wordOf(' class_id:'),
  skmem: wordOf(' skmem:(r'), rb: wordOf(',rb'), t: wordOf(',t'), tb: wordOf(',tb'), f: wordOf(',f'), w: wordOf(',w'), o: wordOf(',o'), bl: wordOf(',bl'), d: wordOf(',d'),
  mem: wordOf(' mem:(r'),
} as const

const SPACE = 0x20
const COMMA = 0x2c
const CLOSE = 0x29
const MINUS = 0x2d
const HEX = Buffer.from('0123456789abcdef', 'latin1')

/** Writes the Process column of inet rows from reply messages; one per listing (its caches follow its options). */
export class InetExtrasWriter {
  /** The renderer's token bytes (and as a DataView), and where this token starts and has got to. */
  private t: Buffer
  private dv: DataView
  private start = 0
  private o = 0
  /** `msG` texts by whole microseconds, by whole milliseconds (timers' multiples of 1000), and the rest. */
  private readonly usTexts: (Word | undefined)[] = new Array(SMALL_US)
  private readonly msTexts: (Word | undefined)[] = new Array(SMALL_US)
  private readonly otherTimes = new Map<number, Word>()
  private readonly gains: (Word | undefined)[] = []
  /** The last congestion control name read, as it came and as written. */
  private congIn = new Uint8Array(0)
  private congOut = wordOf('')

  constructor(private readonly renderer: Renderer, private readonly opts: InetExtrasOptions) {
    this.t = renderer.tokens
    this.dv = new DataView(this.t.buffer, this.t.byteOffset, this.t.byteLength)
  }

  /** Follow the renderer's token buffer (it is replaced when it grows). */
  private tokens(): void {
    const t = this.renderer.tokens
    if (t === this.t) return
    this.t = t
    this.dv = new DataView(t.buffer, t.byteOffset, t.byteLength)
  }

  /**
   * Whether {@link InetExtrasWriter.write} can take this message (else use
   * {@link inetExtras} on its record). Indexes its attributes: call it first.
   * @param ipproto the protocol of the table the socket was dumped from
   */
  accepts(v: InetMessageView, ipproto: number): boolean {
    if (v.protocol !== ipproto || ipproto === IPPROTO.IPPROTO_MPTCP || !v.scanAttributes()) return false
    const at = v.attrAt
    if (at[INET_DIAG.INET_DIAG_ULP_INFO]! >= 0) return false
    if (!this.opts.showTcpInfo || ipproto !== IPPROTO.IPPROTO_TCP) return true
    if (at[INET_DIAG.INET_DIAG_INFO]! >= 0 && v.attrLen[INET_DIAG.INET_DIAG_INFO]! < INFO_READ) return false
    // The record decodes the name as UTF-8: only ASCII is the same bytes either way.
    const cong = at[INET_DIAG.INET_DIAG_CONG]!
    if (cong >= 0) {
      const b = v.bytes
      for (let k = cong, end = cong + v.attrLen[INET_DIAG.INET_DIAG_CONG]!; k < end; k++) if (b[k]! >= 0x80) return false
    }
    return true
  }

  /**
   * The row's Process token (after the row's cells), as {@link inetExtras}
   * with these options writes it; only after {@link InetExtrasWriter.accepts}.
   * @param users `-p`'s users of the socket, in ss's order
   */
  write(v: InetMessageView, ipproto: number, users?: readonly SocketUser[]): void {
    const r = this.renderer
    const at = r.startCell(COL.PROC, FIXED_ROOM)
    if (at < 0) return
    this.tokens()
    this.start = this.o = at
    const o = this.opts
    const attr = v.attrAt
    if (users) this.text(usersExtra(users))
    if (o.showOptions && v.timer !== 0) this.text(timerExtra(v.timer, v.expires, v.retrans, o.timerStyle))
    if (o.showDetails) this.details(v)
    if (o.showTos) {
      const b = v.bytes
      const tos = attr[INET_DIAG.INET_DIAG_TOS]!
      const tclass = attr[INET_DIAG.INET_DIAG_TCLASS]!
      const classId = attr[INET_DIAG.INET_DIAG_CLASS_ID]!
      if (tos >= 0) { this.put(W.tos); this.text(hashX(b[tos]!)) }
      if (tclass >= 0) { this.put(W.tclass); this.text(hashX(b[tclass]!)) }
      if (classId >= 0) { this.put(W.classId); this.text(hashX(v.u32(classId))) }
    }
    if (o.showCgroup) this.cgroup(v)
    const sockopt = attr[INET_DIAG.INET_DIAG_SOCKOPT]!
    if (o.showInetSockopt && sockopt >= 0) this.text(inetSockoptExtra(v.u16(sockopt), o.oneline))
    const tcp = ipproto === IPPROTO.IPPROTO_TCP
    if (o.showMem || (o.showTcpInfo && tcp)) {
      if (!o.oneline) this.put(W.lineBreak)
      if (o.showMem) this.mem(v)
      const info = attr[INET_DIAG.INET_DIAG_INFO]!
      if (o.showTcpInfo && tcp && info >= 0) this.tcpInfo(v, info)
    }
    r.endRowCell(this.o - this.start)
  }

  /** `-e`: ` uid:` ` ino:` ` sk:` ` fwmark:` ` cgroup:` ` v6only:` and the shutdown marker (inetDetailsExtra). */
  private details(v: InetMessageView): void {
    const attr = v.attrAt
    const uid = v.uid
    if (uid !== 0) { this.put(W.uid); this.uint(uid) }
    this.put(W.ino)
    this.uint(v.inode)
    this.put(W.sk)
    const cookie = v.cookieAt
    this.hex64(v.u32(cookie), v.u32(cookie + 4))
    const mark = attr[INET_DIAG.INET_DIAG_MARK]!
    if (mark >= 0 && v.u32(mark) !== 0) { this.put(W.fwmark); this.hex64(v.u32(mark), 0) }
    this.cgroup(v)
    const v6only = attr[INET_DIAG.INET_DIAG_SKV6ONLY]!
    if (v.family === AF_INET6 && v6only >= 0) { this.put(W.v6only); this.t[this.o++] = v.bytes[v6only] !== 0 ? 0x31 : 0x30 }
    const shutdown = attr[INET_DIAG.INET_DIAG_SHUTDOWN]!
    if (shutdown >= 0) {
      const m = v.bytes[shutdown]!
      const t = this.t
      t[this.o++] = SPACE
      t[this.o++] = m & 1 ? MINUS : 0x3c /* < */
      t[this.o++] = MINUS
      t[this.o++] = m & 2 ? MINUS : 0x3e /* > */
    }
  }

  /** ` cgroup:PATH` when the socket has a cgroup id (the lookup runs every time: ss repeats its errors). */
  private cgroup(v: InetMessageView): void {
    const at = v.attrAt[INET_DIAG.INET_DIAG_CGROUP_ID]!
    if (at < 0) return
    const lo = v.u32(at)
    const hi = v.u32(at + 4)
    if (lo === 0 && hi === 0) return
    this.put(W.cgroup)
    this.text(this.opts.cgroupPath((BigInt(hi) << 32n) | BigInt(lo)))
  }

  /** `-m`: ` skmem:(…)`, else ` mem:(…)` (skmemExtra; the view checked the lengths). */
  private mem(v: InetMessageView): void {
    const sk = v.attrAt[INET_DIAG.INET_DIAG_SKMEMINFO]!
    if (sk >= 0) {
      this.put(W.skmem); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_RMEM_ALLOC))
      this.put(W.rb); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_RCVBUF))
      this.put(W.t); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_WMEM_ALLOC))
      this.put(W.tb); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_SNDBUF))
      this.put(W.f); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_FWD_ALLOC))
      this.put(W.w); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_WMEM_QUEUED))
      this.put(W.o); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_OPTMEM))
      this.put(W.bl); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_BACKLOG))
      if (v.attrLen[INET_DIAG.INET_DIAG_SKMEMINFO]! > 4 * SK_MEMINFO.SK_MEMINFO_DROPS) { this.put(W.d); this.uint(v.u32(sk + 4 * SK_MEMINFO.SK_MEMINFO_DROPS)) }
      this.t[this.o++] = CLOSE
      return
    }
    const mem = v.attrAt[INET_DIAG.INET_DIAG_MEMINFO]!
    if (mem < 0) return
    this.put(W.mem); this.uint(v.u32(mem + MEM.idiag_rmem))
    this.put(W.w); this.uint(v.u32(mem + MEM.idiag_wmem))
    this.put(W.f); this.uint(v.u32(mem + MEM.idiag_fmem))
    this.put(W.t); this.uint(v.u32(mem + MEM.idiag_tmem))
    this.t[this.o++] = CLOSE
  }

  /**
   * The `-i` line of tcpInfoExtra, field by field in the same order, from
   * `struct tcp_info` at `i`. In four parts: one function of ~50 fields was
   * beyond what V8 inlines into one, and every `put` stayed a call.
   */
  private tcpInfo(v: InetMessageView, i: number): void {
    this.tcpInfoWindow(v, i)
    this.tcpInfoCounts(v, i)
    const rtt = v.u32(i + TI.tcpi_rtt)
    if (rtt) {
      // The same operations in the same order as ss (and tcpInfoExtra): the same double.
      const send = (v.u32(i + TI.tcpi_snd_cwnd) * v.u32(i + TI.tcpi_snd_mss) * 8000000) / rtt
      if (send) { this.put(W.send); this.bw(send); this.put(W.bps) }
    }
    this.tcpInfoRates(v, i)
    this.tcpInfoLoss(v, i)
  }

  /** Options, congestion control, window scales, times, sizes: up to ` ssthresh:`. */
  private tcpInfoWindow(v: InetMessageView, i: number): void {
    const b = v.bytes
    const opts = b[i + TI.tcpi_options]!
    if (this.opts.showOptions) {
      if (opts & TCPI_OPT.TCPI_OPT_TIMESTAMPS) this.put(W.ts)
      if (opts & TCPI_OPT.TCPI_OPT_SACK) this.put(W.sack)
      if (opts & TCPI_OPT.TCPI_OPT_ECN) this.put(W.ecn)
      if (opts & TCPI_OPT.TCPI_OPT_ECN_SEEN) this.put(W.ecnseen)
      if (opts & TCPI_OPT.TCPI_OPT_SYN_DATA) this.put(W.fastopen)
    }
    const cong = v.attrAt[INET_DIAG.INET_DIAG_CONG]!
    if (cong >= 0) this.congestion(b, cong, v.attrLen[INET_DIAG.INET_DIAG_CONG]!)
    if (opts & TCPI_OPT.TCPI_OPT_WSCALE) {
      const w = b[i + TI.tcpi_wscale]!
      this.put(W.wscale)
      this.uint((w >> TCPI_BITS.snd_wscale.shift) & 0xf)
      this.t[this.o++] = COMMA
      this.uint((w >> TCPI_BITS.rcv_wscale.shift) & 0xf)
    }
    const rto = v.u32(i + TI.tcpi_rto)
    if (rto !== 0 && rto !== 3000000) this.ms(W.rto, rto)
    const backoff = b[i + TI.tcpi_backoff]!
    if (backoff) this.field(W.backoff, backoff)
    const rtt = v.u32(i + TI.tcpi_rtt)
    if (rtt) {
      this.ms(W.rtt, rtt)
      this.ms(W.slash, v.u32(i + TI.tcpi_rttvar))
    }
    const ato = v.u32(i + TI.tcpi_ato)
    if (ato) this.ms(W.ato, ato)
    const mss = v.u32(i + TI.tcpi_snd_mss)
    if (mss) this.intField(W.mss, mss)
    this.field(W.pmtu, v.u32(i + TI.tcpi_pmtu))
    const rcvMss = v.u32(i + TI.tcpi_rcv_mss)
    if (rcvMss) this.intField(W.rcvmss, rcvMss)
    const advmss = v.u32(i + TI.tcpi_advmss)
    if (advmss) this.intField(W.advmss, advmss)
    this.field(W.cwnd, v.u32(i + TI.tcpi_snd_cwnd))
    const ssthresh = v.u32(i + TI.tcpi_snd_ssthresh)
    if (ssthresh < 0xffff) this.field(W.ssthresh, ssthresh)
  }

  /** Byte and segment counts, then DCTCP's and BBR's blocks. */
  private tcpInfoCounts(v: InetMessageView, i: number): void {
    this.u64Field(v, i + TI.tcpi_bytes_sent, W.bytesSent)
    this.u64Field(v, i + TI.tcpi_bytes_retrans, W.bytesRetrans)
    this.u64Field(v, i + TI.tcpi_bytes_acked, W.bytesAcked)
    this.u64Field(v, i + TI.tcpi_bytes_received, W.bytesReceived)
    this.field(W.segsOut, v.u32(i + TI.tcpi_segs_out))
    this.field(W.segsIn, v.u32(i + TI.tcpi_segs_in))
    this.field(W.dataSegsOut, v.u32(i + TI.tcpi_data_segs_out))
    this.field(W.dataSegsIn, v.u32(i + TI.tcpi_data_segs_in))
    const dctcp = v.attrAt[INET_DIAG.INET_DIAG_DCTCPINFO]!
    if (dctcp >= 0) {
      this.text(dctcpExtra({
        enabled: v.u16(dctcp + DCTCP.dctcp_enabled), ceState: v.u16(dctcp + DCTCP.dctcp_ce_state), alpha: v.u32(dctcp + DCTCP.dctcp_alpha),
        abEcn: v.u32(dctcp + DCTCP.dctcp_ab_ecn), abTot: v.u32(dctcp + DCTCP.dctcp_ab_tot),
      }))
    }
    const bbr = v.attrAt[INET_DIAG.INET_DIAG_BBRINFO]!
    if (bbr >= 0) {
      this.put(W.bbr)
      this.bw(v.u64(bbr + BBR.bbr_bw_lo) * 8)
      this.ms(W.bpsMrtt, v.u32(bbr + BBR.bbr_min_rtt))
      const pacing = v.u32(bbr + BBR.bbr_pacing_gain)
      if (pacing) this.gain(W.pacingGain, pacing)
      const cwndGain = v.u32(bbr + BBR.bbr_cwnd_gain)
      if (cwndGain) this.gain(W.cwndGain, cwndGain)
      this.t[this.o++] = CLOSE
    }
  }

  /** Times since the last data and ack, pacing and delivery rates, busy times. */
  private tcpInfoRates(v: InetMessageView, i: number): void {
    this.field(W.lastsnd, v.u32(i + TI.tcpi_last_data_sent))
    this.field(W.lastrcv, v.u32(i + TI.tcpi_last_data_recv))
    this.field(W.lastack, v.u32(i + TI.tcpi_last_ack_recv))
    if (this.rateSet(v, i + TI.tcpi_pacing_rate)) {
      this.put(W.pacingRate)
      this.bw(v.u64(i + TI.tcpi_pacing_rate) * 8)
      if (this.rateSet(v, i + TI.tcpi_max_pacing_rate)) {
        this.put(W.slashBps)
        this.bw(v.u64(i + TI.tcpi_max_pacing_rate) * 8)
      }
      this.put(W.bps)
    }
    const delivery = v.u64(i + TI.tcpi_delivery_rate)
    if (delivery) { this.put(W.deliveryRate); this.bw(delivery * 8); this.put(W.bps) }
    this.field(W.delivered, v.u32(i + TI.tcpi_delivered))
    this.field(W.deliveredCe, v.u32(i + TI.tcpi_delivered_ce))
    if ((v.bytes[i + TI.tcpi_flags7]! >> TCPI_BITS.delivery_rate_app_limited.shift) & 1) this.put(W.appLimited)
    const busy = v.u64(i + TI.tcpi_busy_time)
    if (busy) this.text(busyExtra(busy, v.u64(i + TI.tcpi_rwnd_limited), v.u64(i + TI.tcpi_sndbuf_limited)))
  }

  /** Unacknowledged, retransmitted, lost and reordered segments, the receive side, the minimum rtt, the send window. */
  private tcpInfoLoss(v: InetMessageView, i: number): void {
    this.field(W.unacked, v.u32(i + TI.tcpi_unacked))
    const retrans = v.u32(i + TI.tcpi_retrans)
    const totalRetrans = v.u32(i + TI.tcpi_total_retrans)
    if (retrans || totalRetrans) {
      this.put(W.retrans)
      this.uint(retrans)
      this.field(W.slash, totalRetrans, true)
    }
    this.field(W.lost, v.u32(i + TI.tcpi_lost))
    if (v.state !== TCP_CLOSING) this.field(W.sacked, v.u32(i + TI.tcpi_sacked))
    this.field(W.dsackDups, v.u32(i + TI.tcpi_dsack_dups))
    this.field(W.fackets, v.u32(i + TI.tcpi_fackets))
    const reordering = v.u32(i + TI.tcpi_reordering)
    if (reordering !== 3) this.intField(W.reordering, reordering)
    const reordSeen = v.u32(i + TI.tcpi_reord_seen)
    if (reordSeen) this.intField(W.reordSeen, reordSeen)
    const rcvRtt = v.u32(i + TI.tcpi_rcv_rtt)
    if (rcvRtt) this.ms(W.rcvRtt, rcvRtt)
    const rcvSpace = v.u32(i + TI.tcpi_rcv_space)
    if (rcvSpace) this.intField(W.rcvSpace, rcvSpace)
    this.field(W.rcvSsthresh, v.u32(i + TI.tcpi_rcv_ssthresh))
    this.field(W.notsent, v.u32(i + TI.tcpi_notsent_bytes))
    // ~0U: no RTT sample yet.
    const minRtt = v.u32(i + TI.tcpi_min_rtt)
    if (minRtt && minRtt !== 0xffffffff) this.ms(W.minrtt, minRtt)
    this.field(W.rcvOoopack, v.u32(i + TI.tcpi_rcv_ooopack))
    this.field(W.sndWnd, v.u32(i + TI.tcpi_snd_wnd))
  }

  /** ` NAME` of INET_DIAG_CONG (cut at its NUL; nothing when empty), its bytes kept while it stays the same. */
  private congestion(b: Uint8Array, at: number, len: number): void {
    let n = 0
    while (n < len && b[at + n] !== 0) n++
    if (n === 0) return
    let same = n === this.congIn.length
    for (let k = 0; same && k < n; k++) same = this.congIn[k] === b[at + k]
    if (!same) {
      this.congIn = b.slice(at, at + n)
      this.congOut = wordOf(' ' + Buffer.from(this.congIn).toString('latin1'))
    }
    this.put(this.congOut)
  }

  /** A u64 rate set (non-zero) and not ~0 (no rate). */
  private rateSet(v: InetMessageView, at: number): boolean {
    const lo = v.u32(at)
    const hi = v.u32(at + 4)
    return (lo !== 0 || hi !== 0) && !(lo === 0xffffffff && hi === 0xffffffff)
  }

  /** `word` and the decimal `n` (0 ≤ n < 2^53), when non-zero (or `always`). */
  private field(word: Word, n: number, always = false): void {
    if (n === 0 && !always) return
    this.put(word)
    this.uint(n)
  }

  /** `word` and the u32 `n` as C's `%d` (`n | 0`). */
  private intField(word: Word, n: number): void {
    this.put(word)
    const s = n | 0
    if (s < 0) {
      this.t[this.o++] = MINUS
      this.uint(-s)
    } else this.uint(s)
  }

  /** `word` and the decimal u64 at `at` (every digit), when non-zero. */
  private u64Field(v: InetMessageView, at: number, word: Word): void {
    const lo = v.u32(at)
    const hi = v.u32(at + 4)
    if (lo === 0 && hi === 0) return
    this.put(word)
    if (hi < EXACT_HI) this.uint(lo + hi * 0x100000000)
    else this.text(((BigInt(hi) << 32n) | BigInt(lo)).toString())
  }

  /** bwText: `%.0f` digits in place with `-n`, else the `%.3g` text. */
  private bw(x: number): void {
    if (!this.opts.numeric) this.text(bwText(x, false))
    else if (x < 2 ** 53) this.uint(halfEven(x))
    else this.text(fixed0(x))
  }

  /** `word` and msG(us): `%g` of the milliseconds, each text made once. */
  private ms(word: Word, us: number): void {
    this.put(word)
    let text: Word | undefined
    if (us < SMALL_US) text = this.usTexts[us] ??= wordOf(msG(us))
    else if (us % 1000 === 0 && us < 1000 * SMALL_US) text = this.msTexts[us / 1000] ??= wordOf(msG(us))
    else {
      text = this.otherTimes.get(us)
      if (text === undefined) {
        if (this.otherTimes.size >= MAX_CACHED_TIMES) this.otherTimes.clear()
        this.otherTimes.set(us, text = wordOf(msG(us)))
      }
    }
    this.put(text)
  }

  /** `word` and gainG: a BBR gain's `%g`, each text made once. */
  private gain(word: Word, g: number): void {
    this.put(word)
    if (g < 4096) this.put(this.gains[g] ??= wordOf(gainG(g)))
    else this.text(gainG(g))
  }

  /** A kept word or text. */
  private put(w: Word): void {
    const q = w.quads
    const tail = w.tail
    const dv = this.dv
    const t = this.t
    let o = this.o
    for (let k = 0; k < q.length; k++, o += 4) dv.setInt32(o, q[k]!, true)
    for (let k = 0; k < tail.length; k++) t[o++] = tail[k]!
    this.o = o
  }

  /** A text of any length (binary string: one byte per char, as the renderer keeps strings), with room made for it. */
  private text(s: string): void {
    const need = this.o + s.length + FIXED_ROOM
    if (need > this.t.length) {
      this.renderer.growCell(this.o - this.start, s.length + FIXED_ROOM)
      this.tokens()
    }
    const t = this.t
    let o = this.o
    // A Uint8Array store keeps the low byte, as latin1 encoding does.
    if (s.length < 32) for (let k = 0; k < s.length; k++) t[o++] = s.charCodeAt(k)
    else o += t.write(s, o, s.length, 'latin1')
    this.o = o
  }

  /** Decimal digits of an integer 0 ≤ n < 2^53. */
  private uint(n: number): void {
    const t = this.t
    if (n < 10) {
      t[this.o++] = 48 + n
      return
    }
    let len = 2
    for (let p = 100; p <= n; p *= 10) len++
    let o = this.o + len
    this.o = o
    if (n < 0x80000000) {
      while (n >= 10) {
        const q = (n / 10) | 0
        t[--o] = 48 + (n - q * 10)
        n = q
      }
    } else {
      while (n >= 10) {
        const q = Math.floor(n / 10)
        t[--o] = 48 + (n - q * 10)
        n = q
      }
    }
    t[--o] = 48 + n
  }

  /** Lower-case hex of the u64 `hi:lo`, no leading zeros. */
  private hex64(lo: number, hi: number): void {
    if (hi !== 0) {
      this.hex32(hi, 0)
      this.hex32(lo, 8)
    } else this.hex32(lo, 0)
  }

  /** Lower-case hex of a u32, at least `width` digits (and at least one). */
  private hex32(n: number, width: number): void {
    let len = 1
    while (len < 8 && n >>> (4 * len) !== 0) len++
    if (len < width) len = width
    const t = this.t
    let o = this.o + len
    this.o = o
    for (let k = 0; k < len; k++, n >>>= 4) t[--o] = HEX[n & 0xf]!
  }
}
