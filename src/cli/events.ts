/**
 * `-E`: follow socket-destroy events as ss does, with the filter compiled to
 * classic BPF so that the kernel drops the events it rejects before they
 * wake the process.
 *
 * Like ss: the groups of the selected TCP/UDP × IPv4/IPv6 (none: exit 255
 * without a word), no state test, the whole filter checked in user space,
 * and one render pass per announcement — the header comes out with the
 * first announcement, matching or not, and column widths only grow. Each
 * event is written as it arrives, also into a pipe or a file (upstream's
 * behaviour; 6.1 leaves it in stdio's buffer). `--ndjson` writes one socket
 * object (schema ssx-socket/1) per line instead.
 *
 * Ends cleanly, exit status 0, on SIGINT, SIGTERM, or when stdout is closed
 * (EPIPE).
 */
import type { InetRecord } from '../../runtime/index.js'
import { NetlinkError } from '../../runtime/index.js'
import { compileEventFilter } from '../../compiler/cbpf/compile.js'
import { FilterError } from '../../grammar/errors.js'
import { destroyGroupsFor, watchDestroyEvents } from '../events.js'
import { readLocalPortRange } from '../query.js'
import type { Compiled } from './compile.js'
import { createJsonListing, jsonOptionError } from './json.js'
import type { JsonListing } from './json.js'
import { inetRow } from './format-inet.js'
import type { InetFormatOptions } from './format-inet.js'
import { inetExtras } from './format-extras.js'
import type { InetExtrasOptions } from './format-extras.js'
import { COL, Renderer, columnVisibility } from './render.js'
import { EXIT } from './report.js'

/** Where `-E` writes, and what ends it. */
export interface EventsIo {
  /** Text out: called once per announcement that produced output (binary string: write as latin1). */
  readonly write: (s: string) => void
  readonly writeErr: (s: string) => void
  /** Terminal width when stdout is a terminal. */
  readonly screenWidth?: number
  /** Program name for messages. */
  readonly prog?: string
  /** Ends the command; when absent, SIGINT, SIGTERM and EPIPE on stdout do. */
  readonly signal?: AbortSignal
}

/** The listing's formatting options, reused. */
export interface EventsFormat {
  /** Addresses and ports. */
  readonly inet: InetFormatOptions
  /** The Process column. */
  readonly extras: InetExtrasOptions
}

/**
 * Row tokens of an announced socket, with ss's two differences from a
 * listing: services are looked up for no protocol in particular (ss sets
 * its lookup protocol only when it dumps a table, which `-E` never does:
 * getservbyport(port, NULL) answers with the first line of that port), and
 * `-m` prints the tcp_info the announcement always carries (ss prints
 * INET_DIAG_INFO whenever the reply has it; dumps have it only with `-i`).
 */
export function eventRow(rec: InetRecord, ipproto: number, format: EventsFormat): string[] {
  const row = inetRow(rec, ipproto, eventInetOptions(format.inet))
  row[COL.PROC] = inetExtras(rec, ipproto, { ...format.extras, showTcpInfo: format.extras.showTcpInfo || format.extras.showMem })
  return row
}

/** The listing's address/port options with services looked up for any protocol (see {@link eventRow}). */
function eventInetOptions(inet: InetFormatOptions): InetFormatOptions {
  const { services } = inet
  return { ...inet, services: { port: (n, p) => services.port(n, p), name: (n) => services.name(n, null) } }
}

/** `--ndjson -E`: one socket object per announcement, written at once. */
function eventJson(format: EventsFormat, write: (s: string) => void): JsonListing {
  return createJsonListing({
    mode: 'ndjson',
    write,
    flushEach: true,
    numeric: format.inet.numeric,
    inet: eventInetOptions(format.inet),
    ifname: format.inet.ifname,
    cgroupPath: format.extras.cgroupPath,
    // Announcements are inet sockets only.
    netlinkProtoName: () => undefined,
    procStat: () => undefined,
  })
}

