/**
 * The resolver the CLI uses: the system's own files and name service, read
 * lazily (nothing is opened until a filter needs it — start-up time
 * matters) and at most once per resolver.
 *
 * - services: `/etc/services`, as getservbyname(3) reads it (name or
 *   alias, per protocol, first entry wins);
 * - hosts: `dns.lookup(name, {all: true, family})`, i.e. getaddrinfo with
 *   /etc/hosts and nsswitch, like ss's gethostbyname2 calls;
 * - devices: `/sys/class/net/NAME/ifindex` (ss asks rtnetlink; with `-N`
 *   the lookup must move to an rtnetlink query inside the namespace, since
 *   sysfs shows the namespace it was mounted in);
 * - cgroups: the inode number of the path (name_to_handle_at on cgroup2
 *   yields the same 64-bit id), relative to the current directory first,
 *   then to the cgroup2 mount from /proc/mounts;
 * - netlink protocols: `/etc/iproute2/nl_protos` over ss's built-in table.
 */
import { readFileSync, statSync } from 'node:fs'
import { lookup } from 'node:dns/promises'
import { isAbsolute, join } from 'node:path'
import type { CgroupLookupFailure, Resolver } from '../compiler/resolve.js'
import type { InetPrefix } from '../compiler/filter.js'
import { parseAddressText } from '../grammar/values.js'

/** Words made of numbers and dots only: never host names for ss. */
const NUMERIC_WORD = /^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]*))*$/i

/** Files the system resolver reads; overridable for tests. */
export interface SystemResolverOptions {
  readonly servicesPath?: string
  readonly nlProtosPath?: string
  readonly mountsPath?: string
  readonly sysClassNet?: string
}

/** One protocol's services: name or alias → port. */
export type ServiceTable = ReadonlyMap<string, number>

/**
 * Parse `/etc/services` text into per-protocol tables. The first entry
 * that names a service (as its name or an alias) wins, as getservbyname's
 * linear scan does; malformed lines are skipped.
 */
export function parseServices(text: string): ServiceTables {
  const tcp = new Map<string, number>()
  const udp = new Map<string, number>()
  const tables: Record<string, Map<string, number>> = { tcp, udp }
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim()
    if (line === '') continue
    const [name, portProto, ...aliases] = line.split(/\s+/)
    const m = /^(\d+)\/(\S+)$/.exec(portProto ?? '')
    if (name === undefined || !m) continue
    const port = Number(m[1])
    if (port > 0xffff) continue
    const table = (tables[m[2]!] ??= new Map())
    for (const n of [name, ...aliases]) if (!table.has(n)) table.set(n, port)
  }
  return { ...tables, tcp, udp }
}

/** Services per protocol name (`tcp`, `udp`, and whatever else the file lists). */
export interface ServiceTables {
  readonly tcp: ServiceTable
  readonly udp: ServiceTable
  readonly [proto: string]: ServiceTable
}

/** ss's built-in netlink protocol names (iproute2 lib/rt_names.c), used where nl_protos says nothing. */
export const BUILTIN_NL_PROTOS: Readonly<Record<number, string>> = {
  0: 'rtnl', 1: 'unused', 2: 'usersock', 3: 'fw', 4: 'tcpdiag', 5: 'nflog', 6: 'xfrm', 7: 'selinux',
  8: 'iscsi', 9: 'audit', 10: 'fiblookup', 11: 'connector', 12: 'nft', 13: 'ip6fw', 14: 'dec-rt',
  15: 'uevent', 16: 'genl', 18: 'scsi-trans', 19: 'ecryptfs', 20: 'rdma', 21: 'crypto',
}

/**
 * The netlink protocol table: built-in names, overridden per number by
 * `nl_protos` lines (`NUMBER NAME`, number in C `%i` syntax, `#` comments).
 */
export function parseNlProtos(text: string | undefined): ReadonlyMap<number, string> {
  const table = new Map<number, string>(Object.entries(BUILTIN_NL_PROTOS).map(([k, v]) => [Number(k), v]))
  for (const raw of (text ?? '').split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^(0[xX][0-9a-fA-F]+|\d+)\s+(\S+)/.exec(line)
    if (!m) continue
    const id = m[1]!.startsWith('0') && m[1]!.length > 1 && !/^0[xX]/.test(m[1]!) ? parseInt(m[1]!, 8) : Number(m[1])
    if (id >= 0 && id <= 255) table.set(id, m[2]!)
  }
  return table
}

