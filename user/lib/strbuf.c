// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "lib/strbuf.h"

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

/* "00" to "99": numbers are written two digits per division. */
const char sb_digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/*
 * Two digits per division, written in place: the output path prints about
 * twenty integers per connection.  Single digits never get here (inline).
 */
void sb_u64_digits(struct strbuf *sb, uint64_t v)
{
	static const uint64_t pow10[20] = { 1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
					    10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
					    100000000000ULL, 1000000000000ULL, 10000000000000ULL,
					    100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
					    100000000000000000ULL, 1000000000000000000ULL,
					    10000000000000000000ULL };
	char tmp[20], *end, *p;
	uint32_t w;
	/* floor(log10(v)) from the bit length (log10(2) ~ 1233/4096), corrected by one compare. */
	size_t t = (size_t)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
	size_t n = t + (v >= pow10[t]);

	if (!n)
		n = 1;
	/* Near the end of the buffer, format aside and let sb_mem clip. */
	end = n <= STRBUF_CAP - sb->len ? sb->buf + sb->len + n : tmp + sizeof(tmp);
	p = end;
	/* 64-bit divisions only while the value needs them: netns, cookies and counters fit in 32. */
	for (; v > UINT32_MAX; v /= 100) {
		p -= 2;
		memcpy(p, sb_digit_pairs + v % 100 * 2, 2);
	}
	for (w = (uint32_t)v; w >= 100; w /= 100) {
		p -= 2;
		memcpy(p, sb_digit_pairs + w % 100 * 2, 2);
	}
	if (w >= 10) {
		p -= 2;
		memcpy(p, sb_digit_pairs + w * 2, 2);
	} else {
		*--p = (char)('0' + w);
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
