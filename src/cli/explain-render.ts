/**
 * The text of `ssx explain`: the filter as parsed (fully parenthesised, as a
 * tree, with the precedence warning), the query plan, what runs in the
 * kernel and what in user space and why, the annotated disassembly of each
 * distinct program with its bytes and its size against the kernel's limit.
 * Pure (no I/O): the CLI and the web playground both call it.
 *
 * The bytecode section is produced by a {@link ExplainTarget}, so another
 * target (classic BPF, eBPF) can be added without touching the rest.
 */
import type { Expr } from '../../grammar/ast.js'
import { printParenthesized, type PrecedenceWarning } from '../../grammar/index.js'
import type { Filter } from '../../compiler/filter.js'
import { PORT_NARROWED_TABLES, exactPorts, oneTcpWalk, type DiagRequest, type QueryPlan } from '../../compiler/plan.js'
import type { Program } from '../../compiler/assemble.js'
import { disassemble, formatDisasm, type DisasmLine } from '../../compiler/disasm.js'
import { STATE_DISPLAY_NAMES } from '../../compiler/select.js'
import { AF, INET_DIAG, INET_DIAG_BC_MAX_LEN, IPPROTO } from '../../uapi/inet-diag.js'
import { OPCODES, type OpName } from '../../uapi/inet-diag-bc.js'
import { UDIAG_SHOW } from '../../uapi/unix-diag.js'
import { PACKET_SHOW } from '../../uapi/packet-diag.js'
import { NDIAG_SHOW } from '../../uapi/netlink-diag.js'
import { XDP_SHOW } from '../../uapi/xdp-diag.js'
import { printFilter } from './filter-text.js'
import { PLAIN, type Paint } from './paint.js'

/** What an explanation is made from (the CLI's `Compiled` has these fields). */
export interface ExplainInput {
  /** The filter text. */
  readonly source: string
  /** The parsed tree and its precedence warnings; null when no filter was parsed. */
  readonly parsed?: { readonly expr: Expr | null; readonly warnings: readonly PrecedenceWarning[] } | null
  /** The resolved filter (values instead of names). */
  readonly filter: Filter | null
  readonly plan: QueryPlan
}

/** A back end as explain shows it: the sections of the programs it would run. */
export interface ExplainTarget {
  /** The `--target` name. */
  readonly name: string
  /** Headed sections (listing, bytes, size…) for this plan and filter. */
  readonly sections: (input: ExplainInput, paint: Paint) => readonly { readonly title: string; readonly body: string }[]
}

/** Options of {@link renderExplain}. */
export interface RenderOptions {
  readonly paint?: Paint
  readonly target?: ExplainTarget
}

/** One section: a heading and its indented body. */
function section(paint: Paint, title: string, body: string): string {
  const text = body.replace(/\n+$/, '')
  return `${paint.heading(title)}\n${text.split('\n').map((l) => (l === '' ? '' : `  ${l}`)).join('\n')}\n`
}

/** A filter node as text; unknown node kinds (newer predicates) fall back to their kind. */
export function filterText(f: Filter): string {
  try {
    const s = printFilter(f)
    if (typeof s === 'string') return s
  } catch {
    // A node kind this printer does not know yet: say what it is.
  }
  return `<${(f as { kind: string }).kind}>`
}

/** The parsed tree drawn with box characters: operators above their operands. */
export function drawTree(e: Expr): string {
  const out: string[] = []
  const walk = (n: Expr, prefix: string, tail: string, childPrefix: string): void => {
    switch (n.kind) {
      case 'and':
      case 'or':
        out.push(`${prefix}${tail}${n.kind === 'and' && n.implicit ? 'and (implicit)' : n.kind}`)
        walk(n.left, childPrefix, '├─ ', `${childPrefix}│  `)
        walk(n.right, childPrefix, '└─ ', `${childPrefix}   `)
        return
      case 'not':
        out.push(`${prefix}${tail}not`)
        walk(n.operand, childPrefix, '└─ ', `${childPrefix}   `)
        return
      default:
        out.push(`${prefix}${tail}${printParenthesized(n)}`)
    }
  }
  walk(e, '', '', '')
  return out.join('\n')
}

const byValue = (table: Readonly<Record<string, number>>, prefix: string): Map<number, string> =>
  new Map(Object.entries(table).map(([k, v]) => [v, k.slice(prefix.length)]))
const AF_NAMES = byValue(AF, '')
const PROTO_NAMES = byValue(IPPROTO, 'IPPROTO_')
const INET_DIAG_NAMES = byValue(INET_DIAG, 'INET_DIAG_')

