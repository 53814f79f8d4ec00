/**
 * eBPF ABI as data: the instruction encoding (`include/uapi/linux/bpf.h`,
 * `bpf_common.h`), the `union bpf_attr` layouts of the three commands the
 * socket-iterator runtime sends, and the BTF container format
 * (`include/uapi/linux/btf.h`).
 *
 * Never renumbered. The eBPF assembler, disassembler and listing parser all
 * read the opcode tables here; nothing else spells an opcode number.
 *
 * Helper numbers (`enum bpf_func_id`) and kernel struct offsets are NOT
 * here: they are read from the running kernel's BTF at load time.
 */
import { defineStruct } from './struct.js'

/** `bpf(2)` commands used by the runtime (`enum bpf_cmd`). */
export const BPF_CMD = {
  BPF_PROG_LOAD: 5,
  BPF_LINK_CREATE: 28,
  BPF_ITER_CREATE: 33,
} as const

/** `enum bpf_prog_type` values used here. */
export const BPF_PROG_TYPE = { BPF_PROG_TYPE_TRACING: 26 } as const

/** `enum bpf_attach_type` values used here. */
export const BPF_ATTACH_TYPE = { BPF_TRACE_ITER: 28 } as const

/** Instruction classes: the low 3 bits of the opcode (`BPF_CLASS`). */
export const BPF_CLASS = {
  BPF_LD: 0x00, BPF_LDX: 0x01, BPF_ST: 0x02, BPF_STX: 0x03,
  BPF_ALU: 0x04, BPF_JMP: 0x05, BPF_JMP32: 0x06, BPF_ALU64: 0x07,
} as const

/** Operand source of ALU and jump instructions (bit 3, `BPF_SRC`). */
export const BPF_SRC = { BPF_K: 0x00, BPF_X: 0x08 } as const

/** Access size of loads and stores (bits 3–4, `BPF_SIZE`). */
export const BPF_SIZE = { BPF_W: 0x00, BPF_H: 0x08, BPF_B: 0x10, BPF_DW: 0x18 } as const

/** Load/store mode (bits 5–7, `BPF_MODE`); only the modes the iterator programs use. */
export const BPF_MODE = { BPF_IMM: 0x00, BPF_MEM: 0x60 } as const

/** Access sizes by name, with their width in bytes. */
export type SizeName = 'u8' | 'u16' | 'u32' | 'u64'

/** Size table: opcode bits, bytes. */
export const SIZES: { readonly [N in SizeName]: { readonly bits: number, readonly bytes: 1 | 2 | 4 | 8 } } = {
  u8: { bits: BPF_SIZE.BPF_B, bytes: 1 },
  u16: { bits: BPF_SIZE.BPF_H, bytes: 2 },
  u32: { bits: BPF_SIZE.BPF_W, bytes: 4 },
  u64: { bits: BPF_SIZE.BPF_DW, bytes: 8 },
}

/** ALU operation names (`BPF_ADD` … `BPF_END`, without the prefix, lowercase). */
export type AluOpName = 'add' | 'sub' | 'mul' | 'div' | 'or' | 'and' | 'lsh' | 'rsh' | 'neg' | 'mod' | 'xor' | 'mov' | 'arsh' | 'end'

/** One ALU operation: its code (bits 4–7) and what it computes. */
export interface AluOpInfo {
  readonly name: AluOpName
  readonly code: number
  /** Operator as the kernel's verifier log prints it (`r1 += r2`). */
  readonly sym: string
  readonly meaning: string
}

/** ALU operations (`BPF_ALU`/`BPF_ALU64` classes, `include/uapi/linux/bpf_common.h` and `bpf.h`). */
export const ALU_OPS: { readonly [N in AluOpName]: AluOpInfo & { readonly name: N } } = {
  add: { name: 'add', code: 0x00, sym: '+=', meaning: 'dst += src' },
  sub: { name: 'sub', code: 0x10, sym: '-=', meaning: 'dst -= src' },
  mul: { name: 'mul', code: 0x20, sym: '*=', meaning: 'dst *= src' },
  div: { name: 'div', code: 0x30, sym: '/=', meaning: 'dst = src ? dst / src : 0   (unsigned)' },
  or: { name: 'or', code: 0x40, sym: '|=', meaning: 'dst |= src' },
  and: { name: 'and', code: 0x50, sym: '&=', meaning: 'dst &= src' },
  lsh: { name: 'lsh', code: 0x60, sym: '<<=', meaning: 'dst <<= src  (masked to the width)' },
  rsh: { name: 'rsh', code: 0x70, sym: '>>=', meaning: 'dst >>= src  (logical)' },
  neg: { name: 'neg', code: 0x80, sym: 'neg', meaning: 'dst = -dst' },
  mod: { name: 'mod', code: 0x90, sym: '%=', meaning: 'dst = src ? dst % src : dst   (unsigned)' },
  xor: { name: 'xor', code: 0xa0, sym: '^=', meaning: 'dst ^= src' },
  mov: { name: 'mov', code: 0xb0, sym: '=', meaning: 'dst = src' },
  arsh: { name: 'arsh', code: 0xc0, sym: 's>>=', meaning: 'dst >>= src  (arithmetic)' },
  end: { name: 'end', code: 0xd0, sym: 'end', meaning: 'dst = byte-swap(dst) to be/le, imm = 16/32/64 bits (BPF_X = to big-endian)' },
}

/** Jump operation names (`BPF_JA` … `BPF_JSLE`). */
export type JmpOpName = 'ja' | 'jeq' | 'jgt' | 'jge' | 'jset' | 'jne' | 'jsgt' | 'jsge' | 'call' | 'exit' | 'jlt' | 'jle' | 'jslt' | 'jsle'

/** One jump operation. */
export interface JmpOpInfo {
  readonly name: JmpOpName
  readonly code: number
  /** Comparison as the verifier log prints it; empty for ja/call/exit. */
  readonly sym: string
  readonly meaning: string
}

