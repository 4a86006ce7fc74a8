// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcpfate's kernel side.  It follows each TCP socket in an entry found by the
 * socket's cookie (freed when the socket is destroyed) and, when the socket
 * moves to CLOSE, submits one record with everything the kernel knew.  No
 * labels are decided here: the classifier in userspace reads the facts.
 *
 * Cost rules (see ../shared/KERNEL-NOTES.md): one record per connection, and
 * no reader wake-up per record; the reader drains on a timer and is woken
 * only when the ring buffer passes a fill threshold.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "tcpfate.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

/* Filled by userspace before load. */
const volatile __u64 keepalive_timer_fn = 0; /* address of tcp_keepalive_timer */
const volatile __u32 wakeup_bytes = 1 << 20;  /* wake the reader when this much is queued */

/*
 * Set by userspace when it stops, followed by an RCU grace period: from then
 * on nothing is counted or reported, so its last reading of the counters and
 * the ring is one snapshot.  The final scan counts what was open at that
 * moment; a socket that closes before the scan reaches it counts itself.
 */
volatile __u32 frozen = 0;

extern unsigned int CONFIG_HZ __kconfig;

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
} conns SEC(".maps");

const volatile __u64 slot_mask = 0; /* set by userspace */
__u64 overflow_used = 0;            /* entries in conns: none, no lookups there */

static const struct conn_entry overflow_entry = { .overflow = 1 }; /* what an overflow entry starts from */

/*
 * One ring buffer per CPU, created and put here by userspace.  With one ring
 * for all, every reservation took the same lock and moved the same producer
 * position, and records of two CPUs shared cache lines: under churn on two
 * CPUs a reservation cost four times what it cost on one, and tcpfate -q kept
 * 0.87 of the load's throughput where, without reservations, it kept 0.92.
 */
struct ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* a template: the kernel does not hold the rings put here to its size */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* one per possible CPU: resized by userspace */
	__type(key, __u32);
	__array(values, struct ring);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TF_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

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

/*
 * The keepalive timer callback gets only the timer: the socket is reached by
 * container_of and probe reads (an untrusted pointer), so its facts go to a
 * small LRU map of their own, keyed by the socket's address, taken at CLOSE.
 */
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

static __always_inline void stat_inc(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &which);

	if (v)
		*v += 1; /* per-CPU: no atomics needed */
}

