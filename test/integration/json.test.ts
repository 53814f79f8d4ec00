/**
 * `ssx --json` / `--ndjson` on the socket zoo in a private namespace:
 * every object validates against docs/schema/ssx-socket.v1.schema.json,
 * and every value the text output of the same options shows (netid, state,
 * queues, addresses, ports, service names, inode, uid, cookie, fwmark,
 * v6only, shutdown, timer name, unix names and peers, users) is in the
 * JSON. Also: the refused combinations, and exit codes equal to the text
 * output's.
 *
 * The CLI is bundled from the working tree with esbuild into a directory of
 * this test (the shared dist/ may be stale or being rebuilt by someone else)
 * and run with `ip netns exec`, so interface names come from the namespace.
 * Runs as root (always in CI); skipped with the reason otherwise.
 */
import t from 'tap'
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { canUseNetns, createNetns, type ZooManifest } from '../helpers/netns.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const schema = JSON.parse(await readFile(join(ROOT, 'docs/schema/ssx-socket.v1.schema.json'), 'utf8')) as object
const validate = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: true }).compile(schema)

/** The fields of an object this test reads (the schema has them all). */
interface Obj {
  schema: string
  netid: string
  family: string
  state: string
  recvQ: number
  sendQ: number
  inode: number
  cookie: string
  uid?: number
  mark?: number
  v6only?: boolean
  shutdown?: { receive: boolean, send: boolean }
  timer?: { name: string }
  local: Record<string, unknown> | null
  peer: Record<string, unknown> | null
  users?: { comm: string, pid: number, fd: number }[]
  tcpInfo?: Record<string, unknown>
  skmem?: Record<string, unknown>
  congestion?: string
  groups?: number[]
}

interface Run { stdout: string, stderr: string, code: number }

