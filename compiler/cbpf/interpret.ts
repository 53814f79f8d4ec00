/**
 * The interpreter port: what the kernel computes when it runs a classic
 * program over a message (classic BPF as converted by `bpf_convert_filter()`
 * in net/core/filter.c and run on the message's bytes).
 *
 * The kernel's rules, all modelled: A, X and the scratch words start at 0;
 * a load that does not fit in the message ends the program with 0 (drop);
 * division or modulo by X = 0 ends it with 0; shifts by X use its low five
 * bits (32-bit ALU); arithmetic wraps at 32 bits. Ancillary loads read the
 * metadata given in {@link CbpfContext} (netlink attribute lookups read the
 * message itself).
 *
 * Programs must have passed {@link checkProgram} (the kernel never runs
 * one that has not); anything else throws {@link CbpfRuntimeError}.
 */
import { CBPF_OPCODE_BY_CODE, SKF_AD, SKF_AD_OFF } from '../../uapi/bpf-classic.js'
import type { CheckInsn } from './check.js'

/** Socket-buffer metadata ancillary loads may read; absent fields read as 0. */
export interface CbpfContext {
  /** `skb->protocol`, host value (netlink messages: 0). */
  readonly protocol?: number
  readonly pktType?: number
  /** `skb->dev->ifindex`; absent: loads of it end the program with 0, as with no device. */
  readonly ifindex?: number
  readonly mark?: number
  readonly queue?: number
  readonly hatype?: number
  readonly rxhash?: number
  readonly cpu?: number
  readonly random?: () => number
}

/** The interpreter met something the kernel's checker would have refused. */
export class CbpfRuntimeError extends Error {
  override readonly name = 'CbpfRuntimeError'
  constructor(readonly pc: number, message: string) {
    super(`instruction ${pc}: ${message}`)
  }
}

/** Netlink attribute header length, and the kernel's attribute alignment. */
const NLA_HDRLEN = 4
const nlaAlign = (n: number): number => (n + 3) & ~3
/** `nla_type` without the NESTED and NET_BYTEORDER flags. */
const NLA_TYPE_MASK = 0x3fff

/** Run `prog` over `packet`; the return value (u32): 0 drops, non-zero keeps that many bytes. */
export function interpret(prog: readonly CheckInsn[], packet: Uint8Array, ctx: CbpfContext = {}): number {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength)
  const len = packet.length
  const mem = new Uint32Array(16)
  let a = 0
  let x = 0
  let pc = 0
  /** A load of `width` bytes at `off`, or null when it does not fit. */
  const load = (off: number, width: number): number | null => {
    if (off < 0 || off + width > len) return null
    return width === 4 ? view.getUint32(off, false) : width === 2 ? view.getUint16(off, false) : view.getUint8(off)
  }
  for (let steps = 0; steps <= prog.length; steps++) {
    const insn = prog[pc]
    if (insn === undefined) throw new CbpfRuntimeError(pc, 'ran past the end of the program')
    const info = CBPF_OPCODE_BY_CODE.get(insn.code)
    if (!info) throw new CbpfRuntimeError(pc, `unknown code 0x${insn.code.toString(16)}`)
    const k = insn.k >>> 0
    let next = pc + 1
    switch (info.name) {
      case 'LD_W_ABS': case 'LD_H_ABS': case 'LD_B_ABS': {
        if (k >= SKF_AD_OFF) {
          const v = ancillary(k - SKF_AD_OFF, a, x, packet, view, ctx)
          if (v === null) return 0
          a = v
          break
        }
        // Offsets with the top bit set (SKF_NET_OFF, SKF_LL_OFF) address headers a netlink message does not have.
        const v = k >= 0x80000000 ? null : load(k, info.width)
        if (v === null) return 0
        a = v
        break
      }
      case 'LD_W_IND': case 'LD_H_IND': case 'LD_B_IND': {
        const v = load((x + k) | 0, info.width)
        if (v === null) return 0
        a = v
        break
      }
      case 'LDX_B_MSH': {
        const v = k >= 0x80000000 ? null : load(k, 1)
        if (v === null) return 0
        x = (v & 0xf) * 4
        break
      }
      case 'LD_W_LEN': a = len; break
      case 'LDX_W_LEN': x = len; break
      case 'LD_IMM': a = k; break
      case 'LDX_IMM': x = k; break
      case 'LD_MEM': a = mem[k]!; break
      case 'LDX_MEM': x = mem[k]!; break
      case 'ST': mem[k] = a; break
      case 'STX': mem[k] = x; break
      case 'ALU_ADD_K': a = (a + k) >>> 0; break
      case 'ALU_SUB_K': a = (a - k) >>> 0; break
      case 'ALU_MUL_K': a = Math.imul(a, k) >>> 0; break
      case 'ALU_DIV_K': a = Math.floor(a / k) >>> 0; break
      case 'ALU_MOD_K': a = a % k >>> 0; break
      case 'ALU_AND_K': a = (a & k) >>> 0; break
      case 'ALU_OR_K': a = (a | k) >>> 0; break
      case 'ALU_XOR_K': a = (a ^ k) >>> 0; break
      case 'ALU_LSH_K': a = (a << (k & 31)) >>> 0; break
      case 'ALU_RSH_K': a = a >>> (k & 31); break
      case 'ALU_ADD_X': a = (a + x) >>> 0; break
      case 'ALU_SUB_X': a = (a - x) >>> 0; break
      case 'ALU_MUL_X': a = Math.imul(a, x) >>> 0; break
      case 'ALU_DIV_X': if (x === 0) return 0; a = Math.floor(a / x) >>> 0; break
      case 'ALU_MOD_X': if (x === 0) return 0; a = a % x >>> 0; break
      case 'ALU_AND_X': a = (a & x) >>> 0; break
      case 'ALU_OR_X': a = (a | x) >>> 0; break
      case 'ALU_XOR_X': a = (a ^ x) >>> 0; break
      case 'ALU_LSH_X': a = (a << (x & 31)) >>> 0; break
      case 'ALU_RSH_X': a = a >>> (x & 31); break
      case 'ALU_NEG': a = -a >>> 0; break
      case 'JMP_JA': next = pc + 1 + k; break
      case 'JMP_JEQ_K': next = pc + 1 + (a === k ? insn.jt : insn.jf); break
      case 'JMP_JGT_K': next = pc + 1 + (a > k ? insn.jt : insn.jf); break
      case 'JMP_JGE_K': next = pc + 1 + (a >= k ? insn.jt : insn.jf); break
      case 'JMP_JSET_K': next = pc + 1 + ((a & k) !== 0 ? insn.jt : insn.jf); break
      case 'JMP_JEQ_X': next = pc + 1 + (a === x ? insn.jt : insn.jf); break
      case 'JMP_JGT_X': next = pc + 1 + (a > x ? insn.jt : insn.jf); break
      case 'JMP_JGE_X': next = pc + 1 + (a >= x ? insn.jt : insn.jf); break
      case 'JMP_JSET_X': next = pc + 1 + ((a & x) !== 0 ? insn.jt : insn.jf); break
      case 'RET_K': return k
      case 'RET_A': return a
      case 'MISC_TAX': x = a; break
      case 'MISC_TXA': a = x; break
    }
    pc = next
  }
  // Forward-only jumps make this unreachable for checked programs.
  throw new CbpfRuntimeError(pc, 'did not return')
}

