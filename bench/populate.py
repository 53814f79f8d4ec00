#!/usr/bin/env python3
"""Fill a private network namespace with sockets resembling a busy server.

Usage:  python3 bench/populate.py [--sockets 100000] [--netns NAME] [--workers W]

Creates the namespace (`ssx-bench-<pid>` unless --netns names one), brings lo
up, enters it and forks worker processes that each create and hold their
share of the population, every worker below the 20,000 open-file limit:

  TCP   listeners on many 127.x.y.z addresses (service ports and a spread of
        idle ports 12000-19999), ~1 % of all sockets;
        established pairs, client and accepted server side in one worker,
        clients on their own 127.x.y.z source addresses, ~10 % over ::1;
        the service port PORT (8080) holds ~1 % of all TCP sockets as local
        port, port 1 holds none (the two `sport` benchmark filters);
        some clients carry SO_MARK, some pairs are bound to lo
        (SO_BINDTODEVICE on the client and its listener);
        TIME-WAIT, which holds no descriptor and expires after 60 s, kept
        near its target by a churn process that reads /proc/net/sockstat;
  UDP   bound, some connected, a few bound to lo;
  unix  stream socketpairs, some with an abstract name.

Prints one line of JSON (the manifest: namespace, port, counts, pids) and
then "ready", and holds everything until stdin closes or SIGINT/SIGTERM/
SIGHUP arrives; then stops the workers and deletes the namespace (also when
creating the population fails). Workers die with the parent (PDEATHSIG).
"""
import argparse
import ctypes
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time

SERVICE_PORTS = [443, 80, 5432, 6379, 3306, 11211, 9092, 25]  # weights below
SERVICE_WEIGHTS = [40, 20, 10, 8, 6, 5, 4, 2]
PORT = 8080          # the `sport = :PORT` benchmark: ~1 % of TCP sockets
DEV_PORT = 8443      # listeners and clients bound to lo (`dev lo`)
TW_PORTS = [7000, 7001, 7002, 7003]
IDLE_PORTS = range(12000, 20000)  # above the service ports (11211)
FDS_PER_WORKER = 15000   # < 20,000 per process with room for the interpreter's own
IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: pick the port at connect(), by 4-tuple
CLONE_NEWNET = 0x40000000
PR_SET_PDEATHSIG = 1

libc = ctypes.CDLL(None, use_errno=True)


def die(msg):
    print(f'populate: {msg}', file=sys.stderr, flush=True)
    sys.exit(1)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--sockets', type=int, default=100_000, help='total sockets (TCP incl. TIME-WAIT, UDP, unix)')
    p.add_argument('--netns', default=f'ssx-bench-{os.getpid()}')
    p.add_argument('--workers', type=int, default=0, help='worker processes (default: enough for %d fds each)' % FDS_PER_WORKER)
    return p.parse_args()


