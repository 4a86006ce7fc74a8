/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where records go: one ring buffer per CPU, and the per-CPU counters of
 * what could not be followed.  Records are submitted without waking the
 * reader, which drains on a timer; a ring passing `wakeup_bytes` (set by the
 * including file) wakes it early.
 */
#ifndef TF_RING_BPF_H
#define TF_RING_BPF_H

/*
 * One ring buffer per CPU, created and put here by userspace.  With one ring
 * for all, every reservation took the same lock and moved the same producer
 * position, and records of two CPUs shared cache lines: under churn on two
 * CPUs a reservation cost four times what it cost on one, and tcpfate -q kept
 * 0.87 of the load's throughput where, without reservations, it kept 0.92.
 */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* a template: the kernel does not hold the rings put here to its size */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* one per possible CPU: resized by userspace */
	__type(key, __u32);
	__array(values, struct ring);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TF_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1; /* per-CPU: no atomics needed */
}


/* A record on this CPU's ring; `ring` is for submit().  Programs do not migrate while they run. */
static __always_inline struct tf_record *reserve(void **ring)
{
	__u32 cpu = bpf_get_smp_processor_id();

	*ring = bpf_map_lookup_elem(&events, &cpu);
	return *ring ? bpf_ringbuf_reserve(*ring, sizeof(struct tf_record), 0) : NULL;
}

/* Submit without waking the reader unless the ring just passed the threshold. */
static __always_inline void submit(void *ring, void *rec)
{
	__u64 queued = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (queued >= wakeup_bytes && queued < wakeup_bytes + sizeof(struct tf_record) + 8)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

#endif /* TF_RING_BPF_H */
