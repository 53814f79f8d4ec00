/**
 * Output differential test: `ssx ARGS` against `/usr/bin/ss ARGS` (6.1) in one
 * private namespace holding the socket zoo (test/helpers/zoo.py), for every
 * option set of test/golden/output-cases.txt.
 *
 * For each case ss runs twice and ssx once, one after the other (never in
 * parallel: the listings show the processes' own netlink sockets). stdout is
 * compared byte for byte after {@link MASKS}, exit codes always, stderr for
 * cases tagged `[stderr]`. If ss's two runs still differ after masking, the
 * mask list is incomplete and the case fails saying so — a mask is only
 * justified by ss disagreeing with itself.
 *
 * ssx runs as `ss` too: node is started through a symlink named `ss`, so the
 * process's comm is `ss` and its own netlink sockets print as `ss/PID` exactly
 * like ss's (same width), and only the PID needs masking (`-A netlink -a`).
 *
 * Cases tagged `[todo: reason]` (features not implemented yet) still run and
 * are reported as tap todos; `[skip: reason]` cases are not comparable at all.
 * Environment: SSX_OUTPUT_ONLY=substring runs only the matching cases.
 * Runs as root (always in CI); skipped with the reason otherwise.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, readdir, rm, stat, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { splitWords } from '../helpers/case-words.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const CASES = new URL('../golden/output-cases.txt', import.meta.url)
const SS = '/usr/bin/ss'

// ---------------------------------------------------------------------------
// masks

/** One mask: what it replaces and why that value cannot be compared. */
interface Mask {
  readonly why: string
  readonly re: RegExp
  readonly to: string
  /**
   * The value sits in the Process column (6.1 puts every extra there) and the
   * replacement may change its length: that column's padding is
   * `longest token − this token`, so trailing spaces are dropped when it fires.
   */
  readonly processColumn: boolean
}

/** Values that change between two consecutive runs of ss itself, and nothing else. */
export const MASKS: readonly Mask[] = [
  { why: 'timers count down (expiry); the retransmit count is kept', re: /timer:\((\w+),[^,)]*,/g, to: 'timer:($1,EXPIRE,', processColumn: true },
  { why: 'tcp_info: ms since the last send/receive/ack', re: /\b(lastsnd|lastrcv|lastack):\d+/g, to: '$1:#', processColumn: true },
  { why: 'tcp_info: measured round-trip times and what is derived from them', re: /\b(rtt|minrtt|rcv_rtt|ato|rto):[\d.]+(\/[\d.]+)?/g, to: '$1:#', processColumn: true },
  { why: 'tcp_info: rates derived from rtt', re: /\b(send|pacing_rate|delivery_rate) [\d.]+[kMGT]?bps(\/[\d.]+[kMGT]?bps)?/g, to: '$1 #bps', processColumn: true },
  { why: 'tcp_info: busy time grows while the socket lives', re: /\bbusy:\d+ms/g, to: 'busy:#ms', processColumn: true },
  { why: 'bbr: bandwidth and min rtt are measurements', re: /\bbbr:\(bw:[^)]*\)/g, to: 'bbr:(#)', processColumn: true },
  { why: '-s: sockets used counts every socket of the host, not just the namespace', re: /^Total: \d+$/gm, to: 'Total: #', processColumn: false },
  { why: '-p: the listing process\'s own entry has its own pid', re: /\("ss",pid=\d+,fd=\d+\)/g, to: '("ss",pid=#,fd=#)', processColumn: true },
]

/**
 * The listing process's own netlink sockets (its sock_diag socket, and any
 * other it has open while dumping): their port id is its PID, which changes
 * on every run and moves the row (netlink dumps follow the port-id hash), and
 * their Recv-Q is the part of the dump in flight. These rows are removed from
 * both sides. ssx runs under the comm `ss` (see the header), so named rows
 * read `PROTO:ss/PID` on both sides and removing them changes no width. In
 * numeric mode a row is the lister's when its port id is positive and
 * neither the kernel's (0) nor the zoo's.
 */
function ownNetlinkRows(zooPid: number): RegExp[] {
  return [
    /^.*\S:ss\/\d+ .*\n/gm,
    new RegExp(`^(nl +)?[A-Z-]+ +\\d+ +\\d+ +\\d+:(?!0 |${zooPid} )\\d+ .*\\n`, 'gm'),
  ]
}

