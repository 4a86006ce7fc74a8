// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcpdrive: one real TCP client or server that behaves in one named way, so
 * the scenario tests can make every connection fate happen for real.
 *
 *   tcpdrive server ADDR PORT MODE [--keepalive] [--delay MS | --after-signal]
 *   tcpdrive client ADDR PORT MODE [--keepalive] [--delay MS | --after-signal]
 *
 * A server's --delay is a wait between listening and accept(): the connection
 * waits in the accept queue, held by no process.  A client's is a wait
 * between connecting and its first act.  --after-signal waits for SIGUSR1
 * instead, so that a test can change the network first (an nft rule),
 * however long that takes on a slow machine.
 *
 * It reports on stdout, one line at a time (flushed), so the test can act
 * between steps:
 *   listening pid=P                      (server, once listening)
 *   accepted pid=P lport=L rport=R       (server)
 *   connected pid=P lport=L              (client; also for a failed connect)
 *   stalled                              (client fill: the peer's window closed)
 *   done result=R                        (R: ok, eof, or an errno name)
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: tcpfate\r\n\r\n";
static const char RESPONSE[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

static void usage(void)
{
	fputs("usage: tcpdrive server ADDR PORT reply|no-reply|wait-eof|linger0|unread-close|close|hold|sink|stream [--keepalive] [--delay MS | --after-signal]\n"
	      "       tcpdrive client ADDR PORT request|send-close|connect|hold|fill [--keepalive] [--delay MS | --after-signal]\n",
	      stderr);
	exit(2);
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static const char *result_of(int err)
{
	const char *name = err ? strerrorname_np(err) : "ok";

	return name ? name : "unknown";
}

static _Noreturn void done(int err)
{
	say("done result=%s", result_of(err));
	exit(0);
}

static _Noreturn void die(const char *what)
{
	fprintf(stderr, "tcpdrive: %s: %s\n", what, strerror(errno));
	exit(1);
}

static socklen_t parse_addr(const char *host, const char *port, struct sockaddr_storage *ss)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
	struct addrinfo *ai;
	socklen_t len;

	if (getaddrinfo(host, port, &hints, &ai)) {
		fprintf(stderr, "tcpdrive: bad address %s port %s\n", host, port);
		exit(2);
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return len;
}

/* The port of one end: getsockname (ours) or getpeername (theirs). */
static unsigned int port_of(int fd, int (*name)(int, struct sockaddr *, socklen_t *))
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (name(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

static unsigned int local_port(int fd)
{
	return port_of(fd, getsockname);
}

static unsigned int remote_port(int fd)
{
	return port_of(fd, getpeername);
}

static void set_keepalive(int fd)
{
	int one = 1;

	/* Timings come from the namespace's net.ipv4.tcp_keepalive_* sysctls. */
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)))
		die("SO_KEEPALIVE");
}

/* Reads until EOF or an error; returns 0 for EOF, else the errno. */
static int read_to_end(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		;
	return n == 0 ? 0 : errno;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0)
			return errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
}

#define AFTER_SIGNAL (-1)

/* The wait before acting: delay_ms, or until SIGUSR1 (blocked since start-up) for AFTER_SIGNAL. */
static void wait_to_act(int delay_ms)
{
	sigset_t go;
	int sig;

	if (delay_ms > 0)
		usleep((useconds_t)delay_ms * 1000);
	if (delay_ms != AFTER_SIGNAL)
		return;
	sigemptyset(&go);
	sigaddset(&go, SIGUSR1);
	if (sigwait(&go, &sig))
		die("sigwait");
}

static void run_server(struct sockaddr_storage *ss, socklen_t len, const char *mode, bool keepalive,
		       int delay_ms)
{
	int lfd = socket(ss->ss_family, SOCK_STREAM, 0), fd, one = 1;
	char buf[4096];
	ssize_t n;

	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)ss, len) || listen(lfd, 16))
		die("bind/listen");
	say("listening pid=%d", getpid());
	wait_to_act(delay_ms);
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(lfd);
	if (keepalive)
		set_keepalive(fd);
	say("accepted pid=%d lport=%u rport=%u", getpid(), local_port(fd), remote_port(fd));

	if (!strcmp(mode, "reply")) {
		recv(fd, buf, sizeof(buf), 0);
		write_all(fd, RESPONSE, strlen(RESPONSE));
		read_to_end(fd);
		close(fd);
		done(0);
	} else if (!strcmp(mode, "no-reply")) {
		/* Read the request, then close without answering: the client's "socket hang up". */
		recv(fd, buf, sizeof(buf), 0);
		close(fd);
		done(0);
	} else if (!strcmp(mode, "wait-eof")) {
		/* Never answer; close once the client has given up. */
		int err = read_to_end(fd);

		close(fd);
		done(err);
	} else if (!strcmp(mode, "linger0")) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		recv(fd, buf, sizeof(buf), 0);
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			die("SO_LINGER");
		close(fd);
		done(0);
	} else if (!strcmp(mode, "unread-close")) {
		/* Closing with unread data makes the kernel send an RST. */
		wait_readable(fd);
		usleep(100 * 1000);
		close(fd);
		done(0);
	} else if (!strcmp(mode, "close")) {
		/* Close at once, as a server closes an idle keep-alive connection. */
		close(fd);
		done(0);
	} else if (!strcmp(mode, "hold")) {
		done(read_to_end(fd));
	} else if (!strcmp(mode, "sink")) {
		/* Never read: the window closes and the sender probes it. */
		for (;;)
			pause();
	} else if (!strcmp(mode, "stream")) {
		memset(buf, 'x', sizeof(buf));
		for (;;) {
			n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL);
			if (n < 0)
				done(errno);
		}
	}
	usage();
}

