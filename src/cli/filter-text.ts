/**
 * Prints a resolved filter back as ss filter text, fully parenthesised, for
 * plans and explanations (the resolved tree has values, not names).
 */
import type { Filter, HostCond, InetPrefix } from '../../compiler/filter.js'
import { METRICS } from '../../compiler/metrics.js'
import { CMP_TEXT } from '../../grammar/tokens.js'

function addr(a: InetPrefix): string {
  if (a.af === 2) return `${Array.from(a.bytes.subarray(0, 4)).join('.')}/${a.prefixLen}`
  const words: string[] = []
  for (let i = 0; i < 16; i += 2) words.push(((a.bytes[i]! << 8) | a.bytes[i + 1]!).toString(16))
  return `[${words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}/${a.prefixLen}]`
}

function host(c: HostCond): string {
  switch (c.family) {
    case 'inet': {
      const port = c.port === -1 ? '*' : String(c.port)
      const fam = c.af === 2 ? 'inet:' : c.af === 10 ? 'inet6:' : ''
      if (c.addrs.length === 0) return `${fam}*:${port}`
      return c.addrs.map((a) => `${fam}${addr(a)}:${port}`).join('|')
    }
    case 'unix': return `unix:${c.pattern}`
    case 'link': return `link:${c.proto === -1 ? '*' : c.proto}:${c.ifindex === -1 ? '*' : c.ifindex}`
    case 'netlink': return `netlink:${c.proto === -1 ? '*' : c.proto}:${c.portid === -1 ? '*' : c.portid}`
    case 'vsock': return `vsock:${c.cid === -1 ? '*' : c.cid}:${c.port === -1 ? '*' : c.port}`
  }
}

/** ss-like text of a resolved filter, every binary operation parenthesised. */
export function printFilter(f: Filter): string {
  switch (f.kind) {
    case 'and': return `(${printFilter(f.left)} and ${printFilter(f.right)})`
    case 'or': return `(${printFilter(f.left)} or ${printFilter(f.right)})`
    case 'not': return `not ${printFilter(f.operand)}`
    case 'hostcond': return `${f.dir} ${host(f.cond)}`
    case 'portcmp': return `${f.dir === 'src' ? 'sport' : 'dport'} ${f.cmp === 'ge' ? '>=' : '<='} :${f.port}`
    case 'dev': return `dev ${f.ifindex}`
    case 'mark': return `fwmark 0x${f.mark.toString(16)}/0x${f.mask.toString(16)}`
    case 'cgroup': return `cgroup id:${f.id}`
    case 'auto': return 'autobound'
    case 'metric': return `${f.field} ${CMP_TEXT[f.op]} ${f.value}${METRICS[f.field].unit === 'us' ? 'us' : ''}`
  }
}
