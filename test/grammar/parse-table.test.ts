/**
 * One line per case: filter text (one argv word, re-split by the tokenizer
 * as ss does), optional preferred family, and the expected tree as an
 * s-expression or the expected error as `CODE start-end`.
 */
import t from 'tap'
import { parseFilter, toSExpr } from '../../grammar/index.js'
import { FilterError, FilterSyntaxError } from '../../grammar/errors.js'

type Case = readonly [input: string | readonly string[], expected: string, family?: number]

function run(input: string | readonly string[], family = 0, precedence: 'ss' | 'manual' = 'ss'): string {
  const words = typeof input === 'string' ? [input] : input
  try {
    const r = parseFilter({ words }, { preferredFamily: family, precedence })
    return r.expr ? toSExpr(r.expr) : 'null'
  } catch (e) {
    if (e instanceof FilterError || e instanceof FilterSyntaxError) return `${e.code} ${e.span?.start}-${e.span?.end}`
    throw e
  }
}

const CASES: readonly Case[] = [
  // empty filters
  ['', 'null'], [[], 'null'], [['', ' ', '\t'], 'null'],
  // predicates and operators
  ['src 10.0.0.1', '(host src 10.0.0.1/32:*)'],
  ['dst 10.0.0.1', '(host dst 10.0.0.1/32:*)'],
  ['src = 10.0.0.1', '(host src 10.0.0.1/32:*)'],
  ['src == 10.0.0.1', '(host src 10.0.0.1/32:*)'],
  ['src eq 10.0.0.1', '(host src 10.0.0.1/32:*)'],
  ['src != 10.0.0.1', 'E_SYNTAX 4-6'],
  ['src > 10.0.0.1', 'E_SYNTAX 4-5'],
  ['dst ne 1.2.3.4', 'E_SYNTAX 4-6'],
  ['sport :22', '(port src eq *:22)'],
  ['sport = :22', '(port src eq *:22)'],
  ['sport == :22', '(port src eq *:22)'],
  ['sport eq :22', '(port src eq *:22)'],
  ['sport != :22', '(port src ne *:22)'],
  ['sport ne :22', '(port src ne *:22)'],
  ['sport neq :22', '(port src ne *:22)'],
  ['dport >= :1024', '(port dst ge *:1024)'],
  ['dport ge :1024', '(port dst ge *:1024)'],
  ['dport geq :1024', '(port dst ge *:1024)'],
  ['dport <= :1024', '(port dst le *:1024)'],
  ['dport le :1024', '(port dst le *:1024)'],
  ['dport leq :1024', '(port dst le *:1024)'],
  ['dport > :1024', '(port dst gt *:1024)'],
  ['dport gt :1024', '(port dst gt *:1024)'],
  ['dport < :1024', '(port dst lt *:1024)'],
  ['dport lt :1024', '(port dst lt *:1024)'],
  ['dev lo', '(dev lo)'], ['dev = lo', '(dev lo)'], ['dev != lo', '(dev ! lo)'], ['dev ne 3', '(dev ! 3)'],
  ['dev > lo', 'E_SYNTAX 4-5'], ['dev >= lo', 'E_SYNTAX 4-6'],
  ['fwmark 1', '(fwmark 0x1/0xffffffff)'], ['fwmark = 0x10/0xff', '(fwmark 0x10/0xff)'], ['fwmark != 010', '(fwmark ! 0x8/0xffffffff)'],
  ['fwmark < 1', 'E_SYNTAX 7-8'],
  ['cgroup /sys/fs/cgroup/x', '(cgroup /sys/fs/cgroup/x)'], ['cgroup != x', '(cgroup ! x)'], ['cgroup gt x', 'E_SYNTAX 7-9'],
  ['autobound', '(autobound)'], ['autobound = 1', 'E_SYNTAX 10-11'],
  ['! autobound', '(not (autobound))'], ['not autobound', '(not (autobound))'], ['! ! autobound', '(not (not (autobound)))'],
  ['autobound and autobound', '(and (autobound) (autobound))'],
  ['autobound & autobound', '(and (autobound) (autobound))'],
  ['autobound && autobound', '(and (autobound) (autobound))'],
  ['autobound or autobound', '(or (autobound) (autobound))'],
  ['autobound | autobound', '(or (autobound) (autobound))'],
  ['autobound || autobound', '(or (autobound) (autobound))'],
  ['autobound autobound', '(and~ (autobound) (autobound))'],
  // keywords are case-sensitive
  ['AUTOBOUND', 'E_SYNTAX 0-9'], ['Sport = :22', 'E_SYNTAX 0-5'],
  // precedence: ss reads everything flat, left to right
  ['sport = :1 or sport = :2 and dport = :3', '(and (or (port src eq *:1) (port src eq *:2)) (port dst eq *:3))'],
  ['sport = :1 and sport = :2 or dport = :3', '(or (and (port src eq *:1) (port src eq *:2)) (port dst eq *:3))'],
  ['sport = :1 or ( sport = :2 and dport = :3 )', '(or (port src eq *:1) (and (port src eq *:2) (port dst eq *:3)))'],
  ['sport = :1 or sport = :2 dport = :3', '(and~ (or (port src eq *:1) (port src eq *:2)) (port dst eq *:3))'],
  ['! sport = :1 or autobound', '(or (not (port src eq *:1)) (autobound))'],
  ['! ( sport = :1 or autobound )', '(not (or (port src eq *:1) (autobound)))'],
  ['( ( autobound ) )', '(autobound)'],
  // syntax errors (span = offending token; end of filter = empty span at the end)
  ['sport', 'E_SYNTAX 5-5'], ['sport =', 'E_SYNTAX 7-7'], ['dev', 'E_SYNTAX 3-3'], ['cgroup', 'E_SYNTAX 6-6'], ['fwmark =', 'E_SYNTAX 8-8'],
  ['src', 'E_SYNTAX 3-3'], ['autobound and', 'E_SYNTAX 13-13'], ['and autobound', 'E_SYNTAX 0-3'],
  ['autobound or or autobound', 'E_SYNTAX 13-15'], ['!', 'E_SYNTAX 1-1'], ['not', 'E_SYNTAX 3-3'],
  ['( autobound', 'E_SYNTAX 11-11'], ['autobound )', 'E_SYNTAX 10-11'], ['( )', 'E_SYNTAX 2-3'], ['(', 'E_SYNTAX 1-1'], [')', 'E_SYNTAX 0-1'],
  ['127.0.0.1', 'E_SYNTAX 0-9'], ['= :22', 'E_SYNTAX 0-1'], ['sport = = :22', 'E_SYNTAX 8-9'],
  ['sport = :22 :23', 'E_SYNTAX 12-15'], ['autobound !', 'E_SYNTAX 11-11'],
  // value errors come first when ss lexed the value before the syntax error
  ['src 10.0.0.1/33', 'E_HOST 4-15'], ['src 10.0.0.1/33 and', 'E_HOST 4-15'], ['and src 10.0.0.1/33', 'E_SYNTAX 0-3'],
  ['10.0.0.1/33', 'E_HOST 0-11'], [') 10.0.0.1/33', 'E_SYNTAX 0-1'], ['fwmark abc', 'E_MARK 7-10'], ['fwmark abc )', 'E_MARK 7-10'],
  ['autobound ) fwmark abc', 'E_SYNTAX 10-11'],
  // inet values
  ['src 10.8', '(host src 10.8.0.0/32:*)'], ['src 127.1', '(host src 127.1.0.0/32:*)'], ['src 193.233.7/24', '(host src 193.233.7.0/24:*)'],
  ['src 0x7f.1', '(host src 127.1.0.0/32:*)'], ['src 010.0.0.1', '(host src 8.0.0.1/32:*)'],
  ['src 256.1.1.1', 'E_HOST 4-13'], ['src 1.2.3.4.5', 'E_HOST 4-13'], ['src 1.2.3.', 'E_HOST 4-10'],
  ['src 0x7f000001', '(host src name:0x7f000001/0:*)'],
  ['src 10.0.0.1/16', '(host src 10.0.0.1/16:*)'], ['src 10.0.0.0/0x10', '(host src 10.0.0.0/16:*)'], ['src 10.0.0.0/010', '(host src 10.0.0.0/8:*)'],
  ['src 10.0.0.0/255.255.0.0', '(host src 10.0.0.0/16:*)'], ['src 10.0.0.0/255.0.255.0', 'E_HOST 4-24'], ['src 1.2.3.4/', 'E_HOST 4-12'],
  ['src 10.0.0.0/32', '(host src 10.0.0.0/32:*)'], ['src 10.0.0.0/0', '(host src 10.0.0.0/0:*)'],
  ['src 10.0.0.0/8:443', '(host src 10.0.0.0/8:443)'], ['src 10.0.0.1:22', '(host src 10.0.0.1/32:22)'],
  ['src 10.0.0.1:0x16', '(host src 10.0.0.1/32:22)'], ['src 10.0.0.1:026', '(host src 10.0.0.1/32:22)'],
  ['src 10.0.0.1:*', '(host src 10.0.0.1/32:*)'], ['src 10.0.0.1:', '(host src 10.0.0.1/32:*)'], ['src 10.0.0.1:-1', '(host src 10.0.0.1/32:*)'],
  ['src 10.0.0.1:http', '(host src 10.0.0.1/32:svc:http)'], ['src 10.0.0.1:99999', '(host src 10.0.0.1/32:99999)'],
  ['src 10.0.0.1:2147483647', '(host src 10.0.0.1/32:2147483647)'], ['src 10.0.0.1:2147483648', '(host src 10.0.0.1/32:svc:2147483648)'],
  ['src *', '(host src *:*)'], ['src *:22', '(host src *:22)'], ['src *22', '(host src *:22)'], ['src :22', '(host src *:22)'],
  ['src ::1', 'E_HOST 4-7'], ['src ::1/128', '(host src 0:0:0:0:0:0:0:1/128:*)'], ['src [::1]', '(host src 0:0:0:0:0:0:0:1/128:*)'],
  ['src [::1]:22', '(host src 0:0:0:0:0:0:0:1/128:22)'], ['src [fe80::1/64]:22', '(host src fe80:0:0:0:0:0:0:1/64:22)'],
  ['src fe80::1/64:22', '(host src fe80:0:0:0:0:0:0:1/64:22)'], ['src [fe80::1]/64', 'E_PORT 4-16'], ['src [::1', 'E_HOST 4-8'],
  ['src [::1]22', '(host src 0:0:0:0:0:0:0:1/128:22)'], ['src [::ffff:1.2.3.4]', '(host src 0:0:0:0:0:ffff:102:304/128:*)'],
  ['src [1::2::3]', 'E_HOST 4-13'], ['src [::1/129]', 'E_HOST 4-13'], ['src [12345::]', 'E_HOST 4-13'],
  ['src default', '(host src default/0:*)'], ['src any', '(host src default/0:*)'], ['src all:22', '(host src default/0:22)'],
  ['src default/8', 'E_HOST 4-13'], ['src 1.2.3.4/default', '(host src 1.2.3.4/0:*)'],
  ['src localhost', '(host src name:localhost/0:*)'], ['src example.com:https', '(host src name:example.com/0:svc:https)'],
  ['src inet:127.0.0.1', '(host src inet:127.0.0.1/32:*)'], ['src inet6:[::1]', '(host src inet6:0:0:0:0:0:0:0:1/128:*)'],
  ['src inet6:127.0.0.1', 'E_HOST 4-19'], ['src inet:[::1]', 'E_HOST 4-14'], ['src inet6:default', '(host src inet6:default/10:*)'],
  ['src inet6:localhost', '(host src inet6:name:localhost/10:*)'],
  ['src 127.0.0.1', 'E_HOST 4-13', 10], ['src ::1/128', 'E_HOST 4-11', 2], ['src 127.0.0.1', '(host src inet:127.0.0.1/32:*)', 2],
  ['src inet6:[::1] or src 127.0.0.1', 'E_HOST 23-32'], ['src inet:127.0.0.1 or src inet6:[::1]', '(or (host src inet:127.0.0.1/32:*) (host src inet6:0:0:0:0:0:0:0:1/128:*))'],
  // port mode
  ['sport = 22', '(port src eq *:22)'], ['sport = *', '(port src eq *:*)'], ['sport = *)', '(port src eq *:*)'], ['sport = :-1', '(port src eq *:*)'],
  ['sport = :0', '(port src eq *:0)'], ['sport = :-5', '(port src eq *:-5)'], ['sport = :ssh', '(port src eq *:svc:ssh)'],
  ['sport = :22x', '(port src eq *:svc:22x)'], ['sport = [22]', '(port src eq *:22)'], ['sport = [22', 'E_HOST 8-11'],
  ['sport = 10.0.0.1:22', 'E_PORT 8-19'], ['sport = :a/b', 'E_PORT 8-12'],
  ['sport = :22 AND dport = :1', 'E_SYNTAX 12-15'],
  // unix
  ['src unix:/run/*', '(host src unix:/run/*)'], ['src unix:', '(host src unix:)'], ['sport = :11392', '(port src eq unix::11392)', 1],
  ['src /tmp/x:1', '(host src unix:/tmp/x:1)', 1], ['src inet:1.2.3.4', '(host src inet:1.2.3.4/32:*)', 1], ['src (foo)', '(host src unix:(foo))', 1],
  // link
  ['src link:ip', '(host src link:0x800:*)'], ['src link:IPv6:lo', '(host src link:0x86dd:name:lo)'], ['src link:*:2', '(host src link:*:2)'],
  ['src link:0x88cc', '(host src link:0x88cc:*)'], ['src link:lldp', '(host src link:0x88cc:*)'], ['src link:802.1q', '(host src link:0x8100:*)'],
  ['src link:foo', 'E_HOST 4-12'], ['src link:0x10000', 'E_HOST 4-16'], ['sport = :lo', '(port src eq link:*:name:lo)', 17],
  ['sport = :1', '(port src eq link:*:1)', 17], ['sport = link:3', '(port src eq link:*:3)'],
  // netlink
  ['src netlink:rtnl', '(host src netlink:name:rtnl:*)'], ['src netlink:0:kernel', '(host src netlink:0:0)'], ['src netlink:*:123', '(host src netlink:*:123)'],
  ['dst netlink:kernel', '(host dst netlink:name:kernel:*)'], ['src netlink:*:foo', 'E_HOST 4-17'], ['src netlink:16', '(host src netlink:16:*)'],
  ['src netlink:256', 'E_HOST 4-15'], ['src netlink:-1', 'E_HOST 4-14'], ['src netlink::-5', '(host src netlink:*:-5)'], ['src netlink:0x10', '(host src netlink:16:*)'],
  // vsock
  ['src vsock:3:1024', '(host src vsock:3:1024)'], ['src vsock:*:*', '(host src vsock:*:*)'], ['src vsock:3', '(host src vsock:3:*)'],
  ['src vsock:abc', 'E_HOST 4-13'], ['src vsock:5:', 'E_HOST 4-12'], ['src vsock:4294967296', 'E_HOST 4-20'], ['sport = vsock:7', '(port src eq vsock:*:7)'],
  // fwmark like %i
  ['fwmark 5abc', '(fwmark 0x5/0xffffffff)'], ['fwmark 0x1/0x2/0x3', '(fwmark 0x1/0x2)'], ['fwmark 0x1/', 'E_MARK 7-11'], ['fwmark /0x1', 'E_MARK 7-11'],
  ['fwmark 1x/2', 'E_MARK 7-11'], ['fwmark 0x/5', '(fwmark 0x0/0x5)'], ['fwmark 4294967296', '(fwmark 0x0/0xffffffff)'], ['fwmark 0xffffffff', '(fwmark 0xffffffff/0xffffffff)'],
  ['fwmark -0x10', '(fwmark 0xfffffff0/0xffffffff)'], ['fwmark 08/5', 'E_MARK 7-11'],
  // keyword kind decides the value parser
  ['dev foo)', '(dev foo))'], ['cgroup (x', '(cgroup (x)'], ['dev 1.2.3.4', '(dev 1.2.3.4)'], ['autobound src 1.2.3.4', '(and~ (autobound) (host src 1.2.3.4/32:*))'],
  // glued parentheses: accepted only where ss would fail
  ['(sport = :22)', '(port src eq *:22)'], ['!(sport = :22)', '(not (port src eq *:22))'], ['((autobound))', '(autobound)'],
  ['(src 1.2.3.4) or (dst 5.6.7.8)', '(or (host src 1.2.3.4/32:*) (host dst 5.6.7.8/32:*))'], ['fwmark 5)', '(fwmark 0x5/0xffffffff)'],
  ['(fwmark 5 )', '(fwmark 0x5/0xffffffff)'],
  // ... and where splitting does not help, the error is ss's own
  ['src (1.2.3.4/40', 'E_HOST 4-15'], ['(sport = :22', 'E_SYNTAX 0-6'], ['(src 1.2.3.4))', 'E_SYNTAX 0-4'], ['src (foo', '(host src name:(foo/0:*)'],
  // escapes
  [['sport', '=', ':2\\2'], '(port src eq *:22)'], [['\\sport', '=', ':22'], '(port src eq *:22)'], [['sport\\ =\\ :22'], 'E_HOST 0-13'],
  [['src', '\\'], '(host src *:*)'], [['\\'], 'E_SYNTAX 0-1'], [['src', '\\('], 'E_SYNTAX 4-6'],
  [['sport\t=\t:22'], '(port src eq *:22)'], [['sport', '=', ':22\r'], 'E_PORT 8-12'],
]

