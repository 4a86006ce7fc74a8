// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "output/conn_view.h"
#include "lib/fields.h"
#include "lib/log.h"
#include "lib/names.h"
#include "record/bind.h"
#include "record/recorder.h"
#include "record/rollup_table.h"
#include "report/diagnose.h"

#define QUEUE_CAP 65536     /* about 2 s at 30k connections/s before anything is dropped */
#define BATCH_MAX 4096
#define COMMIT_EVERY_MS 200
#define RETENTION_EVERY_S 10

/*
 * The columns of a recorded connection, in the order of the table (older
 * files have the same): each is created, inserted and bound from this list.
 */
#define CONNECTION_COLUMNS(X)                                                                          \
	X(TS_END, TF_KEY_TS_END, "REAL NOT NULL") /* Unix time, seconds */                             \
	X(TS_START, TF_KEY_TS_START, "REAL")      /* NULL when the connection predates tcpfate */      \
	X(HOST, TF_KEY_HOST, "TEXT")                                                                   \
	X(LABEL, TF_KEY_LABEL, "TEXT NOT NULL")                                                        \
	X(CAUSE, TF_KEY_CAUSE, "TEXT NOT NULL")                                                        \
	X(ERRNO, TF_KEY_ERRNO, "TEXT")                                                                 \
	X(PID, TF_KEY_PID, "INTEGER")                                                                  \
	X(COMM, TF_KEY_COMM, "TEXT")                                                                   \
	X(NETNS, TF_KEY_NETNS, "INTEGER")                                                              \
	X(FAMILY, TF_KEY_FAMILY, "INTEGER NOT NULL")                                                   \
	X(DIRECTION, TF_KEY_DIRECTION, "TEXT")                                                         \
	X(SADDR, TF_KEY_SADDR, "TEXT NOT NULL")                                                        \
	X(SPORT, TF_KEY_SPORT, "INTEGER NOT NULL")                                                     \
	X(DADDR, TF_KEY_DADDR, "TEXT NOT NULL")                                                        \
	X(DPORT, TF_KEY_DPORT, "INTEGER NOT NULL")                                                     \
	X(DURATION_MS, TF_KEY_DURATION_MS, "REAL")                                                     \
	X(CONNECT_MS, TF_KEY_CONNECT_MS, "REAL")                                                       \
	X(ACCEPT_WAIT_MS, TF_KEY_ACCEPT_WAIT_MS, "REAL")                                               \
	X(TIME_TO_FAIL_MS, TF_KEY_TIME_TO_FAIL_MS, "REAL")                                             \
	X(RX_IDLE_MS, TF_KEY_RX_IDLE_MS, "REAL")                                                       \
	X(TX_IDLE_MS, TF_KEY_TX_IDLE_MS, "REAL")                                                       \
	X(SYN_RETRANS, TF_KEY_SYN_RETRANS, "INTEGER")                                                  \
	X(RETRANS, TF_KEY_RETRANS, "INTEGER")                                                          \
	X(RTO_RETRANS, TF_KEY_RTO_RETRANS, "INTEGER")                                                  \
	X(KEEPALIVE_PROBES, TF_KEY_KEEPALIVE_PROBES, "INTEGER")                                        \
	X(ZERO_WINDOW_PROBES, TF_KEY_ZERO_WINDOW_PROBES, "INTEGER")                                    \
	X(RX_BYTES, TF_KEY_RX_BYTES, "INTEGER")                                                        \
	X(TX_BYTES, TF_KEY_TX_BYTES, "INTEGER")                                                        \
	X(RETRANS_BYTES, TF_KEY_RETRANS_BYTES, "INTEGER")                                              \
	X(SRTT_US, TF_KEY_SRTT_US, "INTEGER")                                                          \
	X(RST_REASON, TF_KEY_RST_REASON, "TEXT")                                                       \
	X(LAST_STATE, TF_KEY_LAST_STATE, "TEXT")                                                       \
	X(COOKIE, TF_KEY_COOKIE, "INTEGER")                                                            \
	/* Schema 2: the socket's identity (NULL in rows of schema 1 files, which gain the columns). */ \
	TF_IDENTITY_COLUMNS(X)                                                                         \
	/* Schema 3: the timer settings in force at a failure (NULL otherwise, and in older rows). */   \
	X(TCP_SYN_RETRIES, TF_KEY_TCP_SYN_RETRIES, "INTEGER")                                          \
	X(TCP_RETRIES2, TF_KEY_TCP_RETRIES2, "INTEGER")                                                \
	X(TCP_USER_TIMEOUT_MS, TF_KEY_TCP_USER_TIMEOUT_MS, "INTEGER")                                  \
	X(TCP_KEEPALIVE_TIME_MS, TF_KEY_TCP_KEEPALIVE_TIME_MS, "INTEGER")                              \
	X(TCP_KEEPALIVE_INTVL_MS, TF_KEY_TCP_KEEPALIVE_INTVL_MS, "INTEGER")                            \
	X(TCP_KEEPALIVE_PROBES, TF_KEY_TCP_KEEPALIVE_PROBES, "INTEGER")                                \
	X(SOCKET_OPTIONS, TF_KEY_SOCKET_OPTIONS, "TEXT")                                               \
	TF_NAME_COLUMNS(X)                                                                             \
	X(FIN_IDLE_MS, TF_KEY_FIN_IDLE_MS, "REAL") /* from the last data to the peer's FIN */        \
	/* Schema 5: NULL where the kernel has no such setting (before 6.5). */                      \
	X(TCP_SYN_LINEAR_TIMEOUTS, TF_KEY_TCP_SYN_LINEAR_TIMEOUTS, "INTEGER")                          \
	X(READ_IDLE_MS, TF_KEY_READ_IDLE_MS, "REAL") /* closed unread: since the application's last read */

