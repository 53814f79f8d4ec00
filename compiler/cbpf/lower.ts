/**
 * Lowering for the classic BPF target: a resolved {@link Filter} → cBPF
 * label IR over an inet_diag destroy message (`nlmsghdr` +
 * `inet_diag_msg`, as a `NETLINK_SOCK_DIAG` socket receives it from the
 * SKNLGRP_INET*_DESTROY groups). The program keeps (returns 0xffffffff) or
 * drops (returns 0) each message, with ss's user-space meaning
 * (`compiler/evaluate.ts`), which is what `ss -E` applies to events.
 *
 * ## What the program cannot see: three-valued lowering
 *
 * A destroy message has the socket id, state and family in fixed places
 * and a few attributes after them, but not everything a filter can ask
 * about (`autobound` needs the local port range; kinds this pass does not
 * know). Such a leaf is *unknown* here. The program must keep every message the
 * filter could accept, so each unknown leaf is replaced by the constant
 * that can only make the filter more true: `true` under an even number of
 * `not`s, `false` under an odd number. Because `and`/`or` are monotone,
 * the result is implied by the filter — it over-approximates — and for a
 * filter where each leaf occurs once it equals Kleene's three-valued
 * reading "accept unless definitely false", at no cost in code size (no
 * path is duplicated). Constants are then folded; the approximations that
 * survive folding are reported as `residual`, and `exact` is false when
 * there is any, so user space re-checks the events the kernel let through.
 *
 * `fwmark` and `cgroup` read the INET_DIAG_MARK / INET_DIAG_CGROUP_ID
 * attributes through the kernel's `ld [nla]` lookup (the attribute walk is
 * the kernel's loop, not ours); a message without the attribute reads as 0,
 * as the runtime's decoder says. The kernel sends neither in destroy
 * messages today, so `fwmark 0x1` drops every event, exactly as ss's
 * user-space filter does.
 *
 * Metrics (compiler/metrics.ts) read tcp_info members in INET_DIAG_INFO
 * (when the attribute is long enough to hold them) and the message's
 * queue/uid/inode fields (only for full sockets, marked by
 * INET_DIAG_SHUTDOWN): a message without the value fails the predicate
 * whatever the operator, as in user space. The values are host order and
 * classic BPF has no byte swap, so a u32 is put together from its four
 * bytes through scratch memory; a u64 compares its high word first.
 * `v * scale OP t` becomes an integer comparison of `v` (floor/ceil of
 * `t / scale`), and constants out of the member's range fold away.
 *
 * Leaves compile to short sequences of `ld`/`ldh`/`ldb [abs]`, an optional
 * `and #mask` and a conditional jump; ports and address words are in
 * network order in the message and compare with their usual values, while
 * `idiag_if` is host order and is compared with a byte-swapped constant on
 * little-endian hosts. Message offsets come from the uapi struct tables.
 */
import type { Span } from '../../grammar/ast.js'
import type { Filter, HostCond, MetricNode } from '../filter.js'
import { METRICS } from '../metrics.js'
import { tcp_info } from '../../uapi/tcp-info.js'
import type { CmpOp } from '../../grammar/ast.js'
import { AF, INET_DIAG, inet_diag_msg } from '../../uapi/inet-diag.js'
import { nlattr, nlmsghdr } from '../../uapi/netlink.js'
import { ancillaryK } from '../../uapi/bpf-classic.js'
import type { CbpfInsn, CbpfLabel, CbpfTarget } from './ir.js'

/** Absolute offsets of the destroy message's fields, as the program sees them. */
export const DESTROY_MSG = (() => {
  const base = nlmsghdr.size
  const o = inet_diag_msg.offsetOf
  return {
    family: base + o.idiag_family,
    state: base + o.idiag_state,
    sport: base + o.idiag_sport,
    dport: base + o.idiag_dport,
    src: base + o.idiag_src,
    dst: base + o.idiag_dst,
    ifindex: base + o.idiag_if,
    /** The first attribute (INET_DIAG_PROTOCOL in destroy messages). */
    attrs: base + inet_diag_msg.size,
  } as const
})()

