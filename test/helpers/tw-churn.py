#!/usr/bin/env python3
"""TIME-WAIT sockets under churn, for the eBPF iterator's streaming test.

Usage (inside a private namespace):  python3 tw-churn.py [--held N]

Opens N connections to a listener on 127.0.0.1 and N // 4 on ::1 and closes
each client first, so the client side enters TIME-WAIT (60 s, no descriptor);
prints one JSON line, the `[family, local address, local port]` of each, then
"ready". From then on, until stdin closes, it keeps opening and closing more
such connections as fast as it can, so sockets enter and leave the hash
tables while a walk is in progress (the load bench/populate.py's churn puts
on the 1M-socket benchmark).
"""
import argparse
import json
import select
import socket
import sys

IP_BIND_ADDRESS_NO_PORT = 24  # linux/in.h: pick the port at connect(), by 4-tuple


def listener(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 0))
    s.listen(4096)
    return s


def one(lst, family, client):
    """One connection closed by the client first; the client's (family, address, port)."""
    c = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET:
        c.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
    c.bind((client, 0))
    c.connect(lst.getsockname()[:2])
    a, _ = lst.accept()
    name = c.getsockname()
    c.close()
    a.close()
    return [int(family), name[0], name[1]]


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--held', type=int, default=2000)
    n = p.parse_args().held
    v4 = listener(socket.AF_INET, '127.0.0.1')
    v6 = listener(socket.AF_INET6, '::1')
    clients = [f'127.0.{i // 250}.{i % 250 + 2}' for i in range(1000)]
    held = [one(v4, socket.AF_INET, clients[i % len(clients)]) for i in range(n)]
    held += [one(v6, socket.AF_INET6, '::1') for _ in range(n // 4)]
    print(json.dumps(held), flush=True)
    print('ready', flush=True)
    i = 0
    while True:
        if select.select([sys.stdin], [], [], 0)[0] and not sys.stdin.read(1):
            return
        try:
            if i % 4 == 3:
                one(v6, socket.AF_INET6, '::1')
            else:
                one(v4, socket.AF_INET, clients[i % len(clients)])
        except OSError:
            pass  # ephemeral ports of ::1 run out after a while: keep churning v4
        i += 1


if __name__ == '__main__':
    main()
