// -K against the kernel, only on sockets this test creates in its own
// namespace: a TCP listener with one connection and a bound UDP socket, held
// by a small Python process. The dry run and the real run select the same
// sockets; afterwards a dump no longer lists them and the owner's next
// receive fails with ECONNABORTED (a UDP socket bound to an explicit port
// stays in the hash after the abort, as udp_abort() leaves it).
import t from 'tap'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { AF } from '../../uapi/inet-diag.js'
import type { Filter } from '../../compiler/filter.js'
import { compilePlan } from '../../compiler/compile.js'
import { SS_ALL, tableBit } from '../../compiler/select.js'
import type { Selection } from '../../compiler/select.js'
import { NetlinkError } from '../../runtime/errors.js'
import { openDiag } from '../../runtime/netns.js'
import type { SocketRecord } from '../../runtime/record.js'
import { KillError, killQuery } from '../../src/kill.js'
import { runQuery } from '../../src/query.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const SPAN = { start: 0, end: 0 }
const port = (dir: 'src' | 'dst', p: number): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: 0, addrs: [], port: p }, span: SPAN })
const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right, span: SPAN })
const key = (r: SocketRecord): string => `${r.kind}/${r.family}/${'cookie' in r ? r.cookie : ''}`

t.test('KillError reads like ss', async (t) => {
  t.equal(new KillError(new NetlinkError('request', 1)).message, 'SOCK_DESTROY answers: Operation not permitted')
  t.equal(new KillError(new NetlinkError('request', 1)).cause.errnoName, 'EPERM')
})

// Holds the victims; on "probe" it tries to receive on each and prints the errno (0 = data or EOF).
const VICTIMS = String.raw`
import json, socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(('127.0.0.1', 7000)); l.listen(4)
c = socket.socket(); c.connect(('127.0.0.1', 7000)); a, _ = l.accept()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(('127.0.0.1', 7001))
print(json.dumps({'client': c.getsockname()[1]}), flush=True)
sys.stdin.readline()
out = {}
for name, s in (('client', c), ('accepted', a), ('udp', u)):
    s.setblocking(False)
    try:
        s.recv(1); out[name] = 0
    except BlockingIOError:
        out[name] = 11
    except OSError as e:
        out[name] = e.errno
print(json.dumps(out), flush=True)
sys.stdin.readline()
`

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.test('kernel', { skip: 'needs root and ip(8) to create a network namespace (CI=true makes this a failure)' }, async () => {})
} else {
  t.test('-K destroys exactly what the dry run selects', async (t) => {
    const ns = await createNetns('kill')
    t.teardown(() => ns.destroy())
    const child = spawn('ip', ['netns', 'exec', ns.name, 'python3', '-c', VICTIMS], { stdio: ['pipe', 'pipe', 'inherit'] })
    t.teardown(() => { child.stdin.end(); child.kill() })
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
    const next = async (): Promise<string> => (await lines.next()).value as string
    const { client } = JSON.parse(await next()) as { client: number }
    const sock = openDiag({ netns: ns.name })
    t.teardown(() => sock.close())

    const sel: Selection = { tables: tableBit('tcp') | tableBit('udp'), families: (1 << AF.AF_INET) | (1 << AF.AF_INET6), states: SS_ALL, preferredFamily: 0 }
    const plan = compilePlan(or(or(port('src', 7000), port('dst', 7000)), port('src', 7001)), { selection: sel, preferredFamily: 0 })
    const opts = { ...sel, socket: sock }

    const dry = [...killQuery(plan, { ...opts, dryRun: true })].map(key).sort()
    t.equal(dry.length, 4, 'listener, client, accepted child, UDP socket')
    t.same([...runQuery(plan, opts)].map(key).sort(), dry, 'the dry run destroyed nothing')

    const killed = [...killQuery(plan, { ...opts, netns: ns.name })]
    t.same(killed.map(key).sort(), dry, 'the real run yields the same sockets')
    t.ok(killed.some((r) => r.kind === 'inet' && r.localPort === client), 'the client among them')
    // udp_abort() keeps a socket whose port was bound explicitly in the hash: it stays listed, aborted.
    const after = [...runQuery(plan, opts)]
    t.same(after.map((r) => r.localPort), [7001], 'a follow-up dump finds none of the TCP sockets; the port-locked UDP socket stays bound')

    child.stdin.write('probe\n')
    const errs = JSON.parse(await next()) as Record<string, number>
    // The first of a connected pair to be destroyed resets its peer, which may see the RST
    // (ECONNRESET) before its own SOCK_DESTROY arrives (then ENOENT: skipped silently).
    t.equal(errs.udp, 103, 'UDP: ECONNABORTED')
    t.ok([errs.client, errs.accepted].includes(103), `one side of the pair sees ECONNABORTED (client ${errs.client}, accepted ${errs.accepted})`)
    t.ok([errs.client, errs.accepted].every((e) => e === 103 || e === 104), 'the other ECONNABORTED or ECONNRESET')
  })
}
