/**
 * The NETLINK_SOCK_DIAG socket: create, bind, tune, send, receive one
 * datagram at a time. Framing lives in `message.ts`, dumps in `dump.ts`.
 *
 * Receiving peeks the datagram's real length first (MSG_PEEK | MSG_TRUNC)
 * so a datagram larger than the buffer (BPF socket storages) grows the
 * buffer instead of being truncated; the buffer starts at 64 KiB, above
 * the ~32 KiB the kernel uses for dump datagrams (kernel-sock-diag §6.4).
 */
import { AF } from '../uapi/inet-diag.js'
import { NETLINK_OPT, NETLINK_SOCK_DIAG, SO, SOCK, SOL_NETLINK, SOL_SOCKET, sockaddr_nl } from '../uapi/netlink.js'
import { NetlinkError } from './errors.js'
import type { NetlinkOperation } from './errors.js'
import { MSG, errno, libc } from './libc.js'
import { Prefetcher } from './prefetch.js'

const EINTR = 4
const EBADF = 9
const EAGAIN = 11

/** Tuning of a sock_diag socket. */
export interface DiagSocketOptions {
  /** SO_RCVBUF in bytes (default 1 MiB; the kernel caps it at `rmem_max`). 0 leaves the default. */
  readonly rcvbuf?: number
  /** Initial receive buffer in bytes (default 64 KiB, minimum 32 KiB). */
  readonly bufferSize?: number
  /**
   * Start a reader thread ({@link Prefetcher}) once a dump has gone on for
   * this many datagrams (default 32, about ten thousand sockets; 0: never).
   */
  readonly readAheadAfter?: number
  /** Ask for extended-ack TLVs (default true). */
  readonly extAck?: boolean
  /** Do not echo the request inside NLMSG_ERROR (default true). */
  readonly capAck?: boolean
}

function check(op: NetlinkOperation, rc: number): number {
  if (rc < 0) throw new NetlinkError(op, errno())
  return rc
}

function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, v >>> 0, true)
  return b
}

/** Create and bind a raw NETLINK_SOCK_DIAG socket in the current network namespace; returns its fd. */
export function createDiagFd(): number {
  const c = libc()
  const fd = check('socket', c.socket(AF.AF_NETLINK, SOCK.SOCK_RAW | SOCK.SOCK_CLOEXEC, NETLINK_SOCK_DIAG))
  // nl_pid 0: the kernel assigns our port id.
  const rc = c.bind(fd, sockaddr_nl.bytes({ nl_family: AF.AF_NETLINK }), sockaddr_nl.size)
  if (rc < 0) {
    const e = errno()
    c.close(fd)
    throw new NetlinkError('bind', e)
  }
  return fd
}

/**
 * A bound NETLINK_SOCK_DIAG socket. One dump at a time (the kernel answers
 * a second concurrent dump with EBUSY); use several sockets for parallel
 * queries. Close it with {@link DiagSocket.close}.
 */
export class DiagSocket {
  /** Port id the kernel assigned at bind time. */
  readonly portId: number
  private buf: Uint8Array
  private fdOrClosed: number
  private inUse = false
  private readonly prefetch: Prefetcher | null

  /**
   * Wrap a bound sock_diag fd (see {@link createDiagFd}) and tune it.
   * Ownership of `fd` passes to the socket.
   */
  constructor(fd: number, opts: DiagSocketOptions = {}) {
    this.fdOrClosed = fd
    this.buf = new Uint8Array(Math.max(32 * 1024, opts.bufferSize ?? 64 * 1024))
    const after = opts.readAheadAfter ?? 32
    this.prefetch = after > 0 ? new Prefetcher(fd, after) : null
    try {
      const rcvbuf = opts.rcvbuf ?? 1 << 20
      if (rcvbuf > 0) this.setOption(SOL_SOCKET, SO.SO_RCVBUF, rcvbuf)
      if (opts.extAck ?? true) this.setOption(SOL_NETLINK, NETLINK_OPT.NETLINK_EXT_ACK, 1)
      if (opts.capAck ?? true) this.setOption(SOL_NETLINK, NETLINK_OPT.NETLINK_CAP_ACK, 1)
      const addr = new Uint8Array(sockaddr_nl.size)
      check('getsockname', libc().getsockname(fd, addr, new Uint32Array([addr.length])))
      this.portId = sockaddr_nl.decode(new DataView(addr.buffer)).nl_pid
    } catch (e) {
      this.close()
      throw e
    }
  }

