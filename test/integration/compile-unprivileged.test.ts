// `ssx compile` needs neither root nor network: run the built CLI as an
// unprivileged user in a network namespace of its own (no interfaces but a
// down loopback) and check it prints the same plan as when run normally.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const ssx = `${root}bin/ssx.js`
const isRoot = process.getuid?.() === 0
const built = existsSync(`${root}dist/ssx.cjs`)

const cases = [
  ['-t', 'sport = :22 or dport = :443'],
  ['-tan', 'src', '127.0.0.1/8', 'and', 'not', 'autobound'],
  ['-6', 'dst', '[::1]:8443'],
  ['-x', 'src', '/tmp/*'],
]

t.test('compile without root and without network', { skip: !built ? 'the CLI bundle is not built (npm run build)' : !isRoot ? 'needs root to drop privileges and create a namespace' : false }, async (t) => {
  for (const args of cases) {
    const normal = spawnSync(process.execPath, [ssx, 'compile', ...args], { encoding: 'utf8' })
    t.equal(normal.status, 0, `ssx compile ${args.join(' ')}: ${normal.stderr}`)
    const jailed = spawnSync('unshare', ['--net', '--', 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, ssx, 'compile', ...args], { encoding: 'utf8' })
    t.equal(jailed.status, 0, `unprivileged, no network: ${jailed.stderr}`)
    t.equal(jailed.stdout, normal.stdout, `same plan for ${args.join(' ')}`)
  }
})
