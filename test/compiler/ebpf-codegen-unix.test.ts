// iter/unix code generation, pure: a fixed made-up kernel layout (so the
// listings do not depend on the machine), golden listings for a few
// filters, structural checks every program must pass before the verifier
// sees it, the listing read back into the same bytes, and which part of a
// filter is left to user space.
import t from 'tap'
import fc from 'fast-check'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ITER_UNIX_BTF } from '../../uapi/bpf-unix.js'
import type { IterUnixLayout } from '../../uapi/bpf-unix.js'
import type { MemberSlot } from '../../uapi/bpf.js'
import type { Filter } from '../../compiler/filter.js'
import { TABLE } from '../../compiler/select.js'
import { compileIterUnix, generateIterUnix, namePattern, unixKernelFilter, unixUserSpaceFilter } from '../../compiler/ebpf/codegen-unix.js'
import { dropUnreachable } from '../../compiler/ebpf/codegen.js'
import { assemble } from '../../compiler/ebpf/assemble.js'
import { decode, formatListing, parseListing } from '../../compiler/ebpf/disasm.js'
import { filterTree } from '../props/expr-tree.js'

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), '..', 'golden', 'ebpf-unix')
const UPDATE = process.env.UPDATE_GOLDEN === '1'
const SPAN = { start: 0, end: 0 }

/** Made-up offsets: member i at 8·i; pointers and sk_ino 8 bytes, sun_path at 2 (108 bytes), the rest 4; helpers 300+. */
const SIZES: Readonly<Record<string, number>> = { skc_family: 2, skc_state: 1, sk_type: 2, sk_shutdown: 1, sun_path: 108 }
const POINTERS = /^(ctx_meta|ctx_unix_sk|meta_seq|sk_ino|peer_ino|rq_next|addr|peer|skb_next)$/
const layout: IterUnixLayout = {
  attachBtfId: 5151,
  helpers: { seq_write: 301, probe_read_kernel: 302, get_socket_cookie: 303 },
  members: Object.fromEntries(Object.keys(ITER_UNIX_BTF.members).map((k, i): [string, MemberSlot] => [k, {
    off: k === 'sun_path' ? 2 : 8 * i, size: SIZES[k] ?? (POINTERS.test(k) ? 8 : 4), bitShift: 0, bitSize: 0,
  }])) as IterUnixLayout['members'],
}

const listing = (f: Filter | null, source?: string, opts = {}): string => {
  const p = compileIterUnix(f, layout, opts)
  return formatListing(decode(p.bytes), { placed: p.insns, ...(source ? { source } : {}) })
}
const src = (pattern: string, span = SPAN): Filter => ({ kind: 'hostcond', dir: 'src', cond: { family: 'unix', pattern }, span })

t.test('golden listings', async (t) => {
  const cases: [string, Filter | null, string, object?][] = [
    ['unfiltered', null, ''],
    ['connected-streams', null, '', { states: 1 << 1, tables: 1 << TABLE.unix_stream }],
    ['autobound-or-rqueue', {
      kind: 'or', span: { start: 0, end: 24 },
      left: { kind: 'auto', span: { start: 0, end: 9 } },
      right: { kind: 'metric', field: 'rqueue', op: 'gt', value: 0, span: { start: 13, end: 24 } },
    }, 'autobound or rqueue > 0'],
    ['src-glob-and-ino', {
      kind: 'and', span: { start: 0, end: 29 },
      left: src('/run/*.sock', { start: 0, end: 15 }),
      right: { kind: 'portcmp', dir: 'src', cmp: 'ge', port: 1000, span: { start: 20, end: 29 } },
    }, 'src /run/*.sock and sport >= :1000'],
    ['src-prefix-or-name', {
      kind: 'or', span: { start: 0, end: 29 },
      left: src('/RUN/*', { start: 0, end: 10 }),
      right: src('@in@ner', { start: 14, end: 25 }),
    }, 'src /RUN/* or src @in@ner'],
  ]
  mkdirSync(GOLDEN, { recursive: true })
  for (const [name, f, source, opts] of cases) {
    const text = listing(f, source || undefined, opts)
    const file = join(GOLDEN, `${name}.asm`)
    if (UPDATE) writeFileSync(file, text)
    t.equal(text, readFileSync(file, 'utf8'), name)
  }
})

t.test('user space gets the whole filter when it has a src glob, nothing otherwise', async (t) => {
  const ino: Filter = { kind: 'metric', field: 'ino', op: 'gt', value: 5, span: SPAN }
  const glob = src('*.sock')
  const both: Filter = { kind: 'and', left: glob, right: ino, span: SPAN }
  const notBoth: Filter = { kind: 'not', operand: both, span: SPAN }
  t.equal(unixUserSpaceFilter(null), null)
  t.equal(unixUserSpaceFilter(ino), null, 'no glob: the program decides')
  t.equal(unixUserSpaceFilter(both), both)
  t.equal(unixKernelFilter(ino), ino)
  t.equal(unixKernelFilter(both), ino, 'the glob counts as "maybe"')
  t.equal(unixKernelFilter(notBoth), null, 'not (glob and …) keeps every socket in the kernel')
  const dst: Filter = { kind: 'hostcond', dir: 'dst', cond: { family: 'unix', pattern: '*' }, span: SPAN }
  t.equal(unixUserSpaceFilter(dst), null, 'dst patterns see the empty peer name: decided by the compiler')
})

