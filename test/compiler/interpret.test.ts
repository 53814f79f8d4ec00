import t from 'tap'
import fc from 'fast-check'
import { interpret, UnauditedBytecodeError } from '../../compiler/interpret.js'
import { audit } from '../../compiler/audit.js'
import { assemble } from '../../compiler/assemble.js'
import { lower } from '../../compiler/lower.js'
import type { Filter, InetPrefix } from '../../compiler/filter.js'
import type { FilterSocket } from '../../compiler/socket.js'
import { SS_CASES, hex, toHex } from '../golden/disasm/cases.js'
import { arbIr } from '../golden/disasm/arbitraries.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { openDiag } from '../../runtime/netns.js'
import { dump } from '../../runtime/dump.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import { filterTree } from '../props/expr-tree.js'

// ---------------------------------------------------------------- sockets
const ip4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number))
/** A tiny IPv6 parser for test data: full or `::`-compressed, optional dotted tail. */
const ip6 = (text: string): Uint8Array => {
  let s = text
  let tail: number[] = []
  if (s.includes('.')) {
    const i = s.lastIndexOf(':')
    const q = ip4(s.slice(i + 1))
    tail = [(q[0]! << 8) | q[1]!, (q[2]! << 8) | q[3]!]
    s = s.slice(0, i)
    if (s.endsWith(':')) s += ':'
  }
  const words = (x: string): number[] => x.split(':').filter((w) => w !== '').map((w) => parseInt(w, 16))
  const [h, r] = s.split('::')
  const head = words(h!)
  const rest = [...(r === undefined ? [] : words(r)), ...tail]
  const all = [...head, ...Array<number>(8 - head.length - rest.length).fill(0), ...rest]
  const b = new Uint8Array(16)
  all.forEach((w, i) => { b[2 * i] = w >> 8; b[2 * i + 1] = w & 0xff })
  return b
}
const AF_INET = 2
const AF_INET6 = 10
const sock4 = (src: string, sport: number, dst: string, dport: number, more: Partial<FilterSocket> = {}): FilterSocket =>
  ({ family: AF_INET, state: 1, localAddr: ip4(src), localPort: sport, remoteAddr: ip4(dst), remotePort: dport, ...more })
const sock6 = (src: string, sport: number, dst: string, dport: number, more: Partial<FilterSocket> = {}): FilterSocket =>
  ({ family: AF_INET6, state: 1, localAddr: ip6(src), localPort: sport, remoteAddr: ip6(dst), remotePort: dport, ...more })

t.test('test helper: ip6', async (t) => {
  t.same(Array.from(ip6('::1')), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
  t.same(Array.from(ip6('::ffff:1.2.3.4')), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4])
  t.same(Array.from(ip6('fe80::1')).slice(0, 2), [0xfe, 0x80])
})

// ---------------------------------------------------------------- single-op semantics
// Each program is one condition whose false edge rejects, so accept = the condition.
const S4 = (prefixHex: string, port: string, addr: string): string => `07101400 02${prefixHex}0000 ${port} ${addr}`
const D6 = (prefixHex: string, port: string, addr: string): string => `081c2000 0a${prefixHex}0000 ${port} ${addr}`
const ANY = 'ffffffff'

