// The runtime against the real kernel: a private namespace running the socket
// zoo, every family dumped and checked against what the zoo created, and the
// TCP list compared with /usr/bin/ss -tanH run in the same namespace.
import t from 'tap'
import { readlinkSync } from 'node:fs'
import { openDiag } from '../../runtime/netns.js'
import { Dump, destroySocket, dump, dumpLegacyTcp } from '../../runtime/dump.js'
import { encodeRequest } from '../../runtime/requests.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import type { UnixRecord } from '../../runtime/decode-unix.js'
import type { PacketRecord } from '../../runtime/decode-packet.js'
import type { NetlinkRecord } from '../../runtime/decode-netlink.js'
import type { SockDiagRequest } from '../../runtime/requests.js'
import type { SocketRecord } from '../../runtime/record.js'
import type { DiagSocket } from '../../runtime/netlink.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { NETLINK_OPT, SO, SOL_NETLINK, SOL_SOCKET } from '../../uapi/netlink.js'
import { SKNLGRP } from '../../uapi/sock-diag.js'

const EXTRA = 300
const ALL = 0xffffffff
const tcp = (family: number, ext = 0, bytecode: Uint8Array | null = null): SockDiagRequest => ({ kind: 'inet', family, protocol: 6, states: ALL, ext, bytecode })

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root and ip(8) to create a network namespace (CI=true makes this a failure)')
} else {
  const ns = await createNetns('runtime')
  t.teardown(() => ns.destroy())
  const zoo = await ns.startZoo({ extraListeners: EXTRA })
  const m = zoo.manifest
  const before = readlinkSync('/proc/thread-self/ns/net')
  const sock = openDiag({ netns: ns.name })
  t.teardown(() => sock.close())

  const collect = <R extends SocketRecord>(s: DiagSocket, req: SockDiagRequest): R[] => [...dump(s, req)] as R[]

  t.test('openDiag enters the namespace only for socket()', async (t) => {
    t.equal(readlinkSync('/proc/thread-self/ns/net'), before, 'the thread is back in its namespace')
    const v4 = collect<InetRecord>(sock, tcp(2))
    t.ok(v4.some((r) => r.inode === m.tcp.listen4.inode), 'the socket sees the zoo')
    t.ok(v4.every((r) => r.localAddr.join('.') === '127.0.0.1'), 'and nothing outside the namespace (no non-loopback sockets)')
    t.throws(() => openDiag({ netns: 'ssx-does-not-exist' }), { name: 'NetlinkError', operation: 'open', errnoName: 'ENOENT' })
    t.equal(readlinkSync('/proc/thread-self/ns/net'), before, 'still home after a failed open')
  })

  t.test('TCP, both families, against the zoo', async (t) => {
    const rs = [...collect<InetRecord>(sock, tcp(2, 0xff)), ...collect<InetRecord>(sock, tcp(10, 0xff))]
    const ino = (i: number): InetRecord | undefined => rs.find((r) => r.inode === i)
    t.match(ino(m.tcp.listen4.inode), { family: 2, state: 10, localPort: 5000 })
    t.match(ino(m.tcp.listen6.inode), { family: 10, state: 10, localPort: 5001, v6only: true })
    t.match(ino(m.tcp.listenDual.inode), { family: 10, state: 10, localPort: 5002, v6only: false })
    t.match(ino(m.tcp.est4.server.inode), { state: 1, localPort: 5000, remotePort: m.tcp.est4.client.port })
    t.match(ino(m.tcp.mapped.server.inode), { family: 10, localAddr: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1) })
    t.match(ino(m.tcp.marked.inode), { localPort: 5100, mark: m.tcp.marked.mark })
    t.match(ino(m.tcp.bound.inode), { ifindex: m.tcp.bound.ifindex })
    t.match(rs.find((r) => r.localPort === m.tcp.timeWait.port), { state: 6, mark: m.tcp.timeWait.mark, inode: 0 })
    t.equal(rs.filter((r) => r.localPort >= m.extra.firstPort && r.localPort < m.extra.firstPort + EXTRA).length, EXTRA, 'all extra listeners')
    t.ok(rs.filter((r) => r.inode !== 0).every((r) => r.tcpInfo?.state === r.state && r.skMemInfo !== undefined), 'tcp_info and SKMEMINFO on full sockets')
  })

  t.test('the TCP list equals /usr/bin/ss -tanH in the same namespace', async (t) => {
    const names: Record<number, string> = { 1: 'ESTAB', 2: 'SYN-SENT', 3: 'SYN-RECV', 4: 'FIN-WAIT-1', 5: 'FIN-WAIT-2', 6: 'TIME-WAIT', 7: 'UNCONN', 8: 'CLOSE-WAIT', 9: 'LAST-ACK', 10: 'LISTEN', 11: 'CLOSING' }
    const port = (col: string): string => { const p = col.slice(col.lastIndexOf(':') + 1); return p === '*' ? '0' : p }
    const { stdout } = await ns.exec('/usr/bin/ss', ['-tanH'])
    const theirs = stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)).map((c) => `${c[0]} ${port(c[3]!)} ${port(c[4]!)} ${c[3]!.includes('[') || c[3]!.startsWith('*') ? 6 : 4}`).sort()
    const ours = [...collect<InetRecord>(sock, tcp(2)), ...collect<InetRecord>(sock, tcp(10))]
      .map((r) => `${names[r.state]} ${r.localPort} ${r.remotePort} ${r.family === 10 ? 6 : 4}`).sort()
    t.equal(ours.length, theirs.length, `${ours.length} sockets each`)
    t.same(ours, theirs, 'same state, ports and family for every socket')
  })

  t.test('UDP', async (t) => {
    const rs = [...collect<InetRecord>(sock, { kind: 'inet', family: 2, protocol: 17, states: ALL, ext: 0, bytecode: null }), ...collect<InetRecord>(sock, { kind: 'inet', family: 10, protocol: 17, states: ALL, ext: 0, bytecode: null })]
    t.match(rs.find((r) => r.inode === m.udp.bound4.inode), { state: 7, localPort: m.udp.bound4.port })
    t.match(rs.find((r) => r.inode === m.udp.connected4.inode), { state: 1, remotePort: m.udp.connected4.remotePort })
    t.match(rs.find((r) => r.inode === m.udp.bound6.inode), { family: 10, localPort: m.udp.bound6.port })
    t.equal(rs.length, 3, 'exactly the zoo UDP sockets')
  })

  t.test('unix, packet, netlink', async (t) => {
    const ux = collect<UnixRecord>(sock, { kind: 'unix', family: 1, protocol: 0, states: ALL, ext: 0x7f, bytecode: null })
    t.match(ux.find((r) => r.inode === m.unix.listener.inode), { state: 10, localName: m.unix.listener.path })
    t.match(ux.find((r) => r.inode === m.unix.abstractDgram.inode), { type: 2, localName: m.unix.abstractDgram.name })
    t.match(ux.find((r) => r.inode === m.unix.client.inode), { remotePort: m.unix.client.peer })
    t.match(ux.find((r) => r.inode === m.unix.seqpacket.inodes[0]), { type: 5, remotePort: m.unix.seqpacket.inodes[1] })
    const pk = collect<PacketRecord>(sock, { kind: 'packet', family: 17, protocol: 0, states: 0, ext: 0x3d, bytecode: null })
    t.match(pk.find((r) => r.inode === m.packet.rawLo.inode), { protocol: m.packet.rawLo.protocol, ifindex: m.packet.rawLo.ifindex })
    t.match(pk.find((r) => r.inode === m.packet.dgramIp.inode), { protocol: m.packet.dgramIp.protocol, type: 2 })
    const nl = collect<NetlinkRecord>(sock, { kind: 'netlink', family: 16, protocol: 255, states: 0, ext: 0x3, bytecode: null })
    t.match(nl.find((r) => r.inode === m.netlink.route.inode), { protocol: 0, portid: m.netlink.route.portid, groups: m.netlink.route.groups })
    t.ok(nl.some((r) => r.protocol === 4 && r.portid === sock.portId), 'our own sock_diag socket, with the port id bind gave us')
  })

  t.test('bytecode is applied by the kernel', async (t) => {
    // S_GE 5100: op {2, yes 8, no 12} then a follow-on op carrying the port in bytes 2-3 (kernel-sock-diag §1.4).
    const sge = Uint8Array.of(2, 8, 12, 0, 0, 0, 0xec, 0x13)
    const rs = collect<InetRecord>(sock, tcp(2, 0, sge))
    t.ok(rs.length > EXTRA, 'the extra listeners, marked client, TIME-WAIT and ephemeral clients')
    t.ok(rs.every((r) => r.localPort >= 5100), 'nothing below 5100')
    t.throws(() => [...dump(sock, tcp(2, 0, Uint8Array.of(9, 4, 8, 0)))], { name: 'NetlinkError', operation: 'dump', errnoName: 'EINVAL' }, 'a program the audit rejects')
    t.ok(collect(sock, tcp(2)).length > 0, 'the socket is usable after an error')
  })

  t.test('streaming: one datagram at a time, early exit, async, busy', async (t) => {
    const d = dump(sock, tcp(2, 0xff))
    const it = d[Symbol.iterator]()
    t.notOk(it.next().done)
    t.equal(d.datagrams, 1, 'the first record needs one datagram only')
    t.throws(() => [...dump(sock, tcp(2))], { name: 'NetlinkError', errnoName: 'EBUSY' }, 'one dump per socket at a time')
    it.return?.(undefined)
    t.equal(collect(sock, tcp(2)).length, [...dump(sock, tcp(2))].length, 'after an early exit the socket is drained and reusable')
    let n = 0
    const full = dump(sock, tcp(2, 0xff))
    for await (const _ of full) n++
    t.ok(full.datagrams > 1, `a ${n}-socket dump with ext 0xff spans ${full.datagrams} datagrams`)
    t.equal(full.interrupted, false, 'sock_diag never sets NLM_F_DUMP_INTR')
  })

  t.test('MPTCP through INET_DIAG_REQ_PROTOCOL', { skip: m.mptcp === null ? 'kernel without MPTCP' : false }, async (t) => {
    const rs = collect<InetRecord>(sock, { kind: 'inet', family: 2, protocol: 6, protocolAttr: 262, states: ALL, ext: 0x02, bytecode: null })
    const l = rs.find((r) => r.inode === m.mptcp!.listener.inode)
    t.match(l, { state: 10, localPort: m.mptcp!.listener.port }, 'the MPTCP listener')
    const c = rs.find((r) => r.inode === m.mptcp!.client.inode)
    t.equal(c?.tcpInfo, undefined, 'INFO of an MPTCP socket is not tcp_info')
    t.equal(typeof c?.mptcpInfo?.token, 'number', 'it is mptcp_info')
    t.notOk(rs.some((r) => r.inode === m.tcp.listen4.inode), 'no plain TCP sockets')
  })

  t.test('a reply that fails to decode ends the dump without hanging', async (t) => {
    // Decoding TCP replies as unix_diag makes the first record fail (its
    // "attributes" are the sockid bytes); the rest of the dump must be drained.
    const wrong = new Dump(sock, encodeRequest(tcp(2)), 'unix', 0, 20, 123456)
    t.throws(() => [...wrong], { name: 'DecodeError' })
    t.ok(wrong.datagrams < 3, 'stopped at the first bad record')
    t.ok(sock.fd >= 0, 'socket resynchronised, not retired')
    t.ok(collect(sock, tcp(2)).length > EXTRA, 'and usable')
  })

  t.test('legacy TCPDIAG_GETSOCK returns both families', async (t) => {
    const rs = [...dumpLegacyTcp(sock, { states: ALL, ext: 0, bytecode: null })] as InetRecord[]
    t.ok(rs.some((r) => r.family === 2) && rs.some((r) => r.family === 10))
  })

  t.test('errors from the kernel', async (t) => {
    t.throws(() => [...dump(sock, { kind: 'inet', family: 2, protocol: 132, states: ALL, ext: 0, bytecode: null })], { name: 'NetlinkError', errnoName: 'ENOENT' }, 'SCTP: DONE carrying -ENOENT')
    t.throws(() => [...dump(sock, { kind: 'packet', family: 17, protocol: 1, states: 0, ext: 0, bytecode: null })], { name: 'NetlinkError', errnoName: 'EINVAL' }, 'packet with protocol ≠ 0')
    t.throws(() => [...dump(sock, { kind: 'vsock', family: 40, protocol: 0, states: ALL, ext: 0, bytecode: null })], { name: 'NetlinkError', errnoName: 'ENOENT' }, 'vsock_diag not built')
  })

  t.test('ENOBUFS: lost multicast notifications are reported as a typed error', async (t) => {
    // A socket subscribed to SKNLGRP_INET_TCP_DESTROY with the smallest receive
    // buffer, then a second zoo closes 200 listeners: the announcements overflow it.
    const watcher = openDiag({ netns: ns.name, rcvbuf: 0 })
    t.teardown(() => watcher.close())
    watcher.setOption(SOL_SOCKET, SO.SO_RCVBUF, 1)
    watcher.setOption(SOL_NETLINK, NETLINK_OPT.NETLINK_ADD_MEMBERSHIP, SKNLGRP.SKNLGRP_INET_TCP_DESTROY)
    const second = await ns.startZoo({ basePort: 9000, extraListeners: 200 })
    await second.stop()
    t.throws(() => watcher.receive(), { name: 'NetlinkError', operation: 'recv', errnoName: 'ENOBUFS' })
  })

  t.test('SOCK_DESTROY', async (t) => {
    const target = collect<InetRecord>(sock, tcp(2)).find((r) => r.inode === m.tcp.est4.client.inode)!
    destroySocket(sock, target, 6)
    t.notOk(collect<InetRecord>(sock, tcp(2)).some((r) => r.inode === m.tcp.est4.client.inode), 'gone after destroy')
    t.throws(() => destroySocket(sock, target, 6), { name: 'NetlinkError', operation: 'request', errnoName: 'ENOENT' }, 'a second destroy finds nothing')
  })
}
