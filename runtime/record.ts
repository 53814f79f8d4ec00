/**
 * The decoded socket record: one union over the families, discriminated by
 * `kind`, and the dispatcher from a reply message to its family decoder.
 */
import type { InetRecord } from './decode-inet.js'
import { decodeInet } from './decode-inet.js'
import type { NetlinkRecord } from './decode-netlink.js'
import { decodeNetlink } from './decode-netlink.js'
import type { PacketRecord } from './decode-packet.js'
import { decodePacket } from './decode-packet.js'
import type { UnixRecord } from './decode-unix.js'
import { decodeUnix } from './decode-unix.js'
import type { TipcRecord, VsockRecord, XdpRecord } from './decode-vsock.js'
import { decodeTipc, decodeVsock, decodeXdp } from './decode-vsock.js'
import type { DiagKind } from './requests.js'

/** Any decoded socket. Every variant has `family`, `state`, `localPort`, `remotePort`. */
export type SocketRecord = InetRecord | UnixRecord | PacketRecord | NetlinkRecord | VsockRecord | XdpRecord | TipcRecord

/**
 * Decode one reply payload (after the nlmsghdr) with the decoder of `kind`.
 * @param protocol inet only: the requested protocol (selects the INET_DIAG_INFO layout)
 * @param base offset of `payload` in its datagram, for error positions
 * @throws DecodeError on truncated or malformed input
 */
export function decodeRecord(kind: DiagKind, payload: Uint8Array, protocol = 0, base = 0): SocketRecord {
  switch (kind) {
    case 'inet': return decodeInet(payload, protocol, base)
    case 'unix': return decodeUnix(payload, base)
    case 'packet': return decodePacket(payload, base)
    case 'netlink': return decodeNetlink(payload, base)
    case 'vsock': return decodeVsock(payload, base)
    case 'xdp': return decodeXdp(payload, base)
    case 'tipc': return decodeTipc(payload)
  }
}
