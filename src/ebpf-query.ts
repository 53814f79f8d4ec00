/**
 * The eBPF target of a socket listing (`--target ebpf`, issue 9): the whole
 * filter, with the listing's state and family selection, compiled into one
 * iterator program per socket table (`iter/unix`, `iter/udp`, then
 * `iter/tcp`: ss's order) that runs in the kernel; the records they write decode into the
 * same {@link InetRecord}s and {@link UnixRecord}s a netlink dump yields.
 * The `iter/unix` program leaves `src` name globs to user space, which
 * applies the whole filter to its records then (as the diag target does:
 * ss has no unix bytecode).
 *
 * Glue only: the code generator (compiler/ebpf) is pure and takes the
 * kernel layout the runtime reads from BTF (runtime/bpf-iter).
 *
 * ```ts
 * const why = ebpfListingIssue(selection)            // null: the listing can run here
 * const recs = runEbpfListing(filter, { selection, localPortRange, netns })
 * ```
 */
import { FilterError } from '../grammar/errors.js'
import type { Filter } from '../compiler/filter.js'
import { TABLE, type Selection } from '../compiler/select.js'
import { compileIterTcp } from '../compiler/ebpf/codegen.js'
import type { EbpfProgram } from '../compiler/ebpf/assemble.js'
import { decode, formatListing } from '../compiler/ebpf/disasm.js'
import { ssx_iter_tcp_info, ssx_iter_tcp_rec, type IterLayout, type UdpIterLayout } from '../uapi/bpf.js'
import type { QueryPlan } from '../compiler/plan.js'
import type { AssembledOp } from '../compiler/assemble.js'
import { AF } from '../uapi/inet-diag.js'
import { iterSupport, loadIter, readIterLayout, readUdpIterLayout, type IterLink } from '../runtime/bpf-iter.js'
import { EBPF_HZ_METRICS, EBPF_UNSUPPORTED_METRICS, compileIterUdp } from '../compiler/ebpf/codegen.js'
import { metricsOf, needsTcpInfo } from '../compiler/metrics.js'
import { decodeIterTcpChunks, decodeIterUdpInDiagOrder, iterTcpLead, iterTcpStride, type IterDecodeOptions } from '../runtime/decode-iter.js'
import { kernelHz } from '../runtime/kernel-hz.js'
import type { InetRecord } from '../runtime/decode-inet.js'
import { compileIterUnix, unixUserSpaceFilter } from '../compiler/ebpf/codegen-unix.js'
import type { IterUnixLayout } from '../uapi/bpf-unix.js'
import { readIterUnixLayout } from '../runtime/bpf-iter-unix.js'
import type { UnixRecord } from '../runtime/decode-unix.js'
import { runUnixListing } from './ebpf-unix.js'

/** Options of {@link compileEbpfListing} and {@link runEbpfListing}. */
export interface EbpfListingOptions {
  readonly selection: Selection
  /** `ip_local_port_range` of the namespace listed (for `autobound`). */
  readonly localPortRange: readonly [number, number]
  /** `ip netns` name or path; the iterator walks that namespace. */
  readonly netns?: string
  /** Kernel layout; read from the running kernel's BTF when absent. */
  readonly layout?: IterLayout
  /** `iter/udp` kernel layout; read from BTF when absent. */
  readonly udpLayout?: UdpIterLayout
  /** `iter/unix` kernel layout; read from BTF when absent. */
  readonly unixLayout?: IterUnixLayout
  /**
   * The `diag` plan of the same listing: its TCP (UDP) bytecode runs in
   * the iter/tcp (iter/udp) program too, so the eBPF target selects what
   * `--target diag` lists.
   */
  readonly plan?: QueryPlan
  /**
   * Read the TCP timers (`-o`, `-e`): iter/tcp writes them in jiffies, the
   * decoder turns them into milliseconds with the kernel's HZ (runtime/kernel-hz.ts).
   */
  readonly timers?: boolean
  /**
   * Read tcp_info (`-i`): iter/tcp appends the `-i` block to each record
   * (the rest of tcp_get_info(), the congestion control's name), its
   * jiffies converted with the kernel's HZ in the program.
   */
  readonly info?: boolean
  /** The kernel's HZ; read from the running kernel (runtime/kernel-hz.ts) when the program needs it and this is absent. */
  readonly hz?: number
  /** `-m`: the inet programs write sock_diag_put_meminfo()'s counters before each record. */
  readonly memory?: boolean
  /** `--tos`: the inet programs write INET_DIAG_TOS, INET_DIAG_TCLASS and INET_DIAG_CLASS_ID before each record. */
  readonly tos?: boolean
  /**
   * Called once after the TCP records when `-i` met sockets whose
   * congestion-control block (DCTCP, Vegas…) or ULP details (kTLS) the
   * program does not read (their `-i` text lacks them), with the names.
   */
  readonly onNotice?: (message: string) => void
  /** Called before the records of each inet program: which table they belong to (the CLI names the protocol by it). */
  readonly onTable?: (table: 'udp' | 'tcp') => void
}

