/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * tcpfate report: from a recording (SQLite) or JSON lines (one host or many)
 * to totals, a timeline, top endpoints and processes, distributions, bursts
 * and explanations.  Reading, building and printing are separate steps; the
 * building is pure.
 */
#ifndef TF_REPORT_H
#define TF_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "classify.h"
#include "live/filter.h"
#include "lib/ms_hist.h"
#include "report/diagnose.h"

/*
 * The timer settings in force when the connection failed, where tcpfate read
 * them (schema 3 recordings, JSON lines since): each the socket's own option
 * where socket_options names it, else its namespace's sysctl.
 */
struct tf_row_settings {
	bool known;
	int syn_retries, retries2, keepalive_probes;
	int syn_linear_timeouts; /* -1: the kernel has no such setting (before 6.5), or not read */
	double user_timeout_ms, keepalive_time_ms, keepalive_intvl_ms; /* user timeout 0: none */
	char socket_options[64]; /* "TCP_SYNCNT,TCP_KEEPCNT"; "" none */
};

/*
 * An ok rollup's lifetimes and connect times (recordings of schema 4), as
 * histograms whose maxima are exact; owned by the rows that hold it.
 */
struct tf_row_hists {
	struct tf_ms_hist_bin *duration, *connect;
	size_t n_duration, n_connect;
	double duration_max_ms, connect_max_ms; /* NAN: none known */
};

/*
 * One ended connection, as a report sees it (from either input), or a
 * recording's ok rollup: `rolled_up` connections with the same key, ended
 * between ts_first and ts_end (the same second), counted as many.
 */
struct tf_row {
	double ts_end;       /* Unix seconds */
	double ts_first;     /* a rollup's first end (unused for one connection) */
	uint64_t rolled_up;  /* 0: one connection; N: a rollup of N ok connections */
	struct tf_row_hists *hists; /* a rollup's; NULL otherwise */
	double duration_ms;  /* NAN: unknown */
	double connect_ms;
	double time_to_fail_ms;
	double rx_idle_ms, tx_idle_ms; /* since the last byte received / sent, at the end; NAN unknown */
	double read_idle_ms; /* closed with data unread: since the application's last read; NAN unknown */
	double fin_idle_ms;  /* from the last data to the peer's FIN; NAN unknown */
	int64_t syn_retrans;
	int64_t pid;         /* 0: unknown */
	int64_t rx_bytes, tx_bytes;
	int label;           /* enum tf_label */
	int dport, sport, family;
	char cause[24];
	char err[24];
	char rst_reason[24]; /* the RST's reason, given or inferred ("TCP_ABORT_ON_CLOSE"); "" none */
	char comm[17];
	char direction[8];
	char host[64];
	char saddr[46];
	char daddr[46];
	/* The socket's identity (schema 2 recordings, JSON lines since identity); "" unknown. */
	char container_id[TF_CONTAINER_ID_LEN + 1];
	char runtime[12];
	char pod_uid[TF_POD_UID_LEN + 1];
	char unit[64];
	char cgroup[160];
	char container_name[128], pod_name[254], pod_namespace[64]; /* from the runtimes' files; "" unknown */
	struct tf_row_settings settings;
};

struct tf_rows {
	struct tf_row *v;
	size_t n, cap;
};

struct tf_report_filter {
	double since, until;  /* NAN: open */
	uint32_t pids[TF_FILTER_MAX];
	int n_pids;
	char comm[TF_COMM_LEN]; /* empty: any */
	char remote[64];      /* host part; empty: any */
	int remote_port;      /* 0: any */
	int label;            /* -1: any */
	struct tf_identity_filter identity; /* --container, --unit, --cgroup */
};

void tf_report_filter_init(struct tf_report_filter *f);
bool tf_report_row_match(const struct tf_report_filter *f, const struct tf_row *r);
/* Appends a copy; a rollup's histograms become the rows' (freed by tf_rows_free). */
int tf_rows_push(struct tf_rows *rows, const struct tf_row *row);
void tf_rows_free(struct tf_rows *rows);
/* How many connections a row stands for. */
static inline uint64_t tf_row_weight(const struct tf_row *r)
{
	return r->rolled_up ? r->rolled_up : 1;
}
/* The ok rollups of a schema 4 recording (report/input_rollup.c), filtered, into rows; 0 or -1 with err. */
struct sqlite3;
int tf_report_read_rollups(struct sqlite3 *db, const char *path, const struct tf_report_filter *f,
			   struct tf_rows *rows, char *err, size_t err_len);

/* Reads PATH (recording or JSON lines) into rows; -1 with a one-line reason in err. */
int tf_report_read(const char *path, const struct tf_report_filter *f, struct tf_rows *rows, char *err,
		   size_t err_len);
/* One JSON line: 1 a close record (in *row), 0 another event (skipped), -1 malformed (reason in err). */
int tf_jsonl_parse_row(const char *line, size_t len, struct tf_row *row, char *err, size_t err_len);
/* A whole JSON-lines stream (exposed for the fuzzer). */
int tf_report_read_jsonl(FILE *in, const char *name, const struct tf_report_filter *f, struct tf_rows *rows,
			 char *err, size_t err_len);

#define TF_REPORT_TOP 10
#define TF_REPORT_MAX_BURSTS 16
#define TF_REPORT_MAX_CAUSES 64

struct tf_dist {
	size_t n;
	double p50, p90, p99, max; /* milliseconds */
};

struct tf_group {
	char key[160];
	uint64_t failures, total;
	uint64_t by_label[TF_LABEL_COUNT];
};

struct tf_burst {
	double start, end;        /* Unix seconds */
	uint64_t failures;
	double baseline;          /* failures per bucket outside bursts (median) */
	int label;                /* dominant */
	char endpoint[160];
	char process[160];
};

struct tf_report {
	size_t rows;
	size_t hosts;
	double first, last;
	uint64_t by_label[TF_LABEL_COUNT];
	struct {
		int label;
		char cause[24];
		uint64_t count;
	} causes[TF_REPORT_MAX_CAUSES];
	size_t n_causes;
	double bucket_s;                         /* timeline bucket width */
	size_t n_buckets;
	uint64_t (*timeline)[TF_LABEL_COUNT];    /* failures per bucket and label */
	struct tf_group remotes[TF_REPORT_TOP], processes[TF_REPORT_TOP], services[TF_REPORT_TOP];
	size_t n_remotes, n_processes, n_services; /* services: containers, pods, units (rows with identity) */
	struct tf_dist connect[TF_LABEL_COUNT], lifetime[TF_LABEL_COUNT], to_failure[TF_LABEL_COUNT];
	struct tf_burst bursts[TF_REPORT_MAX_BURSTS];
	size_t n_bursts;
	double since, until; /* the asked-for range, NAN when open */
	struct tf_diagnosis diagnoses[TF_DIAG_MAX]; /* which timeout did it (report/diagnose.h) */
	size_t n_diagnoses;
};

int tf_report_build(const struct tf_rows *rows, struct tf_report *rep);
void tf_report_free(struct tf_report *rep);

/* What a label (and cause) means on the wire, its usual causes and fixes. */
const char *tf_explain(int label, const char *cause);

void tf_report_text(FILE *out, const struct tf_report *rep);
void tf_report_json(FILE *out, const struct tf_report *rep);
void tf_report_html(FILE *out, const struct tf_report *rep);

/* `tcpfate report ...`: the subcommand; returns the exit status. */
int tf_report_main(int argc, char **argv);

#endif
