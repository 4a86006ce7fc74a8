/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Which ended connections to show. */
#ifndef TF_FILTER_H
#define TF_FILTER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "output/conn_view.h"
#include "identity/identity_filter.h"

#define TF_FILTER_MAX 64

struct tf_filter {
	uint32_t pids[TF_FILTER_MAX];
	int n_pids;
	uint16_t ports[TF_FILTER_MAX];
	int n_ports;
	char comm[16];   /* empty: any */
	struct tf_identity_filter identity; /* --container, --unit, --cgroup */
	int family;      /* 0 any, 4, 6 */
	bool failures_only;
};

bool tf_filter_match(const struct tf_filter *f, const struct tf_conn_view *v);
/* Live warnings are failures in the making: shown under --failures too. */
bool tf_filter_match_sample(const struct tf_filter *f, const struct tf_open_sample *s, const struct tf_cgroup *cg);

#endif
