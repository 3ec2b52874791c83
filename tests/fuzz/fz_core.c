// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fz_core: libFuzzer target for the wd_soft engine core in user space.
 *
 * engine/wd_soft_core.c is compiled in unchanged with a deterministic,
 * single-threaded host (zlib, OpenSSL libcrypto) whose device memory is two
 * windows, one read-write and one read-only (fz_core.h gives the input
 * format). Each input is a few raw SQEs, optionally a hostile ring,
 * injected device errors and a stop in the middle of a request, plus the
 * memory content; the queue is served one SQE at a time through the real
 * ring code (wd_soft_core_serve()), then cancelled.
 *
 * Oracles, each an abort() that libFuzzer reports with the input:
 *  - every memory access of a request stays inside what the SQE names:
 *    reads inside its source pieces and its SGL arrays, writes inside its
 *    destination pieces (a NOP touches nothing; a request refused by its
 *    checks touches at most its SGL arrays);
 *  - one CQE per SQE, in order, with its user_data and phase; status a WD_SOFT_S_*
 *    value; out_len 0 unless OK or DST_SMALL; published indices right;
 *  - the status of every check the datasheet orders (injected fault, flags
 *    and reserved fields, op, params/level, SGL count and rsvd, source
 *    size) is exactly the predicted one;
 *  - with all memory valid and no overlap: COPY, CRC32C (bitwise
 *    reference), SHA-256 (OpenSSL one-shot) give the right bytes and
 *    out_len, or DST_SMALL exactly when the destination is too small;
 *    SHA-256 with a state in memory (F_STATE) continues that state as
 *    the FIPS 180-4 step reference does (tests/lib/ref.c): NO_FLUSH
 *    writes the state back (BAD_ADDR when it is read-only), FINISH the
 *    digest; and whatever happens, the state's bytes change only by a
 *    NO_FLUSH that completes OK;
 *    compression output decompresses (zlib) to the source; decompression
 *    agrees with zlib's own verdict on the same bytes (raw, zlib, and gzip
 *    members back to back, trailing bytes being an error);
 *  - a hostile ring (wd_soft_v3): only the SQEs published in order (each
 *    with its phase; stale and garbage phases never) are taken, as many
 *    as the completion ring has room for; each CQE carries its phase and
 *    no slot beyond is valid; a cq_head beyond cq_tail or more than a
 *    ring behind breaks the queue exactly when the device reads it (the
 *    CQ looks full); the free-running indices wrap at 2^32; an SQE
 *    rewritten after it was taken runs as taken;
 *  - the backend states are used as wd_soft_core.h says (kind, order,
 *    pairing) and all freed.
 * Inputs that start with FZ_STREAM_MAGIC drive stream contexts instead
 * (fz_stream.c has their oracles).
 */
/* SHA256_CTX, for states in memory (engine/sha256-user.h) */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <zlib.h>

#include "wd_soft_core.h"
#include "zlib-user.h"
#include "sha256-user.h"
#include "fz_core.h"
#include "fz_ref.h"
#include "ref.h"
#ifdef FZ_KZLIB
#include "kzlib/kz_host.h"
#endif

