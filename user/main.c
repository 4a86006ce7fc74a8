// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpfate: what really happened to each TCP connection on this host. */
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "lib/log.h"
#include "live/monitor.h"
#include "options.h"
#include "identity/runtime_names.h"
#include "report/report.h"

static bool verbose_libbpf;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	/* libbpf's messages span many lines; by default our own one-line error says what failed. */
	if (!verbose_libbpf)
		return 0;
	return vfprintf(stderr, fmt, args);
}

int main(int argc, char **argv)
{
	struct tf_options opts;
	char err[256];

	/* Subcommands; the live monitor is the default. */
	if (argc > 1 && !strcmp(argv[1], "report"))
		return tf_report_main(argc - 1, argv + 1);

	if (tf_options_parse(&opts, argc, argv, err, sizeof(err))) {
		tf_error("%s", err);
		return 2;
	}
	if (opts.help) {
		tf_options_usage(stdout);
		return 0;
	}
	if (opts.version) {
		printf("tcpfate %s\n", TCPFATE_VERSION);
		return 0;
	}
	verbose_libbpf = opts.verbose;
	tf_runtime_names_root(opts.host_root);
	libbpf_set_print(libbpf_print);
	return tf_monitor_run(&opts);
}
