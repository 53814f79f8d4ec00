/**
 * The resolve pass against a fake resolver: ss's tree shapes (§3.4), every
 * value kind, every error message with its span, and the order in which
 * values are resolved.
 */
import t from 'tap'
import type { Expr, HostValue, InetHost, PortSpec, Span, CmpOp } from '../../grammar/ast.js'
import { FilterError } from '../../grammar/errors.js'
import { resolveFilter, strtoulWhole, type Resolver } from '../../compiler/resolve.js'
import type { Filter } from '../../compiler/filter.js'

const sp = (start: number, end: number): Span => ({ start, end })
const S = sp(0, 1)

// --- AST builders (the parser is someone else's; these build what it emits) ---
const inet = (addr: InetHost['addr'], port: PortSpec = { kind: 'any' }, span = S, af: 0 | 2 | 10 = 0): InetHost => ({ family: 'inet', af, addr, port, text: 'v', span })
const portOnly = (port: PortSpec, span = S): InetHost => inet(null, port, span)
const num = (value: number): PortSpec => ({ kind: 'number', value })
const svc = (name: string): PortSpec => ({ kind: 'service', name })
const v4 = (a: number[], prefixLen = 32): InetHost['addr'] => ({ kind: 'prefix', af: 2, bytes: a, prefixLen })
const named = (name: string, af: 0 | 2 | 10 = 0): InetHost['addr'] => ({ kind: 'name', name, af })
const host = (dir: 'src' | 'dst', value: HostValue, span = S): Expr => ({ kind: 'host', dir, value, span })
const port = (dir: 'src' | 'dst', op: CmpOp, value: HostValue, span = S): Expr => ({ kind: 'port', dir, op, value, span })
const and = (left: Expr, right: Expr): Expr => ({ kind: 'and', left, right, implicit: false, span: sp(left.span.start, right.span.end) })
const or = (left: Expr, right: Expr): Expr => ({ kind: 'or', left, right, span: sp(left.span.start, right.span.end) })
const dev = (device: string, negated = false, valueSpan = sp(4, 4 + device.length)): Expr => ({ kind: 'dev', negated, device, valueSpan, span: sp(0, valueSpan.end) })
const cg = (path: string, negated = false, valueSpan = sp(7, 7 + path.length)): Expr => ({ kind: 'cgroup', negated, path, valueSpan, span: sp(0, valueSpan.end) })

const fake: Resolver = {
  service: (name, proto) => ({ 'ssh/tcp': 22, 'http/tcp': 80, 'ambig/tcp': 1000, 'ambig/udp': 2000, 'dns/udp': 53 } as Record<string, number>)[`${name}/${proto}`],
  hosts: async (name, af) => {
    const table: Record<string, { af: 2 | 10; bytes: Uint8Array; prefixLen: number }[]> = {
      two: [
        { af: 2, bytes: Uint8Array.of(10, 0, 0, 1), prefixLen: 32 },
        { af: 10, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), prefixLen: 128 },
      ],
      four: [{ af: 2, bytes: Uint8Array.of(127, 0, 0, 2), prefixLen: 32 }],
    }
    return (table[name] ?? []).filter((p) => af === 0 || p.af === af)
  },
  ifindex: (name) => ({ lo: 1, eth0: 2, '7': 9 } as Record<string, number>)[name],
  cgroupId: (path) => (path === '/sys/fs/cgroup/x' || path === 'x' ? 63n : path === '/zero' ? 0n : { failure: 'Failed to find cgroup2 mount' }),
  netlinkProto: (name) => ({ rtnl: 0, genl: 16 } as Record<string, number>)[name],
}
const both = { tables: { tcp: true, udp: true } }
const tcpOnly = { tables: { tcp: true, udp: false } }
const udpOnly = { tables: { tcp: false, udp: true } }
const none = { tables: { tcp: false, udp: false } }

/** The tree without spans, for compact expectations. */
const shape = (f: Filter): unknown => {
  switch (f.kind) {
    case 'and':
    case 'or':
      return [f.kind, shape(f.left), shape(f.right)]
    case 'not':
      return [f.sugar ? 'not~' : 'not', shape(f.operand)]
    case 'hostcond':
      return f.cond.family === 'inet'
        ? [f.dir, f.cond.af, f.cond.port, ...f.cond.addrs.map((a) => `${a.af}:${[...a.bytes].join('.')}/${a.prefixLen}`)]
        : [f.dir, f.cond]
    case 'portcmp':
      return [`${f.dir}-${f.cmp}`, f.port]
    case 'dev':
      return ['dev', f.ifindex]
    case 'mark':
      return ['mark', f.mark, f.mask]
    case 'cgroup':
      return ['cgroup', f.id]
    case 'auto':
      return ['auto']
  }
}

