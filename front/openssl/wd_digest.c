// SPDX-License-Identifier: MIT
/*
 * wd_digest.c: SHA-256 of the provider "wd". The context is one struct
 * wd_sha256_state (libwd 1.3: the state the caller keeps), so:
 *  - the device gets requests of at least the threshold, which read and
 *    write that state (wd_queue.c): an update that big goes as it is;
 *    smaller ones are gathered in the context's buffer until it holds a
 *    threshold's worth (callers such as openssl dgst update 8 KiB at a
 *    time); what is left in the buffer at the final, and the final, run
 *    here on the same state through OpenSSL's SHA256_CTX
 *    (engine/sha256-user.h: import, update, export);
 *  - a device lost mid-digest leaves the state at the last request that
 *    completed OK: software continues from there (WD_OSSL_FALLBACK
 *    software), or the update fails and so does the digest (fail): never
 *    a wrong digest;
 *  - duplicating a context is copying it, whatever ran before.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/params.h>

#include "wd_ossl.h"
/* SHA256_CTX <-> struct wd_soft_sha256_state: one copy of that logic */
#include "sha256-user.h"

_Static_assert(sizeof(struct wd_sha256_state) ==
	       sizeof(struct wd_soft_sha256_state),
	       "libwd's state is the protocol's");

#define WD_SHA256_BLOCK		64

/**
 * struct wd_ossl_sha - a SHA-256 digest context
 * @st: the digest's state, the only one (device and software share it)
 * @prov: the provider context it was made by
 * @buf: input gathered for the device, not yet in @st (grown on demand,
 *	never beyond the threshold)
 * @len: bytes in @buf
 * @cap: @buf's size
 * @failed: an update failed (WD_OSSL_FALLBACK=fail): no result until the
 *	next init
 */
struct wd_ossl_sha {
	_Alignas(WD_SHA256_STATE_ALIGN) struct wd_sha256_state st;
	const struct wd_ossl_prov *prov;
	uint8_t *buf;
	size_t len;
	size_t cap;
	bool failed;
};

static struct wd_ossl_sha *wd_ossl_sha_alloc(void)
{
	/* aligned_alloc: the size a multiple of the alignment */
	size_t sz = (sizeof(struct wd_ossl_sha) + WD_SHA256_STATE_ALIGN - 1) &
		    ~(size_t)(WD_SHA256_STATE_ALIGN - 1);
	struct wd_ossl_sha *c = aligned_alloc(WD_SHA256_STATE_ALIGN, sz);

	if (c)
		memset(c, 0, sizeof(*c));
	return c;
}

static void *wd_ossl_sha_newctx(void *provctx)
{
	struct wd_ossl_sha *c = wd_ossl_sha_alloc();

	if (!c)
		return NULL;
	c->prov = provctx;
	wd_sha256_state_init(&c->st);
	return c;
}

static void wd_ossl_sha_freectx(void *vc)
{
	struct wd_ossl_sha *c = vc;

	if (c)
		free(c->buf);
	free(c);
}

static void *wd_ossl_sha_dupctx(void *vc)
{
	const struct wd_ossl_sha *o = vc;
	struct wd_ossl_sha *c = wd_ossl_sha_alloc();

	if (!c)
		return NULL;
	memcpy(c, o, sizeof(*c));
	c->buf = NULL;
	c->cap = 0;
	if (o->len) {
		c->buf = malloc(o->len);
		if (!c->buf) {
			free(c);
			return NULL;
		}
		c->cap = o->len;
		memcpy(c->buf, o->buf, o->len);
	}
	return c;
}

static int wd_ossl_sha_init(void *vc, const OSSL_PARAM params[])
{
	struct wd_ossl_sha *c = vc;

	(void)params;		/* SHA-256 has no settable parameters */
	wd_sha256_state_init(&c->st);
	c->len = 0;
	c->failed = false;
	return 1;
}

