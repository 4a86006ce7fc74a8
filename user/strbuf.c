// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <string.h>
#include "strbuf.h"

void sb_pad(struct strbuf *sb, const char *s, size_t width)
{
	size_t n = strlen(s);

	sb_mem(sb, s, n);
	do
		sb_char(sb, ' ');
	while (++n < width + 1);
}

void sb_pad_left(struct strbuf *sb, size_t start, size_t n, size_t width)
{
	while (sb->len - start + n < width)
		sb_char(sb, ' ');
}

void sb_u64(struct strbuf *sb, uint64_t v)
{
	char tmp[20];
	int i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_mem(sb, tmp + i, sizeof(tmp) - (size_t)i);
}

void sb_i64(struct strbuf *sb, int64_t v)
{
	if (v < 0) {
		sb_char(sb, '-');
		sb_u64(sb, (uint64_t)0 - (uint64_t)v);
	} else {
		sb_u64(sb, (uint64_t)v);
	}
}

void sb_fixed(struct strbuf *sb, int64_t scaled, int decimals)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	uint64_t mag, frac;
	char digits[6];

	if (decimals <= 0) {
		sb_i64(sb, scaled);
		return;
	}
	if (scaled < 0) {
		sb_char(sb, '-');
		mag = (uint64_t)0 - (uint64_t)scaled;
	} else {
		mag = (uint64_t)scaled;
	}
	sb_u64(sb, mag / pow10[decimals]);
	sb_char(sb, '.');
	frac = mag % pow10[decimals];
	for (int i = decimals - 1; i >= 0; i--) {
		digits[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	sb_mem(sb, digits, (size_t)decimals);
}

void sb_double(struct strbuf *sb, double v, int decimals)
{
	static const double pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	if (!isfinite(v) || fabs(v) > 9e12) {
		sb_str(sb, "0");
		return;
	}
	sb_fixed(sb, (int64_t)llround(v * pow10[decimals]), decimals);
}

void sb_ipv4(struct strbuf *sb, const uint8_t addr[4])
{
	for (int i = 0; i < 4; i++) {
		if (i)
			sb_char(sb, '.');
		sb_u64(sb, addr[i]);
	}
}

int sb_flush_to(struct strbuf *sb, FILE *out)
{
	size_t n = sb->len;

	sb->len = 0;
	return fwrite(sb->buf, 1, n, out) == n ? 0 : EOF;
}
