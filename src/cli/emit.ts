/**
 * Source emitters for tools not written in JavaScript (`ssx compile
 * --format c|go|python|rust`): the plan's requests as a table of fields and
 * the bytecode as an array literal with one line per op, each commented
 * with its disassembly and the filter text it came from. The output is
 * declarations only, ready to paste into a file of that language; it
 * compiles as it is (checked by test/src/emit.test.ts with gcc, rustc and
 * python3).
 *
 * Pure: no Node built-ins (this module is part of the `ssx/compiler`
 * subpath). `--format netlink` needs the request encoder of the runtime and
 * is put together by the CLI from {@link wireRequest} and the encoder.
 */
import type { DiagRequest, QueryPlan } from '../../compiler/plan.js'
import { disassemble, formatDisasm } from '../../compiler/disasm.js'
import { AF, IPPROTO } from '../../uapi/inet-diag.js'

/** The languages {@link emitPlan} writes. */
export const EMIT_FORMATS = ['c', 'go', 'python', 'rust'] as const

/** One of {@link EMIT_FORMATS}. */
export type EmitFormat = (typeof EMIT_FORMATS)[number]

/** Options of {@link emitPlan}. */
export interface EmitOptions {
  /** The filter text, for the header comment and each op's source note. */
  readonly source?: string
  /** The command that produced the plan, for the header comment (e.g. `ssx compile -t 'dport = :443'`). */
  readonly command?: string
}

/**
 * A request as the runtime's encoder takes it: the shape of `SockDiagRequest`
 * (runtime/requests.ts), restated so that this pure module, and the types of
 * `ssx/compiler`, do not depend on the runtime.
 */
export interface WireRequest {
  readonly kind: DiagRequest['kind']
  readonly family: number
  readonly protocol: number
  readonly protocolAttr?: number
  readonly states: number
  readonly ext: number
  readonly bytecode: Uint8Array | null
}

/** The request as the runtime's encoder takes it (`program.bytes` becomes `bytecode`). */
export function wireRequest(req: DiagRequest): WireRequest {
  return {
    kind: req.kind,
    family: req.family,
    protocol: req.protocol,
    ...(req.protocolAttr !== undefined ? { protocolAttr: req.protocolAttr } : {}),
    states: req.states,
    ext: req.ext,
    bytecode: req.program ? req.program.bytes : null,
  }
}

/** A request's fields, language-neutral. */
interface Row {
  readonly table: string
  readonly family: number
  readonly familyName: string
  readonly protocol: number
  /** `IPPROTO_*` of an inet request whose protocol fits the header byte; else ''. */
  readonly protocolName: string
  readonly states: number
  readonly ext: number
  readonly protocolAttr: number | null
  readonly afterSuccess: boolean
  readonly hasBytecode: boolean
}

/** One line of the bytecode array: the op's bytes and its disassembly. */
interface ByteLine {
  readonly offset: number
  readonly bytes: Uint8Array
  readonly comment: string
}

const reverse = (table: Readonly<Record<string, number>>): ReadonlyMap<number, string> =>
  new Map(Object.entries(table).map(([name, value]) => [value, name]))
const AF_NAME = reverse(AF)
const IPPROTO_NAME = reverse(IPPROTO)

function rows(plan: QueryPlan): Row[] {
  return plan.requests.map((r) => ({
    table: r.table,
    family: r.family,
    familyName: AF_NAME.get(r.family) ?? '',
    protocol: r.protocol,
    protocolName: r.kind === 'inet' && r.protocolAttr === undefined ? IPPROTO_NAME.get(r.protocol) ?? '' : '',
    states: r.states,
    ext: r.ext,
    protocolAttr: r.protocolAttr ?? null,
    afterSuccess: r.afterSuccess === true,
    hasBytecode: r.program !== null,
  }))
}

