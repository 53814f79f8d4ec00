/**
 * The classic BPF IR: instructions whose jumps name labels instead of
 * offsets. Classic BPF jumps only forward, and a conditional jump's `jt`
 * and `jf` are 8-bit; `assemble` is the only place that turns labels into
 * offsets (and inserts `ja` trampolines where an edge is too long).
 */
import type { Span } from '../../grammar/ast.js'
import type { CbpfOpName } from '../../uapi/bpf-classic.js'

/** A jump target, placed in the stream with a `label` pseudo-instruction. */
export interface CbpfLabel {
  readonly id: number
}

/** Where an edge goes: a label, or `next` (the instruction that follows: offset 0). */
export type CbpfTarget = CbpfLabel | 'next'

/** Names of conditional jumps. */
export type CbpfCondName = 'JMP_JEQ_K' | 'JMP_JGT_K' | 'JMP_JGE_K' | 'JMP_JSET_K' | 'JMP_JEQ_X' | 'JMP_JGT_X' | 'JMP_JGE_X' | 'JMP_JSET_X'

/** Names of instructions that fall through (or return). */
export type CbpfStmtName = Exclude<CbpfOpName, CbpfCondName | 'JMP_JA'>

/** One IR instruction. */
export type CbpfInsn =
  | { readonly op: CbpfStmtName; readonly k: number; readonly span?: Span }
  | { readonly op: CbpfCondName; readonly k: number; readonly jt: CbpfTarget; readonly jf: CbpfTarget; readonly span?: Span }
  | { readonly op: 'JMP_JA'; readonly to: CbpfLabel; readonly span?: Span }
  | { readonly op: 'label'; readonly label: CbpfLabel }

/** An IR program. */
export type CbpfIr = readonly CbpfInsn[]

/** Is `name` a conditional jump? */
export function isCond(name: string): name is CbpfCondName {
  return name.startsWith('JMP_') && name !== 'JMP_JA'
}
