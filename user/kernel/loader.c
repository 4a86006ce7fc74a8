// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/membarrier.h>
#include <bpf/bpf.h>
#include "lib/clock.h"
#include "lib/grow.h"
#include "kernel/loader.h"
#include "kernel/rings.h"
#include "lib/log.h"
#include "tcpfate.skel.h"
#include "tcpfate_nokfunc.skel.h"

/* What each hook gives; the required ones make start-up fail when missing. */
struct hook {
	struct bpf_program *prog;
	const char *what;
	bool required;
};

static int attach_one(struct tf_bpf *b, const struct hook *h)
{
	struct bpf_link *link;

	if (!bpf_program__autoload(h->prog))
		return 0;
	link = bpf_program__attach(h->prog);
	if (!link) {
		int err = -errno;

		if (h->required) {
			tf_error("cannot attach %s (%s): %s", bpf_program__section_name(h->prog), h->what,
				 strerror(-err));
			return err;
		}
		tf_warn("%s unavailable (%s): %s", bpf_program__section_name(h->prog), strerror(-err), h->what);
		return 0;
	}
	if (b->n_links == TF_MAX_LINKS) {
		bpf_link__destroy(link);
		tf_error("internal: too many links");
		return -E2BIG;
	}
	b->links[b->n_links++] = link;
	return 0;
}

/* What this kernel lacks, and what is lost with each: collected for one line at start-up. */
struct losses {
	char line[1024];
	size_t len;
};

static void lost(struct losses *l, const char *missing, const char *loss)
{
	int n = snprintf(l->line + l->len, sizeof(l->line) - l->len, "%s%s: %s", l->len ? "; " : "", missing, loss);

	if (n > 0)
		l->len = l->len + (size_t)n < sizeof(l->line) ? l->len + (size_t)n : sizeof(l->line) - 1;
}

/* Switch off hooks this kernel lacks, and say in one line what is lost. */
static void choose_hooks(struct tcpfate_bpf *skel, const struct tf_features *k)
{
	struct losses l = { .len = 0 };

	bpf_program__set_autoload(skel->progs.tf_send_reset, k->send_reset_args >= 3);
	bpf_program__set_autoload(skel->progs.tf_send_reset_noreason, k->send_reset_args == 2);
	if (k->send_reset_args < 2)
		lost(&l, "tcp_send_reset", "resets we send are told from errnos only");
	else if (k->send_reset_args == 2)
		lost(&l, "tcp_send_reset's reason (6.10)", "RST reasons inferred where the socket's state tells");
	bpf_program__set_autoload(skel->progs.tf_receive_reset, k->has_receive_reset);
	if (!k->has_receive_reset)
		lost(&l, "tcp_receive_reset", "resets we receive are told from errnos only");
	bpf_program__set_autoload(skel->progs.tf_error_report, k->has_error_report);
	if (!k->has_error_report)
		lost(&l, "inet_sk_error_report (5.14)", "errnos set after close are not seen");
	bpf_program__set_autoload(skel->progs.tf_timer_expire, k->has_timer_expire && k->keepalive_timer_fn);
	if (!k->has_timer_expire)
		lost(&l, "timer_expire_entry", "no keepalive timings");
	else if (!k->keepalive_timer_fn)
		lost(&l, "tcp_keepalive_timer in /proc/kallsyms", "no keepalive timings");
	/* Which scan is not a loss of information, only of speed: said only for none. */
	bpf_program__set_autoload(skel->progs.tf_scan_direct, k->scan == TF_SCAN_ITER_DIRECT);
	bpf_program__set_autoload(skel->progs.tf_scan_probe, k->scan == TF_SCAN_ITER_PROBE);
	bpf_program__set_autoload(skel->progs.tf_scan_run, k->scan == TF_SCAN_RUN);
	if (k->scan == TF_SCAN_NONE)
		lost(&l, "map element iterators and bpf_loop",
		     "no live warnings; connections open at exit are counted as ends unseen");
	bpf_program__set_autoload(skel->progs.tf_send_length, k->has_io_tracepoints);
	bpf_program__set_autoload(skel->progs.tf_recv_length, k->has_io_tracepoints);
	bpf_program__set_autoload(skel->progs.tf_accept, k->has_accept_fexit);
	bpf_program__set_autoload(skel->progs.tf_rcv_space_adjust, k->has_rcv_space_tracepoint);
	if (!k->has_io_tracepoints)
		lost(&l, "sock_send_length/sock_recv_length (6.3)",
		     k->has_accept_fexit ? "owners of accepted connections taken at accept() instead, nothing lost"
		     : k->has_rcv_space_tracepoint ? "no fexit either: accepted connections get their owner at "
						     "their first read, or when they close"
						   : "accepted connections get their owner only when they close");
	if (l.len)
		tf_warn("this kernel (%s) lacks %s", k->release, l.line);
}

