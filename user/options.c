// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "metrics/listen_addr.h"
#include "options.h"

enum {
	OPT_PORT = 0x100,
	OPT_DURATION,
	OPT_INTERVAL,
	OPT_RING_MB,
	OPT_KEEPALIVE_SLOTS,
	OPT_MAX_TRACKED,
	OPT_NO_EXISTING,
	OPT_SCAN_INTERVAL,
	OPT_WARN_STALLED,
	OPT_WARN_CLOSE_WAIT,
	OPT_WARN_RETRANS,
	OPT_WARN_ZERO_WINDOW,
	OPT_METRICS,
	OPT_METRICS_TOP,
	OPT_RECORD,
	OPT_MAX_AGE,
	OPT_MAX_SIZE,
	OPT_RECORD_OK,
	OPT_HOST_ROOT,
	OPT_USER,
	OPT_CONTAINER,
	OPT_UNIT,
	OPT_CGROUP,
	OPT_IDENTITY,
	OPT_METRICS_IDENTITY,
};

static const struct option long_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "comm", required_argument, NULL, 'c' },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "unit", required_argument, NULL, OPT_UNIT },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "identity", no_argument, NULL, OPT_IDENTITY },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "failures", no_argument, NULL, 'x' },
	{ "json", no_argument, NULL, 'j' },
	{ "output", required_argument, NULL, 'o' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "ring-size", required_argument, NULL, OPT_RING_MB },
	{ "keepalive-slots", required_argument, NULL, OPT_KEEPALIVE_SLOTS },
	{ "max-tracked", required_argument, NULL, OPT_MAX_TRACKED },
	{ "no-existing", no_argument, NULL, OPT_NO_EXISTING },
	{ "scan-interval", required_argument, NULL, OPT_SCAN_INTERVAL },
	{ "record", required_argument, NULL, OPT_RECORD },
	{ "user", required_argument, NULL, OPT_USER },
	{ "max-age", required_argument, NULL, OPT_MAX_AGE },
	{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
	{ "record-ok", required_argument, NULL, OPT_RECORD_OK },
	{ "host-root", required_argument, NULL, OPT_HOST_ROOT },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "metrics-top", required_argument, NULL, OPT_METRICS_TOP },
	{ "metrics-identity", no_argument, NULL, OPT_METRICS_IDENTITY },
	{ "warn-stalled", required_argument, NULL, OPT_WARN_STALLED },
	{ "warn-close-wait", required_argument, NULL, OPT_WARN_CLOSE_WAIT },
	{ "warn-retrans", required_argument, NULL, OPT_WARN_RETRANS },
	{ "warn-zero-window", required_argument, NULL, OPT_WARN_ZERO_WINDOW },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

