#!/usr/bin/env node
// Close TCP connections that have been idle (nothing sent or received) for
// longer than a threshold. A dry run by default: it lists what it would
// close; add --yes to close them (SOCK_DESTROY, needs CAP_NET_ADMIN and a
// kernel with CONFIG_INET_DIAG_DESTROY). The filter selects the candidates
// in the kernel; the idle test reads tcp_info in user space.
//
//   node examples/close-idle.mjs --idle 600 dport = :5432          # dry run
//   node examples/close-idle.mjs --idle 600 --yes dport = :5432    # close them
import { closeSocket, formatAddr, querySockets } from 'ssx'

const args = process.argv.slice(2)
let idleSeconds = 300
let yes = false
while (args[0]?.startsWith('--')) {
  const opt = args.shift()
  if (opt === '--yes') yes = true
  else if (opt === '--idle') idleSeconds = Number(args.shift())
  else {
    console.error(`close-idle: unknown option ${opt}`)
    process.exit(2)
  }
}
if (!Number.isFinite(idleSeconds) || idleSeconds < 0 || args.length === 0) {
  console.error('usage: close-idle.mjs [--idle SECONDS] [--yes] FILTER...')
  process.exit(2)
}

const endpoint = (addr, port) => (addr.length === 16 ? `[${formatAddr(addr)}]:${port}` : `${formatAddr(addr)}:${port}`)
const idleMs = idleSeconds * 1000

// ext.info asks the kernel for tcp_info with each socket (ss -i).
const sockets = querySockets({ tables: ['tcp'], states: ['established'], filter: args, ext: { info: true } })
const idle = []
for await (const s of sockets) {
  const info = s.tcpInfo
  if (!info) continue
  const quiet = Math.min(info.lastDataSent ?? 0, info.lastDataRecv ?? 0)
  if (quiet >= idleMs) idle.push({ s, quiet })
}

for (const { s, quiet } of idle) {
  const what = `${endpoint(s.localAddr, s.localPort)} -> ${endpoint(s.remoteAddr, s.remotePort)} idle ${(quiet / 1000).toFixed(1)}s`
  if (yes) closeSocket(s)
  console.log(`${yes ? 'closed' : 'would close'} ${what}`)
}
console.log(`${idle.length} idle connection${idle.length === 1 ? '' : 's'}${yes ? ' closed' : ' (dry run: add --yes to close them)'}`)
