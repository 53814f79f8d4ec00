/**
 * `explain --trace`: describe one socket in a line of text, run the plan's
 * bytecode on it with the kernel-interpreter port, and show every step and
 * the verdict, next to what ss's user-space evaluation decides. Pure: the
 * web playground uses it too.
 *
 * The socket description:
 *
 *     PROTO LOCAL [-> REMOTE] [STATE] [mark N] [dev N] [cgroup N] [autobound|bound] [METRIC VALUE]...
 *
 * e.g. `tcp 10.0.0.1:5555 -> 10.0.0.2:443 established [mark 0x10] [dev 2]`.
 * Addresses are `a.b.c.d:port` or `[v6]:port`; optional attributes may be
 * written in brackets. Metrics are the filter language's (`rtt 60ms`,
 * `cwnd 10`, `uid 1000`, …), with the same units; a metric not given is
 * one the kernel did not report.
 */
import type { Span } from '../../grammar/ast.js'
import { parseAddressText } from '../../grammar/values.js'
import type { FilterSocket } from '../../compiler/socket.js'
import type { DiagRequest, QueryPlan } from '../../compiler/plan.js'
import { STATE_DISPLAY_NAMES, STATE_WORDS } from '../../compiler/select.js'
import { interpret, type InterpretResult } from '../../compiler/interpret.js'
import { evaluate, type EvaluateEnv } from '../../compiler/evaluate.js'
import type { DisasmLine, DisasmOp } from '../../compiler/disasm.js'
import { AF, SOCK_BINDPORT_LOCK } from '../../uapi/inet-diag.js'
import { isMetricName, parseMetricValue } from '../../grammar/metrics.js'
import { FilterError } from '../../grammar/errors.js'
import { METRICS, readMetric } from '../../compiler/metrics.js'
import { METRIC_NAMES } from '../../grammar/metrics.js'
import type { FilterTcpInfo } from '../../compiler/socket.js'
import { PLAIN, type Paint } from './paint.js'

/** A socket description that cannot be read. */
export class SocketSyntaxError extends Error {
  override readonly name = 'SocketSyntaxError'
  readonly code = 'E_SOCKET'
  constructor(
    message: string,
    /** Where in the description. */
    readonly span: Span,
  ) {
    super(message)
  }
}

/** The inet tables a description may name. */
const PROTOCOLS = ['tcp', 'udp', 'raw', 'dccp', 'sctp', 'mptcp'] as const

/** A parsed socket description. */
export interface SocketDescription {
  /** ss's table name: tcp udp raw dccp sctp mptcp. */
  readonly table: string
  readonly sock: FilterSocket
  /** The description as given. */
  readonly text: string
}

/** State names a description accepts: ss's column names and the single-state `state` words. */
function stateOf(word: string): number | undefined {
  const w = word.toUpperCase()
  const shown = STATE_DISPLAY_NAMES.indexOf(w)
  if (shown >= 0) return shown
  const bits = STATE_WORDS[word.toLowerCase()]
  if (bits !== undefined && (bits & (bits - 1)) === 0 && bits !== 0) return Math.log2(bits)
  return undefined
}

interface Word {
  readonly text: string
  readonly span: Span
}

/** Split on blanks, keeping positions. Brackets around attributes become blanks, so spans stay true. */
function words(text: string): Word[] {
  const blanked = text.replace(/\[(?=\s*[a-z_]+(?:\s|\]))([^\]]*)\]/g, (_m, inner: string) => ` ${inner} `)
  const out: Word[] = []
  const re = /\S+/g
  let m: RegExpExecArray | null
  while ((m = re.exec(blanked)) !== null) out.push({ text: m[0], span: { start: m.index, end: m.index + m[0].length } })
  return out
}

