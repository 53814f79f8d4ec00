/**
 * docs/bytecode.md is generated from real `ssx explain` output
 * (test/helpers/bytecode-doc.ts); this fails when the committed copy is
 * stale. Regenerate with `node scripts/gen-docs.mjs`.
 */
import t from 'tap'
import { readFileSync } from 'node:fs'
import { renderBytecodeDoc } from '../helpers/bytecode-doc.js'

t.test('docs/bytecode.md is up to date', async (t) => {
  const committed = readFileSync(new URL('../../docs/bytecode.md', import.meta.url), 'utf8')
  const fresh = await renderBytecodeDoc()
  t.equal(committed, fresh, 'docs/bytecode.md is stale: run node scripts/gen-docs.mjs')
  // Every command in the tutorial is shown with its output.
  t.ok((fresh.match(/^\$ ssx explain /gm) ?? []).length >= 10, 'at least ten explained command lines')
})