t.test('table', async (t) => {
  t.ok(CASES.length >= 150, `${CASES.length} cases`)
  for (const [input, expected, family] of CASES) {
    t.equal(run(input, family ?? 0), expected, `${JSON.stringify(input)}${family ? ` (family ${family})` : ''}`)
  }
})

t.test('manual precedence', async (t) => {
  const M: readonly (readonly [string, string])[] = [
    ['sport = :1 or sport = :2 and dport = :3', '(or (port src eq *:1) (and (port src eq *:2) (port dst eq *:3)))'],
    ['sport = :1 and sport = :2 or dport = :3', '(or (and (port src eq *:1) (port src eq *:2)) (port dst eq *:3))'],
    ['autobound or autobound autobound', '(or (autobound) (and~ (autobound) (autobound)))'],
    ['! autobound or autobound', '(or (not (autobound)) (autobound))'],
    ['( autobound or autobound ) autobound', '(and~ (or (autobound) (autobound)) (autobound))'],
    ['autobound or', 'E_SYNTAX 12-12'],
  ]
  for (const [input, expected] of M) t.equal(run(input, 0, 'manual'), expected, input)
})

t.test('precedence warning', async (t) => {
  const r = parseFilter({ words: ['sport = :1 or sport = :2 and dport = :3'] }, { preferredFamily: 0 })
  t.equal(r.warnings.length, 1)
  t.equal(r.warnings[0]!.ssReading, '((sport = :1 or sport = :2) and dport = :3)')
  t.equal(r.warnings[0]!.manualReading, '(sport = :1 or (sport = :2 and dport = :3))')
  t.equal(parseFilter({ words: ['sport = :1 and sport = :2 or dport = :3'] }, { preferredFamily: 0 }).warnings.length, 0, 'same tree either way')
  t.equal(parseFilter({ words: ['sport = :1 or ( sport = :2 and dport = :3 )'] }, { preferredFamily: 0 }).warnings.length, 0, 'parenthesised')
  t.equal(parseFilter({ words: ['sport = :1 or sport = :2 and dport = :3'] }, { preferredFamily: 0, precedence: 'manual' }).warnings.length, 0, 'manual mode')
})

