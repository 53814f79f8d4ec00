/**
 * `ssx explain --target cbpf`: the classic BPF program `ssx -E` attaches to
 * its event socket for this filter, each instruction beside the filter text
 * it came from, its size against BPF_MAXINSNS, and what it leaves to user
 * space. Pure, like the rest of the explanation.
 */
import { compileEventFilter } from '../../compiler/cbpf/compile.js'
import { formatAsm } from '../../compiler/cbpf/disasm.js'
import { BPF_MAXINSNS } from '../../uapi/bpf-classic.js'
import type { ExplainTarget } from './explain-render.js'

/** The classic BPF target; `localPortRange` lets the program decide `autobound` itself. */
export function cbpfTarget(localPortRange?: readonly [number, number]): ExplainTarget {
  return {
    name: 'cbpf',
    sections(input) {
      const title = 'classic BPF for -E destroy events (SO_ATTACH_FILTER on the event socket)'
      if (!input.filter) return [{ title, body: 'none is attached: without a filter every event is printed' }]
      const { ops, exact, residual } = compileEventFilter(input.filter, localPortRange ? { localPortRange } : {})
      const lines = [
        formatAsm(ops, { source: input.source }).trimEnd(),
        '',
        `size   ${ops.length} instruction${ops.length === 1 ? '' : 's'} of the kernel's ${BPF_MAXINSNS} (${ops.length * 8} bytes of struct sock_filter)`,
      ]
      if (exact) lines.push('decides  the whole filter in the kernel: events it drops never wake ssx')
      else {
        lines.push('decides  part of the filter: it keeps every event the filter might accept, and user space checks those again, because')
        for (const r of residual) lines.push(`  - ${input.source.slice(r.span.start, r.span.end) || '(the filter)'}: ${r.reason}`)
      }
      return [{ title, body: lines.join('\n') }]
    },
  }
}
