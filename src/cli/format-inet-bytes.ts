/**
 * The inet row of {@link inetRow}, written as bytes straight from the reply
 * ({@link InetMessageView}) into the {@link Renderer}: the hot path of a
 * plain listing (`ssx -tan`, `-uan`, `-tanp`) at millions of sockets.
 *
 * Every token is the same text {@link inetRow} makes (the property test in
 * test/cli/format-inet-bytes.test.ts compares them on arbitrary messages);
 * what differs is that no string is made per socket: IPv4 addresses and
 * numeric ports are written in place as digits, and the few texts that
 * repeat (states, queue sizes, service names, IPv6 addresses) are made once
 * and kept as bytes.
 */
import type { InetMessageView } from '../../runtime/inet-view.js'
import { COL, type Renderer } from './render.js'
import { inetAddrText, inetNetid, portText, queueText, stateName, type InetFormatOptions } from './format-inet.js'

const AF_INET = 2
const AF_INET6 = 10
/** IPPROTO_RAW: its "ports" are protocol numbers, printed by name. */
const RAW = 255
const DOT = 0x2e
const COLON = 0x3a
/** Entries of the IPv6 address cache before it starts over. */
const MAX_CACHED_ADDRS = 1 << 16
/** Queue sizes below this are cached (most sockets have empty queues). */
const CACHED_QUEUES = 4096

const latin1 = (s: string): Uint8Array => Buffer.from(s, 'latin1')

/** Writes inet rows from reply messages; one per listing (its caches follow the listing's options). */
export class InetRowWriter {
  private readonly netid = new Map<number, Uint8Array>()
  private readonly states: Uint8Array[] = []
  private readonly queues: (Uint8Array | undefined)[] = new Array(CACHED_QUEUES)
  /** Port text by protocol, then port. */
  private readonly ports = new Map<number, (Uint8Array | undefined)[]>()
  /** IPv6 tokens by a hash of the address; each entry keeps its address (and v6only) to check against. */
  private readonly v6 = new Map<number, { readonly addr: Uint8Array, readonly v6only: boolean, readonly text: Uint8Array }>()
  private readonly addr16 = new Uint8Array(16)

  constructor(private readonly renderer: Renderer, private readonly opts: InetFormatOptions) {
    if (opts.resolveHosts) throw new TypeError('InetRowWriter prints numeric addresses; use inetRow with -r')
  }

  /**
   * One socket's row.
   * @param ipproto the protocol of the table the socket was dumped from
   * @param process the Process column (extras), empty for a plain listing
   */
  write(v: InetMessageView, ipproto: number, process = ''): void {
    this.cells(v, ipproto)
    this.renderer.endRow(process)
  }

  /**
   * The row's cells up to the peer's port: {@link InetRowWriter.write}
   * without the Process token, which the caller ends the row with
   * (`InetExtrasWriter` writes it in place).
   */
  cells(v: InetMessageView, ipproto: number): void {
    const r = this.renderer
    r.beginRow()
    r.cell(COL.NETID, this.netidBytes(ipproto))
    r.cell(COL.STATE, this.stateBytes(v.state))
    r.cell(COL.RECVQ, this.queueBytes(v.rqueue))
    r.cell(COL.SENDQ, this.queueBytes(v.wqueue))
    const ifindex = v.ifindex
    const v4 = v.family === AF_INET
    if (v4 && ifindex === 0) this.v4Cell(COL.ADDR, v.bytes, v.localAt)
    else r.cell(COL.ADDR, this.addrBytes(v, v.localAt, ifindex))
    this.portCell(COL.SERV, v.localPort, ipproto)
    if (v4) this.v4Cell(COL.RADDR, v.bytes, v.remoteAt)
    else r.cell(COL.RADDR, this.addrBytes(v, v.remoteAt, 0))
    this.portCell(COL.RSERV, v.remotePort, ipproto)
  }

