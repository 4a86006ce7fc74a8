// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* From rows to a report: totals, timeline, tops, distributions, bursts.  Pure. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"
#include "lib/grow.h"

#define MAX_BUCKETS 60

/* Timeline bucket widths a person reads easily; the first that fits the span in 60 buckets. */
static const double widths[] = { 1, 5, 10, 30, 60, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400 };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double percentile(const double *sorted, size_t n, double p)
{
	size_t i = (size_t)ceil(p * (double)n);

	return sorted[i ? i - 1 : 0];
}

/* Distribution of one field for one label. */
static void distribution(const struct tf_rows *rows, int label, size_t offset, struct tf_dist *d, double *scratch)
{
	size_t n = 0;

	for (size_t i = 0; i < rows->n; i++) {
		const struct tf_row *r = &rows->v[i];
		double v = *(const double *)((const char *)r + offset);

		if (r->label == label && !isnan(v))
			scratch[n++] = v;
	}
	memset(d, 0, sizeof(*d));
	if (!n)
		return;
	qsort(scratch, n, sizeof(*scratch), cmp_double);
	d->n = n;
	d->p50 = percentile(scratch, n, 0.50);
	d->p90 = percentile(scratch, n, 0.90);
	d->p99 = percentile(scratch, n, 0.99);
	d->max = scratch[n - 1];
}

/* The remote endpoint a connection failed against: the service we called, or the client that called us. */
static void endpoint_of(const struct tf_row *r, char *buf, size_t len)
{
	bool v6 = strchr(r->daddr, ':') != NULL;
	const char *host = r->host[0] ? r->host : NULL;

	if (!strcmp(r->direction, "in"))
		snprintf(buf, len, "%s%s%s (client of :%d)", host ? host : "", host ? " <- " : "", r->daddr, r->sport);
	else
		snprintf(buf, len, v6 ? "[%s]:%d" : "%s:%d", r->daddr, r->dport);
}

static void process_of(const struct tf_row *r, char *buf, size_t len)
{
	if (r->host[0])
		snprintf(buf, len, "%s %s", r->host, r->comm[0] ? r->comm : "?");
	else
		snprintf(buf, len, "%s", r->comm[0] ? r->comm : "?");
}

/*
 * The service a row's socket belonged to: its container (with its pod),
 * else its pod, else its systemd unit, else its cgroup path; "" when the
 * row has no identity (older recordings), and then it is not counted.
 */
static void service_of(const struct tf_row *r, char *buf, size_t len)
{
	char who[128];

	tf_identity_service(r->container_id, r->runtime, r->pod_uid, r->unit, r->cgroup, who, sizeof(who));
	if (who[0] && r->host[0])
		snprintf(buf, len, "%.63s %.94s", r->host, who);
	else
		snprintf(buf, len, "%s", who);
}

/* Counting per key with a growable table; keys are few compared with rows. */
struct counter {
	struct tf_group *g;
	size_t n, cap;
};

static struct tf_group *counter_get(struct counter *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->g[i].key, key))
			return &c->g[i];
	if (TF_GROW(c->g, c->cap, c->n + 1, 64))
		return NULL;
	memset(&c->g[c->n], 0, sizeof(c->g[c->n]));
	snprintf(c->g[c->n].key, sizeof(c->g[c->n].key), "%s", key);
	return &c->g[c->n++];
}

static int by_failures(const void *a, const void *b)
{
	const struct tf_group *x = a, *y = b;

	if (x->failures != y->failures)
		return x->failures < y->failures ? 1 : -1;
	return strcmp(x->key, y->key);
}

static size_t top_of(struct counter *c, struct tf_group *out)
{
	size_t n = 0;

	qsort(c->g, c->n, sizeof(*c->g), by_failures);
	for (size_t i = 0; i < c->n && n < TF_REPORT_TOP; i++)
		if (c->g[i].failures)
			out[n++] = c->g[i];
	free(c->g);
	return n;
}

static void dominant(const struct tf_rows *rows, double from, double to, struct tf_burst *b)
{
	struct counter eps = { 0 }, procs = { 0 };
	uint64_t labels[TF_LABEL_COUNT] = { 0 };
	char key[160];

	for (size_t i = 0; i < rows->n; i++) {
		const struct tf_row *r = &rows->v[i];
		struct tf_group *g;

		if (r->label == TF_LABEL_OK || r->ts_end < from || r->ts_end >= to)
			continue;
		labels[r->label]++;
		endpoint_of(r, key, sizeof(key));
		if ((g = counter_get(&eps, key)))
			g->failures++;
		process_of(r, key, sizeof(key));
		if ((g = counter_get(&procs, key)))
			g->failures++;
	}
	b->label = 1;
	for (int l = 1; l < TF_LABEL_COUNT; l++)
		if (labels[l] > labels[b->label])
			b->label = l;
	qsort(eps.g, eps.n, sizeof(*eps.g), by_failures);
	qsort(procs.g, procs.n, sizeof(*procs.g), by_failures);
	snprintf(b->endpoint, sizeof(b->endpoint), "%s", eps.n ? eps.g[0].key : "?");
	snprintf(b->process, sizeof(b->process), "%s", procs.n ? procs.g[0].key : "?");
	free(eps.g);
	free(procs.g);
}

/*
 * Bursts: timeline buckets whose failures stand well above the usual level
 * (the median bucket): at least 5, and three times the median plus three.
 * Neighbouring burst buckets are one burst.
 */
