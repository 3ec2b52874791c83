// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wdl_errors: the error statuses of the in-process device, in each memory
 * model: CORRUPT (random data, truncated streams, trailing garbage, bad
 * CRC-32/ISIZE/Adler-32/header CRC), DST_SMALL with out_len, BAD_OP,
 * INVAL (flags, reserved fields, params, levels, SGL entry count and rsvd,
 * the 64 MiB source limit), and BAD_ADDR: sva unmapped, PROT_NONE,
 * read-only destination, beyond the end of a mapped file (SIGBUS), kernel,
 * non-canonical and wrapping addresses, an unreadable SGL; pasid any
 * address outside the SS region (the heap included), another queue's SS;
 * noiommu anything outside the SS bus range (the SS region's own virtual
 * address included). SVA's bad addresses both ways the engines reach
 * them: the kernel's copy (the default), which installs no signal handler
 * and touches no signal action (sva_no_handler), and is refused at
 * creation where a seccomp filter forbids it; the signal guard (opt-in,
 * the *_signal tests). After each, the queue and the process carry on; a
 * fault outside the engine's copy still kills the process, and an
 * application's handler still gets its own faults.
 */
#include "nt.h"

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#define SS_SIZE		(2u << 20)

struct ctx {
	struct wdl_dev *dev;
	struct nq q;
	enum wdl_mode mode;
	uint64_t ud;
};

/* how the SVA devices of this test reach request data */
static enum wdl_sva_copy g_sva_copy = WDL_SVA_COPY_KERNEL;

static void ctx_init(struct ctx *c, enum wdl_mode mode)
{
	struct wdl_config cfg = {
		.mode = mode, .nr_queues = 8, .nr_engines = 1,
		.sva_copy = g_sva_copy,
	};

	memset(c, 0, sizeof(*c));
	c->mode = mode;
	OK(wdl_dev_create(&cfg, &c->dev));
	nq_open(&c->q, c->dev, SS_SIZE);
}

static void ctx_fini(struct ctx *c)
{
	nq_close(&c->q);
	wdl_dev_destroy(c->dev);
}

/* a buffer the device can reach (SS in every mode, which sva reaches too) */
static void *buf(struct ctx *c, size_t n)
{
	void *p = nq_ss_alloc(&c->q, n ? n : 1);

	ASSERT_MSG(p, "SS full");
	return p;
}

static struct wd_soft_cqe req(struct ctx *c, struct wd_soft_sqe sqe)
{
	sqe.user_data = ++c->ud;
	return nq_run(&c->q, &sqe);
}

static struct wd_soft_cqe op(struct ctx *c, uint16_t o, uint32_t params,
			     const void *src, size_t n, void *dst, size_t cap)
{
	return req(c, nq_sqe(o, params, nq_addr(&c->q, src), (uint32_t)n,
			     nq_addr(&c->q, dst), (uint32_t)cap));
}

/* a COPY that must work: the queue survived */
static void alive(struct ctx *c)
{
	uint8_t *s = buf(c, 100), *d = buf(c, 100);
	struct wd_soft_cqe cqe;

	nt_fill_random(s, 100, c->ud);
	cqe = op(c, WD_SOFT_OP_COPY, 0, s, 100, d, 100);
	ST(cqe, WD_SOFT_S_OK);
	ASSERT(!memcmp(s, d, 100));
	ASSERT(!(nq_status(&c->q) & WD_SOFT_ST_BROKEN));
}

#define CTX(m) \
	struct ctx c; \
	ctx_init(&c, m)

/* ---- CORRUPT ---- */

/* compressed data of n text bytes in each format, made by zlib */
static uint8_t *made(int f, const void *src, size_t n, size_t *len)
{
	void *out;

	if (f == 2) {
		/* gzip: zlib's own gzip wrapper (windowBits 31) */
		z_stream s;
		size_t cap = n + n / 8 + 1024;

		memset(&s, 0, sizeof(s));
		ASSERT(deflateInit2(&s, 6, Z_DEFLATED, 31, 8,
				    Z_DEFAULT_STRATEGY) == Z_OK);
		out = nt_xmalloc(cap);
		s.next_in = (Bytef *)src;
		s.avail_in = (uInt)n;
		s.next_out = out;
		s.avail_out = (uInt)cap;
		ASSERT(deflate(&s, Z_FINISH) == Z_STREAM_END);
		*len = s.total_out;
		deflateEnd(&s);
		return out;
	}
	ref_deflate(src, n, 6, f == 1, &out, len);
	return out;
}

static const uint16_t decomp[] = {
	WD_SOFT_OP_INFLATE, WD_SOFT_OP_ZLIB_DECOMP, WD_SOFT_OP_GZIP_DECOMP,
};

