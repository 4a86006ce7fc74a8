// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer target: the argument-level parsers (times, durations, sizes, listen addresses, options). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "metrics/listen_addr.h"
#include "options.h"
#include "report/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_storage ss;
	struct tf_options opts;
	char *s = malloc(size + 1), err[256];
	char *argv[4] = { "tcpfate", NULL, NULL, NULL };
	socklen_t len;
	double t;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	tf_parse_time(s, 1795356000, &t);
	tf_parse_duration(s);
	tf_parse_size(s);
	tf_parse_listen_addr(s, &ss, &len);
	/* As an option value and as an option. */
	argv[1] = "--metrics";
	argv[2] = s;
	tf_options_parse(&opts, 3, argv, err, sizeof(err));
	argv[1] = s;
	tf_options_parse(&opts, 2, argv, err, sizeof(err));
	free(s);
	return 0;
}
