// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <string.h>
#include <sys/socket.h>
#include <sqlite3.h>
#include "record/rollup_table.h"

#define ROLLUP_NAME(id, name, type) ", " name
#define ROLLUP_PARAM(id, name, type) ", ?"
#define R(id) (ROLLUP_##id + 1)

int tf_rollup_table_prepare(sqlite3 *db, sqlite3_stmt **insert)
{
	static const char sql[] = "INSERT INTO ok_rollups (id" ROLLUP_COLUMNS(ROLLUP_NAME) ") VALUES (NULL"
		ROLLUP_COLUMNS(ROLLUP_PARAM) ")";

	return sqlite3_prepare_v2(db, sql, -1, insert, NULL) == SQLITE_OK ? 0 : -1;
}

static void bind_hist(sqlite3_stmt *st, int i, const struct tf_ms_bins *b)
{
	char text[TF_MS_HIST_BUCKETS * 16];

	if (b->n && tf_ms_hist_format(b->v, b->n, text, sizeof(text)) > 0)
		sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int write_group(sqlite3_stmt *st, const struct tf_ok_group *g, const char *host, struct tf_cgroups *cgroups)
{
	const struct tf_ok_key *k = &g->key;
	char daddr[46], comm[sizeof(k->comm) + 1];

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_double(st, R(TS_FIRST), (double)g->first_wall_ns / 1e9);
	sqlite3_bind_double(st, R(TS_END), (double)g->last_wall_ns / 1e9);
	sqlite3_bind_int64(st, R(CONNECTIONS), (sqlite3_int64)g->count);
	tf_bind_text(st, R(HOST), host);
	tf_bind_text(st, R(CAUSE), k->cause ? k->cause : "?");
	if (k->pid)
		sqlite3_bind_int64(st, R(PID), k->pid);
	memcpy(comm, k->comm, sizeof(k->comm));
	comm[sizeof(k->comm)] = 0;
	tf_bind_text(st, R(COMM), comm);
	sqlite3_bind_int64(st, R(NETNS), k->netns);
	sqlite3_bind_int(st, R(FAMILY), k->family);
	tf_bind_text(st, R(DIRECTION), k->direction == TF_DIR_OUT ? "out" : k->direction == TF_DIR_IN ? "in" : NULL);
	tf_format_addr(k->family == 6 ? AF_INET6 : AF_INET, k->daddr, daddr);
	tf_bind_text(st, R(DADDR), daddr);
	sqlite3_bind_int(st, k->direction == TF_DIR_IN ? R(SPORT) : R(DPORT), k->port);
	sqlite3_bind_int64(st, R(RX_BYTES), (sqlite3_int64)g->rx_bytes);
	sqlite3_bind_int64(st, R(TX_BYTES), (sqlite3_int64)g->tx_bytes);
	sqlite3_bind_int64(st, R(RETRANS), (sqlite3_int64)g->retrans);
	tf_bind_ms(st, R(DURATION_MS_MAX), g->duration_max_ms);
	tf_bind_ms(st, R(CONNECT_MS_MAX), g->connect_max_ms);
	bind_hist(st, R(DURATION_MS_HIST), &g->duration);
	bind_hist(st, R(CONNECT_MS_HIST), &g->connect);
	tf_bind_identity(st, k->cgroup_id, tf_cgroups_find(cgroups, k->cgroup_id), R(CGROUP_ID), R(CONTAINER_NAME));
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
}

int tf_rollup_table_write(sqlite3_stmt *insert, const struct tf_ok_rollup *ro, int64_t before, const char *host,
			  struct tf_cgroups *cgroups)
{
	for (size_t i = 0; i < ro->n; i++)
		if (ro->groups[i].count && ro->groups[i].key.second < before &&
		    write_group(insert, &ro->groups[i], host, cgroups))
			return -1;
	return 0;
}
