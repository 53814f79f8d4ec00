/**
 * The classic BPF disassembler, shared by `ssx compile --target cbpf` and
 * any view of raw `sock_filter[]` bytes (from a capture, `-b`, another
 * tool). It prints what `tcpdump -d` prints (`asm`), `tcpdump -dd` (C
 * initialisers) and `tcpdump -ddd` (`ddd`: the count, then `code jt jf k`
 * in decimal), and reads the `asm` listing back ({@link parseAsm}), so
 * listings can be pasted from tcpdump or edited by hand.
 *
 * It never throws on input bytes: codes the kernel refuses print as
 * `unimp 0x…`, like tcpdump.
 */
import type { Span } from '../../grammar/ast.js'
import { FilterError } from '../../grammar/errors.js'
import { BPF_CLASS, BPF_OP, CBPF_OPCODES, CBPF_OPCODE_BY_CODE, SKF_AD, SKF_AD_OFF, sock_filter } from '../../uapi/bpf-classic.js'
import type { CbpfOpcodeInfo } from '../../uapi/bpf-classic.js'

/** One decoded instruction; `info` is undefined for codes the kernel refuses. */
export interface CbpfDecoded {
  readonly pc: number
  readonly code: number
  readonly jt: number
  readonly jf: number
  readonly k: number
  readonly info?: CbpfOpcodeInfo
  readonly span?: Span
}

/** Bytes → instructions. A trailing partial instruction (fewer than 8 bytes) is ignored. */
export function decodeProgram(bytes: Uint8Array): CbpfDecoded[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out: CbpfDecoded[] = []
  for (let pc = 0; (pc + 1) * sock_filter.size <= bytes.length; pc++) {
    const f = sock_filter.decode(view, pc * sock_filter.size)
    const info = CBPF_OPCODE_BY_CODE.get(f.code)
    out.push({ pc, code: f.code, jt: f.jt, jf: f.jf, k: f.k, ...(info ? { info } : {}) })
  }
  return out
}

const ANC_BY_OFF = new Map(SKF_AD.map((a) => [a.off, a.name]))

/** printf's `%d` of a u32. */
const dec = (k: number): string => String(k | 0)
const hex = (k: number): string => `0x${(k >>> 0).toString(16)}`

/** The operand as tcpdump prints it. */
function operandText(insn: { readonly code: number; readonly k: number }, info: CbpfOpcodeInfo | undefined, pc: number): string {
  if (!info) return hex(insn.code)
  const k = insn.k >>> 0
  switch (info.operand) {
    case 'abs': {
      const name = k >= SKF_AD_OFF ? ANC_BY_OFF.get(k - SKF_AD_OFF) : undefined
      return name !== undefined ? `[${name}]` : `[${dec(k)}]`
    }
    case 'ind': return `[x + ${dec(k)}]`
    case 'imm': return `#${hex(k)}`
    case 'mem': return `M[${dec(k)}]`
    case 'len': return '#pktlen'
    case 'msh': return `4*([${dec(k)}]&0xf)`
    case 'dec': return `#${dec(k)}`
    case 'hex': return `#${hex(k)}`
    case 'x': return 'x'
    case 'none': return ''
    case 'ja': return dec(pc + 1 + k)
  }
}

/** One `tcpdump -d` line (no newline). */
export function formatInsn(insn: { readonly code: number; readonly jt: number; readonly jf: number; readonly k: number }, pc: number): string {
  const info = CBPF_OPCODE_BY_CODE.get(insn.code)
  const mnemonic = info?.mnemonic ?? 'unimp'
  const operand = operandText(insn, info, pc)
  const n = String(pc).padStart(3, '0')
  // tcpdump decides the layout from the class and op bits, also for codes it does not know.
  const cond = (insn.code & 0x07) === BPF_CLASS.BPF_JMP && (insn.code & 0xf0) !== BPF_OP.BPF_JA
  if (cond) return `(${n}) ${mnemonic.padEnd(8)} ${operand.padEnd(16)} jt ${pc + 1 + insn.jt}\tjf ${pc + 1 + insn.jf}`
  return `(${n}) ${mnemonic.padEnd(8)} ${operand}`
}

/** Options of {@link formatAsm}. */
export interface AsmOptions {
  /** Filter text: append `# text` (the span each instruction came from) to each line. */
  readonly source?: string
}

/** The `tcpdump -d` listing, one line per instruction, each ending in a newline. */
export function formatAsm(ops: readonly { readonly code: number; readonly jt: number; readonly jf: number; readonly k: number; readonly span?: Span }[], opts: AsmOptions = {}): string {
  return ops
    .map((o, pc) => {
      const line = formatInsn(o, pc)
      if (opts.source === undefined || !o.span) return `${line}\n`
      return `${line.padEnd(48)}  # ${opts.source.slice(o.span.start, o.span.end)}\n`
    })
    .join('')
}

/** `tcpdump -dd`: C initialisers. */
export function formatDd(ops: readonly { readonly code: number; readonly jt: number; readonly jf: number; readonly k: number }[]): string {
  return ops.map((o) => `{ 0x${o.code.toString(16)}, ${o.jt}, ${o.jf}, 0x${(o.k >>> 0).toString(16).padStart(8, '0')} },\n`).join('')
}

