/**
 * Code generation for the `iter/unix` target: a resolved {@link Filter} →
 * an eBPF program that the kernel runs once per AF_UNIX socket of the
 * namespace and that writes one `ssx_iter_unix_rec` (uapi/bpf-unix.ts) for
 * each socket the listing selects. The sibling of codegen.ts (`iter/tcp`),
 * built the same way:
 *
 * 1. `gather`: the socket into the record on the stack, as unix_diag fills
 *    its reply for ss's request (`sk_diag_fill()`, net/unix/diag.c): type,
 *    state, inode, peer inode, name, queues (`sk_diag_show_rqlen()`),
 *    shutdown, uid, cookie; the table (socket type) and state selection
 *    first, so unselected sockets cost a few instructions.
 * 2. `test`: the filter on the record, with ss's user-space semantics
 *    (compiler/evaluate.ts) as they fall on a unix socket: its "ports" are
 *    inodes, every address entry misses, device, mark and cgroup are 0,
 *    tcp_info metrics have no value, `dst` name patterns see an empty name.
 *    `src` name patterns that are a literal name or a literal prefix and
 *    `*` are compared in the program; other globs (`?`, brackets, inner
 *    stars) count as "maybe" there (kernelApproximation), and user space
 *    runs the whole filter on the decoded records
 *    ({@link unixUserSpaceFilter}), as the diag target does for every
 *    unix predicate (ss has no unix bytecode).
 *
 * Pure: member offsets and helper ids come in through the {@link IterUnixLayout}.
 */
import type { Span } from '../../grammar/ast.js'
import { FilterError } from '../../grammar/errors.js'
import { MAX_BPF_STACK } from '../../uapi/bpf.js'
import type { MemberSlot, SizeName } from '../../uapi/bpf.js'
import { ssx_iter_unix_rec, UNIX_PATH_MAX, UNIX_REC_HEAD } from '../../uapi/bpf-unix.js'
import type { IterUnixLayout } from '../../uapi/bpf-unix.js'
import { TCP_STATE } from '../../uapi/inet-diag.js'
import { SOCK } from '../../uapi/netlink.js'
import { TABLE } from '../select.js'
import { fnmatchCasefold } from '../evaluate.js'
import { METRICS } from '../metrics.js'
import { kernelApproximation } from '../lower.js'
import type { Filter, HostCond } from '../filter.js'
import { assemble } from './assemble.js'
import type { EbpfProgram } from './assemble.js'
import { Emitter, emitBoolean, emitCompare, fieldSizes, hostEntries, optimize } from './codegen.js'
import type { FilterLeaf } from './codegen.js'
import type { Insn, Label, Reg } from './ir.js'

/** The record's field names. */
export type UnixRecField = keyof typeof ssx_iter_unix_rec.offsetOf

/** Where the record sits: the bottom of the stack frame, 8-byte aligned. */
const REC = -Math.ceil(ssx_iter_unix_rec.size / 8) * 8
if (-REC > MAX_BPF_STACK) throw new TypeError('ssx_iter_unix_rec does not fit in the eBPF stack')

/** Stack offset (from r10) of a record field. */
function at(field: UnixRecField, plus = 0): number {
  return REC + ssx_iter_unix_rec.offsetOf[field] + plus
}

const recSize = fieldSizes(ssx_iter_unix_rec)

// Registers: r6 ctx, r7 seq, r8 unix_sock, r9 unix_address; r0–r5 scratch.
const CTX = 6, SEQ = 7, SK = 8, ADDR = 9

/** unix_diag's states: connected, unconnected, listening (`unix_state` in ss's numbering). */
const UNIX_STATES = (1 << TCP_STATE.TCP_ESTABLISHED) | (1 << TCP_STATE.TCP_CLOSE) | (1 << TCP_STATE.TCP_LISTEN)

/** The socket type of each unix table. */
const TABLE_TYPES: readonly (readonly [number, number])[] = [
  [TABLE.unix_stream, SOCK.SOCK_STREAM],
  [TABLE.unix_dgram, SOCK.SOCK_DGRAM],
  [TABLE.unix_seqpacket, SOCK.SOCK_SEQPACKET],
]

/**
 * Most queued datagrams the program adds up for a SOCK_SEQPACKET receive
 * queue (`unix_inq_len()` walks the whole queue under its lock; a program
 * must bound its loop). Past this many the Recv-Q shown is that of the
 * first ones.
 */
