// SPDX-License-Identifier: GPL-2.0
/*
 * t_zc: request data reached in place (wd_soft_host_map(), "zero copy"),
 * on both hosts, against independent references (memcmp, tests/lib/ref.c's
 * SHA-256 and CRC-32C):
 *
 *  - copy, sha256 and crc32c on buffers in the SS region in every mode:
 *    unaligned, spanning pages, over more than one 64 KiB chunk; the
 *    instance's debugfs bytes_mapped must grow by the bytes of each
 *    request (both hosts map the SS region in place: a host whose map
 *    always answered 0 fails here), and nothing after the destination's
 *    end is written;
 *  - sva memory outside SS (plain mappings, pages present): the kernel
 *    pins and maps them (bytes_mapped grows), the in-process device copies
 *    (bytes_copied grows, bytes_mapped does not);
 *  - scatter-gather lists mixing SS and plain pieces on both sides;
 *  - a destination piece on a read-only page (present): BAD_ADDR and the
 *    page never written, also after an SS piece that maps;
 *  - a source piece out of reach in the middle of a list: BAD_ADDR for
 *    each operation, and the queue carries on;
 *  - a destination shared copy-on-write with a child: only the parent's
 *    copy is written (the kernel never pins a shared page for writing).
 */
#include "rules.h"
#include "ref.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static long long mapped(struct ctx *c)
{
	return t_debugfs_ll(c->in.id, "bytes_mapped");
}

static long long copied(struct ctx *c)
{
	return t_debugfs_ll(c->in.id, "bytes_copied");
}

/*
 * copy, sha256, crc32c of @n bytes at @s to @d (room n + 64, canary after
 * n), each checked against the references. Return: the data bytes the
 * three requests moved (what a host mapping all of it maps).
 */
static long long three_ops(struct ctx *c, uint8_t *s, uint8_t *d, size_t n,
			   uint64_t seed)
{
	uint8_t want[32], *out = buf(c, 32 + 64);
	struct wd_soft_cqe cqe;
	uint32_t reg = (uint32_t)seed * 2654435761u;

	t_fill_random(s, n, seed);
	memset(d, 0xa5, n + 64);
	cqe = op(c, WD_SOFT_OP_COPY, 0, s, n, d, n + 64);
	ST(cqe, WD_SOFT_S_OK);
	T_EQ(cqe.out_len, n);
	T_ASSERT_MSG(!memcmp(s, d, n), "copy of %zu bytes differs", n);
	for (size_t i = n; i < n + 64; i++)
		T_ASSERT_MSG(d[i] == 0xa5, "byte %zu after the copy written", i - n);

	cqe = op(c, WD_SOFT_OP_SHA256, 0, s, n, out, 32);
	ST(cqe, WD_SOFT_S_OK);
	ref_sha256(s, n, want);
	T_ASSERT_MSG(!memcmp(out, want, 32), "sha256 of %zu bytes differs", n);

	cqe = op(c, WD_SOFT_OP_CRC32C, reg, s, n, out, 4);
	ST(cqe, WD_SOFT_S_OK);
	T_EQ(out[0] | out[1] << 8 | out[2] << 16 | (uint32_t)out[3] << 24,
	     ref_crc32c_raw(reg, s, n));
	return 3 * (long long)n;
}

static const size_t zc_sizes[] = { 1, 63, 4095, 4097, 3 * 4096 + 17, 65537,
				   200001 };

static void ss_in_place(enum mode m)
{
	long long before, want = 0;
	struct ctx c;

	rules_init(&c, m, "");
	before = mapped(&c);
	for (size_t i = 0; i < sizeof(zc_sizes) / sizeof(zc_sizes[0]); i++) {
		size_t n = zc_sizes[i];
		/* odd offsets: neither piece starts on a page or a line */
		uint8_t *s = (uint8_t *)buf(&c, n + 8) + 3;
		uint8_t *d = (uint8_t *)buf(&c, n + 80) + 5;

		want += three_ops(&c, s, d, n, i + 1);
		c.q.ss_used = 0;
	}
	T_ASSERT_MSG(mapped(&c) - before >= want, "%s: %lld bytes mapped, %lld "
		     "moved in SS", mode_name[m], mapped(&c) - before, want);
	alive(&c);
	ctx_fini(&c, "SS in place");
}

TEST(ss_in_place_sva)
{
	ss_in_place(SVA);
}

TEST(ss_in_place_pasid)
{
	ss_in_place(PASID);
}

TEST(ss_in_place_noiommu)
{
	ss_in_place(NOIOMMU);
}

static uint8_t *plain(size_t len)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	memset(p, 1, len);	/* present, and this process's own */
	return p;
}

