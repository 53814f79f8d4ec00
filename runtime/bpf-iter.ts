/**
 * eBPF socket iterators through the raw `bpf(2)` system call (no libbpf):
 * load a BPF_PROG_TYPE_TRACING program attached to an iterator's BTF FUNC,
 * link it, create an iterator file descriptor and `read()` everything the
 * program wrote with `bpf_seq_write` (modelled on cilium/ebpf's `link.Iter`).
 *
 * Takes program bytes; knows nothing of filters. Kernel-dependent numbers
 * come from BTF ({@link readIterLayout}). The iterator walks the network
 * namespace of the thread that creates the iterator fd, so `netns` is
 * entered around BPF_ITER_CREATE only.
 *
 * Needs CAP_BPF and CAP_PERFMON (root). Every failure is a {@link BpfError};
 * a verifier refusal carries the verifier's log.
 */
import koffi from 'koffi'
import { BPF_ATTACH_TYPE, BPF_CMD, BPF_PROG_TYPE, ITER_NUMA_DROPS_TCP_BTF, ITER_NUMA_DROPS_UDP_BTF, ITER_SOCK_EXTRA_TCP_BTF, ITER_SOCK_EXTRA_UDP_BTF, ITER_TCP_BBR_BTF, ITER_TCP_BTF, ITER_TCP_INFO_BTF, ITER_TCP_MPTCP_BTF, ITER_UDP_BTF, bpf_attr_iter_create, bpf_attr_link_create, bpf_attr_prog_load, bpf_insn } from '../uapi/bpf.js'
import type { BbrLayout, IterLayout, MemberSlot, MptcpLayout, SockExtraLayout, UdpIterLayout } from '../uapi/bpf.js'
import { BtfError, VMLINUX_BTF, vmlinuxBtf } from './btf.js'
import { cachedBtfTable } from './btf-cache.js'
import type { Btf } from './btf.js'
import { errnoInfo } from './errors.js'
import { inNetns } from './netns.js'

/** What the runtime was doing when bpf(2) said no. */
export type BpfOperation = 'prog_load' | 'link_create' | 'iter_create' | 'read' | 'syscall'

/** A refused `bpf(2)` command, or an unavailable eBPF runtime. */
export class BpfError extends Error {
  override readonly name = 'BpfError'
  /** errno name, e.g. `EACCES` (the verifier refused) or `EPERM` (not privileged). */
  readonly errnoName: string
  constructor(
    readonly operation: BpfOperation,
    /** Positive errno. */
    readonly errno: number,
    /** The verifier's explanation (BPF_PROG_LOAD with a log), when it refused the program. */
    readonly verifierLog?: string,
  ) {
    const info = errnoInfo(errno)
    const reason = verifierLog ? `: ${verifierReason(verifierLog)}` : errno === 1 ? ' (eBPF iterators need root: CAP_BPF and CAP_PERFMON)' : ''
    super(`bpf ${operation}: ${info.description} (${info.name})${reason}`)
    this.errnoName = info.name
  }
}

/** The verifier's verdict: the last line of its log that is not a statistic. */
function verifierReason(log: string): string {
  const lines = log.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^(processed \d+ insns|verification time|stack depth|peak_states|mark_read)/.test(l))
  return lines.at(-1) ?? 'refused'
}

/** `bpf(2)` system call number by architecture (`arch/x86/entry/syscalls/syscall_64.tbl`, `include/uapi/asm-generic/unistd.h`). */
export const SYS_BPF: Readonly<Record<string, number>> = { x64: 321, arm64: 280, riscv64: 280, loong64: 280 }

interface Sys {
  syscall(nr: number, cmd: number, attr: unknown, size: number): number
  read(fd: number, buf: Uint8Array, len: number): number
  close(fd: number): number
}

let sys: Sys | undefined

function bind(): Sys {
  if (sys) return sys
  const lib = koffi.load('libc.so.6')
  // syscall(2) is variadic; on the 64-bit ABIs in SYS_BPF, integer and
  // pointer arguments travel in the same registers either way.
  sys = {
    syscall: lib.func('long syscall(long, int, void *, unsigned int)'),
    read: lib.func('long read(int, void *, size_t)'),
    close: lib.func('int close(int)'),
  } as Sys
  return sys
}

