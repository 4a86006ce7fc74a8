// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <ctype.h>
#include <string.h>
#include "report/timeparse.h"

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static long days_from_civil(int y, int m, int d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int relative(const char *p, double now, double *out)
{
	double total = 0;

	if (!*p)
		return -1;
	while (*p) {
		double v = 0;
		int n = 0;

		while (isdigit((unsigned char)*p) && n < 9) {
			v = v * 10 + (*p++ - '0');
			n++;
		}
		if (!n)
			return -1;
		switch (*p++) {
		case 's': total += v; break;
		case 'm': total += v * 60; break;
		case 'h': total += v * 3600; break;
		case 'd': total += v * 86400; break;
		case 'w': total += v * 7 * 86400; break;
		default: return -1;
		}
	}
	*out = now - total;
	return 0;
}

int tf_parse_time(const char *s, double now, double *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, zh = 0, zm = 0, sign = 0;
	double frac = 0, scale = 0.1;
	const char *p = s;

	if (!s)
		return -1;
	if (!strcmp(s, "now")) {
		*out = now;
		return 0;
	}
	if (*s == '-')
		return relative(s + 1, now, out);
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	if (*p == 'T' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				while (isdigit((unsigned char)*p)) {
					frac += (*p++ - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (digits(&p, 2, &zh))
			return -1;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &zm) || zh > 23 || zm > 59)
			return -1;
	}
	if (*p)
		return -1;
	*out = (double)days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec + frac -
	       sign * (zh * 3600 + zm * 60);
	return 0;
}
