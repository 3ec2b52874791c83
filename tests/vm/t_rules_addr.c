// SPDX-License-Identifier: GPL-2.0
/*
 * t_rules_addr: BAD_ADDR for every operation, in every memory mode
 * (docs/soft-device.md): each operation with its source at a bad address,
 * each that has room for its output with its destination there, an SGL
 * array there and an SGL entry pointing there; the queue carries on.
 *
 *  sva      unmapped, PROT_NONE, read-only (a destination only), beyond the
 *           end of a mapped file (SIGBUS), a range that runs from mapped
 *           into unmapped pages, kernel, non-canonical, NULL, wrapping
 *  pasid    anything outside the queue's SS region: the heap, just below,
 *           across and at its end, a low address, another queue's SS; a
 *           queue without SS reaches nothing
 *  noiommu  anything outside the SS bus range: the region's own virtual
 *           address, just below, across and at its end, 0, wrapping,
 *           another queue's bus range
 *
 * The in-process device reaches sva memory by the kernel's copy by
 * default and, as an option, by its own copy under a SIGSEGV/SIGBUS guard
 * (sva_copy=signal): sva_bad_addr_signal is the same test there.
 */
#include "rules.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define BAD_READ	1	/* reading addr must fail */
#define BAD_WRITE	2	/* writing addr must fail */
#define BAD_WCOPY	4	/* a COPY of len bytes to addr must fail */
#define BAD		(BAD_READ | BAD_WRITE | BAD_WCOPY)

static bool is_decomp(uint16_t o)
{
	return o == WD_SOFT_OP_INFLATE || o == WD_SOFT_OP_ZLIB_DECOMP ||
	       o == WD_SOFT_OP_GZIP_DECOMP;
}

/* every operation's source at addr, then every destination that fits */
static void bad_ops(struct ctx *c, uint64_t addr, size_t len, int how,
		    const char *what)
{
	uint8_t *s = buf(c, 4096), *d = buf(c, 70000);
	struct wd_soft_cqe cqe;
	uint32_t in;

	t_fill_random(s, 4096, 9);
	for (uint16_t o = WD_SOFT_OP_COPY; o < WD_SOFT_OP_MAX; o++) {
		if (how & BAD_READ) {
			cqe = req(c, sqe_of(o, 0, addr, (uint32_t)len,
					    t_q_addr(&c->q, d), 70000));
			T_ASSERT_MSG(cqe.status == WD_SOFT_S_BAD_ADDR,
				     "%s: op %u reading %#llx: %s", what, o,
				     (unsigned long long)addr, stname(cqe.status));
			T_EQ(cqe.out_len, 0);
		}
		/* a COPY of len bytes (at most 4096), others 16 bytes in */
		in = o == WD_SOFT_OP_COPY ? (len < 4096 ? (uint32_t)len : 4096) :
		     len < 16 ? (uint32_t)len : 16;
		if (!(o == WD_SOFT_OP_COPY && (how & BAD_WCOPY))) {
			/* decompressors find their source CORRUPT first;
			 * outputs: crc 4, sha 32, compressed 16 bytes < 64 */
			if (!(how & BAD_WRITE) || is_decomp(o) ||
			    (len < 64 && o != WD_SOFT_OP_COPY))
				continue;
		}
		cqe = req(c, sqe_of(o, 0, t_q_addr(&c->q, s), in, addr,
				    (uint32_t)len));
		T_ASSERT_MSG(cqe.status == WD_SOFT_S_BAD_ADDR, "%s: op %u writing "
			     "%#llx: %s", what, o, (unsigned long long)addr,
			     stname(cqe.status));
	}
}

static void bad_addr_all(struct ctx *c, uint64_t addr, size_t len, int how,
			 const char *what)
{
	struct wd_soft_sqe sqe;

	bad_ops(c, addr, len, how, what);
	if (how & BAD_READ) {
		struct wd_soft_sge *sge = buf(c, 2 * sizeof(*sge));
		uint8_t *s = buf(c, 100), *d = buf(c, 100), *big = buf(c, 70000);

		/* an SGL array at the address */
		if (how & BAD_WRITE) {
			sqe = sqe_of(WD_SOFT_OP_COPY, 0, addr, 2,
				     t_q_addr(&c->q, d), 100);
			sqe.flags = WD_SOFT_SQE_F_SRC_SGL;
			ST(req(c, sqe), WD_SOFT_S_BAD_ADDR);
			sqe = sqe_of(WD_SOFT_OP_COPY, 0, t_q_addr(&c->q, s), 100,
				     addr, 2);
			sqe.flags = WD_SOFT_SQE_F_DST_SGL;
			ST(req(c, sqe), WD_SOFT_S_BAD_ADDR);
		}
		/* an SGL entry pointing there, after a good one */
		sge[0] = (struct wd_soft_sge){ t_q_addr(&c->q, s), 10, 0 };
		sge[1] = (struct wd_soft_sge){ addr, (uint32_t)len, 0 };
		sqe = sqe_of(WD_SOFT_OP_COPY, 0, t_q_addr(&c->q, sge), 2,
			     t_q_addr(&c->q, big), 70000);
		sqe.flags = WD_SOFT_SQE_F_SRC_SGL;
		ST(req(c, sqe), WD_SOFT_S_BAD_ADDR);
	}
	c->q.ss_used = 0;
	alive(c);
	c->q.ss_used = 0;
}

