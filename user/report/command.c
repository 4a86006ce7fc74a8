// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpfate report FILE [--since T] [--until T] [-p PID] [-c COMM] [--remote HOST[:PORT]] [--label L]
 *                     [--format text|json|html] [-o OUT] */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/private_file.h"
#include "options.h"
#include "report/report.h"
#include "report/timeparse.h"

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_HTML };

static void usage(FILE *out)
{
	fputs("Usage: tcpfate report FILE [OPTIONS]\n"
	      "Summarise a recording (--record FILE.db) or JSON lines (--json, from one host or many).\n"
	      "\n"
	      "      --since T          from T: ISO 8601 (2026-11-22T14:02:00Z, 2026-11-22 14:02) or relative (-2h, -30m)\n"
	      "      --until T          before T (same forms: consecutive ranges count a connection once)\n"
	      "  -p, --pid PID          only connections owned by PID (repeatable)\n"
	      "  -c, --comm NAME        only connections owned by command NAME\n"
	      "      --remote HOST[:PORT]  only connections to (or from) HOST, [IPv6]:PORT for IPv6\n"
	      "      --container ID     only sockets of the container whose id starts with ID\n"
	      "      --unit NAME        only sockets of the systemd unit NAME\n"
	      "      --cgroup PATH      only sockets in the cgroup PATH or below it\n"
	      "      --label L          only connections labelled L (ok, hang-up, reset, refused, syn-timeout,\n"
	      "                         retries-exhausted, unreachable)\n"
	      "      --format F         text (default), json or html\n"
	      "  -o, --output OUT       write the report to OUT (created 0600) instead of standard output\n"
	      "  -h, --help             this text\n",
	      out);
}

/* "10.0.0.5", "10.0.0.5:443", "[fd00::2]:443", "fd00::2" */
static int parse_remote(const char *s, struct tf_report_filter *f)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long port = 0;
	size_t host_len;

	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -1;
		host_len = (size_t)(close - s - 1);
		s++;
		colon = close[1] ? close + 1 : NULL;
	} else if (colon && strchr(s, ':') == colon) {
		host_len = (size_t)(colon - s);
	} else {
		host_len = strlen(s); /* a host alone (an IPv6 address without brackets) */
		colon = NULL;
	}
	if (!host_len || host_len >= sizeof(f->remote))
		return -1;
	if (colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || *end || port < 1 || port > 65535 || end == colon + 1)
			return -1;
	}
	memcpy(f->remote, s, host_len);
	f->remote[host_len] = 0;
	f->remote_port = (int)port;
	return 0;
}

int tf_report_main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "since", required_argument, NULL, 'S' }, { "until", required_argument, NULL, 'U' },
		{ "pid", required_argument, NULL, 'p' },   { "comm", required_argument, NULL, 'c' },
		{ "remote", required_argument, NULL, 'r' }, { "label", required_argument, NULL, 'l' },
		{ "format", required_argument, NULL, 'f' }, { "output", required_argument, NULL, 'o' },
		{ "container", required_argument, NULL, 'C' }, { "unit", required_argument, NULL, 'u' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },         { 0 },
	};
	struct tf_report_filter filter;
	struct tf_report rep;
	struct tf_rows rows = { 0 };
	enum format format = FORMAT_TEXT;
	const char *output = NULL;
	double now = (double)time(NULL);
	char err[512];
	FILE *out = stdout;
	int c, status = 0;

	tf_report_filter_init(&filter);
	tf_option_getopt_reset();
	while ((c = getopt_long(argc, argv, ":p:c:o:h", options, NULL)) != -1) {
		switch (c) {
		case 'S':
		case 'U':
			if (tf_parse_time(optarg, now, c == 'S' ? &filter.since : &filter.until)) {
				tf_error("invalid --%s '%s': expected ISO 8601 (2026-11-22T14:02:00Z) or -2h, -30m, -1d",
					 c == 'S' ? "since" : "until", optarg);
				return 2;
			}
			break;
		case 'p':
			if (tf_option_pid(optarg, filter.pids, &filter.n_pids, err, sizeof(err)))
				goto bad_option;
			break;
		case 'c':
			if (tf_option_comm(optarg, filter.comm, err, sizeof(err)))
				goto bad_option;
			break;
		case 'C':
			if (tf_option_container(optarg, &filter.identity, err, sizeof(err)))
				goto bad_option;
			break;
		case 'u':
			if (tf_option_unit(optarg, &filter.identity, err, sizeof(err)))
				goto bad_option;
			break;
		case 'g':
			if (tf_option_cgroup(optarg, &filter.identity, err, sizeof(err)))
				goto bad_option;
			break;
		case 'r':
			if (parse_remote(optarg, &filter)) {
				tf_error("invalid --remote '%s': expected HOST, HOST:PORT or [IPv6]:PORT", optarg);
				return 2;
			}
			break;
		case 'l':
			if ((filter.label = tf_label_parse(optarg)) < 0) {
				tf_error("invalid --label '%s': expected ok, hang-up, reset, refused, syn-timeout, "
					 "retries-exhausted or unreachable", optarg);
				return 2;
			}
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				format = FORMAT_TEXT;
			else if (!strcmp(optarg, "json"))
				format = FORMAT_JSON;
			else if (!strcmp(optarg, "html"))
				format = FORMAT_HTML;
			else {
				tf_error("invalid --format '%s': expected text, json or html", optarg);
				return 2;
			}
			break;
		case 'o':
			if (tf_option_output(optarg, &output, err, sizeof(err)))
				goto bad_option;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			tf_option_getopt_error(c, argv, "tcpfate report --help", err, sizeof(err));
			goto bad_option;
		}
	}
	if (optind != argc - 1) {
		tf_error(optind == argc ? "report needs a FILE (a recording or JSON lines)"
					: "report takes one FILE (see tcpfate report --help)");
		return 2;
	}
	if (!isnan(filter.since) && !isnan(filter.until) && filter.since > filter.until) {
		tf_error("--since is after --until");
		return 2;
	}
	if (tf_report_read(argv[optind], &filter, &rows, err, sizeof(err))) {
		tf_error("%s", err);
		tf_rows_free(&rows);
		return 1;
	}
	if (tf_report_build(&rows, &rep)) {
		tf_error("out of memory building the report");
		tf_rows_free(&rows);
		return 1;
	}
	rep.since = filter.since;
	rep.until = filter.until;
	if (output && !(out = tf_open_private(output, false, "report"))) {
		status = 1;
		goto done;
	}
	if (format == FORMAT_JSON)
		tf_report_json(out, &rep);
	else if (format == FORMAT_HTML)
		tf_report_html(out, &rep);
	else
		tf_report_text(out, &rep);
	if ((out == stdout ? fflush(out) : fclose(out)) == EOF) {
		tf_error("cannot write the report: %s", strerror(errno));
		status = 1;
	}
done:
	tf_report_free(&rep);
	tf_rows_free(&rows);
	return status;
bad_option:
	tf_error("%s", err);
	return 2;
}
