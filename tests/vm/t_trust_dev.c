// SPDX-License-Identifier: GPL-2.0
/*
 * t_trust_dev: what the device does for a queue owner stays bounded
 * (docs/security.md; what the owner may do and is charged for: t_trust):
 * page requests for a page the device cannot reach, or for scattered
 * pieces, are few; a page that does not come delays no one; every SQE the
 * device took comes back exactly once; registration unwinds cleanly under
 * allocation failures.
 */
#include "t.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- the owner's pages, reached by the device -------------------------- */

static long long page_requests(int id)
{
	char p[128], buf[32];
	int n;

	snprintf(p, sizeof(p),
		 "/sys/kernel/debug/wd_soft/wd_soft%d/page_requests", id);
	n = t_read_file(p, buf, sizeof(buf) - 1);
	if (n < 0)
		T_FAIL("%s: %s", p, t_errname(-n));
	buf[n] = 0;
	return atoll(buf);
}

/*
 * The page requests of instance @id so far are at most @max (@what: for
 * what). The kernel's count (debugfs): in-process the engine is a thread
 * of the owner and faults the owner's pages in itself, in its own context;
 * there is no page request to count.
 */
static void page_requests_at_most(int id, long long max, const char *what)
{
	long long n;

	if (t_host_local)
		return;
	n = page_requests(id);
	T_ASSERT_MSG(n <= max, "%lld page requests for %s", n, what);
	t_note("%lld page requests for %s", n, what);
}

/*
 * A page the owner can reach and the device cannot (a protection key the
 * engine's threads do not hold) is answered "there" by every page request:
 * the request fails after a few tries instead of running again for ever.
 */
T_TEST_TMO(pkey_source_fails_not_forever, 120)
{
	struct t_inst in = t_inst_create("engines=1");
	char dst[64];
	struct t_q q;
	int pkey = (int)syscall(SYS_pkey_alloc, 0, 0);
	char *src;

	if (pkey < 0)
		t_skip("pkey_alloc: %s", t_errname(errno));
	src = mmap(NULL, t_page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(src != MAP_FAILED);
	memset(src, 0x11, t_page);
	T_OK(syscall(SYS_pkey_mprotect, src, t_page, PROT_READ | PROT_WRITE,
		     pkey));
	T_EQ(src[7], 0x11);		/* the owner reads it */
	t_q_setup(&q, in.ua);
	struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, sizeof(dst),
					  sizeof(dst));

	/* a new instance: its count is this request's */
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_BAD_ADDR);
	page_requests_at_most(in.id, 3, "one page");
}

/*
 * Scattered buffers of never-touched pages: one page request brings in all
 * the pieces of a buffer, not one per piece (each of which would run the
 * request again from its start).
 */
T_TEST_TMO(sgl_cold_pieces_few_page_requests, 180)
{
	enum { N = 1024 };
	struct t_inst in = t_inst_create("engines=1");
	struct wd_soft_sge *sg = calloc(2 * N, sizeof(*sg));
	int mfd = (int)syscall(SYS_memfd_create, "t_trust", 0);
	uint8_t *pat = malloc(t_page), *src, *dst;
	struct t_q q;

	T_ASSERT(sg && pat && mfd >= 0);
	/* the source: a file's pages, in the page cache, not mapped yet */
	for (int i = 0; i < 2 * N; i++) {
		memset(pat, (uint8_t)(i * 7 + 1), t_page);
		T_EQ(pwrite(mfd, pat, t_page, (off_t)i * t_page), (ssize_t)t_page);
	}
	src = mmap(NULL, 2 * N * t_page, PROT_READ, MAP_SHARED, mfd, 0);
	dst = mmap(NULL, 2 * N * t_page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(src != MAP_FAILED && dst != MAP_FAILED);
	/* every other page: no piece is contiguous with the next */
	for (int i = 0; i < N; i++) {
		sg[i] = (struct wd_soft_sge){ (uintptr_t)(src + 2 * i * t_page),
					      (uint32_t)t_page, 0 };
		sg[N + i] = (struct wd_soft_sge){ (uintptr_t)(dst + 2 * i * t_page),
						  (uint32_t)t_page, 0 };
	}
	t_q_setup(&q, in.ua);
	struct wd_soft_sqe s = {
		.op = WD_SOFT_OP_COPY,
		.flags = WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL,
		.src = (uintptr_t)sg, .src_len = N,
		.dst = (uintptr_t)(sg + N), .dst_len = N,
	};
	struct wd_soft_cqe c = t_q_run(&q, &s);

	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.out_len, N * t_page);
	for (int i = 0; i < N; i++)
		T_ASSERT_MSG(dst[2 * i * t_page] == (uint8_t)(2 * i * 7 + 1) &&
			     dst[2 * i * t_page + t_page - 1] ==
			     (uint8_t)(2 * i * 7 + 1), "piece %d", i);
	/* a new instance: its count is this request's. The SGLs, the source,
	 * the destination; a few more if reclaimed */
	page_requests_at_most(in.id, 6, "1024 pieces of each buffer");
}

