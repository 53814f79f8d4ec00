// Decoders and framing on hand-built bytes: cases the kernel here does not
// produce (extended acks, DUMP_INTR, older/shorter structs, families not built,
// congestion-control infos other than BBR). The builder below is independent of
// the runtime's encoders and struct tables.
import t from 'tap'
import { AttributeDecoder } from '../../runtime/attributes.js'
import { ReplyReader } from '../../runtime/dump.js'
import { decodeInet } from '../../runtime/decode-inet.js'
import { decodeUnix, unixName } from '../../runtime/decode-unix.js'
import { decodePacket } from '../../runtime/decode-packet.js'
import { decodeNetlink } from '../../runtime/decode-netlink.js'
import { decodeVsock, decodeXdp } from '../../runtime/decode-vsock.js'
import { DecodeError, NetlinkError } from '../../runtime/errors.js'
import { decodeError } from '../../runtime/message.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import type { SocketRecord } from '../../runtime/record.js'
import type { FilterSocket } from '../../compiler/socket.js'

// --- a tiny independent builder -------------------------------------------
const le16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff]
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]
const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff]
const pad4 = (b: number[]): number[] => [...b, ...new Array((4 - (b.length % 4)) % 4).fill(0)]
const nla = (type: number, payload: number[]): number[] => pad4([...le16(4 + payload.length), ...le16(type), ...payload])
const msg = (type: number, flags: number, payload: number[], seq = 123456): number[] => pad4([...le32(16 + payload.length), ...le16(type), ...le16(flags), ...le32(seq), ...le32(4242), ...payload])
const zeros = (n: number): number[] => new Array(n).fill(0)
const bytes = (b: number[]): Uint8Array => Uint8Array.from(b)

/** inet_diag_msg: family, state, timer, retrans, sport, dport, src, dst, if, cookie lo/hi, expires, rq, wq, uid, inode. */
function inetMsg(o: { family?: number, state?: number, sport?: number, dport?: number, src?: number[], dst?: number[], ifindex?: number, cookie?: [number, number], inode?: number } = {}): number[] {
  const addr = (a: number[] | undefined): number[] => [...(a ?? []), ...zeros(16 - (a?.length ?? 0))]
  return [o.family ?? 2, o.state ?? 1, 0, 0, ...be16(o.sport ?? 0), ...be16(o.dport ?? 0), ...addr(o.src), ...addr(o.dst), ...le32(o.ifindex ?? 0), ...le32(o.cookie?.[0] ?? 0), ...le32(o.cookie?.[1] ?? 0), ...zeros(16), ...le32(o.inode ?? 0)]
}

t.test('inet_diag_msg fields and byte orders', async (t) => {
  const r = decodeInet(bytes(inetMsg({ family: 2, state: 10, sport: 0x1388, dport: 0x0102, src: [10, 0, 0, 1], dst: [10, 0, 0, 2], ifindex: 7, cookie: [0x22, 0x1], inode: 99 })))
  t.match(r, { kind: 'inet', family: 2, state: 10, localPort: 5000, remotePort: 258, ifindex: 7, cookie: 0x1_0000_0022n, inode: 99, mark: 0, cgroupId: 0n })
  t.same([...r.localAddr], [10, 0, 0, 1])
  t.same([...r.remoteAddr], [10, 0, 0, 2])
  const v6 = decodeInet(bytes(inetMsg({ family: 10, src: [0xfe, 0x80, ...zeros(13), 1] })))
  t.equal(v6.localAddr.length, 16)
  t.equal(v6.localAddr[15], 1)
})

