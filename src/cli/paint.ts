/**
 * Colour for explanations: ANSI escapes on a terminal, nothing otherwise.
 * Renderers take a {@link Paint} so the same code writes plain text for
 * pipes, golden files and the web playground.
 */

/** How each kind of text is shown. */
export interface Paint {
  readonly heading: (s: string) => string
  readonly op: (s: string) => string
  readonly accept: (s: string) => string
  readonly reject: (s: string) => string
  readonly dim: (s: string) => string
  readonly warn: (s: string) => string
}

const id = (s: string): string => s

/** No colour. */
export const PLAIN: Paint = { heading: id, op: id, accept: id, reject: id, dim: id, warn: id }

const sgr = (code: string) => (s: string): string => (s === '' ? s : `\x1b[${code}m${s}\x1b[0m`)

/** ANSI SGR colours (bold headings, cyan opcodes, green accept, red reject, grey source, yellow warnings). */
export const ANSI: Paint = { heading: sgr('1'), op: sgr('36'), accept: sgr('32'), reject: sgr('31'), dim: sgr('2'), warn: sgr('33') }
