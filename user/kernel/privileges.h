/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Least privilege: once the BPF programs are loaded and attached, tcpfate
 * needs no capability at all (reading maps and iterators goes through file
 * descriptors it already holds).  It drops them, and can become another user.
 */
#ifndef TF_PRIVILEGES_H
#define TF_PRIVILEGES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Who to become (--user), looked up before anything is loaded: a bad name stops tcpfate first. */
struct tf_run_as {
	const char *name; /* NULL: stay who we are */
	uid_t uid;
	gid_t gid;
};

/* Returns 0, or -1 with a one-line reason in err. */
int tf_find_user(const char *name, struct tf_run_as *as, char *err, size_t err_len);
/* Becomes as->name (if set) and drops every capability. Returns 0, or -1 with a one-line reason in err. */
int tf_drop_privileges(const struct tf_run_as *as, char *err, size_t err_len);

#endif
