/**
 * Process attribution: a fixture /proc tree → exact entries in ss's order,
 * usersExtra table cases, laziness, and a live comparison with
 * `/usr/bin/ss -tlnpe` / `-tlnpTe` in a private namespace.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createProcessIndex, statComm } from '../../src/procs.js'
import { usersExtra } from '../../src/cli/format-extras.js'
import type { ProcEntry } from '../../src/procs.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const TREE = fileURLToPath(new URL('../fixtures/proc/tree', import.meta.url))

const e = (comm: string, pid: number, fd: number, tid?: number): ProcEntry =>
  tid === undefined ? { comm, pid, fd } : { comm, pid, tid, fd }

/*
 * The tree: pids 1, 12, 100 (no fd dir), 101 (comm `a)b) c`), 200 (threads
 * 200, 201, 202; 202 has exited), 201 (the thread's /proc/TID, which a
 * plain directory tree cannot hide from readdir, so it is also scanned as
 * a process — ss would do the same), 300 (empty comm), 400 (no stat).
 * Numeric order differs from name order (12 < 100, fd 6 < 10).
 */
t.test('fixture tree: entries in ss order (reverse discovery)', async (t) => {
  const index = createProcessIndex({ procRoot: TREE })
  const cases: [number, ProcEntry[]][] = [
    [1001, [e('nginx: worker', 12, 10), e('nginx: worker', 12, 6), e('init', 1, 3)]],
    [1002, [e('init', 1, 4)]],
    [1003, [e('a', 101, 3), e('nginx: worker', 12, 8)]],
    [2001, [e('worker-1', 201, 5), e('main', 200, 5)]],
    [2002, [e('worker-1', 201, 6), e('main', 200, 6)]],
    [3001, [e('', 300, 1)]],
    [4001, [e('', 400, 3)]],
    [4294967295, [e('init', 1, 9)]],
    [99, []],
    [9999, []],
  ]
  for (const [inode, want] of cases) t.same(index.lookup(inode), want, `inode ${inode}`)
})

t.test('fixture tree with threads: every thread, main thread first in discovery', async (t) => {
  const index = createProcessIndex({ procRoot: `${TREE}/`, threads: true })
  const cases: [number, ProcEntry[]][] = [
    [1001, [e('nginx: worker', 12, 10, 12), e('nginx: worker', 12, 6, 12), e('init', 1, 3, 1)]],
    [2001, [e('worker-1', 201, 5, 201), e('worker-1', 200, 5, 201), e('main', 200, 5, 200)]],
    [3001, [e('', 300, 1, 300)]],
  ]
  for (const [inode, want] of cases) t.same(index.lookup(inode), want, `inode ${inode}`)
})

t.test('usersExtra: ss text (an index built with threads gives every entry a tid)', async (t) => {
  const cases: [ProcEntry[], string][] = [
    [[], ''],
    [[e('nginx', 1, 6)], ' users:(("nginx",pid=1,fd=6))'],
    [[e('b', 3, 4), e('a', 2, 4)], ' users:(("b",pid=3,fd=4),("a",pid=2,fd=4))'],
    [[e('th two', 7, 3, 9), e('py', 7, 3, 7)], ' users:(("th two",pid=7,tid=9,fd=3),("py",pid=7,tid=7,fd=3))'],
    [[e('\xff"q', 7, 3)], ' users:(("\xff"q",pid=7,fd=3))'],
  ]
  for (const [entries, want] of cases) t.equal(usersExtra(entries), want, want || 'empty')
})

t.test('statComm: "%*d (%[^)]"', async (t) => {
  const cases: [string, string][] = [
    ['1 (init) S 0', 'init'], ['7 (a b) S', 'a b'], ['7 (ma(in) x)y) S', 'ma(in'], ['7 () S', ''],
    ['7 ()x) S', ''], ['  7 (x) S', 'x'], ['x (y) S', ''], ['7 (\xe9\x80) S', '\xe9\x80'],
  ]
  for (const [stat, want] of cases) t.equal(statComm(stat), want, stat)
})

t.test('the scan is lazy, complete, and done once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ssx-procs-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const root = join(dir, 'proc')
  const proc = (pid: number, comm: string, fds: Record<number, string>): void => {
    mkdirSync(join(root, String(pid), 'fd'), { recursive: true })
    writeFileSync(join(root, String(pid), 'stat'), `${pid} (${comm}) S 1\n`)
    for (const [fd, target] of Object.entries(fds)) symlinkSync(target, join(root, String(pid), 'fd', fd))
  }
  const index = createProcessIndex({ procRoot: root })
  // Created after the index: found only if nothing was read before the first lookup.
  proc(5, 'late', { 3: 'socket:[77]' })
  t.same(index.lookup(77), [e('late', 5, 3)], 'nothing read before the first lookup')
  proc(6, 'later', { 3: 'socket:[78]', 4: 'socket:[77]' })
  t.same([index.lookup(78), index.lookup(77)], [[], [e('late', 5, 3)]], 'no second scan')
  t.same(createProcessIndex({ procRoot: join(dir, 'missing') }).lookup(77), [], 'an unreadable root is an empty index')

  // Past the initial column capacity (1024 entries): every chain survives the growth.
  const n = 1500
  const fds = (base: number): Record<number, string> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [i + 3, `socket:[${base + (i % 1000)}]`]))
  proc(20, 'many', fds(100000))
  proc(21, 'more', fds(100500))
  const big = createProcessIndex({ procRoot: root })
  t.same(big.lookup(100000), [e('many', 20, 1003), e('many', 20, 3)], 'first inode of the first process')
  t.same(big.lookup(100700), [e('more', 21, 1203), e('more', 21, 203), e('many', 20, 703)], 'shared by both, order kept')
  t.same(big.lookup(101499), [e('more', 21, 1002)], 'last inode')
})

