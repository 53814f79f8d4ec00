/**
 * Shared test data for the classic BPF target (no tests of its own):
 * synthetic destroy messages built with the uapi struct tables (an
 * independent builder: the lowering under test only knows offsets), the
 * socket each message stands for as the runtime decodes it, filters from
 * text through the real parser and resolver, and fast-check arbitraries of
 * resolved filters and of sockets near a filter's own constants.
 */
import fc from 'fast-check'
import { AF, INET_DIAG, IPPROTO, SOCK_DIAG, inet_diag_msg } from '../../uapi/inet-diag.js'
import { nlattr, nlmsghdr } from '../../uapi/netlink.js'
import { tcp_info } from '../../uapi/tcp-info.js'
import { METRICS } from '../../compiler/metrics.js'
import { METRIC_NAMES, type MetricName } from '../../grammar/metrics.js'
import { parseFilter } from '../../grammar/index.js'
import { resolveFilter, type Resolver } from '../../compiler/resolve.js'
import type { Filter, HostCond, InetPrefix } from '../../compiler/filter.js'
import type { Span } from '../../grammar/ast.js'
import { decodeInet } from '../../runtime/decode-inet.js'
import type { FilterSocket } from '../../compiler/socket.js'

/** What a destroy message says about its socket. */
export interface DestroyEvent {
  readonly family: 2 | 10
  readonly state: number
  readonly sport: number
  readonly dport: number
  /** 4 bytes for AF_INET, 16 for AF_INET6. */
  readonly src: Uint8Array
  readonly dst: Uint8Array
  readonly ifindex: number
  readonly protocol: number
  /** INET_DIAG_MARK / INET_DIAG_CGROUP_ID attributes, when present (the kernel sends neither today). */
  readonly mark?: number
  readonly cgroupId?: bigint
  /** INET_DIAG_INFO members (TCP only), the payload cut to `infoLen` bytes when given. */
  readonly tcpInfo?: Readonly<Record<string, number | bigint>>
  readonly infoLen?: number
  /** INET_DIAG_SHUTDOWN (full sockets; destroy messages have none today), and the queue/uid/inode fields. */
  readonly shutdown?: number
  readonly rqueue?: number
  readonly wqueue?: number
  readonly uid?: number
  readonly inode?: number
}

const align4 = (n: number): number => (n + 3) & ~3

/** `n` little-endian in `size` bytes (host order on the machines we target). */
function le(size: number, n: bigint): Uint8Array {
  const b = new Uint8Array(size)
  for (let i = 0; i < size; i++) b[i] = Number((n >> BigInt(8 * i)) & 0xffn)
  return b
}

/**
 * The message as the kernel broadcasts it (`inet_diag_handler_get_info`):
 * nlmsghdr, inet_diag_msg (address words zero past an IPv4 address), an
 * INET_DIAG_PROTOCOL attribute and, for TCP, an INET_DIAG_INFO one.
 */
