// The listing's standard output (src/cli/stdout.ts) on a FIFO: EPIPE once
// the reader has gone (and on every later write), EAGAIN on a full
// non-blocking pipe handing the rest over in order, plain writes whole.
import t from 'tap'
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StdoutClosed, createStdout } from '../../src/cli/stdout.js'

const dir = mkdtempSync(join(tmpdir(), 'ssx-stdout-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
/** A FIFO with both ends open (the reader non-blocking). */
function fifo(writeFlags = 0): { r: number, w: number } {
  const path = join(dir, `f${n++}`)
  execFileSync('mkfifo', [path])
  const r = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK)
  const w = openSync(path, constants.O_WRONLY | writeFlags)
  return { r, w }
}
function drain(fd: number): string {
  const buf = Buffer.alloc(1 << 20)
  let s = ''
  for (;;) {
    try {
      const got = readSync(fd, buf)
      if (got === 0) return s
      s += buf.toString('latin1', 0, got)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') return s
      throw e
    }
  }
}

t.test('bytes written as latin1 (or utf8 when asked)', async (t) => {
  const { r, w } = fifo()
  const out = createStdout(w)
  out.write('caf\u00e9 ')
  out.write('\u2192', 'utf8')
  t.equal(drain(r), 'caf\u00e9 \u00e2\u0086\u0092', 'é as one byte, → as three')
  closeSync(r)
  closeSync(w)
})

t.test('EPIPE: StdoutClosed, sticky', async (t) => {
  const { r, w } = fifo()
  closeSync(r)
  const out = createStdout(w)
  t.throws(() => out.write('x'), StdoutClosed)
  t.throws(() => out.write('y'), StdoutClosed, 'and on every later write')
  const e = (() => { try { out.write('z') } catch (x) { return x as StdoutClosed } })()
  t.equal(e?.code, 'EPIPE', 'carries the code the -E loop looks for')
  closeSync(w)
})

t.test('EAGAIN: the rest goes to the queue, in order', async (t) => {
  const { r, w } = fifo(constants.O_NONBLOCK)
  const queued: Buffer[] = []
  const out = createStdout(w, () => ({ write: (c: Uint8Array) => queued.push(Buffer.from(c)) }))
  const big = 'a'.repeat(200_000)
  out.write(big)
  out.write('b')
  const direct = drain(r)
  t.ok(direct.length > 0 && direct.length < big.length, `${direct.length} bytes went to the fd before it was full`)
  t.equal(direct + Buffer.concat(queued).toString('latin1'), `${big}b`, 'nothing lost, nothing reordered')
  closeSync(r)
  closeSync(w)
})
