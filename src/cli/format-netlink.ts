/**
 * Row tokens of an AF_NETLINK socket as ss 6.1 prints them (ss-behavior
 * §8.2): `PROTO:OWNER` where the owner is `*` (-1), `kernel` (0),
 * `COMM/PID` from /proc, or the number; a connected socket's peer is
 * `GROUP:PID`, otherwise `*` with an empty port.
 */
import { COL } from './render.js'
import { queueText, stateName } from './format-inet.js'

/** The fields of a netlink socket the row needs (runtime's `NetlinkRecord` has them). */
export interface NetlinkRowRecord {
  /** `ndiag_state`: 1 when connected (runtime: 7 otherwise). */
  readonly state: number
  /** Netlink protocol number. */
  readonly protocol: number
  /** Port id as a signed int. */
  readonly portid: number
  readonly dstPortid: number
  readonly dstGroup: number
  /** rmem_alloc / wmem_alloc are the queues. */
  readonly memInfo?: { readonly rmemAlloc: number, readonly wmemAlloc: number }
}

/** Options of the netlink formatter. */
export interface NetlinkFormatOptions {
  /** `-n`: numbers for protocol and owner. */
  readonly numeric: boolean
  /** Protocol name (built-in table over /etc/iproute2/nl_protos). */
  readonly protoName: (protocol: number) => string | undefined
  /** Contents of `/proc/PID/stat` (latin1), or undefined when unreadable. */
  readonly procStat: (pid: number) => string | undefined
}

/** NETLINK_CONNECTED. */
const CONNECTED = 1
/** TCP_CLOSE, printed `UNCONN`. */
const UNCONNECTED = 7

/** The command name in a `/proc/PID/stat` text as `"%*d (%[^)]"` reads it, or undefined. */
export function statComm(stat: string): string | undefined {
  const m = /^\s*[-+]?\d+\s*\(([^)]+)/.exec(stat)
  return m?.[1]
}

/** The owner text of a netlink port id. */
export function netlinkOwner(portid: number, opts: NetlinkFormatOptions): string {
  if (portid === -1) return '*'
  if (opts.numeric) return String(portid)
  if (portid === 0) return 'kernel'
  if (portid > 0) {
    const stat = opts.procStat(portid)
    const comm = stat === undefined ? undefined : statComm(stat)
    if (comm !== undefined) return `${comm}/${portid}`
  }
  return String(portid)
}

/** Column tokens (indexed by {@link COL}) of a netlink socket; Process empty. */
export function netlinkRow(rec: NetlinkRowRecord, opts: NetlinkFormatOptions): string[] {
  const row = new Array<string>(COL.PROC + 1).fill('')
  row[COL.NETID] = 'nl'
  // ss 6.1 shows every netlink socket as UNCONN; the kernel's state only decides the peer
  // (verified: a connected rtnl socket prints `UNCONN … 0:0`).
  row[COL.STATE] = stateName(UNCONNECTED)
  row[COL.RECVQ] = queueText(rec.memInfo?.rmemAlloc ?? 0)
  row[COL.SENDQ] = queueText(rec.memInfo?.wmemAlloc ?? 0)
  const proto = opts.numeric ? undefined : opts.protoName(rec.protocol)
  row[COL.ADDR] = `${proto ?? rec.protocol}:`
  row[COL.SERV] = netlinkOwner(rec.portid, opts)
  if (rec.state === CONNECTED) {
    row[COL.RADDR] = `${rec.dstGroup}:`
    row[COL.RSERV] = String(rec.dstPortid | 0)
  } else {
    row[COL.RADDR] = '*'
    row[COL.RSERV] = ''
  }
  return row
}
