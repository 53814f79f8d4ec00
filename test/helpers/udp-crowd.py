#!/usr/bin/env python3
"""UDP sockets for the eBPF iter/udp tests: run inside a namespace with the zoo.

The zoo has three UDP sockets on distinct ports; this adds what orders and
fields need: many ports (udp_diag walks its port hash slot by slot, the
iterator walks the address hash), several sockets on one port (one slot list:
its order is the binding order reversed), both families and a v4-mapped peer,
queued datagrams (Recv-Q), a mark, a device binding, v6only both ways,
autobound sockets.

Prints one line of JSON (ports and marks used), then "ready", and keeps every
socket open until stdin closes or SIGTERM arrives.

With --tcp-timers, also TCP sockets whose timers -o prints: a connection
with a keepalive timer (both ends) and a fresh TIME-WAIT socket.

Usage:  ip netns exec NS python3 udp-crowd.py [--base-port 20000] [--tcp-timers]
"""
import json
import signal
import socket
import sys

BASE = int(sys.argv[sys.argv.index('--base-port') + 1]) if '--base-port' in sys.argv else 20000
keep = []


def udp(family, addr, port, reuse=False, v6only=None):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if reuse:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
    s.bind((addr, port))
    keep.append(s)
    return s


# Many ports, in an order that is neither the port order nor the hash order.
ports = [BASE + (i * 7919) % 400 for i in range(48)]
for i, p in enumerate(ports):
    if i % 3 == 0:
        udp(socket.AF_INET, '127.0.0.1', p)
    elif i % 3 == 1:
        udp(socket.AF_INET6, '::1', p, v6only=True)
    else:
        udp(socket.AF_INET, '0.0.0.0', p)

# One port, five sockets: one slot list, both families.
shared = BASE + 500
for fam, addr, v6only in [(socket.AF_INET, '127.0.0.1', None), (socket.AF_INET6, '::1', True), (socket.AF_INET, '127.0.0.2', None),
                          (socket.AF_INET6, '::', False), (socket.AF_INET, '127.0.0.3', None)]:
    udp(fam, addr, shared, reuse=True, v6only=v6only)

# Queued datagrams: Recv-Q > 0 on the receiver, a connected sender.
rx = udp(socket.AF_INET, '127.0.0.1', BASE + 501)
tx = udp(socket.AF_INET, '127.0.0.1', BASE + 502)
tx.connect(('127.0.0.1', BASE + 501))
for _ in range(3):
    tx.send(b'x' * 100)

# A dual-stack socket connected to a v4-mapped peer; a marked socket; one bound to lo.
dual = udp(socket.AF_INET6, '::', BASE + 503, v6only=False)
dual.connect(('::ffff:127.0.0.1', BASE + 501))
marked = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
marked.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x5a5a)
marked.bind(('127.0.0.1', BASE + 504))
keep.append(marked)
dev = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
dev.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'lo')
dev.bind(('::1', BASE + 505))
keep.append(dev)

# Autobound (no bind before connect/sendto): the kernel's AUTO holds, and the port is ephemeral.
auto4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
auto4.connect(('127.0.0.1', BASE + 501))
auto6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
auto6.sendto(b'y', ('::1', BASE + 505))
keep += [auto4, auto6]

timers = None
if '--tcp-timers' in sys.argv:
    lt = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lt.bind(('127.0.0.1', BASE + 600))
    lt.listen(8)
    ka = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ka.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    ka.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 3000)
    ka.connect(('127.0.0.1', BASE + 600))
    kb, _ = lt.accept()
    tw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tw.connect(('127.0.0.1', BASE + 600))
    tb, _ = lt.accept()
    tw.close()  # the active closer ends in TIME-WAIT
    tb.close()
    keep += [lt, ka, kb]
    timers = {'listener': BASE + 600, 'keepalive': ka.getsockname()[1]}

print(json.dumps({'ports': sorted(set(ports)), 'shared': shared, 'queued': BASE + 501, 'dual': BASE + 503, 'marked': {'port': BASE + 504, 'mark': 0x5a5a}, 'bound': BASE + 505, 'tcpTimers': timers}))
print('ready', flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
try:
    sys.stdin.read()
except KeyboardInterrupt:
    pass
