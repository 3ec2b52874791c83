// SPDX-License-Identifier: GPL-2.0
/*
 * t_ring: the data path of wd_soft_v1 (include/uapi/misc/uacce/wd_soft.h):
 * NOP and COPY in the three memory models, completion statuses, bad
 * descriptors, broken ring indices, PUT_Q with requests in flight.
 */
#include "t.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>


static void *xmalloc(size_t len)
{
	/* page-aligned, with a guard page after it */
	size_t pages = (len + t_page - 1) / t_page + 1;
	char *p = mmap(NULL, pages * t_page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	T_OK(mprotect(p + (pages - 1) * t_page, t_page, PROT_NONE));
	return p;
}

static struct wd_soft_cqe run(struct t_q *q, struct wd_soft_sqe s)
{
	return t_q_run(q, &s);
}

static void nop_works(struct t_q *q)
{
	T_EQ(run(q, t_sqe_nop(0x5151)).status, WD_SOFT_S_OK);
}

TEST(nop)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_setup(&q, in.ua);
	for (uint64_t ud = 1; ud; ud <<= 7) {
		struct wd_soft_cqe c = run(&q, t_sqe_nop(ud));

		T_EQ(c.status, WD_SOFT_S_OK);
		T_EQ(c.out_len, 0);
	}
	/* NOP ignores addresses and lengths */
	struct wd_soft_sqe s = t_sqe_nop(~0ull);

	s.src = 1;
	s.dst = 0xffff888000000000ull;
	s.src_len = 100;
	T_EQ(run(&q, s).status, WD_SOFT_S_OK);
}

static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 1 << 20, 16 << 20 };
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

T_TEST_TMO(copy_sizes_sva, 180)
{
	struct t_inst in = t_inst_create("mode=sva");
	struct t_q q;

	t_q_setup(&q, in.ua);
	for (unsigned int i = 0; i < NR_SIZES; i++) {
		char *src = xmalloc(sizes[i] + 8), *dst = xmalloc(sizes[i] + 8);

		t_q_copy_check(&q, src, dst, sizes[i]);
		/* unaligned both sides */
		if (sizes[i] > 0)
			t_q_copy_check(&q, src + 3, dst + 5, sizes[i]);
		munmap(src, sizes[i] + 8);
		munmap(dst, sizes[i] + 8);
	}
}

static void copy_sizes_ss(const char *mode)
{
	struct t_inst in = t_inst_create(mode);
	struct t_q q;
	long long max = t_ss_max(in.ua);
	size_t ss = 4 << 20;

	if (max > 0 && (long long)ss > max)
		ss = max;
	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, ss);
	for (unsigned int i = 0; i < NR_SIZES; i++) {
		size_t len = sizes[i];
		char *src, *dst;

		q.ss_used = 0;
		if (2 * len + 128 > ss)
			len = ss / 2 - 128;
		src = t_q_ss_alloc(&q, len + 8);
		dst = t_q_ss_alloc(&q, len + 8);
		t_q_copy_check(&q, src, dst, len);
		if (len)
			t_q_copy_check(&q, src + 1, dst + 7, len);
	}
}

T_TEST_TMO(copy_sizes_pasid, 120)
{
	copy_sizes_ss("mode=pasid");
}

T_TEST_TMO(copy_sizes_noiommu, 120)
{
	copy_sizes_ss("mode=noiommu");
}

/* SVA: the device faults pages in, like a thread of the process would */
TEST(copy_sva_fresh_pages)
{
	struct t_inst in = t_inst_create("mode=sva");
	struct t_q q;
	size_t len = 64 * t_page;
	unsigned char *src, *dst, *zero;

	t_q_setup(&q, in.ua);
	/* never touched: reads as zero */
	src = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = xmalloc(len);
	memset(dst, 0xee, len);
	struct wd_soft_cqe c = run(&q, t_sqe_copy(&q, src, dst, len, len));

	T_EQ(c.status, WD_SOFT_S_OK);
	zero = calloc(1, len);
	T_ASSERT(!memcmp(dst, zero, len));
	/* never touched destination: the process sees what was written */
	unsigned char *src2 = xmalloc(len);
	unsigned char *dst2 = mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	t_fill_random(src2, len, 11);
	c = run(&q, t_sqe_copy(&q, src2, dst2, len, len));
	T_EQ(c.status, WD_SOFT_S_OK);
	T_ASSERT(!memcmp(src2, dst2, len));
	/* a shared mapping, then visible through another mapping of it */
	int fd = T_OK(memfd_create("t_ring", 0));

	T_OK(ftruncate(fd, len));
	unsigned char *m1 = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
	unsigned char *m2 = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);

	T_ASSERT(m1 != MAP_FAILED && m2 != MAP_FAILED);
	c = run(&q, t_sqe_copy(&q, src2, m1, len, len));
	T_EQ(c.status, WD_SOFT_S_OK);
	T_ASSERT(!memcmp(src2, m2, len));
}

TEST(copy_dst_larger)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	unsigned char *src = xmalloc(1000), *dst = xmalloc(2000);
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	t_fill_random(src, 1000, 5);
	memset(dst, 0x77, 2000);
	c = run(&q, t_sqe_copy(&q, src, dst, 1000, 2000));
	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.out_len, 1000);
	T_ASSERT(!memcmp(src, dst, 1000));
	for (int i = 1000; i < 2000; i++)
		T_ASSERT_MSG(dst[i] == 0x77, "byte %d after out_len written", i);
}

