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

/* A value and how many connections had it (a rollup's histogram bucket stands for many). */
struct weighted {
	double value;
	uint64_t weight;
};

static int cmp_weighted(const void *a, const void *b)
{
	return cmp_double(&((const struct weighted *)a)->value, &((const struct weighted *)b)->value);
}

/* Nearest rank: the smallest value with at least ceil(p * n) of the n connections at or below it. */
static double percentile(const struct weighted *sorted, size_t n_values, uint64_t n, double p)
{
	uint64_t rank = (uint64_t)ceil(p * (double)n), seen = 0;

	rank = rank ? rank : 1;
	for (size_t i = 0; i < n_values; i++)
		if ((seen += sorted[i].weight) >= rank)
			return sorted[i].value;
	return sorted[n_values - 1].value;
}

enum measure { CONNECT, LIFETIME, TO_FAILURE };

static double measure_of(const struct tf_row *r, enum measure m)
{
	return m == CONNECT ? r->connect_ms : m == LIFETIME ? r->duration_ms : r->time_to_fail_ms;
}

/* Distribution of one measure for one label; a rollup adds its histogram's buckets and its exact maximum. */
static void distribution(const struct tf_rows *rows, int label, enum measure m, struct tf_dist *d)
{
	struct weighted *values = NULL;
	size_t n_values = 0, cap = 0;
	uint64_t n = 0;
	double max = NAN;

	memset(d, 0, sizeof(*d));
	for (size_t i = 0; i < rows->n; i++) {
		const struct tf_row *r = &rows->v[i];
		const struct tf_row_hists *h = r->hists;
		const struct tf_ms_hist_bin *bins = NULL;
		size_t n_bins = 1;
		double v = measure_of(r, m);

		if (r->label != label)
			continue;
		if (h && m != TO_FAILURE) {
			bins = m == CONNECT ? h->connect : h->duration;
			n_bins = m == CONNECT ? h->n_connect : h->n_duration;
			v = m == CONNECT ? h->connect_max_ms : h->duration_max_ms;
		} else if (isnan(v)) {
			continue;
		}
		if (!n_bins)
			continue;
		if (TF_GROW(values, cap, n_values + n_bins, 4096))
			goto out; /* no memory: no distribution rather than a wrong one */
		for (size_t b = 0; b < n_bins; b++) {
			values[n_values].value = bins ? tf_ms_hist_value(bins[b].index) : v;
			values[n_values].weight = bins ? bins[b].count : 1;
			n += values[n_values++].weight;
		}
		if (!isnan(v))
			max = isnan(max) ? v : fmax(max, v);
	}
	if (!n)
		goto out;
	qsort(values, n_values, sizeof(*values), cmp_weighted);
	d->n = n;
	d->p50 = fmin(percentile(values, n_values, n, 0.50), max);
	d->p90 = fmin(percentile(values, n_values, n, 0.90), max);
	d->p99 = fmin(percentile(values, n_values, n, 0.99), max);
	d->max = max;
out:
	free(values);
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

	const struct tf_identity_names names = {
		.container_id = r->container_id, .runtime = r->runtime, .container_name = r->container_name,
		.pod_uid = r->pod_uid, .pod_name = r->pod_name, .pod_namespace = r->pod_namespace,
		.unit = r->unit, .cgroup = r->cgroup,
	};

	tf_identity_service(&names, who, sizeof(who));
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

/* Causes by label, then the most frequent first: an order that does not depend on the rows' order. */
static int by_label_then_count(const void *a, const void *b)
{
	const typeof(((struct tf_report *)0)->causes[0]) *x = a, *y = b;

	if (x->label != y->label)
		return x->label - y->label;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->cause, y->cause);
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
	double span;
	char key[160];

	memset(rep, 0, sizeof(*rep));
	rep->since = rep->until = NAN;
	if (!rows->n)
		return 0;
	rep->first = rep->last = rows->v[0].ts_end;
	for (size_t i = 0; i < rows->n; i++) {
		const struct tf_row *r = &rows->v[i];

		rep->rows += tf_row_weight(r);
		rep->first = fmin(rep->first, r->rolled_up ? r->ts_first : r->ts_end);
		rep->last = fmax(rep->last, r->ts_end);
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
	if (!rep->timeline)
		return -1;

	for (size_t i = 0; i < rows->n; i++) {
		const struct tf_row *r = &rows->v[i];
		bool failed = r->label != TF_LABEL_OK;
		uint64_t weight = tf_row_weight(r);
		struct tf_group *g;
		size_t c;

		rep->by_label[r->label] += weight;
		for (c = 0; c < rep->n_causes; c++)
			if (rep->causes[c].label == r->label && !strcmp(rep->causes[c].cause, r->cause))
				break;
		if (c == rep->n_causes && c < TF_REPORT_MAX_CAUSES) {
			rep->causes[c].label = r->label;
			snprintf(rep->causes[c].cause, sizeof(rep->causes[c].cause), "%s", r->cause);
			rep->n_causes++;
		}
		if (c < rep->n_causes)
			rep->causes[c].count += weight;
		if (failed)
			rep->timeline[(size_t)((r->ts_end - rep->first) / rep->bucket_s)][r->label] += weight;
		endpoint_of(r, key, sizeof(key));
		if ((g = counter_get(&remotes, key))) {
			g->total += weight;
			g->failures += failed ? weight : 0;
			g->by_label[r->label] += weight;
		}
		process_of(r, key, sizeof(key));
		if ((g = counter_get(&procs, key))) {
			g->total += weight;
			g->failures += failed ? weight : 0;
			g->by_label[r->label] += weight;
		}
		service_of(r, key, sizeof(key));
		if (key[0] && (g = counter_get(&services, key))) {
			g->total += weight;
			g->failures += failed ? weight : 0;
			g->by_label[r->label] += weight;
		}
		counter_get(&hosts, r->host);
	}
	qsort(rep->causes, rep->n_causes, sizeof(rep->causes[0]), by_label_then_count);
	rep->hosts = hosts.n;
	free(hosts.g);
	rep->n_remotes = top_of(&remotes, rep->remotes);
	rep->n_processes = top_of(&procs, rep->processes);
	rep->n_services = top_of(&services, rep->services);
	for (int l = 0; l < TF_LABEL_COUNT; l++) {
		distribution(rows, l, CONNECT, &rep->connect[l]);
		distribution(rows, l, LIFETIME, &rep->lifetime[l]);
		distribution(rows, l, TO_FAILURE, &rep->to_failure[l]);
	}
	find_bursts(rows, rep);
	rep->n_diagnoses = tf_diagnose(rows->v, rows->n, rep->diagnoses, TF_DIAG_MAX);
	return 0;
}

void tf_report_free(struct tf_report *rep)
{
	free(rep->timeline);
	memset(rep, 0, sizeof(*rep));
}
