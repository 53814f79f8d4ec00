/**
 * Render batches against the real ss: with ~90 000 unix sockets ss's token
 * buffer passes five 1 MiB chunks, so ss renders in batches, each with the
 * widths known at that moment (never shrinking). Ten sockets carry longer
 * names, so the batch boundaries show as width steps; ssx must reproduce
 * the output byte for byte, which pins its buffer accounting
 * (TokenChunks) to the row. Kernel test: private netns, needs root.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { Renderer, columnVisibility } from '../../src/cli/render.js'
import { unixRow } from '../../src/cli/format-unix.js'

const SCRIPT = fileURLToPath(new URL('../fixtures/output/many-unix.py', import.meta.url))
const COUNT = 90_000
const UNIX = (1 << 5) | (1 << 6) | (1 << 7)

// Creating the sockets takes ~10 s and ss ~2 s: more than tap's default 30 s per file, with margin.
t.setTimeout(240_000)

const skip = process.env['CI'] === 'true' ? false : !(await canUseNetns()) && 'needs root and ip netns'

t.test('batches of a 14 MB unix listing equal ss -xa', { skip, timeout: 180_000 }, async (t) => {
  const ns = await createNetns('render')
  t.teardown(() => ns.destroy())
  const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', SCRIPT, String(COUNT)], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => {
    child.stdin.end()
    child.kill()
  })
  let text = ''
  const manifest = await new Promise<[string, number][]>((resolve, reject) => {
    child.stdout.setEncoding('latin1')
    child.stdout.on('data', (d: string) => {
      text += d
      const nl = text.indexOf('\n')
      if (nl !== -1) resolve(JSON.parse(text.slice(0, nl)) as [string, number][])
    })
    child.on('exit', (code) => reject(new Error(`many-unix.py exited with ${code}`)))
  })
  t.equal(manifest.length, COUNT, 'sockets created')
  const { stdout: want } = await ns.exec('/usr/bin/ss', ['-xa'])
  const lines = want.split('\n')
  t.ok(new Set(lines.slice(1, -1).map((l) => l.length)).size > 1, 'ss rendered in more than one batch')

  // Records from the socket API (name, inode), in ss's dump order (the inode in each row).
  const byInode = new Map(manifest.map(([name, inode]) => [inode, name]))
  const order = lines.slice(1).filter(Boolean).map((l) => Number(l.trim().split(/\s+/).at(-3)))
  let got = ''
  const r = new Renderer({ enabled: columnVisibility({ tables: UNIX, states: 0xfff }), header: true, write: (c) => { got += c } })
  for (const inode of order) {
    const name = byInode.get(inode)
    r.row(unixRow({ type: 2, state: 7, inode, remotePort: 0, ...(name !== undefined ? { localName: `@${name}` } : {}) }))
  }
  r.end()
  t.equal(order.length, COUNT, 'every socket listed')
  t.ok(got === want, 'byte-identical output')
  if (got !== want) {
    const a = got.split('\n'), b = lines
    const i = a.findIndex((l, k) => l !== b[k])
    t.comment(`first difference at line ${i}:\n  ssx: ${JSON.stringify(a[i])}\n  ss:  ${JSON.stringify(b[i])}`)
  }
})
