// SPDX-License-Identifier: GPL-2.0
/*
 * t_stress: a million requests through the kernel engines with random
 * pauses, looking for a lost wake-up in either direction.
 *
 * Client threads, one queue each, submit batches of random size (NOPs, and
 * every eighth request a COPY of 64..4095 bytes, checked), following the
 * protocol of wd_soft.h: store the SQEs' phases, full barrier, KICK only when
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
 * How often the random pauses make a queue park, or a client sleep in
 * poll(), is the machine's business. So that both sleeping paths are
 * exercised whatever the load, the clients also meet RENDEZVOUS times:
 * each collects everything it has in flight and waits until the engine
 * parked its queue (NEED_WAKEUP); the test holds the engines (debugfs
 * hold); each client submits a batch, which must KICK, and waits for it,
 * which must sleep in poll() (nothing can complete); once every client is
 * seen asleep there the engines are released, and the completions must
 * wake them. At least RENDEZVOUS KICKs and sleeps in poll() per client.
 *
 * A lost kick or wake-up is a poll() of TIMEOUT_MS (30 s: a hang, not a
 * slow host). Two halves of 500,000: one engine with 4 queues, two
 * engines with 5; 150,000 on four engines with 3 queues (idle engines);
 * in-process, 500,000 with a 2 us spin. Needs the engines' hold (issue 9).
 */
#include "t.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>


#define TIMEOUT_MS	30000
#define DEPTH		WD_SOFT_DEPTH
#define RENDEZVOUS	101
/* a rendezvous' poll(): until the test saw every client asleep (hang) */
#define MEET_MS		(8 * T_HANG_MS)

struct meet {
	pthread_barrier_t bar;	/* the clients and the test */
	int id;			/* the instance */
};

struct client {
	struct t_q q;
	struct meet *meet;
	unsigned int id;
	bool notify;
	int tmo;		/* poll()'s timeout */
	pid_t tid;
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
	int r = t_q_cmd(&c->q, WD_SOFT_CMD_KICK, 0);

	errno = -r;
	return r ? -1 : 0;
}

static uint32_t inflight(const struct client *c)
{
	return c->q.sq_tail - c->q.cq_head;
}

