// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * A report as one self-contained HTML page: inline CSS, charts as inline SVG,
 * no script, no external asset.  Every string from the data is escaped.
 */
#include <math.h>
#include <string.h>
#include <time.h>
#include "report/diagnose_output.h"
#include "report/report.h"

static const char *const colors[TF_LABEL_COUNT] = {
	"#6b8f71", "#e07a1f", "#c0392b", "#8e44ad", "#2c7fb8", "#d4a017", "#5d6d7e",
};

static void esc(FILE *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if ((unsigned char)*s < 0x20)
				fputc('?', out);
			else
				fputc(*s, out);
		}
	}
}

static void when(double t, char *buf, size_t len, const char *fmt)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (isnan(t) || !gmtime_r(&s, &tm))
		snprintf(buf, len, "-");
	else
		strftime(buf, len, fmt, &tm);
}

static const char STYLE[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2733;margin:0;"
	"background:#f4f6f8}main{max-width:1080px;margin:0 auto;padding:24px}h1{font-size:24px;margin:0 0 4px}"
	"h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #d5dbe1;padding-bottom:4px}"
	".sub{color:#5a6776}.cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:16px}"
	".card{background:#fff;border-radius:8px;padding:10px 14px;min-width:110px;box-shadow:0 1px 2px #0002;"
	"border-top:4px solid var(--c)}.card b{display:block;font-size:22px}.card span{color:#5a6776;font-size:13px}"
	"table{border-collapse:collapse;width:100%;background:#fff;border-radius:8px;overflow:hidden;"
	"box-shadow:0 1px 2px #0002}th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #edf0f3;"
	"font-variant-numeric:tabular-nums}th{background:#eef2f5;font-weight:600;font-size:13px}"
	"td.n{text-align:right}.panel{background:#fff;border-radius:8px;padding:12px;box-shadow:0 1px 2px #0002}"
	".legend span{display:inline-block;margin-right:14px;font-size:13px}.legend i{display:inline-block;"
	"width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}"
	".explain dt{font-weight:600;margin-top:10px}.explain dd{margin:2px 0 0 0;color:#364351}"
	".burst{background:#fff4e5;border-left:4px solid #e07a1f;padding:8px 12px;margin:6px 0;border-radius:4px}"
	"svg text{font:11px system-ui,sans-serif;fill:#5a6776}";

static void legend(FILE *out)
{
	fputs("<div class=\"legend\">", out);
	for (int l = 1; l < TF_LABEL_COUNT; l++)
		fprintf(out, "<span><i style=\"background:%s\"></i>%s</span>", colors[l], tf_label_name(l));
	fputs("</div>\n", out);
}

/* Stacked bars of failures per bucket, one colour per label. */
static void timeline_svg(FILE *out, const struct tf_report *rep)
{
	const double W = 1000, H = 240, left = 44, bottom = 28, top = 10;
	double plot_w = W - left - 10, plot_h = H - bottom - top, bar_w, max = 1;
	char a[32];

	for (size_t i = 0; i < rep->n_buckets; i++) {
		double sum = 0;

		for (int l = 1; l < TF_LABEL_COUNT; l++)
			sum += (double)rep->timeline[i][l];
		max = fmax(max, sum);
	}
	bar_w = plot_w / (double)rep->n_buckets;
	fprintf(out, "<svg id=\"timeline\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\" "
		     "aria-label=\"Failures over time, stacked by label\">\n", W, H);
	for (int g = 0; g <= 4; g++) {
		double y = top + plot_h - plot_h * g / 4;

		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e8ec\"/>"
			     "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.0f</text>\n",
			left, W - 10, y, y, left - 6, y + 4, max * g / 4);
	}
	for (size_t i = 0; i < rep->n_buckets; i++) {
		double y = top + plot_h, x = left + (double)i * bar_w;

		for (int l = 1; l < TF_LABEL_COUNT; l++) {
			double h = plot_h * (double)rep->timeline[i][l] / max;

			if (!rep->timeline[i][l])
				continue;
			y -= h;
			when(rep->first + (double)i * rep->bucket_s, a, sizeof(a), "%H:%M:%S");
			fprintf(out, "<rect class=\"bar\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">"
				     "<title>%s: %llu %s</title></rect>\n",
				x + bar_w * 0.1, y, fmax(bar_w * 0.8, 1), h, colors[l], a,
				(unsigned long long)rep->timeline[i][l], tf_label_name(l));
		}
	}
	for (int t = 0; t <= 5; t++) {
		double x = left + plot_w * t / 5;

		when(rep->first + (double)rep->n_buckets * rep->bucket_s * t / 5, a, sizeof(a), "%H:%M:%S");
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n", x, H - 8,
			t == 0 ? "start" : t == 5 ? "end" : "middle", a);
	}
	fputs("</svg>\n", out);
}