static void find_bursts(const struct tf_rows *rows, struct tf_report *rep)
{
	double *per = malloc(rep->n_buckets * sizeof(*per)), *sorted, median, threshold;
	size_t i = 0;

	sorted = malloc(rep->n_buckets * sizeof(*sorted));
	if (!per || !sorted)
		goto out;
	for (size_t b = 0; b < rep->n_buckets; b++) {
		per[b] = 0;
		for (int l = 0; l < TF_LABEL_COUNT; l++)
			per[b] += (double)rep->timeline[b][l];
		sorted[b] = per[b];
	}
	qsort(sorted, rep->n_buckets, sizeof(*sorted), cmp_double);
	median = sorted[rep->n_buckets / 2];
	threshold = fmax(5, 3 * median + 3);
	while (i < rep->n_buckets && rep->n_bursts < TF_REPORT_MAX_BURSTS) {
		size_t j = i;
		uint64_t failures = 0;

		if (per[i] < threshold) {
			i++;
			continue;
		}
		while (j < rep->n_buckets && per[j] >= threshold)
			failures += (uint64_t)per[j++];
		struct tf_burst *b = &rep->bursts[rep->n_bursts++];

		b->start = rep->first + (double)i * rep->bucket_s;
		b->end = rep->first + (double)j * rep->bucket_s;
		b->failures = failures;
		b->baseline = median;
		dominant(rows, b->start, b->end, b);
		i = j;
	}
out:
	free(per);
	free(sorted);
}

int tf_report_build(const struct tf_rows *rows, struct tf_report *rep)
{
	struct counter remotes = { 0 }, procs = { 0 }, services = { 0 }, hosts = { 0 };
	double span, *scratch;
	char key[160];

	memset(rep, 0, sizeof(*rep));
	rep->rows = rows->n;
	rep->since = rep->until = NAN;
	if (!rows->n)
		return 0;
	rep->first = rep->last = rows->v[0].ts_end;
	for (size_t i = 0; i < rows->n; i++) {
		rep->first = fmin(rep->first, rows->v[i].ts_end);
		rep->last = fmax(rep->last, rows->v[i].ts_end);
	}
	span = rep->last - rep->first;
	rep->bucket_s = widths[sizeof(widths) / sizeof(widths[0]) - 1];
	for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++)
		if (span / widths[w] < MAX_BUCKETS) {
			rep->bucket_s = widths[w];
			break;
		}
	/* Buckets start on a multiple of their width, as a person would draw them. */
	rep->first = floor(rep->first / rep->bucket_s) * rep->bucket_s;
	rep->n_buckets = (size_t)floor((rep->last - rep->first) / rep->bucket_s) + 1;
	rep->timeline = calloc(rep->n_buckets, sizeof(*rep->timeline));
	scratch = malloc(rows->n * sizeof(*scratch));
	if (!rep->timeline || !scratch) {
		free(scratch);
		return -1;
	}

	for (size_t i = 0; i < rows->n; i++) {
		const struct tf_row *r = &rows->v[i];
		bool failed = r->label != TF_LABEL_OK;
		struct tf_group *g;
		size_t c;

		rep->by_label[r->label]++;
		for (c = 0; c < rep->n_causes; c++)
			if (rep->causes[c].label == r->label && !strcmp(rep->causes[c].cause, r->cause))
				break;
		if (c == rep->n_causes && c < TF_REPORT_MAX_CAUSES) {
			rep->causes[c].label = r->label;
			snprintf(rep->causes[c].cause, sizeof(rep->causes[c].cause), "%s", r->cause);
			rep->n_causes++;
		}
		if (c < rep->n_causes)
			rep->causes[c].count++;
		if (failed)
			rep->timeline[(size_t)((r->ts_end - rep->first) / rep->bucket_s)][r->label]++;
		endpoint_of(r, key, sizeof(key));
		if ((g = counter_get(&remotes, key))) {
			g->total++;
			g->failures += failed;
			g->by_label[r->label]++;
		}
		process_of(r, key, sizeof(key));
		if ((g = counter_get(&procs, key))) {
			g->total++;
			g->failures += failed;
			g->by_label[r->label]++;
		}
		service_of(r, key, sizeof(key));
		if (key[0] && (g = counter_get(&services, key))) {
			g->total++;
			g->failures += failed;
			g->by_label[r->label]++;
		}
		counter_get(&hosts, r->host);
	}
	rep->hosts = hosts.n;
	free(hosts.g);
	rep->n_remotes = top_of(&remotes, rep->remotes);
	rep->n_processes = top_of(&procs, rep->processes);
	rep->n_services = top_of(&services, rep->services);
	for (int l = 0; l < TF_LABEL_COUNT; l++) {
		distribution(rows, l, offsetof(struct tf_row, connect_ms), &rep->connect[l], scratch);
		distribution(rows, l, offsetof(struct tf_row, duration_ms), &rep->lifetime[l], scratch);
		distribution(rows, l, offsetof(struct tf_row, time_to_fail_ms), &rep->to_failure[l], scratch);
	}
	free(scratch);
	find_bursts(rows, rep);
	rep->n_diagnoses = tf_diagnose(rows->v, rows->n, rep->diagnoses, TF_DIAG_MAX);
	return 0;
}

void tf_report_free(struct tf_report *rep)
{
	free(rep->timeline);
	memset(rep, 0, sizeof(*rep));
}
