/**
 * sock_diag request encoders. Bytes match what ss 6.1 sends
 * (ss-behavior §5.1): `nlmsghdr{type 20, flags REQUEST|ROOT|MATCH, seq
 * 123456, pid 0}` followed by the family's request struct and, for inet, the
 * bytecode and protocol attributes. The runtime takes plain descriptions and
 * bytes; it knows nothing about the filter language.
 */
import { AF, INET_DIAG_NOCOOKIE, INET_DIAG_REQ, SOCK_DIAG, inet_diag_req, inet_diag_req_v2_head, inet_diag_sockid } from '../uapi/inet-diag.js'
import { NLM_F } from '../uapi/netlink.js'
import { netlink_diag_req } from '../uapi/netlink-diag.js'
import { packet_diag_req } from '../uapi/packet-diag.js'
import { tipc_sock_diag_req } from '../uapi/tipc-diag.js'
import { unix_diag_req } from '../uapi/unix-diag.js'
import { vsock_diag_req } from '../uapi/vsock-diag.js'
import { xdp_diag_req } from '../uapi/xdp-diag.js'
import { encodeAttribute, encodeU32Attribute } from './attributes.js'
import { RequestError } from './errors.js'
import { encodeMessage } from './message.js'

/** The sock_diag family handler a request goes to. */
export type DiagKind = 'inet' | 'unix' | 'packet' | 'netlink' | 'vsock' | 'tipc' | 'xdp'

/** A sock_diag dump request, described as plain data. */
export interface SockDiagRequest {
  readonly kind: DiagKind
  /** `sdiag_family` (AF_INET, AF_INET6, AF_UNIX, …). */
  readonly family: number
  /** `sdiag_protocol`. Values above 255 (MPTCP 262) go in the header as their low byte plus an INET_DIAG_REQ_PROTOCOL attribute. */
  readonly protocol: number
  /** Explicit INET_DIAG_REQ_PROTOCOL value (inet only); defaults to `protocol` when that exceeds a byte. */
  readonly protocolAttr?: number
  /** State bitmask (`1 << state`); unused by packet, netlink and xdp requests. */
  readonly states: number
  /** inet: `idiag_ext`; unix/packet/netlink/xdp/vsock: the `*_show` mask. */
  readonly ext: number
  /** Audited inet_diag bytecode (inet only), or null. */
  readonly bytecode: Uint8Array | null
  /**
   * inet only: ports for the request's sockid (0 or absent: any). TCP and
   * UDP dumps skip a socket whose port differs before running the bytecode
   * (`inet_diag_dump_icsk`, `udp_dump`).
   */
  readonly ports?: { readonly sport?: number, readonly dport?: number }
}

/** Header options; defaults reproduce ss. */
export interface EncodeOptions {
  /** Default 123456, like ss. */
  readonly seq?: number
  /** Default `NLM_F_REQUEST | NLM_F_DUMP` (0x301). */
  readonly flags?: number
}

/** Flags ss uses for every dump. */
export const DUMP_FLAGS = NLM_F.NLM_F_REQUEST | NLM_F.NLM_F_DUMP

function u8(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RequestError(field, `must be an integer 0..255, got ${v}`)
  return v
}

function u32(field: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RequestError(field, `must be an integer 0..2^32-1, got ${v}`)
  return v
}

function noBytecode(req: SockDiagRequest): void {
  if (req.bytecode !== null) throw new RequestError('bytecode', `is only accepted by inet requests, not ${req.kind}`)
}

function bytecodeAttribute(bytecode: Uint8Array): Uint8Array {
  if (bytecode.length % 4 !== 0) throw new RequestError('bytecode', `length ${bytecode.length} is not a multiple of 4`)
  return encodeAttribute(INET_DIAG_REQ.INET_DIAG_REQ_BYTECODE, bytecode)
}

/** `inet_diag_req_v2` (56 bytes) with a sockid that is zero but for the optional ports, plus the optional attributes. */
function inetBody(req: SockDiagRequest): Uint8Array[] {
  if (!Number.isInteger(req.protocol) || req.protocol < 0 || req.protocol > 0xffff) throw new RequestError('protocol', `must be an integer 0..65535, got ${req.protocol}`)
  const protocolAttr = req.protocolAttr ?? (req.protocol > 0xff ? req.protocol : undefined)
  const head = inet_diag_req_v2_head.bytes({
    sdiag_family: u8('family', req.family),
    sdiag_protocol: req.protocol & 0xff,
    idiag_ext: u8('ext', req.ext),
    idiag_states: u32('states', req.states),
  })
  const parts = [head, inet_diag_sockid.bytes({ idiag_sport: port('ports.sport', req.ports?.sport ?? 0), idiag_dport: port('ports.dport', req.ports?.dport ?? 0) })]
  if (req.bytecode !== null) parts.push(bytecodeAttribute(req.bytecode))
  if (protocolAttr !== undefined) parts.push(encodeU32Attribute(INET_DIAG_REQ.INET_DIAG_REQ_PROTOCOL, u32('protocolAttr', protocolAttr)))
  return parts
}

