// SPDX-License-Identifier: GPL-2.0
/*
 * t_ring: one request of wd_soft_v3 (include/uapi/misc/uacce/wd_soft.h):
 * NOP and COPY in the three memory models, SGLs, completion statuses, bad
 * descriptors and bad addresses. The ring as a whole: t_ring_queue.
 */
#include "ring.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

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
	T_NEED_KERNEL("the DKO region, an mmap of /dev/uaN: the in-process "
		      "device has none (region_dko_size 0)");
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

TEST(reserved_nonzero_inval)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	char *src = xmalloc(t_page), *dst = xmalloc(t_page);

	t_q_setup(&q, in.ua);
	for (int i = 0; i < 3; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, 64, 64);

		memset(dst, 0x11, 64);
		/* rsvd, a state without F_STATE, and sflags without
		 * a context
		 */
		if (i == 0)
			s.rsvd = 1;
		else if (i == 1)
			s.state = 1ull << 20;
		else
			s.sflags = WD_SOFT_SF_FINISH;
		T_EQ(run(&q, s).status, WD_SOFT_S_INVAL);
		for (int k = 0; k < 64; k++)
			T_ASSERT_MSG(dst[k] == 0x11, "rejected request wrote dst");
		s = t_sqe_nop(9);
		if (i == 0)
			s.rsvd = ~0u;
		else if (i == 1)
			s.state = ~0ull;
		else
			s.sflags = ~0u;
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
