// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The decision table of README.md ("How a label is decided"), in the same
 * order.  Input is only the record: no kernel, no clock, no globals, so the
 * unit tests feed it the facts each failure path leaves behind.
 */
#include <errno.h>
#include <string.h>
#include "classify.h"

static const char *const label_names[TF_LABEL_COUNT] = {
	[TF_LABEL_OK] = "ok",
	[TF_LABEL_HANG_UP] = "hang-up",
	[TF_LABEL_RESET] = "reset",
	[TF_LABEL_REFUSED] = "refused",
	[TF_LABEL_SYN_TIMEOUT] = "syn-timeout",
	[TF_LABEL_RETRIES_EXHAUSTED] = "retries-exhausted",
	[TF_LABEL_UNREACHABLE] = "unreachable",
};

const char *tf_label_name(enum tf_label label)
{
	return (unsigned)label < TF_LABEL_COUNT ? label_names[label] : "?";
}

int tf_label_parse(const char *name)
{
	for (int i = 0; i < TF_LABEL_COUNT; i++)
		if (!strcmp(name, label_names[i]))
			return i;
	return -1;
}

/* Errors that ICMP destination-unreachable messages turn into (icmp_err_convert). */
bool tf_errno_is_unreachable(int err)
{
	switch (err) {
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EHOSTDOWN:
	case ENONET:
	case EACCES: /* ICMPv6 administratively prohibited */
	case EPERM:
	case ENOPROTOOPT:
	case EPROTO:
		return true;
	default:
		return false;
	}
}

static const char *unreachable_cause(int err)
{
	switch (err) {
	case EHOSTUNREACH:
	case EHOSTDOWN:
		return "host";
	case ENETUNREACH:
	case ENONET:
		return "net";
	case EACCES:
	case EPERM:
		return "prohibited";
	default:
		return "protocol";
	}
}

static struct tf_verdict verdict(enum tf_label label, const char *cause, int err)
{
	return (struct tf_verdict){ .label = label, .cause = cause, .err = err };
}

/* Connect never completed: the handshake's outcomes. */
static struct tf_verdict classify_handshake(const struct tf_record *r, int err)
{
	if ((r->flags & TF_F_RST_RX) && r->rst_rx_state == TF_TCP_SYN_SENT)
		return verdict(TF_LABEL_REFUSED, "rst", ECONNREFUSED);
	if (err == ECONNREFUSED)
		return verdict(TF_LABEL_REFUSED, "icmp", err);
	if (tf_errno_is_unreachable(err))
		return verdict(TF_LABEL_UNREACHABLE, unreachable_cause(err), err);
	if (err == ETIMEDOUT)
		return verdict(TF_LABEL_SYN_TIMEOUT, "syn-retries", err);
	if (err)
		return verdict(TF_LABEL_UNREACHABLE, "other", err);
	/* The application closed the socket mid-handshake: its own connect timeout. */
	return verdict(TF_LABEL_SYN_TIMEOUT, "abandoned", 0);
}

/* Kernels without RST reasons: the keepalive timer is the only timer that sends an RST before giving up. */
static bool rst_from_keepalive_without_reason(const struct tf_record *r)
{
	return (r->flags & TF_F_RST_TX) && !(r->flags & TF_F_RST_REASON) && !r->rto_retrans;
}

/* The kernel gave up on an established connection: which timer did it? */
static const char *timeout_cause(const struct tf_record *r)
{
	if ((r->flags & TF_F_RST_KEEPALIVE) || rst_from_keepalive_without_reason(r))
		return "keepalive";
	if (r->rto_retrans)
		return "data";
	if (r->probes && (r->flags & TF_F_ZERO_WINDOW))
		return "zero-window";
	if (r->probes && (r->flags & TF_F_KEEPALIVE_TIMER))
		return "keepalive";
	return "data"; /* TCP_USER_TIMEOUT with nothing retransmitted yet */
}

/*
 * The keep-alive race: the peer closed a connection it thought idle while we
 * were reusing it.  Either our request was still unacknowledged when its FIN
 * arrived (the FIN crossed our request), or we wrote after the FIN and the
 * peer's closed socket answered with an RST or the write timed out.
 */
static bool idle_reuse(const struct tf_record *r, int err)
{
	if (r->direction != TF_DIR_OUT || !(r->flags & TF_F_PEER_FIN) || (r->flags & TF_F_LOCAL_FIN))
		return false;
	return r->fin_unacked || (r->tx_after_fin && (err || (r->flags & TF_F_RST_RX)));
}