struct dma_call {
	struct t_q *q;
	void *arg;
	long ret;	/* 0 or -errno */
};

static void *dma_call_fn(void *p)
{
	struct dma_call *c = p;

	c->ret = t_q_cmd(c->q, UACCE_CMD_GET_SS_DMA, (unsigned long)c->arg);
	return NULL;
}

static void *del_device_fn(void *p)
{
	return (void *)(long)t_inst_del_raw(p);
}

/*
 * GET_SS_DMA writes its answer to a page that does not come (a userfaultfd
 * nobody serves): the ioctl waits, and nobody waits for it: the device is
 * removed meanwhile (removal takes the queue's lock).
 */
T_TEST_TMO(get_ss_dma_page_delays_nobody, 120)
{
	struct t_inst in = t_inst_create("mode=noiommu");
	struct dma_call c = { 0 };
	pthread_t th, del;
	uint64_t addr;
	char s[16];
	void *page;
	int uffd = t_uffd_region(&page, t_page);
	struct t_q q;

	if (uffd < 0)
		t_skip("userfaultfd: %s", t_errname(-uffd));
	t_q_open(&q, in.ua);
	t_q_map_ss(&q, t_page);
	c.q = &q;
	c.arg = page;
	T_EQ(pthread_create(&th, NULL, dma_call_fn, &c), 0);
	T_ASSERT_MSG(t_uffd_wait_fault(uffd, 30000, &addr) == 1,
		     "GET_SS_DMA did not touch its page");
	snprintf(s, sizeof(s), "%d", in.id);
	T_EQ(pthread_create(&del, NULL, del_device_fn, s), 0);
	/*
	 * A bound that only detects the wait: the page stays missing. 20 s,
	 * below the hung-task panic (30 s), above what a loaded emulated VM
	 * takes to delete a device.
	 */
	for (uint64_t end = t_now_ms() + 20000;
	     t_now_ms() < end && t_inst_exists(in.id);)
		t_msleep(1);
	bool gone = !t_inst_exists(in.id);
	struct uffdio_zeropage z = { .range = { addr & ~(t_page - 1), t_page } };

	T_OK(ioctl(uffd, UFFDIO_ZEROPAGE, &z));
	void *r;

	T_EQ(pthread_join(del, &r), 0);
	T_EQ(pthread_join(th, NULL), 0);
	T_ASSERT_MSG(gone, "del_device waited for the GET_SS_DMA page");
	T_EQ((long)r, 0);
	T_EQ(c.ret, 0);
	T_ASSERT(*(uint64_t *)page != 0);
}

/* ---- every request the device took comes back exactly once ------------- */

/*
 * SQEs the device has not taken when the queue stops never run and get no
 * CQE: sq_head in the header tells where the device stopped.
 */
