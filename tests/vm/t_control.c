// SPDX-License-Identifier: GPL-2.0
/*
 * t_control: the control side of a queue and of an instance, on both
 * hosts (docs/uacce.md, docs/soft-device.md):
 *
 *  - hold: once it is on, no engine takes an SQE from any queue (what was
 *    taken is finished), kicks change nothing; released, everything runs,
 *    in order; PUT_Q while held: what waits never runs
 *  - START_Q/PUT_Q in each state, and what START_Q resets (doorbells,
 *    ring indices, status, error, cq_notify), the CQEs left readable in INIT
 *  - PUT_Q with a ring of copies in flight in each memory mode: every SQE
 *    taken completed or CANCELED in order (no OK after a CANCELED), the
 *    others have no CQE, nothing is written once PUT_Q has returned
 *  - SHARE_SVAS in each memory mode: the rules (EINVAL, EEXIST), a queue
 *    of the same or of another instance reaching the owner's SS at the
 *    same addresses, the region outliving the owner's queue
 *  - queues opened, used, stopped and closed from threads at once
 *
 * Hostile rings: t_hostile.
 */
#include "t.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *const mode_opt[] = { "mode=sva", "mode=pasid",
					"mode=noiommu" };
enum { SVA, PASID, NOIOMMU };

static void nop_ok(struct t_q *q, uint64_t ud)
{
	struct wd_soft_sqe s = t_sqe_nop(ud);
	struct wd_soft_cqe c = t_q_run(q, &s);

	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.user_data, ud);
}

static uint32_t sq_head(struct t_q *q)
{
	return t_q_hdr_sq_head(q);
}

/* ---- hold ---- */

/*
 * Held while the engines copy 16 MiB requests of one queue with another
 * queue's NOPs waiting for their turn: once the hold is on, every SQE
 * taken has its CQE (the batch being served was finished) and nothing
 * more is taken, of what waited or of what came after, kicked or not,
 * given the time to (a held engine must not use it); released, everything
 * runs in order and right. A PUT_Q while
 * held: the SQEs waiting were not taken, never run, have no CQE; the
 * queue starts again.
 */
static void t_hold_engines(int engines)
{
	char opts[32];
	size_t n = 16u << 20;
	uint8_t *s = malloc(n), *d = calloc(1, n);
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;
	struct t_inst in;
	struct t_q q, q2;
	uint32_t taken, taken2;

	T_ASSERT(s && d);
	memset(s, 0x5c, n);
	snprintf(opts, sizeof(opts), "queues=4 engines=%d", engines);
	in = t_inst_create(opts);
	t_q_setup(&q, in.ua);
	t_q_setup(&q2, in.ua);
	for (int i = 0; i < 4; i++) {
		sqe = t_sqe_copy(&q, s, d, (uint32_t)n, (uint32_t)n);
		sqe.user_data = i;
		t_q_push(&q, &sqe);
	}
	t_q_publish(&q);
	T_WAIT_UNTIL(sq_head(&q), "the engine never took a copy");
	for (int i = 0; i < 8; i++) {
		sqe = t_sqe_nop(100 + i);
		t_q_push(&q2, &sqe);
	}
	t_q_publish(&q2);
	t_hold(in.id, true);
	taken = sq_head(&q);
	taken2 = sq_head(&q2);
	T_EQ(t_q_hdr_cq_tail(&q), taken);
	T_EQ(t_q_hdr_cq_tail(&q2), taken2);
	/* and more work once held */
	for (int i = 8; i < 16; i++) {
		sqe = t_sqe_nop(100 + i);
		t_q_push(&q2, &sqe);
	}
	t_q_publish(&q2);
	T_EQ(t_q_cmd(&q, WD_SOFT_CMD_KICK, 0), 0);
	T_EQ(t_q_cmd(&q2, WD_SOFT_CMD_KICK, 0), 0);
	t_msleep(300);
	T_EQ(sq_head(&q), taken);
	T_EQ(t_q_hdr_cq_tail(&q), taken);
	T_EQ(sq_head(&q2), taken2);
	T_EQ(t_q_hdr_cq_tail(&q2), taken2);
	t_hold(in.id, true);		/* again: no change */
	T_EQ(sq_head(&q2), taken2);
	t_hold(in.id, false);
	for (int i = 0; i < 4; i++) {
		t_q_wait(&q, &cqe);
		T_EQ(cqe.user_data, i);
		T_EQ(cqe.status, WD_SOFT_S_OK);
	}
	T_ASSERT(!memcmp(s, d, n));
	for (int i = 0; i < 16; i++) {
		t_q_wait(&q2, &cqe);
		T_EQ(cqe.user_data, 100 + i);
		T_EQ(cqe.status, WD_SOFT_S_OK);
	}
	T_EQ(t_q_poll(&q2, 0), 0);
	/* PUT_Q while held */
	t_hold(in.id, true);
	for (int i = 0; i < 3; i++) {
		sqe = t_sqe_nop(200 + i);
		t_q_push(&q2, &sqe);
	}
	t_q_publish(&q2);
	taken = sq_head(&q2);
	T_EQ(t_q_cmd(&q2, UACCE_CMD_PUT_Q, 0), 0);
	T_EQ(sq_head(&q2), taken);
	T_EQ(t_q_reap(&q2, &cqe, 0), 0);
	t_q_start_again(&q2);
	t_hold(in.id, false);
	nop_ok(&q2, 300);
	t_q_close(&q);
	t_q_close(&q2);
	free(s);
	free(d);
}

