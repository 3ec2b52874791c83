// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * selftest: the engine core in user space, with a minimal host.
 *
 * A reference for a user-space host (flat memory: a device address is a
 * pointer of this process; zlib; OpenSSL's libcrypto; a table CRC-32C) and a
 * quick check of the core's operations and framing without a VM. Prints
 * "PASS: engine.NAME" / "FAIL: engine.NAME: why" lines (tests/run.sh counts
 * them) and exits 1 if anything failed.
 */
/* SHA256_CTX, for states in memory (sha256-user.h) */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "wd_soft_core.h"
#include "zlib-user.h"
#include "sha256-user.h"

/* ---- the host ---- */

/* a backend state: OpenSSL's SHA-256 (EVP, or SHA256_CTX from an import
 * to the next init), zlib's stream
 */
struct wd_soft_host_alg {
	EVP_MD_CTX *sha;
	struct wd_soft_sha256_user st;
	bool st_live;
	struct wd_soft_zlib z;
};

/* backend states allocated so far */
static int alg_allocs;

struct wd_soft_host_alg *wd_soft_host_alg_alloc(struct wd_soft_core_dev *dev,
						enum wd_soft_alg_kind kind,
						size_t *bytes)
{
	struct wd_soft_host_alg *a = calloc(1, sizeof(*a));

	(void)dev;
	alg_allocs++;
	if (a && (kind == WD_SOFT_ALG_ENGINE || kind == WD_SOFT_ALG_SHA256)) {
		a->sha = EVP_MD_CTX_new();
		if (!a->sha) {
			free(a);
			a = NULL;
		}
	}
	/* zlib's documented memory use, windowBits 15, memLevel 8 */
	*bytes = sizeof(*a) + (kind == WD_SOFT_ALG_DEFLATE ? 256 * 1024 + 6000 :
			       kind == WD_SOFT_ALG_INFLATE ? 32 * 1024 + 7200 : 0);
	return a;
}

void wd_soft_host_alg_free(struct wd_soft_host_alg *a)
{
	if (a)
		EVP_MD_CTX_free(a->sha);
	free(a);
}

static int wakes, errors_reported;
/* when it reaches 0, a copy answers -EAGAIN: the request is held */
static int held_in_copies;

/* addresses below 64 KiB are "unmapped" */
long wd_soft_host_copy(struct wd_soft_core_ctx *ctx, void *buf, u64 addr,
		       u32 len, bool write)
{
	void *p = (void *)(uintptr_t)addr;

	(void)ctx;
	if (addr < 65536)
		return -EFAULT;
	if (held_in_copies > 0 && !--held_in_copies)
		return -EAGAIN;
	if (write)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
	return len;
}

/*
 * In place: the odd 4 KiB pages (up to the page's end), so that a buffer
 * over several pages takes both paths; nothing while a hold is armed (the
 * hold tests count copies) nor below 64 KiB; whole ranges while
 * map_in_place is set (test_oneshot(): the one-shot path needs the source
 * and destination whole). @maps_live: mappings not yet given back (the
 * core must unmap before each CQE).
 */
static bool map_in_place;
static int maps_live, unmaps, oneshots;

long wd_soft_host_map(struct wd_soft_core_ctx *ctx, u64 addr, u64 len,
		      bool write, void **kaddr)
{
	u64 room = 4096 - (addr & 4095);

	(void)ctx;
	(void)write;
	if (addr < 65536 || held_in_copies > 0)
		return 0;
	*kaddr = (void *)(uintptr_t)addr;
	if (map_in_place) {
		maps_live++;
		return (long)len;
	}
	if (!((addr >> 12) & 1))
		return 0;
	maps_live++;
	return (long)(len < room ? len : room);
}

void wd_soft_host_unmap(struct wd_soft_core_ctx *ctx)
{
	(void)ctx;
	(void)ctx;
	if (maps_live)
		unmaps++;
	maps_live = 0;
}

void wd_soft_host_yield(struct wd_soft_core_ctx *ctx)
{
	(void)ctx;
}

void wd_soft_host_wake(struct wd_soft_core_queue *q)
{
	(void)q;
	wakes++;
}

void wd_soft_host_report_error(struct wd_soft_core_queue *q)
{
	(void)q;
	errors_reported++;
}

u64 wd_soft_host_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (u64)t.tv_sec * 1000000000u + (u64)t.tv_nsec + 1;
}

u32 wd_soft_host_crc32(u32 crc, const void *data, u32 len)
{
	return (u32)crc32(crc, data, len);
}

int wd_soft_host_crc32c(struct wd_soft_host_alg *a, u32 *crc,
			const void *data, u32 len)
{
	static u32 table[256];
	const u8 *p = data;
	u32 c = *crc, i, k;

	(void)a;
	if (!table[1]) {
		for (i = 0; i < 256; i++) {
			c = i;
			for (k = 0; k < 8; k++)
				c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
			table[i] = c;
		}
		c = *crc;
	}
	while (len--)
		c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
	*crc = c;
	return 0;
}

