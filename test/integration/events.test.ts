/**
 * `ssx -E` against `ss -E` (6.1) in a private namespace: both follow the
 * destroy events of the same connections, run side by side, and must print
 * the same bytes. ss runs under `stdbuf -o0` (6.1 leaves its output in
 * stdio's buffer when stdout is a pipe, and SIGINT would lose it); nothing
 * is masked: both print the same announcements, tcp_info included.
 *
 * Filters run in batches (one ss and one ssx per filter, all at once); each
 * batch opens and closes a few hundred connections of several kinds. For
 * every filter, a socket of the test's own with the classic BPF program
 * ssx compiles shows that the kernel drops the events the filter rejects:
 * it receives at least what the filter accepts (never less) and, for
 * programs that decide alone, exactly that.
 *
 * Also: no TCP/UDP selected (exit 255, silent, like ss), events written to a
 * pipe one by one while ssx runs, EPIPE and SIGTERM ending it cleanly,
 * `--ndjson -E`.
 *
 * Runs as root (always in CI); skipped with the reason otherwise.
 */
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { build } from 'esbuild'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import type { Netns } from '../helpers/netns.js'
import { compileArgv } from '../../src/cli/compile.js'
import { compileEventFilter } from '../../compiler/cbpf/compile.js'
import { evaluate } from '../../compiler/evaluate.js'
import { hasFamily } from '../../compiler/select.js'
import { destroyGroupsFor } from '../../src/events.js'
import { readLocalPortRange } from '../../src/query.js'
import { openDiagEvents } from '../../runtime/events.js'
import type { DestroyEvent, DiagEvents } from '../../runtime/events.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)

/** The filters compared, ss's command line after `-E`'s options. */
const FILTERS: readonly (readonly string[])[] = [
  ['-E'],
  ['-En'],
  ['-Et'],
  ['-Eu'],
  ['-E4n'],
  ['-E6n'],
  ['-Etn', 'sport', '=', ':7001'],
  ['-Etn', 'dport', '=', ':7001'],
  ['-En', 'sport', '>=', ':7002', 'and', 'sport', '<=', ':7003'],
  ['-Etn', 'src', '127.0.0.2'],
  ['-Etn', 'dst', '127.0.0.3/32'],
  ['-En', 'src', '[::1]'],
  ['-En', 'not', 'sport', '=', ':7001'],
  ['-Etn', '(', 'sport', '=', ':7001', 'or', 'dport', '=', ':7002', ')'],
  ['-Etn', 'autobound'],
  ['-Ene', 'sport', '=', ':7004'],
  ['-Eno', 'dport', '=', ':7001'],
  ['-Eni', 'sport', '=', ':7001'],
  ['-Enm', 'dport', '=', ':7003'],
  ['-Eun', 'sport', '=', ':7010'],
  ['-EHn', 'sport', '=', ':7002'],
  ['-En', 'dev', 'lo'],
  ['-En', 'sport', '=', ':9999'],
  ['-Etn', 'state', 'established'],
  ['-E', '-A', 'tcp', 'src', '127.0.0.1', 'and', 'dport', '=', ':7001'],
  ['-En6', 'sport', '=', ':7005'],
  ['-En', 'fwmark', '=', '0x1'],
  ['-Etn', 'not', 'src', '127.0.0.0/8', 'and', 'not', 'dst', '[::1]'],
]
/** Filters followed at once: one ss and one ssx each. */
const BATCH = 7

/**
 * Opens and closes connections in the namespace, a few at a time (the
 * receive queues of a dozen listeners must not overflow): TCP to
 * 127.0.0.1:7001 (some clients device-bound to lo), 127.0.0.2:7002 from
 * 127.0.0.3, [::1]:7003, 127.0.0.1:7004, an IPv4 client to the dual-stack
 * [::]:7005 (v4-mapped server side); UDP sockets on 127.0.0.1:7010 and
 * [::1]:7011. Every listener is closed at the end. Prints the number of
 * connections.
 */
