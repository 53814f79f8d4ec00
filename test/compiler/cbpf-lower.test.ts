// The classic BPF program over destroy messages against ss's user-space
// filter: for random filters and synthetic destroy messages (v4 and v6,
// every state, ports and addresses near the filter's own constants), the
// interpreter port's verdict equals the evaluator's when the program is
// exact, and is never "drop" for an event the evaluator keeps when it is
// not (whatever the parts left to user space turn out to be).
import t from 'tap'
import fc from 'fast-check'
import { compileEventFilter } from '../../compiler/cbpf/compile.js'
import { interpret } from '../../compiler/cbpf/interpret.js'
import { formatAsm } from '../../compiler/cbpf/disasm.js'
import { evaluate, type EvaluateEnv } from '../../compiler/evaluate.js'
import { readMetric } from '../../compiler/metrics.js'
import type { Filter } from '../../compiler/filter.js'
import type { FilterSocket } from '../../compiler/socket.js'
import { destroyMessage, eventArb, eventSocket, filterArb, filterFromText, filterFromWords, type DestroyEvent } from './cbpf-fixtures.js'
import { filterWordsArb } from '../props/filter-arbitrary.js'

const CI = process.env.CI === 'true'
const RUNS = Number(process.env.SSX_CBPF_RUNS ?? (CI ? 300 : 3000))
const ENV: EvaluateEnv = { localPortRange: [32768, 60999] }

/**
 * ss's filter with the unknown leaves (kinds the evaluator may not know
 * yet) answered by `oracle`: soundness must hold for every answer.
 */
function evaluateWith(f: Filter, sock: FilterSocket, oracle: (i: number) => boolean, counter = { n: 0 }): boolean {
  switch (f.kind) {
    case 'and': return evaluateWith(f.left, sock, oracle, counter) && evaluateWith(f.right, sock, oracle, counter)
    case 'or': return evaluateWith(f.left, sock, oracle, counter) || evaluateWith(f.right, sock, oracle, counter)
    case 'not': return !evaluateWith(f.operand, sock, oracle, counter)
    case 'metric':
      // compareMetric throws on a u64 value against a fractional threshold (BigInt(0.5)); the meaning is plain.
      if (!Number.isInteger(f.value) && (f.op === 'eq' || f.op === 'ne')) return readMetric(f.field, sock) !== undefined && f.op === 'ne'
      return evaluate(f, sock, ENV)
    case 'hostcond': case 'portcmp': case 'dev': case 'mark': case 'cgroup': case 'auto':
      return evaluate(f, sock, ENV)
    default:
      return oracle(counter.n++)
  }
}

const ev4 = (sport: number, dport: number, src: number[], dst: number[], more: Partial<DestroyEvent> = {}): DestroyEvent =>
  ({ family: 2, state: 1, sport, dport, src: Uint8Array.from(src), dst: Uint8Array.from(dst), ifindex: 0, protocol: 6, ...more })
const ev6 = (sport: number, dport: number, src: string, dst: string, more: Partial<DestroyEvent> = {}): DestroyEvent =>
  ({ family: 10, state: 1, sport, dport, src: hex16(src), dst: hex16(dst), ifindex: 0, protocol: 6, ...more })
const hex16 = (h: string): Uint8Array => Uint8Array.from(h.padStart(32, '0').match(/../g)!, (x) => parseInt(x, 16))

