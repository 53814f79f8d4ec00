/**
 * The JSON form of socket records (src/socket-json.ts) on handmade records,
 * the streaming sink (src/cli/json.ts), and the published schema: every
 * object built here must validate against
 * docs/schema/ssx-socket.v1.schema.json, whose objects are closed, so a
 * field the code emits and the schema does not document fails.
 */
import t from 'tap'
import type { Test } from 'tap'
import fc from 'fast-check'
import { readFileSync } from 'node:fs'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { socketToJson, bytesTextToUnicode, SOCKET_JSON_SCHEMA, SOCKET_JSON_SCHEMA_ID, TCP_INFO_JSON_NAMES, type SocketJson, type TcpInfoJson } from '../../src/socket-json.js'
import { JsonSink, JSON_CHUNK, createJsonListing, jsonMode, jsonOptionError } from '../../src/cli/json.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import type { UnixRecord } from '../../runtime/decode-unix.js'
import type { PacketRecord } from '../../runtime/decode-packet.js'
import type { NetlinkRecord } from '../../runtime/decode-netlink.js'
import type { SocketRecord } from '../../runtime/record.js'
import { tcp_info } from '../../uapi/tcp-info.js'
import { camel } from '../../runtime/decode-common.js'

const schema = JSON.parse(readFileSync(new URL('../../docs/schema/ssx-socket.v1.schema.json', import.meta.url), 'utf8')) as { $id: string }
const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true, strict: true })
const validate = ajv.compile(schema)

/** Validate and also check that the object is plain JSON data (no bigint, no typed array, round-trips). */
function check(t: Test, o: SocketJson, what: string): void {
  const ok = validate(o)
  t.ok(ok, `${what} validates`, ok ? {} : { errors: validate.errors })
  t.same(JSON.parse(JSON.stringify(o)), o, `${what} is plain JSON`)
}

const v4 = (a: number, b: number, c: number, d: number): Uint8Array => Uint8Array.of(a, b, c, d)
const v6 = (...words: number[]): Uint8Array => {
  const b = new Uint8Array(16)
  words.forEach((w, i) => { b[i * 2] = w >> 8; b[i * 2 + 1] = w & 0xff })
  return b
}

const inet = (over: Partial<InetRecord> = {}): InetRecord => ({
  kind: 'inet', family: 2, state: 1, timer: 0, retrans: 0,
  localAddr: v4(127, 0, 0, 1), remoteAddr: v4(127, 0, 0, 2), localPort: 22, remotePort: 40000,
  ifindex: 0, cookie: 0x1234_5678_9abc_def0n, expires: 0, rqueue: 3, wqueue: 4, uid: 1000, inode: 4242,
  mark: 0, cgroupId: 0n, ...over,
})

t.test('schema names its version like the objects', async (t) => {
  t.equal(schema.$id, SOCKET_JSON_SCHEMA_ID)
  t.equal(socketToJson(inet()).schema, SOCKET_JSON_SCHEMA)
  t.equal(SOCKET_JSON_SCHEMA, 'ssx-socket/1')
})

t.test('inet: addresses, ports, queues, 64-bit values as decimal strings', async (t) => {
  const o = socketToJson(inet({ cgroupId: 2n ** 63n + 5n }))
  t.match(o, {
    netid: 'tcp', family: 'inet', state: 'ESTAB', recvQ: 3, sendQ: 4, inode: 4242, uid: 1000, mark: 0,
    local: { address: '127.0.0.1', port: 22 }, peer: { address: '127.0.0.2', port: 40000 },
    cookie: String(0x1234_5678_9abc_def0n), cgroupId: '9223372036854775813',
  })
  // Absent in the record → absent in JSON (no -i, -m, --tos, -p; no timer pending).
  for (const k of ['tcpInfo', 'skmem', 'tos', 'users', 'timer', 'shutdown', 'v6only', 'congestion', 'cgroup', 'service']) t.notOk(k in o || k in (o.local as object), `${k} absent`)
  check(t, o, 'established v4')
  // No cgroup id (TIME-WAIT) → no field, not "0".
  t.notOk('cgroupId' in socketToJson(inet({ state: 6 })))
})

