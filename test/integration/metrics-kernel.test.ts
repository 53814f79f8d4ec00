// Metric predicates against the real kernel, in a private namespace with the
// socket zoo (listeners, established v4/v6/v4-mapped, TIME-WAIT, UDP, MPTCP
// subflows) plus connections of our own: data sent and left unread (bytes_*,
// segs_*, rqueue), a connection owned by uid 1000, and request sockets
// (SYN-RECV, kept by TCP_DEFER_ACCEPT).
//
// For ≥300 random filters mixing ss's predicates and metrics, the sockets
// `ssx --target diag` selects (its plan: bytecode for what the kernel can
// test, INET_DIAG_INFO, the residual in user space) are exactly the sockets
// of an unfiltered `-tuai` dump the evaluator accepts. Predicates whose
// kernel and user-space semantics differ on purpose (autobound, fwmark on
// TIME-WAIT, prefix-0 and cross-family conditions) are left to
// kernel-vs-evaluator.test.ts. Thresholds on values that move between two
// dumps (lastsnd, lastrcv, lastack) are drawn far from every observed value;
// sockets that appear or vanish between the unfiltered dumps before and
// after a listing (TIME-WAIT sockets expire after 60 s; a fresh one is made
// every 10 s) are left out of the comparison.
import t from 'tap'
import fc from 'fast-check'
import { spawn, type ChildProcess } from 'node:child_process'
import { compileArgv, type Compiled } from '../../src/cli/compile.js'
import { evaluate } from '../../compiler/evaluate.js'
import { METRICS, readMetric } from '../../compiler/metrics.js'
import { hasFamily } from '../../compiler/select.js'
import { METRIC_NAMES, METRIC_UNITS, type MetricName } from '../../grammar/metrics.js'
import type { SocketRecord } from '../../runtime/record.js'
import { readLocalPortRange, runQuery } from '../../src/query.js'
import { canUseNetns, createNetns, type Netns } from '../helpers/netns.js'

const BASE = 5000
const OWN = BASE + 600

/** Our own connections, next to the zoo's; prints "ready" when they are settled. */
const EXTRA = `
import os, socket, sys, time
BASE = ${OWN}
keep = []
def pair(port, send=b'', read=0, uid=None):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('127.0.0.1', port)); l.listen(8)
    c = socket.create_connection(('127.0.0.1', port)); a, _ = l.accept()
    if send: c.sendall(send)
    if read: a.recv(read, socket.MSG_WAITALL)
    keep.extend([l, c, a])
pair(BASE, send=b'x' * 100000)            # unread: rqueue 100000 on the server side
pair(BASE + 1, send=b'y' * 3000, read=3000)  # sent and read: bytes_acked, bytes_received, segs
pair(BASE + 2, send=b'z' * 10, read=4)       # 6 bytes left in the queue
parent = os.getpid()
pid = os.fork()
if pid == 0:
    os.setgid(1000); os.setuid(1000)
    pair(BASE + 3, send=b'u' * 700, read=700)
    while os.getppid() == parent:  # leave with the parent, however it ends
        time.sleep(0.2)
    os._exit(0)
import signal
signal.signal(signal.SIGTERM, lambda *_: (os.kill(pid, 9), os._exit(0)))
import threading
# TCP_DEFER_ACCEPT keeps a connection a request socket (SYN-RECV) until data comes.
deferred = socket.socket(); deferred.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 30)
deferred.bind(('127.0.0.1', BASE + 5)); deferred.listen(64)
def time_wait():
    # TIME-WAIT lasts 60 s and a deferred request about as long; the run is longer: fresh ones every 10 s.
    n = 0
    while True:
        keep.append(socket.create_connection(('127.0.0.1', BASE + 5)))
        l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('127.0.0.1', BASE + 10 + n % 50)); l.listen(1)
        c = socket.create_connection(('127.0.0.1', BASE + 10 + n % 50)); a, _ = l.accept()
        c.close(); a.recv(1); a.close(); l.close()
        n += 1
        time.sleep(10)
threading.Thread(target=time_wait, daemon=True).start()
time.sleep(0.3)  # let the child set up and every ACK land
print('ready', flush=True)
try:
    sys.stdin.read()
finally:
    os.kill(pid, 9)
`

function startExtra(ns: Netns): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', EXTRA], { stdio: ['pipe', 'pipe', 'pipe'] })
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
    child.once('exit', (code) => reject(new Error(`extra sockets exited (${code}): ${err}`)))
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('ready')) resolve(child)
    })
  })
}

