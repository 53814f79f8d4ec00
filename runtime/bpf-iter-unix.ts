/**
 * The `iter/unix` program's kernel layout: {@link ITER_UNIX_BTF} resolved
 * against BTF (the generic resolver of runtime/bpf-iter.ts). Loading and
 * iterating go through `loadIter`/`IterLink` like every iterator.
 */
import { ITER_UNIX_BTF } from '../uapi/bpf-unix.js'
import type { IterUnixLayout } from '../uapi/bpf-unix.js'
import { resolveBtfTable } from './bpf-iter.js'
import { vmlinuxBtf } from './btf.js'
import type { Btf } from './btf.js'

/**
 * Resolve {@link ITER_UNIX_BTF} against `btf` (default: the running kernel).
 * @throws BtfError when the kernel lacks BTF, the iterator, a helper or a member
 */
export function readIterUnixLayout(btf: Btf = vmlinuxBtf()): IterUnixLayout {
  return resolveBtfTable(ITER_UNIX_BTF, btf)
}
