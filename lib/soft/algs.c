// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * algs.c: the algorithm backends of the in-process host.
 *
 *  sha256   OpenSSL libcrypto, EVP (the digest method fetched once per
 *           device, one EVP_MD_CTX per backend state: each engine's and
 *           each SHA-256 stream context's); a request with its state in
 *           memory (WD_SOFT_SQE_F_STATE) through the low-level SHA256_CTX,
 *           which EVP cannot import into (engine/sha256-user.h)
 *  crc32c   ISA-L's crc32_iscsi() when the build found it (WDL_HAVE_ISAL:
 *           a maintained, SIMD-accelerated library packaged by Debian as
 *           libisal-dev), else the built-in slicing-by-8 (crc32c.c). Both
 *           are the raw register update the core wants (no inversions).
 *  crc32    libdeflate's libdeflate_crc32() (same convention as the core's
 *           and zlib's crc32(); PCLMULQDQ: about 3.5x as fast as zlib's)
 *  zlib     zlib's deflate/inflate streams, windowBits -15 (raw) or 15
 *           (zlib wrapper), memLevel 8; gzip is framed by the core.
 *  deflate  one-shot: libdeflate (libdeflate_deflate_compress(), one
 *           compressor per level, made at the level's first use and kept
 *           in the ENGINE state) for requests without a context whose
 *           source and destination are flat and in the SS region
 *           (wd_soft_host_zoneshot()), at the libdeflate level that is
 *           faster than zlib's level and not larger (wdl_ld_level[]); its
 *           bytes differ from zlib's. Streams stay on zlib: libdeflate has
 *           no streaming interface, which the core's 64 KiB windows need.
 *
 * A backend state (struct wd_soft_host_alg) is an engine's, for requests
 * without a context, or a stream context's. An engine's zlib stream is
 * initialised for every request (as the kernel does) but its memory comes
 * from a small cache of the blocks the last streams freed, so a warm
 * engine compresses without malloc() or any system call. A context's
 * stream is initialised once, when the context is opened, in the opener's
 * thread, and lives until it is closed.
 */
/* SHA256_CTX, for states in memory: see engine/sha256-user.h */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <libdeflate.h>
#include <zlib.h>
#ifdef WDL_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#include "wdl_internal.h"
#include "sha256-user.h"

/**
 * wdl_algs_init() - a device's digest method, operations and algorithms
 * @dev: the device, cfg filled in
 *
 * Return: 0 (a missing SHA-256 only takes "sha256" away) or -errno.
 */
int wdl_algs_init(struct wdl_dev *dev)
{
	uint32_t ops = dev->cfg.op_mask;
	EVP_MD *md = NULL;

#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
#else
	md = (EVP_MD *)EVP_sha256();
#endif
	if (!md)
		ops &= ~(uint32_t)WD_SOFT_CORE_OPS_SHA256;
	dev->sha256 = md;
	wd_soft_core_dev_init(&dev->core, ops);
	dev->core.oneshot = true;	/* libdeflate */
	wd_soft_core_algs(dev->core.ops, dev->algs, sizeof(dev->algs));
	return 0;
}

/**
 * wdl_algs_exit() - put what wdl_algs_init() got
 * @dev: the device; its engines are gone
 */
void wdl_algs_exit(struct wdl_dev *dev)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	EVP_MD_free(dev->sha256);
#endif
	dev->sha256 = NULL;
}

/**
 * wdl_engine_algs_init() - an engine's backend state
 * @eng: the engine, eng->dev set
 *
 * Return: 0 or -ENOMEM.
 */
int wdl_engine_algs_init(struct wdl_engine *eng)
{
	size_t bytes;

	eng->core.alg = wd_soft_host_alg_alloc(&eng->dev->core,
					       WD_SOFT_ALG_ENGINE, &bytes);
	return eng->core.alg ? 0 : -ENOMEM;
}

/**
 * wdl_engine_algs_exit() - free an engine's backend state
 * @eng: the engine (its thread is gone)
 */
void wdl_engine_algs_exit(struct wdl_engine *eng)
{
	wd_soft_host_alg_free(eng->core.alg);
	eng->core.alg = NULL;
}

/* ---- backend states --------------------------------------------------- */

/*
 * What a state holds beyond struct wd_soft_host_alg, for the core's
 * max_ctx_bytes: zlib's documented memory use with windowBits 15 and
 * memLevel 8 (zconf.h: deflate (1 << (windowBits + 2)) + (1 << (memLevel
 * + 9)), inflate (1 << windowBits)) plus its own state structures (about
 * 5.9 KiB for deflate, 7.1 KiB for inflate in zlib 1.2.11 to 1.3.1), and
 * OpenSSL's EVP_MD_CTX with its SHA-256 state (well under 256 bytes).
 */
