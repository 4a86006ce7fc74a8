/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Command-line options of the live monitor, parsed without side effects. */
#ifndef TF_OPTIONS_H
#define TF_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include "live/filter.h"
#include "live/warnings.h"

struct tf_options {
	struct tf_filter filter;
	bool json;
	bool help;
	bool version;
	bool quiet;              /* no per-connection lines, only the summary */
	bool show_identity;      /* --identity: a SERVICE column in text lines */
	bool no_existing;        /* skip adopting connections that predate start-up */
	bool verbose;            /* libbpf's own messages (verifier logs) on stderr */
	uint32_t duration_s;     /* 0: until a signal */
	uint32_t interval_ms;    /* how often the ring buffer is drained */
	uint32_t ring_mb;        /* ring buffer size */
	uint32_t keepalive_slots; /* sockets with keepalive facts in flight (LRU) */
	uint32_t max_tracked;    /* sockets followed at once (the kernel's hash map) */
	const char *output;      /* append output here instead of stdout */
	const char *user;        /* become this user once attached */
	const char *host_root;   /* where the host's / is, for runtime names; NULL: / */
	const char *record;      /* SQLite recording; NULL: off */
	uint64_t max_age_s;      /* recording retention by age; 0: keep */
	uint64_t max_size_bytes; /* recording retention by size; 0: no limit */
	bool record_ok_full;     /* --record-ok full: a row per ok connection, not rollups */
	bool record_ok_given;
	const char *metrics;     /* [ADDR:]PORT to serve /metrics on; NULL: off */
	uint32_t metrics_top;    /* remote endpoints and processes with their own series */
	bool metrics_identity;   /* --metrics-identity: units and containers too (same cap) */
	uint32_t scan_interval_ms;            /* look at open connections this often; 0: no warnings */
	uint32_t warn_after_ms[TF_WARN_COUNT]; /* how long a condition lasts before a warning */
};

/*
 * Parses argv into opts (defaults first).  On error returns -1 and writes a
 * one-line message (no trailing newline) into err.
 */
int tf_options_parse(struct tf_options *opts, int argc, char **argv, char *err, size_t err_len);
void tf_options_usage(FILE *out);
/*
 * The options the live monitor and `tcpfate report` share, parsed one way.
 * Each returns 0, or -1 with a one-line message in err.
 */
int tf_option_pid(const char *arg, uint32_t *pids, int *n_pids, char *err, size_t err_len);
int tf_option_comm(const char *arg, char comm[TF_COMM_LEN], char *err, size_t err_len);
int tf_option_output(const char *arg, const char **output, char *err, size_t err_len);
/* getopt_long's ':' (missing value) and '?' (unknown option), said the same way by both. */
int tf_option_getopt_error(int c, char **argv, const char *help, char *err, size_t err_len);
/* Resets getopt for a fresh parse (bundles like -xj from a previous parse included). */
void tf_option_getopt_reset(void);

/* "90", "90s", "15m", "12h", "7d" -> seconds; -1 when it is none of those (or 0). */
int64_t tf_parse_duration(const char *s);
/* "500000", "64K", "100M", "2G" -> bytes; -1 when it is none of those (or 0). */
int64_t tf_parse_size(const char *s);

#endif
