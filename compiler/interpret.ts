/**
 * The kernel-interpreter port: `inet_diag_bc_run()` (net/ipv4/inet_diag.c)
 * in TypeScript, fed the same per-socket "entry" the kernel builds
 * (kernel-sock-diag §1.5–1.7). It is the test oracle for the compiler and
 * the engine behind `explain --trace`.
 *
 * Like the kernel, it trusts the program: run it only on bytes that passed
 * {@link audit} (compiler/audit.ts). On anything else it may answer
 * nonsense; it never reads outside `bytes` (all reads go through a
 * DataView, and an out-of-range read or a step that does not move forward
 * raises {@link UnauditedBytecodeError} instead of looping or reading junk).
 */
import { SOCK_BINDPORT_LOCK, inet_diag_bc_op, inet_diag_hostcond, inet_diag_markcond } from '../uapi/inet-diag.js'
import { OPCODES, OPCODE_BY_CODE } from '../uapi/inet-diag-bc.js'
import type { OpName } from '../uapi/inet-diag-bc.js'
import type { FilterSocket } from './socket.js'

/** One executed op. */
export interface Step {
  /** Byte offset of the op. */
  readonly offset: number
  /** Opcode name, or `unknown` for a code the kernel does not know (treated as true, as the kernel does). */
  readonly op: OpName | 'unknown'
  /** The condition's value: NOP true, JMP false. */
  readonly cond: boolean
  /** The edge taken. */
  readonly taken: 'yes' | 'no'
  /** Absolute offset landed on (`length` = accept, `length + 4` = reject). */
  readonly to: number
}

/** The verdict: `rem` is what is left of the program length after the last step. */
export interface InterpretResult {
  readonly accept: boolean
  readonly rem: 0 | -4
  readonly trace: readonly Step[]
}

/** Options of {@link interpret}. */
export interface InterpretOptions {
  /** Record the steps (default true); off for bulk evaluation. */
  readonly trace?: boolean
}

/** The program did something the audit would have refused (a read past its end, a step that does not move forward). */
export class UnauditedBytecodeError extends Error {
  override readonly name = 'UnauditedBytecodeError'
  readonly code = 'E_UNAUDITED'
  constructor(
    /** Offset of the op being executed. */
    readonly offset: number,
    message: string,
  ) {
    super(message)
  }
}

const AF_INET = 2
const AF_INET6 = 10
const OP_SIZE = inet_diag_bc_op.size
const HC = inet_diag_hostcond.offsetOf
const HC_ADDR = OP_SIZE + inet_diag_hostcond.size
const MC = inet_diag_markcond.offsetOf
/** Where the port of a port comparison lives: the `no` field of the follow-on op (`op[1].no`). */
const PORT_AT = OP_SIZE + inet_diag_bc_op.offsetOf.no
const NO_AT = inet_diag_bc_op.offsetOf.no
const YES_AT = inet_diag_bc_op.offsetOf.yes
const C = {
  NOP: OPCODES.NOP.code, JMP: OPCODES.JMP.code,
  S_GE: OPCODES.S_GE.code, S_LE: OPCODES.S_LE.code, D_GE: OPCODES.D_GE.code, D_LE: OPCODES.D_LE.code,
  S_EQ: OPCODES.S_EQ.code, D_EQ: OPCODES.D_EQ.code, AUTO: OPCODES.AUTO.code,
  S_COND: OPCODES.S_COND.code, D_COND: OPCODES.D_COND.code,
  DEV_COND: OPCODES.DEV_COND.code, MARK_COND: OPCODES.MARK_COND.code, CGROUP_COND: OPCODES.CGROUP_COND.code,
} as const

/** The kernel's `struct inet_diag_entry`, built from a {@link FilterSocket}. */
interface Entry {
  readonly family: number
  /** 16 bytes; v4 addresses in the first 4 (only those are read for AF_INET sockets). */
  readonly saddr: DataView
  readonly daddr: DataView
  readonly sport: number
  readonly dport: number
  readonly ifindex: number
  readonly userlocks: number
  readonly mark: number
  readonly cgroupId: bigint
}

function addrView(a: Uint8Array | undefined): DataView {
  // Padded to 16 bytes so an inconsistent socket (v4 family, short address) cannot read past it.
  const b = new Uint8Array(16)
  if (a) b.set(a.subarray(0, 16))
  return new DataView(b.buffer)
}

/**
 * The entry the kernel fills in (`inet_diag_bc_sk`): ports are u16 in host
 * order; absent fields are 0, as for TIME-WAIT and request sockets.
 */
function entryOf(sock: FilterSocket): Entry {
  return {
    family: sock.family,
    saddr: addrView(sock.localAddr),
    daddr: addrView(sock.remoteAddr),
    sport: sock.localPort & 0xffff,
    dport: sock.remotePort & 0xffff,
    ifindex: (sock.ifindex ?? 0) >>> 0,
    userlocks: sock.userlocks ?? 0,
    mark: (sock.mark ?? 0) >>> 0,
    cgroupId: BigInt.asUintN(64, sock.cgroupId ?? 0n),
  }
}

