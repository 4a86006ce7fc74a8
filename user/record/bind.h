/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What the recording's two tables (connections, ok_rollups) write alike:
 * the identity columns, in the same order in both, and the binds of text,
 * milliseconds and a socket's identity.
 */
#ifndef TF_RECORD_BIND_H
#define TF_RECORD_BIND_H

#include <math.h>
#include <stdint.h>
#include <sqlite3.h>
#include "identity/cgroups.h"
#include "lib/fields.h"

/* Schema 2: the socket's identity; NULL when unknown.  tf_bind_identity binds them from CGROUP_ID on. */
#define TF_IDENTITY_COLUMNS(X)                                                                         \
	X(CGROUP_ID, TF_KEY_CGROUP_ID, "INTEGER")                                                      \
	X(CGROUP, TF_KEY_CGROUP, "TEXT")                                                               \
	X(CONTAINER_ID, TF_KEY_CONTAINER_ID, "TEXT")                                                   \
	X(CONTAINER_RUNTIME, TF_KEY_CONTAINER_RUNTIME, "TEXT")                                         \
	X(POD_UID, TF_KEY_POD_UID, "TEXT")                                                             \
	X(POD_QOS, TF_KEY_POD_QOS, "TEXT")                                                             \
	X(UNIT, TF_KEY_UNIT, "TEXT")
/* Schema 4: names from the runtimes' files (identity/runtime_names.h), bound from CONTAINER_NAME on. */
#define TF_NAME_COLUMNS(X)                                                                             \
	X(CONTAINER_NAME, TF_KEY_CONTAINER_NAME, "TEXT")                                               \
	X(POD_NAME, TF_KEY_POD_NAME, "TEXT")                                                           \
	X(POD_NAMESPACE, TF_KEY_POD_NAMESPACE, "TEXT")

/* Text alive until the step that reads it; "" and NULL are NULL. */
static inline void tf_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static inline void tf_bind_ms(sqlite3_stmt *st, int i, double ms)
{
	if (isnan(ms))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, ms);
}

/*
 * The identity columns of a socket in cgroup_id (cg: its resolved cgroup,
 * or NULL): the TF_IDENTITY_COLUMNS from parameter `identity` on, the
 * TF_NAME_COLUMNS from parameter `names` on.
 */
static inline void tf_bind_identity(sqlite3_stmt *st, uint64_t cgroup_id, const struct tf_cgroup *cg, int identity,
				    int names)
{
	if (cgroup_id)
		sqlite3_bind_int64(st, identity, (sqlite3_int64)cgroup_id);
	if (!cg)
		return;
	tf_bind_text(st, identity + 1, cg->path);
	tf_bind_text(st, identity + 2, cg->ident.container_id);
	tf_bind_text(st, identity + 3, cg->ident.runtime);
	tf_bind_text(st, identity + 4, cg->ident.pod_uid);
	tf_bind_text(st, identity + 5, cg->ident.pod_qos);
	tf_bind_text(st, identity + 6, cg->ident.unit);
	tf_bind_text(st, names, cg->ident.container_name);
	tf_bind_text(st, names + 1, cg->ident.pod_name);
	tf_bind_text(st, names + 2, cg->ident.pod_namespace);
}

#endif
