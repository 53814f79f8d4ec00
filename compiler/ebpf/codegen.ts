/**
 * Code generation for the `iter/tcp` and `iter/udp` targets: a resolved
 * {@link Filter} → an eBPF program (IR with labels) that the kernel runs once
 * per TCP (or UDP) socket (IPv4 and IPv6, every state) and that writes one
 * `ssx_iter_tcp_rec` (uapi/bpf.ts) for each socket the filter selects. The
 * two programs share everything but the protocol's own fields. Output
 * options add blocks around the record, all on the stack and written with
 * it in one `bpf_seq_write`: `-m`/`--tos` one before it
 * (`ssx_iter_sock_extra`), `-i` one after it on iter/tcp
 * (`ssx_iter_tcp_info`: the rest of tcp_get_info(), its jiffies converted
 * with the HZ the runtime passes in, INET_DIAG_CONG, BBR's block,
 * INET_DIAG_ULP_INFO). Without them the record and its code are unchanged.
 *
 * Two passes, in one straight line:
 *
 * 1. `gather`: read the socket into the record on the stack, the way
 *    inet_diag fills `inet_diag_msg` and `tcp_info` (TIME-WAIT sockets report
 *    their substate, request sockets SYN-RECV, placeholder zeros where the
 *    kernel's netlink reply has them), so the record decodes into the same
 *    socket record the netlink runtime yields.
 * 2. `test`: the filter, evaluated on the record with ss's user-space
 *    semantics (compiler/evaluate.ts: raw address prefixes, the v4-mapped
 *    rule, metrics false where the kernel reports no value), short-circuit,
 *    jumping to labels; the accept label writes the record.
 *
 * Pure: every kernel number (member offsets, helper ids) comes in through
 * the {@link IterLayout} (or {@link UdpIterLayout}) the runtime reads from BTF.
 */
import type { Span } from '../../grammar/ast.js'
import type { CmpOp } from '../../grammar/ast.js'
import { FilterError } from '../../grammar/errors.js'
import type { MetricName } from '../../grammar/metrics.js'
import { BBR_BW_SCALE, ICSK_TIME, MAX_BPF_STACK, MPTCP_SUBFLOW_FLAG_MEMBERS, SOCK_EXTRA_HAS, TCP_CHRONO, TCP_ECN, ssx_iter_sock_extra, ssx_iter_tcp_info, ssx_iter_tcp_rec } from '../../uapi/bpf.js'
import { TCPI_OPT } from '../../uapi/tcp-info.js'
import type { IterLayout, MemberSlot, SizeName, UdpIterLayout } from '../../uapi/bpf.js'
import type { FieldSpec, StructDef } from '../../uapi/struct.js'
import { AF, SOCK_BINDPORT_LOCK, TCP_STATE } from '../../uapi/inet-diag.js'
import type { EvaluateEnv } from '../evaluate.js'
import type { Filter, HostCond } from '../filter.js'
import { assemble } from './assemble.js'
import type { AssembledOp } from '../assemble.js'
import type { EbpfProgram } from './assemble.js'
import type { Insn, Label, Reg } from './ir.js'

/** The record's field names. */
export type RecField = keyof typeof ssx_iter_tcp_rec.offsetOf

/** The `-i` block's field names. */
export type InfoField = keyof typeof ssx_iter_tcp_info.offsetOf

/**
 * Where the record sits: the bottom of the stack frame, 8-byte aligned,
 * with room for the `-i` block right after it (the two are written with one
 * `bpf_seq_write` when the program reports tcp_info).
 */
const REC = -Math.ceil((ssx_iter_tcp_rec.size + ssx_iter_tcp_info.size) / 8) * 8
/** The `-m`/`--tos` block, right below the record (written first, then the record). */
const EXTRA = REC - Math.ceil(ssx_iter_sock_extra.size / 8) * 8
if (-EXTRA + 16 > MAX_BPF_STACK) throw new TypeError('ssx_iter_sock_extra, ssx_iter_tcp_rec, ssx_iter_tcp_info and two scratch slots do not fit in the eBPF stack')
if (ssx_iter_sock_extra.size % 8 !== 0) throw new TypeError('ssx_iter_sock_extra must keep the record after it 8-byte aligned')
if (ssx_iter_tcp_rec.size % 8 !== 0) throw new TypeError('ssx_iter_tcp_rec must keep the -i block after it 8-byte aligned')

/** Stack offset (from r10) of a record field. */
function at(field: RecField, plus = 0): number {
  return REC + ssx_iter_tcp_rec.offsetOf[field] + plus
}

/** Stack offset (from r10) of a field of the `-i` block. */
function atInfo(field: InfoField, plus = 0): number {
  return REC + ssx_iter_tcp_rec.size + ssx_iter_tcp_info.offsetOf[field] + plus
}

const infoSize = fieldSizes(ssx_iter_tcp_info)

/**
 * The load/store size of a `bytes`-wide member.
 * @throws FilterError `E_EBPF_LAYOUT` for a width one instruction cannot move
 */
export function sizeName(bytes: number, what: string): SizeName {
  switch (bytes) {
    case 1: return 'u8'
    case 2: return 'u16'
    case 4: return 'u32'
    case 8: return 'u64'
  }
  throw new FilterError('E_EBPF_LAYOUT', `${what}: a ${bytes}-byte member cannot be loaded in one instruction`)
}

/**
 * The store size of each field of a record declared in uapi/: its scalar
 * kind, or for a `bytes` field the instruction size of that width.
 */
export function fieldSizes<F extends readonly FieldSpec[]>(struct: StructDef<F>): (field: F[number]['name']) => SizeName {
  const kinds = new Map<string, FieldSpec['kind']>(struct.fields.map((f) => [f.name, f.kind]))
  return (field) => {
    const k = kinds.get(field)!
    return typeof k === 'object' ? sizeName(k.bytes, field) : k as SizeName
  }
}

const recSize = fieldSizes(ssx_iter_tcp_rec)
const extraSize = fieldSizes(ssx_iter_sock_extra)

// Registers: r6 ctx, r7 seq, r8 sk_common, r9 the cast full/time-wait socket; r0–r5 scratch.
const CTX = 6, SEQ = 7, SK = 8, FULL = 9

/** An 8-byte stack slot below the blocks: a value kept across a helper call. */
const SCRATCH = EXTRA - 8
/** A second one, below it: what `bpf_probe_read_kernel` copies before it is picked apart. */
const SCRATCH2 = EXTRA - 16

type ExtraField = keyof typeof ssx_iter_sock_extra.offsetOf

/** Stack offset (from r10) of a field of the `-m`/`--tos` block. */
function atExtra(field: ExtraField): number {
  return EXTRA + ssx_iter_sock_extra.offsetOf[field]
}

/** Where a metric's value sits in the record, and which sockets have one. */
const METRIC_FIELD: Readonly<Partial<Record<MetricName, { readonly field: RecField, readonly needs: 'tcp' | 'full' }>>> = {
  rtt: { field: 'rtt', needs: 'tcp' },
  rttvar: { field: 'rttvar', needs: 'tcp' },
  mss: { field: 'snd_mss', needs: 'tcp' },
  bytes_sent: { field: 'bytes_sent', needs: 'tcp' },
  bytes_acked: { field: 'bytes_acked', needs: 'tcp' },
  bytes_received: { field: 'bytes_received', needs: 'tcp' },
  cwnd: { field: 'snd_cwnd', needs: 'tcp' },
  ssthresh: { field: 'snd_ssthresh', needs: 'tcp' },
  retrans: { field: 'total_retrans', needs: 'tcp' },
  lost: { field: 'lost', needs: 'tcp' },
  unacked: { field: 'unacked', needs: 'tcp' },
  segs_in: { field: 'segs_in', needs: 'tcp' },
  segs_out: { field: 'segs_out', needs: 'tcp' },
  rqueue: { field: 'rqueue', needs: 'full' },
  wqueue: { field: 'wqueue', needs: 'full' },
  uid: { field: 'uid', needs: 'full' },
  ino: { field: 'inode', needs: 'full' },
}

/**
 * Metrics read from the `-i` block (tcp_info members kept in jiffies by the
 * kernel: the program converts them with HZ, as tcp_get_info() does), with
 * the factor from the block's unit to the metric's (ms → µs).
 */
const METRIC_INFO_FIELD: Readonly<Partial<Record<MetricName, { readonly field: InfoField, readonly scale: number }>>> = {
  rto: { field: 'rto', scale: 1 },
  lastsnd: { field: 'last_data_sent', scale: 1000 },
  lastrcv: { field: 'last_data_recv', scale: 1000 },
  lastack: { field: 'last_ack_recv', scale: 1000 },
}

/** Metrics the iterator program cannot compute: none (kept as the list's name for the callers that report it). */
export const EBPF_UNSUPPORTED_METRICS: readonly MetricName[] = (['rto', 'lastsnd', 'lastrcv', 'lastack'] as const).filter((m) => !(m in METRIC_FIELD) && !(m in METRIC_INFO_FIELD))

/** The metrics read from the `-i` block: a program testing one needs the kernel's HZ. */
export const EBPF_HZ_METRICS: readonly MetricName[] = Object.keys(METRIC_INFO_FIELD) as MetricName[]

/** Options of {@link generateIterTcp}. */
export interface IterCodegenOptions extends EvaluateEnv {
  /**
   * `idiag_states`-style mask (`1 << state`) the listing selected; absent =
   * every state. Tested on the kernel's own state as inet_diag does: a
   * TIME-WAIT socket by TCP_TIME_WAIT whatever its substate, a request socket
   * by the SYN-RECV bit.
   */
  readonly states?: number
  /** `1 << AF_*` mask of the selected families; absent = AF_INET and AF_INET6. */
  readonly families?: number
  /**
   * The inet_diag bytecode the `diag` target would send (the assembler's op
   * map). ss shows a socket when the kernel's bytecode accepts it and the
   * user-space filter does; with this, the program runs both, so it selects
   * exactly what `--target diag` lists (their semantics differ on purpose
   * for prefix-0, cross-family and AUTO conditions: kernel-sock-diag §1.6–1.7).
   * Empty: the plan sends no bytecode (the kernel accepts every socket).
   * Absent: no plan; `autobound` then tests the port lock itself.
   */
  readonly kernel?: readonly AssembledOp[]
  /**
   * iter/tcp: also read the timer inet_diag reports (`-o`, `-e`): the record's
   * `timer`, `timer_retrans` and `timer_jiffies` (left to user space to turn
   * into milliseconds). Off by default: a helper call per socket with a timer.
   */
  readonly timers?: boolean
  /**
   * iter/tcp: also write the `-i` block (`ssx_iter_tcp_info`) after each
   * record: the rest of tcp_get_info() and the congestion control's name.
   * Needs {@link hz}. (The block is also gathered, not written, when the
   * filter tests `rto` or `lastsnd`/`lastrcv`/`lastack`.)
   */
  readonly info?: boolean
  /** The kernel's HZ (runtime/kernel-hz.ts): the `-i` block's jiffies become µs and ms as tcp_get_info() converts them. */
  readonly hz?: number
  /** `-m`: write the `ssx_iter_sock_extra` block before each record, with sock_diag_put_meminfo()'s counters. */
  readonly memory?: boolean
  /** `--tos`: the same block, with INET_DIAG_TOS, INET_DIAG_TCLASS and INET_DIAG_CLASS_ID. */
  readonly tos?: boolean
}

