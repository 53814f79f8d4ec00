/**
 * Which socket tables, families and states a command selects: ss's option
 * semantics (`-t -u -x -4 -A … -a -l state …`, spec ss-behavior §2).
 * Pure: no I/O.
 */
import { AF } from '../uapi/inet-diag.js'

/** ss's socket tables ("dbs"), with ss's bit numbers (used for the "one table → hide Netid" rule). */
export const TABLE = {
  tcp: 0,
  mptcp: 1,
  dccp: 2,
  udp: 3,
  raw: 4,
  unix_dgram: 5,
  unix_stream: 6,
  unix_seqpacket: 7,
  packet_dgram: 8,
  packet_raw: 9,
  netlink: 10,
  sctp: 11,
  vsock_stream: 12,
  vsock_dgram: 13,
  tipc: 14,
  xdp: 15,
} as const

/** A table name. */
export type TableName = keyof typeof TABLE

/** The result of option processing, before the filter's own side effects. */
export interface Selection {
  /** Bitmask of `1 << TABLE[name]`. */
  readonly tables: number
  /** Bitmask of `1 << AF_*` (AF_INET, AF_INET6, AF_UNIX, AF_PACKET, AF_NETLINK, AF_VSOCK, AF_TIPC, AF_XDP). */
  readonly families: number
  /** `idiag_states`-style bitmask (ss 6.1 numbering: SS_ALL = 0xfff). */
  readonly states: number
  /** ss's `preferred_family` (AF_UNSPEC = 0 unless -4/-6/-0/-x/-f/--vsock/--tipc/--xdp). */
  readonly preferredFamily: number
}

/** A bit of {@link Selection.tables}. */
export const tableBit = (table: TableName): number => 1 << TABLE[table]

/**
 * A bit of {@link Selection.families}: `1 << af` with JavaScript's shift,
 * whose count is taken modulo 32. ss keeps a 64-bit mask; here AF_VSOCK (40)
 * lands on bit 8 and AF_XDP (44) on bit 12, which no other family ss knows
 * uses, so the mask stays a plain number as long as everyone tests it with
 * this function (or with the same `1 << af`).
 */
export const familyBit = (af: number): number => 1 << af

/** True when `af` is in a families mask built with {@link familyBit}. */
export const hasFamily = (families: number, af: number): boolean => (families & familyBit(af)) !== 0

// ---------------------------------------------------------------------------
// States

/**
 * ss's state numbers (`SS_*` in misc/ss.c, the same numbering as the
 * kernel's `TCP_*`). 6.1 stops at CLOSING; NEW_SYN_RECV and BOUND_INACTIVE
 * are upstream 6.8 additions, kept here because `-B` is accepted.
 */
export const SS_STATE = {
  UNKNOWN: 0,
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
  NEW_SYN_RECV: 12,
  BOUND_INACTIVE: 13,
} as const

const bit = (state: number): number => 1 << state

/**
 * `SS_ALL` of ss 6.1: the twelve states up to CLOSING. Kept at 6.1's value
 * (not HEAD's 0x3fff) so that `-a` requests are byte-identical to 6.1's.
 */
export const SS_ALL = (1 << (SS_STATE.CLOSING + 1)) - 1

/** `SS_CONN`, the default state set: everything but LISTEN, CLOSE, TIME-WAIT and SYN-RECV (0xb37). */
export const SS_CONN = SS_ALL & ~(bit(SS_STATE.LISTEN) | bit(SS_STATE.CLOSE) | bit(SS_STATE.TIME_WAIT) | bit(SS_STATE.SYN_RECV))

/** `-l`: LISTEN and CLOSE (UDP/raw/packet "listeners" are in CLOSE). */
export const SS_LISTENING = bit(SS_STATE.LISTEN) | bit(SS_STATE.CLOSE)

/** `-B` (ssx addition, upstream 6.8): BOUND_INACTIVE only. */
export const SS_BOUND_INACTIVE = bit(SS_STATE.BOUND_INACTIVE)

