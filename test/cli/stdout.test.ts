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

t.test('writeBytes: the caller may reuse its buffer, also once the queue has taken over', async (t) => {
  const { r, w } = fifo(constants.O_NONBLOCK)
  // The queue keeps what it is given, as process.stdout does until it has written it.
  const queued: Uint8Array[] = []
  const out = createStdout(w, () => ({ write: (c: Uint8Array) => queued.push(c) }))
  const buf = Buffer.alloc(200_000, 0x61)
  out.writeBytes(buf)
  buf.fill(0x7a)
  const tail = Buffer.from('bc', 'latin1')
  out.writeBytes(tail)
  tail.fill(0x7a)
  const direct = drain(r)
  t.ok(direct.length > 0 && direct.length < buf.length, `${direct.length} bytes went to the fd before it was full`)
  t.equal(direct + Buffer.concat(queued).toString('latin1'), `${'a'.repeat(200_000)}bc`, 'what was written, not what the buffers hold now')
  closeSync(r)
  closeSync(w)
})

t.test('writeBytes and write share one order', async (t) => {
  const { r, w } = fifo()
  const out = createStdout(w)
  out.write('1 ')
  out.writeBytes(Buffer.from('2 ', 'latin1'))
  out.write('3')
  t.equal(drain(r), '1 2 3')
  closeSync(r)
  closeSync(w)
})