/**
 * The inet_diag bytecode of the plan's TCP requests (one program for both
 * families, as ss sends); empty when the plan sends none (the kernel accepts every socket).
 * @throws FilterError `E_EBPF_UNSUPPORTED` when the families got different programs
 */
export function tcpKernelOps(plan: QueryPlan): readonly AssembledOp[] {
  return kernelOps(plan, 'tcp')
}

/**
 * The inet_diag bytecode of the plan's requests for `table` (as {@link tcpKernelOps}).
 * @throws FilterError `E_EBPF_UNSUPPORTED` when the families got different programs
 */
export function kernelOps(plan: QueryPlan, table: 'tcp' | 'udp'): readonly AssembledOp[] {
  const progs = plan.requests.filter((r) => r.table === table).map((r) => r.program)
  const first = progs[0] ?? null
  for (const p of progs) {
    const same = p === first || (p !== null && first !== null && p.bytes.length === first.bytes.length && p.bytes.every((b, i) => b === first.bytes[i]))
    if (!same) throw new FilterError('E_EBPF_UNSUPPORTED', `the ${table.toUpperCase()} requests carry different bytecode per family; the eBPF target runs one program`)
  }
  return first ? first.ops : []
}

/** The unix tables: the `iter/unix` program lists them. */
const UNIX_TABLES = (1 << TABLE.unix_stream) | (1 << TABLE.unix_dgram) | (1 << TABLE.unix_seqpacket)

/**
 * Why a listing with this selection cannot run on the eBPF target, or null.
 * The TCP, UDP and unix tables have iterator programs (raw, SCTP, MPTCP,
 * packet, netlink… have none: the kernel has no iterator for them).
 */
export function ebpfListingIssue(selection: Selection): string | null {
  const others = selection.tables & ~(1 << TABLE.tcp) & ~(1 << TABLE.udp) & ~UNIX_TABLES
  if (others !== 0) return 'the eBPF target lists TCP, UDP and unix sockets only (the kernel has socket iterators for those)'
  return null
}

/** One iterator program of a listing, with what user space still does on its records. */
export interface EbpfListingProgram {
  readonly attach: 'iter/unix' | 'iter/udp' | 'iter/tcp'
  readonly program: EbpfProgram
  readonly attachBtfId: number
  /** The filter user space applies to the decoded records; null when the program decided alone. */
  readonly userSpace: Filter | null
}

/** Does the listing include unix sockets (a unix table, and AF_UNIX among the families)? */
function listsUnix(selection: Selection): boolean {
  return (selection.tables & UNIX_TABLES) !== 0 && (selection.families & (1 << AF.AF_UNIX)) !== 0
}

/** Does the listing include sockets of this inet table? */
function listsInet(selection: Selection, table: 'tcp' | 'udp'): boolean {
  return (selection.tables & (1 << TABLE[table])) !== 0 && (selection.families & ((1 << AF.AF_INET) | (1 << AF.AF_INET6))) !== 0
}

/** Does the listing include TCP sockets? */
function listsTcp(selection: Selection): boolean {
  return listsInet(selection, 'tcp')
}

/**
 * Compile every program of the listing, in ss's order (unix, UDP, TCP).
 * @throws FilterError `E_EBPF_UNSUPPORTED` (a predicate this target cannot test, or a selection it cannot list)
 * @throws BtfError when a layout must be read and the kernel has no usable BTF
 */
