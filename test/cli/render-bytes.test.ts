/**
 * The renderer keeps tokens as bytes and renders into a reused buffer
 * (bench/RESULTS.md). Property: its output equals that of the plain string
 * renderer it replaced, kept here as the reference, for arbitrary rows,
 * column sets, screen widths, batch sizes (tiny chunks force many render
 * passes), write sizes and `-E` flushes.
 */
import t from 'tap'
import fc from 'fast-check'
import { COLUMN_COUNT, COLUMNS, COL, Renderer, TokenChunks, columnVisibility, columnWidths, type RenderOptions, type RowTokens } from '../../src/cli/render.js'

/** The string renderer of 5c95d21, shortened: same rules, tokens as strings. */
class ReferenceRenderer {
  private readonly cols: number[]
  private readonly maxLen = new Array<number>(COLUMN_COUNT).fill(0)
  private tokens: string[] = []
  private pending = -1
  private readonly buffer: TokenChunks
  private readonly maxChunks: number
  private readonly extEnabled: boolean
  out = ''

  constructor(private readonly o: RenderOptions) {
    this.cols = [...Array(COL.PROC + 1).keys()].filter((c) => o.enabled[c])
    this.extEnabled = o.enabled[COL.EXT] ?? false
    this.buffer = new TokenChunks(o.chunkBytes)
    this.maxChunks = o.maxChunks ?? 5
    if (o.header) for (const c of this.cols) this.push(c, COLUMNS[c]!.header, true)
  }

  private push(c: number, text: string, complete: boolean): void {
    const stored = this.buffer.write(text.length)
    if (stored < text.length) text = text.slice(0, stored)
    this.tokens.push(text)
    if (complete) {
      if (text.length > this.maxLen[c]!) this.maxLen[c] = text.length
      this.buffer.flush()
    }
  }

  row(tokens: RowTokens): void {
    if (this.tokens.length > 0) {
      if (this.pending >= 0) {
        if (this.pending > this.maxLen[COL.PROC]!) this.maxLen[COL.PROC] = this.pending
        this.buffer.flush()
        this.pending = -1
      }
      if (this.buffer.chunks >= this.maxChunks) this.render()
      else if (this.extEnabled) this.buffer.flush()
    }
    for (const c of this.cols) {
      this.push(c, tokens[c] ?? '', c !== COL.PROC)
      if (c === COL.PROC) this.pending = this.tokens[this.tokens.length - 1]!.length
    }
  }

  end(): void {
    this.pending = -1
    this.render()
  }

  private render(): void {
    if (this.tokens.length === 0) return
    const width = columnWidths(this.maxLen, this.o.enabled, this.o.screenWidth)
    let f = 0
    while (f < COLUMN_COUNT && width[f] === 0) f++
    if (f === COLUMN_COUNT) f = this.cols[0] ?? 0
    let started = false
    for (const text of this.tokens) {
      const col = COLUMNS[f]!
      const w = width[f]!
      let printed = 0
      if (started) {
        this.out += col.delim
        printed = col.delim.length
      }
      started = true
      if (w > 0 && col.right && w - text.length - printed > 0) {
        this.out += ' '.repeat(w - text.length - printed)
        printed = w - text.length
      }
      this.out += text
      printed += text.length
      if (w > 0 && !col.right && w - printed > 0) this.out += ' '.repeat(w - printed)
      do {
        if (f >= COL.PROC) {
          this.out += '\n'
          f = 0
          started = false
        } else f++
      } while (!this.o.enabled[f])
    }
    if (started) this.out += '\n'
    this.tokens = []
    this.buffer.reset()
  }
}

/** Binary-string tokens: mostly short, some past the byte-copy threshold, a few very long. */
const token = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: fc.constantFrom('a', '0', ':', '.', '[', ']', '*', ' ', '\t', '\n', '\xe9', '\xff'), maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom('x', '\xa0', ','), minLength: 20, maxLength: 90 }) },
  { weight: 1, arbitrary: fc.nat(3000).map((n) => 'p'.repeat(n)) },
)
const row = fc.array(fc.option(token, { nil: undefined }), { minLength: COL.PROC + 1, maxLength: COL.PROC + 1 })
const step = fc.oneof({ weight: 12, arbitrary: row.map((r) => ({ row: r })) }, { weight: 1, arbitrary: fc.constant({ flush: true as const }) })

t.test('the byte renderer prints what the string renderer printed', async (t) => {
  fc.assert(fc.property(
    fc.record({
      tables: fc.constantFrom(1, 3, 0x7f), states: fc.constantFrom(1 << 10, 0xfff), hideQueues: fc.boolean(),
      header: fc.boolean(),
      screenWidth: fc.option(fc.integer({ min: 1, max: 220 }), { nil: undefined }),
      chunkBytes: fc.option(fc.integer({ min: 16 + 64, max: 16 + 4096 }), { nil: undefined }),
      maxChunks: fc.integer({ min: 1, max: 5 }),
      writeBytes: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
      steps: fc.array(step, { maxLength: 60 }),
    }),
    (o) => {
      const enabled = columnVisibility({ tables: o.tables, states: o.states, hideQueues: o.hideQueues })
      let got = ''
      const base = {
        enabled, header: o.header, maxChunks: o.maxChunks,
        ...(o.screenWidth !== undefined ? { screenWidth: o.screenWidth } : {}),
        ...(o.chunkBytes !== undefined ? { chunkBytes: o.chunkBytes } : {}),
      }
      const r = new Renderer({ ...base, ...(o.writeBytes !== undefined ? { writeBytes: o.writeBytes } : {}), write: (c) => { got += c } })
      const ref = new ReferenceRenderer({ ...base, write: () => {} })
      for (const s of o.steps) {
        if ('flush' in s) {
          r.flush()
          ref.end()
        } else {
          r.row(s.row)
          ref.row(s.row)
        }
      }
      r.end()
      ref.end()
      return got === ref.out
    },
  ), { numRuns: 1000 })
  t.pass('1000 runs')
})