t.test('inet: ss `*` is null; v6only decides the IPv6 any-address', async (t) => {
  const listen = { state: 10, family: 10, localAddr: v6(), remoteAddr: v6(), localPort: 8080, remotePort: 0, rqueue: 0, wqueue: 128 }
  const dual = socketToJson(inet({ ...listen, v6only: false }))
  t.match(dual, { family: 'inet6', state: 'LISTEN', local: { address: null, port: 8080 }, peer: { address: null, port: null }, v6only: false })
  check(t, dual, 'dual-stack listener')
  const only = socketToJson(inet({ ...listen, v6only: true }))
  t.match(only, { local: { address: '::', port: 8080 }, peer: { address: '::', port: null } })
  // No attribute: like ss, not v6only.
  t.equal((socketToJson(inet(listen)).local as { address: unknown }).address, null)
  t.equal((socketToJson(inet({ family: 2, localAddr: v4(0, 0, 0, 0), state: 10 })).local as { address: unknown }).address, '0.0.0.0')
  const mapped = socketToJson(inet({ family: 10, localAddr: v6(0, 0, 0, 0, 0, 0xffff, 0x7f00, 1), remoteAddr: v6(0xfe80, 0, 0, 0, 0, 0, 0, 1) }))
  t.match(mapped, { local: { address: '::ffff:127.0.0.1' }, peer: { address: 'fe80::1' } })
})

t.test('inet: device, services, cgroup path, table netid from the context', async (t) => {
  const o = socketToJson(inet({ ifindex: 1, localPort: 22, remotePort: 5353, cgroupId: 77n, family: 2, state: 7 }), {
    ipproto: 17,
    ifname: (i) => (i === 1 ? 'lo' : undefined),
    service: (p, proto) => (p === 22 && proto === 17 ? 'ssh' : undefined),
    cgroupPath: (id) => `/sys.slice/${id}`,
  })
  t.match(o, { netid: 'udp', state: 'UNCONN', local: { ifindex: 1, ifname: 'lo', service: 'ssh', port: 22 }, cgroup: '/sys.slice/77', cgroupId: '77' })
  t.notOk('service' in (o.peer as object), 'no name: the number only')
  t.match(socketToJson(inet({ ifindex: 9 })).local, { ifindex: 9, ifname: 'if9' })
  t.equal(socketToJson(inet(), { ipproto: 255 }).netid, 'raw')
  t.equal(socketToJson(inet(), { ipproto: 262 }).netid, 'mptcp')
  check(t, o, 'udp with device')
})

t.test('inet: timer, shutdown, tos, sockopt, memory', async (t) => {
  const names = [[1, 'on'], [2, 'keepalive'], [3, 'timewait'], [4, 'persist'], [5, 'unknown'], [9, 'unknown']] as const
  for (const [timer, name] of names) t.same((socketToJson(inet({ timer, expires: 1432, retrans: 2 })) as { timer?: unknown }).timer, { name, expiresMs: 1432, retrans: 2 })
  const o = socketToJson(inet({
    shutdown: 2, tos: 0x10, tclass: 0, classId: 7, sockopt: 0x4 | 0x100, protocol: 6,
    skMemInfo: { rmemAlloc: 0, rcvbuf: 131072, wmemAlloc: 0, sndbuf: 16384, fwdAlloc: 0, wmemQueued: 0, optmem: 0, backlog: 0, drops: 3 },
    memInfo: { rmem: 1, wmem: 2, fmem: 3, tmem: 4 },
  }))
  t.match(o, {
    shutdown: { receive: false, send: true }, tos: 16, tclass: 0, classId: 7, protocol: 6,
    sockopt: ['freebind', 'bind_address_no_port'],
    skmem: { rcvbuf: 131072, sndbuf: 16384, drops: 3 }, mem: { rmem: 1, tmem: 4 },
  })
  check(t, o, 'extras')
  // Kernels that send 8 SK_MEMINFO entries: no drops.
  const old = socketToJson(inet({ skMemInfo: { rmemAlloc: 0, rcvbuf: 1, wmemAlloc: 0, sndbuf: 1, fwdAlloc: 0, wmemQueued: 0, optmem: 0, backlog: 0 } }))
  t.notOk('drops' in (old as { skmem: object }).skmem)
  check(t, old, '8 skmem entries')
})

