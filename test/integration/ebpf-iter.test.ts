// The eBPF iter/tcp target against the real kernel, in a private namespace
// with the socket zoo:
//
// 1. the unfiltered iterator's records equal the netlink dump's (inet fields,
//    and the tcp_info members the program reads) for the same idle sockets;
// 2. for ≥300 random filters mixing ss predicates and metrics (the time
//    predicates rto, lastsnd, lastrcv and lastack too: the program converts
//    the kernel's jiffies with HZ, as tcp_get_info() does), the sockets
//    the kernel selects with the eBPF program equal the evaluator's choice
//    on an unfiltered netlink dump (with `autobound` also asking the
//    kernel's port-lock test, as ss does); every program passes the
//    verifier (a refusal fails with the verifier's log);
// 3. the same filters with the diag target's bytecode compiled in select
//    exactly what a netlink dump with that bytecode, then the evaluator, do.
import t from 'tap'
import { AUTO_BYTECODE, ssSelects } from '../helpers/ss-auto.js'
import fc from 'fast-check'
import { AF, INET_DIAG, IPPROTO } from '../../uapi/inet-diag.js'
import type { Filter } from '../../compiler/filter.js'
import type { MetricName } from '../../grammar/metrics.js'
import { evaluate } from '../../compiler/evaluate.js'
import { compilePlan } from '../../compiler/compile.js'
import { SS_ALL, TABLE } from '../../compiler/select.js'
import { EBPF_HZ_METRICS, EBPF_UNSUPPORTED_METRICS, compileIterTcp } from '../../compiler/ebpf/codegen.js'
import { BpfError, readIterLayout, runIter } from '../../runtime/bpf-iter.js'
import { decodeIterTcp } from '../../runtime/decode-iter.js'
import { dump } from '../../runtime/dump.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import { openDiag } from '../../runtime/netns.js'
import { readLocalPortRange } from '../../src/query.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { METRICS } from '../../compiler/metrics.js'
import { filterTree } from '../props/expr-tree.js'
import { kernelHz } from '../../runtime/kernel-hz.js'
import { inetFilterLeaf } from '../props/inet-leaf.js'

const SPAN = { start: 0, end: 0 }
const key = (r: InetRecord): string => `${r.family}/${r.localPort}/${r.remotePort}/${r.cookie}`

