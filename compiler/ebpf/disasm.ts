/**
 * The eBPF disassembler and its inverse: bytes → instructions (with numeric
 * jump offsets, assemblable again) → a listing in the style of the kernel
 * verifier's log and `bpftool prog dump xlated`:
 *
 *        0: (bf) r6 = r1
 *        1: (79) r7 = *(u64 *)(r6 +8)        ; ctx->sk_common
 *        2: (15) if r7 == 0x0 goto pc+12
 *        3: (85) call bpf_seq_write#127      ; sport = :22
 *
 * `; …` carries the instruction's note and the filter text it came from.
 * {@link parseListing} reads such a listing back (comments ignored), so
 * `assemble(parseListing(formatListing(bytes)))` gives the same bytes.
 *
 * Decoding never throws on input bytes: what it cannot read ends the
 * listing with a `(bad)` line.
 */
import type { Span } from '../../grammar/ast.js'
import { FilterError } from '../../grammar/errors.js'
import { ALU_OPS, BPF_CLASS, BPF_MODE, BPF_SRC, JMP_OPS, SIZES, bpf_insn } from '../../uapi/bpf.js'
import type { AluOpName, JmpOpName, SizeName } from '../../uapi/bpf.js'
import type { PlacedInsn } from './assemble.js'
import type { BinAluName, CondName, Operand, RealInsn } from './ir.js'

/** One decoded instruction. */
export interface DecodedInsn {
  readonly kind: 'insn'
  readonly pc: number
  readonly code: number
  /** Jump targets are numeric (relative to pc + 1). */
  readonly insn: RealInsn
}

/** Where decoding stopped, and why. Always last. */
export interface DecodedBad {
  readonly kind: 'bad'
  readonly pc: number
  readonly reason: string
}

/** A decoded line. */
export type DecodedLine = DecodedInsn | DecodedBad

const ALU_BY_CODE = new Map(Object.values(ALU_OPS).map((o) => [o.code, o.name] as [number, AluOpName]))
const JMP_BY_CODE = new Map(Object.values(JMP_OPS).map((o) => [o.code, o.name] as [number, JmpOpName]))
const SIZE_BY_BITS = new Map(Object.entries(SIZES).map(([n, s]) => [s.bits, n as SizeName]))

/**
 * Decode program bytes. Helper names come from `helperNames` (helper number → name, from BTF) when given.
 */
export function decode(bytes: Uint8Array, helperNames?: ReadonlyMap<number, string>): DecodedLine[] {
  const out: DecodedLine[] = []
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n = Math.floor(bytes.length / bpf_insn.size)
  const O = bpf_insn.offsetOf
  for (let pc = 0; pc < n; pc++) {
    const at = pc * bpf_insn.size
    const code = view.getUint8(at + O.code)
    const regs = view.getUint8(at + O.regs)
    const dst = regs & 0xf
    const srcReg = regs >> 4
    const off = view.getInt16(at + O.off, true)
    const imm = view.getInt32(at + O.imm, true)
    const bad = (reason: string): void => { out.push({ kind: 'bad', pc, reason }) }
    const cls = code & 0x07
    const insn = decodeOne(cls, code, dst, srcReg, off, imm, helperNames)
    if (typeof insn === 'string') { bad(insn); return out }
    if (insn.op === 'lddw') {
      if (pc + 1 >= n) { bad('64-bit load without its second slot'); return out }
      const b = (pc + 1) * bpf_insn.size
      if (view.getUint8(b + O.code) !== 0 || view.getUint8(b + O.regs) !== 0 || view.getInt16(b + O.off, true) !== 0) { bad('second slot of a 64-bit load must have code, regs and off 0'); return out }
      const hi = BigInt(view.getUint32(b + O.imm, true))
      out.push({ kind: 'insn', pc, code, insn: { op: 'lddw', dst, imm: (hi << 32n) | BigInt(imm >>> 0) } })
      pc++
      continue
    }
    out.push({ kind: 'insn', pc, code, insn })
  }
  if (bytes.length % bpf_insn.size !== 0) out.push({ kind: 'bad', pc: n, reason: `${bytes.length % bpf_insn.size} trailing bytes (instructions are 8 bytes)` })
  return out
}