/* Each column's position among the INSERT's parameters (1-based). */
enum column {
#define COLUMN_ENUM(id, name, type) COL_##id,
	CONNECTION_COLUMNS(COLUMN_ENUM)
#undef COLUMN_ENUM
};
#define P(id) (COL_##id + 1)

#define COLUMN_DEF(id, name, type) ", " name " " type
#define COLUMN_NAME(id, name, type) ", " name
#define COLUMN_PARAM(id, name, type) ", ?"

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS connections (id INTEGER PRIMARY KEY" CONNECTION_COLUMNS(COLUMN_DEF) ");"
	/*
	 * Time ranges (the report's query) and one label over a long time (all
	 * resets this week).  Every index is one more B-tree insert per row:
	 * the ones per endpoint and per process cost a third of the writer's
	 * CPU and made it drop rows under churn (bench/RESULTS.md).  They served
	 * only ad-hoc queries, which narrow by time first anyway (databases
	 * made before keep theirs).
	 */
	"CREATE INDEX IF NOT EXISTS connections_ts ON connections (ts_end);"
	"CREATE INDEX IF NOT EXISTS connections_label_ts ON connections (label, ts_end);"
	/* Schema 4: the ok connections counted per second and service (an older file gains the table). */
	TF_ROLLUP_SCHEMA
	"INSERT OR IGNORE INTO meta VALUES ('application', 'tcpfate');";

/* id NULL: SQLite numbers the row. */
static const char INSERT[] = "INSERT INTO connections (id" CONNECTION_COLUMNS(COLUMN_NAME) ") VALUES (NULL"
	CONNECTION_COLUMNS(COLUMN_PARAM) ")";