t.test('table: verdicts and exactness', async (t) => {
  const A = [10, 1, 2, 3]
  const B = [127, 0, 0, 1]
  const MAPPED_A = '00000000000000000000ffff0a010203'
  const cases: [string, DestroyEvent, boolean, boolean][] = [
    // [filter, event, kept, exact]
    ['sport = :22', ev4(22, 9, A, B), true, true],
    ['sport = :22', ev4(23, 22, A, B), false, true],
    ['dport != :443', ev4(1, 443, A, B), false, true],
    ['sport > :1023', ev4(1024, 0, A, B), true, true],
    ['sport > :1023', ev4(1023, 0, A, B), false, true],
    ['sport < :0', ev4(0, 0, A, B), false, true],
    ['sport >= :70000', ev4(65535, 0, A, B), false, true],
    ['src 10.0.0.0/8', ev4(1, 1, A, B), true, true],
    ['src 10.0.0.0/8', ev4(1, 1, B, A), false, true],
    ['src 10.0.0.0/8', ev6(1, 1, MAPPED_A, '1'), true, true],
    ['src 10.0.0.0/8', ev6(1, 1, '0a000000000000000000000000000001', '1'), true, true], // raw first byte, as ss
    ['src 10.0.0.0/8', ev6(1, 1, '1', '1'), false, true],
    ['src 0.0.0.0/0', ev6(1, 1, '1', '1'), true, true], // user space does not compare families
    ['dst [::1]', ev6(1, 1, '1', '1'), true, true],
    ['dst [::1]', ev4(1, 1, B, [0, 0, 0, 0]), false, true],
    ['dst [::ffff:10.1.2.3]', ev4(1, 1, B, A), false, true], // a v6 entry never matches a v4 socket
    ['dst 10.1.2.3:80', ev4(1, 80, B, A), true, true],
    ['dst 10.1.2.3:80', ev4(1, 81, B, A), false, true],
    ['dev lo', ev4(1, 1, A, B, { ifindex: 1 }), true, true],
    ['dev lo', ev4(1, 1, A, B, { ifindex: 256 }), false, true],
    ['autobound', ev4(40000, 1, A, B), true, false], // no range given below: left to user space
    ['src unix:/tmp/*', ev4(1, 1, A, B), false, true],
    // fwmark and cgroup read attributes through the kernel's `ld [nla]`; absent means 0, as the decoder says.
    ['fwmark 0x1', ev4(1, 1, A, B), false, true],
    ['fwmark 0x1', ev4(1, 1, A, B, { mark: 1 }), true, true],
    ['fwmark 0x1/0x1', ev4(1, 1, A, B, { mark: 0xffff }), true, true],
    ['fwmark 0x0/0xff', ev4(1, 1, A, B), true, true],
    ['fwmark 0x0/0xff', ev4(1, 1, A, B, { mark: 0x100 }), true, true],
    ['fwmark 0x0/0xff', ev4(1, 1, A, B, { mark: 0x101 }), false, true],
    ['fwmark 0x1 and sport = :22', ev4(22, 1, A, B, { mark: 1 }), true, true],
    ['not ( fwmark 0x1 and sport = :22 )', ev4(22, 1, A, B), true, true],
    ['cgroup /x', ev4(23, 1, A, B), false, true],
    ['cgroup /x', ev4(23, 1, A, B, { cgroupId: 4242n }), true, true],
    ['cgroup /x', ev4(23, 1, A, B, { cgroupId: 4242n + (1n << 32n) }), false, true],
    ['cgroup /x or not cgroup /x', ev4(23, 1, A, B), true, true],
    // Metrics read INET_DIAG_INFO (tcp_info, host order) or, for full sockets only, the message.
    ['rtt > 50ms', ev4(23, 1, A, B, { tcpInfo: { tcpi_rtt: 50001 } }), true, true],
    ['rtt > 50ms', ev4(23, 1, A, B, { tcpInfo: { tcpi_rtt: 50000 } }), false, true],
    ['rtt > 50ms', ev4(23, 1, A, B, { protocol: 17 }), false, true], // UDP: no tcp_info, no value
    ['not rtt > 50ms', ev4(23, 1, A, B, { protocol: 17 }), true, true],
    ['rtt > 50ms', ev4(23, 1, A, B, { tcpInfo: { tcpi_rtt: 60000 }, infoLen: 60 }), false, true], // too short to hold tcpi_rtt
    ['lastsnd >= 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 2 } }), true, true], // the kernel counts ms
    ['lastsnd >= 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 1 } }), false, true],
    ['bytes_acked > 4G', ev4(23, 1, A, B, { tcpInfo: { tcpi_bytes_acked: 4n * 2n ** 30n + 1n } }), true, true],
    ['bytes_acked > 4G', ev4(23, 1, A, B, { tcpInfo: { tcpi_bytes_acked: 4n * 2n ** 30n } }), false, true],
    ['rqueue > 0', ev4(23, 1, A, B, { rqueue: 5 }), false, true], // destroy messages carry no INET_DIAG_SHUTDOWN
    ['rqueue > 0', ev4(23, 1, A, B, { rqueue: 5, shutdown: 0 }), true, true],
    ['uid = 1000', ev4(23, 1, A, B, { uid: 1000, shutdown: 3 }), true, true],
    // lastsnd counts ms in the kernel: v * 1000 OP 1500 turns into floor/ceil of 1.5.
    ['lastsnd > 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 1 } }), false, true],
    ['lastsnd > 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 2 } }), true, true],
    ['lastsnd <= 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 1 } }), true, true],
    ['lastsnd != 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 1 } }), true, true],
    ['lastsnd < 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 1 } }), true, true],
    ['lastsnd < 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 2 } }), false, true],
    ['lastsnd <= 1999us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 2 } }), false, true],
    ['lastsnd = 1500us', ev4(23, 1, A, B, { tcpInfo: { tcpi_last_data_sent: 1 } }), false, true],
    ['cwnd > 4294967295', ev4(23, 1, A, B, { tcpInfo: { tcpi_snd_cwnd: 0xffffffff } }), false, true],
    ['cwnd >= 0', ev4(23, 1, A, B, { protocol: 17 }), false, true],
  ]
  for (const [text, ev, kept, exact] of cases) {
    const { filter } = await filterFromText(text)
    const r = compileEventFilter(filter)
    const msg = destroyMessage(ev)
    t.equal(interpret(r.ops, msg) !== 0, kept, `${text}: ${kept ? 'kept' : 'dropped'}`)
    t.equal(r.exact, exact, `${text}: ${exact ? 'exact' : 'over-approximated'}`)
    // The table itself must agree with ss's user-space filter.
    if (exact) t.equal(evaluate(filter!, eventSocket(msg), ENV), kept, `${text}: evaluator agrees`)
  }
})

t.test('table: autobound with the local port range is exact', async (t) => {
  const { filter } = await filterFromText('autobound')
  const r = compileEventFilter(filter, { localPortRange: [32768, 60999] })
  t.equal(r.exact, true)
  for (const [port, kept] of [[32767, false], [32768, true], [60999, true], [61000, false]] as const) {
    t.equal(interpret(r.ops, destroyMessage(ev4(port, 1, [1, 1, 1, 1], [2, 2, 2, 2]))) !== 0, kept, `sport ${port}`)
  }
  t.equal(compileEventFilter(filter, { localPortRange: [5000, 10] }).ops.length, 1, 'an empty range is constant false')
})

t.test('keep returns the whole message; a message shorter than a load is dropped', async (t) => {
  const { filter } = await filterFromText('dev lo')
  const r = compileEventFilter(filter)
  const msg = destroyMessage(ev4(1, 1, [1, 1, 1, 1], [2, 2, 2, 2], { ifindex: 1 }))
  t.equal(interpret(r.ops, msg), 0xffffffff)
  t.equal(interpret(r.ops, msg.subarray(0, 59)), 0, 'ld [56] past the end ends the program with 0')
})

t.test('dev constants follow the host byte order option', async (t) => {
  const { filter } = await filterFromText('dev 7')
  t.equal(compileEventFilter(filter, { littleEndian: true }).ops[1]!.k, 0x07000000)
  t.equal(compileEventFilter(filter, { littleEndian: false }).ops[1]!.k, 7)
})

/** One property run: returns a failure message or null. */
function check(f: Filter | null, ev: DestroyEvent, withRange: boolean, oracle: (i: number) => boolean, stats: { exact: number; total: number; kept: number }): void {
  const r = compileEventFilter(f, withRange ? { localPortRange: ENV.localPortRange } : {})
  const msg = destroyMessage(ev)
  const kernel = interpret(r.ops, msg) !== 0
  const sock = eventSocket(msg)
  const want = f === null ? true : evaluateWith(f, sock, oracle)
  stats.total++
  if (r.exact) stats.exact++
  if (kernel) stats.kept++
  const fail = (what: string): never => {
    throw new Error(`${what}\nfilter: ${JSON.stringify(f, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}\nevent: ${JSON.stringify({ ...ev, src: Buffer.from(ev.src).toString('hex'), dst: Buffer.from(ev.dst).toString('hex'), cgroupId: String(ev.cgroupId) })}\n${formatAsm(r.ops)}`)
  }
  if (r.exact && kernel !== want) fail(`exact program ${kernel ? 'keeps' : 'drops'} an event the evaluator ${want ? 'keeps' : 'drops'}`)
  if (!r.exact && want && !kernel) fail('over-approximation dropped an event the evaluator keeps')
}

t.test('property: interpreter = evaluator when exact, sound otherwise (resolved filters of every kind)', async (t) => {
  const stats = { exact: 0, total: 0, kept: 0 }
  fc.assert(
    fc.property(
      filterArb().chain((f) => fc.tuple(fc.constant(f), eventArb(f), fc.boolean(), fc.func(fc.boolean()))),
      ([f, ev, withRange, oracle]) => check(f, ev, withRange, oracle, stats),
    ),
    { numRuns: RUNS },
  )
  t.ok(stats.exact > stats.total / 4, `${stats.exact}/${stats.total} programs exact, ${stats.kept} events kept`)
  t.ok(stats.kept > stats.total / 10 && stats.kept < stats.total * 0.9, 'both verdicts are exercised')
})

t.test('property: the same over filters written in ss syntax (parser and resolver included)', async (t) => {
  const stats = { exact: 0, total: 0, kept: 0 }
  await fc.assert(
    fc.asyncProperty(filterWordsArb('any'), fc.boolean(), async (words, withRange) => {
      let f: Filter | null
      try {
        f = (await filterFromWords(words)).filter
      } catch {
        return // a value the fake resolver does not know
      }
      fc.assert(fc.property(eventArb(f), (ev) => check(f, ev, withRange, () => true, stats)), { numRuns: 10 })
    }),
    { numRuns: Math.ceil(RUNS / 3) },
  )
  t.ok(stats.total > RUNS, `${stats.total} events checked, ${stats.exact} with an exact program`)
})

t.test('a filter too large for 4096 instructions keeps everything and says so', async (t) => {
  const text = Array.from({ length: 400 }, (_, i) => `src 10.${i >> 8}.${i & 0xff}.0/24`).join(' or ')
  const { filter } = await filterFromText(text)
  const r = compileEventFilter(filter)
  t.equal(r.ops.length, 1)
  t.equal(r.ops[0]!.k, 0xffffffff, 'ret #-1')
  t.equal(r.exact, false)
  t.match(r.residual[0]!.reason, /at most 4096/)
  const small = compileEventFilter((await filterFromText(text.split(' or ').slice(0, 100).join(' or '))).filter)
  t.equal(small.exact, true, '100 prefixes still fit')
  t.ok(small.ops.some((o) => o.trampoline), 'with ja trampolines')
})
