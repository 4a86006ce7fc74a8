// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/ms_hist.h"

#define PER_DOUBLING 16

unsigned tf_ms_hist_index(double ms)
{
	double us = ms * 1000.0, fraction;
	int exponent;
	unsigned index;

	if (!(us >= 1.0))
		return 0; /* also NAN */
	fraction = frexp(us, &exponent); /* us = fraction * 2^exponent, fraction in [0.5, 1) */
	index = 1 + (unsigned)(exponent - 1) * PER_DOUBLING + (unsigned)((fraction * 2.0 - 1.0) * PER_DOUBLING);
	return index < TF_MS_HIST_BUCKETS ? index : TF_MS_HIST_BUCKETS - 1;
}

double tf_ms_hist_value(unsigned index)
{
	unsigned doubling, step;

	if (!index)
		return 0.0005; /* below a microsecond */
	doubling = (index - 1) / PER_DOUBLING;
	step = (index - 1) % PER_DOUBLING;
	return ldexp(1.0 + (step + 0.5) / PER_DOUBLING, (int)doubling) / 1000.0;
}

int tf_ms_hist_format(const struct tf_ms_hist_bin *bins, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	if (!len)
		return -1;
	buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%u:%u", i ? " " : "", bins[i].index, bins[i].count);

		if (w < 0 || (size_t)w >= len - used)
			return -1;
		used += (size_t)w;
	}
	return (int)used;
}

int tf_ms_hist_parse(const char *text, struct tf_ms_hist_bin *bins, size_t max)
{
	const char *p = text;
	size_t n = 0;
	long last = -1;

	while (*p) {
		unsigned long index, count;
		char *end;

		errno = 0;
		index = strtoul(p, &end, 10);
		if (end == p || *end != ':' || errno || index >= TF_MS_HIST_BUCKETS || (long)index <= last)
			return -1;
		p = end + 1;
		count = strtoul(p, &end, 10);
		if (end == p || errno || count > UINT32_MAX || (*end && *end != ' ') || n == max)
			return -1;
		bins[n].index = (uint16_t)index;
		bins[n].count = (uint32_t)count;
		n++;
		last = (long)index;
		p = *end ? end + 1 : end;
	}
	return (int)n;
}