static int insert_one(struct tf_recorder *r, const struct tf_recorder_item *it, const struct tf_conn_view *view)
{
	const struct tf_record *rec = &it->rec;
	const struct tf_conn_view v = *view;
	sqlite3_stmt *st = r->insert;
	char comm[TF_COMM_LEN + 1];
	int rc;

	memcpy(comm, rec->comm, TF_COMM_LEN);
	comm[TF_COMM_LEN] = 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st); /* NULL for what is not bound below */
	sqlite3_bind_double(st, P(TS_END), (double)v.end_wall_ns / 1e9);
	if (!(rec->flags & TF_F_START_UNKNOWN) && rec->start_ns)
		sqlite3_bind_double(st, P(TS_START), (double)((int64_t)rec->start_ns + it->mono_to_wall_ns) / 1e9);
	tf_bind_text(st, P(HOST), r->host);
	tf_bind_text(st, P(LABEL), tf_label_name(v.verdict.label));
	tf_bind_text(st, P(CAUSE), v.verdict.cause);
	tf_bind_text(st, P(ERRNO), v.errno_name);
	if (rec->pid)
		sqlite3_bind_int64(st, P(PID), rec->pid);
	tf_bind_text(st, P(COMM), comm);
	sqlite3_bind_int64(st, P(NETNS), rec->netns);
	sqlite3_bind_int(st, P(FAMILY), v.family);
	tf_bind_text(st, P(DIRECTION), v.direction);
	tf_bind_text(st, P(SADDR), v.saddr);
	sqlite3_bind_int(st, P(SPORT), rec->sport);
	tf_bind_text(st, P(DADDR), v.daddr);
	sqlite3_bind_int(st, P(DPORT), rec->dport);
	tf_bind_ms(st, P(DURATION_MS), v.duration_ms);
	tf_bind_ms(st, P(CONNECT_MS), v.connect_ms);
	/* ACCEPT_WAIT_MS stays NULL: not measured since 0.1 (no accept() hook). */
	tf_bind_ms(st, P(TIME_TO_FAIL_MS), v.time_to_fail_ms);
	tf_bind_ms(st, P(RX_IDLE_MS), v.rx_idle_ms);
	tf_bind_ms(st, P(READ_IDLE_MS), v.read_idle_ms);
	tf_bind_ms(st, P(FIN_IDLE_MS), v.fin_idle_ms);
	tf_bind_ms(st, P(TX_IDLE_MS), v.tx_idle_ms);
	sqlite3_bind_int64(st, P(SYN_RETRANS), rec->syn_retrans);
	sqlite3_bind_int64(st, P(RETRANS), v.retrans);
	sqlite3_bind_int64(st, P(RTO_RETRANS), rec->rto_retrans);
	sqlite3_bind_int64(st, P(KEEPALIVE_PROBES), v.keepalive_probes);
	sqlite3_bind_int64(st, P(ZERO_WINDOW_PROBES), v.zero_window_probes);
	sqlite3_bind_int64(st, P(RX_BYTES), (sqlite3_int64)rec->rx_bytes);
	sqlite3_bind_int64(st, P(TX_BYTES), (sqlite3_int64)rec->tx_bytes);
	sqlite3_bind_int64(st, P(RETRANS_BYTES), (sqlite3_int64)rec->retrans_bytes);
	sqlite3_bind_int64(st, P(SRTT_US), rec->srtt_us);
	tf_bind_text(st, P(RST_REASON), v.rst_reason);
	tf_bind_text(st, P(LAST_STATE), tf_state_name(rec->old_state));
	sqlite3_bind_int64(st, P(COOKIE), (sqlite3_int64)rec->cookie);
	tf_bind_identity(st, rec->cgroup_id, tf_cgroups_find(&r->cgroups, rec->cgroup_id), P(CGROUP_ID),
			 P(CONTAINER_NAME));
	if (v.settings) {
		sqlite3_bind_int(st, P(TCP_SYN_RETRIES), rec->syn_retries_max);
		if (rec->syn_linear_timeouts != TF_SETTING_ABSENT)
			sqlite3_bind_int(st, P(TCP_SYN_LINEAR_TIMEOUTS), rec->syn_linear_timeouts);
		sqlite3_bind_int(st, P(TCP_RETRIES2), rec->retries2);
		sqlite3_bind_int64(st, P(TCP_USER_TIMEOUT_MS), rec->user_timeout_ms);
		sqlite3_bind_int64(st, P(TCP_KEEPALIVE_TIME_MS), rec->keepalive_time_ms);
		sqlite3_bind_int64(st, P(TCP_KEEPALIVE_INTVL_MS), rec->keepalive_intvl_ms);
		sqlite3_bind_int(st, P(TCP_KEEPALIVE_PROBES), rec->keepalive_probes_max);
		tf_bind_text(st, P(SOCKET_OPTIONS), v.socket_options);
	}
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/*
 * A failure (or any connection with --record-ok full) is a row; an ok one is
 * counted in its group, written with the batch (and a row after all when
 * memory ran out).
 */
