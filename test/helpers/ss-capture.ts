/**
 * Run the real `/usr/bin/ss` (iproute2 6.1) under `strace` inside a network
 * namespace and decode every sock_diag request it sends.
 *
 * This is the "ss side" of the differential test of the compiler. It is an
 * independent decoder on purpose: it reads the bytes with its own offsets
 * (taken from the kernel headers, see kernel-sock-diag §3) instead of the
 * runtime's struct tables or encoders, so a mistake there cannot hide itself.
 * Only numeric constants come from `uapi/`.
 *
 * Choice of strace options (strace 6.1):
 * - `-e trace=socket,close,sendmsg,sendto`: ss sends inet dumps with
 *   `sendmsg` (an iovec: header+req, attribute header, bytecode, …) and
 *   unix/packet/netlink dumps and the RTM_GETLINK dump with `sendto`.
 *   `socket` and `close` are traced so that each fd can be mapped to its
 *   netlink protocol: type 18 is TCPDIAG_GETSOCK on a NETLINK_SOCK_DIAG
 *   socket but RTM_GETLINK on a NETLINK_ROUTE socket.
 * - `-e write=all`: strace's full hex dump of the data written by those calls
 *   (every iovec buffer of a sendmsg, the buffer of a sendto). These dumps
 *   are the raw bytes; strace's own netlink decoding (`-s 65535 -x`) abbreviates
 *   and pretty-prints and cannot be parsed back reliably.
 * - `-e raw=sendmsg`: keeps the sendmsg lines short (the dump still follows).
 *   Not applied to sendto: strace 6.1 prints no write dump for a sendto
 *   traced raw.
 * - `-s 65535`: harmless for the dumps, kept so decoded sendto strings are
 *   never cut either.
 * - `-f -qq -o FILE`: follow forks, no attach/exit chatter, and keep the
 *   trace out of ss's own stdout/stderr, which are returned separately.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AF, SOCK_DIAG, INET_DIAG_REQ } from '../../uapi/inet-diag.js'

/** The binary under comparison. */
export const SS_BINARY = '/usr/bin/ss'

/** `NETLINK_ROUTE` and `NETLINK_SOCK_DIAG` (`include/uapi/linux/netlink.h`). */
const NETLINK_PROTO: Readonly<Record<string, number>> = {
  NETLINK_ROUTE: 0,
  NETLINK_SOCK_DIAG: 4,
}

/** `INET_DIAG_BC_S_COND` / `INET_DIAG_BC_D_COND`: the ops whose hostcond has 2 padding bytes. */
const BC_S_COND = 7
const BC_D_COND = 8

/** Fields of `struct nlmsghdr` every captured request keeps. */
export interface NlHeader {
  /** `nlmsg_type`: 20 SOCK_DIAG_BY_FAMILY, 18/19 legacy TCP/DCCP diag. */
  readonly type: number
  /** `nlmsg_flags` (ss: 0x301, REQUEST|DUMP). */
  readonly flags: number
  /** `nlmsg_seq` (ss: 123456). */
  readonly seq: number
}

/** An `inet_diag_req_v2` request (type 20, family AF_INET or AF_INET6). */
export interface InetRequest extends NlHeader {
  readonly kind: 'inet'
  readonly family: number
  /** `sdiag_protocol` byte (MPTCP: 6, the real protocol is in `protocolAttr`). */
  readonly protocol: number
  readonly ext: number
  /** The `pad` / `sdiag_raw_protocol` byte. */
  readonly rawProtocol: number
  readonly states: number
  /** The 48-byte `inet_diag_sockid`, hex (ss: all zero). */
  readonly sockid: string
  /** INET_DIAG_REQ_BYTECODE payload, hex, hostcond padding zeroed; null when absent. */
  readonly bytecode: string | null
  /** The same, exactly as sent (padding bytes may hold heap garbage). */
  readonly bytecodeRaw: string | null
  /** INET_DIAG_REQ_PROTOCOL value when present (MPTCP 262). */
  readonly protocolAttr?: number
  /** Any other attribute, as `type:hex`. */
  readonly otherAttrs: readonly string[]
}

