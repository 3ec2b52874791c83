// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wdl_algs: every memory model x every algorithm of the in-process device
 * against references independent of its backends (ref.c): COPY by
 * memcmp, CRC32C by the bitwise definition and the RFC 3720 vectors,
 * SHA-256 by the sha256sum program, gzip output by the gzip program,
 * zlib and raw deflate output by zlib's inflate, and decompression of
 * data made by zlib and by the gzip program at several levels. Sizes 0,
 * 1, 4095, 64 KiB - 1, 64 KiB, 64 KiB + 1, 1 MiB and 5 MiB (noiommu: up to
 * 1 MiB, as its SS region holds 4 MiB), flat and with scatter-gather lists
 * on either side (up to 1 MiB).
 */
#include "nt.h"

#include <stdlib.h>
#include <zlib.h>

static const size_t sizes[] = {
	0, 1, 4095, 65535, 65536, 65537, 1 << 20, 5 << 20,
};
#define NR_SIZES (sizeof(sizes) / sizeof(sizes[0]))

/* SGL variants up to this size; larger ones are flat only */
#define SGL_MAX		(1u << 20)
#define SS_SIZE(m)	((m) == WDL_MODE_NOIOMMU ? WDL_SS_MAX_NOIOMMU : 16u << 20)

struct ctx {
	struct wdl_dev *dev;
	struct nq q;
	enum wdl_mode mode;
	uint64_t ud;
};

static void ctx_init(struct ctx *c, enum wdl_mode mode)
{
	memset(c, 0, sizeof(*c));
	c->mode = mode;
	c->dev = nt_dev(mode, 4, 1);
	nq_open(&c->q, c->dev, SS_SIZE(mode));
}

static void ctx_fini(struct ctx *c)
{
	nq_close(&c->q);
	wdl_dev_destroy(c->dev);
}

static bool size_ok(const struct ctx *c, size_t n)
{
	return c->mode != WDL_MODE_NOIOMMU || n <= (1u << 20);
}

/* variants: 0 flat/flat, 1 SGL src, 2 SGL dst, 3 SGL both */
static int nr_variants(size_t n)
{
	return n <= SGL_MAX ? 4 : 1;
}

static void *gen(size_t n, unsigned int i)
{
	uint8_t *p = nt_xmalloc(n + 1);

	/* text (compressible) and random (not) in turn */
	if (i & 1)
		nt_fill_random(p, n, 0x5eed + n);
	else
		nt_fill_text(p, n, 0x7e47 + n);
	return p;
}

/*
 * Run one request: src data (n bytes) in, dst of cap bytes; returns the
 * CQE and copies out_len bytes of output (if OK) to a new buffer *out.
 */
static struct wd_soft_cqe run(struct ctx *c, uint16_t op, uint32_t params,
			      const void *src, size_t n, size_t cap, int var,
			      void **out)
{
	struct tbuf s, d;
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;
	uint8_t *o;

	nq_ss_reset(&c->q);
	tb_alloc(&c->q, &s, n, var & 1, c->ud * 7 + 1);
	tb_alloc(&c->q, &d, cap, var & 2, c->ud * 13 + 5);
	tb_put(&s, src, n);
	sqe = nq_sqe(op, params, 0, 0, 0, 0);
	sqe.user_data = ++c->ud;
	tb_src(&s, &sqe);
	tb_dst(&d, &sqe);
	cqe = nq_run(&c->q, &sqe);
	o = NULL;
	if (cqe.status == WD_SOFT_S_OK) {
		if (cqe.out_len > cap)
			FAIL("out_len %u > capacity %zu", cqe.out_len, cap);
		o = nt_xmalloc(cqe.out_len + 1);
		tb_get(&d, o, cqe.out_len);
	}
	if (out)
		*out = o;
	else
		free(o);
	tb_free(&s);
	tb_free(&d);
	return cqe;
}

#define CTX(m) \
	struct ctx c; \
	ctx_init(&c, m)

