/**
 * The bytecode IR: inet_diag ops whose false edge names a label instead of
 * an offset. The true edge of every op is its fall-through (the kernel's
 * `yes` is always the op's own length in code we emit), so a program is a
 * straight line with forward jumps. Only `assemble` turns labels into
 * offsets.
 */
import type { Span } from '../grammar/ast.js'
import type { OpName } from '../uapi/inet-diag-bc.js'

/** A jump target placed in the instruction stream with a `label` pseudo-instruction. */
export interface Label {
  readonly id: number
}

/** Where a false edge goes: a label, or the program's accept (end) / reject (end + 4). */
export type Target = Label | 'accept' | 'reject'

/** Fields shared by every real instruction. */
interface OpBase<N extends OpName> {
  readonly op: N
  /** Filter text this op was compiled from. */
  readonly span?: Span
}

/** One IR instruction. */
export type Insn =
  | (OpBase<'S_COND' | 'D_COND'> & { readonly family: number; readonly prefixLen: number; readonly port: number; readonly addr: Uint8Array; readonly no: Target })
  | (OpBase<'S_GE' | 'S_LE' | 'D_GE' | 'D_LE' | 'S_EQ' | 'D_EQ'> & { readonly port: number; readonly no: Target })
  | (OpBase<'DEV_COND'> & { readonly ifindex: number; readonly no: Target })
  | (OpBase<'MARK_COND'> & { readonly mark: number; readonly mask: number; readonly no: Target })
  | (OpBase<'CGROUP_COND'> & { readonly id: bigint; readonly no: Target })
  | (OpBase<'AUTO' | 'JMP'> & { readonly no: Target })
  | OpBase<'NOP'>
  | { readonly op: 'label'; readonly label: Label }

/** An IR program: a flat instruction list. */
export type Ir = readonly Insn[]
