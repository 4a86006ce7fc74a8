// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "lib/cookie_index.h"

static size_t slot_of(uint64_t key, size_t n_slots)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL; /* murmur3 finalizer: cookies are sequential */
	key ^= key >> 33;
	return key & (n_slots - 1);
}

/* Returns 1 when the key is new, 0 when its value was replaced. */
static int put(uint64_t *keys, uint32_t *values, size_t n_slots, uint64_t key, uint32_t value)
{
	size_t s = slot_of(key, n_slots);

	for (; values[s]; s = (s + 1) & (n_slots - 1)) {
		if (keys[s] == key) {
			values[s] = value;
			return 0;
		}
	}
	keys[s] = key;
	values[s] = value;
	return 1;
}

int cookie_index_reserve(struct cookie_index *ix)
{
	size_t n_slots;
	uint64_t *keys;
	uint32_t *values;

	if ((ix->n + 1) * 2 < ix->n_slots)
		return 0;
	n_slots = ix->n_slots ? ix->n_slots * 2 : 1024;
	keys = malloc(n_slots * sizeof(*keys));
	values = calloc(n_slots, sizeof(*values));
	if (!keys || !values) {
		free(keys);
		free(values);
		return -1;
	}
	for (size_t i = 0; i < ix->n_slots; i++)
		if (ix->values[i])
			put(keys, values, n_slots, ix->keys[i], ix->values[i]);
	free(ix->keys);
	free(ix->values);
	ix->keys = keys;
	ix->values = values;
	ix->n_slots = n_slots;
	return 0;
}

void cookie_index_put(struct cookie_index *ix, uint64_t key, uint32_t pos)
{
	ix->n += put(ix->keys, ix->values, ix->n_slots, key, pos + 1);
}

long cookie_index_get(const struct cookie_index *ix, uint64_t key)
{
	if (!ix->n)
		return -1;
	for (size_t s = slot_of(key, ix->n_slots); ix->values[s]; s = (s + 1) & (ix->n_slots - 1))
		if (ix->keys[s] == key)
			return (long)ix->values[s] - 1;
	return -1;
}

void cookie_index_clear(struct cookie_index *ix)
{
	if (ix->n)
		memset(ix->values, 0, ix->n_slots * sizeof(*ix->values));
	ix->n = 0;
}

void cookie_index_free(struct cookie_index *ix)
{
	free(ix->keys);
	free(ix->values);
	memset(ix, 0, sizeof(*ix));
}
