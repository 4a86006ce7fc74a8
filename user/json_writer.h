/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A small streaming JSON writer into a line buffer: objects, keys and scalars, every string escaped. */
#ifndef TF_JSON_WRITER_H
#define TF_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include "strbuf.h"

#define JW_MAX_DEPTH 8

struct json_writer {
	struct strbuf *out;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
};

void jw_init(struct json_writer *w, struct strbuf *out);
/* The comma and the key (written as given: keys are literals in our code, never data). */
void jw_member(struct json_writer *w, const char *key, size_t key_len);
void jw_object_begin(struct json_writer *w, const char *key);
void jw_object_end(struct json_writer *w);
/* Writes at most len bytes of value (for fixed-size, maybe unterminated buffers); NULL writes null. */
void jw_string_n(struct json_writer *w, const char *key, const char *value, size_t len);

/*
 * The scalar writers are inline so that the length of a literal key is known
 * at compile time: JSON output runs 35 of these per connection.
 */
#define JW_KEY(w, key) jw_member((w), (key), (key) ? __builtin_strlen(key) : 0)

static inline void jw_string(struct json_writer *w, const char *key, const char *value)
{
	jw_string_n(w, key, value, value ? strlen(value) : 0);
}

static inline void jw_uint(struct json_writer *w, const char *key, uint64_t value)
{
	JW_KEY(w, key);
	sb_u64(w->out, value);
}

static inline void jw_int(struct json_writer *w, const char *key, int64_t value)
{
	JW_KEY(w, key);
	sb_i64(w->out, value);
}

/* Fixed-point with `decimals` digits after the point (0-6). */
static inline void jw_fixed(struct json_writer *w, const char *key, double value, int decimals)
{
	JW_KEY(w, key);
	sb_double(w->out, value, decimals);
}

static inline void jw_bool(struct json_writer *w, const char *key, bool value)
{
	JW_KEY(w, key);
	if (value)
		sb_mem(w->out, "true", 4);
	else
		sb_mem(w->out, "false", 5);
}

static inline void jw_null(struct json_writer *w, const char *key)
{
	JW_KEY(w, key);
	sb_mem(w->out, "null", 4);
}

/* Appends the escaped body of a JSON string (no quotes): exposed for tests. */
void jw_escape(struct strbuf *out, const char *s, size_t len);

#endif
