/**
 * The web playground in a real browser (Debian's chromium driven by
 * playwright-core): the page, built by `npm run build:web` and loaded from
 * file://, must show the same disassembly as `ssx compile --format asm` and
 * the same accept/reject verdicts as `ssx explain --trace` for the same
 * command lines and sockets. Saves a screenshot to dist/playground.png.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { promisify } from 'node:util'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { runCompile } from '../../src/cli/compile.js'
import { runExplain } from '../../src/cli/explain.js'
import { PORT_RANGE, splitWords } from '../../web/pipeline.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CHROMIUM = '/usr/bin/chromium'
const CI = process.env['CI'] === 'true'

const FILTERS = [
  '-t dport = :443',
  '-t sport = :22 or dst 10.0.0.0/8 and dport >= 1024',
  '-t state established ( sport = :22 or sport = :80 ) and not dst 10.0.0.0/8 and dport >= :1024',
  '-t dev 2 and fwmark 0x10/0xff',
  '-t src 0.0.0.0/0',
  '-t autobound',
  '-6 -t dst [2001:db8::/32] or sport > :1000',
]
const SOCKETS = [
  'tcp 10.0.0.1:5555 -> 10.0.0.2:443 established [mark 0x10] [dev 2]',
  'tcp 192.168.1.5:22 -> 203.0.113.9:51234 established',
  'tcp 192.168.1.5:80 -> 10.0.0.7:51234 established',
  'tcp 10.0.0.1:40000 -> 10.0.0.2:80 established bound',
  'tcp [2001:db8::1]:22 -> [2001:db8::2]:40000 established',
  'tcp [::1]:443 -> [::1]:40001 established mark 0x110 dev 2',
  'tcp 10.0.0.1:22 listen',
]

/** The CLI's verdicts for one socket, read from `ssx explain --trace`. */
async function cliVerdict(words: readonly string[], sock: string): Promise<{ kernel: string; listed: string }> {
  const r = await runExplain([...words, '--trace', sock], { localPortRange: PORT_RANGE })
  const trace = r.stdout.slice(r.stdout.indexOf('\ntrace: '))
  const kernel = /^ {2}kernel {6}(accept|reject|no bytecode)/m.exec(trace)?.[1]
  const skipped = /^ {2}(request {5}none|states {6})/m.test(trace)
  const listed = /^ {2}listed {6}(yes|no)/m.exec(trace)?.[1]
  return { kernel: skipped ? 'skipped' : kernel === 'no bytecode' ? 'none' : kernel ?? '?', listed: listed === 'yes' ? 'true' : 'false' }
}

t.test('playground in chromium', { skip: !existsSync(CHROMIUM) && !CI ? `${CHROMIUM} is not installed (.ci/run installs it)` : false }, async (t) => {
  await promisify(execFile)(process.execPath, [join(ROOT, 'web/build.mjs')], { cwd: ROOT })
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1200, height: 1600 } })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  const url = pathToFileURL(join(ROOT, 'dist/web/index.html')).href
  await page.goto(url)
  await page.waitForFunction(() => document.body.dataset['state'] === 'ready')

  const sockets = SOCKETS.join('\n')
  await page.fill('#sockets', sockets)
  for (const line of FILTERS) {
    await page.fill('#filter', line)
    await page.waitForFunction((want) => document.body.dataset['for'] === want && document.body.dataset['state'] === 'ready', `${line}\n${sockets}`)
    const words = splitWords(line)
    const asm = (await runCompile(['--format', 'asm', ...words], {})).stdout.trimEnd()
    t.equal(await page.textContent('#disasm'), asm, `${line}: disassembly equals ssx compile --format asm`)
    // The page assumes Linux's default port range; autobound is the one predicate that reads it.
    if (!line.includes('autobound')) {
      const cbpf = (await runCompile(['--target', 'cbpf', '--format', 'asm', ...words], {})).stdout.trimEnd()
      t.equal((await page.textContent('#cbpf'))?.trimEnd(), cbpf, `${line}: classic BPF listing equals ssx compile --target cbpf --format asm`)
    }
    const rows = await page.$$eval('#verdicts tr', (trs) => trs.map((tr) => ({ kernel: tr.getAttribute('data-kernel'), listed: tr.getAttribute('data-listed') })))
    t.equal(rows.length, SOCKETS.length, `${line}: one row per socket`)
    for (const [i, sock] of SOCKETS.entries()) t.same(rows[i], await cliVerdict(words, sock), `${line}: ${sock}`)
    t.match(await page.innerHTML('#cfg'), /<svg /, `${line}: control-flow graph drawn`)
    t.ok((await page.$$('#hex tr')).length > 0, `${line}: annotated bytes`)
  }

  // The filter lives in the URL: opening the link shows the same filter.
  const shared = page.url()
  t.match(shared, /#q=/)
  const other = await browser.newPage()
  await other.goto(shared)
  await other.waitForFunction(() => document.body.dataset['state'] === 'ready')
  t.equal(await other.inputValue('#filter'), FILTERS.at(-1), 'a shared link restores the filter')
  t.equal(await other.inputValue('#sockets'), sockets, 'and the sockets')

  // A syntax error is shown as the CLI shows it.
  await page.fill('#filter', '-t sport = :22 or')
  await page.waitForFunction(() => document.body.dataset['state'] === 'error')
  const cliError = (await runExplain(['-t', 'sport = :22 or'], {})).stderr
  t.equal(await page.textContent('#error'), cliError, 'syntax error as the CLI reports it')

  // The railroad diagram page draws every rule.
  const grammar = await browser.newPage()
  await grammar.goto(pathToFileURL(join(ROOT, 'dist/web/grammar.html')).href)
  await grammar.waitForSelector('#diagrams svg')
  t.ok((await grammar.$$('#diagrams svg')).length >= 3, 'railroad diagrams drawn from local scripts')

  await page.fill('#filter', FILTERS[2]!)
  await page.waitForFunction(() => document.body.dataset['state'] === 'ready')
  await page.screenshot({ path: join(ROOT, 'dist/playground.png'), fullPage: true })
  t.ok(existsSync(join(ROOT, 'dist/playground.png')), 'screenshot saved to dist/playground.png')
  t.same(errors, [], 'no page errors')
})
