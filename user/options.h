/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Command-line options of the live monitor, parsed without side effects. */
#ifndef TF_OPTIONS_H
#define TF_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include "filter.h"
#include "watch.h"

struct tf_options {
	struct tf_filter filter;
	bool json;
	bool help;
	bool version;
	bool quiet;              /* no per-connection lines, only the summary */
	bool no_existing;        /* skip adopting connections that predate start-up */
	bool verbose;            /* libbpf's own messages (verifier logs) on stderr */
	uint32_t duration_s;     /* 0: until a signal */
	uint32_t interval_ms;    /* how often the ring buffer is drained */
	uint32_t ring_mb;        /* ring buffer size */
	uint32_t owner_slots;    /* accept() owners in flight */
	const char *output;      /* append output here instead of stdout */
	const char *metrics;     /* [ADDR:]PORT to serve /metrics on; NULL: off */
	uint32_t metrics_top;    /* remote endpoints and processes with their own series */
	uint32_t scan_interval_ms;            /* look at open connections this often; 0: no warnings */
	uint32_t warn_after_ms[TF_WARN_COUNT]; /* how long a condition lasts before a warning */
};

/*
 * Parses argv into opts (defaults first).  On error returns -1 and writes a
 * one-line message (no trailing newline) into err.
 */
int tf_options_parse(struct tf_options *opts, int argc, char **argv, char *err, size_t err_len);
void tf_options_usage(FILE *out);

#endif
