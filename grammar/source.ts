/**
 * The filter's display text and ss's `-F FILE` line rules. Every token and
 * AST node points into {@link FilterSource.text} with a half-open span, so a
 * message can print the text with a caret under the culprit.
 */
import { FilterSyntaxError } from './errors.js'

/** One piece of input the tokenizer reads: an argv word or a kept file line, with its place in the text. */
export interface SourcePiece {
  /** The raw text (escapes not yet removed). */
  readonly text: string
  /** Offset of `text` in {@link FilterSource.text}. */
  readonly offset: number
  /** Where it came from. */
  readonly origin: 'word' | 'file'
}

/** The text a filter was parsed from, and the pieces ss's lexer reads in order. */
export interface FilterSource {
  /** Argv words joined by single spaces, then (after a newline) the file's kept lines, one per line. */
  readonly text: string
  readonly pieces: readonly SourcePiece[]
  /**
   * A bad `-F` line after the kept ones. ss meets it only when its lexer
   * reads that far, so the lexer raises it after the last token before it.
   */
  readonly fileError?: FilterSyntaxError
}

/** A line of a `-F` file that ss keeps (comments and ss's `0`-lines are dropped). */
export interface FilterFileLine {
  /** 1-based line number in the file, for messages. */
  readonly line: number
  /** The line without its `\n` (a `\r` stays, as in ss). */
  readonly text: string
}

/**
 * ss reads the file with `fgets` into a 1024-byte buffer: a chunk of 1023
 * bytes (the newline counts) is refused.
 */
const LINE_BUFFER = 1024

/**
 * Apply ss's `-F` line rules to a file's text (read as latin1, one char per
 * byte): a line whose first character is `#` is skipped, and so is one that
 * starts with the digit `0` (ss compares with `'0'` where `'\0'` was meant;
 * kept on purpose); the `\n` is stripped but not a `\r`; a line of ≥1023
 * bytes including its newline fails with `Too long line in filter`; a line
 * whose first byte is NUL fails with `Invalid line`. A NUL later in a line
 * ends it (C string).
 * @throws FilterSyntaxError (ss exits 255 for `-F` problems)
 */
export function splitFilterFile(text: string): FilterFileLine[] {
  const { lines, error } = readFilterLines(text)
  if (error) throw error
  return lines
}

/** The kept lines up to the first bad one, and the error for that one. */
function readFilterLines(text: string): { lines: FilterFileLine[]; error?: FilterSyntaxError } {
  const lines: FilterFileLine[] = []
  let pos = 0
  let lineNo = 0
  while (pos < text.length) {
    lineNo++
    const nl = text.indexOf('\n', pos)
    const end = nl === -1 ? text.length : nl + 1
    const chunk = text.slice(pos, end)
    pos = end
    if (chunk.length >= LINE_BUFFER - 1) {
      return { lines, error: new FilterSyntaxError('E_FILE_LINE_TOO_LONG', 'Too long line in filter', undefined, [`line ${lineNo} of the filter file has ${chunk.length} bytes; ss reads at most ${LINE_BUFFER - 2} per line`]) }
    }
    const nul = chunk.indexOf('\0')
    const cstr = nul === -1 ? chunk : chunk.slice(0, nul)
    if (cstr.length === 0) {
      return { lines, error: new FilterSyntaxError('E_FILE_INVALID_LINE', 'Invalid line', undefined, [`line ${lineNo} of the filter file starts with a NUL byte`]) }
    }
    const body = cstr.endsWith('\n') ? cstr.slice(0, -1) : cstr
    if (body.startsWith('#') || body.startsWith('0')) continue
    lines.push({ line: lineNo, text: body })
  }
  return { lines }
}

/**
 * Build the display text and the ordered pieces: argv words first, then the
 * file's kept lines (ss's lexer reads the file only when the words are used up).
 */
export function buildSource(words: readonly string[], file?: string): FilterSource {
  const pieces: SourcePiece[] = []
  let text = ''
  words.forEach((w, i) => {
    if (i > 0) text += ' '
    pieces.push({ text: w, offset: text.length, origin: 'word' })
    text += w
  })
  let fileError: FilterSyntaxError | undefined
  if (file !== undefined) {
    const read = readFilterLines(file)
    fileError = read.error
    for (const line of read.lines) {
      if (text.length > 0 || pieces.length > 0) text += '\n'
      pieces.push({ text: line.text, offset: text.length, origin: 'file' })
      text += line.text
    }
  }
  return fileError ? { text, pieces, fileError } : { text, pieces }
}