export function compileEbpfPrograms(filter: Filter | null, opts: EbpfListingOptions): EbpfListingProgram[] {
  const issue = ebpfListingIssue(opts.selection)
  if (issue) throw new FilterError('E_EBPF_UNSUPPORTED', issue)
  const out: EbpfListingProgram[] = []
  if (listsUnix(opts.selection)) {
    const layout = opts.unixLayout ?? readIterUnixLayout()
    const program = compileIterUnix(filter, layout, { states: opts.selection.states, tables: opts.selection.tables })
    out.push({ attach: 'iter/unix', program, attachBtfId: layout.attachBtfId, userSpace: unixUserSpaceFilter(filter) })
  }
  if (listsInet(opts.selection, 'udp')) {
    const layout = opts.udpLayout ?? readUdpIterLayout(undefined, { ...(opts.memory || opts.tos ? { extra: true } : {}) })
    const plan = opts.plan
    // The states ss asks udp_diag for (`-l` asks for CLOSE too: unconnected UDP sockets "listen").
    const states = plan?.requests.find((r) => r.table === 'udp')?.states ?? opts.selection.states
    const kernel = plan ? kernelOps(plan, 'udp') : undefined
    const program = compileIterUdp(filter, layout, { localPortRange: opts.localPortRange, states, families: opts.selection.families, ...(kernel ? { kernel } : {}), ...sockExtras(opts) })
    out.push({ attach: 'iter/udp', program, attachBtfId: layout.attachBtfId, userSpace: null })
  }
  if (listsTcp(opts.selection)) {
    const { program, layout } = compileEbpfListing(filter, opts)
    out.push({ attach: 'iter/tcp', program, attachBtfId: layout.attachBtfId, userSpace: null })
  }
  return out
}

/**
 * Compile the listing's program.
 * @throws FilterError `E_EBPF_UNSUPPORTED` (a predicate this target cannot test, or a selection it cannot list)
 * @throws BtfError when the layout must be read and the kernel has no usable BTF
 */
export function compileEbpfListing(filter: Filter | null, opts: EbpfListingOptions): { readonly program: EbpfProgram, readonly layout: IterLayout } {
  const issue = ebpfListingIssue(opts.selection)
  if (issue) throw new FilterError('E_EBPF_UNSUPPORTED', issue)
  // The -i block (and HZ) when the program converts jiffies: -i, or rto/lastsnd/lastrcv/lastack in the filter.
  const timed = opts.info || metricsOf(filter).some((m) => EBPF_HZ_METRICS.includes(m))
  const layout = opts.layout ?? readIterLayout(undefined, { ...(timed ? { info: true } : {}), ...(opts.memory || opts.tos ? { extra: true } : {}) })
  const kernel = opts.plan ? tcpKernelOps(opts.plan) : undefined
  const hz = timed ? opts.hz ?? kernelHz() ?? undefined : undefined
  const program = compileIterTcp(filter, layout, {
    localPortRange: opts.localPortRange, states: opts.selection.states, families: opts.selection.families,
    ...(kernel ? { kernel } : {}), ...(opts.timers ? { timers: true } : {}), ...(opts.info ? { info: true } : {}), ...(hz !== undefined ? { hz } : {}), ...sockExtras(opts),
  })
  return { program, layout }
}

/** The `-m`/`--tos` options of the inet programs. */
function sockExtras(opts: EbpfListingOptions): { memory?: true, tos?: true } {
  return { ...(opts.memory ? { memory: true } : {}), ...(opts.tos ? { tos: true } : {}) }
}

/** How the inet programs' records are laid out, for their decoders. */
function recordShape(opts: EbpfListingOptions): IterDecodeOptions {
  return { ...(opts.memory || opts.tos ? { extra: true } : {}) }
}

/** The program as a listing in the verifier's style, with the filter text beside each instruction. */
export function formatEbpfListing(program: EbpfProgram, source?: string): string {
  return formatListing(decode(program.bytes), { placed: program.insns, ...(source !== undefined ? { source } : {}) })
}

/**
 * Run the listing on the eBPF target: compile, load, iterate, decode, as a
 * stream, one program after the other. Unix records pass through the
 * program's user-space part, when it has one. One TCP walk covers both families while ss sends an AF_INET request,
 * then AF_INET6 (within a family both walk the same hash tables, listeners
 * then established, so the order is ss's): AF_INET records are yielded as the
 * walk reads them, AF_INET6 ones are kept as their raw records and
 * decoded after it.
 * @throws FilterError, BtfError, BpfError (not root, verifier refusal with its log), NetlinkError (namespace)
 */
export function* runEbpfListing(filter: Filter | null, opts: EbpfListingOptions): Generator<InetRecord | UnixRecord> {
  // Every program compiled and loaded (each refusal raised) before the first record.
  const programs = compileEbpfPrograms(filter, opts)
  const links: IterLink[] = []
  try {
    for (const p of programs) links.push(loadIter(p.program.bytes, p.attachBtfId))
    for (const [i, p] of programs.entries()) {
      const link = links[i]!
      if (p.attach === 'iter/unix') {
        yield* runUnix(p, link, filter, opts)
        continue
      }
      opts.onTable?.(p.attach === 'iter/udp' ? 'udp' : 'tcp')
      yield* p.attach === 'iter/udp' ? runUdp(link, opts) : runTcp(link, opts)
    }
  } finally {
    for (const link of links) link.close()
  }
}

