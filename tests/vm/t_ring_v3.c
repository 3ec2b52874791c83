// SPDX-License-Identifier: GPL-2.0
/*
 * t_ring_v3: the hostile process against the rules of wd_soft_v3's ring
 * (include/uapi/misc/uacce/wd_soft.h, docs/soft-device.md), on both hosts:
 *
 *  - SQEs published out of order: nothing past the first SQE without its
 *    phase runs until it is published, then all, in order;
 *  - phases other than the valid one (0 and 1 of the wrong lap, garbage,
 *    the previous lap's left in the slot) are never taken;
 *  - an SQE rewritten while the device takes it: the device acts on one
 *    copy (the CQE, the bytes written and the address checks agree);
 *  - a queue restarted with valid-looking SQEs and CQEs left in its rings:
 *    START_Q zeroed them, none runs, none is read as a completion;
 *  - the CQ full and not consumed: the device takes nothing more, and one
 *    SQE per CQE consumed once cq_head moves;
 *  - a bad cq_head, read when the CQ is full: BROKEN (QERR_CQ_HEAD), other
 *    queues (and, on the kernel device, other processes) unaffected;
 *  - need-wakeup: published by phase while parked, the KICK runs it; while
 *    NEED_WAKEUP is clear no KICK is needed (none ever, on an engine that
 *    never parks).
 * The 2^32 wrap of the free-running indices is not reached here (4 billion
 * requests); fz_core starts its hostile rings at any base, near 2^32 too.
 * Each "nothing runs" is checked after the only engine served three NOPs
 * of another queue and 50 ms: it has looked at the queue since.
 */
#include "ring.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* the single engine looked at every queue since this was called */
static void engine_looked(struct t_q *other)
{
	for (int i = 0; i < 3; i++) {
		struct wd_soft_sqe s = t_sqe_nop(0x7000 + i);

		T_EQ(t_q_run(other, &s).status, WD_SOFT_S_OK);
	}
	t_msleep(50);
}

/* no SQE of @q taken beyond @sq_head and no CQE posted for it */
static void nothing_taken(struct t_q *q, struct t_q *other, uint32_t sq_head)
{
	engine_looked(other);
	T_EQ(t_q_hdr_sq_head(q), sq_head);
	T_ASSERT_MSG(!t_q_cqe_ready(q, sq_head), "CQE %u posted", sq_head);
	T_EQ(t_q_status(q) & WD_SOFT_ST_BROKEN, 0);
}

TEST(out_of_order_publish)
{
	struct t_inst in = t_inst_create("engines=1");
	struct t_q q, o;

	t_q_setup(&q, in.ua);
	t_q_setup(&o, in.ua);
	for (int round = 0; round < 3; round++) {
		uint32_t first = q.sq_tail;
		const uint32_t n = 6, hole = (uint32_t)round * 2;

		for (uint32_t i = 0; i < n; i++) {
			struct wd_soft_sqe s = t_sqe_nop(first + i);

			t_q_push(&q, &s);
		}
		/* every phase but the hole's, last first */
		for (uint32_t i = n; i-- > 0;)
			if (i != hole)
				t_q_sqe_phase(&q, first + i, t_q_phase(&q, first + i));
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		t_q_kick(&q);
		engine_looked(&o);
		T_EQ(t_q_hdr_sq_head(&q), first + hole);
		/* the hole published: it and everything after it, in order */
		t_q_publish(&q);
		for (uint32_t i = 0; i < n; i++) {
			struct wd_soft_cqe c;

			t_q_wait(&q, &c);
			T_EQ(c.user_data, first + i);
			T_EQ(c.status, WD_SOFT_S_OK);
			T_EQ(c.phase, t_q_phase(&q, first + i));
		}
	}
}

