// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "identity/runtime_names.h"
#include "lib/log.h"

static char host_root[PATH_MAX] = "";

void tf_runtime_names_root(const char *root)
{
	size_t n;

	snprintf(host_root, sizeof(host_root), "%s", root ? root : "");
	n = strlen(host_root);
	while (n && host_root[n - 1] == '/')
		host_root[--n] = '\0'; /* "/" is "" */
}

/* Said once per source (any thread may be first; a second line at worst is harmless). */
static void unreadable(bool *said, const char *path, const char *instead)
{
	if (__atomic_exchange_n(said, true, __ATOMIC_RELAXED))
		return;
	tf_warn("container names: cannot read %s (%s): %s (--host-root names where the host's / is)", path,
		strerror(errno), instead);
}

static void copy_name(char *dst, size_t size, const char *src, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void docker_name(struct tf_identity *id)
{
	static bool said;
	char path[PATH_MAX + 128];
	json_t *config, *name;

	snprintf(path, sizeof(path), "%s/var/lib/docker/containers/%s/config.v2.json", host_root, id->container_id);
	config = json_load_file(path, 0, NULL);
	if (!config) {
		char dir[PATH_MAX + 32];

		/* With the runtime's state there, this container is gone or not written yet: tried again later. */
		snprintf(dir, sizeof(dir), "%s/var/lib/docker/containers", host_root);
		if (access(dir, R_OK | X_OK))
			unreadable(&said, dir, "Docker containers are shown by id");
		return;
	}
	name = json_object_get(config, "Name");
	if (json_is_string(name)) {
		const char *s = json_string_value(name);

		s += *s == '/';
		copy_name(id->container_name, sizeof(id->container_name), s, strlen(s));
	}
	json_decref(config);
}

static void podman_name(struct tf_identity *id)
{
	static bool said;
	char path[PATH_MAX + 96];
	json_t *all, *c;
	size_t i;

	snprintf(path, sizeof(path), "%s/var/lib/containers/storage/overlay-containers/containers.json", host_root);
	all = json_load_file(path, 0, NULL);
	if (!all) {
		if (access(path, R_OK))
			unreadable(&said, path, "Podman containers are shown by id");
		return;
	}
	json_array_foreach(all, i, c) {
		json_t *cid = json_object_get(c, "id"), *names = json_object_get(c, "names");

		if (json_is_string(cid) && !strcmp(json_string_value(cid), id->container_id) &&
		    json_is_string(json_array_get(names, 0))) {
			const char *s = json_string_value(json_array_get(names, 0));

			copy_name(id->container_name, sizeof(id->container_name), s, strlen(s));
			break;
		}
	}
	json_decref(all);
}

/* The kubelet's log links: "<pod>_<namespace>_<container>-<id>.log"; names have no '_' (DNS labels). */
static void kubernetes_container(struct tf_identity *id)
{
	static bool said;
	char dir[PATH_MAX + 32], suffix[TF_CONTAINER_ID_LEN + 8];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/var/log/containers", host_root);
	if (!(d = opendir(dir))) {
		unreadable(&said, dir, "Kubernetes containers and pods are shown by id and UID");
		return;
	}
	snprintf(suffix, sizeof(suffix), "-%s.log", id->container_id);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name), sl = strlen(suffix);
		const char *pod = e->d_name, *ns, *ctr;

		if (len <= sl || strcmp(e->d_name + len - sl, suffix))
			continue;
		if (!(ns = memchr(pod, '_', len - sl)) || !(ctr = memchr(ns + 1, '_', (size_t)(e->d_name + len - sl - ns - 1))))
			continue;
		copy_name(id->pod_name, sizeof(id->pod_name), pod, (size_t)(ns - pod));
		copy_name(id->pod_namespace, sizeof(id->pod_namespace), ns + 1, (size_t)(ctr - ns - 1));
		copy_name(id->container_name, sizeof(id->container_name), ctr + 1, (size_t)(e->d_name + len - sl - ctr - 1));
		break;
	}
	closedir(d);
}

/* The kubelet's pod log directories: "<namespace>_<pod>_<uid>". */
static void kubernetes_pod(struct tf_identity *id)
{
	static bool said;
	char dir[PATH_MAX + 32];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/var/log/pods", host_root);
	if (!(d = opendir(dir))) {
		unreadable(&said, dir, "Kubernetes pods are shown by UID");
		return;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		const char *ns = e->d_name, *pod;

		if (len <= TF_POD_UID_LEN + 1 || strcmp(e->d_name + len - TF_POD_UID_LEN, id->pod_uid) ||
		    e->d_name[len - TF_POD_UID_LEN - 1] != '_' || !(pod = memchr(ns, '_', len - TF_POD_UID_LEN - 1)))
			continue;
		copy_name(id->pod_namespace, sizeof(id->pod_namespace), ns, (size_t)(pod - ns));
		copy_name(id->pod_name, sizeof(id->pod_name), pod + 1, (size_t)(e->d_name + len - TF_POD_UID_LEN - 1 - pod - 1));
		break;
	}
	closedir(d);
}

bool tf_runtime_names_lookup(struct tf_identity *id)
{
	bool pod = id->pod_uid[0] != '\0';

	if (id->container_id[0] && !id->container_name[0]) {
		if (id->runtime && !strcmp(id->runtime, "docker"))
			docker_name(id);
		else if (id->runtime && !strcmp(id->runtime, "podman"))
			podman_name(id);
		else
			kubernetes_container(id); /* containerd, CRI-O: their containers are Kubernetes' here */
	}
	if (pod && !id->pod_name[0])
		kubernetes_pod(id);
	return (!id->container_id[0] || id->container_name[0]) && (!pod || id->pod_name[0]);
}
