/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* "[ADDR:]PORT" for --metrics: loopback unless an address is given. */
#ifndef TF_LISTEN_ADDR_H
#define TF_LISTEN_ADDR_H

#include <sys/socket.h>

/* Returns 0 and fills ss/len, or -1 for anything that is not [IPv4:]PORT or [IPv6]:PORT. */
int tf_parse_listen_addr(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

#endif