/** Jump operations (`BPF_JMP`/`BPF_JMP32` classes). Conditional jumps go to pc + 1 + off when the condition holds. */
export const JMP_OPS: { readonly [N in JmpOpName]: JmpOpInfo & { readonly name: N } } = {
  ja: { name: 'ja', code: 0x00, sym: '', meaning: 'pc += off' },
  jeq: { name: 'jeq', code: 0x10, sym: '==', meaning: 'if dst == src: pc += off' },
  jgt: { name: 'jgt', code: 0x20, sym: '>', meaning: 'if dst > src (unsigned): pc += off' },
  jge: { name: 'jge', code: 0x30, sym: '>=', meaning: 'if dst >= src (unsigned): pc += off' },
  jset: { name: 'jset', code: 0x40, sym: '&', meaning: 'if dst & src: pc += off' },
  jne: { name: 'jne', code: 0x50, sym: '!=', meaning: 'if dst != src: pc += off' },
  jsgt: { name: 'jsgt', code: 0x60, sym: 's>', meaning: 'if dst > src (signed): pc += off' },
  jsge: { name: 'jsge', code: 0x70, sym: 's>=', meaning: 'if dst >= src (signed): pc += off' },
  call: { name: 'call', code: 0x80, sym: '', meaning: 'r0 = helper#imm(r1, …, r5); r1–r5 clobbered' },
  exit: { name: 'exit', code: 0x90, sym: '', meaning: 'return r0' },
  jlt: { name: 'jlt', code: 0xa0, sym: '<', meaning: 'if dst < src (unsigned): pc += off' },
  jle: { name: 'jle', code: 0xb0, sym: '<=', meaning: 'if dst <= src (unsigned): pc += off' },
  jslt: { name: 'jslt', code: 0xc0, sym: 's<', meaning: 'if dst < src (signed): pc += off' },
  jsle: { name: 'jsle', code: 0xd0, sym: 's<=', meaning: 'if dst <= src (signed): pc += off' },
}

/** Registers: r0 return value, r1–r5 arguments (clobbered by calls), r6–r9 callee-saved, r10 read-only frame pointer. */
export const BPF_REG_COUNT = 11
/** The frame pointer; the stack is the 512 bytes below it. */
export const BPF_REG_FP = 10
/** Stack size available to a program (`MAX_BPF_STACK`). */
export const MAX_BPF_STACK = 512

/** `struct bpf_insn`: opcode, dst (low nibble) and src (high nibble) registers, signed offset, signed immediate. */
export const bpf_insn = defineStruct('bpf_insn', 8, [
  { name: 'code', kind: 'u8' },
  { name: 'regs', kind: 'u8' },
  { name: 'off', kind: 'u16' }, // s16: the assembler converts
  { name: 'imm', kind: 's32' },
] as const)

/**
 * `union bpf_attr` for BPF_PROG_LOAD (the leading fields the runtime fills;
 * the rest of the 160-byte union stays zero, which the kernel requires).
 */
export const bpf_attr_prog_load = defineStruct('bpf_attr.prog_load', 160, [
  { name: 'prog_type', kind: 'u32' },
  { name: 'insn_cnt', kind: 'u32' },
  { name: 'insns', kind: 'u64' },
  { name: 'license', kind: 'u64' },
  { name: 'log_level', kind: 'u32' },
  { name: 'log_size', kind: 'u32' },
  { name: 'log_buf', kind: 'u64' },
  { name: 'kern_version', kind: 'u32' },
  { name: 'prog_flags', kind: 'u32' },
  { name: 'prog_name', kind: { bytes: 16 } },
  { name: 'prog_ifindex', kind: 'u32' },
  { name: 'expected_attach_type', kind: 'u32' },
  { name: 'prog_btf_fd', kind: 'u32' },
  { name: 'func_info_rec_size', kind: 'u32' },
  { name: 'func_info', kind: 'u64' },
  { name: 'func_info_cnt', kind: 'u32' },
  { name: 'line_info_rec_size', kind: 'u32' },
  { name: 'line_info', kind: 'u64' },
  { name: 'line_info_cnt', kind: 'u32' },
  { name: 'attach_btf_id', kind: 'u32' },
  { name: 'attach_prog_fd', kind: 'u32' },
  { name: 'rest', kind: { bytes: 44 } },
] as const)

/** `union bpf_attr` for BPF_LINK_CREATE (iterator links: no target fd, no iter info). */
export const bpf_attr_link_create = defineStruct('bpf_attr.link_create', 160, [
  { name: 'prog_fd', kind: 'u32' },
  { name: 'target_fd', kind: 'u32' },
  { name: 'attach_type', kind: 'u32' },
  { name: 'flags', kind: 'u32' },
  { name: 'rest', kind: { bytes: 144 } },
] as const)

/** `union bpf_attr` for BPF_ITER_CREATE. */
export const bpf_attr_iter_create = defineStruct('bpf_attr.iter_create', 160, [
  { name: 'link_fd', kind: 'u32' },
  { name: 'flags', kind: 'u32' },
  { name: 'rest', kind: { bytes: 152 } },
] as const)

/** BTF magic number (`BTF_MAGIC`). */
export const BTF_MAGIC = 0xeb9f

/** `struct btf_header`. */
export const btf_header = defineStruct('btf_header', 24, [
  { name: 'magic', kind: 'u16' },
  { name: 'version', kind: 'u8' },
  { name: 'flags', kind: 'u8' },
  { name: 'hdr_len', kind: 'u32' },
  { name: 'type_off', kind: 'u32' },
  { name: 'type_len', kind: 'u32' },
  { name: 'str_off', kind: 'u32' },
  { name: 'str_len', kind: 'u32' },
] as const)

/** `struct btf_type`: name offset, info (vlen 0–15, kind 24–28, kind_flag 31), size or type id. */
export const btf_type = defineStruct('btf_type', 12, [
  { name: 'name_off', kind: 'u32' },
  { name: 'info', kind: 'u32' },
  { name: 'size_or_type', kind: 'u32' },
] as const)

/** BTF kind names. */
export type BtfKindName =
  | 'UNKN' | 'INT' | 'PTR' | 'ARRAY' | 'STRUCT' | 'UNION' | 'ENUM' | 'FWD' | 'TYPEDEF' | 'VOLATILE'
  | 'CONST' | 'RESTRICT' | 'FUNC' | 'FUNC_PROTO' | 'VAR' | 'DATASEC' | 'FLOAT' | 'DECL_TAG' | 'TYPE_TAG' | 'ENUM64'

/** One BTF kind: its number and the bytes that follow `btf_type` (fixed, plus per-vlen). */
export interface BtfKindInfo {
  readonly name: BtfKindName
  readonly code: number
  readonly extra: number
  readonly perVlen: number
}

const kind = (name: BtfKindName, code: number, extra = 0, perVlen = 0): BtfKindInfo => ({ name, code, extra, perVlen })