  /**
   * `a.b.c.d:` written in place: on a busy server most client addresses
   * appear once or twice, so making and keeping a text per address (the
   * first version, with a cache) cost more than it saved.
   */
  private v4Cell(c: number, x: Uint8Array, at: number): void {
    const r = this.renderer
    let o = r.startCell(c, 16)
    if (o < 0) return
    const start = o
    const t = r.tokens
    for (let k = 0; k < 4; k++) {
      const b = x[at + k]!
      if (b >= 100) t[o++] = 48 + ((b / 100) | 0)
      if (b >= 10) t[o++] = 48 + (((b / 10) | 0) % 10)
      t[o++] = 48 + (b % 10)
      t[o++] = k === 3 ? COLON : DOT
    }
    r.endCell(c, o - start)
  }

  /** A port: decimal in place when {@link portText} would print it as a number, else its (cached) name. */
  private portCell(c: number, port: number, ipproto: number): void {
    const o = this.opts
    if (port === 0 || !(o.numeric || (ipproto !== RAW && port >= o.localPortRange[0] && port <= o.localPortRange[1]))) {
      this.renderer.cell(c, this.portBytes(port, ipproto))
      return
    }
    const r = this.renderer
    const at = r.startCell(c, 5)
    if (at < 0) return
    const t = r.tokens
    const len = port >= 10000 ? 5 : port >= 1000 ? 4 : port >= 100 ? 3 : port >= 10 ? 2 : 1
    for (let k = at + len - 1, p = port; k >= at; k--, p = (p / 10) | 0) t[k] = 48 + (p % 10)
    r.endCell(c, len)
  }

  private netidBytes(ipproto: number): Uint8Array {
    let b = this.netid.get(ipproto)
    if (b === undefined) this.netid.set(ipproto, b = latin1(inetNetid(ipproto)))
    return b
  }

  private stateBytes(state: number): Uint8Array {
    return this.states[state] ??= latin1(stateName(state))
  }

  private queueBytes(n: number): Uint8Array {
    if (n < CACHED_QUEUES) return this.queues[n] ??= latin1(queueText(n))
    return latin1(queueText(n))
  }

  private portBytes(port: number, ipproto: number): Uint8Array {
    let byPort = this.ports.get(ipproto)
    if (byPort === undefined) this.ports.set(ipproto, byPort = new Array(65536))
    return byPort[port] ??= latin1(portText(port, ipproto, this.opts))
  }

  /** The address token (`addr[%dev]:`) at offset `at` of the view's bytes. */
  private addrBytes(v: InetMessageView, at: number, ifindex: number): Uint8Array {
    const family = v.family
    if (family === AF_INET6 && ifindex === 0) return this.v6Bytes(v, at)
    const addr = family === AF_INET ? this.addr16.subarray(0, 4) : this.addr16
    addr.set(v.bytes.subarray(at, at + addr.length))
    let text = inetAddrText(family, addr, family !== AF_INET && v.v6only, this.opts)
    if (ifindex !== 0) text += `%${this.opts.ifname(ifindex) ?? `if${ifindex}`}`
    return latin1(text + ':')
  }

  /** An IPv6 address token without a device suffix, cached. */
  private v6Bytes(v: InetMessageView, at: number): Uint8Array {
    const x = v.bytes
    let h = 0
    for (let k = 0; k < 16; k += 4) h = (Math.imul(h, 0x9e3779b1) + (x[at + k]! | (x[at + k + 1]! << 8) | (x[at + k + 2]! << 16) | (x[at + k + 3]! << 24))) | 0
    // v6only changes only the text of the zero address; read it only there.
    let zero = h === 0
    for (let k = 0; zero && k < 16; k++) zero = x[at + k] === 0
    const v6only = zero && v.v6only
    const hit = this.v6.get(h)
    if (hit && hit.v6only === v6only) {
      const a = hit.addr
      let same = true
      for (let k = 0; same && k < 16; k++) same = a[k] === x[at + k]
      if (same) return hit.text
    }
    const addr = x.slice(at, at + 16)
    const text = latin1(inetAddrText(AF_INET6, addr, v6only, this.opts) + ':')
    if (this.v6.size >= MAX_CACHED_ADDRS) this.v6.clear()
    this.v6.set(h, { addr, v6only, text })
    return text
  }
}
