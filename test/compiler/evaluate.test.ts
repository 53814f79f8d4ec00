/**
 * The user-space evaluator (ss's run_ssfilter, ss-behavior §6): one table
 * line per rule, and fast-check properties for the boolean structure and
 * the v4-mapped rule.
 */
import t from 'tap'
import fc from 'fast-check'
import type { Span } from '../../grammar/ast.js'
import type { Filter, HostCond, InetPrefix } from '../../compiler/filter.js'
import type { FilterSocket } from '../../compiler/socket.js'
import { evaluate, fnmatchCasefold, isAutobound } from '../../compiler/evaluate.js'
import { lower } from '../../compiler/lower.js'
import { assemble } from '../../compiler/assemble.js'
import { interpret } from '../../compiler/interpret.js'

const S: Span = { start: 0, end: 1 }
const env = { localPortRange: [32768, 60999] as const }

// --- sockets ---
const tcp4 = (local: number[], lport: number, remote: number[] = [0, 0, 0, 0], rport = 0, extra: Partial<FilterSocket> = {}): FilterSocket => ({
  family: 2, state: 1, localAddr: Uint8Array.from(local), remoteAddr: Uint8Array.from(remote), localPort: lport, remotePort: rport, ...extra,
})
const v6 = (...tail: number[]): number[] => [...new Array<number>(16 - tail.length).fill(0), ...tail]
const mapped = (a: number[]): number[] => [...new Array<number>(10).fill(0), 0xff, 0xff, ...a]
const tcp6 = (local: number[], lport: number, remote: number[] = v6(), rport = 0, extra: Partial<FilterSocket> = {}): FilterSocket => ({
  family: 10, state: 1, localAddr: Uint8Array.from(local), remoteAddr: Uint8Array.from(remote), localPort: lport, remotePort: rport, ...extra,
})
const unix = (localName: string | undefined, ino = 100, peer = 0, remoteName?: string): FilterSocket => ({ family: 1, state: 10, localPort: ino, remotePort: peer, localName, remoteName })
const packet = (protocol: number, ifindex: number): FilterSocket => ({ family: 17, state: 7, localPort: ifindex, remotePort: 0, protocol })
const netlink = (protocol: number, portid: number): FilterSocket => ({ family: 16, state: 7, localPort: portid, remotePort: -1, protocol })
const vsock = (localCid: number, lport: number, remoteCid = 0, rport = 0): FilterSocket => ({ family: 40, state: 1, localPort: lport, remotePort: rport, localCid, remoteCid })

// --- filters ---
const p4 = (a: number[], prefixLen = 32): InetPrefix => ({ af: 2, bytes: Uint8Array.from(a), prefixLen })
const p6 = (a: number[], prefixLen = 128): InetPrefix => ({ af: 10, bytes: Uint8Array.from(a), prefixLen })
const cond = (dir: 'src' | 'dst', c: HostCond): Filter => ({ kind: 'hostcond', dir, cond: c, span: S })
const inet = (dir: 'src' | 'dst', addrs: InetPrefix[], port = -1, af: 0 | 2 | 10 = addrs[0]?.af ?? 0): Filter => cond(dir, { family: 'inet', af, addrs, port })
const src = (a: InetPrefix, port = -1): Filter => inet('src', [a], port)
const sport = (port: number): Filter => inet('src', [], port)
const dport = (port: number): Filter => inet('dst', [], port)
const glob = (dir: 'src' | 'dst', pattern: string): Filter => cond(dir, { family: 'unix', pattern })
const not = (operand: Filter): Filter => ({ kind: 'not', operand, span: S })
const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right, span: S })
const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right, span: S })
const cmp = (dir: 'src' | 'dst', c: 'ge' | 'le', port: number): Filter => ({ kind: 'portcmp', dir, cmp: c, port, span: S })
const auto: Filter = { kind: 'auto', span: S }
const T = sport(-1)

