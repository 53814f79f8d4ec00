/**
 * Properties: parse(print(ast)) = ast (spans aside) in both precedence
 * modes, and no input makes parseFilter throw anything but the typed
 * filter errors.
 */
import t from 'tap'
import fc from 'fast-check'
import type { Expr } from '../../grammar/ast.js'
import { parseFilter, printExpr, printParenthesized, type Precedence } from '../../grammar/index.js'
import { FilterError, FilterSyntaxError } from '../../grammar/errors.js'
import { KEYWORDS } from '../../grammar/tokens.js'
import { strip } from '../helpers/strip-spans.js'
import { exprTree, S0 } from '../props/expr-tree.js'



/** Leaves parsed from text, none with a family prefix (those change how later values parse). */
const LEAF_TEXTS = [
  'src 10.0.0.1', 'dst 10.0.0.0/8:22', 'src *:80', 'dst [::1]:443', 'src fe80::1/64:22', 'dst localhost', 'src default',
  'src *', 'dst :http', 'src 193.233.7/24', 'dst [::ffff:1.2.3.4]', 'src example.com:https',
  'sport = :22', 'dport != :80', 'sport >= :1024', 'dport <= 0x10', 'sport > :ssh', 'dport < *', 'sport = [22]', 'dport = -1',
  'autobound',
]
const leafPool: Expr[] = LEAF_TEXTS.map((s) => parseFilter({ words: [s] }, { preferredFamily: 0 }).expr!)

const NOT_KEYWORD = (s: string): boolean => s.length > 0 && !Object.hasOwn(KEYWORDS, s)
const name = fc.string({ minLength: 1, maxLength: 8, unit: fc.constantFrom('a', 'b', '0', ' ', '\t', '\\', '(', ')', '!', '/', ':', '=', '&', '|', '\r', 'é') }).filter(NOT_KEYWORD)

const leaf: fc.Arbitrary<Expr> = fc.oneof(
  fc.constantFrom(...leafPool),
  fc.record({ negated: fc.boolean(), device: name }).map(({ negated, device }): Expr => ({ kind: 'dev', negated, device, valueSpan: S0, span: S0 })),
  fc.record({ negated: fc.boolean(), path: name }).map(({ negated, path }): Expr => ({ kind: 'cgroup', negated, path, valueSpan: S0, span: S0 })),
  fc.record({ negated: fc.boolean(), mark: fc.nat({ max: 0xffffffff }), mask: fc.nat({ max: 0xffffffff }) })
    .map(({ negated, mark, mask }): Expr => ({ kind: 'fwmark', negated, mark, mask, valueSpan: S0, span: S0 })),
)

const tree = exprTree(leaf)

for (const mode of ['ss', 'manual'] as const satisfies readonly Precedence[]) {
  t.test(`parse(print(ast)) = ast, ${mode} precedence`, async (t) => {
    fc.assert(
      fc.property(tree, (ast) => {
        const text = printExpr(ast, mode)
        const back = parseFilter({ words: [text] }, { preferredFamily: 0, precedence: mode }).expr
        t.strictSame(strip(back), strip(ast), text)
        return JSON.stringify(strip(back)) === JSON.stringify(strip(ast))
      }),
      { numRuns: 1000 },
    )
  })
}

t.test('ss mode warns exactly when the man page would read the text differently', async (t) => {
  fc.assert(
    fc.property(tree, fc.constantFrom<Precedence>('ss', 'manual'), (ast, printMode) => {
      const words = [printExpr(ast, printMode)]
      const ss = parseFilter({ words }, { preferredFamily: 0, precedence: 'ss' })
      const manual = parseFilter({ words }, { preferredFamily: 0, precedence: 'manual' })
      const differ = printParenthesized(ss.expr!) !== printParenthesized(manual.expr!)
      if (manual.warnings.length !== 0) return false
      if (!differ) return ss.warnings.length === 0
      return ss.warnings.length === 1 && ss.warnings[0]!.manualReading === printParenthesized(manual.expr!)
    }),
    { numRuns: 1000 },
  )
  t.pass('held')
})

const WORD_PARTS = ['src', 'dst', 'sport', 'dport', 'dev', 'fwmark', 'cgroup', 'autobound', '(', ')', '!', 'and', 'or', '=', '!=', '>', '<=',
  ':22', '10.0.0.1', '[::1]', 'unix:', 'link:', 'netlink:', 'vsock:', 'inet:', 'inet6:', '*', '/', '\\', ' ', '\t', '0x', '#', '\n', '\0']
const word = fc.array(fc.oneof(fc.constantFrom(...WORD_PARTS), fc.string({ maxLength: 4 })), { maxLength: 6 }).map((p) => p.join(''))

t.test('arbitrary input only ever throws the typed errors', async (t) => {
  fc.assert(
    fc.property(
      fc.array(word, { maxLength: 8 }),
      fc.option(fc.array(word, { maxLength: 4 }).map((l) => l.join('\n')), { nil: undefined }),
      fc.constantFrom(0, 1, 2, 10, 16, 17, 30, 40),
      fc.constantFrom<Precedence>('ss', 'manual'),
      (words, file, preferredFamily, precedence) => {
        try {
          const r = parseFilter(file === undefined ? { words } : { words, file }, { preferredFamily, precedence })
          if (r.expr) {
            const { start, end } = r.expr.span
            if (!(start >= 0 && start <= end && end <= r.source.text.length)) return false
          }
          return true
        } catch (e) {
          if (!(e instanceof FilterError || e instanceof FilterSyntaxError)) throw e
          const s = e.span
          return s === undefined || (s.start >= 0 && s.start <= s.end && s.end <= (e.source?.text.length ?? 0))
        }
      },
    ),
    { numRuns: 3000 },
  )
  t.pass('held')
})
