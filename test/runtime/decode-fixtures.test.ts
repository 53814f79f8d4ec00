// Decoders against replies captured from Linux 6.18 (test/fixtures/sock-diag/*.hex)
// checked against the zoo manifest stored in each fixture. Every case also runs
// with the reply re-cut into two datagrams at every byte: a cut between messages
// must give the same records, a cut inside one must give a DecodeError.
import t from 'tap'
import type { Test } from 'tap'
import { DecodeError, NetlinkError } from '../../runtime/errors.js'
import { ReplyReader } from '../../runtime/dump.js'
import type { SocketRecord } from '../../runtime/record.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import type { UnixRecord } from '../../runtime/decode-unix.js'
import type { PacketRecord } from '../../runtime/decode-packet.js'
import type { NetlinkRecord } from '../../runtime/decode-netlink.js'
import type { DiagKind } from '../../runtime/requests.js'
import type { ZooManifest } from '../helpers/netns.js'
import { loadFixture } from './fixture-file.js'

type Outcome = { records: SocketRecord[], error: unknown }

function read(kind: DiagKind, protocol: number, datagrams: readonly Uint8Array[]): Outcome {
  const r = new ReplyReader(kind, protocol)
  const records: SocketRecord[] = []
  try {
    for (const d of datagrams) for (const rec of r.read(d)) records.push(rec)
    if (!r.finished) return { records, error: new Error('reply did not finish') }
    return { records, error: null }
  } catch (e) {
    return { records, error: e }
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Message start offsets of a byte stream, read with plain arithmetic (independent of the framing code). */
function boundaries(all: Uint8Array): Set<number> {
  const v = new DataView(all.buffer, all.byteOffset, all.byteLength)
  const b = new Set<number>([0])
  for (let o = 0; o < all.length;) {
    o += (v.getUint32(o, true) + 3) & ~3
    b.add(o)
  }
  return b
}

/** Run `check` on the fixture as captured, then the split-at-every-byte property. */
function fixtureCase(name: string, kind: DiagKind, protocol: number, check: (t: Test, o: Outcome, m: ZooManifest) => void): void {
  t.test(name, async (t) => {
    const fx = loadFixture(name)
    const m = fx.manifest as ZooManifest
    const whole = read(kind, protocol, fx.datagrams)
    check(t, whole, m)
    const all = concat(fx.datagrams)
    const cuts = boundaries(all)
    let same = 0
    let typed = 0
    for (let k = 1; k < all.length; k++) {
      const o = read(kind, protocol, [all.subarray(0, k), all.subarray(k)])
      if (cuts.has(k)) {
        if (o.records.length === whole.records.length && t.strictSame(o.records, whole.records, `cut at ${k}`, { diagnostic: false }) && sameError(o.error, whole.error)) same++
        else t.fail(`cut at message boundary ${k} changed the result`)
      } else if (o.error instanceof DecodeError) typed++
      else t.fail(`cut at ${k} inside a message: expected DecodeError, got ${String(o.error)}`)
    }
    t.equal(same + typed, all.length - 1, `all ${all.length - 1} cuts behave (${same} between messages, ${typed} inside)`)
  })
}

function sameError(a: unknown, b: unknown): boolean {
  if (a === null || b === null) return a === b
  return a instanceof NetlinkError && b instanceof NetlinkError && a.errno === b.errno
}

const v4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number))
const inet = (o: Outcome): InetRecord[] => o.records.filter((r): r is InetRecord => r.kind === 'inet')
const byPort = (rs: InetRecord[], port: number): InetRecord[] => rs.filter((r) => r.localPort === port)

