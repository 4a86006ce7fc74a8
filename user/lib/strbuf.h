/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An append-only line buffer for the output path.  printf was most of the
 * consumer's CPU at 100k connections/s; these appends do the same work with
 * a few integer operations, and a finished line goes out with one fwrite.
 */
#ifndef TF_STRBUF_H
#define TF_STRBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define STRBUF_CAP 4096 /* a diagnosis with its examples is the longest line: under 2 kB */

struct strbuf {
	size_t len;
	char buf[STRBUF_CAP];
};

static inline void sb_reset(struct strbuf *sb)
{
	sb->len = 0;
}

/* Appends are clipped at the capacity: a line is never longer than STRBUF_CAP. */
void sb_mem_clipped(struct strbuf *sb, const char *s, size_t n);

/* Inline with the common case first, so that a literal's copy has a constant length. */
static inline void sb_mem(struct strbuf *sb, const char *s, size_t n)
{
	if (__builtin_expect(n <= STRBUF_CAP - sb->len, 1)) {
		memcpy(sb->buf + sb->len, s, n);
		sb->len += n;
	} else {
		sb_mem_clipped(sb, s, n);
	}
}

static inline void sb_char(struct strbuf *sb, char c)
{
	if (sb->len < STRBUF_CAP)
		sb->buf[sb->len++] = c;
}

/*
 * A literal's length is known here once inlined: one fixed-size copy.  Other
 * strings on this path are names and addresses of a few bytes, which a byte
 * loop copies faster than a strlen() call followed by a memcpy() call.
 */
static inline __attribute__((always_inline)) void sb_str(struct strbuf *sb, const char *s)
{
	if (__builtin_constant_p(__builtin_strlen(s))) {
		sb_mem(sb, s, __builtin_strlen(s));
		return;
	}
	/* In locals: a char store may alias sb->len, which would be reloaded for every byte. */
	size_t len = sb->len;
	char *buf = sb->buf;

	while (*s && len < STRBUF_CAP)
		buf[len++] = *s++;
	sb->len = len;
}

/* Spaces after what was written since `start` up to width columns (at least one: columns never touch). */
void sb_pad_column(struct strbuf *sb, size_t start, size_t width);

/* s, then spaces as sb_pad_column does. */
static inline __attribute__((always_inline)) void sb_pad(struct strbuf *sb, const char *s, size_t width)
{
	size_t start = sb->len;

	sb_str(sb, s);
	sb_pad_column(sb, start, width);
}
/* Spaces so that what comes next, of length n, ends at width from `start`. */
void sb_pad_left(struct strbuf *sb, size_t start, size_t n, size_t width);
void sb_u64_digits(struct strbuf *sb, uint64_t v);

/* Most counters of a connection are 0: one digit is a byte, inline. */
static inline void sb_u64(struct strbuf *sb, uint64_t v)
{
	if (v < 10)
		sb_char(sb, (char)('0' + v));
	else
		sb_u64_digits(sb, v);
}

void sb_i64(struct strbuf *sb, int64_t v);

extern const char sb_digit_pairs[201]; /* "00" to "99" */

/*
 * value / 10^decimals, printed with exactly `decimals` (1-6) digits after the
 * point (rounded by the caller), or an integer for 0.  Inline: callers pass a
 * constant, so the divisions become multiplications and the loop unrolls.
 */
static inline __attribute__((always_inline)) void sb_fixed(struct strbuf *sb, int64_t scaled, int decimals)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	uint64_t mag, frac;
	char digits[6];
	int i;

	if (decimals <= 0) {
		sb_i64(sb, scaled);
		return;
	}
	if (decimals > 6)
		decimals = 6;
	if (scaled < 0) {
		sb_char(sb, '-');
		mag = (uint64_t)0 - (uint64_t)scaled;
	} else {
		mag = (uint64_t)scaled;
	}
	sb_u64(sb, mag / pow10[decimals]);
	sb_char(sb, '.');
	/* The fraction with its leading zeros, two digits at a time from the right. */
	frac = mag % pow10[decimals];
	for (i = decimals; i >= 2; i -= 2, frac /= 100)
		memcpy(digits + i - 2, sb_digit_pairs + frac % 100 * 2, 2);
	if (i)
		digits[0] = (char)('0' + frac);
	sb_mem(sb, digits, (size_t)decimals);
}

/* A double with `decimals` digits (0-6) after the point, rounded half away from zero. */
static inline __attribute__((always_inline)) void sb_double(struct strbuf *sb, double v, int decimals)
{
	static const double pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };

	if (decimals < 0)
		decimals = 0;
	if (decimals > 6)
		decimals = 6;
	/* NaN and out-of-range values fail this test, which keeps the conversion defined. */
	if (!(v >= -9e12 && v <= 9e12)) {
		sb_char(sb, '0');
		return;
	}
	/* As llround() rounds, without its call: this runs several times a line. */
	v *= pow10[decimals];
	sb_fixed(sb, (int64_t)(v < 0 ? v - 0.5 : v + 0.5), decimals);
}

/* An IPv4 address in network byte order, dotted. */
void sb_ipv4(struct strbuf *sb, const uint8_t addr[4]);
/* Writes the buffer; returns 0, or EOF on a write error (errno set). */
int sb_flush_to(struct strbuf *sb, FILE *out);

#endif
