/**
 * ss's table renderer (ss-behavior §8.4), streaming: rows of column tokens
 * go in, text comes out through a `write(chunk)` callback in large chunks.
 *
 * Widths are computed per render batch from every token seen so far, the
 * way ss 6.1 does it:
 * - a column's `maxLen` grows when one of its tokens is *completed* (ss
 *   flushes a token when it moves on to the next field), and is never reset
 *   between batches;
 * - the Process token of the last row of the final batch is still being
 *   written when ss renders, so it does not count (its extras may overflow);
 * - a batch is rendered when ss's token buffer has reached five 1 MiB
 *   chunks and a new row starts; then every token of the batch counts.
 *   The buffer's byte accounting is reproduced by {@link TokenChunks}.
 *
 * Token text is a binary string (one char per byte, as read with latin1),
 * so lengths are byte counts like ss's; write the chunks with `'latin1'`.
 */

/** Column ids, in ss's order. 6.1 has an always-empty `EXT` column after Process. */
export const COL = {
  NETID: 0,
  STATE: 1,
  RECVQ: 2,
  SENDQ: 3,
  ADDR: 4,
  SERV: 5,
  RADDR: 6,
  RSERV: 7,
  PROC: 8,
  EXT: 9,
} as const

/** Number of columns. */
export const COLUMN_COUNT = 10

/** Header text, alignment and left delimiter of each column (ss's `columns[]`). */
export const COLUMNS: readonly { readonly header: string; readonly right: boolean; readonly delim: string }[] = [
  { header: 'Netid', right: false, delim: '' },
  { header: 'State', right: false, delim: ' ' },
  { header: 'Recv-Q', right: false, delim: ' ' },
  { header: 'Send-Q', right: false, delim: ' ' },
  { header: 'Local Address:', right: true, delim: ' ' },
  { header: 'Port', right: false, delim: '' },
  { header: 'Peer Address:', right: true, delim: ' ' },
  { header: 'Port', right: false, delim: '' },
  { header: 'Process', right: false, delim: '' },
  { header: '', right: false, delim: '' },
]

/**
 * The tokens of one row, indexed by {@link COL} (`NETID`…`PROC`). Entries of
 * disabled columns are ignored; a missing entry is an empty token.
 */
export type RowTokens = readonly (string | undefined)[]

/** What decides which columns are shown. */
export interface VisibilityInput {
  /** Table bitmask (`1 << TABLE[name]`, compiler/select.ts). */
  readonly tables: number
  /** State bitmask. */
  readonly states: number
  /** `-Q` (upstream 6.9, an ssx addition to 6.1): hide Recv-Q and Send-Q. */
  readonly hideQueues?: boolean
}

const oneBit = (mask: number): boolean => mask !== 0 && (mask & (mask - 1)) === 0

/**
 * Enabled flag per column: Netid hidden iff exactly one table, State hidden
 * iff exactly one state; Process always shown (6.1); EXT enabled but always
 * empty in 6.1.
 */
export function columnVisibility(input: VisibilityInput): boolean[] {
  const on = new Array<boolean>(COLUMN_COUNT).fill(true)
  if (oneBit(input.tables >>> 0)) on[COL.NETID] = false
  if (oneBit(input.states >>> 0)) on[COL.STATE] = false
  if (input.hideQueues) on[COL.RECVQ] = on[COL.SENDQ] = false
  return on
}

/** Options of a {@link Renderer}. */
export interface RenderOptions {
  /** Enabled flag per column ({@link columnVisibility}). */
  readonly enabled: readonly boolean[]
  /** Print the header (false with `-H`). */
  readonly header: boolean
  /** Terminal width when stdout is a tty (TIOCGWINSZ, > 0); undefined for compact output. */
  readonly screenWidth?: number
  /** Receives the rendered text in large chunks (binary strings: write as latin1). */
  readonly write: (chunk: string) => void
  /**
   * Receives the rendered bytes instead of {@link RenderOptions.write},
   * when given: valid only during the call (the buffer is reused), and no
   * string is made of them.
   */
  readonly writeRaw?: (chunk: Uint8Array) => void
  /** Chunk size the token buffer is counted in (ss: 1 MiB); tests make it small. */
  readonly chunkBytes?: number
  /** Render when this many chunks are in use at a row start (ss: 5). */
  readonly maxChunks?: number
  /** Output is handed to `write` when this many characters are pending (default 64 KiB). */
  readonly writeBytes?: number
}