TEST(bad_op)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	const uint16_t ops[] = { WD_SOFT_OP_MAX, WD_SOFT_OP_MAX + 1, 0x100,
				 0x7fff, 0xffff };

	t_q_setup(&q, in.ua);
	for (unsigned int i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		struct wd_soft_sqe s = t_sqe_nop(i);
		struct wd_soft_cqe c;

		s.op = ops[i];
		c = run(&q, s);
		T_ASSERT_MSG(c.status == WD_SOFT_S_BAD_OP, "op %#x: status %u, "
			     "expected BAD_OP", ops[i], c.status);
		nop_works(&q);
	}
}

TEST(dst_too_small)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	unsigned char *src = xmalloc(4096), *dst = xmalloc(4096);
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	t_fill_random(src, 4096, 1);
	memset(dst, 0x42, 4096);
	c = run(&q, t_sqe_copy(&q, src, dst, 4096, 100));
	T_EQ(c.status, WD_SOFT_S_DST_SMALL);
	T_EQ(c.out_len, 4096);		/* COPY knows the size it needs */
	for (int i = 100; i < 4096; i++)
		T_ASSERT_MSG(dst[i] == 0x42, "byte %d beyond dst_len written", i);
	/* docs/soft-device.md: no data accessed at all */
	for (int i = 0; i < 100; i++)
		T_ASSERT_MSG(dst[i] == 0x42, "byte %d written with DST_SMALL", i);
	struct wd_soft_sqe bad = t_sqe_copy(&q, src, dst, 100, 10);

	bad.src = 16;		/* never read: the size check comes first */
	c = run(&q, bad);
	T_EQ(c.status, WD_SOFT_S_DST_SMALL);
	T_EQ(c.out_len, 100);
	c = run(&q, t_sqe_copy(&q, src, dst, 1, 0));
	T_EQ(c.status, WD_SOFT_S_DST_SMALL);
	T_EQ(c.out_len, 1);
	t_q_copy_check(&q, src, dst, 4096);
}

static void expect_bad_addr(struct t_q *q, uint64_t src, uint64_t dst,
			    uint32_t len, const char *what)
{
	struct wd_soft_sqe s = t_sqe_nop(0xbad);
	struct wd_soft_cqe c;

	s.op = WD_SOFT_OP_COPY;
	s.src = src;
	s.dst = dst;
	s.src_len = s.dst_len = len;
	c = run(q, s);
	T_ASSERT_MSG(c.status == WD_SOFT_S_BAD_ADDR, "%s: status %u, expected "
		     "BAD_ADDR", what, c.status);
	/* that request only: the queue goes on */
	T_ASSERT(!(t_q_status(q) & WD_SOFT_ST_BROKEN));
	nop_works(q);
}

TEST(bad_addr_sva)
{
	struct t_inst in = t_inst_create("mode=sva");
	struct t_q q;
	size_t len = 4 * t_page;
	char *ok = xmalloc(len), *ok2 = xmalloc(len);
	char *gone = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *none = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	uint64_t kern = 0xffff888000100000ull;

	T_ASSERT(gone != MAP_FAILED && none != MAP_FAILED);
	T_OK(munmap(gone, len));
	t_q_setup(&q, in.ua);
	t_fill_random(ok, len, 2);
	expect_bad_addr(&q, (uintptr_t)gone, (uintptr_t)ok2, len, "unmapped src");
	expect_bad_addr(&q, (uintptr_t)ok, (uintptr_t)gone, len, "unmapped dst");
	expect_bad_addr(&q, 0, (uintptr_t)ok2, 16, "NULL src");
	expect_bad_addr(&q, (uintptr_t)ok, 0, 16, "NULL dst");
	expect_bad_addr(&q, (uintptr_t)none, (uintptr_t)ok2, 16, "PROT_NONE src");
	expect_bad_addr(&q, (uintptr_t)ok, (uintptr_t)none, 16, "PROT_NONE dst");
	expect_bad_addr(&q, kern, (uintptr_t)ok2, 64, "kernel src");
	expect_bad_addr(&q, (uintptr_t)ok, kern, 64, "kernel dst");
	expect_bad_addr(&q, ~0ull - 8, (uintptr_t)ok2, 64, "wrapping src");
	expect_bad_addr(&q, 0x0000800000000000ull - 16, (uintptr_t)ok2, 64,
			"src crossing the top of user space");
	/* a range that starts valid and runs into the guard page */
	expect_bad_addr(&q, (uintptr_t)ok, (uintptr_t)ok2, len + t_page,
			"src/dst running into a guard page");
	/* the process's data was not disturbed by the failures */
	t_q_copy_check(&q, ok, ok2, len);
}

static void __attribute__((noinline)) text_target(void)
{
	__asm__ volatile("" ::: "memory");
}