/* ---- copy ---- */

static void t_copy(enum wdl_mode m)
{
	unsigned int i;
	int v;

	CTX(m);
	for (i = 0; i < NR_SIZES; i++) {
		size_t n = sizes[i];
		void *src, *out;
		struct wd_soft_cqe cqe;

		if (!size_ok(&c, n))
			continue;
		src = gen(n, i);
		for (v = 0; v < nr_variants(n); v++) {
			cqe = run(&c, WD_SOFT_OP_COPY, 0, src, n, n + 7, v, &out);
			ST(cqe, WD_SOFT_S_OK);
			EQ(cqe.out_len, n);
			ASSERT_MSG(!memcmp(out, src, n),
				   "copy of %zu bytes (variant %d) differs", n, v);
			free(out);
		}
		free(src);
	}
	ctx_fini(&c);
}

TEST(sva_copy) { t_copy(WDL_MODE_SVA); }
TEST(pasid_copy) { t_copy(WDL_MODE_PASID); }
TEST(noiommu_copy) { t_copy(WDL_MODE_NOIOMMU); }

/* ---- crc32c ---- */

static uint32_t dev_crc(struct ctx *c, uint32_t seed, const void *src,
			size_t n, int var)
{
	struct wd_soft_cqe cqe;
	uint32_t v;
	void *out;

	cqe = run(c, WD_SOFT_OP_CRC32C, seed, src, n, 4 + var, var, &out);
	ST(cqe, WD_SOFT_S_OK);
	EQ(cqe.out_len, 4);
	v = (uint32_t)((uint8_t *)out)[0] | (uint32_t)((uint8_t *)out)[1] << 8 |
	    (uint32_t)((uint8_t *)out)[2] << 16 |
	    (uint32_t)((uint8_t *)out)[3] << 24;
	free(out);
	return v;
}

static void t_crc32c(enum wdl_mode m)
{
	static const struct {
		int kind;	/* 0 zeros, 1 ones, 2 up, 3 down, 4 "123456789" */
		uint32_t crc;
	} rfc3720[] = {
		{ 0, 0x8a9136aa }, { 1, 0x62a8ab43 }, { 2, 0x46dd794e },
		{ 3, 0x113fdb5c }, { 4, 0xe3069283 },
	};
	uint8_t buf[32];
	unsigned int i, k;
	size_t len;
	int v;

	/* the reference itself, on the published vectors */
	for (i = 0; i < sizeof(rfc3720) / sizeof(rfc3720[0]); i++) {
		len = 32;
		for (k = 0; k < 32; k++)
			buf[k] = rfc3720[i].kind == 0 ? 0 :
				 rfc3720[i].kind == 1 ? 0xff :
				 rfc3720[i].kind == 2 ? (uint8_t)k :
				 (uint8_t)(31 - k);
		if (rfc3720[i].kind == 4) {
			memcpy(buf, "123456789", 9);
			len = 9;
		}
		EQ_HEX(ref_crc32c(0, buf, len), rfc3720[i].crc);
	}

	CTX(m);
	/* the device on them: CRC = ~crc32c(~0, data) */
	for (i = 0; i < sizeof(rfc3720) / sizeof(rfc3720[0]); i++) {
		len = 32;
		for (k = 0; k < 32; k++)
			buf[k] = rfc3720[i].kind == 0 ? 0 :
				 rfc3720[i].kind == 1 ? 0xff :
				 rfc3720[i].kind == 2 ? (uint8_t)k :
				 (uint8_t)(31 - k);
		if (rfc3720[i].kind == 4) {
			memcpy(buf, "123456789", 9);
			len = 9;
		}
		EQ_HEX(~dev_crc(&c, ~0u, buf, len, 0), rfc3720[i].crc);
	}
	/* sizes, variants, seeds; chaining through params */
	for (i = 0; i < NR_SIZES; i++) {
		size_t n = sizes[i];
		uint8_t *src;
		uint32_t seed, r;

		if (!size_ok(&c, n))
			continue;
		src = gen(n, i);
		for (v = 0; v < nr_variants(n); v++) {
			seed = v == 0 ? 0 : v == 1 ? ~0u : 0x12345678u * (uint32_t)v;
			EQ_HEX(dev_crc(&c, seed, src, n, v),
			       ref_crc32c_raw(seed, src, n));
		}
		if (n > 2) {
			r = dev_crc(&c, ~0u, src, n / 3, 0);
			r = dev_crc(&c, r, src + n / 3, n - n / 3, 0);
			EQ_HEX(~r, ref_crc32c(0, src, n));
		}
		free(src);
	}
	ctx_fini(&c);
}

