#!/usr/bin/env node
// Side-by-side benchmark of ssx and /usr/bin/ss on the same population.
//
//   npm run bench                               # 100,000 sockets, a few minutes
//   npm run bench -- --sockets 1000000 --write  # the full one, recorded in bench/RESULTS.md
//
// Options: --sockets N (default 100000), --runs R timed runs per case and
// tool (default 5), --startup-runs S (default 15), --write (replace this
// population size's section of bench/RESULTS.md), --no-build (use dist/ as is),
// --targets (instead of the cases above: ssx's --target ebpf, diag and auto
// against each other and against ss on tcp_info predicates and plain -tan;
// written to its own section).
//
// bench/populate.py fills a private namespace; bench/measure.c, run inside
// it, times each command (wall clock, peak RSS from wait4) with stdout to
// /dev/null; bench/floor.c sends ssx's own requests and decodes nothing, the
// floor any tool can reach. Tools are interleaved and their order rotates
// every run, so background load hits both alike. Needs root, ip, cc, python3.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const SS = '/usr/bin/ss'
const SSX = [process.execPath, join(ROOT, 'bin/ssx.js')]
/** Lines of the churn process (TIME-WAIT upkeep) differ between any two dumps; comparisons skip them. */
const CHURN_ADDR = '127.250.0.1'

const opts = parseArgs(process.argv.slice(2))
const tmp = mkdtempSync(join(tmpdir(), 'ssx-bench-'))
const cleanups = []
let cleaning

async function cleanup() {
  cleaning ??= (async () => {
    for (const f of cleanups.reverse()) await Promise.resolve().then(f).catch(() => undefined)
    rmSync(tmp, { recursive: true, force: true })
  })()
  return cleaning
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => { void cleanup().then(() => process.exit(130)) })
}

function parseArgs(argv) {
  const o = { sockets: 100_000, runs: 5, startupRuns: 15, write: false, build: true, targets: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    const num = () => {
      const v = Number(argv[++i])
      if (!Number.isInteger(v) || v < 0) throw new TypeError(`${a} needs a whole number`)
      return v
    }
    if (a === '--sockets') o.sockets = num()
    else if (a === '--runs') o.runs = Math.max(1, num())
    else if (a === '--startup-runs') o.startupRuns = Math.max(1, num())
    else if (a === '--write') o.write = true
    else if (a === '--no-build') o.build = false
    else if (a === '--targets') o.targets = true
    else {
      console.error(`usage: node bench/run.mjs [--sockets N] [--runs R] [--startup-runs S] [--write] [--no-build] [--targets]`)
      process.exit(2)
    }
  }
  return o
}

