/**
 * `ss -s`: socket counts read from procfs, printed as ss 6.1 prints them
 * (ss-behavior §8.6). Nothing here talks to the kernel over netlink; that
 * is the point of `-s` on a server with millions of sockets.
 *
 * Files, each overridable the way ss does it: `$PROC_NET_SOCKSTAT`, else
 * `$PROC_ROOT/net/sockstat` (`$PROC_ROOT` defaulting to `/proc`); likewise
 * `sockstat6` and `snmp`.
 */
import { readFileSync } from 'node:fs'
import { errnoInfo } from '../runtime/errors.js'

/** The environment variables {@link readSummary} honours. */
export interface SummaryEnv {
  readonly PROC_ROOT?: string | undefined
  readonly PROC_NET_SOCKSTAT?: string | undefined
  readonly PROC_NET_SOCKSTAT6?: string | undefined
  readonly PROC_NET_SNMP?: string | undefined
}

/**
 * The counters ss's summary uses (ss's `struct ssummary`), C `int`s.
 * Counters of lines that are missing or unparsable stay 0, as in ss.
 */
export interface SummaryCounts {
  /** `sockets: used` — sockets in this network namespace. */
  readonly sockets: number
  /** `TCP: inuse` — IPv4 TCP sockets in the hash tables. */
  readonly tcp4: number
  /** `TCP6: inuse`. */
  readonly tcp6: number
  /** `TCP: orphan`. */
  readonly tcpOrphans: number
  /** `TCP: tw` — TIME-WAIT sockets. */
  readonly tcpTimewait: number
  /** `TCP: alloc` — allocated TCP sockets (a machine-wide counter). */
  readonly tcpAlloc: number
  /** `TCP: mem` (pages; read but not printed). */
  readonly tcpMem: number
  readonly udp4: number
  readonly udp6: number
  readonly raw4: number
  readonly raw6: number
  /** `FRAG: inuse` and `memory`. */
  readonly frag4: number
  readonly frag4Memory: number
  readonly frag6: number
  readonly frag6Memory: number
}

/** Everything `ss -s` prints, plus the errors ss would have reported on the way. */
export interface SummaryData {
  readonly counts: SummaryCounts
  /** `Tcp: CurrEstab` from snmp (0 when unavailable). */
  readonly tcpEstablished: number
  /**
   * What ss reports with perror() before printing the summary anyway (with
   * zeros where data is missing), in ss's order: at most one `get_sockstat`,
   * then at most one `get_snmpstat`.
   */
  readonly errors: readonly SummaryReadError[]
}

/** A procfs file the summary could not use. Only the CLI prints it (its `message` is ss's perror line). */
export class SummaryReadError extends Error {
  override readonly name = 'SummaryReadError'
  constructor(
    /** ss's perror prefix: which step failed. */
    readonly operation: 'get_sockstat' | 'get_snmpstat',
    /** The file, or the snmp file when `Tcp: CurrEstab` was not found in it. */
    readonly path: string,
    /** errno name: the open's error, or `ESRCH` when snmp has no `Tcp: CurrEstab`. */
    readonly code: string,
    /** Positive errno, when known. */
    readonly errno?: number,
  ) {
    super(`ss: ${operation}: ${strerror(code, errno)}`)
  }
}

/**
 * glibc's strerror() for the errors an open(2) for reading can plausibly
 * return, and ESRCH which ss sets itself; anything else falls back to
 * libuv's description, capitalised as glibc's are.
 */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
  EMFILE: 'Too many open files',
  ENFILE: 'Too many open files in system',
  EIO: 'Input/output error',
  ESRCH: 'No such process',
}

