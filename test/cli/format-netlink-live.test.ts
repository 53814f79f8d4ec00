/**
 * Netlink rows against the real ss 6.1 (kernel test, private netns): three
 * sockets of a python process (rtnl and usersock bound to its pid, an rtnl
 * socket with a kernel-chosen negative port id connected to the kernel).
 * The namespace's kernel sockets and ss's own are in the listing too, so
 * rows are compared token by token (whitespace-split), not byte for byte.
 */
import t from 'tap'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { netlinkRow } from '../../src/cli/format-netlink.js'
import type { NetlinkFormatOptions } from '../../src/cli/format-netlink.js'

const skip = process.env['CI'] === 'true' ? false : !(await canUseNetns()) && 'needs root and ip netns'

const PY = `
import json, os, socket, subprocess
n1 = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); n1.bind((0, 0))
n2 = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 2); n2.bind((0, 0))
n3 = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0); n3.bind((0, 0)); n3.connect((0, 0))
stat = open(f"/proc/{os.getpid()}/stat").read()
as_int = lambda p: p - (1 << 32) if p >= 1 << 31 else p
socks = [dict(protocol=0, portid=as_int(n1.getsockname()[0]), connected=False),
         dict(protocol=2, portid=as_int(n2.getsockname()[0]), connected=False),
         dict(protocol=0, portid=as_int(n3.getsockname()[0]), connected=True)]
out = {a: subprocess.run(["/usr/bin/ss", "-A", "netlink", a], capture_output=True, text=True).stdout for a in ("-a", "-an")}
print(json.dumps(dict(pid=os.getpid(), stat=stat, socks=socks, ss=out)))
`

interface Result { pid: number, stat: string, socks: { protocol: number, portid: number, connected: boolean }[], ss: Record<string, string> }

t.test('netlink rows match ss -A netlink -a / -an', { skip }, async (t) => {
  const ns = await createNetns('nlrow')
  t.teardown(() => ns.destroy())
  const { stdout } = await ns.exec('python3', ['-c', PY])
  const r = JSON.parse(stdout) as Result
  const names: Record<number, string> = { 0: 'rtnl', 2: 'usersock' }
  for (const [flag, numeric] of [['-a', false], ['-an', true]] as const) {
    const opts: NetlinkFormatOptions = { numeric, protoName: (p) => names[p], procStat: (pid) => (pid === r.pid ? r.stat : undefined) }
    const lines = r.ss[flag]!.split('\n').map((l) => l.trim().split(/\s+/).join(' '))
    for (const s of r.socks) {
      const row = netlinkRow({ state: s.connected ? 1 : 7, protocol: s.protocol, portid: s.portid, dstPortid: 0, dstGroup: 0, memInfo: { rmemAlloc: 0, wmemAlloc: 0 } }, opts)
      // Address and port are printed without a separator, and so are peer and peer port.
      const want = [row[1], row[2]!.trim(), row[3]!.trim(), row[4]! + row[5]!, row[6]! + row[7]!].join(' ')
      t.ok(lines.includes(want), `${flag}: ${want}`)
    }
  }
})
