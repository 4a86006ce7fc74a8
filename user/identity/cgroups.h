/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A socket's cgroup, from the id the BPF side reads (the cgroup v2
 * directory's inode number) to its path and what the path names.  Found by
 * walking the cgroup2 file system, off the hot path: once per cgroup id, then
 * cached; an id still unknown walks again at most once a second (a container
 * started a moment ago), and a cgroup removed before it was seen stays
 * unknown (its id alone is shown) without walking again for it.
 */
#ifndef TF_CGROUPS_H
#define TF_CGROUPS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "identity/cgroup_path.h"
#include "lib/cookie_index.h"

struct tf_cgroup {
	uint64_t id;
	char *path; /* relative to the cgroup2 mount: "/system.slice/nginx.service" */
	struct tf_identity ident;
	/* A runtime may write a container's name after its cgroup exists: looked up again, a few times. */
	uint64_t names_next_ns; /* 0: done (found, or given up) */
	unsigned names_tries;
};

struct tf_cgroups {
	char root[PATH_MAX];     /* where cgroup2 is mounted; "" when it is not */
	struct tf_cgroup *items;
	size_t n, cap;
	struct cookie_index index; /* id -> position in items */
	struct cookie_index gone;  /* ids a walk did not find: removed since (see tf_cgroups_find) */
	uint64_t last_walk_ns;
	uint64_t walks;
};

/* Finds the cgroup2 mount (from /proc/self/mountinfo) and reads the tree once; false without cgroup2. */
bool tf_cgroups_init(struct tf_cgroups *cg);
/* The cgroup with this id, or NULL (0, not mounted, or not found even after a walk). */
const struct tf_cgroup *tf_cgroups_find(struct tf_cgroups *cg, uint64_t id);
void tf_cgroups_free(struct tf_cgroups *cg);
/* Exposed for tests: the cgroup2 mount point in a mountinfo stream; false if none. */
bool tf_cgroup2_mount(FILE *mountinfo, char *out, size_t len);

#endif
