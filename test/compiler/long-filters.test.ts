/**
 * Filters at the size limits: thousands of terms in ss's left-deep chains go
 * through every pass without exhausting the stack, and nesting beyond
 * MAX_NESTING is a syntax error with a span, never a RangeError.
 */
import t from 'tap'
import { compileQuery } from '../../src/pure.js'
import { FilterSyntaxError } from '../../grammar/errors.js'
import { MAX_NESTING, printParenthesized } from '../../grammar/index.js'
import { evaluate } from '../../compiler/evaluate.js'
import { interpret } from '../../compiler/interpret.js'
import type { FilterSocket } from '../../compiler/socket.js'

const sock = (localPort: number, remotePort: number): FilterSocket => ({
  family: 2, state: 1, localAddr: Uint8Array.of(127, 0, 0, 1), remoteAddr: Uint8Array.of(127, 0, 0, 1),
  localPort, remotePort, ifindex: 0, mark: 0, cgroupId: 0n,
} as FilterSocket)
const env = { localPortRange: [32768, 60999] as const }

t.test('a 3000-term and-chain: parse, resolve, lower, print, evaluate, interpret', async (t) => {
  const filter = Array.from({ length: 3000 }, (_, i) => `not dport = :${i + 1}`).join(' and ')
  const q = await compileQuery({ filter, tables: ['tcp'] })
  const bytes = q.plan.requests[0]!.program!.bytes
  t.ok(bytes.length > 30000 && bytes.length <= 65528, `${bytes.length} bytes of bytecode`)
  const printed = printParenthesized(q.parsed!.expr!)
  t.ok(printed.includes('dport = :3000'), `printed: ${printed.slice(0, 40)}…${printed.slice(-40)}`)
  for (const [s, want] of [[sock(5000, 22), false], [sock(5000, 4000), true]] as const) {
    t.equal(evaluate(q.filter!, s, env), want, `evaluator, dport ${s.remotePort}`)
    t.equal(interpret(bytes, s, { trace: false }).accept, want, `interpreter, dport ${s.remotePort}`)
  }
})

t.test('a 5000-term or-chain mixing and: too big for the kernel, said so (no RangeError)', async (t) => {
  const filter = Array.from({ length: 5000 }, (_, i) => `sport = :${i + 1}`).join(' or ') + ' and dport = :1'
  const e = await compileQuery({ filter, tables: ['tcp'] }).then(() => null, (x: unknown) => x)
  t.match(e, { name: 'FilterError', message: /compiles to \d+ bytes of bytecode; the kernel accepts at most 65528/ })
})

t.test(`nesting deeper than ${MAX_NESTING}: a syntax error pointing at the token`, async (t) => {
  const ok = '( '.repeat(MAX_NESTING) + 'sport = :1' + ' )'.repeat(MAX_NESTING)
  t.ok((await compileQuery({ filter: ok, tables: ['tcp'] })).plan.requests.length > 0, `${MAX_NESTING} levels compile`)
  for (const [what, filter] of [
    ['parentheses', '( '.repeat(MAX_NESTING + 1) + 'sport = :1' + ' )'.repeat(MAX_NESTING + 1)],
    ['not', 'not '.repeat(MAX_NESTING + 1) + 'sport = :1'],
    ['both', '( not '.repeat(MAX_NESTING) + 'sport = :1' + ' )'.repeat(MAX_NESTING)],
  ] as const) {
    const e = await compileQuery({ filter, tables: ['tcp'] }).catch((x: unknown) => x)
    t.ok(e instanceof FilterSyntaxError && e.code === 'E_NESTING' && e.span !== undefined, what)
  }
})
