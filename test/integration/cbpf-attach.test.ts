// Classic BPF against the running kernel (root only; CI=true makes a skip a failure):
//
// 1. every program compiled from 300+ random filters attaches to a
//    NETLINK_SOCK_DIAG socket with SO_ATTACH_FILTER (the socket is never
//    bound to a group: nothing is received from the host);
// 2. the opcode table and the checker port agree with the kernel on all 256
//    one-byte codes and on random small programs (accept / EINVAL);
// 3. delivery, in a private namespace: one socket without a filter and one
//    per filter, all subscribed to the destroy groups, while loopback TCP
//    and UDP sockets open and close. Each filtered socket receives exactly
//    the messages the interpreter port keeps out of the unfiltered stream
//    (so a dropped event never reaches the process), and for exact programs
//    exactly those ss's user-space filter keeps.
import t from 'tap'
import fc from 'fast-check'
import koffi from 'koffi'
import { compileEventFilter } from '../../compiler/cbpf/compile.js'
import { checkProgram } from '../../compiler/cbpf/check.js'
import { interpret } from '../../compiler/cbpf/interpret.js'
import { encodeOps } from '../../compiler/cbpf/assemble.js'
import { formatAsm } from '../../compiler/cbpf/disasm.js'
import { evaluate } from '../../compiler/evaluate.js'
import { CBPF_OPCODE_BY_CODE, SKF_AD_OFF, SO_FILTER } from '../../uapi/bpf-classic.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { eventSocket, filterArb, filterFromText, filterFromWords } from '../compiler/cbpf-fixtures.js'
import { filterWordsArb } from '../props/filter-arbitrary.js'

const netnsOk = await canUseNetns()
if (!netnsOk && process.env.CI !== 'true') {
  t.plan(0, 'skip: needs root (SO_ATTACH_FILTER on a sock_diag socket, ip netns); CI=true makes this a failure')
} else {
  await main()
}

interface Prog { readonly code: number; readonly jt: number; readonly jf: number; readonly k: number }

