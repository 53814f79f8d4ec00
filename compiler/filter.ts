/**
 * The resolved filter: what the resolve pass makes of the AST once every
 * name has a value. This is ss's own tree (`struct ssfilter`): `dport != X`
 * is `not(dport = X)`, `dport > X` is `not(dport <= X)`, `dev != X` is
 * `not(dev X)`; the `sugar` flag remembers such a synthesized `not` so
 * explanations can print what the user wrote. Everything downstream (the
 * bytecode lowering, the evaluator, explain) consumes this type.
 */
import type { CmpOp, Span } from '../grammar/ast.js'
import type { MetricName } from '../grammar/metrics.js'

/** A resolved filter expression. */
export type Filter =
  | { readonly kind: 'and'; readonly left: Filter; readonly right: Filter; readonly span: Span }
  | { readonly kind: 'or'; readonly left: Filter; readonly right: Filter; readonly span: Span }
  | { readonly kind: 'not'; readonly operand: Filter; readonly sugar?: boolean; readonly span: Span }
  | HostCondNode
  | PortCmpNode
  | { readonly kind: 'dev'; readonly ifindex: number; readonly span: Span }
  | { readonly kind: 'mark'; readonly mark: number; readonly mask: number; readonly span: Span }
  | { readonly kind: 'cgroup'; readonly id: bigint; readonly span: Span }
  | { readonly kind: 'auto'; readonly span: Span }
  | MetricNode

/**
 * `rtt > 50ms`, `uid = 1000`, …: a socket metric (ssx's extension) that
 * inet_diag bytecode cannot test. All six comparisons are kept as written
 * (no `not` sugar): a socket without the metric satisfies none of them,
 * so `rtt != 5ms` and `not rtt = 5ms` differ on a TIME-WAIT socket.
 * Where the value comes from and its unit: `METRICS` in compiler/metrics.ts.
 */
export interface MetricNode {
  readonly kind: 'metric'
  readonly field: MetricName
  readonly op: CmpOp
  /** In the metric's base unit (`METRICS[field].unit`): microseconds, bytes, or a plain number. */
  readonly value: number
  readonly span: Span
}

/** `src`/`dst`/`sport =`/`dport =`: ss's SCOND/DCOND. */
export interface HostCondNode {
  readonly kind: 'hostcond'
  readonly dir: 'src' | 'dst'
  readonly cond: HostCond
  readonly span: Span
}

/** `sport >= P` etc.: ss's S_GE/S_LE/D_GE/D_LE (gt/lt arrive as not(le)/not(ge)). */
export interface PortCmpNode {
  readonly kind: 'portcmp'
  readonly dir: 'src' | 'dst'
  readonly cmp: 'ge' | 'le'
  /** Compared as an integer; values outside 0…65535 are kept (they never or always match, as in ss). */
  readonly port: number
  readonly span: Span
}

/** One address entry of an inet condition; bytes in network order, not masked. */
export interface InetPrefix {
  readonly af: 2 | 10
  readonly bytes: Uint8Array
  readonly prefixLen: number
}

/** A resolved host condition, by family. */
export type HostCond =
  | {
      readonly family: 'inet'
      /** Condition family: 0 when only a port (or `*`) was given, or for `default` without a family. */
      readonly af: 0 | 2 | 10
      /** Empty: no address test. Several: OR of entries (a host name with several addresses). */
      readonly addrs: readonly InetPrefix[]
      /** -1 = any port. */
      readonly port: number
    }
  | { readonly family: 'unix'; readonly pattern: string }
  /** proto/ifindex -1 = any. */
  | { readonly family: 'link'; readonly proto: number; readonly ifindex: number }
  /** proto/portid -1 = any. */
  | { readonly family: 'netlink'; readonly proto: number; readonly portid: number }
  /** cid/port -1 = any (ss stores 0xffffffff). */
  | { readonly family: 'vsock'; readonly cid: number; readonly port: number }