/** A socket's identity across two dumps. */
function key(table: string, r: SocketRecord): string {
  if (r.kind !== 'inet') return `${r.kind}:${r.localPort}`
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  return `${table} ${r.family} ${r.state} ${hex(r.localAddr)}:${r.localPort} ${hex(r.remoteAddr)}:${r.remotePort} ${r.inode}`
}

/** Run a compiled listing in the namespace: the selected sockets by key. */
function list(c: Compiled, netns: string, range: readonly [number, number]): Map<string, SocketRecord> {
  const run = runQuery(c.plan, { netns, families: c.families, tables: c.selection.tables, states: c.selection.states, localPortRange: range })
  const out = new Map<string, SocketRecord>()
  for (const rec of run) out.set(key(run.current!.table, rec), rec)
  return out
}

const MOVING: ReadonlySet<MetricName> = new Set(['lastsnd', 'lastrcv', 'lastack'])

/**
 * Thresholds for a metric that no observed value is close to (for moving
 * values: far below, or more than two minutes above), plus the observed
 * values themselves for metrics that do not move on idle sockets.
 */
function thresholds(name: MetricName, observed: readonly number[]): number[] {
  const cands = new Set<number>([0, 1])
  for (const o of observed) for (const c of [o, o - 1, o + 1, Math.floor(o / 2), o * 2 + 1]) if (c >= 0) cands.add(c)
  cands.add(Math.max(0, ...observed) * 4 + 1_000_000_000)
  if (!MOVING.has(name)) return [...cands].sort((a, b) => a - b)
  const far = (c: number): boolean => observed.every((o) => c < o / 2 - 1_000_000 || c > o + 120_000_000)
  return [...cands].filter(far).sort((a, b) => a - b)
}

/** A threshold as filter text, in a unit that writes it exactly. */
function valueText(name: MetricName, v: number, pick: number): string {
  const cls = METRIC_UNITS[name]
  if (cls === 'time') {
    if (v % 1_000_000 === 0 && pick % 3 === 0) return `${v / 1_000_000}s`
    if (v % 1000 === 0 && pick % 3 === 1) return `${v / 1000}`
    return `${v}us`
  }
  if (cls === 'bytes' && v % 1024 === 0 && v > 0 && pick % 2 === 0) return `${v / 1024}K`
  return String(v)
}

const OPS = ['=', '==', 'eq', '!=', 'ne', 'neq', '<', 'lt', '<=', 'le', 'leq', '>', 'gt', '>=', 'ge', 'geq']