/*
 * Data arrived after the application had closed (or shut down reading): the
 * kernel ends the socket through its received-RST code, then answers the
 * data with an RST of its own (reason TCP_ABORT_ON_DATA).  No RST came in:
 * an RST is never answered with one.
 */
bool tf_answered_late_data(const struct tf_record *r)
{
	return (r->flags & TF_F_RST_RX) && (r->flags & TF_F_RST_TX_LATE);
}

/*
 * Kernels before 6.10 give no reason for an RST: the record's facts decide
 * the ones that only one path sends.  After CLOSE, close() sends it when
 * data was left unread (ABORT_ON_CLOSE); a socket its application had
 * already closed (FIN_WAIT1/2) ends when the peer's data meets it, the
 * kernel answering that data (ABORT_ON_DATA: when the data carries the ACK
 * of our FIN, tcp_rcv_state_process() calls tcp_done() directly, no
 * received-RST code); tcp_disconnect() otherwise (SO_LINGER 0, or
 * connect(AF_UNSPEC): TCP_STATE).  The keepalive timer is the one timer that
 * sends an RST before giving up.
 */
const char *tf_inferred_rst_reason(const struct tf_record *r)
{
	if (tf_answered_late_data(r))
		return "TCP_ABORT_ON_DATA";
	if (r->flags & TF_F_RST_TX_LATE) {
		if (r->unread_at_close)
			return "TCP_ABORT_ON_CLOSE";
		if (r->old_state == TF_TCP_FIN_WAIT1 || r->old_state == TF_TCP_FIN_WAIT2)
			return "TCP_ABORT_ON_DATA";
		return "TCP_STATE";
	}
	if (r->sk_err == ETIMEDOUT && rst_from_keepalive_without_reason(r))
		return "TCP_KEEPALIVE_TIMEOUT";
	return NULL;
}

/* Was a request outstanding when the connection was closed? */
static bool request_outstanding(const struct tf_record *r)
{
	switch (r->direction) {
	case TF_DIR_OUT: /* we sent data and no byte came back after it */
		return r->tx_bytes && (!r->rx_bytes || r->last_tx_ns > r->last_rx_ns);
	case TF_DIR_IN: /* they sent a request we had not answered */
		return r->rx_bytes && (!r->tx_bytes || r->last_rx_ns > r->last_tx_ns);
	default:
		return false;
	}
}

struct tf_verdict tf_classify(const struct tf_record *r)
{
	int err = r->sk_err > 0 ? r->sk_err : 0;

	if (r->old_state == TF_TCP_SYN_SENT)
		return classify_handshake(r, err);
	if (idle_reuse(r, err))
		return verdict(TF_LABEL_HANG_UP, "idle-reuse", err);
	if (tf_answered_late_data(r))
		return verdict(TF_LABEL_RESET, "local", 0);
	if (r->flags & TF_F_RST_RX)
		return verdict(TF_LABEL_RESET, "peer", err ? err : ECONNRESET);
	if (err == ETIMEDOUT)
		return verdict(TF_LABEL_RETRIES_EXHAUSTED, timeout_cause(r), err);
	if (tf_errno_is_unreachable(err))
		return verdict(TF_LABEL_UNREACHABLE, unreachable_cause(err), err);
	if (r->flags & (TF_F_RST_TX | TF_F_RST_TX_LATE) || err == ECONNRESET)
		return verdict(TF_LABEL_RESET, "local", 0);
	if ((r->flags & TF_F_PEER_FIN) && !(r->flags & TF_F_LOCAL_FIN)) {
		if (request_outstanding(r))
			return verdict(TF_LABEL_HANG_UP,
				       r->direction == TF_DIR_OUT ? "request-unanswered" : "peer-abandoned", 0);
		return verdict(TF_LABEL_OK, "peer-close", 0);
	}
	if (r->flags & TF_F_LOCAL_FIN) {
		/* We hung up: dropped a request (in) or gave up waiting for an answer (out). */
		if (request_outstanding(r))
			return verdict(TF_LABEL_HANG_UP, "closed-unanswered", 0);
		return verdict(TF_LABEL_OK, "local-close", 0);
	}
	return verdict(TF_LABEL_OK, "closed", 0);
}
