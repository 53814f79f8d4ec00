/**
 * What ss selects with a filter whose `autobound` the kernel also decides:
 * ss applies INET_DIAG_BC_AUTO (sk_userlocks, which no reply carries) as
 * well as its user-space port-range test, so a property test asks the
 * kernel which sockets it counts as AUTO and combines the two here.
 */
import { evaluate, type EvaluateEnv } from '../../compiler/evaluate.js'
import type { Filter } from '../../compiler/filter.js'
import type { InetRecord } from '../../runtime/decode-inet.js'

/** Bytecode that accepts the sockets the kernel counts as AUTO: INET_DIAG_BC_AUTO, yes 4, no 8. */
export const AUTO_BYTECODE = Uint8Array.from([6, 4, 8, 0])

/** ss's verdict on `r`: the evaluator, with `autobound` also requiring `kernelAuto(r)`. */
export function ssSelects(f: Filter, r: InetRecord, env: EvaluateEnv, kernelAuto: (r: InetRecord) => boolean): boolean {
  switch (f.kind) {
    case 'and': return ssSelects(f.left, r, env, kernelAuto) && ssSelects(f.right, r, env, kernelAuto)
    case 'or': return ssSelects(f.left, r, env, kernelAuto) || ssSelects(f.right, r, env, kernelAuto)
    case 'not': return !ssSelects(f.operand, r, env, kernelAuto)
    case 'auto': return evaluate(f, r, env) && kernelAuto(r)
    default: return evaluate(f, r, env)
  }
}
