// eBPF assembler/disassembler: table cases for the encoding, round trips
// (bytes → decode → assemble, bytes → listing → parse → assemble) over
// random programs, labels resolved in one place, and bad bytes never crash.
import t from 'tap'
import fc from 'fast-check'
import { assemble } from '../../compiler/ebpf/assemble.js'
import { decode, formatListing, parseListing } from '../../compiler/ebpf/disasm.js'
import type { Insn, Label, RealInsn } from '../../compiler/ebpf/ir.js'
import type { SizeName } from '../../uapi/bpf.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const listing = (ir: Insn[]): string => formatListing(decode(assemble(ir).bytes))

t.test('encoding: one instruction each (hex independent of the encoder: from the kernel docs)', async (t) => {
  const cases: [RealInsn, string, string][] = [
    [{ op: 'alu', alu: 'mov', wide: true, dst: 6, src: { reg: 1 } }, 'bf16000000000000', 'r6 = r1'],
    [{ op: 'alu', alu: 'add', wide: true, dst: 1, src: { imm: -8 } }, '07010000f8ffffff', 'r1 += -8'],
    [{ op: 'alu', alu: 'mov', wide: false, dst: 0, src: { imm: 0 } }, 'b400000000000000', 'w0 = 0'],
    [{ op: 'alu', alu: 'rsh', wide: true, dst: 2, src: { imm: 3 } }, '7702000003000000', 'r2 >>= 3'],
    [{ op: 'alu', alu: 'arsh', wide: false, dst: 2, src: { reg: 3 } }, 'cc32000000000000', 'w2 s>>= w3'],
    [{ op: 'neg', wide: true, dst: 4 }, '8704000000000000', 'r4 = -r4'],
    [{ op: 'end', order: 'be', bits: 16, dst: 2 }, 'dc02000010000000', 'r2 = be16 r2'],
    [{ op: 'end', order: 'le', bits: 32, dst: 2 }, 'd402000020000000', 'r2 = le32 r2'],
    [{ op: 'ldx', size: 'u64', dst: 7, src: 6, off: 8 }, '7967080000000000', 'r7 = *(u64 *)(r6 +8)'],
    [{ op: 'ldx', size: 'u16', dst: 2, src: 7, off: 14 }, '69720e0000000000', 'r2 = *(u16 *)(r7 +14)'],
    [{ op: 'ldx', size: 'u8', dst: 2, src: 7, off: 18 }, '7172120000000000', 'r2 = *(u8 *)(r7 +18)'],
    [{ op: 'stx', size: 'u32', dst: 10, src: 2, off: -64 }, '632ac0ff00000000', '*(u32 *)(r10 -64) = r2'],
    [{ op: 'st', size: 'u64', dst: 10, off: -8, imm: 7 }, '7a0af8ff07000000', '*(u64 *)(r10 -8) = 7'],
    [{ op: 'call', helper: 127, name: 'bpf_seq_write' }, '850000007f000000', 'call bpf_seq_write#127'],
    [{ op: 'exit' }, '9500000000000000', 'exit'],
    [{ op: 'jmp', cond: 'jeq', wide: true, dst: 7, src: { imm: 0 }, target: 1 }, '1507010000000000', 'if r7 == 0x0 goto pc+1'],
    [{ op: 'jmp', cond: 'jne', wide: false, dst: 2, src: { imm: -1 }, target: 1 }, '56020100ffffffff', 'if w2 != 0xffffffff goto pc+1'],
    [{ op: 'jmp', cond: 'jsgt', wide: true, dst: 2, src: { reg: 3 }, target: 1 }, '6d32010000000000', 'if r2 s> r3 goto pc+1'],
    [{ op: 'jmp', cond: 'jle', wide: false, dst: 2, src: { imm: 1024 }, target: 1 }, 'b602010000040000', 'if w2 <= 0x400 goto pc+1'],
    [{ op: 'ja', target: 1 }, '0500010000000000', 'goto pc+1'],
  ]
  for (const [insn, want, text] of cases) {
    // Jumps need somewhere to land: append two exits.
    const tail: RealInsn[] = [{ op: 'exit' }, { op: 'exit' }]
    const p = assemble([insn, ...tail])
    t.equal(hex(p.bytes.subarray(0, 8)), want, text)
    t.equal(formatListing(decode(p.bytes, new Map([[127, 'bpf_seq_write']]))).split('\n')[0], `    0: (${want.slice(0, 2)}) ${text}`, text)
  }
  const wide = assemble([{ op: 'lddw', dst: 1, imm: 0x1122334455667788n }, { op: 'exit' }])
  t.equal(hex(wide.bytes), '18010000887766550000000044332211' + '9500000000000000')
  t.equal(listing([{ op: 'lddw', dst: 1, imm: -1n }, { op: 'exit' }]), '    0: (18) r1 = 0xffffffffffffffff\n    2: (95) exit\n')
})

