// Destroy events: the group selection and mask, decoding of announcement
// messages built here byte by byte (never with the runtime's encoders), and,
// in a private namespace, subscription, a hand-assembled classic BPF program
// that makes the kernel drop what it rejects, refusals, and waiting.
import t from 'tap'
import fc from 'fast-check'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { DecodeError, NetlinkError, RequestError } from '../../runtime/errors.js'
import { BPF_ACCEPT_ALL, decodeDestroyEvents, destroyGroups, groupMask, openDiagEvents } from '../../runtime/events.js'
import type { DestroyEvent, DiagEvents } from '../../runtime/events.js'
import { canUseNetns, createNetns } from '../helpers/netns.js'

const run = promisify(execFile)

// ---------------------------------------------------------------------------
// groups

t.test('destroyGroups and groupMask: bit g-1 per group g', async (t) => {
  const cases: { sel: [tcp: boolean, udp: boolean, ipv4: boolean, ipv6: boolean], groups: number[], mask: number }[] = [
    { sel: [true, true, true, true], groups: [1, 2, 3, 4], mask: 0b1111 },
    { sel: [true, false, true, false], groups: [1], mask: 0b0001 },
    { sel: [false, true, true, false], groups: [2], mask: 0b0010 },
    { sel: [true, false, false, true], groups: [3], mask: 0b0100 },
    { sel: [false, true, false, true], groups: [4], mask: 0b1000 },
    { sel: [true, true, false, true], groups: [3, 4], mask: 0b1100 },
    { sel: [true, false, true, true], groups: [1, 3], mask: 0b0101 },
    { sel: [false, false, true, true], groups: [], mask: 0 },
    { sel: [true, true, false, false], groups: [], mask: 0 },
  ]
  for (const { sel: [tcp, udp, ipv4, ipv6], groups, mask } of cases) {
    const got = destroyGroups({ tcp, udp, ipv4, ipv6 })
    t.same(got, groups, `tcp=${tcp} udp=${udp} v4=${ipv4} v6=${ipv6}`)
    t.equal(groupMask(got), mask)
  }
  t.equal(groupMask([32]), 0x80000000, 'group 32 is the top bit, unsigned')
  for (const bad of [0, 33, 1.5, -1]) t.throws(() => groupMask([bad]), RequestError, `group ${bad}`)
})

// ---------------------------------------------------------------------------
// decoding, from bytes built here

const le16 = (v: number): number[] => [v & 0xff, (v >> 8) & 0xff]
const le32 = (v: number): number[] => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff]
const be16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff]
const pad4 = (b: number[]): number[] => [...b, ...new Array((4 - (b.length % 4)) % 4).fill(0)]
const attr = (type: number, payload: number[]): number[] => pad4([...le16(4 + payload.length), ...le16(type), ...payload])

/** An announcement as the kernel builds it (inet_diag_handler_get_info): header, inet_diag_msg, PROTOCOL, INFO. */
function announcement(o: { type?: number, family: number, state: number, sport: number, dport: number, src: number[], dst: number[], ifindex?: number, cookie?: [number, number], rqueue?: number, wqueue?: number, attrs: number[] }): number[] {
  const addr = (a: number[]): number[] => [...a, ...new Array(16 - a.length).fill(0)]
  const body = [
    o.family, o.state, 0, 0, ...be16(o.sport), ...be16(o.dport), ...addr(o.src), ...addr(o.dst),
    ...le32(o.ifindex ?? 0), ...le32(o.cookie?.[0] ?? 0), ...le32(o.cookie?.[1] ?? 0),
    ...le32(0), ...le32(o.rqueue ?? 0), ...le32(o.wqueue ?? 0), ...le32(0), ...le32(0),
    ...o.attrs,
  ]
  return [...le32(16 + body.length), ...le16(o.type ?? 20), ...le16(0), ...le32(0), ...le32(0), ...body]
}