t.test('spans', async (t) => {
  const e = parseFilter({ words: ['! ( sport = :1 or src 10/8 ) dev lo'] }, { preferredFamily: 0 }).expr!
  t.same(e.span, { start: 0, end: 35 }, 'the AND covers the group and the last predicate')
  if (e.kind !== 'and' || e.left.kind !== 'not' || e.left.operand.kind !== 'or') throw new Error('shape')
  t.same(e.left.span, { start: 0, end: 28 }, 'NOT covers the closing parenthesis')
  t.same(e.left.operand.span, { start: 4, end: 26 }, 'the group\'s own node spans its contents')
  t.same(e.left.operand.left.span, { start: 4, end: 14 })
  if (e.right.kind !== 'dev') throw new Error('shape')
  t.same(e.right.valueSpan, { start: 33, end: 35 })
  const h = parseFilter({ words: ['src', '1.2.3.4'] }, { preferredFamily: 0 }).expr!
  t.same(h.kind === 'host' && h.value.span, { start: 4, end: 11 }, 'value span')
})

t.test('family side effect', async (t) => {
  const r = parseFilter({ words: ['src inet:127.0.0.1 or src inet6:[::1]'] }, { preferredFamily: 0 })
  t.equal(r.forcedFamily, 10)
  t.equal(r.preferredFamily, 10)
  const u = parseFilter({ words: ['sport = :22'] }, { preferredFamily: 0 })
  t.equal(u.forcedFamily, null)
  t.equal(u.preferredFamily, 0)
  const x = parseFilter({ words: ['sport = :22'] }, { preferredFamily: 1 })
  t.equal(x.forcedFamily, 1)
  t.equal(parseFilter({ words: ['src 1.2.3.4'] }, { preferredFamily: 2 }).forcedFamily, 2)
})

