// The eBPF iter/unix target against the real kernel, in a private namespace
// with the socket zoo and its unix extras (queues of every kind, shutdown,
// long, abstract and autobind names, a pending connection):
//
// 1. the unfiltered iterator's records equal the netlink dump's UnixRecords,
//    every field the record carries, in the same order;
// 2. for every name pattern alone (src and dst), then for 300 random
//    filters over what a unix socket can be tested on (name patterns, inode
//    "ports", autobound, rqueue/wqueue/ino/uid, and the predicates that are
//    constant on unix sockets) with random table/state selections, the
//    program plus its user-space part select what the
//    evaluator selects on the netlink dump; every program passes the
//    verifier (a refusal fails with the verifier's log);
// 3. a walk whose records need more than one read (where the kernel's unix
//    iterator skips the rest of a hash bucket) is listed over netlink;
// 4. the CLI prints the same bytes with --target ebpf and --target diag.
import t from 'tap'
import fc from 'fast-check'
import { AF } from '../../uapi/inet-diag.js'
import { UDIAG_SHOW } from '../../uapi/unix-diag.js'
import type { Filter } from '../../compiler/filter.js'
import type { CmpOp } from '../../grammar/ast.js'
import { evaluate } from '../../compiler/evaluate.js'
import { TABLE } from '../../compiler/select.js'
import { compileIterUnix, unixUserSpaceFilter } from '../../compiler/ebpf/codegen-unix.js'
import { BpfError, loadIter, runIter } from '../../runtime/bpf-iter.js'
import { readIterUnixLayout } from '../../runtime/bpf-iter-unix.js'
import { decodeIterUnix } from '../../runtime/decode-iter-unix.js'
import { dump } from '../../runtime/dump.js'
import type { UnixRecord } from '../../runtime/decode-unix.js'
import { openDiag } from '../../runtime/netns.js'
import { list } from '../helpers/run-list.js'
import { runUnixListing } from '../../src/ebpf-unix.js'
import { spawn } from 'node:child_process'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { filterTree } from '../props/expr-tree.js'

const SPAN = { start: 0, end: 0 }
const key = (r: UnixRecord): string => `${r.inode}/${r.cookie}`
const json = (x: unknown): string => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v))