function decodeOne(cls: number, code: number, dst: number, srcReg: number, off: number, imm: number, helperNames?: ReadonlyMap<number, string>): RealInsn | string {
  const operand = (): Operand => ((code & BPF_SRC.BPF_X) ? { reg: srcReg } : { imm })
  const unused = (what: string, ok: boolean): string | undefined => (ok ? undefined : `opcode 0x${hex2(code)}: ${what} must be 0`)
  if (dst > 10 || srcReg > 10) return `opcode 0x${hex2(code)}: register r${Math.max(dst, srcReg)} does not exist`
  switch (cls) {
    case BPF_CLASS.BPF_ALU: case BPF_CLASS.BPF_ALU64: {
      const wide = cls === BPF_CLASS.BPF_ALU64
      const name = ALU_BY_CODE.get(code & 0xf0)
      if (name === undefined) return `unknown ALU operation 0x${hex2(code)}`
      if (name === 'end') {
        if (wide) return `opcode 0x${hex2(code)}: 64-bit byte swap is not supported`
        if (imm !== 16 && imm !== 32 && imm !== 64) return `byte swap of ${imm} bits`
        return unused('src and off', srcReg === 0 && off === 0) ?? { op: 'end', order: (code & BPF_SRC.BPF_X) ? 'be' : 'le', bits: imm, dst }
      }
      if (name === 'neg') return unused('src, off and imm', srcReg === 0 && off === 0 && imm === 0 && !(code & BPF_SRC.BPF_X)) ?? { op: 'neg', wide, dst }
      const src = operand()
      return unused('off' + ('reg' in src ? ' and imm' : ' and src'), off === 0 && ('reg' in src ? imm === 0 : srcReg === 0)) ?? { op: 'alu', alu: name as BinAluName, wide, dst, src }
    }
    case BPF_CLASS.BPF_JMP: case BPF_CLASS.BPF_JMP32: {
      const wide = cls === BPF_CLASS.BPF_JMP
      const name = JMP_BY_CODE.get(code & 0xf0)
      if (name === undefined) return `unknown jump operation 0x${hex2(code)}`
      if (name === 'ja') return !wide ? `opcode 0x${hex2(code)}: 32-bit ja is not supported` : unused('regs and imm', dst === 0 && srcReg === 0 && imm === 0 && !(code & BPF_SRC.BPF_X)) ?? { op: 'ja', target: off }
      if (name === 'exit') return !wide ? `opcode 0x${hex2(code)}: exit is a JMP-class instruction` : unused('regs, off and imm', dst === 0 && srcReg === 0 && off === 0 && imm === 0 && !(code & BPF_SRC.BPF_X)) ?? { op: 'exit' }
      if (name === 'call') {
        if (!wide || (code & BPF_SRC.BPF_X) || srcReg !== 0) return `opcode 0x${hex2(code)}: only helper calls (src 0) are supported`
        const helperName = helperNames?.get(imm)
        return unused('dst and off', dst === 0 && off === 0) ?? { op: 'call', helper: imm, ...(helperName ? { name: helperName } : {}) }
      }
      const src = operand()
      return unused('reg' in src ? 'imm' : 'src', 'reg' in src ? imm === 0 : srcReg === 0) ?? { op: 'jmp', cond: name as CondName, wide, dst, src, target: off }
    }
    case BPF_CLASS.BPF_LDX: case BPF_CLASS.BPF_STX: case BPF_CLASS.BPF_ST: {
      if ((code & 0xe0) !== BPF_MODE.BPF_MEM) return `opcode 0x${hex2(code)}: only BPF_MEM loads and stores are supported`
      const size = SIZE_BY_BITS.get(code & 0x18)!
      if (cls === BPF_CLASS.BPF_LDX) return unused('imm', imm === 0) ?? { op: 'ldx', size, dst, src: srcReg, off }
      if (cls === BPF_CLASS.BPF_STX) return unused('imm', imm === 0) ?? { op: 'stx', size, dst, src: srcReg, off }
      return unused('src', srcReg === 0) ?? { op: 'st', size, dst, off, imm }
    }
    case BPF_CLASS.BPF_LD:
      if (code !== (BPF_CLASS.BPF_LD | BPF_MODE.BPF_IMM | SIZES.u64.bits)) return `opcode 0x${hex2(code)}: only the 64-bit immediate load is supported in class LD`
      if (srcReg !== 0) return `64-bit load with src ${srcReg} (map and BTF pseudo-loads are not supported)`
      return unused('off', off === 0) ?? { op: 'lddw', dst, imm: 0n }
  }
  return `unknown class ${cls}`
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0')
}

