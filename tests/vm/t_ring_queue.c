// SPDX-License-Identifier: GPL-2.0
/*
 * t_ring_queue: the ring of wd_soft_v3 as a whole (one request: t_ring):
 * completion order, KICK and NEED_WAKEUP, broken ring indices, a full
 * completion ring, wrapping indices, PUT_Q and close with requests in
 * flight, fork() during a copy, parallel queues, START_Q/PUT_Q races.
 */
#include "ring.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* requests of one queue complete in order (docs/soft-device.md) */
TEST(completions_in_order)
{
	struct t_inst in = t_inst_create("engines=4");
	struct t_q q;
	char *src = xmalloc(1 << 20), *dst = xmalloc(1 << 20);

	t_q_setup(&q, in.ua);
	for (int i = 0; i < 200; i++) {
		struct wd_soft_sqe s = i % 3 ? t_sqe_nop(i) :
			t_sqe_copy(&q, src, dst, (i * 4099) % (1 << 20),
				   1 << 20);

		s.user_data = i;
		if (i % 17 == 0)
			s.op = 0x300;	/* BAD_OP in between */
		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	for (int i = 0; i < 200; i++) {
		struct wd_soft_cqe c;

		t_q_wait(&q, &c);
		T_EQ(c.user_data, i);
	}
}

/* KICK works only on a started queue (docs/soft-device.md: EINVAL) */
TEST(kick_needs_started_queue)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_open(&q, in.ua);
	T_CMD_ERR(&q, WD_SOFT_CMD_KICK, 0, EINVAL);
	t_q_map(&q);
	t_q_start(&q);
	T_CMD_OK(&q, WD_SOFT_CMD_KICK, 0);
	T_CMD_OK(&q, WD_SOFT_CMD_KICK, 0);	/* harmless when awake */
	nop_works(&q);
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	T_CMD_ERR(&q, WD_SOFT_CMD_KICK, 0, EINVAL);
}

/* a BROKEN queue wakes its pollers (POLLERR) and is not the device's fault */
TEST(broken_wakes_poller_not_counted)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	short rev = 0;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "1"), 0);
	t_q_setup(&q, in.ua);
	nop_works(&q);
	T_EQ(t_q_poll_ev(&q, 0, &rev), 0);
	pid_t pid = t_fork();

	if (pid == 0) {
		/* another process only reads sysfs: nothing of the queue */
		t_msleep(300);
		_exit(0);
	}
	t_q_break_cq_head(&q);
	T_EQ(t_q_poll_ev(&q, T_HANG_MS, &rev), 1);
	/* every CQE was collected: the error to report (the kernel's POLLIN
	 * compares its cq_tail with the bad cq_head) */
	T_ASSERT_MSG(rev & POLLERR, "revents %#x", rev);
	T_ASSERT(!t_q_cqe_ready(&q, q.cq_head));
	T_ASSERT(t_q_status(&q) & WD_SOFT_ST_BROKEN);
	t_wait_ok(pid, T_HANG_MS);
	/* the process's own fault: the device is not isolated */
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	int fd = t_open_raw(in.ua);

	T_ASSERT_MSG(fd >= 0, "open after a BROKEN queue: %s", t_errname(-fd));
	close(fd);
}

static void wait_broken(struct t_q *q, uint32_t err)
{
	uint64_t end = t_now_ms() + T_HANG_MS;

	for (int i = 0; !(t_q_status(q) & WD_SOFT_ST_BROKEN) &&
	     t_now_ms() < end; i++) {
		if (i % 100 == 0)
			t_q_cmd(q, WD_SOFT_CMD_KICK, 0);
		t_msleep(1);
	}
	T_ASSERT_MSG(t_q_status(q) & WD_SOFT_ST_BROKEN,
		     "bad index: queue not BROKEN (status %#x)", t_q_status(q));
	T_EQ(q->mmio->error, err);
}

