// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include "output/conn_view.h"
#include "report/diagnose_output.h"

/* An example's end as the records print it: ISO 8601 to the millisecond, truncated as they are. */
static void example_time(const struct tf_diag_example *e, char *buf, size_t len)
{
	/* A time read back from "…56.730Z" may be 56.72999…: a nanosecond's nudge keeps its millisecond. */
	tf_format_iso8601((int64_t)floor(e->ts_end * 1e3 + 1e-6) * 1000000, buf, len);
}

void tf_diagnosis_examples_text(const struct tf_diagnosis *d, char *buf, size_t len)
{
	size_t used = 0;
	char ts[40], pid[32];

	buf[0] = 0;
	for (size_t i = 0; i < d->n_examples && used < len; i++) {
		const struct tf_diag_example *e = &d->examples[i];
		int n;

		example_time(e, ts, sizeof(ts));
		snprintf(pid, sizeof(pid), e->pid ? " pid %lld" : "", (long long)e->pid);
		n = snprintf(buf + used, len - used, "%s%s %s:%d > %s:%d%s (%.2f s)", i ? "; " : "e.g. ", ts, e->saddr,
			     e->sport, e->daddr, e->dport, pid, e->value_ms / 1000);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

void tf_diagnosis_print_text(FILE *out, const struct tf_diagnosis *d, const char *indent)
{
	char examples[512];

	fprintf(out, "%s%s: %s (%zu of %zu within %.2f-%.2f s; confidence %s)\n%s  matches %s\n%s  %s\n", indent,
		d->group, d->finding, d->count, d->total, d->lo_ms / 1000, d->hi_ms / 1000, d->confidence, indent,
		d->match, indent, d->advice);
	tf_diagnosis_examples_text(d, examples, sizeof(examples));
	if (examples[0])
		fprintf(out, "%s  %s\n", indent, examples);
}

void tf_diagnosis_json_fields(struct json_writer *w, const struct tf_diagnosis *d)
{
	char ts[40];

	jw_string(w, "group", d->group);
	jw_string(w, "finding", d->finding);
	jw_string(w, "match", d->match);
	jw_string(w, "advice", d->advice);
	jw_uint(w, "count", d->count);
	jw_uint(w, "of", d->total);
	jw_fixed(w, "median_ms", d->median_ms, 1);
	jw_fixed(w, "min_ms", d->lo_ms, 1);
	jw_fixed(w, "max_ms", d->hi_ms, 1);
	jw_plain(w, "confidence", d->confidence);
	JW_KEY(w, "examples");
	sb_char(w->out, '[');
	for (size_t i = 0; i < d->n_examples; i++) {
		const struct tf_diag_example *e = &d->examples[i];
		struct json_writer item;

		if (i)
			sb_char(w->out, ',');
		jw_init(&item, w->out);
		jw_object_begin(&item, NULL);
		example_time(e, ts, sizeof(ts));
		jw_plain(&item, "ts", ts);
		jw_plain(&item, "saddr", e->saddr);
		jw_uint(&item, "sport", (uint64_t)e->sport);
		jw_plain(&item, "daddr", e->daddr);
		jw_uint(&item, "dport", (uint64_t)e->dport);
		if (e->pid)
			jw_int(&item, "pid", e->pid);
		else
			jw_null(&item, "pid");
		jw_fixed(&item, "value_ms", e->value_ms, 1);
		jw_object_end(&item);
	}
	sb_char(w->out, ']');
}