const CHURN = String.raw`
import socket, sys, time
rounds = int(sys.argv[1])
def listener(fam, addr, port):
    l = socket.socket(fam); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind((addr, port)); l.listen(512); return l
L = [listener(socket.AF_INET, '127.0.0.1', 7001), listener(socket.AF_INET, '127.0.0.2', 7002), listener(socket.AF_INET6, '::1', 7003),
     listener(socket.AF_INET, '127.0.0.1', 7004), listener(socket.AF_INET6, '::', 7005)]
conns = 0
def connect(l, fam, addr, port, src=None, dev=False):
    global conns
    c = socket.socket(fam)
    if dev: c.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'lo')
    if src: c.bind((src, 0))
    c.connect((addr, port)); a, _ = l.accept(); c.close(); a.close(); conns += 1
for r in range(rounds):
    connect(L[0], socket.AF_INET, '127.0.0.1', 7001, dev=(r % 3 == 0))
    connect(L[1], socket.AF_INET, '127.0.0.2', 7002, src='127.0.0.3')
    connect(L[2], socket.AF_INET6, '::1', 7003)
    if r % 2 == 0: connect(L[3], socket.AF_INET, '127.0.0.1', 7004)
    if r % 4 == 0: connect(L[4], socket.AF_INET, '127.0.0.1', 7005)
    if r % 5 == 0:
        for fam, addr, port in ((socket.AF_INET, '127.0.0.1', 7010), (socket.AF_INET6, '::1', 7011)):
            u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((addr, port)); u.close()
    if r % 4 == 3: time.sleep(0.02)
for l in L: l.close()
print(conns)
`

interface Exit { code: number | null, signal: NodeJS.Signals | null }
interface Proc { child: ChildProcess, out: () => string, err: () => string, exit: Promise<Exit> }

/** Start a command in the namespace, collecting its output. */
function startIn(ns: Netns, cmd: string, args: readonly string[]): Proc {
  const child = spawn('ip', ['netns', 'exec', ns.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('latin1').on('data', (d: string) => { out += d })
  child.stderr!.setEncoding('latin1').on('data', (d: string) => { err += d })
  const exit = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })))
  return { child, out: () => out, err: () => err, exit }
}

/** sock_diag sockets of the namespace that joined a multicast group, from /proc/net/netlink. */
async function subscribers(ns: Netns): Promise<{ rmem: number, drops: number }[]> {
  const { stdout } = await ns.exec('cat', ['/proc/net/netlink'])
  return stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/))
    .filter((f) => f[1] === '4' && f[3] !== '00000000')
    .map((f) => ({ rmem: Number(f[4]), drops: Number(f[8]) }))
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Poll `check` every 50 ms until it holds or `ms` passed; the last verdict. */
async function until(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  for (;;) {
    if (await check()) return true
    if (Date.now() > end) return false
    await sleep(50)
  }
}

