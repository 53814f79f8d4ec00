// The byte-level inet row writer (src/cli/format-inet-bytes.ts) prints what
// inetRow prints, through the same renderer, for arbitrary reply messages:
// both families (and an unknown one), bound devices, zero and v4-mapped
// addresses, v6only, queues of every size, numeric and named ports.
import t from 'tap'
import fc from 'fast-check'
import { InetMessageView } from '../../runtime/inet-view.js'
import { decodeInet } from '../../runtime/decode-inet.js'
import { INET_DIAG, inet_diag_msg } from '../../uapi/inet-diag.js'
import { Renderer, columnVisibility, COL } from '../../src/cli/render.js'
import { inetRow, type InetFormatOptions } from '../../src/cli/format-inet.js'
import { InetRowWriter } from '../../src/cli/format-inet-bytes.js'
import { lazyProtocols, lazyServices } from '../../src/services.js'

const O = inet_diag_msg.offsetOf

const address = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.constant(new Uint8Array(16)),
  fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 })).map(([v4]) => Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4])),
  fc.constantFrom(Uint8Array.from([127, 0, 0, 1, ...new Array(12).fill(0)]), Uint8Array.from([...new Array(15).fill(0), 1])),
)
const port = fc.oneof(fc.constantFrom(0, 22, 80, 443, 5432, 8080, 32768, 65535), fc.integer({ min: 0, max: 65535 }))
const queue = fc.oneof(fc.constantFrom(0, 1, 4095, 4096, 123456), fc.nat(), fc.constant(0xffffffff))

const message = fc.record({
  family: fc.constantFrom(2, 2, 10, 44),
  state: fc.integer({ min: 0, max: 14 }),
  src: address, dst: address, sport: port, dport: port,
  ifindex: fc.constantFrom(0, 0, 0, 1, 7),
  rqueue: queue, wqueue: queue,
  v6only: fc.option(fc.boolean()),
}).map((m) => {
  const p = new Uint8Array(inet_diag_msg.size + (m.v6only === null ? 0 : 8))
  const dv = new DataView(p.buffer)
  p[O.idiag_family] = m.family
  p[O.idiag_state] = m.state
  dv.setUint16(O.idiag_sport, m.sport, false)
  dv.setUint16(O.idiag_dport, m.dport, false)
  p.set(m.src, O.idiag_src)
  p.set(m.dst, O.idiag_dst)
  dv.setUint32(O.idiag_if, m.ifindex, true)
  dv.setUint32(O.idiag_rqueue, m.rqueue, true)
  dv.setUint32(O.idiag_wqueue, m.wqueue, true)
  if (m.v6only !== null) {
    const a = inet_diag_msg.size
    p.set([5, 0, INET_DIAG.INET_DIAG_SKV6ONLY, 0, m.v6only ? 1 : 0], a)
  }
  return p
})

function options(numeric: boolean): InetFormatOptions {
  return {
    numeric, localPortRange: [32768, 60999], services: lazyServices(), protocols: lazyProtocols(),
    ifname: (i) => (i === 1 ? 'lo' : undefined),
  }
}

t.test('InetRowWriter = inetRow, rendered', async (t) => {
  fc.assert(fc.property(fc.array(message, { minLength: 1, maxLength: 20 }), fc.boolean(), fc.constantFrom(6, 17, 255, 262), fc.boolean(), (msgs, numeric, proto, oneState) => {
    const opts = options(numeric)
    const render = (fill: (r: Renderer) => void): string => {
      let out = ''
      const r = new Renderer({ enabled: columnVisibility({ tables: 1, states: oneState ? 2 : 0xfff }), header: true, write: (s) => { out += s } })
      fill(r)
      r.end()
      return out
    }
    const byStrings = render((r) => {
      for (const p of msgs) {
        const row = inetRow(decodeInet(p), proto, opts)
        row[COL.PROC] = 'users:(("x",pid=1,fd=3))'
        r.row(row)
      }
    })
    const byBytes = render((r) => {
      const w = new InetRowWriter(r, opts)
      const v = new InetMessageView()
      for (const p of msgs) w.write(v.bind(p, 0, p.length), proto, 'users:(("x",pid=1,fd=3))')
    })
    if (byStrings !== byBytes) t.equal(byBytes, byStrings)
    return byStrings === byBytes
  }), { numRuns: 1000 })
  t.pass('1000 random listings agree')
})

t.test('many distinct addresses (IPv4 in place, IPv6 through its bounded cache) print right', async (t) => {
  const opts = options(true)
  let a = ''
  let b = ''
  const ra = new Renderer({ enabled: columnVisibility({ tables: 1, states: 2 }), header: false, write: (s) => { a += s } })
  const rb = new Renderer({ enabled: columnVisibility({ tables: 1, states: 2 }), header: false, write: (s) => { b += s } })
  const w = new InetRowWriter(rb, opts)
  const v = new InetMessageView()
  const p = new Uint8Array(inet_diag_msg.size)
  p[0] = 2
  p[1] = 1
  for (let i = 0; i < 70_000; i++) {
    new DataView(p.buffer).setUint32(O.idiag_src, 0x7f000000 + i * 13, false)
    ra.row(inetRow(decodeInet(p), 6, opts))
    w.write(v.bind(p, 0, p.length), 6)
  }
  ra.end()
  rb.end()
  t.ok(a === b, '70,000 addresses print the same')
})

t.throws(() => new InetRowWriter(new Renderer({ enabled: columnVisibility({ tables: 1, states: 2 }), header: false, write: () => undefined }), { ...options(true), resolveHosts: true }), TypeError, '-r is the string path')
