// SPDX-License-Identifier: GPL-2.0
/*
 * t_algs_comp: every memory mode x the compression formats of the kernel
 * host (wd_soft), against references independent of the kernel's backends
 * (the other algorithms: t_algs):
 *
 *  DEFLATE,   the device's output inflated by user-space zlib (linked in
 *  ZLIB_COMP  statically); data made by zlib's deflate at levels 1, 6, 9
 *             decompressed by the device
 *  GZIP_COMP  the device's output decompressed by the gzip program
 *             (busybox: its own inflate, not zlib), and its header
 *             checked against the datasheet; data made by the gzip program
 *             (busybox's has one level, its default) and by zlib's gzip
 *             writer (levels 1, 6, 9; every header field; several members)
 *             decompressed by the device
 *
 * Compressed bytes are not a contract (the kernel's zlib is not user
 * space's): compression is checked by decoding, never byte for byte, and
 * also by a round trip through the device's own decompressor.
 *
 * The sizes and SGL variants: algs.h. The device compresses at levels 1,
 * 6, 9 and 0 (the default) up to 64 KiB + 1 in every mode and up to 1 MiB
 * in sva, at 1 and 0 above that; zlib's data to decompress is made at 1, 6,
 * 9 on the same terms, else at 6. Level 9 of 5 MiB of text takes about 9 s
 * under TCG per format and mode and tests nothing the 1 MiB case does not
 * (the engine streams through 64 KiB chunks either way); the memory mode
 * changes how the engine reaches the buffers, not what the algorithms do
 * with them. Every level 0..9 and above (INVAL): the *_levels tests.
 * T_ALGS_TIMES=1 prints how long each compression step takes.
 */
#include "algs.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

/* ---- references ---- */

/* gzip -dc of data: 0 and the output (new buffer), or the exit status */
static int ref_gunzip(const void *data, size_t len, void **out, size_t *out_len)
{
	char in[128], o[128];
	int st;

	tmp_path(in, sizeof(in), "gz");
	tmp_path(o, sizeof(o), "gunzip");
	write_file(in, data, len);
	st = sh("gzip -dc %s >%s 2>/dev/null", in, o);
	*out = st ? NULL : read_whole(o, out_len);
	unlink(in);
	unlink(o);
	return st;
}

/* the gzip program's output at level @level (0: its default) */
static void ref_gzip_prog(const void *data, size_t len, int level, void **out,
			  size_t *out_len)
{
	char in[128], o[128], lv[8] = "";

	tmp_path(in, sizeof(in), "plain");
	tmp_path(o, sizeof(o), "plain.gz");
	write_file(in, data, len);
	if (level)
		snprintf(lv, sizeof(lv), "-%d", level);
	if (sh("gzip %s -c %s >%s", lv, in, o))
		T_FAIL("gzip %s failed", lv);
	*out = read_whole(o, out_len);
	unlink(in);
	unlink(o);
}

/* ---- compression ---- */

enum fmt { RAW, ZLIB, GZIP };

static const uint16_t comp_op[] = {
	WD_SOFT_OP_DEFLATE, WD_SOFT_OP_ZLIB_COMP, WD_SOFT_OP_GZIP_COMP,
};
static const uint16_t decomp_op[] = {
	WD_SOFT_OP_INFLATE, WD_SOFT_OP_ZLIB_DECOMP, WD_SOFT_OP_GZIP_DECOMP,
};
static const char *const fmt_name[] = { "deflate", "zlib", "gzip" };
static const int fmt_wbits[] = { -15, 15, 31 };

/* room for the compressed stream; noiommu's big text case fits in half */
static size_t comp_cap(const struct ctx *c, size_t n)
{
	if (c->mode == NOIOMMU && n > MiB)
		return n / 2;
	return n + n / 8 + 1024;
}

/*
 * The device's compressed output must decode to src by the reference:
 * the gzip program for gzip (plus its header as the datasheet gives it),
 * zlib's inflate for raw deflate and zlib streams.
 */
