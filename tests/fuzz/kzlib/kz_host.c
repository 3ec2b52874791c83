// SPDX-License-Identifier: GPL-2.0
/*
 * kz_host.c: the zlib part of the engine core's host done with the
 * kernel's own zlib (lib/zlib_inflate, lib/zlib_deflate of linux-source-6.1,
 * compiled in user space), exactly as kernel/wd_soft/algs.c drives it, for
 * fz_kcore: one stream per backend state, each with a workspace of the
 * size algs.c gives its kind (so ASan sees an overrun of it). A translation
 * unit of its own: the kernel's <linux/zlib.h> and user space's <zlib.h>
 * cannot meet.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <linux/zlib.h>

#include "kz_host.h"

struct kz_stream {
	struct z_stream_s zs;
	enum kz_kind kind;
	bool deflate;
};

struct kz_stream *kz_new(enum kz_kind kind, unsigned long *bytes)
{
	struct kz_stream *k = calloc(1, sizeof(*k));
	size_t ws;

	if (!k)
		return NULL;
	k->kind = kind;
	if (kind == KZ_DEFLATE) {
		ws = zlib_deflate_workspacesize(MAX_WBITS, DEF_MEM_LEVEL);
	} else if (kind == KZ_INFLATE) {
		ws = zlib_inflate_workspacesize();
	} else {
		ws = zlib_deflate_workspacesize(MAX_WBITS, MAX_MEM_LEVEL);
		if (ws < (size_t)zlib_inflate_workspacesize())
			ws = zlib_inflate_workspacesize();
	}
	k->zs.workspace = calloc(1, ws);
	if (!k->zs.workspace) {
		free(k);
		return NULL;
	}
	*bytes = sizeof(*k) + ws;
	return k;
}

void kz_free(struct kz_stream *k)
{
	if (!k)
		return;
	free(k->zs.workspace);
	free(k);
}

int kz_init(struct kz_stream *k, bool deflate, int level)
{
	int wbits = -MAX_WBITS, ret;	/* raw: the core frames */

	if ((k->kind == KZ_DEFLATE && !deflate) ||
	    (k->kind == KZ_INFLATE && deflate))
		return KZ_EINVAL;
	k->deflate = deflate;
	k->zs.next_in = NULL;
	k->zs.avail_in = 0;
	if (deflate)
		ret = zlib_deflateInit2(&k->zs, level, Z_DEFLATED, wbits,
					DEF_MEM_LEVEL, Z_DEFAULT_STRATEGY);
	else
		ret = zlib_inflateInit2(&k->zs, wbits);
	return ret == Z_OK ? 0 : KZ_EIO;
}

/* user space's zlib numbers (wd_soft_zflush) to the kernel's */
static int kz_flush(int flush)
{
	switch (flush) {
	case 0:
		return Z_NO_FLUSH;
	case 2:
		return Z_SYNC_FLUSH;
	case 3:
		return Z_FULL_FLUSH;
	case 4:
		return Z_FINISH;
	default:
		return -1;
	}
}

int kz_run(struct kz_stream *k, const unsigned char **next_in,
	   unsigned int *avail_in, unsigned char **next_out,
	   unsigned int *avail_out, int flush)
{
	int ret, kf = Z_NO_FLUSH;

	if (k->deflate) {
		kf = kz_flush(flush);
		if (kf < 0)
			return KZ_EINVAL;
	}
	k->zs.next_in = *next_in;
	k->zs.avail_in = *avail_in;
	k->zs.next_out = *next_out;
	k->zs.avail_out = *avail_out;
	if (k->deflate)
		ret = zlib_deflate(&k->zs, kf);
	else
		ret = zlib_inflate(&k->zs, Z_NO_FLUSH);
	*next_in = k->zs.next_in;
	*avail_in = k->zs.avail_in;
	*next_out = k->zs.next_out;
	*avail_out = k->zs.avail_out;
	switch (ret) {
	case Z_OK:
	case Z_BUF_ERROR:
		return 0;
	case Z_STREAM_END:
		return 1;
	case Z_DATA_ERROR:
	case Z_NEED_DICT:
		return KZ_EBADMSG;
	default:
		return KZ_EIO;
	}
}

int kz_reset(struct kz_stream *k)
{
	int ret = k->deflate ? zlib_deflateReset(&k->zs) :
			       zlib_inflateReset(&k->zs);

	return ret == Z_OK ? 0 : KZ_EIO;
}

void kz_end(struct kz_stream *k)
{
	if (k->deflate)
		zlib_deflateEnd(&k->zs);
	else
		zlib_inflateEnd(&k->zs);
}
