// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wdl_api: the uacce side of the in-process device (wd_soft_local.h):
 * configuration checks, what the device shows, queue states (START_Q /
 * PUT_Q rules), the regions, SS rules, GET_SS_DMA, SHARE_SVAS, KICK, the
 * poll equivalent (timeouts, cq_notify), device removal with queues open
 * (ENODEV, sleepers woken), the fork rule, fault injection and isolation.
 */
#include "nt.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(config_checks)
{
	struct wdl_config cfg;
	struct wdl_dev *dev;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nr_queues = WDL_MAX_QUEUES + 1;
	ERR(wdl_dev_create(&cfg, &dev), EINVAL);
	cfg.nr_queues = 0;
	cfg.nr_engines = WDL_MAX_ENGINES + 1;
	ERR(wdl_dev_create(&cfg, &dev), EINVAL);
	cfg.nr_engines = 0;
	cfg.isolate_strategy = WDL_MAX_ISOLATE + 1;
	ERR(wdl_dev_create(&cfg, &dev), EINVAL);
	cfg.isolate_strategy = 0;
	cfg.mode = (enum wdl_mode)3;
	ERR(wdl_dev_create(&cfg, &dev), EINVAL);
	ERR(wdl_dev_create(NULL, &dev), EINVAL);

	/* the limits themselves are fine */
	cfg.mode = WDL_MODE_PASID;
	cfg.nr_queues = WDL_MAX_QUEUES;
	cfg.nr_engines = WDL_MAX_ENGINES;
	cfg.isolate_strategy = WDL_MAX_ISOLATE;
	OK(wdl_dev_create(&cfg, &dev));
	EQ(wdl_dev_available_instances(dev), WDL_MAX_QUEUES);
	EQ(wdl_dev_get_isolate_strategy(dev), WDL_MAX_ISOLATE);
	wdl_dev_destroy(dev);
}

TEST(device_attributes)
{
	static const unsigned int flags[] = {
		UACCE_DEV_SVA, UACCE_DEV_PASID, UACCE_DEV_NOIOMMU,
	};
	struct wdl_dev *dev, *dev2;
	int m;

	for (m = WDL_MODE_SVA; m <= WDL_MODE_NOIOMMU; m++) {
		dev = nt_dev((enum wdl_mode)m, 0, 0);
		EQ(wdl_dev_mode(dev), m);
		EQ(wdl_dev_flags(dev), flags[m]);
		ASSERT(!strcmp(wdl_dev_api(dev), "wd_soft_v1"));
		EQ(wdl_dev_available_instances(dev), WDL_DEF_QUEUES);
		EQ(wdl_dev_ss_max_size(dev),
		   m == WDL_MODE_NOIOMMU ? 4u << 20 : 64u << 20);
		EQ(wdl_dev_isolated(dev), 0);
		EQ(wdl_dev_get_isolate_strategy(dev), 0);
		EQ(wdl_dev_errors(dev), 0);
		EQ(wdl_dev_get_fail_next(dev), 0);
		dev2 = nt_dev((enum wdl_mode)m, 1, 1);
		ASSERT(wdl_dev_id(dev2) != wdl_dev_id(dev));
		wdl_dev_destroy(dev2);
		wdl_dev_destroy(dev);
	}
}

TEST(queue_limit)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 3, 1);
	struct wdl_queue *q[4];
	int i;

	for (i = 0; i < 3; i++) {
		OK(wdl_queue_open(dev, &q[i]));
		EQ(wdl_dev_available_instances(dev), 2 - i);
	}
	ERR(wdl_queue_open(dev, &q[3]), EBUSY);
	wdl_queue_close(q[1]);
	EQ(wdl_dev_available_instances(dev), 1);
	OK(wdl_queue_open(dev, &q[1]));
	for (i = 0; i < 3; i++)
		wdl_queue_close(q[i]);
	EQ(wdl_dev_available_instances(dev), 3);
	wdl_dev_destroy(dev);
}

