/**
 * The audit port: what the kernel's `inet_diag_bc_audit()` (with
 * `valid_cc()` and the per-op `valid_*cond()` helpers, net/ipv4/inet_diag.c)
 * decides about a program before it runs it. Every program we send passes
 * through here first, so a bad program is reported with an offset and a
 * reason in words instead of a bare EINVAL from the dump.
 *
 * The walk mirrors the kernel's, step for step, including its order of
 * checks (MARK_COND's EPERM comes before any length test; `no` is checked
 * before `yes`; NOP's `no` is never looked at), so the first problem
 * reported is the one the kernel would trip over.
 */
import { INET_DIAG_BC_MAX_LEN, inet_diag_bc_op, inet_diag_hostcond } from '../uapi/inet-diag.js'
import { OPCODES, OPCODE_BY_CODE, hostcondAddrLen } from '../uapi/inet-diag-bc.js'
import type { OpcodeInfo } from '../uapi/inet-diag-bc.js'

/** Who is asking, and what the kernel was built with. */
export interface AuditOptions {
  /** The sender has CAP_NET_ADMIN in the socket's network namespace (MARK_COND needs it). */
  readonly netAdmin: boolean
  /** CONFIG_SOCK_CGROUP_DATA: without it CGROUP_COND is an unknown opcode. Default true. */
  readonly cgroup?: boolean
}

/** A rejection: the errno the kernel would answer, where, and why in plain words. */
export interface AuditFailure {
  readonly ok: false
  readonly errno: 'EINVAL' | 'EPERM'
  /** Byte offset of the op the kernel was looking at (0 for whole-program problems). */
  readonly offset: number
  readonly reason: string
}

/** The audit's verdict. */
export type AuditResult = { readonly ok: true } | AuditFailure

const OP_SIZE = inet_diag_bc_op.size
const HOSTCOND_SIZE = inet_diag_hostcond.size
const AF_NAME: Readonly<Record<number, string>> = { 0: 'AF_UNSPEC', 2: 'AF_INET', 10: 'AF_INET6' }

/**
 * Audit `bytes` the way the kernel does for a dump request. Returns `ok`
 * exactly when the kernel would accept the program.
 */
