/**
 * Extras of ss 6.1's Process column (ss-behavior §8.3): `users:(…)`,
 * `timer:(…)`, the `-e` details, `skmem:(…)`. Each function returns the
 * text to append, starting with its space (or empty).
 */

/** Timer text style: ss 6.1's (`1.432ms` for 1432 ms) or upstream's fix (`1.432sec`, 6.11). */
export type TimerStyle = '6.1' | 'upstream'

/**
 * ss's `print_ms_timer`: minutes (dropping ms, and seconds from 10 min on),
 * seconds (dropping ms from 10 s on), then ms as `%03d`. 6.1 ends a
 * `S.MMM` value with `ms`; upstream with `sec`. 0 is the empty string.
 */
export function timerText(ms: number, style: TimerStyle = '6.1'): string {
  let secs = Math.floor(ms / 1000)
  const minutes = Math.floor(secs / 60)
  secs %= 60
  let msecs = ms % 1000
  let out = ''
  if (minutes) {
    msecs = 0
    out = `${minutes}min`
    if (minutes > 9) secs = 0
  }
  const secsShown = secs !== 0
  if (secs) {
    if (secs > 9) msecs = 0
    out += `${secs}${msecs ? '.' : 'sec'}`
  }
  if (msecs) out += String(msecs).padStart(3, '0') + (style === 'upstream' && secsShown ? 'sec' : 'ms')
  return out
}

/** Timer names by `idiag_timer` (6.1: 5 and up are `unknown`). */
const TIMER_NAMES = ['off', 'on', 'keepalive', 'timewait', 'persist']

/** ` timer:(NAME,EXPIRES,RETRANS)`, or empty when no timer is pending (`idiag_timer` 0). */
export function timerExtra(timer: number, expires: number, retrans: number, style: TimerStyle = '6.1'): string {
  if (timer === 0) return ''
  return ` timer:(${TIMER_NAMES[timer] ?? 'unknown'},${timerText(expires, style)},${retrans})`
}

/** One process holding a socket (from the /proc scan). */
export interface SocketUser {
  readonly comm: string
  readonly pid: number
  readonly fd: number
  /** Thread id, with `-T`. */
  readonly tid?: number
}

/**
 * ` users:(("COMM",pid=P,fd=F),…)` in the order given (ss prints them in
 * reverse discovery order: pass the list already reversed), or empty.
 */
export function usersExtra(users: readonly SocketUser[]): string {
  if (users.length === 0) return ''
  const items = users.map((u) => `("${u.comm}",pid=${u.pid}${u.tid !== undefined ? `,tid=${u.tid}` : ''},fd=${u.fd})`)
  return ` users:(${items.join(',')})`
}

/** The `-e` fields of an inet socket. */
export interface InetDetailsRecord {
  readonly family: number
  readonly uid: number
  readonly inode: number
  readonly cookie: bigint
  readonly mark: number
  readonly cgroupId: bigint
  readonly v6only?: boolean
  /** INET_DIAG_SHUTDOWN bits: 1 receive, 2 send; absent prints nothing. */
  readonly shutdown?: number
}

/** The shutdown marker ` X-Y` (`<->` open both ways). */
export function shutdownExtra(mask: number | undefined): string {
  if (mask === undefined) return ''
  return ` ${mask & 1 ? '-' : '<'}-${mask & 2 ? '-' : '>'}`
}

/**
 * `-e` details of an inet socket: ` uid:U` (non-zero) ` ino:I sk:COOKIE`
 * ` fwmark:0x…` (non-zero) ` cgroup:PATH` (non-zero id) ` v6only:0|1`
 * (AF_INET6, when the attribute came) and the shutdown marker.
 * @param cgroupPath ss's `cg_id_to_path` (a path, or `unreachable:HEX`)
 */
export function inetDetailsExtra(rec: InetDetailsRecord, cgroupPath: (id: bigint) => string): string {
  let s = ''
  if (rec.uid) s += ` uid:${rec.uid >>> 0}`
  s += ` ino:${rec.inode >>> 0} sk:${rec.cookie.toString(16)}`
  if (rec.mark) s += ` fwmark:0x${(rec.mark >>> 0).toString(16)}`
  if (rec.cgroupId !== 0n) s += ` cgroup:${cgroupPath(rec.cgroupId)}`
  // The kernel sends INET_DIAG_SKV6ONLY for LISTEN and CLOSE sockets only; ss prints what it got.
  if (rec.family === 10 && rec.v6only !== undefined) s += ` v6only:${rec.v6only ? 1 : 0}`
  return s + shutdownExtra(rec.shutdown)
}

