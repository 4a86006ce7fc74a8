// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Text and JSON from the same record; JSON escaping of hostile process names. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "check.h"
#include "output/conn_view.h"
#include "live/filter.h"
#include "lib/json_writer.h"
#include "output/output.h"
#include "lib/strbuf.h"

static char *render(void (*fn)(FILE *, const struct tf_conn_view *), const struct tf_conn_view *v)
{
	static char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	fn(f, v);
	fclose(f);
	return buf;
}

static void text_plain(FILE *f, const struct tf_conn_view *v)
{
	tf_text_connection(f, v, false);
}

static void text_identity(FILE *f, const struct tf_conn_view *v)
{
	tf_text_connection(f, v, true);
}

static struct tf_record refused_v6(void)
{
	struct tf_record r = {
		.type = TF_REC_CLOSE, .family = AF_INET6, .direction = TF_DIR_OUT,
		.old_state = TF_TCP_SYN_SENT, .flags = TF_F_RST_RX, .rst_rx_state = TF_TCP_SYN_SENT,
		.sk_err = ECONNREFUSED, .start_ns = 1000000, .end_ns = 3500000, .unanswered_ns = 1000000,
		.sport = 40000, .dport = 8080, .pid = 4242,
	};
	r.saddr[15] = 1; /* ::1 */
	r.daddr[0] = 0xfd;
	r.daddr[15] = 2;
	memcpy(r.comm, "curl", 5);
	return r;
}

static void json_line(void)
{
	struct tf_record r = refused_v6();
	struct tf_conn_view v;
	char *s;

	tf_conn_view_init(&v, &r, 0);
	s = render(tf_json_connection, &v);
	CHECK(strstr(s, "\"event\":\"close\"") != NULL, "json: event close");
	CHECK(strstr(s, "\"label\":\"refused\",\"cause\":\"rst\",\"errno\":\"ECONNREFUSED\"") != NULL,
	      "json: label, cause, errno");
	CHECK(strstr(s, "\"pid\":4242,\"comm\":\"curl\",\"netns\":0,\"family\":6,\"direction\":\"out\"") != NULL,
	      "json: pid, comm, family, direction");
	CHECK(strstr(s, "\"saddr\":\"::1\",\"sport\":40000,\"daddr\":\"fd00::2\",\"dport\":8080") != NULL,
	      "json: addresses");
	CHECK(strstr(s, "\"duration_ms\":2.500") != NULL, "json: duration");
	CHECK(strstr(s, "\"connect_ms\":null") != NULL, "json: no connect time for a refused connect");
	CHECK(strstr(s, "\"ts\":\"1970-01-01T00:00:00.003Z\"") != NULL, "json: ts is ISO 8601 UTC");
	CHECK(s[strlen(s) - 1] == '\n' && strchr(s, '\n') == s + strlen(s) - 1, "json: exactly one line");
}

static void text_line(void)
{
	struct tf_record r = refused_v6();
	struct tf_conn_view v;
	char *s;

	memcpy(r.comm, "ev\nil\033", 7);
	tf_conn_view_init(&v, &r, 0);
	s = render(text_plain, &v);
	CHECK(strstr(s, "[::1]:40000") && strstr(s, "[fd00::2]:8080"), "text: IPv6 endpoints in brackets");
	CHECK(strstr(s, "refused") && strstr(s, "ECONNREFUSED"), "text: label and errno");
	CHECK(strstr(s, "ev?il?") != NULL, "text: control bytes in comm are replaced");
	CHECK(strchr(s, '\n') == s + strlen(s) - 1, "text: one line");
}

static void json_escaping(void)
{
	struct strbuf sb = { 0 };
	struct json_writer w;

	jw_init(&w, &sb);
	jw_object_begin(&w, NULL);
	jw_string(&w, "comm", "a\"b\\c\n\x01\x7f\xc3");
	jw_string_n(&w, "fixed", "abcdef", 3);
	jw_string(&w, "none", NULL);
	jw_object_end(&w);
	sb_char(&sb, 0);
	CHECK_STR(sb.buf, "{\"comm\":\"a\\\"b\\\\c\\n\\u0001\\u007f\\u00c3\",\"fixed\":\"abc\",\"none\":null}",
		  "json: quotes, backslashes, control bytes and non-ASCII escaped");
}