function log(msg) {
  process.stderr.write(`bench: ${msg}\n`)
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('needs root (it creates network namespaces)')
  if (opts.build) {
    log('building dist/')
    execFileSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'inherit' })
  }
  const measureBin = join(tmp, 'measure')
  const floorBin = join(tmp, 'floor')
  execFileSync('cc', ['-O2', '-o', measureBin, join(ROOT, 'bench/measure.c')])
  execFileSync('cc', ['-O2', '-o', floorBin, join(ROOT, 'bench/floor.c')])

  const started = new Date()
  const t0 = Date.now()
  log(`populating ${opts.sockets} sockets`)
  const pop = await populate(opts.sockets)
  log(`population ready in ${pop.seconds} s: ${pop.sockstat}`)
  const empty = `ssx-bench-empty-${process.pid}`
  execFileSync('ip', ['netns', 'add', empty])
  cleanups.push(() => execFileSync('ip', ['netns', 'del', empty]))
  execFileSync('ip', ['-n', empty, 'link', 'set', 'lo', 'up'])
  const busy = startMeasurer(pop.netns, measureBin)
  const idle = startMeasurer(empty, measureBin)
  if (opts.targets) return benchTargets({ started, t0, pop, busy })

  const P = String(pop.port)
  const cases = [
    { name: '-tan', args: ['-tan'], target: 0.6, compare: true },
    { name: "-tan 'sport = :1' (matches nothing)", args: ['-tan', 'sport = :1'], target: null, compare: true },
    { name: `-tan 'sport = :${P}' (~1 %)`, args: ['-tan', `sport = :${P}`], target: 1.3, compare: true },
    { name: "-tan 'dev lo'", args: ['-tan', 'dev lo'], target: 0.7, compare: true },
    { name: '-tain', args: ['-tain'], target: 0.5, compare: false },
    { name: '-s', args: ['-s'], target: null, compare: false, noFloor: true },
  ]
  for (const c of cases) {
    c.tools = {
      ss: [SS, ...c.args],
      ssx: [...SSX, ...c.args],
      ...(c.noFloor ? {} : { floor: [floorBin, ...floorRequests(c.args)] }),
    }
    c.samples = { ss: [], ssx: [], floor: [] }
    c.errors = []
  }

  log('warm-up and output comparison')
  for (const c of cases) {
    const outs = {}
    for (const [tool, argv] of Object.entries(c.tools)) {
      const out = join(tmp, `${tool}.out`)
      const r = await busy.run(argv, out)
      if (r.status !== 0) c.errors.push(`${tool} exited ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`)
      outs[tool] = readFileSync(out, 'utf8')
    }
    c.rows = { ss: lineCount(outs.ss), ssx: lineCount(outs.ssx) }
    c.floorRows = outs.floor === undefined ? null : Number(outs.floor.trim())
    if (c.compare) c.same = compareOutputs(outs.ss, outs.ssx)
  }

  await timeCases(busy, cases)

  // The population goes first: a TCP dump in any namespace walks the kernel's
  // shared established hash, so its sockets would slow the empty namespace too.
  busy.close()
  await pop.stop()
  log(`start-up in an empty namespace (population removed): ${opts.startupRuns} runs`)
  const startup = [
    { name: 'node -e 0', argv: [process.execPath, '-e', '0'] },
    { name: 'ssx -tan', argv: [...SSX, '-tan'] },
    { name: 'ss -tan', argv: [SS, '-tan'] },
    { name: 'ssx -s', argv: [...SSX, '-s'] },
    { name: 'ss -s', argv: [SS, '-s'] },
  ].map((s) => ({ ...s, samples: [] }))
  for (let r = 0; r < opts.startupRuns; r++) {
    for (const s of rotate(startup, r)) {
      const res = await idle.run(s.argv, null)
      if (res.status === 0) s.samples.push(res)
    }
  }
  idle.close()

  const report = renderReport({ started, seconds: (Date.now() - t0) / 1000, pop, cases, startup })
  process.stdout.write(report)
  if (opts.write) {
    writeResults(report)
    log('written to bench/RESULTS.md')
  }
}

/** Time every tool of every case, `opts.runs` times, tools interleaved and their order rotated each run. */
async function timeCases(busy, cases) {
  log(`timing: ${opts.runs} runs × ${cases.length} cases`)
  for (let r = 0; r < opts.runs; r++) {
    for (const c of cases) {
      for (const tool of rotate(Object.keys(c.tools), r)) {
        const res = await busy.run(c.tools[tool], null)
        if (res.status === 0) c.samples[tool].push(res)
      }
    }
    log(`  run ${r + 1}/${opts.runs} done`)
  }
}

/**
 * The --targets group: the same listings through ssx's eBPF iterator, its
 * inet_diag path and `auto`, beside ss. ss cannot express a tcp_info
 * predicate, so its figure is `ss -tain` alone: the dump a user would filter
 * afterwards, the filtering itself not counted (in ss's favour).
 */