/** Names of the set bits of a mask, by a bit → name table. */
function bitNames(mask: number, name: (bit: number) => string | undefined): string {
  const out: string[] = []
  for (let b = 0; b < 32; b++) if (mask & (1 << b)) out.push(name(b) ?? `bit${b}`)
  return out.length ? out.join(' ') : 'none'
}

const showNames = (table: Readonly<Record<string, number>>, prefix: string) => {
  const names = byValue(table, prefix)
  return (bit: number): string | undefined => names.get(1 << bit)
}

/** The extensions (`idiag_ext`) or `*_show` bits of a request, by name. */
export function extNames(r: DiagRequest): string {
  switch (r.kind) {
    // idiag_ext bit n asks for reply attribute n + 1.
    case 'inet': return bitNames(r.ext, (b) => INET_DIAG_NAMES.get(b + 1))
    case 'unix': return bitNames(r.ext, showNames(UDIAG_SHOW, 'UDIAG_SHOW_'))
    case 'packet': return bitNames(r.ext, showNames(PACKET_SHOW, 'PACKET_SHOW_'))
    case 'netlink': return bitNames(r.ext, showNames(NDIAG_SHOW, 'NDIAG_SHOW_'))
    case 'xdp': return bitNames(r.ext, showNames(XDP_SHOW, 'XDP_SHOW_'))
    default: return bitNames(r.ext, () => undefined)
  }
}

/** The state bits by ss's column names. */
export function stateNames(states: number): string {
  return bitNames(states, (b) => STATE_DISPLAY_NAMES[b])
}

function protocolText(r: DiagRequest): string {
  if (r.kind === 'inet') {
    const p = r.protocolAttr ?? r.protocol
    return `${p} ${PROTO_NAMES.get(p) ?? '?'}`
  }
  if (r.kind === 'netlink' && r.protocol === 255) return '255 all'
  return String(r.protocol)
}

/** Align rows of cells into columns (two spaces apart, last column unpadded). */
function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n')
}

/** Distinct programs of a plan, each with the 1-based numbers of the requests that carry it. */
export function programsOf(plan: QueryPlan): { readonly program: Program; readonly requests: readonly number[] }[] {
  const out: { program: Program; requests: number[] }[] = []
  plan.requests.forEach((r, i) => {
    if (!r.program) return
    const hex = Array.from(r.program.bytes).join(',')
    const same = out.find((p) => p.program === r.program || Array.from(p.program.bytes).join(',') === hex)
    if (same) same.requests.push(i + 1)
    else out.push({ program: r.program, requests: [i + 1] })
  })
  return out
}

/** `#2–#5 #7` style list of request numbers. */
/** What ssx sends differently from the plan's requests (src/query.ts; the same answer, less kernel walking). */
function sentBySsx(plan: QueryPlan): string[] {
  const out: string[] = []
  plan.requests.forEach((r, i) => {
    if (oneTcpWalk(r, plan.requests[i + 1])) {
      out.push(`ssx sends #${i + 1}–#${i + 2} as one TCPDIAG_GETSOCK request: the kernel walks its TCP tables once`,
        '  for both families, and the IPv6 sockets are listed after the IPv4 ones, as ss prints them')
    }
  })
  const narrowed = plan.requests.map((r, i) => ({ r, n: i + 1 })).filter(({ r }) => r.program !== null && PORT_NARROWED_TABLES.has(r.table))
  const { sport, dport } = exactPorts(plan.kernel)
  if (narrowed.length > 0 && (sport !== undefined || dport !== undefined)) {
    const ports = [sport !== undefined ? `local port ${sport}` : '', dport !== undefined ? `remote port ${dport}` : ''].filter(Boolean).join(' and ')
    out.push(`ssx also puts the ${ports} in the sockid of request${narrowed.length === 1 ? '' : 's'} ${requestList(narrowed.map((x) => x.n))}:`,
      '  the kernel skips sockets on other ports before running the bytecode')
  }
  return out
}

function requestList(ns: readonly number[]): string {
  const parts: string[] = []
  for (let i = 0; i < ns.length; ) {
    let j = i
    while (j + 1 < ns.length && ns[j + 1] === ns[j]! + 1) j++
    parts.push(j > i ? `#${ns[i]}–#${ns[j]}` : `#${ns[i]}`)
    i = j + 1
  }
  return parts.join(' ')
}

const versionKey = (v: string): number[] => v.split('.').map(Number)
const newer = (a: string, b: string): boolean => {
  const x = versionKey(a), y = versionKey(b)
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0)
  return false
}

