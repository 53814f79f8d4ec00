/**
 * The metric words (ssx's extension: `rtt > 50ms`, `uid = 1000`, …): one
 * line per case, `input → s-expression` or `input → CODE start-end`; where
 * the words stay values (ss's meaning is kept); error messages and notes;
 * parse(print(ast)) = ast with metrics mixed into ss's predicates.
 */
import t from 'tap'
import fc from 'fast-check'
import type { Expr } from '../../grammar/ast.js'
import { parseFilter, printExpr, toSExpr, type Precedence } from '../../grammar/index.js'
import { FilterError, FilterSyntaxError } from '../../grammar/errors.js'
import { METRIC_NAMES, METRIC_UNITS, parseMetricValue, type MetricName } from '../../grammar/metrics.js'
import { strip } from '../helpers/strip-spans.js'
import { exprTree, S0 } from '../props/expr-tree.js'

function run(input: string | readonly string[], family = 0): string {
  const words = typeof input === 'string' ? [input] : input
  try {
    const r = parseFilter({ words }, { preferredFamily: family })
    return r.expr ? toSExpr(r.expr) : 'null'
  } catch (e) {
    if (e instanceof FilterError || e instanceof FilterSyntaxError) return `${e.code} ${e.span?.start}-${e.span?.end}`
    throw e
  }
}

function error(input: string): FilterError | FilterSyntaxError {
  try {
    parseFilter({ words: [input] }, { preferredFamily: 0 })
  } catch (e) {
    if (e instanceof FilterError || e instanceof FilterSyntaxError) return e
    throw e
  }
  throw new TypeError(`no error for ${input}`)
}

