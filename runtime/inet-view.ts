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
import { INET_DIAG, IPPROTO, inet_diag_msg } from '../uapi/inet-diag.js'
import { NLA_TYPE_MASK } from '../uapi/netlink.js'
import { decodeInet } from './decode-inet.js'
import type { InetRecord } from './decode-inet.js'
import { DecodeError } from './errors.js'

const O = inet_diag_msg.offsetOf

/** One inet_diag message of the current datagram; see the module comment. */
export class InetMessageView {
  /** The datagram the message is in. */
  bytes: Uint8Array = new Uint8Array(0)
  /** Offset of `struct inet_diag_msg` in {@link InetMessageView.bytes}. */
  at = 0
  /** End of the message (its attributes run from `at + 72` to here). */
  end = 0

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
    this.bytes = bytes
    this.at = at
    this.end = end
    return this
  }

  get family(): number { return this.bytes[this.at + O.idiag_family]! }
  get state(): number { return this.bytes[this.at + O.idiag_state]! }
  get localPort(): number { return this.u16be(O.idiag_sport) }
  get remotePort(): number { return this.u16be(O.idiag_dport) }
  get ifindex(): number { return this.u32le(O.idiag_if) }
  get rqueue(): number { return this.u32le(O.idiag_rqueue) }
  get wqueue(): number { return this.u32le(O.idiag_wqueue) }
  get uid(): number { return this.u32le(O.idiag_uid) }
  get inode(): number { return this.u32le(O.idiag_inode) }
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
