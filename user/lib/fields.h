/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The names of an ended connection's fields, written once: the keys of a
 * JSON line and the columns of a recording (docs/recording.md documents
 * both).  Writers and readers use these macros, never the strings, so a
 * name cannot drift between what is written and what is read back.  They
 * are literals, so the JSON writer still copies each with a constant length.
 */
#ifndef TF_FIELDS_H
#define TF_FIELDS_H

#define TF_KEY_EVENT "event"
#define TF_KEY_TS "ts"                 /* JSON: the end, ISO 8601 */
#define TF_KEY_TS_END "ts_end"         /* recording: the end, Unix seconds */
#define TF_KEY_TS_START "ts_start"     /* recording: the start, Unix seconds; NULL before tcpfate */
#define TF_KEY_HOST "host"
#define TF_KEY_LABEL "label"
#define TF_KEY_CAUSE "cause"
#define TF_KEY_ERRNO "errno"
#define TF_KEY_PID "pid"
#define TF_KEY_COMM "comm"
#define TF_KEY_NETNS "netns"
/* Identity: the socket's cgroup and what its path names (docs/identity in the README). */
#define TF_KEY_CGROUP_ID "cgroup_id"
#define TF_KEY_CGROUP "cgroup"
#define TF_KEY_CONTAINER_ID "container_id"
#define TF_KEY_CONTAINER_RUNTIME "container_runtime"
#define TF_KEY_POD_UID "pod_uid"
#define TF_KEY_POD_QOS "pod_qos"
#define TF_KEY_UNIT "unit"
#define TF_KEY_CONTAINER_NAME "container_name" /* from the runtime's files (identity/runtime_names.h) */
#define TF_KEY_POD_NAME "pod_name"
#define TF_KEY_POD_NAMESPACE "pod_namespace"
#define TF_KEY_FAMILY "family"
#define TF_KEY_DIRECTION "direction"
#define TF_KEY_SADDR "saddr"
#define TF_KEY_SPORT "sport"
#define TF_KEY_DADDR "daddr"
#define TF_KEY_DPORT "dport"
#define TF_KEY_START_KNOWN "start_known"
#define TF_KEY_DURATION_MS "duration_ms"
#define TF_KEY_CONNECT_MS "connect_ms"
#define TF_KEY_ACCEPT_WAIT_MS "accept_wait_ms" /* recording: kept for old files, always NULL */
#define TF_KEY_TIME_TO_FAIL_MS "time_to_fail_ms"
#define TF_KEY_RX_IDLE_MS "rx_idle_ms"
#define TF_KEY_READ_IDLE_MS "read_idle_ms" /* closed with data unread: since the application's last read */
#define TF_KEY_FIN_IDLE_MS "fin_idle_ms"
#define TF_KEY_TX_IDLE_MS "tx_idle_ms"
#define TF_KEY_SYN_RETRANS "syn_retrans"
#define TF_KEY_RETRANS "retrans"
#define TF_KEY_RTO_RETRANS "rto_retrans"
#define TF_KEY_KEEPALIVE_PROBES "keepalive_probes"
#define TF_KEY_ZERO_WINDOW_PROBES "zero_window_probes"
#define TF_KEY_RX_BYTES "rx_bytes"
#define TF_KEY_TX_BYTES "tx_bytes"
#define TF_KEY_RETRANS_BYTES "retrans_bytes"
#define TF_KEY_SRTT_US "srtt_us"
#define TF_KEY_RST_REASON "rst_reason"
#define TF_KEY_RST_REASON_INFERRED "rst_reason_inferred"
#define TF_KEY_LAST_STATE "last_state"
#define TF_KEY_COOKIE "cookie"
#define TF_KEY_CLOSE_SEEN "close_seen"
/*
 * The timer settings in force when a connection failed (schema 3): each the
 * socket's own option where it set one, else its namespace's sysctl.
 */
#define TF_KEY_TCP_SYN_RETRIES "tcp_syn_retries"
#define TF_KEY_TCP_RETRIES2 "tcp_retries2"
#define TF_KEY_TCP_USER_TIMEOUT_MS "tcp_user_timeout_ms"
#define TF_KEY_TCP_KEEPALIVE_TIME_MS "tcp_keepalive_time_ms"
#define TF_KEY_TCP_KEEPALIVE_INTVL_MS "tcp_keepalive_intvl_ms"
#define TF_KEY_TCP_KEEPALIVE_PROBES "tcp_keepalive_probes"
/* Schema 5: kernels since 6.5 only (the key is absent before): the SYN RTOs that stay at 1 s. */
#define TF_KEY_TCP_SYN_LINEAR_TIMEOUTS "tcp_syn_linear_timeouts"
#define TF_KEY_SOCKET_OPTIONS "socket_options" /* which of them the socket set: "TCP_SYNCNT,TCP_KEEPCNT"; "" none */

#endif