/*
 * A bad cq_head, read when the CQ is full (wd_soft_v3): beyond cq_tail
 * (@behind false) or more than a ring behind it: BROKEN, QERR_CQ_HEAD.
 */
static void broken_index(bool behind)
{
	struct t_inst in = t_inst_create("");
	struct wd_soft_sqe s = t_sqe_nop(1);
	struct t_q q, other;
	uint32_t tail;

	t_q_setup(&q, in.ua);
	t_q_setup(&other, in.ua);
	nop_works(&q);
	t_q_fill_cq(&q);
	tail = t_q_hdr_cq_tail(&q);
	__atomic_store_n(&q.mmio->cq_head,
			 behind ? tail - q.depth - 1 : tail + 5,
			 __ATOMIC_RELEASE);
	t_q_push_over(&q, &s);
	t_q_publish(&q);
	wait_broken(&q, WD_SOFT_QERR_CQ_HEAD);
	T_EQ(t_q_hdr_sq_head(&q), q.sq_tail - 1);
	/* other queues are unaffected */
	nop_works(&other);
	char *src = xmalloc(1 << 20), *dst = xmalloc(1 << 20);

	t_q_copy_check(&other, src, dst, 1 << 20);
	T_ASSERT(!(t_q_status(&other) & WD_SOFT_ST_BROKEN));
	/* the broken queue: nothing more is done... */
	tail = t_q_hdr_cq_tail(&q);
	t_msleep(100);
	T_EQ(t_q_hdr_cq_tail(&q), tail);
	T_EQ(t_q_hdr_sq_head(&q), q.sq_tail - 1);
	/* ...until PUT_Q + START_Q */
	t_q_restart(&q);
	T_ASSERT_MSG(!(t_q_status(&q) & WD_SOFT_ST_BROKEN),
		     "still BROKEN after PUT_Q + START_Q");
	T_EQ(q.mmio->error, WD_SOFT_QERR_NONE);
	nop_works(&q);
	t_q_copy_check(&q, src, dst, 1 << 20);
}

TEST(broken_cq_head_beyond)
{
	broken_index(false);
}

TEST(broken_cq_head_behind)
{
	broken_index(true);
}

/*
 * wd_soft_v3 has no sq_tail: the word where v2 had it (rsvd0) and a bad
 * cq_head while the CQ has room are not read; the queue works on.
 */
TEST(v2_doorbells_ignored)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_setup(&q, in.ua);
	__atomic_store_n(&q.mmio->rsvd0, q.depth + 5, __ATOMIC_RELEASE);
	__atomic_store_n(&q.mmio->cq_head, 0x80000000u, __ATOMIC_RELEASE);
	t_q_kick(&q);
	for (int i = 0; i < 3; i++)
		nop_works(&q);
	T_EQ(t_q_status(&q) & WD_SOFT_ST_BROKEN, 0);
}

/*
 * After PUT_Q every SQE the device took (below the header's sq_head) has
 * exactly one CQE, in order, done or CANCELED; the ones it did not take
 * have none and never run (docs/soft-device.md, "Stopping"). Returns how
 * many completed OK.
 */
static int put_q_reap_taken(struct t_q *q, uint64_t first_data, int n)
{
	uint32_t taken = t_q_hdr_sq_head(q);
	int ok = 0;

	T_ASSERT_MSG(taken <= (uint32_t)n, "sq_head %u of %d", taken, n);
	T_EQ(t_q_hdr_cq_tail(q) - q->cq_head, taken);
	for (uint32_t i = 0; i < taken; i++) {
		struct wd_soft_cqe c;

		T_EQ(t_q_reap(q, &c, 0), 1);
		T_EQ(c.user_data, first_data + i);
		T_ASSERT_MSG(c.status == WD_SOFT_S_OK ||
			     c.status == WD_SOFT_S_CANCELED,
			     "request %u: status %u", i, c.status);
		ok += c.status == WD_SOFT_S_OK;
	}
	T_EQ(t_q_reap(q, &(struct wd_soft_cqe){ 0 }, 0), 0);
	t_note("%d completed, %u canceled, %u not taken", ok, taken - ok,
	       n - taken);
	return ok;
}

