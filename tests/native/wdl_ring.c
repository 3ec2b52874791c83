// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wdl_ring: the ring protocol under stress and abuse, in-process.
 *
 *  - hostile rings: garbage sq_tail / cq_head make that queue BROKEN (with
 *    its error code) and nothing else; garbage SQEs fail one by one, in
 *    order; a thread scribbling over a queue's doorbells and ring while
 *    another queue of the same engine works
 *  - PUT_Q with requests in flight: every request completed or CANCELED,
 *    in order, nothing written after the stop returns
 *  - fairness: 64 busy queues on one engine progress together
 *  - cost: parked queues do not slow the engine down (the round does not
 *    grow with idle queues), where queues that never park would
 */
#include "nt.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* a good queue's traffic, in its own thread, until told to stop */
struct good {
	struct nq q;
	volatile bool stop;
	uint64_t done;
	int fails;
	pthread_t th;
};

static void *good_fn(void *arg)
{
	struct good *g = arg;
	uint8_t *s = nq_ss_alloc(&g->q, 8192), *d = nq_ss_alloc(&g->q, 8192);
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;
	uint64_t i = 0;
	int k;

	while (!g->stop) {
		nt_fill_random(s, 8192, i);
		for (k = 0; k < 4; k++) {
			sqe = nq_sqe(k & 1 ? WD_SOFT_OP_NOP : WD_SOFT_OP_COPY, 0,
				     nq_addr(&g->q, s), 8192,
				     nq_addr(&g->q, d), 8192);
			sqe.user_data = i * 4 + (uint64_t)k;
			nq_push(&g->q, &sqe);
		}
		nq_publish(&g->q);
		for (k = 0; k < 4; k++) {
			if (nq_reap(&g->q, &cqe, 20000) != 1 ||
			    cqe.user_data != i * 4 + (uint64_t)k ||
			    cqe.status != WD_SOFT_S_OK) {
				g->fails++;
				return NULL;
			}
		}
		if (memcmp(s, d, 8192)) {
			g->fails++;
			return NULL;
		}
		__atomic_fetch_add(&g->done, 4, __ATOMIC_RELEASE);
		i++;
	}
	return NULL;
}

static void good_start(struct good *g, struct wdl_dev *dev)
{
	memset(g, 0, sizeof(*g));
	nq_open(&g->q, dev, 1 << 16);
	pthread_create(&g->th, NULL, good_fn, g);
}

static uint64_t good_done(struct good *g)
{
	return __atomic_load_n(&g->done, __ATOMIC_ACQUIRE);
}

/* the good queue progresses: @n more requests after @mark (or it fails) */
static void good_progress(struct good *g, uint64_t mark, uint64_t n)
{
	NT_WAIT_UNTIL(good_done(g) >= mark + n || g->fails,
		      "the good queue made no progress beside the hostile one "
		      "(%llu requests)", (unsigned long long)good_done(g));
}

/*
 * The good queue has made progress (how soon is the machine's business:
 * the hostile queue may be done before the good thread ran at all) and
 * every one of its requests was right.
 */
static void good_end(struct good *g)
{
	good_progress(g, 0, 1);
	g->stop = true;
	pthread_join(g->th, NULL);
	EQ(g->fails, 0);
	ASSERT(g->done > 0);
	nq_close(&g->q);
}

/* wait until the queue is BROKEN with error err */
static void expect_broken(struct nq *q, uint32_t err)
{
	uint64_t t0 = nt_now_ns();

	/* the engine looks at a parked queue again when kicked */
	OK(wdl_queue_kick(q->q));
	while (!(nq_status(q) & WD_SOFT_ST_BROKEN)) {
		int r = wdl_queue_wait(q->q, 1000);

		ASSERT(r >= 0);
		if (nt_now_ns() - t0 > 10000000000ull)
			FAIL("queue not BROKEN after 10 s");
	}
	EQ(q->mmio->error, err);
	/* poll reports it */
	EQ(wdl_queue_wait(q->q, 0), 1);
}

