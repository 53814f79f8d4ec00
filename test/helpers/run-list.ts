// The listing command run in-process, its stdout and stderr captured: what
// the tests comparing ssx's targets (or ssx with itself) read.
import { runList } from '../../src/cli/list.js'

/** `ssx ARGV` through runList: exit code, stdout, stderr. */
export async function list(argv: string[]): Promise<{ code: number, out: string, err: string }> {
  let out = ''
  let err = ''
  const code = await runList(argv, { stdin: () => '', write: (s) => { out += s }, writeErr: (s) => { err += s } })
  return { code, out, err }
}
