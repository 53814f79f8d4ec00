/*
 * The floor of the benchmarks: send the same inet_diag dump requests as the
 * tool under test and read every reply, decoding nothing but the netlink
 * framing needed to find NLMSG_DONE. No tool that lists these sockets can be
 * faster than this (it is the kernel's walk plus the copies to user space).
 *
 * Usage: floor FAMILY:PROTOCOL:STATES:EXT:BYTECODEHEX ...   (one per request)
 * FAMILY 0 sends the legacy TCPDIAG_GETSOCK request (struct inet_diag_req),
 * which the kernel answers with TCP sockets of both families from one walk:
 * ssx's single TCP walk (src/query.ts).
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
	/* The request body (either struct) is followed by the bytecode attribute. */
	static unsigned char msg[NLMSG_HDRLEN + sizeof(struct inet_diag_req) + NLA_HDRLEN + 4096];
	memset(msg, 0, sizeof msg);
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
	size_t len = NLMSG_HDRLEN;
	if (family == 0) {
		struct inet_diag_req *req = (struct inet_diag_req *)(msg + len);
		req->idiag_family = AF_INET; /* ignored: both families are answered */
		req->idiag_states = states;
		req->idiag_ext = (unsigned char)ext;
		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		len += sizeof *req;
	} else {
		struct inet_diag_req_v2 *req = (struct inet_diag_req_v2 *)(msg + len);
		req->sdiag_family = (unsigned char)family;
		req->sdiag_protocol = (unsigned char)protocol;
		req->idiag_states = states;
		req->idiag_ext = (unsigned char)ext;
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		len += sizeof *req;
	}
	if (bclen) {
		struct nlattr *nla = (struct nlattr *)(msg + len);
		nla->nla_type = INET_DIAG_REQ_BYTECODE;
		nla->nla_len = (unsigned short)(NLA_HDRLEN + bclen);
		for (size_t i = 0; i < bclen && i < 4096; i++)
			msg[len + NLA_HDRLEN + i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
		len += NLA_ALIGN(NLA_HDRLEN + bclen);
	}
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	nlh->nlmsg_len = (unsigned)len;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	if (sendto(fd, msg, len, 0, (struct sockaddr *)&kernel, sizeof kernel) < 0) {
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
