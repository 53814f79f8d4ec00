/**
 * A per-user disk cache of what the eBPF target resolves from the running
 * kernel's BTF (an iterator's layout: attach id, helper numbers, member
 * offsets), so a listing does not read and index the ~5.5 MB
 * `/sys/kernel/btf/vmlinux` every time (about 100 ms of a 0.3 s run).
 *
 * Wrong offsets would make the program read the wrong fields, so an entry
 * is used only when everything it was derived from is unchanged:
 *
 * - the kernel: `/proc/sys/kernel/random/boot_id` (a new one each boot,
 *   kexec included; the vmlinux BTF cannot change within a boot), the
 *   release, and the BTF file's size and 24-byte header (not its mtime:
 *   `ip netns exec` mounts a fresh sysfs, so that changes every run);
 * - the question: the name table itself (a new ssx asking for another
 *   member gets a new entry);
 * - the answer: its shape is checked against the table (every helper and
 *   member present, integers only) before it is returned.
 *
 * Entries are written atomically (temporary file, then rename) into a
 * directory only the user can write (`$XDG_CACHE_HOME/ssx`, else
 * `~/.cache/ssx`, created 0700); a file another user owns or others can
 * write is ignored. Any failure to read or write the cache falls back to
 * reading BTF: the cache can make a listing faster, never make it fail.
 */
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { release } from 'node:os'
import { join } from 'node:path'
import type { BtfNameTable, ResolvedBtfTable } from './bpf-iter.js'

/** A resolved name table of any iterator: what is cached. */
type ResolvedTable = ResolvedBtfTable<BtfNameTable>

/** Where the cache lives and what identifies the running kernel; each part replaceable (tests). */
export interface BtfCacheOptions {
  /** Cache directory; default `$XDG_CACHE_HOME/ssx` or `~/.cache/ssx`; null disables the cache. */
  readonly dir?: string | null
  /** The kernel's identity; default {@link kernelIdentity}. */
  readonly identity?: () => string | null
}

/** Bump when the file format or the meaning of a resolved table changes. */
const FORMAT = 1
const BOOT_ID = '/proc/sys/kernel/random/boot_id'

/**
 * What identifies the BTF of the running kernel: boot id, release, and the
 * BTF file's size and header. Null when any of it cannot be read (no cache then).
 */
export function kernelIdentity(btfPath: string): string | null {
  try {
    const bootId = readFileSync(BOOT_ID, 'latin1').trim()
    const st = statSync(btfPath)
    const header = Buffer.alloc(24)
    const fd = openSync(btfPath, 'r')
    try {
      if (readSync(fd, header, 0, header.length, 0) !== header.length) return null
    } finally {
      closeSync(fd)
    }
    return `${bootId} ${release()} ${st.size} ${header.toString('hex')}`
  } catch {
    return null // no identity, no cache: the caller reads BTF
  }
}

function defaultDir(): string | null {
  const xdg = process.env['XDG_CACHE_HOME']
  if (xdg && xdg.startsWith('/')) return join(xdg, 'ssx')
  const home = process.env['HOME']
  return home && home.startsWith('/') ? join(home, '.cache', 'ssx') : null
}

/** 32-bit FNV-1a of a string, as 8 hex digits: a short file name per name table. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}

const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0

/** Whether `v` has exactly the helpers and members `spec` asks for, as integers. */
function fits(spec: BtfNameTable, v: unknown): v is ResolvedTable {
  if (typeof v !== 'object' || v === null) return false
  const r = v as { attachBtfId?: unknown, helpers?: Record<string, unknown>, members?: Record<string, unknown> }
  if (!isCount(r.attachBtfId) || r.attachBtfId === 0 || typeof r.helpers !== 'object' || typeof r.members !== 'object' || !r.helpers || !r.members) return false
  const same = (a: object, b: object): boolean => {
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k))
  }
  if (!same(spec.helpers, r.helpers) || !same(spec.members, r.members)) return false
  if (!Object.values(r.helpers).every(isCount)) return false
  return Object.values(r.members).every((m) => {
    if (typeof m !== 'object' || m === null) return false
    const s = m as Record<string, unknown>
    return isCount(s['off']) && isCount(s['size']) && s['size'] > 0 && isCount(s['bitShift']) && isCount(s['bitSize'])
  })
}

/**
 * `spec` resolved against the running kernel: from the cache when an entry
 * for this kernel and this table is there and well-formed, else from
 * `resolve()` (which reads BTF), then stored.
 * @throws whatever `resolve` throws (BtfError); never a cache failure
 */
export function cachedBtfTable<T extends ResolvedTable>(spec: BtfNameTable, btfPath: string, resolve: () => T, opts: BtfCacheOptions = {}): T {
  const dir = opts.dir === undefined ? defaultDir() : opts.dir
  const identity = dir === null ? null : (opts.identity ?? (() => kernelIdentity(btfPath)))()
  if (dir === null || identity === null) return resolve()
  const question = JSON.stringify(spec)
  const file = join(dir, `btf-${fnv1a(question)}.json`)
  const key = { format: FORMAT, kernel: identity, btf: btfPath, question }
  const hit = readEntry(file, key, spec)
  if (hit) return hit as T
  const value = resolve()
  writeEntry(dir, file, JSON.stringify({ ...key, value }))
  return value
}

function readEntry(file: string, key: Record<string, unknown>, spec: BtfNameTable): ResolvedTable | null {
  try {
    const st = statSync(file)
    // Only a file this user wrote and nobody else can: another user's offsets are not trusted.
    const uid = typeof process.geteuid === 'function' ? process.geteuid() : st.uid
    if (!st.isFile() || st.uid !== uid || (st.mode & 0o022) !== 0) return null
    const entry = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>
    for (const [k, v] of Object.entries(key)) if (entry[k] !== v) return null
    return fits(spec, entry['value']) ? entry['value'] : null
  } catch {
    return null // absent, unreadable or corrupt: resolve from BTF again
  }
}

function writeEntry(dir: string, file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    writeFileSync(tmp, text, { mode: 0o600 })
    renameSync(tmp, file)
  } catch {
    // A read-only or full home: the listing goes on without a cache.
    try { unlinkSync(tmp) } catch { /* never created */ }
  }
}
