#!/usr/bin/env node
// Stream the TCP and UDP sockets of one service as NDJSON (one JSON object
// per line, schema ssx-socket/1): the listeners and every connection from
// or to its port. Nothing is collected, so it works on hosts with millions
// of sockets; pipe it into jq or a log shipper.
//
//   node examples/service-ndjson.mjs https
//   node examples/service-ndjson.mjs 5432 | jq -c '{state, peer}'
import { IPPROTO, querySockets, socketToJson } from 'ssx'

const service = process.argv[2]
if (!service) {
  console.error('usage: service-ndjson.mjs PORT|SERVICE')
  process.exit(2)
}

// One query per protocol, so each object knows its netid (tcp or udp).
// Service names resolve through /etc/services, as with ss.
for (const [table, ipproto] of [['tcp', IPPROTO.IPPROTO_TCP], ['udp', IPPROTO.IPPROTO_UDP]]) {
  const sockets = querySockets({ tables: [table], states: ['all'], filter: `sport = :${service} or dport = :${service}` })
  for await (const s of sockets) process.stdout.write(JSON.stringify(socketToJson(s, { ipproto })) + '\n')
}
