/**
 * The playground's model: a command line (ss options and filter) and a list
 * of socket descriptions in, everything the page shows out. The same
 * modules as the CLI (argv, selection, grammar, resolve, plan, disassembler,
 * interpreter, evaluator, explain's renderer); only the name resolver is the
 * page's own, since a browser has no /etc/services or devices.
 * Pure and DOM-free, so it also runs under node in tests.
 */
import { parseArgv, formatUsageError, UsageError } from '../src/cli/argv.js'
import { EMPTY_SELECTION_MESSAGE, selectSockets, SelectionError, tableBit } from '../compiler/select.js'
import { parseFilter, printParenthesized, type ParseResult } from '../grammar/index.js'
import { FilterError, FilterSyntaxError } from '../grammar/errors.js'
import { firstValueError, resolveFilter, type Resolver } from '../compiler/resolve.js'
import { compilePlan } from '../compiler/compile.js'
import type { QueryPlan } from '../compiler/plan.js'
import type { Filter } from '../compiler/filter.js'
import type { InetPrefix } from '../compiler/filter.js'
import { disassemble, formatDisasm, type DisasmLine } from '../compiler/disasm.js'
import { compileEventFilter } from '../compiler/cbpf/compile.js'
import { formatAsm } from '../compiler/cbpf/disasm.js'
import { formatFilterError } from '../src/cli/report.js'
import { drawTree, programsOf, renderExplain } from '../src/cli/explain-render.js'
import { buildCfg, toSvg } from '../src/cli/graph.js'
import { formatTrace, parseSocketDescription, SocketSyntaxError, traceSocket } from '../src/cli/trace.js'
import { annotateBytes, type ByteField } from './annotate.js'

/** Linux's default ephemeral port range (the page cannot read /proc). */
export const PORT_RANGE: readonly [number, number] = [32768, 60999]

const SERVICES: Readonly<Record<string, number>> = {
  ftp: 21, ssh: 22, telnet: 23, smtp: 25, domain: 53, http: 80, pop3: 110, imap2: 143, ldap: 389, https: 443,
  submission: 587, imaps: 993, pop3s: 995, mysql: 3306, postgresql: 5432, 'http-alt': 8080,
}

/** The page's resolver: a few well-known services, devices `lo` (1) and `eth0` (2), host `localhost`; no cgroups. */
export const PAGE_RESOLVER: Resolver = {
  service: (name) => SERVICES[name],
  hosts: (name, af) => {
    const all: InetPrefix[] = name === 'localhost'
      ? [
          { af: 2, bytes: Uint8Array.of(127, 0, 0, 1), prefixLen: 32 },
          { af: 10, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), prefixLen: 128 },
        ]
      : []
    return all.filter((p) => af === 0 || p.af === af)
  },
  ifindex: (name) => ({ lo: 1, eth0: 2 } as Record<string, number>)[name],
  cgroupId: () => ({ failure: 'cgroup paths cannot be resolved in a browser' }),
  netlinkProto: (name) => ({ rtnl: 0, route: 0, generic: 16 } as Record<string, number>)[name],
}

/** Split a command line into words: blanks separate, single and double quotes group. */
export function splitWords(line: string): string[] {
  const out: string[] = []
  const re = /'([^']*)'|"([^"]*)"|([^\s'"]+)/g
  let m: RegExpExecArray | null
  let cur: string | null = null
  let lastEnd = -1
  while ((m = re.exec(line)) !== null) {
    const piece = m[1] ?? m[2] ?? m[3]!
    // Adjacent pieces without a blank between them form one word (`a'b c'`).
    if (cur !== null && m.index === lastEnd) cur += piece
    else {
      if (cur !== null) out.push(cur)
      cur = piece
    }
    lastEnd = m.index + m[0].length
  }
  if (cur !== null) out.push(cur)
  return out
}

/** One sample socket's outcome. */
export interface SocketRow {
  readonly text: string
  /** null when the description has an error. */
  readonly error: string | null
  /** The kernel interpreter's verdict; `none` without bytecode, `skipped` when no request dumps it or its state is not selected. */
  readonly kernel: 'accept' | 'reject' | 'none' | 'skipped'
  readonly userSpace: 'accept' | 'reject' | 'none'
  readonly listed: boolean
  /** The trace, as `ssx explain --trace` prints it. */
  readonly trace: string
}

/** What the page shows. */
export type PlaygroundResult =
  | {
      readonly ok: true
      readonly explain: string
      readonly ast: string
      /** Listing of the first program, as `ssx compile --format asm` prints it; null without bytecode. */
      readonly disasm: string | null
      /** The classic BPF program `ssx -E` attaches for this filter, as `ssx compile --target cbpf --format asm` lists it; null without a filter. */
      readonly cbpf: string | null
      readonly hex: readonly ByteField[]
      readonly svg: string | null
      readonly sockets: readonly SocketRow[]
      readonly warnings: readonly string[]
    }
  | { readonly ok: false; readonly error: string }

