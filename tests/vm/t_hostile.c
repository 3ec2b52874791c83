// SPDX-License-Identifier: GPL-2.0
/*
 * t_hostile: a queue's owner abusing its own ring, beside a good queue of
 * the same engine that must go on working and be right throughout
 * (docs/soft-device.md, docs/security.md):
 *
 *  - every kind of bad cq_head, read when the CQ is full (wd_soft_v3):
 *    claiming CQEs not posted or more than a ring behind: that queue
 *    BROKEN with its error, not served, back after a restart; not a device
 *    error (no isolation); while the CQ has room it is not even read
 *  - structured garbage SQEs in each memory mode: each fails alone, in
 *    order, with a request status; the good ones among them are right
 *  - a thread scribbling over cq_head, the SQEs' phases and the SQ ring, kicking now
 *    and then, restarting the queue when BROKEN
 */
#include "t.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

/* a good queue's traffic in its own thread, until told to stop */
struct good {
	struct t_q q;
	volatile bool stop;
	uint64_t done;
	char err[160];
	pthread_t th;
};

static void *good_fn(void *arg)
{
	struct good *g = arg;
	uint8_t *s = g->q.ss ? t_q_ss_alloc(&g->q, 8192) : malloc(8192);
	uint8_t *d = g->q.ss ? t_q_ss_alloc(&g->q, 8192) : malloc(8192);
	struct wd_soft_cqe cqe;

	for (uint64_t i = 0; s && d && !g->stop; i++) {
		t_fill_random(s, 8192, i);
		for (int k = 0; k < 4; k++) {
			struct wd_soft_sqe sqe = k & 1 ? t_sqe_nop(0) :
				t_sqe_copy(&g->q, s, d, 8192, 8192);

			sqe.user_data = i * 4 + k;
			t_q_push(&g->q, &sqe);
		}
		t_q_publish(&g->q);
		for (int k = 0; k < 4; k++) {
			if (t_q_reap(&g->q, &cqe, T_HANG_MS) != 1 ||
			    cqe.user_data != i * 4 + k ||
			    cqe.status != WD_SOFT_S_OK) {
				snprintf(g->err, sizeof(g->err), "good request "
					 "%llu: user_data %llu, status %u",
					 (unsigned long long)(i * 4 + k),
					 (unsigned long long)cqe.user_data,
					 cqe.status);
				return NULL;
			}
		}
		if (memcmp(s, d, 8192)) {
			snprintf(g->err, sizeof(g->err), "good copy %llu wrong",
				 (unsigned long long)i);
			return NULL;
		}
		__atomic_fetch_add(&g->done, 4, __ATOMIC_RELEASE);
	}
	if (!g->q.ss) {
		free(s);
		free(d);
	}
	return NULL;
}

/* its buffers in SS unless the instance is in sva mode */
static void good_start(struct good *g, int ua)
{
	memset(g, 0, sizeof(*g));
	t_q_setup(&g->q, ua);
	if ((g->q.flags & UACCE_DEV_SVA) != UACCE_DEV_SVA)
		t_q_map_ss(&g->q, 1 << 16);
	T_EQ(pthread_create(&g->th, NULL, good_fn, g), 0);
}

static uint64_t good_done(struct good *g)
{
	return __atomic_load_n(&g->done, __ATOMIC_ACQUIRE);
}

/* the good queue makes n more requests after mark (or fails) */
static void good_progress(struct good *g, uint64_t mark, uint64_t n)
{
	T_WAIT_UNTIL(good_done(g) >= mark + n || g->err[0], "the good queue "
		     "made no progress beside the hostile one (%llu requests)",
		     (unsigned long long)good_done(g));
}

/* the good queue progressed, and every one of its requests was right */
static void good_end(struct good *g)
{
	good_progress(g, 0, 1);
	g->stop = true;
	T_EQ(pthread_join(g->th, NULL), 0);
	T_ASSERT_MSG(!g->err[0], "%s", g->err);
	t_q_close(&g->q);
}

/* the queue becomes BROKEN with error err (kicked: it may be parked) */
static void expect_broken(struct t_q *q, uint32_t err)
{
	t_q_cmd(q, WD_SOFT_CMD_KICK, 0);
	T_WAIT_UNTIL(t_q_status(q) & WD_SOFT_ST_BROKEN, "queue not BROKEN");
	T_EQ(q->mmio->error, err);
}

/* PUT_Q leaves a BROKEN queue as it is; START_Q makes it new */
static void restart(struct t_q *q)
{
	struct wd_soft_sqe sqe = t_sqe_nop(77);

	t_q_restart(q);
	T_EQ(t_q_status(q) & ~WD_SOFT_ST_NEED_WAKEUP, 0);
	T_EQ(q->mmio->error, 0);
	T_EQ(t_q_run(q, &sqe).status, WD_SOFT_S_OK);
}

