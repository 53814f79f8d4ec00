/**
 * The resolve pass: AST → {@link Filter}. It gives every name a value
 * (service, host, device, cgroup and netlink protocol names, through an
 * injectable {@link Resolver}) and builds ss's own tree (`struct ssfilter`):
 * `dport != X` is `not(dport = X)`, `dport > X` is `not(dport <= X)`,
 * `dev != X` is `not(dev X)` — every synthesized `not` is marked `sugar`.
 *
 * Values are resolved in source order, one after the other, so the first
 * value that fails is the one reported, as ss (which resolves in the lexer)
 * does. Errors are {@link FilterError}s carrying ss's wording and the span
 * of the value.
 */
import type { AndExpr, CmpOp, Expr, HostValue, InetHost, OrExpr, PortSpec, Span } from '../grammar/ast.js'
import { FilterError, type FilterSyntaxError } from '../grammar/errors.js'
import type { ValueToken } from '../grammar/lexer.js'
import { gluedMetricHint } from '../grammar/metrics.js'
import type { Filter, HostCond, InetPrefix } from './filter.js'

/** A value a resolver may answer synchronously or not. */
export type MaybePromise<T> = T | Promise<T>

/** Why a cgroup path has no id: `failure` is the line ss prints first (e.g. `Failed to find cgroup2 mount`). */
export interface CgroupLookupFailure {
  readonly failure: string
}

/**
 * Where names get their values. The CLI uses the system's files and
 * resolver (src/system-resolver.ts); tests and library users inject their
 * own. Every method may answer synchronously or with a promise.
 */
export interface Resolver {
  /** Port of a service name or alias for one protocol (getservbyname), undefined when unknown. */
  service(name: string, proto: 'tcp' | 'udp'): MaybePromise<number | undefined>
  /**
   * Every address of a host name, full length: for af 2 or 10 that family
   * only; for af 0 the IPv4 addresses first, then the IPv6 ones (ss calls
   * gethostbyname2 for AF_INET, then AF_INET6). Empty when unknown.
   */
  hosts(name: string, af: 0 | 2 | 10): MaybePromise<readonly InetPrefix[]>
  /** Interface index of a device name, undefined when there is no such device. */
  ifindex(name: string): MaybePromise<number | undefined>
  /** cgroup v2 id of a path as ss computes it (§4.10), or why it has none. */
  cgroupId(path: string): MaybePromise<bigint | CgroupLookupFailure>
  /** Netlink protocol number of a name (`/etc/iproute2/nl_protos`, then ss's built-in table). */
  netlinkProto(name: string): MaybePromise<number | undefined>
}

/** What the resolve pass needs to know besides the tree. */
export interface ResolveContext {
  /** The selected socket tables: they decide which protocols service names are looked up for (§4.6). */
  readonly tables: { readonly tcp: boolean; readonly udp: boolean }
}

/** ss's second error line for every host value it cannot parse. */
const CANNOT_PARSE_ADDRESS = 'Cannot parse dst/src address.'

/**
 * Resolve every name of `expr` and build ss's filter tree.
 * Throws {@link FilterError} (codes `E_PORT`, `E_HOST`, `E_ADDRESS`,
 * `E_DEVICE`, `E_CGROUP`) on the first value, in source order, that has no
 * value.
 */