function familyBody(req: SockDiagRequest): Uint8Array {
  noBytecode(req)
  const family = u8('family', req.family)
  const protocol = u8('protocol', req.protocol)
  switch (req.kind) {
    case 'unix':
      return unix_diag_req.bytes({ sdiag_family: family, sdiag_protocol: protocol, udiag_states: u32('states', req.states), udiag_show: u32('ext', req.ext) })
    case 'packet':
      return packet_diag_req.bytes({ sdiag_family: family, sdiag_protocol: protocol, pdiag_show: u32('ext', req.ext) })
    case 'netlink':
      return netlink_diag_req.bytes({ sdiag_family: family, sdiag_protocol: protocol, ndiag_show: u32('ext', req.ext) })
    case 'vsock':
      return vsock_diag_req.bytes({ sdiag_family: family, sdiag_protocol: protocol, vdiag_states: u32('states', req.states), vdiag_show: u32('ext', req.ext) })
    case 'tipc':
      return tipc_sock_diag_req.bytes({ sdiag_family: family, sdiag_protocol: protocol, tidiag_states: u32('states', req.states) })
    case 'xdp':
      return xdp_diag_req.bytes({ sdiag_family: family, sdiag_protocol: protocol, xdiag_show: u32('ext', req.ext) })
    case 'inet':
      throw new RequestError('kind', 'inet is encoded by inetBody')
  }
}

/**
 * Encode a SOCK_DIAG_BY_FAMILY dump request, byte-identical to ss's for the
 * same inputs.
 * @throws RequestError when a field is out of range, or bytecode is given to a non-inet family
 */
export function encodeRequest(req: SockDiagRequest, opts: EncodeOptions = {}): Uint8Array {
  const header = { type: SOCK_DIAG.SOCK_DIAG_BY_FAMILY, flags: opts.flags ?? DUMP_FLAGS, seq: opts.seq }
  if (req.kind === 'inet') return encodeMessage(header, ...inetBody(req))
  return encodeMessage(header, familyBody(req))
}

/** Input of the legacy TCPDIAG_GETSOCK request. */
export interface LegacyTcpRequest {
  readonly states: number
  readonly ext: number
  readonly bytecode: Uint8Array | null
  /** Ports for the sockid, compared by the kernel before the bytecode as in {@link SockDiagRequest.ports}. */
  readonly ports?: { readonly sport?: number, readonly dport?: number }
}

/**
 * Encode the legacy TCPDIAG_GETSOCK (18) dump with `struct inet_diag_req`
 * (60 bytes). Like ss's fallback, the family byte is always AF_INET; the
 * kernel ignores it and answers IPv4 and IPv6 sockets from one walk of its
 * tables, in table order, with reply type 18.
 */
export function encodeLegacyTcpRequest(req: LegacyTcpRequest, opts: EncodeOptions = {}): Uint8Array {
  const body = inet_diag_req.bytes({
    idiag_family: AF.AF_INET, idiag_ext: u8('ext', req.ext), idiag_states: u32('states', req.states),
    idiag_sport: port('ports.sport', req.ports?.sport ?? 0), idiag_dport: port('ports.dport', req.ports?.dport ?? 0),
  })
  const parts = [body]
  if (req.bytecode !== null) parts.push(bytecodeAttribute(req.bytecode))
  return encodeMessage({ type: SOCK_DIAG.TCPDIAG_GETSOCK, flags: opts.flags ?? DUMP_FLAGS, seq: opts.seq }, ...parts)
}

/** The identity of one inet socket, as decoded from a dump (an {@link InetRecord} fits). */
export interface InetSocketId {
  readonly family: number
  readonly localAddr: Uint8Array
  readonly remoteAddr: Uint8Array
  readonly localPort: number
  readonly remotePort: number
  readonly ifindex: number
  /** Socket cookie; undefined means "any" (INET_DIAG_NOCOOKIE). */
  readonly cookie?: bigint
}

function addr16(field: string, a: Uint8Array): Uint8Array {
  if (a.length !== 4 && a.length !== 16) throw new RequestError(field, `must be 4 or 16 bytes, got ${a.length}`)
  return a
}

function port(field: string, p: number): number {
  if (!Number.isInteger(p) || p < 0 || p > 0xffff) throw new RequestError(field, `must be a port 0..65535, got ${p}`)
  return p
}

/**
 * Encode SOCK_DESTROY (21) for one TCP/UDP socket, with `NLM_F_REQUEST |
 * NLM_F_ACK` so success is acknowledged. Uses the natural orientation
 * (src = local, dst = remote) for both TCP and UDP (kernel-sock-diag §6.6).
 */
export function encodeDestroyRequest(id: InetSocketId, protocol: number, opts: EncodeOptions = {}): Uint8Array {
  const cookie = id.cookie
  const head = inet_diag_req_v2_head.bytes({ sdiag_family: u8('family', id.family), sdiag_protocol: u8('protocol', protocol), idiag_states: 0xffffffff })
  const sockid = inet_diag_sockid.bytes({
    idiag_sport: port('localPort', id.localPort),
    idiag_dport: port('remotePort', id.remotePort),
    idiag_src: addr16('localAddr', id.localAddr),
    idiag_dst: addr16('remoteAddr', id.remoteAddr),
    idiag_if: u32('ifindex', id.ifindex),
    idiag_cookie0: cookie === undefined ? INET_DIAG_NOCOOKIE : Number(cookie & 0xffffffffn),
    idiag_cookie1: cookie === undefined ? INET_DIAG_NOCOOKIE : Number((cookie >> 32n) & 0xffffffffn),
  })
  return encodeMessage({ type: SOCK_DIAG.SOCK_DESTROY, flags: opts.flags ?? (NLM_F.NLM_F_REQUEST | NLM_F.NLM_F_ACK), seq: opts.seq }, head, sockid)
}