t.test('tcp_info: units in the names, u64 as strings, bitfields unpacked', async (t) => {
  const o = socketToJson(inet({
    congestion: 'cubic',
    tcpInfo: {
      state: 1, caState: 0, options: 1 | 2 | 4, wscale: 0x77, sndWscale: 7, rcvWscale: 7, flags7: 1, deliveryRateAppLimited: true, fastopenClientFail: 0,
      rto: 204000, ato: 40000, rtt: 25, rttvar: 12, minRtt: 10, lastDataSent: 5, busyTime: 1000n,
      bytesAcked: 2n ** 60n, bytesReceived: 0n, pacingRate: 0xffff_ffff_ffff_ffffn, deliveryRate: 123n, sndCwnd: 10,
    },
    bbrInfo: { bw: 2n ** 55n, minRtt: 30, pacingGain: 739, cwndGain: 512 },
    dctcpInfo: { enabled: 0, ceState: 0, alpha: 0, abEcn: 0, abTot: 0 },
    vegasInfo: { enabled: 1, rttcnt: 2, rtt: 3, minrtt: 4 },
  }))
  t.match(o, {
    congestion: 'cubic',
    tcpInfo: {
      rtoUs: 204000, atoUs: 40000, rttUs: 25, rttvarUs: 12, minRttUs: 10, lastDataSentMs: 5, busyTimeUs: '1000',
      bytesAcked: '1152921504606846976', bytesReceived: '0', pacingRateBytesPerSec: '18446744073709551615', deliveryRateBytesPerSec: '123',
      options: ['timestamps', 'sack', 'wscale'], sndWscale: 7, rcvWscale: 7, deliveryRateAppLimited: true, sndCwnd: 10,
    },
    bbr: { bwBytesPerSec: '36028797018963968', minRttUs: 30, pacingGain: 739 / 256, cwndGain: 2 },
    dctcp: { enabled: false }, vegas: { enabled: true, rttUs: 3, minRttUs: 4 },
  })
  const info = (o as { tcpInfo: Record<string, unknown> }).tcpInfo
  for (const raw of ['wscale', 'flags7', 'rto', 'rtt']) t.notOk(raw in info, `${raw} not under its kernel name`)
  check(t, o, 'tcp_info')
})

t.test('tcp_info: every field of the uapi table has a JSON name', async (t) => {
  // The type follows the table: units in the names, u64 as strings.
  const typed: TcpInfoJson = { rttUs: 1, bytesAcked: '1', deliveryRateAppLimited: true, options: ['sack'] }
  // @ts-expect-error a u64 is a string
  const wrongU64: TcpInfoJson = { bytesAcked: 1 }
  // @ts-expect-error kernel names are not JSON names
  const wrongName: TcpInfoJson = { rtt: 1 }
  t.ok(typed && wrongU64 && wrongName)
  for (const f of tcp_info.fields) {
    if (!f.name.startsWith('tcpi_')) continue
    t.ok(Object.hasOwn(TCP_INFO_JSON_NAMES, camel(f.name.slice(5))), f.name)
  }
  // All of them at once (a kernel sending the whole struct) validate: the schema lists every name.
  const all: Record<string, number | bigint> = {}
  for (const f of tcp_info.fields) if (f.name.startsWith('tcpi_')) all[camel(f.name.slice(5))] = f.kind === 'u64' ? 1n : 1
  check(t, socketToJson(inet({ tcpInfo: all })), 'full tcp_info')
})

t.test('mptcp_info and md5 keys', async (t) => {
  const o = socketToJson(inet({
    mptcpInfo: { subflows: 2, token: 9, writeSeq: 2n ** 62n, lastDataSent: 4 },
    md5sig: [{ family: 2, prefixLen: 32, keyLen: 6, addr: Uint8Array.of(10, 0, 0, 1, ...new Array<number>(12).fill(0)), key: Uint8Array.of(1, 2, 3, 4, 5, 6) }],
    ulpInfo: Uint8Array.of(0xab, 0x01),
  }), { ipproto: 262 })
  t.match(o, { netid: 'mptcp', mptcpInfo: { subflows: 2, token: 9, writeSeq: '4611686018427387904', lastDataSentMs: 4 }, md5keys: [{ family: 2, address: '10.0.0.1', prefixLen: 32 }], ulpInfoHex: 'ab01' })
  t.notOk(JSON.stringify(o).includes('"key'), 'md5 key bytes are never shown')
  check(t, o, 'mptcp')
})