/**
 * BTF kinds (`BTF_KIND_*`) with their trailing data: INT a u32 encoding,
 * ARRAY `struct btf_array`, STRUCT/UNION `struct btf_member` per member,
 * ENUM `struct btf_enum` per value, FUNC_PROTO `struct btf_param` per
 * parameter, VAR `struct btf_var`, DATASEC `struct btf_var_secinfo` per
 * entry, DECL_TAG `struct btf_decl_tag`, ENUM64 `struct btf_enum64` per value.
 */
export const BTF_KINDS: readonly BtfKindInfo[] = [
  kind('UNKN', 0), kind('INT', 1, 4), kind('PTR', 2), kind('ARRAY', 3, 12), kind('STRUCT', 4, 0, 12),
  kind('UNION', 5, 0, 12), kind('ENUM', 6, 0, 8), kind('FWD', 7), kind('TYPEDEF', 8), kind('VOLATILE', 9),
  kind('CONST', 10), kind('RESTRICT', 11), kind('FUNC', 12), kind('FUNC_PROTO', 13, 0, 8), kind('VAR', 14, 4),
  kind('DATASEC', 15, 0, 12), kind('FLOAT', 16), kind('DECL_TAG', 17, 4), kind('TYPE_TAG', 18), kind('ENUM64', 19, 0, 12),
]

/** `struct btf_member`: offset in bits; with the struct's kind_flag set, bits 24–31 are the bitfield size. */
export const btf_member = defineStruct('btf_member', 12, [
  { name: 'name_off', kind: 'u32' },
  { name: 'type', kind: 'u32' },
  { name: 'offset', kind: 'u32' },
] as const)

/** `struct btf_enum`. */
export const btf_enum = defineStruct('btf_enum', 8, [
  { name: 'name_off', kind: 'u32' },
  { name: 'val', kind: 's32' },
] as const)

/** `struct btf_enum64`. */
export const btf_enum64 = defineStruct('btf_enum64', 12, [
  { name: 'name_off', kind: 'u32' },
  { name: 'val_lo32', kind: 'u32' },
  { name: 'val_hi32', kind: 'u32' },
] as const)

/** `struct btf_array`. */
export const btf_array = defineStruct('btf_array', 12, [
  { name: 'type', kind: 'u32' },
  { name: 'index_type', kind: 'u32' },
  { name: 'nelems', kind: 'u32' },
] as const)

/**
 * What the `iter/tcp` program needs from the running kernel's BTF, by name:
 * the attach target, helper numbers (`enum bpf_func_id`) and member paths
 * (dotted, through named members; anonymous ones are entered by the BTF
 * reader). The runtime resolves this table into an {@link IterLayout}; the
 * code generator reads only the layout, so it stays pure and deterministic.
 */
export const ITER_TCP_BTF = {
  attach: 'bpf_iter_tcp',
  helpers: {
    seq_write: 'BPF_FUNC_seq_write',
    skc_to_tcp_sock: 'BPF_FUNC_skc_to_tcp_sock',
    skc_to_tcp_timewait_sock: 'BPF_FUNC_skc_to_tcp_timewait_sock',
    skc_to_tcp_request_sock: 'BPF_FUNC_skc_to_tcp_request_sock',
    jiffies64: 'BPF_FUNC_jiffies64',
  },
  members: {
    ctx_meta: ['bpf_iter__tcp', 'meta'],
    ctx_sk_common: ['bpf_iter__tcp', 'sk_common'],
    ctx_uid: ['bpf_iter__tcp', 'uid'],
    meta_seq: ['bpf_iter_meta', 'seq'],
    skc_family: ['sock_common', 'skc_family'],
    skc_state: ['sock_common', 'skc_state'],
    skc_num: ['sock_common', 'skc_num'],
    skc_dport: ['sock_common', 'skc_dport'],
    skc_rcv_saddr: ['sock_common', 'skc_rcv_saddr'],
    skc_daddr: ['sock_common', 'skc_daddr'],
    skc_v6_rcv_saddr: ['sock_common', 'skc_v6_rcv_saddr'],
    skc_v6_daddr: ['sock_common', 'skc_v6_daddr'],
    skc_bound_dev_if: ['sock_common', 'skc_bound_dev_if'],
    skc_cookie: ['sock_common', 'skc_cookie'],
    skc_ipv6only: ['sock_common', 'skc_ipv6only'],
    sk_socket: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_socket'],
    sk_mark: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_mark'],
    sk_shutdown: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_shutdown'],
    sk_userlocks: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_userlocks'],
    sk_ack_backlog: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_ack_backlog'],
    sk_max_ack_backlog: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_max_ack_backlog'],
    sk_cgroup: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_cgrp_data.cgroup'],
    cgroup_kn: ['cgroup', 'kn'],
    kn_id: ['kernfs_node', 'id'],
    socket_file: ['socket', 'file'],
    file_inode: ['file', 'f_inode'],
    inode_ino: ['inode', 'i_ino'],
    tw_substate: ['tcp_timewait_sock', 'tw_sk.tw_substate'],
    tw_mark: ['tcp_timewait_sock', 'tw_sk.tw_mark'],
    srtt_us: ['tcp_sock', 'srtt_us'],
    mdev_us: ['tcp_sock', 'mdev_us'],
    snd_cwnd: ['tcp_sock', 'snd_cwnd'],
    snd_ssthresh: ['tcp_sock', 'snd_ssthresh'],
    mss_cache: ['tcp_sock', 'mss_cache'],
    retrans_out: ['tcp_sock', 'retrans_out'],
    lost_out: ['tcp_sock', 'lost_out'],
    packets_out: ['tcp_sock', 'packets_out'],
    total_retrans: ['tcp_sock', 'total_retrans'],
    segs_in: ['tcp_sock', 'segs_in'],
    segs_out: ['tcp_sock', 'segs_out'],
    bytes_sent: ['tcp_sock', 'bytes_sent'],
    bytes_acked: ['tcp_sock', 'bytes_acked'],
    bytes_received: ['tcp_sock', 'bytes_received'],
    rcv_nxt: ['tcp_sock', 'rcv_nxt'],
    copied_seq: ['tcp_sock', 'copied_seq'],
    write_seq: ['tcp_sock', 'write_seq'],
    snd_una: ['tcp_sock', 'snd_una'],
    // The timer inet_diag reports (inet_sk_diag_fill(), inet_twsk_diag_fill(), inet_req_diag_fill()).
    icsk_pending: ['tcp_sock', 'inet_conn.icsk_pending'],
    icsk_retransmits: ['tcp_sock', 'inet_conn.icsk_retransmits'],
    icsk_probes_out: ['tcp_sock', 'inet_conn.icsk_probes_out'],
    icsk_timeout: ['tcp_sock', 'inet_conn.icsk_retransmit_timer.expires'],
    sk_timer_pprev: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_timer.entry.pprev'],
    sk_timer_expires: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_timer.expires'],
    tw_timer_expires: ['tcp_timewait_sock', 'tw_sk.tw_timer.expires'],
    rsk_timer_expires: ['tcp_request_sock', 'req.req.rsk_timer.expires'],
    rsk_num_retrans: ['tcp_request_sock', 'req.req.num_retrans'],
  },
} as const