async function benchTargets({ started, t0, pop, busy }) {
  const threshold = await rttThreshold(busy, 0.01)
  const ssx = (target, ...args) => [...SSX, '--target', target, ...args]
  const predicate = (filter) => ({
    ebpf: ssx('ebpf', '-tan', filter),
    diag: ssx('diag', '-tan', filter),
    auto: ssx('auto', '-tan', filter),
    'ss -tain': [SS, '-tain'],
  })
  const cases = [
    { name: "-tan 'rtt > 10s' (matches nothing)", tools: predicate('rtt > 10s') },
    { name: `-tan 'rtt > ${threshold.us}us' (${threshold.share})`, tools: predicate(`rtt > ${threshold.us}us`) },
    { name: '-tan', tools: { ebpf: ssx('ebpf', '-tan'), diag: ssx('diag', '-tan'), auto: ssx('auto', '-tan'), ss: [SS, '-tan'] } },
  ]
  for (const c of cases) {
    c.samples = Object.fromEntries(Object.keys(c.tools).map((k) => [k, []]))
    c.errors = []
    c.rows = {}
  }

  log('warm-up and output comparison (ssx targets against each other)')
  for (const c of cases) {
    const outs = {}
    for (const [tool, argv] of Object.entries(c.tools)) {
      const out = join(tmp, 'target.out')
      const r = await busy.run(argv, out)
      if (r.status !== 0) c.errors.push(`${tool} exited ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`)
      outs[tool] = readFileSync(out, 'utf8')
      c.rows[tool] = lineCount(outs[tool])
    }
    const verdicts = ['diag', 'auto'].map((t) => `ebpf vs ${t}: ${compareOutputs(outs.ebpf, outs[t])}`)
    if (c.tools.ss) verdicts.push(`ss vs ebpf: ${compareOutputs(outs.ss, outs.ebpf)}`)
    c.same = verdicts.join(', ')
  }

  await timeCases(busy, cases)
  busy.close()
  await pop.stop()

  const report = renderTargetsReport({ started, seconds: (Date.now() - t0) / 1000, pop, cases, threshold })
  process.stdout.write(report)
  if (opts.write) {
    writeResults(report, `targets:sockets=${opts.sockets}`)
    log('written to bench/RESULTS.md')
  }
}

/**
 * The smallest `rtt > T` (T in whole µs) that selects at most `share` of the
 * sockets reporting an rtt, from one `ss -tin` of the population. The
 * sockets are idle after their handshake, so their rtt stays put between
 * dumps. (cwnd, the issue's example, is 10 on every socket here: nothing is
 * ever sent, so no cwnd threshold selects ~1 %.)
 */
