// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "metrics/metrics.h"
#include "lib/names.h"

/* Seconds: from loopback handshakes (100 µs) to keepalive timeouts (an hour). */
const double tf_metric_bounds[TF_METRIC_BUCKETS] = {
	0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600,
};

static int top_init(struct tf_top *t, size_t cap)
{
	memset(t, 0, sizeof(*t));
	if (!cap)
		return 0;
	t->keys = calloc(cap, sizeof(*t->keys));
	t->per_label = calloc(cap, sizeof(*t->per_label));
	if (!t->keys || !t->per_label)
		return -1;
	t->cap = cap;
	return 0;
}

static void top_free(struct tf_top *t)
{
	free(t->keys);
	free(t->per_label);
	memset(t, 0, sizeof(*t));
}

/*
 * The first `cap` distinct keys get their own series, for good; later ones
 * count as "other".  Evicting a key would reset its counter, and a port scan
 * must not be able to grow the series count.
 */
static void top_count(struct tf_top *t, const char *key, enum tf_label label)
{
	size_t i;

	if (!t->cap)
		return;
	for (i = 0; i < t->n; i++)
		if (!strcmp(t->keys[i], key))
			break;
	if (i == t->n) {
		if (t->n == t->cap) {
			t->other[label]++;
			return;
		}
		snprintf(t->keys[t->n++], sizeof(t->keys[0]), "%s", key);
	}
	t->per_label[i][label]++;
}

int tf_metrics_init(struct tf_metrics *m, size_t top_n, bool identity, const char *version)
{
	memset(m, 0, sizeof(*m));
	m->version = version;
	if (pthread_mutex_init(&m->lock, NULL))
		return -1;
	if (top_init(&m->remotes, top_n) || top_init(&m->processes, top_n) ||
	    top_init(&m->units, identity ? top_n : 0) || top_init(&m->containers, identity ? top_n : 0)) {
		tf_metrics_free(m);
		return -1;
	}
	return 0;
}

void tf_metrics_free(struct tf_metrics *m)
{
	top_free(&m->remotes);
	top_free(&m->processes);
	top_free(&m->units);
	top_free(&m->containers);
	pthread_mutex_destroy(&m->lock);
}

static void observe_seconds(struct tf_histogram *h, double ms)
{
	double s = ms / 1000;
	int b = 0;

	if (isnan(ms))
		return;
	while (b < TF_METRIC_BUCKETS && s > tf_metric_bounds[b])
		b++;
	if (b < TF_METRIC_BUCKETS)
		h->counts[b]++;
	h->count++;
	h->sum += s;
}

/*
 * An RST's reason counts by name: the kernel's (6.10+), or the one inferred
 * from the record on older kernels, which have no names to number them by.
 * The last slot takes what does not fit (never reached: the names are few).
 */
static void count_rst(struct tf_metrics *m, const char *reason)
{
	size_t i;

	if (!reason)
		reason = "unknown";
	for (i = 0; i < m->n_rst_reasons; i++)
		if (!strcmp(m->rst_sent[i].reason, reason))
			break;
	if (i == m->n_rst_reasons) {
		if (i == TF_METRIC_RST_REASONS)
			reason = "other";
		else
			m->n_rst_reasons++;
		m->rst_sent[i].reason = reason;
	}
	m->rst_sent[i].count++;
}

static void count_closed(struct tf_metrics *m, enum tf_label label, const char *cause, const char *direction)
{
	size_t i;

	for (i = 0; i < m->n_closed; i++) {
		struct tf_closed_series *s = &m->closed[i];

		if (s->label == label && !strcmp(s->cause, cause) && !strcmp(s->direction, direction)) {
			s->value++;
			return;
		}
	}
	if (m->n_closed == TF_METRIC_MAX_SERIES)
		i = TF_METRIC_MAX_SERIES - 1; /* cannot happen with the causes we have; never grow past it */
	else
		m->n_closed++;
	m->closed[i] = (struct tf_closed_series){ label, cause, direction, m->closed[i].value + 1 };
}