T_TEST_TMO(hold_one_engine, 120) { t_hold_engines(1); }
T_TEST_TMO(hold_two_engines, 120) { t_hold_engines(2); }

/* ---- START_Q and PUT_Q ---- */

/*
 * START_Q of a started queue and PUT_Q of a stopped one are EINVAL, KICK
 * needs a started queue; the CQEs stay readable in INIT; every START_Q
 * resets cq_head (scribbled on meanwhile), the ring indices, the status
 * and the error to 0 and zeroes both rings (no stale phase survives).
 */
TEST(start_resets)
{
	struct t_inst in = t_inst_create("queues=2");
	struct wd_soft_cqe cqe;
	struct t_q q;

	t_q_setup(&q, in.ua);
	T_EQ(t_q_cmd(&q, UACCE_CMD_START_Q, 0), -EINVAL);
	for (int i = 0; i < 3; i++) {
		struct wd_soft_sqe sqe = t_sqe_nop(100 + i);

		cqe = t_q_run(&q, &sqe);
		T_EQ(cqe.status, WD_SOFT_S_OK);
		T_EQ(t_q_hdr_cq_tail(&q), 1);
		T_EQ(t_q_cmd(&q, UACCE_CMD_PUT_Q, 0), 0);
		T_EQ(t_q_cmd(&q, UACCE_CMD_PUT_Q, 0), -EINVAL);
		T_EQ(t_q_cmd(&q, WD_SOFT_CMD_KICK, 0), -EINVAL);
		/* the CQEs stay readable in INIT */
		T_EQ(t_q_hdr_cq_tail(&q), 1);
		T_EQ(q.cq[0].user_data, 100 + i);
		/* cq_head scribbled on, a valid-looking SQE left in slot 1:
		 * the next start resets cq_head and zeroes both rings */
		q.mmio->rsvd0 = 77;
		q.mmio->cq_head = 99;
		t_q_sqe_write(&q, 1, &(struct wd_soft_sqe){ .op = 1 });
		t_q_sqe_phase(&q, 1, t_q_phase(&q, 1));
		T_EQ(t_q_cmd(&q, UACCE_CMD_START_Q, 0), 0);
		T_EQ(q.mmio->rsvd0, 0);
		T_EQ(q.mmio->cq_head, 0);
		for (uint32_t k = 0; k < q.depth; k++) {
			T_ASSERT_MSG(!q.sq[k].op && !q.sq[k].phase &&
				     !q.cq[k].user_data && !q.cq[k].phase,
				     "slot %u not zeroed by START_Q", k);
		}
		T_EQ(t_q_hdr_cq_tail(&q), 0);
		T_EQ(sq_head(&q), 0);
		/* 0, or NEED_WAKEUP if the engine parked it already */
		T_EQ(t_q_status(&q) & ~WD_SOFT_ST_NEED_WAKEUP, 0);
		T_EQ(q.mmio->error, 0);
		t_q_resync(&q);
	}
	/* a kick of an awake queue is harmless */
	T_EQ(t_q_cmd(&q, WD_SOFT_CMD_KICK, 0), 0);
	T_EQ(t_q_cmd(&q, WD_SOFT_CMD_KICK, 0), 0);
	nop_ok(&q, 7);
	t_q_close(&q);
}

