// `ssx compile --target ebpf` and `ssx explain --target ebpf` for unix
// listings (this machine's BTF; no root needed): the iter/unix listing reads
// back into the bytes `hex` prints, a ; line names the program, and both say
// when user space still applies the filter (src globs the program leaves out).
import t from 'tap'
import { existsSync } from 'node:fs'
import { runCompile } from '../../src/cli/compile.js'
import { runExplain } from '../../src/cli/explain.js'
import { runList } from '../../src/cli/list.js'
import { assemble } from '../../compiler/ebpf/assemble.js'
import { parseListing } from '../../compiler/ebpf/disasm.js'
import { VMLINUX_BTF } from '../../runtime/btf.js'

if (!existsSync(VMLINUX_BTF)) {
  t.plan(0, `skip: no ${VMLINUX_BTF} (kernel without BTF): the eBPF target reads offsets from it`)
} else {
  t.test('compile -x: asm reads back into the hex bytes; the program is named', async (t) => {
    for (const f of [[], ['src', '/run/*'], ['autobound', 'or', 'rqueue', '>', '0'], ['src', '*.sock', 'and', 'not', 'sport', '<', ':1000']]) {
      const asm = await runCompile(['--target', 'ebpf', '--format', 'asm', '-xa', ...f])
      const hex = await runCompile(['--target', 'ebpf', '--format', 'hex', '-xa', ...f])
      t.equal(asm.exitCode, 0, `${f.join(' ')}: exit 0`)
      t.equal(Buffer.from(assemble(parseListing(asm.stdout)).bytes).toString('hex'), hex.stdout.trim(), `${f.join(' ') || '(no filter)'}: listing = bytes`)
      t.match(asm.stdout, /^; iter\/unix\n/, 'named')
      t.match(asm.stdout, /call bpf_probe_read_kernel#\d+/, 'the name is probe-read')
    }
  })

  t.test('json and explain say what user space still does', async (t) => {
    const json = async (f: string[]): Promise<{ attach: string, userSpace?: boolean }[]> =>
      (await runCompile(['--target', 'ebpf', '--format', 'json', ...f])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { attach: string, userSpace?: boolean })
    t.same((await json(['-x', 'src', '/run/x.sock'])).map((p) => [p.attach, p.userSpace]), [['iter/unix', undefined]], 'a literal name: decided in the kernel')
    t.same((await json(['-x', 'src', '/run/*.sock'])).map((p) => [p.attach, p.userSpace]), [['iter/unix', true]], 'an inner star: user space too')
    t.same((await json(['-tx'])).map((p) => p.attach), ['iter/unix', 'iter/tcp'], 'ss\'s order: unix before inet')
    const whole = await runExplain(['--target', 'ebpf', '-x', 'src', '/run/*'])
    t.match(whole.stdout, /eBPF iter\/unix program[^\n]*\n/)
    t.match(whole.stdout, /decides {2}the whole filter in the kernel/)
    const part = await runExplain(['--target', 'ebpf', '-x', 'src', '/run/?.sock', 'or', 'autobound'])
    t.match(part.stdout, /decides {2}part of the filter in the kernel;\n\s+user space: src name globs/)
    t.match(part.stdout, /falls back {2}to netlink/)
  })

  t.test('-e on unix sockets is refused (VFS and ICONS are not read), before anything runs', async (t) => {
    let err = ''
    const code = await runList(['-xae', '--target', 'ebpf'], { stdin: () => '', write: () => undefined, writeErr: (s) => { err += s } })
    t.not(code, 0)
    t.match(err, /--target ebpf: -e needs the bound inode and pending peers of unix sockets/)
  })
}