/* One stacked bar of a group's label mix. */
static void mix_svg(FILE *out, const struct tf_group *g)
{
	double x = 0, total = 0;

	for (int l = 0; l < TF_LABEL_COUNT; l++)
		total += (double)g->by_label[l];
	fputs("<svg class=\"mix\" viewBox=\"0 0 200 12\" width=\"200\" height=\"12\">", out);
	for (int l = 0; l < TF_LABEL_COUNT && total > 0; l++) {
		double w = 200 * (double)g->by_label[l] / total;

		if (!g->by_label[l])
			continue;
		fprintf(out, "<rect x=\"%.2f\" y=\"0\" width=\"%.2f\" height=\"12\" fill=\"%s\"><title>%s %llu</title></rect>",
			x, w, colors[l], tf_label_name(l), (unsigned long long)g->by_label[l]);
		x += w;
	}
	fputs("</svg>", out);
}

static void groups(FILE *out, const char *id, const char *title, const char *what, const struct tf_group *g, size_t n)
{
	fprintf(out, "<h2>%s</h2>\n<table id=\"%s\"><tr><th>%s</th><th class=\"n\">failed</th><th class=\"n\">of</th>"
		     "<th>label mix (all connections)</th></tr>\n",
		title, id, what);
	for (size_t i = 0; i < n; i++) {
		fputs("<tr><td>", out);
		esc(out, g[i].key);
		fprintf(out, "</td><td class=\"n\">%llu</td><td class=\"n\">%llu</td><td>",
			(unsigned long long)g[i].failures, (unsigned long long)g[i].total);
		mix_svg(out, &g[i]);
		fputs("</td></tr>\n", out);
	}
	if (!n)
		fputs("<tr><td colspan=\"4\">No failures.</td></tr>\n", out);
	fputs("</table>\n", out);
}

/* p50-max on a log scale, one row per label, with markers at p50, p90, p99. */
static void dist_svg(FILE *out, const char *id, const char *title, const struct tf_dist *d)
{
	double lo = 1e9, hi = 0, W = 1000, left = 150, right = 20;
	int rows = 0;

	for (int l = 0; l < TF_LABEL_COUNT; l++) {
		if (!d[l].n)
			continue;
		lo = fmin(lo, fmax(d[l].p50, 0.001));
		hi = fmax(hi, fmax(d[l].max, 0.001));
		rows++;
	}
	if (!rows)
		return;
	lo = pow(10, floor(log10(lo)));
	hi = pow(10, ceil(log10(hi * 1.0001)));
	if (hi <= lo)
		hi = lo * 10;
#define XPOS(v) (left + (W - left - right) * (log10(fmax((v), lo)) - log10(lo)) / (log10(hi) - log10(lo)))
	fprintf(out, "<h2>%s</h2>\n<div class=\"panel\"><svg id=\"%s\" viewBox=\"0 0 %.0f %d\" width=\"100%%\" role=\"img\" "
		     "aria-label=\"%s\">\n",
		title, id, W, rows * 26 + 28, title);
	for (double t = lo; t <= hi * 1.0001; t *= 10)
		fprintf(out, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"0\" y2=\"%d\" stroke=\"#e3e8ec\"/>"
			     "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g ms</text>\n",
			XPOS(t), XPOS(t), rows * 26, XPOS(t), rows * 26 + 16, t);
	rows = 0;
	for (int l = 0; l < TF_LABEL_COUNT; l++) {
		double y;

		if (!d[l].n)
			continue;
		y = rows++ * 26 + 13;
		fprintf(out, "<text x=\"0\" y=\"%.1f\">%s (%zu)</text>"
			     "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"3\"/>"
			     "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" fill=\"%s\"><title>p50 %.3f ms</title></circle>"
			     "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"12\" fill=\"%s\"><title>p90 %.3f ms</title></rect>"
			     "<rect x=\"%.1f\" y=\"%.1f\" width=\"3\" height=\"12\" fill=\"#1d2733\"><title>p99 %.3f ms</title></rect>"
			     "<text x=\"%.1f\" y=\"%.1f\">max %.3g ms</text>\n",
			y + 4, tf_label_name(l), d[l].n, XPOS(d[l].p50), XPOS(d[l].max), y, y, colors[l], XPOS(d[l].p50), y,
			colors[l], d[l].p50, XPOS(d[l].p90) - 1.5, y - 6, colors[l], d[l].p90, XPOS(d[l].p99) - 1.5, y - 6,
			d[l].p99, fmin(XPOS(d[l].max) + 6, W - 60), y + 4, d[l].max);
	}
#undef XPOS
	fputs("</svg></div>\n", out);
}