const INET_DIAG_INFO = 2
const INET_DIAG_PROTOCOL = 10
/** A 104-byte tcp_info (an older, shorter layout: the decoder takes what is there): state 7, rtt 27 µs at offset 68. */
const tcpInfo = (): number[] => {
  const b = new Array(104).fill(0)
  b[0] = 7
  b.splice(68, 4, ...le32(27))
  return b
}

const tcp4 = announcement({ family: 2, state: 7, sport: 5555, dport: 51598, src: [127, 0, 0, 1], dst: [127, 0, 0, 1], cookie: [0x12d42c, 0], rqueue: 1, attrs: [...attr(INET_DIAG_PROTOCOL, [6]), ...attr(INET_DIAG_INFO, tcpInfo())] })
const udp6 = announcement({ family: 10, state: 7, sport: 6000, dport: 0, src: [...new Array(15).fill(0), 1], dst: [], wqueue: 0xffffffff, ifindex: 1, attrs: attr(INET_DIAG_PROTOCOL, [17]) })
const noop = [...le32(16), ...le16(1), ...le16(0), ...le32(0), ...le32(0)]

t.test('decodeDestroyEvents: fields, protocol from the message, the message bytes', async (t) => {
  const datagram = Uint8Array.from([...tcp4, ...noop, ...udp6])
  const evs = [...decodeDestroyEvents(datagram)]
  t.equal(evs.length, 2, 'NLMSG_NOOP skipped')
  const [a, b] = evs as [DestroyEvent, DestroyEvent]
  t.match(a.record, { kind: 'inet', family: 2, state: 7, localPort: 5555, remotePort: 51598, rqueue: 1, protocol: 6, cookie: 0x12d42cn })
  t.same([...a.record.localAddr], [127, 0, 0, 1])
  t.equal(a.protocol, 6)
  t.match(a.record.tcpInfo, { state: 7, rtt: 27 }, 'INET_DIAG_INFO read as tcp_info because the message says TCP')
  t.same([...a.message], tcp4, 'the message from its header on: what a socket filter sees')
  t.match(b.record, { family: 10, localPort: 6000, remotePort: 0, wqueue: 0xffffffff, ifindex: 1 })
  t.equal(b.protocol, 17)
  t.equal(b.record.tcpInfo, undefined)
  t.same([...b.message], udp6)
})

t.test('decodeDestroyEvents: INFO of a UDP message is not read as tcp_info; no PROTOCOL means TCP', async (t) => {
  const udpWithInfo = announcement({ family: 2, state: 7, sport: 1, dport: 2, src: [127, 0, 0, 1], dst: [127, 0, 0, 1], attrs: [...attr(INET_DIAG_PROTOCOL, [17]), ...attr(INET_DIAG_INFO, tcpInfo())] })
  const [u] = [...decodeDestroyEvents(Uint8Array.from(udpWithInfo))]
  t.equal(u?.record.tcpInfo, undefined)
  t.equal(u?.record.unknown?.length, 1, 'kept raw')
  const bare = announcement({ family: 2, state: 7, sport: 1, dport: 2, src: [127, 0, 0, 1], dst: [127, 0, 0, 1], attrs: attr(INET_DIAG_INFO, tcpInfo()) })
  const [b] = [...decodeDestroyEvents(Uint8Array.from(bare))]
  t.equal(b?.protocol, 6)
  t.equal(b?.record.tcpInfo?.rtt, 27)
})

t.test('decodeDestroyEvents: truncated input is a DecodeError with its position', async (t) => {
  t.throws(() => [...decodeDestroyEvents(Uint8Array.from(tcp4.slice(0, 40)))], { name: 'DecodeError', what: 'nlmsghdr' })
  const short = [...le32(16 + 40), ...le16(20), ...le16(0), ...le32(0), ...le32(0), ...new Array(40).fill(0)]
  t.throws(() => [...decodeDestroyEvents(Uint8Array.from(short))], { name: 'DecodeError', what: 'inet_diag_msg', offset: 16 })
})

