/**
 * Decoder for what an `iter/unix` program wrote: a run of fixed-size
 * `ssx_iter_unix_rec` records (uapi/bpf-unix.ts) → the same
 * {@link UnixRecord}s the netlink runtime yields for ss's unix request
 * (NAME, PEER, RQLEN, SHUTDOWN, and UID when asked for), so listing,
 * formatting and the evaluator cannot tell which target produced them.
 * `-e` and `-m` attributes (VFS, ICONS, MEMINFO) are not read by the program.
 */
import { ssx_iter_unix_rec } from '../uapi/bpf-unix.js'
import { AF } from '../uapi/inet-diag.js'
import { unixName } from './decode-unix.js'
import type { UnixRecord } from './decode-unix.js'
import { DecodeError } from './errors.js'
import { fixedRecords } from './iter-records.js'

/** Options of {@link decodeIterUnix}. */
export interface DecodeIterUnixOptions {
  /** Set `uid`, as a netlink reply carries UNIX_DIAG_UID only when the request asked for it. */
  readonly uid?: boolean
}

/**
 * Decode records from chunks as the iterator yields them, keeping a record
 * split across two chunks (the kernel does not split them; this does not rely on it).
 * @throws DecodeError on a malformed record or trailing bytes at the end
 */
export function decodeIterUnixChunks(chunks: Iterable<Uint8Array>, opts: DecodeIterUnixOptions = {}): Generator<UnixRecord> {
  return fixedRecords(chunks, ssx_iter_unix_rec.size, ssx_iter_unix_rec.name, (view, o) => decodeOne(view, o, opts))
}

/**
 * Decode every record in `bytes`.
 * @throws DecodeError when the length is not a whole number of records or a family is not AF_UNIX
 */
export function decodeIterUnix(bytes: Uint8Array, opts: DecodeIterUnixOptions = {}): UnixRecord[] {
  return [...decodeIterUnixChunks([bytes], opts)]
}

function decodeOne(view: DataView, o: number, opts: DecodeIterUnixOptions): UnixRecord {
  const r = ssx_iter_unix_rec.decode(view, o)
  if (r.family !== AF.AF_UNIX) throw new DecodeError(ssx_iter_unix_rec.name, o, `family ${r.family} is not AF_UNIX`)
  if (r.name_len > r.name.length) throw new DecodeError(ssx_iter_unix_rec.name, o + ssx_iter_unix_rec.offsetOf.name_len, `name length ${r.name_len} is longer than sun_path`)
  const rec: UnixRecord = {
    kind: 'unix',
    family: r.family,
    type: r.type,
    state: r.state,
    inode: r.inode,
    cookie: r.cookie,
    localPort: r.inode,
    remotePort: r.has_peer ? r.peer : 0,
  }
  if (r.named) {
    rec.nameBytes = r.name.slice(0, r.name_len)
    rec.localName = unixName(rec.nameBytes)
  }
  if (r.has_peer) rec.peer = r.peer
  rec.rqueue = r.rqueue
  rec.wqueue = r.wqueue
  rec.shutdown = r.shutdown
  if (opts.uid) rec.uid = r.uid
  return rec
}
