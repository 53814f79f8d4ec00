// Boundedness, not speed: 100k sockets (20k TCP listeners and 40k unix
// socketpairs, held by Python children in a private namespace) streamed
// twice through runQuery and counted, in a process of its own. Its peak RSS
// must stay far below what collecting them would take; the figures are printed.
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AF } from '../../uapi/inet-diag.js'
import { compilePlan } from '../../compiler/compile.js'
import { SS_ALL, tableBit } from '../../compiler/select.js'
import type { Selection } from '../../compiler/select.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const run = promisify(execFile)
const TCP = 20_000
const PAIRS = 40_000
const FIRST_PORT = 10_000
const BOUND_MB = 200

// The fd limit (20k here, and root may not raise it) caps one holder, so the sockets are spread over several.
const HOLDER = String.raw`
import socket, sys
kind, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
keep = []
for i in range(n):
    if kind == 'tcp':
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', first + i)); s.listen(1); keep.append(s)
    else:
        keep.extend(socket.socketpair())
print('ready', flush=True)
sys.stdin.read()
`
const HOLDERS: [string, number, number][] = [
  ['tcp', TCP / 2, FIRST_PORT], ['tcp', TCP / 2, FIRST_PORT + TCP / 2],
  ...Array.from({ length: 5 }, (): [string, number, number] => ['unix', PAIRS / 5, 0]),
]

// The dump runs in a child of its own, so its peak RSS is the query's and not the test runner's (TypeScript compiler included).
const DRIVER = (root: string): string => `
  import { runQuery } from ${JSON.stringify(join(root, 'src/query.js'))}
  const { plan, opts } = JSON.parse(process.argv[2])
  const before = process.resourceUsage().maxRSS
  const started = Date.now()
  let tcp = 0, unix = 0
  // Two passes: a leak that grows per socket would show in the second one.
  for (let pass = 0; pass < 2; pass++) {
    tcp = 0; unix = 0
    for (const r of runQuery(plan, opts)) {
      if (r.kind === 'inet') tcp++
      else if (r.kind === 'unix') unix++
    }
  }
  console.log(JSON.stringify({ tcp, unix, before, peak: process.resourceUsage().maxRSS, ms: Date.now() - started }))
`

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root and ip(8) to create a network namespace (CI=true makes this a failure)')
} else {
  t.test(`streaming ${TCP + 2 * PAIRS} sockets keeps the peak RSS under ${BOUND_MB} MB`, async (t) => {
    const ns = await createNetns('memory')
    t.teardown(() => ns.destroy())
    const holders = HOLDERS.map(([kind, n, first]) => {
      const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', HOLDER, kind, String(n), String(first)], { stdio: ['pipe', 'pipe', 'inherit'] })
      t.teardown(() => { child.stdin.end(); child.kill() })
      return createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()
    })
    const ready = await Promise.all(holders)
    t.ok(ready.every((l) => l.value === 'ready'), `${HOLDERS.length} holders created their sockets`)

    const root = fileURLToPath(new URL('../../', import.meta.url))
    mkdirSync(join(root, 'node_modules/.cache'), { recursive: true })
    const dir = mkdtempSync(join(root, 'node_modules/.cache/ssx-memory-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'driver.ts'), DRIVER(root))
    await run(join(root, 'node_modules/.bin/esbuild'), [join(dir, 'driver.ts'), '--bundle', '--platform=node', '--format=esm', '--external:koffi', `--outfile=${join(dir, 'driver.mjs')}`, '--log-level=error'], { cwd: root })

    const sel: Selection = {
      tables: tableBit('tcp') | tableBit('unix_stream'),
      families: (1 << AF.AF_INET) | (1 << AF.AF_INET6) | (1 << AF.AF_UNIX),
      states: SS_ALL,
      preferredFamily: 0,
    }
    const plan = compilePlan(null, { selection: sel, preferredFamily: 0 })
    const { stdout } = await run(process.execPath, [join(dir, 'driver.mjs'), JSON.stringify({ plan, opts: { ...sel, netns: ns.name } })], { maxBuffer: 1 << 20 })
    const r = JSON.parse(stdout) as { tcp: number, unix: number, before: number, peak: number, ms: number }
    t.equal(r.tcp, TCP, 'every TCP listener')
    t.equal(r.unix, 2 * PAIRS, 'every unix socket')
    t.comment(`peak RSS of the querying process ${(r.peak / 1024).toFixed(1)} MB (${(r.before / 1024).toFixed(1)} MB at start); 2 × ${r.tcp + r.unix} sockets in ${r.ms} ms`)
    t.ok(r.peak < BOUND_MB * 1024, `peak RSS ${(r.peak / 1024).toFixed(1)} MB < ${BOUND_MB} MB`)
  })
}
