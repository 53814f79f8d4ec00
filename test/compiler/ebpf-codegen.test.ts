// iter/tcp and iter/udp code generation, pure: a fixed made-up kernel layout (so the
// listings do not depend on the machine), golden listings for a few filters,
// and structural checks every program must pass before the verifier sees it.
import t from 'tap'
import fc from 'fast-check'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ITER_NUMA_DROPS_TCP_BTF, ITER_SOCK_EXTRA_TCP_BTF, ITER_TCP_BBR_BTF, ITER_TCP_BTF, ITER_TCP_INFO_BTF, ITER_TCP_MPTCP_BTF, ITER_UDP_BTF, MPTCP_SUBFLOW_FLAG_MEMBERS } from '../../uapi/bpf.js'
import type { IterLayout, MemberSlot, UdpIterLayout } from '../../uapi/bpf.js'
import type { Filter } from '../../compiler/filter.js'
import { compileIterTcp, compileIterUdp, dropUnreachable, generateIterTcp, generateIterUdp } from '../../compiler/ebpf/codegen.js'
import { decode, formatListing } from '../../compiler/ebpf/disasm.js'
import type { Insn } from '../../compiler/ebpf/ir.js'
import { filterTree } from '../props/expr-tree.js'

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'ebpf')
const UPDATE = process.env.UPDATE_GOLDEN === '1'
const SPAN = { start: 0, end: 0 }

/** Made-up member slots: member i at 8·i (bitfields none), pointers and u64 members 8 bytes. */
const fakeMembers = (keys: readonly string[]): Record<string, MemberSlot> => Object.fromEntries(keys.map((k, i): [string, MemberSlot] => [k, {
  off: 8 * i,
  size: /addr|saddr|daddr/.test(k) ? 4 : /^(ctx_meta|ctx_sk_common|ctx_udp_sk|meta_seq|sk_socket|socket_file|file_inode|inode_ino|sk_cgroup|cgroup_kn|kn_id|skc_cookie|bytes_|skc_net|net_udp_table|node_next|hlist_next|icsk_timeout|sk_timer_|tw_timer_|rsk_timer_|sk_pacing_rate|sk_max_pacing_rate|icsk_ca_ops|icsk_ulp_ops|icsk_ulp_data|sk_drop_counters|pinet6|map_seq)/.test(k) ? 8 : k === 'ca_name' || k === 'ulp_name' ? 16 : k === 'local_id' ? 2 : 4,
  bitShift: 0,
  bitSize: 0,
}]))

/** A layout with made-up offsets, helpers 200+. */
const layout: IterLayout = {
  attachBtfId: 4242,
  helpers: { seq_write: 201, skc_to_tcp_sock: 202, skc_to_tcp_timewait_sock: 203, skc_to_tcp_request_sock: 204, jiffies64: 205 },
  members: fakeMembers(Object.keys(ITER_TCP_BTF.members)) as IterLayout['members'],
  // The tables a listing resolves for -i (and the time predicates), and for -m/--tos.
  info: { attachBtfId: 4242, helpers: { probe_read_kernel: 206 }, members: fakeMembers(Object.keys(ITER_TCP_INFO_BTF.members)) as NonNullable<IterLayout['info']>['members'] },
  extra: { ...fakeMembers(Object.keys(ITER_SOCK_EXTRA_TCP_BTF.members)), numaDrops: fakeMembers(Object.keys(ITER_NUMA_DROPS_TCP_BTF.members)) } as NonNullable<IterLayout['extra']>,
}
/** The same with BBR's private state and MPTCP's subflow context resolved (the `-i` block's `bbr:(…)` and `tcp-ulp-mptcp …`). */
const bbrLayout: IterLayout = {
  ...layout,
  bbr: fakeMembers(Object.keys(ITER_TCP_BBR_BTF.members)) as NonNullable<IterLayout['bbr']>,
  mptcp: {
    ...fakeMembers(Object.keys(ITER_TCP_MPTCP_BTF.members)),
    // The flag bits share a storage unit (bitfields, and a bool beside them), as in the kernel's struct.
    ...Object.fromEntries(MPTCP_SUBFLOW_FLAG_MEMBERS.map((k, i): [string, MemberSlot] => [k, k === 'fully_established' ? { off: 8 * 40 + 7, size: 1, bitShift: 0, bitSize: 0 } : { off: 8 * 40, size: 4, bitShift: i, bitSize: 1 }])),
  } as NonNullable<IterLayout['mptcp']>,
}
const udpLayout: UdpIterLayout = {
  attachBtfId: 4343,
  helpers: { seq_write: 201 },
  members: fakeMembers(Object.keys(ITER_UDP_BTF.members)) as UdpIterLayout['members'],
  extra: layout.extra!,
}
const env = { localPortRange: [32768, 60999] as const }

const listing = (f: Filter | null, source?: string, opts: { udp?: boolean, timers?: boolean, info?: boolean, hz?: number, bbr?: boolean, memory?: boolean, tos?: boolean } = {}): string => {
  const { udp, bbr, ...rest } = opts
  const p = udp ? compileIterUdp(f, udpLayout, { ...env, ...rest }) : compileIterTcp(f, bbr ? bbrLayout : layout, { ...env, ...rest })
  return formatListing(decode(p.bytes), { placed: p.insns, ...(source ? { source } : {}) })
}

