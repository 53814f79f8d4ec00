// The classic BPF assembler and disassembler: golden listings (tcpdump -d
// and -ddd formats) for a set of filters, the round trips
// bytes → decode → encode and listing → parseAsm, and the assembler's
// label resolution with ja trampolines for edges longer than 255.
import t from 'tap'
import fc from 'fast-check'
import { readFileSync, writeFileSync } from 'node:fs'
import { compileEventFilter } from '../../compiler/cbpf/compile.js'
import { assemble, encodeOps } from '../../compiler/cbpf/assemble.js'
import { decodeProgram, formatAsm, formatDd, formatDdd, formatInsn, parseAsm } from '../../compiler/cbpf/disasm.js'
import { checkProgram } from '../../compiler/cbpf/check.js'
import type { CbpfCondName, CbpfInsn, CbpfLabel, CbpfStmtName } from '../../compiler/cbpf/ir.js'
import { CBPF_OPCODES, SKF_AD_OFF } from '../../uapi/bpf-classic.js'
import type { CbpfOpcodeInfo } from '../../uapi/bpf-classic.js'
import { FilterError } from '../../grammar/errors.js'
import { filterFromText } from './cbpf-fixtures.js'

const GOLDEN = new URL('../golden/cbpf/', import.meta.url)
const UPDATE = process.env.SSX_UPDATE_GOLDEN === '1'
const RANGE = [32768, 60999] as const

/** Golden filters: name → text. */
const GOLDEN_CASES: readonly [string, string][] = [
  ['no-filter', ''],
  ['sport-eq-22', 'sport = :22'],
  ['dport-ne-443', 'dport != :443'],
  ['sport-ge-1024-and-dport-lt-1024', 'sport >= :1024 and dport < :1024'],
  ['src-10-8', 'src 10.0.0.0/8'],
  ['dst-192.168.1.0-24-port-80', 'dst 192.168.1.0/24:80'],
  ['src-v6-loopback', 'src [::1]'],
  ['dst-2001-db8-32', 'dst 2001:db8::/32'],
  ['src-12-or-dst-fe80-10', 'src 10.1.2.3/12 or dst fe80::/10'],
  ['not-sport-22-or-80', 'not ( sport = :22 or sport = :80 )'],
  ['dev-lo-and-autobound', 'dev lo and autobound'],
  ['fwmark-and-sport', 'fwmark 0x10/0xff and sport = :22'],
  ['rtt-and-sport', 'rtt > 50ms and sport = :22'],
  ['unix-src', 'src unix:/tmp/*'],
  ['dport-services', 'dport = :ssh or dport = :http or dport = :https'],
]

t.test('golden listings (tcpdump -d and -ddd)', async (t) => {
  for (const [name, text] of GOLDEN_CASES) {
    const { filter, source } = await filterFromText(text)
    const r = compileEventFilter(filter, { localPortRange: RANGE, littleEndian: true })
    const got = [
      `# filter: ${source}`,
      `# exact: ${r.exact}`,
      ...r.residual.map((x) => `# user space: ${source.slice(x.span.start, x.span.end)} (${x.reason})`),
      formatAsm(r.ops).trimEnd(),
      '# ddd',
      formatDdd(r.ops).trimEnd(),
      '',
    ].join('\n')
    const file = new URL(`${name}.txt`, GOLDEN)
    if (UPDATE) writeFileSync(file, got)
    t.equal(got, readFileSync(file, 'utf8'), name)
    t.equal(r.program.length, r.ops.length * 8, `${name}: 8 bytes per instruction`)
    t.same(checkProgram(r.ops), { ok: true }, `${name}: passes the checker`)
  }
})