const fail = (error: string): PlaygroundResult => ({ ok: false, error })

/** Compile a command line and run the sample sockets through it. */
export async function runPlayground(commandLine: string, socketLines: readonly string[]): Promise<PlaygroundResult> {
  const words = splitWords(commandLine)
  let args
  try {
    args = parseArgv(words)
  } catch (e) {
    if (e instanceof UsageError) return fail(formatUsageError(e, 'ssx'))
    throw e
  }
  if (args.action !== 'run') return fail('-h and -V print help and version; nothing to explain')
  if (args.flags.filterFile !== null) return fail('-F reads a file: type the filter itself here')
  let selection
  try {
    selection = selectSockets({ options: args.options, words: args.words })
  } catch (e) {
    if (e instanceof SelectionError) return fail(e.message)
    throw e
  }
  if (selection.summaryOnly) return fail('-s without tables: only the summary is printed')
  if (selection.empty) return fail(`ssx: ${EMPTY_SELECTION_MESSAGE[selection.empty]}`)
  const precedence = args.flags.precedence ?? 'ss'
  if (precedence !== 'ss' && precedence !== 'manual') return fail(`--precedence must be "ss" or "manual", not "${precedence}"`)

  let parsed: ParseResult
  let filter: Filter | null
  let plan: QueryPlan
  const text = selection.rest.join(' ')
  const ctx = { tables: { tcp: (selection.tables & tableBit('tcp')) !== 0, udp: (selection.tables & tableBit('udp')) !== 0 } }
  try {
    try {
      parsed = parseFilter({ words: [...selection.rest] }, { preferredFamily: selection.preferredFamily, precedence })
    } catch (e) {
      // As the CLI (and ss): a name that does not resolve before the syntax error is the error.
      if (e instanceof FilterSyntaxError) throw (await firstValueError(e, PAGE_RESOLVER, ctx)) ?? e
      throw e
    }
    filter = parsed.expr ? await resolveFilter(parsed.expr, PAGE_RESOLVER, ctx) : null
    plan = compilePlan(filter, {
      selection,
      forcedFamily: parsed.forcedFamily,
      preferredFamily: parsed.preferredFamily,
      ext: { memory: args.flags.memory, info: args.flags.info, tos: args.flags.tos, extended: args.flags.extended > 0 },
    })
  } catch (e) {
    if (e instanceof FilterSyntaxError || e instanceof FilterError) return fail(formatFilterError('ssx', e, e.source?.text ?? text))
    throw e
  }
  const source = parsed.source.text
  const explain = renderExplain({ source, parsed, filter, plan })
  const ast = parsed.expr ? `${printParenthesized(parsed.expr)}\n\n${drawTree(parsed.expr)}` : '(no filter)'
  const first = programsOf(plan)[0]?.program ?? null
  let lines: DisasmLine[] | null = null
  if (first) lines = disassemble(first.bytes, { ops: first.ops, source })

  const env = { localPortRange: PORT_RANGE }
  const sockets = socketLines.filter((l) => l.trim() !== '').map((line): SocketRow => {
    try {
      const desc = parseSocketDescription(line.trim())
      const t = traceSocket(plan, desc, env)
      const program = t.request?.req.program
      const own = program ? disassemble(program.bytes, { ops: program.ops, source }) : null
      const kernel = !t.request || !t.stateSelected ? 'skipped' : t.kernel ? (t.kernel.accept ? 'accept' : 'reject') : 'none'
      const userSpace = t.userSpace === null ? 'none' : t.userSpace ? 'accept' : 'reject'
      return { text: line.trim(), error: null, kernel, userSpace, listed: t.listed, trace: formatTrace(desc, t, own) }
    } catch (e) {
      if (e instanceof SocketSyntaxError) return { text: line.trim(), error: `${e.message} (at column ${e.span.start + 1})`, kernel: 'skipped', userSpace: 'none', listed: false, trace: '' }
      throw e
    }
  })
  return {
    ok: true,
    explain,
    ast,
    disasm: first && lines ? formatDisasm(lines) : null,
    cbpf: filter ? formatAsm(compileEventFilter(filter, { localPortRange: PORT_RANGE }).ops) : null,
    hex: first && lines ? annotateBytes(first.bytes, lines) : [],
    svg: lines ? toSvg(buildCfg(lines)) : null,
    sockets,
    warnings: parsed.warnings.map((w) => w.message),
  }
}