t.test('values in order and the syntax error index', async (t) => {
  const r = parseFilter({ words: ['src', 'a.example', 'or', 'dst', 'b.example'] }, { preferredFamily: 0 })
  t.same(r.values.map((v) => [v.tokenIndex, v.kind, v.text]), [[1, 'host', 'a.example'], [4, 'host', 'b.example']])
  try {
    parseFilter({ words: ['sport', '=', ':22', 'AND', 'dport', '=', ':1'] }, { preferredFamily: 0 })
    t.fail('should throw')
  } catch (e) {
    t.type(e, FilterSyntaxError)
    const se = e as FilterSyntaxError
    t.equal(se.lexed?.tokenIndex, 3)
    t.same(se.lexed?.values.map((v) => v.text), [':22', 'AND'], 'ss looks up "AND" as a port before the syntax error')
    t.equal(se.source?.text, 'sport = :22 AND dport = :1')
    t.match(se.message, /found value "AND"/)
  }
})

t.test('messages', async (t) => {
  const msg = (s: string): string => {
    try { parseFilter({ words: [s] }, { preferredFamily: 0 }); return 'ok' } catch (e) { return (e as Error).message }
  }
  t.equal(msg('sport ='), 'expected a port after "sport =", found end of filter')
  t.equal(msg('src ::1'), 'an inet prefix is expected rather than ":".')
  t.equal(msg('src [fe80::1]/64'), '"/64" does not look like a port.')
  t.equal(msg('fwmark 0x1/'), 'Cannot parse mark 0x1/.')
  t.equal(msg('autobound )'), 'unexpected ")" without a matching "("')
  t.equal(msg('( autobound'), 'expected ")" to close the group, found end of filter')
})

