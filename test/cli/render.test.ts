/**
 * The renderer's width algorithm in table cases (ss-behavior §8.4), with
 * expectations taken from ss 6.1's observed output.
 */
import t from 'tap'
import { COL, Renderer, TokenChunks, columnVisibility, columnWidths } from '../../src/cli/render.js'
import type { RenderOptions, RowTokens } from '../../src/cli/render.js'

const TCP = 1, UDP = 1 << 3, UNIX = (1 << 5) | (1 << 6) | (1 << 7)
const ALL = 0xfff, CONN = 0xb37, LISTEN = 1 << 10, CLOSE = 1 << 7

function render(rows: RowTokens[], opts: Partial<RenderOptions> & { tables?: number, states?: number } = {}): { text: string, writes: number } {
  let text = ''
  let writes = 0
  const r = new Renderer({
    enabled: opts.enabled ?? columnVisibility({ tables: opts.tables ?? TCP, states: opts.states ?? ALL }),
    header: opts.header ?? true,
    write: (c) => { text += c; writes++ },
    ...(opts.screenWidth !== undefined ? { screenWidth: opts.screenWidth } : {}),
    ...(opts.chunkBytes !== undefined ? { chunkBytes: opts.chunkBytes } : {}),
    ...(opts.writeBytes !== undefined ? { writeBytes: opts.writeBytes } : {}),
  })
  for (const row of rows) r.row(row)
  r.end()
  return { text, writes }
}

/** A row by column: netid, state, rq, sq, addr, port, peer, peer port, process. */
const row = (...cells: string[]): string[] => cells

t.test('column visibility', async (t) => {
  const cases: { tables: number, states: number, hideQueues?: boolean, hidden: number[] }[] = [
    { tables: TCP, states: CONN, hidden: [COL.NETID] },
    { tables: TCP, states: LISTEN, hidden: [COL.NETID, COL.STATE] },
    { tables: TCP, states: LISTEN | CLOSE, hidden: [COL.NETID] },
    { tables: TCP | UDP, states: CLOSE, hidden: [COL.STATE] },
    { tables: UNIX, states: ALL, hidden: [] },
    { tables: UNIX, states: ALL, hideQueues: true, hidden: [COL.RECVQ, COL.SENDQ] },
    { tables: TCP, states: 0, hidden: [COL.NETID] },
  ]
  for (const c of cases) {
    const on = columnVisibility(c)
    t.same(on.flatMap((v, i) => (v ? [] : [i])), c.hidden, JSON.stringify(c))
  }
})

t.test('empty lists: header only, Process not padded', async (t) => {
  t.equal(render([], { tables: TCP, states: CONN }).text, 'State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n')
  t.equal(render([], { tables: UNIX, states: ALL }).text, 'Netid State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n')
  t.equal(render([], { tables: TCP, states: LISTEN }).text, 'Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\n')
  t.equal(render([], { header: false }).text, '', '-H and nothing: no output at all')
})

t.test('the last row\'s Process token does not count; earlier ones do', async (t) => {
  const a = row('', 'ESTAB', '0     ', '0     ', '1.1.1.1:', '1', '2.2.2.2:', '2', ' long-extras-here')
  const b = row('', 'ESTAB', '0     ', '0     ', '1.1.1.1:', '1', '2.2.2.2:', '2', ' x')
  const last = render([b, a]).text.split('\n')
  t.equal(last[0], 'State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess', 'header: Process width 7')
  // Address columns are right-aligned to the header (15 and 14 with the delimiter), ports padded to 4.
  t.equal(last[1], 'ESTAB 0      0            1.1.1.1:1         2.2.2.2:2    x     ')
  t.equal(last[2], 'ESTAB 0      0            1.1.1.1:1         2.2.2.2:2    long-extras-here', 'overflows')
  const first = render([a, b]).text.split('\n')
  t.equal(first[2], 'ESTAB 0      0            1.1.1.1:1         2.2.2.2:2    x               ', 'padded to the first row\'s extras')
  for (const l of [...last, ...first].filter(Boolean)) t.equal(l.indexOf(':'), 33, 'local address colon aligned with the header')
})

t.test('-H: widths come from the rows alone, the last Process token still uncounted', async (t) => {
  const r = row('', 'LISTEN', '0     ', '128   ', '0.0.0.0:', '22', '0.0.0.0:', '*', '')
  t.equal(render([r, r], { header: false }).text, 'LISTEN 0      128    0.0.0.0:22 0.0.0.0:*\nLISTEN 0      128    0.0.0.0:22 0.0.0.0:*\n')
})

t.test('tokens with \\n\\t count every char; padding lands on the second line', async (t) => {
  const r = row('', 'ESTAB', '0     ', '0     ', 'a:', '1', 'b:', '2', '\n\t x')
  const out = render([r, row('', 'ESTAB', '0     ', '0     ', 'a:', '1', 'b:', '2', '')]).text
  t.equal(out, 'State Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\nESTAB 0      0                  a:1               b:2   \n\t x   \nESTAB 0      0                  a:1               b:2          \n')
})

t.test('columnWidths: compact mode adds delimiters except before the first non-empty column', async (t) => {
  const on = columnVisibility({ tables: TCP, states: ALL })
  const max = [0, 6, 6, 6, 14, 4, 13, 4, 7, 0]
  t.same(columnWidths(max, on), [0, 6, 7, 7, 15, 4, 14, 4, 7, 0])
})

