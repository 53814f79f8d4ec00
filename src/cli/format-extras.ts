/**
 * Extras of ss 6.1's Process column (ss-behavior §8.3): `users:(…)`,
 * `timer:(…)`, the `-e` details, `skmem:(…)`. Each function returns the
 * text to append, starting with its space (or empty).
 */
import { formatAsm } from '../../compiler/cbpf/disasm.js'

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

/** C's `%g` (6 significant digits, trailing zeros removed, exponent form outside 1e-4 ≤ |x| < 1e6). */
export function formatG(x: number, precision = 6): string {
  if (x === 0) return '0'
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf'
  const p = precision === 0 ? 1 : precision
  // Fast path (bench: formatG was 1.6 s of `ssx -tain` at 100k sockets):
  // from 1e-4 up, %g's fixed form has exactly toPrecision's digits (same
  // exponent, same rounding); toPrecision switches to exponent form at the
  // same upper bound (exp ≥ p), which falls through to the general code.
  const ax = Math.abs(x)
  if (ax >= 1e-4 && ax < 1e21) {
    const s = x.toPrecision(p)
    if (!s.includes('e')) return stripFraction(s)
  }
  const [mant, expText] = x.toExponential(p - 1).split('e') as [string, string]
  const exp = Number(expText)
  const strip = (s: string): string => (s.includes('.') ? s.replace(/\.?0+$/, '') : s)
  if (exp < -4 || exp >= p) return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
  return strip(x.toFixed(p - 1 - exp))
}

/** `%g` of microseconds as milliseconds, made once per value below this. */
const MS_CACHED = 1 << 17
const msCache: (string | undefined)[] = new Array(MS_CACHED)

/**
 * `formatG(us / 1000)`: the `-i` line's times. A busy server's sockets share
 * few distinct values (loopback rtts of a few µs, rto 204 ms…), and `%g` was
 * the largest single cost of `ssx -tain` (profile at 250k sockets), so the
 * texts of whole microsecond counts are kept.
 */
export function msG(us: number): string {
  if (us >= 0 && us < MS_CACHED && Number.isInteger(us)) return msCache[us] ??= formatG(us / 1000)
  return formatG(us / 1000)
}

const gainCache: (string | undefined)[] = []

/** `formatG(gain / 256)`: BBR's pacing and cwnd gains (u32s that take a few values), cached. */
export function gainG(gain: number): string {
  return gain < 4096 ? gainCache[gain] ??= formatG(gain / 256) : formatG(gain / 256)
}

/** Trailing zeros of a fraction and a bare point removed (`%g` without `#`). */
function stripFraction(s: string): string {
  if (!s.includes('.')) return s
  let end = s.length
  while (s.charCodeAt(end - 1) === 48 /* 0 */) end--
  if (s.charCodeAt(end - 1) === 46 /* . */) end--
  return s.slice(0, end)
}

/**
 * C's `%.0f` of a number ≥ 0: the nearest integer, a tie to the even one
 * (toFixed takes the larger), every digit (toFixed turns to exponent form
 * from 1e21 on, where every double is an integer).
 */
export function fixed0(x: number): string {
  if (x >= 1e21 && x < Infinity) return BigInt(x).toString()
  return halfEven(x).toFixed(0)
}

/** The integer nearest to `x` ≥ 0, a tie to the even one (exact below 2^52, and every double above is an integer). */
export function halfEven(x: number): number {
  const f = Math.floor(x)
  const d = x - f
  return d > 0.5 || (d === 0.5 && f % 2 === 1) ? f + 1 : f
}

/** C's `%.1f` of a number ≥ 0 (ties to the even digit, where toFixed takes the larger; every digit). */
export function fixed1(x: number): string {
  // The only ties are the odd multiples of 0.25: between .2 and .3 the even is .2, between .7 and .8 it is .8.
  const q = x * 4
  if (Number.isInteger(q) && q % 2 === 1) return `${Math.floor(x).toFixed(0)}${q % 4 === 1 ? '.2' : '.8'}`
  return x >= 1e21 && x < Infinity ? `${BigInt(x)}.0` : x.toFixed(1)
}

