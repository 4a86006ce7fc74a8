// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Hold-back of closed connections and the merge of late facts (amends). */
#include <errno.h>
#include <stdio.h>
#include "check.h"
#include "classify.h"
#include "kernel/features.h"
#include "live/pending.h"

struct seen {
	uint64_t cookies[70000];
	int n;
	int resets;
};

static void collect(const struct tf_record *r, void *ctx)
{
	struct seen *s = ctx;

	s->cookies[s->n++] = r->cookie;
	if (tf_classify(r).label == TF_LABEL_RESET)
		s->resets++;
}

static struct tf_record closed(uint64_t cookie)
{
	struct tf_record r = { .type = TF_REC_CLOSE, .cookie = cookie, .old_state = TF_TCP_ESTABLISHED,
			       .flags = TF_F_ESTABLISHED | TF_F_LOCAL_FIN, .direction = TF_DIR_IN };
	return r;
}

static void hold_back_one_cycle(void)
{
	static struct seen s;
	struct tf_pending p;
	struct tf_record amend = { .type = TF_REC_AMEND, .cookie = 2, .flags = TF_F_RST_TX_LATE,
				   .sk_err = ECONNRESET };

	tf_pending_init(&p);
	tf_pending_add(&p, &(struct tf_record){ .cookie = 1 });
	tf_pending_add(&p, &(struct tf_record){ .cookie = 2, .flags = TF_F_LOCAL_FIN });
	tf_pending_rotate(&p, collect, &s);
	CHECK_INT(s.n, 0, "nothing released after the cycle it arrived in");
	CHECK(tf_pending_amend(&p, &amend), "amend finds its connection in the waiting batch");
	tf_pending_rotate(&p, collect, &s);
	CHECK_INT(s.n, 2, "released after one full cycle");
	CHECK_INT(s.cookies[0], 1, "in arrival order");
	CHECK_INT(s.resets, 1, "the amended connection now reads as a reset");
	CHECK(tf_pending_amend(&p, &amend), "an amend with no record held is kept until the drain ends");
	CHECK_INT(p.orphan_amends, 0, "not counted before the drain ends");
	tf_pending_rotate(&p, collect, &s);
	CHECK_INT(p.orphan_amends, 1, "still nothing to merge into at its end: an orphan, counted");
	tf_pending_free(&p);
}

/* Each CPU has its own ring: a late fact can be read before the CLOSE another CPU wrote first. */
static void amend_before_its_close(void)
{
	static struct seen s;
	struct tf_pending p;
	struct tf_record amend = { .type = TF_REC_AMEND, .cookie = 9, .flags = TF_F_RST_TX_LATE,
				   .sk_err = ECONNRESET };

	tf_pending_init(&p);
	CHECK(tf_pending_amend(&p, &amend), "an amend read before its CLOSE is kept");
	tf_pending_add(&p, &(struct tf_record){ .cookie = 9, .flags = TF_F_LOCAL_FIN });
	tf_pending_rotate(&p, collect, &s);
	CHECK_INT(p.orphan_amends, 0, "merged at the end of the drain, not an orphan");
	CHECK_INT(s.n, 0, "its CLOSE still waits out its cycle");
	tf_pending_rotate(&p, collect, &s);
	CHECK_INT(s.n, 1, "then released");
	CHECK_INT(s.resets, 1, "with the late RST merged: a reset");
	tf_pending_free(&p);
}

static void many(void)
{
	static struct seen s;
	struct tf_pending p;
	int found = 0;

	tf_pending_init(&p);
	for (uint64_t c = 1; c <= 60000; c++)
		tf_pending_add(&p, &(struct tf_record){ .cookie = c * 4097 });
	for (uint64_t c = 1; c <= 60000; c += 7) {
		struct tf_record a = { .type = TF_REC_AMEND, .cookie = c * 4097, .flags = TF_F_RST_TX_LATE };

		found += tf_pending_amend(&p, &a);
	}
	CHECK_INT(found, 8572, "every amend finds its record among 60000 (index grows)");
	tf_pending_drain(&p, collect, &s);
	CHECK_INT(s.n, 60000, "drain releases everything");
	tf_pending_free(&p);
}

static void merge_rule(void)
{
	struct tf_record r = closed(9);
	struct tf_record a = { .type = TF_REC_AMEND, .cookie = 9, .flags = TF_F_RST_TX_LATE | TF_F_RST_REASON,
			       .rst_tx_reason = 11, .rst_tx_state = TF_TCP_ESTABLISHED, .sk_err = ECONNRESET };

	r.sk_err = ETIMEDOUT;
	tf_record_apply_amend(&r, &a);
	CHECK_INT(r.sk_err, ETIMEDOUT, "a late errno never overrides the one at CLOSE");
	CHECK_INT(r.rst_tx_reason, 11, "the late RST's reason is kept");
	CHECK(r.flags & TF_F_RST_TX_LATE, "the late RST is recorded");
}

static void kallsyms(void)
{
	char text[] = "ffffffff81000000 T _stext\n"
		      "ffffffff8202df60 t __pfx_tcp_keepalive_timer\n"
		      "ffffffff8202df70 t tcp_keepalive_timer\n"
		      "ffffffff81243c71 t tcp_keepalive_timer.cold\n"
		      "ffffffffc0001000 t foo\t[mod]\n";
	FILE *f = fmemopen(text, strlen(text), "r");

	CHECK_INT(tf_kallsyms_find(f, "tcp_keepalive_timer"), 0xffffffff8202df70ULL, "kallsyms: exact name");
	rewind(f);
	CHECK_INT(tf_kallsyms_find(f, "missing"), 0, "kallsyms: missing symbol");
	fclose(f);
}

static void capabilities(void)
{
	CHECK(tf_caps_allow_bpf(1ULL << 21), "caps: CAP_SYS_ADMIN is enough");
	CHECK(tf_caps_allow_bpf((1ULL << 39) | (1ULL << 38)), "caps: CAP_BPF + CAP_PERFMON is enough");
	CHECK(!tf_caps_allow_bpf(1ULL << 39), "caps: CAP_BPF alone is not");
	CHECK(!tf_caps_allow_bpf(0), "caps: none");
}

/* A drain reads one CPU's ring after the other: what it releases together comes out in time order. */
static void released_in_time_order(void)
{
	static struct seen s;
	struct tf_pending p;
	const uint64_t ends[] = { 10, 40, 20, 30 }; /* ring 0: 10, 40; ring 1: 20, 30 */

	tf_pending_init(&p);
	for (int i = 0; i < 4; i++)
		tf_pending_add(&p, &(struct tf_record){ .cookie = 100 + ends[i], .end_ns = ends[i] });
	tf_pending_rotate(&p, collect, &s);
	tf_pending_rotate(&p, collect, &s);
	CHECK_INT(s.n, 4, "all four released");
	CHECK(s.cookies[0] == 110 && s.cookies[1] == 120 && s.cookies[2] == 130 && s.cookies[3] == 140,
	      "released oldest end first, not ring by ring");
	tf_pending_free(&p);
}

int main(void)
{
	released_in_time_order();
	capabilities();
	hold_back_one_cycle();
	amend_before_its_close();
	many();
	merge_rule();
	kallsyms();
	return CHECK_DONE();
}