/**
 * What the `iter/udp` program needs, as {@link ITER_TCP_BTF} for `iter/tcp`.
 * The context hands a full `udp_sock` (both families), so every member is
 * named from `udp_sock`; the keys the two tables share (`skc_*`, `sk_*`,
 * `ctx_uid`, …) are read by the same code generator. The `hash_*` and
 * `node_next` members give each socket its place in udp_diag's walk
 * (`udp_dump()` walks `udp_table.hash`, by port; the iterator walks `hash2`,
 * by port and address): the slot `udp_hashfn()` picks and the socket's
 * distance to the end of that slot's list.
 */
export const ITER_UDP_BTF = {
  attach: 'bpf_iter_udp',
  helpers: {
    seq_write: 'BPF_FUNC_seq_write',
  },
  members: {
    ctx_meta: ['bpf_iter__udp', 'meta'],
    ctx_udp_sk: ['bpf_iter__udp', 'udp_sk'],
    ctx_uid: ['bpf_iter__udp', 'uid'],
    meta_seq: ['bpf_iter_meta', 'seq'],
    skc_family: ['udp_sock', 'inet.sk.__sk_common.skc_family'],
    skc_state: ['udp_sock', 'inet.sk.__sk_common.skc_state'],
    skc_num: ['udp_sock', 'inet.sk.__sk_common.skc_num'],
    skc_dport: ['udp_sock', 'inet.sk.__sk_common.skc_dport'],
    skc_rcv_saddr: ['udp_sock', 'inet.sk.__sk_common.skc_rcv_saddr'],
    skc_daddr: ['udp_sock', 'inet.sk.__sk_common.skc_daddr'],
    skc_v6_rcv_saddr: ['udp_sock', 'inet.sk.__sk_common.skc_v6_rcv_saddr'],
    skc_v6_daddr: ['udp_sock', 'inet.sk.__sk_common.skc_v6_daddr'],
    skc_bound_dev_if: ['udp_sock', 'inet.sk.__sk_common.skc_bound_dev_if'],
    skc_cookie: ['udp_sock', 'inet.sk.__sk_common.skc_cookie'],
    skc_ipv6only: ['udp_sock', 'inet.sk.__sk_common.skc_ipv6only'],
    sk_socket: ['udp_sock', 'inet.sk.sk_socket'],
    sk_mark: ['udp_sock', 'inet.sk.sk_mark'],
    sk_shutdown: ['udp_sock', 'inet.sk.sk_shutdown'],
    sk_userlocks: ['udp_sock', 'inet.sk.sk_userlocks'],
    sk_cgroup: ['udp_sock', 'inet.sk.sk_cgrp_data.cgroup'],
    cgroup_kn: ['cgroup', 'kn'],
    kn_id: ['kernfs_node', 'id'],
    socket_file: ['socket', 'file'],
    file_inode: ['file', 'f_inode'],
    inode_ino: ['inode', 'i_ino'],
    // udp_rqueue_get(): sk_rmem_alloc - forward_deficit; sk_wmem_alloc_get(): sk_wmem_alloc - 1.
    sk_rmem_alloc: ['udp_sock', 'inet.sk.sk_backlog.rmem_alloc.counter'],
    sk_wmem_alloc: ['udp_sock', 'inet.sk.sk_wmem_alloc.refs.counter'],
    forward_deficit: ['udp_sock', 'forward_deficit'],
    // udp_hashfn(net, num, mask) = (num + net->hash_mix) & mask, over net->ipv4.udp_table.
    skc_net: ['udp_sock', 'inet.sk.__sk_common.skc_net.net'],
    net_hash_mix: ['net', 'hash_mix'],
    net_udp_table: ['net', 'ipv4.udp_table'],
    udp_table_mask: ['udp_table', 'mask'],
    node_next: ['udp_sock', 'inet.sk.__sk_common.skc_node.next'],
    hlist_next: ['hlist_node', 'next'],
  },
} as const

/**
 * What the `iter/tcp` program reads for `-i` (the `ssx_iter_tcp_info`
 * block: the rest of tcp_get_info(), INET_DIAG_CONG, INET_DIAG_ULP_INFO)
 * and the time predicates, resolved only for the listings that ask for it:
 * members that came with newer kernels (`tcp_usec_ts`, …) then refuse `-i`
 * on an older one with BTF's reason, and never the plain listings.
 */
