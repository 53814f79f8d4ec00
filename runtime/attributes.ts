/**
 * Netlink attributes (TLVs): `nla_len` u16 (header included), `nla_type`
 * u16, payload, padding to 4 bytes.
 *
 * {@link AttributeDecoder} follows mdlayher/netlink: iterate with `next()`,
 * read the current payload with typed accessors, and check the sticky error
 * once at the end with `finish()`. An accessor that meets a payload of the
 * wrong size records a {@link DecodeError} and returns 0, so decoders stay
 * straight-line code.
 */
import { NLA_TYPE_MASK, NLMSG_ALIGNTO, nlattr } from '../uapi/netlink.js'
import { DecodeError, RequestError } from './errors.js'

/** Round up to the netlink alignment (4). */
export function align(n: number): number {
  return (n + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1)
}

/** An attribute kept as it came: unknown types, or types a decoder keeps raw. */
export interface RawAttribute {
  readonly type: number
  readonly bytes: Uint8Array
}

const utf8 = new TextDecoder('utf-8')

/** Sequential reader over the attributes of one message. */
export class AttributeDecoder {
  private readonly view: DataView
  private pos = 0
  private at = 0
  private len = 0
  private kind = 0
  private error: DecodeError | null = null

  /**
   * @param bytes the attribute area (everything after the fixed struct)
   * @param base offset of `bytes` inside the message, so errors point at the right byte
   */
  constructor(private readonly bytes: Uint8Array, private readonly base = 0) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** Advance to the next attribute; false at the end or after an error. */
  next(): boolean {
    if (this.error) return false
    const left = this.bytes.length - this.pos
    if (left === 0) return false
    if (left < nlattr.size) return this.fail('nlattr', this.pos, `needs ${nlattr.size} bytes, ${left} left`)
    const nlaLen = this.view.getUint16(this.pos, true)
    if (nlaLen < nlattr.size) return this.fail('nlattr', this.pos, `nla_len ${nlaLen} is shorter than its header`)
    if (nlaLen > left) return this.fail('nlattr', this.pos, `nla_len ${nlaLen} runs past the end (${left} bytes left)`)
    this.kind = this.view.getUint16(this.pos + 2, true) & NLA_TYPE_MASK
    this.at = this.pos + nlattr.size
    this.len = nlaLen - nlattr.size
    // The last attribute may omit its padding.
    this.pos = Math.min(this.bytes.length, this.pos + align(nlaLen))
    return true
  }

  /** Type of the current attribute (flags masked off). */
  type(): number {
    return this.kind
  }

  /** Payload length of the current attribute. */
  length(): number {
    return this.len
  }

  /** A copy of the payload (safe to keep after the receive buffer is reused). */
  bytesCopy(): Uint8Array {
    return this.bytes.slice(this.at, this.at + this.len)
  }

  /** The payload as a view into the receive buffer (valid only until the next receive). */
  bytesView(): Uint8Array {
    return this.bytes.subarray(this.at, this.at + this.len)
  }

  /** The current attribute, copied, as a {@link RawAttribute}. */
  raw(): RawAttribute {
    return { type: this.kind, bytes: this.bytesCopy() }
  }

  /** DataView and offset of the payload, for struct-table decoding. */
  payload(): { readonly view: DataView, readonly offset: number, readonly length: number } {
    return { view: this.view, offset: this.at, length: this.len }
  }

  /** u8 payload (exactly 1 byte). */
  u8(): number {
    return this.sized(1, 'u8') ? this.view.getUint8(this.at) : 0
  }

  /** u16 host-order payload (exactly 2 bytes). */
  u16(): number {
    return this.sized(2, 'u16') ? this.view.getUint16(this.at, true) : 0
  }

  /** u32 host-order payload (exactly 4 bytes). */
  u32(): number {
    return this.sized(4, 'u32') ? this.view.getUint32(this.at, true) : 0
  }

  /** u64 host-order payload (exactly 8 bytes). */
  u64(): bigint {
    return this.sized(8, 'u64') ? this.view.getBigUint64(this.at, true) : 0n
  }

  /** Array of host-order u32 (payload length a multiple of 4). */
  u32Array(): number[] {
    if (this.len % 4 !== 0) {
      this.fail(`attribute ${this.kind} (u32[])`, this.at, `length ${this.len} is not a multiple of 4`)
      return []
    }
    const out: number[] = []
    for (let o = this.at; o < this.at + this.len; o += 4) out.push(this.view.getUint32(o, true))
    return out
  }

  /** NUL-terminated (or unterminated) string payload, cut at the first NUL. */
  string(): string {
    const b = this.bytesView()
    const nul = b.indexOf(0)
    return utf8.decode(nul === -1 ? b : b.subarray(0, nul))
  }

  /** Record an error for the current attribute (for decoders checking structs themselves). */
  invalid(what: string, reason: string): void {
    this.fail(`attribute ${this.kind} (${what})`, this.at, reason)
  }

  /** The sticky error, if any. */
  err(): DecodeError | null {
    return this.error
  }

  /** Throw the sticky error, if any. Call once after the loop. */
  finish(): void {
    if (this.error) throw this.error
  }

  private sized(n: number, what: string): boolean {
    if (this.len === n) return true
    this.fail(`attribute ${this.kind} (${what})`, this.at, `payload is ${this.len} bytes, expected ${n}`)
    return false
  }

  private fail(what: string, at: number, reason: string): false {
    this.error ??= new DecodeError(what, this.base + at, reason)
    return false
  }
}

/** Encode one attribute (header, payload, zero padding). */
export function encodeAttribute(type: number, payload: Uint8Array): Uint8Array {
  const len = nlattr.size + payload.length
  if (len > 0xffff) throw new RequestError(`attribute ${type}`, `has ${payload.length} bytes, more than nla_len can hold`)
  const out = new Uint8Array(align(len))
  nlattr.encode({ nla_len: len, nla_type: type }, new DataView(out.buffer))
  out.set(payload, nlattr.size)
  return out
}

/** Encode a u32 (host order) attribute. */
export function encodeU32Attribute(type: number, value: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, value >>> 0, true)
  return encodeAttribute(type, b)
}
