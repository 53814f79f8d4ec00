/**
 * Decoder for what an `iter/tcp` or `iter/udp` program wrote: a run of
 * fixed-size `ssx_iter_tcp_rec` records (uapi/bpf.ts) → the same
 * {@link InetRecord}s the netlink runtime yields, so listing, formatting and
 * the evaluator cannot tell which target produced them.
 *
 * The timer fields (timer, expires, `idiag_retrans`) are 0 unless the
 * program read them (iter/tcp with timers) and the kernel's HZ is given; `tcpInfo` carries the members the program read,
 * for full TCP sockets only (as INET_DIAG_INFO is sent for those only);
 * `shutdown` is present for full sockets only (UDP ones too), as
 * INET_DIAG_SHUTDOWN is. With `info` (programs generated with `-i`), each
 * record is followed by its `ssx_iter_tcp_info` block: the full tcp_info
 * ss's `-i` line reads, and the congestion control's name. With `extra`
 * (programs generated with `-m` or `--tos`), each record is preceded by its
 * `ssx_iter_sock_extra` block: `skMemInfo`, `tos`, `tclass`, `classId`.
 */
import { SOCK_EXTRA_HAS, ssx_iter_sock_extra, ssx_iter_tcp_info, ssx_iter_tcp_rec } from '../uapi/bpf.js'
import { AF, TCP_STATE } from '../uapi/inet-diag.js'
import type { InetRecord, TcpInfo } from './decode-inet.js'
import { DecodeError } from './errors.js'
import { jiffiesToMsecs } from './kernel-hz.js'

/** States whose AF_INET6 sockets get INET_DIAG_SKV6ONLY (UNCONN UDP sockets are in CLOSE). */
const V6ONLY_STATES = (1 << TCP_STATE.TCP_LISTEN) | (1 << TCP_STATE.TCP_CLOSE)

/** Size of one record. */
export const ITER_TCP_RECORD_SIZE = ssx_iter_tcp_rec.size

/** Options of the decoders. */
export interface IterDecodeOptions {
  /** The kernel's HZ: the records' timer deadlines (in jiffies) become `expires` milliseconds. */
  readonly hz?: number
  /** Each record carries the `-i` block (`ssx_iter_tcp_info`) after it. */
  readonly info?: boolean
  /** Each record is preceded by the `-m`/`--tos` block (`ssx_iter_sock_extra`). */
  readonly extra?: boolean
}

/** Bytes from one record to the next: the `-m`/`--tos` block, the record, the `-i` block, each when the program writes it. */
export function iterTcpStride(opts: IterDecodeOptions = {}): number {
  return iterTcpLead(opts) + ssx_iter_tcp_rec.size + (opts.info ? ssx_iter_tcp_info.size : 0)
}

/** Where the `ssx_iter_tcp_rec` part starts in each record: after the `-m`/`--tos` block, when there is one. */
export function iterTcpLead(opts: IterDecodeOptions = {}): number {
  return opts.extra ? ssx_iter_sock_extra.size : 0
}

/**
 * Decode every record in `bytes`.
 * @throws DecodeError when the length is not a whole number of records or a family is not inet
 */
