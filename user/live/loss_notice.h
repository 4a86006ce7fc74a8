/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Data lost while it is being lost: a full connection table, ring buffer or
 * keepalive map is said on stderr when it happens (then at most once a
 * minute while it goes on), with the option that makes room, not only in
 * the summary at exit.
 */
#ifndef TF_LOSS_NOTICE_H
#define TF_LOSS_NOTICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "tcpfate.h"

#define TF_LOSS_NOTICE_EVERY_MS 60000

struct tf_loss_notice {
	uint64_t said[TF_STAT_MAX]; /* the counters when last said */
	uint64_t said_ms;           /* when; 0: never */
};

/* The sizes the message names, as configured. */
struct tf_loss_limits {
	uint32_t max_tracked;
	uint32_t ring_mb;
	uint32_t keepalive_slots;
};

/*
 * kernel: the BPF side's counters now (enum tf_stat).  True when something
 * was lost since the last notice and one is due: msg then holds it (totals
 * since start-up).
 */
bool tf_loss_notice_due(struct tf_loss_notice *n, const uint64_t *kernel, uint64_t now_ms,
			const struct tf_loss_limits *limits, char *msg, size_t len);

#endif
