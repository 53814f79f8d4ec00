/**
 * The AST evaluator: ss 6.1's user-space filter (`run_ssfilter`, §6 of
 * ss-behavior.md), which ss applies to every socket it displays, of every
 * family — also after the kernel has run the bytecode. Its semantics differ
 * from the kernel's on purpose (kernel-sock-diag §1.6–1.7):
 *
 * - address entries are compared as raw bit prefixes, families are not
 *   compared (`src 0.0.0.0/0` matches IPv6 sockets here, not in the kernel);
 * - an IPv4 entry also matches a v4-mapped IPv6 socket by its low 32 bits,
 *   while a `::ffff:…` entry never matches a pure IPv4 socket;
 * - unix conditions are case-insensitive globs of the socket's name;
 * - `autobound` has a rule per family;
 * - metrics (`rtt > 50ms`, ssx's extension) are false for a socket that
 *   does not report the value (compiler/metrics.ts).
 *
 * Cross-family quirks are kept: ss keeps every family's "address" in the
 * same 16-byte word (the protocol number for packet and netlink sockets, in
 * host byte order), so an inet condition is compared against it bit by bit.
 */
import type { Filter, HostCond } from './filter.js'
import type { FilterSocket } from './socket.js'
import { matchMetric } from './metrics.js'

/** What the evaluator needs from the system. */
export interface EvaluateEnv {
  /** `/proc/sys/net/ipv4/ip_local_port_range`, inclusive; ss uses [1024, 4999] when unreadable. */
  readonly localPortRange: readonly [number, number]
}

const AF_UNIX = 1
const AF_INET = 2
const AF_PACKET = 17
const AF_NETLINK = 16
const AF_VSOCK = 40

/** ss's default ephemeral range when /proc cannot be read. */
export const DEFAULT_LOCAL_PORT_RANGE: readonly [number, number] = [1024, 4999]

/** Does `sock` pass `filter` in ss's user-space semantics? */
export function evaluate(filter: Filter, sock: FilterSocket, env: EvaluateEnv): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, sock, env) && evaluate(filter.right, sock, env)
    case 'or':
      return evaluate(filter.left, sock, env) || evaluate(filter.right, sock, env)
    case 'not':
      return !evaluate(filter.operand, sock, env)
    case 'hostcond':
      return matchHostCond(filter.cond, sock, filter.dir === 'src' ? 'local' : 'remote')
    case 'portcmp': {
      const port = filter.dir === 'src' ? sock.localPort : sock.remotePort
      return filter.cmp === 'ge' ? port >= filter.port : port <= filter.port
    }
    case 'dev':
      return (sock.ifindex ?? 0) >>> 0 === filter.ifindex >>> 0
    case 'mark':
      // ss: (mark & mask) == mark of the condition; the condition's mark is not pre-masked.
      return ((sock.mark ?? 0) & filter.mask) >>> 0 === filter.mark >>> 0
    case 'cgroup':
      return (sock.cgroupId ?? 0n) === filter.id
    case 'auto':
      return isAutobound(sock, env)
    case 'metric':
      return matchMetric(filter, sock)
  }
}

/** ss's S_AUTO in user space, per family (§6.2). */
export function isAutobound(sock: FilterSocket, env: EvaluateEnv): boolean {
  switch (sock.family) {
    case AF_UNIX: {
      const name = sock.localName
      // Unnamed, or the kernel's autobind name: NUL + 5 lowercase hex digits (shown as `@`).
      return name === undefined || /^@[0-9a-f]{5}$/.test(name)
    }
    case AF_PACKET:
      return sock.localPort === 0 && (sock.protocol ?? 0) === 0
    case AF_NETLINK:
      return sock.localPort < 0
    case AF_VSOCK:
      return sock.localPort > 1023
    default: {
      const [lo, hi] = env.localPortRange
      return sock.localPort >= lo && sock.localPort <= hi
    }
  }
}

/**
 * One SCOND/DCOND: unix conditions glob the name; every other family checks
 * the port, then (when the condition has a non-zero prefix) whether any
 * address entry matches.
 */