/**
 * The program of the plan, split at op boundaries. Each line covers the
 * bytes from its op to the next one (so bytes a `yes` jumps over stay with
 * the op before them) and carries the disassembler's text for it.
 */
function byteLines(plan: QueryPlan, source: string | undefined): ByteLine[] {
  const program = plan.requests.find((r) => r.program)?.program
  if (!program) return []
  // Source snippets of a multi-line -F filter would break formatDisasm's one-line-per-op output.
  const listing = disassemble(program.bytes, source === undefined ? { ops: program.ops } : { ops: program.ops, source })
    .map((l) => (l.kind === 'op' && l.source !== undefined ? { ...l, source: l.source.replace(/[\r\n]+/g, ' ') } : l))
  const text = formatDisasm(listing).split('\n')
  return listing.map((line, i) => {
    const end = listing[i + 1]?.offset ?? program.bytes.length
    return { offset: line.offset, bytes: program.bytes.subarray(line.offset, end), comment: oneLine(text[i] ?? '') }
  })
}

/**
 * Comment text safe in every target: one line (a `-F` filter may span
 * several), and not ending in a backslash, which would splice the next line
 * into a C `//` comment.
 */
function oneLine(s: string): string {
  const flat = s.replace(/[\r\n]+/g, ' ').trimEnd()
  return flat.endsWith('\\') ? `${flat} (end)` : flat
}

/** The header lines shared by every language (without comment markers), each safe as a line comment. */
function header(plan: QueryPlan, opts: EmitOptions): string[] {
  const lines = [`Generated by ${opts.command ?? 'ssx compile'}.`]
  if (opts.source) lines.push(`Filter: ${opts.source}`)
  lines.push(
    'Send each request, in order, as a SOCK_DIAG_BY_FAMILY (20) dump (NLM_F_REQUEST | NLM_F_DUMP)',
    'on a NETLINK_SOCK_DIAG socket; inet requests carry the bytecode as an INET_DIAG_REQ_BYTECODE',
    'attribute, and an INET_DIAG_REQ_PROTOCOL attribute when protocol_attr is set. A request',
    'marked after_success is sent only when the previous request of its table succeeded.',
  )
  for (const n of plan.notes) lines.push(`Note: ${n.message}`)
  return lines.map(oneLine)
}

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`
const byteList = (b: Uint8Array): string => Array.from(b, (x) => `${hex(x, 2)},`).join(' ')

/** Each line's bytes as a list, padded so the comments line up. */
function byteColumn(lines: readonly ByteLine[]): string[] {
  const lists = lines.map((l) => byteList(l.bytes))
  const width = Math.max(0, ...lists.map((s) => s.length))
  return lists.map((s) => s.padEnd(width))
}
const quote = (s: string): string => JSON.stringify(s)

function emitC(plan: QueryPlan, opts: EmitOptions): string {
  // Line comments: the filter text may hold `/*` or `*/`, which a block comment cannot.
  const out = [...header(plan, opts).map((l) => `// ${l}`), '#include <stddef.h>', '#include <stdint.h>', '']
  out.push(
    '/* One dump request, in send order. */',
    'struct ssx_request {',
    '\tconst char *table;      /* ss\'s table name */',
    '\tuint8_t family;         /* sdiag_family */',
    '\tuint8_t protocol;       /* sdiag_protocol */',
    '\tuint32_t states;        /* idiag_states (udiag_states, ...) */',
    '\tuint32_t ext;           /* inet: idiag_ext; unix/packet/netlink/xdp: the *_show mask */',
    '\tuint32_t protocol_attr; /* INET_DIAG_REQ_PROTOCOL value; 0: no attribute */',
    '\tint after_success;',
    '\tint has_bytecode;       /* append ssx_bytecode as INET_DIAG_REQ_BYTECODE */',
    '};',
    '',
  )
  const rs = rows(plan)
  out.push(`static const struct ssx_request ssx_requests[${Math.max(rs.length, 1)}] = {`)
  for (const r of rs) {
    const fam = r.familyName ? ` /* ${r.familyName} */` : ''
    const proto = r.protocolName ? ` /* ${r.protocolName} */` : ''
    out.push(`\t{ .table = ${quote(r.table)}, .family = ${r.family}${fam}, .protocol = ${r.protocol}${proto}, .states = ${hex(r.states, 8)}, .ext = ${hex(r.ext, 2)}, .protocol_attr = ${r.protocolAttr ?? 0}, .after_success = ${Number(r.afterSuccess)}, .has_bytecode = ${Number(r.hasBytecode)} },`)
  }
  if (rs.length === 0) out.push('\t{ .table = 0 }, /* no request: nothing to send */')
  out.push('};', `static const size_t ssx_requests_len = ${rs.length};`, '')
  const lines = byteLines(plan, opts.source)
  const len = lines.reduce((n, l) => n + l.bytes.length, 0)
  // C has no empty arrays: an unused zero byte stands in, and the length says 0.
  out.push(`static const uint8_t ssx_bytecode[${Math.max(len, 1)}] = {`)
  byteColumn(lines).forEach((b, i) => out.push(`\t${b} // ${lines[i]!.comment}`))
  if (len === 0) out.push('\t0x00, // no bytecode: nothing to filter in the kernel')
  out.push('};', `static const size_t ssx_bytecode_len = ${len};`)
  return out.join('\n') + '\n'
}

