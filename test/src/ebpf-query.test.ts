// Which listings the eBPF target takes (src/ebpf-query.ts ebpfTargetIssue,
// chooseListingTarget): -i, -m, --tos and the time predicates run there now;
// what still cannot gets a reason naming it. The checks that only the machine
// can answer (root, BTF, HZ) come last in ebpfTargetIssue: the cases here are
// decided before them, or assert only that the reason is not about the option.
import t from 'tap'
import { chooseListingTarget, ebpfTargetIssue, type ListingExtras } from '../../src/ebpf-query.js'
import { SS_ALL, TABLE } from '../../compiler/select.js'
import type { Filter } from '../../compiler/filter.js'
import { AF } from '../../uapi/inet-diag.js'

const SPAN = { start: 0, end: 0 }
const INET = (1 << AF.AF_INET) | (1 << AF.AF_INET6)
const sel = (tables: number, families = INET) => ({ tables, families, states: SS_ALL, preferredFamily: 0 })
const TCP = sel(1 << TABLE.tcp)
const UDP = sel(1 << TABLE.udp)
const TCP_UNIX = sel((1 << TABLE.tcp) | (1 << TABLE.unix_stream), INET | (1 << AF.AF_UNIX))
const lastsnd: Filter = { kind: 'metric', field: 'lastsnd', op: 'gt', value: 5e6, span: SPAN }

t.test('refused, with a reason naming what is missing', async (t) => {
  const cases: [string, Filter | null, ReturnType<typeof sel>, ListingExtras, RegExp][] = [
    ['--json -i', null, TCP, { info: true, json: true }, /^--json -i needs tcp_info members the iterator does not read/],
    ['--ndjson -i', lastsnd, TCP, { info: true, ndjson: true }, /^--ndjson -i needs/],
    ['-m with unix sockets', null, TCP_UNIX, { memory: true }, /^-m needs the memory counters of unix sockets/],
    ['--inet-sockopt', null, TCP, { inetSockopt: true }, /^--inet-sockopt needs fields the iterator does not read yet/],
    ['raw sockets', null, sel(1 << TABLE.raw), {}, /TCP, UDP and unix sockets only/],
  ]
  for (const [what, f, s, extras, reason] of cases) t.match(ebpfTargetIssue(f, s, extras), reason, what)
})

t.test('taken: -i, -m, --tos, the time predicates (at most a machine reason: root, BTF, HZ)', async (t) => {
  const machine = /root|BTF|HZ|bpf\(2\)/
  const cases: [string, Filter | null, ReturnType<typeof sel>, ListingExtras][] = [
    ['-ti', null, TCP, { info: true }], ['-tm', null, TCP, { memory: true }], ['-t --tos', null, TCP, { tos: true }],
    ['-um --tos', null, UDP, { memory: true, tos: true }], ['-t lastsnd > 5s', lastsnd, TCP, {}],
    ['--json without -i', null, TCP, { json: true, memory: true }], ['-u --json -i (UDP has no tcp_info)', null, UDP, { info: true, json: true }],
  ]
  for (const [what, f, s, extras] of cases) {
    const issue = ebpfTargetIssue(f, s, extras)
    if (issue !== null) t.match(issue, machine, `${what}: only the machine can refuse (${issue})`)
    else t.pass(`${what}: runs on eBPF`)
  }
})

t.test('auto: falls back with the reason as the notice', async (t) => {
  const rtt: Filter = { kind: 'metric', field: 'rtt', op: 'gt', value: 1, span: SPAN }
  const choice = chooseListingTarget('auto', rtt, TCP, { info: true, json: true })
  t.equal(choice.target, 'diag')
  t.match(choice.notice, /^eBPF target not used \(--json -i needs tcp_info members/)
  t.same(chooseListingTarget('auto', null, TCP, { info: true }), { target: 'diag' }, 'no tcp_info predicate: diag, silently')
  t.match(chooseListingTarget('ebpf', null, TCP, { info: true, json: true }).issue, /^--json -i/, '--target ebpf: the reason is the error')
})
