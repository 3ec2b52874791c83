// SPDX-License-Identifier: MIT
/*
 * zlib-prog.c: a zlib program as libwd-zlib-dev's user writes it, for
 * tests/pkg/check-packages.sh, which builds it with nothing but
 *   cc -o zlib-prog zlib-prog.c $(pkg-config --cflags --libs wd_zlib)
 * (zlib's own zlib.h, no -lz). It gzips FILE with deflate (windowBits 31,
 * level 6) into OUT.gz, inflates that back, compares, and prints the
 * library's counters:
 *   zlib-prog FILE OUT.gz
 *   -> "ok deflate_dev=N deflate_sw=N inflate_dev=N inflate_sw=N
 *       fallbacks=N errors=N"
 * Exit status 0 when the round trip gave FILE back.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wd_zlib.h>
#include <zlib.h>

/* read_all() - the whole of PATH into a malloc'd buffer, its size in *len */
static unsigned char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc(n ? (size_t)n : 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return buf;
}

/* one_stream() - deflate (gzip) or inflate SRC into DST in one call */
static int one_stream(int compress, const unsigned char *src, size_t slen, unsigned char *dst,
		      size_t dcap, size_t *dlen)
{
	z_stream s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = compress ? deflateInit2(&s, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY)
		      : inflateInit2(&s, 31);
	if (rc != Z_OK)
		return rc;
	s.next_in = (unsigned char *)src;
	s.avail_in = (uInt)slen;
	s.next_out = dst;
	s.avail_out = (uInt)dcap;
	rc = compress ? deflate(&s, Z_FINISH) : inflate(&s, Z_FINISH);
	*dlen = s.total_out;
	if (compress)
		deflateEnd(&s);
	else
		inflateEnd(&s);
	return rc == Z_STREAM_END ? Z_OK : (rc == Z_OK ? Z_BUF_ERROR : rc);
}

int main(int argc, char **argv)
{
	struct wd_zlib_stats st;
	unsigned char *in, *gz, *back;
	size_t len = 0, gzlen = 0, backlen = 0;
	FILE *f;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE OUT.gz\n", argv[0]);
		return 2;
	}
	in = read_all(argv[1], &len);
	if (!in) {
		perror(argv[1]);
		return 1;
	}
	gz = malloc(compressBound(len) + 64);
	back = malloc(len + 1);
	if (!gz || !back)
		return 1;
	rc = one_stream(1, in, len, gz, compressBound(len) + 64, &gzlen);
	if (rc != Z_OK) {
		fprintf(stderr, "deflate: %d\n", rc);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(gz, 1, gzlen, f) != gzlen || fclose(f)) {
		perror(argv[2]);
		return 1;
	}
	rc = one_stream(0, gz, gzlen, back, len + 1, &backlen);
	if (rc != Z_OK || backlen != len || memcmp(back, in, len)) {
		fprintf(stderr, "inflate: %d, %zu of %zu bytes\n", rc, backlen, len);
		return 1;
	}
	wd_zlib_get_stats(&st);
	printf("ok deflate_dev=%llu deflate_sw=%llu inflate_dev=%llu inflate_sw=%llu fallbacks=%llu errors=%llu\n",
	       (unsigned long long)st.deflate_dev, (unsigned long long)st.deflate_sw,
	       (unsigned long long)st.inflate_dev, (unsigned long long)st.inflate_sw,
	       (unsigned long long)st.fallbacks, (unsigned long long)st.errors);
	free(in);
	free(gz);
	free(back);
	return 0;
}