TEST(bad_addr_read_only_dst)
{
	struct t_inst in = t_inst_create("mode=sva");
	struct t_q q;
	unsigned char *src = xmalloc(t_page), *ro, *copy;

	t_q_setup(&q, in.ua);
	t_fill_random(src, t_page, 3);
	ro = mmap(NULL, t_page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(ro != MAP_FAILED);
	memset(ro, 0x99, t_page);
	T_OK(mprotect(ro, t_page, PROT_READ));
	expect_bad_addr(&q, (uintptr_t)src, (uintptr_t)ro, t_page,
			"read-only dst");
	for (size_t i = 0; i < t_page; i++)
		T_ASSERT_MSG(ro[i] == 0x99, "read-only page changed at %zu", i);
	/* the program's own text (a private file mapping, r-x) */
	copy = malloc(64);
	memcpy(copy, (void *)text_target, 64);
	expect_bad_addr(&q, (uintptr_t)src, (uintptr_t)text_target, 64,
			"text dst");
	T_ASSERT_MSG(!memcmp(copy, (void *)text_target, 64),
		     "the program text was changed");
	/* reading from read-only memory is fine */
	unsigned char *dst = xmalloc(t_page);
	struct wd_soft_cqe c = run(&q, t_sqe_copy(&q, ro, dst, t_page, t_page));

	T_EQ(c.status, WD_SOFT_S_OK);
	T_ASSERT(!memcmp(ro, dst, t_page));
}

TEST(bad_addr_pasid)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q q;
	char *heap = xmalloc(t_page), *src, *dst;
	size_t ss = 4 * t_page;

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, ss);
	src = t_q_ss_alloc(&q, t_page);
	dst = t_q_ss_alloc(&q, t_page);
	t_q_copy_check(&q, src, dst, t_page);
	expect_bad_addr(&q, (uintptr_t)heap, (uintptr_t)dst, 64,
			"PASID: src outside SS");
	expect_bad_addr(&q, (uintptr_t)src, (uintptr_t)heap, 64,
			"PASID: dst outside SS");
	expect_bad_addr(&q, (uintptr_t)q.ss + ss - 32, (uintptr_t)dst, 64,
			"PASID: src crossing the end of SS");
	expect_bad_addr(&q, (uintptr_t)src, (uintptr_t)q.ss + ss - 32, 64,
			"PASID: dst crossing the end of SS");
	expect_bad_addr(&q, (uintptr_t)q.ss - 32, (uintptr_t)dst, 64,
			"PASID: src starting before SS");
	expect_bad_addr(&q, (uintptr_t)q.dus_map, (uintptr_t)dst, 64,
			"PASID: src in DUS");
	/* the whole SS in one request is fine */
	q.ss_used = 0;
	src = t_q_ss_alloc(&q, ss / 2);
	dst = t_q_ss_alloc(&q, ss / 2);
	t_q_copy_check(&q, src, dst, ss / 2);
}

TEST(bad_addr_noiommu)
{
	struct t_inst in = t_inst_create("mode=noiommu");
	struct t_q q;
	size_t ss = 4 * t_page;
	char *src, *dst;

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, ss);
	src = t_q_ss_alloc(&q, t_page);
	dst = t_q_ss_alloc(&q, t_page);
	t_q_copy_check(&q, src, dst, t_page);
	expect_bad_addr(&q, q.ss_dma + ss, t_q_addr(&q, dst), 64,
			"NOIOMMU: src after SS");
	expect_bad_addr(&q, q.ss_dma - t_page, t_q_addr(&q, dst), 64,
			"NOIOMMU: src before SS");
	expect_bad_addr(&q, t_q_addr(&q, src), q.ss_dma + ss - 16, 64,
			"NOIOMMU: dst crossing the end of SS");
	/* a process VA is not a DMA address */
	if ((uintptr_t)src < q.ss_dma || (uintptr_t)src >= q.ss_dma + ss)
		expect_bad_addr(&q, (uintptr_t)src, t_q_addr(&q, dst), 64,
				"NOIOMMU: VA instead of DMA address");
	expect_bad_addr(&q, 0, t_q_addr(&q, dst), 64, "NOIOMMU: address 0");
}

/* docs/soft-device.md: NOP and COPY take no params */
TEST(params_nonzero_inval)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	char *src = xmalloc(t_page), *dst = xmalloc(t_page);
	struct wd_soft_sqe s = t_sqe_nop(1);

	t_q_setup(&q, in.ua);
	s.params = 1;
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	s = t_sqe_copy(&q, src, dst, 64, 64);
	s.params = 6;
	memset(dst, 0x11, 64);
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	T_EQ((unsigned char)dst[0], 0x11);
	nop_works(&q);
}

/* COPY: more than 64 MiB is INVAL (docs/soft-device.md), S = 0 reads nothing */
TEST(copy_length_limits)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(2);
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	s.op = WD_SOFT_OP_COPY;
	s.src = 4096;		/* never accessed */
	s.dst = 8192;
	s.src_len = (64 << 20) + 1;
	s.dst_len = ~0u;
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	s.src_len = ~0u;
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	/* zero bytes from and to nowhere: nothing touched, OK */
	s.src_len = 0;
	s.dst_len = 0;
	c = run(&q, s);
	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.out_len, 0);
	nop_works(&q);
}

