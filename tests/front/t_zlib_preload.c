// SPDX-License-Identifier: MIT
/*
 * t_zlib_preload: a program linked with the system's -lz (versioned
 * references: deflatePrime@ZLIB_1.2.0.8, inflateReset2@ZLIB_1.2.3.4), run
 * by t_zlib's "preload" test with LD_PRELOAD=libwd_zlib.so.1: every call
 * must bind to libwd_zlib (wd_zlib_get_stats found, its counters moved).
 * Exit 0 when so; not a test by itself (build/native/libexec).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "wd_zlib.h"

int main(void)
{
	void (*get)(struct wd_zlib_stats *) =
		(void (*)(struct wd_zlib_stats *))dlsym(RTLD_DEFAULT, "wd_zlib_get_stats");
	size_t len = 300000, clen, i;
	unsigned char *d = malloc(len), *c = malloc(len + 1000), *o = malloc(len);
	struct wd_zlib_stats st;
	z_stream s;

	if (!get) {
		fprintf(stderr, "t_zlib_preload: libwd_zlib is not loaded\n");
		return 1;
	}
	uint32_t x = 1;

	for (i = 0; i < len; i++) {	/* text-like, not too compressible */
		x = x * 1103515245 + 12345;
		d[i] = "warp drive zlib "[(x >> 16) % 16];
	}
	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return 1;
	s.next_in = d;
	s.avail_in = (uInt)len;
	s.next_out = c;
	s.avail_out = (uInt)len + 1000;
	if (deflate(&s, Z_SYNC_FLUSH) != Z_OK || deflatePrime(&s, 10, 2) != Z_OK ||
	    deflate(&s, Z_FINISH) != Z_STREAM_END)
		return 1;
	clen = s.total_out;
	deflateEnd(&s);
	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, 15) != Z_OK || inflateReset2(&s, -15) != Z_OK)
		return 1;
	s.next_in = c;
	s.avail_in = (uInt)clen;
	s.next_out = o;
	s.avail_out = (uInt)len;
	if (inflate(&s, Z_NO_FLUSH) != Z_STREAM_END || memcmp(o, d, len))
		return 1;
	inflateEnd(&s);
	get(&st);
	if (st.deflate_dev != 1 || st.inflate_dev != 1) {
		fprintf(stderr, "t_zlib_preload: deflate_dev %llu inflate_dev %llu\n",
			(unsigned long long)st.deflate_dev,
			(unsigned long long)st.inflate_dev);
		return 1;
	}
	free(d);
	free(c);
	free(o);
	return 0;
}