/**
 * The State column's text per state number, as ss prints it (`ESTAB`,
 * `UNCONN`, …). Index = state number.
 */
export const STATE_DISPLAY_NAMES: readonly string[] = [
  'UNKNOWN',
  'ESTAB',
  'SYN-SENT',
  'SYN-RECV',
  'FIN-WAIT-1',
  'FIN-WAIT-2',
  'TIME-WAIT',
  'UNCONN',
  'CLOSE-WAIT',
  'LAST-ACK',
  'LISTEN',
  'CLOSING',
  'NEW-SYN-RECV',
  'BOUND-INACTIVE',
]

const connected = SS_ALL & ~(bit(SS_STATE.LISTEN) | bit(SS_STATE.CLOSE))
const bucket = bit(SS_STATE.SYN_RECV) | bit(SS_STATE.TIME_WAIT)

/**
 * The names `state NAME` / `exclude NAME` accept (lower case; matched
 * case-insensitively), with the state bits each stands for. The named sets
 * include bit 0 (UNKNOWN) because ss derives them from SS_ALL.
 * `bound-inactive` is an ssx addition: ss 6.1 answers `wrong state name`.
 */
export const STATE_WORDS: Readonly<Record<string, number>> = {
  unknown: bit(SS_STATE.UNKNOWN),
  established: bit(SS_STATE.ESTABLISHED),
  'syn-sent': bit(SS_STATE.SYN_SENT),
  'syn-recv': bit(SS_STATE.SYN_RECV),
  'fin-wait-1': bit(SS_STATE.FIN_WAIT1),
  'fin-wait-2': bit(SS_STATE.FIN_WAIT2),
  'time-wait': bit(SS_STATE.TIME_WAIT),
  unconnected: bit(SS_STATE.CLOSE),
  'close-wait': bit(SS_STATE.CLOSE_WAIT),
  'last-ack': bit(SS_STATE.LAST_ACK),
  listening: bit(SS_STATE.LISTEN),
  closing: bit(SS_STATE.CLOSING),
  close: bit(SS_STATE.CLOSE),
  closed: bit(SS_STATE.CLOSE),
  'syn-rcv': bit(SS_STATE.SYN_RECV),
  all: SS_ALL,
  connected,
  synchronized: connected & ~bit(SS_STATE.SYN_SENT),
  bucket,
  big: SS_ALL & ~bucket,
  'bound-inactive': SS_BOUND_INACTIVE,
}

/** The state bits of a `state`/`exclude` name (case-insensitive), or undefined when ss does not know it. */
export function parseStateName(name: string): number | undefined {
  const lower = name.toLowerCase()
  return Object.hasOwn(STATE_WORDS, lower) ? STATE_WORDS[lower] : undefined
}

// ---------------------------------------------------------------------------
// Tables and families: ss's defaults (default_dbs[] / default_afs[])

/**
 * Per table (ss's `default_dbs[]`): the states enabling it adds to the state
 * set, and the families it belongs to (added when none of them is selected).
 */
export const TABLE_DEFAULTS: Readonly<Record<TableName, { readonly states: number; readonly families: readonly number[] }>> = (() => {
  const inet = [AF.AF_INET, AF.AF_INET6]
  const close = bit(SS_STATE.CLOSE)
  return {
    tcp: { states: SS_CONN, families: inet },
    mptcp: { states: SS_CONN, families: inet },
    dccp: { states: SS_CONN, families: inet },
    udp: { states: bit(SS_STATE.ESTABLISHED), families: inet },
    raw: { states: bit(SS_STATE.ESTABLISHED), families: inet },
    unix_dgram: { states: close, families: [AF.AF_UNIX] },
    unix_stream: { states: SS_CONN, families: [AF.AF_UNIX] },
    unix_seqpacket: { states: SS_CONN, families: [AF.AF_UNIX] },
    packet_dgram: { states: close, families: [AF.AF_PACKET] },
    packet_raw: { states: close, families: [AF.AF_PACKET] },
    netlink: { states: close, families: [AF.AF_NETLINK] },
    sctp: { states: SS_CONN, families: inet },
    vsock_stream: { states: SS_CONN, families: [AF.AF_VSOCK] },
    vsock_dgram: { states: SS_CONN, families: [AF.AF_VSOCK] },
    tipc: { states: bit(SS_STATE.ESTABLISHED) | bit(SS_STATE.LISTEN) | close, families: [AF.AF_TIPC] },
    xdp: { states: close, families: [AF.AF_XDP] },
  }
})()