/** Options of the lowering. */
export interface CbpfLowerOptions {
  /**
   * `/proc/sys/net/ipv4/ip_local_port_range` as the evaluator will use it:
   * with it `autobound` is tested in the kernel, without it it is left to
   * user space.
   */
  readonly localPortRange?: readonly [number, number]
  /** Byte order of host-order fields (`idiag_if`); default: this machine's. */
  readonly littleEndian?: boolean
}

/** A part of the filter the program does not decide, and why. */
export interface CbpfResidual {
  readonly span: Span
  readonly reason: string
}

/** The lowering's result. */
export interface CbpfLowered {
  readonly ir: readonly CbpfInsn[]
  /** True when the program alone decides the whole filter. */
  readonly exact: boolean
  readonly residual: readonly CbpfResidual[]
}

/** What a program returns to keep a whole message, and to drop it. */
export const KEEP = 0xffffffff
export const DROP = 0

const NLA_HDRLEN = nlattr.size
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

// ---------------------------------------------------------------- conditions

/** One comparison of a message word with a constant. */
interface WordTest {
  readonly width: 1 | 2 | 4
  readonly off: number
  /** Applied before comparing; all ones (for the width) means no `and`. */
  readonly mask: number
  readonly cmp: 'eq' | 'ge' | 'gt'
  readonly value: number
  /** false: the test passes when the comparison fails. */
  readonly want: boolean
  /** 'ind': `off` is relative to X (an attribute found by {@link AttrTest}). */
  readonly mode?: 'ind'
}

/**
 * A netlink attribute of the message, found with the kernel's `ld [nla]`
 * lookup (the loop runs in the kernel, so the program stays loop-free):
 * `tests` read its payload; a message without it passes iff `absent`.
 */
interface AttrTest {
  readonly type: number
  readonly absent: boolean
  readonly tests: readonly WordTest[]
}

/**
 * A metric: an attribute that must be present (a socket without the value
 * satisfies no metric predicate), at least `minLen` long, then an unsigned
 * comparison of the host-order u32/u64 at `off` (relative to the attribute
 * when `ind`, else absolute) with `k`; `want` false inverts the comparison
 * (but never the absent case).
 */
interface MetricTest {
  readonly attr: number
  readonly minLen: number
  readonly ind: boolean
  readonly off: number
  readonly size: 4 | 8
  readonly cmp: 'gt' | 'ge' | 'eq' | 'any'
  readonly k: bigint
  readonly want: boolean
}

/** `all` AND (OR of `any`, each an AND of word tests); `any` null means no alternatives. */
interface Test {
  readonly all: readonly WordTest[]
  readonly any: readonly (readonly WordTest[])[] | null
  /** Tested instead of all/any when present. */
  readonly attr?: AttrTest
  /** Tested instead of all/any when present. */
  readonly metric?: MetricTest
}

type Cond =
  | { readonly kind: 'const'; readonly value: boolean }
  | { readonly kind: 'and' | 'or'; readonly left: Cond; readonly right: Cond }
  | { readonly kind: 'not'; readonly operand: Cond }
  | { readonly kind: 'test'; readonly test: Test; readonly span: Span }

interface Folded {
  readonly cond: Cond
  /** Unknown leaves this result depends on. */
  readonly approx: readonly CbpfResidual[]
}

const TRUE: Cond = { kind: 'const', value: true }
const FALSE: Cond = { kind: 'const', value: false }
const constant = (value: boolean): Cond => (value ? TRUE : FALSE)

/** Lower `filter` (null: keep everything). */
export function lowerEventFilter(filter: Filter | null, opts: CbpfLowerOptions = {}): CbpfLowered {
  const folded: Folded = filter === null ? { cond: TRUE, approx: [] } : fold(filter, true, opts)
  return { ir: generate(folded.cond, opts), exact: folded.approx.length === 0, residual: folded.approx }
}