/** A legacy `inet_diag_req` request (TCPDIAG_GETSOCK 18 / DCCPDIAG_GETSOCK 19), ss's retry after a failed dump. */
export interface LegacyInetRequest extends NlHeader {
  readonly kind: 'legacy-inet'
  readonly family: number
  readonly srcLen: number
  readonly dstLen: number
  readonly ext: number
  readonly sockid: string
  readonly states: number
  readonly dbs: number
  readonly bytecode: string | null
  readonly bytecodeRaw: string | null
  readonly otherAttrs: readonly string[]
}

/** A `unix_diag_req` request. */
export interface UnixRequest extends NlHeader {
  readonly kind: 'unix'
  readonly protocol: number
  readonly states: number
  readonly ino: number
  readonly show: number
}

/** A `packet_diag_req` or `netlink_diag_req` request (same layout). */
export interface PacketOrNetlinkRequest extends NlHeader {
  readonly kind: 'packet' | 'netlink'
  readonly protocol: number
  readonly ino: number
  readonly show: number
}

/**
 * A sock_diag request of another family: vsock, tipc and xdp have their
 * `states`/`show` read (`vsock_diag_req`, `tipc_sock_diag_req`,
 * `xdp_diag_req`); anything else only keeps its bytes.
 */
export interface OtherDiagRequest extends NlHeader {
  readonly kind: 'other'
  readonly family: number
  readonly protocol: number
  readonly states?: number
  readonly show?: number
  /** The body after the nlmsghdr, hex. */
  readonly body: string
}

/** One decoded request ss sent on a NETLINK_SOCK_DIAG socket, in send order. */
export type CapturedRequest =
  | InetRequest
  | LegacyInetRequest
  | UnixRequest
  | PacketOrNetlinkRequest
  | OtherDiagRequest

/** What one ss run did. */
export interface SsCapture {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
  /** sock_diag requests in send order (RTM_GETLINK on route sockets left out). */
  readonly requests: CapturedRequest[]
}

/** Options of {@link captureSs}. */
export interface CaptureOptions {
  /** Name of an existing network namespace (`ip netns add NAME`). */
  readonly netns: string
  /** Text fed to ss's stdin (for `-F -`). */
  readonly stdin?: string
  /**
   * Enter only the network namespace (`nsenter --net=/run/netns/NS`) instead
   * of `ip netns exec`, which remounts /sys and so hides the cgroup2 mount
   * from ss (its `cgroup` predicate then always fails). Default false.
   */
  readonly keepMounts?: boolean
  /** Kill ss after this many milliseconds (default 20000). */
  readonly timeoutMs?: number
}

/** The trace could not be taken or read (not a filter error of ss: those are in exitCode/stderr). */
export class CaptureError extends Error {
  override readonly name = 'CaptureError'
}

/**
 * Run `/usr/bin/ss ARGS` in `opts.netns` under strace and decode what it sent.
 * ss's exit code, stdout and stderr are returned as is.
 */
export async function captureSs(args: readonly string[], opts: CaptureOptions): Promise<SsCapture> {
  const dir = await mkdtemp(join(tmpdir(), 'ssx-capture-'))
  const traceFile = join(dir, 'trace')
  try {
    const enter = opts.keepMounts === true
      ? ['nsenter', `--net=/run/netns/${opts.netns}`]
      : ['ip', 'netns', 'exec', opts.netns]
    const argv = [
      ...enter,
      'strace', '-f', '-qq',
      '-e', 'trace=socket,close,sendmsg,sendto',
      '-e', 'write=all',
      '-e', 'raw=sendmsg',
      '-s', '65535',
      '-o', traceFile,
      SS_BINARY, ...args,
    ]
    const run = await spawnCollect(argv, opts.stdin, opts.timeoutMs ?? 20000)
    let trace: string
    try {
      trace = await readFile(traceFile, 'utf8')
    } catch {
      throw new CaptureError(`strace wrote no trace for ss ${args.join(' ')}: ${run.stderr.slice(0, 500)}`)
    }
    return { ...run, requests: parseStraceLog(trace) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

interface RunResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

function spawnCollect(argv: readonly string[], stdin: string | undefined, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const [cmd, ...rest] = argv
    if (cmd === undefined) return reject(new CaptureError('empty command'))
    const child = spawn(cmd, rest, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => err.push(b))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(new CaptureError(`cannot run ${cmd}: ${e.message}`))
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === null) return reject(new CaptureError(`ss killed by ${signal ?? 'a signal'}: ${argv.join(' ')}`))
      resolve({ exitCode: code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })
    })
    child.stdin.on('error', () => { /* ss may exit before reading stdin */ })
    child.stdin.end(stdin ?? '')
  })
}

