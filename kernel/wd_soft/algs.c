// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the kernel's algorithm backends for the engine core.
 *
 *  sha256   crypto API shash "sha256" (built in: sha256_generic, or a
 *           faster driver such as sha256-ssse3 when it is loaded first);
 *           a state in memory (WD_SOFT_SQE_F_STATE) through its
 *           import/export, whose format is struct sha256_state
 *  crc32c   crypto API shash "crc32c" (a module: crc32c-intel or
 *           crc32c_generic, loaded on demand by the crypto API; see
 *           MODULE_SOFTDEP in main.c). Without it, the library's
 *           __crc32c_le() (lib/crc32.c, built in with CONFIG_CRC32).
 *  crc32    crc32_le() for gzip
 *  zlib     the kernel's zlib: zlib_deflateInit2()/zlib_deflate() and
 *           zlib_inflateInit2()/zlib_inflate(), windowBits -15 (raw) or 15
 *           (zlib wrapper); gzip is framed by the core
 *
 * One tfm per instance. A backend state (struct wd_soft_host_alg, in
 * wd_soft.h) holds descriptors of those tfms and a zlib stream: each
 * engine has one for requests without a context (both descriptors and a
 * workspace large enough for either direction), each stream context one
 * for its own algorithm, charged to the context's opener. These functions
 * are the algorithm part of the core's host interface
 * (engine/wd_soft_core.h); a state is used by one thread at a time: its
 * engine, or the opener in WD_SOFT_CMD_CTX (alloc, init, end, free).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/crc32.h>
#include <linux/err.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/zlib.h>

#include "wd_soft.h"

/*
 * The state of WD_SOFT_SQE_F_STATE is passed to the "sha256" shash's
 * import and taken from its export as is: every sha256 driver of the
 * kernel (sha256_generic and the arch ones, all on sha256_base.h) exports
 * struct sha256_state, which has the protocol's layout. A driver that
 * exports something else (its statesize tells) gets no state: the
 * requests that carry one fail with DEV_ERR, the others are unaffected.
 */
static bool wd_soft_sha256_state_ok(struct crypto_shash *tfm)
{
	BUILD_BUG_ON(sizeof(struct sha256_state) !=
		     sizeof(struct wd_soft_sha256_state));
	BUILD_BUG_ON(offsetof(struct sha256_state, state) !=
		     offsetof(struct wd_soft_sha256_state, h));
	BUILD_BUG_ON(sizeof_field(struct sha256_state, state) !=
		     sizeof_field(struct wd_soft_sha256_state, h));
	BUILD_BUG_ON(offsetof(struct sha256_state, count) !=
		     offsetof(struct wd_soft_sha256_state, count));
	BUILD_BUG_ON(sizeof_field(struct sha256_state, count) !=
		     sizeof_field(struct wd_soft_sha256_state, count));
	BUILD_BUG_ON(offsetof(struct sha256_state, buf) !=
		     offsetof(struct wd_soft_sha256_state, buf));
	BUILD_BUG_ON(sizeof_field(struct sha256_state, buf) !=
		     sizeof_field(struct wd_soft_sha256_state, buf));
	return crypto_shash_statesize(tfm) == sizeof(struct sha256_state);
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
	if (!wd_soft_sha256_state_ok(tfm))
		dev_warn(&wdev->dev, "%s exports %u bytes of state: SHA-256 requests with F_STATE will fail (DEV_ERR)\n",
			 crypto_shash_driver_name(tfm),
			 crypto_shash_statesize(tfm));

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
	wdev->core.max_ctx_bytes = wdev->cfg.max_ctx_bytes;
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
					     gfp_t gfp, int node, size_t *bytes)
{
	size_t size = sizeof(struct shash_desc) + crypto_shash_descsize(tfm);
	struct shash_desc *desc;

	desc = kzalloc_node(size, gfp, node);
	if (desc) {
		desc->tfm = tfm;
		*bytes += size;
	}
	return desc;
}

/*
 * Host interface: a backend state. An engine's is the instance's (created
 * by new_device); a context's is charged to its opener, who calls this
 * from WD_SOFT_CMD_CTX: GFP_KERNEL_ACCOUNT, so its memory cgroup pays and
 * may refuse (ENOMEM, no warning splat: the opener asked for too much).
 */