export const SEQPACKET_QUEUE_WALK = 256

/** Options of {@link generateIterUnix}. */
export interface IterUnixOptions {
  /** The listing's state mask (`1 << state`); absent = every state. */
  readonly states?: number
  /** The listing's table mask (`1 << TABLE[name]`); absent = the three unix tables. */
  readonly tables?: number
}

/**
 * A `src` name pattern the program can test: a literal name, or a literal
 * prefix followed by `*` (the common `/run/*`); casefolded, as ss's
 * `fnmatch(…, FNM_CASEFOLD)`. `literal` is lowercased; null for globs with
 * `?`, brackets, escapes or inner stars, which stay in user space.
 */
export function namePattern(pattern: string): { readonly literal: string, readonly prefix: boolean } | null {
  const literal = pattern.replace(/\*+$/, '')
  if (/[*?[\\]/.test(literal)) return null
  return { literal: literal.replace(/[A-Z]+/g, (m) => m.toLowerCase()), prefix: literal.length < pattern.length }
}

/** A `src` name glob the program cannot test: the one predicate it leaves to user space. */
function isUserSpaceLeaf(f: Filter): boolean {
  return f.kind === 'hostcond' && f.cond.family === 'unix' && f.dir === 'src' && namePattern(f.cond.pattern) === null
}

function hasUserSpaceLeaf(f: Filter): boolean {
  switch (f.kind) {
    case 'and': case 'or': return hasUserSpaceLeaf(f.left) || hasUserSpaceLeaf(f.right)
    case 'not': return hasUserSpaceLeaf(f.operand)
    default: return isUserSpaceLeaf(f)
  }
}

/**
 * The filter user space must still apply to the records of the `iter/unix`
 * program: the whole filter when it has a `src` name pattern (the program
 * ran a superset), else null (the program decided alone).
 */
export function unixUserSpaceFilter(filter: Filter | null): Filter | null {
  return filter && hasUserSpaceLeaf(filter) ? filter : null
}

/**
 * The part of `filter` the `iter/unix` program tests: the filter with every
 * `src` name pattern counted as "maybe"; null when nothing is left to test.
 */
export function unixKernelFilter(filter: Filter | null): Filter | null {
  if (!filter) return null
  return hasUserSpaceLeaf(filter) ? kernelApproximation(filter, isUserSpaceLeaf) : filter
}

/**
 * Generate the `iter/unix` program for `filter` (null: every socket of the
 * selection).
 */
export function generateIterUnix(filter: Filter | null, layout: IterUnixLayout, opts: IterUnixOptions = {}): Insn[] {
  const e = new Emitter()
  const M = layout.members
  const H = layout.helpers
  const reject = e.label('reject')
  const accept = e.label('accept')

  const load = (dst: Reg, base: Reg, slot: MemberSlot, note: string): void => e.loadMember(dst, base, slot, note)
  const store = (field: UnixRecField, src: Reg, size: SizeName = recSize(field)): void => {
    e.emit({ op: 'stx', size, dst: 10, src, off: at(field) })
  }
  const copy = (field: UnixRecField, base: Reg, slot: MemberSlot, note: string): void => {
    load(1, base, slot, note)
    store(field, 1)
  }
  const loadRec = (dst: Reg, field: UnixRecField, note = `record.${field}`): void => {
    e.emit({ op: 'ldx', size: recSize(field), dst, src: 10, off: at(field), note })
  }

  // --- gather -------------------------------------------------------------
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: CTX, src: { reg: 1 }, note: 'ctx' })
  e.iterOpening({ ctx: CTX, sk: SK, seq: SEQ }, { off: M.ctx_unix_sk.off, note: 'ctx->unix_sk' }, M, reject, REC, -REC)
  copy('family', SK, M.skc_family, 'skc_family')
  load(3, SK, M.skc_state, 'skc_state')
  store('state', 3)
  load(4, SK, M.sk_type, 'sk_type')
  store('type', 4)
  selectTypeAndState(e, opts, reject)
  copy('shutdown', SK, M.sk_shutdown, 'sk_shutdown')
  e.emit({ op: 'ldx', size: 'u32', dst: 1, src: CTX, off: M.ctx_uid.off, note: 'ctx->uid' })
  store('uid', 1)
  // sock_i_ino() truncated to u32 as udiag_ino is. unix_diag skips a socket
  // without an inode (sk_diag_dump()): the embryo of a connection not yet accepted.
  load(1, SK, M.sk_ino, 'sk_ino')
  e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: reject, note: 'no inode: unix_diag skips it' })
  store('inode', 1, 'u32')
  // The cookie as unix_diag reports it: sock_gen_cookie() makes one on first use.
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: SK } })
  e.emit({ op: 'call', helper: H.get_socket_cookie, name: 'bpf_get_socket_cookie' })
  store('cookie', 0)
  // UNIX_DIAG_PEER: the peer's sock_i_ino(), sent whenever there is a peer.
  const noPeer = e.label('no peer')
  load(1, SK, M.peer, 'unix_peer(sk)')
  e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: noPeer })
  e.emit({ op: 'st', size: 'u8', dst: 10, off: at('has_peer'), imm: 1 })
  load(1, 1, M.peer_ino, 'peer->sk_ino')
  store('peer', 1, 'u32')
  e.place(noPeer)
  // UNIX_DIAG_NAME: addr->len minus sun_family bytes of sun_path (probe-read: a flexible array).
  const unnamed = e.label('unnamed')
  load(ADDR, SK, M.addr, 'unix_sk(sk)->addr')
  e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: ADDR, src: { imm: 0 }, target: unnamed })
  e.emit({ op: 'st', size: 'u8', dst: 10, off: at('named'), imm: 1 })
  load(2, ADDR, M.addr_len, 'addr->len')
  const pathOff = M.sun_path.off
  const maxLen = Math.min(UNIX_PATH_MAX, M.sun_path.size)
  const notLong = e.label('length ok')
  const notShort = e.label('length > 0')
  // Bounded for the verifier (and against a torn read): 0 ≤ length ≤ sizeof(sun_path).
  e.emit({ op: 'jmp', cond: 'jle', wide: true, dst: 2, src: { imm: pathOff + maxLen }, target: notLong })
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 2, src: { imm: pathOff + maxLen } })
  e.place(notLong)
  e.emit({ op: 'jmp', cond: 'jge', wide: true, dst: 2, src: { imm: pathOff }, target: notShort })
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 2, src: { imm: pathOff } })
  e.place(notShort)
  e.emit({ op: 'alu', alu: 'sub', wide: true, dst: 2, src: { imm: pathOff } })
  store('name_len', 2)
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: 10 } })
  e.emit({ op: 'alu', alu: 'add', wide: true, dst: 1, src: { imm: at('name') } })
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 3, src: { reg: ADDR } })
  e.emit({ op: 'alu', alu: 'add', wide: true, dst: 3, src: { imm: M.addr_name.off + pathOff } })
  e.emit({ op: 'call', helper: H.probe_read_kernel, name: 'bpf_probe_read_kernel', note: 'record.name = sun_path' })
  e.place(unnamed)
  gatherQueues(e, layout, { load, store, loadRec })

  // --- test -----------------------------------------------------------------
  const kernel = unixKernelFilter(filter)
  if (kernel) new UnixFilterLowering(e, loadRec).branch(kernel, accept, reject)
  e.place(accept)
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { reg: SEQ } })
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 2, src: { reg: 10 } })
  e.emit({ op: 'alu', alu: 'add', wide: true, dst: 2, src: { imm: REC } })
  // Only the name's bytes are written after the fixed part (most sockets are unnamed): more records per read.
  loadRec(3, 'name_len')
  const lenOk = e.label('name length ok')
  e.emit({ op: 'jmp', cond: 'jle', wide: true, dst: 3, src: { imm: UNIX_PATH_MAX }, target: lenOk, note: 'bound for the verifier' })
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 3, src: { imm: UNIX_PATH_MAX } })
  e.place(lenOk)
  e.emit({ op: 'alu', alu: 'add', wide: true, dst: 3, src: { imm: UNIX_REC_HEAD } })
  e.emit({ op: 'call', helper: H.seq_write, name: 'bpf_seq_write', note: 'write the record' })
  e.place(reject)
  e.emit({ op: 'alu', alu: 'mov', wide: false, dst: 0, src: { imm: 0 } })
  e.emit({ op: 'exit' })
  return optimize(e.out)
}

