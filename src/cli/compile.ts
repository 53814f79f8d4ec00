/**
 * `ssx compile [ss options] [FILTER...]`: everything ss does before it
 * talks to the kernel — options, state words, filter, names, plan — and
 * prints the plan instead of sending it. Needs neither root nor network
 * (names are resolved through the system's files and resolver only when
 * the filter uses them).
 */
import { readFileSync } from 'node:fs'
import { parseArgv, formatUsageError, UsageError, type ParsedArgs } from './argv.js'
import { EMPTY_SELECTION_MESSAGE, selectSockets, SelectionError, tableBit, type SocketSelection } from '../../compiler/select.js'
import { parseFilter, type ParseResult } from '../../grammar/index.js'
import { FilterError, FilterSyntaxError } from '../../grammar/errors.js'
import { firstValueError, resolveFilter, type Resolver, type ResolveContext } from '../../compiler/resolve.js'
import { compilePlan } from '../../compiler/compile.js'
import { LISTING_TARGET_NAMES, TARGET_NAMES, type QueryPlan, type TargetName } from '../../compiler/plan.js'
import type { Filter } from '../../compiler/filter.js'
import { disassemble, formatDisasm } from '../../compiler/disasm.js'
import { planToJson, toHex } from './plan-json.js'
import { USAGE, SS_VERSION_LINE } from './usage.js'
import { EXIT, formatFilterError } from './report.js'
import { systemResolver } from '../system-resolver.js'
import { emitPlan, shellCommand } from './emit.js'
import { wireRequest } from '../../compiler/plan.js'
import { encodeRequest } from '../../runtime/requests.js'
import { runCompileCbpf } from './compile-cbpf.js'
import { runCompileEbpf } from './compile-ebpf.js'
import { chooseListingTarget } from '../ebpf-query.js'

/** What a command produced (the CLI writes it; tests read it). */
export interface CommandResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** I/O a command may need, injectable for tests. */
export interface CommandIo {
  /** Standard input, for `-F -`. */
  readonly stdin?: string | (() => string)
  readonly env?: Readonly<Record<string, string | undefined>>
  readonly resolver?: Resolver
  /** Program name for messages. */
  readonly prog?: string
}

/** Everything from argv up to the plan, shared by compile, explain and listing. */
export interface Compiled {
  readonly args: ParsedArgs
  readonly selection: SocketSelection
  readonly filter: Filter | null
  /** Family bitmask after the filter's side effects (§4.7). */
  readonly families: number
  readonly plan: QueryPlan
  readonly warnings: readonly string[]
  /** The filter text as shown in messages. */
  readonly source: string
  /** The parser's result (AST, precedence warnings); null when the filter was never parsed. */
  readonly parsed?: ParseResult | null
  /** `--target` as given (checked to be a known name), `auto` when absent. */
  readonly target?: TargetName
}

/** A failure on the way to a plan, already rendered. */
export class CommandFailure extends Error {
  constructor(readonly result: CommandResult) {
    super(result.stderr)
  }
}

const fail = (exitCode: number, stderr: string): never => {
  throw new CommandFailure({ exitCode, stdout: '', stderr })
}

/** Read the `-F` file: a name starting with `-` means standard input (ss). */
function readFilterFile(name: string, io: CommandIo): string {
  if (name.startsWith('-')) {
    const s = io.stdin
    return typeof s === 'function' ? s() : s ?? readFileSync(0, 'utf8')
  }
  try {
    return readFileSync(name, 'latin1')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return fail(EXIT.usage, `fopen filter file: ${code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : String(code)}\n`)
  }
}

/** Options and selection: what ss knows before it reads the filter. */
export interface Selected {
  readonly args: ParsedArgs
  readonly selection: SocketSelection
}

/**
 * Parse argv and compute the selection (ss §0 steps 1–8). Throws
 * {@link CommandFailure} with ss's message and exit code. `-h`/`-V` stop
 * here: the caller checks `args.action` before using the selection.
 */
