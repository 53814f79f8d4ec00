#!/usr/bin/env python3
"""Socket zoo for sock_diag tests: run inside a fresh network namespace.

Creates a known set of sockets on loopback, prints ONE line of JSON (the
manifest: what was created, with ports, marks and inode numbers), then a line
"ready", and keeps every socket open until stdin closes or SIGTERM arrives.

Usage:  ip netns exec NS python3 zoo.py [--base-port 5000] [--extra-listeners N]
(--extra-listeners adds N TCP listeners on 127.0.0.1:base+2000.. to make
multi-datagram dumps.)
The manifest keys are documented in test/helpers/netns.ts (ZooManifest).
"""
import json
import os
import resource
import signal
import socket
import sys
import time

BASE = int(sys.argv[sys.argv.index('--base-port') + 1]) if '--base-port' in sys.argv else 5000
EXTRA = int(sys.argv[sys.argv.index('--extra-listeners') + 1]) if '--extra-listeners' in sys.argv else 0
if EXTRA:
    # Many listeners need many fds; the hard limit is usually far above the soft one.
    _soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (_hard, _hard))
keep = []  # every socket, so nothing is garbage-collected and closed


def ino(s):
    return os.fstat(s.fileno()).st_ino


def tcp(family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    keep.append(s)
    return s


def listener(family, addr, port, v6only=None):
    s = tcp(family)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1 if v6only else 0)
    s.bind((addr, port))
    s.listen(16)
    return s


def connect(family, dst, src=None, mark=None, device=None):
    c = tcp(family)
    if mark is not None:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, mark)
    if device is not None:
        c.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
    if src is not None:
        c.bind(src)
    c.connect(dst)
    return c


def accept(lst):
    a, _ = lst.accept()
    keep.append(a)
    return a


m = {'tcp': {}, 'udp': {}, 'unix': {}, 'packet': {}, 'netlink': {}}
T = m['tcp']

l4 = listener(socket.AF_INET, '127.0.0.1', BASE)
l6 = listener(socket.AF_INET6, '::1', BASE + 1, v6only=True)
ldual = listener(socket.AF_INET6, '::', BASE + 2, v6only=False)
T['listen4'] = {'port': BASE, 'addr': '127.0.0.1', 'inode': ino(l4)}
T['listen6'] = {'port': BASE + 1, 'addr': '::1', 'inode': ino(l6), 'v6only': True}
T['listenDual'] = {'port': BASE + 2, 'addr': '::', 'inode': ino(ldual), 'v6only': False}

c4 = connect(socket.AF_INET, ('127.0.0.1', BASE))
a4 = accept(l4)
T['est4'] = {'client': {'port': c4.getsockname()[1], 'inode': ino(c4)}, 'server': {'port': BASE, 'inode': ino(a4)}}

c6 = connect(socket.AF_INET6, ('::1', BASE + 1))
a6 = accept(l6)
T['est6'] = {'client': {'port': c6.getsockname()[1], 'inode': ino(c6)}, 'server': {'port': BASE + 1, 'inode': ino(a6)}}

cm = connect(socket.AF_INET, ('127.0.0.1', BASE + 2))
am = accept(ldual)
# The accepted child of a dual-stack listener is AF_INET6 with v4-mapped addresses.
T['mapped'] = {'client': {'port': cm.getsockname()[1], 'inode': ino(cm)}, 'server': {'port': BASE + 2, 'inode': ino(am)}}

cmark = connect(socket.AF_INET, ('127.0.0.1', BASE), src=('127.0.0.1', BASE + 100), mark=0x1234)
keep.append(accept(l4))
T['marked'] = {'port': BASE + 100, 'mark': 0x1234, 'inode': ino(cmark)}

cdev = connect(socket.AF_INET, ('127.0.0.1', BASE), device='lo')
keep.append(accept(l4))
T['bound'] = {'port': cdev.getsockname()[1], 'device': 'lo', 'ifindex': socket.if_nametoindex('lo'), 'inode': ino(cdev)}

# Explicitly bound inside the default ephemeral range (32768-60999): the kernel's
# AUTO says no (port locked), ss's user-space autobound says yes.
ceph = connect(socket.AF_INET, ('127.0.0.1', BASE), src=('127.0.0.1', BASE + 35000))
keep.append(accept(l4))
T['boundEphemeral'] = {'port': BASE + 35000, 'inode': ino(ceph)}

# TIME-WAIT: the active closer (the client) ends in TIME-WAIT once the server closes too.
ltw = listener(socket.AF_INET, '127.0.0.1', BASE + 3)
T['listenTw'] = {'port': BASE + 3, 'inode': ino(ltw)}
ctw = connect(socket.AF_INET, ('127.0.0.1', BASE + 3), src=('127.0.0.1', BASE + 200), mark=0x77)
atw = accept(ltw)
ctw.close()
atw.recv(1)  # EOF
atw.close()
keep.remove(ctw)
keep.remove(atw)
T['timeWait'] = {'port': BASE + 200, 'remotePort': BASE + 3, 'mark': 0x77}