static int write_one(struct tf_recorder *r, const struct tf_recorder_item *it, size_t *rolled)
{
	struct tf_conn_view v;

	tf_conn_view_init(&v, &it->rec, it->mono_to_wall_ns);
	/* An idle close stays a row: its idle time is what a diagnosis reads (report/diagnose.h). */
	if (!r->ok_full && v.verdict.label == TF_LABEL_OK && !tf_diag_idle_close(v.verdict.label, v.fin_idle_ms) &&
	    !tf_ok_rollup_add(&r->rollup, &v)) {
		(*rolled)++;
		return 0;
	}
	return insert_one(r, it, &v);
}

/*
 * One transaction: the batch's rows, and the ok groups of the seconds that
 * are over (all of them on the way out).  A group of the current second
 * waits for the next commits, so that a busy second is one row per key, and
 * is on disk about a second after its last connection ended.  The counts
 * follow the connections: a group's are written (or dropped) with it.
 */
static void write_batch(struct tf_recorder *r, const struct tf_recorder_item *batch, size_t n, bool last,
			bool *warned)
{
	int64_t before = last ? INT64_MAX : (int64_t)time(NULL);
	uint64_t grouped;
	size_t rolled = 0;
	int ok;

	if (!n && !tf_ok_rollup_count_before(&r->rollup, before))
		return;
	ok = sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
	for (size_t i = 0; ok && i < n; i++)
		ok = write_one(r, &batch[i], &rolled) == 0;
	grouped = tf_ok_rollup_count_before(&r->rollup, before);
	ok = ok && tf_rollup_table_write(r->insert_rollup, &r->rollup, before, r->host, &r->cgroups) == 0;
	ok = ok && sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	tf_ok_rollup_forget_before(&r->rollup, before);
	pthread_mutex_lock(&r->lock);
	if (ok)
		r->written += n - rolled + grouped;
	else
		r->dropped += n - rolled + grouped; /* a full disk: counted, and monitoring goes on */
	pthread_mutex_unlock(&r->lock);
	if (!ok) {
		if (!*warned)
			tf_warn("recording: %s (records are counted as dropped)", sqlite3_errmsg(r->db));
		*warned = true;
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	}
}

/* Deletes what is older than --max-age, then the oldest rows while the file is over --max-size. */
static void enforce_retention(struct tf_recorder *r)
{
	char sql[160];

	if (r->max_age_s) {
		double cutoff = (double)time(NULL) - (double)r->max_age_s;

		snprintf(sql, sizeof(sql), "DELETE FROM connections WHERE ts_end < %.3f", cutoff);
		sqlite3_exec(r->db, sql, NULL, NULL, NULL);
		snprintf(sql, sizeof(sql), "DELETE FROM ok_rollups WHERE ts_end < %.3f", cutoff);
		sqlite3_exec(r->db, sql, NULL, NULL, NULL);
	}
	while (r->max_bytes) {
		sqlite3_stmt *st;
		sqlite3_int64 pages = 0, free_pages = 0, page_size = 4096;

		if (sqlite3_prepare_v2(r->db, "SELECT * FROM pragma_page_count, pragma_freelist_count, pragma_page_size",
				       -1, &st, NULL) != SQLITE_OK)
			break;
		if (sqlite3_step(st) == SQLITE_ROW) {
			pages = sqlite3_column_int64(st, 0);
			free_pages = sqlite3_column_int64(st, 1);
			page_size = sqlite3_column_int64(st, 2);
		}
		sqlite3_finalize(st);
		if ((uint64_t)((pages - free_pages) * page_size) <= r->max_bytes)
			break;
		/* A tenth of the rows of each table at a time, oldest first. */
		if (sqlite3_exec(r->db,
				 "DELETE FROM connections WHERE id IN (SELECT id FROM connections ORDER BY id LIMIT"
				 " (SELECT count(*) / 10 + 1 FROM connections))",
				 NULL, NULL, NULL) != SQLITE_OK)
			break;
		int deleted = sqlite3_changes(r->db);

		if (sqlite3_exec(r->db,
				 "DELETE FROM ok_rollups WHERE id IN (SELECT id FROM ok_rollups ORDER BY id LIMIT"
				 " (SELECT count(*) / 10 + 1 FROM ok_rollups))",
				 NULL, NULL, NULL) != SQLITE_OK ||
		    deleted + sqlite3_changes(r->db) == 0)
			break;
	}
	sqlite3_exec(r->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
}

static size_t take_batch(struct tf_recorder *r, struct tf_recorder_item *batch)
{
	size_t n = 0;

	while (r->count && n < BATCH_MAX) {
		batch[n++] = r->queue[r->head];
		r->head = (r->head + 1) % r->cap;
		r->count--;
	}
	return n;
}

static void *writer_main(void *arg)
{
	struct tf_recorder *r = arg;
	struct tf_recorder_item *batch = malloc(BATCH_MAX * sizeof(*batch));
	time_t last_retention = 0;
	bool warned = false;

	if (!batch)
		return NULL;
	for (;;) {
		struct timespec until;
		size_t n;
		bool stop;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += COMMIT_EVERY_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&r->lock);
		if (!r->stop && r->count < BATCH_MAX)
			pthread_cond_timedwait(&r->wake, &r->lock, &until);
		n = take_batch(r, batch);
		stop = r->stop && !r->count;
		pthread_mutex_unlock(&r->lock);

		write_batch(r, batch, n, stop, &warned);
		/* Every 10 s, and once more on the way out. */
		if ((r->max_age_s || r->max_bytes) && (stop || time(NULL) - last_retention >= RETENTION_EVERY_S)) {
			last_retention = time(NULL);
			enforce_retention(r);
		}
		if (stop)
			break;
	}
	free(batch);
	return NULL;
}