/* the regions as the kernel lays them out */
TEST(regions)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 2, 1);
	long pg = sysconf(_SC_PAGESIZE);
	struct wd_soft_dus_hdr *hdr;
	struct wd_soft_mmio *mmio;
	struct wdl_queue *q;

	OK(wdl_queue_open(dev, &q));
	mmio = wdl_queue_mmio(q);
	hdr = wdl_queue_dus(q);
	ASSERT(mmio && hdr);
	EQ((uintptr_t)mmio % pg, 0);
	EQ((uintptr_t)hdr % pg, 0);
	EQ_HEX(hdr->magic, WD_SOFT_MAGIC);
	EQ(hdr->depth, WD_SOFT_DEPTH);
	EQ(hdr->sqe_size, 64);
	EQ(hdr->cqe_size, 16);
	EQ(hdr->sq_off, WD_SOFT_SQ_OFF);
	EQ(hdr->cq_off, WD_SOFT_CQ_OFF);
	EQ(hdr->sq_head, 0);
	EQ(hdr->cq_tail, 0);
	EQ(mmio->status, 0);
	EQ(mmio->sq_tail, 0);
	/* the whole DUS region is ours to read and write */
	memset((uint8_t *)hdr + WD_SOFT_SQ_OFF, 0, WD_SOFT_DUS_SIZE - WD_SOFT_SQ_OFF);
	memset(&mmio->cq_notify, 0, 4);
	wdl_queue_close(q);
	wdl_dev_destroy(dev);
}

/* START_Q / PUT_Q rules; every start resets the rings */
TEST(queue_states)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 2, 1);
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	struct wd_soft_cqe cqe;
	struct nq q;
	int i;

	nq_open(&q, dev, 0);
	ERR(wdl_queue_start(q.q), EINVAL);
	for (i = 0; i < 3; i++) {
		sqe.user_data = 100 + i;
		cqe = nq_run(&q, &sqe);
		ST(cqe, WD_SOFT_S_OK);
		EQ(q.hdr->cq_tail, 1);
		OK(wdl_queue_stop(q.q));
		ERR(wdl_queue_stop(q.q), EINVAL);
		ERR(wdl_queue_kick(q.q), EINVAL);
		/* the CQEs stay readable in INIT */
		EQ(q.hdr->cq_tail, 1);
		EQ(q.cq[0].user_data, 100 + i);
		/* scribbled doorbells are reset by the next start */
		q.mmio->sq_tail = 77;
		q.mmio->cq_head = 99;
		nq_start(&q);
		EQ(q.mmio->sq_tail, 0);
		EQ(q.mmio->cq_head, 0);
		EQ(q.hdr->cq_tail, 0);
		EQ(q.hdr->sq_head, 0);
		/* 0, or NEED_WAKEUP if the engine parked it already */
		EQ(nq_status(&q) & ~WD_SOFT_ST_NEED_WAKEUP, 0);
		EQ(q.mmio->error, 0);
	}
	/* a kick of an awake queue is harmless */
	OK(wdl_queue_kick(q.q));
	OK(wdl_queue_kick(q.q));
	/* close of a started queue stops it */
	nq_close(&q);
	wdl_dev_destroy(dev);
}

TEST(ss_rules)
{
	struct wdl_dev *dev;
	struct wdl_queue *q;
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t dma;
	uint8_t *p;
	void *v;
	int m;

	for (m = WDL_MODE_SVA; m <= WDL_MODE_NOIOMMU; m++) {
		dev = nt_dev((enum wdl_mode)m, 4, 1);
		OK(wdl_queue_open(dev, &q));
		if (m == WDL_MODE_NOIOMMU)
			ERR(wdl_queue_ss_dma(q, &dma), ENXIO);
		else
			ERR(wdl_queue_ss_dma(q, &dma), EINVAL);
		ERR(wdl_queue_ss_alloc(q, 0, &v), EINVAL);
		ERR(wdl_queue_ss_alloc(q, wdl_dev_ss_max_size(dev) + 1, &v),
		    ENOMEM);
		OK(wdl_queue_ss_alloc(q, 100, &v));
		p = v;
		EQ((uintptr_t)p % pg, 0);
		/* zeroed, a whole page */
		for (long i = 0; i < pg; i++)
			ASSERT(p[i] == 0);
		memset(p, 1, pg);
		ERR(wdl_queue_ss_alloc(q, 100, &v), EEXIST);
		if (m == WDL_MODE_NOIOMMU) {
			OK(wdl_queue_ss_dma(q, &dma));
			ASSERT(dma >= WDL_BUS_BASE);
			EQ(dma % pg, 0);
		} else {
			ERR(wdl_queue_ss_dma(q, &dma), EINVAL);
		}
		wdl_queue_close(q);
		/* the limit itself */
		OK(wdl_queue_open(dev, &q));
		OK(wdl_queue_ss_alloc(q, wdl_dev_ss_max_size(dev), &v));
		wdl_queue_close(q);
		wdl_dev_destroy(dev);
	}
}

