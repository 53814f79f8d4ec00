/**
 * The control-flow graph of an inet_diag program, drawn from the
 * disassembler's lines: one node per op, an `accept` and a `reject` node,
 * and the edges the kernel can take. Rendered as Graphviz DOT, Mermaid or a
 * self-contained SVG (the playground's drawing). Pure: no I/O.
 *
 * Edges that can never be taken are left out, because they only confuse a
 * reader: a JMP's `yes` (its condition is always false) and a NOP's `no`
 * (always true, and the kernel never reads it).
 */
import type { Dest, DisasmLine } from '../../compiler/disasm.js'

/** A node of the graph. */
export interface CfgNode {
  /** Stable identifier, usable in DOT and Mermaid: `n<offset>`, `accept`, `reject`, `bad<offset>`. */
  readonly id: string
  readonly kind: 'op' | 'accept' | 'reject' | 'bad'
  /** Byte offset of the op (ops and bad nodes). */
  readonly offset?: number
  /** Opcode name (ops). */
  readonly op?: string
  /** The test in plain words, or why decoding stopped. */
  readonly words: string
  /** Filter text the op came from. */
  readonly source?: string
}

/** An edge: the branch taken when the op's condition is true (`yes`) or false (`no`). */
export interface CfgEdge {
  readonly from: string
  readonly to: string
  readonly kind: 'yes' | 'no'
}

/** The graph. Nodes are in program order, `accept` and `reject` last. */
export interface Cfg {
  readonly nodes: readonly CfgNode[]
  readonly edges: readonly CfgEdge[]
}

const destId = (d: Dest): string | null => {
  switch (d.kind) {
    case 'op': return `n${d.at}`
    case 'accept': return 'accept'
    case 'reject': return 'reject'
    case 'outside': return `bad${d.at}`
    case 'unused': return null
  }
}

/** Build the graph of a disassembled program. */
export function buildCfg(lines: readonly DisasmLine[]): Cfg {
  const nodes: CfgNode[] = []
  const edges: CfgEdge[] = []
  const outside = new Set<number>()
  for (const l of lines) {
    if (l.kind === 'data') continue
    if (l.kind === 'bad') {
      nodes.push({ id: `bad${l.offset}`, kind: 'bad', offset: l.offset, words: l.reason })
      continue
    }
    nodes.push({ id: `n${l.offset}`, kind: 'op', offset: l.offset, op: l.op, words: l.words, ...(l.source !== undefined ? { source: l.source } : {}) })
    const add = (d: Dest, kind: 'yes' | 'no'): void => {
      const to = destId(d)
      if (to === null) return
      if (d.kind === 'outside') outside.add(d.at)
      edges.push({ from: `n${l.offset}`, to, kind })
    }
    if (l.op !== 'JMP') add(l.yesTo, 'yes')
    if (l.op !== 'NOP') add(l.noTo, 'no')
  }
  for (const at of outside) nodes.push({ id: `bad${at}`, kind: 'bad', offset: at, words: `offset ${at} is outside the program` })
  nodes.push({ id: 'accept', kind: 'accept', words: 'accept' }, { id: 'reject', kind: 'reject', words: 'reject' })
  // Keep only edges whose target exists (a bad line may end the listing before a jump target).
  const ids = new Set(nodes.map((n) => n.id))
  return { nodes, edges: edges.filter((e) => ids.has(e.to)) }
}

const dotEscape = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')

/** Graphviz DOT text (`dot -Tsvg`). */
export function toDot(cfg: Cfg, title = 'inet_diag bytecode'): string {
  const out = [
    `digraph bytecode {`,
    `  label="${dotEscape(title)}"; labelloc=t;`,
    `  node [shape=box, fontname="monospace", fontsize=10];`,
    `  edge [fontname="monospace", fontsize=9];`,
  ]
  for (const n of cfg.nodes) {
    switch (n.kind) {
      case 'accept': out.push(`  accept [label="accept", shape=doublecircle, color=darkgreen, fontcolor=darkgreen];`); break
      case 'reject': out.push(`  reject [label="reject", shape=doublecircle, color=red3, fontcolor=red3];`); break
      case 'bad': out.push(`  ${n.id} [label="${dotEscape(`@${n.offset} (bad): ${n.words}`)}", color=red3, style=dashed];`); break
      case 'op': {
        // `\\l` ends a left-justified line in DOT.
        const label = [`@${n.offset}  ${n.op}`, n.words, ...(n.source !== undefined ? [`# ${n.source}`] : [])].map((p) => `${dotEscape(p)}\\l`).join('')
        out.push(`  ${n.id} [label="${label}"];`)
        break
      }
    }
  }
  for (const e of cfg.edges) {
    out.push(e.kind === 'yes'
      ? `  ${e.from} -> ${e.to} [label="yes", color=darkgreen];`
      : `  ${e.from} -> ${e.to} [label="no", color=red3, style=dashed];`)
  }
  out.push('}')
  return out.join('\n') + '\n'
}

/** Mermaid text is HTML-ish: entity-escape what would end a label. */
const mermaidEscape = (s: string): string => s.replace(/&/g, '#amp;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;')

