// SPDX-License-Identifier: MIT
/*
 * t_zlib: libwd_zlib (front/zlib) against the system's zlib.
 *
 * The program links libwd_zlib (its zlib.h calls are ours: checked with
 * wd_zlib_get_stats() and the counters) and loads the real libz.so.1 in a
 * namespace of its own (dlmopen(LM_ID_NEWLM)) as the reference: every
 * stream we make must inflate with it to the input, every stream it makes
 * must inflate with ours, and the return codes of the same call sequences
 * must be the same. The device is the in-process one (WD_DEV_PATH=local,
 * set here before the first stream), or one this library's own libwd creates
 * for the test (wd_zlib_test_device) when a test takes it away.
 *
 * Each test runs in a forked child with a time limit; one line per test:
 * "PASS: t_zlib.NAME", "FAIL: t_zlib.NAME: why", "SKIP: ...". Usage:
 * t_zlib [-l] [name...]. Some tests run this program again with another
 * environment (WD_ZLIB_FALLBACK, WD_DEV_PATH): "t_zlib --child NAME".
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#include "wd_zlib.h"
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

int wd_zlib_test_device(const char *spec, int del_id);

/* ---- the runner ---- */

static const char *cur_test;
static const char *prog = "t_zlib";	/* this program's name, for the lines */

static void fail_at(int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 2, 3)));
static void fail_at(int line, const char *fmt, ...)
{
	va_list ap;
	char buf[512];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("FAIL: %s.%s: %s (t_zlib.c:%d)\n", prog, cur_test, buf, line);
	fflush(stdout);
	_exit(1);
}
#define FAIL(...) fail_at(__LINE__, __VA_ARGS__)
#define CHECK(c) do { if (!(c)) FAIL("%s", #c); } while (0)
#define EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);		\
	if (_a != _b)							\
		FAIL("%s is %lld, expected %lld (%s)", #a, _a, _b, #b); \
} while (0)

struct test {
	const char *name;
	void (*fn)(void);
};

/* ---- the reference zlib ---- */

static struct {
	int (*deflateInit2_)(z_streamp, int, int, int, int, int, const char *, int);
	int (*deflate)(z_streamp, int);
	int (*deflateEnd)(z_streamp);
	int (*deflateSetDictionary)(z_streamp, const Bytef *, uInt);
	int (*inflateInit2_)(z_streamp, int, const char *, int);
	int (*inflate)(z_streamp, int);
	int (*inflateEnd)(z_streamp);
	int (*inflateSetDictionary)(z_streamp, const Bytef *, uInt);
	int (*inflateBackInit_)(z_streamp, int, unsigned char *, const char *, int);
	int (*inflateBack)(z_streamp, in_func, void *, out_func, void *);
	int (*inflateBackEnd)(z_streamp);
	const char *(*zlibVersion)(void);
} R;

static void ref_load(void)
{
	void *h = dlmopen(LM_ID_NEWLM, "libz.so.1", RTLD_NOW | RTLD_LOCAL);

	if (!h) {
		fprintf(stderr, "t_zlib: dlmopen libz.so.1: %s\n", dlerror());
		exit(1);
	}
#define SYM(n) do { *(void **)&R.n = dlsym(h, #n); if (!R.n) exit(1); } while (0)
	SYM(deflateInit2_);
	SYM(deflate);
	SYM(deflateEnd);
	SYM(deflateSetDictionary);
	SYM(inflateInit2_);
	SYM(inflateBackInit_);
	SYM(inflateBack);
	SYM(inflateBackEnd);
	SYM(inflate);
	SYM(inflateEnd);
	SYM(inflateSetDictionary);
	SYM(zlibVersion);
}

/* the reference inflates @in (all of it is one stream): its output */
static unsigned char *ref_inflate(int wbits, const unsigned char *in, size_t len,
				  const void *dict, uInt dlen, size_t *outlen,
				  int *ret_out)
{
	z_stream s;
	size_t cap = len * 4 + 1024, n = 0;
	unsigned char *out = malloc(cap);
	int ret;

	memset(&s, 0, sizeof(s));
	CHECK(R.inflateInit2_(&s, wbits, ZLIB_VERSION, sizeof(s)) == Z_OK);
	if (wbits < 0 && dict)
		CHECK(R.inflateSetDictionary(&s, dict, dlen) == Z_OK);
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)len;
	for (;;) {
		if (n == cap) {
			cap *= 2;
			out = realloc(out, cap);
		}
		s.next_out = out + n;
		s.avail_out = (uInt)(cap - n);
		ret = R.inflate(&s, Z_SYNC_FLUSH);
		n = cap - s.avail_out;
		if (ret == Z_NEED_DICT && dict) {
			CHECK(R.inflateSetDictionary(&s, dict, dlen) == Z_OK);
			continue;
		}
		if (ret != Z_OK || (!s.avail_in && s.avail_out))
			break;
	}
	R.inflateEnd(&s);
	*outlen = n;
	*ret_out = ret;
	return out;
}

/* our stream @c inflates with the reference to @data */
static void ref_check(int wbits, const unsigned char *c, size_t clen,
		      const unsigned char *data, size_t len, const void *dict,
		      uInt dlen, bool complete)
{
	size_t n;
	int ret;
	unsigned char *out = ref_inflate(wbits, c, clen, dict, dlen, &n, &ret);

	if (complete && ret != Z_STREAM_END)
		FAIL("reference inflate: %d (%s), not the stream's end", ret,
		     ret == Z_OK ? "truncated" : "bad");
	if (!complete && ret != Z_OK && ret != Z_BUF_ERROR)
		FAIL("reference inflate of a flushed prefix: %d", ret);
	if (n != len || memcmp(out, data, len))
		FAIL("reference inflate gives %zu bytes, not our %zu of input", n, len);
	free(out);
}

/* ---- data ---- */

static uint64_t rng_state = 88172645463325252ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

static size_t rnd_upto(size_t n)
{
	return n ? rnd() % n : 0;
}

/* kind 0: random bytes, 1: text, 2: mixed runs */
static unsigned char *make_data(size_t len, int kind)
{
	static const char *words[] = { "warp ", "drive ", "deflate ", "the ",
				       "stream ", "of ", "zlib\n", "device, " };
	unsigned char *p = malloc(len + 1);
	size_t i = 0;

	while (i < len) {
		if (kind == 0 || (kind == 2 && rnd() % 3 == 0)) {
			p[i++] = (unsigned char)rnd();
		} else {
			const char *w = words[rnd() % 8];

			while (*w && i < len)
				p[i++] = (unsigned char)*w++;
		}
	}
	return p;
}

/* @len bytes at @d as one raw deflate stream (level 6) by the real zlib,
 * into @c (@cap bytes, enough): its length */
static size_t ref_deflate_raw(const unsigned char *d, size_t len,
			      unsigned char *c, size_t cap)
{
	z_stream s;
	size_t clen;

	memset(&s, 0, sizeof(s));
	EQ(R.deflateInit2_(&s, 6, Z_DEFLATED, -15, 8, 0, ZLIB_VERSION, sizeof(s)), Z_OK);
	s.next_in = (unsigned char *)d;
	s.avail_in = (uInt)len;
	s.next_out = c;
	s.avail_out = (uInt)cap;
	EQ(R.deflate(&s, Z_FINISH), Z_STREAM_END);
	clen = s.total_out;
	EQ(R.deflateEnd(&s), Z_OK);
	return clen;
}

static struct wd_zlib_stats stats(void)
{
	struct wd_zlib_stats s;

	wd_zlib_get_stats(&s);
	return s;
}

/* ---- our deflate in one go, or piece by piece ---- */

