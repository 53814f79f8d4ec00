/**
 * Decoder for inet_diag replies: `struct inet_diag_msg` (72 bytes) plus
 * attributes, mapped once to the camelCase {@link InetRecord}. The record
 * carries the {@link FilterSocket}-shaped fields (`family`, `state`,
 * `localAddr`, `localPort`, `ifindex`, `mark`, `cgroupId`, …) under those
 * names so the filter evaluator can read it as it is.
 */
import { AF, INET_DIAG, INET_ULP_INFO, IPPROTO, MPTCP_SUBFLOW_ATTR, TLS_INFO, inet_diag_meminfo, inet_diag_msg, tcp_bbr_info, tcp_dctcp_info, tcp_diag_md5sig, tcpvegas_info } from '../uapi/inet-diag.js'
import { NLA_TYPE_MASK } from '../uapi/netlink.js'
import { TCPI_BITS, mptcp_info, tcp_info } from '../uapi/tcp-info.js'
import { AttributeDecoder } from './attributes.js'
import type { RawAttribute } from './attributes.js'
import { cookie, growingStruct, skMemInfoAttribute, structAttribute } from './decode-common.js'
import { DecodeError } from './errors.js'
import type { CamelPartial, SkMemInfo } from './decode-common.js'

/** `struct tcp_info` fields present in the reply (by length), camelCased without `tcpi_`, plus the unpacked bitfields. */
export type TcpInfo = CamelPartial<typeof tcp_info.fields, 'tcpi_'> & {
  sndWscale?: number
  rcvWscale?: number
  deliveryRateAppLimited?: boolean
  fastopenClientFail?: number
}

/** `struct mptcp_info` fields present in the reply, camelCased without `mptcpi_`. */
export type MptcpInfo = CamelPartial<typeof mptcp_info.fields, 'mptcpi_'>

/** INET_DIAG_MEMINFO. */
export interface InetMemInfo { rmem: number, wmem: number, fmem: number, tmem: number }
/** INET_DIAG_VEGASINFO. */
export interface VegasInfo { enabled: number, rttcnt: number, rtt: number, minrtt: number }
/** INET_DIAG_DCTCPINFO. */
export interface DctcpInfo { enabled: number, ceState: number, alpha: number, abEcn: number, abTot: number }
/** INET_DIAG_BBRINFO; `bw` in bytes per second, gains scaled by 256. */
export interface BbrInfo { bw: bigint, minRtt: number, pacingGain: number, cwndGain: number }
/** One INET_DIAG_MD5SIG entry. */
export interface Md5Sig { family: number, prefixLen: number, keyLen: number, addr: Uint8Array, key: Uint8Array }

/** INET_DIAG_ULP_INFO: the upper-layer protocol of a TCP socket and its details. */
export interface UlpInfo {
  name?: string
  /** INET_ULP_INFO_TLS (u16 codes as the kernel sends them). */
  tls?: { version?: number, cipher?: number, txConf?: number, rxConf?: number, zcRoTx: boolean, rxNoPad: boolean }
  /** INET_ULP_INFO_MPTCP: one subflow of an MPTCP connection. */
  mptcp?: {
    tokenRem?: number, tokenLoc?: number, relwriteSeq?: number, mapSeq?: bigint, mapSfseq?: number,
    ssnOffset?: number, mapDatalen?: number, flags?: number, idRem?: number, idLoc?: number
  }
}

