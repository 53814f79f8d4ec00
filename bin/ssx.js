#!/usr/bin/env node
// Entry point: the bundled CLI (built by `npm run build`, which `npm install` runs through `prepare`).
// CommonJS (bin/package.json): an ES module entry point costs node ~10 ms of ESM loader set-up.
'use strict'
require('../dist/ssx.cjs').main(process.argv.slice(2)).then((code) => { process.exitCode = code })
