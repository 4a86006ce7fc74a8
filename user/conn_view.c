// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "conn_view.h"
#include "names.h"

static double span_ms(uint64_t from_ns, uint64_t to_ns)
{
	if (!from_ns || !to_ns || to_ns < from_ns)
		return NAN;
	return (double)(to_ns - from_ns) / 1e6;
}

void tf_format_addr(int family, const uint8_t *addr, char *buf)
{
	if (!inet_ntop(family, addr, buf, INET6_ADDRSTRLEN))
		strcpy(buf, "?");
}

void tf_conn_view_init(struct tf_conn_view *v, const struct tf_record *r, int64_t mono_to_wall_ns)
{
	bool keepalive, zero_window;

	memset(v, 0, sizeof(*v));
	v->rec = r;
	v->verdict = tf_classify(r);
	v->family = r->family == AF_INET6 ? 6 : 4;
	tf_format_addr(r->family == AF_INET6 ? AF_INET6 : AF_INET, r->saddr, v->saddr);
	tf_format_addr(r->family == AF_INET6 ? AF_INET6 : AF_INET, r->daddr, v->daddr);
	v->direction = r->direction == TF_DIR_OUT ? "out" : r->direction == TF_DIR_IN ? "in" : NULL;
	v->errno_name = tf_errno_name(v->verdict.err);
	if (r->flags & (TF_F_RST_TX | TF_F_RST_TX_LATE) && (r->flags & TF_F_RST_REASON))
		v->rst_reason = tf_rst_reason_name(r->rst_tx_reason);
	v->end_wall_ns = (int64_t)r->end_ns + mono_to_wall_ns;

	v->duration_ms = (r->flags & TF_F_START_UNKNOWN) ? NAN : span_ms(r->start_ns, r->end_ns);
	v->connect_ms = (r->flags & TF_F_ESTABLISHED) ? span_ms(r->start_ns, r->established_ns) : NAN;
	v->accept_wait_ms = span_ms(r->established_ns, r->accepted_ns);
	v->time_to_fail_ms = v->verdict.label != TF_LABEL_OK && v->verdict.label != TF_LABEL_HANG_UP &&
					     v->verdict.label != TF_LABEL_RESET
				     ? span_ms(r->unanswered_ns, r->end_ns)
				     : NAN;
	v->rx_idle_ms = r->rx_bytes ? span_ms(r->last_rx_ns, r->end_ns) : NAN;
	v->tx_idle_ms = r->tx_bytes ? span_ms(r->last_tx_ns, r->end_ns) : NAN;
	v->retrans = r->total_retrans > r->syn_retrans ? r->total_retrans - r->syn_retrans : 0;

	keepalive = v->verdict.cause && !strcmp(v->verdict.cause, "keepalive");
	zero_window = v->verdict.cause && !strcmp(v->verdict.cause, "zero-window");
	v->keepalive_probes = keepalive ? r->probes : 0;
	v->zero_window_probes = zero_window ? r->probes : 0;
}

void tf_format_iso8601(int64_t wall_ns, char *buf, size_t len)
{
	time_t secs = (time_t)(wall_ns / 1000000000);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03dZ", (int)(wall_ns / 1000000 % 1000));
}

int64_t tf_mono_to_wall_offset(void)
{
	struct timespec mono, wall;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	return ((int64_t)wall.tv_sec - mono.tv_sec) * 1000000000 + (wall.tv_nsec - mono.tv_nsec);
}