TEST(bad_phases_never_taken)
{
	static const uint32_t bad[] = { 2, 3, 0x80000001u, 0xffffffffu };
	struct t_inst in = t_inst_create("engines=1");
	struct wd_soft_sqe s;
	struct wd_soft_cqe c;
	struct t_q q, o;
	uint32_t i;

	t_q_setup(&q, in.ua);
	t_q_setup(&o, in.ua);
	/* on lap 0 and on lap 1 (past the ring's end, a stale phase left in
	 * every slot by lap 0) */
	for (int lap = 0; lap < 2; lap++) {
		if (lap) {
			while (q.sq_tail < q.depth) {
				s = t_sqe_nop(q.sq_tail);
				t_q_run(&q, &s);
			}
		}
		i = q.sq_tail;
		s = t_sqe_nop(0xbad0 + lap);
		t_q_push(&q, &s);
		/* the previous lap's phase is in the slot (0 at START_Q) */
		T_EQ(q.sq[i & (q.depth - 1)].phase, t_q_phase(&q, i) ^ 1);
		t_q_kick(&q);
		nothing_taken(&q, &o, i);
		for (unsigned int k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
			t_q_sqe_phase(&q, i, bad[k]);
			t_q_kick(&q);
		}
		nothing_taken(&q, &o, i);
		/* the valid one: taken */
		t_q_publish(&q);
		t_q_wait(&q, &c);
		T_EQ(c.user_data, 0xbad0 + lap);
		T_EQ(c.phase, t_q_phase(&q, i));
	}
}

/* ---- an SQE rewritten while the device takes it ---- */

#define RW_LEN	4096u

struct rewriter {
	struct wd_soft_sqe *slot;
	uint64_t src_a, src_b;
	volatile bool stop;
	uint64_t flips;
};

/* flip src and src_len between two versions, one aligned store each */
static void *rewrite_fn(void *arg)
{
	struct rewriter *w = arg;

	while (!w->stop) {
		bool b = w->flips & 1;

		__atomic_store_n(&w->slot->src, b ? w->src_b : w->src_a,
				 __ATOMIC_RELAXED);
		__atomic_store_n(&w->slot->src_len, b ? RW_LEN : RW_LEN / 2,
				 __ATOMIC_RELAXED);
		w->flips++;
	}
	return NULL;
}

/*
 * Version A copies RW_LEN / 2 bytes of a; version B RW_LEN bytes of b,
 * where b is a kernel address. Whatever mix of the two the device copied,
 * it must act on that copy alone: OK with out_len bytes of a (and nothing
 * written past them), or BAD_ADDR with nothing written; never b's bytes,
 * never a length checked and another used.
 *
 * The device's copy may mix the versions byte by byte, not only field by
 * field (the debug kernel's memcpy() does, under TCG), so b is a with its
 * top 17 bits set: any mix of the two addresses is a itself or above user
 * space; any mix of the two lengths is one of them.
 */