/* the process's DKO region is no buffer for the device either */
TEST(bad_addr_dko_sva)
{
	struct t_inst in = t_inst_create("mode=sva");
	struct t_q q;
	size_t dko = t_region_size(in.ua, UACCE_QFRT_DKO);
	char *src = xmalloc(t_page), *p;

	if (!dko)
		t_skip("no DKO region");
	t_q_setup(&q, in.ua);
	p = t_mmap_region(q.fd, UACCE_QFRT_DKO, dko, PROT_NONE);
	T_ASSERT(p != MAP_FAILED);
	expect_bad_addr(&q, (uintptr_t)src, (uintptr_t)p, 64, "DKO dst");
	expect_bad_addr(&q, (uintptr_t)p, (uintptr_t)src, 64, "DKO src");
}

/* requests of one queue complete in order (docs/soft-device.md) */
TEST(completions_in_order)
{
	struct t_inst in = t_inst_create("engines=4");
	struct t_q q;
	char *src = xmalloc(1 << 20), *dst = xmalloc(1 << 20);

	t_q_setup(&q, in.ua);
	for (int i = 0; i < 200; i++) {
		struct wd_soft_sqe s = i % 3 ? t_sqe_nop(i) :
			t_sqe_copy(&q, src, dst, (i * 4099) % (1 << 20),
				   1 << 20);

		s.user_data = i;
		if (i % 17 == 0)
			s.op = 0x300;	/* BAD_OP in between */
		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	for (int i = 0; i < 200; i++) {
		struct wd_soft_cqe c;

		t_q_wait(&q, &c);
		T_EQ(c.user_data, i);
	}
}

/* KICK works only on a started queue (docs/soft-device.md: EINVAL) */
TEST(kick_needs_started_queue)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	t_q_open(&q, in.ua);
	T_ERR(ioctl(q.fd, WD_SOFT_CMD_KICK), EINVAL);
	t_q_map(&q);
	t_q_start(&q);
	T_OK(ioctl(q.fd, WD_SOFT_CMD_KICK));
	T_OK(ioctl(q.fd, WD_SOFT_CMD_KICK));	/* harmless when awake */
	nop_works(&q);
	T_OK(ioctl(q.fd, UACCE_CMD_PUT_Q));
	T_ERR(ioctl(q.fd, WD_SOFT_CMD_KICK), EINVAL);
}

/* a BROKEN queue wakes its pollers (POLLERR) and is not the device's fault */
TEST(broken_wakes_poller_not_counted)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct pollfd p;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "1"), 0);
	t_q_setup(&q, in.ua);
	nop_works(&q);
	p = (struct pollfd){ .fd = q.fd, .events = POLLIN };
	T_EQ(poll(&p, 1, 0), 0);
	pid_t pid = t_fork();

	if (pid == 0) {
		/* another process only reads sysfs: nothing of the queue */
		t_msleep(300);
		_exit(0);
	}
	__atomic_store_n(&q.mmio->sq_tail, t_q_hdr_sq_head(&q) + 2000,
			 __ATOMIC_RELEASE);
	ioctl(q.fd, WD_SOFT_CMD_KICK);
	T_EQ(poll(&p, 1, T_HANG_MS), 1);
	/* every CQE was collected: only the error to report */
	T_EQ(p.revents, POLLERR);
	T_ASSERT(t_q_status(&q) & WD_SOFT_ST_BROKEN);
	t_wait_ok(pid, 10000);
	/* the process's own fault: the device is not isolated */
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	int fd = t_open_raw(in.ua);

	T_ASSERT_MSG(fd >= 0, "open after a BROKEN queue: %s", t_errname(-fd));
	close(fd);
}

TEST(reserved_nonzero_inval)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	char *src = xmalloc(t_page), *dst = xmalloc(t_page);

	t_q_setup(&q, in.ua);
	for (int i = 0; i < 3; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, 64, 64);

		memset(dst, 0x11, 64);
		s.rsvd[i] = 1ull << (i * 20);
		T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
		for (int k = 0; k < 64; k++)
			T_ASSERT_MSG(dst[k] == 0x11, "rejected request wrote dst");
		s = t_sqe_nop(9);
		s.rsvd[i] = ~0ull;
		T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	}
	/* unknown flags */
	struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, 64, 64);

	s.flags = 1u << 5;
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	s.flags = 0x8000;
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	T_ASSERT(!(t_q_status(&q) & WD_SOFT_ST_BROKEN));
	t_q_copy_check(&q, src, dst, 64);
}

