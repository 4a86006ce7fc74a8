/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Who owns a connection.  Only events that run in process context name the
 * owner: connect() (CLOSE -> SYN_SENT), the first send or receive (or, before
 * 6.3, accept()), close() or shutdown() (FIN_WAIT1, LAST_ACK, an RST sent
 * after CLOSE), and the walk of open files for sockets that predate tcpfate.  Softirq context runs
 * whatever task was on the CPU, so nothing there is taken for an owner.
 */
#ifndef TF_OWNER_BPF_H
#define TF_OWNER_BPF_H

static __always_inline void take_current_owner(struct conn *c, __u32 how)
{
	c->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(c->comm, sizeof(c->comm));
	c->flags |= how;
}

/*
 * The owner of an accepted socket is the process that uses it: the first
 * sendmsg()/recvmsg() on it runs in that process.  (A syscall tracepoint on
 * accept() would do it earlier, but enabling any syscall tracepoint sends
 * every syscall on the host through the slow path: ~2 us per connection.)
 * `how` says which event named it.
 */
static __always_inline void on_owner_event(struct sock *sk, __u32 how)
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
	take_current_owner(c, how);
	/*
	 * A process blocked in recv() when its connection was aborted (a
	 * keepalive or retransmission timeout) returns just after the CLOSE
	 * record went out: the owner follows as an amend.
	 */
	if (c->closed)
		emit_amend(tp, c, 0, 0);
}

static __always_inline void on_io(struct sock *sk)
{
	on_owner_event(sk, TF_F_OWNER_IO);
}

/* The process holding the socket's file (the walk of open files). */
static __always_inline void take_task_owner(struct conn *c, const struct task_struct *task)
{
	c->pid = task->tgid;
	bpf_probe_read_kernel_str(c->comm, sizeof(c->comm), task->comm);
	c->flags |= TF_F_OWNER_FD;
}

#endif /* TF_OWNER_BPF_H */