#define FZ_CHECK(c, ...) do {						\
	if (!(c)) {							\
		fprintf(stderr, "fz_core: %s:%d: check failed: %s: ",	\
			__FILE__, __LINE__, #c);			\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

/* ---- device memory ---- */

/*
 * The windows: where they are in device addresses and their memory. The
 * in-process variant (fz_local.c) moves the read-write window onto a real
 * queue's SS region and has no read-only one.
 */
static u8 rw_buf[FZ_RW_SIZE];
static u8 ro_mem[FZ_RO_SIZE];
static u8 *rw_mem = rw_buf;
static u64 rw_base = FZ_RW_BASE;
static u64 ro_size = FZ_RO_SIZE;

/* The window holding [addr, addr + len) entirely, or NULL. */
static u8 *fz_window(u64 addr, u64 len, bool write)
{
	if (addr >= rw_base && addr - rw_base <= FZ_RW_SIZE &&
	    len <= FZ_RW_SIZE - (addr - rw_base))
		return rw_mem + (addr - rw_base);
	if (!write && addr >= FZ_RO_BASE && addr - FZ_RO_BASE <= ro_size &&
	    len <= ro_size - (addr - FZ_RO_BASE))
		return ro_mem + (addr - FZ_RO_BASE);
	return NULL;
}

#ifndef FZ_LOCAL
/* Bytes from addr that are accessible, up to len (a copy_*_user prefix). */
static u64 fz_prefix(u64 addr, u64 len, bool write)
{
	u64 hi;

	if (addr >= rw_base && addr < rw_base + FZ_RW_SIZE)
		hi = rw_base + FZ_RW_SIZE;
	else if (!write && addr >= FZ_RO_BASE && addr < FZ_RO_BASE + ro_size)
		hi = FZ_RO_BASE + ro_size;
	else
		return 0;
	return min(len, hi - addr);
}
#endif

/* ---- what the current request may touch ---- */

#define FZ_MAX_RANGES	(2 * WD_SOFT_CORE_MAX_SGE + 2)
struct fz_range {
	u64 addr, len;
};
static struct fz_range rd_ok[FZ_MAX_RANGES], wr_ok[FZ_MAX_RANGES];
static unsigned int nr_rd, nr_wr;

static void fz_allow(struct fz_range *r, unsigned int *n, u64 addr, u64 len)
{
	if (!len)
		return;
	FZ_CHECK(*n < FZ_MAX_RANGES, "too many ranges");
	r[*n].addr = addr;
	r[*n].len = len;
	(*n)++;
}

/*
 * A buffer piece of the request: the host may touch it (reads for a
 * source, writes for a destination). Return: whether all of it can be
 * reached (no wrap-around, inside one window).
 */
static bool fz_allow_piece(const struct fz_range *p, bool write)
{
	if (write)
		fz_allow(wr_ok, &nr_wr, p->addr, p->len);
	else
		fz_allow(rd_ok, &nr_rd, p->addr, p->len);
	return !p->len || (p->addr + p->len >= p->addr &&
			   fz_window(p->addr, p->len, write));
}

/* [addr, addr + len) inside one allowed range? */
static __attribute__((unused)) bool fz_allowed(const struct fz_range *r, unsigned int n, u64 addr,
		       u64 len)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (addr >= r[i].addr && addr - r[i].addr <= r[i].len &&
		    len <= r[i].len - (addr - r[i].addr))
			return true;
	return false;
}

#ifndef FZ_LOCAL
/* ---- the host ---- */

static bool checking;	/* the bounds oracle is armed */

/*
 * A backend state: OpenSSL's SHA-256 and one zlib stream (fz_kcore: the
 * kernel's, with a workspace of its kind's size). The host checks the
 * core's use of it against the contract of wd_soft_core.h: each function
 * on a state of a kind that serves it, zinit/zend paired, zrun and zreset
 * only between them, free after zend.
 */
struct wd_soft_host_alg {
	enum wd_soft_alg_kind kind;
	EVP_MD_CTX *sha;
	bool sha_live;		/* init() or import() since the last final() */
	struct wd_soft_sha256_user st;	/* an imported digest ... */
	bool st_live;		/* ... is the one in progress */
	bool zlive;		/* zinit() done, zend() not yet */
	enum wd_soft_zdir dir;
#ifdef FZ_KZLIB
	struct kz_stream *kz;
#else
	struct wd_soft_zlib z;
#endif
};

struct fz_engine {
	struct wd_soft_core_engine core;
};

static struct fz_engine eng;
static struct wd_soft_core_dev dev;
static struct wd_soft_core_queue q;
static int wakes, errors_reported;
static unsigned int yields, stop_at;
/* the SQ slot to rewrite at the next data access (hostile ring), or NULL */
static struct wd_soft_sqe *rewrite_slot;

long wd_soft_host_copy(struct wd_soft_core_ctx *ctx, void *buf, u64 addr,
		       u32 len, bool write)
{
	u64 n;

	(void)ctx;
	if (rewrite_slot) {
		/* the process rewrites an SQE the device took: it must
		 * go on with the copy it took */
		u8 *b = (u8 *)rewrite_slot;

		for (size_t k = 0; k < offsetof(struct wd_soft_sqe, phase); k++)
			b[k] = ~b[k];
		rewrite_slot = NULL;
	}
	FZ_CHECK(len && len <= WD_SOFT_CORE_CHUNK, "%s of %u bytes",
		 write ? "write" : "read", len);
	if (checking)
		FZ_CHECK(write ? fz_allowed(wr_ok, nr_wr, addr, len) :
				 fz_allowed(rd_ok, nr_rd, addr, len),
			 "%s outside the request: %#llx+%u",
			 write ? "write" : "read", (unsigned long long)addr, len);
	n = fz_prefix(addr, len, write);
	if (!n)
		return -EFAULT;
	if (write)
		memcpy(fz_window(addr, n, true), buf, n);
	else
		memcpy(buf, fz_window(addr, n, false), n);
	return (long)n;
}

/*
 * In place, as the input decides per request (user_data bits 0-1): 0
 * never (every byte through wd_soft_host_copy()), 1 whatever the copy
 * would reach, 2 only 256-byte blocks with bit 8 of their address set
 * (up to the block's end: a buffer takes both paths), 3 reads only. The
 * engine gets a private heap copy of exactly the bytes mapped (ASan sees
 * any use beyond them), written back to the window at unmap; the bounds
 * oracle is the copy's. Every mapping must be given back before the CQE.
 */
static unsigned int map_policy;
struct fz_map {
	u64 addr, len;
	u8 *shadow;
	bool write;
};
static struct fz_map *maps;
static unsigned int nr_maps, cap_maps;
static u64 bytes_mapped;

long wd_soft_host_map(struct wd_soft_core_ctx *ctx, u64 addr, u64 len,
		      bool write, void **kaddr)
{
	u64 n;

	(void)ctx;
	FZ_CHECK(len && addr + len >= addr, "map of %llu bytes at %#llx",
		 (unsigned long long)len, (unsigned long long)addr);
	if (!map_policy || (map_policy == 3 && write) ||
	    (map_policy == 2 && !(addr & 256)))
		return 0;
	n = fz_prefix(addr, len, write);
	if (map_policy == 2)
		n = min(n, 256 - (addr & 255));
	if (!n)
		return 0;	/* the copy decides: BAD_ADDR */
	if (checking)
		FZ_CHECK(write ? fz_allowed(wr_ok, nr_wr, addr, n) :
				 fz_allowed(rd_ok, nr_rd, addr, n),
			 "map for %s outside the request: %#llx+%llu",
			 write ? "writing" : "reading",
			 (unsigned long long)addr, (unsigned long long)n);
	if (nr_maps == cap_maps) {
		cap_maps = cap_maps ? 2 * cap_maps : 64;
		maps = realloc(maps, cap_maps * sizeof(*maps));
		FZ_CHECK(maps, "no memory");
	}
	maps[nr_maps].shadow = malloc(n);
	FZ_CHECK(maps[nr_maps].shadow, "no memory");
	memcpy(maps[nr_maps].shadow, fz_window(addr, n, write), n);
	maps[nr_maps].addr = addr;
	maps[nr_maps].len = n;
	maps[nr_maps].write = write;
	*kaddr = maps[nr_maps++].shadow;
	bytes_mapped += n;
	return (long)n;
}

void wd_soft_host_unmap(struct wd_soft_core_ctx *ctx)
{
	unsigned int i;

	(void)ctx;
	for (i = 0; i < nr_maps; i++) {
		if (maps[i].write)
			memcpy(fz_window(maps[i].addr, maps[i].len, true),
			       maps[i].shadow, maps[i].len);
		free(maps[i].shadow);
	}
	nr_maps = 0;
}

/* Between chunks: the K-th boundary stops the queue, as a PUT_Q would. */
/* stream mode: close this context at the next chunk boundary (0: none) */
static u32 close_at_yield;
static int close_at_yield_ret = 1;

void wd_soft_host_yield(struct wd_soft_core_ctx *ctx)
{
	if (stop_at && ++yields == stop_at)
		WRITE_ONCE(q.stopping, true);
	if (close_at_yield) {
		/* CLOSE while the request runs on it (the core allows it) */
		struct wd_soft_ctx_cmd cmd = { .cmd = WD_SOFT_CTX_CLOSE,
					       .ctx = close_at_yield };

		close_at_yield_ret = wd_soft_core_ctx_cmd(ctx->q, &cmd);
		close_at_yield = 0;
	}
}

void wd_soft_host_wake(struct wd_soft_core_queue *cq)
{
	(void)cq;
	wakes++;
}

void wd_soft_host_report_error(struct wd_soft_core_queue *cq)
{
	(void)cq;
	errors_reported++;
}

u64 wd_soft_host_now_ns(void)
{
	static u64 t = 1;

	return t += 1000;	/* deterministic: 1 µs per look */
}

u32 wd_soft_host_crc32(u32 crc, const void *data, u32 len)
{
	return (u32)crc32(crc, data, len);
}

static u32 crc32c_table[256];
/* backend states allocated and not freed (the engine's included) */
static int algs_live;
/* fault injection: the n-th next wd_soft_host_alg_alloc() fails (0: none) */
static unsigned int alloc_fail_in;

struct wd_soft_host_alg *wd_soft_host_alg_alloc(struct wd_soft_core_dev *d,
						enum wd_soft_alg_kind kind,
						size_t *bytes)
{
	struct wd_soft_host_alg *a;

	(void)d;
	FZ_CHECK(kind <= WD_SOFT_ALG_INFLATE, "alloc: kind %d", kind);
	if (alloc_fail_in && !--alloc_fail_in)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		abort();
	a->kind = kind;
	*bytes = sizeof(*a);
	if (kind == WD_SOFT_ALG_ENGINE || kind == WD_SOFT_ALG_SHA256) {
		a->sha = EVP_MD_CTX_new();
		if (!a->sha)
			abort();
	}
#ifdef FZ_KZLIB
	if (kind != WD_SOFT_ALG_SHA256) {
		unsigned long n = 0;

		a->kz = kz_new(kind == WD_SOFT_ALG_DEFLATE ? KZ_DEFLATE :
			       kind == WD_SOFT_ALG_INFLATE ? KZ_INFLATE : KZ_ANY,
			       &n);
		if (!a->kz)
			abort();
		*bytes += n;
	}
#else
	/* zlib's documented memory use, windowBits 15, memLevel 8 */
	*bytes += kind == WD_SOFT_ALG_DEFLATE ? 256 * 1024 + 6000 :
		  kind == WD_SOFT_ALG_INFLATE ? 32 * 1024 + 7200 : 0;
#endif
	algs_live++;
	return a;
}

void wd_soft_host_alg_free(struct wd_soft_host_alg *a)
{
	if (!a)
		return;
	FZ_CHECK(!a->zlive, "alg_free before zend");
	EVP_MD_CTX_free(a->sha);
#ifdef FZ_KZLIB
	kz_free(a->kz);
#endif
	free(a);	/* a use after free is ASan's */
	algs_live--;
}

int wd_soft_host_crc32c(struct wd_soft_host_alg *a, u32 *crc,
			const void *data, u32 len)
{
	const u8 *p = data;
	u32 c = *crc;

	FZ_CHECK(a && a->kind == WD_SOFT_ALG_ENGINE,
		 "crc32c on a state of kind %d", a ? (int)a->kind : -1);
	while (len--)
		c = crc32c_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	*crc = c;
	return 0;
}

static void fz_sha_state(struct wd_soft_host_alg *a, const char *what)
{
	FZ_CHECK(a && (a->kind == WD_SOFT_ALG_ENGINE ||
		       a->kind == WD_SOFT_ALG_SHA256),
		 "sha256_%s on a state of kind %d", what, a ? (int)a->kind : -1);
}

int wd_soft_host_sha256_init(struct wd_soft_host_alg *a)
{
	fz_sha_state(a, "init");
	a->sha_live = true;
	a->st_live = false;
	return EVP_DigestInit_ex(a->sha, EVP_sha256(), NULL) == 1 ? 0 : -EIO;
}

int wd_soft_host_sha256_update(struct wd_soft_host_alg *a, const void *data,
			       u32 len)
{
	fz_sha_state(a, "update");
	FZ_CHECK(a->sha_live, "sha256_update without init");
	FZ_CHECK(len <= WD_SOFT_CORE_CHUNK, "sha256_update of %u bytes", len);
	if (a->st_live)
		return wd_soft_sha256_user_update(&a->st, data, len);
	return EVP_DigestUpdate(a->sha, data, len) == 1 ? 0 : -EIO;
}

int wd_soft_host_sha256_final(struct wd_soft_host_alg *a, u8 *digest)
{
	fz_sha_state(a, "final");
	FZ_CHECK(a->sha_live, "sha256_final without init");
	a->sha_live = false;
	if (a->st_live) {
		a->st_live = false;
		return wd_soft_sha256_user_final(&a->st, digest);
	}
	return EVP_DigestFinal_ex(a->sha, digest, NULL) == 1 ? 0 : -EIO;
}

/* wd_soft_core.h: only an ENGINE state takes a state from memory */
int wd_soft_host_sha256_import(struct wd_soft_host_alg *a,
			       const struct wd_soft_sha256_state *st)
{
	FZ_CHECK(a && a->kind == WD_SOFT_ALG_ENGINE,
		 "sha256_import on a state of kind %d", a ? (int)a->kind : -1);
	a->sha_live = true;
	a->st_live = true;
	return wd_soft_sha256_user_import(&a->st, st);
}

int wd_soft_host_sha256_export(struct wd_soft_host_alg *a,
			       struct wd_soft_sha256_state *st)
{
	FZ_CHECK(a && a->kind == WD_SOFT_ALG_ENGINE && a->st_live,
		 "sha256_export without import");
	return wd_soft_sha256_user_export(&a->st, st);
}

/*
 * The zlib backend: fz_kcore's is the kernel's zlib, driven as
 * kernel/wd_soft/algs.c drives it, one stream and workspace per state (the
 * references stay user space's zlib: a differential test); fz_core's is
 * user space's, through zlib-user.h.
 */
#ifdef FZ_KZLIB
static int fz_zb_init(struct wd_soft_host_alg *a, enum wd_soft_zdir dir,
		      int level)
{
	return kz_init(a->kz, dir == WD_SOFT_ZDEFLATE, level) ? -EIO : 0;
}

static int fz_zb_run(struct wd_soft_host_alg *a, struct wd_soft_zstream *zs,
		     enum wd_soft_zflush flush)
{
	int ret = kz_run(a->kz, &zs->next_in, &zs->avail_in, &zs->next_out,
			 &zs->avail_out, (int)flush);

	return ret == KZ_EBADMSG ? -EBADMSG : ret == KZ_EINVAL ? -EINVAL :
	       ret == KZ_EIO ? -EIO : ret;
}

static int fz_zb_reset(struct wd_soft_host_alg *a)
{
	return kz_reset(a->kz) ? -EIO : 0;
}

static void fz_zb_end(struct wd_soft_host_alg *a)
{
	kz_end(a->kz);
}
#else
static int fz_zb_init(struct wd_soft_host_alg *a, enum wd_soft_zdir dir,
		      int level)
{
	return wd_soft_zlib_init(&a->z, dir, level, NULL, NULL, NULL) ?
	       -ENOMEM : 0;
}

static int fz_zb_run(struct wd_soft_host_alg *a, struct wd_soft_zstream *zs,
		     enum wd_soft_zflush flush)
{
	return wd_soft_zlib_run(&a->z, zs, flush);
}

static int fz_zb_reset(struct wd_soft_host_alg *a)
{
	return wd_soft_zlib_reset(&a->z);
}

static void fz_zb_end(struct wd_soft_host_alg *a)
{
	wd_soft_zlib_end(&a->z);
}
#endif /* FZ_KZLIB */

/* the host interface over either backend, checking the core's call order */
int wd_soft_host_zinit(struct wd_soft_host_alg *a, enum wd_soft_zdir dir,
		       int level)
{
	int ret;

	FZ_CHECK(a && a->kind != WD_SOFT_ALG_SHA256,
		 "zinit on a state of kind %d", a ? (int)a->kind : -1);
	FZ_CHECK(!a->zlive, "zinit without zend");
	/* a context's stream: its own direction */
	if (a->kind != WD_SOFT_ALG_ENGINE)
		FZ_CHECK(dir == (a->kind == WD_SOFT_ALG_DEFLATE ?
				 WD_SOFT_ZDEFLATE : WD_SOFT_ZINFLATE),
			 "zinit dir %d on kind %d", dir, a->kind);
	if (dir == WD_SOFT_ZDEFLATE)
		FZ_CHECK(level >= 1 && level <= 9, "level %d", level);
	else
		FZ_CHECK(!level, "inflate level %d", level);
	ret = fz_zb_init(a, dir, level);
	if (!ret) {
		a->zlive = true;
		a->dir = dir;
	}
	return ret;
}

int wd_soft_host_zrun(struct wd_soft_host_alg *a, struct wd_soft_zstream *zs,
		      enum wd_soft_zflush flush)
{
	FZ_CHECK(a && a->zlive, "zrun without zinit");
	FZ_CHECK(flush == WD_SOFT_Z_NO_FLUSH || flush == WD_SOFT_Z_SYNC_FLUSH ||
		 flush == WD_SOFT_Z_FULL_FLUSH || flush == WD_SOFT_Z_FINISH,
		 "zrun flush %d", flush);
	return fz_zb_run(a, zs, flush);
}

int wd_soft_host_zreset(struct wd_soft_host_alg *a)
{
	FZ_CHECK(a && a->zlive, "zreset without zinit");
	return fz_zb_reset(a);
}

void wd_soft_host_zend(struct wd_soft_host_alg *a)
{
	FZ_CHECK(a && a->zlive, "zend without zinit");
	fz_zb_end(a);
	a->zlive = false;
}

/*
 * The one-shot path: zlib's raw deflate in one call (as compress2() with
 * windowBits -15), so that the core's framing around it is fuzzed; the
 * kernel's zlib variant has none, as the kernel host.
 */
long wd_soft_host_zoneshot(struct wd_soft_host_alg *a, int level,
			   const void *src, u32 slen, void *dst, u32 dlen)
{
	FZ_CHECK(a && a->kind == WD_SOFT_ALG_ENGINE && !a->zlive,
		 "zoneshot on a state of kind %d", a ? (int)a->kind : -1);
	FZ_CHECK(level >= 1 && level <= 9, "zoneshot level %d", level);
	FZ_CHECK(nr_maps, "zoneshot without the buffers in place");
#ifdef FZ_KZLIB
	(void)src;
	(void)slen;
	(void)dst;
	(void)dlen;
	return 0;
#else
	z_stream zs = { 0 };
	int ret;

	if (deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)src;
	zs.avail_in = slen;
	zs.next_out = dst;
	zs.avail_out = dlen;
	ret = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (ret == Z_STREAM_END)
		return (long)zs.total_out;
	return ret == Z_OK || ret == Z_BUF_ERROR ? 0 : -EIO;
#endif
}
#endif /* !FZ_LOCAL */

/* ---- references, independent of the core ---- */

#define REF_MAX		(FZ_RW_SIZE + 2 * WD_SOFT_CORE_CHUNK)
static u8 ref_out[REF_MAX];

/* ---- the model of one request ---- */

struct fz_buf {
	unsigned int first, n;	/* its pieces in the piece table */
	u64 len;		/* total bytes */
	bool valid;		/* every piece accessible as needed */
};
static struct fz_range pieces[FZ_MAX_RANGES];
static unsigned int nr_pieces;

/*
 * The source or destination of @sqe as the device will see it. Returns
 * the status of its checks (INVAL/BAD_ADDR) or OK, and the pieces.
 */
static u32 fz_model_buf(const struct wd_soft_sqe *sqe, bool src,
			struct fz_buf *b)
{
	u16 flag = src ? WD_SOFT_SQE_F_SRC_SGL : WD_SOFT_SQE_F_DST_SGL;
	u64 addr = src ? sqe->src : sqe->dst;
	u32 n = src ? sqe->src_len : sqe->dst_len, i;
	const struct wd_soft_sge *sge;
	u8 *w;

	b->first = nr_pieces;
	b->n = 0;
	b->len = 0;
	b->valid = true;
	if (!(sqe->flags & flag)) {
		pieces[nr_pieces].addr = addr;
		pieces[nr_pieces].len = n;
		nr_pieces++;
		b->n = 1;
		b->len = n;
		return WD_SOFT_S_OK;
	}
	if (n > WD_SOFT_CORE_MAX_SGE)
		return WD_SOFT_S_INVAL;
	if (!n)
		return WD_SOFT_S_OK;
	fz_allow(rd_ok, &nr_rd, addr, (u64)n * sizeof(*sge));
	w = fz_window(addr, (u64)n * sizeof(*sge), false);
	if (!w || addr + (u64)n * sizeof(*sge) < addr)
		return WD_SOFT_S_BAD_ADDR;
	sge = (const struct wd_soft_sge *)w;
	for (i = 0; i < n; i++) {
		struct wd_soft_sge e;

		memcpy(&e, &sge[i], sizeof(e));
		if (e.rsvd)
			return WD_SOFT_S_INVAL;
		pieces[nr_pieces].addr = e.addr;
		pieces[nr_pieces].len = e.len;
		nr_pieces++;
		b->n++;
		b->len += e.len;
	}
	return WD_SOFT_S_OK;
}

static bool fz_overlap(const struct fz_range *a, const struct fz_range *b)
{
	if (!a->len || !b->len)
		return false;
	return a->addr < b->addr + b->len && b->addr < a->addr + a->len;
}

/* Gather a buffer's bytes (valid buffers only). */
static void fz_gather(const struct fz_buf *b, u8 *out, u64 max)
{
	unsigned int i;
	u64 at = 0, n;

	for (i = 0; i < b->n && at < max; i++) {
		const struct fz_range *p = &pieces[b->first + i];

		n = min(p->len, max - at);
		if (n)
			memcpy(out + at, fz_window(p->addr, n, false), n);
		at += n;
	}
}

static u8 src_snap[FZ_RW_SIZE + FZ_RO_SIZE];
static u8 dst_got[REF_MAX];

struct fz_expect {
	u32 pre;		/* status of the checks before any data */
	bool data_ok;		/* all pieces valid, no overlap: values checked */
	bool touches;		/* may access request data at all */
	struct fz_buf src, dst;
	u64 src_len;
	/* F_STATE: the state's bytes before the request, whether they may
	 * be checked afterwards (readable, no destination over them) and
	 * whether the device can write them (the read-write window)
	 */
	bool has_state, update, st_guard, st_writable;
	u8 st_before[sizeof(struct wd_soft_sha256_state)];
};

/*
 * The F_STATE rules of wd_soft.h, checked with the flags and rsvd before
 * the op: SHA256 without a context, a non-zero state aligned to
 * WD_SOFT_STATE_ALIGN, sflags FINISH, or NO_FLUSH with no destination
 * (dst, dst_len 0, no F_DST_SGL); without F_STATE, state 0 and sflags 0
 * unless there is a context.
 */
static bool fz_sqe_inval(const struct wd_soft_sqe *sqe)
{
	if ((sqe->flags & ~(WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL |
			    WD_SOFT_SQE_F_STATE)) || sqe->rsvd)
		return true;
	if (!(sqe->flags & WD_SOFT_SQE_F_STATE))
		return sqe->state || (!sqe->ctx && sqe->sflags);
	if (sqe->ctx || sqe->op != WD_SOFT_OP_SHA256 || !sqe->state ||
	    sqe->state % WD_SOFT_STATE_ALIGN)
		return true;
	if (sqe->sflags == WD_SOFT_SF_FINISH)
		return false;
	return sqe->sflags != WD_SOFT_SF_NO_FLUSH || sqe->dst || sqe->dst_len ||
	       (sqe->flags & WD_SOFT_SQE_F_DST_SGL);
}



static bool fz_is_comp(u16 op)
{
	return op == WD_SOFT_OP_DEFLATE || op == WD_SOFT_OP_ZLIB_COMP ||
	       op == WD_SOFT_OP_GZIP_COMP;
}

static bool fz_is_decomp(u16 op)
{
	return op == WD_SOFT_OP_INFLATE || op == WD_SOFT_OP_ZLIB_DECOMP ||
	       op == WD_SOFT_OP_GZIP_DECOMP;
}

/* Predict the request's checks and set the bounds oracle's ranges. */
static void fz_model(const struct wd_soft_sqe *sqe, bool fail,
		     struct fz_expect *ex)
{
	unsigned int i, j;
	u32 st;

	memset(ex, 0, sizeof(*ex));
	nr_rd = nr_wr = nr_pieces = 0;
	ex->pre = WD_SOFT_S_OK;
	if (fail) {
		ex->pre = WD_SOFT_S_DEV_ERR;
		return;
	}
	if (fz_sqe_inval(sqe)) {
		ex->pre = WD_SOFT_S_INVAL;
		return;
	}
	if (sqe->op >= WD_SOFT_OP_MAX) {
		ex->pre = WD_SOFT_S_BAD_OP;
		return;
	}
	/* a context number: none is open in this mode (streams: fz_stream) */
	if (sqe->ctx) {
		ex->pre = WD_SOFT_S_BAD_CTX;
		return;
	}
	if (sqe->op == WD_SOFT_OP_NOP) {
		ex->pre = sqe->params ? WD_SOFT_S_INVAL : WD_SOFT_S_OK;
		return;
	}
	/* the params checks that come before any memory access */
	if ((sqe->op == WD_SOFT_OP_COPY || sqe->op == WD_SOFT_OP_SHA256 ||
	     fz_is_decomp(sqe->op)) && sqe->params) {
		ex->pre = WD_SOFT_S_INVAL;
		return;
	}
	if (fz_is_comp(sqe->op) && sqe->params > 9) {
		ex->pre = WD_SOFT_S_INVAL;
		return;
	}
	/* F_STATE: the state is read first, as a flat piece */
	if (sqe->flags & WD_SOFT_SQE_F_STATE) {
		u64 n = sizeof(ex->st_before);
		u8 *w = fz_window(sqe->state, n, false);

		ex->has_state = true;
		ex->update = sqe->sflags == WD_SOFT_SF_NO_FLUSH;
		fz_allow(rd_ok, &nr_rd, sqe->state, n);
		if (!w) {
			ex->pre = WD_SOFT_S_BAD_ADDR;
			return;
		}
		memcpy(ex->st_before, w, n);
		ex->st_guard = true;
		ex->st_writable = fz_window(sqe->state, n, true) != NULL;
		if (ex->update)
			fz_allow(wr_ok, &nr_wr, sqe->state, n);
	}
	st = fz_model_buf(sqe, true, &ex->src);
	if (!st && ex->src.len > WD_SOFT_CORE_MAX_SRC)
		st = WD_SOFT_S_INVAL;
	if (!st)
		st = fz_model_buf(sqe, false, &ex->dst);
	ex->pre = st;
	if (st)
		return;

	ex->touches = true;
	ex->data_ok = true;
	for (i = 0; i < ex->src.n; i++) {
		struct fz_range *p = &pieces[ex->src.first + i];

		if (!fz_allow_piece(p, false))
			ex->data_ok = false;
	}
	for (i = 0; i < ex->dst.n; i++) {
		struct fz_range *p = &pieces[ex->dst.first + i];

		if (!fz_allow_piece(p, true))
			ex->data_ok = false;
		/* the destination overlapping the source or an SGL array */
		for (j = 0; j < nr_rd && ex->data_ok; j++)
			if (fz_overlap(p, &rd_ok[j]))
				ex->data_ok = false;
		for (j = 0; j < i && ex->data_ok; j++)
			if (fz_overlap(p, &pieces[ex->dst.first + j]))
				ex->data_ok = false;
	}
	if (ex->has_state) {
		struct fz_range sr = { sqe->state, sizeof(ex->st_before) };

		for (i = 0; i < ex->dst.n; i++)
			if (fz_overlap(&sr, &pieces[ex->dst.first + i]))
				ex->st_guard = false;
		/* an update's write over its own source is still checked:
		 * the source was read before
		 */
	}
	/* values are checked for sources the snapshot can hold */
	if (ex->src.len > sizeof(src_snap))
		ex->data_ok = false;
	if (ex->data_ok)
		fz_gather(&ex->src, src_snap, ex->src.len);
	ex->src_len = ex->src.len;
}

/* The state as the reference holds it, from the protocol's bytes. */
static void fz_ref_state(struct ref_sha256 *r, const u8 *bytes)
{
	struct wd_soft_sha256_state st;

	memcpy(&st, bytes, sizeof(st));
	memset(r, 0, sizeof(*r));
	memcpy(r->h, st.h, sizeof(r->h));
	r->count = st.count;
	memcpy(r->buf, st.buf, st.count % 64);
}

/* F_STATE with every piece valid: the reference continues the state. */
static void fz_check_state(const struct wd_soft_sqe *sqe,
			   const struct fz_expect *ex, u32 st, u32 out_len)
{
	struct wd_soft_sha256_state got, want;
	struct ref_sha256 r;
	u8 md[32];

	fz_ref_state(&r, ex->st_before);
	ref_sha256_update(&r, src_snap, ex->src_len);
	if (!ex->update) {
		if (ex->dst.len < 32) {
			FZ_CHECK(st == WD_SOFT_S_DST_SMALL && out_len == 32,
				 "sha256 state FINISH: status %u", st);
			return;
		}
		FZ_CHECK(st == WD_SOFT_S_OK && out_len == 32,
			 "sha256 state FINISH: status %u", st);
		fz_gather(&ex->dst, dst_got, 32);
		ref_sha256_final(&r, md);
		FZ_CHECK(!memcmp(md, dst_got, 32), "sha256 state FINISH: wrong digest");
		return;
	}
	if (!ex->st_writable) {
		FZ_CHECK(st == WD_SOFT_S_BAD_ADDR,
			 "sha256 state update, read-only state: status %u", st);
		return;
	}
	FZ_CHECK(st == WD_SOFT_S_OK && !out_len,
		 "sha256 state update: status %u out_len %u", st, out_len);
	memset(&want, 0, sizeof(want));
	memcpy(want.h, r.h, sizeof(want.h));
	want.count = r.count;
	memcpy(want.buf, r.buf, r.count % 64);
	memcpy(&got, fz_window(sqe->state, sizeof(got), false), sizeof(got));
	FZ_CHECK(!memcmp(&got, &want, sizeof(got)),
		 "sha256 state update: state written back differs (count %llu, %llu)",
		 (unsigned long long)got.count, (unsigned long long)want.count);
}

static void fz_check_result(const struct wd_soft_sqe *sqe,
			    const struct fz_expect *ex, u32 st, u32 out_len)
{
	u64 cap = min(ex->dst.len, (u64)U32_MAX), got;
	size_t produced;
	enum ref_st rs;
	int wbits;

	if (!ex->data_ok)
		return;
	got = min(cap, (u64)sizeof(dst_got));
	switch (sqe->op) {
	case WD_SOFT_OP_COPY:
		if (ex->dst.len < ex->src_len) {
			FZ_CHECK(st == WD_SOFT_S_DST_SMALL && out_len == ex->src_len,
				 "copy: status %u out_len %u", st, out_len);
			break;
		}
		FZ_CHECK(st == WD_SOFT_S_OK && out_len == ex->src_len,
			 "copy: status %u out_len %u", st, out_len);
		fz_gather(&ex->dst, dst_got, out_len);
		FZ_CHECK(!memcmp(dst_got, src_snap, out_len), "copy: wrong bytes");
		break;
	case WD_SOFT_OP_CRC32C: {
		u32 crc;

		if (ex->dst.len < 4) {
			FZ_CHECK(st == WD_SOFT_S_DST_SMALL && out_len == 4,
				 "crc32c: status %u", st);
			break;
		}
		FZ_CHECK(st == WD_SOFT_S_OK && out_len == 4, "crc32c: status %u", st);
		fz_gather(&ex->dst, dst_got, 4);
		crc = ref_crc32c_raw(sqe->params, src_snap, ex->src_len);
		FZ_CHECK(get_unaligned_le32(dst_got) == crc, "crc32c: wrong value");
		break;
	}
	case WD_SOFT_OP_SHA256: {
		u8 md[32];
		unsigned int mdlen;

		if (ex->has_state) {
			fz_check_state(sqe, ex, st, out_len);
			break;
		}
		if (ex->dst.len < 32) {
			FZ_CHECK(st == WD_SOFT_S_DST_SMALL && out_len == 32,
				 "sha256: status %u", st);
			break;
		}
		FZ_CHECK(st == WD_SOFT_S_OK && out_len == 32, "sha256: status %u", st);
		fz_gather(&ex->dst, dst_got, 32);
		EVP_Digest(src_snap, ex->src_len, md, &mdlen, EVP_sha256(), NULL);
		FZ_CHECK(!memcmp(md, dst_got, 32), "sha256: wrong digest");
		break;
	}
	case WD_SOFT_OP_DEFLATE:
	case WD_SOFT_OP_ZLIB_COMP:
	case WD_SOFT_OP_GZIP_COMP:
		FZ_CHECK(st == WD_SOFT_S_OK || st == WD_SOFT_S_DST_SMALL,
			 "compress: status %u", st);
		if (st == WD_SOFT_S_DST_SMALL) {
			FZ_CHECK(!out_len || out_len > cap,
				 "compress: DST_SMALL with out_len %u <= %llu",
				 out_len, (unsigned long long)cap);
			break;
		}
		FZ_CHECK(out_len <= cap, "compress: out_len %u > cap", out_len);
		fz_gather(&ex->dst, dst_got, out_len);
		wbits = sqe->op == WD_SOFT_OP_DEFLATE ? -15 :
			sqe->op == WD_SOFT_OP_ZLIB_COMP ? 15 : 31;
		rs = ref_inflate(dst_got, out_len, wbits, ref_out, REF_MAX, &produced);
		FZ_CHECK(rs == REF_OK && produced == ex->src_len &&
			 !memcmp(ref_out, src_snap, produced),
			 "compress: output does not decompress to the source (%d, %zu)",
			 rs, produced);
		if (sqe->op == WD_SOFT_OP_GZIP_COMP) {
			u32 lvl = sqe->params ? sqe->params : 6;
			u8 xfl = lvl == 9 ? 2 : lvl == 1 ? 4 : 0;

			FZ_CHECK(dst_got[3] == 0 && !get_unaligned_le32(dst_got + 4) &&
				 dst_got[8] == xfl && dst_got[9] == 3,
				 "gzip: header fields");
		}
		break;
	case WD_SOFT_OP_INFLATE:
	case WD_SOFT_OP_ZLIB_DECOMP:
	case WD_SOFT_OP_GZIP_DECOMP:
		wbits = sqe->op == WD_SOFT_OP_INFLATE ? -15 :
			sqe->op == WD_SOFT_OP_ZLIB_DECOMP ? 15 : 31;
		rs = ref_inflate(src_snap, ex->src_len, wbits, ref_out, REF_MAX,
				 &produced);
		if (st == WD_SOFT_S_OK) {
			FZ_CHECK(rs == REF_OK && produced == out_len && out_len <= cap,
				 "decompress: OK but zlib says %d (%zu bytes), out_len %u",
				 rs, produced, out_len);
			fz_gather(&ex->dst, dst_got, out_len);
			FZ_CHECK(!memcmp(dst_got, ref_out, out_len),
				 "decompress: wrong bytes");
		} else if (st == WD_SOFT_S_CORRUPT) {
			FZ_CHECK(rs == REF_CORRUPT,
				 "decompress: CORRUPT but zlib says %d (%zu bytes)",
				 rs, produced);
		} else if (st == WD_SOFT_S_DST_SMALL) {
			FZ_CHECK(rs == REF_BIG || produced > cap,
				 "decompress: DST_SMALL but zlib says %d with %zu bytes <= %llu",
				 rs, produced, (unsigned long long)cap);
			if (rs == REF_OK && out_len && sqe->op != WD_SOFT_OP_GZIP_DECOMP)
				FZ_CHECK(out_len == produced,
					 "decompress: DST_SMALL out_len %u, needs %zu",
					 out_len, produced);
		} else {
			FZ_CHECK(0, "decompress: status %u", st);
		}
		if (rs != REF_BIG && produced <= cap)
			FZ_CHECK(st == (rs == REF_OK ? WD_SOFT_S_OK : WD_SOFT_S_CORRUPT),
				 "decompress: status %u, zlib says %d (%zu bytes fit)",
				 st, rs, produced);
		(void)got;
		break;
	}
}

#ifndef FZ_LOCAL
/* ---- one input ---- */

static void fz_init(void)
{
	static bool done;
	u32 c, i, k;

	if (done)
		return;
	done = true;
	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
		crc32c_table[i] = c;
	}
	eng.core.in = malloc(WD_SOFT_CORE_CHUNK);
	eng.core.out = malloc(WD_SOFT_CORE_CHUNK);
	eng.core.sgl = malloc(2 * WD_SOFT_CORE_MAX_SGE * sizeof(*eng.core.sgl));
	if (!eng.core.in || !eng.core.out || !eng.core.sgl)
		abort();
	{
		size_t n;

		eng.core.alg = wd_soft_host_alg_alloc(&dev, WD_SOFT_ALG_ENGINE, &n);
	}
	if (!eng.core.alg)
		abort();
}

