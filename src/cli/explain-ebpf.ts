/**
 * `ssx explain --target ebpf`: the iterator programs a `--target ebpf`
 * listing loads (`iter/unix`, `iter/tcp`), each instruction beside the
 * filter text it came from, its size, and which part of the filter it
 * decides in the kernel and which part user space still runs. Offsets and
 * helper numbers come from this machine's BTF (readable without root).
 */
import { FilterError } from '../../grammar/errors.js'
import { BtfError } from '../../runtime/btf.js'
import { EBPF_MAX_INSNS } from '../../compiler/ebpf/assemble.js'
import { compileEbpfPrograms, formatEbpfListing, type EbpfListingOptions } from '../ebpf-query.js'
import { USER_SPACE_NOTE } from './compile-ebpf.js'
import type { ExplainTarget } from './explain-render.js'

/** What each iterator walks, for the section titles. */
const WALKS: Readonly<Record<string, string>> = {
  'iter/unix': 'every AF_UNIX socket of the namespace',
  'iter/udp': 'every UDP socket of the namespace, both families',
  'iter/tcp': 'every TCP socket of the namespace, both families, every state',
}

/** The eBPF target of a listing with these options (selection, port range, diag plan). */
export function ebpfTarget(opts: EbpfListingOptions): ExplainTarget {
  return {
    name: 'ebpf',
    sections(input) {
      let programs
      try {
        programs = compileEbpfPrograms(input.filter, opts)
      } catch (e) {
        if (e instanceof FilterError || e instanceof BtfError) return [{ title: 'eBPF iterator programs', body: `none: ${e.message}` }]
        throw e
      }
      if (programs.length === 0) return [{ title: 'eBPF iterator programs', body: 'none: the listing selects no TCP, UDP or unix socket' }]
      return programs.map((p) => {
        const lines = [
          formatEbpfListing(p.program, input.source).trimEnd(),
          '',
          `size   ${p.program.count} instruction${p.program.count === 1 ? '' : 's'} of ${EBPF_MAX_INSNS}`,
        ]
        if (!input.filter) lines.push('decides  the listing\'s selection (tables, states) in the kernel; there is no filter')
        else if (p.userSpace) lines.push('decides  part of the filter in the kernel;', `  user space: ${USER_SPACE_NOTE}`)
        else lines.push('decides  the whole filter in the kernel: sockets it rejects never reach user space')
        if (p.attach === 'iter/unix') lines.push('falls back  to netlink when the records need more than one read of the iterator (32 KiB): the kernel\'s unix iterator would skip the rest of a hash bucket')
        return { title: `eBPF ${p.attach} program (BPF_TRACE_ITER, run once per socket: ${WALKS[p.attach]})`, body: lines.join('\n') }
      })
    },
  }
}