/* sva memory outside SS: the kernel maps it, the in-process device copies */
TEST(sva_plain_memory)
{
	long long m0, c0, want = 0;
	size_t len = 512 * 1024;
	uint8_t *s = plain(len), *d = plain(len);
	struct ctx c;

	rules_init(&c, SVA, "");
	m0 = mapped(&c);
	c0 = copied(&c);
	for (size_t i = 0; i < sizeof(zc_sizes) / sizeof(zc_sizes[0]); i++) {
		want += three_ops(&c, s + 7, d + t_page - 9, zc_sizes[i], i + 7);
		c.q.ss_used = 0;
	}
	if (t_host_local) {
		/* only the digests' results, which three_ops() puts in SS */
		long long res = (32 + 4) * (long long)(sizeof(zc_sizes) / sizeof(zc_sizes[0]));

		T_ASSERT_MSG(mapped(&c) - m0 == res, "%lld bytes mapped, %lld of them "
			     "outside SS", mapped(&c) - m0, mapped(&c) - m0 - res);
		T_ASSERT(copied(&c) - c0 >= want);
	} else {
		T_ASSERT_MSG(mapped(&c) - m0 >= want, "%lld bytes mapped of %lld",
			     mapped(&c) - m0, want);
	}
	ctx_fini(&c, "plain memory");
	munmap(s, len);
	munmap(d, len);
}

/* an SGL of @n pieces at @p (copied into SS), its device address */
static uint64_t sgl(struct ctx *c, uint8_t **p, const size_t *len, int n)
{
	struct wd_soft_sge *e = buf(c, n * sizeof(*e));

	for (int i = 0; i < n; i++)
		e[i] = (struct wd_soft_sge){ p[i] ? t_q_addr(&c->q, p[i]) : 0,
					     (uint32_t)len[i], 0 };
	return t_q_addr(&c->q, e);
}

/* source and destination lists mixing SS and plain pieces */
TEST(sgl_mixed_ss_and_plain)
{
	size_t plen = 64 * 1024;
	uint8_t *pl = plain(plen), *ref = xmalloc(40000), *out, want[32];
	uint8_t *sp[5], *dp[4];
	size_t sl[5] = { 5000, 3000, 7, 0, 20000 }, dl[4] = { 4000, 9001, 1,
							       30000 };
	size_t total = 28007, at = 0;
	struct wd_soft_sqe e;
	struct ctx c;

	rules_init(&c, SVA, "");
	sp[0] = (uint8_t *)buf(&c, 5001) + 1;	/* SS, across a page or two */
	sp[1] = pl + 4093;			/* plain, across a page */
	sp[2] = (uint8_t *)buf(&c, 8);		/* SS */
	sp[3] = NULL;				/* empty */
	sp[4] = pl + 16384 + 5;			/* plain, several pages */
	dp[0] = pl + 40000;			/* plain */
	dp[1] = (uint8_t *)buf(&c, 9002) + 1;	/* SS */
	dp[2] = pl + 50001;			/* plain */
	dp[3] = (uint8_t *)buf(&c, 30000);	/* SS, more room than needed */
	for (int i = 0; i < 5; i++) {
		if (!sl[i])
			continue;
		t_fill_random(sp[i], sl[i], 40 + i);
		memcpy(ref + at, sp[i], sl[i]);
		at += sl[i];
	}
	T_EQ(at, total);

	e = sqe_of(WD_SOFT_OP_COPY, 0, sgl(&c, sp, sl, 5), 5, sgl(&c, dp, dl, 4), 4);
	e.flags = WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL;
	ST(req(&c, e), WD_SOFT_S_OK);
	at = 0;
	for (int i = 0; i < 4 && at < total; i++) {
		size_t k = dl[i] < total - at ? dl[i] : total - at;

		T_ASSERT_MSG(!memcmp(dp[i], ref + at, k), "destination piece %d", i);
		at += k;
	}

	out = buf(&c, 32);
	e = sqe_of(WD_SOFT_OP_SHA256, 0, sgl(&c, sp, sl, 5), 5,
		   t_q_addr(&c.q, out), 32);
	e.flags = WD_SOFT_SQE_F_SRC_SGL;
	ST(req(&c, e), WD_SOFT_S_OK);
	ref_sha256(ref, total, want);
	T_ASSERT(!memcmp(out, want, 32));
	e.op = WD_SOFT_OP_CRC32C;
	e.params = 0x1234567;
	e.dst_len = 4;
	ST(req(&c, e), WD_SOFT_S_OK);
	T_EQ(out[0] | out[1] << 8 | out[2] << 16 | (uint32_t)out[3] << 24,
	     ref_crc32c_raw(0x1234567, ref, total));
	ctx_fini(&c, "mixed SGLs");
	munmap(pl, plen);
	free(ref);
}

