/**
 * Decoder for packet_diag replies (`struct packet_diag_msg` + attributes
 * from type 0). In ss's model a packet socket's local "port" is its bound
 * ifindex and its "protocol" the bound ethertype. Packet sockets have no
 * state; like ss they are reported as TCP_CLOSE (7).
 */
import { PACKET_DIAG, packet_diag_info, packet_diag_mclist, packet_diag_msg, packet_diag_ring, sock_filter } from '../uapi/packet-diag.js'
import { TCP_STATE } from '../uapi/inet-diag.js'
import { AttributeDecoder } from './attributes.js'
import type { RawAttribute } from './attributes.js'
import { cookie, fixedStruct, skMemInfoAttribute, structAttribute } from './decode-common.js'
import type { SkMemInfo } from './decode-common.js'

/** PACKET_DIAG_INFO. */
export interface PacketInfo { index: number, version: number, reserve: number, copyThresh: number, tstamp: number, flags: number }
/** One PACKET_DIAG_MCLIST entry. */
export interface PacketMcEntry { index: number, count: number, type: number, addr: Uint8Array }
/** PACKET_DIAG_RX_RING / TX_RING. */
export interface PacketRing { blockSize: number, blockNr: number, frameSize: number, frameNr: number, retireTmo: number, sizeofPriv: number, features: number }
/** One classic BPF instruction of PACKET_DIAG_FILTER. */
export interface SockFilterInsn { code: number, jt: number, jf: number, k: number }

/** One AF_PACKET socket. */
export interface PacketRecord {
  readonly kind: 'packet'
  family: number
  /** SOCK_RAW 3 or SOCK_DGRAM 2. */
  type: number
  /** Always TCP_CLOSE (7): packet sockets have no state. */
  state: number
  /** Bound ethertype (`pdiag_num`, host order), e.g. 0x0003 ETH_P_ALL. */
  protocol: number
  inode: number
  cookie: bigint
  /** = bound ifindex from PACKET_DIAG_INFO (0 when unbound or INFO not requested). */
  localPort: number
  remotePort: number
  ifindex: number
  info?: PacketInfo
  mclist?: PacketMcEntry[]
  rxRing?: PacketRing
  txRing?: PacketRing
  /** PACKET_DIAG_FANOUT: id in the low 16 bits, type above. */
  fanout?: number
  uid?: number
  memInfo?: SkMemInfo
  /** Attached classic BPF program; empty when the requester may not see it. */
  filter?: SockFilterInsn[]
  unknown?: RawAttribute[]
}

function ringOf(ad: AttributeDecoder): PacketRing | undefined {
  const r = structAttribute(ad, packet_diag_ring)
  return r && { blockSize: r.pdr_block_size, blockNr: r.pdr_block_nr, frameSize: r.pdr_frame_size, frameNr: r.pdr_frame_nr, retireTmo: r.pdr_retire_tmo, sizeofPriv: r.pdr_sizeof_priv, features: r.pdr_features }
}

function arrayOf<T>(ad: AttributeDecoder, size: number, what: string, read: (v: DataView, o: number) => T): T[] {
  const p = ad.payload()
  if (p.length % size !== 0) {
    ad.invalid(what, `length ${p.length} is not a multiple of ${size}`)
    return []
  }
  const out: T[] = []
  for (let o = 0; o < p.length; o += size) out.push(read(p.view, p.offset + o))
  return out
}

/**
 * Decode one packet_diag reply payload (after the nlmsghdr).
 * @throws DecodeError on truncated or malformed input
 */
export function decodePacket(payload: Uint8Array, base = 0): PacketRecord {
  const m = fixedStruct(packet_diag_msg, payload, 0, base)
  const rec: PacketRecord = {
    kind: 'packet',
    family: m.pdiag_family,
    type: m.pdiag_type,
    state: TCP_STATE.TCP_CLOSE,
    protocol: m.pdiag_num,
    inode: m.pdiag_ino,
    cookie: cookie(m.pdiag_cookie0, m.pdiag_cookie1),
    localPort: 0,
    remotePort: 0,
    ifindex: 0,
  }
  const ad = new AttributeDecoder(payload.subarray(packet_diag_msg.size), base + packet_diag_msg.size)
  while (ad.next()) {
    switch (ad.type()) {
      case PACKET_DIAG.PACKET_DIAG_INFO: {
        const v = structAttribute(ad, packet_diag_info)
        if (v) {
          rec.info = { index: v.pdi_index, version: v.pdi_version, reserve: v.pdi_reserve, copyThresh: v.pdi_copy_thresh, tstamp: v.pdi_tstamp, flags: v.pdi_flags }
          rec.ifindex = rec.localPort = v.pdi_index
        }
        break
      }
      case PACKET_DIAG.PACKET_DIAG_MCLIST:
        rec.mclist = arrayOf(ad, packet_diag_mclist.size, 'packet_diag_mclist[]', (v, o) => {
          const e = packet_diag_mclist.decode(v, o)
          return { index: e.pdmc_index, count: e.pdmc_count, type: e.pdmc_type, addr: e.pdmc_addr.subarray(0, Math.min(e.pdmc_alen, 32)) }
        })
        break
      case PACKET_DIAG.PACKET_DIAG_RX_RING: rec.rxRing = ringOf(ad); break
      case PACKET_DIAG.PACKET_DIAG_TX_RING: rec.txRing = ringOf(ad); break
      case PACKET_DIAG.PACKET_DIAG_FANOUT: rec.fanout = ad.u32(); break
      case PACKET_DIAG.PACKET_DIAG_UID: rec.uid = ad.u32(); break
      case PACKET_DIAG.PACKET_DIAG_MEMINFO: rec.memInfo = skMemInfoAttribute(ad); break
      case PACKET_DIAG.PACKET_DIAG_FILTER:
        rec.filter = arrayOf(ad, sock_filter.size, 'sock_filter[]', (v, o) => sock_filter.decode(v, o))
        break
      default: (rec.unknown ??= []).push(ad.raw())
    }
  }
  ad.finish()
  return rec
}
