/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* An index from socket cookie to a position in the caller's array (open addressing). */
#ifndef TF_COOKIE_INDEX_H
#define TF_COOKIE_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct cookie_index {
	uint64_t *keys;
	uint32_t *values; /* position + 1; 0 marks an empty slot */
	size_t n, n_slots; /* n_slots: a power of two, kept above 2 * n */
};

/* Makes room for one more key; -1 when memory ran out. */
int cookie_index_reserve(struct cookie_index *ix);
/* Sets key -> pos, replacing an existing position (call cookie_index_reserve first). */
void cookie_index_put(struct cookie_index *ix, uint64_t key, uint32_t pos);
/* Position of key, or -1. */
long cookie_index_get(const struct cookie_index *ix, uint64_t key);
void cookie_index_clear(struct cookie_index *ix);
void cookie_index_free(struct cookie_index *ix);

#endif