export async function resolveFilter(expr: Expr, resolver: Resolver, ctx: ResolveContext): Promise<Filter> {
  const go = async (e: Expr): Promise<Filter> => {
    switch (e.kind) {
      case 'and':
      case 'or':
        return binary(e)
      case 'not':
        return { kind: 'not', operand: await go(e.operand), span: e.span }
      case 'host':
        return { kind: 'hostcond', dir: e.dir, cond: await hostCond(e.value, false), span: e.span }
      case 'port':
        return portPred(e.dir, e.op, e.value, e.span)
      case 'dev': {
        const node: Filter = { kind: 'dev', ifindex: await device(e.device, e.valueSpan), span: e.span }
        return e.negated ? sugarNot(node, e.span) : node
      }
      case 'fwmark': {
        const node: Filter = { kind: 'mark', mark: e.mark >>> 0, mask: e.mask >>> 0, span: e.span }
        return e.negated ? sugarNot(node, e.span) : node
      }
      case 'cgroup': {
        const node: Filter = { kind: 'cgroup', id: await cgroup(e.path, e.valueSpan), span: e.span }
        return e.negated ? sugarNot(node, e.span) : node
      }
      case 'autobound':
        return { kind: 'auto', span: e.span }
      case 'metric':
        // Values were checked and scaled by the grammar; nothing to look up.
        return { kind: 'metric', field: e.field, op: e.op, value: e.value, span: e.span }
    }
  }

  // Left before right, awaited in turn: the first failing value in the text wins.
  // ss's parser builds left-deep chains (`a or b or c …`): walking the left
  // spine in a loop keeps a filter of thousands of terms off the stack.
  const binary = async (e: AndExpr | OrExpr): Promise<Filter> => {
    const spine: (AndExpr | OrExpr)[] = []
    let leftmost: Expr = e
    while (leftmost.kind === 'and' || leftmost.kind === 'or') {
      spine.push(leftmost)
      leftmost = leftmost.left
    }
    let acc = await go(leftmost)
    for (let i = spine.length - 1; i >= 0; i--) {
      const b = spine[i]!
      acc = { kind: b.kind, left: acc, right: await go(b.right), span: b.span }
    }
    return acc
  }

  const portPred = async (dir: 'src' | 'dst', op: CmpOp, value: HostValue, span: Span): Promise<Filter> => {
    switch (op) {
      case 'eq':
        return { kind: 'hostcond', dir, cond: await hostCond(value, true), span }
      case 'ne':
        return sugarNot({ kind: 'hostcond', dir, cond: await hostCond(value, true), span }, span)
      case 'ge':
      case 'le':
        return { kind: 'portcmp', dir, cmp: op, port: portOf(await hostCond(value, true)), span }
      // ss has no GT/LT nodes: `> X` is `not(<= X)` and `< X` is `not(>= X)`.
      case 'gt':
        return sugarNot({ kind: 'portcmp', dir, cmp: 'le', port: portOf(await hostCond(value, true)), span }, span)
      case 'lt':
        return sugarNot({ kind: 'portcmp', dir, cmp: 'ge', port: portOf(await hostCond(value, true)), span }, span)
    }
  }

  const hostCond = async (v: HostValue, portMode: boolean): Promise<HostCond> => {
    switch (v.family) {
      case 'inet':
        return inetCond(v, portMode)
      case 'unix':
        return { family: 'unix', pattern: v.pattern }
      case 'link': {
        let ifindex = -1
        if (v.iface.kind === 'index') ifindex = v.iface.index
        else if (v.iface.kind === 'name') {
          const found = await resolver.ifindex(v.iface.name)
          // ss: xll_name_to_index() <= 0 → "Cannot parse dst/src address."
          const idx = found ?? ifNameIndex(v.iface.name)
          if (idx === undefined || idx <= 0) {
            throw new FilterError('E_ADDRESS', CANNOT_PARSE_ADDRESS, v.span, [`no network device named "${v.iface.name}"`])
          }
          ifindex = idx
        }
        return { family: 'link', proto: v.proto ?? -1, ifindex }
      }
      case 'netlink': {
        let proto: number
        if (v.proto === null) proto = -1
        else if (typeof v.proto === 'number') proto = v.proto
        else {
          const found = await resolver.netlinkProto(v.proto.name)
          if (found === undefined) {
            const notes = v.proto.name === 'kernel' ? ['the kernel is a port id, not a protocol: write netlink:*:kernel'] : [`no netlink protocol named "${v.proto.name}"`]
            throw new FilterError('E_ADDRESS', CANNOT_PARSE_ADDRESS, v.span, notes)
          }
          proto = found
        }
        return { family: 'netlink', proto, portid: v.portid ?? -1 }
      }
      case 'vsock':
        return { family: 'vsock', cid: v.cid ?? -1, port: v.port ?? -1 }
    }
  }

  const inetCond = async (v: InetHost, portMode: boolean): Promise<HostCond> => {
    // The port part comes first in ss's parse_hostcond, so its error wins over the address's.
    const port = await inetPort(v.port, v.span)
    const a = portMode ? null : v.addr
    if (a === null) {
      // Port-only and `*` conditions keep family 0 even with -4/-6 or `inet:` (ss never sets it; verified by strace).
      return { family: 'inet', af: 0, addrs: [], port }
    }
    switch (a.kind) {
      case 'prefix':
        return { family: 'inet', af: a.af, addrs: [{ af: a.af, bytes: Uint8Array.from(a.bytes), prefixLen: a.prefixLen }], port }
      case 'default':
        return { family: 'inet', af: a.af, addrs: [], port }
      case 'name': {
        const found = await resolver.hosts(a.name, a.af)
        if (found.length === 0) {
          const glued = gluedMetricHint(a.name)
          throw new FilterError('E_HOST', `an inet prefix is expected rather than "${a.name}".`, v.span, glued === null ? [CANNOT_PARSE_ADDRESS] : [CANNOT_PARSE_ADDRESS, glued])
        }
        const addrs = found.map((p) => ({ af: p.af, bytes: Uint8Array.from(p.bytes), prefixLen: p.af === 10 ? 128 : 32 }))
        return { family: 'inet', af: addrs[0]!.af, addrs, port }
      }
    }
  }

  const inetPort = async (p: PortSpec, span: Span): Promise<number> => {
    switch (p.kind) {
      case 'any':
        return -1
      case 'number':
        return p.value
      case 'service': {
        // Both lookups happen; glibc hands back one static buffer, so ss's
        // ambiguity check never fires and the TCP answer wins (§4.6).
        const udp = ctx.tables.udp ? await resolver.service(p.name, 'udp') : undefined
        const tcp = ctx.tables.tcp ? await resolver.service(p.name, 'tcp') : undefined
        const port = tcp ?? udp
        if (port === undefined) {
          throw new FilterError('E_PORT', `"${p.name}" does not look like a port.`, span, [CANNOT_PARSE_ADDRESS, serviceHint(ctx.tables)])
        }
        return port
      }
    }
  }

  const device = async (name: string, span: Span): Promise<number> => {
    const found = (await resolver.ifindex(name)) ?? ifNameIndex(name)
    if (found !== undefined && found !== 0) return found
    const n = strtoulWhole(name)
    if (n === undefined) throw new FilterError('E_DEVICE', 'Cannot parse device.', span, [`no network device named "${name}", and not an interface index`])
    return n
  }

  const cgroup = async (path: string, span: Span): Promise<bigint> => {
    const r = await resolver.cgroupId(path)
    if (typeof r === 'bigint' && r !== 0n) return r
    // ss treats id 0 as failure too (parse_cgroupcond: `if (!id) return NULL`).
    const first = typeof r === 'bigint' ? 'Failed to get cgroup2 ID' : r.failure
    throw new FilterError('E_CGROUP', `Cannot parse cgroup ${path}.`, span, [first])
  }

  return go(expr)
}

