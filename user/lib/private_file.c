// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/private_file.h"

FILE *tf_open_private(const char *path, bool append, const char *what)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0600);
	FILE *f;

	if (fd < 0) {
		tf_error("cannot open %s %s: %s", what, path, errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return NULL;
	}
	f = fdopen(fd, append ? "a" : "w");
	if (!f) {
		tf_error("cannot open %s %s: %s", what, path, strerror(errno));
		close(fd);
	}
	return f;
}
