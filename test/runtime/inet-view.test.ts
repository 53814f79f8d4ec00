// The in-place reader of inet_diag replies (runtime/inet-view.ts) agrees
// with the record decoder on arbitrary messages, and a reply read through
// views yields the same sockets as one read into records (STYLE: a fast path
// is property-tested against the table codec).
import t from 'tap'
import fc from 'fast-check'
import { InetMessageView } from '../../runtime/inet-view.js'
import { decodeInet } from '../../runtime/decode-inet.js'
import { ReplyReader } from '../../runtime/dump.js'
import { DecodeError, NetlinkError } from '../../runtime/errors.js'
import { INET_DIAG, inet_diag_msg } from '../../uapi/inet-diag.js'
import { SS_SEQ } from '../../runtime/message.js'

/** An inet_diag payload: the struct, then some attributes (SKV6ONLY among them, sometimes malformed). */
const payload = fc.record({
  head: fc.uint8Array({ minLength: inet_diag_msg.size, maxLength: inet_diag_msg.size }),
  family: fc.constantFrom(2, 10, 0, 44),
  attrs: fc.array(fc.record({
    type: fc.constantFrom(INET_DIAG.INET_DIAG_SKV6ONLY, INET_DIAG.INET_DIAG_SHUTDOWN, INET_DIAG.INET_DIAG_MARK, 30),
    body: fc.uint8Array({ minLength: 0, maxLength: 6 }),
  }), { maxLength: 4 }),
}).map(({ head, family, attrs }) => {
  const parts: number[] = [...head]
  parts[0] = family
  for (const a of attrs) {
    const len = 4 + a.body.length
    parts.push(len & 0xff, len >> 8, a.type & 0xff, a.type >> 8, ...a.body)
    while (parts.length % 4) parts.push(0)
  }
  return Uint8Array.from(parts)
})

t.test('every getter = decodeInet on the same bytes', async (t) => {
  const v = new InetMessageView()
  fc.assert(fc.property(payload, fc.nat(8), (p, pad) => {
    // The message sits inside a larger datagram, as it does in a reply.
    const d = new Uint8Array(pad + p.length + 3)
    d.set(p, pad)
    v.bind(d, pad, pad + p.length)
    let r
    try {
      r = decodeInet(p)
    } catch (e) {
      // Malformed attributes: the record decoder reports them; so does view.record().
      if (!(e instanceof DecodeError)) throw e
      t.throws(() => v.record(), DecodeError)
      return true
    }
    const n = r.family === 2 ? 4 : 16
    return v.family === r.family && v.state === r.state && v.localPort === r.localPort && v.remotePort === r.remotePort &&
      v.ifindex === r.ifindex && v.rqueue === r.rqueue && v.wqueue === r.wqueue && v.uid === r.uid && v.inode === r.inode &&
      v.v6only === (r.v6only ?? false) &&
      d.subarray(v.localAt, v.localAt + n).every((b, i) => b === r.localAddr[i]) &&
      d.subarray(v.remoteAt, v.remoteAt + n).every((b, i) => b === r.remoteAddr[i]) &&
      (n !== 4 || (v.v4(v.localAt) === new DataView(r.localAddr.buffer, r.localAddr.byteOffset).getUint32(0, false)))
  }), { numRuns: 2000 })
  t.pass('2000 random messages agree')
})