export function matchHostCond(cond: HostCond, sock: FilterSocket, side: 'local' | 'remote'): boolean {
  if (cond.family === 'unix') {
    // ss reads the name pointer of whatever socket it has; only unix sockets have one.
    if (sock.family !== AF_UNIX) return false
    const name = side === 'local' ? sock.localName : sock.remoteName
    return fnmatchCasefold(cond.pattern, name ?? '')
  }
  const port = side === 'local' ? sock.localPort : sock.remotePort
  const want = condPort(cond)
  if (want !== -1 && want !== port) return false
  const entries = condEntries(cond)
  // ss tests `bitlen` of the first entry only: a name condition's entries are all full length.
  if (entries.length === 0 || entries[0]!.bits === 0) return true
  const word = sockWord(sock, side)
  if (word === null) return false
  return entries.some((e) => addrMatch(word, e))
}

/** One address entry as ss stores it: up to 16 bytes, a bit length, and whether it is AF_INET (for the v4-mapped rule). */
interface Entry {
  readonly bytes: Uint8Array
  readonly bits: number
  readonly inet4: boolean
}

/** A socket's address word (up to 16 bytes, the rest reads as zero), and whether it is an AF_INET6 address (for the v4-mapped rule). */
interface Word {
  readonly bytes: Uint8Array
  readonly inet6: boolean
}

function condPort(cond: Exclude<HostCond, { family: 'unix' }>): number {
  switch (cond.family) {
    case 'inet':
      return cond.port
    case 'link':
      return cond.ifindex
    case 'netlink':
      return cond.portid
    case 'vsock':
      // ss stores the vsock port in an int: 0xffffffff is -1 ("any").
      return cond.port | 0
  }
}

/** Entries per condition, built once: the evaluator runs per socket, millions of times. */
const entryCache = new WeakMap<HostCond, readonly Entry[]>()

function condEntries(cond: Exclude<HostCond, { family: 'unix' }>): readonly Entry[] {
  let entries = entryCache.get(cond)
  if (entries === undefined) {
    entries = buildEntries(cond)
    entryCache.set(cond, entries)
  }
  return entries
}

function buildEntries(cond: Exclude<HostCond, { family: 'unix' }>): readonly Entry[] {
  switch (cond.family) {
    case 'inet':
      return cond.addrs.map((a) => ({ bytes: a.bytes, bits: a.prefixLen, inet4: a.af === AF_INET }))
    case 'link':
      return cond.proto === -1 ? [] : [{ bytes: hostU32(cond.proto), bits: 32, inet4: false }]
    case 'netlink':
      return cond.proto === -1 ? [] : [{ bytes: hostU32(cond.proto), bits: 32, inet4: false }]
    case 'vsock':
      // ss's vsock_set_inet_prefix() rebuilds the prefix with bitlen 0 after
      // parsing the CID, so user space never compares CIDs: only the port counts.
      return []
  }
}

/** A u32 as it sits in ss's `__u32 data[]` word on a little-endian host. */
function hostU32(n: number): Uint8Array {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n >>> 0, true)
  return b
}

const EMPTY = new Uint8Array(0)

/** The socket's address word as ss's sockstat holds it; null for unix sockets (a name pointer: never equal). */
function sockWord(sock: FilterSocket, side: 'local' | 'remote'): Word | null {
  switch (sock.family) {
    case AF_UNIX:
      return null
    case AF_PACKET:
    case AF_NETLINK:
      // The protocol sits in word 0 of the local address; the remote word is zero.
      return { bytes: side === 'local' ? hostU32(sock.protocol ?? 0) : EMPTY, inet6: false }
    case AF_VSOCK:
      return { bytes: hostU32((side === 'local' ? sock.localCid : sock.remoteCid) ?? 0), inet6: false }
    default: {
      // Shorter than 16 bytes reads as zero-padded (prefixMatch), like ss's zeroed sockstat.
      const a = side === 'local' ? sock.localAddr : sock.remoteAddr
      return { bytes: a ?? EMPTY, inet6: a !== undefined && a.length === 16 }
    }
  }
}

/** ss's inet2_addr_match: raw prefix match, else for an IPv4 entry against a v4-mapped socket, its low 32 bits. */
function addrMatch(word: Word, e: Entry): boolean {
  if (prefixMatch(word.bytes, e.bytes, e.bits)) return true
  if (e.inet4 && word.inet6 && isV4Mapped(word.bytes)) return prefixMatch(word.bytes.subarray(12, 16), e.bytes, e.bits)
  return false
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false
  return b[10] === 0xff && b[11] === 0xff
}

