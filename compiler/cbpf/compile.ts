/**
 * The classic BPF target's entry: a resolved filter → a program to attach
 * with `SO_ATTACH_FILTER` to the `NETLINK_SOCK_DIAG` socket that listens
 * for destroy events (`ssx -E`), so the kernel drops the events the filter
 * rejects before they wake the process.
 *
 * lower (three-valued, see lower.ts) → assemble → check (the kernel's
 * attach-time checks). The program never drops an event the filter could
 * accept; when `exact` is false, user space must re-check what it keeps.
 */
import type { Span } from '../../grammar/ast.js'
import { FilterError } from '../../grammar/errors.js'
import type { Filter } from '../filter.js'
import { assemble, type CbpfOp } from './assemble.js'
import { checkProgram } from './check.js'
import { KEEP, lowerEventFilter, type CbpfLowerOptions, type CbpfResidual } from './lower.js'

export type { CbpfOp } from './assemble.js'
export type { CbpfResidual } from './lower.js'

/** Options of {@link compileEventFilter}. */
export type EventFilterOptions = CbpfLowerOptions

/** A compiled event filter. */
export interface EventFilterProgram {
  /** `ops.length` × 8-byte `struct sock_filter`, host byte order: the `sock_fprog` payload. */
  readonly program: Uint8Array
  /** The instructions, each with the filter span it came from. */
  readonly ops: readonly CbpfOp[]
  /** True when the program alone decides the whole filter; false: re-check kept events in user space. */
  readonly exact: boolean
  /** The parts of the filter the program over-approximates, with the reason. */
  readonly residual: readonly CbpfResidual[]
}

/**
 * Compile `filter` (null: no filter) for destroy events.
 *
 * A filter too large for 4096 instructions yields the keep-everything
 * program with `exact: false` (user space filters alone, as ss does).
 * Throws {@link FilterError} `E_CBPF_CHECK` only if the program it built
 * would be refused by the kernel — a bug in this compiler, never in the
 * filter.
 */
export function compileEventFilter(filter: Filter | null, opts: EventFilterOptions = {}): EventFilterProgram {
  const lowered = lowerEventFilter(filter, opts)
  let assembled
  try {
    assembled = assemble(lowered.ir)
  } catch (e) {
    if (!(e instanceof FilterError) || e.code !== 'E_TOO_LONG' || filter === null) throw e
    const span: Span = filter.span
    assembled = assemble([{ op: 'RET_K', k: KEEP, span }])
    return { program: assembled.bytes, ops: assembled.ops, exact: false, residual: [{ span, reason: e.message }] }
  }
  const verdict = checkProgram(assembled.ops)
  if (!verdict.ok) {
    throw new FilterError('E_CBPF_CHECK', `internal error: the classic BPF program would be refused at instruction ${verdict.pc}: ${verdict.reason}`)
  }
  return { program: assembled.bytes, ops: assembled.ops, exact: lowered.exact, residual: lowered.residual }
}
