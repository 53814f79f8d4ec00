/**
 * The Chevrotain parser of ss's filter grammar (§3.4), in two precedence
 * modes: `ss` (and, or and juxtaposition equal and left-associative, what
 * ss 6.1 really does) and `manual` (the man page: not > and > or). One
 * parser instance per mode, created on first use. Tokens come from
 * {@link lex}; the parser never sees characters.
 */
import { createToken, createTokenInstance, EmbeddedActionsParser, EOF, type IToken, type ParserMethod, type TokenType } from 'chevrotain'
import type { CmpOp, Dir, Expr, HostValue, Span } from './ast.js'
import { FilterSyntaxError } from './errors.js'
import type { Token, ValueToken } from './lexer.js'
import type { TokenKind } from './tokens.js'
import { gluedMetricHint as gluedMetric, isMetricName, metricValueNoun } from './metrics.js'

/** Precedence modes. */
export type Precedence = 'ss' | 'manual'

const T = {
  not: createToken({ name: 'not' }),
  and: createToken({ name: 'and' }),
  or: createToken({ name: 'or' }),
  lparen: createToken({ name: 'lparen' }),
  rparen: createToken({ name: 'rparen' }),
  dst: createToken({ name: 'dst' }),
  src: createToken({ name: 'src' }),
  dport: createToken({ name: 'dport' }),
  sport: createToken({ name: 'sport' }),
  dev: createToken({ name: 'dev' }),
  fwmark: createToken({ name: 'fwmark' }),
  cgroup: createToken({ name: 'cgroup' }),
  autobound: createToken({ name: 'autobound' }),
  metric: createToken({ name: 'metric' }),
  eq: createToken({ name: 'eq' }),
  ne: createToken({ name: 'ne' }),
  ge: createToken({ name: 'ge' }),
  le: createToken({ name: 'le' }),
  gt: createToken({ name: 'gt' }),
  lt: createToken({ name: 'lt' }),
  value: createToken({ name: 'value' }),
} as const satisfies Record<TokenKind, TokenType>

const ALL_TOKENS: TokenType[] = Object.values(T)

/** What the parser's actions look values up in. */
interface ParseContext {
  values: ReadonlyMap<number, ValueToken>
}

const span = (a: Span, b: Span): Span => ({ start: a.start, end: b.end })
const payload = (t: IToken): Token => t.payload as Token

/** Placeholder for a value that failed to parse; the caller throws that error instead of using the tree. */
const BROKEN: Expr = { kind: 'autobound', span: { start: 0, end: 0 } }

class FilterParser extends EmbeddedActionsParser {
  ctx: ParseContext = { values: new Map() }
  /** Extent of a parenthesised node including its parentheses (the node keeps its own span). */
  grouped = new WeakMap<Expr, Span>()
  readonly filter: () => Expr

