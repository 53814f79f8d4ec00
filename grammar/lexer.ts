/**
 * ss's lexer: split the source into tokens, recognise keywords, and parse
 * every value token immediately with the kind of the most recent predicate
 * keyword, applying the family side effect (§4.7) in token order. Value
 * errors are recorded, not thrown: ss reports one only if it lexed that
 * token before the parser noticed a syntax error, which the caller decides.
 * No chevrotain here.
 */
import type { Span } from './ast.js'
import { FilterError, type FilterSyntaxError } from './errors.js'
import type { FilterSource } from './source.js'
import { keywordKind, splitPiece, type RawToken, type TokenKind } from './tokens.js'
import { AF, parseHost, parseMark, type ParsedValue, type ValueKind } from './values.js'
import { isMetricName, parseMetricValue, type MetricName } from './metrics.js'

/** A token of the filter. */
export interface Token {
  readonly kind: TokenKind
  /** Text after unescaping. */
  readonly text: string
  readonly span: Span
  /** Position in the token list. */
  readonly index: number
}

/** A value token as ss's lexer parsed it (in token order). */
export interface ValueToken {
  /** Index of the token in the token list. */
  readonly tokenIndex: number
  /** Which parser it went to (the kind of the last predicate keyword before it). */
  readonly kind: ValueKind
  readonly text: string
  readonly span: Span
  readonly value: ParsedValue
}

/** The lexer's result. */
export interface LexResult {
  /** Tokens up to and including the first value that failed to parse (ss stops there). */
  readonly tokens: readonly Token[]
  /** Successfully parsed values, in order. */
  readonly values: readonly ValueToken[]
  /**
   * The first value error, if any, with its token index (the last token);
   * or a bad `-F` line, at the index of the token ss would have read next.
   */
  readonly valueError: { readonly tokenIndex: number; readonly error: FilterError | FilterSyntaxError } | null
  /** Preferred family after the values' side effects. */
  readonly preferredFamily: number
  /** The family the set was narrowed to by the last value with a known family, or null. */
  readonly forcedFamily: number | null
  /** Some word was split at glued parentheses (ssx's extension). */
  readonly unglued: boolean
}

const PREDICATE_KIND: Partial<Record<TokenKind, ValueKind>> = {
  dst: 'host', src: 'host', autobound: 'host', dport: 'port', sport: 'port', dev: 'dev', fwmark: 'fwmark', cgroup: 'cgroup',
}

/**
 * Token kinds after which a metric word starts a predicate: where ss's
 * grammar expects an expression or an operator between expressions, ss can
 * only fail on a bare word (its lexer takes it for a host name and, e.g.,
 * `ss -tan rtt` exits with `an inet prefix is expected rather than "rtt"`),
 * so giving it a meaning there changes nothing ss accepts. After `src`,
 * `dport >`, `dev`, … the word stays a value (`src rtt` is a host name).
 */
const METRIC_AFTER: ReadonlySet<TokenKind | undefined> = new Set<TokenKind | undefined>([undefined, 'not', 'and', 'or', 'lparen', 'rparen', 'value', 'autobound'])

/**
 * Parse one value for `kind` with the preferred family; returns the value and the family it forces (0 = none).
 * @param metric the metric word the value belongs to (kind `metric` only)
 */
export function parseValue(kind: ValueKind, text: string, span: Span, preferredFamily: number, metric?: MetricName): { value: ParsedValue; family: number } {
  switch (kind) {
    case 'metric': {
      // The lexer always passes the word; 'rtt' keeps the type total.
      const field = metric ?? 'rtt'
      return { value: { kind: 'metric', field, metric: parseMetricValue(field, text, span) }, family: 0 }
    }
    case 'dev': return { value: { kind: 'dev', device: text }, family: 0 }
    case 'cgroup': return { value: { kind: 'cgroup', path: text }, family: 0 }
    case 'fwmark': return { value: { kind: 'fwmark', mark: parseMark(text, span) }, family: 0 }
    case 'host':
    case 'port': {
      const r = parseHost(text, kind === 'port', preferredFamily, span)
      return { value: { kind, host: r.host }, family: r.family }
    }
  }
}

const GLUE_CHARS = /[()!]/

