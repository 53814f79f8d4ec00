/**
 * ss's command line, parsed the way ss 6.1 parses it: glibc `getopt_long`
 * with the short string `dhaletuwxnro460spTbEf:mMiA:D:F:vVzZN:KHSO` and ss's
 * long-option table, in GNU mode (options may follow filter words; `--` ends
 * the options; `POSIXLY_CORRECT` stops at the first word; a word starting
 * with `-` is always an option).
 *
 * ss acts on each option as getopt returns it, so errors come in command-line
 * order and `-h`/`-V` stop everything after them. The parser does the same
 * and records every option in order; the caller replays the ones with side
 * effects (`-N`, `-F`, `-Z`) in that order.
 *
 * ssx additions, all absent from 6.1: `-B`/`--bound-inactive` (upstream 6.8),
 * `-Q`/`--no-queues` (upstream 6.9) and the long options `--json`,
 * `--ndjson`, `--precedence=`, `--format=`, `--dry-run`, `--verbose`,
 * `--target=`. So that every command line 6.1 accepts keeps its meaning, a
 * long-option prefix is matched against 6.1's options first and against the
 * additions only when no 6.1 option starts with it (`--b` is still `--bpf`,
 * `--no` still `--no-header`, `--ve` still `--version`).
 *
 * Pure: no I/O, no access to `process`.
 */
import { parseFamilyName, parseQueryList, SelectionError } from '../../compiler/select.js'
import { USAGE } from './usage.js'

/** One option of the table: its canonical name (the long name), short letter and whether it takes an argument. */
interface OptionSpec {
  readonly name: OptionName
  /** The long spelling (`socket` and `query` are both `-A`). */
  readonly long: string
  readonly short?: string
  readonly hasArg: boolean
  /** Whether ss 6.1 has it (6.1 options win prefix matches, see the file comment). */
  readonly ss61: boolean
}

/** Canonical option names: the long name, `query` for `-A`/`--socket`, `version` for `-v`. */
export type OptionName =
  | 'numeric' | 'resolve' | 'options' | 'extended' | 'memory' | 'info' | 'processes' | 'threads'
  | 'bpf' | 'events' | 'dccp' | 'tcp' | 'sctp' | 'udp' | 'raw' | 'unix' | 'tipc' | 'vsock'
  | 'all' | 'listening' | 'ipv4' | 'ipv6' | 'packet' | 'family' | 'query' | 'summary' | 'diag'
  | 'filter' | 'version' | 'help' | 'context' | 'contexts' | 'net' | 'tipcinfo' | 'tos' | 'cgroup'
  | 'kill' | 'no-header' | 'xdp' | 'mptcp' | 'oneline' | 'inet-sockopt'
  | 'bound-inactive' | 'no-queues'
  | 'json' | 'ndjson' | 'precedence' | 'format' | 'dry-run' | 'verbose' | 'target'

/** An option of ss 6.1. */
const ss61 = (name: OptionName, short?: string, hasArg = false, long: string = name): OptionSpec =>
  short === undefined ? { name, long, hasArg, ss61: true } : { name, long, short, hasArg, ss61: true }

/** An ssx addition (see the file comment). */
const ssx = (name: OptionName, short?: string, hasArg = false): OptionSpec =>
  short === undefined ? { name, long: name, hasArg, ss61: false } : { name, long: name, short, hasArg, ss61: false }

/**
 * The long options in ss 6.1's table order (it decides the order of glibc's
 * "possibilities:" list: see `ss --=x`), then the additions.
 */
const LONG_OPTIONS: readonly OptionSpec[] = [
  ss61('numeric', 'n'), ss61('resolve', 'r'), ss61('options', 'o'), ss61('extended', 'e'),
  ss61('memory', 'm'), ss61('info', 'i'), ss61('processes', 'p'), ss61('threads', 'T'),
  ss61('bpf', 'b'), ss61('events', 'E'), ss61('dccp', 'd'), ss61('tcp', 't'), ss61('sctp', 'S'),
  ss61('udp', 'u'), ss61('raw', 'w'), ss61('unix', 'x'), ss61('tipc'), ss61('vsock'),
  ss61('all', 'a'), ss61('listening', 'l'), ss61('ipv4', '4'), ss61('ipv6', '6'), ss61('packet', '0'),
  ss61('family', 'f', true), ss61('query', undefined, true, 'socket'), ss61('query', 'A', true),
  ss61('summary', 's'), ss61('diag', 'D', true), ss61('filter', 'F', true), ss61('version', 'V'),
  ss61('help', 'h'), ss61('context', 'Z'), ss61('contexts', 'z'), ss61('net', 'N', true),
  ss61('tipcinfo'), ss61('tos'), ss61('cgroup'), ss61('kill', 'K'),
  ss61('no-header', 'H'), ss61('xdp'), ss61('mptcp', 'M'), ss61('oneline', 'O'),
  ss61('inet-sockopt'),
  ssx('bound-inactive', 'B'), ssx('no-queues', 'Q'), ssx('json'), ssx('ndjson'),
  ssx('precedence', undefined, true), ssx('format', undefined, true), ssx('dry-run'),
  ssx('verbose'), ssx('target', undefined, true),
]

