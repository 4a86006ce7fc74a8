/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The connection table: one entry per followed socket, found by its cookie,
 * with what the kernel side keeps while the socket is open.  Uses `frozen`
 * and `slot_mask` from the including file.
 */
#ifndef TF_CONN_TABLE_BPF_H
#define TF_CONN_TABLE_BPF_H

/* What the kernel side keeps per socket while it is open. */
struct conn {
	__u64 cookie; /* tells this socket from a later one at the same address */
	__u64 start_ns;
	__u64 established_ns;
	__u64 peer_fin_ns;
	__u64 changed_jiffies; /* the last state change: the end of a socket freed without one */
	__u32 fin_snd_una; /* sequence numbers when the peer's FIN arrived */
	__u32 fin_snd_nxt;
	__u8 saddr[TF_ADDR_LEN];
	__u8 daddr[TF_ADDR_LEN];
	__u32 pid;
	__u32 flags;
	__u32 syn_retrans;
	__s32 report_err;  /* last non-zero error reported before CLOSE */
	__s32 emitted_err; /* the errno the CLOSE record carried */
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 direction;
	__u8 rst_rx_state;
	__u8 rst_tx_state;
	__u8 rst_tx_reason;
	__u8 old_state;
	__u8 state;  /* the last state we saw it enter */
	__u8 live;   /* tracking, not yet closed */
	__u8 counted; /* included in TF_STAT_OPENED */
	__u8 closed; /* CLOSE record submitted; later events become amends */
	char comm[TF_COMM_LEN];
	__u32 open_at_freeze; /* claimed once, by the final scan or by its own close */
	__u32 netns; /* with the tuple: a socket found gone can no longer say */
	__u64 sk;    /* the socket's address, for the scan */
	__u64 cgroup_id; /* with the tuple, for the same reason */
};

/*
 * Where a followed socket's entry lives, found by its socket cookie (the
 * kernel numbers sockets in the order they are given one, and tcpfate gives
 * every socket it follows one when it starts following it).  Most entries
 * are in a fixed table indexed by the cookie's low bits: the sockets open at
 * once are mostly recent, so their cookies are near each other and land in
 * different slots.  Finding an entry there is an array access and a compare,
 * and taking or freeing a slot one store: under churn, a hash map's update,
 * lookups and delete were a third of the state-change program's time and
 * half of the destroy program's.  A socket whose slot holds an older socket
 * still open goes to the overflow map, a hash map by cookie, which is not
 * looked at while it is empty.  `claim` is the cookie of the socket an entry
 * belongs to (0: a free slot).
 */
struct conn_entry {
	__u64 claim;
	__u64 overflow; /* 1: in the overflow map */
	struct conn c;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1 << 16); /* resized by userspace: a power of two, slot_mask + 1 */
	__type(key, __u32);
	__type(value, struct conn_entry);
} conn_slots SEC(".maps");

/*
 * Without preallocation, entries come from the kernel's per-CPU BPF
 * allocator: memory follows the sockets that overflow, up to max_entries
 * (set by userspace; both tables full is counted as untracked).  Socket
 * local storage would free itself with the socket, but creating and freeing
 * it was measured at ~800 ns per socket under churn.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1 << 20); /* resized by userspace */
	__type(key, __u64);
	__type(value, struct conn_entry);
} conn_overflow SEC(".maps");

__u64 overflow_used = 0;            /* entries in conn_overflow: none, no lookups there */

static const struct conn_entry overflow_entry = { .overflow = 1 }; /* what an overflow entry starts from */

/*
 * Ports vanish on the way down (skc_num is 0 at CLOSE, tcp_disconnect zeroes
 * the destination port), so the tuple is copied whenever it is complete.
 */