void tf_report_html(FILE *out, const struct tf_report *rep)
{
	uint64_t failures = rep->rows - rep->by_label[TF_LABEL_OK];
	char a[32], b[32];

	when(rep->first, a, sizeof(a), "%Y-%m-%d %H:%M:%S UTC");
	when(rep->last, b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC");
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
		     "<title>tcpfate report</title><style>%s</style></head><body><main>\n",
		STYLE);
	fprintf(out, "<h1>tcpfate report</h1><div class=\"sub\">%zu connections, %llu failed, %s &ndash; %s",
		rep->rows, (unsigned long long)failures, rep->rows ? a : "-", rep->rows ? b : "-");
	if (rep->hosts > 1)
		fprintf(out, ", %zu hosts", rep->hosts);
	fputs("</div>\n<div class=\"cards\" id=\"totals\">", out);
	for (int l = 0; l < TF_LABEL_COUNT; l++)
		fprintf(out, "<div class=\"card\" style=\"--c:%s\"><b>%llu</b><span>%s</span></div>", colors[l],
			(unsigned long long)rep->by_label[l], tf_label_name(l));
	fputs("</div>\n", out);
	if (!rep->rows) {
		fputs("<p>No connections in this range.</p></main></body></html>\n", out);
		return;
	}

	if (rep->n_diagnoses) {
		fputs("<h2>Diagnoses</h2><div id=\"diagnoses\">\n", out);
		for (size_t i = 0; i < rep->n_diagnoses; i++) {
			const struct tf_diagnosis *d = &rep->diagnoses[i];
			char examples[512];

			fputs("<div class=\"panel\"><b>", out);
			esc(out, d->group);
			fputs("</b>: ", out);
			esc(out, d->finding);
			fprintf(out, " (%zu of %zu within %.2f&ndash;%.2f s; confidence %s)<br>matches ", d->count, d->total,
				d->lo_ms / 1000, d->hi_ms / 1000, d->confidence);
			esc(out, d->match);
			fputs("<br>", out);
			esc(out, d->advice);
			tf_diagnosis_examples_text(d, examples, sizeof(examples));
			if (examples[0]) {
				fputs("<br><span class=\"sub\">", out);
				esc(out, examples);
				fputs("</span>", out);
			}
			fputs("</div>\n", out);
		}
		fputs("</div>\n", out);
	}
	fprintf(out, "<h2>Failures over time</h2><div class=\"panel\">\n");
	legend(out);
	timeline_svg(out, rep);
	fprintf(out, "<div class=\"sub\">%g s per bar</div></div>\n", rep->bucket_s);

	if (rep->n_bursts) {
		fputs("<h2>Bursts</h2><div id=\"bursts\">\n", out);
		for (size_t i = 0; i < rep->n_bursts; i++) {
			const struct tf_burst *x = &rep->bursts[i];

			when(x->start, a, sizeof(a), "%H:%M:%S");
			when(x->end, b, sizeof(b), "%H:%M:%S");
			fprintf(out, "<div class=\"burst\"><b>%s&ndash;%s UTC</b>: %llu failures (usual: %g per bar), mostly "
				     "<b>%s</b>, to ",
				a, b, (unsigned long long)x->failures, x->baseline, tf_label_name(x->label));
			esc(out, x->endpoint);
			fputs(", from ", out);
			esc(out, x->process);
			fputs("</div>\n", out);
		}
		fputs("</div>\n", out);
	}

	fputs("<h2>Totals by cause</h2>\n<table id=\"causes\"><tr><th>label</th><th>cause</th><th class=\"n\">connections"
	      "</th></tr>\n",
	      out);
	for (size_t c = 0; c < rep->n_causes; c++) {
		fprintf(out, "<tr><td><i style=\"display:inline-block;width:10px;height:10px;background:%s;margin-right:6px\">"
			     "</i>%s</td><td>",
			colors[rep->causes[c].label], tf_label_name(rep->causes[c].label));
		esc(out, rep->causes[c].cause);
		fprintf(out, "</td><td class=\"n\">%llu</td></tr>\n", (unsigned long long)rep->causes[c].count);
	}
	fputs("</table>\n", out);

	groups(out, "remotes", "Top remote endpoints by failures", "endpoint", rep->remotes, rep->n_remotes);
	groups(out, "processes", "Top processes by failures", "process", rep->processes, rep->n_processes);
	if (rep->n_services)
		groups(out, "services", "Top services (containers, pods, units) by failures", "service", rep->services,
		       rep->n_services);
	dist_svg(out, "connect", "Connect time (p50 &bull; p90 | p99 | max)", rep->connect);
	dist_svg(out, "lifetime", "Lifetime (p50 &bull; p90 | p99 | max)", rep->lifetime);
	dist_svg(out, "to-failure", "Time to failure (p50 &bull; p90 | p99 | max)", rep->to_failure);

	fputs("<h2>What happened</h2>\n<dl class=\"explain\" id=\"explanations\">\n", out);
	for (size_t c = 0; c < rep->n_causes; c++) {
		if (rep->causes[c].label == TF_LABEL_OK)
			continue;
		fprintf(out, "<dt>%s / ", tf_label_name(rep->causes[c].label));
		esc(out, rep->causes[c].cause);
		fprintf(out, " (%llu)</dt><dd>", (unsigned long long)rep->causes[c].count);
		esc(out, tf_explain(rep->causes[c].label, rep->causes[c].cause));
		fputs("</dd>\n", out);
	}
	fputs("</dl>\n<p class=\"sub\">Generated by tcpfate report.</p></main></body></html>\n", out);
}
