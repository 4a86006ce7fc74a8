// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "identity/cgroups.h"
#include "identity/runtime_names.h"
#include "lib/clock.h"
#include "lib/grow.h"

#define WALK_EVERY_NS 1000000000ULL
#define WALK_DEPTH 32 /* deeper than any runtime or systemd nests */
#define NAMES_RETRY_NS (5 * 1000000000ULL)
#define NAMES_TRIES 4 /* over 15 s: a runtime writes its state when it starts a container */

bool tf_cgroup2_mount(FILE *mountinfo, char *out, size_t len)
{
	char line[4096];

	/* "36 25 0:31 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate" */
	while (fgets(line, sizeof(line), mountinfo)) {
		char *sep = strstr(line, " - "), mnt[PATH_MAX], fstype[64], root[PATH_MAX];

		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		/* Our own namespace's view of the whole hierarchy: its root is "/". */
		if (!strcmp(fstype, "cgroup2") && !strcmp(root, "/") && strlen(mnt) < len) {
			strcpy(out, mnt);
			return true;
		}
	}
	return false;
}

static int add(struct tf_cgroups *cg, uint64_t id, const char *path)
{
	struct tf_cgroup *c;

	if (cookie_index_get(&cg->index, id) >= 0)
		return 0;
	if (TF_GROW(cg->items, cg->cap, cg->n + 1, 64) || cookie_index_reserve(&cg->index))
		return -1;
	c = &cg->items[cg->n];
	c->id = id;
	c->path = strdup(*path ? path : "/");
	if (!c->path)
		return -1;
	tf_identity_parse(c->path, &c->ident);
	c->names_tries = 1;
	c->names_next_ns = tf_runtime_names_lookup(&c->ident) ? 0 : tf_monotonic_ns() + NAMES_RETRY_NS;
	cookie_index_put(&cg->index, id, (uint32_t)cg->n);
	cg->n++;
	return 0;
}

/* Every directory under dirfd (path `rel` from the mount), depth first. */
static void walk(struct tf_cgroups *cg, int dirfd, char *rel, size_t rel_len, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *e;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;
		size_t n = strlen(e->d_name);
		int sub;

		if (e->d_type != DT_DIR || e->d_name[0] == '.' || rel_len + 1 + n >= PATH_MAX)
			continue;
		sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (fstat(sub, &st)) {
			close(sub);
			continue;
		}
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, e->d_name, n + 1);
		if (add(cg, (uint64_t)st.st_ino, rel) || depth >= WALK_DEPTH)
			close(sub);
		else
			walk(cg, sub, rel, rel_len + 1 + n, depth + 1);
		rel[rel_len] = '\0';
	}
	closedir(d);
}

static void walk_all(struct tf_cgroups *cg)
{
	char rel[PATH_MAX] = "";
	struct stat st;
	int fd = open(cg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	cg->last_walk_ns = tf_monotonic_ns();
	cg->walks++;
	if (fd < 0)
		return;
	if (!fstat(fd, &st))
		add(cg, (uint64_t)st.st_ino, "/");
	walk(cg, fd, rel, 0, 0);
}

bool tf_cgroups_init(struct tf_cgroups *cg)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	bool found;

	memset(cg, 0, sizeof(*cg));
	if (!f)
		return false;
	found = tf_cgroup2_mount(f, cg->root, sizeof(cg->root));
	fclose(f);
	if (!found) {
		cg->root[0] = '\0';
		return false;
	}
	walk_all(cg);
	return true;
}

/* A name still missing is looked up again every 5 s, a few times (one compare otherwise). */
static const struct tf_cgroup *names_again(struct tf_cgroup *c)
{
	uint64_t now;

	if (!c->names_next_ns || (now = tf_monotonic_ns()) < c->names_next_ns)
		return c;
	c->names_next_ns = tf_runtime_names_lookup(&c->ident) || ++c->names_tries >= NAMES_TRIES ? 0 : now + NAMES_RETRY_NS;
	return c;
}

const struct tf_cgroup *tf_cgroups_find(struct tf_cgroups *cg, uint64_t id)
{
	long pos;

	if (!id || !cg->root[0])
		return NULL;
	pos = cookie_index_get(&cg->index, id);
	if (pos >= 0)
		return names_again(&cg->items[pos]);
	if (cookie_index_get(&cg->gone, id) >= 0 || tf_monotonic_ns() - cg->last_walk_ns < WALK_EVERY_NS)
		return NULL;
	walk_all(cg);
	pos = cookie_index_get(&cg->index, id);
	if (pos >= 0)
		return &cg->items[pos];
	/*
	 * The socket was made in this cgroup, so the cgroup existed before the
	 * record and before this walk: not found, it has been removed, and no
	 * later walk will find it.  (Bounded: forgotten past 65,536 such ids.)
	 */
	if (cg->gone.n >= 65536)
		cookie_index_clear(&cg->gone);
	if (!cookie_index_reserve(&cg->gone))
		cookie_index_put(&cg->gone, id, 0);
	return NULL;
}

void tf_cgroups_free(struct tf_cgroups *cg)
{
	for (size_t i = 0; i < cg->n; i++)
		free(cg->items[i].path);
	free(cg->items);
	cookie_index_free(&cg->index);
	cookie_index_free(&cg->gone);
	memset(cg, 0, sizeof(*cg));
}