const unix = (over: Partial<UnixRecord> = {}): UnixRecord => ({
  kind: 'unix', family: 1, type: 1, state: 10, inode: 100, cookie: 5n, localPort: 100, remotePort: 0, ...over,
})

t.test('unix: names, peers, vfs, pending peers', async (t) => {
  const path = socketToJson(unix({ nameBytes: new TextEncoder().encode('/run/x.sock\0'), rqueue: 0, wqueue: 128, vfs: { ino: 55, dev: 0x0fe00000 }, icons: [7, 8], uid: 0, shutdown: 0 }))
  t.match(path, { netid: 'u_str', state: 'LISTEN', recvQ: 0, sendQ: 128, local: { name: '/run/x.sock', abstract: false, inode: 100 }, peer: { inode: null }, vfs: { inode: 55, dev: 0x0fe00000, major: 254, minor: 0 }, pendingPeers: [7, 8], uid: 0, shutdown: { receive: false, send: false } })
  check(t, path, 'path listener')
  const abs = socketToJson(unix({ type: 2, state: 1, nameBytes: Uint8Array.of(0, 0x69, 0, 0x6e), remotePort: 101, peer: 101 }))
  t.match(abs, { netid: 'u_dgr', state: 'ESTAB', local: { name: '@i@n', abstract: true }, peer: { inode: 101 } })
  check(t, abs, 'abstract')
  const unbound = socketToJson(unix({ type: 5, state: 7 }))
  t.match(unbound, { netid: 'u_seq', local: { name: null, abstract: false }, recvQ: 0, sendQ: 0 })
  check(t, unbound, 'unbound')
  // A UTF-8 path is text; invalid bytes become U+FFFD rather than mojibake.
  t.equal((socketToJson(unix({ nameBytes: Uint8Array.of(0x2f, 0xc3, 0xa9, 0xff, 0) })).local as { name: string }).name, '/é\ufffd')
})

