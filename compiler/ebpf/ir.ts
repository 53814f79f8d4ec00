/**
 * The eBPF IR: instructions as the assembler's input, with jumps written
 * against labels. Only {@link assemble} (`./assemble.ts`) turns labels into
 * pc-relative offsets. A decoded program (from bytes) uses the same shapes
 * with numeric relative targets, so the disassembler's output can be
 * assembled again.
 */
import type { Span } from '../../grammar/ast.js'
import type { AluOpName, JmpOpName, SizeName } from '../../uapi/bpf.js'

/** A register number, 0–10 (r10 is the read-only frame pointer). */
export type Reg = number

/** A jump target placed with a `label` pseudo-instruction. */
export interface Label {
  readonly id: number
  /** Shown in listings and errors. */
  readonly name?: string
}

/** A jump destination: a label, or (decoded code) an offset relative to the next instruction. */
export type Target = Label | number

/** Second operand of ALU and conditional-jump instructions. */
export type Operand = { readonly reg: Reg } | { readonly imm: number }

/** Conditional jumps (everything in the jump table but ja, call, exit). */
export type CondName = Exclude<JmpOpName, 'ja' | 'call' | 'exit'>

/** ALU operations that take a source operand (`neg` and `end` have their own shapes). */
export type BinAluName = Exclude<AluOpName, 'neg' | 'end'>

interface Base {
  /** Filter text this instruction was compiled from. */
  readonly span?: Span
  /** A short note shown in listings (`ctx->sk_common`, `skip: family`). */
  readonly note?: string
}

/** One IR instruction. `wide` selects the 64-bit class (ALU64/JMP); otherwise 32-bit (ALU/JMP32). */
export type Insn =
  | (Base & { readonly op: 'alu'; readonly alu: BinAluName; readonly wide: boolean; readonly dst: Reg; readonly src: Operand })
  | (Base & { readonly op: 'neg'; readonly wide: boolean; readonly dst: Reg })
  /** Byte swap to big- or little-endian (`BPF_END`). */
  | (Base & { readonly op: 'end'; readonly order: 'be' | 'le'; readonly bits: 16 | 32 | 64; readonly dst: Reg })
  | (Base & { readonly op: 'jmp'; readonly cond: CondName; readonly wide: boolean; readonly dst: Reg; readonly src: Operand; readonly target: Target })
  | (Base & { readonly op: 'ja'; readonly target: Target })
  /** Helper call; `name` (from BTF's `enum bpf_func_id`) is for listings only. */
  | (Base & { readonly op: 'call'; readonly helper: number; readonly name?: string })
  | (Base & { readonly op: 'exit' })
  /** dst = *(size *)(src + off) */
  | (Base & { readonly op: 'ldx'; readonly size: SizeName; readonly dst: Reg; readonly src: Reg; readonly off: number })
  /** *(size *)(dst + off) = src */
  | (Base & { readonly op: 'stx'; readonly size: SizeName; readonly dst: Reg; readonly src: Reg; readonly off: number })
  /** *(size *)(dst + off) = imm */
  | (Base & { readonly op: 'st'; readonly size: SizeName; readonly dst: Reg; readonly off: number; readonly imm: number })
  /** dst = imm64 (two instruction slots). */
  | (Base & { readonly op: 'lddw'; readonly dst: Reg; readonly imm: bigint })
  | { readonly op: 'label'; readonly label: Label }

/** A real (non-label) instruction. */
export type RealInsn = Exclude<Insn, { op: 'label' }>

/** An IR program. */
export type Ir = readonly Insn[]
