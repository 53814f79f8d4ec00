// Arbitrary, truncated and bit-flipped input never escapes the decoders as
// anything but a record or a DecodeError (the reply reader may also report the
// kernel's NetlinkError when a flip forges an NLMSG_ERROR/DONE). fast-check
// prints the seed of any failure; shrunk counterexamples go in the table below.
import t from 'tap'
import fc from 'fast-check'
import { DecodeError, NetlinkError } from '../../runtime/errors.js'
import { ReplyReader } from '../../runtime/dump.js'
import { decodeRecord } from '../../runtime/record.js'
import type { DiagKind } from '../../runtime/requests.js'
import { splitMessages } from '../../runtime/message.js'
import { loadFixture } from './fixture-file.js'

const fixtures: { kind: DiagKind, protocol: number, datagrams: Uint8Array[] }[] = [
  { kind: 'inet', protocol: 6, datagrams: loadFixture('tcp4-ext-ff.hex').datagrams },
  { kind: 'inet', protocol: 6, datagrams: loadFixture('tcp6-ext-00.hex').datagrams },
  { kind: 'inet', protocol: 17, datagrams: loadFixture('udp4.hex').datagrams },
  { kind: 'unix', protocol: 0, datagrams: loadFixture('unix-show-7f.hex').datagrams },
  { kind: 'packet', protocol: 0, datagrams: loadFixture('packet-show-3f.hex').datagrams },
  { kind: 'netlink', protocol: 255, datagrams: loadFixture('netlink-show-0f.hex').datagrams },
  { kind: 'inet', protocol: 6, datagrams: loadFixture('error-einval-full.hex').datagrams },
]
const kinds: DiagKind[] = ['inet', 'unix', 'packet', 'netlink', 'vsock', 'xdp', 'tipc']

/** Payloads of single messages from the fixtures (the decoders' own input). */
const payloads = fixtures.flatMap((f) => f.datagrams.flatMap((d) => [...splitMessages(d)].filter((m) => m.type >= 16).map((m) => ({ kind: f.kind, protocol: f.protocol, payload: m.payload.slice() }))))

function decodeOnly(kind: DiagKind, protocol: number, bytes: Uint8Array): void {
  try {
    decodeRecord(kind, bytes, protocol)
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e
  }
}

function readAll(kind: DiagKind, protocol: number, datagrams: readonly Uint8Array[]): void {
  const r = new ReplyReader(kind, protocol)
  try {
    for (const d of datagrams) for (const _ of r.read(d)) { /* drain */ }
  } catch (e) {
    if (!(e instanceof DecodeError) && !(e instanceof NetlinkError)) throw e
  }
}

/** Mutations of a byte string: truncate, flip bits, overwrite bytes, splice in garbage. */
const mutate = (base: Uint8Array): fc.Arbitrary<Uint8Array> => fc.oneof(
  fc.nat({ max: base.length }).map((n) => base.slice(0, n)),
  fc.array(fc.tuple(fc.nat({ max: Math.max(0, base.length - 1) }), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 }).map((flips) => {
    const b = base.slice()
    for (const [i, bit] of flips) if (b.length) b[i]! ^= 1 << bit
    return b
  }),
  fc.array(fc.tuple(fc.nat({ max: Math.max(0, base.length - 1) }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((sets) => {
    const b = base.slice()
    for (const [i, v] of sets) if (b.length) b[i] = v
    return b
  }),
  fc.tuple(fc.nat({ max: base.length }), fc.uint8Array({ maxLength: 64 })).map(([at, junk]) => {
    const b = new Uint8Array(base.length + junk.length)
    b.set(base.subarray(0, at))
    b.set(junk, at)
    b.set(base.subarray(at), at + junk.length)
    return b
  }),
)

t.test('decoders: mutated payloads of real replies', async (t) => {
  const arb = fc.integer({ min: 0, max: payloads.length - 1 }).chain((i) => mutate(payloads[i]!.payload).map((bytes) => ({ ...payloads[i]!, bytes })))
  fc.assert(fc.property(arb, ({ kind, protocol, bytes }) => decodeOnly(kind, protocol, bytes)), { numRuns: 6000 })
  t.pass('6000 mutated payloads')
})

t.test('decoders: random bytes for every family', async (t) => {
  fc.assert(fc.property(fc.constantFrom(...kinds), fc.constantFrom(6, 17, 262, 0), fc.uint8Array({ maxLength: 400 }), (kind, protocol, bytes) => decodeOnly(kind, protocol, bytes)), { numRuns: 3000 })
  t.pass('3000 random payloads')
})

t.test('reply reader: mutated datagrams', async (t) => {
  const arb = fc.integer({ min: 0, max: fixtures.length - 1 }).chain((i) => {
    const f = fixtures[i]!
    return fc.integer({ min: 0, max: f.datagrams.length - 1 }).chain((d) => mutate(f.datagrams[d]!).map((dg) => ({ f, dg })))
  })
  fc.assert(fc.property(arb, ({ f, dg }) => readAll(f.kind, f.protocol, [dg])), { numRuns: 3000 })
  t.pass('3000 mutated datagrams')
})

// Shrunk counterexamples and edge cases, kept as table cases.
const table: { name: string, kind: DiagKind, bytes: number[] }[] = [
  { name: 'empty inet payload', kind: 'inet', bytes: [] },
  { name: 'attribute with nla_len 0', kind: 'inet', bytes: [...new Array(72).fill(0), 0, 0, 1, 0] },
  { name: 'attribute with nla_len 3', kind: 'unix', bytes: [...new Array(16).fill(0), 3, 0, 0, 0] },
  { name: 'attribute running past the end', kind: 'packet', bytes: [...new Array(16).fill(0), 40, 0, 0, 0, 1, 2] },
  { name: 'u32 attribute of 2 bytes', kind: 'netlink', bytes: [...new Array(28).fill(0), 6, 0, 4, 0, 1, 2, 0, 0] },
  { name: 'short SKMEMINFO', kind: 'inet', bytes: [...new Array(72).fill(0), 8, 0, 7, 0, 1, 0, 0, 0] },
  { name: 'ragged MCLIST', kind: 'packet', bytes: [...new Array(16).fill(0), 9, 0, 1, 0, 1, 2, 3, 4, 5, 0, 0, 0] },
]
for (const c of table) t.throws(() => decodeRecord(c.kind, Uint8Array.from(c.bytes), 6), DecodeError, c.name)
