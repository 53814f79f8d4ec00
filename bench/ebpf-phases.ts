/**
 * Where an eBPF listing's time goes, phase by phase, in one process: reading
 * the kernel's BTF, resolving the iterator layout, code generation,
 * BPF_PROG_LOAD and BPF_LINK_CREATE, the iterator walk (read() until 0),
 * decoding. Wall and CPU (user + system) per phase, median of `--rounds`
 * (each round starts from a fresh BTF parse; the layout cache is bypassed).
 * Used to find what is not the kernel's walk before changing it.
 *
 *   npx esbuild bench/ebpf-phases.ts --bundle --platform=node --format=esm \
 *     --external:koffi --outfile=node_modules/.cache/ssx-bench/ebpf-phases.mjs
 *   ip netns exec NS node node_modules/.cache/ssx-bench/ebpf-phases.mjs [--rounds 5] [--rtt-us 10000000] [--read-size 65536]
 *
 * The filter is `rtt > N` (N in µs; the default matches nothing); `--bare` loads
 * `r0 = 0; exit` instead, the floor of the walk.
 */
import { readFileSync } from 'node:fs'
import { Btf, VMLINUX_BTF } from '../runtime/btf.js'
import { loadIter, readIterLayout } from '../runtime/bpf-iter.js'
import { decodeIterTcpChunks } from '../runtime/decode-iter.js'
import { compileIterTcp } from '../compiler/ebpf/codegen.js'
import type { Filter } from '../compiler/filter.js'

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name)
  return i === -1 ? dflt : Number(process.argv[i + 1])
}
const rounds = arg('--rounds', 5)
const rttUs = arg('--rtt-us', 10_000_000)
/** `--bare`: a program that writes nothing and reads nothing (the walk's floor). */
const bare = process.argv.includes('--bare')
const BARE = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0) // r0 = 0; exit
const filter: Filter = { kind: 'metric', field: 'rtt', op: 'gt', value: rttUs, span: { start: 0, end: 0 } }

const phases = new Map<string, { wall: number[], cpu: number[] }>()
function time<T>(name: string, fn: () => T): T {
  const c0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const out = fn()
  const wall = Number(process.hrtime.bigint() - t0) / 1e6
  const c = process.cpuUsage(c0)
  const p = phases.get(name) ?? { wall: [], cpu: [] }
  p.wall.push(wall)
  p.cpu.push((c.user + c.system) / 1000)
  phases.set(name, p)
  return out
}

let rows = 0
for (let r = 0; r < rounds; r++) {
  const bytes = time('btf read', () => readFileSync(VMLINUX_BTF))
  const btf = time('btf parse', () => Btf.parse(bytes))
  const layout = time('layout', () => readIterLayout(btf))
  const program = time('codegen', () => compileIterTcp(filter, layout, { localPortRange: [32768, 60999] }))
  const link = time('load + link', () => loadIter(bare ? BARE : program.bytes, layout.attachBtfId))
  try {
    const chunks: Uint8Array[] = []
    time('walk (read)', () => { for (const c of link.chunks()) chunks.push(c.slice()) })
    rows = time('decode', () => { let n = 0; for (const _ of decodeIterTcpChunks(chunks)) n++; return n })
  } finally {
    link.close()
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
console.log(`rtt > ${rttUs}us: ${rows} rows; ${rounds} rounds; median (min) ms`)
for (const [name, p] of phases) console.log(`${name.padEnd(12)} wall ${median(p.wall).toFixed(1).padStart(8)} (${Math.min(...p.wall).toFixed(1)})  cpu ${median(p.cpu).toFixed(1).padStart(8)} (${Math.min(...p.cpu).toFixed(1)})`)
