/* SPDX-License-Identifier: GPL-2.0 */
/* kz_host.h: the kernel's zlib for fz_kcore (see kz_host.c) */
#ifndef KZ_HOST_H
#define KZ_HOST_H

#include <stdbool.h>

#define KZ_EBADMSG	(-1)
#define KZ_EIO		(-2)

int kz_init(bool deflate, bool zlib_wrap, int level);
/* 0 (go on), 1 (stream end), KZ_EBADMSG, KZ_EIO, as kernel/wd_soft/algs.c */
int kz_run(const unsigned char **next_in, unsigned int *avail_in,
	   unsigned char **next_out, unsigned int *avail_out, bool finish);
void kz_end(void);

#endif
