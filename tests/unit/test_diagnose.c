// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Timeout fingerprints from synthetic timings: the budgets, the clusters, matches and near misses. */
#include <math.h>
#include "check.h"
#include "report/diagnose.h"
#include "report/report.h"

static struct tf_row row(const char *label, const char *cause, const char *direction, double value_ms)
{
	struct tf_row r = { .duration_ms = NAN, .connect_ms = NAN, .time_to_fail_ms = NAN, .rx_idle_ms = NAN,
			    .tx_idle_ms = NAN, .fin_idle_ms = NAN, .read_idle_ms = NAN, .dport = 8080, .sport = 40000 };

	r.label = tf_label_parse(label);
	snprintf(r.cause, sizeof(r.cause), "%s", cause);
	snprintf(r.direction, sizeof(r.direction), "%s", direction);
	snprintf(r.comm, sizeof(r.comm), "client");
	snprintf(r.saddr, sizeof(r.saddr), "10.0.0.1");
	snprintf(r.daddr, sizeof(r.daddr), "10.0.0.5");
	if (!strcmp(cause, "request-unanswered"))
		r.tx_idle_ms = value_ms;
	else if (!strcmp(label, "hang-up"))
		r.rx_idle_ms = value_ms;
	else
		r.time_to_fail_ms = value_ms;
	return r;
}

/* n rows of one fate at `ms` plus a few milliseconds of spread each (0, 7, 14, ...). */
static size_t many(struct tf_row *rows, size_t n, const char *label, const char *cause, const char *dir, double ms,
		   int syn_retrans)
{
	for (size_t i = 0; i < n; i++) {
		rows[i] = row(label, cause, dir, ms + (double)(i * 7 % 30));
		rows[i].syn_retrans = syn_retrans;
	}
	return n;
}

/* The settings tcpfate read at each failure: the namespace's, or the socket's own where `options` names them. */
static void read_settings(struct tf_row *rows, size_t n, int syn_retries, int retries2, double user_timeout_ms,
			  double keepalive_intvl_ms, int keepalive_probes, const char *options)
{
	for (size_t i = 0; i < n; i++) {
		struct tf_row_settings *s = &rows[i].settings;

		s->known = true;
		s->syn_retries = syn_retries;
		s->syn_linear_timeouts = -1; /* a kernel before 6.5 */
		s->retries2 = retries2;
		s->user_timeout_ms = user_timeout_ms;
		s->keepalive_time_ms = 7200000;
		s->keepalive_intvl_ms = keepalive_intvl_ms;
		s->keepalive_probes = keepalive_probes;
		snprintf(s->socket_options, sizeof(s->socket_options), "%s", options);
	}
}

static size_t diagnose(struct tf_row *rows, size_t n, struct tf_diagnosis *d)
{
	return tf_diagnose(rows, n, d, TF_DIAG_MAX);
}