/*
 * The fixed table of connection entries (see conn_slots in the BPF side): an
 * eighth of --max-tracked, a power of two, at most 32,768 slots (5.25 MiB);
 * the overflow map holds the rest.  The cap bounds the idle cost: the
 * once-a-second scan visits every slot, used or not (docs/performance.md).
 */
#define TF_SLOTS_MAX 32768u

static __u32 fixed_slots(__u32 max_tracked)
{
	__u32 n = 1;

	while (n * 2 <= max_tracked / 8 && n * 2 <= TF_SLOTS_MAX)
		n *= 2;
	return n;
}

/* Sizes the maps before loading; says how many rings (one per possible CPU) of how many bytes to make after. */
static int size_maps(struct tf_bpf *b, struct tcpfate_bpf *skel, const struct tf_options *o,
		     const struct tf_features *k, int *n_rings_out, unsigned long *ring_bytes_out)
{
	int n_rings = libbpf_num_possible_cpus();
	__u32 slots = fixed_slots(o->max_tracked);
	unsigned long ring_bytes;
	int err;

	if (n_rings <= 0) {
		tf_error("cannot count the CPUs: %s", strerror(-n_rings));
		return n_rings;
	}
	ring_bytes = tf_rings_size_each((unsigned long)o->ring_mb << 20, n_rings);
	skel->rodata->keepalive_timer_fn = k->keepalive_timer_fn;
	/* Wake the reader early enough that a burst cannot fill a ring before the timer. */
	skel->rodata->wakeup_bytes = (__u32)(ring_bytes / 4);
	/* The rings themselves are made after loading (tf_rings_create), at their size. */
	err = bpf_map__set_max_entries(skel->maps.events, (__u32)n_rings);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.keepalive_timers, o->keepalive_slots);
	skel->rodata->slot_mask = slots - 1;
	b->n_slots = slots;
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.conn_slots, slots);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.conn_overflow, o->max_tracked - slots);
	if (err)
		tf_error("cannot size BPF maps: %s", strerror(-err));
	*n_rings_out = n_rings;
	*ring_bytes_out = ring_bytes;
	return err;
}

/* Appends one sample of the scan run by userspace to the caller's array. */
static int on_scan_sample(void *ctx, void *data, size_t size)
{
	struct tf_sample_sink *sink = ctx;
	size_t n = *sink->used / sizeof(**sink->samples);

	if (size < sizeof(**sink->samples) || TF_GROW(*sink->samples, *sink->cap, n + 1, 1024))
		return 0; /* keep what fitted */
	memcpy(&(*sink->samples)[n], data, sizeof(**sink->samples));
	*sink->used += sizeof(**sink->samples);
	return 0;
}

