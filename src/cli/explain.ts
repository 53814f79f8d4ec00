/**
 * `ssx explain [ss options] [--graph dot|mermaid|svg] [--trace SOCKET] [--color[=WHEN]] [FILTER...]`:
 * what ssx would do with a command line, taken apart for reading — the
 * filter as parsed, the plan, what runs where, the bytecode in words — or
 * the program's control-flow graph, or one socket's walk through it.
 * Sends nothing; needs neither root nor network.
 */
import { readFileSync } from 'node:fs'
import { CommandFailure, compileSelected, selectArgv, type CommandIo, type CommandResult, type Compiled } from './compile.js'
import { DIAG_TARGET, programsOf, renderExplain, type ExplainTarget } from './explain-render.js'
import { cbpfTarget } from './explain-cbpf.js'
import { ebpfTarget } from './explain-ebpf.js'
import { buildCfg, toDot, toMermaid, toSvg } from './graph.js'
import { formatTrace, parseSocketDescription, SocketSyntaxError, traceSocket } from './trace.js'
import { ANSI, PLAIN } from './paint.js'
import { caret, EXIT } from './report.js'
import { USAGE, SS_VERSION_LINE } from './usage.js'
import { disassemble } from '../../compiler/disasm.js'
import { DEFAULT_LOCAL_PORT_RANGE } from '../../compiler/evaluate.js'

/** I/O of explain besides the compile command's. */
export interface ExplainIo extends CommandIo {
  /** Colour when `--color` is `auto` or absent (the CLI passes "stdout is a terminal"). */
  readonly tty?: boolean
  /** The ephemeral port range for traces; read from /proc when absent. */
  readonly localPortRange?: readonly [number, number]
}

/** explain's own options, taken out of argv before ss's parser sees it. */
export interface ExplainOptions {
  readonly graph: 'dot' | 'mermaid' | 'svg' | null
  readonly trace: string | null
  readonly color: 'always' | 'never' | 'auto'
}

/** Targets explain can show; classic BPF and eBPF plug in here. */
/** The targets explain can show, by `--target` name (`auto` explains what listings run: diag). */
const targets = (localPortRange: readonly [number, number], c: Compiled): Readonly<Record<string, ExplainTarget>> => ({
  diag: DIAG_TARGET,
  cbpf: cbpfTarget(localPortRange),
  ebpf: ebpfTarget({ selection: { ...c.selection, families: c.families }, localPortRange, plan: c.plan }),
})

class ExplainUsageError extends Error {
  override readonly name = 'ExplainUsageError'
  readonly code = 'E_EXPLAIN_USAGE'
}

/** Split explain's options from the rest (stops at `--`, like getopt). */
export function splitExplainArgv(argv: readonly string[]): { readonly options: ExplainOptions; readonly rest: string[] } {
  let graph: ExplainOptions['graph'] = null
  let trace: string | null = null
  let color: ExplainOptions['color'] = 'auto'
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!
    if (w === '--') {
      rest.push(...argv.slice(i))
      break
    }
    const m = /^--(graph|trace|colou?r)(?:=(.*))?$/s.exec(w)
    if (!m) {
      rest.push(w)
      continue
    }
    const name = m[1]!
    let value = m[2]
    if (name.startsWith('colo')) {
      value ??= 'always'
      if (value !== 'always' && value !== 'never' && value !== 'auto') throw new ExplainUsageError(`--color must be always, never or auto, not "${value}"`)
      color = value
      continue
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new ExplainUsageError(`option '--${name}' requires an argument`)
      value = argv[++i]!
    }
    if (name === 'graph') {
      if (value !== 'dot' && value !== 'mermaid' && value !== 'svg') throw new ExplainUsageError(`--graph must be dot, mermaid or svg, not "${value}"`)
      graph = value
    } else {
      trace = value
    }
  }
  return { options: { graph, trace, color }, rest }
}

function readLocalPortRange(): readonly [number, number] {
  try {
    const [lo, hi] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number)
    if (Number.isInteger(lo) && Number.isInteger(hi)) return [lo!, hi!]
  } catch {
    // ss falls back to its built-in range when /proc cannot be read; so do we.
  }
  return DEFAULT_LOCAL_PORT_RANGE
}

/** Run `ssx explain`. */
export async function runExplain(argv: readonly string[], io: ExplainIo = {}): Promise<CommandResult> {
  const prog = io.prog ?? 'ssx'
  let options: ExplainOptions
  let rest: string[]
  try {
    ({ options, rest } = splitExplainArgv(argv))
  } catch (e) {
    if (e instanceof ExplainUsageError) return { exitCode: EXIT.usage, stdout: '', stderr: `${prog}: explain: ${e.message}\n` }
    throw e
  }
  let c: Compiled
  try {
    const { args, selection } = selectArgv(rest, io)
    if (!selection) return { exitCode: EXIT.ok, stdout: args.action === 'help' ? USAGE : `${SS_VERSION_LINE}\n`, stderr: '' }
    c = await compileSelected({ args, selection }, io)
  } catch (e) {
    if (e instanceof CommandFailure) return e.result
    throw e
  }
  // `auto` lists through inet_diag, so that is what it explains.
  const targetName = c.args.flags.target === null || c.args.flags.target === 'auto' ? 'diag' : c.args.flags.target
  const TARGETS = targets(io.localPortRange ?? readLocalPortRange(), c)
  const target = TARGETS[targetName]
  if (!target) {
    return { exitCode: EXIT.usage, stdout: '', stderr: `${prog}: explain: --target ${targetName} is not available (known: ${Object.keys(TARGETS).join(', ')})\n` }
  }
  const paint = options.color === 'always' || (options.color === 'auto' && io.tty === true) ? ANSI : PLAIN
  const programs = programsOf(c.plan)

  if (options.graph) {
    const first = programs[0]
    if (!first) return { exitCode: EXIT.value, stdout: '', stderr: `${prog}: explain: no bytecode to draw: ${c.filter ? 'the filter runs in user space only' : 'there is no filter'}\n` }
    const cfg = buildCfg(disassemble(first.program.bytes, { ops: first.program.ops, source: c.source }))
    const text = options.graph === 'dot' ? toDot(cfg, c.source || 'inet_diag bytecode') : options.graph === 'mermaid' ? toMermaid(cfg) : toSvg(cfg)
    return { exitCode: EXIT.ok, stdout: text, stderr: '' }
  }

  let out = renderExplain(c, { paint, target })
  if (options.trace !== null) {
    const localPortRange = io.localPortRange ?? readLocalPortRange()
    let desc
    try {
      desc = parseSocketDescription(options.trace)
    } catch (e) {
      if (e instanceof SocketSyntaxError) return { exitCode: EXIT.usage, stdout: '', stderr: `${prog}: error: --trace: ${e.message}\n${caret(options.trace, e.span)}\n` }
      throw e
    }
    const t = traceSocket(c.plan, desc, { localPortRange })
    const program = t.request?.req.program
    const lines = program ? disassemble(program.bytes, { ops: program.ops, source: c.source }) : null
    out += '\n' + formatTrace(desc, t, lines, paint)
  }
  return { exitCode: EXIT.ok, stdout: out, stderr: '' }
}
