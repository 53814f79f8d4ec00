/**
 * `ssx/compiler`: the pure half of ssx — parser, resolve pass, compiler,
 * audit, disassembler, kernel-interpreter port, AST evaluator and the
 * source emitters for other languages. It loads no native code and no
 * Node built-in, so it runs without koffi, in any JavaScript runtime and
 * in a browser bundle (a test bundles it with esbuild for
 * `platform: 'browser'`).
 *
 * ```ts
 * import { compileQuery, formatDisasm, disassemble } from 'ssx/compiler'
 *
 * const q = await compileQuery({ tables: ['tcp'], states: ['established'], filter: 'dport = :443' })
 * const program = q.plan.requests[0]?.program
 * if (program) console.log(formatDisasm(disassemble(program.bytes, { ops: program.ops, source: q.source })))
 * ```
 *
 * Names (services, hosts, devices, cgroups) are resolved through a
 * {@link Resolver}; the default here, {@link offlineResolver}, knows none,
 * so only numeric values compile. The package entry (`ssx`) adds the
 * system resolver, the kernel runtime and socket streaming.
 */
import { parseFilter } from '../grammar/index.js'
import type { ParseResult, Precedence, PrecedenceWarning } from '../grammar/index.js'
import { firstValueError, resolveFilter } from '../compiler/resolve.js'
import { FilterSyntaxError } from '../grammar/errors.js'
import type { Resolver } from '../compiler/resolve.js'
import { compilePlan } from '../compiler/compile.js'
import type { ExtOptions } from '../compiler/compile.js'
import type { Filter } from '../compiler/filter.js'
import type { QueryPlan } from '../compiler/plan.js'
import { EMPTY_SELECTION_MESSAGE, selectSockets, tableBit } from '../compiler/select.js'
import type { SelectOption, SocketSelection } from '../compiler/select.js'

// --- The filter language front end -----------------------------------------
export { parseFilter, printExpr, printParenthesized, toSExpr, splitFilterFile } from '../grammar/index.js'
export type { FilterInput, ParseOptions, ParseResult, Precedence, PrecedenceWarning, FilterSource, SourcePiece, FilterFileLine, Token, ValueToken, ValueKind, ParsedValue, MarkValue } from '../grammar/index.js'
export type * from '../grammar/ast.js'
export { FilterError, FilterSyntaxError } from '../grammar/errors.js'

// --- Passes -------------------------------------------------------------------
export { resolveFilter } from '../compiler/resolve.js'
export type { Resolver, ResolveContext, MaybePromise, CgroupLookupFailure } from '../compiler/resolve.js'
export type { Filter, HostCond, HostCondNode, PortCmpNode, InetPrefix } from '../compiler/filter.js'
export { compilePlan, EXT } from '../compiler/compile.js'
export type { PlanOptions, ExtOptions } from '../compiler/compile.js'
export type { QueryPlan, DiagRequest, RequestKind, PlanNote } from '../compiler/plan.js'
export { kernelCompilable, lower } from '../compiler/lower.js'
export type { LowerOptions } from '../compiler/lower.js'
export type { Ir, Insn, Label, Target } from '../compiler/ir.js'
export { assemble } from '../compiler/assemble.js'
export type { Program, AssembledOp } from '../compiler/assemble.js'
export { audit } from '../compiler/audit.js'
export type { AuditOptions, AuditResult, AuditFailure } from '../compiler/audit.js'
export { disassemble, formatDisasm, parseDisasm, DisasmParseError, formatAddr, parseAddr } from '../compiler/disasm.js'
export type { DisasmLine, DisasmOp, DisasmData, DisasmBad, DisasmOptions, Operand, Dest, ParsedDisasmLine } from '../compiler/disasm.js'
export { interpret, UnauditedBytecodeError } from '../compiler/interpret.js'
export type { InterpretOptions, InterpretResult, Step } from '../compiler/interpret.js'
export { evaluate, isAutobound, DEFAULT_LOCAL_PORT_RANGE } from '../compiler/evaluate.js'
export type { EvaluateEnv } from '../compiler/evaluate.js'
export type { FilterSocket } from '../compiler/socket.js'

