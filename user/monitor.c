// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "clock.h"
#include "conn_view.h"
#include "filter.h"
#include "kernel_probe.h"
#include "loader.h"
#include "metrics.h"
#include "metrics_http.h"
#include "log.h"
#include "loss_notice.h"
#include "names.h"
#include "output.h"
#include "owner_search.h"
#include "pending.h"
#include "privileges.h"
#include "recorder.h"
#include "summary.h"
#include "monitor.h"

#define OUTPUT_BUFFER_BYTES (1 << 20)
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
	struct tf_watch watch;
	struct tf_open_sample *samples;
	size_t samples_cap;
	uint64_t last_scan_ms;
	uint64_t scan_every_ms;     /* --scan-interval, stretched when scans get long */
	struct tf_owner_search owners; /* when to walk open files for missing owners */
	struct ring_buffer *rb;
	struct tf_metrics *metrics; /* NULL unless --metrics */
	struct tf_recorder *recorder; /* NULL unless --record */
	double ring_fill;           /* before the last drain */
	time_t last_output_warning;
	struct tf_loss_notice loss;     /* a full table or ring, said while it happens */
	uint64_t last_loss_check_ms;
	FILE *out;
	bool out_broken; /* the reader went away (EPIPE): stop quietly */
};

/* A connection's story is complete: classify, count, and print if wanted. */
static void report(const struct tf_record *rec, void *ctx)
{
	struct monitor *m = ctx;
	struct tf_conn_view v;
	bool shown;

	tf_conn_view_init(&v, rec, m->mono_to_wall_ns);
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
	if (m->opts->quiet || m->out_broken)
		return;
	if (m->opts->json)
		tf_json_connection(m->out, &v);
	else
		tf_text_connection(m->out, &v);
}

static void on_warning(const struct tf_warning *w, void *ctx)
{
	struct monitor *m = ctx;

	if (!w->ended)
		m->summary.warnings[w->kind]++;
	if (m->opts->quiet || m->out_broken || !tf_filter_match_sample(&m->opts->filter, w->sample))
		return;
	if (m->opts->json)
		tf_json_warning(m->out, w, m->mono_to_wall_ns);
	else
		tf_text_warning(m->out, w, m->mono_to_wall_ns);
}

