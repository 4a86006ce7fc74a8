// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "identity/cgroup_path.h"

/* Exactly n lowercase hex digits. */
static bool is_hex(const char *s, size_t len, size_t n)
{
	if (len != n)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(s, prefix, n);
}

static bool has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(s + len - n, suffix, n);
}

/* The runtimes' scopes under systemd: "<prefix><64 hex>.scope". */
static const struct {
	const char *prefix;
	const char *runtime;
} scopes[] = {
	{ "docker-", "docker" },
	{ "cri-containerd-", "containerd" },
	{ "crio-", "cri-o" },
	{ "libpod-", "podman" },
};

static bool container_scope(const char *c, size_t len, struct tf_identity *id)
{
	for (size_t i = 0; i < sizeof(scopes) / sizeof(scopes[0]); i++) {
		size_t p = strlen(scopes[i].prefix);

		if (has_prefix(c, len, scopes[i].prefix) && has_suffix(c, len, ".scope") &&
		    is_hex(c + p, len - p - strlen(".scope"), TF_CONTAINER_ID_LEN)) {
			memcpy(id->container_id, c + p, TF_CONTAINER_ID_LEN);
			id->container_id[TF_CONTAINER_ID_LEN] = '\0';
			id->runtime = scopes[i].runtime;
			return true;
		}
	}
	return false;
}

/* A pod UID as Kubernetes writes it: 36 characters, hex and dashes (underscores in slice names). */
static bool pod_uid(const char *s, size_t len, struct tf_identity *id)
{
	char uid[TF_POD_UID_LEN + 1];

	if (len != TF_POD_UID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		char c = s[i];

		if (dash ? (c != '-' && c != '_') : !is_hex(&c, 1, 1))
			return false;
		uid[i] = dash ? '-' : c;
	}
	uid[len] = '\0';
	memcpy(id->pod_uid, uid, sizeof(uid));
	return true;
}

/*
 * Kubernetes, either cgroup driver:
 *   systemd:  kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice
 *   cgroupfs: kubepods/burstable/pod<uid>
 * A pod in neither QoS slice is guaranteed.
 */
static void kubepods_component(const char *c, size_t len, bool cgroupfs, struct tf_identity *id)
{
	static const char *const qos[] = { "burstable", "besteffort" };

	for (size_t i = 0; i < 2; i++) {
		char slice[64];

		snprintf(slice, sizeof(slice), cgroupfs ? "%s" : "kubepods-%s.slice", qos[i]);
		if (len == strlen(slice) && !memcmp(c, slice, len))
			id->pod_qos = qos[i];
	}
	if (cgroupfs) {
		if (has_prefix(c, len, "pod"))
			pod_uid(c + 3, len - 3, id);
		return;
	}
	if (has_prefix(c, len, "kubepods-") && has_suffix(c, len, ".slice")) {
		const char *pod = memmem(c, len, "-pod", 4);

		/* kubepods[-qos]-pod<uid>.slice: the UID runs from after "-pod" to ".slice". */
		if (pod)
			pod_uid(pod + 4, (size_t)(c + len - strlen(".slice") - (pod + 4)), id);
	}
}

void tf_identity_parse(const char *path, struct tf_identity *id)
{
	const char *unit = NULL, *parent = NULL;
	size_t unit_len = 0, parent_len = 0;
	bool kube = false, kube_cgroupfs = false;

	memset(id, 0, sizeof(*id));
	for (const char *c = path; *c;) {
		const char *end = strchr(c, '/');
		size_t len = end ? (size_t)(end - c) : strlen(c);

		if (len == 0) {
			c++;
			continue;
		}
		if ((len == 14 && !memcmp(c, "kubepods.slice", 14)) || (len == 8 && !memcmp(c, "kubepods", 8))) {
			kube = true;
			kube_cgroupfs = len == 8;
		} else if (kube) {
			kubepods_component(c, len, kube_cgroupfs, id);
		}
		if (!id->container_id[0] && !container_scope(c, len, id)) {
			/* cgroupfs drivers: a bare id under "docker", or under a pod; Podman's "libpod-<id>". */
			if (is_hex(c, len, TF_CONTAINER_ID_LEN) &&
			    ((parent_len == 6 && !memcmp(parent, "docker", 6)) || id->pod_uid[0])) {
				memcpy(id->container_id, c, len);
				id->runtime = id->pod_uid[0] ? NULL : "docker";
			} else if (has_prefix(c, len, "libpod-") && is_hex(c + 7, len - 7, TF_CONTAINER_ID_LEN)) {
				memcpy(id->container_id, c + 7, TF_CONTAINER_ID_LEN);
				id->runtime = "podman";
			}
		}
		if (has_suffix(c, len, ".service") || has_suffix(c, len, ".scope")) {
			unit = c;
			unit_len = len;
		}
		parent = c;
		parent_len = len;
		c += len;
	}
	if (id->pod_uid[0] && !id->pod_qos)
		id->pod_qos = "guaranteed";
	/* A container's or pod's own identity says more than the scope systemd made for it. */
	if (unit && !id->container_id[0] && !id->pod_uid[0] && unit_len < sizeof(id->unit)) {
		memcpy(id->unit, unit, unit_len);
		id->unit[unit_len] = '\0';
	}
}

static const char *or_empty(const char *s)
{
	return s ? s : "";
}

void tf_identity_service(const struct tf_identity_names *who, char *buf, size_t len)
{
	const char *container_id = or_empty(who->container_id), *pod_uid = or_empty(who->pod_uid);
	const char *name = or_empty(who->container_name), *pod = or_empty(who->pod_name);
	const char *ns = or_empty(who->pod_namespace), *runtime = or_empty(who->runtime);
	char pod_part[340] = "";

	/* A pod by its namespace/name when the kubelet's files said, else by its UID. */
	if (*pod)
		snprintf(pod_part, sizeof(pod_part), "pod %s%s%s", ns, *ns ? "/" : "", pod);
	else if (*pod_uid)
		snprintf(pod_part, sizeof(pod_part), "pod %s", pod_uid);
	if (*container_id && *name)
		snprintf(buf, len, "%s %s (%.12s)%s%s%s", *runtime ? runtime : "container", name, container_id,
			 *pod_part ? " (" : "", pod_part, *pod_part ? ")" : "");
	else if (*container_id)
		snprintf(buf, len, "%s %.12s%s%s%s", *runtime ? runtime : "container", container_id,
			 *pod_part ? " (" : "", pod_part, *pod_part ? ")" : "");
	else if (*pod_part)
		snprintf(buf, len, "%s", pod_part);
	else
		snprintf(buf, len, "%s", who->unit && *who->unit ? who->unit : or_empty(who->cgroup));
}
