import t from 'tap'
import fc from 'fast-check'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { disassemble, formatAddr, formatDisasm, parseAddr, parseDisasm } from '../../compiler/disasm.js'
import type { Dest, DisasmLine, Operand, ParsedDisasmLine } from '../../compiler/disasm.js'
import { assemble } from '../../compiler/assemble.js'
import type { AssembledOp } from '../../compiler/assemble.js'
import { lower } from '../../compiler/lower.js'
import { SS_CASES, hex, toHex } from '../golden/disasm/cases.js'
import { arbIr } from '../golden/disasm/arbitraries.js'

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'disasm')
const UPDATE = process.env.UPDATE_GOLDEN === '1'

const words = (bc: string): string[] => disassemble(hex(bc)).map((l) => (l.kind === 'op' ? l.words : l.kind === 'bad' ? `(bad) ${l.reason}` : `.data ${toHex(l.bytes)}`))

t.test('operands in plain words', async (t) => {
  const cases: [string, string][] = [
    ['04080c00 00000004', 'remote port >= 1024'],
    ['02080c00 00000004', 'local port >= 1024'],
    ['03080c00 00001600', 'local port <= 22'],
    ['0b080c00 00001600', 'local port = 22'],
    ['0c080c00 0000bb01', 'remote port = 443'],
    ['08101400 02080000 ffffffff 0a000000', 'remote address in 10.0.0.0/8, any port'],
    ['07101400 00000000 16000000 00000000', 'local port = 22 (any family)'],
    ['070c1000 00000000 ffffffff', 'any local address and port (any family)'],
    ['081c2000 0a800000 fb200000 00000000 00000000 00000000 00000001', 'remote [::1]/128 port 8443'],
    ['07101400 02200000 50000000 7f000001', 'local 127.0.0.1/32 port 80'],
    ['071c2000 0a0a0000 ffffffff fe800000 00000000 00000000 00000000', 'local address in fe80::/10, any port'],
    ['081c2000 0a800000 ffffffff 00000000 00000000 0000ffff 01020304', 'remote address in ::ffff:1.2.3.4/128, any port'],
    ['0a0c1000 34120000 00ff0000', 'mark & 0xff00 == 0x1234'],
    ['09080c00 01000000', 'bound to ifindex 1'],
    ['09080c00 00000000', 'not bound to a device (ifindex 0)'],
    ['0d0c1000 d2040000 00000000', 'cgroup id 1234'],
    ['0d0c1000 ffffffff ffffffff', 'cgroup id 18446744073709551615'],
    ['06040800', 'port not explicitly bound (autobound)'],
    ['01040800', 'always false: take no'],
    ['00040000', 'always true: take yes'],
  ]
  for (const [bc, want] of cases) t.same(words(bc), [want], want)
})

t.test('edges: @offset, accept, reject, outside, unused', async (t) => {
  const dests = (bc: string): [string, string][] =>
    disassemble(hex(bc)).flatMap((l) => (l.kind === 'op' ? [[JSON.stringify(l.yesTo), JSON.stringify(l.noTo)] as [string, string]] : []))
  t.same(dests('01040400'), [['{"kind":"accept"}', '{"kind":"accept"}']])
  t.same(dests('01040800'), [['{"kind":"accept"}', '{"kind":"reject"}']])
  t.same(dests('010c0c00'), [['{"kind":"outside","at":12}', '{"kind":"outside","at":12}']])
  t.same(dests('0004ffff'), [['{"kind":"accept"}', '{"kind":"unused"}']])
  t.same(dests('06040800 00040000'), [['{"kind":"op","at":4}', '{"kind":"accept"}'], ['{"kind":"accept"}', '{"kind":"unused"}']])
})

