/**
 * Netlink message framing: split a received datagram into messages, build
 * request messages, and read the control messages (NLMSG_ERROR, NLMSG_DONE).
 * Pure functions over bytes; the socket lives in `netlink.ts`.
 */
import { NLM_F, NLMSG, NLMSGERR_ATTR, nlmsgerr, nlmsghdr } from '../uapi/netlink.js'
import { AttributeDecoder, align } from './attributes.js'
import { DecodeError } from './errors.js'
import type { ExtAck } from './errors.js'

/** Sequence number ss puts in every sock_diag request (kept so request bytes match ss's). */
export const SS_SEQ = 123456

/** One netlink message inside a datagram. */
export interface Message {
  readonly type: number
  readonly flags: number
  readonly seq: number
  readonly pid: number
  /** Payload after the 16-byte header, as a view into the datagram. */
  readonly payload: Uint8Array
  /** Offset of the message header inside the datagram (for error positions). */
  readonly offset: number
}

/**
 * The messages of one datagram, in order. Throws {@link DecodeError} when a
 * header is truncated, too short, or runs past the datagram.
 */
export function* splitMessages(datagram: Uint8Array): Generator<Message> {
  const view = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength)
  let pos = 0
  while (pos < datagram.length) {
    const len = messageLength(view, pos)
    yield messageAt(datagram, view, pos, len)
    pos += align(len)
  }
}

/**
 * `nlmsg_len` of the message at `pos`, checked against the datagram (`view`
 * spans exactly the datagram): the framing step of {@link splitMessages}, for
 * readers that walk messages without building {@link Message} objects.
 * @throws DecodeError when the header is truncated, too short, or runs past the end
 */
export function messageLength(view: DataView, pos: number): number {
  const left = view.byteLength - pos
  if (left < nlmsghdr.size) throw new DecodeError('nlmsghdr', pos, `needs ${nlmsghdr.size} bytes, ${left} left`)
  const len = view.getUint32(pos, true)
  if (len < nlmsghdr.size) throw new DecodeError('nlmsghdr', pos, `nlmsg_len ${len} is shorter than the header`)
  if (len > left) throw new DecodeError('nlmsghdr', pos, `nlmsg_len ${len} runs past the end of the datagram (${left} bytes left)`)
  return len
}

/** The {@link Message} at `pos` whose length {@link messageLength} returned. */
export function messageAt(datagram: Uint8Array, view: DataView, pos: number, len: number): Message {
  return {
    type: view.getUint16(pos + 4, true),
    flags: view.getUint16(pos + 6, true),
    seq: view.getUint32(pos + 8, true),
    pid: view.getUint32(pos + 12, true),
    payload: datagram.subarray(pos + nlmsghdr.size, pos + len),
    offset: pos,
  }
}

/**
 * Where a datagram leaves its reply: `'end'` when it holds the NLMSG_DONE or
 * NLMSG_ERROR that ends it, `'more'` when every message is framed and none
 * ends it, `'broken'` when the framing fails ({@link messageLength}'s
 * checks) before an end is found. Reads headers only; allocates nothing.
 */
export function replyEnd(datagram: Uint8Array): 'end' | 'more' | 'broken' {
  const d = datagram
  for (let pos = 0; pos < d.length;) {
    if (d.length - pos < nlmsghdr.size) return 'broken'
    const len = (d[pos]! | (d[pos + 1]! << 8) | (d[pos + 2]! << 16) | (d[pos + 3]! << 24)) >>> 0
    if (len < nlmsghdr.size || len > d.length - pos) return 'broken'
    const type = d[pos + 4]! | (d[pos + 5]! << 8)
    if (type === NLMSG.NLMSG_DONE || type === NLMSG.NLMSG_ERROR) return 'end'
    pos += align(len)
  }
  return 'more'
}

/** Header fields of a request; `seq` defaults to ss's 123456 and `pid` to 0 (the kernel fills it in). */
export interface RequestHeader {
  readonly type: number
  readonly flags: number
  readonly seq?: number
  readonly pid?: number
}

/** A complete request message: header + the concatenated parts (each already 4-byte aligned). */
export function encodeMessage(header: RequestHeader, ...parts: readonly Uint8Array[]): Uint8Array {
  let len = nlmsghdr.size
  for (const p of parts) len += p.length
  const out = new Uint8Array(align(len))
  nlmsghdr.encode({
    nlmsg_len: len,
    nlmsg_type: header.type,
    nlmsg_flags: header.flags,
    nlmsg_seq: header.seq ?? SS_SEQ,
    nlmsg_pid: header.pid ?? 0,
  }, new DataView(out.buffer))
  let at = nlmsghdr.size
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** A decoded NLMSG_ERROR: `errno` 0 is an ACK. */
export interface ErrorMessage {
  /** Positive errno, 0 for an ACK. */
  readonly errno: number
  /** Header of the request being answered. */
  readonly request: { readonly len: number, readonly type: number, readonly flags: number, readonly seq: number }
  readonly extAck: ExtAck | undefined
}

/** Decode the payload of an NLMSG_ERROR message, including extended-ack TLVs. */
export function decodeError(msg: Message): ErrorMessage {
  const p = msg.payload
  if (p.length < nlmsgerr.size) throw new DecodeError('nlmsgerr', msg.offset + nlmsghdr.size, `needs ${nlmsgerr.size} bytes, ${p.length} left`)
  const e = nlmsgerr.decode(new DataView(p.buffer, p.byteOffset, p.byteLength))
  let extAck: ExtAck | undefined
  if (msg.flags & NLM_F.NLM_F_ACK_TLVS) {
    // Uncapped errors echo the whole request; the TLVs follow it.
    const echoed = msg.flags & NLM_F.NLM_F_CAPPED ? nlmsghdr.size : align(e.msg_len)
    const start = 4 + echoed
    if (start <= p.length) {
      const ad = new AttributeDecoder(p.subarray(start), msg.offset + nlmsghdr.size + start)
      let message: string | undefined
      let offset: number | undefined
      while (ad.next()) {
        if (ad.type() === NLMSGERR_ATTR.NLMSGERR_ATTR_MSG) message = ad.string()
        else if (ad.type() === NLMSGERR_ATTR.NLMSGERR_ATTR_OFFS) offset = ad.u32()
      }
      ad.finish()
      if (message !== undefined || offset !== undefined) extAck = { message, offset }
    }
  }
  return {
    errno: -e.error,
    request: { len: e.msg_len, type: e.msg_type, flags: e.msg_flags, seq: e.msg_seq },
    extAck,
  }
}

/**
 * The errno carried by NLMSG_DONE: 0 for a clean end, positive errno when
 * the dump callback failed (e.g. ENOENT for an inet protocol without a handler).
 * A DONE without payload (allowed by old kernels) counts as clean.
 */
export function decodeDone(msg: Message): number {
  const p = msg.payload
  if (p.length === 0) return 0
  if (p.length < 4) throw new DecodeError('NLMSG_DONE payload', msg.offset + nlmsghdr.size, `needs 4 bytes, ${p.length} left`)
  return -new DataView(p.buffer, p.byteOffset, 4).getInt32(0, true)
}

/** True for netlink control types (below NLMSG_MIN_TYPE). */
export function isControl(type: number): boolean {
  return type < NLMSG.NLMSG_MIN_TYPE
}
