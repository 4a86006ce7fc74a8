/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A histogram of durations in milliseconds, for connections counted rather
 * than kept one by one (the recording's ok rollups).  Buckets are log-linear:
 * 16 per doubling from 1 us, so a bucket's middle is within 3 % of every value
 * in it, from 1 us to years.  Stored as text, "index:count" pairs separated by
 * spaces in increasing index order, which sqlite3 users can read too.
 */
#ifndef TF_MS_HIST_H
#define TF_MS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define TF_MS_HIST_BUCKETS 768 /* 1 + 16 per doubling, 47 doublings of a microsecond: past 4 years */

struct tf_ms_hist_bin {
	uint16_t index;
	uint32_t count;
};

/* The bucket of a value in milliseconds (negative and sub-microsecond values go to bucket 0). */
unsigned tf_ms_hist_index(double ms);
/* The value a bucket stands for: its middle, in milliseconds. */
double tf_ms_hist_value(unsigned index);

/* Writes bins (increasing index) as text into buf; returns the length, or -1 if it does not fit. */
int tf_ms_hist_format(const struct tf_ms_hist_bin *bins, size_t n, char *buf, size_t len);
/*
 * Parses text written by tf_ms_hist_format into at most max bins; returns how
 * many, or -1 when the text is not a histogram (a damaged recording).
 */
int tf_ms_hist_parse(const char *text, struct tf_ms_hist_bin *bins, size_t max);

#endif