/* a read-only destination page, present: BAD_ADDR, never written */
TEST(read_only_destination_never_written)
{
	uint8_t *ro = plain(2 * t_page), *s, *dp[2];
	size_t dl[2] = { 100, 100 };
	struct wd_soft_sqe e;
	struct ctx c;

	memset(ro, 0x5a, 2 * t_page);
	T_OK(mprotect(ro, 2 * t_page, PROT_READ));
	rules_init(&c, SVA, "");
	s = buf(&c, 200);
	t_fill_random(s, 200, 3);
	/* flat, and after an SS piece the engine maps and writes */
	ST(op(&c, WD_SOFT_OP_COPY, 0, s, 200, ro + 10, 200), WD_SOFT_S_BAD_ADDR);
	dp[0] = buf(&c, 100);
	dp[1] = ro + t_page - 50;
	e = sqe_of(WD_SOFT_OP_COPY, 0, t_q_addr(&c.q, s), 200, sgl(&c, dp, dl, 2), 2);
	e.flags = WD_SOFT_SQE_F_DST_SGL;
	ST(req(&c, e), WD_SOFT_S_BAD_ADDR);
	ST(op(&c, WD_SOFT_OP_SHA256, 0, s, 200, ro, 32), WD_SOFT_S_BAD_ADDR);
	ST(op(&c, WD_SOFT_OP_CRC32C, 0, s, 200, ro + 1, 4), WD_SOFT_S_BAD_ADDR);
	for (size_t i = 0; i < 2 * t_page; i++)
		T_ASSERT_MSG(ro[i] == 0x5a, "read-only byte %zu written", i);
	/* as a source it is fine */
	ST(op(&c, WD_SOFT_OP_COPY, 0, ro + 5, 300, dp[0], 300), WD_SOFT_S_OK);
	T_ASSERT(!memcmp(dp[0], ro + 5, 300));
	alive(&c);
	ctx_fini(&c, "read-only destination");
	munmap(ro, 2 * t_page);
}

/*
 * a source piece out of reach in the middle of a list (sva: a PROT_NONE
 * mapping, kept so that nothing else lands there; pasid: outside SS)
 */
static void unmapped_mid_list(enum mode m)
{
	uint16_t ops[3] = { WD_SOFT_OP_COPY, WD_SOFT_OP_SHA256,
			    WD_SOFT_OP_CRC32C };
	uint8_t *none = mmap(NULL, t_page, PROT_NONE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct wd_soft_sge *a;
	struct wd_soft_sqe e;
	uint8_t *s0, *s2, *d;
	struct ctx c;

	T_ASSERT(none != MAP_FAILED);
	rules_init(&c, m, "");
	s0 = (uint8_t *)buf(&c, 5001) + 1;
	s2 = buf(&c, 100);
	d = buf(&c, 6000);
	a = buf(&c, 3 * sizeof(*a));
	a[0] = (struct wd_soft_sge){ t_q_addr(&c.q, s0), 5000, 0 };
	a[1] = (struct wd_soft_sge){ m == SVA ? (uintptr_t)none :
				     (uintptr_t)d + 0x10000000, 100, 0 };
	a[2] = (struct wd_soft_sge){ t_q_addr(&c.q, s2), 100, 0 };
	for (int i = 0; i < 3; i++) {
		e = sqe_of(ops[i], 0, t_q_addr(&c.q, a), 3, t_q_addr(&c.q, d),
			   6000);
		e.flags = WD_SOFT_SQE_F_SRC_SGL;
		ST(req(&c, e), WD_SOFT_S_BAD_ADDR);
	}
	alive(&c);
	ctx_fini(&c, "source unmapped mid-list");
	munmap(none, t_page);
}

TEST(source_unmapped_mid_list_sva)
{
	unmapped_mid_list(SVA);
}

TEST(source_unmapped_mid_list_pasid)
{
	unmapped_mid_list(PASID);
}

/*
 * A destination shared copy-on-write with a child (after fork, before
 * either writes): the device writes the parent's copy only, as the
 * parent's own store would; the child's stays as it was.
 */
TEST(cow_destination_after_fork)
{
	size_t len = 2 * t_page;
	uint8_t *d = plain(len), *s, go = 1;
	int p[2];
	pid_t pid;
	struct ctx c;

	memset(d, 0x11, len);
	rules_init(&c, SVA, "");
	s = buf(&c, len);
	t_fill_random(s, len, 77);
	T_OK(pipe(p));
	pid = t_fork();
	if (!pid) {
		uint8_t b;
		size_t i;

		close(p[1]);
		if (read(p[0], &b, 1) != 1)
			_exit(2);
		for (i = 0; i < len; i++)
			if (d[i] != 0x11)
				_exit(1);
		_exit(0);
	}
	close(p[0]);
	ST(op(&c, WD_SOFT_OP_COPY, 0, s, len, d, len), WD_SOFT_S_OK);
	T_ASSERT(!memcmp(d, s, len));
	T_EQ(write(p[1], &go, 1), 1);
	close(p[1]);
	t_wait_ok(pid, T_HANG_MS);
	ctx_fini(&c, "copy-on-write destination");
	munmap(d, len);
}