static void check_comp(enum fmt f, int level, const uint8_t *comp, size_t clen,
		       const void *src, size_t n, const char *what)
{
	size_t got = 0;
	void *dec;

	if (f == GZIP) {
		T_ASSERT_MSG(clen >= 18 && comp[0] == 0x1f && comp[1] == 0x8b &&
			     comp[2] == 8, "%s: not a gzip member", what);
		/* FLG 0, MTIME 0, XFL 2 (level 9) / 4 (level 1) / 0, OS 3 */
		T_ASSERT_MSG(comp[3] == 0 && !comp[4] && !comp[5] && !comp[6] &&
			     !comp[7] && comp[9] == 3,
			     "%s: gzip header %02x %02x%02x%02x%02x %02x %02x",
			     what, comp[3], comp[4], comp[5], comp[6], comp[7],
			     comp[8], comp[9]);
		T_ASSERT_MSG(comp[8] == (level == 9 ? 2 : level == 1 ? 4 : 0),
			     "%s: XFL %u at level %d", what, comp[8], level);
		int st = ref_gunzip(comp, clen, &dec, &got);

		if (st)
			T_FAIL("%s: gzip -d rejects the device's output "
			       "(status %d)", what, st);
	} else {
		dec = xmalloc(n + 1);
		if (ref_inflate(comp, clen, dec, n + 1, &got, fmt_wbits[f]))
			T_FAIL("%s: zlib's inflate rejects the device's output",
			       what);
	}
	T_ASSERT_MSG(got == n, "%s: decodes to %zu bytes, not %zu", what, got,
		     n);
	T_ASSERT_MSG(!memcmp(dec, src, n), "%s: decodes to other data", what);
	free(dec);
}

/* decompression by the device must give back exactly src */
static void dev_decomp(struct ctx *c, enum fmt f, const void *comp,
		       size_t clen, const void *src, size_t n, int var,
		       const char *what)
{
	void *out;
	struct wd_soft_cqe cqe = run(c, decomp_op[f], 0, comp, clen, n, var,
				     &out);

	ST_OK(cqe, "%s, decompressed by the device (%s)", what, var_name[var]);
	T_ASSERT_MSG(cqe.out_len == n, "%s, decompressed by the device (%s): "
		     "out_len %u, not %zu", what, var_name[var], cqe.out_len, n);
	T_ASSERT_MSG(!memcmp(out, src, n), "%s, decompressed by the device "
		     "(%s): other data", what, var_name[var]);
	free(out);
}

/* T_ALGS_TIMES=1: how long each step takes (to keep the program's time in check) */
static void step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void step(const char *fmt, ...)
{
	static uint64_t last;
	uint64_t now = t_now_ms();
	char buf[256];
	va_list ap;

	if (!getenv("T_ALGS_TIMES"))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (last)
		t_note("%5llu ms  %s", (unsigned long long)(now - last), buf);
	last = now;
}

/*
 * Levels the device compresses at: all of 1, 6, 9 and 0 (the default) up
 * to 64 KiB + 1 in every mode and at 1 MiB in sva; 1 and 0 otherwise.
 * Levels of the reference's data: 1, 6, 9 up to 64 KiB + 1 in every mode
 * and at 1 MiB in sva; 6 otherwise. (Level 9 of 5 MiB of text alone takes
 * about 9 s under TCG, per format and mode.)
 */
static bool dev_level(const struct ctx *c, size_t n, int level)
{
	return n <= 65537 || (c->mode == SVA && n <= MiB) ||
	       level == 1 || level == 0;
}

static bool ref_level(const struct ctx *c, size_t n, int level)
{
	return n <= 65537 || (c->mode == SVA && n <= MiB) || level == 6;
}