/** ss's `BUF_CHUNK`. */
const BUF_CHUNK = 1024 * 1024
/** ss's `BUF_CHUNKS_MAX`. */
const BUF_CHUNKS_MAX = 5
/** `struct buf_chunk` header (next and end pointers) in front of the data area, on 64-bit. */
const CHUNK_HEADER = 16
/** `struct buf_token` length field. */
const LEN_FIELD = 2
/** A token is cut at `USHRT_MAX` bytes. */
const MAX_TOKEN = 0xffff

/**
 * Byte accounting of ss's token buffer: how many chunks the tokens seen so
 * far occupy. Tokens are 2-byte-aligned and preceded by a 2-byte length; a
 * token that does not fit (with room for vsnprintf's NUL) moves whole into a
 * new chunk; a flush that leaves no room for the next length field opens a
 * new chunk.
 */
export class TokenChunks {
  /** Chunks allocated (ss's `buffer.chunks`). */
  chunks = 0
  private end = 0
  private curLen = 0
  private readonly cap: number

  constructor(chunkBytes = BUF_CHUNK) {
    this.cap = chunkBytes - CHUNK_HEADER
  }

  private open(): void {
    this.chunks++
    this.end = LEN_FIELD
    this.curLen = 0
  }

  /**
   * Append `len` bytes to the current token (one `out()`); returns the
   * length actually stored (a token is cut at 65535 bytes, or at the chunk
   * size when it starts a chunk).
   */
  write(len: number): number {
    if (this.chunks === 0) this.open()
    len = Math.min(len, MAX_TOKEN - this.curLen)
    if (len === 0) return 0
    const first = this.end - this.curLen === LEN_FIELD
    if (!(len < this.cap - this.end) && !first) {
      const moved = this.curLen
      this.open()
      this.end += moved
      this.curLen = moved
    }
    const stored = Math.min(len, this.cap - this.end)
    this.end += stored
    this.curLen += stored
    return stored
  }

  /**
   * A whole token at once: {@link TokenChunks.write} then
   * {@link TokenChunks.flush}, with the common case (a short token that fits
   * the current chunk) done in a few steps. Returns the stored length.
   */
  token(len: number): number {
    if (this.curLen === 0 && this.chunks !== 0 && len <= MAX_TOKEN && len < this.cap - this.end) {
      const end = this.end + len
      if (this.cap - end - (len & 1) < LEN_FIELD) this.open()
      else this.end = end + (len & 1) + LEN_FIELD
      return len
    }
    const stored = this.write(len)
    this.flush()
    return stored
  }

  /** Complete the current token (`field_flush`). */
  flush(): void {
    if (this.chunks === 0) this.open()
    const pad = this.curLen % 2
    if (this.cap - this.end - pad < LEN_FIELD) {
      this.open()
      return
    }
    this.end += pad + LEN_FIELD
    this.curLen = 0
  }

  /** Forget everything (`buf_free_all`). */
  reset(): void {
    this.chunks = 0
    this.end = 0
    this.curLen = 0
  }
}

/**
 * Column widths for one render (ss's `render_calc_width`): each column's
 * `maxLen` plus its delimiter unless it is the first non-empty column,
 * capped at the screen; on a tty, columns are packed into screen lines and
 * each line's leftover space is spread evenly, the remainder going one
 * each to the rightmost columns of the line.
 * @param maxLen per column; disabled columns must be 0 and flagged in `enabled`
 */
export function columnWidths(maxLen: ArrayLike<number>, enabled: readonly boolean[], screenWidth?: number): number[] {
  const screen = screenWidth !== undefined && screenWidth > 0 ? screenWidth : Infinity
  const width = new Array<number>(COLUMN_COUNT).fill(0)
  let first = true
  for (let c = 0; c < COLUMN_COUNT; c++) {
    if (!enabled[c]) continue
    const m = maxLen[c] ?? 0
    width[c] = Math.min(!first && m > 0 ? m + COLUMNS[c]!.delim.length : m, screen)
    if (width[c]! > 0) first = false
  }
  if (screen === Infinity) return width

  let len = 0
  let lineCols = 0
  let eol = -1
  for (let c = 0; c < COLUMN_COUNT; c++) {
    if (width[c] === 0) continue
    lineCols++
    len += width[c]!
    let last = true
    for (let t = c + 1; t < COLUMN_COUNT; t++) {
      if (width[t]! > 0) {
        last = false
        break
      }
    }
    if (!last && len < screen) continue
    if (len !== screen) {
      if (len > screen) {
        // This column starts the next line; it is visited again.
        len -= width[c]!
        c--
        lineCols--
      }
      const pad = screen - len
      const spacing = Math.floor(pad / lineCols)
      let rem = pad % lineCols
      for (let t = c; t > eol; t--) {
        if (width[t] === 0) continue
        width[t]! += spacing
        if (rem > 0) {
          width[t]!++
          rem--
        }
      }
    }
    eol = c
    len = 0
    lineCols = 0
  }
  return width
}

