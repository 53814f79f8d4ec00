// The dump reader thread (runtime/prefetch.ts) against the real kernel, in a
// private namespace with a few thousand listeners (a dump of many datagrams):
// dumps read ahead on the worker yield exactly what the main thread reads by
// itself; one socket serves reply after reply (v4 then v6, a dump abandoned
// early, then a full one); and a process that never closes its socket still
// exits at once.
import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { dump } from '../../runtime/dump.js'
import { openDiag } from '../../runtime/netns.js'
import { replyEnd } from '../../runtime/message.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

t.test('replyEnd finds DONE and ERROR anywhere in a datagram, and tells broken framing apart', async (t) => {
  const msg = (type: number, len = 16): number[] => [len, 0, 0, 0, type, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...new Array(Math.max(0, ((len + 3) & ~3) - 16)).fill(0)]
  t.equal(replyEnd(Uint8Array.from([...msg(20, 88), ...msg(20, 90)])), 'more')
  t.equal(replyEnd(Uint8Array.from([...msg(20, 88), ...msg(3, 20)])), 'end', 'NLMSG_DONE after data')
  t.equal(replyEnd(Uint8Array.from(msg(2, 36))), 'end', 'NLMSG_ERROR')
  t.equal(replyEnd(Uint8Array.from(msg(20, 8))), 'broken', 'nlmsg_len shorter than the header')
  t.equal(replyEnd(Uint8Array.from([...msg(20, 88), 1, 2, 3])), 'broken', 'a header cut short')
  t.equal(replyEnd(Uint8Array.from([...msg(3, 20), ...msg(20, 8)])), 'end', 'the end comes before the broken message')
  t.equal(replyEnd(Uint8Array.from(msg(20, 200).slice(0, 100))), 'broken', 'nlmsg_len past the datagram')
  t.equal(replyEnd(new Uint8Array(0)), 'more')
})

const ok = await canUseNetns()
if (!ok && process.env.CI !== 'true') {
  t.test('kernel', { skip: 'needs root and ip(8) for a private namespace (CI=true makes this a failure)' }, async () => undefined)
} else {
  const ns = await createNetns('prefetch')
  t.teardown(() => ns.destroy())
  await ns.startZoo({ extraListeners: 4000, timeoutMs: 60_000 })
  const key = (r: InetRecord): string => `${r.family} ${r.localPort} ${r.remotePort} ${r.cookie} ${r.state}`
  const inet = (family: number) => ({ kind: 'inet', family, protocol: 6, states: 1 << 10, ext: 0, bytecode: null } as const)

  t.test('read ahead on the worker = read on the main thread, reply after reply', async (t) => {
    const plain = openDiag({ netns: ns.name, readAheadAfter: 0 })
    const ahead = openDiag({ netns: ns.name, readAheadAfter: 1 })
    t.teardown(() => { plain.close(); ahead.close() })
    // The worker starts after the first datagram and is ready some milliseconds later.
    for (const _ of dump(ahead, inet(2))) break
    await new Promise((resolve) => setTimeout(resolve, 300))
    for (const family of [2, 10, 2]) {
      const a = [...dump(plain, inet(family))].map((r) => key(r as InetRecord))
      const d = dump(ahead, inet(family))
      const b = [...d].map((r) => key(r as InetRecord))
      t.ok(d.datagrams > 1 || family === 10, `family ${family}: ${d.datagrams} datagrams`)
      t.same(b, a, `family ${family}: ${a.length} listeners, same order`)
    }
    t.ok(ahead.readAhead > 30, `${ahead.readAhead} datagrams came through the reader thread`)
    let n = 0
    for (const _ of dump(ahead, inet(2))) if (++n === 3) break
    const after = [...dump(ahead, inet(2))].length
    t.ok(after >= 4000, `a full dump after one abandoned early: ${after}`)
  })

  t.test('batches read in place through the worker: every socket once', async (t) => {
    const ahead = openDiag({ netns: ns.name, readAheadAfter: 2 })
    t.teardown(() => ahead.close())
    const { InetMessageView } = await import('../../runtime/inet-view.js')
    const seen = new Set<number>()
    const v = new InetMessageView()
    for (const b of dump(ahead, inet(2)).batches()) {
      for (let i = 0; i < b.count; i++) seen.add(v.bind(b.bytes, b.spans[2 * i]!, b.spans[2 * i + 1]!).localPort)
    }
    t.ok(seen.size >= 4000, `${seen.size} distinct listening ports`)
  })

  t.test('a process that never closes its socket exits at once', async (t) => {
    const child = fileURLToPath(new URL('./fixtures/prefetch-child.ts', import.meta.url))
    const { stdout } = await promisify(execFile)('ip', ['netns', 'exec', ns.name, process.execPath, ...process.execArgv, child], { timeout: 30_000 })
    const [all, some, again] = stdout.trim().split(' ').map(Number)
    t.ok(all! > 4000, `first dump: ${all}`)
    t.equal(some, 5, 'second dump stopped after 5')
    t.equal(again, all, 'third dump complete')
  })
}