t.test('rules of run_ssfilter, one line each', async (t) => {
  const cases: [string, Filter, FilterSocket, boolean][] = [
    // ports
    ['sport = :22 vs 22', sport(22), tcp4([127, 0, 0, 1], 22), true],
    ['sport = :22 vs 23', sport(22), tcp4([127, 0, 0, 1], 23), false],
    ['sport = :0 vs 0', sport(0), tcp4([0, 0, 0, 0], 0), true],
    ['sport = :65535 vs 65535', sport(65535), tcp4([0, 0, 0, 0], 65535), true],
    ['sport = :-1 is any', sport(-1), tcp4([0, 0, 0, 0], 1234), true],
    ['sport = :70000 never', sport(70000), tcp4([0, 0, 0, 0], 70000 & 0xffff), false],
    ['dport = :443 vs remote 443', dport(443), tcp4([1, 1, 1, 1], 5000, [2, 2, 2, 2], 443), true],
    ['dport = :443 vs local 443', dport(443), tcp4([1, 1, 1, 1], 443, [2, 2, 2, 2], 5000), false],
    ['port checked before the address', src(p4([127, 0, 0, 1]), 80), tcp4([127, 0, 0, 1], 81), false],
    ['port and address', src(p4([127, 0, 0, 1]), 80), tcp4([127, 0, 0, 1], 80), true],
    // port comparisons
    ['sport >= :1024 vs 1024', cmp('src', 'ge', 1024), tcp4([0, 0, 0, 0], 1024), true],
    ['sport >= :1024 vs 1023', cmp('src', 'ge', 1024), tcp4([0, 0, 0, 0], 1023), false],
    ['sport <= :0 vs 0', cmp('src', 'le', 0), tcp4([0, 0, 0, 0], 0), true],
    ['dport <= :65535 vs 65535', cmp('dst', 'le', 65535), tcp4([0, 0, 0, 0], 1, [0, 0, 0, 0], 65535), true],
    ['sport >= :70000 never', cmp('src', 'ge', 70000), tcp4([0, 0, 0, 0], 65535), false],
    ['sport >= :-1 always', cmp('src', 'ge', -1), tcp4([0, 0, 0, 0], 0), true],
    ['not(sport <= :22) = sport > :22', not(cmp('src', 'le', 22)), tcp4([0, 0, 0, 0], 23), true],
    // inet addresses
    ['src 127.0.0.1 vs 127.0.0.1', src(p4([127, 0, 0, 1])), tcp4([127, 0, 0, 1], 1), true],
    ['src 127.0.0.1 vs 127.0.0.2', src(p4([127, 0, 0, 1])), tcp4([127, 0, 0, 2], 1), false],
    ['src 10.0.0.1/8 unmasked vs 10.9.9.9', src(p4([10, 0, 0, 1], 8)), tcp4([10, 9, 9, 9], 1), true],
    ['src 10.128.0.0/9 vs 10.127.0.1', src(p4([10, 128, 0, 0], 9)), tcp4([10, 127, 0, 1], 1), false],
    ['src 10.128.0.0/9 vs 10.255.0.1', src(p4([10, 128, 0, 0], 9)), tcp4([10, 255, 0, 1], 1), true],
    ['dst uses the remote address', inet('dst', [p4([8, 8, 8, 8])]), tcp4([1, 1, 1, 1], 1, [8, 8, 8, 8], 53), true],
    ['prefix 0 (v4) matches an IPv6 socket', src(p4([0, 0, 0, 0], 0)), tcp6(v6(1), 1), true],
    ['default (no entries) matches anything', inet('src', [], -1, 2), tcp6(v6(1), 1), true],
    ['prefix 0 with a non-zero address still matches', src(p4([9, 9, 9, 9], 0)), tcp4([1, 2, 3, 4], 1), true],
    ['src [::1] vs ::1', src(p6(v6(1))), tcp6(v6(1), 1), true],
    ['src [::1] vs ::2', src(p6(v6(2))), tcp6(v6(1), 1), false],
    ['src [fe80::]/10 vs fe80::1', src(p6([0xfe, 0x80, ...new Array<number>(14).fill(0)], 10)), tcp6([0xfe, 0x80, ...v6(1).slice(2)], 1), true],
    // v4-mapped, both directions
    ['v4 entry matches v4-mapped socket', src(p4([127, 0, 0, 1])), tcp6(mapped([127, 0, 0, 1]), 1), true],
    ['v4 entry /8 matches v4-mapped socket', src(p4([10, 0, 0, 0], 8)), tcp6(mapped([10, 1, 2, 3]), 1), true],
    ['v4 entry vs other v4-mapped socket', src(p4([127, 0, 0, 1])), tcp6(mapped([127, 0, 0, 2]), 1), false],
    ['::ffff: entry matches v4-mapped socket', src(p6(mapped([127, 0, 0, 1]))), tcp6(mapped([127, 0, 0, 1]), 1), true],
    ['::ffff: entry never matches pure IPv4', src(p6(mapped([127, 0, 0, 1]))), tcp4([127, 0, 0, 1], 1), false],
    ['::ffff:0:0/96 never matches pure IPv4', src(p6(mapped([0, 0, 0, 0]), 96)), tcp4([127, 0, 0, 1], 1), false],
    // raw comparison without family check (ss quirks kept on purpose)
    ['v4 entry compared raw with an IPv6 socket', src(p4([0xfe, 0x80, 0, 0], 16)), tcp6([0xfe, 0x80, ...v6(1).slice(2)], 1), true],
    ['v4 0.0.0.0/8 raw-matches ::ffff:1.2.3.4 (first 8 bits zero)', src(p4([0, 0, 0, 0], 8)), tcp6(mapped([1, 2, 3, 4]), 1), true],
    ['v4 0.0.0.0/8 vs 1.2.3.4', src(p4([0, 0, 0, 0], 8)), tcp4([1, 2, 3, 4], 1), false],
    // shrunk counterexample (of the test's own expectation): prefix 0 still checks the port on a v4-mapped socket
    ['0.0.0.0/0 port 1 vs ::ffff:0.0.0.0 port 0', src(p4([0, 0, 0, 0], 0), 1), tcp6(mapped([0, 0, 0, 0]), 0), false],
    ['v6 ::/8 raw-matches a v4 socket 0.x', src(p6(v6(), 8)), tcp4([0, 1, 2, 3], 1), true],
    // several entries (a host name)
    ['name: second entry matches', inet('src', [p4([10, 0, 0, 1]), p6(v6(1))]), tcp6(v6(1), 1), true],
    ['name: no entry matches', inet('src', [p4([10, 0, 0, 1]), p6(v6(1))]), tcp4([10, 0, 0, 2], 1), false],
    ['name: port still checked', inet('src', [p4([10, 0, 0, 1]), p6(v6(1))], 22), tcp4([10, 0, 0, 1], 23), false],
    // unix names
    ['unix /tmp/* vs /tmp/a/b (* crosses /)', glob('src', '/tmp/*'), unix('/tmp/a/b'), true],
    ['unix /tmp/* vs /var/x', glob('src', '/tmp/*'), unix('/var/x'), false],
    ['unix @* vs abstract', glob('src', '@*'), unix('@foo'), true],
    ['unix @* vs unnamed', glob('src', '@*'), unix(undefined), false],
    ['unix * vs unnamed (empty string)', glob('src', '*'), unix(undefined), true],
    ['unix case-insensitive', glob('src', '/RUN/*.SOCK'), unix('/run/Docker.sock'), true],
    ['unix [a-c] vs b', glob('src', '/tmp/[a-c]'), unix('/tmp/B'), true],
    ['unix [a-c] vs d', glob('src', '/tmp/[a-c]'), unix('/tmp/d'), false],
    ['unix [!a-c] vs d', glob('src', '/tmp/[!a-c]'), unix('/tmp/d'), true],
    ['unix ? is one char', glob('src', '/tmp/?'), unix('/tmp/ab'), false],
    ['unix \\* is a literal *', glob('src', '/tmp/\\*'), unix('/tmp/*'), true],
    ['unix \\* vs other', glob('src', '/tmp/\\*'), unix('/tmp/x'), false],
    ['unix dst: peer name never filled, * matches', glob('dst', '*'), unix('/x', 1, 2), true],
    ['unix dst @* vs no peer name', glob('dst', '@*'), unix('/x', 1, 2), false],
    ['unix dst with a peer name', glob('dst', '/run/*'), unix(undefined, 1, 2, '/run/x'), true],
    ['unix pattern vs an inet socket', glob('src', '*'), tcp4([1, 2, 3, 4], 1), false],
    // non-unix conditions against unix sockets
    ['sport = :11392 vs unix inode 11392', sport(11392), unix('/x', 11392), true],
    ['sport = :11392 vs unix inode 11393', sport(11392), unix('/x', 11393), false],
    ['dport = :77 vs unix peer inode 77', dport(77), unix('/x', 1, 77), true],
    ['src 127.0.0.1 never matches a unix socket', src(p4([127, 0, 0, 1])), unix('/x'), false],
    ['src default matches a unix socket', inet('src', [], -1, 0), unix('/x'), true],
    ['sport >= :100 vs unix inode', cmp('src', 'ge', 100), unix('/x', 100), true],
    // packet
    ['link:*:2 vs ifindex 2', cond('src', { family: 'link', proto: -1, ifindex: 2 }), packet(0x0003, 2), true],
    ['link:*:2 vs ifindex 3', cond('src', { family: 'link', proto: -1, ifindex: 2 }), packet(0x0003, 3), false],
    ['link:ip vs proto ip', cond('src', { family: 'link', proto: 0x0800, ifindex: -1 }), packet(0x0800, 5), true],
    ['link:ip vs proto arp', cond('src', { family: 'link', proto: 0x0800, ifindex: -1 }), packet(0x0806, 5), false],
    ['link:ip:1 vs ip on 1', cond('src', { family: 'link', proto: 0x0800, ifindex: 1 }), packet(0x0800, 1), true],
    // netlink
    ['netlink:16 vs genl', cond('src', { family: 'netlink', proto: 16, portid: -1 }), netlink(16, 123), true],
    ['netlink:16 vs rtnl', cond('src', { family: 'netlink', proto: 16, portid: -1 }), netlink(0, 123), false],
    ['netlink:*:kernel vs portid 0', cond('src', { family: 'netlink', proto: -1, portid: 0 }), netlink(0, 0), true],
    ['netlink:0:123 vs rtnl/123', cond('src', { family: 'netlink', proto: 0, portid: 123 }), netlink(0, 123), true],
    ['netlink dst port vs remote -1', cond('dst', { family: 'netlink', proto: -1, portid: 5 }), netlink(0, 5), false],
    // vsock: ss never compares CIDs in user space (its prefix is rebuilt with bitlen 0)
    ['vsock:*:1234 vs port 1234', cond('src', { family: 'vsock', cid: -1, port: 1234 }), vsock(3, 1234), true],
    ['vsock:*:1234 vs port 1235', cond('src', { family: 'vsock', cid: -1, port: 1234 }), vsock(3, 1235), false],
    ['vsock:2:1234 vs cid 3 port 1234', cond('src', { family: 'vsock', cid: 2, port: 1234 }), vsock(3, 1234), true],
    ['vsock dst port', cond('dst', { family: 'vsock', cid: -1, port: 99 }), vsock(3, 1234, 2, 99), true],
    // dev, mark, cgroup
    ['dev 1 vs ifindex 1', { kind: 'dev', ifindex: 1, span: S }, tcp4([0, 0, 0, 0], 1, [0, 0, 0, 0], 0, { ifindex: 1 }), true],
    ['dev 0 vs unbound', { kind: 'dev', ifindex: 0, span: S }, tcp4([0, 0, 0, 0], 1), true],
    ['dev 1 vs unbound', { kind: 'dev', ifindex: 1, span: S }, tcp4([0, 0, 0, 0], 1), false],
    ['fwmark 0x1/0xff vs 0x101', { kind: 'mark', mark: 1, mask: 0xff, span: S }, tcp4([0, 0, 0, 0], 1, [0, 0, 0, 0], 0, { mark: 0x101 }), true],
    ['fwmark 0x100/0xff never (mark not pre-masked)', { kind: 'mark', mark: 0x100, mask: 0xff, span: S }, tcp4([0, 0, 0, 0], 1, [0, 0, 0, 0], 0, { mark: 0x100 }), false],
    ['fwmark 0xffffffff vs 0xffffffff', { kind: 'mark', mark: 0xffffffff, mask: 0xffffffff, span: S }, tcp4([0, 0, 0, 0], 1, [0, 0, 0, 0], 0, { mark: 0xffffffff }), true],
    ['cgroup 63 vs 63', { kind: 'cgroup', id: 63n, span: S }, tcp4([0, 0, 0, 0], 1, [0, 0, 0, 0], 0, { cgroupId: 63n }), true],
    ['cgroup 63 vs TIME-WAIT (0)', { kind: 'cgroup', id: 63n, span: S }, tcp4([0, 0, 0, 0], 1), false],
    // boolean structure
    ['not', not(sport(22)), tcp4([0, 0, 0, 0], 22), false],
    ['and', and(sport(22), dport(80)), tcp4([0, 0, 0, 0], 22, [0, 0, 0, 0], 80), true],
    ['or', or(sport(21), dport(80)), tcp4([0, 0, 0, 0], 22, [0, 0, 0, 0], 80), true],
    ['T', T, tcp4([0, 0, 0, 0], 0), true],
  ]
  for (const [name, f, sock, want] of cases) t.equal(evaluate(f, sock, env), want, name)
})