/** The hex of each op, one group per op, so the listing's offsets can be followed in the bytes. */
function hexByOp(bytes: Uint8Array, lines: readonly DisasmLine[]): string {
  const starts = lines.filter((l) => l.kind !== 'bad').map((l) => l.offset)
  const groups: string[] = []
  starts.forEach((s, i) => {
    const e = starts[i + 1] ?? bytes.length
    groups.push(Array.from(bytes.subarray(s, e), (b) => b.toString(16).padStart(2, '0')).join(''))
  })
  // Wrapped at whole ops, so a long program stays readable; continuation lines line up under the first.
  const rows: string[] = []
  let cur = ''
  for (const g of groups) {
    if (cur !== '' && cur.length + 1 + g.length > 100) {
      rows.push(cur)
      cur = g
    } else cur = cur === '' ? g : `${cur} ${g}`
  }
  rows.push(cur)
  return rows.join('\n       ')
}

/** Colour a formatDisasm line: opcode, accept/reject targets, the source comment. */
function paintDisasm(text: string, paint: Paint): string {
  if (paint === PLAIN) return text
  return text.split('\n').map((line) => {
    const hash = line.indexOf('  # ')
    const body = hash >= 0 ? line.slice(0, hash) : line
    const comment = hash >= 0 ? paint.dim(line.slice(hash)) : ''
    const painted = body
      .replace(/^(\s*\d+  )(\S+)/, (_m, a: string, op: string) => a + paint.op(op))
      .replace(/→ accept/g, `→ ${paint.accept('accept')}`)
      .replace(/→ reject/g, `→ ${paint.reject('reject')}`)
    return painted + comment
  }).join('\n')
}

/** inet_diag bytecode, the kernel's own language: listing, bytes, size. */
export const DIAG_TARGET: ExplainTarget = {
  name: 'diag',
  sections(input, paint) {
    const programs = programsOf(input.plan)
    if (programs.length === 0 && input.filter) return [{ title: 'bytecode', body: 'none is sent: the filter runs in user space only' }]
    return programs.map(({ program, requests }) => ({
      title: `bytecode (diag) of request${requests.length === 1 ? '' : 's'} ${requestList(requests)}`,
      body: renderDiagProgram(program, input.source, paint),
    }))
  },
}

/** One inet_diag program: annotated listing, bytes grouped per op, size and kernel version. */
function renderDiagProgram(program: Program, source: string, paint: Paint): string {
  const lines = disassemble(program.bytes, { ops: program.ops, source })
  const ops = lines.filter((l) => l.kind === 'op')
  const L = program.bytes.length
  let since = '2.6.14'
  const needs = new Set<OpName>()
  for (const l of ops) {
    const s = OPCODES[l.op].since
    if (newer(s, since)) since = s
  }
  for (const l of ops) if (OPCODES[l.op].since === since) needs.add(l.op)
  const pct = ((100 * L) / INET_DIAG_BC_MAX_LEN).toFixed(2)
  const out = [
    paintDisasm(formatDisasm(lines), paint),
    '',
    `bytes  ${hexByOp(program.bytes, lines)}`,
    `size   ${L} bytes in ${ops.length} op${ops.length === 1 ? '' : 's'}, ${pct}% of the kernel's ${INET_DIAG_BC_MAX_LEN}-byte limit (INET_DIAG_REQ_BYTECODE attribute: ${L + 4} bytes)`,
    `kernel needs Linux ≥ ${since}${since === '2.6.14' ? ' (every opcode here is original)' : ` (for ${[...needs].join(', ')})`}`,
  ]
  return out.join('\n')
}

/** Where ssx deliberately compiles this filter differently from ss 6.1 (README, "Intentional differences"). */
function ssDifferences(filter: Filter, inKernel: boolean): string[] {
  let dev = false
  let multi = false
  const walk = (f: Filter): void => {
    switch (f.kind) {
      case 'and': case 'or': walk(f.left); walk(f.right); return
      case 'not': walk(f.operand); return
      case 'dev': dev = true; return
      case 'hostcond': if (f.cond.family === 'inet' && f.cond.addrs.length > 1) multi = true; return
      default: return
    }
  }
  walk(filter)
  const out: string[] = []
  if (dev && inKernel) out.push('ss sends no bytecode at all when the filter mentions dev, and filters everything in user space; ssx runs DEV_COND in the kernel')
  if (multi) out.push('a host name with several addresses gets one condition per address; ss repeats the first address in each, so only that one is really tested')
  return out
}