static void restart(struct nq *q)
{
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	struct wd_soft_cqe cqe;

	nq_stop(q);
	/* PUT_Q leaves a BROKEN queue as it is */
	nq_start(q);
	/* no longer BROKEN (NEED_WAKEUP if the engine parked it already) */
	EQ(nq_status(q) & ~WD_SOFT_ST_NEED_WAKEUP, 0);
	EQ(q->mmio->error, 0);
	sqe.user_data = 77;
	cqe = nq_run(q, &sqe);
	ST(cqe, WD_SOFT_S_OK);
}

TEST(hostile_indices)
{
	static const uint32_t tails[] = { 1025, 0xffffffffu, 0x80000000u, 5000 };
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 4, 1);
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	struct good g;
	struct nq h;
	unsigned int i;

	good_start(&g, dev);
	nq_open(&h, dev, 0);
	/* a tail more than a ring ahead, or behind the head */
	for (i = 0; i < 4; i++) {
		__atomic_store_n(&h.mmio->sq_tail, tails[i], __ATOMIC_RELEASE);
		expect_broken(&h, WD_SOFT_QERR_SQ_TAIL);
		restart(&h);
	}
	/* after some traffic: head 1 behind */
	for (i = 0; i < 3; i++)
		nq_run(&h, &sqe);
	__atomic_store_n(&h.mmio->sq_tail, h.sq_tail - 1, __ATOMIC_RELEASE);
	expect_broken(&h, WD_SOFT_QERR_SQ_TAIL);
	restart(&h);
	/* cq_head claiming CQEs not posted, or more than a ring behind */
	nq_run(&h, &sqe);
	for (i = 0; i < 2; i++) {
		__atomic_store_n(&h.mmio->cq_head,
				 i ? h.cq_head - 1025 : h.cq_head + 1,
				 __ATOMIC_RELEASE);
		nq_push(&h, &sqe);
		nq_publish(&h);
		expect_broken(&h, WD_SOFT_QERR_CQ_HEAD);
		/* a BROKEN queue is not served */
		nt_usleep(5000);
		EQ(h.hdr->sq_head, h.sq_tail - 1);
		restart(&h);
		nq_run(&h, &sqe);
	}
	nq_close(&h);
	good_end(&g);
	/* BROKEN is the process's fault, not a device error */
	EQ(wdl_dev_errors(dev), 0);
	wdl_dev_destroy(dev);
}

/*
 * Structured garbage SQEs: random op (valid or not), flags, params,
 * lengths and addresses from a set that is never the process's memory in
 * sva mode (far unmapped, PROT_NONE, kernel, non-canonical, NULL page,
 * wrapping), anything in the other modes; interleaved with good COPYs.
 */
static uint64_t garbage_addr(struct nq *q, uint64_t *seed, uint8_t *none)
{
	uint64_t r = nt_rand(seed);

	if (q->mode != WDL_MODE_SVA)
		return r % 4 ? nt_rand(seed) : q->ss_dma + r % (2 * q->ss_size);
	switch (r % 6) {
	case 0: return 0x600000000000ull + (r >> 8) % (1ull << 40);
	case 1: return (uintptr_t)none + (r >> 8) % 4096;
	case 2: return 0xffff800000000000ull | (r >> 8);
	case 3: return 0x8000000000000000ull | (r >> 4);
	case 4: return (r >> 8) % 4096;
	default: return ~0ull - (r >> 8) % 100;
	}
}

