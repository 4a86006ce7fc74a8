/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A small streaming JSON writer into a line buffer: objects, keys and scalars, every string escaped. */
#ifndef TF_JSON_WRITER_H
#define TF_JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/strbuf.h"

/*
 * One flag is enough for commas at every depth: an object that ends is a
 * value of its parent, so after '}' the parent needs a comma, and after '{'
 * nobody does.
 */
struct json_writer {
	struct strbuf *out;
	bool comma;
};

void jw_init(struct json_writer *w, struct strbuf *out);

/* jw_member near the end of the buffer, or without a key (a value in an array or the top level). */
void jw_member_slow(struct json_writer *w, const char *key, size_t key_len);

/*
 * The comma and the key (written as given: keys are literals in our code,
 * never data).  Inline, so that a literal key is copied with a constant
 * length: a connection line writes about thirty of them.
 */
static inline void jw_member(struct json_writer *w, const char *key, size_t key_len)
{
	struct strbuf *sb = w->out;
	char *p;

	if (__builtin_expect(!key || key_len + 4 > STRBUF_CAP - sb->len, 0)) {
		jw_member_slow(w, key, key_len);
		return;
	}
	/* Room is checked once for the whole key: the common case is a few stores. */
	p = sb->buf + sb->len;
	if (w->comma)
		*p++ = ',';
	w->comma = true;
	*p++ = '"';
	memcpy(p, key, key_len);
	p += key_len;
	*p++ = '"';
	*p++ = ':';
	sb->len = (size_t)(p - sb->buf);
}

void jw_object_begin(struct json_writer *w, const char *key);
void jw_object_end(struct json_writer *w);
/* The quoted, escaped value of a string; NULL writes null. */
void jw_string_value(struct strbuf *out, const char *value, size_t len);
/* The value of jw_plain: quoted as it is. */
void jw_plain_value(struct strbuf *out, const char *value);

/*
 * The scalar writers are inline so that the length of a literal key is known
 * at compile time: JSON output runs 35 of these per connection.
 */
#define JW_KEY(w, key) jw_member((w), (key), (key) ? __builtin_strlen(key) : 0)

/* Writes at most len bytes of value (for fixed-size, maybe unterminated buffers); NULL writes null. */
static inline void jw_string_n(struct json_writer *w, const char *key, const char *value, size_t len)
{
	JW_KEY(w, key);
	jw_string_value(w->out, value, len);
}

static inline void jw_string(struct json_writer *w, const char *key, const char *value)
{
	jw_string_n(w, key, value, value ? strlen(value) : 0);
}

/*
 * A string our own code made (a name from a table, a formatted address or
 * time): printable ASCII without quotes or backslashes, so not escaped.
 * Anything that came from outside (a comm, a path) goes through jw_string.
 */
static inline void jw_plain(struct json_writer *w, const char *key, const char *value)
{
	JW_KEY(w, key);
	jw_plain_value(w->out, value);
}

/* jw_plain for a string whose length is known (a formatted time or address): one copy. */
static inline void jw_plain_n(struct json_writer *w, const char *key, const char *value, size_t len)
{
	JW_KEY(w, key);
	sb_char(w->out, '"');
	sb_mem(w->out, value, len);
	sb_char(w->out, '"');
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
