// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/clock.h"
#include "output/conn_view.h"
#include "live/filter.h"
#include "kernel/features.h"
#include "kernel/loader.h"
#include "metrics/metrics.h"
#include "metrics/http.h"
#include "lib/log.h"
#include "live/loss_notice.h"
#include "lib/names.h"
#include "output/output.h"
#include "output/sink.h"
#include "live/owner_search.h"
#include "identity/cgroups.h"
#include "live/pending.h"
#include "kernel/privileges.h"
#include "record/recorder.h"
#include "live/summary.h"
#include "live/failure_timings.h"
#include "lib/json_writer.h"
#include "lib/strbuf.h"
#include "report/diagnose_output.h"
#include "live/monitor.h"

#define SCAN_CPU_SHARE_INVERSE 50 /* scans may use 1/50 of a core */

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;
struct monitor;
static void reopen_files(struct monitor *m);

static void on_hup_signal(int sig)
{
	(void)sig;
	reopen_requested = 1;
}

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct monitor {
	const struct tf_options *opts;
	struct tf_pending pending;
	struct tf_summary summary;
	int64_t mono_to_wall_ns;
	struct tf_warnings watch;
	struct tf_open_sample *samples;
	size_t samples_cap;
	uint64_t last_scan_ms;
	uint64_t scan_every_ms;     /* --scan-interval, stretched when scans get long */
	struct tf_owner_search owners; /* when to walk open files for missing owners */
	struct tf_bpf *bpf;         /* the kernel side, once started */
	struct tf_metrics *metrics; /* NULL unless --metrics */
	struct tf_recorder *recorder; /* NULL unless --record */
	double ring_fill;           /* before the last drain */
	struct tf_loss_notice loss;     /* a full table or ring, said while it happens */
	uint64_t last_loss_check_ms;
	struct tf_output_sink out;
	struct tf_cgroups cgroups;  /* sockets' cgroups, resolved to paths and identities */
	struct tf_failure_timings failures; /* the shown failures' timings, for the exit diagnoses */
};

/* A connection's story is complete: classify, count, and print if wanted. */
static void report(const struct tf_record *rec, void *ctx)
{
	struct monitor *m = ctx;
	struct tf_conn_view v;
	bool shown;

	tf_conn_view_init(&v, rec, m->mono_to_wall_ns);
	v.cgroup = tf_cgroups_find(&m->cgroups, rec->cgroup_id);
	shown = tf_filter_match(&m->opts->filter, &v);
	m->summary.ended++;
	m->summary.labels[v.verdict.label]++;
	if (m->metrics)
		tf_metrics_observe(m->metrics, &v);
	if (m->recorder)
		tf_recorder_add(m->recorder, rec, m->mono_to_wall_ns);
	if (!shown)
		return;
	m->summary.shown++;
	m->summary.shown_labels[v.verdict.label]++;
	tf_failure_timings_add(&m->failures, &v);
	if (m->opts->quiet || m->out.broken)
		return;
	if (m->opts->json)
		tf_json_connection(m->out.f, &v);
	else
		tf_text_connection(m->out.f, &v, m->opts->show_identity);
}

static void on_warning(const struct tf_warning *w, void *ctx)
{
	struct monitor *m = ctx;
	const struct tf_cgroup *cg;

	if (!w->ended)
		m->summary.warnings[w->kind]++;
	if (m->opts->quiet || m->out.broken)
		return;
	cg = tf_cgroups_find(&m->cgroups, w->sample->cgroup_id);
	if (!tf_filter_match_sample(&m->opts->filter, w->sample, cg))
		return;
	if (m->opts->json)
		tf_json_warning(m->out.f, w, cg, m->mono_to_wall_ns);
	else
		tf_text_warning(m->out.f, w, cg, m->opts->show_identity, m->mono_to_wall_ns);
}

/* One line of --json: {"event": "diagnosis", ...}, before the summary. */
static void print_diagnosis_json(FILE *out, const struct tf_diagnosis *d)
{
	struct json_writer w;
	struct strbuf sb;

	sb_reset(&sb);
	jw_init(&w, &sb);
	jw_object_begin(&w, NULL);
	jw_plain(&w, "event", "diagnosis");
	tf_diagnosis_json_fields(&w, d);
	jw_object_end(&w);
	sb_char(&sb, '\n');
	sb_flush_to(&sb, out);
}