export function selectArgv(argv: readonly string[], io: CommandIo = {}): { readonly args: ParsedArgs; readonly selection: SocketSelection | null } {
  const prog = io.prog ?? 'ssx'
  const env = io.env ?? process.env
  let args: ParsedArgs
  try {
    args = parseArgv(argv, { POSIXLY_CORRECT: env['POSIXLY_CORRECT'] })
  } catch (e) {
    if (e instanceof UsageError) return fail(e.exitCode, formatUsageError(e, prog))
    throw e
  }
  if (args.action !== 'run') return { args, selection: null }
  try {
    return { args, selection: selectSockets({ options: args.options, words: args.words }) }
  } catch (e) {
    if (e instanceof SelectionError) return fail(e.exitCode, `${e.ssPrefix ? `${prog}: ` : ''}${e.message}\n`)
    throw e
  }
}

/**
 * Run the front half of ss on argv: options, selection, filter, resolution,
 * plan. Throws {@link CommandFailure} with ss's message and exit code.
 */
export async function compileArgv(argv: readonly string[], io: CommandIo = {}): Promise<Compiled> {
  const { args, selection } = selectArgv(argv, io)
  if (!selection) return fail(EXIT.ok, '')
  return compileSelected({ args, selection }, io)
}

/** The rest of {@link compileArgv}: filter, names, plan. */
export async function compileSelected({ args, selection }: Selected, io: CommandIo = {}): Promise<Compiled> {
  const prog = io.prog ?? 'ssx'
  // ss stops before parsing the filter when it only prints the summary or
  // has nothing to list (§0 steps 4 and 8).
  if (selection.summaryOnly || selection.empty) {
    const why = selection.summaryOnly ? '-s without tables: only the summary is printed' : `${prog}: ${EMPTY_SELECTION_MESSAGE[selection.empty!]}`
    const plan: QueryPlan = { requests: [], residual: null, kernel: null, notes: [{ message: why }] }
    return { args, selection, filter: null, families: selection.families, plan, warnings: [], source: '' }
  }
  const precedence = args.flags.precedence ?? 'ss'
  if (precedence !== 'ss' && precedence !== 'manual') {
    return fail(EXIT.usage, `${prog}: --precedence must be "ss" or "manual", not "${precedence}"\n`)
  }
  const target = args.flags.target ?? 'auto'
  if (!(TARGET_NAMES as readonly string[]).includes(target)) {
    return fail(EXIT.usage, `${prog}: --target must be ${TARGET_NAMES.slice(0, -1).join(', ')} or ${TARGET_NAMES[TARGET_NAMES.length - 1]}, not "${target}"\n`)
  }
  const file = args.flags.filterFile !== null ? readFilterFile(args.flags.filterFile, io) : undefined
  const input = file === undefined ? { words: [...selection.rest] } : { words: [...selection.rest], file }

  let source = ''
  const resolver = io.resolver ?? systemResolver()
  const ctx: ResolveContext = {
    tables: {
      tcp: (selection.tables & tableBit('tcp')) !== 0,
      udp: (selection.tables & tableBit('udp')) !== 0,
    },
  }
  try {
    let parsed
    try {
      parsed = parseFilter(input, { preferredFamily: selection.preferredFamily, precedence })
    } catch (e) {
      if (e instanceof FilterSyntaxError) {
        const first = await firstValueError(e, resolver, ctx)
        if (first) {
          first.source = e.source
          throw first
        }
      }
      throw e
    }
    source = parsed.source.text
    const filter = parsed.expr ? await resolveFilter(parsed.expr, resolver, ctx) : null
    const plan = compilePlan(filter, {
      selection,
      forcedFamily: parsed.forcedFamily,
      preferredFamily: parsed.preferredFamily,
      ext: { memory: args.flags.memory, info: args.flags.info, tos: args.flags.tos, extended: args.flags.extended > 0 },
    })
    const warnings = parsed.warnings.map((w) => w.message)
    const families = parsed.forcedFamily != null ? 1 << parsed.forcedFamily : selection.families
    return { args, selection, filter, families, plan, warnings, source, parsed, target: target as TargetName }
  } catch (e) {
    if (e instanceof FilterSyntaxError || e instanceof FilterError) {
      const text = e.source?.text ?? (source || input.words.join(' '))
      return fail(e instanceof FilterSyntaxError ? EXIT.usage : EXIT.value, formatFilterError(prog, e, text))
    }
    throw e
  }
}

