// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The decision table, row by row: each case is the set of facts one real
 * failure path leaves in the record (see the failure paths in docs/design.md).
 */
#include <errno.h>
#include "check.h"
#include "classify.h"

#define MS 1000000ULL

static struct tf_record established(int direction)
{
	struct tf_record r = {
		.type = TF_REC_CLOSE, .direction = direction, .flags = TF_F_ESTABLISHED,
		.start_ns = 1 * MS, .established_ns = 2 * MS, .end_ns = 100 * MS,
		.old_state = TF_TCP_ESTABLISHED, .snd_wnd = 65535,
	};
	return r;
}

static struct tf_record connecting(void)
{
	struct tf_record r = { .type = TF_REC_CLOSE, .direction = TF_DIR_OUT, .start_ns = MS,
			       .end_ns = 50 * MS, .old_state = TF_TCP_SYN_SENT };
	return r;
}

static void expect(const char *row, struct tf_record r, const char *label, const char *cause, int err)
{
	struct tf_verdict v = tf_classify(&r);

	CHECK_STR(tf_label_name(v.label), label, "%s: label", row);
	CHECK_STR(v.cause, cause, "%s: cause", row);
	CHECK_INT(v.err, err, "%s: errno", row);
}

static void handshake_rows(void)
{
	struct tf_record r = connecting();

	r.flags |= TF_F_RST_RX;
	r.rst_rx_state = TF_TCP_SYN_SENT;
	r.sk_err = ECONNREFUSED;
	expect("RST answers SYN", r, "refused", "rst", ECONNREFUSED);

	r = connecting();
	r.sk_err = ECONNREFUSED;
	expect("ICMP port unreachable", r, "refused", "icmp", ECONNREFUSED);

	r = connecting();
	r.sk_err = ETIMEDOUT;
	r.syn_retrans = 2;
	expect("SYN retries exhausted", r, "syn-timeout", "syn-retries", ETIMEDOUT);

	r = connecting();
	r.sk_err = EHOSTUNREACH;
	expect("ICMP host unreachable", r, "unreachable", "host", EHOSTUNREACH);
	r.sk_err = ENETUNREACH;
	expect("ICMP net unreachable", r, "unreachable", "net", ENETUNREACH);
	r.sk_err = EACCES;
	expect("ICMPv6 administratively prohibited", r, "unreachable", "prohibited", EACCES);

	r = connecting();
	expect("application closed mid-handshake", r, "syn-timeout", "abandoned", 0);
}

