/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Sockets met outside their own events: adoption of the ones that existed
 * before start-up (iter/tcp, iter/task_file), and the periodic scan of every
 * followed socket (iter/bpf_map_elem over the connection table) that feeds
 * live warnings and the final count of open connections.
 */
#ifndef TF_SCAN_BPF_H
#define TF_SCAN_BPF_H

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

/*
 * The object is built twice from this source (see the Makefile): the second
 * build, TF_NO_KFUNCS, has no kfunc reference at all, for kernels before 6.2.
 * There libbpf would look for bpf_rdonly_cast in the kernel modules' BTF,
 * which needs CAP_SYS_ADMIN, and the load would fail for a service that runs
 * with CAP_BPF and CAP_PERFMON only.  Its direct scan is never loaded.
 */
#ifndef TF_NO_KFUNCS
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
#else
#define scan_read_direct scan_read_probe
#endif

/* Reset by userspace before each scan; read after it. */
__u64 scan_visited = 0;
__u64 scan_open = 0; /* connections open (counted as seen, not yet closed) */
__u64 scan_samples_lost = 0; /* the scan run by userspace: its ring was full */

/* The samples of the scan run by userspace (the iterators write to their seq file instead). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* a chunk of TF_SCAN_CHUNK slots, all worth a look, fits */
} scan_samples SEC(".maps");

/*
 * The periodic scan: every socket we follow, in every namespace, without
 * walking the kernel's socket tables.  Only the ones worth a look are written,
 * and a socket is read only while its cookie is still the entry's (a socket
 * freed without a destroy event leaves a stale entry behind until its
 * address is reused).
 */
/*
 * Where samples go: an iterator's seq file, or, for the scan run by
 * userspace (`seq` NULL), the scan_samples ring.  `iter` is a compile-time
 * constant: each program carries one of the two.
 */
static __always_inline void scan_output(bool iter, void *seq, struct tf_open_sample *s)
{
	if (iter)
		bpf_seq_write(seq, s, sizeof(*s));
	else if (bpf_ringbuf_output(&scan_samples, s, sizeof(*s), 0))
		scan_samples_lost++;
}

static __always_inline int scan_entry(struct conn_entry *e, bool iter, void *seq, bool direct)
{
	struct tf_open_sample s = {};
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
		/*
		 * Gone without a word, unless it closed (reported), was destroyed
		 * and its memory reused while this scan read it: preempted here,
		 * or on another CPU.  Its entry tells, read again after the socket
		 * (destroy releases the entry before the socket is freed).
		 */
		barrier();
		if (!e->claim || !c->live || c->cookie != mine)
			return 0;
		if (emit_found_gone(c, mine))
			entry_free(e, mine);
		return 0;
	}
	/*
	 * A read() of an iterator returns only once it has output: with a million
	 * idle sockets that is a million sockets later.  A marker (cookie 0) every
	 * 4096 sockets hands control back, so the reader drains its ring meanwhile.
	 */
	if (!(++scan_visited & 4095) && iter)
		bpf_seq_write(seq, &s, sizeof(s));
	if (frozen ? claim_open_at_freeze(c) : c->counted)
		scan_open++;
	/* Handshakes end as labels, not warnings; a listener is never a connection. */
	if (v.state == TF_TCP_SYN_SENT || v.state == TF_TCP_SYN_RECV || v.state == TF_TCP_LISTEN)
		return 0;
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
	s.cgroup_id = c->cgroup_id;
	__builtin_memcpy(s.comm, c->comm, sizeof(s.comm));
	scan_output(iter, seq, &s);
	return 0;
}

/*
 * The scan where the kernel refuses map element iterators (some sandboxes
 * and hardened kernels do): a syscall program that userspace runs
 * (BPF_PROG_RUN) over a range of fixed slots at a time, draining its ring
 * buffer between runs, or over the whole overflow map.  Probe reads only.
 */
static long scan_slot(__u32 i, struct tf_scan_run *run)
{
	__u32 slot = run->first + i;
	struct conn_entry *e = bpf_map_lookup_elem(&conn_slots, &slot);

	if (!e)
		return 1; /* past the table's end */
	scan_entry(e, false, NULL, false);
	return 0;
}

static long scan_overflow_entry(struct bpf_map *map, __u64 *cookie, struct conn_entry *e, void *ctx)
{
	scan_entry(e, false, NULL, false);
	return 0;
}

static __always_inline void scan_run(const struct tf_scan_run *ctx)
{
	struct tf_scan_run run = *ctx; /* bpf_loop hands its callback a pointer to the stack only */

	if (run.table == TF_SCAN_FIXED_SLOTS)
		bpf_loop(run.count, scan_slot, &run, 0);
	else
		bpf_for_each_map_elem(&conn_overflow, scan_overflow_entry, NULL, 0);
}

#endif /* TF_SCAN_BPF_H */