TEST(sva_crc32c) { t_crc32c(WDL_MODE_SVA); }
TEST(pasid_crc32c) { t_crc32c(WDL_MODE_PASID); }
TEST(noiommu_crc32c) { t_crc32c(WDL_MODE_NOIOMMU); }

/* ---- sha256 ---- */

static void t_sha256(enum wdl_mode m)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	struct wd_soft_cqe cqe;
	uint8_t ref[32];
	unsigned int i;
	void *out;
	int v;

	CTX(m);
	cqe = run(&c, WD_SOFT_OP_SHA256, 0, "abc", 3, 32, 0, &out);
	ST(cqe, WD_SOFT_S_OK);
	EQ(cqe.out_len, 32);
	ASSERT_MSG(!memcmp(out, abc, 32), "SHA-256(\"abc\") is wrong");
	free(out);
	for (i = 0; i < NR_SIZES; i++) {
		size_t n = sizes[i];
		uint8_t *src;

		if (!size_ok(&c, n))
			continue;
		src = gen(n, i);
		ref_sha256sum(src, n, ref);
		for (v = 0; v < nr_variants(n); v++) {
			cqe = run(&c, WD_SOFT_OP_SHA256, 0, src, n, 32 + v, v,
				  &out);
			ST(cqe, WD_SOFT_S_OK);
			EQ(cqe.out_len, 32);
			ASSERT_MSG(!memcmp(out, ref, 32),
				   "SHA-256 of %zu bytes (variant %d) differs "
				   "from sha256sum's", n, v);
			free(out);
		}
		free(src);
	}
	ctx_fini(&c);
}

TEST(sva_sha256) { t_sha256(WDL_MODE_SVA); }
TEST(pasid_sha256) { t_sha256(WDL_MODE_PASID); }
TEST(noiommu_sha256) { t_sha256(WDL_MODE_NOIOMMU); }

/* ---- compression ---- */

enum fmt { RAW, ZLIB, GZIP };

static const uint16_t comp_op[] = {
	WD_SOFT_OP_DEFLATE, WD_SOFT_OP_ZLIB_COMP, WD_SOFT_OP_GZIP_COMP,
};
static const uint16_t decomp_op[] = {
	WD_SOFT_OP_INFLATE, WD_SOFT_OP_ZLIB_DECOMP, WD_SOFT_OP_GZIP_DECOMP,
};
static const char *const fmt_name[] = { "deflate", "zlib", "gzip" };

static size_t comp_cap(size_t n)
{
	return n + n / 8 + 1024;
}

/* the device's output, decompressed by the reference, must be src */
static void check_comp(enum fmt f, const void *comp, size_t clen,
		       const void *src, size_t n, const char *what)
{
	size_t got = 0;
	void *dec;

	if (f == GZIP) {
		const uint8_t *g = comp;

		ASSERT_MSG(clen >= 18 && g[0] == 0x1f && g[1] == 0x8b && g[2] == 8,
			   "%s: not a gzip member", what);
		if (ref_gunzip(comp, clen, &dec, &got))
			FAIL("%s: gzip -d rejects the device's output", what);
	} else {
		dec = nt_xmalloc(n + 1);
		if (ref_inflate(comp, clen, dec, n + 1, &got, f == ZLIB))
			FAIL("%s: zlib inflate rejects the device's output", what);
	}
	EQ(got, n);
	ASSERT_MSG(!memcmp(dec, src, n), "%s: decompressed data differs", what);
	free(dec);
}