t.test('golden listings', async (t) => {
  const sport = (port: number): Filter => ({ kind: 'hostcond', dir: 'src', cond: { family: 'inet', af: 0, addrs: [], port }, span: { start: 0, end: 11 } })
  const cases: [string, Filter | null, string, object?][] = [
    ['unfiltered', null, ''],
    ['sport-22', sport(22), 'sport = :22'],
    ['rtt-or-v4-mapped', {
      kind: 'or', span: { start: 0, end: 29 },
      left: { kind: 'metric', field: 'rtt', op: 'gt', value: 50000, span: { start: 0, end: 10 } },
      right: { kind: 'hostcond', dir: 'dst', cond: { family: 'inet', af: 2, addrs: [{ af: 2, bytes: Uint8Array.from([127, 0, 0, 0]), prefixLen: 8 }], port: -1 }, span: { start: 14, end: 29 } },
    }, 'rtt > 50ms or dst 127.0.0.0/8'],
    ['established-v6', null, '', { states: 1 << 1, families: 1 << 10 }],
    // -o/-e: the timer inet_diag reports, its deadline in jiffies (bpf_jiffies64).
    ['timers', null, '', { timers: true }],
    // -i: the tcp_info block after the record, jiffies converted for HZ 250, BBR's block; 352-byte writes.
    ['info-bbr', null, '', { info: true, hz: 250, bbr: true }],
    // -m and --tos: the block before the record (memory counters, TOS fields), written with it.
    ['memory-tos', null, '', { memory: true, tos: true }],
    ['udp-memory-tos', null, '', { udp: true, memory: true, tos: true }],
    // The time predicates read the block (gathered, not written); HZ 300 does not divide 1000: the fraction, rounded up for ms.
    ['lastsnd-hz300', { kind: 'metric', field: 'lastsnd', op: 'gt', value: 5000000, span: { start: 0, end: 12 } }, 'lastsnd > 5s', { hz: 300 }],
    // iter/udp: no tcp_info (rtt folds to false), udp_diag's queues, the walk-order keys after the test.
    ['udp-unfiltered', null, '', { udp: true }],
    ['udp-rtt-or-v4-mapped', {
      kind: 'or', span: { start: 0, end: 29 },
      left: { kind: 'metric', field: 'rtt', op: 'gt', value: 50000, span: { start: 0, end: 10 } },
      right: { kind: 'hostcond', dir: 'dst', cond: { family: 'inet', af: 2, addrs: [{ af: 2, bytes: Uint8Array.from([127, 0, 0, 0]), prefixLen: 8 }], port: -1 }, span: { start: 14, end: 29 } },
    }, 'rtt > 50ms or dst 127.0.0.0/8', { udp: true }],
  ]
  for (const [name, f, source, opts] of cases) {
    const text = listing(f, source || undefined, opts)
    const file = join(GOLDEN, `${name}.asm`)
    if (UPDATE) writeFileSync(file, text)
    t.equal(text, readFileSync(file, 'utf8'), name)
  }
})

const leaf: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), port: fc.integer({ min: -1, max: 65535 }), n: fc.integer({ min: 0, max: 128 }), six: fc.boolean() })
    .map(({ dir, port, n, six }): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: six ? 10 : 2, addrs: [{ af: six ? 10 : 2, bytes: new Uint8Array(six ? 16 : 4).fill(0x7f), prefixLen: six ? n : Math.min(n, 32) }], port }, span: SPAN })),
  fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), cmp: fc.constantFrom('ge' as const, 'le' as const), port: fc.integer({ min: -5, max: 70000 }) }).map((x): Filter => ({ kind: 'portcmp', ...x, span: SPAN })),
  fc.integer().map((ifindex): Filter => ({ kind: 'dev', ifindex, span: SPAN })),
  fc.record({ mark: fc.integer(), mask: fc.integer() }).map((x): Filter => ({ kind: 'mark', ...x, span: SPAN })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((id): Filter => ({ kind: 'cgroup', id, span: SPAN })),
  fc.constant<Filter>({ kind: 'auto', span: SPAN }),
  fc.record({ field: fc.constantFrom('rtt' as const, 'cwnd' as const, 'bytes_acked' as const, 'uid' as const, 'rqueue' as const, 'rto' as const, 'lastsnd' as const, 'lastack' as const), op: fc.constantFrom('eq' as const, 'ne' as const, 'lt' as const, 'le' as const, 'gt' as const, 'ge' as const), value: fc.oneof(fc.integer({ min: -10, max: 2 ** 40 }), fc.double({ noNaN: true, min: -1e20, max: 1e20 })) })
    .map((x): Filter => ({ kind: 'metric', ...x, span: SPAN })),
)
const tree = filterTree(leaf, SPAN)

