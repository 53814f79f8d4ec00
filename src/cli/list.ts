/**
 * The listing command: ss's own command line. Compiles the filter, runs the
 * plan against the kernel, formats each socket as ss does and renders the
 * columns. Output is streamed: memory does not grow with the number of
 * sockets beyond ss's own 5 MiB render batches.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { compileArgv, CommandFailure, type CommandIo } from './compile.js'
import { USAGE, SS_VERSION_LINE } from './usage.js'
import { EXIT } from './report.js'
import { columnVisibility, Renderer, COL } from './render.js'
import { inetRow, type InetFormatOptions } from './format-inet.js'
import { unixRow } from './format-unix.js'
import { packetRow } from './format-packet.js'
import { netlinkRow } from './format-netlink.js'
import { lazyProtocols, lazyServices } from '../services.js'
import { runQuery, readLocalPortRange } from '../query.js'
import { EMPTY_SELECTION_MESSAGE, tableBit, TABLE, type TableName } from '../../compiler/select.js'
import { IPPROTO } from '../../uapi/inet-diag.js'
import { NetlinkError } from '../../runtime/index.js'
import { BUILTIN_NL_PROTOS } from '../system-resolver.js'

/** Where the command writes; the CLI passes process streams, tests collect strings. */
export interface ListIo extends CommandIo {
  readonly write: (s: string) => void
  readonly writeErr: (s: string) => void
  /** Terminal width when stdout is a terminal. */
  readonly screenWidth?: number
}

const INET_PROTOCOL: Readonly<Record<string, number>> = {
  tcp: IPPROTO.IPPROTO_TCP, udp: IPPROTO.IPPROTO_UDP, raw: IPPROTO.IPPROTO_RAW,
  dccp: IPPROTO.IPPROTO_DCCP, sctp: IPPROTO.IPPROTO_SCTP, mptcp: IPPROTO.IPPROTO_MPTCP,
}

/** Tables given explicitly on the command line (their absence in the kernel is worth a notice). */
function explicitTables(options: readonly { name: string }[]): number {
  let mask = 0
  for (const { name } of options) if (Object.hasOwn(TABLE, name)) mask |= tableBit(name as TableName)
  return mask
}

/** Interface index → name, from sysfs of the current namespace (ss: `ll_index_to_name`). */
function ifnameLookup(): (ifindex: number) => string | undefined {
  let names: Map<number, string> | undefined
  return (ifindex) => {
    if (!names) {
      names = new Map()
      try {
        for (const n of readdirSync('/sys/class/net')) {
          try { names.set(Number(readFileSync(`/sys/class/net/${n}/ifindex`, 'latin1').trim()), n) } catch { /* raced away */ }
        }
      } catch { /* no sysfs */ }
    }
    return names.get(ifindex)
  }
}

/** Run ss's listing for `argv`; resolves to the exit code. */
export async function runList(argv: readonly string[], io: ListIo): Promise<number> {
  let c
  try {
    c = await compileArgv(argv, io)
  } catch (e) {
    if (e instanceof CommandFailure) {
      if (e.result.stdout) io.write(e.result.stdout)
      io.writeErr(e.result.stderr)
      return e.result.exitCode
    }
    throw e
  }
  const { args, selection, plan } = c
  if (args.action === 'help') { io.write(USAGE); return EXIT.ok }
  if (args.action === 'version') { io.write(SS_VERSION_LINE); return EXIT.ok }
  const prog = io.prog ?? 'ssx'
  for (const w of c.warnings) io.writeErr(`${prog}: warning: ${w}\n`)
  if (args.flags.context > 0) { io.writeErr('ss: SELinux is not enabled.\n'); return EXIT.value }
  if (selection.empty) { io.writeErr(`ss: ${EMPTY_SELECTION_MESSAGE[selection.empty]}\n`); return EXIT.ok }

  const netns = args.flags.netns ?? undefined
  const families = c.families
  const localPortRange = readLocalPortRange(netns)
  const ifname = ifnameLookup()
  const inetOpts: InetFormatOptions = {
    numeric: args.flags.numeric,
    localPortRange,
    services: lazyServices(),
    protocols: lazyProtocols(),
    ifname,
  }
  const renderer = new Renderer({
    enabled: columnVisibility({ tables: selection.tables, states: selection.states, hideQueues: args.flags.noQueues }),
    header: !args.flags.noHeader,
    ...(io.screenWidth ? { screenWidth: io.screenWidth } : {}),
    write: io.write,
  })
  const run = runQuery(plan, {
    ...(netns ? { netns } : {}),
    families,
    tables: selection.tables,
    states: selection.states,
    explicitTables: explicitTables(args.options),
    localPortRange,
    onNotice: (m) => io.writeErr(`${m}\n`),
  })
  const numeric = args.flags.numeric
  const procStat = (pid: number): string | undefined => {
    try { return readFileSync(`/proc/${pid}/stat`, 'latin1') } catch { return undefined }
  }
  const protoName = (p: number): string | undefined => BUILTIN_NL_PROTOS[p]
  try {
    for (const rec of run) {
      let row: string[]
      switch (rec.kind) {
        case 'inet': row = inetRow(rec, INET_PROTOCOL[run.current?.table ?? 'tcp'] ?? IPPROTO.IPPROTO_TCP, inetOpts); break
        case 'unix': row = unixRow(rec); break
        case 'packet': row = packetRow(rec, { numeric, ifname }); break
        case 'netlink': row = netlinkRow(rec, { numeric, protoName, procStat }); break
        default: continue
      }
      row[COL.PROC] ??= ''
      renderer.row(row)
    }
  } catch (e) {
    renderer.end()
    if (e instanceof NetlinkError) {
      io.writeErr(`${prog}: ${e.message}\n`)
      return EXIT.value
    }
    throw e
  }
  renderer.end()
  return EXIT.ok
}
