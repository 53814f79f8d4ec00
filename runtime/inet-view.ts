/**
 * A reusable view of one inet_diag reply message, read in place.
 *
 * Hand-written fast path (STYLE: allowed where a benchmark shows the need):
 * a plain listing (`ss -tan`) needs eight fields of each socket, and at a
 * million sockets building a full {@link InetRecord} for each (two address
 * copies, a BigInt cookie, an object that outlives the young generation
 * when output is batched) was a third of the run (bench/RESULTS.md). The
 * view is re-pointed at each message of a datagram and allocates nothing;
 * whatever needs more asks for {@link InetMessageView.record}.
 *
 * Valid only until the dump moves on: the bytes are the receive buffer's.
 * `test/runtime/inet-view.test.ts` checks every getter against the table
 * decoder on arbitrary bytes.
 */
import { INET_DIAG, IPPROTO, inet_diag_meminfo, inet_diag_msg, tcp_bbr_info, tcp_dctcp_info, tcp_diag_md5sig, tcpvegas_info } from '../uapi/inet-diag.js'
import { NLA_TYPE_MASK } from '../uapi/netlink.js'
import { SK_MEMINFO } from '../uapi/sock-diag.js'
import { decodeInet } from './decode-inet.js'
import type { InetRecord } from './decode-inet.js'
import { DecodeError } from './errors.js'

const O = inet_diag_msg.offsetOf

/** Attribute types {@link InetMessageView.scanAttributes} indexes: every INET_DIAG_* of 6.18 (up to 22) and room. */
export const INDEXED_ATTRIBUTES = 32

/**
 * The payload lengths {@link decodeInet} accepts, by attribute type (the
 * sizes its accessors and struct tables check): at least `min`, at most
 * `max`, a multiple of `step`. Types not listed take any length.
 */
const LENGTH_RULES: readonly (readonly [type: number, min: number, max: number, step: number])[] = [
  [INET_DIAG.INET_DIAG_MEMINFO, inet_diag_meminfo.size, 0xffff, 1],
  [INET_DIAG.INET_DIAG_VEGASINFO, tcpvegas_info.size, 0xffff, 1],
  [INET_DIAG.INET_DIAG_DCTCPINFO, tcp_dctcp_info.size, 0xffff, 1],
  [INET_DIAG.INET_DIAG_BBRINFO, tcp_bbr_info.size, 0xffff, 1],
  // u32[], at least the entries up to SK_MEMINFO_BACKLOG.
  [INET_DIAG.INET_DIAG_SKMEMINFO, 4 * (SK_MEMINFO.SK_MEMINFO_BACKLOG + 1), 0xffff, 4],
  [INET_DIAG.INET_DIAG_MD5SIG, 0, 0xffff, tcp_diag_md5sig.size],
  [INET_DIAG.INET_DIAG_TOS, 1, 1, 1],
  [INET_DIAG.INET_DIAG_TCLASS, 1, 1, 1],
  [INET_DIAG.INET_DIAG_SHUTDOWN, 1, 1, 1],
  [INET_DIAG.INET_DIAG_PROTOCOL, 1, 1, 1],
  [INET_DIAG.INET_DIAG_SKV6ONLY, 1, 1, 1],
  [INET_DIAG.INET_DIAG_SOCKOPT, 2, 2, 1],
  [INET_DIAG.INET_DIAG_MARK, 4, 4, 1],
  [INET_DIAG.INET_DIAG_CLASS_ID, 4, 4, 1],
  [INET_DIAG.INET_DIAG_CGROUP_ID, 8, 8, 1],
]
const MIN_LEN = new Int32Array(INDEXED_ATTRIBUTES)
const MAX_LEN = new Int32Array(INDEXED_ATTRIBUTES).fill(0xffff)
const LEN_STEP = new Int32Array(INDEXED_ATTRIBUTES).fill(1)
for (const [type, min, max, step] of LENGTH_RULES) {
  MIN_LEN[type] = min
  MAX_LEN[type] = max
  LEN_STEP[type] = step
}

/** One inet_diag message of the current datagram; see the module comment. */
export class InetMessageView {
  private datagram: Uint8Array = new Uint8Array(0)
  /** The datagram as a DataView, for the wider reads: one load each instead of four. */
  private data = new DataView(this.datagram.buffer)
  /** Offset of `struct inet_diag_msg` in {@link InetMessageView.bytes}. */
  at = 0
  /** End of the message (its attributes run from `at + 72` to here). */
  end = 0

  /**
   * After {@link InetMessageView.scanAttributes}: offset in
   * {@link InetMessageView.bytes} of the payload of the last attribute of
   * each type (the one the record decoder keeps), -1 when absent.
   */
  readonly attrAt = new Int32Array(INDEXED_ATTRIBUTES).fill(-1)
  /** Payload length of each attribute found by {@link InetMessageView.scanAttributes}. */
  readonly attrLen = new Int32Array(INDEXED_ATTRIBUTES)

  constructor(
    /** The requested protocol (selects the INET_DIAG_INFO layout of {@link InetMessageView.record}). */
    public protocol: number = IPPROTO.IPPROTO_TCP,
  ) {}