function emitGo(plan: QueryPlan, opts: EmitOptions): string {
  const out = header(plan, opts).map((l) => `// ${l}`)
  out.push(
    '',
    '// SsxRequest is one dump request, in send order.',
    'type SsxRequest struct {',
    '\tTable        string // ss\'s table name',
    '\tFamily       uint8  // sdiag_family',
    '\tProtocol     uint8  // sdiag_protocol',
    '\tStates       uint32 // idiag_states (udiag_states, ...)',
    '\tExt          uint32 // inet: idiag_ext; unix/packet/netlink/xdp: the *_show mask',
    '\tProtocolAttr uint32 // INET_DIAG_REQ_PROTOCOL value; 0: no attribute',
    '\tAfterSuccess bool',
    '\tHasBytecode  bool // append SsxBytecode as INET_DIAG_REQ_BYTECODE',
    '}',
    '',
    '// SsxRequests lists the requests in send order.',
    'var SsxRequests = []SsxRequest{',
  )
  for (const r of rows(plan)) {
    const fam = r.familyName ? ` /* ${r.familyName} */` : ''
    const proto = r.protocolName ? ` /* ${r.protocolName} */` : ''
    out.push(`\t{Table: ${quote(r.table)}, Family: ${r.family}${fam}, Protocol: ${r.protocol}${proto}, States: ${hex(r.states, 8)}, Ext: ${hex(r.ext, 2)}, ProtocolAttr: ${r.protocolAttr ?? 0}, AfterSuccess: ${r.afterSuccess}, HasBytecode: ${r.hasBytecode}},`)
  }
  out.push('}', '', '// SsxBytecode is the INET_DIAG_REQ_BYTECODE payload, one op per line.', 'var SsxBytecode = []byte{')
  const lines = byteLines(plan, opts.source)
  byteColumn(lines).forEach((b, i) => out.push(`\t${b} // ${lines[i]!.comment}`))
  out.push('}')
  return out.join('\n') + '\n'
}