// ---------------------------------------------------------------------------
// strace log → byte buffers

const SYSCALL_LINE = /^(\d+)\s+(\w+)\((.*)$/
const DUMP_LINE = /^ \| [0-9a-f]{5}  ((?:[0-9a-f]{2} {1,2}){1,16})/
const SOCKET_RESULT = /^AF_NETLINK, [^,]+, (\w+)\)\s+= (\d+)$/
const FD_ARG = /^(0x[0-9a-f]+|\d+)[,)]/

/** A data-carrying syscall as strace dumped it. */
interface SentBuffer {
  readonly pid: number
  readonly fd: number
  readonly bytes: Uint8Array
}

/**
 * Decode a trace written with the options above into the sock_diag requests,
 * in order. Exported for tests of the decoder itself.
 */
export function parseStraceLog(text: string): CapturedRequest[] {
  const requests: CapturedRequest[] = []
  for (const sent of sentBuffers(text)) requests.push(...decodeMessages(sent.bytes))
  return requests
}

/**
 * The buffers sent on NETLINK_SOCK_DIAG sockets. Buffers on NETLINK_ROUTE
 * sockets (RTM_GETLINK, used by ss to name interfaces) are dropped here.
 */
function sentBuffers(text: string): SentBuffer[] {
  const netlinkProto = new Map<string, number>() // "pid/fd" → netlink protocol
  const result: SentBuffer[] = []
  let current: { pid: number, fd: number, hex: string[] } | null = null
  const flush = (): void => {
    if (current === null) return
    const proto = netlinkProto.get(`${current.pid}/${current.fd}`)
    if (proto === NETLINK_PROTO.NETLINK_SOCK_DIAG && current.hex.length > 0) {
      result.push({ pid: current.pid, fd: current.fd, bytes: hexToBytes(current.hex.join('')) })
    }
    current = null
  }
  for (const line of text.split('\n')) {
    const dump = DUMP_LINE.exec(line)
    if (dump !== null) {
      current?.hex.push(dump[1]!.replace(/ /g, ''))
      continue
    }
    if (line.startsWith(' * ')) continue // "N bytes in buffer K": the buffers are concatenated
    const call = SYSCALL_LINE.exec(line)
    if (call === null) continue
    flush()
    const pid = Number(call[1])
    const name = call[2]!
    const rest = call[3]!
    if (name === 'socket') {
      const m = SOCKET_RESULT.exec(rest)
      if (m !== null) {
        const proto = NETLINK_PROTO[m[1]!]
        if (proto !== undefined) netlinkProto.set(`${pid}/${m[2]}`, proto)
      }
    } else if (name === 'close') {
      const fd = FD_ARG.exec(rest)
      if (fd !== null) netlinkProto.delete(`${pid}/${Number(fd[1])}`)
    } else if (name === 'sendmsg' || name === 'sendto') {
      const fd = FD_ARG.exec(rest)
      if (fd === null) throw new CaptureError(`cannot read the fd of: ${line}`)
      current = { pid, fd: Number(fd[1]), hex: [] }
    }
  }
  flush()
  return result
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

/** Lower-case hex of a byte range. */
export function toHex(bytes: Uint8Array): string {
  let s = ''
  for (const b of bytes) s += b.toString(16).padStart(2, '0')
  return s
}

// ---------------------------------------------------------------------------
// byte buffers → requests (offsets from the kernel headers, kernel-sock-diag §3)

const NLMSG_HDRLEN = 16
const INET_DIAG_REQ_V2_LEN = 56
const INET_DIAG_REQ_LEGACY_LEN = 60
const NLA_HDRLEN = 4
const NLA_TYPE_MASK = 0x3fff // drop NLA_F_NESTED / NLA_F_NET_BYTEORDER

const align4 = (n: number): number => (n + 3) & ~3

/** Split a buffer into netlink messages and decode each sock_diag request. */
function decodeMessages(buf: Uint8Array): CapturedRequest[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const out: CapturedRequest[] = []
  let off = 0
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = view.getUint32(off, true)
    if (len < NLMSG_HDRLEN || off + len > buf.length) {
      throw new CaptureError(`bad nlmsg_len ${len} at ${off} in ${toHex(buf)}`)
    }
    const hdr: NlHeader = {
      type: view.getUint16(off + 4, true),
      flags: view.getUint16(off + 6, true),
      seq: view.getUint32(off + 8, true),
    }
    out.push(decodeRequest(hdr, buf.subarray(off + NLMSG_HDRLEN, off + len)))
    off += align4(len)
  }
  return out
}