static void filters(void)
{
	struct tf_record r = refused_v6();
	struct tf_filter f = { 0 };
	struct tf_conn_view v;

	tf_conn_view_init(&v, &r, 0);
	CHECK(tf_filter_match(&f, &v), "filter: empty matches");
	f.family = 4;
	CHECK(!tf_filter_match(&f, &v), "filter: -4 drops IPv6");
	f.family = 0;
	f.pids[f.n_pids++] = 1;
	CHECK(!tf_filter_match(&f, &v), "filter: other pid");
	f.pids[f.n_pids++] = 4242;
	CHECK(tf_filter_match(&f, &v), "filter: one of the pids");
	f.ports[f.n_ports++] = 8080;
	CHECK(tf_filter_match(&f, &v), "filter: remote port");
	strcpy(f.comm, "wget");
	CHECK(!tf_filter_match(&f, &v), "filter: comm");
	strcpy(f.comm, "curl");
	f.failures_only = true;
	CHECK(tf_filter_match(&f, &v), "filter: failures only keeps refused");
}

static void numbers(void)
{
	struct strbuf sb = { 0 };

	sb_u64(&sb, 0);
	sb_char(&sb, ' ');
	sb_u64(&sb, 18446744073709551615ULL);
	sb_char(&sb, ' ');
	sb_i64(&sb, -42);
	sb_char(&sb, ' ');
	sb_double(&sb, 2.5, 3);
	sb_char(&sb, ' ');
	sb_double(&sb, 0.0305, 3);
	sb_char(&sb, ' ');
	sb_double(&sb, -1.25, 1);
	sb_char(&sb, ' ');
	sb_double(&sb, 7191.3, 0);
	sb_char(&sb, 0);
	CHECK_STR(sb.buf, "0 18446744073709551615 -42 2.500 0.031 -1.3 7191", "numbers without printf");

	/* Fractions keep their leading zeros, for every number of decimals (odd ones end on a single digit). */
	sb_reset(&sb);
	sb_fixed(&sb, 7, 3);
	sb_char(&sb, ' ');
	sb_fixed(&sb, -1005, 3);
	sb_char(&sb, ' ');
	sb_fixed(&sb, 123406, 6);
	sb_char(&sb, ' ');
	sb_fixed(&sb, 42, 1);
	sb_char(&sb, ' ');
	sb_fixed(&sb, 100001, 5);
	sb_char(&sb, ' ');
	sb_double(&sb, 0.0004999, 3);
	sb_char(&sb, ' ');
	sb_double(&sb, -0.0005, 3);
	sb_char(&sb, 0);
	CHECK_STR(sb.buf, "0.007 -1.005 0.123406 4.2 1.00001 0.000 -0.001", "fixed-point fractions with leading zeros, rounded half away from zero");

	/* The digit count comes from the bit length: check every power of ten and its neighbours. */
	int wrong = 0;
	for (uint64_t p = 1, i = 0; i < 20; i++, p *= 10) {
		const uint64_t around[] = { p - 1, p, p + 1, 2 * p - 1, 8 * p, 9 * p + (p - 1) };

		for (size_t k = 0; k < sizeof(around) / sizeof(around[0]); k++) {
			char want[24];

			if (i == 19 && k >= 3)
				break; /* past 2^64 */
			snprintf(want, sizeof(want), "%llu", (unsigned long long)around[k]);
			sb_reset(&sb);
			sb_u64(&sb, around[k]);
			sb_char(&sb, 0);
			wrong += strcmp(sb.buf, want) != 0;
		}
	}
	CHECK_INT(wrong, 0, "integers agree with printf around every power of ten");

	sb_reset(&sb);
	for (int i = 0; i < STRBUF_CAP + 1000; i++)
		sb_char(&sb, 'x');
	CHECK_INT(sb.len, STRBUF_CAP, "a line is clipped at the buffer, never overflows it");

	char a[INET6_ADDRSTRLEN];
	uint8_t v4[16] = { 10, 0, 255, 7 };
	CHECK_INT(tf_format_addr(AF_INET, v4, a), 10, "IPv4: its length returned");
	CHECK_STR(a, "10.0.255.7", "IPv4 formatted by hand");
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	CHECK_INT(tf_format_addr(AF_INET6, v6, a), 11, "IPv6: its length returned");
	CHECK_STR(a, "2001:db8::1", "IPv6 through inet_ntop");
	char ts[40];
	CHECK_INT(tf_format_iso8601(1795832279123000000LL, ts, sizeof(ts)), 24, "ISO 8601: its length returned");
	CHECK_STR(ts, "2026-11-28T02:17:59.123Z", "ISO 8601 with milliseconds");
}