/* SHARE_SVAS: B reaches A's SS at the same addresses; the rules */
static void t_share(enum wdl_mode m)
{
	struct wdl_dev *dev = nt_dev(m, 8, 2), *dev2 = nt_dev(m, 2, 1);
	struct wd_soft_cqe cqe;
	struct nq a, b, c2, x;
	uint64_t dma_a, dma_b;
	uint8_t *s, *d;
	void *v;

	nq_open(&a, dev, 1 << 20);
	nq_open(&b, dev, 0);
	nq_open(&x, dev, 0);
	ERR(wdl_queue_share_ss(a.q, a.q), EINVAL);
	ERR(wdl_queue_share_ss(b.q, x.q), EINVAL);	/* b has no SS */
	OK(wdl_queue_share_ss(a.q, b.q));
	ERR(wdl_queue_share_ss(a.q, b.q), EEXIST);
	ERR(wdl_queue_ss_alloc(b.q, 4096, &v), EEXIST);
	if (m == WDL_MODE_NOIOMMU) {
		OK(wdl_queue_ss_dma(a.q, &dma_a));
		OK(wdl_queue_ss_dma(b.q, &dma_b));
		EQ_HEX(dma_a, dma_b);
	}
	/* b's requests reach a's SS, at a's addresses */
	b.ss = a.ss;
	b.ss_size = a.ss_size;
	b.ss_dma = a.ss_dma;
	s = nq_ss_alloc(&b, 5000);
	d = nq_ss_alloc(&b, 5000);
	nt_fill_text(s, 5000, 1);
	cqe = nq_run(&b, &(struct wd_soft_sqe){
		.user_data = 1, .op = WD_SOFT_OP_COPY,
		.src = nq_addr(&b, s), .src_len = 5000,
		.dst = nq_addr(&b, d), .dst_len = 5000 });
	ST(cqe, WD_SOFT_S_OK);
	ASSERT(!memcmp(s, d, 5000));
	/* a target whose own SS exists cannot take a share */
	nq_open(&c2, dev, 4096);
	ERR(wdl_queue_share_ss(a.q, c2.q), EEXIST);
	/* across devices too */
	{
		struct nq y;

		nq_open(&y, dev2, 0);
		OK(wdl_queue_share_ss(a.q, y.q));
		y.ss = a.ss;
		y.ss_size = a.ss_size;
		y.ss_dma = a.ss_dma;
		memset(d, 0, 5000);
		cqe = nq_run(&y, &(struct wd_soft_sqe){
			.user_data = 2, .op = WD_SOFT_OP_COPY,
			.src = nq_addr(&y, s), .src_len = 5000,
			.dst = nq_addr(&y, d), .dst_len = 5000 });
		ST(cqe, WD_SOFT_S_OK);
		ASSERT(!memcmp(s, d, 5000));
		nq_close(&y);
	}
	/* the region outlives its queue while shared */
	nq_close(&a);
	memset(d, 0, 5000);
	cqe = nq_run(&b, &(struct wd_soft_sqe){
		.user_data = 3, .op = WD_SOFT_OP_COPY,
		.src = nq_addr(&b, s), .src_len = 5000,
		.dst = nq_addr(&b, d), .dst_len = 5000 });
	ST(cqe, WD_SOFT_S_OK);
	ASSERT(!memcmp(s, d, 5000));
	nq_close(&b);
	nq_close(&c2);
	nq_close(&x);
	wdl_dev_destroy(dev2);
	wdl_dev_destroy(dev);
}

TEST(sva_share) { t_share(WDL_MODE_SVA); }
TEST(pasid_share) { t_share(WDL_MODE_PASID); }
TEST(noiommu_share) { t_share(WDL_MODE_NOIOMMU); }

/* the poll equivalent: timeouts, no wait when updated, BROKEN counts */
TEST(wait_rules)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 2, 1);
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	struct wd_soft_cqe cqe;
	uint64_t t0, dt;
	struct nq q;

	nq_open(&q, dev, 0);
	EQ(wdl_queue_wait(q.q, 0), 0);
	EQ(wdl_queue_updated(q.q), 0);
	t0 = nt_now_ns();
	EQ(wdl_queue_wait(q.q, 100), 0);
	dt = nt_now_ns() - t0;
	/* at least the timeout; the upper bound only catches a hang */
	ASSERT_MSG(dt >= 99000000ull && dt < NT_HANG_MS * 1000000ull,
		   "a 100 ms wait took %llu us", (unsigned long long)dt / 1000);
	nq_push(&q, &sqe);
	nq_publish(&q);
	EQ(wdl_queue_wait(q.q, NT_HANG_MS), 1);
	EQ(wdl_queue_wait(q.q, -1), 1);		/* still there */
	EQ(wdl_queue_updated(q.q), 1);
	EQ(nq_try_reap(&q, &cqe), 1);
	EQ(wdl_queue_wait(q.q, 0), 0);
	/* a stopped queue wakes its pollers; a BROKEN one reads updated */
	q.mmio->sq_tail = 5000;
	/* the engine looks at a parked queue only when kicked */
	OK(wdl_queue_kick(q.q));
	EQ(wdl_queue_wait(q.q, NT_HANG_MS), 1);
	ASSERT(nq_status(&q) & WD_SOFT_ST_BROKEN);
	EQ(q.mmio->error, WD_SOFT_QERR_SQ_TAIL);
	nq_close(&q);
	wdl_dev_destroy(dev);
}