TEST(copy_sgl)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	const uint32_t seg[] = { 1, 4095, 10000, 3, 65536 };
	uint32_t total = 0;
	struct wd_soft_sge sg_src[5], sg_dst[3];
	char *flat = xmalloc(100000), *out = xmalloc(100000);
	char *parts[5];
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	for (int i = 0; i < 5; i++) {
		parts[i] = xmalloc(seg[i]);
		t_fill_random(parts[i], seg[i], 100 + i);
		sg_src[i] = (struct wd_soft_sge){ (uintptr_t)parts[i], seg[i], 0 };
		memcpy(flat + total, parts[i], seg[i]);
		total += seg[i];
	}
	/* SGL source, flat destination */
	struct wd_soft_sqe s = t_sqe_nop(21);

	s.op = WD_SOFT_OP_COPY;
	s.flags = WD_SOFT_SQE_F_SRC_SGL;
	s.src = (uintptr_t)sg_src;
	s.src_len = 5;
	s.dst = (uintptr_t)out;
	s.dst_len = total;
	memset(out, 0, total);
	c = run(&q, s);
	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.out_len, total);
	T_ASSERT(!memcmp(flat, out, total));
	/* flat source, SGL destination of three pieces */
	char *d[3];
	uint32_t dl[3] = { 7, total - 7 - 100, 100 };

	for (int i = 0; i < 3; i++) {
		d[i] = xmalloc(dl[i]);
		sg_dst[i] = (struct wd_soft_sge){ (uintptr_t)d[i], dl[i], 0 };
	}
	s = t_sqe_nop(22);
	s.op = WD_SOFT_OP_COPY;
	s.flags = WD_SOFT_SQE_F_DST_SGL;
	s.src = (uintptr_t)flat;
	s.src_len = total;
	s.dst = (uintptr_t)sg_dst;
	s.dst_len = 3;
	c = run(&q, s);
	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.out_len, total);
	T_ASSERT(!memcmp(d[0], flat, dl[0]));
	T_ASSERT(!memcmp(d[1], flat + dl[0], dl[1]));
	T_ASSERT(!memcmp(d[2], flat + dl[0] + dl[1], dl[2]));
	/* both SGL */
	s.flags = WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL;
	s.src = (uintptr_t)sg_src;
	s.src_len = 5;
	for (int i = 0; i < 3; i++)
		memset(d[i], 0, dl[i]);
	c = run(&q, s);
	T_EQ(c.status, WD_SOFT_S_OK);
	T_ASSERT(!memcmp(d[0], flat, dl[0]));
	T_ASSERT(!memcmp(d[2], flat + dl[0] + dl[1], dl[2]));
	/* an SGL the device cannot read */
	s.src = 16;
	T_EQ(run(&q, s).status, WD_SOFT_S_BAD_ADDR);
	/* an SGL entry pointing nowhere */
	sg_src[2].addr = 16;
	s.src = (uintptr_t)sg_src;
	T_EQ(run(&q, s).status, WD_SOFT_S_BAD_ADDR);
	nop_works(&q);
}

/* SGL limits and checks (docs/soft-device.md) */
TEST(copy_sgl_rules)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	size_t n = 4097;
	struct wd_soft_sge *sg = calloc(n, sizeof(*sg));
	char *a = xmalloc(t_page), *b = xmalloc(t_page), *out = xmalloc(t_page);
	struct wd_soft_sqe s;
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	t_fill_random(a, t_page, 1);
	t_fill_random(b, t_page, 2);
	/* pieces of length 0 are allowed, anywhere */
	sg[0] = (struct wd_soft_sge){ (uintptr_t)a, 10, 0 };
	sg[1] = (struct wd_soft_sge){ 16, 0, 0 };
	sg[2] = (struct wd_soft_sge){ (uintptr_t)b, 20, 0 };
	s = t_sqe_nop(1);
	s.op = WD_SOFT_OP_COPY;
	s.flags = WD_SOFT_SQE_F_SRC_SGL;
	s.src = (uintptr_t)sg;
	s.src_len = 3;
	s.dst = (uintptr_t)out;
	s.dst_len = t_page;
	c = run(&q, s);
	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.out_len, 30);
	T_ASSERT(!memcmp(out, a, 10) && !memcmp(out + 10, b, 20));
	/* destination smaller than the SGL source: DST_SMALL, size needed */
	s.dst_len = 29;
	c = run(&q, s);
	T_EQ(c.status, WD_SOFT_S_DST_SMALL);
	T_EQ(c.out_len, 30);
	/* an entry's rsvd not 0: INVAL */
	s.dst_len = t_page;
	sg[2].rsvd = 1;
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	sg[2].rsvd = 0;
	/* more than 4096 entries: INVAL; 4096 is fine */
	for (size_t i = 0; i < n; i++)
		sg[i] = (struct wd_soft_sge){ (uintptr_t)a, 1, 0 };
	s.src_len = 4097;
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	s.src_len = 4096;
	c = run(&q, s);
	T_EQ(c.status, WD_SOFT_S_OK);
	T_EQ(c.out_len, 4096);
	/* an SGL source larger than 64 MiB in total: INVAL */
	sg[0] = (struct wd_soft_sge){ (uintptr_t)a, 0xffffffffu, 0 };
	sg[1] = (struct wd_soft_sge){ (uintptr_t)a, 0xffffffffu, 0 };
	s.src_len = 2;
	T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
	/* a destination SGL whose array cannot be read: BAD_ADDR */
	sg[0] = (struct wd_soft_sge){ (uintptr_t)a, 10, 0 };
	s.src_len = 1;
	s.flags = WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL;
	s.dst = 0x10;
	s.dst_len = 1;
	T_EQ(run(&q, s).status, WD_SOFT_S_BAD_ADDR);
	nop_works(&q);
}

static void wait_broken(struct t_q *q, uint32_t err)
{
	uint64_t end = t_now_ms() + T_HANG_MS;

	for (int i = 0; !(t_q_status(q) & WD_SOFT_ST_BROKEN) &&
	     t_now_ms() < end; i++) {
		if (i % 100 == 0)
			ioctl(q->fd, WD_SOFT_CMD_KICK);
		t_msleep(1);
	}
	T_ASSERT_MSG(t_q_status(q) & WD_SOFT_ST_BROKEN,
		     "bad index: queue not BROKEN (status %#x)", t_q_status(q));
	T_EQ(q->mmio->error, err);
}

