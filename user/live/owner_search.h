/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * When to look for the owners of connections that have none.  An accepted
 * socket learns its owner from its first read or write; one whose server never
 * does either (the CLOSE_WAIT leak is exactly that) is found in some
 * process's open files instead, by a walk of every process's descriptors.
 * That walk costs time on hosts with many open files, so it is planned here
 * (pure: times come from the caller).
 *
 * A socket seen without an owner is looked for at the next scan, not at once:
 * a scan often runs between the handshake and the accept() that hands the
 * socket out, and then no process holds it yet.  While some stay ownerless
 * (a server slow to accept, a socket never accepted) the walk is repeated
 * with doubling gaps, starting again from the shortest gap when a new
 * ownerless socket appears.
 */
#ifndef TF_OWNER_SEARCH_H
#define TF_OWNER_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tcpfate.h"

#define TF_OWNER_SEARCH_MAX_GAP_NS (64ULL * 1000000000ULL)

struct tf_owner_search {
	uint64_t seen_to;     /* ownerless sockets with cookies up to this one have been planned for */
	uint64_t first_gap_ns;
	uint64_t gap_ns;      /* between the last walk and the next retry */
	uint64_t retry_at_ns; /* the next retry, while some stay ownerless */
	bool ownerless;       /* the last scan saw connections with no owner */
	bool due;             /* a new ownerless connection: walk before the next scan */
};

void tf_owner_search_init(struct tf_owner_search *o, uint64_t first_gap_ns);
/* After a scan: note whether samples[] hold sockets with no owner, and new ones. */
void tf_owner_search_plan(struct tf_owner_search *o, const struct tf_open_sample *samples, size_t n);
/* Before a scan: is a walk due?  If so it counts as done at now_ns. */
bool tf_owner_search_take(struct tf_owner_search *o, uint64_t now_ns);

#endif
