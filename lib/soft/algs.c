// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * algs.c: the algorithm backends of the in-process host.
 *
 *  sha256   OpenSSL libcrypto, EVP (the digest method fetched once per
 *           device, one EVP_MD_CTX per engine)
 *  crc32c   ISA-L's crc32_iscsi() when the build found it (WDL_HAVE_ISAL:
 *           a maintained, SIMD-accelerated library packaged by Debian as
 *           libisal-dev), else the built-in slicing-by-8 (crc32c.c). Both
 *           are the raw register update the core wants (no inversions).
 *  crc32    zlib's crc32() (same convention as the core's)
 *  zlib     zlib's deflate/inflate streams, windowBits -15 (raw) or 15
 *           (zlib wrapper), memLevel 8; gzip is framed by the core.
 *           libdeflate has no streaming interface, which the core's
 *           64 KiB windows need.
 *
 * A zlib stream is initialised for every request (as the kernel does) but
 * its memory comes from a small per-engine cache of the blocks the last
 * streams freed, so a warm engine compresses without malloc() or any
 * system call.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <zlib.h>
#ifdef WDL_HAVE_ISAL
#include <isa-l/crc.h>
#endif

#include "wdl_internal.h"

static struct wdl_engine *wdl_ctx_engine(struct wd_soft_core_ctx *core)
{
	return to_wdl_ctx(core)->eng;
}

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
 * wdl_engine_algs_init() - an engine's digest context
 * @eng: the engine, eng->dev set
 *
 * Return: 0 or -ENOMEM.
 */
int wdl_engine_algs_init(struct wdl_engine *eng)
{
	eng->sha = EVP_MD_CTX_new();
	if (!eng->sha)
		return -ENOMEM;
	return 0;
}

/**
 * wdl_engine_algs_exit() - free an engine's backend state
 * @eng: the engine (its thread is gone)
 */
void wdl_engine_algs_exit(struct wdl_engine *eng)
{
	unsigned int i;

	EVP_MD_CTX_free(eng->sha);
	eng->sha = NULL;
	for (i = 0; i < WDL_ZCACHE; i++) {
		free(eng->zcache[i].p);
		eng->zcache[i].p = NULL;
	}
}

/* ---- checksums -------------------------------------------------------- */

u32 wd_soft_host_crc32(u32 crc, const void *data, u32 len)
{
	return (u32)crc32(crc, data, len);
}

int wd_soft_host_crc32c(struct wd_soft_core_ctx *ctx, u32 *crc,
			const void *data, u32 len)
{
	(void)ctx;
#ifdef WDL_HAVE_ISAL
	/* len <= WD_SOFT_CORE_CHUNK: fits the int */
	*crc = crc32_iscsi((unsigned char *)data, (int)len, *crc);
#else
	*crc = wdl_crc32c_sw(*crc, data, len);
#endif
	return 0;
}

/* ---- sha256 ----------------------------------------------------------- */

int wd_soft_host_sha256_init(struct wd_soft_core_ctx *ctx)
{
	struct wdl_engine *eng = wdl_ctx_engine(ctx);

	return EVP_DigestInit_ex(eng->sha, eng->dev->sha256, NULL) == 1 ?
	       0 : -EIO;
}

int wd_soft_host_sha256_update(struct wd_soft_core_ctx *ctx, const void *data,
			       u32 len)
{
	return EVP_DigestUpdate(wdl_ctx_engine(ctx)->sha, data, len) == 1 ?
	       0 : -EIO;
}

int wd_soft_host_sha256_final(struct wd_soft_core_ctx *ctx, u8 *digest)
{
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(wdl_ctx_engine(ctx)->sha, digest, &n) != 1 ||
	    n != WD_SOFT_CORE_SHA256_SIZE)
		return -EIO;
	return 0;
}

/* ---- zlib ------------------------------------------------------------- */

/*
 * zlib's allocator. zfree() is not told the size, so each block starts
 * with a header that keeps it; a freed block goes to the engine's cache
 * and the next allocation of the same size takes it back. A stream's
 * blocks have the same sizes from one request to the next (per direction
 * and wrapper), so a warm engine never calls malloc() for zlib.
 */
struct wdl_zhdr {
	size_t size;
	size_t pad;	/* keeps the block 16-byte aligned */
};

static voidpf wdl_zalloc_hdr(voidpf opaque, uInt items, uInt size)
{
	struct wdl_engine *eng = opaque;
	struct wdl_zhdr *h;
	unsigned int i;
	size_t n;

	n = (size_t)items * size;
	if (items && n / items != size)
		return NULL;
	n += sizeof(*h);
	for (i = 0; i < WDL_ZCACHE; i++) {
		if (eng->zcache[i].p && eng->zcache[i].size == n) {
			h = eng->zcache[i].p;
			eng->zcache[i].p = NULL;
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
	struct wdl_engine *eng = opaque;
	struct wdl_zhdr *h;
	unsigned int i;

	if (!address)
		return;
	h = (struct wdl_zhdr *)address - 1;
	for (i = 0; i < WDL_ZCACHE; i++) {
		if (!eng->zcache[i].p) {
			eng->zcache[i].p = h;
			eng->zcache[i].size = h->size;
			return;
		}
	}
	free(h);
}

int wd_soft_host_zinit(struct wd_soft_core_ctx *ctx, enum wd_soft_zdir dir,
		       enum wd_soft_zwrap wrap, int level)
{
	struct wdl_engine *eng = wdl_ctx_engine(ctx);

	return wd_soft_zlib_init(&eng->z, dir, wrap, level, wdl_zalloc_hdr,
				 wdl_zfree_hdr, eng);
}

int wd_soft_host_zrun(struct wd_soft_core_ctx *ctx, struct wd_soft_zstream *zs,
		      bool finish)
{
	return wd_soft_zlib_run(&wdl_ctx_engine(ctx)->z, zs, finish);
}

void wd_soft_host_zend(struct wd_soft_core_ctx *ctx)
{
	wd_soft_zlib_end(&wdl_ctx_engine(ctx)->z);
}

/* ---- the library ------------------------------------------------------ */

static char wdl_backends_buf[160];

static void wdl_backends_fill(void)
{
	snprintf(wdl_backends_buf, sizeof(wdl_backends_buf),
		 "zlib %s (deflate, zlib, gzip, crc32), %s (sha256), crc32c %s",
		 zlibVersion(), OpenSSL_version(OPENSSL_VERSION),
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