/** Mermaid flowchart text. */
export function toMermaid(cfg: Cfg): string {
  const out = ['flowchart TD']
  for (const n of cfg.nodes) {
    switch (n.kind) {
      case 'accept': out.push('  accept(["accept"])'); break
      case 'reject': out.push('  reject(["reject"])'); break
      case 'bad': out.push(`  ${n.id}{{"${mermaidEscape(`@${n.offset} (bad): ${n.words}`)}"}}`); break
      case 'op': {
        const parts = [`@${n.offset} ${n.op}`, n.words, ...(n.source !== undefined ? [`# ${n.source}`] : [])]
        out.push(`  ${n.id}["${parts.map(mermaidEscape).join('<br/>')}"]`)
        break
      }
    }
  }
  for (const e of cfg.edges) out.push(e.kind === 'yes' ? `  ${e.from} -->|yes| ${e.to}` : `  ${e.from} -.->|no| ${e.to}`)
  out.push('  classDef acc fill:#d8f5d0,stroke:#2a7a1a', '  classDef rej fill:#f8d4d4,stroke:#b22222', '  class accept acc', '  class reject rej')
  return out.join('\n') + '\n'
}

const xmlEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/**
 * A self-contained SVG drawing: the program is a straight line with forward
 * jumps, so ops are stacked in program order with `accept` and `reject`
 * below them; `yes` edges run down the left side, `no` edges as arcs on the
 * right, one lane per edge so none overlap.
 */
export function toSvg(cfg: Cfg): string {
  const boxW = 380
  const boxH = 46
  const gap = 22
  const left = 40
  const top = 12
  const row = new Map<string, number>()
  cfg.nodes.forEach((n, i) => row.set(n.id, i))
  const y = (id: string): number => top + row.get(id)! * (boxH + gap)
  const lanes = cfg.edges.filter((e) => e.kind === 'no' || row.get(e.to)! !== row.get(e.from)! + 1)
  const laneW = 14
  const width = left + boxW + 30 + lanes.length * laneW + 20
  const height = top + cfg.nodes.length * (boxH + gap)
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="11">`,
    '<defs>',
    '<marker id="ay" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#2a7a1a"/></marker>',
    '<marker id="an" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#b22222"/></marker>',
    '</defs>',
  ]
  for (const n of cfg.nodes) {
    const ny = y(n.id)
    const fill = n.kind === 'accept' ? '#d8f5d0' : n.kind === 'reject' || n.kind === 'bad' ? '#f8d4d4' : '#f4f4f8'
    const stroke = n.kind === 'accept' ? '#2a7a1a' : n.kind === 'reject' || n.kind === 'bad' ? '#b22222' : '#555'
    const rx = n.kind === 'op' ? 4 : 20
    parts.push(`<g class="node node-${n.kind}" data-id="${n.id}"><rect x="${left}" y="${ny}" width="${boxW}" height="${boxH}" rx="${rx}" fill="${fill}" stroke="${stroke}"/>`)
    if (n.kind === 'op') {
      parts.push(`<text x="${left + 8}" y="${ny + 15}" font-weight="bold">@${n.offset} ${xmlEscape(n.op ?? '')}</text>`)
      parts.push(`<text x="${left + 8}" y="${ny + 28}">${xmlEscape(n.words)}</text>`)
      if (n.source !== undefined) parts.push(`<text x="${left + 8}" y="${ny + 41}" fill="#666"># ${xmlEscape(n.source)}</text>`)
    } else {
      parts.push(`<text x="${left + boxW / 2}" y="${ny + 28}" text-anchor="middle" font-weight="bold">${xmlEscape(n.kind === 'bad' ? `@${n.offset} (bad): ${n.words}` : n.words)}</text>`)
    }
    parts.push('</g>')
  }
  let lane = 0
  for (const e of cfg.edges) {
    const y1 = y(e.from)
    const y2 = y(e.to)
    const color = e.kind === 'yes' ? '#2a7a1a' : '#b22222'
    const marker = e.kind === 'yes' ? 'ay' : 'an'
    const dash = e.kind === 'no' ? ' stroke-dasharray="5,3"' : ''
    if (e.kind === 'yes' && row.get(e.to)! === row.get(e.from)! + 1) {
      // Fall-through to the next op: a short arrow straight down.
      const x = left + 30
      parts.push(`<path class="edge edge-yes" d="M${x},${y1 + boxH} L${x},${y2}" stroke="${color}" fill="none" marker-end="url(#${marker})"/>`)
      parts.push(`<text x="${x + 5}" y="${y1 + boxH + 14}" fill="${color}">yes</text>`)
      continue
    }
    const x = left + boxW + 18 + lane++ * laneW
    const d = e.kind === 'yes'
      ? `M${left},${y1 + boxH / 2} L${left - 18},${y1 + boxH / 2} L${left - 18},${y2 + boxH / 2} L${left},${y2 + boxH / 2}`
      : `M${left + boxW},${y1 + boxH / 2} L${x},${y1 + boxH / 2} L${x},${y2 + boxH / 2} L${left + boxW},${y2 + boxH / 2}`
    parts.push(`<path class="edge edge-${e.kind}" d="${d}" stroke="${color}" fill="none"${dash} marker-end="url(#${marker})"/>`)
    if (e.kind === 'no') parts.push(`<text x="${left + boxW + 2}" y="${y1 + boxH / 2 - 3}" fill="${color}">no</text>`)
  }
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}
