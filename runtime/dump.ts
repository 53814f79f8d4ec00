/**
 * Streaming sock_diag dumps. A {@link Dump} is both a sync and an async
 * iterable of decoded records. It reads the next datagram only when the
 * consumer has taken every record of the previous one, so memory stays
 * constant in the number of sockets and the kernel (which fills the next
 * datagram on each read) is held back by a slow consumer.
 */
import { NLM_F, NLMSG, nlmsghdr } from '../uapi/netlink.js'
import { SOCK_DIAG } from '../uapi/inet-diag.js'
import { DecodeError, NetlinkError } from './errors.js'
import { SS_SEQ, decodeDone, decodeError, messageAt, messageLength, replyEnd, splitMessages } from './message.js'
import { align } from './attributes.js'
import type { DiagSocket } from './netlink.js'
import { decodeRecord } from './record.js'
import type { SocketRecord } from './record.js'
import { encodeDestroyRequest, encodeLegacyTcpRequest, encodeRequest } from './requests.js'
import type { DiagKind, InetSocketId, LegacyTcpRequest, SockDiagRequest } from './requests.js'

/**
 * The data messages of one datagram: the payload of message `i` is
 * `bytes[spans[2i], spans[2i + 1])`, for `i < count`. Reused from datagram
 * to datagram: valid until the iteration moves on.
 */
export class MessageBatch {
  bytes: Uint8Array = new Uint8Array(0)
  spans: Int32Array = new Int32Array(0)
  count = 0

  constructor(
    readonly kind: DiagKind,
    /** inet: the requested protocol (selects the INET_DIAG_INFO layout). */
    readonly protocol: number,
  ) {}

  /**
   * Keep, in order and in place, the messages for which `keep(start, end)`
   * (the payload's bounds in `bytes`) is true; returns how many remain.
   */
  retain(keep: (start: number, end: number) => boolean): number {
    const sp = this.spans
    let m = 0
    for (let i = 0; i < 2 * this.count; i += 2) {
      const start = sp[i]!
      const end = sp[i + 1]!
      if (!keep(start, end)) continue
      sp[2 * m] = start
      sp[2 * m + 1] = end
      m++
    }
    return (this.count = m)
  }

  /** Message `i` decoded (a copy). */
  record(i: number): SocketRecord {
    const start = this.spans[2 * i]!
    return decodeRecord(this.kind, this.bytes.subarray(start, this.spans[2 * i + 1]!), this.protocol, start)
  }
}

/**
 * The reply side of one request, without I/O: feed it datagrams in order
 * and it yields the decoded records, notes NLM_F_DUMP_INTR, and stops at
 * NLMSG_DONE or NLMSG_ERROR. Used by {@link Dump}; usable on captured bytes.
 */
export class ReplyReader {
  /** NLMSG_DONE or a failing NLMSG_ERROR was seen: nothing more will come for this request. */
  finished = false
  /** A message carried NLM_F_DUMP_INTR. */
  interrupted = false
  /** Messages seen so far. */
  messages = 0

  constructor(
    kind: DiagKind,
    /** inet: the requested protocol (selects the INET_DIAG_INFO layout). */
    protocol: number,
    /** nlmsg_type of the records: 20, or 18 for the legacy request. */
    private readonly replyType: number = SOCK_DIAG.SOCK_DIAG_BY_FAMILY,
    private readonly seq: number = SS_SEQ,
  ) {
    this.current = new MessageBatch(kind, protocol)
  }

  /**
   * The records of one datagram.
   * @throws NetlinkError for NLMSG_ERROR (not an ACK) and NLMSG_DONE carrying an errno
   * @throws DecodeError for malformed bytes or a message answering another sequence number
   */
  *read(datagram: Uint8Array): Generator<SocketRecord> {
    for (const b of this.batch(datagram)) for (let i = 0; i < b.count; i++) yield b.record(i)
  }