/* PUT_Q with requests published: each taken one completed or CANCELED */
T_TEST_TMO(put_q_with_requests_in_flight, 180)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	size_t len = 4 << 20;
	const int n = 64;
	char *src = xmalloc(len), *dst = xmalloc(len);
	int ok;

	t_q_setup(&q, in.ua);
	t_fill_random(src, len, 8);
	for (int i = 0; i < n; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, len, len);

		s.user_data = 1000 + i;
		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	/* PUT_Q returned: all CQEs are there */
	ok = put_q_reap_taken(&q, 1000, n);
	if (ok)
		T_ASSERT(!memcmp(src, dst, len));
	/* the device no longer touches the queue's memory */
	memset(dst, 0x6b, len);
	t_msleep(200);
	for (size_t i = 0; i < len; i += 4093)
		T_ASSERT_MSG((unsigned char)dst[i] == 0x6b,
			     "dst changed after PUT_Q returned");
	/* and starts again */
	t_q_start_again(&q);
	t_q_copy_check(&q, src, dst, len);
}

/* PUT_Q while the engine is in the middle of the requests */
T_TEST_TMO(put_q_mid_flight, 180)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	size_t len = 4 << 20;
	const int n = 32;
	char *src = xmalloc(len), *dst[4];
	int ok;

	for (int i = 0; i < 4; i++)
		dst[i] = xmalloc(len);
	t_q_setup(&q, in.ua);
	t_fill_random(src, len, 9);
	for (int i = 0; i < n; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst[i % 4], len, len);

		s.user_data = 2000 + i;
		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	/* the first completion: the engine is busy with the rest */
	for (int i = 0; i < 30000 && t_q_hdr_cq_tail(&q) == q.cq_head; i++)
		t_msleep(1);
	T_ASSERT(t_q_hdr_cq_tail(&q) != q.cq_head);
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	ok = put_q_reap_taken(&q, 2000, n);
	T_ASSERT(ok >= 1);
	/* the first one completed before PUT_Q: nothing wrote it since */
	T_ASSERT_MSG(!memcmp(src, dst[0], len), "first completed copy is wrong");
	for (int i = 0; i < 4; i++)
		memset(dst[i], 0x6b, len);
	t_msleep(200);
	for (int i = 0; i < 4; i++)
		for (size_t o = 0; o < len; o += 4093)
			T_ASSERT_MSG((unsigned char)dst[i][o] == 0x6b,
				     "dst changed after PUT_Q returned");
	t_q_start_again(&q);
	t_q_copy_check(&q, src, dst[0], len);
}

/*
 * fork() while the device copies into the parent's memory: the device
 * follows the parent's page tables, so the parent sees the result (its
 * own copies of the pages after the fork), and a child writing its copy
 * of the source changes nothing for the device (docs/uacce.md).
 */
T_TEST_TMO(fork_during_copy_sva, 120)
{
	struct t_inst in = t_inst_create("mode=sva");
	struct t_q q;
	size_t len = 16 << 20;
	char *src = xmalloc(len), *dst = xmalloc(len), *ref = malloc(len);
	struct wd_soft_sqe s;
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	t_fill_random(src, len, 77);
	memcpy(ref, src, len);
	memset(dst, 0, len);
	for (int round = 0; round < 3; round++) {
		s = t_sqe_copy(&q, src, dst, len, len);
		t_q_push(&q, &s);
		t_q_publish(&q);
		t_msleep(round * 5);
		pid_t pid = t_fork();

		if (pid == 0) {
			/* the child scribbles over its copies */
			memset(src, 0xee, len);
			memset(dst, 0xdd, len);
			_exit(0);
		}
		t_wait_ok(pid, 30000);
		t_q_wait(&q, &c);
		T_EQ(c.status, WD_SOFT_S_OK);
		T_ASSERT_MSG(!memcmp(src, ref, len), "parent's src changed");
		if (memcmp(dst, ref, len)) {
			size_t i = 0;

			while (dst[i] == ref[i])
				i++;
			T_FAIL("round %d: parent's dst differs at %zu after a "
			       "fork during the copy", round, i);
		}
		memset(dst, 0, len);
	}
}