t.test('bad input ends with a (bad) line, never a crash', async (t) => {
  const cases: [string, string][] = [
    ['', '(bad) empty program'],
    ['0004', '(bad) truncated: 2 bytes left, an op header needs 4'],
    ['0e040800', '(bad) unknown opcode 14'],
    ['07101400 02200000', '(bad) S_COND: truncated: needs 12 bytes, 8 left'],
    ['07101400 03200000 ffffffff 7f000001', '(bad) S_COND: address family 3 is not AF_UNSPEC (0), AF_INET (2) or AF_INET6 (10)'],
    ['07101400 02210000 ffffffff 7f000001', '(bad) S_COND: prefix length 33 is longer than the address (32 bits)'],
    ['070c1000 00010000 ffffffff', '(bad) S_COND: prefix length 1 is longer than the address (0 bits)'],
    ['02080c00', '(bad) S_GE: truncated: needs 8 bytes, 4 left'],
    ['0a0c1000 01000000', '(bad) MARK_COND: truncated: needs 12 bytes, 8 left'],
    ['0d0c1000 01000000', '(bad) CGROUP_COND: truncated: needs 12 bytes, 8 left'],
  ]
  for (const [bc, want] of cases) t.equal(words(bc).at(-1), want, bc || '(empty)')
  t.same(words('00000000'), ['always true: take yes', '(bad) yes=0 does not step to a following op (it must be a multiple of 4, at least 4)'])
  t.same(words('00060000 00000000'), ['always true: take yes', '(bad) yes=6 does not step to a following op (it must be a multiple of 4, at least 4)'])
  // Skipped words are shown when they hold something; zero padding (ss's AF_UNSPEC address) is not.
  t.same(words('00080000 deadbeef 01040800'), ['always true: take yes', '.data deadbeef', 'always false: take no'])
  t.same(words('00080000 00000000'), ['always true: take yes'])
})

// ---------------------------------------------------------------- goldens
interface Golden { name: string; text: string }
const goldens: Golden[] = []
for (const c of SS_CASES) {
  const p = assemble(lower(c.filter))
  goldens.push({
    name: c.name,
    text: `# filter: ${c.text}\n# bytes:  ${toHex(p.bytes)}\n${formatDisasm(disassemble(p.bytes, { ops: p.ops, source: c.text }))}\n`,
  })
}
// Raw bytes with no op map, as captured from another tool.
const raw: [string, string, string][] = [
  ['raw-mark-dev-cgroup-auto', 'MARK_COND, DEV_COND, CGROUP_COND and AUTO, no op map', '0a0c1000 00000000 ffffffff 09080c00 01000000 0d0c1000 d2040000 00000000 06040400'],
  ['raw-port-eq', 'S_EQ/D_EQ (kernel ≥ 4.16): sport = :22 or dport = :443', '0b080c00 00001600 01040c00 0c080c00 0000bb01'],
  ['raw-data-then-truncated', 'a NOP skipping a data word, then a truncated MARK_COND', '00080000 deadbeef 0a0c1000 10'],
  ['raw-unknown-opcode', 'opcode 14 after a JMP to it', '01040400 0e040800'],
]
for (const [name, what, bc] of raw) {
  goldens.push({ name, text: `# raw: ${what}\n# bytes:  ${toHex(hex(bc))}\n${formatDisasm(disassemble(hex(bc)))}\n` })
}

t.test(`golden listings in test/golden/disasm (UPDATE_GOLDEN=1 rewrites them)`, async (t) => {
  for (const g of goldens) {
    const file = join(GOLDEN, `${g.name}.txt`)
    if (UPDATE) writeFileSync(file, g.text)
    let want: string
    try {
      want = readFileSync(file, 'utf8')
    } catch {
      t.fail(`${g.name}.txt is missing; run with UPDATE_GOLDEN=1`)
      continue
    }
    t.equal(g.text, want, `${g.name}.txt is up to date`)
  }
  const names = new Set(goldens.map((g) => `${g.name}.txt`))
  const orphans = readdirSync(GOLDEN).filter((f) => f.endsWith('.txt') && !names.has(f))
  t.same(orphans, [], 'no golden file without a case')
})

t.test('golden listings parse back', async (t) => {
  for (const g of goldens) {
    const body = g.text.split('\n').filter((l) => !l.startsWith('#')).join('\n')
    t.doesNotThrow(() => parseDisasm(body), g.name)
  }
})

// ---------------------------------------------------------------- round trip
const expectedOperand = (op: AssembledOp): Operand => {
  const i = op.insn
  switch (i.op) {
    case 'S_COND': case 'D_COND': {
      const need = i.family === 0 ? 0 : i.family === 2 ? 4 : 16
      return { kind: 'hostcond', family: i.family, prefixLen: i.prefixLen, port: i.port, addr: i.addr.slice(0, need) }
    }
    case 'S_GE': case 'S_LE': case 'D_GE': case 'D_LE': case 'S_EQ': case 'D_EQ': return { kind: 'port', port: i.port & 0xffff }
    case 'DEV_COND': return { kind: 'ifindex', ifindex: i.ifindex >>> 0 }
    case 'MARK_COND': return { kind: 'markcond', mark: i.mark >>> 0, mask: i.mask >>> 0 }
    case 'CGROUP_COND': return { kind: 'cgroup', id: i.id }
    case 'AUTO': case 'JMP': case 'NOP': return { kind: 'none' }
  }
}
const destOf = (abs: number, L: number): Dest => (abs === L ? { kind: 'accept' } : abs === L + 4 ? { kind: 'reject' } : { kind: 'op', at: abs })
/** Comparable form: addresses as hex, bigints as strings. */
const norm = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v: unknown) => (v instanceof Uint8Array ? toHex(v) : typeof v === 'bigint' ? `${v}n` : v)))

