// SPDX-License-Identifier: MIT
/*
 * t_libwd: a queue's life: use after release, release and fork with requests in flight,
 * waiting in wd_recv_sync(), a device removed or broken under its queues.
 * One of the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"

/*
 * Every call on @q but wd_release_queue() fails with -@err, and wd_flush()
 * does nothing: a released queue's (EINVAL) and a fork child's (EPERM).
 */
static void calls_refused(struct wd_queue *q, void *req, int err)
{
	void *r;

	T_EQ(wd_send(q, req), -err);
	T_EQ(wd_recv(q, &r), -err);
	T_EQ(wd_recv_sync(q, &r), -err);
	T_EQ(wd_recv_wait(q, &r, 10), -err);
	r = req;
	T_EQ(wd_send_many(q, &r, 0), -err);
	T_EQ(wd_send_many(q, &r, 1), -err);
	T_EQ(wd_recv_many(q, &r, 0), -err);
	T_EQ(wd_recv_many(q, &r, 1), -err);
	wd_flush(q);
	errno = 0;
	T_ASSERT(!wd_reserve_memory(q, 4096));
	T_EQ(errno, err);
	T_EQ(wd_share_reserved_memory(q, q), -err);
}

/* a COPY of 100 random bytes (@seed) at @mem to @mem + 4096 on @q */
static void copy_works(struct wd_queue *q, uint8_t *mem, unsigned int seed)
{
	struct wd_copy_req req;

	t_fill_random(mem, 100, seed);
	wd_prep_copy(&req, mem + 4096, mem, 100);
	run(q, &req);
	T_EQ(req.status, 0);
	T_ASSERT(!memcmp(mem, mem + 4096, 100));
}

MTEST(use_after_release)
{
	struct wd_copy_req req;
	struct wd_queue q;
	uint8_t *mem;

	q_open(&q, "copy");
	mem = q_mem(&q, 8192);
	wd_prep_copy(&req, mem + 4096, mem, 100);
	run(&q, &req);
	wd_release_queue(&q);
	T_ASSERT(!q.priv);
	calls_refused(&q, &req, EINVAL);
	wd_release_queue(&q);		/* twice: nothing happens */
	/* the same structure can be requested again */
	T_EQ(wd_request_queue(&q), 0);
	copy_works(&q, q_mem(&q, 8192), 1);
	wd_release_queue(&q);
}

/* release with requests in flight: stopped, not written, no crash */
MTEST(release_inflight)
{
	enum { NR = 12, SZ = 128 * 1024 };
	struct wd_copy_req reqs[NR];
	struct wd_queue q;
	uint8_t *mem;

	for (int round = 0; round < 3; round++) {
		q_open(&q, "copy");
		mem = q_mem(&q, 2 * NR * SZ);
		for (int i = 0; i < NR; i++) {
			wd_prep_copy(&reqs[i], mem + (NR + i) * SZ, mem + i * SZ, SZ);
			reqs[i].status = 777;
			T_EQ(wd_send(&q, &reqs[i]), 0);
		}
		if (round)
			wd_flush(&q);	/* round 0: never made visible */
		wd_release_queue(&q);
		for (int i = 0; i < NR; i++)
			T_EQ(reqs[i].status, 777);
	}
	if (g_mode == WD_DEV_SVA) {
		/* ordinary memory, freed as soon as the queue is released */
		uint8_t *src = malloc(NR * SZ), *dst = malloc(NR * SZ);

		T_ASSERT(src && dst);
		q_open(&q, "copy");
		for (int i = 0; i < NR; i++) {
			wd_prep_copy(&reqs[i], dst + i * SZ, src + i * SZ, SZ);
			T_EQ(wd_send(&q, &reqs[i]), 0);
		}
		wd_flush(&q);
		wd_release_queue(&q);
		free(src);
		free(dst);
	}
	/* the device is fine */
	q_open(&q, "nop");
	wd_prep_copy(&reqs[0], NULL, NULL, 0);
	run(&q, &reqs[0]);
	T_EQ(reqs[0].status, 0);
	wd_release_queue(&q);
}