/** First `bits` bits of `a` and `b` equal (bytes past either array's end read as 0, as in ss's zeroed 16-byte words). */
function prefixMatch(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  const whole = bits >> 3
  for (let i = 0; i < whole; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return false
  const rest = bits & 7
  if (rest === 0) return true
  const mask = (0xff << (8 - rest)) & 0xff
  return ((a[whole] ?? 0) & mask) === ((b[whole] ?? 0) & mask)
}

/**
 * `fnmatch(pattern, name, FNM_CASEFOLD)`: `*`, `?`, bracket expressions
 * (`[a-c]`, `[!x]`, `[^x]`, `[[:digit:]]`, `]` first is literal) and
 * backslash escapes (a trailing one never matches);
 * no FNM_PATHNAME, so `*` also matches `/`; no FNM_PERIOD.
 */
export function fnmatchCasefold(pattern: string, name: string): boolean {
  return fnmatch(asciiLower(pattern), asciiLower(name))
}

/** tolower() in the C locale ss runs in: ASCII letters only. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase())
}

/**
 * Glob matcher with one backtrack point (the last `*`): linear in practice,
 * never exponential, which matters with millions of unix sockets.
 */
function fnmatch(p: string, s: string): boolean {
  let pi = 0
  let si = 0
  let starP = -1
  let starS = 0
  while (si < s.length) {
    const step = pi < p.length ? matchOne(p, pi, s[si]!) : null
    if (step === 'star') {
      starP = ++pi
      starS = si
      continue
    }
    if (step !== null) {
      pi = step
      si++
      continue
    }
    if (starP < 0) return false
    // Let the last `*` eat one more character and retry from there.
    pi = starP
    si = ++starS
  }
  while (p[pi] === '*') pi++
  return pi === p.length
}

/** Match one pattern element at `p[pi]` against `ch`: the next pattern index, 'star', or null on mismatch. */
function matchOne(p: string, pi: number, ch: string): number | 'star' | null {
  const c = p[pi]!
  if (c === '*') return 'star'
  if (c === '?') return pi + 1
  if (c === '[') {
    const r = bracket(p, pi, ch)
    // An unterminated `[` is an ordinary character (glibc).
    if (r !== null) return r.matched ? r.next : null
  }
  if (c === '\\') {
    // glibc: a trailing backslash never matches.
    if (pi + 1 === p.length) return null
    return p[pi + 1] === ch ? pi + 2 : null
  }
  return c === ch ? pi + 1 : null
}

/** POSIX character classes in the C locale (`[[:digit:]]`). */
const CHAR_CLASSES: Readonly<Record<string, RegExp>> = {
  alnum: /[0-9A-Za-z]/, alpha: /[A-Za-z]/, blank: /[ \t]/, cntrl: /[\x00-\x1f\x7f]/, digit: /[0-9]/,
  graph: /[\x21-\x7e]/, lower: /[a-z]/, print: /[\x20-\x7e]/, punct: /[!-\/:-@[-`{-~]/, space: /[ \t\n\v\f\r]/,
  upper: /[A-Z]/, xdigit: /[0-9A-Fa-f]/,
}

/** Match `ch` against the bracket expression at `p[start]`; null when it is not terminated. */
function bracket(p: string, start: number, ch: string): { matched: boolean; next: number } | null {
  let i = start + 1
  const negate = p[i] === '!' || p[i] === '^'
  if (negate) i++
  let matched = false
  let first = true
  while (i < p.length) {
    let c = p[i]!
    if (c === ']' && !first) return { matched: matched !== negate, next: i + 1 }
    first = false
    if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2)
      const test = close < 0 ? undefined : CHAR_CLASSES[p.slice(i + 2, close)]
      if (test !== undefined) {
        if (test.test(ch)) matched = true
        i = close + 2
        continue
      }
    }
    if (c === '\\' && i + 1 < p.length) c = p[++i]!
    let hi = c
    if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
      hi = p[i + 2]!
      if (hi === '\\' && i + 3 < p.length) {
        hi = p[i + 3]!
        i++
      }
      i += 2
    }
    if (ch >= c && ch <= hi) matched = true
    i++
  }
  return null
}
