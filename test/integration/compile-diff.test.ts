/**
 * Differential test of the compiler against the real `ss` 6.1.
 *
 * Every case (the hand-written corpus in test/golden/compile-corpus.txt plus
 * fast-check-generated invocations) is run twice: through `ssx compile`
 * (`runCompile`, in process) and through `/usr/bin/ss` under strace in a
 * private network namespace (test/helpers/ss-capture.ts). The exit codes must
 * be equal and, on success, the sock_diag requests ss sent must be exactly the
 * requests ssx plans — families, protocols, states, ext/show, bytecode with the
 * hostcond padding zeroed — modulo the differences listed below, each of which
 * is asserted as such rather than ignored:
 *
 * - This kernel lacks raw_diag, sctp_diag and DCCP: ss's AF_INET dump of
 *   those protocols fails, so it never sends their AF_INET6 request
 *   (`afterSuccess`), and it retries DCCP with the legacy type 19 request
 *   (ss-behavior §5.5).
 * - (a) A host name with several addresses: ss repeats the first address in
 *   every op (§5.3 bug), ssx emits each address. Cases tagged `[multiaddr]`
 *   compare op count and first op when the bytes differ.
 * - (b) `dev` anywhere: ss sends no bytecode (§5.4); ssx compiles
 *   INET_DIAG_BC_DEV_COND. Asserted: ss has none, ssx's has a DEV_COND op.
 * - (c) ss's cgroup support probe (§4.10) is not part of ssx's plan: it is
 *   taken out of ss's list, and must only appear when the filter has `cgroup`.
 *
 * Environment: SSX_DIFF_SEED (seed of the generated cases, printed),
 * SSX_DIFF_RUNS (how many, default 150), SSX_DIFF_JOBS (parallel ss runs),
 * SSX_DIFF_SS_ONLY=1 (do not run ssx: print what ss sent for every case, to
 * look at ss's side alone).
 * Runs as root (always in CI); skipped with the reason otherwise.
 */
import t from 'tap'
import fc from 'fast-check'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdir, mkdtemp, readFile, rm, rmdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { captureSs, normalizeBytecodeHex, parseStraceLog, type CapturedRequest } from '../helpers/ss-capture.js'
import { ssInvocationArb, invocationArgv } from '../props/filter-arbitrary.js'
import { splitWords } from '../helpers/case-words.js'

const exec = promisify(execFile)

/** Protocols whose dumps fail on this kernel (kernel-sock-diag §3.8): raw 255, sctp 132, dccp 33. */
const KERNEL_LACKS = new Set([255, 132, 33])
/** The one of them ss retries with a legacy request, and that request's type (DCCPDIAG_GETSOCK). */
const IPPROTO_DCCP = 33
const DCCPDIAG_GETSOCK = 19
/** ss's cgroup support probe: AF_INET TCP, states 0, CGROUP_COND id 0. */
const CGROUP_PROBE_BYTECODE = '0d0c1000' + '00'.repeat(8)
/** INET_DIAG_BC_DEV_COND. */
const BC_DEV_COND = 9

const CORPUS = new URL('../golden/compile-corpus.txt', import.meta.url)

// ---------------------------------------------------------------------------
// cases

/** One differential case. */
interface DiffCase {
  readonly name: string
  readonly args: string[]
  readonly stdin?: string
  /** Content of the temporary file substituted for @FILE. */
  readonly file?: string
  readonly multiaddr: boolean
  /** Documented difference (d): ss rejects the input, ssx deliberately accepts it. */
  readonly superset: boolean
  readonly needsCgroup: boolean
}