/* store the SQEs' phases (release), full barrier, KICK if NEED_WAKEUP */
static int publish(struct client *c)
{
	t_q_publish_phases(&c->q);
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

	for (;;) {
		int r = t_q_take(q, cqe);

		if (r < 0)
			return r;
		if (r) {
			if (t_q_kick_due(q) && kick(c))
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
			if (t_q_cqe_ready(q, q->cq_head)) {
				__atomic_store_n(&q->mmio->cq_notify,
						 WD_SOFT_CQN_ENABLE,
						 __ATOMIC_RELAXED);
				continue;
			}
		}
		c->sleeps++;
		uint64_t t0 = t_now_ms();
		r = t_q_poll(q, c->tmo);

		if (c->notify)
			__atomic_store_n(&q->mmio->cq_notify, WD_SOFT_CQN_ENABLE,
					 __ATOMIC_RELAXED);
		if (r < 0 && r != -EINTR)
			return r;
		/*
		 * Nobody woke us: poll() looks at the queue once more when
		 * its timeout expires, so a completion posted without a
		 * wake-up shows as a poll() of the whole timeout that
		 * returns 1, and a lost kick as one that returns 0.
		 */
		if (r == 0 || t_now_ms() - t0 >= (uint64_t)c->tmo - 50)
			return t_q_cqe_ready(q, q->cq_head) ? -EAGAIN : 0;
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

/* a failure in a client thread fails the test at once (the others may
 * wait at a rendezvous for it) */
#define ERR(...) do {							\
	snprintf(c->err, sizeof(c->err), __VA_ARGS__);			\
	T_FAIL("%s", c->err);						\
} while (0)

/* reap the next CQE (request @got) and check it */
static void reap_one(struct client *c, uint64_t got, const uint8_t *src,
		     const uint8_t *dst)
{
	struct t_q *q = &c->q;
	struct wd_soft_cqe cqe = { 0 };
	int r = reap(c, &cqe);

	if (r != 1)
		ERR("queue %u (%s cq_notify): %s after %llu of %llu "
		    "requests (%u in flight, status %#x, sq_head %u, "
		    "sq_tail %u, cq_tail %u, cq_head %u)", c->id,
		    c->notify ? "with" : "without",
		    r == 0 ? "lost kick: poll() slept its whole timeout with "
		    "nothing to collect" : r == -EAGAIN ?
		    "lost wake-up: poll() slept its whole timeout, not woken "
		    "by the completion" : t_errname(-r),
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
}

/* requests sent + k: a NOP, or every eighth a COPY */
static void push_one(struct client *c, uint64_t i, const uint8_t *src,
		     uint8_t *dst)
{
	struct t_q *q = &c->q;
	struct wd_soft_sqe s = { .user_data = i, .op = WD_SOFT_OP_NOP };

	if (i % 8 == 3) {
		s.op = WD_SOFT_OP_COPY;
		s.src = (uintptr_t)src;
		s.src_len = copy_len(i);
		s.dst = (uintptr_t)(dst + 4096 * (i % 64));
		s.dst_len = 4096;
	}
	t_q_push(q, &s);
}

static void *client_fn(void *arg)
{
	struct client *c = arg;
	struct meet *m = c->meet;
	uint64_t seed = 0x57e55 + c->id, sent = 0, got = 0;
	uint8_t *src = malloc(4096), *dst = malloc(4096 * 64);
	uint32_t k, n, met = 0;

	if (!src || !dst)
		ERR("out of memory");
	__atomic_store_n(&c->tid, t_gettid(), __ATOMIC_SEQ_CST);
	t_fill_random(src, 4096, c->id);
	while (got < c->todo) {
		if (met < RENDEZVOUS &&
		    got >= (met + 1) * c->todo / (RENDEZVOUS + 1)) {
			/* nothing in flight, the queue parked: meet */
			for (; got < sent; got++)
				reap_one(c, got, src, dst);
			T_WAIT_UNTIL(t_q_status(&c->q) & WD_SOFT_ST_NEED_WAKEUP,
				     "queue %u: idle and never parked", c->id);
			pthread_barrier_wait(&m->bar);
			/* held: this batch must KICK, its reap sleep */
			pthread_barrier_wait(&m->bar);
			n = 1 + rnd(&seed) % 64;
			/* one at least: one was kept back for each */
			if (n > c->todo - sent - (RENDEZVOUS - met - 1))
				n = c->todo - sent - (RENDEZVOUS - met - 1);
			for (k = 0; k < n; k++)
				push_one(c, sent + k, src, dst);
			sent += n;
			if (publish(c))
				ERR("queue %u: KICK: %s", c->id, t_errname(errno));
			c->tmo = MEET_MS;
			for (; got < sent; got++)
				reap_one(c, got, src, dst);
			c->tmo = TIMEOUT_MS;
			met++;
			continue;
		}
		/* a batch, up to what the ring has room for */
		n = 1 + rnd(&seed) % 64;
		if (n > DEPTH - inflight(c))
			n = DEPTH - inflight(c);
		/* a request kept back for each rendezvous to come */
		if (n > c->todo - sent - (RENDEZVOUS - met))
			n = c->todo - sent - (RENDEZVOUS - met);
		for (k = 0; k < n; k++)
			push_one(c, sent + k, src, dst);
		sent += n;
		if (n && publish(c))
			ERR("queue %u: KICK: %s", c->id, t_errname(errno));
		if (rnd(&seed) % 4 == 0)
			pause_for(&seed);
		/* reap everything or some, sleeping when there is nothing */
		n = rnd(&seed) % 3 ? inflight(c) :
		    (uint32_t)(rnd(&seed) % (inflight(c) + 1));
		for (k = 0; k < n; k++, got++)
			reap_one(c, got, src, dst);
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

static void stress(int engines, unsigned int queues, uint64_t total,
		   const char *more)
{
	struct client *c = calloc(queues, sizeof(*c));
	pthread_t *th = calloc(queues, sizeof(*th));
	uint64_t kicks = 0, sleeps = 0, done = 0, t0;
	struct t_inst in;
	struct meet m;
	char opts[64];

	T_ASSERT(c && th);
	snprintf(opts, sizeof(opts), "queues=%u engines=%d%s%s", queues, engines,
		 *more ? " " : "", more);
	in = t_inst_create(opts);
	m.id = in.id;
	T_EQ(pthread_barrier_init(&m.bar, NULL, queues + 1), 0);
	for (unsigned int i = 0; i < queues; i++) {
		c[i].id = i;
		c[i].meet = &m;
		c[i].notify = i & 1;
		c[i].tmo = TIMEOUT_MS;
		/* the remainder to the first ones: @total in all */
		c[i].todo = total / queues + (i < total % queues);
		t_q_setup(&c[i].q, in.ua);
	}
	t0 = t_now_ms();
	for (unsigned int i = 0; i < queues; i++)
		T_EQ(pthread_create(&th[i], NULL, client_fn, &c[i]), 0);
	/* the rendezvous: hold, then release once every client sleeps */
	for (int r = 0; r < RENDEZVOUS; r++) {
		pthread_barrier_wait(&m.bar);
		t_hold(m.id, true);
		pthread_barrier_wait(&m.bar);
		for (unsigned int i = 0; i < queues; i++)
			t_wait_asleep_in_poll(c[i].tid,
					      "a client at a rendezvous");
		t_hold(m.id, false);
	}
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
	/* the sleeping paths on both sides, at every rendezvous at least */
	for (unsigned int i = 0; i < queues; i++)
		T_ASSERT_MSG(c[i].kicks >= RENDEZVOUS && c[i].sleeps >= RENDEZVOUS,
			     "queue %u: %llu KICKs and %llu sleeps in poll() after "
			     "%d rendezvous", i, (unsigned long long)c[i].kicks,
			     (unsigned long long)c[i].sleeps, RENDEZVOUS);
	for (unsigned int i = 0; i < queues; i++)
		t_q_close(&c[i].q);
	t_inst_delete(&in);
	pthread_barrier_destroy(&m.bar);
	free(c);
	free(th);
}

/* a million in total, in two halves */
T_TEST_TMO(half_million_one_engine, 300)
{
	stress(1, 4, 500000, "");
}

T_TEST_TMO(half_million_two_engines, 300)
{
	stress(2, 5, 500000, "");
}

/* more engines than queues: engines with nothing to do park and sleep */
T_TEST_TMO(engines_over_queues, 300)
{
	stress(4, 3, 150000, "");
}

/*
 * Parking after 2 us of nothing (the in-process device's spin_ns), so that
 * parking, kicking and sleeping happen all the time, not only at the
 * rendezvous.
 */
T_TEST_TMO(short_spin, 300)
{
	T_NEED_LOCAL("spin_ns= is an option of the in-process device only");
	stress(2, 6, 500000, "spin_ns=2000");
}
