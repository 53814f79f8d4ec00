/**
 * Network-namespace helpers for kernel tests: a private namespace with
 * loopback up, and the socket zoo (`zoo.py`) running inside it.
 *
 * ```ts
 * const ns = await createNetns('runtime')       // ip netns add ssx-runtime-<pid>
 * t.teardown(() => ns.destroy())                 // kills children, deletes the ns
 * const zoo = await ns.startZoo()                // waits for "ready"
 * const sock = openDiag({ netns: ns.name })
 * const out = await ns.exec('/usr/bin/ss', ['-tanH'])
 * ```
 *
 * Needs root (CAP_SYS_ADMIN) and `ip`. {@link canUseNetns} tells tests
 * whether to skip; when `CI=true` kernel tests must not skip.
 */
import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Path of the zoo script. */
export const ZOO_SCRIPT = fileURLToPath(new URL('./zoo.py', import.meta.url))

/** A socket the zoo created: its port (inet) and inode. */
export interface ZooSocket { port: number, inode: number }

/** What `zoo.py` created, as printed in its manifest. Ports are relative to the base port (default 5000). */
export interface ZooManifest {
  pid: number
  /** `extraListeners` TCP listeners on 127.0.0.1:firstPort.. (firstPort = base+2000). */
  extra: { firstPort: number, count: number }
  tcp: {
    /** 127.0.0.1:base, LISTEN. */
    listen4: ZooSocket & { addr: string }
    /** [::1]:base+1, LISTEN, IPV6_V6ONLY. */
    listen6: ZooSocket & { addr: string, v6only: true }
    /** [::]:base+2, LISTEN, dual stack. */
    listenDual: ZooSocket & { addr: string, v6only: false }
    /** 127.0.0.1 client → listen4, and the accepted server side. */
    est4: { client: ZooSocket, server: ZooSocket }
    /** [::1] client → listen6. */
    est6: { client: ZooSocket, server: ZooSocket }
    /** IPv4 client → listenDual; the server side is AF_INET6 with v4-mapped addresses. */
    mapped: { client: ZooSocket, server: ZooSocket }
    /** Client bound to 127.0.0.1:base+100 with SO_MARK 0x1234, → listen4. */
    marked: ZooSocket & { mark: number }
    /** Client with SO_BINDTODEVICE lo, → listen4. */
    bound: ZooSocket & { device: string, ifindex: number }
    /** Client explicitly bound to 127.0.0.1:base+35000 (inside the ephemeral range), → listen4. */
    boundEphemeral: ZooSocket
    /** 127.0.0.1:base+3, LISTEN (peer of the TIME-WAIT socket). */
    listenTw: ZooSocket
    /** TIME-WAIT socket 127.0.0.1:base+200 → base+3, tw_mark 0x77 (no inode). */
    timeWait: { port: number, remotePort: number, mark: number }
  }
  /** MPTCP listener 127.0.0.1:base+4 with one connection; null when the kernel has no MPTCP. */
  mptcp: { listener: ZooSocket, client: ZooSocket, server: ZooSocket } | null
  udp: {
    /** 127.0.0.1:base+1000, unconnected. */
    bound4: ZooSocket
    /** 127.0.0.1:base+1001 connected to base+1000. */
    connected4: ZooSocket & { remotePort: number }
    /** [::1]:base+1002. */
    bound6: ZooSocket
  }
  unix: {
    /** SOCK_STREAM listener bound to a path under /tmp. */
    listener: { path: string, inode: number }
    /** Connected client (unnamed) and its accepted peer. */
    client: { inode: number, peer: number }
    accepted: { inode: number, peer: number, path: string }
    /** SOCK_DGRAM bound to an abstract name; `name` is as ss shows it (`@…`). */
    abstractDgram: { name: string, inode: number }
    /** SOCK_SEQPACKET socketpair. */
    seqpacket: { inodes: [number, number] }
  }
  packet: {
    /** SOCK_RAW ETH_P_ALL bound to lo. */
    rawLo: { inode: number, protocol: number, ifindex: number, type: number }
    /** SOCK_DGRAM ETH_P_IP, unbound. */
    dgramIp: { inode: number, protocol: number, ifindex: number, type: number }
  }
  netlink: {
    /** NETLINK_ROUTE socket subscribed to RTMGRP_LINK (group 1). */
    route: { inode: number, portid: number, protocol: number, groups: number[] }
  }
}

