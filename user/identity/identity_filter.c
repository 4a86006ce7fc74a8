// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <string.h>
#include "identity/identity_filter.h"

int tf_option_container(const char *arg, struct tf_identity_filter *f, char *err, size_t err_len)
{
	size_t n = strlen(arg);

	/* Docker's and Podman's name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]* (Kubernetes' names fit it too). */
	if (!n || n >= sizeof(f->container) || !strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", arg[0]) ||
	    strspn(arg, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_.-") != n) {
		snprintf(err, err_len, "invalid --container '%s': expected a container name or the start of its id", arg);
		return -1;
	}
	memcpy(f->container, arg, n + 1);
	return 0;
}

int tf_option_unit(const char *arg, struct tf_identity_filter *f, char *err, size_t err_len)
{
	size_t n = strlen(arg);

	if (!n || n >= sizeof(f->unit) || strchr(arg, '/')) {
		snprintf(err, err_len, "invalid --unit '%s': expected a unit name such as nginx.service", arg);
		return -1;
	}
	memcpy(f->unit, arg, n + 1);
	return 0;
}

int tf_option_cgroup(const char *arg, struct tf_identity_filter *f, char *err, size_t err_len)
{
	size_t n = strlen(arg);

	if (arg[0] != '/' || n >= sizeof(f->cgroup)) {
		snprintf(err, err_len, "invalid --cgroup '%s': expected a path from the cgroup2 mount, starting with /",
			 arg);
		return -1;
	}
	memcpy(f->cgroup, arg, n + 1);
	return 0;
}

bool tf_identity_filter_match(const struct tf_identity_filter *f, const char *container_id,
			      const char *container_name, const char *unit, const char *cgroup)
{
	size_t n = strlen(f->cgroup);

	/* An id starts with the filter's hex digits, or the container has that name. */
	if (f->container[0] && !(container_id && *container_id && !strncmp(container_id, f->container, strlen(f->container))) &&
	    !(container_name && !strcmp(container_name, f->container)))
		return false;
	if (f->unit[0] && (!unit || strcmp(unit, f->unit)))
		return false;
	/* "/system.slice" matches itself and what is below it, not "/system.slice2". */
	if (n && (!cgroup || strncmp(cgroup, f->cgroup, n) ||
		  (cgroup[n] && cgroup[n] != '/' && f->cgroup[n - 1] != '/')))
		return false;
	return true;
}
