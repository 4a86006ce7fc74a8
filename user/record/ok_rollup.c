// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "record/ok_rollup.h"

static void key_of(const struct tf_conn_view *v, struct tf_ok_key *k)
{
	const struct tf_record *r = v->rec;

	memset(k, 0, sizeof(*k)); /* padding too: keys are hashed and compared as bytes */
	k->second = v->end_wall_ns / 1000000000;
	k->cgroup_id = r->cgroup_id;
	k->cause = v->verdict.cause;
	k->pid = r->pid;
	k->netns = r->netns;
	k->port = r->direction == TF_DIR_IN ? r->sport : r->dport;
	k->family = (uint8_t)v->family;
	k->direction = r->direction;
	memcpy(k->daddr, r->daddr, sizeof(k->daddr));
	memcpy(k->comm, r->comm, sizeof(k->comm));
}

static uint64_t hash_key(const struct tf_ok_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* Room for one more bin in each histogram first, so that a connection is counted whole or not at all. */
static int bins_reserve(struct tf_ms_bins *b)
{
	return TF_GROW(b->v, b->cap, b->n + 1, 8);
}

static void bins_put(struct tf_ms_bins *b, double ms)
{
	unsigned index;
	size_t i;

	if (isnan(ms))
		return;
	index = tf_ms_hist_index(ms);
	for (i = 0; i < b->n && b->v[i].index < index; i++)
		;
	if (i < b->n && b->v[i].index == index) {
		b->v[i].count++;
		return;
	}
	memmove(&b->v[i + 1], &b->v[i], (b->n - i) * sizeof(*b->v));
	b->v[i].index = (uint16_t)index;
	b->v[i].count = 1;
	b->n++;
}

/* Keeps the table at most half full, so that probes stay short. */
static int grow_slots(struct tf_ok_rollup *ro)
{
	size_t n_slots = ro->n_slots ? ro->n_slots * 2 : 64;
	uint32_t *slots = calloc(n_slots, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t g = 0; g < ro->n; g++) {
		size_t s = hash_key(&ro->groups[g].key) & (n_slots - 1);

		while (slots[s])
			s = (s + 1) & (n_slots - 1);
		slots[s] = (uint32_t)g + 1;
	}
	free(ro->slots);
	ro->slots = slots;
	ro->n_slots = n_slots;
	return 0;
}

static struct tf_ok_group *group_for(struct tf_ok_rollup *ro, const struct tf_ok_key *k)
{
	struct tf_ok_group *g;
	size_t s;

	if ((ro->n + 1) * 2 > ro->n_slots && grow_slots(ro))
		return NULL;
	for (s = hash_key(k) & (ro->n_slots - 1); ro->slots[s]; s = (s + 1) & (ro->n_slots - 1)) {
		g = &ro->groups[ro->slots[s] - 1];
		if (!memcmp(&g->key, k, sizeof(*k)))
			return g;
	}
	if (ro->n == ro->cap) {
		size_t old = ro->cap;

		if (TF_GROW(ro->groups, ro->cap, ro->n + 1, 16))
			return NULL;
		memset(&ro->groups[old], 0, (ro->cap - old) * sizeof(*ro->groups)); /* bins start empty */
	}
	g = &ro->groups[ro->n];
	ro->slots[s] = (uint32_t)++ro->n;
	g->key = *k;
	g->count = g->rx_bytes = g->tx_bytes = g->retrans = 0;
	g->duration_max_ms = g->connect_max_ms = NAN;
	g->duration.n = g->connect.n = 0; /* their arrays are reused */
	return g;
}

int tf_ok_rollup_add(struct tf_ok_rollup *ro, const struct tf_conn_view *v)
{
	struct tf_ok_group *g;
	struct tf_ok_key k;

	key_of(v, &k);
	if (!(g = group_for(ro, &k)) || bins_reserve(&g->duration) || bins_reserve(&g->connect))
		return -1;
	bins_put(&g->duration, v->duration_ms);
	bins_put(&g->connect, v->connect_ms);
	if (!g->count || v->end_wall_ns < g->first_wall_ns)
		g->first_wall_ns = v->end_wall_ns;
	if (!g->count || v->end_wall_ns > g->last_wall_ns)
		g->last_wall_ns = v->end_wall_ns;
	g->count++;
	g->rx_bytes += v->rec->rx_bytes;
	g->tx_bytes += v->rec->tx_bytes;
	g->retrans += v->retrans;
	if (!isnan(v->duration_ms))
		g->duration_max_ms = isnan(g->duration_max_ms) ? v->duration_ms : fmax(g->duration_max_ms, v->duration_ms);
	if (!isnan(v->connect_ms))
		g->connect_max_ms = isnan(g->connect_max_ms) ? v->connect_ms : fmax(g->connect_max_ms, v->connect_ms);
	return 0;
}

uint64_t tf_ok_rollup_count_before(const struct tf_ok_rollup *ro, int64_t second)
{
	uint64_t n = 0;

	for (size_t g = 0; g < ro->n; g++)
		if (ro->groups[g].key.second < second)
			n += ro->groups[g].count;
	return n;
}

void tf_ok_rollup_forget_before(struct tf_ok_rollup *ro, int64_t second)
{
	size_t kept = 0;

	for (size_t g = 0; g < ro->n; g++) {
		if (ro->groups[g].key.second < second)
			continue;
		if (g != kept) { /* swapped, so that each histogram array keeps exactly one owner */
			struct tf_ok_group t = ro->groups[kept];

			ro->groups[kept] = ro->groups[g];
			ro->groups[g] = t;
		}
		kept++;
	}
	ro->n = kept;
	memset(ro->slots, 0, ro->n_slots * sizeof(*ro->slots));
	for (size_t g = 0; g < ro->n; g++) {
		size_t s = hash_key(&ro->groups[g].key) & (ro->n_slots - 1);

		while (ro->slots[s])
			s = (s + 1) & (ro->n_slots - 1);
		ro->slots[s] = (uint32_t)g + 1;
	}
}

void tf_ok_rollup_clear(struct tf_ok_rollup *ro)
{
	ro->n = 0;
	if (ro->slots)
		memset(ro->slots, 0, ro->n_slots * sizeof(*ro->slots));
}

void tf_ok_rollup_free(struct tf_ok_rollup *ro)
{
	for (size_t g = 0; g < ro->cap; g++) {
		free(ro->groups[g].duration.v);
		free(ro->groups[g].connect.v);
	}
	free(ro->groups);
	free(ro->slots);
	memset(ro, 0, sizeof(*ro));
}
