/**
 * Row tokens of an AF_UNIX socket as ss 6.1 prints them (ss-behavior §8.2):
 * the address column holds the name (or `*`) and a space, the port column
 * the inode; the peer is always `*` with the peer's inode (0 when none).
 */
import { COL } from './render.js'
import { queueText, stateName } from './format-inet.js'

/** The fields of a unix socket the row needs (runtime's `UnixRecord` has them). */
export interface UnixRowRecord {
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5. */
  readonly type: number
  readonly state: number
  readonly inode: number
  /** Peer inode, 0 when there is none. */
  readonly remotePort: number
  /** UNIX_DIAG_NAME as sent; preferred over `localName` (see {@link unixNameText}). */
  readonly nameBytes?: Uint8Array
  /** The name as text, used when `nameBytes` is absent. */
  readonly localName?: string
  readonly rqueue?: number
  readonly wqueue?: number
}

/** Netid of a unix socket type. */
export function unixNetid(type: number): string {
  return type === 1 ? 'u_str' : type === 5 ? 'u_seq' : 'u_dgr'
}

/**
 * ss 6.1's text of a `sun_path`: an abstract name (leading NUL) with every
 * NUL shown as `@` (verified: `\0in\0ner` prints `@in@ner`); a path up to
 * its NUL. Bytes map one to one to chars (latin1).
 */
export function unixNameText(raw: Uint8Array): string {
  const abstract = raw.length > 0 && raw[0] === 0
  let s = ''
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!
    if (b === 0) {
      if (!abstract) break
      s += '@'
    } else s += String.fromCharCode(b)
  }
  return s
}

/** Column tokens (indexed by {@link COL}) of a unix socket; Process empty. */
export function unixRow(rec: UnixRowRecord): string[] {
  const row = new Array<string>(COL.PROC + 1).fill('')
  const name = rec.nameBytes !== undefined ? unixNameText(rec.nameBytes) : rec.localName
  row[COL.NETID] = unixNetid(rec.type)
  row[COL.STATE] = stateName(rec.state)
  row[COL.RECVQ] = queueText(rec.rqueue ?? 0)
  row[COL.SENDQ] = queueText(rec.wqueue ?? 0)
  row[COL.ADDR] = `${name === undefined || name === '' ? '*' : name} `
  // 6.1 prints the inodes as signed ints.
  row[COL.SERV] = String(rec.inode | 0)
  row[COL.RADDR] = '* '
  row[COL.RSERV] = String(rec.remotePort | 0)
  return row
}
