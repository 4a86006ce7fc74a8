// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include <string.h>
#include "pending.h"

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
	memset(p, 0, sizeof(*p));
}

static int batch_reserve(struct tf_batch *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct tf_record *recs = realloc(b->recs, cap * sizeof(*recs));

		if (!recs)
			return -1;
		b->recs = recs;
		b->cap = cap;
	}
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
		rec->rst_tx_state = amend->rst_tx_state;
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

bool tf_pending_amend(struct tf_pending *p, const struct tf_record *amend)
{
	/* The newer batch first: an amend follows its CLOSE within microseconds. */
	struct tf_record *r = batch_find(&p->batch[p->cur], amend->cookie);

	if (!r)
		r = batch_find(&p->batch[!p->cur], amend->cookie);
	if (!r) {
		p->orphan_amends++;
		return false;
	}
	tf_record_apply_amend(r, amend);
	return true;
}

static void batch_release(struct tf_batch *b, tf_record_fn fn, void *ctx)
{
	for (size_t i = 0; i < b->n; i++)
		fn(&b->recs[i], ctx);
	b->n = 0;
	cookie_index_clear(&b->index);
}

void tf_pending_rotate(struct tf_pending *p, tf_record_fn fn, void *ctx)
{
	p->cur = !p->cur;
	batch_release(&p->batch[p->cur], fn, ctx);
}

void tf_pending_drain(struct tf_pending *p, tf_record_fn fn, void *ctx)
{
	batch_release(&p->batch[!p->cur], fn, ctx);
	batch_release(&p->batch[p->cur], fn, ctx);
}