/* The scan: iterators on both tables of entries (none attached if either fails), or the run program's ring. */
static int attach_scan(struct tf_bpf *b)
{
	struct tcpfate_bpf *skel = b->skel;
	struct bpf_program *scan = b->scan == TF_SCAN_ITER_DIRECT ? skel->progs.tf_scan_direct : skel->progs.tf_scan_probe;
	const struct bpf_map *tables[2] = { skel->maps.conn_slots, skel->maps.conn_overflow };

	if (b->scan == TF_SCAN_NONE) {
		errno = EOPNOTSUPP;
		return -1;
	}
	if (b->scan == TF_SCAN_RUN) {
		/* The sink is pointed at the caller's array for each scan. */
		b->scan_rb = ring_buffer__new(bpf_map__fd(skel->maps.scan_samples), on_scan_sample, &b->scan_sink, NULL);
		return b->scan_rb ? 0 : -1;
	}

	for (int i = 0; i < 2; i++) {
		union bpf_iter_link_info info = { .map.map_fd = bpf_map__fd(tables[i]) };
		LIBBPF_OPTS(bpf_iter_attach_opts, iter_opts, .link_info = &info, .link_info_len = sizeof(info));

		b->scan_links[i] = bpf_program__attach_iter(scan, &iter_opts);
		if (!b->scan_links[i]) {
			int err = errno;

			bpf_link__destroy(b->scan_links[0]);
			b->scan_links[0] = NULL;
			errno = err;
			return -1;
		}
	}
	return 0;
}

/* Both clocks, read by the kernel in one program run. */
static int clock_probe(struct tf_bpf *b, uint64_t *jiffies, uint64_t *ns)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	if (bpf_prog_test_run_opts(bpf_program__fd(b->skel->progs.tf_clock_probe), &opts))
		return -errno;
	*jiffies = b->skel->bss->clock_probe_jiffies;
	*ns = b->skel->bss->clock_probe_ns;
	return 0;
}

/*
 * The first reading after the jiffies counter moves on: a measurement that
 * starts and ends on a tick counts whole jiffies, not whole jiffies plus or
 * minus the one it started in (at HZ 250 over 200 ms that is 2 %, enough to
 * make 250 look like 256).  A tick is at most 1/24 s, so 100 ms bounds the
 * wait.
 */
static int clock_probe_on_tick(struct tf_bpf *b, uint64_t *jiffies, uint64_t *ns)
{
	uint64_t start_jiffies, start_ns;
	int err = clock_probe(b, &start_jiffies, &start_ns);

	while (!err) {
		err = clock_probe(b, jiffies, ns);
		if (!err && *jiffies != start_jiffies)
			return 0;
		if (!err && *ns - start_ns > 100 * 1000 * 1000ULL)
			return -ETIME;
	}
	return err;
}

/*
 * The kernel's HZ, for the BPF side's jiffies: from its config where that is
 * readable, else measured (the jiffies between two ticks about 200 ms apart,
 * over the kernel's own monotonic clock, rounded to a value Linux can be
 * configured with).
 */
static int set_clock(struct tf_bpf *b, const struct tf_features *k)
{
	uint64_t j0, t0, j1, t1;
	unsigned int hz = k->config_hz;
	int err;

	if (!hz) {
		err = clock_probe_on_tick(b, &j0, &t0);
		usleep(200 * 1000);
		if (!err)
			err = clock_probe_on_tick(b, &j1, &t1);
		if (err) {
			tf_error("cannot tell the kernel's HZ: no kernel config to read, and measuring it failed: %s",
				 strerror(-err));
			return -1;
		}
		hz = tf_round_hz((double)(j1 - j0) * 1e9 / (double)(t1 - t0));
		if (!hz) {
			tf_error("cannot tell the kernel's HZ: no kernel config to read, and %.1f jiffies a second is "
				 "no value Linux is configured with", (double)(j1 - j0) * 1e9 / (double)(t1 - t0));
			return -1;
		}
	}
	b->hz = hz;
	b->hz_measured = !k->config_hz;
	b->skel->bss->ns_per_jiffy = 1000000000ULL / hz;
	return 0;
}

double tf_bpf_ring_fill(struct tf_bpf *b)
{
	return tf_rings_fill(&b->rings);
}

/*
 * Opens the BPF object through its skeleton.  Only the direct scan uses a
 * kfunc; without it, the build of the same source that references none is
 * opened (the Makefile checks that both lay out the same maps, programs and
 * variables).
 */
static struct tcpfate_bpf *open_object(const struct tf_features *k)
{
	struct tcpfate_bpf *skel = calloc(1, sizeof(*skel));
	int err;

