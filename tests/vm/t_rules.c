// SPDX-License-Identifier: GPL-2.0
/*
 * t_rules: the completion statuses of wd_soft_v1 for every operation, in
 * every memory mode (docs/soft-device.md): CORRUPT (random data, truncated
 * streams, trailing bytes, wrong Adler-32, CRC-32, ISIZE, header CRC,
 * magic, method, flags, a preset dictionary), DST_SMALL with the size
 * needed in out_len, BAD_OP, INVAL (flags, reserved fields, params, levels,
 * SGL entry count and rsvd, the 64 MiB source limit). After each refusal the
 * queue carries on. Streams to decompress are made by user-space zlib; the
 * CRC-32C reference is tests/lib/ref.c. Bad addresses: t_rules_addr.
 */
#include "rules.h"
#include "ref.h"

#include <stdlib.h>

static const uint16_t decomp[] = {
	WD_SOFT_OP_INFLATE, WD_SOFT_OP_ZLIB_DECOMP, WD_SOFT_OP_GZIP_DECOMP,
};
static const uint16_t comp[] = {
	WD_SOFT_OP_DEFLATE, WD_SOFT_OP_ZLIB_COMP, WD_SOFT_OP_GZIP_COMP,
};
static const int wbits[] = { -15, 15, 31 };

/* ---- CORRUPT ---- */

/* gzip with a header CRC (FHCRC) over zlib's raw stream: right, then wrong */
static void corrupt_fhcrc(struct ctx *c, const uint8_t *text)
{
	uint8_t hdr[12] = { 0x1f, 0x8b, 8, 0x02, 0, 0, 0, 0, 0, 3 };
	uint32_t v = (uint32_t)crc32(0, hdr, 10);
	uint8_t *g, *d;
	size_t rlen;
	void *raw;

	ref_deflate(text, 1000, 6, -15, NULL, &raw, &rlen);
	hdr[10] = (uint8_t)v;
	hdr[11] = (uint8_t)(v >> 8);
	g = buf(c, 12 + rlen + 8);
	d = buf(c, 1000);
	memcpy(g, hdr, 12);
	memcpy(g + 12, raw, rlen);
	v = (uint32_t)crc32(0, text, 1000);
	memcpy(g + 12 + rlen, &v, 4);
	v = 1000;
	memcpy(g + 12 + rlen + 4, &v, 4);
	ST(op(c, WD_SOFT_OP_GZIP_DECOMP, 0, g, 12 + rlen + 8, d, 1000),
	   WD_SOFT_S_OK);
	T_ASSERT(!memcmp(d, text, 1000));
	g[10] ^= 1;
	ST(op(c, WD_SOFT_OP_GZIP_DECOMP, 0, g, 12 + rlen + 8, d, 1000),
	   WD_SOFT_S_CORRUPT);
	free(raw);
}

