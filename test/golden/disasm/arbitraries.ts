/**
 * Shared fast-check arbitraries (no tests of its own): random well-formed
 * IR programs with random forward label targets. Used by the assembler's
 * audit property and the disassembler's round-trip property.
 */
import fc from 'fast-check'
import type { Insn, Ir, Label, Target } from '../../../compiler/ir.js'

/** An IR program plus a source text whose word `op<i>` is the span of the i-th op. */
export interface RandomIr {
  readonly ir: Ir
  readonly source: string
}

type Template = (no: Target, span: { start: number; end: number }) => Insn

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const anyPort = fc.oneof(fc.constantFrom(-1, 0, 22, 65535), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }))

const hostcond: fc.Arbitrary<Template> = fc
  .tuple(fc.constantFrom('S_COND', 'D_COND') as fc.Arbitrary<'S_COND' | 'D_COND'>, fc.constantFrom(0, 2, 10), fc.nat(128), anyPort, fc.constantFrom(0, 0, 4, 8), fc.uint8Array({ minLength: 24, maxLength: 24 }))
  .map(([op, family, p, port, extra, raw]): Template => {
    const need = family === 0 ? 0 : family === 2 ? 4 : 16
    // ss gives AF_UNSPEC conditions 4 zero address bytes; extra words are skipped by `yes`.
    const addr = raw.slice(0, need + extra)
    const prefixLen = need === 0 ? 0 : p % (8 * need + 1)
    return (no, span) => ({ op, family, prefixLen, port, addr, no, span })
  })

const template: fc.Arbitrary<Template> = fc.oneof(
  hostcond,
  fc.tuple(fc.constantFrom('S_GE', 'S_LE', 'D_GE', 'D_LE', 'S_EQ', 'D_EQ') as fc.Arbitrary<'S_GE'>, fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(-1, 65536, 70536)))
    .map(([op, port]): Template => (no, span) => ({ op, port, no, span })),
  u32.map((ifindex): Template => (no, span) => ({ op: 'DEV_COND', ifindex, no, span })),
  fc.tuple(u32, u32).map(([mark, mask]): Template => (no, span) => ({ op: 'MARK_COND', mark, mask, no, span })),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((id): Template => (no, span) => ({ op: 'CGROUP_COND', id, no, span })),
  fc.constantFrom('AUTO', 'JMP', 'NOP').map((op): Template => (no, span) => (op === 'NOP' ? { op, span } : { op: op as 'AUTO', no, span })),
)

/**
 * 1–12 ops, 0–4 labels placed anywhere (including the very end), every
 * false edge to `accept`, `reject` or a label placed after its op.
 */
export const arbIr: fc.Arbitrary<RandomIr> = fc
  .tuple(
    fc.array(fc.tuple(template, fc.nat()), { minLength: 1, maxLength: 12 }),
    fc.array(fc.nat(), { maxLength: 4 }),
  )
  .map(([ops, labelSeeds]) => {
    const n = ops.length
    const labels = labelSeeds.map((s, id) => ({ label: { id } as Label, at: s % (n + 1) }))
    const source = ops.map((_, i) => `op${i}`).join(' ')
    const ir: Insn[] = []
    let cursor = 0
    for (let i = 0; i <= n; i++) {
      for (const l of labels) if (l.at === i) ir.push({ op: 'label', label: l.label })
      if (i === n) break
      const [make, pick] = ops[i]!
      const targets: Target[] = ['accept', 'reject', ...labels.filter((l) => l.at > i).map((l) => l.label)]
      const word = `op${i}`
      const start = source.indexOf(word, cursor)
      cursor = start + word.length
      ir.push(make(targets[pick % targets.length]!, { start, end: start + word.length }))
    }
    return { ir, source }
  })
