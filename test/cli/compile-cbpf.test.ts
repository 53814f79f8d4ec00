// `ssx compile --target cbpf`: the golden listings of test/golden/cbpf/
// (checked by test/compiler/cbpf-asm.test.ts against the compiler) are
// what the command prints for the same filters, in asm (tcpdump -d) and
// ddd (tcpdump -ddd) formats; hex and json carry the same program.
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { runCompile } from '../../src/cli/compile.js'
import { readLocalPortRange } from '../../src/query.js'
import { FAKE_RESOLVER } from '../compiler/cbpf-fixtures.js'

const GOLDEN = new URL('../golden/cbpf/', import.meta.url)
const io = { resolver: FAKE_RESOLVER, env: {} }
const [lo, hi] = readLocalPortRange()
const defaultRange = lo === 32768 && hi === 60999

for (const name of readdirSync(GOLDEN).filter((f) => f.endsWith('.txt')).sort()) {
  const text = readFileSync(new URL(name, GOLDEN), 'utf8')
  const filter = /^# filter: (.*)$/m.exec(text)![1]!
  const [head, ddd] = text.split('# ddd\n') as [string, string]
  const asm = head.split('\n').filter((l) => l.startsWith('(')).map((l) => `${l}\n`).join('')
  const words = filter.split(' ').filter((w) => w !== '')
  const skip = filter.includes('autobound') && !defaultRange ? `this machine's ip_local_port_range is ${lo} ${hi}, the golden file assumes 32768 60999` : false
  t.test(`${name}: ${filter || '(no filter)'}`, { skip }, async (t) => {
    const a = await runCompile(['--target', 'cbpf', '--format', 'asm', ...words], io)
    t.equal(a.exitCode, 0)
    t.equal(a.stdout, asm, 'asm = tcpdump -d listing')
    t.equal(a.stderr.includes('note:'), /^# exact: false$/m.test(text), 'a note on stderr iff the program is not exact')
    const d = await runCompile(['--target=cbpf', '--format=ddd', ...words], io)
    t.equal(d.stdout, ddd, 'ddd = tcpdump -ddd')
    const h = await runCompile(['--target=cbpf', '--format=hex', ...words], io)
    const j = await runCompile(['--target=cbpf', '--format=json', ...words], io)
    const json = JSON.parse(j.stdout) as { program: string; exact: boolean; ops: { code: number; jt: number; jf: number; k: number }[] }
    t.equal(h.stdout, `${json.program}\n`, 'hex = json program')
    t.equal(json.exact, /^# exact: true$/m.test(text))
    t.equal(`${json.ops.length}\n${json.ops.map((o) => `${o.code} ${o.jt} ${o.jf} ${o.k}\n`).join('')}`, ddd, 'json ops = ddd')
  })
}

t.test('formats other than asm, ddd, hex and json are refused', async (t) => {
  const r = await runCompile(['--target=cbpf', '--format=c', 'sport = :22'], io)
  t.equal(r.exitCode, 255)
  t.match(r.stderr, /--target cbpf prints --format asm, ddd, hex or json, not "c"/)
})

t.test('json lists what is left to user space', async (t) => {
  // 400 prefixes do not fit in 4096 instructions: the kernel keeps everything, user space filters.
  const words = Array.from({ length: 400 }, (_, i) => `src 10.${i >> 8}.${i & 0xff}.0/24`).join(' or ').split(' ')
  const r = await runCompile(['--target=cbpf', ...words], io)
  const json = JSON.parse(r.stdout) as { exact: boolean; residual: { reason: string }[]; ops: unknown[] }
  t.equal(json.exact, false)
  t.equal(json.ops.length, 1)
  t.match(json.residual[0]!.reason, /at most 4096/)
  const a = await runCompile(['--target=cbpf', '--format=asm', ...words], io)
  t.match(a.stderr, /note: the kernel keeps every event/)
})
