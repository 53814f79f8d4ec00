// runQuery against the kernel in a private namespace running the socket zoo:
// request order and the afterSuccess gate (ss's two TCP requests, and the
// single TCP walk that replaces them: same sockets, same order), missing protocols and their
// notices, the user-space pass (families, tables by socket type, states of
// stateless families, the residual), sync and async iteration, the
// TCPDIAG_FILE replay, and the MARK_COND fallback without CAP_NET_ADMIN
// (a child process with CAP_NET_ADMIN dropped from its bounding set).
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AF } from '../../uapi/inet-diag.js'
import type { Filter } from '../../compiler/filter.js'
import { compilePlan } from '../../compiler/compile.js'
import type { QueryPlan } from '../../compiler/plan.js'
import { SS_ALL, tableBit } from '../../compiler/select.js'
import type { Selection, TableName } from '../../compiler/select.js'
import { MessageBatch } from '../../runtime/dump.js'
import { openDiag } from '../../runtime/netns.js'
import type { SocketRecord } from '../../runtime/record.js'
import { hasMarkCond, readLocalPortRange, runQuery } from '../../src/query.js'
import type { QueryOptions } from '../../src/query.js'
import { recordTcpFile } from '../../src/record-replay.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const run = promisify(execFile)
const SPAN = { start: 0, end: 0 }
const fam = (...afs: number[]): number => afs.reduce((a, f) => a | (1 << f), 0)
const tables = (...names: TableName[]): number => names.reduce((a, n) => a | tableBit(n), 0)
const sel = (over: Partial<Selection>): Selection => ({ tables: tables('tcp'), families: fam(AF.AF_INET, AF.AF_INET6), states: SS_ALL, preferredFamily: 0, ...over })
const sport = (port: number): Filter => ({ kind: 'hostcond', dir: 'src', cond: { family: 'inet', af: 0, addrs: [], port }, span: SPAN })
const mark = (v: number): Filter => ({ kind: 'mark', mark: v, mask: 0xffffffff, span: SPAN })

t.test('hasMarkCond finds fwmark anywhere in the tree', async (t) => {
  t.equal(hasMarkCond(null), false)
  t.equal(hasMarkCond(sport(1)), false)
  t.equal(hasMarkCond({ kind: 'or', left: sport(1), right: { kind: 'not', operand: mark(1), span: SPAN }, span: SPAN }), true)
})

