// The public API: the pure subpath bundles for browsers without Node
// built-ins or koffi and runs in a bare JavaScript context; compileQuery
// gives the plan `ssx compile` gives for the same selection and filter;
// errors are typed; the package's own `exports` resolve to the built
// library; streamSockets selects what ss selects (kernel test).
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'
import { build } from 'esbuild'
import ts from 'typescript'
import {
  compileQuery, emitPlan, disassemble, formatDisasm, interpret, evaluate, audit, FilterError, FilterSyntaxError,
  SelectionError, offlineResolver, DEFAULT_LOCAL_PORT_RANGE, TCP_STATE,
} from '../../src/pure.js'
import type { FilterSocket, Resolver } from '../../src/pure.js'
import { encodePlan, streamSockets, querySockets, killSockets, encodeRequest, wireRequest } from '../../src/index.js'
import { runCompile } from '../../src/cli/compile.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const run = promisify(execFile)

t.test('ssx/compiler bundles for the browser without Node built-ins or koffi', async (t) => {
  const result = await build({
    entryPoints: [`${ROOT}src/pure.ts`],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    globalName: 'ssxCompiler',
    metafile: true,
    logLevel: 'silent',
  })
  const inputs = Object.keys(result.metafile.inputs)
  t.same(inputs.filter((p) => p.startsWith('node:') || /(^|\/)koffi\//.test(p) || p.startsWith('runtime/')), [], 'no node:*, koffi or runtime/ module among the inputs')
  t.ok(inputs.some((p) => p.includes('chevrotain')), 'chevrotain is bundled (it runs in browsers)')
  const code = result.outputFiles[0]!.text
  // lodash (inside chevrotain) probes `freeModule.require("util")` only under CommonJS: a method call, not a dependency.
  t.notMatch(code, /(?<![.\w])require\(\s*["'](node:|fs|os|util|path|child_process|koffi)/, 'no require of a Node built-in or koffi')

  // Run it where only the language's globals exist (plus what every browser has): no process, Buffer, require.
  const context = vm.createContext({ TextEncoder, TextDecoder, console, setTimeout, clearTimeout, queueMicrotask })
  vm.runInContext(`${code}\nglobalThis.ssxCompiler = ssxCompiler`, context)
  t.equal(vm.runInContext('typeof process + typeof Buffer + typeof require', context), 'undefinedundefinedundefined')
  const api = (context as { ssxCompiler: typeof import('../../src/pure.js') }).ssxCompiler
  const q = await api.compileQuery({ tables: ['tcp'], states: ['established'], filter: 'dport = :443 or src 10.0.0.0/8' })
  const program = q.plan.requests[0]!.program!
  t.equal(Array.from(program.bytes, (b) => b.toString(16).padStart(2, '0')).join(''), '0810140000000000bb01000000000000010414000710140002080000ffffffff0a000000')
  t.match(api.formatDisasm(api.disassemble(program.bytes)), /D_COND/)
  t.match(api.emitPlan(q.plan, 'c'), /ssx_bytecode\[36\]/)
  t.same(api.audit(program.bytes, { netAdmin: false }), { ok: true })
})

t.test("ssx/compiler's types reach neither runtime/ nor Node's", async (t) => {
  // A consumer type-checking `ssx/compiler` loads these files: none may need koffi or @types/node.
  const program = ts.createProgram([`${ROOT}src/pure.ts`], {
    target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true, noEmit: true, types: [], skipLibCheck: true,
  })
  const ours = program.getSourceFiles().map((f) => f.fileName).filter((f) => f.startsWith(ROOT) && !f.includes('/node_modules/')).map((f) => f.slice(ROOT.length))
  t.ok(ours.includes('src/cli/emit.ts'), 'the emitters are in')
  t.same(ours.filter((f) => f.startsWith('runtime/') || f.startsWith('src/') && !['src/pure.ts', 'src/cli/emit.ts'].includes(f)), [], 'no runtime/ or other src/ module')
  const errors = ts.getPreEmitDiagnostics(program).filter((d) => d.file && ours.includes(d.file.fileName.slice(ROOT.length)))
  t.same(errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [], 'and they type-check without @types/node')
})

/** `ssx compile ARGV` as JSON, next to the same query through compileQuery. */
const PARITY: readonly { argv: string[]; spec: Parameters<typeof compileQuery>[0] }[] = [
  { argv: [], spec: {} },
  { argv: ['-t', 'dport = :443'], spec: { tables: ['tcp'], filter: 'dport = :443' } },
  { argv: ['-t', 'state', 'established', 'dport = :443 or src 10.0.0.0/8'], spec: { tables: ['tcp'], states: ['established'], filter: 'dport = :443 or src 10.0.0.0/8' } },
  { argv: ['-A', 'tcp,udp', 'state', 'connected', 'exclude', 'syn-sent', 'sport', '>', ':1024'], spec: { tables: ['tcp', 'udp'], states: ['connected'], exclude: ['syn-sent'], filter: ['sport', '>', ':1024'] } },
  { argv: ['-x', 'src', '/tmp/*'], spec: { families: ['unix'], filter: 'src /tmp/*' } },
  { argv: ['-tu', 'src', '[::1]'], spec: { tables: ['tcp', 'udp'], filter: 'src [::1]' } },
  { argv: ['-t', 'state', 'all', 'fwmark', '0x10/0xff', 'and', 'not', 'dport', '=', ':22'], spec: { tables: ['tcp'], states: ['all'], filter: 'fwmark 0x10/0xff and not dport = :22' } },
  { argv: ['-A', 'mptcp', 'dst', '127.0.0.1'], spec: { tables: ['mptcp'], filter: 'dst 127.0.0.1' } },
  { argv: ['-m', '-i', '-t', 'sport = :80'], spec: { tables: ['tcp'], ext: { memory: true, info: true }, filter: 'sport = :80' } },
  { argv: ['-t', 'state', 'established', 'exclude', 'established'], spec: { tables: ['tcp'], states: ['established'], exclude: ['established'] } },
]

t.test('compileQuery plans what ssx compile plans', async (t) => {
  for (const { argv, spec } of PARITY) {
    const cli = await runCompile(['--format', 'netlink', ...argv], { resolver: offlineResolver() })
    t.equal(cli.exitCode, 0, argv.join(' '))
    const q = await compileQuery(spec)
    const hex = encodePlan(q.plan).map((m) => Buffer.from(m).toString('hex') + '\n').join('')
    t.equal(hex, cli.stdout, `same request messages: ${argv.join(' ') || '(no options)'}`)
  }
})

t.test('raw state bitmask', async (t) => {
  const q = await compileQuery({ tables: ['tcp'], states: 1 << TCP_STATE.TCP_LISTEN })
  t.same(q.plan.requests.map((r) => r.states), [1 << TCP_STATE.TCP_LISTEN, 1 << TCP_STATE.TCP_LISTEN])
  const none = await compileQuery({ tables: ['tcp'], states: 0 })
  t.same(none.plan.requests, [], 'an empty state set sends nothing')
  t.match(none.plan.notes[0]?.message, /no socket states/)
})

t.test('errors are typed, with codes and spans', async (t) => {
  await t.rejects(compileQuery({ tables: ['tcpp'] }), SelectionError)
  await t.rejects(compileQuery({ states: ['establishd'] }), SelectionError)
  const syntax = await compileQuery({ filter: 'dport = :443 or or' }).catch((e: unknown) => e)
  t.type(syntax, FilterSyntaxError)
  t.ok((syntax as FilterSyntaxError).span, 'a syntax error points somewhere')
  const name = await compileQuery({ tables: ['tcp'], filter: 'dport = :https' }).catch((e: unknown) => e)
  t.type(name, FilterError, 'the offline resolver knows no service names')
  t.same((name as FilterError).span, { start: 8, end: 14 }, 'the span covers the service name')
  const services: Resolver = { ...offlineResolver(), service: (n) => (n === 'https' ? 443 : undefined) }
  const q = await compileQuery({ tables: ['tcp'], filter: 'dport = :https', resolver: services })
  t.equal(q.plan.requests.length, 2, 'an injected resolver answers')
})

t.test('compileQuery result: filter, warnings, source, families', async (t) => {
  const q = await compileQuery({ tables: ['tcp'], filter: 'src inet:10.0.0.1 or dport = :1 and sport = :2' })
  t.equal(q.source, 'src inet:10.0.0.1 or dport = :1 and sport = :2')
  t.equal(q.warnings.length, 1, 'ss and the man page read it differently')
  t.equal(q.warnings[0]!.code, 'W_PRECEDENCE')
  t.equal(q.families, 1 << 2, 'a value with a family narrows the families to it (ss §4.7)')
  t.same(q.plan.requests.map((r) => r.family), [2])
  t.ok(q.parsed?.expr, 'the AST is there')
  const none = await compileQuery({ tables: ['tcp'] })
  t.equal(none.filter, null)
  t.equal(none.plan.requests[0]!.program, null)
})

t.test('the interpreter port and the evaluator agree on a socket', async (t) => {
  const q = await compileQuery({ tables: ['tcp'], filter: 'dport = :443 or src 10.0.0.0/8' })
  const bytes = q.plan.requests[0]!.program!.bytes
  const sock = (local: number[], remotePort: number): FilterSocket => ({
    family: 2, state: 1, localAddr: Uint8Array.from(local), remoteAddr: Uint8Array.from([192, 0, 2, 1]), localPort: 40000, remotePort,
  })
  const env = { localPortRange: DEFAULT_LOCAL_PORT_RANGE }
  for (const [s, want] of [[sock([192, 0, 2, 9], 443), true], [sock([10, 1, 2, 3], 80), true], [sock([192, 0, 2, 9], 80), false]] as const) {
    t.equal(interpret(bytes, s).accept, want)
    t.equal(evaluate(q.filter!, s, env), want)
  }
  t.same(audit(bytes, { netAdmin: false }), { ok: true })
  t.match(formatDisasm(disassemble(bytes)), /S_COND/)
})

t.test('encodePlan is encodeRequest of each request', async (t) => {
  const q = await compileQuery({ tables: ['tcp', 'udp'], filter: 'dport = :53' })
  t.same(encodePlan(q.plan), q.plan.requests.map((r) => encodeRequest(wireRequest(r))))
  t.equal(emitPlan(q.plan, 'python'), emitPlan(q.plan, 'python'), 'deterministic')
})

t.test('the package entries resolve through exports to the built library', async (t) => {
  await run(process.execPath, ['build.mjs'], { cwd: ROOT })
  const script = `
    const ssx = await import('ssx'); const pure = await import('ssx/compiler')
    const q = await pure.compileQuery({ tables: ['tcp'], filter: 'dport = :22' })
    console.log(JSON.stringify({
      same: ssx.FilterError === pure.FilterError && ssx.compileQuery === pure.compileQuery,
      main: ['compileQuery', 'streamSockets', 'querySockets', 'killSockets', 'closeSocket', 'encodePlan', 'openDiag', 'systemResolver', 'parseFilter', 'emitPlan'].filter((n) => typeof ssx[n] !== 'function'),
      pure: ['compileQuery', 'parseFilter', 'resolveFilter', 'compilePlan', 'audit', 'disassemble', 'interpret', 'evaluate', 'emitPlan'].filter((n) => typeof pure[n] !== 'function'),
      noRuntime: !('openDiag' in pure),
      requests: q.plan.requests.length,
    }))`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT })
  t.same(JSON.parse(stdout), { same: true, main: [], pure: [], noRuntime: true, requests: 2 })
})

t.test('TypeScript consumers: the declarations of both entries compile under the strictest options', async (t) => {
  // npm pack runs this through prepack; the exports' `types` point at its output.
  await run('npm', ['run', '--silent', 'build:types'], { cwd: ROOT })
  const dir = mkdtempSync(join(tmpdir(), 'ssx-consumer-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(ROOT, join(dir, 'node_modules', 'ssx'))
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n')
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true,
      exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, noPropertyAccessFromIndexSignature: true,
      types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')],
    },
    files: ['pure.ts', 'main.ts'],
  }))
  // Only the pure entry: must type-check without @types/node.
  writeFileSync(join(dir, 'pure.ts'), [
    "import { compileQuery, emitPlan, FilterError, type CompiledQuery, type QuerySpec } from 'ssx/compiler'",
    "const spec: QuerySpec = { tables: ['tcp'], filter: 'dport = :443' }",
    'const q: CompiledQuery = await compileQuery(spec)',
    "export const text: string = emitPlan(q.plan, 'rust')",
    'export const isTyped = (e: unknown): boolean => e instanceof FilterError && e.code.length > 0',
  ].join('\n'))
  writeFileSync(join(dir, 'main.ts'), [
    "import { compileQuery, streamSockets, encodePlan, type SocketRecord } from 'ssx'",
    "const q = await compileQuery({ tables: ['tcp'], states: ['listening'] })",
    'export const messages: Uint8Array[] = encodePlan(q.plan)',
    'export async function ports(): Promise<number[]> {',
    '  const out: number[] = []',
    '  for await (const s of streamSockets(q) as AsyncIterable<SocketRecord>) if (s.kind === "inet") out.push(s.localPort)',
    '  return out',
    '}',
  ].join('\n'))
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  const result = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(() => '', (e: { stdout?: string }) => e.stdout ?? String(e))
  t.equal(result, '', 'tsc reports nothing')
})

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.test('kernel', { skip: 'needs root and ip(8) to create a network namespace (CI=true makes this a failure)' }, async () => {})
} else {
  t.test('streamSockets and querySockets select what ss selects', async (t) => {
    const ns = await createNetns('api')
    t.teardown(() => ns.destroy())
    const zoo = await ns.startZoo()
    const port = zoo.manifest.tcp.listen4.port
    const filter = `sport = :${port} or dport = :${port}`
    const { stdout } = await ns.exec('/usr/bin/ss', ['-tanH', filter])
    // ss -tanH columns: State Recv-Q Send-Q Local:Port Peer:Port; an unconnected peer port is `*`.
    const portOf = (col: string): string => col.slice(col.lastIndexOf(':') + 1).replace('*', '0')
    const fromSs = stdout.trim().split('\n').map((l) => l.split(/\s+/)).map((c) => `${portOf(c[3]!)}>${portOf(c[4]!)}`).sort()
    const q = await compileQuery({ tables: ['tcp'], states: ['all'], filter })
    const got: string[] = []
    for await (const s of streamSockets(q, { netns: ns.name })) got.push(`${s.localPort}>${s.remotePort}`)
    t.same(got.sort(), fromSs, 'streamSockets')
    t.ok(got.length >= 3, 'listener and both ends of a connection, at least')
    const again: string[] = []
    for await (const s of querySockets({ tables: ['tcp'], states: ['all'], filter, netns: ns.name })) again.push(`${s.localPort}>${s.remotePort}`)
    t.same(again.sort(), fromSs, 'querySockets')
    const dry = [...killSockets(q, { netns: ns.name, dryRun: true })].map((s) => `${s.localPort}>${s.remotePort}`)
    t.same(dry.sort(), fromSs, 'killSockets with dryRun yields the same sockets')
    const still: string[] = []
    for (const s of streamSockets(q, { netns: ns.name })) still.push(`${s.localPort}>${s.remotePort}`)
    t.same(still.sort(), fromSs, 'and destroys nothing (plain for works too)')
  })
}

t.test('compileQuery reports a name that does not resolve before a later syntax error, as ss and the CLI do', async (t) => {
  const e = await compileQuery({ filter: 'dev nosuchdev and (', tables: ['tcp'] }).then(() => null, (x: unknown) => x)
  t.match(e, { name: 'FilterError' }, 'the device, not the dangling parenthesis')
  const s = await compileQuery({ filter: 'dev lo and (', tables: ['tcp'], resolver: { ...offlineResolver(), ifindex: () => 1 } }).then(() => null, (x: unknown) => x)
  t.match(s, { name: 'FilterSyntaxError' }, 'names resolve: the syntax error')
})