/** Native memory the kernel reads through pointers stored in `bpf_attr`. */
class Native {
  readonly ptr: unknown
  readonly bytes: Uint8Array
  constructor(size: number) {
    this.ptr = koffi.alloc('uint8_t', Math.max(size, 1))
    this.bytes = new Uint8Array(koffi.view(this.ptr, Math.max(size, 1)))
    this.bytes.fill(0)
  }
  static of(data: Uint8Array): Native {
    const n = new Native(data.length)
    n.bytes.set(data)
    return n
  }
  get address(): bigint {
    return BigInt(koffi.address(this.ptr))
  }
  free(): void {
    koffi.free(this.ptr)
  }
}

const EAGAIN = 11
const EINTR = 4

/** `attempts` > 1: retry on EAGAIN (see {@link PROG_LOAD_ATTEMPTS}). */
function bpf(cmd: number, attr: Uint8Array, op: BpfOperation, attempts = 1): number {
  const nr = SYS_BPF[process.arch]
  if (nr === undefined) throw new BpfError('syscall', 38)
  const mem = Native.of(attr)
  try {
    for (let left = attempts; ; left--) {
      const rc = bind().syscall(nr, cmd, mem.ptr, attr.length)
      if (rc >= 0) return rc
      const errno = koffi.errno()
      if (errno !== EAGAIN || left <= 1) throw new BpfError(op, errno)
    }
  } finally {
    mem.free()
  }
}

/**
 * The verifier gives up with EAGAIN when a signal is pending (a profiler's
 * SIGPROF, a terminal's SIGWINCH): the program is not refused, the load is
 * tried again, as libbpf does (5 attempts).
 */
const PROG_LOAD_ATTEMPTS = 5

/**
 * An iterator's BTF name table ({@link ITER_TCP_BTF}'s shape): the attach
 * FUNC, helpers by `enum bpf_func_id` name, members as [struct, dotted path].
 */
export interface BtfNameTable {
  readonly attach: string
  readonly helpers: { readonly [k: string]: string }
  readonly members: { readonly [k: string]: readonly [string, string] }
}

/** A {@link BtfNameTable} resolved against one kernel: plain numbers only. */
export interface ResolvedBtfTable<T extends BtfNameTable> {
  readonly attachBtfId: number
  readonly helpers: { readonly [K in keyof T['helpers']]: number }
  readonly members: { readonly [K in keyof T['members']]: MemberSlot }
}

/** Tables resolved against the running kernel in this process. */
const resolvedHere = new WeakMap<BtfNameTable, ResolvedBtfTable<BtfNameTable>>()

/**
 * Resolve an iterator's name table against `btf`. Without `btf`, against
 * the running kernel: once per process, and from the per-user cache
 * (runtime/btf-cache.ts) when this kernel's answer is there, so the
 * ~5.5 MB vmlinux BTF is read only the first time.
 * @throws BtfError when the kernel lacks BTF, the iterator, a helper or a member
 */
export function resolveBtfTable<T extends BtfNameTable>(table: T, btf?: Btf): ResolvedBtfTable<T> {
  if (btf) return resolveIn(table, btf)
  let r = resolvedHere.get(table) as ResolvedBtfTable<T> | undefined
  if (!r) {
    r = cachedBtfTable(table, VMLINUX_BTF, () => resolveIn(table, vmlinuxBtf()))
    resolvedHere.set(table, r)
  }
  return r
}

