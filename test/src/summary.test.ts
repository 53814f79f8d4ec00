/**
 * `ss -s`: hand-written procfs texts → exact text (checked against
 * /usr/bin/ss on the same files), ss's environment variables and error
 * lines, and a live comparison with ss inside a private namespace.
 */
import t from 'tap'
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { formatSummary, readSummary, snmpValue } from '../../src/summary.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const run = promisify(execFile)
const FIXTURES = fileURLToPath(new URL('../fixtures/proc/summary/', import.meta.url))
const SS = '/usr/bin/ss'

const TABLE = (rows: [string, number, number][]): string =>
  'Transport Total     IP        IPv6\n' +
  rows.map(([n, a, b]) => `${n}\t  ${String(a + b).padEnd(9)} ${String(a).padEnd(9)} ${String(b).padEnd(9)}\n`).join('') + '\n'

/** fixture directory → exact ss 6.1 text and the error lines ss prints first. */
const CASES: { dir: string, text: string, errors: string[] }[] = [
  {
    dir: 'busy',
    text: 'Total: 1834562\nTCP:   1841710 (estab 1150022, closed 41242, orphaned 17, timewait 40210)\n\n' +
      TABLE([['RAW', 3, 1], ['UDP', 312, 41], ['TCP', 1200345, 600123], ['INET', 1200660, 600165], ['FRAG', 2, 1]]),
    errors: [],
  },
  {
    // `orphan x` stops the TCP scan after inuse; `UDP:\t` is another id; a
    // sockstat6 line overrides sockstat's; the 255-byte fgets piece makes
    // `RAW: inuse 5` a line of its own; a key missing from the snmp header
    // selects the last column.
    dir: 'quirks',
    text: 'Total: 42\nTCP:   0 (estab 31, closed -9, orphaned 0, timewait 0)\n\n' +
      TABLE([['RAW', 5, 8], ['UDP', 0, 6], ['TCP', 7, 2], ['INET', 12, 16], ['FRAG', -2, 0]]),
    errors: [],
  },
  {
    dir: 'no-estab',
    text: 'Total: 5\nTCP:   2 (estab 0, closed 1, orphaned 0, timewait 0)\n\n' +
      TABLE([['RAW', 0, 0], ['UDP', 0, 0], ['TCP', 1, 0], ['INET', 1, 0], ['FRAG', 0, 0]]),
    errors: ['ss: get_snmpstat: No such process'],
  },
  {
    dir: 'does-not-exist',
    text: 'Total: 0\nTCP:   0 (estab 0, closed 0, orphaned 0, timewait 0)\n\n' +
      TABLE([['RAW', 0, 0], ['UDP', 0, 0], ['TCP', 0, 0], ['INET', 0, 0], ['FRAG', 0, 0]]),
    errors: ['ss: get_sockstat: No such file or directory', 'ss: get_snmpstat: No such file or directory'],
  },
]

t.test('fixtures: exact text and error lines', async (t) => {
  for (const c of CASES) {
    const data = readSummary(join(FIXTURES, c.dir))
    t.equal(formatSummary(data), c.text, `${c.dir}: text`)
    t.same(data.errors.map((e) => e.message), c.errors, `${c.dir}: errors`)
  }
})

t.test('fixtures: /usr/bin/ss prints the same for the same files', { skip: existsSync(SS) ? false : `${SS} is not installed` }, async (t) => {
  for (const c of CASES) {
    const root = join(FIXTURES, c.dir)
    const got = await run(SS, ['-s'], { env: { PATH: process.env['PATH'], PROC_ROOT: root } }).catch((e: { stdout: string, stderr: string }) => e)
    t.equal(got.stdout, c.text, `${c.dir}: ss stdout`)
    t.equal(got.stderr, c.errors.map((e) => `${e}\n`).join(''), `${c.dir}: ss stderr`)
  }
})

t.test('environment: PROC_NET_* win over PROC_ROOT, which wins over procRoot', async (t) => {
  const busy = join(FIXTURES, 'busy')
  const quirks = join(FIXTURES, 'quirks')
  const viaRoot = readSummary('/nonexistent', { PROC_ROOT: busy })
  t.equal(viaRoot.counts.sockets, 1834562, 'PROC_ROOT over the argument')
  const mixed = readSummary(busy, {
    PROC_NET_SOCKSTAT: join(quirks, 'net/sockstat'),
    PROC_NET_SOCKSTAT6: join(busy, 'net/sockstat6'),
    PROC_NET_SNMP: join(quirks, 'net/snmp'),
  })
  t.same([mixed.counts.sockets, mixed.counts.tcp6, mixed.tcpEstablished], [42, 600123, 31], 'each file from its own variable')
  const noV6 = readSummary(busy, { PROC_NET_SOCKSTAT6: '/nonexistent' })
  t.same([noV6.counts.tcp6, noV6.errors.length], [0, 0], 'a missing sockstat6 is silent')
  const dir = readSummary(busy, { PROC_NET_SOCKSTAT: busy })
  t.same([dir.counts.sockets, dir.errors.length], [0, 0], 'a directory reads as empty, without an error (fopen succeeds)')
  const e = readSummary(busy, { PROC_NET_SNMP: '' }).errors[0]
  t.match(e, { name: 'SummaryReadError', operation: 'get_snmpstat', path: '', code: 'ENOENT' }, 'typed error')
  // ss builds $PROC_ROOT/net/… in snprintf(store, 127): 126 bytes survive (seen with strace).
  const long = `/tmp/${'a'.repeat(130)}`
  t.same(readSummary(long).errors.map((x) => x.path), [long.slice(0, 126), long.slice(0, 126)], 'long PROC_ROOT paths are cut at 126 bytes')
})

