/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Closed connections held back for one drain cycle.  An abortive close sends
 * its RST, and some error paths report their errno, just after the socket's
 * move to CLOSE; those arrive as amend records and are merged here before
 * the connection is classified and printed.
 */
#ifndef TF_PENDING_H
#define TF_PENDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/cookie_index.h"
#include "tcpfate.h"

struct tf_batch {
	struct tf_record *recs;
	size_t n, cap;
	struct cookie_index index;
};

struct tf_pending {
	struct tf_batch batch[2]; /* [cur] fills, [!cur] waits out its cycle */
	int cur;
	/*
	 * Amends read before their CLOSE: each CPU has its own ring, and a late
	 * fact on one CPU can be read before the CLOSE another CPU wrote just
	 * before it.  Both are read in the same drain; matched at its end.
	 */
	struct tf_record *early;
	size_t n_early, cap_early;
	uint64_t orphan_amends;   /* amends for connections no longer held */
};

typedef void (*tf_record_fn)(const struct tf_record *rec, void *ctx);

void tf_pending_init(struct tf_pending *p);
void tf_pending_free(struct tf_pending *p);
/* Returns 0, or -1 when memory ran out (the record is then handed on at once). */
int tf_pending_add(struct tf_pending *p, const struct tf_record *rec);
/*
 * Merges an amend into the held record with its cookie, or keeps it until
 * the end of the drain (tf_pending_rotate) when that record is not read yet.
 * False if it could not be kept (out of memory): then it is counted lost.
 */
bool tf_pending_amend(struct tf_pending *p, const struct tf_record *amend);
/*
 * At the end of a drain: merges the early amends, then releases the records
 * that waited a full cycle, in the order they ended.
 */
void tf_pending_rotate(struct tf_pending *p, tf_record_fn fn, void *ctx);
/* Releases everything (at exit). */
void tf_pending_drain(struct tf_pending *p, tf_record_fn fn, void *ctx);
/* The merge rule itself: what a late RST or error adds to a CLOSE record. */
void tf_record_apply_amend(struct tf_record *rec, const struct tf_record *amend);

#endif