/**
 * Three python3 processes inside the namespace: `fork` listens on :7100,
 * forks (the child also dup2s the socket to fd 9), and the parent then
 * listens on :7101 alone; `threads` listens on :7102 and [::1]:7103 and
 * runs two named threads. Comms contain blanks and `)` on purpose. Each
 * prints its pids, then "ready".
 */
const HOLDERS_PY = `
import os, socket, sys, threading, time
def rename(path, name):
    with open(path, 'w') as f: f.write(name)
def listener(fam, addr, port):
    s = socket.socket(fam); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((addr, port)); s.listen(); return s
keep = []
if sys.argv[1] == 'fork':
    keep.append(listener(socket.AF_INET, '127.0.0.1', 7100))
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.dup2(keep[0].fileno(), 9); rename('/proc/self/comm', 'fork child'); os.write(w, b'x')
        while True: time.sleep(60)
    os.read(r, 1)
    keep.append(listener(socket.AF_INET, '127.0.0.1', 7101))
    print(os.getpid(), child, flush=True)
else:
    keep.append(listener(socket.AF_INET, '127.0.0.1', 7102)); keep.append(listener(socket.AF_INET6, '::1', 7103))
    started = threading.Barrier(3)
    def worker(name):
        rename('/proc/self/task/%d/comm' % threading.get_native_id(), name); started.wait(); time.sleep(3600)
    for name in ('th)one', 'th two'): threading.Thread(target=worker, args=(name,), daemon=True).start()
    started.wait()
    rename('/proc/self/comm', 'we ird)x y')
    print(os.getpid(), flush=True)
print('ready', flush=True)
sys.stdin.read()
`

const kernelSkip = async (): Promise<string | false> =>
  process.env['CI'] === 'true' || await canUseNetns() ? false : 'needs root and ip netns (runs whenever CI=true)'

t.test('live: usersExtra equals ss -p / -T for every listener', { skip: await kernelSkip() }, async (t) => {
  const ns = await createNetns('procs')
  t.teardown(() => ns.destroy())
  const start = (role: string): Promise<number[]> => {
    const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', HOLDERS_PY, role], { stdio: ['pipe', 'pipe', 'inherit'] })
    return new Promise<number[]>((resolve, reject) => {
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        const lines = out.split('\n')
        if (!lines.includes('ready')) return
        const pids = lines[0]!.split(' ').map(Number)
        // The forked child does not exit with its parent: kill every pid we were given.
        t.teardown(() => {
          child.stdin.end()
          for (const pid of pids) try { process.kill(pid, 'SIGKILL') } catch { /* already gone */ }
        })
        resolve(pids)
      })
      child.once('exit', (code) => reject(new Error(`${role} helper exited early (${code})`)))
    })
  }
  const [parent, child] = await start('fork')
  const [threaded] = await start('threads')

  for (const threads of [false, true]) {
    const { stdout } = await ns.exec('/usr/bin/ss', [threads ? '-tlnpTeH' : '-tlnpeH'])
    const index = createProcessIndex({ threads })
    const rows = stdout.trimEnd().split('\n')
    t.equal(rows.length, 4, `${threads ? '-T' : '-p'}: four listeners`)
    for (const row of rows) {
      const m = /( users:\(.*\)) ino:(\d+)/.exec(row)
      if (!t.ok(m, `users and ino in: ${row}`) || !m) continue
      t.equal(usersExtra(index.lookup(Number(m[2]))), m[1], `${threads ? '-T' : '-p'} ino ${m[2]}`)
    }
    // What ss printed is what the scenario says, so the comparison above is not vacuous.
    const on7100 = rows.find((r) => r.includes(':7100 '))!
    t.match(on7100, threads
      ? new RegExp(`"fork child",pid=${child},tid=${child},fd=9\\),\\("fork child",pid=${child},tid=${child},fd=3\\),\\("python3",pid=${parent},tid=${parent},fd=3\\)\\)`)
      : new RegExp(`"fork child",pid=${child},fd=9\\),\\("fork child",pid=${child},fd=3\\),\\("python3",pid=${parent},fd=3\\)\\)`),
    'shared listener: child fds descending, then the parent')
    const on7102 = rows.find((r) => r.includes(':7102 '))!
    t.match(on7102, threads ? /\("th two",.*\("th",.*\("we ird",pid=\d+,tid=\d+,fd=3\)\)/ : new RegExp(`users:\\(\\("we ird",pid=${threaded},fd=3\\)\\)`),
      'threaded process: comm up to the first ")"')
  }
})