t.test('property: parse(format(disassemble(assemble(ir)))) lists exactly the assembled instructions', async (t) => {
  fc.assert(
    fc.property(arbIr, ({ ir, source }) => {
      const p = assemble(ir)
      const L = p.bytes.length
      const want: ParsedDisasmLine[] = p.ops.map((op) => ({
        kind: 'op', offset: op.offset, op: op.insn.op, operand: expectedOperand(op),
        yesTo: destOf(op.offset + op.yes, L),
        noTo: op.insn.op === 'NOP' ? { kind: 'unused' } : destOf(op.offset + op.no, L),
        source: source.slice(op.span!.start, op.span!.end),
      }))
      const lines = disassemble(p.bytes, { ops: p.ops, source })
      const got = parseDisasm(formatDisasm(lines)).filter((l) => l.kind !== 'data')
      const ok = JSON.stringify(norm(got)) === JSON.stringify(norm(want))
      if (!ok) throw new Error(`${formatDisasm(lines)}\n--- want\n${JSON.stringify(norm(want))}\n--- got\n${JSON.stringify(norm(got))}`)
      return true
    }),
    { numRuns: 1500 },
  )
  t.pass('1500 random programs round-tripped')
})

t.test('property: any bytes disassemble without throwing, and the text parses back to the same lines', async (t) => {
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    // Plausible headers so that deeper decoding is reached.
    fc.array(fc.tuple(fc.integer({ min: 0, max: 15 }), fc.constantFrom(4, 8, 12, 16, 28, 0, 6), fc.uint8Array({ minLength: 26, maxLength: 26 })), { maxLength: 6 })
      .map((ops) => Uint8Array.from(ops.flatMap(([c, y, b]) => [c, y, ...b.subarray(0, Math.max(2, y - 2))]))),
  )
  let bad = 0
  fc.assert(
    fc.property(bytes, (b) => {
      const lines: DisasmLine[] = disassemble(b)
      if (lines.at(-1)?.kind === 'bad') bad++
      // At most one (bad) line, and only at the end.
      if (lines.slice(0, -1).some((l) => l.kind === 'bad')) return false
      const back = parseDisasm(formatDisasm(lines))
      const strip = (l: DisasmLine | ParsedDisasmLine): unknown =>
        l.kind === 'op' ? norm({ kind: l.kind, offset: l.offset, op: l.op, operand: l.operand, yesTo: l.yesTo, noTo: l.noTo }) : norm(l)
      return JSON.stringify(back.map(strip)) === JSON.stringify(lines.map(strip))
    }),
    { numRuns: 3000 },
  )
  t.ok(bad > 100 && bad < 2900, `${bad} of 3000 ended in (bad)`)
})

t.test('addresses: formatAddr/parseAddr', async (t) => {
  const rows: [string, string][] = [
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['fe800000000000000000000000000000', 'fe80::'],
    ['20010db8000000010000000000000001', '2001:db8:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['00000000000000000000ffff01020304', '::ffff:1.2.3.4'],
    ['00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
    ['7f000001', '127.0.0.1'],
  ]
  for (const [h, s] of rows) {
    t.equal(formatAddr(hex(h)), s)
    t.equal(toHex(parseAddr(s)!), toHex(hex(h)), `parse ${s}`)
  }
  // Eight groups, many of them zero, so that `::` placement is exercised.
  const zeroRuns = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
    .map((g) => Uint8Array.from(g.flatMap((w) => [w >> 8, w & 0xff])))
  for (const s of ['1.2.3', '1.2.3.256', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7']) t.equal(parseAddr(s), undefined, `rejects ${s}`)
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.constantFrom(...rows.map(([h]) => hex(h))), zeroRuns), (a) =>
      toHex(parseAddr(formatAddr(a))!) === toHex(a),
    ),
    { numRuns: 2000 },
  )
})