t.test('packet and netlink', async (t) => {
  const pkt: PacketRecord = {
    kind: 'packet', family: 17, type: 3, state: 7, protocol: 3, inode: 9, cookie: 10n, localPort: 0, remotePort: 0, ifindex: 0,
    info: { index: 0, version: 2, reserve: 0, copyThresh: 0, tstamp: 0, flags: 0x1 | 0x10 },
    filter: [{ code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 6, jt: 0, jf: 0, k: 65535 }],
    memInfo: { rmemAlloc: 5, rcvbuf: 1, wmemAlloc: 0, sndbuf: 1, fwdAlloc: 0, wmemQueued: 0, optmem: 0, backlog: 0, drops: 0 },
    fanout: 7 | (2 << 16), mclist: [{ index: 1, count: 1, type: 0, addr: Uint8Array.of(1, 0, 0x5e) }],
    rxRing: { blockSize: 4096, blockNr: 1, frameSize: 2048, frameNr: 2, retireTmo: 0, sizeofPriv: 0, features: 0 },
  }
  const p = socketToJson(pkt)
  t.match(p, { netid: 'p_raw', state: 'UNCONN', recvQ: 5, sendQ: 0, local: { protocol: 3, protocolName: 'all', ifindex: 0, ifname: null }, peer: null, info: { version: 2, flags: ['running', 'loss'] }, bpf: [{ code: 0x28, k: 12 }, { code: 6 }], fanout: { id: 7, type: 2 }, mclist: [{ addressHex: '01005e' }] })
  check(t, p, 'packet')
  const ip = socketToJson({ ...pkt, type: 2, protocol: 0x0800, ifindex: 1, info: undefined, filter: undefined, memInfo: undefined, fanout: undefined, mclist: undefined, rxRing: undefined } as PacketRecord, { ifname: () => 'lo' })
  t.match(ip, { netid: 'p_dgr', recvQ: 0, local: { protocolName: 'ip', ifindex: 1, ifname: 'lo' } })
  t.equal((socketToJson({ ...pkt, protocol: 0x1234 }).local as { protocolName: unknown }).protocolName, null)

  const nl: NetlinkRecord = { kind: 'netlink', family: 16, type: 3, protocol: 0, state: 7, portid: -4242, localPort: -4242, remotePort: -1, dstPortid: 0, dstGroup: 0, inode: 11, cookie: 12n, groups: [1, 33], flags: 0x2 | 0x20 }
  const n = socketToJson(nl, { netlinkProtoName: (p) => (p === 0 ? 'rtnl' : undefined), processName: () => 'never' })
  t.match(n, { netid: 'nl', state: 'UNCONN', local: { protocol: 0, protocolName: 'rtnl', portid: -4242 }, peer: null, groups: [1, 33], flags: ['pktinfo', 'cap_ack'] })
  t.notOk('comm' in (n.local as object), 'negative port ids have no process')
  check(t, n, 'netlink')
  const conn = socketToJson({ ...nl, state: 1, portid: 300, dstPortid: 0, dstGroup: 0, memInfo: { rmemAlloc: 1, rcvbuf: 2, wmemAlloc: 3, sndbuf: 4, fwdAlloc: 0, wmemQueued: 0, optmem: 0, backlog: 0 } }, { processName: (pid) => (pid === 300 ? 'caf\xc3\xa9' : undefined) })
  t.match(conn, { state: 'UNCONN', recvQ: 1, sendQ: 3, local: { portid: 300, comm: 'café' }, peer: { group: 0, portid: 0 } })
  check(t, conn, 'connected netlink')
})

t.test('vsock, xdp, tipc', async (t) => {
  check(t, socketToJson({ kind: 'vsock', family: 40, type: 1, state: 10, shutdown: 3, localCid: 0xffffffff, localPort: 1024, remoteCid: 2, remotePort: 5, inode: 1, cookie: 2n }), 'vsock')
  check(t, socketToJson({ kind: 'xdp', family: 44, type: 3, state: 7, inode: 1, cookie: 2n, localPort: 3, remotePort: 0, ifindex: 2, uid: 0 }, { ifname: () => 'eth0' }), 'xdp')
  check(t, socketToJson({ kind: 'tipc', family: 30, state: 0, localPort: 0, remotePort: 0, bytes: Uint8Array.of(1, 2) }), 'tipc')
})

t.test('users: comm bytes decoded as UTF-8, tid only with -T', async (t) => {
  const o = socketToJson(inet(), { users: [{ comm: 'caf\xc3\xa9', pid: 2, fd: 3 }, { comm: 'x', pid: 4, fd: 5, tid: 6 }] })
  t.same(o.users, [{ comm: 'café', pid: 2, fd: 3 }, { comm: 'x', pid: 4, fd: 5, tid: 6 }])
  t.same(socketToJson(unix(), { users: [] }).users, [], '-p with no holder: an empty list')
  check(t, o, 'users')
  t.equal(bytesTextToUnicode('plain'), 'plain')
})

