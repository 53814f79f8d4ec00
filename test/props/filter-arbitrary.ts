/**
 * fast-check arbitraries of ss filters, as argv word lists.
 *
 * Every generated filter is syntactically valid for ss 6.1 (ss-behavior §3.4)
 * and its values parse (§4.6, §4.9): ports are numbers in several bases,
 * `*`, `-1` or out-of-range numbers; addresses stay within one family when
 * `-4`/`-6` is given and are never family-prefixed (a prefix changes the
 * preferred family and would turn later values into errors, §4.7); no word
 * starts with `-` (getopt would take it as an option, §0). Service names,
 * host names, `cgroup` and `-F` are left to hand-written cases: their
 * meaning depends on the machine.
 *
 * The tree shape is left to ss's grammar: the words `a or b and c` are
 * generated as they are, and both parsers must agree on what they mean.
 */
import fc from 'fast-check'

/** Which addresses a generated filter may contain. */
export type AddressFamilyMode = 'any' | 'inet' | 'inet6'

/** One generated invocation: options, `state`/`exclude` words, filter words. */
export interface SsInvocation {
  readonly options: readonly string[]
  readonly states: readonly string[]
  readonly filter: readonly string[]
}

/** The argv of an invocation, in the order ss's getopt and `main` expect. */
export function invocationArgv(inv: SsInvocation): string[] {
  return [...inv.options, ...inv.states, ...inv.filter]
}

const portNumber = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 65535 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 65535 }).map((n) => `0x${n.toString(16)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 0o177777 }).map((n) => `0${n.toString(8)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 65536, max: 99999 }).map(String) },
  { weight: 1, arbitrary: fc.constant('-1') },
)

/** A port value as written after `sport =` (port mode: the leading `:` is optional). */
export const portValueArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: portNumber.map((p) => `:${p}`) },
  { weight: 2, arbitrary: portNumber.filter((p) => !p.startsWith('-')) },
  { weight: 1, arbitrary: fc.constantFrom(':*', '*', ':') },
)

const octet = fc.integer({ min: 0, max: 255 })

/** Prefix length, sometimes in hex, octal or as a dotted netmask (IPv4 only). */
function prefixLen(max: number, netmask: boolean): fc.Arbitrary<string> {
  const n = fc.integer({ min: 0, max })
  const forms = [
    { weight: 6, arbitrary: n.map(String) },
    { weight: 1, arbitrary: n.map((x) => `0x${x.toString(16)}`) },
  ]
  if (netmask) {
    forms.push({
      weight: 1,
      arbitrary: fc.integer({ min: 0, max: 32 }).map((len) => {
        const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0
        return [24, 16, 8, 0].map((s) => (mask >>> s) & 0xff).join('.')
      }),
    })
  }
  return fc.oneof(...forms)
}

const portSuffix = fc.option(portNumber.map((p) => `:${p}`), { nil: '', freq: 2 })

/** IPv4 host values: full or partial dotted quads, prefixes, netmasks, ports. */
export const ipv4HostArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.array(octet, { minLength: 4, maxLength: 4 }), portSuffix).map(([o, p]) => `${o.join('.')}${p}`) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.array(octet, { minLength: 1, maxLength: 4 }), prefixLen(32, true), portSuffix)
      .map(([o, len, p]) => `${o.join('.')}/${len}${p}`),
  },
  { weight: 1, arbitrary: fc.array(octet, { minLength: 1, maxLength: 3 }).map((o) => o.join('.')) },
)

const v6Address = fc.oneof(
  { weight: 3, arbitrary: fc.ipV6() },
  { weight: 1, arbitrary: fc.ipV4().map((a) => `::ffff:${a}`) },
  { weight: 1, arbitrary: fc.constantFrom('::', '::1', 'fe80::1', '2001:db8::', 'ff02::1:ff00:0') },
)

/** IPv6 host values: bracketed (optionally with port) or bare with a prefix length. */
export const ipv6HostArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(v6Address, portSuffix).map(([a, p]) => `[${a}]${p}`) },
  { weight: 2, arbitrary: fc.tuple(v6Address, prefixLen(128, false), portSuffix).map(([a, len, p]) => `[${a}/${len}]${p}`) },
  { weight: 1, arbitrary: fc.tuple(v6Address, prefixLen(128, false)).map(([a, len]) => `${a}/${len}`) },
)

/** Family-free host values: wildcard, port only, match-everything words. */
const anyFamilyHostArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant('*'),
  portNumber.map((p) => `*:${p}`),
  portNumber.map((p) => `:${p}`),
  fc.constantFrom('default', 'any', 'all'),
)

/** Host values allowed under a family mode. */
export function hostValueArb(mode: AddressFamilyMode): fc.Arbitrary<string> {
  const own = mode === 'inet' ? [ipv4HostArb] : mode === 'inet6' ? [ipv6HostArb] : [ipv4HostArb, ipv6HostArb]
  return fc.oneof(
    ...own.map((arbitrary) => ({ weight: 4, arbitrary })),
    { weight: 1, arbitrary: anyFamilyHostArb },
  )
}

