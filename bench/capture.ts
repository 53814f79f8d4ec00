/**
 * The datagrams of one TCP dump (AF_INET, then AF_INET6) in the current
 * namespace, copied: the input of the micro-benchmarks, which then replay
 * them without the kernel ({@link replayRows}).
 */
import { DiagSocket, createDiagFd } from '../runtime/netlink.js'
import { encodeRequest } from '../runtime/requests.js'
import { replyEnd } from '../runtime/message.js'
import { ReplyReader } from '../runtime/dump.js'
import { InetMessageView } from '../runtime/inet-view.js'
import { Renderer, columnVisibility } from '../src/cli/render.js'
import { InetRowWriter } from '../src/cli/format-inet-bytes.js'
import { lazyProtocols, lazyServices } from '../src/services.js'

/** One array of datagrams per family; `ext` is the request's `idiag_ext`. */
export function captureTcpDump(ext = 0): Uint8Array[][] {
  const sock = new DiagSocket(createDiagFd(), { readAheadAfter: 0 })
  const datagrams: Uint8Array[][] = []
  try {
    for (const family of [2, 10]) {
      const got: Uint8Array[] = []
      sock.send(encodeRequest({ kind: 'inet', family, protocol: 6, states: 0xfff, ext, bytecode: null }))
      for (;;) {
        const d = sock.receive().slice()
        got.push(d)
        if (replyEnd(d) === 'end') break
      }
      datagrams.push(got)
    }
  } finally {
    sock.close()
  }
  return datagrams
}

/**
 * Replay captured datagrams as `ssx -tan` does (reply framing, one view
 * bound to each socket) into a renderer that counts its output and keeps
 * nothing. `rows` is given the renderer and the listing's row writer on it
 * (numeric) and returns what writes one socket's row.
 */
export function replayRows(datagrams: Uint8Array[][], rows: (renderer: Renderer, writer: InetRowWriter) => (view: InetMessageView) => void): { sockets: number, out: number } {
  let out = 0
  const renderer = new Renderer({ enabled: columnVisibility({ tables: 1, states: 0xfff }), header: true, write: (chunk) => { out += chunk.length } })
  const writer = new InetRowWriter(renderer, {
    numeric: true, localPortRange: [32768, 60999], services: lazyServices(), protocols: lazyProtocols(), ifname: () => undefined,
  })
  const row = rows(renderer, writer)
  const view = new InetMessageView()
  let sockets = 0
  for (const group of datagrams) {
    const reader = new ReplyReader('inet', 6)
    for (const d of group) {
      for (const b of reader.batch(d)) {
        for (let i = 0; i < 2 * b.count; i += 2) row(view.bind(b.bytes, b.spans[i]!, b.spans[i + 1]!))
        sockets += b.count
      }
    }
  }
  renderer.end()
  return { sockets, out }
}