async function loadCorpus(): Promise<DiffCase[]> {
  const text = await readFile(CORPUS, 'utf8')
  const cases: DiffCase[] = []
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return
    const sep = line.indexOf('⟶')
    if (sep < 0) throw new SyntaxError(`compile-corpus.txt:${i + 1}: no ⟶`)
    const comment = line.slice(sep + 1).trim()
    let stdin: string | undefined
    let file: string | undefined
    const args: string[] = []
    for (const w of splitWords(line.slice(0, sep).trim())) {
      if (w.startsWith('stdin=')) stdin = w.slice('stdin='.length)
      else if (w.startsWith('file=')) file = w.slice('file='.length)
      else args.push(w)
    }
    cases.push({
      name: `corpus:${i + 1} ${JSON.stringify(args)} — ${comment}`,
      args,
      ...(stdin === undefined ? {} : { stdin }),
      ...(file === undefined ? {} : { file }),
      multiaddr: comment.includes('[multiaddr]'),
      superset: comment.includes('[superset]'),
      needsCgroup: args.some((a) => a.includes('@CG')),
    })
  })
  return cases
}

// ---------------------------------------------------------------------------
// the ssx side

/** One request of `ssx compile --format json`. */
interface SsxRequest {
  readonly table: string
  readonly family: number
  readonly protocol: number
  readonly protocolAttr?: number
  readonly states: number
  readonly ext: number
  readonly bytecode: string | null
  readonly afterSuccess: boolean
}

interface SsxResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

type RunCompile = (argv: string[], io?: { stdin?: string }) => Promise<SsxResult>

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x)
const num = (r: Record<string, unknown>, k: string): number => {
  const v = r[k]
  if (typeof v !== 'number') throw new TypeError(`ssx compile JSON: ${k} is ${JSON.stringify(v)}, not a number`)
  return v
}

/** Read the requests out of ssx's JSON, checking every field it uses. */
function parseSsxPlan(stdout: string): SsxRequest[] {
  const doc: unknown = JSON.parse(stdout)
  if (!isRecord(doc) || !Array.isArray(doc.requests)) throw new TypeError('ssx compile JSON: no requests array')
  return doc.requests.map((r: unknown) => {
    if (!isRecord(r)) throw new TypeError('ssx compile JSON: request is not an object')
    const bc = r.bytecode
    if (bc !== null && bc !== undefined && typeof bc !== 'string') throw new TypeError('ssx compile JSON: bytecode is not a string')
    return {
      table: String(r.table),
      family: num(r, 'family'),
      protocol: num(r, 'protocol'),
      ...(r.protocolAttr === undefined ? {} : { protocolAttr: num(r, 'protocolAttr') }),
      states: num(r, 'states'),
      ext: num(r, 'ext'),
      bytecode: typeof bc === 'string' && bc !== '' ? bc.toLowerCase() : null,
      afterSuccess: r.afterSuccess === true,
    }
  })
}

// ---------------------------------------------------------------------------
// comparison

/** Op starts of a program, walking `yes` from 0 (as ss lays programs out). */
function ops(hex: string): string[] {
  const out: string[] = []
  let off = 0
  while (off * 2 < hex.length) {
    const yes = parseInt(hex.slice(off * 2 + 2, off * 2 + 4), 16)
    const len = yes === 0 ? hex.length / 2 - off : yes
    out.push(hex.slice(off * 2, (off + len) * 2))
    off += len
  }
  return out
}

const h = (n: number): string => `0x${n.toString(16)}`