void tf_options_usage(FILE *out)
{
	fputs("Usage: tcpfate [OPTIONS]\n"
	      "Follow every TCP connection on this host and print how each one ended.\n"
	      "\n"
	      "Filters (what is shown; everything is still counted):\n"
	      "  -p, --pid PID         only connections owned by PID (repeatable)\n"
	      "  -c, --comm NAME       only connections owned by a process named NAME\n"
	      "      --port PORT       only connections with PORT at either end (repeatable)\n"
	      "      --container ID    only sockets of the container named ID, or whose id starts with ID\n"
	      "      --unit NAME       only sockets of the systemd unit NAME (nginx.service)\n"
	      "      --cgroup PATH     only sockets in the cgroup PATH or below it (/system.slice)\n"
	      "  -4, --ipv4            only IPv4\n"
	      "  -6, --ipv6            only IPv6\n"
	      "  -x, --failures        only connections whose label is not ok\n"
	      "\n"
	      "Output:\n"
	      "  -j, --json            one JSON object per line\n"
	      "      --identity        text lines get a SERVICE column (container, pod or systemd unit)\n"
	      "      --host-root DIR   where the host's / is, for container and pod names (default /)\n"
	      "  -o, --output FILE     append the output to FILE (created 0600; symlinks refused)\n"
	      "  -q, --quiet           no per-connection lines, only the summary\n"
	      "      --duration SECS   stop after SECS seconds (1-31536000)\n"
	      "\n"
	      "Live warnings (while connections are open; text lines or {\"event\":\"warning\"}):\n"
	      "      --warn-stalled SECS      the application has not read for SECS while data waits (default 5)\n"
	      "      --warn-close-wait SECS   the peer closed SECS ago, the application has not (default 10)\n"
	      "      --warn-retrans SECS      in retransmission backoff for SECS (default 3)\n"
	      "      --warn-zero-window SECS  the peer's window has been 0 for SECS (default 5)\n"
	      "      --scan-interval MS       look at open connections every MS ms (0: no warnings; default 1000)\n"
	      "\n"
	      "Recording (for tcpfate report):\n"
	      "      --record FILE.db         write every ended connection to an SQLite file (mode 0600)\n"
	      "      --max-age AGE            delete recorded rows older than AGE (90s, 15m, 12h, 7d)\n"
	      "      --max-size SIZE          keep the recording under SIZE (64K, 100M, 2G)\n"
	      "      --record-ok rollup|full  ok connections counted per second and service (default),\n"
	      "                               or a row each like failures\n"
	      "\n"
	      "Metrics (Prometheus text format at http://ADDR:PORT/metrics):\n"
	      "      --metrics [ADDR:]PORT    serve metrics; 127.0.0.1 unless ADDR is given ([::1]:PORT for IPv6)\n"
	      "      --metrics-top N          series per remote endpoint and per command for the first N seen,\n"
	      "                               the rest as \"other\" (0-1000, default 0: off)\n"
	      "      --metrics-identity       also per systemd unit and per container, under the same cap\n"
	      "\n"
	      "Tuning:\n"
	      "      --interval MS     drain the ring buffer every MS ms (1-10000, default 100)\n"
	      "      --ring-size MB    ring buffers in MiB, a power of two (1-1024, default 4), shared out\n"
	      "                        among one ring per CPU (each at least 256 KiB)\n"
	      "      --keepalive-slots N  sockets whose keepalive timer is followed (1024-4194304, default 65536)\n"
	      "      --max-tracked N   sockets followed at once (1024-67108864, default 262144; beyond: counted\n"
	      "                        as untracked and said; up front, at most 37 bytes of kernel memory\n"
	      "                        per socket: 9.25 MiB at the default)\n"
	      "      --no-existing     do not adopt connections open before start-up\n"
	      "      --user NAME       once attached, run as NAME (capabilities are always dropped then)\n"
	      "  -v, --verbose         show libbpf's messages (verifier logs)\n"
	      "  -h, --help            this text\n"
	      "  -V, --version         version\n"
	      "\n"
	      "Exit status: 0 ok, 1 runtime failure (privileges, kernel), 2 bad arguments.\n",
	      out);
}

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -1;
}

/* Seconds with an optional fraction ("2", "0.5"), within [min_ms, max_ms] once in ms. */
static int parse_seconds_ms(const char *s, uint32_t min_ms, uint32_t max_ms, uint32_t *out)
{
	double v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || v != v || v * 1000 < min_ms || v * 1000 > max_ms)
		return -1;
	*out = (uint32_t)(v * 1000 + 0.5);
	return 0;
}

static int64_t with_unit(const char *s, const char *units, const int64_t *factors)
{
	unsigned long long v;
	const char *u;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || v == 0)
		return -1;
	if (!*end)
		return v > (unsigned long long)INT64_MAX ? -1 : (int64_t)v;
	u = end[1] ? NULL : strchr(units, *end);
	if (!u || !*end || v > (unsigned long long)(INT64_MAX / factors[u - units]))
		return -1;
	return (int64_t)v * factors[u - units];
}

int64_t tf_parse_duration(const char *s)
{
	static const int64_t factors[] = { 1, 60, 3600, 86400 };

	return with_unit(s, "smhd", factors);
}

int64_t tf_parse_size(const char *s)
{
	static const int64_t factors[] = { 1024, 1024 * 1024, 1024 * 1024 * 1024 };

	return with_unit(s, "KMG", factors);
}

/* Whole decimal number within [min, max]; nothing else on the string. */
static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int tf_option_pid(const char *arg, uint32_t *pids, int *n_pids, char *err, size_t err_len)
{
	uint32_t v;

	if (parse_u32(arg, 1, 4194304, &v))
		return fail(err, err_len, "invalid --pid '%s': expected a process ID", arg);
	if (*n_pids == TF_FILTER_MAX)
		return fail(err, err_len, "too many --pid options (at most %d)", TF_FILTER_MAX);
	pids[(*n_pids)++] = v;
	return 0;
}