/** ss's `sprint_bw`: `%.0f` with `-n`, else `%.3g` with T/G/M/k, else `%g`. */
export function bwText(bw: number, numeric: boolean): string {
  if (numeric) return fixed0(bw)
  if (bw >= 1e12) return `${formatG(bw / 1e12, 3)}T`
  if (bw >= 1e9) return `${formatG(bw / 1e9, 3)}G`
  if (bw >= 1e6) return `${formatG(bw / 1e6, 3)}M`
  if (bw >= 1e3) return `${formatG(bw / 1e3, 3)}k`
  return formatG(bw)
}

type Num = number | bigint

/** The `struct tcp_info` fields the `-i` line reads (runtime's `TcpInfo` has them; absent = too old a kernel). */
export interface TcpInfoInput {
  readonly state?: number
  readonly backoff?: number
  readonly options?: number
  readonly sndWscale?: number
  readonly rcvWscale?: number
  readonly deliveryRateAppLimited?: boolean
  readonly rto?: number
  readonly ato?: number
  readonly sndMss?: number
  readonly rcvMss?: number
  readonly unacked?: number
  readonly sacked?: number
  readonly lost?: number
  readonly retrans?: number
  readonly fackets?: number
  readonly lastDataSent?: number
  readonly lastDataRecv?: number
  readonly lastAckRecv?: number
  readonly pmtu?: number
  readonly rcvSsthresh?: number
  readonly rtt?: number
  readonly rttvar?: number
  readonly sndSsthresh?: number
  readonly sndCwnd?: number
  readonly advmss?: number
  readonly reordering?: number
  readonly rcvRtt?: number
  readonly rcvSpace?: number
  readonly totalRetrans?: number
  readonly pacingRate?: Num
  readonly maxPacingRate?: Num
  readonly bytesAcked?: Num
  readonly bytesReceived?: Num
  readonly segsOut?: number
  readonly segsIn?: number
  readonly notsentBytes?: number
  readonly minRtt?: number
  readonly dataSegsIn?: number
  readonly dataSegsOut?: number
  readonly deliveryRate?: Num
  readonly busyTime?: Num
  readonly rwndLimited?: Num
  readonly sndbufLimited?: Num
  readonly delivered?: number
  readonly deliveredCe?: number
  readonly bytesSent?: Num
  readonly bytesRetrans?: Num
  readonly dsackDups?: number
  readonly reordSeen?: number
  readonly rcvOoopack?: number
  readonly sndWnd?: number
}

/** What the `-i` line needs besides tcp_info. */
export interface TcpInfoExtraInput {
  readonly info?: TcpInfoInput
  /** The socket's TCP state; when given, used instead of `info.state` (the listing passes the message's, without copying tcp_info). */
  readonly state?: number
  /** INET_DIAG_CONG. */
  readonly congestion?: string
  readonly dctcp?: { readonly enabled: number, readonly ceState: number, readonly alpha: number, readonly abEcn: number, readonly abTot: number }
  /** `bw` in bytes/s; gains scaled by 256. */
  readonly bbr?: { readonly bw: Num, readonly minRtt: number, readonly pacingGain: number, readonly cwndGain: number }
}

/** TCPI_OPT_* bits. */
const TCPI_OPT = { TIMESTAMPS: 1, SACK: 2, WSCALE: 4, ECN: 8, ECN_SEEN: 16, SYN_DATA: 32 } as const
const U64_MAX = 0xffffffffffffffffn

/** A u64 field present and non-zero (a number never equals ~0: 2^64 - 1 is not a double). */
const u64Set = (v: Num | undefined): v is Num => v !== undefined && v !== 0 && v !== 0n
/** A u64 field's decimal digits (never `%g`'s exponent form of a large number). */
const u64Text = (v: Num): string => (typeof v === 'bigint' ? v.toString() : BigInt(v).toString())

/**
 * The `-i` text of a TCP socket (ss 6.1's `tcp_show_info`, ss-behavior
 * §8.3), each field only when present and non-zero.
 * @param showOptions `-o`/`-e`/`-b`: also ` ts sack ecn ecnseen fastopen`
 * @param numeric `-n`: bandwidths as plain `%.0f`
 */