/** The emitter: an instruction list and a label counter (shared by the iterator code generators). */
export class Emitter {
  readonly out: Insn[] = []
  #labels = 0
  label(name: string): Label {
    return { id: this.#labels++, name }
  }
  place(l: Label): void {
    this.out.push({ op: 'label', label: l })
  }
  emit(...insns: Insn[]): void {
    this.out.push(...insns)
  }
  /**
   * The opening every iterator program shares, after `ctx` is saved: the
   * socket from the context (null on the walk's last call: on to `end`,
   * writing nothing), the seq_file from ctx->meta->seq, and `bytes` of
   * stack from `from` zeroed (bpf_seq_write reads initialized stack only).
   */
  iterOpening(r: { readonly ctx: Reg, readonly sk: Reg, readonly seq: Reg }, sock: { readonly off: number, readonly note: string },
    meta: { readonly ctx_meta: MemberSlot, readonly meta_seq: MemberSlot }, end: Label, from: number, bytes: number): void {
    this.emit({ op: 'ldx', size: 'u64', dst: r.sk, src: r.ctx, off: sock.off, note: sock.note })
    this.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: r.sk, src: { imm: 0 }, target: end, note: 'end of the walk' })
    this.emit({ op: 'ldx', size: 'u64', dst: r.seq, src: r.ctx, off: meta.ctx_meta.off, note: 'ctx->meta' })
    this.emit({ op: 'ldx', size: 'u64', dst: r.seq, src: r.seq, off: meta.meta_seq.off, note: 'meta->seq' })
    for (let o = 0; o < bytes; o += 8) this.emit({ op: 'st', size: 'u64', dst: 10, off: from + o, imm: 0, ...(o === 0 ? { note: 'record = {}' } : {}) })
  }

  /** Load the member at `slot` of the struct `base` points to into `dst`, a bitfield shifted and masked down to its value. */
  loadMember(dst: Reg, base: Reg, slot: MemberSlot, note: string): void {
    this.emit({ op: 'ldx', size: sizeName(slot.size, note), dst, src: base, off: slot.off, note })
    if (slot.bitSize) {
      if (slot.bitShift) this.emit({ op: 'alu', alu: 'rsh', wide: true, dst, src: { imm: slot.bitShift } })
      this.emit({ op: 'alu', alu: 'and', wide: true, dst, src: { imm: slot.bitSize >= 31 ? 0x7fffffff : (1 << slot.bitSize) - 1 } })
    }
  }
}

/**
 * Generate the `iter/tcp` program for `filter` (null: every socket).
 * @throws FilterError `E_EBPF_UNSUPPORTED` for predicates this target cannot test
 */
export function generateIterTcp(filter: Filter | null, layout: IterLayout, opts: IterCodegenOptions): Insn[] {
  return generateIterInet({ proto: 'tcp', layout }, filter, opts)
}

/**
 * Generate the `iter/udp` program for `filter` (null: every socket): the
 * record and test of iter/tcp, for sockets that are all full sockets without
 * tcp_info (every tcp_info metric is false on them, as in the evaluator),
 * with the queues udp_diag reports and the socket's place in udp_diag's walk.
 * @throws FilterError as {@link generateIterTcp}
 */
export function generateIterUdp(filter: Filter | null, layout: UdpIterLayout, opts: IterCodegenOptions): Insn[] {
  return generateIterInet({ proto: 'udp', layout }, filter, opts)
}

/** The iterator an inet program is for, with its kernel layout. */
type InetIter = { readonly proto: 'tcp', readonly layout: IterLayout } | { readonly proto: 'udp', readonly layout: UdpIterLayout }

/** Members both inet name tables resolve: the code reading them is shared. */
type CommonMember = keyof IterLayout['members'] & keyof UdpIterLayout['members']

/**
 * A `udp_table.hash` slot list longer than this is not walked to its end:
 * its sockets share the depth, and keep the iterator's order among
 * themselves (a port shared by that many sockets of all namespaces).
 */
export const UDP_DEPTH_LIMIT = 512

