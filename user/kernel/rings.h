/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The ring buffers the BPF side writes its records to: one per possible CPU
 * (see `events` in bpf/tcpfate.bpf.c), created here, put into the BPF
 * side's map of rings, and read through one libbpf ring_buffer manager.
 */
#ifndef TF_RINGS_H
#define TF_RINGS_H

#include <bpf/libbpf.h>

#define TF_RING_MIN_BYTES (256UL << 10)

struct tf_rings {
	int n;                 /* rings: one per possible CPU */
	unsigned long size;    /* bytes in each */
	int *fds;
	/* Read-only maps of each ring's positions, for the fill level. */
	const volatile unsigned long **consumer, **producer;
	struct ring_buffer *rb; /* reads them all */
};

/*
 * Bytes per ring for `total` bytes over `n` rings: the largest power of two
 * that fits, but never under TF_RING_MIN_BYTES (many CPUs then take more
 * than `total`: a ring too small for one CPU's burst loses records).
 */
unsigned long tf_rings_size_each(unsigned long total, int n);
/* After the BPF object is loaded: create n rings of `size` bytes into `outer`; one line and -1 on failure. */
int tf_rings_create(struct tf_rings *r, int n, unsigned long size, const struct bpf_map *outer,
		    ring_buffer_sample_fn on_record, void *ctx);
/*
 * Waits up to timeout_ms for a wake-up (a ring past its threshold) and reads
 * the rings that woke it.  Records are submitted without wake-ups, so the
 * caller drains every ring after it.  Returns 0, or -1 after one line on stderr.
 */
int tf_rings_poll(struct tf_rings *r, int timeout_ms);
/* Takes everything queued now, without waiting. */
void tf_rings_drain(struct tf_rings *r);
/* The fullest ring's fill, 0 to 1. */
double tf_rings_fill(const struct tf_rings *r);
void tf_rings_free(struct tf_rings *r);

#endif