t.test('inet attributes', async (t) => {
  // INET_ULP_INFO_NAME "tls", INET_ULP_INFO_TLS { VERSION 1.3, CIPHER aes-gcm-256, RXCONF sw, ZC_RO_TX flag }.
  const ulp = [...nla(1, [0x74, 0x6c, 0x73, 0]), ...nla(2, [...nla(1, le16(0x0304)), ...nla(2, le16(52)), ...nla(4, le16(2)), ...nla(5, [])])]
  const r = decodeInet(bytes([
    ...inetMsg(),
    ...nla(15, le32(0x1234)), // MARK
    ...nla(21, [...le32(0x89abcdef), ...le32(0x1)]), // CGROUP_ID u64
    ...nla(14, []), // PAD: skipped
    ...nla(3, [...le32(1), ...le32(2), ...le32(3), ...le32(4)]), // VEGASINFO
    ...nla(9, [...le16(1), ...le16(2), ...le32(3), ...le32(4), ...le32(5)]), // DCTCPINFO
    ...nla(16, [...le32(0x10), ...le32(0x2), ...le32(30), ...le32(256), ...le32(512)]), // BBRINFO
    ...nla(4, [...Array.from('cubic', (c) => c.charCodeAt(0)), 0]), // CONG
    ...nla(7, [1, 2, 3, 4, 5, 6, 7, 8].flatMap(le32)), // SKMEMINFO, 8 entries (older kernel)
    ...nla(11, [1]), // SKV6ONLY
    ...nla(5, [0x10]), // TOS
    ...nla(6, [0x20]), // TCLASS
    ...nla(17, le32(0x100001)), // CLASS_ID
    ...nla(10, [255]), // PROTOCOL
    ...nla(22, le16(0x0052)), // SOCKOPT
    ...nla(18, [2, 32, ...le16(3), 127, 0, 0, 1, ...zeros(12), 0x61, 0x62, 0x63, ...zeros(77)]), // MD5SIG, one key
    ...nla(19, ulp), // ULP_INFO: name, TLS details
    ...nla(99, [7, 7]), // unknown
  ]))
  t.match(r, { mark: 0x1234, cgroupId: 0x1_89abcdefn, congestion: 'cubic', v6only: true, tos: 0x10, tclass: 0x20, classId: 0x100001, protocol: 255, sockopt: 0x52 })
  t.same(r.vegasInfo, { enabled: 1, rttcnt: 2, rtt: 3, minrtt: 4 })
  t.same(r.dctcpInfo, { enabled: 1, ceState: 2, alpha: 3, abEcn: 4, abTot: 5 })
  t.same(r.bbrInfo, { bw: 0x2_00000010n, minRtt: 30, pacingGain: 256, cwndGain: 512 })
  t.same(r.skMemInfo, { rmemAlloc: 1, rcvbuf: 2, wmemAlloc: 3, sndbuf: 4, fwdAlloc: 5, wmemQueued: 6, optmem: 7, backlog: 8 }, '8-entry SKMEMINFO has no drops')
  t.equal(r.md5sig?.length, 1)
  t.match(r.md5sig?.[0], { family: 2, prefixLen: 32, keyLen: 3 })
  t.same([...(r.md5sig?.[0]?.key ?? [])], [0x61, 0x62, 0x63], 'key cut to keylen')
  t.same([...(r.ulpInfo ?? [])], ulp, 'ULP_INFO kept as sent')
  t.same(r.ulp, { name: 'tls', tls: { version: 0x0304, cipher: 52, rxConf: 2, zcRoTx: true, rxNoPad: false } })
  t.same(r.unknown?.map((u) => [u.type, [...u.bytes]]), [[99, [7, 7]]], 'unknown attributes kept raw')
})

