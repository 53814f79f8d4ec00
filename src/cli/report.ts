/**
 * Renders typed errors for the terminal, rustc-style, and picks ss's exit
 * codes: 255 for usage and syntax errors, 1 for values that cannot be
 * parsed or resolved. This is the only place errors become text.
 */
import { FilterError, FilterSyntaxError } from '../../grammar/errors.js'
import type { Span } from '../../grammar/ast.js'

/** Exit codes shared with ss. */
export const EXIT = { ok: 0, value: 1, usage: 255 } as const

/**
 * Show `text` with a caret line under `span` (clamped to the text; an empty
 * span at the end points one past the last character).
 */
export function caret(text: string, span: Span): string {
  // Point into the line that holds the span (the -F part of a filter has newlines).
  const lineStart = text.lastIndexOf('\n', Math.max(0, span.start - 1)) + 1
  const nl = text.indexOf('\n', span.start)
  const lineEnd = nl === -1 ? text.length : nl
  const line = text.slice(lineStart, lineEnd)
  const from = Math.max(0, span.start - lineStart)
  const width = Math.max(1, Math.min(span.end, lineEnd) - span.start)
  return `  ${line}\n  ${' '.repeat(from)}${'^'.repeat(width)}`
}

/** Format a filter error (with its caret when it has a span and the text is known). */
export function formatFilterError(prog: string, err: FilterError | FilterSyntaxError, text?: string): string {
  const lines = [`${prog}: error: ${err.message}`]
  if (err.span && text !== undefined && text.length > 0) lines.push(caret(text, err.span))
  for (const n of err.notes) lines.push(`  note: ${n}`)
  return lines.join('\n') + '\n'
}

/** Exit code for an error thrown while compiling a filter. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof FilterSyntaxError) return EXIT.usage
  if (err instanceof FilterError) return EXIT.value
  return EXIT.usage
}