// --- Classic BPF target (destroy-event filters for SO_ATTACH_FILTER) --------
export { compileEventFilter } from '../compiler/cbpf/compile.js'
export type { EventFilterProgram, EventFilterOptions, CbpfOp, CbpfResidual } from '../compiler/cbpf/compile.js'
export { lowerEventFilter, DESTROY_MSG } from '../compiler/cbpf/lower.js'
export { assemble as assembleCbpf, encodeOps as encodeCbpf } from '../compiler/cbpf/assemble.js'
export type { CbpfIr, CbpfInsn, CbpfLabel, CbpfTarget } from '../compiler/cbpf/ir.js'
export { decodeProgram as decodeCbpf, formatAsm as formatCbpfAsm, formatDd as formatCbpfDd, formatDdd as formatCbpfDdd, parseAsm as parseCbpfAsm } from '../compiler/cbpf/disasm.js'
export { checkProgram as checkCbpf } from '../compiler/cbpf/check.js'
export type { CheckResult as CbpfCheckResult } from '../compiler/cbpf/check.js'
export { interpret as interpretCbpf, CbpfRuntimeError } from '../compiler/cbpf/interpret.js'
export type { CbpfContext } from '../compiler/cbpf/interpret.js'
export { CBPF_OPCODES, CBPF_OPCODE_BY_CODE, BPF_MAXINSNS, SO_FILTER, sock_filter } from '../uapi/bpf-classic.js'
export type { CbpfOpName, CbpfOpcodeInfo } from '../uapi/bpf-classic.js'

// --- Socket selection (ss's table, family and state options) ----------------
export {
  selectSockets, SelectionError, TABLE, tableBit, familyBit, hasFamily, tableNames,
  SS_STATE, SS_ALL, SS_CONN, SS_LISTENING, STATE_WORDS, STATE_DISPLAY_NAMES, parseStateName,
  QUERY_NAMES, FAMILY_NAMES, parseFamilyName, DEFAULT_TABLES,
} from '../compiler/select.js'
export type { Selection, SocketSelection, SelectInput, SelectOption, TableName, SelectionErrorCode } from '../compiler/select.js'

// --- Kernel ABI as data -------------------------------------------------------
export { AF, IPPROTO, TCP_STATE, SOCK_DIAG, INET_DIAG, INET_DIAG_REQ, INET_DIAG_BC_MAX_LEN } from '../uapi/inet-diag.js'
export { OPCODES, OPCODE_BY_CODE } from '../uapi/inet-diag-bc.js'
export type { OpName, OpcodeInfo, OperandKind } from '../uapi/inet-diag-bc.js'

// --- Emitters for other languages ---------------------------------------------
export { emitPlan, EMIT_FORMATS } from './cli/emit.js'
export type { EmitFormat, EmitOptions } from './cli/emit.js'
export { wireRequest } from '../compiler/plan.js'
export type { WireRequest } from '../compiler/plan.js'

/**
 * What to compile, in the terms of ss's command line but as data:
 * `{ tables: ['tcp'], states: ['established'], filter: 'dport = :443' }` is
 * `ss -t state established dport = :443`.
 */
export interface QuerySpec {
  /**
   * The filter expression in ss's language: one string, or the words of a
   * command line (joined with blanks, as ss does). Absent or empty: no filter.
   * Spans point into this text. State words go in {@link states}, not here.
   */
  readonly filter?: string | readonly string[]
  /**
   * Tables by ss's `-A` names (`tcp`, `udp`, `raw`, `unix`, `packet`,
   * `netlink`, `inet`, `all`, `!udp`, …), applied in order like `-A`.
   * Default: ss's default set (every table but tipc).
   */
  readonly tables?: readonly string[]
  /** Families by ss's `-f` names (`inet`, `inet6`, `unix`, `link`, `netlink`, `vsock`, `tipc`, `xdp`). */
  readonly families?: readonly string[]
  /**
   * States, as the words after ss's `state` (`established`, `listening`,
   * `connected`, `all`, `time-wait`, …), or a raw state bitmask
   * (`1 << TCP_STATE.*`). Default: ss's (connected sockets, plus the
   * listening ones of tables that have no connections).
   */
  readonly states?: readonly string[] | number
  /** `exclude` words (ss's `exclude STATE`), applied after {@link states}. */
  readonly exclude?: readonly string[]
  /** `ss` (default, ss 6.1's flat reading) or `manual` (the man page's: `and` binds tighter). */
  readonly precedence?: Precedence
  /** Where names get values; default {@link offlineResolver} (numbers only). */
  readonly resolver?: Resolver
  /** What the kernel should include in each reply (`-m`, `-i`, `--tos`, `-e`). */
  readonly ext?: ExtOptions
}