/** Does a parsed value rely on a name that contains grouping characters (so no lookup could find it)? */
function namesGlue(v: ParsedValue): boolean {
  if (v.kind !== 'host' && v.kind !== 'port') return false
  const h = v.host
  if (h.family !== 'inet') return false
  return (h.addr?.kind === 'name' && GLUE_CHARS.test(h.addr.name)) || (h.port.kind === 'service' && GLUE_CHARS.test(h.port.name))
}

/**
 * ssx accepts parentheses and `!` glued to a word (`(sport`, `:22)`) where
 * ss would fail on the word as a value; everything ss accepts keeps its
 * meaning. Returns the pieces to use instead of `raw`, or null.
 */
function unglue(raw: RawToken, kind: ValueKind, preferredFamily: number, metric: MetricName | undefined): RawToken[] | null {
  // Device names and cgroup paths may really contain these characters.
  if (kind === 'dev' || kind === 'cgroup') return null
  const { text, escaped } = raw
  let lead = 0
  while (lead < text.length && (text[lead] === '(' || text[lead] === '!') && !escaped[lead]) lead++
  let trail = 0
  while (trail < text.length - lead && text[text.length - 1 - trail] === ')' && !escaped[text.length - 1 - trail]) trail++
  if (lead === 0 && trail === 0) return null
  try {
    const whole = parseValue(kind, text, raw.span, preferredFamily, metric)
    if (!namesGlue(whole.value)) return null
  } catch (e) {
    if (!(e instanceof FilterError)) throw e
  }
  const pieces: RawToken[] = []
  const { start, end } = raw.span
  for (let i = 0; i < lead; i++) pieces.push({ text: text[i]!, escaped: [false], span: { start: start + i, end: start + i + 1 } })
  const coreEnd = text.length - trail
  if (coreEnd > lead) pieces.push({ text: text.slice(lead, coreEnd), escaped: escaped.slice(lead, coreEnd), span: { start: start + lead, end: end - trail } })
  for (let i = trail - 1; i >= 0; i--) pieces.push({ text: ')', escaped: [false], span: { start: end - i - 1, end: end - i } })
  return pieces
}

/**
 * Lex the whole source as ss's `yylex` would, value by value.
 * @param preferredFamily ss's `preferred_family` before the filter (AF_UNSPEC 0, …)
 * @param options.unglue split glued parentheses where ss would fail (default true); off = exactly ss's tokens
 */
export function lex(source: FilterSource, preferredFamily: number, options: { unglue?: boolean } = {}): LexResult {
  const allowUnglue = options.unglue ?? true
  let unglued = false
  const tokens: Token[] = []
  const values: ValueToken[] = []
  let kind: ValueKind = 'host'
  let metric: MetricName | undefined
  let family = preferredFamily
  let forced: number | null = null
  let valueError: LexResult['valueError'] = null

  const queue: RawToken[] = []
  for (const piece of source.pieces) queue.push(...splitPiece(piece.text, piece.offset))

  for (let q = 0; q < queue.length && valueError === null; q++) {
    const raw = queue[q]!
    const tk = keywordKind(raw.text)
    if (tk === 'value' && isMetricName(raw.text) && METRIC_AFTER.has(tokens[tokens.length - 1]?.kind)) {
      kind = 'metric'
      metric = raw.text
      tokens.push({ kind: 'metric', text: raw.text, span: raw.span, index: tokens.length })
      continue
    }
    if (tk !== 'value') {
      const k = PREDICATE_KIND[tk]
      if (k) kind = k
      tokens.push({ kind: tk, text: raw.text, span: raw.span, index: tokens.length })
      continue
    }
    const pieces = allowUnglue ? unglue(raw, kind, family, metric) : null
    if (pieces) {
      unglued = true
      queue.splice(q, 1, ...pieces)
      q--
      continue
    }
    const index = tokens.length
    tokens.push({ kind: 'value', text: raw.text, span: raw.span, index })
    try {
      const r = parseValue(kind, raw.text, raw.span, family, metric)
      values.push({ tokenIndex: index, kind, text: raw.text, span: raw.span, value: r.value })
      if (r.family !== AF.UNSPEC) {
        family = r.family
        forced = r.family
      }
    } catch (e) {
      if (!(e instanceof FilterError)) throw e
      valueError = { tokenIndex: index, error: e }
    }
  }
  if (valueError === null && source.fileError) valueError = { tokenIndex: tokens.length, error: source.fileError }
  return { tokens, values, valueError, preferredFamily: family, forcedFamily: forced, unglued }
}
