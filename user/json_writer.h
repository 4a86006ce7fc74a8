/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A small streaming JSON writer: objects, keys and scalars, every string escaped. */
#ifndef TF_JSON_WRITER_H
#define TF_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 8

struct json_writer {
	FILE *out;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
};

void jw_init(struct json_writer *w, FILE *out);
/* key may be NULL inside arrays and at the top level. */
void jw_object_begin(struct json_writer *w, const char *key);
void jw_object_end(struct json_writer *w);
/* A NULL string writes null. */
void jw_string(struct json_writer *w, const char *key, const char *value);
/* Writes at most len bytes of value (for fixed-size, maybe unterminated buffers). */
void jw_string_n(struct json_writer *w, const char *key, const char *value, size_t len);
void jw_uint(struct json_writer *w, const char *key, uint64_t value);
void jw_int(struct json_writer *w, const char *key, int64_t value);
/* Fixed-point with `decimals` digits after the point. */
void jw_fixed(struct json_writer *w, const char *key, double value, int decimals);
void jw_bool(struct json_writer *w, const char *key, bool value);
void jw_null(struct json_writer *w, const char *key);
/* Writes the escaped body of a JSON string (no quotes): exposed for tests. */
void jw_escape(FILE *out, const char *s, size_t len);

#endif