TEST(hostile_indices)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	struct wd_soft_sqe sqe = t_sqe_nop(1);
	struct good g;
	struct t_q h;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "1"), 0);
	good_start(&g, in.ua);
	t_q_setup(&h, in.ua);
	/* while the CQ has room the device does not read cq_head */
	__atomic_store_n(&h.mmio->cq_head, 0x80000000u, __ATOMIC_RELEASE);
	for (int i = 0; i < 3; i++)
		T_EQ(t_q_run(&h, &sqe).status, WD_SOFT_S_OK);
	T_EQ(t_q_status(&h) & WD_SOFT_ST_BROKEN, 0);
	/* with the CQ full, cq_head claiming CQEs not posted, or more than a
	 * ring behind */
	for (int i = 0; i < 6; i++) {
		static const uint32_t off[] = { 1, 5, 0x80000000u };
		uint32_t tail;

		t_q_fill_cq(&h);
		tail = t_q_hdr_cq_tail(&h);
		__atomic_store_n(&h.mmio->cq_head, i % 2 ?
				 tail - h.depth - off[i % 3] : tail + off[i % 3],
				 __ATOMIC_RELEASE);
		t_q_push_over(&h, &sqe);
		t_q_publish(&h);
		expect_broken(&h, WD_SOFT_QERR_CQ_HEAD);
		/* a BROKEN queue is not served */
		t_msleep(50);
		T_EQ(t_q_hdr_sq_head(&h), h.sq_tail - 1);
		restart(&h);
	}
	t_q_close(&h);
	good_end(&g);
	/* BROKEN is the process's doing, not a device error */
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
}

/*
 * Garbage addresses: in sva never this process's memory (far unmapped,
 * PROT_NONE, kernel, non-canonical, the NULL page, wrapping); anything in
 * the other modes, around the SS region or not (but for the good
 * requests' buffers at its start: a garbage COPY may well succeed).
 */
#define GOOD_ROOM	(64u << 10)
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t garbage_addr(struct t_q *q, bool sva, uint64_t *seed,
			     uint8_t *none)
{
	uint64_t r = rnd(seed);

	if (!sva)
		return r % 4 ? rnd(seed) : t_q_addr(q, q->ss) + GOOD_ROOM +
		       r % (2 * q->ss_size);
	switch (r % 6) {
	case 0: return 0x600000000000ull + (r >> 8) % (1ull << 40);
	case 1: return (uintptr_t)none + (r >> 8) % 4096;
	case 2: return 0xffff800000000000ull | (r >> 8);
	case 3: return 0x8000000000000000ull | (r >> 4);
	case 4: return (r >> 8) % 4096;
	default: return ~0ull - (r >> 8) % 100;
	}
}

static struct wd_soft_sqe garbage_sqe(struct t_q *h, bool sva, uint64_t *seed,
				      uint8_t *none, uint64_t r)
{
	struct wd_soft_sqe sqe = {
		.op = (uint16_t)(r % 13),
		.src = garbage_addr(h, sva, seed, none),
		.src_len = (uint32_t)rnd(seed) % 70000,
		.dst = garbage_addr(h, sva, seed, none),
		.dst_len = (uint32_t)rnd(seed) % 70000,
	};

	if (r % 7 == 0)
		sqe.flags = (uint16_t)(rnd(seed) & 3);
	if (r % 11 == 0)
		sqe.params = (uint32_t)rnd(seed) % 12;
	if (r % 13 == 0) {
		if (r % 2)
			sqe.state = rnd(seed);	/* without F_STATE */
		else
			sqe.rsvd = (uint32_t)rnd(seed);
	}
	if (r % 17 == 0)
		t_fill_random(&sqe, sizeof(sqe), r);
	return sqe;
}

