/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* One-line messages on stderr: "tcpfate: error: ..." and "tcpfate: warning: ...". */
#ifndef TF_LOG_H
#define TF_LOG_H

void tf_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tf_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
