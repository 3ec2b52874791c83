// SPDX-License-Identifier: MIT
/*
 * t_libwd: threads sharing a queue, and batches: wd_send_many(), wd_recv_many().
 * One of the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"

/* ---- threads ---- */

enum { TH_N = 20000, TH_SLOTS = 1024, TH_SZ = 64 };

struct th {
	struct wd_queue *q;
	struct wd_copy_req *reqs;
	uint8_t *mem;
};

static void *th_send(void *arg)
{
	struct th *t = arg;

	for (int i = 0; i < TH_N; i++) {
		int s = i % TH_SLOTS, r;

		wd_prep_copy(&t->reqs[i], t->mem + (TH_SLOTS + s) * TH_SZ,
			     t->mem + s * TH_SZ, TH_SZ);
		while ((r = wd_send(t->q, &t->reqs[i])) == -EBUSY) {
			wd_flush(t->q);
			sched_yield();
		}
		if (r)
			T_FAIL("wd_send: %s", t_errname(-r));
		if (i % 64 == 63)
			wd_flush(t->q);
	}
	wd_flush(t->q);
	return NULL;
}

static void *th_recv(void *arg)
{
	struct th *t = arg;

	for (int got = 0; got < TH_N; ) {
		void *r;
		int ret = wd_recv_wait(t->q, &r, 30000);

		if (ret == -ENOMSG) {	/* the sender is behind */
			sched_yield();
			continue;
		}
		if (ret != 1)
			T_FAIL("wd_recv_wait: %s", t_errname(-ret));
		if (r != &t->reqs[got])
			T_FAIL("request %d out of order", got);
		T_EQ(t->reqs[got].status, 0);
		int s = got % TH_SLOTS;

		if (memcmp(t->mem + s * TH_SZ, t->mem + (TH_SLOTS + s) * TH_SZ,
			   TH_SZ))
			T_FAIL("request %d: wrong data", got);
		got++;
	}
	return NULL;
}

static void *th_own_queue(void *arg)
{
	struct wd_copy_req req;
	struct wd_queue q;

	(void)arg;
	q_open(&q, "nop");
	for (int i = 0; i < 2000; i++) {
		wd_prep_copy(&req, NULL, NULL, 0);
		run(&q, &req);
		T_EQ(req.status, 0);
	}
	wd_release_queue(&q);
	return NULL;
}

/* a copy queue for a sender and a receiver thread, sources filled from @seed */
static void th_setup(struct wd_queue *q, struct th *t, unsigned int seed)
{
	q_open(q, "copy");
	t->q = q;
	t->reqs = calloc(TH_N, sizeof(*t->reqs));
	T_ASSERT(t->reqs);
	t->mem = q_mem(q, 2 * TH_SLOTS * TH_SZ);
	t_fill_random(t->mem, TH_SLOTS * TH_SZ, seed);
}