struct sleeper {
	struct wdl_queue *q;
	int timeout_ms;
	int ret;
	pid_t tid;		/* set just before it waits */
	uint64_t ns;		/* how long it waited */
};

static void *sleeper_fn(void *arg)
{
	struct sleeper *s = arg;
	uint64_t t0 = nt_now_ns();

	__atomic_store_n(&s->tid, nt_gettid(), __ATOMIC_SEQ_CST);
	s->ret = wdl_queue_wait(s->q, s->timeout_ms);
	s->ns = nt_now_ns() - t0;
	return NULL;
}

/* start a sleeper and return once it sleeps in wdl_queue_wait()'s futex */
static void sleeper_start(struct sleeper *s, pthread_t *th)
{
	pthread_create(th, NULL, sleeper_fn, s);
	NT_WAIT_UNTIL(__atomic_load_n(&s->tid, __ATOMIC_SEQ_CST),
		      "the sleeper thread never ran");
	nt_wait_asleep_in(s->tid, SYS_futex, "the sleeper");
}

/*
 * cq_notify: with ENABLE and without ARMED, completions do not wake a
 * sleeping poller (it sees them at its timeout); with ARMED they do (long
 * before its timeout: that one only catches a wake-up that never comes).
 */
TEST(cq_notify)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 2, 1);
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	struct wd_soft_cqe cqe;
	struct sleeper s;
	pthread_t th;
	struct nq q;
	int armed;

	nq_open(&q, dev, 0);
	for (armed = 0; armed < 2; armed++) {
		__atomic_store_n(&q.mmio->cq_notify, WD_SOFT_CQN_ENABLE |
				 (armed ? WD_SOFT_CQN_ARMED : 0), __ATOMIC_SEQ_CST);
		s = (struct sleeper){ .q = q.q,
				      .timeout_ms = armed ? NT_HANG_MS : 1500 };
		sleeper_start(&s, &th);
		nq_push(&q, &sqe);
		nq_publish(&q);
		pthread_join(th, NULL);
		EQ(s.ret, 1);
		EQ(nq_try_reap(&q, &cqe), 1);
		if (armed)
			ASSERT_MSG(s.ns < (NT_HANG_MS - 1000) * 1000000ull,
				   "an armed poller slept %llu ms: not woken",
				   (unsigned long long)s.ns / 1000000);
		else
			ASSERT_MSG(s.ns >= 1400000000ull,
				   "a poller that did not arm was woken after %llu ms",
				   (unsigned long long)s.ns / 1000000);
	}
	/* START_Q resets cq_notify to 0 */
	nq_stop(&q);
	nq_start(&q);
	EQ(q.mmio->cq_notify, 0);
	nq_close(&q);
	wdl_dev_destroy(dev);
}