t.test('tcp_info of any length: only the fields present', async (t) => {
  const info = (len: number): InetRecord => decodeInet(bytes([...inetMsg(), ...nla(2, Array.from({ length: len }, (_, i) => (i === 6 ? 0x97 : i === 7 ? 0x05 : i === 8 ? 0x40 : 0)))]), 6)
  const old = info(104).tcpInfo!
  t.equal(old.rto, 0x40, 'tcpi_rto at 8')
  t.equal(old.sndWscale, 7, 'snd_wscale: low nibble of byte 6')
  t.equal(old.rcvWscale, 9, 'rcv_wscale: high nibble of byte 6')
  t.equal(old.deliveryRateAppLimited, true, 'byte 7 bit 0')
  t.equal(old.fastopenClientFail, 2, 'byte 7 bits 1-2')
  t.equal(old.totalRetrans, 0, 'last field of the 104-byte struct')
  t.equal(old.pacingRate, undefined, 'fields past the payload are absent')
  t.equal(info(120).tcpInfo?.maxPacingRate, 0n, '3.15-size struct has max_pacing_rate')
  t.equal(info(246).tcpInfo?.totalRtoRecoveries, 0, 'partial field at 244..248 is left out...')
  t.equal(info(246).tcpInfo?.totalRtoTime, undefined, '...when it does not fit')
  t.equal(Object.keys(info(400).tcpInfo!).length, Object.keys(info(280).tcpInfo!).length, 'a longer (newer) struct decodes the known fields')
  t.same(info(0).tcpInfo, {}, 'empty INFO')
  const mp = decodeInet(bytes([...inetMsg(), ...nla(2, [3, ...zeros(11), ...le32(0xabcd), ...zeros(80)])]), 262).mptcpInfo
  t.match(mp, { subflows: 3, token: 0xabcd, lastAckRecv: 0 }, 'MPTCP INFO is mptcp_info')
  t.notOk('pad6' in (mp ?? {}), 'padding is not a field')
  const udp = decodeInet(bytes([...inetMsg(), ...nla(2, [1, 2, 3, 4])]), 17)
  t.same(udp.unknown?.map((u) => u.type), [2], 'INFO of other protocols kept raw')
})

t.test('unix, packet, netlink attributes', async (t) => {
  const ux = decodeUnix(bytes([1, 2, 7, 0, ...le32(55), ...le32(1), ...le32(0), ...nla(0, [0, ...Array.from('x\0y', (c) => c.charCodeAt(0))]), ...nla(3, [...le32(8), ...le32(9)]), ...nla(2, le32(66)), ...nla(4, [...le32(1), ...le32(2)]), ...nla(1, [...le32(5), ...le32(0x0fe00000)])]))
  t.match(ux, { type: 2, state: 7, inode: 55, localPort: 55, remotePort: 66, peer: 66, localName: '@x@y', cookie: 1n, rqueue: 1, wqueue: 2, vfs: { ino: 5, dev: 0x0fe00000 } })
  t.same(ux.icons, [8, 9])
  t.equal(unixName(bytes([...Array.from('/tmp/s', (c) => c.charCodeAt(0)), 0])), '/tmp/s', 'path without its NUL')
  t.equal(unixName(bytes([0xe9])), '\u00e9', 'bytes map one to one')
  const pk = decodePacket(bytes([17, 3, ...le16(3), ...le32(77), ...zeros(8),
    ...nla(1, [...le32(1), ...le32(2), ...le16(1), ...le16(6), 1, 2, 3, 4, 5, 6, ...zeros(26)]),
    ...nla(2, [1, 2, 3, 4, 5, 6, 7].flatMap(le32)),
    ...nla(4, le32(0x30005)),
    ...nla(7, [...le16(0x28), 0, 0, ...le32(12), ...le16(6), 1, 2, ...le32(0xffff)])]))
  t.match(pk, { protocol: 3, inode: 77, fanout: 0x30005, rxRing: { blockSize: 1, features: 7 }, filter: [{ code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 6, jt: 1, jf: 2, k: 0xffff }] })
  t.same([...(pk.mclist?.[0]?.addr ?? [])], [1, 2, 3, 4, 5, 6], 'mclist address cut to alen')
  const nl = decodeNetlink(bytes([16, 3, 0, 7, ...le32(0xfffff001), ...le32(0), ...le32(0), ...le32(12), ...zeros(8), ...nla(1, [0x11, 0, 0, 0, 0, 0, 0, 0x80])]))
  t.match(nl, { portid: -4095, localPort: -4095, remotePort: -1, inode: 12 }, 'kernel-chosen port ids are negative')
  t.same(nl.groups, [1, 5, 64], 'GROUPS bitmap')
})