struct wd_soft_host_alg *wd_soft_host_alg_alloc(struct wd_soft_core_dev *core,
						enum wd_soft_alg_kind kind,
						size_t *bytes)
{
	struct wd_soft_dev *wdev = container_of(core, struct wd_soft_dev, core);
	gfp_t gfp = (kind == WD_SOFT_ALG_ENGINE ? GFP_KERNEL :
		     GFP_KERNEL_ACCOUNT) | __GFP_NOWARN;
	int node = wdev->cfg.node;
	struct wd_soft_host_alg *a;
	size_t n = sizeof(*a);

	a = kzalloc_node(sizeof(*a), gfp, node);
	if (!a)
		return NULL;
	a->kind = kind;
	switch (kind) {
	case WD_SOFT_ALG_ENGINE:
		/* one stream at a time, in either direction */
		a->ws_size = max(zlib_deflate_workspacesize(MAX_WBITS,
							    MAX_MEM_LEVEL),
				 zlib_inflate_workspacesize());
		if (wdev->crc32c) {
			a->crc32c = wd_soft_desc_alloc(wdev->crc32c, gfp, node,
						       &n);
			if (!a->crc32c)
				goto err;
		}
		fallthrough;
	case WD_SOFT_ALG_SHA256:
		a->sha256 = wd_soft_desc_alloc(wdev->sha256, gfp, node, &n);
		if (!a->sha256)
			goto err;
		break;
	case WD_SOFT_ALG_DEFLATE:
		/* what wd_soft_host_zinit() asks of zlib_deflateInit2() */
		a->ws_size = zlib_deflate_workspacesize(MAX_WBITS,
							DEF_MEM_LEVEL);
		break;
	case WD_SOFT_ALG_INFLATE:
		a->ws_size = zlib_inflate_workspacesize();
		break;
	default:
		goto err;
	}
	if (a->ws_size) {
		a->zs.workspace = kvzalloc_node(a->ws_size, gfp, node);
		if (!a->zs.workspace)
			goto err;
		n += a->ws_size;
	}
	*bytes = n;
	return a;

err:
	wd_soft_host_alg_free(a);
	return NULL;
}

/*
 * Host interface: free a backend state. Its hash state and zlib window
 * hold the owner's data: cleared before the memory goes back.
 */
void wd_soft_host_alg_free(struct wd_soft_host_alg *a)
{
	if (!a)
		return;
	kfree_sensitive(a->sha256);
	kfree_sensitive(a->crc32c);
	if (a->zs.workspace)
		kvfree_sensitive(a->zs.workspace, a->ws_size);
	kfree(a);
}

/* Host interface: CRC-32 with zlib's convention. */
u32 wd_soft_host_crc32(u32 crc, const void *data, u32 len)
{
	return ~crc32_le(~crc, data, len);
}