const table: { name: string; bc: string; sock: FilterSocket; accept: boolean }[] = [
  // hostcond: port first
  { name: 'port 22 matches sport 22', bc: `07101400 00000000 16000000 00000000`, sock: sock4('1.1.1.1', 22, '2.2.2.2', 9), accept: true },
  { name: 'port 22 rejects sport 23', bc: `07101400 00000000 16000000 00000000`, sock: sock4('1.1.1.1', 23, '2.2.2.2', 22), accept: false },
  { name: 'port 0 matches a listener dport 0', bc: `08101400 00000000 00000000 00000000`, sock: sock4('1.1.1.1', 22, '0.0.0.0', 0), accept: true },
  { name: 'port 70536 never matches (int compare, not u16)', bc: `07101400 00000000 88130100 00000000`, sock: sock4('1.1.1.1', 70536 & 0xffff, '0.0.0.0', 0), accept: false },
  { name: 'port -2 never matches', bc: `07101400 00000000 feffffff 00000000`, sock: sock4('1.1.1.1', 65534, '0.0.0.0', 0), accept: false },
  { name: 'AF_UNSPEC any port matches a v6 socket', bc: `07101400 00000000 ${ANY} 00000000`, sock: sock6('::1', 5, '::1', 6), accept: true },
  // prefixes
  { name: 'v4 /32 exact', bc: S4('20', ANY, '7f000001'), sock: sock4('127.0.0.1', 1, '0.0.0.0', 0), accept: true },
  { name: 'v4 /32 other', bc: S4('20', ANY, '7f000001'), sock: sock4('127.0.0.2', 1, '0.0.0.0', 0), accept: false },
  { name: 'v4 /8 unmasked address (ss sends 127.0.0.1/8)', bc: S4('08', ANY, '7f000001'), sock: sock4('127.9.9.9', 1, '0.0.0.0', 0), accept: true },
  { name: 'v4 /8 other net', bc: S4('08', ANY, '7f000001'), sock: sock4('128.0.0.1', 1, '0.0.0.0', 0), accept: false },
  { name: 'v4 /12 partial byte inside', bc: S4('0c', ANY, 'ac100000'), sock: sock4('172.31.255.255', 1, '0.0.0.0', 0), accept: true },
  { name: 'v4 /12 partial byte outside', bc: S4('0c', ANY, 'ac100000'), sock: sock4('172.32.0.0', 1, '0.0.0.0', 0), accept: false },
  { name: 'v4 /0 matches every v4 socket', bc: S4('00', ANY, '01020304'), sock: sock4('9.9.9.9', 1, '0.0.0.0', 0), accept: true },
  { name: 'v4 prefix with port: port mismatch wins', bc: S4('20', '50000000', '7f000001'), sock: sock4('127.0.0.1', 81, '0.0.0.0', 0), accept: false },
  // families
  { name: 'v4 cond on a v4-mapped v6 socket', bc: S4('20', ANY, '01020304'), sock: sock6('::ffff:1.2.3.4', 1, '::', 0), accept: true },
  { name: 'v4 /0 cond on a v4-mapped v6 socket', bc: S4('00', ANY, '01020304'), sock: sock6('::ffff:9.9.9.9', 1, '::', 0), accept: true },
  { name: 'v4 /0 cond on ::1 (not mapped)', bc: S4('00', ANY, '01020304'), sock: sock6('::1', 1, '::', 0), accept: false },
  { name: 'v4 /0 cond on ::', bc: S4('00', ANY, '00000000'), sock: sock6('::', 1, '::', 0), accept: false },
  { name: 'v4 /24 cond on a mapped socket outside', bc: S4('18', ANY, '01020300'), sock: sock6('::ffff:1.2.4.4', 1, '::', 0), accept: false },
  { name: 'v6 ::ffff:1.2.3.4 cond never matches a v4 socket', bc: D6('80', ANY, '00000000 00000000 0000ffff 01020304'), sock: sock4('0.0.0.0', 1, '1.2.3.4', 0), accept: false },
  { name: 'v6 /128 ::1', bc: D6('80', ANY, '00000000 00000000 00000000 00000001'), sock: sock6('::', 1, '::1', 0), accept: true },
  { name: 'v6 /10 fe80::', bc: D6('0a', ANY, 'fe800000 00000000 00000000 00000000'), sock: sock6('::', 1, 'febf::1', 0), accept: true },
  { name: 'v6 /10 fec0:: outside', bc: D6('0a', ANY, 'fe800000 00000000 00000000 00000000'), sock: sock6('::', 1, 'fec0::1', 0), accept: false },
  { name: 'v6 /64 word-wise then stop', bc: D6('40', ANY, '20010db8 00000001 ffffffff ffffffff'), sock: sock6('::', 1, '2001:db8:0:1::7', 0), accept: true },
  { name: 'v6 /127 last bit ignored', bc: D6('7f', ANY, '00000000 00000000 00000000 00000000'), sock: sock6('::', 1, '::1', 0), accept: true },
  // port comparisons: u16 host order from bytes 6-7 of the follow-on op
  { name: 'sport >= 1024 at 1024', bc: '02080c00 00000004', sock: sock4('1.1.1.1', 1024, '0.0.0.0', 0), accept: true },
  { name: 'sport >= 1024 at 1023', bc: '02080c00 00000004', sock: sock4('1.1.1.1', 1023, '0.0.0.0', 0), accept: false },
  { name: 'dport <= 65535 at 65535', bc: '05080c00 0000ffff', sock: sock4('1.1.1.1', 1, '0.0.0.0', 65535), accept: true },
  { name: 'dport <= 0 at 0', bc: '05080c00 00000000', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0), accept: true },
  { name: 'S_EQ 22 ignores follow-on code/yes', bc: '0b080c00 eeee1600', sock: sock4('1.1.1.1', 22, '0.0.0.0', 0), accept: true },
  { name: 'D_EQ 22 vs 23', bc: '0c080c00 00001600', sock: sock4('1.1.1.1', 22, '0.0.0.0', 23), accept: false },
  // AUTO, DEV, MARK, CGROUP
  { name: 'AUTO with userlocks 0 (TIME-WAIT, request socks)', bc: '06040800', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { userlocks: 0 }), accept: true },
  { name: 'AUTO with SOCK_BINDPORT_LOCK', bc: '06040800', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { userlocks: 8 }), accept: false },
  { name: 'AUTO with other lock bits only', bc: '06040800', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { userlocks: 7 }), accept: true },
  { name: 'AUTO with no userlocks field', bc: '06040800', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0), accept: true },
  { name: 'DEV_COND 1 on lo-bound', bc: '09080c00 01000000', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { ifindex: 1 }), accept: true },
  { name: 'DEV_COND 0 on unbound', bc: '09080c00 00000000', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0), accept: true },
  { name: 'DEV_COND 0xffffffff', bc: '09080c00 ffffffff', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { ifindex: 0xffffffff }), accept: true },
  { name: 'MARK 0x1234/0xff00 on 0x12ff', bc: '0a0c1000 00120000 00ff0000', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { mark: 0x12ff }), accept: true },
  { name: 'MARK value outside its mask never matches', bc: '0a0c1000 34120000 00ff0000', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { mark: 0x1234 }), accept: false },
  { name: 'MARK high bit', bc: '0a0c1000 00000080 ffffffff', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { mark: 0x80000000 }), accept: true },
  { name: 'CGROUP u64', bc: '0d0c1000 08070605 04030201', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { cgroupId: 0x0102030405060708n }), accept: true },
  { name: 'CGROUP differs in the high word', bc: '0d0c1000 08070605 04030202', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0, { cgroupId: 0x0102030405060708n }), accept: false },
  { name: 'CGROUP 0 for TIME-WAIT', bc: '0d0c1000 00000000 00000000', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0), accept: true },
  // control flow
  { name: 'NOP falls through to accept', bc: '00040000', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0), accept: true },
  { name: 'JMP to reject', bc: '01040800', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0), accept: false },
  { name: 'NOP yes=8 skips a data word', bc: '00080000 deadbeef', sock: sock4('1.1.1.1', 1, '0.0.0.0', 0), accept: true },
]

