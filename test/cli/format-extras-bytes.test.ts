// The Process column written in place from the reply (src/cli/format-extras-bytes.ts)
// is the text inetExtras makes of the decoded socket, through the same
// renderer, for arbitrary messages and options: tcp_info members at their
// edges (0, ~0, 2^53, the values ss leaves out), every attribute the extras
// read, malformed ones (both ways must then throw), MPTCP and ULP messages
// (left to the string way), long users lists (the token grows mid-row).
import t from 'tap'
import fc from 'fast-check'
import { InetMessageView } from '../../runtime/inet-view.js'
import { DecodeError } from '../../runtime/errors.js'
import { INET_DIAG, inet_diag_msg, tcp_bbr_info, tcp_dctcp_info, inet_diag_meminfo } from '../../uapi/inet-diag.js'
import { tcp_info } from '../../uapi/tcp-info.js'
import { Renderer, columnVisibility } from '../../src/cli/render.js'
import { InetRowWriter } from '../../src/cli/format-inet-bytes.js'
import { InetExtrasWriter } from '../../src/cli/format-extras-bytes.js'
import { inetExtras, type InetExtrasOptions, type SocketUser } from '../../src/cli/format-extras.js'
import { lazyProtocols, lazyServices } from '../../src/services.js'
import type { InetFormatOptions } from '../../src/cli/format-inet.js'

const O = inet_diag_msg.offsetOf
const U64_MAX = 0xffffffffffffffffn

/** u32 values at the edges the -i line cares about, and anything. */
const u32 = fc.oneof(
  fc.constant(0), fc.integer({ min: 1, max: 100 }),
  fc.constantFrom(3, 0xfffe, 0xffff, 3000000, 204000, 131071, 131072, 200000, 2 ** 31, 0xffffffff, 1024),
  fc.nat({ max: 0xffffffff }),
)
const u64 = fc.oneof(
  fc.constant(0n), fc.bigInt({ min: 1n, max: 1000n }),
  fc.constantFrom(2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, U64_MAX, U64_MAX - 1n, 116961147509n, 2n ** 32n),
  fc.bigInt({ min: 0n, max: U64_MAX }),
)

/** tcp_info from its fields (the uapi table's encoder, not the writer's offsets), cut to `len` bytes. */
const tcpInfo = fc.record({
  u8s: fc.array(fc.oneof(fc.constant(0), fc.nat(255)), { minLength: 8, maxLength: 8 }),
  u32s: fc.array(u32, { minLength: 64, maxLength: 64 }),
  u64s: fc.array(u64, { minLength: 16, maxLength: 16 }),
  len: fc.oneof(fc.constant(tcp_info.size), fc.constant(tcp_info.offsetOf.tcpi_snd_wnd + 4), fc.integer({ min: 0, max: tcp_info.size + 8 })),
}).map(({ u8s, u32s, u64s, len }) => {
  const value: Record<string, number | bigint> = {}
  let a = 0, b = 0, c = 0
  for (const f of tcp_info.fields) {
    if (f.kind === 'u8') value[f.name] = u8s[a++ % 8]!
    else if (f.kind === 'u64') value[f.name] = u64s[c++ % 16]!
    else if (f.kind === 'u16') value[f.name] = u32s[b++ % 64]! & 0xffff
    else value[f.name] = u32s[b++ % 64]!
  }
  const full = new Uint8Array(tcp_info.size + 8)
  full.set(tcp_info.bytes(value))
  return full.slice(0, len)
})

const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24]
const le64 = (n: bigint): number[] => [...le32(Number(n & 0xffffffffn)), ...le32(Number(n >> 32n))]