function generateIterInet(it: InetIter, filter: Filter | null, opts: IterCodegenOptions): Insn[] {
  const e = new Emitter()
  const M: { readonly [K in CommonMember]: MemberSlot } = it.layout.members
  const H = it.layout.helpers
  const reject = e.label('reject')
  const accept = e.label('accept')

  const load = (dst: Reg, base: Reg, slot: MemberSlot, note: string): void => e.loadMember(dst, base, slot, note)
  const store = (field: RecField, src: Reg, plus = 0, size: SizeName = recSize(field)): void => {
    e.emit({ op: 'stx', size, dst: 10, src, off: at(field, plus) })
  }
  const copy = (field: RecField, base: Reg, slot: MemberSlot, note: string, size?: SizeName): void => {
    load(1, base, slot, note)
    store(field, 1, 0, size)
  }

  // The inode and the cgroup id are pointer chases (three dependent loads
  // each, cache misses at a million sockets: ~0.7 µs a socket, more than the
  // rest of the program). Read before the test only when the test reads them,
  // else only for the sockets the program writes (bench/ebpf-phases.ts:
  // walk CPU 440 → 280 ms at 213k sockets with a filter that matches nothing).
  // A UDP socket has no tcp_info: its tcp_info metrics fold to false.
  const tcpInfo = it.proto === 'tcp'
  const tested = fieldsTested(filter, opts, tcpInfo)
  const testReads = tested.read
  // The -i block: written with -i, gathered (not written) when the test reads it.
  const gatherInfo = it.proto === 'tcp' && (opts.info === true || tested.readsInfo)
  const hz = opts.hz
  if (gatherInfo && hz === undefined) throw new FilterError('E_EBPF_UNSUPPORTED', `the eBPF target needs the kernel's HZ for ${opts.info ? 'tcp_info (-i)' : 'rto, lastsnd, lastrcv and lastack'} (tcp_get_info() converts jiffies with it)`)
  const early = CHASED.filter((f) => testReads.has(f))
  const late = CHASED.filter((f) => !testReads.has(f))
  const chase = (field: typeof CHASED[number]): void => {
    if (field === 'inode') {
      // sock_i_ino(): sk_socket->file->f_inode->i_ino (NULL links read as 0 in tracing programs).
      load(1, FULL, M.sk_socket, 'sk_socket')
      load(1, 1, M.socket_file, 'socket->file')
      load(1, 1, M.file_inode, 'file->f_inode')
      load(1, 1, M.inode_ino, 'inode->i_ino')
    } else {
      load(1, FULL, M.sk_cgroup, 'sk_cgrp_data.cgroup')
      load(1, 1, M.cgroup_kn, 'cgroup->kn')
      load(1, 1, M.kn_id, 'kn->id')
    }
    store(field, 1)
  }

  const storeExtra = (field: ExtraField, src: Reg): void => {
    e.emit({ op: 'stx', size: extraSize(field), dst: 10, src, off: atExtra(field) })
  }
  const copyExtra = (field: ExtraField, slot: MemberSlot, note: string): void => {
    load(1, FULL, slot, note)
    storeExtra(field, 1)
  }
  /** The -m/--tos members, which the runtime resolves for those listings only. */
  const extraLayout = (): NonNullable<IterLayout['extra']> => {
    const X = it.layout.extra
    if (!X) throw new FilterError('E_EBPF_LAYOUT', 'the kernel layout has no -m/--tos members (resolve the inet layout with extra)')
    return X
  }
  /** sock_diag_put_meminfo(): the SK_MEMINFO_* counters of the full socket in FULL. */
  const memInfo = (): void => {
    const M = extraLayout()
    copyExtra('rmem_alloc', M.sk_rmem_alloc, 'sk_rmem_alloc_get()')
    copyExtra('rcvbuf', M.sk_rcvbuf, 'sk_rcvbuf')
    load(1, FULL, M.sk_wmem_alloc, 'sk_wmem_alloc')
    e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 1, src: { imm: 1 }, note: 'sk_wmem_alloc_get()' })
    storeExtra('wmem_alloc', 1)
    copyExtra('sndbuf', M.sk_sndbuf, 'sk_sndbuf')
    copyExtra('fwd_alloc', M.sk_forward_alloc, 'sk_forward_alloc')
    copyExtra('wmem_queued', M.sk_wmem_queued, 'sk_wmem_queued')
    copyExtra('optmem', M.sk_omem_alloc, 'sk_omem_alloc')
    copyExtra('backlog', M.sk_backlog_len, 'sk_backlog.len')
    // sk_drops_read(): the per-NUMA-node counters when the socket has them (UDP on 6.18), else sk_drops.
    const plain = e.label('sk_drops')
    const drops = e.label('drops read')
    const N = M.numaDrops
    if (N) {
      load(1, FULL, N.sk_drop_counters, 'sk_drop_counters')
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: plain })
      load(2, 1, N.ndc_drops0, 'drops0')
      load(1, 1, N.ndc_drops1, 'drops1')
      e.emit({ op: 'alu', alu: 'add', wide: false, dst: 1, src: { reg: 2 } })
      e.emit({ op: 'ja', target: drops })
    }
    e.place(plain)
    load(1, FULL, M.sk_drops, 'sk_drops')
    e.place(drops)
    storeExtra('drops', 1)
  }
  /** inet_sk_diag_fill(): INET_DIAG_TOS, INET_DIAG_TCLASS (AF_INET6) and INET_DIAG_CLASS_ID (net_cls class id, else sk_priority). */
  const tosInfo = (): void => {
    const M = extraLayout()
    copyExtra('tos', M.inet_tos, 'inet->tos')
    const v4 = e.label('no tclass')
    e.emit({ op: 'ldx', size: 'u8', dst: 1, src: 10, off: at('family'), note: 'record.family' })
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: AF.AF_INET6 }, target: v4 })
    load(1, FULL, M.pinet6, 'pinet6')
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: v4 })
    load(1, 1, M.ipv6_tclass, 'np->tclass')
    storeExtra('tclass', 1)
    e.place(v4)
    const classed = e.label('class id')
    load(1, FULL, M.sk_classid, 'sock_cgroup_classid()')
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0 }, target: classed })
    load(1, FULL, M.sk_priority, 'sk_priority')
    e.place(classed)
    storeExtra('class_id', 1)
  }

  /** What inet_diag reports for every full socket (inet_diag_msg_attrs_fill()), FULL set. */
  const fullSocket = (): void => {
    e.emit({ op: 'ldx', size: 'u32', dst: 1, src: CTX, off: M.ctx_uid.off, note: 'ctx->uid' })
    store('uid', 1)
    copy('mark', FULL, M.sk_mark, 'sk_mark')
    copy('shutdown', FULL, M.sk_shutdown, 'sk_shutdown')
    copy('userlocks', FULL, M.sk_userlocks, 'sk_userlocks')
    copy('v6only', SK, M.skc_ipv6only, 'skc_ipv6only (bitfield)')
    for (const field of early) chase(field)
    if (opts.memory) memInfo()
    if (opts.tos) tosInfo()
    const has = (opts.memory ? SOCK_EXTRA_HAS.MEMINFO : 0) | (opts.tos ? SOCK_EXTRA_HAS.TOS : 0)
    if (has) e.emit({ op: 'st', size: 'u8', dst: 10, off: atExtra('has'), imm: has })
  }

  /** record.timer_jiffies = max(0, expires - jiffies), `expires` read from `base` before the helper call clobbers r0–r5. */
  const timerLeft = (base: Reg, slot: MemberSlot, note: string): void => {
    if (it.proto !== 'tcp') return
    const ahead = e.label('timer ahead')
    load(1, base, slot, note)
    e.emit({ op: 'stx', size: 'u64', dst: 10, src: 1, off: SCRATCH })
    e.emit({ op: 'call', helper: it.layout.helpers.jiffies64, name: 'bpf_jiffies64' })
    e.emit({ op: 'ldx', size: 'u64', dst: 1, src: 10, off: SCRATCH })
    e.emit({ op: 'alu', alu: 'sub', wide: true, dst: 1, src: { reg: 0 }, note: 'jiffies left' })
    e.emit({ op: 'jmp', cond: 'jsgt', wide: true, dst: 1, src: { imm: 0 }, target: ahead })
    e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { imm: 0 } })
    e.place(ahead)
    store('timer_jiffies', 1)
  }

  // --- gather -------------------------------------------------------------
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: CTX, src: { reg: 1 }, note: 'ctx' })
  // FULL stays 0 unless the socket is a full tcp_sock: the late reads test it.
  if (late.length && it.proto === 'tcp') e.emit({ op: 'alu', alu: 'mov', wide: true, dst: FULL, src: { imm: 0 }, note: 'no full socket yet' })
  // The whole record is zeroed; the -m/--tos block, when asked for, sits below it and is written before it.
  const extra = opts.memory === true || opts.tos === true
  const from = extra ? EXTRA : REC
  // Gathered for the time predicates only: the block's head, up to the last member they read, is all the test sees.
  const infoZeroed = !gatherInfo ? 0 : opts.info ? ssx_iter_tcp_info.size : Math.ceil((Math.max(...Object.values(METRIC_INFO_FIELD).map((m) => ssx_iter_tcp_info.offsetOf[m.field] + 4))) / 8) * 8
  const zeroed = REC - from + ssx_iter_tcp_rec.size + infoZeroed
  const sock = it.proto === 'tcp' ? { off: it.layout.members.ctx_sk_common.off, note: 'ctx->sk_common' } : { off: it.layout.members.ctx_udp_sk.off, note: 'ctx->udp_sk' }
  e.iterOpening({ ctx: CTX, sk: SK, seq: SEQ }, sock, M, reject, from, zeroed)
  copy('family', SK, M.skc_family, 'skc_family')
  load(3, SK, M.skc_state, 'skc_state')
  store('state', 3)
  selectStateAndFamily(e, opts, reject)
  copy('sport', SK, M.skc_num, 'skc_num')
  load(1, SK, M.skc_dport, 'skc_dport')
  e.emit({ op: 'end', order: 'be', bits: 16, dst: 1, note: 'network → host order' })
  store('dport', 1)
  copy('ifindex', SK, M.skc_bound_dev_if, 'skc_bound_dev_if')
  copy('cookie', SK, M.skc_cookie, 'skc_cookie')
  const v6 = e.label('v6')
  const addrDone = e.label('addresses done')
  load(1, SK, M.skc_family, 'skc_family')
  e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: AF.AF_INET6 }, target: v6 })
  copy('src', SK, M.skc_rcv_saddr, 'skc_rcv_saddr', 'u32')
  copy('dst', SK, M.skc_daddr, 'skc_daddr', 'u32')
  e.emit({ op: 'ja', target: addrDone })
  e.place(v6)
  // in6_addr as four be32 words: each load stays inside one array element, as the verifier wants.
  for (let w = 0; w < 4; w++) {
    e.emit({ op: 'ldx', size: 'u32', dst: 1, src: SK, off: M.skc_v6_rcv_saddr.off + 4 * w, ...(w === 0 ? { note: 'skc_v6_rcv_saddr' } : {}) })
    store('src', 1, 4 * w, 'u32')
    e.emit({ op: 'ldx', size: 'u32', dst: 1, src: SK, off: M.skc_v6_daddr.off + 4 * w, ...(w === 0 ? { note: 'skc_v6_daddr' } : {}) })
    store('dst', 1, 4 * w, 'u32')
  }
  e.place(addrDone)

  // The protocol's own fields.
  if (it.proto === 'tcp') {
    const T = it.layout
    // The time predicates alone need rto and the last_* times; -i needs the whole block.
    const info = gatherInfo ? tcpInfoGatherer(e, T, hz!, load, opts.info === true) : null
    const tw = e.label('time-wait')
    const req = e.label('request')
    const gathered = e.label('gathered')
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 3, src: { imm: TCP_STATE.TCP_TIME_WAIT }, target: tw })
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 3, src: { imm: TCP_STATE.TCP_NEW_SYN_RECV }, target: req })
    // Full socket.
    e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: SK } })
    e.emit({ op: 'call', helper: T.helpers.skc_to_tcp_sock, name: 'bpf_skc_to_tcp_sock' })
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 0, src: { imm: 0 }, target: gathered, note: 'not a tcp_sock' })
    e.emit({ op: 'alu', alu: 'mov', wide: true, dst: FULL, src: { reg: 0 } })
    e.emit({ op: 'st', size: 'u8', dst: 10, off: at('tcp'), imm: 1, note: 'tcp fields valid' })
    fullSocket()
    if (opts.timers) {
      // inet_sk_diag_fill(): icsk_pending picks the timer; else the keepalive timer (sk_timer) when pending.
      const retransmit = e.label('retransmit timer')
      const probe = e.label('probe timer')
      const keepalive = e.label('keepalive timer')
      const timed = e.label('timer done')
      load(1, FULL, T.members.icsk_pending, 'icsk_pending')
      for (const v of [ICSK_TIME.ICSK_TIME_RETRANS, ICSK_TIME.ICSK_TIME_REO_TIMEOUT, ICSK_TIME.ICSK_TIME_LOSS_PROBE]) e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: v }, target: retransmit })
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: ICSK_TIME.ICSK_TIME_PROBE0 }, target: probe })
      load(1, FULL, T.members.sk_timer_pprev, 'sk_timer pending')
      e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0 }, target: keepalive })
      e.emit({ op: 'ja', target: timed })
      e.place(retransmit)
      e.emit({ op: 'st', size: 'u8', dst: 10, off: at('timer'), imm: 1 })
      copy('timer_retrans', FULL, T.members.icsk_retransmits, 'icsk_retransmits')
      timerLeft(FULL, T.members.icsk_timeout, 'icsk_retransmit_timer.expires')
      e.emit({ op: 'ja', target: timed })
      e.place(probe)
      e.emit({ op: 'st', size: 'u8', dst: 10, off: at('timer'), imm: 4 })
      copy('timer_retrans', FULL, T.members.icsk_probes_out, 'icsk_probes_out')
      timerLeft(FULL, T.members.icsk_timeout, 'icsk_retransmit_timer.expires')
      e.emit({ op: 'ja', target: timed })
      e.place(keepalive)
      e.emit({ op: 'st', size: 'u8', dst: 10, off: at('timer'), imm: 2 })
      copy('timer_retrans', FULL, T.members.icsk_probes_out, 'icsk_probes_out')
      timerLeft(FULL, T.members.sk_timer_expires, 'sk_timer.expires')
      e.place(timed)
    }
    // Queues and unacked as tcp_diag_get_info()/tcp_get_info() report them;
    // for a listener tcp_get_info() reports the backlog and cwnd only (the rest stays 0).
    info?.everyState()
    const notListen = e.label('not listening')
    load(3, 10, { off: at('state'), size: 1, bitShift: 0, bitSize: 0 }, 'record.state')
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 3, src: { imm: TCP_STATE.TCP_LISTEN }, target: notListen })
    load(1, FULL, T.members.sk_ack_backlog, 'sk_ack_backlog')
    store('rqueue', 1)
    store('unacked', 1)
    copy('wqueue', FULL, T.members.sk_max_ack_backlog, 'sk_max_ack_backlog')
    copy('snd_cwnd', FULL, T.members.snd_cwnd, 'snd_cwnd')
    info?.listener()
    e.emit({ op: 'ja', target: gathered })
    e.place(notListen)
    const rqPositive = e.label('rqueue >= 0')
    load(1, FULL, T.members.rcv_nxt, 'rcv_nxt')
    load(2, FULL, T.members.copied_seq, 'copied_seq')
    e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 1, src: { reg: 2 } })
    e.emit({ op: 'jmp', cond: 'jsge', wide: false, dst: 1, src: { imm: 0 }, target: rqPositive })
    e.emit({ op: 'alu', alu: 'mov', wide: false, dst: 1, src: { imm: 0 } })
    e.place(rqPositive)
    store('rqueue', 1)
    load(1, FULL, T.members.write_seq, 'write_seq')
    load(2, FULL, T.members.snd_una, 'snd_una')
    e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 1, src: { reg: 2 } })
    store('wqueue', 1)
    copy('unacked', FULL, T.members.packets_out, 'packets_out')
    load(1, FULL, T.members.srtt_us, 'srtt_us')
    e.emit({ op: 'alu', alu: 'rsh', wide: false, dst: 1, src: { imm: 3 } })
    store('rtt', 1)
    load(1, FULL, T.members.mdev_us, 'mdev_us')
    e.emit({ op: 'alu', alu: 'rsh', wide: false, dst: 1, src: { imm: 2 } })
    store('rttvar', 1)
    copy('snd_cwnd', FULL, T.members.snd_cwnd, 'snd_cwnd')
    copy('snd_ssthresh', FULL, T.members.snd_ssthresh, 'snd_ssthresh')
    copy('snd_mss', FULL, T.members.mss_cache, 'mss_cache')
    copy('retrans', FULL, T.members.retrans_out, 'retrans_out')
    copy('lost', FULL, T.members.lost_out, 'lost_out')
    copy('total_retrans', FULL, T.members.total_retrans, 'total_retrans')
    copy('segs_in', FULL, T.members.segs_in, 'segs_in')
    copy('segs_out', FULL, T.members.segs_out, 'segs_out')
    copy('bytes_sent', FULL, T.members.bytes_sent, 'bytes_sent')
    copy('bytes_acked', FULL, T.members.bytes_acked, 'bytes_acked')
    copy('bytes_received', FULL, T.members.bytes_received, 'bytes_received')
    info?.connection()
    e.emit({ op: 'ja', target: gathered })
    // TIME-WAIT: inet_diag reports tw_substate and tw_mark, zeros for uid/inode/queues.
    e.place(tw)
    e.emit({ op: 'st', size: 'u8', dst: 10, off: at('kind'), imm: 1 })
    e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: SK } })
    e.emit({ op: 'call', helper: T.helpers.skc_to_tcp_timewait_sock, name: 'bpf_skc_to_tcp_timewait_sock' })
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 0, src: { imm: 0 }, target: gathered })
    copy('state', 0, T.members.tw_substate, 'tw_substate')
    copy('mark', 0, T.members.tw_mark, 'tw_mark')
    if (opts.timers) {
      // inet_twsk_diag_fill(): timer 3, no retransmits.
      e.emit({ op: 'st', size: 'u8', dst: 10, off: at('timer'), imm: 3 })
      timerLeft(0, T.members.tw_timer_expires, 'tw_timer.expires')
    }
    e.emit({ op: 'ja', target: gathered })
    // Request socket: inet_diag reports SYN-RECV.
    e.place(req)
    e.emit({ op: 'st', size: 'u8', dst: 10, off: at('kind'), imm: 2 })
    e.emit({ op: 'st', size: 'u8', dst: 10, off: at('state'), imm: TCP_STATE.TCP_SYN_RECV })
    if (opts.timers) {
      // inet_req_diag_fill(): timer 1, the SYN-ACK retransmits.
      e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: SK } })
      e.emit({ op: 'call', helper: T.helpers.skc_to_tcp_request_sock, name: 'bpf_skc_to_tcp_request_sock' })
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 0, src: { imm: 0 }, target: gathered })
      e.emit({ op: 'st', size: 'u8', dst: 10, off: at('timer'), imm: 1 })
      copy('timer_retrans', 0, T.members.rsk_num_retrans, 'num_retrans')
      timerLeft(0, T.members.rsk_timer_expires, 'rsk_timer.expires')
    }
    e.place(gathered)
  } else {
    // A UDP socket is always a full one (inet_sk_diag_fill() with no icsk).
    const U = it.layout.members
    e.emit({ op: 'alu', alu: 'mov', wide: true, dst: FULL, src: { reg: SK }, note: 'a full socket' })
    fullSocket()
    // udp_diag_get_info(): udp_rqueue_get() and sk_wmem_alloc_get(), as 32-bit ints.
    load(1, FULL, U.sk_rmem_alloc, 'sk_rmem_alloc')
    load(2, FULL, U.forward_deficit, 'forward_deficit')
    e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 1, src: { reg: 2 } })
    store('rqueue', 1)
    load(1, FULL, U.sk_wmem_alloc, 'sk_wmem_alloc')
    e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 1, src: { imm: 1 } })
    store('wqueue', 1)
  }

  // --- test -----------------------------------------------------------------
  emitTest(new FilterLowering(e, opts, tcpInfo), filter, opts, accept, reject)
  e.place(accept)
  if (late.length) {
    const write = e.label('write')
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: FULL, src: { imm: 0 }, target: write, note: 'not a full socket' })
    for (const field of late) chase(field)
    e.place(write)
  }
  if (it.proto === 'udp') udpWalkPlace(e, it.layout, load, store)
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: SEQ } })
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 2, src: { reg: 10 } })
  e.emit({ op: 'alu', alu: 'add', wide: true, dst: 2, src: { imm: from } })
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 3, src: { imm: REC - from + ssx_iter_tcp_rec.size + (it.proto === 'tcp' && opts.info ? ssx_iter_tcp_info.size : 0) } })
  e.emit({ op: 'call', helper: H.seq_write, name: 'bpf_seq_write', note: 'write the record' })
  e.place(reject)
  e.emit({ op: 'alu', alu: 'mov', wide: false, dst: 0, src: { imm: 0 } })
  e.emit({ op: 'exit' })
  return optimize(e.out)
}

