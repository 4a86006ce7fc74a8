/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Reading a socket: its family and namespace, its flags, and the kernel's
 * clocks (jiffies, the TCP clock) turned into bpf_ktime_get_ns() time, the
 * one clock every record uses.  Uses `ns_per_jiffy` from the including file.
 */
#ifndef TF_SOCK_READ_BPF_H
#define TF_SOCK_READ_BPF_H

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL


/*
 * A namespace's inode number shares a cache line with its reference count,
 * which every socket created or freed on any CPU writes: reading it was a
 * cross-CPU cache miss per socket, ~5 % of the state-change program's time.
 * Each CPU keeps the last few it read, keyed by the namespace's address and
 * checked against its cookie (written once, in a line nobody writes), so a
 * namespace freed and another allocated at its address is never taken for it.
 */
#define NETNS_MEMO_SLOTS 16

struct netns_memo {
	__u64 net;
	__u64 cookie;
	__u32 inum;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NETNS_MEMO_SLOTS);
	__type(key, __u32);
	__type(value, struct netns_memo);
} netns_memos SEC(".maps");

static __always_inline __u64 jiffies_to_ns(__u32 stamp, __u64 now_ns, __u64 now_jiffies)
{
	__s32 ago = (__s32)((__u32)now_jiffies - stamp);

	if (ago < 0)
		ago = 0;
	return now_ns - (__u64)ago * ns_per_jiffy;
}

/*
 * A bpf_jiffies64() stamp in bpf_ktime_get_ns() time (to the jiffy).  64-bit, unlike
 * jiffies_to_ns(): the last change of a socket found gone may be weeks old.
 */
static __always_inline __u64 jiffies64_to_ns(__u64 stamp)
{
	__u64 now = bpf_ktime_get_ns(), now_j = bpf_jiffies64();
	__u64 ago = now_j > stamp ? now_j - stamp : 0;

	return now - ago * ns_per_jiffy;
}

static __always_inline bool is_inet_tcp(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	return sk->sk_protocol == IPPROTO_TCP && (family == AF_INET || family == AF_INET6);
}

/* The socket's network namespace, as in /proc/PID/ns/net (see netns_memos). */
static __always_inline __u32 netns_inum(const struct sock_common *skc)
{
	const struct net *net = skc->skc_net.net;
	__u32 slot = ((__u64)net >> 12) & (NETNS_MEMO_SLOTS - 1);
	struct netns_memo *m;
	__u64 cookie;
	__u32 inum;

	/* No cookie to check it by (an older kernel, or one that makes it on first use): no memo. */
	if (!bpf_core_field_exists(net->net_cookie))
		return net->ns.inum;
	cookie = net->net_cookie;
	m = bpf_map_lookup_elem(&netns_memos, &slot);
	if (!m || !cookie)
		return net->ns.inum;
	if (m->net == (__u64)net && m->cookie == cookie)
		return m->inum;
	inum = net->ns.inum;
	barrier_var(inum); /* one load per pointer kind: the verifier rejects a load shared by both */
	m->net = (__u64)net;
	m->cookie = cookie;
	m->inum = inum;
	return inum;
}

static __always_inline bool sock_flag(const struct sock *sk, unsigned int bit)
{
	return sk->__sk_common.skc_flags & (1UL << bit);
}

#define TF_SO_EE_ORIGIN_ICMP 2
#define TF_SO_EE_ORIGIN_ICMP6 3

/* The errno of an ICMP error at the tail of the socket's error queue; 0 if there is none. */
static __always_inline __s32 queued_icmp_errno(const struct sock *sk)
{
	struct sock_exterr_skb *serr;
	struct sk_buff *skb;
	__u8 origin;

	if (!BPF_CORE_READ(sk, sk_error_queue.qlen))
		return 0;
	skb = BPF_CORE_READ(sk, sk_error_queue.prev);
	if (!skb)
		return 0;
	serr = (void *)skb + bpf_core_field_offset(struct sk_buff, cb);
	origin = BPF_CORE_READ(serr, ee.ee_origin);
	if (origin != TF_SO_EE_ORIGIN_ICMP && origin != TF_SO_EE_ORIGIN_ICMP6)
		return 0;
	return BPF_CORE_READ(serr, ee.ee_errno);
}

/* SOCK_DONE: tcp_fin() saw the peer's FIN (tcp_disconnect clears it after CLOSE). */
static __always_inline bool fin_received(const struct sock *sk)
{
	return sock_flag(sk, bpf_core_enum_value(enum sock_flags, SOCK_DONE));
}

/* Works on a socket the scan reached by address too: probe reads only. */
static __always_inline __u64 retrans_stamp_ns(const struct tcp_sock *tp, __u64 now_ns)
{
	__u32 stamp = BPF_CORE_READ(tp, retrans_stamp);
	__u64 unit = NSEC_PER_MSEC;

	if (!stamp)
		return 0;
	/* Since 6.7 the stamp is in µs when the connection uses µs timestamps. */
	if (bpf_core_field_exists(tp->tcp_usec_ts) && BPF_CORE_READ_BITFIELD_PROBED(tp, tcp_usec_ts))
		unit = 1000;
	return now_ns - (__u64)(__u32)((__u32)(now_ns / unit) - stamp) * unit;
}

/* What every CLOSE record takes from the entry; the caller adds the cookie and what the socket says. */

#endif /* TF_SOCK_READ_BPF_H */