#define WDL_DEFLATE_BYTES	((1u << (MAX_WBITS + 2)) + (1u << (8 + 9)) + \
				 6 * 1024)
#define WDL_INFLATE_BYTES	((1u << MAX_WBITS) + 7 * 1024 + 256)
#define WDL_SHA256_BYTES	256u

struct wd_soft_host_alg *wd_soft_host_alg_alloc(struct wd_soft_core_dev *core,
						enum wd_soft_alg_kind kind,
						size_t *bytes)
{
	struct wd_soft_host_alg *a;
	size_t size = sizeof(*a);

	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->kind = kind;
	a->dev = container_of(core, struct wdl_dev, core);
	switch (kind) {
	case WD_SOFT_ALG_ENGINE:
		/* one stream at a time: the larger of the two */
		size += WDL_DEFLATE_BYTES + sizeof(*a->sha_st);
		a->sha_st = calloc(1, sizeof(*a->sha_st));
		if (!a->sha_st) {
			free(a);
			return NULL;
		}
		fallthrough;
	case WD_SOFT_ALG_SHA256:
		size += WDL_SHA256_BYTES;
		a->sha = EVP_MD_CTX_new();
		if (!a->sha) {
			free(a->sha_st);
			free(a);
			return NULL;
		}
		break;
	case WD_SOFT_ALG_DEFLATE:
		size += WDL_DEFLATE_BYTES;
		break;
	case WD_SOFT_ALG_INFLATE:
		size += WDL_INFLATE_BYTES;
		break;
	default:
		free(a);
		return NULL;
	}
	*bytes = size;
	return a;
}

void wd_soft_host_alg_free(struct wd_soft_host_alg *a)
{
	unsigned int i;

	if (!a)
		return;
	EVP_MD_CTX_free(a->sha);
	if (a->sha_st)	/* the last state it held is its submitter's */
		OPENSSL_cleanse(a->sha_st, sizeof(*a->sha_st));
	free(a->sha_st);
	for (i = 0; i < WDL_ZCACHE; i++)
		free(a->zcache[i].p);
	for (i = 0; i < ARRAY_SIZE(a->ld); i++)
		libdeflate_free_compressor(a->ld[i]);
	free(a);
}

/* ---- checksums -------------------------------------------------------- */

u32 wd_soft_host_crc32(u32 crc, const void *data, u32 len)
{
	return libdeflate_crc32(crc, data, len);
}

int wd_soft_host_crc32c(struct wd_soft_host_alg *a, u32 *crc,
			const void *data, u32 len)
{
	(void)a;
#ifdef WDL_HAVE_ISAL
	/* len <= WD_SOFT_CORE_CHUNK: fits the int */
	*crc = crc32_iscsi((unsigned char *)data, (int)len, *crc);
#else
	*crc = wdl_crc32c_sw(*crc, data, len);
#endif
	return 0;
}

/* ---- sha256 ----------------------------------------------------------- */

int wd_soft_host_sha256_init(struct wd_soft_host_alg *a)
{
	if (!a->sha)
		return -EIO;
	a->sha_st_live = false;
	return EVP_DigestInit_ex(a->sha, a->dev->sha256, NULL) == 1 ? 0 : -EIO;
}

int wd_soft_host_sha256_update(struct wd_soft_host_alg *a, const void *data,
			       u32 len)
{
	if (a->sha_st_live)
		return wd_soft_sha256_user_update(a->sha_st, data, len);
	if (!a->sha)
		return -EIO;
	return EVP_DigestUpdate(a->sha, data, len) == 1 ? 0 : -EIO;
}

int wd_soft_host_sha256_final(struct wd_soft_host_alg *a, u8 *digest)
{
	unsigned int n = 0;

	if (a->sha_st_live) {
		a->sha_st_live = false;
		return wd_soft_sha256_user_final(a->sha_st, digest);
	}
	if (!a->sha || EVP_DigestFinal_ex(a->sha, digest, &n) != 1 ||
	    n != WD_SOFT_CORE_SHA256_SIZE)
		return -EIO;
	return 0;
}

/* an ENGINE state's only (the core imports into no other) */
int wd_soft_host_sha256_import(struct wd_soft_host_alg *a,
			       const struct wd_soft_sha256_state *st)
{
	if (!a->sha_st)
		return -EIO;
	a->sha_st_live = true;
	return wd_soft_sha256_user_import(a->sha_st, st);
}

int wd_soft_host_sha256_export(struct wd_soft_host_alg *a,
			       struct wd_soft_sha256_state *st)
{
	if (!a->sha_st_live)
		return -EIO;
	return wd_soft_sha256_user_export(a->sha_st, st);
}

/* ---- zlib ------------------------------------------------------------- */

