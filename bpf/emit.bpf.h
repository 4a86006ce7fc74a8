/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The records a connection leaves: CLOSE with everything the kernel knew at
 * the move to CLOSE, AMEND for what changes the story after it, and CLOSE
 * for a socket freed without any close event, from what its entry knew.
 */
#ifndef TF_EMIT_BPF_H
#define TF_EMIT_BPF_H

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
	r->cgroup_id = c->cgroup_id;
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
	__u32 fin;

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
	ka = keepalive_facts_of(sk, &key);
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
	fin = fin_received(sk);
	if (fin && r->rx_bytes)
		r->rx_bytes--;
	r->retrans_bytes = tp->bytes_retrans;
	r->tx_bytes = tp->bytes_sent - tp->bytes_retrans;
	/* Kept with the tuple; a connect that failed before its tuple was complete reads it here. */
	if (!r->netns)
		r->netns = netns_inum(&sk->__sk_common);
	if (!r->cgroup_id)
		r->cgroup_id = sock_cgroup_id(sk);
	/* Before 6.10 the RST of a close tells no reason: unread data is what makes it ABORT_ON_CLOSE. */
	r->unread_at_close = tp->rcv_nxt - tp->copied_seq - fin;
	/*
	 * When the application last read, where it left data unread: an
	 * application timer counts from there, not from the data's arrival
	 * (the kernel goes on filling the buffer).  tcp_rcv_space_adjust()
	 * stamps rcvq_space.time (tcp_clock_us, the monotonic clock) on reads
	 * at most every RTT/8; left at the start when no receive RTT is known.
	 * An application that read nothing has no last read.
	 */
	r->last_read_ns = 0;
	if (r->unread_at_close && r->rx_bytes > r->unread_at_close) {
		__u64 read_us = tp->rcvq_space.time;

		if (read_us * NSEC_PER_USEC > c->established_ns && read_us * NSEC_PER_USEC <= now)
			r->last_read_ns = read_us * NSEC_PER_USEC;
	}
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
	/* What set the timeout that failed it: read only when something did fail. */
	if (err || old_state == TF_TCP_SYN_SENT)
		read_timer_settings(r, tp);
	else
		clear_timer_settings(r);

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
		keepalive_facts_forget(&key);
	c->old_state = old_state;
	c->live = 0;
	c->closed = 1;
}

/*
 * Something changed the story of a connection already reported closed.  The
 * owner is copied when known (`comm` NULL: none, the entry is gone).
 */
static __always_inline void emit_amend_of(__u64 cookie, __u32 flags, __s32 err, __u32 pid, const char *comm,
					  __u8 rst_tx_state, __u8 rst_tx_reason)
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
	r->cookie = cookie;
	r->end_ns = bpf_ktime_get_ns();
	r->flags = flags;
	r->pid = pid;
	if (comm)
		__builtin_memcpy(r->comm, comm, sizeof(r->comm));
	else
		__builtin_memset(r->comm, 0, sizeof(r->comm));
	r->sk_err = err;
	clear_timer_settings(r);
	r->rst_tx_state = rst_tx_state;
	r->rst_tx_reason = rst_tx_reason;
	submit(ring, r);
}

static __always_inline void emit_amend(const struct tcp_sock *tp, struct conn *c, __u32 flags, __s32 err)
{
	emit_amend_of(c->cookie, flags, err, c->pid, c->comm, c->rst_tx_state, c->rst_tx_reason);
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

#endif /* TF_EMIT_BPF_H */