/** A space, for padding. */
const SPACE = 0x20
/** A newline. */
const NEWLINE = 0x0a
/** Tokens shorter than this are copied byte by byte: cheaper than a `Buffer.write` call. */
const SHORT_TOKEN = 24

/** Delimiter length and right alignment per column, as numbers for the render loop. */
const DELIM = Int8Array.from(COLUMNS, (c) => c.delim.length)
const RIGHT = Int8Array.from(COLUMNS, (c) => (c.right ? 1 : 0))

/**
 * Where the render loop goes after a token of each column: the next enabled
 * column, wrapping after Process (or after the last column) with a newline.
 */
function columnSteps(enabled: readonly boolean[]): { next: Int8Array, newlines: Int8Array } {
  const next = new Int8Array(COLUMN_COUNT)
  const newlines = new Int8Array(COLUMN_COUNT)
  if (!enabled.some((on, c) => on && c <= COL.PROC)) return { next, newlines: newlines.fill(1) }
  for (let from = 0; from < COLUMN_COUNT; from++) {
    let f = from
    do {
      if (f >= COL.PROC) {
        newlines[from]!++
        f = 0
      } else f++
    } while (!enabled[f])
    next[from] = f
  }
  return { next, newlines }
}

/**
 * The streaming renderer. Call {@link Renderer.row} per socket and
 * {@link Renderer.end} once; for `-E` call {@link Renderer.flush} after each
 * event (a render pass of its own, widths only grow).
 *
 * A batch's tokens are kept as bytes in one reused buffer with their
 * lengths beside them, and rendered into one reused output buffer, the way
 * ss keeps its token chunks: a batch is up to ~5 MiB of text, and kept as
 * strings it survived into V8's old generation (GC time and peak RSS).
 */
export class Renderer {
  private readonly enabled: readonly boolean[]
  /** Enabled columns up to Process, in order: a row's tokens. */
  private readonly cols: readonly number[]
  private readonly maxLen = new Int32Array(COLUMN_COUNT)
  /** Token bytes of the current batch, `cols.length` tokens per row (the empty EXT token is implicit). */
  private tok: Buffer = Buffer.allocUnsafe(1 << 16)
  private tokEnd = 0
  /** Length of each token of the batch. */
  private lens = new Int32Array(1 << 12)
  private count = 0
  /** Length of the previous row's Process token, not yet counted. */
  private pending = -1
  private readonly buffer: TokenChunks
  private readonly maxChunks: number
  private readonly writeBytes: number
  private out: Buffer
  private outLen = 0
  private readonly extEnabled: boolean
  /** Per column: the column of the next token, and the newlines printed before it. */
  private readonly steps: { readonly next: Int8Array, readonly newlines: Int8Array }

  constructor(private readonly options: RenderOptions) {
    this.enabled = options.enabled
    this.cols = [...Array(COL.PROC + 1).keys()].filter((c) => options.enabled[c])
    this.extEnabled = options.enabled[COL.EXT] ?? false
    this.steps = columnSteps(options.enabled)
    this.buffer = new TokenChunks(options.chunkBytes)
    this.maxChunks = options.maxChunks ?? BUF_CHUNKS_MAX
    this.writeBytes = options.writeBytes ?? 65536
    // Kept full of spaces beyond what is pending: padding and delimiters are skipped over, not written.
    this.out = Buffer.alloc(Math.min(this.writeBytes, 1 << 20) + 1024, SPACE)
    if (options.header) {
      // ss's print_header writes every column but the last and moves on,
      // completing them all (Process included).
      for (const c of this.cols) this.push(c, COLUMNS[c]!.header, true)
    }
  }

