/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Counts per label and what could not be followed, printed at exit. */
#ifndef TF_SUMMARY_H
#define TF_SUMMARY_H

#include <stdint.h>
#include <stdio.h>
#include "classify.h"
#include "live/warnings.h"

struct tf_summary {
	uint64_t ended;                   /* every connection that ended */
	uint64_t shown;                   /* of those, the ones the filters let through */
	uint64_t labels[TF_LABEL_COUNT];  /* of the ended ones */
	uint64_t shown_labels[TF_LABEL_COUNT]; /* of the shown ones */
	uint64_t kernel[TF_STAT_MAX];     /* the BPF side's counters (enum tf_stat) */
	uint64_t orphan_amends;           /* late facts whose connection was already printed */
	uint64_t recursion_misses;        /* hook runs the kernel skipped (re-entry on one CPU) */
	uint64_t warnings[TF_WARN_COUNT]; /* warning episodes reported, per kind */
	uint64_t open_now;                /* connections open (at exit: when the counts froze) */
	uint64_t output_errors;           /* failed writes of the output (a full disk) */
	uint64_t records_written;         /* --record */
	uint64_t records_dropped;
	uint64_t warnings_unwatched;      /* open connections not watched for warnings: no memory */
};

/*
 * Connections seen that neither closed (reported or lost) nor are open: their
 * socket was freed with no move to CLOSE and no destroy event for the hooks
 * to see.  Exact at exit, when the counts froze; 0 if the others add up to
 * more than seen (which would be a bug in the counting, not in the kernel).
 */
uint64_t tf_summary_ends_unseen(const struct tf_summary *s);
void tf_summary_print_text(FILE *out, const struct tf_summary *s);
void tf_summary_print_json(FILE *out, const struct tf_summary *s);

#endif
