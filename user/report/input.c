// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Reading a report's input: an SQLite recording, or JSON lines from one host or many. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sqlite3.h>
#include "record/recorder.h"
#include "lib/grow.h"
#include "lib/fields.h"
#include "report/report.h"
#include "report/timeparse.h"

#define MAX_LINE (1 << 20)

void tf_report_filter_init(struct tf_report_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->since = NAN;
	f->until = NAN;
	f->label = -1;
}

bool tf_report_row_match(const struct tf_report_filter *f, const struct tf_row *r)
{
	if (!isnan(f->since) && r->ts_end < f->since)
		return false;
	/* Half-open: consecutive ranges count each connection once, and a rollup (one second) whole. */
	if (!isnan(f->until) && r->ts_end >= f->until)
		return false;
	if (f->label >= 0 && r->label != f->label)
		return false;
	if (f->comm[0] && strcmp(f->comm, r->comm))
		return false;
	if (f->remote[0] && strcmp(f->remote, r->daddr))
		return false;
	if (f->remote_port && f->remote_port != r->dport)
		return false;
	if (!tf_identity_filter_match(&f->identity, r->container_id, r->container_name, r->unit, r->cgroup))
		return false;
	if (f->n_pids) {
		for (int i = 0; i < f->n_pids; i++)
			if (f->pids[i] == r->pid)
				return true;
		return false;
	}
	return true;
}

int tf_rows_push(struct tf_rows *rows, const struct tf_row *row)
{
	if (TF_GROW(rows->v, rows->cap, rows->n + 1, 4096))
		return -1;
	rows->v[rows->n++] = *row;
	return 0;
}

