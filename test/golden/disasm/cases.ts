/**
 * Shared test data (no tests of its own): the bytecode ss 6.1 emits for
 * the filters of kernel-sock-diag Appendix A and ss-behavior §5.2/§5.3,
 * each with its resolved Filter built by hand (the parser is written
 * elsewhere) and the expected bytes as captured with strace. Used by
 * test/compiler/assemble.test.ts (byte-exact lowering), interpret.test.ts
 * and disasm.test.ts (golden listings, named after `name`).
 */
import type { Span } from '../../../grammar/ast.js'
import type { Filter, InetPrefix } from '../../../compiler/filter.js'

/** One captured filter. */
export interface SsCase {
  /** Golden file stem. */
  readonly name: string
  readonly text: string
  readonly filter: Filter
  /** Bytes as ss 6.1 sent them, in 4-byte words (hostcond padding zeroed). */
  readonly hex: string
}

/** Decode space-separated hex words: an independent builder, not the encoder under test. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '')
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new TypeError(`bad hex: ${s}`)
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16))
}

/** Bytes as hex words, for messages. */
export function toHex(b: Uint8Array): string {
  return (Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('').match(/.{1,8}/g) ?? []).join(' ')
}

/** A tiny builder that finds spans by substring so the cases stay readable. */
function build(text: string, f: (at: (sub: string, nth?: number) => Span) => Filter): { text: string; filter: Filter } {
  const at = (sub: string, nth = 0): Span => {
    let from = -1
    for (let i = 0; i <= nth; i++) {
      from = text.indexOf(sub, from + 1)
      if (from < 0) throw new TypeError(`${JSON.stringify(sub)} not in ${JSON.stringify(text)}`)
    }
    return { start: from, end: from + sub.length }
  }
  return { text, filter: f(at) }
}

const v4 = (s: string, prefixLen = 32): InetPrefix => ({ af: 2, bytes: Uint8Array.from(s.split('.').map(Number)), prefixLen })
const v6 = (words: number[], prefixLen = 128): InetPrefix => {
  const b = new Uint8Array(16)
  words.forEach((w, i) => { b[2 * i] = w >> 8; b[2 * i + 1] = w & 0xff })
  return { af: 10, bytes: b, prefixLen }
}
const portOnly = (dir: 'src' | 'dst', port: number, span: Span): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: 0, addrs: [], port }, span })
const host = (dir: 'src' | 'dst', p: InetPrefix, port: number, span: Span): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: p.af, addrs: [p], port }, span })