/* Convert a 32-bit jiffies stamp from the kernel to bpf_ktime_get_ns() time. */
static __always_inline __u64 jiffies_to_ns(__u32 stamp, __u64 now_ns, __u64 now_jiffies)
{
	__s32 ago = (__s32)((__u32)now_jiffies - stamp);
	__u64 ns_per_jiffy = NSEC_PER_SEC / CONFIG_HZ;

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

	return now - ago * (NSEC_PER_SEC / CONFIG_HZ);
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
	return overflow_used ? bpf_map_lookup_elem(&conns, &cookie) : NULL;
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
	if (overflow_used && (e = bpf_map_lookup_elem(&conns, &cookie)))
		return &e->c;
	__sync_fetch_and_add(&overflow_used, 1); /* before the entry: a lookup must not skip it */
	*added = !bpf_map_update_elem(&conns, &cookie, &overflow_entry, BPF_NOEXIST);
	if (!*added)
		__sync_fetch_and_sub(&overflow_used, 1);
	e = bpf_map_lookup_elem(&conns, &cookie);
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
	if (!bpf_map_delete_elem(&conns, &cookie))
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

static __always_inline void take_current_owner(struct conn *c, __u32 how)
{
	c->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	c->flags |= how;
}

/* A record on this CPU's ring; `ring` is for submit().  Programs do not migrate while they run. */
static __always_inline struct tf_record *reserve(void **ring)
{
	__u32 cpu = bpf_get_smp_processor_id();

	*ring = bpf_map_lookup_elem(&events, &cpu);
	return *ring ? bpf_ringbuf_reserve(*ring, sizeof(struct tf_record), 0) : NULL;
}

/* Submit without waking the reader unless the ring just passed the threshold. */
static __always_inline void submit(void *ring, void *rec)
{
	__u64 queued = bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (queued >= wakeup_bytes && queued < wakeup_bytes + sizeof(struct tf_record) + 8)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(rec, flags);
}

static __always_inline bool sock_flag(const struct sock *sk, unsigned int bit)
{
	return sk->__sk_common.skc_flags & (1UL << bit);
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
static __always_inline void record_from_conn(struct tf_record *r, const struct conn *c)
{
	r->type = TF_REC_CLOSE;
	r->start_ns = c->start_ns;
	r->established_ns = c->established_ns;
	r->peer_fin_ns = c->peer_fin_ns;
	__builtin_memcpy(r->saddr, c->saddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, c->daddr, sizeof(r->daddr));
	r->sport = c->sport;
	r->dport = c->dport;
	r->family = c->family;
	r->netns = c->netns;
	r->pid = c->pid;
	__builtin_memcpy(r->comm, c->comm, sizeof(r->comm));
	r->syn_retrans = c->syn_retrans;
	r->direction = c->direction;
	r->rst_rx_state = c->rst_rx_state;
	r->rst_tx_state = c->rst_tx_state;
	r->rst_tx_reason = c->rst_tx_reason;
}

static __always_inline void emit_close(const struct tcp_sock *tp, struct conn *c, int old_state,
				       __u32 extra_flags)
{
	const struct inet_connection_sock *icsk = &tp->inet_conn;
	const struct sock *sk = &icsk->icsk_inet.sk;
	__u64 now = bpf_ktime_get_ns(), now_j = bpf_jiffies64();
	__u64 key = (__u64)tp;
	struct keepalive_facts *ka;
	struct tf_record *r;
	void *ring;
	__s32 err;

	if (frozen) {
		if (claim_open_at_freeze(c))
			stat_inc(TF_STAT_CLOSED_FROZEN);
		c->live = 0;
		c->closed = 1;
		return;
	}
	count_opened(c);
	if (!c->sport)
		capture_tuple(c, tp);
	/* Only sockets with SO_KEEPALIVE can have keepalive facts: skip the lookup for the rest. */
	ka = sock_flag(sk, bpf_core_enum_value(enum sock_flags, SOCK_KEEPOPEN))
		     ? bpf_map_lookup_elem(&keepalive_timers, &key)
		     : NULL;
	r = reserve(&ring);
	if (!r) {
		stat_inc(TF_STAT_RING_LOST);
		goto done;
	}
	record_from_conn(r, c);
	r->cookie = c->cookie;
	r->end_ns = now;
	r->last_rx_ns = jiffies_to_ns(icsk->icsk_ack.lrcvtime, now, now_j);
	r->last_tx_ns = jiffies_to_ns(tp->lsndtime, now, now_j);
	/* bytes_received counts the peer's FIN too (it takes a sequence number). */
	r->rx_bytes = tp->bytes_received;
	if (fin_received(sk) && r->rx_bytes)
		r->rx_bytes--;
	r->retrans_bytes = tp->bytes_retrans;
	r->tx_bytes = tp->bytes_sent - tp->bytes_retrans;
	/* Kept with the tuple; a connect that failed before its tuple was complete reads it here. */
	if (!r->netns)
		r->netns = netns_inum(&sk->__sk_common);
	r->reserved = 0;
	r->srtt_us = tp->srtt_us >> 3;
	r->total_retrans = tp->total_retrans;
	r->rto_retrans = icsk->icsk_retransmits;
	r->probes = icsk->icsk_probes_out;
	r->snd_wnd = tp->snd_wnd;
	r->fin_unacked = 0;
	r->tx_after_fin = 0;
	if (c->peer_fin_ns) {
		r->fin_unacked = c->fin_snd_nxt - c->fin_snd_una;
		r->tx_after_fin = tp->write_seq - c->fin_snd_nxt;
	}
	r->keepalive_fires = 0;
	r->flags = c->flags | extra_flags;
	if (!tp->snd_wnd && (c->flags & TF_F_ESTABLISHED))
		r->flags |= TF_F_ZERO_WINDOW;

	/* sk_err is set before the move to CLOSE on every error path. */
	err = sk->sk_err;
	if (!err)
		err = c->report_err;
	r->sk_err = err;
	r->sk_err_soft = sk->sk_err_soft;
	c->emitted_err = err;

	/* The first transmission still unanswered when the kernel gave up. */
	r->unanswered_ns = 0;
	if (ka) {
		r->keepalive_fires = ka->fires;
		r->flags |= TF_F_KEEPALIVE_TIMER;
	}
	if (old_state == TF_TCP_SYN_SENT)
		r->unanswered_ns = c->start_ns;
	else if (icsk->icsk_retransmits)
		r->unanswered_ns = retrans_stamp_ns(tp, now);
	else if (icsk->icsk_probes_out && ka && ka->first_probe_ns)
		r->unanswered_ns = ka->first_probe_ns;
	else if (icsk->icsk_probes_out && icsk->icsk_probes_tstamp)
		r->unanswered_ns = jiffies_to_ns(icsk->icsk_probes_tstamp, now, now_j);

	r->old_state = old_state;
	submit(ring, r);
	stat_inc(TF_STAT_CLOSED);
done:
	if (ka)
		bpf_map_delete_elem(&keepalive_timers, &key);
	c->old_state = old_state;
	c->live = 0;
	c->closed = 1;
}

/* Something changed the story of a connection already reported closed. */
static __always_inline void emit_amend(const struct tcp_sock *tp, struct conn *c, __u32 flags,
				       __s32 err)
{
	struct tf_record *r;
	void *ring;

	if (frozen)
		return;
	r = reserve(&ring);
	if (!r) {
		stat_inc(TF_STAT_AMEND_LOST);
		return;
	}
	r->type = TF_REC_AMEND;
	r->cookie = c->cookie;
	r->end_ns = bpf_ktime_get_ns();
	r->flags = flags;
	r->pid = c->pid;
	__builtin_memcpy(r->comm, c->comm, sizeof(r->comm));
	r->sk_err = err;
	r->rst_tx_state = c->rst_tx_state;
	r->rst_tx_reason = c->rst_tx_reason;
	submit(ring, r);
}

static __always_inline void on_state_change(const struct sock *sk, int old_state, int new_state)
{
	struct tcp_sock *tp;
	struct conn *c;
	bool passive_start;

	/*
	 * Skipped before any lookup: FIN_WAIT2 tells nothing the classifier
	 * uses, and SYN_RECV is followed at once by ESTABLISHED (an accepted
	 * socket is created at the handshake's last ACK), where its life is
	 * taken to start.  A child that another CPU's child beat is freed in
	 * SYN_RECV: never a connection, never followed.
	 */
	if (!is_inet_tcp(sk) || new_state == TF_TCP_LISTEN || new_state == TF_TCP_FIN_WAIT2 ||
	    new_state == TF_TCP_SYN_RECV)
		return;
	if (old_state == TF_TCP_LISTEN && new_state == TF_TCP_CLOSE)
		return; /* a listener going away */
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return;
	passive_start = old_state == TF_TCP_SYN_RECV && new_state == TF_TCP_ESTABLISHED;
	if (old_state == TF_TCP_CLOSE && new_state != TF_TCP_SYN_SENT) {
		/*
		 * CLOSE -> CLOSE: some paths store CLOSE without the tracepoint
		 * and call tcp_done() after.  A socket we still follow ends here.
		 */
		if (new_state == TF_TCP_CLOSE && (c = conn_lookup(tp)) && c->live) {
			stat_inc(TF_STAT_CLOSE_RESTATED);
			emit_close(tp, c, c->state, 0);
		}
		return;
	}
	if (new_state == TF_TCP_SYN_SENT)
		c = conn_start(tp, false);
	else if (passive_start)
		c = conn_start(tp, true); /* or still the one simultaneous open brought here */
	else
		c = conn_track(tp);
	if (!c)
		return;
	/* Jiffies: a read of a variable, where the clock is a slower call and rarely needed. */
	c->changed_jiffies = bpf_jiffies64();

	switch (new_state) {
	case TF_TCP_SYN_SENT:
		/* Inside connect(): process context, the PID is the owner's. */
		c->start_ns = bpf_ktime_get_ns();
		c->direction = TF_DIR_OUT;
		count_opened(c);
		take_current_owner(c, TF_F_OWNER_CONNECT);
		break;
	case TF_TCP_ESTABLISHED:
		count_opened(c);
		c->established_ns = bpf_ktime_get_ns();
		c->flags |= TF_F_ESTABLISHED;
		if (passive_start && c->direction == TF_DIR_UNKNOWN)
			c->direction = TF_DIR_IN;
		/*
		 * A child socket is born at the handshake's last ACK; the SYN
		 * arrived one SYN-ACK round trip earlier, which the kernel has
		 * just measured as the first RTT sample.
		 */
		if (c->direction == TF_DIR_IN && !c->start_ns)
			c->start_ns = c->established_ns - (__u64)(tp->srtt_us >> 3) * 1000;
		break;
	case TF_TCP_CLOSE_WAIT:
		/* tcp_ack() has run for the FIN segment: snd_una is what the peer had seen. */
		c->flags |= TF_F_PEER_FIN;
		c->peer_fin_ns = bpf_ktime_get_ns();
		c->fin_snd_una = tp->snd_una;
		c->fin_snd_nxt = tp->snd_nxt;
		break;
	case TF_TCP_FIN_WAIT1:
		if (!(c->flags & TF_F_PEER_FIN))
			c->flags |= TF_F_LOCAL_FIN;
		break;
	}
	/*
	 * An accepted socket is born in softirq, whatever process ran there.
	 * These moves only happen inside close() or shutdown() by the process
	 * that holds the socket: its owner.
	 */
	if (!c->pid && (new_state == TF_TCP_FIN_WAIT1 || new_state == TF_TCP_LAST_ACK))
		take_current_owner(c, TF_F_OWNER_CLOSE);
	/* The tuple is complete from ESTABLISHED on; a failed connect has it at CLOSE. */
	if (new_state == TF_TCP_ESTABLISHED || !c->sport)
		capture_tuple(c, tp);
	c->state = new_state;
	if (new_state == TF_TCP_CLOSE)
		emit_close(tp, c, old_state, 0);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tf_set_state, const struct sock *sk, const int old_state, const int new_state)
{
	on_state_change(sk, old_state, new_state);
	return 0;
}

/*
 * The end of every socket's entry.  Also: the kernel skips a tracing program
 * that is already running on this CPU (a softirq interrupting it), so a move
 * to CLOSE can be missed; a socket still live here is reported now.
 */
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(tf_destroy, struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct conn_entry *e;
	__u64 cookie;

	if (!tp)
		return 0;
	cookie = cookie_of(tp);
	e = entry_of(cookie);
	if (!e)
		return 0;
	if (e->c.live) {
		stat_inc(TF_STAT_RECOVERED);
		emit_close(tp, &e->c, e->c.state, TF_F_RECOVERED);
	}
	entry_free(e, cookie);
	return 0;
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(tf_retransmit, const struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock((void *)sk);
	struct conn *c;

	if (!tp)
		return 0;
	c = conn_lookup(tp);
	if (c && c->live && sk->__sk_common.skc_state == TF_TCP_SYN_SENT)
		c->syn_retrans++;
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(tf_receive_reset, struct sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct conn *c;

	if (!tp)
		return 0;
	c = conn_track(tp);
	if (!c || !c->live)
		return 0;
	c->flags |= TF_F_RST_RX;
	c->rst_rx_state = sk->__sk_common.skc_state;
	return 0;
}

static __always_inline void on_send_reset(const struct sock *sk, __u32 reason, bool has_reason)
{
	struct tcp_sock *tp;
	struct conn *c;
	__u32 flags;

	if (!sk) {
		stat_inc(TF_STAT_RST_NO_SOCKET);
		return;
	}
	/* Timewait and request sockets answer stray segments: not a connection's fate. */
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return;
	flags = has_reason ? TF_F_RST_REASON : 0;
	if (has_reason && bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT) &&
	    reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT))
		flags |= TF_F_RST_KEEPALIVE;
	if (sk->__sk_common.skc_state == TF_TCP_CLOSE) {
		/* Abortive close: the RST follows the move to CLOSE. */
		c = conn_lookup(tp);
		if (!c || !c->closed)
			return;
		c->rst_tx_state = c->old_state;
		c->rst_tx_reason = has_reason ? reason : TF_RST_REASON_NONE;
		/* Only close() and disconnect send an RST after CLOSE: process context, the owner. */
		if (!c->pid)
			take_current_owner(c, TF_F_OWNER_CLOSE);
		emit_amend(tp, c, flags | TF_F_RST_TX_LATE, sk->sk_err);
		return;
	}
	c = conn_track(tp);
	if (!c)
		return;
	c->flags |= flags | TF_F_RST_TX;
	c->rst_tx_state = sk->__sk_common.skc_state;
	c->rst_tx_reason = has_reason ? reason : TF_RST_REASON_NONE;
}

/* Kernels since 6.10 pass the reason; older ones do not (userspace picks one). */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tf_send_reset, const struct sock *sk, const struct sk_buff *skb, int reason)
{
	on_send_reset(sk, reason, true);
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tf_send_reset_noreason, const struct sock *sk, const struct sk_buff *skb)
{
	on_send_reset(sk, 0, false);
	return 0;
}

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(tf_error_report, const struct sock *sk)
{
	struct tcp_sock *tp;
	struct conn *c;
	__s32 err;

	if (!is_inet_tcp(sk))
		return 0;
	/* Error 0 comes from ICMP handling and tcp_disconnect: not an outcome. */
	err = sk->sk_err;
	if (!err)
		return 0;
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp)
		return 0;
	c = conn_lookup(tp);
	if (!c)
		return 0;
	if (c->live)
		c->report_err = err;
	else if (c->closed && err != c->emitted_err) {
		c->emitted_err = err;
		emit_amend(tp, c, 0, err);
	}
	return 0;
}