const ANC = new Map(SKF_AD.map((e) => [e.off, e.name]))

/** An ancillary load; null ends the program with 0. */
function ancillary(off: number, a: number, x: number, packet: Uint8Array, view: DataView, ctx: CbpfContext): number | null {
  switch (ANC.get(off)) {
    case 'proto': return (ctx.protocol ?? 0) & 0xffff
    case 'type': return ctx.pktType ?? 0
    case 'ifidx': return ctx.ifindex ?? null
    case 'nla': return nlaFind(packet, view, a, packet.length - a, x)
    case 'nlan': {
      // A names an attribute; search its payload.
      if (a > packet.length - NLA_HDRLEN) return 0
      const nlaLen = view.getUint16(a, true)
      if (nlaLen > packet.length - a) return 0
      return nlaFind(packet, view, a + NLA_HDRLEN, nlaLen - NLA_HDRLEN, x)
    }
    case 'mark': return (ctx.mark ?? 0) >>> 0
    case 'queue': return ctx.queue ?? 0
    case 'hatype': return ctx.hatype ?? null
    case 'rxhash': return (ctx.rxhash ?? 0) >>> 0
    case 'cpu': return ctx.cpu ?? 0
    case 'xor_x': return (a ^ x) >>> 0
    case 'vlan_tci': case 'vlanp': case 'vlan_tpid': return 0
    case 'poff': return 0
    case 'random': return (ctx.random?.() ?? 0) >>> 0
    default: return null
  }
}

/**
 * `nla_find()` over `packet[start, start+rem)`: the offset of the first
 * well-formed attribute of type `type`, or 0. Attribute headers are host
 * order (little-endian here).
 */
function nlaFind(packet: Uint8Array, view: DataView, start: number, rem: number, type: number): number {
  if (packet.length < NLA_HDRLEN || start > packet.length - NLA_HDRLEN || rem < 0) return 0
  let at = start
  let left = Math.min(rem, packet.length - start)
  while (left >= NLA_HDRLEN) {
    const nlaLen = view.getUint16(at, true)
    if (nlaLen < NLA_HDRLEN || nlaLen > left) break
    if ((view.getUint16(at + 2, true) & NLA_TYPE_MASK) === type) return at
    const step = nlaAlign(nlaLen)
    at += step
    left -= step
  }
  return 0
}
