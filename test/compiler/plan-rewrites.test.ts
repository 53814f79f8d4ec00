// The rewrites src/query.ts makes when it sends a plan (compiler/plan.ts).
// oneTcpWalk: which request pairs one legacy TCP walk may answer (the
// kernel side, same sockets in the same order, is in test/src/query.test.ts).
// exactPorts: the ports a query may put in its requests'
// sockid are those every accepted socket must have: `sport = :P` and
// `dport = :P` among the top-level conjuncts, and nothing else. (The kernel
// side, that dumps with them select what the bytecode selects, is in the
// kernel-vs-evaluator property test, which runs queries through runQuery.)
import t from 'tap'
import { exactPorts, oneTcpWalk } from '../../compiler/plan.js'
import type { Filter } from '../../compiler/filter.js'
import { compilePlan } from '../../compiler/compile.js'
import { SS_ALL, tableBit } from '../../compiler/select.js'
import type { TableName } from '../../compiler/select.js'
import { AF } from '../../uapi/inet-diag.js'

const span = { start: 0, end: 0 }
const port = (dir: 'src' | 'dst', p: number): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: 0, addrs: [], port: p }, span })
const host = (dir: 'src' | 'dst', p: number): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: 2, addrs: [{ af: 2, bytes: Uint8Array.from([10, 0, 0, 1]), prefixLen: 32 }], port: p }, span } as Filter)
const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right, span })
const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right, span })
const not = (operand: Filter): Filter => ({ kind: 'not', operand, span })
const dev: Filter = { kind: 'dev', ifindex: 1, span }

const cases: [string, Filter | null, ReturnType<typeof exactPorts>][] = [
  ['no filter', null, {}],
  ['sport = :22', port('src', 22), { sport: 22 }],
  ['dport = :443', port('dst', 443), { dport: 443 }],
  ['both, nested under and', and(dev, and(port('src', 22), port('dst', 80))), { sport: 22, dport: 80 }],
  ['or: either port will do', or(port('src', 22), port('dst', 80)), {}],
  ['not', not(port('src', 22)), {}],
  ['under an or inside the and', and(dev, or(port('src', 22), dev)), {}],
  ['with an address: left to the bytecode', host('src', 22), {}],
  ['port 0 (the sockid reads 0 as any)', port('src', 0), {}],
  ['any port', port('src', -1), {}],
  ['past 65535 (never matches)', port('src', 70000), {}],
]
for (const [name, f, want] of cases) t.strictSame(exactPorts(f), want, name)

t.test('oneTcpWalk: TCP\'s AF_INET request and its AF_INET6 twin, nothing else', async (t) => {
  const plan = (tables: TableName[], preferredFamily: number, f: Filter | null = null) => {
    const selection = { tables: tables.reduce((a, n) => a | tableBit(n), 0), families: (1 << AF.AF_INET) | (1 << AF.AF_INET6), states: SS_ALL, preferredFamily }
    return compilePlan(f, { selection, preferredFamily }).requests
  }
  const pairs = (reqs: ReturnType<typeof plan>): string[] => reqs.flatMap((r, i) => (oneTcpWalk(r, reqs[i + 1]) ? [`${r.table}#${i + 1}`] : []))
  t.same(pairs(plan(['tcp'], 0)), ['tcp#1'], '-t')
  t.same(pairs(plan(['tcp'], 0, port('src', 22))), ['tcp#1'], '-t with bytecode')
  t.same(pairs(plan(['tcp', 'udp'], 0)), ['tcp#3'], '-tu (ss sends udp first): udp has no legacy request')
  t.same(pairs(plan(['tcp'], AF.AF_INET)), [], '-4: one request')
  t.same(pairs(plan(['tcp'], AF.AF_INET6)), [], '-6: one request')
  t.same(pairs(plan(['mptcp'], 0)), [], 'MPTCP (protocol attribute): no')
  const [v4, v6] = plan(['tcp'], 0)
  t.notOk(oneTcpWalk(v4!, { ...v6!, states: 1 << 10 }), 'other states: no')
  t.notOk(oneTcpWalk(v4!, { ...v6!, ext: 2 }), 'other attributes: no')
  t.notOk(oneTcpWalk(v4!, undefined), 'no next request: no')
  const bc = plan(['tcp'], 0, port('src', 22))
  t.notOk(oneTcpWalk(bc[0]!, { ...bc[1]!, program: { ...bc[1]!.program!, bytes: Uint8Array.of(1, 4, 8, 0) } }), 'other bytecode: no')
})