# MPTCP (IPPROTO_MPTCP 262): a listener and one connection; skipped if the kernel lacks it.
try:
    lmp = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    lmp.bind(('127.0.0.1', BASE + 4))
    lmp.listen(4)
    cmp_ = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)
    cmp_.connect(('127.0.0.1', BASE + 4))
    amp, _ = lmp.accept()
    keep += [lmp, cmp_, amp]
    m['mptcp'] = {'listener': {'port': BASE + 4, 'inode': ino(lmp)}, 'client': {'port': cmp_.getsockname()[1], 'inode': ino(cmp_)}, 'server': {'port': BASE + 4, 'inode': ino(amp)}}
except OSError:
    m['mptcp'] = None

U = m['udp']
u1 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u1.bind(('127.0.0.1', BASE + 1000))
u2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u2.bind(('127.0.0.1', BASE + 1001))
u2.connect(('127.0.0.1', BASE + 1000))
u6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u6.bind(('::1', BASE + 1002))
keep += [u1, u2, u6]
U['bound4'] = {'port': BASE + 1000, 'inode': ino(u1)}
U['connected4'] = {'port': BASE + 1001, 'remotePort': BASE + 1000, 'inode': ino(u2)}
U['bound6'] = {'port': BASE + 1002, 'inode': ino(u6)}

X = m['unix']
path = '/tmp/ssx-zoo-%d.sock' % os.getpid()
if os.path.exists(path):
    os.unlink(path)
ul = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
ul.bind(path)
ul.listen(4)
uc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
uc.connect(path)
ua, _ = ul.accept()
abstract = '\0ssx-zoo-%d' % os.getpid()
ud = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
ud.bind(abstract)
sp1, sp2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
keep += [ul, uc, ua, ud, sp1, sp2]
X['listener'] = {'path': path, 'inode': ino(ul)}
X['client'] = {'inode': ino(uc), 'peer': ino(ua)}
X['accepted'] = {'inode': ino(ua), 'peer': ino(uc), 'path': path}
X['abstractDgram'] = {'name': '@' + abstract[1:], 'inode': ino(ud)}
X['seqpacket'] = {'inodes': [ino(sp1), ino(sp2)]}

P = m['packet']
ETH_P_ALL, ETH_P_IP = 0x0003, 0x0800
p1 = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
p1.bind(('lo', ETH_P_ALL))
p2 = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
keep += [p1, p2]
P['rawLo'] = {'inode': ino(p1), 'protocol': ETH_P_ALL, 'ifindex': socket.if_nametoindex('lo'), 'type': 3}
P['dgramIp'] = {'inode': ino(p2), 'protocol': ETH_P_IP, 'ifindex': 0, 'type': 2}

N = m['netlink']
NETLINK_ROUTE, RTMGRP_LINK = 0, 1
n1 = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
n1.bind((0, RTMGRP_LINK))
keep.append(n1)
N['route'] = {'inode': ino(n1), 'portid': n1.getsockname()[0], 'protocol': NETLINK_ROUTE, 'groups': [1]}

for i in range(EXTRA):
    listener(socket.AF_INET, '127.0.0.1', BASE + 2000 + i)
m['extra'] = {'firstPort': BASE + 2000, 'count': EXTRA}

