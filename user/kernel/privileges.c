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

int tf_find_user(const char *name, struct tf_run_as *as, char *err, size_t err_len)
{
	struct passwd *pw;

	as->name = name;
	if (!name)
		return 0;
	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		snprintf(err, err_len, "--user %s: %s", name, errno ? strerror(errno) : "no such user");
		return -1;
	}
	as->uid = pw->pw_uid;
	as->gid = pw->pw_gid;
	return 0;
}

int tf_drop_privileges(const struct tf_run_as *as, char *err, size_t err_len)
{
	cap_t none;

	if (as->name) {
		/* Groups first, then the group, then the user: the other way round is not allowed. */
		if (setgroups(0, NULL) || setgid(as->gid) || setuid(as->uid)) {
			snprintf(err, err_len, "--user %s: cannot switch: %s", as->name, strerror(errno));
			return -1;
		}
		if (setuid(0) == 0) {
			snprintf(err, err_len, "--user %s: could switch back to root", as->name);
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
