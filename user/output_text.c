// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "output.h"

#define ENDPOINT_LEN (INET6_ADDRSTRLEN + 8)

void tf_text_header(FILE *out)
{
	fprintf(out, "%-12s %-7s %-15s %-3s %-21s %-21s %-17s %-18s %-12s %9s  %s\n", "TIME", "PID",
		"COMM", "DIR", "LOCAL", "REMOTE", "LABEL", "CAUSE", "ERRNO", "DUR_MS", "DETAILS");
}

static void endpoint(char *buf, int family, const char *addr, unsigned int port)
{
	snprintf(buf, ENDPOINT_LEN, family == 6 ? "[%s]:%u" : "%s:%u", addr, port);
}

/* Milliseconds with enough digits to matter: 0.031ms, 12.4ms, 3050ms. */
static void print_ms(FILE *out, const char *name, double ms)
{
	fprintf(out, ms < 1 ? " %s=%.3fms" : ms < 100 ? " %s=%.1fms" : " %s=%.0fms", name, ms);
}

/* Appends " name=value" for the numbers that explain this ending; quiet when zero. */
static void details(FILE *out, const struct tf_conn_view *v)
{
	const struct tf_record *r = v->rec;

	if (!isnan(v->connect_ms))
		print_ms(out, "connect", v->connect_ms);
	if (r->syn_retrans)
		fprintf(out, " syn_retrans=%u", r->syn_retrans);
	if (v->retrans)
		fprintf(out, " retrans=%u", v->retrans);
	if (v->keepalive_probes)
		fprintf(out, " keepalive_probes=%u", v->keepalive_probes);
	if (v->zero_window_probes)
		fprintf(out, " zero_window_probes=%u", v->zero_window_probes);
	if (!isnan(v->time_to_fail_ms))
		print_ms(out, "gave_up_after", v->time_to_fail_ms);
	if (v->rst_reason)
		fprintf(out, " rst=%s", v->rst_reason);
	fprintf(out, " rx=%llu tx=%llu", (unsigned long long)r->rx_bytes, (unsigned long long)r->tx_bytes);
	if (r->srtt_us)
		fprintf(out, " srtt=%uus", r->srtt_us);
	if (!isnan(v->rx_idle_ms))
		print_ms(out, "rx_idle", v->rx_idle_ms);
	if (!isnan(v->accept_wait_ms) && v->accept_wait_ms >= 1)
		print_ms(out, "accept_wait", v->accept_wait_ms);
	if (r->flags & TF_F_START_UNKNOWN)
		fputs(" start=unknown", out);
}

/* The columns every line shares: TIME PID COMM DIR LOCAL REMOTE. */
static void line_start(FILE *out, int64_t wall_ns, uint32_t pid, const char *comm_in, int family,
		       const char *saddr, uint16_t sport, const char *daddr, uint16_t dport, uint8_t direction)
{
	char local[ENDPOINT_LEN], remote[ENDPOINT_LEN], when[16], pid_s[12], comm[TF_COMM_LEN];
	time_t secs = (time_t)(wall_ns / 1000000000);
	struct tm tm;

	if (localtime_r(&secs, &tm))
		snprintf(when, sizeof(when), "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(wall_ns / 1000000 % 1000));
	else
		strcpy(when, "?");
	endpoint(local, family, saddr, sport);
	endpoint(remote, family, daddr, dport);
	if (pid)
		snprintf(pid_s, sizeof(pid_s), "%u", pid);
	else
		strcpy(pid_s, "-");
	/* A process can name itself anything: keep the line one line. */
	for (size_t i = 0; i < sizeof(comm); i++) {
		unsigned char c = (unsigned char)comm_in[i];

		comm[i] = c && (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	comm[sizeof(comm) - 1] = 0;
	fprintf(out, "%-12s %-7s %-15s %-3s %-21s %-21s ", when, pid_s, comm[0] ? comm : "-",
		direction == TF_DIR_OUT ? "out" : direction == TF_DIR_IN ? "in" : "?", local, remote);
}

void tf_text_connection(FILE *out, const struct tf_conn_view *v)
{
	const struct tf_record *r = v->rec;
	char dur[16];

	if (isnan(v->duration_ms))
		strcpy(dur, "?");
	else
		snprintf(dur, sizeof(dur), "%.1f", v->duration_ms);
	line_start(out, v->end_wall_ns, r->pid, r->comm, v->family, v->saddr, r->sport, v->daddr, r->dport,
		   r->direction);
	fprintf(out, "%-17s %-18s %-12s %9s ", tf_label_name(v->verdict.label), v->verdict.cause,
		v->errno_name ? v->errno_name : "-", dur);
	details(out, v);
	fputc('\n', out);
}

void tf_text_warning(FILE *out, const struct tf_warning *w, int64_t mono_to_wall_ns)
{
	const struct tf_open_sample *s = w->sample;
	int family = s->family == AF_INET6 ? AF_INET6 : AF_INET;
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN], lasted[16];

	tf_format_addr(family, s->saddr, saddr);
	tf_format_addr(family, s->daddr, daddr);
	snprintf(lasted, sizeof(lasted), "%.1f", (double)(w->at_ns - w->since_ns) / 1e6);
	line_start(out, (int64_t)w->at_ns + mono_to_wall_ns, s->pid, s->comm, family == AF_INET6 ? 6 : 4,
		   saddr, s->sport, daddr, s->dport, s->direction);
	fprintf(out, "%-17s %-18s %-12s %9s ", w->ended ? "warning-end" : "WARNING", tf_warn_kind_name(w->kind),
		"-", lasted);
	if (w->ended)
		fputs(w->closed ? " connection closed" : " condition cleared", out);
	else if (w->kind == TF_WARN_STALLED)
		fprintf(out, " bytes_waiting=%u rcv_wnd=%u", s->unread, s->rcv_wnd);
	else if (w->kind == TF_WARN_CLOSE_WAIT)
		fprintf(out, " bytes_waiting=%u", s->unread);
	else if (w->kind == TF_WARN_RETRANSMITTING)
		fprintf(out, " backoff=%u retransmits=%u unacked=%u", s->backoff, s->rto_retrans, s->unacked);
	else
		fprintf(out, " unsent=%u probes=%u", s->unsent, s->probes);
	fputc('\n', out);
}