function endpoint(w: Word): { addr: Uint8Array; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(w.text)
  if (!m) {
    const v6 = (w.text.match(/:/g) ?? []).length > 1 && !w.text.startsWith('[')
    throw new SocketSyntaxError(v6 ? `an IPv6 address goes in brackets: [address]:port, found "${w.text}"` : `expected ADDRESS:PORT (a.b.c.d:port or [v6]:port), found "${w.text}"`, w.span)
  }
  const addrText = m[1] ?? m[2]!
  const addr = parseAddressText(addrText)
  if (!addr || (m[2] !== undefined && addr.length !== 4)) throw new SocketSyntaxError(`"${addrText}" is not an address (IPv6 goes in brackets: [::1]:80)`, w.span)
  const port = Number(m[3])
  if (port > 0xffff) throw new SocketSyntaxError(`port ${port} is larger than 65535`, w.span)
  return { addr, port }
}

function number(w: Word | undefined, what: string, at: Span): number {
  if (!w) throw new SocketSyntaxError(`${what} needs a value`, at)
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(w.text) ? Number(w.text) : NaN
  if (!Number.isSafeInteger(n) || n > 0xffffffff) throw new SocketSyntaxError(`expected a number for ${what}, found "${w.text}"`, w.span)
  return n
}

/**
 * Read a socket description. Throws {@link SocketSyntaxError} pointing at
 * the word it cannot read.
 *
 * Without `bound` or `autobound`, the port lock bit (`sk_userlocks &
 * SOCK_BINDPORT_LOCK`, what AUTO tests) is set only for sockets without a
 * peer (listeners, unconnected UDP), which applications bind; connected
 * sockets get it only from an explicit bind, and accepted children of a
 * bound listener do not inherit it (kernel-sock-diag §1.6, observed).
 * TIME-WAIT and request sockets always report 0.
 */
export function parseSocketDescription(text: string): SocketDescription {
  const ws = words(text)
  const end: Span = { start: text.length, end: text.length }
  const first = ws[0]
  if (!first) throw new SocketSyntaxError(`expected a protocol (${PROTOCOLS.join(', ')})`, end)
  const table = first.text.toLowerCase()
  if (!(PROTOCOLS as readonly string[]).includes(table)) throw new SocketSyntaxError(`expected a protocol (${PROTOCOLS.join(', ')}), found "${first.text}"`, first.span)
  const localWord = ws[1]
  if (!localWord) throw new SocketSyntaxError('expected the local ADDRESS:PORT', end)
  const local = endpoint(localWord)
  let i = 2
  let remote: { addr: Uint8Array; port: number } | null = null
  if (ws[i]?.text === '->') {
    const r = ws[i + 1]
    if (!r) throw new SocketSyntaxError('expected the remote ADDRESS:PORT after "->"', end)
    remote = endpoint(r)
    if (remote.addr.length !== local.addr.length) throw new SocketSyntaxError('the local and remote addresses are of different families', r.span)
    i += 2
  }
  let state: number | undefined
  let mark: number | undefined
  let ifindex: number | undefined
  let cgroupId: bigint | undefined
  let bound: boolean | undefined
  const tcpInfo: Record<string, number> = {}
  const diag: { uid?: number; inode?: number; rqueue?: number; wqueue?: number } = {}
  for (; i < ws.length; i++) {
    const w = ws[i]!
    const key = w.text.toLowerCase()
    if (isMetricName(key)) {
      const v = ws[++i]
      if (!v) throw new SocketSyntaxError(`${key} needs a value`, w.span)
      let value: number
      try {
        value = parseMetricValue(key, v.text, v.span).value
      } catch (e) {
        if (e instanceof FilterError) throw new SocketSyntaxError(`${key}: ${e.message}`, v.span)
        throw e
      }
      const src = METRICS[key].source
      // The filter's unit is the metric's base unit; tcp_info members may count in a coarser one.
      if (src.kind === 'tcp_info') tcpInfo[src.key] = Math.floor(value / src.scale)
      else diag[src.key] = value
      continue
    }
    switch (key) {
      case 'mark': case 'fwmark': mark = number(ws[++i], 'mark', w.span); break
      case 'dev': case 'ifindex': ifindex = number(ws[++i], 'dev (an interface index)', w.span); break
      case 'cgroup': {
        const v = ws[++i]
        if (!v || !/^\d+$/.test(v.text)) throw new SocketSyntaxError('cgroup needs a numeric cgroup id', v?.span ?? w.span)
        cgroupId = BigInt(v.text)
        break
      }
      case 'autobound': bound = false; break
      case 'bound': bound = true; break
      default: {
        const s = stateOf(w.text)
        if (s === undefined || state !== undefined) {
          throw new SocketSyntaxError(`expected a state (established, listen, time-wait, …), mark, dev, cgroup, autobound, bound or a metric (rtt, cwnd, uid, …); found "${w.text}"`, w.span)
        }
        state = s
      }
    }
  }
  const family = local.addr.length === 16 ? AF.AF_INET6 : AF.AF_INET
  const defaultState = remote ? 1 : table === 'tcp' || table === 'dccp' || table === 'sctp' || table === 'mptcp' ? 10 : 7
  const finalState = state ?? defaultState
  const minisock = finalState === 6 || finalState === 3
  const isBound = !minisock && (bound ?? (finalState === 10 || finalState === 7))
  const sock: FilterSocket = {
    family,
    state: finalState,
    localAddr: local.addr,
    remoteAddr: remote?.addr ?? new Uint8Array(local.addr.length),
    localPort: local.port,
    remotePort: remote?.port ?? 0,
    ifindex: ifindex ?? 0,
    mark: mark ?? 0,
    cgroupId: cgroupId ?? 0n,
    userlocks: isBound ? SOCK_BINDPORT_LOCK : 0,
    // The kernel sends INET_DIAG_SHUTDOWN for full sockets only: not TIME-WAIT (6) or request (SYN-RECV, 3) sockets.
    ...(minisock ? {} : { shutdown: 0 }),
    ...diag,
    ...(Object.keys(tcpInfo).length ? { tcpInfo: tcpInfo as FilterTcpInfo } : {}),
  }
  return { table, sock, text }
}