/* one queue shared by a sender and a receiver thread; queues per thread */
MTEST(threads)
{
	pthread_t snd, rcv, own[3];
	struct wd_queue q;
	struct th t;

	th_setup(&q, &t, 9);
	for (int i = 0; i < 3; i++)
		T_EQ(pthread_create(&own[i], NULL, th_own_queue, NULL), 0);
	T_EQ(pthread_create(&rcv, NULL, th_recv, &t), 0);
	T_EQ(pthread_create(&snd, NULL, th_send, &t), 0);
	pthread_join(snd, NULL);
	pthread_join(rcv, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(own[i], NULL);
	wd_release_queue(&q);
	free(t.reqs);
}

/* ---- batches: wd_send_many(), wd_recv_many() ---- */

/*
 * Collect @want completions into @out with wd_recv_many(), polling, at most
 * @max per call (fewer for the last ones), each call checked to return no
 * more than it was asked for and to write nothing past that; fails after
 * 30 s. Returns the most one call returned.
 */
static int recv_n(struct wd_queue *q, void **out, int want, int max)
{
	uint64_t end = t_now_ms() + 30000;
	void **v = calloc((size_t)max + 1, sizeof(*v));
	int got = 0, most = 0;

	T_ASSERT(v);
	while (got < want) {
		int m = max < want - got ? max : want - got, n;

		v[m] = v;			/* canary */
		n = wd_recv_many(q, v, m);
		if (n < 0)
			T_FAIL("wd_recv_many: %s", t_errname(-n));
		T_ASSERT_MSG(n <= m, "wd_recv_many(max %d) returned %d", m, n);
		T_ASSERT_MSG(v[m] == v, "wd_recv_many wrote past max %d", m);
		memcpy(out + got, v, (size_t)n * sizeof(*v));
		got += n;
		most = n > most ? n : most;
		if (!n) {
			if (t_now_ms() > end)
				T_FAIL("%d of %d completions after 30 s", got, want);
			sched_yield();
		}
	}
	free(v);
	return most;
}

static void batch_args(struct wd_queue *q, void **v)
{
	T_EQ(wd_send_many(NULL, v, 1), -EINVAL);
	T_EQ(wd_send_many(q, NULL, 1), -EINVAL);
	T_EQ(wd_send_many(q, v, -1), -EINVAL);
	T_EQ(wd_send_many(q, NULL, 0), 0);
	T_EQ(wd_send_many(q, v, 0), 0);
	T_EQ(wd_recv_many(NULL, v, 1), -EINVAL);
	T_EQ(wd_recv_many(q, NULL, 1), -EINVAL);
	T_EQ(wd_recv_many(q, v, -1), -EINVAL);
	T_EQ(wd_recv_many(q, NULL, 0), 0);
	T_EQ(wd_recv_many(q, v, 0), 0);
}

/*
 * Batches of every size from 1 up, never wd_flush(): wd_send_many() rings
 * the doorbell; received in batches of several sizes, in order, each copy
 * compared with its source; wd_recv_many() returns no more than asked.
 */
MTEST(batch_copy)
{
	enum { N = 600, SZ = 1024 };
	struct wd_copy_req *reqs;
	struct wd_queue q;
	void **v, **out;
	uint8_t *mem;
	int sent = 0, got = 0, k = 1, most;
	static const int maxes[] = { 1, 3, 64, N };

	q_open(&q, "copy");
	reqs = calloc(N, sizeof(*reqs));
	v = calloc(N, sizeof(*v));
	out = calloc(N, sizeof(*out));
	T_ASSERT(reqs && v && out);
	mem = q_mem(&q, 2 * N * SZ);
	t_fill_random(mem, N * SZ, 11);
	memset(mem + N * SZ, 0xa5, N * SZ);
	batch_args(&q, v);
	T_EQ(wd_recv_many(&q, v, 8), 0);		/* nothing in flight */

	for (int i = 0; i < N; i++) {
		uint32_t len = 1 + (uint32_t)(i * 37) % SZ;

		wd_prep_copy(&reqs[i], mem + (N + i) * SZ, mem + i * SZ, len);
		reqs[i].status = 777;
		v[i] = &reqs[i];
	}
	/* batches of 1, 2, 3 ... (N < depth: they all fit) */
	T_ASSERT(N <= q.depth);
	for (int round = 0; sent < N; round++) {
		int n = k < N - sent ? k : N - sent;

		T_EQ(wd_send_many(&q, v + sent, n), n);
		sent += n;
		k++;
		/* receive part of what is in flight, in batches of a size
		 * that changes */
		if (round % 3 == 2) {
			int want = (sent - got) / 2;

			recv_n(&q, out + got, want, maxes[round % 4]);
			got += want;
		}
	}
	recv_n(&q, out + got, N - got, 7);
	for (int i = 0; i < N; i++) {
		uint32_t len = 1 + (uint32_t)(i * 37) % SZ;

		T_ASSERT_MSG(out[i] == &reqs[i], "completion %d is request %ld",
			     i, (long)((struct wd_copy_req *)out[i] - reqs));
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, len);
		T_ASSERT_MSG(!memcmp(mem + i * SZ, mem + (N + i) * SZ, len),
			     "copy %d differs", i);
		if (len < SZ)
			T_EQ(mem[(N + i) * SZ + len], 0xa5);
	}
	T_EQ(wd_recv_many(&q, v, N), 0);

	/* no more than max per call, even with more completed */
	memset(mem + N * SZ, 0xa5, 10 * SZ);
	T_EQ(wd_send_many(&q, v, 10), 10);
	/* flushed, not held: engines seen asleep have posted all 10 */
	dev_engines_asleep(g_id);
	most = recv_n(&q, out, 10, 4);
	T_EQ(most, 4);		/* all 10 were done: the first call took 4 */
	for (int i = 0; i < 10; i++)
		T_ASSERT(out[i] == &reqs[i] && !reqs[i].status);

	/*
	 * n 0 wakes a parked engine for earlier wd_send()s. A send is
	 * visible to a polling engine at once (wd_soft_v3): the engines are
	 * made to park first, so that only the wake-up can serve them.
	 */
	dev_engines_asleep(g_id);
	for (int i = 0; i < 3; i++)
		T_EQ(wd_send(&q, &reqs[i]), 0);
	t_msleep(20);
	T_EQ(wd_recv_many(&q, out, 3), 0);	/* not taken: not woken */
	T_EQ(wd_send_many(&q, NULL, 0), 0);
	recv_n(&q, out, 3, 3);
	for (int i = 0; i < 3; i++)
		T_ASSERT(out[i] == &reqs[i]);
	free(reqs);
	free(v);
	free(out);
	wd_release_queue(&q);
}