/** One request as a comparable line. `bc` is the bytecode text to show. */
function keyOf(kind: string, fields: Record<string, string | number | undefined>): string {
  return [kind, ...Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`)].join(' ')
}

/** What ss sent, as lines; the cgroup probe is removed and counted. */
function ssKeys(reqs: readonly CapturedRequest[]): { keys: string[], probes: number } {
  const keys: string[] = []
  let probes = 0
  for (const r of reqs) {
    switch (r.kind) {
      case 'inet':
        if (r.family === 2 && r.protocol === 6 && r.states === 0 && r.bytecode === CGROUP_PROBE_BYTECODE) {
          probes++
          continue
        }
        keys.push(keyOf('inet', { type: r.type, family: r.family, protocol: r.protocol, attr: r.protocolAttr, ext: h(r.ext), states: h(r.states), bc: r.bytecode ?? 'none', extra: r.otherAttrs.join(',') || undefined }))
        break
      case 'legacy-inet':
        keys.push(keyOf('legacy', { type: r.type, family: r.family, ext: h(r.ext), states: h(r.states), bc: r.bytecode ?? 'none', extra: r.otherAttrs.join(',') || undefined }))
        break
      case 'unix':
        keys.push(keyOf('unix', { states: h(r.states), show: h(r.show) }))
        break
      case 'packet':
        keys.push(keyOf('packet', { protocol: r.protocol, show: h(r.show) }))
        break
      case 'netlink':
        keys.push(keyOf('netlink', { protocol: r.protocol, show: h(r.show) }))
        break
      case 'other':
        keys.push(keyOf('family', { family: r.family, states: r.states === undefined ? undefined : h(r.states), show: r.show === undefined ? undefined : h(r.show) }))
        break
    }
  }
  return { keys, probes }
}

/** What ss should send on this kernel according to ssx's plan, as lines. */
function expectedKeys(plan: readonly SsxRequest[]): string[] {
  const keys: string[] = []
  for (const r of plan) {
    const bc = r.bytecode ?? 'none'
    switch (r.family) {
      case 2:
      case 10: {
        const proto = r.protocolAttr ?? r.protocol
        // The AF_INET dump failed on this kernel, so ss never gets to send AF_INET6.
        if (r.afterSuccess && KERNEL_LACKS.has(proto)) continue
        keys.push(keyOf('inet', { type: 20, family: r.family, protocol: r.protocol, attr: r.protocolAttr, ext: h(r.ext), states: h(r.states), bc }))
        // …and a failed DCCP dump is retried once with the legacy request (family always AF_INET).
        if (proto === IPPROTO_DCCP) keys.push(keyOf('legacy', { type: DCCPDIAG_GETSOCK, family: 2, ext: h(r.ext), states: h(r.states), bc }))
        break
      }
      case 1: keys.push(keyOf('unix', { states: h(r.states), show: h(r.ext) })); break
      case 17: keys.push(keyOf('packet', { protocol: r.protocol, show: h(r.ext) })); break
      case 16: keys.push(keyOf('netlink', { protocol: r.protocol, show: h(r.ext) })); break
      case 30: keys.push(keyOf('family', { family: 30, states: h(r.states) })); break
      case 40: keys.push(keyOf('family', { family: 40, states: h(r.states), show: h(r.ext) })); break
      case 44: keys.push(keyOf('family', { family: 44, show: h(r.ext) })); break
      default: keys.push(keyOf('family', { family: r.family, protocol: r.protocol, states: h(r.states), ext: h(r.ext) }))
    }
  }
  return keys
}

const BC_FIELD = / bc=([0-9a-f]+|none)/

/**
 * Apply the documented differences to a pair of key lists; returns the notes
 * on what was accepted, or a reason when a difference is not the documented one.
 */
function reconcile(c: DiffCase, words: readonly string[], ss: string[], ssx: string[]): { notes: string[], error?: string } {
  const notes: string[] = []
  const hasDev = words.includes('dev')
  for (let i = 0; i < Math.min(ss.length, ssx.length); i++) {
    const a = BC_FIELD.exec(ss[i]!)?.[1]
    const b = BC_FIELD.exec(ssx[i]!)?.[1]
    if (a === undefined || b === undefined) continue
    if (a === b && !hasDev) continue
    if (hasDev) {
      // (b): ss compiles nothing when any `dev` is present; ssx compiles DEV_COND.
      if (a !== 'none') return { notes, error: `(b) ss sent bytecode although the filter has dev: ${a}` }
      if (b === 'none' || !ops(b).some((op) => parseInt(op.slice(0, 2), 16) === BC_DEV_COND)) {
        return { notes, error: `(b) ssx's bytecode for a dev filter has no DEV_COND op: ${b}` }
      }
      notes.push('(b) dev: ss sends no bytecode, ssx DEV_COND')
    } else if (c.multiaddr && a !== 'none' && b !== 'none') {
      // (a): ss repeats the first address of a multi-address name in every op.
      const oa = ops(a)
      const ob = ops(b)
      if (oa.length !== ob.length || oa[0] !== ob[0]) return { notes, error: `(a) multi-address: op count ${oa.length} vs ${ob.length} or first op differs` }
      notes.push('(a) multi-address host: op count and first op equal')
    } else {
      continue
    }
    ss[i] = ss[i]!.replace(BC_FIELD, ' bc=<documented>')
    ssx[i] = ssx[i]!.replace(BC_FIELD, ' bc=<documented>')
  }
  return { notes }
}