/* While a long scan runs: drain the ring and release what has waited, as the loop would. */
static void drain_during_scan(void *ctx)
{
	struct monitor *m = ctx;

	ring_buffer__consume(m->rb);
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

	m->rb = b->rb;
	if (tf_owner_search_take(&m->owners, tf_monotonic_ns()))
		tf_bpf_find_owners(b);
	n = tf_bpf_scan(b, &m->samples, &m->samples_cap, &m->summary.open_now, drain_during_scan, m);
	if (n < 0)
		return;
	tf_watch_scan(&m->watch, m->samples, (size_t)n, tf_monotonic_ns(), on_warning, m);
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
	tf_watch_closed(&m->watch, rec->cookie, rec->end_ns, on_warning, m);
	if (tf_pending_add(&m->pending, rec)) {
		m->summary.held_back_failed++;
		report(rec, m);
	}
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

static void flush_output(struct monitor *m)
{
	if (m->out_broken)
		return;
	if (fflush(m->out) == EOF) {
		if (errno == EPIPE) {
			m->out_broken = true;
			stop_requested = 1;
		} else {
			/* A full disk: counted, said once a minute, and monitoring goes on. */
			time_t now = time(NULL);

			if (now - m->last_output_warning >= 60) {
				tf_warn("cannot write output: %s (lines are lost until it can)", strerror(errno));
				m->last_output_warning = now;
			}
			m->summary.output_errors++;
			clearerr(m->out);
		}
	}
}

/*
 * Lines leave at each drain cycle's flush anyway, so a big stdio buffer adds
 * no delay; it turns the cycle's output into one large write, which the page
 * cache takes in large folios instead of page by page (a third of the
 * consumer's CPU at 100k connections/s went to 4 KiB writes).  A terminal
 * keeps its line buffering.
 */
static void buffer_output(FILE *f)
{
	/* One output stream is in use at a time (stdout, or the file that replaced the last one). */
	static char buffer[OUTPUT_BUFFER_BYTES];

	if (!isatty(fileno(f)))
		setvbuf(f, buffer, _IOFBF, sizeof(buffer));
}

/*
 * Output to a file: appended, created 0600 (connection records name
 * processes and peers), and never through a symbolic link someone planted.
 */
static FILE *open_output(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	FILE *f;

	if (fd < 0) {
		tf_error("cannot open output %s: %s", path,
			 errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return NULL;
	}
	f = fdopen(fd, "a");
	if (!f) {
		tf_error("cannot open output %s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* The gauges and health counters a scrape shows, refreshed once per drain cycle. */
static void refresh_health(struct monitor *m, struct tf_bpf *b)
{
	struct tf_health h = { 0 };

	if (!m->metrics)
		return;
	tf_bpf_read_stats(b, h.kernel);
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
	int err;

	while (!stop_requested) {
		if (reopen_requested)
			reopen_files(m);
		err = ring_buffer__poll(b->rb, (int)m->opts->interval_ms);
		if (err < 0 && err != -EINTR) {
			tf_error("reading the ring buffer failed: %s", strerror(-err));
			return -1;
		}
		/* Woken or not, take everything queued: records are submitted without wake-ups. */
		m->ring_fill = tf_bpf_ring_fill(b);
		ring_buffer__consume(b->rb);
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
		if (tf_recorder_open(recorder, o->record, o->max_age_s, o->max_size_bytes, err, sizeof(err))) {
			tf_error("--record: %s", err);
			return -1;
		}
		m->recorder = recorder;
	}
	if (o->metrics) {
		if (tf_metrics_init(metrics, o->metrics_top, TCPFATE_VERSION)) {
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
	const struct tf_options *o = m->opts;
	char err[512];

	reopen_requested = 0;
	if (o->output) {
		FILE *f = open_output(o->output);

		if (f) {
			flush_output(m);
			fclose(m->out);
			m->out = f;
			buffer_output(f); /* before its first write, and after the old one let go of the buffer */
			m->out_broken = false;
		} /* else: keep writing to the old file; open_output said why */
	}
	if (m->recorder) {
		uint64_t dropped = m->recorder->dropped, written = m->recorder->written;

		tf_recorder_close(m->recorder);
		if (tf_recorder_open(m->recorder, o->record, o->max_age_s, o->max_size_bytes, err, sizeof(err))) {
			tf_warn("--record: cannot reopen: %s; recording stops", err);
			m->recorder = NULL;
		} else {
			m->recorder->dropped = dropped;
			m->recorder->written = written;
		}
		m->summary.records_dropped = dropped;
		m->summary.records_written = written;
	}
	tf_info("reopened output files (SIGHUP)");
}

int tf_monitor_run(const struct tf_options *o)
{
	struct monitor m = { .opts = o, .out = stdout };
	uint64_t after_ns[TF_WARN_COUNT];
	struct tf_metrics_server server = { 0 };
	struct tf_recorder recorder;
	struct tf_metrics metrics;
	struct tf_kernel kernel;
	struct tf_bpf bpf;
	char err[256];
	int status = 0;
	bool loaded = false;

	install_signals();
	if (o->output && !(m.out = open_output(o->output)))
		return 1;
	buffer_output(m.out);
	tf_kernel_probe(&kernel);
	tf_rst_reasons_load();
	tf_pending_init(&m.pending);
	for (int k = 0; k < TF_WARN_COUNT; k++)
		after_ns[k] = (uint64_t)o->warn_after_ms[k] * 1000000;
	tf_watch_init(&m.watch, after_ns);
	m.mono_to_wall_ns = tf_mono_to_wall_offset();
	m.scan_every_ms = o->scan_interval_ms;
	tf_owner_search_init(&m.owners, (uint64_t)o->scan_interval_ms * 1000000);

	if (tf_bpf_start(&bpf, o, &kernel, on_ring_record, &m)) {
		status = 1;
		goto out;
	}
	loaded = true;
	if (!o->no_existing)
		tf_bpf_adopt_existing(&bpf);
	/* Attached: from here on no capability is needed. */
	if (tf_drop_privileges(o->user, err, sizeof(err))) {
		tf_error("%s", err);
		status = 1;
		goto out;
	}
	if (start_sinks(&m, &recorder, &metrics, &server)) {
		status = 1;
		goto out;
	}
	if (!o->json && !o->quiet)
		tf_text_header(m.out);
	flush_output(&m);
	fprintf(stderr, "tcpfate: ready (%d hooks attached)\n", bpf.n_links);

	if (drain_loop(&m, &bpf))
		status = 1;

	/*
	 * Whatever happened, what was collected is printed and counted, as one
	 * snapshot: frozen first, then the ring, the open connections (the scan)
	 * and the counters, so closed + open + lost = seen holds exactly.
	 */
	tf_bpf_freeze(&bpf);
	ring_buffer__consume(bpf.rb);
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
	if (o->json && !m.out_broken)
		tf_summary_print_json(m.out, &m.summary);
	flush_output(&m);
	tf_summary_print_text(stderr, &m.summary);
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
	tf_watch_free(&m.watch);
	free(m.samples);
	tf_rst_reasons_free();
	if (m.out != stdout && m.out && fclose(m.out))
		tf_warn("closing the output: %s", strerror(errno));
	return status;
}