t.test('single-op semantics (kernel-sock-diag §1.5–1.7)', async (t) => {
  for (const c of table) {
    const bc = hex(c.bc)
    t.same(audit(bc, { netAdmin: true }), { ok: true }, `${c.name}: audited`)
    const r = interpret(bc, c.sock)
    t.equal(r.accept, c.accept, c.name)
    t.equal(r.rem, c.accept ? 0 : -4, `${c.name}: rem`)
  }
})

t.test('unknown opcode counts as true, as the kernel switch has no default', async (t) => {
  // Not auditable; the interpreter still must not crash on it.
  t.same(interpret(hex('0e040800'), sock4('1.1.1.1', 1, '0.0.0.0', 0)).trace, [{ offset: 0, op: 'unknown', cond: true, taken: 'yes', to: 4 }])
})

t.test('unaudited programs raise a typed error instead of reading outside or looping', async (t) => {
  const s = sock4('1.1.1.1', 1, '0.0.0.0', 0)
  t.throws(() => interpret(hex('00000000'), s), UnauditedBytecodeError)
  t.throws(() => interpret(hex('07101400'), s), { name: 'UnauditedBytecodeError', offset: 0 })
  t.throws(() => interpret(hex('00040000 0004'), s), { code: 'E_UNAUDITED' })
  t.throws(() => interpret(hex('010c0c00'), s), { code: 'E_UNAUDITED' })
})

