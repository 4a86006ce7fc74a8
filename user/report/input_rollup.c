// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A schema 4 recording's ok rollups (record/rollup_table.h), read as rows that count many connections. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include "record/rollup_table.h"
#include "report/report.h"

static void text(sqlite3_stmt *st, int column, char *dst, size_t size)
{
	const char *s = (const char *)sqlite3_column_text(st, column);

	snprintf(dst, size, "%s", s ? s : "");
}

static double column_ms(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Both histograms in one block with their header (freed with it); NULL when damaged or out of memory. */
static struct tf_row_hists *read_hists(sqlite3_stmt *st, bool *damaged)
{
	static struct tf_ms_hist_bin duration[TF_MS_HIST_BUCKETS], connect[TF_MS_HIST_BUCKETS];
	const char *d = (const char *)sqlite3_column_text(st, ROLLUP_DURATION_MS_HIST);
	int nd = d ? tf_ms_hist_parse(d, duration, TF_MS_HIST_BUCKETS) : 0;
	const char *c = (const char *)sqlite3_column_text(st, ROLLUP_CONNECT_MS_HIST);
	int nc = c ? tf_ms_hist_parse(c, connect, TF_MS_HIST_BUCKETS) : 0;
	struct tf_row_hists *h;

	if (nd < 0 || nc < 0) {
		*damaged = true;
		return NULL;
	}
	h = malloc(sizeof(*h) + ((size_t)nd + (size_t)nc) * sizeof(struct tf_ms_hist_bin));
	if (!h)
		return NULL;
	h->duration = (struct tf_ms_hist_bin *)(h + 1);
	h->connect = h->duration + nd;
	memcpy(h->duration, duration, (size_t)nd * sizeof(*duration));
	memcpy(h->connect, connect, (size_t)nc * sizeof(*connect));
	h->n_duration = (size_t)nd;
	h->n_connect = (size_t)nc;
	h->duration_max_ms = column_ms(st, ROLLUP_DURATION_MS_MAX);
	h->connect_max_ms = column_ms(st, ROLLUP_CONNECT_MS_MAX);
	return h;
}

int tf_report_read_rollups(sqlite3 *db, const char *path, const struct tf_report_filter *f, struct tf_rows *rows,
			   char *err, size_t err_len)
{
#define ROLLUP_NAME(id, name, type) name ", "
	static const char sql[] = "SELECT " ROLLUP_COLUMNS(ROLLUP_NAME) "id FROM ok_rollups"
				  " WHERE ts_end >= ?1 AND ts_end < ?2 ORDER BY ts_end";
#undef ROLLUP_NAME
	sqlite3_stmt *st;
	int step, rc = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, err_len, "%s: a schema 4 recording without its ok_rollups table: %s", path,
			 sqlite3_errmsg(db));
		return -1;
	}
	sqlite3_bind_double(st, 1, isnan(f->since) ? -1e18 : f->since);
	sqlite3_bind_double(st, 2, isnan(f->until) ? 1e18 : f->until);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct tf_row row = { 0 };
		bool damaged = false;
		sqlite3_int64 count = sqlite3_column_int64(st, ROLLUP_CONNECTIONS);

		if (count <= 0) {
			snprintf(err, err_len, "%s: an ok rollup of %lld connections: the recording is damaged", path,
				 (long long)count);
			goto out;
		}
		row.label = TF_LABEL_OK;
		row.rolled_up = (uint64_t)count;
		row.ts_first = sqlite3_column_double(st, ROLLUP_TS_FIRST);
		row.ts_end = sqlite3_column_double(st, ROLLUP_TS_END);
		text(st, ROLLUP_CAUSE, row.cause, sizeof(row.cause));
		row.pid = sqlite3_column_int64(st, ROLLUP_PID);
		text(st, ROLLUP_COMM, row.comm, sizeof(row.comm));
		text(st, ROLLUP_DIRECTION, row.direction, sizeof(row.direction));
		text(st, ROLLUP_HOST, row.host, sizeof(row.host));
		text(st, ROLLUP_DADDR, row.daddr, sizeof(row.daddr));
		row.sport = sqlite3_column_int(st, ROLLUP_SPORT);
		row.dport = sqlite3_column_int(st, ROLLUP_DPORT);
		row.family = sqlite3_column_int(st, ROLLUP_FAMILY);
		row.duration_ms = row.connect_ms = row.time_to_fail_ms = NAN; /* in the histograms */
		row.rx_idle_ms = row.tx_idle_ms = row.fin_idle_ms = NAN;
		row.rx_bytes = sqlite3_column_int64(st, ROLLUP_RX_BYTES);
		row.tx_bytes = sqlite3_column_int64(st, ROLLUP_TX_BYTES);
		text(st, ROLLUP_CONTAINER_ID, row.container_id, sizeof(row.container_id));
		text(st, ROLLUP_CONTAINER_RUNTIME, row.runtime, sizeof(row.runtime));
		text(st, ROLLUP_POD_UID, row.pod_uid, sizeof(row.pod_uid));
		text(st, ROLLUP_UNIT, row.unit, sizeof(row.unit));
		text(st, ROLLUP_CGROUP, row.cgroup, sizeof(row.cgroup));
		text(st, ROLLUP_CONTAINER_NAME, row.container_name, sizeof(row.container_name));
		text(st, ROLLUP_POD_NAME, row.pod_name, sizeof(row.pod_name));
		text(st, ROLLUP_POD_NAMESPACE, row.pod_namespace, sizeof(row.pod_namespace));
		if (!tf_report_row_match(f, &row))
			continue;
		if (!(row.hists = read_hists(st, &damaged))) {
			snprintf(err, err_len, damaged ? "%s: an ok rollup's histogram is damaged" : "%s: out of memory", path);
			goto out;
		}
		if (tf_rows_push(rows, &row)) {
			free(row.hists);
			snprintf(err, err_len, "out of memory after %zu rows", rows->n);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		snprintf(err, err_len, "%s: reading failed: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}
