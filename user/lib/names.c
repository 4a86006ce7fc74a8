// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include <stdlib.h>
#include <bpf/btf.h>
#include "lib/names.h"
#include "tcpfate.h"

const char *tf_errno_name(int err)
{
	if (err <= 0)
		return NULL;
	return strerrorname_np(err); /* NULL when glibc has no name for it */
}

static const char *const state_names[TF_TCP_MAX_STATES] = {
	[0] = "UNKNOWN",
	[TF_TCP_ESTABLISHED] = "ESTABLISHED",
	[TF_TCP_SYN_SENT] = "SYN_SENT",
	[TF_TCP_SYN_RECV] = "SYN_RECV",
	[TF_TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TF_TCP_FIN_WAIT2] = "FIN_WAIT2",
	[TF_TCP_TIME_WAIT] = "TIME_WAIT",
	[TF_TCP_CLOSE] = "CLOSE",
	[TF_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TF_TCP_LAST_ACK] = "LAST_ACK",
	[TF_TCP_LISTEN] = "LISTEN",
	[TF_TCP_CLOSING] = "CLOSING",
	[TF_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
	[TF_TCP_BOUND_INACTIVE] = "BOUND_INACTIVE",
};

const char *tf_state_name(unsigned int state)
{
	return state < TF_TCP_MAX_STATES && state_names[state] ? state_names[state] : "?";
}

#define RST_PREFIX "SK_RST_REASON_"
#define MAX_RST_REASONS 64

static char *rst_names[MAX_RST_REASONS];

int tf_rst_reasons_load(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_enum *e;
	const struct btf_type *t;
	int id, n = 0;

	if (!btf)
		return 0;
	id = btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM);
	if (id > 0) {
		t = btf__type_by_id(btf, id);
		e = btf_enum(t);
		for (int i = 0; i < btf_vlen(t); i++, e++) {
			const char *name = btf__name_by_offset(btf, e->name_off);

			if (e->val < 0 || e->val >= MAX_RST_REASONS || !name)
				continue;
			if (!strncmp(name, RST_PREFIX, strlen(RST_PREFIX)))
				name += strlen(RST_PREFIX);
			free(rst_names[e->val]);
			rst_names[e->val] = strdup(name);
			n++;
		}
	}
	btf__free(btf);
	return n;
}

const char *tf_rst_reason_name(unsigned int reason)
{
	return reason < MAX_RST_REASONS ? rst_names[reason] : NULL;
}

void tf_rst_reasons_free(void)
{
	for (int i = 0; i < MAX_RST_REASONS; i++) {
		free(rst_names[i]);
		rst_names[i] = NULL;
	}
}
