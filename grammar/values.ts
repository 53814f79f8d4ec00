/**
 * Syntactic parsing of filter values, as ss's lexer does it the moment it
 * reads a value token (`parse_hostcond`, `parse_markmask`, `get_prefix_1`
 * and friends in iproute2): numbers with C's `strtol`/`strtoul`/`%i`
 * rules, addresses, prefixes and built-in protocol names. Anything that
 * needs the system (host, service, device, netlink protocol names, cgroup
 * paths) is kept as a name for the resolve pass. No chevrotain here.
 */
import type { HostValue, InetAddr, InetHost, LinkHost, NetlinkHost, PortSpec, Span, UnixHost, VsockHost } from './ast.js'
import { FilterError } from './errors.js'
import type { MetricName, MetricValue } from './metrics.js'

/** Address family numbers used by the grammar (`linux/socket.h`). */
export const AF = Object.freeze({ UNSPEC: 0, UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17, VSOCK: 40 })

/** Which value parser a value token goes to: the kind of the last predicate keyword. */
export type ValueKind = 'host' | 'port' | 'dev' | 'fwmark' | 'cgroup' | 'metric'

/** A parsed `fwmark` value. */
export interface MarkValue {
  readonly mark: number
  readonly mask: number
}

/** The result of parsing one value token. */
export type ParsedValue =
  | { readonly kind: 'host' | 'port'; readonly host: HostValue }
  | { readonly kind: 'dev'; readonly device: string }
  | { readonly kind: 'fwmark'; readonly mark: MarkValue }
  | { readonly kind: 'cgroup'; readonly path: string }
  /** The value after a metric word (ssx's extension), in the metric's base unit. */
  | { readonly kind: 'metric'; readonly field: MetricName; readonly metric: MetricValue }

/** A host value parse: the value and the family it carries for §4.7's side effect (0 = none). */
export interface HostParse {
  readonly host: HostValue
  /** Family the value was parsed for; not AF_UNSPEC ⇒ ss narrows the family set to it. */
  readonly family: number
}

// ---------------------------------------------------------------- C numbers

const isCSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r'

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99
  const code = c.charCodeAt(0)
  if (code >= 48 && code <= 57) return code - 48
  if (code >= 97 && code <= 122) return code - 87
  if (code >= 65 && code <= 90) return code - 55
  return 99
}

/** What C's `strtol`/`strtoul` read: the magnitude with its sign, and where they stopped (0 = nothing). */
interface CNumber {
  readonly negative: boolean
  readonly magnitude: bigint
  readonly end: number
}

/** The scanning part shared by `strtol`, `strtoul` and `%i` with base 0. */
function scanC(s: string, from = 0, hexPrefixAlone = false): CNumber {
  let i = from
  while (isCSpace(s[i])) i++
  let negative = false
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-'
    i++
  }
  let base = 10
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    if (digitValue(s[i + 2]) < 16) {
      base = 16
      i += 2
    } else if (hexPrefixAlone) {
      // scanf's %i consumes a bare "0x" and converts it to 0.
      return { negative, magnitude: 0n, end: i + 2 }
    } else {
      // strtol reads just the "0".
      return { negative, magnitude: 0n, end: i + 1 }
    }
  } else if (s[i] === '0') {
    base = 8
  }
  const digitsStart = i
  let magnitude = 0n
  while (digitValue(s[i]) < base) {
    magnitude = magnitude * BigInt(base) + BigInt(digitValue(s[i]))
    i++
  }
  if (i === digitsStart) return { negative: false, magnitude: 0n, end: 0 }
  return { negative, magnitude, end: i }
}

const LONG_MAX = (1n << 63n) - 1n
const ULONG_MAX = (1n << 64n) - 1n
const INT_MAX = (1n << 31n) - 1n
const INT_MIN = -(1n << 31n)

/** `strtol(s, &end, 0)` clamped like glibc; end 0 = no conversion. */
function strtol(s: string): { value: bigint; end: number } {
  const n = scanC(s)
  if (n.end === 0) return { value: 0n, end: 0 }
  const v = n.negative ? -n.magnitude : n.magnitude
  return { value: v > LONG_MAX ? LONG_MAX : v < -LONG_MAX - 1n ? -LONG_MAX - 1n : v, end: n.end }
}