/* Fill the peer's window; say "stalled" once nothing has moved for 500 ms. */
static int fill(int fd)
{
	char buf[65536];
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	memset(buf, 'y', sizeof(buf));
	for (;;) {
		int r = poll(&p, 1, 500);

		if (r == 0)
			break;
		if (r < 0 && errno != EINTR)
			return errno;
		if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
			return errno;
	}
	say("stalled");
	for (;;)
		if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) < 0)
			return errno;
}

static void run_client(struct sockaddr_storage *ss, socklen_t len, const char *mode, bool keepalive,
		       int delay_ms)
{
	struct sockaddr_storage any;
	int fd = socket(ss->ss_family, SOCK_STREAM, 0), err;
	char buf[4096];
	ssize_t n;

	if (fd < 0)
		die("socket");
	/* Bind first so the local port is known even when connect() fails. */
	memset(&any, 0, sizeof(any));
	any.ss_family = ss->ss_family;
	if (bind(fd, (struct sockaddr *)&any, ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
									 : sizeof(struct sockaddr_in)))
		die("bind");
	if (keepalive)
		set_keepalive(fd);
	err = connect(fd, (struct sockaddr *)ss, len) ? errno : 0;
	say("connected pid=%d lport=%u", getpid(), local_port(fd));
	if (err) {
		close(fd);
		done(err);
	}
	wait_to_act(delay_ms);

	if (!strcmp(mode, "connect")) {
		close(fd);
		done(0);
	} else if (!strcmp(mode, "request")) {
		if ((err = write_all(fd, REQUEST, strlen(REQUEST))))
			done(err);
		n = recv(fd, buf, sizeof(buf), 0);
		err = n < 0 ? errno : 0;
		close(fd);
		if (n == 0) {
			say("done result=eof");
			exit(0);
		}
		done(err);
	} else if (!strcmp(mode, "send-close")) {
		err = write_all(fd, REQUEST, strlen(REQUEST));
		close(fd);
		done(err);
	} else if (!strcmp(mode, "hold")) {
		/* After a wait, send a request if asked to (--delay or --after-signal) and wait for the end. */
		if (delay_ms && (err = write_all(fd, REQUEST, strlen(REQUEST))))
			done(err);
		err = read_to_end(fd);
		done(err);
	} else if (!strcmp(mode, "fill")) {
		done(fill(fd));
	}
	usage();
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	bool keepalive = false;
	int delay_ms = 0;
	sigset_t usr1;
	socklen_t len;

	if (argc < 5)
		usage();
	for (int i = 5; i < argc; i++) {
		if (!strcmp(argv[i], "--keepalive"))
			keepalive = true;
		else if (!strcmp(argv[i], "--delay") && i + 1 < argc)
			delay_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--after-signal"))
			delay_ms = AFTER_SIGNAL;
		else
			usage();
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Blocked from the start: a SIGUSR1 sent before sigwait() waits for it. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	len = parse_addr(argv[2], argv[3], &ss);
	if (!strcmp(argv[1], "server"))
		run_server(&ss, len, argv[4], keepalive, delay_ms);
	else if (!strcmp(argv[1], "client"))
		run_client(&ss, len, argv[4], keepalive, delay_ms);
	usage();
}