/**
 * The socket's place in udp_diag's walk, for the records it writes (the
 * iterator walks `udp_table.hash2`, by address and port; `udp_dump()` walks
 * `udp_table.hash`, by port, each slot's list from its head): the slot
 * `udp_hashfn()` gives, `(num + net->hash_mix) & udp_table->mask`, and the
 * number of list nodes after this one (sockets are added at the head, and
 * other namespaces' sockets count too: only the relative order matters).
 */
function udpWalkPlace(e: Emitter, layout: UdpIterLayout, load: (dst: Reg, base: Reg, slot: MemberSlot, note: string) => void, store: (field: RecField, src: Reg) => void): void {
  const U = layout.members
  load(1, SK, U.skc_net, 'skc_net.net')
  load(2, 1, U.net_hash_mix, 'net->hash_mix')
  load(1, 1, U.net_udp_table, 'net->ipv4.udp_table')
  load(1, 1, U.udp_table_mask, 'udp_table->mask')
  load(3, SK, U.skc_num, 'skc_num')
  e.emit({ op: 'alu', alu: 'add', wide: false, dst: 3, src: { reg: 2 }, note: 'udp_hashfn()' })
  e.emit({ op: 'alu', alu: 'and', wide: false, dst: 3, src: { reg: 1 } })
  store('hash_slot', 3)
  const walk = e.label('next node')
  const end = e.label('end of the slot')
  load(1, SK, U.node_next, 'skc_node.next')
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 2, src: { imm: 0 } })
  e.place(walk)
  e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: end })
  e.emit({ op: 'jmp', cond: 'jge', wide: true, dst: 2, src: { imm: UDP_DEPTH_LIMIT }, target: end, note: 'bounded: the verifier walks every turn' })
  e.emit({ op: 'alu', alu: 'add', wide: true, dst: 2, src: { imm: 1 } })
  load(1, 1, U.hlist_next, 'node->next')
  e.emit({ op: 'ja', target: walk })
  e.place(end)
  store('hash_depth', 2)
}

/** Record fields read through pointer chains; {@link generateIterInet} reads them after the test when it can. */
const CHASED = ['inode', 'cgroup_id'] as const satisfies readonly RecField[]

/** The test: the plan's inet_diag bytecode (when it sends any), then the filter. */
function emitTest(lowering: FilterLowering, filter: Filter | null, opts: IterCodegenOptions, accept: Label, reject: Label): void {
  if (opts.kernel && opts.kernel.length) {
    const kernelYes = lowering.e.label('kernel accepts')
    lowering.bytecode(opts.kernel, kernelYes, reject)
    lowering.e.place(kernelYes)
  }
  if (filter) lowering.branch(filter, accept, reject)
}

/** The record fields the test reads, and whether it reads the `-i` block (lowered once into a scratch emitter: the lowering is the one authority on that). */
function fieldsTested(filter: Filter | null, opts: IterCodegenOptions, tcpInfo: boolean): { readonly read: ReadonlySet<RecField>, readonly readsInfo: boolean } {
  const scratch = new Emitter()
  const lowering = new FilterLowering(scratch, opts, tcpInfo)
  emitTest(lowering, filter, opts, scratch.label('accept'), scratch.label('reject'))
  return { read: lowering.read, readsInfo: lowering.readsInfo }
}

/**
 * `r` (jiffies, zero-extended) → the `unit` (1000: ms, 1e6: µs) as
 * jiffies_to_msecs() / jiffies_to_usecs() compute it for `hz`: a multiply
 * when HZ divides the unit (as unsigned int), else the reduced fraction,
 * rounded up for ms and down for µs (their 64-bit forms), cut to 32 bits.
 */
function emitJiffiesTo(e: Emitter, r: Reg, unit: 1000 | 1000000, hz: number): void {
  if (unit % hz === 0) {
    if (unit / hz !== 1) e.emit({ op: 'alu', alu: 'mul', wide: false, dst: r, src: { imm: unit / hz }, note: `jiffies → ${unit === 1000 ? 'ms' : 'µs'} (HZ ${hz})` })
    return
  }
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b))
  const g = gcd(unit, hz)
  const num = unit / g
  const den = hz / g
  e.emit({ op: 'alu', alu: 'mul', wide: true, dst: r, src: { imm: num }, note: `jiffies → ${unit === 1000 ? 'ms' : 'µs'} (HZ ${hz})` })
  if (unit === 1000 && den > 1) e.emit({ op: 'alu', alu: 'add', wide: true, dst: r, src: { imm: den - 1 } })
  if (den > 1) e.emit({ op: 'alu', alu: 'div', wide: true, dst: r, src: { imm: den } })
  e.emit({ op: 'alu', alu: 'mov', wide: false, dst: r, src: { reg: r }, note: 'unsigned int' })
}

/** `"bbr"` NUL-padded, as the first eight bytes of `tcp_congestion_ops.name` read in one little-endian u64. */
const BBR_NAME = 0x726262n
/** `"mptcp"` NUL-padded, as the first eight bytes of `tcp_ulp_ops.name`. */
const MPTCP_NAME = 0x706374706dn

/**
 * The code that fills the `-i` block (ssx_iter_tcp_info) for a full TCP
 * socket in FULL, as tcp_get_info() and inet_diag's INET_DIAG_CONG do:
 * {@link everyState} for every state, then {@link listener} or
 * {@link connection} (a listener reports no more). Scratch: r0–r5 and the
 * SCRATCH slot (the clock read once for the three `last_*` times and the
 * chrono stats).
 */