const CASES: readonly (readonly [string | readonly string[], string])[] = [
  // every operator spelling ss has, and none (= like ports)
  ['rtt = 5ms', '(metric rtt eq 5000)'], ['rtt == 5ms', '(metric rtt eq 5000)'], ['rtt eq 5ms', '(metric rtt eq 5000)'], ['rtt 5ms', '(metric rtt eq 5000)'],
  ['rtt != 5ms', '(metric rtt ne 5000)'], ['rtt ne 5ms', '(metric rtt ne 5000)'], ['rtt neq 5ms', '(metric rtt ne 5000)'],
  ['rtt < 5ms', '(metric rtt lt 5000)'], ['rtt lt 5ms', '(metric rtt lt 5000)'],
  ['rtt <= 5ms', '(metric rtt le 5000)'], ['rtt le 5ms', '(metric rtt le 5000)'], ['rtt leq 5ms', '(metric rtt le 5000)'],
  ['rtt > 5ms', '(metric rtt gt 5000)'], ['rtt gt 5ms', '(metric rtt gt 5000)'],
  ['rtt >= 5ms', '(metric rtt ge 5000)'], ['rtt ge 5ms', '(metric rtt ge 5000)'], ['rtt geq 5ms', '(metric rtt ge 5000)'],
  // time units (base: µs; none = ms, as ss -i prints rtt)
  ['rtt > 50', '(metric rtt gt 50000)'], ['rtt > 50us', '(metric rtt gt 50)'], ['rtt > 2s', '(metric rtt gt 2000000)'],
  ['rtt > 1.5ms', '(metric rtt gt 1500)'], ['rto >= 0.2s', '(metric rto ge 200000)'], ['lastsnd > 0', '(metric lastsnd gt 0)'],
  ['rttvar < 100us', '(metric rttvar lt 100)'], ['lastrcv > 10s', '(metric lastrcv gt 10000000)'], ['lastack > 1', '(metric lastack gt 1000)'],
  // sizes (1024-based like tc's get_size, any case)
  ['rqueue > 0', '(metric rqueue gt 0)'], ['wqueue > 64K', '(metric wqueue gt 65536)'], ['bytes_sent > 2M', '(metric bytes_sent gt 2097152)'],
  ['bytes_acked >= 1G', '(metric bytes_acked ge 1073741824)'], ['bytes_received > 1kb', '(metric bytes_received gt 1024)'], ['mss = 1448b', '(metric mss eq 1448)'],
  ['bytes_sent > 1.5K', '(metric bytes_sent gt 1536)'], ['rqueue > 2MB', '(metric rqueue gt 2097152)'],
  // counts and ids
  ['retrans >= 1', '(metric retrans ge 1)'], ['cwnd > 10', '(metric cwnd gt 10)'], ['ssthresh < 100', '(metric ssthresh lt 100)'],
  ['lost > 0', '(metric lost gt 0)'], ['unacked > 0', '(metric unacked gt 0)'], ['segs_in > 100', '(metric segs_in gt 100)'],
  ['segs_out > 100', '(metric segs_out gt 100)'], ['uid = 1000', '(metric uid eq 1000)'], ['ino = 12345', '(metric ino eq 12345)'],
  // mixed with ss's predicates, operators and grouping
  ['dport = :22 and rtt > 5ms', '(and (port dst eq *:22) (metric rtt gt 5000))'],
  ['dport = :22 rtt > 5ms', '(and~ (port dst eq *:22) (metric rtt gt 5000))'],
  ['not rtt > 5ms', '(not (metric rtt gt 5000))'], ['! uid = 0', '(not (metric uid eq 0))'],
  ['( rtt > 5ms or cwnd < 4 ) and sport = :443', '(and (or (metric rtt gt 5000) (metric cwnd lt 4)) (port src eq *:443))'],
  ['(rtt > 5ms)', '(metric rtt gt 5000)'], ['!(uid = 0)', '(not (metric uid eq 0))'], ['(rtt > 5)', '(metric rtt gt 5000)'],
  ['autobound rtt > 1', '(and~ (autobound) (metric rtt gt 1000))'],
  [['rtt', '>', '50ms'], '(metric rtt gt 50000)'],
  // where ss expects a value, the words stay values (ss's meaning is kept)
  ['src rtt', '(host src name:rtt/0:*)'], ['dst = uid', '(host dst name:uid/0:*)'], ['dev rtt', '(dev rtt)'], ['dev != cwnd', '(dev ! cwnd)'],
  ['cgroup ino', '(cgroup ino)'], ['sport = :22 and src rtt', '(and (port src eq *:22) (host src name:rtt/0:*))'],
  ['dport rtt', '(port dst eq *:svc:rtt)'], ['rtt rtt', 'E_METRIC_VALUE 4-7'],
  // metric words are case-sensitive, like ss's keywords
  ['RTT > 5', 'E_SYNTAX 0-3'],
  // errors: value, unit, missing value, glued operator
  ['rtt > 50m', 'E_METRIC_UNIT 6-9'], ['rtt > 5min', 'E_METRIC_UNIT 6-10'], ['cwnd > 5K', 'E_METRIC_UNIT 7-9'], ['uid = 1000ms', 'E_METRIC_UNIT 6-12'],
  ['rtt > 0.5us', 'E_METRIC_VALUE 6-11'], ['rtt > -1', 'E_METRIC_VALUE 6-8'], ['cwnd > 1.5', 'E_METRIC_VALUE 7-10'], ['rtt > abc', 'E_METRIC_VALUE 6-9'],
  ['rtt > 0x10', 'E_METRIC_VALUE 6-10'], ['rqueue > 0.1b', 'E_METRIC_VALUE 9-13'], ['retrans >= 99999999999999999', 'E_METRIC_VALUE 11-28'],
  ['rtt >', 'E_SYNTAX 5-5'], ['rtt', 'E_SYNTAX 3-3'], ['rtt > 5ms and', 'E_SYNTAX 13-13'], ['rtt > > 5', 'E_SYNTAX 6-7'],
  ['rtt>5ms', 'E_SYNTAX 0-7'], ['sport = :22 rtt>5ms', 'E_SYNTAX 12-19'],
]

t.test('parse table', async (t) => {
  for (const [input, expected] of CASES) t.equal(run(input), expected, JSON.stringify(input))
})

t.test('every metric word parses, with its unit class', async (t) => {
  const sample: Record<string, string> = { time: '5ms', bytes: '4K', count: '3', id: '7' }
  for (const name of METRIC_NAMES) {
    const r = run(`${name} >= ${sample[METRIC_UNITS[name]]}`)
    t.match(r, new RegExp(`^\\(metric ${name} ge \\d+\\)$`), name)
  }
  t.equal(METRIC_NAMES.length, 21)
})

