/**
 * Properties of `ssx explain` over random ss invocations (the shared filter
 * arbitrary): it fails exactly when `ssx compile` fails, with the same
 * message; otherwise its listing is `compile --format asm`'s, its bytes are
 * `compile --format hex`'s, and the control-flow graph has one node per op
 * and one edge per branch the kernel can take.
 */
import t from 'tap'
import fc from 'fast-check'
import { runExplain } from '../../src/cli/explain.js'
import { runCompile } from '../../src/cli/compile.js'
import { invocationArgv, ssInvocationArb } from '../props/filter-arbitrary.js'

const io = { env: {} }

t.test('explain agrees with compile', async (t) => {
  const seen = { failed: 0, noProgram: 0, program: 0 }
  await fc.assert(
    fc.asyncProperty(ssInvocationArb, async (inv) => {
      const argv = invocationArgv(inv)
      const explained = await runExplain(argv, io)
      const hex = await runCompile(['--format', 'hex', ...argv], io)
      if (hex.exitCode !== 0 || explained.exitCode !== 0) {
        seen.failed++
        // Same failure, same words (explain prints no warnings on stderr: they are in its report).
        return explained.exitCode === hex.exitCode && explained.stderr === hex.stderr.replace(/^ssx: warning: .*\n/gm, '')
      }
      const asm = (await runCompile(['--format', 'asm', ...argv], io)).stdout.trimEnd()
      const lines = explained.stdout.split('\n')
      const listing = lines.filter((l) => /^ {2}\s*\d+  [A-Z_]+ /.test(l)).map((l) => l.slice(2)).join('\n')
      const start = lines.findIndex((l) => l.startsWith('  bytes  '))
      const bytes = start < 0 ? '' : lines.slice(start, lines.findIndex((l, i) => i > start && l.startsWith('  size '))).join('').replace(/^ {2}bytes|\s/g, '')
      const program = hex.stdout.trim()
      if (program === '') {
        seen.noProgram++
        return start < 0 && !asm.match(/^\s*\d+  /m)
      }
      seen.program++
      if (listing !== asm || bytes !== program) return false
      const dot = await runExplain(['--graph', 'dot', ...argv], io)
      const ops = asm.split('\n').filter((l) => /^\s*\d+  [A-Z_]+ /.test(l))
      const branches = ops.reduce((n, l) => n + (/^\s*\d+  (JMP|NOP) /.test(l) ? 1 : 2), 0)
      const edges = (dot.stdout.match(/ -> /g) ?? []).length
      const nodes = (dot.stdout.match(/^ {2}n\d+ \[/gm) ?? []).length
      return dot.exitCode === 0 && nodes === ops.length && edges === branches
    }),
    { numRuns: 1000 },
  )
  t.comment(`failing: ${seen.failed}, without bytecode: ${seen.noProgram}, with bytecode: ${seen.program}`)
  // The property must have compared real programs, not only the trivial cases.
  t.ok(seen.program > 300, 'most invocations compile to bytecode')
})
