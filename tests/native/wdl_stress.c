// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wdl_stress: a million requests with random pauses, looking for a lost
 * wake-up in either direction.
 *
 * Client threads, one queue each, submit batches of random size (NOPs and
 * small COPYs, checked), following the protocol of wd_soft.h (KICK only
 * when NEED_WAKEUP is seen), and reap with wdl_queue_wait(), half of them
 * with the cq_notify protocol (ARMED before sleeping), half without. They
 * pause at random, long enough for the engines to park the queues (the
 * spin time is made short so that parking, kicking and sleeping happen
 * all the time) or just long enough to race with it. A submission the
 * engine never sees, or a completion whose poller is never woken, shows
 * as a wait that times out (30 s: a hang, not a slow machine): the test
 * fails.
 *
 * How often the random pauses make the engines park and sleep is the
 * machine's business (on a loaded one the engines may never find every
 * queue idle). So that the sleeping paths are exercised whatever the
 * load, the clients also meet RENDEZVOUS times: each collects everything
 * it has in flight, waits until the engine parked its queue (NEED_WAKEUP),
 * then one waits until an engine went to sleep, every queue being parked.
 * The next submission of every client must KICK, and wake the engine: at
 * least RENDEZVOUS engine sleeps and RENDEZVOUS KICKs per queue.
 */
#include "nt.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define TIMEOUT_MS	30000
#define RENDEZVOUS	101

struct meet {
	pthread_barrier_t bar;
	struct wdl_dev *dev;
	uint64_t sleeps;	/* the engines' count at the last rendezvous */
};

struct client {
	struct wdl_dev *dev;
	struct meet *meet;
	struct nq q;
	unsigned int id;
	uint64_t todo;
	uint64_t done;
	uint64_t pauses;
	char err[200];
};

static void pause_for(uint64_t *seed)
{
	uint64_t r = nt_rand(seed);
	uint64_t t0;

	switch (r % 16) {
	case 0:
	case 1:
		/* asleep: the engine parks the queue and may sleep */
		nt_usleep((unsigned int)(r >> 8) % 300);
		break;
	case 2:
	case 3:
		/* busy, about as long as the spin: races the parking */
		t0 = nt_now_ns();
		while (nt_now_ns() - t0 < (r >> 8) % 20000)
			;
		break;
	case 4:
		sched_yield();
		break;
	default:
		break;
	}
}

/* reap the next CQE (sleeping if need be) and check it: false on error */
static bool reap_one(struct client *c, uint64_t got, const uint8_t *src,
		     const uint8_t *dst)
{
	struct wd_soft_cqe cqe;
	int r = nq_reap(&c->q, &cqe, TIMEOUT_MS);

	if (r != 1) {
		snprintf(c->err, sizeof(c->err),
			 "queue %u: %s after %llu of %llu requests "
			 "(%u in flight, status %#x, sq_head %u, "
			 "cq_tail %u)", c->id,
			 r ? "error" : "lost wake-up: no completion "
			 "within 30 s", (unsigned long long)got,
			 (unsigned long long)c->todo,
			 nq_inflight(&c->q), nq_status(&c->q),
			 c->q.hdr->sq_head, c->q.hdr->cq_tail);
		return false;
	}
	if (cqe.user_data != got || cqe.status != WD_SOFT_S_OK) {
		snprintf(c->err, sizeof(c->err),
			 "queue %u: CQE %llu: user_data %llu, %s",
			 c->id, (unsigned long long)got,
			 (unsigned long long)cqe.user_data,
			 nt_stname(cqe.status));
		return false;
	}
	if (got % 8 == 3) {
		uint32_t len = 64 + (uint32_t)(got * 97 % 4000);

		if (cqe.out_len != len ||
		    memcmp(dst + 4096 * (got % 64), src, len)) {
			snprintf(c->err, sizeof(c->err),
				 "queue %u: copy %llu wrong",
				 c->id, (unsigned long long)got);
			return false;
		}
	}
	return true;
}

/*
 * Every client here with nothing in flight: each waits until its queue is
 * parked, then one waits until an engine sleeps (every queue parked, it
 * must), so that the next submissions KICK a sleeping engine.
 */
static void rendezvous(struct client *c)
{
	struct meet *m = c->meet;
	struct wdl_stats st;

	pthread_barrier_wait(&m->bar);
	NT_WAIT_UNTIL(nq_status(&c->q) & WD_SOFT_ST_NEED_WAKEUP,
		      "queue %u: idle and never parked", c->id);
	if (pthread_barrier_wait(&m->bar) == PTHREAD_BARRIER_SERIAL_THREAD) {
		NT_WAIT_UNTIL((wdl_dev_stats(m->dev, &st), st.sleeps > m->sleeps),
			      "every queue parked and no engine went to sleep");
		m->sleeps = st.sleeps;
	}
	pthread_barrier_wait(&m->bar);
}

