/**
 * The listing command's early exits, through runList with captured streams:
 * messages and exit codes before any socket is printed.
 */
import t from 'tap'
import { runList } from '../../src/cli/list.js'

async function run(argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await runList(argv, { stdin: () => '', write: (s) => { out += s }, writeErr: (s) => { err += s }, prog: 'ss' })
  return { code, out, err }
}

t.test('-D with a file that cannot be opened: the error, exit 255 (upstream; 6.1 is silent)', async (t) => {
  t.same(await run(['-t', '-D', '/nonexistent-dir/dump']), { code: 255, out: '', err: 'fopen dump file: No such file or directory\n' })
})

t.test('-D without tcp: ss\'s message, exit 0', async (t) => {
  t.same(await run(['-x', '-D', '/nonexistent-dir/dump']), { code: 0, out: '', err: 'ss: tcpdiag dump requested and no tcp in filter.\n' })
})

t.test('-Z without SELinux: ss\'s message, exit 1', async (t) => {
  t.same(await run(['-Z']), { code: 1, out: '', err: 'ss: SELinux is not enabled.\n' })
})

t.test('-N with a namespace that does not exist fails first, like ss', async (t) => {
  t.same(await run(['-N', 'ssx-no-such-namespace', '-tan', 'sport', '=']), { code: 1, out: '', err: 'Cannot open network namespace "ssx-no-such-namespace": No such file or directory\n' })
})

t.test('usage errors exit 255 with the usage text', async (t) => {
  const r = await run(['-f', 'foo'])
  t.equal(r.code, 255)
  t.match(r.err, /^ss: "foo" is invalid family\nUsage: ss \[ OPTIONS \]/)
})

t.test('--target ebpf with a filter too big for one program: an error, exit 1 (not an internal error)', async (t) => {
  const filter = Array.from({ length: 2700 }, (_, i) => `not dport = :${i + 1}`).join(' and ')
  const r = await run(['-tan', '--target', 'ebpf', filter])
  t.equal(r.code, 1)
  // Without BTF the target is refused before code generation; either way one line says why.
  t.match(r.err, /^ss: (the filter compiles to \d+ eBPF instructions; the limit here is 4096|.*BTF.*)\n$/)
})