  /**
   * Point the view at the payload `[at, end)` of `bytes`.
   * @throws DecodeError when the payload is shorter than `struct inet_diag_msg`
   */
  bind(bytes: Uint8Array, at: number, end: number): this {
    if (end - at < inet_diag_msg.size) throw new DecodeError(inet_diag_msg.name, at, `needs ${inet_diag_msg.size} bytes, ${end - at} left`)
    if (bytes !== this.datagram) {
      this.datagram = bytes
      this.data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    }
    this.at = at
    this.end = end
    return this
  }

  /** The datagram the message is in. */
  get bytes(): Uint8Array { return this.datagram }
  get family(): number { return this.bytes[this.at + O.idiag_family]! }
  get state(): number { return this.bytes[this.at + O.idiag_state]! }
  get localPort(): number { return this.u16be(O.idiag_sport) }
  get remotePort(): number { return this.u16be(O.idiag_dport) }
  get ifindex(): number { return this.u32le(O.idiag_if) }
  get rqueue(): number { return this.u32le(O.idiag_rqueue) }
  get wqueue(): number { return this.u32le(O.idiag_wqueue) }
  get uid(): number { return this.u32le(O.idiag_uid) }
  get inode(): number { return this.u32le(O.idiag_inode) }
  get timer(): number { return this.bytes[this.at + O.idiag_timer]! }
  get retrans(): number { return this.bytes[this.at + O.idiag_retrans]! }
  get expires(): number { return this.u32le(O.idiag_expires) }
  /** Offset of the socket cookie (two host-order u32, low word first) in {@link InetMessageView.bytes}. */
  get cookieAt(): number { return this.at + O.idiag_cookie0 }
  /** Offset of the local address (4 or 16 bytes by family, network order) in {@link InetMessageView.bytes}. */
  get localAt(): number { return this.at + O.idiag_src }
  /** Offset of the remote address in {@link InetMessageView.bytes}. */
  get remoteAt(): number { return this.at + O.idiag_dst }

  /** An IPv4 address at `o` as one number (network order: the first byte is the most significant). */
  v4(o: number): number {
    const b = this.bytes
    return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0
  }

  /**
   * INET_DIAG_SKV6ONLY (false when absent, as {@link InetRecord.v6only}
   * reads). Scans the attributes; stops quietly at broken framing, which
   * {@link InetMessageView.record} reports.
   */
  get v6only(): boolean {
    const b = this.bytes
    const end = this.end
    let pos = this.at + inet_diag_msg.size
    while (end - pos >= 4) {
      const len = b[pos]! | (b[pos + 1]! << 8)
      if (len < 4 || len > end - pos) return false
      if (((b[pos + 2]! | (b[pos + 3]! << 8)) & NLA_TYPE_MASK) === INET_DIAG.INET_DIAG_SKV6ONLY) return len === 5 && b[pos + 4] !== 0
      pos += (len + 3) & ~3
    }
    return false
  }

  /**
   * Index the attributes in {@link InetMessageView.attrAt} and
   * {@link InetMessageView.attrLen} (types from {@link INDEXED_ATTRIBUTES}
   * on are skipped, as the record decoder keeps them uninterpreted). Returns
   * false when {@link InetMessageView.record} would throw instead: broken
   * framing, or a payload of a length the decoder refuses. What it does not
   * check is the nesting inside INET_DIAG_ULP_INFO.
   */
  scanAttributes(): boolean {
    const b = this.bytes
    const end = this.end
    const attrAt = this.attrAt
    const attrLen = this.attrLen
    attrAt.fill(-1)
    let pos = this.at + inet_diag_msg.size
    while (pos < end) {
      if (end - pos < 4) return false
      const len = b[pos]! | (b[pos + 1]! << 8)
      if (len < 4 || len > end - pos) return false
      const type = (b[pos + 2]! | (b[pos + 3]! << 8)) & NLA_TYPE_MASK
      if (type < INDEXED_ATTRIBUTES) {
        const n = len - 4
        if (n < MIN_LEN[type]! || n > MAX_LEN[type]! || n % LEN_STEP[type]! !== 0) return false
        attrAt[type] = pos + 4
        attrLen[type] = n
      }
      // The last attribute may omit its padding.
      pos += (len + 3) & ~3
    }
    return true
  }

  /** Host-order u32 at offset `o` of {@link InetMessageView.bytes}. */
  u32(o: number): number {
    return this.data.getUint32(o, true)
  }

  /** Host-order u16 at offset `o` of {@link InetMessageView.bytes}. */
  u16(o: number): number {
    return this.data.getUint16(o, true)
  }

  /**
   * Host-order u64 at offset `o` as a number: exact below 2^53, else the
   * nearest double (as `Number(bigint)` rounds). Check {@link InetMessageView.u32}
   * of the high word when every digit matters.
   */
  u64(o: number): number {
    return this.u32(o) + this.u32(o + 4) * 0x100000000
  }

  /** The whole message decoded (a copy: it stays valid after the dump moves on). */
  record(): InetRecord {
    return decodeInet(this.bytes.subarray(this.at, this.end), this.protocol, this.at)
  }

  private u16be(o: number): number {
    const b = this.bytes
    const p = this.at + o
    return (b[p]! << 8) | b[p + 1]!
  }

  private u32le(o: number): number {
    const b = this.bytes
    const p = this.at + o
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
  }
}