static void t_corrupt(enum wdl_mode m)
{
	size_t n = 200000, clen, i;
	struct wd_soft_cqe cqe;
	uint8_t *text, *z, *s, *d;
	int f;

	CTX(m);
	text = nt_xmalloc(n);
	nt_fill_text(text, n, 42);
	for (f = 0; f < 3; f++) {
		z = made(f, text, n, &clen);
		s = buf(&c, clen + 64);
		d = buf(&c, n + 64);

		/* the valid stream, for reference */
		memcpy(s, z, clen);
		cqe = op(&c, decomp[f], 0, s, clen, d, n);
		ST(cqe, WD_SOFT_S_OK);
		EQ(cqe.out_len, n);

		/* random data */
		nt_fill_random(s, clen, 7 + f);
		if (f == 0)
			s[0] = 0xff;	/* BTYPE 11: reserved, invalid */
		cqe = op(&c, decomp[f], 0, s, clen, d, n + 64);
		ST(cqe, WD_SOFT_S_CORRUPT);
		EQ(cqe.out_len, 0);

		/* truncated: cut anywhere, down to nothing */
		memcpy(s, z, clen);
		for (i = 0; i < 6; i++) {
			size_t cut = i == 0 ? 0 : i == 1 ? 1 :
				     i == 2 ? clen / 2 : clen - 1 - (i - 3);

			cqe = op(&c, decomp[f], 0, s, cut, d, n + 64);
			ASSERT_MSG(cqe.status == WD_SOFT_S_CORRUPT,
				   "format %d cut at %zu of %zu: %s", f, cut,
				   clen, nt_stname(cqe.status));
		}

		/* trailing garbage */
		memcpy(s, z, clen);
		memcpy(s + clen, "garbage!", 8);
		for (i = 1; i <= 8; i += 7) {
			cqe = op(&c, decomp[f], 0, s, clen + i, d, n + 64);
			ASSERT_MSG(cqe.status == WD_SOFT_S_CORRUPT,
				   "format %d with %zu trailing bytes: %s", f, i,
				   nt_stname(cqe.status));
		}

		/* a wrong check value: Adler-32 (zlib), CRC-32 and ISIZE (gzip) */
		if (f > 0) {
			s[clen - (f == 1 ? 1 : 8)] ^= 0x01;
			cqe = op(&c, decomp[f], 0, s, clen, d, n + 64);
			ST(cqe, WD_SOFT_S_CORRUPT);
		}
		if (f == 2) {
			memcpy(s, z, clen);
			s[clen - 2] ^= 0x10;	/* ISIZE */
			cqe = op(&c, decomp[f], 0, s, clen, d, n + 64);
			ST(cqe, WD_SOFT_S_CORRUPT);
			/* bad magic, bad method, reserved flags */
			for (i = 0; i < 3; i++) {
				memcpy(s, z, clen);
				s[i == 0 ? 1 : i == 1 ? 2 : 3] ^= i == 2 ? 0x20 : 0x01;
				cqe = op(&c, decomp[f], 0, s, clen, d, n + 64);
				ST(cqe, WD_SOFT_S_CORRUPT);
			}
		}
		if (f == 1) {
			/* a preset dictionary is not supported: CORRUPT */
			memcpy(s, z, clen);
			unsigned int flg = (s[1] & 0xc0) | 0x20;	/* FDICT */

			if ((s[0] * 256u + flg) % 31)
				flg += 31 - (s[0] * 256u + flg) % 31;
			s[1] = (uint8_t)flg;
			cqe = op(&c, decomp[f], 0, s, clen, d, n + 64);
			ST(cqe, WD_SOFT_S_CORRUPT);
		}
		free(z);
		nq_ss_reset(&c.q);
	}

	/* gzip with a header CRC (FHCRC): right, then wrong */
	{
		uint8_t hdr[12] = { 0x1f, 0x8b, 8, 0x02, 0, 0, 0, 0, 0, 3 };
		uint32_t hcrc = (uint32_t)crc32(0, hdr, 10);
		void *raw;
		size_t rlen;
		uint8_t *g;

		ref_deflate(text, 1000, 6, false, &raw, &rlen);
		hdr[10] = (uint8_t)hcrc;
		hdr[11] = (uint8_t)(hcrc >> 8);
		g = buf(&c, 12 + rlen + 8);
		d = buf(&c, 1000);
		memcpy(g, hdr, 12);
		memcpy(g + 12, raw, rlen);
		hcrc = (uint32_t)crc32(0, text, 1000);
		memcpy(g + 12 + rlen, &hcrc, 4);
		hcrc = 1000;
		memcpy(g + 12 + rlen + 4, &hcrc, 4);
		cqe = op(&c, WD_SOFT_OP_GZIP_DECOMP, 0, g, 12 + rlen + 8, d, 1000);
		ST(cqe, WD_SOFT_S_OK);
		ASSERT(!memcmp(d, text, 1000));
		g[10] ^= 1;
		cqe = op(&c, WD_SOFT_OP_GZIP_DECOMP, 0, g, 12 + rlen + 8, d, 1000);
		ST(cqe, WD_SOFT_S_CORRUPT);
		free(raw);
	}
	alive(&c);
	free(text);
	ctx_fini(&c);
}

TEST(sva_corrupt) { t_corrupt(WDL_MODE_SVA); }
TEST(pasid_corrupt) { t_corrupt(WDL_MODE_PASID); }
TEST(noiommu_corrupt) { t_corrupt(WDL_MODE_NOIOMMU); }

/* ---- DST_SMALL ---- */