/** A short diff of two key lists, plus the first differing byte of bytecodes. */
function shortDiff(ss: readonly string[], ssx: readonly string[]): string[] {
  const lines: string[] = []
  for (let i = 0; i < Math.max(ss.length, ssx.length); i++) {
    const a = ss[i]
    const b = ssx[i]
    if (a === b) { lines.push(`  ${a}`); continue }
    if (a !== undefined) lines.push(`- ss : ${a}`)
    if (b !== undefined) lines.push(`+ ssx: ${b}`)
    const ba = a === undefined ? undefined : BC_FIELD.exec(a)?.[1]
    const bb = b === undefined ? undefined : BC_FIELD.exec(b)?.[1]
    if (ba !== undefined && bb !== undefined && ba !== bb) {
      let k = 0
      while (k < ba.length && ba[k] === bb[k]) k++
      lines.push(`  bytecode differs from byte ${k >> 1}: ss …${ba.slice(k & ~1, (k & ~1) + 16)} ssx …${bb.slice(k & ~1, (k & ~1) + 16)}`)
    }
  }
  return lines
}

/** One case after both sides ran. */
interface Ran {
  readonly c: DiffCase
  readonly args: string[]
  readonly ss: { readonly exitCode: number, readonly stderr: string, readonly requests: CapturedRequest[] }
  readonly ssx: SsxResult
}

/** The outcome of one case: what to print, and the details of a mismatch. */
interface Verdict {
  readonly ok: boolean
  readonly message: string
  readonly extra?: { readonly args: string[], readonly [k: string]: unknown }
}

/** Compare both sides of one case. */
function verdict({ c, args, ss, ssx }: Ran): Verdict {
  const words = [...args, c.file ?? '', c.stdin ?? ''].flatMap((w) => w.split(/[ \t\n]+/))
  const ctx = { args, ssExit: ss.exitCode, ssxExit: ssx.exitCode, ssStderr: ss.stderr.split('\n').slice(0, 2).join('\n'), ssxStderr: ssx.stderr.split('\n').slice(0, 3).join('\n') }
  if (c.superset) {
    if (ss.exitCode !== 0 && ssx.exitCode === 0) return { ok: true, message: `: ss rejects (exit ${ss.exitCode}), ssx accepts by design` }
    return { ok: false, message: `[superset] case: expected ss to reject and ssx to accept, got ss ${ss.exitCode} vs ssx ${ssx.exitCode}`, extra: ctx }
  }
  if (ss.exitCode !== ssx.exitCode) return { ok: false, message: `exit ss ${ss.exitCode} vs ssx ${ssx.exitCode}`, extra: ctx }
  if (ss.exitCode !== 0) return { ok: true, message: `: both exit ${ss.exitCode}` }
  let plan: SsxRequest[]
  try {
    plan = parseSsxPlan(ssx.stdout)
  } catch (e) {
    return { ok: false, message: `ssx compile output unreadable: ${(e as Error).message}`, extra: { ...ctx, stdout: ssx.stdout.slice(0, 400) } }
  }
  const { keys: ssList, probes } = ssKeys(ss.requests)
  if (probes > 0 && !words.includes('cgroup')) return { ok: false, message: 'ss sent a cgroup probe without a cgroup predicate', extra: ctx }
  // ss leaves the hostcond padding uninitialised; ssx must send zeros, so only ss's side is normalized (in the capture).
  const ssxList = expectedKeys(plan)
  const { notes, error } = reconcile(c, words, ssList, ssxList)
  const same = error === undefined && ssList.length === ssxList.length && ssList.every((k, i) => k === ssxList[i])
  if (!same) return { ok: false, message: `requests differ${error === undefined ? '' : ` — ${error}`}`, extra: { ...ctx, requestDiff: shortDiff(ssList, ssxList) } }
  return {
    ok: true,
    message: `${notes.length > 0 ? ` [documented: ${[...new Set(notes)].join('; ')}]` : ''}${probes > 0 ? ' [(c) cgroup probe left out]' : ''}`,
  }
}