async function main(): Promise<void> {
  const lib = koffi.load('libc.so.6')
  // A struct name of our own: the runtime's binding may declare `sock_fprog` too.
  koffi.struct('ssx_cbpf_test_fprog', { len: 'uint16_t', filter: 'void *' })
  const socket = lib.func('int socket(int, int, int)') as (d: number, ty: number, p: number) => number
  const close = lib.func('int close(int)') as (fd: number) => number
  const setsockopt = lib.func('int setsockopt(int, int, int, const ssx_cbpf_test_fprog *, uint32_t)') as (fd: number, level: number, name: number, v: { len: number; filter: Uint8Array }, len: number) => number
  const AF_NETLINK = 16
  const SOCK_RAW = 3
  const NETLINK_SOCK_DIAG = 4
  const SOL_SOCKET = 1
  const EINVAL = 22
  const fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG)
  if (fd < 0) throw new Error(`socket: errno ${koffi.errno()}`)
  t.teardown(() => void close(fd))

  /** 0 when the kernel accepts the program, else errno. */
  const attach = (ops: readonly Prog[]): number => {
    const bytes = encodeOps(ops)
    return setsockopt(fd, SOL_SOCKET, SO_FILTER.SO_ATTACH_FILTER, { len: ops.length, filter: bytes }, 16) < 0 ? koffi.errno() : 0
  }

  t.test('every program from random filters attaches (zero refusals)', async (t) => {
    let n = 0
    let longest = 0
    const seen = new Set<string>()
    const tryOne = (ops: readonly Prog[], what: string): void => {
      n++
      longest = Math.max(longest, ops.length)
      const key = Buffer.from(encodeOps(ops)).toString('hex')
      if (seen.has(key)) return
      seen.add(key)
      const err = attach(ops)
      if (err !== 0) throw new Error(`kernel refused (errno ${err}) ${what}:\n${formatAsm(ops)}`)
    }
    fc.assert(fc.property(filterArb(5), fc.boolean(), (f, range) => tryOne(compileEventFilter(f, range ? { localPortRange: [32768, 60999] } : {}).ops, JSON.stringify(f, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)))), { numRuns: 300 })
    await fc.assert(fc.asyncProperty(filterWordsArb('any', 4), async (words) => {
      let f
      try {
        f = (await filterFromWords(words)).filter
      } catch {
        return
      }
      tryOne(compileEventFilter(f).ops, words.join(' '))
    }), { numRuns: 300 })
    // A filter big enough to need trampolines.
    const big = await filterFromText(Array.from({ length: 120 }, (_, i) => `src 10.${i}.0.0/16`).join(' or '))
    const bigOps = compileEventFilter(big.filter).ops
    t.ok(bigOps.some((o) => o.trampoline), 'the large filter uses ja trampolines')
    tryOne(bigOps, '120 prefixes')
    t.pass(`${n} programs (${seen.size} distinct, longest ${longest} instructions) attached`)
  })

  /** A small program around `insn` that every other check accepts. */
  const around = (code: number): Prog[] => {
    const info = CBPF_OPCODE_BY_CODE.get(code)
    const k = info?.name === 'JMP_JA' ? 0 : 1
    return [{ code: 0x00, jt: 0, jf: 0, k: 0 }, { code: 0x02, jt: 0, jf: 0, k: 1 }, { code, jt: 0, jf: 0, k }, { code: 0x06, jt: 0, jf: 0, k: 0 }]
  }

  t.test('the opcode table is exactly the set of codes the kernel accepts', async (t) => {
    const disagree: string[] = []
    for (let code = 0; code < 256; code++) {
      const kernel = attach(around(code))
      const ours = checkProgram(around(code))
      if ((kernel === 0) !== ours.ok) disagree.push(`0x${code.toString(16)}: kernel ${kernel === 0 ? 'accepts' : `errno ${kernel}`}, checker ${ours.ok ? 'accepts' : ours.reason}`)
      else if (kernel !== 0 && kernel !== EINVAL) disagree.push(`0x${code.toString(16)}: errno ${kernel}`)
    }
    t.same(disagree, [], `${CBPF_OPCODE_BY_CODE.size} codes accepted by both`)
  })

  t.test('checker port = kernel on random programs', async (t) => {
    const codes = [...CBPF_OPCODE_BY_CODE.keys()]
    const insn = fc.record({
      code: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...codes) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
      jt: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 })),
      jf: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 255 })),
      k: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0, 15, 16, 31, 32, SKF_AD_OFF, SKF_AD_OFF + 12, SKF_AD_OFF + 13, SKF_AD_OFF + 60, SKF_AD_OFF + 64, 0xffffffff), fc.nat()),
    })
    const stats = { accepted: 0, refused: 0 }
    fc.assert(
      fc.property(fc.array(insn, { minLength: 1, maxLength: 8 }), fc.boolean(), (body, endWithRet) => {
        const prog = endWithRet ? [...body, { code: 0x06, jt: 0, jf: 0, k: 0 }] : body
        const kernel = attach(prog)
        const ours = checkProgram(prog)
        if (kernel === 0) stats.accepted++
        else stats.refused++
        if ((kernel === 0) !== ours.ok) throw new Error(`kernel ${kernel === 0 ? 'accepts' : `errno ${kernel}`}, checker ${ours.ok ? 'accepts' : ours.reason}:\n${formatAsm(prog)}`)
      }),
      { numRuns: process.env.CI === 'true' ? 3000 : 10000 },
    )
    t.ok(stats.accepted > 100 && stats.refused > 100, `kernel accepted ${stats.accepted}, refused ${stats.refused}`)
  })

  t.test('delivery in a namespace: the kernel drops exactly what the program drops', async (t) => {
    const ns = await createNetns('cbpf')
    t.teardown(() => ns.destroy())
    const texts = [
      'sport = :5555',
      'dport = :5555',
      'not sport = :5555',
      'src [::1]',
      'src 127.0.0.1 and dport >= :5556',
      'sport >= :5555 and sport <= :5557',
      'dst 127.0.0.0/8',
      'src [::ffff:127.0.0.1]',
      'autobound',
      'dev lo',
      'fwmark 0x1 or sport = :5556',
      'not ( sport = :5555 or dport = :5555 )',
      'not fwmark 0x1 and cgroup /x or dport = :5555',
      'rtt > 50ms and sport = :5555',
      'bytes_acked > 0 or segs_out >= 3',
      'not rtt > 0 and lastsnd < 1s',
      'cwnd = 10 and dport >= :5555',
      'uid = 0 or rqueue > 0',
    ]
    const range = (await ns.exec('cat', ['/proc/sys/net/ipv4/ip_local_port_range'])).stdout.trim().split(/\s+/).map(Number) as [number, number]
    const env = { localPortRange: range }
    const filters = []
    for (const text of texts) filters.push(await filterFromText(text))
    // A few random ss-syntax filters too, with a fixed seed so failures replay.
    for (const words of fc.sample(filterWordsArb('any', 2), { numRuns: 40, seed: 9 })) {
      if (filters.length >= 24) break
      try {
        filters.push(await filterFromWords(words))
      } catch {
        // a value the fake resolver does not know
      }
    }
    const programs = filters.map((f) => compileEventFilter(f.filter, { localPortRange: range }))
    const { stdout } = await ns.exec('python3', ['-c', DELIVERY_PY, JSON.stringify(programs.map((p) => Buffer.from(p.program).toString('hex')))])
    const [all, ...filtered] = JSON.parse(stdout) as string[][]
    t.ok(all!.length >= 1000, `${all!.length} destroy events without a filter`)
    for (const [i, f] of filters.entries()) {
      const p = programs[i]!
      const msgs = all!.map((h) => Buffer.from(h, 'hex'))
      const byInterpreter = all!.filter((_, j) => interpret(p.ops, msgs[j]!) !== 0)
      // As sets: two connections closed at once on the two CPUs reach each listening socket
      // in either order (the kernel orders multicast per sender, not across CPUs).
      t.same([...filtered[i]!].sort(), [...byInterpreter].sort(), `${f.source}: the kernel kept the ${byInterpreter.length} events the interpreter keeps`)
      const byEvaluator = f.filter === null ? all! : all!.filter((_, j) => evaluate(f.filter!, eventSocket(msgs[j]!), env))
      if (p.exact) t.same(byEvaluator, byInterpreter, `${f.source}: exact: the evaluator keeps the same`)
      else t.ok(byEvaluator.every((h) => byInterpreter.includes(h)), `${f.source}: over-approximation keeps every event the evaluator keeps`)
    }
  })
}

