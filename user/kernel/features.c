// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "kernel/features.h"

#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

uint64_t tf_kallsyms_find(FILE *in, const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr;

	while (fgets(line, sizeof(line), in)) {
		/* "ffffffff8202df70 t tcp_keepalive_timer" (module symbols add "[mod]") */
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) != 3)
			continue;
		if (!strcmp(sym, name))
			return addr;
	}
	return 0;
}

static uint64_t kallsyms_lookup(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	uint64_t addr;

	if (!f)
		return 0;
	addr = tf_kallsyms_find(f, name);
	fclose(f);
	return addr; /* 0 also when kptr_restrict hides addresses */
}

#define CAP_SYS_ADMIN_BIT 21
#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39

bool tf_caps_allow_bpf(uint64_t cap_eff)
{
	bool admin = cap_eff & (1ULL << CAP_SYS_ADMIN_BIT);
	bool bpf = cap_eff & (1ULL << CAP_BPF_BIT), perfmon = cap_eff & (1ULL << CAP_PERFMON_BIT);

	/* Tracing programs need CAP_BPF and CAP_PERFMON (5.8+), or CAP_SYS_ADMIN. */
	return admin || (bpf && perfmon);
}

static bool have_privileges(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long caps = 0;
	char line[256];
	bool found = false;

	if (!f)
		return true; /* cannot tell: let the load itself decide */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1) {
			found = true;
			break;
		}
	fclose(f);
	return !found || tf_caps_allow_bpf(caps);
}

/* Number of arguments a tracepoint passes to tp_btf programs; -1 when it does not exist. */
static int tracepoint_args(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	int id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, id);
	t = btf__type_by_id(btf, t->type); /* pointer */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type); /* func proto; first argument is the void *ctx */
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

void tf_features_probe(struct tf_features *k)
{
	struct btf *btf;

	memset(k, 0, sizeof(*k));
	k->send_reset_args = -1;
	k->privileged = have_privileges();
	if (!k->privileged)
		return; /* nothing below would work; the caller says so */
	k->has_btf = access(BTF_VMLINUX, R_OK) == 0;
	btf = k->has_btf ? btf__load_vmlinux_btf() : NULL;
	if (btf) {
		k->send_reset_args = tracepoint_args(btf, "tcp_send_reset");
		k->has_receive_reset = tracepoint_args(btf, "tcp_receive_reset") >= 1;
		k->has_error_report = tracepoint_args(btf, "inet_sk_error_report") >= 1;
		k->has_timer_expire = tracepoint_args(btf, "timer_expire_entry") >= 1;
		k->has_io_tracepoints = tracepoint_args(btf, "sock_send_length") >= 1 &&
					tracepoint_args(btf, "sock_recv_length") >= 1;
		/* TCPFATE_SCAN_PROBE_READS=1: take the older kernels' path here too (for its tests). */
		k->has_rdonly_cast = btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0 &&
				     !getenv("TCPFATE_SCAN_PROBE_READS");
		btf__free(btf);
	} else {
		k->has_btf = false;
	}
	k->keepalive_timer_fn = kallsyms_lookup("tcp_keepalive_timer");
}
