/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Live warnings about connections that are still open: the slow failures
 * that never produce an error.  Fed one scan of open connections at a time
 * (pure: times come from the samples), it reports each episode once when it
 * has lasted long enough, and once more when it ends.
 */
#ifndef TF_WARNINGS_H
#define TF_WARNINGS_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/cookie_index.h"
#include "tcpfate.h"

enum tf_warn_kind {
	TF_WARN_STALLED,        /* the application stopped reading, data waits */
	TF_WARN_CLOSE_WAIT,     /* the peer closed, the application has not */
	TF_WARN_RETRANSMITTING, /* in RTO backoff */
	TF_WARN_ZERO_WINDOW,    /* the peer stopped reading: we cannot send */
	TF_WARN_COUNT,
};

struct tf_warning {
	enum tf_warn_kind kind;
	bool ended;      /* false: the episode has lasted long enough; true: it is over */
	bool closed;     /* ended because the connection ended (else: the condition cleared) */
	uint64_t since_ns;
	uint64_t at_ns;
	const struct tf_open_sample *sample; /* the latest look at the connection */
};

typedef void (*tf_warning_fn)(const struct tf_warning *w, void *ctx);

struct tf_warnings_entry {
	struct tf_open_sample last;
	uint64_t since[TF_WARN_COUNT]; /* 0: condition not holding */
	uint32_t warned;               /* bit per kind: a warning went out */
	bool missing;                  /* not in the last scan: ended, unless its close comes */
};

struct tf_warnings_table {
	struct tf_warnings_entry *entries;
	size_t n, cap;
	struct cookie_index index;
};

struct tf_warnings {
	uint64_t after_ns[TF_WARN_COUNT]; /* how long a condition lasts before a warning */
	struct tf_warnings_table table[2];   /* [cur]: the last scan */
	int cur;
	uint64_t active[TF_WARN_COUNT];   /* warned episodes open now (gauges) */
	uint64_t dropped;                 /* connections not watched: no memory */
};

void tf_warnings_init(struct tf_warnings *w, const uint64_t after_ns[TF_WARN_COUNT]);
void tf_warnings_free(struct tf_warnings *w);
/* One scan: samples[] are every connection worth a look right now, at time now_ns. */
void tf_warnings_scan(struct tf_warnings *w, const struct tf_open_sample *samples, size_t n, uint64_t now_ns,
		   tf_warning_fn fn, void *ctx);
/* The connection ended: its open episodes end now, as closed. */
void tf_warnings_closed(struct tf_warnings *w, uint64_t cookie, uint64_t now_ns, tf_warning_fn fn, void *ctx);
const char *tf_warn_kind_name(enum tf_warn_kind kind);

#endif
