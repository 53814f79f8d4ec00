// formatG's toPrecision fast path gives the same text as its general
// toExponential/toFixed code (kept here as the reference) on values near
// every boundary: 1e-4, powers of ten, rounding that carries into a new
// digit, huge and tiny numbers, precisions 0–8.
import t from 'tap'
import fc from 'fast-check'
import { formatG, msG } from '../../src/cli/format-extras.js'

function reference(x: number, precision = 6): string {
  if (x === 0) return '0'
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf'
  const p = precision === 0 ? 1 : precision
  const [mant, expText] = x.toExponential(p - 1).split('e') as [string, string]
  const exp = Number(expText)
  const strip = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s)
  if (exp < -4 || exp >= p) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  return strip(x.toFixed(p - 1 - exp))
}

const nearPowers = fc.tuple(fc.integer({ min: -8, max: 22 }), fc.double({ min: 0.9999, max: 1.0001, noNaN: true }), fc.boolean())
  .map(([e, f, neg]) => (neg ? -1 : 1) * 10 ** e * f)
const carries = fc.tuple(fc.integer({ min: -6, max: 8 }), fc.integer({ min: 1, max: 9 }), fc.double({ min: 0, max: 1e-6, noNaN: true }))
  .map(([e, d, r]) => (d + 0.99999949 + r) * 10 ** e)
const values = fc.oneof(fc.double({ noNaN: true }), nearPowers, carries, fc.integer().map((i) => i / 1000), fc.constantFrom(1e-4, 9.99999e-5, 0.0001000005, 999999.5, 1e21, 123456789))

t.test('fast path = general code', async (t) => {
  fc.assert(fc.property(values, fc.integer({ min: 0, max: 8 }), (x, p) => formatG(x, p) === reference(x, p)), { numRuns: 5000 })
  t.pass('5000 values agree')
})

const cases: [number, number, string][] = [
  [0.042, 6, '0.042'], [9.9999996, 6, '10'], [0.00009999996, 6, '0.0001'], [999999.6, 6, '1e+06'], [123.0, 3, '123'], [1.5, 0, '2'],
]
for (const [x, p, want] of cases) t.equal(formatG(x, p), want, `${x} %.${p}g`)

t.test('msG(us) = formatG(us / 1000), cached or not', async (t) => {
  fc.assert(fc.property(fc.oneof(fc.nat(1 << 17), fc.nat(), fc.double({ min: 0, max: 1e9, noNaN: true }), fc.integer({ min: -5, max: -1 })), (us) => {
    // Twice: the second answer comes from the cache.
    return msG(us) === formatG(us / 1000) && msG(us) === formatG(us / 1000)
  }), { numRuns: 5000 })
  t.pass('5000 values')
})
