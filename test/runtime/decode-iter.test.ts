/**
 * The iterator's records decoded from the chunks read() returns: the same
 * records however the bytes are split, and trailing bytes are an error.
 */
import t from 'tap'
import fc from 'fast-check'
import { ssx_iter_tcp_rec } from '../../uapi/bpf.js'
import { decodeIterTcp, decodeIterTcpChunks, decodeIterUdpInDiagOrder } from '../../runtime/decode-iter.js'

const size = ssx_iter_tcp_rec.size
function records(families: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(families.length * size)
  const view = new DataView(bytes.buffer)
  families.forEach((family, i) => ssx_iter_tcp_rec.encode({ family, state: 1, sport: 1000 + i, dport: 22, inode: i + 1, cookie: BigInt(i) }, view, i * size))
  return bytes
}
const key = (r: { family: number, localPort: number, inode: number }): string => `${r.family}/${r.localPort}/${r.inode}`

t.test('chunks split anywhere decode like the whole', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.constantFrom(2, 10), { minLength: 0, maxLength: 12 }),
    fc.array(fc.nat(), { maxLength: 6 }),
    (families, cuts) => {
      const bytes = records(families)
      const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b)
      const chunks = [0, ...points].map((p, i, all) => bytes.subarray(p, all[i + 1] ?? bytes.length))
      const whole = decodeIterTcp(bytes).map(key)
      return JSON.stringify([...decodeIterTcpChunks(chunks)].map(key)) === JSON.stringify(whole)
    },
  ), { numRuns: 1000 })
  t.pass('1000 random splittings decoded like the whole')
})

t.test('trailing bytes that are not a record: DecodeError', async (t) => {
  const bytes = records([2, 10])
  t.throws(() => [...decodeIterTcpChunks([bytes.subarray(0, size + 7)])], { name: 'DecodeError' })
})

t.test('iter/udp records come out in udp_diag\'s order: AF_INET first, by hash slot, from the head of the slot\'s list, ties in walk order', async (t) => {
  const rec = fc.record({ family: fc.constantFrom(2, 10), hash_slot: fc.integer({ min: 0, max: 5 }), hash_depth: fc.integer({ min: 0, max: 3 }) })
  fc.assert(fc.property(fc.array(rec, { maxLength: 20 }), (recs) => {
    const bytes = new Uint8Array(recs.length * size)
    const view = new DataView(bytes.buffer)
    recs.forEach((r, i) => ssx_iter_tcp_rec.encode({ ...r, state: 7, sport: 1000 + i }, view, i * size))
    const got = decodeIterUdpInDiagOrder(bytes).map((r) => r.localPort - 1000)
    const want = recs.map((r, i) => ({ ...r, i })).sort((a, b) => (a.family === b.family ? 0 : a.family === 2 ? -1 : 1) || a.hash_slot - b.hash_slot || b.hash_depth - a.hash_depth || a.i - b.i).map((r) => r.i)
    return JSON.stringify(got) === JSON.stringify(want)
  }), { numRuns: 500 })
  t.throws(() => decodeIterUdpInDiagOrder(new Uint8Array(size + 1)), { name: 'DecodeError' })
})