async function rttThreshold(busy, share) {
  const out = join(tmp, 'rtt.out')
  await busy.run([SS, '-tin'], out)
  const rtts = [...readFileSync(out, 'utf8').matchAll(/ rtt:([\d.]+)\//g)].map((m) => Math.round(Number(m[1]) * 1000)).sort((a, b) => a - b)
  if (rtts.length === 0) throw new Error('no rtt in ss -tin of the population')
  let us = rtts[Math.min(rtts.length - 1, Math.floor(rtts.length * (1 - share)))]
  let above = rtts.filter((v) => v > us).length
  if (above === 0) { us -= 1; above = rtts.filter((v) => v > us).length }
  return { us, share: `${above} of ${rtts.length} sockets with an rtt, ${(100 * above / rtts.length).toFixed(1)} %` }
}

/** Start populate.py and wait for its manifest; it is stopped (and its namespace deleted) at cleanup. */
async function populate(sockets) {
  const child = spawn('python3', [join(ROOT, 'bench/populate.py'), '--sockets', String(sockets), '--netns', `ssx-bench-${process.pid}`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const exited = once(child, 'exit')
  let stopped
  const stop = () => (stopped ??= (async () => {
    child.stdin.end()
    const timer = setTimeout(() => child.kill('SIGTERM'), 30_000)
    if (child.exitCode === null && child.signalCode === null) await exited
    clearTimeout(timer)
  })())
  cleanups.push(stop)
  const lines = createInterface({ input: child.stdout })
  let manifest
  for await (const line of lines) {
    if (line === 'ready') return { ...manifest, stop }
    manifest = JSON.parse(line)
  }
  throw new Error('populate.py exited before the population was ready')
}

/** A measure.c process inside namespace `ns`; jobs run one at a time. */
function startMeasurer(ns, bin) {
  const child = spawn('ip', ['netns', 'exec', ns, bin], { stdio: ['pipe', 'pipe', 'inherit'] })
  cleanups.push(() => { child.stdin.end() })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const errPath = join(tmp, `stderr-${ns}`)
  let queue = Promise.resolve()
  return {
    run(argv, outPath) {
      const job = queue.then(async () => {
        child.stdin.write([outPath ?? '-', errPath, ...argv].join('\t') + '\n')
        const { value, done } = await lines.next()
        if (done) throw new Error(`measure helper in ${ns} exited`)
        const [ms, rssKb, status, cpuMs] = value.split(' ').map(Number)
        const stderr = status === 0 ? '' : readFileSync(errPath, 'utf8')
        return { ms, rssKb, status, cpuMs, stderr }
      })
      queue = job.catch(() => undefined)
      return job
    },
    close() { child.stdin.end() },
  }
}

/**
 * ssx's own dump requests for these options, as floor.c arguments: the
 * plan's, with TCP's AF_INET + AF_INET6 pair sent as one legacy request
 * (family 0) as src/query.ts does (its single TCP walk).
 */
function floorRequests(args) {
  const json = execFileSync(SSX[0], [SSX[1], 'compile', '--format', 'json', ...args], { encoding: 'utf8' })
  const requests = JSON.parse(json).requests
  const out = []
  for (let i = 0; i < requests.length; i++) {
    const q = requests[i]
    const next = requests[i + 1]
    const pair = q.table === 'tcp' && q.family === 2 && next?.table === 'tcp' && next.family === 10 &&
      next.states === q.states && next.ext === q.ext && next.bytecode === q.bytecode
    out.push(`${pair ? 0 : q.family}:${q.protocol}:${q.states}:${q.ext}:${q.bytecode ?? ''}`)
    if (pair) i++
  }
  return out
}

function rotate(list, n) {
  const k = n % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

function lineCount(text) {
  if (text === undefined) return null
  let n = 0
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++
  return n
}

/** Byte comparison of two listings without the churn process's rows (TIME-WAIT upkeep changes between dumps). */
function compareOutputs(a, b) {
  const keep = (t) => t.split('\n').filter((l) => !l.includes(CHURN_ADDR))
  const x = keep(a)
  const y = keep(b)
  if (x.join('\n') === y.join('\n')) return 'identical'
  // As multisets, so one shifted row counts once, not as every row after it.
  const count = new Map()
  for (const l of x) count.set(l, (count.get(l) ?? 0) + 1)
  for (const l of y) count.set(l, (count.get(l) ?? 0) - 1)
  const only = (sign) => [...count].filter(([, n]) => Math.sign(n) === sign).reduce((a, [, n]) => a + Math.abs(n), 0)
  const [first, second] = [only(1), only(-1)]
  if (first === 0 && second === 0) return 'same rows, another order'
  const example = [...count].find(([, n]) => n !== 0)[0].trim().replace(/\s+/g, ' ')
  return `${first} rows only in the first, ${second} only in the second (e.g. \`${example}\`)`
}

function median(xs) {
  const s = [...xs].sort((p, q) => p - q)
  const m = s.length >> 1
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function stats(samples) {
  if (samples.length === 0) return null
  const ms = samples.map((s) => s.ms)
  return { median: median(ms), min: Math.min(...ms), max: Math.max(...ms), cpu: median(samples.map((s) => s.cpuMs)), rssKb: Math.max(...samples.map((s) => s.rssKb)) }
}

const fmtMs = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2))
const fmtStat = (s) => (s ? `${fmtMs(s.median)} (${fmtMs(s.min)}–${fmtMs(s.max)})` : 'failed')
const fmtMb = (s) => (s ? `${(s.rssKb / 1024).toFixed(1)}` : '—')

function machineLine() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  const commit = (() => {
    try {
      const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
      const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).trim()
      return dirty ? `${head} (with uncommitted changes)` : head
    } catch { return 'unknown' }
  })()
  const ssVersion = execFileSync(SS, ['-V'], { encoding: 'utf8' }).trim()
  return `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, kernel ${release()}, node ${process.version}, ${ssVersion}, ssx ${commit}; load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}.`
}

function renderReport({ started, seconds, pop, cases, startup }) {
  const p = pop.plan
  const out = []
  out.push(`### ${pop.plan.total.toLocaleString('en-US')} sockets — ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`)
  out.push('')
  out.push(`- ${machineLine()}`)
  out.push(`- Command: \`npm run bench -- --sockets ${p.total} --runs ${opts.runs}\` (${seconds.toFixed(0)} s in all; population ${pop.seconds} s).`)
  out.push(`- Population (${p.workers} worker processes, ${pop.fds} descriptors): ${p.listen} TCP listeners, ${p.estPairs} established pairs (${p.v6Pairs} over ::1, ${p.markPairs} with SO_MARK, ${p.devPairs} bound to lo, ${p.portPairs} to port ${pop.port}), ~${p.tw} TIME-WAIT, ${p.udp} UDP, ${p.unixPairs} unix pairs/listeners. Kernel: \`${pop.sockstat}\`.`)
  out.push(`- Wall time in ms, median (min–max) of ${opts.runs} interleaved runs, stdout to /dev/null; *CPU*: median user + system ms of the process (less sensitive than wall time to other load on the machine); peak RSS in MiB (wait4). *floor*: the same dump requests as ssx, replies read and not decoded (bench/floor.c). *rows*: output lines of ss / ssx; *output*: ss and ssx byte for byte (rows of the TIME-WAIT churn process left out).`)
  out.push('')
  out.push('| case | ss | ssx | ssx/ss | target | ss CPU | ssx CPU | CPU ssx/ss | floor | ss/floor | ssx/floor | ss RSS | ssx RSS | rows ss / ssx | output |')
  out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
  for (const c of cases) {
    const ss = stats(c.samples.ss)
    const ssx = stats(c.samples.ssx)
    const fl = stats(c.samples.floor)
    const ratio = ss && ssx ? ssx.median / ss.median : NaN
    const target = c.target === null ? '' : `≤ ${c.target}${ratio <= c.target ? ' ✓' : ' ✗'}`
    const rel = (x) => (x && fl ? (x.median / fl.median).toFixed(1) : '—')
    const rows = `${c.rows.ss ?? '—'} / ${c.rows.ssx ?? '—'}`
    const verdict = c.errors.length ? c.errors.join('; ').replaceAll('|', '\\|') : (c.same ?? '')
    const cpuRatio = ss && ssx ? (ssx.cpu / ss.cpu).toFixed(2) : '—'
    out.push(`| \`${c.name}\` | ${fmtStat(ss)} | ${fmtStat(ssx)} | ${Number.isNaN(ratio) ? '—' : ratio.toFixed(2)} | ${target} | ${ss ? fmtMs(ss.cpu) : '—'} | ${ssx ? fmtMs(ssx.cpu) : '—'} | ${cpuRatio} | ${fl ? fmtStat(fl) : '—'} | ${rel(ss)} | ${rel(ssx)} | ${fmtMb(ss)} | ${fmtMb(ssx)}${ssx && ssx.rssKb > 120 * 1024 ? ' ✗' : ''} | ${rows} | ${verdict} |`)
  }
  out.push('')
  out.push(`Start-up in an empty namespace, ${opts.startupRuns} interleaved runs (target: ssx within \`node -e 0\` + 50 ms):`)
  out.push('')
  out.push('| command | wall ms | over `node -e 0` | CPU ms | CPU over `node -e 0` | peak RSS |')
  out.push('|---|---:|---:|---:|---:|---:|')
  const base = stats(startup[0].samples)
  for (const s of startup) {
    const st = stats(s.samples)
    const over = st && base ? st.median - base.median : NaN
    const mark = s.name.startsWith('ssx') ? (over <= 50 ? ' ✓' : ' ✗') : ''
    const cpuOver = st && base ? st.cpu - base.cpu : NaN
    const signed = (v) => `${v >= 0 ? '+' : ''}${fmtMs(v)}`
    out.push(`| \`${s.name}\` | ${fmtStat(st)} | ${s === startup[0] || Number.isNaN(over) ? '' : `${signed(over)}${mark}`} | ${st ? fmtMs(st.cpu) : '—'} | ${s === startup[0] || Number.isNaN(cpuOver) ? '' : signed(cpuOver)} | ${fmtMb(st)} |`)
  }
  out.push('')
  return out.join('\n')
}

function renderTargetsReport({ started, seconds, pop, cases, threshold }) {
  const out = []
  out.push(`### BPF targets, ${pop.plan.total.toLocaleString('en-US')} sockets — ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`)
  out.push('')
  out.push(`- ${machineLine()}`)
  out.push(`- Command: \`npm run bench -- --targets --sockets ${pop.plan.total} --runs ${opts.runs}\` (${seconds.toFixed(0)} s in all; population ${pop.seconds} s); population from bench/populate.py as in the main runs (a run of its own). Kernel: \`${pop.sockstat}\`.`)
  out.push(`- The ~1 % predicate is \`rtt > ${threshold.us}us\` (${threshold.share}), the threshold taken from an \`ss -tin\` of the population before timing.`)
  out.push('- ss cannot express a tcp_info predicate: its rows time `ss -tain` alone (the dump one would filter afterwards; the filtering is not counted). ssx runs `-tan FILTER` with `--target ebpf`, `diag` and `auto`.')
  out.push(`- Wall and CPU (user + system) in ms, median (min–max) of ${opts.runs} interleaved runs, stdout to /dev/null; peak RSS in MiB. *vs diag*, *vs ss*: ratios of the medians (wall / CPU). *output*: ssx's targets byte for byte against each other (rows of the churn process left out).`)
  out.push('')
  out.push('| case | command | wall | CPU | vs diag (wall / CPU) | vs ss (wall / CPU) | RSS | rows | output |')
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---|')
  for (const c of cases) {
    const st = Object.fromEntries(Object.keys(c.tools).map((k) => [k, stats(c.samples[k])]))
    const ssKey = Object.keys(c.tools).find((k) => k.startsWith('ss'))
    const ratio = (a, b) => (a && b ? `${(a.median / b.median).toFixed(2)} / ${(a.cpu / b.cpu).toFixed(2)}` : '—')
    let first = true
    for (const tool of Object.keys(c.tools)) {
      const s = st[tool]
      const label = tool.startsWith('ss') ? `\`${tool}\`` : `\`--target ${tool}\``
      const verdict = first ? (c.errors.length ? c.errors.join('; ').replaceAll('|', '\\|') : c.same) : ''
      const isSs = tool === ssKey
      out.push(`| ${first ? `\`${c.name}\`` : ''} | ${label} | ${fmtStat(s)} | ${s ? fmtMs(s.cpu) : '—'} | ${tool === 'diag' || isSs ? '' : ratio(s, st.diag)} | ${isSs ? '' : ratio(s, st[ssKey])} | ${fmtMb(s)} | ${c.rows[tool] ?? '—'} | ${verdict} |`)
      first = false
    }
  }
  out.push('')
  return out.join('\n')
}

/** Replace (or append) the section `key` (default: this population size's) of bench/RESULTS.md. */
function writeResults(report, key = `sockets=${opts.sockets}`) {
  const file = join(ROOT, 'bench/RESULTS.md')
  const begin = `<!-- bench:${key}:begin -->`
  const end = `<!-- bench:${key}:end -->`
  const section = `${begin}\n${report}\n${end}`
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# ssx benchmarks\n\n## Latest runs\n\n'
  const i = text.indexOf(begin)
  const j = text.indexOf(end)
  if (i !== -1 && j > i) text = text.slice(0, i) + section + text.slice(j + end.length)
  else {
    const anchor = text.indexOf('## Latest runs\n')
    text = anchor === -1
      ? `${text.trimEnd()}\n\n${section}\n`
      : `${text.slice(0, anchor + 16)}\n${section}\n${text.slice(anchor + 16)}`
  }
  writeFileSync(file, text)
}

try {
  await main()
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`)
  process.exitCode = 1
} finally {
  await cleanup()
}
