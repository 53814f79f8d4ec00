/**
 * Classic BPF as data (`include/uapi/linux/filter.h`, `bpf_common.h`; the
 * set of accepted codes is the one `bpf_check_classic()` /
 * `chk_code_allowed()` in `net/core/filter.c` lets through).
 *
 * An instruction is `struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; }`
 * in host byte order. The opcode table below lists every code the kernel
 * accepts from user space, each with its `tcpdump -d` mnemonic, how its
 * operand is printed and what it computes. The encoder, the disassembler,
 * the checker port and the interpreter port all read this one table; a code
 * that is not in it is refused with EINVAL at attach time.
 */
import { defineStruct } from './struct.js'

/** `struct sock_filter` (8 bytes, every field host order). */
export const sock_filter = defineStruct('sock_filter', 8, [
  { name: 'code', kind: 'u16' },
  { name: 'jt', kind: 'u8' },
  { name: 'jf', kind: 'u8' },
  { name: 'k', kind: 'u32' },
] as const)

/** Instruction classes: `BPF_CLASS(code) = code & 0x07`. */
export const BPF_CLASS = {
  BPF_LD: 0x00, //   A = load
  BPF_LDX: 0x01, //  X = load
  BPF_ST: 0x02, //   M[k] = A
  BPF_STX: 0x03, //  M[k] = X
  BPF_ALU: 0x04, //  A = A op operand
  BPF_JMP: 0x05, //  conditional / unconditional forward jumps
  BPF_RET: 0x06, //  return a value (0 drops the message)
  BPF_MISC: 0x07, // register transfers
} as const

/** Load sizes: `BPF_SIZE(code) = code & 0x18`. */
export const BPF_SIZE = { BPF_W: 0x00, BPF_H: 0x08, BPF_B: 0x10 } as const

/** Load modes: `BPF_MODE(code) = code & 0xe0`. */
export const BPF_MODE = {
  BPF_IMM: 0x00, // the constant k
  BPF_ABS: 0x20, // the message at offset k (network byte order)
  BPF_IND: 0x40, // the message at offset X + k
  BPF_MEM: 0x60, // scratch word M[k]
  BPF_LEN: 0x80, // the message length
  BPF_MSH: 0xa0, // 4 * (byte at k & 0xf): the IPv4 header length idiom
} as const

/** ALU and jump operations: `BPF_OP(code) = code & 0xf0`. */
export const BPF_OP = {
  BPF_ADD: 0x00, BPF_SUB: 0x10, BPF_MUL: 0x20, BPF_DIV: 0x30, BPF_OR: 0x40, BPF_AND: 0x50,
  BPF_LSH: 0x60, BPF_RSH: 0x70, BPF_NEG: 0x80, BPF_MOD: 0x90, BPF_XOR: 0xa0,
  BPF_JA: 0x00, BPF_JEQ: 0x10, BPF_JGT: 0x20, BPF_JGE: 0x30, BPF_JSET: 0x40,
} as const

/** Operand source: `BPF_SRC(code) = code & 0x08`. */
export const BPF_SRC = { BPF_K: 0x00, BPF_X: 0x08 } as const

/** Return value source: `BPF_RVAL(code) = code & 0x18`. */
export const BPF_RVAL = { BPF_K: 0x00, BPF_A: 0x10 } as const

/** `BPF_MISCOP(code) = code & 0xf8`. */
export const BPF_MISCOP = { BPF_TAX: 0x00, BPF_TXA: 0x80 } as const

/** Most instructions a classic program may have (`BPF_MAXINSNS`). */
export const BPF_MAXINSNS = 4096

/** Scratch memory words `M[0..15]` (`BPF_MEMWORDS`). */
export const BPF_MEMWORDS = 16

/** `SOL_SOCKET` options for classic filters (`asm-generic/socket.h`). */
export const SO_FILTER = { SO_ATTACH_FILTER: 26, SO_DETACH_FILTER: 27, SO_LOCK_FILTER: 44 } as const