/** One instruction as the verifier's log prints it (without pc and opcode). */
export function formatInsn(insn: RealInsn): string {
  const r = (n: number, wide: boolean): string => `${wide ? 'r' : 'w'}${n}`
  const rel = (t: unknown): string => (typeof t === 'number' ? `pc${t >= 0 ? '+' : ''}${t}` : '?')
  const mem = (size: SizeName, base: number, off: number): string => `*(${size} *)(r${base} ${off >= 0 ? '+' : ''}${off})`
  switch (insn.op) {
    case 'alu': {
      const src = 'reg' in insn.src ? r(insn.src.reg, insn.wide) : String(insn.src.imm)
      return `${r(insn.dst, insn.wide)} ${ALU_OPS[insn.alu].sym} ${src}`
    }
    case 'neg': return `${r(insn.dst, insn.wide)} = -${r(insn.dst, insn.wide)}`
    case 'end': return `r${insn.dst} = ${insn.order}${insn.bits} r${insn.dst}`
    case 'jmp': {
      const src = 'reg' in insn.src ? r(insn.src.reg, insn.wide) : `0x${(insn.src.imm >>> 0).toString(16)}`
      return `if ${r(insn.dst, insn.wide)} ${JMP_OPS[insn.cond].sym} ${src} goto ${rel(insn.target)}`
    }
    case 'ja': return `goto ${rel(insn.target)}`
    case 'call': return `call ${insn.name ?? 'unknown'}#${insn.helper}`
    case 'exit': return 'exit'
    case 'ldx': return `r${insn.dst} = ${mem(insn.size, insn.src, insn.off)}`
    case 'stx': return `${mem(insn.size, insn.dst, insn.off)} = r${insn.src}`
    case 'st': return `${mem(insn.size, insn.dst, insn.off)} = ${insn.imm}`
    case 'lddw': return `r${insn.dst} = 0x${BigInt.asUintN(64, insn.imm).toString(16)}`
  }
}

/** Options of {@link formatListing}. */
export interface ListingOptions {
  /** Filter text the spans point into; each instruction with a span shows its text. */
  readonly source?: string
  /** The assembler's map, for notes and spans (by pc). */
  readonly placed?: readonly PlacedInsn[]
}

/** Format decoded lines as a listing, one instruction a line. */
export function formatListing(lines: readonly DecodedLine[], opts: ListingOptions = {}): string {
  const byPc = new Map((opts.placed ?? []).map((p) => [p.pc, p]))
  return lines.map((l) => {
    if (l.kind === 'bad') return `${String(l.pc).padStart(5)}: (bad) ${l.reason}`
    const p = byPc.get(l.pc)
    // Helper names come from BTF through the IR; decoded bytes only have numbers.
    const insn = l.insn.op === 'call' && p?.insn.op === 'call' && p.insn.name && !l.insn.name ? { ...l.insn, name: p.insn.name } : l.insn
    const head = `${String(l.pc).padStart(5)}: (${hex2(l.code)}) ${formatInsn(insn)}`
    const notes: string[] = []
    if (p?.insn.note) notes.push(p.insn.note)
    if (p?.span && opts.source !== undefined) notes.push(spanText(opts.source, p.span))
    return notes.length ? `${head.padEnd(44)}; ${notes.join('  ')}` : head
  }).join('\n') + '\n'
}

function spanText(source: string, span: Span): string {
  return source.slice(span.start, span.end).replace(/\s+/g, ' ')
}

