// The eBPF listing under churn, read slowly: sockets enter and leave the
// hash tables while the iterator walks them, and the reader stalls between
// reads (the kernel fills at most a seq_file buffer per read(), then stops
// and resumes the walk at the next one). Every TIME-WAIT socket that lives
// through the whole walk must come out exactly once, and no socket twice.
//
// The question behind it (issue 9, 1M-socket benchmark): `--target ebpf`
// printed ~2,000 fewer rows of bench/populate.py's TIME-WAIT churn than
// `--target diag`. A row count cannot tell a lost socket from one that was
// created after the walk passed its bucket or expired before the walk got
// there; this test separates them: only sockets older than the walk and
// younger than their 60 s are judged.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { runEbpfListing } from '../../src/ebpf-query.js'
import { SS_ALL, TABLE } from '../../compiler/select.js'
import { AF, TCP_STATE } from '../../uapi/inet-diag.js'
import { readLocalPortRange } from '../../src/query.js'
import type { InetRecord } from '../../runtime/decode-inet.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const CHURN = fileURLToPath(new URL('../helpers/tw-churn.py', import.meta.url))
const HELD = 2000

const netnsOk = await canUseNetns()
if (!netnsOk && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN) and ip(8) for a private namespace (CI=true makes this a failure)')
} else {
  const ns = await createNetns('ebpfchurn')
  t.teardown(() => ns.destroy())
  const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', CHURN, '--held', String(HELD)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  // Closing stdin stops the churn; the namespace then goes with its TIME-WAIT sockets.
  t.teardown(async () => { child.stdin.end(); await exited })
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const held = JSON.parse((await lines.next()).value as string) as [number, string, number][]
  t.equal((await lines.next()).value, 'ready')

  const sockets = (limit: { stallEvery: number, stallMs: number }): { rows: InetRecord[], walkMs: number } => {
    const rows: InetRecord[] = []
    const pause = new Int32Array(new SharedArrayBuffer(4))
    const t0 = performance.now()
    const recs = runEbpfListing(null, {
      selection: { tables: 1 << TABLE.tcp, families: (1 << AF.AF_INET) | (1 << AF.AF_INET6), states: SS_ALL, preferredFamily: 0 },
      localPortRange: readLocalPortRange(ns.name),
      netns: ns.name,
    })
    for (const r of recs) {
      rows.push(r as InetRecord)
      // A slow consumer: the walk is parked between two read()s while the churn goes on.
      if (rows.length % limit.stallEvery === 0) Atomics.wait(pause, 0, 0, limit.stallMs)
    }
    return { rows, walkMs: performance.now() - t0 }
  }

  const addr = (r: InetRecord): string => r.family === AF.AF_INET ? [...r.localAddr].join('.') : '::1'
  const heldKeys = new Set(held.map(([family, a, port]) => `${family} ${family === AF.AF_INET ? a : '::1'} ${port}`))
  t.equal(heldKeys.size, HELD + (HELD >> 2), 'every held TIME-WAIT socket has its own port')

  for (const pace of [{ stallEvery: 1 << 30, stallMs: 0 }, { stallEvery: 50, stallMs: 20 }]) {
    t.test(pace.stallMs ? `a reader stalling ${pace.stallMs} ms every ${pace.stallEvery} rows` : 'a reader at full speed', async (t) => {
      const { rows, walkMs } = sockets(pace)
      t.ok(walkMs < 40_000, `the walk took ${Math.round(walkMs)} ms, well within the held sockets' 60 s`)
      const tw = rows.filter((r) => r.state === TCP_STATE.TCP_TIME_WAIT)
      t.ok(tw.length > HELD, `${rows.length} rows, ${tw.length} TIME-WAIT: more than one read() of records`)
      const seen = new Map<string, number>()
      for (const r of rows) {
        const k = `${r.family} ${addr(r)} ${r.localPort} ${r.remotePort} ${r.cookie}`
        seen.set(k, (seen.get(k) ?? 0) + 1)
      }
      t.same([...seen].filter(([, n]) => n > 1), [], 'no socket twice')
      const found = new Set(tw.map((r) => `${r.family} ${addr(r)} ${r.localPort}`))
      t.same([...heldKeys].filter((k) => !found.has(k)), [], `every socket that lived through the walk is listed (${heldKeys.size})`)
    })
  }
}
