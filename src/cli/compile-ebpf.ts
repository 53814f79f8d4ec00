/**
 * `ssx compile --target ebpf`: the `iter/tcp` program a `--target ebpf`
 * listing loads, printed as a listing in the kernel verifier's style with
 * the filter text beside each instruction (`asm`), as raw `struct bpf_insn`
 * bytes (`hex`) or JSON. Member offsets and helper numbers are read from
 * this machine's BTF (/sys/kernel/btf/vmlinux, readable without root).
 */
import { FilterError } from '../../grammar/errors.js'
import { BtfError } from '../../runtime/btf.js'
import { compileEbpfListing, formatEbpfListing } from '../ebpf-query.js'
import { readLocalPortRange } from '../query.js'
import { EXIT, formatFilterError } from './report.js'
import { toHex } from './plan-json.js'
import type { CommandResult, Compiled } from './compile.js'

/** The formats `--target ebpf` prints. */
export const EBPF_FORMATS = ['asm', 'hex', 'json'] as const

/** Render the eBPF program of `c` in `format`; `stderr` holds what was already reported (warnings). */
export function runCompileEbpf(c: Compiled, format: string, prog: string, stderr: string): CommandResult {
  if (!(EBPF_FORMATS as readonly string[]).includes(format)) {
    return { exitCode: EXIT.usage, stdout: '', stderr: `${stderr}${prog}: --target ebpf prints --format asm, hex or json, not "${format}"\n` }
  }
  let program
  try {
    program = compileEbpfListing(c.filter, { selection: { ...c.selection, families: c.families }, localPortRange: readLocalPortRange(), plan: c.plan }).program
  } catch (e) {
    if (e instanceof FilterError) return { exitCode: EXIT.value, stdout: '', stderr: stderr + formatFilterError(prog, e, c.source) }
    if (e instanceof BtfError) return { exitCode: EXIT.value, stdout: '', stderr: `${stderr}${prog}: ${e.message}\n` }
    throw e
  }
  switch (format) {
    case 'asm':
      return { exitCode: 0, stdout: formatEbpfListing(program, c.source), stderr }
    case 'hex':
      return { exitCode: 0, stdout: `${toHex(program.bytes)}\n`, stderr }
    default:
      return { exitCode: 0, stdout: JSON.stringify({ target: 'ebpf', attach: 'iter/tcp', insns: program.count, program: toHex(program.bytes) }) + '\n', stderr }
  }
}
