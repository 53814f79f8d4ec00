// Request encoders against hand-written bytes (ss-behavior §5.1, kernel-sock-diag §3, §5, §6.6).
// The expected hex is typed from the layouts in the spec, not produced by the encoder.
import t from 'tap'
import { RequestError } from '../../runtime/errors.js'
import { encodeDestroyRequest, encodeLegacyTcpRequest, encodeRequest } from '../../runtime/requests.js'
import type { SockDiagRequest } from '../../runtime/requests.js'

const hex = (s: string): string => s.replace(/\s+/g, '')
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const zeros = (n: number): string => '00'.repeat(n)

// nlmsghdr: len, type 20 (1400), flags 0x301 (0103), seq 123456 (40e20100), pid 0.
const hdr = (len: number, type = '1400', flags = '0103'): string =>
  Buffer.from([len & 0xff, len >> 8, 0, 0]).toString('hex') + type + flags + '40e20100' + '00000000'

const base = { protocol: 0, states: 0, ext: 0, bytecode: null } as const

const cases: { name: string, req: SockDiagRequest, bytes: string }[] = [
  { name: 'ss -t: AF_INET TCP, states 0xb37, no bytecode', req: { kind: 'inet', family: 2, protocol: 6, states: 0xb37, ext: 0, bytecode: null }, bytes: hdr(72) + '02060000' + '370b0000' + zeros(48) },
  { name: 'ss -6tmi --tos: AF_INET6, ext 0x7f', req: { kind: 'inet', family: 10, protocol: 6, states: 0xffffffff, ext: 0x7f, bytecode: null }, bytes: hdr(72) + '0a067f00' + 'ffffffff' + zeros(48) },
  { name: 'autobound bytecode attribute', req: { kind: 'inet', family: 2, protocol: 6, states: 0xb37, ext: 0, bytecode: Uint8Array.of(6, 4, 8, 0) }, bytes: hdr(80) + '02060000' + '370b0000' + zeros(48) + '08000100' + '06040800' },
  { name: 'MPTCP: protocol byte 6 + INET_DIAG_REQ_PROTOCOL 262', req: { kind: 'inet', family: 2, protocol: 6, protocolAttr: 262, states: 0xb37, ext: 0, bytecode: null }, bytes: hdr(80) + '02060000' + '370b0000' + zeros(48) + '08000300' + '06010000' },
  { name: 'MPTCP given as protocol 262 implies the attribute', req: { kind: 'inet', family: 2, protocol: 262, states: 0xb37, ext: 0, bytecode: null }, bytes: hdr(80) + '02060000' + '370b0000' + zeros(48) + '08000300' + '06010000' },
  { name: 'bytecode then protocol attribute', req: { kind: 'inet', family: 10, protocol: 6, protocolAttr: 262, states: 2, ext: 0, bytecode: Uint8Array.of(1, 4, 8, 0) }, bytes: hdr(88) + '0a060000' + '02000000' + zeros(48) + '08000100' + '01040800' + '08000300' + '06010000' },
  { name: 'ss -xnme: unix show 0x3f', req: { kind: 'unix', family: 1, protocol: 0, states: 0xffffffff, ext: 0x3f, bytecode: null }, bytes: hdr(40) + '01000000' + 'ffffffff' + '00000000' + '3f000000' + zeros(8) },
  { name: 'packet show 0x3d', req: { kind: 'packet', family: 17, ...base, ext: 0x3d }, bytes: hdr(36) + '11000000' + '00000000' + '3d000000' + zeros(8) },
  { name: 'netlink all protocols, show 0x3', req: { kind: 'netlink', family: 16, ...base, protocol: 255, ext: 0x3 }, bytes: hdr(36) + '10ff0000' + '00000000' + '03000000' + zeros(8) },
  { name: 'vsock states', req: { kind: 'vsock', family: 40, ...base, states: 0x482 }, bytes: hdr(40) + '28000000' + '82040000' + '00000000' + '00000000' + zeros(8) },
  { name: 'tipc states', req: { kind: 'tipc', family: 30, ...base, states: 0x482 }, bytes: hdr(24) + '1e000000' + '82040000' },
  { name: 'xdp show 0x1f', req: { kind: 'xdp', family: 44, ...base, ext: 0x1f }, bytes: hdr(36) + '2c000000' + '00000000' + '1f000000' + zeros(8) },
]

for (const c of cases) t.equal(toHex(encodeRequest(c.req)), hex(c.bytes), c.name)

t.equal(toHex(encodeRequest(cases[0]!.req, { seq: 7, flags: 1 })), hex('48000000 1400 0100 07000000 00000000 02060000 370b0000' + zeros(48)), 'seq and flags are overridable')

t.equal(toHex(encodeLegacyTcpRequest({ states: 0xb37, ext: 0x08, bytecode: null })),
  hex(hdr(76, '1200') + '02000008' + zeros(48) + '370b0000' + '00000000'), 'TCPDIAG_GETSOCK: inet_diag_req, family AF_INET, states after the sockid')
t.equal(toHex(encodeLegacyTcpRequest({ states: 2, ext: 0, bytecode: Uint8Array.of(6, 4, 8, 0) })),
  hex(hdr(84, '1200') + '02000000' + zeros(48) + '02000000' + '00000000' + '08000100 06040800'), 'legacy request carries the bytecode attribute')

t.equal(toHex(encodeDestroyRequest({
  family: 2, localAddr: Uint8Array.of(127, 0, 0, 1), remoteAddr: Uint8Array.of(127, 0, 0, 2), localPort: 5000, remotePort: 0x1234, ifindex: 1, cookie: 0x1_0000_0022n,
}, 6)), hex(hdr(72, '1500', '0500') + '02060000 ffffffff' + '1388 1234' + '7f000001' + zeros(12) + '7f000002' + zeros(12) + '01000000' + '22000000 01000000'), 'SOCK_DESTROY: REQUEST|ACK, ports big-endian, cookie split low/high')
t.equal(toHex(encodeDestroyRequest({ family: 10, localAddr: new Uint8Array(16), remoteAddr: new Uint8Array(16), localPort: 1, remotePort: 2, ifindex: 0 }, 17)).slice(-16),
  'ffffffffffffffff', 'no cookie → INET_DIAG_NOCOOKIE')

const bad: { name: string, req: SockDiagRequest }[] = [
  { name: 'bytecode on unix', req: { kind: 'unix', family: 1, ...base, bytecode: Uint8Array.of(1, 4, 8, 0) } },
  { name: 'bytecode length not a multiple of 4', req: { kind: 'inet', family: 2, ...base, bytecode: Uint8Array.of(1, 4, 8) } },
  { name: 'family > 255', req: { kind: 'inet', family: 256, ...base } },
  { name: 'negative states', req: { kind: 'unix', family: 1, ...base, states: -1 } },
  { name: 'ext > 255 for inet', req: { kind: 'inet', family: 2, ...base, ext: 256 } },
  { name: 'bytecode too long for nla_len', req: { kind: 'inet', family: 2, ...base, bytecode: new Uint8Array(65532) } },
]
for (const b of bad) t.throws(() => encodeRequest(b.req), RequestError, b.name)
t.doesNotThrow(() => encodeRequest({ kind: 'inet', family: 2, ...base, bytecode: new Uint8Array(65528) }), 'the 65528-byte maximum fits')
