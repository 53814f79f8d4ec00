/**
 * Golden output: records built from what the capture script knew about the
 * sockets it created (socket API values: addresses, ports, fstat inodes,
 * SO_COOKIE), formatted and rendered by ssx, must equal /usr/bin/ss 6.1's
 * stdout byte for byte. ss's `-e` output is used only for the kernel's
 * dump order. Recapture: `python3 test/fixtures/output/capture.py test/fixtures/output/capture.json`.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { ipv6Bytes } from '../../src/system-resolver.js'
import { lazyProtocols, lazyServices } from '../../src/services.js'
import { Renderer, columnVisibility } from '../../src/cli/render.js'
import type { RowTokens } from '../../src/cli/render.js'
import { COL } from '../../src/cli/render.js'
import { INET_PROTO, inetRow } from '../../src/cli/format-inet.js'
import type { InetFormatOptions, InetRowRecord } from '../../src/cli/format-inet.js'
import { unixRow } from '../../src/cli/format-unix.js'
import type { UnixRowRecord } from '../../src/cli/format-unix.js'
import { packetRow } from '../../src/cli/format-packet.js'
import type { PacketRowRecord } from '../../src/cli/format-packet.js'
import { inetExtras, packetDetailsExtra, unixDetailsExtra } from '../../src/cli/format-extras.js'
import type { PacketDetailsRecord, UnixDetailsRecord } from '../../src/cli/format-extras.js'

interface CapturedInet { family: number, state: number, localAddr: string, localPort: number, remoteAddr: string, remotePort: number, ifindex: number, rqueue: number, wqueue: number, v6only: boolean, inode: number, cookie: string }
interface CapturedUnix { type: number, state: number, inode: number, name: string | null, peer: number, rqueue: number, wqueue: number, vfs: { ino: number, dev: number } | null }
interface CapturedPacket { type: number, protocol: number, ifindex: number, inode: number, cookie: string }
interface Capture {
  localPortRange: [number, number]
  records: { tcp: CapturedInet[], udp: CapturedInet[], unix: CapturedUnix[], packet: CapturedPacket[] }
  ss: Record<string, string>
  /** `COLS CMD` → output on a pty of that width (stderr mixed in, `\r\n` line ends). */
  tty: Record<string, string>
}

const cap = JSON.parse(readFileSync(new URL('../fixtures/output/capture.json', import.meta.url), 'latin1')) as Capture

const addrBytes = (family: number, text: string): Uint8Array =>
  family === 2 ? Uint8Array.from(text.split('.').map(Number)) : ipv6Bytes(text)!

type InetRec = InetRowRecord & { inode: number, cookie: bigint, uid: number, mark: number, cgroupId: bigint, shutdown: number }
const inetRecords = (list: CapturedInet[]): InetRec[] => list.map((r) => ({
  family: r.family, state: r.state, localAddr: addrBytes(r.family, r.localAddr), remoteAddr: addrBytes(r.family, r.remoteAddr),
  localPort: r.localPort, remotePort: r.remotePort, ifindex: r.ifindex, rqueue: r.rqueue, wqueue: r.wqueue,
  // As the kernel: INET_DIAG_SKV6ONLY only for LISTEN and CLOSE sockets.
  ...(r.family === 10 && (r.state === 10 || r.state === 7) ? { v6only: r.v6only } : {}),
  inode: r.inode, cookie: BigInt(`0x${r.cookie}`), uid: 0, mark: 0, cgroupId: 1n, shutdown: 0,
}))

/** Records in the order ss printed them, by inode position in an ss output. */
function inDumpOrder<T extends { inode: number }>(recs: T[], order: number[]): T[] {
  const pos = (r: T): number => order.indexOf(r.inode)
  for (const r of recs) if (pos(r) === -1) throw new Error(`inode ${r.inode} missing from ss output`)
  return [...recs].sort((a, b) => pos(a) - pos(b))
}
const inoOrder = (text: string): number[] => [...text.matchAll(/ ino:(\d+) sk:/g)].map((m) => Number(m[1]))
const unixOrder = (text: string): number[] => text.split('\n').slice(1).filter(Boolean).map((l) => Number(l.trim().split(/\s+/).at(-3)))

const tcp = inDumpOrder(inetRecords(cap.records.tcp), inoOrder(cap.ss['-tane']!))
const udp = inDumpOrder(inetRecords(cap.records.udp), inoOrder(cap.ss['-uane']!))
const unix = inDumpOrder(cap.records.unix.map((r): UnixRowRecord & UnixDetailsRecord & { inode: number } => ({
  type: r.type, state: r.state, inode: r.inode, remotePort: r.peer, rqueue: r.rqueue, wqueue: r.wqueue, shutdown: 0,
  // As the kernel: UNIX_DIAG_VFS for sockets with a path, UNIX_DIAG_ICONS for listeners (none pending here).
  ...(r.vfs !== null ? { vfs: r.vfs } : {}), ...(r.state === 10 ? { icons: [] } : {}),
  ...(r.name !== null ? { nameBytes: Uint8Array.from(r.name, (c) => c.charCodeAt(0)) } : {}),
})), unixOrder(cap.ss['-xan']!))
const packet = inDumpOrder(cap.records.packet.map((r): PacketRowRecord & PacketDetailsRecord => ({
  type: r.type, state: 7, protocol: r.protocol, ifindex: r.ifindex, inode: r.inode, memInfo: { rmemAlloc: 0 },
  cookie: BigInt(`0x${r.cookie}`), info: { version: 0, copyThresh: 0, flags: 1 },
})), inoOrder(cap.ss['-0ae']!))

