/**
 * The filter language front end: `parseFilter` turns argv words and an
 * optional `-F` file into a typed AST the way ss 6.1 reads them (values
 * parsed in token order, family side effects, ss's error order), with a
 * warning where ss's flat precedence differs from the man page's.
 */
import type { Expr, Span } from './ast.js'
import { FilterError, FilterSyntaxError } from './errors.js'
import { lex, type Token, type ValueToken } from './lexer.js'
import { parseTokens, type Precedence } from './parser.js'
import { printParenthesized } from './print.js'
import { buildSource, type FilterSource } from './source.js'

export type { Precedence } from './parser.js'
export type { FilterSource, SourcePiece, FilterFileLine } from './source.js'
export type { Token, ValueToken } from './lexer.js'
export type { ValueKind, ParsedValue, MarkValue } from './values.js'
export { splitFilterFile } from './source.js'
export { printExpr, printParenthesized, toSExpr } from './print.js'
export { AF } from './values.js'

/** The filter input: non-option argv words (after `state`/`exclude`), and the `-F` file's text. */
export interface FilterInput {
  readonly words: readonly string[]
  readonly file?: string
}

/** Parse options. */
export interface ParseOptions {
  /** ss's `preferred_family` before the filter: 0 AF_UNSPEC, 1 unix, 2 inet, 10 inet6, 16 netlink, 17 packet, 40 vsock, … */
  readonly preferredFamily: number
  /** `ss` (default): ss 6.1's flat left-to-right reading; `manual`: not > and > or. */
  readonly precedence?: Precedence
}

/** A filter whose meaning depends on the precedence mode (ss mode only). */
export interface PrecedenceWarning {
  readonly code: 'W_PRECEDENCE'
  readonly message: string
  readonly span: Span
  /** How ss 6.1 reads it (and ssx by default), fully parenthesised. */
  readonly ssReading: string
  /** How the man page says it reads, fully parenthesised. */
  readonly manualReading: string
}

/** What `parseFilter` returns. */
export interface ParseResult {
  readonly source: FilterSource
  /** null: empty filter (no bytecode, no user-space filtering). */
  readonly expr: Expr | null
  /** §4.7: the family set is narrowed to exactly this family; null if no value carried a family. */
  readonly forcedFamily: number | null
  /** ss's `preferred_family` after the values' side effects. */
  readonly preferredFamily: number
  readonly warnings: readonly PrecedenceWarning[]
  /** Every value token in order, as ss's lexer parsed it (names to resolve in this order). */
  readonly values: readonly ValueToken[]
}

function attach<E extends FilterError | FilterSyntaxError>(e: E, source: FilterSource): E {
  e.source = source
  return e
}

/**
 * Parse a filter as ss 6.1 does.
 * @throws FilterError for a value ss cannot parse (ss exits 1), reported
 *   before a syntax error when ss would have lexed the value first
 * @throws FilterSyntaxError for a grammar error or a bad `-F` line (ss exits 255;
 *   like ss, a bad line is reported only if nothing failed before the lexer got there);
 *   `lexed` lists the values read before it
 */
export function parseFilter(input: FilterInput, options: ParseOptions): ParseResult {
  const mode = options.precedence ?? 'ss'
  const source = buildSource(input.words, input.file)
  let lexed = lex(source, options.preferredFamily)
  const tooDeep = nestingError(lexed.tokens)
  if (tooDeep) throw attach(tooDeep, source)
  let parsed = parseTokens(lexed.tokens, lexed.values, mode, source.text.length)
  if (lexed.unglued && (lexed.valueError || parsed.failure)) {
    // Splitting glued parentheses did not help: report what ss itself says.
    lexed = lex(source, options.preferredFamily, { unglue: false })
    parsed = parseTokens(lexed.tokens, lexed.values, mode, source.text.length)
  }
  if (lexed.valueError && (!parsed.failure || parsed.failure.tokenIndex >= lexed.valueError.tokenIndex)) {
    throw attach(lexed.valueError.error, source)
  }
  if (parsed.failure) {
    const e = attach(parsed.failure.error, source)
    const at = parsed.failure.tokenIndex
    e.lexed = { values: lexed.values.filter((v) => v.tokenIndex <= at), tokenIndex: at }
    throw e
  }
  const warnings: PrecedenceWarning[] = []
  const expr = parsed.expr
  if (expr && mode === 'ss' && mixesAndOr(lexed.tokens)) {
    const manual = parseTokens(lexed.tokens, lexed.values, 'manual', source.text.length)
    if (manual.expr) {
      const ssReading = printParenthesized(expr)
      const manualReading = printParenthesized(manual.expr)
      if (ssReading !== manualReading) {
        warnings.push({
          code: 'W_PRECEDENCE',
          message: `"and" and "or" are mixed without parentheses: ss reads ${ssReading}, while its man page says ${manualReading}; add parentheses (or use --precedence=manual)`,
          span: expr.span,
          ssReading,
          manualReading,
        })
      }
    }
  }
  return { source, expr, forcedFamily: lexed.forcedFamily, preferredFamily: lexed.preferredFamily, warnings, values: lexed.values }
}

/**
 * How deep parentheses and `not`s may nest. Every pass over the AST recurses
 * into nested nodes (long `and`/`or` chains are walked in loops, so their
 * length is not limited): this bound keeps them all well inside the stack.
 * ss's bison parser gives up near 10,000 levels; no real filter comes close
 * to either.
 */
export const MAX_NESTING = 256

/** The error for the first token nested deeper than {@link MAX_NESTING}, if any. */
function nestingError(tokens: readonly Token[]): FilterSyntaxError | undefined {
  let depth = 0 // enclosing parentheses, and the `not`s in front of them
  let nots = 0 // `not`s waiting for their operand
  const outer: number[] = [] // depth to return to at each `)`
  for (const t of tokens) {
    if (t.kind === 'not') nots++
    else if (t.kind === 'lparen') {
      outer.push(depth)
      depth += nots + 1
      nots = 0
    } else {
      if (t.kind === 'rparen') depth = outer.pop() ?? 0
      nots = 0
    }
    if (depth + nots > MAX_NESTING) {
      return new FilterSyntaxError('E_NESTING', `parentheses and "not" nest more than ${MAX_NESTING} levels deep here`, t.span,
        ['ssx limits nesting so that no pass over the filter can run out of stack; ss 6.1 stops near 10,000 levels'])
    }
  }
  return undefined
}

/** Could the two modes differ? Only with an `or` and some AND (explicit or juxtaposed). */
function mixesAndOr(tokens: readonly { kind: string }[]): boolean {
  return tokens.some((t) => t.kind === 'or') && tokens.length > 3
}
