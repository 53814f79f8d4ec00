/**
 * The listing command: ss's own command line. Compiles the filter, runs the
 * plan against the kernel, formats each socket as ss does and renders the
 * columns. Output is streamed: memory does not grow with the number of
 * sockets beyond ss's own 5 MiB render batches.
 */
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs'
import { compileSelected, listingTarget, selectArgv, CommandFailure, type CommandIo, type Selected } from './compile.js'
import { USAGE, SS_VERSION_LINE } from './usage.js'
import { EXIT } from './report.js'
import { createJsonListing, jsonMode, jsonOptionError } from './json.js'
import { columnVisibility, Renderer, COL } from './render.js'
import { inetRow, type InetFormatOptions } from './format-inet.js'
import { InetRowWriter } from './format-inet-bytes.js'
import { InetExtrasWriter } from './format-extras-bytes.js'
import { InetMessageView } from '../../runtime/inet-view.js'
import { MessageBatch } from '../../runtime/dump.js'
import { unixRow } from './format-unix.js'
import { packetRow } from './format-packet.js'
import { netlinkRow } from './format-netlink.js'
import { lazyProtocols, lazyServices } from '../services.js'
import { runQuery, readLocalPortRange, type QueryOptions, type QueryRun } from '../query.js'
import { runEbpfListing } from '../ebpf-query.js'
import { BpfError } from '../../runtime/bpf-iter.js'
import { BtfError } from '../../runtime/btf.js'
import { FilterError } from '../../grammar/errors.js'
import type { SocketRecord } from '../../runtime/record.js'
import { killRecords, KillError } from '../kill.js'
import { recordTcp, recordTcpFile, tcpDiagFile } from '../record-replay.js'
import { EXT } from '../../compiler/compile.js'
import { EMPTY_SELECTION_MESSAGE, parseQueryList, tableBit, TABLE, type TableName } from '../../compiler/select.js'
import { IPPROTO } from '../../uapi/inet-diag.js'
import { NetlinkError, netnsPath } from '../../runtime/index.js'
import { BUILTIN_NL_PROTOS } from '../system-resolver.js'
import { readSummary, formatSummary } from '../summary.js'
import { createProcessIndex } from '../procs.js'
import { cgroupPathLookup, hostsReverseLookup } from '../reverse-lookup.js'
import { runEvents } from './events.js'
import { inetExtras, netlinkExtras, packetExtras, unixExtras, usersExtra, type InetExtrasOptions, type OtherExtrasOptions } from './format-extras.js'

/** Where the command writes; the CLI passes process streams, tests collect strings. */
export interface ListIo extends CommandIo {
  readonly write: (s: string) => void
  /** The table's bytes (valid only during the call), when the output takes them without a string. */
  readonly writeRaw?: (b: Uint8Array) => void
  readonly writeErr: (s: string) => void
  /** Terminal width when stdout is a terminal. */
  readonly screenWidth?: number
}

const INET_PROTOCOL: Readonly<Record<string, number>> = {
  tcp: IPPROTO.IPPROTO_TCP, udp: IPPROTO.IPPROTO_UDP, raw: IPPROTO.IPPROTO_RAW,
  dccp: IPPROTO.IPPROTO_DCCP, sctp: IPPROTO.IPPROTO_SCTP, mptcp: IPPROTO.IPPROTO_MPTCP,
}

/**
 * Tables the command line names one by one (`-d`, `--vsock`, `-A sctp`…):
 * their absence in the kernel is worth a notice. The groups `all` and `inet`
 * and the default set name nothing in particular.
 */
function explicitTables(options: readonly { readonly name: string, readonly arg?: string }[]): number {
  let mask = 0
  for (const { name, arg } of options) {
    if (name === 'vsock') mask |= tableBit('vsock_stream') | tableBit('vsock_dgram')
    else if (name === 'query') {
      for (const item of (arg ?? '').split(',')) {
        if (item !== 'all' && item !== 'inet' && !item.startsWith('!')) for (const t of parseQueryList(item)[0]!.tables) mask |= tableBit(t)
      }
    } else if (Object.hasOwn(TABLE, name)) mask |= tableBit(name as TableName)
  }
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

/** strerror() texts of the errors opening a namespace can give. */
const STRERROR: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EPERM: 'Operation not permitted',
}

