// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * churn: a loopback TCP connection-churn load with an exact count.
 *
 *   churn [--mode cac|rr|refused] [--workers N] [--duration SECS | --count N]
 *         [--addr IP] [--port P] [--hold N]
 *
 * cac      connect, accept, close (the server closes first, so TIME_WAIT stays
 *          on the server side and client ports never run out)
 * rr       connect, 64-byte request, 64-byte response, close
 *
 * Each worker is one thread that plays both ends through its own listener
 * (port + worker number): on loopback connect() completes inline, so the
 * whole life of a connection runs without a sleep or a context switch, and
 * the rate measures the kernel's TCP path (and a tracer's cost on it).
 * refused  connect to a port nobody listens on
 * --hold N keeps N idle connections open for the whole run (cost vs. open
 *          connections; memory with many connections)
 * --hold-only  only hold them, until killed (prints "holding N" when ready)
 * --spread N   refused: connect to N consecutive ports (a port scan)
 *
 * Prints one line: mode=... connections=N seconds=S rate=R p50_us=.. p99_us=..
 * where connections counts completed connections exactly (refused: attempts
 * that got ECONNREFUSED) and latency is per connection (rr: per request).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#define MAX_WORKERS 64
#define BUCKETS 512      /* latency histogram: 16 linear sub-buckets per power of two, in ns */

enum mode { MODE_CAC, MODE_RR, MODE_REFUSED };

static struct {
	enum mode mode;
	int workers;
	double duration;
	uint64_t count;
	struct in_addr addr;
	int port;
	int hold;
	bool hold_only;
	int spread; /* refused: spread connects over this many ports (a port scan) */
} cfg = { .mode = MODE_CAC, .workers = 2, .duration = 5, .port = 18000 };

static atomic_bool stop_now;
static atomic_uint_fast64_t started;

struct worker {
	pthread_t thread;
	int port;
	int listener;
	uint64_t done;
	uint64_t failed;
	uint64_t hist[BUCKETS];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int bucket_of(uint64_t ns)
{
	int log, sub;

	if (ns < 16)
		return (int)ns;
	log = 63 - __builtin_clzll(ns);
	sub = (int)((ns >> (log - 4)) & 15);
	return (log - 3) * 16 + sub < BUCKETS ? (log - 3) * 16 + sub : BUCKETS - 1;
}

static uint64_t bucket_value(int b)
{
	int log = b / 16 + 3, sub = b % 16;

	if (b < 16)
		return (uint64_t)b;
	return ((uint64_t)(16 + sub)) << (log - 4);
}

static struct sockaddr_in target(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = cfg.addr };

	return sa;
}

static int listener(int port)
{
	struct sockaddr_in sa = target(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4096)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool take_one(void)
{
	if (atomic_load(&stop_now))
		return false;
	if (cfg.count && atomic_fetch_add(&started, 1) >= cfg.count)
		return false;
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_in sa = target(w->port);
	char buf[64] = "tcpfate churn request";
	uint64_t n = 0;

	while (take_one()) {
		if (cfg.spread > 1)
			sa.sin_port = htons((uint16_t)(w->port + (int)(n++ % (uint64_t)cfg.spread)));
		uint64_t t0 = now_ns(), t1;
		int fd = socket(AF_INET, SOCK_STREAM, 0), peer = -1;
		bool ok = false;

		if (fd < 0) {
			w->failed++;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			ok = cfg.mode == MODE_REFUSED && errno == ECONNREFUSED;
		} else if ((peer = accept(w->listener, NULL, NULL)) >= 0) {
			if (cfg.mode == MODE_RR)
				ok = write(fd, buf, sizeof(buf)) == sizeof(buf) &&
				     read(peer, buf, sizeof(buf)) == sizeof(buf) &&
				     write(peer, buf, sizeof(buf)) == sizeof(buf);
			else
				ok = true;
			close(peer); /* the server closes first */
			if (cfg.mode == MODE_RR)
				ok = ok && read(fd, buf, sizeof(buf)) == sizeof(buf);
			ok = ok && read(fd, buf, sizeof(buf)) == 0;
		}
		close(fd);
		t1 = now_ns();
		if (ok) {
			w->done++;
			w->hist[bucket_of(t1 - t0)]++;
		} else {
			w->failed++;
		}
	}
	return NULL;
}

/*
 * Idle connections held for the whole run, by child processes: both ends of
 * each connection are descriptors, and one process may not have enough.
 * Each child listens on its own port, connects its share, accepts it, and
 * waits for the end of the run (it dies with the parent).
 */
#define HOLD_PER_CHILD 4000

static _Noreturn void hold_child(int port, int n, int ready_fd)
{
	struct sockaddr_in sa = target(port);
	int lfd = listener(port);
	char ok = 1;

	if (lfd < 0)
		ok = 0;
	for (int i = 0; ok && i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || accept(lfd, NULL, NULL) < 0) {
			fprintf(stderr, "churn: holding connection %d on port %d: %s\n", i, port, strerror(errno));
			ok = 0;
		}
	}
	(void)!write(ready_fd, &ok, 1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;)
		pause();
}

