/**
 * `ssx explain`: golden files for whole command lines (test/golden/explain),
 * and table cases for the pieces — explain's own options, the socket
 * descriptions of --trace, the control-flow graph, colour.
 */
import t from 'tap'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { runExplain, splitExplainArgv } from '../../src/cli/explain.js'
import { runCompile } from '../../src/cli/compile.js'
import { parseSocketDescription, SocketSyntaxError, traceSocket } from '../../src/cli/trace.js'
import { buildCfg, toDot, toMermaid, toSvg } from '../../src/cli/graph.js'
import { disassemble } from '../../compiler/disasm.js'
import { compilePlan } from '../../compiler/compile.js'
import { selectSockets } from '../../compiler/select.js'
import { EXPLAIN_PORT_RANGE, EXPLAIN_RESOLVER } from '../helpers/explain-resolver.js'

const DIR = new URL('../golden/explain/', import.meta.url)
const UPDATE = process.env['UPDATE_GOLDEN'] === '1'
const io = { resolver: EXPLAIN_RESOLVER, localPortRange: EXPLAIN_PORT_RANGE, env: {} }

/** How a golden file shows a run: the command, stdout, then stderr and exit code when there are any. */
export function goldenText(argv: readonly string[], r: { exitCode: number; stdout: string; stderr: string }): string {
  const quote = (w: string): string => (/^[\w./:=@%+,-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)
  let s = `$ ssx explain ${argv.map(quote).join(' ')}\n${r.stdout}`
  if (r.stderr) s += `[stderr]\n${r.stderr}`
  if (r.exitCode !== 0) s += `[exit ${r.exitCode}]\n`
  return s
}

const cases = readFileSync(new URL('cases.txt', DIR), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '' && !l.startsWith('#'))
  .map((l) => {
    const [name, json] = l.split('\t')
    return { name: name!, argv: JSON.parse(json!) as string[] }
  })

t.test('golden explain output', async (t) => {
  t.ok(cases.length >= 20, `${cases.length} cases`)
  for (const c of cases) {
    const r = await runExplain(c.argv, io)
    const got = goldenText(c.argv, r)
    const file = new URL(`${c.name}.txt`, DIR)
    if (UPDATE || !existsSync(file)) {
      writeFileSync(file, got)
      if (!UPDATE) t.fail(`${c.name}: golden file was missing and has been written; check it and commit it`)
      continue
    }
    t.equal(got, readFileSync(file, 'utf8'), c.name)
  }
})

t.test('the disassembly in explain equals `ssx compile --format asm`', async (t) => {
  for (const argv of [['-t', 'sport = :22 or dst 10.0.0.0/8 and dport >= 1024'], ['-t', 'not dev eth0 and fwmark 0x1/0x1'], ['-t', 'dst localhost']]) {
    const asm = (await runCompile(['--format', 'asm', ...argv], io)).stdout.trimEnd()
    const explained = (await runExplain(argv, io)).stdout
    const block = explained.split('\n').filter((l) => /^ {2}\s*\d+  [A-Z_]+ /.test(l)).map((l) => l.slice(2)).join('\n')
    t.equal(block, asm, argv.join(' '))
  }
})

t.test('explain options are taken out of argv', async (t) => {
  const table: [string[], unknown][] = [
    [['-t', '--graph', 'dot', 'sport = :22'], { graph: 'dot', trace: null, color: 'auto', rest: ['-t', 'sport = :22'] }],
    [['--graph=mermaid', '--color'], { graph: 'mermaid', trace: null, color: 'always', rest: [] }],
    [['--trace=tcp 1.2.3.4:5 -> 6.7.8.9:10', '--colour=never'], { graph: null, trace: 'tcp 1.2.3.4:5 -> 6.7.8.9:10', color: 'never', rest: [] }],
    [['--', '--graph', 'dot'], { graph: null, trace: null, color: 'auto', rest: ['--', '--graph', 'dot'] }],
  ]
  for (const [argv, want] of table) {
    const { options, rest } = splitExplainArgv(argv)
    t.same({ ...options, rest }, want, argv.join(' '))
  }
  for (const argv of [['--graph', 'png'], ['--graph'], ['--color=sometimes'], ['--trace']]) {
    const r = await runExplain(argv, io)
    t.equal(r.exitCode, 255, argv.join(' '))
    t.match(r.stderr, /^ssx: explain: /, argv.join(' '))
  }
})

t.test('colour only when asked or on a terminal', async (t) => {
  const argv = ['-t', 'sport = :22']
  t.notMatch((await runExplain(argv, io)).stdout, /\x1b\[/, 'plain by default')
  t.notMatch((await runExplain(argv, { ...io, tty: false })).stdout, /\x1b\[/, 'plain on a pipe')
  t.match((await runExplain(argv, { ...io, tty: true })).stdout, /\x1b\[36mS_COND\x1b\[0m/, 'coloured on a terminal')
  t.notMatch((await runExplain(['--color=never', ...argv], { ...io, tty: true })).stdout, /\x1b\[/, '--color=never wins')
  const coloured = (await runExplain(['--color', ...argv], io)).stdout
  // Stripping the escapes gives the plain text back: colour never changes the layout.
  t.equal(coloured.replace(/\x1b\[\d+m/g, ''), (await runExplain(argv, io)).stdout)
})

t.test('socket descriptions', async (t) => {
  const ok: [string, Record<string, unknown>][] = [
    ['tcp 10.0.0.1:5555 -> 10.0.0.2:443 established [mark 0x10] [dev 2]', { family: 2, state: 1, localPort: 5555, remotePort: 443, mark: 16, ifindex: 2, userlocks: 0 }],
    ['udp 0.0.0.0:53', { family: 2, state: 7, localPort: 53, remotePort: 0, userlocks: 8 }],
    ['tcp [::1]:22 listen', { family: 10, state: 10, localPort: 22, userlocks: 8 }],
    ['tcp [::1]:22 listen autobound', { userlocks: 0 }],
    ['tcp 10.0.0.1:80 -> 10.0.0.2:80 time-wait bound', { userlocks: 0 }],
    ['tcp 10.0.0.1:40000 -> 10.0.0.2:80', { state: 1, userlocks: 0 }],
    ['tcp 10.0.0.1:40000 -> 10.0.0.2:80 bound', { userlocks: 8 }],
    ['tcp 10.0.0.1:80 -> 10.0.0.2:80 autobound time-wait cgroup 42', { userlocks: 0, state: 6, cgroupId: 42n }],
    ['TCP 10.0.0.1:80 -> 10.0.0.2:80 ESTAB', { state: 1 }],
    ['tcp [fe80::1]:1 -> [fe80::2]:2 [rtt 60ms] lastsnd 2s uid 7', { family: 10, tcpInfo: { rtt: 60000, lastDataSent: 2000 }, uid: 7, shutdown: 0 }],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 syn-recv', { state: 3, shutdown: undefined }],
  ]
  for (const [text, want] of ok) t.match(parseSocketDescription(text).sock, want, text)
  const bad: [string, RegExp, number][] = [
    ['', /expected a protocol/, 0],
    ['icmp 1.2.3.4:5', /expected a protocol/, 0],
    ['tcp 10.0.0.1', /expected ADDRESS:PORT/, 4],
    ['tcp 10.0.0.1:70000', /larger than 65535/, 4],
    ['tcp ::1:22', /goes in brackets/, 4],
    ['tcp 1.2.3:22', /not an address/, 4],
    ['tcp 10.0.0.1:1 -> [::1]:2', /different families/, 18],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 sideways', /expected a state/, 29],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 mark', /mark needs a value/, 29],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 mark ten', /expected a number for mark/, 34],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 estab listen', /expected a state/, 35],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 cwnd 1.5', /cwnd/, 34],
    ['tcp 10.0.0.1:1 -> 10.0.0.2:2 rtt', /rtt needs a value/, 29],
  ]
  for (const [text, msg, at] of bad) {
    let err: unknown
    try {
      parseSocketDescription(text)
    } catch (e) {
      err = e
    }
    t.ok(err instanceof SocketSyntaxError, `${text}: typed error`)
    const e = err as SocketSyntaxError
    t.match(e.message, msg, text)
    t.equal(e.span?.start, at, `${text}: points at ${at}`)
  }
})

t.test('trace: the kernel verdict is the interpreter\'s, the user-space verdict the evaluator\'s', async (t) => {
  const selection = selectSockets({ options: [{ name: 'tcp' }], words: [] })
  const plan = compilePlan(null, { selection, preferredFamily: 0 })
  const desc = parseSocketDescription('tcp 10.0.0.1:22 -> 10.0.0.2:40000')
  const r = traceSocket(plan, desc, { localPortRange: EXPLAIN_PORT_RANGE })
  t.same([r.kernel, r.userSpace, r.listed, r.request?.index], [null, null, true, 1], 'no filter: listed by its state alone')
})

t.test('control-flow graph', async (t) => {
  const r = await runCompile(['--format', 'hex', '-t', 'sport = :22 or not dev eth0'], io)
  const bytes = Uint8Array.from(r.stdout.trim().match(/../g)!, (h) => parseInt(h, 16))
  const cfg = buildCfg(disassemble(bytes))
  t.same(cfg.nodes.map((n) => n.id), ['n0', 'n16', 'n20', 'n28', 'accept', 'reject'])
  // JMP has no yes edge (its condition is always false).
  t.same(cfg.edges.map((e) => `${e.from}-${e.kind}->${e.to}`), [
    'n0-yes->n16', 'n0-no->n20', 'n16-no->accept', 'n20-yes->n28', 'n20-no->accept', 'n28-no->reject',
  ])
  t.match(toDot(cfg), /n0 -> n16 \[label="yes"/)
  t.match(toMermaid(cfg), /n16 -\.->\|no\| accept/)
  const svg = toSvg(cfg)
  t.match(svg, /^<svg /)
  t.equal((svg.match(/class="edge /g) ?? []).length, cfg.edges.length, 'one path per edge')
  // Bytes that stop decoding still give a graph, with a bad node.
  const broken = buildCfg(disassemble(Uint8Array.of(0x07, 0x10, 0x14, 0x00)))
  t.ok(broken.nodes.some((n) => n.kind === 'bad'))
})
