/**
 * The system resolver: file parsers on fixture text, laziness, and real
 * lookups on this machine (/etc/services, /etc/hosts, sysfs, the
 * filesystem for cgroup ids).
 */
import t from 'tap'
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { findCgroup2Mount, ipv6Bytes, parseNlProtos, parseServices, systemResolver } from '../../src/system-resolver.js'

const SERVICES = `# fixture
tcpmux		1/tcp				# TCP port service multiplexer
ssh		22/tcp				# SSH Remote Login Protocol
http		80/tcp		www		# WorldWideWeb HTTP
domain		53/tcp
domain		53/udp
ambig		1000/tcp
ambig		2000/udp
dup		3000/tcp
dup		3001/tcp
alias-first	4000/tcp	www
broken		notaport/tcp
huge		70000/tcp
sctponly	9/sctp
   indented	5/udp	  # leading blanks are fine
`

t.test('parseServices: name or alias, per protocol, first entry wins', async (t) => {
  const s = parseServices(SERVICES)
  const cases: [string, 'tcp' | 'udp', number | undefined][] = [
    ['ssh', 'tcp', 22], ['ssh', 'udp', undefined], ['http', 'tcp', 80], ['www', 'tcp', 80], ['domain', 'udp', 53],
    ['ambig', 'tcp', 1000], ['ambig', 'udp', 2000], ['dup', 'tcp', 3000], ['alias-first', 'tcp', 4000],
    ['broken', 'tcp', undefined], ['huge', 'tcp', undefined], ['sctponly', 'tcp', undefined], ['indented', 'udp', 5],
    ['fixture', 'tcp', undefined], ['#', 'tcp', undefined],
  ]
  for (const [name, proto, want] of cases) t.equal(s[proto].get(name), want, `${name}/${proto}`)
  t.equal(s['sctp']?.get('sctponly'), 9, 'other protocols are kept too')
})

t.test('parseNlProtos: built-in table, file overrides per number', async (t) => {
  const table = parseNlProtos('# comment\n0   route\n16  genl\n0x1f custom\n  \n99\n')
  t.equal(table.get(0), 'route', 'file overrides rtnl')
  t.equal(table.get(31), 'custom', 'hex numbers')
  t.equal(table.get(4), 'tcpdiag', 'built-in kept')
  t.equal(table.has(17), false, '17 has no built-in name')
  t.equal(parseNlProtos(undefined).get(21), 'crypto', 'no file: built-in only')
})

t.test('findCgroup2Mount', async (t) => {
  t.equal(findCgroup2Mount('proc /proc proc rw 0 0\ncgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n'), '/sys/fs/cgroup')
  t.equal(findCgroup2Mount('cgroup2 /mnt/my\\040cg cgroup2 rw 0 0\n'), '/mnt/my cg', 'octal escapes')
  t.equal(findCgroup2Mount('cgroup /sys/fs/cgroup/cpu cgroup rw 0 0\n'), undefined, 'cgroup v1 is not it')
})

t.test('ipv6Bytes', async (t) => {
  t.strictSame([...ipv6Bytes('::1')!], [...new Array<number>(15).fill(0), 1])
  t.strictSame([...ipv6Bytes('::ffff:1.2.3.4')!], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4])
  t.strictSame([...ipv6Bytes('fe80::1%lo')!].slice(0, 2), [0xfe, 0x80])
  t.equal(ipv6Bytes('1::2::3'), undefined)
  t.equal(ipv6Bytes('1:2:3'), undefined)
})

t.test('services: real /etc/services of this machine', async (t) => {
  const r = systemResolver()
  t.equal(await r.service('ssh', 'tcp'), 22)
  t.equal(await r.service('http', 'tcp'), 80)
  t.equal(await r.service('www', 'tcp'), 80, 'alias')
  t.equal(await r.service('http', 'udp'), undefined, 'http is tcp only (ss: -un sport = :http fails)')
  t.equal(await r.service('no-such-service-name', 'tcp'), undefined)
})

t.test('files are read lazily and once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ssx-resolver-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const services = join(dir, 'services')
  const nl = join(dir, 'nl_protos')
  const r = systemResolver({ servicesPath: services, nlProtosPath: nl })
  // Written after the resolver exists: nothing was read at construction.
  writeFileSync(services, 'late 1234/tcp\n')
  writeFileSync(nl, '200 late\n')
  t.equal(await r.service('late', 'tcp'), 1234)
  t.equal(await r.netlinkProto('late'), 200)
  writeFileSync(services, 'later 1/tcp\n')
  writeFileSync(nl, '201 later\n')
  t.equal(await r.service('later', 'tcp'), undefined, 'parsed once')
  t.equal(await r.netlinkProto('later'), undefined, 'parsed once')
  t.equal(await systemResolver({ servicesPath: join(dir, 'missing') }).service('ssh', 'tcp'), undefined, 'missing file: no services')
})

t.test('netlink protocols: real nl_protos and the built-in fallback', async (t) => {
  const r = systemResolver()
  t.equal(await r.netlinkProto('rtnl'), 0)
  t.equal(await r.netlinkProto('genl'), 16)
  t.equal(await r.netlinkProto('kernel'), undefined)
  t.equal(await systemResolver({ nlProtosPath: '/nonexistent/nl_protos' }).netlinkProto('crypto'), 21)
})

t.test('hosts: /etc/hosts through dns.lookup', async (t) => {
  const r = systemResolver()
  const v4 = await r.hosts('localhost', 2)
  t.ok(v4.length >= 1, 'localhost has an IPv4 address')
  t.strictSame([...v4[0]!.bytes], [127, 0, 0, 1])
  t.equal(v4[0]!.prefixLen, 32)
  const any = await r.hosts('localhost', 0)
  t.strictSame(any.map((p) => p.af), [...any.map((p) => p.af)].sort((a, b) => a - b), 'IPv4 first, then IPv6')
  t.strictSame(await r.hosts('nonexistent.invalid', 0), [], 'unknown name: no addresses')
})

t.test('devices: sysfs', async (t) => {
  const r = systemResolver()
  t.equal(await r.ifindex('lo'), 1)
  t.equal(await r.ifindex('nosuchdev0'), undefined)
  t.equal(await r.ifindex('../lo'), undefined, 'not a path')
  t.equal(await r.ifindex(''), undefined)
})

t.test('cgroup ids: cwd first, then below the cgroup2 mount', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ssx-cgroup-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'mnt', 'grp'), { recursive: true })
  const mounts = join(dir, 'mounts')
  writeFileSync(mounts, `cgroup2 ${join(dir, 'mnt')} cgroup2 rw 0 0\n`)
  const ino = statSync(join(dir, 'mnt', 'grp'), { bigint: true }).ino
  const r = systemResolver({ mountsPath: mounts })
  t.equal(await r.cgroupId(join(dir, 'mnt', 'grp')), ino, 'full path')
  t.equal(await r.cgroupId('/grp'), ino, 'leading / stripped, relative to the mount')
  t.equal(await r.cgroupId('//grp'), ino, 'every leading / stripped')
  t.strictSame(await r.cgroupId('/nope'), { failure: 'Failed to get cgroup2 ID: No such file or directory' })
  t.strictSame(await systemResolver({ mountsPath: join(dir, 'none') }).cgroupId('/nope'), { failure: 'Failed to find cgroup2 mount' })
  t.equal(await r.cgroupId('/'), statSync('/', { bigint: true }).ino, '`cgroup /` is the root filesystem (ss quirk)')
})
