/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What this kernel offers, asked once at start-up so that every optional
 * hook is chosen (or dropped with a warning) before anything is loaded.
 */
#ifndef TF_FEATURES_H
#define TF_FEATURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * How the periodic scan walks the connection table: an iterator over its
 * elements (5.9+), reading sockets with direct loads (6.2+) or probe reads;
 * where map element iterators are refused, a program userspace runs over it
 * (syscall programs 5.14+, bpf_loop 5.17+); or not at all.
 */
enum tf_scan_kind {
	TF_SCAN_NONE,
	TF_SCAN_ITER_DIRECT,
	TF_SCAN_ITER_PROBE,
	TF_SCAN_RUN,
};

struct tf_features {
	char release[65];            /* uname -r */
	bool privileged;             /* effective CAP_BPF + CAP_PERFMON, or CAP_SYS_ADMIN */
	bool has_btf;                /* /sys/kernel/btf/vmlinux */
	bool has_atomics;            /* BPF atomic exchange (5.12): the floor */
	int send_reset_args;         /* tcp_send_reset arguments: 3 since 6.10 (reason), 2 before, -1 absent */
	bool has_receive_reset;
	bool has_error_report;       /* inet_sk_error_report, 5.15+ */
	bool has_timer_expire;
	uint64_t keepalive_timer_fn; /* 0: not visible in /proc/kallsyms */
	bool has_io_tracepoints;     /* sock_send_length / sock_recv_length (6.3+) */
	/* Without them, owners of accepted connections come from (probed only then): */
	bool has_accept_fexit;       /* fexit on inet_csk_accept, where the kernel allows fexit */
	bool has_rcv_space_tracepoint; /* tcp_rcv_space_adjust (a receive that copied data): only without fexit */
	bool has_rdonly_cast;        /* the bpf_rdonly_cast kfunc (6.2+): cheap reads in the scan */
	enum tf_scan_kind scan;      /* how open connections are scanned */
	unsigned int config_hz;      /* CONFIG_HZ from the kernel's config; 0: not readable (measured after load) */
};

/* "by iterator, direct reads", "by iterator, probe reads", "by a program tcpfate runs", "never". */
const char *tf_scan_kind_name(enum tf_scan_kind kind);
/* CONFIG_HZ=N from a kernel config file, plain or gzip (/boot/config-*, /proc/config.gz); 0 if none. */
unsigned int tf_kernel_config_hz(const char *path);
/* A measured HZ (jiffies per second) rounded to the value the kernel was configured with. */
unsigned int tf_round_hz(double measured);
/* Fills k; never fails (missing things are recorded as missing). */
void tf_features_probe(struct tf_features *k);
/* Exposed for tests: is the CapEff mask enough to load and attach tracing programs? */
bool tf_caps_allow_bpf(uint64_t cap_eff);
/* Exposed for tests: parse one kallsyms-formatted stream for `name`. */
uint64_t tf_kallsyms_find(FILE *in, const char *name);

#endif