/* closing with requests in flight: nothing lingers */
T_TEST_TMO(close_with_requests_in_flight, 120)
{
	struct t_inst in = t_inst_create("queues=2");
	for (int r = 0; r < 3; r++) {
		struct t_q q;
		size_t len = 4 << 20;
		char *src = xmalloc(len), *dst = xmalloc(len);

		t_q_setup(&q, in.ua);
		for (int i = 0; i < 32; i++) {
			struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, len, len);

			t_q_push(&q, &s);
		}
		t_q_publish(&q);
		t_q_close(&q);
		T_EQ(t_attr_ll(in.ua, "available_instances"), 2);
		memset(dst, 0x6b, len);
		t_msleep(100);
		T_ASSERT_MSG((unsigned char)dst[len - 1] == 0x6b,
			     "dst changed after close returned");
		munmap(src, len);
		munmap(dst, len);
	}
}

/* the completion ring full: the device takes no more SQEs until room */
T_TEST_TMO(completion_ring_full, 120)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	t_q_fill_cq(&q);
	T_EQ(t_q_hdr_cq_tail(&q) - q.cq_head, q.depth);
	/* one more SQE: its slot is free (consumed), the CQ is not */
	struct wd_soft_sqe extra = t_sqe_nop(0xe0e0);

	t_q_push_over(&q, &extra);
	t_q_publish(&q);
	t_q_cmd(&q, WD_SOFT_CMD_KICK, 0);
	t_msleep(300);
	T_EQ(t_q_hdr_cq_tail(&q) - q.cq_head, q.depth);
	T_EQ(t_q_hdr_sq_head(&q), q.sq_tail - 1);
	T_ASSERT(!(t_q_status(&q) & WD_SOFT_ST_BROKEN));
	/* collect everything: each request exactly once, the extra last */
	unsigned char *seen = calloc(q.depth, 1);

	for (uint32_t i = 0; i <= q.depth; i++) {
		T_EQ(t_q_reap(&q, &c, T_HANG_MS), 1);
		T_EQ(c.status, WD_SOFT_S_OK);
		if (i == q.depth) {
			T_EQ_HEX(c.user_data, 0xe0e0);
			break;
		}
		T_ASSERT_MSG(c.user_data < q.depth && !seen[c.user_data],
			     "CQE %u: user_data %#llx", i,
			     (unsigned long long)c.user_data);
		seen[c.user_data] = 1;
	}
	nop_works(&q);
}

/* many more requests than the ring holds: indices wrap over the slots */
T_TEST_TMO(many_requests_wrap, 180)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	const int total = 5000;
	static unsigned char seen[5000];
	int sent = 0, got = 0;

	t_q_setup(&q, in.ua);
	while (got < total) {
		int batch = 0;

		while (sent < total && q.sq_tail - q.cq_head < q.depth &&
		       batch < 700) {
			struct wd_soft_sqe s = t_sqe_nop(sent++);

			t_q_push(&q, &s);
			batch++;
		}
		if (batch)
			t_q_publish(&q);
		struct wd_soft_cqe c;
		int r = t_q_reap(&q, &c, T_HANG_MS);

		T_EQ(r, 1);
		T_ASSERT(c.user_data < (uint64_t)total);
		T_ASSERT_MSG(!seen[c.user_data], "user_data %llu completed twice",
			     (unsigned long long)c.user_data);
		seen[c.user_data] = 1;
		T_EQ(c.status, WD_SOFT_S_OK);
		got++;
	}
	T_EQ(t_q_hdr_sq_head(&q), q.sq_tail);
}

