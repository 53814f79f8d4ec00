// `ssx --target ebpf` prints what `ssx --target diag` prints, byte for byte,
// for listings the iterator can serve (the zoo, in a private namespace);
// `auto` falls back with one notice when eBPF is not available (not root).
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { list } from '../helpers/run-list.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { startUdpCrowd } from '../helpers/udp-crowd.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** `timer:(name,TIME,retrans)`: TIME counts down between two listings. */
const TIMER = /timer:\((\w+),([^,)]+),(\d+)\)/g
const maskTimers = (out: string): string => out.replace(TIMER, 'timer:($1,*,$3)')
/** Every timer's time in ms (`1min13sec`, `57sec`, `1.432sec`, `200ms`). */
const timersMs = (out: string): number[] => [...out.matchAll(TIMER)].map((m) => {
  let ms = 0
  for (const [, n, unit] of m[2]!.matchAll(/([\d.]+)(min|sec|ms)/g)) ms += Number(n) * (unit === 'min' ? 60_000 : unit === 'sec' ? 1000 : 1)
  return ms
})

const netnsOk = await canUseNetns()
if (!netnsOk && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root and ip(8) for a private namespace with the socket zoo (CI=true makes this a failure)')
} else {
  const ns = await createNetns('ebpfcli')
  t.teardown(() => ns.destroy())
  await ns.startZoo()
  // UDP sockets whose udp_diag order differs from the iterator's walk (test/helpers/udp-crowd.py).
  const crowd = await startUdpCrowd(ns.name, { tcpTimers: true })
  t.teardown(() => crowd.stop())
  const filters: string[][] = [
    [], ['sport', '=', ':5000'], ['dst', '127.0.0.1'], ['src', '[::1]'], ['rtt', '>', '0'], ['rtt', '<', '1ms', 'or', 'cwnd', '>', '9'],
    ['not', 'dport', '>', ':1024'], ['state', 'established', 'bytes_acked', '>=', '1'], ['state', 'listening'], ['exclude', 'time-wait', 'uid', '=', '0'],
    ['autobound'], ['fwmark', '=', '0x1234'], ['rqueue', '=', '0', 'and', 'wqueue', '=', '0'],
    ['sport', '>', ':20200', 'and', 'not', 'src', '127.0.0.2'], ['rqueue', '>', '0', 'or', 'dport', '=', ':20501'], ['not', 'rtt', '>', '5ms'],
  ]
  // -o and -e: timers (keepalive, TIME-WAIT) read in jiffies and converted with the kernel's HZ.
  const optionSets = [['-tan'], ['-tn'], ['-t4an'], ['-t6an'], ['-tanp'], ['-uan'], ['-tuan'], ['-ul'], ['-u6n'], ['-toan'], ['-tean'], ['-tuoen']]
  for (const opts of optionSets) {
    t.test(`${opts.join(' ')}: ebpf = diag`, async (t) => {
      for (const f of filters) {
        const before = await list(['-N', ns.name, ...opts, '--target', 'diag', ...f])
        const ebpf = await list(['-N', ns.name, ...opts, '--target', 'ebpf', ...f])
        // A TIME-WAIT socket can expire between two listings: then compare with a listing after it.
        const after = ebpf.out === before.out ? before : await list(['-N', ns.name, ...opts, '--target', 'diag', ...f])
        const diag = maskTimers(ebpf.out) === maskTimers(before.out) ? before : after
        t.equal(ebpf.err, diag.err, `${f.join(' ')}: stderr`)
        t.equal(ebpf.code, diag.code, `${f.join(' ')}: exit code`)
        // Row order is the kernel's walk order in both (hash tables, the same walk); timers count down
        // between the listings (a second or more here): each lies between the diag listings around it.
        t.equal(maskTimers(ebpf.out), maskTimers(diag.out), `${f.join(' ') || '(no filter)'}: stdout`)
        const [hi, mid, lo] = [before, ebpf, after].map((r) => timersMs(r.out))
        if (mid!.length === hi!.length && mid!.length === lo!.length) {
          mid!.forEach((v, i) => { if (v > hi![i]! + 1000 || v < lo![i]! - 1000) t.fail(`${f.join(' ')}: timer ${i} ${v} ms not within [${lo![i]}, ${hi![i]}]`) })
        }
      }
    })
  }

  t.test('auto without root: one notice, diag output', async (t) => {
    const bin = `${ROOT}bin/ssx.js`
    await run('npm', ['run', 'build'], { cwd: ROOT })
    const args = ['-N', ns.name, '-tan', 'rtt', '>=', '0']
    // `env -i`: tap injects its process-info loader into children, which nobody cannot write for.
    const clean = ['-i', `PATH=${process.env.PATH ?? '/usr/bin:/bin'}`]
    const asRoot = await run('env', [...clean, bin, ...args])
    const asNobody = await run('env', [...clean, 'setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups', bin, '-tan', 'rtt', '>=', '0']).catch((e: { stdout: string, stderr: string }) => e)
    t.match(asNobody.stderr, /^ssx: notice: eBPF target not used \(eBPF iterators need root/, 'one notice')
    t.equal(asNobody.stderr.split('\n').filter(Boolean).length, 1, `one line: ${asNobody.stderr}`)
    t.ok(asRoot.stdout.length > 0, 'root: listing printed')
  })
}