/** Subscribe one socket without a filter and one per program, churn loopback sockets, print what each received. */
const DELIVERY_PY = String.raw`
import ctypes, json, select, socket, struct, sys, time
progs = json.loads(sys.argv[1])
GROUPS = 0b1111  # SKNLGRP_INET_TCP_DESTROY, _UDP_, INET6_TCP_, INET6_UDP_
keep = []
def sub(hexprog):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 << 20)
    if hexprog:
        code = bytes.fromhex(hexprog)
        buf = ctypes.create_string_buffer(code, len(code))
        keep.append(buf)
        s.setsockopt(socket.SOL_SOCKET, 26, struct.pack('HL', len(code) // 8, ctypes.addressof(buf)))
    s.bind((0, GROUPS))
    return s
subs = [sub('')] + [sub(p) for p in progs]
servers = []
for fam, addr, port in [(socket.AF_INET, '127.0.0.1', 5555), (socket.AF_INET6, '::1', 5556), (socket.AF_INET6, '::', 5557)]:
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(512)
    servers.append(s)
for i in range(500):
    fam, addr, port = [(socket.AF_INET, '127.0.0.1', 5555), (socket.AF_INET6, '::1', 5556), (socket.AF_INET, '127.0.0.1', 5557)][i % 3]
    c = socket.socket(fam, socket.SOCK_STREAM)
    if i % 5 == 0:
        c.bind((addr, 6000 + i))
    c.connect((addr, port))
    a, _ = servers[i % 3].accept()
    # Half close with RST (tcp_disconnect: the client's event shows dport 0), half normally.
    if i % 2:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
    a.close()
for i in range(100):
    fam, addr = [(socket.AF_INET, '127.0.0.1'), (socket.AF_INET6, '::1')][i % 2]
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind((addr, 7000 + i if i % 4 else 0))
    u.close()
for s in servers:
    s.close()
time.sleep(0.5)
out = []
for s in subs:
    got = []
    while select.select([s], [], [], 0.3)[0]:
        got.append(s.recv(65536).hex())
    out.append(got)
print(json.dumps(out))
`