/** Render a failure the way the command produced it. */
function report(io: ListIo, e: unknown): number {
  if (!(e instanceof CommandFailure)) throw e
  if (e.result.stdout) io.write(e.result.stdout)
  if (e.result.stderr) io.writeErr(e.result.stderr)
  return e.result.exitCode
}

/** `-D FILE`: raw TCP replies to FILE (a name starting with `-` is stdout), before the filter is read. */
function diagDump(file: string, sel: Selected, io: ListIo): number {
  const { args, selection } = sel
  if ((selection.tables & tableBit('tcp')) === 0) {
    io.writeErr('ss: tcpdiag dump requested and no tcp in filter.\n')
    return EXIT.ok
  }
  const opts = {
    ...(args.flags.netns ? { netns: args.flags.netns } : {}),
    states: selection.states,
    ext: (args.flags.memory ? EXT.memory : 0) | (args.flags.info ? EXT.info : 0) | (args.flags.tos ? EXT.tos : 0),
    preferredFamily: selection.preferredFamily,
  }
  try {
    if (file.startsWith('-')) recordTcp(1, opts)
    else recordTcpFile(file, opts)
  } catch (e) {
    // ss 6.1 silently ignores a file it cannot open; upstream (6.17+) reports it, and so do we.
    const code = (e as NodeJS.ErrnoException).code
    if (typeof code === 'string') { io.writeErr(`fopen dump file: ${STRERROR[code] ?? code}\n`); return EXIT.usage }
    if (e instanceof NetlinkError) { io.writeErr(`${io.prog ?? 'ssx'}: ${e.message}\n`); return EXIT.value }
    throw e
  }
  return EXIT.ok
}