/** Drain an events socket: everything queued now. */
function drain(ev: DiagEvents): DestroyEvent[] {
  const out: DestroyEvent[] = []
  for (let b = ev.tryReceive(); b !== null; b = ev.tryReceive()) out.push(...b.map((e) => ({ ...e, message: e.message.slice() })))
  return out
}

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root and ip(8) to create a network namespace (CI=true makes this a failure)')
} else {
  t.setTimeout(300_000)
  // The CLI bundled on its own (dist/ is shared with other tests), next to a node_modules link for koffi.
  const dir = await mkdtemp(join(tmpdir(), 'ssx-events-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile: join(dir, 'ssx.mjs'), bundle: true, platform: 'node', format: 'esm',
    target: 'node20', external: ['koffi'], logLevel: 'warning',
    banner: { js: "import { createRequire as __ssxCreateRequire } from 'node:module'; const require = __ssxCreateRequire(import.meta.url);" },
  })
  const ssxMain = join(dir, 'run.mjs')
  await writeFile(ssxMain, "import { main } from './ssx.mjs'\nmain(process.argv.slice(2)).then((code) => { process.exitCode = code })\n")
  const ssx = (ns: Netns, args: readonly string[]): Proc => startIn(ns, process.execPath, [ssxMain, ...args])
  const ss = (ns: Netns, args: readonly string[]): Proc => startIn(ns, 'stdbuf', ['-o0', '/usr/bin/ss', ...args])

  const ns = await createNetns('events')
  const procs: Proc[] = []
  t.teardown(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL')
    await ns.destroy()
  })
  const churn = async (rounds: number): Promise<number> => Number((await run('ip', ['netns', 'exec', ns.name, 'python3', '-c', CHURN, String(rounds)])).stdout.trim())
  const localPortRange = readLocalPortRange(ns.name)

  t.test('no TCP or UDP selected: exit 255 and nothing printed, as ss', async (t) => {
    for (const args of [['-E', '-x'], ['-E', '-w'], ['-E', '-A', 'unix'], ['-E', '-0']]) {
      const a = ss(ns, args)
      const b = ssx(ns, args)
      procs.push(a, b)
      const [ea, eb] = await Promise.all([a.exit, b.exit])
      t.same({ code: eb.code, out: b.out(), err: b.err() }, { code: ea.code, out: a.out(), err: a.err() }, args.join(' '))
      t.equal(eb.code, 255)
    }
  })

  let connections = 0
  for (let first = 0; first < FILTERS.length; first += BATCH) {
    const batch = FILTERS.slice(first, first + BATCH)
    t.test(`ssx -E and ss -E side by side: ${batch.map((f) => f.join(' ')).join(' | ')}`, async (t) => {
      // The classic BPF programs ssx compiles, on sockets of the test's own, next to one that keeps everything.
      const all = openDiagEvents({ netns: ns.name, groups: [1, 2, 3, 4] })
      const probes = await Promise.all(batch.map(async (args) => {
        const c = await compileArgv(args)
        const prog = compileEventFilter(c.filter, { localPortRange })
        const groups = destroyGroupsFor(c.families, c.selection.tables)
        return { args, c, prog, groups, ev: openDiagEvents({ netns: ns.name, groups, filter: prog.program }) }
      }))
      t.teardown(() => { all.close(); for (const p of probes) p.ev.close() })

      const pairs = batch.map((args) => ({ args, ss: ss(ns, args), ssx: ssx(ns, args) }))
      for (const p of pairs) procs.push(p.ss, p.ssx)
      const expected = 2 * batch.length + 1 + probes.length
      t.ok(await until(async () => (await subscribers(ns)).length === expected, 30_000), `all ${2 * batch.length} followers subscribed`)

      // The test's own sockets are read while the followers catch up.
      const seen: DestroyEvent[] = []
      const received: DestroyEvent[][] = probes.map(() => [])
      const drainOwn = (): void => {
        seen.push(...drain(all))
        for (const [i, p] of probes.entries()) received[i]!.push(...drain(p.ev))
      }
      const churning = churn(70)
      while (await Promise.race([churning.then(() => false), sleep(50).then(() => true)])) drainOwn()
      connections += await churning
      // Everyone has read everything (empty receive queues), then a moment for the last writes.
      t.ok(await until(async () => { drainOwn(); return (await subscribers(ns)).every((s) => s.rmem === 0) }, 20_000), 'queues drained')
      await sleep(300)
      drainOwn()
      const subs = await subscribers(ns)
      t.equal(subs.reduce((s, x) => s + x.drops, 0), 0, 'no announcement was lost (no receive-queue overflow)')
      for (const p of pairs) { p.ss.child.kill('SIGINT'); p.ssx.child.kill('SIGINT') }

      for (const [i, p] of pairs.entries()) {
        const [es, ex] = await Promise.all([p.ss.exit, p.ssx.exit])
        const name = p.args.join(' ')
        t.equal(es.signal, 'SIGINT', `ss ${name} ran until interrupted`)
        t.same(ex, { code: 0, signal: null }, `ssx ${name}: exit 0 on SIGINT`)
        t.equal(p.ssx.err(), '', `ssx ${name}: nothing on stderr`)
        t.ok(p.ss.out().length > 0, `ss ${name} printed (at least its header)`)
        t.equal(p.ssx.out(), p.ss.out(), `ssx ${name} prints what ss prints`)

        // The kernel side: what the program let through, against ss's verdict on every announcement.
        const probe = probes[i]!
        const got = received[i]!
        const env = { localPortRange }
        const inGroups = (e: DestroyEvent): boolean => probe.groups.includes(groupOf(e))
        const matching = seen.filter((e) => inGroups(e) && hasFamily(probe.c.families, e.record.family) && (probe.c.filter === null || evaluate(probe.c.filter, e.record, env)))
        const cookies = new Set(got.map((e) => e.record.cookie))
        t.ok(matching.every((e) => cookies.has(e.record.cookie)), `${name}: the program dropped no matching event (${matching.length})`)
        if (probe.prog.exact) t.equal(got.length, matching.length, `${name}: exact program, only matching events reached the socket`)
        else t.ok(got.length >= matching.length, `${name}: over-approximating program (${probe.prog.residual.map((r) => r.reason).join('; ')})`)
        t.equal(probe.ev.stats.overflows, 0)
      }
      const total = seen.length
      const kept = probes.reduce((s, p) => s + p.ev.stats.messages, 0)
      t.ok(kept < total * probes.length, `the programs kept ${kept} of ${total * probes.length} announcements`)
    })
  }
  t.test('at least 1000 connections opened and closed', async (t) => {
    t.ok(connections >= 1000, `${connections}`)
  })

  t.test('into a pipe, each event is written as it arrives', async (t) => {
    const p = ssx(ns, ['-Etn'])
    procs.push(p)
    t.ok(await until(async () => (await subscribers(ns)).length === 1, 20_000), 'subscribed')
    await run('ip', ['netns', 'exec', ns.name, 'python3', '-c', "import socket\nl=socket.socket(); l.bind(('127.0.0.1',7100)); l.listen(); l.close()"])
    t.ok(await until(async () => p.out().split('\n').length === 3, 10_000), 'header and the listener\'s line, while ssx still runs')
    t.equal(p.child.exitCode, null)
    p.child.kill('SIGTERM')
    t.same(await p.exit, { code: 0, signal: null }, 'exit 0 on SIGTERM')
    t.match(p.out(), /^State +Recv-Q.*\nUNCONN +0 +0 +127\.0\.0\.1:7100 +0\.0\.0\.0:\*\s*\n$/)
  })

  t.test('a closed stdout (EPIPE) ends ssx cleanly', async (t) => {
    const p = ssx(ns, ['-Etn'])
    procs.push(p)
    t.ok(await until(async () => (await subscribers(ns)).length === 1, 20_000), 'subscribed')
    p.child.stdout!.destroy()
    await churn(3)
    t.same(await p.exit, { code: 0, signal: null })
    t.equal(p.err(), '')
  })

  t.test('--ndjson -E: one socket object per line, as the events arrive', async (t) => {
    const p = ssx(ns, ['-En', '--ndjson', 'sport', '=', ':7001'])
    procs.push(p)
    t.ok(await until(async () => (await subscribers(ns)).length === 1, 20_000), 'subscribed')
    const n = await churn(5)
    t.ok(n > 0)
    t.ok(await until(async () => p.out().split('\n').length === 7, 10_000), '5 server ends and the listener (lines as they came)')
    p.child.kill('SIGINT')
    t.same(await p.exit, { code: 0, signal: null })
    const objs = p.out().trim().split('\n').map((l) => JSON.parse(l) as { local?: { port?: number } })
    t.equal(objs.length, 6)
    t.ok(objs.every((o) => o.local?.port === 7001), 'each one local port 7001')
  })
}

/** The destroy group an announcement came through (bit `g-1` numbering: 1 TCP/v4, 2 UDP/v4, 3 TCP/v6, 4 UDP/v6). */
function groupOf(e: DestroyEvent): number {
  return (e.record.family === 10 ? 3 : 1) + (e.protocol === 17 ? 1 : 0)
}
