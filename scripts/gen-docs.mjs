// Writes docs/bytecode.md from real `ssx explain` output. The generator is
// TypeScript (test/helpers/bytecode-doc.ts, shared with the staleness test
// test/cli/explain-docs.test.ts); esbuild bundles it to a temporary module.
//   node scripts/gen-docs.mjs          write docs/bytecode.md
//   node scripts/gen-docs.mjs --check  exit 1 when docs/bytecode.md is stale
import { build } from 'esbuild'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
// Inside the project, so the bundle's external imports (koffi) resolve from node_modules.
await mkdir(join(root, 'node_modules/.cache'), { recursive: true })
const dir = await mkdtemp(join(root, 'node_modules/.cache/ssx-docs-'))
try {
  const outfile = join(dir, 'bytecode-doc.mjs')
  await build({
    entryPoints: [join(root, 'test/helpers/bytecode-doc.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: ['koffi'],
    logLevel: 'warning',
    banner: { js: "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);" },
  })
  const { renderBytecodeDoc } = await import(pathToFileURL(outfile).href)
  const text = await renderBytecodeDoc()
  const target = join(root, 'docs/bytecode.md')
  if (process.argv.includes('--check')) {
    const old = await readFile(target, 'utf8').catch(() => '')
    if (old !== text) {
      console.error('docs/bytecode.md is stale: run node scripts/gen-docs.mjs')
      process.exitCode = 1
    }
  } else {
    await writeFile(target, text)
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}
