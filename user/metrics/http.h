/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* GET /metrics over HTTP (libmicrohttpd, its own thread: a scrape never waits on the event loop). */
#ifndef TF_METRICS_HTTP_H
#define TF_METRICS_HTTP_H

#include <stddef.h>
#include "metrics/metrics.h"

struct MHD_Daemon;

struct tf_metrics_server {
	struct MHD_Daemon *daemon;
	struct tf_metrics *metrics;
};

/* spec: "[ADDR:]PORT". Returns 0, or -1 with a one-line reason in err. */
int tf_metrics_server_start(struct tf_metrics_server *s, struct tf_metrics *m, const char *spec, char *err,
			    size_t err_len);
void tf_metrics_server_stop(struct tf_metrics_server *s);

#endif
