/**
 * Printing filter ASTs back as ss filter text: canonical (parentheses only
 * where the precedence mode needs them, so that parsing the text gives the
 * same tree back) or fully parenthesised (for warnings and explanations),
 * and a compact s-expression form for tests and debugging.
 */
import type { Expr, HostValue, PortSpec, InetAddr } from './ast.js'
import { KEYWORDS, CMP_TEXT } from './tokens.js'
import type { Precedence } from './parser.js'

/** Escape a value so ss's tokenizer gives it back as one value token. */
export function escapeValue(text: string): string {
  if (text === '') return '\\'
  let out = text.replace(/[\\ \t]/g, (c) => `\\${c}`)
  // Keep ssx's unglueing of parentheses away from a value that has them at its edges.
  out = out.replace(/^([(!]+)/, (m) => m.replace(/./g, (c) => `\\${c}`)).replace(/(\)+)$/, (m) => m.replace(/./g, (c) => `\\${c}`))
  // ss matches keywords after unescaping, so a value spelled like a keyword
  // cannot be written at all; the parser never produces one.
  if (Object.hasOwn(KEYWORDS, text)) throw new RangeError(`"${text}" is a keyword and cannot be written as a value`)
  return out
}

function pred(e: Expr): string {
  switch (e.kind) {
    case 'host': return `${e.dir} ${escapeValue(e.value.text)}`
    case 'port': return `${e.dir === 'src' ? 'sport' : 'dport'} ${CMP_TEXT[e.op]} ${escapeValue(e.value.text)}`
    case 'dev': return `dev ${e.negated ? '!= ' : ''}${escapeValue(e.device)}`
    case 'fwmark': return `fwmark ${e.negated ? '!= ' : ''}0x${e.mark.toString(16)}/0x${e.mask.toString(16)}`
    case 'cgroup': return `cgroup ${e.negated ? '!= ' : ''}${escapeValue(e.path)}`
    case 'autobound': return 'autobound'
    // The value's text is digits and a unit: nothing to escape.
    case 'metric': return `${e.field} ${CMP_TEXT[e.op]} ${e.text}`
    default: throw new TypeError(`not a predicate: ${e.kind}`)
  }
}

const isBinary = (e: Expr): boolean => e.kind === 'and' || e.kind === 'or'

/**
 * Canonical ss text of an expression for a precedence mode: parentheses
 * only where needed, implicit ANDs kept as juxtaposition, so that
 * `parse(printExpr(e, mode), mode)` gives `e` back (spans aside), given
 * the same preferred family: host values are printed as written, and an
 * unprefixed value means what the preferred family makes of it.
 */
export function printExpr(expr: Expr, mode: Precedence = 'ss'): string {
  const go = (e: Expr): string => {
    switch (e.kind) {
      case 'not': return `! ${isBinary(e.operand) ? `( ${go(e.operand)} )` : go(e.operand)}`
      case 'and':
      case 'or': {
        let leftParens: boolean
        let rightParens: boolean
        if (mode === 'ss') {
          leftParens = false
          rightParens = isBinary(e.right)
        } else if (e.kind === 'or') {
          leftParens = false
          rightParens = e.right.kind === 'or'
        } else {
          leftParens = e.left.kind === 'or'
          rightParens = isBinary(e.right)
        }
        const l = leftParens ? `( ${go(e.left)} )` : go(e.left)
        const r = rightParens ? `( ${go(e.right)} )` : go(e.right)
        const op = e.kind === 'or' ? ' or ' : e.implicit ? ' ' : ' and '
        return l + op + r
      }
      default: return pred(e)
    }
  }
  return go(expr)
}

/** The expression with every binary operation in parentheses (implicit ANDs shown as `and`). */
export function printParenthesized(expr: Expr): string {
  switch (expr.kind) {
    case 'not': return `! ${printParenthesized(expr.operand)}`
    case 'and':
    case 'or': return `(${printParenthesized(expr.left)} ${expr.kind} ${printParenthesized(expr.right)})`
    default: return pred(expr)
  }
}

function sPort(p: PortSpec): string {
  return p.kind === 'any' ? '*' : p.kind === 'number' ? String(p.value) : `svc:${p.name}`
}

function sAddr(a: InetAddr | null): string {
  if (!a) return '*'
  if (a.kind === 'default') return `default/${a.af}`
  if (a.kind === 'name') return `name:${a.name}/${a.af}`
  if (a.af === 2) return `${a.bytes.join('.')}/${a.prefixLen}`
  const words: string[] = []
  for (let i = 0; i < 16; i += 2) words.push(((a.bytes[i]! << 8) | a.bytes[i + 1]!).toString(16))
  return `${words.join(':')}/${a.prefixLen}`
}

/** Compact form of a host value for s-expressions: `10.0.0.0/8:22`, `unix:/run/*`, `link:0x800:name:lo`, … */
export function sHost(h: HostValue): string {
  switch (h.family) {
    case 'inet': return `${h.af === 0 ? '' : h.af === 2 ? 'inet:' : 'inet6:'}${sAddr(h.addr)}:${sPort(h.port)}`
    case 'unix': return `unix:${h.pattern}`
    case 'link': return `link:${h.proto === null ? '*' : `0x${h.proto.toString(16)}`}:${h.iface.kind === 'any' ? '*' : h.iface.kind === 'index' ? h.iface.index : `name:${h.iface.name}`}`
    case 'netlink': return `netlink:${h.proto === null ? '*' : typeof h.proto === 'number' ? h.proto : `name:${h.proto.name}`}:${h.portid ?? '*'}`
    case 'vsock': return `vsock:${h.cid ?? '*'}:${h.port ?? '*'}`
  }
}

/**
 * S-expression of a tree, e.g. `(and (port src eq *:22) (host dst 10.0.0.0/8:*))`;
 * `and~` marks an implicit AND. For tests and debugging.
 */
export function toSExpr(e: Expr): string {
  switch (e.kind) {
    case 'and': return `(${e.implicit ? 'and~' : 'and'} ${toSExpr(e.left)} ${toSExpr(e.right)})`
    case 'or': return `(or ${toSExpr(e.left)} ${toSExpr(e.right)})`
    case 'not': return `(not ${toSExpr(e.operand)})`
    case 'host': return `(host ${e.dir} ${sHost(e.value)})`
    case 'port': return `(port ${e.dir} ${e.op} ${sHost(e.value)})`
    case 'dev': return `(dev${e.negated ? ' !' : ''} ${e.device})`
    case 'fwmark': return `(fwmark${e.negated ? ' !' : ''} 0x${e.mark.toString(16)}/0x${e.mask.toString(16)})`
    case 'cgroup': return `(cgroup${e.negated ? ' !' : ''} ${e.path})`
    case 'autobound': return '(autobound)'
    case 'metric': return `(metric ${e.field} ${e.op} ${e.value})`
  }
}