  /** Store a token's bytes (its first `stored` chars: binary strings, one byte each); returns its length. */
  private push(c: number, text: string, complete: boolean): number {
    const len = this.buffer.write(text.length)
    let end = this.room(len)
    const tok = this.tok
    if (len < SHORT_TOKEN) {
      // A Uint8Array store keeps the low byte, as latin1 encoding does.
      for (let k = 0; k < len; k++) tok[end++] = text.charCodeAt(k)
    } else end += tok.write(text, end, len, 'latin1')
    this.tokEnd = end
    return this.stored(c, len, complete)
  }

  /** Grow the token buffer for `len` more bytes, keeping `keep` bytes already written past the end; returns where they go. */
  private room(len: number, keep = 0): number {
    const end = this.tokEnd
    if (end + len > this.tok.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.tok.length * 2, end + len))
      this.tok.copy(grown, 0, 0, end + keep)
      this.tok = grown
    }
    return end
  }

  private growLens(): void {
    const grown = new Int32Array(this.lens.length * 2)
    grown.set(this.lens)
    this.lens = grown
  }

  /** Book a stored token of `len` bytes: its length, and its width when `complete`. */
  private counted(c: number, len: number, complete: boolean): void {
    if (this.count === this.lens.length) this.growLens()
    this.lens[this.count++] = len
    if (complete && len > this.maxLen[c]!) this.maxLen[c] = len
  }

  /** {@link Renderer.counted}, completing the token in the chunk accounting when `complete`; returns `len`. */
  private stored(c: number, len: number, complete: boolean): number {
    this.counted(c, len, complete)
    if (complete) this.buffer.flush()
    return len
  }

  /** Add one socket's row. */
  row(tokens: RowTokens): void {
    this.startRow()
    const cols = this.cols
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!
      if (c === COL.PROC) this.pending = this.push(c, tokens[c] ?? '', false)
      else this.push(c, tokens[c] ?? '', true)
    }
  }

  /**
   * {@link Renderer.row} with byte tokens, for the hot path: `beginRow()`,
   * then `cell(c, …)` for every column from NETID to RSERV in order (the
   * disabled ones are skipped here), then `endRow(process)`. Same output as
   * `row()` with the same tokens as binary strings.
   */
  beginRow(): void {
    this.startRow()
  }

  /** One token of the row begun with {@link Renderer.beginRow}. */
  cell(c: number, src: Uint8Array): void {
    const at = this.startCell(c, src.length)
    if (at < 0) return
    const tok = this.tok
    if (src.length < SHORT_TOKEN) {
      for (let k = 0; k < src.length; k++) tok[at + k] = src[k]!
    } else tok.set(src, at)
    this.endCell(c, src.length)
  }

  /**
   * A token written in place, for texts not worth keeping (an address seen
   * once): `at = startCell(c, max)`, write at most `max` bytes into
   * {@link Renderer.tokens} from `at`, then `endCell(c, length)`. Returns -1
   * when column `c` is disabled (write nothing, call nothing else).
   */
  startCell(c: number, max: number): number {
    if (!this.enabled[c]) return -1
    return this.tokEnd + max > this.tok.length ? this.room(max) : this.tokEnd
  }

  /** The bytes of the batch's tokens (valid until the next {@link Renderer.startCell}). */
  get tokens(): Buffer {
    return this.tok
  }

  /** End the in-place token begun with {@link Renderer.startCell}: `len` bytes were written. */
  endCell(c: number, len: number): void {
    const stored = this.buffer.token(len)
    this.tokEnd += stored
    this.counted(c, stored, true)
  }

  /** The row's Process token (counted when the next row starts, as in {@link Renderer.row}). */
  endRow(process = ''): void {
    if (this.enabled[COL.PROC]) this.pending = this.push(COL.PROC, process, false)
  }

  /**
   * More room for the token being written in place: `written` bytes are
   * already at {@link Renderer.startCell}'s offset (it does not move), and
   * `more` may follow. Read {@link Renderer.tokens} again afterwards: the
   * buffer may be a new one.
   */
  growCell(written: number, more: number): void {
    if (this.tokEnd + written + more > this.tok.length) this.room(written + more, written)
  }

  /**
   * {@link Renderer.endRow} for a Process token written in place (the
   * listing's extras): `at = startCell(COL.PROC, max)`, `len` bytes written
   * at `at` (with {@link Renderer.growCell} for more), then `endRowCell(len)`.
   */
  endRowCell(len: number): void {
    const stored = this.buffer.write(len)
    this.tokEnd += stored
    this.counted(COL.PROC, stored, false)
    this.pending = stored
  }

  /** ss's `field_set(COL_NETID)` at the start of a row: complete the previous row, maybe render. */
  private startRow(): void {
    if (this.count === 0) return
    this.completePending()
    if (this.buffer.chunks >= this.maxChunks) {
      this.render()
      return
    }
    if (this.extEnabled) this.buffer.flush()
  }

  private completePending(): void {
    if (this.pending < 0) return
    if (this.pending > this.maxLen[COL.PROC]!) this.maxLen[COL.PROC] = this.pending
    this.buffer.flush()
    this.pending = -1
  }

  /**
   * Render what is buffered as its own pass and hand the text out (`-E`:
   * one pass per event). As in ss, the pass starts while the row's Process
   * token is still open, so that token never counts towards the widths.
   */
  flush(): void {
    this.pending = -1
    this.render()
    this.drain()
  }

  /** Render the final batch (the last Process token does not count) and hand out all text. */
  end(): void {
    this.pending = -1
    this.render()
    this.drain()
  }

  /**
   * Room for `n` more output bytes: grow while less than `writeBytes` is
   * pending (chunks stay as large as asked), else hand out what is pending.
   */
  private reserve(n: number): void {
    const need = this.outLen + n
    if (need <= this.out.length) return
    if (this.outLen >= this.writeBytes) this.drain()
    if (this.outLen + n <= this.out.length) return
    const grown = Buffer.alloc(Math.max(this.out.length * 2, this.outLen + n), SPACE)
    this.out.copy(grown, 0, 0, this.outLen)
    this.out = grown
  }

  private drain(): void {
    if (this.outLen === 0) return
    const raw = this.options.writeRaw
    if (raw) raw(this.out.subarray(0, this.outLen))
    else this.options.write(this.out.toString('latin1', 0, this.outLen))
    this.out.fill(SPACE, 0, this.outLen)
    this.outLen = 0
  }

  private render(): void {
    const count = this.count
    if (count === 0) return
    const width = Int32Array.from(columnWidths(this.maxLen, this.enabled, this.options.screenWidth))
    // ss starts at the first column with a non-zero width (not the first enabled one).
    let f = 0
    while (f < COLUMN_COUNT && width[f] === 0) f++
    if (f === COLUMN_COUNT) f = this.cols[0] ?? 0
    const tok = this.tok
    const lens = this.lens
    const { next, newlines } = this.steps
    const writeBytes = this.writeBytes
    let out = this.out
    let o = this.outLen
    let at = 0
    let started = false
    for (let i = 0; i < count; i++) {
      const len = lens[i]!
      const w = width[f]!
      const right = RIGHT[f] === 1
      const delim = started ? DELIM[f]! : 0
      // At most: delimiter, padding up to the width, the token, the newlines.
      const most = delim + w + len + 2
      if (o + most > out.length) {
        this.outLen = o
        this.reserve(most)
        out = this.out
        o = this.outLen
      }
      // Delimiters are empty or one space; like padding, already in `out`.
      o += delim
      let printed = delim
      if (w > 0 && right) {
        const s = w - len - printed
        if (s > 0) {
          o += s
          printed += s
        }
      }
      if (len < SHORT_TOKEN) {
        for (let k = 0; k < len; k++) out[o++] = tok[at + k]!
      } else o += tok.copy(out, o, at, at + len)
      at += len
      printed += len
      if (w > 0 && !right && w - printed > 0) o += w - printed
      // Next enabled column, after a newline when the row ends (the EXT token of 6.1 is always empty and prints nothing).
      const nl = newlines[f]!
      started = nl === 0
      for (let k = 0; k < nl; k++) out[o++] = NEWLINE
      f = next[f]!
      if (o >= writeBytes) {
        this.outLen = o
        this.drain()
        o = 0
      }
    }
    this.outLen = o
    if (started) {
      this.reserve(1)
      this.out[this.outLen++] = NEWLINE
    }
    this.count = 0
    this.tokEnd = 0
    this.buffer.reset()
    this.drain()
  }
}