export const ITER_TCP_INFO_BTF = {
  attach: 'bpf_iter_tcp',
  helpers: {
    probe_read_kernel: 'BPF_FUNC_probe_read_kernel',
  },
  members: {
    sk_pacing_rate: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_pacing_rate'],
    sk_max_pacing_rate: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_max_pacing_rate'],
    reordering: ['tcp_sock', 'reordering'],
    icsk_ca_state: ['tcp_sock', 'inet_conn.icsk_ca_state'],
    icsk_backoff: ['tcp_sock', 'inet_conn.icsk_backoff'],
    icsk_ca_ops: ['tcp_sock', 'inet_conn.icsk_ca_ops'],
    ca_name: ['tcp_congestion_ops', 'name'],
    ca_get_info: ['tcp_congestion_ops', 'get_info'],
    tstamp_ok: ['tcp_sock', 'rx_opt.tstamp_ok'],
    sack_ok: ['tcp_sock', 'rx_opt.sack_ok'],
    wscale_ok: ['tcp_sock', 'rx_opt.wscale_ok'],
    snd_wscale: ['tcp_sock', 'rx_opt.snd_wscale'],
    rcv_wscale: ['tcp_sock', 'rx_opt.rcv_wscale'],
    ecn_flags: ['tcp_sock', 'ecn_flags'],
    syn_data_acked: ['tcp_sock', 'syn_data_acked'],
    tcp_usec_ts: ['tcp_sock', 'tcp_usec_ts'],
    syn_fastopen_child: ['tcp_sock', 'syn_fastopen_child'],
    icsk_rto: ['tcp_sock', 'inet_conn.icsk_rto'],
    icsk_rto_min: ['tcp_sock', 'inet_conn.icsk_rto_min'],
    icsk_delack_max: ['tcp_sock', 'inet_conn.icsk_delack_max'],
    icsk_ack_ato: ['tcp_sock', 'inet_conn.icsk_ack.ato'],
    icsk_ack_rcv_mss: ['tcp_sock', 'inet_conn.icsk_ack.rcv_mss'],
    icsk_ack_lrcvtime: ['tcp_sock', 'inet_conn.icsk_ack.lrcvtime'],
    icsk_pmtu_cookie: ['tcp_sock', 'inet_conn.icsk_pmtu_cookie'],
    sacked_out: ['tcp_sock', 'sacked_out'],
    lsndtime: ['tcp_sock', 'lsndtime'],
    rcv_tstamp: ['tcp_sock', 'rcv_tstamp'],
    rcv_ssthresh: ['tcp_sock', 'rcv_ssthresh'],
    advmss: ['tcp_sock', 'advmss'],
    rcv_rtt_us: ['tcp_sock', 'rcv_rtt_est.rtt_us'],
    rcvq_space: ['tcp_sock', 'rcvq_space.space'],
    snd_nxt: ['tcp_sock', 'snd_nxt'],
    chrono_start: ['tcp_sock', 'chrono_start'],
    chrono_stat: ['tcp_sock', 'chrono_stat'],
    chrono_type: ['tcp_sock', 'chrono_type'],
    // tcp_min_rtt(): minmax_get(&tp->rtt_min), the first sample's value.
    rtt_min: ['tcp_sock', 'rtt_min.s'],
    minmax_sample_v: ['minmax_sample', 'v'],
    data_segs_in: ['tcp_sock', 'data_segs_in'],
    data_segs_out: ['tcp_sock', 'data_segs_out'],
    rate_app_limited: ['tcp_sock', 'rate_app_limited'],
    rate_delivered: ['tcp_sock', 'rate_delivered'],
    rate_interval_us: ['tcp_sock', 'rate_interval_us'],
    delivered: ['tcp_sock', 'delivered'],
    delivered_ce: ['tcp_sock', 'delivered_ce'],
    bytes_retrans: ['tcp_sock', 'bytes_retrans'],
    dsack_dups: ['tcp_sock', 'dsack_dups'],
    reord_seen: ['tcp_sock', 'reord_seen'],
    rcv_ooopack: ['tcp_sock', 'rcv_ooopack'],
    snd_wnd: ['tcp_sock', 'snd_wnd'],
    rcv_wnd: ['tcp_sock', 'rcv_wnd'],
    // INET_DIAG_ULP_INFO (tcp_diag_get_aux()): the upper-layer protocol's name, and its state pointer.
    icsk_ulp_ops: ['tcp_sock', 'inet_conn.icsk_ulp_ops'],
    icsk_ulp_data: ['tcp_sock', 'inet_conn.icsk_ulp_data'],
    ulp_name: ['tcp_ulp_ops', 'name'],
    ulp_get_info: ['tcp_ulp_ops', 'get_info'],
  },
} as const

/**
 * What the inet programs read for `-m` (sock_diag_put_meminfo()) and
 * `--tos` (inet_sk_diag_fill()): the `ssx_iter_sock_extra` block, for
 * `iter/tcp` from `tcp_sock`. Resolved only for those listings.
 */
export const ITER_SOCK_EXTRA_TCP_BTF = {
  attach: 'bpf_iter_tcp',
  helpers: {},
  members: {
    sk_rmem_alloc: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_backlog.rmem_alloc.counter'],
    sk_wmem_alloc: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_wmem_alloc.refs.counter'],
    sk_rcvbuf: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_rcvbuf'],
    sk_sndbuf: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_sndbuf'],
    sk_forward_alloc: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_forward_alloc'],
    sk_wmem_queued: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_wmem_queued'],
    sk_omem_alloc: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_omem_alloc.counter'],
    sk_backlog_len: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_backlog.len'],
    sk_drops: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_drops.counter'],
    sk_priority: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_priority'],
    sk_classid: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_cgrp_data.classid'],
    inet_tos: ['tcp_sock', 'inet_conn.icsk_inet.tos'],
    pinet6: ['tcp_sock', 'inet_conn.icsk_inet.pinet6'],
    ipv6_tclass: ['ipv6_pinfo', 'tclass'],
  },
} as const

/** {@link ITER_SOCK_EXTRA_TCP_BTF} for `iter/udp`, from `udp_sock`: the same keys. */
export const ITER_SOCK_EXTRA_UDP_BTF = {
  attach: 'bpf_iter_udp',
  helpers: {},
  members: {
    sk_rmem_alloc: ['udp_sock', 'inet.sk.sk_backlog.rmem_alloc.counter'],
    sk_wmem_alloc: ['udp_sock', 'inet.sk.sk_wmem_alloc.refs.counter'],
    sk_rcvbuf: ['udp_sock', 'inet.sk.sk_rcvbuf'],
    sk_sndbuf: ['udp_sock', 'inet.sk.sk_sndbuf'],
    sk_forward_alloc: ['udp_sock', 'inet.sk.sk_forward_alloc'],
    sk_wmem_queued: ['udp_sock', 'inet.sk.sk_wmem_queued'],
    sk_omem_alloc: ['udp_sock', 'inet.sk.sk_omem_alloc.counter'],
    sk_backlog_len: ['udp_sock', 'inet.sk.sk_backlog.len'],
    sk_drops: ['udp_sock', 'inet.sk.sk_drops.counter'],
    sk_priority: ['udp_sock', 'inet.sk.sk_priority'],
    sk_classid: ['udp_sock', 'inet.sk.sk_cgrp_data.classid'],
    inet_tos: ['udp_sock', 'inet.tos'],
    pinet6: ['udp_sock', 'inet.pinet6'],
    ipv6_tclass: ['ipv6_pinfo', 'tclass'],
  },
} as const satisfies { readonly attach: string, readonly helpers: object, readonly members: { readonly [K in keyof typeof ITER_SOCK_EXTRA_TCP_BTF.members]: readonly [string, string] } }

