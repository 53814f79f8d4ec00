// decodeInet's in-place reader for the attributes of a plain dump (shutdown,
// cgroup id, mark, sockopt, tos, tclass, class id, v6only, protocol, pad)
// agrees with the general AttributeDecoder path on arbitrary attribute lists:
// right and wrong lengths, other types, broken framing (same record, or the
// same error).
import t from 'tap'
import fc from 'fast-check'
import { isDeepStrictEqual } from 'node:util'
import { decodeInet, decodeInetGeneral } from '../../runtime/decode-inet.js'

/** One attribute as the kernel frames it: nla_len, nla_type (host order), payload, padding to 4. */
const attr = (type: number, payload: Uint8Array): number[] => {
  const len = 4 + payload.length
  const out = [len & 0xff, len >> 8, type & 0xff, type >> 8, ...payload]
  while (out.length % 4) out.push(0)
  return out
}

const HOT = [8, 21, 15, 22, 5, 6, 17, 11, 12, 0]
const OTHER = [1, 2, 4, 7, 13, 14, 16, 19, 0x8000 | 8, 99]
const arbAttr = fc.record({
  type: fc.oneof(fc.constantFrom(...HOT), fc.constantFrom(...OTHER)),
  // Mostly the length the kernel sends (1, 2, 4 or 8 bytes), sometimes another one.
  payload: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(1, 2, 4, 8).chain((n) => fc.uint8Array({ minLength: n, maxLength: n })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }) },
  ),
})

const outcome = (f: () => unknown): unknown => {
  try {
    return { ok: f() }
  } catch (e) {
    return { error: (e as Error).constructor.name, message: (e as Error).message }
  }
}

t.test('fast path = general decoder', async (t) => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 72, maxLength: 72 }), fc.boolean(), fc.array(arbAttr, { maxLength: 6 }), fc.nat(8), fc.boolean(),
    (head, v4, attrs, cut, truncate) => {
      if (v4) head[0] = 2
      let bytes = [...head, ...attrs.flatMap((a) => attr(a.type, a.payload))]
      if (truncate) bytes = bytes.slice(0, Math.max(72, bytes.length - cut))
      const p = Uint8Array.from(bytes)
      return isDeepStrictEqual(outcome(() => decodeInet(p)), outcome(() => decodeInetGeneral(p)))
    },
  ), { numRuns: 2000 })
  t.pass('2000 random attribute lists agree')
})

// Table cases: the attributes of a real plain TCP dump, and each way out of the fast path.
const head = new Uint8Array(72)
head[0] = 2
const cases: { name: string, attrs: number[] }[] = [
  { name: 'shutdown, cgroup id, sockopt, mark', attrs: [...attr(8, Uint8Array.of(0)), ...attr(21, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)), ...attr(22, Uint8Array.of(1, 0)), ...attr(15, Uint8Array.of(0x34, 0x12, 0, 0))] },
  { name: 'a cgroup id above 2^32', attrs: attr(21, Uint8Array.of(1, 0, 0, 0, 1, 0, 0, 0)) },
  { name: 'meminfo after shutdown (general path)', attrs: [...attr(8, Uint8Array.of(3)), ...attr(1, new Uint8Array(16))] },
  { name: 'mark of 2 bytes (error)', attrs: attr(15, Uint8Array.of(1, 2)) },
  { name: 'nla_len 3', attrs: [3, 0, 8, 0] },
]
for (const c of cases) {
  const p = Uint8Array.from([...head, ...c.attrs])
  t.same(outcome(() => decodeInet(p)), outcome(() => decodeInetGeneral(p)), c.name)
}
t.equal(decodeInet(Uint8Array.from([...head, ...attr(21, Uint8Array.of(1, 0, 0, 0, 1, 0, 0, 0))])).cgroupId, (1n << 32n) | 1n, 'u64 with both words')
