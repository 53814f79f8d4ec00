/**
 * Decoder for what an `iter/unix` program wrote: a run of
 * `ssx_iter_unix_rec` records (uapi/bpf-unix.ts), each cut after its name, → the same
 * {@link UnixRecord}s the netlink runtime yields for ss's unix request
 * (NAME, PEER, RQLEN, SHUTDOWN, and UID when asked for), so listing,
 * formatting and the evaluator cannot tell which target produced them.
 * `-e` and `-m` attributes (VFS, ICONS, MEMINFO) are not read by the program.
 */
import { ssx_iter_unix_rec, UNIX_REC_HEAD } from '../uapi/bpf-unix.js'
import { AF } from '../uapi/inet-diag.js'
import { unixName } from './decode-unix.js'
import type { UnixRecord } from './decode-unix.js'
import { DecodeError } from './errors.js'
import { withCarry } from './decode-iter.js'

/** Options of {@link decodeIterUnix}. */
export interface DecodeIterUnixOptions {
  /** Set `uid`, as a netlink reply carries UNIX_DIAG_UID only when the request asked for it. */
  readonly uid?: boolean
}

/**
 * Decode records from chunks as the iterator yields them, keeping a record
 * split across two chunks (the kernel does not split them; this does not
 * rely on it). Each record is the struct's first `UNIX_REC_HEAD` bytes and
 * `name_len` bytes of name.
 * @throws DecodeError on a malformed record or trailing bytes at the end
 */
export function* decodeIterUnixChunks(chunks: Iterable<Uint8Array>, opts: DecodeIterUnixOptions = {}): Generator<UnixRecord> {
  // Each record is decoded from a zero-padded full-size copy, by the struct's own codec.
  const whole = new Uint8Array(ssx_iter_unix_rec.size)
  const view = new DataView(whole.buffer)
  let carry = new Uint8Array(0)
  for (let chunk of chunks) {
    chunk = withCarry(carry, chunk)
    let o = 0
    for (;;) {
      if (chunk.length - o < UNIX_REC_HEAD) break
      const len = UNIX_REC_HEAD + chunk[o + NAME_LEN_AT]!
      if (len > ssx_iter_unix_rec.size) throw new DecodeError(ssx_iter_unix_rec.name, o + NAME_LEN_AT, `name length ${len - UNIX_REC_HEAD} is longer than sun_path`)
      if (chunk.length - o < len) break
      whole.fill(0)
      whole.set(chunk.subarray(o, o + len))
      yield decodeOne(view, o, opts)
      o += len
    }
    carry = chunk.slice(o)
  }
  if (carry.length > 0) throw new DecodeError(ssx_iter_unix_rec.name, 0, `${carry.length} trailing bytes are not a whole record`)
}

const NAME_LEN_AT = ssx_iter_unix_rec.offsetOf.name_len

/**
 * Decode every record in `bytes`.
 * @throws DecodeError on a malformed record, trailing bytes, or a family that is not AF_UNIX
 */
export function decodeIterUnix(bytes: Uint8Array, opts: DecodeIterUnixOptions = {}): UnixRecord[] {
  return [...decodeIterUnixChunks([bytes], opts)]
}

/** One record from the padded copy in `view`; `at` is where it was in the output, for errors. */
function decodeOne(view: DataView, at: number, opts: DecodeIterUnixOptions): UnixRecord {
  const r = ssx_iter_unix_rec.decode(view, 0)
  if (r.family !== AF.AF_UNIX) throw new DecodeError(ssx_iter_unix_rec.name, at, `family ${r.family} is not AF_UNIX`)
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