t.test('decodeDestroyEvents: arbitrary bytes give events or a DecodeError, nothing else', async () => {
  const prefix = fc.constantFrom(Uint8Array.from(tcp4), Uint8Array.from(udp6), new Uint8Array(0))
  fc.assert(fc.property(prefix, fc.uint8Array({ maxLength: 400 }), fc.nat(400), (p, junk, cut) => {
    const bytes = Uint8Array.from([...p, ...junk]).subarray(0, Math.max(cut, p.length > 0 ? 1 : 0))
    try {
      for (const e of decodeDestroyEvents(bytes)) if (e.record.kind !== 'inet') return false
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e
    }
    return true
  }), { numRuns: 1000 })
})

// ---------------------------------------------------------------------------
// the kernel

/**
 * Opens and closes sockets inside the namespace: for each spec, a TCP
 * listener on addr:port with `n` connections (both ends closed), then the
 * listener; or `n` UDP sockets bound to addr:port in turn. Prints "done".
 */
const CHURN = `
import socket, sys, json
for s in json.loads(sys.argv[1]):
    fam = socket.AF_INET6 if ':' in s['addr'] else socket.AF_INET
    if s['kind'] == 'udp':
        for i in range(s['n']):
            u = socket.socket(fam, socket.SOCK_DGRAM); u.bind((s['addr'], s['port'])); u.close()
        continue
    l = socket.socket(fam); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind((s['addr'], s['port'])); l.listen(128)
    for i in range(s['n']):
        c = socket.create_connection((s['addr'], s['port'])); a, _ = l.accept(); c.close(); a.close()
    l.close()
print('done')
`

interface Churn { kind: 'tcp' | 'udp', addr: string, port: number, n: number }
/** Destroy events a churn spec produces: 2 per connection + the listener; 1 per UDP socket. */
const eventsOf = (specs: readonly Churn[]): number => specs.reduce((s, c) => s + (c.kind === 'tcp' ? 2 * c.n + 1 : c.n), 0)

/** Receive until `n` events arrived or `ms` passed without any. */
async function collect(ev: DiagEvents, n: number, ms = 2000): Promise<DestroyEvent[]> {
  const out: DestroyEvent[] = []
  while (out.length < n && await ev.wait(ms)) {
    // A view into the receive buffer: keep what the assertions need.
    for (let batch = ev.tryReceive(); batch !== null; batch = ev.tryReceive()) out.push(...batch.map((e) => ({ ...e, message: e.message.slice() })))
  }
  return out
}

/** `struct sock_filter` bytes (host order), from (code, jt, jf, k) tuples. */
const program = (...insns: [code: number, jt: number, jf: number, k: number][]): Uint8Array =>
  Uint8Array.from(insns.flatMap(([code, jt, jf, k]) => [...le16(code), jt, jf, ...le32(k)]))
// BPF_LD|BPF_H|BPF_ABS = 0x28, BPF_JMP|BPF_JEQ|BPF_K = 0x15, BPF_RET|BPF_K = 0x06.
/** bpf-targets §1: `ldh [20]` (idiag_sport, big-endian as ld reads it); accept the whole message when it is `port`. */
const sportIs = (port: number): Uint8Array => program([0x28, 0, 0, 20], [0x15, 0, 1, port], [0x06, 0, 0, BPF_ACCEPT_ALL], [0x06, 0, 0, 0])

