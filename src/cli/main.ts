/**
 * The `ssx` command: subcommands (`compile`, `disasm`) or, otherwise, ss's
 * own command line. The only module that touches process and stdout.
 */
import { fstatSync, readFileSync } from 'node:fs'
import { isatty } from 'node:tty'
import { runCompile, type CommandResult } from './compile.js'
import { runDisasm } from './disasm-cmd.js'
import { runExplain } from './explain.js'
import { runList } from './list.js'
import { EXIT_SIGPIPE, StdoutClosed, createStdout, type Stdout } from './stdout.js'

/** Standard output (src/cli/stdout.ts); made on first use. */
let out: Stdout | undefined
const writeOut = (s: string, encoding: 'latin1' | 'utf8' = 'latin1'): void => (out ??= createStdout()).write(s, encoding)
/** `st_rdev` of /dev/null (major 1, minor 3). */
const DEV_NULL_RDEV = 0x103

/**
 * Is stdout a terminal? Asked of fd 1 (`process.stdout` costs start-up time
 * and is not needed otherwise); a pipe, a file or /dev/null is answered
 * without loading node:tty (a few ms: the bundle loads it lazily).
 */
function stdoutTty(): boolean {
  try {
    const st = fstatSync(1)
    if (!st.isCharacterDevice() || st.rdev === DEV_NULL_RDEV) return false
  } catch {
    return false
  }
  return isatty(1)
}

function emit(r: CommandResult): number {
  if (r.stdout) writeOut(r.stdout, 'utf8')
  if (r.stderr) process.stderr.write(r.stderr)
  return r.exitCode
}

const readStdin = (): string => readFileSync(0, 'utf8')

/** Run ssx with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    switch (argv[0]) {
      case 'compile':
        return emit(await runCompile(argv.slice(1), { stdin: readStdin }))
      case 'disasm':
        return emit(runDisasm(argv.slice(1), readStdin))
      case 'explain':
        return emit(await runExplain(argv.slice(1), { stdin: readStdin, tty: stdoutTty() && !process.env['NO_COLOR'] }))
      default:
        return await runList(argv, {
          stdin: readStdin,
          write: (s) => writeOut(s),
          writeRaw: (b) => (out ??= createStdout()).writeBytes(b),
          writeErr: (s) => { process.stderr.write(s) },
          ...(stdoutTty() && process.stdout.columns > 0 ? { screenWidth: process.stdout.columns } : {}),
        })
    }
  } catch (e) {
    // The reader of our output went away: ss dies of SIGPIPE there, silently.
    if (e instanceof StdoutClosed) return EXIT_SIGPIPE
    // Typed errors are rendered by the commands; anything else is a bug. Say so, without a stack trace
    // unless asked for.
    process.stderr.write(`ssx: internal error: ${e instanceof Error ? e.message : String(e)}\n`)
    if (process.env['SSX_DEBUG']) process.stderr.write(`${(e as Error).stack}\n`)
    return 70
  }
}