/**
 * sk_drops_read() on kernels that count drops per NUMA node
 * (`sk_drop_counters`, 6.18): resolved when `-m` is, and only used when the
 * kernel has it (older kernels: `sk_drops` alone).
 */
export const ITER_NUMA_DROPS_TCP_BTF = {
  attach: 'bpf_iter_tcp',
  helpers: {},
  members: {
    sk_drop_counters: ['tcp_sock', 'inet_conn.icsk_inet.sk.sk_drop_counters'],
    ndc_drops0: ['numa_drop_counters', 'drops0.counter'],
    ndc_drops1: ['numa_drop_counters', 'drops1.counter'],
  },
} as const

/** {@link ITER_NUMA_DROPS_TCP_BTF} for `iter/udp`. */
export const ITER_NUMA_DROPS_UDP_BTF = {
  attach: 'bpf_iter_udp',
  helpers: {},
  members: {
    sk_drop_counters: ['udp_sock', 'inet.sk.sk_drop_counters'],
    ndc_drops0: ['numa_drop_counters', 'drops0.counter'],
    ndc_drops1: ['numa_drop_counters', 'drops1.counter'],
  },
} as const

/**
 * What the `iter/tcp` program reads of BBR's private state
 * (`net/ipv4/tcp_bbr.c`, `struct bbr` in `icsk_ca_priv`) for the `-i`
 * line's `bbr:(…)`: resolved apart from {@link ITER_TCP_BTF}, since a
 * kernel with BBR as a module (or without it) has no `struct bbr` in
 * vmlinux BTF; the program then writes no BBR block.
 */
export const ITER_TCP_BBR_BTF = {
  attach: 'bpf_iter_tcp',
  helpers: {},
  members: {
    icsk_ca_priv: ['tcp_sock', 'inet_conn.icsk_ca_priv'],
    min_rtt_us: ['bbr', 'min_rtt_us'],
    pacing_gain: ['bbr', 'pacing_gain'],
    cwnd_gain: ['bbr', 'cwnd_gain'],
    // bbr_bw(): lt_use_bw ? lt_bw : minmax_get(&bbr->bw) (bw.s[0].v), in packets per µs << BW_SCALE.
    bw: ['bbr', 'bw.s'],
    lt_use_bw: ['bbr', 'lt_use_bw'],
    lt_bw: ['bbr', 'lt_bw'],
  },
} as const

/**
 * What the `iter/tcp` program reads of an MPTCP subflow
 * (`struct mptcp_subflow_context`, the `mptcp` ULP's `icsk_ulp_data`) for
 * subflow_get_info() (`net/mptcp/diag.c`), ss's `tcp-ulp-mptcp flags:…
 * token:… seq:…`. Resolved apart, as {@link ITER_TCP_BBR_BTF}: a kernel
 * without MPTCP has no such struct. `icsk_ulp_data` is a `void *`, so the
 * program reads these through `bpf_probe_read_kernel`. The flag members are
 * listed in MPTCP_SUBFLOW_FLAG_* bit order (bit i = entry i).
 */
export const ITER_TCP_MPTCP_BTF = {
  attach: 'bpf_iter_tcp',
  helpers: {},
  members: {
    mp_capable: ['mptcp_subflow_context', 'mp_capable'],
    request_mptcp: ['mptcp_subflow_context', 'request_mptcp'],
    mp_join: ['mptcp_subflow_context', 'mp_join'],
    request_join: ['mptcp_subflow_context', 'request_join'],
    backup: ['mptcp_subflow_context', 'backup'],
    request_bkup: ['mptcp_subflow_context', 'request_bkup'],
    fully_established: ['mptcp_subflow_context', 'fully_established'],
    conn_finished: ['mptcp_subflow_context', 'conn_finished'],
    map_valid: ['mptcp_subflow_context', 'map_valid'],
    remote_token: ['mptcp_subflow_context', 'remote_token'],
    token: ['mptcp_subflow_context', 'token'],
    rel_write_seq: ['mptcp_subflow_context', 'rel_write_seq'],
    map_seq: ['mptcp_subflow_context', 'map_seq'],
    map_subflow_seq: ['mptcp_subflow_context', 'map_subflow_seq'],
    ssn_offset: ['mptcp_subflow_context', 'ssn_offset'],
    map_data_len: ['mptcp_subflow_context', 'map_data_len'],
    remote_id: ['mptcp_subflow_context', 'remote_id'],
    local_id: ['mptcp_subflow_context', 'local_id'],
  },
} as const

/** {@link ITER_TCP_MPTCP_BTF}'s flag members, MPTCP_SUBFLOW_FLAG_* bit i = entry i (`include/uapi/linux/mptcp.h`). */
export const MPTCP_SUBFLOW_FLAG_MEMBERS = ['mp_capable', 'request_mptcp', 'mp_join', 'request_join', 'backup', 'request_bkup', 'fully_established', 'conn_finished', 'map_valid'] as const

/** `BW_SCALE` (`net/ipv4/tcp_bbr.c`): BBR keeps bandwidth in packets per µs scaled by 2^24. */
export const BBR_BW_SCALE = 24

/**
 * `icsk_pending` values (`include/net/inet_connection_sock.h`, `#define`s:
 * not in BTF): the timer inet_sk_diag_fill() reports as 1 (retransmit) or 4
 * (zero-window probe).
 */
export const ICSK_TIME = {
  ICSK_TIME_RETRANS: 1,
  ICSK_TIME_DACK: 2,
  ICSK_TIME_PROBE0: 3,
  ICSK_TIME_LOSS_PROBE: 5,
  ICSK_TIME_REO_TIMEOUT: 6,
} as const

/**
 * `tp->ecn_flags` bits tcp_get_info() reads (`include/net/tcp.h`,
 * `#define`s: not in BTF). TCPI_OPT_ECN is any ECN mode (RFC 3168 or
 * AccECN: `TCP_ECN_MODE_ANY`), TCPI_OPT_ECN_SEEN is `TCP_ECN_SEEN`.
 */
export const TCP_ECN = {
  TCP_ECN_MODE_ANY: 0x01 | 0x10,
  TCP_ECN_SEEN: 0x08,
} as const

