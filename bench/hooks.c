// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * hooks: attach empty programs to every tracepoint tcpfate uses and wait for
 * SIGINT or SIGTERM.  Prints "hooks: ready (N attached)" on stderr once
 * attached.  The benchmark runs it as the `empty-hooks` tracer.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "hooks.skel.h"

static volatile sig_atomic_t stop_now;

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct hooks_bpf *skel;
	struct bpf_program *prog;
	int attached = 0, err;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	skel = hooks_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "hooks: cannot load the empty programs: %s\n", strerror(errno));
		return 1;
	}
	err = hooks_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "hooks: cannot attach the empty programs: %s\n", strerror(-err));
		hooks_bpf__destroy(skel);
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
		attached++;
	fprintf(stderr, "hooks: ready (%d attached)\n", attached);
	while (!stop_now)
		pause();
	hooks_bpf__destroy(skel);
	return 0;
}
