// -D and TCPDIAG_FILE against ss 6.1 in a private namespace running the zoo:
// our recording has the bytes ss writes for the same sockets (up to what
// changes between two dumps: the reader's port id and timers), a recording
// replays to the live dump's records, ss's own recording decodes, and the
// default replay stops at the first DONE exactly like ss's does.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AF } from '../../uapi/inet-diag.js'
import { compilePlan } from '../../compiler/compile.js'
import { SS_ALL, tableBit } from '../../compiler/select.js'
import type { Selection } from '../../compiler/select.js'
import { openDiag } from '../../runtime/netns.js'
import { splitMessages } from '../../runtime/message.js'
import type { SocketRecord } from '../../runtime/record.js'
import { runQuery } from '../../src/query.js'
import { recordTcpFile, replayTcpFile, tcpDiagFile } from '../../src/record-replay.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const key = (r: SocketRecord): string => r.kind === 'inet' ? `${r.family}/${r.state}/${r.cookie}/${r.localPort}/${r.remotePort}/${r.inode}/${r.mark}` : r.kind

/** The messages of a recording with what differs between two dumps zeroed: nlmsg_pid, idiag_expires. */
function normalized(bytes: Uint8Array): string[] {
  return [...splitMessages(bytes)].map((m) => {
    const b = Uint8Array.from(bytes.subarray(m.offset, m.offset + 16 + m.payload.length))
    b.fill(0, 12, 16)
    // inet_diag_msg: family, state, timer, retrans, then the 48-byte sockid; expires follows.
    if (m.type === 20) b.fill(0, 16 + 52, 16 + 56)
    return Buffer.from(b).toString('hex')
  })
}

t.test('tcpDiagFile reads TCPDIAG_FILE from the environment given', async (t) => {
  t.equal(tcpDiagFile({ TCPDIAG_FILE: '/x' }), '/x')
  t.equal(tcpDiagFile({}), undefined)
})

t.test('a truncated recording is a DecodeError', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ssx-replay-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'cut.bin')
  // An nlmsghdr announcing 100 bytes, followed by 4.
  writeFileSync(file, Uint8Array.from([100, 0, 0, 0, 20, 0, 2, 0, 0x40, 0xe2, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4]))
  t.throws(() => [...replayTcpFile(file)], { name: 'DecodeError' })
  writeFileSync(file, Uint8Array.from([1, 2, 3]))
  t.throws(() => [...replayTcpFile(file)], { name: 'DecodeError' })
  writeFileSync(file, new Uint8Array(0))
  t.same([...replayTcpFile(file)], [], 'an empty file replays nothing')
})

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.test('kernel', { skip: 'needs root and ip(8) to create a network namespace (CI=true makes this a failure)' }, async () => {})
} else {
  const ns = await createNetns('replay')
  t.teardown(() => ns.destroy())
  await ns.startZoo()
  const sock = openDiag({ netns: ns.name })
  t.teardown(() => sock.close())
  const dir = mkdtempSync(join(tmpdir(), 'ssx-replay-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const ours = join(dir, 'ours.bin')
  const theirs = join(dir, 'theirs.bin')
  const sel: Selection = { tables: tableBit('tcp'), families: (1 << AF.AF_INET) | (1 << AF.AF_INET6), states: SS_ALL, preferredFamily: 0 }
  const live = (): string[] => [...runQuery(compilePlan(null, { selection: sel, preferredFamily: 0 }), { ...sel, socket: sock })].map(key).sort()

  t.test('the recording has ss -a -D\'s bytes', async (t) => {
    const result = recordTcpFile(ours, { socket: sock, states: SS_ALL })
    await ns.exec('/usr/bin/ss', ['-a', '-D', theirs])
    const a = readFileSync(ours)
    const b = readFileSync(theirs)
    t.equal(result.bytes, a.length, `${result.datagrams} datagrams, ${a.length} bytes`)
    t.equal(a.length, b.length, 'same length as ss\'s file')
    t.same(normalized(a), normalized(b), 'same messages, in the same order, up to nlmsg_pid and timers')
    t.equal(normalized(a).filter((h) => h.slice(8, 12) === '0300').length, 2, 'two replies (AF_INET, AF_INET6), each ending in DONE')
  })

  t.test('record, replay: the live dump\'s records', async (t) => {
    t.same([...replayTcpFile(ours, { untilEof: true })].map(key).sort(), live())
  })

  t.test('ss\'s recording decodes; the default replay stops at the first DONE, like ss', async (t) => {
    const all = [...replayTcpFile(theirs, { untilEof: true })]
    t.same(all.map(key).sort(), live(), 'every reply of the file')
    const first = [...replayTcpFile(theirs)]
    t.ok(first.length > 0 && first.every((r) => r.family === AF.AF_INET), 'default: the AF_INET reply only')
    const { stdout } = await ns.exec('/usr/bin/env', [`TCPDIAG_FILE=${theirs}`, '/usr/bin/ss', '-tanH'])
    t.equal(first.length, stdout.trim().split('\n').length, 'as many sockets as TCPDIAG_FILE=… ss -tanH lists')
  })

  t.test('-4 records one reply', async (t) => {
    const file = join(dir, 'v4.bin')
    recordTcpFile(file, { socket: sock, states: SS_ALL, preferredFamily: AF.AF_INET })
    const recs = [...replayTcpFile(file, { untilEof: true })]
    t.ok(recs.length > 0 && recs.every((r) => r.family === AF.AF_INET))
  })
}
