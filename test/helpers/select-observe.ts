/**
 * What a selection looks like from outside ss: the sock_diag requests it
 * sends (kind, inet family, `states`), whether the header shows the Netid and
 * State columns, the summary, and the "no socket tables" message. Used to
 * derive the selection table of test/compiler/select.test.ts from the real
 * `/usr/bin/ss` and to re-check it live.
 *
 * Two sides, kept apart on purpose:
 * - {@link observe} reads a capture of the real ss (test/helpers/ss-capture.ts);
 * - {@link project} predicts the same string from a selection, following
 *   ss-behavior §0 steps 4–11 and §5.5 (written here from the spec, not
 *   taken from the compiler's plan builder).
 *
 * Tokens, in ss's send order: `netlink`, `packet`, `unix:b37`, `raw4:b37`,
 * `udp6:2`, `tcp4:fff`, …, `vsock:b37`, `tipc:482`, `xdp`, `mptcp4:b37`;
 * preceded by `summary` when the summary was printed, `hdr:NS` / `hdr:N` /
 * `hdr:S` / `hdr:-` for the header's Netid/State columns, and `!tables` for
 * "no socket tables to show with such filter.".
 */
import { AF } from '../../uapi/inet-diag.js'
import type { SsCapture } from './ss-capture.js'

/** The inet protocols in ss's dump order, by `sdiag_protocol` (mptcp is 6 + its protocol attribute). */
const INET_ORDER = ['raw', 'udp', 'tcp', 'dccp', 'sctp', 'mptcp'] as const
const PROTOCOL_NAME: Readonly<Record<number, string>> = { 255: 'raw', 17: 'udp', 6: 'tcp', 33: 'dccp', 132: 'sctp' }

/** Lower-case hex without `0x`. */
const hex = (n: number): string => (n >>> 0).toString(16)

/** The observable string of one ss run. Legacy retries (type 18/19) are left out: they repeat a failed request. */
export function observe(capture: SsCapture): string {
  const tokens: string[] = []
  if (capture.stdout.startsWith('Total:')) tokens.push('summary')
  const header = capture.stdout.split('\n').find((l) => l.includes('Recv-Q'))
  if (header !== undefined) {
    const cols = (header.startsWith('Netid') ? 'N' : '') + (/\bState\b/.test(header) ? 'S' : '')
    tokens.push(`hdr:${cols === '' ? '-' : cols}`)
  }
  if (capture.stderr.includes('no socket tables to show with such filter.')) tokens.push('!tables')
  for (const r of capture.requests) {
    switch (r.kind) {
      case 'netlink':
      case 'packet':
        tokens.push(r.kind)
        break
      case 'unix':
        tokens.push(`unix:${hex(r.states)}`)
        break
      case 'inet': {
        const name = r.protocolAttr === 262 ? 'mptcp' : PROTOCOL_NAME[r.protocol] ?? `proto${r.protocol}`
        tokens.push(`${name}${r.family === AF.AF_INET6 ? 6 : 4}:${hex(r.states)}`)
        break
      }
      case 'legacy-inet':
        break
      case 'other':
        if (r.family === AF.AF_VSOCK) tokens.push(`vsock:${hex(r.states ?? 0)}`)
        else if (r.family === AF.AF_TIPC) tokens.push(`tipc:${hex(r.states ?? 0)}`)
        else if (r.family === AF.AF_XDP) tokens.push('xdp')
        else tokens.push(`family${r.family}`)
        break
    }
  }
  return tokens.join(' ')
}

/** What {@link project} needs: a selection and the two output options that change what is visible. */
export interface ProjectInput {
  /** Table names selected. */
  readonly tables: readonly string[]
  /** `1 << af` mask (JavaScript shift, as compiler/select's familyBit). */
  readonly families: number
  readonly states: number
  readonly preferredFamily: number
  readonly summary: boolean
  readonly summaryOnly: boolean
  readonly noHeader: boolean
  readonly empty: string | null
}

