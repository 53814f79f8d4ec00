/**
 * `ssx explain --trace` against the real thing: in a private namespace, a
 * few TCP sockets with known ports, marks and bind modes; for each filter,
 * the socket descriptions that `--trace` calls "listed" must be exactly the
 * sockets /usr/bin/ss (6.1) lists with the same filter. This checks the
 * description → socket mapping (defaults for state, userlocks, mark) as well
 * as the interpreter and evaluator verdicts that the trace combines.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { runExplain } from '../../src/cli/explain.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const CI = process.env['CI'] === 'true'

// Listener 127.0.0.1:7000 (explicit bind) with two accepted children; client A autobound; client B bound to
// 7100 with SO_MARK 0x10; listener [::1]:7001 with an autobound v6 client and its child. Prints one line per socket, then waits for stdin to close.
const SCRIPT = String.raw`
import socket, sys
SO_MARK = 36
out = []
l4 = socket.socket(); l4.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l4.bind(('127.0.0.1', 7000)); l4.listen(8)
out.append('tcp 127.0.0.1:7000 listen')
a = socket.socket(); a.connect(('127.0.0.1', 7000)); ap = a.getsockname()[1]
b = socket.socket(); b.setsockopt(socket.SOL_SOCKET, SO_MARK, 0x10); b.bind(('127.0.0.1', 7100)); b.connect(('127.0.0.1', 7000))
sa, _ = l4.accept(); sb, _ = l4.accept()
out.append(f'tcp 127.0.0.1:{ap} -> 127.0.0.1:7000 established')
out.append(f'tcp 127.0.0.1:7000 -> 127.0.0.1:{ap} established')
out.append('tcp 127.0.0.1:7100 -> 127.0.0.1:7000 established mark 0x10 bound')
out.append('tcp 127.0.0.1:7000 -> 127.0.0.1:7100 established')
l6 = socket.socket(socket.AF_INET6); l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1); l6.bind(('::1', 7001)); l6.listen(8)
out.append('tcp [::1]:7001 listen')
c = socket.socket(socket.AF_INET6); c.connect(('::1', 7001)); cp = c.getsockname()[1]
sc, _ = l6.accept()
out.append(f'tcp [::1]:{cp} -> [::1]:7001 established')
out.append(f'tcp [::1]:7001 -> [::1]:{cp} established')
print('\n'.join(out)); print('ready', flush=True)
sys.stdin.read()
`

const FILTERS = [
  'sport = :7000',
  'dport = :7000',
  'autobound',
  'not autobound',
  'sport >= :32768',
  'src 127.0.0.0/8 and dport < :7050',
  'fwmark 0x10/0xff',
  'not fwmark 0x10/0xff',
  'src [::1]',
  'src 0.0.0.0/0',
  'src 127.0.0.1/32 or dst [::1]',
  '( sport = :7000 or sport = :7001 ) and not dport = :7100',
  'dst 127.0.0.0/8:7000',
]

/** `ss -tanH` rows as trace-style `LOCAL -> REMOTE` keys (listeners as LOCAL alone). */
function ssKeys(out: string): Set<string> {
  const keys = new Set<string>()
  for (const line of out.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 5) continue
    const [state, , , local, peer] = f as [string, string, string, string, string]
    keys.add(state === 'LISTEN' ? local : `${local} -> ${peer}`)
  }
  return keys
}

/** The trace description's `LOCAL [-> REMOTE]` part. */
const keyOf = (desc: string): string => desc.replace(/^tcp /, '').replace(/ (listen|established).*$/, '')

const netns = await canUseNetns()
const skip = CI ? false : !existsSync('/usr/bin/ss') ? 'needs /usr/bin/ss' : !netns ? 'needs root to create a network namespace' : false

t.test('trace verdicts equal what ss 6.1 lists', { skip }, async (t) => {
  const ns = await createNetns('explain-trace')
  t.teardown(() => ns.destroy())
  const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => { child.stdin.end(); child.kill() })
  const sockets = await new Promise<string[]>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const lines = out.split('\n')
      const at = lines.indexOf('ready')
      if (at >= 0) resolve(lines.slice(0, at))
    })
    child.once('exit', (code) => reject(new Error(`socket script exited with ${code}`)))
  })
  t.equal(sockets.length, 8, 'eight sockets')
  // A fresh namespace has the kernel's default ephemeral range.
  const range = (await ns.exec('cat', ['/proc/sys/net/ipv4/ip_local_port_range'])).stdout.trim().split(/\s+/).map(Number) as [number, number]
  for (const filter of FILTERS) {
    const listed = ssKeys((await ns.exec('ss', ['-tanH', filter])).stdout)
    for (const desc of sockets) {
      const r = await runExplain(['-ta', filter, '--trace', desc], { localPortRange: range })
      const verdict = /^ {2}listed {6}(yes|no)/m.exec(r.stdout)?.[1]
      t.equal(verdict, listed.has(keyOf(desc)) ? 'yes' : 'no', `${filter} | ${desc}`)
    }
  }
})
