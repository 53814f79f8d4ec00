// `ssx compile --target ebpf`: the listing reads back into the very bytes
// `--format hex` prints (with this machine's BTF; no root needed), the
// filter text sits beside its instructions, and what the target cannot do
// fails with a typed, pointed message.
import t from 'tap'
import { existsSync } from 'node:fs'
import { runCompile } from '../../src/cli/compile.js'
import { assemble } from '../../compiler/ebpf/assemble.js'
import { parseListing } from '../../compiler/ebpf/disasm.js'
import { VMLINUX_BTF } from '../../runtime/btf.js'
import { kernelHz } from '../../runtime/kernel-hz.js'

if (!existsSync(VMLINUX_BTF)) {
  t.plan(0, `skip: no ${VMLINUX_BTF} (kernel without BTF): the eBPF target reads offsets from it`)
} else {
  t.test('asm reads back into the hex bytes', async (t) => {
    const filters = [[], ['dport', '=', ':443', 'and', 'rtt', '>', '50ms'], ['src', '10.0.0.0/8', 'or', 'not', 'cwnd', '<', '10'], ['state', 'established', 'autobound'], ['dst', '[::1]', 'and', 'bytes_acked', '>', '5G']]
    for (const f of filters) {
      const asm = await runCompile(['--target', 'ebpf', '--format', 'asm', '-t', ...f])
      const hex = await runCompile(['--target', 'ebpf', '--format', 'hex', '-t', ...f])
      t.equal(asm.exitCode, 0, `${f.join(' ')}: exit 0`)
      t.equal(Buffer.from(assemble(parseListing(asm.stdout)).bytes).toString('hex'), hex.stdout.trim(), `${f.join(' ') || '(no filter)'}: listing = bytes`)
      t.match(asm.stdout, /call bpf_seq_write#\d+/, 'helper names from BTF')
      if (f.length) t.match(asm.stdout, new RegExp(`; .*${f[0]}`), 'filter text beside the instructions')
    }
    const json = JSON.parse((await runCompile(['--target', 'ebpf', '--format', 'json', '-t', 'sport', '=', ':22'])).stdout) as { target: string, insns: number, program: string }
    t.equal(json.target, 'ebpf')
    t.equal(json.program.length, json.insns * 16)
  })

  t.test('UDP: an iter/udp program, before iter/tcp (ss\'s order)', async (t) => {
    const f = ['sport', '=', ':53', 'or', 'rtt', '>', '1ms']
    const asm = await runCompile(['--target', 'ebpf', '--format', 'asm', '-u', ...f])
    const hex = await runCompile(['--target', 'ebpf', '--format', 'hex', '-u', ...f])
    t.equal(asm.exitCode, 0, asm.stderr)
    t.match(asm.stdout, /^; iter\/udp\n/, 'named')
    t.equal(Buffer.from(assemble(parseListing(asm.stdout.replace(/^; iter\/udp\n/, ''))).bytes).toString('hex'), hex.stdout.trim(), 'listing = bytes')
    t.match(asm.stdout, /ctx->udp_sk/, 'the UDP context')
    const both = (await runCompile(['--target', 'ebpf', '--format', 'json', '-tu'])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { attach: string }).attach)
    t.same(both, ['iter/udp', 'iter/tcp'])
  })

  t.test('time predicates and -i: the jiffies converted with the kernel\'s HZ in the program', async (t) => {
    const rto = await runCompile(['--target', 'ebpf', '--format', 'asm', '-t', 'dport', '=', ':22', 'and', 'rto', '>', '5'])
    if (kernelHz() === null) {
      t.equal(rto.exitCode, 1)
      t.match(rto.stderr, /needs the kernel's HZ/, 'refused without HZ')
      return
    }
    t.equal(rto.exitCode, 0, rto.stderr)
    t.match(rto.stdout, /jiffies → µs \(HZ \d+\)/, 'icsk_rto converted as jiffies_to_usecs()')
    t.match(rto.stdout, /; .*rto > 5/, 'filter text beside the instructions')
    t.match(rto.stdout, /r3 = 176\n.*call bpf_seq_write/, 'the -i block is read for the test, not written')
    const info = await runCompile(['--target', 'ebpf', '--format', 'asm', '-ti'])
    t.equal(info.exitCode, 0, info.stderr)
    t.match(info.stdout, /r3 = 432\n.*call bpf_seq_write/, '-i: record and block written')
    t.match(info.stdout, /call bpf_jiffies64#\d+/, 'the clock read for lastsnd/lastrcv/lastack')
  })

  t.test('refusals', async (t) => {
    const raw = await runCompile(['--target', 'ebpf', '--format', 'asm', '-w'])
    t.equal(raw.exitCode, 1)
    t.match(raw.stderr, /TCP, UDP and unix sockets only/)
    const fmt = await runCompile(['--target', 'ebpf', '--format', 'ddd', '-t'])
    t.equal(fmt.exitCode, 255)
  })
}