export function destroyMessage(ev: DestroyEvent): Uint8Array {
  const attrs: [number, Uint8Array][] = [[INET_DIAG.INET_DIAG_PROTOCOL, Uint8Array.of(ev.protocol)]]
  if (ev.protocol === IPPROTO.IPPROTO_TCP) {
    const info = tcp_info.bytes(ev.tcpInfo ?? {})
    attrs.push([INET_DIAG.INET_DIAG_INFO, info.subarray(0, Math.min(ev.infoLen ?? info.length, info.length))])
  }
  if (ev.shutdown !== undefined) attrs.push([INET_DIAG.INET_DIAG_SHUTDOWN, Uint8Array.of(ev.shutdown)])
  if (ev.mark !== undefined) attrs.push([INET_DIAG.INET_DIAG_MARK, le(4, BigInt(ev.mark >>> 0))])
  if (ev.cgroupId !== undefined) attrs.push([INET_DIAG.INET_DIAG_CGROUP_ID, le(8, ev.cgroupId)])
  const attrLen = attrs.reduce((n, [, p]) => n + align4(nlattr.size + p.length), 0)
  const total = nlmsghdr.size + inet_diag_msg.size + attrLen
  const bytes = new Uint8Array(total)
  const view = new DataView(bytes.buffer)
  nlmsghdr.encode({ nlmsg_len: total, nlmsg_type: SOCK_DIAG.SOCK_DIAG_BY_FAMILY, nlmsg_flags: 0, nlmsg_seq: 0, nlmsg_pid: 0 }, view, 0)
  inet_diag_msg.encode({
    idiag_family: ev.family, idiag_state: ev.state, idiag_timer: 0, idiag_retrans: 0,
    idiag_sport: ev.sport, idiag_dport: ev.dport, idiag_src: ev.src, idiag_dst: ev.dst,
    idiag_if: ev.ifindex, idiag_cookie0: 0x1234, idiag_cookie1: 0, idiag_expires: 0,
    idiag_rqueue: ev.rqueue ?? 0, idiag_wqueue: ev.wqueue ?? 0, idiag_uid: ev.uid ?? 0, idiag_inode: ev.inode ?? 0,
  }, view, nlmsghdr.size)
  let at = nlmsghdr.size + inet_diag_msg.size
  for (const [type, payload] of attrs) {
    nlattr.encode({ nla_len: nlattr.size + payload.length, nla_type: type }, view, at)
    bytes.set(payload, at + nlattr.size)
    at += align4(nlattr.size + payload.length)
  }
  return bytes
}

/** The socket the evaluator sees for a message: the runtime's own decoder. */
export function eventSocket(msg: Uint8Array): FilterSocket {
  return decodeInet(msg.subarray(nlmsghdr.size), IPPROTO.IPPROTO_TCP)
}

/** A resolver with fixed answers (no system lookups in tests). */
export const FAKE_RESOLVER: Resolver = {
  service: (name) => ({ ssh: 22, http: 80, https: 443 } as Record<string, number>)[name],
  hosts: (name, af) => {
    const all: InetPrefix[] = name === 'two'
      ? [{ af: 2, bytes: Uint8Array.of(10, 0, 0, 1), prefixLen: 32 }, { af: 10, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), prefixLen: 128 }]
      : []
    return all.filter((p) => af === 0 || p.af === af)
  },
  ifindex: (name) => (name === 'lo' ? 1 : /^\d+$/.test(name) ? Number(name) : undefined),
  cgroupId: () => 4242n,
  netlinkProto: (name) => ({ rtnl: 0, genl: 16 } as Record<string, number>)[name],
}

/** A filter from its text (words split on spaces), as `ssx` would build it; null for an empty filter. */
export async function filterFromWords(words: readonly string[]): Promise<{ filter: Filter | null; source: string }> {
  const parsed = parseFilter({ words: [...words] }, { preferredFamily: 0 } as Parameters<typeof parseFilter>[1])
  const filter = parsed.expr ? await resolveFilter(parsed.expr, FAKE_RESOLVER, { tables: { tcp: true, udp: true } }) : null
  return { filter, source: parsed.source.text }
}

/** {@link filterFromWords} of one string split on spaces. */
export const filterFromText = (text: string): Promise<{ filter: Filter | null; source: string }> => filterFromWords(text.split(' ').filter((w) => w !== ''))

// ---------------------------------------------------------------- arbitraries

const SPAN: Span = { start: 0, end: 0 }

/** Addresses that exercise the interesting cases: loopback, any, v4-mapped, private, link-local. */
const V4_POOL = [[127, 0, 0, 1], [0, 0, 0, 0], [10, 0, 0, 1], [10, 1, 2, 3], [192, 168, 1, 7], [1, 2, 3, 4], [255, 255, 255, 255]].map((a) => Uint8Array.from(a))
const V6_POOL = [
  '00000000000000000000000000000001', '00000000000000000000000000000000', '00000000000000000000ffff7f000001',
  '00000000000000000000ffff0a000001', 'fe800000000000000000000000000001', '20010db8000000000000000000000042',
  '0a000001000000000000000000000000', '7f000001000000000000000000000000',
].map((h) => Uint8Array.from(h.match(/../g)!, (x) => parseInt(x, 16)))

