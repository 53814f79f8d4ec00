/**
 * Micro-benchmark of the table renderer alone: renders `--rows` synthetic
 * `-tan`-like rows (the 100k population's address and port mix) through
 * {@link Renderer} into a sink that converts each chunk to bytes the way
 * the CLI's stdout does, and reports CPU time per pass and the heap.
 * Used to measure renderer changes before they stay.
 *
 *   npx esbuild bench/render-micro.ts --bundle --platform=node --format=esm \
 *     --outfile=node_modules/.cache/ssx-bench/render-micro.mjs
 *   node node_modules/.cache/ssx-bench/render-micro.mjs [--rows 84000] [--rounds 15]
 */
import { Renderer, columnVisibility, COL } from '../src/cli/render.js'

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}
const rowCount = arg('--rows', 84000)
const rounds = arg('--rounds', 15)

/** Rows are built per pass (as the listing does) so their strings are as short-lived as in `ssx -tan`. */
function makeRow(i: number): string[] {
  const row = new Array<string>(COL.PROC + 1).fill('')
  row[COL.NETID] = 'tcp'
  row[COL.STATE] = i % 12 === 0 ? 'LISTEN' : 'ESTAB'
  row[COL.RECVQ] = '0     '
  row[COL.SENDQ] = i % 12 === 0 ? '4096  ' : '0     '
  const a = `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`
  row[COL.ADDR] = i % 10 === 0 ? `[::ffff:${a}]:` : a + ':'
  row[COL.SERV] = String(1024 + (i * 7919) % 60000)
  row[COL.RADDR] = i % 12 === 0 ? '0.0.0.0:' : `127.0.${(i >> 8) & 255}.${i & 255}:`
  row[COL.RSERV] = i % 12 === 0 ? '*' : String(1024 + (i * 104729) % 60000)
  return row
}

let bytes = 0
const times: number[] = []
for (let r = 0; r < rounds; r++) {
  bytes = 0
  const t0 = process.cpuUsage()
  const renderer = new Renderer({
    enabled: columnVisibility({ tables: 1, states: 0xfff }),
    header: true,
    write: (s) => { bytes += Buffer.from(s, 'latin1').length },
  })
  for (let i = 0; i < rowCount; i++) renderer.row(makeRow(i))
  renderer.end()
  const u = process.cpuUsage(t0)
  times.push((u.user + u.system) / 1000)
}
times.sort((a, b) => a - b)
const med = times[times.length >> 1]!
const mem = process.memoryUsage()
console.log(`${rowCount} rows, ${bytes} bytes: median ${med.toFixed(1)} ms CPU per pass (min ${times[0]!.toFixed(1)}), ${(med * 1e6 / rowCount).toFixed(0)} ns per row; rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB`)
