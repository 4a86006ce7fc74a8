// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include "kernel/privileges.h"

int tf_drop_privileges(const char *user, char *err, size_t err_len)
{
	cap_t none;

	if (user) {
		struct passwd *pw;

		errno = 0;
		pw = getpwnam(user);
		if (!pw) {
			snprintf(err, err_len, "--user %s: %s", user, errno ? strerror(errno) : "no such user");
			return -1;
		}
		/* Groups first, then the group, then the user: the other way round is not allowed. */
		if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid)) {
			snprintf(err, err_len, "--user %s: cannot switch: %s", user, strerror(errno));
			return -1;
		}
		if (setuid(0) == 0) {
			snprintf(err, err_len, "--user %s: could switch back to root", user);
			return -1;
		}
	}
	/* Every capability, in every set: nothing that comes later needs one. */
	none = cap_init();
	if (!none || cap_set_proc(none)) {
		snprintf(err, err_len, "cannot drop capabilities: %s", strerror(errno));
		cap_free(none);
		return -1;
	}
	cap_free(none);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
