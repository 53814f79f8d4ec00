// The iter/unix record decoder: records of varying length (cut after the
// name) built with the struct table, decoded whole and split at every byte
// into two chunks; malformed input gives a typed error.
import t from 'tap'
import { ssx_iter_unix_rec, UNIX_REC_HEAD } from '../../uapi/bpf-unix.js'
import { decodeIterUnix, decodeIterUnixChunks } from '../../runtime/decode-iter-unix.js'

const enc = new TextEncoder()
const record = (v: Parameters<typeof ssx_iter_unix_rec.bytes>[0] & { name?: Uint8Array }): Uint8Array =>
  ssx_iter_unix_rec.bytes({ family: 1, ...v }).subarray(0, UNIX_REC_HEAD + (v.name_len ?? 0))
const path = enc.encode('/run/x.sock\0')
const abstract = Uint8Array.from([0, ...enc.encode('in'), 0, ...enc.encode('ner')])
const stream = Buffer.concat([
  record({ type: 1, state: 10, inode: 7, named: 1, name_len: path.length, name: path, rqueue: 1, wqueue: 16, cookie: 99n }),
  record({ type: 1, state: 1, inode: 8, has_peer: 1, peer: 9, rqueue: 3, shutdown: 1, uid: 1000 }),
  record({ type: 2, state: 7, inode: 0xfffffff0, named: 1, name_len: abstract.length, name: abstract }),
])
const want = [
  { kind: 'unix', family: 1, type: 1, state: 10, inode: 7, cookie: 99n, localPort: 7, remotePort: 0, nameBytes: path, localName: '/run/x.sock', rqueue: 1, wqueue: 16, shutdown: 0, uid: 0 },
  { kind: 'unix', family: 1, type: 1, state: 1, inode: 8, cookie: 0n, localPort: 8, remotePort: 9, peer: 9, rqueue: 3, wqueue: 0, shutdown: 1, uid: 1000 },
  { kind: 'unix', family: 1, type: 2, state: 7, inode: 0xfffffff0, cookie: 0n, localPort: 0xfffffff0, remotePort: 0, nameBytes: abstract, localName: '@in@ner', rqueue: 0, wqueue: 0, shutdown: 0, uid: 0 },
]

t.test('whole, and split at every byte', async (t) => {
  t.same(decodeIterUnix(stream, { uid: true }), want)
  for (let cut = 0; cut <= stream.length; cut++) {
    const got = [...decodeIterUnixChunks([stream.subarray(0, cut), stream.subarray(cut)], { uid: true })]
    if (JSON.stringify(got, (_, v) => (typeof v === 'bigint' ? `${v}` : v)) !== JSON.stringify(want, (_, v) => (typeof v === 'bigint' ? `${v}` : v))) t.fail(`split at ${cut}`)
  }
  t.pass(`${stream.length + 1} splits`)
  t.notOk('uid' in decodeIterUnix(stream)[0]!, 'no uid unless asked (as UNIX_DIAG_UID)')
})

t.test('malformed input: typed errors', async (t) => {
  t.throws(() => decodeIterUnix(stream.subarray(0, stream.length - 1)), { name: 'DecodeError' }, 'a cut record')
  const long = Uint8Array.from(stream.subarray(0, UNIX_REC_HEAD))
  long[ssx_iter_unix_rec.offsetOf.name_len] = 200
  t.throws(() => decodeIterUnix(long), { name: 'DecodeError' }, 'a name longer than sun_path')
  const inet = Uint8Array.from(stream.subarray(0, UNIX_REC_HEAD + path.length))
  inet[0] = 2
  t.throws(() => decodeIterUnix(inet), { name: 'DecodeError' }, 'not AF_UNIX')
})