t.test('messages say what was expected and point at it', async (t) => {
  const unit = error('rtt > 50m')
  t.equal(unit.message, 'unknown unit "m" in "50m": expected us, ms or s')
  t.strictSame(unit.notes, ['did you mean "50ms"?', 'rtt takes a time (e.g. 50ms, 200us, 1.5s; no unit = ms)'])
  t.equal(error('cwnd > 5K').message, 'cwnd takes a number without a unit, found unit "K" in "5K"')
  t.equal(error('bytes_sent > 3KiB').notes[0], 'did you mean "3K"?')
  t.equal(error('rtt > 0.5us').message, '0.5us is not a whole number of microseconds')
  t.equal(error('rtt >').message, 'expected a time (e.g. 50ms, 200us, 1.5s; no unit = ms) after "rtt >", found end of filter')
  t.equal(error('uid').message, 'expected an operator (=, !=, <, <=, >, >=) or a whole number after "uid", found end of filter')
  t.match(error('rtt>5ms').notes[0], 'tokens are separated by blanks: write "rtt > 5ms"')
  t.match(error('rtt > -1').notes, ['rtt takes a time (e.g. 50ms, 200us, 1.5s; no unit = ms)', 'metrics are never negative'])
  t.match(error('foo').message, /a metric such as rtt/)
})

t.test('values are scaled exactly (no float rounding)', async (t) => {
  const S = { start: 0, end: 1 }
  t.equal(parseMetricValue('rtt', '0.001s', S).value, 1000)
  t.equal(parseMetricValue('rtt', '0.000001s', S).value, 1)
  t.equal(parseMetricValue('bytes_sent', '0.5K', S).value, 512)
  t.equal(parseMetricValue('bytes_sent', '8388607G', S).value, 8388607 * 1024 ** 3)
  t.throws(() => parseMetricValue('bytes_sent', '8388608G', S), { code: 'E_METRIC_VALUE' })
  t.strictSame(parseMetricValue('rtt', '7', S), { value: 7000, unit: null })
  t.strictSame(parseMetricValue('rqueue', '1k', S), { value: 1024, unit: 'k' })
})

// ---------------------------------------------------------------- round trip


const SS_LEAVES = ['src 10.0.0.1', 'dst [::1]:443', 'sport = :22', 'dport != :80', 'sport >= :1024', 'dport < *', 'autobound', 'src rtt', 'dev cwnd', 'fwmark 0x10/0xff']
  .map((s) => parseFilter({ words: [s] }, { preferredFamily: 0 }).expr!)

const UNITS: Record<string, readonly string[]> = { time: ['', 'us', 'ms', 's'], bytes: ['', 'K', 'k', 'M', 'G', 'KB', 'b'], count: [''], id: [''] }
const metricLeaf: fc.Arbitrary<Expr> = fc
  .record({
    field: fc.constantFrom(...METRIC_NAMES),
    op: fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge' as const),
    n: fc.nat({ max: 100000 }),
    pick: fc.nat(),
  })
  .map(({ field, op, n, pick }): Expr => {
    const units = UNITS[METRIC_UNITS[field]]!
    const text = `${n}${units[pick % units.length]}`
    const value = parseMetricValue(field as MetricName, text, S0).value
    return { kind: 'metric', field, op, value, text, valueSpan: S0, span: S0 }
  })

const leaf = fc.oneof(fc.constantFrom(...SS_LEAVES), metricLeaf)
const tree = exprTree(leaf)

for (const mode of ['ss', 'manual'] as const satisfies readonly Precedence[]) {
  t.test(`parse(print(ast)) = ast with metrics, ${mode} precedence`, async (t) => {
    fc.assert(
      fc.property(tree, (ast) => {
        const text = printExpr(ast, mode)
        const back = parseFilter({ words: [text] }, { preferredFamily: 0, precedence: mode }).expr
        return JSON.stringify(strip(back)) === JSON.stringify(strip(ast))
      }),
      { numRuns: 1000 },
    )
    t.pass('held over 1000 trees')
  })
}
