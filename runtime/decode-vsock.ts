/**
 * Decoders for the sock_diag families not built on the reference kernel:
 * vsock (fixed struct, no attributes) and xdp (struct + attributes from
 * type 1). Tested with hand-built bytes only. TIPC replies are nested
 * generic-netlink attributes and are returned raw.
 */
import { AF, TCP_STATE } from '../uapi/inet-diag.js'
import { vsock_diag_msg } from '../uapi/vsock-diag.js'
import { XDP_DIAG, xdp_diag_msg } from '../uapi/xdp-diag.js'
import { AttributeDecoder } from './attributes.js'
import type { RawAttribute } from './attributes.js'
import { cookie, fixedStruct, skMemInfoAttribute } from './decode-common.js'
import type { SkMemInfo } from './decode-common.js'

/** One AF_VSOCK socket. */
export interface VsockRecord {
  readonly kind: 'vsock'
  family: number
  type: number
  state: number
  shutdown: number
  localCid: number
  localPort: number
  remoteCid: number
  remotePort: number
  inode: number
  cookie: bigint
}

/** One AF_XDP socket. */
export interface XdpRecord {
  readonly kind: 'xdp'
  family: number
  type: number
  /** Always TCP_CLOSE (7), as ss treats it. */
  state: number
  inode: number
  cookie: bigint
  /** XDP_DIAG_INFO queue id (ss's xdp "port"); 0 without INFO. */
  localPort: number
  remotePort: number
  ifindex: number
  uid?: number
  memInfo?: SkMemInfo
  /** Rings, umem and stats, kept raw. */
  unknown?: RawAttribute[]
}

/** A TIPC reply, undecoded: TIPC uses nested generic-netlink attributes. */
export interface TipcRecord {
  readonly kind: 'tipc'
  family: number
  state: number
  localPort: number
  remotePort: number
  bytes: Uint8Array
}

/**
 * Decode one vsock_diag reply payload.
 * @throws DecodeError on truncated input
 */
export function decodeVsock(payload: Uint8Array, base = 0): VsockRecord {
  const m = fixedStruct(vsock_diag_msg, payload, 0, base)
  return {
    kind: 'vsock',
    family: m.vdiag_family,
    type: m.vdiag_type,
    state: m.vdiag_state,
    shutdown: m.vdiag_shutdown,
    localCid: m.vdiag_src_cid,
    localPort: m.vdiag_src_port,
    remoteCid: m.vdiag_dst_cid,
    remotePort: m.vdiag_dst_port,
    inode: m.vdiag_ino,
    cookie: cookie(m.vdiag_cookie0, m.vdiag_cookie1),
  }
}

/**
 * Decode one xdp_diag reply payload.
 * @throws DecodeError on truncated or malformed input
 */
export function decodeXdp(payload: Uint8Array, base = 0): XdpRecord {
  const m = fixedStruct(xdp_diag_msg, payload, 0, base)
  const rec: XdpRecord = {
    kind: 'xdp',
    family: m.xdiag_family,
    type: m.xdiag_type,
    state: TCP_STATE.TCP_CLOSE,
    inode: m.xdiag_ino,
    cookie: cookie(m.xdiag_cookie0, m.xdiag_cookie1),
    localPort: 0,
    remotePort: 0,
    ifindex: 0,
  }
  const ad = new AttributeDecoder(payload.subarray(xdp_diag_msg.size), base + xdp_diag_msg.size)
  while (ad.next()) {
    switch (ad.type()) {
      case XDP_DIAG.XDP_DIAG_INFO: {
        const [ifindex, queueId] = ad.u32Array()
        if (ifindex === undefined || queueId === undefined) ad.invalid('xdp_diag_info', 'needs 8 bytes')
        else {
          rec.ifindex = ifindex
          rec.localPort = queueId
        }
        break
      }
      case XDP_DIAG.XDP_DIAG_UID: rec.uid = ad.u32(); break
      case XDP_DIAG.XDP_DIAG_MEMINFO: rec.memInfo = skMemInfoAttribute(ad); break
      default: (rec.unknown ??= []).push(ad.raw())
    }
  }
  ad.finish()
  return rec
}

/** Wrap one TIPC reply payload, copied. */
export function decodeTipc(payload: Uint8Array): TipcRecord {
  return { kind: 'tipc', family: AF.AF_TIPC, state: 0, localPort: 0, remotePort: 0, bytes: payload.slice() }
}