/* Probes are shown under the name of what gave up: keepalive or zero-window, never both. */
static void probe_counts(void)
{
	struct tf_record r = {
		.type = TF_REC_CLOSE, .family = AF_INET, .direction = TF_DIR_OUT,
		.old_state = TF_TCP_ESTABLISHED, .flags = TF_F_ESTABLISHED, .sk_err = ETIMEDOUT,
		.start_ns = 1000000, .established_ns = 1100000, .end_ns = 9000000, .probes = 3,
	};
	struct tf_conn_view v;
	char *s;

	tf_conn_view_init(&v, &r, 0);
	CHECK(v.keepalive_probes == 0 && v.zero_window_probes == 0,
	      "view: probes of a data timeout are neither keepalive nor zero-window");
	r.flags |= TF_F_KEEPALIVE_TIMER;
	tf_conn_view_init(&v, &r, 0);
	CHECK(v.keepalive_probes == 3 && v.zero_window_probes == 0, "view: keepalive probes");
	s = render(tf_json_connection, &v);
	CHECK(strstr(s, "\"keepalive_probes\":3") != NULL, "json: keepalive probes");
	r.flags = TF_F_ESTABLISHED | TF_F_ZERO_WINDOW;
	tf_conn_view_init(&v, &r, 0);
	CHECK(v.keepalive_probes == 0 && v.zero_window_probes == 3, "view: zero-window probes");
	s = render(text_plain, &v);
	CHECK(strstr(s, "zero_window_probes") != NULL, "text: zero-window probes");
	r.sk_err = ECONNRESET;
	r.flags |= TF_F_RST_RX;
	tf_conn_view_init(&v, &r, 0);
	CHECK(v.zero_window_probes == 0, "view: no probe count when the end was a reset");
}

/* The socket's identity: JSON fields when known, a SERVICE column in text when asked, nothing otherwise. */
static void identity_fields(void)
{
	struct tf_record r = refused_v6();
	struct tf_cgroup cg = { .id = 77, .path = "/system.slice/docker-" };
	struct tf_conn_view v;
	char path[160], *s;

	snprintf(path, sizeof(path), "/system.slice/docker-%s.scope",
		 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	cg.path = path;
	tf_identity_parse(cg.path, &cg.ident);
	r.cgroup_id = 77;
	tf_conn_view_init(&v, &r, 0);
	s = render(tf_json_connection, &v);
	CHECK(strstr(s, "\"netns\":0,\"cgroup_id\":77,\"family\"") != NULL, "identity json: only the id when unresolved");
	v.cgroup = &cg;
	s = render(tf_json_connection, &v);
	CHECK(strstr(s, "\"cgroup_id\":77,\"cgroup\":\"/system.slice/docker-0123456789abcdef") != NULL,
	      "identity json: the path");
	CHECK(strstr(s, "\"container_runtime\":\"docker\"") && !strstr(s, "\"unit\""),
	      "identity json: runtime, and no unit for a container");
	s = render(text_identity, &v);
	CHECK(strstr(s, " docker:0123456789ab ") != NULL, "identity text: the SERVICE column");
	s = render(text_plain, &v);
	CHECK(!strstr(s, "docker:"), "identity text: no column unless asked");
	r.cgroup_id = 0;
	v.cgroup = NULL;
	s = render(tf_json_connection, &v);
	CHECK(!strstr(s, "cgroup"), "identity json: nothing when the cgroup is unknown");
}

/* Spans are kept to the microsecond the outputs write, so live and report read the same value. */
static void spans_to_the_microsecond(void)
{
	struct tf_record r = refused_v6();
	struct tf_conn_view v;

	r.end_ns = r.start_ns + 15484749600ull; /* 15484.7496 ms: 15484.750 in a JSON line */
	tf_conn_view_init(&v, &r, 0);
	CHECK(v.duration_ms == 15484.75, "spans: rounded to the microsecond, as JSON writes them");
	CHECK(v.time_to_fail_ms == strtod("15484.750", NULL), "spans: the value a report reads back from JSON");
	r.end_ns = r.start_ns + 1499;
	tf_conn_view_init(&v, &r, 0);
	CHECK(v.duration_ms == 0.001, "spans: 1.499 us is 1 us");
}

int main(void)
{
	spans_to_the_microsecond();
	identity_fields();
	numbers();
	json_line();
	text_line();
	json_escaping();
	filters();
	probe_counts();
	return CHECK_DONE();
}
