// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The aligned text line: built in a line buffer (no printf on the hot path), written once. */
#include <math.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "output/output.h"
#include "lib/strbuf.h"

/* Column widths: TIME PID COMM DIR LOCAL REMOTE LABEL CAUSE ERRNO DUR_MS. */
enum { W_TIME = 12, W_PID = 7, W_COMM = 15, W_DIR = 3, W_ENDPOINT = 21, W_LABEL = 17, W_CAUSE = 18,
       W_ERRNO = 12, W_DUR = 9 };

/* With --identity, a SERVICE column after COMM. */
enum { W_SERVICE = 32 };

void tf_text_header(FILE *out, bool identity)
{
	fprintf(out, "%-12s %-7s %-15s %s%-3s %-21s %-21s %-17s %-18s %-12s %9s  %s\n", "TIME", "PID", "COMM",
		identity ? "SERVICE                          " : "", "DIR", "LOCAL", "REMOTE", "LABEL", "CAUSE", "ERRNO",
		"DUR_MS", "DETAILS");
}

/*
 * The socket's service, short: "docker:5e0000000000", "pod:4f1d2c3b",
 * "nginx.service", else its cgroup's last component; "-" unknown.  Paths
 * come from outside: no space or control byte reaches the line.
 */
static void column_service(struct strbuf *sb, const struct tf_cgroup *cg)
{
	char who[W_SERVICE];
	const char *last;

	if (!cg)
		snprintf(who, sizeof(who), "-");
	else if (cg->ident.container_id[0])
		snprintf(who, sizeof(who), "%s:%.*s", cg->ident.runtime ? cg->ident.runtime : "container",
			 cg->ident.container_name[0] ? W_SERVICE - 1 : 12,
			 cg->ident.container_name[0] ? cg->ident.container_name : cg->ident.container_id);
	else if (cg->ident.pod_name[0])
		snprintf(who, sizeof(who), "pod:%.*s", W_SERVICE - 5, cg->ident.pod_name);
	else if (cg->ident.pod_uid[0])
		snprintf(who, sizeof(who), "pod:%.8s", cg->ident.pod_uid);
	else if (cg->ident.unit[0])
		snprintf(who, sizeof(who), "%.*s", W_SERVICE - 1, cg->ident.unit);
	else
		snprintf(who, sizeof(who), "%.*s", W_SERVICE - 1,
			 (last = strrchr(cg->path, '/')) && last[1] ? last + 1 : cg->path);
	for (char *c = who; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			*c = '?';
	sb_pad(sb, who, W_SERVICE);
}

/* "HH:MM:SS" of the local time, worked out once per second. */
static const char *clock_of(time_t secs)
{
	static time_t cached = -1;
	static char text[16] = "?";
	struct tm tm;

	if (secs != cached) {
		cached = secs;
		if (localtime_r(&secs, &tm))
			strftime(text, sizeof(text), "%H:%M:%S", &tm);
		else
			strcpy(text, "?");
	}
	return text;
}

static void column_endpoint(struct strbuf *sb, int family, const char *addr, unsigned int port)
{
	size_t start = sb->len;

	if (family == 6)
		sb_char(sb, '[');
	sb_str(sb, addr);
	if (family == 6)
		sb_char(sb, ']');
	sb_char(sb, ':');
	sb_u64(sb, port);
	sb_pad_column(sb, start, W_ENDPOINT);
}

/* Milliseconds with enough digits to matter: 0.031ms, 12.4ms, 3050ms.  Inline: names are literals. */
static inline __attribute__((always_inline)) void detail_ms(struct strbuf *sb, const char *name, double ms)
{
	sb_char(sb, ' ');
	sb_str(sb, name);
	sb_char(sb, '=');
	sb_double(sb, ms, ms < 1 ? 3 : ms < 100 ? 1 : 0);
	sb_str(sb, "ms");
}

static inline __attribute__((always_inline)) void detail_u64(struct strbuf *sb, const char *name, uint64_t v, const char *unit)
{
	sb_char(sb, ' ');
	sb_str(sb, name);
	sb_char(sb, '=');
	sb_u64(sb, v);
	sb_str(sb, unit);
}

/* The numbers that explain this ending; quiet when zero. */
static void details(struct strbuf *sb, const struct tf_conn_view *v)
{
	const struct tf_record *r = v->rec;

	if (!isnan(v->connect_ms))
		detail_ms(sb, "connect", v->connect_ms);
	if (r->syn_retrans)
		detail_u64(sb, "syn_retrans", r->syn_retrans, "");
	if (v->retrans)
		detail_u64(sb, "retrans", v->retrans, "");
	if (v->keepalive_probes)
		detail_u64(sb, "keepalive_probes", v->keepalive_probes, "");
	if (v->zero_window_probes)
		detail_u64(sb, "zero_window_probes", v->zero_window_probes, "");
	if (!isnan(v->time_to_fail_ms))
		detail_ms(sb, "gave_up_after", v->time_to_fail_ms);
	if (v->rst_reason) {
		sb_str(sb, " rst=");
		sb_str(sb, v->rst_reason);
		if (v->rst_reason_inferred)
			sb_str(sb, "(inferred)");
	}
	detail_u64(sb, "rx", r->rx_bytes, "");
	detail_u64(sb, "tx", r->tx_bytes, "");
	if (r->srtt_us)
		detail_u64(sb, "srtt", r->srtt_us, "us");
	if (!isnan(v->rx_idle_ms))
		detail_ms(sb, "rx_idle", v->rx_idle_ms);
	if (r->flags & TF_F_START_UNKNOWN)
		sb_str(sb, " start=unknown");
	if (r->flags & TF_F_RECOVERED)
		sb_str(sb, " close=unseen");
}

/* The columns every line shares: TIME PID COMM DIR LOCAL REMOTE. */
static void line_start(struct strbuf *sb, int64_t wall_ns, uint32_t pid, const char *comm, bool identity,
		       const struct tf_cgroup *cg, int family, const char *saddr, uint16_t sport, const char *daddr,
		       uint16_t dport, uint8_t direction)
{
	char when[16], comm_clean[TF_COMM_LEN];
	int ms = (int)(wall_ns / 1000000 % 1000);

	memcpy(when, clock_of((time_t)(wall_ns / 1000000000)), 9);
	when[8] = '.';
	when[9] = (char)('0' + ms / 100);
	when[10] = (char)('0' + ms / 10 % 10);
	when[11] = (char)('0' + ms % 10);
	when[12] = 0;
	sb_pad(sb, when, W_TIME);
	if (pid) {
		size_t start = sb->len;

		sb_u64(sb, pid);
		sb_pad_column(sb, start, W_PID);
	} else {
		sb_pad(sb, "-", W_PID);
	}
	/* A process can name itself anything: keep the line one line. */
	for (size_t i = 0; i < sizeof(comm_clean); i++) {
		unsigned char c = (unsigned char)comm[i];

		comm_clean[i] = c && (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	comm_clean[sizeof(comm_clean) - 1] = 0;
	sb_pad(sb, comm_clean[0] ? comm_clean : "-", W_COMM);
	if (identity)
		column_service(sb, cg);
	sb_pad(sb, direction == TF_DIR_OUT ? "out" : direction == TF_DIR_IN ? "in" : "?", W_DIR);
	column_endpoint(sb, family, saddr, sport);
	column_endpoint(sb, family, daddr, dport);
}

static void duration_column(struct strbuf *sb, double ms)
{
	size_t start = sb->len;
	struct strbuf num; /* not zeroed: 2 KiB per line otherwise */

	sb_reset(&num);
	if (isnan(ms))
		sb_char(&num, '?');
	else
		sb_double(&num, ms, 1);
	sb_pad_left(sb, start, num.len, W_DUR);
	sb_mem(sb, num.buf, num.len);
	sb_char(sb, ' ');
}

void tf_text_connection(FILE *out, const struct tf_conn_view *v, bool identity)
{
	const struct tf_record *r = v->rec;
	struct strbuf sb;

	sb_reset(&sb);
	line_start(&sb, v->end_wall_ns, r->pid, r->comm, identity, v->cgroup, v->family, v->saddr, r->sport, v->daddr,
		   r->dport, r->direction);
	sb_pad(&sb, tf_label_name(v->verdict.label), W_LABEL);
	sb_pad(&sb, v->verdict.cause, W_CAUSE);
	sb_pad(&sb, v->errno_name ? v->errno_name : "-", W_ERRNO);
	duration_column(&sb, v->duration_ms);
	details(&sb, v);
	sb_char(&sb, '\n');
	sb_flush_to(&sb, out);
}

void tf_text_warning(FILE *out, const struct tf_warning *w, const struct tf_cgroup *cg, bool identity,
		     int64_t mono_to_wall_ns)
{
	const struct tf_open_sample *s = w->sample;
	int family = s->family == AF_INET6 ? AF_INET6 : AF_INET;
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN];
	struct strbuf sb;

	tf_format_addr(family, s->saddr, saddr);
	tf_format_addr(family, s->daddr, daddr);
	sb_reset(&sb);
	line_start(&sb, (int64_t)w->at_ns + mono_to_wall_ns, s->pid, s->comm, identity, cg, family == AF_INET6 ? 6 : 4,
		   saddr, s->sport, daddr, s->dport, s->direction);
	sb_pad(&sb, w->ended ? "warning-end" : "WARNING", W_LABEL);
	sb_pad(&sb, tf_warn_kind_name(w->kind), W_CAUSE);
	sb_pad(&sb, "-", W_ERRNO);
	duration_column(&sb, (double)(w->at_ns - w->since_ns) / 1e6);
	if (w->ended) {
		sb_str(&sb, w->closed ? " connection closed" : " condition cleared");
	} else if (w->kind == TF_WARN_STALLED) {
		detail_u64(&sb, "bytes_waiting", s->unread, "");
		detail_u64(&sb, "rcv_wnd", s->rcv_wnd, "");
	} else if (w->kind == TF_WARN_CLOSE_WAIT) {
		detail_u64(&sb, "bytes_waiting", s->unread, "");
	} else if (w->kind == TF_WARN_RETRANSMITTING) {
		detail_u64(&sb, "backoff", s->backoff, "");
		detail_u64(&sb, "retransmits", s->rto_retrans, "");
		detail_u64(&sb, "unacked", s->unacked, "");
	} else {
		detail_u64(&sb, "unsent", s->unsent, "");
		detail_u64(&sb, "probes", s->probes, "");
	}
	sb_char(&sb, '\n');
	sb_flush_to(&sb, out);
}