/** Run ss's listing for `argv`; resolves to the exit code. */
export async function runList(argv: readonly string[], io: ListIo): Promise<number> {
  let sel
  try {
    sel = selectArgv(argv, io)
  } catch (e) {
    return report(io, e)
  }
  if (sel.args.action === 'help') { io.write(USAGE); return EXIT.ok }
  if (sel.args.action === 'version') { io.write(`${SS_VERSION_LINE}\n`); return EXIT.ok }
  const selected: Selected = { args: sel.args, selection: sel.selection! }
  const { args, selection } = selected
  const prog = io.prog ?? 'ssx'
  // ss switches namespace while reading its options: a bad name fails first.
  if (args.flags.netns !== null) {
    try {
      closeSync(openSync(netnsPath(args.flags.netns), 'r'))
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? ''
      io.writeErr(`Cannot open network namespace "${args.flags.netns}": ${STRERROR[code] ?? code}\n`)
      return EXIT.value
    }
  }
  if (args.flags.context > 0) { io.writeErr('ss: SELinux is not enabled.\n'); return EXIT.value }
  const jsonRefused = jsonOptionError(args.flags)
  if (jsonRefused !== null) { io.writeErr(`${prog}: ${jsonRefused}\n`); return EXIT.usage }
  if (args.flags.summary) {
    const data = readSummary(process.env['PROC_ROOT'] ?? '/proc', io.env ?? process.env)
    for (const e of data.errors) io.writeErr(`${e.message}\n`)
    io.write(formatSummary(data))
    if (selection.summaryOnly) return EXIT.ok
  }
  if (selection.empty) {
    io.writeErr(`ss: ${EMPTY_SELECTION_MESSAGE[selection.empty]}\n`)
    if (args.flags.json && !args.flags.ndjson) io.write('[]\n')
    return EXIT.ok
  }
  if (args.flags.diagFile !== null) return diagDump(args.flags.diagFile, selected, io)
  let c
  let target: 'diag' | 'ebpf' = 'diag'
  try {
    c = await compileSelected(selected, io)
    // --target: diag runs the plan below, ebpf an iter/tcp program (src/ebpf-query.ts). -E checks its own.
    if (!c.args.flags.events) target = listingTarget(c, prog, (m) => io.writeErr(`${m}\n`))
  } catch (e) {
    return report(io, e)
  }
  const { plan } = c
  for (const w of c.warnings) io.writeErr(`${prog}: warning: ${w}\n`)

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
    ...(args.flags.resolve ? { resolveHosts: true, reverseLookup: hostsReverseLookup() } : {}),
  }
  const renderer = new Renderer({
    enabled: columnVisibility({ tables: selection.tables, states: selection.states, hideQueues: args.flags.noQueues }),
    header: !args.flags.noHeader,
    ...(io.screenWidth ? { screenWidth: io.screenWidth } : {}),
    write: io.write,
    ...(io.writeRaw ? { writeRaw: io.writeRaw } : {}),
  })
  const replay = tcpDiagFile(io.env ?? process.env)
  const qopts: QueryOptions = {
    ...(netns ? { netns } : {}),
    families,
    tables: selection.tables,
    states: selection.states,
    explicitTables: explicitTables(args.options),
    localPortRange,
    onNotice: (m) => io.writeErr(`${m}\n`),
    ...(replay !== undefined ? { tcpDiagFile: replay } : {}),
  }
  const run = runQuery(plan, qopts)
  const listed = target === 'ebpf' ? ebpfRecords(c, qopts, run, io) : run
  // -K destroys each matched inet socket before it is printed (--dry-run: prints what would be
  // closed); `run.current` is the request being read (the eBPF listing sets it per table), so
  // rows and SOCK_DESTROY name the socket's own protocol.
  const records = args.flags.kill ? killRecords(listed, () => run.current?.protocol ?? 0, { ...qopts, dryRun: args.flags.dryRun }) : listed
  const numeric = args.flags.numeric
  const procStat = (pid: number): string | undefined => {
    try { return readFileSync(`/proc/${pid}/stat`, 'latin1') } catch { return undefined }
  }
  const protoName = (p: number): string | undefined => BUILTIN_NL_PROTOS[p]
  // 6.1 shows users with -p, and with -T alone.
  const threads = args.flags.threads > 0
  const procs = args.flags.processes > 0 || threads ? createProcessIndex({ procRoot: process.env['PROC_ROOT'] ?? '/proc', threads }) : null
  const { flags } = args
  const other: OtherExtrasOptions & { showBpf: boolean, bpfListing: boolean } = {
    showDetails: flags.extended > 0, showMem: flags.memory, oneline: flags.oneline, showBpf: flags.bpf > 0,
    // ssx: `-b --verbose` adds the program in tcpdump -d style.
    bpfListing: flags.verbose > 0,
  }
  const inet: InetExtrasOptions = {
    ...other,
    showOptions: flags.showOptions,
    showTcpInfo: flags.info,
    showTos: flags.tos,
    showCgroup: flags.cgroup,
    showInetSockopt: flags.inetSockopt,
    numeric,
    // 6.1 prints 1432 ms as `1.432ms`; upstream fixed it to `1.432sec` (README: differences).
    timerStyle: 'upstream',
    cgroupPath: cgroupPathLookup({ onError: (m) => io.writeErr(`${m}\n`) }),
  }
  // -E follows destroy events with the same formatting instead of listing (src/cli/events.ts).
  if (flags.events) return runEvents(c, io, { inet: inetOpts, extras: inet })
  const mode = jsonMode(args.flags)
  const json = mode === null ? null : createJsonListing({
    mode, write: io.write, numeric, inet: inetOpts, ifname, netlinkProtoName: protoName, procStat,
    ...(procs ? { users: (inode: number) => procs.lookup(inode) } : {}),
    ...(flags.extended > 0 || flags.cgroup ? { cgroupPath: inet.cgroupPath } : {}),
  })
  // The renderer's end() prints the header: JSON output ends its own way.
  const finish = (): void => { if (json) json.end(); else renderer.end() }
  // Inet rows are written straight from the replies (format-inet-bytes.ts); a socket is
  // decoded whole only when its Process column needs more than -p's users.
  const viewed = json === null && !flags.kill && target === 'diag' && !inetOpts.resolveHosts
  const extras = inet.showOptions || inet.showDetails || inet.showTos || inet.showCgroup || inet.showInetSockopt || inet.showMem || inet.showTcpInfo
  const writer = viewed ? new InetRowWriter(renderer, inetOpts) : null
  // The extras too are written from the reply (format-extras-bytes.ts), but for the messages it leaves to inetExtras.
  const extrasWriter = viewed && extras ? new InetExtrasWriter(renderer, inet) : null
  const view = new InetMessageView()
  // The protocol of the table whose reply is being read (the inet formatters' `ipproto`).
  const protocol = (): number => INET_PROTOCOL[run.current?.table ?? 'tcp'] ?? IPPROTO.IPPROTO_TCP
  try {
    for (const rec of writer ? run.batches() : records) {
      if (rec instanceof MessageBatch) {
        const proto = protocol()
        view.protocol = rec.protocol
        const sp = rec.spans
        for (let i = 0; i < 2 * rec.count; i += 2) {
          view.bind(rec.bytes, sp[i]!, sp[i + 1]!)
          const users = procs ? procs.lookup(view.inode) : undefined
          if (extrasWriter !== null && extrasWriter.accepts(view, proto)) {
            writer!.cells(view, proto)
            extrasWriter.write(view, proto, users)
            continue
          }
          const process = extras ? inetExtras(view.record(), proto, users ? { ...inet, users } : inet) : users ? usersExtra(users) : ''
          writer!.write(view, proto, process)
        }
        continue
      }
      if (json) {
        json.record(rec, protocol())
        continue
      }
      let row: string[]
      const users = procs && 'inode' in rec ? procs.lookup(rec.inode) : undefined
      const o = users ? { ...other, users } : other
      switch (rec.kind) {
        case 'inet': {
          const proto = protocol()
          row = inetRow(rec, proto, inetOpts)
          row[COL.PROC] = inetExtras(rec, proto, users ? { ...inet, users } : inet)
          break
        }
        case 'unix': row = unixRow(rec); row[COL.PROC] = unixExtras(rec, o); break
        case 'packet': row = packetRow(rec, { numeric, ifname }); row[COL.PROC] = packetExtras(rec, o); break
        case 'netlink': row = netlinkRow(rec, { numeric, protoName, procStat }); row[COL.PROC] = netlinkExtras(rec, o); break
        default: continue
      }
      renderer.row(row)
    }
  } catch (e) {
    finish()
    if (e instanceof KillError) {
      io.writeErr(`${e.message}\n`)
      return EXIT.ok
    }
    if (e instanceof NetlinkError) {
      io.writeErr(`${prog}: ${e.message}\n`)
      return EXIT.value
    }
    // The eBPF target's refusals: the kernel's (verifier, capabilities, BTF) and the program's own size limit.
    if (e instanceof BpfError || e instanceof BtfError || e instanceof FilterError) {
      io.writeErr(`${prog}: ${e.message}\n`)
      if (e instanceof BpfError && e.verifierLog && args.flags.verbose > 0) io.writeErr(e.verifierLog.endsWith('\n') ? e.verifierLog : `${e.verifierLog}\n`)
      return EXIT.value
    }
    throw e
  }
  finish()
  return EXIT.ok
}