static void t_garbage(enum wdl_mode m)
{
	struct wdl_dev *dev = nt_dev(m, 4, 1);
	uint64_t seed = 12345 + m;
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;
	unsigned int round, i, n = 1000;
	uint8_t *none, *s, *d;
	bool *good;
	struct good g;
	struct nq h;

	none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(none != MAP_FAILED);
	good_start(&g, dev);
	nq_open(&h, dev, 1 << 20);
	s = nq_ss_alloc(&h, 4096);
	d = nq_ss_alloc(&h, 4096 * 8);
	good = nt_xzalloc(n);
	for (round = 0; round < 4; round++) {
		nt_fill_random(s, 4096, round);
		memset(d, 0, 4096 * 8);
		for (i = 0; i < n; i++) {
			uint64_t r = nt_rand(&seed);

			good[i] = r % 5 == 0;
			if (good[i]) {
				sqe = nq_sqe(WD_SOFT_OP_COPY, 0, nq_addr(&h, s),
					     4096, nq_addr(&h, d + 4096 * (i % 8)),
					     4096);
			} else {
				sqe = nq_sqe((uint16_t)(r % 13), 0,
					     garbage_addr(&h, &seed, none),
					     (uint32_t)nt_rand(&seed) % 70000,
					     garbage_addr(&h, &seed, none),
					     (uint32_t)nt_rand(&seed) % 70000);
				if (r % 7 == 0)
					sqe.flags = (uint16_t)(nt_rand(&seed) & 3);
				if (r % 11 == 0)
					sqe.params = (uint32_t)nt_rand(&seed) % 12;
				if (r % 13 == 0)
					sqe.rsvd[r % 3] = nt_rand(&seed);
				if (r % 17 == 0)
					nt_fill_random(&sqe, sizeof(sqe), r);
			}
			sqe.user_data = i;
			nq_push(&h, &sqe);
		}
		nq_publish(&h);
		for (i = 0; i < n; i++) {
			cqe = nq_wait(&h);
			EQ(cqe.user_data, i);
			ASSERT_MSG(cqe.status <= WD_SOFT_S_INVAL &&
				   cqe.status != WD_SOFT_S_DEV_ERR &&
				   cqe.status != WD_SOFT_S_CANCELED,
				   "SQE %u: status %u", i, cqe.status);
			if (good[i])
				ASSERT_MSG(cqe.status == WD_SOFT_S_OK &&
					   !memcmp(d + 4096 * (i % 8), s, 4096),
					   "good SQE %u among garbage: %s", i,
					   nt_stname(cqe.status));
		}
		ASSERT(!(nq_status(&h) & WD_SOFT_ST_BROKEN));
	}
	free(good);
	nq_close(&h);
	good_end(&g);
	EQ(wdl_dev_errors(dev), 0);
	munmap(none, 8192);
	wdl_dev_destroy(dev);
}

TEST(sva_garbage_sqes) { t_garbage(WDL_MODE_SVA); }
TEST(pasid_garbage_sqes) { t_garbage(WDL_MODE_PASID); }
TEST(noiommu_garbage_sqes) { t_garbage(WDL_MODE_NOIOMMU); }

/*
 * A thread scribbles random values over a queue's doorbells and random
 * bytes over its SQ ring (whole SQEs of random bytes are INVAL: their
 * flags and reserved fields are never all valid), kicking it now and then,
 * while a good queue on the same engine works and is checked.
 */
struct scribbler {
	struct nq *q;
	volatile bool stop;
	uint64_t writes;
};

static void *scribble_fn(void *arg)
{
	struct scribbler *s = arg;
	uint64_t seed = 99;

	while (!s->stop) {
		uint64_t r = nt_rand(&seed);

		switch (r % 4) {
		case 0:
			__atomic_store_n(&s->q->mmio->sq_tail,
					 (uint32_t)(r >> 32) % 2048,
					 __ATOMIC_RELEASE);
			break;
		case 1:
			__atomic_store_n(&s->q->mmio->cq_head,
					 (uint32_t)(r >> 32) % 2048,
					 __ATOMIC_RELEASE);
			break;
		case 2:
			nt_fill_random(&s->q->sq[(r >> 16) % WD_SOFT_DEPTH],
				       sizeof(struct wd_soft_sqe), r);
			break;
		default:
			wdl_queue_kick(s->q->q);
			break;
		}
		__atomic_fetch_add(&s->writes, 1, __ATOMIC_RELAXED);
		if ((r >> 40) % 64 == 0) {
			/* BROKEN: start over */
			if (nq_status(s->q) & WD_SOFT_ST_BROKEN) {
				wdl_queue_stop(s->q->q);
				wdl_queue_start(s->q->q);
			}
		}
	}
	return NULL;
}