def plan(total, workers):
    """Split `total` sockets into categories, then per worker."""
    tw = total * 5 // 100
    udp = total * 6 // 100
    unix_pairs = total * 10 // 100 // 2
    listen = max(total // 100, 16)
    est_pairs = max((total - tw - udp - 2 * unix_pairs - listen) // 2, 0)
    tcp_total = tw + listen + 2 * est_pairs
    p_pairs = max(tcp_total // 100 - workers, 0)        # server sides with sport PORT (+ one listener per worker)
    dev_pairs = est_pairs // 100                        # bound to lo
    v6_pairs = est_pairs // 10
    mark_pairs = est_pairs * 2 // 100
    fds = listen + 2 * est_pairs + udp + 2 * unix_pairs
    if workers <= 0:
        workers = max(4, math.ceil(fds / FDS_PER_WORKER))
        p_pairs = max(tcp_total // 100 - workers, 0)
    return {
        'total': total, 'workers': workers, 'tw': tw, 'udp': udp, 'unixPairs': unix_pairs, 'listen': listen,
        'estPairs': est_pairs, 'portPairs': p_pairs, 'devPairs': dev_pairs, 'v6Pairs': v6_pairs,
        'markPairs': mark_pairs,
    }


def share(n, w, workers):
    """Worker w's share of n items."""
    return n // workers + (1 if w < n % workers else 0)


def run(*cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def enter_netns(name):
    fd = os.open(f'/run/netns/{name}', os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        die(f'setns {name}: {os.strerror(ctypes.get_errno())}')
    os.close(fd)


def tcp_listener(family, addr, port, dev=None, backlog=1024):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    if dev:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    s.bind((addr, port))
    s.listen(backlog)
    return s


class Worker:
    """One process's share: listeners, pairs, UDP, unix. Keeps raw fds only."""

    def __init__(self, w, p, workers):
        self.w = w
        self.fds = []
        self.p = p
        self.workers = workers
        # Worker w serves on 127.1.w.1..8 and connects from 127.2.w.1..64 (v4).
        self.servers = [f'127.{1 + w // 250}.{w % 250}.{k}' for k in range(1, 9)]
        self.clients = [f'127.{100 + w // 250}.{w % 250}.{k}' for k in range(1, 65)]
        self.next_client = 0
        self.listeners = {}

    def keep(self, s):
        self.fds.append(s.detach())

    def pairs(self, lst, family, dst, n, mark=None, dev=None):
        """n connections to lst (blocking connect completes at once on loopback); accept in batches under the backlog."""
        done = 0
        while done < n:
            batch = min(256, n - done)
            for _ in range(batch):
                c = socket.socket(family, socket.SOCK_STREAM)
                if mark is not None:
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
                if dev:
                    c.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
                if family == socket.AF_INET:
                    c.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
                    c.bind((self.clients[self.next_client % len(self.clients)], 0))
                    self.next_client += 1
                c.connect(dst)
                self.keep(c)
            for _ in range(batch):
                a, _ = lst.accept()
                self.keep(a)
            done += batch

    def build(self):
        p, w, W = self.p, self.w, self.workers
        est = share(p['estPairs'], w, W)
        port_pairs = share(p['portPairs'], w, W)
        dev_pairs = share(p['devPairs'], w, W)
        v6_pairs = share(p['v6Pairs'], w, W)
        mark_pairs = share(p['markPairs'], w, W)
        plain = max(est - port_pairs - dev_pairs - v6_pairs, 0)
        listeners = []
        # Service listeners on every server address; PORT on the first one only.
        svc = {}
        for port in SERVICE_PORTS:
            for a in self.servers:
                s = tcp_listener(socket.AF_INET, a, port)
                svc.setdefault(port, []).append(s)
                listeners.append(s)
        lp = tcp_listener(socket.AF_INET, self.servers[0], PORT, backlog=4096)
        ldev = tcp_listener(socket.AF_INET, self.servers[1], DEV_PORT, dev='lo')
        l6 = tcp_listener(socket.AF_INET6, '::1', 20000 + w)
        listeners += [lp, ldev, l6]
        # Idle listeners up to this worker's share.
        extra = max(share(p['listen'], w, W) - len(listeners), 0)
        for i in range(extra):
            port = IDLE_PORTS[(w * 7919 + i) % len(IDLE_PORTS)]
            listeners.append(tcp_listener(socket.AF_INET, self.servers[i % len(self.servers)], port, backlog=1))
        # Established pairs.
        self.pairs(lp, socket.AF_INET, (self.servers[0], PORT), port_pairs)
        self.pairs(ldev, socket.AF_INET, (self.servers[1], DEV_PORT), dev_pairs, dev='lo')
        self.pairs(l6, socket.AF_INET6, ('::1', 20000 + w), v6_pairs)
        total_w = sum(SERVICE_WEIGHTS)
        left = plain
        marked = mark_pairs
        for i, port in enumerate(SERVICE_PORTS):
            n = plain * SERVICE_WEIGHTS[i] // total_w if i < len(SERVICE_PORTS) - 1 else left
            left -= n
            ls = svc[port]
            for j, s in enumerate(ls):
                k = share(n, j, len(ls))
                m = min(marked, k // 4)
                marked -= m
                self.pairs(s, socket.AF_INET, (self.servers[j], port), m, mark=0x100 + i)
                self.pairs(s, socket.AF_INET, (self.servers[j], port), k - m)
        for s in listeners:
            self.keep(s)
        # UDP: bound on the server addresses, every third connected, a few bound to lo.
        for i in range(share(p['udp'], w, W)):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            if i % 100 == 0:
                u.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'lo')
            u.bind((self.clients[i % len(self.clients)], 0))
            if i % 3 == 0:
                u.connect((self.servers[i % len(self.servers)], 53))
            self.keep(u)
        # unix stream pairs, every tenth listening on an abstract name.
        for i in range(share(p['unixPairs'], w, W)):
            if i % 10 == 0:
                u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                u.bind(f'\0ssx-bench-{w}-{i}')
                u.listen(1)
                self.keep(u)
                continue
            a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            self.keep(a)
            self.keep(b)
        return len(self.fds)


def tw_count():
    with open('/proc/net/sockstat') as f:
        for line in f:
            if line.startswith('TCP:'):
                v = line.split()
                return int(v[v.index('tw') + 1])
    return 0


def churn(target, ready_fd):
    """Keep about `target` TIME-WAIT sockets: close client-first connections at up to target/15 per second."""
    lsts = [tcp_listener(socket.AF_INET, '127.250.0.1', port, backlog=4096) for port in TW_PORTS]
    clients = [f'127.251.{i // 250}.{i % 250 + 1}' for i in range(1000)]
    rate = max(target // 15, 200)
    n = 0
    signalled = False
    while True:
        t0 = time.monotonic()
        have = tw_count()
        if not signalled and have >= target * 0.98:
            os.write(ready_fd, b'tw\n')
            signalled = True
        todo = min(max(target - have, 0), rate // 10)
        for _ in range(todo):
            li = n % len(lsts)
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
            c.bind((clients[n % len(clients)], 0))
            c.connect(('127.250.0.1', TW_PORTS[li]))
            a, _ = lsts[li].accept()
            c.close()   # active close: the client side enters TIME-WAIT
            a.close()
            n += 1
        time.sleep(max(0.1 - (time.monotonic() - t0), 0.01))


def child(fn):
    """Fork a child that dies with its parent and never returns into our code."""
    pid = os.fork()
    if pid:
        return pid
    try:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        fn()
    except BaseException as e:  # report any failure, then exit without running the parent's cleanup
        print(f'populate[{os.getpid()}]: {e!r}', file=sys.stderr, flush=True)
        os._exit(1)
    os._exit(0)


def main():
    args = parse_args()
    p = plan(args.sockets, args.workers)
    name = args.netns
    pids = []
    created = False

    def cleanup(*_):
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        pids.clear()
        if created:
            subprocess.run(['ip', 'netns', 'del', name], stderr=subprocess.DEVNULL)

    def on_signal(sig, _frame):
        cleanup()
        os._exit(128 + sig)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    try:
        run('ip', 'netns', 'add', name)
        created = True
        run('ip', '-n', name, 'link', 'set', 'lo', 'up')
        enter_netns(name)
        t0 = time.monotonic()
        rd, wr = os.pipe()
        for w in range(p['workers']):
            def work(w=w):
                os.close(rd)
                n = Worker(w, p, p['workers']).build()
                os.write(wr, f'{n}\n'.encode())
                signal.pause()  # hold the sockets until killed
            pids.append(child(work))
        if p['tw']:
            pids.append(child(lambda: (os.close(rd), churn(p['tw'], wr))))
        os.close(wr)
        waiting = p['workers'] + (1 if p['tw'] else 0)
        fds = 0
        buf = b''
        while waiting:
            chunk = os.read(rd, 4096)
            if not chunk:
                raise RuntimeError('a worker failed (see above)')
            buf += chunk
            *lines, buf = buf.split(b'\n')
            for line in lines:
                if line != b'tw':
                    fds += int(line)
                waiting -= 1
        with open('/proc/net/sockstat') as f:
            sockstat = f.read()
        manifest = {
            'netns': name, 'port': PORT, 'noMatchPort': 1, 'devPort': DEV_PORT, 'plan': p, 'fds': fds,
            'pids': pids, 'seconds': round(time.monotonic() - t0, 1),
            'sockstat': ' | '.join(line for line in sockstat.splitlines() if line.startswith(('TCP:', 'UDP:'))),
        }
        print(json.dumps(manifest), flush=True)
        print('ready', flush=True)
        # Hold until stdin closes (the runner exits) or a signal arrives.
        while sys.stdin.buffer.read(4096):
            pass
    except (Exception, KeyboardInterrupt) as e:
        print(f'populate: {e}', file=sys.stderr, flush=True)
        cleanup()
        sys.exit(1)
    cleanup()


if __name__ == '__main__':
    main()