static void t_dst_small(enum wdl_mode m)
{
	static const uint16_t comp[] = {
		WD_SOFT_OP_DEFLATE, WD_SOFT_OP_ZLIB_COMP, WD_SOFT_OP_GZIP_COMP,
	};
	size_t n, clen, need;
	struct wd_soft_cqe cqe;
	uint8_t *s, *d, *z;
	int f;

	CTX(m);
	n = 100000;
	s = buf(&c, n);
	d = buf(&c, 2 * n);
	nt_fill_text(s, n, 3);
	memset(d, 0xa5, 2 * n);

	/* copy, digests: out_len the size needed, nothing written */
	cqe = op(&c, WD_SOFT_OP_COPY, 0, s, n, d, n - 1);
	ST(cqe, WD_SOFT_S_DST_SMALL);
	EQ(cqe.out_len, n);
	EQ(d[0], 0xa5);
	cqe = op(&c, WD_SOFT_OP_CRC32C, 0, s, n, d, 3);
	ST(cqe, WD_SOFT_S_DST_SMALL);
	EQ(cqe.out_len, 4);
	cqe = op(&c, WD_SOFT_OP_SHA256, 0, s, n, d, 31);
	ST(cqe, WD_SOFT_S_DST_SMALL);
	EQ(cqe.out_len, 32);
	EQ(d[0], 0xa5);

	for (f = 0; f < 3; f++) {
		/* output that fits one chunk: the size needed is exact */
		cqe = op(&c, comp[f], 0, s, 1000, d, 2000);
		ST(cqe, WD_SOFT_S_OK);
		need = cqe.out_len;
		cqe = op(&c, comp[f], 0, s, 1000, d, need - 1);
		ST(cqe, WD_SOFT_S_DST_SMALL);
		EQ(cqe.out_len, need);
		cqe = op(&c, comp[f], 0, s, 1000, d, need);
		ST(cqe, WD_SOFT_S_OK);
		EQ(cqe.out_len, need);
		/* larger: the size needed, or 0 when unknown */
		cqe = op(&c, comp[f], 0, s, n, d, 1000);
		ST(cqe, WD_SOFT_S_DST_SMALL);
		ASSERT(cqe.out_len == 0 || cqe.out_len > 1000);

		/* decompression into too little room */
		z = made(f, s, n, &clen);
		memcpy(d + n, z, clen);
		cqe = op(&c, decomp[f], 0, d + n, clen, d, n - 1);
		ST(cqe, WD_SOFT_S_DST_SMALL);
		/* gzip: ISIZE tells; others: exact or 0 */
		if (f == 2)
			EQ(cqe.out_len, n);
		else
			ASSERT_MSG(cqe.out_len == 0 || cqe.out_len == n,
				   "out_len %u", cqe.out_len);
		cqe = op(&c, decomp[f], 0, d + n, clen, d, 0);
		ST(cqe, WD_SOFT_S_DST_SMALL);
		free(z);
	}
	alive(&c);
	ctx_fini(&c);
}

TEST(sva_dst_small) { t_dst_small(WDL_MODE_SVA); }
TEST(pasid_dst_small) { t_dst_small(WDL_MODE_PASID); }
TEST(noiommu_dst_small) { t_dst_small(WDL_MODE_NOIOMMU); }

/* ---- BAD_OP and INVAL ---- */

static void t_inval(enum wdl_mode m)
{
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;
	struct wd_soft_sge *sge;
	uint8_t *s, *d;
	uint16_t o;
	int i;

	CTX(m);
	s = buf(&c, 4096);
	d = buf(&c, 4096);
	nt_fill_text(s, 4096, 1);

	/* unknown operations */
	for (o = WD_SOFT_OP_MAX; o < WD_SOFT_OP_MAX + 3; o++) {
		cqe = op(&c, o, 0, s, 10, d, 10);
		ST(cqe, WD_SOFT_S_BAD_OP);
		EQ(cqe.out_len, 0);
	}
	cqe = op(&c, 0xffff, 0, s, 10, d, 10);
	ST(cqe, WD_SOFT_S_BAD_OP);

	/* flags and reserved fields come first, whatever the op */
	sqe = nq_sqe(WD_SOFT_OP_COPY, 0, nq_addr(&c.q, s), 10, nq_addr(&c.q, d), 10);
	sqe.flags = 1u << 2;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sqe.flags = 0x8000;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sqe.flags = 0;
	for (i = 0; i < 3; i++) {
		sqe.rsvd[i] = 1ull << (i * 20);
		ST(req(&c, sqe), WD_SOFT_S_INVAL);
		sqe.rsvd[i] = 0;
	}
	sqe.op = 0x7777;
	sqe.rsvd[1] = 5;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);

	/* params where they must be 0 */
	static const uint16_t zero_params[] = {
		WD_SOFT_OP_NOP, WD_SOFT_OP_COPY, WD_SOFT_OP_SHA256,
		WD_SOFT_OP_INFLATE, WD_SOFT_OP_ZLIB_DECOMP, WD_SOFT_OP_GZIP_DECOMP,
	};
	for (i = 0; i < 6; i++) {
		cqe = op(&c, zero_params[i], 1, s, 10, d, 100);
		ASSERT_MSG(cqe.status == WD_SOFT_S_INVAL, "op %u params 1: %s",
			   zero_params[i], nt_stname(cqe.status));
	}
	/* levels above 9 */
	for (o = WD_SOFT_OP_DEFLATE; o <= WD_SOFT_OP_GZIP_COMP; o += 2) {
		cqe = op(&c, o, 10, s, 10, d, 100);
		ST(cqe, WD_SOFT_S_INVAL);
		cqe = op(&c, o, 0xffffffffu, s, 10, d, 100);
		ST(cqe, WD_SOFT_S_INVAL);
	}
	/* crc32c takes any seed */
	cqe = op(&c, WD_SOFT_OP_CRC32C, 0xffffffffu, s, 10, d, 4);
	ST(cqe, WD_SOFT_S_OK);

	/* the 64 MiB source limit: checked before any data is read */
	cqe = op(&c, WD_SOFT_OP_COPY, 0, s, (64u << 20) + 1, d, 0xffffffffu);
	ST(cqe, WD_SOFT_S_INVAL);
	cqe = op(&c, WD_SOFT_OP_SHA256, 0, s, 0xffffffffu, d, 32);
	ST(cqe, WD_SOFT_S_INVAL);

	/* SGL: more than 4096 entries, rsvd set, a total over 64 MiB */
	sge = buf(&c, 4 * sizeof(*sge));
	for (i = 0; i < 4; i++) {
		sge[i].addr = nq_addr(&c.q, s);
		sge[i].len = 1000;
		sge[i].rsvd = 0;
	}
	sqe = nq_sqe(WD_SOFT_OP_COPY, 0, nq_addr(&c.q, sge), 4097,
		     nq_addr(&c.q, d), 4096);
	sqe.flags = WD_SOFT_SQE_F_SRC_SGL;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sqe.src_len = 4;
	cqe = req(&c, sqe);
	ST(cqe, WD_SOFT_S_OK);
	EQ(cqe.out_len, 4000);
	sge[2].rsvd = 1;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sge[2].rsvd = 0;
	sge[1].len = 0xffffffffu;
	sge[2].len = 0xffffffffu;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sge[1].len = sge[2].len = 1000;
	/* destination SGL with too many entries */
	sqe = nq_sqe(WD_SOFT_OP_COPY, 0, nq_addr(&c.q, s), 10,
		     nq_addr(&c.q, sge), 5000);
	sqe.flags = WD_SOFT_SQE_F_DST_SGL;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	alive(&c);
	ctx_fini(&c);
}