const netnsOk = await canUseNetns()
if (!netnsOk && process.env['CI'] !== 'true') {
  t.plan(0, 'skip: needs root and ip(8) for a private namespace (CI=true makes this a failure)')
} else t.test('--target diag selects what the evaluator selects on an unfiltered dump', async (t) => {
  const ns = await createNetns('metrics')
  t.teardown(() => ns.destroy())
  const zoo = await ns.startZoo({ basePort: BASE })
  const extra = await startExtra(ns)
  t.teardown(async () => {
    const exited = new Promise((r) => extra.once('exit', r))
    extra.stdin?.end()
    const timer = setTimeout(() => extra.kill('SIGKILL'), 2000)
    if (extra.exitCode === null && extra.signalCode === null) await exited
    clearTimeout(timer)
  })
  const range = readLocalPortRange(ns.name)
  const env = { localPortRange: range }
  const baseArgv = ['-t', '-u', '-a', '-n']
  const unfiltered = await compileArgv([...baseArgv, '-i'])

  // What there is to select, and the values metrics see.
  const first = list(unfiltered, ns.name, range)
  const recs = [...first.values()]
  const has = (p: (r: SocketRecord) => boolean, what: string): void => { t.ok(recs.some(p), `zoo has ${what}`) }
  has((r) => r.kind === 'inet' && r.state === 6, 'a TIME-WAIT socket')
  has((r) => r.kind === 'inet' && r.state === 3 && r.shutdown === undefined, 'a request socket (SYN-RECV), without INET_DIAG_SHUTDOWN')
  has((r) => r.kind === 'inet' && r.state === 1 && r.shutdown !== undefined, 'full sockets with INET_DIAG_SHUTDOWN')
  has((r) => r.kind === 'inet' && r.state === 10, 'listeners')
  has((r) => r.kind === 'inet' && r.state === 7, 'UDP sockets')
  has((r) => r.kind === 'inet' && r.rqueue === 100000, 'unread data (rqueue 100000)')
  has((r) => r.kind === 'inet' && r.uid === 1000, 'a socket of uid 1000')
  has((r) => r.kind === 'inet' && (r.tcpInfo?.bytesReceived ?? 0n) >= 3000n, 'bytes received')
  const observed = new Map<MetricName, number[]>()
  for (const name of METRIC_NAMES) {
    const vals = recs.map((r) => readMetric(name, r)).filter((v): v is number | bigint => v !== undefined).map(Number)
    observed.set(name, [...new Set(vals)])
    t.ok(vals.length > 0, `${name}: ${vals.length} sockets report it (${METRICS[name].source.member})`)
  }
  void zoo

  const metricLeaf = fc
    .record({ name: fc.constantFrom(...METRIC_NAMES), op: fc.constantFrom(...OPS), i: fc.nat(), pick: fc.nat() })
    .map(({ name, op, i, pick }) => {
      const th = thresholds(name, observed.get(name)!)
      return `${name} ${op} ${valueText(name, th[i % th.length]!, pick)}`
    })
  const ssLeaf = fc.constantFrom(
    `sport = :${BASE}`, `dport = :${BASE}`, `sport > :${BASE + 600}`, `dport < :${BASE + 602}`, `sport >= :${BASE + 1000}`, `dport != :${BASE + 3}`,
    `sport = :${OWN + 3}`, 'src 127.0.0.1', 'dst 127.0.0.1', 'src [::1]', 'dst ::1/128', `src 127.0.0.1:${OWN}`, 'dev lo',
  )
  const leaf = fc.oneof({ weight: 3, arbitrary: metricLeaf }, { weight: 2, arbitrary: ssLeaf })
  const { expr } = fc.letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      tie('expr').map((e) => `not ( ${e} )`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `( ${a} ) and ( ${b} )`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `( ${a} ) or ( ${b} )`),
      fc.tuple(tie('expr'), tie('expr')).map(([a, b]) => `( ${a} ) ( ${b} )`),
    ),
  }))

  let runs = 0
  let selectedTotal = 0
  let withBytecode = 0
  const failures: string[] = []
  const mixed = expr.filter((e) => METRIC_NAMES.some((m) => e.includes(`${m} `)))
  let before = first
  let tCompile = 0
  let tList = 0
  let unstable = 0
  for (const text of fc.sample(mixed, { numRuns: 280, seed: 0x5eed }).concat(fc.sample(mixed, 20))) {
    const words = text.split(' ')
    const t0 = performance.now()
    const c = await compileArgv([...baseArgv, '--target', 'diag', ...words])
    tCompile += performance.now() - t0
    if (c.plan.requests.some((r) => r.program !== null)) withBytecode++
    const t1 = performance.now()
    const got = list(c, ns.name, range)
    const after = list(unfiltered, ns.name, range)
    const dt = performance.now() - t1
    tList += dt
    if (runs % 50 === 0) t.comment(`${runs} filters: ${Math.round(tCompile)} ms compiling, ${Math.round(tList)} ms listing`)
    const stable = new Set([...after.keys()].filter((k) => before.has(k)))
    unstable += after.size + before.size - 2 * stable.size
    const want = new Set([...after].filter(([k, r]) => stable.has(k) && hasFamily(c.families, r.family) && evaluate(c.filter!, r, env)).map(([k]) => k))
    before = after
    const extraGot = [...got.keys()].filter((k) => stable.has(k) && !want.has(k))
    const missing = [...want].filter((k) => !got.has(k))
    runs++
    selectedTotal += got.size
    if (extraGot.length || missing.length) failures.push(`${text}\n  ssx only: ${extraGot.join(' | ')}\n  evaluator only: ${missing.join(' | ')}`)
  }
  t.equal(failures.length, 0, `${failures.length} of ${runs} filters differ`, { failures: failures.slice(0, 5) })
  t.ok(runs >= 300, `${runs} filters`)
  t.ok(withBytecode > 30, `${withBytecode} filters sent bytecode for their ss part`)
  t.comment(`${runs} filters, ${selectedTotal} sockets selected in all, ${withBytecode} with bytecode, ${unstable} socket appearances left out as unstable`)
})