/* reference compressed data (made by zlib, or by the gzip program) */
static void make_ref(enum fmt f, const void *src, size_t n, int level,
		     bool named, void **out, size_t *out_len)
{
	if (f == GZIP)
		ref_gzip(src, n, level, named, out, out_len);
	else
		ref_deflate(src, n, level, f == ZLIB, out, out_len);
}

static void t_fmt(enum wdl_mode m, enum fmt f)
{
	static const int levels[] = { 1, 6, 9 };
	struct wd_soft_cqe cqe;
	char what[128];
	unsigned int i, l;
	size_t rlen;
	void *out, *ref;
	int v;

	CTX(m);
	for (i = 0; i < NR_SIZES; i++) {
		size_t n = sizes[i];
		uint8_t *src;

		if (!size_ok(&c, n))
			continue;
		src = gen(n, i);
		/* compression at the default level, every variant */
		for (v = 0; v < nr_variants(n); v++) {
			snprintf(what, sizeof(what), "%s %s of %zu bytes, variant %d",
				 nt_mode_name(m), fmt_name[f], n, v);
			cqe = run(&c, comp_op[f], 0, src, n, comp_cap(n), v, &out);
			ASSERT_MSG(cqe.status == WD_SOFT_S_OK, "%s: status %s",
				   what, nt_stname(cqe.status));
			check_comp(f, out, cqe.out_len, src, n, what);
			/* and back through the device */
			cqe = run(&c, decomp_op[f], 0, out, cqe.out_len, n, v ^ 3,
				  &ref);
			ASSERT_MSG(cqe.status == WD_SOFT_S_OK,
				   "%s, decompressed by the device: status %s",
				   what, nt_stname(cqe.status));
			EQ(cqe.out_len, n);
			ASSERT(!memcmp(ref, src, n));
			free(ref);
			free(out);
		}
		/* decompression of the references' output at several levels */
		for (l = 0; l < 3; l++) {
			if (n > SGL_MAX && levels[l] != 6)
				continue;
			make_ref(f, src, n, levels[l], l == 1 && n < 100000,
				 &ref, &rlen);
			for (v = 0; v < nr_variants(n); v += (n > 70000 ? 3 : 1)) {
				snprintf(what, sizeof(what),
					 "%s %s decompression of %zu bytes made at "
					 "level %d, variant %d", nt_mode_name(m),
					 fmt_name[f], n, levels[l], v);
				cqe = run(&c, decomp_op[f], 0, ref, rlen, n, v,
					  &out);
				ASSERT_MSG(cqe.status == WD_SOFT_S_OK,
					   "%s: status %s", what,
					   nt_stname(cqe.status));
				EQ(cqe.out_len, n);
				ASSERT_MSG(!memcmp(out, src, n), "%s: differs",
					   what);
				free(out);
			}
			free(ref);
		}
		free(src);
	}
	ctx_fini(&c);
}

TEST(sva_deflate) { t_fmt(WDL_MODE_SVA, RAW); }
TEST(sva_zlib) { t_fmt(WDL_MODE_SVA, ZLIB); }
TEST(sva_gzip) { t_fmt(WDL_MODE_SVA, GZIP); }
TEST(pasid_deflate) { t_fmt(WDL_MODE_PASID, RAW); }
TEST(pasid_zlib) { t_fmt(WDL_MODE_PASID, ZLIB); }
TEST(pasid_gzip) { t_fmt(WDL_MODE_PASID, GZIP); }
TEST(noiommu_deflate) { t_fmt(WDL_MODE_NOIOMMU, RAW); }
TEST(noiommu_zlib) { t_fmt(WDL_MODE_NOIOMMU, ZLIB); }
TEST(noiommu_gzip) { t_fmt(WDL_MODE_NOIOMMU, GZIP); }