int wd_soft_host_sha256_init(struct wd_soft_host_alg *a)
{
	a->st_live = false;
	return EVP_DigestInit_ex(a->sha, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int wd_soft_host_sha256_update(struct wd_soft_host_alg *a, const void *data,
			       u32 len)
{
	if (a->st_live)
		return wd_soft_sha256_user_update(&a->st, data, len);
	return EVP_DigestUpdate(a->sha, data, len) == 1 ? 0 : -EIO;
}

int wd_soft_host_sha256_final(struct wd_soft_host_alg *a, u8 *digest)
{
	if (a->st_live) {
		a->st_live = false;
		return wd_soft_sha256_user_final(&a->st, digest);
	}
	return EVP_DigestFinal_ex(a->sha, digest, NULL) == 1 ? 0 : -EIO;
}

int wd_soft_host_sha256_import(struct wd_soft_host_alg *a,
			       const struct wd_soft_sha256_state *st)
{
	a->st_live = true;
	return wd_soft_sha256_user_import(&a->st, st);
}

int wd_soft_host_sha256_export(struct wd_soft_host_alg *a,
			       struct wd_soft_sha256_state *st)
{
	return a->st_live ? wd_soft_sha256_user_export(&a->st, st) : -EIO;
}

int wd_soft_host_zinit(struct wd_soft_host_alg *a, enum wd_soft_zdir dir,
		       int level)
{
	return wd_soft_zlib_init(&a->z, dir, level, NULL, NULL, NULL);
}

int wd_soft_host_zrun(struct wd_soft_host_alg *a, struct wd_soft_zstream *zs,
		      enum wd_soft_zflush flush)
{
	return wd_soft_zlib_run(&a->z, zs, flush);
}

int wd_soft_host_zreset(struct wd_soft_host_alg *a)
{
	return wd_soft_zlib_reset(&a->z);
}

void wd_soft_host_zend(struct wd_soft_host_alg *a)
{
	wd_soft_zlib_end(&a->z);
}

/* zlib's raw deflate in one call (compress2() without its framing) */
long wd_soft_host_zoneshot(struct wd_soft_host_alg *a, int level,
			   const void *src, u32 slen, void *dst, u32 dlen)
{
	z_stream zs = { 0 };
	int ret;

	(void)a;
	if (deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)src;
	zs.avail_in = slen;
	zs.next_out = dst;
	zs.avail_out = dlen;
	ret = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (ret != Z_STREAM_END)
		return 0;
	oneshots++;
	return (long)zs.total_out;
}

/* ---- the tests ---- */

static struct wd_soft_core_dev dev;
static struct wd_soft_core_queue q;
static struct wd_soft_core_engine eng;
static int failed;

#define CHECK(name, cond, ...) do {					\
	if (cond) {							\
		printf("PASS: engine.%s\n", name);			\
	} else {							\
		printf("FAIL: engine.%s: ", name);			\
		printf(__VA_ARGS__);					\
		printf("\n");						\
		failed++;						\
	}								\
} while (0)

/*
 * Publish @s as the next SQE (wd_soft_v3: every field, then the phase).
 * The tests run one request at a time: every SQE before it was taken.
 */
static void push_sqe(struct wd_soft_sqe s)
{
	u32 t = q.sq_head;
	struct wd_soft_sqe *slot = &q.sq[t & (WD_SOFT_DEPTH - 1)];

	memcpy(slot, &s, offsetof(struct wd_soft_sqe, phase));
	__atomic_store_n(&slot->phase, WD_SOFT_PHASE(t, WD_SOFT_DEPTH),
			 __ATOMIC_RELEASE);
}

/* Submit one SQE through the ring and serve it; returns the CQE. */
static struct wd_soft_cqe run_sqe(struct wd_soft_sqe s)
{
	struct wd_soft_core_ctx ctx;

	push_sqe(s);
	/* a held request runs again at the next serve */
	for (int i = 0;; i++) {
		wd_soft_core_ctx_init(&ctx, &q, &eng);
		if (wd_soft_core_serve(&ctx, 16, SZ_1M) == 1)
			break;
		if (!q.has_held || i == 3)
			return (struct wd_soft_cqe){ .status = 0xdead };
	}
	__atomic_store_n(&q.mmio->cq_head, q.cq_tail, __ATOMIC_RELEASE);
	if (maps_live)
		return (struct wd_soft_cqe){ .status = 0xbeef };
	return q.cq[(q.cq_tail - 1) & (WD_SOFT_DEPTH - 1)];
}

static struct wd_soft_cqe run_ctx(u16 op, u32 params, u32 id, u32 sflags,
				  const void *src, u32 slen, void *dst, u32 dlen)
{
	struct wd_soft_sqe s = {
		.user_data = 0x55, .op = op, .params = params,
		.src = (uintptr_t)src, .dst = (uintptr_t)dst,
		.src_len = slen, .dst_len = dlen, .ctx = id, .sflags = sflags,
	};

	return run_sqe(s);
}

static struct wd_soft_cqe run(u16 op, u32 params, const void *src, u32 slen,
			      void *dst, u32 dlen)
{
	return run_ctx(op, params, 0, 0, src, slen, dst, dlen);
}

/* ---- stream contexts, against zlib and OpenSSL ---- */

static u32 rnd_state = 12345;

static u32 rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static u32 ctx_open(u16 op, u32 level)
{
	struct wd_soft_ctx_cmd c = { .cmd = WD_SOFT_CTX_OPEN, .op = op,
				     .level = level };

	return wd_soft_core_ctx_cmd(&q, &c) ? 0 : c.ctx;
}

static int ctx_close(u32 id)
{
	struct wd_soft_ctx_cmd c = { .cmd = WD_SOFT_CTX_CLOSE, .ctx = id };

	return wd_soft_core_ctx_cmd(&q, &c);
}

/*
 * Compress @len bytes through context @ctx in random pieces with random
 * output room; @flushes: use sync and full flushes now and then, and check
 * after each that the output so far inflates to the input so far (raw
 * deflate only). Return: output bytes, or -1 with a message.
 */
static long s_comp(u32 ctx, u16 op, const u8 *data, u32 len, u8 *out,
		   u32 cap, bool flushes, const char **why)
{
	u32 in = 0, o = 0, n, flush, room, r;
	struct wd_soft_cqe e;
	bool last;

	for (;;) {
		r = rnd() % 70000;
		n = min(len - in, r);
		last = in + n == len;
		flush = WD_SOFT_SF_NO_FLUSH;
		if (last)
			flush = WD_SOFT_SF_FINISH;
		else if (flushes && rnd() % 3 == 0)
			flush = rnd() % 2 ? WD_SOFT_SF_SYNC_FLUSH :
					    WD_SOFT_SF_FULL_FLUSH;
		do {
			r = 1 + rnd() % 20000;
			room = min(cap - o, r);
			e = run_ctx(op, 0, ctx, flush, data + in, n, out + o,
				    room);
			if (e.status) {
				*why = "status";
				return -1;
			}
			if (e.in_len > n || e.out_len > room) {
				*why = "lengths";
				return -1;
			}
			in += e.in_len;
			n -= e.in_len;
			o += e.out_len;
		} while (e.cflags & WD_SOFT_CF_MORE);
		if (n) {
			*why = "input left without MORE";
			return -1;
		}
		if (last)
			return e.cflags & WD_SOFT_CF_END ? (long)o :
			       (*why = "no END", -1);
		if (flush != WD_SOFT_SF_NO_FLUSH && op == WD_SOFT_OP_DEFLATE) {
			z_stream zs = { 0 };
			u8 *chk = malloc(in + 1);
			bool ok;

			inflateInit2(&zs, -15);
			zs.next_in = out;
			zs.avail_in = o;
			zs.next_out = chk;
			zs.avail_out = in + 1;
			inflate(&zs, Z_SYNC_FLUSH);
			ok = zs.total_out == in && !zs.avail_in &&
			     !memcmp(chk, data, in);
			inflateEnd(&zs);
			free(chk);
			if (!ok) {
				*why = "a flush did not output everything";
				return -1;
			}
		}
	}
}

/*
 * Decompress @clen bytes through @ctx in random pieces, random room.
 * Return: output bytes (*@used: input consumed at END), or -1.
 */
static long s_decomp(u32 ctx, u16 op, const u8 *c, u32 clen, u8 *out,
		     u32 cap, u32 *used, const char **why)
{
	u32 in = 0, o = 0, n, room, r;
	struct wd_soft_cqe e;

	for (;;) {
		r = rnd() % 9000;
		n = min(clen - in, r);
		r = rnd() % 30000;
		room = min(cap - o, r);
		e = run_ctx(op, 0, ctx, 0, c + in, n, out + o, room);
		if (e.status) {
			*why = "status";
			return -1;
		}
		if (e.in_len > n || e.out_len > room) {
			*why = "lengths";
			return -1;
		}
		in += e.in_len;
		o += e.out_len;
		if (e.cflags & WD_SOFT_CF_END) {
			*used = in;
			return o;
		}
		if (in == clen && !(e.cflags & WD_SOFT_CF_MORE) && room) {
			*why = "truncated without END";
			return -1;
		}
	}
}

static void test_stream_comp(const u8 *data, u32 len)
{
	static const u16 ops[] = { WD_SOFT_OP_DEFLATE, WD_SOFT_OP_ZLIB_COMP,
				   WD_SOFT_OP_GZIP_COMP };
	static const int wbits[] = { -15, 15, 31 };
	u32 cap = len + len / 4 + 4096, i, lvl;
	u8 *c = malloc(cap), *d = malloc(len + 1);
	const char *why = "";
	char n[96];
	long cl;

	for (i = 0; i < 3; i++) {
		for (lvl = 1; lvl <= 9; lvl += 4) {
			u32 ctx = ctx_open(ops[i], lvl);
			z_stream zs = { 0 };
			bool ok;

			cl = s_comp(ctx, ops[i], data, len, c, cap, i == 0, &why);
			inflateInit2(&zs, wbits[i]);
			zs.next_in = c;
			zs.avail_in = cl > 0 ? (u32)cl : 0;
			zs.next_out = d;
			zs.avail_out = len + 1;
			ok = cl > 0 && inflate(&zs, Z_FINISH) == Z_STREAM_END &&
			     zs.total_out == len && !zs.avail_in &&
			     !memcmp(d, data, len);
			inflateEnd(&zs);
			snprintf(n, sizeof(n), "stream_comp.op%u.level%u.%u", ops[i],
				 lvl, len);
			CHECK(n, ok, "%s (%ld)", why, cl);
			/* RESET: the same context compresses a second stream */
			if (ctx) {
				struct wd_soft_cqe e = run_ctx(ops[i], 0, ctx,
					WD_SOFT_SF_RESET | WD_SOFT_SF_FINISH,
					data, 1000 < len ? 1000 : len, c, cap);
				uLongf dl = len + 1;

				ok = !e.status && (e.cflags & WD_SOFT_CF_END);
				if (ok && i == 1)
					ok = uncompress(d, &dl, c, e.out_len) == Z_OK &&
					     dl == (1000 < len ? 1000 : len);
				snprintf(n, sizeof(n), "stream_reset.op%u.level%u.%u",
					 ops[i], lvl, len);
				CHECK(n, ok, "status %u", e.status);
			}
			ctx_close(ctx);
		}
	}
	free(c);
	free(d);
}

static void test_stream_decomp(const u8 *data, u32 len)
{
	static const u16 ops[] = { WD_SOFT_OP_INFLATE, WD_SOFT_OP_ZLIB_DECOMP,
				   WD_SOFT_OP_GZIP_DECOMP };
	static const int wbits[] = { -15, 15, 31 };
	u32 cap = 2 * (len + len / 4 + 4096), i, used = 0, half;
	u8 *c = malloc(cap), *d = malloc(2 * len + 1);
	const char *why = "";
	char n[96];
	long dl;

	for (i = 0; i < 3; i++) {
		z_stream zs = { 0 };
		u32 clen, ctx = ctx_open(ops[i], 0);
		bool ok;

		/* zlib's output, flushed now and then, then "XYZ" */
		deflateInit2(&zs, 6, Z_DEFLATED, wbits[i], 8, Z_DEFAULT_STRATEGY);
		zs.next_out = c;
		zs.avail_out = cap;
		half = len / 2;
		zs.next_in = (u8 *)data;
		zs.avail_in = half;
		deflate(&zs, Z_SYNC_FLUSH);
		zs.avail_in = len - half;
		deflate(&zs, Z_FINISH);
		clen = (u32)zs.total_out;
		deflateEnd(&zs);
		if (i == 2) {
			/* a second member: gzip goes from member to member */
			memset(&zs, 0, sizeof(zs));
			deflateInit2(&zs, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
			zs.next_in = (u8 *)data;
			zs.avail_in = len;
			zs.next_out = c + clen;
			zs.avail_out = cap - clen;
			deflate(&zs, Z_FINISH);
			clen += (u32)zs.total_out;
			deflateEnd(&zs);
		}
		memcpy(c + clen, "XYZ", 3);
		dl = s_decomp(ctx, ops[i], c, clen + 3, d, 2 * len + 1, &used,
			      &why);
		ok = dl == (long)(i == 2 ? 2 * len : len) && used == clen &&
		     !memcmp(d, data, len) &&
		     (i < 2 || !memcmp(d + len, data, len));
		snprintf(n, sizeof(n), "stream_decomp.op%u.%u", ops[i], len);
		CHECK(n, ok, "%s (%ld of %u, used %u of %u)", why, dl, len, used,
		      clen);

		/* corrupt: that stream only, until RESET */
		if (len > 1000) {
			struct wd_soft_cqe e;

			/* raw deflate has no check value: a reserved block type */
			u32 at = i ? clen / 2 : 0;
			u8 was = c[at];

			c[at] = i ? was ^ 0x55 : 0xff;
			run_ctx(ops[i], 0, ctx, WD_SOFT_SF_RESET, NULL, 0, NULL, 0);
			e = run_ctx(ops[i], 0, ctx, 0, c, clen, d, 2 * len + 1);
			c[at] = was;
			snprintf(n, sizeof(n), "stream_corrupt.op%u", ops[i]);
			CHECK(n, e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
			e = run_ctx(ops[i], 0, ctx, 0, c, clen, d, 2 * len + 1);
			snprintf(n, sizeof(n), "stream_broken.op%u", ops[i]);
			CHECK(n, e.status == WD_SOFT_S_BAD_CTX, "status %u", e.status);
			e = run_ctx(ops[i], 0, ctx, WD_SOFT_SF_RESET, c, clen, d,
				    2 * len + 1);
			snprintf(n, sizeof(n), "stream_reset_after_corrupt.op%u",
				 ops[i]);
			CHECK(n, !e.status && e.in_len == clen &&
			      e.out_len == (i == 2 ? 2 * len : len),
			      "status %u in %u out %u", e.status, e.in_len,
			      e.out_len);
		}
		ctx_close(ctx);
	}
	free(c);
	free(d);
}

static void test_stream_dict(const u8 *data, u32 len)
{
	static const char dict[] = "WarpDrive WarpDrive accelerator dictionary";
	u32 cap = len + len / 4 + 4096, used = 0, ctx;
	u8 *c = malloc(cap), *d = malloc(len + 1);
	const char *why = "";
	struct wd_soft_cqe e;
	z_stream zs = { 0 };
	long cl, dl;
	bool ok;

	/* ours with a dictionary, zlib's inflate with inflateSetDictionary */
	ctx = ctx_open(WD_SOFT_OP_ZLIB_COMP, 6);
	e = run_ctx(WD_SOFT_OP_ZLIB_COMP, 0, ctx, WD_SOFT_SF_DICT, dict,
		    sizeof(dict), NULL, 0);
	cl = s_comp(ctx, WD_SOFT_OP_ZLIB_COMP, data, len, c, cap, false, &why);
	ctx_close(ctx);
	inflateInit(&zs);
	zs.next_in = c;
	zs.avail_in = cl > 0 ? (u32)cl : 0;
	zs.next_out = d;
	zs.avail_out = len + 1;
	ok = !e.status && cl > 0 && inflate(&zs, Z_FINISH) == Z_NEED_DICT &&
	     inflateSetDictionary(&zs, (const u8 *)dict, sizeof(dict)) == Z_OK &&
	     inflate(&zs, Z_FINISH) == Z_STREAM_END && zs.total_out == len &&
	     !memcmp(d, data, len);
	inflateEnd(&zs);
	CHECK("stream_dict_comp", ok, "%s status %u", why, e.status);

	/* zlib's deflate with deflateSetDictionary, ours: NEED_DICT, DICT */
	memset(&zs, 0, sizeof(zs));
	deflateInit(&zs, 6);
	deflateSetDictionary(&zs, (const u8 *)dict, sizeof(dict));
	zs.next_in = (u8 *)data;
	zs.avail_in = len;
	zs.next_out = c;
	zs.avail_out = cap;
	deflate(&zs, Z_FINISH);
	cl = (long)zs.total_out;
	deflateEnd(&zs);
	ctx = ctx_open(WD_SOFT_OP_ZLIB_DECOMP, 0);
	e = run_ctx(WD_SOFT_OP_ZLIB_DECOMP, 0, ctx, 0, c, (u32)cl, d, len);
	ok = !e.status && (e.cflags & WD_SOFT_CF_NEED_DICT) &&
	     e.dict_id == adler32(1, (const u8 *)dict, sizeof(dict)) &&
	     e.in_len == 6;
	CHECK("stream_need_dict", ok, "status %u cflags %#x", e.status, e.cflags);
	e = run_ctx(WD_SOFT_OP_ZLIB_DECOMP, 0, ctx, WD_SOFT_SF_DICT, "wrong", 5,
		    NULL, 0);
	CHECK("stream_wrong_dict", e.status == WD_SOFT_S_INVAL, "status %u",
	      e.status);
	e = run_ctx(WD_SOFT_OP_ZLIB_DECOMP, 0, ctx, WD_SOFT_SF_DICT, dict,
		    sizeof(dict), NULL, 0);
	dl = s_decomp(ctx, WD_SOFT_OP_ZLIB_DECOMP, c + 6, (u32)cl - 6, d,
		      len + 1, &used, &why);
	CHECK("stream_dict_decomp", !e.status && dl == len &&
	      used == (u32)cl - 6 && !memcmp(d, data, len), "%s %ld", why, dl);
	ctx_close(ctx);

	/* raw deflate both ways, ours: the dictionary before the data */
	ctx = ctx_open(WD_SOFT_OP_DEFLATE, 9);
	run_ctx(WD_SOFT_OP_DEFLATE, 0, ctx, WD_SOFT_SF_DICT, dict, sizeof(dict),
		NULL, 0);
	cl = s_comp(ctx, WD_SOFT_OP_DEFLATE, data, len, c, cap, false, &why);
	ctx_close(ctx);
	ctx = ctx_open(WD_SOFT_OP_INFLATE, 0);
	e = run_ctx(WD_SOFT_OP_INFLATE, 0, ctx, WD_SOFT_SF_DICT, dict,
		    sizeof(dict), NULL, 0);
	dl = s_decomp(ctx, WD_SOFT_OP_INFLATE, c, cl > 0 ? (u32)cl : 0, d,
		      len + 1, &used, &why);
	CHECK("stream_dict_raw", !e.status && dl == len && !memcmp(d, data, len),
	      "%s %ld status %u", why, dl, e.status);
	ctx_close(ctx);
	free(c);
	free(d);
}

static void test_stream_digest(const u8 *data, u32 len)
{
	u8 ref[32], got[32];
	u32 ctx = ctx_open(WD_SOFT_OP_SHA256, 0), c2 = ctx_open(WD_SOFT_OP_CRC32C, 0);
	u32 in = 0, n, crc = 0xffffffff, k;
	struct wd_soft_cqe e = { 0 };
	bool ok = ctx && c2;
	char nm[64];

	while (ok && in < len) {
		n = rnd() % 3 ? rnd() % 100000 : rnd() % 70;
		if (n > len - in)
			n = len - in;
		e = run_ctx(WD_SOFT_OP_SHA256, 0, ctx, 0, data + in, n, NULL, 0);
		ok = !e.status && e.in_len == n && !e.out_len;
		e = run_ctx(WD_SOFT_OP_CRC32C, 0, c2, 0, data + in, n, NULL, 0);
		ok = ok && !e.status && e.in_len == n;
		in += n;
	}
	e = run_ctx(WD_SOFT_OP_SHA256, 0, ctx, WD_SOFT_SF_FINISH, NULL, 0, got, 31);
	ok = ok && e.status == WD_SOFT_S_DST_SMALL && e.out_len == 32;
	e = run_ctx(WD_SOFT_OP_SHA256, 0, ctx, WD_SOFT_SF_FINISH, NULL, 0, got, 32);
	EVP_Digest(data, len, ref, NULL, EVP_sha256(), NULL);
	snprintf(nm, sizeof(nm), "stream_sha256.%u", len);
	CHECK(nm, ok && !e.status && e.out_len == 32 && (e.cflags & WD_SOFT_CF_END) &&
	      !memcmp(ref, got, 32), "status %u", e.status);
	/* the context starts a new digest after FINISH */
	e = run_ctx(WD_SOFT_OP_SHA256, 0, ctx, WD_SOFT_SF_FINISH, "abc", 3, got, 32);
	EVP_Digest("abc", 3, ref, NULL, EVP_sha256(), NULL);
	snprintf(nm, sizeof(nm), "stream_sha256_again.%u", len);
	CHECK(nm, !e.status && !memcmp(ref, got, 32), "status %u", e.status);
	e = run_ctx(WD_SOFT_OP_CRC32C, 0, c2, WD_SOFT_SF_FINISH, NULL, 0, got, 4);
	for (k = 0; k < len; k++) {
		crc ^= data[k];
		for (n = 0; n < 8; n++)
			crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
	}
	snprintf(nm, sizeof(nm), "stream_crc32c.%u", len);
	CHECK(nm, !e.status && get_unaligned_le32(got) == crc, "status %u %#x %#x",
	      e.status, get_unaligned_le32(got), crc);
	ctx_close(ctx);
	ctx_close(c2);
}

static void test_stream_rules(const u8 *data)
{
	u32 ids[WD_SOFT_MAX_CTX + 1], i, a, b;
	struct wd_soft_ctx_cmd c = { .cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_COPY };
	struct wd_soft_cqe e;
	u8 out[64];
	bool ok = true;

	CHECK("ctx_open_copy_inval", wd_soft_core_ctx_cmd(&q, &c) == -EINVAL, "no");
	c.op = WD_SOFT_OP_DEFLATE;
	c.level = 10;
	CHECK("ctx_open_level_inval", wd_soft_core_ctx_cmd(&q, &c) == -EINVAL, "no");
	c.level = 0;
	c.rsvd[1] = 1;
	CHECK("ctx_open_rsvd_inval", wd_soft_core_ctx_cmd(&q, &c) == -EINVAL, "no");
	for (i = 0; i < WD_SOFT_MAX_CTX; i++) {
		ids[i] = ctx_open(WD_SOFT_OP_SHA256, 0);
		ok = ok && ids[i];
	}
	c = (struct wd_soft_ctx_cmd){ .cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_SHA256 };
	a = (u32)alg_allocs;
	CHECK("ctx_per_queue_bound", ok && wd_soft_core_ctx_cmd(&q, &c) == -ENOSPC,
	      "no");
	/* refused before allocating (and charging) anything */
	CHECK("ctx_per_queue_bound_allocates_nothing", a == (u32)alg_allocs,
	      "%d allocations", alg_allocs - (int)a);
	for (i = 0; i < WD_SOFT_MAX_CTX; i++)
		ctx_close(ids[i]);
	CHECK("ctx_all_freed", dev.ctx_bytes == 0, "%llu bytes",
	      (unsigned long long)dev.ctx_bytes);
	dev.max_ctx_bytes = 100000;
	a = ctx_open(WD_SOFT_OP_GZIP_COMP, 1);
	c = (struct wd_soft_ctx_cmd){ .cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_SHA256 };
	CHECK("ctx_device_bound", !a && wd_soft_core_ctx_cmd(&q, &c) == 0,
	      "a %#x", a);
	ctx_close(c.ctx);
	dev.max_ctx_bytes = WD_SOFT_CORE_DEF_CTX_BYTES;

	a = ctx_open(WD_SOFT_OP_SHA256, 0);
	CHECK("ctx_close_twice", !ctx_close(a) && ctx_close(a) == -EBADF, "no");
	b = ctx_open(WD_SOFT_OP_SHA256, 0);
	e = run_ctx(WD_SOFT_OP_SHA256, 0, a, WD_SOFT_SF_FINISH, data, 10, out, 32);
	CHECK("ctx_closed_bad_ctx", e.status == WD_SOFT_S_BAD_CTX && a != b &&
	      (a & 0xff) == (b & 0xff), "status %u", e.status);
	e = run_ctx(WD_SOFT_OP_SHA256, 0, 77, 0, data, 10, out, 32);
	CHECK("ctx_never_opened", e.status == WD_SOFT_S_BAD_CTX, "status %u", e.status);
	e = run_ctx(WD_SOFT_OP_CRC32C, 0, b, 0, data, 10, out, 32);
	CHECK("ctx_wrong_op", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	e = run_ctx(WD_SOFT_OP_SHA256, 0, b, 1u << 7, data, 10, out, 32);
	CHECK("ctx_bad_sflags", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	e = run_ctx(WD_SOFT_OP_SHA256, 0, b, WD_SOFT_SF_SYNC_FLUSH, data, 10, out, 32);
	CHECK("ctx_digest_sync_inval", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	e = run_ctx(WD_SOFT_OP_SHA256, 0, 0, WD_SOFT_SF_FINISH, data, 10, out, 32);
	CHECK("sflags_without_ctx", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	/* a hold in the middle: the request resumes, the digest is right */
	held_in_copies = 2;
	e = run_ctx(WD_SOFT_OP_SHA256, 0, b, WD_SOFT_SF_FINISH, data, 200000, out, 32);
	{
		u8 ref[32];

		EVP_Digest(data, 200000, ref, NULL, EVP_sha256(), NULL);
		CHECK("ctx_held_resumes", !e.status && !memcmp(ref, out, 32) &&
		      !held_in_copies, "status %u", e.status);
	}
	/* an injected failure breaks the context, as every DEV_ERR does */
	wd_soft_core_set_fail_next(&dev, 1);
	e = run_ctx(WD_SOFT_OP_SHA256, 0, b, 0, data, 10, out, 32);
	a = run_ctx(WD_SOFT_OP_SHA256, 0, b, 0, data, 10, out, 32).status;
	CHECK("ctx_injected_dev_err_breaks", e.status == WD_SOFT_S_DEV_ERR &&
	      a == WD_SOFT_S_BAD_CTX && !run_ctx(WD_SOFT_OP_SHA256, 0, b,
						  WD_SOFT_SF_RESET, data, 10,
						  out, 32).status,
	      "status %u then %u", e.status, a);
	wd_soft_core_ctx_free_all(&q);
	CHECK("ctx_free_all", dev.ctx_bytes == 0, "%llu bytes",
	      (unsigned long long)dev.ctx_bytes);
}

/*
 * A request held twice: first after it fed the stream (a page of the
 * source), then, when it runs again, while the engine reads its SGL anew.
 * The second hold must not lose the progress of the first, or the stream
 * takes the same source twice.
 */
static void test_stream_held_twice(const u8 *data)
{
	struct wd_soft_sge sgl[2] = {
		{ .addr = (uintptr_t)data, .len = 100000 },
		{ .addr = (uintptr_t)(data + 100000), .len = 100000 },
	};
	u32 id = ctx_open(WD_SOFT_OP_SHA256, 0), done;
	struct wd_soft_sqe s = {
		.user_data = 0x66, .op = WD_SOFT_OP_SHA256,
		.flags = WD_SOFT_SQE_F_SRC_SGL, .src = (uintptr_t)sgl,
		.src_len = 2, .dst_len = 32, .ctx = id,
		.sflags = WD_SOFT_SF_FINISH,
	};
	struct wd_soft_core_ctx ctx;
	struct wd_soft_cqe e;
	u8 out[32], ref[32];
	bool held1, held2;

	s.dst = (uintptr_t)out;
	push_sqe(s);
	/* copies: the SGL, the first 64 KiB (fed), then the next: held */
	held_in_copies = 3;
	wd_soft_core_ctx_init(&ctx, &q, &eng);
	held1 = !wd_soft_core_serve(&ctx, 16, SZ_1M) && q.has_held &&
		q.held_in == WD_SOFT_CORE_CHUNK;
	/* again: held at its first copy, the SGL */
	held_in_copies = 1;
	wd_soft_core_ctx_init(&ctx, &q, &eng);
	held2 = !wd_soft_core_serve(&ctx, 16, SZ_1M) && q.has_held;
	wd_soft_core_ctx_init(&ctx, &q, &eng);
	done = wd_soft_core_serve(&ctx, 16, SZ_1M);
	__atomic_store_n(&q.mmio->cq_head, q.cq_tail, __ATOMIC_RELEASE);
	e = q.cq[(q.cq_tail - 1) & (WD_SOFT_DEPTH - 1)];
	EVP_Digest(data, 200000, ref, NULL, EVP_sha256(), NULL);
	CHECK("ctx_held_twice_resumes", held1 && held2 && done == 1 &&
	      !e.status && e.in_len == 200000 && !memcmp(ref, out, 32),
	      "held %d %d done %u status %u in_len %u", held1, held2, done,
	      e.status, e.in_len);

	/* held after feeding, then its SGL made invalid: INVAL, and the
	 * context, which took part of the source, is broken
	 */
	push_sqe(s);
	held_in_copies = 3;
	wd_soft_core_ctx_init(&ctx, &q, &eng);
	held1 = !wd_soft_core_serve(&ctx, 16, SZ_1M) && q.has_held;
	held_in_copies = 0;
	sgl[1].rsvd = 1;
	wd_soft_core_ctx_init(&ctx, &q, &eng);
	done = wd_soft_core_serve(&ctx, 16, SZ_1M);
	__atomic_store_n(&q.mmio->cq_head, q.cq_tail, __ATOMIC_RELEASE);
	e = q.cq[(q.cq_tail - 1) & (WD_SOFT_DEPTH - 1)];
	sgl[1].rsvd = 0;
	CHECK("ctx_resumed_inval_breaks", held1 && done == 1 &&
	      e.status == WD_SOFT_S_INVAL &&
	      run_ctx(WD_SOFT_OP_SHA256, 0, id, 0, data, 10, out, 32).status ==
	      WD_SOFT_S_BAD_CTX, "held %d done %u status %u", held1, done,
	      e.status);
	ctx_close(id);
}

static void test_streams(const u8 *data, u32 len)
{
	u32 sizes[] = { 0, 1, 100, 65536, 300000, len };
	const char *why = "";
	u32 i, ctx;
	u8 *c = malloc(len + len / 4 + 4096), *d = malloc(len + 1);

	test_stream_rules(data);
	test_stream_held_twice(data);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		test_stream_digest(data, sizes[i]);
		test_stream_decomp(data, sizes[i]);
		if (sizes[i] <= 300000)
			test_stream_comp(data, sizes[i]);
	}
	test_stream_dict(data, 300000);

	/* held for a page while writing: the stream resumes without loss */
	ctx = ctx_open(WD_SOFT_OP_GZIP_COMP, 6);
	for (i = 1; i < 6; i++) {
		held_in_copies = (int)i;
		run_ctx(WD_SOFT_OP_GZIP_COMP, 0, ctx, 0, data + (i - 1) * 100000,
			100000, c, 1000);
	}
	held_in_copies = 0;
	ctx_close(ctx);
	ctx = ctx_open(WD_SOFT_OP_GZIP_COMP, 6);
	held_in_copies = 3;
	{
		long cl = s_comp(ctx, WD_SOFT_OP_GZIP_COMP, data, len, c,
				 len + len / 4 + 4096, false, &why);
		z_stream zs = { 0 };
		bool ok;

		inflateInit2(&zs, 31);
		zs.next_in = c;
		zs.avail_in = cl > 0 ? (u32)cl : 0;
		zs.next_out = d;
		zs.avail_out = len + 1;
		ok = cl > 0 && inflate(&zs, Z_FINISH) == Z_STREAM_END &&
		     zs.total_out == len && !memcmp(d, data, len);
		inflateEnd(&zs);
		CHECK("stream_held_comp", ok, "%s %ld", why, cl);
	}
	ctx_close(ctx);
	free(c);
	free(d);
}

/* ---- SHA-256 with its state in memory (F_STATE) ---- */

static struct wd_soft_cqe run_state(u32 sflags, void *st, const void *src,
				    u32 slen, void *dst, u32 dlen)
{
	struct wd_soft_sqe s = {
		.user_data = 0x56, .op = WD_SOFT_OP_SHA256,
		.flags = WD_SOFT_SQE_F_STATE, .sflags = sflags,
		.src = (uintptr_t)src, .dst = (uintptr_t)dst,
		.src_len = slen, .dst_len = dlen, .state = (uintptr_t)st,
	};

	return run_sqe(s);
}

/*
 * Updates then FINISH against OpenSSL's one-shot digest; a request held
 * for a page at each of its copies in turn (the state's read, the
 * source's chunks, the state's write, the digest's) runs again from its
 * start and gives the same result; the rules' INVALs.
 */
static void test_state(const u8 *data)
{
	static const u32 h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	struct wd_soft_sha256_state *st, *st2;
	u32 cuts[] = { 0, 1, 63, 64, 65, 1000, 65536, 200000, 200001 };
	u8 ref[32], out[32];
	struct wd_soft_cqe e;
	char nm[64];
	bool ok = true;
	u32 i;

	st = aligned_alloc(WD_SOFT_STATE_ALIGN, 2 * WD_SOFT_STATE_ALIGN);
	st2 = (void *)((u8 *)st + WD_SOFT_STATE_ALIGN);
	/* a chain through every cut, then FINISH */
	memset(st, 0, sizeof(*st));
	memcpy(st->h, h0, sizeof(h0));
	for (i = 1; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		e = run_state(WD_SOFT_SF_NO_FLUSH, st, data + cuts[i - 1],
			      cuts[i] - cuts[i - 1], NULL, 0);
		ok = ok && !e.status && !e.out_len && st->count == cuts[i];
	}
	e = run_state(WD_SOFT_SF_FINISH, st, data + 200001, 99, out, 32);
	EVP_Digest(data, 200100, ref, NULL, EVP_sha256(), NULL);
	CHECK("state_chain", ok && !e.status && e.out_len == 32 &&
	      !memcmp(ref, out, 32) && st->count == 200001,
	      "status %u count %llu", e.status, (unsigned long long)st->count);

	/* held at the n-th copy: the state's read is 1, the source's 64 KiB
	 * chunks 2-5, the state's write 6 (an update) or the digest's (a
	 * FINISH); the second state is the reference run without a hold
	 */
	memset(st2, 0, sizeof(*st2));
	memcpy(st2->h, h0, sizeof(h0));
	run_state(WD_SOFT_SF_NO_FLUSH, st2, data, 1000, NULL, 0);
	for (i = 1; i <= 7; i++) {
		struct wd_soft_sha256_state saved = *st2;

		*st = saved;
		held_in_copies = (int)i;
		e = run_state(WD_SOFT_SF_NO_FLUSH, st, data + 1000, 200000, NULL, 0);
		held_in_copies = 0;
		run_state(WD_SOFT_SF_NO_FLUSH, st2, data + 1000, 200000, NULL, 0);
		snprintf(nm, sizeof(nm), "state_held_update.%u", i);
		CHECK(nm, !e.status && !memcmp(st, st2, sizeof(*st)),
		      "status %u count %llu", e.status, (unsigned long long)st->count);
		*st2 = saved;
		*st = saved;
		memset(out, 0, sizeof(out));
		held_in_copies = (int)i;
		e = run_state(WD_SOFT_SF_FINISH, st, data + 1000, 200000, out, 32);
		held_in_copies = 0;
		EVP_Digest(data, 201000, ref, NULL, EVP_sha256(), NULL);
		snprintf(nm, sizeof(nm), "state_held_finish.%u", i);
		CHECK(nm, !e.status && !memcmp(ref, out, 32) &&
		      !memcmp(st, &saved, sizeof(*st)), "status %u", e.status);
	}

	/* the rules (t_sha_state has them all, on both hosts) */
	e = run_state(WD_SOFT_SF_NO_FLUSH, (u8 *)st + 64, data, 10, NULL, 0);
	CHECK("state_misaligned", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	e = run_state(WD_SOFT_SF_NO_FLUSH, st, data, 10, out, 0);
	CHECK("state_update_dst", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	e = run_state(WD_SOFT_SF_SYNC_FLUSH, st, data, 10, NULL, 0);
	CHECK("state_sync_flush", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	e = run_state(WD_SOFT_SF_FINISH, st, data, 10, out, 31);
	CHECK("state_dst_small", e.status == WD_SOFT_S_DST_SMALL && e.out_len == 32,
	      "status %u", e.status);
	e = run_state(WD_SOFT_SF_NO_FLUSH, (void *)128, data, 10, NULL, 0);
	CHECK("state_bad_addr", e.status == WD_SOFT_S_BAD_ADDR, "status %u", e.status);
	free(st);
}

static void test_data(const char *name, const u8 *data, u32 len)
{
	u32 cap = len + len / 8 + 1024;
	u8 *c = malloc(cap), *d = malloc(len + 4), digest[32];
	struct wd_soft_cqe e;
	u32 crc, ref;
	char n[128];
	uLongf dl;
	int lvl;

	e = run(WD_SOFT_OP_SHA256, 0, data, len, digest, 32);
	EVP_Digest(data, len, c, NULL, EVP_sha256(), NULL);
	snprintf(n, sizeof(n), "sha256.%s", name);
	CHECK(n, !e.status && e.out_len == 32 && !memcmp(c, digest, 32),
	      "status %u", e.status);

	/* piece by piece, in place or copied: one call over the whole is
	 * the reference
	 */
	crc = ref = 0x12345678;
	wd_soft_host_crc32c(NULL, &ref, data, len);
	e = run(WD_SOFT_OP_CRC32C, crc, data, len, digest, 4);
	crc = get_unaligned_le32(digest);
	snprintf(n, sizeof(n), "crc32c.%s", name);
	CHECK(n, !e.status && e.out_len == 4 && crc == ref,
	      "status %u crc %#x, expected %#x", e.status, crc, ref);
	if (len) {
		memset(d, 0, len + 4);
		e = run(WD_SOFT_OP_COPY, 0, data + 1, len - 1, d + 3, len);
		snprintf(n, sizeof(n), "copy_unaligned.%s", name);
		CHECK(n, !e.status && e.out_len == len - 1 &&
		      !memcmp(d + 3, data + 1, len - 1) && !d[2] && !d[len + 2],
		      "status %u", e.status);
	}

	for (lvl = 0; lvl <= 9; lvl += 3) {
		z_stream zs = { 0 };

		e = run(WD_SOFT_OP_GZIP_COMP, lvl, data, len, c, cap);
		inflateInit2(&zs, 31);
		zs.next_in = c;
		zs.avail_in = e.out_len;
		zs.next_out = d;
		zs.avail_out = len + 1;
		snprintf(n, sizeof(n), "gzip%d.%s", lvl, name);
		CHECK(n, !e.status && inflate(&zs, Z_FINISH) == Z_STREAM_END &&
		      zs.total_out == len && !memcmp(d, data, len) &&
		      !zs.avail_in, "status %u", e.status);
		inflateEnd(&zs);
		e = run(WD_SOFT_OP_GZIP_DECOMP, 0, c, e.out_len, d, len);
		snprintf(n, sizeof(n), "gunzip%d.%s", lvl, name);
		CHECK(n, !e.status && e.out_len == len && !memcmp(d, data, len),
		      "status %u out_len %u", e.status, e.out_len);
	}
	e = run(WD_SOFT_OP_ZLIB_COMP, 9, data, len, c, cap);
	dl = len + 1;
	snprintf(n, sizeof(n), "zlib.%s", name);
	CHECK(n, !e.status && uncompress(d, &dl, c, e.out_len) == Z_OK &&
	      dl == len && !memcmp(d, data, len), "status %u", e.status);
	dl = cap;
	compress2(c, &dl, data, len, 6);
	e = run(WD_SOFT_OP_ZLIB_DECOMP, 0, c, (u32)dl, d, len);
	snprintf(n, sizeof(n), "unzlib.%s", name);
	CHECK(n, !e.status && e.out_len == len && !memcmp(d, data, len),
	      "status %u", e.status);
	/* trailing garbage, truncation */
	c[dl] = 0;
	e = run(WD_SOFT_OP_ZLIB_DECOMP, 0, c, (u32)dl + 1, d, len);
	snprintf(n, sizeof(n), "unzlib_garbage.%s", name);
	CHECK(n, e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
	e = run(WD_SOFT_OP_ZLIB_DECOMP, 0, c, (u32)dl - 1, d, len);
	snprintf(n, sizeof(n), "unzlib_truncated.%s", name);
	CHECK(n, e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
	free(c);
	free(d);
}

/*
 * The one-shot path (buffers in place): raw, zlib and gzip at every level,
 * each inflated by zlib back to the input, the host's one-shot deflate
 * called (and the mappings released) once per request; a destination too
 * small for the one-shot output falls back to the stream path, whose
 * DST_SMALL gives the size needed; without the buffers in place, no
 * one-shot call.
 */
static void test_oneshot(const u8 *data, u32 len)
{
	static const u16 ops[] = { WD_SOFT_OP_DEFLATE, WD_SOFT_OP_ZLIB_COMP,
				   WD_SOFT_OP_GZIP_COMP };
	static const int wbits[] = { -15, 15, 31 };
	u32 cap = len + len / 8 + 4096, i, lvl;
	u8 *c = malloc(cap), *d = malloc(len + 1);
	struct wd_soft_cqe e;
	char n[64];
	int before;

	map_in_place = true;
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		for (lvl = 1; lvl <= 9; lvl++) {
			z_stream zs = { 0 };
			bool ok;

			before = oneshots;
			unmaps = 0;
			e = run(ops[i], lvl, data, len, c, cap);
			inflateInit2(&zs, wbits[i]);
			zs.next_in = c;
			zs.avail_in = e.out_len;
			zs.next_out = d;
			zs.avail_out = len + 1;
			ok = inflate(&zs, Z_FINISH) == Z_STREAM_END &&
			     zs.total_out == len && !memcmp(d, data, len) &&
			     !zs.avail_in;
			inflateEnd(&zs);
			snprintf(n, sizeof(n), "oneshot_op%u_level%u", ops[i], lvl);
			CHECK(n, !e.status && ok && oneshots == before + 1 &&
			      unmaps == 1 && !maps_live,
			      "status %u ok %d oneshots %d unmaps %d", e.status,
			      ok, oneshots - before, unmaps);
		}
	}
	/* too small: the one-shot gives up, the stream path says how much */
	e = run(WD_SOFT_OP_GZIP_COMP, 6, data, len, c, cap);
	i = e.out_len;
	before = oneshots;
	e = run(WD_SOFT_OP_GZIP_COMP, 6, data, len, c, i / 2);
	CHECK("oneshot_dst_small", e.status == WD_SOFT_S_DST_SMALL &&
	      e.out_len == i && oneshots == before && !maps_live,
	      "status %u out_len %u (needs %u)", e.status, e.out_len, i);
	map_in_place = false;
	e = run(WD_SOFT_OP_GZIP_COMP, 6, data, len, c, cap);
	CHECK("oneshot_not_in_place", !e.status && oneshots == before &&
	      e.out_len == i, "status %u oneshots %d", e.status,
	      oneshots - before);
	free(c);
	free(d);
}

/*
 * A shared queue's helper (wd_soft_core_help()) takes plain requests only:
 * it leaves an SQE with a context or F_STATE at sq_head for the owner
 * (wd_soft_core_serve()), which takes it; CQEs stay in ring order.
 */
static void test_help(void)
{
	struct wd_soft_sqe sctx = { .user_data = 0x71, .op = WD_SOFT_OP_SHA256,
				    .ctx = 1 };
	struct wd_soft_sqe sst = { .user_data = 0x72, .op = WD_SOFT_OP_SHA256,
				   .flags = WD_SOFT_SQE_F_STATE };
	struct wd_soft_core_ctx ctx;
	u32 head, tail, n;

	/* the NOP the turn test published, by the owner */
	wd_soft_core_ctx_init(&ctx, &q, &eng);
	wd_soft_core_serve(&ctx, 16, SZ_1M);
	q.shared = true;
	for (int k = 0; k < 2; k++) {
		push_sqe(k ? sst : sctx);
		head = q.sq_head;
		tail = q.cq_tail;
		wd_soft_core_ctx_init(&ctx, &q, &eng);
		n = wd_soft_core_help(&ctx, 16, SZ_1M);
		CHECK(k ? "help_leaves_state" : "help_leaves_ctx",
		      !n && q.sq_head == head && q.cq_tail == tail,
		      "took %u", n);
		wd_soft_core_ctx_init(&ctx, &q, &eng);
		n = wd_soft_core_serve(&ctx, 16, SZ_1M);
		CHECK(k ? "owner_takes_state" : "owner_takes_ctx",
		      n == 1 && q.cq_tail == tail + 1 &&
		      q.cq[tail & (WD_SOFT_DEPTH - 1)].user_data == (k ? 0x72u : 0x71u),
		      "took %u", n);
		__atomic_store_n(&q.mmio->cq_head, q.cq_tail, __ATOMIC_RELEASE);
	}
	push_sqe((struct wd_soft_sqe){ .user_data = 0x73, .op = WD_SOFT_OP_NOP });
	tail = q.cq_tail;
	wd_soft_core_ctx_init(&ctx, &q, &eng);
	n = wd_soft_core_help(&ctx, 16, SZ_1M);
	CHECK("help_takes_plain", n == 1 && q.cq_tail == tail + 1 &&
	      q.cq[tail & (WD_SOFT_DEPTH - 1)].user_data == 0x73 &&
	      !q.cq[tail & (WD_SOFT_DEPTH - 1)].status, "took %u", n);
	__atomic_store_n(&q.mmio->cq_head, q.cq_tail, __ATOMIC_RELEASE);
	q.shared = false;
}

int main(void)
{
	static u8 mmio[WD_SOFT_MMIO_SIZE], dus[WD_SOFT_DUS_SIZE];
	u32 len = 3 << 20, i, crc;
	u8 *data = malloc(len), out[64];
	struct wd_soft_cqe e;
	char algs[64];

	for (i = 0; i < len; i++)
		data[i] = (u8)("WarpDrive "[i % 10] + (i / 4096 % 3) * (i % 7 == 0));
	size_t n;

	eng.in = malloc(WD_SOFT_CORE_CHUNK);
	eng.out = malloc(WD_SOFT_CORE_CHUNK);
	eng.sgl = malloc(2 * WD_SOFT_CORE_MAX_SGE * sizeof(*eng.sgl));
	eng.alg = wd_soft_host_alg_alloc(&dev, WD_SOFT_ALG_ENGINE, &n);
	wd_soft_core_dev_init(&dev, WD_SOFT_CORE_OPS_ALL);
	dev.oneshot = true;
	wd_soft_core_queue_init(&q, &dev, mmio, dus);

	wd_soft_core_algs(dev.ops, algs, sizeof(algs));
	CHECK("algorithms", !strcmp(algs, "nop\ncopy\ncrc32c\nsha256\ndeflate\nzlib\ngzip"),
	      "%s", algs);
	e = run(WD_SOFT_OP_CRC32C, 0xffffffff, "123456789", 9, out, 4);
	crc = get_unaligned_le32(out);
	CHECK("crc32c_check_value", !e.status && e.out_len == 4 &&
	      crc == 0x1cf96d7c, "status %u crc %#x", e.status, crc);
	e = run(WD_SOFT_OP_CRC32C, 0, "123456789", 9, out, 3);
	CHECK("crc32c_dst_small", e.status == WD_SOFT_S_DST_SMALL &&
	      e.out_len == 4, "status %u", e.status);
	e = run(WD_SOFT_OP_SHA256, 0, data, 10, out, 31);
	CHECK("sha256_dst_small", e.status == WD_SOFT_S_DST_SMALL &&
	      e.out_len == 32, "status %u", e.status);
	e = run(WD_SOFT_OP_GZIP_COMP, 10, data, 10, out, 64);
	CHECK("level_10_inval", e.status == WD_SOFT_S_INVAL, "status %u", e.status);
	e = run(WD_SOFT_OP_GZIP_DECOMP, 0, "not gzip", 8, out, 64);
	CHECK("gunzip_garbage", e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
	e = run(WD_SOFT_OP_INFLATE, 0, data, 0, out, 64);
	CHECK("inflate_empty", e.status == WD_SOFT_S_CORRUPT, "status %u", e.status);
	e = run(WD_SOFT_OP_SHA256, 0, (void *)16, 10, out, 32);
	CHECK("bad_addr", e.status == WD_SOFT_S_BAD_ADDR, "status %u", e.status);
	wd_soft_core_set_fail_next(&dev, 2);
	e = run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("fail_next_1", e.status == WD_SOFT_S_DEV_ERR, "status %u", e.status);
	e = run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("fail_next_2", e.status == WD_SOFT_S_DEV_ERR && errors_reported == 2,
	      "status %u", e.status);
	e = run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("fail_next_done", !e.status && !wd_soft_core_get_fail_next(&dev),
	      "status %u", e.status);

	test_streams(data, len);
	test_state(data);
	test_data("empty", data, 0);
	test_data("short", data, 100);
	test_data("3M", data, len);
	/* the data above spans many pages: both paths ran */
	CHECK("map_and_copy", eng.mapped > len / 4 && eng.copied > len,
	      "mapped %llu copied %llu", (unsigned long long)eng.mapped,
	      (unsigned long long)eng.copied);
	test_oneshot(data, 300000);

	/* cq_notify: ENABLE without ARMED wakes nobody, ARMED does */
	wakes = 0;
	q.mmio->cq_notify = WD_SOFT_CQN_ENABLE;
	run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("cq_notify_not_armed", wakes == 0, "%d wakes", wakes);
	q.mmio->cq_notify = WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED;
	run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("cq_notify_armed", wakes == 1, "%d wakes", wakes);
	q.mmio->cq_notify = 0;
	run(WD_SOFT_OP_NOP, 0, NULL, 0, NULL, 0);
	CHECK("cq_notify_legacy", wakes == 2, "%d wakes", wakes);

	/* parking: idle for spin_ns -> PARK with NEED_WAKEUP */
	CHECK("turn_idle", wd_soft_core_queue_turn(&q, 1000000000) == WD_SOFT_TURN_IDLE, "not idle");
	CHECK("turn_park", wd_soft_core_queue_turn(&q, 0) == WD_SOFT_TURN_PARK &&
	      (q.mmio->status & WD_SOFT_ST_NEED_WAKEUP), "status %#x", q.mmio->status);
	push_sqe((struct wd_soft_sqe){ .op = 0 });
	CHECK("turn_serve_after_kick", wd_soft_core_queue_turn(&q, 0) == WD_SOFT_TURN_SERVE &&
	      !(q.mmio->status & WD_SOFT_ST_NEED_WAKEUP), "status %#x", q.mmio->status);
	test_help();
	return failed ? 1 : 0;
}
