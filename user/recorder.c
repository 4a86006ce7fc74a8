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
#include "conn_view.h"
#include "log.h"
#include "names.h"
#include "recorder.h"

#define QUEUE_CAP 65536     /* about 2 s at 30k connections/s before anything is dropped */
#define BATCH_MAX 4096
#define COMMIT_EVERY_MS 200
#define RETENTION_EVERY_S 10

static const char SCHEMA[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS connections ("
	"  id INTEGER PRIMARY KEY,"
	"  ts_end REAL NOT NULL,"    /* Unix time, seconds */
	"  ts_start REAL,"           /* NULL when the connection predates tcpfate */
	"  host TEXT,"
	"  label TEXT NOT NULL, cause TEXT NOT NULL, errno TEXT,"
	"  pid INTEGER, comm TEXT, netns INTEGER, family INTEGER NOT NULL, direction TEXT,"
	"  saddr TEXT NOT NULL, sport INTEGER NOT NULL, daddr TEXT NOT NULL, dport INTEGER NOT NULL,"
	"  duration_ms REAL, connect_ms REAL, accept_wait_ms REAL, time_to_fail_ms REAL,"
	"  rx_idle_ms REAL, tx_idle_ms REAL,"
	"  syn_retrans INTEGER, retrans INTEGER, rto_retrans INTEGER,"
	"  keepalive_probes INTEGER, zero_window_probes INTEGER,"
	"  rx_bytes INTEGER, tx_bytes INTEGER, retrans_bytes INTEGER, srtt_us INTEGER,"
	"  rst_reason TEXT, last_state TEXT, cookie INTEGER);"
	/*
	 * Time ranges (the report's query) and one label over a long time (all
	 * resets this week).  Every index is one more B-tree insert per row:
	 * without the ones per endpoint and per process the writer went from
	 * 13.5-16.8 to 9-10.5 CPU-s per million connections and stopped dropping
	 * rows at 50k connections/s.  They served only ad-hoc queries, which
	 * narrow by time first anyway (databases made before keep theirs).
	 */
	"CREATE INDEX IF NOT EXISTS connections_ts ON connections (ts_end);"
	"CREATE INDEX IF NOT EXISTS connections_label_ts ON connections (label, ts_end);"
	"INSERT OR IGNORE INTO meta VALUES ('application', 'tcpfate');";

static const char INSERT[] =
	"INSERT INTO connections (ts_end, ts_start, host, label, cause, errno, pid, comm, netns, family, direction,"
	" saddr, sport, daddr, dport, duration_ms, connect_ms, accept_wait_ms, time_to_fail_ms, rx_idle_ms,"
	" tx_idle_ms, syn_retrans, retrans, rto_retrans, keepalive_probes, zero_window_probes, rx_bytes, tx_bytes,"
	" retrans_bytes, srtt_us, rst_reason, last_state, cookie)"
	" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s && *s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC); /* alive until the step that reads it */
	else
		sqlite3_bind_null(st, i);
}

static void bind_ms(sqlite3_stmt *st, int i, double ms)
{
	if (isnan(ms))
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, ms);
}

