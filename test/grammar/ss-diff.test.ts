/**
 * Differential test against /usr/bin/ss (6.1): for filters that need no
 * name lookups, ssx's parse must end like ss's (0 accepted, 1 value error,
 * 255 syntax error), and where ssx deliberately accepts more (glued
 * parentheses) ss must indeed fail. Runs ss in a private namespace.
 */
import t from 'tap'
import { canUseNetns, createNetns } from '../helpers/netns.js'
import { parseFilter } from '../../grammar/index.js'
import { FilterError, FilterSyntaxError } from '../../grammar/errors.js'

const SAME: readonly (readonly string[])[] = [
  ['src', '0x7f.1'], ['src', '1.2.3.4/-0'], ['src', '1.2.3.4/+8'], ['src', '+1.2.3.4'], ['src', '1.2.3.4/255.255.255.255'],
  ['src', '1.2.3.4/0.0.0.0'], ['src', '1.2.3.4/255'], ['src', '1.2.3.4/33'], ['src', '[::1]/'], ['src', '[::1]:'], ['src', '*:'],
  ['sport', '=', ':+22'], ['sport', '=', ': 22'], ['sport', '=', '::22'], ['sport', '=', '22:'], ['src', '1::2:3:4:5:6:7'],
  ['src', '[1:2:3:4:5:6:7:8:9]'], ['src', '[::1.2.3.04]'], ['src', '[1::]'], ['src', '[::]'], ['src', '[:::]'],
  ['src', '[1:2:3:4:5:6:1.2.3.4]'], ['src', '[1:2:3:4:5:6:7:1.2.3.4]'], ['src', '[fe80::1%lo]'], ['src', 'link:'], ['src', 'link::'],
  ['src', 'link:*:*'], ['src', 'link:ip:-3'], ['src', 'link:0x800:0x2'], ['src', 'link:foo'], ['src', 'netlink:256'], ['src', 'netlink:-1'],
  ['src', 'netlink::-5'], ['src', 'netlink:*:foo'], ['src', 'vsock:-0'], ['src', 'vsock:-1'], ['src', 'vsock::'], ['src', 'vsock:1:*'],
  ['sport', '=', 'vsock:'], ['sport', '=', 'vsock:*'], ['fwmark', ' 5'], ['fwmark', '5/ 6'], ['fwmark', '+5'], ['fwmark', '5/-1'],
  ['fwmark', '5abc'], ['fwmark', '0x1/'], ['fwmark', '/0x1'], ['fwmark', '0x/5'], ['dev', '5'], ['src', 'default:22'], ['src', 'any/0'],
  ['src', '1.2.3.4/0x'], ['src', '1.2.3.4/08'], ['src', '[::1]:0x10'], ['src', 'unix:'], ['src', 'inet:'], ['src', 'inet6:'],
  ['src', 'inet:*:22'], ['src', 'inet6:::1/128'], ['src', 'inet6:1.2.3.4/8'], ['sport', '=', 'inet:'], ['sport', '=', 'inet6:22'],
  ['src', '1.2.3.4', ')'], ['(', 'src', '1.2.3.4/33'], ['src', '1.2.3.4/33', ')'], [')', 'src', '1.2.3.4/33'],
  ['sport', '=', ':22', '(', 'src', '1.2.3.4/40'], ['autobound', 'autobound', 'fwmark', 'x'], ['!', '!', 'fwmark', 'x'],
  ['fwmark', '1', 'fwmark'], ['dev', 'lo', 'dev', '=', '!='], ['src', '::1', 'src'], ['src', 'inet6:[::1]', 'or', 'src', '127.0.0.1'],
  ['src', 'inet6:[::1]', 'or', 'dst', 'default'], ['src', 'unix:x', 'or', 'sport', '=', ':22'], ['src', 'link:ip', 'sport', '=', ':lo'],
  ['cgroup'], ['dst', '1.2.3.4', '2.3.4.5/99'], ['src', '\\'], ['\\'], ['src', '\\('], ['sport\\ =\\ :22'], ['sport = :22'],
  ['( sport = :22 or dport = :1 ) and ! src 10/8'], ['sport', '>', ':1', 'dport', '<=', ':2', 'or', 'autobound'], ['src', '[::1'],
  ['src', '[fe80::1]/64'], ['src', '10.0.0.0/255.0.255.0'], ['src', '1.2.3.'], ['src', '256.1.1.1'], ['sport', '=', ':2147483647'],
  ['src', 'default/8'], ['src', '1.2.3.4/default'], ['src', 'vsock:4294967295:4294967295'], ['src', 'vsock:4294967296'],
]

/** Glued parentheses: ss fails, ssx reads them as separate tokens. */
const EXTENDED: readonly (readonly string[])[] = [
  ['(sport = :22)'], ['!(sport = :22)'], ['((autobound))'], ['(src 1.2.3.4) or (dst 5.6.7.8)'], ['(fwmark 5 )'],
]

function ssxExit(words: readonly string[]): number {
  try {
    const r = parseFilter({ words }, { preferredFamily: 0 })
    for (const v of r.values) {
      if ((v.value.kind === 'host' || v.value.kind === 'port') && v.value.host.family === 'inet') {
        const h = v.value.host
        if (h.addr?.kind === 'name' || h.port.kind === 'service') throw new Error(`case needs name resolution: ${JSON.stringify(words)}`)
      }
    }
    return 0
  } catch (e) {
    if (e instanceof FilterSyntaxError) return 255
    if (e instanceof FilterError) return 1
    throw e
  }
}

const usable = await canUseNetns()
if (!usable && process.env['CI'] === 'true') throw new Error('CI=true but namespaces are not available')
const skip = usable ? false : 'needs root and ip netns to run /usr/bin/ss in a private namespace'

t.test('exit class matches /usr/bin/ss', { skip }, async (t) => {
  const ns = await createNetns('grammar')
  t.teardown(() => ns.destroy())
  const ssExit = async (words: readonly string[]): Promise<number> => {
    try {
      await ns.exec('/usr/bin/ss', ['-tnH', ...words])
      return 0
    } catch (e) {
      return (e as { code?: number }).code ?? -1
    }
  }
  for (const w of SAME) t.equal(ssxExit(w), await ssExit(w), JSON.stringify(w))
  for (const w of EXTENDED) {
    t.equal(ssxExit(w), 0, `ssx accepts ${JSON.stringify(w)}`)
    t.not(await ssExit(w), 0, `ss rejects ${JSON.stringify(w)}`)
  }
})