t.test('instruction formats as tcpdump prints them', async (t) => {
  const cases: [string, number, number, number, number, string][] = [
    // [name, code, jt, jf, k, line at pc 3]
    ['ld abs', 0x20, 0, 0, 24, '(003) ld       [24]'],
    ['ldh abs', 0x28, 0, 0, 20, '(003) ldh      [20]'],
    ['ldb abs', 0x30, 0, 0, 16, '(003) ldb      [16]'],
    ['ld ancillary nla', 0x20, 0, 0, SKF_AD_OFF + 12, '(003) ld       [nla]'],
    ['ld ancillary unknown offset prints signed', 0x20, 0, 0, SKF_AD_OFF + 200, '(003) ld       [-3896]'],
    ['ld ind', 0x40, 0, 0, 4, '(003) ld       [x + 4]'],
    ['ld len', 0x80, 0, 0, 0, '(003) ld       #pktlen'],
    ['ldx len', 0x81, 0, 0, 0, '(003) ldx      #pktlen'],
    ['ld imm', 0x00, 0, 0, 255, '(003) ld       #0xff'],
    ['ldx imm', 0x01, 0, 0, 1, '(003) ldx      #0x1'],
    ['ldxb msh', 0xb1, 0, 0, 14, '(003) ldxb     4*([14]&0xf)'],
    ['ld mem', 0x60, 0, 0, 3, '(003) ld       M[3]'],
    ['st', 0x02, 0, 0, 15, '(003) st       M[15]'],
    ['add k', 0x04, 0, 0, 0xffffffff, '(003) add      #-1'],
    ['and k', 0x54, 0, 0, 0xff00, '(003) and      #0xff00'],
    ['xor x', 0xac, 0, 0, 0, '(003) xor      x'],
    ['neg', 0x84, 0, 0, 0, '(003) neg      '],
    ['ja', 0x05, 0, 0, 2, '(003) ja       6'],
    ['jeq k', 0x15, 0, 1, 0x800, '(003) jeq      #0x800           jt 4\tjf 5'],
    ['jset x', 0x4d, 2, 0, 0, '(003) jset     x                jt 6\tjf 4'],
    ['ret k', 0x06, 0, 0, 0xffffffff, '(003) ret      #-1'],
    ['ret k 0', 0x06, 0, 0, 0, '(003) ret      #0'],
    ['ret a', 0x16, 0, 0, 0, '(003) ret      '],
    ['tax', 0x07, 0, 0, 0, '(003) tax      '],
    ['unknown code', 0x0e, 0, 0, 0, '(003) unimp    0xe'],
    ['unknown jump-class code keeps the jump layout', 0x55, 0, 0, 0, '(003) unimp    0x55             jt 4\tjf 4'],
  ]
  for (const [name, code, jt, jf, k, line] of cases) t.equal(formatInsn({ code, jt, jf, k }, 3), line, name)
})

t.test('-dd and -ddd formats', async (t) => {
  const ops = [{ code: 0x28, jt: 0, jf: 0, k: 20 }, { code: 0x15, jt: 0, jf: 1, k: 22 }, { code: 0x06, jt: 0, jf: 0, k: 0xffffffff }, { code: 0x06, jt: 0, jf: 0, k: 0 }]
  t.equal(formatDdd(ops), '4\n40 0 0 20\n21 0 1 22\n6 0 0 4294967295\n6 0 0 0\n')
  t.equal(formatDd(ops), '{ 0x28, 0, 0, 0x00000014 },\n{ 0x15, 0, 1, 0x00000016 },\n{ 0x6, 0, 0, 0xffffffff },\n{ 0x6, 0, 0, 0x00000000 },\n')
})

// ---------------------------------------------------------------- round trips

const INFOS: readonly CbpfOpcodeInfo[] = Object.values(CBPF_OPCODES)

/** An instruction whose every field is printed by the listing (k is 0 where the listing does not show it). */
const insnArb = (pcMax: number): fc.Arbitrary<{ code: number; jt: number; jf: number; k: number }> =>
  fc.tuple(fc.constantFrom(...INFOS), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.oneof(fc.integer({ min: 0, max: 64 }), fc.nat(), fc.constantFrom(0xffffffff, SKF_AD_OFF, SKF_AD_OFF + 12, SKF_AD_OFF + 56))).map(([info, jt, jf, k]) => {
    const shown = info.operand !== 'x' && info.operand !== 'none' && info.operand !== 'len'
    const cond = info.jump === 'cond'
    return { code: info.code, jt: cond ? jt : 0, jf: cond ? jf : 0, k: shown ? (info.operand === 'ja' ? k % (pcMax + 1) : k) >>> 0 : 0 }
  })

