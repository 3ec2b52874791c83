// SPDX-License-Identifier: GPL-2.0
/*
 * kz_host.c: the zlib part of the engine core's host done with the
 * kernel's own zlib (lib/zlib_inflate, lib/zlib_deflate of linux-source-6.1,
 * compiled in user space), exactly as kernel/wd_soft/algs.c drives it, for
 * fz_kcore. A translation unit of its own: the kernel's <linux/zlib.h> and
 * user space's <zlib.h> cannot meet.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <linux/zlib.h>

#include "kz_host.h"

static struct z_stream_s kzs;
static bool kz_deflate;

int kz_init(bool deflate, bool zlib_wrap, int level)
{
	int wbits = zlib_wrap ? MAX_WBITS : -MAX_WBITS, ret;

	if (!kzs.workspace) {
		size_t ws = zlib_deflate_workspacesize(MAX_WBITS, MAX_MEM_LEVEL);

		if (ws < (size_t)zlib_inflate_workspacesize())
			ws = zlib_inflate_workspacesize();
		kzs.workspace = calloc(1, ws);
		if (!kzs.workspace)
			abort();
	}
	kz_deflate = deflate;
	kzs.next_in = NULL;
	kzs.avail_in = 0;
	if (deflate)
		ret = zlib_deflateInit2(&kzs, level, Z_DEFLATED, wbits,
					DEF_MEM_LEVEL, Z_DEFAULT_STRATEGY);
	else
		ret = zlib_inflateInit2(&kzs, wbits);
	return ret == Z_OK ? 0 : -1;
}

int kz_run(const unsigned char **next_in, unsigned int *avail_in,
	   unsigned char **next_out, unsigned int *avail_out, bool finish)
{
	int ret;

	kzs.next_in = *next_in;
	kzs.avail_in = *avail_in;
	kzs.next_out = *next_out;
	kzs.avail_out = *avail_out;
	if (kz_deflate)
		ret = zlib_deflate(&kzs, finish ? Z_FINISH : Z_NO_FLUSH);
	else
		ret = zlib_inflate(&kzs, Z_NO_FLUSH);
	*next_in = kzs.next_in;
	*avail_in = kzs.avail_in;
	*next_out = kzs.next_out;
	*avail_out = kzs.avail_out;
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

void kz_end(void)
{
	if (kz_deflate)
		zlib_deflateEnd(&kzs);
	else
		zlib_inflateEnd(&kzs);
}