TEST(put_q_untaken_sqes_never_run)
{
	struct t_inst in = t_inst_create("engines=1");
	char *src = malloc(8 * t_page), *dst = malloc(8 * t_page);
	struct t_q q;

	T_ASSERT(src && dst);
	t_q_setup(&q, in.ua);
	t_hold(in.id, true);
	memset(src, 0x3c, 8 * t_page);
	memset(dst, 0, 8 * t_page);
	for (int i = 0; i < 8; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src + i * t_page,
						  dst + i * t_page, t_page,
						  t_page);

		s.user_data = 500 + i;
		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	T_CMD_OK(&q, UACCE_CMD_PUT_Q, 0);
	T_EQ(t_q_hdr_sq_head(&q), 0);
	T_EQ(t_q_hdr_cq_tail(&q), 0);
	t_hold(in.id, false);
	t_q_start_again(&q);
	/* a request after START_Q runs; none of the old ones did or does */
	char a[64] = "after", b[64];

	t_q_copy_check(&q, a, b, sizeof(a));
	for (int i = 0; i < 8 * (int)t_page; i++)
		T_ASSERT_MSG(!dst[i], "an SQE not taken at PUT_Q ran");
	struct wd_soft_cqe c;

	T_EQ(t_q_reap(&q, &c, 0), 0);
}

/*
 * The debugfs hold while the engine is busy with an owner's long requests
 * (16 MiB COPYs kept in flight). Writer A holds; writer B lifts the hold
 * while A waits. A used to wait in D state for the engine to sleep held,
 * which then never came: A stayed for ever, and del_device behind it
 * (debugfs removal waits for its writers). Now writers are serialised and
 * a write waits at most a tenth of a second (EAGAIN: write again).
 */
#define BUSY_LEN	(16u << 20)

struct busy {
	struct t_q q;
	uint8_t *src, *dst;
	volatile int stop;
	int id;
	volatile pid_t a_tid;
	volatile int a_ret;
	volatile bool a_done;
};

static void *busy_load(void *arg)
{
	struct busy *b = arg;

	while (!b->stop) {
		uint32_t tail = t_q_hdr_cq_tail(&b->q);

		b->q.cq_head = tail;
		__atomic_store_n(&b->q.mmio->cq_head, tail, __ATOMIC_RELEASE);
		while (b->q.sq_tail - b->q.cq_head < 4) {
			struct wd_soft_sqe s = t_sqe_copy(&b->q, b->src, b->dst,
							  BUSY_LEN, BUSY_LEN);

			t_q_push(&b->q, &s);
		}
		t_q_publish(&b->q);
		t_msleep(1);
	}
	return NULL;
}

static int hold_write(int id, const char *v)
{
	return t_hold_write(id, v);
}

static void *hold_writer(void *arg)
{
	struct busy *b = arg;

	b->a_tid = t_gettid();
	b->a_ret = hold_write(b->id, "1");
	__atomic_store_n(&b->a_done, true, __ATOMIC_RELEASE);
	return NULL;
}

