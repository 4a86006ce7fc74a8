/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Keepalive probes are sent from a timer whose callback gets only the timer:
 * the socket is reached by container_of and probe reads (an untrusted
 * pointer), so its facts go to a small LRU map of their own, keyed by the
 * socket's address, and are taken when the socket moves to CLOSE.  Uses
 * `keepalive_timer_fn` from the including file.
 */
#ifndef TF_KEEPALIVE_BPF_H
#define TF_KEEPALIVE_BPF_H

struct keepalive_facts {
	__u64 first_probe_ns; /* expiry that sent the first probe of the last episode */
	__u32 fires;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* resized by userspace */
	__type(key, __u64);
	__type(value, struct keepalive_facts);
} keepalive_timers SEC(".maps");

/* Only sockets with SO_KEEPALIVE can have keepalive facts: the rest skip the lookup. */
static __always_inline struct keepalive_facts *keepalive_facts_of(const struct sock *sk, __u64 *key)
{
	return sock_flag(sk, bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN))
		       ? bpf_map_lookup_elem(&keepalive_timers, key)
		       : NULL;
}

static __always_inline void keepalive_facts_forget(__u64 *key)
{
	bpf_map_delete_elem(&keepalive_timers, key);
}

/*
 * A keepalive timer expiry.  With no probe outstanding it either re-arms or
 * sends the first probe of an episode; the last such expiry before an abort
 * is the first unanswered probe.
 */
static __always_inline void on_keepalive_timer(struct timer_list *timer)
{
	struct keepalive_facts *ka, fresh = {};
	struct sock *sk;
	__u64 key;
	__u8 probes_out;
	int state;

	if ((__u64)timer->function != keepalive_timer_fn)
		return;
	sk = sock_of_keepalive_timer(timer);
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TF_TCP_LISTEN || state == TF_TCP_CLOSE || state == TF_TCP_SYN_SENT)
		return;
	probes_out = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_probes_out);
	key = (__u64)sk;
	ka = bpf_map_lookup_elem(&keepalive_timers, &key);
	if (!ka) {
		if (bpf_map_update_elem(&keepalive_timers, &key, &fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&keepalive_timers, &key)) {
			stat_inc(TF_STAT_TIMER_MAP_FULL);
			return;
		}
		ka = bpf_map_lookup_elem(&keepalive_timers, &key);
		if (!ka)
			return;
	}
	ka->fires++;
	/*
	 * With no probe outstanding this expiry either re-arms or sends the
	 * first probe of an episode; the last such expiry before an abort is
	 * the first unanswered probe.
	 */
	if (!probes_out)
		ka->first_probe_ns = bpf_ktime_get_ns();
	return;
}

#endif /* TF_KEEPALIVE_BPF_H */