function resolveIn<T extends BtfNameTable>(table: T, btf: Btf): ResolvedBtfTable<T> {
  const helpers: Record<string, number> = {}
  for (const [k, name] of Object.entries(table.helpers)) helpers[k] = btf.enumValue('bpf_func_id', name)
  const members: Record<string, MemberSlot> = {}
  for (const [k, [struct, path]] of Object.entries(table.members)) {
    const m = btf.member(struct, path)
    // Bitfields are loaded as their storage unit and shifted (little-endian bit numbering).
    const unit = m.bitSize ? Math.min(8, Math.max(1, m.size)) : m.size
    const off = m.bitSize ? Math.floor(m.bitOffset / (unit * 8)) * unit : m.byteOffset
    members[k] = { off, size: unit, bitShift: m.bitSize ? m.bitOffset - off * 8 : 0, bitSize: m.bitSize }
  }
  return { attachBtfId: btf.funcId(table.attach), helpers, members } as ResolvedBtfTable<T>
}

/** What a listing reads beyond the plain record: the tables resolved for it. */
export interface LayoutWants {
  /** `-i` or a time predicate: {@link ITER_TCP_INFO_BTF}, and BBR's and MPTCP's structs when the kernel's BTF has them. */
  readonly info?: boolean
  /** `-m` or `--tos`: {@link ITER_SOCK_EXTRA_TCP_BTF} (or the UDP one), with the per-NUMA drop counters when the kernel has them. */
  readonly extra?: boolean
}

/**
 * Resolve {@link ITER_TCP_BTF} (the `iter/tcp` program's kernel numbers),
 * and what the listing's options need besides (`wants`): only then, so
 * that members of newer kernels refuse those options on an older one and
 * never a plain listing, and that an optional struct the kernel lacks
 * (whose absence is not cached) costs no BTF read in other listings.
 * @throws BtfError when the kernel lacks BTF, the iterator, a helper or a member
 */
export function readIterLayout(btf?: Btf, wants: LayoutWants = {}): IterLayout {
  const layout = resolveBtfTable(ITER_TCP_BTF, btf)
  let out: IterLayout = layout
  if (wants.info) {
    const bbr = optionalTable(ITER_TCP_BBR_BTF, btf)
    const mptcp = optionalTable(ITER_TCP_MPTCP_BTF, btf)
    out = { ...out, info: resolveBtfTable(ITER_TCP_INFO_BTF, btf), ...(bbr ? { bbr: bbr.members } : {}), ...(mptcp ? { mptcp: mptcp.members } : {}) }
  }
  if (wants.extra) out = { ...out, extra: extraLayout(resolveBtfTable(ITER_SOCK_EXTRA_TCP_BTF, btf).members, optionalTable(ITER_NUMA_DROPS_TCP_BTF, btf)?.members) }
  return out
}

function extraLayout(members: Omit<SockExtraLayout, 'numaDrops'>, numaDrops: SockExtraLayout['numaDrops'] | undefined): SockExtraLayout {
  return numaDrops ? { ...members, numaDrops } : members
}

/** The running kernel's answers for the optional tables (null: a struct this kernel's vmlinux BTF lacks). */
const optionalHere = new Map<BtfNameTable, ResolvedBtfTable<BtfNameTable> | null>()

/**
 * Resolve a table the `-i` block can do without ({@link ITER_TCP_BBR_BTF},
 * {@link ITER_TCP_MPTCP_BTF}); null when the kernel's BTF lacks a name in
 * it (BBR or MPTCP built as a module, or not at all): the `-i` line then
 * lacks `bbr:(…)` or the subflow details on the eBPF target.
 * @throws BtfError when the kernel has no usable BTF at all
 */
function optionalTable<T extends BtfNameTable>(table: T, btf?: Btf): ResolvedBtfTable<T> | null {
  if (!btf && optionalHere.has(table)) return optionalHere.get(table) as ResolvedBtfTable<T> | null
  let r: ResolvedBtfTable<T> | null
  try {
    r = resolveBtfTable(table, btf)
  } catch (e) {
    if (!(e instanceof BtfError) || e.code !== 'E_BTF_MISSING') throw e
    r = null
  }
  if (!btf) optionalHere.set(table, r)
  return r
}

/** {@link ITER_TCP_BBR_BTF} against the running kernel (or `btf`); null without `struct bbr`. */
export function readBbrLayout(btf?: Btf): BbrLayout | null {
  return optionalTable(ITER_TCP_BBR_BTF, btf)
}