/** `strtoul(s, &end, 0)`: negation wraps, overflow gives ULONG_MAX (with ERANGE). */
function strtoul(s: string): { value: bigint; end: number; overflow: boolean } {
  const n = scanC(s)
  if (n.end === 0) return { value: 0n, end: 0, overflow: false }
  if (n.magnitude > ULONG_MAX) return { value: ULONG_MAX, end: n.end, overflow: true }
  return { value: n.negative ? (ULONG_MAX + 1n - n.magnitude) & ULONG_MAX : n.magnitude, end: n.end, overflow: false }
}

/** iproute2's `get_integer(…, 0)`: the whole non-empty string, fitting a C int. */
export function cInt(s: string): number | null {
  if (s.length === 0) return null
  const r = strtol(s)
  if (r.end === 0 || r.end !== s.length) return null
  if (r.value > INT_MAX || r.value < INT_MIN) return null
  return Number(r.value)
}

/** iproute2's `get_unsigned`/`get_u32`/`get_u16` with base 0: whole string, ≤ `max`. */
export function cUnsigned(s: string, max: bigint): number | null {
  if (s.length === 0) return null
  const r = strtoul(s)
  if (r.end === 0 || r.end !== s.length || r.overflow || r.value > max) return null
  return Number(r.value)
}

/**
 * `sscanf(s, "%i", …)` into a C int: returns the value as unsigned 32 bits
 * (what ss then stores in a `__u32`) and where the conversion stopped, or
 * null when it matched nothing.
 */
function scanfInt(s: string, from: number): { value: number; end: number } | null {
  const n = scanC(s, from, true)
  if (n.end === 0) return null
  let v = n.negative ? -n.magnitude : n.magnitude
  // glibc converts with strtol (clamped to long), then stores the low 32 bits.
  if (v > LONG_MAX) v = LONG_MAX
  if (v < -LONG_MAX - 1n) v = -LONG_MAX - 1n
  return { value: Number(BigInt.asUintN(32, v)), end: n.end }
}

// ---------------------------------------------------------------- errors

/** ss's second line after every host value error (the resolve pass uses the same note). */
const CANNOT_PARSE = 'Cannot parse dst/src address.'

function inetPrefixError(addr: string, span: Span): FilterError {
  return new FilterError('E_HOST', `an inet prefix is expected rather than "${addr}".`, span, [CANNOT_PARSE])
}

function hostError(what: string, span: Span, notes: readonly string[] = []): FilterError {
  return new FilterError('E_HOST', what, span, [...notes, CANNOT_PARSE])
}

function portError(port: string, span: Span): FilterError {
  return new FilterError('E_PORT', `"${port}" does not look like a port.`, span, [CANNOT_PARSE])
}

// ---------------------------------------------------------------- fwmark, dev, cgroup

/**
 * `fwmark` value: `MARK` or `MARK/MASK`, each like C's `%i`. Without `/`
 * trailing garbage is ignored (`5abc` = 5), as is anything after the mask.
 * @throws FilterError `Cannot parse mark VALUE.`
 */
export function parseMark(text: string, span: Span): MarkValue {
  const fail = (): FilterError => new FilterError('E_MARK', `Cannot parse mark ${text}.`, span, ['expected MARK or MARK/MASK, each a decimal, 0x-hex or 0-octal number'])
  const mark = scanfInt(text, 0)
  if (!mark) throw fail()
  if (!text.includes('/')) return { mark: mark.value, mask: 0xffffffff }
  if (text[mark.end] !== '/') throw fail()
  const mask = scanfInt(text, mark.end + 1)
  if (!mask) throw fail()
  return { mark: mark.value, mask: mask.value }
}

// ---------------------------------------------------------------- link layer

/**
 * iproute2's built-in link-layer protocol names (`lib/ll_proto.c`, values
 * from `linux/if_ether.h`), matched case-insensitively in this order.
 */
export const LL_PROTOCOLS: readonly (readonly [string, number])[] = Object.freeze([
  ['loop', 0x0060], ['pup', 0x0200], ['pupat', 0x0201], ['ip', 0x0800], ['x25', 0x0805], ['arp', 0x0806],
  ['bpq', 0x08ff], ['ieeepup', 0x0a00], ['ieeepupat', 0x0a01], ['dec', 0x6000], ['dna_dl', 0x6001],
  ['dna_rc', 0x6002], ['dna_rt', 0x6003], ['lat', 0x6004], ['diag', 0x6005], ['cust', 0x6006], ['sca', 0x6007],
  ['rarp', 0x8035], ['atalk', 0x809b], ['aarp', 0x80f3], ['ipx', 0x8137], ['ipv6', 0x86dd],
  ['ppp_disc', 0x8863], ['ppp_ses', 0x8864], ['atmmpoa', 0x884c], ['atmfate', 0x8884],
  ['802_3', 0x0001], ['ax25', 0x0002], ['all', 0x0003], ['802_2', 0x0004], ['snap', 0x0005],
  ['ddcmp', 0x0006], ['wan_ppp', 0x0007], ['ppp_mp', 0x0008], ['localtalk', 0x0009], ['can', 0x000c],
  ['ppptalk', 0x0010], ['tr_802_2', 0x0011], ['mobitex', 0x0015], ['control', 0x0016], ['irda', 0x0017],
  ['econet', 0x0018], ['tipc', 0x88ca], ['profinet', 0x8892], ['aoe', 0x88a2], ['ethercat', 0x88a4],
  ['802.1Q', 0x8100], ['802.1ad', 0x88a8], ['mpls_uc', 0x8847], ['mpls_mc', 0x8848], ['teb', 0x6558],
  ['LLDP', 0x88cc], ['ipv4', 0x0800],
] as const)