export function tcpInfoExtra(x: TcpInfoExtraInput, showOptions: boolean, numeric: boolean): string {
  const i = x.info ?? {}
  const n = (v: Num | undefined): number => (v === undefined ? 0 : Number(v))
  let s = ''
  const opts = i.options ?? 0
  if (showOptions) {
    if (opts & TCPI_OPT.TIMESTAMPS) s += ' ts'
    if (opts & TCPI_OPT.SACK) s += ' sack'
    if (opts & TCPI_OPT.ECN) s += ' ecn'
    if (opts & TCPI_OPT.ECN_SEEN) s += ' ecnseen'
    if (opts & TCPI_OPT.SYN_DATA) s += ' fastopen'
  }
  if (x.congestion) s += ` ${x.congestion}`
  if (opts & TCPI_OPT.WSCALE) s += ` wscale:${i.sndWscale ?? 0},${i.rcvWscale ?? 0}`
  const rto = n(i.rto) / 1000
  if (rto && rto !== 3000) s += ` rto:${msG(n(i.rto))}`
  if (i.backoff) s += ` backoff:${i.backoff}`
  const rtt = n(i.rtt) / 1000
  if (rtt) s += ` rtt:${msG(n(i.rtt))}/${msG(n(i.rttvar))}`
  if (i.ato) s += ` ato:${msG(i.ato)}`
  if (i.sndMss) s += ` mss:${i.sndMss | 0}`
  if (i.pmtu) s += ` pmtu:${i.pmtu >>> 0}`
  if (i.rcvMss) s += ` rcvmss:${i.rcvMss | 0}`
  if (i.advmss) s += ` advmss:${i.advmss | 0}`
  if (i.sndCwnd) s += ` cwnd:${i.sndCwnd >>> 0}`
  if (i.sndSsthresh !== undefined && i.sndSsthresh < 0xffff && i.sndSsthresh) s += ` ssthresh:${i.sndSsthresh}`
  // Spelled out, not a loop over pairs: this runs per socket (bench/RESULTS.md).
  if (u64Set(i.bytesSent)) s += ` bytes_sent:${u64Text(i.bytesSent)}`
  if (u64Set(i.bytesRetrans)) s += ` bytes_retrans:${u64Text(i.bytesRetrans)}`
  if (u64Set(i.bytesAcked)) s += ` bytes_acked:${u64Text(i.bytesAcked)}`
  if (u64Set(i.bytesReceived)) s += ` bytes_received:${u64Text(i.bytesReceived)}`
  if (i.segsOut) s += ` segs_out:${i.segsOut}`
  if (i.segsIn) s += ` segs_in:${i.segsIn}`
  if (i.dataSegsOut) s += ` data_segs_out:${i.dataSegsOut}`
  if (i.dataSegsIn) s += ` data_segs_in:${i.dataSegsIn}`
  if (x.dctcp) s += dctcpExtra(x.dctcp)
  if (x.bbr) {
    const b = x.bbr
    s += ` bbr:(bw:${bwText(n(b.bw) * 8, numeric)}bps,mrtt:${msG(b.minRtt)}`
    if (b.pacingGain) s += `,pacing_gain:${gainG(b.pacingGain)}`
    if (b.cwndGain) s += `,cwnd_gain:${gainG(b.cwndGain)}`
    s += ')'
  }
  if (i.rtt) {
    const send = (n(i.sndCwnd) * n(i.sndMss) * 8000000) / i.rtt
    if (send) s += ` send ${bwText(send, numeric)}bps`
  }
  if (i.lastDataSent) s += ` lastsnd:${i.lastDataSent}`
  if (i.lastDataRecv) s += ` lastrcv:${i.lastDataRecv}`
  if (i.lastAckRecv) s += ` lastack:${i.lastAckRecv}`
  if (u64Set(i.pacingRate) && i.pacingRate !== U64_MAX) {
    s += ` pacing_rate ${bwText(n(i.pacingRate) * 8, numeric)}bps`
    if (u64Set(i.maxPacingRate) && i.maxPacingRate !== U64_MAX) s += `/${bwText(n(i.maxPacingRate) * 8, numeric)}bps`
  }
  if (n(i.deliveryRate)) s += ` delivery_rate ${bwText(n(i.deliveryRate) * 8, numeric)}bps`
  if (i.delivered) s += ` delivered:${i.delivered}`
  if (i.deliveredCe) s += ` delivered_ce:${i.deliveredCe}`
  if (i.deliveryRateAppLimited) s += ' app_limited'
  const busy = n(i.busyTime)
  if (busy) s += busyExtra(busy, n(i.rwndLimited), n(i.sndbufLimited))
  if (i.unacked) s += ` unacked:${i.unacked}`
  if (i.retrans || i.totalRetrans) s += ` retrans:${i.retrans ?? 0}/${i.totalRetrans ?? 0}`
  if (i.lost) s += ` lost:${i.lost}`
  if (i.sacked && (x.state ?? i.state) !== 10) s += ` sacked:${i.sacked}`
  if (i.dsackDups) s += ` dsack_dups:${i.dsackDups}`
  if (i.fackets) s += ` fackets:${i.fackets}`
  if (i.reordering !== undefined && i.reordering !== 3) s += ` reordering:${i.reordering | 0}`
  if (i.reordSeen) s += ` reord_seen:${i.reordSeen | 0}`
  if (i.rcvRtt) s += ` rcv_rtt:${msG(i.rcvRtt)}`
  if (i.rcvSpace) s += ` rcv_space:${i.rcvSpace | 0}`
  if (i.rcvSsthresh) s += ` rcv_ssthresh:${i.rcvSsthresh >>> 0}`
  if (i.notsentBytes) s += ` notsent:${i.notsentBytes}`
  // ~0U: no RTT sample yet (e.g. a listener announced by -E); ss 6.1 prints nothing then.
  if (i.minRtt && i.minRtt !== 0xffffffff) s += ` minrtt:${msG(i.minRtt)}`
  if (i.rcvOoopack) s += ` rcv_ooopack:${i.rcvOoopack}`
  if (i.sndWnd) s += ` snd_wnd:${i.sndWnd}`
  return s
}

