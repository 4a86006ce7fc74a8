/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Who a cgroup v2 path names: a container (Docker, containerd, CRI-O,
 * Podman), a Kubernetes pod, or a systemd unit.  Pure: the path comes from
 * the caller (user/identity/cgroups.c resolves a socket's cgroup id to it).
 * A layout it does not know leaves every field empty, so that an unknown
 * path is shown as the path alone, never as a wrong id.
 */
#ifndef TF_CGROUP_PATH_H
#define TF_CGROUP_PATH_H

#include <stddef.h>

#define TF_CONTAINER_ID_LEN 64
#define TF_POD_UID_LEN 36
#define TF_UNIT_LEN 128

struct tf_identity {
	const char *runtime;                      /* "docker", "containerd", "cri-o", "podman"; NULL unknown */
	char container_id[TF_CONTAINER_ID_LEN + 1]; /* "" when not a container */
	char pod_uid[TF_POD_UID_LEN + 1];         /* Kubernetes pod UID, dashed; "" none */
	const char *pod_qos;                      /* "guaranteed", "burstable", "besteffort"; NULL */
	char unit[TF_UNIT_LEN];                   /* systemd unit, when not a container or pod; "" none */
	/* Names from the runtimes' files (identity/runtime_names.h); "" unknown. */
	char container_name[128];
	char pod_name[254];
	char pod_namespace[64];
};

/* Fills *id from a cgroup v2 path ("/system.slice/nginx.service", relative to the mount). */
void tf_identity_parse(const char *path, struct tf_identity *id);

/*
 * The service a socket belongs to, in a few words: its container (with its
 * pod), else its pod, else its unit, else its cgroup path, by name where the
 * runtime's files gave one: "docker web (5e0d1c2b3a49)", "containerd
 * 0123456789ab (pod default/api-7d9f)", "pod 2d3b9c1e-...", "nginx.service".
 * Each field may be NULL or "" when unknown; "" when all are.
 */
struct tf_identity_names {
	const char *container_id, *runtime, *container_name, *pod_uid, *pod_name, *pod_namespace, *unit, *cgroup;
};
void tf_identity_service(const struct tf_identity_names *who, char *buf, size_t len);

#endif