const netnsOk = await canUseNetns()
if (!netnsOk && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and ip(8) for a private namespace (CI=true makes this a failure)')
} else {
  const ns = await createNetns('ebpfunix')
  t.teardown(() => ns.destroy())
  process.env['SSX_ZOO_OUTPUT'] = '1'
  process.env['SSX_ZOO_UNIX'] = '1'
  const zoo = await ns.startZoo()
  delete process.env['SSX_ZOO_OUTPUT']
  delete process.env['SSX_ZOO_UNIX']
  const m = zoo.manifest as typeof zoo.manifest & { unixExtra: { longPath: string, inodes: Record<string, number> } }
  const sock = openDiag({ netns: ns.name })
  t.teardown(() => sock.close())
  const env = { localPortRange: [32768, 60999] as const }
  const layout = readIterUnixLayout()
  const ALL_UNIX = (1 << TABLE.unix_stream) | (1 << TABLE.unix_dgram) | (1 << TABLE.unix_seqpacket)

  /** Every unix socket over netlink, as ss asks (plus UID), in the kernel's order. */
  const netlink = (states = 0xffffffff): UnixRecord[] => [...dump(sock, {
    kind: 'unix', family: AF.AF_UNIX, protocol: 0, states, bytecode: null,
    ext: UDIAG_SHOW.UDIAG_SHOW_NAME | UDIAG_SHOW.UDIAG_SHOW_PEER | UDIAG_SHOW.UDIAG_SHOW_RQLEN | UDIAG_SHOW.UDIAG_SHOW_UID,
  })] as UnixRecord[]
  const iterate = (f: Filter | null, opts: { states?: number, tables?: number } = {}): UnixRecord[] => {
    const p = compileIterUnix(f, layout, opts)
    let recs: UnixRecord[]
    try {
      recs = decodeIterUnix(runIter(p.bytes, layout.attachBtfId, { netns: ns.name }), { uid: true })
    } catch (e) {
      if (e instanceof BpfError && e.verifierLog) t.comment(e.verifierLog.split('\n').slice(-40).join('\n'))
      throw e
    }
    const rest = unixUserSpaceFilter(f)
    return rest ? recs.filter((r) => evaluate(rest, r, env)) : recs
  }

  t.test('unfiltered: the iterator reports what netlink reports, in the same order', async (t) => {
    const nl = netlink()
    const it = iterate(null)
    t.ok(nl.length >= 20, `${nl.length} unix sockets over netlink`)
    t.same(it.map(key), nl.map(key), 'same sockets, same order')
    const pick = (r: UnixRecord): unknown => ({
      family: r.family, type: r.type, state: r.state, inode: r.inode, cookie: r.cookie, localPort: r.localPort, remotePort: r.remotePort,
      localName: r.localName, nameBytes: r.nameBytes ? [...r.nameBytes] : undefined, peer: r.peer, rqueue: r.rqueue, wqueue: r.wqueue, shutdown: r.shutdown, uid: r.uid,
    })
    const byKey = new Map(it.map((r) => [key(r), r]))
    for (const n of nl) {
      const i = byKey.get(key(n))
      if (!i) continue
      t.same(pick(i), pick(n), `${n.localName ?? '(unnamed)'} ino ${n.inode} type ${n.type} state ${n.state}`)
      t.same(Object.keys(i).sort(), Object.keys(n).sort(), `ino ${n.inode}: the same fields are present`)
    }
    const rq = new Map(nl.map((r) => [r.inode, r.rqueue]))
    t.same([rq.get(m.unixExtra.inodes['dgram']!), rq.get(m.unixExtra.inodes['seqpacket']!), rq.get(m.unixExtra.inodes['stream']!)], [5, 18, 7], 'the zoo queues every kind of Recv-Q')
    t.ok(nl.some((r) => r.localName === m.unixExtra.longPath), 'the 107-byte path is there')
    // unix_diag skips the embryo of a pending connection (no inode yet); so does the program.
    t.ok(nl.some((r) => r.state === 10 && r.rqueue === 1), 'a listener with a pending connection is there')
  })

  t.test('random filters and selections: iter/unix = evaluator on the netlink dump; zero verifier refusals', async (t) => {
    const base = netlink()
    const inodes = [...new Set(base.flatMap((r) => [r.inode, r.remotePort]))]
    const names = [...new Set(base.flatMap((r) => (r.localName === undefined ? [] : [r.localName])))]
    const patterns = [
      ...names, ...names.map((n) => n.toUpperCase()), ...names.map((n) => `${n.slice(0, 6)}*`), '*', '', '@*', '/tmp/*', '*zoo*', '*ZOO*', '@?????', '[!/]*',
      '*.sock', '*.sck', '@in@ner*', '/tmp/ssx-zoo-[0-9]*', '\\*', 'abc', '/TMP/*', '@abcde', '@ABCDE', '@', '@@*',
      ...names.map((n) => `${n}x`), ...names.map((n) => n.slice(0, -1)), ...names.map((n) => `${n.slice(0, -1)}*`),
    ]
    // Each pattern alone, both sides: the program's own name comparisons against fnmatch.
    for (const pattern of patterns) {
      for (const dir of ['src', 'dst'] as const) {
        const f: Filter = { kind: 'hostcond', dir, cond: { family: 'unix', pattern }, span: SPAN }
        const want = base.filter((r) => evaluate(f, r, env)).map(key)
        t.same(iterate(f).map(key), want, `${dir} ${pattern}: ${want.length} sockets`)
      }
    }
    const inode = fc.oneof(fc.constantFrom(...inodes), fc.constantFrom(...inodes).map((i) => i + 1), fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }))
    const observed = (k: 'rqueue' | 'wqueue' | 'uid' | 'inode'): number[] => [...new Set(base.map((r) => r[k] ?? 0))]
    const leaf: fc.Arbitrary<Filter> = fc.oneof(
      fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), pattern: fc.constantFrom(...patterns) })
        .map(({ dir, pattern }): Filter => ({ kind: 'hostcond', dir, cond: { family: 'unix', pattern }, span: SPAN })),
      fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), port: fc.oneof(fc.constant(-1), inode), bits: fc.constantFrom(-1, 0, 8, 32) })
        .map(({ dir, port, bits }): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: 0, addrs: bits < 0 ? [] : [{ af: 2, bytes: Uint8Array.from([127, 0, 0, 1]), prefixLen: bits }], port }, span: SPAN })),
      fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), cmp: fc.constantFrom('ge' as const, 'le' as const), port: inode }).map((x): Filter => ({ kind: 'portcmp', ...x, span: SPAN })),
      fc.constantFrom(0, 1).map((ifindex): Filter => ({ kind: 'dev', ifindex, span: SPAN })),
      fc.constantFrom([0, 0], [0, 0xffffffff], [5, 0xff]).map(([mark, mask]): Filter => ({ kind: 'mark', mark: mark!, mask: mask!, span: SPAN })),
      fc.constantFrom(0n, 7n).map((id): Filter => ({ kind: 'cgroup', id, span: SPAN })),
      fc.constant<Filter>({ kind: 'auto', span: SPAN }),
      fc.constantFrom('rqueue' as const, 'wqueue' as const, 'uid' as const, 'ino' as const, 'rtt' as const).chain((field) => {
        const seen = field === 'rtt' ? [0] : observed(field === 'ino' ? 'inode' : field)
        const value = fc.oneof(fc.constantFrom(...seen), fc.constantFrom(...seen).map((v) => v + 1), fc.constantFrom(...seen).map((v) => v - 1), fc.constantFrom(0, 1.5, -3, 2 ** 33))
        return fc.record({ op: fc.constantFrom<CmpOp>('eq', 'ne', 'lt', 'le', 'gt', 'ge'), value }).map(({ op, value }): Filter => ({ kind: 'metric', field, op, value, span: SPAN }))
      }),
    )
    const tree = filterTree(leaf, SPAN)
    const selection = fc.record({
      tables: fc.constantFrom(ALL_UNIX, 1 << TABLE.unix_stream, (1 << TABLE.unix_dgram) | (1 << TABLE.unix_seqpacket), 1 << TABLE.unix_seqpacket),
      states: fc.constantFrom(0xffffffff, 1 << 1, (1 << 1) | (1 << 10), 1 << 7, (1 << 7) | (1 << 10)),
    })
    const typeTable: Record<number, number> = { 1: TABLE.unix_stream, 2: TABLE.unix_dgram, 5: TABLE.unix_seqpacket }
    let runs = 0
    let nonEmpty = 0
    fc.assert(fc.property(fc.option(tree, { nil: null, freq: 10 }), selection, (f, sel) => {
      runs++
      const want = netlink(sel.states).filter((r) => (sel.tables & (1 << typeTable[r.type]!)) !== 0 && (f === null || evaluate(f, r, env))).map(key)
      const got = iterate(f, sel).map(key)
      if (got.length > 0) nonEmpty++
      if (json(got) !== json(want)) throw new Error(`iter/unix and evaluator differ:\n got  ${got.join(' ')}\n want ${want.join(' ')}\nfilter: ${json(f)} selection ${json(sel)}`)
    }), { numRuns: 300 })
    t.equal(runs, 300, `${runs} filters, ${nonEmpty} selected at least one socket`)
    t.ok(nonEmpty > 20, 'the filters are not all empty')
  })

  t.test('a walk longer than one read is listed over netlink (the kernel skips the rest of a bucket after a read), same output', async (t) => {
    // 3000 more sockets: their records take several reads of the iterator's 32 KiB buffer.
    const crowd = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', [
      'import socket, sys', 'keep = [socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM) for _ in range(1500)]', 'print("ready", flush=True)', 'sys.stdin.read()',
    ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] })
    // Wait until its sockets are gone: the next subtest compares two listings of the namespace.
    t.teardown(async () => {
      const gone = new Promise((resolve) => crowd.once('exit', resolve))
      crowd.stdin.end()
      if (crowd.exitCode === null) crowd.kill()
      if (crowd.exitCode === null) await gone
    })
    await new Promise<void>((resolve, reject) => {
      crowd.once('exit', (code) => reject(new Error(`crowd exited early (${code})`)))
      crowd.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve() })
    })
    const layoutNow = readIterUnixLayout()
    const selection = { tables: ALL_UNIX, families: 1 << AF.AF_UNIX, states: 0xffffffff, preferredFamily: 0 }
    const p = { attach: 'iter/unix' as const, program: compileIterUnix(null, layoutNow, {}), attachBtfId: layoutNow.attachBtfId, userSpace: null }
    const sources: string[] = []
    const link = loadIter(p.program.bytes, p.attachBtfId)
    let got: string[]
    try {
      got = [...runUnixListing(p, link, null, { selection, localPortRange: env.localPortRange, netns: ns.name }, (s) => sources.push(s))].map(key)
    } finally {
      link.close()
    }
    t.same(sources, ['netlink'], 'the walk took more than one read: netlink instead')
    t.same(got, netlink().map(key), 'every socket, in unix_diag\'s order')
    for (const f of [[], ['src', '@*']]) {
      const diag = await list(['-N', ns.name, '-xan', '--target', 'diag', ...f])
      const ebpf = await list(['-N', ns.name, '-xan', '--target', 'ebpf', ...f])
      if (f.length === 0) t.ok(diag.out.split('\n').length > 3000, `${diag.out.split('\n').length} lines`)
      t.equal(ebpf.out, diag.out, `-xan ${f.join(' ')}: stdout`)
    }
  })

  t.test('CLI: --target ebpf prints what --target diag prints', async (t) => {
    const filters: string[][] = [
      [], ['src', '/tmp/*'], ['dst', '*'], ['src', '@*', 'or', 'sport', '>', ':1000'], ['autobound'], ['not', 'autobound'], ['rqueue', '>', '0'],
      ['wqueue', '=', '0', 'and', 'not', 'src', '*ZOO*'], ['state', 'listening'], ['state', 'connected'], ['uid', '=', '0'], ['ino', '!=', '0'], ['rtt', '>', '0'],
    ]
    // Every filter with -xan; a few with the other selections (each run costs a namespace switch).
    for (const opts of [['-xan'], ['-xn'], ['-xlp'], ['-x', '-A', 'unix_dgram,unix_seqpacket', '-an'], ['-txan']]) {
      for (const f of opts[0] === '-xan' ? filters : filters.filter((_, i) => i % 3 === 0)) {
        const diag = await list(['-N', ns.name, ...opts, '--target', 'diag', ...f])
        const ebpf = await list(['-N', ns.name, ...opts, '--target', 'ebpf', ...f])
        const what = `${opts.join(' ')} ${f.join(' ') || '(no filter)'}`
        t.equal(ebpf.err, diag.err, `${what}: stderr`)
        t.equal(ebpf.code, diag.code, `${what}: exit code`)
        t.equal(ebpf.out, diag.out, `${what}: stdout`)
      }
    }
  })
}