static void broken_index(bool sq)
{
	struct t_inst in = t_inst_create("");
	struct t_q q, other;

	t_q_setup(&q, in.ua);
	t_q_setup(&other, in.ua);
	nop_works(&q);
	if (sq) {
		uint32_t bad = t_q_hdr_sq_head(&q) + q.depth + 5;

		__atomic_store_n(&q.mmio->sq_tail, bad, __ATOMIC_RELEASE);
		ioctl(q.fd, WD_SOFT_CMD_KICK);
		wait_broken(&q, WD_SOFT_QERR_SQ_TAIL);
	} else {
		/* cq_head beyond cq_tail, then work that needs the CQ */
		struct wd_soft_sqe s = t_sqe_nop(1);

		__atomic_store_n(&q.mmio->cq_head, t_q_hdr_cq_tail(&q) + 5,
				 __ATOMIC_RELEASE);
		t_q_push(&q, &s);
		t_q_publish(&q);
		ioctl(q.fd, WD_SOFT_CMD_KICK);
		wait_broken(&q, WD_SOFT_QERR_CQ_HEAD);
	}
	/* other queues are unaffected */
	nop_works(&other);
	char *src = xmalloc(1 << 20), *dst = xmalloc(1 << 20);

	t_q_copy_check(&other, src, dst, 1 << 20);
	T_ASSERT(!(t_q_status(&other) & WD_SOFT_ST_BROKEN));
	/* the broken queue: nothing more is done... */
	uint32_t tail = t_q_hdr_cq_tail(&q);

	t_msleep(100);
	T_EQ(t_q_hdr_cq_tail(&q), tail);
	/* ...until PUT_Q + START_Q */
	t_q_restart(&q);
	T_ASSERT_MSG(!(t_q_status(&q) & WD_SOFT_ST_BROKEN),
		     "still BROKEN after PUT_Q + START_Q");
	T_EQ(q.mmio->error, WD_SOFT_QERR_NONE);
	nop_works(&q);
	t_q_copy_check(&q, src, dst, 1 << 20);
}

TEST(broken_sq_tail)
{
	broken_index(true);
}

TEST(broken_cq_head)
{
	broken_index(false);
}

/*
 * After PUT_Q every SQE the device took (below the header's sq_head) has
 * exactly one CQE, in order, done or CANCELED; the ones it did not take
 * have none and never run (docs/soft-device.md, "Stopping"). Returns how
 * many completed OK.
 */
static int put_q_reap_taken(struct t_q *q, uint64_t first_data, int n)
{
	uint32_t taken = t_q_hdr_sq_head(q);
	int ok = 0;

	T_ASSERT_MSG(taken <= (uint32_t)n, "sq_head %u of %d", taken, n);
	T_EQ(t_q_hdr_cq_tail(q) - q->cq_head, taken);
	for (uint32_t i = 0; i < taken; i++) {
		struct wd_soft_cqe c;

		T_EQ(t_q_reap(q, &c, 0), 1);
		T_EQ(c.user_data, first_data + i);
		T_ASSERT_MSG(c.status == WD_SOFT_S_OK ||
			     c.status == WD_SOFT_S_CANCELED,
			     "request %u: status %u", i, c.status);
		ok += c.status == WD_SOFT_S_OK;
	}
	T_EQ(t_q_reap(q, &(struct wd_soft_cqe){ 0 }, 0), 0);
	t_note("%d completed, %u canceled, %u not taken", ok, taken - ok,
	       n - taken);
	return ok;
}

/* PUT_Q with requests published: each taken one completed or CANCELED */
T_TEST_TMO(put_q_with_requests_in_flight, 180)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	size_t len = 4 << 20;
	const int n = 64;
	char *src = xmalloc(len), *dst = xmalloc(len);
	int ok;

	t_q_setup(&q, in.ua);
	t_fill_random(src, len, 8);
	for (int i = 0; i < n; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, len, len);

		s.user_data = 1000 + i;
		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	T_OK(ioctl(q.fd, UACCE_CMD_PUT_Q));
	/* PUT_Q returned: all CQEs are there */
	ok = put_q_reap_taken(&q, 1000, n);
	if (ok)
		T_ASSERT(!memcmp(src, dst, len));
	/* the device no longer touches the queue's memory */
	memset(dst, 0x6b, len);
	t_msleep(200);
	for (size_t i = 0; i < len; i += 4093)
		T_ASSERT_MSG((unsigned char)dst[i] == 0x6b,
			     "dst changed after PUT_Q returned");
	/* and starts again */
	t_q_start_again(&q);
	t_q_copy_check(&q, src, dst, len);
}