/* fork: the child gets -EPERM from the inherited queue, opens its own */
MTEST(fork_child)
{
	struct wd_copy_req req;
	struct wd_queue q;
	uint8_t *mem;
	pid_t pid;

	q_open(&q, "copy");
	mem = q_mem(&q, 8192);
	t_fill_random(mem, 100, 3);
	wd_prep_copy(&req, mem + 4096, mem, 100);
	run(&q, &req);

	pid = t_fork();
	if (!pid) {
		struct wd_queue own;

		calls_refused(&q, &req, EPERM);
		wd_release_queue(&q);
		T_ASSERT(!q.priv);

		q_open(&own, "copy");
		copy_works(&own, q_mem(&own, 8192), 4);
		wd_release_queue(&own);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	/* the parent's queue is untouched */
	copy_works(&q, mem, 5);
	wd_release_queue(&q);
}

/* ---- waiting ---- */

/*
 * wd_recv_sync() sleeps (poll), it does not spin: with the engines held,
 * so that nothing can complete, the waiting thread is seen asleep in the
 * wait and uses (almost) no CPU over a while; released, the requests come
 * back in order and right. That the hold holds is checked first: after
 * the doorbell the engines go back to sleep with nothing done (no digest
 * written, nothing to receive), which an engine that is not held only
 * does once it has served every request.
 */
struct cpu_watch {
	struct wd_queue *q;
	pthread_t waiter;
	pid_t tid;
	double cpu;		/* the waiter's CPU time in the window */
};

static double thread_cpu_s(pthread_t th)
{
	struct timespec ts;
	clockid_t clk;

	T_EQ(pthread_getcpuclockid(th, &clk), 0);
	T_OK(clock_gettime(clk, &ts));
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *cpu_watch_fn(void *arg)
{
	struct cpu_watch *w = arg;
	double cpu;

	t_wait_asleep_in(w->tid, WAIT_NR1, WAIT_NR2, "wd_recv_sync()");
	cpu = thread_cpu_s(w->waiter);
	t_msleep(200);
	w->cpu = thread_cpu_s(w->waiter) - cpu;
	dev_hold(w->q, g_id, false);
	return NULL;
}

TEST(recv_sync_sleeps)
{
	enum { NR = 4, SZ = 8 << 20 };
	struct wd_digest_req reqs[NR];
	uint8_t out[NR][32], want[32], *buf;
	struct cpu_watch w;
	struct wd_queue q;
	pthread_t th;
	void *r;

	use_mode("sva", WD_DEV_SVA);
	q_open(&q, "sha256");
	buf = malloc(SZ);
	T_ASSERT(buf);
	t_fill_random(buf, SZ, 77);
	memset(out, 0xa5, sizeof(out));
	dev_hold(&q, g_id, true);
	for (int i = 0; i < NR; i++) {
		wd_prep_digest(&reqs[i], out[i], 32, buf, SZ, 0);
		T_EQ(wd_send(&q, &reqs[i]), 0);
	}
	/* flushes, does not wait: held, nothing can be done */
	T_EQ(wd_recv_wait(&q, &r, 0), -ETIMEDOUT);
	/* woken by the doorbell, asleep again: held, they took nothing */
	dev_engines_asleep(g_id);
	T_EQ(wd_recv(&q, &r), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		T_ASSERT_MSG(((uint8_t *)out)[i] == 0xa5, "a held device wrote "
			     "a digest (byte %zu)", i);
	w = (struct cpu_watch){ .q = &q, .waiter = pthread_self(),
				.tid = t_gettid() };
	T_EQ(pthread_create(&th, NULL, cpu_watch_fn, &w), 0);
	for (int i = 0; i < NR; i++) {
		T_EQ(wd_recv_sync(&q, &r), 1);
		T_ASSERT(r == &reqs[i]);
		T_EQ(reqs[i].status, 0);
	}
	T_EQ(pthread_join(th, NULL), 0);
	t_note("the waiter used %.4f s of CPU in 0.2 s of nothing to collect",
	       w.cpu);
	T_ASSERT_MSG(w.cpu < 0.05, "waiting used %.3f s of CPU in 0.2 s",
		     w.cpu);
	ref_sha256(buf, SZ, want);
	for (int i = 0; i < NR; i++)
		T_ASSERT(!memcmp(out[i], want, 32));
	free(buf);
	wd_release_queue(&q);
}

/* every request handed back once, in order; the receive call's end */
struct rm_waiter {
	struct wd_queue *q;
	pid_t tid;
	int n;
	void *got[64];
	int ret;
};

static void *rm_wait(void *arg)
{
	struct rm_waiter *w = arg;
	void *r;

	__atomic_store_n(&w->tid, t_gettid(), __ATOMIC_SEQ_CST);
	while ((w->ret = wd_recv_sync(w->q, &r)) == 1)
		if (w->n < 64)
			w->got[w->n++] = r;
	return NULL;
}

/*
 * The device goes away under a sleeping wd_recv_sync(): the requests in
 * flight come back once each with -ECANCELED, then -ENODEV, and the queue
 * is dead without the ring being touched again. The engines are held, so
 * the requests are still in flight and the waiter asleep (seen in poll)
 * when the device goes.
 */
TEST(device_removed)
{
	enum { NR = 8, SZ = 1 << 20 };
	struct wd_digest_req reqs[NR];
	uint8_t out[NR][32], *buf;
	struct rm_waiter w;
	struct wd_queue q;
	struct t_inst a;
	char s[16];
	pthread_t th;
	void *r;

	vm_only();
	a = t_inst_create("mode=sva");
	t_dev_path(a.ua, g_dev);
	q_open(&q, "sha256");
	buf = malloc(SZ);
	T_ASSERT(buf);
	t_fill_random(buf, SZ, 1);
	t_hold(a.id, true);
	for (int i = 0; i < NR; i++) {
		wd_prep_digest(&reqs[i], out[i], 32, buf, SZ, 0);
		reqs[i].status = 1;
		T_EQ(wd_send(&q, &reqs[i]), 0);
	}
	w = (struct rm_waiter){ .q = &q };
	T_EQ(pthread_create(&th, NULL, rm_wait, &w), 0);
	T_WAIT_UNTIL(__atomic_load_n(&w.tid, __ATOMIC_SEQ_CST),
		     "the waiter never ran");
	t_wait_asleep_in(w.tid, SYS_poll, SYS_ppoll, "wd_recv_sync()");
	snprintf(s, sizeof(s), "%d", a.id);
	T_EQ(t_inst_del_raw(s), 0);
	pthread_join(th, NULL);
	T_EQ(w.ret, -ENODEV);
	T_EQ(w.n, NR);
	for (int i = 0; i < NR; i++) {
		T_ASSERT_MSG(w.got[i] == &reqs[i], "request %d came back as "
			     "another one (or twice)", i);
		T_EQ(reqs[i].status, -ECANCELED);
	}
	T_EQ(wd_send(&q, &reqs[0]), -ENODEV);
	T_EQ(wd_recv(&q, &r), -ENODEV);
	r = &reqs[0];
	T_EQ(wd_send_many(&q, &r, 1), -ENODEV);
	T_EQ(wd_recv_many(&q, &r, 1), -ENODEV);
	T_EQ(wd_recv_sync(&q, &r), -ENODEV);
	wd_flush(&q);
	errno = 0;
	T_ASSERT(!wd_reserve_memory(&q, 4096));
	T_EQ(errno, ENODEV);
	wd_release_queue(&q);
	T_EQ(q_try(&q, "sha256", g_dev), -ENOENT);
	free(buf);
}

/* the MMIO page of /dev/uaN as this process mapped it (libwd's) */
static volatile struct wd_soft_mmio *mmio_of(int ua)
{
	char line[512], dev[32];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo = 0, off;

	T_ASSERT(f);
	t_dev_path(ua, dev);
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');

		if (path && !strncmp(path, dev, strlen(dev)) &&
		    path[strlen(dev)] == '\n' &&
		    sscanf(line, "%lx-%*x %*s %lx", &lo, &off) == 2 && !off)
			break;
		lo = 0;
	}
	fclose(f);
	T_ASSERT_MSG(lo, "no MMIO mapping of %s", dev);
	return (volatile struct wd_soft_mmio *)lo;
}

/*
 * The device breaks the queue (a cq_head beyond cq_tail, as memory
 * corruption would write): the library stops it and hands every request in
 * flight back once with -EIO, then -EIO. wd_soft_v3 reads cq_head only when
 * its cached copy says the CQ is full: a ring's worth of requests first
 * (collected), so that the next SQE makes the device read it.
 */
TEST(broken_hands_back)
{
	enum { NR = 4 };
	struct wd_copy_req reqs[NR];
	char src[NR][64], dst[NR][64];
	struct wd_queue q;
	struct t_inst a;
	void *r;
	int n = 0, ret;

	vm_only();
	a = t_inst_create("mode=sva engines=1");
	t_dev_path(a.ua, g_dev);
	q_open(&q, "copy");
	for (int i = 0; i < WD_SOFT_DEPTH; i++) {
		wd_prep_copy(&reqs[0], dst[0], src[0], sizeof(src[0]));
		T_EQ(wd_send(&q, &reqs[0]), 0);
		wd_flush(&q);
		T_EQ(wd_recv_sync(&q, &r), 1);
		T_EQ(reqs[0].status, 0);
	}
	t_hold(a.id, true);
	for (int i = 0; i < NR; i++) {
		memset(src[i], 'a' + i, sizeof(src[i]));
		memset(dst[i], 0, sizeof(dst[i]));
		wd_prep_copy(&reqs[i], dst[i], src[i], sizeof(src[i]));
		T_EQ(wd_send(&q, &reqs[i]), 0);
	}
	wd_flush(&q);
	volatile struct wd_soft_mmio *m = mmio_of(a.ua);

	m->cq_head = m->cq_head + 5000;
	t_hold(a.id, false);
	while ((ret = wd_recv_sync(&q, &r)) == 1) {
		T_ASSERT(n < NR);
		T_ASSERT_MSG(r == &reqs[n], "request %d came back out of order "
			     "or twice", n);
		T_EQ(reqs[n].status, -EIO);
		n++;
	}
	T_EQ(ret, -EIO);
	T_EQ(n, NR);
	/* stopped before they were handed back: the device never ran them */
	for (int i = 0; i < NR; i++)
		for (int j = 0; j < 64; j++)
			T_EQ(dst[i][j], 0);
	T_EQ(wd_send(&q, &reqs[0]), -EIO);
	T_EQ(wd_recv(&q, &r), -EIO);
	wd_release_queue(&q);
}