	if (!skel)
		return NULL;
	err = tcpfate_bpf__create_skeleton(skel);
	if (!err && k->scan != TF_SCAN_ITER_DIRECT)
		skel->skeleton->data = (void *)tcpfate_nokfunc_bpf__elf_bytes(&skel->skeleton->data_sz);
	if (!err)
		err = bpf_object__open_skeleton(skel->skeleton, NULL);
	if (err) {
		tcpfate_bpf__destroy(skel);
		errno = -err;
		return NULL;
	}
	return skel;
}

int tf_bpf_start(struct tf_bpf *b, const struct tf_options *o, const struct tf_features *k,
		 ring_buffer_sample_fn on_record, void *ctx)
{
	struct tcpfate_bpf *skel;
	unsigned long ring_bytes = 0;
	int err, n_rings = 0;

	memset(b, 0, sizeof(*b));
	if (!k->privileged) {
		tf_error("needs root, or the capabilities CAP_BPF and CAP_PERFMON (try: sudo tcpfate)");
		return -1;
	}
	if (!k->has_btf) {
		tf_error("this kernel has no BTF (/sys/kernel/btf/vmlinux): tcpfate needs CONFIG_DEBUG_INFO_BTF=y");
		return -1;
	}
	if (!k->has_atomics) {
		tf_error("this kernel (%s) lacks BPF atomic operations (Linux 5.12), which tcpfate needs", k->release);
		return -1;
	}
	skel = open_object(k);
	if (!skel) {
		tf_error("cannot open the BPF object: %s", strerror(errno));
		return -1;
	}
	b->skel = skel;
	b->scan = k->scan;
	if (size_maps(b, skel, o, k, &n_rings, &ring_bytes))
		goto fail;
	choose_hooks(skel, k);

	err = tcpfate_bpf__load(skel);
	if (err) {
		/* With the capabilities, EACCES is the verifier refusing a program, not a permission. */
		if (err == -EPERM || (err == -EACCES && !k->privileged))
			tf_error("not allowed to load BPF programs: run as root (or with CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN)");
		else if (err == -EACCES)
			tf_error("this kernel's verifier refused a program (run with --verbose for its log)");
		else
			tf_error("cannot load the BPF programs: %s (run with --verbose for the verifier log)",
				 strerror(-err));
		goto fail;
	}

	if (set_clock(b, k))
		goto fail;
	/* Rings first: a hook that runs before its ring exists could only count its record as lost. */
	if (tf_rings_create(&b->rings, n_rings, ring_bytes, skel->maps.events, on_record, ctx))
		goto fail;

	const struct hook hooks[] = {
		{ skel->progs.tf_set_state, "TCP state changes", true },
		{ skel->progs.tf_destroy, "closes missed by the kernel's re-entry guard", false },
		{ skel->progs.tf_retransmit, "retransmits", true },
		{ skel->progs.tf_send_reset, "resets we send", false },
		{ skel->progs.tf_send_reset_noreason, "resets we send", false },
		{ skel->progs.tf_receive_reset, "resets we receive", false },
		{ skel->progs.tf_error_report, "socket errors", false },
		{ skel->progs.tf_timer_expire, "keepalive probes", false },
		{ skel->progs.tf_send_length, "owners of accepted connections", false },
		{ skel->progs.tf_recv_length, "owners of accepted connections", false },
		{ skel->progs.tf_accept, "owners of accepted connections", false },
		{ skel->progs.tf_rcv_space_adjust, "owners of accepted connections", false },
	};
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++)
		if (attach_one(b, &hooks[i]))
			goto fail;

	/* Even without warnings the scan counts what is open, for the final accounting. */
	if (attach_scan(b))
		tf_warn("cannot scan open connections (%s): no live warnings", strerror(errno));
	/* Kept, because owners are looked for again later, when privileges may be gone. */
	b->owners_link = bpf_program__attach_iter(skel->progs.tf_adopt_owners, NULL);
	if (!b->owners_link)
		tf_warn("cannot walk open file descriptors (%s): connections open before start-up and "
			"accepted ones that never read or write have no owner", strerror(errno));
	return 0;