/** `ll_proto_a2n`: a name from the table (any case) or a 16-bit number (base 0). */
export function linkProtocol(name: string): number | null {
  const lower = name.toLowerCase()
  for (const [n, v] of LL_PROTOCOLS) if (n.toLowerCase() === lower) return v
  return cUnsigned(name, 0xffffn)
}

/** ss's `find_port`: the port part of a non-inet value (whole value in port mode), a leading `:` dropped. */
function findPort(rest: string, isPort: boolean): { addr: string; port: string | null } {
  if (isPort) return { addr: '', port: rest.startsWith(':') ? rest.slice(1) : rest }
  const c = rest.indexOf(':')
  if (c === -1) return { addr: rest, port: null }
  return { addr: rest.slice(0, c), port: rest.slice(c + 1) }
}

function parseLink(text: string, rest: string, isPort: boolean, span: Span): LinkHost {
  const { addr, port } = findPort(rest, isPort)
  let iface: LinkHost['iface'] = { kind: 'any' }
  if (port !== null && port !== '' && port !== '*') {
    const n = cInt(port)
    iface = n !== null ? { kind: 'index', index: n } : { kind: 'name', name: port }
  }
  let proto: number | null = null
  if (!isPort && addr !== '' && addr !== '*') {
    proto = linkProtocol(addr)
    if (proto === null) throw hostError(`"${addr}" is not a link-layer protocol`, span, ['use a name like ip, ipv6, arp, all, or a 16-bit number'])
  }
  return { family: 'link', text, span, proto, iface }
}

function parseNetlink(text: string, rest: string, isPort: boolean, span: Span): NetlinkHost {
  const { addr, port } = findPort(rest, isPort)
  let portid: number | null = null
  if (port !== null && port !== '' && port !== '*') {
    const n = cInt(port)
    if (n !== null) portid = n
    else if (port === 'kernel') portid = 0
    else throw hostError(`"${port}" is not a netlink port id`, span, ['expected a number, "kernel" or "*"'])
  }
  let proto: NetlinkHost['proto'] = null
  if (!isPort && addr !== '' && addr !== '*') {
    // nl_proto_a2n: a name, else a number ≤ 255; a numeric text is never a name.
    const n = strtoul(addr)
    if (n.end === 0 || n.end !== addr.length) proto = { name: addr }
    else if (!n.overflow && n.value <= 255n) proto = Number(n.value)
    else throw hostError(`netlink protocol ${addr} is out of range`, span, ['expected a protocol name or a number from 0 to 255'])
  }
  return { family: 'netlink', text, span, proto, portid }
}

function parseVsock(text: string, rest: string, isPort: boolean, span: Span): VsockHost {
  const { addr, port } = findPort(rest, isPort)
  let vport: number | null = null
  // Unlike link/netlink, an empty vsock port is an error in ss (get_u32 of "").
  if (port !== null && port !== '*') {
    vport = cUnsigned(port, 0xffffffffn)
    if (vport === null) throw hostError(`"${port}" is not a vsock port`, span, ['expected an unsigned 32-bit number or "*"'])
  }
  let cid: number | null = null
  if (!isPort && addr !== '' && addr !== '*') {
    cid = cUnsigned(addr, 0xffffffffn)
    if (cid === null) throw hostError(`"${addr}" is not a vsock CID`, span, ['expected an unsigned 32-bit number or "*"'])
  }
  return { family: 'vsock', text, span, cid, port: vport }
}

// ---------------------------------------------------------------- inet

