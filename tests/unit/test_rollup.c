// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The recording's ok rollups: the histogram, the grouping, and the claim that
 * a report reads the same totals, failure rates by endpoint, process and
 * service, timeline and bursts whether the ok connections were rows or
 * rollups.  Rows come from the JSON lines the live output writes; rollups go
 * through the real table, in an SQLite database in memory.
 */
#include <math.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sqlite3.h>
#include "check.h"
#include "output/output.h"
#include "record/rollup_table.h"
#include "report/report.h"

#define MS 1000000ull
#define WALL 1795356000000000000ll /* 2026-11-22T12:00:00Z: the records' monotonic 0 */

static void histogram(void)
{
	struct tf_ms_hist_bin bins[8], back[8];
	char text[128];
	double worst = 0;
	unsigned last = 0;
	bool monotonic = true;

	for (double ms = 0.001; ms < 1e10; ms *= 1.013) {
		unsigned i = tf_ms_hist_index(ms);

		worst = fmax(worst, fabs(tf_ms_hist_value(i) - ms) / ms);
		monotonic = monotonic && i >= last;
		last = i;
	}
	CHECK(worst < 0.032, "histogram: a bucket's middle is within 3.2%% of its values (worst %.2f%%)", worst * 100);
	CHECK(monotonic, "histogram: buckets grow with the value");
	CHECK(last < TF_MS_HIST_BUCKETS, "histogram: 115 days fit");
	CHECK_INT(tf_ms_hist_index(0), 0, "histogram: zero is bucket 0");
	CHECK_INT(tf_ms_hist_index(-5), 0, "histogram: negative is bucket 0");
	CHECK_INT(tf_ms_hist_index(NAN), 0, "histogram: NAN is bucket 0");
	CHECK_INT(tf_ms_hist_index(1e300), TF_MS_HIST_BUCKETS - 1, "histogram: huge values in the last bucket");
	CHECK(tf_ms_hist_index(1.0) != tf_ms_hist_index(1.1), "histogram: 1 ms and 1.1 ms apart");

	bins[0] = (struct tf_ms_hist_bin){ 3, 7 };
	bins[1] = (struct tf_ms_hist_bin){ 170, 4000000000u };
	CHECK(tf_ms_hist_format(bins, 2, text, sizeof(text)) > 0, "histogram: formatted");
	CHECK_STR(text, "3:7 170:4000000000", "histogram: as text");
	CHECK_INT(tf_ms_hist_parse(text, back, 8), 2, "histogram: parsed back");
	CHECK(back[1].index == 170 && back[1].count == 4000000000u && back[0].count == 7, "histogram: same bins");
	CHECK_INT(tf_ms_hist_parse("", back, 8), 0, "histogram: empty");
	CHECK_INT(tf_ms_hist_format(bins, 2, text, 6), -1, "histogram: too small a buffer");
	const char *bad[] = { "x", "3:", "3:4 2:1", "3:4 3:1", "768:1", "3:4,5:6", "3:-1", "3:99999999999", ":4" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_INT(tf_ms_hist_parse(bad[i], back, 8), -1, "histogram: '%s' refused", bad[i]);
	CHECK_INT(tf_ms_hist_parse("1:1 2:1 3:1", back, 2), -1, "histogram: more bins than room");
}

/* A connection of the synthetic day: n picks its endpoint, process, direction, timing and fate. */
static struct tf_record connection(unsigned n)
{
	struct tf_record r = {
		.type = TF_REC_CLOSE, .family = AF_INET, .flags = TF_F_ESTABLISHED, .old_state = TF_TCP_ESTABLISHED,
		.snd_wnd = 65535, .pid = 100 + n % 2, .cgroup_id = 0,
	};
	uint64_t end = (1000 + (uint64_t)n * 2) * MS; /* whole milliseconds: JSON keeps no more */

	r.direction = n % 4 == 3 ? TF_DIR_IN : TF_DIR_OUT;
	r.start_ns = end - (2 + n % 500) * MS - (n % 7) * 1000;
	r.established_ns = r.start_ns + (n % 11 + 1) * 100000;
	r.end_ns = end;
	r.last_rx_ns = r.last_tx_ns = end - MS;
	r.rx_bytes = 100 + n;
	r.tx_bytes = 50 + n;
	r.saddr[0] = 10, r.saddr[3] = 1;
	r.daddr[0] = 10, r.daddr[3] = (uint8_t)(2 + n % 3);
	r.sport = r.direction == TF_DIR_IN ? 8080 : (uint16_t)(40000 + n % 20000);
	r.dport = r.direction == TF_DIR_IN ? (uint16_t)(50000 + n % 9000) : (uint16_t)(443 + n % 2);
	memcpy(r.comm, n % 2 ? "nginx" : "curl", 6);
	if (n % 50 == 7) { /* a refused connect */
		r.flags = TF_F_RST_RX;
		r.old_state = TF_TCP_SYN_SENT;
		r.rst_rx_state = TF_TCP_SYN_SENT;
		r.sk_err = 111;
		r.direction = TF_DIR_OUT;
		r.established_ns = 0;
		r.unanswered_ns = r.start_ns;
	} else if (n % 50 == 9 || (n > 20000 && n < 21000 && n % 2)) { /* resets, and a burst of them */
		r.flags |= TF_F_RST_RX;
		r.rst_rx_state = TF_TCP_ESTABLISHED;
		r.sk_err = 104;
	} else if (n % 40 == 0) {
		r.flags |= TF_F_PEER_FIN;   /* the peer closed: another ok cause */
		r.old_state = TF_TCP_LAST_ACK;
	}
	return r;
}

/* The row a report reads from the connection's JSON line; false if it could not. */
static bool add_json_row(struct tf_rows *rows, const struct tf_conn_view *v)
{
	char *line = NULL, err[160];
	size_t len = 0;
	FILE *f = open_memstream(&line, &len);
	struct tf_row row;
	bool done;

	if (!f)
		return false;
	tf_json_connection(f, v);
	fclose(f);
	done = tf_jsonl_parse_row(line, len, &row, err, sizeof(err)) == 1 && !tf_rows_push(rows, &row);
	free(line);
	return done;
}

static bool same_groups(const struct tf_group *a, const struct tf_group *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].key, b[i].key) || a[i].total != b[i].total || a[i].failures != b[i].failures ||
		    memcmp(a[i].by_label, b[i].by_label, sizeof(a[i].by_label)))
			return false;
	return true;
}

