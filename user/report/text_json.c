// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A report as text for the terminal and as JSON for machines. */
#include <math.h>
#include <string.h>
#include <time.h>
#include "lib/json_writer.h"
#include "report/diagnose_output.h"
#include "report/report.h"

static void when(double t, char *buf, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (isnan(t) || !gmtime_r(&s, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void ms_text(FILE *out, double ms)
{
	if (ms < 1)
		fprintf(out, "%8.3f", ms);
	else if (ms < 10000)
		fprintf(out, "%8.1f", ms);
	else
		fprintf(out, "%8.0f", ms);
}

static void dist_text(FILE *out, const char *title, const struct tf_dist *d)
{
	bool any = false;

	for (int l = 0; l < TF_LABEL_COUNT; l++)
		any |= d[l].n > 0;
	if (!any)
		return;
	fprintf(out, "\n%s (ms)\n  %-18s %8s %8s %8s %8s %8s\n", title, "label", "count", "p50", "p90", "p99", "max");
	for (int l = 0; l < TF_LABEL_COUNT; l++) {
		if (!d[l].n)
			continue;
		fprintf(out, "  %-18s %8zu ", tf_label_name(l), d[l].n);
		ms_text(out, d[l].p50);
		fputc(' ', out);
		ms_text(out, d[l].p90);
		fputc(' ', out);
		ms_text(out, d[l].p99);
		fputc(' ', out);
		ms_text(out, d[l].max);
		fputc('\n', out);
	}
}

static void mix_text(FILE *out, const struct tf_group *g)
{
	bool first = true;

	for (int l = 1; l < TF_LABEL_COUNT; l++) {
		if (!g->by_label[l])
			continue;
		fprintf(out, "%s%s %llu", first ? "" : ", ", tf_label_name(l), (unsigned long long)g->by_label[l]);
		first = false;
	}
}

static void groups_text(FILE *out, const char *title, const struct tf_group *g, size_t n)
{
	fprintf(out, "\n%s\n", title);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  %-40s %6llu of %-6llu ", g[i].key, (unsigned long long)g[i].failures,
			(unsigned long long)g[i].total);
		mix_text(out, &g[i]);
		fputc('\n', out);
	}
}

static void wrap(FILE *out, const char *text, int indent, int width)
{
	int col = indent;
	const char *p = text;

	fprintf(out, "%*s", indent, "");
	while (*p) {
		const char *sp = strchr(p, ' ');
		int n = sp ? (int)(sp - p) : (int)strlen(p);

		if (col + n > width && col > indent) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		}
		fprintf(out, "%.*s ", n, p);
		col += n + 1;
		p += n;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

void tf_report_text(FILE *out, const struct tf_report *rep)
{
	char a[32], b[32];
	uint64_t failures = rep->rows - rep->by_label[TF_LABEL_OK];

	when(rep->first, a, sizeof(a));
	when(rep->last, b, sizeof(b));
	fprintf(out, "tcpfate report: %zu connections, %llu failed, from %s to %s", rep->rows,
		(unsigned long long)failures, a, b);
	if (rep->hosts > 1)
		fprintf(out, ", %zu hosts", rep->hosts);
	fputc('\n', out);
	if (!rep->rows)
		return;

	if (rep->n_diagnoses)
		fprintf(out, "\nDiagnoses\n");
	for (size_t i = 0; i < rep->n_diagnoses; i++)
		tf_diagnosis_print_text(out, &rep->diagnoses[i], "  ");

	fprintf(out, "\nTotals\n");
	for (int l = 0; l < TF_LABEL_COUNT; l++) {
		if (!rep->by_label[l])
			continue;
		fprintf(out, "  %-18s %8llu  ", tf_label_name(l), (unsigned long long)rep->by_label[l]);
		for (size_t c = 0, first = 1; c < rep->n_causes; c++)
			if (rep->causes[c].label == l) {
				fprintf(out, "%s%s %llu", first ? "" : ", ", rep->causes[c].cause,
					(unsigned long long)rep->causes[c].count);
				first = 0;
			}
		fputc('\n', out);
	}

	fprintf(out, "\nFailures over time (%g s buckets)\n", rep->bucket_s);
	for (size_t i = 0; i < rep->n_buckets; i++) {
		uint64_t sum = 0;

		for (int l = 1; l < TF_LABEL_COUNT; l++)
			sum += rep->timeline[i][l];
		if (!sum)
			continue;
		when(rep->first + (double)i * rep->bucket_s, a, sizeof(a));
		fprintf(out, "  %s %6llu  ", a, (unsigned long long)sum);
		for (int l = 1, first = 1; l < TF_LABEL_COUNT; l++)
			if (rep->timeline[i][l]) {
				fprintf(out, "%s%s %llu", first ? "" : ", ", tf_label_name(l),
					(unsigned long long)rep->timeline[i][l]);
				first = 0;
			}
		fputc('\n', out);
	}

	if (rep->n_bursts) {
		fprintf(out, "\nBursts (failures well above the usual %g per bucket)\n", rep->bursts[0].baseline);
		for (size_t i = 0; i < rep->n_bursts; i++) {
			const struct tf_burst *x = &rep->bursts[i];

			when(x->start, a, sizeof(a));
			when(x->end, b, sizeof(b));
			fprintf(out, "  %s to %s: %llu failures, mostly %s, to %s, from %s\n", a, b,
				(unsigned long long)x->failures, tf_label_name(x->label), x->endpoint, x->process);
		}
	}

	groups_text(out, "Top remote endpoints by failures", rep->remotes, rep->n_remotes);
	groups_text(out, "Top processes by failures", rep->processes, rep->n_processes);
	if (rep->n_services)
		groups_text(out, "Top services (containers, pods, units) by failures", rep->services, rep->n_services);

	dist_text(out, "Connect time", rep->connect);
	dist_text(out, "Lifetime", rep->lifetime);
	dist_text(out, "Time to failure", rep->to_failure);

	fprintf(out, "\nWhat happened\n");
	for (size_t c = 0; c < rep->n_causes; c++) {
		if (rep->causes[c].label == TF_LABEL_OK)
			continue;
		fprintf(out, "  %s / %s (%llu)\n", tf_label_name(rep->causes[c].label), rep->causes[c].cause,
			(unsigned long long)rep->causes[c].count);
		wrap(out, tf_explain(rep->causes[c].label, rep->causes[c].cause), 4, 96);
	}
}

/* --- JSON ---------------------------------------------------------------------------- */

static void flush_sb(FILE *out, struct strbuf *sb)
{
	if (sb->len > STRBUF_CAP / 2)
		sb_flush_to(sb, out);
}

static void json_time(struct json_writer *w, const char *key, double t)
{
	char buf[32];

	if (isnan(t)) {
		jw_null(w, key);
		return;
	}
	when(t, buf, sizeof(buf));
	jw_string(w, key, buf);
}

static void json_groups(FILE *out, struct strbuf *sb, struct json_writer *w, const char *key,
			const struct tf_group *g, size_t n)
{
	JW_KEY(w, key);
	sb_char(sb, '[');
	for (size_t i = 0; i < n; i++) {
		struct json_writer item;

		if (i)
			sb_char(sb, ',');
		jw_init(&item, sb);
		jw_object_begin(&item, NULL);
		jw_string(&item, "key", g[i].key);
		jw_uint(&item, "failures", g[i].failures);
		jw_uint(&item, "total", g[i].total);
		jw_object_begin(&item, "labels");
		for (int l = 0; l < TF_LABEL_COUNT; l++)
			if (g[i].by_label[l])
				jw_uint(&item, tf_label_name(l), g[i].by_label[l]);
		jw_object_end(&item);
		jw_object_end(&item);
		flush_sb(out, sb);
	}
	sb_char(sb, ']');
}

static void json_dists(struct json_writer *w, const char *key, const struct tf_dist *d)
{
	jw_object_begin(w, key);
	for (int l = 0; l < TF_LABEL_COUNT; l++) {
		if (!d[l].n)
			continue;
		jw_object_begin(w, tf_label_name(l));
		jw_uint(w, "count", d[l].n);
		jw_fixed(w, "p50_ms", d[l].p50, 3);
		jw_fixed(w, "p90_ms", d[l].p90, 3);
		jw_fixed(w, "p99_ms", d[l].p99, 3);
		jw_fixed(w, "max_ms", d[l].max, 3);
		jw_object_end(w);
	}
	jw_object_end(w);
}

void tf_report_json(FILE *out, const struct tf_report *rep)
{
	struct strbuf sb;
	struct json_writer w;

	sb_reset(&sb);
	jw_init(&w, &sb);
	jw_object_begin(&w, NULL);
	jw_uint(&w, "connections", rep->rows);
	jw_uint(&w, "failures", rep->rows - rep->by_label[TF_LABEL_OK]);
	jw_uint(&w, "hosts", rep->hosts);
	json_time(&w, "first", rep->rows ? rep->first : NAN);
	json_time(&w, "last", rep->rows ? rep->last : NAN);
	jw_object_begin(&w, "labels");
	for (int l = 0; l < TF_LABEL_COUNT; l++)
		jw_uint(&w, tf_label_name(l), rep->by_label[l]);
	jw_object_end(&w);
	JW_KEY(&w, "diagnoses");
	sb_char(&sb, '[');
	for (size_t i = 0; i < rep->n_diagnoses; i++) {
		const struct tf_diagnosis *d = &rep->diagnoses[i];
		struct json_writer item;

		if (i)
			sb_char(&sb, ',');
		sb_flush_to(&sb, out); /* an item can take half the line buffer */
		jw_init(&item, &sb);
		jw_object_begin(&item, NULL);
		tf_diagnosis_json_fields(&item, d);
		jw_object_end(&item);
	}
	sb_char(&sb, ']');
	flush_sb(out, &sb);
	JW_KEY(&w, "causes");
	sb_char(&sb, '[');
	for (size_t c = 0; c < rep->n_causes; c++) {
		struct json_writer item;

		if (c)
			sb_char(&sb, ',');
		jw_init(&item, &sb);
		jw_object_begin(&item, NULL);
		jw_string(&item, "label", tf_label_name(rep->causes[c].label));
		jw_string(&item, "cause", rep->causes[c].cause);
		jw_uint(&item, "count", rep->causes[c].count);
		jw_string(&item, "explanation", tf_explain(rep->causes[c].label, rep->causes[c].cause));
		jw_object_end(&item);
		flush_sb(out, &sb);
	}
	sb_char(&sb, ']');
	jw_fixed(&w, "bucket_seconds", rep->bucket_s, 0);
	JW_KEY(&w, "timeline");
	sb_char(&sb, '[');
	for (size_t i = 0, first = 1; i < rep->n_buckets; i++) {
		struct json_writer item;
		uint64_t sum = 0;

		for (int l = 1; l < TF_LABEL_COUNT; l++)
			sum += rep->timeline[i][l];
		if (!sum)
			continue;
		if (!first)
			sb_char(&sb, ',');
		first = 0;
		jw_init(&item, &sb);
		jw_object_begin(&item, NULL);
		json_time(&item, "start", rep->first + (double)i * rep->bucket_s);
		for (int l = 1; l < TF_LABEL_COUNT; l++)
			if (rep->timeline[i][l])
				jw_uint(&item, tf_label_name(l), rep->timeline[i][l]);
		jw_object_end(&item);
		flush_sb(out, &sb);
	}
	sb_char(&sb, ']');
	json_groups(out, &sb, &w, "top_remotes", rep->remotes, rep->n_remotes);
	json_groups(out, &sb, &w, "top_processes", rep->processes, rep->n_processes);
	json_groups(out, &sb, &w, "top_services", rep->services, rep->n_services);
	json_dists(&w, "connect_ms", rep->connect);
	json_dists(&w, "lifetime_ms", rep->lifetime);
	json_dists(&w, "time_to_failure_ms", rep->to_failure);
	flush_sb(out, &sb);
	JW_KEY(&w, "bursts");
	sb_char(&sb, '[');
	for (size_t i = 0; i < rep->n_bursts; i++) {
		struct json_writer item;

		if (i)
			sb_char(&sb, ',');
		jw_init(&item, &sb);
		jw_object_begin(&item, NULL);
		json_time(&item, "start", rep->bursts[i].start);
		json_time(&item, "end", rep->bursts[i].end);
		jw_uint(&item, "failures", rep->bursts[i].failures);
		jw_fixed(&item, "baseline_per_bucket", rep->bursts[i].baseline, 1);
		jw_string(&item, "label", tf_label_name(rep->bursts[i].label));
		jw_string(&item, "endpoint", rep->bursts[i].endpoint);
		jw_string(&item, "process", rep->bursts[i].process);
		jw_object_end(&item);
		flush_sb(out, &sb);
	}
	sb_char(&sb, ']');
	jw_object_end(&w);
	sb_char(&sb, '\n');
	sb_flush_to(&sb, out);
}