/** One attribute: a type and its payload, now and then of a length the decoder refuses. */
const attribute = fc.oneof(
  { weight: 6, arbitrary: tcpInfo.map((p) => [INET_DIAG.INET_DIAG_INFO, p] as const) },
  { weight: 4, arbitrary: fc.constantFrom('bbr', 'cubic', '', 'dctcp', 'reno\0junk', 'v\u00e9gas', 'a\u0101').map((s) => [INET_DIAG.INET_DIAG_CONG, Uint8Array.from(Buffer.from(s + '\0', 'utf8'))] as const) },
  { weight: 3, arbitrary: fc.tuple(u64, u32, u32, u32).map(([bw, mrtt, pg, cg]) => [INET_DIAG.INET_DIAG_BBRINFO, Uint8Array.from([...le64(bw), ...le32(mrtt), ...le32(pg), ...le32(cg)])] as const) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(1), fc.nat(0xffff), u32, u32, u32).map(([en, ce, al, e, tot]) => [INET_DIAG.INET_DIAG_DCTCPINFO, Uint8Array.from([en, 0, ce & 0xff, ce >> 8, ...le32(al), ...le32(e), ...le32(tot)])] as const) },
  { weight: 2, arbitrary: fc.array(u32, { minLength: 8, maxLength: 10 }).map((v) => [INET_DIAG.INET_DIAG_SKMEMINFO, Uint8Array.from(v.flatMap(le32))] as const) },
  { weight: 1, arbitrary: fc.array(u32, { minLength: 4, maxLength: 4 }).map((v) => [INET_DIAG.INET_DIAG_MEMINFO, Uint8Array.from(v.flatMap(le32))] as const) },
  { weight: 2, arbitrary: fc.nat(3).map((m) => [INET_DIAG.INET_DIAG_SHUTDOWN, Uint8Array.of(m)] as const) },
  { weight: 2, arbitrary: u64.map((id) => [INET_DIAG.INET_DIAG_CGROUP_ID, Uint8Array.from(le64(id))] as const) },
  { weight: 1, arbitrary: u32.map((m) => [INET_DIAG.INET_DIAG_MARK, Uint8Array.from(le32(m))] as const) },
  { weight: 1, arbitrary: fc.nat(2).map((b) => [INET_DIAG.INET_DIAG_SKV6ONLY, Uint8Array.of(b)] as const) },
  { weight: 1, arbitrary: fc.nat(255).map((b) => [INET_DIAG.INET_DIAG_TOS, Uint8Array.of(b)] as const) },
  { weight: 1, arbitrary: fc.nat(255).map((b) => [INET_DIAG.INET_DIAG_TCLASS, Uint8Array.of(b)] as const) },
  { weight: 1, arbitrary: u32.map((b) => [INET_DIAG.INET_DIAG_CLASS_ID, Uint8Array.from(le32(b))] as const) },
  { weight: 1, arbitrary: fc.nat(0xffff).map((b) => [INET_DIAG.INET_DIAG_SOCKOPT, Uint8Array.of(b & 0xff, b >> 8)] as const) },
  // A ULP name only (the string way decodes it), an attribute nobody reads, one of a refused length.
  { weight: 1, arbitrary: fc.constant([INET_DIAG.INET_DIAG_ULP_INFO, Uint8Array.from([8, 0, 1, 0, 116, 108, 115, 0])] as const) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 12 }).map((p) => [27, p] as const) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom(INET_DIAG.INET_DIAG_SHUTDOWN, INET_DIAG.INET_DIAG_MARK, INET_DIAG.INET_DIAG_BBRINFO, INET_DIAG.INET_DIAG_SKMEMINFO, INET_DIAG.INET_DIAG_CGROUP_ID), fc.uint8Array({ maxLength: 30 }))
      .map(([type, p]) => [type, p] as const),
  },
)

const message = fc.record({
  head: fc.uint8Array({ minLength: inet_diag_msg.size, maxLength: inet_diag_msg.size }),
  family: fc.constantFrom(2, 2, 10),
  state: fc.constantFrom(1, 1, 6, 10, 10, 8),
  timer: fc.constantFrom(0, 0, 1, 2, 3, 4, 7),
  uid: fc.oneof(fc.constant(0), u32),
  attrs: fc.array(attribute, { maxLength: 8 }),
  broken: fc.oneof({ weight: 30, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
}).map(({ head, family, state, timer, uid, attrs, broken }) => {
  const parts: number[] = [...head]
  parts[O.idiag_family] = family
  parts[O.idiag_state] = state
  parts[O.idiag_timer] = timer
  parts.splice(O.idiag_uid, 4, ...le32(uid))
  parts.splice(O.idiag_if, 4, 0, 0, 0, 0)
  for (const [type, p] of attrs) {
    const len = 4 + p.length
    parts.push(len & 0xff, len >> 8, type & 0xff, type >> 8, ...p)
    while (parts.length % 4) parts.push(0)
  }
  // Broken framing: a header cut short.
  for (let k = 0; k < broken; k++) parts.push(9)
  return Uint8Array.from(parts)
})

const user = fc.record({ comm: fc.string({ maxLength: 12 }), pid: fc.nat(), fd: fc.nat(), tid: fc.option(fc.nat(), { nil: undefined }) })
  .map((u): SocketUser => (u.tid === undefined ? { comm: u.comm, pid: u.pid, fd: u.fd } : u))
const users = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.array(user, { maxLength: 3 }) },
  // Long enough to make the token buffer grow in the middle of a row.
  { weight: 1, arbitrary: fc.array(user, { minLength: 300, maxLength: 1500 }) },
)