/** Render the explanation (without trace), plain unless a paint is given. */
export function renderExplain(input: ExplainInput, opts: RenderOptions = {}): string {
  const paint = opts.paint ?? PLAIN
  const target = opts.target ?? DIAG_TARGET
  const { plan } = input
  const parts: string[] = []

  // 1. The filter as parsed.
  const expr = input.parsed?.expr ?? null
  if (!expr) {
    parts.push(section(paint, 'filter', '(none: every selected socket is listed)'))
  } else {
    const lines = [input.source]
    if (expr.kind === 'and' || expr.kind === 'or' || expr.kind === 'not') {
      lines.push('', 'read as (every binary operator in parentheses):', `  ${printParenthesized(expr)}`, '', drawTree(expr))
    }
    for (const w of input.parsed?.warnings ?? []) {
      lines.push(
        '',
        paint.warn('warning: "and" and "or" are mixed without parentheses, and the two readings differ:'),
        `  ss 6.1 (and ssx) read  ${w.ssReading}`,
        `  the man page says      ${w.manualReading}`,
        'add parentheses, or use --precedence=manual for the man page\'s reading',
      )
    }
    parts.push(section(paint, 'filter', lines.join('\n')))
  }

  // 2. The plan.
  if (plan.requests.length === 0) {
    parts.push(section(paint, 'query plan', ['no request is sent', ...plan.notes.map((n) => n.message)].join('\n')))
  } else {
    const rows: string[][] = [['#', 'table', 'family', 'protocol', 'states', 'extensions', 'bytecode']]
    plan.requests.forEach((r, i) => {
      const bc = r.program ? `${r.program.bytes.length} bytes` : r.kind === 'inet' ? 'none' : 'none (not inet)'
      const after = r.afterSuccess ? ` (sent if #${i} succeeds)` : ''
      rows.push([String(i + 1), r.table, AF_NAMES.get(r.family) ?? String(r.family), protocolText(r), `0x${r.states.toString(16)}`, extNames(r), bc + after])
    })
    const masks = [...new Set(plan.requests.map((r) => r.states))]
    const legend = masks.map((m) => (m === 0 ? 'states 0x0: the request has no state mask (packet, netlink and xdp dumps take none; ss asks for them only when UNCONN is selected)' : `states 0x${m.toString(16)}: ${stateNames(m)}`))
    parts.push(section(paint, `query plan (${plan.requests.length} request${plan.requests.length === 1 ? '' : 's'}, in the order ss sends them)`, [table(rows), '', ...legend, ...sentBySsx(plan)].join('\n')))
  }

  // 3. Where it runs.
  if (input.filter) {
    const inet = plan.requests.map((r, i) => ({ r, n: i + 1 })).filter((x) => x.r.kind === 'inet')
    const other = plan.requests.map((r, i) => ({ r, n: i + 1 })).filter((x) => x.r.kind !== 'inet')
    const lines: string[] = []
    if (plan.kernel && inet.length) {
      lines.push(`kernel      ${filterText(plan.kernel)}`)
      lines.push(`            as bytecode in request${inet.length === 1 ? '' : 's'} ${requestList(inet.map((x) => x.n))} (${[...new Set(inet.map((x) => x.r.table))].join(' ')}): sockets it rejects never leave the kernel`)
    } else if (inet.length) {
      lines.push('kernel      nothing: the inet requests carry no bytecode and return every socket of their states')
    } else {
      lines.push('kernel      nothing: no inet request is sent, and only inet_diag runs bytecode')
    }
    if (plan.residual) {
      lines.push(`user space  ${filterText(plan.residual)}`)
      lines.push('            on every socket received, as ss 6.1 does')
      if (plan.kernel && inet.length) {
        lines.push('            (its semantics differ from the kernel\'s: autobound uses the local port range, prefix-0')
        lines.push('            and cross-family conditions compare raw bits; a socket is listed only when both accept)')
      }
      if (other.length) lines.push(`            alone decides for request${other.length === 1 ? '' : 's'} ${requestList(other.map((x) => x.n))} (${[...new Set(other.map((x) => x.r.table))].join(' ')}): only inet_diag takes bytecode`)
    }
    const differences = ssDifferences(input.filter, plan.kernel !== null && inet.length > 0)
    if (differences.length) {
      lines.push('', 'unlike ss 6.1:')
      for (const d of differences) lines.push(`  - ${d}`)
    }
    if (plan.notes.length) {
      lines.push('', 'why:')
      for (const n of plan.notes) lines.push(`  - ${n.message}`)
    }
    parts.push(section(paint, 'where the filter runs', lines.join('\n')))
  }

  // 4. The programs.
  for (const { title, body } of target.sections(input, paint)) parts.push(section(paint, title, body))
  return parts.join('\n')
}
