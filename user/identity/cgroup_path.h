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
};

/* Fills *id from a cgroup v2 path ("/system.slice/nginx.service", relative to the mount). */
void tf_identity_parse(const char *path, struct tf_identity *id);

/*
 * The service a socket belongs to, in a few words: its container (with its
 * pod), else its pod, else its unit, else its cgroup path:
 * "containerd 0123456789ab (pod 2d3b9c1e-...)", "pod ...", "nginx.service".
 * Each argument may be NULL or "" when unknown; "" when all are.
 */
void tf_identity_service(const char *container_id, const char *runtime, const char *pod_uid, const char *unit,
			 const char *cgroup, char *buf, size_t len);

#endif