// ---------------------------------------------------------------------------
// environment

const isRoot = process.getuid?.() === 0
const inCi = process.env.CI === 'true'

async function haveStrace(): Promise<boolean> {
  try {
    await exec('strace', ['-V'])
    return true
  } catch {
    return false
  }
}

/** The host's cgroup2 mount point, if any. */
async function cgroup2Mount(): Promise<string | null> {
  const mounts = await readFile('/proc/mounts', 'utf8')
  for (const line of mounts.split('\n')) {
    const [, dir, type] = line.split(' ')
    if (type === 'cgroup2' && dir !== undefined) return dir
  }
  return null
}

/** Run `fn` over `items` with at most `jobs` at a time, keeping order. */
async function pool<T, R>(items: readonly T[], jobs: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }))
  return out
}

// ---------------------------------------------------------------------------
// the test

const skip = !isRoot && !inCi
  ? 'needs root (ip netns, strace of ss in a private namespace); runs in CI'
  : !(await haveStrace()) && !inCi ? 'strace is not installed' : false

t.test('ssx compile vs ss 6.1 under strace', { skip }, async (t) => {
  t.ok(isRoot, 'running as root (CI must run this test, not skip it)')
  if (!isRoot) return

  const ssOnly = process.env.SSX_DIFF_SS_ONLY === '1'
  let runCompile: RunCompile = async () => ({ exitCode: -1, stdout: '', stderr: 'SSX_DIFF_SS_ONLY' })
  if (!ssOnly) try {
    const mod: unknown = await import('../../src/cli/compile.js')
    if (!isRecord(mod) || typeof mod.runCompile !== 'function') throw new TypeError('src/cli/compile.ts exports no runCompile')
    runCompile = mod.runCompile as RunCompile
  } catch (e) {
    t.fail(`cannot load src/cli/compile.js: ${(e as Error).message}`)
    return
  }

  const ns = `ssx-cdiff-${process.pid}`
  await exec('ip', ['netns', 'add', ns])
  t.teardown(() => exec('ip', ['netns', 'del', ns]).then(() => undefined, () => undefined))
  await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])

  const tmp = await mkdtemp(join(tmpdir(), 'ssx-cdiff-'))
  t.teardown(() => rm(tmp, { recursive: true, force: true }))

  // A cgroup of our own under the host's cgroup2 mount, for the cgroup cases.
  const cgMount = await cgroup2Mount()
  const cgName = `ssx-cdiff-${process.pid}`
  let cgOk = false
  if (cgMount !== null) {
    try {
      await mkdir(join(cgMount, cgName))
      cgOk = true
      t.teardown(() => rmdir(join(cgMount, cgName)).catch(() => undefined))
    } catch { /* reported below */ }
  }

  const corpus = await loadCorpus()
  t.ok(corpus.length >= 250, `corpus has ${corpus.length} cases (≥ 250)`)

  const seed = Number(process.env.SSX_DIFF_SEED ?? Date.now() % 2 ** 31)
  const runs = Number(process.env.SSX_DIFF_RUNS ?? 150)
  t.comment(`generated cases: seed ${seed} (rerun with SSX_DIFF_SEED=${seed}), ${runs} runs`)
  const generated: DiffCase[] = fc.sample(ssInvocationArb, { numRuns: runs, seed }).map((inv, i) => {
    const args = invocationArgv(inv)
    return { name: `generated#${i} (seed ${seed}) ${JSON.stringify(args)}`, args, multiaddr: false, superset: false, needsCgroup: false }
  })

  const cases = [...corpus, ...generated]
  let fileNo = 0
  /** Run one case on both sides. */
  const run = async (c: DiffCase): Promise<Ran | { c: DiffCase, skipped: string }> => {
    if (c.needsCgroup && !cgOk) return { c, skipped: `no cgroup2 mount to create a cgroup under (${cgMount ?? 'none in /proc/mounts'})` }
    const filePath = join(tmp, `filter-${fileNo++}`)
    if (c.file !== undefined) await writeFile(filePath, c.file)
    const args = c.args.map((a) => a
      .replace('@FILE', filePath)
      .replace('@NOFILE', join(tmp, 'does-not-exist'))
      .replace('@CGABS', join(cgMount ?? '/', cgName))
      .replace('@CG', cgName))
    // cgroup cases need the cgroup2 mount, which `ip netns exec` hides (it remounts /sys).
    const keepMounts = args.includes('cgroup')
    const io = c.stdin === undefined ? {} : { stdin: c.stdin }
    const [ss, ssx] = await Promise.all([
      captureSs(args, { netns: ns, ...io, keepMounts }),
      ssOnly ? Promise.resolve({ exitCode: 0, stdout: '', stderr: '' }) : runCompile([...args], io).catch((e: unknown) => ({ exitCode: -1, stdout: '', stderr: `runCompile threw: ${String(e)}` })),
    ])
    return { c, args, ss, ssx }
  }
  const results = await pool(cases, Number(process.env.SSX_DIFF_JOBS ?? 8), run)

  let compared = 0
  let generatedFailed = false
  for (const r of results) {
    if ('skipped' in r) {
      t.pass(r.c.name, { skip: r.skipped })
      continue
    }
    if (ssOnly) {
      t.comment(`${r.c.name}\n  exit ${r.ss.exitCode} ${JSON.stringify(r.ss.stderr.split('\n')[0])}\n  ${ssKeys(r.ss.requests).keys.join('\n  ')}`)
      t.pass(r.c.name)
      continue
    }
    const v = verdict(r)
    compared++
    if (v.ok) {
      t.pass(`${r.c.name}${v.message}`)
    } else {
      t.fail(`${r.c.name}: ${v.message}`, v.extra ?? {})
      if (r.c.name.startsWith('generated')) generatedFailed = true
    }
  }

  if (generatedFailed) {
    // Let fast-check shrink the first failing generated case to a small one worth keeping in the corpus.
    const details = await fc.check(fc.asyncProperty(ssInvocationArb, async (inv) => {
      const r = await run({ name: 'shrink', args: invocationArgv(inv), multiaddr: false, superset: false, needsCgroup: false })
      return 'skipped' in r || verdict(r).ok
    }), { seed, numRuns: runs })
    if (details.counterexample !== null) {
      const args = invocationArgv(details.counterexample[0])
      t.comment(`shrunk counterexample (seed ${seed}; add it to compile-corpus.txt): ${args.map((a) => (/^[\w:./=!<>&|*-]+$/.test(a) ? a : `'${a}'`)).join(' ')}`)
    }
  }
  if (!ssOnly) t.ok(compared >= 350, `${compared} cases compared`)

  // Every program ssx produced for the corpus is sent once to the real
  // kernel as a TCP dump in the namespace: the kernel's audit must accept it.
  if (!ssOnly) {
    const { openDiag, dump } = await import('../../runtime/index.js')
    const programs = new Map<string, string>()
    for (const r of results) {
      if ('skipped' in r || r.ssx.exitCode !== 0) continue
      for (const req of parseSsxPlan(r.ssx.stdout)) {
        if (req.bytecode) programs.set(req.bytecode, r.c.name)
      }
    }
    const sock = openDiag({ netns: ns })
    t.teardown(() => sock.close())
    let refused = 0
    for (const [hex, name] of programs) {
      const bytecode = new Uint8Array(Buffer.from(hex, 'hex'))
      try {
        for (const family of [2, 10]) {
          for (const _ of dump(sock, { kind: 'inet', family, protocol: 6, states: 0xfff, ext: 0, bytecode })) { /* drain */ }
        }
      } catch (e) {
        refused++
        t.fail(`the kernel refused the program of ${name}: ${(e as Error).message}`, { bytecode: hex })
      }
    }
    t.equal(refused, 0, `${programs.size} distinct programs sent to the kernel, all accepted`)
  }
})

