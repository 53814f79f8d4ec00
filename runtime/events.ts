/**
 * Socket-destroy events: a NETLINK_SOCK_DIAG socket subscribed to the
 * `SKNLGRP_*_DESTROY` multicast groups (kernel-sock-diag §6.6), with an
 * optional classic BPF program attached so that the kernel drops the events
 * nobody asked for before they are queued (bpf-targets §1).
 *
 * Every TCP/UDP full socket freed in the namespace is announced as one
 * `SOCK_DIAG_BY_FAMILY` message: `inet_diag_msg` + INET_DIAG_PROTOCOL (u8)
 * + INET_DIAG_INFO (tcp_info for TCP). Announcements are per namespace, for
 * both ends of a connection and for listeners.
 *
 * ```ts
 * const ev = openDiagEvents({ netns: 'blue', groups: destroyGroups({ tcp: true, udp: false, ipv4: true, ipv6: true }) })
 * try {
 *   for (;;) for (const e of ev.receive()) console.log(e.protocol, e.record.localPort)
 * } finally {
 *   ev.close()
 * }
 * ```
 */
import { AF, INET_DIAG, IPPROTO, SOCK_DIAG, inet_diag_msg } from '../uapi/inet-diag.js'
import { NETLINK_OPT, SO, SOL_NETLINK, SOL_SOCKET, sockaddr_nl } from '../uapi/netlink.js'
import { SKNLGRP } from '../uapi/sock-diag.js'
import { AttributeDecoder } from './attributes.js'
import type { InetRecord } from './decode-inet.js'
import { decodeInet } from './decode-inet.js'
import { NetlinkError, RequestError } from './errors.js'
import { MSG, POLL, SOCK_FPROG_SIZE, errno, libc } from './libc.js'
import { splitMessages } from './message.js'
import type { DiagSocket } from './netlink.js'
import { openDiag } from './netns.js'
import type { OpenDiagOptions } from './netns.js'

const EINTR = 4
const EAGAIN = 11

/** The destroy groups: which protocol and address family each one announces. */
export const DESTROY_GROUPS: readonly { readonly group: number, readonly family: number, readonly protocol: number }[] = [
  { group: SKNLGRP.SKNLGRP_INET_TCP_DESTROY, family: AF.AF_INET, protocol: IPPROTO.IPPROTO_TCP },
  { group: SKNLGRP.SKNLGRP_INET_UDP_DESTROY, family: AF.AF_INET, protocol: IPPROTO.IPPROTO_UDP },
  { group: SKNLGRP.SKNLGRP_INET6_TCP_DESTROY, family: AF.AF_INET6, protocol: IPPROTO.IPPROTO_TCP },
  { group: SKNLGRP.SKNLGRP_INET6_UDP_DESTROY, family: AF.AF_INET6, protocol: IPPROTO.IPPROTO_UDP },
]

/** What to listen to: protocols × address families. */
export interface DestroySelection {
  readonly tcp: boolean
  readonly udp: boolean
  readonly ipv4: boolean
  readonly ipv6: boolean
}

/** The groups announcing the selected protocols and families, in group order (empty: nothing to listen to). */
export function destroyGroups(sel: DestroySelection): number[] {
  return DESTROY_GROUPS
    .filter((g) => (g.family === AF.AF_INET ? sel.ipv4 : sel.ipv6) && (g.protocol === IPPROTO.IPPROTO_TCP ? sel.tcp : sel.udp))
    .map((g) => g.group)
}

/**
 * The `nl_groups` bind mask for groups: bit `g - 1` per group `g` (the form
 * `bind(2)` and `getsockname(2)` use; the kernel numbers groups from 1).
 * @throws RequestError for a group outside 1–32
 */
export function groupMask(groups: readonly number[]): number {
  let mask = 0
  for (const g of groups) {
    if (!Number.isInteger(g) || g < 1 || g > 32) throw new RequestError('group', `${g} is not a netlink multicast group (1-32)`)
    mask |= 1 << (g - 1)
  }
  return mask >>> 0
}

/** One destroyed socket. */
export interface DestroyEvent {
  /** The socket as it was when freed (state is usually TCP_CLOSE; `uid`, `inode`, `timer` are 0). */
  readonly record: InetRecord
  /** IPPROTO_* from INET_DIAG_PROTOCOL (TCP when absent). */
  readonly protocol: number
  /**
   * The whole netlink message, header included: the bytes a socket filter
   * sees. A view into the receive buffer, valid until the next receive.
   */
  readonly message: Uint8Array
}

/** INET_DIAG_PROTOCOL of an inet_diag payload, or undefined. Malformed attributes are left to the full decoder. */
function protocolOf(payload: Uint8Array, base: number): number | undefined {
  if (payload.length <= inet_diag_msg.size) return undefined
  const ad = new AttributeDecoder(payload.subarray(inet_diag_msg.size), base + inet_diag_msg.size)
  try {
    while (ad.next()) if (ad.type() === INET_DIAG.INET_DIAG_PROTOCOL) return ad.u8()
  } catch {
    // decodeInet reports it with its position
  }
  return undefined
}

