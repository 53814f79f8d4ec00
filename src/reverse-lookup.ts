/**
 * Values back to names, for the output: addresses to host names (`-r`) and
 * cgroup ids to cgroup paths (`-e`, `--cgroup`). Both are read lazily, once
 * per lookup object, and never block on the network: the listing is a
 * synchronous stream, so `-r` answers from /etc/hosts only (ss would also ask
 * DNS; the README lists the difference).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { parseAddressText } from '../grammar/values.js'
import { findCgroup2Mount } from './system-resolver.js'

const key = (addr: Uint8Array): string => Buffer.from(addr.buffer, addr.byteOffset, addr.byteLength).toString('hex')

/**
 * Host names by address from hosts(5) text: the first name of the first line
 * carrying the address, as gethostbyaddr(3) answers from the `files` source.
 */
export function parseHostsByAddress(text: string): ReadonlyMap<string, string> {
  const names = new Map<string, string>()
  for (const raw of text.split('\n')) {
    const fields = raw.replace(/#.*/, '').trim().split(/\s+/)
    if (fields.length < 2) continue
    const bytes = parseAddressText(fields[0]!)
    if (bytes === undefined) continue
    const k = key(bytes)
    if (!names.has(k)) names.set(k, fields[1]!)
  }
  return names
}

/** `-r`'s lookup: address bytes (4 or 16) → host name from `hostsPath`, or undefined. */
export function hostsReverseLookup(hostsPath = '/etc/hosts'): (addr: Uint8Array) => string | undefined {
  let names: ReadonlyMap<string, string> | undefined
  return (addr) => {
    if (names === undefined) {
      let text = ''
      try { text = readFileSync(hostsPath, 'utf8') } catch { /* no hosts file: every address stays numeric */ }
      names = parseHostsByAddress(text)
    }
    return names.get(key(addr))
  }
}

/** Where the cgroup path lookup reads, and where it reports. */
export interface CgroupPathOptions {
  readonly mountsPath?: string
  /** Called with ss's message each time the cgroup2 mount cannot be found (ss prints it per lookup). */
  readonly onError?: (message: string) => void
}

/**
 * cgroup id → path relative to the cgroup2 mount (`/` for the root), or
 * `unreachable:HEX` as ss prints it. On cgroup2 the id is the directory's
 * inode number: the first miss walks the hierarchy once and caches every
 * directory.
 */
export function cgroupPathLookup(options: CgroupPathOptions = {}): (id: bigint) => string {
  const mountsPath = options.mountsPath ?? '/proc/mounts'
  // undefined: not looked yet; null: no cgroup2 mount (ss repeats its message on every lookup).
  let paths: Map<bigint, string> | null | undefined
  return (id) => {
    if (paths === undefined) {
      let mounts = ''
      try { mounts = readFileSync(mountsPath, 'utf8') } catch { /* treated as no mount */ }
      const mount = findCgroup2Mount(mounts)
      paths = mount === undefined ? null : walkCgroups(mount)
    }
    if (paths === null) options.onError?.('Failed to find cgroup2 mount')
    return paths?.get(id) ?? `unreachable:${id.toString(16)}`
  }
}

/** Every directory below `mount` by inode number (an explicit stack: hierarchies can be deep). */
function walkCgroups(mount: string): Map<bigint, string> {
  const paths = new Map<bigint, string>()
  const stack: string[] = ['']
  while (stack.length > 0) {
    const rel = stack.pop()!
    const dir = join(mount, rel)
    try {
      paths.set(statSync(dir, { bigint: true }).ino, rel === '' ? '/' : rel)
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) stack.push(`${rel}/${e.name}`)
    } catch { /* removed while walking, or unreadable: skip it */ }
  }
  return paths
}