/** iproute2's legacy IPv4 parser: 1–4 parts, each `strtoul` base 0 ≤ 255, missing trailing parts zero. */
export function parseIPv4Legacy(s: string): number[] | null {
  const out = [0, 0, 0, 0]
  let cp = 0
  for (let i = 0; i < 4; i++) {
    const r = strtoul(s.slice(cp))
    if (r.value > 255n) return null
    if (r.end === 0) return null
    out[i] = Number(r.value)
    const end = cp + r.end
    if (end === s.length) return out
    if (i === 3 || s[end] !== '.') return null
    cp = end + 1
  }
  return null
}

/** glibc's strict `inet_pton(AF_INET)`: four decimal parts, no leading zeros. */
function pton4(s: string): number[] | null {
  const parts = s.split('.')
  if (parts.length !== 4) return null
  const out: number[] = []
  for (const p of parts) {
    if (!/^[0-9]{1,3}$/.test(p) || (p.length > 1 && p[0] === '0')) return null
    const v = Number(p)
    if (v > 255) return null
    out.push(v)
  }
  return out
}

/**
 * A numeric address as `inet_pton` reads it: dotted IPv4 (4 bytes) or IPv6
 * (16 bytes, a `%scope` suffix ignored); undefined otherwise. The one
 * address-text parser the project uses outside filter values.
 */
export function parseAddressText(s: string): Uint8Array | undefined {
  const v4 = pton4(s)
  if (v4) return Uint8Array.from(v4)
  const v6 = s.includes(':') ? parseIPv6(s.replace(/%.*$/, '')) : null
  return v6 ? Uint8Array.from(v6) : undefined
}

/** `inet_pton(AF_INET6)`: 16 bytes or null. */
export function parseIPv6(s: string): number[] | null {
  if (s.length === 0) return null
  const dbl = s.indexOf('::')
  if (dbl !== -1 && s.indexOf('::', dbl + 1) !== -1) return null
  const parseGroups = (part: string, allowV4Tail: boolean): number[] | null => {
    if (part === '') return []
    const groups = part.split(':')
    const bytes: number[] = []
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!
      if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
        const v4 = pton4(g)
        if (!v4) return null
        bytes.push(...v4)
        continue
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null
      const v = parseInt(g, 16)
      bytes.push(v >> 8, v & 0xff)
    }
    return bytes
  }
  if (dbl === -1) {
    const b = parseGroups(s, true)
    return b && b.length === 16 ? b : null
  }
  const head = parseGroups(s.slice(0, dbl), false)
  const tail = parseGroups(s.slice(dbl + 2), true)
  if (!head || !tail) return null
  if (head.length + tail.length > 14) return null
  return [...head, ...new Array<number>(16 - head.length - tail.length).fill(0), ...tail]
}

/** Prefix length of a contiguous IPv4 netmask (`mask2bits`), or null. */
function maskBits(bytes: readonly number[]): number | null {
  const m = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0
  const inv = (~m) >>> 0
  if ((inv & (inv + 1)) !== 0) return null
  let bits = 0
  for (let v = m; v !== 0; v = (v << 1) >>> 0) bits++
  return bits
}

type Addr1 = { readonly kind: 'bytes'; readonly af: 2 | 10; readonly bytes: number[] } | { readonly kind: 'default'; readonly af: number }

/** iproute2's `get_addr_1` for the families a host value can ask for. */
function getAddr1(name: string, family: number): Addr1 | null {
  if (name === 'default' || name === 'all' || name === 'any') return { kind: 'default', af: family }
  if (name.includes(':')) {
    if (family !== AF.UNSPEC && family !== AF.INET6) return null
    const b = parseIPv6(name)
    return b ? { kind: 'bytes', af: 10, bytes: b } : null
  }
  if (family !== AF.UNSPEC && family !== AF.INET) return null
  const b = parseIPv4Legacy(name)
  return b ? { kind: 'bytes', af: 2, bytes: b } : null
}

/** iproute2's `get_netmask`: a number (base 0) or a contiguous dotted IPv4 mask. */
function getNetmask(s: string): number | null {
  const n = cUnsigned(s, 0xffffffffn)
  if (n !== null) return n
  const a = getAddr1(s, AF.INET)
  if (!a) return null
  return maskBits(a.kind === 'bytes' ? a.bytes : [0, 0, 0, 0])
}

/**
 * iproute2's `get_prefix_1`: ADDR[/LEN] for `family` (0 = guess from the
 * text). The address is not masked. Null when it is not a numeric prefix.
 */