/** Replace unknown leaves by their polarity's constant and fold constants away. */
function fold(f: Filter, positive: boolean, opts: CbpfLowerOptions): Folded {
  switch (f.kind) {
    case 'and':
    case 'or': {
      const l = fold(f.left, positive, opts)
      const r = fold(f.right, positive, opts)
      // and: false absorbs, true is neutral; or: the reverse.
      const absorbing = f.kind === 'or'
      const isConst = (x: Folded, v: boolean): boolean => x.cond.kind === 'const' && x.cond.value === v
      const absorbers = [l, r].filter((x) => isConst(x, absorbing))
      if (absorbers.length > 0) return absorbers.find((x) => x.approx.length === 0) ?? absorbers[0]!
      const approx = [...l.approx, ...r.approx]
      if (isConst(l, !absorbing)) return { cond: r.cond, approx }
      if (isConst(r, !absorbing)) return { cond: l.cond, approx }
      return { cond: { kind: f.kind, left: l.cond, right: r.cond }, approx }
    }
    case 'not': {
      const o = fold(f.operand, !positive, opts)
      const cond: Cond = o.cond.kind === 'const' ? constant(!o.cond.value) : o.cond.kind === 'not' ? o.cond.operand : { kind: 'not', operand: o.cond }
      return { cond, approx: o.approx }
    }
    default: {
      const leaf = decideLeaf(f, opts)
      if (typeof leaf === 'string') return { cond: constant(positive), approx: [{ span: f.span, reason: leaf }] }
      return { cond: 'kind' in leaf ? leaf : { kind: 'test', test: leaf, span: f.span }, approx: [] }
    }
  }
}

/** A leaf as a test, a constant, or (a string) the reason it is unknown here. */
function decideLeaf(f: Filter, opts: CbpfLowerOptions): Test | Cond | string {
  switch (f.kind) {
    case 'hostcond':
      return hostCondTest(f.cond, f.dir === 'src' ? 'local' : 'remote')
    case 'portcmp': {
      const off = f.dir === 'src' ? DESTROY_MSG.sport : DESTROY_MSG.dport
      if (f.cmp === 'ge') {
        if (f.port <= 0) return TRUE
        if (f.port > 0xffff) return FALSE
        return { all: [word(2, off, 'ge', f.port)], any: null }
      }
      if (f.port < 0) return FALSE
      if (f.port >= 0xffff) return TRUE
      return { all: [{ ...word(2, off, 'gt', f.port), want: false }], any: null }
    }
    case 'dev': {
      const le = opts.littleEndian ?? HOST_LITTLE_ENDIAN
      return { all: [word(4, DESTROY_MSG.ifindex, 'eq', le ? bswap32(f.ifindex) : f.ifindex >>> 0)], any: null }
    }
    case 'auto': {
      const range = opts.localPortRange
      if (!range) return 'autobound needs the local port range (ip_local_port_range): tested in user space'
      const [lo, hi] = range
      const all: WordTest[] = []
      if (lo > hi || lo > 0xffff || hi < 0) return FALSE
      if (lo > 0) all.push(word(2, DESTROY_MSG.sport, 'ge', lo))
      if (hi < 0xffff) all.push({ ...word(2, DESTROY_MSG.sport, 'gt', hi), want: false })
      return all.length === 0 ? TRUE : { all, any: null }
    }
    case 'mark': {
      // (mark & mask) == value on a host-order u32: byte swapping commutes with `&`, so swap the constants.
      const le = opts.littleEndian ?? HOST_LITTLE_ENDIAN
      const sw = (n: number): number => (le ? bswap32(n) : n >>> 0)
      const absent = (0 & f.mask) >>> 0 === f.mark >>> 0
      return { all: [], any: null, attr: { type: INET_DIAG.INET_DIAG_MARK, absent, tests: [{ width: 4, off: NLA_HDRLEN, mask: sw(f.mask), cmp: 'eq', value: sw(f.mark), want: true, mode: 'ind' }] } }
    }
    case 'cgroup': {
      // A host-order u64: two words, low first on little-endian hosts.
      const le = opts.littleEndian ?? HOST_LITTLE_ENDIAN
      const id = BigInt.asUintN(64, f.id)
      const lo = Number(id & 0xffffffffn)
      const hi = Number(id >> 32n)
      const words = le ? [bswap32(lo), bswap32(hi)] : [hi, lo]
      const tests = words.map((w, i): WordTest => ({ ...word(4, NLA_HDRLEN + 4 * i, 'eq', w), mode: 'ind' }))
      return { all: [], any: null, attr: { type: INET_DIAG.INET_DIAG_CGROUP_ID, absent: id === 0n, tests } }
    }
    case 'metric':
      return metricTest(f, opts.littleEndian ?? HOST_LITTLE_ENDIAN)
    default:
      // Kinds added after this pass was written (tcp_info predicates, …).
      return `${(f as { kind: string }).kind} is not tested by the classic BPF program: tested in user space`
  }
}