/** {@link ITER_TCP_MPTCP_BTF} against the running kernel (or `btf`); null without `struct mptcp_subflow_context`. */
export function readMptcpLayout(btf?: Btf): MptcpLayout | null {
  return optionalTable(ITER_TCP_MPTCP_BTF, btf)
}

/**
 * Resolve {@link ITER_UDP_BTF} (the `iter/udp` program's kernel numbers),
 * with the `-m`/`--tos` members when `wants.extra`.
 * @throws BtfError as {@link readIterLayout}
 */
export function readUdpIterLayout(btf?: Btf, wants: Pick<LayoutWants, 'extra'> = {}): UdpIterLayout {
  const layout = resolveBtfTable(ITER_UDP_BTF, btf)
  if (!wants.extra) return layout
  return { ...layout, extra: extraLayout(resolveBtfTable(ITER_SOCK_EXTRA_UDP_BTF, btf).members, optionalTable(ITER_NUMA_DROPS_UDP_BTF, btf)?.members) }
}

/** Options of {@link loadIter}. */
export interface LoadIterOptions {
  /** Program name shown by bpftool (up to 15 characters). */
  readonly name?: string
  /** Verifier log buffer size for the retry after a refusal (default 4 MiB). */
  readonly logSize?: number
}

/** A loaded and linked iterator program. {@link IterLink.read} may be called many times. */
export class IterLink {
  #closed = false
  constructor(readonly progFd: number, readonly linkFd: number) {}

  /**
   * Run the iterator once (in `netns` when given) and return everything the program wrote.
   * @throws BpfError (`iter_create`, `read`); NetlinkError from entering the namespace
   */
  read(netns?: string): Uint8Array {
    const chunks: Uint8Array[] = []
    let total = 0
    for (const c of this.chunks(netns)) {
      chunks.push(c.slice())
      total += c.length
    }
    const out = new Uint8Array(total)
    let at = 0
    for (const c of chunks) { out.set(c, at); at += c.length }
    return out
  }

  /**
   * Run the iterator once, yielding what each `read()` returns as the walk
   * goes (a seq_file buffer's worth: whole records). A chunk is valid until
   * the next one is asked for; the iterator closes when the walk ends or the
   * consumer stops.
   *
   * Nothing is lost between reads, however slow the consumer: when
   * `bpf_seq_write` finds the buffer full, bpf_seq_read() drops that partial
   * record and ends the read, and the next read runs the program again on
   * the same socket (the TCP iterator resumes its bucket by socket cookie),
   * so the program need not check what the helper returns. Sockets created
   * or closed during the walk are listed or not depending on where the walk
   * is, as with an inet_diag dump: test/integration/ebpf-churn.test.ts
   * checks that every socket living through a stalled walk under TIME-WAIT
   * churn comes out exactly once. That is why `--target ebpf` and `diag`
   * can differ by the churn's rows on the 1M benchmark (a 15 s eBPF walk
   * against a 5 s dump), not a loss.
   * @throws BpfError (`iter_create`, `read`); NetlinkError from entering the namespace
   */
  *chunks(netns?: string): Generator<Uint8Array> {
    const attr = bpf_attr_iter_create.bytes({ link_fd: this.linkFd, flags: 0 })
    const create = (): number => bpf(BPF_CMD.BPF_ITER_CREATE, attr, 'iter_create')
    const fd = netns === undefined ? create() : inNetns(netns, create)
    const s = bind()
    try {
      // One read() returns at most the kernel's seq_file buffer (8 pages,
      // bpf_seq_read()), whole records: a larger buffer would change nothing.
      const buf = new Uint8Array(1 << 16)
      for (;;) {
        const n = s.read(fd, buf, buf.length)
        if (n < 0) {
          const errno = koffi.errno()
          // bpf_seq_read() stops after a million sockets in one read; when the
          // program wrote none of them (a selective filter on a big machine)
          // it says EAGAIN, and the next read() resumes the walk there.
          if (errno === EAGAIN || errno === EINTR) continue
          throw new BpfError('read', errno)
        }
        if (n === 0) return
        yield buf.subarray(0, n)
      }
    } finally {
      s.close(fd)
    }
  }