  /**
   * One datagram's data messages, undecoded: yields one {@link MessageBatch}
   * (reused: valid until the generator resumes), then throws what framing
   * found wrong after them, as {@link ReplyReader.read} does.
   */
  *batch(datagram: Uint8Array): Generator<MessageBatch> {
    const b = this.current
    b.count = this.frame(datagram)
    b.bytes = datagram
    b.spans = this.spans
    yield b
    const e = this.failure
    this.failure = null
    if (e !== null) throw e
  }

  private readonly current: MessageBatch
  /** `[start, end)` of each data message's payload in the datagram last framed, in pairs. */
  private spans = new Int32Array(2048)
  /** What framing the datagram found wrong, thrown once the messages before it are used. */
  private failure: Error | null = null

  /**
   * Walk one datagram's messages: control ones are handled (DONE and
   * ERROR end the reply), data ones are listed in `spans`; returns how many.
   * A malformed message or a failing DONE/ERROR stops the walk, and is kept
   * in `failure`, to be thrown after the caller has used the sockets before
   * it, as they came.
   */
  private frame(datagram: Uint8Array): number {
    const dv = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength)
    let n = 0
    try {
      for (let pos = 0; pos < datagram.length;) {
        const len = messageLength(dv, pos)
        const at = pos
        pos += align(len)
        if (this.finished) throw new DecodeError('nlmsghdr', at, `message of type ${dv.getUint16(at + 4, true)} after the end of the reply`)
        this.messages++
        const seq = dv.getUint32(at + 8, true)
        if (seq !== this.seq) throw new DecodeError('nlmsghdr', at, `nlmsg_seq ${seq} does not answer request ${this.seq}`)
        if (dv.getUint16(at + 6, true) & NLM_F.NLM_F_DUMP_INTR) this.interrupted = true
        const type = dv.getUint16(at + 4, true)
        if (type === this.replyType) {
          if (2 * n + 2 > this.spans.length) {
            const grown = new Int32Array(this.spans.length * 2)
            grown.set(this.spans)
            this.spans = grown
          }
          this.spans[2 * n] = at + nlmsghdr.size
          this.spans[2 * n + 1] = at + len
          n++
        } else if (type === NLMSG.NLMSG_DONE) {
          this.finished = true
          const e = decodeDone(messageAt(datagram, dv, at, len))
          if (e !== 0) throw new NetlinkError('dump', e)
        } else if (type === NLMSG.NLMSG_ERROR) {
          const e = decodeError(messageAt(datagram, dv, at, len))
          if (e.errno === 0) continue // an ACK, if the caller asked for one
          this.finished = true
          throw new NetlinkError('dump', e.errno, e.extAck)
        }
        // NLMSG_NOOP and anything else: nothing to report.
      }
    } catch (e) {
      if (!(e instanceof DecodeError || e instanceof NetlinkError)) throw e
      this.failure = e
    }
    return n
  }

}

/** A running (or finished) dump. Iterate it once, sync or async. */
export class Dump implements Iterable<SocketRecord>, AsyncIterable<SocketRecord> {
  /** Datagrams read so far (for statistics and tests). */
  datagrams = 0
  private started = false
  private readonly reader: ReplyReader

  constructor(
    private readonly socket: DiagSocket,
    private readonly bytes: Uint8Array,
    kind: DiagKind,
    protocol: number,
    replyType: number,
    seq: number,
  ) {
    this.reader = new ReplyReader(kind, protocol, replyType, seq)
  }

  /**
   * True when a reply carried NLM_F_DUMP_INTR: the dump may be
   * inconsistent and can be retried. sock_diag does not set it on current
   * kernels (kernel-sock-diag §6.3), so duplicates are possible anyway.
   */
  get interrupted(): boolean {
    return this.reader.interrupted
  }

  /** Messages read so far. */
  get messages(): number {
    return this.reader.messages
  }

  /** Records one at a time, blocking on each receive. */
  [Symbol.iterator](): Iterator<SocketRecord> {
    return this.records()
  }

  /** The same records for `for await`; receives stay synchronous (the kernel answers a dump at once). */
  async *[Symbol.asyncIterator](): AsyncIterator<SocketRecord> {
    yield* this.records()
  }

