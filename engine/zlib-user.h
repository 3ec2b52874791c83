/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * zlib-user.h: the wd_soft_host_z*() backend over user space's zlib, one
 * copy for every user-space host (lib/soft, engine/selftest.c,
 * tests/fuzz/fz_core.c). The kernel host has its own, over the kernel's
 * zlib (kernel/wd_soft/algs.c). Header-only: a host embeds struct
 * wd_soft_zlib in its engine and calls these from its wd_soft_host_z*().
 */
#ifndef _WD_SOFT_ZLIB_USER_H
#define _WD_SOFT_ZLIB_USER_H

#include <string.h>
#include <zlib.h>

#include "wd_soft_core.h"

/* the core reads zlib's return codes by number (enum wd_soft_zret) */
_Static_assert(Z_OK == WD_SOFT_Z_OK && Z_STREAM_END == WD_SOFT_Z_STREAM_END &&
	       Z_NEED_DICT == WD_SOFT_Z_NEED_DICT &&
	       Z_DATA_ERROR == WD_SOFT_Z_DATA_ERROR &&
	       Z_BUF_ERROR == WD_SOFT_Z_BUF_ERROR, "zlib's return codes");

/**
 * struct wd_soft_zlib - one engine's stream
 * @s: zlib's stream
 * @dir: what @s was initialised for
 */
struct wd_soft_zlib {
	z_stream s;
	enum wd_soft_zdir dir;
};

/**
 * wd_soft_zlib_init() - wd_soft_host_zinit() over zlib
 * @z: the engine's stream
 * @dir: deflate or inflate
 * @level: deflate's level
 * @zalloc: zlib's allocator, or NULL for malloc()
 * @zfree: its release, or NULL
 * @opaque: passed to them
 *
 * Return: 0, or -EIO (no wd_soft_zlib_end() then).
 */
static inline int wd_soft_zlib_init(struct wd_soft_zlib *z, enum wd_soft_zdir dir,
				    int level,
				    alloc_func zalloc, free_func zfree,
				    void *opaque)
{
	int wbits = -MAX_WBITS;	/* raw: the core frames zlib and gzip */
	int ret;

	memset(&z->s, 0, sizeof(z->s));
	z->s.zalloc = zalloc;
	z->s.zfree = zfree;
	z->s.opaque = opaque;
	z->dir = dir;
	if (dir == WD_SOFT_ZDEFLATE)
		ret = deflateInit2(&z->s, level, Z_DEFLATED, wbits, 8,
				   Z_DEFAULT_STRATEGY);
	else
		ret = inflateInit2(&z->s, wbits);
	return ret == Z_OK ? 0 : -EIO;
}

/* the core passes zlib's flush values by number (enum wd_soft_zflush) */
_Static_assert(Z_NO_FLUSH == WD_SOFT_Z_NO_FLUSH &&
	       Z_SYNC_FLUSH == WD_SOFT_Z_SYNC_FLUSH &&
	       Z_FULL_FLUSH == WD_SOFT_Z_FULL_FLUSH &&
	       Z_FINISH == WD_SOFT_Z_FINISH, "zlib's flush values");

/** wd_soft_zlib_run() - wd_soft_host_zrun() over zlib; same contract */
static inline int wd_soft_zlib_run(struct wd_soft_zlib *z,
				   struct wd_soft_zstream *zs,
				   enum wd_soft_zflush flush)
{
	z_stream *s = &z->s;
	int ret;

	s->next_in = (Bytef *)zs->next_in;
	s->avail_in = zs->avail_in;
	s->next_out = zs->next_out;
	s->avail_out = zs->avail_out;
	if (z->dir == WD_SOFT_ZDEFLATE)
		ret = deflate(s, (int)flush);
	else
		ret = inflate(s, Z_NO_FLUSH);
	zs->next_in = s->next_in;
	zs->avail_in = s->avail_in;
	zs->next_out = s->next_out;
	zs->avail_out = s->avail_out;
	return wd_soft_core_zret(ret);
}

/** wd_soft_zlib_reset() - wd_soft_host_zreset() over zlib */
static inline int wd_soft_zlib_reset(struct wd_soft_zlib *z)
{
	int ret = z->dir == WD_SOFT_ZDEFLATE ? deflateReset(&z->s) :
					       inflateReset(&z->s);

	return ret == Z_OK ? 0 : -EIO;
}

/** wd_soft_zlib_end() - wd_soft_host_zend() over zlib */
static inline void wd_soft_zlib_end(struct wd_soft_zlib *z)
{
	if (z->dir == WD_SOFT_ZDEFLATE)
		deflateEnd(&z->s);
	else
		inflateEnd(&z->s);
}

#endif /* _WD_SOFT_ZLIB_USER_H */