/* destroying the device with queues open, started, busy and asleep */
static void t_destroy(enum wdl_mode m)
{
	struct wdl_dev *dev = nt_dev(m, 4, 1);
	struct wd_soft_cqe cqe;
	struct nq busy, idle, init;
	struct sleeper s;
	pthread_t th;
	uint8_t *src, *dst;
	uint32_t i, n = 300;
	void *v;

	nq_open(&busy, dev, 4u << 20);
	nq_open(&idle, dev, 0);
	nq_open(&init, dev, 0);
	nq_stop(&init);
	src = nq_ss_alloc(&busy, 1 << 20);
	dst = nq_ss_alloc(&busy, 1 << 20);
	for (i = 0; i < n; i++) {
		struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_COPY, 0,
						nq_addr(&busy, src), 1 << 20,
						nq_addr(&busy, dst), 1 << 20);

		sqe.user_data = i;
		nq_push(&busy, &sqe);
	}
	nq_publish(&busy);
	/* asleep on the idle queue, the engine at work on the busy one */
	s = (struct sleeper){ .q = idle.q, .timeout_ms = NT_HANG_MS };
	sleeper_start(&s, &th);
	NT_WAIT_UNTIL(__atomic_load_n(&busy.hdr->sq_head, __ATOMIC_ACQUIRE),
		      "the engine never took a copy");
	wdl_dev_destroy(dev);
	pthread_join(th, NULL);
	EQ(s.ret, -ENODEV);
	ASSERT_MSG(s.ns < (NT_HANG_MS - 1000) * 1000000ull,
		   "the sleeper was not woken");
	/* every request the device took completed or was canceled, in
	 * order; the others never ran and have no CQE */
	n = busy.hdr->sq_head;
	for (i = 0; i < n; i++) {
		ASSERT_MSG(nq_try_reap(&busy, &cqe) == 1, "CQE %u missing", i);
		EQ(cqe.user_data, i);
		ASSERT_MSG(cqe.status == WD_SOFT_S_OK ||
			   cqe.status == WD_SOFT_S_CANCELED, "CQE %u: %s", i,
			   nt_stname(cqe.status));
	}
	EQ(nq_try_reap(&busy, &cqe), 0);
	/* dead: every call but close fails with ENODEV */
	ERR(wdl_queue_start(init.q), ENODEV);
	ERR(wdl_queue_stop(busy.q), ENODEV);
	ERR(wdl_queue_kick(busy.q), ENODEV);
	ERR(wdl_queue_wait(idle.q, 100), ENODEV);
	ERR(wdl_queue_wait(init.q, 0), ENODEV);
	ERR(wdl_queue_ss_alloc(idle.q, 4096, &v), ENODEV);
	ERR(wdl_queue_share_ss(busy.q, idle.q), ENODEV);
	ASSERT(!wdl_queue_mmio(busy.q));
	ASSERT(!wdl_queue_dus(busy.q));
	/* the getters that never fail still work on the queue's device */
	ASSERT(wdl_dev_has_algorithm(wdl_queue_dev(busy.q), "copy"));
	nq_close(&busy);
	nq_close(&idle);
	nq_close(&init);
}

TEST(sva_destroy_busy) { t_destroy(WDL_MODE_SVA); }
TEST(pasid_destroy_busy) { t_destroy(WDL_MODE_PASID); }
TEST(noiommu_destroy_busy) { t_destroy(WDL_MODE_NOIOMMU); }

/* a device destroyed with no queue, and with queues never started */
TEST(destroy_idle)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 2, 4);
	struct wdl_queue *q;

	wdl_dev_destroy(dev);
	dev = nt_dev(WDL_MODE_PASID, 2, 2);
	OK(wdl_queue_open(dev, &q));
	wdl_dev_destroy(dev);
	ERR(wdl_queue_start(q), ENODEV);
	wdl_queue_close(q);
}

/* the queue belongs to this process: a fork child gets EPERM */
TEST(fork_child)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 4, 1);
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	struct wd_soft_cqe cqe;
	struct wdl_queue *q2;
	struct nq q;
	int st;
	pid_t pid;
	void *v;

	nq_open(&q, dev, 0);
	/*
	 * Fork only once the engine has parked the idle queue: a thread that
	 * is inside malloc() at fork() leaves the child's allocator locked.
	 * glibc's malloc guards against that, but the ASan allocator of GCC 12
	 * does not, and the freshly started engine allocates its buffers.
	 */
	NT_WAIT_UNTIL(q.mmio->status & WD_SOFT_ST_NEED_WAKEUP,
		      "the idle queue was never parked");
	pid = fork();
	ASSERT(pid >= 0);
	if (!pid) {
		int bad = 0;

		bad |= wdl_queue_open(dev, &q2) != -EPERM;
		bad |= (wdl_queue_start(q.q) != -EPERM) << 1;
		bad |= (wdl_queue_stop(q.q) != -EPERM) << 2;
		bad |= (wdl_queue_kick(q.q) != -EPERM) << 3;
		bad |= (wdl_queue_wait(q.q, 10) != -EPERM) << 4;
		bad |= (wdl_queue_ss_alloc(q.q, 4096, &v) != -EPERM) << 5;
		/* harmless in the child */
		wdl_queue_close(q.q);
		wdl_dev_destroy(dev);
		/* a device of its own works */
		{
			struct wdl_dev *d2 = nt_dev(WDL_MODE_SVA, 1, 1);
			struct nq c;

			nq_open(&c, d2, 0);
			cqe = nq_run(&c, &sqe);
			bad |= (cqe.status != WD_SOFT_S_OK) << 6;
			nq_close(&c);
			wdl_dev_destroy(d2);
		}
		_exit(bad);
	}
	ASSERT(waitpid(pid, &st, 0) == pid);
	ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st), "child status %#x", st);
	/* the parent's queue is untouched */
	cqe = nq_run(&q, &sqe);
	ST(cqe, WD_SOFT_S_OK);
	nq_close(&q);
	wdl_dev_destroy(dev);
}