t.test('property: arbitrary records give schema-valid plain JSON', async (t) => {
  const u32 = fc.integer({ min: 0, max: 0xffffffff })
  const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })
  const bytes = (n: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: n, maxLength: n })
  const skmem = fc.record({ rmemAlloc: u32, rcvbuf: u32, wmemAlloc: u32, sndbuf: u32, fwdAlloc: u32, wmemQueued: u32, optmem: u32, backlog: u32, drops: u32 }, { requiredKeys: ['rmemAlloc', 'rcvbuf', 'wmemAlloc', 'sndbuf', 'fwdAlloc', 'wmemQueued', 'optmem'] })
  const inetArb = fc.boolean().chain((six) => fc.record({
    kind: fc.constant('inet' as const), family: fc.constant(six ? 10 : 2), state: fc.integer({ min: 0, max: 13 }),
    timer: fc.integer({ min: 0, max: 6 }), retrans: fc.integer({ min: 0, max: 255 }),
    localAddr: bytes(six ? 16 : 4), remoteAddr: bytes(six ? 16 : 4),
    localPort: fc.integer({ min: 0, max: 65535 }), remotePort: fc.integer({ min: 0, max: 65535 }),
    ifindex: u32, cookie: u64, expires: u32, rqueue: u32, wqueue: u32, uid: u32, inode: u32, mark: u32, cgroupId: u64,
    shutdown: fc.integer({ min: 0, max: 3 }), v6only: fc.boolean(), tos: fc.integer({ min: 0, max: 255 }),
    sockopt: fc.integer({ min: 0, max: 0xffff }), skMemInfo: skmem, congestion: fc.string(),
    tcpInfo: fc.record({ rtt: u32, bytesAcked: u64, options: fc.integer({ min: 0, max: 255 }), pacingRate: u64 }),
  }, { requiredKeys: ['kind', 'family', 'state', 'timer', 'retrans', 'localAddr', 'remoteAddr', 'localPort', 'remotePort', 'ifindex', 'cookie', 'expires', 'rqueue', 'wqueue', 'uid', 'inode', 'mark', 'cgroupId'] }))
  const unixArb = fc.record({
    kind: fc.constant('unix' as const), family: fc.constant(1), type: fc.constantFrom(1, 2, 5), state: fc.constantFrom(1, 7, 10),
    inode: u32, cookie: u64, localPort: u32, remotePort: u32, nameBytes: fc.uint8Array({ maxLength: 108 }),
    rqueue: u32, wqueue: u32, uid: u32, icons: fc.array(u32), vfs: fc.record({ ino: u32, dev: u32 }), memInfo: skmem,
  }, { requiredKeys: ['kind', 'family', 'type', 'state', 'inode', 'cookie', 'localPort', 'remotePort'] })
  const netlinkArb = fc.record({
    kind: fc.constant('netlink' as const), family: fc.constant(16), type: fc.constant(3), protocol: fc.integer({ min: 0, max: 31 }),
    state: fc.constantFrom(1, 7), portid: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), localPort: fc.constant(0), remotePort: fc.constant(-1),
    dstPortid: u32, dstGroup: u32, inode: u32, cookie: u64, groups: fc.array(fc.integer({ min: 1, max: 1024 })), flags: fc.integer({ min: 0, max: 63 }),
  }, { requiredKeys: ['kind', 'family', 'type', 'protocol', 'state', 'portid', 'localPort', 'remotePort', 'dstPortid', 'dstGroup', 'inode', 'cookie'] })
  const users = fc.option(fc.array(fc.record({ comm: fc.string({ maxLength: 15 }), pid: u32, fd: u32 })), { nil: undefined })
  fc.assert(fc.property(fc.oneof(inetArb, unixArb, netlinkArb), users, (rec, us) => {
    const o = socketToJson(rec as SocketRecord, us ? { users: us, ipproto: 6 } : { ipproto: 6 })
    if (!validate(o)) throw new Error(`invalid: ${JSON.stringify(validate.errors)}`)
    return JSON.stringify(JSON.parse(JSON.stringify(o))) === JSON.stringify(o)
  }), { numRuns: 1000 })
  t.pass('1000 records')
})

t.test('sink: --json array and --ndjson lines, streamed in chunks', async (t) => {
  const run = (mode: 'json' | 'ndjson', objs: object[]): string[] => {
    const out: string[] = []
    const s = new JsonSink({ mode, write: (x) => out.push(x) })
    for (const o of objs) s.object(o as never)
    s.end()
    s.end()
    return out
  }
  t.same(run('json', []), ['[]\n'])
  t.same(run('ndjson', []), [])
  t.same(run('json', [{ a: 1 }, { b: 2 }]).join(''), '[{"a":1},\n{"b":2}]\n')
  t.same(run('ndjson', [{ a: 1 }, { b: 2 }]).join(''), '{"a":1}\n{"b":2}\n')
  // Large output is written while it is produced, never held whole.
  const big = Array.from({ length: 3000 }, (_, i) => ({ i, pad: 'x'.repeat(100) }))
  const chunks = run('json', big)
  t.ok(chunks.length > 3, `${chunks.length} writes`)
  t.ok(chunks.every((c) => c.length <= JSON_CHUNK + 200), 'each at most one chunk plus one object')
  t.equal(JSON.parse(chunks.join('')).length, 3000)
  // flushEach: one write per object.
  const each: string[] = []
  const s = new JsonSink({ mode: 'ndjson', write: (x) => each.push(x), flushEach: true })
  s.object({ a: 1 })
  t.same(each, ['{"a":1}\n'])
  // Non-ASCII leaves as UTF-8 bytes spelled in latin1 (the listing writes latin1).
  const u = run('ndjson', [{ comm: 'café' }]).join('')
  t.equal(Buffer.from(u, 'latin1').toString('utf8'), '{"comm":"café"}\n')
})

