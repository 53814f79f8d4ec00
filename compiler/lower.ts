/**
 * Lowering: resolved filter → IR, reproducing ss's code layout exactly so
 * the assembled bytes equal ss 6.1's.
 *
 * Every fragment falls through to its end when true; when false it jumps to
 * the `reject` label it is given. ss builds the same layout by concatenating
 * fragments and patching jumps (`ssfilter_bytecompile`), with these shapes:
 *
 *   and(a, b):  a[reject→R]  b[reject→R]
 *   or(a, b):   a[reject→Lb]  JMP→Lend  Lb: b[reject→R]  Lend:
 *   not(a):     a[reject→Lend]  JMP→R  Lend:
 *
 * A host condition with several addresses is an `or` of one op per address.
 */
import type { Filter, HostCond, InetPrefix } from './filter.js'
import type { Insn, Ir, Label, Target } from './ir.js'
import { FilterError } from '../grammar/errors.js'
import type { Span } from '../grammar/ast.js'

/** Options of the lowering. */
export interface LowerOptions {
  /**
   * Use S_EQ/D_EQ for `sport = :P`/`dport = :P` (kernel ≥ 4.16). Off by
   * default: ss 6.1 emits an AF_UNSPEC S_COND/D_COND for these.
   */
  readonly portEq?: boolean
}

/**
 * Whether the kernel can run this filter node: everything but host
 * conditions of the non-inet families, which only user space can test,
 * and metrics (tcp_info, uid, …), which bytecode has no op for.
 */
export function kernelCompilable(f: Filter): boolean {
  switch (f.kind) {
    case 'and': case 'or': return kernelCompilable(f.left) && kernelCompilable(f.right)
    case 'not': return kernelCompilable(f.operand)
    case 'hostcond': return f.cond.family === 'inet'
    case 'metric': return false
    default: return true
  }
}

/**
 * The part of a filter the kernel may run when some of it is metrics: a
 * filter that accepts every socket the original accepts (sound: user space
 * applies the whole filter afterwards). Each metric counts as "maybe": as
 * `true` where it is tested positively and as `false` under a `not`
 * (`not (rtt > 5ms and dport = :22)` keeps nothing, `not dport = :22 and
 * rtt > 5ms` keeps `not dport = :22`), then constants are folded away.
 * Returns the filter itself when it has no metric (ss's bytes are kept), and
 * null when nothing is left for the kernel (no bytecode is sent). `maybe`
 * picks the leaves to count so (other targets: what their program cannot test).
 */
export function kernelApproximation(f: Filter, maybe: (leaf: Filter) => boolean = isMetric): Filter | null {
  const r = bound(f, true, maybe)
  return r === true ? null : r === false ? null : r
}

const isMetric = (f: Filter): boolean => f.kind === 'metric'

/** An upper (`upper`) or lower bound of `f` without the `maybe` leaves: a filter, or a constant. */
function bound(f: Filter, upper: boolean, maybe: (leaf: Filter) => boolean): Filter | boolean {
  if (maybe(f)) return upper
  switch (f.kind) {
    case 'not': {
      const o = bound(f.operand, !upper, maybe)
      return typeof o === 'boolean' ? !o : o === f.operand ? f : { ...f, operand: o }
    }
    case 'and':
    case 'or': {
      const l = bound(f.left, upper, maybe)
      const r = bound(f.right, upper, maybe)
      // and: false absorbs, true vanishes; or: the other way round.
      const absorbing = f.kind === 'or'
      if (l === absorbing || r === absorbing) return absorbing
      if (typeof l === 'boolean') return r
      if (typeof r === 'boolean') return l
      return l === f.left && r === f.right ? f : { ...f, left: l, right: r }
    }
    default:
      return f
  }
}

/** Lower a filter to IR. The filter must be {@link kernelCompilable}. */
export function lower(filter: Filter, options: LowerOptions = {}): Ir {
  const out: Insn[] = []
  let nextLabel = 0
  const label = (): Label => ({ id: nextLabel++ })
  const place = (l: Label): void => { out.push({ op: 'label', label: l }) }

  const gen = (f: Filter, reject: Target): void => {
    switch (f.kind) {
      case 'and':
        gen(f.left, reject)
        gen(f.right, reject)
        return
      case 'or': {
        const lb = label()
        const end = label()
        gen(f.left, lb)
        out.push({ op: 'JMP', no: end, span: f.span })
        place(lb)
        gen(f.right, reject)
        place(end)
        return
      }
      case 'not': {
        const end = label()
        gen(f.operand, end)
        out.push({ op: 'JMP', no: reject, span: f.span })
        place(end)
        return
      }
      case 'hostcond':
        genHost(f.dir, f.cond, reject, f.span)
        return
      case 'portcmp': {
        const op = f.dir === 'src' ? (f.cmp === 'ge' ? 'S_GE' : 'S_LE') : f.cmp === 'ge' ? 'D_GE' : 'D_LE'
        out.push({ op, port: f.port, no: reject, span: f.span })
        return
      }
      case 'dev':
        out.push({ op: 'DEV_COND', ifindex: f.ifindex, no: reject, span: f.span })
        return
      case 'mark':
        out.push({ op: 'MARK_COND', mark: f.mark, mask: f.mask, no: reject, span: f.span })
        return
      case 'cgroup':
        out.push({ op: 'CGROUP_COND', id: f.id, no: reject, span: f.span })
        return
      case 'auto':
        out.push({ op: 'AUTO', no: reject, span: f.span })
        return
      case 'metric':
        throw new FilterError('E_NOT_BYTECODE', `"${f.field}" cannot be tested by inet_diag bytecode (lower kernelApproximation() of the filter)`, f.span)
    }
  }

  const genHost = (dir: 'src' | 'dst', cond: HostCond, reject: Target, span: Span): void => {
    if (cond.family !== 'inet') {
      throw new FilterError('E_NOT_INET', `a ${cond.family} address cannot be tested by inet_diag bytecode`, span)
    }
    if (cond.addrs.length === 0) {
      const portOnly = cond.port !== -1 && options.portEq === true && cond.port >= 0 && cond.port <= 0xffff
      if (portOnly) {
        out.push({ op: dir === 'src' ? 'S_EQ' : 'D_EQ', port: cond.port, no: reject, span })
        return
      }
      out.push(hostOp(dir, cond.af, 0, cond.port, null, reject, span))
      return
    }
    const end = label()
    cond.addrs.forEach((a, i) => {
      const last = i === cond.addrs.length - 1
      const next = last ? reject : label()
      out.push(hostOp(dir, a.af, a.prefixLen, cond.port, a, next, span))
      if (!last) {
        out.push({ op: 'JMP', no: end, span })
        place(next as Label)
      }
    })
    place(end)
  }

  gen(filter, 'reject')
  return out
}

/**
 * One S_COND/D_COND. ss sizes the address as 16 bytes for AF_INET6 and 4
 * bytes otherwise, so an AF_UNSPEC (port-only) condition carries 4 zero
 * address bytes (op length 16, which `yes` skips); we emit the same.
 */
function hostOp(dir: 'src' | 'dst', af: number, prefixLen: number, port: number, a: InetPrefix | null, no: Target, span: Span): Insn {
  const addr = new Uint8Array(af === 10 ? 16 : 4)
  if (a) addr.set(a.bytes.subarray(0, addr.length))
  return { op: dir === 'src' ? 'S_COND' : 'D_COND', family: af, prefixLen, port, addr, no, span }
}