/** One inet socket (TCP, UDP, RAW, MPTCP, …) as reported by inet_diag. */
export interface InetRecord {
  readonly kind: 'inet'
  /** AF_INET or AF_INET6. */
  family: number
  /** TCP_* state; TIME-WAIT sockets report their substate (6 or 5). */
  state: number
  /** `idiag_timer`: 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe. */
  timer: number
  retrans: number
  /** Network order; 4 bytes for AF_INET, 16 for AF_INET6. */
  localAddr: Uint8Array
  remoteAddr: Uint8Array
  localPort: number
  remotePort: number
  /** Bound device (`idiag_if`), 0 when unbound. */
  ifindex: number
  cookie: bigint
  /** Milliseconds until the timer fires. */
  expires: number
  rqueue: number
  wqueue: number
  uid: number
  inode: number
  /** INET_DIAG_MARK, 0 when absent (it needs CAP_NET_ADMIN). */
  mark: number
  /** INET_DIAG_CGROUP_ID, 0n when absent (TIME-WAIT and request sockets). */
  cgroupId: bigint
  /** INET_DIAG_SHUTDOWN: bit 0 receive, bit 1 send. */
  shutdown?: number
  tos?: number
  tclass?: number
  classId?: number
  v6only?: boolean
  /** INET_DIAG_PROTOCOL (raw sockets and destroy notifications). */
  protocol?: number
  /** INET_DIAG_CONG: congestion-control algorithm. */
  congestion?: string
  memInfo?: InetMemInfo
  skMemInfo?: SkMemInfo
  tcpInfo?: TcpInfo
  mptcpInfo?: MptcpInfo
  vegasInfo?: VegasInfo
  dctcpInfo?: DctcpInfo
  bbrInfo?: BbrInfo
  /** INET_DIAG_SOCKOPT as a little-endian u16; bits in `INET_DIAG_SOCKOPT_BIT`. */
  sockopt?: number
  md5sig?: Md5Sig[]
  /** INET_DIAG_ULP_INFO as sent (nested TLVs). */
  ulpInfo?: Uint8Array
  /** INET_DIAG_ULP_INFO decoded. */
  ulp?: UlpInfo
  /** Attributes this decoder does not interpret, copied. */
  unknown?: RawAttribute[]
}

const decodeTcpInfo = growingStruct(tcp_info, 'tcpi_')
const decodeMptcpInfo = growingStruct(mptcp_info, 'mptcpi_')

function bits(byte: number, f: { readonly shift: number, readonly width: number }): number {
  return (byte >> f.shift) & ((1 << f.width) - 1)
}

function tcpInfoOf(ad: AttributeDecoder): TcpInfo {
  const p = ad.payload()
  const info: TcpInfo = decodeTcpInfo(p.view, p.offset, p.length)
  if (info.wscale !== undefined) {
    info.sndWscale = bits(info.wscale, TCPI_BITS.snd_wscale)
    info.rcvWscale = bits(info.wscale, TCPI_BITS.rcv_wscale)
  }
  if (info.flags7 !== undefined) {
    info.deliveryRateAppLimited = bits(info.flags7, TCPI_BITS.delivery_rate_app_limited) === 1
    info.fastopenClientFail = bits(info.flags7, TCPI_BITS.fastopen_client_fail)
  }
  return info
}

function md5sigOf(ad: AttributeDecoder): Md5Sig[] {
  const p = ad.payload()
  if (p.length % tcp_diag_md5sig.size !== 0) {
    ad.invalid('tcp_diag_md5sig[]', `length ${p.length} is not a multiple of ${tcp_diag_md5sig.size}`)
    return []
  }
  const out: Md5Sig[] = []
  for (let o = 0; o < p.length; o += tcp_diag_md5sig.size) {
    const m = tcp_diag_md5sig.decode(p.view, p.offset + o)
    out.push({ family: m.tcpm_family, prefixLen: m.tcpm_prefixlen, keyLen: m.tcpm_keylen, addr: m.tcpm_addr, key: m.tcpm_key.subarray(0, Math.min(m.tcpm_keylen, 80)) })
  }
  return out
}

const O = inet_diag_msg.offsetOf

/**
 * `struct inet_diag_msg` → the fixed part of an {@link InetRecord}.
 *
 * Hand-written fast path (STYLE: allowed where a benchmark shows the need):
 * the table codec costs ~2.3 µs per socket, most of a dump's time with
 * millions of sockets; this reads the same offsets (taken from the table)
 * directly. `test/runtime/decode-fastpath.test.ts` checks it against
 * `inet_diag_msg.decode` on arbitrary bytes.
 * @throws DecodeError when fewer than 72 bytes are given
 */
