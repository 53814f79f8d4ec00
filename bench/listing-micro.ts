/**
 * Micro-benchmark of a plain listing's user-space path without the kernel:
 * captures the datagrams of one TCP dump (both families) in the current
 * namespace, then runs them again and again through what `ssx -tan` does
 * with them (reply framing, {@link InetMessageView}, {@link InetRowWriter},
 * {@link Renderer}) into a sink that keeps nothing, and reports the CPU time per
 * socket (steadier than wall time on a shared machine). Used to measure hot-path changes before they stay.
 *
 *   npx esbuild bench/listing-micro.ts --bundle --platform=node --format=esm \
 *     --external:koffi --outfile=node_modules/.cache/ssx-bench/listing-micro.mjs
 *   ip netns exec NS node node_modules/.cache/ssx-bench/listing-micro.mjs [--rounds 10]
 */
import { captureTcpDump, replayRows } from './capture.js'

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}
const rounds = arg('--rounds', 10)

const datagrams = captureTcpDump()

let sockets = 0
let bytes = 0
const times: number[] = []
for (let r = 0; r < rounds; r++) {
  const c0 = process.cpuUsage()
  const p = replayRows(datagrams, (_, writer) => (view) => writer.write(view, 6))
  const c = process.cpuUsage(c0)
  times.push((c.user + c.system) / 1e3)
  sockets = p.sockets
  bytes = p.out
}
// The first pass is what a command pays (code not yet optimised, caches empty).
const first = times[0]!
times.sort((a, b) => a - b)
const med = times[times.length >> 1]!
const per = (ms: number): string => `${(ms * 1e6 / sockets).toFixed(0)} ns per socket`
console.log(`${sockets} sockets, ${bytes} bytes out: first pass ${first.toFixed(1)} ms CPU (${per(first)}); median ${med.toFixed(1)} ms (${per(med)}), min ${times[0]!.toFixed(1)} ms`)