function decodeRequest(hdr: NlHeader, body: Uint8Array): CapturedRequest {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength)
  const need = (n: number): void => {
    if (body.length < n) throw new CaptureError(`request type ${hdr.type} too short: ${toHex(body)}`)
  }
  if (hdr.type === SOCK_DIAG.TCPDIAG_GETSOCK || hdr.type === SOCK_DIAG.DCCPDIAG_GETSOCK) {
    need(INET_DIAG_REQ_LEGACY_LEN)
    const attrs = decodeAttrs(body.subarray(INET_DIAG_REQ_LEGACY_LEN))
    return {
      ...hdr,
      kind: 'legacy-inet',
      family: v.getUint8(0),
      srcLen: v.getUint8(1),
      dstLen: v.getUint8(2),
      ext: v.getUint8(3),
      sockid: toHex(body.subarray(4, 52)),
      states: v.getUint32(52, true),
      dbs: v.getUint32(56, true),
      ...bytecodeOf(attrs),
      otherAttrs: otherAttrsOf(attrs, [INET_DIAG_REQ.INET_DIAG_REQ_BYTECODE]),
    }
  }
  need(2)
  const family = v.getUint8(0)
  const protocol = v.getUint8(1)
  if (hdr.type !== SOCK_DIAG.SOCK_DIAG_BY_FAMILY) {
    return { ...hdr, kind: 'other', family, protocol, body: toHex(body) }
  }
  switch (family) {
    case AF.AF_INET:
    case AF.AF_INET6: {
      need(INET_DIAG_REQ_V2_LEN)
      const attrs = decodeAttrs(body.subarray(INET_DIAG_REQ_V2_LEN))
      const proto = attrs.find((a) => a.type === INET_DIAG_REQ.INET_DIAG_REQ_PROTOCOL)
      if (proto !== undefined && proto.payload.length !== 4) {
        throw new CaptureError(`INET_DIAG_REQ_PROTOCOL of ${proto.payload.length} bytes`)
      }
      return {
        ...hdr,
        kind: 'inet',
        family,
        protocol,
        ext: v.getUint8(2),
        rawProtocol: v.getUint8(3),
        states: v.getUint32(4, true),
        sockid: toHex(body.subarray(8, 56)),
        ...bytecodeOf(attrs),
        ...(proto === undefined ? {} : { protocolAttr: new DataView(proto.payload.buffer, proto.payload.byteOffset, 4).getUint32(0, true) }),
        otherAttrs: otherAttrsOf(attrs, [INET_DIAG_REQ.INET_DIAG_REQ_BYTECODE, INET_DIAG_REQ.INET_DIAG_REQ_PROTOCOL]),
      }
    }
    case AF.AF_UNIX:
      // struct unix_diag_req: family, protocol, pad u16, states, ino, show, cookie[2]
      need(24)
      return { ...hdr, kind: 'unix', protocol, states: v.getUint32(4, true), ino: v.getUint32(8, true), show: v.getUint32(12, true) }
    case AF.AF_PACKET:
    case AF.AF_NETLINK:
      // struct packet_diag_req / netlink_diag_req: family, protocol, pad u16, ino, show, cookie[2]
      need(20)
      return {
        ...hdr,
        kind: family === AF.AF_PACKET ? 'packet' : 'netlink',
        protocol,
        ino: v.getUint32(4, true),
        show: v.getUint32(8, true),
      }
    case AF.AF_VSOCK:
      // struct vsock_diag_req: family, protocol, pad u16, states, ino, show, cookie[2]
      need(24)
      return { ...hdr, kind: 'other', family, protocol, states: v.getUint32(4, true), show: v.getUint32(12, true), body: toHex(body) }
    case AF.AF_TIPC:
      // struct tipc_sock_diag_req: family, protocol, pad u16, states
      need(8)
      return { ...hdr, kind: 'other', family, protocol, states: v.getUint32(4, true), body: toHex(body) }
    case AF.AF_XDP:
      // struct xdp_diag_req: family, protocol, pad u16, ino, show, cookie[2]
      need(20)
      return { ...hdr, kind: 'other', family, protocol, show: v.getUint32(8, true), body: toHex(body) }
    default:
      return { ...hdr, kind: 'other', family, protocol, body: toHex(body) }
  }
}

