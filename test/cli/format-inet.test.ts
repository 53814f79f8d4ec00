/**
 * Inet row formatting: address text (glibc inet_ntop as the oracle for
 * IPv6), ports and services, queues, netids, devices.
 */
import t from 'tap'
import fc from 'fast-check'
import { execFileSync } from 'node:child_process'
import { parseProtocolsDb, parseServicesDb } from '../../src/services.js'
import { COL } from '../../src/cli/render.js'
import { INET_PROTO, inetAddrText, inetNetid, inetRow, ipv6Text, portText, queueText, stateName } from '../../src/cli/format-inet.js'
import type { InetFormatOptions } from '../../src/cli/format-inet.js'

const services = parseServicesDb('ssh 22/tcp\nssh 22/udp\nhttp 80/tcp www\nhttp-alt 8080/tcp webcache\nx11 6000/tcp\ndomain 53/udp\nlate 40000/tcp\n')
const protocols = parseProtocolsDb('icmp 1 ICMP\nipv6-icmp 58 IPv6-ICMP\n')
const opts: InetFormatOptions = { numeric: false, localPortRange: [32768, 60999], services, protocols, ifname: (i) => (i === 1 ? 'lo' : undefined) }
const v6 = (...words: number[]): Uint8Array => {
  const b = new Uint8Array(16)
  words.forEach((w, i) => { b[2 * i] = w >> 8; b[2 * i + 1] = w & 0xff })
  return b
}

t.test('ipv6Text: table', async (t) => {
  const cases: [Uint8Array, string][] = [
    [v6(0, 0, 0, 0, 0, 0, 0, 0), '::'],
    [v6(0, 0, 0, 0, 0, 0, 0, 1), '::1'],
    [v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), '::ffff:127.0.0.1'],
    [v6(0, 0, 0, 0, 0, 0, 0x0102, 0x0304), '::1.2.3.4'],
    [v6(0xfe80, 0, 0, 0, 0, 0, 0, 1), 'fe80::1'],
    [v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), '2001:db8::1:0:0:1'],
    [v6(0x2001, 0xdb8, 0, 1, 0, 0, 0, 0), '2001:db8:0:1::'],
    [v6(1, 0, 2, 3, 4, 5, 6, 7), '1:0:2:3:4:5:6:7'],
    [v6(0xabcd, 0, 0, 0, 0, 0, 0, 0), 'abcd::'],
  ]
  for (const [b, want] of cases) t.equal(ipv6Text(b), want)
})

t.test('ipv6Text equals glibc inet_ntop on 2000 generated addresses', async (t) => {
  // Words biased to 0 (runs of zeros are what the algorithm is about) and to ffff (v4-mapped).
  const word = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }))
  const addrs = fc.sample(fc.array(word, { minLength: 8, maxLength: 8 }), { numRuns: 2000, seed: 42 }).map((w) => v6(...w))
  const hex = addrs.map((a) => Buffer.from(a).toString('hex')).join('\n')
  const py = 'import socket,sys\nfor l in sys.stdin.read().split():\n print(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(l)))'
  const want = execFileSync('python3', ['-c', py], { input: hex, encoding: 'latin1' }).trim().split('\n')
  let bad = 0
  addrs.forEach((a, i) => {
    if (ipv6Text(a) !== want[i] && bad++ < 5) t.equal(ipv6Text(a), want[i], Buffer.from(a).toString('hex'))
  })
  t.equal(bad, 0, 'all agree (seed 42)')
})