t.test('labels: forward and backward, resolved by the assembler only', async (t) => {
  const out: Label = { id: 1, name: 'out' }
  const top: Label = { id: 2, name: 'top' }
  const ir: Insn[] = [
    { op: 'label', label: top },
    { op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: out },
    { op: 'lddw', dst: 2, imm: 5n },
    { op: 'alu', alu: 'sub', wide: true, dst: 1, src: { imm: 1 } },
    { op: 'ja', target: top },
    { op: 'label', label: out },
    { op: 'alu', alu: 'mov', wide: false, dst: 0, src: { imm: 0 } },
    { op: 'exit' },
  ]
  t.equal(listing(ir), [
    '    0: (15) if r1 == 0x0 goto pc+4',
    '    1: (18) r2 = 0x5',
    '    3: (17) r1 -= 1',
    '    4: (05) goto pc-5',
    '    5: (b4) w0 = 0',
    '    6: (95) exit',
    '',
  ].join('\n'))
  const errs: [string, Insn[], string][] = [
    ['label never placed', [{ op: 'ja', target: { id: 9 } }, { op: 'exit' }], 'E_EBPF_LABEL'],
    ['label at the end', [{ op: 'ja', target: out }, { op: 'exit' }, { op: 'label', label: out }], 'E_EBPF_JUMP'],
    ['label twice', [{ op: 'label', label: out }, { op: 'label', label: out }, { op: 'exit' }], 'E_EBPF_LABEL'],
    ['into an lddw', [{ op: 'ja', target: 1 }, { op: 'lddw', dst: 1, imm: 1n }, { op: 'exit' }], 'E_EBPF_JUMP'],
    ['outside', [{ op: 'ja', target: -2 }, { op: 'exit' }], 'E_EBPF_JUMP'],
    ['write r10', [{ op: 'alu', alu: 'mov', wide: true, dst: 10, src: { imm: 0 } }, { op: 'exit' }], 'E_EBPF_REG'],
    ['r11', [{ op: 'ldx', size: 'u8', dst: 1, src: 11, off: 0 }, { op: 'exit' }], 'E_EBPF_REG'],
    ['offset too far', [{ op: 'ldx', size: 'u8', dst: 1, src: 1, off: 40000 }, { op: 'exit' }], 'E_EBPF_RANGE'],
  ]
  for (const [what, prog, code] of errs) t.throws(() => assemble(prog), { name: 'FilterError', code }, what)
})

t.test('annotated listing: notes and filter text beside instructions', async (t) => {
  const source = 'sport = :22'
  const ir: Insn[] = [
    { op: 'ldx', size: 'u16', dst: 2, src: 7, off: 14, note: 'skc_num', span: { start: 0, end: 11 } },
    { op: 'alu', alu: 'mov', wide: false, dst: 0, src: { imm: 0 } },
    { op: 'exit' },
  ]
  const p = assemble(ir)
  t.equal(formatListing(decode(p.bytes), { source, placed: p.insns }).split('\n')[0], '    0: (69) r2 = *(u16 *)(r7 +14)           ; skc_num  sport = :22')
})

const reg = fc.integer({ min: 0, max: 9 })
const anyReg = fc.integer({ min: 0, max: 10 })
const size = fc.constantFrom<SizeName>('u8', 'u16', 'u32', 'u64')
const imm32 = fc.integer({ min: -0x80000000, max: 0x7fffffff })
const off16 = fc.integer({ min: -0x8000, max: 0x7fff })
const operand = fc.oneof(anyReg.map((r) => ({ reg: r })), imm32.map((i) => ({ imm: i })))
const binAlu = fc.constantFrom('add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'mod', 'xor', 'mov', 'arsh' as const)
const cond = fc.constantFrom('jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'jlt', 'jle', 'jslt', 'jsle' as const)

/** A straight-line instruction (no jumps). */
const plain: fc.Arbitrary<RealInsn> = fc.oneof(
  fc.record({ op: fc.constant('alu' as const), alu: binAlu, wide: fc.boolean(), dst: reg, src: operand }),
  fc.record({ op: fc.constant('neg' as const), wide: fc.boolean(), dst: reg }),
  fc.record({ op: fc.constant('end' as const), order: fc.constantFrom('be' as const, 'le' as const), bits: fc.constantFrom(16 as const, 32 as const, 64 as const), dst: reg }),
  fc.record({ op: fc.constant('call' as const), helper: fc.integer({ min: 0, max: 250 }) }),
  fc.constant({ op: 'exit' as const }),
  fc.record({ op: fc.constant('ldx' as const), size, dst: reg, src: anyReg, off: off16 }),
  fc.record({ op: fc.constant('stx' as const), size, dst: anyReg, src: anyReg, off: off16 }),
  fc.record({ op: fc.constant('st' as const), size, dst: anyReg, off: off16, imm: imm32 }),
  fc.record({ op: fc.constant('lddw' as const), dst: reg, imm: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }) }),
)

