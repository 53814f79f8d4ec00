#!/usr/bin/env python3
"""List sockets with a filter compiled by ssx, using only Python's standard library.

ssx compiles ss's filter language to the kernel's inet_diag bytecode; this
script sends the result on a NETLINK_SOCK_DIAG socket itself and prints
what the kernel answers, one socket per line:

    ssx compile --format python -t state established 'dport = :443' > plan.py
    python3 examples/sock_diag.py plan.py
    ssx compile --format python -t 'sport = :22' | python3 examples/sock_diag.py -

It also takes `ssx compile --format netlink` output (one complete request
message per line, in hex), which it sends as it is:

    ssx compile --format netlink -t 'sport = :22' | python3 examples/sock_diag.py -

Output: netid, state, local and peer address:port, inode, socket cookie.
Only inet requests (TCP, UDP, RAW, MPTCP, ...) are sent; others are skipped
with a note on stderr.
"""
import ipaddress
import socket
import struct
import sys

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST, NLM_F_DUMP = 0x1, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3
INET_DIAG_REQ_BYTECODE, INET_DIAG_REQ_PROTOCOL = 1, 3
STATES = ['UNKNOWN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT',
          'UNCONN', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING', 'NEW-SYN-RECV', 'BOUND-INACTIVE']

NLMSGHDR = struct.Struct('=IHHII')          # len, type, flags, seq, pid (host order)
REQ_V2 = struct.Struct('=BBBxI')            # family, protocol, ext, pad, states
SOCKID = struct.Struct('>HH16s16sI8s')      # sport, dport (big-endian), src, dst, if, cookie
INET_DIAG_MSG = struct.Struct('=BBBB')      # family, state, timer, retrans; then the sockid
MSG_TAIL = struct.Struct('=IIIII')          # expires, rqueue, wqueue, uid, inode


TABLES = {6: 'tcp', 17: 'udp', 255: 'raw', 33: 'dccp', 132: 'sctp', 262: 'mptcp'}


def load_plan(path):
    """Read a plan: python source from `ssx compile --format python` (it defines
    REQUESTS and BYTECODE), or `--format netlink` hex lines. Returns
    (requests, bytecode); a netlink request carries its whole message."""
    text = sys.stdin.read() if path == '-' else open(path).read()
    lines = text.split()
    if lines and all(len(l) % 2 == 0 and all(c in '0123456789abcdef' for c in l) for l in lines):
        requests = []
        for line in lines:
            message = bytes.fromhex(line)
            family, protocol = message[NLMSGHDR.size], message[NLMSGHDR.size + 1]
            offset = NLMSGHDR.size + REQ_V2.size + SOCKID.size
            while offset + 4 <= len(message):  # an INET_DIAG_REQ_PROTOCOL attribute overrides the byte
                length, kind = struct.unpack_from('=HH', message, offset)
                if kind == INET_DIAG_REQ_PROTOCOL:
                    protocol = struct.unpack_from('=I', message, offset + 4)[0]
                offset += max(4, (length + 3) & ~3)
            # The hex form does not say which requests ss sends only after a success: send them all.
            requests.append(dict(table=TABLES.get(protocol, str(protocol)), family=family, after_success=False, message=message))
        return requests, b''
    plan = {}
    exec(compile(text, path, 'exec'), plan)
    return plan['REQUESTS'], plan['BYTECODE']


def attribute(kind, payload):
    """A netlink attribute: u16 length, u16 type, payload padded to 4 bytes."""
    head = struct.pack('=HH', 4 + len(payload), kind)
    return head + payload + b'\0' * (-len(payload) % 4)


def request(req, bytecode, seq):
    if 'message' in req:
        # A complete message from --format netlink: only the sequence number is ours.
        return req['message'][:8] + struct.pack('=I', seq) + req['message'][12:]
    body = REQ_V2.pack(req['family'], req['protocol'], req['ext'], req['states'])
    body += b'\0' * SOCKID.size  # no particular socket: dump them all
    if req['has_bytecode']:
        body += attribute(INET_DIAG_REQ_BYTECODE, bytecode)
    if req['protocol_attr'] is not None:
        body += attribute(INET_DIAG_REQ_PROTOCOL, struct.pack('=I', req['protocol_attr']))
    return NLMSGHDR.pack(NLMSGHDR.size + len(body), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + body


def endpoint(family, addr, port):
    if family == socket.AF_INET:
        return '%s:%s' % (ipaddress.IPv4Address(addr[:4]), port or '*')
    return '[%s]:%s' % (ipaddress.IPv6Address(addr), port or '*')


def dump(sock, req, bytecode, seq):
    """Send one request; yield one output line per socket. Raises OSError if the kernel refuses it."""
    sock.send(request(req, bytecode, seq))
    while True:
        data = sock.recv(65536)
        offset = 0
        while offset < len(data):
            length, kind, _flags, msg_seq, _pid = NLMSGHDR.unpack_from(data, offset)
            payload = data[offset + NLMSGHDR.size:offset + length]
            offset += (length + 3) & ~3
            if msg_seq != seq:
                continue
            if kind == NLMSG_DONE:
                return
            if kind == NLMSG_ERROR:
                errno = -struct.unpack_from('=i', payload)[0]
                if errno:
                    raise OSError(errno, 'sock_diag refused the %s request' % req['table'])
                continue
            family, state, _timer, _retrans = INET_DIAG_MSG.unpack_from(payload)
            sport, dport, src, dst, _ifindex, cookie = SOCKID.unpack_from(payload, INET_DIAG_MSG.size)
            inode = MSG_TAIL.unpack_from(payload, INET_DIAG_MSG.size + SOCKID.size)[4]
            yield '%s %s %s %s %d %d' % (
                req['table'], STATES[state] if state < len(STATES) else state,
                endpoint(family, src, sport), endpoint(family, dst, dport),
                inode, struct.unpack('=Q', cookie)[0])


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: sock_diag.py PLAN.py|-   (PLAN.py from: ssx compile --format python ...)')
    requests, bytecode = load_plan(sys.argv[1])
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG)
    succeeded = {}
    for seq, req in enumerate(requests, start=1):
        if req['family'] not in (socket.AF_INET, socket.AF_INET6):
            print('sock_diag.py: skipping the %s request (not inet)' % req['table'], file=sys.stderr)
            continue
        # As ss: the AF_INET6 request of a protocol goes out only if its AF_INET one worked.
        if req['after_success'] and not succeeded.get(req['table']):
            continue
        try:
            for line in dump(sock, req, bytecode, seq):
                print(line)
            succeeded[req['table']] = True
        except OSError as e:
            succeeded[req['table']] = False
            print('sock_diag.py: %s' % e, file=sys.stderr)
    sock.close()


if __name__ == '__main__':
    main()