#define COLUMN_ADD(id, name, type) { name, type },

/*
 * An older recording gains the columns added since (each nullable, so its
 * rows read them as NULL): the only migration the schema has needed.
 */
static int add_missing_columns(sqlite3 *db)
{
	static const struct {
		const char *name, *type;
	} columns[] = { CONNECTION_COLUMNS(COLUMN_ADD) };
	sqlite3_stmt *st;
	char sql[160];

	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		bool present = false;

		if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('connections') WHERE name = ?1", -1, &st,
				       NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(st, 1, columns[i].name, -1, SQLITE_STATIC);
		present = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (present)
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE connections ADD COLUMN %s %s", columns[i].name, columns[i].type);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	}
	return 0;
}

/* A database we may write: new (schema created here), or ours and not from a newer tcpfate. */
static int prepare_schema(struct tf_recorder *r, char *err, size_t err_len)
{
	sqlite3_stmt *st;
	int version = -1, tables = 0;

	if (sqlite3_prepare_v2(r->db, "SELECT (SELECT user_version FROM pragma_user_version),"
				      " (SELECT count(*) FROM sqlite_master)",
			       -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, err_len, "not an SQLite database: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	if (sqlite3_step(st) == SQLITE_ROW) {
		version = sqlite3_column_int(st, 0);
		tables = sqlite3_column_int(st, 1);
	}
	sqlite3_finalize(st);
	if (version > TF_SCHEMA_VERSION) {
		snprintf(err, err_len, "recording has schema %d, newer than this tcpfate's %d", version,
			 TF_SCHEMA_VERSION);
		return -1;
	}
	if (version == 0 && tables > 0) {
		snprintf(err, err_len, "an SQLite database that is not a tcpfate recording");
		return -1;
	}
	/* auto_vacuum must be chosen before the first table exists. */
	/* The version is set last: a file whose migration failed keeps its own. */
	if (sqlite3_exec(r->db, "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(r->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK || add_missing_columns(r->db) ||
	    sqlite3_exec(r->db, "PRAGMA user_version = " TF_STR(TF_SCHEMA_VERSION), NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, err_len, "cannot create the schema: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

int tf_recorder_open(struct tf_recorder *r, const char *path, uint64_t max_age_s, uint64_t max_bytes, bool ok_full,
		     char *err, size_t err_len)
{
	int fd;

	memset(r, 0, sizeof(*r));
	r->path = path;
	r->ok_full = ok_full;
	r->max_age_s = max_age_s;
	r->max_bytes = max_bytes;
	if (gethostname(r->host, sizeof(r->host) - 1))
		r->host[0] = 0;
	/* Created 0600 (it names processes and peers), never through a planted symbolic link. */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(err, err_len, "cannot open %s: %s", path,
			 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	close(fd);
	/*
	 * Only the writer thread uses this connection (opened and closed around
	 * it), so SQLite's own locking is not needed: in serialized mode every
	 * bind and step took a mutex, 15 % of the recorder's CPU.  Allocation
	 * statistics take a global mutex too; off (refused once SQLite is in use,
	 * as on a SIGHUP reopen, which is harmless).
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		snprintf(err, err_len, "cannot open %s: %s", path, r->db ? sqlite3_errmsg(r->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(r->db, 2000);
	if (prepare_schema(r, err, err_len))
		goto fail;
	if (sqlite3_prepare_v2(r->db, INSERT, -1, &r->insert, NULL) != SQLITE_OK ||
	    tf_rollup_table_prepare(r->db, &r->insert_rollup)) {
		snprintf(err, err_len, "cannot prepare the insert: %s", sqlite3_errmsg(r->db));
		goto fail;
	}
	/* The writer resolves identities with a cache of its own: the monitor's is its thread's. */
	tf_cgroups_init(&r->cgroups);
	r->cap = QUEUE_CAP;
	r->queue = malloc(r->cap * sizeof(*r->queue));
	if (!r->queue || pthread_mutex_init(&r->lock, NULL) || pthread_cond_init(&r->wake, NULL)) {
		snprintf(err, err_len, "out of memory");
		goto fail;
	}
	if (pthread_create(&r->thread, NULL, writer_main, r)) {
		snprintf(err, err_len, "cannot start the writer thread");
		goto fail;
	}
	r->started = true;
	return 0;
fail:
	sqlite3_finalize(r->insert);
	sqlite3_finalize(r->insert_rollup);
	sqlite3_close(r->db);
	free(r->queue);
	tf_cgroups_free(&r->cgroups);
	memset(r, 0, sizeof(*r));
	return -1;
}

void tf_recorder_add(struct tf_recorder *r, const struct tf_record *rec, int64_t mono_to_wall_ns)
{
	pthread_mutex_lock(&r->lock);
	if (r->count == r->cap) {
		r->dropped++;
	} else {
		struct tf_recorder_item *it = &r->queue[(r->head + r->count) % r->cap];

		it->rec = *rec;
		it->mono_to_wall_ns = mono_to_wall_ns;
		if (++r->count == BATCH_MAX)
			pthread_cond_signal(&r->wake);
	}
	pthread_mutex_unlock(&r->lock);
}

uint64_t tf_recorder_dropped(struct tf_recorder *r)
{
	uint64_t n;

	pthread_mutex_lock(&r->lock);
	n = r->dropped;
	pthread_mutex_unlock(&r->lock);
	return n;
}

void tf_recorder_close(struct tf_recorder *r)
{
	if (!r->started)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	sqlite3_finalize(r->insert);
	sqlite3_finalize(r->insert_rollup);
	tf_ok_rollup_free(&r->rollup);
	sqlite3_exec(r->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(r->db);
	free(r->queue);
	tf_cgroups_free(&r->cgroups);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	/* The counts outlive the recorder: the summary reads them after this. */
	uint64_t dropped = r->dropped, written = r->written;

	memset(r, 0, sizeof(*r));
	r->dropped = dropped;
	r->written = written;
}

int tf_recorder_reopen(struct tf_recorder *r, char *err, size_t err_len)
{
	const char *path = r->path;
	uint64_t max_age_s = r->max_age_s, max_bytes = r->max_bytes, dropped, written;
	bool ok_full = r->ok_full;

	tf_recorder_close(r);
	dropped = r->dropped;
	written = r->written;
	int rc = tf_recorder_open(r, path, max_age_s, max_bytes, ok_full, err, err_len);

	r->dropped = dropped; /* kept even when the file cannot be opened again: the summary says them */
	r->written = written;
	return rc;
}
