/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Files tcpfate writes for people (output lines, reports): created 0600,
 * since they name processes and peers, and never through a symbolic link
 * someone planted in their place.
 */
#ifndef TF_PRIVATE_FILE_H
#define TF_PRIVATE_FILE_H

#include <stdbool.h>
#include <stdio.h>

/* Opens path to append (or to truncate and write); NULL after one line on stderr naming `what`. */
FILE *tf_open_private(const char *path, bool append, const char *what);

#endif