TEST(sva_inval) { t_inval(WDL_MODE_SVA); }
TEST(pasid_inval) { t_inval(WDL_MODE_PASID); }
TEST(noiommu_inval) { t_inval(WDL_MODE_NOIOMMU); }

/* an operation left out of the device (op_mask): BAD_OP, not listed */
TEST(op_mask)
{
	struct wdl_config cfg = {
		.op_mask = WDL_OP(WD_SOFT_OP_NOP) | WDL_OP(WD_SOFT_OP_COPY),
	};
	struct wd_soft_cqe cqe;
	struct ctx c;
	uint8_t *s, *d;

	memset(&c, 0, sizeof(c));
	OK(wdl_dev_create(&cfg, &c.dev));
	ASSERT_MSG(!strcmp(wdl_dev_algorithms(c.dev), "nop\ncopy"),
		   "algorithms: %s", wdl_dev_algorithms(c.dev));
	nq_open(&c.q, c.dev, 1 << 16);
	s = buf(&c, 100);
	d = buf(&c, 100);
	cqe = op(&c, WD_SOFT_OP_CRC32C, 0, s, 10, d, 4);
	ST(cqe, WD_SOFT_S_BAD_OP);
	cqe = op(&c, WD_SOFT_OP_GZIP_COMP, 0, s, 10, d, 100);
	ST(cqe, WD_SOFT_S_BAD_OP);
	alive(&c);
	ctx_fini(&c);
	cfg.op_mask = 1u << WD_SOFT_OP_MAX;
	ERR(wdl_dev_create(&cfg, &c.dev), EINVAL);
}

/* ---- BAD_ADDR ---- */

#define BAD_READ	1	/* reading addr must fail */
#define BAD_WRITE	2	/* writing addr must fail */
#define BAD_WCOPY	4	/* a COPY of len bytes to addr must fail */

/*
 * Every operation with its source at addr (len bytes), then every one
 * that fits its output in len bytes with its destination there; an SGL
 * array there, and an SGL entry pointing there. Then the queue must still
 * work.
 */