/* a queue of instance @in with buffers for its mode (SS but in sva) */
static void *mem(struct t_q *q, size_t n)
{
	void *p;

	if (q->ss_size)
		p = t_q_ss_alloc(q, n);
	else
		p = malloc(n);
	T_ASSERT(p);
	return p;
}

/*
 * PUT_Q with a full ring of 96 KiB copies in flight, three times, each
 * a little later: every request the device took completed or was
 * CANCELED, in order (no OK after a CANCELED), with out_len 0 when
 * CANCELED; the copies that completed are right; nothing is written once
 * PUT_Q has returned.
 */
static void t_put_q_inflight(int m)
{
	/* two of the engine's 64 KiB chunks: a stop may come between them */
	const size_t chunk = 96 << 10;
	const unsigned int slots = 16;
	struct t_inst in = t_inst_create(mode_opt[m]);
	bool slot_ok[16];
	uint8_t *s, *d, *snap = malloc(slots * chunk);
	unsigned int ok = 0;
	struct t_q q;

	t_q_setup(&q, in.ua);
	if (m != SVA)
		t_q_map_ss(&q, 2u << 20);
	s = mem(&q, chunk);
	d = mem(&q, slots * chunk);
	T_ASSERT(snap);
	for (int round = 0; round < 3; round++) {
		bool canceled = false;
		uint32_t taken, first = q.sq_tail;

		t_fill_random(s, chunk, round);
		memset(d, 0, slots * chunk);
		memset(slot_ok, 0, sizeof(slot_ok));
		for (uint32_t i = 0; i < q.depth; i++) {
			struct wd_soft_sqe sqe = t_sqe_copy(&q, s,
				d + (i % slots) * chunk, chunk, chunk);

			sqe.user_data = first + i;
			t_q_push(&q, &sqe);
		}
		t_q_publish(&q);
		t_msleep(round * 5);
		T_EQ(t_q_cmd(&q, UACCE_CMD_PUT_Q, 0), 0);
		memcpy(snap, d, slots * chunk);
		taken = sq_head(&q) - first;
		T_ASSERT_MSG(taken <= q.depth, "%u taken of %u", taken, q.depth);
		for (uint32_t i = 0; i < taken; i++) {
			struct wd_soft_cqe cqe;

			T_ASSERT_MSG(t_q_reap(&q, &cqe, 0) == 1, "CQE %u of the "
				     "%u taken missing after PUT_Q", i, taken);
			T_EQ(cqe.user_data, first + i);
			if (cqe.status == WD_SOFT_S_OK) {
				T_ASSERT_MSG(!canceled, "OK after CANCELED (%u)", i);
				T_EQ(cqe.out_len, chunk);
				slot_ok[i % slots] = true;
				ok++;
			} else {
				T_ASSERT_MSG(cqe.status == WD_SOFT_S_CANCELED,
					     "SQE %u: status %u", i, cqe.status);
				T_EQ(cqe.out_len, 0);
				canceled = true;
			}
		}
		T_EQ(t_q_reap(&q, &(struct wd_soft_cqe){ 0 }, 0), 0);
		for (unsigned int i = 0; i < slots; i++)
			if (slot_ok[i])
				T_ASSERT(!memcmp(d + i * chunk, s, chunk));
		t_msleep(20);
		T_ASSERT_MSG(!memcmp(snap, d, slots * chunk),
			     "the device wrote after PUT_Q returned");
		t_q_start_again(&q);
	}
	t_note("%s: %u completed, the rest canceled or not taken",
	       mode_opt[m], ok);
	free(snap);
	t_q_close(&q);
}

T_TEST_TMO(sva_put_q_inflight, 120) { t_put_q_inflight(SVA); }
T_TEST_TMO(pasid_put_q_inflight, 120) { t_put_q_inflight(PASID); }
T_TEST_TMO(noiommu_put_q_inflight, 120) { t_put_q_inflight(NOIOMMU); }

/* ---- SHARE_SVAS ---- */

/* a queue opened and mapped, not started (SHARE_SVAS comes before) */
static void q_init(struct t_q *q, int ua)
{
	t_q_open(q, ua);
	t_q_map(q);
}

static void copy_via(struct t_q *q, uint8_t *s, uint8_t *d, uint64_t ud)
{
	struct wd_soft_sqe sqe = t_sqe_copy(q, s, d, 5000, 5000);
	struct wd_soft_cqe cqe;

	memset(d, 0, 5000);
	sqe.user_data = ud;
	cqe = t_q_run(q, &sqe);
	T_EQ(cqe.status, WD_SOFT_S_OK);
	T_ASSERT(!memcmp(s, d, 5000));
}