/**
 * `enum tcp_chrono` (`include/linux/tcp.h`): `tp->chrono_stat[i - 1]` holds
 * the jiffies spent in state i, `tp->chrono_type` the state being timed.
 */
export const TCP_CHRONO = {
  TCP_CHRONO_BUSY: 1,
  TCP_CHRONO_RWND_LIMITED: 2,
  TCP_CHRONO_SNDBUF_LIMITED: 3,
} as const

/** Where one member is: byte offset, size, and bitfield position (bitSize 0 = whole member). */
export interface MemberSlot {
  readonly off: number
  readonly size: number
  readonly bitShift: number
  readonly bitSize: number
}

/** A name table resolved against one kernel: plain numbers only. */
export interface IterLayoutOf<T extends { readonly helpers: object, readonly members: object }> {
  /** BTF id of the iterator's FUNC (`attach_btf_id`). */
  readonly attachBtfId: number
  readonly helpers: { readonly [K in keyof T['helpers']]: number }
  readonly members: { readonly [K in keyof T['members']]: MemberSlot }
}

/**
 * {@link ITER_TCP_BTF} resolved against one kernel, with
 * {@link ITER_TCP_BBR_BTF} when that kernel's BTF has `struct bbr`.
 */
export type IterLayout = IterLayoutOf<typeof ITER_TCP_BTF> & {
  /** For `-i` and the time predicates. */
  readonly info?: IterLayoutOf<typeof ITER_TCP_INFO_BTF>
  /** For `-m` and `--tos`. */
  readonly extra?: SockExtraLayout
  readonly bbr?: BbrLayout['members']
  readonly mptcp?: MptcpLayout['members']
}

/** {@link ITER_SOCK_EXTRA_TCP_BTF} (or its UDP twin) resolved, with the per-NUMA drop counters when the kernel has them. */
export type SockExtraLayout = { readonly [K in keyof typeof ITER_SOCK_EXTRA_TCP_BTF.members]: MemberSlot } & {
  readonly numaDrops?: { readonly [K in keyof typeof ITER_NUMA_DROPS_TCP_BTF.members]: MemberSlot }
}

/** {@link ITER_TCP_MPTCP_BTF} resolved against one kernel. */
export type MptcpLayout = IterLayoutOf<typeof ITER_TCP_MPTCP_BTF>

/** {@link ITER_TCP_BBR_BTF} resolved against one kernel. */
export type BbrLayout = IterLayoutOf<typeof ITER_TCP_BBR_BTF>

/** {@link ITER_UDP_BTF} resolved against one kernel. */
export type UdpIterLayout = IterLayoutOf<typeof ITER_UDP_BTF> & {
  /** For `-m` and `--tos`. */
  readonly extra?: SockExtraLayout
}

/**
 * The record an `iter/tcp` program writes for each selected socket with
 * `bpf_seq_write`: ssx's own format (not a kernel struct), shared here by
 * the code generator (compiler/) and the decoder (runtime/), which may both
 * import uapi/ only. Every field is naturally aligned: the program builds it
 * on its stack. Ports are host order (the program swaps `skc_dport`),
 * addresses network order. `kind`: 0 full socket, 1 time-wait, 2 request.
 * `tcp` is 1 when the tcp_sock fields were read (full TCP sockets); they
 * hold what `tcp_get_info()` reports under the same `tcpi_` names (`rtt` is
 * `srtt_us >> 3`, `unacked` the accept backlog of a listener, …).
 *
 * `iter/udp` writes the same record (kind 0, tcp 0: a full socket without
 * tcp_info), with `hash_slot` and `hash_depth` (its place in udp_diag's walk:
 * the `udp_table.hash` slot, then the distance to the end of that slot's
 * list), so the user-space side can put the records in the order netlink
 * reports them. 0 in `iter/tcp` records.
 *
 * `timer`, `timer_retrans` and `timer_jiffies` are inet_diag's `idiag_timer`,
 * `idiag_retrans` and `idiag_expires` before the jiffies → ms conversion
 * (the kernel's HZ is not in BTF: user space knows it), written by iter/tcp
 * programs generated with timers.
 */
export const ssx_iter_tcp_rec = defineStruct('ssx_iter_tcp_rec', 176, [
  { name: 'family', kind: 'u8' },
  { name: 'state', kind: 'u8' },
  { name: 'kind', kind: 'u8' },
  { name: 'tcp', kind: 'u8' },
  { name: 'sport', kind: 'u16' },
  { name: 'dport', kind: 'u16' },
  { name: 'ifindex', kind: 'u32' },
  { name: 'uid', kind: 'u32' },
  { name: 'inode', kind: 'u32' },
  { name: 'mark', kind: 'u32' },
  { name: 'rqueue', kind: 'u32' },
  { name: 'wqueue', kind: 'u32' },
  { name: 'shutdown', kind: 'u32' },
  { name: 'src', kind: { bytes: 16 } },
  { name: 'dst', kind: { bytes: 16 } },
  { name: 'v6only', kind: 'u32' },
  { name: 'cookie', kind: 'u64' },
  { name: 'cgroup_id', kind: 'u64' },
  { name: 'rtt', kind: 'u32' },
  { name: 'rttvar', kind: 'u32' },
  { name: 'snd_cwnd', kind: 'u32' },
  { name: 'snd_ssthresh', kind: 'u32' },
  { name: 'snd_mss', kind: 'u32' },
  { name: 'retrans', kind: 'u32' },
  { name: 'lost', kind: 'u32' },
  { name: 'unacked', kind: 'u32' },
  { name: 'total_retrans', kind: 'u32' },
  { name: 'segs_in', kind: 'u32' },
  { name: 'segs_out', kind: 'u32' },
  { name: 'userlocks', kind: 'u32' },
  { name: 'bytes_sent', kind: 'u64' },
  { name: 'bytes_acked', kind: 'u64' },
  { name: 'bytes_received', kind: 'u64' },
  { name: 'hash_slot', kind: 'u32' },
  { name: 'hash_depth', kind: 'u32' },
  { name: 'timer_jiffies', kind: 'u32' },
  { name: 'timer', kind: 'u8' },
  { name: 'timer_retrans', kind: 'u8' },
  { name: 'pad', kind: 'u16' },
] as const)