static unsigned char *our_deflate(const unsigned char *d, size_t len, int level,
				  int wbits, size_t *clen)
{
	z_stream s;
	size_t cap = len + len / 8 + 1024;
	unsigned char *c = malloc(cap);
	uLong bound;

	memset(&s, 0, sizeof(s));
	EQ(deflateInit2(&s, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	bound = deflateBound(&s, len);
	s.next_in = (Bytef *)d;
	s.avail_in = (uInt)len;
	s.next_out = c;
	s.avail_out = (uInt)cap;
	EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
	*clen = s.total_out;
	/* what deflateBound() promises holds, device or not */
	CHECK(*clen <= bound);
	EQ(s.total_in, len);
	EQ(deflateEnd(&s), Z_OK);
	return c;
}

/* our inflate of @c in random pieces: the output, checked against @d */
static void our_inflate_check(int wbits, const unsigned char *c, size_t clen,
			      const unsigned char *d, size_t len, bool pieces)
{
	z_stream s;
	unsigned char *out = malloc(len + 64);
	size_t pos = 0;
	int ret = Z_OK;

	memset(&s, 0, sizeof(s));
	EQ(inflateInit2(&s, wbits), Z_OK);
	s.next_in = (Bytef *)c;
	s.next_out = out;
	while (ret != Z_STREAM_END) {
		size_t inleft = clen - (size_t)(s.next_in - c);
		size_t outleft = len + 64 - (size_t)(s.next_out - out);

		s.avail_in = (uInt)(pieces && pos ? 1 + rnd_upto(inleft < 20000 ? inleft : 20000) :
				    inleft);
		if (s.avail_in > inleft)
			s.avail_in = (uInt)inleft;
		s.avail_out = (uInt)(pieces ? 1 + rnd_upto(outleft < 30000 ? outleft : 30000) :
				     outleft);
		ret = inflate(&s, Z_NO_FLUSH);
		if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
			FAIL("our inflate: %d (%s)", ret, s.msg ? s.msg : "");
		if (ret == Z_BUF_ERROR && !inleft)
			FAIL("our inflate wants more than the whole stream");
		pos++;
	}
	EQ(s.total_out, len);
	EQ(s.total_in, clen);
	CHECK(!memcmp(out, d, len));
	EQ(inflateEnd(&s), Z_OK);
	free(out);
}

/* ---- tests ---- */

static void t_ours(void)
{
	struct wd_zlib_stats a = stats(), b;
	size_t len = 256 << 10, clen;
	unsigned char *d = make_data(len, 1), *c;

	/* zlibVersion is the private zlib's: the reference's */
	CHECK(!strcmp(zlibVersion(), R.zlibVersion()));
	c = our_deflate(d, len, 6, 15, &clen);
	b = stats();
	/* the counters moved: these calls were ours, and on the device */
	EQ(b.deflate_dev, a.deflate_dev + 1);
	EQ(b.dev_in_bytes - a.dev_in_bytes, len);
	EQ(b.dev_out_bytes - a.dev_out_bytes, clen);
	ref_check(15, c, clen, d, len, NULL, 0, true);
	free(c);
	free(d);
}

static void t_roundtrip(void)
{
	static const int wbits[] = { 15, -15, 31 };
	static const size_t sizes[] = { 0, 1, 1000, 8191, 8192, 70000, 1 << 20 };

	for (int k = 0; k < 3; k++)
		for (unsigned w = 0; w < 3; w++)
			for (int level = -1; level <= 9; level++)
				for (unsigned z = 0; z < 7; z++) {
					size_t len = sizes[z], clen;
					unsigned char *d, *c;

					if (len == (1 << 20) && level % 3)
						continue;
					d = make_data(len, k);
					c = our_deflate(d, len, level, wbits[w], &clen);
					ref_check(wbits[w], c, clen, d, len, NULL, 0, true);
					our_inflate_check(wbits[w], c, clen, d, len, z & 1);
					free(c);
					free(d);
				}
}

/* the reference's stream inflates with ours, 47 (auto) included */
static void t_inflate_ref(void)
{
	static const int wbits[] = { 15, -15, 31 };
	struct wd_zlib_stats a = stats(), b;

	for (unsigned w = 0; w < 3; w++)
		for (int k = 0; k < 3; k++) {
			size_t len = 300000 + rnd_upto(100000), cap = len * 2;
			unsigned char *d = make_data(len, k), *c = malloc(cap);
			z_stream s;

			memset(&s, 0, sizeof(s));
			CHECK(R.deflateInit2_(&s, 6, Z_DEFLATED, wbits[w], 9,
					      Z_DEFAULT_STRATEGY, ZLIB_VERSION,
					      sizeof(s)) == Z_OK);
			s.next_in = d;
			s.avail_in = (uInt)len;
			s.next_out = c;
			s.avail_out = (uInt)cap;
			CHECK(R.deflate(&s, Z_FINISH) == Z_STREAM_END);
			R.deflateEnd(&s);
			our_inflate_check(wbits[w], c, s.total_out, d, len, k == 1);
			if (wbits[w] > 0)
				our_inflate_check(wbits[w] == 15 ? 47 : 47, c,
						  s.total_out, d, len, false);
			if (wbits[w] == 15)
				our_inflate_check(0, c, s.total_out, d, len, false);
			free(c);
			free(d);
		}
	b = stats();
	CHECK(b.inflate_dev >= a.inflate_dev + 9);
}

/*
 * Random flushes, pieces and room: after every sync or full flush the
 * output so far inflates to the input so far; at the end, to all of it.
 */
static void flush_run(int wbits, int level, size_t len, int kind, bool params)
{
	static const int flushes[] = { Z_NO_FLUSH, Z_NO_FLUSH, Z_NO_FLUSH,
				       Z_SYNC_FLUSH, Z_FULL_FLUSH,
				       Z_PARTIAL_FLUSH, Z_BLOCK };
	unsigned char *d = make_data(len, kind);
	size_t cap = len + len / 4 + 65536, in = 0;
	unsigned char *c = malloc(cap);
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	EQ(deflateInit2(&s, level, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
	s.next_out = c;
	while (in < len) {
		size_t piece = rnd() % 4 ? rnd_upto(3000) : rnd_upto(200000);
		int flush = flushes[rnd() % 7];

		if (piece > len - in)
			piece = len - in;
		s.next_in = d + in;
		s.avail_in = (uInt)piece;
		do {
			size_t room = cap - s.total_out;

			s.avail_out = (uInt)(rnd() % 3 ? 1 + rnd_upto(room < 5000 ? room : 5000) :
					     room);
			ret = deflate(&s, flush);
			if (ret != Z_OK && ret != Z_BUF_ERROR)
				FAIL("deflate(%d): %d", flush, ret);
		} while (s.avail_in || (flush != Z_NO_FLUSH && !s.avail_out));
		in += piece;
		EQ(s.total_in, in);
		if (params && rnd() % 8 == 0) {
			/* new parameters mid-stream: a device stream migrates */
			int lv = (int)(rnd() % 10), sg = rnd() % 4 ? 0 : Z_FILTERED;

			s.avail_out = (uInt)(cap - s.total_out);
			EQ(deflateParams(&s, lv, sg), Z_OK);
		}
		if (flush == Z_SYNC_FLUSH || flush == Z_FULL_FLUSH)
			ref_check(wbits, c, s.total_out, d, in, NULL, 0, false);
	}
	do {
		size_t room = cap - s.total_out;

		s.avail_out = (uInt)(1 + rnd_upto(room < 7000 ? room : 7000));
		ret = deflate(&s, Z_FINISH);
	} while (ret == Z_OK);
	EQ(ret, Z_STREAM_END);
	/* again: still the end, nothing more */
	s.avail_out = 100;
	EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
	EQ(s.avail_out, 100);
	ref_check(wbits, c, s.total_out, d, len, NULL, 0, true);
	our_inflate_check(wbits, c, s.total_out, d, len, true);
	EQ(deflateEnd(&s), Z_OK);
	free(c);
	free(d);
}

static void t_flushes(void)
{
	static const int wbits[] = { 15, -15, 31 };

	for (int i = 0; i < 12; i++)
		flush_run(wbits[i % 3], 1 + i % 9, 100000 + rnd_upto(600000), i % 3,
			  i >= 6);
}

/* a stream staying below the threshold is software; one passing it, device */
static void t_threshold(void)
{
	struct wd_zlib_stats a = stats(), b;
	size_t clen;
	unsigned char *d = make_data(200000, 1), *c;
	z_stream s;
	unsigned char out[300000];

	c = our_deflate(d, 4000, 6, 15, &clen);		/* small: software */
	b = stats();
	EQ(b.deflate_sw, a.deflate_sw + 1);
	EQ(b.deflate_dev, a.deflate_dev);
	EQ(b.sw_in_bytes - a.sw_in_bytes, 4000);
	our_inflate_check(15, c, clen, d, 4000, false);	/* small: software */
	a = stats();
	EQ(a.inflate_sw, b.inflate_sw + 1);
	free(c);

	/* small pieces with no flush pass it: the device takes the stream */
	memset(&s, 0, sizeof(s));
	EQ(deflateInit(&s, 6), Z_OK);
	s.next_out = out;
	s.avail_out = sizeof(out);
	for (size_t i = 0; i < 200000; i += 1000) {
		s.next_in = d + i;
		s.avail_in = 1000;
		EQ(deflate(&s, Z_NO_FLUSH), Z_OK);
	}
	EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
	clen = s.total_out;
	EQ(deflateEnd(&s), Z_OK);
	b = stats();
	EQ(b.deflate_dev, a.deflate_dev + 1);
	ref_check(15, out, clen, d, 200000, NULL, 0, true);
	/* a flush before the threshold: software, with what was staged */
	memset(&s, 0, sizeof(s));
	EQ(deflateInit(&s, 6), Z_OK);
	s.next_out = out;
	s.avail_out = sizeof(out);
	s.next_in = d;
	s.avail_in = 3000;
	EQ(deflate(&s, Z_NO_FLUSH), Z_OK);
	s.avail_in = 3000;
	EQ(deflate(&s, Z_SYNC_FLUSH), Z_OK);
	ref_check(15, out, s.total_out, d, 6000, NULL, 0, false);
	s.avail_in = 100000;
	EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
	ref_check(15, out, s.total_out, d, 106000, NULL, 0, true);
	EQ(deflateEnd(&s), Z_OK);
	a = stats();
	EQ(a.deflate_sw, b.deflate_sw + 1);
	free(d);
}

/*
 * The same call sequence on the reference and on ours gives the same return
 * codes: a step is (input bytes, output room, flush).
 */
struct step {
	int in, out, flush;
};

static int run_seq(bool ref, int wbits, const unsigned char *d,
		   const struct step *st, int n, int *codes)
{
	static unsigned char out[1 << 21];
	z_stream s;
	size_t in = 0;

	memset(&s, 0, sizeof(s));
	if (ref)
		CHECK(R.deflateInit2_(&s, 6, Z_DEFLATED, wbits, 8, 0, ZLIB_VERSION,
				      sizeof(s)) == Z_OK);
	else
		EQ(deflateInit2(&s, 6, Z_DEFLATED, wbits, 8, 0), Z_OK);
	s.next_out = out;
	for (int i = 0; i < n; i++) {
		s.next_in = (Bytef *)d + in;
		s.avail_in = (uInt)st[i].in;
		s.avail_out = (uInt)st[i].out;
		codes[i] = ref ? R.deflate(&s, st[i].flush) : deflate(&s, st[i].flush);
		in += st[i].in - s.avail_in;
	}
	ref ? R.deflateEnd(&s) : deflateEnd(&s);
	return 0;
}

static void t_deflate_codes(void)
{
	static const struct step seqs[][8] = {
		/* no room; nothing new twice; finish, again, a flush after */
		{ { 100000, 0, 0 }, { 100000, 1 << 20, 0 }, { 0, 1000, 0 },
		  { 0, 1 << 20, Z_FINISH }, { 0, 1000, Z_FINISH },
		  { 0, 1000, Z_NO_FLUSH }, { 0, 1000, Z_SYNC_FLUSH }, { -1, 0, 0 } },
		/* sync twice with nothing new; full after sync */
		{ { 50000, 1 << 20, Z_SYNC_FLUSH }, { 0, 1000, Z_SYNC_FLUSH },
		  { 0, 1000, Z_FULL_FLUSH }, { 0, 1000, Z_FULL_FLUSH },
		  { 0, 1000, Z_NO_FLUSH }, { 0, 1 << 20, Z_FINISH },
		  { 5, 1000, Z_FINISH }, { -1, 0, 0 } },
		/* finish in a large output: end at once; input after finish */
		{ { 200000, 1 << 20, Z_FINISH }, { 0, 10, Z_FINISH },
		  { 10, 10, Z_FINISH }, { -1, 0, 0 } },
	};

	for (unsigned q = 0; q < sizeof(seqs) / sizeof(seqs[0]); q++) {
		int n = 0, a[8], b[8];
		unsigned char *d = make_data(1 << 20, 2);

		while (n < 8 && seqs[q][n].in >= 0)
			n++;
		for (int w = 0; w < 2; w++) {
			run_seq(true, w ? 31 : 15, d, seqs[q], n, a);
			run_seq(false, w ? 31 : 15, d, seqs[q], n, b);
			for (int i = 0; i < n; i++)
				if (a[i] != b[i])
					FAIL("sequence %u step %d: ours %d, zlib %d", q,
					     i, b[i], a[i]);
		}
		free(d);
	}
	/* a finish into a small room: Z_OK until Z_STREAM_END, as zlib */
	{
		size_t len = 300000, clen = 0;
		unsigned char *d = make_data(len, 1), *c = malloc(len);
		z_stream s;
		int ret;

		memset(&s, 0, sizeof(s));
		EQ(deflateInit(&s, 9), Z_OK);
		s.next_in = d;
		s.avail_in = (uInt)len;
		do {
			s.next_out = c + clen;
			s.avail_out = 1;
			ret = deflate(&s, Z_FINISH);
			clen = s.total_out;
		} while (ret == Z_OK);
		EQ(ret, Z_STREAM_END);
		EQ(deflateEnd(&s), Z_OK);
		ref_check(15, c, clen, d, len, NULL, 0, true);
		free(c);
		free(d);
	}
}

/* inflate's codes: end, again, truncated, finish without room, corrupt */
static void t_inflate_codes(void)
{
	size_t len = 400000, clen;
	unsigned char *d = make_data(len, 1);
	unsigned char *c = our_deflate(d, len, 6, 15, &clen);
	unsigned char *out = malloc(len + 100), *bad;
	int w, r1, r2;

	for (w = 0; w < 2; w++) {
		z_stream a, b;

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		CHECK(R.inflateInit2_(&a, 15, ZLIB_VERSION, sizeof(a)) == Z_OK);
		EQ(inflateInit2(&b, 15), Z_OK);
		/* truncated: all input used, then Z_BUF_ERROR */
		a.next_in = b.next_in = c;
		a.avail_in = b.avail_in = (uInt)(clen - 10);
		a.next_out = b.next_out = out;
		a.avail_out = b.avail_out = (uInt)len + 100;
		r1 = R.inflate(&a, Z_NO_FLUSH);
		r2 = inflate(&b, Z_NO_FLUSH);
		EQ(r2, r1);
		r1 = R.inflate(&a, Z_NO_FLUSH);
		r2 = inflate(&b, Z_NO_FLUSH);
		EQ(r2, r1);
		EQ(r2, Z_BUF_ERROR);
		/* the rest and a tail: the end, the tail left */
		a.avail_in = b.avail_in = 10 + 5;
		a.next_in = b.next_in = c + clen - 10;
		memcpy(bad = malloc(clen + 5), c, clen);
		memcpy(bad + clen, "TAIL!", 5);
		a.next_in = b.next_in = bad + clen - 10;
		r1 = R.inflate(&a, Z_NO_FLUSH);
		r2 = inflate(&b, Z_NO_FLUSH);
		EQ(r2, r1);
		EQ(r2, Z_STREAM_END);
		EQ(b.avail_in, 5);
		EQ(b.adler, a.adler);
		EQ(b.total_out, len);
		r1 = R.inflate(&a, Z_NO_FLUSH);
		r2 = inflate(&b, Z_FINISH);
		EQ(r2, Z_STREAM_END);
		R.inflateEnd(&a);
		EQ(inflateEnd(&b), Z_OK);
		free(bad);

		/* Z_FINISH with too little room: Z_BUF_ERROR */
		memset(&b, 0, sizeof(b));
		EQ(inflateInit(&b), Z_OK);
		b.next_in = c;
		b.avail_in = (uInt)clen;
		b.next_out = out;
		b.avail_out = 1000;
		EQ(inflate(&b, Z_FINISH), Z_BUF_ERROR);
		b.avail_out = (uInt)len;
		EQ(inflate(&b, Z_FINISH), Z_STREAM_END);
		EQ(inflateEnd(&b), Z_OK);
		CHECK(!memcmp(out, d, len));

		/* corruption: a bad header, bad data, a bad check */
		bad = malloc(clen);
		for (int k = 0; k < 3; k++) {
			memcpy(bad, c, clen);
			if (k == 0)
				bad[1] ^= 1;
			else if (k == 1)
				bad[2] |= 0x06;	/* block type 3 */
			else
				bad[clen - 1] ^= 0x40;
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			CHECK(R.inflateInit2_(&a, 15, ZLIB_VERSION, sizeof(a)) == Z_OK);
			EQ(inflateInit(&b), Z_OK);
			a.next_in = bad;
			b.next_in = bad;
			a.avail_in = b.avail_in = (uInt)clen;
			a.next_out = b.next_out = out;
			a.avail_out = b.avail_out = (uInt)len + 100;
			r1 = R.inflate(&a, Z_NO_FLUSH);
			r2 = inflate(&b, Z_NO_FLUSH);
			if (r1 != Z_DATA_ERROR)
				FAIL("k %d: zlib %d", k, r1);
			EQ(r2, Z_DATA_ERROR);
			CHECK(b.msg != NULL);
			if (k != 1)
				CHECK(!strcmp(a.msg, b.msg));
			EQ(inflate(&b, Z_NO_FLUSH), Z_DATA_ERROR);
			R.inflateEnd(&a);
			inflateEnd(&b);
		}
		free(bad);
	}
	free(out);
	free(c);
	free(d);
}

/* gzip members: Z_STREAM_END after each, the next left in next_in */
static void t_gzip_members(void)
{
	size_t l1 = 100000, l2 = 50000, c1, c2;
	unsigned char *d = make_data(l1 + l2, 1);
	unsigned char *a = our_deflate(d, l1, 6, 31, &c1);
	unsigned char *b = our_deflate(d + l1, l2, 1, 31, &c2);
	unsigned char *cat = malloc(c1 + c2), *out = malloc(l1 + l2);
	z_stream s;

	memcpy(cat, a, c1);
	memcpy(cat + c1, b, c2);
	memset(&s, 0, sizeof(s));
	EQ(inflateInit2(&s, 47), Z_OK);
	s.next_in = cat;
	s.avail_in = (uInt)(c1 + c2);
	s.next_out = out;
	s.avail_out = (uInt)(l1 + l2);
	EQ(inflate(&s, Z_NO_FLUSH), Z_STREAM_END);
	EQ(s.avail_in, c2);
	EQ(s.total_out, l1);
	EQ(inflateReset(&s), Z_OK);
	EQ(inflate(&s, Z_NO_FLUSH), Z_STREAM_END);
	EQ(s.avail_in, 0);
	CHECK(!memcmp(out, d, l1 + l2));
	EQ(inflateEnd(&s), Z_OK);
	free(cat);
	free(out);
	free(a);
	free(b);
	free(d);
}

/* dictionaries: deflate with one (zlib, raw), inflate with Z_NEED_DICT */
static void t_dictionary(void)
{
	size_t len = 200000;
	unsigned char *d = make_data(len, 1), *dict = make_data(40000, 1);
	unsigned char *c = malloc(len + 1000), *out = malloc(len);

	for (int w = 0; w < 2; w++) {
		int wb = w ? -15 : 15, ret;
		z_stream s;

		memset(&s, 0, sizeof(s));
		EQ(deflateInit2(&s, 6, Z_DEFLATED, wb, 8, 0), Z_OK);
		EQ(deflateSetDictionary(&s, dict, 40000), Z_OK);
		if (!w)
			EQ(s.adler, adler32(1, dict, 40000));
		s.next_in = d;
		s.avail_in = (uInt)len;
		s.next_out = c;
		s.avail_out = (uInt)len + 1000;
		EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
		size_t clen = s.total_out;

		EQ(deflateEnd(&s), Z_OK);
		ref_check(wb, c, clen, d, len, dict, 40000, true);
		/* ours: Z_NEED_DICT with the id, then the data */
		memset(&s, 0, sizeof(s));
		EQ(inflateInit2(&s, wb), Z_OK);
		if (w)
			EQ(inflateSetDictionary(&s, dict, 40000), Z_OK);
		s.next_in = c;
		s.avail_in = (uInt)clen;
		s.next_out = out;
		s.avail_out = (uInt)len;
		ret = inflate(&s, Z_NO_FLUSH);
		if (!w) {
			EQ(ret, Z_NEED_DICT);
			EQ(s.adler, adler32(1, dict, 40000));
			EQ(inflateSetDictionary(&s, dict, 39999), Z_DATA_ERROR);
			EQ(inflateSetDictionary(&s, dict, 40000), Z_OK);
			ret = inflate(&s, Z_NO_FLUSH);
		}
		EQ(ret, Z_STREAM_END);
		CHECK(!memcmp(out, d, len));
		EQ(inflateEnd(&s), Z_OK);
	}
	free(c);
	free(out);
	free(d);
	free(dict);
}

/* deflateParams and deflateCopy move a device stream to software */
static void t_migrate(void)
{
	size_t len = 600000, cap = len + 100000;
	unsigned char *d = make_data(len, 2);
	unsigned char *c = malloc(cap), *c2 = malloc(cap);
	struct wd_zlib_stats a = stats(), b;

	for (int w = 0; w < 3; w++) {
		int wb = w == 0 ? 15 : w == 1 ? -15 : 31;
		z_stream s, t;

		memset(&s, 0, sizeof(s));
		EQ(deflateInit2(&s, 6, Z_DEFLATED, wb, 8, 0), Z_OK);
		s.next_in = d;
		s.avail_in = 200000;
		s.next_out = c;
		s.avail_out = (uInt)cap;
		EQ(deflate(&s, Z_NO_FLUSH), Z_OK);
		s.avail_in = 50000;
		EQ(deflateParams(&s, 1, Z_DEFAULT_STRATEGY), Z_OK);
		s.avail_in += 100000;
		EQ(deflate(&s, Z_NO_FLUSH), Z_OK);
		EQ(deflateParams(&s, 9, Z_FILTERED), Z_OK);
		/* copy: the two go on with different tails */
		EQ(deflateCopy(&t, &s), Z_OK);
		t.next_out = c2;
		t.avail_out = (uInt)cap;
		size_t done = (size_t)(s.next_in - d);

		s.avail_in = (uInt)(len - done);
		EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
		ref_check(wb, c, s.total_out, d, len, NULL, 0, true);
		/* t: its output restarts at c2: prefix is in c up to then */
		{
			unsigned char *alt = make_data(70000, 0);
			size_t pre = (size_t)(t.next_out - c2);
			unsigned char *all, *want;

			(void)pre;
			t.next_in = alt;
			t.avail_in = 70000;
			EQ(deflate(&t, Z_FINISH), Z_STREAM_END);
			/* t's whole output: s's output before the copy + t's */
			size_t before = (size_t)t.total_out - (size_t)(t.next_out - c2);

			all = malloc(before + (size_t)(t.next_out - c2));
			memcpy(all, c, before);
			memcpy(all + before, c2, (size_t)(t.next_out - c2));
			want = malloc(done + 70000);
			memcpy(want, d, done);
			memcpy(want + done, alt, 70000);
			ref_check(wb, all, before + (size_t)(t.next_out - c2), want,
				  done + 70000, NULL, 0, true);
			free(all);
			free(want);
			free(alt);
		}
		EQ(deflateEnd(&t), Z_OK);
		EQ(deflateEnd(&s), Z_OK);
	}
	b = stats();
	CHECK(b.deflate_dev >= a.deflate_dev + 3);
	CHECK(b.sw_in_bytes > a.sw_in_bytes);
	free(c);
	free(c2);
	free(d);
}

/* compress2/uncompress and gz* (libz.a's own code) call our streams */
static void t_gz_compress(void)
{
	size_t len = 500000;
	unsigned char *d = make_data(len, 1), *c, *out = malloc(len);
	uLongf clen = compressBound(len), olen = len;
	struct wd_zlib_stats a = stats(), b;
	char path[] = "/tmp/t_zlib_XXXXXX";
	int fd;
	gzFile f;

	c = malloc(clen);
	/* random data into compressBound(): the device's stream fits too */
	{
		unsigned char *r = make_data(len, 0);

		EQ(compress2(c, &clen, r, len, 6), Z_OK);
		ref_check(15, c, clen, r, len, NULL, 0, true);
		free(r);
		clen = compressBound(len);
	}
	EQ(compress2(c, &clen, d, len, 6), Z_OK);
	olen = len - 1;		/* no room for the last byte */
	EQ(uncompress(out, &olen, c, clen), Z_BUF_ERROR);
	olen = len;		/* the stream cut short */
	EQ(uncompress(out, &olen, c, clen / 2), Z_DATA_ERROR);
	olen = len;
	EQ(uncompress(out, &olen, c, clen), Z_OK);
	EQ(olen, len);
	CHECK(!memcmp(out, d, len));
	ref_check(15, c, clen, d, len, NULL, 0, true);
	b = stats();
	EQ(b.deflate_dev, a.deflate_dev + 2);
	EQ(b.inflate_dev, a.inflate_dev + 3);
	fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	f = gzopen(path, "wb6");
	CHECK(f);
	for (size_t i = 0; i < len; i += 10000)
		EQ(gzwrite(f, d + i, 10000), 10000);
	EQ(gzclose(f), Z_OK);
	f = gzopen(path, "rb");
	CHECK(f);
	memset(out, 0, len);
	EQ(gzread(f, out, (unsigned)len), (int)len);
	EQ(gzread(f, out, 1), 0);
	EQ(gzclose(f), Z_OK);
	unlink(path);
	CHECK(!memcmp(out, d, len));
	a = stats();
	EQ(a.deflate_dev, b.deflate_dev + 1);
	EQ(a.inflate_dev, b.inflate_dev + 1);
	free(c);
	free(out);
	free(d);
}

/* more device streams than a queue has contexts (64): the rest software */
static void t_many_streams(void)
{
	enum { N = 80 };
	size_t len = 30000;
	unsigned char *d = make_data(len, 1), *c[N];
	z_stream s[N];
	struct wd_zlib_stats a = stats(), b;

	for (int i = 0; i < N; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		EQ(deflateInit(&s[i], 1 + i % 9), Z_OK);
		c[i] = malloc(2 * len);
		s[i].next_in = d;
		s[i].avail_in = 20000;		/* past the threshold: a context */
		s[i].next_out = c[i];
		s[i].avail_out = (uInt)(2 * len);
		EQ(deflate(&s[i], Z_NO_FLUSH), Z_OK);
	}
	for (int i = 0; i < N; i++) {
		s[i].avail_in = (uInt)(len - 20000);
		EQ(deflate(&s[i], Z_FINISH), Z_STREAM_END);
		ref_check(15, c[i], s[i].total_out, d, len, NULL, 0, true);
		EQ(deflateEnd(&s[i]), Z_OK);
		free(c[i]);
	}
	b = stats();
	CHECK(b.fallbacks >= a.fallbacks + N - 64);
	CHECK(b.deflate_dev >= a.deflate_dev + 1);
	EQ(b.deflate_dev + b.deflate_sw, a.deflate_dev + a.deflate_sw + N);
	EQ(b.errors, a.errors);
	free(d);
}

/* ---- threads ---- */

static void *thr_streams(void *arg)
{
	for (int i = 0; i < 6; i++) {
		size_t len = 50000 + rnd_upto(200000), clen;
		unsigned char *d = make_data(len, (int)(uintptr_t)arg % 3);
		unsigned char *c = our_deflate(d, len, 1 + i, i % 2 ? 31 : 15, &clen);

		ref_check(i % 2 ? 31 : 15, c, clen, d, len, NULL, 0, true);
		our_inflate_check(i % 2 ? 31 : 15, c, clen, d, len, true);
		free(c);
		free(d);
	}
	return NULL;
}

struct moved {
	z_stream s;
	unsigned char *d, *c;
	size_t len;
	int part;
};

static void *thr_part(void *arg)
{
	struct moved *m = arg;
	size_t half = m->len / 2;

	if (m->part == 0) {
		m->s.next_in = m->d;
		m->s.avail_in = (uInt)half;
		EQ(deflate(&m->s, Z_NO_FLUSH), Z_OK);
	} else {
		m->s.avail_in = (uInt)(m->len - half);
		EQ(deflate(&m->s, Z_FINISH), Z_STREAM_END);
	}
	return NULL;
}

static void t_threads(void)
{
	pthread_t th[4];
	struct moved m;
	struct wd_zlib_stats a = stats(), b;

	for (uintptr_t i = 0; i < 4; i++)
		CHECK(!pthread_create(&th[i], NULL, thr_streams, (void *)i));
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	/* a stream opened in one thread, which exits, finished in another */
	memset(&m, 0, sizeof(m));
	m.len = 400000;
	m.d = make_data(m.len, 1);
	m.c = malloc(m.len);
	EQ(deflateInit(&m.s, 6), Z_OK);
	m.s.next_out = m.c;
	m.s.avail_out = (uInt)m.len;
	for (m.part = 0; m.part < 2; m.part++) {
		CHECK(!pthread_create(&th[0], NULL, thr_part, &m));
		pthread_join(th[0], NULL);
	}
	ref_check(15, m.c, m.s.total_out, m.d, m.len, NULL, 0, true);
	EQ(deflateEnd(&m.s), Z_OK);
	b = stats();
	CHECK(b.deflate_dev >= a.deflate_dev + 20);
	EQ(b.errors, a.errors);
	free(m.c);
	free(m.d);
}

/* ---- fork ---- */

static void t_fork(void)
{
	size_t len = 300000;
	unsigned char *d = make_data(len, 1), *c = malloc(len), *uo, *ic, *vo, *xo;
	size_t iclen;
	z_stream s, u, v, x;
	pid_t pid;
	int st;

	/* a device stream mid-way (data sent) and one not started yet */
	memset(&s, 0, sizeof(s));
	EQ(deflateInit(&s, 6), Z_OK);
	s.next_in = d;
	s.avail_in = 150000;
	s.next_out = c;
	s.avail_out = (uInt)len;
	EQ(deflate(&s, Z_NO_FLUSH), Z_OK);
	memset(&u, 0, sizeof(u));
	EQ(deflateInit(&u, 6), Z_OK);
	u.next_in = d;
	u.avail_in = 20000;	/* past the threshold, below the device's batch */
	u.next_out = uo = malloc(len);
	u.avail_out = (uInt)len;
	EQ(deflate(&u, Z_NO_FLUSH), Z_OK);
	/* one at a sync point: software takes over in the child */
	memset(&x, 0, sizeof(x));
	EQ(deflateInit(&x, 3), Z_OK);
	x.next_in = d;
	x.avail_in = 150000;
	x.next_out = xo = malloc(len);
	x.avail_out = (uInt)len;
	EQ(deflate(&x, Z_FULL_FLUSH), Z_OK);
	/* a device inflate stream 20 KB in: its state is the parent's */
	ic = our_deflate(d, len, 6, 31, &iclen);
	memset(&v, 0, sizeof(v));
	EQ(inflateInit2(&v, 31), Z_OK);
	v.next_in = ic;
	v.avail_in = 20000;
	v.next_out = vo = malloc(len);
	v.avail_out = (uInt)len;
	EQ(inflate(&v, Z_NO_FLUSH), Z_OK);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		struct wd_zlib_stats a = stats(), b;
		size_t clen;
		unsigned char *cc;

		/* the child's own streams work, on its own queue */
		cc = our_deflate(d, len, 6, 31, &clen);
		ref_check(31, cc, clen, d, len, NULL, 0, true);
		b = stats();
		EQ(b.deflate_dev, a.deflate_dev + 1);
		/* the one that had sent data fails cleanly */
		s.avail_in = 150000;
		EQ(deflate(&s, Z_FINISH), Z_STREAM_ERROR);
		CHECK(s.msg && strstr(s.msg, "fork"));
		EQ(deflate(&s, Z_FINISH), Z_STREAM_ERROR);
		deflateEnd(&s);
		/* the one that had not restarts in the child */
		u.avail_in = (uInt)(len - 20000);
		EQ(deflate(&u, Z_FINISH), Z_STREAM_END);
		ref_check(15, u.next_out - u.total_out, u.total_out, d, len, NULL, 0, true);
		EQ(deflateEnd(&u), Z_OK);
		x.avail_in = 150000;
		EQ(deflate(&x, Z_FINISH), Z_STREAM_END);
		ref_check(15, xo, x.total_out, d, len, NULL, 0, true);
		/* the inflate stream is replayed in software: right */
		v.avail_in = (uInt)(iclen - 20000);
		EQ(inflate(&v, Z_NO_FLUSH), Z_STREAM_END);
		CHECK(!memcmp(vo, d, len));
		fflush(stdout);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("the child failed (status %#x)", st);
	/* the parent's streams go on */
	s.avail_in = 150000;
	EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
	ref_check(15, c, s.total_out, d, len, NULL, 0, true);
	EQ(deflateEnd(&s), Z_OK);
	u.avail_in = (uInt)(len - 20000);
	EQ(deflate(&u, Z_FINISH), Z_STREAM_END);
	ref_check(15, u.next_out - u.total_out, u.total_out, d, len, NULL, 0, true);
	EQ(deflateEnd(&u), Z_OK);
	v.avail_in = (uInt)(iclen - 20000);
	EQ(inflate(&v, Z_NO_FLUSH), Z_STREAM_END);
	CHECK(!memcmp(vo, d, len));
	EQ(inflateEnd(&v), Z_OK);
	x.avail_in = 150000;
	EQ(deflate(&x, Z_FINISH), Z_STREAM_END);
	ref_check(15, xo, x.total_out, d, len, NULL, 0, true);
	EQ(deflateEnd(&x), Z_OK);
	free(xo);
	free(vo);
	free(ic);
	free(uo);
	free(c);
	free(d);
}

/* ---- no device, the device going away ---- */

static char *self_exe;

/* this program again as "--child @name" with @env (NAME=VALUE) added */
static int run_child(const char *name, const char *env1, const char *env2)
{
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (!pid) {
		if (env1)
			putenv((char *)env1);
		if (env2)
			putenv((char *)env2);
		execl(self_exe, self_exe, "--child", name, (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* in a child with WD_DEV_PATH=/dev/ua_none: software, correct, counted */
static void c_nodev(void)
{
	size_t len = 300000, clen;
	unsigned char *d = make_data(len, 1);
	unsigned char *c = our_deflate(d, len, 6, 15, &clen);
	struct wd_zlib_stats b;

	ref_check(15, c, clen, d, len, NULL, 0, true);
	our_inflate_check(15, c, clen, d, len, true);
	b = stats();
	EQ(b.deflate_dev + b.inflate_dev, 0);
	EQ(b.deflate_sw, 1);
	EQ(b.inflate_sw, 1);
	EQ(b.fallbacks, 2);
}

/* ... and WD_ZLIB_FALLBACK=fail: the big stream fails, a small one works */
static void c_nodev_fail(void)
{
	size_t len = 300000, clen;
	unsigned char *d = make_data(len, 1), *c = malloc(len);
	z_stream s;

	memset(&s, 0, sizeof(s));
	EQ(deflateInit(&s, 6), Z_OK);
	s.next_in = d;
	s.avail_in = (uInt)len;
	s.next_out = c;
	s.avail_out = (uInt)len;
	EQ(deflate(&s, Z_FINISH), Z_STREAM_ERROR);
	CHECK(s.msg && strstr(s.msg, "WD_ZLIB_FALLBACK"));
	deflateEnd(&s);
	free(c);
	c = our_deflate(d, 1000, 6, 15, &clen);
	ref_check(15, c, clen, d, 1000, NULL, 0, true);
	EQ(stats().fallbacks, 1);
}

/* a child that exits (the library writes WD_ZLIB_STATS's line then) */
static void c_stats(void)
{
	size_t clen, small;
	unsigned char *d = make_data(100000, 1);
	unsigned char *c = our_deflate(d, 100000, 6, 15, &clen);

	free(our_deflate(d, 1000, 6, 15, &small));
	our_inflate_check(15, c, clen, d, 100000, false);
	free(c);
	free(d);
	fflush(stdout);
	exit(0);
}

/* WD_ZLIB_STATS: one line per process at exit, its counters */
static void t_stats_file(void)
{
	char path[] = "/tmp/t_zlib_stats_XXXXXX", line[512], env[64];
	unsigned long long v[10];
	int fd = mkstemp(path), pid, n;
	FILE *f;

	CHECK(fd >= 0);
	close(fd);
	snprintf(env, sizeof(env), "WD_ZLIB_STATS=%s", path);
	EQ(run_child("stats", env, NULL), 0);
	f = fopen(path, "r");
	CHECK(f && fgets(line, sizeof(line), f));
	n = sscanf(line, "wd-zlib pid=%d deflate_dev=%llu deflate_sw=%llu inflate_dev=%llu inflate_sw=%llu dev_in_bytes=%llu sw_in_bytes=%llu dev_out_bytes=%llu sw_out_bytes=%llu fallbacks=%llu errors=%llu",
		   &pid, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9]);
	EQ(n, 11);
	CHECK(pid > 0);
	EQ(v[0], 1);			/* deflate_dev */
	EQ(v[1], 1);			/* deflate_sw */
	EQ(v[2], 1);			/* inflate_dev */
	/* device: 100000 in and the stream out, then the stream in and
	 * 100000 out */
	EQ(v[4], v[6]);
	CHECK(v[4] > 100000);
	EQ(v[5], 1000);			/* sw in: the small stream's */
	CHECK(!fgets(line, sizeof(line), f));	/* one line */
	fclose(f);
	unlink(path);
}

/* a program linked with the system's zlib, libwd_zlib preloaded: its
 * versioned references bind to us (t_zlib_preload checks the rest) */
static void t_preload(void)
{
	char lib[4096], helper[4096], env[4200];
	char *dir = strdup(self_exe), *slash = strrchr(dir, '/');
	pid_t pid;
	int st;

	*slash = 0;
	snprintf(helper, sizeof(helper), "%s/../libexec/t_zlib_preload", dir);
	snprintf(lib, sizeof(lib), "%s/../../front/lib/libwd_zlib.so.1", dir);
	free(dir);
	if (access(helper, X_OK) || access(lib, R_OK))
		FAIL("%s or %s missing", helper, lib);
	snprintf(env, sizeof(env), "LD_PRELOAD=%s", lib);
	pid = fork();
	CHECK(pid >= 0);
	if (!pid) {
		putenv(env);
		execl(helper, helper, (char *)NULL);
		_exit(127);
	}
	CHECK(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("t_zlib_preload: status %#x", st);
}

static void t_nodev(void)
{
	EQ(run_child("nodev", "WD_DEV_PATH=/dev/ua_none", NULL), 0);
	EQ(run_child("nodev_fail", "WD_DEV_PATH=/dev/ua_none",
		     "WD_ZLIB_FALLBACK=fail"), 0);
}

/*
 * The device goes away: a stream that has used it fails with
 * Z_STREAM_ERROR and a message (never wrong data); streams started after
 * it run in software; a new device serves new streams again.
 */
static void t_device_removed(void)
{
	size_t len = 300000, clen;
	unsigned char *d = make_data(len, 1), *c = malloc(len), *cc, *uo, *vo, *rr, *rc, *wo;
	size_t rclen;
	z_stream s, u, v, w;
	struct wd_zlib_stats a, b;

	EQ(wd_zlib_test_device("7 mode=sva", -1), 0);
	setenv("WD_DEV_PATH", "local/7", 1);
	memset(&s, 0, sizeof(s));
	EQ(deflateInit(&s, 6), Z_OK);
	s.next_in = d;
	s.avail_in = 150000;
	s.next_out = c;
	s.avail_out = (uInt)len;
	EQ(deflate(&s, Z_NO_FLUSH), Z_OK);	/* the device holds some */
	/* one at a sync point */
	memset(&w, 0, sizeof(w));
	EQ(deflateInit2(&w, 6, Z_DEFLATED, 31, 8, 0), Z_OK);
	w.next_in = d;
	w.avail_in = 150000;
	w.next_out = wo = malloc(len);
	w.avail_out = (uInt)len;
	EQ(deflate(&w, Z_SYNC_FLUSH), Z_OK);
	/* two decoders: one at most 64 KiB in, one further */
	cc = our_deflate(d, len, 6, 15, &clen);
	rr = make_data(len, 0);
	rc = our_deflate(rr, len, 6, 15, &rclen);
	memset(&u, 0, sizeof(u));
	EQ(inflateInit(&u), Z_OK);
	u.next_in = cc;
	u.avail_in = 30000;
	u.next_out = uo = malloc(len);
	u.avail_out = (uInt)len;
	EQ(inflate(&u, Z_NO_FLUSH), Z_OK);
	memset(&v, 0, sizeof(v));
	EQ(inflateInit(&v), Z_OK);
	v.next_in = rc;
	v.avail_in = 100000;
	v.next_out = vo = malloc(len);
	v.avail_out = (uInt)len;
	EQ(inflate(&v, Z_NO_FLUSH), Z_OK);
	a = stats();
	EQ(wd_zlib_test_device(NULL, 7), 0);
	s.avail_in = 150000;
	EQ(deflate(&s, Z_FINISH), Z_STREAM_ERROR);
	CHECK(s.msg && strstr(s.msg, "wd_zlib"));
	EQ(deflateEnd(&s), Z_OK);
	/* the one at a sync point goes on in software, right */
	w.avail_in = 150000;
	EQ(deflate(&w, Z_FINISH), Z_STREAM_END);
	ref_check(31, wo, w.total_out, d, 300000, NULL, 0, true);
	EQ(deflateEnd(&w), Z_OK);
	free(wo);
	/* the first: the private zlib replays it and goes on, right */
	u.avail_in = (uInt)(clen - 30000);
	EQ(inflate(&u, Z_NO_FLUSH), Z_STREAM_END);
	EQ(u.total_out, len);
	CHECK(!memcmp(uo, d, len));
	EQ(inflateEnd(&u), Z_OK);
	/* the second: an error with a message, never wrong data */
	v.avail_in = (uInt)(rclen - 100000);
	EQ(inflate(&v, Z_NO_FLUSH), Z_STREAM_ERROR);
	CHECK(v.msg && strstr(v.msg, "wd_zlib"));
	inflateEnd(&v);
	free(uo);
	free(vo);
	free(rr);
	free(rc);
	b = stats();
	EQ(b.errors, a.errors + 2);
	EQ(b.fallbacks, a.fallbacks + 2);
	/* a stream started now: software, right */
	free(cc);
	cc = our_deflate(d, len, 6, 15, &clen);
	ref_check(15, cc, clen, d, len, NULL, 0, true);
	a = stats();
	EQ(a.fallbacks, b.fallbacks + 1);
	EQ(a.deflate_sw, b.deflate_sw + 1);
	/* a device again: the device again */
	EQ(wd_zlib_test_device("7 mode=sva", -1), 0);
	free(cc);
	cc = our_deflate(d, len, 6, 15, &clen);
	ref_check(15, cc, clen, d, len, NULL, 0, true);
	b = stats();
	EQ(b.deflate_dev, a.deflate_dev + 1);
	free(cc);
	free(c);
	free(d);
}


/*
 * strm->adler as zlib keeps it: the wrapper's check value (zlib: Adler-32,
 * gzip: CRC-32) after every call; a raw stream's is the caller's after init
 * (zlib's gzappend keeps its own CRC there). Ours against the reference,
 * on the device (200000 bytes) and in software (1000).
 */
static void t_adler(void)
{
	static const int wbits[] = { -15, 15, 31 };
	static const size_t sizes[] = { 1000, 200000 };

	for (unsigned w = 0; w < 3; w++)
		for (unsigned z = 0; z < 2; z++)
			for (int ref = 0; ref < 2; ref++) {
				size_t len = sizes[z], cap = 2 * len + 1000, clen;
				unsigned char *d = make_data(len, 3), *c = malloc(cap);
				unsigned char *o = malloc(len);
				uLong want;
				z_stream s;

				memset(&s, 0, sizeof(s));
				EQ(ref ? R.deflateInit2_(&s, 6, Z_DEFLATED, wbits[w], 8, 0,
							 ZLIB_VERSION, sizeof(s)) :
					 deflateInit2(&s, 6, Z_DEFLATED, wbits[w], 8, 0), Z_OK);
				want = wbits[w] == 31 ? crc32(0, d, (uInt)len) :
				       wbits[w] > 0 ? adler32(1, d, (uInt)len) : 0x12345678;
				s.adler = 0x12345678;	/* the caller's own, raw */
				s.next_in = d;
				s.avail_in = (uInt)len;
				s.next_out = c;
				s.avail_out = (uInt)cap;
				EQ(ref ? R.deflate(&s, Z_FINISH) : deflate(&s, Z_FINISH),
				   Z_STREAM_END);
				if (s.adler != want)
					FAIL("%s deflate, windowBits %d, %zu bytes: adler %#lx, not %#lx",
					     ref ? "zlib's" : "our", wbits[w], len, s.adler, want);
				clen = s.total_out;
				EQ(ref ? R.deflateEnd(&s) : deflateEnd(&s), Z_OK);
				memset(&s, 0, sizeof(s));
				EQ(ref ? R.inflateInit2_(&s, wbits[w], ZLIB_VERSION, sizeof(s)) :
					 inflateInit2(&s, wbits[w]), Z_OK);
				if (wbits[w] < 0)
					want = 0x9abcdef0;
				s.adler = 0x9abcdef0;
				s.next_in = c;
				s.avail_in = (uInt)clen;
				s.next_out = o;
				s.avail_out = (uInt)len;
				EQ(ref ? R.inflate(&s, Z_NO_FLUSH) : inflate(&s, Z_NO_FLUSH),
				   Z_STREAM_END);
				if (s.adler != want)
					FAIL("%s inflate, windowBits %d, %zu bytes: adler %#lx, not %#lx",
					     ref ? "zlib's" : "our", wbits[w], len, s.adler, want);
				CHECK(!memcmp(o, d, len));
				EQ(ref ? R.inflateEnd(&s) : inflateEnd(&s), Z_OK);
				free(o);
				free(c);
				free(d);
			}
}

/* inflateBack()'s callbacks: input in random pieces, output collected */
struct back_io {
	unsigned char *c;
	size_t clen, at, piece;
	unsigned char *out;
	size_t len, cap, max_out;
	int fail_out_at;	/* out() fails on this call (1-based), 0 never */
	int outs;
};

static unsigned back_in(void *d, z_const unsigned char **buf)
{
	struct back_io *io = d;
	size_t n = io->clen - io->at;

	if (n > io->piece)
		n = 1 + rnd_upto(io->piece);
	if (n > io->clen - io->at)
		n = io->clen - io->at;
	*buf = io->c + io->at;
	io->at += n;
	return (unsigned)n;
}

static int back_out(void *d, unsigned char *buf, unsigned len)
{
	struct back_io *io = d;

	if (++io->outs == io->fail_out_at)
		return 1;
	if (len > io->max_out)
		io->max_out = len;
	if (io->len + len > io->cap)
		return 1;
	memcpy(io->out + io->len, buf, len);
	io->len += len;
	return 0;
}

/*
 * inflateBack() (pigz -d, zlib's gun) on both sides of the threshold:
 * zlib's raw stream decoded through the callbacks in random pieces, out()
 * never given more than the window, the bytes after the stream left in
 * next_in, in() running dry (Z_BUF_ERROR, next_in NULL), out() failing
 * (Z_BUF_ERROR, next_in set), corrupt data (Z_DATA_ERROR); a big stream on
 * the device.
 */
static void t_infback(void)
{
	static unsigned char window[1 << 15];
	static const size_t sizes[] = { 3000, 600000 };

	for (unsigned z = 0; z < 4; z++) {
		bool ref = z & 1;	/* the same steps on zlib's, the reference */
		int (*init)(z_streamp, int, unsigned char *, const char *, int) =
			ref ? R.inflateBackInit_ : inflateBackInit_;
		int (*back)(z_streamp, in_func, void *, out_func, void *) =
			ref ? R.inflateBack : inflateBack;
		int (*end)(z_streamp) = ref ? R.inflateBackEnd : inflateBackEnd;
		struct wd_zlib_stats a = stats(), b;
		size_t len = sizes[z / 2], cap = len * 2 + 1000, clen;
		unsigned char *d = make_data(len, 2), *c = malloc(cap + 5);
		struct back_io io;
		z_stream s;

		clen = ref_deflate_raw(d, len, c, cap);
		memcpy(c + clen, "TAIL!", 5);	/* not the stream's */

		memset(&s, 0, sizeof(s));
		EQ(init(&s, 15, window, ZLIB_VERSION, (int)sizeof(s)), Z_OK);
		memset(&io, 0, sizeof(io));
		io.c = c;
		io.clen = clen + 5;
		io.piece = 20000;
		io.out = malloc(len + 1);
		io.cap = len + 1;
		EQ(back(&s, back_in, &io, back_out, &io), Z_STREAM_END);
		EQ(io.len, len);
		CHECK(!memcmp(io.out, d, len));
		CHECK(io.max_out <= sizeof(window));
		/* what in() gave beyond the stream is still in next_in */
		CHECK(s.next_in && s.next_in + s.avail_in == c + io.at);
		EQ((size_t)(io.at - s.avail_in), clen);
		free(io.out);

		/* in() runs dry before the end */
		memset(&io, 0, sizeof(io));
		io.c = c;
		io.clen = clen / 2;
		io.piece = 7000;
		io.out = malloc(len + 1);
		io.cap = len + 1;
		s.next_in = Z_NULL;	/* in() gives all the input */
		EQ(back(&s, back_in, &io, back_out, &io), Z_BUF_ERROR);
		CHECK(s.next_in == Z_NULL);
		CHECK(io.len < len && !memcmp(io.out, d, io.len));
		free(io.out);

		/* out() fails */
		memset(&io, 0, sizeof(io));
		io.c = c;
		io.clen = clen;
		io.piece = 20000;
		io.out = malloc(len + 1);
		io.cap = len + 1;
		io.fail_out_at = 1;
		s.next_in = Z_NULL;
		EQ(back(&s, back_in, &io, back_out, &io), Z_BUF_ERROR);
		CHECK(s.next_in != Z_NULL);
		free(io.out);

		/* corrupt: an invalid block type right at the start */
		{
			unsigned char bad[64];

			memset(bad, 0xff, sizeof(bad));
			memset(&io, 0, sizeof(io));
			io.c = bad;
			io.clen = sizeof(bad);
			io.piece = sizeof(bad);
			io.out = malloc(len + 1);
			io.cap = len + 1;
			s.next_in = Z_NULL;
			EQ(back(&s, back_in, &io, back_out, &io), Z_DATA_ERROR);
			CHECK(s.msg != NULL);
			free(io.out);
		}
		if (!ref)	/* inflate() refuses an inflateBack stream */
			EQ(inflate(&s, Z_NO_FLUSH), Z_STREAM_ERROR);
		EQ(end(&s), Z_OK);
		/* counted as they end: 600000 bytes in 20000-byte pieces on the
		 * device, 3000 in software (the first piece is the first call's
		 * input, the threshold's measure) */
		b = stats();
		if (z == 2)
			CHECK(b.inflate_dev > a.inflate_dev);
		if (z == 0)
			CHECK(b.inflate_dev == a.inflate_dev && b.inflate_sw > a.inflate_sw);
		free(c);
		free(d);
	}
}

/*
 * deflateParams() on a device stream with much input and little room:
 * what it keeps back is bounded (zlib compresses at most what fits), the
 * caller's input is not all swallowed into memory, and the stream ends
 * valid with the rest.
 */
static void t_params_bounded(void)
{
	size_t len = 8 << 20, cap = len + (len >> 3) + 1000, out = 0;
	unsigned char *d = make_data(len, 1), *c = malloc(cap);
	unsigned pend;
	int bits, ret;
	z_stream s;

	memset(&s, 0, sizeof(s));
	EQ(deflateInit2(&s, 6, Z_DEFLATED, 31, 8, 0), Z_OK);
	s.next_in = d;
	s.avail_in = 100000;		/* the device's */
	s.next_out = c;
	s.avail_out = (uInt)cap;
	EQ(deflate(&s, Z_NO_FLUSH), Z_OK);
	out = s.total_out;
	s.avail_in = (uInt)(len - 100000);
	s.avail_out = 4096;
	ret = deflateParams(&s, 1, Z_DEFAULT_STRATEGY);
	CHECK(ret == Z_OK || ret == Z_BUF_ERROR);
	EQ(deflatePending(&s, &pend, &bits), Z_OK);
	if (pend > (1u << 20))
		FAIL("deflateParams holds %u bytes back", pend);
	CHECK(s.avail_in > len / 2);	/* left to the caller, mostly */
	do {
		s.avail_out = (uInt)(cap - s.total_out);
		ret = deflate(&s, Z_FINISH);
	} while (ret == Z_OK);
	EQ(ret, Z_STREAM_END);
	CHECK(s.total_out > out);
	ref_check(31, c, s.total_out, d, len, NULL, 0, true);
	EQ(deflateEnd(&s), Z_OK);
	free(c);
	free(d);
}

/* the rest of the API: what forwards, what migrates, what refuses */
static void t_api(void)
{
	size_t len = 200000, clen;
	unsigned char *d = make_data(len, 1), *c = malloc(2 * len), *o = malloc(len);
	struct wd_zlib_stats a, b;
	z_stream s, t;
	unsigned char buf[40000];
	uInt n;
	unsigned pend;
	int bits;

	/* deflateParams after staged bytes: software, our output first */
	memset(&s, 0, sizeof(s));
	EQ(deflateInit2(&s, 6, Z_DEFLATED, 31, 8, 0), Z_OK);
	s.next_in = d;
	s.avail_in = 5000;
	s.next_out = c;
	s.avail_out = 3;
	EQ(deflate(&s, Z_NO_FLUSH), Z_OK);
	EQ(deflateParams(&s, 1, Z_DEFAULT_STRATEGY), Z_OK);
	s.avail_in = (uInt)(len - 5000);
	do {
		s.avail_out = 1000;
		EQ(deflatePending(&s, &pend, &bits), Z_OK);
	} while (deflate(&s, Z_FINISH) == Z_OK);
	ref_check(31, c, s.total_out, d, len, NULL, 0, true);
	EQ(deflateEnd(&s), Z_OK);

	/* deflatePrime on a device stream (pigz's empty fixed block after a
	 * sync point): it migrates, the stream stays valid */
	memset(&s, 0, sizeof(s));
	EQ(deflateInit2(&s, 6, Z_DEFLATED, -15, 8, 0), Z_OK);
	s.next_in = d;
	s.avail_in = 100000;
	s.next_out = c;
	s.avail_out = (uInt)(2 * len);
	EQ(deflate(&s, Z_SYNC_FLUSH), Z_OK);
	EQ(deflatePrime(&s, 10, 2), Z_OK);
	s.avail_in = (uInt)(len - 100000);
	EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
	ref_check(-15, c, s.total_out, d, len, NULL, 0, true);
	EQ(deflateEnd(&s), Z_OK);

	/* deflateCopy of a device stream whose output is held back (a full
	 * output buffer): both go on, both right */
	memset(&s, 0, sizeof(s));
	EQ(deflateInit2(&s, 6, Z_DEFLATED, 31, 8, 0), Z_OK);
	s.next_in = d;
	s.avail_in = 150000;
	s.next_out = c;
	s.avail_out = 100;
	EQ(deflate(&s, Z_SYNC_FLUSH), Z_OK);
	EQ(s.avail_out, 0);
	EQ(deflateCopy(&t, &s), Z_OK);
	{
		unsigned char *c2 = malloc(2 * len);
		size_t head = s.total_out;

		memcpy(c2, c, head);
		t.next_out = c2 + head;
		for (z_stream *z = &s; z; z = z == &s ? &t : NULL) {
			z->avail_in += (uInt)(len - 150000);
			z->avail_out = (uInt)(2 * len - head);
			EQ(deflate(z, Z_FINISH), Z_STREAM_END);
		}
		ref_check(31, c, s.total_out, d, len, NULL, 0, true);
		ref_check(31, c2, t.total_out, d, len, NULL, 0, true);
		EQ(deflateEnd(&t), Z_OK);
		free(c2);
	}
	EQ(deflateEnd(&s), Z_OK);

	/* a device stream: reset and used again, small then big */
	a = stats();
	memset(&s, 0, sizeof(s));
	EQ(deflateInit(&s, 5), Z_OK);
	for (int i = 0; i < 3; i++) {
		size_t l = i == 1 ? 3000 : len;

		s.next_in = d;
		s.avail_in = (uInt)l;
		s.next_out = c;
		s.avail_out = (uInt)(2 * len);
		EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
		ref_check(15, c, s.total_out, d, l, NULL, 0, true);
		EQ(s.total_in, l);
		if (i == 0) {
			/* a device stream: tuning is the device's, no window */
			EQ(deflateTune(&s, 4, 4, 16, 16), Z_OK);
			n = sizeof(buf);
			EQ(deflateGetDictionary(&s, buf, &n), Z_STREAM_ERROR);
		}
		EQ(deflateReset(&s), Z_OK);
		EQ(s.total_in, 0);
	}
	EQ(deflateEnd(&s), Z_OK);
	b = stats();
	EQ(b.deflate_dev, a.deflate_dev + 2);
	EQ(b.deflate_sw, a.deflate_sw + 1);

	/* gzip header: software, read back by our inflateGetHeader */
	{
		gz_header h, r;
		unsigned char name[64];

		memset(&h, 0, sizeof(h));
		h.name = (Bytef *)"warp.txt";
		h.time = 12345;
		h.hcrc = 1;
		memset(&s, 0, sizeof(s));
		EQ(deflateInit2(&s, 6, Z_DEFLATED, 31, 8, 0), Z_OK);
		EQ(deflateSetHeader(&s, &h), Z_OK);
		s.next_in = d;
		s.avail_in = (uInt)len;
		s.next_out = c;
		s.avail_out = (uInt)(2 * len);
		EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
		clen = s.total_out;
		EQ(deflateEnd(&s), Z_OK);
		ref_check(31, c, clen, d, len, NULL, 0, true);
		/* our device inflate parses it (FNAME, FHCRC) */
		our_inflate_check(31, c, clen, d, len, true);
		memset(&r, 0, sizeof(r));
		r.name = name;
		r.name_max = sizeof(name);
		memset(&t, 0, sizeof(t));
		EQ(inflateInit2(&t, 31), Z_OK);
		EQ(inflateGetHeader(&t, &r), Z_OK);
		t.next_in = c;
		t.avail_in = (uInt)clen;
		t.next_out = o;
		t.avail_out = (uInt)len;
		EQ(inflate(&t, Z_NO_FLUSH), Z_STREAM_END);
		EQ(r.done, 1);
		EQ(r.time, 12345);
		CHECK(!strcmp((char *)name, "warp.txt"));
		EQ(inflateEnd(&t), Z_OK);
	}

	/* inflate: a device stream at most 64 KiB in is replayed in
	 * software for the calls the device cannot serve; further in, they
	 * refuse with a message */
	free(c);
	c = our_deflate(d, len, 6, 15, &clen);
	memset(&s, 0, sizeof(s));
	EQ(inflateInit(&s), Z_OK);
	s.next_in = c;
	s.avail_in = 20000;
	s.next_out = o;
	s.avail_out = 1000;	/* the device keeps some output */
	EQ(inflate(&s, Z_NO_FLUSH), Z_OK);
	EQ(inflateCopy(&t, &s), Z_OK);
	CHECK(inflateMark(&s) >= 0);
	t.avail_in = s.avail_in + (uInt)clen - 20000;
	t.avail_out = (uInt)len - 1000;
	EQ(inflate(&t, Z_NO_FLUSH), Z_STREAM_END);
	EQ(t.total_out, len);
	CHECK(!memcmp(o, d, len));
	EQ(inflateEnd(&t), Z_OK);
	EQ(inflateEnd(&s), Z_OK);
	{
		unsigned char *r = make_data(len, 0), *rc;
		size_t rclen;

		rc = our_deflate(r, len, 6, 15, &rclen);
		memset(&s, 0, sizeof(s));
		EQ(inflateInit(&s), Z_OK);
		s.next_in = rc;
		s.avail_in = 100000;
		s.next_out = o;
		s.avail_out = (uInt)len;
		EQ(inflate(&s, Z_NO_FLUSH), Z_OK);
		EQ(inflateCopy(&t, &s), Z_STREAM_ERROR);
		CHECK(s.msg && strstr(s.msg, "wd_zlib"));
		EQ(inflateMark(&s), -(1L << 16));
		EQ(inflateSyncPoint(&s), Z_STREAM_ERROR);
		n = sizeof(buf);
		EQ(inflateGetDictionary(&s, buf, &n), Z_STREAM_ERROR);
		inflateEnd(&s);
		free(r);
		free(rc);
	}
	memset(&s, 0, sizeof(s));
	EQ(inflateInit(&s), Z_OK);
	s.next_in = c;
	s.avail_in = (uInt)clen;
	s.next_out = o;
	s.avail_out = (uInt)len;
	EQ(inflate(&s, Z_NO_FLUSH), Z_STREAM_END);
	CHECK(!memcmp(o, d, len));
	/* reset: a small first call now, software: the calls work */
	EQ(inflateReset2(&s, -15), Z_OK);
	EQ(inflateReset2(&s, 15), Z_OK);
	s.next_in = c;
	s.avail_in = 100;
	s.next_out = o;
	s.avail_out = (uInt)len;
	EQ(inflate(&s, Z_NO_FLUSH), Z_OK);
	EQ(inflateCopy(&t, &s), Z_OK);
	CHECK(inflateMark(&s) >= 0);
	t.avail_in = (uInt)clen - 100;
	EQ(inflate(&t, Z_NO_FLUSH), Z_STREAM_END);
	EQ(t.total_out, len);
	CHECK(!memcmp(o, d, len));
	EQ(inflateEnd(&t), Z_OK);
	EQ(inflateEnd(&s), Z_OK);
	free(c);
	free(o);
	free(d);
}

/*
 * Z_FINISH with more input than the device gathers, after input it did
 * gather, and an output buffer that fills while the gathered bytes are
 * sent: the next Z_FINISH must send the caller's input (zpipe.c does this:
 * 16 KiB reads, the last one with Z_FINISH), not return Z_BUF_ERROR with
 * the input left and the stream unfinished.
 */
static void t_finish_staged(void)
{
	size_t n1 = 60000, n2 = 200000, cap = n1 + n2 + 10000;
	unsigned char *d = make_data(n1 + n2, 0), *c = malloc(cap);
	z_stream s;
	int ret;

	memset(&s, 0, sizeof(s));
	EQ(deflateInit(&s, 1), Z_OK);
	s.next_in = d;
	s.avail_in = (uInt)n1;
	s.next_out = c;
	s.avail_out = (uInt)cap;
	EQ(deflate(&s, Z_NO_FLUSH), Z_OK);
	s.avail_in = (uInt)n2;
	do {
		s.avail_out = (uInt)(cap - s.total_out < 1000 ? cap - s.total_out : 1000);
		ret = deflate(&s, Z_FINISH);
	} while (ret == Z_OK);
	EQ(ret, Z_STREAM_END);
	EQ(s.avail_in, 0);
	EQ(s.total_in, n1 + n2);
	ref_check(15, c, s.total_out, d, n1 + n2, NULL, 0, true);
	EQ(deflateEnd(&s), Z_OK);
	free(c);
	free(d);
}

/*
 * inflateCopy of a zlib stream with a preset dictionary, on the device:
 * the copy replays the stream, Z_NEED_DICT and the dictionary included,
 * and both streams go on to the data (Python: decompressobj(zdict=).copy()).
 */
static void t_dict_copy(void)
{
	size_t len = 300000;
	unsigned char *d = make_data(len, 1), *dict = make_data(3000, 1);
	unsigned char *c = malloc(len + 1000), *o = malloc(len), *o2 = malloc(len);
	z_stream s, t;
	size_t clen;

	memset(&s, 0, sizeof(s));
	EQ(deflateInit(&s, 6), Z_OK);
	EQ(deflateSetDictionary(&s, dict, 3000), Z_OK);
	s.next_in = d;
	s.avail_in = (uInt)len;
	s.next_out = c;
	s.avail_out = (uInt)len + 1000;
	EQ(deflate(&s, Z_FINISH), Z_STREAM_END);
	clen = s.total_out;
	EQ(deflateEnd(&s), Z_OK);
	ref_check(15, c, clen, d, len, dict, 3000, true);

	memset(&s, 0, sizeof(s));
	EQ(inflateInit(&s), Z_OK);
	s.next_in = c;
	s.avail_in = (uInt)clen;
	s.next_out = o;
	s.avail_out = 1000;
	EQ(inflate(&s, Z_NO_FLUSH), Z_NEED_DICT);
	EQ(inflateSetDictionary(&s, dict, 3000), Z_OK);
	EQ(inflate(&s, Z_NO_FLUSH), Z_OK);
	EQ(s.total_out, 1000);
	EQ(inflateCopy(&t, &s), Z_OK);
	memcpy(o2, o, 1000);
	t.next_out = o2 + 1000;
	t.avail_out = (uInt)len - 1000;
	s.avail_out = (uInt)len - 1000;
	EQ(inflate(&s, Z_FINISH), Z_STREAM_END);
	EQ(inflate(&t, Z_FINISH), Z_STREAM_END);
	EQ(s.total_out, len);
	EQ(t.total_out, len);
	CHECK(!memcmp(o, d, len));
	CHECK(!memcmp(o2, d, len));
	EQ(inflateEnd(&t), Z_OK);
	EQ(inflateEnd(&s), Z_OK);
	free(c);
	free(o);
	free(o2);
	free(d);
	free(dict);
}

/*
 * A thread's TLS destructor that runs after the library's (a key created
 * later) and uses zlib: the thread's queue was dropped, never used again.
 */
static pthread_key_t tls_key;
static int tls_ret = -100;

static int tls_compress(void)
{
	size_t n = 100000;
	unsigned char *d = make_data(n, 1), *c = malloc(n + 1000);
	uLongf cl = n + 1000;
	int ret = compress2(c, &cl, d, n, 6);

	if (ret == Z_OK) {
		size_t on;
		int r;
		unsigned char *o = ref_inflate(15, c, cl, NULL, 0, &on, &r);

		if (r != Z_STREAM_END || on != n || memcmp(o, d, n))
			ret = -99;
		free(o);
	}
	free(c);
	free(d);
	return ret;
}

static void tls_dtor(void *p)
{
	(void)p;
	tls_ret = tls_compress();
}

static void *tls_thread(void *a)
{
	pthread_setspecific(tls_key, (void *)1);
	if (tls_compress() != Z_OK)
		return (void *)1;
	return a;
}

static void t_tls_dtor(void)
{
	struct wd_zlib_stats a = stats(), b;
	pthread_t th;
	void *r;

	EQ(pthread_key_create(&tls_key, tls_dtor), 0);
	EQ(pthread_create(&th, NULL, tls_thread, NULL), 0);
	EQ(pthread_join(th, &r), 0);
	CHECK(r == NULL);
	EQ(tls_ret, Z_OK);
	b = stats();
	EQ(b.deflate_dev, a.deflate_dev + 2);
	pthread_key_delete(tls_key);
}

/*
 * inflateReset2() turns the trailer check back on after inflateValidate(0)
 * (zlib recomputes the wrapper bits); inflateReset() keeps it off.
 */
static void t_validate_reset2(void)
{
	size_t len = 200000, clen;
	unsigned char *d = make_data(len, 2), *o = malloc(len);
	unsigned char *c = our_deflate(d, len, 6, 15, &clen);
	z_stream s;

	c[clen - 1] ^= 1;	/* a wrong Adler-32 */
	memset(&s, 0, sizeof(s));
	EQ(inflateInit(&s), Z_OK);
	EQ(inflateValidate(&s, 0), Z_OK);
	for (int i = 0; i < 3; i++) {
		s.next_in = c;
		s.avail_in = (uInt)clen;
		s.next_out = o;
		s.avail_out = (uInt)len;
		/* 0: not checked; 1 (after inflateReset): still not; 2
		 * (after inflateReset2): checked again */
		EQ(inflate(&s, Z_NO_FLUSH), i < 2 ? Z_STREAM_END : Z_DATA_ERROR);
		if (i == 0)
			EQ(inflateReset(&s), Z_OK);
		else
			EQ(inflateReset2(&s, 15), Z_OK);
	}
	EQ(inflateEnd(&s), Z_OK);
	free(c);
	free(o);
	free(d);
}

/*
 * A flush whose output exactly fills avail_out returns Z_OK with
 * avail_out 0; zlib.h has the caller call again with the same flush, and
 * that call is Z_OK too (zlib's last_flush = -1), not Z_BUF_ERROR (OpenSSH
 * treats anything but Z_OK there as fatal).
 */
static void t_flush_exact(void)
{
	size_t len = 100000, cap = 200000;
	unsigned char *d = make_data(len, 2), *c = malloc(cap);
	int fls[] = { Z_SYNC_FLUSH, Z_FULL_FLUSH, Z_PARTIAL_FLUSH };

	for (int k = 0; k < 3; k++) {
		z_stream s;
		size_t n = 0;

		for (int pass = 0; pass < 2; pass++) {
			memset(&s, 0, sizeof(s));
			EQ(deflateInit(&s, 6), Z_OK);
			s.next_in = d;
			s.avail_in = (uInt)len;
			s.next_out = c;
			s.avail_out = (uInt)(pass ? n : cap);
			EQ(deflate(&s, fls[k]), Z_OK);
			if (!pass) {
				n = s.total_out;
				CHECK(s.avail_out > 0);
			} else {
				EQ(s.avail_out, 0);
				EQ(s.avail_in, 0);
				s.avail_out = 1000;
				EQ(deflate(&s, fls[k]), Z_OK);
				CHECK(s.avail_out > 0);
			}
			EQ(deflateEnd(&s), Z_DATA_ERROR);	/* not finished */
		}
	}
	free(c);
	free(d);
}

/*
 * inflateBack() over input that ends where the stream ends (a raw stream,
 * nothing after it): in() is asked for more only when inflate needs it,
 * never while output is held back (the device's, or zlib's pending copy),
 * so the end of the input is not taken for a truncated stream (Z_BUF_ERROR
 * and lost output). Random pieces, the reference doing the same.
 */
static void t_infback_end(void)
{
	static unsigned char window[1 << 15];
	size_t len = 2 << 20, cap = len + len / 8 + 1000, clen;
	unsigned char *d = make_data(len, 2), *c = malloc(cap);
	z_stream s;

	clen = ref_deflate_raw(d, len, c, cap);
	for (int i = 0; i < 40; i++) {
		bool ref = i & 1;
		struct back_io io;

		memset(&s, 0, sizeof(s));
		EQ((ref ? R.inflateBackInit_ : inflateBackInit_)(&s, 15, window,
			ZLIB_VERSION, (int)sizeof(s)), Z_OK);
		memset(&io, 0, sizeof(io));
		io.c = c;
		io.clen = clen;
		io.piece = 8192 + rnd_upto(60000);
		io.out = malloc(len + 1);
		io.cap = len + 1;
		EQ((ref ? R.inflateBack : inflateBack)(&s, back_in, &io, back_out, &io),
		   Z_STREAM_END);
		EQ(io.len, len);
		CHECK(!memcmp(io.out, d, len));
		EQ((ref ? R.inflateBackEnd : inflateBackEnd)(&s), Z_OK);
		free(io.out);
	}
	free(c);
	free(d);
}

static const struct test tests[] = {
	{ "ours", t_ours },
	{ "roundtrip", t_roundtrip },
	{ "inflate_ref", t_inflate_ref },
	{ "flushes", t_flushes },
	{ "threshold", t_threshold },
	{ "deflate_codes", t_deflate_codes },
	{ "inflate_codes", t_inflate_codes },
	{ "gzip_members", t_gzip_members },
	{ "dictionary", t_dictionary },
	{ "migrate", t_migrate },
	{ "finish_staged", t_finish_staged },
	{ "dict_copy", t_dict_copy },
	{ "tls_dtor", t_tls_dtor },
	{ "validate_reset2", t_validate_reset2 },
	{ "flush_exact", t_flush_exact },
	{ "params_bounded", t_params_bounded },
	{ "gz_compress", t_gz_compress },
	{ "api", t_api },
	{ "adler", t_adler },
	{ "infback", t_infback },
	{ "infback_end", t_infback_end },
	{ "many_streams", t_many_streams },
	{ "threads", t_threads },
	{ "fork", t_fork },
	{ "preload", t_preload },
	{ "nodev", t_nodev },
	{ "stats_file", t_stats_file },
	{ "device_removed", t_device_removed },
};

static const struct test children[] = {
	{ "nodev", c_nodev },
	{ "nodev_fail", c_nodev_fail },
	{ "stats", c_stats },
};

static int run_one(const struct test *t)
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		cur_test = t->name;
		alarm(300);
		t->fn();
#ifdef __SANITIZE_ADDRESS__
		if (__lsan_do_recoverable_leak_check())
			FAIL("LeakSanitizer found leaks (above)");
#endif
		printf("PASS: %s.%s\n", prog, t->name);
		fflush(stdout);
		_exit(0);
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 77))
		return 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 1)
		printf("FAIL: %s.%s: died (status %#x)\n", prog, t->name, st);
	return 1;
}

int main(int argc, char **argv)
{
	int fails = 0, ran = 0;
	size_t n = sizeof(tests) / sizeof(tests[0]);

	setvbuf(stdout, NULL, _IOLBF, 0);
	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	/* the library reads these when loaded: the tests expect the defaults
	 * (T_ZLIB_KEEP_ENV=1 keeps them, to explore) */
	if ((getenv("WD_ZLIB_THRESHOLD") || getenv("WD_ZLIB_FALLBACK")) &&
	    !getenv("T_ZLIB_KEEP_ENV") && argc < 3) {
		unsetenv("WD_ZLIB_THRESHOLD");
		unsetenv("WD_ZLIB_FALLBACK");
		execv("/proc/self/exe", argv);
		return 2;
	}
	self_exe = realpath("/proc/self/exe", NULL);
	if (!getenv("WD_DEV_PATH"))
		setenv("WD_DEV_PATH", "local", 1);
	ref_load();
	/* the data and splits are fixed; T_ZLIB_SEED=N explores others */
	if (getenv("T_ZLIB_SEED"))
		rng_state ^= strtoull(getenv("T_ZLIB_SEED"), NULL, 0) * 0x9e3779b97f4a7c15ull;
	if (argc == 3 && !strcmp(argv[1], "--child")) {
		for (size_t i = 0; i < sizeof(children) / sizeof(children[0]); i++)
			if (!strcmp(argv[2], children[i].name)) {
				cur_test = children[i].name;
				children[i].fn();
				fflush(stdout);
				_exit(0);
			}
		return 2;
	}
	if (argc == 2 && !strcmp(argv[1], "-l")) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", tests[i].name);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		bool want = argc < 2;

		for (int a = 1; a < argc; a++)
			want |= !strcmp(argv[a], tests[i].name);
		if (!want)
			continue;
		ran++;
		fails += run_one(&tests[i]);
	}
	if (!ran) {
		fprintf(stderr, "t_zlib: no such test\n");
		return 2;
	}
	return fails ? 1 : 0;
}