static void t_garbage(const char *mode, bool sva)
{
	struct t_inst in = t_inst_create(mode);
	uint64_t seed = 12345 + sva;
	const unsigned int n = 1000;
	uint8_t *none, *s, *d;
	bool good[1000];
	struct good g;
	struct t_q h;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "1"), 0);
	none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(none != MAP_FAILED);
	good_start(&g, in.ua);
	t_q_setup(&h, in.ua);
	t_q_map_ss(&h, 1 << 20);
	s = t_q_ss_alloc(&h, 4096);
	d = t_q_ss_alloc(&h, 8 * 4096);
	T_ASSERT(n <= h.depth);
	for (int round = 0; round < 4; round++) {
		t_fill_random(s, 4096, round);
		memset(d, 0, 8 * 4096);
		for (unsigned int i = 0; i < n; i++) {
			uint64_t r = rnd(&seed);
			struct wd_soft_sqe sqe;

			good[i] = r % 5 == 0;
			if (good[i])
				sqe = t_sqe_copy(&h, s, d + 4096 * (i % 8), 4096,
						 4096);
			else
				sqe = garbage_sqe(&h, sva, &seed, none, r);
			sqe.user_data = i;
			t_q_push(&h, &sqe);
		}
		t_q_publish(&h);
		for (unsigned int i = 0; i < n; i++) {
			struct wd_soft_cqe cqe;

			t_q_wait(&h, &cqe);
			T_EQ(cqe.user_data, i);
			T_ASSERT_MSG(cqe.status <= WD_SOFT_S_BAD_CTX &&
				     cqe.status != WD_SOFT_S_DEV_ERR &&
				     cqe.status != WD_SOFT_S_CANCELED,
				     "SQE %u: status %u", i, cqe.status);
			if (good[i])
				T_ASSERT_MSG(cqe.status == WD_SOFT_S_OK &&
					     !memcmp(d + 4096 * (i % 8), s, 4096),
					     "good SQE %u among garbage: status "
					     "%u", i, cqe.status);
		}
		T_ASSERT(!(t_q_status(&h) & WD_SOFT_ST_BROKEN));
	}
	t_q_close(&h);
	good_end(&g);
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	munmap(none, 8192);
}

T_TEST_TMO(sva_garbage_sqes, 180) { t_garbage("mode=sva", true); }
T_TEST_TMO(pasid_garbage_sqes, 180) { t_garbage("mode=pasid", false); }
T_TEST_TMO(noiommu_garbage_sqes, 180) { t_garbage("mode=noiommu", false); }

/* ---- the scribbler ---- */

struct scribbler {
	struct t_q *q;
	volatile bool stop;
	uint64_t writes;
};

static void *scribble_fn(void *arg)
{
	struct scribbler *s = arg;
	uint64_t seed = 99;

	while (!s->stop) {
		uint64_t r = rnd(&seed);

		switch (r % 4) {
		case 0:	/* a phase, valid or not, on any slot */
			t_q_sqe_phase(s->q, (uint32_t)(r >> 16),
				      (uint32_t)(r >> 32) % 3);
			break;
		case 1:
			__atomic_store_n(&s->q->mmio->cq_head,
					 (uint32_t)(r >> 32) % 2048,
					 __ATOMIC_RELEASE);
			break;
		case 2:
			t_fill_random(&s->q->sq[(r >> 16) % s->q->depth],
				      sizeof(struct wd_soft_sqe), r);
			break;
		default:
			t_q_cmd(s->q, WD_SOFT_CMD_KICK, 0);
			break;
		}
		__atomic_fetch_add(&s->writes, 1, __ATOMIC_RELAXED);
		/* BROKEN: start over, now and then */
		if ((r >> 40) % 64 == 0 && (t_q_status(s->q) & WD_SOFT_ST_BROKEN)) {
			t_q_cmd(s->q, UACCE_CMD_PUT_Q, 0);
			t_q_cmd(s->q, UACCE_CMD_START_Q, 0);
		}
	}
	return NULL;
}

/*
 * Random values over a queue's cq_head and SQE phases, random bytes over its SQ ring
 * (a whole SQE of random bytes is INVAL: its flags and reserved fields
 * are never all valid), kicks, while the good queue works and is right.
 */
T_TEST_TMO(scribbler, 120)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	struct scribbler sc;
	struct wd_soft_sqe sqe = t_sqe_nop(5);
	struct good g;
	uint64_t mark;
	pthread_t th;
	struct t_q h;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "1"), 0);
	good_start(&g, in.ua);
	t_q_setup(&h, in.ua);
	sc = (struct scribbler){ .q = &h };
	T_EQ(pthread_create(&th, NULL, scribble_fn, &sc), 0);
	T_WAIT_UNTIL(__atomic_load_n(&sc.writes, __ATOMIC_RELAXED),
		     "the scribbler never ran");
	mark = good_done(&g);
	t_msleep(400);
	good_progress(&g, mark, 8);
	sc.stop = true;
	T_EQ(pthread_join(th, NULL), 0);
	t_note("%llu scribbles, %llu good requests meanwhile",
	       (unsigned long long)sc.writes, (unsigned long long)good_done(&g));
	/* the hostile queue recovers with a restart */
	t_q_cmd(&h, UACCE_CMD_PUT_Q, 0);
	__atomic_store_n(&h.mmio->cq_head, t_q_hdr_cq_tail(&h), __ATOMIC_RELEASE);
	T_EQ(t_q_cmd(&h, UACCE_CMD_START_Q, 0), 0);
	t_q_resync(&h);
	T_EQ(t_q_run(&h, &sqe).status, WD_SOFT_S_OK);
	t_q_close(&h);
	good_end(&g);
	/* the scribbles were the process's doing, not device errors */
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
}
