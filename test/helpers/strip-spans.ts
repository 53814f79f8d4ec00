/** An AST (or any tree) without its spans, for comparing trees parsed from different texts. */
export function strip(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(strip)
  if (x && typeof x === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(x)) if (k !== 'span' && k !== 'valueSpan') out[k] = strip(v)
    return out
  }
  return x
}