t.test('address rules', async (t) => {
  t.equal(inetAddrText(2, Uint8Array.of(127, 0, 0, 1), false, {}), '127.0.0.1')
  t.equal(inetAddrText(10, v6(0, 0, 0, 0, 0, 0, 0, 0), false, {}), '*', ':: of a dual-stack socket')
  t.equal(inetAddrText(10, v6(0, 0, 0, 0, 0, 0, 0, 0), true, {}), '[::]', ':: of a v6only socket')
  t.equal(inetAddrText(10, v6(0, 0, 0, 0, 0, 0, 0, 1), false, {}), '[::1]')
  const lookup = (a: Uint8Array): string | undefined => (a.length === 4 && a[0] === 127 ? 'localhost' : a.length === 16 ? 'ip6-localhost' : undefined)
  t.equal(inetAddrText(10, v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), false, { resolveHosts: true, reverseLookup: lookup }), 'localhost', 'v4-mapped looked up as IPv4')
  t.equal(inetAddrText(10, v6(0, 0, 0, 0, 0, 0, 0, 1), false, { resolveHosts: true, reverseLookup: lookup }), 'ip6-localhost', 'names are not bracketed')
  t.equal(inetAddrText(2, Uint8Array.of(127, 0, 0, 1), false, { resolveHosts: false, reverseLookup: lookup }), '127.0.0.1', 'only with -r')
  t.equal(inetAddrText(2, Uint8Array.of(0, 0, 0, 0), false, { resolveHosts: true, reverseLookup: () => 'any' }), '0.0.0.0', 'unspecified stays numeric')
})

t.test('ports', async (t) => {
  t.equal(portText(0, INET_PROTO.TCP, opts), '*')
  t.equal(portText(22, INET_PROTO.TCP, opts), 'ssh')
  t.equal(portText(22, INET_PROTO.TCP, { ...opts, numeric: true }), '22')
  t.equal(portText(8080, INET_PROTO.TCP, opts), 'http-alt', 'official name, not the alias')
  t.equal(portText(53, INET_PROTO.UDP, opts), 'domain')
  t.equal(portText(53, INET_PROTO.TCP, opts), '53', 'per protocol')
  t.equal(portText(40000, INET_PROTO.TCP, opts), '40000', 'inside the local port range: never a name')
  t.equal(portText(40000, INET_PROTO.TCP, { ...opts, localPortRange: [1024, 4999] }), 'late')
  t.equal(portText(5000, INET_PROTO.TCP, opts), '5000', 'unknown')
  t.equal(portText(1, INET_PROTO.RAW, opts), 'icmp', 'raw: protocol names')
  t.equal(portText(58, INET_PROTO.RAW, opts), 'ipv6-icmp')
  t.equal(portText(99, INET_PROTO.RAW, opts), 'ipproto-99')
  t.equal(portText(99, INET_PROTO.RAW, { ...opts, numeric: true }), '99')
  t.equal(portText(22, INET_PROTO.MPTCP, opts), 'ssh', 'stream tables look up tcp')
})

t.test('queues, states, netids', async (t) => {
  t.equal(queueText(0), '0     ')
  t.equal(queueText(128), '128   ')
  t.equal(queueText(1234567), '1234567')
  t.equal(queueText(0xffffffff), '-1    ', 'a u32 printed as C int')
  t.same([1, 6, 7, 8, 10, 12].map(stateName), ['ESTAB', 'TIME-WAIT', 'UNCONN', 'CLOSE-WAIT', 'LISTEN', 'UNDEF'])
  t.same([6, 17, 255, 262, 132, 33, 58, 99].map(inetNetid), ['tcp', 'udp', 'raw', 'mptcp', 'sctp', 'dccp', 'icmp6', '???'])
})

t.test('inetRow', async (t) => {
  const rec = { family: 2, state: 1, localAddr: Uint8Array.of(127, 0, 0, 1), remoteAddr: Uint8Array.of(127, 0, 0, 1), localPort: 60270, remotePort: 22, ifindex: 1, rqueue: 5, wqueue: 0 }
  const row = inetRow(rec, INET_PROTO.TCP, opts)
  t.same(row, ['tcp', 'ESTAB', '5     ', '0     ', '127.0.0.1%lo:', '60270', '127.0.0.1:', 'ssh', ''])
  t.equal(inetRow({ ...rec, ifindex: 7 }, INET_PROTO.TCP, opts)[COL.ADDR], '127.0.0.1%if7:', 'unknown device: if<N>')
})