/** Find the cgroup2 mount point in /proc/mounts text, or undefined. */
export function findCgroup2Mount(mounts: string): string | undefined {
  for (const line of mounts.split('\n')) {
    const f = line.split(' ')
    // Mount points escape blanks as octal (\040).
    if (f[2] === 'cgroup2' && f[1] !== undefined) return f[1].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)))
  }
  return undefined
}

/** strerror() texts for the errors a path lookup can hit. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** A {@link Resolver} backed by this machine's files and name service. */
export function systemResolver(options: SystemResolverOptions = {}): Resolver {
  const servicesPath = options.servicesPath ?? '/etc/services'
  const nlProtosPath = options.nlProtosPath ?? '/etc/iproute2/nl_protos'
  const mountsPath = options.mountsPath ?? '/proc/mounts'
  const sysClassNet = options.sysClassNet ?? '/sys/class/net'
  let services: ServiceTables | undefined
  let nlProtos: ReadonlyMap<number, string> | undefined

  return {
    service(name, proto) {
      services ??= parseServices(readText(servicesPath) ?? '')
      return services[proto].get(name)
    },

    async hosts(name, af) {
      // getaddrinfo would read `0x7f000001` or `1.2.3.4.5`-like words as
      // numeric addresses; ss's lookup fails on them (its own address
      // parser already rejected them), so they are not names either.
      if (NUMERIC_WORD.test(name)) return []
      const families = af === 0 ? [4, 6] as const : af === 2 ? [4] as const : [6] as const
      const out: InetPrefix[] = []
      for (const family of families) {
        let found: { address: string; family: number }[] = []
        try {
          found = await lookup(name, { all: true, family })
        } catch {
          // Unknown name for this family: gethostbyname2 returns NULL, ss tries the next.
        }
        for (const a of found) {
          const bytes = addressBytes(a.address, a.family)
          if (bytes) out.push({ af: a.family === 6 ? 10 : 2, bytes, prefixLen: bytes.length * 8 })
        }
      }
      return out
    },

    ifindex(name) {
      // A device name is one path component; anything else is not a device.
      if (name === '' || name === '.' || name === '..' || name.includes('/')) return undefined
      const text = readText(join(sysClassNet, name, 'ifindex'))
      const n = text === undefined ? NaN : Number(text.trim())
      return Number.isInteger(n) && n > 0 ? n : undefined
    },

    cgroupId(path): bigint | CgroupLookupFailure {
      const ino = inode(path)
      if (typeof ino === 'bigint') return ino
      const rest = path.replace(/^\/+/, '')
      if (rest === '') return { failure: 'Invalid cgroup2 path' }
      const mount = findCgroup2Mount(readText(mountsPath) ?? '')
      if (mount === undefined) return { failure: 'Failed to find cgroup2 mount' }
      const again = inode(isAbsolute(mount) ? join(mount, rest) : rest)
      if (typeof again === 'bigint') return again
      return { failure: `Failed to get cgroup2 ID: ${STRERROR[again] ?? again}` }
    },

    netlinkProto(name) {
      nlProtos ??= parseNlProtos(readText(nlProtosPath))
      // The lowest number carrying the name wins (ss scans 0…255).
      let best: number | undefined
      for (const [id, n] of nlProtos) if (n === name && (best === undefined || id < best)) best = id
      return best
    },
  }
}

/** The inode number of a path (the cgroup id on cgroup2), or the error code. */
function inode(path: string): bigint | string {
  try {
    return statSync(path, { bigint: true }).ino
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'EIO'
  }
}

/** Bytes of a numeric address as returned by dns.lookup. */
function addressBytes(address: string, family: number): Uint8Array | undefined {
  const b = parseAddressText(address)
  return b && b.length === (family === 4 ? 4 : 16) ? b : undefined
}

/** Parse a textual IPv6 address (with `::` and an embedded IPv4 tail) into 16 bytes. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  const b = parseAddressText(text)
  return b?.length === 16 ? b : undefined
}