const REG = String.raw`([rw])(\d+)`
const MEM = String.raw`\*\((u8|u16|u32|u64) \*\)\(r(\d+) ([+-]\d+)\)`
const NUM = String.raw`(-?(?:0x[0-9a-f]+|\d+))`
const PATTERNS: [RegExp, (m: RegExpExecArray) => RealInsn][] = [
  [new RegExp(`^if ${REG} (==|>|>=|&|!=|s>|s>=|<|<=|s<|s<=) (?:${REG}|${NUM}) goto pc([+-]\\d+)$`), (m) => ({
    op: 'jmp', cond: condBySym(m[3]!), wide: m[1] === 'r', dst: Number(m[2]),
    src: m[5] !== undefined ? { reg: Number(m[5]) } : { imm: Number(BigInt.asIntN(32, BigInt(m[6]!))) }, target: Number(m[7]),
  })],
  [/^goto pc([+-]\d+)$/, (m) => ({ op: 'ja', target: Number(m[1]) })],
  [/^call ([\w]*)#(-?\d+)$/, (m) => ({ op: 'call', helper: Number(m[2]), ...(m[1] && m[1] !== 'unknown' ? { name: m[1] } : {}) })],
  [/^exit$/, () => ({ op: 'exit' })],
  [new RegExp(`^r(\\d+) = ${MEM}$`), (m) => ({ op: 'ldx', size: m[2] as SizeName, dst: Number(m[1]), src: Number(m[3]), off: Number(m[4]) })],
  [new RegExp(`^${MEM} = r(\\d+)$`), (m) => ({ op: 'stx', size: m[1] as SizeName, dst: Number(m[2]), off: Number(m[3]), src: Number(m[4]) })],
  [new RegExp(`^${MEM} = (-?\\d+)$`), (m) => ({ op: 'st', size: m[1] as SizeName, dst: Number(m[2]), off: Number(m[3]), imm: Number(m[4]) })],
  [/^r(\d+) = (be|le)(16|32|64) r\1$/, (m) => ({ op: 'end', order: m[2] as 'be' | 'le', bits: Number(m[3]) as 16 | 32 | 64, dst: Number(m[1]) })],
  [/^r(\d+) = (0x[0-9a-f]+)$/, (m) => ({ op: 'lddw', dst: Number(m[1]), imm: BigInt(m[2]!) })],
  [new RegExp(`^${REG} = -\\1\\2$`), (m) => ({ op: 'neg', wide: m[1] === 'r', dst: Number(m[2]) })],
  [new RegExp(`^${REG} (\\+=|-=|\\*=|/=|\\|=|&=|<<=|>>=|%=|\\^=|=|s>>=) (?:${REG}|(-?\\d+))$`), (m) => ({
    op: 'alu', alu: aluBySym(m[3]!), wide: m[1] === 'r', dst: Number(m[2]),
    src: m[5] !== undefined ? { reg: Number(m[5]) } : { imm: Number(m[6]) },
  })],
]

function condBySym(sym: string): CondName {
  return Object.values(JMP_OPS).find((o) => o.sym === sym)!.name as CondName
}

function aluBySym(sym: string): BinAluName {
  return Object.values(ALU_OPS).find((o) => o.sym === sym)!.name as BinAluName
}

/**
 * Read a listing back into instructions (numeric jump offsets). Lines are
 * `PC: (OPCODE) TEXT [; comment]`; the pc and opcode columns are optional
 * and ignored; blank lines and `;` comments are skipped.
 * @throws FilterError `E_EBPF_LISTING` naming the line that does not parse
 */
export function parseListing(text: string): RealInsn[] {
  const out: RealInsn[] = []
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/;.*$/, '').replace(/^\s*\d+:\s*/, '').replace(/^\([0-9a-f]{2}\)\s*/, '').trim()
    if (line === '') return
    for (const [re, make] of PATTERNS) {
      const m = re.exec(line)
      if (m) { out.push(make(m)); return }
    }
    throw new FilterError('E_EBPF_LISTING', `line ${i + 1}: cannot read "${line}" as an eBPF instruction`)
  })
  return out
}