TEST(sqe_rewritten_while_taken)
{
	struct t_inst in = t_inst_create("engines=1");
	uint8_t *a = xmalloc(RW_LEN), *d = xmalloc(2 * RW_LEN);
	unsigned int ok = 0, refused = 0;
	struct rewriter w;
	struct t_q q;
	pthread_t th;

	t_q_setup(&q, in.ua);
	t_fill_random(a, RW_LEN, 3);
	for (int round = 0; round < 300; round++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, a, d, RW_LEN / 2, 2 * RW_LEN);
		struct wd_soft_cqe c;
		uint32_t i = q.sq_tail;

		memset(d, 0xa5, 2 * RW_LEN);
		t_q_push(&q, &s);
		w = (struct rewriter){ .slot = &q.sq[i & (q.depth - 1)],
				       .src_a = s.src,
				       .src_b = s.src | 0xffff800000000000ull };
		T_EQ(pthread_create(&th, NULL, rewrite_fn, &w), 0);
		while (!__atomic_load_n(&w.flips, __ATOMIC_RELAXED))
			;
		t_q_publish(&q);
		t_q_wait(&q, &c);
		w.stop = true;
		T_EQ(pthread_join(th, NULL), 0);
		T_EQ_HEX(c.user_data, s.user_data);
		if (c.status == WD_SOFT_S_OK) {
			T_ASSERT_MSG(c.out_len == RW_LEN / 2 || c.out_len == RW_LEN,
				     "out_len %u", c.out_len);
			T_ASSERT_MSG(!memcmp(d, a, c.out_len), "round %d: not a's "
				     "bytes", round);
			for (uint32_t k = c.out_len; k < 2 * RW_LEN; k++)
				if (d[k] != 0xa5)
					T_FAIL("round %d: byte %u written past "
					       "out_len %u", round, k, c.out_len);
			ok++;
		} else {
			T_EQ(c.status, WD_SOFT_S_BAD_ADDR);
			T_EQ(c.out_len, 0);
			for (uint32_t k = 0; k < 2 * RW_LEN; k++)
				if (d[k] != 0xa5)
					T_FAIL("round %d: BAD_ADDR but byte %u "
					       "written", round, k);
			refused++;
		}
	}
	T_EQ(t_q_status(&q) & WD_SOFT_ST_BROKEN, 0);
	t_note("%u copies of a, %u refused (b's address)", ok, refused);
}

/* ---- a restart with stale entries in the rings ---- */

TEST(restart_stale_entries)
{
	struct t_inst in = t_inst_create("engines=1");
	uint8_t *src = xmalloc(4096), *dst = xmalloc(4096);
	struct wd_soft_cqe c;
	struct t_q q, o;

	t_q_setup(&q, in.ua);
	t_q_setup(&o, in.ua);
	for (int i = 0; i < 5; i++) {
		struct wd_soft_sqe s = t_sqe_nop(i);

		t_q_run(&q, &s);
	}
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	/* what START_Q's index 0.. would take and read as valid: SQEs with
	 * lap 0's phase, CQEs too */
	t_fill_random(src, 4096, 9);
	memset(dst, 0x5c, 4096);
	for (uint32_t i = 0; i < 8; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, 4096, 4096);

		t_q_sqe_write(&q, i, &s);
		t_q_sqe_phase(&q, i, t_q_phase(&q, i));
		q.cq[i].user_data = 0xdead;
		q.cq[i].phase = t_q_phase(&q, i);
	}
	t_q_start_again(&q);
	T_EQ(q.sq_tail, 0);
	T_ASSERT_MSG(!t_q_cqe_ready(&q, 0), "a stale CQE survived START_Q");
	t_q_kick(&q);
	nothing_taken(&q, &o, 0);
	for (int k = 0; k < 4096; k++)
		if (dst[k] != 0x5c)
			T_FAIL("a stale SQE ran after START_Q (byte %d)", k);
	/* the queue works from index 0 */
	struct wd_soft_sqe s = t_sqe_nop(0x600d);

	c = t_q_run(&q, &s);
	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.phase, 1);
	T_EQ(t_q_hdr_sq_head(&q), 1);
}

/* ---- the CQ full ---- */

TEST(cq_full_one_per_consumed)
{
	struct t_inst in = t_inst_create("engines=1");
	struct wd_soft_sqe s;
	struct wd_soft_cqe c;
	struct t_q q, o;
	uint32_t base;

	t_q_setup(&q, in.ua);
	t_q_setup(&o, in.ua);
	t_q_fill_cq(&q);
	base = q.sq_tail;
	for (int i = 0; i < 3; i++) {
		s = t_sqe_nop(0xe000 + i);
		t_q_push_over(&q, &s);
	}
	t_q_publish(&q);
	t_q_kick(&q);
	nothing_taken(&q, &o, base);
	T_EQ(t_q_hdr_cq_tail(&q), base);
	/* one CQE consumed: one SQE taken, not two */
	for (int i = 1; i <= 3; i++) {
		T_EQ(t_q_take(&q, &c), 1);
		T_EQ(c.user_data, (uint64_t)i - 1);
		t_q_kick(&q);
		T_WAIT_UNTIL(t_q_hdr_cq_tail(&q) == base + i,
			     "SQE %u not taken after cq_head moved", base + i - 1);
		engine_looked(&o);
		T_EQ(t_q_hdr_sq_head(&q), base + i);
	}
	/* and the rest in order */
	for (uint32_t i = 3; i < q.depth; i++) {
		T_EQ(t_q_take(&q, &c), 1);
		T_EQ(c.user_data, i);
	}
	for (int i = 0; i < 3; i++) {
		T_EQ(t_q_reap(&q, &c, 10000), 1);
		T_EQ(c.user_data, 0xe000 + i);
	}
}