export function parseInetPrefix(s: string, family: number): InetAddr | null {
  const slash = s.indexOf('/')
  const a = getAddr1(slash === -1 ? s : s.slice(0, slash), family)
  if (!a) return null
  if (a.kind === 'default') {
    if (slash !== -1) return null
    const af = a.af === AF.INET || a.af === AF.INET6 ? a.af : 0
    return { kind: 'default', af }
  }
  const width = a.af === AF.INET ? 32 : 128
  let len = width
  if (slash !== -1) {
    const n = getNetmask(s.slice(slash + 1))
    if (n === null || n > width) return null
    len = n
  }
  return { kind: 'prefix', af: a.af, bytes: a.bytes, prefixLen: len }
}

/** A name the resolver might turn into addresses: not something that is plainly a malformed number. */
function mayBeHostName(s: string): boolean {
  // gethostbyname2 never resolves these: glibc answers all-digits-and-dots
  // strings itself, and host names have no '/', ':' or white space.
  return !/[\s/:]/.test(s) && !/^[0-9.]*$/.test(s)
}

/** A service name getservbyname could match (no separators or brackets ss would have split on). */
function mayBeServiceName(s: string): boolean {
  return !/[\s/:[\]()]/.test(s)
}

function parsePort(port: string, span: Span): PortSpec {
  if (port === '' || port.startsWith('*')) return { kind: 'any' }
  const n = cInt(port)
  if (n !== null) return n === -1 ? { kind: 'any' } : { kind: 'number', value: n }
  if (!mayBeServiceName(port)) throw portError(port, span)
  return { kind: 'service', name: port }
}

function parseInet(text: string, rest: string, family: number, isPort: boolean, span: Span): InetHost {
  let addr = rest
  let port: string | null
  if (addr.startsWith('[')) {
    const close = addr.indexOf(']', 1)
    if (close === -1) throw hostError(`missing "]" in "${text}"`, span, ['write an IPv6 address as [ADDR/LEN]:PORT'])
    port = addr.slice(close + 1)
    addr = addr.slice(1, close)
  } else if (addr.startsWith('*')) {
    port = addr.slice(1)
  } else {
    const slash = addr.indexOf('/')
    const colon = addr.lastIndexOf(':')
    if (colon !== -1 && colon >= (slash === -1 ? 0 : slash)) {
      port = addr.slice(colon)
      if (!isPort) addr = addr.slice(0, colon)
    } else {
      port = null
    }
  }
  if (isPort) port = addr
  if (port !== null && port.startsWith(':')) port = port.slice(1)
  const portSpec: PortSpec = port === null ? { kind: 'any' } : parsePort(port, span)
  const af: 0 | 2 | 10 = family === AF.INET || family === AF.INET6 ? family : 0
  let inetAddr: InetAddr | null = null
  if (!isPort && addr !== '' && !addr.startsWith('*')) {
    inetAddr = parseInetPrefix(addr, family)
    if (!inetAddr) {
      if (!mayBeHostName(addr) || (family !== AF.UNSPEC && family !== AF.INET && family !== AF.INET6)) throw inetPrefixError(addr, span)
      inetAddr = { kind: 'name', name: addr, af }
    }
  }
  return { family: 'inet', text, span, af, addr: inetAddr, port: portSpec }
}

/** Family prefixes of host values, case-sensitive, tried in this order (ss's `parse_hostcond`). */
const PREFIXES: readonly (readonly [string, number])[] = [
  ['unix:', AF.UNIX], ['link:', AF.PACKET], ['netlink:', AF.NETLINK], ['vsock:', AF.VSOCK], ['inet:', AF.INET], ['inet6:', AF.INET6],
]

/**
 * Parse a host value (`src`/`dst`, or `sport`/`dport` in port mode) for the
 * preferred family, as ss's `parse_hostcond`.
 * @throws FilterError with ss's wording
 */
export function parseHost(text: string, isPort: boolean, preferredFamily: number, span: Span): HostParse {
  let family = preferredFamily
  let rest = text
  for (const [prefix, af] of PREFIXES) {
    if (text.startsWith(prefix)) {
      family = af
      rest = text.slice(prefix.length)
      break
    }
  }
  let host: HostValue
  switch (family) {
    case AF.UNIX: {
      const u: UnixHost = { family: 'unix', text, span, pattern: rest }
      host = u
      break
    }
    case AF.PACKET: host = parseLink(text, rest, isPort, span); break
    case AF.NETLINK: host = parseNetlink(text, rest, isPort, span); break
    case AF.VSOCK: host = parseVsock(text, rest, isPort, span); break
    default: host = parseInet(text, rest, family, isPort, span)
  }
  return { host, family }
}