const word = (width: 1 | 2 | 4, off: number, cmp: WordTest['cmp'], value: number): WordTest => ({ width, off, mask: ones(width), cmp, value: value >>> 0, want: true })
const ones = (width: 1 | 2 | 4): number => (width === 4 ? 0xffffffff : width === 2 ? 0xffff : 0xff)
const bswap32 = (n: number): number => (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0

/** One address entry as ss's user-space filter holds it (see evaluate.ts). */
interface Entry {
  readonly bytes: Uint8Array
  readonly bits: number
  readonly inet4: boolean
}

/** ss's SCOND/DCOND in user space, on an inet socket (destroy events are inet only). */
function hostCondTest(cond: HostCond, side: 'local' | 'remote'): Test | Cond {
  // A unix condition reads a name an inet socket does not have: never true.
  if (cond.family === 'unix') return FALSE
  const all: WordTest[] = []
  const port = cond.family === 'inet' ? cond.port : cond.family === 'link' ? cond.ifindex : cond.family === 'netlink' ? cond.portid : cond.port | 0
  if (port !== -1) {
    if (port < 0 || port > 0xffff) return FALSE
    all.push(word(2, side === 'local' ? DESTROY_MSG.sport : DESTROY_MSG.dport, 'eq', port))
  }
  const entries = hostEntries(cond)
  // ss looks at the first entry's length only: zero means "any address".
  if (entries.length === 0 || entries[0]!.bits === 0) return all.length === 0 ? TRUE : { all, any: null }
  const base = side === 'local' ? DESTROY_MSG.src : DESTROY_MSG.dst
  const any: WordTest[][] = []
  for (const e of entries) {
    const bits = Math.min(e.bits, 128)
    if (bits === 0) return all.length === 0 ? TRUE : { all, any: null }
    any.push(prefixTests(base, e.bytes, bits))
    // An IPv4 entry also matches a v4-mapped IPv6 address by its last 32 bits.
    if (e.inet4 && !hasBitsBeyond(e.bytes, 32, bits)) {
      any.push([
        { ...word(1, DESTROY_MSG.family, 'eq', AF.AF_INET), want: false },
        word(4, base, 'eq', 0),
        word(4, base + 4, 'eq', 0),
        word(4, base + 8, 'eq', 0xffff),
        ...prefixTests(base + 12, e.bytes, Math.min(bits, 32)),
      ])
    }
  }
  return { all, any }
}

function hostEntries(cond: Exclude<HostCond, { family: 'unix' }>): readonly Entry[] {
  switch (cond.family) {
    case 'inet':
      return cond.addrs.map((a) => ({ bytes: a.bytes, bits: a.prefixLen, inet4: a.af === AF.AF_INET }))
    case 'link':
    case 'netlink':
      // ss keeps the protocol in the address word, in host order (little-endian hosts).
      return cond.proto === -1 ? [] : [{ bytes: le32(cond.proto), bits: 32, inet4: false }]
    case 'vsock':
      return []
  }
}

/**
 * A metric predicate on a destroy message (compiler/metrics.ts says where
 * each value lives): tcp_info members in INET_DIAG_INFO (present when the
 * attribute is long enough), message fields only for full sockets, which
 * the kernel marks with INET_DIAG_SHUTDOWN (destroy messages have none, so
 * those are false there, as in user space).
 */
function metricTest(f: MetricNode, le: boolean): Test | Cond | string {
  const src = METRICS[f.field].source
  let base: Omit<MetricTest, 'cmp' | 'k' | 'want'>
  let scale = 1
  if (src.kind === 'tcp_info') {
    const field = tcp_info.fields.find((x) => x.name === src.member)
    if (!field || (field.kind !== 'u32' && field.kind !== 'u64')) return `${f.field} is not a u32/u64 tcp_info member: tested in user space`
    const size = field.kind === 'u64' ? 8 : 4
    const off = NLA_HDRLEN + (tcp_info.offsetOf as Record<string, number>)[src.member]!
    base = { attr: INET_DIAG.INET_DIAG_INFO, minLen: off + size, ind: true, off, size }
    scale = src.scale
  } else {
    base = { attr: INET_DIAG.INET_DIAG_SHUTDOWN, minLen: 0, ind: false, off: nlmsghdr.size + (inet_diag_msg.offsetOf as Record<string, number>)[src.member]!, size: 4 }
  }
  if (!le && base.size === 8) return `${f.field}: u64 members are compared on little-endian hosts only: tested in user space`
  const c = integerCmp(f.op, f.value, scale)
  if (c === false) return FALSE
  const max = base.size === 8 ? (1n << 64n) - 1n : 0xffffffffn
  // Fold comparisons with constants out of the member's range to "present".
  let cmp: MetricTest['cmp'] = c.cmp
  let want = c.want
  if (cmp === 'gt' && c.k < 0n) [cmp, want] = ['any', want]
  else if (cmp === 'gt' && c.k >= max) [cmp, want] = ['any', !want]
  else if (cmp === 'ge' && c.k <= 0n) [cmp, want] = ['any', want]
  else if (cmp === 'ge' && c.k > max) [cmp, want] = ['any', !want]
  else if (cmp === 'eq' && (c.k < 0n || c.k > max)) [cmp, want] = ['any', !want]
  if (cmp === 'any' && !want) return FALSE
  return { all: [], any: null, metric: { ...base, cmp, k: cmp === 'any' ? 0n : c.k, want } }
}

/**
 * `v * scale OP t` for an unsigned integer `v`, as a comparison of `v` with
 * an integer: `v > floor(t/s)`, `v >= ceil(t/s)`, `v == t/s` (false unless
 * integral); `lt`/`le`/`ne` are the inverted ones. false: never true.
 */
function integerCmp(op: CmpOp, t: number, scale: number): { cmp: 'gt' | 'ge' | 'eq' | 'any'; k: bigint; want: boolean } | false {
  const q = t / scale
  const floor = BigInt(Math.floor(q))
  const ceil = BigInt(Math.ceil(q))
  const integral = Number.isInteger(q) && q * scale === t
  switch (op) {
    case 'gt': return { cmp: 'gt', k: floor, want: true }
    case 'le': return { cmp: 'gt', k: floor, want: false }
    case 'ge': return { cmp: 'ge', k: ceil, want: true }
    case 'lt': return { cmp: 'ge', k: ceil, want: false }
    case 'eq': return integral ? { cmp: 'eq', k: BigInt(q), want: true } : false
    case 'ne': return integral ? { cmp: 'eq', k: BigInt(q), want: false } : { cmp: 'any', k: 0n, want: true }
  }
}

function le32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n >>> 0, true)
  return b
}

