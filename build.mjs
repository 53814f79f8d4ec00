// Bundles the CLI into one ESM file so `ssx` starts fast: resolving and
// loading hundreds of small modules from node_modules costs more than the
// work of a typical invocation. koffi stays external (native addon).
import { build } from 'esbuild'

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/ssx.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['koffi'],
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS dependencies may call require(); give them one.
  banner: { js: "import { createRequire as __ssxCreateRequire } from 'node:module'; const require = __ssxCreateRequire(import.meta.url);" },
})