interface GatherOps {
  load(dst: Reg, base: Reg, slot: MemberSlot, note: string): void
  store(field: UnixRecField, src: Reg, size?: SizeName): void
  loadRec(dst: Reg, field: UnixRecField, note?: string): void
}

/**
 * Recv-Q and Send-Q as `sk_diag_show_rqlen()` reports them: a listener's
 * accept queue length and backlog; otherwise `unix_inq_len()` (streams: the
 * kernel's running count; datagrams: the first one's length; seqpacket: the
 * sum over the queue) and `unix_outq_len()` (`sk_wmem_alloc - 1`).
 */
function gatherQueues(e: Emitter, layout: IterUnixLayout, g: GatherOps): void {
  const M = layout.members
  const done = e.label('queues done')
  const notListen = e.label('not listening')
  g.loadRec(3, 'state')
  e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 3, src: { imm: TCP_STATE.TCP_LISTEN }, target: notListen })
  g.load(1, SK, M.rq_qlen, 'sk_receive_queue.qlen')
  g.store('rqueue', 1)
  g.load(1, SK, M.sk_max_ack_backlog, 'sk_max_ack_backlog')
  g.store('wqueue', 1)
  e.emit({ op: 'ja', target: done })
  e.place(notListen)
  g.load(1, SK, M.sk_wmem_alloc, 'sk_wmem_alloc')
  e.emit({ op: 'alu', alu: 'sub', wide: false, dst: 1, src: { imm: 1 } })
  g.store('wqueue', 1)
  const notStream = e.label('not a stream')
  g.loadRec(4, 'type')
  e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 4, src: { imm: SOCK.SOCK_STREAM }, target: notStream })
  g.load(1, SK, M.inq_len, 'inq_len')
  g.store('rqueue', 1)
  e.emit({ op: 'ja', target: done })
  e.place(notStream)
  g.load(2, SK, M.rq_qlen, 'sk_receive_queue.qlen')
  e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 2, src: { imm: 0 }, target: done, note: 'nothing queued' })
  g.load(1, SK, M.rq_next, 'sk_receive_queue.next')
  const seqpacket = e.label('seqpacket')
  e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 4, src: { imm: SOCK.SOCK_DGRAM }, target: seqpacket })
  g.load(1, 1, M.skb_len, 'skb->len')
  g.store('rqueue', 1)
  e.emit({ op: 'ja', target: done })
  // r1 skb, r2 datagrams left, r3 sum, r4 walk budget.
  e.place(seqpacket)
  const loop = e.label('next datagram')
  const summed = e.label('summed')
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 3, src: { imm: 0 } })
  e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 4, src: { imm: SEQPACKET_QUEUE_WALK } })
  e.place(loop)
  g.load(5, 1, M.skb_len, 'skb->len')
  e.emit({ op: 'alu', alu: 'add', wide: false, dst: 3, src: { reg: 5 } })
  e.emit({ op: 'alu', alu: 'sub', wide: true, dst: 2, src: { imm: 1 } })
  e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 2, src: { imm: 0 }, target: summed })
  e.emit({ op: 'alu', alu: 'sub', wide: true, dst: 4, src: { imm: 1 } })
  e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 4, src: { imm: 0 }, target: summed })
  g.load(1, 1, M.skb_next, 'skb->next')
  e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0 }, target: loop })
  e.place(summed)
  g.store('rqueue', 3)
  e.place(done)
}

