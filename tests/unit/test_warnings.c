// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Warning episodes: once when they have lasted, once when they end. */
#include "check.h"
#include "live/warnings.h"

#define SEC 1000000000ULL

struct heard {
	int starts[TF_WARN_COUNT];
	int ends[TF_WARN_COUNT];
	int closed_ends;
	uint64_t last_for_ns;
};

static void hear(const struct tf_warning *w, void *ctx)
{
	struct heard *h = ctx;

	if (w->ended) {
		h->ends[w->kind]++;
		h->closed_ends += w->closed;
	} else {
		h->starts[w->kind]++;
	}
	h->last_for_ns = w->at_ns - w->since_ns;
}

static const uint64_t after[TF_WARN_COUNT] = { 5 * SEC, 10 * SEC, 3 * SEC, 5 * SEC };

static void stalled_reader(void)
{
	struct tf_open_sample s = { .cookie = 7, .state = TF_TCP_ESTABLISHED, .unread = 1000,
				    .copied_seq = 500, .rcv_wnd = 1000, .snd_wnd = 1000 };
	struct heard h = { 0 };
	struct tf_warnings w;

	tf_warnings_init(&w, after);
	for (uint64_t t = 1; t <= 7; t++)
		tf_warnings_scan(&w, &s, 1, t * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_STALLED], 1, "stalled: one warning for one episode");
	CHECK_INT(w.active[TF_WARN_STALLED], 1, "stalled: gauge counts the open episode");

	s.copied_seq = 900; /* the application read again; more data waits */
	tf_warnings_scan(&w, &s, 1, 8 * SEC, hear, &h);
	CHECK_INT(h.ends[TF_WARN_STALLED], 0, "stalled: reading again restarts the clock, no end yet");
	s.unread = 0;
	tf_warnings_scan(&w, &s, 0, 9 * SEC, hear, &h); /* no longer worth a look: not in the scan */
	CHECK_INT(h.ends[TF_WARN_STALLED], 0, "stalled: gone from one scan waits for a close record");
	tf_warnings_scan(&w, &s, 0, 10 * SEC, hear, &h);
	CHECK_INT(h.ends[TF_WARN_STALLED], 1, "stalled: gone from two scans is over (cleared)");
	CHECK_INT(h.closed_ends, 0, "stalled: cleared, not closed");
	CHECK_INT(w.active[TF_WARN_STALLED], 0, "stalled: gauge back to 0");
	tf_warnings_free(&w);
}

static void under_threshold(void)
{
	struct tf_open_sample s = { .cookie = 8, .state = TF_TCP_ESTABLISHED, .unread = 10, .rcv_wnd = 100,
				    .snd_wnd = 100 };
	struct heard h = { 0 };
	struct tf_warnings w;

	tf_warnings_init(&w, after);
	for (uint64_t t = 1; t <= 4; t++) {
		s.copied_seq = (uint32_t)t; /* a slow reader that keeps reading */
		tf_warnings_scan(&w, &s, 1, t * SEC, hear, &h);
	}
	CHECK_INT(h.starts[TF_WARN_STALLED], 0, "a reader that keeps reading is not stalled");
	tf_warnings_free(&w);
}

/* A listener has no receive window: the shape of a stalled reader, never one. */
static void listener_never_warns(void)
{
	struct tf_open_sample s = { .cookie = 11, .state = TF_TCP_LISTEN, .rcv_wnd = 0 };
	struct heard h = { 0 };
	struct tf_warnings w;

	tf_warnings_init(&w, after);
	for (uint64_t t = 1; t <= 20; t++)
		tf_warnings_scan(&w, &s, 1, t * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_STALLED], 0, "a listener (window 0) is never stalled");
	s.state = TF_TCP_ESTABLISHED;
	for (uint64_t t = 21; t <= 40; t++)
		tf_warnings_scan(&w, &s, 1, t * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_STALLED], 1, "the same numbers on a connection do warn");
	tf_warnings_free(&w);
}

