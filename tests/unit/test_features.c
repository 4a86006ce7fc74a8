// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What the kernel offers, from what it says: its config's HZ, plain or gzip, and a measured HZ. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>
#include "check.h"
#include "kernel/features.h"

static const char CONFIG[] = "# Linux/x86 6.1 Kernel Configuration\nCONFIG_HZ_250=y\nCONFIG_HZ=250\nCONFIG_SCHED_HRTICK=y\n";

static void config_hz(void)
{
	char plain[] = "/tmp/tcpfate-config.XXXXXX", packed[] = "/tmp/tcpfate-config-gz.XXXXXX";
	int fd = mkstemp(plain), gfd = mkstemp(packed);
	gzFile gz;

	CHECK(fd >= 0 && gfd >= 0, "temporary files");
	if (fd < 0 || gfd < 0)
		return;
	CHECK(write(fd, CONFIG, sizeof(CONFIG) - 1) == (ssize_t)sizeof(CONFIG) - 1, "plain config written");
	close(fd);
	gz = gzdopen(gfd, "w");
	gzputs(gz, CONFIG);
	gzclose(gz);
	CHECK_INT(tf_kernel_config_hz(plain), 250, "CONFIG_HZ from /boot/config-* (plain text)");
	CHECK_INT(tf_kernel_config_hz(packed), 250, "CONFIG_HZ from /proc/config.gz (gzip)");
	CHECK_INT(tf_kernel_config_hz("/nonexistent/config"), 0, "no config: 0, to be measured");
	unlink(plain);
	unlink(packed);
}

static void round_hz(void)
{
	CHECK_INT(tf_round_hz(249.2), 250, "a measured 249.2 is HZ 250");
	CHECK_INT(tf_round_hz(296.0), 300, "a measured 296 is HZ 300");
	CHECK_INT(tf_round_hz(1004.9), 1000, "a measured 1004.9 is HZ 1000");
	CHECK_INT(tf_round_hz(99.0), 100, "a measured 99 is HZ 100");
#if defined(__x86_64__)
	CHECK_INT(tf_round_hz(255.0), 250, "a measured 255 is HZ 250 (x86 has no 256)");
#endif
	CHECK_INT(tf_round_hz(700.0), 0, "700 is no value Linux is configured with");
	CHECK_INT(tf_round_hz(0.0), 0, "no jiffies at all: unknown");
}

int main(void)
{
	config_hz();
	round_hz();
	return CHECK_DONE();
}