/* format f's stream z (clen bytes) of n bytes, spoilt in every way */
static void corrupt_fmt(struct ctx *c, int f, const uint8_t *z, size_t clen,
			size_t n)
{
	uint8_t *s = buf(c, clen + 64), *d = buf(c, n + 64);
	struct wd_soft_cqe cqe;

	/* the valid stream, for reference */
	memcpy(s, z, clen);
	cqe = op(c, decomp[f], 0, s, clen, d, n);
	ST(cqe, WD_SOFT_S_OK);
	T_EQ(cqe.out_len, n);
	/* random data (raw: BTYPE 11, reserved, first) */
	t_fill_random(s, clen, 7 + f);
	if (f == 0)
		s[0] = 0xff;
	cqe = op(c, decomp[f], 0, s, clen, d, n + 64);
	ST(cqe, WD_SOFT_S_CORRUPT);
	T_EQ(cqe.out_len, 0);
	/* truncated anywhere, down to nothing */
	memcpy(s, z, clen);
	for (size_t i = 0; i < 6; i++) {
		size_t cut = i == 0 ? 0 : i == 1 ? 1 : i == 2 ? clen / 2 :
			     clen - 1 - (i - 3);

		cqe = op(c, decomp[f], 0, s, cut, d, n + 64);
		T_ASSERT_MSG(cqe.status == WD_SOFT_S_CORRUPT, "format %d cut at "
			     "%zu of %zu: %s", f, cut, clen, stname(cqe.status));
	}
	/* trailing bytes */
	memcpy(s + clen, "garbage!", 8);
	for (size_t i = 1; i <= 8; i += 7) {
		cqe = op(c, decomp[f], 0, s, clen + i, d, n + 64);
		T_ASSERT_MSG(cqe.status == WD_SOFT_S_CORRUPT, "format %d with "
			     "%zu trailing bytes: %s", f, i, stname(cqe.status));
	}
	/* a wrong check value: Adler-32 (zlib), CRC-32 (gzip) */
	if (f > 0) {
		s[clen - (f == 1 ? 1 : 8)] ^= 0x01;
		ST(op(c, decomp[f], 0, s, clen, d, n + 64), WD_SOFT_S_CORRUPT);
	}
	if (f == 2) {
		memcpy(s, z, clen);
		s[clen - 2] ^= 0x10;	/* ISIZE */
		ST(op(c, decomp[f], 0, s, clen, d, n + 64), WD_SOFT_S_CORRUPT);
		/* bad magic, bad method, reserved flags */
		for (int i = 0; i < 3; i++) {
			memcpy(s, z, clen);
			s[i + 1] ^= i == 2 ? 0x20 : 0x01;
			ST(op(c, decomp[f], 0, s, clen, d, n + 64),
			   WD_SOFT_S_CORRUPT);
		}
	}
	if (f == 1) {
		/* a preset dictionary (FDICT, FCHECK kept right): unsupported */
		unsigned int flg;

		memcpy(s, z, clen);
		flg = (s[1] & 0xc0) | 0x20;
		if ((s[0] * 256u + flg) % 31)
			flg += 31 - (s[0] * 256u + flg) % 31;
		s[1] = (uint8_t)flg;
		ST(op(c, decomp[f], 0, s, clen, d, n + 64), WD_SOFT_S_CORRUPT);
	}
}

static void t_corrupt(enum mode m)
{
	size_t n = 200000, clen;
	uint8_t *text = gen(n, false, 42);
	struct ctx c;
	void *z;

	rules_init(&c, m, "");
	for (int f = 0; f < 3; f++) {
		ref_deflate(text, n, 6, wbits[f], NULL, &z, &clen);
		corrupt_fmt(&c, f, z, clen, n);
		free(z);
		c.q.ss_used = 0;
	}
	corrupt_fhcrc(&c, text);
	alive(&c);
	free(text);
	ctx_fini(&c, "corrupt");
}

TEST(sva_corrupt) { t_corrupt(SVA); }
TEST(pasid_corrupt) { t_corrupt(PASID); }
TEST(noiommu_corrupt) { t_corrupt(NOIOMMU); }

/* ---- DST_SMALL ---- */