/* b takes a's SS: the same region, the same addresses, for b's requests */
static void adopt(struct t_q *b, struct t_q *a)
{
	b->ss = a->ss;
	b->ss_size = a->ss_size;
	b->ss_dma = a->ss_dma;
	b->ss_used = a->ss_used;
}

/* the region is not @q's to unmap when it closes */
static void unadopt(struct t_q *q)
{
	q->ss = NULL;
	q->ss_size = 0;
}

static void t_share(int m)
{
	struct t_inst in = t_inst_create(mode_opt[m]), in2;
	struct t_q a, b, x, c2, y;
	uint8_t *s, *d;
	char opts[32];

	snprintf(opts, sizeof(opts), "%s queues=2", mode_opt[m]);
	in2 = t_inst_create(opts);
	t_q_setup(&a, in.ua);
	t_q_map_ss(&a, 1 << 20);
	q_init(&b, in.ua);
	q_init(&x, in.ua);
	T_EQ(t_q_share(&a, &a), -EINVAL);
	T_EQ(t_q_share(&x, &b), -EINVAL);		/* b has no SS to share */
	T_EQ(t_q_share(&b, &a), 0);
	T_EQ(t_q_share(&b, &a), -EEXIST);
	t_q_start(&b);
	adopt(&b, &a);
	s = t_q_ss_alloc(&b, 5000);
	d = t_q_ss_alloc(&b, 5000);
	t_fill_random(s, 5000, 1);
	copy_via(&b, s, d, 1);
	/* a queue whose own SS exists takes no share */
	t_q_setup(&c2, in.ua);
	t_q_map_ss(&c2, t_page);
	T_EQ(t_q_share(&c2, &a), -EEXIST);
	/* nor is that the rule of one instance: another one's queue */
	q_init(&y, in2.ua);
	T_EQ(t_q_share(&y, &a), 0);
	t_q_start(&y);
	adopt(&y, &a);
	copy_via(&y, s, d, 2);
	unadopt(&y);
	t_q_close(&y);
	/* the region outlives its queue while shared (a's mapping stays) */
	unadopt(&a);
	t_q_close(&a);
	copy_via(&b, s, d, 3);
	unadopt(&b);
	t_q_close(&b);
	t_q_close(&c2);
	t_q_close(&x);
}

TEST(sva_share) { t_share(SVA); }
TEST(pasid_share) { t_share(PASID); }
TEST(noiommu_share) { t_share(NOIOMMU); }

/* ---- churn ---- */

struct churn {
	int ua;
	int fails;
};

/*
 * 30 rounds: a queue, 20 NOPs published; every other round all collected
 * and checked in order, else closed with them in flight, after a PUT_Q
 * every fourth round.
 */
static void *churn_fn(void *arg)
{
	struct churn *c = arg;
	struct wd_soft_cqe cqe;
	struct t_q q;

	for (int i = 0; i < 30; i++) {
		t_q_setup(&q, c->ua);
		for (int j = 0; j < 20; j++) {
			struct wd_soft_sqe s = t_sqe_nop(j);

			t_q_push(&q, &s);
		}
		t_q_publish(&q);
		if (i & 1) {
			for (int j = 0; j < 20; j++) {
				t_q_wait(&q, &cqe);
				c->fails += cqe.status != WD_SOFT_S_OK ||
					    cqe.user_data != (uint64_t)j;
			}
		} else if (i & 2) {
			c->fails += t_q_cmd(&q, UACCE_CMD_PUT_Q, 0) != 0;
		}
		t_q_close(&q);
	}
	return NULL;
}

/* six threads' queues over three engines: nothing wrong, nothing left */
T_TEST_TMO(queue_churn, 120)
{
	struct t_inst in = t_inst_create("queues=16 engines=3");
	struct churn c[6];
	pthread_t th[6];

	for (int i = 0; i < 6; i++) {
		c[i] = (struct churn){ .ua = in.ua };
		T_EQ(pthread_create(&th[i], NULL, churn_fn, &c[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		T_EQ(pthread_join(th[i], NULL), 0);
		T_EQ(c[i].fails, 0);
	}
	T_EQ(t_attr_ll(in.ua, "available_instances"), 16);
}
