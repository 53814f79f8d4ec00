/**
 * `--json` and `--ndjson`: the listing as JSON objects of schema
 * `ssx-socket/1` (`docs/schema/ssx-socket.v1.schema.json`), streamed.
 *
 * `--ndjson` writes one object per line; `--json` one document, an array
 * written piece by piece (`[`, objects separated by `,\n`, `]`; `[]` when
 * empty). Both go out in chunks of at most {@link JSON_CHUNK} bytes while
 * the dump runs, so memory does not grow with the number of sockets; with
 * `flushEach` (events) every object is written at once.
 *
 * Output is UTF-8. The listing's `write` sends strings as latin1 (one byte
 * per char, as ss's text is raw bytes), so the sink hands it UTF-8 bytes
 * spelled as a latin1 string.
 */
import type { SocketRecord } from '../../runtime/record.js'
import type { ParsedFlags } from './argv.js'
import { socketToJson, type SocketJson, type SocketJsonContext } from '../socket-json.js'
import { portText, type InetFormatOptions } from './format-inet.js'
import { statComm } from './format-netlink.js'
import type { ProcEntry } from '../procs.js'

/** Output shape: one array document, or one object per line. */
export type JsonMode = 'json' | 'ndjson'

/** Bytes gathered before a write (a few pages: few syscalls, output still flows during a long dump). */
export const JSON_CHUNK = 64 * 1024

/** Options of {@link JsonSink}. */
export interface JsonSinkOptions {
  readonly mode: JsonMode
  /** Receives latin1-spelled UTF-8 bytes (see the file comment). */
  readonly write: (s: string) => void
  /** Write every object as soon as it is given (for endless streams such as `-E`). */
  readonly flushEach?: boolean
}

/** Any JSON value made of plain data (what {@link socketToJson} returns, or an event wrapper around it). */
export type JsonObject = SocketJson | { readonly [key: string]: unknown }

/** UTF-8 bytes of `s` as a latin1 string (identity for ASCII, the usual case). */
function utf8AsLatin1(s: string): string {
  return /[^\x00-\x7f]/.test(s) ? Buffer.from(s, 'utf8').toString('latin1') : s
}

/** A streaming writer of JSON objects as an array document or as NDJSON. */
export class JsonSink {
  private pending = ''
  private count = 0
  private ended = false

  constructor(private readonly opts: JsonSinkOptions) {}

  /** Number of objects written so far. */
  get written(): number {
    return this.count
  }

  /** Append one object. */
  object(value: JsonObject): void {
    const text = JSON.stringify(value)
    if (this.opts.mode === 'ndjson') this.pending += text + '\n'
    else this.pending += (this.count === 0 ? '[' : ',\n') + text
    this.count++
    if (this.opts.flushEach || this.pending.length >= JSON_CHUNK) this.flush()
  }

  /** Write what is gathered. */
  flush(): void {
    if (this.pending === '') return
    const s = this.pending
    this.pending = ''
    this.opts.write(utf8AsLatin1(s))
  }

  /** Close the document (`]`, or `[]` when nothing was written) and flush. Idempotent. */
  end(): void {
    if (this.ended) return
    this.ended = true
    if (this.opts.mode === 'json') this.pending += this.count === 0 ? '[]\n' : ']\n'
    this.flush()
  }
}

/** The JSON mode the flags ask for, or null for text. */
export function jsonMode(flags: Pick<ParsedFlags, 'json' | 'ndjson'>): JsonMode | null {
  return flags.ndjson ? 'ndjson' : flags.json ? 'json' : null
}

/**
 * Why these flags cannot be shown as JSON, or null. Exit status 255 (a
 * usage error) goes with the message.
 * - `--json --ndjson`: two output shapes.
 * - `-s`: the summary is counters from /proc, not sockets; it has no JSON form.
 * - `--json -E`: events never end, so an array document would never close;
 *   `--ndjson -E` is the events command's to handle.
 */
export function jsonOptionError(flags: Pick<ParsedFlags, 'json' | 'ndjson' | 'summary' | 'events'>): string | null {
  if (flags.json && flags.ndjson) return '--json and --ndjson exclude each other'
  if (!flags.json && !flags.ndjson) return null
  const opt = flags.ndjson ? '--ndjson' : '--json'
  if (flags.summary) return `${opt} cannot show the -s summary (it has no JSON form); run -s without ${opt}`
  if (flags.json && flags.events) return '--json cannot show -E events (the stream never ends, so the array would never close); use --ndjson'
  return null
}

/** What the listing knows that a record does not (see {@link SocketJsonContext}). */
export interface JsonListingOptions extends JsonSinkOptions {
  /** `-n`: no service names, no netlink owner commands (as in the text). */
  readonly numeric: boolean
  /** For service names: ss's rules need the local port range and the services database. */
  readonly inet: InetFormatOptions
  readonly ifname: (ifindex: number) => string | undefined
  /** `-p`/`-T`: the holders of an inode. */
  readonly users?: (inode: number) => readonly ProcEntry[]
  /** `-e`/`--cgroup`: cgroup path of an id. */
  readonly cgroupPath?: (id: bigint) => string
  readonly netlinkProtoName: (protocol: number) => string | undefined
  /** Contents of `/proc/PID/stat`, for netlink owners. */
  readonly procStat: (pid: number) => string | undefined
}

/** The listing's JSON output: records in, objects out. */
export interface JsonListing {
  /** Convert and write one socket; `ipproto` is the protocol of the table an inet record came from. */
  record(rec: SocketRecord, ipproto: number): void
  /** Close the output (also after an error: the array stays valid JSON). */
  end(): void
}

/** Build the listing's JSON output. */
export function createJsonListing(o: JsonListingOptions): JsonListing {
  const sink = new JsonSink(o)
  const base: SocketJsonContext = {
    ifname: o.ifname,
    netlinkProtoName: o.netlinkProtoName,
    ...(o.cgroupPath ? { cgroupPath: o.cgroupPath } : {}),
    ...(o.numeric
      ? {}
      : {
          // The name ss prints instead of the number, if it prints one.
          service: (port: number, ipproto: number): string | undefined => {
            const t = portText(port, ipproto, o.inet)
            return t === String(port) ? undefined : t
          },
          processName: (pid: number): string | undefined => {
            const stat = o.procStat(pid)
            return stat === undefined ? undefined : statComm(stat)
          },
        }),
  }
  return {
    record(rec, ipproto) {
      const users = o.users && 'inode' in rec ? o.users(rec.inode) : undefined
      sink.object(socketToJson(rec, users ? { ...base, ipproto, users } : { ...base, ipproto }))
    },
    end() {
      sink.end()
    },
  }
}