static void t_dst_small(enum mode m)
{
	size_t n = 100000, clen, need;
	struct wd_soft_cqe cqe;
	uint8_t *s, *d, *text = gen(n, false, 3);
	struct ctx c;
	void *z;

	rules_init(&c, m, "");
	s = buf(&c, n);
	d = buf(&c, 2 * n);
	memcpy(s, text, n);
	memset(d, 0xa5, 2 * n);
	/* copy, digests: out_len the size needed, nothing written */
	cqe = op(&c, WD_SOFT_OP_COPY, 0, s, n, d, n - 1);
	ST(cqe, WD_SOFT_S_DST_SMALL);
	T_EQ(cqe.out_len, n);
	cqe = op(&c, WD_SOFT_OP_CRC32C, 0, s, n, d, 3);
	ST(cqe, WD_SOFT_S_DST_SMALL);
	T_EQ(cqe.out_len, 4);
	cqe = op(&c, WD_SOFT_OP_SHA256, 0, s, n, d, 31);
	ST(cqe, WD_SOFT_S_DST_SMALL);
	T_EQ(cqe.out_len, 32);
	for (size_t i = 0; i < n; i++)
		T_ASSERT_MSG(d[i] == 0xa5, "DST_SMALL wrote byte %zu", i);

	for (int f = 0; f < 3; f++) {
		/*
		 * Output that fits one chunk: the size needed is exact. It is
		 * the stream path's (zlib); in-process, a one-shot backend
		 * (libdeflate) may make a stream of another size first and
		 * falls back when that does not fit: whatever fits is OK.
		 */
		cqe = op(&c, comp[f], 0, s, 1000, d, 20);
		ST(cqe, WD_SOFT_S_DST_SMALL);
		need = cqe.out_len;
		T_ASSERT_MSG(need > 20 && need < 2000, "format %d: out_len %zu", f, need);
		cqe = op(&c, comp[f], 0, s, 1000, d, need - 1);
		if (cqe.status == WD_SOFT_S_OK) {
			T_ASSERT_MSG(cqe.out_len <= need - 1, "format %d: %u bytes in %zu",
				     f, cqe.out_len, need - 1);
		} else {
			ST(cqe, WD_SOFT_S_DST_SMALL);
			T_EQ(cqe.out_len, need);
		}
		cqe = op(&c, comp[f], 0, s, 1000, d, need);
		ST(cqe, WD_SOFT_S_OK);
		T_ASSERT_MSG(cqe.out_len <= need, "format %d: %u bytes in %zu", f,
			     cqe.out_len, need);
		T_ASSERT_MSG(!ref_inflate(d, cqe.out_len, d + n, n, &clen, wbits[f]) &&
			     clen == 1000 && !memcmp(d + n, s, 1000),
			     "format %d: the output does not decompress to the input", f);
		/* larger: the size needed, or 0 when not known */
		cqe = op(&c, comp[f], 0, s, n, d, 1000);
		ST(cqe, WD_SOFT_S_DST_SMALL);
		T_ASSERT_MSG(cqe.out_len == 0 || cqe.out_len > 1000,
			     "format %d: out_len %u", f, cqe.out_len);
		/* decompression into too little room */
		ref_deflate(text, n, 6, wbits[f], NULL, &z, &clen);
		memcpy(d + n, z, clen);
		cqe = op(&c, decomp[f], 0, d + n, clen, d, n - 1);
		ST(cqe, WD_SOFT_S_DST_SMALL);
		/* gzip: ISIZE tells; the others: exact or 0 */
		if (f == 2)
			T_EQ(cqe.out_len, n);
		else
			T_ASSERT_MSG(cqe.out_len == 0 || cqe.out_len == n,
				     "format %d: out_len %u", f, cqe.out_len);
		ST(op(&c, decomp[f], 0, d + n, clen, d, 0), WD_SOFT_S_DST_SMALL);
		free(z);
	}
	alive(&c);
	free(text);
	ctx_fini(&c, "dst_small");
}

TEST(sva_dst_small) { t_dst_small(SVA); }
TEST(pasid_dst_small) { t_dst_small(PASID); }
TEST(noiommu_dst_small) { t_dst_small(NOIOMMU); }

/* ---- BAD_OP and INVAL ---- */