# Opt-in extras for the output differential test (SSX_ZOO_OUTPUT=1 in the
# environment; test/integration/output-diff.test.ts): rows whose text the
# base zoo never produces. Off by default because other tests count sockets.
if os.environ.get('SSX_ZOO_OUTPUT') == '1':
    O = m['output'] = {}
    # Well-known ports, so names come from /etc/services without -n.
    lhttp = listener(socket.AF_INET, '0.0.0.0', 80)
    lhttps = listener(socket.AF_INET6, '::', 443, v6only=True)
    O['wellKnown'] = {'http': 80, 'https': 443}
    # Unread data: Recv-Q 5 on the accepted side.
    lq = listener(socket.AF_INET, '127.0.0.1', BASE + 3000)
    cq = connect(socket.AF_INET, ('127.0.0.1', BASE + 3000))
    aq = accept(lq)
    cq.send(b'hello')
    # Half-closed: the client shut down writing (FIN-WAIT-2), the server has not (CLOSE-WAIT).
    lh = listener(socket.AF_INET, '127.0.0.1', BASE + 3001)
    ch = connect(socket.AF_INET, ('127.0.0.1', BASE + 3001))
    ah = accept(lh)
    ch.shutdown(socket.SHUT_WR)
    # A pending connection in a listener's accept queue (LISTEN Recv-Q 1).
    lp = listener(socket.AF_INET, '127.0.0.1', BASE + 3002)
    cp = connect(socket.AF_INET, ('127.0.0.1', BASE + 3002))
    O['tcp'] = {'queued': BASE + 3000, 'halfClosed': BASE + 3001, 'pending': BASE + 3002}
    # UDP bound to a device: ADDR%lo.
    ub = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ub.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b'lo')
    ub.bind(('127.0.0.1', BASE + 3003))
    keep.append(ub)
    O['udpBound'] = BASE + 3003
    # Unix: queued bytes on a stream pair, an autobound name, a pending connection.
    us1, us2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    us1.send(b'abc')
    ua_ = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ua_.bind('')  # autobind: @xxxxx
    upath = '/tmp/ssx-zoo-%d-pending.sock' % os.getpid()
    if os.path.exists(upath):
        os.unlink(upath)
    upl = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    upl.bind(upath)
    upl.listen(4)
    upc = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    upc.connect(upath)
    keep += [us1, us2, ua_, upl, upc]
    O['unix'] = {'autobind': ua_.getsockname().decode('latin1').replace('\0', '@'), 'pendingPath': upath}
    # Packet: ARP (a protocol name) and IPv6 (another), bound to lo.
    pa = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0806))
    pa.bind(('lo', 0x0806))
    p6 = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x86DD))
    # A classic BPF filter for -b: `ldh [12]; ret #65535` (struct sock_fprog holds a pointer).
    import ctypes, struct
    insns = ctypes.create_string_buffer(struct.pack('HBBIHBBI', 0x28, 0, 0, 12, 0x06, 0, 0, 65535))
    p6.setsockopt(socket.SOL_SOCKET, 26, struct.pack('HL', 2, ctypes.addressof(insns)))
    keep += [pa, p6]
    # Netlink: generic netlink and uevent (group 1).
    ng = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
    ng.bind((0, 0))
    nu = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 15)
    nu.bind((0, 1))
    keep += [ng, nu]

# Opt-in unix extras for the iter/unix tests (SSX_ZOO_UNIX=1;
# test/integration/ebpf-unix.test.ts): every queue rule of unix_diag's
# RQLEN, shutdown, long and odd names. Off by default (other tests count sockets).
unix_paths = []
if os.environ.get('SSX_ZOO_UNIX') == '1':
    XU = m['unixExtra'] = {}
    # Datagrams: Recv-Q is the first queued datagram's length (5), not the sum.
    dg1, dg2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    dg1.send(b'12345')
    dg1.send(b'123456789')
    # Seqpacket: Recv-Q is the sum over the queue (4 + 6 + 8).
    sq1, sq2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    for n in (4, 6, 8):
        sq1.send(b'x' * n)
    # Stream, partly read: 10 sent, 3 read, Recv-Q 7.
    st1, st2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    st1.send(b'0123456789')
    st2.recv(3)
    # Half-closed stream pair.
    sh1, sh2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    sh1.shutdown(socket.SHUT_WR)
    # A long mixed-case path (107 bytes + NUL: sun_path's limit).
    longp = ('/tmp/ssx-ZOO-%d-' % os.getpid()).ljust(103, 'L') + '.Sck'
    if os.path.exists(longp):
        os.unlink(longp)
    ul2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ul2.bind(longp)
    unix_paths.append(longp)
    # Abstract names with an inner NUL, and one that reads like an autobind name but is not (uppercase).
    ua1 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ua1.bind(b'\0in\0ner-%d' % os.getpid())
    ua1.listen(2)
    ua2 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ua2.bind(b'\0ABCDE')
    # An unconnected datagram socket with a queue: sent to by address.
    ua3 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ua3.bind(b'\0ssx-zoo-q-%d' % os.getpid())
    ua4 = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ua4.sendto(b'abc', b'\0ssx-zoo-q-%d' % os.getpid())
    keep += [dg1, dg2, sq1, sq2, st1, st2, sh1, sh2, ul2, ua1, ua2, ua3, ua4]
    XU['longPath'] = longp
    XU['inodes'] = {'dgram': ino(dg2), 'seqpacket': ino(sq2), 'stream': ino(st2), 'shutdown': ino(sh1)}

m['pid'] = os.getpid()
print(json.dumps(m), flush=True)
print('ready', flush=True)


def stop(*_):
    for p_ in [path, '/tmp/ssx-zoo-%d-pending.sock' % os.getpid()] + unix_paths:
        if os.path.exists(p_):
            os.unlink(p_)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
try:
    sys.stdin.read()  # until the parent closes our stdin (or dies)
finally:
    stop()
