/**
 * The playground's model under node: byte annotations cover every byte
 * exactly once and agree with the disassembler, command lines split like a
 * shell's simple words, and the page's verdicts equal `ssx explain --trace`.
 */
import t from 'tap'
import { runPlayground, splitWords, PORT_RANGE } from '../../web/pipeline.js'
import { runExplain } from '../../src/cli/explain.js'

t.test('words', async (t) => {
  const table: [string, string[]][] = [
    ['-t  sport = :22', ['-t', 'sport', '=', ':22']],
    [`-x src '/tmp/a b'`, ['-x', 'src', '/tmp/a b']],
    [`a"b c"d e`, ['ab cd', 'e']],
    ['', []],
  ]
  for (const [line, want] of table) t.same(splitWords(line), want, line)
})

t.test('annotated bytes cover the program exactly', async (t) => {
  const filters = [
    '-t sport = :22',
    '-t dport >= :1024',
    '-t dst 10.0.0.0/8 or src [::1]:80',
    '-t not dev lo and fwmark 0x10/0xff',
    '-t autobound or dport < :10',
  ]
  for (const f of filters) {
    const r = await runPlayground(f, [])
    if (!r.ok) {
      t.fail(`${f}: ${r.error}`)
      continue
    }
    let at = 0
    for (const field of r.hex) {
      t.equal(field.offset, at, `${f}: ${field.op} ${field.field} starts where the previous field ended`)
      at += field.bytes.length
    }
    const hex = (await runExplain(f.split(' '), {})).stdout.match(/^ {2}bytes {2}(.*)$/m)![1]!.replace(/ /g, '')
    t.equal(r.hex.map((x) => Array.from(x.bytes, (b) => b.toString(16).padStart(2, '0')).join('')).join(''), hex, `${f}: same bytes as explain`)
    t.notOk(r.hex.some((x) => x.field === '(unreached)'), `${f}: no unreached bytes`)
  }
})

t.test('errors are the CLI\'s', async (t) => {
  const r = await runPlayground('-t dst 10.0.0.0/33', [])
  t.notOk(r.ok)
  if (!r.ok) t.equal(r.error, (await runExplain(['-t', 'dst 10.0.0.0/33'], {})).stderr)
  const u = await runPlayground('--bogus', [])
  t.match(u.ok ? '' : u.error, /unrecognized option '--bogus'/)
  const s = await runPlayground('-t sport = :22', ['tcp nowhere'])
  t.match(s.ok ? s.sockets[0]?.error : '', /expected ADDRESS:PORT/)
})

t.test('verdicts equal explain --trace', async (t) => {
  const sock = 'tcp 10.0.0.1:40000 -> 10.0.0.2:80 established'
  for (const f of ['-t autobound', '-t dport = :80', '-t src 0.0.0.0/0']) {
    const r = await runPlayground(f, [sock])
    const cli = (await runExplain([...f.split(' '), '--trace', sock], { localPortRange: PORT_RANGE })).stdout
    const row = r.ok ? r.sockets[0]! : null
    t.equal(row?.listed ? 'yes' : 'no', /^ {2}listed {6}(yes|no)/m.exec(cli)?.[1], `${f}: listed`)
    t.equal(row?.trace, cli.slice(cli.indexOf('trace: ')), `${f}: same trace text`)
  }
})