/** A program with labelled jumps: each jump picks a label placed before some instruction. */
const program: fc.Arbitrary<Insn[]> = fc.array(fc.oneof({ weight: 3, arbitrary: plain.map((i) => ({ kind: 'plain' as const, i })) }, {
  weight: 1,
  arbitrary: fc.record({ kind: fc.constant('jump' as const), to: fc.nat(), cond: fc.option(cond, { nil: undefined }), wide: fc.boolean(), dst: anyReg, src: operand }),
}), { minLength: 1, maxLength: 40 }).map((items) => {
  const labels = items.map((_, i): Label => ({ id: i }))
  const ir: Insn[] = []
  items.forEach((it, i) => {
    ir.push({ op: 'label', label: labels[i]! })
    if (it.kind === 'plain') ir.push(it.i)
    else {
      const target = labels[it.to % items.length]!
      ir.push(it.cond === undefined ? { op: 'ja', target } : { op: 'jmp', cond: it.cond, wide: it.wide, dst: it.dst, src: it.src, target })
    }
  })
  return ir
})

t.test('round trips over random programs', async (t) => {
  fc.assert(fc.property(program, (ir) => {
    const bytes = assemble(ir).bytes
    const lines = decode(bytes)
    if (lines.some((l) => l.kind === 'bad')) throw new Error(`decode refused: ${formatListing(lines)}`)
    const again = assemble(lines.map((l) => (l.kind === 'insn' ? l.insn : { op: 'exit' as const })))
    if (hex(again.bytes) !== hex(bytes)) throw new Error('decode → assemble changed the bytes')
    const text = formatListing(lines)
    const parsed = assemble(parseListing(text))
    if (hex(parsed.bytes) !== hex(bytes)) throw new Error(`listing → parse → assemble changed the bytes:\n${text}`)
    if (formatListing(decode(parsed.bytes)) !== text) throw new Error('listing is not stable')
  }), { numRuns: 1500 })
  t.pass('1500 programs')
})

t.test('arbitrary bytes: decode never throws; what it reads it re-encodes', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    const lines = decode(bytes)
    const insns = lines.filter((l) => l.kind === 'insn')
    for (const l of insns) {
      // Each decoded instruction on its own (jumps re-targeted at pc+0) re-encodes to its own bytes but the offset.
      const i = l.insn
      const slot = bytes.subarray(l.pc * 8, l.pc * 8 + (i.op === 'lddw' ? 16 : 8))
      const alone = i.op === 'jmp' || i.op === 'ja' ? { ...i, target: 0 } : i
      const b = assemble([alone, { op: 'exit' }]).bytes.subarray(0, slot.length)
      const mask = (x: Uint8Array): string => (i.op === 'jmp' || i.op === 'ja' ? hex(x.subarray(0, 2)) + hex(x.subarray(4)) : hex(x))
      if (mask(b) !== mask(slot)) throw new Error(`pc ${l.pc}: ${hex(slot)} re-encodes as ${hex(b)}`)
    }
    formatListing(lines)
  }), { numRuns: 2000 })
  t.pass('no crash')
  t.same(decode(Uint8Array.from([0x95, 0, 0, 0, 0, 0, 0, 0, 0xff])).at(-1), { kind: 'bad', pc: 1, reason: '1 trailing bytes (instructions are 8 bytes)' })
  t.same(decode(Uint8Array.from([0x18, 1, 0, 0, 0, 0, 0, 0])).at(-1), { kind: 'bad', pc: 0, reason: '64-bit load without its second slot' })
  t.throws(() => parseListing('0: (95) exit\n1: (00) frobnicate r1'), { name: 'FilterError', code: 'E_EBPF_LISTING' })
})
