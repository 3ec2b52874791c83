/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * sha256-user.h: a SHA-256 digest that can be imported and exported as
 * struct wd_soft_sha256_state (WD_SOFT_SQE_F_STATE), for every user-space
 * host (lib/soft, engine/selftest.c, tests/fuzz/fz_core.c), over OpenSSL's
 * low-level SHA256_CTX. The kernel host uses the crypto API's
 * import/export (kernel/wd_soft/algs.c). Header-only, as zlib-user.h.
 *
 * Why the low-level interface: EVP has no way to set a digest's state
 * (EVP_MD_CTX is opaque and its providers export nothing), and
 * SHA256_CTX is OpenSSL's public structure for exactly that state: h,
 * the bit count in Nh:Nl, the partial block in data[] (as bytes, in the
 * order added) and its length num. Deprecated since OpenSSL 3.0 but still
 * built by default (Debian's included); a build without it fails here
 * at compile time. The hosts keep EVP for the digests that start from
 * H(0) and use this for the requests that carry a state.
 *
 * The protocol counts bytes in 64 bits, OpenSSL bits in 64 bits: the byte
 * count is kept beside the context so that an imported count of 2^61 or
 * more comes back unchanged, as the kernel's (which counts bytes) gives it.
 */
#ifndef _WD_SOFT_SHA256_USER_H
#define _WD_SOFT_SHA256_USER_H

#ifndef OPENSSL_SUPPRESS_DEPRECATED
#error "define OPENSSL_SUPPRESS_DEPRECATED before any OpenSSL header (SHA256_CTX)"
#endif

#include <errno.h>
#include <string.h>
#include <openssl/sha.h>

#include "wd_soft_core.h"

_Static_assert(sizeof(((SHA256_CTX *)0)->data) ==
	       sizeof(((struct wd_soft_sha256_state *)0)->buf),
	       "SHA256_CTX's block buffer");
_Static_assert(sizeof(((SHA256_CTX *)0)->h) ==
	       sizeof(((struct wd_soft_sha256_state *)0)->h),
	       "SHA256_CTX's hash value");

/**
 * struct wd_soft_sha256_user - a digest with a state from memory
 * @c: OpenSSL's state
 * @count: bytes added, the protocol's 64-bit count
 */
struct wd_soft_sha256_user {
	SHA256_CTX c;
	u64 count;
};

/**
 * wd_soft_sha256_user_import() - continue the digest of @st
 * @u: the digest, replaced
 * @st: the state; any value (a wrong one gives a wrong digest)
 *
 * Return: 0.
 */
static inline int wd_soft_sha256_user_import(struct wd_soft_sha256_user *u,
					     const struct wd_soft_sha256_state *st)
{
	u64 bits = st->count << 3;
	unsigned int i;

	memset(&u->c, 0, sizeof(u->c));
	for (i = 0; i < 8; i++)
		u->c.h[i] = st->h[i];
	u->c.Nl = (SHA_LONG)bits;
	u->c.Nh = (SHA_LONG)(bits >> 32);
	u->c.num = (unsigned int)(st->count % sizeof(st->buf));
	memcpy(u->c.data, st->buf, u->c.num);
	u->c.md_len = SHA256_DIGEST_LENGTH;
	u->count = st->count;
	return 0;
}

/**
 * wd_soft_sha256_user_update() - add data
 * @u: the digest, imported
 * @data: the data
 * @len: its length
 *
 * Return: 0, or -EIO.
 */
static inline int wd_soft_sha256_user_update(struct wd_soft_sha256_user *u,
					     const void *data, u32 len)
{
	u->count += len;
	return SHA256_Update(&u->c, data, len) == 1 ? 0 : -EIO;
}

/**
 * wd_soft_sha256_user_final() - the digest
 * @u: the digest, imported; import again before the next update
 * @digest: WD_SOFT_CORE_SHA256_SIZE bytes, big-endian
 *
 * Return: 0, or -EIO.
 */
static inline int wd_soft_sha256_user_final(struct wd_soft_sha256_user *u,
					    u8 *digest)
{
	return SHA256_Final(digest, &u->c) == 1 ? 0 : -EIO;
}

/**
 * wd_soft_sha256_user_export() - the state of the digest in progress
 * @u: the digest, imported
 * @st: filled in, every byte (the block buffer's bytes after the partial
 *	block are what the context has there, never other memory)
 *
 * Return: 0.
 */
static inline int wd_soft_sha256_user_export(const struct wd_soft_sha256_user *u,
					     struct wd_soft_sha256_state *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < 8; i++)
		st->h[i] = u->c.h[i];
	st->count = u->count;
	memcpy(st->buf, u->c.data, sizeof(st->buf));
	return 0;
}

#endif /* _WD_SOFT_SHA256_USER_H */
