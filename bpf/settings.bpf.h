/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The timer settings in force on a socket that failed: what its own options
 * set, else what its network namespace's sysctls say, as the kernel itself
 * decides (keepalive_time_when() and friends).  Read only for failures: an
 * ok close pays nothing.  Uses `ns_per_jiffy` from the including file.
 */
#ifndef TF_SETTINGS_BPF_H
#define TF_SETTINGS_BPF_H

/* Jiffies to milliseconds, rounded: at HZ 300 a jiffy is not a whole number of nanoseconds. */
static __always_inline __u32 jiffies_to_ms(__u64 j)
{
	return (__u32)((j * ns_per_jiffy + NSEC_PER_MSEC / 2) / NSEC_PER_MSEC);
}

/*
 * The sysctls changed width over the years (tcp_retries2 was an int before
 * 5.17, a u8 since): read with the field's size in the running kernel.
 */
#define netns_sysctl(ipv4, field) ((__u64)BPF_CORE_READ_BITFIELD_PROBED(ipv4, field))

static __always_inline void read_timer_settings(struct tf_record *r, const struct tcp_sock *tp)
{
	const struct inet_connection_sock *icsk = &tp->inet_conn;
	const struct net *net = icsk->icsk_inet.sk.__sk_common.skc_net.net;
	const struct netns_ipv4 *ipv4 = &net->ipv4;
	__u32 idle = tp->keepalive_time, intvl = tp->keepalive_intvl;
	__u8 probes = tp->keepalive_probes, syncnt = icsk->icsk_syn_retries;
	__u8 own = 0;

	if (syncnt)
		own |= TF_OWN_SYNCNT;
	else
		syncnt = netns_sysctl(ipv4, sysctl_tcp_syn_retries);
	if (idle)
		own |= TF_OWN_KEEPIDLE;
	else
		idle = netns_sysctl(ipv4, sysctl_tcp_keepalive_time);
	if (intvl)
		own |= TF_OWN_KEEPINTVL;
	else
		intvl = netns_sysctl(ipv4, sysctl_tcp_keepalive_intvl);
	if (probes)
		own |= TF_OWN_KEEPCNT;
	else
		probes = netns_sysctl(ipv4, sysctl_tcp_keepalive_probes);
	r->syn_retries_max = syncnt;
	r->retries2 = netns_sysctl(ipv4, sysctl_tcp_retries2);
	r->user_timeout_ms = icsk->icsk_user_timeout;
	r->keepalive_time_ms = jiffies_to_ms(idle);
	r->keepalive_intvl_ms = jiffies_to_ms(intvl);
	r->keepalive_probes_max = probes;
	r->own_settings = own;
	r->flags |= TF_F_SETTINGS;
}

#endif
