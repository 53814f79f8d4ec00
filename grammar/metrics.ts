/**
 * The words ssx adds to ss's filter language: socket metrics that inet_diag
 * bytecode cannot test (`rtt > 50ms`, `retrans >= 1`, `rqueue > 0K`,
 * `uid = 1000`), named as `ss -i`/`-e` print them, and the parsing of their
 * values with units. The grammar only needs a name's unit class; where each
 * value comes from (tcp_info member, inet_diag_msg field) is the compiler's
 * table (`compiler/metrics.ts`).
 *
 * Values are kept in a base unit: microseconds for times, bytes for sizes,
 * plain numbers otherwise. A time without a unit is in milliseconds, the
 * unit `ss -i` prints `rtt`, `rto` and `lastsnd` in.
 */
import type { Span } from './ast.js'
import { FilterError } from './errors.js'

/** How a metric's values are written. */
export type MetricUnitClass = 'time' | 'bytes' | 'count' | 'id'

/** Every metric word, with its unit class. Never renamed: filters are written with these names. */
export const METRIC_UNITS = Object.freeze({
  rtt: 'time',
  rttvar: 'time',
  rto: 'time',
  lastsnd: 'time',
  lastrcv: 'time',
  lastack: 'time',
  mss: 'bytes',
  bytes_sent: 'bytes',
  bytes_acked: 'bytes',
  bytes_received: 'bytes',
  rqueue: 'bytes',
  wqueue: 'bytes',
  cwnd: 'count',
  ssthresh: 'count',
  retrans: 'count',
  lost: 'count',
  unacked: 'count',
  segs_in: 'count',
  segs_out: 'count',
  uid: 'id',
  ino: 'id',
} as const satisfies Record<string, MetricUnitClass>)

/** A metric word. */
export type MetricName = keyof typeof METRIC_UNITS

/** Every metric word, in table order. */
export const METRIC_NAMES: readonly MetricName[] = Object.freeze(Object.keys(METRIC_UNITS) as MetricName[])

/** Is `text` a metric word? */
export function isMetricName(text: string): text is MetricName {
  return Object.hasOwn(METRIC_UNITS, text)
}

/** Time units, in microseconds (the base unit). */
export const TIME_UNITS: Readonly<Record<string, number>> = Object.freeze({ us: 1, ms: 1000, s: 1_000_000 })
/** A time without a unit is in milliseconds, as `ss -i` prints rtt, rto and lastsnd. */
export const DEFAULT_TIME_UNIT = 'ms'

/**
 * Size units, case-insensitive, powers of 1024 as iproute2's `get_size`
 * (tc) reads `k`/`kb`, `m`/`mb`, `g`/`gb`; `b` is bytes.
 */
export const SIZE_UNITS: Readonly<Record<string, number>> = Object.freeze({ b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 })

/** A parsed metric value: the number in the base unit and the unit as written (null: none). */
export interface MetricValue {
  readonly value: number
  readonly unit: string | null
}