  /**
   * The reply a datagram at a time, undecoded ({@link MessageBatch}: valid
   * until the next step), for consumers that read millions of sockets in
   * place (an `InetMessageView`, runtime/inet-view.ts) without a generator step per socket.
   */
  batches(): Iterable<MessageBatch> {
    return { [Symbol.iterator]: () => this.frames() }
  }

  private *records(): Generator<SocketRecord> {
    for (const b of this.frames()) for (let i = 0; i < b.count; i++) yield b.record(i)
  }

  private *frames(): Generator<MessageBatch> {
    if (this.started) throw new NetlinkError('dump', 16 /* EBUSY: a dump is iterated once */)
    this.started = true
    const sock = this.socket
    const reader = this.reader
    sock.acquire()
    let sent = false
    let current: Uint8Array | null = null
    try {
      sock.send(this.bytes)
      sent = true
      while (!reader.finished) {
        current = sock.receive()
        this.datagrams++
        yield* reader.batch(current)
      }
    } finally {
      if (sent && !reader.finished && !(current && endsReply(current))) this.drain()
      sock.release()
    }
  }

  /**
   * The consumer stopped early or a reply failed to decode: read the rest so
   * the socket can be reused. Never blocks: during a dump the kernel queues
   * the next datagram as soon as one is read, so an empty queue means the
   * state is unknown, and the socket is retired rather than left to hang.
   */
  private drain(): void {
    try {
      for (;;) {
        const d = this.socket.tryReceive()
        if (d === null) break
        if (endsReply(d)) return
      }
    } catch {
      // fall through: could not resynchronise
    }
    this.socket.close()
  }
}

/** True when a datagram holds the NLMSG_DONE or NLMSG_ERROR that ends a reply (false when its framing breaks before one). */
const endsReply = (datagram: Uint8Array): boolean => replyEnd(datagram) === 'end'

/** Options of {@link dump}. */
export interface DumpOptions {
  /** nlmsg_seq of the request; default 123456 like ss. */
  readonly seq?: number
}

/**
 * Start a SOCK_DIAG_BY_FAMILY dump. Nothing is sent until iteration begins.
 * Errors: {@link NetlinkError} (`operation: 'dump'` for NLMSG_ERROR and
 * NLMSG_DONE carrying an errno, `'send'`/`'recv'` for syscalls),
 * {@link DecodeError} for malformed replies, RequestError for bad input.
 */
export function dump(socket: DiagSocket, request: SockDiagRequest, opts: DumpOptions = {}): Dump {
  const seq = opts.seq ?? SS_SEQ
  const protocol = request.protocolAttr ?? request.protocol
  return new Dump(socket, encodeRequest(request, { seq }), request.kind, protocol, SOCK_DIAG.SOCK_DIAG_BY_FAMILY, seq)
}

/** Dump with the legacy TCPDIAG_GETSOCK request (replies are type 18, both address families). */
export function dumpLegacyTcp(socket: DiagSocket, request: LegacyTcpRequest, opts: DumpOptions = {}): Dump {
  const seq = opts.seq ?? SS_SEQ
  return new Dump(socket, encodeLegacyTcpRequest(request, { seq }), 'inet', 6, SOCK_DIAG.TCPDIAG_GETSOCK, seq)
}

/**
 * Destroy one TCP/UDP socket with SOCK_DESTROY (needs CAP_NET_ADMIN over
 * the socket's namespace). Resolves on the kernel's ACK.
 * @throws NetlinkError `operation: 'request'`, e.g. ENOENT (gone or cookie mismatch), EPERM, EOPNOTSUPP
 */
export function destroySocket(socket: DiagSocket, id: InetSocketId, protocol: number, opts: DumpOptions = {}): void {
  const seq = opts.seq ?? SS_SEQ
  socket.acquire()
  try {
    socket.send(encodeDestroyRequest(id, protocol, { seq }))
    for (;;) {
      for (const msg of splitMessages(socket.receive())) {
        if (msg.seq !== seq || msg.type !== NLMSG.NLMSG_ERROR) continue
        const e = decodeError(msg)
        if (e.errno !== 0) throw new NetlinkError('request', e.errno, e.extAck)
        return
      }
    }
  } finally {
    socket.release()
  }
}
