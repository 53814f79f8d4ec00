// The per-user cache of resolved BTF name tables (runtime/btf-cache.ts): an
// entry is used only for the same kernel and the same question, and only
// when well-formed and private; otherwise BTF is read again. Never a failure.
import t from 'tap'
import type { Test } from 'tap'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cachedBtfTable, kernelIdentity } from '../../runtime/btf-cache.js'
import { readIterLayout } from '../../runtime/bpf-iter.js'
import { VMLINUX_BTF, vmlinuxBtf } from '../../runtime/btf.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const TABLE = { attach: 'bpf_iter_thing', helpers: { write: 'BPF_FUNC_seq_write' }, members: { port: ['sock_common', 'skc_num'], flag: ['sock', 'sk_flag'] } } as const
const ANSWER = { attachBtfId: 77, helpers: { write: 127 }, members: { port: { off: 14, size: 2, bitShift: 0, bitSize: 0 }, flag: { off: 8, size: 1, bitShift: 3, bitSize: 1 } } }

/** A fresh cache directory, and a resolver that counts its calls. */
function fixture(t: Test): { dir: string, calls: () => number, resolve: () => typeof ANSWER } {
  const root = mkdtempSync(join(tmpdir(), 'ssx-btf-cache-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  let n = 0
  return { dir: join(root, 'ssx'), calls: () => n, resolve: () => { n++; return structuredClone(ANSWER) } }
}

const entryFile = (dir: string): string => join(dir, readdirSync(dir).find((f) => f.endsWith('.json'))!)

t.test('a miss resolves and stores; a hit for the same kernel and table does not resolve', async (t) => {
  const f = fixture(t)
  const opts = { dir: f.dir, identity: () => 'boot-1' }
  t.same(cachedBtfTable(TABLE, '/btf', f.resolve, opts), ANSWER)
  t.equal(f.calls(), 1)
  t.same(cachedBtfTable(TABLE, '/btf', f.resolve, opts), ANSWER)
  t.equal(f.calls(), 1, 'second call served from the cache')
  t.equal(statSync(f.dir).mode & 0o777, 0o700, 'directory private')
  t.equal(statSync(entryFile(f.dir)).mode & 0o777, 0o600, 'entry private')
  t.same(readdirSync(f.dir).filter((n) => n.endsWith('.tmp')), [], 'no temporary file left')
})

t.test('another kernel, BTF file or table misses', async (t) => {
  const f = fixture(t)
  cachedBtfTable(TABLE, '/btf', f.resolve, { dir: f.dir, identity: () => 'boot-1' })
  cachedBtfTable(TABLE, '/btf', f.resolve, { dir: f.dir, identity: () => 'boot-2' })
  t.equal(f.calls(), 2, 'new boot or kernel')
  cachedBtfTable(TABLE, '/other-btf', f.resolve, { dir: f.dir, identity: () => 'boot-2' })
  t.equal(f.calls(), 3, 'another BTF file')
  const more = { ...TABLE, members: { ...TABLE.members, extra: ['sock', 'sk_mark'] } } as const
  const answer = { ...ANSWER, members: { ...ANSWER.members, extra: { off: 1, size: 4, bitShift: 0, bitSize: 0 } } }
  t.same(cachedBtfTable(more, '/other-btf', () => answer, { dir: f.dir, identity: () => 'boot-2' }), answer, 'a table asking for more gets its own answer')
  t.same(cachedBtfTable(TABLE, '/other-btf', f.resolve, { dir: f.dir, identity: () => 'boot-2' }), ANSWER)
  t.equal(f.calls(), 3, 'the first table still cached beside it')
})

t.test('an entry that is corrupt, ill-formed or not private is not used', async (t) => {
  const opts = (dir: string): { dir: string, identity: () => string } => ({ dir, identity: () => 'boot-1' })
  const damage: [string, (text: string) => string][] = [
    ['truncated', (s) => s.slice(0, s.length >> 1)],
    ['empty', () => ''],
    ['a member missing', (s) => { const e = JSON.parse(s); delete e.value.members.flag; return JSON.stringify(e) }],
    ['a helper renamed', (s) => { const e = JSON.parse(s); e.value.helpers = { other: 127 }; return JSON.stringify(e) }],
    ['a negative offset', (s) => { const e = JSON.parse(s); e.value.members.port.off = -2; return JSON.stringify(e) }],
    ['a fractional offset', (s) => { const e = JSON.parse(s); e.value.members.port.off = 14.5; return JSON.stringify(e) }],
    ['an offset as text', (s) => { const e = JSON.parse(s); e.value.members.port.off = '14'; return JSON.stringify(e) }],
    ['a zero size', (s) => { const e = JSON.parse(s); e.value.members.port.size = 0; return JSON.stringify(e) }],
    ['attach id 0', (s) => { const e = JSON.parse(s); e.value.attachBtfId = 0; return JSON.stringify(e) }],
    ['another format', (s) => { const e = JSON.parse(s); e.format = 0; return JSON.stringify(e) }],
  ]
  for (const [name, edit] of damage) {
    const f = fixture(t)
    cachedBtfTable(TABLE, '/btf', f.resolve, opts(f.dir))
    const file = entryFile(f.dir)
    writeFileSync(file, edit(readFileSync(file, 'utf8')), { mode: 0o600 })
    t.same(cachedBtfTable(TABLE, '/btf', f.resolve, opts(f.dir)), ANSWER, name)
    t.equal(f.calls(), 2, `${name}: resolved again`)
    t.same(cachedBtfTable(TABLE, '/btf', f.resolve, opts(f.dir)), ANSWER)
    t.equal(f.calls(), 2, `${name}: the rewritten entry is used`)
  }
  const f = fixture(t)
  cachedBtfTable(TABLE, '/btf', f.resolve, opts(f.dir))
  chmodSync(entryFile(f.dir), 0o666)
  cachedBtfTable(TABLE, '/btf', f.resolve, opts(f.dir))
  t.equal(f.calls(), 2, 'an entry others can write is ignored')
})

t.test('no identity, no directory, or an unwritable one: resolved every time, never an error', async (t) => {
  const f = fixture(t)
  cachedBtfTable(TABLE, '/btf', f.resolve, { dir: f.dir, identity: () => null })
  cachedBtfTable(TABLE, '/btf', f.resolve, { dir: f.dir, identity: () => null })
  t.equal(f.calls(), 2)
  t.notOk(existsSync(f.dir), 'nothing written without an identity')
  cachedBtfTable(TABLE, '/btf', f.resolve, { dir: null, identity: () => 'boot-1' })
  t.equal(f.calls(), 3)
  writeFileSync(f.dir, 'a file where the directory should be')
  t.same(cachedBtfTable(TABLE, '/btf', f.resolve, { dir: f.dir, identity: () => 'boot-1' }), ANSWER)
  t.equal(f.calls(), 4)
  const boom = (): never => { throw new RangeError('no BTF') }
  t.throws(() => cachedBtfTable(TABLE, '/btf', boom, { dir: join(f.dir, 'x'), identity: () => 'b' }), RangeError, "the resolver's own error goes through")
})

t.test('the running kernel', { skip: existsSync(VMLINUX_BTF) ? false : 'no /sys/kernel/btf/vmlinux (kernel without CONFIG_DEBUG_INFO_BTF)' }, async (t) => {
  const id = kernelIdentity(VMLINUX_BTF)
  t.ok(id, 'an identity')
  t.equal(kernelIdentity(VMLINUX_BTF), id, 'stable')
  t.match(id, readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim(), 'carries the boot id')
  t.equal(kernelIdentity('/nonexistent/btf'), null)
  // The cached layout (from the user's cache or written now) is what BTF says.
  t.same(readIterLayout(), readIterLayout(vmlinuxBtf()))
})

const netnsOk = await canUseNetns()
const netnsSkip = !existsSync(VMLINUX_BTF) ? 'no /sys/kernel/btf/vmlinux (kernel without CONFIG_DEBUG_INFO_BTF)'
  : !netnsOk && process.env.CI !== 'true' ? 'needs root and ip(8) for a private namespace (CI=true makes this a failure)' : false
t.test('the identity is the same inside `ip netns exec` (a fresh sysfs mount: its mtimes change every run)', { skip: netnsSkip }, async (t) => {
  const ns = await createNetns('btfcache')
  t.teardown(() => ns.destroy())
  // The same module, loaded by a child in the namespace with this test's TypeScript loader.
  const mod = fileURLToPath(new URL('../../runtime/btf-cache.ts', import.meta.url))
  const code = `const m = await import(${JSON.stringify(mod)}); process.stdout.write(String(m.kernelIdentity(${JSON.stringify(VMLINUX_BTF)})))`
  const identity = async (): Promise<string> => (await ns.exec(process.execPath, [...process.execArgv, '--input-type=module', '-e', code])).stdout
  const here = kernelIdentity(VMLINUX_BTF)
  t.equal(await identity(), here)
  t.equal(await identity(), here, 'and again')
})