const PORT_POOL = [0, 1, 22, 80, 443, 1023, 1024, 4999, 5000, 32767, 32768, 60999, 61000, 65535]

const v4Arb = fc.oneof(fc.constantFrom(...V4_POOL), fc.uint8Array({ minLength: 4, maxLength: 4 }))
const v6Arb = fc.oneof(fc.constantFrom(...V6_POOL), fc.uint8Array({ minLength: 16, maxLength: 16 }))
const portArb = fc.oneof(fc.constantFrom(...PORT_POOL), fc.integer({ min: 0, max: 65535 }))

/** A prefix entry of one family; `prefixLen` up to the family's length. */
const prefixArb = (af: 2 | 10): fc.Arbitrary<InetPrefix> =>
  fc.record({
    af: fc.constant(af),
    bytes: af === 2 ? v4Arb : v6Arb,
    prefixLen: fc.oneof(fc.constantFrom(0, 8, 12, 16, 24, 32, ...(af === 10 ? [64, 96, 104, 128] : [])), fc.integer({ min: 0, max: af === 2 ? 32 : 128 })),
  })

const hostCondArb: fc.Arbitrary<HostCond> = fc.oneof(
  { weight: 8, arbitrary: fc.record({
    family: fc.constant('inet' as const),
    af: fc.constantFrom(0 as const, 2 as const, 10 as const),
    addrs: fc.oneof(fc.constant([]), fc.array(fc.oneof(prefixArb(2), prefixArb(10)), { minLength: 1, maxLength: 3 })),
    port: fc.oneof(fc.constant(-1), portArb, fc.integer({ min: -5, max: 70000 })),
  }) },
  { weight: 1, arbitrary: fc.record({ family: fc.constant('unix' as const), pattern: fc.constantFrom('*', '/tmp/*', '@*') }) },
  { weight: 1, arbitrary: fc.record({ family: fc.constant('link' as const), proto: fc.constantFrom(-1, 0, 3, 0x800), ifindex: fc.constantFrom(-1, 0, 1, 22) }) },
  { weight: 1, arbitrary: fc.record({ family: fc.constant('netlink' as const), proto: fc.constantFrom(-1, 0, 16), portid: fc.constantFrom(-1, 0, 22, 80) }) },
  { weight: 1, arbitrary: fc.record({ family: fc.constant('vsock' as const), cid: fc.constantFrom(-1, 2, 3), port: fc.constantFrom(-1, 0xffffffff, 22, 1024) }) },
)

/** Thresholds and member values around the interesting edges (scales of 1000, 32-bit limits, fractions, negatives). */
const METRIC_VALUES = [0, 1, 2, 50, 999, 1000, 1001, 1500.5, 0.5, -1, 50000, 0xffffffff, 2 ** 32, 2 ** 32 + 1, 5e9, 2 ** 53]

/** A leaf kind the classic BPF lowering has never heard of (stands for tcp_info predicates and later additions). */
const UNKNOWN_KIND = 'future-predicate'

