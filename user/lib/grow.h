/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The one way an array grows here: capacity doubled, from a first size, until it holds what is needed. */
#ifndef TF_GROW_H
#define TF_GROW_H

#include <stddef.h>

/*
 * Makes *items hold at least `need` elements of `size` bytes (*cap counts
 * elements).  Returns 0, or -1 when memory ran out or the size would
 * overflow; the array is left as it was then, its contents intact.
 */
int tf_grow(void **items, size_t *cap, size_t need, size_t size, size_t first);

#define TF_GROW(array, cap, need, first) tf_grow((void **)&(array), &(cap), (need), sizeof(*(array)), (first))

#endif