static int hold_connections(int n)
{
	int children = (n + HOLD_PER_CHILD - 1) / HOLD_PER_CHILD, pipefd[2];

	if (pipe(pipefd))
		return -1;
	for (int c = 0; c < children; c++) {
		int share = n - c * HOLD_PER_CHILD < HOLD_PER_CHILD ? n - c * HOLD_PER_CHILD : HOLD_PER_CHILD;
		pid_t pid = fork();

		if (pid < 0)
			return -1;
		if (pid == 0)
			hold_child(cfg.port + MAX_WORKERS + c, share, pipefd[1]);
	}
	for (int c = 0; c < children; c++) {
		char ok = 0;

		if (read(pipefd[0], &ok, 1) != 1 || !ok)
			return -1;
	}
	return 0;
}

static void usage(void)
{
	fputs("usage: churn [--mode cac|rr|refused] [--workers N] [--duration SECS | --count N]"
	      " [--addr IP] [--port P] [--hold N [--hold-only]] [--spread N]\n", stderr);
	exit(2);
}

static void parse(int argc, char **argv)
{
	inet_pton(AF_INET, "127.0.0.1", &cfg.addr);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--hold-only")) {
			cfg.hold_only = true;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--mode"))
			cfg.mode = !strcmp(v, "rr") ? MODE_RR : !strcmp(v, "refused") ? MODE_REFUSED
				 : !strcmp(v, "cac")                              ? MODE_CAC
											  : (usage(), MODE_CAC);
		else if (!strcmp(a, "--workers"))
			cfg.workers = atoi(v);
		else if (!strcmp(a, "--duration"))
			cfg.duration = atof(v);
		else if (!strcmp(a, "--count"))
			cfg.count = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--addr")) {
			if (inet_pton(AF_INET, v, &cfg.addr) != 1)
				usage();
		} else if (!strcmp(a, "--port"))
			cfg.port = atoi(v);
		else if (!strcmp(a, "--hold"))
			cfg.hold = atoi(v);
		else if (!strcmp(a, "--spread"))
			cfg.spread = atoi(v);
		else
			usage();
	}
	if (cfg.workers < 1 || cfg.workers > MAX_WORKERS || cfg.duration <= 0 || cfg.hold < 0)
		usage();
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_WORKERS];
	uint64_t total = 0, failed = 0, hist[BUCKETS] = { 0 }, seen = 0, t0, t1;
	struct rlimit nofile;
	double p50 = 0, p99 = 0, secs;

	parse(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	/* Held connections live in child processes; raise the soft limit for them anyway. */
	if (!getrlimit(RLIMIT_NOFILE, &nofile)) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	for (int i = 0; i < cfg.workers && !cfg.hold_only; i++) {
		workers[i].port = cfg.port + i;
		workers[i].listener = cfg.mode == MODE_REFUSED ? -1 : listener(workers[i].port);
		if (cfg.mode != MODE_REFUSED && workers[i].listener < 0) {
			fprintf(stderr, "churn: listen on port %d: %s\n", workers[i].port, strerror(errno));
			return 1;
		}
	}
	if (cfg.hold && hold_connections(cfg.hold)) {
		fprintf(stderr, "churn: cannot hold %d connections\n", cfg.hold);
		return 1;
	}
	if (cfg.hold_only) {
		printf("holding %d\n", cfg.hold);
		fflush(stdout);
		for (;;)
			pause();
	}

	t0 = now_ns();
	for (int i = 0; i < cfg.workers; i++)
		pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]);
	if (!cfg.count) {
		struct timespec d = { (time_t)cfg.duration,
				      (long)((cfg.duration - (double)(time_t)cfg.duration) * 1e9) };
		nanosleep(&d, NULL);
		atomic_store(&stop_now, true);
	}
	for (int i = 0; i < cfg.workers; i++) {
		pthread_join(workers[i].thread, NULL);
		total += workers[i].done;
		failed += workers[i].failed;
		for (int b = 0; b < BUCKETS; b++)
			hist[b] += workers[i].hist[b];
	}
	t1 = now_ns();
	secs = (double)(t1 - t0) / 1e9;
	for (int b = 0; b < BUCKETS && total; b++) {
		seen += hist[b];
		if (!p50 && seen * 2 >= total)
			p50 = (double)bucket_value(b) / 1000;
		if (!p99 && seen * 100 >= total * 99)
			p99 = (double)bucket_value(b) / 1000;
	}
	/* CPU the load itself spent per connection, kernel included (where a tracer's hooks run). */
	struct rusage ru;
	double cpu_us = 0;

	if (!getrusage(RUSAGE_SELF, &ru) && total)
		cpu_us = ((double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec) * 1e6 +
			 (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec;
	printf("mode=%s connections=%llu failed=%llu seconds=%.3f rate=%.0f p50_us=%.1f p99_us=%.1f cpu_us_per_conn=%.2f\n",
	       cfg.mode == MODE_RR ? "rr" : cfg.mode == MODE_REFUSED ? "refused" : "cac",
	       (unsigned long long)total, (unsigned long long)failed, secs, (double)total / secs, p50, p99,
	       total ? cpu_us / (double)total : 0);
	fflush(stdout);
	/* Listeners and held connections end with the process. */
	_exit(failed ? 3 : 0);
}