t.test('vsock and xdp (not built on this kernel)', async (t) => {
  t.match(decodeVsock(bytes([40, 1, 10, 3, ...le32(2), ...le32(1024), ...le32(3), ...le32(5000), ...le32(9), ...le32(1), ...le32(0)])),
    { kind: 'vsock', state: 10, shutdown: 3, localCid: 2, localPort: 1024, remoteCid: 3, remotePort: 5000, inode: 9, cookie: 1n })
  t.throws(() => decodeVsock(bytes(zeros(31))), DecodeError)
  t.match(decodeXdp(bytes([44, 3, 0, 0, ...le32(4), ...zeros(8), ...nla(1, [...le32(2), ...le32(5)]), ...nla(2, le32(1000)), ...nla(9, zeros(48))])),
    { kind: 'xdp', ifindex: 2, localPort: 5, uid: 1000, inode: 4 })
})

t.test('AttributeDecoder: sticky error, positions', async (t) => {
  const ad = new AttributeDecoder(bytes([...nla(1, [1, 2]), ...nla(2, le32(5))]), 100)
  t.ok(ad.next())
  t.equal(ad.u32(), 0, 'wrong size reads as 0')
  t.ok(ad.err() instanceof DecodeError)
  t.notOk(ad.next(), 'iteration stops after an error')
  t.throws(() => ad.finish(), { name: 'DecodeError', offset: 104, what: 'attribute 1 (u32)' }, 'offset counts from the message')
})

t.test('framing: errors with extended ack, DONE variants, DUMP_INTR, sequence', async (t) => {
  const req = [...le32(72), ...le16(20), ...le16(0x301), ...le32(123456), ...le32(0)]
  const tlvs = [...nla(1, [...Array.from('bad bytecode', (c) => c.charCodeAt(0)), 0]), ...nla(2, le32(76))]
  const capped = msg(2, 0x100 | 0x200, [...le32(-22 >>> 0), ...req, ...tlvs])
  const e = decodeError({ type: 2, flags: 0x300, seq: 123456, pid: 0, payload: bytes(capped.slice(16)), offset: 0 })
  t.match(e, { errno: 22, request: { len: 72, type: 20, flags: 0x301 }, extAck: { message: 'bad bytecode', offset: 76 } }, 'capped error with TLVs')
  const uncapped = msg(2, 0x200, [...le32(-1 >>> 0), ...req, ...zeros(56), ...tlvs])
  const r = new ReplyReader('inet', 6)
  t.throws(() => [...r.read(bytes(uncapped))], { name: 'NetlinkError', errnoName: 'EPERM', extAck: { message: 'bad bytecode', offset: 76 } }, 'uncapped: TLVs after the echoed request')
  t.match(String(new NetlinkError('dump', 1, { message: 'x' }).message), /EPERM.*: x/, 'message includes the ext-ack text')

  const ok = new ReplyReader('inet', 6)
  const recs = [...ok.read(bytes([...msg(20, 0x2 | 0x10, inetMsg({ sport: 1 })), ...msg(1, 0, []), ...msg(3, 0x2, [])]))]
  t.equal(recs.length, 1)
  t.ok(ok.interrupted, 'NLM_F_DUMP_INTR is reported')
  t.ok(ok.finished, 'a DONE without payload ends cleanly (old kernels)')
  t.throws(() => [...new ReplyReader('inet', 6).read(bytes(msg(20, 2, inetMsg(), 99)))], { name: 'DecodeError' }, 'a reply to another sequence number')
  t.throws(() => [...new ReplyReader('inet', 6).read(bytes([...msg(3, 2, le32(0)), ...msg(20, 2, inetMsg())]))], { name: 'DecodeError' }, 'a message after DONE')
  const ack = new ReplyReader('inet', 6)
  t.same([...ack.read(bytes([...msg(2, 0x100, [...le32(0), ...req]), ...msg(3, 2, le32(0))]))], [], 'an ACK is not an error')
  t.throws(() => [...new ReplyReader('inet', 6).read(bytes(msg(3, 2, [1, 2])))], { name: 'DecodeError' }, 'DONE with a 2-byte payload')
})

// Type-level contract: every record can be handed to the filter evaluator as is.
const asFilterSocket = (r: SocketRecord): FilterSocket => r
t.equal(asFilterSocket(decodeInet(bytes(inetMsg({ sport: 22 })))).localPort, 22, 'records are FilterSockets')