/** The `iter/unix` program's records, with its user-space part applied. */
function* runUnix(p: EbpfListingProgram, link: IterLink, filter: Filter | null, opts: EbpfListingOptions): Generator<UnixRecord> {
  // Over netlink instead when the walk took more than one read (src/ebpf-unix.ts: the kernel skips the rest of a bucket then).
  yield* runUnixListing(p, link, filter, opts)
}

/**
 * The `iter/udp` program's records in udp_diag's order: the iterator walks
 * another hash table, so the whole walk is read, then sorted by each
 * record's place in udp_diag's walk (runtime/decode-iter.ts).
 */
function* runUdp(link: IterLink, opts: EbpfListingOptions): Generator<InetRecord> {
  yield* decodeIterUdpInDiagOrder(link.read(opts.netns), recordShape(opts))
}

/** The `iter/tcp` program's records, AF_INET first. */
function* runTcp(link: IterLink, opts: EbpfListingOptions): Generator<InetRecord> {
  const later: Uint8Array[] = []
  const hz = opts.timers ? opts.hz ?? kernelHz() : null
  const dopts = { ...(hz === null ? {} : { hz }), ...(opts.info ? { info: true } : {}), ...recordShape(opts) }
  const size = iterTcpStride(dopts)
  const lead = iterTcpLead(dopts)
  const unread = new Set<string>()
  const chunks = opts.info ? withUnreadBlocks(link.chunks(opts.netns), size, lead, unread) : link.chunks(opts.netns)
  for (const rec of decodeIterTcpChunks(rawV4First(chunks, later, size, lead), dopts)) yield rec
  yield* decodeIterTcpChunks(later, dopts)
  if (unread.size) opts.onNotice?.(`--target ebpf does not read the -i details of ${[...unread].sort().join(', ')} sockets (shown with --target diag)`)
}

/** The chunks as they are, the names of the congestion controls and ULPs whose `-i` details the records lack added to `names`. */
function* withUnreadBlocks(chunks: Iterable<Uint8Array>, size: number, lead: number, names: Set<string>): Generator<Uint8Array> {
  const at = lead + ssx_iter_tcp_rec.size
  const I = ssx_iter_tcp_info.offsetOf
  const name = (c: Uint8Array, o: number): string => {
    const b = c.subarray(o, o + 16)
    const end = b.indexOf(0)
    return new TextDecoder().decode(b.subarray(0, end < 0 ? 16 : end))
  }
  for (const chunk of chunks) {
    // Whole records only (what the kernel hands out): anything else is the decoder's to report.
    if (chunk.length % size === 0) for (let o = at; o < chunk.length; o += size) {
      if (chunk[o + I.cc_info] === 2) names.add(name(chunk, o + I.congestion))
      if (chunk[o + I.ulp_info] === 3) names.add(name(chunk, o + I.ulp_name))
    }
    yield chunk
  }
}

/** The chunks with every AF_INET6 record (of `size` bytes, its `ssx_iter_tcp_rec` `lead` bytes in) moved (copied) into `later`; AF_INET ones pass through. */
function* rawV4First(chunks: Iterable<Uint8Array>, later: Uint8Array[], size: number, lead: number): Generator<Uint8Array> {
  const familyAt = lead + ssx_iter_tcp_rec.offsetOf.family
  for (const chunk of chunks) {
    if (chunk.length % size !== 0) { yield chunk; continue } // let the decoder report it
    let v4 = 0
    for (let o = 0; o < chunk.length; o += size) if (chunk[o + familyAt] === AF.AF_INET) v4++
    // Most chunks hold one family only: passed on as read, or kept in one copy.
    if (v4 * size === chunk.length) { yield chunk; continue }
    if (v4 === 0) { later.push(chunk.slice()); continue }
    const mine = new Uint8Array(v4 * size)
    const rest = new Uint8Array(chunk.length - mine.length)
    let a = 0
    let b = 0
    for (let o = 0; o < chunk.length; o += size) {
      const rec = chunk.subarray(o, o + size)
      if (rec[familyAt] === AF.AF_INET) { mine.set(rec, a); a += size } else { rest.set(rec, b); b += size }
    }
    later.push(rest)
    yield mine
  }
}

