/**
 * The disassembler: inet_diag bytecode → one line per op, in words, with
 * both edges and (when the assembler's op map and the filter text are at
 * hand) the filter text each op came from.
 *
 * It walks the program the way the kernel's audit does, following `yes`
 * from offset 0, so it also reads bytes captured from other tools (strace
 * of ss, say) with no op map. Bytes it cannot decode end the listing with a
 * `(bad)` line; it never throws on input bytes.
 *
 * The text form is line-based and can be read back with {@link parseDisasm}:
 *
 *     0  S_COND     local port = 22 (any family)         yes → @16     no → @20     # sport = :22
 *    16  JMP        always false: take no                yes → @20     no → accept  # sport = :22 or …
 *
 * Columns are separated by at least two spaces; operand words never contain
 * two spaces in a row.
 */
import { parseAddressText } from '../grammar/values.js'
import type { Span } from '../grammar/ast.js'
import { inet_diag_bc_op, inet_diag_hostcond, inet_diag_markcond } from '../uapi/inet-diag.js'
import { OPCODES, OPCODE_BY_CODE, hostcondAddrLen } from '../uapi/inet-diag-bc.js'
import type { OpName, OpcodeInfo } from '../uapi/inet-diag-bc.js'
import type { AssembledOp } from './assemble.js'

/** A decoded operand, by the opcode table's operand kind. */
export type Operand =
  | { readonly kind: 'none' }
  /** S/D_GE/LE/EQ: the u16 in the follow-on op's `no`. */
  | { readonly kind: 'port'; readonly port: number }
  /** S_COND/D_COND; `addr` has the family's length (0, 4 or 16); `port` -1 = any. */
  | { readonly kind: 'hostcond'; readonly family: number; readonly prefixLen: number; readonly port: number; readonly addr: Uint8Array }
  | { readonly kind: 'ifindex'; readonly ifindex: number }
  | { readonly kind: 'markcond'; readonly mark: number; readonly mask: number }
  | { readonly kind: 'cgroup'; readonly id: bigint }

/** Where an edge lands. */
export type Dest =
  | { readonly kind: 'op'; readonly at: number }
  | { readonly kind: 'accept' }
  | { readonly kind: 'reject' }
  /** Past the reject point, or past the end on a `yes` edge that does not reject: the audit refuses it. */
  | { readonly kind: 'outside'; readonly at: number }
  /** NOP's `no`, which the kernel never reads. */
  | { readonly kind: 'unused' }

/** One decoded op. */
export interface DisasmOp {
  readonly kind: 'op'
  readonly offset: number
  /** Bytes the op's header and operand occupy (its `yes` may skip more). */
  readonly length: number
  readonly code: number
  readonly op: OpName
  readonly operand: Operand
  /** Raw relative `yes` and `no`. */
  readonly yes: number
  readonly no: number
  readonly yesTo: Dest
  readonly noTo: Dest
  /** The operand in plain words, e.g. `local port >= 1024`. */
  readonly words: string
  /** Filter text the op was compiled from (needs `ops` and `source`). */
  readonly source?: string
  readonly span?: Span
}

/** Non-zero bytes that an op's `yes` steps over: never executed, shown so nothing is hidden. */
export interface DisasmData {
  readonly kind: 'data'
  readonly offset: number
  readonly bytes: Uint8Array
}

/** The point where decoding stopped, and why. Always the last line. */
export interface DisasmBad {
  readonly kind: 'bad'
  readonly offset: number
  readonly reason: string
}

/** One line of a listing. */
export type DisasmLine = DisasmOp | DisasmData | DisasmBad

/** Options of {@link disassemble}. */
export interface DisasmOptions {
  /** The assembler's op map: gives each op its source span. */
  readonly ops?: readonly AssembledOp[]
  /** The filter text the spans point into. */
  readonly source?: string
}

const OP_SIZE = inet_diag_bc_op.size
const HOSTCOND_SIZE = inet_diag_hostcond.size

