// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "report/diagnose.h"
#include "report/report.h"

/* --- the kernel's budgets ------------------------------------------------------------ */

double tf_syn_budget_ms(int n)
{
	double total = 0, rto = 1000;

	for (int i = 0; i <= n; i++, rto = fmin(rto * 2, 120000))
		total += rto;
	return total;
}

/*
 * tcp_write_timeout() gives up on a SYN at the first expiry of the
 * retransmission timer where either n + linear retransmits were sent or the
 * time since the first SYN reached the budget of n doublings.  Since 6.5 the
 * first `linear` timeouts (tcp_syn_linear_timeouts, 4 by default) do not
 * double the RTO: 1, 1, 1, 1, 1, 2, 4... s.  With n >= 3 the count is reached
 * first, 4 s past the budget (tcp_syn_retries 6: 131 s, 10 retransmits).
 */
double tf_syn_abort_ms(int n, int linear, int *retransmits)
{
	double budget = tf_syn_budget_ms(n), t = 0, rto = 1000;
	int sent = 0;

	for (int expiry = 1; expiry < 64; expiry++) {
		t += rto;
		if (sent >= n + linear || t >= budget)
			break;
		sent++;
		if (expiry > linear)
			rto = fmin(rto * 2, 120000);
	}
	*retransmits = sent;
	return t;
}

/* tcp_model_timeout(): doubling from TCP_RTO_MIN up to TCP_RTO_MAX, then linear. */
double tf_retries2_budget_ms(int r)
{
	const int thresh = 9; /* ilog2(TCP_RTO_MAX / TCP_RTO_MIN) */

	if (r <= thresh)
		return ((2 << r) - 1) * 200.0;
	return ((2 << thresh) - 1) * 200.0 + (r - thresh) * 120000.0;
}

/*
 * When the kernel aborts a connection whose data goes unanswered, measured
 * from the first transmission: the check against the budget runs only when
 * the retransmission timer fires, and the budget counts from the first
 * retransmission, so the abort comes at the first expiry past it.  RTO
 * starts at rto0 (TCP_RTO_MIN, 200 ms, on a short path) and doubles.
 */
double tf_retries2_abort_ms(int r, double rto0, bool tail_probe)
{
	double budget = tf_retries2_budget_ms(r), t = 0, rto = rto0, first = tail_probe ? 0 : -1;

	for (int k = 0; k < 64; k++, rto = fmin(rto * 2, 120000)) {
		t += rto;
		if (first < 0)
			first = t; /* the first expiry sends the first retransmission */
		else if (t - first >= budget)
			return t;
	}
	return t;
}

/*
 * The tcp_retries2 values a connection's time to failure fits: `plain` if
 * the first timeout sent the first retransmission, `probed` if a tail loss
 * probe did (the same setting then ends one expiry sooner: r = 3 at 3.0 s
 * instead of 6.2 s).  0 for none.  One time alone cannot tell the two apart
 * (r = 2 plain ends when r = 3 probed does); the group's times together can.
 */
static void retries2_fits(double ms, int *plain, int *probed)
{
	*plain = *probed = 0;
	for (int r = 1; r <= 15; r++)
		for (int probe = 0; probe < 2; probe++) {
			double at = tf_retries2_abort_ms(r, 200, probe);

			/* The probe's own delay, or an RTO above the minimum, add a little. */
			if (ms >= at - fmax(40, 0.02 * at) && ms <= at * 1.15 + 400)
				*(probe ? probed : plain) = r;
		}
}

/* --- clusters ------------------------------------------------------------------------- */

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double tolerance(double ms)
{
	return fmax(40, 0.02 * ms);
}

size_t tf_cluster(double *v, size_t n, size_t min_count, double *lo, double *hi, double *median)
{
	size_t best = 0, best_i = 0;

	qsort(v, n, sizeof(*v), by_value);
	/* Two pointers: the widest window [i, j) whose spread fits its own tolerance. */
	for (size_t i = 0, j = 0; i < n; i++) {
		if (j < i)
			j = i;
		while (j < n && v[j] - v[i] <= tolerance(v[i]))
			j++;
		if (j - i > best) {
			best = j - i;
			best_i = i;
		}
	}
	if (best < min_count || best == 0)
		return 0;
	*lo = v[best_i];
	*hi = v[best_i + best - 1];
	*median = v[best_i + best / 2];
	return best;
}