fixtureCase('tcp4-ext-ff.hex', 'inet', 6, (t, o, m) => {
  t.equal(o.error, null, 'dump ends with DONE 0')
  const rs = inet(o)
  t.ok(rs.every((r) => r.family === 2 && r.localAddr.length === 4 && r.remoteAddr.length === 4), 'AF_INET records carry 4-byte addresses')
  t.ok(rs.every((r) => r.localAddr.join('.') === '127.0.0.1' || r.localAddr.join('.') === '0.0.0.0'), 'addresses in network order')
  const l = rs.find((r) => r.inode === m.tcp.listen4.inode)!
  t.match(l, { state: 10, localPort: 5000, remotePort: 0, localAddr: v4('127.0.0.1') }, 'listener 127.0.0.1:5000')
  t.equal(l.tcpInfo?.state, 10, 'tcp_info on a listener')
  t.equal(l.tcpInfo?.accecnOptSeen, 0, '280-byte tcp_info: the last field is decoded')
  t.equal(typeof l.tcpInfo?.pacingRate, 'bigint', 'u64 fields are bigint')
  t.equal(l.congestion, 'bbr', 'INET_DIAG_CONG')
  t.equal(l.skMemInfo?.drops, 0, 'SKMEMINFO with 9 entries')
  t.ok(l.cgroupId > 0n, 'cgroup id of a full socket')
  t.equal(l.sockopt, 0x52, 'SOCKOPT is_icsk|mc_loop|mc_all')
  const c = rs.find((r) => r.inode === m.tcp.est4.client.inode)!
  t.match(c, { state: 1, localPort: m.tcp.est4.client.port, remotePort: 5000 }, 'established client')
  t.equal(c.tcpInfo?.state, 1)
  t.ok(c.bbrInfo !== undefined && typeof c.bbrInfo.bw === 'bigint', 'BBRINFO on an established socket')
  t.equal(c.shutdown, 0)
  t.ok(c.memInfo !== undefined, 'MEMINFO')
  t.ok(c.cookie > 0n, 'cookie')
  const marked = rs.find((r) => r.inode === m.tcp.marked.inode)!
  t.match(marked, { localPort: 5100, mark: 0x1234 }, 'SO_MARK → mark')
  const bound = rs.find((r) => r.inode === m.tcp.bound.inode)!
  t.equal(bound.ifindex, m.tcp.bound.ifindex, 'SO_BINDTODEVICE → ifindex')
  t.ok(rs.filter((r) => r.inode !== m.tcp.bound.inode).every((r) => r.ifindex === 0), 'others unbound')
  const [tw] = byPort(rs, m.tcp.timeWait.port)
  t.match(tw, { state: 6, timer: 3, inode: 0, uid: 0, mark: 0x77, cgroupId: 0n, remotePort: 5003 }, 'TIME-WAIT: substate 6, timer 3, tw_mark, no cgroup')
  t.equal(tw?.tcpInfo, undefined, 'no tcp_info for TIME-WAIT')
  const mappedClient = rs.find((r) => r.inode === m.tcp.mapped.client.inode)
  t.equal(mappedClient?.remotePort, 5002, 'v4 client of the dual-stack listener is AF_INET')
})

fixtureCase('tcp6-ext-00.hex', 'inet', 6, (t, o, m) => {
  t.equal(o.error, null)
  const rs = inet(o)
  t.ok(rs.every((r) => r.family === 10 && r.localAddr.length === 16), 'AF_INET6 records carry 16-byte addresses')
  t.match(rs.find((r) => r.inode === m.tcp.listen6.inode), { state: 10, localPort: 5001, v6only: true }, 'v6only listener')
  t.match(rs.find((r) => r.inode === m.tcp.listenDual.inode), { state: 10, localPort: 5002, v6only: false }, 'dual-stack listener')
  const mapped = rs.find((r) => r.inode === m.tcp.mapped.server.inode)!
  t.same([...mapped.localAddr], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1], 'accepted child of the dual-stack listener is v4-mapped')
  t.ok(rs.every((r) => r.tcpInfo === undefined && r.congestion === undefined), 'ext 0: no INFO, no CONG')
  t.match(rs.find((r) => r.inode === m.tcp.est6.client.inode), { state: 1, remotePort: 5001 })
})

fixtureCase('udp4.hex', 'inet', 17, (t, o, m) => {
  t.equal(o.error, null)
  const rs = inet(o)
  t.match(rs.find((r) => r.inode === m.udp.bound4.inode), { state: 7, localPort: m.udp.bound4.port, remotePort: 0 }, 'unconnected UDP is state 7')
  t.match(rs.find((r) => r.inode === m.udp.connected4.inode), { state: 1, localPort: m.udp.connected4.port, remotePort: m.udp.connected4.remotePort }, 'connected UDP is state 1')
  t.ok(rs.every((r) => r.memInfo !== undefined && r.skMemInfo !== undefined && r.tcpInfo === undefined), 'ext 0x41: MEMINFO + SKMEMINFO, no tcp_info')
})