/** Attributes of every type the view indexes (and beyond), with payloads of every small length: right, short, long, ragged. */
const attributeList = fc.array(fc.record({
  type: fc.oneof(fc.integer({ min: 0, max: 23 }), fc.constantFrom(31, 32, 40, 0x8000 | INET_DIAG.INET_DIAG_MARK)),
  body: fc.oneof(fc.uint8Array({ maxLength: 10 }), fc.uint8Array({ minLength: 14, maxLength: 44 }), fc.constant(new Uint8Array(100))),
  cut: fc.oneof({ weight: 20, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
}), { maxLength: 6 }).map((attrs) => {
  const parts: number[] = new Array(inet_diag_msg.size).fill(0)
  parts[0] = 2
  for (const a of attrs) {
    const len = 4 + a.body.length
    parts.push(len & 0xff, len >> 8, a.type & 0xff, a.type >> 8, ...a.body)
    while (parts.length % 4) parts.push(0)
    // A cut: the next header is short.
    for (let k = 0; k < a.cut; k++) parts.push(5)
  }
  return Uint8Array.from(parts)
})

t.test('scanAttributes: false exactly when record() throws; each type found at its last attribute', async (t) => {
  const v = new InetMessageView()
  fc.assert(fc.property(attributeList, (p) => {
    v.bind(p, 0, p.length)
    const ok = v.scanAttributes()
    let threw = false
    try {
      decodeInet(p)
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e
      threw = true
    }
    // INET_DIAG_ULP_INFO's nesting is not the scan's to check: ignore messages that have one.
    if (p.length > inet_diag_msg.size && v.attrAt[INET_DIAG.INET_DIAG_ULP_INFO]! >= 0) return true
    if (ok === threw) return false
    if (!ok) return true
    const last = new Map<number, [number, number]>()
    for (let pos = inet_diag_msg.size; pos + 4 <= p.length;) {
      const len = p[pos]! | (p[pos + 1]! << 8)
      last.set((p[pos + 2]! | (p[pos + 3]! << 8)) & 0x3fff, [pos + 4, len - 4])
      pos += (len + 3) & ~3
    }
    for (let type = 0; type < 32; type++) {
      const want = last.get(type)
      if (want === undefined ? v.attrAt[type] !== -1 : v.attrAt[type] !== want[0] || v.attrLen[type] !== want[1]) return false
    }
    return true
  }), { numRuns: 3000 })
  t.pass('3000 random attribute lists agree')
})

t.test('u32, u16 and u64 read host order; u64 is exact below 2^53', async (t) => {
  const b = new Uint8Array(inet_diag_msg.size)
  b.set([1, 2, 3, 4, 0xff, 0xff, 0x1f, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
  const v = new InetMessageView().bind(b, 0, b.length)
  t.equal(v.u16(0), 0x0201)
  t.equal(v.u32(0), 0x04030201)
  t.equal(v.u64(0), 0x001fffff04030201)
  t.equal(v.u64(8), Number(0xffffffffffffffffn), 'the nearest double, as Number(bigint)')
})

t.test('a malformed attribute list: the view reads the head, record() reports the error', async (t) => {
  // 72-byte head, then an attribute whose length runs past the end.
  const p = new Uint8Array(inet_diag_msg.size + 4)
  p[0] = 10
  p[inet_diag_msg.size] = 40
  p[inet_diag_msg.size + 2] = INET_DIAG.INET_DIAG_SKV6ONLY
  const v = new InetMessageView().bind(p, 0, p.length)
  t.equal(v.family, 10)
  t.equal(v.v6only, false, 'absent as far as the view can tell')
  t.throws(() => v.record(), DecodeError)
  t.throws(() => new InetMessageView().bind(p, 0, 71), DecodeError, 'shorter than inet_diag_msg')
})

t.test('a batch read through a view holds the sockets read yields, in order', async (t) => {
  fc.assert(fc.property(fc.array(payload, { minLength: 0, maxLength: 12 }), (payloads) => {
    // One datagram: the messages, then NLMSG_DONE.
    const msgs = payloads.map((p) => frame(20, p))
    msgs.push(frame(3, new Uint8Array(4)))
    const d = Uint8Array.from(msgs.flatMap((m) => [...m]))
    const outcome = (f: () => unknown[]): string => {
      try {
        return JSON.stringify(f(), big)
      } catch (e) {
        if (e instanceof DecodeError) return `DecodeError at ${e.offset}`
        throw e
      }
    }
    const view = new InetMessageView()
    return outcome(() => [...new ReplyReader('inet', 6).read(d)]) ===
      outcome(() => [...viewed(new ReplyReader('inet', 6), d, view)])
  }), { numRuns: 300 })
})

/** The datagram's sockets read in place through `view`, each decoded before the view moves on. */
function* viewed(r: ReplyReader, d: Uint8Array, view: InetMessageView): Generator<unknown> {
  for (const b of r.batch(d)) for (let i = 0; i < b.count; i++) yield view.bind(b.bytes, b.spans[2 * i]!, b.spans[2 * i + 1]!).record()
}

function frame(type: number, p: Uint8Array): Uint8Array {
  const len = 16 + p.length
  const m = new Uint8Array((len + 3) & ~3)
  const dv = new DataView(m.buffer)
  dv.setUint32(0, len, true)
  dv.setUint16(4, type, true)
  dv.setUint32(8, SS_SEQ, true)
  m.set(p, 16)
  return m
}

function big(_: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? [...v] : v
}

t.test('sockets before a failing NLMSG_DONE in the same datagram still come, then the error', async (t) => {
  const head = new Uint8Array(inet_diag_msg.size)
  head[0] = 2
  const done = new Uint8Array(4)
  new DataView(done.buffer).setInt32(0, -2, true)
  const d = Uint8Array.from([...frame(20, head), ...frame(20, head), ...frame(3, done)])
  for (const read of [(r: ReplyReader) => r.read(d), (r: ReplyReader) => viewed(r, d, new InetMessageView())]) {
    let got = 0
    t.throws(() => { for (const _ of read(new ReplyReader('inet', 6))) got++ }, NetlinkError)
    t.equal(got, 2)
  }
})
