// Builds the playground into dist/web/: one folder that works from file://
// or any static server. app.js is a classic script (not a module) because
// browsers refuse module scripts from file:// URLs. The compiler modules are
// bundled as they are; nothing is copied into web/.
import { build } from 'esbuild'
import { createSyntaxDiagramsCode } from 'chevrotain'
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = join(root, 'dist/web')
await rm(out, { recursive: true, force: true })
await mkdir(out, { recursive: true })

await build({
  entryPoints: [join(root, 'web/app.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
})
await cp(join(root, 'web/index.html'), join(out, 'index.html'))
await cp(join(root, 'web/style.css'), join(out, 'style.css'))

// The railroad diagram: the parser's productions, drawn by Chevrotain's own
// diagram scripts, served from this folder instead of a CDN.
const tmp = await mkdtemp(join(tmpdir(), 'ssx-web-'))
try {
  const entry = join(tmp, 'grammar.mjs')
  await build({
    stdin: { contents: "export { serializedGrammar } from './grammar/parser.ts'", resolveDir: root, loader: 'ts' },
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'warning',
    banner: { js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);" },
  })
  const { serializedGrammar } = await import(pathToFileURL(entry).href)
  const diagrams = join(root, 'node_modules/chevrotain/diagrams')
  await cp(diagrams, join(out, 'diagrams'), { recursive: true, filter: (p) => !p.endsWith('.md') })
  const html = createSyntaxDiagramsCode(serializedGrammar('ss'), { resourceBase: 'diagrams/', css: 'diagrams/diagrams.css' })
    .replace('<!DOCTYPE html>', '<!DOCTYPE html>\n<title>ssx filter grammar (ss 6.1 precedence)</title>')
    .replace('<div id="diagrams"', '<p style="font-family: sans-serif">The filter grammar as ssx parses it, in ss 6.1\'s reading: <code>and</code>, <code>or</code> and juxtaposition share one precedence, left to right. <a href="index.html">Back to the playground</a>.</p>\n<div id="diagrams"')
  await writeFile(join(out, 'grammar.html'), html)
} finally {
  await rm(tmp, { recursive: true, force: true })
}
console.log(`playground built in ${out}`)
