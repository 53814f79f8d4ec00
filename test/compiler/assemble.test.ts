import t from 'tap'
import fc from 'fast-check'
import { assemble } from '../../compiler/assemble.js'
import { audit } from '../../compiler/audit.js'
import { lower } from '../../compiler/lower.js'
import type { Insn, Label } from '../../compiler/ir.js'
import { INET_DIAG_BC_MAX_LEN } from '../../uapi/inet-diag.js'
import { SS_CASES, hex, toHex } from '../golden/disasm/cases.js'
import { arbIr } from '../golden/disasm/arbitraries.js'

t.test('lowering + assembly reproduce ss 6.1 byte for byte (kernel-sock-diag Appendix A, ss-behavior §5.2/§5.3)', async (t) => {
  for (const c of SS_CASES) {
    const got = assemble(lower(c.filter)).bytes
    t.equal(toHex(got), toHex(hex(c.hex)), c.text)
  }
})

t.test('portEq lowers a port-only condition to S_EQ/D_EQ', async (t) => {
  const span = { start: 0, end: 11 }
  const bytes = assemble(lower({ kind: 'hostcond', dir: 'src', cond: { family: 'inet', af: 0, addrs: [], port: 22 }, span }, { portEq: true })).bytes
  t.equal(toHex(bytes), '0b080c00 00001600')
  const d = assemble(lower({ kind: 'hostcond', dir: 'dst', cond: { family: 'inet', af: 0, addrs: [], port: 443 }, span }, { portEq: true })).bytes
  t.equal(toHex(d), '0c080c00 0000bb01')
})

t.test('a host name with several addresses is an or of one op per address, each its own address', async (t) => {
  const span = { start: 0, end: 8 }
  const a = { af: 2 as const, bytes: Uint8Array.of(127, 0, 0, 1), prefixLen: 32 }
  const b = { af: 10 as const, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), prefixLen: 128 }
  const bytes = assemble(lower({ kind: 'hostcond', dir: 'dst', cond: { family: 'inet', af: 2, addrs: [a, b], port: 80 }, span })).bytes
  // D_COND v4 (no → @20), JMP (no → accept @48), D_COND v6 (no → reject).
  t.equal(toHex(bytes), '08101400 02200000 50000000 7f000001 01042000 081c2000 0a800000 50000000 00000000 00000000 00000000 00000001')
  t.same(audit(bytes, { netAdmin: false }), { ok: true })
})

t.test('assembler table cases', async (t) => {
  const l0: Label = { id: 0 }
  const cases: { name: string; ir: Insn[]; hex?: string; code?: string }[] = [
    { name: 'JMP to accept', ir: [{ op: 'JMP', no: 'accept' }], hex: '01040400' },
    { name: 'JMP to reject', ir: [{ op: 'JMP', no: 'reject' }], hex: '01040800' },
    { name: 'NOP leaves no 0', ir: [{ op: 'NOP' }], hex: '00040000' },
    { name: 'label at the end = accept', ir: [{ op: 'AUTO', no: l0 }, { op: 'label', label: l0 }], hex: '06040400' },
    { name: 'CGROUP_COND is packed, u64 host order', ir: [{ op: 'CGROUP_COND', id: 0x0102030405060708n, no: 'reject' }], hex: '0d0c1000 08070605 04030201' },
    { name: 'DEV_COND', ir: [{ op: 'DEV_COND', ifindex: 1, no: 'reject' }], hex: '09080c00 01000000' },
    { name: 'backward label', ir: [{ op: 'label', label: l0 }, { op: 'AUTO', no: l0 }], code: 'E_JUMP' },
    { name: 'label never placed', ir: [{ op: 'AUTO', no: l0 }], code: 'E_LABEL' },
    { name: 'hostcond family 3', ir: [{ op: 'S_COND', family: 3, prefixLen: 0, port: -1, addr: new Uint8Array(4), no: 'reject' }], code: 'E_FAMILY' },
    { name: 'AF_INET6 with 4 address bytes', ir: [{ op: 'S_COND', family: 10, prefixLen: 0, port: -1, addr: new Uint8Array(4), no: 'reject' }], code: 'E_FAMILY' },
  ]
  for (const c of cases) {
    if (c.hex !== undefined) t.equal(toHex(assemble(c.ir).bytes), c.hex, c.name)
    else t.throws(() => assemble(c.ir), { name: 'FilterError', code: c.code }, c.name)
  }
})

t.test('the 65528-byte limit', async (t) => {
  const nops = (n: number): Insn[] => Array.from({ length: n }, () => ({ op: 'NOP' }))
  const max = assemble(nops(INET_DIAG_BC_MAX_LEN / 4)).bytes
  t.equal(max.length, INET_DIAG_BC_MAX_LEN)
  t.same(audit(max, { netAdmin: false }), { ok: true })
  t.throws(() => assemble(nops(INET_DIAG_BC_MAX_LEN / 4 + 1)), { code: 'E_TOO_LONG' })
  // The longest jump: JMP over 16381 NOPs to reject (no = 65532).
  const far = assemble([{ op: 'JMP', no: 'reject' }, ...nops(INET_DIAG_BC_MAX_LEN / 4 - 1)]).bytes
  t.equal(toHex(far.subarray(0, 4)), '0104fcff')
  t.same(audit(far, { netAdmin: false }), { ok: true })
})

t.test('property: every assembled random IR program passes the audit', async (t) => {
  fc.assert(
    fc.property(arbIr, ({ ir }) => {
      const p = assemble(ir)
      const r = audit(p.bytes, { netAdmin: true })
      if (!r.ok) throw new Error(`${r.errno} at ${r.offset}: ${r.reason}\n${toHex(p.bytes)}`)
      // Without CAP_NET_ADMIN exactly the programs with a MARK_COND are refused, with EPERM.
      const hasMark = ir.some((i) => i.op === 'MARK_COND')
      const r2 = audit(p.bytes, { netAdmin: false })
      return hasMark ? !r2.ok && r2.errno === 'EPERM' : r2.ok
    }),
    { numRuns: 2000 },
  )
  t.pass('2000 random programs audited')
})

t.test('property: the op map matches the bytes', async (t) => {
  fc.assert(
    fc.property(arbIr, ({ ir }) => {
      const p = assemble(ir)
      let pos = 0
      for (const op of p.ops) {
        if (op.offset !== pos || p.bytes[pos] !== op.code || p.bytes[pos + 1] !== op.yes || op.yes !== op.length) return false
        pos += op.length
      }
      return pos === p.bytes.length && p.ops.length === ir.filter((i) => i.op !== 'label').length
    }),
    { numRuns: 1000 },
  )
  t.pass('1000 op maps checked')
})