const netnsOk = await canUseNetns()
if (!netnsOk && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and ip(8) for a private namespace (CI=true makes this a failure)')
} else {
  const ns = await createNetns('ebpf')
  t.teardown(() => ns.destroy())
  const zoo = await ns.startZoo()
  const m = zoo.manifest
  const sock = openDiag({ netns: ns.name })
  t.teardown(() => sock.close())
  const env = { localPortRange: readLocalPortRange(ns.name) }
  // With the -i members: the drawn filters test rto and the last_* times.
  const layout = readIterLayout(undefined, { info: true })
  const hz = kernelHz() ?? undefined

  /** Every TCP socket over netlink (that `bytecode` accepts), with tcp_info (this also gives every socket its cookie before the iterator reads it). */
  const netlink = (bytecode: Uint8Array | null = null): InetRecord[] => {
    const out: InetRecord[] = []
    for (const family of [AF.AF_INET, AF.AF_INET6]) {
      for (const r of dump(sock, { kind: 'inet', family, protocol: IPPROTO.IPPROTO_TCP, states: 0xffffffff, ext: 1 << (INET_DIAG.INET_DIAG_INFO - 1), bytecode })) out.push(r as InetRecord)
    }
    return out
  }
  const TCP_SEL = { tables: 1 << TABLE.tcp, families: (1 << AF.AF_INET) | (1 << AF.AF_INET6), states: SS_ALL, preferredFamily: 0 }
  /** The diag target's bytecode for `f` (what ss sends). */
  const kernelProgram = (f: Filter | null): Uint8Array | null => {
    const plan = compilePlan(f, { selection: TCP_SEL, preferredFamily: 0 })
    return plan.requests.find((r) => r.table === 'tcp')?.program?.bytes ?? null
  }
  const iterate = (f: Filter | null, withKernel = false): InetRecord[] => {
    const plan = withKernel ? compilePlan(f, { selection: TCP_SEL, preferredFamily: 0 }) : null
    const ops = plan ? plan.requests.find((r) => r.table === 'tcp')?.program?.ops ?? [] : undefined
    const p = compileIterTcp(f, layout, { ...env, ...(ops ? { kernel: ops } : {}), ...(hz !== undefined ? { hz } : {}) })
    try {
      return decodeIterTcp(runIter(p.bytes, layout.attachBtfId, { netns: ns.name }))
    } catch (e) {
      if (e instanceof BpfError && e.verifierLog) t.comment(e.verifierLog.split('\n').slice(-40).join('\n'))
      throw e
    }
  }

  t.test('a plain listing resolves the base name table only (-i and -m/--tos members are asked for by their listings)', async (t) => {
    const plain = readIterLayout()
    t.equal(plain.info, undefined)
    t.equal(plain.extra, undefined)
    t.ok(layout.info, '-i: resolved')
    t.ok(readIterLayout(undefined, { extra: true }).extra, '-m/--tos: resolved')
  })

  t.test('unfiltered: the iterator reports what netlink reports', async (t) => {
    const nl = netlink()
    const it = iterate(null)
    t.ok(nl.length >= 10, `${nl.length} TCP sockets over netlink`)
    const byKey = new Map(it.map((r) => [key(r), r]))
    t.equal(it.length, nl.length, 'same number of sockets')
    t.ok(nl.some((r) => r.state === 6), 'a TIME-WAIT socket is part of it')
    for (const n of nl) {
      const i = byKey.get(key(n))
      if (!i) { t.fail(`netlink socket ${key(n)} state ${n.state} not in the iterator's records`); continue }
      const what = `${n.family === 2 ? 'v4' : 'v6'} ${n.localPort}→${n.remotePort} state ${n.state}`
      t.same(
        { state: i.state, localAddr: [...i.localAddr], remoteAddr: [...i.remoteAddr], ifindex: i.ifindex, uid: i.uid, inode: i.inode, mark: i.mark, cgroupId: i.cgroupId, rqueue: i.rqueue, wqueue: i.wqueue, shutdown: i.shutdown },
        { state: n.state, localAddr: [...n.localAddr], remoteAddr: [...n.remoteAddr], ifindex: n.ifindex, uid: n.uid, inode: n.inode, mark: n.mark, cgroupId: n.cgroupId, rqueue: n.rqueue, wqueue: n.wqueue, shutdown: n.shutdown },
        `${what}: inet fields`)
      if (n.tcpInfo) {
        const pick = (x: NonNullable<InetRecord['tcpInfo']>): unknown => ({
          rtt: x.rtt, rttvar: x.rttvar, sndCwnd: x.sndCwnd, sndSsthresh: x.sndSsthresh, sndMss: x.sndMss, retrans: x.retrans, lost: x.lost,
          unacked: x.unacked, totalRetrans: x.totalRetrans, segsIn: x.segsIn, segsOut: x.segsOut, bytesSent: x.bytesSent, bytesAcked: x.bytesAcked, bytesReceived: x.bytesReceived,
        })
        t.ok(i.tcpInfo, `${what}: tcp fields present`)
        if (i.tcpInfo) t.same(pick(i.tcpInfo), pick(n.tcpInfo), `${what}: tcp_info fields`)
      } else {
        t.notOk(i.tcpInfo, `${what}: no tcp_info, as netlink`)
      }
    }
  })

  t.test('-i: the block after each record holds what netlink\'s tcp_info, INET_DIAG_CONG, BBRINFO and ULP_INFO hold', async (t) => {
    const ext = (1 << (INET_DIAG.INET_DIAG_INFO - 1)) | (1 << (INET_DIAG.INET_DIAG_VEGASINFO - 1)) | (1 << (INET_DIAG.INET_DIAG_CONG - 1))
    const nl: InetRecord[] = []
    for (const family of [AF.AF_INET, AF.AF_INET6]) for (const r of dump(sock, { kind: 'inet', family, protocol: IPPROTO.IPPROTO_TCP, states: 0xffffffff, ext, bytecode: null })) nl.push(r as InetRecord)
    const p = compileIterTcp(null, layout, { ...env, info: true, ...(hz !== undefined ? { hz } : {}) })
    const it = decodeIterTcp(runIter(p.bytes, layout.attachBtfId, { netns: ns.name }), { info: true })
    const byKey = new Map(it.map((r) => [key(r), r]))
    // Times since the last send/receive/ACK and the busy time grow between the two reads (checked: within a second).
    const MOVING = new Set(['lastDataSent', 'lastDataRecv', 'lastAckRecv', 'busyTime'])
    let compared = 0
    for (const n of nl) {
      const i = byKey.get(key(n))
      if (!i || !n.tcpInfo) continue
      const what = `${n.family === 2 ? 'v4' : 'v6'} ${n.localPort}→${n.remotePort} state ${n.state}`
      const got = i.tcpInfo as Record<string, unknown>
      const want = n.tcpInfo as Record<string, unknown>
      for (const [k, v] of Object.entries(got)) {
        if (MOVING.has(k)) {
          const d = Number(v) - Number(want[k])
          if (d < 0 || d > 1000) t.fail(`${what}: ${k} ${String(v)} vs netlink ${String(want[k])}`)
          continue
        }
        if (v !== want[k]) t.fail(`${what}: ${k} = ${String(v)}, netlink ${String(want[k])}`)
        compared++
      }
      t.equal(i.congestion, n.congestion, `${what}: congestion control`)
      t.same(i.bbrInfo, n.bbrInfo, `${what}: BBR block`)
      t.same(i.ulp, n.ulp, `${what}: ULP`)
    }
    t.ok(compared > 500, `${compared} tcp_info members compared`)
    t.ok(nl.some((r) => r.ulp?.mptcp), 'an MPTCP subflow is part of it')
  })

  t.test('random filters: eBPF selection = evaluator on the netlink dump; zero verifier refusals', async (t) => {
    const base = netlink()
    // ss applies the kernel's AUTO (sk_userlocks, not in the replies) as well as the
    // user-space range test; the kernel tells which sockets it counts as AUTO.
    const kernelAuto = new Set<string>()
    for (const family of [AF.AF_INET, AF.AF_INET6]) {
      for (const r of dump(sock, { kind: 'inet', family, protocol: IPPROTO.IPPROTO_TCP, states: 0xffffffff, ext: 0, bytecode: AUTO_BYTECODE })) kernelAuto.add(key(r as InetRecord))
    }
    t.ok(kernelAuto.size > 0 && kernelAuto.size < base.length, `the kernel counts ${kernelAuto.size} of ${base.length} sockets as AUTO`)
    const ss = (f: Filter, r: InetRecord): boolean => ssSelects(f, r, env, (x) => kernelAuto.has(key(x)))
    const metricNames = (Object.keys(METRICS) as MetricName[]).filter((n) => !EBPF_UNSUPPORTED_METRICS.includes(n))
    t.same(EBPF_UNSUPPORTED_METRICS, [], 'every metric runs on eBPF')
    t.ok(hz, 'the kernel\'s HZ is known (the time predicates need it)')
    t.ok(EBPF_HZ_METRICS.every((m) => metricNames.includes(m)), 'rto, lastsnd, lastrcv and lastack are drawn')
    const leaf = inetFilterLeaf(base, {
      // The times since the last send/receive/ACK grow while the zoo idles: thresholds far from them.
      moving: ['lastsnd', 'lastrcv', 'lastack'],
      ifindexes: [0, 1, m.tcp.bound.ifindex, 7],
      marks: [[m.tcp.marked.mark, 0xffffffff], [0, 0], [m.tcp.marked.mark & 0xff00, 0xff00], [0, 0xffffffff], [0x80000000, 0x80000000]],
      metrics: metricNames,
    })
    const tree = filterTree(leaf, SPAN)
    let runs = 0
    let nonEmpty = 0
    fc.assert(fc.property(tree, (f) => {
      runs++
      // The zoo's TIME-WAIT socket expires during the run: compare only sockets present in the dumps before and after.
      const before = netlink()
      const got = new Set(iterate(f).map(key))
      // With the diag target's bytecode inside, the program selects what `--target diag` lists:
      // the kernel's verdict (measured: a dump with that bytecode) and the evaluator's.
      const viaDiag = new Set(netlink(kernelProgram(f)).filter((r) => evaluate(f, r, env)).map(key))
      const gotDiag = new Set(iterate(f, true).map(key))
      const after = new Set(netlink().map(key))
      const stable = new Set(before.map(key).filter((k) => after.has(k)))
      const want = new Set(before.filter((r) => stable.has(key(r)) && ss(f, r)).map(key))
      for (const set of [got, gotDiag, viaDiag]) for (const k of set) if (!stable.has(k)) set.delete(k)
      const dm = [...viaDiag].filter((k) => !gotDiag.has(k))
      const dx = [...gotDiag].filter((k) => !viaDiag.has(k))
      if (dm.length || dx.length) throw new Error(`eBPF with the kernel program and --target diag differ: missing ${dm.join(' ')}; extra ${dx.join(' ')}\nfilter: ${JSON.stringify(f, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v].join('.') : v))}`)
      if (got.size > 0) nonEmpty++
      const missing = [...want].filter((k) => !got.has(k))
      const extra = [...got].filter((k) => !want.has(k))
      if (missing.length || extra.length) throw new Error(`eBPF and evaluator differ: missing ${missing.join(' ')}; extra ${extra.join(' ')}\nfilter: ${JSON.stringify(f, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v].join('.') : v))}`)
    }), { numRuns: 320 })
    t.equal(runs, 320, `${runs} filters, ${nonEmpty} selected at least one socket`)
    t.ok(nonEmpty > 30, 'the filters are not all empty')
  })
}