const SHORT_OPTIONS: ReadonlyMap<string, OptionSpec> = new Map([
  ...LONG_OPTIONS.filter((o) => o.short !== undefined).map((o) => [o.short!, o] as const),
  // `-v` is a second short letter of --version.
  ['v', ss61('version', 'v')] as const,
])

/**
 * The short-option string of ss 6.1 plus ssx's `B` and `Q`, in getopt's
 * notation (for documentation and tests; the parser reads the table).
 */
export const SHORT_OPTION_STRING = 'dhaletuwxnro460spTbEf:mMiA:D:F:vVzZN:KHSOBQ'

/** One option as given, in command-line order. */
export interface ParsedOption {
  /** Canonical name (`tcp` for `-t` and `--tcp`, `query` for `-A`, `--socket`, `--query`). */
  readonly name: OptionName
  /** The argument of `-f -A -D -F -N` and of ssx's `--precedence --format --target`. */
  readonly arg?: string
  /** As written: `-t` (also inside `-tan`), `--tcp`, `--tc`. */
  readonly spelling: string
}

/** The options without argument, summarised (counts where ss counts). */
export interface ParsedFlags {
  /** `-n` */
  readonly numeric: boolean
  /** `-r` */
  readonly resolve: boolean
  /** `-o`, also implied by `-e` and `-b` (ss's `show_options`). */
  readonly showOptions: boolean
  /** Number of `-e` (ss's `show_details`). */
  readonly extended: number
  /** `-m` */
  readonly memory: boolean
  /** `-i` */
  readonly info: boolean
  /** Number of `-p` (ss's `show_users`). */
  readonly processes: number
  /** Number of `-T` (ss's `show_threads`). */
  readonly threads: number
  /** Number of `-b` (ss's `show_bpf`). */
  readonly bpf: number
  /** `-E` */
  readonly events: boolean
  /** `-s` */
  readonly summary: boolean
  /** `--tipcinfo` */
  readonly tipcinfo: boolean
  /** `--tos` */
  readonly tos: boolean
  /** `--cgroup` */
  readonly cgroup: boolean
  /** `--inet-sockopt` */
  readonly inetSockopt: boolean
  /** Number of `-Z` and `-z` (ss's `show_proc_ctx`: `-z` implies `-Z`). */
  readonly context: number
  /** Number of `-z` (ss's `show_sock_ctx`). */
  readonly contexts: number
  /** `-K` */
  readonly kill: boolean
  /** `-H` */
  readonly noHeader: boolean
  /** `-Q` (ssx addition, upstream 6.9). */
  readonly noQueues: boolean
  /** `-O` */
  readonly oneline: boolean
  /** Last `-N NAME` (each one switches namespace in turn; replay {@link ParsedArgs.options} to mimic failures). */
  readonly netns: string | null
  /** Last `-D FILE`. */
  readonly diagFile: string | null
  /** `-F FILE` (at most one: a second one is a {@link UsageError}). */
  readonly filterFile: string | null
  /** `--json` (ssx). */
  readonly json: boolean
  /** `--ndjson` (ssx). */
  readonly ndjson: boolean
  /** Last `--precedence=` value as given (ssx; expected `ss` or `manual`, not checked here). */
  readonly precedence: string | null
  /** Last `--format=` value as given (ssx). */
  readonly format: string | null
  /** `--dry-run` (ssx). */
  readonly dryRun: boolean
  /** Number of `--verbose` (ssx). */
  readonly verbose: number
  /** Last `--target=` value as given (ssx). */
  readonly target: string | null
}

/** The parsed command line. */
export interface ParsedArgs {
  /**
   * `help`: print {@link USAGE} to stdout, exit 0 (`-h`, `--help`, `-f help`).
   * `version`: print the version line, exit 0 (`-V`, `-v`, `--version`).
   * Both stop parsing where they occur, like ss, so later errors are not seen.
   */
  readonly action: 'run' | 'help' | 'version'
  /** Every option in command-line order (up to the help/version option, included). */
  readonly options: readonly ParsedOption[]
  /** The non-option words in order (state words and filter). */
  readonly words: readonly string[]
  /** Summary of {@link options}. */
  readonly flags: ParsedFlags
}

/** Environment variables the parser honours. */
export interface ArgvEnv {
  /** When set (even empty), option parsing stops at the first non-option word. */
  readonly POSIXLY_CORRECT?: string | undefined
}