const INET_TABLES: readonly TableName[] = ['tcp', 'mptcp', 'udp', 'dccp', 'sctp', 'raw']

/**
 * Per address family ss knows (ss's `default_afs[]`): the tables it stands
 * for (added when none of them is selected) and the states `-f` adds. In
 * ascending AF order, the order in which ss merges them.
 */
export const FAMILY_DEFAULTS: ReadonlyMap<number, { readonly tables: readonly TableName[]; readonly states: number }> = new Map([
  [AF.AF_UNIX, { tables: ['unix_stream', 'unix_dgram', 'unix_seqpacket'], states: SS_CONN }],
  [AF.AF_INET, { tables: INET_TABLES, states: SS_CONN }],
  [AF.AF_INET6, { tables: INET_TABLES, states: SS_CONN }],
  [AF.AF_NETLINK, { tables: ['netlink'], states: bit(SS_STATE.CLOSE) }],
  [AF.AF_PACKET, { tables: ['packet_raw', 'packet_dgram'], states: bit(SS_STATE.CLOSE) }],
  [AF.AF_TIPC, { tables: ['tipc'], states: TABLE_DEFAULTS.tipc.states }],
  [AF.AF_VSOCK, { tables: ['vsock_stream', 'vsock_dgram'], states: SS_CONN }],
  [AF.AF_XDP, { tables: ['xdp'], states: bit(SS_STATE.CLOSE) }],
] as const)

/** `-f NAME` (exact, case-sensitive) → address family. `help` is not a family: it asks for the usage text. */
export const FAMILY_NAMES: Readonly<Record<string, number>> = {
  inet: AF.AF_INET,
  inet6: AF.AF_INET6,
  link: AF.AF_PACKET,
  unix: AF.AF_UNIX,
  netlink: AF.AF_NETLINK,
  tipc: AF.AF_TIPC,
  vsock: AF.AF_VSOCK,
  xdp: AF.AF_XDP,
}

/** The address family of a `-f` name, or undefined (also for `help`). */
export function parseFamilyName(name: string): number | undefined {
  return Object.hasOwn(FAMILY_NAMES, name) ? FAMILY_NAMES[name] : undefined
}

/** The tables `all` stands for in `-A` and when no table option is given: every table but tipc. */
export const DEFAULT_TABLES: readonly TableName[] = [
  'udp', 'dccp', 'tcp', 'mptcp', 'raw', 'unix_stream', 'unix_dgram', 'unix_seqpacket',
  'packet_raw', 'packet_dgram', 'netlink', 'sctp', 'vsock_stream', 'vsock_dgram', 'xdp',
]

/** `-A` names (exact, case-sensitive), aliases included, and the tables each stands for. */
export const QUERY_NAMES: Readonly<Record<string, readonly TableName[]>> = {
  all: DEFAULT_TABLES,
  inet: ['udp', 'dccp', 'tcp', 'mptcp', 'sctp', 'raw'],
  udp: ['udp'],
  dccp: ['dccp'],
  tcp: ['tcp'],
  mptcp: ['mptcp'],
  sctp: ['sctp'],
  raw: ['raw'],
  unix: ['unix_stream', 'unix_dgram', 'unix_seqpacket'],
  unix_stream: ['unix_stream'],
  u_str: ['unix_stream'],
  unix_dgram: ['unix_dgram'],
  u_dgr: ['unix_dgram'],
  unix_seqpacket: ['unix_seqpacket'],
  u_seq: ['unix_seqpacket'],
  packet: ['packet_raw', 'packet_dgram'],
  packet_raw: ['packet_raw'],
  p_raw: ['packet_raw'],
  packet_dgram: ['packet_dgram'],
  p_dgr: ['packet_dgram'],
  netlink: ['netlink'],
  tipc: ['tipc'],
  vsock: ['vsock_stream', 'vsock_dgram'],
  vsock_stream: ['vsock_stream'],
  v_str: ['vsock_stream'],
  vsock_dgram: ['vsock_dgram'],
  v_dgr: ['vsock_dgram'],
  xdp: ['xdp'],
}

