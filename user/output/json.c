// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <sys/socket.h>
#include "lib/fields.h"
#include "lib/json_writer.h"
#include "lib/strbuf.h"
#include "lib/names.h"
#include "output/output.h"

static void ms_or_null(struct json_writer *w, const char *key, double ms)
{
	if (isnan(ms))
		jw_null(w, key);
	else
		jw_fixed(w, key, ms, 3);
}

/* Optional keys are written only when they say something (bytes cost CPU at 100k lines/s). */
static void ms_if_known(struct json_writer *w, const char *key, double ms)
{
	if (!isnan(ms))
		jw_fixed(w, key, ms, 3);
}

static void uint_if_set(struct json_writer *w, const char *key, uint64_t v)
{
	if (v)
		jw_uint(w, key, v);
}

/* The socket's cgroup and what its path names; only what is known. */
static void identity(struct json_writer *w, uint64_t cgroup_id, const struct tf_cgroup *cg)
{
	if (!cgroup_id)
		return;
	jw_uint(w, TF_KEY_CGROUP_ID, cgroup_id);
	if (!cg)
		return;
	jw_string(w, TF_KEY_CGROUP, cg->path);
	if (cg->ident.container_id[0])
		jw_plain(w, TF_KEY_CONTAINER_ID, cg->ident.container_id);
	if (cg->ident.runtime)
		jw_plain(w, TF_KEY_CONTAINER_RUNTIME, cg->ident.runtime);
	if (cg->ident.pod_uid[0])
		jw_plain(w, TF_KEY_POD_UID, cg->ident.pod_uid);
	if (cg->ident.pod_qos)
		jw_plain(w, TF_KEY_POD_QOS, cg->ident.pod_qos);
	if (cg->ident.unit[0])
		jw_string(w, TF_KEY_UNIT, cg->ident.unit);
	if (cg->ident.container_name[0])
		jw_string(w, TF_KEY_CONTAINER_NAME, cg->ident.container_name);
	if (cg->ident.pod_name[0])
		jw_string(w, TF_KEY_POD_NAME, cg->ident.pod_name);
	if (cg->ident.pod_namespace[0])
		jw_string(w, TF_KEY_POD_NAMESPACE, cg->ident.pod_namespace);
}

void tf_json_connection(FILE *out, const struct tf_conn_view *v)
{
	const struct tf_record *r = v->rec;
	struct json_writer w;
	struct strbuf sb;
	char ts[40];
	size_t ts_len = tf_format_iso8601(v->end_wall_ns, ts, sizeof(ts));

	sb_reset(&sb);
	jw_init(&w, &sb);
	jw_object_begin(&w, NULL);
	jw_plain(&w, TF_KEY_EVENT, "close");
	jw_plain_n(&w, TF_KEY_TS, ts, ts_len);
	jw_plain(&w, TF_KEY_LABEL, tf_label_name(v->verdict.label));
	jw_plain(&w, TF_KEY_CAUSE, v->verdict.cause);
	jw_plain(&w, TF_KEY_ERRNO, v->errno_name);
	if (r->pid)
		jw_uint(&w, TF_KEY_PID, r->pid);
	else
		jw_null(&w, TF_KEY_PID);
	jw_string_n(&w, TF_KEY_COMM, r->comm[0] ? r->comm : NULL, sizeof(r->comm));
	jw_uint(&w, TF_KEY_NETNS, r->netns);
	identity(&w, r->cgroup_id, v->cgroup);
	jw_uint(&w, TF_KEY_FAMILY, v->family);
	jw_plain(&w, TF_KEY_DIRECTION, v->direction);
	jw_plain_n(&w, TF_KEY_SADDR, v->saddr, v->saddr_len);
	jw_uint(&w, TF_KEY_SPORT, r->sport);
	jw_plain_n(&w, TF_KEY_DADDR, v->daddr, v->daddr_len);
	jw_uint(&w, TF_KEY_DPORT, r->dport);
	jw_bool(&w, TF_KEY_START_KNOWN, !(r->flags & TF_F_START_UNKNOWN));
	ms_or_null(&w, TF_KEY_DURATION_MS, v->duration_ms);
	ms_or_null(&w, TF_KEY_CONNECT_MS, v->connect_ms);
	jw_uint(&w, TF_KEY_SYN_RETRANS, r->syn_retrans);
	jw_uint(&w, TF_KEY_RETRANS, v->retrans);
	jw_uint(&w, TF_KEY_KEEPALIVE_PROBES, v->keepalive_probes);
	jw_uint(&w, TF_KEY_RX_BYTES, r->rx_bytes);
	jw_uint(&w, TF_KEY_TX_BYTES, r->tx_bytes);
	jw_uint(&w, TF_KEY_SRTT_US, r->srtt_us);
	jw_plain(&w, TF_KEY_LAST_STATE, tf_state_name(r->old_state));
	jw_uint(&w, TF_KEY_COOKIE, r->cookie);
	ms_if_known(&w, TF_KEY_TIME_TO_FAIL_MS, v->time_to_fail_ms);
	ms_if_known(&w, TF_KEY_RX_IDLE_MS, v->rx_idle_ms);
	ms_if_known(&w, TF_KEY_READ_IDLE_MS, v->read_idle_ms);
	ms_if_known(&w, TF_KEY_FIN_IDLE_MS, v->fin_idle_ms);
	ms_if_known(&w, TF_KEY_TX_IDLE_MS, v->tx_idle_ms);
	uint_if_set(&w, TF_KEY_RTO_RETRANS, r->rto_retrans);
	uint_if_set(&w, TF_KEY_ZERO_WINDOW_PROBES, v->zero_window_probes);
	uint_if_set(&w, TF_KEY_RETRANS_BYTES, r->retrans_bytes);
	if (v->rst_reason)
		jw_plain(&w, TF_KEY_RST_REASON, v->rst_reason);
	if (v->rst_reason_inferred)
		jw_bool(&w, TF_KEY_RST_REASON_INFERRED, true);
	if (r->flags & TF_F_RECOVERED)
		jw_bool(&w, TF_KEY_CLOSE_SEEN, false);
	if (v->settings) {
		jw_uint(&w, TF_KEY_TCP_SYN_RETRIES, r->syn_retries_max);
		if (r->syn_linear_timeouts != TF_SETTING_ABSENT)
			jw_uint(&w, TF_KEY_TCP_SYN_LINEAR_TIMEOUTS, r->syn_linear_timeouts);
		jw_uint(&w, TF_KEY_TCP_RETRIES2, r->retries2);
		jw_uint(&w, TF_KEY_TCP_USER_TIMEOUT_MS, r->user_timeout_ms);
		jw_uint(&w, TF_KEY_TCP_KEEPALIVE_TIME_MS, r->keepalive_time_ms);
		jw_uint(&w, TF_KEY_TCP_KEEPALIVE_INTVL_MS, r->keepalive_intvl_ms);
		jw_uint(&w, TF_KEY_TCP_KEEPALIVE_PROBES, r->keepalive_probes_max);
		jw_plain(&w, TF_KEY_SOCKET_OPTIONS, v->socket_options);
	}
	jw_object_end(&w);
	sb_char(&sb, '\n');
	sb_flush_to(&sb, out);
}

