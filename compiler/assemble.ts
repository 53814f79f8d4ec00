/**
 * The assembler: lays IR out as inet_diag bytecode. This is the only place
 * in the project where jump offsets are computed.
 *
 * Kernel convention (`inet_diag_bc_run`): execution starts at offset 0,
 * moves forward by `yes` when an op's condition holds and by `no` when it
 * does not, and accepts iff it lands exactly on the end; landing on
 * end + 4 rejects.
 */
import type { Span } from '../grammar/ast.js'
import { INET_DIAG_BC_MAX_LEN, inet_diag_bc_op, inet_diag_hostcond, inet_diag_markcond } from '../uapi/inet-diag.js'
import { OPCODES, hostcondAddrLen } from '../uapi/inet-diag-bc.js'
import type { Insn, Ir, Label, Target } from './ir.js'
import { FilterError } from '../grammar/errors.js'

/** One op of an assembled program. */
export interface AssembledOp {
  readonly offset: number
  readonly length: number
  readonly code: number
  readonly yes: number
  readonly no: number
  readonly insn: Exclude<Insn, { op: 'label' }>
  readonly span?: Span
}

/** Bytes plus the op map (offset → IR instruction and source span). */
export interface Program {
  readonly bytes: Uint8Array
  readonly ops: readonly AssembledOp[]
}

/** Encoded length of an instruction (0 for labels). */
export function insnLength(insn: Insn): number {
  if (insn.op === 'label') return 0
  const info = OPCODES[insn.op]
  if (insn.op === 'S_COND' || insn.op === 'D_COND') {
    // The address may be longer than the family needs: ss gives AF_UNSPEC
    // conditions 4 zero address bytes, which `yes` simply skips.
    const need = hostcondAddrLen(insn.family)
    if (need === undefined) throw new FilterError('E_FAMILY', `hostcond family ${insn.family} is not AF_UNSPEC, AF_INET or AF_INET6`)
    if (insn.addr.length < need || insn.addr.length % 4 !== 0) throw new FilterError('E_FAMILY', `hostcond of family ${insn.family} needs ${need} address bytes, got ${insn.addr.length}`)
    return 4 + info.operandLen + insn.addr.length
  }
  return 4 + info.operandLen
}

/**
 * Assemble IR into bytecode. Throws {@link FilterError} when the program
 * exceeds the kernel's 65528-byte limit or a jump does not fit in `no`.
 */
export function assemble(ir: Ir): Program {
  // Pass 1: positions of ops and labels.
  const labelAt = new Map<Label, number>()
  let length = 0
  for (const insn of ir) {
    if (insn.op === 'label') labelAt.set(insn.label, length)
    else length += insnLength(insn)
  }
  if (length > INET_DIAG_BC_MAX_LEN) {
    throw new FilterError('E_TOO_LONG', `the filter compiles to ${length} bytes of bytecode; the kernel accepts at most ${INET_DIAG_BC_MAX_LEN}`)
  }
  const resolve = (t: Target): number => {
    if (t === 'accept') return length
    if (t === 'reject') return length + 4
    const at = labelAt.get(t)
    if (at === undefined) throw new FilterError('E_LABEL', `jump to a label that is never placed (L${t.id})`)
    return at
  }

  // Pass 2: encode.
  const bytes = new Uint8Array(length)
  const view = new DataView(bytes.buffer)
  const ops: AssembledOp[] = []
  let pos = 0
  for (const insn of ir) {
    if (insn.op === 'label') continue
    const info = OPCODES[insn.op]
    const len = insnLength(insn)
    const yes = len
    let no = 0
    if ('no' in insn) {
      no = resolve(insn.no) - pos
      if (no < len || no > 0xffff) {
        throw new FilterError('E_JUMP', `${insn.op} at offset ${pos} would jump ${no} bytes; a false edge must skip the op itself and fit in 16 bits`)
      }
    } else {
      no = 0 // NOP: the kernel never reads `no`
    }
    inet_diag_bc_op.encode({ code: info.code, yes, no }, view, pos)
    const arg = pos + 4
    switch (insn.op) {
      case 'S_COND':
      case 'D_COND':
        inet_diag_hostcond.encode({ family: insn.family, prefix_len: insn.prefixLen, port: insn.port }, view, arg)
        bytes.set(insn.addr, arg + inet_diag_hostcond.size)
        break
      case 'S_GE': case 'S_LE': case 'D_GE': case 'D_LE': case 'S_EQ': case 'D_EQ':
        // The operand is a second op header whose `no` holds the port (host order, u16).
        inet_diag_bc_op.encode({ code: 0, yes: 0, no: insn.port & 0xffff }, view, arg)
        break
      case 'DEV_COND':
        view.setUint32(arg, insn.ifindex >>> 0, true)
        break
      case 'MARK_COND':
        inet_diag_markcond.encode({ mark: insn.mark, mask: insn.mask }, view, arg)
        break
      case 'CGROUP_COND':
        view.setBigUint64(arg, BigInt.asUintN(64, insn.id), true)
        break
      case 'AUTO': case 'JMP': case 'NOP':
        break
    }
    const op: AssembledOp = { offset: pos, length: len, code: info.code, yes, no, insn, ...(insn.span ? { span: insn.span } : {}) }
    ops.push(op)
    pos += len
  }
  return { bytes, ops }
}