t.test('which src patterns the program compares itself', async (t) => {
  const cases: [string, ReturnType<typeof namePattern>][] = [
    ['/run/x.sock', { literal: '/run/x.sock', prefix: false }], ['/RUN/*', { literal: '/run/', prefix: true }], ['@Foo**', { literal: '@foo', prefix: true }],
    ['*', { literal: '', prefix: true }], ['', { literal: '', prefix: false }], ['*.sock', null], ['a?c', null], ['[ab]', null], ['a\\*', null], ['a*b*', null],
  ]
  for (const [pattern, want] of cases) t.same(namePattern(pattern), want, pattern)
})

const inode = fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.integer({ min: 0, max: 0xffffffff }))
const leaf: fc.Arbitrary<Filter> = fc.oneof(
  fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), pattern: fc.constantFrom('*', '', '/tmp/*', '@*', 'a?c', '[!/]*', '/run/X.sock', '@in@ner', 'x'.repeat(108), 'x'.repeat(109)) })
    .map(({ dir, pattern }): Filter => ({ kind: 'hostcond', dir, cond: { family: 'unix', pattern }, span: SPAN })),
  fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), port: fc.oneof(fc.constant(-1), inode), bits: fc.constantFrom(-1, 0, 24) })
    .map(({ dir, port, bits }): Filter => ({ kind: 'hostcond', dir, cond: { family: 'inet', af: 2, addrs: bits < 0 ? [] : [{ af: 2, bytes: Uint8Array.from([10, 0, 0, 0]), prefixLen: bits }], port }, span: SPAN })),
  fc.record({ dir: fc.constantFrom('src' as const, 'dst' as const), cmp: fc.constantFrom('ge' as const, 'le' as const), port: inode }).map((x): Filter => ({ kind: 'portcmp', ...x, span: SPAN })),
  fc.integer().map((ifindex): Filter => ({ kind: 'dev', ifindex, span: SPAN })),
  fc.record({ mark: fc.integer(), mask: fc.integer() }).map((x): Filter => ({ kind: 'mark', ...x, span: SPAN })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((id): Filter => ({ kind: 'cgroup', id, span: SPAN })),
  fc.constant<Filter>({ kind: 'auto', span: SPAN }),
  fc.record({ field: fc.constantFrom('rtt' as const, 'rto' as const, 'uid' as const, 'rqueue' as const, 'wqueue' as const, 'ino' as const), op: fc.constantFrom('eq' as const, 'ne' as const, 'lt' as const, 'le' as const, 'gt' as const, 'ge' as const), value: fc.oneof(fc.integer({ min: -10, max: 2 ** 40 }), fc.double({ noNaN: true, min: -1e20, max: 1e20 })) })
    .map((x): Filter => ({ kind: 'metric', ...x, span: SPAN })),
)
const tree = filterTree(leaf, SPAN)

t.test('every generated program: assembles, reads back from its listing, no unreachable instruction, ends in exit, stack in bounds, deterministic', async (t) => {
  const selection = fc.record({ states: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }), tables: fc.option(fc.integer({ min: 0, max: 0xff }), { nil: undefined }) })
  fc.assert(fc.property(fc.option(tree, { nil: null }), selection, (f, sel) => {
    const opts = { ...(sel.states !== undefined ? { states: sel.states } : {}), ...(sel.tables !== undefined ? { tables: sel.tables } : {}) }
    const ir = generateIterUnix(f, layout, opts)
    const p = compileIterUnix(f, layout, opts)
    if (dropUnreachable(ir).length !== ir.length) throw new Error('unreachable instructions left in')
    if (p.insns.at(-1)!.insn.op !== 'exit') throw new Error('the program does not end in exit')
    for (const { insn } of p.insns) {
      if ((insn.op === 'ldx' && insn.src === 10) || ((insn.op === 'stx' || insn.op === 'st') && insn.dst === 10)) {
        if (insn.off >= 0 || insn.off < -512) throw new Error(`stack access at r10${insn.off}`)
      }
    }
    const back = assemble(parseListing(formatListing(decode(p.bytes), { placed: p.insns })))
    if (Buffer.compare(Buffer.from(back.bytes), Buffer.from(p.bytes)) !== 0) throw new Error('the listing does not read back into the same bytes')
    const again = compileIterUnix(f, layout, opts)
    if (Buffer.compare(Buffer.from(again.bytes), Buffer.from(p.bytes)) !== 0) throw new Error('not deterministic')
  }), { numRuns: 1000 })
  t.pass('1000 programs')
})