/*
 * Levels 1..9 (and 0, the default 6) of the three compressors, text and
 * random data of 64 KiB + 1 and 256 KiB: every output decompresses (by
 * the references), level 1 is never smaller than level 9 on text, and the
 * gzip header says which extreme was used (XFL).
 */
static void t_levels(enum wdl_mode m)
{
	static const size_t lsizes[] = { 65537, 256 << 10 };
	size_t size1 = 0, size9 = 0;
	struct wd_soft_cqe cqe;
	unsigned int f, i, k;
	char what[128];
	uint32_t level;
	void *out;

	CTX(m);
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 2; k++) {
			size_t n = lsizes[i];
			uint8_t *src = gen(n, k);

			for (f = RAW; f <= GZIP; f++) {
				for (level = 0; level <= 9; level++) {
					snprintf(what, sizeof(what),
						 "%s level %u, %zu bytes of %s",
						 fmt_name[f], level, n,
						 k ? "random" : "text");
					cqe = run(&c, comp_op[f], level, src, n,
						  comp_cap(n), (int)(level & 3),
						  &out);
					ASSERT_MSG(cqe.status == WD_SOFT_S_OK,
						   "%s: %s", what,
						   nt_stname(cqe.status));
					check_comp(f, out, cqe.out_len, src, n,
						   what);
					if (f == GZIP && (level == 1 || level == 9))
						EQ(((uint8_t *)out)[8],
						   level == 9 ? 2 : 4);
					if (f == RAW && !k && level == 1)
						size1 = cqe.out_len;
					if (f == RAW && !k && level == 9)
						size9 = cqe.out_len;
					free(out);
				}
				if (f == RAW && !k)
					ASSERT_MSG(size1 >= size9,
						   "level 1 (%zu bytes) beats level 9 "
						   "(%zu)", size1, size9);
			}
			/* level 10 is not a level */
			cqe = run(&c, WD_SOFT_OP_GZIP_COMP, 10, src, n,
				  comp_cap(n), 0, NULL);
			ST(cqe, WD_SOFT_S_INVAL);
			free(src);
		}
	}
	ctx_fini(&c);
}

TEST(sva_levels) { t_levels(WDL_MODE_SVA); }
TEST(pasid_levels) { t_levels(WDL_MODE_PASID); }
TEST(noiommu_levels) { t_levels(WDL_MODE_NOIOMMU); }

/*
 * gzip decompression of what only the gzip program writes: a named file
 * (FNAME, MTIME), several members in a row, and the empty input's member.
 */
static void t_gzip_members(enum wdl_mode m)
{
	size_t n1 = 70000, n2 = 3000, l1, l2, le;
	struct wd_soft_cqe cqe;
	uint8_t *a, *b, *cat, *both;
	void *g1, *g2, *ge, *out;

	CTX(m);
	a = gen(n1, 0);
	b = gen(n2, 1);
	ref_gzip(a, n1, 9, true, &g1, &l1);
	ref_gzip(b, n2, 1, false, &g2, &l2);
	ref_gzip("", 0, 6, false, &ge, &le);
	ASSERT(((uint8_t *)g1)[3] & 0x08);	/* FNAME */
	cat = nt_xmalloc(l1 + l2 + le);
	memcpy(cat, g1, l1);
	memcpy(cat + l1, ge, le);
	memcpy(cat + l1 + le, g2, l2);
	both = nt_xmalloc(n1 + n2);
	memcpy(both, a, n1);
	memcpy(both + n1, b, n2);
	for (int v = 0; v < 4; v++) {
		cqe = run(&c, WD_SOFT_OP_GZIP_DECOMP, 0, cat, l1 + l2 + le,
			  n1 + n2, v, &out);
		ST(cqe, WD_SOFT_S_OK);
		EQ(cqe.out_len, n1 + n2);
		ASSERT(!memcmp(out, both, n1 + n2));
		free(out);
	}
	cqe = run(&c, WD_SOFT_OP_GZIP_DECOMP, 0, ge, le, 0, 0, &out);
	ST(cqe, WD_SOFT_S_OK);
	EQ(cqe.out_len, 0);
	free(out);
	free(a);
	free(b);
	free(cat);
	free(both);
	free(g1);
	free(g2);
	free(ge);
	ctx_fini(&c);
}

