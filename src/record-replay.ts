/**
 * `-D FILE` and `TCPDIAG_FILE`: ss's recording of raw TCP sock_diag replies
 * and its replay without a kernel.
 *
 * The recording is what ss 6.1 writes: every datagram received for the TCP
 * requests (AF_INET, then AF_INET6 unless the preferred family says
 * otherwise), as received, concatenated, DONE messages included. No
 * bytecode is sent: ss handles `-D` before it parses the filter.
 *
 * The replay reads such a file message by message, like ss's
 * `tcp_show_netlink_file`: it stops at the first NLMSG_DONE (so a two-family
 * recording replays its AF_INET part only, as in ss) unless asked to read
 * to the end of the file.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { AF, IPPROTO, SOCK_DIAG } from '../uapi/inet-diag.js'
import { NLMSG } from '../uapi/netlink.js'
import { DecodeError, ReplyReader, SS_SEQ, encodeRequest, openDiag } from '../runtime/index.js'
import type { DiagSocket, SocketRecord, SockDiagRequest } from '../runtime/index.js'

/** What {@link recordTcp} sends. */
export interface RecordOptions {
  /** `ip netns` name or path; the current namespace when absent. */
  readonly netns?: string
  /** `idiag_states` of the TCP requests (ss: the state set). */
  readonly states: number
  /** `idiag_ext` (ss: from `-m`, `-i`, `--tos`). */
  readonly ext?: number
  /** ss's `preferred_family`: AF_INET6 → AF_INET6 only; AF_INET → AF_INET only; else both. */
  readonly preferredFamily?: number
  /** A sock_diag socket to use (not closed); else one is opened in `netns`. */
  readonly socket?: DiagSocket
}

/** What a recording wrote. */
export interface RecordResult {
  readonly datagrams: number
  readonly bytes: number
}

const NLMSG_HDRLEN = 16
const align4 = (n: number): number => (n + 3) & ~3

/**
 * Write the raw TCP replies to an open file descriptor, as `ss -D` does.
 * @throws NetlinkError when a request fails (the datagram carrying the error is written first, as ss does)
 */
export function recordTcp(fd: number, opts: RecordOptions): RecordResult {
  const own = opts.socket === undefined
  const sock = opts.socket ?? openDiag(opts.netns === undefined ? {} : { netns: opts.netns })
  const families = opts.preferredFamily === AF.AF_INET6 ? [AF.AF_INET6] : opts.preferredFamily === AF.AF_INET ? [AF.AF_INET] : [AF.AF_INET, AF.AF_INET6]
  let datagrams = 0
  let bytes = 0
  try {
    for (const family of families) {
      const req: SockDiagRequest = { kind: 'inet', family, protocol: IPPROTO.IPPROTO_TCP, states: opts.states, ext: opts.ext ?? 0, bytecode: null }
      const reader = new ReplyReader('inet', IPPROTO.IPPROTO_TCP)
      sock.acquire()
      try {
        sock.send(encodeRequest(req))
        while (!reader.finished) {
          const d = sock.receive()
          writeAll(fd, d)
          datagrams++
          bytes += d.length
          // Decoding checks the framing and finds the end; the records are not kept.
          for (const _ of reader.read(d)) void _
        }
      } finally {
        sock.release()
      }
    }
  } finally {
    if (own) sock.close()
  }
  return { datagrams, bytes }
}

/** Write the raw TCP replies to a file (created or truncated), as `ss -D FILE`. */
export function recordTcpFile(path: string, opts: RecordOptions): RecordResult {
  const fd = openSync(path, 'w')
  try {
    return recordTcp(fd, opts)
  } finally {
    closeSync(fd)
  }
}

function writeAll(fd: number, b: Uint8Array): void {
  let off = 0
  while (off < b.length) off += writeSync(fd, b, off, b.length - off)
}

/** Options of {@link replayTcp}. */
export interface ReplayOptions {
  /** Read every reply in the file instead of stopping at the first NLMSG_DONE like ss. */
  readonly untilEof?: boolean
}

/**
 * Decode a `-D` recording without a kernel. Streams: reads one message at a
 * time through the runtime's {@link ReplyReader}.
 * @throws NetlinkError for a recorded NLMSG_ERROR or DONE carrying an errno
 * @throws DecodeError for a truncated or malformed file
 */
export function* replayTcp(fd: number, opts: ReplayOptions = {}): Generator<SocketRecord> {
  const head = new Uint8Array(NLMSG_HDRLEN)
  const view = new DataView(head.buffer)
  let reader = new ReplyReader('inet', IPPROTO.IPPROTO_TCP, SOCK_DIAG.SOCK_DIAG_BY_FAMILY, SS_SEQ)
  let offset = 0
  let body = new Uint8Array(4096)
  for (;;) {
    const n = readFull(fd, head)
    if (n === 0) return
    if (n < NLMSG_HDRLEN) throw new DecodeError('nlmsghdr', offset, `needs ${NLMSG_HDRLEN} bytes, ${n} left`)
    const len = view.getUint32(0, true)
    if (len < NLMSG_HDRLEN) throw new DecodeError('nlmsghdr', offset, `nlmsg_len ${len} is shorter than the header`)
    const total = align4(len)
    if (body.length < total) body = new Uint8Array(align4(total * 2))
    body.set(head, 0)
    const rest = readFull(fd, body.subarray(NLMSG_HDRLEN, total))
    // The last message of a file may lack its alignment padding.
    if (rest < len - NLMSG_HDRLEN) throw new DecodeError('nlmsghdr', offset, `message of ${len} bytes, ${NLMSG_HDRLEN + rest} left`)
    const type = view.getUint16(4, true)
    try {
      yield* reader.read(body.subarray(0, len))
    } catch (e) {
      throw e instanceof DecodeError ? new DecodeError(e.what, offset + e.offset, e.reason) : e
    }
    offset += total
    if (type === NLMSG.NLMSG_DONE) {
      if (!opts.untilEof) return
      reader = new ReplyReader('inet', IPPROTO.IPPROTO_TCP, SOCK_DIAG.SOCK_DIAG_BY_FAMILY, SS_SEQ)
    }
  }
}

/** {@link replayTcp} over a file path; the file is closed when iteration ends. */
export function* replayTcpFile(path: string, opts: ReplayOptions = {}): Generator<SocketRecord> {
  const fd = openSync(path, 'r')
  try {
    yield* replayTcp(fd, opts)
  } finally {
    closeSync(fd)
  }
}

/**
 * The replay file ss would use: `TCPDIAG_FILE` from the given environment
 * (the CLI passes `process.env`), or undefined when unset.
 */
export function tcpDiagFile(env: Readonly<Record<string, string | undefined>>): string | undefined {
  return env.TCPDIAG_FILE
}

function readFull(fd: number, into: Uint8Array): number {
  let off = 0
  while (off < into.length) {
    const n = readSync(fd, into, off, into.length - off, null)
    if (n === 0) break
    off += n
  }
  return off
}