function tcpInfoGatherer(e: Emitter, T: IterLayout, hz: number, load: (dst: Reg, base: Reg, slot: MemberSlot, note: string) => void, whole: boolean) {
  if (!T.info) throw new FilterError('E_EBPF_LAYOUT', 'the kernel layout has no -i members (resolve the iter/tcp layout with info)')
  const M = { ...T.members, ...T.info.members }
  const probeRead = T.info.helpers.probe_read_kernel
  const store = (field: InfoField, src: Reg, plus = 0, size: SizeName = infoSize(field)): void => {
    e.emit({ op: 'stx', size, dst: 10, src, off: atInfo(field, plus) })
  }
  const copy = (field: InfoField, slot: MemberSlot, note: string): void => {
    load(1, FULL, slot, note)
    store(field, 1)
  }
  /** r4 |= bit when the member (or its masked bits) is non-zero. */
  const option = (slot: MemberSlot, note: string, bit: number, mask?: number): void => {
    const off = e.label(`no ${note}`)
    load(1, FULL, slot, note)
    if (mask !== undefined) e.emit({ op: 'alu', alu: 'and', wide: true, dst: 1, src: { imm: mask } })
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: off })
    e.emit({ op: 'alu', alu: 'or', wide: true, dst: 4, src: { imm: bit } })
    e.place(off)
  }
  /** info[field] = jiffies_to_msecs(now - member), now the low 32 bits of jiffies in SCRATCH (tcp_jiffies32). */
  const since = (field: InfoField, slot: MemberSlot, note: string): void => {
    e.emit({ op: 'ldx', size: 'u32', dst: 1, src: 10, off: SCRATCH, note: 'tcp_jiffies32' })
    load(2, FULL, slot, note)
    e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 1, src: { reg: 2 } })
    emitJiffiesTo(e, 1, 1000, hz)
    store(field, 1)
  }
  /**
   * bbr_get_info(), which inet_diag calls for a BBR socket (INET_DIAG_BBRINFO):
   * the socket's congestion control is BBR when its name is "bbr" (names
   * are unique among registered ones); its state is `struct bbr` in icsk_ca_priv.
   */
  const bbrInfo = (B: NonNullable<IterLayout['bbr']>, done: Label): void => {
    const priv = (slot: MemberSlot): MemberSlot => ({ ...slot, off: B.icsk_ca_priv.off + slot.off })
    const maxBw = e.label('bbr max bw')
    const haveBw = e.label('bbr bw')
    e.emit({ op: 'ldx', size: 'u64', dst: 1, src: 10, off: atInfo('congestion') })
    e.emit({ op: 'lddw', dst: 2, imm: BBR_NAME, note: '"bbr"' })
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { reg: 2 }, target: done })
    e.emit({ op: 'st', size: 'u8', dst: 10, off: atInfo('cc_info'), imm: 1, note: 'BBR block' })
    copy('bbr_min_rtt', priv(B.min_rtt_us), 'bbr->min_rtt_us')
    copy('bbr_pacing_gain', priv(B.pacing_gain), 'bbr->pacing_gain')
    copy('bbr_cwnd_gain', priv(B.cwnd_gain), 'bbr->cwnd_gain')
    load(1, FULL, priv(B.lt_use_bw), 'bbr->lt_use_bw')
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: maxBw })
    load(1, FULL, priv(B.lt_bw), 'bbr->lt_bw')
    e.emit({ op: 'ja', target: haveBw })
    e.place(maxBw)
    e.emit({ op: 'ldx', size: 'u32', dst: 1, src: FULL, off: B.icsk_ca_priv.off + B.bw.off + M.minmax_sample_v.off, note: 'minmax_get(&bbr->bw)' })
    e.place(haveBw)
    // bw × mss_cache × USEC_PER_SEC >> BW_SCALE: bytes per second.
    load(3, FULL, M.mss_cache, 'mss_cache')
    e.emit({ op: 'alu', alu: 'mul', wide: true, dst: 1, src: { reg: 3 } })
    e.emit({ op: 'alu', alu: 'mul', wide: true, dst: 1, src: { imm: 1000000 } })
    e.emit({ op: 'alu', alu: 'rsh', wide: true, dst: 1, src: { imm: BBR_BW_SCALE } })
    store('bbr_bw', 1)
  }
  /**
   * INET_DIAG_ULP_INFO (tcp_diag_get_aux()): the ULP's name when the socket
   * has one, and for an MPTCP subflow (not listening, with its context)
   * what subflow_get_info() reports. The context is behind a `void *`:
   * read with bpf_probe_read_kernel (r1–r5 clobbered; the pointer kept in SCRATCH).
   */
  const ulpInfo = (): void => {
    const done = e.label('ulp done')
    load(1, FULL, M.icsk_ulp_ops, 'icsk_ulp_ops')
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: done })
    for (let w = 0; w < M.ulp_name.size; w += 8) {
      e.emit({ op: 'ldx', size: 'u64', dst: 2, src: 1, off: M.ulp_name.off + w, ...(w === 0 ? { note: 'ulp_ops->name' } : {}) })
      store('ulp_name', 2, w, 'u64')
    }
    e.emit({ op: 'st', size: 'u8', dst: 10, off: atInfo('ulp_info'), imm: 1, note: 'ULP name' })
    const S = T.mptcp
    // A ULP other than MPTCP with a get_info (kTLS) reports details the program does not read: marked 3.
    const other = e.label('not MPTCP')
    e.emit({ op: 'ldx', size: 'u64', dst: 2, src: 10, off: atInfo('ulp_name') })
    e.emit({ op: 'lddw', dst: 3, imm: MPTCP_NAME, note: '"mptcp"' })
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 2, src: { reg: 3 }, target: other })
    if (S) {
      e.emit({ op: 'ldx', size: 'u8', dst: 1, src: 10, off: at('state'), note: 'record.state' })
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: TCP_STATE.TCP_LISTEN }, target: done, note: 'a listener reports its name only' })
      load(1, FULL, M.icsk_ulp_data, 'icsk_ulp_data (the subflow context)')
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: done })
      e.emit({ op: 'stx', size: 'u64', dst: 10, src: 1, off: SCRATCH })
      e.emit({ op: 'st', size: 'u8', dst: 10, off: atInfo('ulp_info'), imm: 2, note: 'MPTCP subflow' })
      /** stack[to .. to + size) = subflow[from .. from + size). */
      const read = (to: number, size: number, from: number, note: string): void => {
        e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: 10 } })
        e.emit({ op: 'alu', alu: 'add', wide: true, dst: 1, src: { imm: to } })
        e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 2, src: { imm: size } })
        e.emit({ op: 'ldx', size: 'u64', dst: 3, src: 10, off: SCRATCH })
        e.emit({ op: 'alu', alu: 'add', wide: true, dst: 3, src: { imm: from } })
        e.emit({ op: 'call', helper: probeRead, name: 'bpf_probe_read_kernel', note })
      }
      read(atInfo('sf_token_rem'), 4, S.remote_token.off, 'remote_token')
      read(atInfo('sf_token_loc'), 4, S.token.off, 'token')
      read(atInfo('sf_rel_write_seq'), 4, S.rel_write_seq.off, 'rel_write_seq')
      read(atInfo('sf_map_seq'), 8, S.map_seq.off, 'map_seq')
      read(atInfo('sf_map_sfseq'), 4, S.map_subflow_seq.off, 'map_subflow_seq')
      read(atInfo('sf_ssn_offset'), 4, S.ssn_offset.off, 'ssn_offset')
      // nla_put_u16 of map_data_len, nla_put_u8 of remote_id: their low bytes (little-endian).
      read(atInfo('sf_map_datalen'), 2, S.map_data_len.off, 'map_data_len (low 16 bits)')
      read(atInfo('sf_id_rem'), 1, S.remote_id.off, 'remote_id')
      // subflow_get_local_id(): a negative local_id reports 0.
      const idOk = e.label('local id >= 0')
      read(SCRATCH2, S.local_id.size, S.local_id.off, 'local_id')
      e.emit({ op: 'ldx', size: sizeName(S.local_id.size, 'local_id'), dst: 1, src: 10, off: SCRATCH2 })
      e.emit({ op: 'alu', alu: 'lsh', wide: true, dst: 1, src: { imm: 64 - 8 * S.local_id.size } })
      e.emit({ op: 'alu', alu: 'arsh', wide: true, dst: 1, src: { imm: 64 - 8 * S.local_id.size } })
      e.emit({ op: 'jmp', cond: 'jsge', wide: true, dst: 1, src: { imm: 0 }, target: idOk })
      e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { imm: 0 } })
      e.place(idOk)
      store('sf_id_loc', 1)
      // The flag members share a few bytes: one read of their span, then each picked out.
      const slots = MPTCP_SUBFLOW_FLAG_MEMBERS.map((k) => S[k])
      const from = Math.min(...slots.map((m) => m.off))
      const span = Math.max(...slots.map((m) => m.off + m.size)) - from
      if (span > 8) throw new FilterError('E_EBPF_LAYOUT', `the MPTCP subflow flags span ${span} bytes; the program reads 8 at once`)
      read(SCRATCH2, span, from, 'the flag bits')
      e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 4, src: { imm: 0 }, note: 'MPTCP_SUBFLOW_FLAG_*' })
      slots.forEach((m, bit) => {
        const off = e.label(`no flag ${bit}`)
        load(1, 10, { ...m, off: SCRATCH2 + m.off - from }, MPTCP_SUBFLOW_FLAG_MEMBERS[bit]!)
        e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: off })
        e.emit({ op: 'alu', alu: 'or', wide: true, dst: 4, src: { imm: 1 << bit } })
        e.place(off)
      })
      store('sf_flags', 4)
      e.emit({ op: 'ja', target: done })
    }
    // Also MPTCP when this kernel's BTF does not describe its subflow context.
    e.place(other)
    load(1, FULL, M.icsk_ulp_ops, 'icsk_ulp_ops')
    e.emit({ op: 'ldx', size: 'u64', dst: 1, src: 1, off: M.ulp_get_info.off, note: 'ulp_ops->get_info' })
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: done })
    e.emit({ op: 'st', size: 'u8', dst: 10, off: atInfo('ulp_info'), imm: 3, note: 'details not read' })
    e.place(done)
  }
  /** The members the time predicates test: rto (µs) and the three last_* times (ms). */
  const times = (): void => {
    load(1, FULL, M.icsk_rto, 'icsk_rto')
    emitJiffiesTo(e, 1, 1000000, hz)
    store('rto', 1)
    e.emit({ op: 'call', helper: T.helpers.jiffies64, name: 'bpf_jiffies64' })
    e.emit({ op: 'stx', size: 'u64', dst: 10, src: 0, off: SCRATCH, note: 'now' })
    since('last_data_sent', M.lsndtime, 'lsndtime')
    since('last_data_recv', M.icsk_ack_lrcvtime, 'icsk_ack.lrcvtime')
    since('last_ack_recv', M.rcv_tstamp, 'rcv_tstamp')
  }
  return {
    everyState(): void {
      if (!whole) return
      // sk_pacing_rate is an unsigned long: tcp_get_info()'s ~0UL → ~0ULL is the identity on 64-bit kernels.
      copy('pacing_rate', M.sk_pacing_rate, 'sk_pacing_rate')
      copy('max_pacing_rate', M.sk_max_pacing_rate, 'sk_max_pacing_rate')
      copy('reordering', M.reordering, 'reordering')
      // INET_DIAG_CONG: icsk_ca_ops->name (16 bytes, NUL-padded), when the socket has ops.
      const noOps = e.label('no congestion ops')
      load(1, FULL, M.icsk_ca_ops, 'icsk_ca_ops')
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: noOps })
      for (let w = 0; w < M.ca_name.size; w += 8) {
        e.emit({ op: 'ldx', size: 'u64', dst: 2, src: 1, off: M.ca_name.off + w, ...(w === 0 ? { note: 'ca_ops->name' } : {}) })
        store('congestion', 2, w, 'u64')
      }
      // inet_sk_diag_fill() asks the congestion control for its block (ca_ops->get_info) in states before TIME-WAIT only.
      e.emit({ op: 'ldx', size: 'u8', dst: 3, src: 10, off: at('state'), note: 'record.state' })
      e.emit({ op: 'jmp', cond: 'jge', wide: true, dst: 3, src: { imm: TCP_STATE.TCP_TIME_WAIT }, target: noOps })
      e.emit({ op: 'ldx', size: 'u64', dst: 2, src: 1, off: M.ca_get_info.off, note: 'ca_ops->get_info' })
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 2, src: { imm: 0 }, target: noOps })
      e.emit({ op: 'st', size: 'u8', dst: 10, off: atInfo('cc_info'), imm: 2, note: 'a block not read (unless BBR)' })
      if (T.bbr) bbrInfo(T.bbr, noOps)
      e.place(noOps)
      ulpInfo()
    },
    listener(): void {
      if (whole) copy('sacked', M.sk_max_ack_backlog, 'sk_max_ack_backlog')
    },
    connection(): void {
      times()
      if (!whole) return
      copy('ca_state', M.icsk_ca_state, 'icsk_ca_state')
      copy('retransmits', M.icsk_retransmits, 'icsk_retransmits')
      copy('probes', M.icsk_probes_out, 'icsk_probes_out')
      copy('backoff', M.icsk_backoff, 'icsk_backoff')
      e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 4, src: { imm: 0 }, note: 'tcpi_options' })
      option(M.tstamp_ok, 'tstamp_ok', TCPI_OPT.TCPI_OPT_TIMESTAMPS)
      option(M.sack_ok, 'sack_ok', TCPI_OPT.TCPI_OPT_SACK)
      const noWscale = e.label('no wscale')
      load(1, FULL, M.wscale_ok, 'wscale_ok')
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: noWscale })
      e.emit({ op: 'alu', alu: 'or', wide: true, dst: 4, src: { imm: TCPI_OPT.TCPI_OPT_WSCALE } })
      load(1, FULL, M.snd_wscale, 'snd_wscale')
      load(2, FULL, M.rcv_wscale, 'rcv_wscale')
      e.emit({ op: 'alu', alu: 'lsh', wide: true, dst: 2, src: { imm: 4 } })
      e.emit({ op: 'alu', alu: 'or', wide: true, dst: 1, src: { reg: 2 } })
      store('wscale', 1)
      e.place(noWscale)
      option(M.ecn_flags, 'ECN', TCPI_OPT.TCPI_OPT_ECN, TCP_ECN.TCP_ECN_MODE_ANY)
      option(M.ecn_flags, 'ECN seen', TCPI_OPT.TCPI_OPT_ECN_SEEN, TCP_ECN.TCP_ECN_SEEN)
      option(M.syn_data_acked, 'syn_data_acked', TCPI_OPT.TCPI_OPT_SYN_DATA)
      option(M.tcp_usec_ts, 'tcp_usec_ts', TCPI_OPT.TCPI_OPT_USEC_TS)
      option(M.syn_fastopen_child, 'syn_fastopen_child', TCPI_OPT.TCPI_OPT_TFO_CHILD)
      store('options', 4)
      copy('flags7', M.rate_app_limited, 'rate_app_limited (delivery_rate_app_limited)')
      // ato: min(icsk_ack.ato, tcp_delack_max()), that min(icsk_delack_max, max(1, rto_min - 1))
      // (a route's locked rto_min, which tcp_rto_min() prefers, is not read).
      const atoLow = e.label('ato <= delack_max')
      const rtoMinOk = e.label('rto_min - 1 >= 1')
      const atoDone = e.label('ato done')
      load(1, FULL, M.icsk_ack_ato, 'icsk_ack.ato')
      load(2, FULL, M.icsk_delack_max, 'icsk_delack_max')
      e.emit({ op: 'jmp', cond: 'jle', wide: true, dst: 1, src: { reg: 2 }, target: atoLow })
      e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: 2 } })
      e.place(atoLow)
      load(2, FULL, M.icsk_rto_min, 'icsk_rto_min')
      e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 2, src: { imm: 1 } })
      e.emit({ op: 'jmp', cond: 'jsge', wide: false, dst: 2, src: { imm: 1 }, target: rtoMinOk })
      e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 2, src: { imm: 1 } })
      e.place(rtoMinOk)
      e.emit({ op: 'jmp', cond: 'jle', wide: true, dst: 1, src: { reg: 2 }, target: atoDone })
      e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: 2 } })
      e.place(atoDone)
      emitJiffiesTo(e, 1, 1000000, hz)
      store('ato', 1)
      copy('rcv_mss', M.icsk_ack_rcv_mss, 'icsk_ack.rcv_mss')
      copy('sacked', M.sacked_out, 'sacked_out')
      copy('pmtu', M.icsk_pmtu_cookie, 'icsk_pmtu_cookie')
      copy('rcv_ssthresh', M.rcv_ssthresh, 'rcv_ssthresh')
      copy('advmss', M.advmss, 'advmss')
      load(1, FULL, M.rcv_rtt_us, 'rcv_rtt_est.rtt_us')
      e.emit({ op: 'alu', alu: 'rsh', wide: false, dst: 1, src: { imm: 3 } })
      store('rcv_rtt', 1)
      copy('rcv_space', M.rcvq_space, 'rcvq_space.space')
      const notsentOk = e.label('notsent >= 0')
      load(1, FULL, M.write_seq, 'write_seq')
      load(2, FULL, M.snd_nxt, 'snd_nxt')
      e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 1, src: { reg: 2 } })
      e.emit({ op: 'jmp', cond: 'jsge', wide: false, dst: 1, src: { imm: 0 }, target: notsentOk })
      e.emit({ op: 'alu', alu: 'mov', wide: false, dst: 1, src: { imm: 0 } })
      e.place(notsentOk)
      store('notsent_bytes', 1)
      // tcp_get_info_chrono_stats(): chrono_stat[i - 1], plus the running period for chrono_type, × (USEC_PER_SEC / HZ).
      load(4, FULL, M.chrono_type, 'chrono_type')
      e.emit({ op: 'ldx', size: 'u32', dst: 5, src: 10, off: SCRATCH, note: 'tcp_jiffies32' })
      load(2, FULL, M.chrono_start, 'chrono_start')
      e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 5, src: { reg: 2 }, note: 'running period' })
      const chrono: readonly [number, InfoField][] = [[TCP_CHRONO.TCP_CHRONO_BUSY, 'busy_time'], [TCP_CHRONO.TCP_CHRONO_RWND_LIMITED, 'rwnd_limited'], [TCP_CHRONO.TCP_CHRONO_SNDBUF_LIMITED, 'sndbuf_limited']]
      for (const [i, field] of chrono) {
        const notRunning = e.label(`chrono ${i} not running`)
        // chrono_stat is a u32 array: each load stays inside one element.
        e.emit({ op: 'ldx', size: 'u32', dst: 1, src: FULL, off: M.chrono_stat.off + 4 * (i - 1), note: `chrono_stat[${i - 1}]` })
        e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 4, src: { imm: i }, target: notRunning })
        e.emit({ op: 'alu', alu: 'add', wide: true, dst: 1, src: { reg: 5 } })
        e.place(notRunning)
        e.emit({ op: 'alu', alu: 'mul', wide: true, dst: 1, src: { imm: Math.floor(1000000 / hz) } })
        store(field, 1)
      }
      e.emit({ op: 'ldx', size: 'u64', dst: 1, src: 10, off: atInfo('busy_time') })
      e.emit({ op: 'ldx', size: 'u64', dst: 2, src: 10, off: atInfo('rwnd_limited') })
      e.emit({ op: 'alu', alu: 'add', wide: true, dst: 1, src: { reg: 2 } })
      e.emit({ op: 'ldx', size: 'u64', dst: 2, src: 10, off: atInfo('sndbuf_limited') })
      e.emit({ op: 'alu', alu: 'add', wide: true, dst: 1, src: { reg: 2 }, note: 'busy = the three' })
      store('busy_time', 1)
      e.emit({ op: 'ldx', size: 'u32', dst: 1, src: FULL, off: M.rtt_min.off + M.minmax_sample_v.off, note: 'tcp_min_rtt(): rtt_min.s[0].v' })
      store('min_rtt', 1)
      copy('data_segs_in', M.data_segs_in, 'data_segs_in')
      copy('data_segs_out', M.data_segs_out, 'data_segs_out')
      // tcp_compute_delivery_rate(): rate_delivered × mss_cache × USEC_PER_SEC / rate_interval_us, when both are non-zero.
      const noRate = e.label('no delivery rate')
      load(1, FULL, M.rate_delivered, 'rate_delivered')
      load(2, FULL, M.rate_interval_us, 'rate_interval_us')
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: noRate })
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 2, src: { imm: 0 }, target: noRate })
      load(3, FULL, M.mss_cache, 'mss_cache')
      e.emit({ op: 'alu', alu: 'mul', wide: true, dst: 1, src: { reg: 3 } })
      e.emit({ op: 'alu', alu: 'mul', wide: true, dst: 1, src: { imm: 1000000 } })
      e.emit({ op: 'alu', alu: 'div', wide: true, dst: 1, src: { reg: 2 } })
      store('delivery_rate', 1)
      e.place(noRate)
      copy('delivered', M.delivered, 'delivered')
      copy('delivered_ce', M.delivered_ce, 'delivered_ce')
      copy('bytes_retrans', M.bytes_retrans, 'bytes_retrans')
      copy('dsack_dups', M.dsack_dups, 'dsack_dups')
      copy('reord_seen', M.reord_seen, 'reord_seen')
      copy('rcv_ooopack', M.rcv_ooopack, 'rcv_ooopack')
      copy('snd_wnd', M.snd_wnd, 'snd_wnd')
      copy('rcv_wnd', M.rcv_wnd, 'rcv_wnd')
    },
  }
}