static void close_wait_then_close(void)
{
	struct tf_open_sample s = { .cookie = 9, .state = TF_TCP_CLOSE_WAIT, .peer_fin_ns = 1 * SEC,
				    .rcv_wnd = 100, .snd_wnd = 100 };
	struct heard h = { 0 };
	struct tf_warnings w;

	tf_warnings_init(&w, after);
	tf_warnings_scan(&w, &s, 1, 10 * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_CLOSE_WAIT], 0, "close-wait: 9 s is under 10 s");
	tf_warnings_scan(&w, &s, 1, 11 * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_CLOSE_WAIT], 1, "close-wait: timed from the peer's FIN, not first sight");
	CHECK_INT(h.last_for_ns, 10 * SEC, "close-wait: duration from the kernel's stamp");
	tf_warnings_closed(&w, 9, 12 * SEC, hear, &h);
	CHECK_INT(h.ends[TF_WARN_CLOSE_WAIT], 1, "close-wait: ends when the connection closes");
	CHECK_INT(h.closed_ends, 1, "close-wait: ended as closed");
	tf_warnings_scan(&w, NULL, 0, 13 * SEC, hear, &h);
	tf_warnings_scan(&w, NULL, 0, 14 * SEC, hear, &h);
	CHECK_INT(h.ends[TF_WARN_CLOSE_WAIT], 1, "close-wait: no second end");
	tf_warnings_free(&w);
}

static void retransmitting_and_zero_window(void)
{
	struct tf_open_sample s[2] = {
		{ .cookie = 1, .pid = 100, .state = TF_TCP_ESTABLISHED, .rto_retrans = 2,
		  .loss_since_ns = 1 * SEC, .rcv_wnd = 100, .snd_wnd = 100 },
		{ .cookie = 2, .pid = 100, .state = TF_TCP_ESTABLISHED, .snd_wnd = 0, .unsent = 5000,
		  .rcv_wnd = 100 },
	};
	struct heard h = { 0 };
	struct tf_warnings w;

	tf_warnings_init(&w, after);
	tf_warnings_scan(&w, s, 2, 4 * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_RETRANSMITTING], 1, "retransmitting: 3 s since the first retransmit");
	CHECK_INT(h.starts[TF_WARN_ZERO_WINDOW], 0, "zero-window: first seen now");
	tf_warnings_scan(&w, s, 2, 9 * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_ZERO_WINDOW], 1, "zero-window: 5 s after first sight");
	CHECK_INT(h.starts[TF_WARN_RETRANSMITTING], 1, "retransmitting: still one warning");
	tf_warnings_free(&w);
}

/* A connection first seen with no owner waits one scan, so the owner search can name it. */
static void ownerless_waits_a_scan(void)
{
	struct tf_open_sample s = { .cookie = 20, .state = TF_TCP_CLOSE_WAIT, .peer_fin_ns = 1 * SEC,
				    .rcv_wnd = 100, .snd_wnd = 100 };
	struct heard h = { 0 };
	struct tf_warnings w;

	tf_warnings_init(&w, after);
	tf_warnings_scan(&w, &s, 1, 20 * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_CLOSE_WAIT], 0, "ownerless at first sight: no warning yet");
	tf_warnings_scan(&w, &s, 1, 21 * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_CLOSE_WAIT], 1, "still ownerless a scan later: warned without one");
	CHECK_INT(h.last_for_ns, 20 * SEC, "ownerless: still timed from the peer's FIN");
	tf_warnings_free(&w);

	h = (struct heard){ 0 };
	s.cookie = 21;
	s.pid = 100;
	tf_warnings_init(&w, after);
	tf_warnings_scan(&w, &s, 1, 20 * SEC, hear, &h);
	CHECK_INT(h.starts[TF_WARN_CLOSE_WAIT], 1, "owned at first sight: warned at once");
	tf_warnings_free(&w);
}

int main(void)
{
	listener_never_warns();
	stalled_reader();
	under_threshold();
	close_wait_then_close();
	retransmitting_and_zero_window();
	ownerless_waits_a_scan();
	return CHECK_DONE();
}