/**
 * The `-i` block an `iter/tcp` program generated with `info` appends to
 * each {@link ssx_iter_tcp_rec} (the record then is both, back to back):
 * the rest of what `tcp_get_info()` reports (the base record has rtt, cwnd,
 * the counters…), under the same `tcpi_` names, computed as it does,
 * times already in its units (`rto`/`ato` µs, `last_*` ms, the chrono
 * stats µs: the program converts jiffies with the kernel's HZ, which the
 * code generator is given), and `congestion`, `icsk_ca_ops->name`
 * (INET_DIAG_CONG; empty without ops). Zero for sockets without tcp_info;
 * listeners get what tcp_get_info() gives them (pacing rates,
 * reordering, `sacked` = the maximum backlog). `wscale` and `flags7` are
 * tcp_info's bytes 6 and 7 (uapi/tcp-info.ts TCPI_BITS). `cc_info` 1: the
 * `bbr_*` fields hold what bbr_get_info() puts in INET_DIAG_BBRINFO (the
 * socket runs BBR and the kernel's BTF has `struct bbr`); 2: the kernel
 * would send a block of another congestion control (DCTCP, Vegas…), which
 * the program does not read; 0: none. `ulp_info` 1: the socket has an
 * upper-layer protocol named `ulp_name` (INET_DIAG_ULP_INFO); 2: and it is
 * an MPTCP subflow whose `sf_*` fields hold what subflow_get_info()
 * reports; 3: the ULP reports details the program does not read (kTLS).
 */
export const ssx_iter_tcp_info = defineStruct('ssx_iter_tcp_info', 256, [
  { name: 'ca_state', kind: 'u8' },
  { name: 'retransmits', kind: 'u8' },
  { name: 'probes', kind: 'u8' },
  { name: 'backoff', kind: 'u8' },
  { name: 'options', kind: 'u8' },
  { name: 'wscale', kind: 'u8' },
  { name: 'flags7', kind: 'u8' },
  { name: 'cc_info', kind: 'u8' },
  { name: 'rto', kind: 'u32' },
  { name: 'ato', kind: 'u32' },
  { name: 'rcv_mss', kind: 'u32' },
  { name: 'sacked', kind: 'u32' },
  { name: 'last_data_sent', kind: 'u32' },
  { name: 'last_data_recv', kind: 'u32' },
  { name: 'last_ack_recv', kind: 'u32' },
  { name: 'pmtu', kind: 'u32' },
  { name: 'rcv_ssthresh', kind: 'u32' },
  { name: 'advmss', kind: 'u32' },
  { name: 'reordering', kind: 'u32' },
  { name: 'rcv_rtt', kind: 'u32' },
  { name: 'rcv_space', kind: 'u32' },
  { name: 'notsent_bytes', kind: 'u32' },
  { name: 'min_rtt', kind: 'u32' },
  { name: 'data_segs_in', kind: 'u32' },
  { name: 'data_segs_out', kind: 'u32' },
  { name: 'delivered', kind: 'u32' },
  { name: 'delivered_ce', kind: 'u32' },
  { name: 'dsack_dups', kind: 'u32' },
  { name: 'reord_seen', kind: 'u32' },
  { name: 'rcv_ooopack', kind: 'u32' },
  { name: 'snd_wnd', kind: 'u32' },
  { name: 'rcv_wnd', kind: 'u32' },
  { name: 'bbr_min_rtt', kind: 'u32' },
  { name: 'bbr_pacing_gain', kind: 'u32' },
  { name: 'bbr_cwnd_gain', kind: 'u32' },
  { name: 'ulp_info', kind: 'u8' },
  { name: 'sf_id_rem', kind: 'u8' },
  { name: 'sf_id_loc', kind: 'u8' },
  { name: 'pad', kind: 'u8' },
  { name: 'pacing_rate', kind: 'u64' },
  { name: 'max_pacing_rate', kind: 'u64' },
  { name: 'delivery_rate', kind: 'u64' },
  { name: 'busy_time', kind: 'u64' },
  { name: 'rwnd_limited', kind: 'u64' },
  { name: 'sndbuf_limited', kind: 'u64' },
  { name: 'bytes_retrans', kind: 'u64' },
  { name: 'bbr_bw', kind: 'u64' },
  { name: 'congestion', kind: { bytes: 16 } },
  { name: 'ulp_name', kind: { bytes: 16 } },
  { name: 'sf_map_seq', kind: 'u64' },
  { name: 'sf_token_rem', kind: 'u32' },
  { name: 'sf_token_loc', kind: 'u32' },
  { name: 'sf_rel_write_seq', kind: 'u32' },
  { name: 'sf_map_sfseq', kind: 'u32' },
  { name: 'sf_ssn_offset', kind: 'u32' },
  { name: 'sf_flags', kind: 'u32' },
  { name: 'sf_map_datalen', kind: 'u32' },
  { name: 'pad2', kind: 'u32' },
] as const)

/**
 * The block an inet program (iter/tcp, iter/udp) generated with `-m` or
 * `--tos` writes BEFORE each {@link ssx_iter_tcp_rec} (the program's stack
 * holds it right below the record, so one `bpf_seq_write` covers both):
 * `sock_diag_put_meminfo()`'s SK_MEMINFO_* counters (`-m`, ss's
 * `skmem:(…)`) and `inet_sk_diag_fill()`'s INET_DIAG_TOS, INET_DIAG_TCLASS
 * (AF_INET6) and INET_DIAG_CLASS_ID (the net_cls class id, else
 * `sk_priority`). `has`: bit 0 the counters, bit 1 the TOS fields were
 * read (full sockets only, as inet_diag sends them).
 */
export const ssx_iter_sock_extra = defineStruct('ssx_iter_sock_extra', 48, [
  { name: 'rmem_alloc', kind: 'u32' },
  { name: 'rcvbuf', kind: 'u32' },
  { name: 'wmem_alloc', kind: 'u32' },
  { name: 'sndbuf', kind: 'u32' },
  { name: 'fwd_alloc', kind: 'u32' },
  { name: 'wmem_queued', kind: 'u32' },
  { name: 'optmem', kind: 'u32' },
  { name: 'backlog', kind: 'u32' },
  { name: 'drops', kind: 'u32' },
  { name: 'class_id', kind: 'u32' },
  { name: 'tos', kind: 'u8' },
  { name: 'tclass', kind: 'u8' },
  { name: 'has', kind: 'u8' },
  { name: 'pad', kind: { bytes: 5 } },
] as const)

/** {@link ssx_iter_sock_extra}'s `has` bits. */
export const SOCK_EXTRA_HAS = { MEMINFO: 1, TOS: 2 } as const