// Keep the helper honest where it is cheap: the normalizer zeroes exactly the padding of S_COND/D_COND.
t.test('hostcond padding normalization', async (t) => {
  t.equal(normalizeBytecodeHex('07101400000002001600000000000000'), '07101400000000001600000000000000')
  t.equal(normalizeBytecodeHex('0a0c1000341202000000ffff'), '0a0c1000341202000000ffff', 'MARK_COND untouched')
  t.equal(
    normalizeBytecodeHex('07101400000000001600000001042000071c20000a0a0200ffffffffef800000000000000000000000000000'),
    '07101400000000001600000001042000071c20000a0a0000ffffffffef800000000000000000000000000000',
    'second op found by walking yes',
  )
})

// The trace decoder on real strace 6.1 output (ss -dM sport = :22 after a
// `dev lo` lookup; shortened): the RTM_GETLINK (type 18!) on a route socket
// is dropped, the fd is then reused for sock_diag, iovec buffers are joined,
// the legacy retry is tagged, MPTCP's protocol attribute is read.
const TRACE = `4242  socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 3
4242  sendto(3, [{nlmsg_len=40, nlmsg_type=RTM_GETLINK, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=1795429202, nlmsg_pid=0}, {ifi_family=AF_UNSPEC, ...}], 40, 0, NULL, 0) = 40
 | 00000  28 00 00 00 12 00 01 03  52 13 04 6b 00 00 00 00  (.......R..k.... |
 | 00010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00020  08 00 1d 00 01 00 00 00                           ........         |
4242  close(3)                          = 0
4242  socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_SOCK_DIAG) = 3
4242  sendto(3, [{nlmsg_len=40, nlmsg_type=SOCK_DIAG_BY_FAMILY, nlmsg_flags=NLM_F_REQUEST|NLM_F_DUMP, nlmsg_seq=123456, nlmsg_pid=0}, {sdiag_family=AF_UNIX, ...}], 40, 0, NULL, 0) = 40
 | 00000  28 00 00 00 14 00 01 03  40 e2 01 00 00 00 00 00  (.......@....... |
 | 00010  01 00 00 00 ff 0f 00 00  00 00 00 00 15 00 00 00  ................ |
 | 00020  00 00 00 00 00 00 00 00                           ........         |
4242  sendmsg(0x3, 0x7ffe7ce30400, 0)   = 0x5c
 * 72 bytes in buffer 0
 | 00000  5c 00 00 00 14 00 01 03  40 e2 01 00 00 00 00 00  \\.......@....... |
 | 00010  02 21 00 00 37 0b 00 00  00 00 00 00 00 00 00 00  .!..7........... |
 | 00020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00040  00 00 00 00 00 00 00 00                           ........         |
 * 4 bytes in buffer 1
 | 00000  14 00 01 00                                       ....             |
 * 16 bytes in buffer 2
 | 00000  07 10 14 00 00 00 00 00  16 00 00 00 00 00 00 00  ................ |
4242  sendmsg(0x3, 0x7ffe7ce30400, 0)   = 0x60
 * 76 bytes in buffer 0
 | 00000  60 00 00 00 13 00 01 03  40 e2 01 00 00 00 00 00  \`.......@....... |
 | 00010  02 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00040  00 00 00 00 37 0b 00 00  00 00 00 00              ....7.......     |
 * 4 bytes in buffer 1
 | 00000  14 00 01 00                                       ....             |
 * 16 bytes in buffer 2
 | 00000  07 10 14 00 00 00 02 00  16 00 00 00 00 00 00 00  ................ |
4242  close(4)                          = 0
4242  close(3)                          = 0
4242  socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_SOCK_DIAG) = 3
4242  sendmsg(0x3, 0x7ffe7ce30400, 0)   = 0x64
 * 72 bytes in buffer 0
 | 00000  64 00 00 00 14 00 01 03  40 e2 01 00 00 00 00 00  d.......@....... |
 | 00010  0a 06 00 00 37 0b 00 00  00 00 00 00 00 00 00 00  ....7........... |
 | 00020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  ................ |
 | 00040  00 00 00 00 00 00 00 00                           ........         |
 * 4 bytes in buffer 1
 | 00000  14 00 01 00                                       ....             |
 * 16 bytes in buffer 2
 | 00000  07 10 14 00 00 00 02 00  16 00 00 00 00 00 00 00  ................ |
 * 4 bytes in buffer 3
 | 00000  08 00 03 00                                       ....             |
 * 4 bytes in buffer 4
 | 00000  06 01 00 00                                       ....             |
4242  close(3)                          = 0
`

