/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* CLOCK_MONOTONIC, the clock bpf_ktime_get_ns() reads: kernel stamps and ours compare directly. */
#ifndef TF_CLOCK_H
#define TF_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t tf_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t tf_monotonic_ms(void)
{
	return tf_monotonic_ns() / 1000000;
}

#endif