t.test('every generated program: assembles, no unreachable instruction, ends in exit, stack in bounds, deterministic', async (t) => {
  fc.assert(fc.property(fc.option(tree, { nil: null }), fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }), fc.boolean(), fc.boolean(), fc.boolean(), fc.constantFrom(100, 250, 300, 1000), fc.boolean(), fc.boolean(), fc.boolean(), (f, states, udp, timers, info, hz, bbr, memory, tos) => {
    const tcpLayout = bbr ? bbrLayout : layout
    const generate = udp ? (g: Filter | null, o: object): Insn[] => generateIterUdp(g, udpLayout, { ...env, ...o }) : (g: Filter | null, o: object): Insn[] => generateIterTcp(g, tcpLayout, { ...env, ...o })
    const compile = udp ? (g: Filter | null, o: object) => compileIterUdp(g, udpLayout, { ...env, ...o }) : (g: Filter | null, o: object) => compileIterTcp(g, tcpLayout, { ...env, ...o })
    const o = { timers, info, hz, memory, tos, ...(states !== undefined ? { states } : {}) }
    const ir = generate(f, o)
    const p = compile(f, o)
    if (dropUnreachable(ir).length !== ir.length) throw new Error('unreachable instructions left in')
    const last = p.insns.at(-1)!.insn
    if (last.op !== 'exit') throw new Error('the program does not end in exit')
    for (const { insn } of p.insns) {
      if ((insn.op === 'ldx' && insn.src === 10) || ((insn.op === 'stx' || insn.op === 'st') && insn.dst === 10)) {
        if (insn.off >= 0 || insn.off < -512) throw new Error(`stack access at r10${insn.off}`)
      }
    }
    const again = compile(f, o)
    if (Buffer.compare(Buffer.from(again.bytes), Buffer.from(p.bytes)) !== 0) throw new Error('not deterministic')
  }), { numRuns: 1000 })
  t.pass('1000 programs')
})

t.test('jiffies-based metrics and -i need the kernel\'s HZ: a typed error without it, a program with it', async (t) => {
  for (const field of ['rto', 'lastsnd', 'lastrcv', 'lastack'] as const) {
    const f: Filter = { kind: 'metric', field, op: 'gt', value: 1, span: { start: 3, end: 9 } }
    t.throws(() => generateIterTcp(f, layout, env), { name: 'FilterError', code: 'E_EBPF_UNSUPPORTED' }, `${field} without HZ`)
    t.ok(generateIterTcp(f, layout, { ...env, hz: 250 }).length > 50, `${field} with HZ`)
  }
  t.throws(() => generateIterTcp(null, layout, { ...env, info: true }), { name: 'FilterError', code: 'E_EBPF_UNSUPPORTED' }, '-i without HZ')
  const ok: Insn[] = generateIterTcp(null, layout, env)
  t.ok(ok.length > 50)
})

t.test('without -i and time predicates the program neither reads nor writes the -i block (the fast path keeps its size)', async (t) => {
  const write = (f: Filter | null, o: object): number => {
    const ir = generateIterTcp(f, layout, { ...env, ...o })
    const i = ir.findIndex((x) => x.op === 'call' && x.name === 'bpf_seq_write')
    const size = ir.slice(0, i).reverse().find((x) => x.op === 'alu' && x.alu === 'mov' && x.dst === 3)
    return size?.op === 'alu' && 'imm' in size.src ? size.src.imm : -1
  }
  t.equal(write(null, {}), 176, 'plain record')
  t.equal(write(null, { info: true, hz: 250 }), 432, 'record and -i block')
  t.equal(write(null, { memory: true }), 224, '-m block and record')
  t.equal(write(null, { tos: true, info: true, hz: 250 }), 480, '--tos block, record and -i block')
  t.equal(write({ kind: 'metric', field: 'lastsnd', op: 'gt', value: 1, span: SPAN }, { hz: 250 }), 176, 'a time predicate reads the block, -i alone writes it')
  const plain = generateIterTcp(null, layout, env).length
  t.ok(generateIterTcp(null, layout, { ...env, info: true, hz: 250 }).length > plain + 60, 'the block costs instructions only when asked for')
})

t.test('iter/udp: every tcp_info metric, jiffies-based ones too, is false on a UDP socket (no load, a jump to "no")', async (t) => {
  for (const field of ['rto', 'lastsnd', 'rtt', 'cwnd'] as const) {
    const yes = compileIterUdp({ kind: 'metric', field, op: 'ge', value: 0, span: SPAN }, udpLayout, env)
    const no = compileIterUdp({ kind: 'not', operand: { kind: 'hostcond', dir: 'src', cond: { family: 'inet', af: 0, addrs: [], port: -1 }, span: SPAN }, span: SPAN }, udpLayout, env)
    t.equal(Buffer.from(yes.bytes).toString('hex'), Buffer.from(no.bytes).toString('hex'), `${field} >= 0 compiles as a filter nothing passes`)
    const not = compileIterUdp({ kind: 'not', operand: { kind: 'metric', field, op: 'ge', value: 0, span: SPAN }, span: SPAN }, udpLayout, env)
    t.equal(Buffer.from(not.bytes).toString('hex'), Buffer.from(compileIterUdp(null, udpLayout, env).bytes).toString('hex'), `not ${field} >= 0 compiles as no filter`)
  }
})
