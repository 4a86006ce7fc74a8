// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include <sys/socket.h>
#include "live/filter.h"

static bool pid_match(const struct tf_filter *f, uint32_t pid)
{
	if (!f->n_pids)
		return true;
	for (int i = 0; i < f->n_pids; i++)
		if (f->pids[i] == pid)
			return true;
	return false;
}

static bool port_match(const struct tf_filter *f, uint16_t sport, uint16_t dport)
{
	if (!f->n_ports)
		return true;
	for (int i = 0; i < f->n_ports; i++)
		if (f->ports[i] == sport || f->ports[i] == dport)
			return true;
	return false;
}

static bool owner_and_ends_match(const struct tf_filter *f, int family, uint32_t pid, const char *comm,
				 uint16_t sport, uint16_t dport)
{
	if (f->family && f->family != family)
		return false;
	if (f->comm[0] && strncmp(f->comm, comm, TF_COMM_LEN))
		return false;
	return pid_match(f, pid) && port_match(f, sport, dport);
}

/*
 * --container (an id prefix, as `docker ps` shortens them), --unit (a name),
 * --cgroup (a path prefix, at a component boundary).  A socket whose cgroup
 * is unknown matches none of them.
 */
static bool identity_match(const struct tf_filter *f, const struct tf_cgroup *cg)
{
	size_t n;

	if (!f->container[0] && !f->unit[0] && !f->cgroup[0])
		return true;
	if (!cg)
		return false;
	if (f->container[0] && strncmp(cg->ident.container_id, f->container, strlen(f->container)))
		return false;
	if (f->unit[0] && strcmp(cg->ident.unit, f->unit))
		return false;
	n = strlen(f->cgroup);
	if (n && (strncmp(cg->path, f->cgroup, n) || (cg->path[n] && cg->path[n] != '/' && f->cgroup[n - 1] != '/')))
		return false;
	return true;
}

bool tf_filter_match(const struct tf_filter *f, const struct tf_conn_view *v)
{
	const struct tf_record *r = v->rec;

	if (f->failures_only && v->verdict.label == TF_LABEL_OK)
		return false;
	return owner_and_ends_match(f, v->family, r->pid, r->comm, r->sport, r->dport) &&
	       identity_match(f, v->cgroup);
}

bool tf_filter_match_sample(const struct tf_filter *f, const struct tf_open_sample *s, const struct tf_cgroup *cg)
{
	return owner_and_ends_match(f, s->family == AF_INET6 ? 6 : 4, s->pid, s->comm, s->sport, s->dport) &&
	       identity_match(f, cg);
}
