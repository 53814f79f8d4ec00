/**
 * The eBPF assembler: IR → `struct bpf_insn` bytes. The only place in the
 * eBPF target where jump offsets are computed.
 *
 * Kernel convention (`kernel/bpf/core.c`, checked by the verifier's
 * `check_cfg`): a jump at slot `pc` with offset `off` continues at
 * `pc + 1 + off`, counted in 8-byte slots; a 64-bit immediate load takes
 * two slots and nothing may jump into its second one; every target must be
 * an instruction of the program (there is no "land on the end" as in
 * inet_diag bytecode: programs leave through `exit`).
 */
import type { Span } from '../../grammar/ast.js'
import { FilterError } from '../../grammar/errors.js'
import { ALU_OPS, BPF_CLASS, BPF_MODE, BPF_REG_COUNT, BPF_REG_FP, BPF_SRC, JMP_OPS, SIZES, bpf_insn } from '../../uapi/bpf.js'
import type { Insn, Ir, Label, Operand, RealInsn, Target } from './ir.js'

/** Most instructions a program may have (`BPF_COMPLEXITY_LIMIT_INSNS` for privileged loads is larger; this is `BPF_MAXINSNS`, the unprivileged one, which keeps programs reviewable). */
export const EBPF_MAX_INSNS = 4096

/** One assembled instruction: where it is and what it came from. */
export interface PlacedInsn {
  /** Slot index (8-byte units). */
  readonly pc: number
  /** 1, or 2 for `lddw`. */
  readonly slots: number
  readonly insn: RealInsn
  /** Resolved relative jump offset (jumps only). */
  readonly off?: number
  readonly span?: Span
}

/** Bytes plus the instruction map. */
export interface EbpfProgram {
  readonly bytes: Uint8Array
  readonly insns: readonly PlacedInsn[]
  /** Slot count (`insn_cnt` of BPF_PROG_LOAD). */
  readonly count: number
}

/** Slots an instruction takes (0 for labels). */
export function slotsOf(insn: Insn): number {
  return insn.op === 'label' ? 0 : insn.op === 'lddw' ? 2 : 1
}

function fail(code: string, message: string, span?: Span): never {
  throw new FilterError(code, message, span)
}

function reg(r: number, what: string, insn: RealInsn, write = false): number {
  if (!Number.isInteger(r) || r < 0 || r >= BPF_REG_COUNT) fail('E_EBPF_REG', `${insn.op}: ${what} register r${r} does not exist (r0–r10)`, insn.span)
  if (write && r === BPF_REG_FP) fail('E_EBPF_REG', `${insn.op}: r10 is the read-only frame pointer`, insn.span)
  return r
}

function s16(n: number, what: string, insn: RealInsn): number {
  if (!Number.isInteger(n) || n < -0x8000 || n > 0x7fff) fail('E_EBPF_RANGE', `${insn.op}: ${what} ${n} does not fit in a signed 16-bit offset`, insn.span)
  return n
}

function s32(n: number, insn: RealInsn): number {
  // Accept the u32 spelling of negative immediates too: the listing prints jump immediates as 0x%x.
  if (!Number.isInteger(n) || n < -0x80000000 || n > 0xffffffff) fail('E_EBPF_RANGE', `${insn.op}: immediate ${n} does not fit in 32 bits`, insn.span)
  return n | 0
}

function src(o: Operand): { bit: number, reg: number, imm: number } {
  return 'reg' in o ? { bit: BPF_SRC.BPF_X, reg: o.reg, imm: 0 } : { bit: BPF_SRC.BPF_K, reg: 0, imm: o.imm }
}

/**
 * Assemble IR into bytes.
 * @throws FilterError `E_EBPF_LABEL` (label never placed, or placed twice), `E_EBPF_JUMP`
 *   (target outside the program or inside an lddw), `E_EBPF_RANGE`, `E_EBPF_REG`, `E_TOO_LONG`
 */