/*
 * Keepalive probes are sent from the socket's sk_timer.  The timer callback
 * gets only the timer, so the socket is reached by container_of and probe
 * reads, and the facts go to a map keyed by the socket's address.
 */
SEC("tp_btf/timer_expire_entry")
int BPF_PROG(tf_timer_expire, struct timer_list *timer)
{
	struct keepalive_facts *ka, fresh = {};
	struct sock *sk;
	__u64 key;
	__u8 probes_out;
	int state;

	if ((__u64)timer->function != keepalive_timer_fn)
		return 0;
	sk = (void *)timer - bpf_core_field_offset(struct sock, sk_timer);
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state == TF_TCP_LISTEN || state == TF_TCP_CLOSE || state == TF_TCP_SYN_SENT)
		return 0;
	probes_out = BPF_CORE_READ((struct inet_connection_sock *)sk, icsk_probes_out);
	key = (__u64)sk;
	ka = bpf_map_lookup_elem(&keepalive_timers, &key);
	if (!ka) {
		if (bpf_map_update_elem(&keepalive_timers, &key, &fresh, BPF_NOEXIST) &&
		    !bpf_map_lookup_elem(&keepalive_timers, &key)) {
			stat_inc(TF_STAT_TIMER_MAP_FULL);
			return 0;
		}
		ka = bpf_map_lookup_elem(&keepalive_timers, &key);
		if (!ka)
			return 0;
	}
	ka->fires++;
	/*
	 * With no probe outstanding this expiry either re-arms or sends the
	 * first probe of an episode; the last such expiry before an abort is
	 * the first unanswered probe.
	 */
	if (!probes_out)
		ka->first_probe_ns = bpf_ktime_get_ns();
	return 0;
}