t.test('snmpValue: ss get_snmp_int rules', async (t) => {
  const cases: [string, number | undefined][] = [
    ['Tcp: A CurrEstab B\nTcp: 1 2 3\n', 2],
    ['Tcp: A CurrEstab\nTcp: 1 -7\n', -7],
    ['Tcp: A CurrEstab\nTcp: 1 x\n', 0],
    ['Tcp: A CurrEstab\nUdp: 1 2\n', undefined],
    ['Tcp: A CurrEstab\n', undefined],
    ['Tcp: A CurrEstab\nTcp: 1\nTcp: A CurrEstab\nTcp: 1 9\n', 9],
    ['TcpExt: A CurrEstab\nTcpExt: 1 5\n', undefined], // "Tcp:" is compared with its colon
    ['Udp: CurrEstab\nUdp: 4\n', undefined],
  ]
  for (const [text, want] of cases) t.equal(snmpValue(text, 'Tcp:', 'CurrEstab'), want, JSON.stringify(text))
})

/** Sockets of every kind the summary counts, opened inside the namespace; prints its pid, then "ready". */
const SOCKETS_PY = `
import os, socket, sys
keep = []
for fam, addr in ((socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')):
    l = socket.socket(fam); l.bind((addr, 7000)); l.listen(); keep.append(l)
    for _ in range(2):
        c = socket.create_connection((addr, 7000)); s, _ = l.accept(); keep += [c, s]
    c = socket.create_connection((addr, 7000)); s, _ = l.accept()
    c.close(); s.close()  # the client closed first: TIME-WAIT
    u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((addr, 7001)); keep.append(u)
keep.append(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP))
keep.append(socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6))
keep.append(socket.socket(socket.AF_INET, socket.SOCK_STREAM))  # allocated, never hashed: "closed"
print(os.getpid(), flush=True)
print('ready', flush=True)
sys.stdin.read()
`

const kernelSkip = async (): Promise<string | false> =>
  process.env['CI'] === 'true' || await canUseNetns() ? false : 'needs root and ip netns (runs whenever CI=true)'

t.test('live: ss -s in a private namespace', { skip: await kernelSkip() }, async (t) => {
  const ns = await createNetns('summary')
  t.teardown(() => ns.destroy())
  const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', SOCKETS_PY], { stdio: ['pipe', 'pipe', 'inherit'] })
  t.teardown(() => { child.stdin.end(); child.kill('SIGKILL') })
  const pid = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      const lines = out.split('\n')
      if (lines.includes('ready')) resolve(Number(lines[0]))
    })
    child.once('exit', (code) => reject(new Error(`socket helper exited early (${code})`)))
  })
  // /proc/PID/net is the namespace of PID, so this reads the namespace's files.
  const root = `/proc/${pid}`

  const data = readSummary(root)
  t.same(data.errors, [], 'no errors')
  t.same([data.counts.tcp4, data.counts.tcp6, data.counts.udp4, data.counts.udp6, data.counts.raw4, data.counts.raw6],
    [5, 5, 1, 1, 1, 1], 'counts are the namespace\'s own')
  t.equal(data.counts.tcpTimewait, 2, 'two TIME-WAIT sockets')
  t.equal(data.tcpEstablished, 8, 'CurrEstab')

  // Same files for both: a snapshot read inside the namespace, given to ss through its variables.
  const snap = mkdtempSync(join(tmpdir(), 'ssx-summary-'))
  t.teardown(() => rmSync(snap, { recursive: true, force: true }))
  mkdirSync(join(snap, 'net'))
  for (const f of ['sockstat', 'sockstat6', 'snmp']) {
    const { stdout } = await ns.exec('cat', [`/proc/net/${f}`])
    writeFileSync(join(snap, 'net', f), stdout)
  }
  t.equal(readFileSync(join(snap, 'net/sockstat6'), 'latin1'), readFileSync(join(root, 'net/sockstat6'), 'latin1'), '/proc/PID/net is the namespace\'s /proc/net')
  const fromSnap = await run(SS, ['-s'], { env: { PATH: process.env['PATH'], PROC_ROOT: snap } })
  t.equal(formatSummary(readSummary(snap)), fromSnap.stdout, 'snapshot: identical to ss')

  // Live: machine-wide counters (TCP alloc, orphans) move with other work
  // on this host, so compare when our readings before and after ss agree.
  for (let attempt = 1; ; attempt++) {
    const before = formatSummary(readSummary(root))
    const { stdout } = await ns.exec(SS, ['-s'])
    const after = formatSummary(readSummary(root))
    if (before === after || attempt === 20) {
      t.equal(before, stdout, `live: identical to ss (attempt ${attempt})`)
      break
    }
  }
})