int main(void)
{
	struct tf_diagnosis d[TF_DIAG_MAX];
	struct tf_row rows[64];
	double v[] = { 9000, 5020, 5000, 5010, 120 }, lo, hi, m;
	size_t n;

	/* The kernel's budgets. */
	CHECK(tf_syn_budget_ms(6) == 127000, "syn budget: 6 retries, 127 s");
	CHECK(tf_syn_budget_ms(2) == 7000, "syn budget: 2 retries, 7 s");
	{
		int sent;

		CHECK(tf_syn_abort_ms(6, 0, &sent) == 127000 && sent == 6, "syn abort, before 6.5: 6 retries, 127 s, 6 sent");
		CHECK(tf_syn_abort_ms(3, 0, &sent) == 15000 && sent == 3, "syn abort, before 6.5: 3 retries, 15 s, 3 sent");
		/* Since 6.5 (tcp_syn_linear_timeouts 4): 1, 1, 1, 1, 1, 2, 4... s, up to n + 4 retransmits. */
		CHECK(tf_syn_abort_ms(6, 4, &sent) == 131000 && sent == 10, "syn abort, linear 4: 6 retries, 131 s, 10 sent");
		CHECK(tf_syn_abort_ms(3, 4, &sent) == 19000 && sent == 7, "syn abort, linear 4: 3 retries, 19 s, 7 sent");
		CHECK(tf_syn_abort_ms(2, 4, &sent) == 7000 && sent == 5,
		      "syn abort, linear 4: 2 retries, 7 s (the time budget first), 5 sent");
		CHECK(tf_syn_abort_ms(1, 4, &sent) == 3000 && sent == 2, "syn abort, linear 4: 1 retry, 3 s, 2 sent");
		CHECK(tf_syn_abort_ms(3, 0, &sent) == tf_syn_budget_ms(3), "syn abort without linear timeouts: the budget");
	}
	CHECK(tf_retries2_budget_ms(15) == 924600, "retries2 budget: 15, 924.6 s");
	CHECK(tf_retries2_budget_ms(3) == 3000, "retries2 budget: 3, 3 s");
	CHECK(tf_retries2_budget_ms(9) == 204600, "retries2 budget: 9, 204.6 s (the last doubling)");

	/* Clusters. */
	CHECK(tf_cluster(v, 5, 3, &lo, &hi, &m) == 3 && lo == 5000 && hi == 5020 && m == 5010,
	      "cluster: the three near 5 s, median 5.01 s");
	CHECK(tf_cluster(v, 2, 3, &lo, &hi, &m) == 0, "cluster: fewer than the minimum is no cluster");

	/* SYN timeouts at the budget of their retransmit count: tcp_syn_retries. */
	n = many(rows, 6, "syn-timeout", "syn-retries", "out", 7000, 2);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_syn_retries = 2") && d[0].count == 6 &&
		      !strcmp(d[0].confidence, "high"),
	      "syn: 6 at 7 s after 2 retransmits: tcp_syn_retries = 2, high confidence");
	CHECK(strstr(d[0].group, "syn-timeout / syn-retries to 10.0.0.5:8080 from client") != NULL, "syn: the group named");
	n = many(rows, 6, "syn-timeout", "syn-retries", "out", 15000, 3);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_syn_retries = 3"), "syn: 15 s after 3: tcp_syn_retries = 3");
	n = many(rows, 6, "syn-timeout", "syn-retries", "out", 7000, 1);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_syn_retries = 2"),
	      "syn: 7 s with another retransmit count seen: the time decides, tcp_syn_retries = 2");
	n = many(rows, 6, "syn-timeout", "syn-retries", "out", 10000, 2);
	CHECK(diagnose(rows, n, d) == 0, "syn near miss: 10 s matches no budget (7 s, 15 s)");
	n = many(rows, 6, "syn-timeout", "syn-retries", "out", 19000, 7);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_syn_retries = 3") &&
		      strstr(d[0].match, "tcp_syn_linear_timeouts = 4") && strstr(d[0].match, "gives up 19 s") &&
		      strstr(d[0].match, "inferred"),
	      "syn: 19 s after 7 retransmits: tcp_syn_retries = 3 with 6.5's linear timeouts, inferred");
	n = many(rows, 6, "syn-timeout", "syn-retries", "out", 131000, 10);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_syn_retries = 6") && !strstr(d[0].match, "linear"),
	      "syn: 131 s (6.5's default) fits tcp_syn_retries = 6 either way: no claim about linear timeouts");
	n = many(rows, 6, "syn-timeout", "syn-retries", "out", 23000, 8);
	CHECK(diagnose(rows, n, d) == 0, "syn near miss: 23 s matches no budget (15 s, 19 s, 31 s, 35 s)");
	/* Connects the application gave up on: its own connect timeout. */
	n = many(rows, 5, "syn-timeout", "abandoned", "out", 1600, 1);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "the application's connect timeout of 1.6 s") &&
		      !strstr(d[0].match, "read at the failure"),
	      "connect abandoned at 1.6 s: the application's connect timeout: %s", n ? d[0].match : "none");
	read_settings(rows, n, 6, 15, 0, 75000, 9, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "connect timeout of 1.6 s, before the kernel's own 127 s "
							      "(tcp_syn_retries = 6, read at the failure)"),
	      "connect abandoned, settings read: the kernel's budget it beat named: %s", d[0].match);
	for (size_t i = 0; i < n; i++)
		rows[i].time_to_fail_ms = 300 + 700 * (double)i;
	CHECK(diagnose(rows, n, d) == 0, "connect abandoned near miss: scattered times are no timeout");
	n = many(rows, 2, "syn-timeout", "syn-retries", "out", 7000, 2);
	CHECK(diagnose(rows, n, d) == 0, "syn: never from two connections");

	/* Data retransmissions: the tcp_retries2 budget they reach, or the application's own timer. */
	CHECK(tf_retries2_abort_ms(3, 200, false) == 6200, "retries2 = 3 aborts 6.2 s after the first transmission");
	CHECK(tf_retries2_abort_ms(3, 200, true) == 3000, "retries2 = 3 after a tail loss probe: 3.0 s");
	CHECK(tf_retries2_abort_ms(15, 200, false) > 924600 && tf_retries2_abort_ms(15, 200, false) < 1100000,
	      "retries2 = 15 aborts after the 924.6 s budget, within one 120 s RTO more");
	n = many(rows, 4, "retries-exhausted", "data", "out", 6400, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_retries2 = 3") && !strcmp(d[0].confidence, "medium"),
	      "data: 6.4 s: tcp_retries2 = 3 (4 connections: medium)");
	n = many(rows, 2, "retries-exhausted", "data", "out", 3200, 0);
	n += many(rows + n, 2, "retries-exhausted", "data", "out", 6250, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_retries2 = 3") && d[0].count == 4,
	      "data: 3.2 s (a tail loss probe first) and 6.25 s (none): both tcp_retries2 = 3, all four");
	n = many(rows, 2, "retries-exhausted", "data", "out", 6250, 0);
	n += many(rows + n, 2, "retries-exhausted", "data", "out", 20000, 0);
	CHECK(diagnose(rows, n, d) == 0, "data near miss: two at r = 3, two at 20 s (no budget): no claim");
	n = many(rows, 2, "retries-exhausted", "data", "out", 6250, 0);
	n += many(rows + n, 2, "retries-exhausted", "data", "out", 12600, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_retries2 = 4"),
	      "data: 6.25 s and 12.6 s fit only r = 4 (probe first, or not)");
	n = many(rows, 5, "retries-exhausted", "data", "out", 4700, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "TCP_USER_TIMEOUT = 4.7 s"),
	      "data: 4.7 s, where no budget ends: an application's TCP_USER_TIMEOUT");

	/* Keepalive: interval x probes. */
	n = many(rows, 5, "retries-exhausted", "keepalive", "out", 3040, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "= 3 s"), "keepalive: 3.04 s: intvl x probes = 3 s");
	n = many(rows, 5, "retries-exhausted", "keepalive", "out", 2500, 0);
	CHECK(diagnose(rows, n, d) == 0, "keepalive near miss: 2.5 s is no whole number of seconds");
	n = many(rows, 5, "retries-exhausted", "keepalive", "out", 675000, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "kernel's defaults"), "keepalive: 675 s: the kernel's defaults");

	/* Hang-ups at a server's or client's timeout, defaults named when they match. */
	n = many(rows, 5, "hang-up", "request-unanswered", "out", 1300, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "server's request timeout of 1.3 s") &&
		      !strstr(d[0].match, "default"),
	      "request unanswered at 1.3 s: the server's timeout, no default named");
	n = many(rows, 5, "hang-up", "request-unanswered", "out", 60000, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "nginx proxy_read_timeout"),
	      "request unanswered at 60 s: nginx's and Node's 60 s defaults named");
	n = many(rows, 5, "hang-up", "peer-abandoned", "in", 2700, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "clients' request timeout of 2.7 s") &&
		      strstr(d[0].group, "on 10.0.0.1:40000"),
	      "peer abandoned at 2.7 s: the clients' timeout, grouped by the server's endpoint");
	n = many(rows, 5, "hang-up", "idle-reuse", "out", 5050, 0);
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "keep-alive timeout is shorter than 5.0 s"),
	      "idle reuse after 5.05 s: the server's keep-alive timeout is shorter");

	/* Near misses: spread out, or only a minority agreeing. */
	n = 0;
	for (int i = 0; i < 8; i++)
		rows[n++] = row("hang-up", "request-unanswered", "out", 1000 + 700 * i);
	CHECK(diagnose(rows, n, d) == 0, "spread-out delays: no timeout claimed");
	n = many(rows, 3, "hang-up", "request-unanswered", "out", 1300, 0);
	for (int i = 0; i < 5; i++)
		rows[n++] = row("hang-up", "request-unanswered", "out", 20000 + 3000 * i);
	CHECK(diagnose(rows, n, d) == 0, "three of eight agreeing: not enough of the group");
	n = many(rows, 5, "reset", "peer", "out", 1300, 0);
	CHECK(diagnose(rows, n, d) == 0, "resets: no timing to diagnose");
	/* Settings read at the failures: named as read, and preferred to what the times suggest. */
	n = many(rows, 4, "syn-timeout", "syn-retries", "out", 7000, 2);
	read_settings(rows, n, 2, 15, 0, 75000, 9, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_syn_retries = 2, read from the connections' network "
							      "namespace") && !strstr(d[0].match, "another time"),
	      "syn, read: tcp_syn_retries = 2 from the namespace, and the time agrees");
	n = many(rows, 4, "syn-timeout", "syn-retries", "out", 15000, 3);
	read_settings(rows, n, 3, 15, 0, 75000, 9, "TCP_SYNCNT");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "TCP_SYNCNT = 3, set on the sockets themselves"),
	      "syn, read: the sockets' own TCP_SYNCNT = 3 named as theirs");
	n = many(rows, 4, "syn-timeout", "syn-retries", "out", 10000, 2);
	read_settings(rows, n, 2, 15, 0, 75000, 9, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_syn_retries = 2") && strstr(d[0].match, "another time"),
	      "syn near miss, read: 10 s under tcp_syn_retries = 2 says the time does not fit");
	n = many(rows, 4, "syn-timeout", "syn-retries", "out", 19000, 7);
	read_settings(rows, n, 3, 15, 0, 75000, 9, "");
	for (size_t i = 0; i < n; i++)
		rows[i].settings.syn_linear_timeouts = 4;
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_syn_retries = 3") &&
		      strstr(d[0].match, "tcp_syn_linear_timeouts = 4") && strstr(d[0].match, "gives up 19 s after the first "
											  "SYN, after 7 retransmits (default 6: 131 s)") &&
		      !strstr(d[0].match, "another time"),
	      "syn, read with linear timeouts 4: 19 s, 7 retransmits, and the time agrees");
	for (size_t i = 0; i < n; i++)
		rows[i].time_to_fail_ms = 15000;
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "another time"),
	      "syn near miss, read with linear timeouts 4: 15 s (the budget without them) does not fit");
	n = many(rows, 4, "retries-exhausted", "keepalive", "out", 3040, 0);
	read_settings(rows, n, 6, 15, 0, 1000, 3, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_keepalive_intvl 1 s x tcp_keepalive_probes 3 = 3 s") &&
		      strstr(d[0].match, "after tcp_keepalive_time 7200 s idle: 7203 s from the last data to the end"),
	      "keepalive, read: intvl x probes, and the idle time before the first probe: %s", d[0].match);
	n = many(rows, 4, "retries-exhausted", "data", "out", 2700, 0);
	read_settings(rows, n, 6, 15, 2700, 75000, 9, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "TCP_USER_TIMEOUT = 2.7 s, set on the sockets"),
	      "data, read: TCP_USER_TIMEOUT = 2.7 s named as the sockets'");
	n = many(rows, 4, "retries-exhausted", "data", "out", 6400, 0);
	read_settings(rows, n, 6, 3, 0, 75000, 9, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_retries2 = 3, read from") &&
		      !strstr(d[0].match, "poorly") && d[0].count == 4,
	      "data, read: tcp_retries2 = 3, and all four times fit it");
	n = many(rows, 4, "retries-exhausted", "data", "out", 6400, 0);
	read_settings(rows, n, 6, 8, 0, 75000, 9, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "tcp_retries2 = 8, read from") && strstr(d[0].match, "poorly"),
	      "data near miss, read: 6.4 s under tcp_retries2 = 8 is named, with the poor fit said");
	n = many(rows, 5, "retries-exhausted", "keepalive", "out", 3040, 0);
	read_settings(rows, n, 6, 15, 0, 1000, 3, "TCP_KEEPCNT");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "TCP_KEEPINTVL 1 s x TCP_KEEPCNT 3 = 3 s, set on the sockets"),
	      "keepalive, read: the sockets' own interval x count");
	n = many(rows, 4, "syn-timeout", "syn-retries", "out", 7000, 2);
	read_settings(rows, 2, 2, 15, 0, 75000, 9, "");
	read_settings(rows + 2, 2, 4, 15, 0, 75000, 9, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "inferred from the time"),
	      "syn, settings that differ within the group: inferred from the time instead");
	n = many(rows, 4, "syn-timeout", "syn-retries", "out", 7000, 2);
	read_settings(rows, 3, 2, 15, 0, 75000, 9, "");
	CHECK(diagnose(rows, n, d) == 1 && strstr(d[0].match, "inferred from the time"),
	      "syn, one connection without settings (an older record): inferred");

	/* Examples: the cluster's earliest ends, whatever order the rows came in; outliers are none. */
	n = many(rows, 6, "hang-up", "request-unanswered", "out", 1300, 0);
	for (size_t i = 0; i < n; i++) {
		rows[i].ts_end = 1000 - (double)i; /* the last row ended first */
		rows[i].pid = 100 + (int64_t)i;
		rows[i].sport = 40000 + (int)i;
	}
	rows[5].tx_idle_ms = 9000; /* the earliest is an outlier */
	CHECK(diagnose(rows, n, d) == 1 && d[0].n_examples == 3 && d[0].examples[0].pid == 104 &&
		      d[0].examples[1].pid == 103 && d[0].examples[2].pid == 102 && d[0].examples[0].ts_end == 996 &&
		      d[0].examples[0].sport == 40004 && fabs(d[0].examples[0].value_ms - 1300 - 4 * 7 % 30) < 0.01,
	      "examples: the three earliest in the cluster (pids %lld %lld %lld)", (long long)d[0].examples[0].pid,
	      (long long)d[0].examples[1].pid, (long long)d[0].examples[2].pid);

	/* Two groups: each its own diagnosis, the larger first. */
	n = many(rows, 5, "hang-up", "request-unanswered", "out", 1300, 0);
	n += many(rows + n, 7, "syn-timeout", "syn-retries", "out", 7000, 2);
	CHECK(diagnose(rows, n, d) == 2 && d[0].count == 7 && d[1].count == 5, "two groups, the larger first");
	/* Idle closes (ok connections): the peer's idle timeout, from the last data to its FIN. */
	for (size_t i = 0; i < 6; i++) { /* a client's pooled connections, closed by the server after 1.7 s idle */
		rows[i] = row("ok", "peer-close", "out", NAN);
		rows[i].fin_idle_ms = 1700 + (double)(i * 5);
	}
	n = diagnose(rows, 6, d);
	CHECK(n == 1 && strstr(d[0].finding, "the server closed connections after 1.7 s idle") &&
		      strstr(d[0].match, "the server's idle keep-alive timeout of 1.7 s") && !strcmp(d[0].confidence, "high"),
	      "idle close: the server's keep-alive timeout, seen by its clients: %s / %s", n ? d[0].finding : "none",
	      n ? d[0].match : "");
	for (size_t i = 0; i < 4; i++) {
		rows[i] = row("ok", "peer-close", "out", NAN);
		rows[i].fin_idle_ms = 5000 + (double)i;
	}
	n = diagnose(rows, 4, d);
	CHECK(n == 1 && strstr(d[0].match, "Node.js keepAliveTimeout"), "idle close: a well-known default named: %s",
	      n ? d[0].match : "none");
	for (size_t i = 0; i < 4; i++) { /* seen by a server: its clients close their idle connections */
		rows[i] = row("ok", "peer-close", "in", NAN);
		rows[i].fin_idle_ms = 2300 + (double)i;
	}
	n = diagnose(rows, 4, d);
	CHECK(n == 1 && strstr(d[0].finding, "the clients closed connections after 2.3 s idle") &&
		      strstr(d[0].match, "the clients' idle connection timeout of 2.3 s"),
	      "idle close: the clients' own idle timeout, seen by the server: %s", n ? d[0].match : "none");
	/* Near misses: a FIN under a second after the last data, scattered idle times, our own closes. */
	for (size_t i = 0; i < 6; i++) {
		rows[i] = row("ok", "peer-close", "out", NAN);
		rows[i].fin_idle_ms = 40 + (double)i;
	}
	CHECK(diagnose(rows, 6, d) == 0, "idle close: a peer closing right after the data is not an idle close");
	for (size_t i = 0; i < 6; i++) {
		rows[i] = row("ok", "peer-close", "out", NAN);
		rows[i].fin_idle_ms = 1000 + (double)(i * 900);
	}
	CHECK(diagnose(rows, 6, d) == 0, "idle close: scattered idle times name no timeout");
	for (size_t i = 0; i < 6; i++) {
		rows[i] = row("ok", "local-close", "out", NAN);
		rows[i].fin_idle_ms = 1700;
	}
	CHECK(diagnose(rows, 6, d) == 0, "idle close: only the peer's closes tell its timeout");
	CHECK(tf_diag_idle_close(TF_LABEL_OK, 1000) && !tf_diag_idle_close(TF_LABEL_OK, 999) &&
		      !tf_diag_idle_close(TF_LABEL_RESET, 5000) && !tf_diag_idle_close(TF_LABEL_OK, NAN),
	      "idle close: what the recording keeps as a row (1 s or more, ok only)");

	/* Data left unread, then closed: a reader that stopped, and whose timeout ended it. */
	for (size_t i = 0; i < 5; i++) { /* the server closed 2.3 s after its response, which sat unread */
		rows[i] = row("reset", "local", "out", NAN);
		snprintf(rows[i].rst_reason, sizeof(rows[i].rst_reason), "TCP_ABORT_ON_CLOSE");
		rows[i].fin_idle_ms = 2300 + (double)i;
		rows[i].rx_idle_ms = 9000 + (double)(i * 300); /* our own close came much later, scattered */
	}
	n = diagnose(rows, 5, d);
	CHECK(n == 1 && strstr(d[0].group, "reset / local, data unread when the peer closed to 10.0.0.5:8080") &&
		      strstr(d[0].match, "the server's idle timeout of 2.3 s, met by responses the client never read") &&
		      strstr(d[0].advice, "res.resume()"),
	      "unread: the server's timeout on a response left unread: %s / %s", n ? d[0].group : "none",
	      n ? d[0].match : "");
	for (size_t i = 0; i < 5; i++) { /* no FIN: the client's own timeout, 2.9 s after the response came */
		rows[i].fin_idle_ms = NAN;
		rows[i].rx_idle_ms = 2900 + (double)i;
	}
	n = diagnose(rows, 5, d);
	CHECK(n == 1 && strstr(d[0].group, "reset / local, closed with data unread") &&
		      strstr(d[0].match, "the client's own request timeout of 2.9 s, fired on a response it had received "
					 "but not read"),
	      "unread: the client's own timeout on a response it had not read: %s", n ? d[0].match : "none");
	for (size_t i = 0; i < 5; i++)
		snprintf(rows[i].rst_reason, sizeof(rows[i].rst_reason), "TCP_STATE");
	CHECK(diagnose(rows, 5, d) == 0, "unread near miss: an RST for another reason (SO_LINGER 0) is no unread close");
	for (size_t i = 0; i < 5; i++) {
		snprintf(rows[i].rst_reason, sizeof(rows[i].rst_reason), "TCP_ABORT_ON_CLOSE");
		rows[i].rx_idle_ms = 500 + (double)(i * 700);
	}
	CHECK(diagnose(rows, 5, d) == 0, "unread near miss: scattered times name no timeout");
	for (size_t i = 0; i < 5; i++)
		rows[i].rx_idle_ms = 20 + (double)i;
	CHECK(diagnose(rows, 5, d) == 0, "unread near miss: closed at once (a process that exited) is no timeout");

	/* Two services calling the same endpoint with their own timeouts: two groups, each named. */
	for (size_t i = 0; i < 8; i++) {
		rows[i] = row("hang-up", "peer-abandoned", "in", i < 4 ? 2300 + (double)i : 4100 + (double)i);
		snprintf(rows[i].unit, sizeof(rows[i].unit), "%s", i < 4 ? "api.service" : "batch.service");
	}
	n = diagnose(rows, 8, d);
	CHECK(n == 2 && strstr(d[0].group, "[api.service]") && strstr(d[1].group, "[batch.service]") &&
		      strstr(d[0].match, "2.3 s") && strstr(d[1].match, "4.1 s"),
	      "identity: one diagnosis per service (%s; %s)", n > 0 ? d[0].group : "", n > 1 ? d[1].group : "");
	for (size_t i = 0; i < 3; i++) {
		rows[i].unit[0] = '\0';
		snprintf(rows[i].container_id, sizeof(rows[i].container_id), "5e%062d", 1);
		snprintf(rows[i].runtime, sizeof(rows[i].runtime), "docker");
		snprintf(rows[i].container_name, sizeof(rows[i].container_name), "web");
	}
	n = diagnose(rows, 3, d);
	CHECK(n == 1 && strstr(d[0].group, "[docker web (5e0000000000)]"), "identity: a container by its name: %s",
	      n ? d[0].group : "none");

	return check_failures ? 1 : 0;
}
