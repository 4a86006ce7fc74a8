/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The two forms of an ended connection: an aligned text line and a JSON line. */
#ifndef TF_OUTPUT_H
#define TF_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "output/conn_view.h"
#include "live/warnings.h"

/* identity: a SERVICE column (--identity). */
void tf_text_header(FILE *out, bool identity);
void tf_text_connection(FILE *out, const struct tf_conn_view *v, bool identity);
void tf_json_connection(FILE *out, const struct tf_conn_view *v);
/* Live warnings: an episode that lasted long enough, or its end. */
void tf_text_warning(FILE *out, const struct tf_warning *w, const struct tf_cgroup *cg, bool identity,
		     int64_t mono_to_wall_ns);
/* cg: the socket's cgroup, resolved by the caller (NULL unknown). */
void tf_json_warning(FILE *out, const struct tf_warning *w, const struct tf_cgroup *cg, int64_t mono_to_wall_ns);

#endif
