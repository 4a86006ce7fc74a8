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

/* The socket's own value where it set one (0 is "not set"), else the namespace's sysctl. */
#define own_or_netns(value, own_bit, field)                          \
	do {                                                         \
		if (value)                                           \
			own |= (own_bit);                            \
		else                                                 \
			value = netns_sysctl(ipv4, field);           \
	} while (0)

static __always_inline void read_timer_settings(struct tf_record *r, const struct tcp_sock *tp)
{
	const struct inet_connection_sock *icsk = &tp->inet_conn;
	const struct net *net = icsk->icsk_inet.sk.__sk_common.skc_net.net;
	const struct netns_ipv4 *ipv4 = &net->ipv4;
	__u32 idle = tp->keepalive_time, intvl = tp->keepalive_intvl;
	__u8 probes = tp->keepalive_probes, syncnt = icsk->icsk_syn_retries;
	__u8 own = 0;

	own_or_netns(syncnt, TF_OWN_SYNCNT, sysctl_tcp_syn_retries);
	own_or_netns(idle, TF_OWN_KEEPIDLE, sysctl_tcp_keepalive_time);
	own_or_netns(intvl, TF_OWN_KEEPINTVL, sysctl_tcp_keepalive_intvl);
	own_or_netns(probes, TF_OWN_KEEPCNT, sysctl_tcp_keepalive_probes);
	r->syn_retries_max = syncnt;
	r->syn_linear_timeouts = bpf_core_field_exists(ipv4->sysctl_tcp_syn_linear_timeouts)
					 ? netns_sysctl(ipv4, sysctl_tcp_syn_linear_timeouts)
					 : TF_SETTING_ABSENT;
	r->retries2 = netns_sysctl(ipv4, sysctl_tcp_retries2);
	r->user_timeout_ms = icsk->icsk_user_timeout;
	r->keepalive_time_ms = jiffies_to_ms(idle);
	r->keepalive_intvl_ms = jiffies_to_ms(intvl);
	r->keepalive_probes_max = probes;
	r->own_settings = own;
	r->flags |= TF_F_SETTINGS;
}

/* A record without them (ring slots are not zeroed). */
static __always_inline void clear_timer_settings(struct tf_record *r)
{
	r->user_timeout_ms = r->keepalive_time_ms = r->keepalive_intvl_ms = 0;
	r->syn_retries_max = r->retries2 = r->keepalive_probes_max = r->own_settings = 0;
	r->syn_linear_timeouts = TF_SETTING_ABSENT;
}

#endif