/* fault injection and uacce's isolation rules */
TEST(isolation)
{
	struct wdl_config cfg = { .isolate_strategy = 3 };
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	struct wd_soft_cqe cqe;
	struct wdl_queue *q2;
	struct wdl_dev *dev;
	struct nq q;
	int i;

	OK(wdl_dev_create(&cfg, &dev));
	nq_open(&q, dev, 0);
	wdl_dev_set_fail_next(dev, 2);
	EQ(wdl_dev_get_fail_next(dev), 2);
	for (i = 0; i < 2; i++) {
		cqe = nq_run(&q, &sqe);
		ST(cqe, WD_SOFT_S_DEV_ERR);
	}
	EQ(wdl_dev_get_fail_next(dev), 0);
	EQ(wdl_dev_errors(dev), 2);
	EQ(wdl_dev_isolated(dev), 0);
	cqe = nq_run(&q, &sqe);
	ST(cqe, WD_SOFT_S_OK);
	/* the third error reaches isolate_strategy */
	wdl_dev_set_fail_next(dev, 5);
	cqe = nq_run(&q, &sqe);
	ST(cqe, WD_SOFT_S_DEV_ERR);
	EQ(wdl_dev_isolated(dev), 1);
	ERR(wdl_queue_open(dev, &q2), EIO);
	/* queues already open keep working (and failing as injected) */
	for (i = 0; i < 4; i++) {
		cqe = nq_run(&q, &sqe);
		ST(cqe, WD_SOFT_S_DEV_ERR);
	}
	cqe = nq_run(&q, &sqe);
	ST(cqe, WD_SOFT_S_OK);
	EQ(wdl_dev_errors(dev), 7);
	ERR(wdl_queue_open(dev, &q2), EIO);
	/* negative fail_next is 0; a new strategy resets the device */
	wdl_dev_set_fail_next(dev, -4);
	EQ(wdl_dev_get_fail_next(dev), 0);
	wdl_dev_set_fail_next(dev, 9);
	ERR(wdl_dev_set_isolate_strategy(dev, WDL_MAX_ISOLATE + 1), EINVAL);
	EQ(wdl_dev_isolated(dev), 1);
	EQ(wdl_dev_get_isolate_strategy(dev), 3);
	OK(wdl_dev_set_isolate_strategy(dev, 0));
	EQ(wdl_dev_isolated(dev), 0);
	EQ(wdl_dev_errors(dev), 0);
	EQ(wdl_dev_get_fail_next(dev), 0);
	OK(wdl_queue_open(dev, &q2));
	wdl_queue_close(q2);
	/* 0: never isolated, however many errors */
	wdl_dev_set_fail_next(dev, 10);
	for (i = 0; i < 10; i++) {
		cqe = nq_run(&q, &sqe);
		ST(cqe, WD_SOFT_S_DEV_ERR);
	}
	EQ(wdl_dev_errors(dev), 10);
	EQ(wdl_dev_isolated(dev), 0);
	OK(wdl_queue_open(dev, &q2));
	wdl_queue_close(q2);
	/* an injected failure hits any operation, checked or not */
	OK(wdl_dev_set_isolate_strategy(dev, 1));
	wdl_dev_set_fail_next(dev, 1);
	sqe.op = 0x999;
	cqe = nq_run(&q, &sqe);
	ST(cqe, WD_SOFT_S_DEV_ERR);
	EQ(wdl_dev_isolated(dev), 1);
	cqe = nq_run(&q, &sqe);
	ST(cqe, WD_SOFT_S_BAD_OP);
	/* BAD_OP, BROKEN and the like are the process's, not device errors */
	EQ(wdl_dev_errors(dev), 1);
	nq_close(&q);
	wdl_dev_destroy(dev);
}

/*
 * wdl_dev_set_hold(): once it returns, no engine takes an SQE, whatever
 * it is given time for: the engines go to sleep with SQEs published on an
 * active queue (which an engine that ignored the hold would serve, and
 * one that only skipped its turns would never sleep on); a batch being
 * served was finished (every SQE taken has its CQE). Kicks change
 * nothing; released, everything runs in order; a stop while held cancels
 * what waits; so does destroy.
 */
