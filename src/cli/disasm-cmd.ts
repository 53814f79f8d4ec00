/**
 * `ssx disasm HEX…`: disassemble raw inet_diag bytecode given as hex (words
 * may be separated by spaces, `\x` escapes as strace prints them are
 * accepted) or on standard input.
 */
import { disassemble, formatDisasm } from '../../compiler/disasm.js'
import { audit } from '../../compiler/audit.js'
import type { CommandResult } from './compile.js'
import { EXIT } from './report.js'

/** Parse hex text as strace or `ssx compile --format hex` print it. */
export function parseHex(text: string): Uint8Array | string {
  const clean = text.replace(/\\x/g, '').replace(/0x/gi, '').replace(/[\s"',:]/g, '')
  if (clean.length === 0) return 'no bytecode given'
  if (!/^[0-9a-fA-F]*$/.test(clean)) return `not hexadecimal: "${clean.match(/[^0-9a-fA-F]/)![0]}" at character ${clean.search(/[^0-9a-fA-F]/) + 1}`
  if (clean.length % 2 !== 0) return `odd number of hex digits (${clean.length})`
  return new Uint8Array(Buffer.from(clean, 'hex'))
}

/** Run `ssx disasm`. */
export function runDisasm(args: readonly string[], stdin: () => string): CommandResult {
  const text = args.length > 0 ? args.join(' ') : stdin()
  const bytes = parseHex(text)
  if (typeof bytes === 'string') return { exitCode: EXIT.usage, stdout: '', stderr: `ssx disasm: ${bytes}\n` }
  const out = formatDisasm(disassemble(bytes))
  const verdict = audit(bytes, { netAdmin: true })
  const note = verdict.ok ? `; ${bytes.length} bytes, accepted by the kernel's audit\n` : `; ${bytes.length} bytes, REJECTED by the kernel's audit (${verdict.errno} at ${verdict.offset}: ${verdict.reason})\n`
  return { exitCode: verdict.ok ? EXIT.ok : EXIT.value, stdout: (out.endsWith('\n') ? out : out + '\n') + note, stderr: '' }
}