/* While a long scan runs: drain the ring and release what has waited, as the loop would. */
static void drain_during_scan(void *ctx)
{
	struct monitor *m = ctx;

	tf_rings_drain(&m->bpf->rings);
	tf_pending_rotate(&m->pending, report, m);
}

/*
 * Look at the open connections and turn what has lasted into warnings.  A
 * warning names the process that holds the connection: owners still missing
 * after the last scan are looked for first, so this scan reads them.
 */
static void scan_open(struct monitor *m, struct tf_bpf *b)
{
	long n;

	if (tf_owner_search_take(&m->owners, tf_monotonic_ns()))
		tf_bpf_find_owners(b);
	n = tf_bpf_scan(b, &m->samples, &m->samples_cap, &m->summary.open_now, drain_during_scan, m);
	if (n < 0)
		return;
	tf_warnings_scan(&m->watch, m->samples, (size_t)n, tf_monotonic_ns(), on_warning, m);
	tf_owner_search_plan(&m->owners, m->samples, (size_t)n);
}

static int on_ring_record(void *ctx, void *data, size_t size)
{
	struct monitor *m = ctx;
	const struct tf_record *rec = data;

	if (size < sizeof(*rec))
		return 0;
	if (rec->type == TF_REC_AMEND) {
		tf_pending_amend(&m->pending, rec);
		return 0;
	}
	tf_warnings_closed(&m->watch, rec->cookie, rec->end_ns, on_warning, m);
	/* No memory to hold it back: out now, and a late fact for it counts as lost (orphan_amends). */
	if (tf_pending_add(&m->pending, rec))
		report(rec, m);
	return 0;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup_signal;
	sigaction(SIGHUP, &sa, NULL);
	/* A closed pipe shows up as EPIPE from fflush; we stop then, cleanly. */
	signal(SIGPIPE, SIG_IGN);
}

/* Once per drain cycle; a reader that went away (EPIPE) stops tcpfate, quietly. */
static void flush_output(struct monitor *m)
{
	if (!tf_sink_flush(&m->out) && m->out.broken)
		stop_requested = 1;
}

/* The gauges and health counters a scrape shows, refreshed once per drain cycle. */
static void refresh_health(struct monitor *m, struct tf_bpf *b)
{
	struct tf_health h = { 0 };

	if (!m->metrics)
		return;
	if (tf_bpf_read_stats(b, h.kernel))
		return; /* a scrape shows the last good reading rather than zeros */
	h.late_facts_lost = h.kernel[TF_STAT_AMEND_LOST] + m->pending.orphan_amends;
	h.hook_runs_skipped = tf_bpf_recursion_misses(b);
	h.tracked_now = m->summary.open_now;
	h.ring_fill = m->ring_fill;
	if (m->recorder)
		h.records_dropped = tf_recorder_dropped(m->recorder);
	memcpy(h.warnings_total, m->summary.warnings, sizeof(h.warnings_total));
	memcpy(h.warnings_active, m->watch.active, sizeof(h.warnings_active));
	tf_metrics_set_health(m->metrics, &h);
}

/* Once a second: is data being lost right now?  (The summary says it again at exit.) */
static void check_losses(struct monitor *m, struct tf_bpf *b)
{
	const struct tf_loss_limits limits = { .max_tracked = m->opts->max_tracked,
					       .ring_mb = m->opts->ring_mb,
					       .keepalive_slots = m->opts->keepalive_slots };
	uint64_t kernel[TF_STAT_MAX], now_ms = tf_monotonic_ms();
	char msg[512];

	if (now_ms - m->last_loss_check_ms < 1000)
		return;
	m->last_loss_check_ms = now_ms;
	if (tf_bpf_read_stats(b, kernel))
		return;
	if (tf_loss_notice_due(&m->loss, kernel, now_ms, &limits, msg, sizeof(msg)))
		tf_warn("%s", msg);
}