if (!(await canUseNetns()) && process.env.CI !== 'true') {
  t.test('kernel', { skip: 'needs root and ip(8) to create a network namespace (CI=true makes this a failure)' }, async () => {})
} else {
  const ns = await createNetns('events')
  t.teardown(() => ns.destroy())
  const churn = async (specs: readonly Churn[]): Promise<void> => {
    const { stdout } = await run('ip', ['netns', 'exec', ns.name, 'python3', '-c', CHURN, JSON.stringify(specs)])
    if (stdout.trim() !== 'done') throw new Error(`churn: ${stdout}`)
  }

  t.test('subscription: the groups asked for, as getsockname reports them', async (t) => {
    for (const groups of [[1], [2, 4], [1, 2, 3, 4]]) {
      const ev = openDiagEvents({ netns: ns.name, groups })
      t.equal(ev.subscribedMask(), groupMask(groups), `groups ${groups.join(',')}`)
      ev.close()
    }
    t.throws(() => openDiagEvents({ netns: ns.name, groups: [] }), RequestError)
  })

  t.test('every destroyed TCP/UDP socket of the namespace is announced, per group', async (t) => {
    const all = openDiagEvents({ netns: ns.name, groups: [1, 2, 3, 4] })
    const tcp6 = openDiagEvents({ netns: ns.name, groups: [3] })
    t.teardown(() => { all.close(); tcp6.close() })
    const specs: Churn[] = [
      { kind: 'tcp', addr: '127.0.0.1', port: 7001, n: 20 },
      { kind: 'tcp', addr: '::1', port: 7002, n: 10 },
      { kind: 'udp', addr: '127.0.0.1', port: 7003, n: 5 },
      { kind: 'udp', addr: '::1', port: 7004, n: 5 },
    ]
    await churn(specs)
    const evs = await collect(all, eventsOf(specs))
    t.equal(evs.length, eventsOf(specs), 'one event per freed socket')
    const by = (proto: number, fam: number): DestroyEvent[] => evs.filter((e) => e.protocol === proto && e.record.family === fam)
    t.equal(by(6, 2).length, 41)
    t.equal(by(6, 10).length, 21)
    t.equal(by(17, 2).length, 5)
    t.equal(by(17, 10).length, 5)
    t.ok(by(6, 2).every((e) => e.record.localPort === 7001 || e.record.remotePort === 7001), 'v4 TCP events are of port 7001')
    t.equal(by(6, 2).filter((e) => e.record.localPort === 7001 && e.record.remotePort === 0).length, 1, 'the listener')
    t.ok(by(6, 2).every((e) => e.record.tcpInfo !== undefined && e.record.inode === 0), 'TCP events carry tcp_info, no inode')
    t.ok(by(17, 10).every((e) => e.record.localPort === 7004), 'UDP v6 events')
    const only6 = await collect(tcp6, 21)
    t.equal(only6.length, 21, 'the TCP/IPv6 group alone')
    t.ok(only6.every((e) => e.record.family === 10 && e.protocol === 6))
    t.equal(all.stats.messages, eventsOf(specs))
  })

  t.test('an attached classic BPF program: rejected events never reach the process', async (t) => {
    const plain = openDiagEvents({ netns: ns.name, groups: [1] })
    const filtered = openDiagEvents({ netns: ns.name, groups: [1], filter: sportIs(7101) })
    t.teardown(() => { plain.close(); filtered.close() })
    const specs: Churn[] = [
      { kind: 'tcp', addr: '127.0.0.1', port: 7100, n: 30 },
      { kind: 'tcp', addr: '127.0.0.1', port: 7101, n: 10 },
      { kind: 'tcp', addr: '127.0.0.1', port: 7102, n: 30 },
    ]
    await churn(specs)
    const seen = await collect(plain, eventsOf(specs))
    t.equal(seen.length, 143, 'without a program: every event')
    const kept = await collect(filtered, 11, 1000)
    t.equal(kept.length, 11, 'with the program: the 10 accepted ends and the listener of port 7101')
    t.ok(kept.every((e) => e.record.localPort === 7101))
    t.same(kept.map((e) => e.record.cookie), seen.filter((e) => e.record.localPort === 7101).map((e) => e.record.cookie), 'the same events, in order')
    t.equal(filtered.stats.messages, 11, 'nothing else was ever received')
    t.equal(filtered.tryReceive(), null, 'and nothing is left queued')
    t.equal(filtered.stats.overflows, 0)
  })

  t.test('attaching after subscribing; detaching', async (t) => {
    const ev = openDiagEvents({ netns: ns.name, groups: [1] })
    t.teardown(() => ev.close())
    t.equal(ev.detachFilter(), false, 'nothing attached yet')
    ev.attachFilter(sportIs(7201))
    await churn([{ kind: 'tcp', addr: '127.0.0.1', port: 7200, n: 5 }, { kind: 'tcp', addr: '127.0.0.1', port: 7201, n: 2 }])
    const first = await collect(ev, 3, 1000)
    t.equal(first.length, 3)
    t.equal(ev.detachFilter(), true)
    await churn([{ kind: 'tcp', addr: '127.0.0.1', port: 7200, n: 5 }])
    t.equal((await collect(ev, 11, 1000)).length, 11, 'everything again once detached')
  })

  t.test('the kernel refuses bad programs at attach time', async (t) => {
    const ev = openDiagEvents({ netns: ns.name, groups: [1] })
    t.teardown(() => ev.close())
    t.throws(() => ev.attachFilter(program([0xffff, 0, 0, 0])), { name: 'NetlinkError', operation: 'setsockopt', errnoName: 'EINVAL' }, 'unknown opcode')
    t.throws(() => ev.attachFilter(program([0x28, 0, 0, 20])), { name: 'NetlinkError', errnoName: 'EINVAL' }, 'no return at the end')
    t.throws(() => ev.attachFilter(program([0x15, 5, 0, 1], [0x06, 0, 0, 0])), { name: 'NetlinkError', errnoName: 'EINVAL' }, 'a jump past the end')
    t.throws(() => ev.attachFilter(new Uint8Array(7)), RequestError, 'not whole instructions')
    t.throws(() => ev.attachFilter(new Uint8Array(0)), RequestError, 'empty')
    t.throws(() => ev.attachFilter(new Uint8Array(8 * 4097)), RequestError, 'over BPF_MAXINSNS')
    t.throws(() => openDiagEvents({ netns: ns.name, groups: [1], filter: program([0xffff, 0, 0, 0]) }), NetlinkError, 'openDiagEvents refuses too')
  })

  t.test('receiveWithin: null after the timeout, the events of a datagram otherwise', async (t) => {
    const ev = openDiagEvents({ netns: ns.name, groups: [1], filter: sportIs(7401) })
    t.teardown(() => ev.close())
    const start = Date.now()
    t.equal(ev.receiveWithin(150), null)
    t.ok(Date.now() - start >= 100, 'waited in recv (SO_RCVTIMEO)')
    await churn([{ kind: 'tcp', addr: '127.0.0.1', port: 7400, n: 3 }, { kind: 'tcp', addr: '127.0.0.1', port: 7401, n: 2 }])
    const got: DestroyEvent[] = []
    for (let b = ev.receiveWithin(1000); b !== null; b = ev.receiveWithin(200)) got.push(...b)
    t.same(got.map((e) => e.record.localPort), [7401, 7401, 7401], 'the two server ends and the listener of the accepted port')
  })

  t.test('wait: false on timeout, true once an event is queued; the event loop stays free', async (t) => {
    const ev = openDiagEvents({ netns: ns.name, groups: [1] })
    t.teardown(() => ev.close())
    let ticks = 0
    const timer = setInterval(() => { ticks++ }, 10)
    const start = Date.now()
    t.equal(await ev.wait(200), false)
    clearInterval(timer)
    t.ok(Date.now() - start >= 150, 'waited')
    t.ok(ticks >= 5, `timers ran while waiting (${ticks})`)
    const waiting = ev.wait(5000)
    await churn([{ kind: 'tcp', addr: '127.0.0.1', port: 7300, n: 1 }])
    t.equal(await waiting, true)
    t.equal((await collect(ev, 3, 500)).length, 3)
  })
}