TEST(scribbler)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 4, 1);
	struct scribbler sc;
	struct good g;
	uint64_t mark;
	pthread_t th;
	struct nq h;

	good_start(&g, dev);
	nq_open(&h, dev, 0);
	sc = (struct scribbler){ .q = &h };
	pthread_create(&th, NULL, scribble_fn, &sc);
	/* a while, and until the good queue has progressed while scribbled on */
	NT_WAIT_UNTIL(__atomic_load_n(&sc.writes, __ATOMIC_RELAXED),
		      "the scribbler never ran");
	mark = good_done(&g);
	nt_usleep(nt_sanitized ? 600000 : 400000);
	good_progress(&g, mark, 8);
	sc.stop = true;
	pthread_join(th, NULL);
	nt_note("%llu scribbles, %llu good requests meanwhile",
		(unsigned long long)sc.writes, (unsigned long long)g.done);
	/* the hostile queue recovers with a restart */
	nq_stop(&h);
	nq_start(&h);
	{
		struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);

		sqe.user_data = 5;
		ST(nq_run(&h, &sqe), WD_SOFT_S_OK);
	}
	nq_close(&h);
	good_end(&g);
	wdl_dev_destroy(dev);
}

/*
 * PUT_Q with a full ring of copies in flight: every request completed or
 * CANCELED, in order (no OK after a CANCELED), the copies that completed
 * are right, and nothing is written once the stop has returned.
 */
static void t_stop_inflight(enum wdl_mode m)
{
	struct wdl_dev *dev = nt_dev(m, 2, 1);
	const size_t chunk = 32 << 10;
	const unsigned int slots = 48, n = WD_SOFT_DEPTH;
	unsigned int i, ok = 0, canceled = 0, round, taken;
	struct wd_soft_cqe cqe;
	bool *slot_ok;
	uint8_t *s, *d, *snap;
	struct nq q;

	nq_open(&q, dev, (slots + 1) * chunk + 4096);
	s = nq_ss_alloc(&q, chunk);
	d = nq_ss_alloc(&q, slots * chunk);
	slot_ok = nt_xzalloc(slots);
	snap = nt_xmalloc(slots * chunk);
	for (round = 0; round < 3; round++) {
		nt_fill_random(s, chunk, round);
		memset(d, 0, slots * chunk);
		memset(slot_ok, 0, slots);
		for (i = 0; i < n; i++) {
			struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_COPY, 0,
				nq_addr(&q, s), (uint32_t)chunk,
				nq_addr(&q, d + (i % slots) * chunk),
				(uint32_t)chunk);

			sqe.user_data = i;
			nq_push(&q, &sqe);
		}
		nq_publish(&q);
		nt_usleep(round * 1000);
		nq_stop(&q);
		memcpy(snap, d, slots * chunk);
		/* each SQE the device took has its CQE; the rest never run */
		taken = q.hdr->sq_head;
		ASSERT_MSG(taken <= n, "sq_head %u of %u", taken, n);
		for (i = 0; i < taken; i++) {
			ASSERT_MSG(nq_try_reap(&q, &cqe) == 1,
				   "CQE %u of %u taken missing after PUT_Q", i,
				   taken);
			EQ(cqe.user_data, i);
			if (cqe.status == WD_SOFT_S_OK) {
				ASSERT_MSG(!canceled, "OK after CANCELED (%u)", i);
				EQ(cqe.out_len, chunk);
				slot_ok[i % slots] = true;
				ok++;
			} else {
				ASSERT_MSG(cqe.status == WD_SOFT_S_CANCELED,
					   "SQE %u: %s", i, nt_stname(cqe.status));
				EQ(cqe.out_len, 0);
				canceled++;
			}
		}
		EQ(nq_try_reap(&q, &cqe), 0);
		for (i = 0; i < slots; i++)
			if (slot_ok[i])
				ASSERT(!memcmp(d + i * chunk, s, chunk));
		nt_usleep(10000);
		ASSERT_MSG(!memcmp(snap, d, slots * chunk),
			   "the device wrote after PUT_Q returned");
		nq_start(&q);
		canceled = 0;
	}
	nt_note("%s: %u completed, the rest canceled or not taken",
		nt_mode_name(m), ok);
	free(slot_ok);
	free(snap);
	nq_close(&q);
	wdl_dev_destroy(dev);
}

TEST(sva_stop_inflight) { t_stop_inflight(WDL_MODE_SVA); }
TEST(pasid_stop_inflight) { t_stop_inflight(WDL_MODE_PASID); }
TEST(noiommu_stop_inflight) { t_stop_inflight(WDL_MODE_NOIOMMU); }