void tf_json_warning(FILE *out, const struct tf_warning *w, const struct tf_cgroup *cg, int64_t mono_to_wall_ns)
{
	const struct tf_open_sample *s = w->sample;
	int family = s->family == AF_INET6 ? AF_INET6 : AF_INET;
	char saddr[INET6_ADDRSTRLEN], daddr[INET6_ADDRSTRLEN], ts[40];
	struct json_writer jw;
	struct strbuf sb;

	tf_format_addr(family, s->saddr, saddr);
	tf_format_addr(family, s->daddr, daddr);
	tf_format_iso8601((int64_t)w->at_ns + mono_to_wall_ns, ts, sizeof(ts));
	sb_reset(&sb);
	jw_init(&jw, &sb);
	jw_object_begin(&jw, NULL);
	jw_plain(&jw, "event", w->ended ? "warning-end" : "warning");
	jw_plain(&jw, "kind", tf_warn_kind_name(w->kind));
	jw_plain(&jw, "ts", ts);
	if (s->pid)
		jw_uint(&jw, "pid", s->pid);
	else
		jw_null(&jw, "pid");
	jw_string_n(&jw, "comm", s->comm[0] ? s->comm : NULL, sizeof(s->comm));
	jw_uint(&jw, "netns", s->netns);
	identity(&jw, s->cgroup_id, cg);
	jw_uint(&jw, "family", family == AF_INET6 ? 6 : 4);
	jw_plain(&jw, "direction", s->direction == TF_DIR_OUT ? "out" : s->direction == TF_DIR_IN ? "in" : NULL);
	jw_plain(&jw, "saddr", saddr);
	jw_uint(&jw, "sport", s->sport);
	jw_plain(&jw, "daddr", daddr);
	jw_uint(&jw, "dport", s->dport);
	jw_fixed(&jw, w->ended ? "lasted_ms" : "for_ms", (double)(w->at_ns - w->since_ns) / 1e6, 1);
	if (w->ended)
		jw_bool(&jw, "closed", w->closed);
	jw_plain(&jw, "state", tf_state_name(s->state));
	jw_uint(&jw, "bytes_waiting", s->unread);
	jw_uint(&jw, "rcv_wnd", s->rcv_wnd);
	jw_uint(&jw, "snd_wnd", s->snd_wnd);
	jw_uint(&jw, "unsent", s->unsent);
	jw_uint(&jw, "unacked", s->unacked);
	jw_uint(&jw, "retransmits", s->rto_retrans);
	jw_uint(&jw, "backoff", s->backoff);
	jw_uint(&jw, "probes", s->probes);
	jw_uint(&jw, "cookie", s->cookie);
	jw_object_end(&jw);
	sb_char(&sb, '\n');
	sb_flush_to(&sb, out);
}
