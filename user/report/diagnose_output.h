/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A diagnosis written out, the same in a report and in the live monitor's exit summary. */
#ifndef TF_DIAGNOSE_OUTPUT_H
#define TF_DIAGNOSE_OUTPUT_H

#include <stdio.h>
#include "lib/json_writer.h"
#include "report/diagnose.h"

/*
 * Three lines: the group and its finding, "matches ...", the advice; then a
 * line of example connections.  Each line starts with indent.
 */
void tf_diagnosis_print_text(FILE *out, const struct tf_diagnosis *d, const char *indent);
/* "e.g. TIME SADDR:SPORT > DADDR:DPORT pid N (X s); ..."; "" without examples. */
void tf_diagnosis_examples_text(const struct tf_diagnosis *d, char *buf, size_t len);
/* The diagnosis's fields into an object already begun. */
void tf_diagnosis_json_fields(struct json_writer *w, const struct tf_diagnosis *d);

#endif