/**
 * Ancillary loads: `ld [SKF_AD_OFF + n]` reads packet metadata instead of
 * packet bytes (`SKF_AD_*`). Offsets at or above `SKF_AD_OFF` that are not
 * listed here are refused by the kernel.
 */
export const SKF_AD_OFF = 0xfffff000 // -0x1000 as the u32 k holds it

/** The ancillary offsets (relative to {@link SKF_AD_OFF}), their tcpdump names and meaning. */
export const SKF_AD: readonly { readonly off: number; readonly name: string; readonly meaning: string }[] = [
  { off: 0, name: 'proto', meaning: 'A = ntohs(skb->protocol)' },
  { off: 4, name: 'type', meaning: 'A = skb->pkt_type' },
  { off: 8, name: 'ifidx', meaning: 'A = skb->dev->ifindex (no device: return 0)' },
  { off: 12, name: 'nla', meaning: 'A = offset of the netlink attribute of type X found from offset A, or 0' },
  { off: 16, name: 'nlan', meaning: 'A = offset of the attribute of type X nested in the attribute at offset A, or 0' },
  { off: 20, name: 'mark', meaning: 'A = skb->mark' },
  { off: 24, name: 'queue', meaning: 'A = skb->queue_mapping' },
  { off: 28, name: 'hatype', meaning: 'A = skb->dev->type (no device: return 0)' },
  { off: 32, name: 'rxhash', meaning: 'A = skb->hash' },
  { off: 36, name: 'cpu', meaning: 'A = the current CPU id' },
  { off: 40, name: 'xor_x', meaning: 'A = A ^ X' },
  { off: 44, name: 'vlan_tci', meaning: 'A = skb_vlan_tag_get(skb)' },
  { off: 48, name: 'vlanp', meaning: 'A = skb_vlan_tag_present(skb)' },
  { off: 52, name: 'poff', meaning: 'A = payload offset (flow dissector)' },
  { off: 56, name: 'random', meaning: 'A = a pseudo-random u32' },
  { off: 60, name: 'vlan_tpid', meaning: 'A = ntohs(skb->vlan_proto)' },
]

/** The ancillary offset for `name`, as the `k` of an absolute load. */
export function ancillaryK(name: string): number {
  const e = SKF_AD.find((a) => a.name === name)
  if (e === undefined) throw new RangeError(`no ancillary load named ${name}`)
  return (SKF_AD_OFF + e.off) >>> 0
}

/** How the operand is printed (tcpdump -d) and where it comes from. */
export type CbpfOperand =
  | 'abs' //  [k]          message bytes at k (or an ancillary name)
  | 'ind' //  [x + k]      message bytes at X + k
  | 'imm' //  #0x%x        the constant k
  | 'mem' //  M[k]         a scratch word
  | 'len' //  #pktlen      the message length
  | 'msh' //  4*([k]&0xf)
  | 'dec' //  #%d          the constant k, signed decimal
  | 'hex' //  #0x%x        the constant k, hex
  | 'x' //    x            the X register
  | 'none' // nothing
  | 'ja' //   pc + 1 + k   an absolute target

/** Opcode names: the kernel's `BPF_*` parts joined with `_`, class first. */
export type CbpfOpName =
  | 'LD_W_ABS' | 'LD_H_ABS' | 'LD_B_ABS' | 'LD_W_IND' | 'LD_H_IND' | 'LD_B_IND' | 'LD_W_LEN' | 'LD_IMM' | 'LD_MEM'
  | 'LDX_IMM' | 'LDX_MEM' | 'LDX_W_LEN' | 'LDX_B_MSH'
  | 'ST' | 'STX'
  | 'ALU_ADD_K' | 'ALU_SUB_K' | 'ALU_MUL_K' | 'ALU_DIV_K' | 'ALU_MOD_K' | 'ALU_AND_K' | 'ALU_OR_K' | 'ALU_XOR_K' | 'ALU_LSH_K' | 'ALU_RSH_K'
  | 'ALU_ADD_X' | 'ALU_SUB_X' | 'ALU_MUL_X' | 'ALU_DIV_X' | 'ALU_MOD_X' | 'ALU_AND_X' | 'ALU_OR_X' | 'ALU_XOR_X' | 'ALU_LSH_X' | 'ALU_RSH_X'
  | 'ALU_NEG'
  | 'JMP_JA' | 'JMP_JEQ_K' | 'JMP_JGT_K' | 'JMP_JGE_K' | 'JMP_JSET_K' | 'JMP_JEQ_X' | 'JMP_JGT_X' | 'JMP_JGE_X' | 'JMP_JSET_X'
  | 'RET_K' | 'RET_A'
  | 'MISC_TAX' | 'MISC_TXA'