/* ---- a bad cq_head ---- */

/*
 * Both kinds of bad cq_head, read with the CQ full: BROKEN with
 * QERR_CQ_HEAD, the SQE that made the device read it not taken; a queue of
 * the same engine works throughout and after.
 */
TEST(bad_cq_head_when_full)
{
	struct t_inst in = t_inst_create("engines=1");
	struct t_q q, o;

	t_q_setup(&q, in.ua);
	t_q_setup(&o, in.ua);
	for (int kind = 0; kind < 4; kind++) {
		struct wd_soft_sqe s = t_sqe_nop(0xbbb);
		uint32_t tail, bad;

		t_q_fill_cq(&q);
		tail = t_q_hdr_cq_tail(&q);
		bad = kind == 0 ? tail + 1 : kind == 1 ? tail + 0x7fffffffu :
		      kind == 2 ? tail - q.depth - 1 : tail - 0x80000000u;
		__atomic_store_n(&q.mmio->cq_head, bad, __ATOMIC_RELEASE);
		t_q_push_over(&q, &s);
		t_q_publish(&q);
		t_q_kick(&q);
		T_WAIT_UNTIL(t_q_status(&q) & WD_SOFT_ST_BROKEN,
			     "cq_head %u (cq_tail %u): not BROKEN", bad, tail);
		T_EQ(q.mmio->error, WD_SOFT_QERR_CQ_HEAD);
		T_EQ(t_q_hdr_sq_head(&q), q.sq_tail - 1);
		engine_looked(&o);
		t_q_restart(&q);
	}
	engine_looked(&q);
}

/* the same, seen from another process on the same kernel device */
TEST(bad_cq_head_other_process)
{
	T_NEED_KERNEL("another process's queue on the same device (in-process, "
		      "each process has its own)");
	struct t_inst in = t_inst_create("engines=1");
	int go[2], done[2];
	char b;
	pid_t pid;
	struct t_q q;

	T_OK(pipe(go));
	T_OK(pipe(done));
	pid = t_fork();
	if (pid == 0) {
		struct t_q o;
		uint8_t *src = xmalloc(65536), *dst = xmalloc(65536);

		t_q_setup(&o, in.ua);
		t_q_copy_check(&o, src, dst, 65536);
		T_EQ(write(done[1], "r", 1), 1);
		T_EQ(read(go[0], &b, 1), 1);
		for (int i = 0; i < 50; i++)
			t_q_copy_check(&o, src, dst, 65536);
		_exit(0);
	}
	T_EQ(read(done[0], &b, 1), 1);
	t_q_setup(&q, in.ua);
	t_q_break_cq_head(&q);
	T_EQ(write(go[1], "g", 1), 1);
	t_wait_ok(pid, 60000);
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
}

/* ---- need-wakeup ---- */

