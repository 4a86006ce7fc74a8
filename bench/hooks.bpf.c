// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Empty programs on the tracepoints tcpfate attaches to: what the hooks
 * themselves cost a churn load, before any program does any work.  The
 * benchmark's `empty-hooks` row is the bound a tracer on these hooks can reach.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* One empty program per tracepoint, named after it. */
#define EMPTY_HOOK(tp) \
	SEC("tp_btf/" #tp) \
	int BPF_PROG(empty_##tp) { return 0; }

EMPTY_HOOK(inet_sock_set_state)
EMPTY_HOOK(tcp_destroy_sock)
EMPTY_HOOK(tcp_retransmit_skb)
EMPTY_HOOK(tcp_receive_reset)
EMPTY_HOOK(tcp_send_reset)
EMPTY_HOOK(inet_sk_error_report)
EMPTY_HOOK(timer_expire_entry)
EMPTY_HOOK(sock_send_length)
EMPTY_HOOK(sock_recv_length)
