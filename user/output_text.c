// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <string.h>
#include <time.h>
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

void tf_text_connection(FILE *out, const struct tf_conn_view *v)
{
	const struct tf_record *r = v->rec;
	char local[ENDPOINT_LEN], remote[ENDPOINT_LEN], when[16], dur[16], pid[12], comm[16];
	time_t secs = (time_t)(v->end_wall_ns / 1000000000);
	struct tm tm;

	if (localtime_r(&secs, &tm))
		snprintf(when, sizeof(when), "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
			 (int)(v->end_wall_ns / 1000000 % 1000));
	else
		strcpy(when, "?");
	endpoint(local, v->family, v->saddr, r->sport);
	endpoint(remote, v->family, v->daddr, r->dport);
	if (isnan(v->duration_ms))
		strcpy(dur, "?");
	else
		snprintf(dur, sizeof(dur), "%.1f", v->duration_ms);
	if (r->pid)
		snprintf(pid, sizeof(pid), "%u", r->pid);
	else
		strcpy(pid, "-");
	/* A process can name itself anything: keep the line one line. */
	for (size_t i = 0; i < sizeof(comm); i++) {
		unsigned char c = i < sizeof(r->comm) ? (unsigned char)r->comm[i] : 0;

		comm[i] = c && (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	comm[sizeof(comm) - 1] = 0;

	fprintf(out, "%-12s %-7s %-15s %-3s %-21s %-21s %-17s %-18s %-12s %9s ", when, pid,
		comm[0] ? comm : "-", v->direction ? v->direction : "?", local, remote,
		tf_label_name(v->verdict.label), v->verdict.cause,
		v->errno_name ? v->errno_name : "-", dur);
	details(out, v);
	fputc('\n', out);
}