function emitRust(plan: QueryPlan, opts: EmitOptions): string {
  const out = header(plan, opts).map((l) => `// ${l}`)
  const rs = rows(plan)
  const lines = byteLines(plan, opts.source)
  const len = lines.reduce((n, l) => n + l.bytes.length, 0)
  out.push(
    '',
    '/// One dump request, in send order.',
    '#[derive(Clone, Copy, Debug)]',
    'pub struct SsxRequest {',
    '    /// ss\'s table name.',
    '    pub table: &\'static str,',
    '    /// `sdiag_family`.',
    '    pub family: u8,',
    '    /// `sdiag_protocol`.',
    '    pub protocol: u8,',
    '    /// `idiag_states` (`udiag_states`, ...).',
    '    pub states: u32,',
    '    /// inet: `idiag_ext`; unix/packet/netlink/xdp: the `*_show` mask.',
    '    pub ext: u32,',
    '    /// `INET_DIAG_REQ_PROTOCOL` attribute value, if any.',
    '    pub protocol_attr: Option<u32>,',
    '    pub after_success: bool,',
    '    /// Append `SSX_BYTECODE` as `INET_DIAG_REQ_BYTECODE`.',
    '    pub has_bytecode: bool,',
    '}',
    '',
    `pub const SSX_REQUESTS: [SsxRequest; ${rs.length}] = [`,
  )
  for (const r of rs) {
    const fam = r.familyName ? ` /* ${r.familyName} */` : ''
    const proto = r.protocolName ? ` /* ${r.protocolName} */` : ''
    const attr = r.protocolAttr === null ? 'None' : `Some(${r.protocolAttr})`
    out.push(`    SsxRequest { table: ${quote(r.table)}, family: ${r.family}${fam}, protocol: ${r.protocol}${proto}, states: ${hex(r.states, 8)}, ext: ${hex(r.ext, 2)}, protocol_attr: ${attr}, after_success: ${r.afterSuccess}, has_bytecode: ${r.hasBytecode} },`)
  }
  out.push('];', '', '/// The `INET_DIAG_REQ_BYTECODE` payload, one op per line.', `pub const SSX_BYTECODE: [u8; ${len}] = [`)
  byteColumn(lines).forEach((b, i) => out.push(`    ${b} // ${lines[i]!.comment}`))
  out.push('];')
  return out.join('\n') + '\n'
}

function emitPython(plan: QueryPlan, opts: EmitOptions): string {
  const out = header(plan, opts).map((l) => `# ${l}`)
  const py = (b: boolean): string => (b ? 'True' : 'False')
  out.push('', '# One dict per dump request, in send order.', 'REQUESTS = [')
  for (const r of rows(plan)) {
    const names = [r.familyName, r.protocolName].filter((n) => n !== '').join(', ')
    out.push(`    dict(table=${quote(r.table)}, family=${r.family}, protocol=${r.protocol}, states=${hex(r.states, 8)}, ext=${hex(r.ext, 2)}, protocol_attr=${r.protocolAttr ?? 'None'}, after_success=${py(r.afterSuccess)}, has_bytecode=${py(r.hasBytecode)}),${names ? `  # ${names}` : ''}`)
  }
  out.push(']', '', '# The INET_DIAG_REQ_BYTECODE payload, one op per line.', 'BYTECODE = bytes([')
  const lines = byteLines(plan, opts.source)
  byteColumn(lines).forEach((b, i) => out.push(`    ${b}  # ${lines[i]!.comment}`))
  out.push('])')
  return out.join('\n') + '\n'
}

/**
 * Write the plan's requests and bytecode as declarations in `format`:
 * `ssx_requests`/`ssx_bytecode` (C), `SsxRequests`/`SsxBytecode` (Go),
 * `SSX_REQUESTS`/`SSX_BYTECODE` (Rust), `REQUESTS`/`BYTECODE` (Python).
 * Deterministic: the same plan gives the same text.
 */
export function emitPlan(plan: QueryPlan, format: EmitFormat, opts: EmitOptions = {}): string {
  switch (format) {
    case 'c': return emitC(plan, opts)
    case 'go': return emitGo(plan, opts)
    case 'rust': return emitRust(plan, opts)
    case 'python': return emitPython(plan, opts)
  }
}

/** A command line as a POSIX shell would read it back: words with special characters in single quotes. */
export function shellCommand(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", "'\\''")}'`)).join(' ')
}