/*
 * The owner of an accepted socket is the process that uses it: the first
 * sendmsg()/recvmsg() on it runs in that process.  (A syscall tracepoint on
 * accept() would do it earlier, but enabling any syscall tracepoint sends
 * every syscall on the host through the slow path: ~2 us per connection.)
 */
static __always_inline void on_io(struct sock *sk)
{
	struct tcp_sock *tp;
	struct conn *c;

	if (!is_inet_tcp(sk))
		return;
	tp = bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return;
	c = conn_lookup(tp);
	if (!c || c->pid)
		return;
	take_current_owner(c, TF_F_OWNER_IO);
	/*
	 * A process blocked in recv() when its connection was aborted (a
	 * keepalive or retransmission timeout) returns just after the CLOSE
	 * record went out: the owner follows as an amend.
	 */
	if (c->closed)
		emit_amend(tp, c, 0, 0);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(tf_send_length, struct sock *sk)
{
	on_io(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(tf_recv_length, struct sock *sk)
{
	on_io(sk);
	return 0;
}

/* Sockets that existed before start-up: adopt them with an unknown start. */
static __always_inline struct conn *adopt(const struct tcp_sock *tp)
{
	int state = tp->inet_conn.icsk_inet.sk.__sk_common.skc_state;
	struct conn *c;

	if (state == TF_TCP_LISTEN || state == TF_TCP_CLOSE)
		return NULL;
	c = conn_track(tp);
	if (c && c->live && (c->flags & TF_F_START_UNKNOWN) && !c->sport) {
		if (state == TF_TCP_SYN_SENT)
			c->direction = TF_DIR_OUT;
		if (state != TF_TCP_SYN_SENT && state != TF_TCP_SYN_RECV)
			c->flags |= TF_F_ESTABLISHED;
		if (state == TF_TCP_CLOSE_WAIT || state == TF_TCP_LAST_ACK)
			c->flags |= TF_F_PEER_FIN;
		capture_tuple(c, tp);
	}
	return c;
}

SEC("iter/tcp")
int tf_adopt_sockets(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct tcp_sock *tp;

	if (!skc)
		return 0;
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp)
		adopt(tp);
	return 0;
}

/* Owners of sockets that existed before start-up, in every network namespace. */
SEC("iter/task_file")
int tf_adopt_owners(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct socket *sock;
	struct tcp_sock *tp;
	struct conn *c;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock || !sock->sk)
		return 0;
	if (!is_inet_tcp(sock->sk))
		return 0;
	tp = bpf_skc_to_tcp_sock(sock->sk);
	if (!tp)
		return 0;
	c = adopt(tp);
	if (c && !c->pid) {
		c->pid = task->tgid;
		bpf_probe_read_kernel_str(c->comm, sizeof(c->comm), task->comm);
		c->flags |= TF_F_OWNER_FD;
	}
	return 0;
}

/*
 * A socket freed with no close event at all (about one accepted socket per
 * million under heavy churn leaves FIN_WAIT1 that way: no CLOSE, no
 * tcp_destroy_sock).  The scan finds it: the memory at its address holds
 * another socket, or none, and no longer has its cookie.  It is
 * reported from what the entry knew: ended at its last state change, no
 * byte counts, marked recovered.  The claim on the cookie makes it once;
 * after the freeze nothing is reported and it stays an unseen end, counted
 * as such.
 */
static __always_inline bool emit_found_gone(struct conn *c, __u64 cookie)
{
	struct tf_record *r;
	void *ring;

	if (frozen || __sync_val_compare_and_swap(&c->cookie, cookie, 0) != cookie)
		return false;
	count_opened(c);
	r = reserve(&ring);
	if (!r) {
		stat_inc(TF_STAT_RING_LOST);
		goto done;
	}
	__builtin_memset(r, 0, sizeof(*r)); /* what only the socket could say is unknown: 0 */
	record_from_conn(r, c);
	r->cookie = cookie;
	/* Its last change, to the jiffy: never before what the entry knows to the ns. */
	r->end_ns = jiffies64_to_ns(c->changed_jiffies);
	if (r->end_ns < c->start_ns)
		r->end_ns = c->start_ns;
	if (r->end_ns < c->established_ns)
		r->end_ns = c->established_ns;
	if (r->end_ns < c->peer_fin_ns)
		r->end_ns = c->peer_fin_ns;
	r->sk_err = c->report_err;
	r->flags = c->flags | TF_F_RECOVERED | TF_F_FOUND_GONE;
	r->old_state = c->state;
	submit(ring, r);
	stat_inc(TF_STAT_CLOSED);
	stat_inc(TF_STAT_FOUND_GONE);
done:
	c->live = 0;
	c->closed = 1;
	return true;
}

/*
 * What the scan reads of a followed socket.  The map holds only the socket's
 * address, so the reads are of memory the program does not own: either
 * direct loads through a read-only cast (the verifier makes them faulting
 * loads, a few ns each) or, on kernels before 6.2, probe-read helper calls
 * (tens of ns each: with 200k open sockets a scan cost 90 ms that way).
 */
struct scan_view {
	__u64 cookie;
	__u32 rcv_nxt;
	__u32 copied_seq;
	__u32 rcv_wnd;
	__u32 snd_wnd;
	__u32 write_seq;
	__u32 snd_nxt;
	__u32 snd_una;
	__u32 probes_tstamp;
	__u8 state;
	__u8 retransmits;
	__u8 probes;
	__u8 backoff;
};

extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/* `detail`: also what only a socket worth a look needs (compile-time constant). */
static __always_inline void scan_read_direct(__u64 addr, struct scan_view *v, bool detail)
{
	struct tcp_sock *tp = bpf_rdonly_cast((void *)addr, bpf_core_type_id_kernel(struct tcp_sock));
	struct inet_connection_sock *icsk = &tp->inet_conn;
	struct sock_common *skc = &icsk->icsk_inet.sk.__sk_common;

	if (detail) {
		v->probes_tstamp = icsk->icsk_probes_tstamp;
		v->backoff = icsk->icsk_backoff;
		return;
	}
	v->cookie = skc->skc_cookie.counter;
	v->state = skc->skc_state;
	v->rcv_nxt = tp->rcv_nxt;
	v->copied_seq = tp->copied_seq;
	v->rcv_wnd = tp->rcv_wnd;
	v->snd_wnd = tp->snd_wnd;
	v->write_seq = tp->write_seq;
	v->snd_nxt = tp->snd_nxt;
	v->snd_una = tp->snd_una;
	v->retransmits = icsk->icsk_retransmits;
	v->probes = icsk->icsk_probes_out;
}

static __always_inline void scan_read_probe(__u64 addr, struct scan_view *v, bool detail)
{
	struct tcp_sock *tp = (struct tcp_sock *)addr;
	struct sock *sk = (struct sock *)addr;

	if (detail) {
		v->probes_tstamp = BPF_CORE_READ(tp, inet_conn.icsk_probes_tstamp);
		v->backoff = BPF_CORE_READ(tp, inet_conn.icsk_backoff);
		return;
	}
	v->cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	v->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	v->rcv_nxt = BPF_CORE_READ(tp, rcv_nxt);
	v->copied_seq = BPF_CORE_READ(tp, copied_seq);
	v->rcv_wnd = BPF_CORE_READ(tp, rcv_wnd);
	v->snd_wnd = BPF_CORE_READ(tp, snd_wnd);
	v->write_seq = BPF_CORE_READ(tp, write_seq);
	v->snd_nxt = BPF_CORE_READ(tp, snd_nxt);
	v->snd_una = BPF_CORE_READ(tp, snd_una);
	v->retransmits = BPF_CORE_READ(tp, inet_conn.icsk_retransmits);
	v->probes = BPF_CORE_READ(tp, inet_conn.icsk_probes_out);
}

/* Reset by userspace before each scan; read after it. */
__u64 scan_visited = 0;
__u64 scan_open = 0; /* connections open (counted as seen, not yet closed) */

/*
 * The periodic scan: every socket we follow, in every namespace, without
 * walking the kernel's socket tables.  Only the ones worth a look are written,
 * and a socket is read only while its cookie is still the entry's (a socket
 * freed without a destroy event leaves a stale entry behind until its
 * address is reused).
 */
static __always_inline int scan_entry(struct bpf_iter__bpf_map_elem *ctx, bool direct)
{
	struct tf_open_sample s = {};
	struct conn_entry *e = ctx->value;
	struct scan_view v;
	__u64 now_j, mine, addr;
	struct conn *c;

	if (!e || !e->claim || !e->c.live || !e->c.sk)
		return 0;
	c = &e->c;
	addr = c->sk;
	if (direct)
		scan_read_direct(addr, &v, false);
	else
		scan_read_probe(addr, &v, false);
	mine = c->cookie;
	if (!mine)
		return 0; /* being filled in, or already reported gone */
	if (v.cookie != mine) {
		/* Gone without a word. */
		if (emit_found_gone(c, mine))
			entry_free(e, mine);
		return 0;
	}
	/*
	 * A read() of an iterator returns only once it has output: with a million
	 * idle sockets that is a million sockets later.  A marker (cookie 0) every
	 * 4096 sockets hands control back, so the reader drains its ring meanwhile.
	 */
	if (!(++scan_visited & 4095))
		bpf_seq_write(ctx->meta->seq, &s, sizeof(s));
	if (frozen ? claim_open_at_freeze(c) : c->counted)
		scan_open++;
	if (v.state == TF_TCP_SYN_SENT || v.state == TF_TCP_SYN_RECV)
		return 0; /* handshakes end as labels, not warnings */
	s.unread = v.rcv_nxt - v.copied_seq;
	s.unsent = v.write_seq - v.snd_nxt;
	if (!s.unread && v.rcv_wnd && v.state != TF_TCP_CLOSE_WAIT && !v.retransmits &&
	    !(v.snd_wnd == 0 && s.unsent))
		return 0;

	if (direct)
		scan_read_direct(addr, &v, true);
	else
		scan_read_probe(addr, &v, true);
	s.now_ns = bpf_ktime_get_ns();
	now_j = bpf_jiffies64();
	s.cookie = c->cookie;
	s.state = v.state;
	s.rcv_wnd = v.rcv_wnd;
	s.snd_wnd = v.snd_wnd;
	s.unacked = v.snd_nxt - v.snd_una;
	s.rto_retrans = v.retransmits;
	s.probes = v.probes;
	s.copied_seq = v.copied_seq;
	s.backoff = v.backoff;
	if (s.state == TF_TCP_CLOSE_WAIT)
		s.peer_fin_ns = c->peer_fin_ns;
	if (s.rto_retrans)
		s.loss_since_ns = retrans_stamp_ns((const struct tcp_sock *)addr, s.now_ns);
	if (s.probes && v.probes_tstamp)
		s.probe0_since_ns = jiffies_to_ns(v.probes_tstamp, s.now_ns, now_j);
	__builtin_memcpy(s.saddr, c->saddr, sizeof(s.saddr));
	__builtin_memcpy(s.daddr, c->daddr, sizeof(s.daddr));
	s.sport = c->sport;
	s.dport = c->dport;
	s.family = c->family;
	s.direction = c->direction;
	s.pid = c->pid;
	s.netns = c->netns; /* kept with the tuple, complete past the handshake */
	__builtin_memcpy(s.comm, c->comm, sizeof(s.comm));
	bpf_seq_write(ctx->meta->seq, &s, sizeof(s));
	return 0;
}

/* Userspace loads one of the two: the first where the kernel has bpf_rdonly_cast. */
SEC("iter/bpf_map_elem")
int tf_scan_open(struct bpf_iter__bpf_map_elem *ctx)
{
	return scan_entry(ctx, true);
}

SEC("iter/bpf_map_elem")
int tf_scan_probe(struct bpf_iter__bpf_map_elem *ctx)
{
	return scan_entry(ctx, false);
}