/** ` busy:…ms` and the time limited by the receive window and the send buffer (µs; `busy` non-zero). */
export function busyExtra(busy: number, rwnd: number, sndbuf: number): string {
  let s = ` busy:${Math.floor(busy / 1000)}ms`
  if (rwnd) s += ` rwnd_limited:${Math.floor(rwnd / 1000)}ms(${fixed1((rwnd * 100) / busy)}%)`
  if (sndbuf) s += ` sndbuf_limited:${Math.floor(sndbuf / 1000)}ms(${fixed1((sndbuf * 100) / busy)}%)`
  return s
}

/** ` dctcp:(…)` of INET_DIAG_DCTCPINFO. */
export function dctcpExtra(d: NonNullable<TcpInfoExtraInput['dctcp']>): string {
  return d.enabled ? ` dctcp:(ce_state:${d.ceState},alpha:${d.alpha},ab_ecn:${d.abEcn},ab_tot:${d.abTot})` : ' dctcp:fallback_mode'
}

/** INET_DIAG_SOCKOPT bit names in ss's order (bit n = entry n). */
const INET_SOCKOPT_NAMES = ['recverr', 'is_icsk', 'freebind', 'hdrincl', 'mc_loop', 'transparent', 'mc_all', 'nodefrag', 'bind_addr_no_port', 'recverr_rfc4884', 'defer_connect']

/** `%#x`: `0` for zero, else `0x…`. */
export const hashX = (v: number): string => (v === 0 ? '0' : `0x${(v >>> 0).toString(16)}`)

/** `--inet-sockopt`: the names of the INET_DIAG_SOCKOPT bits set, on their own line unless `oneline`. */
export function inetSockoptExtra(sockopt: number, oneline: boolean): string {
  const set = INET_SOCKOPT_NAMES.filter((_, bit) => sockopt & (1 << bit)).map((n) => ` ${n}`).join('')
  return `${oneline ? ' ' : '\n\t'}inet-sockopt: (${set})`
}

