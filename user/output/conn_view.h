/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * What every output shows about an ended connection, derived once from the
 * record: the verdict, printable addresses and the timings in milliseconds.
 */
#ifndef TF_CONN_VIEW_H
#define TF_CONN_VIEW_H

#include <arpa/inet.h>
#include <stdint.h>
#include "classify.h"
#include "identity/cgroups.h"

struct tf_conn_view {
	const struct tf_record *rec;
	struct tf_verdict verdict;
	char saddr[INET6_ADDRSTRLEN];
	char daddr[INET6_ADDRSTRLEN];
	size_t saddr_len, daddr_len; /* written once, copied as they are */
	int family;            /* 4 or 6 */
	const char *direction; /* "out", "in", or NULL when unknown */
	const char *errno_name;
	const char *rst_reason; /* name of the reason for the RST we sent, if any */
	bool rst_reason_inferred; /* from what the record shows; the kernel gave none (before 6.10) */
	int64_t end_wall_ns;   /* wall-clock time of the end */
	const struct tf_cgroup *cgroup; /* the socket's cgroup, resolved by the caller; NULL unknown */
	/* Milliseconds; NAN when unknown or not applicable. */
	double duration_ms;
	double connect_ms;
	double time_to_fail_ms;
	double rx_idle_ms;
	double read_idle_ms;   /* closed with data unread: from the application's last read to the end */
	double fin_idle_ms;    /* from the last data either way to the peer's FIN: its idle timeout */
	double tx_idle_ms;
	uint32_t retrans;           /* data retransmits (SYNs excluded) */
	uint32_t keepalive_probes;  /* unanswered keepalive probes at the end */
	uint32_t zero_window_probes;
	/* The timer settings in force, read when the connection failed (rec->flags & TF_F_SETTINGS). */
	bool settings;
	char socket_options[64]; /* those the socket set itself, comma-separated; "" none */
};

/* mono_to_wall_ns: add to a CLOCK_MONOTONIC time to get CLOCK_REALTIME. */
void tf_conn_view_init(struct tf_conn_view *v, const struct tf_record *r, int64_t mono_to_wall_ns);
/* The socket options in OWN (enum tf_own_setting), comma-separated: "TCP_SYNCNT,TCP_KEEPCNT"; "" none. */
void tf_socket_options_name(uint8_t own, char *buf, size_t len);
/* inet_ntop for our 16-byte address layout; buf has INET6_ADDRSTRLEN bytes.  Returns its length. */
size_t tf_format_addr(int family, const uint8_t *addr, char *buf);
/* ISO 8601 UTC with milliseconds: "2026-11-22T00:37:59.123Z"; buf >= 32 bytes.  Returns its length. */
size_t tf_format_iso8601(int64_t wall_ns, char *buf, size_t len);
/* Offset between CLOCK_REALTIME and CLOCK_MONOTONIC right now. */
int64_t tf_mono_to_wall_offset(void);

#endif
