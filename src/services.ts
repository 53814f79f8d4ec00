/**
 * `/etc/services` and `/etc/protocols`, both directions, parsed lazily and
 * at most once: the name→port side is what getservbyname(3) answers (first
 * entry naming the service, as name or alias, wins), the port→name side is
 * getservbyport(3) (first line with that port and protocol wins; its
 * official name). Protocols: getprotobynumber(3) (first line wins).
 */
import { readFileSync } from 'node:fs'

/** Parsed `/etc/services`. */
export interface ServicesDb {
  /** getservbyname: service name or alias → port, for `proto` (`tcp`, `udp`, …). */
  port(name: string, proto: string): number | undefined
  /** getservbyport: port → official service name, for `proto`; `null` is any protocol (the first line with that port). */
  name(port: number, proto: string | null): string | undefined
}

/** Parsed `/etc/protocols`. */
export interface ProtocolsDb {
  /** getprotobynumber: number → official protocol name. */
  name(proto: number): string | undefined
}

/** Strip a comment and split a line into fields. */
function fields(line: string): string[] {
  const hash = line.indexOf('#')
  const body = hash === -1 ? line : line.slice(0, hash)
  return body.split(/[ \t]+/).filter((f) => f !== '')
}

/** Parse services text (both directions). Malformed lines are skipped, as glibc's parser does. */
export function parseServicesDb(text: string): ServicesDb {
  const byName = new Map<string, number>()
  const byPort = new Map<string, string>()
  for (const line of text.split('\n')) {
    const f = fields(line)
    if (f.length < 2) continue
    const m = /^(\d+)\/(\S+)$/.exec(f[1]!)
    if (!m) continue
    const port = Number(m[1])
    if (port > 0xffff) continue
    const proto = m[2]!
    const portKey = `${port}/${proto}`
    if (!byPort.has(portKey)) byPort.set(portKey, f[0]!)
    // getservbyport(port, NULL): the first line with the port, whatever its protocol.
    if (!byPort.has(String(port))) byPort.set(String(port), f[0]!)
    for (const n of [f[0]!, ...f.slice(2)]) {
      const key = `${n}/${proto}`
      if (!byName.has(key)) byName.set(key, port)
    }
  }
  return {
    port: (name, proto) => byName.get(`${name}/${proto}`),
    name: (port, proto) => byPort.get(proto === null ? String(port) : `${port}/${proto}`),
  }
}

/** Parse protocols text. */
export function parseProtocolsDb(text: string): ProtocolsDb {
  const byNumber = new Map<number, string>()
  for (const line of text.split('\n')) {
    const f = fields(line)
    if (f.length < 2 || !/^\d+$/.test(f[1]!)) continue
    const n = Number(f[1])
    if (!byNumber.has(n)) byNumber.set(n, f[0]!)
  }
  return { name: (proto) => byNumber.get(proto) }
}

const readText = (path: string): string => {
  try {
    return readFileSync(path, 'latin1')
  } catch {
    // No file: every lookup misses, as getservbyport does without a database.
    return ''
  }
}

/** A {@link ServicesDb} reading `path` on first use. */
export function lazyServices(path = '/etc/services'): ServicesDb {
  let db: ServicesDb | undefined
  const get = (): ServicesDb => (db ??= parseServicesDb(readText(path)))
  return { port: (n, p) => get().port(n, p), name: (n, p) => get().name(n, p) }
}

/** A {@link ProtocolsDb} reading `path` on first use. */
export function lazyProtocols(path = '/etc/protocols'): ProtocolsDb {
  let db: ProtocolsDb | undefined
  return { name: (n) => (db ??= parseProtocolsDb(readText(path))).name(n) }
}
