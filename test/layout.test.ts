/**
 * The arrows between folders (STYLE.md "Layout"): a file's folder says what it
 * may import. Checked on every import and re-export of every source file.
 */
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, dirname } from 'node:path'

const root = new URL('..', import.meta.url).pathname

/** Top folder → what its files may import: other top folders, and bare package names. */
const ALLOWED: Readonly<Record<string, { folders: readonly string[], packages: (spec: string) => boolean }>> = {
  uapi: { folders: ['uapi'], packages: () => false },
  grammar: { folders: ['grammar'], packages: (p) => p === 'chevrotain' },
  compiler: { folders: ['compiler', 'grammar', 'uapi'], packages: () => false },
  runtime: { folders: ['runtime', 'uapi'], packages: (p) => p === 'koffi' || p.startsWith('node:') },
}

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory()) yield* sources(p)
    else if (p.endsWith('.ts')) yield p
  }
}

/** Module specifiers of static imports, re-exports and dynamic imports (type-only ones count too). */
function specifiers(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) out.push(m[1]!)
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push(m[1]!)
  for (const m of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!)
  return out
}

for (const [folder, rule] of Object.entries(ALLOWED)) {
  t.test(`${folder}/ imports only ${[...rule.folders].join(', ')} and its packages`, async (t) => {
    let checked = 0
    for (const file of sources(folder)) {
      for (const spec of specifiers(readFileSync(join(root, file), 'utf8'))) {
        checked++
        if (spec.startsWith('.')) {
          const target = relative(root, join(root, dirname(file), spec)).split('/')[0]!
          t.ok(rule.folders.includes(target), `${file} → ${spec}`)
        } else {
          t.ok(rule.packages(spec), `${file} → ${spec}`)
        }
      }
    }
    t.ok(checked > 0, `${checked} imports checked`)
  })
}
