/* SPDX-License-Identifier: GPL-2.0 */
/* kz_host.h: the kernel's zlib for fz_kcore (see kz_host.c) */
#ifndef KZ_HOST_H
#define KZ_HOST_H

#include <stdbool.h>

#define KZ_EBADMSG	(-1)
#define KZ_EIO		(-2)
#define KZ_EINVAL	(-3)

/* what a stream's workspace is sized for, as kernel/wd_soft/algs.c sizes it */
enum kz_kind {
	KZ_ANY,		/* an engine's: either direction */
	KZ_DEFLATE,	/* a compression context's: deflate only */
	KZ_INFLATE,	/* a decompression context's: inflate only */
};

struct kz_stream;

/* A stream with its own workspace, exactly as large as its kind needs; NULL: no memory. */
struct kz_stream *kz_new(enum kz_kind kind, unsigned long *bytes);
/* Free it (kz_end() first if kz_init() succeeded). */
void kz_free(struct kz_stream *k);
/* 0, KZ_EINVAL (direction the workspace is not for), or KZ_EIO */
int kz_init(struct kz_stream *k, bool deflate, int level);
/*
 * 0 (go on), 1 (stream end), KZ_EBADMSG, KZ_EIO, as kernel/wd_soft/algs.c;
 * @flush numbered as user space's zlib (0, 2 sync, 3 full, 4 finish),
 * translated to the kernel's numbers; ignored by inflate.
 */
int kz_run(struct kz_stream *k, const unsigned char **next_in,
	   unsigned int *avail_in, unsigned char **next_out,
	   unsigned int *avail_out, int flush);
/* deflateReset()/inflateReset(): 0 or KZ_EIO */
int kz_reset(struct kz_stream *k);
void kz_end(struct kz_stream *k);

#endif
