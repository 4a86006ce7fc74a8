/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --container, --unit and --cgroup, for the live monitor and for reports
 * alike: parsed and matched here, once.
 */
#ifndef TF_IDENTITY_FILTER_H
#define TF_IDENTITY_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include "identity/cgroup_path.h"

struct tf_identity_filter {
	char container[128]; /* an id prefix, as `docker ps` shortens them, or a name; "" any */
	char unit[TF_UNIT_LEN];                  /* a unit name; "" any */
	char cgroup[256];                        /* a path prefix, at a component boundary; "" any */
};

/* Each returns 0, or -1 with a one-line reason in err. */
int tf_option_container(const char *arg, struct tf_identity_filter *f, char *err, size_t err_len);
int tf_option_unit(const char *arg, struct tf_identity_filter *f, char *err, size_t err_len);
int tf_option_cgroup(const char *arg, struct tf_identity_filter *f, char *err, size_t err_len);

static inline bool tf_identity_filter_empty(const struct tf_identity_filter *f)
{
	return !f->container[0] && !f->unit[0] && !f->cgroup[0];
}

/* A socket's identity (NULL or "" where unknown) against the filter; unknown matches only no filter. */
bool tf_identity_filter_match(const struct tf_identity_filter *f, const char *container_id,
			      const char *container_name, const char *unit, const char *cgroup);

#endif