t.test('trace records offset, op, condition and the edge taken', async (t) => {
  // sport = :22 or not dport = :80
  const c = SS_CASES.find((x) => x.name === 'sport-22-or-not-dport-80')!
  const r = interpret(hex(c.hex), sock4('1.1.1.1', 23, '2.2.2.2', 80))
  t.same(r, {
    accept: false, rem: -4,
    trace: [
      { offset: 0, op: 'S_COND', cond: false, taken: 'no', to: 20 },
      { offset: 20, op: 'D_COND', cond: true, taken: 'yes', to: 36 },
      { offset: 36, op: 'JMP', cond: false, taken: 'no', to: 44 },
    ],
  })
  t.same(interpret(hex(c.hex), sock4('1.1.1.1', 22, '2.2.2.2', 80), { trace: false }), { accept: true, rem: 0, trace: [] })
})

t.test('Appendix A programs on sockets', async (t) => {
  const run = (name: string, s: FilterSocket): boolean => interpret(hex(SS_CASES.find((x) => x.name === name)!.hex), s).accept
  const rows: [string, FilterSocket, boolean][] = [
    ['sport-eq-22', sock6('::1', 22, '::1', 5000), true],
    ['dport-gt-1024', sock4('1.1.1.1', 1, '2.2.2.2', 1025), true],
    ['dport-gt-1024', sock4('1.1.1.1', 1, '2.2.2.2', 1024), false],
    ['dport-lt-80', sock4('1.1.1.1', 1, '2.2.2.2', 79), true],
    ['dport-lt-80', sock4('1.1.1.1', 1, '2.2.2.2', 80), false],
    ['sport-ne-22', sock4('1.1.1.1', 22, '2.2.2.2', 1), false],
    ['sport-ne-22', sock4('1.1.1.1', 21, '2.2.2.2', 1), true],
    ['src-127.0.0.1-8', sock4('127.1.2.3', 1, '2.2.2.2', 1), true],
    ['src-127.0.0.1-8', sock6('::ffff:127.1.2.3', 1, '::', 1), true],
    ['src-127.0.0.1-8', sock6('::1', 1, '::', 1), false],
    ['dst-v4-mapped', sock6('::', 1, '::ffff:1.2.3.4', 1), true],
    ['dst-v4-mapped', sock4('0.0.0.0', 1, '1.2.3.4', 1), false],
    ['sport-range-or-dst', sock4('1.1.1.1', 150, '9.9.9.9', 1), true],
    ['sport-range-or-dst', sock4('1.1.1.1', 250, '1.2.3.4', 5), true],
    ['sport-range-or-dst', sock4('1.1.1.1', 250, '1.2.3.4', 6), false],
    ['src-v4-or-v6-prefix', sock6('fe80::1', 1, '::', 1), true],
    ['src-v4-or-v6-prefix', sock4('10.9.9.9', 1, '0.0.0.0', 1), true],
    ['src-v4-or-v6-prefix', sock4('11.9.9.9', 1, '0.0.0.0', 1), false],
    ['not-autobound-and-dport-le-1023', sock4('1.1.1.1', 1, '2.2.2.2', 443, { userlocks: 8 }), true],
    ['not-autobound-and-dport-le-1023', sock4('1.1.1.1', 1, '2.2.2.2', 443, { userlocks: 0 }), false],
    ['not-autobound-and-dport-le-1023', sock4('1.1.1.1', 1, '2.2.2.2', 1024, { userlocks: 8 }), false],
  ]
  for (const [name, s, want] of rows) t.equal(run(name, s), want, `${name} on ${s.family === AF_INET ? 'v4' : 'v6'} ${s.localPort}→${s.remotePort}`)
})