t.test('columnWidths: tty lines and spreading of leftover space (remainder to the rightmost)', async (t) => {
  const on = columnVisibility({ tables: TCP, states: ALL })
  const max = [0, 6, 6, 6, 18, 5, 18, 5, 7, 0]
  // Sum 6+7+7+19+5+19+5+7 = 75.
  t.same(columnWidths(max, on, 75), [0, 6, 7, 7, 19, 5, 19, 5, 7, 0], 'exact fit')
  // 100: 25 left over 8 columns: 3 each, the 1 remaining to the rightmost.
  t.same(columnWidths(max, on, 100), [0, 9, 10, 10, 22, 8, 22, 8, 11, 0])
  // 60: the first line holds State..Port (44): 16 over 5 columns, 3 each and 1 to Port; then
  // Peer..Process (31): 29 over 3, 9 each and 1 each to Process and the peer Port.
  t.same(columnWidths(max, on, 60), [0, 9, 10, 10, 22, 9, 28, 15, 17, 0])
  // A column wider than the screen is capped at the screen width.
  t.same(columnWidths([0, 6, 0, 0, 0, 0, 0, 0, 200, 0], on, 50).slice(8, 9), [50])
})

t.test('output is handed over in large chunks', async (t) => {
  const r = row('', 'ESTAB', '0     ', '0     ', '127.0.0.1:', '41842', '127.0.0.1:', '80', '')
  const rows = Array.from({ length: 5000 }, () => r)
  const { text, writes } = render(rows)
  t.equal(text.split('\n').length, 5002)
  t.ok(writes <= 6, `${writes} writes for ${text.length} bytes`)
  t.equal(render(rows, { writeBytes: 1 << 30 }).writes, 1, 'one write when everything fits')
  // writeRaw: the same bytes, each chunk only valid during the call.
  let raw = ''
  const r2 = new Renderer({
    enabled: columnVisibility({ tables: TCP, states: ALL }), header: true, writeBytes: 4096,
    write: () => { throw new Error('write called although writeRaw was given') },
    writeRaw: (b) => { raw += Buffer.from(b).toString('latin1') },
  })
  for (const x of rows) r2.row(x)
  r2.end()
  t.equal(raw, text, 'writeRaw gets what write would')
})

t.test('batches: widths per batch, never shrinking; header once', async (t) => {
  // A small chunk size makes ss's five-chunk threshold reachable: rows 1..n of short addresses, then long ones.
  const short = row('', 'ESTAB', '0     ', '0     ', '1.1.1.1:', '1', '2.2.2.2:', '2', '')
  const long = row('', 'ESTAB', '0     ', '0     ', '111.111.111.111:', '1', '2.2.2.2:', '2', '')
  const rows = [...Array.from({ length: 40 }, () => short), long, short]
  const lines = render(rows, { chunkBytes: 16 + 256 }).text.split('\n')
  t.equal(lines.filter((l) => l.startsWith('State')).length, 1, 'one header')
  const widths = lines.slice(1, -1).map((l) => l.indexOf(':'))
  t.ok(widths[0]! < widths.at(-1)!, 'later batch is wider')
  t.same([...widths].sort((a, b) => a - b), widths, 'widths never shrink')
  t.equal(new Set(widths).size, 2, 'two different widths: the first batch did not see the long row')
})

t.test('TokenChunks: alignment, moving tokens, cutting at 65535 bytes', async (t) => {
  const b = new TokenChunks(16 + 16)
  // Data area 16 bytes: token at 2.., len field 2.
  t.equal(b.write(5), 5)
  t.equal(b.chunks, 1)
  b.flush() // next token data at 2+5+1(pad)+2 = 10
  const c = new TokenChunks(16 + 16)
  c.write(5)
  c.flush()
  t.equal(c.write(5), 5)
  t.equal(c.chunks, 1, '5 bytes at 10 of 16 still fit')
  t.equal(b.write(6), 6, '6 bytes at 10 of 16 leave no room for the NUL: moved to a new chunk')
  t.equal(b.chunks, 2)
  const big = new TokenChunks()
  t.equal(big.write(70000), 65535)
})

t.test('-E: one pass per event, widths only grow, Process tokens of events never count', async (t) => {
  let text = ''
  const r = new Renderer({ enabled: columnVisibility({ tables: TCP, states: ALL }), header: true, write: (c) => { text += c } })
  r.row(row('', 'UNCONN', '0     ', '0     ', '10.0.0.1:', '80', '10.0.0.2:', '5', ' long-process-text'))
  r.flush()
  const first = text
  t.equal(first, 'State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess\nUNCONN 0      0           10.0.0.1:80       10.0.0.2:5    long-process-text\n')
  r.row(row('', 'UNCONN', '0     ', '0     ', '10.0.0.100:', '80', '10.0.0.2:', '5', ''))
  r.flush()
  t.equal(text.slice(first.length), 'UNCONN 0      0         10.0.0.100:80       10.0.0.2:5          \n', 'no header again; Process still 7 wide (the header)')
  const before = text
  r.end()
  t.equal(text, before, 'end() after flush() prints nothing more')
})
