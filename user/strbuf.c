// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <string.h>
#include "strbuf.h"

void sb_mem_clipped(struct strbuf *sb, const char *s, size_t n)
{
	if (n > STRBUF_CAP - sb->len)
		n = STRBUF_CAP - sb->len;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
}

void sb_pad_column(struct strbuf *sb, size_t start, size_t width)
{
	size_t used = sb->len - start, n = used < width ? width + 1 - used : 1;

	if (n > STRBUF_CAP - sb->len)
		n = STRBUF_CAP - sb->len;
	memset(sb->buf + sb->len, ' ', n);
	sb->len += n;
}

void sb_pad_left(struct strbuf *sb, size_t start, size_t n, size_t width)
{
	while (sb->len - start + n < width)
		sb_char(sb, ' ');
}

/*
 * Two digits per division, written in place: the output path prints about
 * twenty integers per connection.  Single digits never get here (inline).
 */
void sb_u64_digits(struct strbuf *sb, uint64_t v)
{
	static const char pairs[201] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	static const uint64_t pow10[20] = { 1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
					    10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
					    100000000000ULL, 1000000000000ULL, 10000000000000ULL,
					    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
					    100000000000000000ULL, 1000000000000000000ULL,
					    10000000000000000000ULL };
	char tmp[20], *end, *p;
	/* floor(log10(v)) from the bit length (log10(2) ~ 1233/4096), corrected by one compare. */
	size_t t = (size_t)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
	size_t n = t + (v >= pow10[t]);

	if (!n)
		n = 1;
	/* Near the end of the buffer, format aside and let sb_mem clip. */
	end = n <= STRBUF_CAP - sb->len ? sb->buf + sb->len + n : tmp + sizeof(tmp);
	p = end;
	while (v >= 100) {
		unsigned int d = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--p = pairs[d + 1];
		*--p = pairs[d];
	}
	if (v >= 10) {
		*--p = pairs[v * 2 + 1];
		*--p = pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	if (end == tmp + sizeof(tmp))
		sb_mem(sb, p, n);
	else
		sb->len += n;
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
	/* Unlocked: one thread owns each output stream; the lock showed at 100k lines/s. */
	return fwrite_unlocked(sb->buf, 1, n, out) == n ? 0 : EOF;
}