// ---------------------------------------------------------------- reference evaluator
// A direct recursive evaluation of the Filter tree with the *kernel's*
// semantics, written independently of the interpreter (bit by bit, no
// words, no DataView). Comparing it with interpret(assemble(lower(f)))
// pins the lowering's and/or/not layout.
const bit = (a: Uint8Array, i: number): number => (a[i >> 3]! >> (7 - (i & 7))) & 1
const prefixEq = (a: Uint8Array, b: Uint8Array, bits: number): boolean => {
  for (let i = 0; i < bits; i++) if (bit(a, i) !== bit(b, i)) return false
  return true
}
const mapped = (a: Uint8Array): boolean => a.length === 16 && a.subarray(0, 10).every((x) => x === 0) && a[10] === 0xff && a[11] === 0xff
function kernelHost(af: number, prefixLen: number, port: number, addr: Uint8Array, s: FilterSocket, src: boolean): boolean {
  const sp = src ? s.localPort : s.remotePort
  if (port !== -1 && port !== sp) return false
  const sa = (src ? s.localAddr : s.remoteAddr)!
  if (af !== 0 && af !== s.family) return s.family === AF_INET6 && af === AF_INET && mapped(sa) && prefixEq(sa.subarray(12), addr, prefixLen)
  return prefixLen === 0 || prefixEq(sa, addr, prefixLen)
}
function kernelEval(f: Filter, s: FilterSocket): boolean {
  switch (f.kind) {
    case 'and': return kernelEval(f.left, s) && kernelEval(f.right, s)
    case 'or': return kernelEval(f.left, s) || kernelEval(f.right, s)
    case 'not': return !kernelEval(f.operand, s)
    case 'hostcond': {
      if (f.cond.family !== 'inet') throw new TypeError('not inet')
      const { af, addrs, port } = f.cond
      if (addrs.length === 0) return kernelHost(af, 0, port, new Uint8Array(16), s, f.dir === 'src')
      return addrs.some((a) => kernelHost(a.af, a.prefixLen, port, a.bytes, s, f.dir === 'src'))
    }
    case 'portcmp': {
      // The bytecode holds the port as a u16: ss truncates, so do we.
      const p = f.port & 0xffff
      const sp = f.dir === 'src' ? s.localPort : s.remotePort
      return f.cmp === 'ge' ? sp >= p : sp <= p
    }
    case 'dev': return (s.ifindex ?? 0) === f.ifindex
    case 'mark': return (((s.mark ?? 0) & f.mask) >>> 0) === f.mark
    case 'cgroup': return (s.cgroupId ?? 0n) === f.id
    case 'auto': return ((s.userlocks ?? 0) & 8) === 0
    case 'metric': throw new TypeError('metrics have no bytecode')
  }
}

