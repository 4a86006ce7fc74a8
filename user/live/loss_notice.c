// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "live/loss_notice.h"

/* The counters that mean lost data, and what to say about each. */
static const struct {
	enum tf_stat stat;
	const char *what;
} losses[] = {
	{ TF_STAT_UNTRACKED, "connections not followed (connection table full: --max-tracked %" PRIu32 ")" },
	{ TF_STAT_RING_LOST, "connection records lost (ring buffer full: --ring-size %" PRIu32 ")" },
	{ TF_STAT_AMEND_LOST, "late facts lost (ring buffer full: --ring-size %" PRIu32 ")" },
	{ TF_STAT_TIMER_MAP_FULL, "keepalive facts lost (keepalive map full: --keepalive-slots %" PRIu32 ")" },
};

static uint32_t limit_of(enum tf_stat stat, const struct tf_loss_limits *l)
{
	switch (stat) {
	case TF_STAT_UNTRACKED: return l->max_tracked;
	case TF_STAT_TIMER_MAP_FULL: return l->keepalive_slots;
	default: return l->ring_mb;
	}
}

bool tf_loss_notice_due(struct tf_loss_notice *n, const uint64_t *kernel, uint64_t now_ms,
			const struct tf_loss_limits *limits, char *msg, size_t len)
{
	bool grew = false;
	size_t used = 0;

	for (size_t i = 0; i < sizeof(losses) / sizeof(losses[0]); i++)
		grew |= kernel[losses[i].stat] > n->said[losses[i].stat];
	if (!grew || (n->said_ms && now_ms - n->said_ms < TF_LOSS_NOTICE_EVERY_MS) || !len)
		return false;

	msg[0] = 0;
	for (size_t i = 0; i < sizeof(losses) / sizeof(losses[0]); i++) {
		char what[128];
		int w;

		if (!kernel[losses[i].stat])
			continue;
		snprintf(what, sizeof(what), losses[i].what, limit_of(losses[i].stat, limits));
		w = snprintf(msg + used, len - used, "%s%" PRIu64 " %s", used ? ", " : "losing data since start-up: ",
			     kernel[losses[i].stat], what);
		if (w < 0 || (size_t)w >= len - used)
			break; /* clipped: the first ones are said */
		used += (size_t)w;
	}
	memcpy(n->said, kernel, sizeof(n->said));
	n->said_ms = now_ms ? now_ms : 1;
	return true;
}
