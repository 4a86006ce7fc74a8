// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* When the open files are walked for connections that have no owner. */
#include "check.h"
#include "live/owner_search.h"

#define MS 1000000ULL
#define SCAN (200 * MS)

/* Scans every 200 ms from `from` to `to` (ms) with these samples; returns the walks made. */
static int scans(struct tf_owner_search *o, const struct tf_open_sample *s, size_t n, uint64_t from,
		 uint64_t to)
{
	int walks = 0;

	for (uint64_t t = from * MS; t <= to * MS; t += SCAN) {
		walks += tf_owner_search_take(o, t);
		tf_owner_search_plan(o, s, n);
	}
	return walks;
}

static void owned_sockets_cost_nothing(void)
{
	struct tf_open_sample s[2] = { { .cookie = 5, .pid = 100 }, { .cookie = 6, .pid = 101 } };
	struct tf_owner_search o;

	tf_owner_search_init(&o, SCAN);
	CHECK_INT(scans(&o, s, 2, 0, 60000), 0, "owned sockets: no walk in a minute of scans");
	CHECK_INT(scans(&o, NULL, 0, 60000, 120000), 0, "no sockets worth a look: no walk");
}

static void walk_waits_one_scan(void)
{
	struct tf_open_sample s = { .cookie = 9 };
	struct tf_owner_search o;

	tf_owner_search_init(&o, SCAN);
	CHECK(!tf_owner_search_take(&o, 0), "nothing seen yet: no walk");
	tf_owner_search_plan(&o, &s, 1);
	CHECK(tf_owner_search_take(&o, 200 * MS), "an ownerless socket is looked for at the next scan");
	CHECK(!tf_owner_search_take(&o, 200 * MS), "one walk per plan");
	s.pid = 77; /* the walk found it */
	tf_owner_search_plan(&o, &s, 1);
	CHECK_INT(scans(&o, &s, 1, 400, 60000), 0, "found: no walk again");
}

/* A socket that stays ownerless (never accepted): walks thin out, doubling gaps up to a cap. */
static void retries_thin_out(void)
{
	struct tf_open_sample s = { .cookie = 9 };
	struct tf_owner_search o;
	uint64_t walks_at[32];
	int walks = 0;

	tf_owner_search_init(&o, SCAN);
	for (uint64_t t = 0; t <= 600000 * MS && walks < 32; t += SCAN) {
		if (tf_owner_search_take(&o, t))
			walks_at[walks++] = t;
		tf_owner_search_plan(&o, &s, 1);
	}
	CHECK(walks >= 3, "retried while ownerless (%d walks in 10 minutes)", walks);
	CHECK_INT(walks_at[0], 200 * MS, "first walk: the scan after it was seen");
	CHECK_INT(walks_at[1] - walks_at[0], 200 * MS, "first retry: one scan later");
	CHECK_INT(walks_at[2] - walks_at[1], 400 * MS, "then twice the gap");
	CHECK_INT(walks_at[3] - walks_at[2], 800 * MS, "and twice again");
	CHECK(walks_at[walks - 1] - walks_at[walks - 2] <= TF_OWNER_SEARCH_MAX_GAP_NS + SCAN,
	      "the gap stops growing at its cap");
	CHECK(walks <= 20, "ten minutes of an ownerless socket: at most 20 walks (%d)", walks);
}

/* A new ownerless socket is looked for at once, and restarts the short gaps. */
static void new_socket_restarts(void)
{
	struct tf_open_sample s[2] = { { .cookie = 9 }, { .cookie = 12 } };
	struct tf_owner_search o;

	tf_owner_search_init(&o, SCAN);
	scans(&o, s, 1, 0, 30000);
	CHECK(!tf_owner_search_take(&o, 30000 * MS + SCAN), "old ownerless socket: in a long gap");
	tf_owner_search_plan(&o, s, 2);
	CHECK(tf_owner_search_take(&o, 30000 * MS + 2 * SCAN), "a newer cookie: walk at the next scan");
	tf_owner_search_plan(&o, s, 2);
	CHECK(tf_owner_search_take(&o, 30000 * MS + 3 * SCAN), "short gaps again: retried one scan later");
	tf_owner_search_plan(&o, s, 2);
	CHECK(!tf_owner_search_take(&o, 30000 * MS + 4 * SCAN), "then after two scans, not one");
	tf_owner_search_plan(&o, s, 2);
	CHECK(tf_owner_search_take(&o, 30000 * MS + 5 * SCAN), "two scans later: retried");
}

int main(void)
{
	owned_sockets_cost_nothing();
	walk_waits_one_scan();
	retries_thin_out();
	new_socket_restarts();
	return CHECK_DONE();
}
