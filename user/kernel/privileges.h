/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Least privilege: once the BPF programs are loaded and attached, tcpfate
 * needs no capability at all (reading maps and iterators goes through file
 * descriptors it already holds).  It drops them, and can become another user.
 */
#ifndef TF_PRIVILEGES_H
#define TF_PRIVILEGES_H

#include <stddef.h>

/* user: NULL to stay who we are. Returns 0, or -1 with a one-line reason in err. */
int tf_drop_privileges(const char *user, char *err, size_t err_len);

#endif
