/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* How a connection ended: a pure function of the facts the kernel recorded. */
#ifndef TF_CLASSIFY_H
#define TF_CLASSIFY_H

#include <stdbool.h>
#include "tcpfate.h"

enum tf_label {
	TF_LABEL_OK,
	TF_LABEL_HANG_UP,
	TF_LABEL_RESET,
	TF_LABEL_REFUSED,
	TF_LABEL_SYN_TIMEOUT,
	TF_LABEL_RETRIES_EXHAUSTED,
	TF_LABEL_UNREACHABLE,
	TF_LABEL_COUNT,
};

struct tf_verdict {
	enum tf_label label;
	const char *cause; /* short token, see the decision table in README.md */
	int err;           /* errno the application saw; 0 when it saw none */
};

struct tf_verdict tf_classify(const struct tf_record *r);
const char *tf_label_name(enum tf_label label);
/* Parses a label name; returns -1 when it is not one. */
int tf_label_parse(const char *name);
bool tf_errno_is_unreachable(int err);
/* The kernel answered data that came after the application closed: an RST it sent, none received. */
bool tf_answered_late_data(const struct tf_record *r);
/*
 * The reason for an RST we sent, where the kernel gives none (before 6.10),
 * from the facts that only one kernel path leaves; NULL: unknown.
 */
const char *tf_inferred_rst_reason(const struct tf_record *r);

#endif