fixtureCase('unix-show-7f.hex', 'unix', 0, (t, o, m) => {
  t.equal(o.error, null)
  const rs = o.records.filter((r): r is UnixRecord => r.kind === 'unix')
  const find = (ino: number): UnixRecord | undefined => rs.find((r) => r.inode === ino)
  const l = find(m.unix.listener.inode)!
  t.match(l, { state: 10, type: 1, localName: m.unix.listener.path, localPort: m.unix.listener.inode, remotePort: 0 }, 'path listener')
  t.equal(l.nameBytes?.at(-1), 0, 'path names keep their trailing NUL in nameBytes')
  t.ok(l.vfs !== undefined && l.vfs.ino > 0, 'UNIX_DIAG_VFS for a path-bound socket')
  t.same(l.icons, [], 'no pending connections')
  t.match(find(m.unix.client.inode), { state: 1, remotePort: m.unix.client.peer, localName: undefined }, 'unnamed client: remote port = peer inode')
  t.match(find(m.unix.accepted.inode), { state: 1, remotePort: m.unix.accepted.peer, localName: m.unix.accepted.path }, 'accepted socket shows the listener path')
  t.match(find(m.unix.abstractDgram.inode), { type: 2, state: 7, localName: m.unix.abstractDgram.name }, 'abstract name with @')
  const [a, b] = m.unix.seqpacket.inodes
  t.match(find(a), { type: 5, remotePort: b }, 'seqpacket pair')
  t.ok(rs.every((r) => r.memInfo !== undefined && r.uid === 0 && r.shutdown === 0), 'MEMINFO, UID, SHUTDOWN everywhere')
})

fixtureCase('packet-show-3f.hex', 'packet', 0, (t, o, m) => {
  t.equal(o.error, null)
  const rs = o.records.filter((r): r is PacketRecord => r.kind === 'packet')
  t.match(rs.find((r) => r.inode === m.packet.rawLo.inode), { type: 3, protocol: 3, ifindex: 1, localPort: 1, state: 7 }, 'SOCK_RAW ETH_P_ALL on lo')
  t.match(rs.find((r) => r.inode === m.packet.dgramIp.inode), { type: 2, protocol: 0x0800, ifindex: 0, localPort: 0 }, 'SOCK_DGRAM ETH_P_IP unbound')
  t.ok(rs.every((r) => r.info !== undefined && r.memInfo !== undefined && r.uid === 0), 'INFO, MEMINFO, UID')
  t.ok(rs.every((r) => r.rxRing === undefined && r.filter === undefined), 'no rings or filters in the zoo')
})

fixtureCase('netlink-show-0f.hex', 'netlink', 255, (t, o, m) => {
  t.equal(o.error, null)
  const rs = o.records.filter((r): r is NetlinkRecord => r.kind === 'netlink')
  const route = rs.find((r) => r.inode === m.netlink.route.inode)!
  t.match(route, { protocol: 0, portid: m.netlink.route.portid, localPort: m.netlink.route.portid, remotePort: -1, state: 7 }, 'NETLINK_ROUTE socket')
  t.same(route.groups, m.netlink.route.groups, 'GROUPS bitmap → group numbers')
  t.ok(rs.some((r) => r.protocol === 4), 'the capturing sock_diag socket itself')
  t.ok(rs.every((r) => r.memInfo !== undefined && r.flags !== undefined), 'MEMINFO and FLAGS')
})

fixtureCase('error-einval-capped.hex', 'inet', 6, (t, o) => {
  t.same(o.records, [])
  t.match(o.error, { name: 'NetlinkError', operation: 'dump', errno: 22, errnoName: 'EINVAL', extAck: undefined }, 'capped NLMSG_ERROR → EINVAL')
})
fixtureCase('error-einval-full.hex', 'inet', 6, (t, o) => {
  t.match(o.error, { name: 'NetlinkError', errno: 22, errnoName: 'EINVAL' }, 'uncapped NLMSG_ERROR (request echoed) → EINVAL')
})
fixtureCase('done-enoent.hex', 'inet', 132, (t, o) => {
  t.same(o.records, [])
  t.match(o.error, { name: 'NetlinkError', operation: 'dump', errno: 2, errnoName: 'ENOENT' }, 'NLMSG_DONE carrying -ENOENT')
})