/** The listing's table (socket type) and state selection, on r3 = state and r4 = type. */
function selectTypeAndState(e: Emitter, opts: IterUnixOptions, reject: Label): void {
  if (opts.tables !== undefined) {
    const wanted = TABLE_TYPES.filter(([t]) => opts.tables! & (1 << t)).map(([, type]) => type)
    if (wanted.length < TABLE_TYPES.length) {
      const ok = e.label('type selected')
      for (const type of wanted) e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 4, src: { imm: type }, target: ok, ...(type === wanted[0] ? { note: 'table selection' } : {}) })
      e.emit({ op: 'ja', target: reject })
      e.place(ok)
    }
  }
  if (opts.states !== undefined && (opts.states & UNIX_STATES) !== UNIX_STATES) {
    e.emit({ op: 'alu', alu: 'mov', wide: true, dst: 1, src: { imm: 1 }, note: 'state selection' })
    e.emit({ op: 'alu', alu: 'lsh', wide: true, dst: 1, src: { reg: 3 } })
    e.emit({ op: 'alu', alu: 'and', wide: true, dst: 1, src: { imm: opts.states & 0x7fffffff } })
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: reject })
  }
}

/** Whether ss's autobind test can see a lowercase hex digit: '0'–'9', 'a'–'f'. */
const HEX_RANGES: readonly (readonly [number, number])[] = [[0x30, 0x39], [0x61, 0x66]]