/**
 * Apply every mask. Trailing spaces go when a Process-column mask fired on
 * either side of a comparison (see {@link Mask}), so `stripTrailing` is
 * decided by {@link maskPair}.
 */
function mask(text: string, zooPid: number): { text: string, processMasked: boolean } {
  let out = text
  for (const re of ownNetlinkRows(zooPid)) out = out.replace(re, '')
  let processMasked = false
  for (const m of MASKS) {
    const before = out
    out = out.replace(m.re, m.to)
    if (m.processColumn && out !== before) processMasked = true
  }
  return { text: out, processMasked }
}

/** Both sides masked; the Process column's padding dropped on both when a mask touched it on either. */
function maskPair(a: string, b: string, zooPid: number): [string, string] {
  const ma = mask(a, zooPid)
  const mb = mask(b, zooPid)
  if (!ma.processMasked && !mb.processMasked) return [ma.text, mb.text]
  const strip = (s: string): string => s.replace(/ +$/gm, '')
  return [strip(ma.text), strip(mb.text)]
}

/**
 * glibc's getopt messages start with argv[0] (`/usr/bin/ss: invalid option --
 * 'q'`); ssx names itself there. Only that prefix is masked.
 */
function normStderr(text: string): string {
  return text.replace(/^(\/usr\/bin\/ss|ssx): (?=invalid option|unrecognized option|option requires)/, 'ARGV0: ')
}

// ---------------------------------------------------------------------------
// cases

/** One option set. */
interface OutputCase {
  readonly line: number
  readonly args: string[]
  readonly comment: string
  readonly outside: boolean
  readonly stderr: boolean
  readonly todo: string | undefined
  readonly skip: string | undefined
}


async function loadCases(): Promise<OutputCase[]> {
  const text = await readFile(CASES, 'utf8')
  const cases: OutputCase[] = []
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '' || raw.startsWith('#')) return
    const sep = raw.indexOf('⟶')
    if (sep < 0) throw new SyntaxError(`output-cases.txt:${i + 1}: no ⟶`)
    const comment = raw.slice(sep + 1).trim()
    const tag = (name: string): string | undefined => new RegExp(`\\[${name}: ([^\\]]+)\\]`).exec(comment)?.[1]
    cases.push({
      line: i + 1,
      args: splitWords(raw.slice(0, sep).trim()),
      comment,
      outside: comment.includes('[outside]'),
      stderr: comment.includes('[stderr]'),
      todo: tag('todo'),
      skip: tag('skip'),
    })
  })
  return cases
}

// ---------------------------------------------------------------------------
// running

interface Run { stdout: string, stderr: string, code: number }

function runCmd(cmd: string, args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: ROOT, encoding: 'latin1', maxBuffer: 64 << 20, timeout: 20_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ stdout, stderr, code })
    })
  })
}

/** Newest mtime of the sources bundled into dist/ssx.cjs. */
async function newestSource(): Promise<number> {
  let newest = 0
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) await walk(p)
      else if (e.name.endsWith('.ts')) newest = Math.max(newest, (await stat(p)).mtimeMs)
    }
  }
  for (const d of ['src', 'compiler', 'grammar', 'runtime', 'uapi']) await walk(join(ROOT, d))
  return newest
}

async function ensureBuilt(): Promise<void> {
  const built = await stat(join(ROOT, 'dist/ssx.cjs')).then((s) => s.mtimeMs, () => 0)
  if (built >= await newestSource()) return
  const r = await runCmd(process.execPath, ['build.mjs'])
  if (r.code !== 0) throw new Error(`node build.mjs failed (${r.code}): ${r.stderr}`)
}

/** `+`/`-` lines around the first difference, trailing blanks made visible with `$`. */
function firstDiff(expected: string, actual: string): { text: string, ss: string, ssx: string } | null {
  if (expected === actual) return null
  const a = expected.split('\n')
  const b = actual.split('\n')
  let i = 0
  while (i < a.length && i < b.length && a[i] === b[i]) i++
  const show = (s: string | undefined): string => s === undefined ? '(no line)' : s + '$'
  const out = [`@@ line ${i + 1} @@ (- ss, + ssx)`]
  for (let k = Math.max(0, i - 2); k < i; k++) out.push(' ' + show(a[k]))
  for (let k = i; k < Math.min(a.length, i + 3); k++) out.push('-' + show(a[k]))
  for (let k = i; k < Math.min(b.length, i + 3); k++) out.push('+' + show(b[k]))
  return { text: out.join('\n'), ss: show(a[i]), ssx: show(b[i]) }
}

