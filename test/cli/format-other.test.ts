/**
 * Unix, packet and netlink rows (ss-behavior §8.2), and the services /
 * protocols databases.
 */
import t from 'tap'
import { unixNameText, unixNetid, unixRow } from '../../src/cli/format-unix.js'
import { packetProtoText, packetRow } from '../../src/cli/format-packet.js'
import { netlinkOwner, netlinkRow, statComm } from '../../src/cli/format-netlink.js'
import type { NetlinkFormatOptions } from '../../src/cli/format-netlink.js'
import { parseProtocolsDb, parseServicesDb } from '../../src/services.js'

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0))

t.test('unix', async (t) => {
  t.same([1, 2, 5, 3].map(unixNetid), ['u_str', 'u_dgr', 'u_seq', 'u_dgr'])
  t.equal(unixNameText(bytes('/tmp/demo.sock\0')), '/tmp/demo.sock')
  t.equal(unixNameText(bytes('\0demo')), '@demo')
  t.equal(unixNameText(bytes('\0in\0ner')), '@in@ner', 'every NUL of an abstract name (verified with ss 6.1)')
  t.equal(unixNameText(bytes('\0\xe9')), '@\xe9', 'bytes map to latin1 chars')
  t.same(unixRow({ type: 1, state: 10, inode: 2550618, remotePort: 0, nameBytes: bytes('/tmp/demo.sock\0'), rqueue: 0, wqueue: 16 }),
    ['u_str', 'LISTEN', '0     ', '16    ', '/tmp/demo.sock ', '2550618', '* ', '0', ''])
  t.same(unixRow({ type: 1, state: 1, inode: 2550619, remotePort: 2550620 }),
    ['u_str', 'ESTAB', '0     ', '0     ', '* ', '2550619', '* ', '2550620', ''])
  t.equal(unixRow({ type: 2, state: 7, inode: 0x80000001, remotePort: 0, localName: '@x' })[5], '-2147483647', '6.1 prints inodes as int')
})

t.test('packet', async (t) => {
  t.equal(packetProtoText(3, false), '*')
  t.equal(packetProtoText(3, true), '*')
  t.equal(packetProtoText(0x0800, false), 'ip')
  t.equal(packetProtoText(0x0800, true), '[2048]')
  t.equal(packetProtoText(0x86dd, false), 'ipv6')
  t.equal(packetProtoText(0x0806, false), 'arp')
  t.equal(packetProtoText(0x1234, false), '[4660]', 'unknown')
  const ifname = (i: number): string | undefined => (i === 1 ? 'lo' : undefined)
  t.same(packetRow({ type: 3, state: 7, protocol: 3, ifindex: 0 }, { numeric: false, ifname }),
    ['p_raw', 'UNCONN', '0     ', '0     ', '*:', '*', '*', '', ''])
  t.same(packetRow({ type: 2, state: 7, protocol: 0x0800, ifindex: 1, memInfo: { rmemAlloc: 768 } }, { numeric: true, ifname }),
    ['p_dgr', 'UNCONN', '768   ', '0     ', '[2048]:', 'lo', '*', '', ''])
})

t.test('netlink', async (t) => {
  const names: Record<number, string> = { 0: 'rtnl', 4: 'tcpdiag' }
  const stats: Record<number, string> = { 17906: '17906 (python3) S 1 2 3', 18027: '18027 (ss) R 1', 5: '5 () S' }
  const opts: NetlinkFormatOptions = { numeric: false, protoName: (p) => names[p], procStat: (pid) => stats[pid] }
  t.equal(statComm('17906 (python3) S 1'), 'python3')
  t.equal(statComm('1 (a b) S'), 'a b')
  t.equal(statComm('1 (x)y) S'), 'x', 'stops at the first )')
  t.equal(statComm('1 () S'), undefined, 'an empty name does not match %[^)]')
  t.equal(netlinkOwner(-1, opts), '*')
  t.equal(netlinkOwner(0, opts), 'kernel')
  t.equal(netlinkOwner(17906, opts), 'python3/17906')
  t.equal(netlinkOwner(4242, opts), '4242', 'no /proc entry')
  t.equal(netlinkOwner(5, opts), '5')
  t.equal(netlinkOwner(-4123, opts), '-4123', 'kernel-chosen port id')
  t.equal(netlinkOwner(0, { ...opts, numeric: true }), '0')
  t.equal(netlinkOwner(-1, { ...opts, numeric: true }), '*')
  const rec = { state: 7, protocol: 4, portid: 18027, dstPortid: 0, dstGroup: 0, memInfo: { rmemAlloc: 4352, wmemAlloc: 0 } }
  t.same(netlinkRow(rec, opts), ['nl', 'UNCONN', '4352  ', '0     ', 'tcpdiag:', 'ss/18027', '*', '', ''])
  t.same(netlinkRow(rec, { ...opts, numeric: true }), ['nl', 'UNCONN', '4352  ', '0     ', '4:', '18027', '*', '', ''])
  t.same(netlinkRow({ ...rec, protocol: 30 }, opts).slice(4, 5), ['30:'], 'unnamed protocol: number')
  t.same(netlinkRow({ ...rec, state: 1, dstGroup: 0, dstPortid: 0 }, opts).slice(6), ['0:', '0', ''], 'connected: GROUP:PID')
  t.equal(netlinkRow({ ...rec, state: 1 }, opts)[1], 'UNCONN', 'connected sockets still print UNCONN (6.1)')
})

t.test('services and protocols databases', async (t) => {
  const s = parseServicesDb('# comment\nssh\t\t22/tcp\t\t\t# SSH\nhttp 80/tcp www # WWW\nhttp2 80/tcp\nwww-alt 81/tcp www\nbad line\nbig 70000/tcp\nkerberos 88/udp kerberos5 krb5\n')
  t.equal(s.name(22, 'tcp'), 'ssh')
  t.equal(s.name(22, 'udp'), undefined)
  t.equal(s.name(80, 'tcp'), 'http', 'first line with the port wins')
  t.equal(s.port('www', 'tcp'), 80, 'alias; first entry wins')
  t.equal(s.port('http2', 'tcp'), 80)
  t.equal(s.port('krb5', 'udp'), 88)
  t.equal(s.port('big', 'tcp'), undefined, 'port out of range skipped')
  t.equal(s.port('bad', 'tcp'), undefined)
  const p = parseProtocolsDb('ip\t0\tIP\nicmp 1 ICMP # x\nipv6-icmp\t58\tIPv6-ICMP\nicmp-dup 1\n')
  t.equal(p.name(0), 'ip')
  t.equal(p.name(1), 'icmp')
  t.equal(p.name(58), 'ipv6-icmp')
  t.equal(p.name(2), undefined)
})
