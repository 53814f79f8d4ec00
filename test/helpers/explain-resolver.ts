/**
 * A fixed resolver and port range for explain's golden files and the
 * bytecode tutorial, so their text does not depend on the machine's
 * /etc/services, devices, cgroups or DNS.
 */
import type { Resolver } from '../../compiler/resolve.js'

const v4 = (...b: number[]) => ({ af: 2 as const, bytes: Uint8Array.from(b), prefixLen: 32 })
const v6 = (...b: number[]) => ({ af: 10 as const, bytes: Uint8Array.from(b), prefixLen: 128 })

/** Services ssh/http/https, devices lo (1) and eth0 (2), host `localhost` (127.0.0.1 and ::1), cgroup `/` (id 1) and `/system.slice` (id 42). */
export const EXPLAIN_RESOLVER: Resolver = {
  service: (name, proto) => ({ 'ssh/tcp': 22, 'http/tcp': 80, 'https/tcp': 443, 'ssh/udp': 22, 'http/udp': 80, 'https/udp': 443, 'domain/udp': 53, 'domain/tcp': 53 } as Record<string, number>)[`${name}/${proto}`],
  hosts: (name, af) => {
    const table: Record<string, ReturnType<typeof v4 | typeof v6>[]> = {
      localhost: [v4(127, 0, 0, 1), v6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)],
    }
    return (table[name] ?? []).filter((p) => af === 0 || p.af === af)
  },
  ifindex: (name) => ({ lo: 1, eth0: 2 } as Record<string, number>)[name],
  cgroupId: (path) => (path === '/' ? 1n : path === '/system.slice' ? 42n : { failure: 'Failed to find cgroup2 mount' }),
  netlinkProto: (name) => ({ rtnl: 0, route: 0 } as Record<string, number>)[name],
}

/** Linux's default ephemeral port range. */
export const EXPLAIN_PORT_RANGE: readonly [number, number] = [32768, 60999]
