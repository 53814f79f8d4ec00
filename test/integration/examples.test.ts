// Every program in examples/ runs as a user would run it (`node
// examples/x.mjs`, importing the package by its name through its own
// `exports`; `python3 examples/sock_diag.py`) inside a private namespace
// holding the socket zoo, and its output is checked against /usr/bin/ss
// or ssx for the same filter.
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import type { Netns } from '../helpers/netns.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)

/** One socket as ss -n prints it: state, local port, peer port (`*` → 0). */
interface Row { state: string; local: number; peer: number; peerAddr: string }

/**
 * Parse `ss -tanH` / `ssx -tanH` lines (State Recv-Q Send-Q Local Peer).
 * ss drops the State column when one state is selected: `state` names it then.
 */
function rows(text: string, state = 'ESTAB'): Row[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => {
    const c = l.trim().split(/\s+/)
    if (c.length === 4) c.unshift(state)
    const port = (s: string): number => Number(s.slice(s.lastIndexOf(':') + 1).replace('*', '0'))
    return { state: c[0]!, local: port(c[3]!), peer: port(c[4]!), peerAddr: c[4]!.slice(0, c[4]!.lastIndexOf(':')) }
  })
}

const key = (r: { state: string; local: number; peer: number }): string => `${r.state} ${r.local} ${r.peer}`
const count = (keys: readonly string[]): Record<string, number> => {
  const out: Record<string, number> = {}
  for (const k of keys) out[k] = (out[k] ?? 0) + 1
  return out
}

