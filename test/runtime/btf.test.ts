// The BTF reader, on a blob written here by an independent builder (plain
// DataView writes, not the uapi tables the reader uses) and on the running
// kernel's /sys/kernel/btf/vmlinux.
import t from 'tap'
import { existsSync } from 'node:fs'
import { Btf, BtfError, VMLINUX_BTF, vmlinuxBtf } from '../../runtime/btf.js'

/** A tiny BTF writer: a string table and types as [nameOff, kindCode, kindFlag, vlen, sizeOrType, ...extra u32 words]. */
function buildBtf(strs: readonly string[], types: readonly (readonly number[])[]): Uint8Array {
  const words: number[] = []
  for (const [name, kind, flag, vlen, sot, ...extra] of types) words.push(name!, (flag! << 31) | (kind! << 24) | vlen!, sot!, ...extra)
  const typeBytes = words.length * 4
  const strBytes = Buffer.from(strs.join('\0') + '\0')
  const out = new Uint8Array(24 + typeBytes + strBytes.length)
  const v = new DataView(out.buffer)
  v.setUint16(0, 0xeb9f, true); v.setUint8(2, 1); v.setUint8(3, 0)
  v.setUint32(4, 24, true); v.setUint32(8, 0, true); v.setUint32(12, typeBytes, true)
  v.setUint32(16, typeBytes, true); v.setUint32(20, strBytes.length, true)
  words.forEach((w, i) => v.setUint32(24 + 4 * i, w >>> 0, true))
  out.set(strBytes, 24 + typeBytes)
  return out
}

function blob(): Uint8Array {
  const names = ['', 'int', 'unsigned char', 'outer', 'a', 'x', 'lo', 'hi', 'flags', 'b', 'colour', 'RED', 'BLUE', 'bpf_iter_thing', 'u8t', 'big', 'HUGE', 'arr', 'tail', 'old']
  const off = new Map<string, number>()
  let o = 0
  for (const n of names) { off.set(n, o); o += Buffer.byteLength(n) + 1 }
  const s = (n: string): number => off.get(n)!
  const INT = 1, PTR = 2, ARRAY = 3, STRUCT = 4, UNION = 5, ENUM = 6, TYPEDEF = 8, FUNC = 12, FUNC_PROTO = 13, ENUM64 = 19
  return buildBtf(names, [
    /* 1 */ [s('int'), INT, 0, 0, 4, (1 << 24) | 32],
    /* 2 */ [s('unsigned char'), INT, 0, 0, 1, 8],
    /* 3 */ [s('outer'), STRUCT, 1, 6, 24,
      s('a'), 1, 0, //                         a: int @ bit 0
      0, 4, 32, //                             anonymous union @ byte 4
      s('flags'), 1, (3 << 24) | 64, //        flags: 3-bit field @ bit 64
      s('b'), 1, (5 << 24) | 67, //            b: 5-bit field @ bit 67
      s('arr'), 11, 96, //                     arr: u8t[4] @ byte 12
      s('tail'), 12, 128], //                  tail: pointer @ byte 16
    /* 4 */ [0, UNION, 0, 2, 4, s('x'), 1, 0, 0, 5, 0],
    /* 5 */ [0, STRUCT, 0, 3, 4, s('lo'), 9, 0, s('hi'), 2, 8, s('old'), 13, 16],
    /* 6 */ [s('colour'), ENUM, 1, 2, 4, s('RED'), 1, s('BLUE'), -2],
    /* 7 */ [s('bpf_iter_thing'), FUNC, 0, 0, 8],
    /* 8 */ [0, FUNC_PROTO, 0, 1, 1, 0, 1],
    /* 9 */ [s('u8t'), TYPEDEF, 0, 0, 2],
    /* 10 */ [s('big'), ENUM64, 0, 1, 8, s('HUGE'), 0, 0x100],
    /* 11 */ [0, ARRAY, 0, 0, 0, 9, 1, 4],
    /* 12 */ [0, PTR, 0, 0, 3],
    /* 13 */ [0, INT, 0, 0, 2, (2 << 16) | 4], // old-style bitfield: 4 bits at bit 2 of a 2-byte unit
  ])
}

