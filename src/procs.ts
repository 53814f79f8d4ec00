/**
 * Which processes hold a socket: the `users:((…))` item of `ss -p` and
 * `ss -T` (ss-behavior §8.3), built the way ss 6.1 builds it, for hosts
 * with millions of sockets.
 *
 * The kernel's socket dump says nothing about owners; the only source is
 * the fd table of every process, `/proc/PID/fd/N → socket:[INODE]`. The
 * index reads it once, lazily, keeping only socket fds, in typed arrays
 * chained per inode (three 32-bit words per socket fd plus one Map entry
 * per inode).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

/** One holder of a socket, as ss prints it. */
export interface ProcEntry {
  /** The task's command name (`comm`), raw bytes as a binary string (latin1), as ss 6.1 prints it. */
  readonly comm: string
  readonly pid: number
  readonly fd: number
  /** Thread id; present (also for the main thread, = pid) only in an index built with `threads`. */
  readonly tid?: number
}

/** Options of {@link createProcessIndex}. */
export interface ProcessIndexOptions {
  /** procfs root (ss: `$PROC_ROOT`, default `/proc`). */
  readonly procRoot?: string
  /** `-T`: one entry per thread, from `/proc/TID/fd` of every thread. */
  readonly threads?: boolean
}

/** Socket inode → holders. */
export interface ProcessIndex {
  /**
   * The holders of a socket in ss's order: the reverse of discovery order,
   * discovery being pid-ascending, then (with threads) tid-ascending, then
   * fd-ascending. Empty when nobody (visible to us) holds it.
   *
   * The first call scans all of /proc, and must complete before the first
   * row is printed: any fd of any process may hold any inode, so no row's
   * list is known until every fd table has been read. A caller that never
   * looks anything up never scans.
   */
  lookup(inode: number): ProcEntry[]
}

/** A /proc read failing for a reason other than a process or fd going away or being hidden from us. */
export class ProcScanError extends Error {
  override readonly name = 'ProcScanError'
  constructor(readonly path: string, readonly code: string) {
    super(`cannot read ${path}: ${code}`)
  }
}

/**
 * Errors that mean "this process, thread or fd is gone or not ours to
 * see": skipped silently, as ss does. EINVAL is readlink() on something
 * that is not a link (only in fake trees).
 */
const SKIPPED = new Set(['ENOENT', 'ESRCH', 'EACCES', 'EPERM', 'ENOTDIR', 'EINVAL'])

function tolerate<T>(path: string, read: (path: string) => T): T | undefined {
  try {
    return read(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO'
    if (SKIPPED.has(code)) return undefined
    throw new ProcScanError(path, code)
  }
}

/** Numeric directory entries (pids, tids, fds) in ascending order, as procfs lists them. */
function numericEntries(dir: string): number[] | undefined {
  const names = tolerate(dir, (p) => readdirSync(p))
  if (names === undefined) return undefined
  const out: number[] = []
  for (const name of names) if (/^\d+$/.test(name)) out.push(Number(name))
  // procfs already lists them in order (then this is linear); other trees may not.
  return out.sort((a, b) => a - b)
}

/**
 * The command name in a `/proc/PID/stat` text as ss 6.1 reads it
 * (`"%*d (%[^)]"`): up to the first `)`, so `a)b` reads as `a`, and an
 * empty or `)`-initial name reads as nothing (`''`). HEAD reads the same
 * way but escapes unprintable bytes; 6.1 prints them raw.
 */
export function statComm(stat: string): string {
  return /^\s*[-+]?\d+\s*\(([^)]+)/.exec(stat)?.[1] ?? ''
}

const SOCKET_PREFIX = 'socket:['

/** Socket fds in columns: holder task, fd, previous entry of the same inode (-1 ends the chain). */
class EntryColumns {
  task: Int32Array = new Int32Array(1024)
  fd: Int32Array = new Int32Array(1024)
  next: Int32Array = new Int32Array(1024)
  length = 0

  push(task: number, fd: number, next: number): number {
    if (this.length === this.task.length) {
      const grow = (a: Int32Array): Int32Array => {
        const b = new Int32Array(a.length * 2)
        b.set(a)
        return b
      }
      this.task = grow(this.task)
      this.fd = grow(this.fd)
      this.next = grow(this.next)
    }
    const i = this.length++
    this.task[i] = task
    this.fd[i] = fd
    this.next[i] = next
    return i
  }
}

/** A task (process, or thread with `threads`) holding at least one socket. */
interface Task {
  readonly comm: string
  readonly pid: number
  readonly tid: number | undefined
}

/**
 * An inode → holders index over `procRoot`, scanned on the first
 * {@link ProcessIndex.lookup} (see there for why it must be complete).
 *
 * The scan follows ss 6.1: for each pid, readdir `/proc/PID/fd` and
 * readlink each fd, keeping `socket:[N]` targets; the comm is read from
 * `/proc/PID/stat` at the task's first socket. With `threads`, the other
 * threads of each pid (`/proc/PID/task`) are then read through
 * `/proc/TID/fd` and `/proc/TID/stat` (threads usually share the fd table,
 * so every thread holds every socket). Processes and fds that vanish or
 * are not ours to read are skipped; an unreadable root yields an empty
 * index, as ss prints no users then.
 */
export function createProcessIndex(opts: ProcessIndexOptions = {}): ProcessIndex {
  // ss turns an empty $PROC_ROOT into "/".
  const given = opts.procRoot === undefined ? '/proc' : opts.procRoot
  const root = given.endsWith('/') ? given : `${given}/`
  const threads = opts.threads ?? false
  let heads: Map<number, number> | undefined
  const entries = new EntryColumns()
  const tasks: Task[] = []

  const scanTask = (dir: string, pid: number, tid: number | undefined): void => {
    const fds = numericEntries(`${dir}fd`)
    if (fds === undefined) return
    let task = -1
    for (const fd of fds) {
      const link = tolerate(`${dir}fd/${fd}`, (p) => readlinkSync(p, 'latin1'))
      if (link === undefined || !link.startsWith(SOCKET_PREFIX)) continue
      const inode = parseInt(link.slice(SOCKET_PREFIX.length), 10)
      if (Number.isNaN(inode)) continue
      if (task === -1) {
        task = tasks.length
        const stat = tolerate(`${dir}stat`, (p) => readFileSync(p, 'latin1'))
        tasks.push({ comm: stat === undefined ? '' : statComm(stat), pid, tid })
      }
      // ss's "%u": an unsigned int.
      const key = inode >>> 0
      heads!.set(key, entries.push(task, fd, heads!.get(key) ?? -1))
    }
  }

  const scan = (): Map<number, number> => {
    heads = new Map()
    let pids: number[] | undefined
    try {
      pids = numericEntries(root)
    } catch {
      pids = undefined
    }
    for (const pid of pids ?? []) {
      scanTask(`${root}${pid}/`, pid, threads ? pid : undefined)
      if (!threads) continue
      for (const tid of numericEntries(`${root}${pid}/task`) ?? []) {
        if (tid !== pid) scanTask(`${root}${tid}/`, pid, tid)
      }
    }
    return heads
  }

  return {
    lookup(inode: number): ProcEntry[] {
      const map = heads ?? scan()
      const out: ProcEntry[] = []
      for (let i = map.get(inode) ?? -1; i !== -1; i = entries.next[i]!) {
        const t = tasks[entries.task[i]!]!
        const fd = entries.fd[i]!
        out.push(t.tid === undefined ? { comm: t.comm, pid: t.pid, fd } : { comm: t.comm, pid: t.pid, tid: t.tid, fd })
      }
      return out
    },
  }
}