/*
 * A batch larger than the room left: the requests that fit are queued (a
 * short count), the rest is refused with -EBUSY and nothing queued, until
 * completions are received; order and data across the whole.
 */
MTEST(batch_full)
{
	enum { SZ = 64, EXTRA = 20 };
	struct wd_copy_req *reqs;
	struct wd_queue q;
	void **v, **out;
	uint8_t *mem;
	int d;

	q_open(&q, "copy");
	d = (int)q.depth;
	reqs = calloc(d + EXTRA, sizeof(*reqs));
	v = calloc(d + EXTRA, sizeof(*v));
	out = calloc(d + EXTRA, sizeof(*out));
	T_ASSERT(reqs && v && out);
	mem = q_mem(&q, 2 * (d + EXTRA) * SZ);
	t_fill_random(mem, (d + EXTRA) * SZ, 12);
	for (int i = 0; i < d + EXTRA; i++) {
		wd_prep_copy(&reqs[i], mem + (d + EXTRA + i) * SZ, mem + i * SZ, SZ);
		reqs[i].status = 777;
		v[i] = &reqs[i];
	}
	T_EQ(wd_send_many(&q, v, d - 10), d - 10);
	T_EQ(wd_send_many(&q, v + d - 10, EXTRA), 10);	/* ring full */
	T_EQ(wd_send_many(&q, v + d, EXTRA), -EBUSY);	/* nothing fits */
	T_EQ(wd_send(&q, v[d]), -EBUSY);
	/* five back: room for five more, not six */
	recv_n(&q, out, 5, 5);
	for (int i = 0; i < 5; i++)
		T_ASSERT(out[i] == &reqs[i]);
	T_EQ(wd_send_many(&q, v + d, EXTRA), 5);
	T_EQ(wd_send_many(&q, v + d + 5, EXTRA - 5), -EBUSY);
	for (int i = d + 5; i < d + EXTRA; i++)
		T_EQ(reqs[i].status, 777);		/* never queued */
	recv_n(&q, out + 5, d, d);
	for (int i = 0; i < d + 5; i++) {
		T_ASSERT_MSG(out[i] == &reqs[i], "completion %d out of order", i);
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, SZ);
	}
	T_ASSERT(!memcmp(mem, mem + (d + EXTRA) * SZ, (d + 5) * SZ));
	T_EQ(wd_recv_many(&q, out, d), 0);
	T_EQ(wd_recv_wait(&q, out, 100), -ENOMSG);	/* nothing in flight */
	free(reqs);
	free(v);
	free(out);
	wd_release_queue(&q);
}