export function decodeInetHead(payload: Uint8Array, base = 0): InetRecord {
  if (payload.length < inet_diag_msg.size) throw new DecodeError(inet_diag_msg.name, base, `needs ${inet_diag_msg.size} bytes, ${payload.length} left`)
  // Byte reads instead of a DataView per socket: measured with
  // bench/decode-micro.ts, the view and the 3-step BigInt of the cookie were
  // a third of the head's cost.
  const p = payload
  const family = p[O.idiag_family]!
  const addrLen = family === AF.AF_INET ? 4 : 16
  return {
    kind: 'inet',
    family,
    state: p[O.idiag_state]!,
    timer: p[O.idiag_timer]!,
    retrans: p[O.idiag_retrans]!,
    localAddr: p.slice(O.idiag_src, O.idiag_src + addrLen),
    remoteAddr: p.slice(O.idiag_dst, O.idiag_dst + addrLen),
    localPort: (p[O.idiag_sport]! << 8) | p[O.idiag_sport + 1]!,
    remotePort: (p[O.idiag_dport]! << 8) | p[O.idiag_dport + 1]!,
    ifindex: u32le(p, O.idiag_if),
    cookie: u64le(p, O.idiag_cookie0),
    expires: u32le(p, O.idiag_expires),
    rqueue: u32le(p, O.idiag_rqueue),
    wqueue: u32le(p, O.idiag_wqueue),
    uid: u32le(p, O.idiag_uid),
    inode: u32le(p, O.idiag_inode),
    mark: 0,
    cgroupId: 0n,
  }
}

/** Host-order (little-endian, like the rest of this decoder) u32 at `o`. */
function u32le(p: Uint8Array, o: number): number {
  return (p[o]! | (p[o + 1]! << 8) | (p[o + 2]! << 16) | (p[o + 3]! << 24)) >>> 0
}

/** Host-order u64 at `o`; one BigInt when the high word is 0 (socket cookies and cgroup ids usually are small). */
function u64le(p: Uint8Array, o: number): bigint {
  const hi = u32le(p, o + 4)
  return hi === 0 ? BigInt(u32le(p, o)) : cookie(u32le(p, o), hi)
}

/**
 * The attributes of a dump without extensions (shutdown, cgroup id, mark,
 * sockopt, tos/tclass, class id, v6only, protocol), read in place without an
 * AttributeDecoder. Returns false at the first attribute it does not handle
 * or whose framing or length is not the expected one; the caller then runs
 * the general decoder over all attributes, which sets the same fields to the
 * same values and reports errors, so results never differ.
 */
function hotAttributes(p: Uint8Array, rec: InetRecord): boolean {
  const end = p.length
  let pos = inet_diag_msg.size
  while (pos < end) {
    if (end - pos < 4) return false
    const len = p[pos]! | (p[pos + 1]! << 8)
    if (len < 4 || len > end - pos) return false
    const at = pos + 4
    const n = len - 4
    switch ((p[pos + 2]! | (p[pos + 3]! << 8)) & NLA_TYPE_MASK) {
      case INET_DIAG.INET_DIAG_SHUTDOWN: if (n !== 1) return false; rec.shutdown = p[at]!; break
      case INET_DIAG.INET_DIAG_CGROUP_ID: if (n !== 8) return false; rec.cgroupId = u64le(p, at); break
      case INET_DIAG.INET_DIAG_MARK: if (n !== 4) return false; rec.mark = u32le(p, at); break
      case INET_DIAG.INET_DIAG_SOCKOPT: if (n !== 2) return false; rec.sockopt = p[at]! | (p[at + 1]! << 8); break
      case INET_DIAG.INET_DIAG_TOS: if (n !== 1) return false; rec.tos = p[at]!; break
      case INET_DIAG.INET_DIAG_TCLASS: if (n !== 1) return false; rec.tclass = p[at]!; break
      case INET_DIAG.INET_DIAG_CLASS_ID: if (n !== 4) return false; rec.classId = u32le(p, at); break
      case INET_DIAG.INET_DIAG_SKV6ONLY: if (n !== 1) return false; rec.v6only = p[at] !== 0; break
      case INET_DIAG.INET_DIAG_PROTOCOL: if (n !== 1) return false; rec.protocol = p[at]!; break
      case INET_DIAG.INET_DIAG_PAD: break
      default: return false
    }
    pos = Math.min(end, pos + ((len + 3) & ~3))
  }
  return true
}

