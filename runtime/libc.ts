/**
 * The few libc calls the runtime needs, bound with koffi. The library is
 * loaded on first use, not at import, because start-up time matters for a
 * command-line tool and most imports (decoders, encoders) never touch it.
 *
 * Functions return the raw C result; callers read {@link errno} right
 * after a -1, before any other foreign call can overwrite it.
 */
import koffi from 'koffi'

/** The bound functions. Buffers are passed as Uint8Array/Uint32Array (by pointer, no copy). */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number
  bind(fd: number, addr: Uint8Array, len: number): number
  getsockname(fd: number, addr: Uint8Array, len: Uint32Array): number
  sendto(fd: number, buf: Uint8Array, len: number, flags: number, addr: Uint8Array | null, addrLen: number): number
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number
  setsockopt(fd: number, level: number, name: number, value: Uint8Array, len: number): number
  getsockopt(fd: number, level: number, name: number, value: Uint8Array, len: Uint32Array): number
  close(fd: number): number
  setns(fd: number, nstype: number): number
  open(path: string, flags: number): number
  getpid(): number
  /** `setsockopt(2)` with a `struct sock_fprog` (SO_ATTACH_FILTER): `filter` is the `sock_filter[]` bytes, passed by pointer. */
  setsockoptFprog(fd: number, level: number, name: number, value: SockFprog, len: number): number
  /** `poll(2)`; `fds` holds `struct pollfd[]` (8 bytes each). The `.async` form runs on a worker thread. */
  poll: PollFn
}

/** `struct sock_fprog` as handed to koffi: the instruction count and the `struct sock_filter[]` bytes. */
export interface SockFprog {
  readonly len: number
  readonly filter: Uint8Array
}

/** `poll(2)`, sync and on a koffi worker thread (the callback gets the return value; errno is not available there). */
export interface PollFn {
  (fds: Uint8Array, nfds: number, timeoutMs: number): number
  async(fds: Uint8Array, nfds: number, timeoutMs: number, cb: (err: unknown, rc: number) => void): void
}

/** `struct sock_fprog` size on 64-bit: u16 len, 6 bytes of padding, pointer. */
export const SOCK_FPROG_SIZE = 16

/** `poll(2)` event bits. */
export const POLL = { POLLIN: 0x1 } as const

/** `open(2)` flags used here (x86-64/arm64 values). */
export const O = { O_RDONLY: 0, O_CLOEXEC: 0o2000000 } as const
/** `recv(2)` flags. */
export const MSG = { MSG_PEEK: 0x2, MSG_DONTWAIT: 0x40, MSG_TRUNC: 0x20 } as const
/** `setns(2)` namespace type for network namespaces. */
export const CLONE_NEWNET = 0x40000000

let bound: Libc | undefined

/** The libc binding, loaded on first call. */
export function libc(): Libc {
  if (bound) return bound
  const lib = koffi.load('libc.so.6')
  // The struct koffi marshals for SO_ATTACH_FILTER: it lays out the padding and passes `filter` by pointer.
  koffi.struct('sock_fprog', { len: 'uint16_t', filter: 'void *' })
  bound = {
    socket: lib.func('int socket(int, int, int)'),
    bind: lib.func('int bind(int, const void *, uint32_t)'),
    getsockname: lib.func('int getsockname(int, void *, uint32_t *)'),
    sendto: lib.func('long sendto(int, const void *, size_t, int, const void *, uint32_t)'),
    recv: lib.func('long recv(int, void *, size_t, int)'),
    setsockopt: lib.func('int setsockopt(int, int, int, const void *, uint32_t)'),
    getsockopt: lib.func('int getsockopt(int, int, int, void *, uint32_t *)'),
    close: lib.func('int close(int)'),
    setns: lib.func('int setns(int, int)'),
    open: lib.func('int open(const char *, int)'),
    getpid: lib.func('int getpid(void)'),
    setsockoptFprog: lib.func('int setsockopt(int, int, int, const sock_fprog *, uint32_t)'),
    poll: lib.func('int poll(void *, unsigned long, int)'),
  } as Libc
  return bound
}

/** errno of the last foreign call on this thread. */
export function errno(): number {
  return koffi.errno()
}