/*
 * A refused request in the middle of a batch: the ones before it are
 * queued and counted; sending again from it returns its error with nothing
 * queued; the ones after it go in with the next call. A NULL element is a
 * refused request too.
 */
MTEST(batch_bad_request)
{
	enum { NR = 9, SZ = 256 };
	struct wd_copy_req reqs[NR];
	struct wd_queue q;
	void *v[NR], *out[NR];
	uint8_t *mem, *heap;
	int bad_err = g_mode == WD_DEV_SVA ? -EINVAL : -EFAULT;
	static const int queued[] = { 0, 1, 3, 4, 6, 8 };

	q_open(&q, "copy");
	mem = q_mem(&q, 2 * NR * SZ);
	heap = malloc(SZ);
	T_ASSERT(heap);
	t_fill_random(mem, NR * SZ, 13);
	for (int i = 0; i < NR; i++) {
		wd_prep_copy(&reqs[i], mem + (NR + i) * SZ, mem + i * SZ, SZ);
		reqs[i].status = 777;
		v[i] = &reqs[i];
	}
	reqs[2].src = NULL;			/* NULL buffer, length SZ */
	if (g_mode == WD_DEV_SVA)
		reqs[5].dst = NULL;
	else
		reqs[5].src = heap;		/* not reserved memory */
	v[7] = NULL;

	T_EQ(wd_send_many(&q, v, NR), 2);		/* 0, 1 */
	T_EQ(wd_send_many(&q, v + 2, NR - 2), -EINVAL);	/* 2 alone */
	T_EQ(wd_send_many(&q, v + 3, NR - 3), 2);	/* 3, 4 */
	T_EQ(wd_send_many(&q, v + 5, NR - 5), bad_err);
	T_EQ(wd_send_many(&q, v + 6, NR - 6), 1);	/* 6 */
	T_EQ(wd_send_many(&q, v + 7, NR - 7), -EINVAL);	/* NULL */
	T_EQ(wd_send_many(&q, v + 8, NR - 8), 1);	/* 8 */
	recv_n(&q, out, 6, NR);
	for (int i = 0; i < 6; i++) {
		int r = queued[i];

		T_ASSERT_MSG(out[i] == &reqs[r], "completion %d: not request %d", i, r);
		T_EQ(reqs[r].status, 0);
		T_ASSERT(!memcmp(mem + r * SZ, mem + (NR + r) * SZ, SZ));
	}
	T_EQ(reqs[2].status, 777);
	T_EQ(reqs[5].status, 777);
	T_EQ(wd_recv_many(&q, out, NR), 0);
	free(heap);
	wd_release_queue(&q);
}

