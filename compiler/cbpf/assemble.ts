/**
 * The classic BPF assembler: lays the label IR out as `struct sock_filter`
 * instructions. This is the only place where cBPF jump offsets are
 * computed.
 *
 * Kernel convention: after the instruction at `pc`, execution continues at
 * `pc + 1 + jt` when the condition holds and at `pc + 1 + jf` otherwise
 * (`pc + 1 + k` for `ja`); jumps go forward only. `jt`/`jf` are 8-bit, so
 * an edge longer than 255 instructions goes through a `ja` trampoline
 * placed right after its jump (`ja` takes a 32-bit `k`). Adding a
 * trampoline lengthens other edges, so layout repeats until no new edge
 * needs one; edges only ever gain trampolines, so this terminates.
 */
import type { Span } from '../../grammar/ast.js'
import { FilterError } from '../../grammar/errors.js'
import { BPF_MAXINSNS, CBPF_OPCODES, sock_filter } from '../../uapi/bpf-classic.js'
import type { CbpfOpName } from '../../uapi/bpf-classic.js'
import { isCond } from './ir.js'
import type { CbpfInsn, CbpfIr, CbpfLabel, CbpfTarget } from './ir.js'

/** One assembled instruction. */
export interface CbpfOp {
  readonly op: CbpfOpName
  readonly code: number
  readonly jt: number
  readonly jf: number
  /** u32. */
  readonly k: number
  /** Filter text the instruction was compiled from. */
  readonly span?: Span
  /** A `ja` the assembler added because an edge was longer than 255. */
  readonly trampoline?: true
}

/** An assembled program: `ops.length` × 8 bytes, host byte order. */
export interface CbpfProgram {
  readonly bytes: Uint8Array
  readonly ops: readonly CbpfOp[]
}

/** Longest conditional edge `jt`/`jf` can hold. */
const MAX_EDGE = 0xff

type Real = Exclude<CbpfInsn, { op: 'label' }>

/**
 * Assemble IR. Throws {@link FilterError} (`E_LABEL`, `E_JUMP`,
 * `E_TOO_LONG`) for a label never placed, a backward jump, or more than
 * 4096 instructions.
 */
export function assemble(ir: CbpfIr): CbpfProgram {
  // Edges (instruction index in `ir`, 't' | 'f') that go through a trampoline.
  const far = new Set<string>()
  for (;;) {
    const layout = place(ir, far)
    let grew = false
    for (const [i, insn] of ir.entries()) {
      if (!isCondInsn(insn)) continue
      const at = layout.pos[i]!
      for (const side of ['t', 'f'] as const) {
        const key = `${i}${side}`
        if (far.has(key)) continue
        const to = layout.target(insn[side === 't' ? 'jt' : 'jf'], i)
        if (to - (at + 1) > MAX_EDGE) {
          far.add(key)
          grew = true
        }
      }
    }
    if (!grew) return encode(ir, far, layout)
  }
}

interface Layout {
  /** Position of each real instruction of `ir` (labels: position of what follows). */
  readonly pos: readonly number[]
  readonly length: number
  /** Position a target resolves to, seen from instruction `i`. */
  target(t: CbpfTarget, i: number): number
}

function isCondInsn(insn: CbpfInsn): insn is Extract<CbpfInsn, { jt: CbpfTarget }> {
  return isCond(insn.op)
}

function trampolines(i: number, far: ReadonlySet<string>): number {
  return (far.has(`${i}t`) ? 1 : 0) + (far.has(`${i}f`) ? 1 : 0)
}

function place(ir: CbpfIr, far: ReadonlySet<string>): Layout {
  const pos: number[] = []
  const labelAt = new Map<CbpfLabel, number>()
  let n = 0
  for (const [i, insn] of ir.entries()) {
    pos[i] = n
    if (insn.op === 'label') {
      if (labelAt.has(insn.label)) throw new FilterError('E_LABEL', `label L${insn.label.id} is placed twice`)
      labelAt.set(insn.label, n)
      continue
    }
    n += 1 + trampolines(i, far)
  }
  return {
    pos,
    length: n,
    target(t, i) {
      // `next`: the instruction after this one and its trampolines.
      if (t === 'next') return pos[i]! + 1 + trampolines(i, far)
      const at = labelAt.get(t)
      if (at === undefined) throw new FilterError('E_LABEL', `jump to a label that is never placed (L${t.id})`)
      return at
    },
  }
}

function encode(ir: CbpfIr, far: ReadonlySet<string>, layout: Layout): CbpfProgram {
  if (layout.length > BPF_MAXINSNS) {
    throw new FilterError('E_TOO_LONG', `the filter compiles to ${layout.length} classic BPF instructions; the kernel accepts at most ${BPF_MAXINSNS}`)
  }
  const ops: CbpfOp[] = []
  const span = (insn: Real): { span?: Span } => (insn.span ? { span: insn.span } : {})
  const forward = (from: number, to: number, what: string): number => {
    const d = to - (from + 1)
    if (d < 0) throw new FilterError('E_JUMP', `instruction ${from} (${what}) would jump backwards to ${to}; classic BPF jumps forward only`)
    return d
  }
  for (const [i, insn] of ir.entries()) {
    if (insn.op === 'label') continue
    const at = layout.pos[i]!
    const info = CBPF_OPCODES[insn.op]
    if (insn.op === 'JMP_JA') {
      ops.push({ op: insn.op, code: info.code, jt: 0, jf: 0, k: forward(at, layout.target(insn.to, i), 'ja'), ...span(insn) })
    } else if (isCondInsn(insn)) {
      const tramp: CbpfOp[] = []
      const edge = (side: 't' | 'f'): number => {
        const to = layout.target(side === 't' ? insn.jt : insn.jf, i)
        if (!far.has(`${i}${side}`)) return forward(at, to, info.mnemonic)
        const tAt = at + 1 + tramp.length
        tramp.push({ op: 'JMP_JA', code: CBPF_OPCODES.JMP_JA.code, jt: 0, jf: 0, k: forward(tAt, to, 'ja'), trampoline: true, ...span(insn) })
        return tAt - (at + 1)
      }
      const jt = edge('t')
      const jf = edge('f')
      ops.push({ op: insn.op, code: info.code, jt, jf, k: insn.k >>> 0, ...span(insn) }, ...tramp)
    } else {
      ops.push({ op: insn.op, code: info.code, jt: 0, jf: 0, k: insn.k >>> 0, ...span(insn) })
    }
  }
  return { bytes: encodeOps(ops), ops }
}

/** `struct sock_filter[]` bytes of `ops`. */
export function encodeOps(ops: readonly { readonly code: number; readonly jt: number; readonly jf: number; readonly k: number }[]): Uint8Array {
  const bytes = new Uint8Array(ops.length * sock_filter.size)
  const view = new DataView(bytes.buffer)
  ops.forEach((o, i) => sock_filter.encode({ code: o.code, jt: o.jt, jf: o.jf, k: o.k >>> 0 }, view, i * sock_filter.size))
  return bytes
}