static void bad_addr_all(struct ctx *c, uint64_t addr, size_t len, int how,
			 const char *what)
{
	uint8_t *s = buf(c, 4096), *d = buf(c, 70000);
	struct wd_soft_cqe cqe;
	struct wd_soft_sqe sqe;
	uint32_t in;
	uint16_t o;

	nt_fill_text(s, 4096, 9);
	for (o = WD_SOFT_OP_COPY; o < WD_SOFT_OP_MAX; o++) {
		if (how & BAD_READ) {
			sqe = nq_sqe(o, 0, addr, (uint32_t)len,
				     nq_addr(&c->q, d), 70000);
			cqe = req(c, sqe);
			ASSERT_MSG(cqe.status == WD_SOFT_S_BAD_ADDR,
				   "%s: op %u reading %#llx: %s", what, o,
				   (unsigned long long)addr,
				   nt_stname(cqe.status));
			EQ(cqe.out_len, 0);
		}
		/* a COPY of len bytes (at most 4096); others 16 bytes in */
		in = o == WD_SOFT_OP_COPY ? (len < 4096 ? (uint32_t)len : 4096) :
		     len < 16 ? (uint32_t)len : 16;
		if (o == WD_SOFT_OP_COPY && (how & BAD_WCOPY))
			goto write;
		/* decompressors would find their source CORRUPT first */
		if (!(how & BAD_WRITE) || o == WD_SOFT_OP_INFLATE ||
		    o == WD_SOFT_OP_ZLIB_DECOMP || o == WD_SOFT_OP_GZIP_DECOMP)
			continue;
		/* outputs: copy in, crc 4, sha 32, compressed 16 bytes < 64 */
		if (len < 64 && o != WD_SOFT_OP_COPY)
			continue;
write:
		sqe = nq_sqe(o, 0, nq_addr(&c->q, s), in, addr, (uint32_t)len);
		cqe = req(c, sqe);
		ASSERT_MSG(cqe.status == WD_SOFT_S_BAD_ADDR,
			   "%s: op %u writing %#llx: %s", what, o,
			   (unsigned long long)addr, nt_stname(cqe.status));
	}
	if (how & BAD_READ) {
		struct wd_soft_sge *sge = buf(c, 2 * sizeof(*sge));

		/* an SGL array at the address (when its start is bad) */
		if (how & BAD_WRITE) {
			sqe = nq_sqe(WD_SOFT_OP_COPY, 0, addr, 2,
				     nq_addr(&c->q, d), 100);
			sqe.flags = WD_SOFT_SQE_F_SRC_SGL;
			ST(req(c, sqe), WD_SOFT_S_BAD_ADDR);
			sqe = nq_sqe(WD_SOFT_OP_COPY, 0, nq_addr(&c->q, s), 100,
				     addr, 2);
			sqe.flags = WD_SOFT_SQE_F_DST_SGL;
			ST(req(c, sqe), WD_SOFT_S_BAD_ADDR);
		}
		/* an SGL entry pointing there, after a good one */
		sge[0].addr = nq_addr(&c->q, s);
		sge[0].len = 10;
		sge[0].rsvd = 0;
		sge[1].addr = addr;
		sge[1].len = (uint32_t)len;
		sge[1].rsvd = 0;
		sqe = nq_sqe(WD_SOFT_OP_COPY, 0, nq_addr(&c->q, sge), 2,
			     nq_addr(&c->q, d), 70000);
		sqe.flags = WD_SOFT_SQE_F_SRC_SGL;
		ST(req(c, sqe), WD_SOFT_S_BAD_ADDR);
	}
	nq_ss_reset(&c->q);
	alive(c);
	nq_ss_reset(&c->q);
}

#define BAD	(BAD_READ | BAD_WRITE | BAD_WCOPY)

/*
 * An address range nothing is mapped at and nothing will be: far below
 * where mmap() places mappings (top-down from below the stack) and above
 * the sanitizers' shadow memory; checked free with MAP_FIXED_NOREPLACE.
 * A freshly munmap()ed range is not enough: the allocator (ASan's, in
 * particular) may take it again at once.
 */
static uint8_t *far_map(size_t len, int prot)
{
	uintptr_t a;
	void *p;

	for (a = 0x600000000000ull; a < 0x700000000000ull; a += 1ull << 32) {
		p = mmap((void *)a, len, prot,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == (void *)a)
			return p;
		if (p != MAP_FAILED)
			munmap(p, len);
	}
	FAIL("no free range far from the others");
}

static void *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT(p != MAP_FAILED);
	return p;
}

static void t_sva_bad_addr(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	uint8_t *gone, *none, *ro, *fm;
	char path[256];
	struct wd_soft_cqe cqe;
	int fd;

	CTX(WDL_MODE_SVA);
	/* unmapped */
	gone = far_map(4 * pg, PROT_READ | PROT_WRITE);
	munmap(gone, 4 * pg);
	bad_addr_all(&c, (uintptr_t)gone, 100, BAD, "unmapped");
	/* PROT_NONE */
	none = map(4 * pg, PROT_NONE);
	bad_addr_all(&c, (uintptr_t)none, 100, BAD, "PROT_NONE");
	/* read-only: readable, not writable */
	ro = map(2 * pg, PROT_READ | PROT_WRITE);
	memset(ro, 0x5a, 2 * pg);
	mprotect(ro, 2 * pg, PROT_READ);
	bad_addr_all(&c, (uintptr_t)ro, 100, BAD_WRITE, "read-only");
	{
		uint8_t *s = buf(&c, 100);

		memset(s, 1, 100);
		cqe = op(&c, WD_SOFT_OP_COPY, 0, s, 100, ro, 100);
		ST(cqe, WD_SOFT_S_BAD_ADDR);
		cqe = op(&c, WD_SOFT_OP_COPY, 0, ro, 100, s, 100);
		ST(cqe, WD_SOFT_S_OK);
		EQ(ro[0], 0x5a);
		EQ(ro[99], 0x5a);
		nq_ss_reset(&c.q);
	}
	/* a range that starts mapped and ends unmapped */
	{
		uint8_t *two = far_map(2 * pg, PROT_READ | PROT_WRITE), *s;

		munmap(two + pg, pg);
		memset(two, 3, pg);
		s = buf(&c, 2 * pg);
		cqe = op(&c, WD_SOFT_OP_COPY, 0, two, 2 * pg, s, 2 * pg);
		ST(cqe, WD_SOFT_S_BAD_ADDR);
		cqe = op(&c, WD_SOFT_OP_COPY, 0, s, 2 * pg, two + 8, 2 * pg);
		ST(cqe, WD_SOFT_S_BAD_ADDR);
		munmap(two, pg);
		nq_ss_reset(&c.q);
	}
	/* beyond the end of a mapped file: SIGBUS */
	nt_tmpfile("x", 1, path, sizeof(path));
	fd = open(path, O_RDWR);
	ASSERT(fd >= 0);
	fm = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT(fm != MAP_FAILED);
	close(fd);
	unlink(path);
	bad_addr_all(&c, (uintptr_t)fm + 2 * pg, 100, BAD, "past EOF");
	/* kernel, non-canonical, NULL, wrapping */
	bad_addr_all(&c, 0xffff888000000000ull, 100, BAD, "kernel");
	bad_addr_all(&c, 0x8000000000000000ull, 100, BAD, "non-canonical");
	bad_addr_all(&c, 0, 100, BAD, "NULL");
	bad_addr_all(&c, 0xfffffffffffff000ull, 0x2000, BAD, "wrapping");
	munmap(fm, 3 * pg);
	munmap(none, 4 * pg);
	munmap(ro, 2 * pg);
	ctx_fini(&c);
}