async function node(ns: Netns, script: string, args: readonly string[]): Promise<string> {
  return (await ns.exec(process.execPath, [join(ROOT, 'examples', script), ...args])).stdout
}

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.test('examples', { skip: 'needs root and ip(8) to create a network namespace (CI=true makes this a failure)' }, async () => {})
} else {
  // The examples import the built library (dist/lib) through the package's exports.
  await run(process.execPath, ['build.mjs'], { cwd: ROOT })
  const ns = await createNetns('examples')
  t.teardown(() => ns.destroy())
  const zoo = await ns.startZoo()
  const base = zoo.manifest.tcp.listen4.port
  const ss = async (args: readonly string[]): Promise<Row[]> => rows((await ns.exec('/usr/bin/ss', args)).stdout)

  t.test('count-sockets.mjs: per state and per remote /24, as ss counts them', async (t) => {
    const filter = `sport = :${base} or dport = :${base} or sport = :${base + 1}`
    const out = await node(ns, 'count-sockets.mjs', [filter])
    const listed = await ss(['-tanH', 'state', 'all', filter])
    const stateCounts = count(listed.map((r) => r.state))
    // The listener has no peer; connections on loopback are all in 127.0.0.0/24 or ::1's /64.
    const netCounts = count(listed.map((r) => (r.peer === 0 ? '(not connected)' : r.peerAddr.startsWith('[') ? '0:0:0:0::/64' : '127.0.0.0/24')))
    const [statePart, netPart] = out.split('per remote network:\n')
    const parse = (part: string): Record<string, number> => Object.fromEntries(part.split('\n').filter((l) => l.startsWith('  ')).map((l) => {
      const m = /^ {2}(.*?)\s+(\d+)$/.exec(l)!
      return [m[1]!, Number(m[2])]
    }))
    t.ok(statePart!.startsWith('per state:\n'))
    t.same(parse(statePart!), stateCounts, 'per state')
    t.same(parse(netPart!), netCounts, 'per remote network')
    t.ok((stateCounts['ESTAB'] ?? 0) >= 8 && stateCounts['LISTEN'] === 2, 'the zoo connections are there')
  })

  t.test('service-ndjson.mjs: one ssx-socket/1 object per line, the sockets ss lists for the port', async (t) => {
    const udpPort = zoo.manifest.udp.bound4.port
    for (const port of [base, udpPort]) {
      const out = await node(ns, 'service-ndjson.mjs', [String(port)])
      const objects = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { schema: string; netid: string; state: string; local: { port: number | null }; peer: { port: number | null } })
      t.ok(objects.every((o) => o.schema === 'ssx-socket/1'), 'every line is a socket object')
      const got = objects.map((o) => `${o.netid} ${key({ state: o.state, local: o.local.port ?? 0, peer: o.peer.port ?? 0 })}`).sort()
      const want = [
        ...(await ss(['-tanH', 'state', 'all', `sport = :${port} or dport = :${port}`])).map((r) => `tcp ${key(r)}`),
        ...(await ss(['-uanH', 'state', 'all', `sport = :${port} or dport = :${port}`])).map((r) => `udp ${key(r)}`),
      ].sort()
      t.same(got, want, `port ${port}`)
      t.ok(got.length >= 2, 'not empty')
    }
  })

  t.test('sock_diag.py (standard library only) selects exactly what ssx selects, from --format python or netlink', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'ssx-examples-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const filters = [
      ['state', 'all', `( sport = :${base} or dport = :${base} or sport = :${base + 1} or dport = :${base + 2} ) and not dst [::1]`],
      ['state', 'established', `src [::1] or dport >= :${base + 2}`],
      ['state', 'all', `dport = :${zoo.manifest.udp.bound4.port}`],
    ]
    const selected: number[] = []
    for (const words of filters) {
      for (const table of ['-t', '-u']) {
        const plan = (await run(join(ROOT, 'bin/ssx.js'), ['compile', '--format', 'python', table, ...words], { cwd: ROOT })).stdout
        const file = join(dir, 'plan.py')
        writeFileSync(file, plan)
        const py = (await ns.exec('python3', [join(ROOT, 'examples/sock_diag.py'), file])).stdout
        const got = py.split('\n').filter((l) => l !== '').map((l) => {
          const [, state, local, peer] = l.split(' ')
          const port = (s: string): number => Number(s.slice(s.lastIndexOf(':') + 1).replace('*', '0'))
          return key({ state: state!, local: port(local!), peer: port(peer!) })
        })
        // The same requests as --format netlink hex lines, sent as they are: the same sockets, line for line.
        writeFileSync(file, (await run(join(ROOT, 'bin/ssx.js'), ['compile', '--format', 'netlink', table, ...words], { cwd: ROOT })).stdout)
        t.equal((await ns.exec('python3', [join(ROOT, 'examples/sock_diag.py'), file])).stdout, py, `--format netlink: ${table} ${words.join(' ')}`)
        const want = rows((await ns.exec(join(ROOT, 'bin/ssx.js'), [`${table}anH`, ...words])).stdout).map(key)
        t.same(got.sort(), want.sort(), `${table} ${words.join(' ')}`)
        selected.push(got.length)
      }
    }
    t.ok(selected.some((n) => n > 0) && selected.filter((n) => n > 0).length >= 3, `most filters select something (${selected.join(', ')})`)
  })

  t.test('close-idle.mjs: a dry run lists and keeps; --yes closes exactly those', async (t) => {
    const filter = [`sport = :${base}`]
    const before = await ss(['-tanH', 'state', 'established', ...filter])
    t.ok(before.length >= 4, 'accepted connections on the zoo listener')
    const none = await node(ns, 'close-idle.mjs', ['--idle', '3600', ...filter])
    t.equal(none, '0 idle connections (dry run: add --yes to close them)\n', 'nothing has been idle for an hour')
    const dry = await node(ns, 'close-idle.mjs', ['--idle', '0', ...filter])
    const wouldClose = dry.split('\n').filter((l) => l.startsWith('would close '))
    t.equal(wouldClose.length, before.length, 'the dry run lists every established connection of the port')
    t.match(dry, new RegExp(`${before.length} idle connections \\(dry run`))
    t.same((await ss(['-tanH', 'state', 'established', ...filter])).map(key).sort(), before.map(key).sort(), 'and closes nothing')
    const real = await node(ns, 'close-idle.mjs', ['--idle', '0', '--yes', ...filter])
    t.same(real.split('\n').filter((l) => l.startsWith('closed ')).map((l) => l.slice('closed '.length).replace(/ idle .*/, '')).sort(),
      wouldClose.map((l) => l.slice('would close '.length).replace(/ idle .*/, '')).sort(), '--yes closes what the dry run listed')
    t.same(await ss(['-tanH', 'state', 'established', ...filter]), [], 'ss no longer lists them')
  })
}
