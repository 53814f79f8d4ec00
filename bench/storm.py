#!/usr/bin/env python3
"""Connection storm for bench/events.mjs: opens and closes N TCP connections
over 127.0.0.1, one in `every` of them to port 9999 (the selective filter's
port), the rest to port 9000. Both ends close with SO_LINGER 0 (a reset), so
no TIME-WAIT socket is left and each connection yields two destroy events at
once. Run inside the benchmark's namespace; prints the count when done."""
import socket
import struct
import sys

n, every = int(sys.argv[1]), int(sys.argv[2])
LINGER0 = struct.pack('ii', 1, 0)
listeners = {}
for port in (9000, 9999):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', port))
    s.listen(128)
    listeners[port] = s
for i in range(n):
    port = 9999 if i % every == 0 else 9000
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    c.connect(('127.0.0.1', port))
    a, _ = listeners[port].accept()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    a.close()
    c.close()
print(n, flush=True)
