/**
 * The runtime's typed errors. Only the CLI formats them and picks exit codes.
 *
 * - {@link NetlinkError}: the kernel (or a socket syscall) said no. Carries
 *   the operation, the errno as number and name, and the extended-ack text
 *   and offset when the kernel sent them (modelled on mdlayher/netlink's
 *   `OpError`).
 * - {@link DecodeError}: bytes that do not parse (truncated or garbage);
 *   decoders throw nothing else.
 */
import { getSystemErrorMap } from 'node:util'

/** Extended acknowledgement sent after an NLMSG_ERROR when NETLINK_EXT_ACK is on. */
export interface ExtAck {
  /** NLMSGERR_ATTR_MSG: the kernel's human-readable reason. */
  readonly message?: string
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute in the request. */
  readonly offset?: number
}

/** What the runtime was doing when the error happened. */
export type NetlinkOperation =
  | 'socket' | 'bind' | 'setsockopt' | 'getsockopt' | 'getsockname' | 'send' | 'recv'
  | 'setns' | 'open' | 'dump' | 'request'

let errnoMap: Map<number, [string, string]> | undefined

/** errno number → `[name, description]` ("EINVAL", "invalid argument"), from libuv's table. */
export function errnoInfo(errno: number): { readonly name: string, readonly description: string } {
  errnoMap ??= getSystemErrorMap()
  const hit = errnoMap.get(-Math.abs(errno))
  return hit ? { name: hit[0], description: hit[1] } : { name: `E${errno}`, description: `errno ${errno}` }
}

/** A failed netlink operation: a syscall error, an NLMSG_ERROR, or NLMSG_DONE carrying a negative errno. */
export class NetlinkError extends Error {
  override readonly name = 'NetlinkError'
  /** Positive errno (22 for EINVAL). */
  readonly errno: number
  /** errno name, e.g. `'EINVAL'`. */
  readonly errnoName: string
  /** Extended ack, when the kernel sent one. */
  readonly extAck: ExtAck | undefined

  constructor(readonly operation: NetlinkOperation, errno: number, extAck?: ExtAck) {
    const positive = Math.abs(errno)
    const info = errnoInfo(positive)
    const detail = extAck?.message ? `: ${extAck.message}` : ''
    super(`netlink ${operation}: ${info.description} (${info.name})${detail}`)
    this.errno = positive
    this.errnoName = info.name
    this.extAck = extAck
  }
}

/** Bytes that cannot be decoded: where, and what was expected. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError'
  constructor(
    /** What was being decoded, e.g. `'nlmsghdr'`, `'inet_diag_msg'`, `'attribute 15 (u32)'`. */
    readonly what: string,
    /** Byte offset inside the buffer handed to the decoder. */
    readonly offset: number,
    /** Expected vs found, e.g. `'needs 72 bytes, 40 left'`. */
    readonly reason: string,
  ) {
    super(`cannot decode ${what} at byte ${offset}: ${reason}`)
  }
}

/** A request that cannot be encoded (bad input from the caller, before any I/O). */
export class RequestError extends Error {
  override readonly name = 'RequestError'
  constructor(readonly field: string, readonly reason: string) {
    super(`invalid sock_diag request: ${field} ${reason}`)
  }
}