/** ss's synthesized `not` (from `!=`, `>`, `<`), spanning the whole predicate. */
function sugarNot(operand: Filter, span: Span): Filter {
  return { kind: 'not', operand, sugar: true, span }
}

/** The number a port comparison compares with: the condition's "port" in ss's sense for every family. */
function portOf(c: HostCond): number {
  switch (c.family) {
    case 'inet':
      return c.port
    case 'unix':
      return -1 // a unix value has no port part; ss leaves -1
    case 'link':
      return c.ifindex
    case 'netlink':
      return c.portid
    case 'vsock':
      return c.port
  }
}

/** Which tables a service name was looked up in, for the error note. */
function serviceHint(tables: ResolveContext['tables']): string {
  if (!tables.tcp && !tables.udp) return 'service names are looked up only when the tcp or udp table is selected'
  const which = tables.tcp && tables.udp ? 'tcp or udp' : tables.tcp ? 'tcp' : 'udp'
  return `no ${which} service of that name in /etc/services`
}

/** iproute2's last resort for device names (ll_idx_a2n): `if<N>` names interface N. */
function ifNameIndex(name: string): number | undefined {
  const m = /^if\s*\+?(\d+)/.exec(name)
  if (!m) return undefined
  const n = Number(m[1])
  return n > 0xffffffff ? undefined : n
}

/**
 * C `strtoul(s, &end, 0)` that must consume the whole string and fit in 32
 * bits (ss's parse_devcond). Leading blanks and a sign are accepted as
 * strtoul does; a negative value wraps and so fails the 32-bit test unless it is 0.
 */
export function strtoulWhole(s: string): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(s)
  if (!m) return undefined
  const digits = m[2]!
  const n = /^0[xX]/.test(digits) ? parseInt(digits.slice(2), 16) : digits.length > 1 && digits[0] === '0' ? parseInt(digits, 8) : parseInt(digits, 10)
  if (m[1] === '-' && n !== 0) return undefined
  return n > 0xffffffff ? undefined : n
}

/** One lexed value as a predicate of its own, so it can be resolved alone. */
function valueAsExpr(v: ValueToken): Expr {
  const span = v.span
  switch (v.value.kind) {
    case 'host': return { kind: 'host', dir: 'src', value: v.value.host, span }
    case 'port': return { kind: 'port', dir: 'src', op: 'eq', value: v.value.host, span }
    case 'dev': return { kind: 'dev', negated: false, device: v.value.device, valueSpan: span, span }
    case 'fwmark': return { kind: 'fwmark', negated: false, mark: v.value.mark.mark, mask: v.value.mark.mask, valueSpan: span, span }
    case 'cgroup': return { kind: 'cgroup', negated: false, path: v.value.path, valueSpan: span, span }
    case 'metric': return { kind: 'metric', field: v.value.field, op: 'eq', value: v.value.metric.value, text: v.text, valueSpan: span, span }
  }
}

/**
 * ss resolves every value while lexing, so a name it cannot resolve is
 * reported (exit 1) before a syntax error found later (exit 255). This
 * resolves the values lexed up to the syntax error `e`, in order, and returns
 * the first failure, which a caller reports instead of `e` (null: report `e`).
 */
export async function firstValueError(e: FilterSyntaxError, resolver: Resolver, ctx: ResolveContext): Promise<FilterError | null> {
  if (!e.lexed) return null
  for (const v of e.lexed.values) {
    if (v.tokenIndex > e.lexed.tokenIndex) break
    try {
      await resolveFilter(valueAsExpr(v), resolver, ctx)
    } catch (err) {
      if (err instanceof FilterError) return err
      throw err
    }
  }
  return null
}