fail:
	tf_bpf_stop(b);
	return -1;
}

/* Reads an iterator to the end; its work is done in the program. */
static int read_iterator(struct bpf_link *link, const char *what)
{
	char buf[256];
	ssize_t n;
	int fd, err = 0;

	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		err = -errno;
		tf_warn("cannot walk %s: %s", what, strerror(-err));
		return err;
	}
	/* The kernel pauses an iterator every million objects (EAGAIN): read on. */
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EAGAIN))
		;
	if (n < 0) {
		err = -errno;
		tf_warn("walking %s failed: %s", what, strerror(-err));
	}
	close(fd);
	return err;
}

/* Runs one iterator program once, through a link of its own. */
static int run_iterator(struct bpf_program *prog, const char *what)
{
	struct bpf_link *link = bpf_program__attach_iter(prog, NULL);
	int err;

	if (!link) {
		err = -errno;
		tf_warn("cannot walk %s: %s", what, strerror(-err));
		return err;
	}
	err = read_iterator(link, what);
	bpf_link__destroy(link);
	return err;
}

int tf_bpf_find_owners(struct tf_bpf *b)
{
	return b->owners_link ? read_iterator(b->owners_link, "open file descriptors") : -ENOENT;
}

int tf_bpf_adopt_existing(struct tf_bpf *b)
{
	/* Sockets first, then owners: the owner walk also adopts sockets of other namespaces. */
	int err = run_iterator(b->skel->progs.tf_adopt_sockets, "open TCP sockets");
	int err2 = tf_bpf_find_owners(b);

	return err ? err : err2;
}

/* Appends what one scan iterator writes to *samples (`used` bytes so far); false if it could not start. */
static bool read_scan(struct tf_bpf *b, struct bpf_link *link, struct tf_open_sample **samples, size_t *cap,
		      size_t *used, void (*between)(void *ctx), void *ctx)
{
	uint64_t t0;
	ssize_t got;
	int fd = bpf_iter_create(bpf_link__fd(link));

	if (fd < 0)
		return false;
	for (;;) {
		size_t room;

		if (TF_GROW(*samples, *cap, *used / sizeof(**samples) + 64, 1024))
			break; /* keep what fitted */
		room = *cap * sizeof(**samples) - *used;
		/*
		 * Small reads: an iterator's read() returns once the buffer is
		 * full, and with the scan's progress markers a small buffer
		 * fills every few thousand sockets.
		 */
		t0 = tf_monotonic_ns();
		got = read(fd, (char *)*samples + *used, room < 8 * sizeof(**samples) ? room : 8 * sizeof(**samples));
		b->scan_busy_ns += tf_monotonic_ns() - t0;
		/* A scan of a million sockets takes a while: keep draining the ring meanwhile. */
		if (between)
			between(ctx);
		if (got < 0 && errno == EAGAIN) /* paused every million objects */
			continue;
		if (got <= 0)
			break;
		*used += (size_t)got;
	}
	close(fd);
	return true;
}

/* One run of the scan program over part of a table; its samples go to the sink. */
static bool run_scan_once(struct tf_bpf *b, __u32 table, __u32 first, __u32 count)
{
	struct tf_scan_run run = { .table = table, .first = first, .count = count };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &run, .ctx_size_in = sizeof(run));
	uint64_t t0 = tf_monotonic_ns();
	int err = bpf_prog_test_run_opts(bpf_program__fd(b->skel->progs.tf_scan_run), &opts);

	b->scan_busy_ns += tf_monotonic_ns() - t0;
	if (err)
		return false;
	ring_buffer__consume(b->scan_rb);
	return true;
}