void tf_metrics_observe(struct tf_metrics *m, const struct tf_conn_view *v)
{
	const struct tf_record *r = v->rec;
	enum tf_label label = v->verdict.label;
	char remote[INET6_ADDRSTRLEN + 8], comm[TF_COMM_LEN + 1];

	if (r->direction == TF_DIR_OUT)
		snprintf(remote, sizeof(remote), v->family == 6 ? "[%s]:%u" : "%s:%u", v->daddr, r->dport);
	else
		snprintf(remote, sizeof(remote), "%s", v->daddr); /* a client: its port is ephemeral */
	memcpy(comm, r->comm, TF_COMM_LEN);
	comm[TF_COMM_LEN] = 0;

	pthread_mutex_lock(&m->lock);
	count_closed(m, label, v->verdict.cause, v->direction ? v->direction : "unknown");
	observe_seconds(&m->connect[label], v->connect_ms);
	observe_seconds(&m->lifetime[label], v->duration_ms);
	if (label != TF_LABEL_OK)
		observe_seconds(&m->failure[label], v->time_to_fail_ms);
	m->syn_retrans += r->syn_retrans;
	m->retrans += v->retrans;
	m->keepalive_probes += v->keepalive_probes;
	m->zero_window_probes += v->zero_window_probes;
	if (r->flags & (TF_F_RST_TX | TF_F_RST_TX_LATE))
		count_rst(m, v->rst_reason);
	if (r->flags & TF_F_RST_RX)
		m->rst_received++;
	top_count(&m->remotes, remote, label);
	top_count(&m->processes, comm[0] ? comm : "unknown", label);
	/*
	 * Sockets of no unit (a container's, or of unknown cgroup) count as
	 * "none", likewise for containers; a container by its short id, as
	 * `docker ps` shows it.
	 */
	if (m->units.cap) {
		char container[13];

		snprintf(container, sizeof(container), "%.12s",
			 v->cgroup && v->cgroup->ident.container_id[0] ? v->cgroup->ident.container_id : "none");
		top_count(&m->units, v->cgroup && v->cgroup->ident.unit[0] ? v->cgroup->ident.unit : "none", label);
		top_count(&m->containers, container, label);
	}
	pthread_mutex_unlock(&m->lock);
}

void tf_metrics_set_health(struct tf_metrics *m, const struct tf_health *h)
{
	pthread_mutex_lock(&m->lock);
	m->health = *h;
	pthread_mutex_unlock(&m->lock);
}