static void *client_fn(void *arg)
{
	struct client *c = arg;
	uint64_t seed = 0x57e55 + c->id, sent = 0, got = 0;
	struct wd_soft_sqe sqe;
	uint8_t *src, *dst;
	uint32_t k, n, met = 0;

	src = nq_ss_alloc(&c->q, 4096);
	dst = nq_ss_alloc(&c->q, 4096 * 64);
	nt_fill_random(src, 4096, c->id);
	while (got < c->todo) {
		if (met < RENDEZVOUS &&
		    got >= (met + 1) * c->todo / (RENDEZVOUS + 1)) {
			for (; got < sent; got++)
				if (!reap_one(c, got, src, dst))
					return NULL;
			rendezvous(c);
			met++;
		}
		/* submit a batch, up to what the ring has room for */
		n = 1 + (uint32_t)(nt_rand(&seed) % 64);
		if (n > WD_SOFT_DEPTH - nq_inflight(&c->q))
			n = WD_SOFT_DEPTH - nq_inflight(&c->q);
		/* a request kept back for each rendezvous to come: it KICKs */
		if (n > c->todo - sent - (RENDEZVOUS - met))
			n = (uint32_t)(c->todo - sent - (RENDEZVOUS - met));
		for (k = 0; k < n; k++) {
			uint64_t i = sent + k;

			if (i % 8 == 3) {
				uint32_t len = 64 + (uint32_t)(i * 97 % 4000);

				sqe = nq_sqe(WD_SOFT_OP_COPY, 0, nq_addr(&c->q, src),
					     len, nq_addr(&c->q, dst + 4096 * (i % 64)),
					     4096);
			} else {
				sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
			}
			sqe.user_data = i;
			nq_push(&c->q, &sqe);
		}
		sent += n;
		if (n)
			nq_publish(&c->q);
		if (nt_rand(&seed) % 4 == 0)
			pause_for(&seed);
		/* reap: everything, or some, sleeping when there is nothing */
		n = nt_rand(&seed) % 3 ? nq_inflight(&c->q) :
		    (uint32_t)(nt_rand(&seed) % (nq_inflight(&c->q) + 1));
		for (k = 0; k < n; k++, got++)
			if (!reap_one(c, got, src, dst))
				return NULL;
		if (nt_rand(&seed) % 8 == 0) {
			pause_for(&seed);
			c->pauses++;
		}
	}
	c->done = got;
	return NULL;
}

static void stress(unsigned int engines, unsigned int queues,
		   unsigned int spin_ns, uint64_t total)
{
	struct wdl_config cfg = {
		.nr_queues = queues, .nr_engines = engines, .spin_ns = spin_ns,
	};
	struct client *c = nt_xzalloc(queues * sizeof(*c));
	pthread_t *th = nt_xzalloc(queues * sizeof(*th));
	uint64_t kicks = 0, waits = 0, t0, done = 0, sleeps0;
	struct wdl_stats st;
	struct wdl_dev *dev;
	struct meet m;
	unsigned int i;

	OK(wdl_dev_create(&cfg, &dev));
	m.dev = dev;
	pthread_barrier_init(&m.bar, NULL, queues);
	for (i = 0; i < queues; i++) {
		c[i].dev = dev;
		c[i].meet = &m;
		c[i].id = i;
		c[i].todo = total / queues;
		nq_open(&c[i].q, dev, 1 << 20);
		c[i].q.notify = i & 1;
		nq_stop(&c[i].q);
		nq_start(&c[i].q);
	}
	wdl_dev_stats(dev, &st);
	m.sleeps = sleeps0 = st.sleeps;
	t0 = nt_now_ns();
	for (i = 0; i < queues; i++)
		pthread_create(&th[i], NULL, client_fn, &c[i]);
	for (i = 0; i < queues; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < queues; i++) {
		if (c[i].err[0])
			FAIL("%s", c[i].err);
		done += c[i].done;
		kicks += c[i].q.kicks;
		waits += c[i].q.waits;
	}
	/* the counters of a batch are updated after its CQEs: stop first */
	for (i = 0; i < queues; i++)
		nq_stop(&c[i].q);
	wdl_dev_stats(dev, &st);
	nt_note("%u engines, %u queues, spin %u ns: %llu requests in %.2f s; "
		"%llu KICKs, %llu sleeps in wait; engines: %llu parks, %llu "
		"sleeps", engines, queues, spin_ns, (unsigned long long)done,
		(nt_now_ns() - t0) / 1e9, (unsigned long long)kicks,
		(unsigned long long)waits, (unsigned long long)st.parks,
		(unsigned long long)st.sleeps);
	EQ(done, total / queues * queues);
	EQ(st.requests, done);
	/* the sleeping paths, exercised at every rendezvous at least */
	ASSERT_MSG(kicks >= (uint64_t)RENDEZVOUS * queues &&
		   st.sleeps - sleeps0 >= RENDEZVOUS,
		   "%llu kicks and %llu engine sleeps after %d rendezvous of "
		   "%u queues", (unsigned long long)kicks,
		   (unsigned long long)(st.sleeps - sleeps0), RENDEZVOUS, queues);
	for (i = 0; i < queues; i++)
		nq_close(&c[i].q);
	wdl_dev_destroy(dev);
	pthread_barrier_destroy(&m.bar);
	free(c);
	free(th);
}

/* a million: two engines, six queues, parking after 2 us of nothing */
NT_TEST_TMO(million_short_spin, 120)
{
	stress(2, 6, 2000, 1000000);
}

/* a million: one engine, more queues than cores, the default spin */
NT_TEST_TMO(million_one_engine, 120)
{
	stress(1, 4, 0, 1000000);
}

/* more engines than queues, parking at once */
NT_TEST_TMO(engines_over_queues, 120)
{
	stress(4, 3, 1, 300000);
}