static void t_fmt(enum mode m, enum fmt f)
{
	static const int levels[] = { 1, 6, 9, 0 };
	struct wd_soft_cqe cqe;
	char what[160];
	struct ctx c;

	ctx_init(&c, m);
	struct size_set ss = sizes(&c, BIG_COMP);

	step("start");
	for (unsigned int i = 0; i < ss.nr; i++) {
		size_t n = ss.n[i], rlen;
		uint8_t *src = gen(n, ss.random[i], 11 * n + i);
		const char *kind = ss.random[i] ? "random" : "text";
		void *out, *ref;
		int var = 0;

		/* the device compresses; the SGL variants take turns */
		for (unsigned int l = 0; l < 4; l++) {
			if (!dev_level(&c, n, levels[l]))
				continue;
			var = (var + 1) % nr_variants(n);
			snprintf(what, sizeof(what), "%s %s level %d of %zu %s "
				 "bytes, %s", mode_name[m], fmt_name[f],
				 levels[l], n, kind, var_name[var]);
			cqe = run(&c, comp_op[f], levels[l], src, n,
				  comp_cap(&c, n), var, &out);
			ST_OK(cqe, "%s", what);
			step("%s: compressed to %u", what, cqe.out_len);
			check_comp(f, levels[l], out, cqe.out_len, src, n, what);
			step("%s: checked by the reference", what);
			/* and back through the device, other SGL sides */
			dev_decomp(&c, f, out, cqe.out_len, src, n,
				   (var ^ 3) % nr_variants(n), what);
			step("%s: decompressed by the device", what);
			free(out);
		}
		/* data made by zlib */
		for (unsigned int l = 0; l < 3; l++) {
			if (!ref_level(&c, n, levels[l]))
				continue;
			ref_deflate(src, n, levels[l], fmt_wbits[f], NULL, &ref,
				    &rlen);
			snprintf(what, sizeof(what), "%s %s made by zlib at level "
				 "%d, %zu %s bytes", mode_name[m], fmt_name[f],
				 levels[l], n, kind);
			step("%s: made", what);
			for (int v = 0; v < nr_variants(n); v++)
				if (v == 0 || n <= 65537 || v == (int)l + 1)
					dev_decomp(&c, f, ref, rlen, src, n, v,
						   what);
			step("%s: decompressed by the device", what);
			free(ref);
		}
		/* the gzip program's (busybox's has one level, its default) */
		if (f == GZIP) {
			ref_gzip_prog(src, n, 0, &ref, &rlen);
			snprintf(what, sizeof(what), "%s gzip made by the gzip "
				 "program, %zu %s bytes", mode_name[m], n, kind);
			step("%s: made", what);
			dev_decomp(&c, f, ref, rlen, src, n,
				   n <= SGL_MAX ? (int)(i % 4) : 0, what);
			step("%s: decompressed by the device", what);
			free(ref);
		}
		free(src);
	}
	ctx_fini(&c, fmt_name[f]);
}

T_TEST_TMO(sva_deflate, 240) { t_fmt(SVA, RAW); }
T_TEST_TMO(sva_zlib, 240) { t_fmt(SVA, ZLIB); }
T_TEST_TMO(sva_gzip, 240) { t_fmt(SVA, GZIP); }
T_TEST_TMO(pasid_deflate, 240) { t_fmt(PASID, RAW); }
T_TEST_TMO(pasid_zlib, 240) { t_fmt(PASID, ZLIB); }
T_TEST_TMO(pasid_gzip, 240) { t_fmt(PASID, GZIP); }
T_TEST_TMO(noiommu_deflate, 240) { t_fmt(NOIOMMU, RAW); }
T_TEST_TMO(noiommu_zlib, 240) { t_fmt(NOIOMMU, ZLIB); }
T_TEST_TMO(noiommu_gzip, 240) { t_fmt(NOIOMMU, GZIP); }

/*
 * gzip as other writers make it: header fields (FNAME, FCOMMENT, FEXTRA,
 * FHCRC, an MTIME) by zlib's gzip writer, several members back to back
 * (one of them empty), the empty input's member; and the device's members
 * concatenated decode with the gzip program as one file.
 */