export function assemble(ir: Ir): EbpfProgram {
  // Pass 1: slot of every label and instruction.
  const labelAt = new Map<Label, number>()
  const starts = new Set<number>()
  let count = 0
  for (const insn of ir) {
    if (insn.op === 'label') {
      if (labelAt.has(insn.label)) fail('E_EBPF_LABEL', `label ${insn.label.name ?? `L${insn.label.id}`} is placed twice`)
      labelAt.set(insn.label, count)
    } else {
      starts.add(count)
      count += slotsOf(insn)
    }
  }
  if (count > EBPF_MAX_INSNS) fail('E_TOO_LONG', `the filter compiles to ${count} eBPF instructions; the limit here is ${EBPF_MAX_INSNS}`)

  const bytes = new Uint8Array(count * bpf_insn.size)
  const view = new DataView(bytes.buffer)
  const O = bpf_insn.offsetOf
  const put = (pc: number, code: number, dst: number, srcReg: number, off: number, imm: number): void => {
    const at = pc * bpf_insn.size
    view.setUint8(at + O.code, code)
    view.setUint8(at + O.regs, (srcReg << 4) | dst)
    view.setInt16(at + O.off, off, true)
    view.setInt32(at + O.imm, imm, true)
  }

  // Pass 2: encode.
  const out: PlacedInsn[] = []
  let pc = 0
  for (const insn of ir) {
    if (insn.op === 'label') continue
    const rel = (t: Target): number => {
      if (typeof t === 'number') return s16(t, 'jump offset', insn)
      const at = labelAt.get(t)
      if (at === undefined) fail('E_EBPF_LABEL', `jump to label ${t.name ?? `L${t.id}`}, which is never placed`, insn.span)
      if (!starts.has(at)) fail('E_EBPF_JUMP', `label ${t.name ?? `L${t.id}`} is at the end of the program; a jump must land on an instruction`, insn.span)
      return s16(at - pc - 1, 'jump offset', insn)
    }
    let off: number | undefined
    switch (insn.op) {
      case 'alu': {
        const s = src(insn.src)
        const cls = insn.wide ? BPF_CLASS.BPF_ALU64 : BPF_CLASS.BPF_ALU
        put(pc, cls | ALU_OPS[insn.alu].code | s.bit, reg(insn.dst, 'destination', insn, true), reg(s.reg, 'source', insn), 0, s32(s.imm, insn))
        break
      }
      case 'neg':
        put(pc, (insn.wide ? BPF_CLASS.BPF_ALU64 : BPF_CLASS.BPF_ALU) | ALU_OPS.neg.code, reg(insn.dst, 'destination', insn, true), 0, 0, 0)
        break
      case 'end':
        // BPF_ALU | BPF_END: the source bit picks the order (X = to big-endian), imm the width.
        put(pc, BPF_CLASS.BPF_ALU | ALU_OPS.end.code | (insn.order === 'be' ? BPF_SRC.BPF_X : BPF_SRC.BPF_K), reg(insn.dst, 'destination', insn, true), 0, 0, insn.bits)
        break
      case 'jmp': {
        const s = src(insn.src)
        off = rel(insn.target)
        const cls = insn.wide ? BPF_CLASS.BPF_JMP : BPF_CLASS.BPF_JMP32
        put(pc, cls | JMP_OPS[insn.cond].code | s.bit, reg(insn.dst, 'compared', insn), reg(s.reg, 'source', insn), off, s32(s.imm, insn))
        break
      }
      case 'ja':
        off = rel(insn.target)
        put(pc, BPF_CLASS.BPF_JMP | JMP_OPS.ja.code, 0, 0, off, 0)
        break
      case 'call':
        put(pc, BPF_CLASS.BPF_JMP | JMP_OPS.call.code, 0, 0, 0, s32(insn.helper, insn))
        break
      case 'exit':
        put(pc, BPF_CLASS.BPF_JMP | JMP_OPS.exit.code, 0, 0, 0, 0)
        break
      case 'ldx':
        put(pc, BPF_CLASS.BPF_LDX | BPF_MODE.BPF_MEM | SIZES[insn.size].bits, reg(insn.dst, 'destination', insn, true), reg(insn.src, 'address', insn), s16(insn.off, 'offset', insn), 0)
        break
      case 'stx':
        put(pc, BPF_CLASS.BPF_STX | BPF_MODE.BPF_MEM | SIZES[insn.size].bits, reg(insn.dst, 'address', insn), reg(insn.src, 'source', insn), s16(insn.off, 'offset', insn), 0)
        break
      case 'st':
        put(pc, BPF_CLASS.BPF_ST | BPF_MODE.BPF_MEM | SIZES[insn.size].bits, reg(insn.dst, 'address', insn), 0, s16(insn.off, 'offset', insn), s32(insn.imm, insn))
        break
      case 'lddw': {
        const v = BigInt.asUintN(64, insn.imm)
        put(pc, BPF_CLASS.BPF_LD | BPF_MODE.BPF_IMM | SIZES.u64.bits, reg(insn.dst, 'destination', insn, true), 0, 0, Number(BigInt.asIntN(32, v)))
        put(pc + 1, 0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))
        break
      }
    }
    if (off !== undefined) {
      const to = pc + 1 + off
      if (!starts.has(to)) fail('E_EBPF_JUMP', `${insn.op} at ${pc} jumps to ${to}, which is ${to < 0 || to >= count ? 'outside the program' : 'the second half of a 64-bit load'}`, insn.span)
    }
    const slots = slotsOf(insn)
    out.push({ pc, slots, insn, ...(off !== undefined ? { off } : {}), ...(insn.span ? { span: insn.span } : {}) })
    pc += slots
  }
  return { bytes, insns: out, count }
}