/*
 * A 64 MiB copy is stopped at its next chunk, not run to its end: after
 * PUT_Q it is CANCELED with its first chunks copied and its last one not.
 * The copy is caught mid-way for certain: a page of its source 8 MiB in
 * is a userfaultfd hole, so the engine waits there; PUT_Q is made while
 * it waits (the stopping thread asleep in the stop), then the page comes.
 */
struct stopper {
	struct wdl_queue *q;
	pid_t tid;
	int ret;
};

static void *stopper_fn(void *arg)
{
	struct stopper *st = arg;

	__atomic_store_n(&st->tid, nt_gettid(), __ATOMIC_SEQ_CST);
	st->ret = wdl_queue_stop(st->q);
	return NULL;
}

TEST(stop_long_request)
{
	struct wdl_config cfg = { .nr_queues = 2, .nr_engines = 1 };
	size_t n = 64u << 20, k = 64 << 10, hole = 8u << 20;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *s = mmap(NULL, n, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *d = nt_xzalloc(n), zero[64] = { 0 };
	struct stopper st = { 0 };
	struct wd_soft_cqe cqe;
	struct wd_soft_sqe sqe;
	struct wdl_dev *dev;
	struct nt_uffd u;
	pthread_t th;
	struct nq q;

	ASSERT(s != MAP_FAILED);
	memset(s, 0xab, n);
	nt_uffd_hole(&u, s + hole, pg);
	cfg.sva_copy = nt_uffd_sva_copy(&u);
	OK(wdl_dev_create(&cfg, &dev));
	nq_open(&q, dev, 0);
	sqe = nq_sqe(WD_SOFT_OP_COPY, 0, (uintptr_t)s, (uint32_t)n,
		     (uintptr_t)d, (uint32_t)n);
	sqe.user_data = 100;
	nq_push(&q, &sqe);
	nq_publish(&q);
	EQ(nt_uffd_fault(&u), (uintptr_t)(s + hole));
	/* the engine waits in the middle of the copy: stop it there */
	st.q = q.q;
	pthread_create(&th, NULL, stopper_fn, &st);
	NT_WAIT_UNTIL(__atomic_load_n(&st.tid, __ATOMIC_SEQ_CST),
		      "the stopping thread never ran");
	nt_wait_asleep_in(st.tid, SYS_futex, "PUT_Q waiting for the engine");
	nt_uffd_fill(&u, 0xab);
	pthread_join(th, NULL);
	OK(st.ret);
	EQ(nq_try_reap(&q, &cqe), 1);
	EQ(cqe.user_data, 100);
	ST(cqe, WD_SOFT_S_CANCELED);
	EQ(cqe.out_len, 0);
	/* stopped at the chunk after the hole's: the start copied, the end not */
	ASSERT(d[0] == 0xab && d[k - 1] == 0xab && d[hole - 1] == 0xab);
	ASSERT_MSG(!memcmp(d + n - 64, zero, 64),
		   "the copy ran to its end after PUT_Q");
	/* and the queue works again */
	nq_start(&q);
	memset(d, 0, n);
	sqe.user_data = 101;
	ST(nq_run(&q, &sqe), WD_SOFT_S_OK);
	ASSERT(!memcmp(d, s, n));
	nt_uffd_close(&u);
	munmap(s, n);
	free(d);
	nq_close(&q);
	wdl_dev_destroy(dev);
}

/*
 * 64 queues kept busy on one engine: between two snapshots, each queue's
 * progress is within a few batches (16 SQEs) of every other's: round-robin,
 * no starvation.
 *
 * The snapshots are exact and the rings never run dry, whatever the
 * machine does: the engine is held while the counters are read and while
 * every ring is topped up to its depth again (reaped and checked), then
 * released for a while. Released, it serves one batch per queue per round
 * where every queue has work (a ring drained meanwhile was full at the
 * release, as every other: they drain together).
 */
struct fq {
	struct nq q;
	uint32_t done;			/* CQEs reaped and checked */
};

/* held: reap and check what completed, top the ring up to its depth */
static void fair_refill(struct fq *f, unsigned int i, uint8_t *s, uint8_t *d)
{
	struct wd_soft_cqe cqe;

	while (nq_try_reap(&f->q, &cqe)) {
		ASSERT_MSG(cqe.user_data == f->done && cqe.status == WD_SOFT_S_OK,
			   "queue %u: CQE %u: user_data %llu, %s", i, f->done,
			   (unsigned long long)cqe.user_data,
			   nt_stname(cqe.status));
		f->done++;
	}
	while (nq_inflight(&f->q) < WD_SOFT_DEPTH) {
		struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_COPY, 0,
			(uintptr_t)s, 4096, (uintptr_t)(d + 4096 * i), 4096);

		sqe.user_data = f->q.sq_tail;
		nq_push(&f->q, &sqe);
	}
	nq_publish(&f->q);
}

