// decode(encode(x)) = x for every struct table the runtime reads or writes (STYLE: tests).
import t from 'tap'
import fc from 'fast-check'
import type { FieldSpec, StructDef } from '../../uapi/struct.js'
import * as inet from '../../uapi/inet-diag.js'
import * as nl from '../../uapi/netlink.js'
import * as tcp from '../../uapi/tcp-info.js'
import * as unix from '../../uapi/unix-diag.js'
import * as packet from '../../uapi/packet-diag.js'
import * as ndiag from '../../uapi/netlink-diag.js'
import * as vsock from '../../uapi/vsock-diag.js'
import * as xdp from '../../uapi/xdp-diag.js'
import * as tipc from '../../uapi/tipc-diag.js'

function valueArb(fields: readonly FieldSpec[]): fc.Arbitrary<Record<string, unknown>> {
  const rec: Record<string, fc.Arbitrary<unknown>> = {}
  for (const f of fields) {
    const k = f.kind
    rec[f.name] = typeof k === 'object' ? fc.uint8Array({ minLength: k.bytes, maxLength: k.bytes })
      : k === 'u8' ? fc.integer({ min: 0, max: 0xff })
        : k === 'u16' ? fc.integer({ min: 0, max: 0xffff })
          : k === 'u32' ? fc.integer({ min: 0, max: 0xffffffff })
            : k === 's32' ? fc.integer({ min: -0x80000000, max: 0x7fffffff })
              : fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
  }
  return fc.record(rec)
}

const defs: StructDef<readonly FieldSpec[]>[] = [
  nl.nlmsghdr, nl.nlattr, nl.nlmsgerr, nl.sockaddr_nl,
  inet.inet_diag_msg, inet.inet_diag_req, inet.inet_diag_meminfo, inet.tcpvegas_info, inet.tcp_dctcp_info, inet.tcp_bbr_info, inet.tcp_diag_md5sig,
  tcp.tcp_info, tcp.mptcp_info,
  unix.unix_diag_req, unix.unix_diag_msg, unix.unix_diag_vfs, unix.unix_diag_rqlen,
  packet.packet_diag_req, packet.packet_diag_msg, packet.packet_diag_info, packet.packet_diag_mclist, packet.packet_diag_ring, packet.sock_filter,
  ndiag.netlink_diag_req, ndiag.netlink_diag_msg, vsock.vsock_diag_req, vsock.vsock_diag_msg, xdp.xdp_diag_req, xdp.xdp_diag_msg, tipc.tipc_sock_diag_req,
]

for (const def of defs) {
  t.test(def.name, async (t) => {
    fc.assert(fc.property(valueArb(def.fields), (v) => {
      const b = def.bytes(v as never)
      return b.length === def.size && JSON.stringify(def.decode(new DataView(b.buffer)), (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x)) ===
        JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x instanceof Uint8Array ? [...x] : x))
    }), { numRuns: 1000 })
    t.pass('1000 round trips')
  })
}