static int drain_loop(struct monitor *m, struct tf_bpf *b)
{
	uint64_t deadline = m->opts->duration_s ? tf_monotonic_ms() + m->opts->duration_s * 1000ULL : 0;

	while (!stop_requested) {
		if (reopen_requested)
			reopen_files(m);
		if (tf_rings_poll(&b->rings, (int)m->opts->interval_ms))
			return -1;
		/* Woken or not, take everything queued: records are submitted without wake-ups. */
		m->ring_fill = tf_bpf_ring_fill(b);
		tf_rings_drain(&b->rings);
		m->mono_to_wall_ns = tf_mono_to_wall_offset();
		tf_pending_rotate(&m->pending, report, m);
		if (m->opts->scan_interval_ms && tf_monotonic_ms() - m->last_scan_ms >= m->scan_every_ms) {
			uint64_t took_ms;

			scan_open(m, b);
			m->last_scan_ms = tf_monotonic_ms();
			/*
			 * At most 2% of a core: a scan reads every followed socket
			 * (cache misses, ~0.5 us each), so with 100k open connections it
			 * runs every few seconds instead of every second, and what a
			 * churning host pays per connection does not grow with the
			 * connections that merely stay open.
			 */
			took_ms = b->scan_busy_ns / 1000000;
			m->scan_every_ms = took_ms * SCAN_CPU_SHARE_INVERSE > m->opts->scan_interval_ms
						   ? took_ms * SCAN_CPU_SHARE_INVERSE
						   : m->opts->scan_interval_ms;
		}
		check_losses(m, b);
		refresh_health(m, b);
		flush_output(m);
		if (deadline && tf_monotonic_ms() >= deadline)
			break;
	}
	return 0;
}

/* The file sinks of --record and --metrics: opened once privileges are dropped. */
static int start_sinks(struct monitor *m, struct tf_recorder *recorder, struct tf_metrics *metrics,
		       struct tf_metrics_server *server)
{
	const struct tf_options *o = m->opts;
	char err[512];

	if (o->record) {
		if (tf_recorder_open(recorder, o->record, o->max_age_s, o->max_size_bytes, o->record_ok_full, err,
				     sizeof(err))) {
			tf_error("--record: %s", err);
			return -1;
		}
		m->recorder = recorder;
	}
	if (o->metrics) {
		if (tf_metrics_init(metrics, o->metrics_top, o->metrics_identity, TCPFATE_VERSION)) {
			tf_error("out of memory for metrics");
			return -1;
		}
		if (tf_metrics_server_start(server, metrics, o->metrics, err, sizeof(err))) {
			tf_error("%s", err);
			tf_metrics_free(metrics);
			return -1;
		}
		m->metrics = metrics;
	}
	return 0;
}

/* SIGHUP: log rotation moved our files away; open them again under their names. */
static void reopen_files(struct monitor *m)
{
	char err[512];

	reopen_requested = 0;
	tf_sink_reopen(&m->out);
	if (m->recorder && tf_recorder_reopen(m->recorder, err, sizeof(err))) {
		tf_warn("--record: cannot reopen: %s; recording stops", err);
		m->summary.records_dropped = m->recorder->dropped;
		m->summary.records_written = m->recorder->written;
		m->recorder = NULL;
	}
	tf_info("reopened output files (SIGHUP)");
}

