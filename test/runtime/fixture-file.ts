/**
 * Reading and writing the captured-reply fixtures in test/fixtures/sock-diag/.
 *
 * Format (text, one file per capture):
 *   `# …`              comment (ignored)
 *   `# manifest: {…}`  the zoo manifest at capture time (JSON on one line)
 *   `== datagram N`    starts a datagram; the hex lines that follow are its bytes
 *   hex lines          whitespace between bytes/words is ignored
 *
 * The parser is independent of the runtime so that fixtures test it.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** A parsed fixture. */
export interface Fixture {
  readonly datagrams: Uint8Array[]
  readonly manifest: unknown
  readonly comments: string[]
}

/** Absolute path of a fixture by file name. */
export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/sock-diag/${name}`, import.meta.url))
}

/** Parse fixture text. */
export function parseFixture(text: string): Fixture {
  const datagrams: Uint8Array[] = []
  const comments: string[] = []
  let manifest: unknown = null
  let hex: string | null = null
  const flush = (): void => {
    if (hex !== null) datagrams.push(Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)))
    hex = null
  }
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '') continue
    if (line.startsWith('# manifest: ')) manifest = JSON.parse(line.slice('# manifest: '.length))
    else if (line.startsWith('#')) comments.push(line)
    else if (line.startsWith('==')) {
      flush()
      hex = ''
    } else {
      if (hex === null) throw new Error(`hex outside a datagram: ${line}`)
      if (!/^[0-9a-fA-F\s]+$/.test(line)) throw new Error(`not hex: ${line}`)
      hex += line.replace(/\s+/g, '')
    }
  }
  flush()
  return { datagrams, manifest, comments }
}

/** Load a fixture by file name. */
export function loadFixture(name: string): Fixture {
  return parseFixture(readFileSync(fixturePath(name), 'utf8'))
}

/** Hex rows of 16 bytes, grouped in 4-byte words. */
export function hexRows(b: Uint8Array): string[] {
  const rows: string[] = []
  for (let i = 0; i < b.length; i += 16) {
    const words: string[] = []
    for (let j = i; j < Math.min(i + 16, b.length); j += 4) words.push(Array.from(b.subarray(j, Math.min(j + 4, b.length)), (x) => x.toString(16).padStart(2, '0')).join(''))
    rows.push(words.join(' '))
  }
  return rows
}