const leafArb: fc.Arbitrary<Filter> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('hostcond' as const), dir: fc.constantFrom('src' as const, 'dst' as const), cond: hostCondArb, span: fc.constant(SPAN) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('portcmp' as const), dir: fc.constantFrom('src' as const, 'dst' as const), cmp: fc.constantFrom('ge' as const, 'le' as const), port: fc.oneof(portArb, fc.integer({ min: -3, max: 70000 })), span: fc.constant(SPAN) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dev' as const), ifindex: fc.constantFrom(0, 1, 2, 7, 0x01020304, 0xffffffff), span: fc.constant(SPAN) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('mark' as const), mark: fc.oneof(fc.constantFrom(0, 1, 0x10, 0x1234), fc.nat()), mask: fc.oneof(fc.constantFrom(0, 0xff, 0xff00, 0xffffffff), fc.nat()), span: fc.constant(SPAN) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cgroup' as const), id: fc.oneof(fc.constantFrom(0n, 4242n, 0x100000001n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), span: fc.constant(SPAN) }) },
  { weight: 1, arbitrary: fc.constant<Filter>({ kind: 'auto', span: SPAN }) },
  { weight: 3, arbitrary: fc.record({
    kind: fc.constant('metric' as const),
    field: fc.constantFrom(...(METRIC_NAMES as readonly MetricName[])),
    op: fc.constantFrom('eq' as const, 'ne' as const, 'lt' as const, 'le' as const, 'gt' as const, 'ge' as const),
    value: fc.oneof(fc.constantFrom(...METRIC_VALUES), fc.integer({ min: 0, max: 3000 })),
    span: fc.constant(SPAN),
  }) },
  { weight: 1, arbitrary: fc.constant({ kind: UNKNOWN_KIND, span: SPAN } as unknown as Filter) },
)

/** Resolved filters of every kind, up to `maxDepth` operators deep. */
export function filterArb(maxDepth = 4): fc.Arbitrary<Filter> {
  const { tree } = fc.letrec<{ tree: Filter }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', maxDepth, withCrossShrink: true },
      { weight: 5, arbitrary: leafArb },
      { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), left: tie('tree'), right: tie('tree'), span: fc.constant(SPAN) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('not' as const), operand: tie('tree'), span: fc.constant(SPAN) }) },
    ),
  }))
  return tree
}

/** The constants a filter mentions: sockets built from them hit its tests. */
export function filterConstants(f: Filter | null): { ports: number[]; v4: Uint8Array[]; v6: Uint8Array[]; ifindex: number[]; marks: number[]; cgroups: bigint[]; metrics: number[] } {
  const out = { ports: [] as number[], v4: [] as Uint8Array[], v6: [] as Uint8Array[], ifindex: [] as number[], marks: [] as number[], cgroups: [] as bigint[], metrics: [] as number[] }
  const walk = (g: Filter): void => {
    switch (g.kind) {
      case 'and': case 'or': walk(g.left); walk(g.right); return
      case 'not': walk(g.operand); return
      case 'portcmp': out.ports.push(g.port - 1, g.port, g.port + 1); return
      case 'dev': out.ifindex.push(g.ifindex >>> 0); return
      case 'mark': out.marks.push(g.mark >>> 0, (g.mark | ~g.mask) >>> 0, (g.mark ^ 1) >>> 0); return
      case 'cgroup': out.cgroups.push(g.id, g.id ^ 1n, g.id ^ (1n << 32n)); return
      case 'metric': {
        const src = METRICS[g.field].source
        const q = g.value / (src.kind === 'tcp_info' ? src.scale : 1)
        for (const v of [Math.floor(q) - 1, Math.floor(q), Math.ceil(q), Math.ceil(q) + 1]) if (v >= 0 && v < 2 ** 64) out.metrics.push(v)
        return
      }
      case 'hostcond': {
        const c = g.cond
        if (c.family === 'inet') {
          out.ports.push(c.port)
          for (const a of c.addrs) {
            if (a.af === 2) {
              out.v4.push(a.bytes)
              // The same address, v4-mapped, and raw in the first word of an IPv6 address.
              out.v6.push(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...a.bytes]), Uint8Array.from([...a.bytes, ...new Uint8Array(12)]))
            } else {
              out.v6.push(a.bytes)
              out.v4.push(a.bytes.slice(0, 4))
            }
          }
        }
        return
      }
      default:
        return
    }
  }
  if (f) walk(f)
  out.ports = out.ports.filter((p) => p >= 0 && p <= 65535)
  return out
}