const ifname = (i: number): string | undefined => (i === 1 ? 'lo' : undefined)
const inetOpts = (numeric: boolean): InetFormatOptions => ({
  numeric, localPortRange: cap.localPortRange, services: lazyServices(), protocols: lazyProtocols(), ifname,
})

function render(rows: RowTokens[], tables: number, states: number, header = true, screenWidth?: number): string {
  let out = ''
  const r = new Renderer({ enabled: columnVisibility({ tables, states }), header, write: (c) => { out += c }, ...(screenWidth !== undefined ? { screenWidth } : {}) })
  for (const row of rows) r.row(row)
  r.end()
  return out
}

const TCP = 1 << 0, UDP = 1 << 3, UNIX = (1 << 5) | (1 << 6) | (1 << 7), PACKET = (1 << 8) | (1 << 9), NETLINK = 1 << 10
const ALL = 0xfff, CONN = 0xb37, LISTEN = 1 << 10, CLOSE = 1 << 7

/** `-e`: the Process column through the whole inet composer (timers: none pending on these idle sockets). */
const withDetails = (row: string[], rec: InetRec): string[] => {
  row[COL.PROC] = inetExtras({ ...rec, timer: 0, expires: 0, retrans: 0 }, INET_PROTO.TCP, {
    showOptions: true, showDetails: true, showMem: false, showTcpInfo: false, oneline: false, numeric: true,
    cgroupPath: (id) => `unreachable:${id.toString(16)}`,
  })
  return row
}

const cases: { cmd: string, got: () => string }[] = [
  { cmd: '-tan', got: () => render(tcp.map((r) => inetRow(r, INET_PROTO.TCP, inetOpts(true))), TCP, ALL) },
  { cmd: '-tanl', got: () => render(tcp.filter((r) => r.state === 10).map((r) => inetRow(r, INET_PROTO.TCP, inetOpts(true))), TCP, LISTEN | CLOSE) },
  { cmd: '-ta', got: () => render(tcp.map((r) => inetRow(r, INET_PROTO.TCP, inetOpts(false))), TCP, ALL) },
  { cmd: '-tanH', got: () => render(tcp.map((r) => inetRow(r, INET_PROTO.TCP, inetOpts(true))), TCP, ALL, false) },
  { cmd: '-tn state listening', got: () => render(tcp.filter((r) => r.state === 10).map((r) => inetRow(r, INET_PROTO.TCP, inetOpts(true))), TCP, LISTEN) },
  { cmd: '-tane', got: () => render(tcp.map((r) => withDetails(inetRow(r, INET_PROTO.TCP, inetOpts(true)), r)), TCP, ALL) },
  { cmd: '-uan', got: () => render(udp.map((r) => inetRow(r, INET_PROTO.UDP, inetOpts(true))), UDP, ALL) },
  { cmd: '-ua', got: () => render(udp.map((r) => inetRow(r, INET_PROTO.UDP, inetOpts(false))), UDP, ALL) },
  { cmd: '-uane', got: () => render(udp.map((r) => withDetails(inetRow(r, INET_PROTO.UDP, inetOpts(true)), r)), UDP, ALL) },
  { cmd: '-xan', got: () => render(unix.map((r) => unixRow(r)), UNIX, ALL) },
  { cmd: '-xn state connected', got: () => render(unix.filter((r) => r.state !== 10 && r.state !== 7).map((r) => unixRow(r)), UNIX, 0xb7f) },
  { cmd: '-0a', got: () => render(packet.map((r) => packetRow(r, { numeric: false, ifname })), PACKET, ALL) },
  { cmd: '-0an', got: () => render(packet.map((r) => packetRow(r, { numeric: true, ifname })), PACKET, ALL) },
  { cmd: '-0', got: () => render(packet.map((r) => packetRow(r, { numeric: false, ifname })), PACKET, CLOSE) },
  { cmd: '-xane', got: () => render(unix.map((r) => { const row = unixRow(r); row[COL.PROC] = unixDetailsExtra(r); return row }), UNIX, ALL) },
  { cmd: '-0ae', got: () => render(packet.map((r) => { const row = packetRow(r, { numeric: false, ifname }); row[COL.PROC] = packetDetailsExtra(r); return row }), PACKET, ALL) },
  { cmd: '-A netlink', got: () => render([], NETLINK, CONN) },
  { cmd: '-tn dport = :1', got: () => render([], TCP, CONN) },
]

for (const c of cases) {
  t.test(`ss ${c.cmd}`, async (t) => {
    const want = cap.ss[c.cmd]
    t.ok(want !== undefined && want.length > 0, 'captured')
    t.equal(c.got(), want)
  })
}

for (const cols of [60, 100, 200]) {
  const ttyCases: { cmd: string, got: () => string }[] = [
    { cmd: '-tan', got: () => render(tcp.map((r) => inetRow(r, INET_PROTO.TCP, inetOpts(true))), TCP, ALL, true, cols) },
    { cmd: '-tane', got: () => render(tcp.map((r) => withDetails(inetRow(r, INET_PROTO.TCP, inetOpts(true)), r)), TCP, ALL, true, cols) },
    { cmd: '-xan', got: () => render(unix.map((r) => unixRow(r)), UNIX, ALL, true, cols) },
  ]
  for (const c of ttyCases) {
    t.test(`ss ${c.cmd} on a ${cols}-column tty`, async (t) => {
      // The pty adds \r before \n and mixes in ss's stderr (one cgroup warning per -e socket).
      const want = cap.tty[`${cols} ${c.cmd}`]!.replaceAll('\r\n', '\n').replaceAll('Failed to find cgroup2 mount\n', '')
      t.ok(want.length > 0, 'captured')
      t.equal(c.got(), want)
    })
  }
}