t.test('autobound per family', async (t) => {
  const cases: [string, FilterSocket, boolean][] = [
    ['inet: bottom of the range', tcp4([0, 0, 0, 0], 32768), true],
    ['inet: top of the range', tcp4([0, 0, 0, 0], 60999), true],
    ['inet: below', tcp4([0, 0, 0, 0], 32767), false],
    ['inet: above', tcp4([0, 0, 0, 0], 61000), false],
    ['inet6 too', tcp6(v6(1), 40000), true],
    ['unix: unnamed', unix(undefined), true],
    ['unix: @ + 5 hex', unix('@0a1b2'), true],
    ['unix: uppercase hex is not the kernel\'s', unix('@0A1B2'), false],
    ['unix: @ + 4 hex', unix('@0a1b'), false],
    ['unix: @ + 6 hex', unix('@0a1b2c'), false],
    ['unix: a path', unix('/tmp/x'), false],
    ['packet: port 0 proto 0', packet(0, 0), true],
    ['packet: bound to a device', packet(0, 2), false],
    ['packet: with a protocol', packet(0x0800, 0), false],
    ['netlink: portid < 0', netlink(0, -4000), true],
    ['netlink: portid 0', netlink(0, 0), false],
    ['vsock: port 1024', vsock(3, 1024), true],
    ['vsock: port 1023', vsock(3, 1023), false],
  ]
  for (const [name, sock, want] of cases) t.equal(evaluate(auto, sock, env), want, name)
  t.equal(isAutobound(tcp4([0, 0, 0, 0], 1024), { localPortRange: [1024, 4999] }), true, 'ss fallback range')
})

