/*
 * The floor of the benchmarks: send the same inet_diag dump requests as the
 * tool under test and read every reply, decoding nothing but the netlink
 * framing needed to find NLMSG_DONE. No tool that lists these sockets can be
 * faster than this (it is the kernel's walk plus the copies to user space).
 *
 * Usage: floor FAMILY:PROTOCOL:STATES:EXT:BYTECODEHEX ...   (one per request)
 * Prints the number of sockets received. Built by bench/run.mjs with cc -O2.
 */
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static unsigned char buf[32768]; /* the kernel caps a dump skb near 32 KiB */

static int hexval(int c) {
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static long dump(int fd, const char *spec) {
	unsigned family, protocol, states, ext;
	int used = 0;
	if (sscanf(spec, "%u:%u:%u:%u:%n", &family, &protocol, &states, &ext, &used) != 4) {
		fprintf(stderr, "floor: bad request %s\n", spec);
		exit(2);
	}
	const char *hex = spec + used;
	size_t bclen = strlen(hex) / 2;
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
		struct nlattr nla;
		unsigned char bc[4096];
	} msg;
	memset(&msg, 0, sizeof msg);
	for (size_t i = 0; i < bclen && i < sizeof msg.bc; i++)
		msg.bc[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nlh.nlmsg_seq = 1;
	msg.req.sdiag_family = (unsigned char)family;
	msg.req.sdiag_protocol = (unsigned char)protocol;
	msg.req.idiag_states = states;
	msg.req.idiag_ext = (unsigned char)ext;
	size_t len = sizeof msg.nlh + sizeof msg.req;
	if (bclen) {
		msg.nla.nla_type = INET_DIAG_REQ_BYTECODE;
		msg.nla.nla_len = (unsigned short)(sizeof msg.nla + bclen);
		len += NLA_ALIGN(sizeof msg.nla + bclen);
	}
	msg.nlh.nlmsg_len = (unsigned)len;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, &msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
		perror("floor: sendto");
		exit(1);
	}
	long n = 0;
	for (;;) {
		ssize_t got = recv(fd, buf, sizeof buf, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			perror("floor: recv");
			exit(1);
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)got); h = NLMSG_NEXT(h, got)) {
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return n;
			n++;
		}
	}
}

int main(int argc, char **argv) {
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		perror("floor: socket");
		return 1;
	}
	long n = 0;
	for (int i = 1; i < argc; i++)
		n += dump(fd, argv[i]);
	printf("%ld\n", n);
	return 0;
}
