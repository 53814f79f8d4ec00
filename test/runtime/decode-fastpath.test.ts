// The hand-written inet_diag_msg reader agrees with the struct table's codec
// on arbitrary bytes (STYLE: a fast path is property-tested against the table).
import t from 'tap'
import fc from 'fast-check'
import { decodeInetHead } from '../../runtime/decode-inet.js'
import { DecodeError } from '../../runtime/errors.js'
import { inet_diag_msg } from '../../uapi/inet-diag.js'
import { mptcp_info, tcp_info } from '../../uapi/tcp-info.js'
import { camel, growingStructReaders } from '../../runtime/decode-common.js'

t.test('decodeInetHead = inet_diag_msg.decode, mapped', async (t) => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 72, maxLength: 100 }), fc.boolean(), (b, v4) => {
    if (v4) b[0] = 2
    const fast = decodeInetHead(b)
    const m = inet_diag_msg.decode(new DataView(b.buffer, b.byteOffset, b.byteLength))
    const n = m.idiag_family === 2 ? 4 : 16
    const same = (x: Uint8Array, y: Uint8Array): boolean => x.length === y.length && x.every((v, i) => v === y[i])
    return fast.family === m.idiag_family && fast.state === m.idiag_state && fast.timer === m.idiag_timer && fast.retrans === m.idiag_retrans &&
      fast.localPort === m.idiag_sport && fast.remotePort === m.idiag_dport &&
      same(fast.localAddr, m.idiag_src.subarray(0, n)) && same(fast.remoteAddr, m.idiag_dst.subarray(0, n)) &&
      fast.ifindex === m.idiag_if && fast.cookie === ((BigInt(m.idiag_cookie1) << 32n) | BigInt(m.idiag_cookie0)) &&
      fast.expires === m.idiag_expires && fast.rqueue === m.idiag_rqueue && fast.wqueue === m.idiag_wqueue &&
      fast.uid === m.idiag_uid && fast.inode === m.idiag_inode
  }), { numRuns: 2000 })
  t.pass('2000 random messages agree')
})

t.test('records do not alias the receive buffer', async (t) => {
  const b = new Uint8Array(72)
  b[0] = 2
  b[8] = 127
  const r = decodeInetHead(b)
  b[8] = 10
  t.equal(r.localAddr[0], 127, 'addresses are copies')
})

t.throws(() => decodeInetHead(new Uint8Array(71)), DecodeError, '71 bytes is short')

t.test('growing structs: the generated whole-struct reader = the field loop = the table', async (t) => {
  for (const [def, prefix] of [[tcp_info, 'tcpi_'], [mptcp_info, 'mptcpi_']] as const) {
    const { loop, literal } = growingStructReaders(def, prefix)
    fc.assert(fc.property(fc.uint8Array({ minLength: def.size, maxLength: def.size + 16 }), (b) => {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
      const a = literal(v, 0, b.length)
      const l = loop(v, 0, b.length)
      const table = def.decode(v) as Record<string, unknown>
      const keys = Object.keys(a)
      return keys.length === Object.keys(l).length &&
        keys.every((k) => a[k] === l[k]) &&
        Object.entries(table).every(([name, x]) => !name.startsWith(prefix) || a[camel(name.slice(prefix.length))] === x)
    }), { numRuns: 1000 })
    t.pass(`${def.name}: 1000 random structs agree`)
  }
})
