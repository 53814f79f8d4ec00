#!/usr/bin/env node
// Entry point: the bundled CLI (built by `npm run build`, which `npm install` runs through `prepare`).
import { main } from '../dist/ssx.mjs'

main(process.argv.slice(2)).then((code) => { process.exitCode = code })