/** A fwmark value: `MARK` or `MARK/MASK`, each decimal, hex or octal. */
export const markValueArb: fc.Arbitrary<string> = (() => {
  const u32 = fc.oneof(
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0x7fffffff }),
    fc.constantFrom(0, 1, 0xffffffff),
  )
  const num = fc.oneof(
    { weight: 3, arbitrary: u32.map((n) => `0x${n.toString(16)}`) },
    { weight: 2, arbitrary: u32.map(String) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 0o7777 }).map((n) => `0${n.toString(8)}`) },
  )
  return fc.oneof(num, fc.tuple(num, num).map(([m, k]) => `${m}/${k}`))
})()

const eqOp = fc.constantFrom('=', '==', 'eq')
const optEq = fc.oneof(eqOp.map((o) => [o]), fc.constant([] as string[]))
const portOp = fc.constantFrom('', '=', '==', 'eq', '!=', 'ne', 'neq', '>=', 'ge', 'geq', '<=', 'le', 'leq', '>', 'gt', '<', 'lt')
const eqNeOp = fc.constantFrom('', '=', '==', 'eq', '!=', 'ne', 'neq')
const opt = (op: string): string[] => (op === '' ? [] : [op])

/** One predicate, as words. `dev` is limited to `lo` and numbers, which mean the same in every namespace. */
export function predicateArb(mode: AddressFamilyMode): fc.Arbitrary<string[]> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom('sport', 'dport'), portOp, portValueArb).map(([k, o, v]) => [k, ...opt(o), v]) },
    { weight: 5, arbitrary: fc.tuple(fc.constantFrom('src', 'dst'), optEq, hostValueArb(mode)).map(([k, o, v]) => [k, ...o, v]) },
    { weight: 2, arbitrary: fc.tuple(eqNeOp, markValueArb).map(([o, v]) => ['fwmark', ...opt(o), v]) },
    { weight: 1, arbitrary: fc.constant<string[]>(['autobound']) },
    { weight: 1, arbitrary: fc.tuple(eqNeOp, fc.constantFrom('lo', '1', '0', '7')).map(([o, v]) => ['dev', ...opt(o), v]) },
  )
}

const binaryOp = fc.constantFrom('and', '&', '&&', 'or', '|', '||', '')
const notOp = fc.constantFrom('!', 'not')

/**
 * A filter expression as argv words: predicates joined by and/or/implicit
 * and, with `!`/`not` and parentheses, at most `maxDepth` groups deep.
 */
export function filterWordsArb(mode: AddressFamilyMode = 'any', maxDepth = 3): fc.Arbitrary<string[]> {
  const { list } = fc.letrec<{ list: string[], expr: string[] }>((tie) => ({
    list: fc.tuple(tie('expr'), fc.array(fc.tuple(binaryOp, tie('expr')), { maxLength: 3 }))
      .map(([first, rest]) => [...first, ...rest.flatMap(([op, e]) => [...opt(op), ...e])]),
    expr: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      { weight: 6, arbitrary: predicateArb(mode) },
      { weight: 1, arbitrary: fc.tuple(notOp, tie('expr')).map(([n, e]) => [n, ...e]) },
      { weight: 1, arbitrary: tie('list').map((l) => ['(', ...l, ')']) },
    ),
  }))
  return list
}

/** Table, state and extension options (the family option is added from the mode). */
const optionSets: readonly (readonly string[])[] = [
  [], ['-t'], ['-u'], ['-tu'], ['-ta'], ['-tl'], ['-ua'], ['-M'], ['-tM'], ['-tn'],
  ['-tm'], ['-ti'], ['-t', '--tos'], ['-te'], ['-tmi', '--tos'], ['-to'], ['-um'],
  ['-A', 'tcp,udp'], ['-A', 'inet'], ['-A', 'tcp,mptcp'], ['-a'], ['-l'], ['-d'], ['-w'], ['-tua'],
]

const stateWords: readonly (readonly string[])[] = [
  ['state', 'established'], ['state', 'listening'], ['state', 'connected'], ['state', 'synchronized'],
  ['state', 'bucket'], ['state', 'big'], ['state', 'all'], ['exclude', 'time-wait'],
  ['state', 'syn-sent', 'state', 'fin-wait-1'], ['excl', 'listening', 'state', 'established'],
]

/** A whole invocation: options (with `-4`/`-6` matching the addresses), maybe a state prefix, a filter. */
export const ssInvocationArb: fc.Arbitrary<SsInvocation> = fc
  .constantFrom<AddressFamilyMode>('any', 'any', 'any', 'inet', 'inet6')
  .chain((mode) => fc.record({
    options: fc.constantFrom(...optionSets).map((o) => (mode === 'any' ? [...o] : [...o, mode === 'inet' ? '-4' : '-6'])),
    states: fc.oneof({ weight: 4, arbitrary: fc.constant([] as string[]) }, { weight: 1, arbitrary: fc.constantFrom(...stateWords).map((s) => [...s]) }),
    filter: filterWordsArb(mode),
  }))
