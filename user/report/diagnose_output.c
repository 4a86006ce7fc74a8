// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "report/diagnose_output.h"

void tf_diagnosis_print_text(FILE *out, const struct tf_diagnosis *d, const char *indent)
{
	fprintf(out, "%s%s: %s (%zu of %zu within %.2f-%.2f s; confidence %s)\n%s  matches %s\n%s  %s\n", indent,
		d->group, d->finding, d->count, d->total, d->lo_ms / 1000, d->hi_ms / 1000, d->confidence, indent,
		d->match, indent, d->advice);
}

void tf_diagnosis_json_fields(struct json_writer *w, const struct tf_diagnosis *d)
{
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
}
