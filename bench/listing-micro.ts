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
import { ReplyReader } from '../runtime/dump.js'
import { captureTcpDump } from './capture.js'
import { InetMessageView } from '../runtime/inet-view.js'
import { Renderer, columnVisibility } from '../src/cli/render.js'
import { InetRowWriter } from '../src/cli/format-inet-bytes.js'
import { lazyProtocols, lazyServices } from '../src/services.js'

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
  let out = 0
  const renderer = new Renderer({
    enabled: columnVisibility({ tables: 1, states: 0xfff }),
    header: true,
    write: (chunk) => { out += chunk.length },
  })
  const writer = new InetRowWriter(renderer, {
    numeric: true, localPortRange: [32768, 60999], services: lazyServices(), protocols: lazyProtocols(), ifname: () => undefined,
  })
  const view = new InetMessageView()
  let n = 0
  for (const group of datagrams) {
    const reader = new ReplyReader('inet', 6)
    for (const d of group) {
      for (const b of reader.batch(d)) {
        for (let i = 0; i < 2 * b.count; i += 2) writer.write(view.bind(b.bytes, b.spans[i]!, b.spans[i + 1]!), 6)
        n += b.count
      }
    }
  }
  renderer.end()
  const c = process.cpuUsage(c0)
  times.push((c.user + c.system) / 1e3)
  sockets = n
  bytes = out
}
// The first pass is what a command pays (code not yet optimised, caches empty).
const first = times[0]!
times.sort((a, b) => a - b)
const med = times[times.length >> 1]!
const per = (ms: number): string => `${(ms * 1e6 / sockets).toFixed(0)} ns per socket`
console.log(`${sockets} sockets, ${bytes} bytes out: first pass ${first.toFixed(1)} ms CPU (${per(first)}); median ${med.toFixed(1)} ms (${per(med)}), min ${times[0]!.toFixed(1)} ms`)