static void reset_rows(void)
{
	struct tf_record r = established(TF_DIR_OUT);

	r.flags |= TF_F_RST_RX;
	r.rst_rx_state = TF_TCP_ESTABLISHED;
	r.sk_err = ECONNRESET;
	expect("RST in ESTABLISHED", r, "reset", "peer", ECONNRESET);

	r = established(TF_DIR_OUT);
	r.flags |= TF_F_RST_RX | TF_F_PEER_FIN;
	r.old_state = TF_TCP_CLOSE_WAIT;
	r.sk_err = EPIPE;
	expect("RST in CLOSE_WAIT", r, "reset", "peer", EPIPE);

	r = established(TF_DIR_IN);
	r.flags |= TF_F_RST_TX_LATE | TF_F_RST_REASON;
	expect("close with unread data", r, "reset", "local", 0);

	r = established(TF_DIR_IN);
	r.flags |= TF_F_RST_TX_LATE;
	r.sk_err = ECONNRESET;
	expect("SO_LINGER 0", r, "reset", "local", 0);

	/* Data after our close: tcp_reset() ends the socket (a received-RST fact), then our RST answers it. */
	r = established(TF_DIR_IN);
	r.flags |= TF_F_LOCAL_FIN | TF_F_RST_RX | TF_F_RST_TX_LATE;
	r.rst_rx_state = TF_TCP_FIN_WAIT2;
	r.old_state = TF_TCP_FIN_WAIT2;
	r.sk_err = ECONNRESET;
	expect("data after our close, answered with an RST", r, "reset", "local", 0);
	CHECK_STR(tf_inferred_rst_reason(&r), "TCP_ABORT_ON_DATA", "no RST reason from the kernel: inferred as abort on data");
	r.flags &= ~TF_F_RST_TX_LATE;
	expect("near miss: an RST that really came in after our close", r, "reset", "peer", ECONNRESET);
	CHECK_STR(tf_inferred_rst_reason(&r), NULL, "near miss: nothing inferred");
	/* Before 6.10: what only one path leaves decides the reason of an RST we sent. */
	r = established(TF_DIR_IN);
	r.flags |= TF_F_RST_TX_LATE;
	r.unread_at_close = 33;
	CHECK_STR(tf_inferred_rst_reason(&r), "TCP_ABORT_ON_CLOSE", "RST after CLOSE with unread data: close() aborting");
	r.unread_at_close = 0;
	CHECK_STR(tf_inferred_rst_reason(&r), "TCP_STATE", "RST after CLOSE, nothing unread: SO_LINGER 0 (tcp_disconnect)");
	r.old_state = TF_TCP_FIN_WAIT2;
	r.flags |= TF_F_LOCAL_FIN;
	CHECK_STR(tf_inferred_rst_reason(&r), "TCP_ABORT_ON_DATA",
		  "RST after CLOSE from FIN_WAIT2, no RST received: data with the ACK of our FIN ended it (6.1)");
	r = established(TF_DIR_OUT);
	r.flags |= TF_F_RST_TX;
	r.sk_err = ETIMEDOUT;
	CHECK_STR(tf_inferred_rst_reason(&r), "TCP_KEEPALIVE_TIMEOUT", "RST before CLOSE at a timeout, no RTO: keepalive");
	r.rto_retrans = 3;
	CHECK_STR(tf_inferred_rst_reason(&r), NULL, "near miss: a data timeout sends no RST reason to infer");
	r = established(TF_DIR_OUT);
	CHECK_STR(tf_inferred_rst_reason(&r), NULL, "no RST sent: nothing inferred");
}

static void timeout_rows(void)
{
	struct tf_record r = established(TF_DIR_OUT);

	r.sk_err = ETIMEDOUT;
	r.rto_retrans = 4;
	r.total_retrans = 5;
	expect("data retransmits exhausted", r, "retries-exhausted", "data", ETIMEDOUT);

	r = established(TF_DIR_OUT);
	r.sk_err = ETIMEDOUT;
	r.probes = 2;
	r.flags |= TF_F_RST_TX | TF_F_RST_REASON | TF_F_RST_KEEPALIVE | TF_F_KEEPALIVE_TIMER;
	expect("keepalive probes exhausted", r, "retries-exhausted", "keepalive", ETIMEDOUT);

	r.flags &= ~(TF_F_RST_REASON | TF_F_RST_KEEPALIVE);
	expect("keepalive, kernel without RST reasons", r, "retries-exhausted", "keepalive", ETIMEDOUT);

	r = established(TF_DIR_OUT);
	r.sk_err = ETIMEDOUT;
	r.probes = 3;
	r.snd_wnd = 0;
	r.flags |= TF_F_ZERO_WINDOW;
	expect("zero-window probes exhausted", r, "retries-exhausted", "zero-window", ETIMEDOUT);

	r = established(TF_DIR_OUT);
	r.sk_err = ETIMEDOUT;
	expect("TCP_USER_TIMEOUT before any retransmit", r, "retries-exhausted", "data", ETIMEDOUT);

	r = established(TF_DIR_OUT);
	r.sk_err = EHOSTUNREACH;
	r.rto_retrans = 3;
	expect("ICMP soft error surfaced at the timeout", r, "unreachable", "host", EHOSTUNREACH);
}