t.test('round trip: bytes → decode → encode, and listing → parseAsm (property)', async (t) => {
  fc.assert(
    fc.property(fc.array(insnArb(4096), { minLength: 1, maxLength: 40 }), (ops) => {
      const bytes = encodeOps(ops)
      const decoded = decodeProgram(bytes)
      if (JSON.stringify(decoded.map(({ code, jt, jf, k }) => ({ code, jt, jf, k }))) !== JSON.stringify(ops)) throw new Error('decode differs')
      if (Buffer.compare(encodeOps(decoded), bytes) !== 0) throw new Error('re-encoding changed the bytes')
      const back = parseAsm(formatAsm(decoded))
      if (JSON.stringify(back) !== JSON.stringify(ops)) throw new Error(`listing round trip:\n${formatAsm(decoded)}\n${JSON.stringify(back)}\n${JSON.stringify(ops)}`)
    }),
    { numRuns: 1000 },
  )
})

t.test('parseAsm reads annotated listings and refuses malformed ones', async (t) => {
  const listing = '(000) ldh      [20]                               # sport = :22\n(001) jeq      #0x16            jt 2\tjf 3\n(002) ret      #-1\n(003) ret      #0\n'
  t.same(parseAsm(listing), [{ code: 0x28, jt: 0, jf: 0, k: 20 }, { code: 0x15, jt: 0, jf: 1, k: 22 }, { code: 6, jt: 0, jf: 0, k: 0xffffffff }, { code: 6, jt: 0, jf: 0, k: 0 }])
  const bad: [string, RegExp][] = [
    ['(000) frob     #1', /cannot read/],
    ['(001) ret      #0', /expected instruction \(000\)/],
    ['(000) jeq      #0x1', /jt\/jf/],
    ['(000) ret      #0                 jt 1\tjf 1', /jt\/jf/],
    ['(005) jeq      #0x1             jt 4\tjf 6', /expected instruction|out of range/],
    ['hello', /not an instruction line/],
  ]
  for (const [text, re] of bad) t.throws(() => parseAsm(text), { code: 'E_ASM', message: re }, text)
})

// ---------------------------------------------------------------- assembler

t.test('assembler: labels, next, errors', async (t) => {
  const L = (id: number): CbpfLabel => ({ id })
  const a = L(0)
  const b = L(1)
  const p = assemble([
    { op: 'LD_H_ABS', k: 20 },
    { op: 'JMP_JEQ_K', k: 22, jt: 'next', jf: b },
    { op: 'JMP_JA', to: a },
    { op: 'RET_K', k: 7 },
    { op: 'label', label: a },
    { op: 'RET_K', k: 1 },
    { op: 'label', label: b },
    { op: 'RET_K', k: 0 },
  ])
  t.same(p.ops.map(({ code, jt, jf, k }) => [code, jt, jf, k]), [[0x28, 0, 0, 20], [0x15, 0, 3, 22], [0x05, 0, 0, 1], [6, 0, 0, 7], [6, 0, 0, 1], [6, 0, 0, 0]])
  t.throws(() => assemble([{ op: 'JMP_JA', to: L(9) }, { op: 'RET_K', k: 0 }]), { code: 'E_LABEL' })
  t.throws(() => assemble([{ op: 'label', label: a }, { op: 'RET_K', k: 0 }, { op: 'JMP_JA', to: a }]), { code: 'E_JUMP' })
  t.throws(() => assemble([{ op: 'label', label: a }, { op: 'label', label: a }, { op: 'RET_K', k: 0 }]), { code: 'E_LABEL' })
  const tooLong: CbpfInsn[] = Array.from({ length: 4097 }, () => ({ op: 'RET_K', k: 0 }))
  t.throws(() => assemble(tooLong), FilterError)
  t.throws(() => assemble(tooLong), { code: 'E_TOO_LONG' })
  t.equal(assemble(tooLong.slice(1)).ops.length, 4096, '4096 instructions are fine')
})

