// exactPorts (src/query.ts): the ports a query may put in its requests'
// sockid are those every accepted socket must have: `sport = :P` and
// `dport = :P` among the top-level conjuncts, and nothing else. (The kernel
// side, that dumps with them select what the bytecode selects, is in the
// kernel-vs-evaluator property test, which runs queries through runQuery.)
import t from 'tap'
import { exactPorts } from '../../src/query.js'
import type { Filter } from '../../compiler/filter.js'

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
