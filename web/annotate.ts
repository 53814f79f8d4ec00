/**
 * Every byte of a program with the field it belongs to and what it means:
 * the op header (`struct inet_diag_bc_op`), then the operand laid out by the
 * opcode table's operand kind, using the uapi struct tables for offsets and
 * sizes. Pure; the playground shows it as a table.
 */
import type { DisasmLine } from '../compiler/disasm.js'
import { formatAddr } from '../compiler/disasm.js'
import { OPCODES } from '../uapi/inet-diag-bc.js'
import { inet_diag_bc_op, inet_diag_hostcond, inet_diag_markcond } from '../uapi/inet-diag.js'
import { kindSize, type FieldSpec } from '../uapi/struct.js'

/** A run of bytes forming one field. */
export interface ByteField {
  readonly offset: number
  readonly bytes: Uint8Array
  /** The op this field belongs to, e.g. `@20 D_COND`. */
  readonly op: string
  /** Field name, in the kernel's spelling where it has one. */
  readonly field: string
  /** The value in words. */
  readonly meaning: string
}

/** Bytes as lowercase hex pairs separated by spaces (`07 10 14 00`). */
export const hexBytes = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ')

/** Split a disassembled program into annotated fields (bytes after a `bad` line are one last field). */
export function annotateBytes(bytes: Uint8Array, lines: readonly DisasmLine[]): ByteField[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const out: ByteField[] = []
  const L = bytes.length
  const where = (abs: number): string => (abs === L ? 'accept' : abs === L + 4 ? 'reject' : `@${abs}`)
  const push = (offset: number, size: number, op: string, field: string, meaning: string): void => {
    out.push({ offset, bytes: bytes.slice(offset, offset + size), op, field, meaning })
  }
  /** Walk a struct table's fields from `at`. */
  const fields = (at: number, spec: readonly FieldSpec[], op: string, meaning: (f: FieldSpec, at: number) => string, prefix = ''): number => {
    for (const f of spec) {
      const n = kindSize(f.kind)
      push(at, n, op, prefix + f.name, meaning(f, at))
      at += n
    }
    return at
  }
  let covered = 0
  for (const l of lines) {
    if (l.kind === 'bad') {
      if (l.offset < L) push(l.offset, L - l.offset, `@${l.offset}`, '(bad)', l.reason)
      covered = L
      break
    }
    if (l.kind === 'data') continue
    const tag = `@${l.offset} ${l.op}`
    const p = l.offset
    fields(p, inet_diag_bc_op.fields, tag, (f) => {
      if (f.name === 'code') return `${l.code} = ${l.op}: ${OPCODES[l.op].meaning}`
      if (f.name === 'yes') return l.op === 'JMP' ? `${l.yes} (never taken: JMP is always false)` : `${l.yes}: if true go to ${where(p + l.yes)}`
      return l.op === 'NOP' ? `${l.no} (never read)` : `${l.no}: if false go to ${where(p + l.no)}`
    })
    let at = p + inet_diag_bc_op.size
    switch (l.operand.kind) {
      case 'port': {
        // The port is the `no` field of a second op header that is never executed.
        const port = l.operand.port
        at = fields(at, inet_diag_bc_op.fields, tag, (f) => (f.name === 'no' ? `port ${port}` : 'unused (second header)'), 'op[1].')
        break
      }
      case 'hostcond': {
        const o = l.operand
        at = fields(at, inet_diag_hostcond.fields, tag, (f) => {
          switch (f.name) {
            case 'family': return o.family === 0 ? 'AF_UNSPEC: no address test' : o.family === 2 ? 'AF_INET' : o.family === 10 ? 'AF_INET6' : String(o.family)
            case 'prefix_len': return `${o.prefixLen} bits compared`
            case 'port': return o.port === -1 ? 'any port (-1)' : `port ${o.port}`
            default: return 'padding'
          }
        }, 'hc.')
        if (o.addr.length) {
          push(at, o.addr.length, tag, 'hc.addr', formatAddr(o.addr))
          at += o.addr.length
        }
        break
      }
      case 'ifindex':
        push(at, 4, tag, 'ifindex', l.operand.ifindex === 0 ? '0: not bound to a device' : `interface ${l.operand.ifindex}`)
        at += 4
        break
      case 'markcond': {
        const o = l.operand
        at = fields(at, inet_diag_markcond.fields, tag, (f) => `0x${((f.name === 'mark' ? o.mark : o.mask) >>> 0).toString(16)}`, 'mc.')
        break
      }
      case 'cgroup':
        push(at, 8, tag, 'cgroup_id', String(l.operand.id))
        at += 8
        break
      case 'none':
        break
    }
    const end = Math.min(p + l.yes, L)
    if (end > at) push(at, end - at, tag, '(skipped)', 'bytes the op\'s yes steps over (ss gives AF_UNSPEC conditions 4 address bytes)')
    covered = Math.max(covered, end)
  }
  if (covered < L) push(covered, L - covered, '', '(unreached)', 'bytes no op covers')
  return out
}