/** Decode a program into lines. Never throws on any input bytes. */
export function disassemble(bytes: Uint8Array, opts: DisasmOptions = {}): DisasmLine[] {
  const L = bytes.length
  const view = new DataView(bytes.buffer, bytes.byteOffset, L)
  const byOffset = new Map<number, AssembledOp>()
  for (const op of opts.ops ?? []) byOffset.set(op.offset, op)
  // A yes edge onto end + 4 is shown as `reject` too; the audit is what refuses it.
  const dest = (abs: number): Dest =>
    abs === L ? { kind: 'accept' } : abs === L + 4 ? { kind: 'reject' } : abs < L ? { kind: 'op', at: abs } : { kind: 'outside', at: abs }

  const lines: DisasmLine[] = []
  if (L === 0) return [{ kind: 'bad', offset: 0, reason: 'empty program' }]
  let pos = 0
  while (pos < L) {
    const left = L - pos
    if (left < OP_SIZE) {
      lines.push({ kind: 'bad', offset: pos, reason: `truncated: ${left} byte${left === 1 ? '' : 's'} left, an op header needs ${OP_SIZE}` })
      break
    }
    const { code, yes, no } = inet_diag_bc_op.decode(view, pos)
    const info: OpcodeInfo | undefined = OPCODE_BY_CODE[code]
    if (info === undefined) {
      lines.push({ kind: 'bad', offset: pos, reason: `unknown opcode ${code}` })
      break
    }
    const decoded = decodeOperand(info, view, pos, left)
    if (typeof decoded === 'string') {
      lines.push({ kind: 'bad', offset: pos, reason: `${info.name}: ${decoded}` })
      break
    }
    const { operand, length } = decoded
    const src = byOffset.get(pos)
    const span = src?.span
    const source = span && opts.source !== undefined ? opts.source.slice(span.start, span.end).replace(/\s+/g, ' ') : undefined
    lines.push({
      kind: 'op', offset: pos, length, code, op: info.name, operand, yes, no,
      yesTo: dest(pos + yes),
      noTo: info.name === 'NOP' ? { kind: 'unused' } : dest(pos + no),
      words: describe(info.name, operand),
      ...(span ? { span } : {}),
      ...(source !== undefined ? { source } : {}),
    })
    if (yes < OP_SIZE || yes % 4 !== 0) {
      lines.push({ kind: 'bad', offset: pos, reason: `yes=${yes} does not step to a following op (it must be a multiple of 4, at least 4)` })
      break
    }
    if (yes > length) {
      const skipped = bytes.subarray(pos + length, Math.min(pos + yes, L))
      if (skipped.some((b) => b !== 0)) lines.push({ kind: 'data', offset: pos + length, bytes: skipped.slice() })
    }
    pos += yes
  }
  return lines
}