// ---------------------------------------------------------------- arbitraries
const SPAN = { start: 0, end: 0 }
const V4 = ['127.0.0.1', '10.0.0.0', '10.1.2.3', '1.2.3.4', '0.0.0.0', '192.168.1.255']
const V6 = ['::1', '::', 'fe80::', 'fe80::1', '::ffff:1.2.3.4', '::ffff:10.1.2.3', '2001:db8::1']
const prefix: fc.Arbitrary<InetPrefix> = fc.oneof(
  fc.tuple(fc.constantFrom(...V4), fc.oneof(fc.integer({ min: 0, max: 32 }), fc.constantFrom(0, 8, 24, 32))).map(([a, p]) => ({ af: 2 as const, bytes: ip4(a), prefixLen: p })),
  fc.tuple(fc.constantFrom(...V6), fc.oneof(fc.integer({ min: 0, max: 128 }), fc.constantFrom(0, 10, 64, 96, 104, 128))).map(([a, p]) => ({ af: 10 as const, bytes: ip6(a), prefixLen: p })),
)
const condPort = fc.oneof(fc.constantFrom(-1, -1, 0, 22, 80, 65535, 70536, -2), fc.integer({ min: 0, max: 65535 }))
const leaf: fc.Arbitrary<Filter> = fc.oneof(
  fc.tuple(fc.constantFrom('src', 'dst') as fc.Arbitrary<'src' | 'dst'>, fc.array(prefix, { maxLength: 3 }), fc.constantFrom(0, 2, 10) as fc.Arbitrary<0 | 2 | 10>, condPort)
    .map(([dir, addrs, af0, port]): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: addrs[0]?.af ?? af0, addrs, port }, span: SPAN })),
  fc.tuple(fc.constantFrom('src', 'dst') as fc.Arbitrary<'src' | 'dst'>, fc.constantFrom('ge', 'le') as fc.Arbitrary<'ge' | 'le'>, fc.oneof(fc.constantFrom(-1, 0, 1, 22, 1023, 1024, 65535, 65536, 70536), fc.integer({ min: 0, max: 65535 })))
    .map(([dir, cmp, port]): Filter => ({ kind: 'portcmp', dir, cmp, port, span: SPAN })),
  fc.constantFrom(0, 1, 2, 0xffffffff).map((ifindex): Filter => ({ kind: 'dev', ifindex, span: SPAN })),
  fc.tuple(fc.constantFrom(0, 0x10, 0x1234, 0x80000000, 0xffffffff), fc.constantFrom(0, 0xff, 0xff00, 0xffffffff)).map(([mark, mask]): Filter => ({ kind: 'mark', mark, mask, span: SPAN })),
  fc.constantFrom(0n, 1n, 1234n, 2n ** 64n - 1n).map((id): Filter => ({ kind: 'cgroup', id, span: SPAN })),
  fc.constant<Filter>({ kind: 'auto', span: SPAN }),
)
const tree = filterTree(leaf, SPAN)

const port = fc.oneof(fc.constantFrom(0, 22, 80, 1023, 1024, 65535), fc.integer({ min: 0, max: 65535 }))
const more = fc.record({
  ifindex: fc.constantFrom(0, 1, 2, 0xffffffff),
  mark: fc.constantFrom(0, 0x10, 0x12ff, 0x1234, 0x80000000, 0xffffffff),
  cgroupId: fc.constantFrom(0n, 1n, 1234n, 2n ** 64n - 1n),
  userlocks: fc.constantFrom(0, 8, 0xf, 3),
})
const socket: fc.Arbitrary<FilterSocket> = fc.oneof(
  fc.tuple(fc.constantFrom(...V4), port, fc.constantFrom(...V4), port, more).map(([a, p, b, q, m]) => sock4(a, p, b, q, m)),
  fc.tuple(fc.constantFrom(...V6), port, fc.constantFrom(...V6), port, more).map(([a, p, b, q, m]) => sock6(a, p, b, q, m)),
  // v4-mapped on both ends, built from the v4 pool so v4 conditions hit them.
  fc.tuple(fc.constantFrom(...V4), port, fc.constantFrom(...V4), port, more).map(([a, p, b, q, m]) => sock6(`::ffff:${a}`, p, `::ffff:${b}`, q, m)),
  fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), port, fc.uint8Array({ minLength: 16, maxLength: 16 }), port, more)
    .map(([a, p, b, q, m]): FilterSocket => ({ family: AF_INET6, state: 1, localAddr: a, localPort: p, remoteAddr: b, remotePort: q, ...m })),
)

// Edge cases the property below depends on, pinned as table cases (the
// property found no counterexample against the current lowering; any it
// finds later belongs here).
t.test('edge cases of lowering + kernel semantics', async (t) => {
  const cases: { name: string; f: Filter; s: FilterSocket }[] = [
    { name: 'af2 with no address: family check still applies', f: { kind: 'hostcond', dir: 'src', cond: { family: 'inet', af: 2, addrs: [], port: -1 }, span: SPAN }, s: sock6('::1', 1, '::', 0) },
    { name: 'portcmp -1 is 65535 in the bytecode', f: { kind: 'portcmp', dir: 'dst', cmp: 'ge', port: -1, span: SPAN }, s: sock4('1.1.1.1', 1, '0.0.0.0', 65535) },
  ]
  for (const c of cases) t.equal(interpret(assemble(lower(c.f)).bytes, c.s).accept, kernelEval(c.f, c.s), c.name)
})

