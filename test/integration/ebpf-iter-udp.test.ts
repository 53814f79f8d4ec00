// The eBPF iter/udp target against the real kernel, in a private namespace
// with the socket zoo and a crowd of UDP sockets (test/helpers/udp-crowd.py:
// many ports, five sockets on one port, both families, a v4-mapped peer,
// queued datagrams, a mark, a device):
//
// 1. the unfiltered iterator's records, put in udp_diag's order, equal the
//    netlink dump's, record for record and in the same order (the iterator
//    walks another hash table: its raw order is not netlink's);
// 2. for random filters mixing ss predicates and metrics (every tcp_info
//    metric is false on a UDP socket), the sockets the program selects equal
//    the evaluator's choice on the unfiltered dump (`autobound` also asking
//    the kernel's port-lock test, as ss does), and with the diag plan's UDP
//    bytecode inside, what a netlink dump with that bytecode and the
//    evaluator select; every program passes the verifier (a refusal fails
//    with the verifier's log).
import t from 'tap'
import { AUTO_BYTECODE, ssSelects } from '../helpers/ss-auto.js'
import fc from 'fast-check'
import { AF, IPPROTO } from '../../uapi/inet-diag.js'
import type { Filter } from '../../compiler/filter.js'
import type { MetricName } from '../../grammar/metrics.js'
import { evaluate } from '../../compiler/evaluate.js'
import { compilePlan } from '../../compiler/compile.js'
import { SS_ALL, TABLE } from '../../compiler/select.js'
import { METRICS } from '../../compiler/metrics.js'
import { EBPF_UNSUPPORTED_METRICS, compileIterUdp } from '../../compiler/ebpf/codegen.js'
import { BpfError, readUdpIterLayout, runIter } from '../../runtime/bpf-iter.js'
import { decodeIterTcp, decodeIterUdpInDiagOrder } from '../../runtime/decode-iter.js'
import { dump } from '../../runtime/dump.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import { openDiag } from '../../runtime/netns.js'
import { readLocalPortRange } from '../../src/query.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { startUdpCrowd } from '../helpers/udp-crowd.js'
import { filterTree } from '../props/expr-tree.js'
import { inetFilterLeaf } from '../props/inet-leaf.js'

const SPAN = { start: 0, end: 0 }
const key = (r: InetRecord): string => `${r.family}/${Buffer.from(r.localAddr).toString('hex')}:${r.localPort}/${r.remotePort}/${r.cookie}`
const show = (f: Filter): string => JSON.stringify(f, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v].join('.') : v))