/* held: every queue's completions so far; the smallest */
static uint32_t fair_snapshot(struct fq *f, unsigned int n, uint32_t *v)
{
	uint32_t lo = ~0u;
	unsigned int i;

	for (i = 0; i < n; i++) {
		v[i] = __atomic_load_n(&f[i].q.hdr->cq_tail, __ATOMIC_ACQUIRE);
		lo = v[i] < lo ? v[i] : lo;
	}
	return lo;
}

TEST(fairness_64)
{
	enum { NQ = 64, MIN_A = 64, MIN_DONE = 256 };
	/* queues that do not park while they wait for the next top-up */
	struct wdl_config cfg = {
		.nr_queues = NQ, .nr_engines = 1, .spin_ns = 3000000000u,
	};
	struct wdl_dev *dev;
	uint32_t a[NQ], b[NQ], lo, hi, min;
	uint8_t *s = nt_xzalloc(4096), *d = nt_xzalloc(4096 * NQ);
	struct fq *f = nt_xzalloc(NQ * sizeof(*f));
	unsigned int i, cycles = 0;
	bool have_a = false;
	uint64_t t0 = nt_now_ns();

	nt_fill_random(s, 4096, 64);
	OK(wdl_dev_create(&cfg, &dev));
	OK(wdl_dev_set_hold(dev, true));
	for (i = 0; i < NQ; i++)
		nq_open(&f[i].q, dev, 0);
	for (;;) {
		for (i = 0; i < NQ; i++)
			fair_refill(&f[i], i, s, d);
		OK(wdl_dev_set_hold(dev, false));
		nt_usleep(1000);
		OK(wdl_dev_set_hold(dev, true));
		cycles++;
		min = fair_snapshot(f, NQ, b);
		if (!have_a) {
			/* A, once every queue has had a few turns */
			if (min >= MIN_A) {
				memcpy(a, b, sizeof(a));
				have_a = true;
			}
		} else {
			/* B, once every queue made MIN_DONE more */
			for (i = 0, min = ~0u; i < NQ; i++)
				min = b[i] - a[i] < min ? b[i] - a[i] : min;
			if (min >= MIN_DONE)
				break;
		}
		ASSERT_MSG(nt_now_ns() - t0 < NT_HANG_MS * 1000000ull,
			   "a queue starves: %u requests in %d s", min,
			   NT_HANG_MS / 1000);
	}
	lo = ~0u;
	hi = 0;
	for (i = 0; i < NQ; i++) {
		uint32_t dlt = b[i] - a[i];

		lo = dlt < lo ? dlt : lo;
		hi = dlt > hi ? dlt : hi;
	}
	nt_note("progress between the snapshots: %u..%u requests per queue "
		"(%u hold cycles)", lo, hi, cycles);
	/* two instants each within a batch; a little more allowed */
	ASSERT_MSG(hi - lo <= 4 * 16, "unfair: %u..%u", lo, hi);
	OK(wdl_dev_set_hold(dev, false));
	for (i = 0; i < NQ; i++) {
		while (nq_inflight(&f[i].q)) {
			struct wd_soft_cqe cqe = nq_wait(&f[i].q);

			ST(cqe, WD_SOFT_S_OK);
			EQ(cqe.user_data, f[i].done);
			f[i].done++;
		}
		ASSERT(!memcmp(d + 4096 * i, s, 4096));
		nq_close(&f[i].q);
	}
	free(f);
	free(s);
	free(d);
	wdl_dev_destroy(dev);
}