/** Codes of {@link UsageError}. */
export type UsageErrorCode =
  /** glibc: `invalid option -- 'q'` */
  | 'E_INVALID_OPTION'
  /** glibc: `unrecognized option '--bogus'` */
  | 'E_UNRECOGNIZED_OPTION'
  /** glibc: `option '--t' is ambiguous; possibilities: '--threads' …` */
  | 'E_AMBIGUOUS_OPTION'
  /** glibc: `option requires an argument -- 'f'` / `option '--family' requires an argument` */
  | 'E_MISSING_ARGUMENT'
  /** glibc: `option '--numeric' doesn't allow an argument` */
  | 'E_UNEXPECTED_ARGUMENT'
  /** ss: `"foo" is invalid family` */
  | 'E_FAMILY'
  /** ss: `"foo" is illegal socket table id` */
  | 'E_QUERY'
  /** ss: `More than one filter file` (no prefix, no usage) */
  | 'E_FILTER_FILES'

/**
 * The command line is not valid. `message` is the exact text ss prints,
 * without its prefix; {@link formatUsageError} renders the whole stderr
 * output. ss exits 255 on every one of them.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** ss's exit status (`exit(-1)`). */
  readonly exitCode = 255
  /**
   * What precedes the message: `argv0` for glibc's messages (`ss: ` when run
   * as `ss`, the program path otherwise), `ss` for ss's own `ss: `, `none`.
   */
  readonly prefix: 'argv0' | 'ss' | 'none'
  /** Whether the usage text follows on stderr. */
  readonly usage: boolean
  constructor(
    readonly code: UsageErrorCode,
    message: string,
    /** Index in argv of the word holding the error. */
    readonly index: number,
    /**
     * The options ss acted on before the error, in order: the caller replays
     * those with side effects first (a failing `-N`, `-F` or `-Z` wins over a
     * later usage error, as in ss).
     */
    readonly before: readonly ParsedOption[],
  ) {
    super(message)
    const glibc = code === 'E_INVALID_OPTION' || code === 'E_UNRECOGNIZED_OPTION' || code === 'E_AMBIGUOUS_OPTION'
      || code === 'E_MISSING_ARGUMENT' || code === 'E_UNEXPECTED_ARGUMENT'
    this.prefix = glibc ? 'argv0' : code === 'E_FILTER_FILES' ? 'none' : 'ss'
    this.usage = code !== 'E_FILTER_FILES'
  }
}

/** Exactly what ss writes to stderr for `err` (message line, then the usage text when ss prints it). */
export function formatUsageError(err: UsageError, argv0 = 'ss'): string {
  const prefix = err.prefix === 'argv0' ? `${argv0}: ` : err.prefix === 'ss' ? 'ss: ' : ''
  return `${prefix}${err.message}\n${err.usage ? USAGE : ''}`
}

/** The outcome of matching `--name`: an option, an ambiguity (with glibc's list) or nothing. */
type LongMatch =
  | { readonly kind: 'found'; readonly spec: OptionSpec }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly OptionSpec[] }
  | { readonly kind: 'none' }

/**
 * glibc's lookup: an exact name wins; else the prefix matches, where a match
 * that is the same option as the first one (same value and argument kind,
 * like `--socket`/`--query`) does not make it ambiguous. The list of an
 * ambiguity holds the first match and every match that differs from it.
 */
function matchLong(name: string): LongMatch {
  const exact = LONG_OPTIONS.find((o) => o.long === name)
  if (exact !== undefined) return { kind: 'found', spec: exact }
  for (const tier of [true, false]) {
    const matches = LONG_OPTIONS.filter((o) => o.ss61 === tier && o.long.startsWith(name))
    const first = matches[0]
    if (first === undefined) continue
    const differing = matches.filter((o) => o.name !== first.name || o.hasArg !== first.hasArg)
    if (differing.length === 0) return { kind: 'found', spec: first }
    return { kind: 'ambiguous', candidates: [first, ...differing] }
  }
  return { kind: 'none' }
}

/**
 * Parse ss's argv (without the program name).
 *
 * @throws UsageError on the first invalid option in command-line order;
 *   nothing else is ever thrown.
 */