/** The kernel part of the filter on the unix record (r1, r2 scratch). */
class UnixFilterLowering {
  constructor(readonly e: Emitter, readonly loadRec: (dst: Reg, field: UnixRecField, note?: string) => void) {}

  branch(f: Filter, yes: Label, no: Label): void {
    emitBoolean(this.e, f, yes, no, (g, y, n) => this.leaf(g, y, n))
  }

  /** `yes` or `no` decided by the compiler alone. */
  constant(holds: boolean, span: Span, yes: Label, no: Label): void {
    this.e.emit({ op: 'ja', target: holds ? yes : no, span })
  }

  field(dst: Reg, field: UnixRecField, span: Span): void {
    this.e.emit({ op: 'ldx', size: recSize(field), dst, src: 10, off: at(field), span, note: `record.${field}` })
  }

  leaf(f: FilterLeaf, yes: Label, no: Label): void {
    const e = this.e
    switch (f.kind) {
      case 'hostcond':
        return this.hostcond(f.cond, f.dir, f.span, yes, no)
      case 'portcmp':
        // A unix socket's ports are its inode and its peer's (0 without one).
        this.field(1, f.dir === 'src' ? 'inode' : 'peer', f.span)
        return emitCompare(e, 1, f.cmp, f.port, f.span, yes, no)
      // Unix sockets have no device, mark or cgroup: ss compares 0.
      case 'dev':
        return this.constant(f.ifindex >>> 0 === 0, f.span, yes, no)
      case 'mark':
        return this.constant(f.mark >>> 0 === 0, f.span, yes, no)
      case 'cgroup':
        return this.constant(f.id === 0n, f.span, yes, no)
      case 'auto':
        return this.autobound(f.span, yes, no)
      case 'metric': {
        const src = METRICS[f.field].source
        // tcp_info members: a unix socket reports none, so the predicate is false.
        if (src.kind === 'tcp_info') return this.constant(false, f.span, yes, no)
        this.field(1, src.key, f.span)
        return emitCompare(e, 1, f.op, f.value, f.span, yes, no)
      }
    }
  }

  /**
   * ss's SCOND/DCOND on a unix socket: a name pattern globs the name (`dst`:
   * the peer's, which ss never fills, so the empty string); any other
   * condition compares its port with the inode, and its address entries
   * never match a unix socket (unless the first one has length 0).
   */
  hostcond(cond: HostCond, dir: 'src' | 'dst', span: Span, yes: Label, no: Label): void {
    if (cond.family === 'unix') {
      if (dir === 'dst') return this.constant(fnmatchCasefold(cond.pattern, ''), span, yes, no)
      const p = namePattern(cond.pattern)
      if (!p) throw new FilterError('E_EBPF_UNSUPPORTED', `internal error: the glob "${cond.pattern}" reached the iter/unix program (it runs in user space)`, span)
      return this.name(p.literal, p.prefix, span, yes, no)
    }
    const port = cond.family === 'inet' ? cond.port : cond.family === 'link' ? cond.ifindex : cond.family === 'netlink' ? cond.portid : cond.port | 0
    const entries = hostEntries(cond)
    const anyAddress = entries.length === 0 || entries[0]!.bits === 0
    if (port === -1) return this.constant(anyAddress, span, yes, no)
    if (!anyAddress) return this.constant(false, span, yes, no)
    this.field(1, dir === 'src' ? 'inode' : 'peer', span)
    emitCompare(this.e, 1, 'eq', port, span, yes, no)
  }

