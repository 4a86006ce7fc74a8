/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where the live monitor's lines go: standard output or a file appended to.
 * It owns the stream's buffering, its flush once per drain cycle, what a
 * failed write means (a reader gone, or a full disk), and reopening the
 * file under its name after log rotation.
 */
#ifndef TF_OUTPUT_SINK_H
#define TF_OUTPUT_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

struct tf_output_sink {
	FILE *f;
	const char *path;      /* NULL: standard output */
	bool broken;           /* the reader went away (EPIPE): nothing more is written */
	uint64_t errors;       /* failed flushes other than EPIPE (a full disk) */
	time_t last_warning;
};

/* Opens path (NULL: stdout).  Returns 0, or -1 after one line on stderr. */
int tf_sink_open(struct tf_output_sink *s, const char *path);
/* Writes what is buffered.  Returns false once the reader has gone away. */
bool tf_sink_flush(struct tf_output_sink *s);
/* SIGHUP: open the file again under its name; on failure keep writing the old one. */
void tf_sink_reopen(struct tf_output_sink *s);
void tf_sink_close(struct tf_output_sink *s);

#endif