/* PUT_Q while the engine is in the middle of the requests */
T_TEST_TMO(put_q_mid_flight, 180)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	size_t len = 4 << 20;
	const int n = 32;
	char *src = xmalloc(len), *dst[4];
	int ok;

	for (int i = 0; i < 4; i++)
		dst[i] = xmalloc(len);
	t_q_setup(&q, in.ua);
	t_fill_random(src, len, 9);
	for (int i = 0; i < n; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst[i % 4], len, len);

		s.user_data = 2000 + i;
		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	/* the first completion: the engine is busy with the rest */
	for (int i = 0; i < 30000 && t_q_hdr_cq_tail(&q) == q.cq_head; i++)
		t_msleep(1);
	T_ASSERT(t_q_hdr_cq_tail(&q) != q.cq_head);
	T_OK(ioctl(q.fd, UACCE_CMD_PUT_Q));
	ok = put_q_reap_taken(&q, 2000, n);
	T_ASSERT(ok >= 1);
	/* the first one completed before PUT_Q: nothing wrote it since */
	T_ASSERT_MSG(!memcmp(src, dst[0], len), "first completed copy is wrong");
	for (int i = 0; i < 4; i++)
		memset(dst[i], 0x6b, len);
	t_msleep(200);
	for (int i = 0; i < 4; i++)
		for (size_t o = 0; o < len; o += 4093)
			T_ASSERT_MSG((unsigned char)dst[i][o] == 0x6b,
				     "dst changed after PUT_Q returned");
	t_q_start_again(&q);
	t_q_copy_check(&q, src, dst[0], len);
}

/*
 * fork() while the device copies into the parent's memory: the device
 * follows the parent's page tables, so the parent sees the result (its
 * own copies of the pages after the fork), and a child writing its copy
 * of the source changes nothing for the device (docs/uacce.md).
 */
T_TEST_TMO(fork_during_copy_sva, 120)
{
	struct t_inst in = t_inst_create("mode=sva");
	struct t_q q;
	size_t len = 16 << 20;
	char *src = xmalloc(len), *dst = xmalloc(len), *ref = malloc(len);
	struct wd_soft_sqe s;
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	t_fill_random(src, len, 77);
	memcpy(ref, src, len);
	memset(dst, 0, len);
	for (int round = 0; round < 3; round++) {
		s = t_sqe_copy(&q, src, dst, len, len);
		t_q_push(&q, &s);
		t_q_publish(&q);
		t_msleep(round * 5);
		pid_t pid = t_fork();

		if (pid == 0) {
			/* the child scribbles over its copies */
			memset(src, 0xee, len);
			memset(dst, 0xdd, len);
			_exit(0);
		}
		t_wait_ok(pid, 30000);
		t_q_wait(&q, &c);
		T_EQ(c.status, WD_SOFT_S_OK);
		T_ASSERT_MSG(!memcmp(src, ref, len), "parent's src changed");
		if (memcmp(dst, ref, len)) {
			size_t i = 0;

			while (dst[i] == ref[i])
				i++;
			T_FAIL("round %d: parent's dst differs at %zu after a "
			       "fork during the copy", round, i);
		}
		memset(dst, 0, len);
	}
}

/* closing with requests in flight: nothing lingers */
T_TEST_TMO(close_with_requests_in_flight, 120)
{
	struct t_inst in = t_inst_create("queues=2");
	for (int r = 0; r < 3; r++) {
		struct t_q q;
		size_t len = 4 << 20;
		char *src = xmalloc(len), *dst = xmalloc(len);

		t_q_setup(&q, in.ua);
		for (int i = 0; i < 32; i++) {
			struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, len, len);

			t_q_push(&q, &s);
		}
		t_q_publish(&q);
		t_q_close(&q);
		T_EQ(t_attr_ll(in.ua, "available_instances"), 2);
		memset(dst, 0x6b, len);
		t_msleep(100);
		T_ASSERT_MSG((unsigned char)dst[len - 1] == 0x6b,
			     "dst changed after close returned");
		munmap(src, len);
		munmap(dst, len);
	}
}

/* the completion ring full: the device takes no more SQEs until room */
T_TEST_TMO(completion_ring_full, 120)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	for (uint32_t i = 0; i < q.depth; i++) {
		struct wd_soft_sqe s = t_sqe_nop(i);

		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	for (int i = 0; i < 30000 && t_q_hdr_cq_tail(&q) - q.cq_head < q.depth;
	     i++) {
		if (t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP)
			t_q_kick(&q);
		t_msleep(1);
	}
	T_EQ(t_q_hdr_cq_tail(&q) - q.cq_head, q.depth);
	/* one more SQE: its slot is free (consumed), the CQ is not */
	struct wd_soft_sqe extra = t_sqe_nop(0xe0e0);

	memcpy(&q.sq[q.sq_tail & (q.depth - 1)], &extra, sizeof(extra));
	q.sq_tail++;
	t_q_publish(&q);
	ioctl(q.fd, WD_SOFT_CMD_KICK);
	t_msleep(300);
	T_EQ(t_q_hdr_cq_tail(&q) - q.cq_head, q.depth);
	T_ASSERT(!(t_q_status(&q) & WD_SOFT_ST_BROKEN));
	/* collect everything: each request exactly once, the extra last */
	unsigned char *seen = calloc(q.depth, 1);

	for (uint32_t i = 0; i <= q.depth; i++) {
		T_EQ(t_q_reap(&q, &c, 10000), 1);
		T_EQ(c.status, WD_SOFT_S_OK);
		if (i == q.depth) {
			T_EQ_HEX(c.user_data, 0xe0e0);
			break;
		}
		T_ASSERT_MSG(c.user_data < q.depth && !seen[c.user_data],
			     "CQE %u: user_data %#llx", i,
			     (unsigned long long)c.user_data);
		seen[c.user_data] = 1;
	}
	nop_works(&q);
}

