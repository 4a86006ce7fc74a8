/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Loads and attaches the BPF side; the one place that talks to libbpf's skeleton. */
#ifndef TF_LOADER_H
#define TF_LOADER_H

#include <stdint.h>
#include <bpf/libbpf.h>
#include "kernel/features.h"
#include "options.h"
#include "kernel/rings.h"
#include "tcpfate.h"

#define TF_MAX_LINKS 16

struct tcpfate_bpf;

/* Where the scan run by userspace appends its samples: the caller's array, grown as needed. */
struct tf_sample_sink {
	struct tf_open_sample **samples;
	size_t *cap, *used; /* used: bytes */
};

struct tf_bpf {
	struct tcpfate_bpf *skel;
	enum tf_scan_kind scan;         /* how the scan below walks the connection table */
	struct bpf_link *scan_links[2]; /* iterators over tracked sockets (slots, overflow), for live warnings */
	struct ring_buffer *scan_rb;    /* TF_SCAN_RUN: its samples, into scan_sink */
	struct tf_sample_sink scan_sink;
	uint32_t n_slots;               /* the fixed table's size */
	unsigned int hz;                /* the kernel's HZ, for its jiffies */
	bool hz_measured;               /* not from its config: measured at start-up */
	struct bpf_link *owners_link; /* iterator over every process's open files */
	struct bpf_link *links[TF_MAX_LINKS];
	int n_links;
	struct tf_rings rings;
	uint64_t scan_busy_ns; /* time the last scan spent in the kernel's iterator, without the drains between */
};

/*
 * Open, size, choose hooks, load, attach, and set up the ring buffer with
 * `on_record`.  Prints one clear line and returns -1 on failure; warns (and
 * goes on) when an optional hook is missing.
 */
int tf_bpf_start(struct tf_bpf *b, const struct tf_options *o, const struct tf_features *k,
		 ring_buffer_sample_fn on_record, void *ctx);
/* Adopt sockets that were open before start-up (and their owners). */
int tf_bpf_adopt_existing(struct tf_bpf *b);
/*
 * Walks every process's open files and gives followed sockets without an
 * owner theirs: an accepted connection whose server never reads or writes
 * has none otherwise (the owner is learnt from its I/O).
 */
int tf_bpf_find_owners(struct tf_bpf *b);
/*
 * Reads one scan of open connections worth a look into *samples (grown as
 * needed, caller frees); returns how many, or -1.  *open gets the number of
 * connections tracked now.  between(ctx), if given, runs after every chunk
 * (the caller drains its ring buffer there).
 */
long tf_bpf_scan(struct tf_bpf *b, struct tf_open_sample **samples, size_t *cap, uint64_t *open,
		 void (*between)(void *ctx), void *ctx);
/* How full the ring buffer is now, 0..1 (0 when unknown). */
double tf_bpf_ring_fill(struct tf_bpf *b);
/*
 * Stops counting and reporting in the kernel, and waits until no hook runs
 * with the old setting: what is read afterwards is one consistent snapshot.
 */
void tf_bpf_freeze(struct tf_bpf *b);
/* Sums the per-CPU counters into out[TF_STAT_MAX]. */
int tf_bpf_read_stats(struct tf_bpf *b, uint64_t *out);
/* Program runs the kernel skipped because the program was already running on that CPU. */
uint64_t tf_bpf_recursion_misses(struct tf_bpf *b);
void tf_bpf_stop(struct tf_bpf *b);

#endif