/** SK_MEMINFO counters. */
export interface SkMem {
  readonly rmemAlloc: number
  readonly rcvbuf: number
  readonly wmemAlloc: number
  readonly sndbuf: number
  readonly fwdAlloc: number
  readonly wmemQueued: number
  readonly optmem: number
  readonly backlog?: number
  readonly drops?: number
}

/** ` skmem:(r…,rb…,t…,tb…,f…,w…,o…[,bl…][,d…])`; bl and d only when the kernel sent them. */
export function skmemExtra(m: SkMem): string {
  let s = ` skmem:(r${m.rmemAlloc},rb${m.rcvbuf},t${m.wmemAlloc},tb${m.sndbuf},f${m.fwdAlloc},w${m.wmemQueued},o${m.optmem}`
  if (m.backlog !== undefined) s += `,bl${m.backlog}`
  if (m.drops !== undefined) s += `,d${m.drops}`
  return s + ')'
}

/** The `-e` fields of a unix socket. */
export interface UnixDetailsRecord {
  readonly shutdown?: number
  /** UNIX_DIAG_VFS: inode and device (kernel `dev_t` encoding, major << 20 | minor) of a path socket. */
  readonly vfs?: { readonly ino: number, readonly dev: number }
  /** UNIX_DIAG_ICONS: peers of pending connections (listeners). */
  readonly icons?: readonly number[]
}

/**
 * glibc's major()/minor() applied to the kernel's dev_t, as ss does: for
 * 254:0 (kernel 0x0fe00000) that is `0/65024`.
 */
function glibcMajorMinor(dev: number): string {
  const d = dev >>> 0
  const major = (d >>> 8) & 0xfff
  const minor = (d & 0xff) | ((d >>> 12) & ~0xff)
  return `${major}/${minor >>> 0}`
}

/** `-e` details of a unix socket: shutdown marker, ` ino:I dev:MAJ/MIN`, ` peers:` + ` INODE`…. */
export function unixDetailsExtra(rec: UnixDetailsRecord): string {
  let s = shutdownExtra(rec.shutdown)
  if (rec.vfs) s += ` ino:${rec.vfs.ino >>> 0} dev:${glibcMajorMinor(rec.vfs.dev)}`
  if (rec.icons) s += ' peers:' + rec.icons.map((p) => ` ${p >>> 0}`).join('')
  return s
}

/** The `-e` fields of a packet socket. */
export interface PacketDetailsRecord {
  readonly inode: number
  readonly cookie: bigint
  /** PACKET_DIAG_INFO. */
  readonly info?: { readonly version: number, readonly copyThresh: number, readonly flags: number }
}

/** PDI_* flag names, by bit. */
const PDI_FLAGS: readonly [number, string][] = [[0x1, 'running'], [0x2, 'auxdata'], [0x4, 'origdev'], [0x8, 'vnethdr'], [0x10, 'loss']]

/**
 * `-e` details of a packet socket: ` ino:I sk:COOKIE`, then with
 * PACKET_DIAG_INFO `\n\tver:V cpy_thresh:N flags( NAME … )` (`\n\t` → space with `-O`).
 * Rings, fanout and filters are not rendered yet.
 */
export function packetDetailsExtra(rec: PacketDetailsRecord, oneline = false): string {
  let s = ` ino:${rec.inode >>> 0} sk:${rec.cookie.toString(16)}`
  if (rec.info) {
    const names = PDI_FLAGS.filter(([bit]) => rec.info!.flags & bit).map(([, n]) => `${n} `).join('')
    s += `${oneline ? ' ' : '\n\t'}ver:${rec.info.version} cpy_thresh:${rec.info.copyThresh} flags( ${names || '0 '})`
  }
  return s
}

/** `-e` details of a netlink socket: ` sk=0 cb=0 groups=0x%08x` (sk and cb are always 0 through netlink_diag). */
export function netlinkDetailsExtra(groups: readonly number[] | undefined): string {
  // The first 32 groups as ss's u32 bitmap (group n is bit n - 1).
  let mask = 0
  for (const g of groups ?? []) if (g >= 1 && g <= 32) mask |= 1 << (g - 1)
  return ` sk=0 cb=0 groups=0x${(mask >>> 0).toString(16).padStart(8, '0')}`
}
