/**
 * Micro-benchmark of the Process column of `ssx -tain` (and `-tein`,
 * `-tmin`, `-toin` with `--opts eimo`) without the kernel: captures the
 * datagrams of one TCP dump with the `-i` (and `-m`, `--tos`) extensions in
 * the current namespace, then writes every socket's row, rounds alternating
 * between the two ways the listing has: `bytes` (InetExtrasWriter, in place
 * from the reply) and `strings` (the socket decoded, inetExtras, the text
 * copied into the renderer). Reports the CPU time per socket of each; the
 * first pass of each is what a command pays.
 *
 *   npx esbuild bench/extras-micro.ts --bundle --platform=node --format=esm \
 *     --external:koffi --outfile=node_modules/.cache/ssx-bench/extras-micro.mjs
 *   ip netns exec NS node node_modules/.cache/ssx-bench/extras-micro.mjs [--rounds 6] [--opts i] [--only bytes]
 */
import { captureTcpDump, replayRows } from './capture.js'
import { InetExtrasWriter } from '../src/cli/format-extras-bytes.js'
import { inetExtras, type InetExtrasOptions } from '../src/cli/format-extras.js'
import { EXT } from '../compiler/compile.js'

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name)
  return i === -1 ? dflt : process.argv[i + 1]!
}
const rounds = Number(arg('--rounds', '6'))
const opts = arg('--opts', 'i')
/** `--only bytes|strings`: one way only (for a profile of it). */
const only = arg('--only', '')

const extras: InetExtrasOptions = {
  showTcpInfo: opts.includes('i'), showDetails: opts.includes('e'), showMem: opts.includes('m'),
  showOptions: opts.includes('o') || opts.includes('e'), showTos: opts.includes('t'),
  oneline: false, numeric: true, timerStyle: 'upstream', cgroupPath: (id) => `unreachable:${id.toString(16)}`,
}
const ext = (extras.showTcpInfo ? EXT.info : 0) | (extras.showMem ? EXT.memory : 0) | (extras.showTos ? EXT.tos : 0)
const datagrams = captureTcpDump(ext)

function pass(bytes: boolean): { ms: number, sockets: number, out: number } {
  const c0 = process.cpuUsage()
  const p = replayRows(datagrams, (renderer, writer) => {
    const xw = new InetExtrasWriter(renderer, extras)
    return (view) => {
      if (bytes && xw.accepts(view, 6)) {
        writer.cells(view, 6)
        xw.write(view, 6)
      } else writer.write(view, 6, inetExtras(view.record(), 6, extras))
    }
  })
  const c = process.cpuUsage(c0)
  return { ms: (c.user + c.system) / 1e3, ...p }
}

const times: Record<'bytes' | 'strings', number[]> = { bytes: [], strings: [] }
let sockets = 0
const outs = new Set<number>()
for (let r = 0; r < rounds; r++) {
  // Alternate which goes first, so neither always meets the other's garbage.
  for (const way of r % 2 === 0 ? (['bytes', 'strings'] as const) : (['strings', 'bytes'] as const)) {
    if (only !== '' && way !== only) continue
    const p = pass(way === 'bytes')
    times[way].push(p.ms)
    sockets = p.sockets
    outs.add(p.out)
  }
}
const per = (ms: number): string => `${(ms * 1e6 / sockets).toFixed(0)} ns per socket`
console.log(`${sockets} sockets, -${opts}, output ${[...outs].join(' / ')} bytes`)
for (const way of ['strings', 'bytes'] as const) {
  const t = times[way]
  if (t.length === 0) continue
  const first = t[0]!
  const sorted = [...t].sort((a, b) => a - b)
  console.log(`${way.padEnd(7)}: first pass ${first.toFixed(1)} ms CPU (${per(first)}); median ${sorted[sorted.length >> 1]!.toFixed(1)} ms (${per(sorted[sorted.length >> 1]!)}), min ${sorted[0]!.toFixed(1)} ms`)
}