/**
 * The clean-up passes (jump threading, dead code, unused labels, branch
 * inversion, fall-through jumps) to a fixed point: each rewrite can expose
 * another. The verifier refuses unreachable instructions, so every
 * generated program goes through this.
 */
export function optimize(ir: readonly Insn[]): Insn[] {
  let out = [...ir]
  for (let n = -1; n !== out.length;) {
    n = out.length
    out = dropFallthroughJumps(invertBranches(dropUnusedLabels(dropUnreachable(threadJumps(out)))))
  }
  return out
}

/** The listing's state and family selection, on r3 = skc_state, before anything else is read. */
function selectStateAndFamily(e: Emitter, opts: IterCodegenOptions, reject: Label): void {
  const ALL_TCP_STATES = 0x3ffe // TCP_ESTABLISHED (1) … TCP_BOUND_INACTIVE (13)
  if (opts.states !== undefined) {
    const syn = 1 << TCP_STATE.TCP_SYN_RECV
    const mask = (opts.states | (opts.states & syn ? 1 << TCP_STATE.TCP_NEW_SYN_RECV : 0)) & ALL_TCP_STATES
    if (mask !== ALL_TCP_STATES) {
      e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { imm: 1 }, note: 'state selection' })
      e.emit({ op: 'alu', alu: 'lsh', wide: true, dst: 1, src: { reg: 3 } })
      e.emit({ op: 'alu', alu: 'and', wide: true, dst: 1, src: { imm: mask } })
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: reject })
    }
  }
  if (opts.families !== undefined) {
    for (const af of [AF.AF_INET, AF.AF_INET6]) {
      if (opts.families & (1 << af)) continue
      e.emit({ op: 'ldx', size: 'u8', dst: 1, src: 10, off: at('family'), note: 'family selection' })
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: af }, target: reject })
    }
  }
}