t.test('strace log decoder', async (t) => {
  const reqs = parseStraceLog(TRACE)
  t.same(reqs.map((r) => `${r.kind}/${r.type}`), ['unix/20', 'inet/20', 'legacy-inet/19', 'inet/20'], 'RTM_GETLINK dropped, order kept')
  t.same(ssKeys(reqs).keys, [
    'unix states=0xfff show=0x15',
    'inet type=20 family=2 protocol=33 ext=0x0 states=0xb37 bc=07101400000000001600000000000000',
    'legacy type=19 family=2 ext=0x0 states=0xb37 bc=07101400000000001600000000000000',
    'inet type=20 family=10 protocol=6 attr=262 ext=0x0 states=0xb37 bc=07101400000000001600000000000000',
  ])
  const legacy = reqs[2]
  t.equal(legacy?.kind === 'legacy-inet' ? legacy.bytecodeRaw : null, '07101400000002001600000000000000', 'raw bytes keep the garbage')
  t.same(reqs.map((r) => r.flags), [0x301, 0x301, 0x301, 0x301])
  t.same(reqs.map((r) => r.seq), [123456, 123456, 123456, 123456])
  t.throws(() => parseStraceLog(TRACE.replace('5c 00 00 00 14 00', 'ff 00 00 00 14 00')), { name: 'CaptureError' }, 'a bad nlmsg_len is an error, not a silent skip')
})

