/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The recording's ok connections, counted instead of kept one by one: per
 * second of their end and per (cause, process, direction, remote address,
 * service port, network namespace, cgroup), with their byte totals and
 * their lifetimes and connect times as histograms (lib/ms_hist.h).  That is
 * every key a report counts by, so its totals, failure rates by endpoint,
 * process and service, timelines and bursts come out the same as from one row
 * per connection.  Pure bookkeeping: the SQL is in rollup_table.c.
 */
#ifndef TF_OK_ROLLUP_H
#define TF_OK_ROLLUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/ms_hist.h"
#include "output/conn_view.h"

struct tf_ok_key {
	int64_t second;      /* Unix second of the end: a group never straddles one */
	uint64_t cgroup_id;
	const char *cause;   /* the classifier's own string: equal causes, equal pointers */
	uint32_t pid, netns;
	uint16_t port;       /* the service's port: the remote one going out, the local one coming in */
	uint8_t family, direction;
	uint8_t daddr[16];   /* the remote address */
	char comm[16];
};

struct tf_ms_bins {
	struct tf_ms_hist_bin *v; /* increasing index */
	size_t n, cap;
};

struct tf_ok_group {
	struct tf_ok_key key;
	uint64_t count, rx_bytes, tx_bytes, retrans;
	int64_t first_wall_ns, last_wall_ns; /* the first and last end in the group */
	double duration_max_ms, connect_max_ms; /* NAN when none known */
	struct tf_ms_bins duration, connect;
};

struct tf_ok_rollup {
	struct tf_ok_group *groups;
	size_t n, cap;
	uint32_t *slots; /* open addressing: group index + 1, 0 empty */
	size_t n_slots;
};

/* Counts one ok connection; -1 when memory ran out (the caller keeps it as a row instead). */
int tf_ok_rollup_add(struct tf_ok_rollup *ro, const struct tf_conn_view *v);
/* Forgets the groups (after they were written); the memory is kept for the next ones. */
void tf_ok_rollup_clear(struct tf_ok_rollup *ro);
/*
 * Groups of seconds before `second` are complete (a late record only starts
 * another group): the writer writes them, then forgets them and keeps the rest.
 */
uint64_t tf_ok_rollup_count_before(const struct tf_ok_rollup *ro, int64_t second); /* their connections */
void tf_ok_rollup_forget_before(struct tf_ok_rollup *ro, int64_t second);
void tf_ok_rollup_free(struct tf_ok_rollup *ro);

#endif
