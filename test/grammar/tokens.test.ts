/** ss's token splitting and `-F` line rules, one case per line. */
import t from 'tap'
import { splitPiece, keywordKind } from '../../grammar/tokens.js'
import { splitFilterFile, buildSource } from '../../grammar/source.js'
import { FilterSyntaxError } from '../../grammar/errors.js'

const split = (s: string): string[] => splitPiece(s).map((r) => `${r.text}@${r.span.start}-${r.span.end}`)

t.test('splitPiece', async (t) => {
  const CASES: readonly (readonly [string, readonly string[]])[] = [
    ['', []],
    ['   \t ', []],
    ['sport = :22', ['sport@0-5', '=@6-7', ':22@8-11']],
    ['sport\t=\t:22', ['sport@0-5', '=@6-7', ':22@8-11']],
    ['  a  ', ['a@2-3']],
    [':2\\2', [':22@0-4']],
    ['\\sport', ['sport@0-6']],
    ['sport\\ =\\ :22', ['sport = :22@0-13']],
    ['a\\\tb', ['a\tb@0-4']],
    ['a\\\\b', ['a\\b@0-4']],
    ['abc\\', ['abc@0-4']],
    ['\\', ['@0-1']],
    ['a \\', ['a@0-1', '@2-3']],
    ['a\nb', ['a\nb@0-3']],
    ['a\rb c', ['a\rb@0-3', 'c@4-5']],
    ['( sport = :22 )', ['(@0-1', 'sport@2-7', '=@8-9', ':22@10-13', ')@14-15']],
    ['sport=:22', ['sport=:22@0-9']],
    ['(sport', ['(sport@0-6']],
  ]
  for (const [input, expected] of CASES) t.same(split(input), expected, JSON.stringify(input))
  t.same(splitPiece('a\\(b').map((r) => r.escaped), [[false, true, false]], 'escaped characters are marked')
  t.same(splitPiece('x y', 10).map((r) => r.span), [{ start: 10, end: 11 }, { start: 12, end: 13 }], 'offset')
})

t.test('keywords are exact and case-sensitive', async (t) => {
  const K: readonly (readonly [string, string])[] = [
    ['!', 'not'], ['not', 'not'], ['&', 'and'], ['&&', 'and'], ['and', 'and'], ['|', 'or'], ['||', 'or'], ['or', 'or'],
    ['(', 'lparen'], [')', 'rparen'], ['dst', 'dst'], ['src', 'src'], ['dport', 'dport'], ['sport', 'sport'], ['dev', 'dev'],
    ['fwmark', 'fwmark'], ['cgroup', 'cgroup'], ['autobound', 'autobound'], ['=', 'eq'], ['==', 'eq'], ['eq', 'eq'],
    ['!=', 'ne'], ['ne', 'ne'], ['neq', 'ne'], ['>=', 'ge'], ['ge', 'ge'], ['geq', 'ge'], ['<=', 'le'], ['le', 'le'], ['leq', 'le'],
    ['>', 'gt'], ['gt', 'gt'], ['<', 'lt'], ['lt', 'lt'],
    ['AND', 'value'], ['Or', 'value'], ['state', 'value'], ['===', 'value'], ['&&&', 'value'], ['toString', 'value'], ['constructor', 'value'], ['', 'value'],
  ]
  for (const [text, kind] of K) t.equal(keywordKind(text), kind, JSON.stringify(text))
})

t.test('splitFilterFile', async (t) => {
  const lines = (s: string): string[] => splitFilterFile(s).map((l) => `${l.line}:${l.text}`)
  t.same(lines(''), [])
  t.same(lines('sport = :22\n'), ['1:sport = :22'])
  t.same(lines('sport = :22'), ['1:sport = :22'], 'last line without newline')
  t.same(lines('# c\nsport\n'), ['2:sport'], '# comment skipped')
  t.same(lines('  # not a comment\n'), ['1:  # not a comment'], 'indented # is kept')
  t.same(lines('0x1\nsport\n'), ['2:sport'], 'a line starting with 0 is skipped (ss bug)')
  t.same(lines('sport = :22\r\n'), ['1:sport = :22\r'], 'CR is kept')
  t.same(lines('\n\nsport\n'), ['1:', '2:', '3:sport'], 'blank lines are kept (they give no tokens)')
  t.same(lines('ab\0cd\nef\n'), ['1:ab', '2:ef'], 'a NUL ends the line')
  t.same(lines('x'.repeat(1021) + '\n'), ['1:' + 'x'.repeat(1021)], '1022 bytes with the newline is fine')
  t.same(lines('x'.repeat(1022)), ['1:' + 'x'.repeat(1022)], '1022 bytes at end of file is fine')
  const code = (s: string): string => {
    try { splitFilterFile(s); return 'ok' } catch (e) { t.type(e, FilterSyntaxError); return `${(e as FilterSyntaxError).code} ${(e as Error).message}` }
  }
  t.equal(code('x'.repeat(1022) + '\n'), 'E_FILE_LINE_TOO_LONG Too long line in filter')
  t.equal(code('x'.repeat(1023)), 'E_FILE_LINE_TOO_LONG Too long line in filter')
  t.equal(code('# ' + 'x'.repeat(2000) + '\n'), 'E_FILE_LINE_TOO_LONG Too long line in filter', 'checked before the comment rule')
  t.equal(code('sport\n\0x\n'), 'E_FILE_INVALID_LINE Invalid line')
})

t.test('buildSource', async (t) => {
  t.same(buildSource(['a b', 'c']), { text: 'a b c', pieces: [{ text: 'a b', offset: 0, origin: 'word' }, { text: 'c', offset: 4, origin: 'word' }] })
  t.equal(buildSource(['x'], '#c\ny\nz').text, 'x\ny\nz')
  t.equal(buildSource([], 'y\n').text, 'y')
  t.equal(buildSource([], '').text, '')
})

t.test('both grammars pass chevrotain\'s checks (normal runs skip them)', async (t) => {
  const { validateGrammar } = await import('../../grammar/parser.js')
  t.doesNotThrow(() => validateGrammar('ss'))
  t.doesNotThrow(() => validateGrammar('manual'))
})