/*
 * The ENGINE state's zlib allocator. zfree() is not told the size, so each
 * block starts with a header that keeps it; a freed block goes to the
 * state's cache and the next allocation of the same size takes it back.
 * A stream's blocks have the same sizes from one request to the next (per
 * direction and wrapper), so a warm engine never calls malloc() for zlib.
 */
struct wdl_zhdr {
	size_t size;
	size_t pad;	/* keeps the block 16-byte aligned */
};

static voidpf wdl_zalloc_hdr(voidpf opaque, uInt items, uInt size)
{
	struct wd_soft_host_alg *a = opaque;
	struct wdl_zhdr *h;
	unsigned int i;
	size_t n;

	n = (size_t)items * size;
	if (items && n / items != size)
		return NULL;
	n += sizeof(*h);
	for (i = 0; i < WDL_ZCACHE; i++) {
		if (a->zcache[i].p && a->zcache[i].size == n) {
			h = a->zcache[i].p;
			a->zcache[i].p = NULL;
			return h + 1;
		}
	}
	h = malloc(n);
	if (!h)
		return NULL;
	h->size = n;
	return h + 1;
}

static void wdl_zfree_hdr(voidpf opaque, voidpf address)
{
	struct wd_soft_host_alg *a = opaque;
	struct wdl_zhdr *h;
	unsigned int i;

	if (!address)
		return;
	h = (struct wdl_zhdr *)address - 1;
	for (i = 0; i < WDL_ZCACHE; i++) {
		if (!a->zcache[i].p) {
			a->zcache[i].p = h;
			a->zcache[i].size = h->size;
			return;
		}
	}
	free(h);
}

int wd_soft_host_zinit(struct wd_soft_host_alg *a, enum wd_soft_zdir dir,
		       int level)
{
	switch (a->kind) {
	case WD_SOFT_ALG_ENGINE:
		return wd_soft_zlib_init(&a->z, dir, level,
					 wdl_zalloc_hdr, wdl_zfree_hdr, a);
	case WD_SOFT_ALG_DEFLATE:
	case WD_SOFT_ALG_INFLATE:
		/* a context's state is made once: malloc() is fine */
		if (dir != (a->kind == WD_SOFT_ALG_DEFLATE ? WD_SOFT_ZDEFLATE :
							     WD_SOFT_ZINFLATE))
			return -EINVAL;
		return wd_soft_zlib_init(&a->z, dir, level, NULL, NULL, NULL);
	default:
		return -EINVAL;
	}
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

/*
 * The libdeflate level for zlib's level 1..9, 0 for none (zlib's stream).
 * libdeflate's levels do not match zlib's ratios one for one: measured on
 * /usr/include's headers in 1 MiB pieces (libdeflate 1.14, zlib 1.2.13),
 * libdeflate's 5 and 6 are 0.2% and 0.6% larger than zlib's, its 7 smaller
 * than zlib's 6 and still 1.35x as fast, its 8 (the first as small as
 * zlib's 7) slower than zlib's 7. So: the first libdeflate level not larger
 * than zlib's, if it is faster.
 */
static const u8 wdl_ld_level[10] = { 0, 1, 2, 3, 4, 6, 7, 0, 8, 9 };

long wd_soft_host_zoneshot(struct wd_soft_host_alg *a, int level,
			   const void *src, u32 slen, void *dst, u32 dlen)
{
	struct libdeflate_compressor **c;
	size_t n;

	if (a->kind != WD_SOFT_ALG_ENGINE || level < 1 ||
	    level >= (int)ARRAY_SIZE(a->ld))
		return -EINVAL;
	if (!wdl_ld_level[level])
		return 0;
	c = &a->ld[level];
	if (!*c) {
		/* once per level and engine: a warm engine allocates nothing */
		*c = libdeflate_alloc_compressor(wdl_ld_level[level]);
		if (!*c)
			return 0;	/* no memory now: zlib's stream will do */
	}
	n = libdeflate_deflate_compress(*c, src, slen, dst, dlen);
	if (n)
		WRITE_ONCE(a->oneshots, a->oneshots + 1);
	return (long)n;
}

/* ---- the library ------------------------------------------------------ */

static char wdl_backends_buf[256];

static void wdl_backends_fill(void)
{
	snprintf(wdl_backends_buf, sizeof(wdl_backends_buf),
		 "zlib %s (deflate, zlib, gzip streams, crc32), libdeflate %s (one-shot deflate, zlib, gzip), %s (sha256), crc32c %s",
		 zlibVersion(), LIBDEFLATE_VERSION_STRING,
		 OpenSSL_version(OPENSSL_VERSION),
#ifdef WDL_HAVE_ISAL
		 "ISA-L crc32_iscsi"
#else
		 "built-in slicing-by-8"
#endif
		 );
}

const char *wdl_backends(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, wdl_backends_fill);
	return wdl_backends_buf;
}