/*
 * An address range nothing is mapped at and nothing will be: far below
 * where mmap() places mappings and above the sanitizers' shadow memory,
 * checked free with MAP_FIXED_NOREPLACE (a range just munmap()ed may be
 * taken again at once by an allocator, ASan's in particular).
 */
static uint8_t *far_map(size_t len)
{
	for (uintptr_t a = 0x600000000000ull; a < 0x700000000000ull;
	     a += 1ull << 32) {
		void *p = mmap((void *)a, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			       -1, 0);

		if (p == (void *)a)
			return p;
		if (p != MAP_FAILED)
			munmap(p, len);
	}
	T_FAIL("no free range far from the others");
}

static uint8_t *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	return p;
}

/* a read-only page: no destination, a fine source, never written */
static void read_only(struct ctx *c)
{
	uint8_t *ro = map(2 * t_page, PROT_READ | PROT_WRITE), *s;

	memset(ro, 0x5a, 2 * t_page);
	T_OK(mprotect(ro, 2 * t_page, PROT_READ));
	bad_addr_all(c, (uintptr_t)ro, 100, BAD_WRITE, "read-only");
	s = buf(c, 100);
	memset(s, 1, 100);
	ST(op(c, WD_SOFT_OP_COPY, 0, s, 100, ro, 100), WD_SOFT_S_BAD_ADDR);
	ST(op(c, WD_SOFT_OP_COPY, 0, ro, 100, s, 100), WD_SOFT_S_OK);
	for (size_t i = 0; i < 2 * t_page; i++)
		T_ASSERT_MSG(ro[i] == 0x5a, "read-only byte %zu written", i);
	c->q.ss_used = 0;
	munmap(ro, 2 * t_page);
}