/* SGL rules: more than 4096 entries, rsvd set, a total over 64 MiB */
static void inval_sgl(struct ctx *c, uint8_t *s, uint8_t *d)
{
	struct wd_soft_sge *sge = buf(c, 4 * sizeof(*sge));
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;

	for (int i = 0; i < 4; i++)
		sge[i] = (struct wd_soft_sge){ t_q_addr(&c->q, s), 1000, 0 };
	sqe = sqe_of(WD_SOFT_OP_COPY, 0, t_q_addr(&c->q, sge), 4097,
		     t_q_addr(&c->q, d), 4096);
	sqe.flags = WD_SOFT_SQE_F_SRC_SGL;
	ST(req(c, sqe), WD_SOFT_S_INVAL);
	sqe.src_len = 4;
	cqe = req(c, sqe);
	ST(cqe, WD_SOFT_S_OK);
	T_EQ(cqe.out_len, 4000);
	sge[2].rsvd = 1;
	ST(req(c, sqe), WD_SOFT_S_INVAL);
	sge[2].rsvd = 0;
	sge[1].len = sge[2].len = 0xffffffffu;
	ST(req(c, sqe), WD_SOFT_S_INVAL);
	sge[1].len = sge[2].len = 1000;
	/* a destination SGL with too many entries */
	sqe = sqe_of(WD_SOFT_OP_COPY, 0, t_q_addr(&c->q, s), 10,
		     t_q_addr(&c->q, sge), 5000);
	sqe.flags = WD_SOFT_SQE_F_DST_SGL;
	ST(req(c, sqe), WD_SOFT_S_INVAL);
}

static void t_inval(enum mode m)
{
	static const uint16_t zero_params[] = {
		WD_SOFT_OP_NOP, WD_SOFT_OP_COPY, WD_SOFT_OP_SHA256,
		WD_SOFT_OP_INFLATE, WD_SOFT_OP_ZLIB_DECOMP,
		WD_SOFT_OP_GZIP_DECOMP,
	};
	static const uint16_t bad_ops[] = {
		WD_SOFT_OP_MAX, WD_SOFT_OP_MAX + 1, WD_SOFT_OP_MAX + 2, 0x100,
		0x7fff, 0xffff,
	};
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;
	uint8_t *s, *d;
	struct ctx c;

	rules_init(&c, m, "");
	s = buf(&c, 4096);
	d = buf(&c, 4096);
	t_fill_random(s, 4096, 1);
	/* unknown operations */
	for (unsigned int i = 0; i < sizeof(bad_ops) / 2; i++) {
		cqe = op(&c, bad_ops[i], 0, s, 10, d, 10);
		ST(cqe, WD_SOFT_S_BAD_OP);
		T_EQ(cqe.out_len, 0);
	}
	/* flags and reserved fields come first, whatever the op */
	sqe = sqe_of(WD_SOFT_OP_COPY, 0, t_q_addr(&c.q, s), 10,
		     t_q_addr(&c.q, d), 10);
	sqe.flags = 1u << 3;	/* 1u << 2 is F_STATE: t_sha_state */
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sqe.flags = 0x8000;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sqe.flags = 0;
	/* rsvd, and a state without F_STATE (formerly rsvd[1]) */
	sqe.rsvd = 1;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sqe.rsvd = 0;
	sqe.state = 1ull << 20;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sqe.state = 0;
	/* stream flags without a context */
	sqe.sflags = WD_SOFT_SF_SYNC_FLUSH;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	sqe.sflags = 0;
	sqe.op = 0x7777;
	sqe.rsvd = 5;
	ST(req(&c, sqe), WD_SOFT_S_INVAL);
	/* params where they must be 0 */
	for (unsigned int i = 0; i < sizeof(zero_params) / 2; i++) {
		cqe = op(&c, zero_params[i], 1, s, 10, d, 100);
		T_ASSERT_MSG(cqe.status == WD_SOFT_S_INVAL, "op %u with params "
			     "1: %s", zero_params[i], stname(cqe.status));
	}
	/* levels above 9 (every level: t_algs_comp's *_levels) */
	for (int f = 0; f < 3; f++) {
		ST(op(&c, comp[f], 10, s, 10, d, 100), WD_SOFT_S_INVAL);
		ST(op(&c, comp[f], ~0u, s, 10, d, 100), WD_SOFT_S_INVAL);
	}
	/* crc32c takes any seed */
	ST(op(&c, WD_SOFT_OP_CRC32C, ~0u, s, 10, d, 4), WD_SOFT_S_OK);
	/* the 64 MiB source limit, checked before any data is read */
	ST(op(&c, WD_SOFT_OP_COPY, 0, s, (64u << 20) + 1, d, ~0u),
	   WD_SOFT_S_INVAL);
	ST(op(&c, WD_SOFT_OP_SHA256, 0, s, ~0u, d, 32), WD_SOFT_S_INVAL);
	inval_sgl(&c, s, d);
	alive(&c);
	ctx_fini(&c, "inval");
}