if (!(await canUseNetns()) && process.env['CI'] !== 'true') {
  t.test('kernel', { skip: 'needs root and ip(8) to create a network namespace (CI=true makes this a failure)' }, async () => {})
} else {
  const dir = join(ROOT, 'node_modules/.cache', `ssx-json-test-${process.pid}`)
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(dir, { recursive: true })
  // Same options as build.mjs for the CLI; koffi resolves from the repository's node_modules.
  await build({
    entryPoints: [join(ROOT, 'src/cli/main.ts')], outfile: join(dir, 'ssx.mjs'), bundle: true, platform: 'node', format: 'esm',
    target: 'node20', external: ['koffi'], logLevel: 'warning',
    banner: { js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);" },
  })
  await writeFile(join(dir, 'run.mjs'), "import { main } from './ssx.mjs'\nmain(process.argv.slice(2)).then((c) => { process.exitCode = c })\n")

  // Opt-in zoo extras: well-known ports (service names), queued bytes, a half-closed pair, a device-bound UDP socket.
  process.env['SSX_ZOO_OUTPUT'] = '1'
  const ns = await createNetns('json')
  t.teardown(() => ns.destroy())
  const zoo = await ns.startZoo()
  delete process.env['SSX_ZOO_OUTPUT']
  const m: ZooManifest = zoo.manifest

  const ssx = (args: readonly string[]): Promise<Run> => new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns.name, process.execPath, join(dir, 'run.mjs'), ...args], { encoding: 'latin1', maxBuffer: 64 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ stdout: Buffer.from(stdout, 'latin1').toString('utf8'), stderr, code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1 })
    })
  })

  /** Objects of a `--json` document or `--ndjson` stream, each validated. */
  const parse = (t: Test, out: string, mode: 'json' | 'ndjson'): Obj[] => {
    let objs: Obj[]
    if (mode === 'json') {
      t.match(out, /^\[[^]*\]\n$/, 'one array document')
      objs = JSON.parse(out) as Obj[]
    } else {
      t.notOk(out.startsWith('['), 'no array')
      objs = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Obj)
      t.ok(out === '' || out.endsWith('\n'), 'every line ends')
    }
    const bad = objs.filter((o) => !validate(o))
    t.equal(bad.length, 0, `${objs.length} objects validate against the schema`, bad.length ? { first: bad[0], errors: (validate(bad[0]), validate.errors) } : {})
    return objs
  }

  // ---- text ↔ JSON for inet: the values ss's row shows, rebuilt from the JSON.
  const addrText = (ep: Record<string, unknown>, local: boolean): string => {
    const a = ep['address'] as string | null
    let s = a === null ? '*' : a.includes(':') ? `[${a}]` : a
    if (local && ep['ifname'] !== undefined) s += `%${ep['ifname'] as string}`
    const p = ep['port'] as number | null
    return `${s}:${p === null ? '*' : (ep['service'] as string | undefined) ?? String(p)}`
  }
  const arrow = (s: { receive: boolean, send: boolean }): string => `${s.receive ? '-' : '<'}-${s.send ? '-' : '>'}`

  /** Rows of a text listing (no header; -i continuation lines folded into their row), split on blanks. */
  const textRows = (out: string): string[][] => {
    const rows: string[][] = []
    for (const line of out.split('\n')) {
      if (line === '') continue
      if (line.startsWith('\t')) rows[rows.length - 1]!.push(...line.trim().split(/\s+/))
      else rows.push(line.trim().split(/\s+/))
    }
    return rows
  }

  const inetCase = async (t: Test, opts: string): Promise<void> => {
    const [text, json] = [await ssx([opts, '-H']), await ssx([opts, '--json'])]
    t.equal(text.code, 0, text.stderr)
    t.equal(json.code, 0, json.stderr)
    const objs = parse(t, json.stdout, 'json')
    const byCookie = new Map(objs.map((o) => [o.cookie, o]))
    const rows = textRows(text.stdout)
    // The same sockets, except a TIME-WAIT one that may expire between the two runs.
    const cookies = (xs: string[]): string[] => xs.sort()
    t.same(
      cookies(rows.filter((r) => r[1] !== 'TIME-WAIT').map((r) => BigInt(`0x${r.find((x) => x.startsWith('sk:'))?.slice(3) ?? '0'}`).toString())),
      cookies(objs.filter((o) => o.state !== 'TIME-WAIT').map((o) => o.cookie)),
      'the same sockets in text and JSON')
    for (const r of rows) {
      const [netid, state, recvQ, sendQ, local, peer, ...extras] = r as [string, string, string, string, string, string, ...string[]]
      const sk = extras.find((x) => x.startsWith('sk:'))
      if (!t.ok(sk, `row has a cookie: ${r.join(' ')}`)) continue
      const o = byCookie.get(BigInt(`0x${sk!.slice(3)}`).toString())
      if (o === undefined && state === 'TIME-WAIT') continue
      if (!t.ok(o, `object for ${local} ${peer}`)) continue
      const got = [o!.netid, o!.state, String(o!.recvQ), String(o!.sendQ), addrText(o!.local!, true), addrText(o!.peer!, false)]
      t.same(got, [netid, state, recvQ, sendQ, local, peer], `${local} ${peer} columns`)
      const want = (key: string): string | undefined => extras.find((x) => x.startsWith(`${key}:`))?.slice(key.length + 1)
      t.equal(String(o!.inode), want('ino'), 'inode')
      t.equal(o!.uid === 0 ? undefined : String(o!.uid), want('uid'), 'uid')
      t.equal(o!.mark === 0 ? undefined : `0x${o!.mark!.toString(16)}`, want('fwmark'), 'fwmark')
      t.equal(o!.v6only === undefined ? undefined : o!.v6only ? '1' : '0', want('v6only'), 'v6only')
      t.equal(o!.timer?.name, want('timer')?.replace(/^\(([a-z]+),.*$/, '$1'), 'timer name')
      const sd = extras.find((x) => /^[<-]-[>-]$/.test(x))
      t.equal(o!.shutdown ? arrow(o!.shutdown) : undefined, sd, 'shutdown')
      if (opts.includes('i') && netid === 'tcp') {
        // -i: the congestion algorithm and the tcp_info values an idle socket keeps between two runs.
        if (o!.congestion !== undefined) t.ok(extras.includes(o!.congestion), 'congestion')
        const info = o!.tcpInfo ?? {}
        for (const [text, key] of [['mss', 'sndMss'], ['pmtu', 'pmtu'], ['rcvmss', 'rcvMss'], ['advmss', 'advmss'], ['cwnd', 'sndCwnd']] as const) {
          const v = want(text)
          if (v !== undefined) t.equal(String(info[key]), v, text)
        }
        const ws = want('wscale')
        if (ws !== undefined) t.equal(`${String(info['sndWscale'])},${String(info['rcvWscale'])}`, ws, 'wscale')
      }
    }
  }

  t.test('-tanei --json: the zoo as data', async (t) => {
    const objs = parse(t, (await ssx(['-tanei', '--json'])).stdout, 'json')
    const at = (port: number, state: string): Obj | undefined => objs.find((o) => (o.local as { port: number }).port === port && o.state === state)
    t.match(at(m.tcp.listen4.port, 'LISTEN'), { family: 'inet', netid: 'tcp', inode: m.tcp.listen4.inode, local: { address: '127.0.0.1' }, peer: { address: '0.0.0.0', port: null } })
    t.match(at(m.tcp.listenDual.port, 'LISTEN'), { family: 'inet6', v6only: false, local: { address: null }, peer: { address: null, port: null } })
    t.match(at(m.tcp.listen6.port, 'LISTEN'), { v6only: true, local: { address: '::1' }, peer: { address: '::', port: null } })
    t.match(objs.find((o) => o.inode === m.tcp.marked.inode), { mark: m.tcp.marked.mark })
    t.match(objs.find((o) => o.inode === m.tcp.bound.inode), { local: { ifindex: m.tcp.bound.ifindex, ifname: 'lo' } })
    t.match(objs.find((o) => o.inode === m.tcp.mapped.server.inode), { family: 'inet6', local: { address: '::ffff:127.0.0.1' } })
    const tw = at(m.tcp.timeWait.port, 'TIME-WAIT')
    t.match(tw, { inode: 0, timer: { name: 'timewait' }, peer: { port: m.tcp.timeWait.remotePort } })
    t.notOk(tw && 'cgroupId' in tw, 'TIME-WAIT: no cgroup id')
    const est = objs.find((o) => o.inode === m.tcp.est4.client.inode)!
    t.match(est, { state: 'ESTAB', tcpInfo: { rttUs: Number, bytesAcked: String }, congestion: String })
    t.match(est.cookie, /^[1-9][0-9]*$/, 'cookie in decimal')
  })

  t.test('-tuanei --json: every text value is in the JSON', (t) => inetCase(t, '-tuanei'))
  t.test('-tuae (service names) --json: every text value is in the JSON', async (t) => {
    await inetCase(t, '-tuae')
    const objs = parse(t, (await ssx(['-tae', '--json'])).stdout, 'json')
    t.ok(objs.some((o) => (o.local as { service?: string }).service === 'http'), 'http named')
    t.ok(objs.every((o) => (o.local as { port: unknown }).port === null || typeof (o.local as { port: unknown }).port === 'number'), 'ports stay numbers')
  })

  t.test('-tanm --ndjson: skmem with -m, no tcp_info without -i', async (t) => {
    const objs = parse(t, (await ssx(['-tanm', '--ndjson'])).stdout, 'ndjson')
    const est = objs.find((o) => o.inode === m.tcp.est4.client.inode)!
    t.match(est.skmem, { rcvbuf: Number, sndbuf: Number })
    t.notOk('tcpInfo' in est, 'no tcpInfo')
  })

  t.test('-uan --ndjson', async (t) => {
    const r = await ssx(['-uan', '--ndjson'])
    t.equal(r.code, 0)
    const objs = parse(t, r.stdout, 'ndjson')
    t.ok(objs.every((o) => o.netid === 'udp'), 'all udp')
    t.match(objs.find((o) => o.inode === m.udp.bound4.inode), { state: 'UNCONN', local: { address: '127.0.0.1', port: m.udp.bound4.port }, peer: { address: '0.0.0.0', port: null } })
    t.match(objs.find((o) => o.inode === m.udp.connected4.inode), { state: 'ESTAB', peer: { address: '127.0.0.1', port: m.udp.connected4.remotePort } })
    t.match(objs.find((o) => o.inode === m.udp.bound6.inode), { family: 'inet6', local: { address: '::1' } })
  })

  t.test('-xanp --json: unix names, peers and users match the text', async (t) => {
    const [text, json] = [await ssx(['-xanp', '-H']), await ssx(['-xanp', '--json'])]
    const objs = parse(t, json.stdout, 'json')
    const byInode = new Map(objs.map((o) => [o.inode, o]))
    const rows = textRows(text.stdout)
    t.equal(rows.length, objs.length, 'as many objects as text rows')
    for (const r of rows) {
      const [netid, state, recvQ, sendQ, name, inode, , peerInode, ...extras] = r as string[]
      const o = byInode.get(Number(inode))
      if (!t.ok(o, `object for ${name} ${inode}`)) continue
      const local = o!.local as { name: string | null }
      const peer = o!.peer as { inode: number | null }
      t.same([o!.netid, o!.state, String(o!.recvQ), String(o!.sendQ), local.name ?? '*', String(peer.inode ?? 0)], [netid, state, recvQ, sendQ, name, peerInode], `${name} ${inode}`)
      const users = extras.join(' ')
      for (const u of o!.users ?? []) t.ok(users.includes(`("${u.comm}",pid=${u.pid},fd=${u.fd})`), `user ${u.comm}/${u.pid}`)
      if (users === '') t.same(o!.users, [], 'no holder: empty list')
    }
    const l = byInode.get(m.unix.listener.inode)
    t.match(l, { netid: 'u_str', state: 'LISTEN', local: { name: m.unix.listener.path, abstract: false }, peer: { inode: null } })
    t.match(l?.users, [{ pid: m.pid, comm: 'python3' }])
    t.match(byInode.get(m.unix.abstractDgram.inode), { netid: 'u_dgr', local: { name: m.unix.abstractDgram.name, abstract: true } })
    t.match(byInode.get(m.unix.client.inode), { state: 'ESTAB', peer: { inode: m.unix.client.peer } })
  })

  t.test('-a -A all -e -m --ndjson: every family validates; packet and netlink as data', async (t) => {
    const r = await ssx(['-a', '-A', 'all', '-e', '-m', '--ndjson'])
    t.equal(r.code, 0, r.stderr)
    const objs = parse(t, r.stdout, 'ndjson')
    const families = new Set(objs.map((o) => o.family))
    for (const f of ['inet', 'inet6', 'unix', 'packet', 'netlink']) t.ok(families.has(f), f)
    t.match(objs.find((o) => o.inode === m.packet.rawLo.inode), { netid: 'p_raw', state: 'UNCONN', local: { protocol: 3, protocolName: 'all', ifindex: m.packet.rawLo.ifindex, ifname: 'lo' }, peer: null, skmem: {} })
    t.match(objs.find((o) => o.inode === m.packet.dgramIp.inode), { netid: 'p_dgr', local: { protocol: 0x800, protocolName: 'ip', ifindex: 0, ifname: null } })
    t.match(objs.find((o) => o.inode === m.netlink.route.inode), { netid: 'nl', state: 'UNCONN', local: { protocol: 0, portid: m.netlink.route.portid }, peer: null, groups: m.netlink.route.groups })
    t.match(objs.find((o) => o.inode === m.unix.listener.inode), { vfs: { inode: Number }, pendingPeers: [] })
  })

  t.test('empty result: [] and no lines', async (t) => {
    const filter = ['sport', '=', ':1']
    const j = await ssx(['-tan', '--json', ...filter])
    t.same([j.code, j.stdout], [0, '[]\n'])
    const n = await ssx(['-tan', '--ndjson', ...filter])
    t.same([n.code, n.stdout], [0, ''])
  })

  t.test('refused combinations: exit 255 with one line', async (t) => {
    for (const [args, re] of [
      [['-s', '--json'], /--json cannot show the -s summary/],
      [['-t', '-s', '--ndjson'], /--ndjson cannot show the -s summary/],
      [['-E', '--json'], /use --ndjson/],
      [['--json', '--ndjson'], /exclude each other/],
    ] as const) {
      const r = await ssx(args)
      t.equal(r.code, 255, args.join(' '))
      t.match(r.stderr, re)
      t.equal(r.stdout, '', 'nothing on stdout')
    }
  })

  t.test('errors and exit codes as for text output', async (t) => {
    for (const args of [['-tan', 'sport', '=', '=', '1'], ['-tan', 'dst', 'no.such.host.invalid'], ['-tan', '--bogus'], ['-N', 'ssx-no-such-ns-json']]) {
      const text = await ssx(args)
      const json = await ssx([...args, '--json'])
      t.not(text.code, 0, `${args.join(' ')} fails`)
      t.same([json.code, json.stderr.split('\n')[0]], [text.code, text.stderr.split('\n')[0]], args.join(' '))
    }
  })
}