/**
 * The destroy events of one datagram, in order. Messages of other types
 * (NLMSG_NOOP, anything unexpected on a multicast socket) are skipped.
 * @throws DecodeError for malformed framing or payloads
 */
export function* decodeDestroyEvents(datagram: Uint8Array): Generator<DestroyEvent> {
  for (const msg of splitMessages(datagram)) {
    if (msg.type !== SOCK_DIAG.SOCK_DIAG_BY_FAMILY) continue
    const base = msg.offset + 16
    // The layout of INET_DIAG_INFO depends on the protocol, which the message itself carries.
    const protocol = protocolOf(msg.payload, base) ?? IPPROTO.IPPROTO_TCP
    const record = decodeInet(msg.payload, protocol, base)
    yield { record, protocol, message: datagram.subarray(msg.offset, msg.offset + 16 + msg.payload.length) }
  }
}

/** Largest classic BPF program the kernel accepts (`BPF_MAXINSNS`). */
export const BPF_MAXINSNS = 4096
/** `sizeof(struct sock_filter)`: u16 code, u8 jt, u8 jf, u32 k. */
export const SOCK_FILTER_SIZE = 8
/** A socket filter's return value that keeps the whole message (any non-zero value keeps that many bytes). */
export const BPF_ACCEPT_ALL = 0xffffffff

/** Options of {@link openDiagEvents}. */
export interface OpenDiagEventsOptions extends OpenDiagOptions {
  /** `SKNLGRP_*` groups to join ({@link destroyGroups}); at least one. */
  readonly groups: readonly number[]
  /** A classic BPF program (`struct sock_filter[]` bytes, host order) to attach before joining. */
  readonly filter?: Uint8Array
}

/** Counters of a {@link DiagEvents} socket. */
export interface DiagEventsStats {
  /** Datagrams received. */
  datagrams: number
  /** Destroy messages received (after the kernel-side filter). */
  messages: number
  /** Times the kernel reported lost messages (ENOBUFS: the receive queue overflowed). */
  overflows: number
}

/**
 * A sock_diag socket subscribed to destroy groups. Receive with
 * {@link DiagEvents.receive} (blocking) or {@link DiagEvents.tryReceive},
 * wait without blocking the event loop with {@link DiagEvents.wait}.
 */
export class DiagEvents {
  /** Counters, for statistics and tests. */
  readonly stats: DiagEventsStats = { datagrams: 0, messages: 0, overflows: 0 }
  private readonly pollfd = new Uint8Array(8)
  /** Buffer of {@link DiagEvents.receiveWithin}; grows to the largest datagram peeked. */
  private buf = new Uint8Array(64 * 1024)
  /** SO_RCVTIMEO currently set, in ms (0: none). */
  private timeoutMs = 0

  /**
   * Subscribe `socket` (ownership passes to this object) to `groups`,
   * attaching `filter` first when given so that no unfiltered announcement
   * is ever queued. On failure the socket is closed.
   */
  constructor(readonly socket: DiagSocket, readonly groups: readonly number[], filter?: Uint8Array) {
    try {
      groupMask(groups) // validates
      if (filter) this.attachFilter(filter)
      // NETLINK_ADD_MEMBERSHIP takes the group number, not the bind mask.
      for (const g of groups) socket.setOption(SOL_NETLINK, NETLINK_OPT.NETLINK_ADD_MEMBERSHIP, g)
    } catch (e) {
      socket.close()
      throw e
    }
  }

  /** The groups the kernel has this socket in, as a bind mask (`getsockname`'s `nl_groups`). */
  subscribedMask(): number {
    const addr = new Uint8Array(sockaddr_nl.size)
    if (libc().getsockname(this.socket.fd, addr, new Uint32Array([addr.length])) < 0) throw new NetlinkError('getsockname', errno())
    return sockaddr_nl.decode(new DataView(addr.buffer)).nl_groups >>> 0
  }

  /**
   * Attach a classic BPF program (replacing any other). From then on the
   * kernel runs it on every announcement and queues only those it accepts;
   * messages queued before the call stay queued.
   * @throws RequestError when the bytes are not whole `sock_filter`s or too many
   * @throws NetlinkError `setsockopt` EINVAL when the kernel's checker refuses the program
   */
  attachFilter(program: Uint8Array): void {
    const n = program.length / SOCK_FILTER_SIZE
    if (!Number.isInteger(n) || n === 0 || n > BPF_MAXINSNS) {
      throw new RequestError('filter', `must be 1 to ${BPF_MAXINSNS} instructions of ${SOCK_FILTER_SIZE} bytes, got ${program.length} bytes`)
    }
    const rc = libc().setsockoptFprog(this.socket.fd, SOL_SOCKET, SO.SO_ATTACH_FILTER, { len: n, filter: program }, SOCK_FPROG_SIZE)
    if (rc < 0) throw new NetlinkError('setsockopt', errno())
  }