/* many more requests than the ring holds: indices wrap over the slots */
T_TEST_TMO(many_requests_wrap, 180)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	const int total = 5000;
	static unsigned char seen[5000];
	int sent = 0, got = 0;

	t_q_setup(&q, in.ua);
	while (got < total) {
		int batch = 0;

		while (sent < total && q.sq_tail - q.cq_head < q.depth &&
		       batch < 700) {
			struct wd_soft_sqe s = t_sqe_nop(sent++);

			t_q_push(&q, &s);
			batch++;
		}
		if (batch)
			t_q_publish(&q);
		struct wd_soft_cqe c;
		int r = t_q_reap(&q, &c, 10000);

		T_EQ(r, 1);
		T_ASSERT(c.user_data < (uint64_t)total);
		T_ASSERT_MSG(!seen[c.user_data], "user_data %llu completed twice",
			     (unsigned long long)c.user_data);
		seen[c.user_data] = 1;
		T_EQ(c.status, WD_SOFT_S_OK);
		got++;
	}
	T_EQ(t_q_hdr_sq_head(&q), q.sq_tail);
}

/* several queues copying at once from threads, on a multi-engine device */
struct worker {
	int ua;
	int seed;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct t_q q;
	size_t len = 256 << 10;
	char *src = xmalloc(len), *dst = xmalloc(len);

	t_q_setup(&q, w->ua);
	for (int i = 0; i < 20; i++) {
		size_t l = (len >> (i % 5)) - w->seed;

		t_fill_random(src, l, w->seed * 100 + i);
		struct wd_soft_cqe c = run(&q, t_sqe_copy(&q, src, dst, l, l));

		T_EQ(c.status, WD_SOFT_S_OK);
		T_ASSERT_MSG(!memcmp(src, dst, l), "queue %d copy %d differs",
			     w->seed, i);
	}
	t_q_close(&q);
	return NULL;
}

T_TEST_TMO(parallel_queues, 180)
{
	struct t_inst in = t_inst_create("queues=8 engines=3");
	pthread_t th[6];
	struct worker w[6];

	for (int i = 0; i < 6; i++) {
		w[i] = (struct worker){ in.ua, i + 1 };
		T_EQ(pthread_create(&th[i], NULL, worker_fn, &w[i]), 0);
	}
	for (int i = 0; i < 6; i++)
		T_EQ(pthread_join(th[i], NULL), 0);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 8);
}

/* the owner's threads race START_Q/PUT_Q with submissions: no harm */
struct racer {
	struct t_q *q;
	volatile bool stop;
};

static void *toggler(void *arg)
{
	struct racer *r = arg;

	while (!r->stop) {
		if (ioctl(r->q->fd, UACCE_CMD_PUT_Q) && errno != EINVAL)
			T_FAIL("PUT_Q: %s", t_errname(errno));
		if (ioctl(r->q->fd, UACCE_CMD_START_Q) && errno != EINVAL)
			T_FAIL("START_Q: %s", t_errname(errno));
	}
	return NULL;
}

T_TEST_TMO(start_put_race, 120)
{
	struct t_inst in = t_inst_create("engines=2");
	struct t_q q;
	struct racer r = { &q, false };
	pthread_t th[2];
	char *src = xmalloc(1 << 20), *dst = xmalloc(1 << 20);

	t_q_setup(&q, in.ua);
	for (int i = 0; i < 2; i++)
		T_EQ(pthread_create(&th[i], NULL, toggler, &r), 0);
	uint64_t end = t_now_ms() + 3000;

	while (t_now_ms() < end) {
		/* ring indices are reset under our feet: write the slot and
		 * the doorbell without expecting anything */
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, 1 << 20, 1 << 20);
		uint32_t t = t_q_hdr_sq_head(&q);

		memcpy(&q.sq[t & (q.depth - 1)], &s, sizeof(s));
		__atomic_store_n(&q.mmio->sq_tail, t + 1, __ATOMIC_RELEASE);
		ioctl(q.fd, WD_SOFT_CMD_KICK);
		__atomic_store_n(&q.mmio->cq_head, t_q_hdr_cq_tail(&q),
				 __ATOMIC_RELEASE);
	}
	r.stop = true;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* a clean restart works */
	if (ioctl(q.fd, UACCE_CMD_PUT_Q))
		T_EQ(errno, EINVAL);
	t_q_start_again(&q);
	t_q_copy_check(&q, src, dst, 1 << 20);
}

/* NEED_WAKEUP: once the engine sleeps, KICK gets the work done */
TEST(need_wakeup_and_kick)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(0x42);
	struct wd_soft_cqe c;

	t_q_setup(&q, in.ua);
	nop_works(&q);
	for (uint64_t end = t_now_ms() + T_HANG_MS;
	     !(t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP) && t_now_ms() < end;)
		t_msleep(1);
	if (!(t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP))
		t_skip("the engine never set NEED_WAKEUP while idle (it polls)");
	/* publish without looking at the flag, then KICK explicitly */
	t_q_push(&q, &s);
	__atomic_store_n(&q.mmio->sq_tail, q.sq_tail, __ATOMIC_RELEASE);
	T_OK(ioctl(q.fd, WD_SOFT_CMD_KICK));
	T_EQ(t_q_reap(&q, &c, 10000), 1);
	T_EQ(c.user_data, 0x42);
}