const options = fc.record({
  showTcpInfo: fc.boolean(), showDetails: fc.boolean(), showMem: fc.boolean(), showOptions: fc.boolean(),
  showTos: fc.boolean(), showCgroup: fc.boolean(), showInetSockopt: fc.boolean(), oneline: fc.boolean(), numeric: fc.boolean(),
  timerStyle: fc.constantFrom('6.1' as const, 'upstream' as const),
})

const rowOptions: InetFormatOptions = { numeric: true, localPortRange: [32768, 60999], services: lazyServices(), protocols: lazyProtocols(), ifname: () => undefined }

/** What list.ts does with the messages, the Process column one way or the other; the text, or the error. */
function listing(msgs: readonly { bytes: Uint8Array, users: readonly SocketUser[] | undefined }[], x: InetExtrasOptions, proto: number, viewProto: number, bytes: boolean): string {
  let out = ''
  const r = new Renderer({ enabled: columnVisibility({ tables: 1, states: 0xfff }), header: true, write: (s) => { out += s } })
  const rows = new InetRowWriter(r, rowOptions)
  const xw = new InetExtrasWriter(r, x)
  const v = new InetMessageView(viewProto)
  try {
    for (const m of msgs) {
      v.bind(m.bytes, 0, m.bytes.length)
      if (bytes && xw.accepts(v, proto)) {
        rows.cells(v, proto)
        xw.write(v, proto, m.users)
      } else rows.write(v, proto, inetExtras(v.record(), proto, m.users ? { ...x, users: m.users } : x))
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e
    return `${out}\nDecodeError ${e.message}`
  }
  r.end()
  return out
}

t.test('InetExtrasWriter = inetExtras, rendered', async (t) => {
  let taken = 0
  fc.assert(fc.property(
    fc.array(fc.record({ bytes: message, users }), { minLength: 1, maxLength: 6 }), options, fc.constantFrom(6, 6, 6, 17, 262), fc.boolean(),
    (msgs, o, proto, sameProto) => {
      const x: InetExtrasOptions = { ...o, cgroupPath: (id) => (id === 1n ? '/' : `unreachable:${id.toString(16)}`) }
      const viewProto = sameProto ? proto : 6
      const byStrings = listing(msgs, x, proto, viewProto, false)
      const byBytes = listing(msgs, x, proto, viewProto, true)
      const xw = new InetExtrasWriter(new Renderer({ enabled: columnVisibility({ tables: 1, states: 2 }), header: false, write: () => undefined }), x)
      for (const m of msgs) if (xw.accepts(new InetMessageView(viewProto).bind(m.bytes, 0, m.bytes.length), proto)) taken++
      if (byStrings !== byBytes) t.equal(byBytes, byStrings)
      return byStrings === byBytes
    },
  ), { numRuns: 1500 })
  t.ok(taken > 1500, `${taken} messages went the byte way`)
})

t.test('the -i line of a loopback connection, byte for byte', async (t) => {
  // ss-behavior §8.5's established socket (bbr, idle after its handshake).
  const info = new Uint8Array(tcp_info.size)
  info.set(tcp_info.bytes({
    tcpi_state: 1, tcpi_options: 7, tcpi_wscale: 0xaa, tcpi_flags7: 1, tcpi_rto: 204000, tcpi_rtt: 8, tcpi_rttvar: 4, tcpi_snd_mss: 32741,
    tcpi_pmtu: 65535, tcpi_rcv_mss: 536, tcpi_advmss: 65483, tcpi_snd_cwnd: 10, tcpi_snd_ssthresh: 0x7fffffff, tcpi_bytes_acked: 1n,
    tcpi_segs_out: 2, tcpi_segs_in: 1, tcpi_last_data_sent: 5428, tcpi_last_data_recv: 5428, tcpi_last_ack_recv: 5428,
    tcpi_pacing_rate: 116961147509n, tcpi_max_pacing_rate: U64_MAX, tcpi_delivered: 1, tcpi_rcv_space: 65495, tcpi_rcv_ssthresh: 65495,
    tcpi_min_rtt: 8, tcpi_snd_wnd: 65483, tcpi_reordering: 3,
  }))
  const bbr = tcp_bbr_info.bytes({ bbr_bw_lo: 0, bbr_bw_hi: 0, bbr_min_rtt: 8, bbr_pacing_gain: 256, bbr_cwnd_gain: 256 })
  const attrs = [[INET_DIAG.INET_DIAG_INFO, info], [INET_DIAG.INET_DIAG_CONG, Uint8Array.from([98, 98, 114, 0])], [INET_DIAG.INET_DIAG_BBRINFO, bbr]] as const
  const parts: number[] = new Array(inet_diag_msg.size).fill(0)
  parts[O.idiag_family] = 2
  parts[O.idiag_state] = 1
  for (const [type, p] of attrs) {
    parts.push((4 + p.length) & 0xff, (4 + p.length) >> 8, type, 0, ...p)
    while (parts.length % 4) parts.push(0)
  }
  const msg = Uint8Array.from(parts)
  const x: InetExtrasOptions = { showTcpInfo: true, showDetails: false, showMem: false, showOptions: false, oneline: true, numeric: true, cgroupPath: () => '/' }
  let out = ''
  const r = new Renderer({ enabled: columnVisibility({ tables: 1, states: 2 }), header: false, write: (s) => { out += s } })
  const v = new InetMessageView().bind(msg, 0, msg.length)
  const xw = new InetExtrasWriter(r, x)
  t.ok(xw.accepts(v, 6))
  new InetRowWriter(r, rowOptions).cells(v, 6)
  xw.write(v, 6)
  r.end()
  t.equal(out.slice(out.indexOf(' bbr')),
    ' bbr wscale:10,10 rto:204 rtt:0.008/0.004 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1' +
    ' bbr:(bw:0bps,mrtt:0.008,pacing_gain:1,cwnd_gain:1) send 327410000000bps lastsnd:5428 lastrcv:5428 lastack:5428' +
    ' pacing_rate 935689180072bps delivered:1 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.008 snd_wnd:65483\n')
})

t.test('what the writer leaves to the string way', async (t) => {
  const x: InetExtrasOptions = { showTcpInfo: true, showDetails: false, showMem: false, showOptions: false, oneline: false, numeric: true, cgroupPath: () => '/' }
  const xw = new InetExtrasWriter(new Renderer({ enabled: columnVisibility({ tables: 1, states: 2 }), header: false, write: () => undefined }), x)
  const msg = (type: number, p: Uint8Array): Uint8Array => {
    const m = new Uint8Array(inet_diag_msg.size + ((4 + p.length + 3) & ~3))
    m[0] = 2
    m.set([(4 + p.length) & 0xff, (4 + p.length) >> 8, type, 0], inet_diag_msg.size)
    m.set(p, inet_diag_msg.size + 4)
    return m
  }
  const view = (m: Uint8Array, proto = 6): InetMessageView => new InetMessageView(proto).bind(m, 0, m.length)
  t.ok(xw.accepts(view(msg(INET_DIAG.INET_DIAG_INFO, new Uint8Array(tcp_info.size))), 6), 'a whole tcp_info')
  t.notOk(xw.accepts(view(msg(INET_DIAG.INET_DIAG_INFO, new Uint8Array(tcp_info.offsetOf.tcpi_snd_wnd))), 6), 'a tcp_info older than tcpi_snd_wnd')
  t.notOk(xw.accepts(view(msg(INET_DIAG.INET_DIAG_INFO, new Uint8Array(tcp_info.size)), 262), 262), 'MPTCP')
  t.notOk(xw.accepts(view(msg(INET_DIAG.INET_DIAG_ULP_INFO, new Uint8Array(0))), 6), 'an upper-layer protocol')
  t.notOk(xw.accepts(view(msg(INET_DIAG.INET_DIAG_CONG, Uint8Array.from([0xc3, 0xa9, 0]))), 6), 'a congestion name that is not ASCII')
  t.notOk(xw.accepts(view(msg(INET_DIAG.INET_DIAG_BBRINFO, new Uint8Array(tcp_dctcp_info.size))), 6), 'a tcp_bbr_info too short for the decoder')
  t.notOk(xw.accepts(view(msg(INET_DIAG.INET_DIAG_MEMINFO, new Uint8Array(inet_diag_meminfo.size - 1))), 6), 'an inet_diag_meminfo too short')
  t.ok(xw.accepts(view(msg(INET_DIAG.INET_DIAG_INFO, new Uint8Array(8)), 17), 17), 'UDP: INFO is not read')
})
