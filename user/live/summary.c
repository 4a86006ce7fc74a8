// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include "lib/json_writer.h"
#include "lib/strbuf.h"
#include "live/summary.h"

uint64_t tf_summary_ends_unseen(const struct tf_summary *s)
{
	uint64_t seen = s->kernel[TF_STAT_OPENED];
	uint64_t accounted = s->kernel[TF_STAT_CLOSED] + s->kernel[TF_STAT_RING_LOST] + s->open_now;

	return seen > accounted ? seen - accounted : 0;
}

void tf_summary_print_text(FILE *out, const struct tf_summary *s)
{
	fprintf(out, "tcpfate: %" PRIu64 " connections ended (%" PRIu64 " shown):", s->ended, s->shown);
	for (int i = 0; i < TF_LABEL_COUNT; i++)
		fprintf(out, "%s %s %" PRIu64, i ? "," : "", tf_label_name(i), s->labels[i]);
	fputc('\n', out);
	fprintf(out, "tcpfate: warnings:");
	for (int k = 0; k < TF_WARN_COUNT; k++)
		fprintf(out, "%s %s %" PRIu64, k ? "," : "", tf_warn_kind_name(k), s->warnings[k]);
	fputc('\n', out);
	fprintf(out,
		"tcpfate: events lost %" PRIu64 " (ring buffer full), late facts lost %" PRIu64
		", connections untracked %" PRIu64 " (table full: --max-tracked), keepalive facts lost %" PRIu64 ", hook runs skipped %" PRIu64
		" (closes recovered %" PRIu64 ")\n",
		s->kernel[TF_STAT_RING_LOST], s->kernel[TF_STAT_AMEND_LOST] + s->orphan_amends,
		s->kernel[TF_STAT_UNTRACKED],
		s->kernel[TF_STAT_TIMER_MAP_FULL], s->recursion_misses, s->kernel[TF_STAT_RECOVERED]);
	if (s->kernel[TF_STAT_FOUND_GONE])
		fprintf(out, "tcpfate: sockets found gone %" PRIu64 " (freed without a close event; reported once their address was reused or scanned)\n",
			s->kernel[TF_STAT_FOUND_GONE]);
	if (tf_summary_ends_unseen(s))
		fprintf(out, "tcpfate: connection ends unseen %" PRIu64 " (socket freed without a close event)\n",
			tf_summary_ends_unseen(s));
	if (s->warnings_unwatched)
		fprintf(out, "tcpfate: connections not watched for warnings %" PRIu64 " (out of memory)\n",
			s->warnings_unwatched);
	if (s->output_errors)
		fprintf(out, "tcpfate: output write errors %" PRIu64 "\n", s->output_errors);
	if (s->records_written || s->records_dropped)
		fprintf(out, "tcpfate: recorded %" PRIu64 ", recording dropped %" PRIu64 "\n", s->records_written,
			s->records_dropped);
}

void tf_summary_print_json(FILE *out, const struct tf_summary *s)
{
	struct json_writer w;
	struct strbuf sb;

	sb_reset(&sb);
	jw_init(&w, &sb);
	jw_object_begin(&w, NULL);
	jw_string(&w, "event", "summary");
	jw_uint(&w, "ended", s->ended);
	jw_uint(&w, "shown", s->shown);
	jw_object_begin(&w, "labels");
	for (int i = 0; i < TF_LABEL_COUNT; i++)
		jw_uint(&w, tf_label_name(i), s->labels[i]);
	jw_object_end(&w);
	jw_object_begin(&w, "shown_labels");
	for (int i = 0; i < TF_LABEL_COUNT; i++)
		jw_uint(&w, tf_label_name(i), s->shown_labels[i]);
	jw_object_end(&w);
	jw_object_begin(&w, "warnings");
	for (int k = 0; k < TF_WARN_COUNT; k++)
		jw_uint(&w, tf_warn_kind_name(k), s->warnings[k]);
	jw_object_end(&w);
	jw_uint(&w, "tracked", s->kernel[TF_STAT_OPENED]);
	jw_uint(&w, "closes_submitted", s->kernel[TF_STAT_CLOSED]);
	jw_uint(&w, "closes_restated", s->kernel[TF_STAT_CLOSE_RESTATED]);
	jw_uint(&w, "open_now", s->open_now);
	jw_uint(&w, "ends_unseen", tf_summary_ends_unseen(s));
	jw_uint(&w, "events_lost", s->kernel[TF_STAT_RING_LOST]);
	jw_uint(&w, "late_facts_lost", s->kernel[TF_STAT_AMEND_LOST] + s->orphan_amends);
	jw_uint(&w, "untracked", s->kernel[TF_STAT_UNTRACKED]);
	jw_uint(&w, "keepalive_facts_lost", s->kernel[TF_STAT_TIMER_MAP_FULL]);
	jw_uint(&w, "rst_without_socket", s->kernel[TF_STAT_RST_NO_SOCKET]);
	jw_uint(&w, "hook_runs_skipped", s->recursion_misses);
	jw_uint(&w, "closes_recovered", s->kernel[TF_STAT_RECOVERED]);
	jw_uint(&w, "sockets_found_gone", s->kernel[TF_STAT_FOUND_GONE]);
	jw_uint(&w, "warnings_unwatched", s->warnings_unwatched);
	jw_uint(&w, "output_errors", s->output_errors);
	jw_uint(&w, "records_written", s->records_written);
	jw_uint(&w, "records_dropped", s->records_dropped);
	jw_object_end(&w);
	sb_char(&sb, '\n');
	sb_flush_to(&sb, out);
}
