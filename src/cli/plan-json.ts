/**
 * The JSON form of a query plan printed by `ssx compile --format json`.
 * Numbers are exactly what goes into each request; bytecode is lowercase
 * hex of the INET_DIAG_REQ_BYTECODE payload ("" when none is sent).
 */
import type { QueryPlan } from '../../compiler/plan.js'
import { printFilter } from './filter-text.js'

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

/** The JSON document for a plan. */
export function planToJson(plan: QueryPlan, warnings: readonly string[]): unknown {
  return {
    requests: plan.requests.map((r) => ({
      table: r.table,
      family: r.family,
      protocol: r.protocol,
      ...(r.protocolAttr !== undefined ? { protocolAttr: r.protocolAttr } : {}),
      states: r.states,
      ext: r.ext,
      bytecode: r.program ? toHex(r.program.bytes) : '',
      afterSuccess: r.afterSuccess === true,
    })),
    kernel: plan.kernel ? printFilter(plan.kernel) : null,
    residual: plan.residual ? printFilter(plan.residual) : null,
    notes: plan.notes.map((n) => n.message),
    warnings,
  }
}
