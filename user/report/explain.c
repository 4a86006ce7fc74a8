// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* What each fate means on the wire, and what usually causes it: the text of reports. */
#include <string.h>
#include "report/report.h"

struct explanation {
	int label;
	const char *cause; /* NULL: any cause of that label */
	const char *text;
};

static const struct explanation explanations[] = {
	{ TF_LABEL_HANG_UP, "idle-reuse",
	  "The keep-alive race: the server closed a connection it considered idle at the moment the client "
	  "reused it for a new request; the server's FIN crossed the request (or the request went into a "
	  "connection already closed and drew an RST). The client sees \"socket hang up\" or ECONNRESET. "
	  "Usual cause: the server's keep-alive timeout is shorter than the client's idle timeout. Fix: "
	  "make the client drop idle connections before the server does, and retry idempotent requests." },
	{ TF_LABEL_HANG_UP, "request-unanswered",
	  "The server closed the connection (FIN) after receiving a request and before answering it. Usual "
	  "causes: the server's request or idle timeout (Node server.timeout, proxy read timeouts), a crash "
	  "or restart of the server process, a handler that gave up. Look at the server's side of the same "
	  "connection (hang-up / closed-unanswered) and its logs at that time." },
	{ TF_LABEL_HANG_UP, "closed-unanswered",
	  "This side closed the connection with a request still pending: a server dropping a request it had "
	  "read (its timeout, a crash), or a client giving up on its own request (a client-side timeout)." },
	{ TF_LABEL_HANG_UP, "peer-abandoned",
	  "The client sent a request and closed the connection before the answer came: a client-side timeout "
	  "shorter than the server's response time, or a client that was stopped. Compare response times "
	  "with the clients' timeouts." },
	{ TF_LABEL_RESET, "peer",
	  "The peer ended the connection with an RST: it closed with unread data, used SO_LINGER 0, crashed "
	  "mid-stream, or a middlebox (load balancer, NAT, firewall) dropped its state and reset the "
	  "connection. The application saw ECONNRESET (EPIPE if it had already received the peer's FIN)." },
	{ TF_LABEL_RESET, "local",
	  "This host ended the connection with an RST: the application closed it with unread data in the "
	  "receive queue (the peer sees ECONNRESET), or used SO_LINGER 0. The kernel's reason says which." },
	{ TF_LABEL_REFUSED, NULL,
	  "The connection attempt was refused: nothing listened on that port (an RST answered the SYN), or a "
	  "firewall rejected it (ICMP port unreachable). ECONNREFUSED. Check that the service runs and is "
	  "bound to that address, and the firewall's reject rules." },
	{ TF_LABEL_SYN_TIMEOUT, "abandoned",
	  "The application gave up on the connection attempt before the kernel did (its own connect "
	  "timeout): SYNs went unanswered for as long as it waited." },
	{ TF_LABEL_SYN_TIMEOUT, NULL,
	  "SYNs were never answered and the kernel gave up after its SYN retries (ETIMEDOUT): the host is "
	  "down or unreachable without an ICMP error, or a firewall silently drops the packets. The time to "
	  "failure is net.ipv4.tcp_syn_retries' budget." },
	{ TF_LABEL_RETRIES_EXHAUSTED, "keepalive",
	  "The connection was idle and the peer stopped answering keepalive probes: it vanished (power loss, "
	  "network partition) or a NAT/firewall forgot the connection. ETIMEDOUT on the next read." },
	{ TF_LABEL_RETRIES_EXHAUSTED, "zero-window",
	  "The peer had stopped reading (a zero receive window) and then stopped answering window probes: it "
	  "hung or vanished while its receive queue was full." },
	{ TF_LABEL_RETRIES_EXHAUSTED, NULL,
	  "Data was retransmitted until tcp_retries2 or TCP_USER_TIMEOUT ran out without an acknowledgement: "
	  "the peer vanished or the path dropped everything (a partition, a firewall whose state expired). "
	  "ETIMEDOUT." },
	{ TF_LABEL_UNREACHABLE, NULL,
	  "An ICMP destination-unreachable message ended the connection: no route to the host or network, "
	  "a neighbour (ARP/NDP) that does not answer, or a firewall rejecting with host-unreachable or "
	  "administratively-prohibited. Check routing and the path's firewalls." },
	{ TF_LABEL_OK, NULL, "Orderly close: both sides exchanged FINs and no error was recorded." },
};

const char *tf_explain(int label, const char *cause)
{
	for (size_t i = 0; i < sizeof(explanations) / sizeof(explanations[0]); i++) {
		const struct explanation *e = &explanations[i];

		if (e->label == label && (!e->cause || (cause && !strcmp(e->cause, cause))))
			return e->text;
	}
	return "";
}