/**
 * Remove instructions no path reaches (after a comparison the constant
 * decided alone, say): the verifier refuses a program with unreachable
 * instructions ("unreachable insn").
 */
export function dropUnreachable(ir: readonly Insn[]): Insn[] {
  const labelIndex = new Map<Label, number>()
  ir.forEach((insn, i) => { if (insn.op === 'label') labelIndex.set(insn.label, i) })
  const seen = new Uint8Array(ir.length)
  const work = [0]
  while (work.length) {
    let i = work.pop()!
    for (; i < ir.length && !seen[i]; i++) {
      seen[i] = 1
      const insn = ir[i]!
      if ((insn.op === 'jmp' || insn.op === 'ja') && typeof insn.target !== 'number') {
        const to = labelIndex.get(insn.target)
        if (to !== undefined) work.push(to)
      }
      if (insn.op === 'ja' || insn.op === 'exit') break
    }
  }
  return ir.filter((insn, i) => seen[i] || insn.op === 'label')
}

/** A jump to `L:` where `L:` holds only `goto M` goes to `M` directly. */
export function threadJumps(ir: readonly Insn[]): Insn[] {
  const forward = new Map<Label, Label>()
  ir.forEach((insn, i) => {
    if (insn.op !== 'label') return
    let j = i + 1
    while (j < ir.length && ir[j]!.op === 'label') j++
    const next = ir[j]
    if (next?.op === 'ja' && typeof next.target !== 'number' && next.target !== insn.label) forward.set(insn.label, next.target)
  })
  const final = (l: Label): Label => {
    for (let n = 0; n < 64; n++) {
      const to = forward.get(l)
      if (!to) break
      l = to
    }
    return l
  }
  return ir.map((insn) => ((insn.op === 'jmp' || insn.op === 'ja') && typeof insn.target !== 'number' ? { ...insn, target: final(insn.target) } : insn))
}

/** Labels no jump names: they would only hide a `jmp; ja` pair from {@link invertBranches}. */
export function dropUnusedLabels(ir: readonly Insn[]): Insn[] {
  const used = new Set<Label>()
  for (const insn of ir) if ((insn.op === 'jmp' || insn.op === 'ja') && typeof insn.target !== 'number') used.add(insn.target)
  return ir.filter((insn) => insn.op !== 'label' || used.has(insn.label))
}

const INVERSE = { jeq: 'jne', jne: 'jeq', jgt: 'jle', jle: 'jgt', jge: 'jlt', jlt: 'jge', jsgt: 'jsle', jsle: 'jsgt', jsge: 'jslt', jslt: 'jsge' } as const

/**
 * `if C goto L1; goto L2; L1:` → `if !C goto L2; L1:` (one instruction
 * fewer on every path; `jset` has no inverse and stays).
 */
export function invertBranches(ir: readonly Insn[]): Insn[] {
  const out: Insn[] = []
  for (let i = 0; i < ir.length; i++) {
    const a = ir[i]!
    const b = ir[i + 1]
    if (a.op === 'jmp' && a.cond !== 'jset' && b?.op === 'ja') {
      let lands = false
      for (let j = i + 2; j < ir.length && ir[j]!.op === 'label'; j++) if ((ir[j] as { label: Label }).label === a.target) lands = true
      if (lands) {
        out.push({ ...a, cond: INVERSE[a.cond], target: b.target })
        i++
        continue
      }
    }
    out.push(a)
  }
  return out
}

/** `ja L` right before `L:` does nothing: drop it (the listing reads better, the verifier has less to walk). */
export function dropFallthroughJumps(ir: readonly Insn[]): Insn[] {
  const out: Insn[] = []
  for (let i = 0; i < ir.length; i++) {
    const insn = ir[i]!
    if (insn.op === 'ja' && typeof insn.target !== 'number') {
      let j = i + 1
      let falls = false
      while (j < ir.length && ir[j]!.op === 'label') {
        if ((ir[j] as { label: Label }).label === insn.target) falls = true
        j++
      }
      if (falls) continue
    }
    out.push(insn)
  }
  return out
}

/**
 * `r OP value` on an unsigned register (zero-extended field), continuing at
 * `yes` or `no`, folding what the constant decides alone (negative,
 * fractional or huge values). r2 is scratch for constants past 31 bits.
 */
export function emitCompare(e: Emitter, r: Reg, op: CmpOp, value: number | bigint, span: Span, yes: Label, no: Label): void {
  const jump = (to: Label): void => { e.emit({ op: 'ja', target: to, span }) }
  const v = typeof value === 'bigint' ? value : value
  const isInt = typeof v === 'bigint' || Number.isInteger(v)
  const max = (1n << 64n) - 1n
  // Fold to an integer comparison over [0, 2^64).
  let k: bigint
  let o: CmpOp = op
  if (!isInt) {
    const n = v as number
    if (op === 'eq') return jump(no)
    if (op === 'ne') return jump(yes)
    // v > 2.5 ⇔ v > 2;  v >= 2.5 ⇔ v > 2;  v < 2.5 ⇔ v <= 2;  v <= 2.5 ⇔ v <= 2.
    k = BigInt(Math.floor(n))
    o = op === 'gt' || op === 'ge' ? 'gt' : 'le'
  } else {
    k = BigInt(v)
  }
  if (k < 0n) return jump(o === 'gt' || o === 'ge' || o === 'ne' ? yes : no)
  if (k > max) return jump(o === 'lt' || o === 'le' || o === 'ne' ? yes : no)
  const cond = ({ eq: 'jeq', ne: 'jne', gt: 'jgt', ge: 'jge', lt: 'jlt', le: 'jle' } as const)[o]
  if (k <= 0x7fffffffn) {
    e.emit({ op: 'jmp', cond, wide: true, dst: r, src: { imm: Number(k) }, target: yes, span })
  } else {
    // Immediates are sign-extended to 64 bits: larger constants go through a register.
    e.emit({ op: 'lddw', dst: 2, imm: k, span })
    e.emit({ op: 'jmp', cond, wide: true, dst: r, src: { reg: 2 }, target: yes, span })
  }
  jump(no)
}

/** A filter node other than and/or/not: what a code generator's leaf emitter handles. */
export type FilterLeaf = Exclude<Filter, { kind: 'and' | 'or' | 'not' }>

/**
 * `f` as short-circuit jumps: and/or/not here, each predicate through
 * `leaf`, which must continue at `yes` when it holds and at `no` when not.
 */
export function emitBoolean(e: Emitter, f: Filter, yes: Label, no: Label, leaf: (f: FilterLeaf, yes: Label, no: Label) => void): void {
  switch (f.kind) {
    case 'and': {
      const mid = e.label('and')
      emitBoolean(e, f.left, mid, no, leaf)
      e.place(mid)
      emitBoolean(e, f.right, yes, no, leaf)
      return
    }
    case 'or': {
      const mid = e.label('or')
      emitBoolean(e, f.left, yes, mid, leaf)
      e.place(mid)
      emitBoolean(e, f.right, yes, no, leaf)
      return
    }
    case 'not':
      emitBoolean(e, f.operand, no, yes, leaf)
      return
    default:
      leaf(f, yes, no)
  }
}

/** The filter as short-circuit jumps on the record (r1, r2 scratch). */
class FilterLowering {
  /** Every record field a load emitted so far reads. */
  readonly read = new Set<RecField>()
  /** Whether a load emitted so far reads the `-i` block. */
  readsInfo = false
  /** `tcpInfo`: the sockets may have tcp_info (false for iter/udp: every tcp_info metric is false there). */
  constructor(readonly e: Emitter, readonly opts: IterCodegenOptions, readonly tcpInfo = true) {}

  /** Emit code for `f` that continues at `yes` when it holds and at `no` when not. */
  branch(f: Filter, yes: Label, no: Label): void {
    emitBoolean(this.e, f, yes, no, (g, y, n) => this.leaf(g, y, n))
  }