/** Output options a listing asked for; some need fields the iterator does not read yet (--inet-sockopt). */
export interface ListingExtras {
  readonly extended?: number | boolean
  readonly showOptions?: boolean
  readonly info?: boolean
  readonly memory?: boolean
  readonly tos?: boolean
  readonly inetSockopt?: boolean
  readonly json?: boolean
  readonly ndjson?: boolean
}

const EXTRA_FLAGS: readonly [keyof ListingExtras, string][] = [
  ['inetSockopt', '--inet-sockopt'],
]

/**
 * Why this listing cannot run on the eBPF target (null: it can): the
 * selection, the filter's predicates, the output options, then the machine
 * (root, BTF). The words fit after "--target ebpf: ".
 */
export function ebpfTargetIssue(filter: Filter | null, selection: Selection, extras: ListingExtras = {}): string | null {
  const sel = ebpfListingIssue(selection)
  if (sel) return sel
  // A unix socket has no tcp_info: the iter/unix program folds such predicates to false.
  const metrics = listsTcp(selection) ? metricsOf(filter) : []
  const bad = metrics.filter((m) => EBPF_UNSUPPORTED_METRICS.includes(m))
  if (bad.length) return `the iterator cannot test ${bad.join(', ')}`
  // The program converts tcp_info's jiffies (rto, ato, last*, the chrono stats) with the kernel's HZ, as tcp_get_info() does.
  const timed = metrics.filter((m) => EBPF_HZ_METRICS.includes(m))
  if ((timed.length || (extras.info && listsTcp(selection))) && kernelHz() === null) return `${timed.length ? timed.join(', ') : '-i'} needs the kernel's HZ (read from /proc/timer_list or /proc/config.gz), which this machine does not show`
  // -e and -o print the TCP timers: iter/tcp reads their deadlines in jiffies, user space needs HZ for milliseconds.
  if ((extras.extended || extras.showOptions) && listsTcp(selection) && kernelHz() === null) return `${extras.extended ? '-e' : '-o'} needs the kernel's HZ for the TCP timers (read from /proc/timer_list or /proc/config.gz), which this machine does not show`
  // -m on unix sockets prints UNIX_DIAG_MEMINFO, which iter/unix does not read.
  if (extras.memory && listsUnix(selection)) return '-m needs the memory counters of unix sockets, which the iter/unix program does not read yet'
  // -e on unix sockets prints UNIX_DIAG_VFS and UNIX_DIAG_ICONS (the pending connections' peers), which iter/unix does not read.
  if (extras.extended && listsUnix(selection)) return '-e needs the bound inode and pending peers of unix sockets, which the iter/unix program does not read yet'
  // JSON carries every tcp_info member the kernel sends; the -i block holds those ss prints (not rehash, total_rto…, the AccECN counters, the raw ULP attribute).
  if (extras.info && (extras.json || extras.ndjson) && listsTcp(selection)) return `${extras.ndjson ? '--ndjson' : '--json'} -i needs tcp_info members the iterator does not read (rehash, total_rto, the AccECN counters)`
  const flags = EXTRA_FLAGS.filter(([k]) => extras[k]).map(([, f]) => f)
  if (flags.length) return `${flags.join(' ')} need${flags.length === 1 ? 's' : ''} fields the iterator does not read yet`
  const support = iterSupport()
  return support.ok ? null : support.reason
}

/**
 * The target a listing runs on. `diag` and `ebpf` as asked (`ebpf` with the
 * reason when it cannot run here); `auto` picks `ebpf` when the filter reads
 * tcp_info (then the iterator decides in the kernel for less than shipping
 * every socket's tcp_info: bench/RESULTS.md, spec bpf-targets §3) and the
 * listing can run there, else `diag`. `notice` is set when `auto` wanted
 * eBPF and falls back (the CLI prints it once on stderr).
 */
export function chooseListingTarget(target: 'auto' | 'diag' | 'ebpf', filter: Filter | null, selection: Selection, extras: ListingExtras = {}):
  { readonly target: 'diag' | 'ebpf', readonly issue?: string, readonly notice?: string } {
  if (target === 'diag') return { target: 'diag' }
  if (target === 'auto' && !needsTcpInfo(filter)) return { target: 'diag' }
  const issue = ebpfTargetIssue(filter, selection, extras)
  if (target === 'ebpf') return issue ? { target: 'ebpf', issue } : { target: 'ebpf' }
  return issue ? { target: 'diag', notice: `eBPF target not used (${issue}); filtering with inet_diag and tcp_info in user space` } : { target: 'ebpf' }
}
