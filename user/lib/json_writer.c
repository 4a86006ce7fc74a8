// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdbool.h>
#include <string.h>
#include "lib/json_writer.h"

void jw_init(struct json_writer *w, struct strbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

/* Bytes JSON lets through as they are: printable ASCII except '"' and '\\'. */
static bool plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

void jw_escape(struct strbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run; /* run: start of the current run of bytes that need no escape */
	const char *esc;
	unsigned char c;

	for (;;) {
		/* Most strings (addresses, names, times) are one plain run: scan it without writing. */
		for (run = i; i < len && s[i] && plain_byte((unsigned char)s[i]); i++)
			;
		sb_mem(out, s + run, i - run);
		if (i == len || !s[i])
			return;

		c = (unsigned char)s[i++];
		esc = NULL;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		}
		if (esc) {
			sb_mem(out, esc, 2);
		} else {
			/* Control bytes, DEL, and bytes that are not ASCII: a comm is not UTF-8 by promise. */
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			sb_mem(out, u, sizeof(u));
		}
	}
}

void jw_member_slow(struct json_writer *w, const char *key, size_t key_len)
{
	if (w->comma)
		sb_char(w->out, ',');
	w->comma = true;
	if (key) {
		sb_char(w->out, '"');
		sb_mem(w->out, key, key_len);
		sb_mem(w->out, "\":", 2);
	}
}

void jw_object_begin(struct json_writer *w, const char *key)
{
	JW_KEY(w, key);
	sb_char(w->out, '{');
	w->comma = false;
}

void jw_object_end(struct json_writer *w)
{
	sb_char(w->out, '}');
	w->comma = true;
}

void jw_string_value(struct strbuf *out, const char *value, size_t len)
{
	if (!value) {
		sb_mem(out, "null", 4);
		return;
	}
	sb_char(out, '"');
	jw_escape(out, value, len);
	sb_char(out, '"');
}

void jw_plain_value(struct strbuf *out, const char *value)
{
	if (!value) {
		sb_mem(out, "null", 4);
		return;
	}
	sb_char(out, '"');
	sb_str(out, value);
	sb_char(out, '"');
}