  /** Close the link and the program. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    bind().close(this.linkFd)
    bind().close(this.progFd)
  }
}

/**
 * Load `insns` (assembled `struct bpf_insn` bytes) as an iterator program
 * attached to BTF FUNC `attachBtfId`, and link it.
 * @throws BpfError `prog_load` with the verifier log when refused; `link_create`
 */
export function loadIter(insns: Uint8Array, attachBtfId: number, opts: LoadIterOptions = {}): IterLink {
  const code = Native.of(insns)
  const license = Native.of(new TextEncoder().encode('GPL\0'))
  const name = new TextEncoder().encode((opts.name ?? 'ssx_iter').slice(0, 15))
  const attr = (logLevel: number, log: Native | null): Uint8Array => bpf_attr_prog_load.bytes({
    prog_type: BPF_PROG_TYPE.BPF_PROG_TYPE_TRACING,
    insn_cnt: insns.length / bpf_insn.size,
    insns: code.address,
    license: license.address,
    log_level: logLevel,
    log_size: log ? log.bytes.length : 0,
    log_buf: log ? log.address : 0n,
    prog_name: name,
    expected_attach_type: BPF_ATTACH_TYPE.BPF_TRACE_ITER,
    attach_btf_id: attachBtfId,
  })
  let progFd: number
  try {
    try {
      progFd = bpf(BPF_CMD.BPF_PROG_LOAD, attr(0, null), 'prog_load', PROG_LOAD_ATTEMPTS)
    } catch (e) {
      // As libbpf does: load without a log first (fast), and only on a refusal again with one, for the reason.
      if (!(e instanceof BpfError) || e.errno === 1) throw e
      const log = new Native(opts.logSize ?? 4 << 20)
      try {
        progFd = bpf(BPF_CMD.BPF_PROG_LOAD, attr(1, log), 'prog_load', PROG_LOAD_ATTEMPTS)
      } catch (e2) {
        if (!(e2 instanceof BpfError)) throw e2
        const end = log.bytes.indexOf(0)
        throw new BpfError('prog_load', e2.errno, new TextDecoder().decode(log.bytes.subarray(0, end < 0 ? log.bytes.length : end)))
      } finally {
        log.free()
      }
    }
  } finally {
    code.free()
    license.free()
  }
  try {
    const linkFd = bpf(BPF_CMD.BPF_LINK_CREATE, bpf_attr_link_create.bytes({ prog_fd: progFd, target_fd: 0, attach_type: BPF_ATTACH_TYPE.BPF_TRACE_ITER, flags: 0 }), 'link_create')
    return new IterLink(progFd, linkFd)
  } catch (e) {
    bind().close(progFd)
    throw e
  }
}

/**
 * Load, link, read once and close: the whole iterator round trip.
 * @throws BpfError, BtfError
 */
export function runIter(insns: Uint8Array, attachBtfId: number, opts: LoadIterOptions & { readonly netns?: string } = {}): Uint8Array {
  const link = loadIter(insns, attachBtfId, opts)
  try {
    return link.read(opts.netns)
  } finally {
    link.close()
  }
}

/**
 * Whether eBPF iterators can run here; the reason when not (for the CLI's one-line notice).
 * Cheap: reads BTF (cached) and checks the effective uid; the kernel has the last word at load time.
 */
export function iterSupport(): { readonly ok: true } | { readonly ok: false, readonly reason: string } {
  if (SYS_BPF[process.arch] === undefined) return { ok: false, reason: `bpf(2) is not wired for ${process.arch}` }
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) return { ok: false, reason: 'eBPF iterators need root (CAP_BPF and CAP_PERFMON)' }
  try {
    readIterLayout()
  } catch (e) {
    if (e instanceof BtfError) return { ok: false, reason: e.message }
    throw e
  }
  return { ok: true }
}