/* crc32c (seeded) and sha256 in batches, against the references */
MTEST(batch_digests)
{
	enum { NR = 64, MAXLEN = 70000 };
	struct wd_digest_req reqs[NR];
	struct wd_queue qc, qs;
	void *v[NR], *out[NR];
	uint8_t *mem, *data, *dst, want[32];

	q_open(&qc, "crc32c");
	mem = q_mem(&qc, MAXLEN + NR * 64);
	data = mem;
	dst = mem + MAXLEN;
	t_fill_random(data, MAXLEN, 14);
	for (int i = 0; i < NR; i++) {
		uint32_t off = (uint32_t)(i * 31) % 1000;
		uint32_t len = (uint32_t)(i * 997) % (MAXLEN - 1000);

		wd_prep_digest(&reqs[i], dst + i * 64, 4, data + off, len,
			       (uint32_t)i * 0x9e3779b9u);
		v[i] = &reqs[i];
	}
	T_EQ(wd_send_many(&qc, v, NR), NR);
	recv_n(&qc, out, NR, NR);
	for (int i = 0; i < NR; i++) {
		uint32_t crc = ref_crc32c(reqs[i].seed, reqs[i].src,
					  reqs[i].src_len);

		T_ASSERT(out[i] == &reqs[i]);
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, 4);
		T_EQ_HEX(reqs[i].crc, crc);
		T_EQ_HEX(le32(dst + i * 64), crc);
	}
	wd_release_queue(&qc);

	q_open(&qs, "sha256");
	mem = q_mem(&qs, MAXLEN + NR * 64);
	data = mem;
	dst = mem + MAXLEN;
	t_fill_random(data, MAXLEN, 15);
	for (int i = 0; i < 16; i++) {
		wd_prep_digest(&reqs[i], dst + i * 64, 32, data, (uint32_t)i * 4321, 0);
		v[i] = &reqs[i];
	}
	T_EQ(wd_send_many(&qs, v, 16), 16);
	recv_n(&qs, out, 16, 5);
	for (int i = 0; i < 16; i++) {
		T_ASSERT(out[i] == &reqs[i]);
		T_EQ(reqs[i].status, 0);
		ref_sha256(data, reqs[i].src_len, want);
		T_ASSERT_MSG(!memcmp(dst + i * 64, want, 32), "sha256 %d", i);
	}
	wd_release_queue(&qs);
}

/* a sender thread with wd_send_many() (short counts and -EBUSY taken in
 * stride), a receiver thread with wd_recv_many(): in order, right data */
static void *thb_send(void *arg)
{
	struct th *t = arg;
	void **v = calloc(64, sizeof(*v));

	T_ASSERT(v);
	for (int i = 0; i < TH_N; ) {
		int k = 1 + (i * 7) % 64, r;

		if (k > TH_N - i)
			k = TH_N - i;
		for (int j = 0; j < k; j++) {
			int s = (i + j) % TH_SLOTS;

			wd_prep_copy(&t->reqs[i + j], t->mem + (TH_SLOTS + s) * TH_SZ,
				     t->mem + s * TH_SZ, TH_SZ);
			v[j] = &t->reqs[i + j];
		}
		r = wd_send_many(t->q, v, k);
		if (r == -EBUSY) {
			sched_yield();
			continue;
		}
		if (r < 1 || r > k)
			T_FAIL("wd_send_many(%d): %d", k, r);
		i += r;
	}
	free(v);
	return NULL;
}

static void *thb_recv(void *arg)
{
	struct th *t = arg;
	uint64_t end = t_now_ms() + 60000;
	void *v[100];

	for (int got = 0; got < TH_N; ) {
		int n = wd_recv_many(t->q, v, 1 + got % 100);

		if (n < 0)
			T_FAIL("wd_recv_many: %s", t_errname(-n));
		if (!n) {
			if (t_now_ms() > end)
				T_FAIL("%d of %d after 60 s", got, TH_N);
			sched_yield();
			continue;
		}
		for (int i = 0; i < n; i++, got++) {
			int s = got % TH_SLOTS;

			if (v[i] != &t->reqs[got])
				T_FAIL("request %d out of order", got);
			T_EQ(t->reqs[got].status, 0);
			if (memcmp(t->mem + s * TH_SZ,
				   t->mem + (TH_SLOTS + s) * TH_SZ, TH_SZ))
				T_FAIL("request %d: wrong data", got);
		}
	}
	return NULL;
}

MTEST(batch_threads)
{
	pthread_t snd, rcv;
	struct wd_queue q;
	struct th t;

	th_setup(&q, &t, 16);
	T_EQ(pthread_create(&rcv, NULL, thb_recv, &t), 0);
	T_EQ(pthread_create(&snd, NULL, thb_send, &t), 0);
	pthread_join(snd, NULL);
	pthread_join(rcv, NULL);
	wd_release_queue(&q);
	free(t.reqs);
}
