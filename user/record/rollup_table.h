/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The recording's ok_rollups table (schema 4): one row per group of
 * record/ok_rollup.h, written in the same transaction as the rows of the
 * batch its connections came in.  The writer and the report share the
 * column list.
 */
#ifndef TF_ROLLUP_TABLE_H
#define TF_ROLLUP_TABLE_H

#include "identity/cgroups.h"
#include "lib/fields.h"
#include "record/bind.h"
#include "record/ok_rollup.h"

#define ROLLUP_COLUMNS(X)                                                                                   \
	X(TS_FIRST, "ts_first", "REAL NOT NULL") /* the first end in the group, Unix seconds */            \
	X(TS_END, TF_KEY_TS_END, "REAL NOT NULL") /* the last */                                            \
	X(CONNECTIONS, "connections", "INTEGER NOT NULL")                                                   \
	X(HOST, TF_KEY_HOST, "TEXT")                                                                        \
	X(CAUSE, TF_KEY_CAUSE, "TEXT NOT NULL")                                                             \
	X(PID, TF_KEY_PID, "INTEGER")                                                                       \
	X(COMM, TF_KEY_COMM, "TEXT")                                                                        \
	X(NETNS, TF_KEY_NETNS, "INTEGER")                                                                   \
	X(FAMILY, TF_KEY_FAMILY, "INTEGER NOT NULL")                                                        \
	X(DIRECTION, TF_KEY_DIRECTION, "TEXT")                                                              \
	X(DADDR, TF_KEY_DADDR, "TEXT NOT NULL")                                                             \
	X(SPORT, TF_KEY_SPORT, "INTEGER") /* coming in: the local port; NULL going out */                  \
	X(DPORT, TF_KEY_DPORT, "INTEGER") /* going out: the remote port; NULL coming in */                 \
	X(RX_BYTES, TF_KEY_RX_BYTES, "INTEGER")                                                             \
	X(TX_BYTES, TF_KEY_TX_BYTES, "INTEGER")                                                             \
	X(RETRANS, TF_KEY_RETRANS, "INTEGER")                                                               \
	X(DURATION_MS_MAX, "duration_ms_max", "REAL")                                                       \
	X(CONNECT_MS_MAX, "connect_ms_max", "REAL")                                                         \
	X(DURATION_MS_HIST, "duration_ms_hist", "TEXT") /* lib/ms_hist.h: "bucket:count ..." */            \
	X(CONNECT_MS_HIST, "connect_ms_hist", "TEXT")                                                       \
	TF_IDENTITY_COLUMNS(X)                                                                              \
	TF_NAME_COLUMNS(X)

enum rollup_column {
#define ROLLUP_ENUM(id, name, type) ROLLUP_##id,
	ROLLUP_COLUMNS(ROLLUP_ENUM)
#undef ROLLUP_ENUM
};

#define ROLLUP_DEF(id, name, type) ", " name " " type
/* Created with the rest of the schema (the index serves time ranges, as connections_ts does). */
#define TF_ROLLUP_SCHEMA                                                                        \
	"CREATE TABLE IF NOT EXISTS ok_rollups (id INTEGER PRIMARY KEY" ROLLUP_COLUMNS(ROLLUP_DEF) ");" \
	"CREATE INDEX IF NOT EXISTS ok_rollups_ts ON ok_rollups (ts_end);"

struct sqlite3;
struct sqlite3_stmt;

int tf_rollup_table_prepare(struct sqlite3 *db, struct sqlite3_stmt **insert);
/*
 * Inserts the groups of seconds before `before` (INT64_MAX: all) that have
 * connections; 0, or -1 when a step failed (the caller rolls back).
 */
int tf_rollup_table_write(struct sqlite3_stmt *insert, const struct tf_ok_rollup *ro, int64_t before,
			  const char *host, struct tf_cgroups *cgroups);

#endif
