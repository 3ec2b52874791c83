// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * ref.c: references for the native tests, independent of the device's
 * backends (CRC-32C's is tests/lib/ref.c, shared by every test): SHA-256 by the sha256sum program (the backend is
 * OpenSSL), gzip by the gzip program (its own inflate and deflate, not
 * zlib), raw deflate and zlib streams by zlib's inflate/deflate, which is
 * what the brief asks for those formats (the gzip cross-checks cover the
 * deflate encoder and decoder with an independent implementation).
 */
#include "nt.h"

#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

static int ref_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void ref_sha256sum(const void *data, size_t len, uint8_t digest[32])
{
	size_t out_len;
	char *out;
	int i, st, hi, lo;

	st = nt_pipe_cmd("sha256sum", data, len, (void **)&out, &out_len);
	if (st || out_len < 64)
		FAIL("sha256sum failed (status %d, %zu bytes of output)", st,
		     out_len);
	for (i = 0; i < 32; i++) {
		hi = ref_hex(out[2 * i]);
		lo = ref_hex(out[2 * i + 1]);
		if (hi < 0 || lo < 0)
			FAIL("sha256sum printed %.64s", out);
		digest[i] = (uint8_t)(hi << 4 | lo);
	}
	free(out);
}

int ref_gunzip(const void *data, size_t len, void **out, size_t *out_len)
{
	int st = nt_pipe_cmd("gzip -dc 2>/dev/null", data, len, out, out_len);

	if (st) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

void ref_gzip(const void *data, size_t len, int level, bool named, void **out,
	      size_t *out_len)
{
	char path[256], cmd[400];
	int st;

	if (!named) {
		snprintf(cmd, sizeof(cmd), "gzip -%d -c -n", level);
		st = nt_pipe_cmd(cmd, data, len, out, out_len);
	} else {
		/* a named file: FNAME and MTIME in the header */
		nt_tmpfile(data, len, path, sizeof(path));
		snprintf(cmd, sizeof(cmd), "gzip -%d -c -N '%s'", level, path);
		st = nt_pipe_cmd(cmd, "", 0, out, out_len);
		unlink(path);
	}
	if (st)
		FAIL("gzip -%d failed: %d", level, st);
}

int ref_inflate(const void *in, size_t in_len, void *out, size_t cap,
		size_t *out_len, bool zlib_wrap)
{
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	if (inflateInit2(&s, zlib_wrap ? 15 : -15) != Z_OK)
		FAIL("inflateInit2");
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)in_len;
	s.next_out = out;
	s.avail_out = (uInt)cap;
	ret = inflate(&s, Z_FINISH);
	*out_len = s.total_out;
	/* the stream must end exactly at the end of the input */
	if (ret == Z_STREAM_END && s.avail_in)
		ret = Z_DATA_ERROR;
	inflateEnd(&s);
	return ret == Z_STREAM_END ? 0 : -1;
}

void ref_deflate(const void *in, size_t in_len, int level, bool zlib_wrap,
		 void **out, size_t *out_len)
{
	size_t cap = in_len + in_len / 100 + 1024;
	z_stream s;
	uint8_t *buf;

	memset(&s, 0, sizeof(s));
	if (deflateInit2(&s, level, Z_DEFLATED, zlib_wrap ? 15 : -15, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		FAIL("deflateInit2");
	cap = deflateBound(&s, in_len);
	buf = nt_xmalloc(cap);
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)in_len;
	s.next_out = buf;
	s.avail_out = (uInt)cap;
	if (deflate(&s, Z_FINISH) != Z_STREAM_END)
		FAIL("deflate did not finish");
	*out = buf;
	*out_len = s.total_out;
	deflateEnd(&s);
}