  /** Create, bind and tune a socket in the current network namespace. */
  static open(opts: DiagSocketOptions = {}): DiagSocket {
    return new DiagSocket(createDiagFd(), opts)
  }

  /** Datagrams the reader thread has delivered ({@link DiagSocketOptions.readAheadAfter}). */
  get readAhead(): number {
    return this.prefetch?.delivered ?? 0
  }

  /** The file descriptor (-1 once closed). */
  get fd(): number {
    return this.fdOrClosed
  }

  /** Set an integer socket option. */
  setOption(level: number, name: number, value: number): void {
    check('setsockopt', libc().setsockopt(this.live('setsockopt'), level, name, u32Bytes(value), 4))
  }

  /** Read an integer socket option. */
  getOption(level: number, name: number): number {
    const b = new Uint8Array(4)
    check('getsockopt', libc().getsockopt(this.live('getsockopt'), level, name, b, new Uint32Array([4])))
    return new DataView(b.buffer).getUint32(0, true)
  }

  /** Send one request message to the kernel (retrying on EINTR). */
  send(message: Uint8Array): void {
    const c = libc()
    for (;;) {
      const n = c.sendto(this.live('send'), message, message.length, 0, null, 0)
      if (n >= 0) {
        this.prefetch?.sent()
        return
      }
      const e = errno()
      if (e !== EINTR) throw new NetlinkError('send', e)
    }
  }

  /**
   * Block until one datagram arrives and return it. The bytes are a view
   * into a reused buffer: valid until the next `receive`. Retries on EINTR;
   * other errors (ENOBUFS: messages were lost, restart the query) throw
   * {@link NetlinkError} with operation `'recv'`.
   */
  receive(): Uint8Array {
    return this.prefetch?.next() ?? this.received(this.receiveWith(0)!)
  }

  /** Like {@link DiagSocket.receive} but returns null instead of blocking when nothing is queued. */
  tryReceive(): Uint8Array | null {
    // The reader thread only reads while a reply is open: the kernel has its next datagram.
    const ahead = this.prefetch?.next()
    if (ahead) return ahead
    const d = this.receiveWith(MSG.MSG_DONTWAIT)
    return d === null ? null : this.received(d)
  }

  private received(d: Uint8Array): Uint8Array {
    this.prefetch?.received(d)
    return d
  }

  private receiveWith(flags: number): Uint8Array | null {
    // A zero-length peek: the datagram's size without copying it twice.
    const size = this.recv(this.buf, flags | MSG.MSG_PEEK | MSG.MSG_TRUNC, 0)
    if (size < 0) return null
    if (size > this.buf.length) this.buf = new Uint8Array((size + 4095) & ~4095)
    const n = this.recv(this.buf, flags)
    return n < 0 ? null : this.buf.subarray(0, n)
  }

  /** Mark the socket busy for a dump; throws EBUSY if one is running. @internal */
  acquire(): void {
    this.live('dump')
    if (this.inUse) throw new NetlinkError('dump', 16 /* EBUSY */)
    this.inUse = true
  }

  /** End of a dump. @internal */
  release(): void {
    this.inUse = false
  }

  /** Close the fd; further use throws EBADF. Idempotent. */
  close(): void {
    this.prefetch?.close()
    if (this.fdOrClosed >= 0) libc().close(this.fdOrClosed)
    this.fdOrClosed = -1
  }

  /** recv(2) retrying on EINTR; -1 for EAGAIN under MSG_DONTWAIT. */
  private recv(buf: Uint8Array, flags: number, len = buf.length): number {
    const c = libc()
    for (;;) {
      const n = c.recv(this.live(), buf, len, flags)
      if (n >= 0) return n
      const e = errno()
      if (e === EAGAIN && flags & MSG.MSG_DONTWAIT) return -1
      if (e !== EINTR) throw new NetlinkError('recv', e)
    }
  }

  private live(op: NetlinkOperation = 'recv'): number {
    if (this.fdOrClosed < 0) throw new NetlinkError(op, EBADF)
    return this.fdOrClosed
  }
}
