/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * fz_ref.h: zlib's verdict on a decompression source, the reference the
 * fuzzers compare the device with (fz_core natively, fz_ring in the VM).
 */
#ifndef FZ_REF_H
#define FZ_REF_H

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum ref_st { REF_OK, REF_CORRUPT, REF_BIG };

/*
 * Decode src[0..n): one raw (wbits -15) or zlib (15) stream, or gzip
 * members (31) back to back; nothing may follow the last stream. Output
 * goes to out[0..cap); *produced is what came out before the end or the
 * error. REF_BIG: the output does not fit cap (the stream may or may not
 * be valid further on).
 */
static inline enum ref_st ref_inflate(const void *src, size_t n, int wbits,
				      void *out, size_t cap, size_t *produced)
{
	enum ref_st st = REF_CORRUPT;
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	*produced = 0;
	if (inflateInit2(&s, wbits) != Z_OK)
		abort();
	s.next_in = (Bytef *)src;
	s.avail_in = (uInt)n;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	for (;;) {
		ret = inflate(&s, Z_NO_FLUSH);
		*produced = cap - s.avail_out;
		if (ret == Z_STREAM_END) {
			if (!s.avail_in) {
				st = REF_OK;
				break;
			}
			if (wbits != 31)
				break;		/* trailing bytes */
			inflateReset(&s);	/* the next gzip member */
			continue;
		}
		if (ret == Z_OK)
			continue;
		if (ret == Z_BUF_ERROR && !s.avail_out)
			st = REF_BIG;
		break;		/* data error, dictionary, truncated */
	}
	inflateEnd(&s);
	return st;
}

#endif
