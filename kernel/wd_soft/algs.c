// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the kernel's algorithm backends for the engine core.
 *
 *  sha256   crypto API shash "sha256" (built in: sha256_generic, or a
 *           faster driver such as sha256-ssse3 when it is loaded first)
 *  crc32c   crypto API shash "crc32c" (a module: crc32c-intel or
 *           crc32c_generic, loaded on demand by the crypto API; see
 *           MODULE_SOFTDEP in main.c). Without it, the library's
 *           __crc32c_le() (lib/crc32.c, built in with CONFIG_CRC32).
 *  crc32    crc32_le() for gzip
 *  zlib     the kernel's zlib: zlib_deflateInit2()/zlib_deflate() and
 *           zlib_inflateInit2()/zlib_inflate(), windowBits -15 (raw) or 15
 *           (zlib wrapper); gzip is framed by the core
 *
 * One tfm per instance, one descriptor and one zlib workspace (vmalloc'ed,
 * large enough for either direction) per engine. These functions are the
 * algorithm part of the core's host interface (engine/wd_soft_core.h) and
 * run in the engine thread only.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <linux/crc32.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/zlib.h>

#include "wd_soft.h"

static struct wd_soft_engine *wd_soft_ctx_engine(struct wd_soft_core_ctx *core)
{
	return to_wd_soft_ctx(core)->eng;
}

/**
 * wd_soft_algs_init() - get an instance's hash transforms
 * @wdev: the instance
 *
 * Also sets the operations the instance offers (all of them: crc32c falls
 * back to the library when the crypto API has no "crc32c") and the uacce
 * "algorithms" string.
 *
 * Return: 0 or -errno (no "sha256").
 */
int wd_soft_algs_init(struct wd_soft_dev *wdev)
{
	struct crypto_shash *tfm;

	tfm = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	wdev->sha256 = tfm;

	/* the core passes the raw CRC register through import/export */
	tfm = crypto_alloc_shash("crc32c", 0, 0);
	if (!IS_ERR(tfm) && crypto_shash_statesize(tfm) != sizeof(u32)) {
		crypto_free_shash(tfm);
		tfm = ERR_PTR(-EINVAL);
	}
	if (IS_ERR(tfm)) {
		dev_info(&wdev->dev, "no crc32c in the crypto API (%ld), using the library\n",
			 PTR_ERR(tfm));
		tfm = NULL;
	}
	wdev->crc32c = tfm;

	wd_soft_core_dev_init(&wdev->core, WD_SOFT_CORE_OPS_ALL);
	wd_soft_core_algs(wdev->core.ops, wdev->algs, sizeof(wdev->algs));
	return 0;
}

/**
 * wd_soft_algs_exit() - put the transforms of wd_soft_algs_init()
 * @wdev: the instance; its engines are gone
 */
void wd_soft_algs_exit(struct wd_soft_dev *wdev)
{
	crypto_free_shash(wdev->crc32c);
	crypto_free_shash(wdev->sha256);
	wdev->crc32c = NULL;
	wdev->sha256 = NULL;
}

static struct shash_desc *wd_soft_desc_alloc(struct crypto_shash *tfm,
					     int node)
{
	struct shash_desc *desc;

	desc = kzalloc_node(sizeof(*desc) + crypto_shash_descsize(tfm),
			    GFP_KERNEL, node);
	if (desc)
		desc->tfm = tfm;
	return desc;
}

/**
 * wd_soft_engine_algs_init() - an engine's descriptors and zlib workspace
 * @eng: the engine; eng->wdev has its transforms
 *
 * Return: 0 or -ENOMEM, with nothing left allocated.
 */
int wd_soft_engine_algs_init(struct wd_soft_engine *eng)
{
	struct wd_soft_dev *wdev = eng->wdev;
	int node = wdev->cfg.node;
	size_t ws;

	eng->sha256 = wd_soft_desc_alloc(wdev->sha256, node);
	if (wdev->crc32c)
		eng->crc32c = wd_soft_desc_alloc(wdev->crc32c, node);
	ws = max(zlib_deflate_workspacesize(MAX_WBITS, MAX_MEM_LEVEL),
		 zlib_inflate_workspacesize());
	/* new_device's ENOMEM says it all: no warning splat */
	eng->zs.workspace = kvzalloc_node(ws, GFP_KERNEL | __GFP_NOWARN, node);
	if (!eng->sha256 || (wdev->crc32c && !eng->crc32c) ||
	    !eng->zs.workspace) {
		wd_soft_engine_algs_exit(eng);
		return -ENOMEM;
	}
	return 0;
}