  constructor(readonly mode: Precedence, validate = false) {
    // Validations cost about half of the construction time; the grammar is
    // checked by a test through validateGrammar() instead of on every run.
    super(ALL_TOKENS, { recoveryEnabled: false, maxLookahead: 1, skipValidations: !validate })
    const $ = this

    const valueOf = (tok: IToken): ValueToken | undefined => $.ctx.values.get(payload(tok).index)
    const outer = (e: Expr): Span => $.grouped.get(e) ?? e.span

    const hostPred = $.RULE('hostPred', (): Expr => {
      const kw = $.OR([{ ALT: () => $.CONSUME(T.dst) }, { ALT: () => $.CONSUME(T.src) }])
      $.OPTION(() => $.CONSUME(T.eq))
      const v = $.CONSUME(T.value)
      return $.ACTION(() => {
        const val = valueOf(v)
        if (!val || (val.value.kind !== 'host' && val.value.kind !== 'port')) return BROKEN
        return { kind: 'host', dir: payload(kw).kind as Dir, value: val.value.host, span: span(payload(kw).span, val.span) }
      })
    })

    const portPred = $.RULE('portPred', (): Expr => {
      const kw = $.OR1([{ ALT: () => $.CONSUME(T.dport) }, { ALT: () => $.CONSUME(T.sport) }])
      const op = $.OPTION(() =>
        $.OR2([
          { ALT: () => $.CONSUME(T.eq) }, { ALT: () => $.CONSUME(T.ne) }, { ALT: () => $.CONSUME(T.ge) },
          { ALT: () => $.CONSUME(T.le) }, { ALT: () => $.CONSUME(T.gt) }, { ALT: () => $.CONSUME(T.lt) },
        ]),
      )
      const v = $.CONSUME1(T.value)
      return $.ACTION(() => {
        const val = valueOf(v)
        if (!val || (val.value.kind !== 'host' && val.value.kind !== 'port')) return BROKEN
        const dir: Dir = payload(kw).kind === 'sport' ? 'src' : 'dst'
        const cmp = (op ? payload(op).kind : 'eq') as CmpOp
        const host: HostValue = val.value.host
        return { kind: 'port', dir, op: cmp, value: host, span: span(payload(kw).span, val.span) }
      })
    })

    const namedPred = $.RULE('namedPred', (): Expr => {
      const kw = $.OR3([{ ALT: () => $.CONSUME(T.dev) }, { ALT: () => $.CONSUME(T.fwmark) }, { ALT: () => $.CONSUME(T.cgroup) }])
      const op = $.OPTION1(() => $.OR4([{ ALT: () => $.CONSUME1(T.eq) }, { ALT: () => $.CONSUME1(T.ne) }]))
      const v = $.CONSUME2(T.value)
      return $.ACTION(() => {
        const val = valueOf(v)
        if (!val) return BROKEN
        const negated = op !== undefined && payload(op).kind === 'ne'
        const s = span(payload(kw).span, val.span)
        switch (val.value.kind) {
          case 'dev': return { kind: 'dev', negated, device: val.value.device, valueSpan: val.span, span: s }
          case 'fwmark': return { kind: 'fwmark', negated, mark: val.value.mark.mark, mask: val.value.mark.mask, valueSpan: val.span, span: s }
          case 'cgroup': return { kind: 'cgroup', negated, path: val.value.path, valueSpan: val.span, span: s }
          default: return BROKEN
        }
      })
    })

    // ssx's extension: `rtt > 50ms`; the word is a `metric` token only where ss could not parse it.
    const metricPred = $.RULE('metricPred', (): Expr => {
      const kw = $.CONSUME(T.metric)
      const op = $.OPTION2(() =>
        $.OR8([
          { ALT: () => $.CONSUME2(T.eq) }, { ALT: () => $.CONSUME2(T.ne) }, { ALT: () => $.CONSUME2(T.ge) },
          { ALT: () => $.CONSUME2(T.le) }, { ALT: () => $.CONSUME2(T.gt) }, { ALT: () => $.CONSUME2(T.lt) },
        ]),
      )
      const v = $.CONSUME3(T.value)
      return $.ACTION(() => {
        const val = valueOf(v)
        if (!val || val.value.kind !== 'metric') return BROKEN
        const cmp = (op ? payload(op).kind : 'eq') as CmpOp
        return { kind: 'metric', field: val.value.field, op: cmp, value: val.value.metric.value, text: val.text, valueSpan: val.span, span: span(payload(kw).span, val.span) }
      })
    })

    // Declared before use through a thunk: the grammar is recursive.
    let list: ParserMethod<[], Expr> = (() => BROKEN) as unknown as ParserMethod<[], Expr>

    const expr: ParserMethod<[], Expr> = $.RULE('expr', (): Expr =>
      $.OR5([
        {
          ALT: () => {
            const l = $.CONSUME(T.lparen)
            const inner = $.SUBRULE(list)
            const r = $.CONSUME(T.rparen)
            $.ACTION(() => $.grouped.set(inner, span(payload(l).span, payload(r).span)))
            return inner
          },
        },
        {
          ALT: () => {
            const n = $.CONSUME(T.not)
            const operand: Expr = $.SUBRULE6(expr)
            return $.ACTION((): Expr => ({ kind: 'not', operand, span: span(payload(n).span, outer(operand)) }))
          },
        },
        { ALT: () => $.SUBRULE(hostPred) },
        { ALT: () => $.SUBRULE(portPred) },
        { ALT: () => $.SUBRULE(namedPred) },
        { ALT: () => $.SUBRULE(metricPred) },
        {
          ALT: () => {
            const a = $.CONSUME(T.autobound)
            return $.ACTION((): Expr => ({ kind: 'autobound', span: payload(a).span }))
          },
        },
      ]),
    )

    const and = (left: Expr, right: Expr, implicit: boolean): Expr => ({ kind: 'and', left, right, implicit, span: span(outer(left), outer(right)) })
    const or = (left: Expr, right: Expr): Expr => ({ kind: 'or', left, right, span: span(outer(left), outer(right)) })

    if (mode === 'ss') {
      // list := expr ( ('&' | '|')? expr )*, all one level, left to right (ssfilter.y).
      list = $.RULE('list', (): Expr => {
        let left = $.SUBRULE1(expr)
        $.MANY(() =>
          $.OR6([
            { ALT: () => { $.CONSUME(T.and); const r = $.SUBRULE2(expr); left = $.ACTION(() => and(left, r, false)) } },
            { ALT: () => { $.CONSUME(T.or); const r = $.SUBRULE3(expr); left = $.ACTION(() => or(left, r)) } },
            { ALT: () => { const r = $.SUBRULE4(expr); left = $.ACTION(() => and(left, r, true)) } },
          ]),
        )
        return left
      })
    } else {
      // The man page's reading: or-list of and-lists.
      const andList = $.RULE('andList', (): Expr => {
        let left = $.SUBRULE1(expr)
        $.MANY1(() =>
          $.OR7([
            { ALT: () => { $.CONSUME1(T.and); const r = $.SUBRULE2(expr); left = $.ACTION(() => and(left, r, false)) } },
            { ALT: () => { const r = $.SUBRULE3(expr); left = $.ACTION(() => and(left, r, true)) } },
          ]),
        )
        return left
      })
      list = $.RULE('list', (): Expr => {
        let left = $.SUBRULE(andList)
        $.MANY2(() => {
          $.CONSUME1(T.or)
          const r = $.SUBRULE1(andList)
          left = $.ACTION(() => or(left, r))
        })
        return left
      })
    }
    this.filter = $.RULE('filter', (): Expr => $.SUBRULE5(list))
    this.performSelfAnalysis()
  }
}

