/**
 * Reading a long dump on a second thread.
 *
 * The kernel fills each dump datagram inside the `recv` that asks for it, so
 * a single-threaded reader alternates: walk and copy in the kernel, then
 * decode and print, never both at once. At a million sockets the kernel's
 * part is about as long as ss's whole run (bench/RESULTS.md, *floor*). Once
 * a dump has gone on for a while, a {@link Prefetcher} starts a worker
 * thread that does the `read`s into a ring of shared slots while the main
 * thread decodes what is already there; the main thread stays synchronous
 * and takes datagrams with `Atomics.wait`.
 *
 * Hand-over happens only between datagrams of one reply: the worker reads
 * until it sees the NLMSG_DONE or NLMSG_ERROR that ends the reply, then
 * waits for the next request's go-ahead, so it is never blocked in `read`
 * when there is nothing left to come. Short dumps never start it: a worker
 * costs a few tens of milliseconds of start-up (on the other core).
 *
 * The worker needs no native module: `read(2)` on a netlink socket is a
 * `recv` without flags, and `fs.readSync` does it. Without MSG_TRUNC a
 * datagram longer than a slot would be cut silently, so slots are 64 KiB,
 * twice the largest dump datagram the kernel builds for sock_diag replies
 * without BPF socket storages (kernel-sock-diag §6.4), and a datagram that
 * fills its slot is reported as EMSGSIZE rather than decoded.
 */
import { Worker } from 'node:worker_threads'
import { NLMSG } from '../uapi/netlink.js'
import { NetlinkError } from './errors.js'
import { replyEnd } from './message.js'

/**
 * Slots of the ring (datagrams read ahead at most). Few enough that the
 * ring stays in cache: the kernel's copy into a 2 MiB ring (32 slots) took
 * ~7 % of a 1M `-tan` run's samples, ~0.7 % with 8 slots (perf); 16 keep
 * room for the main thread's pauses (each render of a 5 MiB batch) and
 * measured best for `-tan` (bench/RESULTS.md).
 */
const SLOTS = 16
/** Bytes per slot. */
export const SLOT_BYTES = 64 * 1024
/** EMSGSIZE: a datagram filled its slot and may have been cut. */
const EMSGSIZE = 90

/** Indexes into the shared control words. */
const C = {
  /** Replies the main thread has asked the worker to read (a counter). */
  GO: 0,
  /** Set to 1 to make the worker return. */
  QUIT: 1,
  /** Datagrams written into the ring (a counter). */
  WRITTEN: 2,
  /** Datagrams the main thread has released (a counter). */
  READ: 3,
  /** 1 once the worker runs. */
  READY: 4,
  /** Length of the datagram in each slot, or -errno. */
  LEN: 8,
} as const