  leaf(f: FilterLeaf, yes: Label, no: Label): void {
    const e = this.e
    switch (f.kind) {
      case 'hostcond':
        this.hostcond(f.cond, f.dir, f.span, yes, no)
        return
      case 'portcmp':
        this.loadRec(1, f.dir === 'src' ? 'sport' : 'dport', f.span)
        this.compare(1, f.cmp, f.port, f.span, yes, no)
        return
      case 'dev':
        this.loadRec(1, 'ifindex', f.span)
        this.compare(1, 'eq', f.ifindex >>> 0, f.span, yes, no)
        return
      case 'mark':
        this.loadRec(1, 'mark', f.span)
        e.emit({ op: 'alu', alu: 'and', wide: false, dst: 1, src: { imm: f.mask | 0 }, span: f.span })
        this.compare(1, 'eq', f.mark >>> 0, f.span, yes, no)
        return
      case 'cgroup':
        this.loadRec(1, 'cgroup_id', f.span)
        e.emit({ op: 'lddw', dst: 2, imm: f.id, span: f.span })
        e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { reg: 2 }, target: yes, span: f.span })
        e.emit({ op: 'ja', target: no, span: f.span })
        return
      case 'auto': {
        // ss applies the kernel's AUTO (port not explicitly bound: sk_userlocks has no
        // SOCK_BINDPORT_LOCK; 0 for time-wait and request sockets) and, in user space,
        // "local port inside ip_local_port_range": both must hold.
        const [lo, hi] = this.opts.localPortRange
        const mid = e.label('auto')
        if (!this.opts.kernel) {
          // No kernel program to carry AUTO: test the port lock here.
          const unlocked = e.label('port not locked')
          this.loadRec(1, 'userlocks', f.span)
          e.emit({ op: 'jmp', cond: 'jset', wide: true, dst: 1, src: { imm: SOCK_BINDPORT_LOCK }, target: no, span: f.span })
          e.emit({ op: 'ja', target: unlocked, span: f.span })
          e.place(unlocked)
        }
        this.loadRec(1, 'sport', f.span)
        this.compare(1, 'ge', lo, f.span, mid, no)
        e.place(mid)
        this.compare(1, 'le', hi, f.span, yes, no)
        return
      }
      case 'metric': {
        const where = METRIC_FIELD[f.field]
        if (!this.tcpInfo && where?.needs !== 'full') return void e.emit({ op: 'ja', target: no, span: f.span })
        const inInfo = METRIC_INFO_FIELD[f.field]
        if (inInfo) {
          // From the -i block (converted from jiffies there); a socket without tcp_info has none.
          this.loadRec(1, 'tcp', f.span)
          e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: no, span: f.span })
          this.readsInfo = true
          e.emit({ op: 'ldx', size: infoSize(inInfo.field), dst: 1, src: 10, off: atInfo(inInfo.field), span: f.span, note: `record.${inInfo.field}` })
          if (inInfo.scale !== 1) e.emit({ op: 'alu', alu: 'mul', wide: true, dst: 1, src: { imm: inInfo.scale }, span: f.span })
          this.compare(1, f.op, f.value, f.span, yes, no)
          return
        }
        if (!where) throw new FilterError('E_EBPF_UNSUPPORTED', `the eBPF target cannot test ${f.field}; use --target diag`, f.span)
        // No value (not a full socket / no tcp_info): the predicate is false, whatever the operator.
        this.loadRec(1, where.needs === 'tcp' ? 'tcp' : 'kind', f.span)
        e.emit({ op: 'jmp', cond: where.needs === 'tcp' ? 'jeq' : 'jne', wide: true, dst: 1, src: { imm: 0 }, target: no, span: f.span })
        this.loadRec(1, where.field, f.span)
        this.compare(1, f.op, f.value, f.span, yes, no)
        return
      }
    }
  }

  loadRec(dst: Reg, field: RecField, span: Span, plus = 0, size: SizeName = recSize(field)): void {
    this.read.add(field)
    this.e.emit({ op: 'ldx', size, dst, src: 10, off: at(field, plus), span, note: `record.${field}${plus ? `+${plus}` : ''}` })
  }

  /**
   * `r OP value` on an unsigned register (zero-extended field), folding
   * what the constant decides alone (negative, fractional or huge values).
   */
  compare(r: Reg, op: CmpOp, value: number | bigint, span: Span, yes: Label, no: Label): void {
    emitCompare(this.e, r, op, value, span, yes, no)
  }

  hostcond(cond: HostCond, dir: 'src' | 'dst', span: Span, yes: Label, no: Label): void {
    const e = this.e
    // Only unix sockets match a unix condition; iter/tcp has none.
    if (cond.family === 'unix') return void e.emit({ op: 'ja', target: no, span })
    const port = cond.family === 'inet' ? cond.port : cond.family === 'link' ? cond.ifindex : cond.family === 'netlink' ? cond.portid : cond.port | 0
    if (port !== -1) {
      const ok = e.label('port ok')
      this.loadRec(1, dir === 'src' ? 'sport' : 'dport', span)
      this.compare(1, 'eq', port, span, ok, no)
      e.place(ok)
    }
    const entries = hostEntries(cond)
    // ss tests the first entry's length only: a zero-length prefix means "any address".
    if (entries.length === 0 || entries[0]!.bits === 0) return void e.emit({ op: 'ja', target: yes, span })
    const field: RecField = dir === 'src' ? 'src' : 'dst'
    for (const ent of entries) {
      const next = e.label('next address')
      this.prefix(field, 0, ent.bytes, ent.bits, span, next)
      e.emit({ op: 'ja', target: yes, span })
      e.place(next)
      if (ent.inet4 && ent.bits <= 32) {
        // ss's v4-mapped rule: an IPv4 entry also matches ::ffff:a.b.c.d by its low 32 bits.
        const miss = e.label('not v4-mapped')
        this.loadRec(1, 'family', span)
        e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: AF.AF_INET6 }, target: miss, span })
        this.prefix(field, 0, V4_MAPPED_PREFIX, 96, span, miss)
        this.prefix(field, 12, ent.bytes, ent.bits, span, miss)
        e.emit({ op: 'ja', target: yes, span })
        e.place(miss)
      }
    }
    e.emit({ op: 'ja', target: no, span })
  }

  /**
   * inet_diag bytecode (`inet_diag_bc_run`, kernel-sock-diag §1.5–1.7) on
   * the record: one label per op offset; landing on the end accepts
   * (`yes`), anywhere past it rejects (`no`).
   */
  bytecode(ops: readonly AssembledOp[], yes: Label, no: Label): void {
    const e = this.e
    const end = ops.reduce((m, o) => Math.max(m, o.offset + o.length), 0)
    const at = new Map<number, Label>(ops.map((o) => [o.offset, e.label(`bc@${o.offset}`)]))
    const dest = (off: number): Label => (off === end ? yes : at.get(off) ?? no)
    for (const o of ops) {
      e.place(at.get(o.offset)!)
      const t = dest(o.offset + o.yes)
      const f = dest(o.offset + o.no)
      const span = o.span ?? { start: 0, end: 0 }
      const insn = o.insn
      switch (insn.op) {
        case 'NOP': e.emit({ op: 'ja', target: t, span }); break
        case 'JMP': e.emit({ op: 'ja', target: f, span }); break
        case 'S_GE': case 'S_LE': case 'D_GE': case 'D_LE': case 'S_EQ': case 'D_EQ': {
          this.loadRec(1, insn.op.startsWith('S') ? 'sport' : 'dport', span)
          this.compare(1, insn.op.endsWith('GE') ? 'ge' : insn.op.endsWith('LE') ? 'le' : 'eq', insn.port & 0xffff, span, t, f)
          break
        }
        case 'DEV_COND':
          this.loadRec(1, 'ifindex', span)
          this.compare(1, 'eq', insn.ifindex >>> 0, span, t, f)
          break
        case 'MARK_COND':
          this.loadRec(1, 'mark', span)
          e.emit({ op: 'alu', alu: 'and', wide: false, dst: 1, src: { imm: insn.mask | 0 }, span })
          this.compare(1, 'eq', insn.mark >>> 0, span, t, f)
          break
        case 'AUTO':
          this.loadRec(1, 'userlocks', span)
          e.emit({ op: 'jmp', cond: 'jset', wide: true, dst: 1, src: { imm: SOCK_BINDPORT_LOCK }, target: f, span })
          e.emit({ op: 'ja', target: t, span })
          break
        case 'CGROUP_COND':
          this.loadRec(1, 'cgroup_id', span)
          e.emit({ op: 'lddw', dst: 2, imm: insn.id, span })
          e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { reg: 2 }, target: t, span })
          e.emit({ op: 'ja', target: f, span })
          break
        case 'S_COND': case 'D_COND': {
          const field: RecField = insn.op === 'S_COND' ? 'src' : 'dst'
          // 1. port first (as C int: -1 is "any").
          if (insn.port !== -1) {
            const ok = e.label('bc port ok')
            this.loadRec(1, insn.op === 'S_COND' ? 'sport' : 'dport', span)
            this.compare(1, 'eq', insn.port, span, ok, f)
            e.place(ok)
          }
          // 3. family check, with the one-way v4-mapped rule.
          if (insn.family !== 0) {
            const same = e.label('bc same family')
            this.loadRec(1, 'family', span)
            e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: insn.family }, target: same, span })
            if (insn.family === AF.AF_INET) {
              e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: AF.AF_INET6 }, target: f, span })
              this.prefix(field, 0, V4_MAPPED_PREFIX, 96, span, f)
              this.prefix(field, 12, insn.addr, insn.prefixLen, span, f)
              e.emit({ op: 'ja', target: t, span })
            } else {
              e.emit({ op: 'ja', target: f, span })
            }
            e.place(same)
          }
          // 4–5. prefix 0 matches; else the prefix compare.
          this.prefix(field, 0, insn.addr, insn.prefixLen, span, f)
          e.emit({ op: 'ja', target: t, span })
          break
        }
      }
    }
  }

  /** Jump to `miss` unless the first `bits` bits of record[field] from byte `from` equal `bytes` (zero-padded). */
  prefix(field: RecField, from: number, bytes: Uint8Array, bits: number, span: Span, miss: Label): void {
    for (let w = 0; w * 32 < bits; w++) {
      const n = Math.min(32, bits - w * 32)
      const want = new Uint8Array(4)
      const mask = new Uint8Array(4)
      for (let b = 0; b < 4; b++) {
        const have = Math.max(0, Math.min(8, n - 8 * b))
        mask[b] = (0xff << (8 - have)) & 0xff
        want[b] = (bytes[w * 4 + b] ?? 0) & mask[b]!
      }
      // The record's bytes are in network order; a u32 load reads them in host (little-endian) order: compare likewise.
      const dv = (x: Uint8Array): number => new DataView(x.buffer).getUint32(0, true)
      this.loadRec(1, field, span, from + 4 * w, 'u32')
      if (n < 32) this.e.emit({ op: 'alu', alu: 'and', wide: false, dst: 1, src: { imm: dv(mask) | 0 }, span })
      this.e.emit({ op: 'jmp', cond: 'jne', wide: false, dst: 1, src: { imm: dv(want) | 0 }, target: miss, span })
    }
  }
}

/** `::ffff:0:0/96`, the v4-mapped prefix. */
const V4_MAPPED_PREFIX = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])

/** ss's address entries of a non-unix condition (compiler/evaluate.ts builds the same for the evaluator). */
export function hostEntries(cond: Exclude<HostCond, { family: 'unix' }>): { bytes: Uint8Array, bits: number, inet4: boolean }[] {
  const hostU32 = (n: number): Uint8Array => {
    const b = new Uint8Array(4)
    new DataView(b.buffer).setUint32(0, n >>> 0, true)
    return b
  }
  switch (cond.family) {
    case 'inet': return cond.addrs.map((a) => ({ bytes: a.bytes, bits: a.prefixLen, inet4: a.af === AF.AF_INET }))
    case 'link': return cond.proto === -1 ? [] : [{ bytes: hostU32(cond.proto), bits: 32, inet4: false }]
    case 'netlink': return cond.proto === -1 ? [] : [{ bytes: hostU32(cond.proto), bits: 32, inet4: false }]
    case 'vsock': return []
  }
}

/**
 * Generate and assemble: the `iter/tcp` program for `filter`.
 * @throws FilterError as {@link generateIterTcp} and `assemble`
 */
export function compileIterTcp(filter: Filter | null, layout: IterLayout, opts: IterCodegenOptions): EbpfProgram {
  return assemble(generateIterTcp(filter, layout, opts))
}

/**
 * Generate and assemble: the `iter/udp` program for `filter`.
 * @throws FilterError as {@link generateIterUdp} and `assemble`
 */
export function compileIterUdp(filter: Filter | null, layout: UdpIterLayout, opts: IterCodegenOptions): EbpfProgram {
  return assemble(generateIterUdp(filter, layout, opts))
}