export function decodeIterTcp(bytes: Uint8Array, opts: IterDecodeOptions = {}): InetRecord[] {
  const size = iterTcpStride(opts)
  if (bytes.length % size !== 0) throw new DecodeError(ssx_iter_tcp_rec.name, bytes.length - (bytes.length % size), `${bytes.length} bytes are not a whole number of ${size}-byte records`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: InetRecord[] = []
  const lead = iterTcpLead(opts)
  for (let o = 0; o < bytes.length; o += size) out.push(decodeOne(view, o + lead, opts))
  return out
}

/** `chunk` after the bytes a previous chunk left over (a record cut between two reads), as one array. */
export function withCarry(carry: Uint8Array, chunk: Uint8Array): Uint8Array {
  if (carry.length === 0) return chunk
  const joined = new Uint8Array(carry.length + chunk.length)
  joined.set(carry)
  joined.set(chunk, carry.length)
  return joined
}

/**
 * Decode records from chunks as the iterator yields them, keeping a record
 * split across two chunks (the kernel does not split them; this does not
 * rely on it).
 * @throws DecodeError on a malformed record or trailing bytes at the end
 */
export function* decodeIterTcpChunks(chunks: Iterable<Uint8Array>, opts: IterDecodeOptions = {}): Generator<InetRecord> {
  const size = iterTcpStride(opts)
  const lead = iterTcpLead(opts)
  let carry = new Uint8Array(0)
  for (let chunk of chunks) {
    chunk = withCarry(carry, chunk)
    const whole = chunk.length - (chunk.length % size)
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    for (let o = 0; o < whole; o += size) yield decodeOne(view, o + lead, opts)
    carry = chunk.slice(whole)
  }
  if (carry.length > 0) throw new DecodeError(ssx_iter_tcp_rec.name, 0, `${carry.length} trailing bytes are not a whole ${size}-byte record`)
}

/** Field offsets of a record, from the table (nothing hard-coded here). */
const O = ssx_iter_tcp_rec.offsetOf
/** Field offsets of the `-i` block, from its record's start. */
const I = Object.fromEntries(Object.entries(ssx_iter_tcp_info.offsetOf).map(([k, v]) => [k, v + ssx_iter_tcp_rec.size])) as { readonly [K in keyof typeof ssx_iter_tcp_info.offsetOf]: number }

/** Host-order u64 at `at`; one BigInt when the high word is 0 (cookies, cgroup ids and byte counts usually are small). */
function u64(view: DataView, at: number): bigint {
  const lo = view.getUint32(at, true)
  const hi = view.getUint32(at + 4, true)
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo)
}

/**
 * One record, read field by field at the table's offsets: a hand-written
 * fast path (the table codec decoding every field of every record was ~60 %
 * of `ssx -tan --target ebpf`, ~8 µs a record), property-tested against the
 * table codec (test/runtime/decode-iter-fast.test.ts).
 */
