// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "kernel/rings.h"

unsigned long tf_rings_size_each(unsigned long total, int n)
{
	unsigned long each = n > 0 ? total / (unsigned long)n : total, size = TF_RING_MIN_BYTES;

	while (size * 2 <= each)
		size *= 2;
	return size;
}

/*
 * A ring's first page holds the consumer position, the second the
 * producer's (kernel/bpf/ringbuf.c); both can be mapped read-only.  libbpf
 * 1.1 has no call for the fill level, and a gauge is worth two pages.
 */
static void map_positions(struct tf_rings *r, int i)
{
	long page = sysconf(_SC_PAGESIZE);
	void *cons = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, r->fds[i], 0);
	void *prod = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, r->fds[i], page);

	if (cons == MAP_FAILED || prod == MAP_FAILED) {
		if (cons != MAP_FAILED)
			munmap(cons, (size_t)page);
		if (prod != MAP_FAILED)
			munmap(prod, (size_t)page);
		return;
	}
	r->consumer[i] = cons;
	r->producer[i] = prod;
}

int tf_rings_create(struct tf_rings *r, int n, unsigned long size, const struct bpf_map *outer,
		    ring_buffer_sample_fn on_record, void *ctx)
{
	int outer_fd = bpf_map__fd(outer), err;

	memset(r, 0, sizeof(*r));
	r->fds = malloc((size_t)n * sizeof(*r->fds));
	r->consumer = calloc((size_t)n, sizeof(*r->consumer));
	r->producer = calloc((size_t)n, sizeof(*r->producer));
	if (!r->fds || !r->consumer || !r->producer) {
		tf_error("cannot set up the ring buffers: out of memory");
		goto fail;
	}
	for (int i = 0; i < n; i++)
		r->fds[i] = -1;
	r->n = n;
	r->size = size;
	for (__u32 i = 0; i < (__u32)n; i++) {
		r->fds[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "tf_ring", 0, 0, (__u32)size, NULL);
		if (r->fds[i] < 0 || bpf_map_update_elem(outer_fd, &i, &r->fds[i], BPF_ANY)) {
			tf_error("cannot set up the ring buffer of CPU %u: %s", i, strerror(errno));
			goto fail;
		}
		if (!i) {
			r->rb = ring_buffer__new(r->fds[i], on_record, ctx, NULL);
			err = r->rb ? 0 : -errno;
		} else {
			err = ring_buffer__add(r->rb, r->fds[i], on_record, ctx);
		}
		if (err) {
			tf_error("cannot read the ring buffer of CPU %u: %s", i, strerror(-err));
			goto fail;
		}
		map_positions(r, (int)i);
	}
	return 0;
fail:
	tf_rings_free(r);
	return -1;
}

double tf_rings_fill(const struct tf_rings *r)
{
	double fullest = 0;

	for (int i = 0; i < r->n; i++) {
		unsigned long used;

		if (!r->consumer || !r->consumer[i])
			continue;
		used = *r->producer[i] - *r->consumer[i];
		if (used >= r->size)
			return 1.0;
		if ((double)used / (double)r->size > fullest)
			fullest = (double)used / (double)r->size;
	}
	return fullest;
}

int tf_rings_poll(struct tf_rings *r, int timeout_ms)
{
	int err = ring_buffer__poll(r->rb, timeout_ms);

	if (err < 0 && err != -EINTR) {
		tf_error("reading the ring buffer failed: %s", strerror(-err));
		return -1;
	}
	return 0;
}

void tf_rings_drain(struct tf_rings *r)
{
	/* Its errors are the callback's, which never fails: records are counted where they are read. */
	ring_buffer__consume(r->rb);
}

void tf_rings_free(struct tf_rings *r)
{
	long page = sysconf(_SC_PAGESIZE);

	ring_buffer__free(r->rb);
	for (int i = 0; i < r->n; i++) {
		if (r->consumer && r->consumer[i]) {
			munmap((void *)r->consumer[i], (size_t)page);
			munmap((void *)r->producer[i], (size_t)page);
		}
		if (r->fds && r->fds[i] >= 0)
			close(r->fds[i]);
	}
	free(r->fds);
	free((void *)r->consumer);
	free((void *)r->producer);
	memset(r, 0, sizeof(*r));
}
