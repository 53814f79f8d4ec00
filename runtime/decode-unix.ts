/**
 * Decoder for unix_diag replies (`struct unix_diag_msg` + attributes that
 * start at type 0). In ss's model the unix "ports" are inodes: local = the
 * socket's inode, remote = the peer's (0 when there is none).
 */
import { UNIX_DIAG, unix_diag_msg, unix_diag_rqlen, unix_diag_vfs } from '../uapi/unix-diag.js'
import { AttributeDecoder } from './attributes.js'
import type { RawAttribute } from './attributes.js'
import { cookie, fixedStruct, skMemInfoAttribute, structAttribute } from './decode-common.js'
import type { SkMemInfo } from './decode-common.js'

/** One AF_UNIX socket. */
export interface UnixRecord {
  readonly kind: 'unix'
  family: number
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5. */
  type: number
  /** TCP_* numbering: 1 connected, 7 unconnected, 10 listening. */
  state: number
  inode: number
  cookie: bigint
  /** = inode (ss's unix "port"). */
  localPort: number
  /** = peer inode, 0 when there is no peer. */
  remotePort: number
  /** Path, or abstract name with its NUL bytes shown as `@`; undefined when unbound. */
  localName?: string
  /** UNIX_DIAG_NAME as sent (paths include their trailing NUL). */
  nameBytes?: Uint8Array
  vfs?: { ino: number, dev: number }
  /** UNIX_DIAG_PEER, when sent. */
  peer?: number
  /** Peers of pending connections (listeners). */
  icons?: number[]
  /** UNIX_DIAG_RQLEN: listeners: pending count / backlog; others: receive / send queue bytes. */
  rqueue?: number
  wqueue?: number
  memInfo?: SkMemInfo
  shutdown?: number
  uid?: number
  unknown?: RawAttribute[]
}

const latin1 = new TextDecoder('latin1')

/**
 * ss's rendering of a `sun_path`: a filesystem path up to its NUL; an
 * abstract name (leading NUL) with every NUL replaced by `@`. Bytes are
 * mapped one to one (latin1) so no name is ever rejected or merged.
 */
export function unixName(raw: Uint8Array): string {
  if (raw.length > 0 && raw[0] === 0) return latin1.decode(raw).replace(/\0/g, '@')
  const nul = raw.indexOf(0)
  return latin1.decode(nul === -1 ? raw : raw.subarray(0, nul))
}

/**
 * Decode one unix_diag reply payload (after the nlmsghdr).
 * @throws DecodeError on truncated or malformed input
 */
export function decodeUnix(payload: Uint8Array, base = 0): UnixRecord {
  const m = fixedStruct(unix_diag_msg, payload, 0, base)
  const rec: UnixRecord = {
    kind: 'unix',
    family: m.udiag_family,
    type: m.udiag_type,
    state: m.udiag_state,
    inode: m.udiag_ino,
    cookie: cookie(m.udiag_cookie0, m.udiag_cookie1),
    localPort: m.udiag_ino,
    remotePort: 0,
  }
  const ad = new AttributeDecoder(payload.subarray(unix_diag_msg.size), base + unix_diag_msg.size)
  while (ad.next()) {
    switch (ad.type()) {
      case UNIX_DIAG.UNIX_DIAG_NAME:
        rec.nameBytes = ad.bytesCopy()
        rec.localName = unixName(rec.nameBytes)
        break
      case UNIX_DIAG.UNIX_DIAG_VFS: {
        const v = structAttribute(ad, unix_diag_vfs)
        if (v) rec.vfs = { ino: v.udiag_vfs_ino, dev: v.udiag_vfs_dev }
        break
      }
      case UNIX_DIAG.UNIX_DIAG_PEER:
        rec.peer = ad.u32()
        rec.remotePort = rec.peer
        break
      case UNIX_DIAG.UNIX_DIAG_ICONS: rec.icons = ad.u32Array(); break
      case UNIX_DIAG.UNIX_DIAG_RQLEN: {
        const v = structAttribute(ad, unix_diag_rqlen)
        if (v) {
          rec.rqueue = v.udiag_rqueue
          rec.wqueue = v.udiag_wqueue
        }
        break
      }
      case UNIX_DIAG.UNIX_DIAG_MEMINFO: rec.memInfo = skMemInfoAttribute(ad); break
      case UNIX_DIAG.UNIX_DIAG_SHUTDOWN: rec.shutdown = ad.u8(); break
      case UNIX_DIAG.UNIX_DIAG_UID: rec.uid = ad.u32(); break
      default: (rec.unknown ??= []).push(ad.raw())
    }
  }
  ad.finish()
  return rec
}
