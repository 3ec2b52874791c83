// SPDX-License-Identifier: GPL-2.0
/* t_poll: poll() reports POLLIN when the queue has a completion to collect */
#include "t.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>


/* poll(POLLIN) of the queue (t_q_poll_ev(): either host) */
static int poll1(struct t_q *q, int timeout, short *revents)
{
	int r = t_q_poll_ev(q, timeout, revents);

	if (r < 0)
		T_FAIL("poll: %s", t_errname(-r));
	return r;
}

/* wait (without poll) until the device posted a CQE */
static void spin_for_cqe(struct t_q *q)
{
	uint64_t end = t_now_ms() + T_HANG_MS;

	while (!t_q_cqe_ready(q, q->cq_head)) {
		T_ASSERT_MSG(t_now_ms() <= end, "no CQE within %d s",
			     T_HANG_MS / 1000);
		if (t_q_kick_due(q))
			t_q_kick(q);
		t_msleep(1);
	}
}

TEST(idle_times_out)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	short rev;
	uint64_t t0;

	t_q_setup(&q, in.ua);
	T_EQ(poll1(&q, 0, &rev), 0);
	t0 = t_now_ms();
	T_EQ(poll1(&q, 300, &rev), 0);
	T_ASSERT_MSG(t_now_ms() - t0 >= 250, "poll returned 0 after %llu ms",
		     (unsigned long long)(t_now_ms() - t0));
}

/* a queue that was never started has nothing to collect either */
TEST(init_queue_no_pollin)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	short rev;

	t_q_open(&q, in.ua);
	T_EQ(poll1(&q, 100, &rev), 0);
	t_q_map(&q);
	T_EQ(poll1(&q, 100, &rev), 0);
}

TEST(completion_gives_pollin)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(9);
	struct wd_soft_cqe cqe;
	short rev = 0;

	t_q_setup(&q, in.ua);
	t_q_push(&q, &s);
	t_q_publish(&q);
	spin_for_cqe(&q);
	T_EQ(poll1(&q, 0, &rev), 1);
	T_EQ_HEX(rev, POLLIN);
	/* still there until collected */
	T_EQ(poll1(&q, 0, &rev), 1);
	T_ASSERT(t_q_reap(&q, &cqe, 0) == 1);
	T_EQ(cqe.user_data, 9);
	/* collected (cq_head stored): nothing to report any more */
	T_EQ(poll1(&q, 0, &rev), 0);
}

/* two completions: POLLIN until both are collected */
TEST(pollin_until_all_collected)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe s1 = t_sqe_nop(1), s2 = t_sqe_nop(2);
	struct wd_soft_cqe cqe;
	short rev;

	t_q_setup(&q, in.ua);
	t_q_push(&q, &s1);
	t_q_push(&q, &s2);
	t_q_publish(&q);
	T_WAIT_UNTIL(t_q_cqe_ready(&q, q.cq_head + 1),
		     "no second CQE within %d s", T_HANG_MS / 1000);
	T_ASSERT(t_q_cqe_ready(&q, q.cq_head) && t_q_cqe_ready(&q, q.cq_head + 1));
	T_EQ(poll1(&q, 0, &rev), 1);
	T_ASSERT(t_q_reap(&q, &cqe, 0) == 1);
	T_EQ(poll1(&q, 0, &rev), 1);
	T_ASSERT(rev & POLLIN);
	T_ASSERT(t_q_reap(&q, &cqe, 0) == 1);
	T_EQ(poll1(&q, 0, &rev), 0);
}

/*
 * Submits one NOP once thread @tid sleeps in t_q_poll() (or, with
 * @epoll, in epoll_wait()), so that the completion has a sleeper to wake,
 * for certain.
 */
struct waker {
	struct t_q *q;
	pid_t tid;		/* 0: submit at once */
	bool epoll;
	bool submitted;
};

static void *submit_later(void *arg)
{
	struct waker *w = arg;
	struct wd_soft_sqe s = t_sqe_nop(0x77);

	if (w->tid && w->epoll)
		t_wait_asleep_in(w->tid, SYS_epoll_wait, SYS_epoll_pwait,
				 "the sleeper");
	else if (w->tid)
		t_wait_asleep_in_poll(w->tid, "the sleeper");
	__atomic_store_n(&w->submitted, true, __ATOMIC_SEQ_CST);
	t_q_push(w->q, &s);
	t_q_publish(w->q);
	return NULL;
}

