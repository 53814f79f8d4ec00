/**
 * `ssx compile --target ebpf`: the programs a `--target ebpf` listing loads
 * (`iter/unix`, `iter/tcp`, in that order), each printed as a listing in the
 * kernel verifier's style with the filter text beside each instruction
 * (`asm`; a `;` line names the iterator when it is not the lone `iter/tcp`,
 * and what user space still tests), as raw `struct bpf_insn` bytes (`hex`,
 * a line each) or JSON (an object a line). Member offsets and helper numbers are read from
 * this machine's BTF (/sys/kernel/btf/vmlinux, readable without root).
 */
import { FilterError } from '../../grammar/errors.js'
import { BtfError } from '../../runtime/btf.js'
import { compileEbpfPrograms, formatEbpfListing, type EbpfListingProgram } from '../ebpf-query.js'
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
  let programs: EbpfListingProgram[]
  try {
    // -i (and -o/-e): the program the listing would load, with the tcp_info block (and the timers).
    const { info, memory, tos } = c.args.flags
    const extras = { ...(info ? { info: true } : {}), ...(memory ? { memory: true } : {}), ...(tos ? { tos: true } : {}), ...(c.args.flags.showOptions || c.args.flags.extended > 0 ? { timers: true } : {}) }
    programs = compileEbpfPrograms(c.filter, { selection: { ...c.selection, families: c.families }, localPortRange: readLocalPortRange(), plan: c.plan, ...extras })
  } catch (e) {
    if (e instanceof FilterError) return { exitCode: EXIT.value, stdout: '', stderr: stderr + formatFilterError(prog, e, c.source) }
    if (e instanceof BtfError) return { exitCode: EXIT.value, stdout: '', stderr: `${stderr}${prog}: ${e.message}\n` }
    throw e
  }
  const headed = programs.length > 1 || programs.some((p) => p.attach !== 'iter/tcp')
  const asm = (p: EbpfListingProgram): string => {
    let head = headed ? `; ${p.attach}\n` : ''
    if (p.userSpace) head += `; ${USER_SPACE_NOTE}\n`
    return head + formatEbpfListing(p.program, c.source)
  }
  switch (format) {
    case 'asm':
      return { exitCode: 0, stdout: programs.map(asm).join('\n'), stderr }
    case 'hex':
      return { exitCode: 0, stdout: programs.map((p) => `${toHex(p.program.bytes)}\n`).join(''), stderr }
    default:
      return {
        exitCode: 0,
        stdout: programs.map((p) => JSON.stringify({ target: 'ebpf', attach: p.attach, insns: p.program.count, program: toHex(p.program.bytes), ...(p.userSpace ? { userSpace: true } : {}) }) + '\n').join(''),
        stderr,
      }
  }
}

/** What a program with a user-space part leaves there (iter/unix: src name globs). */
export const USER_SPACE_NOTE = 'src name globs other than a literal name or prefix* (?, brackets, escapes, inner stars): the program keeps every socket they might accept, and user space applies the whole filter to its records'
