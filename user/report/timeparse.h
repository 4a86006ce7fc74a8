/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Times for --since/--until: ISO 8601 or relative to now. */
#ifndef TF_TIMEPARSE_H
#define TF_TIMEPARSE_H

#include <time.h>

/*
 * Accepts "2026-11-22T14:02:00Z", "2026-11-22T14:02:00.250+02:00",
 * "2026-11-22 14:02" (no zone: UTC), "2026-11-22", "now", and relative
 * "-2h", "-30m", "-90s", "-1d", "-1h30m".  Writes Unix seconds to *out;
 * returns 0, or -1 for anything else.
 */
int tf_parse_time(const char *s, double now, double *out);

#endif