/* Label values in the exposition format escape backslash, double quote and newline. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void histogram(FILE *f, const char *name, const char *help, const struct tf_histogram *h)
{
	family(f, name, "histogram", help);
	for (int l = 0; l < TF_LABEL_COUNT; l++) {
		uint64_t cumulative = 0;

		if (!h[l].count)
			continue;
		for (int b = 0; b < TF_METRIC_BUCKETS; b++) {
			cumulative += h[l].counts[b];
			fprintf(f, "%s_bucket{label=\"%s\",le=\"%g\"} %llu\n", name, tf_label_name(l),
				tf_metric_bounds[b], (unsigned long long)cumulative);
		}
		fprintf(f, "%s_bucket{label=\"%s\",le=\"+Inf\"} %llu\n", name, tf_label_name(l),
			(unsigned long long)h[l].count);
		fprintf(f, "%s_sum{label=\"%s\"} %.6f\n", name, tf_label_name(l), h[l].sum);
		fprintf(f, "%s_count{label=\"%s\"} %llu\n", name, tf_label_name(l), (unsigned long long)h[l].count);
	}
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v)
{
	family(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, (unsigned long long)v);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
	family(f, name, "gauge", help);
	fprintf(f, "%s %g\n", name, v);
}

static void top_series(FILE *f, const char *name, const char *key_label, const char *help, const struct tf_top *t)
{
	if (!t->cap)
		return;
	family(f, name, "counter", help);
	for (size_t i = 0; i <= t->n; i++) {
		const uint64_t *per = i < t->n ? t->per_label[i] : t->other;

		for (int l = 0; l < TF_LABEL_COUNT; l++) {
			if (!per[l])
				continue;
			fprintf(f, "%s{%s=\"", name, key_label);
			label_value(f, i < t->n ? t->keys[i] : TF_METRIC_OTHER);
			fprintf(f, "\",label=\"%s\"} %llu\n", tf_label_name(l), (unsigned long long)per[l]);
		}
	}
}

static void render(struct tf_metrics *m, FILE *f)
{
	const struct tf_health *h = &m->health;

	family(f, "tcpfate_connections_closed_total", "counter",
	       "TCP connections that ended, by fate (label), its cause, and direction (out: we connected).");
	for (size_t i = 0; i < m->n_closed; i++)
		fprintf(f, "tcpfate_connections_closed_total{label=\"%s\",cause=\"%s\",direction=\"%s\"} %llu\n",
			tf_label_name(m->closed[i].label), m->closed[i].cause, m->closed[i].direction,
			(unsigned long long)m->closed[i].value);
	histogram(f, "tcpfate_connect_duration_seconds", "Time from SYN to ESTABLISHED, by label.", m->connect);
	histogram(f, "tcpfate_connection_lifetime_seconds", "Time from SYN to the end, by label.", m->lifetime);
	histogram(f, "tcpfate_time_to_failure_seconds",
		  "Time from the first unanswered transmission to the abort, by label.", m->failure);
	counter(f, "tcpfate_syn_retransmits_total", "SYN retransmits of ended connections.", m->syn_retrans);
	counter(f, "tcpfate_retransmits_total", "Data retransmits of ended connections.", m->retrans);
	counter(f, "tcpfate_keepalive_probes_total", "Unanswered keepalive probes of connections that timed out.",
		m->keepalive_probes);
	counter(f, "tcpfate_zero_window_probes_total",
		"Unanswered zero-window probes of connections that timed out.", m->zero_window_probes);
	family(f, "tcpfate_resets_sent_total", "counter",
	       "RSTs our connections sent, by reason: the kernel's (6.10+), or inferred from the socket's state before.");
	for (size_t i = 0; i <= TF_METRIC_RST_REASONS && m->rst_sent[i].count; i++)
		fprintf(f, "tcpfate_resets_sent_total{reason=\"%s\"} %llu\n", m->rst_sent[i].reason,
			(unsigned long long)m->rst_sent[i].count);
	counter(f, "tcpfate_resets_received_total", "RSTs that ended our connections.", m->rst_received);
	counter(f, "tcpfate_resets_sent_without_socket_total",
		"RSTs the host sent for segments that matched no connection.", h->kernel[TF_STAT_RST_NO_SOCKET]);
	gauge(f, "tcpfate_connections_tracked", "Connections followed now (at the last scan).", (double)h->tracked_now);
	family(f, "tcpfate_warnings_active", "gauge", "Warning episodes open now, by kind.");
	for (int k = 0; k < TF_WARN_COUNT; k++)
		fprintf(f, "tcpfate_warnings_active{kind=\"%s\"} %llu\n", tf_warn_kind_name(k),
			(unsigned long long)h->warnings_active[k]);
	family(f, "tcpfate_warnings_total", "counter", "Warning episodes reported, by kind.");
	for (int k = 0; k < TF_WARN_COUNT; k++)
		fprintf(f, "tcpfate_warnings_total{kind=\"%s\"} %llu\n", tf_warn_kind_name(k),
			(unsigned long long)h->warnings_total[k]);
	top_series(f, "tcpfate_remote_connections_closed_total", "remote",
		   "Ended connections by remote endpoint (the first N seen, then other) and label.", &m->remotes);
	top_series(f, "tcpfate_process_connections_closed_total", "comm",
		   "Ended connections by owning command (the first N seen, then other) and label.", &m->processes);
	top_series(f, "tcpfate_unit_connections_closed_total", "unit",
		   "Ended connections by the socket's systemd unit (the first N seen, then other) and label.", &m->units);
	top_series(f, "tcpfate_container_connections_closed_total", "container",
		   "Ended connections by the socket's container (short id; the first N seen, then other) and label.",
		   &m->containers);
	counter(f, "tcpfate_events_lost_total", "Connection records lost because the ring buffer was full.",
		h->kernel[TF_STAT_RING_LOST]);
	counter(f, "tcpfate_late_facts_lost_total", "Late facts (RST or errno after close) that could not be merged.",
		h->late_facts_lost);
	counter(f, "tcpfate_connections_untracked_total", "Connections that could not be followed (the kernel table was full: --max-tracked).",
		h->kernel[TF_STAT_UNTRACKED]);
	counter(f, "tcpfate_hook_runs_skipped_total", "Hook runs the kernel skipped (re-entry on one CPU).",
		h->hook_runs_skipped);
	counter(f, "tcpfate_records_dropped_total", "Records the recorder dropped because the disk fell behind.",
		h->records_dropped);
	gauge(f, "tcpfate_ring_buffer_fill_ratio", "How full the fullest ring buffer (one per CPU) was before the last drain (0-1).",
	      h->ring_fill);
	family(f, "tcpfate_build_info", "gauge", "tcpfate's version.");
	fprintf(f, "tcpfate_build_info{version=\"%s\"} 1\n", m->version ? m->version : "unknown");
}

long tf_metrics_render(struct tf_metrics *m, char **out)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);

	if (!f)
		return -1;
	pthread_mutex_lock(&m->lock);
	render(m, f);
	pthread_mutex_unlock(&m->lock);
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return (long)len;
}
