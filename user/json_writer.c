// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include <inttypes.h>
#include "json_writer.h"

void jw_init(struct json_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

void jw_escape(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len && s[i]; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			/* Control bytes and DEL, and bytes that are not ASCII: a comm is not UTF-8 by promise. */
			if (c < 0x20 || c >= 0x7f)
				fprintf(out, "\\u%04x", c);
			else
				fputc(c, out);
		}
	}
}

static void member(struct json_writer *w, const char *key)
{
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH) {
		if (w->need_comma[w->depth - 1])
			fputc(',', w->out);
		w->need_comma[w->depth - 1] = true;
	}
	if (key) {
		fputc('"', w->out);
		jw_escape(w->out, key, strlen(key));
		fputs("\":", w->out);
	}
}

void jw_object_begin(struct json_writer *w, const char *key)
{
	member(w, key);
	fputc('{', w->out);
	if (w->depth < JW_MAX_DEPTH)
		w->need_comma[w->depth] = false;
	w->depth++;
}

void jw_object_end(struct json_writer *w)
{
	fputc('}', w->out);
	if (w->depth > 0)
		w->depth--;
}

void jw_string_n(struct json_writer *w, const char *key, const char *value, size_t len)
{
	member(w, key);
	if (!value) {
		fputs("null", w->out);
		return;
	}
	fputc('"', w->out);
	jw_escape(w->out, value, len);
	fputc('"', w->out);
}

void jw_string(struct json_writer *w, const char *key, const char *value)
{
	jw_string_n(w, key, value, value ? strlen(value) : 0);
}

void jw_uint(struct json_writer *w, const char *key, uint64_t value)
{
	member(w, key);
	fprintf(w->out, "%" PRIu64, value);
}

void jw_int(struct json_writer *w, const char *key, int64_t value)
{
	member(w, key);
	fprintf(w->out, "%" PRId64, value);
}

void jw_fixed(struct json_writer *w, const char *key, double value, int decimals)
{
	member(w, key);
	fprintf(w->out, "%.*f", decimals, value);
}

void jw_bool(struct json_writer *w, const char *key, bool value)
{
	member(w, key);
	fputs(value ? "true" : "false", w->out);
}

void jw_null(struct json_writer *w, const char *key)
{
	member(w, key);
	fputs("null", w->out);
}
