#!/usr/bin/env node
// CPU time of `ssx -E` and `ss -E` with a ~1 %-selective filter while a storm
// of closed connections runs (issue 9's classic BPF acceptance).
//
//   node bench/events.mjs [--connections N] [--no-build]   # default 500,000
//
// Both listeners run at once in a private namespace, so they see the same
// events; bench/storm.py opens and closes N connections there, 1 in 100 to
// the filter's port. CPU is user + system time of each listener from
// /proc/PID/stat, read once the storm is over and both have caught up; the
// two outputs are compared byte for byte. Prints one row of the RESULTS.md table.
// ss wakes up for every destroy event and filters in user space; ssx attaches
// the filter as classic BPF, so the kernel drops the rest. Needs root.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { openSync, readFileSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
const FILTER = '( sport = :9999 or dport = :9999 )'
const EVERY = 100

const args = process.argv.slice(2)
const connections = args.includes('--connections') ? Number(args[args.indexOf('--connections') + 1]) : 500_000
const ns = `ssx-bench-events-${process.pid}`
const children = []

/** utime + stime of a process in ms. */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const tick = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))
  return ((Number(f[11]) + Number(f[12])) * 1000) / tick
}

/** Start a listener in the namespace; `ip netns exec` execs it, so the pid is the tool's own. */
function listen(name, argv) {
  const out = join(tmpdir(), `ssx-events-${process.pid}-${name}.out`)
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', openSync(out, 'w'), 'inherit'] })
  children.push(child)
  return { name, child, out }
}

async function main() {
  if (process.getuid?.() !== 0) throw new Error('needs root (it creates a network namespace)')
  if (!args.includes('--no-build')) execFileSync(process.execPath, ['build.mjs'], { cwd: ROOT, stdio: 'inherit' })
  execFileSync('ip', ['netns', 'add', ns])
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  const tools = [
    // ss 6.1 block-buffers a file and dies from SIGINT with its buffer unwritten.
    listen('ss', ['stdbuf', '-oL', '/usr/bin/ss', '-tnE', FILTER]),
    listen('ssx', [process.execPath, join(ROOT, 'bin/ssx.js'), '-tnE', FILTER]),
  ]
  await sleep(1500) // both subscribed (node's start-up) before the first event
  const before = Object.fromEntries(tools.map((t) => [t.name, cpuMs(t.child.pid)]))
  const t0 = Date.now()
  execFileSync('ip', ['netns', 'exec', ns, 'python3', join(ROOT, 'bench/storm.py'), String(connections), String(EVERY)], { stdio: ['ignore', 'ignore', 'inherit'] })
  const stormS = (Date.now() - t0) / 1000
  await sleep(2000) // let both drain their sockets
  const cpu = Object.fromEntries(tools.map((t) => [t.name, cpuMs(t.child.pid) - before[t.name]]))
  for (const t of tools) t.child.kill('SIGINT')
  await Promise.all(tools.map((t) => once(t.child, 'exit')))
  const texts = Object.fromEntries(tools.map((t) => [t.name, readFileSync(t.out, 'utf8')]))
  for (const t of tools) rmSync(t.out)
  const lines = Object.fromEntries(tools.map((t) => [t.name, texts[t.name].split('\n').filter((l) => l.includes(':99')).length]))
  const same = texts.ss === texts.ssx ? 'identical' : 'differ'
  // Two ends per selected connection, and the port-9999 listener when the storm exits.
  const expected = 2 * Math.ceil(connections / EVERY) + 1
  process.stdout.write(
    `| ${connections.toLocaleString('en-US')} connections (${(2 * connections).toLocaleString('en-US')} destroy events) in ${stormS.toFixed(0)} s | \`-tnE '${FILTER}'\` | ` +
    `${cpu.ss.toFixed(0)} | ${cpu.ssx.toFixed(0)} | ${(cpu.ssx / cpu.ss).toFixed(2)} | ${lines.ss} / ${lines.ssx} (expected ${expected}) | ${same} |\n`,
  )
}

try {
  await main()
} catch (e) {
  console.error(`bench: ${e instanceof Error ? e.message : String(e)}`)
  process.exitCode = 1
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  try { execFileSync('ip', ['netns', 'del', ns]) } catch { /* not created */ }
}