const parsers: Partial<Record<Precedence, FilterParser>> = {}

/**
 * Build a parser for `mode` with all of Chevrotain's grammar checks
 * (ambiguities, left recursion, …), which normal runs skip. Throws on a
 * broken grammar. For tests.
 */
export function validateGrammar(mode: Precedence): void {
  new FilterParser(mode, true)
}

function parserFor(mode: Precedence): FilterParser {
  return (parsers[mode] ??= new FilterParser(mode))
}

/** A syntax error with the index of the token where it was detected (tokens.length = end of filter). */
export interface SyntaxFailure {
  readonly tokenIndex: number
  readonly error: FilterSyntaxError
}

/** The parse of a token list: the tree (null for no tokens) or the first syntax error. */
export type TokenParse = { readonly expr: Expr | null; readonly failure: null } | { readonly expr: null; readonly failure: SyntaxFailure }

/**
 * Parse lexed tokens in a precedence mode. Values are looked up by token
 * index; a value token without an entry yields a placeholder node (the
 * caller reports that value's error).
 * @param textLength length of the source text, for the end-of-filter span
 */
export function parseTokens(tokens: readonly Token[], values: readonly ValueToken[], mode: Precedence, textLength: number): TokenParse {
  if (tokens.length === 0) return { expr: null, failure: null }
  const parser = parserFor(mode)
  parser.ctx = { values: new Map(values.map((v) => [v.tokenIndex, v])) }
  parser.grouped = new WeakMap()
  parser.input = tokens.map((t) => {
    const it = createTokenInstance(T[t.kind], t.text, t.span.start, t.span.end, 1, 1, t.span.start + 1, t.span.end)
    it.payload = t
    return it
  })
  const expr = parser.filter()
  const err = parser.errors[0]
  if (err) {
    const tok = err.token
    const index = tok.tokenType === EOF || tok.payload === undefined ? tokens.length : (tok.payload as Token).index
    return { expr: null, failure: { tokenIndex: index, error: describeSyntaxError(tokens, index, textLength) } }
  }
  return { expr, failure: null }
}

// ---------------------------------------------------------------- messages

const KEYWORD_NOUN: Partial<Record<TokenKind, string>> = {
  dst: 'an address', src: 'an address', dport: 'a port', sport: 'a port', dev: 'a device', fwmark: 'a mark', cgroup: 'a cgroup path',
}
const CMP_KINDS: ReadonlySet<TokenKind> = new Set(['eq', 'ne', 'ge', 'le', 'gt', 'lt'])
const EXPRESSION = 'a filter expression (src, dst, sport, dport, dev, fwmark, cgroup, autobound, a metric such as rtt, "(" or "!")'