/* a thread sleeps in poll (no timeout); another submits once it does */
TEST(sleeper_woken_by_completion)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct waker w = { &q, t_gettid(), false, false };
	pthread_t th;
	short rev = 0;
	struct wd_soft_cqe cqe;

	t_q_setup(&q, in.ua);
	T_EQ(pthread_create(&th, NULL, submit_later, &w), 0);
	T_EQ(poll1(&q, -1, &rev), 1);	/* the test timeout catches a hang */
	T_ASSERT(rev & POLLIN);
	T_ASSERT_MSG(__atomic_load_n(&w.submitted, __ATOMIC_SEQ_CST),
		     "poll returned before the request was submitted");
	T_EQ(pthread_join(th, NULL), 0);
	T_ASSERT(t_q_reap(&q, &cqe, 0) == 1);
	T_EQ(cqe.user_data, 0x77);
}

/* the owner submits a long COPY and sleeps in poll until it completes */
TEST(sleeper_woken_by_long_copy)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	size_t len = 16 << 20;
	char *src = malloc(len), *dst = malloc(len);
	struct wd_soft_sqe s;
	struct wd_soft_cqe cqe;
	short rev = 0;

	T_ASSERT(src && dst);
	t_fill_random(src, len, 3);
	memset(dst, 0, len);
	t_q_setup(&q, in.ua);
	s = t_sqe_copy(&q, src, dst, len, len);
	t_q_push(&q, &s);
	t_q_publish(&q);
	T_EQ(poll1(&q, -1, &rev), 1);
	T_ASSERT(rev & POLLIN);
	T_ASSERT(t_q_cqe_ready(&q, q.cq_head));
	T_ASSERT(t_q_reap(&q, &cqe, 0) == 1);
	T_EQ(cqe.status, WD_SOFT_S_OK);
	T_ASSERT(!memcmp(src, dst, len));
}

/* many sleepers on the same queue: all are woken */
struct poller {
	struct t_q *q;
	pid_t tid;
};

static void *poll_thread(void *arg)
{
	struct poller *pl = arg;
	short rev = 0;
	int r;

	__atomic_store_n(&pl->tid, t_gettid(), __ATOMIC_SEQ_CST);
	r = t_q_poll_ev(pl->q, -1, &rev);
	return (void *)(long)(r == 1 && (rev & POLLIN));
}

/* start a thread that polls @q; return once it sleeps in poll() */
static void poller_start(struct poller *pl, struct t_q *q, pthread_t *th,
			 void *(*fn)(void *))
{
	pl->q = q;
	pl->tid = 0;
	T_EQ(pthread_create(th, NULL, fn, pl), 0);
	T_WAIT_UNTIL(__atomic_load_n(&pl->tid, __ATOMIC_SEQ_CST),
		     "the poller never ran");
	t_wait_asleep_in_poll(pl->tid, "the poller");
}

TEST(many_sleepers_woken)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	pthread_t th[4];
	struct poller pl[4];
	struct waker w = { &q, 0, false, false };
	struct wd_soft_cqe cqe;

	t_q_setup(&q, in.ua);
	for (int i = 0; i < 4; i++)
		poller_start(&pl[i], &q, &th[i], poll_thread);
	submit_later(&w);
	for (int i = 0; i < 4; i++) {
		void *ok;

		T_EQ(pthread_join(th[i], &ok), 0);
		T_ASSERT_MSG(ok, "sleeper %d: poll did not report POLLIN", i);
	}
	T_ASSERT(t_q_reap(&q, &cqe, 0) == 1);
}

TEST(epoll_woken_by_completion)
{
	T_NEED_KERNEL("epoll of the queue's file: an in-process queue has "
		      "no file to add to an epoll set");
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct waker w = { &q, t_gettid(), true, false };
	struct epoll_event ev = { .events = EPOLLIN }, out;
	pthread_t th;
	int ep;
	struct wd_soft_cqe cqe;

	t_q_setup(&q, in.ua);
	ep = T_OK(epoll_create1(EPOLL_CLOEXEC));
	T_OK(epoll_ctl(ep, EPOLL_CTL_ADD, q.fd, &ev));
	T_EQ(epoll_wait(ep, &out, 1, 100), 0);
	T_EQ(pthread_create(&th, NULL, submit_later, &w), 0);
	T_EQ(epoll_wait(ep, &out, 1, -1), 1);
	T_ASSERT(out.events & EPOLLIN);
	T_ASSERT(__atomic_load_n(&w.submitted, __ATOMIC_SEQ_CST));
	T_EQ(pthread_join(th, NULL), 0);
	T_ASSERT(t_q_reap(&q, &cqe, 0) == 1);
	T_EQ(epoll_wait(ep, &out, 1, 100), 0);
}

