/**
 * Metric predicates in the compiler: where values come from (tables, one
 * line per rule: missing values, TIME-WAIT placeholders, u64 counters,
 * scaling), `not` over a missing value, the kernel's over-approximation
 * (sound: every socket the filter accepts passes it; property over random
 * filters and sockets), and what the plan asks the kernel for.
 */
import t from 'tap'
import fc from 'fast-check'
import type { Span } from '../../grammar/ast.js'
import type { Filter, MetricNode } from '../../compiler/filter.js'
import type { FilterSocket, FilterTcpInfo } from '../../compiler/socket.js'
import { evaluate } from '../../compiler/evaluate.js'
import { kernelApproximation } from '../../compiler/lower.js'
import { METRICS, compareMetric, metricsOf, needsTcpInfo, readMetric } from '../../compiler/metrics.js'
import { compilePlan } from '../../compiler/compile.js'
import { METRIC_NAMES } from '../../grammar/metrics.js'
import { parseFilter } from '../../grammar/index.js'
import { resolveFilter, type Resolver } from '../../compiler/resolve.js'
import { printFilter } from '../../src/cli/filter-text.js'
import { selectSockets } from '../../compiler/select.js'
import { parseArgv } from '../../src/cli/argv.js'
import { CommandFailure, compileArgv, listingTarget } from '../../src/cli/compile.js'

const S: Span = { start: 0, end: 1 }
const env = { localPortRange: [32768, 60999] as const }

const info: FilterTcpInfo = {
  rtt: 12_345, rttvar: 500, rto: 204_000, sndMss: 1448, sndCwnd: 10, sndSsthresh: 2147483647, totalRetrans: 3, lost: 0, unacked: 2,
  bytesSent: 5_000_000_000n, bytesAcked: 4096n, bytesReceived: 0n, segsIn: 7, segsOut: 9, lastDataSent: 1500, lastDataRecv: 0, lastAckRecv: 20,
}
/** A full TCP socket: SHUTDOWN came, tcp_info came. */
const est: FilterSocket = { family: 2, state: 1, localPort: 40000, remotePort: 22, shutdown: 0, rqueue: 0, wqueue: 120, uid: 1000, inode: 4242, tcpInfo: info }
/** The same without INET_DIAG_INFO (not requested, or UDP). */
const noInfo: FilterSocket = { ...est, tcpInfo: undefined }
/** TIME-WAIT: no SHUTDOWN, no tcp_info, placeholder zeros. */
const tw: FilterSocket = { family: 2, state: 6, localPort: 40001, remotePort: 22, rqueue: 0, wqueue: 0, uid: 0, inode: 0 }
/** Request socket (SYN-RECV): the same. */
const req: FilterSocket = { family: 10, state: 3, localPort: 22, remotePort: 50000, rqueue: 0, wqueue: 0, uid: 0, inode: 0 }
/** Unix socket with RQLEN and without UID. */
const ux: FilterSocket = { family: 1, state: 1, localPort: 777, remotePort: 778, inode: 777, rqueue: 5, wqueue: 0 }

const m = (field: MetricNode['field'], op: MetricNode['op'], value: number): Filter => ({ kind: 'metric', field, op, value, span: S })
const not = (operand: Filter): Filter => ({ kind: 'not', operand, span: S })
const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right, span: S })
const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right, span: S })
const dport = (port: number): Filter => ({ kind: 'hostcond', dir: 'dst', cond: { family: 'inet', af: 0, addrs: [], port }, span: S })