/** A running zoo. */
export interface Zoo {
  readonly manifest: ZooManifest
  readonly process: ChildProcess
  /** Close the zoo's sockets and wait for it to exit. Idempotent. */
  stop(): Promise<void>
}

/** Options of {@link Netns.startZoo}. */
export interface ZooOptions {
  /** First port of the zoo (default 5000); the zoo uses base..base+1002 and base+2000.. . */
  basePort?: number
  /** Extra TCP listeners, for dumps spanning several datagrams (default 0). */
  extraListeners?: number
  /** How long to wait for "ready" (default 10 s). */
  timeoutMs?: number
}

/** A private network namespace with loopback up. */
export interface Netns {
  /** The `ip netns` name (`ssx-<tag>-<pid>-<n>`). */
  readonly name: string
  /** Run a command inside the namespace (`ip netns exec`); rejects on a non-zero exit. */
  exec(cmd: string, args: readonly string[]): Promise<{ stdout: string, stderr: string }>
  /** Start `zoo.py` inside the namespace and wait for its manifest and "ready". */
  startZoo(opts?: ZooOptions): Promise<Zoo>
  /** Stop every zoo started here and delete the namespace. Idempotent; never throws. */
  destroy(): Promise<void>
}

let counter = 0

/** True when this process may create namespaces (root with `ip`). */
export async function canUseNetns(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false
  try {
    await run('ip', ['netns', 'list'])
    return true
  } catch {
    return false
  }
}

/** Create `ssx-<tag>-<pid>-<n>` with `ip netns add` and bring `lo` up. */
export async function createNetns(tag: string): Promise<Netns> {
  const name = `ssx-${tag}-${process.pid}-${counter++}`
  await run('ip', ['netns', 'add', name])
  const zoos: Zoo[] = []
  let gone = false
  const ns: Netns = {
    name,
    async exec(cmd, args) {
      return run('ip', ['netns', 'exec', name, cmd, ...args], { maxBuffer: 64 << 20 })
    },
    startZoo(opts = {}) {
      return startZoo(name, opts.basePort ?? 5000, opts.extraListeners ?? 0, opts.timeoutMs ?? 10_000).then((z) => {
        zoos.push(z)
        return z
      })
    },
    async destroy() {
      if (gone) return
      gone = true
      await Promise.all(zoos.map((z) => z.stop()))
      await run('ip', ['netns', 'del', name]).catch(() => undefined)
    },
  }
  try {
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
  } catch (e) {
    await ns.destroy()
    throw e
  }
  return ns
}

function startZoo(ns: string, basePort: number, extra: number, timeoutMs: number): Promise<Zoo> {
  const args = ['netns', 'exec', ns, 'python3', ZOO_SCRIPT, '--base-port', String(basePort), '--extra-listeners', String(extra)]
  const child = spawn('ip', args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stopped: Promise<void> | undefined
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      child.stdin?.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        await exited
      }
      clearTimeout(timer)
    })()
    return stopped
  }
  return new Promise<Zoo>((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => fail(new Error(`zoo did not become ready within ${timeoutMs} ms: ${err}`)), timeoutMs)
    const fail = (e: Error): void => {
      clearTimeout(timer)
      void stop().then(() => reject(e))
    }
    child.stderr!.on('data', (d: Buffer) => { err += d.toString() })
    const early = (code: number | null): void => fail(new Error(`zoo exited early (${code}): ${err}`))
    child.once('exit', early)
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString()
      const lines = out.split('\n')
      if (!lines.includes('ready')) return
      clearTimeout(timer)
      child.off('exit', early)
      try {
        resolve({ manifest: JSON.parse(lines[0]!) as ZooManifest, process: child, stop })
      } catch (e) {
        fail(e as Error)
      }
    })
  })
}