/* several queues copying at once from threads, on a multi-engine device */
struct worker {
	int ua;
	int seed;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct t_q q;
	size_t len = 256 << 10;
	char *src = xmalloc(len), *dst = xmalloc(len);

	t_q_setup(&q, w->ua);
	for (int i = 0; i < 20; i++) {
		size_t l = (len >> (i % 5)) - w->seed;

		t_fill_random(src, l, w->seed * 100 + i);
		struct wd_soft_cqe c = run(&q, t_sqe_copy(&q, src, dst, l, l));

		T_EQ(c.status, WD_SOFT_S_OK);
		T_ASSERT_MSG(!memcmp(src, dst, l), "queue %d copy %d differs",
			     w->seed, i);
	}
	t_q_close(&q);
	return NULL;
}

T_TEST_TMO(parallel_queues, 180)
{
	struct t_inst in = t_inst_create("queues=8 engines=3");
	pthread_t th[6];
	struct worker w[6];

	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){ in.ua, i + 1 };
		T_EQ(pthread_create(&th[i], NULL, worker_fn, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		T_EQ(pthread_join(th[i], NULL), 0);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 8);
}

/* the owner's threads race START_Q/PUT_Q with submissions: no harm */
struct racer {
	struct t_q *q;
	volatile bool stop;
};

static void *toggler(void *arg)
{
	struct racer *r = arg;

	while (!r->stop) {
		int e = t_q_cmd(r->q, UACCE_CMD_PUT_Q, 0);

		if (e && e != -EINVAL)
			T_FAIL("PUT_Q: %s", t_errname(-e));
		e = t_q_cmd(r->q, UACCE_CMD_START_Q, 0);
		if (e && e != -EINVAL)
			T_FAIL("START_Q: %s", t_errname(-e));
	}
	return NULL;
}

T_TEST_TMO(start_put_race, 120)
{
	struct t_inst in = t_inst_create("engines=2");
	struct t_q q;
	struct racer r = { &q, false };
	pthread_t th[2];
	char *src = xmalloc(1 << 20), *dst = xmalloc(1 << 20);

	t_q_setup(&q, in.ua);
	for (int i = 0; i < 2; i++)
		T_EQ(pthread_create(&th[i], NULL, toggler, &r), 0);
	uint64_t end = t_now_ms() + 3000;

	while (t_now_ms() < end) {
		/* ring indices are reset under our feet: write the slot and
		 * its phase without expecting anything */
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, 1 << 20, 1 << 20);
		uint32_t t = t_q_hdr_sq_head(&q);

		t_q_sqe_write(&q, t, &s);
		t_q_sqe_phase(&q, t, t_q_phase(&q, t));
		t_q_cmd(&q, WD_SOFT_CMD_KICK, 0);
		__atomic_store_n(&q.mmio->cq_head, t_q_hdr_cq_tail(&q),
				 __ATOMIC_RELEASE);
	}
	r.stop = true;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* a clean restart works */
	int e = t_q_cmd(&q, UACCE_CMD_PUT_Q, 0);

	if (e)
		T_EQ(e, -EINVAL);
	t_q_start_again(&q);
	t_q_copy_check(&q, src, dst, 1 << 20);
}

/* NEED_WAKEUP: once the engine sleeps, KICK gets the work done */
TEST(need_wakeup_and_kick)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(0x42);
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	nop_works(&q);
	for (uint64_t end = t_now_ms() + T_HANG_MS;
	     !(t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP) && t_now_ms() < end;)
		t_msleep(1);
	if (!(t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP))
		t_skip("the engine never set NEED_WAKEUP while idle (it polls)");
	/* publish without looking at the flag, then KICK explicitly */
	t_q_push(&q, &s);
	t_q_publish_phases(&q);
	T_CMD_OK(&q, WD_SOFT_CMD_KICK, 0);
	T_EQ(t_q_reap(&q, &c, T_HANG_MS), 1);
	T_EQ(c.user_data, 0x42);
}
