/**
 * `ssx compile --target cbpf`: the classic BPF program `ssx -E` attaches to
 * its event socket, printed as `tcpdump -d` (`asm`), `tcpdump -ddd`
 * (`ddd`), the raw `sock_filter[]` bytes (`hex`) or JSON. What the program
 * leaves to user space is listed on stderr (asm, ddd, hex) so stdout stays
 * in the tool's own format.
 */
import { compileEventFilter, type EventFilterProgram } from '../../compiler/cbpf/compile.js'
import { formatAsm, formatDdd } from '../../compiler/cbpf/disasm.js'
import { readLocalPortRange } from '../query.js'
import { EXIT } from './report.js'
import { toHex } from './plan-json.js'
import type { CommandResult, Compiled } from './compile.js'

/** The formats `--target cbpf` prints. */
export const CBPF_FORMATS = ['asm', 'ddd', 'hex', 'json'] as const

/** Render the event filter of `c` in `format`; `stderr` holds what was already reported (warnings). */
export function runCompileCbpf(c: Compiled, format: string, prog: string, stderr: string): CommandResult {
  if (!(CBPF_FORMATS as readonly string[]).includes(format)) {
    return { exitCode: EXIT.usage, stdout: '', stderr: `${stderr}${prog}: --target cbpf prints --format asm, ddd, hex or json, not "${format}"\n` }
  }
  // autobound is decided in the kernel with this machine's ephemeral range, as `ssx -E` does.
  const r = compileEventFilter(c.filter, { localPortRange: readLocalPortRange() })
  const notes = residualNotes(r, c.source).map((n) => `${prog}: note: ${n}\n`).join('')
  switch (format) {
    case 'asm':
      return { exitCode: 0, stdout: formatAsm(r.ops), stderr: stderr + notes }
    case 'ddd':
      return { exitCode: 0, stdout: formatDdd(r.ops), stderr: stderr + notes }
    case 'hex':
      return { exitCode: 0, stdout: `${toHex(r.program)}\n`, stderr: stderr + notes }
    default: {
      const json = {
        target: 'cbpf',
        exact: r.exact,
        residual: r.residual.map((x) => ({ text: c.source.slice(x.span.start, x.span.end), reason: x.reason })),
        program: toHex(r.program),
        ops: r.ops.map((o) => ({ code: o.code, jt: o.jt, jf: o.jf, k: o.k, ...(o.span ? { source: c.source.slice(o.span.start, o.span.end) } : {}) })),
      }
      return { exitCode: 0, stdout: JSON.stringify(json) + '\n', stderr }
    }
  }
}

/** One line per part of the filter the program over-approximates. */
function residualNotes(r: EventFilterProgram, source: string): string[] {
  return r.residual.map((x) => `the kernel keeps every event "${source.slice(x.span.start, x.span.end)}" could accept; ${x.reason}`)
}