/**
 * wd_soft_engine_algs_exit() - free what wd_soft_engine_algs_init() got
 * @eng: the engine
 */
void wd_soft_engine_algs_exit(struct wd_soft_engine *eng)
{
	kfree_sensitive(eng->sha256);
	kfree_sensitive(eng->crc32c);
	kvfree(eng->zs.workspace);
	eng->sha256 = NULL;
	eng->crc32c = NULL;
	eng->zs.workspace = NULL;
}

/* Host interface: CRC-32 with zlib's convention. */
u32 wd_soft_host_crc32(u32 crc, const void *data, u32 len)
{
	return ~crc32_le(~crc, data, len);
}

/* Host interface: the crc32c() register update, no inversions. */
int wd_soft_host_crc32c(struct wd_soft_core_ctx *core, u32 *crc,
			const void *data, u32 len)
{
	struct shash_desc *desc = wd_soft_ctx_engine(core)->crc32c;
	int ret;

	if (!desc) {
		*crc = __crc32c_le(*crc, data, len);
		return 0;
	}
	ret = crypto_shash_import(desc, crc);
	if (!ret)
		ret = crypto_shash_update(desc, data, len);
	if (!ret)
		ret = crypto_shash_export(desc, crc);
	return ret;
}

int wd_soft_host_sha256_init(struct wd_soft_core_ctx *core)
{
	return crypto_shash_init(wd_soft_ctx_engine(core)->sha256);
}

int wd_soft_host_sha256_update(struct wd_soft_core_ctx *core, const void *data,
			       u32 len)
{
	return crypto_shash_update(wd_soft_ctx_engine(core)->sha256, data, len);
}

int wd_soft_host_sha256_final(struct wd_soft_core_ctx *core, u8 *digest)
{
	return crypto_shash_final(wd_soft_ctx_engine(core)->sha256, digest);
}

int wd_soft_host_zinit(struct wd_soft_core_ctx *core, enum wd_soft_zdir dir,
		       enum wd_soft_zwrap wrap, int level)
{
	struct wd_soft_engine *eng = wd_soft_ctx_engine(core);
	int wbits = wrap == WD_SOFT_ZLIB ? MAX_WBITS : -MAX_WBITS;
	int ret;

	eng->zdir = dir;
	eng->zs.next_in = NULL;
	eng->zs.avail_in = 0;
	if (dir == WD_SOFT_ZDEFLATE)
		ret = zlib_deflateInit2(&eng->zs, level, Z_DEFLATED, wbits,
					DEF_MEM_LEVEL, Z_DEFAULT_STRATEGY);
	else
		ret = zlib_inflateInit2(&eng->zs, wbits);
	return ret == Z_OK ? 0 : -EIO;
}

int wd_soft_host_zrun(struct wd_soft_core_ctx *core, struct wd_soft_zstream *zs,
		      bool finish)
{
	struct wd_soft_engine *eng = wd_soft_ctx_engine(core);
	struct z_stream_s *s = &eng->zs;
	int ret;

	/* the core reads zlib's return codes by number (enum wd_soft_zret) */
	BUILD_BUG_ON(Z_OK != WD_SOFT_Z_OK);
	BUILD_BUG_ON(Z_STREAM_END != WD_SOFT_Z_STREAM_END);
	BUILD_BUG_ON(Z_NEED_DICT != WD_SOFT_Z_NEED_DICT);
	BUILD_BUG_ON(Z_DATA_ERROR != WD_SOFT_Z_DATA_ERROR);
	BUILD_BUG_ON(Z_BUF_ERROR != WD_SOFT_Z_BUF_ERROR);
	s->next_in = zs->next_in;
	s->avail_in = zs->avail_in;
	s->next_out = zs->next_out;
	s->avail_out = zs->avail_out;
	if (eng->zdir == WD_SOFT_ZDEFLATE)
		ret = zlib_deflate(s, finish ? Z_FINISH : Z_NO_FLUSH);
	else
		ret = zlib_inflate(s, Z_NO_FLUSH);
	zs->next_in = s->next_in;
	zs->avail_in = s->avail_in;
	zs->next_out = s->next_out;
	zs->avail_out = s->avail_out;

	return wd_soft_core_zret(ret);
}

void wd_soft_host_zend(struct wd_soft_core_ctx *core)
{
	struct wd_soft_engine *eng = wd_soft_ctx_engine(core);

	if (eng->zdir == WD_SOFT_ZDEFLATE)
		zlib_deflateEnd(&eng->zs);
	else
		zlib_inflateEnd(&eng->zs);
}