function strerror(code: string, errno: number | undefined): string {
  const known = STRERROR[code]
  if (known !== undefined || errno === undefined) return known ?? code
  const text = errnoInfo(errno).description
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/**
 * ss's generic_proc_open(): the variable's value, else `$PROC_ROOT/NAME`
 * with `/proc` as the root. ss builds the second form in a 128-byte buffer
 * with a limit of 127, so it keeps at most 126 bytes of it.
 */
function procPath(explicit: string | undefined, root: string, name: string): string {
  if (explicit !== undefined) return explicit
  const full = Buffer.from(`${root}/${name}`)
  return full.length > 126 ? full.subarray(0, 126).toString() : full.toString()
}

/** A file's text, or the error fopen() would have given. */
function readProcFile(path: string): { text: string } | { code: string, errno?: number } {
  try {
    return { text: readFileSync(path, 'latin1') }
  } catch (e) {
    const err = e as NodeJS.ErrnoException
    const code = err.code ?? 'EIO'
    // fopen(dir, "r") succeeds and fgets() then fails: ss sees an empty file and says nothing.
    if (code === 'EISDIR') return { text: '' }
    return err.errno === undefined ? { code } : { code, errno: Math.abs(err.errno) }
  }
}

/**
 * The lines fgets() hands out with a buffer of `size` bytes: a longer line
 * arrives in pieces of `size - 1` bytes, each parsed as a line of its own.
 */
function* fgetsLines(text: string, size: number): Generator<string> {
  let at = 0
  while (at < text.length) {
    const nl = text.indexOf('\n', at)
    const end = Math.min(nl === -1 ? text.length : nl + 1, at + size - 1)
    yield text.slice(at, end)
    at = end
  }
}

const LONG_MAX = (1n << 63n) - 1n
const LONG_MIN = -(1n << 63n)

/**
 * The value glibc's `%d` stores for a matched digit string: strtol()
 * (saturating at the 64-bit long range), then truncated to an `int`.
 */
function cInt(digits: string): number {
  let v = BigInt(digits)
  v = v > LONG_MAX ? LONG_MAX : v < LONG_MIN ? LONG_MIN : v
  return Number(BigInt.asIntN(32, v))
}

/**
 * The integers `sscanf(rest, "%*s%d%*s%d…")` stores: alternately skip a
 * word and read a `%d`, stopping at the first `%d` that does not match
 * (the counters after it keep their previous values).
 */
function scanCounters(rest: string, wanted: number): number[] {
  const out: number[] = []
  const re = /\s*\S+\s*([+-]?\d+)?/y
  for (let i = 0; i < wanted; i++) {
    const m = re.exec(rest)
    if (!m || m[1] === undefined) break
    out.push(cInt(m[1]))
  }
  return out
}

type MutableCounts = { -readonly [K in keyof SummaryCounts]: number }

const LINE_FIELDS: Readonly<Record<string, readonly (keyof SummaryCounts)[]>> = {
  'sockets:': ['sockets'],
  'UDP:': ['udp4'],
  'UDP6:': ['udp6'],
  'RAW:': ['raw4'],
  'RAW6:': ['raw6'],
  'TCP6:': ['tcp6'],
  'FRAG:': ['frag4', 'frag4Memory'],
  'FRAG6:': ['frag6', 'frag6Memory'],
  'TCP:': ['tcp4', 'tcpOrphans', 'tcpTimewait', 'tcpAlloc', 'tcpMem'],
}

/**
 * Fold one sockstat line into the counters, as ss's get_sockstat_line():
 * the id is everything up to the first space (`%[^ ]`), the rest must be
 * non-empty, and lines with other ids (UDPLITE, …) are ignored.
 */
function foldSockstatLine(line: string, counts: MutableCounts): void {
  const m = /^([^ ]+) +\s*([^\n]+)/.exec(line)
  if (!m) return
  const fields = LINE_FIELDS[m[1]!]
  if (!fields) return
  scanCounters(m[2]!, fields.length).forEach((v, i) => { counts[fields[i]!] = v })
}

/**
 * ss's get_snmp_int(): find `key` in the header line starting with `proto`
 * and read the `%d` after the same number of spaces in the line after it.
 * A key missing from the header selects the last column, as in ss.
 */
export function snmpValue(text: string, proto: string, key: string): number | undefined {
  const lines = fgetsLines(text, 1024)
  for (let header = lines.next(); !header.done; header = lines.next()) {
    const h = header.value
    if (!h.startsWith(proto)) continue
    let pos = 0
    for (let sp = h.indexOf(' '); sp !== -1; sp = h.indexOf(' ', sp + 1)) {
      pos++
      const after = h.charAt(sp + 1 + key.length)
      if (h.startsWith(key, sp + 1) && (after === ' ' || after === '\n')) break
    }
    const values = lines.next()
    if (values.done || !values.value.startsWith(proto)) return undefined
    const v = values.value
    for (let sp = v.indexOf(' '); sp !== -1; sp = v.indexOf(' ', sp + 1)) {
      if (--pos !== 0) continue
      // A value that is not a number leaves ss's result at 0.
      const m = /^\s*([+-]?\d+)/.exec(v.slice(sp + 1))
      return m ? cInt(m[1]!) : 0
    }
  }
  return undefined
}

const ZERO: SummaryCounts = {
  sockets: 0, tcp4: 0, tcp6: 0, tcpOrphans: 0, tcpTimewait: 0, tcpAlloc: 0, tcpMem: 0,
  udp4: 0, udp6: 0, raw4: 0, raw6: 0, frag4: 0, frag4Memory: 0, frag6: 0, frag6Memory: 0,
}

/**
 * Read the summary counters like ss 6.1's print_summary(). Missing files
 * are not fatal: ss reports them (see {@link SummaryData.errors}) and
 * prints zeros. A missing sockstat6 is silent, as in ss.
 *
 * @param procRoot the root used when `env.PROC_ROOT` is unset (ss: `/proc`).
 *   Pointing it at `/proc/PID` reads the network namespace of process PID.
 * @param env the environment (the CLI passes `process.env`).
 */
export function readSummary(procRoot = '/proc', env: SummaryEnv = {}): SummaryData {
  const root = env.PROC_ROOT ?? procRoot
  const errors: SummaryReadError[] = []
  const counts: MutableCounts = { ...ZERO }

  const sockstatPath = procPath(env.PROC_NET_SOCKSTAT, root, 'net/sockstat')
  const sockstat = readProcFile(sockstatPath)
  if ('code' in sockstat) {
    errors.push(new SummaryReadError('get_sockstat', sockstatPath, sockstat.code))
  } else {
    for (const line of fgetsLines(sockstat.text, 256)) foldSockstatLine(line, counts)
    const sockstat6 = readProcFile(procPath(env.PROC_NET_SOCKSTAT6, root, 'net/sockstat6'))
    if ('text' in sockstat6) for (const line of fgetsLines(sockstat6.text, 256)) foldSockstatLine(line, counts)
  }

  let tcpEstablished = 0
  const snmpPath = procPath(env.PROC_NET_SNMP, root, 'net/snmp')
  const snmp = readProcFile(snmpPath)
  if ('code' in snmp) {
    errors.push(new SummaryReadError('get_snmpstat', snmpPath, snmp.code))
  } else {
    const v = snmpValue(snmp.text, 'Tcp:', 'CurrEstab')
    if (v === undefined) errors.push(new SummaryReadError('get_snmpstat', snmpPath, 'ESRCH'))
    else tcpEstablished = v
  }
  return { counts, tcpEstablished, errors }
}

/** C `int` arithmetic, so overflowing sums print as ss prints them. */
const int = (n: number): number => n | 0

/** `%-9d`. */
const col = (n: number): string => String(n).padEnd(9)

/** One `NAME\t  TOTAL     IP        IPV6     ` row. */
const row = (name: string, v4: number, v6: number): string =>
  `${name}\t  ${col(int(v4 + v6))} ${col(v4)} ${col(v6)}\n`

/**
 * The summary text, byte for byte as ss 6.1 prints it (ends with a blank
 * line). `closed` is allocated TCP sockets not in the hash tables, with
 * TIME-WAIT sockets counted back in, as ss computes it.
 */
export function formatSummary(data: SummaryData): string {
  const c = data.counts
  const closed = int(c.tcpAlloc - int(int(c.tcp4 + c.tcp6) - c.tcpTimewait))
  return `Total: ${c.sockets}\n` +
    `TCP:   ${int(c.tcpAlloc + c.tcpTimewait)} (estab ${data.tcpEstablished}, closed ${closed}, ` +
    `orphaned ${c.tcpOrphans}, timewait ${c.tcpTimewait})\n` +
    '\n' +
    'Transport Total     IP        IPv6\n' +
    row('RAW', c.raw4, c.raw6) +
    row('UDP', c.udp4, c.udp6) +
    row('TCP', c.tcp4, c.tcp6) +
    row('INET', int(c.raw4 + c.udp4 + c.tcp4), int(c.raw6 + c.udp6 + c.tcp6)) +
    row('FRAG', c.frag4, c.frag6) +
    '\n'
}