/* published by phase while parked: nothing until the KICK */
TEST(parked_publish_needs_kick)
{
	struct t_inst in = t_inst_create("engines=1");
	struct wd_soft_sqe s = t_sqe_nop(0x1111);
	struct wd_soft_cqe c;
	struct t_q q, o;

	t_q_setup(&q, in.ua);
	t_q_setup(&o, in.ua);
	T_WAIT_UNTIL(t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP,
		     "the idle queue was never parked");
	/*
	 * NEED_WAKEUP is stored before the engine's last look at the ring
	 * (E1 before E3): parked only once that turn is over. Held, the
	 * engine sleeps, its turn done (under the scheduler's lock): still
	 * set now, the queue is parked; released, a parked queue stays so.
	 */
	t_hold(in.id, true);
	T_ASSERT_MSG(t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP,
		     "NEED_WAKEUP cleared with nothing published");
	t_hold(in.id, false);
	t_q_push(&q, &s);
	t_q_publish_phases(&q);
	engine_looked(&o);
	T_EQ(t_q_hdr_sq_head(&q), 0);
	T_ASSERT(t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP);
	t_q_kick(&q);
	T_EQ(t_q_reap(&q, &c, T_HANG_MS), 1);
	T_EQ(c.user_data, 0x1111);
}

/*
 * The protocol alone (phase, full barrier, KICK only if NEED_WAKEUP):
 * every request completes without any other KICK, at random pauses that
 * straddle the parking decision. On the in-process engine that never
 * parks (spin_ns 4 s) not one KICK is needed: none unless the queue was
 * empty for 4 s. The engine parks only after it found the ring empty
 * for spin_ns since its first idle look, which follows the taking of the
 * previous request, so after the previous publish: a KICK is due only if
 * that publish was 4 s ago or more (this thread off the CPU that long, a
 * loaded host), and such a KICK is no failure. Any other KICK is.
 */
#define NEVER_PARKS_SPIN_MS 4000
static void no_kick_needed(const char *opts, bool never_parks)
{
	struct t_inst in = t_inst_create(opts);
	uint64_t seed = 77, kicks = 0, prev;
	struct t_q q;

	prev = t_now_ms();	/* before START_Q: the engine's first look */
	t_q_setup(&q, in.ua);
	for (uint32_t i = 0; i < 2000; i++) {
		struct wd_soft_sqe s = t_sqe_nop(i);
		struct wd_soft_cqe c;
		uint64_t now, end;

		t_q_push(&q, &s);
		now = t_now_ms();	/* before the publish: a lower bound */
		t_q_publish_phases(&q);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP) {
			/* an upper bound of the idle time the engine saw */
			uint64_t idle = t_now_ms() - prev;

			kicks++;
			if (never_parks && idle < NEVER_PARKS_SPIN_MS)
				T_FAIL("request %u: NEED_WAKEUP after at most "
				       "%llu ms idle, the engine spins %d ms",
				       i, (unsigned long long)idle,
				       NEVER_PARKS_SPIN_MS);
			t_q_kick(&q);
		}
		prev = now;
		/* wait without kicking: poll() sleeps, the device posts */
		end = t_now_ms() + T_HANG_MS;
		while (!t_q_cqe_ready(&q, q.cq_head)) {
			T_ASSERT_MSG(t_now_ms() <= end, "request %u never "
				     "taken: a KICK was needed with "
				     "NEED_WAKEUP clear", i);
			t_q_poll(&q, 100);
		}
		T_EQ(t_q_take(&q, &c), 1);
		T_EQ(c.user_data, i);
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		if (seed % 4 == 0)
			usleep(seed % 200);
	}
	if (never_parks)
		t_note("%llu KICKs for 2000 requests, all after %d ms idle "
		       "or more", (unsigned long long)kicks,
		       NEVER_PARKS_SPIN_MS);
	else
		t_note("%llu KICKs for 2000 requests",
		       (unsigned long long)kicks);
}

TEST(no_kick_without_need_wakeup)
{
	no_kick_needed("engines=1", false);
}

TEST(no_kick_engine_never_parks)
{
	T_NEED_LOCAL("spin_ns= is the in-process device's");
	/* spin_ns: NEVER_PARKS_SPIN_MS */
	no_kick_needed("engines=1 spin_ns=4000000000", true);
}
