// SPDX-License-Identifier: GPL-2.0
/*
 * t_stress: a million requests through the kernel engines with random
 * pauses, looking for a lost wake-up in either direction.
 *
 * Client threads, one queue each, submit batches of random size (NOPs, and
 * every eighth request a COPY of 64..4095 bytes, checked), following the
 * protocol of wd_soft.h: store sq_tail, full barrier, KICK only when
 * NEED_WAKEUP is seen; after consuming CQEs, KICK if NEED_WAKEUP and SQEs
 * wait. They reap with poll(), half of them with the cq_notify protocol
 * (ENABLE|ARMED, barrier, look again, sleep), half without (the device
 * wakes after every batch). They pause at random: asleep for up to 300 us
 * (the engine parks the queue after 50 us of nothing and sleeps when every
 * queue is parked, so the next submission needs a KICK), busy for up to
 * 100 us (racing the 50 us parking decision), a yield, or not at all.
 *
 * A submission the engine never sees (a lost kick) shows as a poll() that
 * times out after TIMEOUT_MS with nothing to collect; a completion whose
 * poller is never woken (a lost wake-up) as a poll() that lasts the whole
 * TIMEOUT_MS and then finds the CQE (poll() looks once more when its
 * timeout expires): either fails the test. poll() is called with that
 * whole timeout, never in slices, and nothing re-kicks on a timeout, so
 * neither kind of loss can be papered over.
 *
 * Two halves of 500,000: one engine with 4 queues, two engines with 5.
 */
#include "t.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>

T_PROGRAM(150);

#define TIMEOUT_MS	10000
#define DEPTH		WD_SOFT_DEPTH