/** Everything the Process column of an inet socket may show (runtime's `InetRecord` fits). */
export interface InetExtrasRecord extends InetDetailsRecord {
  readonly timer: number
  readonly expires: number
  readonly retrans: number
  readonly state: number
  readonly tos?: number
  readonly tclass?: number
  readonly classId?: number
  readonly sockopt?: number
  readonly skMemInfo?: SkMem
  readonly memInfo?: { readonly rmem: number, readonly wmem: number, readonly fmem: number, readonly tmem: number }
  readonly tcpInfo?: TcpInfoInput
  readonly congestion?: string
  readonly dctcpInfo?: TcpInfoExtraInput['dctcp']
  readonly bbrInfo?: TcpInfoExtraInput['bbr']
  readonly ulp?: UlpText
  /** INET_DIAG_INFO of an MPTCP socket. */
  readonly mptcpInfo?: MptcpInfoText
}

/** Which extras to show, from the options. */
export interface InetExtrasOptions {
  /** `-p`: the socket's users, already in ss's order (undefined: not asked). */
  readonly users?: readonly SocketUser[]
  /** `-o` (also set by `-e` and `-b`): timers, and ts/sack/… in the `-i` line. */
  readonly showOptions: boolean
  /** `-e`. */
  readonly showDetails: boolean
  /** `-m`. */
  readonly showMem: boolean
  /** `-i`. */
  readonly showTcpInfo: boolean
  /** `--tos`. */
  readonly showTos?: boolean
  /** `--cgroup`. */
  readonly showCgroup?: boolean
  /** `--inet-sockopt`. */
  readonly showInetSockopt?: boolean
  /** `-O`: no `\n\t` line breaks. */
  readonly oneline: boolean
  /** `-n` (bandwidths). */
  readonly numeric: boolean
  readonly timerStyle?: TimerStyle
  readonly cgroupPath: (id: bigint) => string
}

/**
 * The Process column text of an inet socket in ss 6.1's order: users,
 * timer, details, tos, cgroup, inet-sockopt, then the memory/tcp_info block
 * (on its own `\n\t` line unless `-O`; printed for TCP with `-m` or `-i`,
 * for other protocols with `-m` only, even when it stays empty).
 * @param ipproto the table's protocol (6 TCP, 17 UDP, …)
 */
export function inetExtras(rec: InetExtrasRecord, ipproto: number, o: InetExtrasOptions): string {
  let s = o.users ? usersExtra(o.users) : ''
  if (o.showOptions) s += timerExtra(rec.timer, rec.expires, rec.retrans, o.timerStyle)
  if (o.showDetails) s += inetDetailsExtra(rec, o.cgroupPath)
  if (o.showTos) {
    if (rec.tos !== undefined) s += ` tos:${hashX(rec.tos)}`
    if (rec.tclass !== undefined) s += ` tclass:${hashX(rec.tclass)}`
    if (rec.classId !== undefined) s += ` class_id:${hashX(rec.classId)}`
  }
  if (o.showCgroup && rec.cgroupId !== 0n) s += ` cgroup:${o.cgroupPath(rec.cgroupId)}`
  if (o.showInetSockopt && rec.sockopt !== undefined) s += inetSockoptExtra(rec.sockopt, o.oneline)
  const tcpLike = ipproto === 6 || ipproto === 262
  if (o.showMem || (o.showTcpInfo && tcpLike)) {
    if (!o.oneline) s += '\n\t'
    if (o.showMem) {
      if (rec.skMemInfo) s += skmemExtra(rec.skMemInfo)
      else if (rec.memInfo) s += ` mem:(r${rec.memInfo.rmem},w${rec.memInfo.wmem},f${rec.memInfo.fmem},t${rec.memInfo.tmem})`
    }
    if (o.showTcpInfo && tcpLike && rec.tcpInfo) {
      // One object of one shape per socket (conditional spreads cost more than the fields).
      s += tcpInfoExtra({ info: rec.tcpInfo, state: rec.state, congestion: rec.congestion, dctcp: rec.dctcpInfo, bbr: rec.bbrInfo }, o.showOptions, o.numeric)
    }
    if (o.showTcpInfo && ipproto === 262 && rec.mptcpInfo) s += mptcpInfoExtra(rec.mptcpInfo)
    if (tcpLike && rec.ulp) s += ulpExtra(rec.ulp)
  }
  return s
}