static void t_gzip_members(enum mode m)
{
	static char name[] = "file.txt", comment[] = "a comment";
	static unsigned char extra[] = { 'W', 'D', 4, 0, 1, 2, 3, 4 };
	gz_header h = { .text = 1, .time = 1700000000, .os = 3,
			.extra = extra, .extra_len = sizeof(extra),
			.name = (Bytef *)name, .comment = (Bytef *)comment,
			.hcrc = 1 };
	size_t n1 = 70000, n2 = 3000, l1, l2, le, ld1, ld2, got;
	uint8_t *a = gen(n1, false, 1), *b = gen(n2, true, 2), *cat, *both;
	void *g1, *g2, *ge, *d1, *d2, *out;
	struct wd_soft_cqe cqe;
	struct ctx c;

	ctx_init(&c, m);
	ref_deflate(a, n1, 9, 31, &h, &g1, &l1);
	ref_deflate(b, n2, 1, 31, NULL, &g2, &l2);
	ref_deflate("", 0, 6, 31, NULL, &ge, &le);
	/* FTEXT, FHCRC, FEXTRA, FNAME, FCOMMENT */
	T_EQ_HEX(((uint8_t *)g1)[3], 0x1f);
	cat = xmalloc(l1 + l2 + le);
	memcpy(cat, g1, l1);
	memcpy(cat + l1, ge, le);
	memcpy(cat + l1 + le, g2, l2);
	both = xmalloc(n1 + n2);
	memcpy(both, a, n1);
	memcpy(both + n1, b, n2);
	for (int v = 0; v < 4; v++)
		dev_decomp(&c, GZIP, cat, l1 + le + l2, both, n1 + n2, v,
			   "three members, the first with every header field");
	dev_decomp(&c, GZIP, ge, le, "", 0, 0, "the empty input's member");

	/* the device's members, concatenated, are one gzip file */
	cqe = run(&c, WD_SOFT_OP_GZIP_COMP, 9, a, n1, n1 + 1024, 1, &d1);
	ST_OK(cqe, "GZIP_COMP");
	ld1 = cqe.out_len;
	cqe = run(&c, WD_SOFT_OP_GZIP_COMP, 1, b, n2, n2 + 1024, 2, &d2);
	ST_OK(cqe, "GZIP_COMP");
	ld2 = cqe.out_len;
	free(cat);
	cat = xmalloc(ld1 + ld2);
	memcpy(cat, d1, ld1);
	memcpy(cat + ld1, d2, ld2);
	T_EQ(ref_gunzip(cat, ld1 + ld2, &out, &got), 0);
	T_EQ(got, n1 + n2);
	T_ASSERT(!memcmp(out, both, n1 + n2));
	free(out);
	dev_decomp(&c, GZIP, cat, ld1 + ld2, both, n1 + n2, 3,
		   "the device's two members");
	free(a);
	free(b);
	free(cat);
	free(both);
	free(g1);
	free(g2);
	free(ge);
	free(d1);
	free(d2);
	ctx_fini(&c, "gzip members");
}

TEST(sva_gzip_members) { t_gzip_members(SVA); }
TEST(pasid_gzip_members) { t_gzip_members(PASID); }
TEST(noiommu_gzip_members) { t_gzip_members(NOIOMMU); }

/*
 * Every level, 0 (the default, 6) to 9, of the three compressors, on text
 * and random data of 64 KiB + 1 and 256 KiB (SGL variants in turn): each
 * output decodes by the reference with the header check_comp() wants,
 * level 1 never beats level 9 on text, and a level above 9 is INVAL.
 */
static void t_levels(enum mode m)
{
	static const size_t lsizes[] = { 65537, 256 << 10 };
	struct wd_soft_cqe cqe;
	char what[128];
	struct ctx c;

	ctx_init(&c, m);
	for (unsigned int i = 0; i < 2; i++) {
		for (int random = 0; random < 2; random++) {
			size_t n = lsizes[i], size1 = 0, size9 = 0;
			uint8_t *src = gen(n, random, 17 * n + random);

			for (int f = RAW; f <= GZIP; f++) {
				for (uint32_t l = 0; l <= 9; l++) {
					void *out;

					snprintf(what, sizeof(what), "%s %s level "
						 "%u of %zu %s bytes", mode_name[m],
						 fmt_name[f], l, n,
						 random ? "random" : "text");
					cqe = run(&c, comp_op[f], l, src, n,
						  comp_cap(&c, n), (int)(l & 3),
						  &out);
					ST_OK(cqe, "%s", what);
					check_comp(f, (int)l, out, cqe.out_len,
						   src, n, what);
					if (f == RAW && !random && l == 1)
						size1 = cqe.out_len;
					if (f == RAW && !random && l == 9)
						size9 = cqe.out_len;
					free(out);
				}
				/* a level is 0..9: the rest is INVAL */
				cqe = run(&c, comp_op[f], 10, src, n,
					  comp_cap(&c, n), 0, NULL);
				T_EQ(cqe.status, WD_SOFT_S_INVAL);
				cqe = run(&c, comp_op[f], ~0u, src, n,
					  comp_cap(&c, n), 0, NULL);
				T_EQ(cqe.status, WD_SOFT_S_INVAL);
			}
			if (!random)
				T_ASSERT_MSG(size1 >= size9, "%zu bytes of text: "
					     "level 1 (%zu bytes) beats level 9 "
					     "(%zu)", n, size1, size9);
			free(src);
		}
	}
	ctx_fini(&c, "levels");
}

T_TEST_TMO(sva_levels, 240) { t_levels(SVA); }
T_TEST_TMO(pasid_levels, 240) { t_levels(PASID); }
T_TEST_TMO(noiommu_levels, 240) { t_levels(NOIOMMU); }
