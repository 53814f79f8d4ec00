// The checker port (what SO_ATTACH_FILTER refuses) and the interpreter port
// (what the kernel computes), as table cases written in tcpdump -d syntax.
// The kernel test test/integration/cbpf-attach.test.ts holds the checker
// against the kernel on every code and on random programs.
import t from 'tap'
import { checkProgram } from '../../compiler/cbpf/check.js'
import { interpret, CbpfRuntimeError } from '../../compiler/cbpf/interpret.js'
import { parseAsm } from '../../compiler/cbpf/disasm.js'
import { BPF_CLASS, CBPF_OPCODES, CBPF_OPCODE_BY_CODE, SKF_AD_OFF } from '../../uapi/bpf-classic.js'
import { INET_DIAG } from '../../uapi/inet-diag.js'
import { destroyMessage } from './cbpf-fixtures.js'

/** Instructions from a listing whose lines are separated by `;` (pc prefixes added here). */
const asm = (text: string): ReturnType<typeof parseAsm> =>
  parseAsm(text.split(';').map((l, i) => `(${String(i).padStart(3, '0')}) ${l.trim().replace(/^(\S+)\s*/, (_, m: string) => m.padEnd(9))}`).join('\n'))

t.test('table: one entry per code, classes as the code says', async (t) => {
  for (const info of Object.values(CBPF_OPCODES)) {
    t.equal(CBPF_OPCODE_BY_CODE.get(info.code), info, info.name)
    const cls = Object.entries(BPF_CLASS).find(([, v]) => v === (info.code & 7))![0]
    t.ok(info.name.startsWith(cls.slice(4)), `${info.name} is in class ${cls}`)
  }
})

t.test('checker: table cases', async (t) => {
  const raw = (n: number, code: number, k = 0): { code: number; jt: number; jf: number; k: number }[] => Array.from({ length: n }, () => ({ code, jt: 0, jf: 0, k }))
  const cases: [string, readonly { code: number; jt: number; jf: number; k: number }[], RegExp | null][] = [
    ['empty program', [], /empty/],
    ['4096 instructions', raw(4096, 0x06), null],
    ['4097 instructions', raw(4097, 0x06), /at most 4096/],
    ['ret #0', asm('ret #0'), null],
    ['ret a', asm('ret'), null],
    ['ret x is not an instruction', [{ code: 0x0e, jt: 0, jf: 0, k: 0 }], /code 0xe/],
    ['no final ret', asm('ld #0x1'), /not a ret/],
    ['a jump past the end', asm('ldh [20]; jeq #0x16 jt 3\tjf 2; ret #0'), /outside/],
    ['div #0', asm('div #0; ret #0'), /constant 0/],
    ['mod #0', asm('mod #0; ret #0'), /constant 0/],
    ['div #1', asm('div #1; ret #0'), null],
    ['div x (checked at run time)', asm('div x; ret #0'), null],
    ['lsh #31', asm('lsh #31; ret #0'), null],
    ['lsh #32', asm('lsh #32; ret #0'), /shift by 32/],
    ['rsh #-1', asm('rsh #-1; ret #0'), /shift by 4294967295/],
    ['st M[15]', asm('st M[15]; ret #0'), null],
    ['st M[16]', asm('st M[16]; ret #0'), /M\[16\]/],
    ['ja to the last instruction', asm('ja 1; ret #0'), null],
    ['ja past the end', asm('ja 2; ret #0'), /ja to 2/],
    ['jeq jf past the end', asm('jeq #0x0 jt 1\tjf 2; ret #0'), /outside/],
    ['jeq both edges in range', asm('jeq #0x0 jt 1\tjf 2; ret #1; ret #0'), null],
    ['ancillary nla', asm('ld [nla]; ret #0'), null],
    ['ancillary vlan_tpid (last known)', asm('ld [vlan_tpid]; ret #0'), null],
    ['unknown ancillary offset', [{ code: 0x20, jt: 0, jf: 0, k: SKF_AD_OFF + 64 }, ...asm('ret #0')], /unknown ancillary/],
    ['unaligned ancillary offset', [{ code: 0x28, jt: 0, jf: 0, k: SKF_AD_OFF + 2 }, ...asm('ret #0')], /unknown ancillary/],
    ['SKF_NET_OFF is checked at run time, not attach time', [{ code: 0x20, jt: 0, jf: 0, k: 0xfff00000 }, ...asm('ret #0')], null],
    ['ld M[0] before any st', asm('ld M[0]; ret #0'), /M\[0\] may be read/],
    ['st then ld', asm('st M[3]; ld M[3]; ret a'), null],
    ['ldx M[] before stx', asm('ldx M[2]; ret #0'), /M\[2\]/],
    ['written on one path only', asm('ldb [0]; jeq #0x1 jt 2\tjf 3; st M[1]; ld M[1]; ret a'), /M\[1\] may be read/],
    ['written on both paths', asm('ldb [0]; jeq #0x1 jt 2\tjf 4; st M[2]; ja 5; st M[2]; ld M[2]; ret a'), null],
    ['written before the branch', asm('st M[7]; ldb [0]; jeq #0x1 jt 3\tjf 4; ld M[7]; ret a'), null],
    ['unreachable read after ret', asm('ret #0; ld M[4]; ret #0'), /M\[4\]/],
    ['unreachable read after ja starts from "all valid"', asm('ja 3; ld M[4]; ret #1; ret #0'), null],
  ]
  for (const [name, prog, refusal] of cases) {
    const r = checkProgram(prog)
    if (refusal === null) t.same(r, { ok: true }, name)
    else t.match(r, { ok: false, errno: 'EINVAL', reason: refusal }, name)
  }
})