/* completions of one queue do not wake another queue's poll */
TEST(other_queue_not_reported)
{
	struct t_inst in = t_inst_create("");
	struct t_q a, b;
	struct wd_soft_sqe s = t_sqe_nop(3);
	short rev;

	t_q_setup(&a, in.ua);
	t_q_setup(&b, in.ua);
	t_q_push(&a, &s);
	t_q_publish(&a);
	spin_for_cqe(&a);
	T_EQ(poll1(&a, 0, &rev), 1);
	T_EQ(poll1(&b, 200, &rev), 0);
}

/* ---- cq_notify (wd_soft_v1: completion wake-ups on request) ---- */

static void *poll_forever(void *arg)
{
	struct poller *pl = arg;
	short rev = 0;
	int r;

	__atomic_store_n(&pl->tid, t_gettid(), __ATOMIC_SEQ_CST);
	r = t_q_poll_ev(pl->q, -1, &rev);
	return (void *)(long)(r == 1 ? rev : -1);
}

/* ENABLE | ARMED, barrier, look again, sleep: the completion wakes us */
TEST(cq_notify_armed_wakes)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct waker w = { &q, t_gettid(), false, false };
	pthread_t th;
	short rev = 0;
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	T_EQ(pthread_create(&th, NULL, submit_later, &w), 0);
	__atomic_store_n(&q.mmio->cq_notify,
			 WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!t_q_cqe_ready(&q, q.cq_head))
		T_EQ(poll1(&q, -1, &rev), 1);
	__atomic_store_n(&q.mmio->cq_notify, WD_SOFT_CQN_ENABLE,
			 __ATOMIC_RELEASE);
	T_EQ(pthread_join(th, NULL), 0);
	T_ASSERT(t_q_reap(&q, &c, 1000) == 1);
	T_EQ(c.user_data, 0x77);
}

/*
 * ENABLE without ARMED: the completion does not wake the sleeping poller;
 * once ARMED, the next completion does (cq_notify_armed_wakes is the other
 * half: arming races with the device). No time window: the helper waits
 * for the first CQE and for the engine to be past its wake-up decision
 * (held, so asleep), then the poller must still be asleep in poll.
 */
struct unarmed {
	struct t_q *q;
	int id;			/* the instance, for t_hold() */
	pid_t tid;		/* the poller */
	bool armed;		/* ARMED stored, the second NOP published */
	bool returned;		/* the poller's poll returned */
};

static void *unarmed_submit(void *arg)
{
	struct unarmed *u = arg;
	struct wd_soft_sqe s1 = t_sqe_nop(0x77), s2 = t_sqe_nop(0x78);

	t_wait_asleep_in_poll(u->tid, "the unarmed poller");
	t_q_push(u->q, &s1);
	t_q_publish(u->q);
	T_WAIT_UNTIL(t_q_cqe_ready(u->q, u->q->cq_head),
		     "the first NOP not completed within %d s",
		     T_HANG_MS / 1000);
	/* asleep held: the engine's batch, its notify decision included, ran */
	t_hold(u->id, true);
	t_hold(u->id, false);
	/* a woken poller is runnable, or gone from poll (POLLIN holds) */
	T_ASSERT_MSG(!__atomic_load_n(&u->returned, __ATOMIC_SEQ_CST) &&
		     t_task_asleep_in_poll(u->tid),
		     "a poller that did not arm was woken by the completion");
	__atomic_store_n(&u->q->mmio->cq_notify,
			 WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED, __ATOMIC_SEQ_CST);
	__atomic_store_n(&u->armed, true, __ATOMIC_SEQ_CST);
	t_q_push(u->q, &s2);
	t_q_publish(u->q);
	T_WAIT_UNTIL(__atomic_load_n(&u->returned, __ATOMIC_SEQ_CST),
		     "an armed poller not woken by the completion within %d s",
		     T_HANG_MS / 1000);
	return NULL;
}