/** One comma item of `-A`: `name` enables, `!name` disables. */
export interface QueryItem {
  readonly enable: boolean
  readonly tables: readonly TableName[]
}

/**
 * Split an `-A` argument into its items. Throws {@link SelectionError}
 * `E_QUERY` on the first item that is not a known name (ss prints the item as
 * written, `!` included; an empty item is also an error).
 */
export function parseQueryList(list: string): QueryItem[] {
  return list.split(',').map((item) => {
    const enable = !item.startsWith('!')
    const name = enable ? item : item.slice(1)
    const tables = Object.hasOwn(QUERY_NAMES, name) ? QUERY_NAMES[name] : undefined
    if (tables === undefined) throw new SelectionError('E_QUERY', `"${item}" is illegal socket table id`)
    return { enable, tables }
  })
}

// ---------------------------------------------------------------------------
// Errors

/** Codes of {@link SelectionError}. */
export type SelectionErrorCode =
  /** `-f` name unknown: ss prints `ss: "NAME" is invalid family` + usage. */
  | 'E_FAMILY'
  /** `-A` item unknown: `ss: "ITEM" is illegal socket table id` + usage. */
  | 'E_QUERY'
  /** `state`/`exclude` with an unknown name: `ss: wrong state name: NAME` (no usage). */
  | 'E_STATE_NAME'
  /** `state`/`exclude` as the last word: `Command line is not complete. Try option "help"` (no `ss:` prefix, no usage). */
  | 'E_INCOMPLETE'

/**
 * The options or the leading state words select nothing valid. The message
 * is ss's text without its `ss: ` prefix; {@link SelectionError.ssPrefix}
 * and {@link SelectionError.usage} say how ss frames it. ss exits 255 on
 * all of them.
 */
export class SelectionError extends Error {
  override readonly name = 'SelectionError'
  /** Exit status of ss (`exit(-1)`). */
  readonly exitCode = 255
  /** Whether ss prints `ss: ` before the message. */
  readonly ssPrefix: boolean
  /** Whether ss follows the message with the usage text on stderr. */
  readonly usage: boolean
  constructor(readonly code: SelectionErrorCode, message: string) {
    super(message)
    this.ssPrefix = code !== 'E_INCOMPLETE'
    this.usage = code === 'E_FAMILY' || code === 'E_QUERY'
  }
}

// ---------------------------------------------------------------------------
// Leading state words

/** The result of {@link consumeStateWords}. */
export interface StateWords {
  /**
   * The state variable after the words: `initial` when there were none,
   * else built from 0 (`state` first) or SS_ALL (`exclude`/`excl` first).
   */
  readonly stateMask: number
  /** Whether at least one `state`/`exclude`/`excl` word was consumed. */
  readonly sawStates: boolean
  /** The remaining words: the filter expression. */
  readonly rest: readonly string[]
}

/**
 * Consume the `state NAME` / `exclude NAME` / `excl NAME` pairs at the front
 * of the non-option words (ss-behavior §2.4). Keywords are case-sensitive
 * whole words, names case-insensitive. A later `state` does not reset what
 * an earlier `exclude` built: the words accumulate.
 *
 * @param initial the state variable left by `-a`/`-l`/`-B`/`-A` (returned
 *   unchanged when there are no state words).
 * @throws SelectionError `E_INCOMPLETE` when a keyword is the last word,
 *   `E_STATE_NAME` on an unknown name.
 */