void tf_rows_free(struct tf_rows *rows)
{
	for (size_t i = 0; i < rows->n; i++)
		free(rows->v[i].hists); /* one block with its bins */
	free(rows->v);
	memset(rows, 0, sizeof(*rows));
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* --- JSON lines ----------------------------------------------------------------- */

static const char *json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static double json_ms(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static int64_t json_int(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? json_integer_value(v) : 0;
}

int tf_jsonl_parse_row(const char *line, size_t len, struct tf_row *row, char *err, size_t err_len)
{
	json_error_t jerr;
	const char *event, *ts, *label;
	json_t *o;
	int rc = -1;

	o = json_loadb(line, len, 0, &jerr);
	if (!o) {
		snprintf(err, err_len, "not JSON (%s)", jerr.text);
		return -1;
	}
	if (!json_is_object(o)) {
		snprintf(err, err_len, "not a JSON object");
		goto out;
	}
	event = json_str(o, TF_KEY_EVENT);
	if (!event) {
		snprintf(err, err_len, "no \"event\": not a tcpfate record");
		goto out;
	}
	if (strcmp(event, "close")) {
		rc = 0; /* warnings and summaries are not connections */
		goto out;
	}
	memset(row, 0, sizeof(*row));
	ts = json_str(o, TF_KEY_TS);
	label = json_str(o, TF_KEY_LABEL);
	if (!ts || tf_parse_time(ts, 0, &row->ts_end) || *ts == '-') {
		snprintf(err, err_len, "\"ts\" missing or not an ISO 8601 time");
		goto out;
	}
	if (!label || (row->label = tf_label_parse(label)) < 0) {
		snprintf(err, err_len, "\"label\" missing or unknown");
		goto out;
	}
	copy(row->cause, sizeof(row->cause), json_str(o, TF_KEY_CAUSE));
	copy(row->err, sizeof(row->err), json_str(o, TF_KEY_ERRNO));
	copy(row->rst_reason, sizeof(row->rst_reason), json_str(o, TF_KEY_RST_REASON));
	copy(row->comm, sizeof(row->comm), json_str(o, TF_KEY_COMM));
	copy(row->direction, sizeof(row->direction), json_str(o, TF_KEY_DIRECTION));
	copy(row->host, sizeof(row->host), json_str(o, TF_KEY_HOST));
	copy(row->saddr, sizeof(row->saddr), json_str(o, TF_KEY_SADDR));
	copy(row->daddr, sizeof(row->daddr), json_str(o, TF_KEY_DADDR));
	row->pid = json_int(o, TF_KEY_PID);
	row->sport = (int)json_int(o, TF_KEY_SPORT);
	row->dport = (int)json_int(o, TF_KEY_DPORT);
	row->family = (int)json_int(o, TF_KEY_FAMILY);
	row->rx_bytes = json_int(o, TF_KEY_RX_BYTES);
	row->tx_bytes = json_int(o, TF_KEY_TX_BYTES);
	row->duration_ms = json_ms(o, TF_KEY_DURATION_MS);
	row->connect_ms = json_ms(o, TF_KEY_CONNECT_MS);
	row->time_to_fail_ms = json_ms(o, TF_KEY_TIME_TO_FAIL_MS);
	row->rx_idle_ms = json_ms(o, TF_KEY_RX_IDLE_MS);
	row->read_idle_ms = json_ms(o, TF_KEY_READ_IDLE_MS);
	row->fin_idle_ms = json_ms(o, TF_KEY_FIN_IDLE_MS);
	row->tx_idle_ms = json_ms(o, TF_KEY_TX_IDLE_MS);
	row->syn_retrans = json_int(o, TF_KEY_SYN_RETRANS);
	copy(row->container_id, sizeof(row->container_id), json_str(o, TF_KEY_CONTAINER_ID));
	copy(row->runtime, sizeof(row->runtime), json_str(o, TF_KEY_CONTAINER_RUNTIME));
	copy(row->pod_uid, sizeof(row->pod_uid), json_str(o, TF_KEY_POD_UID));
	copy(row->unit, sizeof(row->unit), json_str(o, TF_KEY_UNIT));
	copy(row->cgroup, sizeof(row->cgroup), json_str(o, TF_KEY_CGROUP));
	copy(row->container_name, sizeof(row->container_name), json_str(o, TF_KEY_CONTAINER_NAME));
	copy(row->pod_name, sizeof(row->pod_name), json_str(o, TF_KEY_POD_NAME));
	copy(row->pod_namespace, sizeof(row->pod_namespace), json_str(o, TF_KEY_POD_NAMESPACE));
	if (json_is_integer(json_object_get(o, TF_KEY_TCP_SYN_RETRIES))) {
		struct tf_row_settings *s = &row->settings;

		s->known = true;
		s->syn_retries = (int)json_int(o, TF_KEY_TCP_SYN_RETRIES);
		s->syn_linear_timeouts = json_is_integer(json_object_get(o, TF_KEY_TCP_SYN_LINEAR_TIMEOUTS))
						 ? (int)json_int(o, TF_KEY_TCP_SYN_LINEAR_TIMEOUTS)
						 : -1;
		s->retries2 = (int)json_int(o, TF_KEY_TCP_RETRIES2);
		s->user_timeout_ms = json_ms(o, TF_KEY_TCP_USER_TIMEOUT_MS);
		s->keepalive_time_ms = json_ms(o, TF_KEY_TCP_KEEPALIVE_TIME_MS);
		s->keepalive_intvl_ms = json_ms(o, TF_KEY_TCP_KEEPALIVE_INTVL_MS);
		s->keepalive_probes = (int)json_int(o, TF_KEY_TCP_KEEPALIVE_PROBES);
		copy(s->socket_options, sizeof(s->socket_options), json_str(o, TF_KEY_SOCKET_OPTIONS));
	}
	rc = 1;
out:
	json_decref(o);
	return rc;
}

int tf_report_read_jsonl(FILE *in, const char *name, const struct tf_report_filter *f, struct tf_rows *rows,
			 char *err, size_t err_len)
{
	char *line = NULL, why[160];
	size_t cap = 0, lineno = 0, records = 0;
	ssize_t len;
	int rc = 0;

	while ((len = getline(&line, &cap, in)) >= 0) {
		struct tf_row row;
		int got;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (!len)
			continue;
		if (len > MAX_LINE) {
			snprintf(err, err_len, "%s:%zu: line longer than 1 MiB: not tcpfate JSON lines", name, lineno);
			rc = -1;
			break;
		}
		if (memchr(line, 0, (size_t)len)) {
			snprintf(err, err_len, "%s:%zu: a NUL byte: not tcpfate JSON lines", name, lineno);
			rc = -1;
			break;
		}
		got = tf_jsonl_parse_row(line, (size_t)len, &row, why, sizeof(why));
		if (got < 0) {
			snprintf(err, err_len, "%s:%zu: %s", name, lineno, why);
			rc = -1;
			break;
		}
		if (got == 0)
			continue;
		records++;
		if (tf_report_row_match(f, &row) && tf_rows_push(rows, &row)) {
			snprintf(err, err_len, "out of memory after %zu records", records);
			rc = -1;
			break;
		}
	}
	if (!rc && ferror(in)) {
		snprintf(err, err_len, "%s: read error: %s", name, strerror(errno));
		rc = -1;
	}
	free(line);
	return rc;
}

/* --- SQLite recordings -------------------------------------------------------------- */

static double column_ms(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int read_sqlite(const char *path, const struct tf_report_filter *f, struct tf_rows *rows, char *err,
		       size_t err_len)
{
/* What a report reads of a recording: the query names each column, the row is read by the same names. */
#define READ_COLUMNS(X)                                                                                        \
	X(TS_END, TF_KEY_TS_END) X(LABEL, TF_KEY_LABEL) X(CAUSE, TF_KEY_CAUSE) X(ERRNO, TF_KEY_ERRNO)            \
	X(PID, TF_KEY_PID) X(COMM, TF_KEY_COMM) X(DIRECTION, TF_KEY_DIRECTION) X(HOST, TF_KEY_HOST)              \
	X(SADDR, TF_KEY_SADDR) X(SPORT, TF_KEY_SPORT) X(DADDR, TF_KEY_DADDR) X(DPORT, TF_KEY_DPORT)              \
	X(FAMILY, TF_KEY_FAMILY) X(DURATION_MS, TF_KEY_DURATION_MS) X(CONNECT_MS, TF_KEY_CONNECT_MS)             \
	X(TIME_TO_FAIL_MS, TF_KEY_TIME_TO_FAIL_MS) X(RX_BYTES, TF_KEY_RX_BYTES) X(TX_BYTES, TF_KEY_TX_BYTES)      \
	X(RX_IDLE_MS, TF_KEY_RX_IDLE_MS) X(TX_IDLE_MS, TF_KEY_TX_IDLE_MS) X(SYN_RETRANS, TF_KEY_SYN_RETRANS)     \
	X(RST_REASON, TF_KEY_RST_REASON)
/* Schema 2's identity columns: read as NULL from a schema 1 file, which has none. */
#define IDENTITY_COLUMNS(X)                                                                                    \
	X(CONTAINER_ID, TF_KEY_CONTAINER_ID) X(CONTAINER_RUNTIME, TF_KEY_CONTAINER_RUNTIME)                      \
	X(POD_UID, TF_KEY_POD_UID) X(UNIT, TF_KEY_UNIT) X(CGROUP, TF_KEY_CGROUP)
/* Schema 4's runtime names: NULL from older files. */
#define NAME_COLUMNS(X)                                                                                        \
	X(CONTAINER_NAME, TF_KEY_CONTAINER_NAME) X(POD_NAME, TF_KEY_POD_NAME) X(POD_NAMESPACE, TF_KEY_POD_NAMESPACE) \
	X(FIN_IDLE_MS, TF_KEY_FIN_IDLE_MS)
/* Schema 5's: NULL from older files, and from kernels without the setting. */
#define SCHEMA5_COLUMNS(X) X(TCP_SYN_LINEAR_TIMEOUTS, TF_KEY_TCP_SYN_LINEAR_TIMEOUTS) X(READ_IDLE_MS, TF_KEY_READ_IDLE_MS)
/* Schema 3's timer settings: NULL from older files. */
#define SETTINGS_COLUMNS(X)                                                                                    \
	X(TCP_SYN_RETRIES, TF_KEY_TCP_SYN_RETRIES) X(TCP_RETRIES2, TF_KEY_TCP_RETRIES2)                          \
	X(TCP_USER_TIMEOUT_MS, TF_KEY_TCP_USER_TIMEOUT_MS) X(TCP_KEEPALIVE_TIME_MS, TF_KEY_TCP_KEEPALIVE_TIME_MS) \
	X(TCP_KEEPALIVE_INTVL_MS, TF_KEY_TCP_KEEPALIVE_INTVL_MS)                                                 \
	X(TCP_KEEPALIVE_PROBES, TF_KEY_TCP_KEEPALIVE_PROBES) X(SOCKET_OPTIONS, TF_KEY_SOCKET_OPTIONS)
	enum {
#define READ_ENUM(id, name) C_##id,
		READ_COLUMNS(READ_ENUM) IDENTITY_COLUMNS(READ_ENUM) SETTINGS_COLUMNS(READ_ENUM) NAME_COLUMNS(READ_ENUM)
		SCHEMA5_COLUMNS(READ_ENUM)
#undef READ_ENUM
	};
#define READ_NAME(id, name) name ", "
#define NULL_NAME(id, name) "NULL, "
#define WHERE "id FROM connections WHERE ts_end >= ?1 AND ts_end < ?2 ORDER BY ts_end"
	static const char *const queries[] = {
		[1] = "SELECT " READ_COLUMNS(READ_NAME) IDENTITY_COLUMNS(NULL_NAME) SETTINGS_COLUMNS(NULL_NAME)
			NAME_COLUMNS(NULL_NAME) SCHEMA5_COLUMNS(NULL_NAME) WHERE,
		[2] = "SELECT " READ_COLUMNS(READ_NAME) IDENTITY_COLUMNS(READ_NAME) SETTINGS_COLUMNS(NULL_NAME)
			NAME_COLUMNS(NULL_NAME) SCHEMA5_COLUMNS(NULL_NAME) WHERE,
		[3] = "SELECT " READ_COLUMNS(READ_NAME) IDENTITY_COLUMNS(READ_NAME) SETTINGS_COLUMNS(READ_NAME)
			NAME_COLUMNS(NULL_NAME) SCHEMA5_COLUMNS(NULL_NAME) WHERE,
		/* Schema 4: the runtime names, and the ok_rollups table (report/input_rollup.c). */
		[4] = "SELECT " READ_COLUMNS(READ_NAME) IDENTITY_COLUMNS(READ_NAME) SETTINGS_COLUMNS(READ_NAME)
			NAME_COLUMNS(READ_NAME) SCHEMA5_COLUMNS(NULL_NAME) WHERE,
		/* Schema 5: tcp_syn_linear_timeouts. */
		[5] = "SELECT " READ_COLUMNS(READ_NAME) IDENTITY_COLUMNS(READ_NAME) SETTINGS_COLUMNS(READ_NAME)
			NAME_COLUMNS(READ_NAME) SCHEMA5_COLUMNS(READ_NAME) WHERE,
	};
	_Static_assert(sizeof(queries) / sizeof(queries[0]) == TF_SCHEMA_VERSION + 1, "a query for every schema");
#undef WHERE
#undef READ_NAME
#undef NULL_NAME
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int version = 0, rc = -1, step;

	/* Read-only, and readable while tcpfate is still writing it (WAL). */
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		snprintf(err, err_len, "%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, "SELECT user_version FROM pragma_user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		snprintf(err, err_len, "%s: not a readable SQLite database: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (version > TF_SCHEMA_VERSION) {
		snprintf(err, err_len, "%s: recording has schema %d, newer than this tcpfate's %d: upgrade tcpfate", path,
			 version, TF_SCHEMA_VERSION);
		goto out;
	}
	if (version < 1 || sqlite3_prepare_v2(db, queries[version], -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, err_len, "%s: an SQLite database, but not a tcpfate recording", path);
		goto out;
	}
	sqlite3_bind_double(st, 1, isnan(f->since) ? -1e18 : f->since);
	sqlite3_bind_double(st, 2, isnan(f->until) ? 1e18 : f->until);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct tf_row row = { 0 };
		const char *label = (const char *)sqlite3_column_text(st, C_LABEL);

		row.ts_end = sqlite3_column_double(st, C_TS_END);
		row.label = label ? tf_label_parse(label) : -1;
		if (row.label < 0) {
			snprintf(err, err_len, "%s: a row with an unknown label: the recording is damaged", path);
			goto out;
		}
		copy(row.cause, sizeof(row.cause), (const char *)sqlite3_column_text(st, C_CAUSE));
		copy(row.err, sizeof(row.err), (const char *)sqlite3_column_text(st, C_ERRNO));
		copy(row.rst_reason, sizeof(row.rst_reason), (const char *)sqlite3_column_text(st, C_RST_REASON));
		row.pid = sqlite3_column_int64(st, C_PID);
		copy(row.comm, sizeof(row.comm), (const char *)sqlite3_column_text(st, C_COMM));
		copy(row.direction, sizeof(row.direction), (const char *)sqlite3_column_text(st, C_DIRECTION));
		copy(row.host, sizeof(row.host), (const char *)sqlite3_column_text(st, C_HOST));
		copy(row.saddr, sizeof(row.saddr), (const char *)sqlite3_column_text(st, C_SADDR));
		row.sport = sqlite3_column_int(st, C_SPORT);
		copy(row.daddr, sizeof(row.daddr), (const char *)sqlite3_column_text(st, C_DADDR));
		row.dport = sqlite3_column_int(st, C_DPORT);
		row.family = sqlite3_column_int(st, C_FAMILY);
		row.duration_ms = column_ms(st, C_DURATION_MS);
		row.connect_ms = column_ms(st, C_CONNECT_MS);
		row.time_to_fail_ms = column_ms(st, C_TIME_TO_FAIL_MS);
		row.rx_idle_ms = column_ms(st, C_RX_IDLE_MS);
		row.read_idle_ms = column_ms(st, C_READ_IDLE_MS);
		row.fin_idle_ms = column_ms(st, C_FIN_IDLE_MS);
		row.tx_idle_ms = column_ms(st, C_TX_IDLE_MS);
		row.syn_retrans = sqlite3_column_int64(st, C_SYN_RETRANS);
		row.rx_bytes = sqlite3_column_int64(st, C_RX_BYTES);
		row.tx_bytes = sqlite3_column_int64(st, C_TX_BYTES);
		copy(row.container_id, sizeof(row.container_id), (const char *)sqlite3_column_text(st, C_CONTAINER_ID));
		copy(row.runtime, sizeof(row.runtime), (const char *)sqlite3_column_text(st, C_CONTAINER_RUNTIME));
		copy(row.pod_uid, sizeof(row.pod_uid), (const char *)sqlite3_column_text(st, C_POD_UID));
		copy(row.unit, sizeof(row.unit), (const char *)sqlite3_column_text(st, C_UNIT));
		copy(row.cgroup, sizeof(row.cgroup), (const char *)sqlite3_column_text(st, C_CGROUP));
		copy(row.container_name, sizeof(row.container_name), (const char *)sqlite3_column_text(st, C_CONTAINER_NAME));
		copy(row.pod_name, sizeof(row.pod_name), (const char *)sqlite3_column_text(st, C_POD_NAME));
		copy(row.pod_namespace, sizeof(row.pod_namespace), (const char *)sqlite3_column_text(st, C_POD_NAMESPACE));
		if (sqlite3_column_type(st, C_TCP_SYN_RETRIES) != SQLITE_NULL) {
			struct tf_row_settings *s = &row.settings;

			s->known = true;
			s->syn_retries = sqlite3_column_int(st, C_TCP_SYN_RETRIES);
			s->syn_linear_timeouts = sqlite3_column_type(st, C_TCP_SYN_LINEAR_TIMEOUTS) == SQLITE_NULL
							 ? -1
							 : sqlite3_column_int(st, C_TCP_SYN_LINEAR_TIMEOUTS);
			s->retries2 = sqlite3_column_int(st, C_TCP_RETRIES2);
			s->user_timeout_ms = column_ms(st, C_TCP_USER_TIMEOUT_MS);
			s->keepalive_time_ms = column_ms(st, C_TCP_KEEPALIVE_TIME_MS);
			s->keepalive_intvl_ms = column_ms(st, C_TCP_KEEPALIVE_INTVL_MS);
			s->keepalive_probes = sqlite3_column_int(st, C_TCP_KEEPALIVE_PROBES);
			copy(s->socket_options, sizeof(s->socket_options),
			     (const char *)sqlite3_column_text(st, C_SOCKET_OPTIONS));
		}
		if (tf_report_row_match(f, &row) && tf_rows_push(rows, &row)) {
			snprintf(err, err_len, "out of memory after %zu rows", rows->n);
			goto out;
		}
	}
	if (step != SQLITE_DONE) {
		snprintf(err, err_len, "%s: reading failed: %s", path, sqlite3_errmsg(db));
		goto out;
	}
	rc = version >= 4 ? tf_report_read_rollups(db, path, f, rows, err, err_len) : 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

int tf_report_read(const char *path, const struct tf_report_filter *f, struct tf_rows *rows, char *err,
		   size_t err_len)
{
	static const char sqlite_magic[16] = "SQLite format 3";
	char head[16] = { 0 };
	size_t got;
	FILE *in;
	int rc, c;

	in = fopen(path, "r");
	if (!in) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -1;
	}
	got = fread(head, 1, sizeof(head), in);
	if (got == sizeof(head) && !memcmp(head, sqlite_magic, sizeof(head))) {
		fclose(in);
		return read_sqlite(path, f, rows, err, err_len);
	}
	/* JSON lines start with '{' (after blank space); anything else is not ours. */
	for (size_t i = 0; i < got; i++) {
		c = (unsigned char)head[i];
		if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
			continue;
		if (c != '{') {
			snprintf(err, err_len, "%s: neither a tcpfate recording nor tcpfate JSON lines", path);
			fclose(in);
			return -1;
		}
		break;
	}
	rewind(in);
	rc = tf_report_read_jsonl(in, path, f, rows, err, err_len);
	fclose(in);
	return rc;
}