t.test('readMetric: source, unit, and who reports it', async (t) => {
  const cases: [string, MetricNode['field'], FilterSocket, number | bigint | undefined][] = [
    ['rtt in µs as tcp_info has it', 'rtt', est, 12_345],
    ['rto in µs', 'rto', est, 204_000],
    ['lastsnd: tcp_info ms → µs', 'lastsnd', est, 1_500_000],
    ['lastrcv 0 is a value', 'lastrcv', est, 0],
    ['retrans is the lifetime total', 'retrans', est, 3],
    ['cwnd', 'cwnd', est, 10],
    ['ssthresh "infinite"', 'ssthresh', est, 2147483647],
    ['u64 counter stays a bigint', 'bytes_sent', est, 5_000_000_000n],
    ['mss', 'mss', est, 1448],
    ['tcp_info not requested: no rtt', 'rtt', noInfo, undefined],
    ['TIME-WAIT: no rtt', 'rtt', tw, undefined],
    ['TIME-WAIT: uid placeholder is no value', 'uid', tw, undefined],
    ['TIME-WAIT: rqueue placeholder is no value', 'rqueue', tw, undefined],
    ['request sock: ino placeholder is no value', 'ino', req, undefined],
    ['full socket without tcp_info still has uid', 'uid', noInfo, 1000],
    ['wqueue', 'wqueue', est, 120],
    ['ino', 'ino', est, 4242],
    ['unix: rqueue from RQLEN', 'rqueue', ux, 5],
    ['unix: ino', 'ino', ux, 777],
    ['unix: uid not shown → none', 'uid', ux, undefined],
    ['unix: no tcp_info', 'cwnd', ux, undefined],
    ['older kernel, shorter tcp_info', 'bytes_sent', { ...est, tcpInfo: { rtt: 1 } }, undefined],
  ]
  for (const [name, field, sock, want] of cases) t.equal(readMetric(field, sock), want, name)
})

t.test('every metric has a documented source', async (t) => {
  for (const name of METRIC_NAMES) {
    const spec = METRICS[name]
    t.equal(spec.name, name)
    t.match(spec.source.member, /^(tcpi|idiag)_/, name)
    t.ok(spec.reportedBy.length > 0 && spec.meaning.length > 0, name)
  }
})

t.test('compareMetric is exact for bigint counters', async (t) => {
  const big = 2n ** 60n + 1n
  t.equal(compareMetric(big, 'gt', 2 ** 60), true)
  t.equal(compareMetric(big, 'eq', 2 ** 60), false)
  t.equal(compareMetric(2n ** 60n, 'eq', 2 ** 60), true)
  t.equal(compareMetric(2n ** 60n, 'ne', 2 ** 60), false)
  t.equal(compareMetric(5, 'le', 5), true)
  t.equal(compareMetric(5, 'lt', 5), false)
  t.equal(compareMetric(5, 'ge', 6), false)
})

t.test('evaluator: missing values satisfy no comparison; not inverts', async (t) => {
  const cases: [string, Filter, FilterSocket, boolean][] = [
    ['rtt > 10ms', m('rtt', 'gt', 10_000), est, true],
    ['rtt > 20ms', m('rtt', 'gt', 20_000), est, false],
    ['rtt = 12345us', m('rtt', 'eq', 12_345), est, true],
    ['rtt != 1us', m('rtt', 'ne', 1), est, true],
    ['TIME-WAIT: rtt > 0', m('rtt', 'gt', 0), tw, false],
    ['TIME-WAIT: rtt <= 0', m('rtt', 'le', 0), tw, false],
    ['TIME-WAIT: rtt != 5ms (no value: false)', m('rtt', 'ne', 5000), tw, false],
    ['TIME-WAIT: not rtt > 5ms (true)', not(m('rtt', 'gt', 5000)), tw, true],
    ['TIME-WAIT: not rtt = 5ms (true)', not(m('rtt', 'eq', 5000)), tw, true],
    ['TIME-WAIT: uid = 0 (placeholder: false)', m('uid', 'eq', 0), tw, false],
    ['TIME-WAIT: not uid = 0', not(m('uid', 'eq', 0)), tw, true],
    ['request: rqueue = 0', m('rqueue', 'eq', 0), req, false],
    ['no info: cwnd < 100', m('cwnd', 'lt', 100), noInfo, false],
    ['bytes_sent > 4G (bigint)', m('bytes_sent', 'gt', 4 * 1024 ** 3), est, true],
    ['lastsnd > 1s', m('lastsnd', 'gt', 1_000_000), est, true],
    ['lastsnd > 1500ms', m('lastsnd', 'gt', 1_500_000), est, false],
    ['with ss: dport = :22 and retrans >= 1', and(dport(22), m('retrans', 'ge', 1)), est, true],
    ['with ss: dport = :23 or uid = 1000', or(dport(23), m('uid', 'eq', 1000)), est, true],
    ['unix: rqueue > 0', m('rqueue', 'gt', 0), ux, true],
    ['unix: rtt > 0', m('rtt', 'gt', 0), ux, false],
  ]
  for (const [name, f, sock, want] of cases) t.equal(evaluate(f, sock, env), want, name)
})

