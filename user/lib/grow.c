// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdint.h>
#include <stdlib.h>
#include "lib/grow.h"

int tf_grow(void **items, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t n = *cap ? *cap : first;
	void *more;

	if (need <= *cap)
		return 0;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -1;
		n *= 2;
	}
	if (n > SIZE_MAX / size)
		return -1;
	more = realloc(*items, n * size);
	if (!more)
		return -1;
	*items = more;
	*cap = n;
	return 0;
}