t.test('tree shapes (ss-behavior §3.4)', async (t) => {
  const cases: [string, Expr, unknown, typeof both?][] = [
    ['dport = :22', port('dst', 'eq', portOnly(num(22))), ['dst', 0, 22]],
    ['sport == :22', port('src', 'eq', portOnly(num(22))), ['src', 0, 22]],
    ['dport != :22', port('dst', 'ne', portOnly(num(22))), ['not~', ['dst', 0, 22]]],
    ['dport > :22', port('dst', 'gt', portOnly(num(22))), ['not~', ['dst-le', 22]]],
    ['dport < :22', port('dst', 'lt', portOnly(num(22))), ['not~', ['dst-ge', 22]]],
    ['sport >= :1024', port('src', 'ge', portOnly(num(1024))), ['src-ge', 1024]],
    ['sport <= :1023', port('src', 'le', portOnly(num(1023))), ['src-le', 1023]],
    ['sport >= *', port('src', 'ge', portOnly({ kind: 'any' })), ['src-ge', -1]],
    ['dport = :-1 is any', port('dst', 'eq', portOnly(num(-1))), ['dst', 0, -1]],
    ['dport = :70000 kept', port('dst', 'eq', portOnly(num(70000))), ['dst', 0, 70000]],
    ['port mode ignores the address part', port('dst', 'eq', inet(v4([1, 2, 3, 4]), num(5))), ['dst', 0, 5]],
    ['-4 sport = :22 keeps family 0', port('src', 'eq', inet(null, num(22), S, 2)), ['src', 0, 22]],
    ['src 127.0.0.1', host('src', inet(v4([127, 0, 0, 1]))), ['src', 2, -1, '2:127.0.0.1/32']],
    ['dst 10.0.0.1/16:443 unmasked', host('dst', inet(v4([10, 0, 0, 1], 16), num(443))), ['dst', 2, 443, '2:10.0.0.1/16']],
    ['src default', host('src', inet({ kind: 'default', af: 0 })), ['src', 0, -1]],
    ['src inet:default', host('src', inet({ kind: 'default', af: 2 }, { kind: 'any' }, S, 2)), ['src', 2, -1]],
    ['src *:80', host('src', inet(null, num(80))), ['src', 0, 80]],
    ['src two (both families, v4 first)', host('src', inet(named('two'))), ['src', 2, -1, '2:10.0.0.1/32', '10:0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1/128']],
    ['src inet6:two', host('src', inet(named('two', 10))), ['src', 10, -1, '10:0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1/128']],
    ['src two:ssh', host('src', inet(named('four'), svc('ssh'))), ['src', 2, 22, '2:127.0.0.2/32']],
    ['service: tcp wins when both tables', port('src', 'eq', portOnly(svc('ambig'))), ['src', 0, 1000]],
    ['service: udp only', port('src', 'eq', portOnly(svc('ambig'))), ['src', 0, 2000], udpOnly],
    ['service: tcp only', port('src', 'eq', portOnly(svc('ambig'))), ['src', 0, 1000], tcpOnly],
    ['service: udp-only name with both tables', port('src', 'eq', portOnly(svc('dns'))), ['src', 0, 53]],
    ['service in a port comparison', port('src', 'gt', portOnly(svc('ssh'))), ['not~', ['src-le', 22]]],
    ['dev lo', dev('lo'), ['dev', 1]],
    ['dev != eth0', dev('eth0', true), ['not~', ['dev', 2]]],
    ['dev 7: names first', dev('7'), ['dev', 9]],
    ['dev 99 (no such name)', dev('99'), ['dev', 99]],
    ['dev 0x10', dev('0x10'), ['dev', 16]],
    ['dev 010 (octal)', dev('010'), ['dev', 8]],
    ['dev 0', dev('0'), ['dev', 0]],
    ['dev if5 (ll_idx_a2n)', dev('if5'), ['dev', 5]],
    ['dev 4294967295', dev('4294967295'), ['dev', 4294967295]],
    ['fwmark 0x1/0xff', { kind: 'fwmark', negated: false, mark: 1, mask: 0xff, valueSpan: S, span: S }, ['mark', 1, 0xff]],
    ['fwmark != 0x1', { kind: 'fwmark', negated: true, mark: 1, mask: 0xffffffff, valueSpan: S, span: S }, ['not~', ['mark', 1, 0xffffffff]]],
    ['cgroup /sys/fs/cgroup/x', cg('/sys/fs/cgroup/x'), ['cgroup', 63n]],
    ['cgroup != x', cg('x', true), ['not~', ['cgroup', 63n]]],
    ['autobound', { kind: 'autobound', span: S }, ['auto']],
    ['! ! autobound keeps both nots', { kind: 'not', operand: { kind: 'not', operand: { kind: 'autobound', span: S }, span: S }, span: S }, ['not', ['not', ['auto']]]],
    ['a or b and c', and(or(dev('lo'), dev('eth0')), { kind: 'autobound', span: S }), ['and', ['or', ['dev', 1], ['dev', 2]], ['auto']]],
    ['src unix:/tmp/*', host('src', { family: 'unix', pattern: '/tmp/*', text: 'unix:/tmp/*', span: S }), ['src', { family: 'unix', pattern: '/tmp/*' }]],
    ['unix value in a port comparison has port -1', port('src', 'ge', { family: 'unix', pattern: ':5', text: ':5', span: S }), ['src-ge', -1]],
    ['src link:*:lo', host('src', { family: 'link', proto: null, iface: { kind: 'name', name: 'lo' }, text: '', span: S }), ['src', { family: 'link', proto: -1, ifindex: 1 }]],
    ['src link:ip:3', host('src', { family: 'link', proto: 0x800, iface: { kind: 'index', index: 3 }, text: '', span: S }), ['src', { family: 'link', proto: 0x800, ifindex: 3 }]],
    ['sport > link:2', port('src', 'gt', { family: 'link', proto: null, iface: { kind: 'index', index: 2 }, text: '', span: S }), ['not~', ['src-le', 2]]],
    ['src netlink:genl:kernel', host('src', { family: 'netlink', proto: { name: 'genl' }, portid: 0, text: '', span: S }), ['src', { family: 'netlink', proto: 16, portid: 0 }]],
    ['src netlink:*', host('src', { family: 'netlink', proto: null, portid: null, text: '', span: S }), ['src', { family: 'netlink', proto: -1, portid: -1 }]],
    ['src netlink:4:7', host('src', { family: 'netlink', proto: 4, portid: 7, text: '', span: S }), ['src', { family: 'netlink', proto: 4, portid: 7 }]],
    ['src vsock:2:1234', host('src', { family: 'vsock', cid: 2, port: 1234, text: '', span: S }), ['src', { family: 'vsock', cid: 2, port: 1234 }]],
    ['src vsock:*', host('src', { family: 'vsock', cid: null, port: null, text: '', span: S }), ['src', { family: 'vsock', cid: -1, port: -1 }]],
  ]
  for (const [name, expr, want, ctx] of cases) t.strictSame(shape(await resolveFilter(expr, fake, ctx ?? both)), want, name)
})