interface Attr {
  readonly type: number
  readonly payload: Uint8Array
}

function decodeAttrs(buf: Uint8Array): Attr[] {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const out: Attr[] = []
  let off = 0
  while (off + NLA_HDRLEN <= buf.length) {
    const len = v.getUint16(off, true)
    if (len < NLA_HDRLEN || off + len > buf.length) {
      throw new CaptureError(`bad nla_len ${len} at ${off} in ${toHex(buf)}`)
    }
    out.push({ type: v.getUint16(off + 2, true) & NLA_TYPE_MASK, payload: buf.subarray(off + NLA_HDRLEN, off + len) })
    off += align4(len)
  }
  return out
}

function bytecodeOf(attrs: readonly Attr[]): { bytecode: string | null, bytecodeRaw: string | null } {
  // The kernel uses the last copy of an attribute (kernel-sock-diag §1.1).
  const bc = attrs.filter((a) => a.type === INET_DIAG_REQ.INET_DIAG_REQ_BYTECODE).at(-1)
  if (bc === undefined) return { bytecode: null, bytecodeRaw: null }
  return { bytecode: toHex(zeroHostcondPadding(bc.payload)), bytecodeRaw: toHex(bc.payload) }
}

function otherAttrsOf(attrs: readonly Attr[], known: readonly number[]): string[] {
  return attrs.filter((a) => !known.includes(a.type)).map((a) => `${a.type}:${toHex(a.payload)}`)
}

/**
 * A copy of `program` with the two padding bytes of every hostcond zeroed
 * (offsets 6–7 of each S_COND/D_COND op). ss 6.1 leaves them uninitialised
 * (kernel-sock-diag §1.4). Ops are found by walking `yes` from offset 0,
 * which visits every op of a program laid out the way ss lays it out (each
 * op's `yes` is its own length); a `yes` of 0 would loop, so it stops there.
 */
export function zeroHostcondPadding(program: Uint8Array): Uint8Array {
  const out = Uint8Array.from(program)
  let off = 0
  while (off + 4 <= out.length) {
    const code = out[off]!
    const yes = out[off + 1]!
    if ((code === BC_S_COND || code === BC_D_COND) && off + 8 <= out.length) {
      out[off + 6] = 0
      out[off + 7] = 0
    }
    if (yes === 0) break
    off += yes
  }
  return out
}

/** Same as {@link zeroHostcondPadding} on a hex string. */
export function normalizeBytecodeHex(hex: string): string {
  return toHex(zeroHostcondPadding(hexToBytes(hex)))
}