/** The decoded INET_DIAG_ULP_INFO (see the runtime's `UlpInfo`). */
export interface UlpText {
  readonly name?: string
  readonly tls?: { readonly version?: number, readonly cipher?: number, readonly txConf?: number, readonly rxConf?: number, readonly zcRoTx: boolean }
  readonly mptcp?: {
    readonly tokenRem?: number, readonly tokenLoc?: number, readonly idRem?: number, readonly idLoc?: number, readonly flags?: number,
    readonly mapSeq?: bigint, readonly mapSfseq?: number, readonly ssnOffset?: number, readonly mapDatalen?: number
  }
}

const TLS_VERSIONS: Readonly<Record<number, string>> = { 0x0303: '1.2', 0x0304: '1.3' }
/** 6.1 names only these two ciphers and prints nothing for the others. */
const TLS_CIPHERS: Readonly<Record<number, string>> = { 51: 'aes-gcm-128', 52: 'aes-gcm-256' }
const TLS_CONFS: Readonly<Record<number, string>> = { 1: 'none', 2: 'sw', 3: 'hw', 4: 'hw-record' }
/** MPTCP_SUBFLOW_FLAG_* bit i → letter. */
const MPTCP_FLAG_LETTERS = 'MmJjBbecv'

/** ` tcp-ulp-NAME` and the TLS or MPTCP-subflow details (6.1: MPTCP sequence numbers in hex). */
export function ulpExtra(u: UlpText): string {
  let s = u.name !== undefined ? ` tcp-ulp-${u.name}` : ''
  if (u.tls) {
    const { version, cipher, rxConf, txConf } = u.tls
    if (version !== undefined) s += ` version: ${TLS_VERSIONS[version] ?? `unknown(${version})`}`
    if (cipher !== undefined && TLS_CIPHERS[cipher]) s += ` cipher: ${TLS_CIPHERS[cipher]}`
    if (rxConf !== undefined) s += ` rxconf: ${TLS_CONFS[rxConf] ?? `unknown(${rxConf})`}`
    if (txConf !== undefined) s += ` txconf: ${TLS_CONFS[txConf] ?? `unknown(${txConf})`}`
    if (u.tls.zcRoTx) s += ' zc_ro_tx'
  }
  const m = u.mptcp
  if (m) {
    if (m.flags) s += ` flags:${[...MPTCP_FLAG_LETTERS].filter((_, i) => m.flags! & (1 << i)).join('')}`
    if (m.tokenRem !== undefined && m.tokenLoc !== undefined && m.idRem !== undefined && m.idLoc !== undefined) {
      s += ` token:${hex4(m.tokenRem)}(id:${m.idRem})/${hex4(m.tokenLoc)}(id:${m.idLoc})`
    }
    if (m.mapSeq !== undefined) s += ` seq:${m.mapSeq.toString(16)}`
    if (m.mapSfseq !== undefined) s += ` sfseq:${m.mapSfseq.toString(16)}`
    if (m.ssnOffset !== undefined) s += ` ssnoff:${m.ssnOffset.toString(16)}`
    if (m.mapDatalen !== undefined) s += ` maplen:${m.mapDatalen.toString(16)}`
  }
  return s
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0')

/** Options of the unix/packet/netlink Process column composers. */
export interface OtherExtrasOptions {
  /** `-p`: the socket's users, already in ss's order. */
  readonly users?: readonly SocketUser[]
  readonly showDetails: boolean
  readonly showMem: boolean
  /** `-O`. */
  readonly oneline: boolean
}

/** Process column of a unix socket (6.1): users, ` skmem:(…)` (no line break), `-e` details. */
export function unixExtras(rec: UnixDetailsRecord & { readonly memInfo?: SkMem }, o: OtherExtrasOptions): string {
  let s = o.users ? usersExtra(o.users) : ''
  if (o.showMem && rec.memInfo) s += skmemExtra(rec.memInfo)
  if (o.showDetails) s += unixDetailsExtra(rec)
  return s
}

/** Process column of a netlink socket (6.1): users, `-e` details, then `\t skmem:(…)` (a TAB, no line break). */
export function netlinkExtras(rec: { readonly groups?: readonly number[], readonly memInfo?: SkMem }, o: OtherExtrasOptions): string {
  let s = o.users ? usersExtra(o.users) : ''
  if (o.showDetails) s += netlinkDetailsExtra(rec.groups)
  if (o.showMem && rec.memInfo) s += '\t' + skmemExtra(rec.memInfo)
  return s
}

/** One classic BPF instruction as `-b` lists it. */
export interface SockFilterText { readonly code: number, readonly jt: number, readonly jf: number, readonly k: number }

/**
 * `-b`: ` bpf filter (N):  0xCODE JT JF K, …` after a `\n\t` (a space with
 * `-O`). With `listing` (ssx's `-b --verbose`), the program follows in
 * `tcpdump -d` style, one instruction per continuation line (`; `-separated with `-O`).
 */
export function bpfFilterExtra(filter: readonly SockFilterText[], oneline = false, listing = false): string {
  let s = `${oneline ? ' ' : '\n\t'}bpf filter (${filter.length}): `
  for (const i of filter) s += ` 0x${i.code.toString(16).padStart(2, '0')} ${i.jt} ${i.jf} ${i.k >>> 0},`
  if (listing) {
    const lines = formatAsm(filter).trimEnd().split('\n')
    s += oneline ? ` ${lines.join('; ')}` : lines.map((l) => `\n\t${l}`).join('')
  }
  return s
}

/** Process column of a packet socket (6.1): users, `-e` details, `-b` filter, then ` skmem:(…)` (no line break). */
export function packetExtras(rec: PacketDetailsRecord & { readonly filter?: readonly SockFilterText[], readonly memInfo?: SkMem }, o: OtherExtrasOptions & { readonly showBpf?: boolean, readonly bpfListing?: boolean }): string {
  let s = o.users ? usersExtra(o.users) : ''
  if (o.showDetails) s += packetDetailsExtra(rec, o.oneline)
  if (o.showBpf && rec.filter && rec.filter.length > 0) s += bpfFilterExtra(rec.filter, o.oneline, o.bpfListing)
  if (o.showMem && rec.memInfo) s += skmemExtra(rec.memInfo)
  return s
}

/** The `struct mptcp_info` fields `-i` shows (runtime `MptcpInfo`). */
export interface MptcpInfoText {
  readonly subflows?: number
  readonly addAddrSignal?: number
  readonly addAddrAccepted?: number
  readonly subflowsMax?: number
  readonly addAddrSignalMax?: number
  readonly addAddrAcceptedMax?: number
  readonly flags?: number
  readonly token?: number
  readonly writeSeq?: bigint
  readonly sndUna?: bigint
  readonly rcvNxt?: bigint
  readonly localAddrUsed?: number
  readonly localAddrMax?: number
  readonly csumEnabled?: number
}

/**
 * `-i` of an MPTCP socket (6.1): each count only when non-zero, ` fallback`
 * and ` remote_key` from the flags (MPTCP_INFO_FLAG_* bits 0 and 1), token
 * and sequence numbers in hex.
 */
export function mptcpInfoExtra(m: MptcpInfoText): string {
  let s = ''
  const count = (name: string, v: number | undefined): void => { if (v) s += ` ${name}:${v}` }
  count('subflows', m.subflows)
  count('add_addr_signal', m.addAddrSignal)
  count('add_addr_accepted', m.addAddrAccepted)
  count('subflows_max', m.subflowsMax)
  count('add_addr_signal_max', m.addAddrSignalMax)
  count('add_addr_accepted_max', m.addAddrAcceptedMax)
  if (m.flags !== undefined && m.flags & 1) s += ' fallback'
  if (m.flags !== undefined && m.flags & 2) s += ' remote_key'
  if (m.token) s += ` token:${m.token.toString(16)}`
  if (m.writeSeq) s += ` write_seq:${m.writeSeq.toString(16)}`
  if (m.sndUna) s += ` snd_una:${m.sndUna.toString(16)}`
  if (m.rcvNxt) s += ` rcv_nxt:${m.rcvNxt.toString(16)}`
  count('local_addr_used', m.localAddrUsed)
  count('local_addr_max', m.localAddrMax)
  count('csum_enabled', m.csumEnabled)
  return s
}
