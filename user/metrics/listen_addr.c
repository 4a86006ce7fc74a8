// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "metrics/listen_addr.h"

static int parse_port(const char *s, in_port_t *port)
{
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -1;
	*port = htons((uint16_t)v);
	return 0;
}

int tf_parse_listen_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	size_t host_len;

	memset(ss, 0, sizeof(*ss));
	if (spec[0] == '[') { /* [IPv6]:PORT */
		const char *close = strchr(spec, ']');

		if (!close || close[1] != ':' || (size_t)(close - spec - 1) >= sizeof(host))
			return -1;
		memcpy(host, spec + 1, (size_t)(close - spec - 1));
		host[close - spec - 1] = 0;
		v6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1 || parse_port(close + 2, &v6->sin6_port))
			return -1;
		*len = sizeof(*v6);
		return 0;
	}
	v4->sin_family = AF_INET;
	colon = strrchr(spec, ':');
	if (!colon) { /* PORT alone: loopback */
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*v4);
		return parse_port(spec, &v4->sin_port);
	}
	host_len = (size_t)(colon - spec);
	if (host_len >= sizeof(host) || strchr(spec, ':') != colon)
		return -1; /* a bare IPv6 address needs brackets */
	memcpy(host, spec, host_len);
	host[host_len] = 0;
	if (inet_pton(AF_INET, host, &v4->sin_addr) != 1 || parse_port(colon + 1, &v4->sin_port))
		return -1;
	*len = sizeof(*v4);
	return 0;
}