/** A compiled query: the plan plus everything needed to run and explain it. */
export interface CompiledQuery {
  /** The requests to send and the user-space residual. */
  readonly plan: QueryPlan
  /** Tables, families (before the filter's side effects), states and preferred family. */
  readonly selection: SocketSelection
  /** Family bitmask after the filter's side effects (`src 10.0.0.1` narrows to AF_INET). */
  readonly families: number
  /** The resolved filter; null when there is none. */
  readonly filter: Filter | null
  /** The parse result (AST with spans, values, family effects); null when there is no filter. */
  readonly parsed: ParseResult | null
  /** Precedence warnings: the filter means something else under the man page's precedence. */
  readonly warnings: readonly PrecedenceWarning[]
  /** The filter text the spans point into ('' when there is no filter). */
  readonly source: string
}

/**
 * A resolver that knows no names: every service, host, device, cgroup and
 * netlink protocol name fails with ss's error for it. Numeric values
 * (`:443`, `10.0.0.0/8`, `fwmark 0x10`) need no resolver.
 */
export function offlineResolver(): Resolver {
  return {
    service: () => undefined,
    hosts: () => [],
    ifindex: () => undefined,
    cgroupId: () => ({ failure: 'cgroup paths cannot be resolved without the system resolver' }),
    netlinkProto: () => undefined,
  }
}

/**
 * Compile a query the way ss would before talking to the kernel: select
 * tables, families and states, parse and resolve the filter, build the
 * plan. Pure apart from the resolver; the same spec gives the same bytes.
 *
 * When the selection is empty (ss prints "no socket tables to show…"), the
 * plan has no requests and one note saying why.
 *
 * @throws SelectionError for an unknown table, family or state name
 * @throws FilterSyntaxError when the filter does not follow the grammar
 * @throws FilterError for a value that cannot be parsed or resolved
 */
export async function compileQuery(spec: QuerySpec = {}): Promise<CompiledQuery> {
  const options: SelectOption[] = []
  if (spec.tables !== undefined) options.push({ name: 'query', arg: spec.tables.join(',') })
  for (const f of spec.families ?? []) options.push({ name: 'family', arg: f })
  const stateWords: string[] = []
  if (Array.isArray(spec.states)) for (const s of spec.states) stateWords.push('state', s)
  for (const s of spec.exclude ?? []) stateWords.push('exclude', s)
  const base = selectSockets({ options, words: stateWords })
  const selection: SocketSelection = typeof spec.states === 'number'
    ? { ...base, states: spec.states, empty: base.empty ?? (spec.states === 0 ? 'states' : null) }
    : base
  const words = spec.filter === undefined ? [] : typeof spec.filter === 'string' ? [spec.filter] : [...spec.filter]
  const hasFilter = words.some((w) => w.trim() !== '')

  if (selection.empty) {
    const plan: QueryPlan = { requests: [], residual: null, kernel: null, notes: [{ message: EMPTY_SELECTION_MESSAGE[selection.empty] }] }
    return { plan, selection, families: selection.families, filter: null, parsed: null, warnings: [], source: '' }
  }
  const ctx = { tables: { tcp: (selection.tables & tableBit('tcp')) !== 0, udp: (selection.tables & tableBit('udp')) !== 0 } }
  const resolver = spec.resolver ?? offlineResolver()
  let parsed: ParseResult | null = null
  try {
    parsed = hasFilter ? parseFilter({ words }, { preferredFamily: selection.preferredFamily, precedence: spec.precedence ?? 'ss' }) : null
  } catch (e) {
    // As ss (and the CLI): a name that does not resolve before the syntax error is the error.
    if (e instanceof FilterSyntaxError) throw (await firstValueError(e, resolver, ctx)) ?? e
    throw e
  }
  const filter = parsed?.expr ? await resolveFilter(parsed.expr, resolver, ctx) : null
  const plan = compilePlan(filter, {
    selection,
    forcedFamily: parsed?.forcedFamily ?? null,
    preferredFamily: parsed?.preferredFamily ?? selection.preferredFamily,
    ...(spec.ext ? { ext: spec.ext } : {}),
  })
  const forced = parsed?.forcedFamily
  return {
    plan,
    selection,
    families: forced != null ? 1 << forced : selection.families,
    filter,
    parsed,
    warnings: parsed?.warnings ?? [],
    source: parsed?.source.text ?? '',
  }
}
