/**
 * Micro-benchmark of the reply path without the kernel: captures the
 * datagrams of one TCP dump (both families) in the current namespace, then
 * decodes them again and again with {@link ReplyReader} and reports the
 * time per socket. Used to measure decoder changes before they stay.
 *
 *   npx esbuild bench/decode-micro.ts --bundle --platform=node --format=esm \
 *     --external:koffi --outfile=node_modules/.cache/ssx-bench/decode-micro.mjs
 *   ip netns exec NS node node_modules/.cache/ssx-bench/decode-micro.mjs [--ext 0] [--rounds 20]
 */
import { ReplyReader } from '../runtime/dump.js'
import { captureTcpDump } from './capture.js'


const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}
const ext = arg('--ext', 0)
const rounds = arg('--rounds', 20)

const datagrams = captureTcpDump(ext)

let records = 0
const times: number[] = []
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint()
  let n = 0
  for (const group of datagrams) {
    const reader = new ReplyReader('inet', 6)
    for (const d of group) for (const rec of reader.read(d)) n += rec.localPort & 0 ? 0 : 1
  }
  times.push(Number(process.hrtime.bigint() - t0) / 1e6)
  records = n
}
times.sort((a, b) => a - b)
const med = times[times.length >> 1]!
console.log(`${records} sockets in ${datagrams.flat().length} datagrams, ext ${ext}: median ${med.toFixed(1)} ms per pass, ${(med * 1e6 / records).toFixed(0)} ns per socket (min ${times[0]!.toFixed(1)} ms)`)