static bool close_dist(const struct tf_dist *a, const struct tf_dist *b)
{
	return a->n == b->n && a->max == b->max && fabs(a->p50 - b->p50) <= 0.032 * a->p50 &&
	       fabs(a->p90 - b->p90) <= 0.032 * a->p90 && fabs(a->p99 - b->p99) <= 0.032 * a->p99;
}

static void same_report(void)
{
	enum { N = 30000 };
	struct tf_rows full = { 0 }, rolled = { 0 };
	struct tf_ok_rollup ro = { 0 };
	struct tf_report a, b;
	struct tf_report_filter f;
	struct tf_cgroups cgroups = { 0 };
	sqlite3_stmt *insert = NULL;
	sqlite3 *db = NULL;
	char err[256] = "";
	size_t ok_rows = 0, lost = 0, unwritten = 0;

	CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK && sqlite3_exec(db, TF_ROLLUP_SCHEMA, NULL, NULL, NULL) == SQLITE_OK &&
		      !tf_rollup_table_prepare(db, &insert),
	      "rollups: a table in memory");
	for (unsigned n = 0; n < N; n++) {
		struct tf_record r = connection(n);
		struct tf_conn_view v;

		tf_conn_view_init(&v, &r, WALL);
		lost += !add_json_row(&full, &v);
		if (v.verdict.label == TF_LABEL_OK) {
			ok_rows++;
			lost += tf_ok_rollup_add(&ro, &v) != 0;
		} else {
			lost += !add_json_row(&rolled, &v);
		}
		if (n % 100 == 99) { /* a writer's batch (0.2 s): the seconds that are over */
			int64_t now = (WALL + (int64_t)r.end_ns) / 1000000000;

			unwritten += tf_rollup_table_write(insert, &ro, now, "", &cgroups) != 0;
			tf_ok_rollup_forget_before(&ro, now);
		}
	}
	unwritten += tf_rollup_table_write(insert, &ro, INT64_MAX, "", &cgroups) != 0; /* on the way out */
	tf_ok_rollup_forget_before(&ro, INT64_MAX);
	CHECK_INT(ro.n, 0, "rollups: nothing left after the last write");
	CHECK_INT(lost, 0, "rollups: every connection a row or counted");
	CHECK_INT(unwritten, 0, "rollups: every batch's rollups written");
	tf_report_filter_init(&f);
	CHECK(!tf_report_read_rollups(db, "memory", &f, &rolled, err, sizeof(err)), "rollups: read back %s", err);
	CHECK(rolled.n < full.n / 8, "rollups: %zu rows stand for %zu ok connections", rolled.n - (full.n - ok_rows),
	      ok_rows);
	CHECK(!tf_report_build(&full, &a) && !tf_report_build(&rolled, &b), "rollups: both reports built");
	CHECK_INT(b.rows, a.rows, "rollups: the same number of connections");
	CHECK(!memcmp(a.by_label, b.by_label, sizeof(a.by_label)), "rollups: the same count per label");
	CHECK_INT(b.n_causes, a.n_causes, "rollups: the same causes");
	bool causes = true;
	for (size_t i = 0; i < a.n_causes; i++) {
		size_t j = 0;

		while (j < b.n_causes && (b.causes[j].label != a.causes[i].label || strcmp(b.causes[j].cause, a.causes[i].cause)))
			j++;
		causes = causes && j < b.n_causes && b.causes[j].count == a.causes[i].count;
	}
	CHECK(causes, "rollups: the same count per cause");
	/* JSON's times are parsed from text, the recording's divided from nanoseconds: the last bit may differ. */
	CHECK(fabs(a.first - b.first) < 1e-6 && fabs(a.last - b.last) < 1e-6, "rollups: the same first and last end");
	CHECK(a.n_remotes == b.n_remotes && same_groups(a.remotes, b.remotes, a.n_remotes),
	      "rollups: the same failure rates by endpoint");
	CHECK(a.n_processes == b.n_processes && same_groups(a.processes, b.processes, a.n_processes),
	      "rollups: the same failure rates by process");
	CHECK(a.n_buckets == b.n_buckets && a.bucket_s == b.bucket_s &&
		      !memcmp(a.timeline, b.timeline, a.n_buckets * sizeof(*a.timeline)),
	      "rollups: the same timeline");
	CHECK(a.n_bursts >= 1 && a.n_bursts == b.n_bursts && !memcmp(a.bursts, b.bursts, sizeof(a.bursts)),
	      "rollups: the same bursts (%zu)", a.n_bursts);
	CHECK(close_dist(&a.lifetime[TF_LABEL_OK], &b.lifetime[TF_LABEL_OK]),
	      "rollups: ok lifetimes within 3.2%% (p50 %.3f vs %.3f), the same maximum", a.lifetime[0].p50,
	      b.lifetime[0].p50);
	CHECK(close_dist(&a.connect[TF_LABEL_OK], &b.connect[TF_LABEL_OK]),
	      "rollups: ok connect times within 3.2%% (p99 %.3f vs %.3f), the same maximum", a.connect[0].p99,
	      b.connect[0].p99);
	CHECK(!memcmp(&a.lifetime[TF_LABEL_RESET], &b.lifetime[TF_LABEL_RESET], sizeof(struct tf_dist)),
	      "rollups: failures' distributions unchanged");
	tf_report_free(&a);
	tf_report_free(&b);

	/* A time range on whole seconds selects the same connections either way. */
	struct tf_rows part = { 0 };
	uint64_t want = 0, got = 0;

	f.since = (double)(WALL / 1000000000) + 20;
	f.until = (double)(WALL / 1000000000) + 40;
	for (size_t i = 0; i < full.n; i++)
		want += full.v[i].label == TF_LABEL_OK && tf_report_row_match(&f, &full.v[i]);
	CHECK(!tf_report_read_rollups(db, "memory", &f, &part, err, sizeof(err)), "rollups: a time range read");
	for (size_t i = 0; i < part.n; i++)
		got += tf_row_weight(&part.v[i]);
	CHECK(want > 0 && got == want, "rollups: a range of whole seconds counts the same ok connections (%llu, %llu)",
	      (unsigned long long)got, (unsigned long long)want);
	/* A damaged histogram is an error, not a wrong distribution. */
	sqlite3_exec(db, "UPDATE ok_rollups SET duration_ms_hist = '5:1 4:1' WHERE id = 1", NULL, NULL, NULL);
	tf_rows_free(&part);
	tf_report_filter_init(&f);
	CHECK(tf_report_read_rollups(db, "memory", &f, &part, err, sizeof(err)) == -1 && strstr(err, "damaged"),
	      "rollups: a damaged histogram is reported: %s", err);

	tf_rows_free(&part);
	tf_rows_free(&full);
	tf_rows_free(&rolled);
	tf_ok_rollup_free(&ro);
	sqlite3_finalize(insert);
	sqlite3_close(db);
}