/** Flip one bit somewhere in an address (near misses of prefix tests). */
const nearMiss = (a: Uint8Array, bit: number): Uint8Array => {
  const b = a.slice()
  const i = bit % (b.length * 8)
  b[i >> 3]! ^= 0x80 >> (i & 7)
  return b
}

/** Destroy events, half of them built from `f`'s own constants. */
export function eventArb(f: Filter | null): fc.Arbitrary<DestroyEvent> {
  const c = filterConstants(f)
  const pick = <T>(own: T[], base: fc.Arbitrary<T>): fc.Arbitrary<T> => (own.length ? fc.oneof(base, fc.constantFrom(...own)) : base)
  const v4 = pick(c.v4, v4Arb)
  const v6 = pick(c.v6, v6Arb)
  const addr = (family: 2 | 10): fc.Arbitrary<Uint8Array> => {
    const exact = family === 2 ? v4 : v6
    return fc.oneof({ weight: 3, arbitrary: exact }, { weight: 1, arbitrary: fc.tuple(exact, fc.nat()).map(([a, bit]) => nearMiss(a, bit)) })
  }
  const port = pick(c.ports, portArb)
  return fc.constantFrom(2 as const, 10 as const).chain((family) =>
    fc.record({
      family: fc.constant(family),
      state: fc.integer({ min: 1, max: 12 }),
      sport: port,
      dport: port,
      src: addr(family),
      dst: addr(family),
      ifindex: pick(c.ifindex, fc.constantFrom(0, 1, 2, 7)),
      protocol: fc.constantFrom(IPPROTO.IPPROTO_TCP, IPPROTO.IPPROTO_UDP),
      mark: fc.option(pick(c.marks, fc.constantFrom(0, 1, 0x10, 0x1234, 0xffffffff)), { nil: undefined }),
      cgroupId: fc.option(pick(c.cgroups, fc.constantFrom(0n, 4242n, 0x100000001n)), { nil: undefined }),
      tcpInfo: tcpInfoArb(c.metrics),
      infoLen: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: tcp_info.size }) }),
      shutdown: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      rqueue: metricValue(c.metrics, 32),
      wqueue: metricValue(c.metrics, 32),
      uid: metricValue(c.metrics, 32),
      inode: metricValue(c.metrics, 32),
    }, { requiredKeys: ['family', 'state', 'sport', 'dport', 'src', 'dst', 'ifindex', 'protocol'] }))
}

/** A member value of `bits` bits, often one of the filter's thresholds (or a neighbour). */
function metricValue(own: readonly number[], bits: 32): fc.Arbitrary<number>
function metricValue(own: readonly number[], bits: 64): fc.Arbitrary<bigint>
function metricValue(own: readonly number[], bits: 32 | 64): fc.Arbitrary<number | bigint> {
  const max = bits === 32 ? 2 ** 32 - 1 : 2 ** 64 - 1
  const pool = [...own, ...METRIC_VALUES].filter((v) => Number.isInteger(v) && v >= 0 && v <= max)
  const n = fc.oneof(fc.constantFrom(...pool), fc.integer({ min: 0, max: 5000 }))
  return bits === 32 ? n : fc.oneof(n.map((v) => BigInt(v)), fc.constantFrom((1n << 64n) - 1n, (1n << 32n) + 1n))
}

/** tcp_info members the metrics read, with values near the filter's thresholds. */
function tcpInfoArb(own: readonly number[]): fc.Arbitrary<Record<string, number | bigint>> {
  const members = [...new Set(Object.values(METRICS).flatMap((m) => (m.source.kind === 'tcp_info' ? [m.source.member] : [])))]
  return fc.record(Object.fromEntries(members.map((name) => {
    const wide = tcp_info.fields.find((f) => f.name === name)?.kind === 'u64'
    return [name, wide ? metricValue(own, 64) : metricValue(own, 32)]
  })) as Record<string, fc.Arbitrary<number | bigint>>)
}

/** AF constants for readers of this file. */
export const AF_INET = AF.AF_INET
export const AF_INET6 = AF.AF_INET6