static void t_hold(unsigned int engines)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 4, engines);
	size_t n = 16u << 20;
	uint8_t *s = nt_xmalloc(n), *d = nt_xzalloc(n);
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;
	struct nq q, q2;
	uint32_t i, taken;

	memset(s, 0x5c, n);
	nq_open(&q, dev, 0);
	nq_open(&q2, dev, 0);
	/* held in the middle of long copies: what was taken is complete */
	for (i = 0; i < 4; i++) {
		sqe = nq_sqe(WD_SOFT_OP_COPY, 0, (uintptr_t)s, (uint32_t)n,
			     (uintptr_t)d, (uint32_t)n);
		sqe.user_data = i;
		nq_push(&q, &sqe);
	}
	nq_publish(&q);
	OK(wdl_dev_set_hold(dev, true));
	taken = __atomic_load_n(&q.hdr->sq_head, __ATOMIC_ACQUIRE);
	EQ(__atomic_load_n(&q.hdr->cq_tail, __ATOMIC_ACQUIRE), taken);
	/* more work on both queues, kicked: not taken while held */
	for (i = 0; i < 8; i++) {
		sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
		sqe.user_data = 100 + i;
		nq_push(&q2, &sqe);
	}
	nq_publish(&q2);
	OK(wdl_queue_kick(q.q));
	OK(wdl_queue_kick(q2.q));
	NT_WAIT_UNTIL(nt_engines_asleep(dev),
		      "held engines not asleep with SQEs waiting");
	EQ(q.hdr->sq_head, taken);
	EQ(q.hdr->cq_tail, taken);
	EQ(q2.hdr->sq_head, 0);
	EQ(q2.hdr->cq_tail, 0);
	EQ(wdl_queue_wait(q2.q, 0), 0);
	OK(wdl_dev_set_hold(dev, true));	/* again: no change */
	EQ(q2.hdr->sq_head, 0);
	/* released: everything, in order, right */
	OK(wdl_dev_set_hold(dev, false));
	for (i = 0; i < 4; i++) {
		cqe = nq_wait(&q);
		EQ(cqe.user_data, i);
		ST(cqe, WD_SOFT_S_OK);
	}
	ASSERT(!memcmp(s, d, n));
	for (i = 0; i < 8; i++) {
		cqe = nq_wait(&q2);
		EQ(cqe.user_data, 100 + i);
		ST(cqe, WD_SOFT_S_OK);
	}
	/*
	 * A stop while held: what waits was never taken, so it never runs
	 * and gets no CQE (the device's sq_head says so); the queue starts
	 * again.
	 */
	OK(wdl_dev_set_hold(dev, true));
	for (i = 0; i < 3; i++) {
		sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
		sqe.user_data = 200 + i;
		nq_push(&q2, &sqe);
	}
	nq_publish(&q2);
	taken = q2.hdr->sq_head;
	nq_stop(&q2);
	EQ(q2.hdr->sq_head, taken);
	EQ(nq_try_reap(&q2, &cqe), 0);
	nq_start(&q2);
	OK(wdl_dev_set_hold(dev, false));
	sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	sqe.user_data = 300;
	ST(nq_run(&q2, &sqe), WD_SOFT_S_OK);
	/* destroy while held: the waiting SQE was not taken: no CQE */
	OK(wdl_dev_set_hold(dev, true));
	sqe.user_data = 301;
	nq_push(&q2, &sqe);
	nq_publish(&q2);
	taken = q2.hdr->sq_head;
	wdl_dev_destroy(dev);
	EQ(q2.hdr->sq_head, taken);
	EQ(nq_try_reap(&q2, &cqe), 0);
	ERR(wdl_dev_set_hold(wdl_queue_dev(q2.q), false), ENODEV);
	nq_close(&q);
	nq_close(&q2);
	free(s);
	free(d);
}

TEST(hold_one_engine) { t_hold(1); }
TEST(hold_two_engines) { t_hold(2); }

struct holder {
	struct wdl_dev *dev;
	pid_t tid;
	int ret;
};

static void *holder_fn(void *arg)
{
	struct holder *h = arg;

	__atomic_store_n(&h->tid, nt_gettid(), __ATOMIC_SEQ_CST);
	h->ret = wdl_dev_set_hold(h->dev, true);
	return NULL;
}

