// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "lib/log.h"
#include "lib/private_file.h"
#include "output/sink.h"

#define OUTPUT_BUFFER_BYTES (1 << 20)

/*
 * Lines leave at each drain cycle's flush anyway, so a big stdio buffer adds
 * no delay; it turns the cycle's output into one large write, which the page
 * cache takes in large folios instead of page by page (small writes were a
 * third of the consumer's CPU under churn).  A terminal keeps its line
 * buffering.
 */
static void buffer_output(FILE *f)
{
	/* One stream is in use at a time (stdout, or the file that replaced the last one). */
	static char buffer[OUTPUT_BUFFER_BYTES];

	if (!isatty(fileno(f)))
		setvbuf(f, buffer, _IOFBF, sizeof(buffer));
}

int tf_sink_open(struct tf_output_sink *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->path = path;
	s->f = path ? tf_open_private(path, true, "output") : stdout;
	if (!s->f)
		return -1;
	buffer_output(s->f);
	return 0;
}

bool tf_sink_flush(struct tf_output_sink *s)
{
	if (s->broken)
		return false;
	if (fflush(s->f) != EOF)
		return true;
	if (errno == EPIPE) {
		s->broken = true;
		return false;
	}
	/* A full disk: counted, said once a minute, and monitoring goes on. */
	time_t now = time(NULL);

	if (now - s->last_warning >= 60) {
		tf_warn("cannot write output: %s (lines are lost until it can)", strerror(errno));
		s->last_warning = now;
	}
	s->errors++;
	clearerr(s->f);
	return true;
}

void tf_sink_reopen(struct tf_output_sink *s)
{
	FILE *f;

	if (!s->path)
		return;
	f = tf_open_private(s->path, true, "output");
	if (!f)
		return; /* it said why; the old file still takes the lines */
	tf_sink_flush(s);
	fclose(s->f);
	s->f = f;
	buffer_output(f); /* before its first write, and after the old one let go of the buffer */
	s->broken = false;
}

void tf_sink_close(struct tf_output_sink *s)
{
	if (s->f && s->f != stdout && fclose(s->f))
		tf_warn("closing the output: %s", strerror(errno));
	s->f = NULL;
}