/** `tcpdump -ddd`: the instruction count, then `code jt jf k` in decimal, one instruction a line. */
export function formatDdd(ops: readonly { readonly code: number; readonly jt: number; readonly jf: number; readonly k: number }[]): string {
  return `${ops.length}\n` + ops.map((o) => `${o.code} ${o.jt} ${o.jf} ${o.k >>> 0}\n`).join('')
}

/** An instruction read back from a listing. */
export interface ParsedInsn {
  readonly code: number
  readonly jt: number
  readonly jf: number
  readonly k: number
}

const LINE = /^\((\d+)\) (\S+) *(.*?)\s*(?:jt (\d+)\tjf (\d+))?$/

/**
 * Read a `tcpdump -d` listing back into instructions (the inverse of
 * {@link formatAsm} without annotations). Throws {@link FilterError}
 * `E_ASM` with the line number on anything it cannot read.
 */
export function parseAsm(text: string): ParsedInsn[] {
  const out: ParsedInsn[] = []
  const lines = text.split('\n').filter((l) => l.trim() !== '')
  for (const [i, raw] of lines.entries()) {
    // Annotations are `  # text`; operands only ever have `#` glued to a value.
    const line = raw.replace(/\s+# .*$/, '')
    const m = LINE.exec(line)
    const bad = (why: string): never => {
      throw new FilterError('E_ASM', `line ${i + 1}: ${why}: ${raw}`)
    }
    if (!m) return bad('not an instruction line')
    const pc = Number(m[1])
    if (pc !== i) bad(`expected instruction (${String(i).padStart(3, '0')})`)
    const [mnemonic, operand] = [m[2]!, m[3]!]
    const jt = m[4] === undefined ? 0 : Number(m[4]) - pc - 1
    const jf = m[5] === undefined ? 0 : Number(m[5]) - pc - 1
    if (jt < 0 || jt > 255 || jf < 0 || jf > 255) bad('jump target out of range')
    const hit = matchOperand(mnemonic, operand, pc)
    if (!hit) return bad(`cannot read "${mnemonic} ${operand}"`)
    if ((hit.info.jump === 'cond') !== (m[4] !== undefined)) bad('jt/jf present on a non-conditional instruction or missing on a conditional one')
    out.push({ code: hit.info.code, jt, jf, k: hit.k >>> 0 })
  }
  return out
}

function matchOperand(mnemonic: string, operand: string, pc: number): { info: CbpfOpcodeInfo; k: number } | null {
  if (mnemonic === 'unimp') {
    const m = /^0x([0-9a-f]+)$/.exec(operand)
    // A refused code has no table entry; keep it readable as data anyway.
    return m ? { info: { name: 'LD_IMM', code: parseInt(m[1]!, 16), mnemonic, operand: 'none', jump: 'none', width: 0, meaning: 'refused by the kernel' }, k: 0 } : null
  }
  for (const info of Object.values(CBPF_OPCODES)) {
    if (info.mnemonic !== mnemonic) continue
    const k = readOperand(info, operand, pc)
    if (k !== null) return { info, k }
  }
  return null
}

const num = (s: string): number | null => (/^-?\d+$/.test(s) ? Number(s) >>> 0 : null)
const hexNum = (s: string): number | null => (/^0x[0-9a-f]+$/.test(s) ? parseInt(s.slice(2), 16) >>> 0 : null)

function readOperand(info: CbpfOpcodeInfo, s: string, pc: number): number | null {
  let m: RegExpExecArray | null
  switch (info.operand) {
    case 'abs':
      if ((m = /^\[(-?\d+)\]$/.exec(s))) return num(m[1]!)
      if ((m = /^\[([a-z_]+)\]$/.exec(s))) {
        const a = SKF_AD.find((x) => x.name === m![1])
        return a ? (SKF_AD_OFF + a.off) >>> 0 : null
      }
      return null
    case 'ind': return (m = /^\[x \+ (-?\d+)\]$/.exec(s)) ? num(m[1]!) : null
    case 'imm': return (m = /^#(0x[0-9a-f]+)$/.exec(s)) ? hexNum(m[1]!) : null
    case 'mem': return (m = /^M\[(-?\d+)\]$/.exec(s)) ? num(m[1]!) : null
    case 'len': return s === '#pktlen' ? 0 : null
    case 'msh': return (m = /^4\*\(\[(-?\d+)\]&0xf\)$/.exec(s)) ? num(m[1]!) : null
    case 'dec': return (m = /^#(-?\d+)$/.exec(s)) ? num(m[1]!) : null
    case 'hex': return (m = /^#(0x[0-9a-f]+)$/.exec(s)) ? hexNum(m[1]!) : null
    case 'x': return s === 'x' ? 0 : null
    // `ret a` is how bpf_asm and people write tcpdump's bare `ret`.
    case 'none': return s === '' || (info.name === 'RET_A' && s === 'a') ? 0 : null
    case 'ja': {
      const to = num(s)
      return to === null ? null : (to - pc - 1) >>> 0
    }
  }
}