struct client {
	struct t_q q;
	unsigned int id;
	bool notify;
	uint64_t todo, done;
	uint64_t kicks, sleeps, pauses;
	char err[256];
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int kick(struct client *c)
{
	c->kicks++;
	return ioctl(c->q.fd, WD_SOFT_CMD_KICK);
}

static uint32_t inflight(const struct client *c)
{
	return c->q.sq_tail - c->q.cq_head;
}

/* store sq_tail (release), full barrier, KICK if NEED_WAKEUP */
static int publish(struct client *c)
{
	__atomic_store_n(&c->q.mmio->sq_tail, c->q.sq_tail, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (t_q_status(&c->q) & WD_SOFT_ST_NEED_WAKEUP)
		return kick(c);
	return 0;
}

/*
 * One CQE: 1; a poll() that timed out with nothing to collect: 0; else
 * -errno (-EIO: BROKEN).
 */
static int reap(struct client *c, struct wd_soft_cqe *cqe)
{
	struct t_q *q = &c->q;
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };

	for (;;) {
		uint32_t tail = t_q_hdr_cq_tail(q);

		if (tail - q->cq_head > DEPTH)
			return -ERANGE;
		if (tail != q->cq_head) {
			volatile struct wd_soft_cqe *v =
				&q->cq[q->cq_head & (DEPTH - 1)];

			cqe->user_data = v->user_data;
			cqe->status = v->status;
			cqe->out_len = v->out_len;
			q->cq_head++;
			__atomic_store_n(&q->mmio->cq_head, q->cq_head,
					 __ATOMIC_RELEASE);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if ((t_q_status(q) & WD_SOFT_ST_NEED_WAKEUP) &&
			    t_q_hdr_sq_head(q) != q->sq_tail && kick(c))
				return -errno;
			return 1;
		}
		if (t_q_status(q) & WD_SOFT_ST_BROKEN)
			return -EIO;
		if (c->notify) {
			/* arm, full barrier, look once more (wd_soft.h) */
			__atomic_store_n(&q->mmio->cq_notify,
					 WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED,
					 __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (t_q_hdr_cq_tail(q) != q->cq_head) {
				__atomic_store_n(&q->mmio->cq_notify,
						 WD_SOFT_CQN_ENABLE,
						 __ATOMIC_RELAXED);
				continue;
			}
		}
		c->sleeps++;
		uint64_t t0 = t_now_ms();
		int r = poll(&pfd, 1, TIMEOUT_MS);

		if (c->notify)
			__atomic_store_n(&q->mmio->cq_notify, WD_SOFT_CQN_ENABLE,
					 __ATOMIC_RELAXED);
		if (r < 0 && errno != EINTR)
			return -errno;
		/*
		 * Nobody woke us: poll() looks at the queue once more when
		 * its timeout expires, so a completion posted without a
		 * wake-up shows as a poll() of the whole timeout that
		 * returns 1, and a lost kick as one that returns 0.
		 */
		if (r == 0 || t_now_ms() - t0 >= TIMEOUT_MS - 50)
			return t_q_hdr_cq_tail(q) != q->cq_head ? -EAGAIN : 0;
	}
}

static void pause_for(uint64_t *seed)
{
	uint64_t r = rnd(seed), t0;
	struct timespec ts;

	switch (r % 16) {
	case 0:
	case 1:
		/* asleep: the engine parks the queue and may sleep */
		ts = (struct timespec){ 0, (long)((r >> 8) % 300) * 1000 };
		nanosleep(&ts, NULL);
		break;
	case 2:
	case 3:
		/* busy, about as long as the 50 us before parking */
		t0 = now_ns();
		while (now_ns() - t0 < (r >> 8) % 100000)
			;
		break;
	case 4:
		sched_yield();
		break;
	default:
		break;
	}
}

static uint32_t copy_len(uint64_t i)
{
	return 64 + (uint32_t)(i * 97 % 4032);
}

#define ERR(...) do {							\
	snprintf(c->err, sizeof(c->err), __VA_ARGS__);			\
	return NULL;							\
} while (0)

static void *client_fn(void *arg)
{
	struct client *c = arg;
	struct t_q *q = &c->q;
	uint64_t seed = 0x57e55 + c->id, sent = 0, got = 0;
	uint8_t *src = malloc(4096), *dst = malloc(4096 * 64);
	struct wd_soft_cqe cqe = { 0 };
	uint32_t k, n;
	int r;

	if (!src || !dst)
		ERR("out of memory");
	t_fill_random(src, 4096, c->id);
	while (got < c->todo) {
		/* a batch, up to what the ring has room for */
		n = 1 + rnd(&seed) % 64;
		if (n > DEPTH - inflight(c))
			n = DEPTH - inflight(c);
		if (n > c->todo - sent)
			n = c->todo - sent;
		for (k = 0; k < n; k++) {
			uint64_t i = sent + k;
			struct wd_soft_sqe s = { .user_data = i,
						 .op = WD_SOFT_OP_NOP };

			if (i % 8 == 3) {
				s.op = WD_SOFT_OP_COPY;
				s.src = (uintptr_t)src;
				s.src_len = copy_len(i);
				s.dst = (uintptr_t)(dst + 4096 * (i % 64));
				s.dst_len = 4096;
			}
			q->sq[q->sq_tail++ & (DEPTH - 1)] = s;
		}
		sent += n;
		if (n && publish(c))
			ERR("queue %u: KICK: %s", c->id, t_errname(errno));
		if (rnd(&seed) % 4 == 0)
			pause_for(&seed);
		/* reap everything or some, sleeping when there is nothing */
		n = rnd(&seed) % 3 ? inflight(c) :
		    (uint32_t)(rnd(&seed) % (inflight(c) + 1));
		for (k = 0; k < n; k++) {
			r = reap(c, &cqe);
			if (r != 1)
				ERR("queue %u (%s cq_notify): %s after %llu of %llu "
				    "requests (%u in flight, status %#x, sq_head %u, "
				    "sq_tail %u, cq_tail %u, cq_head %u)", c->id,
				    c->notify ? "with" : "without",
				    r == 0 ? "lost kick: poll() slept 10 s with "
				    "nothing to collect" : r == -EAGAIN ?
				    "lost wake-up: poll() slept 10 s, not woken by "
				    "the completion" : t_errname(-r),
				    (unsigned long long)got,
				    (unsigned long long)c->todo, inflight(c),
				    t_q_status(q), t_q_hdr_sq_head(q), q->sq_tail,
				    t_q_hdr_cq_tail(q), q->cq_head);
			if (cqe.user_data != got || cqe.status != WD_SOFT_S_OK)
				ERR("queue %u: CQE %llu: user_data %llu, status %u",
				    c->id, (unsigned long long)got,
				    (unsigned long long)cqe.user_data, cqe.status);
			if (got % 8 == 3) {
				uint32_t len = copy_len(got);

				if (cqe.out_len != len ||
				    memcmp(dst + 4096 * (got % 64), src, len))
					ERR("queue %u: COPY %llu wrong", c->id,
					    (unsigned long long)got);
			}
			got++;
		}
		if (rnd(&seed) % 8 == 0) {
			pause_for(&seed);
			c->pauses++;
		}
	}
	c->done = got;
	free(src);
	free(dst);
	return NULL;
}

static void stress(int engines, unsigned int queues, uint64_t total)
{
	struct client *c = calloc(queues, sizeof(*c));
	pthread_t *th = calloc(queues, sizeof(*th));
	uint64_t kicks = 0, sleeps = 0, done = 0, t0;
	struct t_inst in;
	char opts[64];

	T_ASSERT(c && th);
	snprintf(opts, sizeof(opts), "queues=%u engines=%d", queues, engines);
	in = t_inst_create(opts);
	for (unsigned int i = 0; i < queues; i++) {
		c[i].id = i;
		c[i].notify = i & 1;
		c[i].todo = total / queues;
		t_q_setup(&c[i].q, in.ua);
	}
	t0 = t_now_ms();
	for (unsigned int i = 0; i < queues; i++)
		T_EQ(pthread_create(&th[i], NULL, client_fn, &c[i]), 0);
	for (unsigned int i = 0; i < queues; i++)
		pthread_join(th[i], NULL);
	for (unsigned int i = 0; i < queues; i++) {
		if (c[i].err[0])
			T_FAIL("%s", c[i].err);
		done += c[i].done;
		kicks += c[i].kicks;
		sleeps += c[i].sleeps;
	}
	t_note("%d engine(s), %u queues: %llu requests in %.1f s; %llu KICKs, "
	       "%llu sleeps in poll()", engines, queues,
	       (unsigned long long)done, (t_now_ms() - t0) / 1000.0,
	       (unsigned long long)kicks, (unsigned long long)sleeps);
	T_EQ(done, total);
	/* the point is to exercise the sleeping paths on both sides */
	T_ASSERT_MSG(kicks > 100 && sleeps > 100,
		     "too few KICKs (%llu) or sleeps in poll() (%llu) to test "
		     "them", (unsigned long long)kicks,
		     (unsigned long long)sleeps);
	for (unsigned int i = 0; i < queues; i++)
		t_q_close(&c[i].q);
	t_inst_delete(&in);
	free(c);
	free(th);
}

/* a million in total, in two halves */
T_TEST_TMO(half_million_one_engine, 300)
{
	stress(1, 4, 500000);
}

T_TEST_TMO(half_million_two_engines, 300)
{
	stress(2, 5, 500000);
}
