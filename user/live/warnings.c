// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "live/warnings.h"
#include "lib/grow.h"

static const char *const kind_names[TF_WARN_COUNT] = {
	[TF_WARN_STALLED] = "stalled",
	[TF_WARN_CLOSE_WAIT] = "close-wait",
	[TF_WARN_RETRANSMITTING] = "retransmitting",
	[TF_WARN_ZERO_WINDOW] = "zero-window",
};

const char *tf_warn_kind_name(enum tf_warn_kind kind)
{
	return (unsigned)kind < TF_WARN_COUNT ? kind_names[kind] : "?";
}

void tf_warnings_init(struct tf_warnings *w, const uint64_t after_ns[TF_WARN_COUNT])
{
	memset(w, 0, sizeof(*w));
	memcpy(w->after_ns, after_ns, sizeof(w->after_ns));
}

void tf_warnings_free(struct tf_warnings *w)
{
	for (int i = 0; i < 2; i++) {
		free(w->table[i].entries);
		cookie_index_free(&w->table[i].index);
	}
	memset(w, 0, sizeof(*w));
}

static struct tf_warnings_entry *table_add(struct tf_warnings_table *t, uint64_t cookie)
{
	if (TF_GROW(t->entries, t->cap, t->n + 1, 256) || cookie_index_reserve(&t->index))
		return NULL;
	cookie_index_put(&t->index, cookie, (uint32_t)t->n);
	memset(&t->entries[t->n], 0, sizeof(t->entries[t->n]));
	return &t->entries[t->n++];
}

static void table_clear(struct tf_warnings_table *t)
{
	t->n = 0;
	cookie_index_clear(&t->index);
}

/*
 * When did each condition start?  The kernel's own stamps where it keeps one
 * (the peer's FIN, the first retransmission or probe); otherwise the first
 * scan that saw it.  Reading stops are seen as an unchanged read position.
 */
static void conditions(const struct tf_open_sample *s, const struct tf_warnings_entry *prev, uint64_t now,
		       uint64_t since[TF_WARN_COUNT])
{
	bool waiting = s->unread || !s->rcv_wnd;
	bool peer_stopped = !s->snd_wnd && (s->unsent || s->probes);

	memset(since, 0, sizeof(uint64_t) * TF_WARN_COUNT);
	/* Only a connection can be stalled: a listener's window is 0, a closed socket has none. */
	if (s->state == TF_TCP_LISTEN || s->state == TF_TCP_CLOSE || s->state == TF_TCP_SYN_SENT ||
	    s->state == TF_TCP_SYN_RECV)
		return;
	if (waiting)
		since[TF_WARN_STALLED] = prev && prev->since[TF_WARN_STALLED] &&
						 prev->last.copied_seq == s->copied_seq
					 ? prev->since[TF_WARN_STALLED]
					 : now;
	if (s->state == TF_TCP_CLOSE_WAIT)
		since[TF_WARN_CLOSE_WAIT] = s->peer_fin_ns ? s->peer_fin_ns
					   : prev && prev->since[TF_WARN_CLOSE_WAIT] ? prev->since[TF_WARN_CLOSE_WAIT]
										   : now;
	if (s->rto_retrans)
		since[TF_WARN_RETRANSMITTING] = s->loss_since_ns ? s->loss_since_ns
						: prev && prev->since[TF_WARN_RETRANSMITTING]
							? prev->since[TF_WARN_RETRANSMITTING]
							: now;
	if (peer_stopped)
		since[TF_WARN_ZERO_WINDOW] = s->probe0_since_ns ? s->probe0_since_ns
					     : prev && prev->since[TF_WARN_ZERO_WINDOW]
						     ? prev->since[TF_WARN_ZERO_WINDOW]
						     : now;
}

static void say(struct tf_warnings *w, enum tf_warn_kind kind, bool ended, bool closed, uint64_t since,
		uint64_t now, const struct tf_open_sample *s, tf_warning_fn fn, void *ctx)
{
	struct tf_warning warning = { .kind = kind, .ended = ended, .closed = closed,
				      .since_ns = since, .at_ns = now, .sample = s };

	if (ended)
		w->active[kind]--;
	else
		w->active[kind]++;
	fn(&warning, ctx);
}

void tf_warnings_scan(struct tf_warnings *w, const struct tf_open_sample *samples, size_t n, uint64_t now_ns,
		   tf_warning_fn fn, void *ctx)
{
	struct tf_warnings_table *prev = &w->table[w->cur], *next = &w->table[!w->cur];

	table_clear(next);
	for (size_t i = 0; i < n; i++) {
		const struct tf_open_sample *s = &samples[i];
		long at = cookie_index_get(&prev->index, s->cookie);
		struct tf_warnings_entry *old = at >= 0 ? &prev->entries[at] : NULL, *e;
		uint64_t since[TF_WARN_COUNT];
		/*
		 * A warning names the process holding the connection.  One first
		 * seen with no owner waits a scan: its owner is looked for before
		 * the next one (owner_search.h), and a condition timed from a
		 * kernel stamp may have lasted long enough at first sight.
		 */
		bool owner_pending = !s->pid && !old;

		conditions(s, old, now_ns, since);
		e = table_add(next, s->cookie);
		if (!e) {
			w->dropped++;
			continue;
		}
		e->last = *s;
		memcpy(e->since, since, sizeof(since));
		e->warned = old ? old->warned : 0;
		for (int k = 0; k < TF_WARN_COUNT; k++) {
			bool warned = e->warned & (1u << k);

			if (since[k] && !warned && !owner_pending && now_ns - since[k] >= w->after_ns[k]) {
				e->warned |= 1u << k;
				say(w, k, false, false, since[k], now_ns, &e->last, fn, ctx);
			} else if (!since[k] && warned) {
				e->warned &= ~(1u << k);
				say(w, k, true, false, old->since[k], now_ns, &e->last, fn, ctx);
			}
		}
	}
	/*
	 * Connections no longer worth a look: either the condition cleared or
	 * the connection closed and its record is on the way.  Wait one scan
	 * for the record (tf_warnings_closed) before calling it cleared.
	 */
	for (size_t i = 0; i < prev->n; i++) {
		struct tf_warnings_entry *old = &prev->entries[i], *kept;

		if (!old->warned || cookie_index_get(&next->index, old->last.cookie) >= 0)
			continue;
		if (!old->missing && (kept = table_add(next, old->last.cookie))) {
			*kept = *old;
			kept->missing = true;
			continue;
		}
		for (int k = 0; k < TF_WARN_COUNT; k++)
			if (old->warned & (1u << k))
				say(w, k, true, false, old->since[k], now_ns, &old->last, fn, ctx);
	}
	w->cur = !w->cur;
}

void tf_warnings_closed(struct tf_warnings *w, uint64_t cookie, uint64_t now_ns, tf_warning_fn fn, void *ctx)
{
	struct tf_warnings_table *t = &w->table[w->cur];
	long at = cookie_index_get(&t->index, cookie);
	struct tf_warnings_entry *e;

	if (at < 0)
		return;
	e = &t->entries[at];
	for (int k = 0; k < TF_WARN_COUNT; k++)
		if (e->warned & (1u << k))
			say(w, k, true, true, e->since[k], now_ns, &e->last, fn, ctx);
	e->warned = 0;
}
