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

static bool identity_match(const struct tf_filter *f, const struct tf_cgroup *cg)
{
	if (tf_identity_filter_empty(&f->identity))
		return true;
	return cg && tf_identity_filter_match(&f->identity, cg->ident.container_id, cg->ident.container_name, cg->ident.unit,
					    cg->path);
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