static __always_inline void capture_tuple(struct conn *c, const struct tcp_sock *tp)
{
	const struct sock_common *skc = &tp->inet_conn.icsk_inet.sk.__sk_common;
	__u16 sport = bpf_ntohs(tp->inet_conn.icsk_inet.inet_sport);
	__u16 dport = bpf_ntohs(skc->skc_dport);
	__u16 family = skc->skc_family;

	if (!sport || !dport)
		return;
	c->sport = sport;
	c->dport = dport;
	c->family = family;
	c->netns = netns_inum(skc);
	/* The socket's cgroup never changes: read once (the tuple is captured at SYN_SENT and again at ESTABLISHED). */
	if (!c->cgroup_id)
		c->cgroup_id = sock_cgroup_id(&tp->inet_conn.icsk_inet.sk);
	if (family == AF_INET) {
		__builtin_memset(c->saddr, 0, sizeof(c->saddr));
		__builtin_memset(c->daddr, 0, sizeof(c->daddr));
		__builtin_memcpy(c->saddr, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(c->daddr, &skc->skc_daddr, 4);
	} else {
		bpf_probe_read_kernel(c->saddr, sizeof(c->saddr), &skc->skc_v6_rcv_saddr);
		bpf_probe_read_kernel(c->daddr, sizeof(c->daddr), &skc->skc_v6_daddr);
	}
}

/*
 * Counted as seen once it is a connection: at connect(), at ESTABLISHED for an
 * accepted one, or at the latest when its record goes out.  A child created
 * for a request that another CPU's child won is freed without ever reaching
 * ESTABLISHED or CLOSE: it was never a connection and is not counted.
 */
static __always_inline void count_opened(struct conn *c)
{
	if (!c->counted && !frozen) {
		c->counted = 1;
		stat_inc(TF_STAT_OPENED);
	}
}

/*
 * Open when the counts froze: counted once, by whichever comes first, the
 * final scan or the socket's own close (the two can race on two CPUs).
 */
static __always_inline bool claim_open_at_freeze(struct conn *c)
{
	return c->counted && !__sync_lock_test_and_set(&c->open_at_freeze, 1);
}

/* The socket's cookie as it is: 0 if it never had one, so was never followed. */
static __always_inline __u64 cookie_of(const struct tcp_sock *tp)
{
	return tp->inet_conn.icsk_inet.sk.__sk_common.skc_cookie.counter;
}

static __always_inline struct conn_entry *slot_of(__u64 cookie)
{
	__u32 i = cookie & slot_mask;

	return bpf_map_lookup_elem(&conn_slots, &i);
}

static __always_inline struct conn_entry *entry_of(__u64 cookie)
{
	struct conn_entry *e;

	if (!cookie)
		return NULL;
	e = slot_of(cookie);
	if (e && e->claim == cookie)
		return e;
	return overflow_used ? bpf_map_lookup_elem(&conn_overflow, &cookie) : NULL;
}

static __always_inline struct conn *conn_lookup(const struct tcp_sock *tp)
{
	struct conn_entry *e = entry_of(cookie_of(tp));

	return e ? &e->c : NULL;
}

/*
 * The entry of the socket with this cookie, added (zeroed) if there is none:
 * `added` says which.  Another CPU may add it first: then theirs is found.
 */
static __always_inline struct conn *conn_get(__u64 cookie, bool *added)
{
	struct conn_entry *e = slot_of(cookie);

	*added = false;
	if (!e)
		return NULL;
	if (e->claim == cookie)
		return &e->c;
	if (!e->claim && __sync_val_compare_and_swap(&e->claim, 0, cookie) == 0) {
		__builtin_memset(&e->c, 0, sizeof(e->c));
		*added = true;
		return &e->c;
	}
	/* The slot is an older socket's, still open: the overflow map. */
	if (overflow_used && (e = bpf_map_lookup_elem(&conn_overflow, &cookie)))
		return &e->c;
	__sync_fetch_and_add(&overflow_used, 1); /* before the entry: a lookup must not skip it */
	*added = !bpf_map_update_elem(&conn_overflow, &cookie, &overflow_entry, BPF_NOEXIST);
	if (!*added)
		__sync_fetch_and_sub(&overflow_used, 1);
	e = bpf_map_lookup_elem(&conn_overflow, &cookie);
	if (!e) {
		stat_inc(TF_STAT_UNTRACKED); /* both tables are full */
		return NULL;
	}
	e->claim = cookie;
	return &e->c;
}

/* The socket is gone: its slot is free, or its overflow entry deleted. */
static __always_inline void entry_free(struct conn_entry *e, __u64 cookie)
{
	if (!e->overflow) {
		e->claim = 0;
		return;
	}
	if (!bpf_map_delete_elem(&conn_overflow, &cookie))
		__sync_fetch_and_sub(&overflow_used, 1);
}

/*
 * The scan on another CPU reads `live` and then compares `cookie` with the
 * socket's: the cookie goes in first, so a live entry never shows the cookie
 * of an entry still being filled in (0), which would look like a socket gone.
 */
static __always_inline void set_live(struct conn *c, const struct tcp_sock *tp, __u64 cookie)
{
	c->sk = (__u64)tp;
	c->cookie = cookie;
	barrier();
	c->live = 1;
}

/*
 * A socket's life starts now: at connect(), or at the handshake's end for an
 * accepted one.  The socket may have an entry already: a reconnect after
 * CLOSE, or (`may_continue`, a passive start) a socket we already follow,
 * which simultaneous open brings to ESTABLISHED through SYN_RECV.
 */
static __always_inline struct conn *conn_start(const struct tcp_sock *tp, bool may_continue)
{
	__u64 cookie = bpf_get_socket_cookie((void *)tp);
	bool added;
	struct conn *c = conn_get(cookie, &added);

	if (!c)
		return NULL;
	if (!added) {
		if (c->live && c->cookie == cookie && may_continue)
			return c;
		__builtin_memset(c, 0, sizeof(*c));
	}
	set_live(c, tp, cookie);
	return c;
}

/* Follow a socket met mid-life (its start was not seen) or already followed. */
static __always_inline struct conn *conn_track(const struct tcp_sock *tp)
{
	__u64 cookie = cookie_of(tp);
	struct conn_entry *e = entry_of(cookie);
	struct conn *c;
	bool added;

	if (e) {
		c = &e->c;
	} else {
		cookie = bpf_get_socket_cookie((void *)tp);
		if (!(c = conn_get(cookie, &added)))
			return NULL;
	}
	if (!c->live && !c->closed) {
		c->flags |= TF_F_START_UNKNOWN;
		set_live(c, tp, cookie);
		count_opened(c);
	}
	return c;
}

#endif /* TF_CONN_TABLE_BPF_H */