/* @st into @u, and back: the same layout, another type (copied, not
 * cast: no aliasing of one struct type through another) */
static void wd_ossl_sha_import(struct wd_soft_sha256_user *u,
			       const struct wd_sha256_state *st)
{
	struct wd_soft_sha256_state s;

	memcpy(&s, st, sizeof(s));
	wd_soft_sha256_user_import(u, &s);
}

static void wd_ossl_sha_export(const struct wd_soft_sha256_user *u,
			       struct wd_sha256_state *st)
{
	struct wd_soft_sha256_state s;

	wd_soft_sha256_user_export(u, &s);
	memcpy(st, &s, sizeof(s));
}

/* add @len bytes to @c's state here: 1, or 0 (OpenSSL failed) */
static int wd_ossl_sha_soft(struct wd_ossl_sha *c, const uint8_t *in,
			    size_t len)
{
	struct wd_soft_sha256_user u;
	size_t at = 0;

	wd_ossl_sha_import(&u, &c->st);
	while (at < len) {
		/* the helper takes 32-bit lengths */
		u32 n = len - at > (1u << 30) ? 1u << 30 : (u32)(len - at);

		if (wd_soft_sha256_user_update(&u, in + at, n))
			return 0;
		at += n;
	}
	wd_ossl_sha_export(&u, &c->st);
	WD_OSSL_COUNT(software_reqs, 1);
	WD_OSSL_COUNT(software_bytes, len);
	return 1;
}

/*
 * @len bytes at @in into @c's state on the device: 1, or (the device
 * failed) on with software for what it did not take, or 0 (WD_OSSL_FALLBACK
 * fail: the digest fails).
 */
static int wd_ossl_sha_dev(struct wd_ossl_sha *c, const uint8_t *in,
			   size_t len)
{
	const struct wd_ossl_prov *p = c->prov;
	size_t done = 0;
	int ret;

	ret = wd_ossl_dev_update(&c->st, in, len, &done);
	if (!ret)
		return 1;
	/* the state holds exactly the first @done bytes */
	if (p->fallback == WD_OSSL_FB_FAIL) {
		c->failed = true;
		wd_ossl_err(p, WD_OSSL_R_DEVICE,
			    "device: %s after %zu of %zu bytes",
			    strerror(-ret), done, len);
		return 0;
	}
	WD_OSSL_COUNT(fallbacks, 1);
	return wd_ossl_sha_soft(c, in + done, len - done);
}

/* room in @c's buffer for @want more bytes (at most the threshold in all):
 * 1, or 0 (no memory) */
static int wd_ossl_sha_room(struct wd_ossl_sha *c, size_t want)
{
	size_t cap = c->cap ? c->cap : 4096;
	uint8_t *b;

	if (c->len + want <= c->cap)
		return 1;
	while (cap < c->len + want)
		cap *= 2;
	if (cap > c->prov->threshold)
		cap = c->prov->threshold;
	b = realloc(c->buf, cap);
	if (!b)
		return 0;
	c->buf = b;
	c->cap = cap;
	return 1;
}

static int wd_ossl_sha_update(void *vc, const unsigned char *in, size_t inl)
{
	struct wd_ossl_sha *c = vc;
	const struct wd_ossl_prov *p = c->prov;
	size_t thr = p->threshold, take;

	if (c->failed) {
		wd_ossl_err(p, WD_OSSL_R_FAILED, "an earlier update failed");
		return 0;
	}
	if (!inl)
		return 1;
	if (c->len) {
		/* top the gathered input up to the threshold, send it */
		take = thr - c->len < inl ? thr - c->len : inl;
		if (!wd_ossl_sha_room(c, take)) {
			wd_ossl_err(p, WD_OSSL_R_NOMEM, "%zu bytes to gather",
				    c->len + take);
			return 0;
		}
		memcpy(c->buf + c->len, in, take);
		c->len += take;
		in += take;
		inl -= take;
		if (c->len < thr)
			return 1;
		c->len = 0;
		if (!wd_ossl_sha_dev(c, c->buf, thr))
			return 0;
	}
	if (!inl)
		return 1;
	if (inl >= thr)
		return wd_ossl_sha_dev(c, in, inl);
	/* thr > inl > 0 here, so thr is not 0 */
	if (!wd_ossl_sha_room(c, inl)) {
		wd_ossl_err(p, WD_OSSL_R_NOMEM, "%zu bytes to gather", inl);
		return 0;
	}
	memcpy(c->buf, in, inl);
	c->len = inl;
	return 1;
}

