// `ssx compile --format c|go|python|rust|netlink`. Each emitted text is
// compiled or run by its language's own toolchain (gcc, rustc, python3;
// go when present) inside a tiny program that prints the request fields
// and the bytecode back; what it prints must equal what `--format json`
// says about the same command line. The netlink lines are checked against
// the runtime's encoder and against an independent reading of the header.
import t from 'tap'
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { runCompile } from '../../src/cli/compile.js'
import { offlineResolver } from '../../src/pure.js'
import { compileQuery, encodePlan } from '../../src/index.js'

const run = promisify(execFile)

/** Command lines to emit, with what makes each one interesting. */
const CASES: readonly { argv: string[]; why: string; stdin?: string }[] = [
  { argv: ['-t'], why: 'no filter: no bytecode' },
  { argv: ['-t', 'state', 'established', 'dport = :443 or src 10.0.0.0/8'], why: 'jumps over a hostcond' },
  { argv: ['-tu', 'src ::1/128 and not dport = :22'], why: 'IPv6 hostcond, two protocols' },
  { argv: ['-A', 'mptcp', 'dst 127.0.0.1'], why: 'INET_DIAG_REQ_PROTOCOL attribute' },
  { argv: ['-a', 'sport >= :1024'], why: 'every table: unix, packet, netlink requests too' },
  { argv: ['-t', 'fwmark 0x10/0xff or dev 3 or autobound'], why: 'MARK_COND, DEV_COND, AUTO' },
  { argv: ['-x', "src /tmp/*/it's"], why: 'a filter with */ and a quote in the header comment' },
  { argv: ['-t', '-F', '-'], stdin: 'dport = :1\nor sport = :2\\', why: 'a -F filter: a newline and a trailing backslash in comments' },
]

interface JsonRequest { table: string; family: number; protocol: number; protocolAttr?: number; states: number; ext: number; bytecode: string; afterSuccess: boolean }

/** `-F -` reads this. */
const stdinOf = (argv: readonly string[]): string => CASES.find((c) => c.argv === argv)?.stdin ?? ''

async function compile(format: string, argv: readonly string[]): Promise<string> {
  const r = await runCompile(['--format', format, ...argv], { resolver: offlineResolver(), stdin: stdinOf(argv) })
  if (r.exitCode !== 0) throw new Error(`ssx compile --format ${format} ${argv.join(' ')}: ${r.stderr}`)
  return r.stdout
}

/** What every test program prints: one line per request, then the bytecode in hex. */
async function expected(argv: readonly string[]): Promise<string> {
  const plan = JSON.parse(await compile('json', argv)) as { requests: JsonRequest[] }
  const lines = plan.requests.map((r) => [r.table, r.family, r.protocol, r.states, r.ext, r.protocolAttr ?? 0, Number(r.afterSuccess), Number(r.bytecode !== '')].join(' '))
  const hex = (await compile('hex', argv)).trim()
  return [...lines, hex].join('\n') + '\n'
}

const has = (cmd: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ssx-emit-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

t.test('C: gcc -std=c11 -Wall -Wextra -pedantic -Werror compiles it and the program prints the plan back', { skip: has('gcc') || process.env.CI === 'true' ? false : 'gcc is not installed (.ci/run installs it: under CI=true this runs and fails)' }, async (t) => {
  for (const [i, { argv, why }] of CASES.entries()) {
    const text = await compile('c', argv)
    const main = `${text}
#include <stdio.h>
int main(void) {
	for (size_t i = 0; i < ssx_requests_len; i++) {
		const struct ssx_request *r = &ssx_requests[i];
		printf("%s %u %u %u %u %u %d %d\\n", r->table, (unsigned)r->family, (unsigned)r->protocol, (unsigned)r->states, (unsigned)r->ext, (unsigned)r->protocol_attr, r->after_success, r->has_bytecode);
	}
	for (size_t i = 0; i < ssx_bytecode_len; i++) printf("%02x", ssx_bytecode[i]);
	printf("\\n");
	return 0;
}
`
    const src = join(dir, `c${i}.c`)
    writeFileSync(src, main)
    await run('gcc', ['-std=c11', '-Wall', '-Wextra', '-pedantic', '-Werror', '-o', join(dir, `c${i}`), src])
    const { stdout } = await run(join(dir, `c${i}`), [])
    t.equal(stdout, await expected(argv), `${argv.join(' ')} (${why})`)
  }
})

t.test('Rust: rustc compiles every case as a module and the program prints the plans back', { skip: has('rustc') ? false : 'rustc is not installed' }, async (t) => {
  const mods: string[] = []
  const calls: string[] = []
  for (const [i, { argv }] of CASES.entries()) {
    mods.push(`#[allow(dead_code)]\nmod case${i} {\n${await compile('rust', argv)}}\n`)
    calls.push(`    dump(&case${i}::SSX_REQUESTS.iter().map(|r| (r.table, r.family, r.protocol, r.states, r.ext, r.protocol_attr, r.after_success, r.has_bytecode)).collect::<Vec<_>>(), &case${i}::SSX_BYTECODE);`)
  }
  const program = `${mods.join('\n')}
type Row = (&'static str, u8, u8, u32, u32, Option<u32>, bool, bool);
fn dump(rows: &[Row], bytecode: &[u8]) {
    for r in rows {
        println!("{} {} {} {} {} {} {} {}", r.0, r.1, r.2, r.3, r.4, r.5.unwrap_or(0), r.6 as i32, r.7 as i32);
    }
    println!("{}", bytecode.iter().map(|b| format!("{:02x}", b)).collect::<String>());
    println!("--");
}
fn main() {
${calls.join('\n')}
}
`
  const src = join(dir, 'emit.rs')
  writeFileSync(src, program)
  await run('rustc', ['--edition', '2021', '-D', 'warnings', '-o', join(dir, 'emit-rs'), src], { cwd: dir })
  const { stdout } = await run(join(dir, 'emit-rs'), [])
  const outputs = stdout.split('--\n')
  for (const [i, { argv, why }] of CASES.entries()) t.equal(outputs[i], await expected(argv), `${argv.join(' ')} (${why})`)
})

t.test('Python: python3 runs every case and prints the plans back', { skip: has('python3') || process.env.CI === 'true' ? false : 'python3 is not installed (.ci/run installs it: under CI=true this runs and fails)' }, async (t) => {
  const texts = await Promise.all(CASES.map(({ argv }) => compile('python', argv)))
  const script = `
import json, sys
for text in json.load(sys.stdin):
    ns = {}
    exec(compile(text, 'emitted', 'exec'), ns)
    for r in ns['REQUESTS']:
        print(r['table'], r['family'], r['protocol'], r['states'], r['ext'], r['protocol_attr'] or 0, int(r['after_success']), int(r['has_bytecode']))
    assert isinstance(ns['BYTECODE'], bytes)
    print(ns['BYTECODE'].hex())
    print('--')
`
  const child = execFile('python3', ['-c', script])
  child.stdin!.end(JSON.stringify(texts))
  let stdout = ''
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString() })
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  t.equal(code, 0, 'python3 ran every text')
  const outputs = stdout.split('--\n')
  for (const [i, { argv, why }] of CASES.entries()) t.equal(outputs[i], await expected(argv), `${argv.join(' ')} (${why})`)
})

