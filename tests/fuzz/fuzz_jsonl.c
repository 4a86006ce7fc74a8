// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* libFuzzer target: the JSON-lines reader of `tcpfate report`. */
#include <stdint.h>
#include <stdio.h>
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_report_filter filter;
	struct tf_rows rows = { 0 };
	struct tf_report rep;
	char err[512];
	FILE *in;

	if (!size)
		return 0;
	in = fmemopen((void *)data, size, "r");
	if (!in)
		return 0;
	tf_report_filter_init(&filter);
	if (!tf_report_read_jsonl(in, "fuzz", &filter, &rows, err, sizeof(err)) && !tf_report_build(&rows, &rep)) {
		FILE *out = fopen("/dev/null", "w");

		if (out) {
			tf_report_text(out, &rep);
			tf_report_json(out, &rep);
			tf_report_html(out, &rep);
			fclose(out);
		}
		tf_report_free(&rep);
	}
	fclose(in);
	tf_rows_free(&rows);
	return 0;
}
