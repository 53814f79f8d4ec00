/**
 * The typed AST of ss's filter language, as the parser produces it: values
 * are parsed syntactically (numbers, addresses, prefixes, built-in protocol
 * names) but names that need the system (host names, service names, device
 * names, cgroup paths, netlink protocol names from /etc/iproute2) are left
 * as names for the resolve pass. Every node carries a half-open source span.
 */

import type { MetricName } from './metrics.js'

/** Half-open byte range `[start, end)` into {@link FilterSource.text}. */
export interface Span {
  readonly start: number
  readonly end: number
}

/** Comparison operators of `sport`/`dport` (ss spells them many ways; see tokens). */
export type CmpOp = 'eq' | 'ne' | 'ge' | 'le' | 'gt' | 'lt'

/** Direction of a host or port predicate: `src`/`sport` = local, `dst`/`dport` = remote. */
export type Dir = 'src' | 'dst'

/** Address family numbers a host value can carry (AF_UNSPEC 0, AF_INET 2, AF_INET6 10, …). */
export type Family = number

/** A filter expression. */
export type Expr = AndExpr | OrExpr | NotExpr | HostPred | PortPred | DevPred | MarkPred | CgroupPred | AutoPred | MetricPred

/** `a and b`, `a & b`, `a && b`, or `a b` (`implicit`). */
export interface AndExpr {
  readonly kind: 'and'
  readonly left: Expr
  readonly right: Expr
  readonly implicit: boolean
  readonly span: Span
}

/** `a or b`, `a | b`, `a || b`. */
export interface OrExpr {
  readonly kind: 'or'
  readonly left: Expr
  readonly right: Expr
  readonly span: Span
}

/** `not e`, `! e`. ss never simplifies `! ! e`. */
export interface NotExpr {
  readonly kind: 'not'
  readonly operand: Expr
  readonly span: Span
}

/** `src HOST` / `dst HOST` (optionally with `=`). */
export interface HostPred {
  readonly kind: 'host'
  readonly dir: Dir
  readonly value: HostValue
  readonly span: Span
}

/** `sport OP PORT` / `dport OP PORT`; the value is a host value parsed in port mode. */
export interface PortPred {
  readonly kind: 'port'
  readonly dir: Dir
  readonly op: CmpOp
  readonly value: HostValue
  readonly span: Span
}

/** `dev [=|!=] NAME|INDEX`. Whether the text is a name or an index is decided at resolution (names first, as ss). */
export interface DevPred {
  readonly kind: 'dev'
  readonly negated: boolean
  readonly device: string
  readonly valueSpan: Span
  readonly span: Span
}

/** `fwmark [=|!=] MARK[/MASK]`; mask 0xffffffff when absent. */
export interface MarkPred {
  readonly kind: 'fwmark'
  readonly negated: boolean
  readonly mark: number
  readonly mask: number
  readonly valueSpan: Span
  readonly span: Span
}

/** `cgroup [=|!=] PATH`. */
export interface CgroupPred {
  readonly kind: 'cgroup'
  readonly negated: boolean
  readonly path: string
  readonly valueSpan: Span
  readonly span: Span
}

/** `autobound`. */
export interface AutoPred {
  readonly kind: 'autobound'
  readonly span: Span
}

/**
 * `rtt > 50ms`, `retrans >= 1`, `uid = 1000`: a socket metric ss's language
 * cannot express (ssx's extension; see grammar/metrics.ts). The operator is
 * optional (`=`), as for ports.
 */
export interface MetricPred {
  readonly kind: 'metric'
  readonly field: MetricName
  readonly op: CmpOp
  /** The value in the metric's base unit: microseconds, bytes, or a plain number. */
  readonly value: number
  /** The value token as written (after unescaping), e.g. `50ms`. */
  readonly text: string
  readonly valueSpan: Span
  readonly span: Span
}

/** A host value: which family it was parsed for decides its shape (ss's `parse_hostcond`). */
export type HostValue = InetHost | UnixHost | LinkHost | NetlinkHost | VsockHost

/** Fields every host value has. */
interface HostBase {
  /** The value token as written (after unescaping). */
  readonly text: string
  readonly span: Span
}

/**
 * inet/inet6 or unprefixed host. `af` is the family the value was parsed for:
 * the prefix's, else the preferred family at that point (0 = AF_UNSPEC).
 */
export interface InetHost extends HostBase {
  readonly family: 'inet'
  readonly af: 0 | 2 | 10
  /** null: no address part (port mode, `*`, `*:port`, or just `:port`). */
  readonly addr: InetAddr | null
  readonly port: PortSpec
}

/** The address part of an inet host value. */
export type InetAddr =
  /** A numeric address with its prefix length (full width when no `/len`). Bytes are not masked, as ss. */
  | { readonly kind: 'prefix'; readonly af: 2 | 10; readonly bytes: readonly number[]; readonly prefixLen: number }
  /** `default`, `any`, `all`: prefix length 0 of the requested family (AF_UNSPEC when none). */
  | { readonly kind: 'default'; readonly af: 0 | 2 | 10 }
  /** A host name to resolve (all addresses of the requested family; both when AF_UNSPEC). */
  | { readonly kind: 'name'; readonly name: string; readonly af: 0 | 2 | 10 }

/** The port part: any (`*`, empty, `-1`), a number (strtol base 0, not range-checked), or a service name. */
export type PortSpec =
  | { readonly kind: 'any' }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'service'; readonly name: string }

/** `unix:PATTERN`, or any value while the preferred family is AF_UNIX: an fnmatch glob (case-insensitive). */
export interface UnixHost extends HostBase {
  readonly family: 'unix'
  readonly pattern: string
}

/** `link:[PROTO][:IFACE]`: proto null = any; iface any, an index or a device name to resolve. */
export interface LinkHost extends HostBase {
  readonly family: 'link'
  readonly proto: number | null
  readonly iface: { readonly kind: 'any' } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'name'; readonly name: string }
}

/** `netlink:[PROTO][:PORTID]`: proto null = any, a number, or a name to resolve; portid null = any (`kernel` = 0). */
export interface NetlinkHost extends HostBase {
  readonly family: 'netlink'
  readonly proto: number | null | { readonly name: string }
  readonly portid: number | null
}

/** `vsock:[CID][:PORT]`: null = any. */
export interface VsockHost extends HostBase {
  readonly family: 'vsock'
  readonly cid: number | null
  readonly port: number | null
}
