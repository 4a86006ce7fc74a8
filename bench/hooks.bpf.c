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

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(empty_set_state) { return 0; }

SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(empty_destroy) { return 0; }

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(empty_retransmit) { return 0; }

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(empty_receive_reset) { return 0; }

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(empty_send_reset) { return 0; }

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(empty_error_report) { return 0; }

SEC("tp_btf/timer_expire_entry")
int BPF_PROG(empty_timer_expire) { return 0; }

SEC("tp_btf/sock_send_length")
int BPF_PROG(empty_send_length) { return 0; }

SEC("tp_btf/sock_recv_length")
int BPF_PROG(empty_recv_length) { return 0; }