const NUMBER = /^([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)$/

/** What a value of a class is called in messages. */
const NOUN: Readonly<Record<MetricUnitClass, string>> = Object.freeze({
  time: 'a time (e.g. 50ms, 200us, 1.5s; no unit = ms)',
  bytes: 'a size in bytes (e.g. 0, 1500, 64K, 2M)',
  count: 'a whole number',
  id: 'a whole number',
})

/**
 * The note for a word that is a metric glued to its operator (`rtt>50ms`):
 * ss separates tokens by blanks only, so such a word is a host name to it.
 * Null when the word is not one.
 */
export function gluedMetricHint(text: string): string | null {
  const m = /^([a-z_]+)(==|!=|>=|<=|=|>|<)(.*)$/.exec(text)
  if (!m || !isMetricName(m[1]!)) return null
  return `tokens are separated by blanks: write "${m[1]} ${m[2]} ${m[3]}"`
}

/** What a value of `field` is called in messages ("a time (e.g. 50ms…)"). */
export function metricValueNoun(field: MetricName): string {
  return NOUN[METRIC_UNITS[field]]
}

/**
 * Parse the value of a metric predicate: a decimal number, a fraction
 * only where a unit makes it whole, and a unit for times and sizes.
 * @throws FilterError `E_METRIC_VALUE` (not a number, not whole, too large)
 *   or `E_METRIC_UNIT` (unknown or misplaced unit), spanning the value
 */
export function parseMetricValue(field: MetricName, text: string, span: Span): MetricValue {
  const cls = METRIC_UNITS[field]
  const m = NUMBER.exec(text)
  if (!m) {
    const notes = [`${field} takes ${NOUN[cls]}`]
    if (/^-/.test(text)) notes.push('metrics are never negative')
    throw new FilterError('E_METRIC_VALUE', `expected ${NOUN[cls]} after "${field}", found "${text}"`, span, notes)
  }
  const digits = m[1]!
  const unitText = m[2]!
  let scale = 1
  let unit: string | null = null
  if (unitText !== '') {
    const known = unitTable(cls)
    const key = cls === 'bytes' ? unitText.toLowerCase() : unitText
    if (known === null) {
      throw new FilterError('E_METRIC_UNIT', `${field} takes a number without a unit, found unit "${unitText}" in "${text}"`, span, [`${field} counts ${cls === 'id' ? 'nothing with a unit' : 'segments or packets'}: write ${digits}`])
    }
    if (!Object.hasOwn(known, key)) {
      const expected = cls === 'time' ? 'us, ms or s' : 'K, M or G (powers of 1024; KB, MB, GB and b also accepted)'
      const notes = [`${field} takes ${NOUN[cls]}`]
      const near = suggestUnit(unitText, cls)
      if (near !== null) notes.unshift(`did you mean "${digits}${near}"?`)
      throw new FilterError('E_METRIC_UNIT', `unknown unit "${unitText}" in "${text}": expected ${expected}`, span, notes)
    }
    scale = known[key]!
    unit = unitText
  } else if (cls === 'time') {
    scale = TIME_UNITS[DEFAULT_TIME_UNIT]!
  }
  const value = scaled(digits, scale)
  if (value === null) {
    const base = cls === 'time' ? 'microseconds' : cls === 'bytes' ? 'bytes' : 'units'
    throw new FilterError('E_METRIC_VALUE', `${text} is not a whole number of ${base}`, span, [cls === 'time' || cls === 'bytes' ? `${field} is compared in ${base}` : `${field} takes ${NOUN[cls]}`])
  }
  if (value > Number.MAX_SAFE_INTEGER) {
    throw new FilterError('E_METRIC_VALUE', `${text} is too large for ${field}`, span, [`the largest value is ${Number.MAX_SAFE_INTEGER}`])
  }
  return { value, unit }
}

function unitTable(cls: MetricUnitClass): Readonly<Record<string, number>> | null {
  return cls === 'time' ? TIME_UNITS : cls === 'bytes' ? SIZE_UNITS : null
}

/** `digits` (decimal, maybe with a fraction) × `scale` when that is a whole number, exactly (no float rounding). */
function scaled(digits: string, scale: number): number | null {
  const [whole, frac = ''] = digits.split('.') as [string, string?]
  const den = 10n ** BigInt(frac.length)
  const num = BigInt(whole + frac) * BigInt(scale)
  if (num % den !== 0n) return null
  const v = num / den
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER + 1 : Number(v)
}

/** The unit a mistyped one most likely meant, for the note. */
function suggestUnit(unit: string, cls: MetricUnitClass): string | null {
  const u = unit.toLowerCase()
  if (cls === 'time') {
    if (u === 'ms' || u === 'msec' || u === 'msecs' || u === 'millis') return 'ms'
    if (u === 'us' || u === 'usec' || u === 'usecs' || u === 'µs' || u === 'micros') return 'us'
    if (u === 's' || u === 'sec' || u === 'secs' || u === 'second' || u === 'seconds') return 's'
    if (u === 'm' || u === 'min') return 'ms'
    return null
  }
  if (cls === 'bytes') {
    if (u === 'kib' || u === 'kbyte' || u === 'kbytes') return 'K'
    if (u === 'mib' || u === 'mbyte' || u === 'mbytes') return 'M'
    if (u === 'gib' || u === 'gbyte' || u === 'gbytes') return 'G'
  }
  return null
}
