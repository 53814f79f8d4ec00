/**
 * Output-side lookups: hosts(5) by address for `-r`, cgroup id → path for
 * `-e`/`--cgroup` (walked on a temporary tree standing in for a cgroup2 mount).
 */
import t from 'tap'
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cgroupPathLookup, parseHostsByAddress, hostsReverseLookup } from '../../src/reverse-lookup.js'

t.test('hosts: first name of the first line with the address', async (t) => {
  const names = parseHostsByAddress([
    '127.0.0.1\tlocalhost',
    '::1     localhost ip6-localhost ip6-loopback',
    '# 10.0.0.1 commented',
    '10.0.0.2 db db.internal # trailing comment',
    '10.0.0.2 second',
    'garbage line',
    '',
  ].join('\n'))
  t.same([...names.values()], ['localhost', 'localhost', 'db'])
  const dir = mkdtempSync(join(tmpdir(), 'ssx-hosts-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n::ffff:1.2.3.4 mapped\n')
  const lookup = hostsReverseLookup(join(dir, 'hosts'))
  t.equal(lookup(Uint8Array.of(127, 0, 0, 1)), 'localhost')
  t.equal(lookup(Uint8Array.of(127, 0, 0, 2)), undefined)
  t.equal(lookup(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4)), 'mapped')
  t.equal(hostsReverseLookup(join(dir, 'missing'))(Uint8Array.of(127, 0, 0, 1)), undefined, 'no hosts file: numeric')
})

t.test('cgroup paths: walked once below the cgroup2 mount, unreachable otherwise', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ssx-cg-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const root = join(dir, 'cg')
  mkdirSync(join(root, 'system.slice', 'sshd.service'), { recursive: true })
  writeFileSync(join(dir, 'mounts'), `proc /proc proc rw 0 0\ncgroup2 ${root} cgroup2 rw 0 0\n`)
  const ino = (p: string): bigint => statSync(p, { bigint: true }).ino
  const errors: string[] = []
  const path = cgroupPathLookup({ mountsPath: join(dir, 'mounts'), onError: (m) => errors.push(m) })
  t.equal(path(ino(root)), '/')
  t.equal(path(ino(join(root, 'system.slice', 'sshd.service'))), '/system.slice/sshd.service')
  t.equal(path(0xabcn), 'unreachable:abc')
  t.same(errors, [])

  writeFileSync(join(dir, 'nomount'), 'proc /proc proc rw 0 0\n')
  const none = cgroupPathLookup({ mountsPath: join(dir, 'nomount'), onError: (m) => errors.push(m) })
  t.equal(none(1n), 'unreachable:1')
  t.equal(none(2n), 'unreachable:2')
  t.same(errors, ['Failed to find cgroup2 mount', 'Failed to find cgroup2 mount'], 'one message per lookup, as ss')
})
