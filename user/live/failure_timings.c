// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/grow.h"
#include "live/failure_timings.h"
#include "report/report.h"

/*
 * The ends whose timings name a timeout: these failures, ok idle closes
 * (keep-alive timeouts), and resets of data left unread (a reader that stopped).
 */
static bool timed_fate(const struct tf_conn_view *v)
{
	int label = v->verdict.label;

	return label == TF_LABEL_SYN_TIMEOUT || label == TF_LABEL_RETRIES_EXHAUSTED || label == TF_LABEL_HANG_UP ||
	       tf_diag_idle_close(label, v->fin_idle_ms) || tf_diag_unread_close(label, v->verdict.cause, v->rst_reason);
}

/* What a diagnosis reads of a connection, as a report row. */
static void row_from_view(const struct tf_conn_view *v, struct tf_row *row)
{
	const struct tf_record *r = v->rec;

	memset(row, 0, sizeof(*row));
	row->label = v->verdict.label;
	row->ts_end = (double)v->end_wall_ns / 1e9;
	row->pid = r->pid;
	snprintf(row->cause, sizeof(row->cause), "%s", v->verdict.cause ? v->verdict.cause : "");
	snprintf(row->direction, sizeof(row->direction), "%s", v->direction ? v->direction : "");
	snprintf(row->rst_reason, sizeof(row->rst_reason), "%s", v->rst_reason ? v->rst_reason : "");
	snprintf(row->comm, sizeof(row->comm), "%.*s", (int)sizeof(r->comm), r->comm);
	memcpy(row->saddr, v->saddr, v->saddr_len + 1);
	memcpy(row->daddr, v->daddr, v->daddr_len + 1);
	row->sport = r->sport;
	row->dport = r->dport;
	row->family = v->family;
	row->duration_ms = v->duration_ms;
	row->connect_ms = v->connect_ms;
	row->time_to_fail_ms = v->time_to_fail_ms;
	row->rx_idle_ms = v->rx_idle_ms;
	row->read_idle_ms = v->read_idle_ms;
	row->fin_idle_ms = v->fin_idle_ms;
	row->tx_idle_ms = v->tx_idle_ms;
	row->syn_retrans = r->syn_retrans;
	if (v->cgroup) { /* the service, for the grouping: as a report reads it from the JSON line */
		const struct tf_identity *id = &v->cgroup->ident;

		snprintf(row->container_id, sizeof(row->container_id), "%s", id->container_id);
		snprintf(row->runtime, sizeof(row->runtime), "%s", id->runtime ? id->runtime : "");
		snprintf(row->pod_uid, sizeof(row->pod_uid), "%s", id->pod_uid);
		snprintf(row->unit, sizeof(row->unit), "%.*s", (int)sizeof(row->unit) - 1, id->unit); /* as a report copies it */
		snprintf(row->cgroup, sizeof(row->cgroup), "%s", v->cgroup->path);
		snprintf(row->container_name, sizeof(row->container_name), "%s", id->container_name);
		snprintf(row->pod_name, sizeof(row->pod_name), "%s", id->pod_name);
		snprintf(row->pod_namespace, sizeof(row->pod_namespace), "%s", id->pod_namespace);
	}
	if (v->settings) {
		row->settings.known = true;
		row->settings.syn_retries = r->syn_retries_max;
		row->settings.syn_linear_timeouts =
			r->syn_linear_timeouts == TF_SETTING_ABSENT ? -1 : r->syn_linear_timeouts;
		row->settings.retries2 = r->retries2;
		row->settings.user_timeout_ms = r->user_timeout_ms;
		row->settings.keepalive_time_ms = r->keepalive_time_ms;
		row->settings.keepalive_intvl_ms = r->keepalive_intvl_ms;
		row->settings.keepalive_probes = r->keepalive_probes_max;
		snprintf(row->settings.socket_options, sizeof(row->settings.socket_options), "%s", v->socket_options);
	}
}

void tf_failure_timings_add(struct tf_failure_timings *f, const struct tf_conn_view *v)
{
	if (!timed_fate(v))
		return;
	if (f->n < TF_FAILURE_TIMINGS_KEPT && !TF_GROW(f->rows, f->cap, f->n + 1, 64)) {
		row_from_view(v, &f->rows[f->n++]);
		return;
	}
	if (f->n < TF_FAILURE_TIMINGS_KEPT)
		return; /* no memory: the diagnoses read what was kept */
	row_from_view(v, &f->rows[f->next]);
	f->next = (f->next + 1) % TF_FAILURE_TIMINGS_KEPT;
}

size_t tf_failure_timings_diagnose(const struct tf_failure_timings *f, struct tf_diagnosis *out, size_t max)
{
	return f->n ? tf_diagnose(f->rows, f->n, out, max) : 0;
}

void tf_failure_timings_free(struct tf_failure_timings *f)
{
	free(f->rows);
	memset(f, 0, sizeof(*f));
}
