// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "json_writer.h"

void jw_init(struct json_writer *w, struct strbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
}

void jw_escape(struct strbuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0; /* start of the current run of bytes that need no escape */

	for (i = 0; i < len && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		sb_mem(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		}
		if (esc) {
			sb_str(out, esc);
		} else {
			/* Control bytes, DEL, and bytes that are not ASCII: a comm is not UTF-8 by promise. */
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			sb_mem(out, u, sizeof(u));
		}
	}
	sb_mem(out, s + run, i - run);
}

void jw_member(struct json_writer *w, const char *key, size_t key_len)
{
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH) {
		if (w->need_comma[w->depth - 1])
			sb_char(w->out, ',');
		w->need_comma[w->depth - 1] = true;
	}
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
	if (w->depth < JW_MAX_DEPTH)
		w->need_comma[w->depth] = false;
	w->depth++;
}

void jw_object_end(struct json_writer *w)
{
	sb_char(w->out, '}');
	if (w->depth > 0)
		w->depth--;
}

void jw_string_n(struct json_writer *w, const char *key, const char *value, size_t len)
{
	JW_KEY(w, key);
	if (!value) {
		sb_mem(w->out, "null", 4);
		return;
	}
	sb_char(w->out, '"');
	jw_escape(w->out, value, len);
	sb_char(w->out, '"');
}

