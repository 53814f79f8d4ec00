/**
 * The query plan: what to ask the kernel, in send order, and what is left
 * for user space. The runtime executes it without knowing the language.
 */
import type { Filter } from './filter.js'
import type { Program } from './assemble.js'
import { AF } from '../uapi/inet-diag.js'

/** The sock_diag family handlers a request goes to. */
export type RequestKind = 'inet' | 'unix' | 'packet' | 'netlink' | 'vsock' | 'tipc' | 'xdp'

/** One sock_diag dump request. */
export interface DiagRequest {
  readonly kind: RequestKind
  /** ss's table name: tcp udp raw dccp sctp mptcp unix packet netlink vsock tipc xdp. */
  readonly table: string
  /** `sdiag_family`. */
  readonly family: number
  /** `sdiag_protocol` as put in the request (MPTCP: 262 & 0xff = 6). */
  readonly protocol: number
  /** `INET_DIAG_REQ_PROTOCOL` attribute value when the protocol does not fit in a byte (MPTCP 262). */
  readonly protocolAttr?: number
  /** `idiag_states` / `udiag_states` / … . */
  readonly states: number
  /** inet: `idiag_ext`; unix/packet/netlink/xdp: the `*_show` mask. */
  readonly ext: number
  /** Assembled bytecode (inet only), already audited; null when none is sent. */
  readonly program: Program | null
  /**
   * inet: ss sends the AF_INET6 request only after the AF_INET one for the
   * same protocol succeeded (§5.5); true on such a second request.
   */
  readonly afterSuccess?: boolean
}

/** Where each part of the filter runs, with the reason, for explanations. */
export interface PlanNote {
  readonly message: string
}

/** A compiled query. */
export interface QueryPlan {
  readonly requests: readonly DiagRequest[]
  /**
   * The predicate applied to every decoded socket in user space, with ss's
   * user-space semantics (null: none). Kernel part ∧ residual = the filter.
   */
  readonly residual: Filter | null
  /**
   * The filter the kernel runs (as bytecode) in inet requests; null when
   * none. The residual itself for ss's filters; with metrics, a filter that
   * accepts at least what the residual accepts (`kernelApproximation` in
   * compiler/lower.ts), the rule stated in `notes`.
   */
  readonly kernel: Filter | null
  /** Human-readable notes: what runs where and why. */
  readonly notes: readonly PlanNote[]
}

/**
 * Where a filter can run (`--target`): `diag` = inet_diag bytecode for what
 * it can test plus the residual in user space; `ebpf` = the whole filter in
 * an eBPF socket iterator; `cbpf` = classic BPF over sock_diag messages
 * (`-E` events; compile/explain only); `auto` = the faster of `diag` and
 * `ebpf` for the plan, `diag` when eBPF is unavailable.
 */
export const TARGET_NAMES = ['auto', 'diag', 'ebpf', 'cbpf'] as const

/** A `--target` name. */
export type TargetName = (typeof TARGET_NAMES)[number]

/** Targets a socket listing can run on. */
export const LISTING_TARGET_NAMES: readonly TargetName[] = ['auto', 'diag', 'ebpf']

/**
 * A request as the runtime's encoder takes it: the shape of `SockDiagRequest`
 * (runtime/requests.ts), restated so that this pure module, and the types of
 * `ssx/compiler`, do not depend on the runtime.
 */
export interface WireRequest {
  readonly kind: DiagRequest['kind']
  readonly family: number
  readonly protocol: number
  readonly protocolAttr?: number
  readonly states: number
  readonly ext: number
  readonly bytecode: Uint8Array | null
}

/** The request as the runtime's encoder takes it (`program.bytes` becomes `bytecode`). */
export function wireRequest(req: DiagRequest): WireRequest {
  return {
    kind: req.kind,
    family: req.family,
    protocol: req.protocol,
    ...(req.protocolAttr !== undefined ? { protocolAttr: req.protocolAttr } : {}),
    states: req.states,
    ext: req.ext,
    bytecode: req.program ? req.program.bytes : null,
  }
}

/**
 * Ports every socket the filter accepts must have: `sport = :P` / `dport = :P`
 * (a host condition with a port and any address) among the filter's
 * top-level conjuncts. They go into the request's sockid, where TCP and UDP
 * dumps compare them before running the bytecode (which still runs, so the
 * result cannot change) when the request carries bytecode: bench/RESULTS.md.
 * ss leaves the sockid zero; `ssx compile` prints ss's request, this is a
 * rewrite src/query.ts makes when it sends it.
 */
export function exactPorts(f: Filter | null): { sport?: number, dport?: number } {
  const out: { sport?: number, dport?: number } = {}
  const conjuncts: Filter[] = f ? [f] : []
  while (conjuncts.length) {
    const c = conjuncts.pop()!
    if (c.kind === 'and') conjuncts.push(c.left, c.right)
    else if (c.kind === 'hostcond' && c.cond.family === 'inet' && c.cond.addrs.length === 0 && c.cond.port > 0 && c.cond.port <= 0xffff) {
      out[c.dir === 'src' ? 'sport' : 'dport'] = c.cond.port
    }
  }
  return out
}

/** Tables whose kernel dump compares the sockid's ports (inet_diag_dump_icsk, udp_dump). */
export const PORT_NARROWED_TABLES: ReadonlySet<string> = new Set(['tcp', 'udp'])

/**
 * Can one walk answer both requests: TCP's AF_INET request and, next in the
 * plan, its AF_INET6 twin asking the same states, attributes and bytecode?
 * Then src/query.ts sends one legacy TCPDIAG_GETSOCK request, which the
 * kernel answers with both families from one walk of its tables.
 */
export function oneTcpWalk(v4: DiagRequest, v6: DiagRequest | undefined): v6 is DiagRequest {
  return v6 !== undefined && v4.table === 'tcp' && v6.table === 'tcp' && v4.family === AF.AF_INET && v6.family === AF.AF_INET6 &&
    v4.protocolAttr === undefined && v6.protocolAttr === undefined && v4.states === v6.states && v4.ext === v6.ext &&
    sameBytes(v4.program?.bytes, v6.program?.bytes)
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.length === b.length && a.every((x, i) => x === b[i])
}