// ------------------------------------------------------------ approximation

t.test('kernelApproximation: table', async (t) => {
  const show = (f: Filter): string => {
    const k = kernelApproximation(f)
    return k === null ? 'none' : printFilter(k)
  }
  const cases: [Filter, string][] = [
    [dport(22), 'dst *:22'],
    [m('rtt', 'gt', 1), 'none'],
    [and(dport(22), m('rtt', 'gt', 1)), 'dst *:22'],
    [or(dport(22), m('rtt', 'gt', 1)), 'none'],
    [not(m('rtt', 'gt', 1)), 'none'],
    [not(and(m('rtt', 'gt', 1), dport(22))), 'none'],
    [not(or(m('rtt', 'gt', 1), dport(22))), 'not dst *:22'],
    [and(not(dport(22)), m('cwnd', 'gt', 10)), 'not dst *:22'],
    [or(and(dport(22), m('rtt', 'gt', 1)), dport(80)), '(dst *:22 or dst *:80)'],
    [not(not(and(dport(22), m('rtt', 'gt', 1)))), 'not not dst *:22'],
  ]
  for (const [f, want] of cases) t.equal(show(f), want, printFilter(f))
  // Without metrics the very same object comes back: ss's bytes are kept.
  const plain = and(dport(22), not(dport(80)))
  t.equal(kernelApproximation(plain), plain)
})