/** SIGINT/SIGTERM and EPIPE on stdout as an AbortSignal; `release` removes the handlers. */
function processStop(): { signal: AbortSignal, release: () => void } {
  const ac = new AbortController()
  const stop = (): void => ac.abort()
  const onError = (e: NodeJS.ErrnoException): void => {
    // After EPIPE the stream is destroyed and later writes fail too: stopping already.
    if (ac.signal.aborted) return
    if (e.code === 'EPIPE') stop()
    else throw e
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  process.stdout.on('error', onError)
  return {
    signal: ac.signal,
    release: () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      process.stdout.off('error', onError)
    },
  }
}

/** True for the error a write to a closed pipe throws (when stdout is written synchronously). */
const isEpipe = (e: unknown): boolean => (e as NodeJS.ErrnoException | null)?.code === 'EPIPE'

/**
 * Run `-E` for a compiled command line; resolves to the exit code once
 * stopped (see {@link EventsIo.signal}).
 */
export async function runEvents(c: Compiled, io: EventsIo, format: EventsFormat): Promise<number> {
  const { args, selection, filter, families } = c
  const prog = io.prog ?? 'ssx'
  const jsonError = jsonOptionError(args.flags)
  if (jsonError !== null) {
    io.writeErr(`${prog}: ${jsonError}\n`)
    return EXIT.usage
  }
  const target = c.target ?? 'auto'
  if (target !== 'auto' && target !== 'cbpf') {
    io.writeErr(`${prog}: --target ${target} cannot filter -E events; use auto or cbpf (classic BPF on the event socket)\n`)
    return EXIT.usage
  }
  // ss 6.1: nothing to subscribe to is a silent failure.
  if (destroyGroupsFor(families, selection.tables).length === 0) return EXIT.usage

  const netns = args.flags.netns ?? undefined
  const localPortRange = readLocalPortRange(netns)
  let program: Uint8Array | null = null
  try {
    program = compileEventFilter(filter, { localPortRange }).program
  } catch (e) {
    // Only a compiler bug gets here (a program the kernel would refuse): filter in user space, as ss does.
    if (!(e instanceof FilterError)) throw e
    io.writeErr(`${prog}: warning: ${e.message}; filtering in user space only\n`)
  }
  const own = io.signal ? null : processStop()
  const signal = io.signal ?? own!.signal
  const json = args.flags.ndjson ? eventJson(format, io.write) : null
  const renderer = json ? null : new Renderer({
    enabled: columnVisibility({ tables: selection.tables, states: selection.states, hideQueues: args.flags.noQueues }),
    header: !args.flags.noHeader,
    ...(io.screenWidth ? { screenWidth: io.screenWidth } : {}),
    write: io.write,
  })
  let watch
  try {
    watch = watchDestroyEvents({
      ...(netns !== undefined ? { netns } : {}),
      families,
      tables: selection.tables,
      filter,
      program,
      // The header is rendered with the first announcement, whatever it is (text output only).
      deferProgram: renderer !== null,
      localPortRange,
      signal,
      onOverflow: () => io.writeErr(`${prog}: destroy events were lost: the receive queue overflowed (ENOBUFS)\n`),
    })
  } catch (e) {
    own?.release()
    if (e instanceof NetlinkError) {
      io.writeErr(`${prog}: cannot watch destroy events: ${e.message}\n`)
      return EXIT.value
    }
    throw e
  }
  try {
    for await (const { event, matched } of watch) {
      if (matched) {
        if (json) json.record(event.record, event.protocol)
        else renderer!.row(eventRow(event.record, event.protocol, format))
      }
      // ss renders after every announcement, printed or not.
      renderer?.flush()
    }
  } catch (e) {
    if (isEpipe(e)) return EXIT.ok
    if (e instanceof NetlinkError) {
      io.writeErr(`${prog}: ${e.message}\n`)
      return EXIT.value
    }
    throw e
  } finally {
    watch.close()
    own?.release()
    try {
      json?.end()
    } catch (e) {
      if (!isEpipe(e)) throw e
    }
  }
  return EXIT.ok
}