static int wd_ossl_sha_final(void *vc, unsigned char *out, size_t *outl,
			     size_t outsz)
{
	struct wd_ossl_sha *c = vc;
	struct wd_soft_sha256_user u;

	if (c->failed) {
		wd_ossl_err(c->prov, WD_OSSL_R_FAILED,
			    "an earlier update failed");
		return 0;
	}
	if (outsz < WD_SHA256_SIZE) {
		wd_ossl_err(c->prov, WD_OSSL_R_BAD_ARG,
			    "%zu bytes of room for a %d-byte digest", outsz,
			    WD_SHA256_SIZE);
		return 0;
	}
	/* what was gathered is less than a request's worth, and the final
	 * is at most a block and the padding: software */
	if (c->len) {
		size_t n = c->len;

		c->len = 0;
		if (!wd_ossl_sha_soft(c, c->buf, n))
			return 0;
	}
	wd_ossl_sha_import(&u, &c->st);
	if (wd_soft_sha256_user_final(&u, out))
		return 0;
	*outl = WD_SHA256_SIZE;
	return 1;
}

static const OSSL_PARAM wd_ossl_sha_params[] = {
	OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_BLOCK_SIZE, NULL),
	OSSL_PARAM_size_t(OSSL_DIGEST_PARAM_SIZE, NULL),
	OSSL_PARAM_int(OSSL_DIGEST_PARAM_XOF, NULL),
	OSSL_PARAM_int(OSSL_DIGEST_PARAM_ALGID_ABSENT, NULL),
	OSSL_PARAM_END
};

static const OSSL_PARAM *wd_ossl_sha_gettable_params(void *provctx)
{
	(void)provctx;
	return wd_ossl_sha_params;
}

static int wd_ossl_sha_get_params(OSSL_PARAM params[])
{
	OSSL_PARAM *p;

	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_BLOCK_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, WD_SHA256_BLOCK))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_SIZE);
	if (p && !OSSL_PARAM_set_size_t(p, WD_SHA256_SIZE))
		return 0;
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_XOF);
	if (p && !OSSL_PARAM_set_int(p, 0))
		return 0;
	/* as OpenSSL's own SHA-2: no parameters in AlgorithmIdentifier */
	p = OSSL_PARAM_locate(params, OSSL_DIGEST_PARAM_ALGID_ABSENT);
	if (p && !OSSL_PARAM_set_int(p, 1))
		return 0;
	return 1;
}

#define WD_FN(id, f) { OSSL_FUNC_DIGEST_##id, (void (*)(void))(f) }
const OSSL_DISPATCH wd_ossl_sha256_functions[] = {
	WD_FN(NEWCTX, wd_ossl_sha_newctx),
	WD_FN(INIT, wd_ossl_sha_init),
	WD_FN(UPDATE, wd_ossl_sha_update),
	WD_FN(FINAL, wd_ossl_sha_final),
	WD_FN(FREECTX, wd_ossl_sha_freectx),
	WD_FN(DUPCTX, wd_ossl_sha_dupctx),
	WD_FN(GET_PARAMS, wd_ossl_sha_get_params),
	WD_FN(GETTABLE_PARAMS, wd_ossl_sha_gettable_params),
	{ 0, NULL }
};