const sockArb: fc.Arbitrary<FilterSocket> = fc.record({
  remotePort: fc.constantFrom(22, 80, 443),
  full: fc.boolean(),
  rtt: fc.option(fc.constantFrom(0, 500, 5000, 50_000), { nil: undefined }),
  cwnd: fc.constantFrom(1, 10, 100),
  uid: fc.constantFrom(0, 1000),
}).map(({ remotePort, full, rtt, cwnd, uid }): FilterSocket => ({
  family: 2, state: full ? 1 : 6, localPort: 40000, remotePort, ...(full ? { shutdown: 0, uid, inode: 1, rqueue: 0, wqueue: 0 } : { uid: 0 }),
  ...(full && rtt !== undefined ? { tcpInfo: { rtt, sndCwnd: cwnd } } : {}),
}))
const leafArb: fc.Arbitrary<Filter> = fc.oneof(
  fc.constantFrom(22, 80, 443).map(dport),
  fc.record({ op: fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge' as const), v: fc.constantFrom(0, 500, 5000, 50_000) }).map(({ op, v }) => m('rtt', op, v)),
  fc.record({ op: fc.constantFrom('eq', 'ne', 'lt', 'gt' as const), v: fc.constantFrom(1, 10, 100) }).map(({ op, v }) => m('cwnd', op, v)),
  fc.constantFrom(0, 1000).map((v) => m('uid', 'eq', v)),
)
const { filterArb } = fc.letrec<{ filterArb: Filter }>((tie) => ({
  filterArb: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    tie('filterArb').map(not),
    fc.tuple(tie('filterArb'), tie('filterArb')).map(([l, r]) => and(l, r)),
    fc.tuple(tie('filterArb'), tie('filterArb')).map(([l, r]) => or(l, r)),
  ),
}))

t.test('kernelApproximation is sound: filter(s) ⇒ approximation(s), and has no metric', async (t) => {
  fc.assert(
    fc.property(filterArb, sockArb, (f, s) => {
      const k = kernelApproximation(f)
      if (k !== null && metricsOf(k).length > 0) return false
      return !evaluate(f, s, env) || k === null || evaluate(k, s, env)
    }),
    { numRuns: 2000 },
  )
  t.pass('held over 2000 filters and sockets')
})

// ------------------------------------------------------------------- plans

const resolver: Resolver = {
  service: () => undefined, hosts: () => [], ifindex: () => undefined, cgroupId: () => ({ failure: 'none' }), netlinkProto: () => undefined,
}

async function plan(argv: string[]): Promise<ReturnType<typeof compilePlan>> {
  const args = parseArgv(argv, {})
  const sel = selectSockets({ options: args.options, words: args.words })
  const parsed = parseFilter({ words: [...sel.rest] }, { preferredFamily: sel.preferredFamily })
  const filter = parsed.expr ? await resolveFilter(parsed.expr, resolver, { tables: { tcp: true, udp: true } }) : null
  return compilePlan(filter, { selection: sel, preferredFamily: parsed.preferredFamily, forcedFamily: parsed.forcedFamily })
}

t.test('plans: INET_DIAG_INFO for tcp_info metrics on TCP requests only; notes', async (t) => {
  const p = await plan(['-t', '-u', '-a', 'dport', '=', ':22', 'and', 'rtt', '>', '5ms'])
  for (const r of p.requests) t.equal(r.ext, r.table === 'tcp' ? 2 : 0, `${r.table} ext`)
  t.ok(p.requests.every((r) => r.program !== null), 'the ss part is still compiled')
  t.equal(p.kernel && printFilter(p.kernel), 'dst *:22')
  t.equal(p.residual && printFilter(p.residual), '(dst *:22 and rtt > 5000us)')
  t.match(p.notes.map((n) => n.message).join('\n'), /rtt cannot be tested by inet_diag bytecode: the kernel runs only the rest/)
  t.match(p.notes.map((n) => n.message).join('\n'), /rtt comes from tcp_info: TCP requests ask for INET_DIAG_INFO/)

  const q = await plan(['-t', 'dport', '=', ':22', 'or', 'cwnd', '>', '10'])
  t.ok(q.requests.every((r) => r.program === null && r.ext === 2), 'or with a metric: no bytecode')
  t.equal(q.kernel, null)

  const u = await plan(['-t', '-a', 'uid', '=', '1000'])
  t.ok(u.requests.every((r) => r.ext === 0), 'uid needs no INET_DIAG_INFO')
  t.notOk(needsTcpInfo(u.residual))

  const x = await plan(['-x', '-a', 'uid', '=', '1000'])
  t.equal((x.requests[0]!.ext & 0x40) !== 0, true, 'unix requests ask for UDIAG_SHOW_UID')

  const plain = await plan(['-t', 'dport', '=', ':22'])
  t.ok(plain.requests.every((r) => r.ext === 0), 'ss filters keep ss requests')
})

t.test('--target: names checked; diag is diag, auto picks a listing target', async (t) => {
  const fail = async (argv: string[]): Promise<string> => {
    try {
      listingTarget(await compileArgv(argv, { resolver }))
    } catch (e) {
      if (e instanceof CommandFailure) return `${e.result.exitCode} ${e.result.stderr.trim()}`
      throw e
    }
    return 'ok'
  }
  // auto chooses (eBPF for tcp_info filters when it can run here, else diag): only the set is fixed.
  t.match(listingTarget(await compileArgv(['-t', 'rtt', '>', '1'], { resolver })), /^(diag|ebpf)$/, 'auto when absent')
  t.equal(listingTarget(await compileArgv(['-t', '--target', 'diag', 'rtt', '>', '1'], { resolver })), 'diag')
  t.equal(listingTarget(await compileArgv(['-t', '--target=diag'], { resolver })), 'diag')
  t.equal(await fail(['-t', '--target', 'gpu']), '255 ssx: --target must be auto, diag, ebpf or cbpf, not "gpu"')
  t.match(await fail(['-t', '--target', 'cbpf']), /^255 ssx: --target cbpf cannot list sockets/)
})

t.test('compareMetric: u64 values against fractional thresholds (a filter built by hand may hold one)', async (t) => {
  t.equal(compareMetric(5n, 'eq', 5.5), false)
  t.equal(compareMetric(5n, 'ne', 5.5), true)
  t.equal(compareMetric(5n, 'lt', 5.5), true)
  t.equal(compareMetric(2n ** 60n, 'eq', 2 ** 60), true)
  t.equal(compareMetric(2n ** 60n + 1n, 'eq', 2 ** 60), false, 'exact above 2^53')
})