static void grouping(void)
{
	struct tf_ok_rollup ro = { 0 };
	struct tf_record r = connection(1);
	struct tf_conn_view v;

	tf_conn_view_init(&v, &r, WALL);
	CHECK_STR(tf_label_name(v.verdict.label), "ok", "grouping: an ok connection");
	tf_ok_rollup_add(&ro, &v);
	r.sport++; /* another client port of the same service: the same group */
	r.end_ns += 2 * MS;
	r.rx_bytes = 1;
	tf_conn_view_init(&v, &r, WALL);
	tf_ok_rollup_add(&ro, &v);
	CHECK(ro.n == 1 && ro.groups[0].count == 2, "grouping: the client's own port does not split a group");
	CHECK(ro.groups[0].last_wall_ns - ro.groups[0].first_wall_ns == (int64_t)(2 * MS), "grouping: first and last end");
	CHECK_INT(ro.groups[0].rx_bytes, 101 + 1, "grouping: bytes summed");
	r.end_ns += 1000 * MS; /* the next second */
	tf_conn_view_init(&v, &r, WALL);
	tf_ok_rollup_add(&ro, &v);
	r.dport++; /* another service port */
	tf_conn_view_init(&v, &r, WALL);
	tf_ok_rollup_add(&ro, &v);
	r.pid++;
	tf_conn_view_init(&v, &r, WALL);
	tf_ok_rollup_add(&ro, &v);
	CHECK_INT(ro.n, 4, "grouping: split by second, service port and process");
	for (unsigned i = 0; i < 200; i++) { /* the table grows and keeps finding its groups */
		r.daddr[2] = (uint8_t)(i + 1);
		tf_conn_view_init(&v, &r, WALL);
		tf_ok_rollup_add(&ro, &v);
		tf_ok_rollup_add(&ro, &v);
	}
	CHECK(ro.n == 204 && ro.groups[203].count == 2, "grouping: 200 more remote addresses, two connections each");
	/* The writer keeps the current second's groups: the one second later (r.end_ns above) stays. */
	int64_t later = ro.groups[203].key.second;
	uint64_t before_later = tf_ok_rollup_count_before(&ro, later);

	CHECK_INT(before_later, 2, "grouping: 2 connections ended before the later second");
	tf_ok_rollup_forget_before(&ro, later);
	CHECK(ro.n == 203 && tf_ok_rollup_count_before(&ro, later + 1) == 403, "grouping: the later second's groups kept");
	tf_ok_rollup_add(&ro, &v);
	CHECK(ro.n == 203 && ro.groups[202].count == 3, "grouping: a kept group still found after the table was rebuilt");
	tf_ok_rollup_clear(&ro);
	tf_ok_rollup_add(&ro, &v);
	CHECK(ro.n == 1 && ro.groups[0].count == 1 && ro.groups[0].duration.n == 1, "grouping: cleared, then reused");
	tf_ok_rollup_free(&ro);
}

int main(void)
{
	histogram();
	grouping();
	same_report();
	return CHECK_DONE();
}