t.test('Go: go run builds it and the program prints the plan back', { skip: has('go') ? false : 'go is not installed on this machine' }, async (t) => {
  for (const [i, { argv }] of CASES.entries()) {
    const pkg = join(dir, `go${i}`)
    execFileSync('mkdir', ['-p', pkg])
    writeFileSync(join(pkg, 'go.mod'), 'module emit\n\ngo 1.20\n')
    writeFileSync(join(pkg, 'emit.go'), `package main\n\nimport "fmt"\n\n${await compile('go', argv)}\nfunc main() {\n\tfor _, r := range SsxRequests {\n\t\tfmt.Println(r.Table, r.Family, r.Protocol, r.States, r.Ext, r.ProtocolAttr, map[bool]int{false: 0, true: 1}[r.AfterSuccess], map[bool]int{false: 0, true: 1}[r.HasBytecode])\n\t}\n\tfmt.Printf("%x\\n", SsxBytecode)\n}\n`)
    const { stdout } = await run('go', ['run', '.'], { cwd: pkg })
    t.equal(stdout, await expected(argv), argv.join(' '))
  }
})

t.test('the bytecode array has one commented line per op', async (t) => {
  const c = await compile('c', ['-t', 'dport = :443 or src 10.0.0.0/8'])
  const body = c.slice(c.indexOf('ssx_bytecode[36] = {'), c.indexOf('};', c.indexOf('ssx_bytecode[36]')))
  const ops = body.split('\n').slice(1).filter((l) => l.trim() !== '')
  t.equal(ops.length, 3, 'D_COND, JMP, S_COND')
  t.match(ops[0], /^\t0x08, 0x10, 0x14, 0x00, .* \/\/ +0 +D_COND +remote port = 443 .*# dport = :443$/)
  t.match(ops[1], /^\t0x01, 0x04, 0x14, 0x00, +\/\/ +16 +JMP /)
  t.match(ops[2], /S_COND .*# src 10\.0\.0\.0\/8$/)
  const py = await compile('python', ['-t', 'dport = :443'])
  t.match(py, /^# Generated by ssx compile --format python -t 'dport = :443'\.$/m, 'the header names the command, quoted for a shell')
})

t.test('--format netlink: one complete request message per line, as the runtime encodes it', async (t) => {
  for (const { argv, why } of CASES) {
    const lines = (await compile('netlink', argv)).split('\n').filter((l) => l !== '')
    const json = JSON.parse(await compile('json', argv)) as { requests: JsonRequest[] }
    t.equal(lines.length, json.requests.length, `one line per request: ${why}`)
    for (const [i, line] of lines.entries()) {
      const msg = Buffer.from(line, 'hex')
      // nlmsghdr read by hand (host order): len, type, flags, seq, pid.
      t.equal(msg.readUInt32LE(0), msg.length, 'nlmsg_len is the message length')
      t.equal(msg.readUInt16LE(4), 20, 'SOCK_DIAG_BY_FAMILY')
      t.equal(msg.readUInt16LE(6), 0x301, 'NLM_F_REQUEST | NLM_F_DUMP')
      t.equal(msg.readUInt32LE(8), 123456, "ss's sequence number")
      t.equal(msg[16], json.requests[i]!.family, 'sdiag_family')
      if (json.requests[i]!.bytecode) t.ok(line.includes(json.requests[i]!.bytecode), 'the bytecode is inside')
    }
  }
  const q = await compileQuery({ tables: ['tcp'], states: ['established'], filter: 'dport = :443 or src 10.0.0.0/8' })
  const first = (await compile('netlink', ['-t', 'state', 'established', 'dport = :443 or src 10.0.0.0/8'])).split('\n')[0]
  t.equal(first, Buffer.from(encodePlan(q.plan)[0]!).toString('hex'), 'the first line is encodeRequest of the first request')
})

t.test('an unknown format names the known ones', async (t) => {
  const r = await runCompile(['--format', 'cobol', '-t'], { resolver: offlineResolver() })
  t.equal(r.exitCode, 255)
  t.match(r.stderr, /expected json, asm, hex, netlink, c, go, python or rust/)
})