export function consumeStateWords(words: readonly string[], initial = 0): StateWords {
  let mask = initial
  let saw = false
  let i = 0
  while (i < words.length) {
    const keyword = words[i]
    const exclude = keyword === 'exclude' || keyword === 'excl'
    if (keyword !== 'state' && !exclude) break
    const name = words[i + 1]
    if (name === undefined) throw new SelectionError('E_INCOMPLETE', 'Command line is not complete. Try option "help"')
    const bits = parseStateName(name)
    if (bits === undefined) throw new SelectionError('E_STATE_NAME', `wrong state name: ${name}`)
    if (!saw) mask = exclude ? SS_ALL : 0
    mask = exclude ? mask & ~bits : mask | bits
    saw = true
    i += 2
  }
  return { stateMask: mask, sawStates: saw, rest: words.slice(i) }
}

// ---------------------------------------------------------------------------
// Options → selection

/**
 * One option as the argv parser records it: its canonical long name
 * (`tcp` for `-t`, `query` for `-A`/`--socket`, `family` for `-f`, …) and
 * its argument. Options that do not select anything are ignored here.
 */
export interface SelectOption {
  readonly name: string
  readonly arg?: string | undefined
}

/** What {@link selectSockets} needs from the command line. */
export interface SelectInput {
  /** Every option, in command-line order (order matters: `-t -A udp` ≠ `-A udp -t`). */
  readonly options: readonly SelectOption[]
  /** The non-option words, in order (state words first, then the filter). */
  readonly words: readonly string[]
}

/** The messages of ss's step 8 (stderr, exit 0), without the `ss: ` prefix. */
export const EMPTY_SELECTION_MESSAGE = {
  tables: 'no socket tables to show with such filter.',
  families: 'no families to show with such filter.',
  states: 'no socket states to show with such filter.',
} as const

/** The full outcome of option processing and the leading state words. */
export interface SocketSelection extends Selection {
  /** The words after the leading state words: the filter expression. */
  readonly rest: readonly string[]
  /**
   * `-s` with no table, family or `-A` option and no words at all: ss prints
   * the summary and exits 0 without listing (ss-behavior §0 step 4). Decided
   * before the state words are read, so it never throws.
   */
  readonly summaryOnly: boolean
  /** No table, family or `-A` option was given (ss's `do_default`). */
  readonly defaulted: boolean
  /**
   * Which set ended up empty (ss prints {@link EMPTY_SELECTION_MESSAGE} and
   * exits 0 before parsing the filter), or null.
   */
  readonly empty: keyof typeof EMPTY_SELECTION_MESSAGE | null
}

/** Option names (canonical long names) that enable one table. */
const TABLE_OPTIONS: Readonly<Record<string, TableName>> = {
  tcp: 'tcp', udp: 'udp', dccp: 'dccp', raw: 'raw', sctp: 'sctp', mptcp: 'mptcp',
}

/** Option names that stand for `-f FAMILY`. */
const FAMILY_OPTIONS: Readonly<Record<string, number>> = {
  ipv4: AF.AF_INET, ipv6: AF.AF_INET6, packet: AF.AF_PACKET, unix: AF.AF_UNIX,
  vsock: AF.AF_VSOCK, tipc: AF.AF_TIPC, xdp: AF.AF_XDP,
}

/** Option names that set the state variable (the last one wins). */
const STATE_OPTIONS: Readonly<Record<string, number>> = {
  all: SS_ALL, listening: SS_LISTENING, 'bound-inactive': SS_BOUND_INACTIVE,
}

/** The option phase of ss's `main()`: what the getopt loop leaves behind. */
interface OptionState {
  tables: number
  families: number
  states: number
  stateVar: number
  doDefault: boolean
  preferredFamily: number
  summary: boolean
}