int tf_monitor_run(const struct tf_options *o)
{
	struct monitor m = { .opts = o };
	struct tf_diagnosis diagnoses[TF_DIAG_MAX];
	size_t n_diagnoses;
	uint64_t after_ns[TF_WARN_COUNT];
	struct tf_metrics_server server = { 0 };
	struct tf_recorder recorder;
	struct tf_metrics metrics;
	struct tf_features kernel;
	struct tf_run_as run_as;
	struct tf_bpf bpf;
	char err[256];
	int status = 0;
	bool loaded = false;

	install_signals();
	if (tf_find_user(o->user, &run_as, err, sizeof(err))) {
		tf_error("%s", err);
		return 1;
	}
	if (tf_sink_open(&m.out, o->output))
		return 1;
	tf_features_probe(&kernel);
	/* Without cgroup2 (a v1-only host) records carry the cgroup id alone. */
	tf_cgroups_init(&m.cgroups);
	tf_rst_reasons_load();
	tf_pending_init(&m.pending);
	for (int k = 0; k < TF_WARN_COUNT; k++)
		after_ns[k] = (uint64_t)o->warn_after_ms[k] * 1000000;
	tf_warnings_init(&m.watch, after_ns);
	m.mono_to_wall_ns = tf_mono_to_wall_offset();
	m.scan_every_ms = o->scan_interval_ms;
	tf_owner_search_init(&m.owners, (uint64_t)o->scan_interval_ms * 1000000);

	if (tf_bpf_start(&bpf, o, &kernel, on_ring_record, &m)) {
		status = 1;
		goto out;
	}
	loaded = true;
	m.bpf = &bpf;
	if (!o->no_existing)
		tf_bpf_adopt_existing(&bpf); /* a failed walk has said why; new connections are still followed */
	/* Attached: from here on no capability is needed. */
	if (tf_drop_privileges(&run_as, err, sizeof(err))) {
		tf_error("%s", err);
		status = 1;
		goto out;
	}
	if (start_sinks(&m, &recorder, &metrics, &server)) {
		status = 1;
		goto out;
	}
	if (!o->json && !o->quiet)
		tf_text_header(m.out.f, o->show_identity);
	flush_output(&m);
	if (bpf.hz_measured)
		tf_info("the kernel's config is not readable: HZ %u, measured", bpf.hz);
	fprintf(stderr, "tcpfate: ready (%d hooks attached, open connections scanned %s)\n", bpf.n_links,
		tf_scan_kind_name(bpf.scan));

	if (drain_loop(&m, &bpf))
		status = 1;

	/*
	 * Whatever happened, what was collected is printed and counted, as one
	 * snapshot: frozen first, then the ring, the open connections (the scan)
	 * and the counters, so closed + open + lost = seen holds exactly.
	 */
	tf_bpf_freeze(&bpf);
	tf_rings_drain(&bpf.rings);
	tf_pending_drain(&m.pending, report, &m);
	tf_bpf_scan(&bpf, &m.samples, &m.samples_cap, &m.summary.open_now, NULL, NULL);
	if (tf_bpf_read_stats(&bpf, m.summary.kernel))
		tf_warn("cannot read the kernel-side counters");
	/* Open at the freeze but closed before the scan reached them. */
	m.summary.open_now += m.summary.kernel[TF_STAT_CLOSED_FROZEN];
	m.summary.orphan_amends = m.pending.orphan_amends;
	m.summary.recursion_misses = tf_bpf_recursion_misses(&bpf);
	if (m.recorder) {
		tf_recorder_close(m.recorder); /* writes what is queued */
		m.summary.records_dropped = recorder.dropped;
		m.summary.records_written = recorder.written;
		m.recorder = NULL;
	}
	m.summary.output_errors = m.out.errors;
	m.summary.warnings_unwatched = m.watch.dropped;
	n_diagnoses = tf_failure_timings_diagnose(&m.failures, diagnoses, TF_DIAG_MAX);
	if (o->json && !m.out.broken) {
		for (size_t i = 0; i < n_diagnoses; i++)
			print_diagnosis_json(m.out.f, &diagnoses[i]);
		tf_summary_print_json(m.out.f, &m.summary);
	}
	flush_output(&m);
	tf_summary_print_text(stderr, &m.summary);
	if (n_diagnoses)
		fprintf(stderr, "tcpfate: diagnoses of the failures shown:\n");
	for (size_t i = 0; i < n_diagnoses; i++)
		tf_diagnosis_print_text(stderr, &diagnoses[i], "  ");
out:
	if (loaded)
		tf_bpf_stop(&bpf);
	if (m.recorder)
		tf_recorder_close(m.recorder);
	if (m.metrics) {
		tf_metrics_server_stop(&server);
		tf_metrics_free(&metrics);
	}
	tf_pending_free(&m.pending);
	tf_cgroups_free(&m.cgroups);
	tf_warnings_free(&m.watch);
	tf_failure_timings_free(&m.failures);
	free(m.samples);
	tf_rst_reasons_free();
	tf_sink_close(&m.out);
	return status;
}