t.test('a small blob: kinds, names, anonymous members, bitfields, enums', async (t) => {
  const btf = Btf.parse(blob())
  t.equal(btf.typeCount, 13)
  t.equal(btf.type(3).kind, 'STRUCT')
  t.equal(btf.type(3).name, 'outer')
  t.equal(btf.funcId('bpf_iter_thing'), 7)
  t.equal(btf.typeId('u8t', 'TYPEDEF'), 9)
  t.equal(btf.resolve(9), 2)
  t.equal(btf.sizeof(3), 24)
  t.equal(btf.sizeof(11), 4, 'array: nelems × element size through a typedef')
  t.equal(btf.sizeof(12), 8, 'pointer')
  const cases: [string, { byteOffset: number, bitOffset: number, bitSize: number, size: number }][] = [
    ['a', { byteOffset: 0, bitOffset: 0, bitSize: 0, size: 4 }],
    ['x', { byteOffset: 4, bitOffset: 32, bitSize: 0, size: 4 }],
    ['lo', { byteOffset: 4, bitOffset: 32, bitSize: 0, size: 1 }],
    ['hi', { byteOffset: 5, bitOffset: 40, bitSize: 0, size: 1 }],
    ['old', { byteOffset: 6, bitOffset: 50, bitSize: 4, size: 2 }],
    ['flags', { byteOffset: 8, bitOffset: 64, bitSize: 3, size: 4 }],
    ['b', { byteOffset: 8, bitOffset: 67, bitSize: 5, size: 4 }],
    ['arr', { byteOffset: 12, bitOffset: 96, bitSize: 0, size: 4 }],
    ['tail', { byteOffset: 16, bitOffset: 128, bitSize: 0, size: 8 }],
  ]
  for (const [path, want] of cases) {
    const { byteOffset, bitOffset, bitSize, size } = btf.member('outer', path)
    t.same({ byteOffset, bitOffset, bitSize, size }, want, path)
  }
  t.equal(btf.enumValue('colour', 'RED'), 1)
  t.equal(btf.enumValue('colour', 'BLUE'), -2, 'kind_flag: signed')
  t.equal(btf.enumValue('big', 'HUGE'), 2 ** 40, 'ENUM64')
  t.throws(() => btf.member('outer', 'nope'), { name: 'BtfError', code: 'E_BTF_MISSING' })
  t.throws(() => btf.member('nope', 'a'), { code: 'E_BTF_MISSING' })
  t.throws(() => btf.enumValue('colour', 'GREEN'), { code: 'E_BTF_MISSING' })
  t.throws(() => btf.funcId('bpf_iter_tcp'), { code: 'E_BTF_MISSING' })
  t.throws(() => btf.type(99), { code: 'E_BTF_MISSING' })
})

t.test('bad blobs are typed errors', async (t) => {
  const good = blob()
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['bad magic', Uint8Array.from(good, (b, i) => (i === 0 ? 0 : b))],
    ['type section cut', good.subarray(0, 60)],
    ['sections past the end', good.subarray(0, good.length - 1)],
  ]
  for (const [what, bytes] of cases) {
    t.throws(() => Btf.parse(bytes), { name: 'BtfError', code: 'E_BTF_FORMAT' }, what)
  }
  // Every truncation and every single-byte corruption of the header: a BtfError or a valid parse, never another exception.
  for (let n = 0; n < good.length; n++) {
    try { Btf.parse(good.subarray(0, n)) } catch (e) { if (!(e instanceof BtfError)) t.fail(`cut at ${n}: ${String(e)}`) }
  }
  t.throws(() => vmlinuxBtf('/nonexistent/btf'), { code: 'E_BTF_UNAVAILABLE' })
})

const haveKernelBtf = existsSync(VMLINUX_BTF)
t.test('the running kernel', { skip: haveKernelBtf ? false : `no ${VMLINUX_BTF} (kernel without CONFIG_DEBUG_INFO_BTF)` }, async (t) => {
  const btf = vmlinuxBtf()
  t.ok(btf.typeCount > 10000, `${btf.typeCount} types`)
  for (const it of ['bpf_iter_tcp', 'bpf_iter_udp', 'bpf_iter_unix']) {
    const id = btf.funcId(it)
    t.equal(btf.type(id).kind, 'FUNC', `${it} is FUNC ${id}`)
  }
  const seqWrite = btf.enumValue('bpf_func_id', 'BPF_FUNC_seq_write')
  const toTcp = btf.enumValue('bpf_func_id', 'BPF_FUNC_skc_to_tcp_sock')
  t.ok(seqWrite > 0 && seqWrite < 1000 && toTcp > seqWrite, `seq_write ${seqWrite}, skc_to_tcp_sock ${toTcp}`)
  t.equal(btf.enumValue('bpf_func_id', 'BPF_FUNC_unspec'), 0)

  const num = btf.member('sock_common', 'skc_num')
  const dport = btf.member('sock_common', 'skc_dport')
  t.equal(num.size, 2, 'skc_num is a u16')
  t.equal(num.byteOffset, dport.byteOffset + 2, 'skc_num follows skc_dport in skc_portpair (through anonymous union/struct)')
  t.equal(btf.member('sock_common', 'skc_portpair').byteOffset, dport.byteOffset)
  t.ok(num.byteOffset > 0 && num.byteOffset < btf.sizeof(btf.typeId('sock_common', 'STRUCT')))

  const srtt = btf.member('tcp_sock', 'srtt_us')
  const icsk = btf.sizeof(btf.typeId('inet_connection_sock', 'STRUCT'))
  t.equal(srtt.size, 4)
  t.ok(srtt.byteOffset >= icsk && srtt.byteOffset < btf.sizeof(btf.typeId('tcp_sock', 'STRUCT')), `srtt_us at ${srtt.byteOffset}, after inet_connection_sock (${icsk})`)
  // Nested path through named members equals the flat lookup through the embedded struct.
  t.equal(btf.member('tcp_sock', 'inet_conn.icsk_inet.sk.__sk_common.skc_num').byteOffset, num.byteOffset)
  const ctx = btf.member('bpf_iter__tcp', 'sk_common')
  t.equal(ctx.size, 8, 'ctx->sk_common is a pointer')
  // A real bitfield somewhere in tcp_sock.
  const bf = btf.members(btf.typeId('tcp_sock', 'STRUCT')).find((m) => m.bitSize > 0)
  t.ok(bf, 'tcp_sock has bitfields')
  if (bf) t.equal(btf.member('tcp_sock', bf.name).bitSize, bf.bitSize)
})