/** Operand and op length, or why it cannot be decoded. */
function decodeOperand(info: OpcodeInfo, view: DataView, pos: number, left: number): { operand: Operand; length: number } | string {
  const at = pos + OP_SIZE
  const need = (n: number): string | undefined => (left < n ? `truncated: needs ${n} bytes, ${left} left` : undefined)
  switch (info.operand) {
    case 'none':
      return { operand: { kind: 'none' }, length: OP_SIZE }
    case 'port': {
      const len = OP_SIZE + info.operandLen
      const short = need(len)
      if (short) return short
      return { operand: { kind: 'port', port: inet_diag_bc_op.decode(view, at).no }, length: len }
    }
    case 'hostcond': {
      let len = OP_SIZE + HOSTCOND_SIZE
      const short = need(len)
      if (short) return short
      const hc = inet_diag_hostcond.decode(view, at)
      const alen = hostcondAddrLen(hc.family)
      if (alen === undefined) return `address family ${hc.family} is not AF_UNSPEC (0), AF_INET (2) or AF_INET6 (10)`
      len += alen
      const short2 = need(len)
      if (short2) return short2
      if (hc.prefix_len > 8 * alen) return `prefix length ${hc.prefix_len} is longer than the address (${8 * alen} bits)`
      const a = at + HOSTCOND_SIZE
      const addr = new Uint8Array(view.buffer.slice(view.byteOffset + a, view.byteOffset + a + alen))
      return { operand: { kind: 'hostcond', family: hc.family, prefixLen: hc.prefix_len, port: hc.port, addr }, length: len }
    }
    case 'ifindex': {
      const len = OP_SIZE + info.operandLen
      const short = need(len)
      if (short) return short
      return { operand: { kind: 'ifindex', ifindex: view.getUint32(at, true) }, length: len }
    }
    case 'markcond': {
      const len = OP_SIZE + info.operandLen
      const short = need(len)
      if (short) return short
      const m = inet_diag_markcond.decode(view, at)
      return { operand: { kind: 'markcond', mark: m.mark, mask: m.mask }, length: len }
    }
    case 'cgroup': {
      const len = OP_SIZE + info.operandLen
      const short = need(len)
      if (short) return short
      return { operand: { kind: 'cgroup', id: view.getBigUint64(at, true) }, length: len }
    }
  }
}

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16)}`
const side = (op: OpName): 'local' | 'remote' => (op.startsWith('S_') ? 'local' : 'remote')
const CMP: Readonly<Partial<Record<OpName, string>>> = { S_GE: '>=', D_GE: '>=', S_LE: '<=', D_LE: '<=', S_EQ: '=', D_EQ: '=' }

/** The operand in plain words. {@link parseWords} reads these back. */
function describe(op: OpName, o: Operand): string {
  switch (o.kind) {
    case 'none':
      return op === 'AUTO' ? 'port not explicitly bound (autobound)' : op === 'JMP' ? 'always false: take no' : 'always true: take yes'
    case 'port':
      return `${side(op)} port ${CMP[op] ?? '?'} ${o.port}`
    case 'ifindex':
      return o.ifindex === 0 ? 'not bound to a device (ifindex 0)' : `bound to ifindex ${o.ifindex}`
    case 'markcond':
      return `mark & ${hex32(o.mask)} == ${hex32(o.mark)}`
    case 'cgroup':
      return `cgroup id ${o.id}`
    case 'hostcond': {
      const dir = side(op)
      if (o.family === 0) return o.port === -1 ? `any ${dir} address and port (any family)` : `${dir} port = ${o.port} (any family)`
      const text = formatAddr(o.addr)
      if (o.port === -1) return `${dir} address in ${text}/${o.prefixLen}, any port`
      return `${dir} ${o.family === 10 ? `[${text}]` : text}/${o.prefixLen} port ${o.port}`
    }
  }
}

function formatDest(d: Dest): string {
  switch (d.kind) {
    case 'op': return `@${d.at}`
    case 'accept': return 'accept'
    case 'reject': return 'reject'
    case 'outside': return `@${d.at}(outside)`
    case 'unused': return '(unused)'
  }
}

const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

/** Render lines as aligned text, one line per op; no trailing newline. */
export function formatDisasm(lines: readonly DisasmLine[]): string {
  const ops = lines.filter((l): l is DisasmOp => l.kind === 'op')
  const offW = Math.max(4, ...lines.map((l) => String(l.offset).length))
  const nameW = Math.max(6, ...ops.map((l) => l.op.length))
  const wordsW = Math.max(0, ...ops.map((l) => l.words.length))
  const yesW = Math.max(0, ...ops.map((l) => formatDest(l.yesTo).length))
  const noW = Math.max(0, ...ops.map((l) => formatDest(l.noTo).length))
  return lines
    .map((l) => {
      const off = String(l.offset).padStart(offW)
      switch (l.kind) {
        case 'data': {
          const words = hexBytes(l.bytes).match(/.{1,8}/g) ?? []
          return `${off}  ${'.data'.padEnd(nameW)}  ${words.join(' ')}`
        }
        case 'bad':
          return `${off}  ${'(bad)'.padEnd(nameW)}  ${l.reason}`
        case 'op': {
          const head = `${off}  ${l.op.padEnd(nameW)}  ${l.words.padEnd(wordsW)}  yes → ${formatDest(l.yesTo).padEnd(yesW)}  no → `
          return l.source !== undefined ? `${head}${formatDest(l.noTo).padEnd(noW)}  # ${l.source}` : `${head}${formatDest(l.noTo)}`
        }
      }
    })
    .join('\n')
}

/** A line read back from {@link formatDisasm} text. */
export type ParsedDisasmLine =
  | { readonly kind: 'op'; readonly offset: number; readonly op: OpName; readonly operand: Operand; readonly yesTo: Dest; readonly noTo: Dest; readonly source?: string }
  | DisasmData
  | DisasmBad

/** A line of disassembly text that does not have the shape {@link formatDisasm} writes. */
export class DisasmParseError extends Error {
  override readonly name = 'DisasmParseError'
  readonly code = 'E_DISASM_PARSE'
  constructor(
    /** 1-based line number. */
    readonly line: number,
    message: string,
  ) {
    super(message)
  }
}

const OP_LINE = /^\s*(\d+)  (\S+)\s{2,}(.*?)\s{2,}yes → (\S+)\s+no → (\S+)(?:\s{2,}# (.*))?$/
const OTHER_LINE = /^\s*(\d+)  (\.data|\(bad\))\s{2,}(.*)$/

/**
 * Read {@link formatDisasm} text back into opcodes, operands and targets
 * (for tests and for tools that keep listings). Throws
 * {@link DisasmParseError} on a line it does not recognise.
 */
export function parseDisasm(text: string): ParsedDisasmLine[] {
  const out: ParsedDisasmLine[] = []
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return
    const bad = (why: string): never => {
      throw new DisasmParseError(i + 1, `line ${i + 1}: ${why}: ${raw}`)
    }
    const other = OTHER_LINE.exec(raw)
    if (other) {
      const offset = Number(other[1])
      if (other[2] === '(bad)') out.push({ kind: 'bad', offset, reason: other[3]! })
      else out.push({ kind: 'data', offset, bytes: parseHex(other[3]!.replace(/ /g, '')) ?? bad('bad hex') })
      return
    }
    const m = OP_LINE.exec(raw) ?? bad('not an op line')
    const name = m[2]!
    if (!(name in OPCODES)) bad(`unknown op ${name}`)
    const op = name as OpName
    const operand = parseWords(op, m[3]!) ?? bad(`cannot read the operand of ${op}`)
    const yesTo = parseDest(m[4]!) ?? bad('bad yes target')
    const noTo = parseDest(m[5]!) ?? bad('bad no target')
    out.push({ kind: 'op', offset: Number(m[1]), op, operand, yesTo, noTo, ...(m[6] !== undefined ? { source: m[6] } : {}) })
  })
  return out
}

