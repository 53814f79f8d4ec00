/**
 * fast-check leaves for filters over a live set of inet sockets (the kernel
 * properties of the eBPF iterators): addresses and prefixes that hit and miss
 * loopback in both families and the v4-mapped form, ports seen (and one
 * past), devices, marks, cgroup ids, `autobound`, and every metric the
 * iterator can test with thresholds on, beside and off the observed values.
 */
import fc from 'fast-check'
import type { CmpOp } from '../../grammar/ast.js'
import type { MetricName } from '../../grammar/metrics.js'
import type { Filter, InetPrefix } from '../../compiler/filter.js'
import { METRICS } from '../../compiler/metrics.js'
import type { InetRecord } from '../../runtime/decode-inet.js'

/** What the leaves draw from besides the sockets themselves. */
export interface InetLeafOptions {
  /** Interface indexes worth testing (a bound socket's, and some unused). */
  readonly ifindexes: readonly number[]
  /** `[mark, mask]` pairs for `fwmark`. */
  readonly marks: readonly (readonly [number, number])[]
  /** Metrics the target can test. */
  readonly metrics: readonly MetricName[]
  /**
   * Metrics whose values grow between two reads of an idle socket (the
   * times since the last send, receive and ACK): their thresholds are drawn
   * far from any value the sockets take during a run (0, fractions, hours,
   * days), never at an observed value, which the next read has left.
   */
  readonly moving?: readonly MetricName[]
}

/** Thresholds for {@link InetLeafOptions.moving} metrics, in µs: never, below, or far above an idle zoo socket's age. */
const FAR_TIMES = [0, 1, 1.5, -3, 3_600_000_000, 2 ** 33, 1e12]

const SPAN = { start: 0, end: 0 }
const v4 = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number))
const v6 = (words: number[]): Uint8Array => {
  const b = new Uint8Array(16)
  words.forEach((w, i) => { b[2 * i] = w >> 8; b[2 * i + 1] = w & 0xff })
  return b
}

/** Prefixes around loopback: exact, wider, one bit off, prefix 0, all-zero, the v4-mapped forms, link-local. */
export const LOOPBACK_PREFIXES: readonly InetPrefix[] = [
  { af: 2, bytes: v4('127.0.0.1'), prefixLen: 32 }, { af: 2, bytes: v4('127.0.0.0'), prefixLen: 8 }, { af: 2, bytes: v4('127.0.0.1'), prefixLen: 31 },
  { af: 2, bytes: v4('0.0.0.0'), prefixLen: 0 }, { af: 2, bytes: v4('0.0.0.0'), prefixLen: 32 }, { af: 2, bytes: v4('10.0.0.0'), prefixLen: 8 },
  { af: 10, bytes: v6([0, 0, 0, 0, 0, 0, 0, 1]), prefixLen: 128 }, { af: 10, bytes: v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]), prefixLen: 128 },
  { af: 10, bytes: v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 0]), prefixLen: 104 }, { af: 10, bytes: v6([0, 0, 0, 0, 0, 0, 0, 0]), prefixLen: 64 }, { af: 10, bytes: v6([0xfe80]), prefixLen: 10 },
]

/** The values `name` takes on `base`, in the metric's unit (none when no socket reports it). */
export function observedValues(base: readonly InetRecord[], name: MetricName): number[] {
  const src = METRICS[name].source
  const scale = src.kind === 'tcp_info' ? src.scale : 1
  const vals = base.flatMap((r) => {
    const v = src.kind === 'tcp_info' ? r.tcpInfo?.[src.key as keyof NonNullable<InetRecord['tcpInfo']>] : r[src.key]
    return typeof v === 'number' ? [v * scale] : typeof v === 'bigint' ? [Number(v) * scale] : []
  })
  return [...new Set(vals)]
}

/** Filter leaves over the sockets of `base`. */
export function inetFilterLeaf(base: readonly InetRecord[], opts: InetLeafOptions): fc.Arbitrary<Filter> {
  const ports = [...new Set(base.flatMap((r) => [r.localPort, r.remotePort]))]
  const port = fc.oneof(fc.constantFrom(...ports), fc.constantFrom(...ports).map((p) => p + 1), fc.integer({ min: 0, max: 65535 }))
  const op = fc.constantFrom<CmpOp>('eq', 'ne', 'lt', 'le', 'gt', 'ge')
  return fc.oneof(
    fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), af: fc.constantFrom(0 as const, 2 as const, 10 as const), addrs: fc.array(fc.constantFrom(...LOOPBACK_PREFIXES), { maxLength: 2 }), port: fc.oneof(fc.constant(-1), port) })
      .map(({ dir, af, addrs, port }): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af, addrs, port }, span: SPAN })),
    fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), cmp: fc.constantFrom('ge' as const, 'le' as const), port }).map((x): Filter => ({ kind: 'portcmp', ...x, span: SPAN })),
    fc.constantFrom(...opts.ifindexes).map((ifindex): Filter => ({ kind: 'dev', ifindex, span: SPAN })),
    fc.constantFrom(...opts.marks).map(([mark, mask]): Filter => ({ kind: 'mark', mark, mask, span: SPAN })),
    fc.constantFrom(...new Set([...base.map((r) => r.cgroupId), 0n, 12345678901234n])).map((id): Filter => ({ kind: 'cgroup', id, span: SPAN })),
    fc.constant<Filter>({ kind: 'auto', span: SPAN }),
    fc.constantFrom(...opts.metrics).chain((field) => {
      if (opts.moving?.includes(field)) return fc.record({ op, value: fc.constantFrom(...FAR_TIMES) }).map(({ op, value }): Filter => ({ kind: 'metric', field, op, value, span: SPAN }))
      const seen = observedValues(base, field)
      const from = seen.length ? seen : [0]
      const value = fc.oneof(fc.constantFrom(...from), fc.constantFrom(...from).map((v) => v + 1), fc.constantFrom(...from).map((v) => v - 1), fc.constantFrom(0, 1.5, -3, 2 ** 33))
      return fc.record({ op, value }).map(({ op, value }): Filter => ({ kind: 'metric', field, op, value, span: SPAN }))
    }),
  )
}
