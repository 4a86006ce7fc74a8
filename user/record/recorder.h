/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --record FILE.db: every ended connection into SQLite, from a writer thread:
 * each failure as a row, the ok ones counted per second and per service
 * (record/ok_rollup.h) unless --record-ok full asks for a row each.
 * The event loop only copies a record into a bounded queue; when the disk
 * falls behind the queue fills and records are counted as dropped, so
 * recording never slows the ring buffer.  Batches commit at least every
 * 200 ms (WAL mode), an ok group once its second is over: a kill -9 loses
 * the failures of the last 200 ms and the ok counts of the last ~1.2 s.
 */
#ifndef TF_RECORDER_H
#define TF_RECORDER_H

#include <pthread.h>
#include "identity/cgroups.h"
#include <stdbool.h>
#include <stdint.h>
#include "record/ok_rollup.h"
#include "tcpfate.h"

/* The schema this tcpfate writes (PRAGMA user_version); documented in docs/recording.md. */
#define TF_SCHEMA_VERSION 5
#define TF_STR_(x) #x
#define TF_STR(x) TF_STR_(x) /* a number as a string literal, for SQL */

struct sqlite3;
struct sqlite3_stmt;

struct tf_recorder_item {
	struct tf_record rec;
	int64_t mono_to_wall_ns;
};

struct tf_recorder {
	struct sqlite3 *db;
	struct sqlite3_stmt *insert;
	struct sqlite3_stmt *insert_rollup;
	bool ok_full;             /* --record-ok full: a row for every ok connection too */
	struct tf_ok_rollup rollup; /* the writer's: the ok connections of the batch it writes */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct tf_recorder_item *queue; /* ring */
	size_t cap, head, count;
	bool stop, started;
	uint64_t dropped;      /* queue full, or a batch the disk refused */
	uint64_t written;
	const char *path;
	uint64_t max_age_s;    /* 0: keep everything */
	uint64_t max_bytes;    /* 0: no size limit */
	char host[64];
	struct tf_cgroups cgroups; /* the writer thread's own */
};

/*
 * Opens (creating mode 0600, refusing symbolic links) and starts the writer.
 * Returns 0, or -1 with a one-line reason in err.
 */
int tf_recorder_open(struct tf_recorder *r, const char *path, uint64_t max_age_s, uint64_t max_bytes, bool ok_full,
		     char *err, size_t err_len);
/* Never blocks on the disk: a full queue counts the record as dropped. */
void tf_recorder_add(struct tf_recorder *r, const struct tf_record *rec, int64_t mono_to_wall_ns);
/* Writes what is queued, stops the writer, closes the database; the counts stay readable. */
/* Closes and opens the file again under its name (SIGHUP); the counts go on.  0, or -1 with err. */
int tf_recorder_reopen(struct tf_recorder *r, char *err, size_t err_len);
void tf_recorder_close(struct tf_recorder *r);
uint64_t tf_recorder_dropped(struct tf_recorder *r);

#endif
