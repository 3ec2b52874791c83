// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the crypto API front door (uacce_mode 0 and 1).
 *
 *  sha256-wd_soft   ahash "sha256"
 *  crc32c-wd_soft   ahash "crc32c" (optional 4-byte key: the seed, as
 *                   crc32c-generic's)
 *  deflate-wd_soft  acomp "deflate" (raw deflate, level 6)
 *
 * Every request is a wd_soft_v3 request on a kernel queue (kq.c), run by
 * the instance's engines beside its user queues. The state of a hash in
 * progress lives in the request, never in the device: a SHA-256 update is
 * a request with WD_SOFT_SQE_F_STATE, a CRC-32C update one with the
 * register as seed. So export and import are copies, and a request
 * dropped before its final leaves nothing behind.
 *
 * The algorithms are registered while at least one instance serves the
 * crypto API (from the end of module load on), and unregistered when the
 * last one goes: a registered algorithm without an instance would fail
 * every lookup that picks it, also lookups by name ("deflate") that
 * another implementation could serve. A tfm binds to the instance with
 * the fewest tfms when it is allocated and keeps it; an instance with
 * tfms bound refuses removal (EBUSY, after waiting up to
 * WD_SOFT_CRYPTO_DEL_WAIT for them to go), so unregistering never meets a
 * tfm of ours. docs/crypto.md has the rules.
 */
#include <crypto/internal/acompress.h>
#include <crypto/internal/hash.h>
#include <crypto/scatterwalk.h>
#include <crypto/sha2.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "wd_soft.h"

/* how long del_device waits for the tfms bound to an instance to go */
#define WD_SOFT_CRYPTO_DEL_WAIT	HZ
/* scatter-gather entries a request carries inline (more: allocated) */
#define WD_SOFT_CRYPTO_SGE	4
/* acomp without a destination: the room we allocate, at most (as scomp) */
#define WD_SOFT_CRYPTO_DST_MAX	SZ_128K

/*
 * wd_soft_crypto_lock: the list of instances serving the crypto API and
 * each one's crypto_tfms. Held briefly; never across a request or a
 * registration (testmgr allocates tfms while we register).
 * wd_soft_crypto_registered (which algorithm groups are registered) and
 * wd_soft_crypto_started are written under wd_soft_devs_lock (bus.c),
 * which serialises every instance's creation and removal, and at module
 * load before the bus takes writes.
 */
static DEFINE_MUTEX(wd_soft_crypto_lock);
static LIST_HEAD(wd_soft_crypto_devs);
static DECLARE_WAIT_QUEUE_HEAD(wd_soft_crypto_wq);
static unsigned int wd_soft_crypto_registered;
static bool wd_soft_crypto_started;

#define WD_SOFT_CRYPTO_AHASH	BIT(0)
#define WD_SOFT_CRYPTO_ACOMP	BIT(1)

/* the tfm's context: its instance, and for crc32c the key */
struct wd_soft_crypto_tfm {
	struct wd_soft_dev *wdev;
	u32 key;
};

/* sources and destinations in the protocol's SGL form */
struct wd_soft_crypto_sgl {
	struct wd_soft_sge inl[WD_SOFT_CRYPTO_SGE];
	struct wd_soft_sge *sge;
};

/*
 * A hash request's context. The state is the digest in progress (sha256:
 * 128-byte aligned inside @room, as the device wants it; crc32c: @crc);
 * testmgr poisons the rest between export and import, so each operation
 * sets up what else it uses.
 */
struct wd_soft_hash_req {
	struct wd_soft_kreq kr;
	struct wd_soft_crypto_sgl src;
	u32 crc;
	__le32 crc_out;
	bool final;
	u8 room[sizeof(struct wd_soft_sha256_state) + WD_SOFT_STATE_ALIGN - 1];
};

struct wd_soft_comp_req {
	struct wd_soft_kreq kr;
	struct wd_soft_crypto_sgl src;
	struct wd_soft_crypto_sgl dst;
};

/* ---- binding tfms to instances ---------------------------------------- */

/* the instance with the fewest tfms, preferring the caller's node */
static struct wd_soft_dev *wd_soft_crypto_get(void)
{
	struct wd_soft_dev *wdev, *best = NULL;
	int node = numa_node_id();

	mutex_lock(&wd_soft_crypto_lock);
	list_for_each_entry(wdev, &wd_soft_crypto_devs, crypto_node) {
		bool near = wdev->cfg.node == NUMA_NO_NODE ||
			    wdev->cfg.node == node;
		bool best_near = best && (best->cfg.node == NUMA_NO_NODE ||
					  best->cfg.node == node);

		if (!best || (near && !best_near) ||
		    (near == best_near &&
		     wdev->crypto_tfms < best->crypto_tfms))
			best = wdev;
	}
	if (best)
		WRITE_ONCE(best->crypto_tfms, best->crypto_tfms + 1);
	mutex_unlock(&wd_soft_crypto_lock);
	return best;
}

static void wd_soft_crypto_put(struct wd_soft_dev *wdev)
{
	mutex_lock(&wd_soft_crypto_lock);
	WRITE_ONCE(wdev->crypto_tfms, wdev->crypto_tfms - 1);
	mutex_unlock(&wd_soft_crypto_lock);
	wake_up_all(&wd_soft_crypto_wq);
}

static int wd_soft_crypto_bind(struct wd_soft_crypto_tfm *ctx)
{
	ctx->wdev = wd_soft_crypto_get();
	ctx->key = ~0U;
	return ctx->wdev ? 0 : -ENODEV;
}

/* ---- requests ----------------------------------------------------------- */

static gfp_t wd_soft_crypto_gfp(u32 req_flags)
{
	return req_flags & CRYPTO_TFM_REQ_MAY_SLEEP ? GFP_KERNEL : GFP_ATOMIC;
}

/*
 * Describe the first @nbytes of @sg in @sqe's src or dst (kernel virtual
 * addresses: wd_soft has no highmem to map, see the BUILD_BUG_ON below).
 * Returns 0 or -errno (@sg shorter than @nbytes, too many entries, or no
 * memory for the list).
 */
static int wd_soft_crypto_sgl(struct wd_soft_crypto_sgl *sgl,
			      struct scatterlist *sg, unsigned int nbytes,
			      gfp_t gfp, u64 *addr, u32 *len)
{
	struct scatterlist *s;
	int n, i;

	BUILD_BUG_ON(IS_ENABLED(CONFIG_HIGHMEM));
	sgl->sge = NULL;
	n = sg_nents_for_len(sg, nbytes);
	if (n < 0)
		return n;
	if (n > WD_SOFT_CORE_MAX_SGE)
		return -EINVAL;
	sgl->sge = n <= WD_SOFT_CRYPTO_SGE ? sgl->inl :
		   kmalloc_array(n, sizeof(*sgl->sge), gfp);
	if (!sgl->sge)
		return -ENOMEM;
	for_each_sg(sg, s, n, i) {
		u32 l = min(s->length, nbytes);

		sgl->sge[i].addr = (u64)(uintptr_t)sg_virt(s);
		sgl->sge[i].len = l;
		sgl->sge[i].rsvd = 0;
		nbytes -= l;
	}
	*addr = (u64)(uintptr_t)sgl->sge;
	*len = n;
	return 0;
}

static void wd_soft_crypto_sgl_free(struct wd_soft_crypto_sgl *sgl)
{
	if (sgl->sge != sgl->inl)
		kfree(sgl->sge);
	sgl->sge = NULL;
}

/* a completion's status as the crypto API's error */
static int wd_soft_crypto_err(u32 status)
{
	switch (status) {
	case WD_SOFT_S_OK:
		return 0;
	case WD_SOFT_S_DST_SMALL:
		return -ENOSPC;
	case WD_SOFT_S_CORRUPT:
		/* as deflate-generic says it */
		return -EINVAL;
	case WD_SOFT_S_CANCELED:
		return -ENODEV;
	case WD_SOFT_S_BAD_ADDR:
		return -EFAULT;
	case WD_SOFT_S_INVAL:
	case WD_SOFT_S_BAD_OP:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/*
 * Count a completion: @done, the algorithm's counter, if the engines ran
 * it (not CANCELED); errors apart. Returns the crypto API's error.
 */
static int wd_soft_crypto_count(struct wd_soft_dev *wdev, atomic64_t *done,
				u32 status)
{
	int err = wd_soft_crypto_err(status);

	if (status != WD_SOFT_S_CANCELED)
		atomic64_inc(done);
	if (err)
		atomic64_inc(&wdev->crypto_stats.errors);
	return err;
}

static int wd_soft_crypto_submit(struct wd_soft_dev *wdev,
				 struct wd_soft_kreq *kr,
				 struct crypto_async_request *base,
				 wd_soft_kreq_done_t done)
{
	kr->done = done;
	kr->base = base;
	return wd_soft_kq_submit(wdev, kr, base->flags);
}

/* ---- ahash: sha256 and crc32c ------------------------------------------ */

static struct wd_soft_hash_req *wd_soft_hash_rctx(struct ahash_request *req)
{
	return ahash_request_ctx(req);
}

static struct wd_soft_sha256_state *wd_soft_sha_state(struct wd_soft_hash_req *r)
{
	return PTR_ALIGN((void *)r->room, WD_SOFT_STATE_ALIGN);
}

static struct wd_soft_crypto_tfm *wd_soft_hash_tfm(struct ahash_request *req)
{
	return crypto_ahash_ctx(crypto_ahash_reqtfm(req));
}

static bool wd_soft_is_sha256(struct ahash_request *req)
{
	return crypto_ahash_digestsize(crypto_ahash_reqtfm(req)) ==
	       SHA256_DIGEST_SIZE;
}

/* a CRC-32C's result: the complement of its register, little-endian */
static void wd_soft_crc_result(struct ahash_request *req)
{
	put_unaligned_le32(~wd_soft_hash_rctx(req)->crc, req->result);
}

/* where the request's state lives, and its size (the tfm's statesize) */
static void *wd_soft_hash_state(struct ahash_request *req, size_t *size)
{
	struct wd_soft_hash_req *r = wd_soft_hash_rctx(req);

	*size = crypto_ahash_statesize(crypto_ahash_reqtfm(req));
	return wd_soft_is_sha256(req) ? (void *)wd_soft_sha_state(r) : &r->crc;
}

static void wd_soft_hash_done(struct wd_soft_kreq *kr,
			      const struct wd_soft_cqe *cqe)
{
	struct ahash_request *req = container_of(kr->base, struct ahash_request,
						 base);
	struct wd_soft_hash_req *r = wd_soft_hash_rctx(req);
	struct wd_soft_dev *wdev = wd_soft_hash_tfm(req)->wdev;
	bool sha = kr->sqe.op == WD_SOFT_OP_SHA256;
	int err;

	wd_soft_crypto_sgl_free(&r->src);
	err = wd_soft_crypto_count(wdev, sha ? &wdev->crypto_stats.sha256 :
					       &wdev->crypto_stats.crc32c,
				   cqe->status);
	if (!err && !sha) {
		r->crc = le32_to_cpu(r->crc_out);
		if (r->final)
			wd_soft_crc_result(req);
	}
	ahash_request_complete(req, err);
}

/*
 * One request for @nbytes of req->src: a SHA-256 update or final (the
 * state in the request), or a CRC-32C update (the register as seed).
 */
static int wd_soft_hash_run(struct ahash_request *req, unsigned int nbytes,
			    bool final)
{
	struct wd_soft_hash_req *r = wd_soft_hash_rctx(req);
	struct wd_soft_sqe *sqe = &r->kr.sqe;
	int ret;

	memset(sqe, 0, sizeof(*sqe));
	r->final = final;
	r->src.sge = NULL;
	if (nbytes) {
		ret = wd_soft_crypto_sgl(&r->src, req->src, nbytes,
					 wd_soft_crypto_gfp(req->base.flags),
					 &sqe->src, &sqe->src_len);
		if (ret)
			return ret;
		sqe->flags = WD_SOFT_SQE_F_SRC_SGL;
	}
	if (wd_soft_is_sha256(req)) {
		sqe->op = WD_SOFT_OP_SHA256;
		sqe->flags |= WD_SOFT_SQE_F_STATE;
		sqe->state = (u64)(uintptr_t)wd_soft_sha_state(r);
		if (final) {
			sqe->sflags = WD_SOFT_SF_FINISH;
			sqe->dst = (u64)(uintptr_t)req->result;
			sqe->dst_len = SHA256_DIGEST_SIZE;
		}
	} else {
		sqe->op = WD_SOFT_OP_CRC32C;
		sqe->params = r->crc;
		sqe->dst = (u64)(uintptr_t)&r->crc_out;
		sqe->dst_len = sizeof(r->crc_out);
	}
	ret = wd_soft_crypto_submit(wd_soft_hash_tfm(req)->wdev, &r->kr,
				    &req->base, wd_soft_hash_done);
	if (ret != -EINPROGRESS && ret != -EBUSY)
		wd_soft_crypto_sgl_free(&r->src);
	return ret;
}

static int wd_soft_hash_init(struct ahash_request *req)
{
	struct wd_soft_hash_req *r = wd_soft_hash_rctx(req);
	struct wd_soft_sha256_state *st = wd_soft_sha_state(r);

	if (wd_soft_is_sha256(req)) {
		/*
		 * FIPS 180-4's H(0), by the kernel's own helper: the layouts
		 * are one (algs.c checks it); the whole state is set, so an
		 * export is defined
		 */
		memset(st, 0, sizeof(*st));
		sha256_init((struct sha256_state *)st);
	} else {
		r->crc = wd_soft_hash_tfm(req)->key;
	}
	return 0;
}

static int wd_soft_hash_update(struct ahash_request *req)
{
	/* nothing to add: done without the device */
	if (!req->nbytes)
		return 0;
	return wd_soft_hash_run(req, req->nbytes, false);
}

/* the last @nbytes of req->src, then the result */
static int wd_soft_hash_end(struct ahash_request *req, unsigned int nbytes)
{
	/* a CRC's final is its complement: only an update needs the device */
	if (!wd_soft_is_sha256(req) && !nbytes) {
		wd_soft_crc_result(req);
		return 0;
	}
	return wd_soft_hash_run(req, nbytes, true);
}

static int wd_soft_hash_finup(struct ahash_request *req)
{
	return wd_soft_hash_end(req, req->nbytes);
}

static int wd_soft_hash_final(struct ahash_request *req)
{
	return wd_soft_hash_end(req, 0);
}

static int wd_soft_hash_digest(struct ahash_request *req)
{
	return wd_soft_hash_init(req) ?: wd_soft_hash_finup(req);
}

static int wd_soft_hash_export(struct ahash_request *req, void *out)
{
	size_t size;
	void *st = wd_soft_hash_state(req, &size);

	memcpy(out, st, size);
	return 0;
}

static int wd_soft_hash_import(struct ahash_request *req, const void *in)
{
	size_t size;
	void *st = wd_soft_hash_state(req, &size);

	memcpy(st, in, size);
	return 0;
}

/* crc32c's key is its seed, little-endian, as crc32c-generic takes it */
static int wd_soft_crc32c_setkey(struct crypto_ahash *tfm, const u8 *key,
				 unsigned int keylen)
{
	struct wd_soft_crypto_tfm *ctx = crypto_ahash_ctx(tfm);

	if (keylen != sizeof(u32))
		return -EINVAL;
	ctx->key = get_unaligned_le32(key);
	return 0;
}

static int wd_soft_hash_init_tfm(struct crypto_ahash *tfm)
{
	crypto_ahash_set_reqsize(tfm, sizeof(struct wd_soft_hash_req));
	return wd_soft_crypto_bind(crypto_ahash_ctx(tfm));
}

static void wd_soft_hash_exit_tfm(struct crypto_ahash *tfm)
{
	struct wd_soft_crypto_tfm *ctx = crypto_ahash_ctx(tfm);

	wd_soft_crypto_put(ctx->wdev);
}

#define WD_SOFT_CRA_FLAGS	(CRYPTO_ALG_ASYNC | CRYPTO_ALG_KERN_DRIVER_ONLY | \
				 CRYPTO_ALG_ALLOCATES_MEMORY)

/* both hashes: the request says which (its digest size) */
#define WD_SOFT_AHASH_OPS				\
	.init		= wd_soft_hash_init,		\
	.update		= wd_soft_hash_update,		\
	.final		= wd_soft_hash_final,		\
	.finup		= wd_soft_hash_finup,		\
	.digest		= wd_soft_hash_digest,		\
	.export		= wd_soft_hash_export,		\
	.import		= wd_soft_hash_import,		\
	.init_tfm	= wd_soft_hash_init_tfm,	\
	.exit_tfm	= wd_soft_hash_exit_tfm

static struct ahash_alg wd_soft_ahash_algs[] = {
	{
		WD_SOFT_AHASH_OPS,
		.halg = {
			.digestsize	= SHA256_DIGEST_SIZE,
			.statesize	= sizeof(struct wd_soft_sha256_state),
			.base = {
				.cra_name	 = "sha256",
				.cra_driver_name = "sha256-wd_soft",
				.cra_flags	 = WD_SOFT_CRA_FLAGS,
				.cra_blocksize	 = SHA256_BLOCK_SIZE,
				.cra_ctxsize	 = sizeof(struct wd_soft_crypto_tfm),
				.cra_module	 = THIS_MODULE,
			},
		},
	},
	{
		WD_SOFT_AHASH_OPS,
		.setkey		= wd_soft_crc32c_setkey,
		.halg = {
			.digestsize	= sizeof(u32),
			.statesize	= sizeof(u32),
			.base = {
				.cra_name	 = "crc32c",
				.cra_driver_name = "crc32c-wd_soft",
				.cra_flags	 = WD_SOFT_CRA_FLAGS |
						   CRYPTO_ALG_OPTIONAL_KEY,
				.cra_blocksize	 = 1,
				.cra_ctxsize	 = sizeof(struct wd_soft_crypto_tfm),
				.cra_module	 = THIS_MODULE,
			},
		},
	},
};

/* ---- acomp: deflate ------------------------------------------------------ */

static struct wd_soft_crypto_tfm *wd_soft_comp_tfm(struct acomp_req *req)
{
	return acomp_tfm_ctx(crypto_acomp_reqtfm(req));
}

/* a failed request gives back the output it had us allocate */
static void wd_soft_comp_drop_dst(struct acomp_req *req)
{
	if (req->flags & CRYPTO_ACOMP_ALLOC_OUTPUT) {
		sgl_free(req->dst);
		req->dst = NULL;
	}
}

static void wd_soft_comp_done(struct wd_soft_kreq *kr,
			      const struct wd_soft_cqe *cqe)
{
	struct acomp_req *req = container_of(kr->base, struct acomp_req, base);
	struct wd_soft_comp_req *r = acomp_request_ctx(req);
	struct wd_soft_dev *wdev = wd_soft_comp_tfm(req)->wdev;
	int err;

	wd_soft_crypto_sgl_free(&r->src);
	wd_soft_crypto_sgl_free(&r->dst);
	err = wd_soft_crypto_count(wdev, kr->sqe.op == WD_SOFT_OP_DEFLATE ?
					 &wdev->crypto_stats.compress :
					 &wdev->crypto_stats.decompress,
				   cqe->status);
	if (err)
		wd_soft_comp_drop_dst(req);
	else
		req->dlen = cqe->out_len;
	acomp_request_complete(req, err);
}

static int wd_soft_comp_run(struct acomp_req *req, u16 op)
{
	struct wd_soft_comp_req *r = acomp_request_ctx(req);
	struct wd_soft_sqe *sqe = &r->kr.sqe;
	gfp_t gfp = wd_soft_crypto_gfp(req->base.flags);
	int ret;

	if (!req->src || (req->dst && !req->dlen))
		return -EINVAL;
	/* CRYPTO_ACOMP_ALLOC_OUTPUT: room of our own, dst_free() frees it */
	if (!req->dst) {
		if (!req->dlen || req->dlen > WD_SOFT_CRYPTO_DST_MAX)
			req->dlen = WD_SOFT_CRYPTO_DST_MAX;
		req->dst = sgl_alloc(req->dlen, gfp, NULL);
		if (!req->dst)
			return -ENOMEM;
		req->flags |= CRYPTO_ACOMP_ALLOC_OUTPUT;
	}
	memset(sqe, 0, sizeof(*sqe));
	sqe->op = op;
	r->src.sge = NULL;
	r->dst.sge = NULL;
	if (req->slen) {
		ret = wd_soft_crypto_sgl(&r->src, req->src, req->slen, gfp,
					 &sqe->src, &sqe->src_len);
		if (ret)
			goto err;
		sqe->flags |= WD_SOFT_SQE_F_SRC_SGL;
	}
	ret = wd_soft_crypto_sgl(&r->dst, req->dst, req->dlen, gfp,
				 &sqe->dst, &sqe->dst_len);
	if (ret)
		goto err;
	sqe->flags |= WD_SOFT_SQE_F_DST_SGL;
	ret = wd_soft_crypto_submit(wd_soft_comp_tfm(req)->wdev, &r->kr,
				    &req->base, wd_soft_comp_done);
	if (ret == -EINPROGRESS || ret == -EBUSY)
		return ret;
err:
	wd_soft_crypto_sgl_free(&r->src);
	wd_soft_crypto_sgl_free(&r->dst);
	wd_soft_comp_drop_dst(req);
	return ret;
}

/* acomp_request_free() of a request whose output we allocated */
static void wd_soft_dst_free(struct scatterlist *dst)
{
	if (dst)
		sgl_free(dst);
}

static int wd_soft_compress(struct acomp_req *req)
{
	return wd_soft_comp_run(req, WD_SOFT_OP_DEFLATE);
}

static int wd_soft_decompress(struct acomp_req *req)
{
	return wd_soft_comp_run(req, WD_SOFT_OP_INFLATE);
}

static int wd_soft_comp_init(struct crypto_acomp *tfm)
{
	return wd_soft_crypto_bind(acomp_tfm_ctx(tfm));
}

static void wd_soft_comp_exit(struct crypto_acomp *tfm)
{
	struct wd_soft_crypto_tfm *ctx = acomp_tfm_ctx(tfm);

	wd_soft_crypto_put(ctx->wdev);
}

static struct acomp_alg wd_soft_acomp_alg = {
	.compress	= wd_soft_compress,
	.decompress	= wd_soft_decompress,
	.dst_free	= wd_soft_dst_free,
	.init		= wd_soft_comp_init,
	.exit		= wd_soft_comp_exit,
	.reqsize	= sizeof(struct wd_soft_comp_req),
	.base = {
		.cra_name	 = "deflate",
		.cra_driver_name = "deflate-wd_soft",
		.cra_flags	 = WD_SOFT_CRA_FLAGS,
		.cra_ctxsize	 = sizeof(struct wd_soft_crypto_tfm),
		.cra_module	 = THIS_MODULE,
	},
};

/* ---- registration --------------------------------------------------------- */

/*
 * Register what is not registered yet. A group that fails stays
 * unregistered (tried again with the next instance); the other is kept,
 * as a tfm of it may exist already.
 */
static int wd_soft_crypto_register(void)
{
	unsigned int i;
	int ret = 0;

	if (!(wd_soft_crypto_registered & WD_SOFT_CRYPTO_AHASH)) {
		for (i = 0; i < ARRAY_SIZE(wd_soft_ahash_algs); i++)
			wd_soft_ahash_algs[i].halg.base.cra_priority =
				wd_soft_crypto_priority;
		ret = crypto_register_ahashes(wd_soft_ahash_algs,
					      ARRAY_SIZE(wd_soft_ahash_algs));
		if (!ret)
			wd_soft_crypto_registered |= WD_SOFT_CRYPTO_AHASH;
	}
	if (!(wd_soft_crypto_registered & WD_SOFT_CRYPTO_ACOMP)) {
		wd_soft_acomp_alg.base.cra_priority = wd_soft_crypto_priority;
		i = crypto_register_acomp(&wd_soft_acomp_alg);
		if (!i)
			wd_soft_crypto_registered |= WD_SOFT_CRYPTO_ACOMP;
		ret = ret ?: i;
	}
	if (ret)
		pr_err("wd_soft: cannot register with the crypto API: %d\n",
		       ret);
	return ret;
}

/* No instance serves the crypto API and no tfm of ours exists. */
static void wd_soft_crypto_unregister(void)
{
	if (wd_soft_crypto_registered & WD_SOFT_CRYPTO_ACOMP)
		crypto_unregister_acomp(&wd_soft_acomp_alg);
	if (wd_soft_crypto_registered & WD_SOFT_CRYPTO_AHASH)
		crypto_unregister_ahashes(wd_soft_ahash_algs,
					  ARRAY_SIZE(wd_soft_ahash_algs));
	wd_soft_crypto_registered = 0;
}

/**
 * wd_soft_crypto_add() - an instance starts serving the crypto API
 * @wdev: the instance, its kernel queues running
 *
 * After module load, the first such instance registers the algorithms
 * (testmgr tests them then, on it). Under wd_soft_devs_lock. A failed
 * registration is reported and leaves the instance serving nothing until
 * it succeeds with a later instance.
 */
void wd_soft_crypto_add(struct wd_soft_dev *wdev)
{
	mutex_lock(&wd_soft_crypto_lock);
	list_add_tail(&wdev->crypto_node, &wd_soft_crypto_devs);
	mutex_unlock(&wd_soft_crypto_lock);
	if (wd_soft_crypto_started)
		wd_soft_crypto_register();
}

/**
 * wd_soft_crypto_start() - module load: the instances are all there
 *
 * Registers the algorithms if an instance serves the crypto API. Last in
 * module load: until then no tfm can bind to an instance that a failed
 * load would remove. Under wd_soft_devs_lock (bus.c): an instance that
 * new_device made meanwhile is on the list already.
 */
void wd_soft_crypto_start(void)
{
	wd_soft_crypto_started = true;
	if (!list_empty(&wd_soft_crypto_devs))
		wd_soft_crypto_register();
}

/**
 * wd_soft_crypto_del() - an instance stops serving the crypto API
 * @wdev: the instance
 *
 * Waits up to WD_SOFT_CRYPTO_DEL_WAIT for its tfms to be freed; the last
 * instance to go unregisters the algorithms. Under wd_soft_devs_lock; an
 * instance not on the list (uacce_mode 2) is fine.
 *
 * Return: 0, or -EBUSY (tfms still bound: the instance stays whole).
 */
int wd_soft_crypto_del(struct wd_soft_dev *wdev)
{
	bool last;

	if (list_empty(&wdev->crypto_node))
		return 0;
	wait_event_timeout(wd_soft_crypto_wq, !READ_ONCE(wdev->crypto_tfms),
			   WD_SOFT_CRYPTO_DEL_WAIT);
	mutex_lock(&wd_soft_crypto_lock);
	if (wdev->crypto_tfms) {
		mutex_unlock(&wd_soft_crypto_lock);
		return -EBUSY;
	}
	list_del_init(&wdev->crypto_node);
	last = list_empty(&wd_soft_crypto_devs);
	mutex_unlock(&wd_soft_crypto_lock);
	/*
	 * Every tfm is bound to an instance and none is left: only a lookup
	 * racing with us (it finds no instance and fails) can still hold
	 * the algorithm, which the crypto API reports with a warning.
	 */
	if (last)
		wd_soft_crypto_unregister();
	return 0;
}
