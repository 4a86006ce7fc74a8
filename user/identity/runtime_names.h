/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Names for what a cgroup path names, read from the runtimes' own files on
 * the host: no daemon is asked, and nothing runs on the hot path (a cgroup
 * is looked up when it is first seen, and a few times more while a name is
 * missing, in user/identity/cgroups.c).
 *
 *   Docker      /var/lib/docker/containers/<id>/config.v2.json          "Name": "/web"
 *   Podman      /var/lib/containers/storage/overlay-containers/containers.json (root's)
 *   Kubernetes  /var/log/containers/<pod>_<namespace>_<container>-<id>.log (the kubelet's links)
 *               /var/log/pods/<namespace>_<pod>_<uid>/
 *
 * All under the host's root: "/" unless --host-root says where the host's /
 * is mounted (tcpfate in a container).  A source that cannot be read is said
 * once, with what is shown instead.
 */
#ifndef TF_RUNTIME_NAMES_H
#define TF_RUNTIME_NAMES_H

#include <stdbool.h>
#include "identity/cgroup_path.h"

/* Where the host's / is; set once before any lookup (NULL or "" is "/"). */
void tf_runtime_names_root(const char *root);
/* Fills the names it finds; true when every name that applies to *id is there (or none applies). */
bool tf_runtime_names_lookup(struct tf_identity *id);

#endif