t.test('interpreter: table cases', async (t) => {
  const pkt = Uint8Array.of(0x45, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07)
  const cases: [string, string, number][] = [
    ['ret k', 'ret #7', 7],
    ['ld [0] is big-endian', 'ld [0]; ret a', 0x45010203],
    ['ldh [6]', 'ldh [6]; ret a', 0x0607],
    ['ldh [7] runs past the end: 0', 'ldh [7]; ret #1', 0],
    ['ld [x + 4]', 'ldx #0x2; ld [x + 4]; ret #1', 0],
    ['ldb [x + 4]', 'ldx #0x2; ldb [x + 4]; ret a', 0x06],
    ['ldxb 4*([0]&0xf)', 'ldxb 4*([0]&0xf); txa; ret a', 20],
    ['ld #pktlen', 'ld #pktlen; ret a', 8],
    ['ldx #pktlen', 'ldx #pktlen; txa; ret a', 8],
    ['add wraps at 32 bits', 'ld #0xffffffff; add #2; ret a', 1],
    ['sub wraps', 'ld #0x0; sub #1; ret a', 0xffffffff],
    ['mul wraps', 'ld #0x10000; mul #65536; ret a', 0],
    ['div truncates', 'ld #0x7; div #2; ret a', 3],
    ['mod', 'ld #0x7; mod #4; ret a', 3],
    ['div x by 0 ends with 0', 'ld #0x7; ldx #0x0; div x; ret #9', 0],
    ['mod x by 0 ends with 0', 'ld #0x7; ldx #0x0; mod x; ret #9', 0],
    ['lsh x uses the low five bits', 'ld #0x1; ldx #0x21; lsh x; ret a', 2],
    ['rsh #31', 'ld #0x80000000; rsh #31; ret a', 1],
    ['neg', 'ld #0x1; neg; ret a', 0xffffffff],
    ['and/or/xor', 'ld #0xf0f0; and #0xff00; or #0x1; xor #0x1001; ret a', 0xe000],
    ['jgt is unsigned', 'ld #0xffffffff; jgt #0x1 jt 3\tjf 4; ret #0; ret #1; ret #2', 1],
    ['jge equal', 'ld #0x5; jge #0x5 jt 3\tjf 4; ret #0; ret #1; ret #2', 1],
    ['jset', 'ld #0x6; jset #0x1 jt 3\tjf 4; ret #0; ret #1; ret #2', 2],
    ['jeq x', 'ld #0x6; ldx #0x6; jeq x jt 4\tjf 5; ret #0; ret #1; ret #2', 1],
    ['ja', 'ja 2; ret #1; ret #2', 2],
    ['scratch memory', 'ld #0x2a; st M[5]; ld #0x0; ldx M[5]; txa; ret a', 42],
    ['ancillary xor_x', 'ld #0xff; ldx #0xf; ld [xor_x]; ret a', 0xf0],
    ['ancillary ifidx without a device ends with 0', 'ld [ifidx]; ret #1', 0],
    ['ancillary proto of a netlink message is 0', 'ld [proto]; ret a', 0],
  ]
  for (const [name, text, want] of cases) t.equal(interpret(asm(text), pkt), want, name)
})

t.test('interpreter: netlink attribute lookups in a destroy message', async (t) => {
  const msg = destroyMessage({ family: 2, state: 7, sport: 1, dport: 2, src: Uint8Array.of(1, 2, 3, 4), dst: Uint8Array.of(5, 6, 7, 8), ifindex: 0, protocol: 6 })
  const find = (type: number): number => interpret(asm(`ldx #0x${type.toString(16)}; ld #0x58; ld [nla]; ret a`), msg)
  t.equal(find(INET_DIAG.INET_DIAG_PROTOCOL), 88, 'INET_DIAG_PROTOCOL right after inet_diag_msg')
  t.equal(find(INET_DIAG.INET_DIAG_INFO), 96, 'INET_DIAG_INFO after the padded u8 attribute')
  t.equal(find(INET_DIAG.INET_DIAG_MARK), 0, 'no INET_DIAG_MARK')
  t.equal(interpret(asm('ldx #0xa; ld #0xfffff; ld [nla]; ret a'), msg), 0, 'a start past the end finds nothing')
  t.equal(interpret(asm('ld #0x58; ldx #0x1; ld [nlan]; ret a'), msg), 0, 'nothing nested in a u8 attribute')
})

t.test('interpreter: refuses what the checker refuses', async (t) => {
  t.throws(() => interpret([{ code: 0x0e, jt: 0, jf: 0, k: 0 }], new Uint8Array(4)), CbpfRuntimeError)
  t.throws(() => interpret(asm('ld #0x1'), new Uint8Array(4)), CbpfRuntimeError)
})