t.test('fnmatch with FNM_CASEFOLD, no FNM_PATHNAME', async (t) => {
  const cases: [string, string, boolean][] = [
    ['', '', true], ['*', '', true], ['?', '', false], ['a*b*c', 'aXbYc', true], ['a*b*c', 'aXbY', false],
    ['*a*a*a*a*a*a*a*b', 'a'.repeat(40), false], ['**', '/x/y', true], ['[]]', ']', true], ['[!]]', 'a', true],
    ['[a-', '[a-', true], ['[^a]', 'b', true], ['a\\', 'a\\', false], ['[[:digit:]]x', '7X', true], ['[[:digit:]]', 'a', false], ['[\\]]', ']', true], ['[a\\-z]', '-', true],
    ['[a\\-z]', 'b', false], ['@*', '@', true], ['X', 'x', true], ['É', 'é', false],
  ]
  for (const [p, s, want] of cases) t.equal(fnmatchCasefold(p, s), want, `${JSON.stringify(p)} ~ ${JSON.stringify(s)}`)
})

// --- properties ---
const arbV4 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 })
const arbV6 = fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 })
const arbPort = fc.oneof(fc.constantFrom(-1, 0, 22, 65535, 70000), fc.integer({ min: 0, max: 65535 }))
const arbSock: fc.Arbitrary<FilterSocket> = fc.oneof(
  fc.record({ l: arbV4, r: arbV4, lp: fc.integer({ min: 0, max: 65535 }), rp: fc.integer({ min: 0, max: 65535 }), mark: fc.nat(0xffffffff) }).map((x) => tcp4(x.l, x.lp, x.r, x.rp, { mark: x.mark })),
  fc.record({ l: arbV6, r: arbV6, lp: fc.integer({ min: 0, max: 65535 }), rp: fc.integer({ min: 0, max: 65535 }) }).map((x) => tcp6(x.l, x.lp, x.r, x.rp)),
  fc.record({ n: fc.option(fc.constantFrom('/tmp/a', '@0a1b2', '/run/X.sock'), { nil: undefined }), ino: fc.nat(100000) }).map((x) => unix(x.n, x.ino)),
)
const arbLeaf: fc.Arbitrary<Filter> = fc.oneof(
  arbPort.map(sport),
  arbPort.map(dport),
  fc.record({ a: arbV4, len: fc.integer({ min: 0, max: 32 }), p: arbPort }).map((x) => src(p4(x.a, x.len), x.p)),
  fc.record({ a: arbV6, len: fc.integer({ min: 0, max: 128 }) }).map((x) => inet('dst', [p6(x.a, x.len)])),
  fc.record({ c: fc.constantFrom<'ge' | 'le'>('ge', 'le'), p: arbPort }).map((x) => cmp('src', x.c, x.p)),
  fc.constantFrom('*', '/tmp/*', '@*', '/RUN/*').map((p) => glob('src', p)),
  fc.constant(auto),
  fc.record({ m: fc.nat(0xff), k: fc.nat(0xff) }).map((x): Filter => ({ kind: 'mark', mark: x.m, mask: x.k, span: S })),
)
const arbFilter = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    arbLeaf,
    tie('f').map(not),
    fc.tuple(tie('f'), tie('f')).map(([a, b]) => and(a, b)),
    fc.tuple(tie('f'), tie('f')).map(([a, b]) => or(a, b)),
  ),
})).f