/* the poller's poll() outlasts the helper's waits: the helper reports a hang */
T_TEST_TMO(cq_notify_unarmed_sleeps, 150)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct unarmed u = { &q, in.id, t_gettid(), false, false };
	struct wd_soft_cqe c;
	pthread_t th;

	t_q_setup(&q, in.ua);
	__atomic_store_n(&q.mmio->cq_notify, WD_SOFT_CQN_ENABLE,
			 __ATOMIC_SEQ_CST);
	T_EQ(pthread_create(&th, NULL, unarmed_submit, &u), 0);
	T_EQ(t_q_poll(&q, 4 * T_HANG_MS), 1);
	__atomic_store_n(&u.returned, true, __ATOMIC_SEQ_CST);
	T_ASSERT_MSG(__atomic_load_n(&u.armed, __ATOMIC_SEQ_CST),
		     "a poller that did not arm was woken by the completion");
	__atomic_store_n(&q.mmio->cq_notify, WD_SOFT_CQN_ENABLE,
			 __ATOMIC_RELEASE);
	T_EQ(pthread_join(th, NULL), 0);
	T_EQ(t_q_reap(&q, &c, 0), 1);
	T_EQ(c.user_data, 0x77);
	T_EQ(t_q_reap(&q, &c, T_HANG_MS), 1);
	T_EQ(c.user_data, 0x78);
}

/* START_Q resets cq_notify to 0 */
TEST(cq_notify_reset_by_start)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_setup(&q, in.ua);
	q.mmio->cq_notify = WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED;
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	T_CMD_OK(&q, UACCE_CMD_START_Q, 0);
	T_EQ(q.mmio->cq_notify, 0);
}

/*
 * ENABLE without ARMED: a BROKEN queue still wakes its sleepers. It breaks
 * with nothing to collect: the CQ filled and reaped (the device's cached
 * cq_head still says full), then a cq_head beyond cq_tail and one more SQE.
 */
TEST(cq_notify_broken_wakes)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct poller pl;
	struct wd_soft_sqe s = t_sqe_nop(9);
	struct wd_soft_cqe c;
	pthread_t th;
	void *rev;

	t_q_setup(&q, in.ua);
	t_q_fill_cq(&q);
	while (t_q_take(&q, &c) == 1)
		;
	q.mmio->cq_notify = WD_SOFT_CQN_ENABLE;
	poller_start(&pl, &q, &th, poll_forever);
	__atomic_store_n(&q.mmio->cq_head, q.cq_head + 5, __ATOMIC_RELEASE);
	t_q_push(&q, &s);
	t_q_publish(&q);
	t_q_cmd(&q, WD_SOFT_CMD_KICK, 0);
	T_EQ(pthread_join(th, &rev), 0);	/* the test timeout catches a hang */
	/* an error (POLLIN too in the kernel: its cq_tail is not the bad
	 * cq_head), and no CQE to collect */
	T_ASSERT_MSG((long)rev > 0 && ((long)rev & POLLERR),
		     "sleeper: revents %#lx", (long)rev);
	T_ASSERT(t_q_status(&q) & WD_SOFT_ST_BROKEN);
	T_EQ(q.mmio->error, WD_SOFT_QERR_CQ_HEAD);
	T_EQ(t_q_take(&q, &c), 0);
}

/*
 * ENABLE without ARMED: stopping a queue whose request the device took
 * still wakes its sleepers, with that request's CANCELED CQE. The request
 * is taken and held for certain: its source page waits on a userfaultfd.
 */
TEST(cq_notify_stop_wakes)
{
	T_NEED_KERNEL("a stop aborts a request blocked on a userfaultfd "
		      "page: an in-process engine's wait for it cannot be "
		      "aborted (docs/soft-local.md, limits)");
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct poller pl;
	struct wd_soft_cqe c;
	pthread_t th;
	uint64_t addr;
	void *rev, *src;
	char dst[64];
	int uffd = t_uffd_region(&src, t_page);

	if (uffd < 0)
		t_skip("userfaultfd: %s", t_errname(-uffd));
	t_q_setup(&q, in.ua);
	q.mmio->cq_notify = WD_SOFT_CQN_ENABLE;
	struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, sizeof(dst), sizeof(dst));

	t_q_push(&q, &s);
	t_q_publish(&q);
	T_ASSERT_MSG(t_uffd_wait_fault(uffd, T_HANG_MS, &addr) == 1,
		     "the device did not ask for the page");
	poller_start(&pl, &q, &th, poll_forever);
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	T_EQ(pthread_join(th, &rev), 0);
	T_ASSERT_MSG((long)rev > 0 && ((long)rev & POLLIN),
		     "sleeper: revents %#lx", (long)rev);
	T_EQ(t_q_reap(&q, &c, 0), 1);
	T_EQ(c.status, WD_SOFT_S_CANCELED);
	close(uffd);
}
