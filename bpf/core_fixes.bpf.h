/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Kernel layouts that changed, one shim each: the older layout as a
 * "___flavor" type (CO-RE matches it by name and field), and an accessor
 * that picks whichever the running kernel has.  The committed vmlinux.h is
 * the newest layout.
 */
#ifndef TF_CORE_FIXES_BPF_H
#define TF_CORE_FIXES_BPF_H

/*
 * The keepalive timer: its own field of struct inet_connection_sock up to
 * 6.12 (icsk_keepalive_timer, seen on Debian's 6.1 and 6.12), the socket's
 * sk_timer in 6.18.  Read the wrong one and the timer hook works out the
 * wrong socket address.
 */
struct inet_connection_sock___keepalive_field {
	struct timer_list icsk_keepalive_timer;
} __attribute__((preserve_access_index));

static __always_inline struct sock *sock_of_keepalive_timer(const struct timer_list *timer)
{
	if (bpf_core_field_exists(struct inet_connection_sock___keepalive_field, icsk_keepalive_timer))
		return (void *)timer -
		       bpf_core_field_offset(struct inet_connection_sock___keepalive_field, icsk_keepalive_timer);
	return (void *)timer - bpf_core_field_offset(struct sock, sk_timer);
}

/*
 * The socket's cgroup (v2): set when the socket is made (an accepted one
 * inherits its listener's) and never changed after, whichever process holds
 * it later.  Since 5.15 sock_cgroup_data points at the cgroup; before, it was
 * a union whose `val` holds the pointer unless its low bit says it holds
 * net_cls/net_prio data instead.  Returns the cgroup's id (its directory's
 * inode number in the cgroup2 file system), 0 when unknown.
 */
struct sock_cgroup_data___union {
	__u64 val;
} __attribute__((preserve_access_index));

struct sock___union_cgrp {
	struct sock_cgroup_data___union sk_cgrp_data;
} __attribute__((preserve_access_index));

static __always_inline __u64 sock_cgroup_id(const struct sock *sk)
{
	struct cgroup *cgrp;
	__u64 val;

	/* A typed pointer: direct loads, as for the namespace (the callers' sockets are trusted). */
	if (bpf_core_field_exists(struct sock_cgroup_data, cgroup)) {
		cgrp = sk->sk_cgrp_data.cgroup;
		return cgrp ? cgrp->kn->id : 0;
	}
	/* The older union holds an integer: what it points at is read with probe reads. */
	val = BPF_CORE_READ((const struct sock___union_cgrp *)sk, sk_cgrp_data.val);
	cgrp = (val & 1) ? NULL : (struct cgroup *)val;
	return cgrp ? BPF_CORE_READ(cgrp, kn, id) : 0;
}

#endif /* TF_CORE_FIXES_BPF_H */