t.test('sugar nots and predicates keep the predicate span', async (t) => {
  const f = await resolveFilter(port('dst', 'gt', portOnly(num(1)), sp(3, 12)), fake, both)
  t.strictSame(f.span, sp(3, 12))
  t.equal(f.kind === 'not' && f.sugar, true)
  t.strictSame(f.kind === 'not' && f.operand.span, sp(3, 12))
})

t.test('prefix bytes are copied, not shared with the AST', async (t) => {
  const bytes = [1, 2, 3, 4]
  const f = await resolveFilter(host('src', inet(v4(bytes))), fake, both)
  t.ok(f.kind === 'hostcond' && f.cond.family === 'inet' && f.cond.addrs[0]!.bytes instanceof Uint8Array)
})

t.test('errors: ss wording, code, span of the value', async (t) => {
  const V = sp(10, 20)
  const cases: [string, Expr, string, string, Span, typeof both?][] = [
    ['unknown service', port('src', 'eq', portOnly(svc('nosuch'), V)), 'E_PORT', '"nosuch" does not look like a port.', V],
    ['http with only udp', port('src', 'eq', portOnly(svc('http'), V)), 'E_PORT', '"http" does not look like a port.', V, udpOnly],
    ['any name without tcp/udp', port('src', 'eq', portOnly(svc('ssh'), V)), 'E_PORT', '"ssh" does not look like a port.', V, none],
    ['unknown host', host('src', inet(named('nonexistent.invalid'), { kind: 'any' }, V)), 'E_HOST', 'an inet prefix is expected rather than "nonexistent.invalid".', V],
    ['v4-only name with inet6', host('src', inet(named('four', 10), { kind: 'any' }, V)), 'E_HOST', 'an inet prefix is expected rather than "four".', V],
    ['unknown device', dev('nosuchdev', false, V), 'E_DEVICE', 'Cannot parse device.', V],
    ['device: trailing garbage', dev('12x', false, V), 'E_DEVICE', 'Cannot parse device.', V],
    ['device: over 32 bits', dev('4294967296', false, V), 'E_DEVICE', 'Cannot parse device.', V],
    ['device: negative', dev('-1', false, V), 'E_DEVICE', 'Cannot parse device.', V],
    ['device: 08 is not octal', dev('08', false, V), 'E_DEVICE', 'Cannot parse device.', V],
    ['device: empty', dev('', false, V), 'E_DEVICE', 'Cannot parse device.', V],
    ['cgroup: no mount', cg('/nonexistent', false, V), 'E_CGROUP', 'Cannot parse cgroup /nonexistent.', V],
    ['cgroup: id 0 is a failure', cg('/zero', false, V), 'E_CGROUP', 'Cannot parse cgroup /zero.', V],
    ['link: unknown device', host('src', { family: 'link', proto: null, iface: { kind: 'name', name: 'nosuch' }, text: '', span: V }), 'E_ADDRESS', 'Cannot parse dst/src address.', V],
    ['netlink: unknown protocol', host('src', { family: 'netlink', proto: { name: 'kernel' }, portid: null, text: '', span: V }), 'E_ADDRESS', 'Cannot parse dst/src address.', V],
  ]
  for (const [name, expr, code, message, span, ctx] of cases) {
    const err = await resolveFilter(expr, fake, ctx ?? both).then(() => null, (e: unknown) => e)
    t.ok(err instanceof FilterError, `${name}: FilterError`)
    const e = err as FilterError
    t.strictSame([e.code, e.message, e.span], [code, message, span], name)
  }
})