const netnsOk = await canUseNetns()
if (!netnsOk && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and ip(8) for a private namespace (CI=true makes this a failure)')
} else {
  const ns = await createNetns('ebpfudp')
  t.teardown(() => ns.destroy())
  await ns.startZoo()
  const crowd = await startUdpCrowd(ns.name)
  t.teardown(() => crowd.stop())
  const manifest = crowd.manifest
  const sock = openDiag({ netns: ns.name })
  t.teardown(() => sock.close())
  const env = { localPortRange: readLocalPortRange(ns.name) }
  const layout = readUdpIterLayout()
  const UDP_SEL = { tables: 1 << TABLE.udp, families: (1 << AF.AF_INET) | (1 << AF.AF_INET6), states: SS_ALL, preferredFamily: 0 }

  /** Every UDP socket over netlink (that `bytecode` accepts), AF_INET then AF_INET6, as ss asks. */
  const netlink = (bytecode: Uint8Array | null = null): InetRecord[] => {
    const out: InetRecord[] = []
    for (const family of [AF.AF_INET, AF.AF_INET6]) {
      for (const r of dump(sock, { kind: 'inet', family, protocol: IPPROTO.IPPROTO_UDP, states: 0xffffffff, ext: 0, bytecode })) out.push(r as InetRecord)
    }
    return out
  }
  const planOf = (f: Filter | null): ReturnType<typeof compilePlan> => compilePlan(f, { selection: UDP_SEL, preferredFamily: 0 })
  const raw = (f: Filter | null, withKernel = false): Uint8Array => {
    const ops = withKernel ? planOf(f).requests.find((r) => r.table === 'udp')?.program?.ops ?? [] : undefined
    const p = compileIterUdp(f, layout, { ...env, ...(ops ? { kernel: ops } : {}) })
    try {
      return runIter(p.bytes, layout.attachBtfId, { netns: ns.name })
    } catch (e) {
      if (e instanceof BpfError && e.verifierLog) t.comment(e.verifierLog.split('\n').slice(-40).join('\n'))
      throw e
    }
  }
  const iterate = (f: Filter | null, withKernel = false): InetRecord[] => decodeIterUdpInDiagOrder(raw(f, withKernel))

  t.test('unfiltered: the iterator reports what netlink reports, in the same order', async (t) => {
    const nl = netlink()
    const it = iterate(null)
    t.ok(nl.length >= 60, `${nl.length} UDP sockets over netlink`)
    t.same(it.map(key), nl.map(key), 'same sockets in the same order')
    t.not(decodeIterTcp(raw(null)).map(key).join(' '), nl.map(key).join(' '), 'the raw walk order differs (the sort is what makes it equal)')
    // INET_DIAG_SOCKOPT is in every reply; --inet-sockopt (its only reader) stays on the diag target.
    const fields = (r: InetRecord): unknown => ({ ...r, sockopt: undefined, localAddr: [...r.localAddr], remoteAddr: [...r.remoteAddr] })
    for (let i = 0; i < Math.min(nl.length, it.length); i++) t.same(fields(it[i]!), fields(nl[i]!), `${key(nl[i]!)}: every field`)
    t.ok(nl.some((r) => r.localPort === manifest.queued && r.rqueue > 0), 'a socket with queued datagrams is part of it')
    t.ok(nl.some((r) => r.mark === manifest.marked.mark), 'a marked socket is part of it')
    t.ok(nl.filter((r) => r.localPort === manifest.shared).length === 5, 'five sockets share a port')
    t.ok(nl.some((r) => r.family === AF.AF_INET6 && r.v6only === false) && nl.some((r) => r.v6only === true), 'v6only both ways')
  })

  t.test('random filters: eBPF selection = evaluator on the netlink dump, and = diag with the plan\'s bytecode inside; zero verifier refusals', async (t) => {
    const base = netlink()
    const kernelAuto = new Set(netlink(AUTO_BYTECODE).map(key))
    t.ok(kernelAuto.size > 0 && kernelAuto.size < base.length, `the kernel counts ${kernelAuto.size} of ${base.length} sockets as AUTO`)
    const ss = (f: Filter, r: InetRecord): boolean => ssSelects(f, r, env, (x) => kernelAuto.has(key(x)))
    const bound = base.find((r) => r.ifindex !== 0)
    t.ok(bound, 'a socket bound to a device')
    const leaf = inetFilterLeaf(base, {
      ifindexes: [0, 1, bound?.ifindex ?? 1, 7],
      marks: [[manifest.marked.mark, 0xffffffff], [0, 0], [manifest.marked.mark & 0xff00, 0xff00], [0, 0xffffffff], [0x80000000, 0x80000000]],
      // tcp_info metrics too: false on every UDP socket, whatever the operator (`not` inverts).
      metrics: (Object.keys(METRICS) as MetricName[]).filter((n) => !EBPF_UNSUPPORTED_METRICS.includes(n)),
    })
    const RUNS = 200
    let runs = 0
    let nonEmpty = 0
    fc.assert(fc.property(filterTree(leaf, SPAN), (f) => {
      runs++
      const want = base.filter((r) => ss(f, r)).map(key)
      const got = iterate(f).map(key)
      if (got.length) nonEmpty++
      if (got.join(' ') !== want.join(' ')) throw new Error(`eBPF and evaluator differ:\n  got  ${got.join(' ')}\n  want ${want.join(' ')}\nfilter: ${show(f)}`)
      const viaDiag = netlink(planOf(f).requests.find((r) => r.table === 'udp')?.program?.bytes ?? null).filter((r) => evaluate(f, r, env)).map(key)
      const gotDiag = iterate(f, true).map(key)
      if (gotDiag.join(' ') !== viaDiag.join(' ')) throw new Error(`eBPF with the kernel program and --target diag differ:\n  got  ${gotDiag.join(' ')}\n  want ${viaDiag.join(' ')}\nfilter: ${show(f)}`)
    }), { numRuns: RUNS })
    t.equal(runs, RUNS, `${runs} filters, ${nonEmpty} selected at least one socket`)
    t.ok(nonEmpty > 20, 'the filters are not all empty')
  })
}
