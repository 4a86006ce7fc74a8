// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Data lost while it happens: said at once, then at most once a minute while it grows. */
#include "check.h"
#include "live/loss_notice.h"

int main(void)
{
	const struct tf_loss_limits limits = { .max_tracked = 1024, .ring_mb = 4, .keepalive_slots = 65536 };
	struct tf_loss_notice n = { 0 };
	uint64_t k[TF_STAT_MAX] = { 0 };
	char msg[512];

	k[TF_STAT_OPENED] = 5000;
	k[TF_STAT_CLOSED] = 4000;
	CHECK(!tf_loss_notice_due(&n, k, 1000, &limits, msg, sizeof(msg)), "nothing lost: nothing said");

	k[TF_STAT_UNTRACKED] = 17;
	CHECK(tf_loss_notice_due(&n, k, 2000, &limits, msg, sizeof(msg)), "a full table is said at once");
	CHECK_STR(msg, "losing data since start-up: 17 connections not followed (connection table full: --max-tracked 1024)",
		  "the message names the count and the option that makes room");

	k[TF_STAT_UNTRACKED] = 40;
	CHECK(!tf_loss_notice_due(&n, k, 2000 + TF_LOSS_NOTICE_EVERY_MS - 1, &limits, msg, sizeof(msg)),
	      "growing again within the minute: not said yet");
	CHECK(tf_loss_notice_due(&n, k, 2000 + TF_LOSS_NOTICE_EVERY_MS, &limits, msg, sizeof(msg)),
	      "a minute later, still growing: said again");
	CHECK(!tf_loss_notice_due(&n, k, 2000 + 3 * TF_LOSS_NOTICE_EVERY_MS, &limits, msg, sizeof(msg)),
	      "no longer growing: quiet, however long after");

	k[TF_STAT_RING_LOST] = 3;
	k[TF_STAT_TIMER_MAP_FULL] = 2;
	CHECK(tf_loss_notice_due(&n, k, 2000 + 4 * TF_LOSS_NOTICE_EVERY_MS, &limits, msg, sizeof(msg)),
	      "another kind of loss after a quiet minute: said");
	CHECK_STR(msg,
		  "losing data since start-up: 40 connections not followed (connection table full: --max-tracked 1024), "
		  "3 connection records lost (ring buffer full: --ring-size 4), "
		  "2 keepalive facts lost (keepalive map full: --keepalive-slots 65536)",
		  "every kind lost so far, with its option");

	struct tf_loss_notice small = { 0 };
	char tiny[40];
	CHECK(tf_loss_notice_due(&small, k, 1000, &limits, tiny, sizeof(tiny)), "a short buffer still says it");
	CHECK_INT(strlen(tiny) < sizeof(tiny), 1, "clipped within the buffer");
	return CHECK_DONE();
}