/* --- what each fate's timing is, and what it may match ---------------------------------- */

enum kind {
	K_NONE, K_SYN, K_CONNECT, K_DATA, K_KEEPALIVE, K_REQUEST, K_CLOSED, K_ABANDONED, K_IDLE_REUSE, K_IDLE_CLOSE,
	K_UNREAD_PEER_CLOSE, /* data left unread until the peer closed: the peer's timeout */
	K_UNREAD_OWN,        /* data left unread until this side closed: its own timeout */
};

static enum kind kind_of(const struct tf_row *r, double *value)
{
	/* An idle connection the peer closed in order: its idle timer ran from the last data to its FIN. */
	if (tf_diag_idle_close(r->label, r->fin_idle_ms) && !strcmp(r->cause, "peer-close")) {
		*value = r->fin_idle_ms;
		return K_IDLE_CLOSE;
	}
	/*
	 * Closed with data unread: the peer's FIN came that long after its last
	 * data (its timeout), or, without one, this side closed that long after
	 * its application's last read (its own timeout; the data's arrival where
	 * the read is not known).  The reader had stopped before either.
	 */
	if (tf_diag_unread_close(r->label, r->cause, r->rst_reason)) {
		*value = !isnan(r->fin_idle_ms) ? r->fin_idle_ms : !isnan(r->read_idle_ms) ? r->read_idle_ms : r->rx_idle_ms;
		/* Under a second is no timeout: a process that exited, or closed at once. */
		if (!(*value >= TF_DIAG_IDLE_MS))
			return K_NONE;
		return isnan(r->fin_idle_ms) ? K_UNREAD_OWN : K_UNREAD_PEER_CLOSE;
	}
	static const struct {
		const char *label, *cause;
		enum kind kind;
	} kinds[] = {
		{ "syn-timeout", "syn-retries", K_SYN },
		{ "syn-timeout", "abandoned", K_CONNECT },
		{ "retries-exhausted", "data", K_DATA },
		{ "retries-exhausted", "keepalive", K_KEEPALIVE },
		{ "hang-up", "request-unanswered", K_REQUEST },
		{ "hang-up", "closed-unanswered", K_CLOSED },
		{ "hang-up", "peer-abandoned", K_ABANDONED },
		{ "hang-up", "idle-reuse", K_IDLE_REUSE },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(tf_label_name(r->label), kinds[i].label) || strcmp(r->cause, kinds[i].cause))
			continue;
		switch (kinds[i].kind) {
		case K_SYN:
		case K_CONNECT:
		case K_DATA:
		case K_KEEPALIVE:
			*value = r->time_to_fail_ms;
			break;
		case K_REQUEST: /* from our request to the server's close */
			*value = r->tx_idle_ms;
			break;
		default: /* from the last bytes we received to the end */
			*value = r->rx_idle_ms;
			break;
		}
		return isnan(*value) ? K_NONE : kinds[i].kind;
	}
	return K_NONE;
}

