/**
 * The `iter/unix` socket iterator as data: what its program needs from the
 * running kernel's BTF, by name ({@link ITER_UNIX_BTF}), and the record it
 * writes for each selected socket ({@link ssx_iter_unix_rec}). The sibling
 * of `ITER_TCP_BTF` / `ssx_iter_tcp_rec` in uapi/bpf.ts.
 *
 * No offset or helper number here: the runtime resolves the table against
 * BTF into an {@link IterUnixLayout}, which the code generator reads.
 */
import { defineStruct } from './struct.js'
import type { MemberSlot } from './bpf.js'

/**
 * Names the `iter/unix` program needs: the attach FUNC, helpers
 * (`enum bpf_func_id`) and member paths (dotted through named members;
 * anonymous structs and unions are entered by the BTF reader). The context
 * is `struct bpf_iter__unix { meta; unix_sk; uid; }` (net/unix/af_unix.c).
 * Queues are read as `unix_diag`'s `sk_diag_show_rqlen()` reports them
 * (net/unix/diag.c): listeners the accept queue length and backlog, others
 * `unix_inq_len()` and `unix_outq_len()` (net/unix/af_unix.c).
 */
export const ITER_UNIX_BTF = {
  attach: 'bpf_iter_unix',
  helpers: {
    seq_write: 'BPF_FUNC_seq_write',
    probe_read_kernel: 'BPF_FUNC_probe_read_kernel',
    get_socket_cookie: 'BPF_FUNC_get_socket_cookie',
  },
  members: {
    ctx_meta: ['bpf_iter__unix', 'meta'],
    ctx_unix_sk: ['bpf_iter__unix', 'unix_sk'],
    ctx_uid: ['bpf_iter__unix', 'uid'],
    meta_seq: ['bpf_iter_meta', 'seq'],
    skc_family: ['unix_sock', 'sk.__sk_common.skc_family'],
    skc_state: ['unix_sock', 'sk.__sk_common.skc_state'],
    sk_type: ['unix_sock', 'sk.sk_type'],
    sk_shutdown: ['unix_sock', 'sk.sk_shutdown'],
    /** What `sock_i_ino()` returns (0 for a socket without a file: embryos of pending connections). */
    sk_ino: ['unix_sock', 'sk.sk_ino'],
    sk_ack_backlog: ['unix_sock', 'sk.sk_ack_backlog'],
    sk_max_ack_backlog: ['unix_sock', 'sk.sk_max_ack_backlog'],
    rq_qlen: ['unix_sock', 'sk.sk_receive_queue.qlen'],
    rq_next: ['unix_sock', 'sk.sk_receive_queue.next'],
    /** `sk_wmem_alloc_get()` is this minus one. */
    sk_wmem_alloc: ['unix_sock', 'sk.sk_wmem_alloc.refs.counter'],
    /** Bytes queued on a SOCK_STREAM socket, kept by the kernel (what `unix_inq_len()` returns for streams). */
    inq_len: ['unix_sock', 'inq_len'],
    addr: ['unix_sock', 'addr'],
    peer: ['unix_sock', 'peer'],
    peer_ino: ['sock', 'sk_ino'],
    addr_len: ['unix_address', 'len'],
    addr_name: ['unix_address', 'name'],
    sun_path: ['sockaddr_un', 'sun_path'],
    skb_next: ['sk_buff', 'next'],
    skb_len: ['sk_buff', 'len'],
  },
} as const

/** {@link ITER_UNIX_BTF} resolved against one kernel: plain numbers only. */
export interface IterUnixLayout {
  /** BTF id of the iterator's FUNC (`attach_btf_id`). */
  readonly attachBtfId: number
  readonly helpers: { readonly [K in keyof typeof ITER_UNIX_BTF.helpers]: number }
  readonly members: { readonly [K in keyof typeof ITER_UNIX_BTF.members]: MemberSlot }
}

/** Room for a name: `sizeof(((struct sockaddr_un *)0)->sun_path)`, fixed by the ABI (`UNIX_PATH_MAX`). */
export const UNIX_PATH_MAX = 108

/**
 * The record an `iter/unix` program builds for each selected socket: ssx's
 * own format, shared by the code generator and the decoder. Naturally
 * aligned (built on the program's stack); written as its first
 * {@link UNIX_REC_HEAD} bytes and then `name_len` bytes of `name`, so records
 * in the output are of varying length. It carries what `unix_diag`
 * replies with for ss's request (NAME, PEER, RQLEN, SHUTDOWN, UID):
 * `named` is 1 when the socket has an address, `name_len` bytes of `name`
 * being UNIX_DIAG_NAME (`addr->len` minus the `sun_family` field); `has_peer`
 * is 1 when UNIX_DIAG_PEER would be sent, `peer` its inode.
 */
export const ssx_iter_unix_rec = defineStruct('ssx_iter_unix_rec', 152, [
  { name: 'family', kind: 'u8' },
  { name: 'state', kind: 'u8' },
  { name: 'type', kind: 'u16' },
  { name: 'named', kind: 'u8' },
  { name: 'has_peer', kind: 'u8' },
  { name: 'name_len', kind: 'u8' },
  { name: 'shutdown', kind: 'u8' },
  { name: 'inode', kind: 'u32' },
  { name: 'peer', kind: 'u32' },
  { name: 'rqueue', kind: 'u32' },
  { name: 'wqueue', kind: 'u32' },
  { name: 'uid', kind: 'u32' },
  { name: 'pad', kind: 'u32' },
  { name: 'cookie', kind: 'u64' },
  { name: 'name', kind: { bytes: UNIX_PATH_MAX } },
  { name: 'pad2', kind: { bytes: 4 } },
] as const)

/** Bytes of {@link ssx_iter_unix_rec} written before the name: everything up to it. */
export const UNIX_REC_HEAD = ssx_iter_unix_rec.offsetOf.name