function found(tokens: readonly Token[], i: number): string {
  const t = tokens[i]
  if (!t) return 'end of filter'
  return t.kind === 'value' ? `value "${t.text}"` : `"${t.text}"`
}

/** Build the syntax error for the token at `i`, saying what ss's grammar allows there. */
function describeSyntaxError(tokens: readonly Token[], i: number, textLength: number): FilterSyntaxError {
  const at = tokens[i]
  const where: Span = at ? at.span : { start: textLength, end: textLength }
  const prev = tokens[i - 1]
  const prev2 = tokens[i - 2]
  const notes: string[] = []
  let expected: string
  if (!prev || prev.kind === 'and' || prev.kind === 'or' || prev.kind === 'not' || prev.kind === 'lparen') {
    expected = prev ? `${EXPRESSION} after "${prev.text}"` : EXPRESSION
    if (at?.kind === 'value') notes.push(gluedMetric(at.text) ?? `a value needs a keyword before it, e.g. "dst ${at.text}" or "sport = ${at.text}"`)
    if (at?.kind === 'rparen' && prev?.kind === 'lparen') notes.push('empty parentheses are not allowed')
  } else if (prev.kind === 'dst' || prev.kind === 'src') {
    expected = `${KEYWORD_NOUN[prev.kind]} or "=" after "${prev.text}"`
    if (at && CMP_KINDS.has(at.kind)) notes.push(`${prev.text} takes only "="; to negate write "! ${prev.text} ADDR"`)
  } else if (prev.kind === 'dport' || prev.kind === 'sport') {
    expected = `an operator (=, !=, <, <=, >, >=) or a port after "${prev.text}"`
  } else if (prev.kind === 'dev' || prev.kind === 'fwmark' || prev.kind === 'cgroup') {
    expected = `"=", "!=" or ${KEYWORD_NOUN[prev.kind]} after "${prev.text}"`
    if (at && CMP_KINDS.has(at.kind)) notes.push(`${prev.text} takes only "=" and "!="`)
  } else if (prev.kind === 'metric' && isMetricName(prev.text)) {
    expected = `an operator (=, !=, <, <=, >, >=) or ${metricValueNoun(prev.text)} after "${prev.text}"`
  } else if (CMP_KINDS.has(prev.kind) && prev2?.kind === 'metric' && isMetricName(prev2.text)) {
    expected = `${metricValueNoun(prev2.text)} after "${prev2.text} ${prev.text}"`
  } else if (CMP_KINDS.has(prev.kind) && prev2 && KEYWORD_NOUN[prev2.kind]) {
    expected = `${KEYWORD_NOUN[prev2.kind]} after "${prev2.text} ${prev.text}"`
  } else if (CMP_KINDS.has(prev.kind)) {
    expected = `a keyword before "${prev.text}"`
  } else {
    // After a complete expression.
    let depth = 0
    for (let k = 0; k < i; k++) depth += tokens[k]!.kind === 'lparen' ? 1 : tokens[k]!.kind === 'rparen' ? -1 : 0
    if (at?.kind === 'rparen' && depth <= 0) {
      return new FilterSyntaxError('E_SYNTAX', 'unexpected ")" without a matching "("', where, ['ss: "bison bellows (while parsing filter): syntax error!"'])
    }
    expected = depth > 0 ? `"and", "or", ")" or another expression` : `"and", "or" or another expression`
    if (!at && depth > 0) expected = '")" to close the group'
    if (at?.kind === 'value') notes.push(gluedMetric(at.text) ?? `a value needs a keyword before it, e.g. "dst ${at.text}"`)
  }
  notes.push('ss: "bison bellows (while parsing filter): syntax error!"')
  return new FilterSyntaxError('E_SYNTAX', `expected ${expected}, found ${found(tokens, i)}`, where, notes)
}

/**
 * The grammar's productions in Chevrotain's serialized form, for railroad
 * diagrams (`createSyntaxDiagramsCode`; the web playground draws them).
 */
export function serializedGrammar(mode: Precedence = 'ss'): ReturnType<FilterParser['getSerializedGastProductions']> {
  return parserFor(mode).getSerializedGastProductions()
}