t.test('expected requests on this kernel', async (t) => {
  const r = (family: number, protocol: number, afterSuccess: boolean, protocolAttr?: number): SsxRequest =>
    ({ table: 't', family, protocol, ...(protocolAttr === undefined ? {} : { protocolAttr }), states: 0xb37, ext: 0, bytecode: null, afterSuccess })
  t.same(expectedKeys([r(2, 255, false), r(10, 255, true), r(2, 33, false), r(10, 33, true), r(2, 6, false, 262), r(10, 6, true, 262)]), [
    'inet type=20 family=2 protocol=255 ext=0x0 states=0xb37 bc=none',
    'inet type=20 family=2 protocol=33 ext=0x0 states=0xb37 bc=none',
    'legacy type=19 family=2 ext=0x0 states=0xb37 bc=none',
    'inet type=20 family=2 protocol=6 attr=262 ext=0x0 states=0xb37 bc=none',
    'inet type=20 family=10 protocol=6 attr=262 ext=0x0 states=0xb37 bc=none',
  ], 'raw/dccp AF_INET6 dropped, DCCP legacy retry added, MPTCP kept')
  t.same(expectedKeys([r(10, 132, false)]), ['inet type=20 family=10 protocol=132 ext=0x0 states=0xb37 bc=none'], '-6: the first request is sent even when it fails')
})