int tf_option_comm(const char *arg, char comm[TF_COMM_LEN], char *err, size_t err_len)
{
	size_t n = strlen(arg);

	if (!n || n >= TF_COMM_LEN)
		return fail(err, err_len, "invalid --comm '%s': expected 1-%d characters", arg, TF_COMM_LEN - 1);
	memcpy(comm, arg, n + 1);
	return 0;
}

int tf_option_output(const char *arg, const char **output, char *err, size_t err_len)
{
	if (!*arg)
		return fail(err, err_len, "invalid --output '': expected a file name");
	*output = arg;
	return 0;
}

int tf_option_getopt_error(int c, char **argv, const char *help, char *err, size_t err_len)
{
	if (c == ':')
		return fail(err, err_len, "option '%s' needs a value", argv[optind - 1]);
	return fail(err, err_len, "unknown option '%s' (see %s)", argv[optind - 1], help);
}

void tf_option_getopt_reset(void)
{
	optind = 0; /* 0, not 1: glibc then also forgets the rest of a bundle like -xj from a previous parse */
	opterr = 0;
}

int tf_options_parse(struct tf_options *o, int argc, char **argv, char *err, size_t err_len)
{
	uint32_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->interval_ms = 100;
	o->ring_mb = 4;
	o->keepalive_slots = 65536;
	/*
	 * The scan's idle cost grows with the table, used or not (see the
	 * loader), so the default covers a busy host, not the largest one: hosts
	 * with more open sockets raise it, and a full table is said on stderr
	 * while it happens.
	 */
	o->max_tracked = 1 << 18;
	o->scan_interval_ms = 1000;
	o->warn_after_ms[TF_WARN_STALLED] = 5000;
	o->warn_after_ms[TF_WARN_CLOSE_WAIT] = 10000;
	o->warn_after_ms[TF_WARN_RETRANSMITTING] = 3000;
	o->warn_after_ms[TF_WARN_ZERO_WINDOW] = 5000;

	tf_option_getopt_reset();
	while ((c = getopt_long(argc, argv, ":p:c:46xjo:qvhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (tf_option_pid(optarg, o->filter.pids, &o->filter.n_pids, err, err_len))
				return -1;
			break;
		case 'c':
			if (tf_option_comm(optarg, o->filter.comm, err, err_len))
				return -1;
			break;
		case OPT_PORT:
			if (parse_u32(optarg, 1, 65535, &v))
				return fail(err, err_len, "invalid --port '%s': expected 1-65535", optarg);
			if (o->filter.n_ports == TF_FILTER_MAX)
				return fail(err, err_len, "too many --port options (at most %d)", TF_FILTER_MAX);
			o->filter.ports[o->filter.n_ports++] = (uint16_t)v;
			break;
		case OPT_IDENTITY:
			o->show_identity = true;
			break;
		case OPT_METRICS_IDENTITY:
			o->metrics_identity = true;
			break;
		case OPT_CONTAINER:
			if (tf_option_container(optarg, &o->filter.identity, err, err_len))
				return -1;
			break;
		case OPT_UNIT:
			if (tf_option_unit(optarg, &o->filter.identity, err, err_len))
				return -1;
			break;
		case OPT_CGROUP:
			if (tf_option_cgroup(optarg, &o->filter.identity, err, err_len))
				return -1;
			break;
		case '4':
		case '6':
			if (o->filter.family && o->filter.family != c - '0')
				return fail(err, err_len, "-4 and -6 exclude each other");
			o->filter.family = c - '0';
			break;
		case 'x':
			o->filter.failures_only = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'o':
			if (tf_option_output(optarg, &o->output, err, err_len))
				return -1;
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_DURATION:
			if (parse_u32(optarg, 1, 31536000, &o->duration_s))
				return fail(err, err_len, "invalid --duration '%s': expected 1-31536000 seconds", optarg);
			break;
		case OPT_INTERVAL:
			if (parse_u32(optarg, 1, 10000, &o->interval_ms))
				return fail(err, err_len, "invalid --interval '%s': expected 1-10000 ms", optarg);
			break;
		case OPT_RING_MB:
			if (parse_u32(optarg, 1, 1024, &v) || (v & (v - 1)))
				return fail(err, err_len, "invalid --ring-size '%s': expected a power of two, 1-1024 MiB", optarg);
			o->ring_mb = v;
			break;
		case OPT_KEEPALIVE_SLOTS:
			if (parse_u32(optarg, 1024, 4194304, &o->keepalive_slots))
				return fail(err, err_len, "invalid --keepalive-slots '%s': expected 1024-4194304", optarg);
			break;
		case OPT_MAX_TRACKED:
			if (parse_u32(optarg, 1024, 67108864, &o->max_tracked))
				return fail(err, err_len, "invalid --max-tracked '%s': expected 1024-67108864", optarg);
			break;
		case OPT_SCAN_INTERVAL:
			if (parse_u32(optarg, 0, 60000, &o->scan_interval_ms) ||
			    (o->scan_interval_ms && o->scan_interval_ms < 100))
				return fail(err, err_len, "invalid --scan-interval '%s': expected 0 or 100-60000 ms", optarg);
			break;
		case OPT_WARN_STALLED:
		case OPT_WARN_CLOSE_WAIT:
		case OPT_WARN_RETRANS:
		case OPT_WARN_ZERO_WINDOW: {
			static const int kinds[] = { TF_WARN_STALLED, TF_WARN_CLOSE_WAIT, TF_WARN_RETRANSMITTING,
						     TF_WARN_ZERO_WINDOW };
			static const char *const flags[] = { "stalled", "close-wait", "retrans", "zero-window" };
			int which = c - OPT_WARN_STALLED;

			if (parse_seconds_ms(optarg, 100, 86400000, &o->warn_after_ms[kinds[which]]))
				return fail(err, err_len, "invalid --warn-%s '%s': expected 0.1-86400 seconds",
					    flags[which], optarg);
			break;
		}
		case OPT_USER:
			if (!*optarg || strlen(optarg) > 32)
				return fail(err, err_len, "invalid --user '%s': expected a user name", optarg);
			o->user = optarg;
			break;
		case OPT_RECORD:
			if (!*optarg)
				return fail(err, err_len, "invalid --record '': expected a file name");
			o->record = optarg;
			break;
		case OPT_HOST_ROOT: {
			struct stat st;

			if (stat(optarg, &st) || !S_ISDIR(st.st_mode))
				return fail(err, err_len, "invalid --host-root '%s': expected a directory", optarg);
			o->host_root = optarg;
			break;
		}
		case OPT_RECORD_OK:
			if (strcmp(optarg, "rollup") && strcmp(optarg, "full"))
				return fail(err, err_len, "invalid --record-ok '%s': expected rollup or full", optarg);
			o->record_ok_full = !strcmp(optarg, "full");
			o->record_ok_given = true;
			break;
		case OPT_MAX_AGE: {
			int64_t secs = tf_parse_duration(optarg);

			if (secs <= 0)
				return fail(err, err_len, "invalid --max-age '%s': expected a duration like 90s, 15m, 12h, 7d", optarg);
			o->max_age_s = (uint64_t)secs;
			break;
		}
		case OPT_MAX_SIZE: {
			int64_t bytes = tf_parse_size(optarg);

			if (bytes < 65536)
				return fail(err, err_len, "invalid --max-size '%s': expected a size of at least 64K, like 100M or 2G", optarg);
			o->max_size_bytes = (uint64_t)bytes;
			break;
		}
		case OPT_METRICS: {
			struct sockaddr_storage ss;
			socklen_t len;

			if (tf_parse_listen_addr(optarg, &ss, &len))
				return fail(err, err_len,
					    "invalid --metrics '%s': expected [ADDR:]PORT (e.g. 9187, 0.0.0.0:9187, [::1]:9187)",
					    optarg);
			o->metrics = optarg;
			break;
		}
		case OPT_METRICS_TOP:
			if (parse_u32(optarg, 0, 1000, &o->metrics_top))
				return fail(err, err_len, "invalid --metrics-top '%s': expected 0-1000", optarg);
			break;
		case OPT_NO_EXISTING:
			o->no_existing = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			break;
		case 'V':
			o->version = true;
			break;
		default:
			return tf_option_getopt_error(c, argv, "--help", err, err_len);
		}
	}
	if (optind < argc)
		return fail(err, err_len, "unexpected argument '%s' (see --help)", argv[optind]);
	if ((o->max_age_s || o->max_size_bytes || o->record_ok_given) && !o->record)
		return fail(err, err_len, "--max-age, --max-size and --record-ok apply to --record");
	return 0;
}