/**
 * The listing's records from the eBPF target. When `auto` chose it and the
 * kernel refuses (verifier, capabilities), one notice and the netlink plan
 * instead; with `--target ebpf` the refusal is the error (exit 1), with the
 * verifier's log under --verbose.
 */
function* ebpfRecords(c: Awaited<ReturnType<typeof compileSelected>>, qopts: QueryOptions, fallback: QueryRun, io: ListIo): Iterable<SocketRecord> {
  // A generator: the work (and its errors) happens inside the listing's loop, which reports them.
  const recs = runEbpfListing(c.filter, {
    selection: { ...c.selection, families: c.families },
    localPortRange: qopts.localPortRange ?? readLocalPortRange(qopts.netns),
    plan: c.plan,
    ...(qopts.netns !== undefined ? { netns: qopts.netns } : {}),
    // -o and -e print the TCP timers (-e implies -o).
    ...(c.args.flags.showOptions || c.args.flags.extended > 0 ? { timers: true } : {}),
    // -i: each TCP record carries the tcp_info block and the congestion control's name.
    ...(c.args.flags.info ? { info: true } : {}),
    onNotice: (m) => io.writeErr(`${io.prog ?? 'ssx'}: notice: ${m}\n`),
    // -m, --tos: each inet record carries the memory counters, the TOS fields.
    ...(c.args.flags.memory ? { memory: true } : {}),
    ...(c.args.flags.tos ? { tos: true } : {}),
    // The rows name the protocol by the request being read: the one the iterator stands for.
    onTable: (table) => { fallback.current = c.plan.requests.find((r) => r.table === table) ?? null },
  })
  let first: IteratorResult<SocketRecord>
  try {
    // Compiling, loading and the first read: where the kernel (or the program's size) refuses.
    first = recs.next()
  } catch (e) {
    if (!(e instanceof BpfError || e instanceof BtfError || e instanceof FilterError) || c.target === 'ebpf') throw e
    io.writeErr(`${io.prog ?? 'ssx'}: notice: eBPF target not used (${e.message}); filtering with inet_diag\n`)
    yield* fallback
    return
  }
  if (first.done) return
  yield first.value
  yield* recs
}