/**
 * `bitstring_match`: the first `bits` bits of `a` (at `ao`) and `b` (at
 * `bo`) agree. Whole 32-bit words first, then the leading bits of the next
 * word under a mask (network order, so the mask covers its first bytes).
 */
function bitstringMatch(a: DataView, ao: number, b: DataView, bo: number, bits: number): boolean {
  const words = bits >>> 5
  for (let i = 0; i < words; i++) {
    if (a.getUint32(ao + 4 * i) !== b.getUint32(bo + 4 * i)) return false
  }
  const rest = bits & 31
  if (rest === 0) return true
  const mask = (0xffffffff << (32 - rest)) >>> 0
  return ((a.getUint32(ao + 4 * words) ^ b.getUint32(bo + 4 * words)) & mask) === 0
}

/** A v6 address of the form ::ffff:a.b.c.d. */
function isV4Mapped(a: DataView): boolean {
  return a.getUint32(0) === 0 && a.getUint32(4) === 0 && a.getUint32(8) === 0x0000ffff
}

/** The S_COND/D_COND test, in the kernel's order: port, family (with the v4-mapped rule), prefix. */
function hostcond(view: DataView, pos: number, e: Entry, src: boolean): boolean {
  const port = view.getInt32(pos + OP_SIZE + HC.port, true)
  if (port !== -1 && port !== (src ? e.sport : e.dport)) return false
  const addr = src ? e.saddr : e.daddr
  const family = view.getUint8(pos + OP_SIZE + HC.family)
  const prefixLen = view.getUint8(pos + OP_SIZE + HC.prefix_len)
  if (family !== 0 && family !== e.family) {
    // Only this direction: a v4 condition may match a v4-mapped v6 socket, never the reverse.
    return e.family === AF_INET6 && family === AF_INET && isV4Mapped(addr) && bitstringMatch(addr, 12, view, pos + HC_ADDR, prefixLen)
  }
  if (prefixLen === 0) return true
  return bitstringMatch(addr, 0, view, pos + HC_ADDR, prefixLen)
}

function condition(code: number, view: DataView, pos: number, e: Entry): boolean {
  switch (code) {
    case C.NOP: return true
    case C.JMP: return false
    case C.S_EQ: return e.sport === view.getUint16(pos + PORT_AT, true)
    case C.S_GE: return e.sport >= view.getUint16(pos + PORT_AT, true)
    case C.S_LE: return e.sport <= view.getUint16(pos + PORT_AT, true)
    case C.D_EQ: return e.dport === view.getUint16(pos + PORT_AT, true)
    case C.D_GE: return e.dport >= view.getUint16(pos + PORT_AT, true)
    case C.D_LE: return e.dport <= view.getUint16(pos + PORT_AT, true)
    case C.AUTO: return (e.userlocks & SOCK_BINDPORT_LOCK) === 0
    case C.S_COND: return hostcond(view, pos, e, true)
    case C.D_COND: return hostcond(view, pos, e, false)
    case C.DEV_COND: return view.getUint32(pos + OP_SIZE, true) === e.ifindex
    case C.MARK_COND:
      return ((e.mark & view.getUint32(pos + OP_SIZE + MC.mask, true)) >>> 0) === view.getUint32(pos + OP_SIZE + MC.mark, true)
    // Read unaligned, as the kernel's get_unaligned() does.
    case C.CGROUP_COND: return view.getBigUint64(pos + OP_SIZE, true) === e.cgroupId
    // The kernel's switch has no default: an unknown code leaves cond true.
    default: return true
  }
}

/**
 * Run `bytes` against one socket as the kernel would. The program must have
 * passed the audit (see the module comment).
 */
export function interpret(bytes: Uint8Array, sock: FilterSocket, opts: InterpretOptions = {}): InterpretResult {
  const L = bytes.length
  const view = new DataView(bytes.buffer, bytes.byteOffset, L)
  const e = entryOf(sock)
  const record = opts.trace ?? true
  const trace: Step[] = []
  let pos = 0
  let rem = L
  while (rem > 0) {
    let step: number
    let cond: boolean
    let code: number
    try {
      code = view.getUint8(pos)
      cond = condition(code, view, pos, e)
      step = cond ? view.getUint8(pos + YES_AT) : view.getUint16(pos + NO_AT, true)
    } catch (err) {
      if (err instanceof RangeError) throw new UnauditedBytecodeError(pos, `op at ${pos} reads past the end of the ${L}-byte program; run the audit first`)
      throw err
    }
    if (step === 0) throw new UnauditedBytecodeError(pos, `op at ${pos} does not move forward; run the audit first`)
    pos += step
    rem -= step
    if (record) trace.push({ offset: pos - step, op: OPCODE_BY_CODE[code]?.name ?? 'unknown', cond, taken: cond ? 'yes' : 'no', to: pos })
  }
  if (rem !== 0 && rem !== -4) throw new UnauditedBytecodeError(pos, `the program ends ${-rem} bytes past its end, neither accept nor reject; run the audit first`)
  return { accept: rem === 0, rem, trace }
}