/** Does `bytes` have a set bit in [from, to) (bits past its end read as 0)? */
function hasBitsBeyond(bytes: Uint8Array, from: number, to: number): boolean {
  for (let bit = from; bit < to; bit++) if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) return true
  return false
}

/** Word tests for "the first `bits` bits at `base` equal those of `bytes`" (missing bytes read as 0). */
function prefixTests(base: number, bytes: Uint8Array, bits: number): WordTest[] {
  const out: WordTest[] = []
  for (let i = 0; i * 32 < bits; i++) {
    const n = Math.min(32, bits - i * 32)
    const w = (((bytes[4 * i] ?? 0) << 24) | ((bytes[4 * i + 1] ?? 0) << 16) | ((bytes[4 * i + 2] ?? 0) << 8) | (bytes[4 * i + 3] ?? 0)) >>> 0
    const mask = n === 32 ? 0xffffffff : (0xffffffff << (32 - n)) >>> 0
    // The narrowest load that covers the prefix bits: a /8 is one `ldb`, a /16 one `ldh`.
    const width = n <= 8 ? 1 : n <= 16 ? 2 : 4
    const shift = 32 - 8 * width
    out.push({ width, off: base + 4 * i, mask: mask >>> shift, cmp: 'eq', value: (w & mask) >>> shift, want: true })
  }
  return out
}

