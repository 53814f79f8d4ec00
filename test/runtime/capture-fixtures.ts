/**
 * Regenerate test/fixtures/sock-diag/*.hex from a real kernel:
 *   SSX_CAPTURE=1 node --loader @isaacs/ts-node-temp-fork-for-pr-2009/esm/transpile-only test/runtime/capture-fixtures.ts
 * Runs the zoo in a fresh namespace, sends each request and stores every
 * datagram received until DONE/ERROR, with a comment per message written
 * from the raw header bytes (not from the decoders under test).
 * Not a test: tap runs every file under test/, so without SSX_CAPTURE=1 it
 * only prints a TAP skip (fixtures must not change on every test run).
 */
import { writeFileSync } from 'node:fs'
import { openDiag } from '../../runtime/netns.js'
import { encodeRequest } from '../../runtime/requests.js'
import type { SockDiagRequest } from '../../runtime/requests.js'
import { DiagSocket } from '../../runtime/netlink.js'
import { createNetns } from '../helpers/netns.js'
import { fixturePath, hexRows } from './fixture-file.js'

interface Capture { file: string, about: string, request: SockDiagRequest, capAck?: boolean }

const captures: Capture[] = [
  { file: 'tcp4-ext-ff.hex', about: 'AF_INET TCP, all states, idiag_ext 0xff', request: { kind: 'inet', family: 2, protocol: 6, states: 0xffffffff, ext: 0xff, bytecode: null } },
  { file: 'tcp6-ext-00.hex', about: 'AF_INET6 TCP, all states, idiag_ext 0', request: { kind: 'inet', family: 10, protocol: 6, states: 0xffffffff, ext: 0, bytecode: null } },
  { file: 'udp4.hex', about: 'AF_INET UDP, all states, idiag_ext 0x41 (-m)', request: { kind: 'inet', family: 2, protocol: 17, states: 0xffffffff, ext: 0x41, bytecode: null } },
  { file: 'unix-show-7f.hex', about: 'AF_UNIX, all states, udiag_show 0x7f', request: { kind: 'unix', family: 1, protocol: 0, states: 0xffffffff, ext: 0x7f, bytecode: null } },
  { file: 'packet-show-3f.hex', about: 'AF_PACKET, pdiag_show 0x3f', request: { kind: 'packet', family: 17, protocol: 0, states: 0, ext: 0x3f, bytecode: null } },
  { file: 'netlink-show-0f.hex', about: 'AF_NETLINK NDIAG_PROTO_ALL, ndiag_show 0xf', request: { kind: 'netlink', family: 16, protocol: 255, states: 0, ext: 0xf, bytecode: null } },
  { file: 'error-einval-capped.hex', about: 'AF_INET TCP with invalid bytecode (code 9 dev_cond truncated): NLMSG_ERROR EINVAL, NETLINK_CAP_ACK on', request: { kind: 'inet', family: 2, protocol: 6, states: 0xffffffff, ext: 0, bytecode: new Uint8Array([9, 4, 8, 0]) } },
  { file: 'error-einval-full.hex', about: 'same request, NETLINK_CAP_ACK off: the request is echoed', request: { kind: 'inet', family: 2, protocol: 6, states: 0xffffffff, ext: 0, bytecode: new Uint8Array([9, 4, 8, 0]) }, capAck: false },
  { file: 'done-enoent.hex', about: 'AF_INET SCTP (no handler): NLMSG_DONE carrying -ENOENT', request: { kind: 'inet', family: 2, protocol: 132, states: 0xffffffff, ext: 0, bytecode: null } },
]

function describe(dg: Uint8Array): string[] {
  const v = new DataView(dg.buffer, dg.byteOffset, dg.byteLength)
  const out: string[] = []
  for (let o = 0, i = 1; o + 16 <= dg.length; i++) {
    const len = v.getUint32(o, true)
    const type = v.getUint16(o + 4, true)
    const flags = v.getUint16(o + 6, true)
    let what = ''
    if (type === 3) what = `NLMSG_DONE error=${v.getInt32(o + 16, true)}`
    else if (type === 2) what = `NLMSG_ERROR error=${v.getInt32(o + 16, true)}`
    else what = `family=${dg[o + 16]} byte1=${dg[o + 17]} byte2=${dg[o + 18]}`
    out.push(`# @${o} msg ${i}: len=${len} type=${type} flags=0x${flags.toString(16)} ${what}`)
    if (len < 16) break
    o += (len + 3) & ~3
  }
  return out
}

if (process.env.SSX_CAPTURE !== '1') {
  console.log('1..0 # SKIP fixture capture script; set SSX_CAPTURE=1 to regenerate test/fixtures/sock-diag')
} else {
  await capture()
}

async function capture(): Promise<void> {
  const ns = await createNetns('capture')
  try {
    const zoo = await ns.startZoo()
    for (const c of captures) {
      const sock: DiagSocket = openDiag({ netns: ns.name, capAck: c.capAck ?? true })
      const lines = [`# ${c.about}`, `# captured on Linux 6.18 in a private netns running test/helpers/zoo.py`, `# manifest: ${JSON.stringify(zoo.manifest)}`]
      sock.send(encodeRequest(c.request))
      for (let n = 1; ; n++) {
        const dg = sock.receive().slice()
        lines.push(`== datagram ${n} (${dg.length} bytes)`, ...describe(dg), ...hexRows(dg))
        const v = new DataView(dg.buffer)
        let end = false
        for (let o = 0; o + 16 <= dg.length; o += (v.getUint32(o, true) + 3) & ~3) {
          const t = v.getUint16(o + 4, true)
          if (t === 2 || t === 3) end = true
          if (v.getUint32(o, true) < 16) break
        }
        if (end) break
      }
      sock.close()
      writeFileSync(fixturePath(c.file), lines.join('\n') + '\n')
      console.log('wrote', c.file)
    }
  } finally {
    await ns.destroy()
  }
}