t.test('modes and refused combinations', async (t) => {
  const f = { json: false, ndjson: false, summary: false, events: false }
  t.equal(jsonMode(f), null)
  t.equal(jsonMode({ ...f, json: true }), 'json')
  t.equal(jsonMode({ ...f, ndjson: true }), 'ndjson')
  t.equal(jsonOptionError(f), null)
  t.equal(jsonOptionError({ ...f, json: true }), null)
  t.equal(jsonOptionError({ ...f, summary: true }), null, '-s alone is text')
  t.match(jsonOptionError({ ...f, json: true, ndjson: true }), /exclude each other/)
  t.match(jsonOptionError({ ...f, json: true, summary: true }), /--json cannot show the -s summary/)
  t.match(jsonOptionError({ ...f, ndjson: true, summary: true }), /--ndjson cannot show the -s summary/)
  t.match(jsonOptionError({ ...f, json: true, events: true }), /use --ndjson/)
  t.equal(jsonOptionError({ ...f, ndjson: true, events: true }), null, '--ndjson -E belongs to the events command')
})

t.test('listing: objects leave while the dump is still running; names only without -n', async (t) => {
  const writes: string[] = []
  const inetOpts = {
    numeric: false, localPortRange: [32768, 60999] as const, ifname: () => undefined,
    services: { port: () => undefined, name: (p: number) => (p === 22 ? 'ssh' : undefined) },
    protocols: { name: () => undefined },
  }
  const listing = (numeric: boolean) => createJsonListing({
    mode: 'json', write: (x) => writes.push(x), numeric, inet: { ...inetOpts, numeric }, ifname: () => 'lo',
    netlinkProtoName: () => 'rtnl', procStat: (pid) => `${pid} (sshd) S 1`, users: () => [{ comm: 'sshd', pid: 7, fd: 3 }],
  })
  const owned: NetlinkRecord = { kind: 'netlink', family: 16, type: 3, protocol: 0, state: 7, portid: 99, localPort: 99, remotePort: -1, dstPortid: 0, dstGroup: 0, inode: 5, cookie: 6n }
  const l = listing(false)
  let before = -1
  function* dump(): Generator<SocketRecord> {
    for (let i = 0; i < 2000; i++) yield inet({ inode: i + 1 })
    // The generator is the dump: what was written before it ends was streamed.
    before = writes.length
    yield owned
  }
  for (const rec of dump()) l.record(rec, 6)
  l.end()
  t.ok(before > 1, `${before} writes before the dump ended`)
  const objs = JSON.parse(writes.join('')) as SocketJson[]
  t.equal(objs.length, 2001)
  t.match(objs[0], { local: { port: 22, service: 'ssh' }, users: [{ comm: 'sshd', pid: 7, fd: 3 }] })
  t.match(objs[2000], { local: { protocolName: 'rtnl', comm: 'sshd' } })
  for (const o of [objs[0]!, objs[2000]!]) check(t, o, o.family)
  writes.length = 0
  const n = listing(true)
  n.record(inet(), 6)
  n.record(owned, 6)
  n.end()
  const [a, b] = JSON.parse(writes.join('')) as [SocketJson, SocketJson]
  t.notOk('service' in (a.local as object), '-n: no service name')
  t.notOk('comm' in (b.local as object), '-n: no netlink owner command')
})
