/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Unit-test checks that print TAP-style lines and keep going (tests/run.sh counts them). */
#ifndef TF_CHECK_H
#define TF_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (cond) {                                                \
			printf("ok - ");                                   \
		} else {                                                   \
			printf("not ok - %s:%d: ", __FILE__, __LINE__);    \
			check_failures++;                                  \
		}                                                          \
		printf(__VA_ARGS__);                                       \
		putchar('\n');                                             \
	} while (0)

#define CHECK_STR(got, want, ...)                                                    \
	do {                                                                         \
		const char *g_ = (got), *w_ = (want);                                \
		int same_ = (g_ == NULL && w_ == NULL) || (g_ && w_ && !strcmp(g_, w_)); \
		CHECK(same_, __VA_ARGS__);                                           \
		if (!same_)                                                          \
			printf("#   got '%s', want '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
	} while (0)

#define CHECK_INT(got, want, ...)                                                   \
	do {                                                                        \
		long long g_ = (long long)(got), w_ = (long long)(want);            \
		CHECK(g_ == w_, __VA_ARGS__);                                       \
		if (g_ != w_)                                                       \
			printf("#   got %lld, want %lld\n", g_, w_);                \
	} while (0)

#define CHECK_DONE() (check_failures ? 1 : 0)

#endif