t.test('error notes carry ss\'s second line and the reason', async (t) => {
  const e1 = (await resolveFilter(host('src', inet(named('x'))), fake, both).catch((e: unknown) => e)) as FilterError
  t.strictSame(e1.notes, ['Cannot parse dst/src address.'])
  const e2 = (await resolveFilter(cg('/nonexistent'), fake, both).catch((e: unknown) => e)) as FilterError
  t.strictSame(e2.notes, ['Failed to find cgroup2 mount'])
  const e3 = (await resolveFilter(port('src', 'eq', portOnly(svc('x'))), fake, none).catch((e: unknown) => e)) as FilterError
  t.match(e3.notes[1], /only when the tcp or udp table is selected/)
})

t.test('the first failing value in source order is reported', async (t) => {
  const A = sp(0, 5)
  const B = sp(10, 15)
  const e1 = (await resolveFilter(and(port('src', 'eq', portOnly(svc('bad1'), A)), dev('nosuch', false, B)), fake, both).catch((e: unknown) => e)) as FilterError
  t.strictSame([e1.message, e1.span], ['"bad1" does not look like a port.', A])
  const e2 = (await resolveFilter(or(dev('nosuch', false, A), port('src', 'eq', portOnly(svc('bad1'), B))), fake, both).catch((e: unknown) => e)) as FilterError
  t.strictSame([e2.message, e2.span], ['Cannot parse device.', A])
  // Within one value the port part is parsed before the address (ss's parse_hostcond).
  const e3 = (await resolveFilter(host('src', inet(named('nohost'), svc('noport'), B)), fake, both).catch((e: unknown) => e)) as FilterError
  t.equal(e3.message, '"noport" does not look like a port.')
})

t.test('lookups happen in source order, one at a time', async (t) => {
  const seen: string[] = []
  const slow: Resolver = {
    ...fake,
    hosts: async (name, af) => {
      await new Promise((r) => setTimeout(r, name === 'two' ? 20 : 0))
      seen.push(name)
      return fake.hosts(name, af)
    },
  }
  await resolveFilter(or(host('src', inet(named('two'))), host('dst', inet(named('four')))), slow, both)
  t.strictSame(seen, ['two', 'four'])
})

t.test('a resolver may answer with promises everywhere', async (t) => {
  const asyncFake: Resolver = {
    service: async (n, p) => fake.service(n, p),
    hosts: async (n, af) => fake.hosts(n, af),
    ifindex: async (n) => fake.ifindex(n),
    cgroupId: async (p) => fake.cgroupId(p),
    netlinkProto: async (n) => fake.netlinkProto(n),
  }
  t.strictSame(shape(await resolveFilter(and(dev('lo'), cg('x')), asyncFake, both)), ['and', ['dev', 1], ['cgroup', 63n]])
})

t.test('strtoulWhole: C strtoul base 0, whole string, 32 bits', async (t) => {
  const cases: [string, number | undefined][] = [
    ['0', 0], ['42', 42], ['0x2a', 42], ['0X2A', 42], ['052', 42], [' 7', 7], ['+7', 7], ['-0', 0],
    ['-1', undefined], ['0x', undefined], ['09', undefined], ['7 ', undefined], ['', undefined], ['4294967296', undefined], ['0xffffffff', 0xffffffff],
  ]
  for (const [s, want] of cases) t.equal(strtoulWhole(s), want, JSON.stringify(s))
})
