/**
 * The checker port: what the kernel decides about a classic program when
 * it is attached (`SO_ATTACH_FILTER` → `bpf_check_basics_ok()`,
 * `bpf_check_classic()` and `check_load_and_stores()` in
 * net/core/filter.c). Every program we attach passes through here first,
 * so a refusal is reported with the instruction and a reason instead of a
 * bare EINVAL.
 *
 * The checks run in the kernel's order, so the first problem reported is
 * the one the kernel trips over: the length, then per instruction (the code
 * must be in the opcode table, then its own constraints), then the final
 * `ret`, then the scratch-memory walk.
 */
import { BPF_MAXINSNS, BPF_MEMWORDS, CBPF_OPCODE_BY_CODE, SKF_AD, SKF_AD_OFF } from '../../uapi/bpf-classic.js'

/** An instruction as the checker sees it. */
export interface CheckInsn {
  readonly code: number
  readonly jt: number
  readonly jf: number
  readonly k: number
}

/** The checker's verdict: ok, or EINVAL at an instruction (-1 for whole-program problems) with a reason. */
export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly errno: 'EINVAL'; readonly pc: number; readonly reason: string }

const ANC_OFFSETS = new Set(SKF_AD.map((a) => a.off))

/** Would the kernel accept `prog` at attach time? */
export function checkProgram(prog: readonly CheckInsn[]): CheckResult {
  const n = prog.length
  const refuse = (pc: number, reason: string): CheckResult => ({ ok: false, errno: 'EINVAL', pc, reason })
  if (n === 0) return refuse(-1, 'the program is empty')
  if (n > BPF_MAXINSNS) return refuse(-1, `${n} instructions; the kernel accepts at most ${BPF_MAXINSNS}`)

  for (const [pc, insn] of prog.entries()) {
    const info = CBPF_OPCODE_BY_CODE.get(insn.code)
    if (!info) return refuse(pc, `code 0x${insn.code.toString(16)} is not a classic BPF instruction the kernel accepts`)
    const k = insn.k >>> 0
    switch (info.name) {
      case 'ALU_DIV_K':
      case 'ALU_MOD_K':
        if (k === 0) return refuse(pc, `${info.mnemonic} by the constant 0`)
        break
      case 'ALU_LSH_K':
      case 'ALU_RSH_K':
        if (k >= 32) return refuse(pc, `shift by ${k}: at most 31`)
        break
      case 'LD_MEM':
      case 'LDX_MEM':
      case 'ST':
      case 'STX':
        if (k >= BPF_MEMWORDS) return refuse(pc, `scratch word M[${k}] does not exist (M[0]…M[${BPF_MEMWORDS - 1}])`)
        break
      case 'JMP_JA':
        // k is 32-bit: compared unsigned, so a huge k cannot wrap into a loop.
        if (k >= n - pc - 1) return refuse(pc, `ja to ${pc + 1 + k} lands outside the program (${n} instructions)`)
        break
      case 'LD_W_ABS':
      case 'LD_H_ABS':
      case 'LD_B_ABS':
        if (k >= SKF_AD_OFF && !ANC_OFFSETS.has(k - SKF_AD_OFF)) return refuse(pc, `unknown ancillary load SKF_AD_OFF + ${k - SKF_AD_OFF}`)
        break
      default:
        if (info.jump === 'cond' && (pc + insn.jt + 1 >= n || pc + insn.jf + 1 >= n)) {
          return refuse(pc, `jump to ${pc + 1 + insn.jt}/${pc + 1 + insn.jf} lands outside the program (${n} instructions)`)
        }
    }
  }

  const last = CBPF_OPCODE_BY_CODE.get(prog[n - 1]!.code)
  if (last?.name !== 'RET_K' && last?.name !== 'RET_A') return refuse(n - 1, 'the last instruction is not a ret')
  return checkScratch(prog)
}

/**
 * Scratch memory must be written before it is read on every path. The
 * kernel walks the program once, in order: each jump narrows the
 * "written" set of its targets to what was written before the jump, and
 * the instruction after an unconditional or conditional jump starts from
 * its own narrowed set (all words valid if no jump reaches it: it is
 * unreachable).
 */
function checkScratch(prog: readonly CheckInsn[]): CheckResult {
  const ALL = 0xffff
  const masks = new Array<number>(prog.length).fill(ALL)
  let valid = 0
  for (const [pc, insn] of prog.entries()) {
    valid &= masks[pc]!
    const info = CBPF_OPCODE_BY_CODE.get(insn.code)!
    const k = insn.k >>> 0
    switch (info.name) {
      case 'ST':
      case 'STX':
        valid |= 1 << k
        break
      case 'LD_MEM':
      case 'LDX_MEM':
        if ((valid & (1 << k)) === 0) return { ok: false, errno: 'EINVAL', pc, reason: `M[${k}] may be read before it is written` }
        break
      case 'JMP_JA':
        masks[pc + 1 + k]! &= valid
        valid = ALL
        break
      default:
        if (info.jump === 'cond') {
          masks[pc + 1 + insn.jt]! &= valid
          masks[pc + 1 + insn.jf]! &= valid
          valid = ALL
        }
    }
  }
  return { ok: true }
}