export function parseArgv(argv: readonly string[], env: ArgvEnv = {}): ParsedArgs {
  const options: ParsedOption[] = []
  const words: string[] = []
  const posix = env.POSIXLY_CORRECT !== undefined
  let filterFiles = 0

  function fail(code: UsageErrorCode, message: string, index: number): never {
    throw new UsageError(code, message, index, options.slice())
  }
  /** Act on one option like ss's getopt loop; returns the action when it ends parsing. */
  const take = (spec: OptionSpec, spelling: string, arg: string | undefined, index: number): 'help' | 'version' | null => {
    const o: ParsedOption = arg === undefined ? { name: spec.name, spelling } : { name: spec.name, arg, spelling }
    if (spec.name === 'family' && arg !== 'help' && parseFamilyName(arg ?? '') === undefined) {
      fail('E_FAMILY', `"${arg ?? ''}" is invalid family`, index)
    }
    if (spec.name === 'query') {
      try {
        parseQueryList(arg ?? '')
      } catch (e) {
        if (e instanceof SelectionError) fail('E_QUERY', e.message, index)
        throw e
      }
    }
    if (spec.name === 'filter' && ++filterFiles > 1) fail('E_FILTER_FILES', 'More than one filter file', index)
    options.push(o)
    if (spec.name === 'help' || (spec.name === 'family' && arg === 'help')) return 'help'
    if (spec.name === 'version') return 'version'
    return null
  }
  const done = (action: ParsedArgs['action']): ParsedArgs => ({ action, options, words, flags: flagsOf(options) })

  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!
    if (word === '--') {
      words.push(...argv.slice(i + 1))
      break
    }
    if (!word.startsWith('-') || word === '-') {
      if (posix) {
        words.push(...argv.slice(i))
        break
      }
      words.push(word)
      continue
    }
    if (word.startsWith('--')) {
      const body = word.slice(2)
      const eq = body.indexOf('=')
      const name = eq === -1 ? body : body.slice(0, eq)
      const match = matchLong(name)
      if (match.kind === 'none') fail('E_UNRECOGNIZED_OPTION', `unrecognized option '${word}'`, i)
      if (match.kind === 'ambiguous') {
        const list = match.candidates.map((o) => ` '--${o.long}'`).join('')
        fail('E_AMBIGUOUS_OPTION', `option '${word}' is ambiguous; possibilities:${list}`, i)
      }
      const spec = match.spec
      let arg: string | undefined
      if (eq !== -1) {
        if (!spec.hasArg) fail('E_UNEXPECTED_ARGUMENT', `option '--${spec.long}' doesn't allow an argument`, i)
        arg = body.slice(eq + 1)
      } else if (spec.hasArg) {
        if (i + 1 >= argv.length) fail('E_MISSING_ARGUMENT', `option '--${spec.long}' requires an argument`, i)
        arg = argv[++i]!
      }
      const action = take(spec, `--${name}`, arg, i)
      if (action !== null) return done(action)
      continue
    }
    // A cluster of short options: `-tanp`, `-finet`, `-f inet`.
    const chars = Array.from(word.slice(1))
    for (let j = 0; j < chars.length; j++) {
      const c = chars[j]!
      const spec = SHORT_OPTIONS.get(c)
      if (spec === undefined) fail('E_INVALID_OPTION', `invalid option -- '${c}'`, i)
      let arg: string | undefined
      const at = i
      if (spec.hasArg) {
        if (j + 1 < chars.length) {
          arg = chars.slice(j + 1).join('')
        } else {
          if (i + 1 >= argv.length) fail('E_MISSING_ARGUMENT', `option requires an argument -- '${c}'`, i)
          arg = argv[++i]!
        }
        j = chars.length
      }
      const action = take(spec, `-${c}`, arg, at)
      if (action !== null) return done(action)
    }
  }
  return done('run')
}

/** Summarise options into {@link ParsedFlags}. */
export function flagsOf(options: readonly ParsedOption[]): ParsedFlags {
  const count = (...names: OptionName[]): number => options.filter((o) => names.includes(o.name)).length
  const last = (name: OptionName): string | null => {
    for (let i = options.length - 1; i >= 0; i--) if (options[i]!.name === name) return options[i]!.arg ?? null
    return null
  }
  return {
    numeric: count('numeric') > 0,
    resolve: count('resolve') > 0,
    showOptions: count('options', 'extended', 'bpf') > 0,
    extended: count('extended'),
    memory: count('memory') > 0,
    info: count('info') > 0,
    processes: count('processes'),
    threads: count('threads'),
    bpf: count('bpf'),
    events: count('events') > 0,
    summary: count('summary') > 0,
    tipcinfo: count('tipcinfo') > 0,
    tos: count('tos') > 0,
    cgroup: count('cgroup') > 0,
    inetSockopt: count('inet-sockopt') > 0,
    context: count('context', 'contexts'),
    contexts: count('contexts'),
    kill: count('kill') > 0,
    noHeader: count('no-header') > 0,
    noQueues: count('no-queues') > 0,
    oneline: count('oneline') > 0,
    netns: last('net'),
    diagFile: last('diag'),
    filterFile: last('filter'),
    json: count('json') > 0,
    ndjson: count('ndjson') > 0,
    precedence: last('precedence'),
    format: last('format'),
    dryRun: count('dry-run') > 0,
    verbose: count('verbose'),
    target: last('target'),
  }
}