/**
 * Decode one inet_diag reply payload (after the nlmsghdr).
 * @param protocol the protocol the request asked for: INET_DIAG_INFO holds `tcp_info` for TCP and `mptcp_info` for MPTCP (262); other protocols' INFO is kept raw
 * @param base offset of `payload` in the datagram, for error positions
 * @throws DecodeError on truncated or malformed input
 */
export function decodeInet(payload: Uint8Array, protocol: number = IPPROTO.IPPROTO_TCP, base = 0): InetRecord {
  const rec = decodeInetHead(payload, base)
  return hotAttributes(payload, rec) ? rec : allAttributes(payload, rec, protocol, base)
}

/**
 * {@link decodeInet} without the fast path for the attributes of a plain
 * dump: the reference the fast path is property-tested against.
 * @throws DecodeError on truncated or malformed input
 */
export function decodeInetGeneral(payload: Uint8Array, protocol: number = IPPROTO.IPPROTO_TCP, base = 0): InetRecord {
  return allAttributes(payload, decodeInetHead(payload, base), protocol, base)
}

function allAttributes(payload: Uint8Array, rec: InetRecord, protocol: number, base: number): InetRecord {
  const ad = new AttributeDecoder(payload.subarray(inet_diag_msg.size), base + inet_diag_msg.size)
  while (ad.next()) {
    switch (ad.type()) {
      case INET_DIAG.INET_DIAG_MEMINFO: {
        const v = structAttribute(ad, inet_diag_meminfo)
        if (v) rec.memInfo = { rmem: v.idiag_rmem, wmem: v.idiag_wmem, fmem: v.idiag_fmem, tmem: v.idiag_tmem }
        break
      }
      case INET_DIAG.INET_DIAG_INFO:
        if (protocol === IPPROTO.IPPROTO_TCP) rec.tcpInfo = tcpInfoOf(ad)
        else if (protocol === IPPROTO.IPPROTO_MPTCP) {
          const p = ad.payload()
          rec.mptcpInfo = decodeMptcpInfo(p.view, p.offset, p.length)
        } else (rec.unknown ??= []).push(ad.raw())
        break
      case INET_DIAG.INET_DIAG_VEGASINFO: {
        const v = structAttribute(ad, tcpvegas_info)
        if (v) rec.vegasInfo = { enabled: v.tcpv_enabled, rttcnt: v.tcpv_rttcnt, rtt: v.tcpv_rtt, minrtt: v.tcpv_minrtt }
        break
      }
      case INET_DIAG.INET_DIAG_DCTCPINFO: {
        const v = structAttribute(ad, tcp_dctcp_info)
        if (v) rec.dctcpInfo = { enabled: v.dctcp_enabled, ceState: v.dctcp_ce_state, alpha: v.dctcp_alpha, abEcn: v.dctcp_ab_ecn, abTot: v.dctcp_ab_tot }
        break
      }
      case INET_DIAG.INET_DIAG_BBRINFO: {
        const v = structAttribute(ad, tcp_bbr_info)
        if (v) rec.bbrInfo = { bw: cookie(v.bbr_bw_lo, v.bbr_bw_hi), minRtt: v.bbr_min_rtt, pacingGain: v.bbr_pacing_gain, cwndGain: v.bbr_cwnd_gain }
        break
      }
      case INET_DIAG.INET_DIAG_CONG: rec.congestion = ad.string(); break
      case INET_DIAG.INET_DIAG_TOS: rec.tos = ad.u8(); break
      case INET_DIAG.INET_DIAG_TCLASS: rec.tclass = ad.u8(); break
      case INET_DIAG.INET_DIAG_SKMEMINFO: rec.skMemInfo = skMemInfoAttribute(ad); break
      case INET_DIAG.INET_DIAG_SHUTDOWN: rec.shutdown = ad.u8(); break
      case INET_DIAG.INET_DIAG_PROTOCOL: rec.protocol = ad.u8(); break
      case INET_DIAG.INET_DIAG_SKV6ONLY: rec.v6only = ad.u8() !== 0; break
      case INET_DIAG.INET_DIAG_PAD: break
      case INET_DIAG.INET_DIAG_MARK: rec.mark = ad.u32(); break
      case INET_DIAG.INET_DIAG_CLASS_ID: rec.classId = ad.u32(); break
      case INET_DIAG.INET_DIAG_MD5SIG: rec.md5sig = md5sigOf(ad); break
      case INET_DIAG.INET_DIAG_ULP_INFO:
        rec.ulpInfo = ad.bytesCopy()
        rec.ulp = ulpInfoOf(rec.ulpInfo, base + inet_diag_msg.size)
        break
      case INET_DIAG.INET_DIAG_CGROUP_ID: rec.cgroupId = ad.u64(); break
      case INET_DIAG.INET_DIAG_SOCKOPT: rec.sockopt = ad.u16(); break
      default: (rec.unknown ??= []).push(ad.raw())
    }
  }
  ad.finish()
  return rec
}

