#!/usr/bin/env node
// Count TCP sockets per state and per remote network (/24 for IPv4, /64 for
// IPv6). The filter runs in the kernel as inet_diag bytecode, so only the
// matching sockets cross into user space, however many the host has.
//
//   node examples/count-sockets.mjs                     # every TCP socket
//   node examples/count-sockets.mjs 'dport = :443'      # connections to HTTPS servers
//   node examples/count-sockets.mjs 'not src 127.0.0.0/8'
import { STATE_DISPLAY_NAMES, querySockets } from 'ssx'

const filter = process.argv.slice(2).join(' ')
const byState = new Map()
const byNetwork = new Map()
const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1)

/** The remote network of a socket: the first 3 bytes of IPv4, the first 8 of IPv6. */
function network(s) {
  if (s.remotePort === 0) return '(not connected)'
  const a = s.remoteAddr
  if (a.length === 4) return `${a[0]}.${a[1]}.${a[2]}.0/24`
  const mapped = a.subarray(0, 12).every((b, i) => b === (i < 10 ? 0 : 0xff))
  if (mapped) return `${a[12]}.${a[13]}.${a[14]}.0/24`
  const words = []
  for (let i = 0; i < 8; i += 2) words.push(((a[i] << 8) | a[i + 1]).toString(16))
  return `${words.join(':')}::/64`
}

for await (const s of querySockets({ tables: ['tcp'], states: ['all'], filter })) {
  bump(byState, STATE_DISPLAY_NAMES[s.state] ?? String(s.state))
  bump(byNetwork, network(s))
}

const table = (title, map) => {
  console.log(title)
  for (const [key, n] of [...map].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) console.log(`  ${key.padEnd(24)} ${n}`)
}
table('per state:', byState)
table('per remote network:', byNetwork)