TEST(sva_bad_addr) { t_sva_bad_addr(); }
TEST(sva_bad_addr_signal)
{
	g_sva_copy = WDL_SVA_COPY_SIGNAL;
	t_sva_bad_addr();
}

TEST(pasid_bad_addr)
{
	struct wd_soft_cqe cqe;
	struct nq other;
	uint8_t *heap, *s, *o;

	CTX(WDL_MODE_PASID);
	heap = nt_xzalloc(8192);
	/* the heap is the process's, but not the queue's: unreachable */
	bad_addr_all(&c, (uintptr_t)heap, 100, BAD, "heap");
	bad_addr_all(&c, (uintptr_t)c.q.ss - 1, 100, BAD, "below SS");
	bad_addr_all(&c, (uintptr_t)c.q.ss + SS_SIZE - 50, 100,
		     BAD_READ | BAD_WCOPY,
		     "straddling the end of SS");
	bad_addr_all(&c, (uintptr_t)c.q.ss + SS_SIZE, 1, BAD, "end of SS");
	bad_addr_all(&c, 0x10, 16, BAD, "low address");
	/* the last byte of SS is fine */
	s = buf(&c, 16);
	memset(s, 7, 16);
	cqe = op(&c, WD_SOFT_OP_COPY, 0, s, 1, c.q.ss + SS_SIZE - 1, 1);
	ST(cqe, WD_SOFT_S_OK);
	EQ(c.q.ss[SS_SIZE - 1], 7);
	/* another queue's SS region, not shared with us */
	nq_open(&other, c.dev, 1 << 16);
	o = other.ss;
	memset(o, 0xee, 100);
	bad_addr_all(&c, (uintptr_t)o, 100, BAD, "another queue's SS");
	EQ(o[0], 0xee);
	nq_close(&other);
	/* the heap was never written */
	for (int i = 0; i < 8192; i++)
		ASSERT(heap[i] == 0);
	free(heap);
	ctx_fini(&c);

	/* a queue without SS reaches nothing */
	c.dev = nt_dev(WDL_MODE_PASID, 2, 1);
	nq_open(&c.q, c.dev, 0);
	heap = nt_xzalloc(64);
	cqe = req(&c, nq_sqe(WD_SOFT_OP_COPY, 0, (uintptr_t)heap, 10,
			     (uintptr_t)heap + 32, 10));
	ST(cqe, WD_SOFT_S_BAD_ADDR);
	free(heap);
	ctx_fini(&c);
}

TEST(noiommu_bad_addr)
{
	struct wd_soft_cqe cqe;
	uint64_t dma = 0, end;
	struct nq other;
	uint8_t *s;

	CTX(WDL_MODE_NOIOMMU);
	OK(wdl_queue_ss_dma(c.q.q, &dma));
	ASSERT(dma >= WDL_BUS_BASE);
	end = dma + SS_SIZE;
	/* the SS region's own virtual address is not a bus address */
	bad_addr_all(&c, (uintptr_t)c.q.ss, 100, BAD, "SS virtual address");
	bad_addr_all(&c, dma - 1, 100, BAD, "below the bus range");
	bad_addr_all(&c, end - 50, 100, BAD_READ | BAD_WCOPY,
		     "straddling its end");
	bad_addr_all(&c, end, 1, BAD, "its end");
	bad_addr_all(&c, 0, 100, BAD, "bus address 0");
	bad_addr_all(&c, ~0ull - 10, 100, BAD, "wrapping");
	/* the last byte is fine */
	s = buf(&c, 16);
	memset(s, 9, 16);
	cqe = req(&c, nq_sqe(WD_SOFT_OP_COPY, 0, nq_addr(&c.q, s), 1, end - 1, 1));
	ST(cqe, WD_SOFT_S_OK);
	EQ(c.q.ss[SS_SIZE - 1], 9);
	/* another queue's bus range */
	nq_open(&other, c.dev, 1 << 16);
	ASSERT(other.ss_dma != dma);
	memset(other.ss, 0xee, 100);
	bad_addr_all(&c, other.ss_dma, 100, BAD, "another queue's SS");
	EQ(other.ss[0], 0xee);
	nq_close(&other);
	ctx_fini(&c);
}

