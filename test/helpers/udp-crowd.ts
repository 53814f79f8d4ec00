/**
 * Start test/helpers/udp-crowd.py in a namespace (UDP sockets for the
 * iter/udp tests: see the script) and wait for its manifest.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** What the crowd created (ports are its base port + offsets). */
export interface UdpCrowdManifest {
  readonly ports: readonly number[]
  /** Five sockets share this port. */
  readonly shared: number
  /** Receives three queued datagrams. */
  readonly queued: number
  /** A dual-stack socket connected to a v4-mapped peer. */
  readonly dual: number
  readonly marked: { readonly port: number, readonly mark: number }
  /** Bound to lo. */
  readonly bound: number
  /** With `tcpTimers`: the listener's port and the keepalive client's port. */
  readonly tcpTimers: { readonly listener: number, readonly keepalive: number } | null
}

/** A running crowd. */
export interface UdpCrowd {
  readonly manifest: UdpCrowdManifest
  /** Close its sockets. Idempotent. */
  stop(): void
}

const SCRIPT = fileURLToPath(new URL('./udp-crowd.py', import.meta.url))

/** Run udp-crowd.py in `netns` (an `ip netns` name) until {@link UdpCrowd.stop}; `tcpTimers` adds TCP sockets with timers. */
export function startUdpCrowd(netns: string, opts: { readonly tcpTimers?: boolean } = {}): Promise<UdpCrowd> {
  const child = spawn('ip', ['netns', 'exec', netns, 'python3', SCRIPT, ...(opts.tcpTimers ? ['--tcp-timers'] : [])], { stdio: ['pipe', 'pipe', 'inherit'] })
  const stop = (): void => {
    child.stdin.end()
    if (child.exitCode === null) child.kill()
  }
  return new Promise((resolve, reject) => {
    let out = ''
    const early = (code: number | null): void => reject(new Error(`udp-crowd.py exited early (${code})`))
    child.once('exit', early)
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (!out.includes('\nready')) return
      child.off('exit', early)
      resolve({ manifest: JSON.parse(out.split('\n')[0]!) as UdpCrowdManifest, stop })
    })
  })
}