/** Decode the nested INET_DIAG_ULP_INFO attributes (unknown ones are skipped: the raw bytes stay on the record). */
function ulpInfoOf(bytes: Uint8Array, base: number): UlpInfo {
  const ulp: UlpInfo = {}
  const ad = new AttributeDecoder(bytes, base)
  while (ad.next()) {
    switch (ad.type()) {
      case INET_ULP_INFO.INET_ULP_INFO_NAME: ulp.name = ad.string(); break
      case INET_ULP_INFO.INET_ULP_INFO_TLS: {
        const tls: NonNullable<UlpInfo['tls']> = { zcRoTx: false, rxNoPad: false }
        const t = new AttributeDecoder(ad.bytesView(), base)
        while (t.next()) {
          switch (t.type()) {
            case TLS_INFO.TLS_INFO_VERSION: tls.version = t.u16(); break
            case TLS_INFO.TLS_INFO_CIPHER: tls.cipher = t.u16(); break
            case TLS_INFO.TLS_INFO_TXCONF: tls.txConf = t.u16(); break
            case TLS_INFO.TLS_INFO_RXCONF: tls.rxConf = t.u16(); break
            case TLS_INFO.TLS_INFO_ZC_RO_TX: tls.zcRoTx = true; break
            case TLS_INFO.TLS_INFO_RX_NO_PAD: tls.rxNoPad = true; break
          }
        }
        t.finish()
        ulp.tls = tls
        break
      }
      case INET_ULP_INFO.INET_ULP_INFO_MPTCP: {
        const sf: NonNullable<UlpInfo['mptcp']> = {}
        const m = new AttributeDecoder(ad.bytesView(), base)
        while (m.next()) {
          switch (m.type()) {
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_TOKEN_REM: sf.tokenRem = m.u32(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_TOKEN_LOC: sf.tokenLoc = m.u32(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ: sf.relwriteSeq = m.u32(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_MAP_SEQ: sf.mapSeq = m.u64(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_MAP_SFSEQ: sf.mapSfseq = m.u32(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_SSN_OFFSET: sf.ssnOffset = m.u32(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_MAP_DATALEN: sf.mapDatalen = m.u16(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_FLAGS: sf.flags = m.u32(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_ID_REM: sf.idRem = m.u8(); break
            case MPTCP_SUBFLOW_ATTR.MPTCP_SUBFLOW_ATTR_ID_LOC: sf.idLoc = m.u8(); break
          }
        }
        m.finish()
        ulp.mptcp = sf
        break
      }
    }
  }
  ad.finish()
  return ulp
}