/* The scan run by userspace: the fixed table TF_SCAN_CHUNK slots at a time, then the overflow map. */
static bool run_scan(struct tf_bpf *b, bool overflow, struct tf_open_sample **samples, size_t *cap,
		     size_t *used, void (*between)(void *ctx), void *ctx)
{
	b->scan_sink = (struct tf_sample_sink){ .samples = samples, .cap = cap, .used = used };
	for (__u32 first = 0; first < b->n_slots; first += TF_SCAN_CHUNK) {
		__u32 count = b->n_slots - first < TF_SCAN_CHUNK ? b->n_slots - first : TF_SCAN_CHUNK;

		if (!run_scan_once(b, TF_SCAN_FIXED_SLOTS, first, count))
			return false;
		if (between)
			between(ctx);
	}
	return !overflow || run_scan_once(b, TF_SCAN_OVERFLOW, 0, 0);
}

long tf_bpf_scan(struct tf_bpf *b, struct tf_open_sample **samples, size_t *cap, uint64_t *open,
		 void (*between)(void *ctx), void *ctx)
{
	size_t used = 0; /* bytes */
	bool overflow;

	b->scan_busy_ns = 0;
	if (!b->scan_links[0] && !b->scan_rb)
		return -1;
	b->skel->bss->scan_open = 0;
	b->skel->bss->scan_visited = 0;
	/*
	 * The overflow table is walked only while it holds entries: an iterator
	 * visits every bucket of a hash map, used or not (as costly as the fixed
	 * table's walk at the default size).  overflow_used counts an entry from
	 * before it is added until after it is deleted: 0 means it is empty.
	 */
	if (b->scan_rb) {
		overflow = __atomic_load_n(&b->skel->bss->overflow_used, __ATOMIC_ACQUIRE);
		if (!run_scan(b, overflow, samples, cap, &used, between, ctx))
			return -1;
	} else {
		if (!read_scan(b, b->scan_links[0], samples, cap, &used, between, ctx))
			return -1;
		overflow = __atomic_load_n(&b->skel->bss->overflow_used, __ATOMIC_ACQUIRE);
		if (overflow && !read_scan(b, b->scan_links[1], samples, cap, &used, between, ctx))
			return -1;
	}
	*open = b->skel->bss->scan_open;
	/* Drop the progress markers (cookie 0). */
	size_t n = used / sizeof(**samples), kept = 0;

	for (size_t i = 0; i < n; i++)
		if ((*samples)[i].cookie)
			(*samples)[kept++] = (*samples)[i];
	return (long)kept;
}

void tf_bpf_freeze(struct tf_bpf *b)
{
	b->skel->bss->frozen = 1;
	/*
	 * Hook programs run inside RCU read-side sections: after a grace period
	 * none is still running with the old value.  MEMBARRIER_CMD_GLOBAL waits
	 * for one; where it is unavailable (nohz_full), a pause a hook run
	 * cannot outlast in practice.
	 */
	if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		usleep(50 * 1000);
}

int tf_bpf_read_stats(struct tf_bpf *b, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(b->skel->maps.stats);

	if (ncpu <= 0)
		return -1;
	__u64 values[ncpu];
	for (__u32 key = 0; key < TF_STAT_MAX; key++) {
		out[key] = 0;
		if (bpf_map_lookup_elem(fd, &key, values))
			return -errno;
		for (int cpu = 0; cpu < ncpu; cpu++)
			out[key] += values[cpu];
	}
	return 0;
}

uint64_t tf_bpf_recursion_misses(struct tf_bpf *b)
{
	struct bpf_program *prog;
	uint64_t total = 0;

	bpf_object__for_each_program(prog, b->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(prog);

		memset(&info, 0, sizeof(info));
		if (fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len))
			total += info.recursion_misses;
	}
	return total;
}

void tf_bpf_stop(struct tf_bpf *b)
{
	tf_rings_free(&b->rings);
	ring_buffer__free(b->scan_rb);
	for (int i = 0; i < 2; i++)
		bpf_link__destroy(b->scan_links[i]);
	bpf_link__destroy(b->owners_link);
	for (int i = 0; i < b->n_links; i++)
		bpf_link__destroy(b->links[i]);
	tcpfate_bpf__destroy(b->skel);
	memset(b, 0, sizeof(*b));
}
