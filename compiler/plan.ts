/**
 * The query plan: what to ask the kernel, in send order, and what is left
 * for user space. The runtime executes it without knowing the language.
 */
import type { Filter } from './filter.js'
import type { Program } from './assemble.js'

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