T_TEST_TMO(hold_writer_never_stranded, 180)
{
	struct t_inst in = t_inst_create("engines=1");
	struct busy b = { .id = in.id };
	pthread_t lt, at;
	char id[16];

	b.src = malloc(BUSY_LEN);
	b.dst = malloc(BUSY_LEN);
	T_ASSERT(b.src && b.dst);
	memset(b.src, 1, BUSY_LEN);	/* present: no page request */
	memset(b.dst, 2, BUSY_LEN);
	t_q_setup(&b.q, in.ua);
	T_OK(pthread_create(&lt, NULL, busy_load, &b));
	T_WAIT_UNTIL(t_q_hdr_cq_tail(&b.q) >= 1, "no COPY completed");

	T_OK(pthread_create(&at, NULL, hold_writer, &b));
	while (!b.a_tid)
		;
	/* B lifts the hold while A waits (or once A returned) */
	while (t_task_state(b.a_tid) != 'D' &&
	       !__atomic_load_n(&b.a_done, __ATOMIC_ACQUIRE))
		;
	T_EQ(hold_write(in.id, "0"), 0);
	T_WAIT_UNTIL(__atomic_load_n(&b.a_done, __ATOMIC_ACQUIRE),
		     "hold writer A still waits (state %c) after B lifted the "
		     "hold, the engine busy", t_task_state(b.a_tid));
	pthread_join(at, NULL);
	T_ASSERT_MSG(b.a_ret == 0 || b.a_ret == -EAGAIN, "A's write: %s",
		     t_errname(-b.a_ret));
	T_EQ(hold_write(in.id, "0"), 0);

	/* the owner's long requests (four still in flight) delay no removal */
	b.stop = 1;
	pthread_join(lt, NULL);
	snprintf(id, sizeof(id), "%d", in.id);
	T_EQ(t_inst_del_raw(id), 0);
	t_q_close(&b.q);
	free(b.src);
	free(b.dst);
}

/* ---- registration unwinds under allocation failures -------------------- */

static int fail_setup(void)
{
	static const char *const attr[] = { "failslab", "fail_page_alloc" };
	char p[128];

	if (!t_exists("/proc/self/fail-nth") ||
	    !t_exists("/sys/kernel/debug/failslab"))
		return -1;
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "/sys/kernel/debug/%s/ignore-gfp-wait",
			 attr[i]);
		T_EQ(t_write_file(p, "N"), 0);
		snprintf(p, sizeof(p), "/sys/kernel/debug/%s/verbose", attr[i]);
		T_EQ(t_write_file(p, "0"), 0);
	}
	return 0;
}

/*
 * new_device with its n-th allocation failing, for every n until one
 * succeeds with no failure left to inject: each failure leaves nothing
 * (no instance, no uaN, no id), and each success is a working device.
 * KASAN, refcount and kmemleak (debug kernel) see the unwinding.
 */
T_TEST_TMO(new_device_under_fault_injection, 600)
{
	T_NEED_KERNEL("the kernel's allocation fault injection (failslab, "
		      "fail-nth)");
	int id = t_free_id(), fd, n, failed = 0;
	char s[16], nth[16], buf[16];

	if (fail_setup())
		t_skip("no fault injection (CONFIG_FAULT_INJECTION, failslab)");
	snprintf(s, sizeof(s), "%d", id);
	fd = T_OK(open("/proc/thread-self/fail-nth", O_RDWR));
	for (n = 1; n < 5000; n++) {
		int r, len = snprintf(nth, sizeof(nth), "%d", n);

		T_EQ(pwrite(fd, nth, len, 0), len);
		r = t_inst_new_raw(s);
		/* how many calls were left before the failure: 0 if it came */
		len = (int)pread(fd, buf, sizeof(buf) - 1, 0);
		T_ASSERT(len > 0);
		buf[len] = 0;
		T_EQ(pwrite(fd, "0", 1, 0), 1);
		if (r) {
			failed++;
			T_ASSERT_MSG(!t_inst_exists(id), "failure %d (%s) left "
				     "wd_soft%d behind", n, t_errname(-r), id);
			continue;
		}
		int ua = t_inst_ua(id);
		struct t_q q;
		struct wd_soft_sqe sqe = t_sqe_nop(n);

		T_ASSERT(ua >= 0);
		t_q_setup(&q, ua);
		T_EQ(t_q_run(&q, &sqe).status, WD_SOFT_S_OK);
		t_q_close(&q);
		T_EQ(t_inst_del_raw(s), 0);
		/* fail-nth was not reached: every allocation has been failed */
		if (atoi(buf))
			break;
	}
	t_note("%d allocations failed in turn, %d refused cleanly", n - 1,
	       failed);
	T_ASSERT_MSG(failed > 10, "only %d injected failures", failed);
	close(fd);
}
