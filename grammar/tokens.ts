/**
 * ss's token rules: the keyword table (§3.3) and the splitting of a word or
 * file line into raw tokens. No chevrotain here: the CLI and the value
 * parser use this without paying for the parser's import.
 */
import type { CmpOp, Span } from './ast.js'

/**
 * What a token is. Every non-keyword token is a `value`, except a metric
 * word (`rtt`, `uid`, …) where a predicate may start: the lexer makes that
 * a `metric` (ssx's extension; ss's keywords never change meaning).
 */
export type TokenKind =
  | 'not' | 'and' | 'or' | 'lparen' | 'rparen'
  | 'dst' | 'src' | 'dport' | 'sport' | 'dev' | 'fwmark' | 'cgroup' | 'autobound'
  | CmpOp
  | 'metric'
  | 'value'

/**
 * ss's keyword table, matched case-sensitively after unescaping
 * (`misc/ssfilter.y`, `ssfilter_lex`).
 */
export const KEYWORDS: Readonly<Record<string, Exclude<TokenKind, 'value' | 'metric'>>> = Object.freeze({
  '!': 'not', not: 'not',
  '&': 'and', '&&': 'and', and: 'and',
  '|': 'or', '||': 'or', or: 'or',
  '(': 'lparen', ')': 'rparen',
  dst: 'dst', src: 'src', dport: 'dport', sport: 'sport',
  dev: 'dev', fwmark: 'fwmark', cgroup: 'cgroup', autobound: 'autobound',
  '=': 'eq', '==': 'eq', eq: 'eq',
  '!=': 'ne', ne: 'ne', neq: 'ne',
  '>=': 'ge', ge: 'ge', geq: 'ge',
  '<=': 'le', le: 'le', leq: 'le',
  '>': 'gt', gt: 'gt',
  '<': 'lt', lt: 'lt',
})

/** The keyword kind of an (unescaped) token text, or `value`. */
export function keywordKind(text: string): TokenKind {
  return Object.hasOwn(KEYWORDS, text) ? KEYWORDS[text]! : 'value'
}

/** A token as split from the input, before keyword lookup. */
export interface RawToken {
  /** The text with escapes removed. */
  readonly text: string
  /** `escaped[i]`: character `i` of `text` was preceded by a backslash. */
  readonly escaped: readonly boolean[]
  /** The raw characters it covers in the source text. */
  readonly span: Span
}

/**
 * Split one argv word or file line as ss does: only space and TAB separate;
 * a backslash makes the next character literal (even a separator) and is
 * removed; a trailing lone backslash is dropped.
 * @param offset where `piece` starts in the source text, for spans
 */
export function splitPiece(piece: string, offset = 0): RawToken[] {
  const out: RawToken[] = []
  let i = 0
  const n = piece.length
  while (i < n) {
    while (i < n && (piece[i] === ' ' || piece[i] === '\t')) i++
    if (i >= n) break
    const start = i
    let text = ''
    const escaped: boolean[] = []
    while (i < n && piece[i] !== ' ' && piece[i] !== '\t') {
      if (piece[i] === '\\') {
        i++
        if (i >= n) break
        text += piece[i]
        escaped.push(true)
      } else {
        text += piece[i]
        escaped.push(false)
      }
      i++
    }
    // Pushed even when empty: a lone trailing backslash is an empty token
    // in ss (`src '\\'` is a valid "any address" filter there).
    out.push({ text, escaped, span: { start: offset + start, end: offset + i } })
  }
  return out
}

/** The operator spellings the printer uses. */
export const CMP_TEXT: Readonly<Record<CmpOp, string>> = Object.freeze({ eq: '=', ne: '!=', ge: '>=', le: '<=', gt: '>', lt: '<' })