t.test('property: interpret(assemble(lower(f))) = kernel evaluation of f, and the program passes the audit', async (t) => {
  let accepted = 0
  let total = 0
  fc.assert(
    fc.property(tree, fc.array(socket, { minLength: 1, maxLength: 6 }), (f, socks) => {
      const bytes = assemble(lower(f)).bytes
      const a = audit(bytes, { netAdmin: true })
      if (!a.ok) throw new Error(`audit: ${a.reason}`)
      for (const s of socks) {
        const r = interpret(bytes, s)
        total++
        if (r.accept) accepted++
        if (r.accept !== kernelEval(f, s) || r.rem !== (r.accept ? 0 : -4)) return false
      }
      return true
    }),
    { numRuns: 2000 },
  )
  // Guard against a vacuous property: both verdicts must occur often.
  t.ok(accepted > total / 10 && accepted < (total * 9) / 10, `accepted ${accepted} of ${total}`)
})

t.test('property: audited programs never read outside their bytes', async (t) => {
  const raw = fc.array(
    fc.tuple(fc.integer({ min: 0, max: 13 }), fc.constantFrom(4, 8, 12, 16, 28), fc.integer({ min: 1, max: 12 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), fc.constantFrom(0, 2, 10)),
    { minLength: 1, maxLength: 8 },
  ).map((ops) => {
    // Headers with plausible yes/no and operands, so that a fair share passes the audit.
    const out: number[] = []
    for (const [code, yes, noWords, body, fam] of ops) {
      const operand = Array.from(body.subarray(0, yes - 4))
      if ((code === 7 || code === 8) && operand.length >= 2) { operand[0] = fam; operand[1] = operand[1]! % 33 }
      out.push(code, yes, (noWords * 4) & 0xff, 0, ...operand)
    }
    return Uint8Array.from(out)
  })
  let audited = 0
  fc.assert(
    fc.property(fc.oneof(raw, arbIr.map(({ ir }) => assemble(ir).bytes)), socket, (bytes, s) => {
      if (!audit(bytes, { netAdmin: true }).ok) return true
      audited++
      const r = interpret(bytes, s) // throws UnauditedBytecodeError on any out-of-range read
      return r.rem === 0 || r.rem === -4
    }),
    { numRuns: 3000 },
  )
  t.ok(audited >= 1000, `${audited} audited programs run`)
})

// ---------------------------------------------------------------- against the kernel
// The oracle checked against the real thing: random filters compiled and sent
// with TCP and UDP dumps of both families in a private namespace running the
// socket zoo; the kernel's answer must be exactly the unfiltered dump's
// sockets that interpret() accepts. The replies carry no sk_userlocks, so
// AUTO is left out here (its semantics are pinned by the table above).
const netnsOk = await canUseNetns()
const skip = netnsOk || process.env.CI === 'true' ? false : 'needs root and `ip netns` to run the socket zoo in a private namespace'

t.test('interpret() predicts what the 6.18 kernel returns for compiled filters', { skip }, async (t) => {
  const ns = await createNetns('interp')
  t.teardown(() => ns.destroy())
  await ns.startZoo()
  const sock = openDiag({ netns: ns.name })
  t.teardown(() => sock.close())
  const requests = [[2, 6], [10, 6], [2, 17], [10, 17]] as const
  const everything = (bytecode: Uint8Array | null): InetRecord[] =>
    requests.flatMap(([family, protocol]) => [...dump(sock, { kind: 'inet', family, protocol, states: 0xffffffff, ext: 0, bytecode })] as InetRecord[])
  const key = (r: InetRecord): string => `${r.protocol ?? ''}${r.family}/${r.state} ${toHex(r.localAddr)}:${r.localPort} ${toHex(r.remoteAddr)}:${r.remotePort} ${r.inode}`
  const all = everything(null)
  t.ok(all.length >= 15, `${all.length} zoo sockets`)
  t.ok(all.some((r) => r.mark !== 0) && all.some((r) => r.ifindex !== 0) && all.some((r) => r.cgroupId !== 0n), 'marks, a bound device and cgroup ids are reported')
  t.ok(all.some((r) => r.family === AF_INET6 && r.localAddr[10] === 0xff), 'a v4-mapped socket')

  // Values drawn from the zoo so that conditions hit as often as they miss.
  const pick = <T>(xs: T[]): fc.Arbitrary<T> => fc.constantFrom(...xs)
  const ports = [...new Set(all.flatMap((r) => [r.localPort, r.remotePort]))]
  const kPort = fc.oneof(pick(ports), fc.constantFrom(-1, 0, 5000, 65535))
  const kPrefix: fc.Arbitrary<InetPrefix> = fc.oneof(
    fc.tuple(fc.constantFrom('127.0.0.1', '127.0.0.2', '127.0.0.0', '10.0.0.1'), fc.constantFrom(0, 1, 8, 24, 31, 32)).map(([a, p]) => ({ af: 2 as const, bytes: ip4(a), prefixLen: p })),
    fc.tuple(fc.constantFrom('::1', '::', '::ffff:127.0.0.1', 'fe80::1'), fc.constantFrom(0, 8, 96, 104, 127, 128)).map(([a, p]) => ({ af: 10 as const, bytes: ip6(a), prefixLen: p })),
  )
  const kLeaf: fc.Arbitrary<Filter> = fc.oneof(
    fc.tuple(fc.constantFrom('src', 'dst') as fc.Arbitrary<'src' | 'dst'>, fc.array(kPrefix, { maxLength: 2 }), fc.constantFrom(0, 2, 10) as fc.Arbitrary<0 | 2 | 10>, kPort)
      .map(([dir, addrs, af0, port]): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: addrs[0]?.af ?? af0, addrs, port }, span: SPAN })),
    fc.tuple(fc.constantFrom('src', 'dst') as fc.Arbitrary<'src' | 'dst'>, fc.constantFrom('ge', 'le') as fc.Arbitrary<'ge' | 'le'>, kPort)
      .map(([dir, cmp, port]): Filter => ({ kind: 'portcmp', dir, cmp, port, span: SPAN })),
    pick([0, ...all.map((r) => r.ifindex)]).map((ifindex): Filter => ({ kind: 'dev', ifindex, span: SPAN })),
    fc.tuple(pick([0, ...all.map((r) => r.mark)]), fc.constantFrom(0, 0xff, 0xff00, 0xffffffff)).map(([mark, mask]): Filter => ({ kind: 'mark', mark: (mark & mask) >>> 0, mask, span: SPAN })),
    pick([0n, ...all.map((r) => r.cgroupId)]).map((id): Filter => ({ kind: 'cgroup', id, span: SPAN })),
  )
  const kTree = filterTree(kLeaf, SPAN)
  let hits = 0
  let runs = 0
  fc.assert(
    fc.property(kTree, (f) => {
      const bytes = assemble(lower(f)).bytes
      // Only sockets present before and after the filtered dump count: the zoo's TIME-WAIT socket
      // expires 60 s after it was made, and a slow run reaches that moment.
      const before = everything(null)
      const filtered = everything(bytes)
      const after = new Set(everything(null).map(key))
      const now = before.filter((r) => after.has(key(r)))
      const stable = new Set(now.map(key))
      const want = now.filter((r) => interpret(bytes, r, { trace: false }).accept).map(key).sort()
      const got = filtered.map(key).filter((k) => stable.has(k)).sort()
      runs++
      if (got.length > 0 && got.length < now.length) hits++
      if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`kernel returned\n${got.join('\n')}\ninterpret() predicted\n${want.join('\n')}`)
      return true
    }),
    { numRuns: 400 },
  )
  t.ok(hits > runs / 4, `${hits} of ${runs} filters selected a proper subset`)
})