static void close_rows(void)
{
	struct tf_record r = established(TF_DIR_OUT);

	r.flags |= TF_F_LOCAL_FIN;
	r.tx_bytes = 33;
	r.rx_bytes = 38;
	expect("we closed first", r, "ok", "local-close", 0);

	/* Client: request sent at 50 ms, the last byte received at 10 ms, then FIN. */
	r = established(TF_DIR_OUT);
	r.flags |= TF_F_PEER_FIN;
	r.tx_bytes = 33;
	r.rx_bytes = 100;
	r.last_rx_ns = 10 * MS;
	r.last_tx_ns = 50 * MS;
	expect("peer FIN with our request unanswered", r, "hang-up", "request-unanswered", 0);

	r.rx_bytes = 0;
	expect("peer FIN before any byte came back", r, "hang-up", "request-unanswered", 0);

	r.rx_bytes = 100;
	r.last_rx_ns = 60 * MS;
	expect("peer FIN after the answer", r, "ok", "peer-close", 0);

	r.last_rx_ns = r.last_tx_ns;
	expect("answer in the same jiffy as the request: not outstanding", r, "ok", "peer-close", 0);

	r = established(TF_DIR_OUT);
	r.flags |= TF_F_PEER_FIN;
	expect("peer FIN on an idle connection we never used", r, "ok", "peer-close", 0);

	/* Server: the client sent a request and left before the answer. */
	r = established(TF_DIR_IN);
	r.flags |= TF_F_PEER_FIN;
	r.rx_bytes = 33;
	expect("client left before our answer", r, "hang-up", "peer-abandoned", 0);

	r.tx_bytes = 38;
	r.last_rx_ns = 10 * MS;
	r.last_tx_ns = 20 * MS;
	expect("client closed after our answer", r, "ok", "peer-close", 0);

	r = established(TF_DIR_UNKNOWN);
	r.flags |= TF_F_PEER_FIN | TF_F_START_UNKNOWN;
	r.rx_bytes = 33;
	expect("direction unknown: never a hang-up", r, "ok", "peer-close", 0);
}

static void hang_up_rows(void)
{
	/* The keep-alive race, FIN first seen while our request was in flight. */
	struct tf_record r = established(TF_DIR_OUT);

	r.flags |= TF_F_PEER_FIN;
	r.tx_bytes = 66;
	r.rx_bytes = 38;
	r.last_rx_ns = 10 * MS;
	r.last_tx_ns = 60 * MS;
	r.fin_unacked = 33;
	expect("keep-alive race: FIN crossed our request", r, "hang-up", "idle-reuse", 0);
	r.flags |= TF_F_RST_RX;
	r.sk_err = EPIPE;
	expect("keep-alive race: then the peer's RST", r, "hang-up", "idle-reuse", EPIPE);

	/* We wrote into a connection the peer had already closed. */
	r = established(TF_DIR_OUT);
	r.flags |= TF_F_PEER_FIN | TF_F_RST_RX;
	r.tx_after_fin = 33;
	r.sk_err = ECONNRESET;
	expect("request written after the peer's FIN, answered by RST", r, "hang-up", "idle-reuse", ECONNRESET);
	r.flags &= ~TF_F_RST_RX;
	r.sk_err = 0;
	expect("data after a half-close that the peer accepted is no race", r, "ok", "peer-close", 0);

	/* The server read the request (its FIN acknowledged it) and closed: not a race. */
	r = established(TF_DIR_OUT);
	r.flags |= TF_F_PEER_FIN;
	r.tx_bytes = 33;
	r.fin_unacked = 0;
	expect("FIN acknowledged our request", r, "hang-up", "request-unanswered", 0);

	/* We closed with a request pending. */
	r = established(TF_DIR_IN);
	r.flags |= TF_F_LOCAL_FIN;
	r.rx_bytes = 33;
	expect("server closed without answering", r, "hang-up", "closed-unanswered", 0);
	r = established(TF_DIR_OUT);
	r.flags |= TF_F_LOCAL_FIN;
	r.tx_bytes = 33;
	expect("client gave up on its request", r, "hang-up", "closed-unanswered", 0);
	r.rx_bytes = 38;
	r.last_rx_ns = 70 * MS;
	r.last_tx_ns = 50 * MS;
	expect("client closed after the answer", r, "ok", "local-close", 0);
}

static void label_names(void)
{
	for (int i = 0; i < TF_LABEL_COUNT; i++)
		CHECK_INT(tf_label_parse(tf_label_name(i)), i, "label %s round-trips", tf_label_name(i));
	CHECK_INT(tf_label_parse("nope"), -1, "unknown label is rejected");
	CHECK_STR(tf_label_name(TF_LABEL_COUNT), "?", "out-of-range label has a placeholder name");
}

int main(void)
{
	handshake_rows();
	reset_rows();
	timeout_rows();
	close_rows();
	hang_up_rows();
	label_names();
	return CHECK_DONE();
}