  /**
   * The name as ss shows it (unnamed: empty; abstract: every NUL as `@`;
   * a path: up to its NUL) equals `literal`, or starts with it (`prefix`),
   * ASCII letters in either case.
   */
  name(literal: string, prefix: boolean, span: Span, yes: Label, no: Label): void {
    const e = this.e
    const L = literal.length
    if (prefix && L === 0) return this.constant(true, span, yes, no)
    // Names are bytes shown one to one (latin1), at most sun_path long.
    if (L > UNIX_PATH_MAX || [...literal].some((c) => c.charCodeAt(0) > 0xff || c === '\0')) return this.constant(false, span, yes, no)
    const nameByte = (i: number): void => { e.emit({ op: 'ldx', size: 'u8', dst: 1, src: 10, off: at('name', i), span, note: `record.name[${i}]` }) }
    this.field(1, 'named', span)
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: L === 0 ? yes : no, span })
    this.field(2, 'name_len', span)
    if (L === 0) {
      // Named but empty shows as empty too.
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 2, src: { imm: 0 }, target: yes, span })
      return void e.emit({ op: 'ja', target: no, span })
    }
    e.emit({ op: 'jmp', cond: 'jlt', wide: true, dst: 2, src: { imm: L }, target: no, span, note: 'shorter than the pattern' })
    for (let i = 0; i < L; i++) {
      const c = literal.charCodeAt(i)
      const ok = e.label('char ok')
      nameByte(i)
      e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: c }, target: ok, span })
      if (c >= 0x61 && c <= 0x7a) e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: c - 0x20 }, target: ok, span })
      if (c === 0x40) {
        // `@` also stands for a NUL of an abstract name (first byte NUL); in a path a NUL ends the name.
        e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0 }, target: no, span })
        if (i > 0) {
          nameByte(0)
          e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0 }, target: no, span })
        }
        e.emit({ op: 'ja', target: ok, span })
      } else {
        e.emit({ op: 'ja', target: no, span })
      }
      e.place(ok)
    }
    if (prefix) return void e.emit({ op: 'ja', target: yes, span })
    // Exact: nothing shown past the pattern. Abstract names show every byte; a path ends at its NUL.
    this.field(2, 'name_len', span)
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 2, src: { imm: L }, target: yes, span })
    nameByte(0)
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: no, span, note: 'abstract: longer' })
    nameByte(L)
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 1, src: { imm: 0 }, target: yes, span })
    e.emit({ op: 'ja', target: no, span })
  }

  /**
   * ss's `autobound` for unix sockets: unnamed, or a name shown as `@` and
   * five lowercase hex digits (the kernel's autobind name, or a path or
   * abstract name that reads the same).
   */
  autobound(span: Span, yes: Label, no: Label): void {
    const e = this.e
    const named = e.label('named')
    this.field(1, 'named', span)
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0 }, target: named, span })
    e.emit({ op: 'ja', target: yes, span })
    e.place(named)
    const nameByte = (i: number): void => { e.emit({ op: 'ldx', size: 'u8', dst: 1, src: 10, off: at('name', i), span, note: `record.name[${i}]` }) }
    // Abstract: exactly six bytes, NUL + 5 digits. Path: '@' + 5 digits, then the end or a NUL.
    const path = e.label('path name')
    const digits = e.label('hex digits')
    this.field(2, 'name_len', span)
    nameByte(0)
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0 }, target: path, span })
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 2, src: { imm: 6 }, target: no, span })
    e.emit({ op: 'ja', target: digits, span })
    e.place(path)
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0x40 }, target: no, span })
    e.emit({ op: 'jmp', cond: 'jlt', wide: true, dst: 2, src: { imm: 6 }, target: no, span })
    const ended = e.label('path ends')
    e.emit({ op: 'jmp', cond: 'jeq', wide: true, dst: 2, src: { imm: 6 }, target: ended, span })
    nameByte(6)
    e.emit({ op: 'jmp', cond: 'jne', wide: true, dst: 1, src: { imm: 0 }, target: no, span })
    e.place(ended)
    e.place(digits)
    for (let i = 1; i <= 5; i++) {
      const ok = e.label('hex digit')
      nameByte(i)
      for (const [lo, hi] of HEX_RANGES) {
        const next = e.label('next range')
        e.emit({ op: 'jmp', cond: 'jlt', wide: true, dst: 1, src: { imm: lo }, target: next, span })
        e.emit({ op: 'jmp', cond: 'jle', wide: true, dst: 1, src: { imm: hi }, target: ok, span })
        e.place(next)
      }
      e.emit({ op: 'ja', target: no, span })
      e.place(ok)
    }
    e.emit({ op: 'ja', target: yes, span })
  }
}

/**
 * Generate and assemble: the `iter/unix` program for `filter`.
 * @throws FilterError as `assemble` (a program past the instruction limit)
 */
export function compileIterUnix(filter: Filter | null, layout: IterUnixLayout, opts: IterUnixOptions = {}): EbpfProgram {
  return assemble(generateIterUnix(filter, layout, opts))
}
