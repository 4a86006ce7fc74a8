// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "live/owner_search.h"

void tf_owner_search_init(struct tf_owner_search *o, uint64_t first_gap_ns)
{
	*o = (struct tf_owner_search){ .first_gap_ns = first_gap_ns, .gap_ns = first_gap_ns };
}

void tf_owner_search_plan(struct tf_owner_search *o, const struct tf_open_sample *samples, size_t n)
{
	uint64_t newest = 0;

	o->ownerless = false;
	for (size_t i = 0; i < n; i++) {
		if (samples[i].pid)
			continue;
		o->ownerless = true;
		if (samples[i].cookie > newest)
			newest = samples[i].cookie;
	}
	if (newest > o->seen_to) {
		/* Cookies only grow: a newer one is a socket not looked for yet. */
		o->seen_to = newest;
		o->gap_ns = o->first_gap_ns;
		o->due = true;
	}
}

bool tf_owner_search_take(struct tf_owner_search *o, uint64_t now_ns)
{
	if (o->due) {
		o->due = false;
	} else if (o->ownerless && now_ns >= o->retry_at_ns) {
		/* Still ownerless since the last walk: retry, each time after twice the wait. */
		o->gap_ns = o->gap_ns * 2 < TF_OWNER_SEARCH_MAX_GAP_NS ? o->gap_ns * 2 : TF_OWNER_SEARCH_MAX_GAP_NS;
	} else {
		return false;
	}
	o->retry_at_ns = now_ns + o->gap_ns;
	return true;
}
