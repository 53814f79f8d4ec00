// `ssx --target ebpf -K`: the iterator selects, SOCK_DESTROY (by socket
// cookie) closes, on sockets this test creates in its own namespace: two
// TCP listeners with connections and two bound UDP sockets, held by a small
// Python process. The dry run lists what --target diag's dry run lists; the
// real run lists the same rows and afterwards a dump shows only the sockets
// the filter left alone (a UDP socket bound to an explicit port stays bound
// after the abort, as udp_abort() leaves it).
import t from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { list } from '../helpers/run-list.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

// Port 7000 (TCP) and 7001 (UDP) are the victims, 7100 and 7101 the bystanders.
const SOCKETS = String.raw`
import socket, sys
keep = []
for port in (7000, 7100):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('127.0.0.1', port)); l.listen(8)
    keep.append(l)
    for _ in range(3):
        c = socket.socket(); c.connect(('127.0.0.1', port)); keep += [c, l.accept()[0]]
for port in (7001, 7101):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', port)); keep.append(u)
print('ready', flush=True)
sys.stdin.readline()
`

const rows = (out: string): string[] => out.split('\n').slice(1).filter(Boolean).sort()

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.test('kernel', { skip: 'needs root, ip(8) and BPF iterators for a private namespace (CI=true makes this a failure)' }, async () => {})
} else {
  t.test('-K on the eBPF target destroys what its dry run lists, the same sockets as on diag', async (t) => {
    const ns = await createNetns('ebpfkill')
    t.teardown(() => ns.destroy())
    const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', SOCKETS], { stdio: ['pipe', 'pipe', 'inherit'] })
    t.teardown(() => { child.stdin.end(); child.kill() })
    await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()

    const filter = ['(', 'sport', '=', ':7000', 'or', 'dport', '=', ':7000', 'or', 'sport', '=', ':7001', ')']
    const dryEbpf = await list(['-N', ns.name, '-tuanK', '--dry-run', '--target', 'ebpf', ...filter])
    const dryDiag = await list(['-N', ns.name, '-tuanK', '--dry-run', '--target', 'diag', ...filter])
    t.equal(dryEbpf.code, 0, `dry run exit code (stderr: ${dryEbpf.err})`)
    t.equal(dryEbpf.err, '', 'no notice: the eBPF target ran')
    t.same(rows(dryEbpf.out), rows(dryDiag.out), 'the eBPF dry run selects what the diag one does')
    t.equal(rows(dryEbpf.out).length, 8, 'listener, 3 clients, 3 accepted children, the UDP socket')
    // The rows name each socket's protocol (-K on diag once printed every row as tcp).
    t.same(rows(dryDiag.out).map((r) => r.split(/\s+/)[0]), [...Array(7).fill('tcp'), 'udp'], 'netid of each row')

    const all = rows((await list(['-N', ns.name, '-tuan', '--target', 'diag'])).out)
    t.equal(all.length, 16, 'the dry runs destroyed nothing')

    const killed = await list(['-N', ns.name, '-tuanK', '--target', 'ebpf', ...filter])
    t.equal(killed.code, 0, `exit code (stderr: ${killed.err})`)
    t.same(rows(killed.out), rows(dryEbpf.out), 'the real run lists the same sockets')

    const after = rows((await list(['-N', ns.name, '-tuan', '--target', 'diag'])).out)
    t.equal(after.filter((r) => /:7000\b/.test(r)).length, 0, 'no TCP socket on port 7000 is left')
    t.same(after.filter((r) => /:7001\b/.test(r)).map((r) => r.split(/\s+/)[0]), ['udp'], 'the port-locked UDP socket stays bound')
    t.equal(after.filter((r) => /:710[01]\b/.test(r)).length, 8, 'the bystanders on 7100 and 7101 are untouched')
  })
}