// ---------------------------------------------------------------------------

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root and ip(8) to create a network namespace (CI=true makes this a failure)')
} else {
  await ensureBuilt()
  const ns = await createNetns('output')
  t.teardown(() => ns.destroy())
  // The zoo's opt-in extras (zoo.py, SSX_ZOO_OUTPUT): well-known ports,
  // queues, half-closed pairs, a device-bound UDP socket, more families' rows.
  process.env['SSX_ZOO_OUTPUT'] = '1'
  const zoo = await ns.startZoo().finally(() => { delete process.env['SSX_ZOO_OUTPUT'] })
  const zooPid = zoo.manifest.pid
  const diffMasked = (ss: string, other: string): ReturnType<typeof firstDiff> => firstDiff(...maskPair(ss, other, zooPid))
  // ~90 cases × three sequential processes: more than tap's default 30 s.
  t.setTimeout(240_000)
  // node under the name `ss`: /proc/PID/comm is the executable's base name.
  const binDir = await mkdtemp(join(tmpdir(), 'ssx-output-'))
  t.teardown(() => rm(binDir, { recursive: true, force: true }))
  const nodeAsSs = join(binDir, 'ss')
  await symlink(process.execPath, nodeAsSs)
  const ssxBin = join(ROOT, 'bin/ssx.js')

  const only = process.env['SSX_OUTPUT_ONLY']
  const cases = (await loadCases()).filter((c) => only === undefined || c.args.join(' ').includes(only))
  t.ok(cases.length >= 40 || only !== undefined, `at least 40 option sets (${cases.length})`)

  for (const c of cases) {
    const args = c.args.map((a) => a.replaceAll('@NS', ns.name))
    const name = `output-cases.txt:${c.line} ss ${args.join(' ')} — ${c.comment}`
    // tap does not run the body of a todo subtest: the case runs, its assertions are the todos.
    const todo = c.todo === undefined ? {} : { todo: c.todo }
    t.test(name, c.skip === undefined ? {} : { skip: c.skip }, async (t) => {
      const inNs = (cmd: string, rest: string[]): Promise<Run> =>
        c.outside ? runCmd(cmd, rest) : runCmd('ip', ['netns', 'exec', ns.name, cmd, ...rest])
      // ssx runs between two runs of ss; when those two differ, something changed meanwhile (the
      // zoo's TIME-WAIT socket expires 60 s after it was made) and the round is run again once.
      let ss1: Run, ssx: Run, unstable: ReturnType<typeof diffMasked> = null
      for (let round = 0; ; round++) {
        ss1 = await inNs(SS, args)
        ssx = await inNs(nodeAsSs, [ssxBin, ...args])
        const ss2 = await inNs(SS, args)
        unstable = diffMasked(ss1.stdout, ss2.stdout)
        if (unstable === null || round === 1) break
      }
      if (unstable !== null) {
        t.fail('ss disagrees with itself after masking, twice: the mask list is incomplete', { diff: unstable.text, ...todo })
        return
      }
      t.equal(ssx.code, ss1.code, `exit code (ss stderr: ${JSON.stringify(ss1.stderr.slice(0, 200))}, ssx stderr: ${JSON.stringify(ssx.stderr.slice(0, 200))})`, todo)
      const d = diffMasked(ss1.stdout, ssx.stdout)
      t.ok(d === null, 'stdout equal', d === null ? todo : { diff: d.text, ss: d.ss, ssx: d.ssx, ...todo })
      const e = c.stderr ? firstDiff(normStderr(ss1.stderr), normStderr(ssx.stderr)) : null
      if (c.stderr) t.ok(e === null, 'stderr equal', e === null ? todo : { diff: e.text, ...todo })
      // tap prints no diagnostics for a failing todo assertion: show the difference anyway.
      if (c.todo !== undefined && d !== null) t.comment(`todo, stdout differs:\n${d.text}`)
      // A todo that passes is news: its tag should go.
      if (c.todo !== undefined && d === null && e === null && ssx.code === ss1.code) {
        t.comment(`output-cases.txt:${c.line} passes now: remove its [todo] tag`)
      }
    })
  }
}