t.test('readLocalPortRange falls back to ss\'s 1024-4999 for an unreadable namespace', async (t) => {
  t.same(readLocalPortRange('/nonexistent/ns'), [1024, 4999])
})

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.test('kernel', { skip: 'needs root and ip(8) to create a network namespace (CI=true makes this a failure)' }, async () => {})
} else {
  const ns = await createNetns('query')
  t.teardown(() => ns.destroy())
  const zoo = await ns.startZoo()
  const m = zoo.manifest
  const sock = openDiag({ netns: ns.name })
  t.teardown(() => sock.close())

  const exec = (s: Selection, f: Filter | null, extra: Partial<QueryOptions> = {}): { recs: SocketRecord[], notices: string[], sent: number } => {
    const notices: string[] = []
    const q = runQuery(compilePlan(f, { selection: s, preferredFamily: s.preferredFamily }), { ...s, socket: sock, onNotice: (n) => notices.push(n), ...extra })
    const recs = [...q]
    return { recs, notices, sent: q.requestsSent }
  }

  // ss's request sequence (the single TCP walk is tested on its own below).
  const ssWalks = { singleTcpWalk: false }

  t.test('inet: AF_INET then AF_INET6; -4 / -6 send one', async (t) => {
    const both = exec(sel({}), null, ssWalks)
    t.equal(both.sent, 2)
    t.ok(both.recs.some((r) => r.family === AF.AF_INET6) && both.recs.some((r) => r.family === AF.AF_INET), 'both families')
    t.equal(exec(sel({ preferredFamily: AF.AF_INET6 }), null).sent, 1)
    t.ok(exec(sel({ preferredFamily: AF.AF_INET6 }), null).recs.every((r) => r.family === AF.AF_INET6), '-6: AF_INET6 only')
    t.ok(exec(sel({ preferredFamily: AF.AF_INET }), null).recs.every((r) => r.family === AF.AF_INET), '-4: AF_INET only')
  })

  t.test('the family set filters replies (both requests are still sent)', async (t) => {
    const r = exec(sel({ families: fam(AF.AF_INET) }), null, ssWalks)
    t.equal(r.sent, 2, 'ss sends both requests')
    t.ok(r.recs.length > 0 && r.recs.every((x) => x.family === AF.AF_INET), 'only AF_INET kept')
  })

  t.test('a missing protocol is skipped; its AF_INET6 request is not sent; a notice only when asked for', async (t) => {
    const implicit = exec(sel({ tables: tables('raw', 'sctp', 'tcp') }), null, ssWalks)
    t.same(implicit.notices, [], 'silent for default tables')
    t.ok(implicit.recs.length > 0, 'tcp still listed')
    // raw v4, sctp v4, tcp v4 + v6: the failed protocols' AF_INET6 requests are gated off.
    t.equal(implicit.sent, 4)
    const explicit = exec(sel({ tables: tables('raw', 'sctp', 'dccp') }), null, { explicitTables: tables('raw', 'dccp') })
    t.same(explicit.notices, ['ssx: raw sockets are not supported by this kernel', 'ssx: dccp sockets are not supported by this kernel'])
    t.same(explicit.recs, [])
  })

  t.test('another refusal: RTNETLINK answers, and on to the next request', async (t) => {
    const s = sel({ tables: tables('udp', 'tcp') })
    const good = compilePlan(sport(m.tcp.listen4.port), { selection: s, preferredFamily: 0 })
    // An unknown opcode: the kernel's audit answers EINVAL (never emitted by the compiler).
    const bad = { bytes: Uint8Array.of(99, 4, 8, 0) }
    const plan: QueryPlan = { ...good, requests: good.requests.map((r) => (r.table === 'udp' ? { ...r, program: { ...r.program!, ...bad } } : r)) }
    const notices: string[] = []
    const q = runQuery(plan, { ...s, socket: sock, onNotice: (n) => notices.push(n), ...ssWalks })
    const recs = [...q]
    t.same(notices, ['RTNETLINK answers: Invalid argument'])
    t.equal(q.requestsSent, 3, 'udp AF_INET refused, its AF_INET6 not sent, tcp both')
    t.ok(recs.length > 0 && recs.every((r) => r.localPort === m.tcp.listen4.port), 'tcp answered')
  })

  t.test('one TCP walk answers both families: the same sockets in the same order as ss\'s two requests', async (t) => {
    const id = (r: SocketRecord): string => (r.kind === 'inet' ? `${r.family}:${r.state}:${r.localPort}:${r.remotePort}:${r.inode}` : r.kind)
    const filters: [string, Filter | null][] = [
      ['no filter', null],
      ['sport (bytecode and sockid port)', sport(m.tcp.listen6.port)],
      ['not sport', { kind: 'not', operand: sport(m.tcp.listen4.port), span: SPAN }],
    ]
    for (const [name, f] of filters) {
      const two = exec(sel({}), f, ssWalks)
      const one = exec(sel({}), f)
      t.equal(one.sent, 1, `${name}: one request`)
      t.same(one.recs.map(id), two.recs.map(id), `${name}: ${one.recs.length} sockets`)
      const families = one.recs.map((r) => (r.kind === 'inet' ? r.family : 0))
      t.ok(families.indexOf(AF.AF_INET6) > families.lastIndexOf(AF.AF_INET), `${name}: AF_INET6 after AF_INET`)
      const overflow = exec(sel({}), f, { holdBackBytes: 1 })
      t.equal(overflow.sent, 2, `${name}: past the hold-back limit the AF_INET6 request is sent after the walk`)
      t.same(overflow.recs.map(id), two.recs.map(id), `${name}: same sockets after an overflow`)
    }
    t.ok(exec(sel({}), null).recs.some((r) => r.family === AF.AF_INET6), 'the zoo has AF_INET6 sockets')
    const v4only = exec(sel({ families: fam(AF.AF_INET) }), null)
    t.ok(v4only.recs.length > 0 && v4only.recs.every((r) => r.family === AF.AF_INET), 'the family set still filters')
    // The listing's path: batches, then records of the held-back ones.
    const s = sel({})
    const plan = compilePlan(null, { selection: s, preferredFamily: 0 })
    const batched: string[] = []
    for (const b of runQuery(plan, { ...s, socket: sock }).batches()) {
      if (b instanceof MessageBatch) for (let i = 0; i < b.count; i++) batched.push(id(b.record(i)))
      else batched.push(id(b))
    }
    t.same(batched, exec(s, null, ssWalks).recs.map(id), 'batches: same sockets, same order')
  })

  t.test('unix and packet tables by socket type', async (t) => {
    const ux = (n: TableName) => exec(sel({ tables: tables(n), families: fam(AF.AF_UNIX) }), null).recs
    t.ok(ux('unix_dgram').every((r) => r.kind === 'unix' && r.type === 2) && ux('unix_dgram').some((r) => r.kind === 'unix' && r.localName === m.unix.abstractDgram.name), 'unix_dgram')
    t.ok(ux('unix_seqpacket').length >= 2 && ux('unix_seqpacket').every((r) => r.kind === 'unix' && r.type === 5), 'unix_seqpacket')
    t.ok(ux('unix_stream').some((r) => r.localPort === m.unix.listener.inode) && ux('unix_stream').every((r) => r.kind === 'unix' && r.type === 1), 'unix_stream')
    const pk = (n: TableName) => exec(sel({ tables: tables(n), families: fam(AF.AF_PACKET) }), null).recs
    t.same(pk('packet_raw').map((r) => r.localPort === m.packet.rawLo.ifindex && r.kind), ['packet'], 'packet_raw: the raw socket on lo')
    t.same(pk('packet_dgram').map((r) => r.kind === 'packet' && r.type), [2], 'packet_dgram')
  })

  t.test('stateless families are listed only in CLOSE', async (t) => {
    const s = sel({ tables: tables('netlink'), families: fam(AF.AF_NETLINK), states: SS_ALL })
    const plan = compilePlan(null, { selection: s, preferredFamily: 0 })
    t.ok(exec(s, null).recs.some((r) => r.kind === 'netlink'), 'with CLOSE')
    const noClose = SS_ALL & ~(1 << 7)
    t.same([...runQuery(plan, { ...s, states: noClose, socket: sock })], [], 'the same request, CLOSE not in the state set: nothing kept')
  })

  t.test('the residual runs on every family', async (t) => {
    const all = sel({ tables: tables('tcp', 'udp', 'unix_stream', 'netlink'), families: fam(AF.AF_INET, AF.AF_INET6, AF.AF_UNIX, AF.AF_NETLINK) })
    const r = exec(all, sport(m.tcp.listen4.port)).recs
    t.ok(r.length >= 3 && r.every((x) => x.kind === 'inet' && x.localPort === m.tcp.listen4.port), `${r.length} sockets on :${m.tcp.listen4.port}, none of another family`)
    // A port-only condition compares unix inodes in user space (ss §6.1).
    const byInode = exec(all, sport(m.unix.listener.inode)).recs
    t.same(byInode.map((x) => x.kind), ['unix'], 'unix "port" = inode')
  })

  t.test('async iteration yields the same records', async (t) => {
    const s = sel({})
    const plan = compilePlan(null, { selection: s, preferredFamily: 0 })
    const a: string[] = []
    for await (const r of runQuery(plan, { ...s, socket: sock })) a.push(`${r.family}:${r.localPort}:${r.remotePort}`)
    const b = [...runQuery(plan, { ...s, socket: sock })].map((r) => `${r.family}:${r.localPort}:${r.remotePort}`)
    t.same(a.sort(), b.sort())
    const q = runQuery(plan, { ...s, socket: sock })
    ;[...q]
    t.throws(() => [...q], { name: 'NetlinkError', errnoName: 'EBUSY' }, 'a run is iterated once')
  })

  t.test('TCPDIAG_FILE replaces the TCP requests; no kernel socket is opened for it', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ssx-query-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const file = join(dir, 'tcp.bin')
    recordTcpFile(file, { socket: sock, states: SS_ALL })
    const s = sel({ states: 1 << 10 })
    const plan = compilePlan(sport(m.tcp.listen4.port), { selection: s, preferredFamily: 0 })
    const q = runQuery(plan, { ...s, tcpDiagFile: file })
    const recs = [...q]
    t.equal(q.requestsSent, 0, 'no request sent')
    // Like ss: no state test on replay, AF_INET part only (the first DONE ends it), residual applied.
    t.ok(recs.some((r) => r.state === 1), 'ESTABLISHED sockets despite states = LISTEN')
    t.ok(recs.length > 0 && recs.every((r) => r.family === AF.AF_INET && r.localPort === m.tcp.listen4.port), 'AF_INET, filtered')
  })

  t.test('EPERM for MARK_COND without CAP_NET_ADMIN: resent without bytecode, one notice, same answer', async (t) => {
    const root = fileURLToPath(new URL('../../', import.meta.url))
    // Inside the tree, so the bundle's `import 'koffi'` resolves (ESM ignores NODE_PATH).
    mkdirSync(join(root, 'node_modules/.cache'), { recursive: true })
    const dir = mkdtempSync(join(root, 'node_modules/.cache/ssx-query-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const driver = join(dir, 'driver.ts')
    // The child runs runQuery on a plan passed as JSON (bytes as arrays) and prints what it got.
    writeFileSync(driver, `
      import { runQuery } from ${JSON.stringify(join(root, 'src/query.js'))}
      const input = JSON.parse(process.argv[2])
      const plan = { ...input.plan, requests: input.plan.requests.map((r) => ({ ...r, program: r.program && { ...r.program, bytes: Uint8Array.from(r.program.bytes) } })) }
      const notices = []
      const q = runQuery(plan, { ...input.opts, onNotice: (n) => notices.push(n) })
      const got = [...q].map((r) => r.localPort + '/' + r.remotePort)
      console.log(JSON.stringify({ got, notices, sent: q.requestsSent }))
    `)
    const bundle = join(dir, 'driver.mjs')
    await run(join(root, 'node_modules/.bin/esbuild'), [driver, '--bundle', '--platform=node', '--format=esm', '--external:koffi', `--outfile=${bundle}`, '--log-level=error'], { cwd: root })
    const filter: Filter = { kind: 'or', left: mark(m.tcp.marked.mark), right: sport(m.tcp.listen6.port), span: SPAN }
    const withoutNetAdmin = async (s: Selection): Promise<{ got: string[], notices: string[], sent: number }> => {
      const plan: QueryPlan = compilePlan(filter, { selection: s, preferredFamily: s.preferredFamily })
      const wire = JSON.stringify({ plan: { ...plan, requests: plan.requests.map((r) => ({ ...r, program: r.program && { bytes: [...r.program.bytes] } })) }, opts: { ...s, netns: ns.name, localPortRange: [32768, 60999] } })
      // Root keeps CAP_SYS_ADMIN (to enter the namespace) but loses CAP_NET_ADMIN at exec.
      const { stdout } = await run('setpriv', ['--bounding-set=-net_admin', '--inh-caps=-net_admin', process.execPath, bundle, wire])
      return JSON.parse(stdout) as { got: string[], notices: string[], sent: number }
    }
    const both = await withoutNetAdmin(sel({}))
    t.equal(both.sent, 4, 'both families: the single TCP walk refused, then ss\'s requests: AF_INET twice, AF_INET6 without bytecode')
    t.same(both.notices, ['ssx: no CAP_NET_ADMIN for the kernel fwmark test: the filter runs in user space'])
    const onV6Port = [...runQuery(compilePlan(sport(m.tcp.listen6.port), { selection: sel({}), preferredFamily: 0 }), { ...sel({}), socket: sock })].map((r) => `${r.localPort}/${r.remotePort}`)
    t.ok(onV6Port.length > 0, 'sockets on the AF_INET6 listener\'s port')
    t.same(both.got, onV6Port, 'marks unreadable: the port test alone decides')
    const s = sel({ preferredFamily: AF.AF_INET })
    const plan: QueryPlan = compilePlan(filter, { selection: s, preferredFamily: s.preferredFamily })
    const child = await withoutNetAdmin(s)
    t.equal(child.sent, 2, 'the AF_INET request, then again without bytecode')
    t.same(child.notices, ['ssx: no CAP_NET_ADMIN for the kernel fwmark test: the filter runs in user space'])
    // Without CAP_NET_ADMIN the replies carry no mark, so user space sees mark 0: only the port test can match.
    t.same(child.got, [], 'marks unreadable and no AF_INET socket on the v6 port: nothing')
    const mine = [...runQuery(plan, { ...s, socket: sock })].map((r) => `${r.localPort}/${r.remotePort}`)
    t.same(mine, [`${m.tcp.marked.port}/${m.tcp.listen4.port}`], 'with CAP_NET_ADMIN the kernel runs the mark test')
  })
}
