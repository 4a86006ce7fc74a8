// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "live/pending.h"
#include "lib/grow.h"

void tf_pending_init(struct tf_pending *p)
{
	memset(p, 0, sizeof(*p));
}

void tf_pending_free(struct tf_pending *p)
{
	for (int i = 0; i < 2; i++) {
		free(p->batch[i].recs);
		cookie_index_free(&p->batch[i].index);
	}
	free(p->early);
	memset(p, 0, sizeof(*p));
}

static int batch_reserve(struct tf_batch *b)
{
	if (TF_GROW(b->recs, b->cap, b->n + 1, 1024))
		return -1;
	return cookie_index_reserve(&b->index);
}

int tf_pending_add(struct tf_pending *p, const struct tf_record *rec)
{
	struct tf_batch *b = &p->batch[p->cur];

	if (batch_reserve(b))
		return -1;
	b->recs[b->n] = *rec;
	/* A socket reconnected after CLOSE keeps its cookie: the newest record answers amends. */
	cookie_index_put(&b->index, rec->cookie, (uint32_t)b->n);
	b->n++;
	return 0;
}

static struct tf_record *batch_find(struct tf_batch *b, uint64_t cookie)
{
	long pos = cookie_index_get(&b->index, cookie);

	return pos < 0 ? NULL : &b->recs[pos];
}

void tf_record_apply_amend(struct tf_record *rec, const struct tf_record *amend)
{
	rec->flags |= amend->flags;
	if (amend->flags & TF_F_RST_TX_LATE) {
		/* An amend made after the entry was freed knows no state: the one before CLOSE, then. */
		rec->rst_tx_state = amend->rst_tx_state ? amend->rst_tx_state : rec->old_state;
		rec->rst_tx_reason = amend->rst_tx_reason;
	}
	if (amend->sk_err && !rec->sk_err)
		rec->sk_err = amend->sk_err;
	/* The late RST of close() also names the owner of an accepted socket that never did I/O. */
	if (amend->pid && !rec->pid) {
		rec->pid = amend->pid;
		memcpy(rec->comm, amend->comm, sizeof(rec->comm));
	}
}

/* The held record an amend belongs to: the newer batch first (an amend follows its CLOSE within microseconds). */
static struct tf_record *held_for(struct tf_pending *p, uint64_t cookie)
{
	struct tf_record *r = batch_find(&p->batch[p->cur], cookie);

	return r ? r : batch_find(&p->batch[!p->cur], cookie);
}

bool tf_pending_amend(struct tf_pending *p, const struct tf_record *amend)
{
	struct tf_record *r = held_for(p, amend->cookie);

	if (r) {
		tf_record_apply_amend(r, amend);
		return true;
	}
	if (TF_GROW(p->early, p->cap_early, p->n_early + 1, 64)) {
		p->orphan_amends++;
		return false;
	}
	p->early[p->n_early++] = *amend;
	return true;
}

/* The drain is over: every CLOSE written before an early amend has been read by now. */
static void settle_early(struct tf_pending *p)
{
	for (size_t i = 0; i < p->n_early; i++) {
		struct tf_record *r = held_for(p, p->early[i].cookie);

		if (r)
			tf_record_apply_amend(r, &p->early[i]);
		else
			p->orphan_amends++;
	}
	p->n_early = 0;
}

/*
 * Oldest end first.  Each CPU's ring is in time order, but a drain reads the
 * rings one after the other, so a batch is several sorted runs (glibc's
 * qsort merges them).  The cookie breaks ties, for a stable order.
 */
static int by_end(const void *a, const void *b)
{
	const struct tf_record *x = a, *y = b;

	if (x->end_ns != y->end_ns)
		return x->end_ns < y->end_ns ? -1 : 1;
	return (x->cookie > y->cookie) - (x->cookie < y->cookie);
}

static void batch_release(struct tf_batch *b, tf_record_fn fn, void *ctx)
{
	qsort(b->recs, b->n, sizeof(*b->recs), by_end);
	for (size_t i = 0; i < b->n; i++)
		fn(&b->recs[i], ctx);
	b->n = 0;
	cookie_index_clear(&b->index);
}

void tf_pending_rotate(struct tf_pending *p, tf_record_fn fn, void *ctx)
{
	settle_early(p);
	p->cur = !p->cur;
	batch_release(&p->batch[p->cur], fn, ctx);
}

void tf_pending_drain(struct tf_pending *p, tf_record_fn fn, void *ctx)
{
	settle_early(p);
	batch_release(&p->batch[!p->cur], fn, ctx);
	batch_release(&p->batch[p->cur], fn, ctx);
}
