// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcpfate's kernel side.  It follows each TCP socket in an entry found by the
 * socket's cookie (freed when the socket is destroyed) and, when the socket
 * moves to CLOSE, submits one record with everything the kernel knew.  No
 * labels are decided here: the classifier in userspace reads the facts.
 *
 * Cost rules (docs/design.md): one record per connection, and
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

/*
 * Nanoseconds per jiffy (the kernel's HZ), set by userspace after loading and
 * before attaching: from the kernel's config where it can be read, measured
 * with tf_clock_probe where it cannot (libbpf's CONFIG_HZ would make loading
 * fail on a host without /boot or /proc/config.gz).
 */
__u64 ns_per_jiffy = 0;

/* The connection table's fixed part is indexed by cookie & slot_mask (set by userspace). */
const volatile __u64 slot_mask = 0;

#include "core_fixes.bpf.h"
#include "sock_read.bpf.h"
#include "ring.bpf.h"
#include "conn_table.bpf.h"
#include "keepalive.bpf.h"
#include "settings.bpf.h"
#include "emit.bpf.h"
#include "owner.bpf.h"
#include "scan.bpf.h"

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
	/*
	 * Timewait and request sockets answer stray segments, and so does a
	 * listener (an ACK or data for a connection it no longer has): not a
	 * connection's fate, and a listener must never get an entry.
	 */
	tp = bpf_skc_to_tcp_sock((void *)sk);
	if (!tp || sk->__sk_common.skc_state == TF_TCP_LISTEN)
		return;
	flags = has_reason ? TF_F_RST_REASON : 0;
	if (has_reason && bpf_core_enum_value_exists(enum sk_rst_reason, SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT) &&
	    reason == bpf_core_enum_value(enum sk_rst_reason, SK_RST_REASON_TCP_KEEPALIVE_TIMEOUT))
		flags |= TF_F_RST_KEEPALIVE;
	if (sk->__sk_common.skc_state == TF_TCP_CLOSE) {
		/*
		 * The RST follows the move to CLOSE: an abortive close() or
		 * disconnect, or the kernel answering data that arrived after the
		 * application closed (it ends the socket through its received-RST
		 * code first, and an orphan's entry is freed by then).
		 */
		c = conn_lookup(tp);
		if (!c) {
			emit_amend_of(cookie_of(tp), flags | TF_F_RST_TX_LATE, sk->sk_err, 0, NULL, 0,
				      has_reason ? reason : TF_RST_REASON_NONE);
			return;
		}
		if (!c->closed)
			return;
		c->rst_tx_state = c->old_state;
		c->rst_tx_reason = has_reason ? reason : TF_RST_REASON_NONE;
		/* close() and disconnect run in the owner; the answer to late data runs in softirq. */
		if (!c->pid && !(c->flags & TF_F_RST_RX))
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
	/*
	 * Error 0 comes from tcp_disconnect, and from ICMP handling that queued
	 * the error on the socket's error queue instead (an ICMP error that
	 * answers a SYN while connect() holds the socket): the application then
	 * reads it through SO_ERROR (from sk_err_soft, set just after this).
	 */
	err = sk->sk_err;
	if (!err)
		err = queued_icmp_errno(sk);
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
	on_keepalive_timer(timer);
	return 0;
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

/*
 * Kernels before 6.3 have neither tracepoint.  There the owner comes from
 * accept() returning the socket, where the kernel allows fexit programs, and
 * from every receive that copies data (tcp_rcv_space_adjust runs in the
 * reader's recvmsg(); only kTLS and sockmap also reach it from softirq).
 */
SEC("fexit/inet_csk_accept")
int BPF_PROG(tf_accept, struct sock *listener, int flags, int *err, bool kern, struct sock *sk)
{
	if (sk)
		on_owner_event(sk, TF_F_OWNER_ACCEPT);
	return 0;
}

SEC("tp_btf/tcp_rcv_space_adjust")
int BPF_PROG(tf_rcv_space_adjust, struct sock *sk)
{
	on_io(sk);
	return 0;
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
	if (c && !c->pid)
		take_task_owner(c, task);
	return 0;
}

/*
 * Userspace loads one of the three: an iterator over the connection table,
 * the first where the kernel has bpf_rdonly_cast, or, where map element
 * iterators are refused, the program it runs itself.
 */
SEC("iter/bpf_map_elem")
int tf_scan_direct(struct bpf_iter__bpf_map_elem *ctx)
{
	return scan_entry(ctx->value, true, ctx->meta->seq, true);
}

SEC("iter/bpf_map_elem")
int tf_scan_probe(struct bpf_iter__bpf_map_elem *ctx)
{
	return scan_entry(ctx->value, true, ctx->meta->seq, false);
}

SEC("syscall")
int tf_scan_run(struct tf_scan_run *run)
{
	scan_run(run);
	return 0;
}

/*
 * Both clocks at once, for userspace to tell the kernel's HZ when it cannot
 * read it from the kernel's config: run twice, some time apart, through
 * BPF_PROG_RUN; never attached.
 */
__u64 clock_probe_jiffies = 0;
__u64 clock_probe_ns = 0;

SEC("raw_tp")
int tf_clock_probe(void *ctx)
{
	clock_probe_jiffies = bpf_jiffies64();
	clock_probe_ns = bpf_ktime_get_ns();
	return 0;
}
