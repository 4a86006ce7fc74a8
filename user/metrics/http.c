// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "metrics/listen_addr.h"
#include "metrics/http.h"

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								     MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct tf_metrics_server *s = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *body = NULL;
	long len;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET\n");
	if (!strcmp(url, "/"))
		return reply(conn, MHD_HTTP_OK, "tcpfate: metrics at /metrics\n");
	if (strcmp(url, "/metrics"))
		return reply(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");

	/* Rendered into memory under the metrics lock; sent after it is released. */
	len = tf_metrics_render(s->metrics, &body);
	if (len < 0)
		return reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render metrics\n");
	resp = MHD_create_response_from_buffer((size_t)len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	ret = MHD_queue_response(conn, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ret;
}

int tf_metrics_server_start(struct tf_metrics_server *s, struct tf_metrics *m, const char *spec, char *err,
			    size_t err_len)
{
	struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD;
	socklen_t len;

	memset(s, 0, sizeof(*s));
	s->metrics = m;
	if (tf_parse_listen_addr(spec, &ss, &len)) {
		snprintf(err, err_len, "invalid --metrics '%s': expected [ADDR:]PORT (e.g. 9187, 0.0.0.0:9187, [::1]:9187)",
			 spec);
		return -1;
	}
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_CONNECTION_LIMIT, 32U, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
				     MHD_OPTION_END);
	if (!s->daemon) {
		snprintf(err, err_len, "cannot serve metrics on %s: %s", spec, strerror(errno ? errno : EADDRINUSE));
		return -1;
	}
	return 0;
}

void tf_metrics_server_stop(struct tf_metrics_server *s)
{
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
}
