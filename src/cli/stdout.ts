/**
 * Standard output for the listing, written with `write(2)` on fd 1.
 *
 * Why not `process.stdout`: creating that stream costs ~8 ms of start-up
 * (node:stream and friends, bench/RESULTS.md "Start-up"), and when the
 * reader goes away (`ssx -tan | head`) it reports EPIPE as an unhandled
 * 'error' event with a stack trace. Here EPIPE becomes {@link StdoutClosed},
 * which the command turns into ss's exit status (killed by SIGPIPE: 141)
 * without a word, and the listing stops at once instead of dumping on.
 *
 * A non-blocking stdout (EAGAIN: a parent's pipe set O_NONBLOCK) hands the
 * rest of the output, in order, to `process.stdout`, which waits for room.
 */
import { writeSync } from 'node:fs'

/** Exit status of a process killed by SIGPIPE, as the shell shows ss's. */
export const EXIT_SIGPIPE = 141

/** The reader of standard output has gone away. */
export class StdoutClosed extends Error {
  override readonly name = 'StdoutClosed'
  /** As the stream's error would say (the `-E` loop stops on it). */
  readonly code = 'EPIPE'
  constructor() {
    super('standard output was closed by its reader')
  }
}

/** A writer to fd 1. */
export interface Stdout {
  /**
   * Write all of `s`: latin1 by default (one byte per char: the listing's byte strings).
   * @throws StdoutClosed on EPIPE (and on every later call)
   */
  write(s: string, encoding?: 'latin1' | 'utf8'): void
  /**
   * Write all of `bytes`, which the caller may reuse once this returns (the
   * renderer's output buffer: no string made of it and encoded back).
   * @throws StdoutClosed on EPIPE (and on every later call)
   */
  writeBytes(bytes: Uint8Array): void
}

/** Where output goes once fd 1 said EAGAIN: something that queues and waits for room. */
export interface Queued {
  write(chunk: Uint8Array): unknown
}

/** `process.stdout`, ending the process as ss would on EPIPE. */
function processStdout(): Queued {
  return process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(EXIT_SIGPIPE)
    throw e
  })
}

/**
 * The process's standard output.
 * @param fd the descriptor written (tests pass others)
 * @param queued what takes over after EAGAIN (default `process.stdout`)
 */
export function createStdout(fd = 1, queued: () => Queued = processStdout): Stdout {
  let closed = false
  let stream: Queued | undefined
  const handOver = (rest: Uint8Array): void => {
    stream ??= queued()
    stream.write(rest)
  }
  /** All of `buf` to fd 1; `owned`: `buf` is ours to keep if the stream must take the rest. */
  const writeAll = (buf: Uint8Array, owned: boolean): void => {
    if (closed) throw new StdoutClosed()
    if (stream) return handOver(owned ? buf : Buffer.from(buf))
    for (let off = 0; off < buf.length;) {
      try {
        off += writeSync(fd, buf, off)
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === 'EAGAIN') return handOver(owned ? buf.subarray(off) : Buffer.from(buf.subarray(off)))
        if (code === 'EPIPE') {
          closed = true
          throw new StdoutClosed()
        }
        if (code !== 'EINTR') throw e
      }
    }
  }
  return {
    write(s, encoding = 'latin1') {
      if (closed) throw new StdoutClosed()
      writeAll(Buffer.from(s, encoding), true)
    },
    writeBytes(bytes) {
      writeAll(bytes, false)
    },
  }
}