static int insert_one(struct tf_recorder *r, const struct tf_recorder_item *it)
{
	const struct tf_record *rec = &it->rec;
	sqlite3_stmt *st = r->insert;
	struct tf_conn_view v;
	char comm[TF_COMM_LEN + 1];
	int i = 1, rc;

	tf_conn_view_init(&v, rec, it->mono_to_wall_ns);
	memcpy(comm, rec->comm, TF_COMM_LEN);
	comm[TF_COMM_LEN] = 0;
	sqlite3_reset(st);
	sqlite3_bind_double(st, i++, (double)v.end_wall_ns / 1e9);
	if ((rec->flags & TF_F_START_UNKNOWN) || !rec->start_ns)
		sqlite3_bind_null(st, i++);
	else
		sqlite3_bind_double(st, i++, (double)((int64_t)rec->start_ns + it->mono_to_wall_ns) / 1e9);
	bind_text(st, i++, r->host);
	bind_text(st, i++, tf_label_name(v.verdict.label));
	bind_text(st, i++, v.verdict.cause);
	bind_text(st, i++, v.errno_name);
	if (rec->pid)
		sqlite3_bind_int64(st, i++, rec->pid);
	else
		sqlite3_bind_null(st, i++);
	bind_text(st, i++, comm);
	sqlite3_bind_int64(st, i++, rec->netns);
	sqlite3_bind_int(st, i++, v.family);
	bind_text(st, i++, v.direction);
	bind_text(st, i++, v.saddr);
	sqlite3_bind_int(st, i++, rec->sport);
	bind_text(st, i++, v.daddr);
	sqlite3_bind_int(st, i++, rec->dport);
	bind_ms(st, i++, v.duration_ms);
	bind_ms(st, i++, v.connect_ms);
	sqlite3_bind_null(st, i++); /* accept_wait_ms: not measured since 0.1 (no accept() hook) */
	bind_ms(st, i++, v.time_to_fail_ms);
	bind_ms(st, i++, v.rx_idle_ms);
	bind_ms(st, i++, v.tx_idle_ms);
	sqlite3_bind_int64(st, i++, rec->syn_retrans);
	sqlite3_bind_int64(st, i++, v.retrans);
	sqlite3_bind_int64(st, i++, rec->rto_retrans);
	sqlite3_bind_int64(st, i++, v.keepalive_probes);
	sqlite3_bind_int64(st, i++, v.zero_window_probes);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)rec->rx_bytes);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)rec->tx_bytes);
	sqlite3_bind_int64(st, i++, (sqlite3_int64)rec->retrans_bytes);
	sqlite3_bind_int64(st, i++, rec->srtt_us);
	bind_text(st, i++, v.rst_reason);
	bind_text(st, i++, tf_state_name(rec->old_state));
	sqlite3_bind_int64(st, i++, (sqlite3_int64)rec->cookie);
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Deletes what is older than --max-age, then the oldest rows while the file is over --max-size. */
static void enforce_retention(struct tf_recorder *r)
{
	char sql[160];

	if (r->max_age_s) {
		snprintf(sql, sizeof(sql), "DELETE FROM connections WHERE ts_end < %.3f",
			 (double)time(NULL) - (double)r->max_age_s);
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
		/* A tenth of the rows at a time, oldest first. */
		if (sqlite3_exec(r->db,
				 "DELETE FROM connections WHERE id IN (SELECT id FROM connections ORDER BY id LIMIT"
				 " (SELECT count(*) / 10 + 1 FROM connections))",
				 NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_changes(r->db) == 0)
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

		if (n) {
			int ok = sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;

			for (size_t i = 0; ok && i < n; i++)
				ok = insert_one(r, &batch[i]) == 0;
			ok = ok && sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
			pthread_mutex_lock(&r->lock);
			if (ok) {
				r->written += n;
			} else {
				r->write_errors++;
				r->dropped += n; /* a full disk: counted, and monitoring goes on */
			}
			pthread_mutex_unlock(&r->lock);
			if (!ok) {
				if (!warned)
					tf_warn("recording: %s (records are counted as dropped)", sqlite3_errmsg(r->db));
				warned = true;
				sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
			}
		}
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
	if (sqlite3_exec(r->db, "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;"
				"PRAGMA synchronous = NORMAL; PRAGMA user_version = 1",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(r->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, err_len, "cannot create the schema: %s", sqlite3_errmsg(r->db));
		return -1;
	}
	return 0;
}

int tf_recorder_open(struct tf_recorder *r, const char *path, uint64_t max_age_s, uint64_t max_bytes, char *err,
		     size_t err_len)
{
	int fd;

	memset(r, 0, sizeof(*r));
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
	if (sqlite3_prepare_v2(r->db, INSERT, -1, &r->insert, NULL) != SQLITE_OK) {
		snprintf(err, err_len, "cannot prepare the insert: %s", sqlite3_errmsg(r->db));
		goto fail;
	}
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
	sqlite3_close(r->db);
	free(r->queue);
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
	sqlite3_exec(r->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
	sqlite3_close(r->db);
	free(r->queue);
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	/* The counts outlive the recorder: the summary reads them after this. */
	uint64_t dropped = r->dropped, written = r->written, write_errors = r->write_errors;

	memset(r, 0, sizeof(*r));
	r->dropped = dropped;
	r->written = written;
	r->write_errors = write_errors;
}