static u8 mmio_page[4096] __attribute__((aligned(4096)));
static u8 dus[WD_SOFT_DUS_SIZE] __attribute__((aligned(4096)));

#include "fz_stream.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wd_soft_mmio *mmio = (struct wd_soft_mmio *)mmio_page;
	struct wd_soft_dus_hdr *hdr = (struct wd_soft_dus_hdr *)dus;
	struct wd_soft_sqe sqes[4];
	struct wd_soft_core_ctx ctx;
	struct fz_expect ex;
	u32 ctl, nsqe, fail, i, served = 0, expect_n, base = 0, cq_off = 0;
	u32 valid = 0, used;
	bool hostile, stopped = false, cq_read;
	size_t need;

	fz_init();
	if (size >= 5 && !memcmp(data, FZ_STREAM_MAGIC, 4)) {
		fz_stream_input(data, size);
		return 0;
	}
	if (size < 1)
		return 0;
	ctl = data[0];
	nsqe = FZ_CTL_NSQE(ctl);
	hostile = ctl & FZ_CTL_INDICES;
	fail = FZ_CTL_FAIL(ctl);
	need = 1 + (hostile ? 8 : 0) + nsqe * sizeof(struct wd_soft_sqe);
	if (size < need)
		return 0;
	if (hostile) {
		base = get_unaligned_le32(data + 1);
		cq_off = get_unaligned_le32(data + 5);
	}
	memcpy(sqes, data + need - nsqe * sizeof(struct wd_soft_sqe),
	       nsqe * sizeof(struct wd_soft_sqe));
	memset(rw_mem, 0, FZ_RW_SIZE);
	memset(ro_mem, 0, sizeof(ro_mem));
	memcpy(rw_mem, data + need, min(size - need, (size_t)FZ_RW_SIZE));
	memcpy(ro_mem, data + need, min(size - need, (size_t)FZ_RO_SIZE));

	memset(dus, 0, sizeof(dus));
	memset(mmio_page, 0, sizeof(mmio_page));
	wd_soft_core_dev_init(&dev, WD_SOFT_CORE_OPS_ALL);
	/* fz_kcore's zoneshot declines: the map-then-fall-back path */
	dev.oneshot = true;
	wd_soft_core_set_fail_next(&dev, (int)fail);
	wd_soft_core_queue_init(&q, &dev, mmio, dus);
	FZ_CHECK(hdr->magic == WD_SOFT_MAGIC && hdr->depth == WD_SOFT_DEPTH,
		 "header");
	if (hostile) {
		/* as after @base requests, all consumed: every slot holds the
		 * entry of the lap before, with that lap's phase */
		for (i = 0; i < WD_SOFT_DEPTH; i++) {
			u32 idx = base + i - WD_SOFT_DEPTH;

			q.sq[idx & (WD_SOFT_DEPTH - 1)].phase = WD_SOFT_PHASE(idx, WD_SOFT_DEPTH);
			q.cq[idx & (WD_SOFT_DEPTH - 1)].phase = WD_SOFT_PHASE(idx, WD_SOFT_DEPTH);
		}
		q.sq_head = q.cq_tail = base;
		q.cq_head = base - WD_SOFT_DEPTH;
		hdr->sq_head = hdr->cq_tail = base;
	}
	for (i = 0; i < nsqe; i++) {
		struct wd_soft_sqe *slot = &q.sq[(base + i) & (WD_SOFT_DEPTH - 1)];
		u32 ph = WD_SOFT_PHASE(base + i, WD_SOFT_DEPTH);

		if (hostile)
			ph = sqes[i].phase ^ ph ^ 1;
		memcpy(slot, &sqes[i], offsetof(struct wd_soft_sqe, phase));
		slot->phase = ph;
		/* the device takes the SQEs up to the first without its phase */
		if (valid == i && ph == WD_SOFT_PHASE(base + i, WD_SOFT_DEPTH))
			valid++;
	}
	yields = 0;
	stop_at = FZ_CTL_STOP(ctl);
	mmio->cq_head = base + cq_off;

	/*
	 * What the datasheet says the device takes: the SQEs published in
	 * order, CQ room permitting. With a hostile ring the device's cached
	 * cq_head says the CQ is full: its first take reads cq_head, which
	 * breaks the queue when beyond cq_tail or more than a ring behind.
	 */
	used = (u32)(0 - cq_off);
	cq_read = hostile && valid;
	if (cq_read && used > WD_SOFT_DEPTH)
		expect_n = 0;
	else
		expect_n = min(valid, hostile ? WD_SOFT_DEPTH - used : WD_SOFT_DEPTH);

	for (;;) {
		struct wd_soft_sqe *slot = &q.sq[q.sq_head & (WD_SOFT_DEPTH - 1)];
		struct wd_soft_sqe snap = *slot, *s = &snap;
		bool will_fail = READ_ONCE(dev.fail_next) > 0;
		u32 n, before = q.cq_tail;
		struct wd_soft_cqe *cqe;

		if (wd_soft_core_queue_turn(&q, 0) != WD_SOFT_TURN_SERVE)
			break;
		FZ_CHECK(q.sq_head - base < valid, "took SQE %u, %u published in order",
			 q.sq_head - base, valid);
		fz_model(s, will_fail, &ex);
		map_policy = s->user_data & 3;
		checking = true;
		if (hostile)
			rewrite_slot = slot;
		wd_soft_core_ctx_init(&ctx, &q, &eng.core);
		n = wd_soft_core_serve(&ctx, 1, SZ_1M);
		checking = false;
		rewrite_slot = NULL;
		FZ_CHECK(!nr_maps, "%u mappings left after the request", nr_maps);
		if (!n) {
			FZ_CHECK(READ_ONCE(q.stopping), "serve took nothing");
			break;
		}
		served++;
		FZ_CHECK(q.cq_tail == before + 1, "one CQE per SQE");
		cqe = &q.cq[before & (WD_SOFT_DEPTH - 1)];
		FZ_CHECK(cqe->phase == WD_SOFT_PHASE(before, WD_SOFT_DEPTH),
			 "CQE %u: phase %u", before, cqe->phase);
		FZ_CHECK(q.cq[q.cq_tail & (WD_SOFT_DEPTH - 1)].phase !=
			 WD_SOFT_PHASE(q.cq_tail, WD_SOFT_DEPTH), "CQE %u posted early",
			 q.cq_tail);
		FZ_CHECK(cqe->user_data == s->user_data, "user_data");
		FZ_CHECK(cqe->status <= WD_SOFT_S_BAD_CTX, "status %u", cqe->status);
		FZ_CHECK(!cqe->in_len && !cqe->cflags && !cqe->dict_id,
			 "in_len %u cflags %#x dict_id %#x without a context",
			 cqe->in_len, cqe->cflags, cqe->dict_id);
		if (cqe->status != WD_SOFT_S_OK && cqe->status != WD_SOFT_S_DST_SMALL)
			FZ_CHECK(!cqe->out_len, "out_len %u with status %u",
				 cqe->out_len, cqe->status);
		if (ex.pre) {
			FZ_CHECK(cqe->status == ex.pre,
				 "status %u, the checks say %u (op %u flags %#x)",
				 cqe->status, ex.pre, s->op, s->flags);
		} else if (cqe->status == WD_SOFT_S_CANCELED) {
			FZ_CHECK(READ_ONCE(q.stopping), "CANCELED, not stopping");
		} else {
			FZ_CHECK(cqe->status != WD_SOFT_S_DEV_ERR &&
				 cqe->status != WD_SOFT_S_INVAL &&
				 cqe->status != WD_SOFT_S_BAD_OP,
				 "status %u after the checks passed", cqe->status);
			if (!stopped && !READ_ONCE(q.stopping))
				fz_check_result(s, &ex, cqe->status, cqe->out_len);
		}
		/* the state changes only by an update that completes */
		if (ex.st_guard && !(ex.update && cqe->status == WD_SOFT_S_OK))
			FZ_CHECK(!memcmp(fz_window(s->state, sizeof(ex.st_before),
						   false),
					 ex.st_before, sizeof(ex.st_before)),
				 "state changed by a request with status %u (sflags %u)",
				 cqe->status, s->sflags);
		if (READ_ONCE(q.stopping)) {
			stopped = true;
			break;
		}
		FZ_CHECK(served <= WD_SOFT_DEPTH, "more than a ring");
	}
	FZ_CHECK(hdr->sq_head == q.sq_head && hdr->cq_tail == q.cq_tail,
		 "published indices");

	/* index checks: BROKEN exactly when the datasheet says */
	if (cq_read && used > WD_SOFT_DEPTH) {
		FZ_CHECK((mmio->status & WD_SOFT_ST_BROKEN) &&
			 mmio->error == WD_SOFT_QERR_CQ_HEAD && !served,
			 "cq_head %u (cq_tail %u): status %#x", base + cq_off, base,
			 mmio->status);
	} else {
		FZ_CHECK(!(mmio->status & WD_SOFT_ST_BROKEN), "broken: %u",
			 mmio->error);
		if (!stopped)
			FZ_CHECK(served == expect_n, "served %u of %u", served,
				 expect_n);
	}

	/*
	 * The stop: every SQE taken has exactly one CQE (a held one would
	 * get CANCELED); the ones not taken get none and are not taken.
	 */
	WRITE_ONCE(q.stopping, true);
	i = q.sq_head;
	wd_soft_core_cancel(&q);
	FZ_CHECK(q.sq_head == i, "the stop took SQEs");
	FZ_CHECK(q.cq_tail == q.sq_head && !q.has_held,
		 "%u CQEs for %u SQEs taken", q.cq_tail, q.sq_head);
	FZ_CHECK(hdr->sq_head == q.sq_head && hdr->cq_tail == q.cq_tail,
		 "published indices after the stop");
	FZ_CHECK(!(mmio->status & WD_SOFT_ST_NEED_WAKEUP), "NEED_WAKEUP left");
	if (!(mmio->status & WD_SOFT_ST_BROKEN) && !hostile && !stopped)
		FZ_CHECK(q.cq_tail == nsqe, "%u CQEs for %u SQEs", q.cq_tail, nsqe);
	for (i = q.cq_tail; i != base + WD_SOFT_DEPTH; i++)
		FZ_CHECK(q.cq[i & (WD_SOFT_DEPTH - 1)].phase !=
			 WD_SOFT_PHASE(i, WD_SOFT_DEPTH), "CQE %u valid, never posted", i);
	FZ_CHECK(!eng.core.alg->zlive, "zlib stream left open");
	wd_soft_core_ctx_free_all(&q);
	FZ_CHECK(algs_live == 1 && !dev.ctx_bytes,
		 "%d backend states, %llu context bytes left", algs_live - 1,
		 (unsigned long long)dev.ctx_bytes);
	return 0;
}
#endif /* !FZ_LOCAL */
