/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The timings of the failures shown, kept for the diagnoses of the exit
 * summary (report/diagnose.h): only the fates a diagnosis reads, the newest
 * TF_FAILURE_TIMINGS_KEPT of them.
 */
#ifndef TF_FAILURE_TIMINGS_H
#define TF_FAILURE_TIMINGS_H

#include <stddef.h>
#include "output/conn_view.h"
#include "report/diagnose.h"

#define TF_FAILURE_TIMINGS_KEPT 8192 /* about 6 MiB at most */

struct tf_failure_timings {
	struct tf_row *rows; /* a ring once full */
	size_t n, cap, next;
};

/* Keeps v's timings if a diagnosis could use them. */
void tf_failure_timings_add(struct tf_failure_timings *f, const struct tf_conn_view *v);
/* The diagnoses of what was kept, most connections first. */
size_t tf_failure_timings_diagnose(const struct tf_failure_timings *f, struct tf_diagnosis *out, size_t max);
void tf_failure_timings_free(struct tf_failure_timings *f);

#endif
