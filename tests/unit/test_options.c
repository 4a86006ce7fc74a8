// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "check.h"
#include "options.h"

static int parse(struct tf_options *o, char *err, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = { "tcpfate", (char *)a1, (char *)a2, (char *)a3, NULL };
	int argc = 1 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);

	return tf_options_parse(o, argc, argv, err, 256);
}

static void rejects(const char *a1, const char *a2, const char *want_err)
{
	struct tf_options o;
	char err[256] = "";

	CHECK(parse(&o, err, a1, a2, NULL) == -1, "'%s %s' is rejected", a1, a2 ? a2 : "");
	CHECK(strstr(err, want_err) != NULL, "'%s %s' says \"%s\" (said: %s)", a1, a2 ? a2 : "", want_err, err);
	CHECK(strchr(err, '\n') == NULL, "'%s' error is one line", a1);
}

int main(void)
{
	struct tf_options o;
	char err[256];

	CHECK(parse(&o, err, NULL, NULL, NULL) == 0, "no arguments is fine");
	CHECK_INT(o.interval_ms, 100, "default drain interval");
	CHECK_INT(o.ring_mb, 4, "default ring size");
	CHECK(!o.json && !o.filter.failures_only, "defaults: text, every connection");

	CHECK(parse(&o, err, "-p", "42", "--pid=7") == 0, "repeatable --pid");
	CHECK_INT(o.filter.n_pids, 2, "two pids");
	CHECK_INT(o.filter.pids[1], 7, "second pid");

	CHECK(parse(&o, err, "--port", "443", "-6") == 0, "--port and -6");
	CHECK_INT(o.filter.ports[0], 443, "port");
	CHECK_INT(o.filter.family, 6, "family");

	CHECK(parse(&o, err, "-xj", "--duration", "5") == 0, "bundled short options");
	CHECK(o.filter.failures_only && o.json, "-x and -j");
	CHECK_INT(o.duration_s, 5, "duration");

	CHECK(parse(&o, err, "-c", "node", NULL) == 0, "--comm");
	CHECK_STR(o.filter.comm, "node", "comm");

	rejects("--pid", "abc", "invalid --pid 'abc'");
	rejects("--pid", "0", "invalid --pid");
	rejects("--pid", "-3", "invalid --pid");
	rejects("--pid", "99999999999999999999", "invalid --pid");
	rejects("--port", "65536", "invalid --port");
	rejects("--port", "80x", "invalid --port");
	rejects("--duration", "0", "invalid --duration");
	rejects("--ring-size", "3", "power of two");
	rejects("--interval", "", "invalid --interval");
	rejects("-c", "a-very-long-process-name", "1-15 characters");
	rejects("--bogus", NULL, "unknown option '--bogus'");
	rejects("--pid", NULL, "needs a value");
	rejects("stray", NULL, "unexpected argument 'stray'");
	rejects("-4", "-6", "exclude each other");
	/* The recording's ok rows, and where the host's files are. */
	CHECK(parse(&o, err, "--record=/tmp/x.db", "--record-ok", "full") == 0 && o.record_ok_full,
	      "--record-ok full: a row per ok connection");
	CHECK(parse(&o, err, "--record=/tmp/x.db", "--record-ok", "rollup") == 0 && !o.record_ok_full,
	      "--record-ok rollup: the default, said");
	CHECK(parse(&o, err, "--record=/tmp/x.db", NULL, NULL) == 0 && !o.record_ok_full, "ok rollups by default");
	rejects("--record-ok", "all", "expected rollup or full");
	rejects("--record-ok", "full", "apply to --record");
	CHECK(parse(&o, err, "--host-root", "/", NULL) == 0 && !strcmp(o.host_root, "/"), "--host-root /");
	rejects("--host-root", "/nonexistent/tcpfate", "expected a directory");
	rejects("--container", "we b", "expected a container name or the start of its id");
	return CHECK_DONE();
}