t.test('file input', async (t) => {
  const r = parseFilter({ words: ['sport', '='], file: '# comment\n:22\n' }, { preferredFamily: 0 })
  t.equal(toSExpr(r.expr!), '(port src eq *:22)')
  t.equal(r.source.text, 'sport =\n:22')
  t.same(r.values[0]!.span, { start: 8, end: 11 })
  const f = parseFilter({ words: [], file: 'sport = :22\n0 this line is skipped (ss bug)\ndport = :80\n' }, { preferredFamily: 0 })
  t.equal(toSExpr(f.expr!), '(and~ (port src eq *:22) (port dst eq *:80))')
  t.equal(parseFilter({ words: [], file: '# only\n#comments\n' }, { preferredFamily: 0 }).expr, null)
  t.equal(run(['state']), 'E_SYNTAX 0-5', 'state is just a host value here (the CLI handles it in argv)')
  const fileErr = (words: string[], file: string): string => {
    try { parseFilter({ words, file }, { preferredFamily: 0 }); return 'ok' } catch (e) { return (e as FilterError).code }
  }
  const long = 'x'.repeat(1100) + '\n'
  t.equal(fileErr(['sport', '=', ':22'], long), 'E_FILE_LINE_TOO_LONG', 'ss reads the file to find the end of the filter')
  t.equal(fileErr(['src', '10.0.0.0/33'], long), 'E_HOST', 'a value error in argv comes first')
  t.equal(fileErr(['(', ')'], long), 'E_SYNTAX', 'so does a syntax error')
  t.equal(fileErr([], 'sport = :22\n\0\n'), 'E_FILE_INVALID_LINE')
  t.equal(fileErr([], 'sport =\n' + long), 'E_FILE_LINE_TOO_LONG', 'the parser still wants the port')
})
