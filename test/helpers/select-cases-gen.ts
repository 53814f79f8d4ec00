/**
 * Regenerates the selection table of test/compiler/select.test.ts from the
 * real ss: for every command line below it runs `/usr/bin/ss` under strace in
 * a throw-away namespace, records what ss did (test/helpers/select-observe.ts)
 * and writes one table line holding ssx's selection and ss's observation.
 * Lines whose observation ssx's selection does not predict are reported.
 *
 *   node --import=@tapjs/typescript/import test/helpers/select-cases-gen.ts --write   (as root)
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgv } from '../../src/cli/argv.js'
import { selectSockets, tableNames } from '../../compiler/select.js'
import { captureSs } from './ss-capture.js'
import { failingProtocols, observe, project } from './select-observe.js'
import { familyNames, preferredName } from './select-names.js'

/** The command lines (split on single spaces). */
export const SELECT_ARGV: readonly string[] = [
  '', '-n', '-t', '-u', '-d', '-w', '-S', '-M', '-x', '-0', '-4', '-6', '--tipc', '--vsock', '--xdp',
  '-a', '-l', '-ta', '-tl', '-ua', '-ul', '-xa', '-xl', '-0a', '-0l', '-4a', '-6a', '-6l', '-wa', '-Sl', '-Ma',
  '-f inet', '-f inet6', '-f link', '-f unix', '-f netlink', '-f tipc', '-f vsock', '-f xdp', '-finet6', '--family=unix', '--fam netlink',
  '-f netlink -a', '-f link -l', '--tipc -a', '--vsock -a', '--xdp -a', '--xdp -l',
  '-A all', '-A inet', '-A tcp', '-A udp', '-A dccp', '-A mptcp', '-A sctp', '-A raw', '-A unix', '-A unix_stream', '-A u_str',
  '-A unix_dgram', '-A u_dgr', '-A unix_seqpacket', '-A u_seq', '-A packet', '-A packet_raw', '-A p_raw', '-A packet_dgram', '-A p_dgr',
  '-A netlink', '-A tipc', '-A vsock', '-A vsock_stream', '-A v_str', '-A vsock_dgram', '-A v_dgr', '-A xdp',
  '-A netlink -a', '-A p_raw -a', '-a -A netlink', '-l -A netlink', '-A udp -l', '-A udp -a', '-A all -a', '-A tcp,udp', '-A all,!tcp',
  '-A inet,!udp', '-A !tcp', '-A tcp -A udp', '-A tcp -A !tcp', '-t -A udp', '-A udp -t', '-x -A tcp', '-A tcp -x', '-A unix -4',
  '-4 -A tcp', '-A tipc -a', '-A unix,!u_dgr', '--socket=tcp', '--query=udp,raw', '--query udp', '-A !tcp -t', '-t -A !tcp',
  '-x -t', '-t -x', '-4 -t', '-6 -u', '-4 -6', '-6 -4', '-4 -6 -t', '-6 -4 -t', '-0 -4', '-f link -f inet', '-x -0', '-x -0 -a',
  '-t -u -d -w -S -M', '-tuwx', '-tu4', '-tu6', '-x4', '-4x', '--tcp --udp', '--ipv4', '--ipv6', '--packet', '--unix', '--raw',
  '-a -l', '-l -a', '-a -t -l', '-l -t -a', '--all --listening', '--listen', '-ta -l',
  'state listening', '-t state listening', '-t state established', '-t state LISTENING', '-t state Listening', 'state all',
  '-t state connected', '-t state synchronized', '-t state bucket', '-t state big', '-t state unknown', '-t state syn-sent',
  '-t state syn-recv', '-t state syn-rcv', '-t state fin-wait-1', '-t state fin-wait-2', '-t state time-wait', '-t state close',
  '-t state closed', '-t state unconnected', '-t state close-wait', '-t state last-ack', '-t state closing',
  '-t exclude listening', '-t excl established', '-t exclude listening state established', '-t state established exclude established',
  '-t exclude all', 'exclude all', 'state established', '-a state established', '-t state established -a', '-l state established',
  'state listening -t', '-u state all', '-t state established state listening', '-x state listening', '-0 state listening',
  '-f netlink exclude all', '-A udp state established', '-4 state listening',
  '-s', '-s -a', '-s -n', '-s -t', '-s state listening', '-s -A tcp', '-s -4', '-tn sport = :22', '-H -t', '-H', '-tn -e', '-tn -ee -o',
]

async function main(): Promise<void> {
  const ns = `ssx-h2-gen-${process.pid}`
  execFileSync('ip', ['netns', 'add', ns])
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    const failing = failingProtocols(await captureSs(['-a', '-A', 'inet'], { netns: ns }))
    const lines: string[] = []
    let mismatches = 0
    for (const text of SELECT_ARGV) {
      const argv = text === '' ? [] : text.split(' ')
      const args = parseArgv(argv)
      const sel = selectSockets(args)
      const seen = observe(await captureSs(argv, { netns: ns }))
      const predicted = project({ ...sel, tables: tableNames(sel.tables), summary: args.flags.summary, noHeader: args.flags.noHeader }, failing)
      if (predicted !== seen) {
        mismatches++
        process.stderr.write(`MISMATCH ${JSON.stringify(text)}\n  ss:  ${seen}\n  ssx: ${predicted}\n`)
      }
      const fields = [
        `argv: ${JSON.stringify(text)}`,
        `tables: '${tableNames(sel.tables).join(' ')}'`,
        `families: '${familyNames(sel.families).join(' ')}'`,
        `states: 0x${sel.states.toString(16)}`,
        `pref: '${preferredName(sel.preferredFamily)}'`,
        `ss: '${seen}'`,
      ]
      lines.push(`  { ${fields.join(', ')} },`)
    }
    const file = new URL('../compiler/select.test.ts', import.meta.url)
    const src = readFileSync(file, 'utf8')
    const begin = src.indexOf('// BEGIN GENERATED CASES')
    const end = src.indexOf('  // END GENERATED CASES')
    if (begin < 0 || end < 0) throw new Error('markers not found in select.test.ts')
    const head = src.slice(0, src.indexOf('\n', begin) + 1)
    const failingLine = `const KERNEL_FAILING = new Set(${JSON.stringify([...failing].sort())})\n`
    const body = head.replace(/const KERNEL_FAILING = .*\n/, failingLine) + lines.join('\n') + '\n' + src.slice(end)
    writeFileSync(file, body)
    process.stderr.write(`${lines.length} cases, ${mismatches} mismatches, failing protocols: ${[...failing].join(',')}\n`)
  } finally {
    execFileSync('ip', ['netns', 'del', ns])
  }
}

// tap loads every file under test/: do nothing unless asked to write.
if (process.argv.includes('--write')) await main()