/* Servers' and clients' well-known defaults, by value. */
static const char *known_default(double ms)
{
	static const struct {
		double ms;
		const char *what;
	} known[] = {
		{ 5000, "Node.js keepAliveTimeout and Apache KeepAliveTimeout default to 5 s" },
		/* Node.js since 2024 (nodejs/node#54863) lets the socket live 1 s past keepAliveTimeout. */
		{ 6000, "Node.js keepAliveTimeout defaults to 5 s, and recent versions close 1 s after it "
			"(keepAliveTimeoutBuffer)" },
		{ 60000, "nginx proxy_read_timeout and Node.js headersTimeout default to 60 s" },
		{ 75000, "nginx keepalive_timeout defaults to 75 s" },
		{ 120000, "Node.js server.timeout defaulted to 120 s before v13" },
		{ 300000, "Node.js requestTimeout defaults to 300 s" },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (fabs(ms - known[i].ms) <= tolerance(known[i].ms))
			return known[i].what;
	return NULL;
}

struct group {
	char key[320];
	enum kind kind;
	double *values;
	int *syn_retrans;
	size_t *members; /* the rows, in input order (values are sorted by the clustering) */
	size_t n, cap, cap_syn, cap_members;
	int retries2; /* data timeouts: the tcp_retries2 the group voted for, 0 none */
	bool accepted; /* its connections were accepted here */
	/* The settings every connection of the group failed under, when each had them read and all agree. */
	struct tf_row_settings settings;
	bool settings_agree;
};

static bool same_settings(const struct tf_row_settings *a, const struct tf_row_settings *b)
{
	return a->known && b->known && a->syn_retries == b->syn_retries && a->retries2 == b->retries2 &&
	       a->user_timeout_ms == b->user_timeout_ms && a->keepalive_intvl_ms == b->keepalive_intvl_ms &&
	       a->keepalive_probes == b->keepalive_probes && !strcmp(a->socket_options, b->socket_options);
}

#define FROM_SOCKETS "set on the sockets themselves, read at the failure"
#define FROM_NAMESPACE "read from the connections' network namespace at the failure"
#define SYN_ADVICE                                                                                          \
	"nothing answers the SYNs: if the peer is slow rather than gone, raise %s; if it is gone, a lower value " \
	"fails faster"

/* The SYN timeouts that stay at 1 s: none on kernels without the setting. */
static int syn_linear(const struct tf_row_settings *st)
{
	return st->syn_linear_timeouts > 0 ? st->syn_linear_timeouts : 0;
}

static int median_int(int *v, size_t n)
{
	int lo = 0;

	/* Small counts: a counting pass for the middle value. */
	for (int x = 0; x < 64; x++) {
		size_t at_most = 0;

		for (size_t i = 0; i < n; i++)
			at_most += v[i] <= x;
		if (at_most * 2 > n)
			return x;
		lo = x;
	}
	return lo;
}

/* Fills what was found and what it matches; false when nothing known matches (no diagnosis). */
static bool explain(const struct group *g, double m, double lo, double hi, struct tf_diagnosis *d)
{
	const char *dflt = known_default(m);
	double s = m / 1000;

	switch (g->kind) {
	case K_SYN: {
		int seen = median_int(g->syn_retrans, g->n), sent, dflt_sent;

		snprintf(d->finding, sizeof(d->finding), "the kernel gave up %.1f s after the first SYN (%d retransmits seen)",
			 s, seen);
		if (g->settings_agree) {
			const struct tf_row_settings *st = &g->settings;
			int linear = syn_linear(st);
			double at = tf_syn_abort_ms(st->syn_retries, linear, &sent);
			bool own = strstr(st->socket_options, "TCP_SYNCNT");
			char with_linear[160] = "";

			if (linear)
				snprintf(with_linear, sizeof(with_linear),
					 ", with tcp_syn_linear_timeouts = %d (the first %d timeouts stay at 1 s)", linear,
					 linear + 1);
			snprintf(d->match, sizeof(d->match),
				 "%s = %d, %s%s: the kernel gives up %.0f s after the first SYN, after %d retransmits "
				 "(default 6: %.0f s)%s",
				 own ? "TCP_SYNCNT" : "tcp_syn_retries", st->syn_retries, own ? FROM_SOCKETS : FROM_NAMESPACE,
				 with_linear, at / 1000, sent, tf_syn_abort_ms(6, linear, &dflt_sent) / 1000,
				 fabs(m - at) <= fmax(400, 0.05 * at) ? ""
								      : "; the failures came at another time (a clock that ran late?)");
			snprintf(d->advice, sizeof(d->advice), SYN_ADVICE, own ? "the application's TCP_SYNCNT" : "tcp_syn_retries");
			return true;
		}
		/*
		 * By the time alone, without 6.5's linear timeouts or with their
		 * default (they move n >= 3 by 4 s): the smallest n that fits.
		 */
		for (int n = 1; n <= 10; n++)
			for (int linear = 0; linear <= 4; linear += 4) {
				double at = tf_syn_abort_ms(n, linear, &sent);
				bool only_linear = linear && fabs(tf_syn_abort_ms(n, 0, &dflt_sent) - at) > fmax(400, 0.05 * at);

				if (fabs(m - at) > fmax(400, 0.05 * at))
					continue;
				snprintf(d->match, sizeof(d->match),
					 "tcp_syn_retries = %d (or TCP_SYNCNT on the socket)%s: the kernel gives up %.0f s after "
					 "the first SYN, after %d retransmits (default 6: %.0f s); inferred from the time, not "
					 "read from the host",
					 n, only_linear ? ", with tcp_syn_linear_timeouts = 4 (the default since Linux 6.5)" : "",
					 at / 1000, sent, tf_syn_abort_ms(6, linear, &dflt_sent) / 1000);
				snprintf(d->advice, sizeof(d->advice), SYN_ADVICE, "tcp_syn_retries");
				return true;
			}
		return false;
	}
	case K_CONNECT: {
		int seen = median_int(g->syn_retrans, g->n), sent;
		char before[200] = "";

		snprintf(d->finding, sizeof(d->finding),
			 "the application closed its connecting sockets %.1f s after the first SYN (%d retransmits seen), "
			 "unanswered", s, seen);
		if (g->settings_agree) {
			const struct tf_row_settings *st = &g->settings;
			int linear = syn_linear(st);

			snprintf(before, sizeof(before), ", before the kernel's own %.0f s (%s = %d, read at the failure)",
				 tf_syn_abort_ms(st->syn_retries, linear, &sent) / 1000,
				 strstr(st->socket_options, "TCP_SYNCNT") ? "TCP_SYNCNT" : "tcp_syn_retries", st->syn_retries);
		}
		snprintf(d->match, sizeof(d->match), "the application's connect timeout of %.1f s%s", s, before);
		snprintf(d->advice, sizeof(d->advice),
			 "nothing answers the SYNs (the host is down, or a firewall drops them): the application gives up "
			 "first; its connect timeout is what its users wait");
		return true;
	}
	case K_DATA:
		snprintf(d->finding, sizeof(d->finding),
			 "the kernel gave up retransmitting %.1f-%.1f s after the first unanswered segment", lo / 1000,
			 hi / 1000);
		if (g->settings_agree && g->settings.user_timeout_ms > 0) {
			snprintf(d->match, sizeof(d->match),
				 "TCP_USER_TIMEOUT = %.1f s, " FROM_SOCKETS " (it replaces tcp_retries2's budget)",
				 g->settings.user_timeout_ms / 1000);
			snprintf(d->advice, sizeof(d->advice), "the application's own send timeout fired: the peer stopped "
							       "acknowledging for that long");
			return true;
		}
		if (g->settings_agree) {
			int r = g->settings.retries2;

			snprintf(d->match, sizeof(d->match),
				 "tcp_retries2 = %d, %s: its budget is %.1f s from the first retransmission, %.1f s or %.1f s "
				 "after the first transmission (default 15: about 15 min)%s",
				 r, FROM_NAMESPACE, tf_retries2_budget_ms(r) / 1000,
				 tf_retries2_abort_ms(r, 200, true) / 1000, tf_retries2_abort_ms(r, 200, false) / 1000,
				 g->retries2 == r ? "" : "; the failures' times fit it poorly (a slower RTO?)");
			snprintf(d->advice, sizeof(d->advice),
				 "the peer stopped acknowledging (gone, or a black hole on the path): a lower "
				 "tcp_retries2 or TCP_USER_TIMEOUT fails sooner");
			return true;
		}
		if (g->retries2) {
			snprintf(d->match, sizeof(d->match),
				 "tcp_retries2 = %d: its budget is %.1f s from the first retransmission (a tail loss probe "
				 "or the first timeout), %.1f s or %.1f s after the first transmission (default 15: about "
				 "15 min); inferred from the time, not read from the host",
				 g->retries2, tf_retries2_budget_ms(g->retries2) / 1000,
				 tf_retries2_abort_ms(g->retries2, 200, true) / 1000,
				 tf_retries2_abort_ms(g->retries2, 200, false) / 1000);
			snprintf(d->advice, sizeof(d->advice),
				 "the peer stopped acknowledging (gone, or a black hole on the path): a lower "
				 "tcp_retries2 or TCP_USER_TIMEOUT fails sooner");
			return true;
		}
		/* No budget ends there: a timer of the application's own. */
		snprintf(d->match, sizeof(d->match),
			 "TCP_USER_TIMEOUT = %.1f s on the socket (no tcp_retries2 budget ends there); inferred", s);
		snprintf(d->advice, sizeof(d->advice), "the application's own send timeout fired: the peer stopped "
						       "acknowledging for that long");
		return true;
	case K_KEEPALIVE:
		snprintf(d->finding, sizeof(d->finding),
			 "idle connections died %.1f s after their first unanswered keepalive probe", s);
		/* Both are whole seconds; the timer's slack adds a few tens of milliseconds. */
		if (g->settings_agree) {
			const struct tf_row_settings *st = &g->settings;
			double budget = st->keepalive_intvl_ms * st->keepalive_probes;
			bool own = strstr(st->socket_options, "TCP_KEEPINTVL") || strstr(st->socket_options, "TCP_KEEPCNT");
			bool own_idle = strstr(st->socket_options, "TCP_KEEPIDLE");

			/* The first probe goes out after keepalive_time without data: the whole silence a death takes. */
			snprintf(d->match, sizeof(d->match),
				 "%s %.0f s x %s %d = %.0f s, %s (defaults 75 s x 9), after %s %.0f s idle: %.0f s from the "
				 "last data to the end%s",
				 own ? "TCP_KEEPINTVL" : "tcp_keepalive_intvl", st->keepalive_intvl_ms / 1000,
				 own ? "TCP_KEEPCNT" : "tcp_keepalive_probes", st->keepalive_probes, budget / 1000,
				 own ? FROM_SOCKETS : FROM_NAMESPACE, own_idle ? "TCP_KEEPIDLE" : "tcp_keepalive_time",
				 st->keepalive_time_ms / 1000, (st->keepalive_time_ms + budget) / 1000,
				 fabs(m - budget) <= fmax(100, 0.03 * m) ? "" : "; the failures came at another time");
			snprintf(d->advice, sizeof(d->advice),
				 "the peer or a middlebox dropped idle connections: keepalives shorter than the middlebox's "
				 "idle timeout keep them, or the application can reconnect");
			return true;
		}
		if (fabs(m - 1000 * round(s)) > fmax(100, 0.03 * m))
			return false;
		if (round(s) == 675)
			snprintf(d->match, sizeof(d->match),
				 "the kernel's defaults: tcp_keepalive_intvl 75 s x tcp_keepalive_probes 9 = 675 s");
		else
			snprintf(d->match, sizeof(d->match),
				 "tcp_keepalive_intvl x tcp_keepalive_probes (or TCP_KEEPINTVL x TCP_KEEPCNT on the socket) "
				 "= %.0f s; defaults 75 s x 9; inferred",
				 round(s));
		snprintf(d->advice, sizeof(d->advice),
			 "the peer or a middlebox dropped idle connections: keepalives shorter than the middlebox's "
			 "idle timeout keep them, or the application can reconnect");
		return true;
	case K_REQUEST:
	case K_CLOSED:
	case K_ABANDONED:
		/* Many connections ending at one delay after the request: a timer, whatever its value. */
		snprintf(d->finding, sizeof(d->finding),
			 g->kind == K_REQUEST ? "the server closed %.1f s after the request, without answering"
			 : g->kind == K_CLOSED ? "this server closed %.1f s after the request, without answering"
					       : "clients gave up %.1f s after their request, unanswered",
			 s);
		snprintf(d->match, sizeof(d->match), "%s request timeout of %.1f s%s%s",
			 g->kind == K_ABANDONED ? "the clients'" : "the server's", s, dflt ? " (" : "", dflt ? dflt : "");
		if (dflt)
			strncat(d->match, ")", sizeof(d->match) - strlen(d->match) - 1);
		snprintf(d->advice, sizeof(d->advice), "%s",
			 g->kind == K_ABANDONED
				 ? "the server is slower than its clients wait: answer sooner, or raise the clients' timeout"
				 : "requests take longer than the server waits: answer sooner, or raise that timeout");
		return true;
	case K_IDLE_CLOSE: {
		bool server_closed = !g->accepted; /* the peer closed: our server going out, our clients coming in */

		snprintf(d->finding, sizeof(d->finding), "%s closed connections after %.1f s idle",
			 server_closed ? "the server" : "the clients", s);
		dflt = server_closed ? dflt : NULL; /* the defaults known are servers' */
		snprintf(d->match, sizeof(d->match), "the %s idle %s timeout of %.1f s%s%s%s",
			 server_closed ? "server's" : "clients'", server_closed ? "keep-alive" : "connection", s,
			 dflt ? " (" : "", dflt ? dflt : "", dflt ? ")" : "");
		snprintf(d->advice, sizeof(d->advice), "%s",
			 server_closed ? "clients that reuse connections must drop them sooner than this, or a request "
					 "sent as the server closes meets the keep-alive race (hang-up / idle-reuse)"
				       : "the clients close idle connections before the server does: no keep-alive race from "
					 "this side; connections are reopened after that long idle");
		return true;
	}
	case K_UNREAD_PEER_CLOSE: {
		const char *peer = g->accepted ? "the clients" : "the server";

		snprintf(d->finding, sizeof(d->finding),
			 "%s closed connections %.1f s after their last data, which this side had left unread, and the "
			 "close with it unread reset them", peer, s);
		snprintf(d->match, sizeof(d->match), "%s idle timeout of %.1f s%s%s%s, met by %s never read",
			 g->accepted ? "the clients'" : "the server's", s, dflt ? " (" : "", dflt ? dflt : "",
			 dflt ? ")" : "", g->accepted ? "requests the server" : "responses the client");
		snprintf(d->advice, sizeof(d->advice),
			 "the application stopped reading (Node.js: a response whose body is never consumed, or a paused "
			 "stream; the stalled warning shows it live): read or discard every body (res.resume()) so the "
			 "connection is reused instead of timed out");
		return true;
	}
	case K_UNREAD_OWN:
		snprintf(d->finding, sizeof(d->finding),
			 "this side closed connections %.1f s after their last data came, with it unread", s);
		snprintf(d->match, sizeof(d->match), "the %s own request timeout of %.1f s, fired on %s it had received but not read",
			 g->accepted ? "server's" : "client's", s, g->accepted ? "a request" : "a response");
		snprintf(d->advice, sizeof(d->advice),
			 "the answer came in time and waited unread: the reader had stopped (Node.js: a response whose "
			 "body is never consumed, a paused stream, a blocked event loop; the stalled warning shows it "
			 "live); read it, or find what blocks the reader");
		return true;
	case K_IDLE_REUSE:
		snprintf(d->finding, sizeof(d->finding),
			 "clients reused connections after %.1f-%.1f s idle and found them closed by the server", lo / 1000,
			 hi / 1000);
		snprintf(d->match, sizeof(d->match),
			 "the server's keep-alive timeout is shorter than %.1f s, the clients' idle timeout longer%s%s%s",
			 lo / 1000, dflt ? " (" : "", dflt ? dflt : "", dflt ? ")" : "");
		snprintf(d->advice, sizeof(d->advice),
			 "make the clients' idle timeout shorter than the server's keep-alive timeout, or the server's longer");
		return true;
	default:
		return false;
	}
}

/* The connections whose time fits tcp_retries2 = r, with or without a tail loss probe, and their range. */
static size_t fits_retries2(const struct group *g, int r, double *lo, double *hi, double *median)
{
	size_t count = 0;
	int plain, probed;

	*lo = INFINITY;
	*hi = -INFINITY;
	for (size_t i = 0; r && i < g->n; i++) {
		retries2_fits(g->values[i], &plain, &probed);
		if (plain == r || probed == r) {
			count++;
			*lo = fmin(*lo, g->values[i]);
			*hi = fmax(*hi, g->values[i]);
		}
	}
	*median = (*lo + *hi) / 2;
	return count;
}

/*
 * Data timeouts: the tcp_retries2 read at the failures, or else the one most
 * connections fit (each on its own, see retries2_fits), with the range of
 * their times; else a cluster of the raw times (an application's
 * TCP_USER_TIMEOUT, or a read setting the times do not fit).  Returns the count.
 */
static size_t vote_retries2(struct group *g, double *lo, double *hi, double *median)
{
	unsigned int weight[16] = { 0 };
	size_t count;
	int plain, probed, best = 0;

	if (g->settings_agree && g->settings.user_timeout_ms > 0)
		return tf_cluster(g->values, g->n, TF_DIAG_MIN_CLUSTER, lo, hi, median);
	if (g->settings_agree) {
		count = fits_retries2(g, g->settings.retries2, lo, hi, median);
		if (count >= TF_DIAG_MIN_CLUSTER) {
			g->retries2 = g->settings.retries2;
			return count;
		}
		return tf_cluster(g->values, g->n, TF_DIAG_MIN_CLUSTER, lo, hi, median);
	}
	/* Without a probe is the likelier reading of one time: it weighs twice. */
	for (size_t i = 0; i < g->n; i++) {
		retries2_fits(g->values[i], &plain, &probed);
		weight[plain] += 2;
		weight[probed] += 1;
	}
	for (int r = 1; r <= 15; r++)
		if (weight[r] > weight[best] || (!best && weight[r]))
			best = r;
	count = fits_retries2(g, best, lo, hi, median);
	if (count >= TF_DIAG_MIN_CLUSTER) {
		g->retries2 = best;
		return count;
	}
	/* No budget most agree on: a cluster elsewhere is an application's TCP_USER_TIMEOUT. */
	count = tf_cluster(g->values, g->n, TF_DIAG_MIN_CLUSTER, lo, hi, median);
	retries2_fits(*median, &plain, &probed);
	return plain || probed ? 0 : count;
}

/*
 * A group is one fate at one endpoint from one program, and from one service
 * when the rows name it (a container, pod or unit): two services' timeouts
 * are two diagnoses even when they call the same endpoint.
 */
static void describe_group(const struct tf_row *r, enum kind kind, char *buf, size_t len)
{
	const struct tf_identity_names names = {
		.container_id = r->container_id, .runtime = r->runtime, .container_name = r->container_name,
		.pod_uid = r->pod_uid, .pod_name = r->pod_name, .pod_namespace = r->pod_namespace, .unit = r->unit,
	};
	char what[64], service[160] = "";

	snprintf(what, sizeof(what), "%s / %s%s", tf_label_name(r->label), r->cause,
		 kind == K_UNREAD_PEER_CLOSE ? ", data unread when the peer closed"
		 : kind == K_UNREAD_OWN	     ? ", closed with data unread"
					     : "");
	if (r->container_id[0] || r->pod_uid[0] || r->unit[0])
		tf_identity_service(&names, service, sizeof(service));
	if (!strcmp(r->direction, "in"))
		snprintf(buf, len, "%s on %s:%d (%s)%s%s%s", what, r->saddr, r->sport, r->comm[0] ? r->comm : "?",
			 service[0] ? " [" : "", service, service[0] ? "]" : "");
	else
		snprintf(buf, len, "%s to %s:%d from %s%s%s%s", what, r->daddr, r->dport, r->comm[0] ? r->comm : "?",
			 service[0] ? " [" : "", service, service[0] ? "]" : "");
}

/* The cluster's earliest ends (the same ones whatever order the rows came in). */
static void pick_examples(const struct tf_row *rows, const struct group *g, double lo, double hi,
			  struct tf_diagnosis *d)
{
	d->n_examples = 0;
	for (size_t k = 0; k < g->n; k++) {
		const struct tf_row *r = &rows[g->members[k]];
		struct tf_diag_example *e;
		double value;
		size_t at;

		if (kind_of(r, &value) != g->kind || value < lo || value > hi)
			continue;
		/* Insertion into the few kept, earliest first. */
		for (at = d->n_examples; at > 0 && d->examples[at - 1].ts_end > r->ts_end; at--)
			if (at < TF_DIAG_EXAMPLES)
				d->examples[at] = d->examples[at - 1];
		if (at >= TF_DIAG_EXAMPLES)
			continue;
		if (d->n_examples < TF_DIAG_EXAMPLES)
			d->n_examples++;
		e = &d->examples[at];
		e->ts_end = r->ts_end;
		e->value_ms = value;
		e->pid = r->pid;
		e->sport = r->sport;
		e->dport = r->dport;
		snprintf(e->saddr, sizeof(e->saddr), "%s", r->saddr);
		snprintf(e->daddr, sizeof(e->daddr), "%s", r->daddr);
	}
}

static int by_count(const void *a, const void *b)
{
	const struct tf_diagnosis *x = a, *y = b;

	return x->count < y->count ? 1 : x->count > y->count ? -1 : strcmp(x->group, y->group);
}

size_t tf_diagnose(const struct tf_row *rows, size_t n, struct tf_diagnosis *out, size_t max)
{
	struct group *groups = NULL;
	size_t n_groups = 0, cap_groups = 0, written = 0;

	for (size_t i = 0; i < n; i++) {
		double value;
		enum kind kind = kind_of(&rows[i], &value);
		char key[320];
		struct group *g = NULL;

		if (kind == K_NONE)
			continue;
		describe_group(&rows[i], kind, key, sizeof(key));
		for (size_t k = 0; k < n_groups && !g; k++)
			if (!strcmp(groups[k].key, key))
				g = &groups[k];
		if (!g) {
			if (TF_GROW(groups, cap_groups, n_groups + 1, 16))
				break;
			g = &groups[n_groups++];
			memset(g, 0, sizeof(*g));
			snprintf(g->key, sizeof(g->key), "%s", key);
			g->kind = kind;
			g->accepted = !strcmp(rows[i].direction, "in");
			g->settings = rows[i].settings;
			g->settings_agree = rows[i].settings.known;
		}
		g->settings_agree = g->settings_agree && same_settings(&g->settings, &rows[i].settings);
		if (TF_GROW(g->values, g->cap, g->n + 1, 64) || TF_GROW(g->syn_retrans, g->cap_syn, g->n + 1, 64) ||
		    TF_GROW(g->members, g->cap_members, g->n + 1, 64))
			continue;
		g->syn_retrans[g->n] = (int)rows[i].syn_retrans;
		g->members[g->n] = i;
		g->values[g->n++] = value;
	}
	for (size_t k = 0; k < n_groups; k++) {
		struct group *g = &groups[k];
		struct tf_diagnosis d = { 0 };
		double lo, hi, m;
		size_t c;

		if (g->kind == K_DATA)
			c = vote_retries2(g, &lo, &hi, &m);
		else
			c = tf_cluster(g->values, g->n, TF_DIAG_MIN_CLUSTER, &lo, &hi, &m);

		/* Never from a few, and only when most of the group agrees. */
		if (!c || c * 2 < g->n || written == max || !explain(g, m, lo, hi, &d))
			continue;
		snprintf(d.group, sizeof(d.group), "%s", g->key);
		d.count = c;
		d.total = g->n;
		d.median_ms = m;
		d.lo_ms = lo;
		d.hi_ms = hi;
		d.confidence = c >= 5 && c * 5 >= g->n * 4 ? "high" : "medium";
		pick_examples(rows, g, lo, hi, &d);
		out[written++] = d;
	}
	for (size_t k = 0; k < n_groups; k++) {
		free(groups[k].values);
		free(groups[k].syn_retrans);
		free(groups[k].members);
	}
	free(groups);
	qsort(out, written, sizeof(*out), by_count);
	return written;
}
