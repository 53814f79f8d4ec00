/**
 * The inet_diag bytecode opcode table (`enum { INET_DIAG_BC_NOP, ... }` in
 * `include/uapi/linux/inet_diag.h`; semantics from `inet_diag_bc_run()` and
 * `inet_diag_bc_audit()` in `net/ipv4/inet_diag.c`).
 *
 * Never renumbered. The assembler, disassembler, audit port and interpreter
 * port all read this one table.
 */

/** How the bytes after the 4-byte op header are laid out. */
export type OperandKind =
  | 'none' //      no operand
  | 'port' //      a second inet_diag_bc_op whose `no` (bytes 6–7, host order) is the port
  | 'hostcond' //  inet_diag_hostcond (8 bytes) + 0/4/16 address bytes by family
  | 'ifindex' //   u32 host order
  | 'markcond' //  inet_diag_markcond: u32 mark, u32 mask
  | 'cgroup' //    u64 host order, unaligned

/** One opcode. */
export interface OpcodeInfo {
  readonly name: OpName
  readonly code: number
  readonly operand: OperandKind
  /** Bytes after the header, for fixed-size operands (hostcond depends on family). */
  readonly operandLen: number
  /** First mainline kernel that accepts it (approximate where the spec says so). */
  readonly since: string
  /** What the kernel computes, as pseudo-code: `cond` decides between `yes` and `no`. */
  readonly meaning: string
}

/** Opcode names as the kernel spells them, without the `INET_DIAG_BC_` prefix. */
export type OpName =
  | 'NOP' | 'JMP' | 'S_GE' | 'S_LE' | 'D_GE' | 'D_LE' | 'AUTO' | 'S_COND' | 'D_COND'
  | 'DEV_COND' | 'MARK_COND' | 'S_EQ' | 'D_EQ' | 'CGROUP_COND'

/** The table, indexed by name. */
export const OPCODES: { readonly [N in OpName]: OpcodeInfo & { readonly name: N } } = {
  NOP: { name: 'NOP', code: 0, operand: 'none', operandLen: 0, since: '2.6.14', meaning: 'cond = true' },
  JMP: { name: 'JMP', code: 1, operand: 'none', operandLen: 0, since: '2.6.14', meaning: 'cond = false  (always take no)' },
  S_GE: { name: 'S_GE', code: 2, operand: 'port', operandLen: 4, since: '2.6.14', meaning: 'cond = sk.sport >= op[1].no' },
  S_LE: { name: 'S_LE', code: 3, operand: 'port', operandLen: 4, since: '2.6.14', meaning: 'cond = sk.sport <= op[1].no' },
  D_GE: { name: 'D_GE', code: 4, operand: 'port', operandLen: 4, since: '2.6.14', meaning: 'cond = sk.dport >= op[1].no' },
  D_LE: { name: 'D_LE', code: 5, operand: 'port', operandLen: 4, since: '2.6.14', meaning: 'cond = sk.dport <= op[1].no' },
  AUTO: { name: 'AUTO', code: 6, operand: 'none', operandLen: 0, since: '2.6.14', meaning: 'cond = !(sk.userlocks & SOCK_BINDPORT_LOCK)' },
  S_COND: { name: 'S_COND', code: 7, operand: 'hostcond', operandLen: 8, since: '2.6.14', meaning: 'cond = hostcond_match(hc, sk.saddr, sk.sport)' },
  D_COND: { name: 'D_COND', code: 8, operand: 'hostcond', operandLen: 8, since: '2.6.14', meaning: 'cond = hostcond_match(hc, sk.daddr, sk.dport)' },
  DEV_COND: { name: 'DEV_COND', code: 9, operand: 'ifindex', operandLen: 4, since: '4.9', meaning: 'cond = sk.ifindex == ifindex' },
  MARK_COND: { name: 'MARK_COND', code: 10, operand: 'markcond', operandLen: 8, since: '4.9', meaning: 'cond = (sk.mark & mask) == mark   (EPERM without CAP_NET_ADMIN)' },
  S_EQ: { name: 'S_EQ', code: 11, operand: 'port', operandLen: 4, since: '4.16', meaning: 'cond = sk.sport == op[1].no' },
  D_EQ: { name: 'D_EQ', code: 12, operand: 'port', operandLen: 4, since: '4.16', meaning: 'cond = sk.dport == op[1].no' },
  CGROUP_COND: { name: 'CGROUP_COND', code: 13, operand: 'cgroup', operandLen: 8, since: '5.9', meaning: 'cond = sk.cgroup_id == id' },
}

/** The table indexed by code; `undefined` for codes the kernel rejects. */
export const OPCODE_BY_CODE: readonly (OpcodeInfo | undefined)[] = (() => {
  const t: (OpcodeInfo | undefined)[] = []
  for (const op of Object.values(OPCODES)) t[op.code] = op
  return t
})()

/** Address length of a hostcond by family: AF_UNSPEC 0, AF_INET 4, AF_INET6 16; undefined = invalid. */
export function hostcondAddrLen(family: number): number | undefined {
  return family === 0 ? 0 : family === 2 ? 4 : family === 10 ? 16 : undefined
}