TEST(sva_gzip_members) { t_gzip_members(WDL_MODE_SVA); }
TEST(pasid_gzip_members) { t_gzip_members(WDL_MODE_PASID); }
TEST(noiommu_gzip_members) { t_gzip_members(WDL_MODE_NOIOMMU); }

/* NOP in every mode: OK, out_len 0, addresses ignored */
static void t_nop(enum wdl_mode m)
{
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cqe;

	CTX(m);
	sqe = nq_sqe(WD_SOFT_OP_NOP, 0, 0xdead0000, 123, 0xbeef0000, 456);
	sqe.flags = WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL;
	sqe.user_data = 0x1234567890abcdefull;
	cqe = nq_run(&c.q, &sqe);
	ST(cqe, WD_SOFT_S_OK);
	EQ(cqe.out_len, 0);
	ctx_fini(&c);
}

TEST(sva_nop) { t_nop(WDL_MODE_SVA); }
TEST(pasid_nop) { t_nop(WDL_MODE_PASID); }
TEST(noiommu_nop) { t_nop(WDL_MODE_NOIOMMU); }

/* what the device offers, and the backends it uses */
TEST(algorithms)
{
	struct wdl_dev *dev = nt_dev(WDL_MODE_SVA, 1, 1);

	nt_note("backends: %s", wdl_backends());
	ASSERT_MSG(!strcmp(wdl_dev_algorithms(dev),
			   "nop\ncopy\ncrc32c\nsha256\ndeflate\nzlib\ngzip"),
		   "algorithms: %s", wdl_dev_algorithms(dev));
	ASSERT(wdl_dev_has_algorithm(dev, "gzip"));
	ASSERT(wdl_dev_has_algorithm(dev, "nop"));
	ASSERT(!wdl_dev_has_algorithm(dev, "gz"));
	ASSERT(!wdl_dev_has_algorithm(dev, ""));
	wdl_dev_destroy(dev);
}

/* lib/soft's built-in CRC-32C (crc32c.c), used when ISA-L is not there */
uint32_t wdl_crc32c_sw(uint32_t crc, const void *data, size_t len);

/*
 * The built-in slicing-by-8 against the bitwise reference, whatever the
 * build's backend: every alignment and length up to 64 + 8 bytes, then
 * larger random pieces, chained.
 */
TEST(crc32c_builtin)
{
	uint8_t *buf = nt_xmalloc(1 << 20);
	uint64_t seed = 3;
	size_t off, len;
	uint32_t a, b;
	int i;

	nt_fill_random(buf, 1 << 20, 77);
	EQ_HEX(~wdl_crc32c_sw(~0u, "123456789", 9), 0xe3069283);
	for (off = 0; off < 8; off++)
		for (len = 0; len < 72; len++)
			EQ_HEX(wdl_crc32c_sw(0x1234567u, buf + off, len),
			       ref_crc32c_raw(0x1234567u, buf + off, len));
	for (i = 0; i < 20; i++) {
		off = nt_rand(&seed) % 4096;
		len = nt_rand(&seed) % ((1 << 20) - off);
		a = wdl_crc32c_sw(~0u, buf + off, len / 3);
		a = wdl_crc32c_sw(a, buf + off + len / 3, len - len / 3);
		b = ref_crc32c_raw(~0u, buf + off, len);
		EQ_HEX(a, b);
	}
	free(buf);
}