/* ---- faults that are not the engine's ---- */

/* an address nothing is mapped at, hidden from the compiler */
static volatile int *volatile bad_ptr = (volatile int *)(uintptr_t)16;

/* a fault outside the engine's copy still ends the process as before */
static void t_foreign_fault_kills(void)
{
	struct wdl_config cfg = {
		.mode = WDL_MODE_SVA, .nr_queues = 1, .sva_copy = g_sva_copy,
	};
	struct wdl_dev *dev;
	int st;
	pid_t pid;

	OK(wdl_dev_create(&cfg, &dev));
	/*
	 * Fork only once the new engine sleeps: a thread inside malloc() at
	 * fork() leaves the child's allocator locked (GCC 12's ASan allocator
	 * does not guard against it), and the child allocates.
	 */
	NT_WAIT_UNTIL(nt_engines_asleep(dev), "a new engine never slept");
	pid = fork();
	ASSERT(pid >= 0);
	if (!pid) {
		/* a device of the child's own (signal: the handler is live) */
		struct wdl_dev *d2;

		if (wdl_dev_create(&cfg, &d2))
			_exit(4);
		/* quiet: ASan reports the fault before it ends the child */
		if (!freopen("/dev/null", "w", stderr))
			_exit(3);
		*bad_ptr = 1;
		_exit(0);
	}
	ASSERT(waitpid(pid, &st, 0) == pid);
	/* SIGSEGV (or ASan's report and abort under the sanitizers) */
	ASSERT_MSG(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st)),
		   "the child survived its own fault (status %#x)", st);
	if (!nt_sanitized)
		ASSERT_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
			   "status %#x", st);
	wdl_dev_destroy(dev);
}

TEST(foreign_fault_kills) { t_foreign_fault_kills(); }
TEST(foreign_fault_kills_signal)
{
	g_sva_copy = WDL_SVA_COPY_SIGNAL;
	t_foreign_fault_kills();
}

static sigjmp_buf user_env;
static volatile int user_hits;

static void user_handler(int sig)
{
	(void)sig;
	user_hits++;
	siglongjmp(user_env, 1);
}

/*
 * An application's own SIGSEGV handler, installed before and after the
 * device exists, still gets its own faults; the engine's bad addresses
 * stay the device's (signal: our handler stands in for the application's,
 * and START_Q puts it back after the application replaced it).
 */
static void t_chained_handler(void)
{
	struct sigaction sa;
	struct wd_soft_cqe cqe;
	volatile int round;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = user_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	for (round = 0; round < 2; round++) {
		CTX(WDL_MODE_SVA);
		if (round == 1) {
			/* replaced after the device: START_Q re-installs ours */
			sigaction(SIGSEGV, &sa, NULL);
			nq_stop(&c.q);
			nq_start(&c.q);
		}
		cqe = req(&c, nq_sqe(WD_SOFT_OP_COPY, 0, 0x1000, 10,
				     (uintptr_t)buf(&c, 10), 10));
		ST(cqe, WD_SOFT_S_BAD_ADDR);
		if (!sigsetjmp(user_env, 1))
			*bad_ptr = 2;
		EQ(user_hits, round + 1);
		alive(&c);
		ctx_fini(&c);
	}
}

TEST(chained_handler) { t_chained_handler(); }
TEST(chained_handler_signal)
{
	g_sva_copy = WDL_SVA_COPY_SIGNAL;
	t_chained_handler();
}

/* ---- the default installs no handler ---- */

static void sig_snapshot(struct sigaction *sa)
{
	for (int i = 1; i < NSIG; i++) {
		memset(&sa[i], 0, sizeof(sa[i]));
		sigaction(i, NULL, &sa[i]);	/* glibc's own two: EINVAL */
	}
}

/* the signals (bit n - 1 for signal n) whose action differs from @was */
static uint64_t sig_changed(const struct sigaction *was)
{
	struct sigaction now[NSIG];
	uint64_t m = 0;

	sig_snapshot(now);
	for (int i = 1; i < NSIG && i <= 64; i++) {
		bool diff = now[i].sa_handler != was[i].sa_handler ||
			    now[i].sa_flags != was[i].sa_flags;

		for (int s = 1; s < NSIG; s++)
			diff |= sigismember(&now[i].sa_mask, s) !=
				sigismember(&was[i].sa_mask, s);
		if (diff)
			m |= 1ull << (i - 1);
	}
	return m;
}

/* /proc/self/task/TID/status SigBlk */
static uint64_t task_sigblk(pid_t tid)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	ASSERT(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &v) == 1)
			break;
	fclose(f);
	return v;
}

#define SIGBIT(s)	(1ull << ((s) - 1))
#define BIT_SEGV_BUS	(SIGBIT(SIGSEGV) | SIGBIT(SIGBUS))

/*
 * Devices in every mode with the default sva_copy, SVA requests with every
 * kind of bad address (BAD_ADDR each): no signal's action changes (the
 * application's own SIGSEGV handler, set first, is still there), and the
 * engines block SIGSEGV and SIGBUS with the rest. Then a signal-mode
 * device: SIGSEGV's and SIGBUS's actions do change, which shows that the
 * check sees a handler when there is one.
 */