/** One accepted opcode. */
export interface CbpfOpcodeInfo {
  readonly name: CbpfOpName
  readonly code: number
  /** `tcpdump -d` mnemonic. */
  readonly mnemonic: string
  readonly operand: CbpfOperand
  /** 'cond' reads jt/jf; 'always' is `ja` (reads k); 'none' falls through (or returns). */
  readonly jump: 'none' | 'always' | 'cond'
  /** Bytes read from the message by a load, 0 otherwise. */
  readonly width: 0 | 1 | 2 | 4
  /** What it computes, as pseudo-code. */
  readonly meaning: string
}

const C = BPF_CLASS
const S = BPF_SIZE
const M = BPF_MODE
const O = BPF_OP

function op(name: CbpfOpName, code: number, mnemonic: string, operand: CbpfOperand, meaning: string, jump: CbpfOpcodeInfo['jump'] = 'none', width: CbpfOpcodeInfo['width'] = 0): CbpfOpcodeInfo {
  return { name, code, mnemonic, operand, jump, width, meaning }
}

const aluK = (n: 'ADD' | 'SUB' | 'MUL' | 'DIV' | 'MOD' | 'AND' | 'OR' | 'XOR' | 'LSH' | 'RSH', c: number, m: string, sym: string, fmt: 'dec' | 'hex'): CbpfOpcodeInfo[] => [
  op(`ALU_${n}_K`, C.BPF_ALU | c | BPF_SRC.BPF_K, m, fmt, `A = A ${sym} k`),
  op(`ALU_${n}_X`, C.BPF_ALU | c | BPF_SRC.BPF_X, m, 'x', `A = A ${sym} X`),
]

const jmp = (n: 'JEQ' | 'JGT' | 'JGE' | 'JSET', c: number, m: string, cond: string): CbpfOpcodeInfo[] => [
  op(`JMP_${n}_K`, C.BPF_JMP | c | BPF_SRC.BPF_K, m, 'hex', `pc += (${cond.replace('$', 'k')}) ? jt : jf`, 'cond'),
  op(`JMP_${n}_X`, C.BPF_JMP | c | BPF_SRC.BPF_X, m, 'x', `pc += (${cond.replace('$', 'X')}) ? jt : jf`, 'cond'),
]