t.test('assembler: an edge of 256 goes through a ja trampoline, 255 does not', async (t) => {
  for (const gap of [254, 255, 256, 300]) {
    const far = { id: 0 }
    const ir: CbpfInsn[] = [
      { op: 'LD_H_ABS', k: 20 },
      { op: 'JMP_JEQ_K', k: 22, jt: 'next', jf: far },
      ...Array.from({ length: gap }, (): CbpfInsn => ({ op: 'LD_IMM', k: 1 })),
      { op: 'RET_K', k: 1 },
      { op: 'label', label: far },
      { op: 'RET_K', k: 0 },
    ]
    const p = assemble(ir)
    const j = p.ops[1]!
    const landing = (pc: number, edge: number): number => {
      const to = pc + 1 + edge
      const op = p.ops[to]!
      return op.trampoline ? to + 1 + op.k : to
    }
    t.equal(landing(1, j.jf), p.ops.length - 1, `gap ${gap}: jf lands on ret #0`)
    t.equal(landing(1, j.jt), 2 + (p.ops[2]!.trampoline ? 1 : 0), `gap ${gap}: jt falls through past the trampoline`)
    t.equal(p.ops.some((o) => o.trampoline), gap + 1 > 255, `gap ${gap}: trampoline iff the edge exceeds 255`)
    t.same(checkProgram(p.ops), { ok: true })
  }
})

/** Random straight-line IR with forward jumps to labels, some far away. */
const irArb = fc.array(fc.tuple(fc.nat(6), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 400 })), { minLength: 1, maxLength: 25 }).map((steps) => {
  const labels: CbpfLabel[] = steps.map((_, i) => ({ id: i }))
  const ir: CbpfInsn[] = []
  const conds: CbpfCondName[] = ['JMP_JEQ_K', 'JMP_JGT_K', 'JMP_JGE_K', 'JMP_JSET_K']
  const fillers: CbpfStmtName[] = ['LD_IMM', 'ALU_ADD_K', 'LD_B_ABS']
  steps.forEach(([kind, a, b, pad], i) => {
    const later = (n: number): CbpfLabel => labels[i + 1 + (n % (steps.length - i))] ?? labels[steps.length - 1]!
    ir.push({ op: 'label', label: labels[i]! })
    for (let p = 0; p < pad; p++) ir.push({ op: fillers[p % 3]!, k: p & 0xff })
    if (i === steps.length - 1) return
    if (kind === 0) ir.push({ op: 'JMP_JA', to: later(a) })
    else ir.push({ op: conds[kind % 4]!, k: a & 0xff, jt: a % 3 === 0 ? 'next' : later(a), jf: later(b) })
  })
  ir.push({ op: 'RET_K', k: 0 })
  return ir
})

t.test('assembler: every edge lands on its label, through trampolines (property)', async (t) => {
  let trampolined = 0
  fc.assert(
    fc.property(irArb, (ir) => {
      const p = assemble(ir)
      // Position of each real IR instruction in the output, and of each label.
      const posOf: number[] = []
      const labelPos = new Map<number, number>()
      let pc = 0
      const pending: number[] = []
      for (const [i, insn] of ir.entries()) {
        if (insn.op === 'label') {
          pending.push(insn.label.id)
          continue
        }
        while (p.ops[pc]?.trampoline) pc++
        for (const id of pending.splice(0)) labelPos.set(id, pc)
        posOf[i] = pc++
      }
      const land = (from: number, edge: number): number => {
        const to = from + 1 + edge
        const op = p.ops[to]!
        return op.trampoline ? land(to, op.k) : to
      }
      for (const [i, insn] of ir.entries()) {
        if (insn.op === 'label') continue
        const at = posOf[i]!
        const op = p.ops[at]!
        if (insn.op === 'JMP_JA') {
          if (land(at, op.k) !== labelPos.get(insn.to.id)) throw new Error(`ja at ${at} misses its label`)
        } else if ('jt' in insn) {
          const want = (x: CbpfLabel | 'next'): number => (x === 'next' ? posOf[i + 1] ?? labelPos.get((ir[i + 1] as { label: CbpfLabel }).label.id)! : labelPos.get(x.id)!)
          if (land(at, op.jt) !== want(insn.jt) || land(at, op.jf) !== want(insn.jf)) throw new Error(`jump at ${at} misses a label`)
        }
      }
      if (p.ops.some((o) => o.trampoline)) trampolined++
      const verdict = checkProgram(p.ops)
      if (!verdict.ok) throw new Error(`checker refused: ${JSON.stringify(verdict)}`)
    }),
    { numRuns: 1000 },
  )
  t.ok(trampolined > 0, `${trampolined} programs needed trampolines`)
})
