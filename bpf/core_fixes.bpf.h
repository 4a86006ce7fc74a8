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

#endif /* TF_CORE_FIXES_BPF_H */