/**
 * The target a socket listing runs on, from `--target` (issue 9): `diag`
 * (inet_diag bytecode for what it can test, the residual in user space,
 * INET_DIAG_INFO requested when the filter reads tcp_info) or `ebpf` (the
 * whole filter in an iter/tcp program; src/ebpf-query.ts). `auto` picks
 * eBPF when the filter reads tcp_info and the listing can run there, and
 * reports through `onNotice` when it wanted eBPF but falls back. Throws
 * {@link CommandFailure} (exit 255) for a target that cannot list sockets,
 * or `ebpf` when it cannot run here (with the reason).
 */
export function listingTarget(c: Compiled, prog = 'ssx', onNotice?: (message: string) => void): 'diag' | 'ebpf' {
  const target = c.target ?? 'auto'
  if (!LISTING_TARGET_NAMES.includes(target)) {
    return fail(EXIT.usage, `${prog}: --target ${target} cannot list sockets (it is for -E events and for compile/explain); use auto, diag or ebpf\n`)
  }
  const choice = chooseListingTarget(target as 'auto' | 'diag' | 'ebpf', c.filter, { ...c.selection, families: c.families }, c.args.flags)
  if (choice.issue) return fail(EXIT.usage, `${prog}: --target ebpf: ${choice.issue}; use --target diag (or auto)\n`)
  if (choice.notice) onNotice?.(`${prog}: notice: ${choice.notice}`)
  return choice.target
}

/** `ssx compile`: print the plan as JSON, disassembly or hex. */
export async function runCompile(argv: readonly string[], io: CommandIo = {}): Promise<CommandResult> {
  let c: Compiled
  try {
    const { args, selection } = selectArgv(argv, io)
    if (!selection) return { exitCode: EXIT.ok, stdout: args.action === 'help' ? USAGE : `${SS_VERSION_LINE}\n`, stderr: '' }
    c = await compileSelected({ args, selection }, io)
  } catch (e) {
    if (e instanceof CommandFailure) return e.result
    throw e
  }
  const prog = io.prog ?? 'ssx'
  const stderr = c.warnings.map((w) => `${prog}: warning: ${w}\n`).join('')
  const format = c.args.flags.format ?? 'json'
  if (c.target === 'cbpf') return runCompileCbpf(c, format, prog, stderr)
  if (c.target === 'ebpf') return runCompileEbpf(c, format, prog, stderr)
  const first = c.plan.requests.find((r) => r.program)?.program ?? null
  switch (format) {
    case 'json':
      return { exitCode: 0, stdout: JSON.stringify(planToJson(c.plan, c.warnings)) + '\n', stderr }
    case 'hex':
      return { exitCode: 0, stdout: (first ? toHex(first.bytes) : '') + '\n', stderr }
    case 'asm': {
      const out = first ? formatDisasm(disassemble(first.bytes, { ops: first.ops, source: c.source })) : '(no bytecode: nothing to filter in the kernel)\n'
      return { exitCode: 0, stdout: out.endsWith('\n') ? out : out + '\n', stderr }
    }
    case 'c':
    case 'go':
    case 'python':
    case 'rust':
      return { exitCode: 0, stdout: emitPlan(c.plan, format, { source: c.source, command: shellCommand([prog, 'compile', ...argv]) }), stderr }
    case 'netlink':
      // One complete request message per line, in send order (as ss sends them).
      return { exitCode: 0, stdout: c.plan.requests.map((r) => toHex(encodeRequest(wireRequest(r))) + '\n').join(''), stderr }
    default:
      return { exitCode: EXIT.usage, stdout: '', stderr: `${prog}: unknown --format "${format}" (expected json, asm, hex, netlink, c, go, python or rust)\n` }
  }
}