// ---------------------------------------------------------------- code generation

/** The operands in the order to test them: as written, unless the right one is at least 3 times cheaper. */
function cheaperFirst(left: Cond, right: Cond): [Cond, Cond] {
  return 3 * cost(right) <= cost(left) ? [right, left] : [left, right]
}

/** Rough instruction count of a condition, to order commutative operands. */
function cost(c: Cond): number {
  switch (c.kind) {
    case 'const': return 0
    case 'and': case 'or': return cost(c.left) + cost(c.right)
    case 'not': return cost(c.operand)
    case 'test': {
      const t = c.test
      if (t.metric) return t.metric.size === 8 ? 40 : 24
      if (t.attr) return 6 + 3 * t.attr.tests.length
      return 2 * t.all.length + 2 * (t.any ?? []).reduce((n, alt) => n + alt.length, 0)
    }
  }
}

/** Short-circuit code: every path ends in `ret #KEEP` or `ret #DROP`. */
function generate(root: Cond, opts: CbpfLowerOptions): CbpfInsn[] {
  if (root.kind === 'const') return [{ op: 'RET_K', k: root.value ? KEEP : DROP }]
  const ir: CbpfInsn[] = []
  let nextId = 0
  const label = (): CbpfLabel => ({ id: nextId++ })
  // What A holds here ('' when unknown), so a test of the word just
  // loaded does not load it again. A label's state is what every edge into
  // it agrees on: jumps only go forward, so all of them are emitted before
  // the label is placed. `fall` is the state falling into the next
  // instruction, undefined when nothing falls through (after ja or ret).
  let holds = ''
  let fall: string | undefined = ''
  const into = new Map<CbpfLabel, string>()
  const reach = (t: CbpfTarget): void => {
    if (t === 'next') return
    const seen = into.get(t)
    into.set(t, seen === undefined || seen === holds ? holds : '')
  }
  const place = (l: CbpfLabel): void => {
    ir.push({ op: 'label', label: l })
    const edges = into.get(l)
    holds = fall === undefined ? edges ?? '' : edges === undefined || edges === fall ? fall : ''
    fall = holds
  }
  const push = (insn: Exclude<CbpfInsn, { op: 'label' }>): void => {
    ir.push(insn)
    if (insn.op === 'JMP_JA') {
      reach(insn.to)
      fall = undefined
    } else if ('jt' in insn) {
      reach(insn.jt)
      reach(insn.jf)
      fall = insn.jt === 'next' || insn.jf === 'next' ? holds : undefined
    } else {
      fall = insn.op === 'RET_K' || insn.op === 'RET_A' ? undefined : holds
    }
  }

  const emitWord = (t: WordTest, yes: CbpfTarget, no: CbpfTarget, span: Span): void => {
    // Indirect loads are relative to X, which each attribute lookup sets anew.
    const where = t.mode === 'ind' ? `x${xSeq}+` : ''
    const raw = `${where}${t.width}:${t.off}&${ones(t.width)}`
    const key = `${where}${t.width}:${t.off}&${t.mask}`
    if (holds !== key) {
      const load = t.mode === 'ind'
        ? (t.width === 4 ? 'LD_W_IND' : t.width === 2 ? 'LD_H_IND' : 'LD_B_IND')
        : (t.width === 4 ? 'LD_W_ABS' : t.width === 2 ? 'LD_H_ABS' : 'LD_B_ABS')
      if (holds !== raw) push({ op: load, k: t.off, span })
      if (t.mask !== ones(t.width)) push({ op: 'ALU_AND_K', k: t.mask, span })
      holds = key
      fall = holds
    }
    const op = t.cmp === 'eq' ? 'JMP_JEQ_K' : t.cmp === 'ge' ? 'JMP_JGE_K' : 'JMP_JGT_K'
    push({ op, k: t.value, jt: t.want ? yes : no, jf: t.want ? no : yes, span })
  }

  /** AND of word tests; an empty list jumps straight to `yes`. */
  const emitAll = (tests: readonly WordTest[], yes: CbpfLabel, no: CbpfLabel, span: Span): void => {
    if (tests.length === 0) {
      push({ op: 'JMP_JA', to: yes, span })
      return
    }
    tests.forEach((t, i) => emitWord(t, i === tests.length - 1 ? yes : 'next', no, span))
  }

  let xSeq = 0
  const emitAttr = (attr: AttrTest, yes: CbpfLabel, no: CbpfLabel, span: Span): void => {
    // X = type, A = where the search starts; `ld [nla]` leaves the attribute's offset (0: none) in A.
    push({ op: 'LDX_IMM', k: attr.type, span })
    push({ op: 'LD_IMM', k: DESTROY_MSG.attrs, span })
    push({ op: 'LD_W_ABS', k: ancillaryK('nla'), span })
    holds = ''
    push({ op: 'JMP_JEQ_K', k: 0, jt: attr.absent ? yes : no, jf: 'next', span })
    push({ op: 'MISC_TAX', k: 0, span })
    xSeq++
    emitAll(attr.tests, yes, no, span)
  }

  /** A = the host-order u32 at `off` (X-relative when `ind`); uses M[0..2] and X. */
  const loadHostWord = (ind: boolean, off: number, span: Span): void => {
    const ld = (k: number): void => push(ind ? { op: 'LD_B_IND', k, span } : { op: 'LD_B_ABS', k, span })
    if (!(opts.littleEndian ?? HOST_LITTLE_ENDIAN)) {
      push(ind ? { op: 'LD_W_IND', k: off, span } : { op: 'LD_W_ABS', k: off, span })
      return
    }
    // Classic BPF has no byte swap: assemble the value from its bytes, most significant (last) first.
    for (let i = 3; i >= 1; i--) {
      ld(off + i)
      push({ op: 'ALU_LSH_K', k: 8 * i, span })
      push({ op: 'ST', k: 3 - i, span })
    }
    ld(off)
    for (let m = 0; m < 3; m++) {
      push({ op: 'LDX_MEM', k: m, span })
      push({ op: 'ALU_OR_X', k: 0, span })
    }
  }

  const emitMetric = (m: MetricTest, yes: CbpfLabel, no: CbpfLabel, span: Span): void => {
    push({ op: 'LDX_IMM', k: m.attr, span })
    push({ op: 'LD_IMM', k: DESTROY_MSG.attrs, span })
    push({ op: 'LD_W_ABS', k: ancillaryK('nla'), span })
    holds = ''
    // No attribute: no value, so the predicate is false whatever the operator.
    push({ op: 'JMP_JEQ_K', k: 0, jt: no, jf: 'next', span })
    push({ op: 'MISC_TAX', k: 0, span })
    xSeq++
    if (m.minLen > 0) {
      // nla_len (host-order u16 at X) >= minLen: high byte first.
      const long = label()
      const hi = m.minLen >> 8
      push({ op: 'LD_B_IND', k: 1, span })
      push({ op: 'JMP_JGT_K', k: hi, jt: long, jf: 'next', span })
      push({ op: 'JMP_JEQ_K', k: hi, jt: 'next', jf: no, span })
      push({ op: 'LD_B_IND', k: 0, span })
      push({ op: 'JMP_JGE_K', k: m.minLen & 0xff, jt: long, jf: no, span })
      place(long)
    }
    const [pass, fail] = m.want ? [yes, no] : [no, yes]
    if (m.cmp === 'any') {
      push({ op: 'JMP_JA', to: yes, span })
      holds = ''
      return
    }
    const op = m.cmp === 'gt' ? 'JMP_JGT_K' : m.cmp === 'ge' ? 'JMP_JGE_K' : 'JMP_JEQ_K'
    if (m.size === 4) {
      loadHostWord(m.ind, m.off, span)
      push({ op, k: Number(m.k), jt: pass, jf: fail, span })
    } else {
      // u64, little-endian: the high word decides unless it equals the constant's.
      const khi = Number(m.k >> 32n)
      const klo = Number(m.k & 0xffffffffn)
      push({ op: 'STX', k: 3, span })
      loadHostWord(true, m.off + 4, span)
      if (m.cmp === 'eq') push({ op: 'JMP_JEQ_K', k: khi, jt: 'next', jf: fail, span })
      else {
        push({ op: 'JMP_JGT_K', k: khi, jt: pass, jf: 'next', span })
        push({ op: 'JMP_JEQ_K', k: khi, jt: 'next', jf: fail, span })
      }
      push({ op: 'LDX_MEM', k: 3, span })
      loadHostWord(true, m.off, span)
      push({ op, k: klo, jt: pass, jf: fail, span })
    }
    holds = ''
  }

  const emitTest = (test: Test, yes: CbpfLabel, no: CbpfLabel, span: Span): void => {
    if (test.metric) return emitMetric(test.metric, yes, no, span)
    if (test.attr) return emitAttr(test.attr, yes, no, span)
    if (test.any === null) return emitAll(test.all, yes, no, span)
    if (test.all.length > 0) test.all.forEach((t) => emitWord(t, 'next', no, span))
    test.any.forEach((alt, i) => {
      const last = i === test.any!.length - 1
      const orElse = last ? no : label()
      emitAll(alt, yes, orElse, span)
      if (!last) place(orElse)
    })
  }

  const gen = (c: Cond, yes: CbpfLabel, no: CbpfLabel): void => {
    switch (c.kind) {
      case 'const':
        // Folding leaves constants only at the root.
        push({ op: 'JMP_JA', to: c.value ? yes : no })
        return
      case 'and': {
        // Tests have no side effects: run a much cheaper operand first, so most events are decided early.
        const [first, second] = cheaperFirst(c.left, c.right)
        const mid = label()
        gen(first, mid, no)
        place(mid)
        gen(second, yes, no)
        return
      }
      case 'or': {
        const [first, second] = cheaperFirst(c.left, c.right)
        const mid = label()
        gen(first, yes, mid)
        place(mid)
        gen(second, yes, no)
        return
      }
      case 'not':
        gen(c.operand, no, yes)
        return
      case 'test':
        emitTest(c.test, yes, no, c.span)
        return
    }
  }

  const keep = label()
  const drop = label()
  gen(root, keep, drop)
  place(keep)
  push({ op: 'RET_K', k: KEEP })
  place(drop)
  push({ op: 'RET_K', k: DROP })
  return ir
}
