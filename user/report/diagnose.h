/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Which timeout did it: failures grouped by fate and endpoint, the value
 * their timings cluster at, and the setting that value matches — the
 * kernel's SYN, retransmission and keepalive budgets, or a server's or
 * client's own timeout (with the well-known defaults named).  Pure: rows in,
 * diagnoses out; never from fewer than TF_DIAG_MIN_CLUSTER connections.
 */
#ifndef TF_DIAGNOSE_H
#define TF_DIAGNOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "classify.h"

struct tf_row;

#define TF_DIAG_MAX 16
#define TF_DIAG_MIN_CLUSTER 3
/*
 * An ok connection whose peer closed it after this long without data either
 * way was closed by the peer's idle (keep-alive) timeout: evidence for a
 * diagnosis, so the recording keeps it as a row (not in a rollup) and the
 * live summary keeps its timings.
 */
#define TF_DIAG_IDLE_MS 1000.0

/* label: enum tf_label; fin_idle_ms: from the last data to the peer's FIN, NAN when no FIN came. */
static inline bool tf_diag_idle_close(int label, double fin_idle_ms)
{
	return label == TF_LABEL_OK && fin_idle_ms >= TF_DIAG_IDLE_MS;
}

/*
 * This side reset a connection by closing it with data it had received and
 * not read: an application that stopped reading (a response body never
 * consumed), closed by its own timeout or after the peer's.
 */
static inline bool tf_diag_unread_close(int label, const char *cause, const char *rst_reason)
{
	return label == TF_LABEL_RESET && cause && !strcmp(cause, "local") && rst_reason &&
	       !strcmp(rst_reason, "TCP_ABORT_ON_CLOSE");
}

#define TF_DIAG_EXAMPLES 3

/* A connection of a diagnosis's cluster, to find it elsewhere (application logs, a capture). */
struct tf_diag_example {
	double ts_end;        /* Unix seconds */
	double value_ms;      /* its timing, the one the cluster is of */
	int64_t pid;          /* 0: unknown */
	int sport, dport;
	char saddr[46], daddr[46];
};

struct tf_diagnosis {
	char group[320];      /* "syn-timeout / syn-retries to 10.0.0.5:8080 from curl" */
	char finding[256];    /* what the timings show */
	char match[384];      /* the setting they match, and whether it was read or inferred */
	char advice[256];
	size_t count, total;  /* connections in the cluster / in the group */
	double median_ms, lo_ms, hi_ms;
	const char *confidence; /* "high" (>= 5, >= 80 % of the group) or "medium" (>= 3, >= 50 %) */
	struct tf_diag_example examples[TF_DIAG_EXAMPLES]; /* the cluster's first ends */
	size_t n_examples;
};

/* The diagnoses of rows[0..n), most connections first; returns how many were written to out. */
size_t tf_diagnose(const struct tf_row *rows, size_t n, struct tf_diagnosis *out, size_t max);

/*
 * Exposed for tests.  The densest cluster of values (sorted here): the
 * widest run whose spread is within max(40 ms, 2 % of its values).  Returns
 * its size (0 below min_count) and its bounds and median.
 */
size_t tf_cluster(double *v, size_t n, size_t min_count, double *lo, double *hi, double *median);
/* The kernel's retransmission budget for tcp_retries2 = r (TCP_RTO_MIN 200 ms, RTO at most 120 s). */
double tf_retries2_budget_ms(int r);
/*
 * When the kernel aborts unanswered data for tcp_retries2 = r, from the first
 * transmission, the RTO starting at rto0; tail_probe: a tail loss probe was
 * the first retransmission.
 */
double tf_retries2_abort_ms(int r, double rto0, bool tail_probe);
/* The kernel's SYN budget for tcp_syn_retries = n (initial RTO 1 s, doubling). */
double tf_syn_budget_ms(int n);
/*
 * When the kernel gives up on a connect for tcp_syn_retries = n and
 * tcp_syn_linear_timeouts = linear (0 before 6.5), from the first SYN, and
 * how many retransmits it sent by then.
 */
double tf_syn_abort_ms(int n, int linear, int *retransmits);

#endif