/*
 * One queue kept busy with NOPs (the ring kept full) beside @idle queues
 * with nothing to do: NOPs per second (only printed: the machine is
 * shared), and the engine's looks per round over the first WINDOW rounds
 * of the busy queue.
 *
 * Queues that park (the default spin) are all parked first: then only the
 * busy one is ever active. Queues that never park (a spin of 4 s) are
 * opened with the engine held, so that each is first looked at when the
 * measure begins: every one of them is active throughout the window,
 * unless the engine takes 4 s for it (a hang, which then fails).
 */
#define WINDOW	64

static double nop_rate(unsigned int idle, unsigned int spin_ns,
		       double *looks_per_round)
{
	struct wdl_config cfg = {
		.nr_queues = idle + 1, .nr_engines = 1, .spin_ns = spin_ns,
	};
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	const unsigned int total = nt_sanitized ? 100000 : 300000;
	bool spinning = spin_ns >= 1000000000u, in_window = true;
	struct wdl_stats st0, st, stw;
	struct wd_soft_cqe cqe;
	struct wdl_dev *dev;
	struct nq *q = nt_xzalloc((idle + 1) * sizeof(*q));
	unsigned int i, sent = 0, got = 0;
	uint64_t t0, dt;

	OK(wdl_dev_create(&cfg, &dev));
	if (spinning)
		OK(wdl_dev_set_hold(dev, true));
	for (i = 0; i <= idle; i++)
		nq_open(&q[i], dev, 0);
	/* every queue parked (the busy one too: it has nothing yet) */
	if (!spinning)
		NT_WAIT_UNTIL((wdl_dev_stats(dev, &st0), st0.parks >= idle + 1),
			      "%llu of %u idle queues parked",
			      (unsigned long long)st0.parks, idle + 1);
	wdl_dev_stats(dev, &st0);
	stw = st0;
	if (spinning)
		OK(wdl_dev_set_hold(dev, false));
	t0 = nt_now_ns();
	while (got < total) {
		while (sent < total && nq_inflight(&q[0]) < WD_SOFT_DEPTH) {
			sqe.user_data = sent++;
			nq_push(&q[0], &sqe);
		}
		nq_publish(&q[0]);
		while (nq_try_reap(&q[0], &cqe))
			got++;
		if (nq_inflight(&q[0]) == WD_SOFT_DEPTH &&
		    nq_reap(&q[0], &cqe, NT_HANG_MS) == 1)
			got++;
		if (in_window) {
			wdl_dev_stats(dev, &st);
			if (st.rounds - st0.rounds >= WINDOW) {
				stw = st;
				in_window = false;
			}
		}
	}
	dt = nt_now_ns() - t0;
	/* the counters of a batch are updated after its CQEs: stop first */
	nq_stop(&q[0]);
	wdl_dev_stats(dev, &st);
	ASSERT_MSG(!in_window, "%llu rounds for %u NOPs",
		   (unsigned long long)(st.rounds - st0.rounds), total);
	EQ(st.requests - st0.requests, total);
	/* queues that never park: none did while measured */
	if (spinning)
		EQ(stw.parks, st0.parks);
	*looks_per_round = (double)(stw.looks - st0.looks) /
			   (double)(stw.rounds - st0.rounds);
	for (i = 0; i <= idle; i++)
		nq_close(&q[i]);
	free(q);
	wdl_dev_destroy(dev);
	return total / (dt / 1e9);
}

/*
 * The cost of a round does not grow with parked queues: with 1000 of
 * them the engine still looks at about one queue per round (the busy
 * one), while 1000 queues that never park cost 1000 looks a round. (The
 * throughputs are only printed: the machine is shared.)
 */
TEST(parked_queues_cost_nothing)
{
	double base, parked, spinning, l_base, l_parked, l_spin;

	base = nop_rate(0, 0, &l_base);
	parked = nop_rate(1000, 0, &l_parked);
	spinning = nop_rate(1000, 4000000000u, &l_spin);
	nt_note("NOPs/s (looks per round): alone %.0f (%.2f), with 1000 parked "
		"queues %.0f (%.2f), with 1000 idle queues that never park "
		"%.0f (%.1f)", base, l_base, parked, l_parked, spinning, l_spin);
	ASSERT_MSG(l_parked < 1.5, "%.2f looks per round with 1000 parked queues",
		   l_parked);
	ASSERT_MSG(l_spin > 900, "%.1f looks per round with 1000 active queues",
		   l_spin);
}