  /** Remove the attached program; false when none was attached. */
  detachFilter(): boolean {
    const rc = libc().setsockopt(this.socket.fd, SOL_SOCKET, SO.SO_DETACH_FILTER, new Uint8Array(4), 4)
    if (rc === 0) return true
    const e = errno()
    if (e === 2 /* ENOENT */) return false
    throw new NetlinkError('setsockopt', e)
  }

  /**
   * Block until a datagram arrives; its events (possibly none).
   * @throws NetlinkError `recv` ENOBUFS when announcements were lost (counted in `stats.overflows`; the socket stays usable)
   */
  receive(): DestroyEvent[] {
    return this.decode(this.counted(() => this.socket.receive()))
  }

  /** The events of the next queued datagram, or null when none is queued. Errors as {@link DiagEvents.receive}. */
  tryReceive(): DestroyEvent[] | null {
    const d = this.counted(() => this.socket.tryReceive())
    return d === null ? null : this.decode(d)
  }

  /**
   * Block until a datagram arrives, at most `timeoutMs` (SO_RCVTIMEO), and
   * return its events; null when the time ran out or a signal interrupted
   * the wait (so the caller can let its signal handlers run).
   *
   * This is the cheap way to follow a stream: the thread sleeps in the
   * kernel and wakes once per datagram, where going through the event loop
   * costs a worker-thread round trip and a loop wake-up per datagram
   * (about 0.3 ms of CPU each on a busy machine, 70× what ss spends on an
   * event). The event loop does not run meanwhile.
   * @throws NetlinkError `recv` ENOBUFS as {@link DiagEvents.receive}
   */
  receiveWithin(timeoutMs: number): DestroyEvent[] | null {
    const ms = Math.max(1, Math.floor(timeoutMs))
    if (ms !== this.timeoutMs) {
      const tv = new Uint8Array(16)
      const v = new DataView(tv.buffer)
      v.setBigInt64(0, BigInt(Math.floor(ms / 1000)), true)
      v.setBigInt64(8, BigInt((ms % 1000) * 1000), true)
      if (libc().setsockopt(this.socket.fd, SOL_SOCKET, SO.SO_RCVTIMEO, tv, 16) < 0) throw new NetlinkError('setsockopt', errno())
      this.timeoutMs = ms
    }
    // Peek first: MSG_TRUNC makes it return the datagram's real length, so a large one grows the buffer instead of being cut.
    const size = this.counted(() => this.recvOnce(this.buf, MSG.MSG_PEEK | MSG.MSG_TRUNC))
    if (size < 0) return null
    if (size > this.buf.length) this.buf = new Uint8Array((size + 4095) & ~4095)
    const n = this.counted(() => this.recvOnce(this.buf, MSG.MSG_DONTWAIT))
    return n < 0 ? null : this.decode(this.buf.subarray(0, n))
  }

  /** One recv(2): its length, or -1 for a timeout, EINTR or nothing queued. */
  private recvOnce(buf: Uint8Array, flags: number): number {
    const n = libc().recv(this.socket.fd, buf, buf.length, flags)
    if (n >= 0) return n
    const e = errno()
    if (e === EAGAIN || e === EINTR) return -1
    throw new NetlinkError('recv', e)
  }

  /**
   * Resolve once a datagram is queued (true) or after `timeoutMs` (false),
   * without blocking the event loop: `poll(2)` runs on a worker thread.
   */
  wait(timeoutMs: number): Promise<boolean> {
    const v = new DataView(this.pollfd.buffer)
    v.setInt32(0, this.socket.fd, true)
    v.setInt16(4, POLL.POLLIN, true)
    v.setInt16(6, 0, true)
    return new Promise((resolve) => {
      // Any readiness (POLLIN, POLLERR for ENOBUFS) or an error is "go and receive": the receive reports it.
      libc().poll.async(this.pollfd, 1, Math.max(0, Math.floor(timeoutMs)), (err, rc) => resolve(err != null || rc !== 0))
    })
  }

  /** Close the socket. Idempotent. */
  close(): void {
    this.socket.close()
  }

  private counted<T>(recv: () => T): T {
    try {
      return recv()
    } catch (e) {
      if (e instanceof NetlinkError && e.errnoName === 'ENOBUFS') this.stats.overflows++
      throw e
    }
  }

  private decode(datagram: Uint8Array): DestroyEvent[] {
    this.stats.datagrams++
    const out = [...decodeDestroyEvents(datagram)]
    this.stats.messages += out.length
    return out
  }
}

/**
 * Open a sock_diag socket (in `opts.netns` when given) subscribed to
 * `opts.groups`, with `opts.filter` attached first when given (so no
 * unfiltered announcement is ever queued).
 * @throws RequestError for no groups or a bad group/program
 * @throws NetlinkError as {@link openDiag}; `setsockopt` EPERM without CAP_NET_ADMIN, EINVAL for a refused program
 */
export function openDiagEvents(opts: OpenDiagEventsOptions): DiagEvents {
  if (opts.groups.length === 0) throw new RequestError('groups', 'must name at least one destroy group')
  groupMask(opts.groups)
  return new DiagEvents(openDiag(opts), opts.groups, opts.filter)
}