/*
 * The hold comes while the engine is in the middle of a request (waiting
 * for a page of its source), with another queue's SQEs waiting for their
 * turn in the same round (queues that never park keep their order: q
 * then q2 in every round): that request finishes, the other queue's are
 * not taken, and the hold returns only then.
 */
TEST(hold_mid_batch)
{
	struct wdl_config cfg = {
		.nr_queues = 2, .nr_engines = 1, .spin_ns = 4000000000u,
	};
	struct wdl_dev *dev;
	size_t n = 1u << 20, pg = (size_t)sysconf(_SC_PAGESIZE);
	uint8_t *s = mmap(NULL, n, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *d = nt_xzalloc(n);
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;
	struct nt_uffd u;
	struct holder h = { 0 };
	pthread_t th;
	struct nq q, q2;
	uint32_t i;

	ASSERT(s != MAP_FAILED);
	memset(s, 0x3e, n);
	nt_uffd_hole(&u, s + n / 2, pg);
	cfg.sva_copy = nt_uffd_sva_copy(&u);
	OK(wdl_dev_create(&cfg, &dev));
	h.dev = dev;
	nq_open(&q, dev, 0);
	nq_open(&q2, dev, 0);
	sqe = nq_sqe(WD_SOFT_OP_COPY, 0, (uintptr_t)s, (uint32_t)n,
		     (uintptr_t)d, (uint32_t)n);
	sqe.user_data = 1;
	nq_push(&q, &sqe);
	nq_publish(&q);
	EQ(nt_uffd_fault(&u), (uintptr_t)(s + n / 2));
	/* the engine is inside q's batch: q2's work waits for its turn */
	for (i = 0; i < 4; i++) {
		sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
		sqe.user_data = 10 + i;
		nq_push(&q2, &sqe);
	}
	nq_publish(&q2);
	pthread_create(&th, NULL, holder_fn, &h);
	NT_WAIT_UNTIL(__atomic_load_n(&h.tid, __ATOMIC_SEQ_CST), "no holder");
	/* asleep in the hold: the flag is set, the engine not yet asleep */
	nt_wait_asleep_in(h.tid, SYS_futex, "the hold");
	EQ(q.hdr->cq_tail, 0);
	nt_uffd_fill(&u, 0x3e);
	pthread_join(th, NULL);
	OK(h.ret);
	/* the request finished; q2 had no turn */
	EQ(q.hdr->cq_tail, 1);
	ASSERT(!memcmp(s, d, n));
	EQ(q2.hdr->sq_head, 0);
	NT_WAIT_UNTIL(nt_engines_asleep(dev), "held engine not asleep");
	EQ(q2.hdr->sq_head, 0);
	OK(wdl_dev_set_hold(dev, false));
	cqe = nq_wait(&q);
	ST(cqe, WD_SOFT_S_OK);
	for (i = 0; i < 4; i++) {
		cqe = nq_wait(&q2);
		EQ(cqe.user_data, 10 + i);
		ST(cqe, WD_SOFT_S_OK);
	}
	nq_close(&q);
	nq_close(&q2);
	wdl_dev_destroy(dev);
	nt_uffd_close(&u);
	munmap(s, n);
	free(d);
}

/* many queues over several engines, started and stopped concurrently */
struct churn {
	struct wdl_dev *dev;
	int id;
	int fails;
};

static void *churn_fn(void *arg)
{
	struct churn *c = arg;
	struct wd_soft_sqe sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	struct wd_soft_cqe cqe;
	struct nq q;
	int i, j;

	for (i = 0; i < 30; i++) {
		nq_open(&q, c->dev, 0);
		for (j = 0; j < 20; j++) {
			sqe.user_data = (uint64_t)j;
			nq_push(&q, &sqe);
		}
		nq_publish(&q);
		if (i & 1) {
			for (j = 0; j < 20; j++) {
				cqe = nq_wait(&q);
				c->fails += cqe.status != WD_SOFT_S_OK ||
					    cqe.user_data != (uint64_t)j;
			}
		} else if (i & 2) {
			nq_stop(&q);
		}
		nq_close(&q);
	}
	return NULL;
}

TEST(open_close_storm)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 16, 3);
	struct churn c[6];
	pthread_t th[6];
	int i;

	for (i = 0; i < 6; i++) {
		c[i] = (struct churn){ .dev = dev, .id = i };
		pthread_create(&th[i], NULL, churn_fn, &c[i]);
	}
	for (i = 0; i < 6; i++) {
		pthread_join(th[i], NULL);
		EQ(c[i].fails, 0);
	}
	EQ(wdl_dev_available_instances(dev), 16);
	wdl_dev_destroy(dev);
}