function decodeOne(view: DataView, o: number, opts: IterDecodeOptions = {}): InetRecord {
  const family = view.getUint8(o + O.family)
  if (family !== AF.AF_INET && family !== AF.AF_INET6) throw new DecodeError(ssx_iter_tcp_rec.name, o, `family ${family} is neither AF_INET nor AF_INET6`)
  const len = family === AF.AF_INET ? 4 : 16
  const state = view.getUint8(o + O.state)
  const full = view.getUint8(o + O.kind) === 0
  const at = view.byteOffset + o
  const timers = opts.hz !== undefined
  const rec: InetRecord = {
    kind: 'inet',
    family,
    state,
    timer: timers ? view.getUint8(o + O.timer) : 0,
    retrans: timers ? view.getUint8(o + O.timer_retrans) : 0,
    localAddr: new Uint8Array(view.buffer.slice(at + O.src, at + O.src + len)),
    remoteAddr: new Uint8Array(view.buffer.slice(at + O.dst, at + O.dst + len)),
    localPort: view.getUint16(o + O.sport, true),
    remotePort: view.getUint16(o + O.dport, true),
    ifindex: view.getUint32(o + O.ifindex, true),
    cookie: u64(view, o + O.cookie),
    expires: opts.hz === undefined ? 0 : jiffiesToMsecs(view.getUint32(o + O.timer_jiffies, true), opts.hz),
    rqueue: view.getUint32(o + O.rqueue, true),
    wqueue: view.getUint32(o + O.wqueue, true),
    uid: view.getUint32(o + O.uid, true),
    inode: view.getUint32(o + O.inode, true),
    mark: view.getUint32(o + O.mark, true),
    cgroupId: u64(view, o + O.cgroup_id),
  }
  if (opts.extra) withExtraBlock(view, o - ssx_iter_sock_extra.size, rec)
  if (full) {
    rec.shutdown = view.getUint32(o + O.shutdown, true)
    // inet_diag_msg_attrs_fill() sends INET_DIAG_SKV6ONLY for AF_INET6 sockets in LISTEN or CLOSE only.
    if (family === AF.AF_INET6 && (V6ONLY_STATES & (1 << state)) !== 0) rec.v6only = view.getUint32(o + O.v6only, true) !== 0
  }
  if (full && view.getUint8(o + O.tcp) === 1) {
    const info: TcpInfo = {
      state,
      rtt: view.getUint32(o + O.rtt, true),
      rttvar: view.getUint32(o + O.rttvar, true),
      sndCwnd: view.getUint32(o + O.snd_cwnd, true),
      sndSsthresh: view.getUint32(o + O.snd_ssthresh, true),
      sndMss: view.getUint32(o + O.snd_mss, true),
      retrans: view.getUint32(o + O.retrans, true),
      lost: view.getUint32(o + O.lost, true),
      unacked: view.getUint32(o + O.unacked, true),
      totalRetrans: view.getUint32(o + O.total_retrans, true),
      segsIn: view.getUint32(o + O.segs_in, true),
      segsOut: view.getUint32(o + O.segs_out, true),
      bytesSent: u64(view, o + O.bytes_sent),
      bytesAcked: u64(view, o + O.bytes_acked),
      bytesReceived: u64(view, o + O.bytes_received),
    }
    if (opts.info) {
      withInfoBlock(view, o, info)
      const name = cString(view, o + I.congestion, 16)
      if (name) rec.congestion = name
      const ulp = view.getUint8(o + I.ulp_info)
      if (ulp !== 0) {
        rec.ulp = { name: cString(view, o + I.ulp_name, 16) }
        if (ulp === 2) {
          rec.ulp.mptcp = {
            tokenRem: view.getUint32(o + I.sf_token_rem, true), tokenLoc: view.getUint32(o + I.sf_token_loc, true),
            relwriteSeq: view.getUint32(o + I.sf_rel_write_seq, true), mapSeq: u64(view, o + I.sf_map_seq),
            mapSfseq: view.getUint32(o + I.sf_map_sfseq, true), ssnOffset: view.getUint32(o + I.sf_ssn_offset, true),
            mapDatalen: view.getUint32(o + I.sf_map_datalen, true), flags: view.getUint32(o + I.sf_flags, true),
            idRem: view.getUint8(o + I.sf_id_rem), idLoc: view.getUint8(o + I.sf_id_loc),
          }
        }
      }
      if (view.getUint8(o + I.cc_info) === 1) {
        rec.bbrInfo = { bw: u64(view, o + I.bbr_bw), minRtt: view.getUint32(o + I.bbr_min_rtt, true), pacingGain: view.getUint32(o + I.bbr_pacing_gain, true), cwndGain: view.getUint32(o + I.bbr_cwnd_gain, true) }
      }
    }
    rec.tcpInfo = info
  }
  return rec
}

/** Field offsets of the `-m`/`--tos` block, from its start. */
const X = ssx_iter_sock_extra.offsetOf

/** The `-m`/`--tos` block at `o` into `rec`, for the sockets the program read it for. */
function withExtraBlock(view: DataView, o: number, rec: InetRecord): void {
  const has = view.getUint8(o + X.has)
  const u32 = (at: number): number => view.getUint32(o + at, true)
  if (has & SOCK_EXTRA_HAS.MEMINFO) {
    rec.skMemInfo = {
      rmemAlloc: u32(X.rmem_alloc), rcvbuf: u32(X.rcvbuf), wmemAlloc: u32(X.wmem_alloc), sndbuf: u32(X.sndbuf), fwdAlloc: u32(X.fwd_alloc),
      wmemQueued: u32(X.wmem_queued), optmem: u32(X.optmem), backlog: u32(X.backlog), drops: u32(X.drops),
    }
  }
  if (has & SOCK_EXTRA_HAS.TOS) {
    rec.tos = view.getUint8(o + X.tos)
    if (rec.family === AF.AF_INET6) rec.tclass = view.getUint8(o + X.tclass)
    rec.classId = u32(X.class_id)
  }
}

/** The NUL-terminated (or full-width) ASCII string of `max` bytes at `at`. */
function cString(view: DataView, at: number, max: number): string {
  let s = ''
  for (let i = 0; i < max; i++) {
    const c = view.getUint8(at + i)
    if (c === 0) break
    s += String.fromCharCode(c)
  }
  return s
}

