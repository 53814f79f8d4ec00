/**
 * Opening a sock_diag socket inside another network namespace. A netlink
 * socket stays in the namespace it was created in, so the thread enters the
 * target namespace only around `socket()` and returns at once; everything
 * else (and every other socket) keeps running in the original namespace.
 */
import { NetlinkError } from './errors.js'
import { CLONE_NEWNET, O, errno, libc } from './libc.js'
import { DiagSocket, createDiagFd } from './netlink.js'
import type { DiagSocketOptions } from './netlink.js'

/** Options of {@link openDiag}. */
export interface OpenDiagOptions extends DiagSocketOptions {
  /** `ip netns` name (looked up in /run/netns) or a path such as /proc/1234/ns/net. */
  readonly netns?: string
}

/** The namespace file for an `ip netns` name or a path (anything with a `/`). */
export function netnsPath(netns: string): string {
  return netns.includes('/') ? netns : `/run/netns/${netns}`
}

function openNs(path: string): number {
  const fd = libc().open(path, O.O_RDONLY | O.O_CLOEXEC)
  if (fd < 0) throw new NetlinkError('open', errno())
  return fd
}

/**
 * Run `fn` with the calling thread in `netns`, then return to the original
 * namespace. Exported for the eBPF iterator runtime: an iterator walks the
 * namespace of the thread that creates its file descriptor.
 */
export function inNetns<T>(netns: string, fn: () => T): T {
  const c = libc()
  // thread-self: setns changes the calling thread only.
  const home = openNs('/proc/thread-self/ns/net')
  try {
    const target = openNs(netnsPath(netns))
    try {
      if (c.setns(target, CLONE_NEWNET) < 0) throw new NetlinkError('setns', errno())
    } finally {
      c.close(target)
    }
    try {
      return fn()
    } finally {
      // Failing to come back would leave the whole process in the wrong namespace.
      if (c.setns(home, CLONE_NEWNET) < 0) throw new NetlinkError('setns', errno())
    }
  } finally {
    c.close(home)
  }
}

/**
 * Open a bound, tuned NETLINK_SOCK_DIAG socket, in `opts.netns` when given
 * (needs CAP_SYS_ADMIN), else in the current namespace.
 * @throws NetlinkError with operation `open` (unknown namespace: ENOENT), `setns`, `socket` or `bind`
 */
export function openDiag(opts: OpenDiagOptions = {}): DiagSocket {
  const fd = opts.netns === undefined ? createDiagFd() : inNetns(opts.netns, createDiagFd)
  return new DiagSocket(fd, opts)
}