const TABLE: readonly CbpfOpcodeInfo[] = [
  op('LD_W_ABS', C.BPF_LD | S.BPF_W | M.BPF_ABS, 'ld', 'abs', 'A = be32(P[k:k+4]); out of bounds: return 0', 'none', 4),
  op('LD_H_ABS', C.BPF_LD | S.BPF_H | M.BPF_ABS, 'ldh', 'abs', 'A = be16(P[k:k+2]); out of bounds: return 0', 'none', 2),
  op('LD_B_ABS', C.BPF_LD | S.BPF_B | M.BPF_ABS, 'ldb', 'abs', 'A = P[k]; out of bounds: return 0', 'none', 1),
  op('LD_W_IND', C.BPF_LD | S.BPF_W | M.BPF_IND, 'ld', 'ind', 'A = be32(P[X+k:X+k+4]); out of bounds: return 0', 'none', 4),
  op('LD_H_IND', C.BPF_LD | S.BPF_H | M.BPF_IND, 'ldh', 'ind', 'A = be16(P[X+k:X+k+2]); out of bounds: return 0', 'none', 2),
  op('LD_B_IND', C.BPF_LD | S.BPF_B | M.BPF_IND, 'ldb', 'ind', 'A = P[X+k]; out of bounds: return 0', 'none', 1),
  op('LD_W_LEN', C.BPF_LD | S.BPF_W | M.BPF_LEN, 'ld', 'len', 'A = len(P)'),
  op('LD_IMM', C.BPF_LD | M.BPF_IMM, 'ld', 'imm', 'A = k'),
  op('LD_MEM', C.BPF_LD | M.BPF_MEM, 'ld', 'mem', 'A = M[k]'),
  op('LDX_IMM', C.BPF_LDX | M.BPF_IMM, 'ldx', 'imm', 'X = k'),
  op('LDX_MEM', C.BPF_LDX | M.BPF_MEM, 'ldx', 'mem', 'X = M[k]'),
  op('LDX_W_LEN', C.BPF_LDX | S.BPF_W | M.BPF_LEN, 'ldx', 'len', 'X = len(P)'),
  op('LDX_B_MSH', C.BPF_LDX | S.BPF_B | M.BPF_MSH, 'ldxb', 'msh', 'X = 4 * (P[k] & 0xf); out of bounds: return 0', 'none', 1),
  op('ST', C.BPF_ST, 'st', 'mem', 'M[k] = A'),
  op('STX', C.BPF_STX, 'stx', 'mem', 'M[k] = X'),
  ...aluK('ADD', O.BPF_ADD, 'add', '+', 'dec'),
  ...aluK('SUB', O.BPF_SUB, 'sub', '-', 'dec'),
  ...aluK('MUL', O.BPF_MUL, 'mul', '*', 'dec'),
  ...aluK('DIV', O.BPF_DIV, 'div', '/', 'dec'),
  ...aluK('MOD', O.BPF_MOD, 'mod', '%', 'dec'),
  ...aluK('AND', O.BPF_AND, 'and', '&', 'hex'),
  ...aluK('OR', O.BPF_OR, 'or', '|', 'hex'),
  ...aluK('XOR', O.BPF_XOR, 'xor', '^', 'hex'),
  ...aluK('LSH', O.BPF_LSH, 'lsh', '<<', 'dec'),
  ...aluK('RSH', O.BPF_RSH, 'rsh', '>>', 'dec'),
  op('ALU_NEG', C.BPF_ALU | O.BPF_NEG, 'neg', 'none', 'A = -A'),
  op('JMP_JA', C.BPF_JMP | O.BPF_JA, 'ja', 'ja', 'pc += k', 'always'),
  ...jmp('JEQ', O.BPF_JEQ, 'jeq', 'A == $'),
  ...jmp('JGT', O.BPF_JGT, 'jgt', 'A > $'),
  ...jmp('JGE', O.BPF_JGE, 'jge', 'A >= $'),
  ...jmp('JSET', O.BPF_JSET, 'jset', 'A & $'),
  op('RET_K', C.BPF_RET | BPF_RVAL.BPF_K, 'ret', 'dec', 'return k'),
  op('RET_A', C.BPF_RET | BPF_RVAL.BPF_A, 'ret', 'none', 'return A'),
  op('MISC_TAX', C.BPF_MISC | BPF_MISCOP.BPF_TAX, 'tax', 'none', 'X = A'),
  op('MISC_TXA', C.BPF_MISC | BPF_MISCOP.BPF_TXA, 'txa', 'none', 'A = X'),
]

/** The table by name. */
export const CBPF_OPCODES: { readonly [N in CbpfOpName]: CbpfOpcodeInfo } = Object.fromEntries(TABLE.map((o) => [o.name, o])) as { [N in CbpfOpName]: CbpfOpcodeInfo }

/** The table by code; `undefined` for every code the kernel refuses. */
export const CBPF_OPCODE_BY_CODE: ReadonlyMap<number, CbpfOpcodeInfo> = new Map(TABLE.map((o) => [o.code, o]))

// Checked at load: the table has one entry per name and per code.
if (CBPF_OPCODE_BY_CODE.size !== TABLE.length || Object.keys(CBPF_OPCODES).length !== TABLE.length) {
  throw new TypeError('uapi/bpf-classic: duplicate opcode in the table')
}