/* Host interface: the crc32c() register update, no inversions. */
int wd_soft_host_crc32c(struct wd_soft_host_alg *a, u32 *crc,
			const void *data, u32 len)
{
	struct shash_desc *desc = a->crc32c;
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

int wd_soft_host_sha256_init(struct wd_soft_host_alg *a)
{
	return a->sha256 ? crypto_shash_init(a->sha256) : -EINVAL;
}

int wd_soft_host_sha256_update(struct wd_soft_host_alg *a, const void *data,
			       u32 len)
{
	return a->sha256 ? crypto_shash_update(a->sha256, data, len) : -EINVAL;
}

int wd_soft_host_sha256_final(struct wd_soft_host_alg *a, u8 *digest)
{
	return a->sha256 ? crypto_shash_final(a->sha256, digest) : -EINVAL;
}

/* Host interface: the engine's descriptor continues the state @st. */
int wd_soft_host_sha256_import(struct wd_soft_host_alg *a,
			       const struct wd_soft_sha256_state *st)
{
	if (!a->sha256 || !wd_soft_sha256_state_ok(a->sha256->tfm))
		return -EIO;
	return crypto_shash_import(a->sha256, st);
}

/* Host interface: the state of the digest in progress, every byte of it. */
int wd_soft_host_sha256_export(struct wd_soft_host_alg *a,
			       struct wd_soft_sha256_state *st)
{
	if (!a->sha256 || !wd_soft_sha256_state_ok(a->sha256->tfm))
		return -EIO;
	return crypto_shash_export(a->sha256, st);
}

int wd_soft_host_zinit(struct wd_soft_host_alg *a, enum wd_soft_zdir dir,
		       int level)
{
	/* raw deflate: the core frames zlib and gzip */
	int wbits = -MAX_WBITS;
	int ret;

	/* a context's workspace is sized for its own direction only */
	if ((a->kind == WD_SOFT_ALG_DEFLATE && dir != WD_SOFT_ZDEFLATE) ||
	    (a->kind == WD_SOFT_ALG_INFLATE && dir != WD_SOFT_ZINFLATE) ||
	    !a->zs.workspace)
		return -EINVAL;
	a->zdir = dir;
	a->zs.next_in = NULL;
	a->zs.avail_in = 0;
	if (dir == WD_SOFT_ZDEFLATE)
		ret = zlib_deflateInit2(&a->zs, level, Z_DEFLATED, wbits,
					DEF_MEM_LEVEL, Z_DEFAULT_STRATEGY);
	else
		ret = zlib_inflateInit2(&a->zs, wbits);
	return ret == Z_OK ? 0 : -EIO;
}

/*
 * The kernel's zlib numbers its flushes unlike zlib (Z_PACKET_FLUSH is 2,
 * Z_SYNC_FLUSH 3, Z_FULL_FLUSH 4, Z_FINISH 5), so enum wd_soft_zflush,
 * numbered as zlib's, is translated, never passed as is.
 */
static int wd_soft_zflush(enum wd_soft_zflush flush)
{
	switch (flush) {
	case WD_SOFT_Z_NO_FLUSH:
		return Z_NO_FLUSH;
	case WD_SOFT_Z_SYNC_FLUSH:
		return Z_SYNC_FLUSH;
	case WD_SOFT_Z_FULL_FLUSH:
		return Z_FULL_FLUSH;
	case WD_SOFT_Z_FINISH:
		return Z_FINISH;
	}
	return -1;
}

int wd_soft_host_zrun(struct wd_soft_host_alg *a, struct wd_soft_zstream *zs,
		      enum wd_soft_zflush flush)
{
	struct z_stream_s *s = &a->zs;
	int zflush = Z_NO_FLUSH;
	int ret;

	/* the core reads zlib's return codes by number (enum wd_soft_zret) */
	BUILD_BUG_ON(Z_OK != WD_SOFT_Z_OK);
	BUILD_BUG_ON(Z_STREAM_END != WD_SOFT_Z_STREAM_END);
	BUILD_BUG_ON(Z_NEED_DICT != WD_SOFT_Z_NEED_DICT);
	BUILD_BUG_ON(Z_DATA_ERROR != WD_SOFT_Z_DATA_ERROR);
	BUILD_BUG_ON(Z_BUF_ERROR != WD_SOFT_Z_BUF_ERROR);
	if (a->zdir == WD_SOFT_ZDEFLATE) {
		zflush = wd_soft_zflush(flush);
		if (zflush < 0)
			return -EINVAL;
	}
	s->next_in = zs->next_in;
	s->avail_in = zs->avail_in;
	s->next_out = zs->next_out;
	s->avail_out = zs->avail_out;
	if (a->zdir == WD_SOFT_ZDEFLATE)
		ret = zlib_deflate(s, zflush);
	else
		ret = zlib_inflate(s, Z_NO_FLUSH);
	zs->next_in = s->next_in;
	zs->avail_in = s->avail_in;
	zs->next_out = s->next_out;
	zs->avail_out = s->avail_out;

	return wd_soft_core_zret(ret);
}

int wd_soft_host_zreset(struct wd_soft_host_alg *a)
{
	int ret;

	if (a->zdir == WD_SOFT_ZDEFLATE)
		ret = zlib_deflateReset(&a->zs);
	else
		ret = zlib_inflateReset(&a->zs);
	return ret == Z_OK ? 0 : -EIO;
}

void wd_soft_host_zend(struct wd_soft_host_alg *a)
{
	if (a->zdir == WD_SOFT_ZDEFLATE)
		zlib_deflateEnd(&a->zs);
	else
		zlib_inflateEnd(&a->zs);
}

/* The kernel keeps its zlib: no one-shot backend, the core streams. */
long wd_soft_host_zoneshot(struct wd_soft_host_alg *a, int level,
			   const void *src, u32 slen, void *dst, u32 dlen)
{
	return 0;
}
