/**
 * The iter/tcp record decoder's hand-written fast path against the table
 * codec it replaced: for arbitrary record bytes (any family byte, kind,
 * tcp flag, field values), at any offset in a larger buffer, with and
 * without the kernel's HZ, the same InetRecord or the same DecodeError.
 */
import t from 'tap'
import fc from 'fast-check'
import { ssx_iter_tcp_rec } from '../../uapi/bpf.js'
import { AF, TCP_STATE } from '../../uapi/inet-diag.js'
import { decodeIterTcp } from '../../runtime/decode-iter.js'
import type { InetRecord, TcpInfo } from '../../runtime/decode-inet.js'
import { jiffiesToMsecs } from '../../runtime/kernel-hz.js'

const size = ssx_iter_tcp_rec.size
const V6ONLY_STATES = (1 << TCP_STATE.TCP_LISTEN) | (1 << TCP_STATE.TCP_CLOSE)

/** The decoder as it was: every field through the table codec, then mapped. */
function reference(view: DataView, o: number, hz: number | undefined): InetRecord {
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
    rec.tcpInfo = info
  }
  return rec
}

/** Records as arbitrary bytes, the bytes the decoder branches on drawn from the values that matter. */
const recordBytes = fc.record({
  bytes: fc.uint8Array({ minLength: size, maxLength: size }),
  family: fc.constantFrom(AF.AF_INET, AF.AF_INET6, AF.AF_INET, AF.AF_INET6, 0, 1, 255),
  kind: fc.constantFrom(0, 1, 2),
  tcp: fc.constantFrom(0, 1, 7),
  state: fc.constantFrom(TCP_STATE.TCP_LISTEN, TCP_STATE.TCP_CLOSE, TCP_STATE.TCP_ESTABLISHED, TCP_STATE.TCP_TIME_WAIT, 31),
  /** Small u64 high words half of the time (the fast path's one-BigInt case). */
  small: fc.boolean(),
}).map(({ bytes, family, kind, tcp, state, small }) => {
  bytes[ssx_iter_tcp_rec.offsetOf.family] = family
  bytes[ssx_iter_tcp_rec.offsetOf.kind] = kind
  bytes[ssx_iter_tcp_rec.offsetOf.tcp] = tcp
  bytes[ssx_iter_tcp_rec.offsetOf.state] = state
  if (small) for (const f of ['cookie', 'cgroup_id', 'bytes_sent', 'bytes_acked', 'bytes_received'] as const) bytes.fill(0, ssx_iter_tcp_rec.offsetOf[f] + 4, ssx_iter_tcp_rec.offsetOf[f] + 8)
  return bytes
})

t.test('fast path = table codec, for any record at any offset, with and without HZ', async (t) => {
  fc.assert(fc.property(
    fc.array(recordBytes, { maxLength: 6 }), fc.nat({ max: 13 }), fc.constantFrom(undefined, 100, 250, 300, 1000),
    (recs, lead, hz) => {
      // The records inside a larger buffer, `lead` bytes in: offsets are relative to the view.
      const buf = new Uint8Array(lead + recs.length * size + 3)
      recs.forEach((r, i) => buf.set(r, lead + i * size))
      const bytes = buf.subarray(lead, lead + recs.length * size)
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      let want: InetRecord[] | 'error'
      try {
        want = recs.map((_, i) => reference(view, i * size, hz))
      } catch {
        want = 'error'
      }
      const opts = hz === undefined ? {} : { hz }
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