export function audit(bytes: Uint8Array, opts: AuditOptions): AuditResult {
  const L = bytes.length
  const fail = (errno: AuditFailure['errno'], offset: number, reason: string): AuditFailure => ({ ok: false, errno, offset, reason })
  // The kernel never sees more: nla_len is a u16 covering the 4-byte attribute header too.
  if (L > INET_DIAG_BC_MAX_LEN) return fail('EINVAL', 0, `the program is ${L} bytes; a netlink attribute carries at most ${INET_DIAG_BC_MAX_LEN}`)
  if (L < OP_SIZE) return fail('EINVAL', 0, `the program is ${L} bytes, shorter than one ${OP_SIZE}-byte op`)

  const view = new DataView(bytes.buffer, bytes.byteOffset, L)
  const cgroup = opts.cgroup ?? true
  let pos = 0
  let rem = L
  let last = 0
  while (rem > 0) {
    last = pos
    const code = view.getUint8(pos)
    const info: OpcodeInfo | undefined = code === OPCODES.CGROUP_COND.code && !cgroup ? undefined : OPCODE_BY_CODE[code]
    const where = `${info?.name ?? `opcode ${code}`} at ${pos}`
    if (info === undefined) {
      const why = code === OPCODES.CGROUP_COND.code ? ' (this kernel has no CONFIG_SOCK_CGROUP_DATA)' : ''
      return fail('EINVAL', pos, `${where}: unknown opcode${why}`)
    }
    if (info.name === 'MARK_COND' && !opts.netAdmin) {
      return fail('EPERM', pos, `${where}: matching on the socket mark needs CAP_NET_ADMIN`)
    }
    // The kernel reads the header unchecked when fewer than 4 bytes remain;
    // whatever it finds there, the final `rem == 0` test cannot pass (every
    // step is a multiple of 4 and rem is not), so this is EINVAL either way.
    if (rem < OP_SIZE) return fail('EINVAL', pos, `${where}: only ${rem} bytes left, an op header needs ${OP_SIZE}`)
    const { yes, no } = inet_diag_bc_op.decode(view, pos)

    // min_len: header + operand, as valid_hostcond/valid_devcond/valid_port_comparison/valid_markcond compute it.
    let minLen = OP_SIZE
    if (info.operand === 'hostcond') {
      minLen += HOSTCOND_SIZE
      if (rem < minLen) return fail('EINVAL', pos, `${where}: truncated: a host condition needs ${minLen} bytes, ${rem} left`)
      const hc = inet_diag_hostcond.decode(view, pos + OP_SIZE)
      const alen = hostcondAddrLen(hc.family)
      if (alen === undefined) return fail('EINVAL', pos, `${where}: address family ${hc.family} is not AF_UNSPEC (0), AF_INET (2) or AF_INET6 (10)`)
      minLen += alen
      if (rem < minLen) return fail('EINVAL', pos, `${where}: truncated: an ${AF_NAME[hc.family]} host condition needs ${minLen} bytes, ${rem} left`)
      if (hc.prefix_len > 8 * alen) {
        const what = alen === 0 ? 'an AF_UNSPEC condition has no address, so it must be 0' : `is longer than the ${AF_NAME[hc.family]} address`
        return fail('EINVAL', pos, `${where}: prefix length ${hc.prefix_len} ${what}`)
      }
    } else if (info.operand !== 'none') {
      minLen += info.operandLen
      if (rem < minLen) return fail('EINVAL', pos, `${where}: truncated: needs ${minLen} bytes, ${rem} left`)
    }

    // NOP is the one op whose `no` the kernel never checks (nor uses).
    if (info.name !== 'NOP') {
      if (no < minLen) return fail('EINVAL', pos, `${where}: no=${no} is shorter than the op itself (${minLen} bytes)`)
      if (no > rem + 4) return fail('EINVAL', pos, `${where}: no=${no} jumps past the reject point (at most ${rem + 4})`)
      if (no % 4 !== 0) return fail('EINVAL', pos, `${where}: no=${no} is not a multiple of 4`)
      if (no < rem && !validCc(view, L, rem - no)) {
        return fail('EINVAL', pos, `${where}: no=${no} lands at ${pos + no}, which is not the start of an op on the yes-chain`)
      }
    }
    if (yes < minLen) return fail('EINVAL', pos, `${where}: yes=${yes} is shorter than the op itself (${minLen} bytes)`)
    if (yes > rem + 4) return fail('EINVAL', pos, `${where}: yes=${yes} jumps past the reject point (at most ${rem + 4})`)
    if (yes % 4 !== 0) return fail('EINVAL', pos, `${where}: yes=${yes} is not a multiple of 4`)
    pos += yes
    rem -= yes
  }
  // A yes edge may not leave the program: landing at end + 4 (or, for a
  // length that is not a multiple of 4, anywhere past the end) is refused.
  if (rem !== 0) return fail('EINVAL', last, `the yes-chain ends at ${pos}, past the end of the ${L}-byte program; a yes edge cannot reject`)
  return { ok: true }
}

/**
 * `valid_cc`: is the point `target` bytes before the end an op boundary on
 * the chain of yes-steps from offset 0?
 */
function validCc(view: DataView, L: number, target: number): boolean {
  let pos = 0
  let rem = L
  while (rem >= 0) {
    if (target > rem) return false
    if (target === rem) return true
    // rem > target > 0 here, so the yes byte at pos + 1 is inside the program.
    const yes = view.getUint8(pos + 1)
    if (yes < 4 || yes % 4 !== 0) return false
    pos += yes
    rem -= yes
  }
  return false
}
