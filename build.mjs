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

// The library: `ssx` (src/index.ts) and `ssx/compiler` (src/pure.ts), the
// targets of package.json `exports`. Dependencies stay external; the shared
// chunk keeps one copy of each class, so errors from either entry pass the
// same `instanceof` checks.
await build({
  entryPoints: { index: 'src/index.ts', compiler: 'src/pure.ts' },
  outdir: 'dist/lib',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
})