function applyOptions(options: readonly SelectOption[]): OptionState {
  const s: OptionState = { tables: 0, families: 0, states: 0, stateVar: 0, doDefault: true, preferredFamily: AF.AF_UNSPEC, summary: false }
  let sawQuery = false
  const setTable = (table: TableName, enable: boolean): void => {
    if (enable) {
      s.states |= TABLE_DEFAULTS[table].states
      s.tables |= tableBit(table)
    } else {
      s.tables &= ~tableBit(table)
    }
    s.doDefault = false
  }
  const setFamily = (af: number): void => {
    s.states |= FAMILY_DEFAULTS.get(af)?.states ?? 0
    s.families |= familyBit(af)
    s.doDefault = false
    s.preferredFamily = af
  }
  for (const { name, arg } of options) {
    if (Object.hasOwn(TABLE_OPTIONS, name)) {
      setTable(TABLE_OPTIONS[name]!, true)
    } else if (Object.hasOwn(FAMILY_OPTIONS, name)) {
      setFamily(FAMILY_OPTIONS[name]!)
    } else if (Object.hasOwn(STATE_OPTIONS, name)) {
      s.stateVar = STATE_OPTIONS[name]!
    } else if (name === 'family') {
      const af = parseFamilyName(arg ?? '')
      if (af === undefined) throw new SelectionError('E_FAMILY', `"${arg ?? ''}" is invalid family`)
      setFamily(af)
    } else if (name === 'query') {
      // Only the first -A empties the table set and defaults the state variable.
      if (!sawQuery) {
        s.tables = 0
        if (s.stateVar === 0) s.stateVar = SS_CONN
        sawQuery = true
        s.doDefault = false
      }
      for (const item of parseQueryList(arg ?? '')) {
        for (const table of item.tables) setTable(table, item.enable)
      }
    } else if (name === 'summary') {
      s.summary = true
    }
  }
  return s
}

/**
 * Whether ss would print only the summary (`-s` without table, family or
 * `-A` options, and no words). The CLI prints the summary first whenever
 * `-s` is given, then stops if this is true.
 */
export function isSummaryOnly(input: SelectInput): boolean {
  const s = applyOptions(input.options)
  return s.summary && s.doDefault && input.words.length === 0
}

/**
 * Compute the tables, families, states and preferred family ss 6.1 would use
 * (ss-behavior §0 steps 4–8, §2.2–§2.4), and the words left for the filter.
 * Pure: the same input always gives the same selection.
 *
 * @throws SelectionError for an unknown `-f`/`-A` name (normally caught by
 *   the argv parser first) and for bad leading state words.
 */
export function selectSockets(input: SelectInput): SocketSelection {
  const s = applyOptions(input.options)
  const summaryOnly = s.summary && s.doDefault && input.words.length === 0
  const { stateMask, rest } = consumeStateWords(input.words, s.stateVar)
  let stateVar = stateMask
  let { tables, states, families } = s
  if (s.doDefault) {
    if (stateVar === 0) stateVar = SS_CONN
    for (const table of DEFAULT_TABLES) {
      states |= TABLE_DEFAULTS[table].states
      tables |= tableBit(table)
    }
  }
  // A zero state variable (e.g. `state established exclude established`) is not applied.
  if (stateVar !== 0) states = stateVar
  // Tables bring their families when none of those is selected yet, then
  // families bring their tables when none of those is (filter_merge_defaults).
  for (const [table, index] of Object.entries(TABLE) as [TableName, number][]) {
    if ((tables & (1 << index)) === 0) continue
    const fams = TABLE_DEFAULTS[table].families
    if (!fams.some((af) => hasFamily(families, af))) for (const af of fams) families |= familyBit(af)
  }
  for (const [af, def] of FAMILY_DEFAULTS) {
    if (!hasFamily(families, af)) continue
    if (!def.tables.some((t) => (tables & tableBit(t)) !== 0)) for (const t of def.tables) tables |= tableBit(t)
  }
  const empty = tables === 0 ? 'tables' : families === 0 ? 'families' : states === 0 ? 'states' : null
  return { tables, families, states, preferredFamily: s.preferredFamily, rest, summaryOnly, defaulted: s.doDefault, empty }
}

/** The names of the tables in a mask, in bit order (for messages and tests). */
export function tableNames(tables: number): TableName[] {
  return (Object.keys(TABLE) as TableName[]).filter((t) => (tables & tableBit(t)) !== 0)
}
