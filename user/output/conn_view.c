// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include "output/conn_view.h"
#include "lib/names.h"

/*
 * Spans are kept to the microsecond, the precision every output writes: the
 * live exit summary then reads the same values a report reads back from the
 * JSON lines or the recording, and rounds them the same way.
 */
static double span_ms(uint64_t from_ns, uint64_t to_ns)
{
	if (!from_ns || !to_ns || to_ns < from_ns)
		return NAN;
	return (double)((to_ns - from_ns + 500) / 1000) / 1e3;
}

size_t tf_format_addr(int family, const uint8_t *addr, char *buf)
{
	/* IPv4 by hand: glibc's inet_ntop goes through sprintf, which shows at 100k lines/s. */
	if (family == AF_INET) {
		char *p = buf;

		for (int i = 0; i < 4; i++) {
			unsigned int b = addr[i];

			if (i)
				*p++ = '.';
			if (b >= 100)
				*p++ = (char)('0' + b / 100);
			if (b >= 10)
				*p++ = (char)('0' + b / 10 % 10);
			*p++ = (char)('0' + b % 10);
		}
		*p = 0;
		return (size_t)(p - buf);
	}
	if (!inet_ntop(family, addr, buf, INET6_ADDRSTRLEN))
		strcpy(buf, "?");
	return strlen(buf);
}

void tf_conn_view_init(struct tf_conn_view *v, const struct tf_record *r, int64_t mono_to_wall_ns)
{
	uint64_t last_data_ns;
	bool probes_gave_up, keepalive, zero_window;

	memset(v, 0, sizeof(*v));
	v->rec = r;
	v->verdict = tf_classify(r);
	v->family = r->family == AF_INET6 ? 6 : 4;
	v->saddr_len = tf_format_addr(r->family == AF_INET6 ? AF_INET6 : AF_INET, r->saddr, v->saddr);
	v->daddr_len = tf_format_addr(r->family == AF_INET6 ? AF_INET6 : AF_INET, r->daddr, v->daddr);
	v->direction = r->direction == TF_DIR_OUT ? "out" : r->direction == TF_DIR_IN ? "in" : NULL;
	v->errno_name = tf_errno_name(v->verdict.err);
	if (r->flags & (TF_F_RST_TX | TF_F_RST_TX_LATE) && (r->flags & TF_F_RST_REASON))
		v->rst_reason = tf_rst_reason_name(r->rst_tx_reason);
	if (!v->rst_reason && (v->rst_reason = tf_inferred_rst_reason(r)))
		v->rst_reason_inferred = true;
	v->end_wall_ns = (int64_t)r->end_ns + mono_to_wall_ns;

	v->duration_ms = (r->flags & TF_F_START_UNKNOWN) ? NAN : span_ms(r->start_ns, r->end_ns);
	v->connect_ms = (r->flags & TF_F_ESTABLISHED) ? span_ms(r->start_ns, r->established_ns) : NAN;
	v->time_to_fail_ms = v->verdict.label != TF_LABEL_OK && v->verdict.label != TF_LABEL_HANG_UP &&
					     v->verdict.label != TF_LABEL_RESET
				     ? span_ms(r->unanswered_ns, r->end_ns)
				     : NAN;
	v->rx_idle_ms = r->rx_bytes ? span_ms(r->last_rx_ns, r->end_ns) : NAN;
	v->read_idle_ms = r->last_read_ns ? span_ms(r->last_read_ns, r->end_ns) : NAN;
	last_data_ns = r->last_rx_ns > r->last_tx_ns ? r->last_rx_ns : r->last_tx_ns;
	v->fin_idle_ms = r->peer_fin_ns && last_data_ns ? span_ms(last_data_ns, r->peer_fin_ns) : NAN;
	v->tx_idle_ms = r->tx_bytes ? span_ms(r->last_tx_ns, r->end_ns) : NAN;
	v->retrans = r->total_retrans > r->syn_retrans ? r->total_retrans - r->syn_retrans : 0;

	/* Only probes that gave up name these causes: the common ends skip the compares. */
	probes_gave_up = v->verdict.label == TF_LABEL_RETRIES_EXHAUSTED && v->verdict.cause;
	keepalive = probes_gave_up && !strcmp(v->verdict.cause, "keepalive");
	zero_window = probes_gave_up && !strcmp(v->verdict.cause, "zero-window");
	v->keepalive_probes = keepalive ? r->probes : 0;
	v->zero_window_probes = zero_window ? r->probes : 0;
	v->settings = r->flags & TF_F_SETTINGS;
	if (v->settings)
		tf_socket_options_name(r->own_settings, v->socket_options, sizeof(v->socket_options));
}

void tf_socket_options_name(uint8_t own, char *buf, size_t len)
{
	static const struct {
		uint8_t bit;
		const char *name;
	} options[] = {
		{ TF_OWN_SYNCNT, "TCP_SYNCNT" },
		{ TF_OWN_KEEPIDLE, "TCP_KEEPIDLE" },
		{ TF_OWN_KEEPINTVL, "TCP_KEEPINTVL" },
		{ TF_OWN_KEEPCNT, "TCP_KEEPCNT" },
	};
	size_t used = 0;

	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (own & options[i].bit && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", options[i].name);
}

size_t tf_format_iso8601(int64_t wall_ns, char *buf, size_t len)
{
	/* The seconds part is worked out once per second: this runs for every record. */
	static time_t cached = -1;
	static char secs_text[32];
	static size_t secs_len;
	time_t secs = (time_t)(wall_ns / 1000000000);
	int ms = (int)(wall_ns / 1000000 % 1000);
	struct tm tm;

	if (len < 32) {
		if (len)
			buf[0] = 0;
		return 0;
	}
	if (secs != cached) {
		cached = secs;
		secs_len = gmtime_r(&secs, &tm) ? strftime(secs_text, sizeof(secs_text), "%Y-%m-%dT%H:%M:%S", &tm) : 0;
	}
	memcpy(buf, secs_text, secs_len);
	buf[secs_len] = '.';
	buf[secs_len + 1] = (char)('0' + ms / 100);
	buf[secs_len + 2] = (char)('0' + ms / 10 % 10);
	buf[secs_len + 3] = (char)('0' + ms % 10);
	buf[secs_len + 4] = 'Z';
	buf[secs_len + 5] = 0;
	return secs_len + 5;
}

int64_t tf_mono_to_wall_offset(void)
{
	struct timespec mono, wall;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	return ((int64_t)wall.tv_sec - mono.tv_sec) * 1000000000 + (wall.tv_nsec - mono.tv_nsec);
}
