// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fz_seeds: writes the seed corpus of fz_core (the format is in fz_core.h)
 * into a directory: one valid request per operation, the gzip header
 * options, several members, truncated and trailing data, scatter-gather
 * lists, too-small and read-only destinations, bad descriptors, hostile
 * indices, injected failures and a stop in the middle of a long request;
 * and programs of the stream mode: contexts of every op, flushes,
 * dictionaries, resets, numbers closed, of another queue or generation,
 * hostile changes, PUT_Q mid-stream, injected failures, the bounds.
 * Deterministic: the same files every time (zlib's output for fixed input).
 *
 * usage: fz_seeds DIR
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "uapi/misc/uacce/wd_soft.h"
#include "fz_core.h"

static const char *dir;
static int count;

#define RW(off)	(FZ_RW_BASE + (off))
#define DST	0x10000u	/* destinations at RW + 64 KiB */

struct seed {
	uint8_t ctl;
	uint32_t base, cq_off;		/* with FZ_CTL_INDICES (fz_core.h) */
	struct wd_soft_sqe sqe[4];
	unsigned int nsqe;
	uint8_t mem[48 * 1024];
	size_t mem_len;
};

static void emit(const char *name, const struct seed *s)
{
	char path[512];
	FILE *f;
	uint8_t ctl = (uint8_t)((s->ctl & ~3u) | ((s->nsqe - 1) & 3));

	snprintf(path, sizeof(path), "%s/%02d-%s", dir, count++, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(&ctl, 1, 1, f);
	if (ctl & FZ_CTL_INDICES) {
		fwrite(&s->base, 4, 1, f);
		fwrite(&s->cq_off, 4, 1, f);
	}
	fwrite(s->sqe, sizeof(s->sqe[0]), s->nsqe, f);
	fwrite(s->mem, 1, s->mem_len, f);
	fclose(f);
}

static void put(struct seed *s, size_t off, const void *p, size_t n)
{
	memcpy(s->mem + off, p, n);
	if (off + n > s->mem_len)
		s->mem_len = off + n;
}

static struct wd_soft_sqe sqe(uint16_t op, uint32_t params, uint64_t src,
			      uint32_t slen, uint64_t dst, uint32_t dlen)
{
	static uint64_t ud = 0x1000;
	struct wd_soft_sqe e = {
		.user_data = ud++, .op = op, .params = params,
		.src = src, .dst = dst, .src_len = slen, .dst_len = dlen,
	};
	return e;
}

static uint8_t text[6000];

static void make_text(void)
{
	static const char *w[] = { "warp ", "drive ", "queue ", "ring ",
		"engine ", "device ", "the ", "of ", "a ", "request\n" };
	uint32_t x = 12345;
	size_t i = 0;

	while (i < sizeof(text)) {
		const char *p;

		x = x * 1103515245 + 12345;
		p = w[(x >> 16) % 10];
		while (*p && i < sizeof(text))
			text[i++] = (uint8_t)*p++;
	}
}

/* ---- stream mode (fz_core.h): programs of 8-byte commands ---- */

static uint8_t prog[255][8];
static unsigned int nprog;

static void cmd(uint8_t c0, uint8_t c1, uint8_t c2, uint8_t c3, uint8_t c4,
		uint8_t c5, uint8_t c6, uint8_t c7)
{
	uint8_t *c = prog[nprog++];

	c[0] = c0; c[1] = c1; c[2] = c2; c[3] = c3;
	c[4] = c4; c[5] = c5; c[6] = c6; c[7] = c7;
}

#define Q1	8u	/* the second queue */
/* OPEN op at level; g: a decompression context's stream (fz_core.h) */
static void s_open(unsigned int qi, uint8_t op, uint8_t level, uint32_t g)
{
	cmd((uint8_t)qi, op, level, 0, (uint8_t)g, (uint8_t)(g >> 8),
	    (uint8_t)(g >> 16), (uint8_t)(g >> 24));
}

/*
 * A request to the k-th open context: sflags bits (c[2]), c3 0x80 for an
 * honest one, len bytes (as is), room byte; check: NO_FLUSH output too.
 */
static void s_req(uint8_t k, uint8_t c2, uint8_t c3, uint16_t len, uint8_t room)
{
	cmd(2, k & 63, c2, c3, (uint8_t)len, (uint8_t)(len >> 8), room, 2);
}

static void emit_stream(const char *name)
{
	char path[512];
	FILE *f;
	uint8_t n = (uint8_t)nprog;

	snprintf(path, sizeof(path), "%s/%02d-stream-%s", dir, count++, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(1);
	}
	fwrite(FZ_STREAM_MAGIC, 1, 4, f);
	fwrite(&n, 1, 1, f);
	fwrite(prog, 8, nprog, f);
	fwrite(text, 1, 3000, f);
	fclose(f);
	nprog = 0;
}

#define HONEST	0x80
#define SF(f)	(f)		/* flush bits of c[2] */
#define DICT	4
#define RESET	8

static void stream_seeds(void)
{
	unsigned int i;

	/* compression in pieces with every flush, small rooms, a dictionary */
	s_open(0, WD_SOFT_OP_DEFLATE, 6, 0);
	s_open(Q1, WD_SOFT_OP_ZLIB_COMP, 9, 0);
	s_open(0, WD_SOFT_OP_GZIP_COMP, 1, 0);
	s_req(0, DICT, HONEST, 900, 200);
	s_req(1, DICT, HONEST, 300, 200);
	for (i = 0; i < 3; i++) {
		s_req((uint8_t)i, SF(0), HONEST, 1000, 200);
		s_req((uint8_t)i, SF(1), HONEST, 700, 3);
		s_req((uint8_t)i, SF(1), HONEST, 0, 100);
		s_req((uint8_t)i, SF(2), HONEST, 2000, 60);
		s_req((uint8_t)i, SF(0), HONEST, 0, 0);
		s_req((uint8_t)i, SF(3), HONEST, 500, 20);
		s_req((uint8_t)i, SF(3), HONEST, 0, 20);
		s_req((uint8_t)i, SF(3), HONEST, 0, 250);
		s_req((uint8_t)i, SF(3), HONEST, 0, 250);
		s_req((uint8_t)i, SF(0) | RESET, HONEST, 3000, 250);
		s_req((uint8_t)i, SF(3), HONEST, 10, 250);
	}
	emit_stream("comp");

	/* decompression of zlib's streams: dictionaries, gzip members,
	 * header fields, trailing bytes, flushes; in small pieces
	 */
	s_open(0, WD_SOFT_OP_INFLATE, 0, 0x0d860000u | 3000);	/* dict, sync */
	s_open(Q1, WD_SOFT_OP_ZLIB_DECOMP, 0, 0x0a850000u | 2500);	/* dict */
	s_open(0, WD_SOFT_OP_GZIP_DECOMP, 0, 0x4e060000u | 4000);	/* 2 members, fields, junk */
	s_open(Q1, WD_SOFT_OP_GZIP_DECOMP, 0, 0x02000000u | 1500);	/* full flushes, store */
	for (i = 0; i < 12; i++) {
		s_req(0, 0, HONEST, (uint16_t)(37 * i + 1), (uint8_t)(20 + i));
		s_req(1, 0, HONEST, (uint16_t)(5 + i), (uint8_t)(100 + i));
		s_req(2, 0, HONEST, (uint16_t)(200 * i), 210);
		s_req(3, 0, HONEST, 150, 30);
	}
	s_req(2, RESET, HONEST, 3000, 250);
	s_req(2, 0, HONEST, 3000, 250);
	emit_stream("decomp");

	/* a damaged stream, then RESET */
	s_open(0, WD_SOFT_OP_ZLIB_DECOMP, 0, 0x30030000u | 2000);
	for (i = 0; i < 6; i++)
		s_req(0, 0, HONEST, 500, 250);
	s_req(0, RESET, HONEST, 500, 250);
	s_req(0, 0, HONEST, 4000, 250);
	emit_stream("decomp-damaged");

	/* digests in pieces, a FINISH without room */
	s_open(0, WD_SOFT_OP_SHA256, 0, 0);
	s_open(Q1, WD_SOFT_OP_CRC32C, 0, 0);
	for (i = 0; i < 2; i++) {
		s_req((uint8_t)i, 0, HONEST, 1000, 0);
		s_req((uint8_t)i, 0, HONEST, 0, 0);
		s_req((uint8_t)i, 3, HONEST, 10, 3);
		s_req((uint8_t)i, 3, HONEST, 10, 40);
		s_req((uint8_t)i, 3, HONEST, 0, 40);
	}
	emit_stream("digest");

	/*
	 * Numbers: a closed one, one whose slot a newer context took (other
	 * generation), one of the other queue, one never opened; the
	 * stream of the open one stays right.
	 */
	s_open(0, WD_SOFT_OP_DEFLATE, 6, 0);		/* known 0 */
	cmd(1, 0, 0, 0, 0, 0, 0, 0);			/* close known 0 */
	s_open(0, WD_SOFT_OP_DEFLATE, 6, 0);		/* known 1, same slot */
	s_req(0, 0, HONEST, 500, 200);
	cmd(2, 0x40, 0, HONEST, 100, 0, 200, 2);	/* known 0 on q0: closed */
	cmd(2 | Q1, 0x41, 0, HONEST, 100, 0, 200, 2);	/* known 1 on q1 */
	cmd(2, 0x81, 0, HONEST, 100, 0, 200, 2);	/* known 1, gen ^ 1 */
	cmd(2, 0xc5, 0, HONEST, 100, 0, 200, 2);	/* 5: never opened */
	s_open(Q1, WD_SOFT_OP_DEFLATE, 6, 0);		/* known 2 (q1, slot 0) */
	cmd(2, 0x42, 0, HONEST, 100, 0, 200, 2);	/* known 2 on q0 */
	s_req(0, 3, HONEST, 0, 250);
	emit_stream("numbers");

	/* hostile changes of a valid request, each kind, then on */
	s_open(0, WD_SOFT_OP_ZLIB_COMP, 5, 0);
	s_open(0, WD_SOFT_OP_INFLATE, 0, 0x00050000u | 3000);
	s_open(0, WD_SOFT_OP_SHA256, 0, 0);
	for (i = 0; i < 8; i++) {
		s_req(0, 1, (uint8_t)(i | 0x08), 300, 100);
		s_req(1, 0, (uint8_t)(i | 0x10), 300, 100);
		s_req(2, 0, (uint8_t)(i | 0x18), 300, 100);
	}
	s_req(0, 3 | RESET, 3, 300, 100);	/* RESET with a source too large */
	s_req(1, RESET | DICT, 2, 300, 100);	/* raw sflags: RESET and DICT */
	s_req(0, 3, HONEST, 300, 250);
	s_req(1, 0, HONEST, 3000, 250);
	s_req(2, 3, HONEST, 300, 250);
	emit_stream("hostile");

	/* a DICT out of place, RESET+DICT; a gzip DICT */
	s_open(0, WD_SOFT_OP_DEFLATE, 6, 0);
	s_open(0, WD_SOFT_OP_GZIP_COMP, 6, 0);
	s_req(0, 0, HONEST, 300, 100);
	s_req(0, DICT, HONEST, 300, 100);
	s_req(0, DICT | RESET, HONEST, 300, 100);
	s_req(1, DICT, HONEST, 300, 100);
	s_req(0, 3, HONEST, 300, 250);
	s_req(1, 3, HONEST, 300, 250);
	emit_stream("dict-rules");

	/* PUT_Q mid-stream, an injected failure, the bounds */
	s_open(0, WD_SOFT_OP_GZIP_COMP, 6, 0);
	s_open(Q1, WD_SOFT_OP_GZIP_DECOMP, 0, 0x00000000u | 3000);
	s_req(0, 0, HONEST, 700, 200);
	s_req(1, 0, HONEST, 700, 200);
	cmd(6, 0, 0, 0, 0, 0, 0, 0);			/* fail the next */
	s_req(0, 0, HONEST, 700, 200);
	s_req(0, 0, HONEST, 700, 200);			/* resets */
	cmd(5, 0, 0, 0, 0, 0, 0, 0);			/* free_all q0 */
	cmd(2, 0x40, 0, HONEST, 100, 0, 200, 2);	/* the freed number */
	s_req(0, 0, HONEST, 700, 200);
	/* CLOSE while a request of more than a chunk runs on the context */
	s_open(Q1, WD_SOFT_OP_DEFLATE, 6, 0);
	cmd(7, 0xfe, 0, 0, 0, 0, 0, 0);
	cmd(2, 2, 0, HONEST, 0x00, 0xb0, 250, 3);	/* 90 KiB to it */
	cmd(2 | Q1, 0x42, 0, HONEST, 100, 0, 200, 2);	/* its number: BAD_CTX */
	cmd(7 | Q1, 0xff, 0, 0, 0, 0, 0, 0);		/* fill q1 */
	cmd(7, 0, 40, 0, 0, 0, 0, 0);			/* 640 KiB in all */
	s_open(0, WD_SOFT_OP_DEFLATE, 6, 0);
	s_open(0, WD_SOFT_OP_DEFLATE, 6, 0);
	s_open(0, WD_SOFT_OP_DEFLATE, 6, 0);
	s_open(0, WD_SOFT_OP_SHA256, 0, 0x08000000u);	/* allocation fails */
	cmd(0, WD_SOFT_OP_SHA256, 0, 8, 0, 0, 0, 0);
	cmd(0, WD_SOFT_OP_NOP, 0, 0, 0, 0, 0, 0);	/* EINVAL */
	cmd(0, WD_SOFT_OP_DEFLATE, 10, 0, 0, 0, 0, 0);	/* level 10 */
	cmd(0, WD_SOFT_OP_SHA256, 0, 5, 0, 0, 0, 0);	/* rsvd0, ctx */
	cmd(1, 0xc0, 0x41, 0, 1, 0, 0, 0);		/* CLOSE with op */
	cmd(7, 0xff, 0, 0, 0, 0, 0, 0);		/* fill q0: once only */
	emit_stream("bounds");
}

/* zlib's stream of text[0..n): wbits -15 raw, 15 zlib, 31 gzip */
static size_t zcomp(const uint8_t *in, size_t n, uint8_t *out, size_t cap,
		    int wbits, int level)
{
	z_stream z;
	size_t len;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		exit(1);
	len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

static void one(const char *name, uint16_t op, uint32_t params,
		const void *src, size_t slen, uint32_t dlen)
{
	struct seed s = { .nsqe = 1 };

	put(&s, 0, src, slen);
	s.sqe[0] = sqe(op, params, RW(0), (uint32_t)slen, RW(DST), dlen);
	emit(name, &s);
}

int main(int argc, char **argv)
{
	uint8_t z[16384], g[16384];
	size_t zn, gn, n;
	struct seed s;
	uint32_t crc;

	if (argc != 2) {
		fprintf(stderr, "usage: fz_seeds DIR\n");
		return 2;
	}
	dir = argv[1];
	make_text();

	one("nop", WD_SOFT_OP_NOP, 0, "", 0, 0);
	one("copy", WD_SOFT_OP_COPY, 0, text, 3000, 4096);
	one("copy-small", WD_SOFT_OP_COPY, 0, text, 3000, 100);
	one("crc32c", WD_SOFT_OP_CRC32C, 0xffffffff, "123456789", 9, 4);
	one("sha256", WD_SOFT_OP_SHA256, 0, text, 1000, 32);
	one("sha256-small", WD_SOFT_OP_SHA256, 0, text, 1000, 31);
	one("deflate", WD_SOFT_OP_DEFLATE, 6, text, sizeof(text), 8192);
	one("zlib-comp", WD_SOFT_OP_ZLIB_COMP, 1, text, sizeof(text), 8192);
	one("gzip-comp", WD_SOFT_OP_GZIP_COMP, 9, text, sizeof(text), 8192);
	one("gzip-comp-small", WD_SOFT_OP_GZIP_COMP, 0, text, sizeof(text), 20);
	one("comp-level-10", WD_SOFT_OP_DEFLATE, 10, text, 100, 8192);

	zn = zcomp(text, sizeof(text), z, sizeof(z), -15, 6);
	one("inflate", WD_SOFT_OP_INFLATE, 0, z, zn, 8192);
	one("inflate-small", WD_SOFT_OP_INFLATE, 0, z, zn, 1000);
	one("inflate-truncated", WD_SOFT_OP_INFLATE, 0, z, zn - 3, 8192);
	z[zn] = 0;
	one("inflate-trailing", WD_SOFT_OP_INFLATE, 0, z, zn + 1, 8192);
	zn = zcomp(text, sizeof(text), z, sizeof(z), 15, 9);
	one("zlib-decomp", WD_SOFT_OP_ZLIB_DECOMP, 0, z, zn, 8192);
	z[zn - 1] ^= 1;
	one("zlib-decomp-adler", WD_SOFT_OP_ZLIB_DECOMP, 0, z, zn, 8192);
	gn = zcomp(text, sizeof(text), g, sizeof(g), 31, 6);
	one("gzip-decomp", WD_SOFT_OP_GZIP_DECOMP, 0, g, gn, 8192);
	one("gzip-decomp-small", WD_SOFT_OP_GZIP_DECOMP, 0, g, gn, 4000);
	memcpy(g + gn, g, gn);
	one("gzip-two-members", WD_SOFT_OP_GZIP_DECOMP, 0, g, 2 * gn, 16384);
	one("gzip-empty", WD_SOFT_OP_GZIP_DECOMP, 0, g, 0, 16384);

	/* a gzip member with every header option: FEXTRA FNAME FCOMMENT FHCRC */
	{
		uint8_t h[64] = { 0x1f, 0x8b, 8, 0x1e, 0, 0, 0, 0, 0, 3 };
		size_t hn = 10;

		h[hn++] = 4; h[hn++] = 0;			/* XLEN 4 */
		memcpy(h + hn, "ab\0\0", 4); hn += 4;
		memcpy(h + hn, "name.txt", 9); hn += 9;
		memcpy(h + hn, "comment", 8); hn += 8;
		crc = (uint32_t)crc32(0, h, (uInt)hn);
		h[hn++] = (uint8_t)crc;
		h[hn++] = (uint8_t)(crc >> 8);
		zn = zcomp(text, 2000, z, sizeof(z), -15, 6);
		memcpy(g, h, hn);
		memcpy(g + hn, z, zn);
		gn = hn + zn;
		crc = (uint32_t)crc32(0, text, 2000);
		memcpy(g + gn, &crc, 4);
		n = 2000;
		memcpy(g + gn + 4, &n, 4);
		gn += 8;
		one("gzip-header-options", WD_SOFT_OP_GZIP_DECOMP, 0, g, gn, 4096);
	}

	/* scatter-gather: three source pieces, two destination pieces */
	memset(&s, 0, sizeof(s));
	s.nsqe = 1;
	put(&s, 0, text, 3000);
	{
		struct wd_soft_sge sg[5] = {
			{ RW(0), 1000, 0 }, { RW(2000), 0, 0 }, { RW(1000), 2000, 0 },
			{ RW(DST), 1500, 0 }, { RW(DST + 4096), 2000, 0 },
		};

		put(&s, 0x4000, sg, sizeof(sg));
		s.sqe[0] = sqe(WD_SOFT_OP_COPY, 0, RW(0x4000), 3, RW(0x4000 + 48), 2);
		s.sqe[0].flags = WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL;
		emit("copy-sgl", &s);
		s.sqe[0].op = WD_SOFT_OP_GZIP_COMP;
		emit("gzip-comp-sgl", &s);
		s.sqe[0].op = WD_SOFT_OP_CRC32C;
		s.sqe[0].flags = WD_SOFT_SQE_F_SRC_SGL;
		s.sqe[0].dst = RW(DST);
		s.sqe[0].dst_len = 4;
		emit("crc32c-sgl", &s);
	}

	/* four requests at once; a read-only destination; unmapped addresses */
	memset(&s, 0, sizeof(s));
	s.nsqe = 4;
	put(&s, 0, text, 2000);
	s.sqe[0] = sqe(WD_SOFT_OP_COPY, 0, RW(0), 2000, RW(DST), 2000);
	s.sqe[1] = sqe(WD_SOFT_OP_COPY, 0, RW(0), 2000, FZ_RO_BASE, 2000);
	s.sqe[2] = sqe(WD_SOFT_OP_CRC32C, 0, 0xffff800000000000ull, 64, RW(DST), 4);
	s.sqe[3] = sqe(WD_SOFT_OP_SHA256, 0, FZ_RO_BASE, 2000, RW(DST), 32);
	emit("mixed", &s);

	/* bad descriptors */
	memset(&s, 0, sizeof(s));
	s.nsqe = 4;
	s.sqe[0] = sqe(WD_SOFT_OP_NOP, 1, 0, 0, 0, 0);
	s.sqe[1] = sqe(WD_SOFT_OP_MAX, 0, 0, 0, 0, 0);
	s.sqe[2] = sqe(WD_SOFT_OP_COPY, 0, RW(0), 10, RW(DST), 10);
	s.sqe[2].flags = 8;	/* unknown (4 is F_STATE) */
	s.sqe[3] = sqe(WD_SOFT_OP_COPY, 0, RW(0), 10, RW(DST), 10);
	s.sqe[3].rsvd = 1;
	s.mem_len = 16;
	emit("bad-descriptors", &s);

	/* SHA-256 with its state in memory (F_STATE): updates, FINISH,
	 * DST_SMALL; then the state read-only, misaligned, on another op,
	 * out of reach
	 */
	{
		static const uint32_t h0[8] = {
			0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
		};
		struct wd_soft_sha256_state st;
		const uint64_t at = 0x8000;	/* the state, in RW and RO */
		int i;

		memset(&s, 0, sizeof(s));
		memset(&st, 0, sizeof(st));
		memcpy(st.h, h0, sizeof(h0));
		s.nsqe = 4;
		put(&s, 0, text, 2000);
		put(&s, at, &st, sizeof(st));
		s.sqe[0] = sqe(WD_SOFT_OP_SHA256, 0, RW(0), 1000, 0, 0);
		s.sqe[1] = sqe(WD_SOFT_OP_SHA256, 0, RW(1000), 100, 0, 0);
		s.sqe[2] = sqe(WD_SOFT_OP_SHA256, 0, RW(1100), 50, RW(DST), 32);
		s.sqe[3] = sqe(WD_SOFT_OP_SHA256, 0, RW(1150), 7, RW(DST), 31);
		for (i = 0; i < 4; i++) {
			s.sqe[i].flags = WD_SOFT_SQE_F_STATE;
			s.sqe[i].state = RW(at);
			s.sqe[i].sflags = i < 2 ? WD_SOFT_SF_NO_FLUSH :
				WD_SOFT_SF_FINISH;
		}
		emit("sha256-state", &s);
		s.sqe[0].state = FZ_RO_BASE + at;	/* read-only */
		s.sqe[1].state = RW(at) + 64;		/* misaligned */
		s.sqe[2].op = WD_SOFT_OP_COPY;		/* another op */
		s.sqe[3].state = 0xffff800000000000ull;	/* out of reach */
		emit("sha256-state-bad", &s);
	}

	/* injected failures on two of three requests */
	s.ctl = 2u << 3;
	s.nsqe = 3;
	s.sqe[0] = sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	s.sqe[1] = sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	s.sqe[2] = sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	emit("fail-next", &s);

	/* a long CRC stopped at its second chunk, two more behind it */
	memset(&s, 0, sizeof(s));
	s.ctl = 2u << 5;
	s.nsqe = 3;
	put(&s, 0, text, 100);
	s.sqe[0] = sqe(WD_SOFT_OP_CRC32C, 0, RW(0), 180000, RW(190000), 4);
	s.sqe[1] = sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	s.sqe[2] = sqe(WD_SOFT_OP_NOP, 0, 0, 0, 0, 0);
	emit("stop-mid-request", &s);

	/* a hostile ring (wd_soft_v3): phases (1 valid, 0 stale, else
	 * garbage), the base the indices start at, cq_head's offset */
	memset(&s, 0, sizeof(s));
	s.ctl = FZ_CTL_INDICES;
	s.nsqe = 4;
	for (int i = 0; i < 4; i++) {
		s.sqe[i] = sqe(WD_SOFT_OP_COPY, 0, RW(0), 64, RW(DST + 64 * i), 64);
		s.sqe[i].phase = 1;
	}
	put(&s, 0, text, 64);
	emit("ring-honest", &s);
	s.sqe[1].phase = 0;
	emit("ring-stale-phase", &s);	/* takes SQE 0 only */
	s.sqe[1].phase = 2;
	emit("ring-garbage-phase", &s);
	s.sqe[1].phase = 1;
	s.base = 0xfffffffeu;
	emit("ring-wrap", &s);		/* 2^32 within the batch */
	s.base = 1000;
	emit("ring-lap-end", &s);	/* slots 1000..1023, then 0 */
	s.cq_off = 5;
	emit("cq-head-ahead", &s);
	s.cq_off = (uint32_t)-1025;
	emit("cq-head-behind", &s);
	s.cq_off = (uint32_t)-1022;
	emit("cq-nearly-full", &s);	/* room for 2 */
	s.cq_off = (uint32_t)-1024;
	emit("cq-full", &s);		/* nothing, not broken */
	s.cq_off = 5;
	s.sqe[0].phase = 0;
	emit("nothing-published", &s);	/* bad cq_head never read */

	stream_seeds();
	printf("fz_seeds: %d seeds in %s\n", count, dir);
	return 0;
}