/* pages past the end of a mapped file (SIGBUS for the process) */
static void past_eof(struct ctx *c)
{
	char path[64];
	uint8_t *fm;
	int fd;

	snprintf(path, sizeof(path), "/tmp/t_rules_addr.%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	T_ASSERT(fd >= 0);
	T_EQ(write(fd, "x", 1), 1);
	fm = mmap(NULL, 3 * t_page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(fm != MAP_FAILED);
	close(fd);
	unlink(path);
	bad_addr_all(c, (uintptr_t)fm + 2 * t_page, 100, BAD, "past EOF");
	munmap(fm, 3 * t_page);
}

static void t_sva(const char *more)
{
	uint8_t *gone, *none, *two, *s;
	struct ctx c;

	rules_init(&c, SVA, more);
	gone = far_map(4 * t_page);
	munmap(gone, 4 * t_page);
	bad_addr_all(&c, (uintptr_t)gone, 100, BAD, "unmapped");
	none = map(4 * t_page, PROT_NONE);
	bad_addr_all(&c, (uintptr_t)none, 100, BAD, "PROT_NONE");
	read_only(&c);
	/* a range that starts mapped and ends unmapped, either side */
	two = far_map(2 * t_page);
	munmap(two + t_page, t_page);
	memset(two, 3, t_page);
	s = buf(&c, 2 * t_page);
	ST(op(&c, WD_SOFT_OP_COPY, 0, two, 2 * t_page, s, 2 * t_page),
	   WD_SOFT_S_BAD_ADDR);
	ST(op(&c, WD_SOFT_OP_COPY, 0, s, 2 * t_page, two + 8, 2 * t_page),
	   WD_SOFT_S_BAD_ADDR);
	munmap(two, t_page);
	c.q.ss_used = 0;
	past_eof(&c);
	bad_addr_all(&c, 0xffff888000000000ull, 100, BAD, "kernel");
	bad_addr_all(&c, 0x8000000000000000ull, 100, BAD, "non-canonical");
	bad_addr_all(&c, 0, 100, BAD, "NULL");
	bad_addr_all(&c, 0xfffffffffffff000ull, 0x2000, BAD, "wrapping");
	munmap(none, 4 * t_page);
	ctx_fini(&c, "sva bad addresses");
}

TEST(sva_bad_addr_every_op)
{
	t_sva("");
}

TEST(sva_bad_addr_signal)
{
	T_NEED_LOCAL("the in-process device's own copy under its SIGSEGV/SIGBUS "
		     "guard (sva_copy=signal)");
	t_sva("sva_copy=signal");
}

TEST(pasid_bad_addr_every_op)
{
	uint8_t *heap = calloc(1, 8192), *s, *ss;
	struct t_q other;
	struct ctx c;
	size_t n;

	T_ASSERT(heap);
	rules_init(&c, PASID, "");
	ss = c.q.ss;
	n = c.q.ss_size;
	/* the heap is the process's, but not the queue's */
	bad_addr_all(&c, (uintptr_t)heap, 100, BAD, "heap");
	bad_addr_all(&c, (uintptr_t)ss - 1, 100, BAD, "below SS");
	bad_addr_all(&c, (uintptr_t)ss + n - 50, 100, BAD_READ | BAD_WCOPY,
		     "across the end of SS");
	bad_addr_all(&c, (uintptr_t)ss + n, 1, BAD, "the end of SS");
	bad_addr_all(&c, 0x10, 16, BAD, "a low address");
	/* the last byte of SS is fine */
	s = buf(&c, 16);
	memset(s, 7, 16);
	ST(req(&c, sqe_of(WD_SOFT_OP_COPY, 0, t_q_addr(&c.q, s), 1,
			  (uintptr_t)ss + n - 1, 1)), WD_SOFT_S_OK);
	T_EQ(ss[n - 1], 7);
	c.q.ss_used = 0;
	/* another queue's SS region, not shared with this one */
	t_q_setup(&other, c.in.ua);
	t_q_map_ss(&other, 1 << 16);
	memset(other.ss, 0xee, 100);
	bad_addr_all(&c, (uintptr_t)other.ss, 100, BAD, "another queue's SS");
	T_EQ(((uint8_t *)other.ss)[0], 0xee);
	t_q_close(&other);
	for (int i = 0; i < 8192; i++)
		T_ASSERT_MSG(!heap[i], "the heap was written at %d", i);
	/* a queue without SS reaches nothing */
	t_q_setup(&other, c.in.ua);
	ST(t_q_run(&other, &(struct wd_soft_sqe){ .user_data = 1,
		   .op = WD_SOFT_OP_COPY, .src = (uintptr_t)heap, .src_len = 10,
		   .dst = (uintptr_t)heap + 32, .dst_len = 10 }),
	   WD_SOFT_S_BAD_ADDR);
	t_q_close(&other);
	free(heap);
	ctx_fini(&c, "pasid bad addresses");
}

TEST(noiommu_bad_addr_every_op)
{
	uint64_t dma, end;
	struct t_q other;
	struct ctx c;
	uint8_t *s, *ss;

	rules_init(&c, NOIOMMU, "");
	ss = c.q.ss;
	dma = c.q.ss_dma;
	end = dma + c.q.ss_size;
	/* the region's own virtual address is no bus address */
	if ((uintptr_t)ss + 100 <= dma || (uintptr_t)ss >= end)
		bad_addr_all(&c, (uintptr_t)ss, 100, BAD, "SS virtual address");
	bad_addr_all(&c, dma - 1, 100, BAD, "below the bus range");
	bad_addr_all(&c, end - 50, 100, BAD_READ | BAD_WCOPY, "across its end");
	bad_addr_all(&c, end, 1, BAD, "its end");
	bad_addr_all(&c, 0, 100, BAD, "bus address 0");
	bad_addr_all(&c, ~0ull - 10, 100, BAD, "wrapping");
	/* the last byte is fine */
	s = buf(&c, 16);
	memset(s, 9, 16);
	ST(req(&c, sqe_of(WD_SOFT_OP_COPY, 0, t_q_addr(&c.q, s), 1, end - 1, 1)),
	   WD_SOFT_S_OK);
	T_EQ(ss[c.q.ss_size - 1], 9);
	c.q.ss_used = 0;
	/* another queue's bus range */
	t_q_setup(&other, c.in.ua);
	t_q_map_ss(&other, 1 << 16);
	T_ASSERT(other.ss_dma != dma);
	memset(other.ss, 0xee, 100);
	bad_addr_all(&c, other.ss_dma, 100, BAD, "another queue's SS");
	T_EQ(((uint8_t *)other.ss)[0], 0xee);
	t_q_close(&other);
	ctx_fini(&c, "noiommu bad addresses");
}
