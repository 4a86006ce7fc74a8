/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The Prometheus metrics: counters and histograms fed by every ended
 * connection, gauges refreshed each drain cycle, rendered in the text
 * exposition format.  The event loop and the HTTP thread share it under one
 * mutex, held for a counter update or for rendering into memory, never for
 * network I/O.
 */
#ifndef TF_METRICS_H
#define TF_METRICS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include "output/conn_view.h"
#include "tcpfate.h"
#include "live/warnings.h"

#define TF_METRIC_BUCKETS 16
#define TF_METRIC_MAX_SERIES 64  /* label x cause x direction combinations seen */
#define TF_METRIC_RST_REASONS 64
#define TF_METRIC_OTHER "other"

struct tf_histogram {
	uint64_t counts[TF_METRIC_BUCKETS]; /* per bucket, not cumulative */
	uint64_t count;
	double sum;
};

struct tf_closed_series {
	enum tf_label label;
	const char *cause;
	const char *direction;
	uint64_t value;
};

/* A bounded set of label values (remote endpoints, processes): the first `cap` seen, then "other". */
struct tf_top {
	char (*keys)[64];
	uint64_t (*per_label)[TF_LABEL_COUNT];
	size_t n, cap;
	uint64_t other[TF_LABEL_COUNT];
};

struct tf_health {
	uint64_t kernel[TF_STAT_MAX];
	uint64_t late_facts_lost;
	uint64_t hook_runs_skipped;
	uint64_t records_dropped;      /* by the recorder, when recording */
	uint64_t tracked_now;
	double ring_fill;               /* 0..1 */
	uint64_t warnings_total[TF_WARN_COUNT];
	uint64_t warnings_active[TF_WARN_COUNT];
};

struct tf_metrics {
	pthread_mutex_t lock;
	struct tf_closed_series closed[TF_METRIC_MAX_SERIES];
	size_t n_closed;
	struct tf_histogram connect[TF_LABEL_COUNT];
	struct tf_histogram lifetime[TF_LABEL_COUNT];
	struct tf_histogram failure[TF_LABEL_COUNT];
	uint64_t syn_retrans, retrans, keepalive_probes, zero_window_probes;
	/* RSTs sent, by reason name ("unknown" when none), in the order first seen. */
	struct {
		const char *reason; /* a literal, or a kernel name alive until exit */
		uint64_t count;
	} rst_sent[TF_METRIC_RST_REASONS + 1];
	size_t n_rst_reasons;
	uint64_t rst_received;
	struct tf_health health;
	struct tf_top remotes, processes; /* cap 0: per-endpoint series off */
	struct tf_top units, containers;  /* --metrics-identity; cap 0: off */
	const char *version;
};

/*
 * top_n: how many remote endpoints and processes get their own series (0:
 * none); with `identity`, as many systemd units and containers too.
 */
int tf_metrics_init(struct tf_metrics *m, size_t top_n, bool identity, const char *version);
void tf_metrics_free(struct tf_metrics *m);
void tf_metrics_observe(struct tf_metrics *m, const struct tf_conn_view *v);
void tf_metrics_set_health(struct tf_metrics *m, const struct tf_health *h);
/* Renders the text exposition format into a malloc'd buffer; returns its length, or -1. */
long tf_metrics_render(struct tf_metrics *m, char **out);
/* Bucket upper bounds in seconds (exposed for tests). */
extern const double tf_metric_bounds[TF_METRIC_BUCKETS];

#endif