/** Appendix A of kernel-sock-diag.md, plus the examples of ss-behavior §5.2/§5.3. */
export const SS_CASES: readonly SsCase[] = [
  { name: 'sport-eq-22', hex: '07101400 00000000 16000000 00000000', ...build('sport = :22', (at) => portOnly('src', 22, at('sport = :22'))) },
  { name: 'dport-ge-1024', hex: '04080c00 00000004', ...build('dport >= :1024', (at) => ({ kind: 'portcmp', dir: 'dst', cmp: 'ge', port: 1024, span: at('dport >= :1024') })) },
  {
    name: 'dport-gt-1024', hex: '05080c00 00000004 01040800',
    ...build('dport > :1024', (at) => ({ kind: 'not', sugar: true, span: at('dport > :1024'), operand: { kind: 'portcmp', dir: 'dst', cmp: 'le', port: 1024, span: at('dport > :1024') } })),
  },
  {
    name: 'dport-lt-80', hex: '04080c00 00005000 01040800',
    ...build('dport lt :80', (at) => ({ kind: 'not', sugar: true, span: at('dport lt :80'), operand: { kind: 'portcmp', dir: 'dst', cmp: 'ge', port: 80, span: at('dport lt :80') } })),
  },
  {
    name: 'sport-ne-22', hex: '07101400 00000000 16000000 00000000 01040800',
    ...build('sport != :22', (at) => ({ kind: 'not', sugar: true, span: at('sport != :22'), operand: portOnly('src', 22, at('sport != :22')) })),
  },
  { name: 'src-127.0.0.1-8', hex: '07101400 02080000 ffffffff 7f000001', ...build('src 127.0.0.1/8', (at) => host('src', v4('127.0.0.1', 8), -1, at('src 127.0.0.1/8'))) },
  { name: 'src-127.0.0.1-port-80', hex: '07101400 02200000 50000000 7f000001', ...build('src 127.0.0.1:80', (at) => host('src', v4('127.0.0.1'), 80, at('src 127.0.0.1:80'))) },
  {
    name: 'dst-v6-loopback-port-80', hex: '081c2000 0a800000 50000000 00000000 00000000 00000000 00000001',
    ...build('dst [::1]:80', (at) => host('dst', v6([0, 0, 0, 0, 0, 0, 0, 1]), 80, at('dst [::1]:80'))),
  },
  {
    name: 'dst-v6-loopback-port-8443', hex: '081c2000 0a800000 fb200000 00000000 00000000 00000000 00000001',
    ...build('dst [::1]:8443', (at) => host('dst', v6([0, 0, 0, 0, 0, 0, 0, 1]), 8443, at('dst [::1]:8443'))),
  },
  {
    name: 'dst-v4-mapped', hex: '081c2000 0a800000 ffffffff 00000000 00000000 0000ffff 01020304',
    ...build('dst [::ffff:1.2.3.4]', (at) => host('dst', v6([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]), -1, at('dst [::ffff:1.2.3.4]'))),
  },
  { name: 'autobound', hex: '06040800', ...build('autobound', (at) => ({ kind: 'auto', span: at('autobound') })) },
  { name: 'fwmark-0x10-0xff', hex: '0a0c1000 10000000 ff000000', ...build('fwmark 0x10/0xff', (at) => ({ kind: 'mark', mark: 0x10, mask: 0xff, span: at('fwmark 0x10/0xff') })) },
  { name: 'fwmark-0x1234-0xff00', hex: '0a0c1000 34120000 00ff0000', ...build('fwmark = 0x1234/0xff00', (at) => ({ kind: 'mark', mark: 0x1234, mask: 0xff00, span: at('fwmark = 0x1234/0xff00') })) },
  {
    name: 'sport-22-or-not-dport-80',
    hex: '07101400 00000000 16000000 00000000 01041800 08101400 00000000 50000000 00000000 01040800',
    ...build('sport = :22 or not dport = :80', (at) => ({
      kind: 'or', span: at('sport = :22 or not dport = :80'),
      left: portOnly('src', 22, at('sport = :22')),
      right: { kind: 'not', span: at('not dport = :80'), operand: portOnly('dst', 80, at('dport = :80')) },
    })),
  },
  {
    name: 'sport-range-or-dst',
    hex: '02081400 00006400 03080c00 0000c800 01041400 08101400 02200000 05000000 01020304',
    ...build('( sport >= :100 and sport <= :200 ) or dst 1.2.3.4:5', (at) => ({
      kind: 'or', span: at('( sport >= :100 and sport <= :200 ) or dst 1.2.3.4:5'),
      left: {
        kind: 'and', span: at('sport >= :100 and sport <= :200'),
        left: { kind: 'portcmp', dir: 'src', cmp: 'ge', port: 100, span: at('sport >= :100') },
        right: { kind: 'portcmp', dir: 'src', cmp: 'le', port: 200, span: at('sport <= :200') },
      },
      right: host('dst', v4('1.2.3.4'), 5, at('dst 1.2.3.4:5')),
    })),
  },
  {
    name: 'src-and-dst', hex: '07102400 02200000 ffffffff 01020304 08101400 02200000 ffffffff 05060708',
    ...build('src 1.2.3.4 and dst 5.6.7.8', (at) => ({
      kind: 'and', span: at('src 1.2.3.4 and dst 5.6.7.8'),
      left: host('src', v4('1.2.3.4'), -1, at('src 1.2.3.4')),
      right: host('dst', v4('5.6.7.8'), -1, at('dst 5.6.7.8')),
    })),
  },
  {
    name: 'not-src', hex: '07101400 02200000 ffffffff 01020304 01040800',
    ...build('not src 1.2.3.4', (at) => ({ kind: 'not', span: at('not src 1.2.3.4'), operand: host('src', v4('1.2.3.4'), -1, at('src 1.2.3.4')) })),
  },
  {
    name: 'src-v4-or-v6-prefix',
    hex: '07101400 02080000 ffffffff 0a000000 01042000 071c2000 0a0a0000 ffffffff fe800000 00000000 00000000 00000000',
    ...build('src 10.0.0.0/8 or src fe80::/10', (at) => ({
      kind: 'or', span: at('src 10.0.0.0/8 or src fe80::/10'),
      left: host('src', v4('10.0.0.0', 8), -1, at('src 10.0.0.0/8')),
      right: host('src', v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10), -1, at('src fe80::/10')),
    })),
  },
  {
    // ss-behavior §5.3 worked example (case 22): the AND relocation turns NOT's JMP no=8 into 16.
    name: 'not-autobound-and-dport-le-1023', hex: '06040800 01041000 05080c00 0000ff03',
    ...build('not autobound && dport <= :1023', (at) => ({
      kind: 'and', span: at('not autobound && dport <= :1023'),
      left: { kind: 'not', span: at('not autobound'), operand: { kind: 'auto', span: at('autobound') } },
      right: { kind: 'portcmp', dir: 'dst', cmp: 'le', port: 1023, span: at('dport <= :1023') },
    })),
  },
]
