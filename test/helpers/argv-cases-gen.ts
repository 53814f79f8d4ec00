/**
 * Regenerates the outcome table of test/cli/argv.test.ts from the real ss:
 * runs `/usr/bin/ss ARGV` in a throw-away namespace for every command line
 * below and records what option parsing led to (usage error with its first
 * stderr line, help, version, or "ss went on past its options"), checking
 * that every usage error is followed by exactly src/cli/usage.ts's text.
 *
 *   node --import=@tapjs/typescript/import test/helpers/argv-cases-gen.ts --write   (as root)
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { USAGE } from '../../src/cli/usage.js'

/** [argv, POSIXLY_CORRECT set]. */
export const ARGV_CASES: readonly (readonly [readonly string[], boolean])[] = [
  ...[
    ['-q'], ['--bogus'], ['--netlink'], ['--bogus=1'], ['--t'], ['--t=x'], ['--s'], ['--c'], ['--n'], ['--i'], ['--p'], ['--u'],
    ['--v'], ['--d'], ['--f'], ['--r'], ['--e'], ['--m'], ['--o'], ['--cont'], ['--tip'], ['--in'], ['--=x'], ['---foo'], ['-:'],
    ['-f'], ['-tf'], ['--family'], ['--fam'], ['-f', 'foo'], ['-f', 'INET'], ['--family='], ['-f', ''], ['-A', 'foo'],
    ['-A', 'tcp,foo'], ['-A', '!foo'], ['-A', ',tcp'], ['-A', 'tcp,'], ['-A', 'TCP'], ['-A'], ['--query'], ['--socket='], ['--numeric=1'],
    ['--num=1'], ['--help=1'], ['--context=1'], ['--tcp='], ['-F', '/dev/null', '-F', '/dev/null'], ['fwmark', '-1'],
    ['-tn', 'fwmark', '-1'], ['-tnq'], ['-tx', '-y'], ['state', 'listening', '-q'], ['-h'], ['--help'], ['--he'], ['-f', 'help'],
    ['--family=help'], ['-fhelp'], ['-tfhelp'], ['-V'], ['-v'], ['--version'], ['--vers'], ['-V', '-q'], ['-q', '-V'], ['-h', '--bogus'],
    ['--bogus', '-h'], ['-f', 'foo', '-q'], ['-q', '-f', 'foo'], ['-A', 'foo', '-f', 'bar'], ['-tf', 'foo'], ['-N'], ['-D'], ['-F'],
    ['-ah'], ['-ta', '-V'], ['-A', 'tcp', '-A', 'bogus'], ['-A', '-t'], ['-f', '--'], ['-t', '--', '-q'], ['--', '-h'], ['-', '-q'],
    ['-tn', '-'], ['--listen', '-x'], ['--inet', '-q'], ['--k=1'], ['--no=1'], ['--so', 'foo'], ['--que=udp,x'], ['--fi'],
    ['--xdp=1'], ['-W', 'foo'], ['-nrx', '-f', 'xdp', '-y'], ['-A', 'all,!tipc,x'], ['-A', 'vsock', '-A', 'v_str,,'],
    ['-t', '-D'], ['-4', '-N'], ['--diag'], ['--filter='], ['-F', '/dev/null', '--filter', '/dev/null'],
    ['-x', '--tos', '--cgroup', '--tipcinfo', '--inet-sockopt', '-q'], ['-e', '-e', '-m', '-i', '-o', '-p', '-T', '-b', '-E', '-K', '-H', '-O', '-S', '-M', '-q'],
  ].map((a) => [a, false] as const),
  ...[
    ['state', 'listening', '-q'], ['-q', 'state'], ['-t', 'sport', '=', ':22', '-h'], ['-h', 'x'], ['x', '-h'], ['--', '-q'],
  ].map((a) => [a, true] as const),
]

/** What option parsing led to, as the test table spells it. */
function outcome(status: number, stdout: string, stderr: string): string {
  if (status === 0 && stdout === USAGE) return "out: 'help'"
  if (status === 0 && stdout.startsWith('ss utility, iproute2-')) return "out: 'version'"
  const first = stderr.slice(0, stderr.indexOf('\n') + 1)
  if (status === 255 && stderr === first + USAGE) return `exit: 255, err: ${JSON.stringify(first.slice(0, -1))}, usage: true`
  if (status === 255 && stderr === 'More than one filter file\n') return `exit: 255, err: ${JSON.stringify(first.slice(0, -1))}, usage: false`
  if (stderr.includes('Usage: ss')) throw new Error(`unexpected usage output: ${stderr.slice(0, 200)}`)
  return `out: 'run' /* ss went on: exit ${status}, ${JSON.stringify(first.slice(0, 60))} */`
}

function main(): void {
  const ns = `ssx-h2-argv-${process.pid}`
  execFileSync('ip', ['netns', 'add', ns])
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    const lines = ARGV_CASES.map(([argv, posix]) => {
      const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, LC_ALL: 'C' }
      if (posix) env.POSIXLY_CORRECT = '1'
      const r = spawnSync('ip', ['netns', 'exec', ns, 'ss', ...argv], { env, encoding: 'utf8', input: '' })
      return `  { argv: ${JSON.stringify(argv)}, ${posix ? 'posix: true, ' : ''}${outcome(r.status ?? -1, r.stdout, r.stderr)} },`
    })
    const file = new URL('../cli/argv.test.ts', import.meta.url)
    const src = readFileSync(file, 'utf8')
    const begin = src.indexOf('  // BEGIN GENERATED CASES')
    const end = src.indexOf('  // END GENERATED CASES')
    if (begin < 0 || end < 0) throw new Error('markers not found in argv.test.ts')
    writeFileSync(file, src.slice(0, src.indexOf('\n', begin) + 1) + lines.join('\n') + '\n' + src.slice(end))
    process.stderr.write(`${lines.length} cases\n`)
  } finally {
    execFileSync('ip', ['netns', 'del', ns])
  }
}

// tap loads every file under test/: do nothing unless asked to write.
if (process.argv.includes('--write')) main()