TEST(sva_no_handler)
{
	struct sigaction sa, before[NSIG];
	long pg = sysconf(_SC_PAGESIZE);
	struct wdl_config scfg = {
		.mode = WDL_MODE_SVA, .nr_queues = 1,
		.sva_copy = WDL_SVA_COPY_SIGNAL,
	};
	struct wdl_dev *pasid, *noiommu, *sdev;
	uint8_t *gone, *none, *ro;
	pid_t tids[4];
	uint64_t changed;
	int n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = user_handler;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR1);
	sigaction(SIGSEGV, &sa, NULL);
	sig_snapshot(before);

	CTX(WDL_MODE_SVA);
	pasid = nt_dev(WDL_MODE_PASID, 1, 1);
	noiommu = nt_dev(WDL_MODE_NOIOMMU, 1, 1);
	gone = far_map(pg, PROT_READ | PROT_WRITE);
	munmap(gone, pg);
	none = map(pg, PROT_NONE);
	ro = map(pg, PROT_READ);
	bad_addr_all(&c, (uintptr_t)gone, 100, BAD, "unmapped");
	bad_addr_all(&c, (uintptr_t)none, 100, BAD, "PROT_NONE");
	bad_addr_all(&c, (uintptr_t)ro, 100, BAD_WRITE, "read-only");
	bad_addr_all(&c, 0, 100, BAD, "NULL");
	changed = sig_changed(before);
	ASSERT_MSG(!changed, "signal actions changed: %#llx (bit n-1: signal n)",
		   (unsigned long long)changed);
	EQ(user_hits, 0);
	/*
	 * The engines block SIGSEGV and SIGBUS: a kill() never lands there.
	 * (Asleep first: a new thread starts with every signal blocked until
	 * glibc sets the mask it was created with.)
	 */
	NT_WAIT_UNTIL(nt_engines_asleep(c.dev) && nt_engines_asleep(pasid),
		      "the engines never slept");
	n = nt_engine_tids(c.dev, tids, 4);
	EQ(n, 1);
	EQ_HEX(task_sigblk(tids[0]) & BIT_SEGV_BUS, BIT_SEGV_BUS);
	n = nt_engine_tids(pasid, tids, 4);
	EQ(n, 1);
	EQ_HEX(task_sigblk(tids[0]) & BIT_SEGV_BUS, BIT_SEGV_BUS);

	/* positive control: the opt-in replaces exactly these two */
	OK(wdl_dev_create(&scfg, &sdev));
	EQ_HEX(sig_changed(before), BIT_SEGV_BUS);
	NT_WAIT_UNTIL(nt_engines_asleep(sdev), "the engine never slept");
	n = nt_engine_tids(sdev, tids, 4);
	EQ(n, 1);
	EQ_HEX(task_sigblk(tids[0]) & BIT_SEGV_BUS, 0);
	wdl_dev_destroy(sdev);
	wdl_dev_destroy(noiommu);
	wdl_dev_destroy(pasid);
	munmap(none, pg);
	munmap(ro, pg);
	ctx_fini(&c);
}

/*
 * Where a seccomp filter refuses process_vm_readv/writev (EPERM here),
 * an SVA device with the default copy is refused at creation with that
 * error, instead of failing every request with BAD_ADDR; pasid and the
 * opt-in signal mode still work.
 */
TEST(kernel_copy_refused)
{
#if defined(__x86_64__)
	const unsigned int arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	const unsigned int arch = AUDIT_ARCH_AARCH64;
#else
	const unsigned int arch = 0;

	nt_skip("no seccomp filter written for this architecture");
#endif
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_writev, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	int st;
	pid_t pid = fork();

	ASSERT(pid >= 0);
	if (!pid) {
		struct wdl_config cfg = { .mode = WDL_MODE_SVA, .nr_queues = 1 };
		struct wdl_dev *dev = NULL;
		int r;

		/* the filter goes with this child, which ends with _exit() */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(3);
		r = wdl_dev_create(&cfg, &dev);
		if (r != -EPERM)
			_exit(10 + (r < 0 ? -r : 100));
		g_sva_copy = WDL_SVA_COPY_SIGNAL;
		{
			CTX(WDL_MODE_SVA);
			/* ...and a bad address is caught by the handler */
			ST(req(&c, nq_sqe(WD_SOFT_OP_COPY, 0, 0x1000, 10,
					  (uintptr_t)buf(&c, 10), 10)),
			   WD_SOFT_S_BAD_ADDR);
			alive(&c);
			ctx_fini(&c);
		}
		{
			CTX(WDL_MODE_PASID);
			alive(&c);
			ctx_fini(&c);
		}
		_exit(0);
	}
	ASSERT(waitpid(pid, &st, 0) == pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
		nt_skip("cannot install a seccomp filter");
	ASSERT_MSG(!(WIFEXITED(st) && WEXITSTATUS(st) >= 10),
		   "wdl_dev_create() under the filter: %d, expected -EPERM",
		   WEXITSTATUS(st) == 110 ? 0 : -(WEXITSTATUS(st) - 10));
	ASSERT_MSG(WIFEXITED(st) && !WEXITSTATUS(st), "child status %#x", st);
}