/** What happens to one socket under a plan. */
export interface TraceResult {
  /** The request that would dump it (1-based index into the plan), or null when none asks for its table and family. */
  readonly request: { readonly index: number; readonly req: DiagRequest } | null
  /** Whether the request's state mask includes the socket's state (the kernel skips it otherwise). */
  readonly stateSelected: boolean
  /** The bytecode run, or null when the request carries none. */
  readonly kernel: InterpretResult | null
  /** ss's user-space evaluation of the whole filter (null: no filter). */
  readonly userSpace: boolean | null
  /** Would the socket be listed? */
  readonly listed: boolean
}

/** Run a plan on one described socket. */
export function traceSocket(plan: QueryPlan, desc: SocketDescription, env: EvaluateEnv): TraceResult {
  const { sock } = desc
  const index = plan.requests.findIndex((r) => r.kind === 'inet' && r.table === desc.table && r.family === sock.family)
  const req = index >= 0 ? plan.requests[index]! : null
  const stateSelected = req !== null && (req.states & (1 << sock.state)) !== 0
  // The kernel checks the state before it runs the bytecode (inet_diag_dump_icsk / sk_diag_fill order).
  const kernel = stateSelected && req?.program ? interpret(req.program.bytes, sock) : null
  const userSpace = plan.residual ? evaluate(plan.residual, sock, env) : null
  const listed = req !== null && stateSelected && (kernel?.accept ?? true) && (userSpace ?? true)
  return { request: req ? { index: index + 1, req } : null, stateSelected, kernel, userSpace, listed }
}

const familyName = (af: number): string => (af === AF.AF_INET6 ? 'AF_INET6' : af === AF.AF_INET ? 'AF_INET' : `family ${af}`)