t.test('property: not inverts', async (t) => {
  fc.assert(fc.property(arbFilter, arbSock, (f, s) => evaluate(not(f), s, env) === !evaluate(f, s, env)), { numRuns: 2000 })
  t.pass('2000 runs')
})

t.test('property: and/or agree with && and ||', async (t) => {
  fc.assert(
    fc.property(arbFilter, arbFilter, arbSock, (a, b, s) => {
      const x = evaluate(a, s, env)
      const y = evaluate(b, s, env)
      return evaluate(and(a, b), s, env) === (x && y) && evaluate(or(a, b), s, env) === (x || y)
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 runs')
})

t.test('property: a v4 condition treats a v4 socket and its v4-mapped form alike', async (t) => {
  // ss compares raw bits first, so an entry whose first prefixLen bits are
  // all zero also matches every v4-mapped socket (see the table case
  // "v4 0.0.0.0/8 raw-matches ::ffff:1.2.3.4"). Outside that, the two agree.
  const zeroPrefix = (a: number[], len: number): boolean => a.every((b, i) => i * 8 >= len || (b & (0xff << (8 - Math.min(8, len - i * 8)))) === 0)
  fc.assert(
    fc.property(arbV4, fc.integer({ min: 0, max: 32 }), arbV4, fc.integer({ min: 0, max: 65535 }), arbPort, (a, len, s, lp, p) => {
      const f = src(p4(a, len), p)
      const plain = evaluate(f, tcp4(s, lp), env)
      const viaMapped = evaluate(f, tcp6(mapped(s), lp), env)
      if (plain) return viaMapped // a v4 match always carries over
      return viaMapped === (zeroPrefix(a, len) && (p === -1 || p === lp))
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 runs')
})

t.test('property: a v4 condition with a non-zero leading prefix matches iff on both forms', async (t) => {
  fc.assert(
    fc.property(arbV4.filter((a) => a[0]! >= 128), fc.integer({ min: 1, max: 32 }), arbV4, (a, len, s) => {
      const f = src(p4(a, len))
      return evaluate(f, tcp4(s, 1), env) === evaluate(f, tcp6(mapped(s), 1), env)
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 runs')
})

t.test('property: where ss and the kernel agree, evaluate = interpret(compile)', async (t) => {
  // The common ground (kernel-sock-diag §1.6–1.7 vs ss §6): IPv4 sockets,
  // in-range ports, IPv4 prefixes of length ≥ 1, port comparisons, marks.
  // Autobound, prefix 0 and cross-family conditions differ on purpose.
  const port = fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 65535 }), fc.constantFrom(22, 80))
  const leaf: fc.Arbitrary<Filter> = fc.oneof(
    port.map(sport),
    port.map(dport),
    fc.record({ a: arbV4, len: fc.integer({ min: 1, max: 32 }), p: port, d: fc.constantFrom<'src' | 'dst'>('src', 'dst') }).map((x) => inet(x.d, [p4(x.a, x.len)], x.p)),
    fc.record({ c: fc.constantFrom<'ge' | 'le'>('ge', 'le'), p: fc.integer({ min: 0, max: 65535 }), d: fc.constantFrom<'src' | 'dst'>('src', 'dst') }).map((x) => cmp(x.d, x.c, x.p)),
    fc.record({ m: fc.nat(0xff), k: fc.nat(0xff) }).map((x): Filter => ({ kind: 'mark', mark: x.m, mask: x.k, span: S })),
  )
  const filter = fc.letrec<{ f: Filter }>((tie) => ({
    f: fc.oneof({ depthSize: 'small' }, leaf, tie('f').map(not), fc.tuple(tie('f'), tie('f')).map(([a, b]) => and(a, b)), fc.tuple(tie('f'), tie('f')).map(([a, b]) => or(a, b))),
  })).f
  const near = fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [127, 0, 0, 1])
  const sock = fc.record({ l: fc.oneof(arbV4, near), r: fc.oneof(arbV4, near), lp: fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(22, 80)), rp: fc.oneof(fc.integer({ min: 0, max: 65535 }), fc.constantFrom(22, 80)), mark: fc.nat(0x1ff) })
    .map((x) => tcp4(x.l, x.lp, x.r, x.rp, { mark: x.mark, userlocks: 0, cgroupId: 0n, ifindex: 0 }))
  fc.assert(
    fc.property(filter, sock, (f, s) => interpret(assemble(lower(f)).bytes, s, { trace: false }).accept === evaluate(f, s, env)),
    { numRuns: 2000 },
  )
  t.pass('2000 runs')
})
