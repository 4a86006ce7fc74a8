// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Report building blocks: times, JSON lines, filters, the model, its outputs. */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "options.h"
#include "report/report.h"
#include "report/timeparse.h"

static void times(void)
{
	double t, now = 1795000000;

	CHECK(!tf_parse_time("2026-11-22T14:02:00Z", now, &t) && t == 1795356120, "ISO 8601 UTC");
	CHECK(!tf_parse_time("2026-11-22T16:02:00+02:00", now, &t) && t == 1795356120, "ISO 8601 with offset");
	CHECK(!tf_parse_time("2026-11-22 14:02", now, &t) && t == 1795356120, "date and minutes, space");
	CHECK(!tf_parse_time("2026-11-22T14:02:00.250Z", now, &t) && fabs(t - 1795356120.25) < 1e-6, "fraction");
	CHECK(!tf_parse_time("2026-11-22", now, &t) && t == 1795305600, "date alone is midnight UTC");
	CHECK(!tf_parse_time("-2h", now, &t) && t == now - 7200, "relative hours");
	CHECK(!tf_parse_time("-1h30m", now, &t) && t == now - 5400, "relative combined");
	CHECK(!tf_parse_time("now", now, &t) && t == now, "now");
	const char *bad[] = { "", "2026-13-01", "2026-11-22T25:00", "yesterday", "-2x", "-", "2026-11-22T14:02:00Zjunk",
			      "2026-1-2", "-h", "2026-11-22T14:02:00+2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(tf_parse_time(bad[i], now, &t) == -1, "rejects '%s'", bad[i]);
}

static void units(void)
{
	CHECK_INT(tf_parse_duration("90"), 90, "duration: bare seconds");
	CHECK_INT(tf_parse_duration("15m"), 900, "duration: minutes");
	CHECK_INT(tf_parse_duration("7d"), 604800, "duration: days");
	CHECK_INT(tf_parse_duration("7x"), -1, "duration: unknown unit");
	CHECK_INT(tf_parse_duration("0"), -1, "duration: zero");
	CHECK_INT(tf_parse_size("100M"), 104857600, "size: MiB");
	CHECK_INT(tf_parse_size("2G"), 2147483648LL, "size: GiB");
	CHECK_INT(tf_parse_size("-5M"), -1, "size: negative");
	CHECK_INT(tf_parse_size("99999999999999999999G"), -1, "size: overflow");
}

static const char LINE_OK[] =
	"{\"event\":\"close\",\"ts\":\"2026-11-22T14:02:03.500Z\",\"label\":\"hang-up\",\"cause\":\"idle-reuse\","
	"\"errno\":null,\"pid\":42,\"comm\":\"node\",\"family\":4,\"direction\":\"out\",\"saddr\":\"10.0.0.1\","
	"\"sport\":40000,\"daddr\":\"10.0.0.2\",\"dport\":443,\"duration_ms\":12.5,\"connect_ms\":0.2,"
	"\"host\":\"web-1\"}";

static void jsonl(void)
{
	struct tf_row row;
	char err[160];

	CHECK_INT(tf_jsonl_parse_row(LINE_OK, strlen(LINE_OK), &row, err, sizeof(err)), 1, "a close record");
	CHECK_INT(row.label, TF_LABEL_HANG_UP, "label");
	CHECK_STR(row.cause, "idle-reuse", "cause");
	CHECK_STR(row.host, "web-1", "host");
	CHECK_INT(row.dport, 443, "dport");
	CHECK(isnan(row.time_to_fail_ms), "missing number is unknown");
	CHECK(fabs(row.ts_end - 1795356123.5) < 1e-6, "ts");
	CHECK_INT(tf_jsonl_parse_row("{\"event\":\"summary\"}", 19, &row, err, sizeof(err)), 0, "summary skipped");
	CHECK_INT(tf_jsonl_parse_row("{\"event\":\"close\"}", 17, &row, err, sizeof(err)), -1, "close without ts");
	CHECK_INT(tf_jsonl_parse_row("{\"event\":\"close\",\"ts\":\"2026-11-22T14:02:03Z\",\"label\":\"bogus\"}", 62,
				     &row, err, sizeof(err)), -1, "unknown label");
	CHECK_INT(tf_jsonl_parse_row("[1,2]", 5, &row, err, sizeof(err)), -1, "not an object");
	CHECK_INT(tf_jsonl_parse_row("{\"event\":", 9, &row, err, sizeof(err)), -1, "truncated JSON");
	CHECK(strstr(err, "not JSON") != NULL, "truncated JSON: says so (%s)", err);
}

static struct tf_row row_at(double ts, int label, const char *daddr, int dport, const char *comm)
{
	struct tf_row r = { .ts_end = ts, .label = label, .dport = dport, .duration_ms = 10, .connect_ms = 1,
			    .time_to_fail_ms = label ? 3000 : NAN };
	strcpy(r.daddr, daddr);
	strcpy(r.comm, comm);
	strcpy(r.direction, "out");
	strcpy(r.cause, label ? "x" : "local-close");
	return r;
}

static void model(void)
{
	struct tf_rows rows = { 0 };
	struct tf_report rep;
	struct tf_row r;
	double t0 = 1795356000;

	/* An hour of quiet traffic with one failure a minute, then a burst of SYN timeouts to one host. */
	for (int m = 0; m < 60; m++) {
		for (int i = 0; i < 20; i++) {
			r = row_at(t0 + m * 60 + i, TF_LABEL_OK, "10.0.0.9", 80, "curl");
			tf_rows_push(&rows, &r);
		}
		r = row_at(t0 + m * 60 + 30, TF_LABEL_RESET, "10.0.0.9", 80, "curl");
		tf_rows_push(&rows, &r);
	}
	for (int i = 0; i < 40; i++) {
		r = row_at(t0 + 1800 + i, TF_LABEL_SYN_TIMEOUT, "10.0.0.7", 5432, "api");
		tf_rows_push(&rows, &r);
	}
	CHECK_INT(tf_report_build(&rows, &rep), 0, "report builds");
	CHECK_INT(rep.rows, 60 * 21 + 40, "every row counted");
	CHECK_INT(rep.by_label[TF_LABEL_SYN_TIMEOUT], 40, "per label");
	CHECK(rep.bucket_s == 60, "an hour in 1-minute buckets (got %g)", rep.bucket_s);
	CHECK_INT(rep.n_bursts, 1, "one burst");
	CHECK_INT(rep.bursts[0].label, TF_LABEL_SYN_TIMEOUT, "burst's dominant label");
	CHECK_STR(rep.bursts[0].endpoint, "10.0.0.7:5432", "burst's dominant endpoint");
	CHECK_STR(rep.bursts[0].process, "api", "burst's dominant process");
	CHECK_STR(rep.remotes[0].key, "10.0.0.9:80", "top endpoint by failures");
	CHECK_INT(rep.remotes[0].failures, 60, "its failures");
	CHECK_INT(rep.to_failure[TF_LABEL_SYN_TIMEOUT].n, 40, "time-to-failure distribution");
	CHECK(rep.to_failure[TF_LABEL_SYN_TIMEOUT].p99 == 3000, "p99");

	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	tf_report_html(f, &rep);
	fclose(f);
	CHECK(strstr(buf, "<svg id=\"timeline\"") && strstr(buf, "id=\"remotes\"") && strstr(buf, "id=\"bursts\""),
	      "html: timeline, tables, bursts");
	CHECK(!strstr(buf, "<script") && !strstr(buf, "http://") && !strstr(buf, "https://"),
	      "html: self-contained (no script, no external asset)");
	free(buf);
	f = open_memstream(&buf, &len);
	tf_report_text(f, &rep);
	fclose(f);
	CHECK(strstr(buf, "Bursts") && strstr(buf, "syn-timeout") && strstr(buf, "What happened"), "text report");
	free(buf);
	tf_report_free(&rep);

	struct tf_report_filter flt;
	tf_report_filter_init(&flt);
	strcpy(flt.remote, "10.0.0.7");
	r = row_at(t0, TF_LABEL_OK, "10.0.0.9", 80, "curl");
	CHECK(!tf_report_row_match(&flt, &r), "filter: other remote");
	flt.label = TF_LABEL_SYN_TIMEOUT;
	r = row_at(t0, TF_LABEL_SYN_TIMEOUT, "10.0.0.7", 5432, "api");
	CHECK(tf_report_row_match(&flt, &r), "filter: remote and label");
	flt.since = t0 + 1;
	CHECK(!tf_report_row_match(&flt, &r), "filter: since");
	tf_rows_free(&rows);

	struct tf_rows none = { 0 };
	CHECK_INT(tf_report_build(&none, &rep), 0, "an empty report builds");
	tf_report_free(&rep);
}

static void html_escaping(void)
{
	struct tf_rows rows = { 0 };
	struct tf_report rep;
	struct tf_row r = row_at(1795356000, TF_LABEL_RESET, "10.0.0.1", 1, "<img src=x>");
	char *buf;
	size_t len;
	FILE *f;

	tf_rows_push(&rows, &r);
	tf_report_build(&rows, &rep);
	f = open_memstream(&buf, &len);
	tf_report_html(f, &rep);
	fclose(f);
	CHECK(!strstr(buf, "<img") && strstr(buf, "&lt;img src=x&gt;"), "html: a process name is escaped");
	free(buf);
	tf_report_free(&rep);
	tf_rows_free(&rows);
}

int main(void)
{
	times();
	units();
	jsonl();
	model();
	html_escaping();
	return CHECK_DONE();
}
