// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <zlib.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
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

unsigned int tf_kernel_config_hz(const char *path)
{
	gzFile f = gzopen(path, "r"); /* reads plain files too */
	char line[256];
	unsigned int hz = 0;

	if (!f)
		return 0;
	while (gzgets(f, line, sizeof(line)))
		if (sscanf(line, "CONFIG_HZ=%u", &hz) == 1)
			break;
	gzclose(f);
	return hz;
}

unsigned int tf_round_hz(double measured)
{
	/*
	 * The values Linux can be configured with.  x86 and arm64 offer only
	 * the four of kernel/Kconfig.hz; other architectures add their own,
	 * some close together (250 and 256), which only a precise measurement
	 * tells apart.
	 */
#if defined(__x86_64__) || defined(__i386__) || defined(__aarch64__)
	static const unsigned int known[] = { 100, 250, 300, 1000 };
#else
	static const unsigned int known[] = { 24, 32, 48, 64, 100, 128, 200, 250, 256, 300, 500, 512, 1000, 1024, 1200 };
#endif
	unsigned int best = 0;
	double best_off = 0.1; /* within 10 % of a known value, or not trusted */

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		double off = measured > known[i] ? measured / known[i] - 1 : known[i] / measured - 1;

		if (off < best_off) {
			best_off = off;
			best = known[i];
		}
	}
	return best;
}

/* CONFIG_HZ from where libbpf would look for it: /boot/config-RELEASE, then /proc/config.gz. */
static unsigned int config_hz(const char *release)
{
	char path[256];
	unsigned int hz = 0;

	if (*release) {
		snprintf(path, sizeof(path), "/boot/config-%s", release);
		hz = tf_kernel_config_hz(path);
	}
	return hz ? hz : tf_kernel_config_hz("/proc/config.gz");
}

/* Does the kernel load a tracing program of this kind on this function?  An empty one is tried. */
static bool tracing_prog_loads(const struct btf *btf, const char *func, enum bpf_attach_type type)
{
	const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type);
	int fd;

	if (id <= 0)
		return false;
	opts.attach_btf_id = (__u32)id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, sizeof(ret0) / sizeof(ret0[0]), &opts);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/*
 * BPF atomic exchange (5.12): the programs claim entries and counts with it.
 * An empty socket filter tries one on its stack; older kernels refuse the
 * instruction.
 */
static bool atomics_load(void)
{
	const struct bpf_insn xchg[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_10, .src_reg = BPF_REG_1, .off = -8,
		  .imm = BPF_XCHG },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", xchg, sizeof(xchg) / sizeof(xchg[0]), NULL);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* Does the kernel load an iterator over map elements?  Some sandboxes refuse them (EPERM). */
static bool map_elem_iter_loads(const struct btf *btf)
{
	return tracing_prog_loads(btf, "bpf_iter_bpf_map_elem", BPF_TRACE_ITER);
}

/*
 * The fexit program on inet_csk_accept: kernels before 6.3 name the owner of
 * an accepted connection there.  Its four-argument form (the one those
 * kernels have; 6.10 changed it) is all the BPF side declares.
 */
static bool accept_fexit_loads(const struct btf *btf)
{
	int id = btf__find_by_name_kind(btf, "inet_csk_accept", BTF_KIND_FUNC);
	const struct btf_type *proto = id > 0 ? btf__type_by_id(btf, btf__type_by_id(btf, id)->type) : NULL;

	return proto && btf_is_func_proto(proto) && btf_vlen(proto) == 4 &&
	       tracing_prog_loads(btf, "inet_csk_accept", BPF_TRACE_FEXIT);
}

/* The scan userspace runs itself: a syscall program with bpf_loop and bpf_for_each_map_elem. */
static bool scan_run_loads(void)
{
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_SYSCALL, NULL) == 1 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL, BPF_FUNC_loop, NULL) == 1 &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_SYSCALL, BPF_FUNC_for_each_map_elem, NULL) == 1;
}

/*
 * TCPFATE_SCAN=probe or TCPFATE_SCAN=run: take an older kernel's path here
 * too, for its tests; the path is used only where this kernel has it.
 */
static enum tf_scan_kind choose_scan(const struct btf *btf, bool rdonly_cast)
{
	const char *force = getenv("TCPFATE_SCAN");
	bool iter = !(force && !strcmp(force, "run")) && map_elem_iter_loads(btf);

	if (iter)
		return rdonly_cast && !(force && !strcmp(force, "probe")) ? TF_SCAN_ITER_DIRECT : TF_SCAN_ITER_PROBE;
	return scan_run_loads() ? TF_SCAN_RUN : TF_SCAN_NONE;
}

const char *tf_scan_kind_name(enum tf_scan_kind kind)
{
	switch (kind) {
	case TF_SCAN_ITER_DIRECT:
		return "by iterator, direct reads";
	case TF_SCAN_ITER_PROBE:
		return "by iterator, probe reads";
	case TF_SCAN_RUN:
		return "by a program tcpfate runs";
	default:
		return "never";
	}
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

/*
 * Where accepted connections learn their owner (see bpf/owner.bpf.h).
 * TCPFATE_OWNER=accept or TCPFATE_OWNER=read takes the path of kernels
 * before 6.3 here too, for its tests: accept() where fexit is allowed, or
 * the first read.
 */
static void choose_owner_hooks(struct tf_features *k, const struct btf *btf)
{
	const char *force = getenv("TCPFATE_OWNER");

	k->has_io_tracepoints = !force && tracepoint_args(btf, "sock_send_length") >= 1 &&
				tracepoint_args(btf, "sock_recv_length") >= 1;
	if (k->has_io_tracepoints)
		return;
	k->has_accept_fexit = !(force && !strcmp(force, "read")) && accept_fexit_loads(btf);
	k->has_rcv_space_tracepoint = !k->has_accept_fexit && tracepoint_args(btf, "tcp_rcv_space_adjust") >= 1;
}

void tf_features_probe(struct tf_features *k)
{
	struct btf *btf;
	struct utsname u;

	memset(k, 0, sizeof(*k));
	k->send_reset_args = -1;
	if (!uname(&u))
		snprintf(k->release, sizeof(k->release), "%s", u.release);
	k->privileged = have_privileges();
	if (!k->privileged)
		return; /* nothing below would work; the caller says so */
	k->has_atomics = atomics_load();
	k->has_btf = access(BTF_VMLINUX, R_OK) == 0;
	btf = k->has_btf ? btf__load_vmlinux_btf() : NULL;
	if (btf) {
		k->send_reset_args = tracepoint_args(btf, "tcp_send_reset");
		k->has_receive_reset = tracepoint_args(btf, "tcp_receive_reset") >= 1;
		k->has_error_report = tracepoint_args(btf, "inet_sk_error_report") >= 1;
		k->has_timer_expire = tracepoint_args(btf, "timer_expire_entry") >= 1;
		choose_owner_hooks(k, btf);
		k->has_rdonly_cast = btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
		k->scan = choose_scan(btf, k->has_rdonly_cast);
		btf__free(btf);
	} else {
		k->has_btf = false;
	}
	k->keepalive_timer_fn = kallsyms_lookup("tcp_keepalive_timer");
	k->config_hz = config_hz(k->release);
}