const popcount = (n: number): number => {
  let c = 0
  for (let x = n >>> 0; x !== 0; x &= x - 1) c++
  return c
}

/**
 * The observable string ss would produce for a selection, on a kernel where
 * the inet protocols in `failing` answer their first dump with an error (ss
 * then never sends the AF_INET6 follow-up; dccp's legacy retry is not a token).
 */
export function project(sel: ProjectInput, failing: ReadonlySet<string>): string {
  const tokens: string[] = []
  if (sel.summary) tokens.push('summary')
  if (sel.summaryOnly) return tokens.join(' ')
  if (sel.empty === 'tables') return [...tokens, '!tables'].join(' ')
  const has = (t: string): boolean => sel.tables.includes(t)
  const fam = (af: number): boolean => (sel.families & (1 << af)) !== 0
  if (!sel.noHeader) {
    const cols = (popcount(tableMaskOf(sel.tables)) !== 1 ? 'N' : '') + (popcount(sel.states) !== 1 ? 'S' : '')
    tokens.push(`hdr:${cols === '' ? '-' : cols}`)
  }
  const close = (sel.states & (1 << 7)) !== 0
  const states = hex(sel.states)
  const inet = (t: string): void => {
    if (!has(t) || !(fam(AF.AF_INET) || fam(AF.AF_INET6))) return
    if (sel.preferredFamily === AF.AF_INET6) {
      tokens.push(`${t}6:${states}`)
      return
    }
    tokens.push(`${t}4:${states}`)
    if (sel.preferredFamily !== AF.AF_INET && !failing.has(t)) tokens.push(`${t}6:${states}`)
  }
  if (has('netlink') && fam(AF.AF_NETLINK) && close) tokens.push('netlink')
  if ((has('packet_raw') || has('packet_dgram')) && fam(AF.AF_PACKET) && close) tokens.push('packet')
  if ((has('unix_stream') || has('unix_dgram') || has('unix_seqpacket')) && fam(AF.AF_UNIX)) tokens.push(`unix:${states}`)
  for (const t of INET_ORDER.slice(0, 5)) inet(t)
  if ((has('vsock_stream') || has('vsock_dgram')) && fam(AF.AF_VSOCK)) tokens.push(`vsock:${states}`)
  if (has('tipc') && fam(AF.AF_TIPC)) tokens.push(`tipc:${states}`)
  if (has('xdp') && fam(AF.AF_XDP) && close) tokens.push('xdp')
  inet('mptcp')
  return tokens.join(' ')
}

/** ss's table bit numbers (ss-behavior §2.1), repeated here so the projection does not lean on compiler/select. */
const TABLE_BITS: Readonly<Record<string, number>> = {
  tcp: 0, mptcp: 1, dccp: 2, udp: 3, raw: 4, unix_dgram: 5, unix_stream: 6, unix_seqpacket: 7,
  packet_dgram: 8, packet_raw: 9, netlink: 10, sctp: 11, vsock_stream: 12, vsock_dgram: 13, tipc: 14, xdp: 15,
}

function tableMaskOf(tables: readonly string[]): number {
  let m = 0
  for (const t of tables) m |= 1 << (TABLE_BITS[t] ?? 31)
  return m
}

/**
 * The inet protocols whose first dump fails on this kernel: those ss queries
 * over AF_INET but never over AF_INET6 in `ss -a -A inet` (a capture of it).
 */
export function failingProtocols(captureOfAllInet: SsCapture): Set<string> {
  const seen = new Map<string, Set<number>>()
  for (const r of captureOfAllInet.requests) {
    if (r.kind !== 'inet') continue
    const name = r.protocolAttr === 262 ? 'mptcp' : PROTOCOL_NAME[r.protocol] ?? `proto${r.protocol}`
    const fams = seen.get(name) ?? new Set<number>()
    fams.add(r.family)
    seen.set(name, fams)
  }
  return new Set([...seen].filter(([, fams]) => !fams.has(AF.AF_INET6)).map(([name]) => name))
}