TEST(sva_inval) { t_inval(SVA); }
TEST(pasid_inval) { t_inval(PASID); }
TEST(noiommu_inval) { t_inval(NOIOMMU); }

/* ---- CRC-32C at every alignment ---- */

/*
 * The device's CRC-32C at every source alignment 0..7 and length 0..71
 * (the edges of an 8-byte-wide implementation), then larger random pieces
 * chained through params, against the bitwise reference.
 */
TEST(crc32c_alignments)
{
	size_t big = 1 << 20;
	uint8_t *data = gen(big, true, 77), *s, *d;
	uint64_t seed = 3;
	struct ctx c;

	rules_init(&c, SVA, "");
	s = buf(&c, big);
	d = buf(&c, 8);
	memcpy(s, data, big);
	for (size_t off = 0; off < 8; off++) {
		for (size_t len = 0; len < 72; len++) {
			struct wd_soft_cqe cqe = op(&c, WD_SOFT_OP_CRC32C,
						    0x1234567u, s + off, len, d, 4);
			uint32_t v;

			ST(cqe, WD_SOFT_S_OK);
			memcpy(&v, d, 4);
			T_ASSERT_MSG(v == ref_crc32c_raw(0x1234567u, data + off, len),
				     "CRC-32C at offset %zu, %zu bytes: %#x, "
				     "expected %#x", off, len, v,
				     ref_crc32c_raw(0x1234567u, data + off, len));
		}
	}
	for (int i = 0; i < 20; i++) {
		size_t off = (seed = seed * 6364136223846793005ull + 1) >> 52;
		size_t len = ((seed = seed * 6364136223846793005ull + 1) >> 33) %
			     (big - off);
		uint32_t v;

		ST(op(&c, WD_SOFT_OP_CRC32C, ~0u, s + off, len / 3, d, 4),
		   WD_SOFT_S_OK);
		memcpy(&v, d, 4);
		ST(op(&c, WD_SOFT_OP_CRC32C, v, s + off + len / 3,
		      len - len / 3, d, 4), WD_SOFT_S_OK);
		memcpy(&v, d, 4);
		T_EQ_HEX(v, ref_crc32c_raw(~0u, data + off, len));
	}
	free(data);
	ctx_fini(&c, "crc32c alignments");
}

/* ---- an operation left out of the device ---- */

/*
 * An in-process instance made with some operations only (ops=MASK, bit n
 * for op n) lists only those, refuses the others with BAD_OP, and a mask
 * naming an unknown operation is refused at creation.
 */
TEST(op_mask)
{
	char opts[64], algs[256], spec[64];
	struct ctx c;
	int id;

	T_NEED_LOCAL("ops= is an option of the in-process device only");
	snprintf(opts, sizeof(opts), "ops=%u",
		 1u << WD_SOFT_OP_NOP | 1u << WD_SOFT_OP_COPY);
	rules_init(&c, SVA, opts);
	T_ASSERT(t_attr_str(c.in.ua, "algorithms", algs, sizeof(algs)) > 0);
	T_STREQ(algs, "nop\ncopy");
	uint8_t *s = buf(&c, 100), *d = buf(&c, 100);

	ST(op(&c, WD_SOFT_OP_CRC32C, 0, s, 10, d, 4), WD_SOFT_S_BAD_OP);
	ST(op(&c, WD_SOFT_OP_GZIP_COMP, 0, s, 10, d, 100), WD_SOFT_S_BAD_OP);
	alive(&c);
	ctx_fini(&c, "op mask");
	id = t_free_id();
	snprintf(spec, sizeof(spec), "%d ops=%u", id, 1u << WD_SOFT_OP_MAX);
	T_EQ(t_inst_new_raw(spec), -EINVAL);
}