/** Render a trace: the request, each step with the op's words and source, the verdicts. */
export function formatTrace(desc: SocketDescription, t: TraceResult, lines: readonly DisasmLine[] | null, paint: Paint = PLAIN): string {
  const out: string[] = [paint.heading(`trace: ${desc.text}`)]
  const s = desc.sock
  out.push(`  socket      ${desc.table} ${familyName(s.family)}, state ${STATE_DISPLAY_NAMES[s.state] ?? s.state}, ifindex ${s.ifindex ?? 0}, mark 0x${((s.mark ?? 0) >>> 0).toString(16)}, cgroup ${s.cgroupId ?? 0n}, ${(s.userlocks ?? 0) & SOCK_BINDPORT_LOCK ? 'port bound by the application' : 'port not locked by bind (AUTO true)'}`)
  const metrics = METRIC_NAMES.flatMap((m) => {
    const v = readMetric(m, s)
    return v === undefined ? [] : [`${m} ${v}${METRICS[m].unit === 'us' ? 'us' : METRICS[m].unit === 'bytes' ? 'b' : ''}`]
  })
  if (metrics.length) out.push(`  metrics     ${metrics.join(', ')} (any other metric: not reported)`)
  if (!t.request) {
    out.push(`  request     none: the plan asks for no ${desc.table} sockets of ${familyName(s.family)}, so the kernel never sends this one`)
    out.push(`  listed      ${paint.reject('no')}`)
    return out.join('\n') + '\n'
  }
  const { index, req } = t.request
  out.push(`  request     #${index} (${req.table}, ${familyName(req.family)})`)
  if (!t.stateSelected) {
    out.push(`  states      ${STATE_DISPLAY_NAMES[s.state] ?? s.state} is not among the request's states (0x${req.states.toString(16)}): the kernel skips the socket before running any bytecode`)
  } else if (t.kernel && lines) {
    const byOffset = new Map<number, DisasmOp>()
    for (const l of lines) if (l.kind === 'op') byOffset.set(l.offset, l)
    const L = req.program!.bytes.length
    const where = (to: number): string => (to === L ? 'accept' : to === L + 4 ? 'reject' : `@${to}`)
    const paintWhere = (s: string): string => s.replace(/→ accept/, `→ ${paint.accept('accept')}`).replace(/→ reject/, `→ ${paint.reject('reject')}`)
    const rows = t.kernel.trace.map((st, i) => {
      const op = byOffset.get(st.offset)
      return {
        n: String(i + 1), at: String(st.offset), op: st.op, words: op?.words ?? '',
        cond: st.cond ? 'true' : 'false', taken: `${st.taken} → ${where(st.to)}`, source: op?.source,
      }
    })
    const w = (k: 'n' | 'at' | 'op' | 'words' | 'cond' | 'taken'): number => Math.max(k === 'n' ? 4 : k === 'op' ? 6 : k === 'taken' ? 5 : 4, ...rows.map((r) => r[k].length))
    const wn = w('n'), wat = w('at'), wop = w('op'), wwords = w('words'), wcond = w('cond'), wtaken = w('taken')
    out.push(paint.dim(`  ${'step'.padStart(wn)}  ${'at'.padStart(wat)}  ${'op'.padEnd(wop)}  ${'test'.padEnd(wwords)}  ${'is'.padEnd(wcond)}  takes`))
    for (const r of rows) {
      const line = `  ${r.n.padStart(wn)}  ${r.at.padStart(wat)}  ${paint.op(r.op.padEnd(wop))}  ${r.words.padEnd(wwords)}  ${r.cond.padEnd(wcond)}  `
      out.push(r.source !== undefined ? `${line}${paintWhere(r.taken.padEnd(wtaken))}  ${paint.dim(`# ${r.source}`)}` : line + paintWhere(r.taken))
    }
    const last = t.kernel.trace.at(-1)
    out.push(`  kernel      ${t.kernel.accept ? paint.accept('accept') : paint.reject('reject')}: landed on ${last?.to ?? 0}, ${t.kernel.accept ? 'the end of the program' : 'the end of the program + 4'} (${L} bytes)`)
  } else {
    out.push(`  kernel      no bytecode in this request: the kernel sends every socket of the selected states`)
  }
  if (t.userSpace !== null) {
    out.push(`  user space  ${t.userSpace ? paint.accept('accept') : paint.reject('reject')} (ss evaluates the whole filter again on every socket it receives)`)
    if (t.kernel && t.kernel.accept !== t.userSpace) {
      out.push(paint.warn(`  note        the kernel and user space disagree on this socket: their semantics differ (autobound, prefix-0 and cross-family conditions); ss lists a socket only when both accept`))
    }
  }
  out.push(`  listed      ${t.listed ? paint.accept('yes') : paint.reject('no')}`)
  return out.join('\n') + '\n'
}