/** The `-i` block of the record at `o` into `info`, under the netlink decoder's names. */
function withInfoBlock(view: DataView, o: number, info: TcpInfo): void {
  const wscale = view.getUint8(o + I.wscale)
  const flags7 = view.getUint8(o + I.flags7)
  const u32 = (at: number): number => view.getUint32(o + at, true)
  info.caState = view.getUint8(o + I.ca_state)
  info.retransmits = view.getUint8(o + I.retransmits)
  info.probes = view.getUint8(o + I.probes)
  info.backoff = view.getUint8(o + I.backoff)
  info.options = view.getUint8(o + I.options)
  info.wscale = wscale
  info.sndWscale = wscale & 0xf
  info.rcvWscale = wscale >> 4
  info.flags7 = flags7
  info.deliveryRateAppLimited = (flags7 & 1) === 1
  info.fastopenClientFail = (flags7 >> 1) & 3
  info.rto = u32(I.rto)
  info.ato = u32(I.ato)
  info.rcvMss = u32(I.rcv_mss)
  info.sacked = u32(I.sacked)
  info.lastDataSent = u32(I.last_data_sent)
  info.lastDataRecv = u32(I.last_data_recv)
  info.lastAckRecv = u32(I.last_ack_recv)
  info.pmtu = u32(I.pmtu)
  info.rcvSsthresh = u32(I.rcv_ssthresh)
  info.advmss = u32(I.advmss)
  info.reordering = u32(I.reordering)
  info.rcvRtt = u32(I.rcv_rtt)
  info.rcvSpace = u32(I.rcv_space)
  info.notsentBytes = u32(I.notsent_bytes)
  info.minRtt = u32(I.min_rtt)
  info.dataSegsIn = u32(I.data_segs_in)
  info.dataSegsOut = u32(I.data_segs_out)
  info.delivered = u32(I.delivered)
  info.deliveredCe = u32(I.delivered_ce)
  info.dsackDups = u32(I.dsack_dups)
  info.reordSeen = u32(I.reord_seen)
  info.rcvOoopack = u32(I.rcv_ooopack)
  info.sndWnd = u32(I.snd_wnd)
  info.rcvWnd = u32(I.rcv_wnd)
  info.pacingRate = u64(view, o + I.pacing_rate)
  info.maxPacingRate = u64(view, o + I.max_pacing_rate)
  info.deliveryRate = u64(view, o + I.delivery_rate)
  info.busyTime = u64(view, o + I.busy_time)
  info.rwndLimited = u64(view, o + I.rwnd_limited)
  info.sndbufLimited = u64(view, o + I.sndbuf_limited)
  info.bytesRetrans = u64(view, o + I.bytes_retrans)
}

/**
 * `iter/udp` records (raw, as the iterator wrote them) in the order
 * udp_diag reports them: AF_INET first, then AF_INET6 (ss sends one request
 * per family), each by `udp_table.hash` slot, then from the head of the
 * slot's list (the greater `hash_depth` first); the iterator's own order
 * (`hash2`, by address) breaks ties.
 * @throws DecodeError as {@link decodeIterTcp}
 */
export function decodeIterUdpInDiagOrder(bytes: Uint8Array, opts: IterDecodeOptions = {}): InetRecord[] {
  const size = iterTcpStride(opts)
  const lead = iterTcpLead(opts)
  if (bytes.length % size !== 0) throw new DecodeError(ssx_iter_tcp_rec.name, bytes.length - (bytes.length % size), `${bytes.length} bytes are not a whole number of ${size}-byte records`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const O = ssx_iter_tcp_rec.offsetOf
  const n = bytes.length / size
  const key = (i: number): [number, number, number] => {
    const o = i * size + lead
    return [view.getUint8(o + O.family) === AF.AF_INET ? 0 : 1, view.getUint32(o + O.hash_slot, true), view.getUint32(o + O.hash_depth, true)]
  }
  const keys = Array.from({ length: n }, (_, i) => key(i))
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const ka = keys[a]!
    const kb = keys[b]!
    return ka[0] - kb[0] || ka[1] - kb[1] || kb[2] - ka[2] || a - b
  })
  return order.map((i) => decodeOne(view, i * size + lead, opts))
}