function parseDest(s: string): Dest | undefined {
  if (s === 'accept' || s === 'reject') return { kind: s }
  if (s === '(unused)') return { kind: 'unused' }
  const m = /^@(\d+)(\(outside\))?$/.exec(s)
  if (!m) return undefined
  return m[2] ? { kind: 'outside', at: Number(m[1]) } : { kind: 'op', at: Number(m[1]) }
}

/** Inverse of {@link describe}. */
function parseWords(op: OpName, w: string): Operand | undefined {
  const info = OPCODES[op]
  let m: RegExpExecArray | null
  switch (info.operand) {
    case 'none':
      return w === describe(op, { kind: 'none' }) ? { kind: 'none' } : undefined
    case 'port':
      m = /^(local|remote) port (>=|<=|=) (\d+)$/.exec(w)
      return m && m[1] === side(op) && m[2] === CMP[op] ? { kind: 'port', port: Number(m[3]) } : undefined
    case 'ifindex':
      m = /^(?:bound to ifindex (\d+)|not bound to a device \(ifindex 0\))$/.exec(w)
      return m ? { kind: 'ifindex', ifindex: Number(m[1] ?? 0) } : undefined
    case 'markcond':
      m = /^mark & 0x([0-9a-f]+) == 0x([0-9a-f]+)$/.exec(w)
      return m ? { kind: 'markcond', mark: parseInt(m[2]!, 16), mask: parseInt(m[1]!, 16) } : undefined
    case 'cgroup':
      m = /^cgroup id (\d+)$/.exec(w)
      return m ? { kind: 'cgroup', id: BigInt(m[1]!) } : undefined
    case 'hostcond': {
      const dir = side(op)
      if (w === `any ${dir} address and port (any family)`) return { kind: 'hostcond', family: 0, prefixLen: 0, port: -1, addr: new Uint8Array(0) }
      m = new RegExp(`^${dir} port = (-?\\d+) \\(any family\\)$`).exec(w)
      if (m) return { kind: 'hostcond', family: 0, prefixLen: 0, port: Number(m[1]), addr: new Uint8Array(0) }
      m = new RegExp(`^${dir} address in ([^/ ]+)/(\\d+), any port$`).exec(w)
      const m2 = m ? null : new RegExp(`^${dir} (\\[[^\\]]+\\]|[0-9.]+)/(\\d+) port (-?\\d+)$`).exec(w)
      const hit = m ?? m2
      if (!hit) return undefined
      const text = hit[1]!.replace(/^\[(.*)\]$/, '$1')
      const addr = parseAddr(text)
      if (!addr) return undefined
      return { kind: 'hostcond', family: addr.length === 16 ? 10 : 2, prefixLen: Number(hit[2]), port: m ? -1 : Number(hit[3]), addr }
    }
  }
}

function parseHex(s: string): Uint8Array | undefined {
  if (!/^([0-9a-f]{2})*$/.test(s)) return undefined
  return Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16))
}

/** An address in its usual text form: dotted quad, or RFC 5952 IPv6 (with `::ffff:a.b.c.d` for v4-mapped). */
export function formatAddr(a: Uint8Array): string {
  if (a.length === 4) return Array.from(a).join('.')
  if (a.length !== 16) return hexBytes(a)
  const mapped = a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff
  if (mapped) return `::ffff:${Array.from(a.subarray(12)).join('.')}`
  const groups = Array.from({ length: 8 }, (_, i) => (a[2 * i]! << 8) | a[2 * i + 1]!)
  // The longest run of two or more zero groups (the first one on a tie) becomes `::`.
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen) { best = i; bestLen = j - i }
    i = j
  }
  const hx = (g: number[]): string => g.map((x) => x.toString(16)).join(':')
  if (best < 0) return hx(groups)
  return `${hx(groups.slice(0, best))}::${hx(groups.slice(best + bestLen))}`
}

/** Inverse of {@link formatAddr}; undefined when the text is not an address. */
export function parseAddr(s: string): Uint8Array | undefined {
  return parseAddressText(s)
}