/**
 * The worker, as source text: it runs from a string (no file to locate in
 * the bundle) and loads only Node's own modules.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads')
const { readSync } = require('node:fs')
const { fd, ctl: ctlBuffer, ring, slots, slotBytes, C, DONE, ERROR, EMSGSIZE } = workerData
const ctl = new Int32Array(ctlBuffer)
const data = new Uint8Array(ring)
const view = new DataView(ring)
/** True when the datagram at [at, at + n) ends a reply or cannot be framed (the main thread reports that): replyEnd() of message.ts, not 'more'. */
function endsReply(at, n) {
  for (let pos = 0; pos < n;) {
    if (n - pos < 16) return true
    const len = view.getUint32(at + pos, true)
    if (len < 16 || len > n - pos) return true
    const type = view.getUint16(at + pos + 4, true)
    if (type === DONE || type === ERROR) return true
    pos += (len + 3) & ~3
  }
  return false
}
function readReply() {
  for (;;) {
    const w = Atomics.load(ctl, C.WRITTEN)
    for (;;) {
      if (Atomics.load(ctl, C.QUIT)) return
      const r = Atomics.load(ctl, C.READ)
      if (w - r < slots) break
      Atomics.wait(ctl, C.READ, r)
    }
    const slot = w % slots
    let n
    try {
      n = readSync(fd, data, slot * slotBytes, slotBytes, null)
      if (n === slotBytes) n = -EMSGSIZE
    } catch (e) {
      if (e.code === 'EINTR') continue
      n = typeof e.errno === 'number' && e.errno < 0 ? e.errno : -5
    }
    ctl[C.LEN + slot] = n
    Atomics.store(ctl, C.WRITTEN, w + 1)
    Atomics.notify(ctl, C.WRITTEN)
    if (n <= 0 || endsReply(slot * slotBytes, n)) return
  }
}
Atomics.store(ctl, C.READY, 1)
for (let done = 0; ;) {
  while (Atomics.load(ctl, C.GO) === done && !Atomics.load(ctl, C.QUIT)) Atomics.wait(ctl, C.GO, done)
  if (Atomics.load(ctl, C.QUIT)) break
  try {
    readReply()
  } catch {
    // Never leave the main thread waiting: report EIO in the next slot.
    const w = Atomics.load(ctl, C.WRITTEN)
    ctl[C.LEN + (w % slots)] = -5
    Atomics.store(ctl, C.WRITTEN, w + 1)
    Atomics.notify(ctl, C.WRITTEN)
  }
  done++
}
`

/** The worker stops at a datagram that ends its reply or cannot be framed: so does the main thread's view of it. */
const workerStops = (d: Uint8Array): boolean => replyEnd(d) !== 'more'

/**
 * The main thread's side. {@link Prefetcher.sent} after each request,
 * {@link Prefetcher.received} after each datagram read on the main thread;
 * {@link Prefetcher.next} gives the worker's datagrams once it has taken
 * over (null while it has not).
 */
export class Prefetcher {
  private worker: Worker | undefined
  /** Shared with the worker; allocated when it starts. */
  private ctl: Int32Array<ArrayBufferLike> = new Int32Array(C.LEN + SLOTS)
  private data: Uint8Array<ArrayBufferLike> = new Uint8Array(0)
  /** Datagrams taken from the ring (the slot of the last one is held until the next call). */
  private taken = 0
  private holding = false
  /** The worker is reading the current reply. */
  private active = false
  /** A request was sent and its reply has not ended. */
  private open = false
  private seen = 0

  constructor(
    private readonly fd: number,
    /** Datagrams read on the main thread before the worker is started. */
    private readonly after: number,
  ) {}

  /** Datagrams the worker has delivered so far. */
  get delivered(): number {
    return this.taken
  }

  /** A request went out: its reply starts. */
  sent(): void {
    this.open = true
  }

  /** A datagram was read on the main thread. */
  received(d: Uint8Array): void {
    if (workerStops(d)) this.open = false
    else if (++this.seen === this.after && this.worker === undefined) this.start()
  }

  /**
   * The next datagram of the open reply from the worker, blocking until it
   * is there; null when the worker is not (yet) reading (the caller reads
   * itself). The bytes are valid until the next call.
   * @throws NetlinkError `recv` with the worker's errno
   */
  next(): Uint8Array | null {
    const ctl = this.ctl
    if (this.holding) {
      this.holding = false
      Atomics.store(ctl, C.READ, this.taken)
      Atomics.notify(ctl, C.READ)
    }
    if (!this.active) {
      if (!this.open || this.worker === undefined || Atomics.load(ctl, C.READY) !== 1) return null
      this.active = true
      Atomics.add(ctl, C.GO, 1)
      Atomics.notify(ctl, C.GO)
    }
    while (Atomics.load(ctl, C.WRITTEN) === this.taken) Atomics.wait(ctl, C.WRITTEN, this.taken)
    const slot = this.taken % SLOTS
    this.taken++
    this.holding = true
    const n = ctl[C.LEN + slot]!
    if (n <= 0) {
      this.active = this.open = false
      if (n < 0) throw new NetlinkError('recv', -n)
    }
    const d = this.data.subarray(slot * SLOT_BYTES, slot * SLOT_BYTES + Math.max(n, 0))
    if (workerStops(d)) this.active = this.open = false
    return d
  }

  /**
   * Stop the worker. Call before the descriptor is closed: a reply the
   * worker is still reading is read to its end first, or the worker could go
   * on reading whatever file is given the descriptor's number next.
   */
  close(): void {
    if (this.worker === undefined) return
    try {
      while (this.active) this.next()
    } catch {
      // an errno ends the reply as well
    }
    Atomics.store(this.ctl, C.QUIT, 1)
    Atomics.notify(this.ctl, C.GO)
    Atomics.notify(this.ctl, C.READ)
    this.worker = undefined
  }

  private start(): void {
    this.ctl = new Int32Array(new SharedArrayBuffer(4 * (C.LEN + SLOTS)))
    this.data = new Uint8Array(new SharedArrayBuffer(SLOTS * SLOT_BYTES))
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        fd: this.fd, ctl: this.ctl.buffer, ring: this.data.buffer, slots: SLOTS, slotBytes: SLOT_BYTES, C,
        DONE: NLMSG.NLMSG_DONE, ERROR: NLMSG.NLMSG_ERROR, EMSGSIZE,
      },
      // The worker keeps nothing alive: the listing ends when the main thread does.
      stdout: false,
      stderr: false,
    })
    this.worker.unref()
    // A worker that fails to start never sets READY: the main thread goes on reading itself.
    this.worker.on('error', () => undefined)
  }
}
