/**
 * The datagrams of one TCP dump (AF_INET, then AF_INET6) in the current
 * namespace, copied: the input of the micro-benchmarks, which then replay
 * them without the kernel.
 */
import { DiagSocket, createDiagFd } from '../runtime/netlink.js'
import { encodeRequest } from '../runtime/requests.js'
import { replyEnd } from '../runtime/message.js'

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
