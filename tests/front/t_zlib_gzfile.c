// SPDX-License-Identifier: MIT
/*
 * t_zlib_gzfile: zlib's gz* file API and its one-shots (compress2,
 * uncompress2, compressBound) through the zlib front door, checked against
 * the system gzip (its own deflate, not zlib's) and checksums computed here:
 *
 *   t_zlib_gzfile          linked with -lwd_zlib (build/front/lib, rpath),
 *                          as a program replacing -lz is
 *   t_zlib_gzfile-preload  the same source linked with the system -lz
 *                          (-DTZV_PRELOAD), run with the library preloaded
 *
 * Both re-execute themselves once with WD_DEV_PATH=local (unless set) and,
 * the second, LD_PRELOAD=<the library> (T_ZLIB_LIB, default
 * build/front/lib/libwd_zlib.so.1), so that the library sees them from its
 * start; then LD_PRELOAD is dropped, and gzip runs as itself. The default
 * threshold applies. The counters (wd_zlib_get_stats(), looked up with
 * dlsym in the preloaded run) must show device deflate and inflate
 * streams: the test fails when the preload did nothing.
 *
 * One line per check: "PASS: <prog>.<check>" or "FAIL: <prog>.<check>:
 * reason"; "INFO: " lines say what went where. Exit status 1 on a failure.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "wd_zlib.h"

#ifndef TZV_LIB
#error "TZV_LIB: the library's path (tests/front/zlib-val.mk)"
#endif

static const char *prog;
static char tmp[] = "/tmp/t_zlib_gzfile.XXXXXX";
static char why[512];
static int failures;
static void (*get_stats)(struct wd_zlib_stats *);

/* the failure of the current check, its reason in `why`: returns -1 */
static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return -1;
}
#define CHECK(c, ...) do { if (!(c)) return bad(__VA_ARGS__); } while (0)

static void run(const char *name, int (*fn)(void))
{
	why[0] = 0;
	if (fn() == 0) {
		printf("PASS: %s.%s\n", prog, name);
	} else {
		printf("FAIL: %s.%s: %s\n", prog, name, why);
		failures++;
	}
	fflush(stdout);
}

/* a path in the scratch directory (one of a few static buffers) */
static const char *path(const char *name)
{
	static char buf[4][4096];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, name);
	return buf[i];
}

/* a shell command (gzip's side); 0 when it exits 0 */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(stdout);
	return system(cmd) == 0 ? 0 : -1;
}

static unsigned char *read_file(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	unsigned char *b = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (b = malloc(n + 1)) &&
	    fread(b, 1, n, f) == (size_t)n) {
		*len = n;
	} else {
		free(b);
		b = NULL;
	}
	fclose(f);
	return b;
}

static int write_file(const char *p, const void *b, size_t len)
{
	FILE *f = fopen(p, "wb");
	int ok = f && fwrite(b, 1, len, f) == len;

	if (f && fclose(f))
		ok = 0;
	return ok ? 0 : -1;
}

/* does `gzip -dc p` give exactly len bytes of want? */
static int gunzip_equals(const char *p, const void *want, size_t len)
{
	const char *out = path("gunzip.out");
	unsigned char *got;
	size_t n = 0;
	int ok;

	if (sh("gzip -dc '%s' > '%s'", p, out))
		return bad("gzip -d refuses %s", p);
	got = read_file(out, &n);
	ok = got && n == len && !memcmp(got, want, len);
	if (!ok && got) {
		size_t i = 0;

		while (i < n && i < len && got[i] == ((const unsigned char *)want)[i])
			i++;
		bad("gzip -d of %s: %zu bytes, expected %zu, first difference at %zu",
		    p, n, len, i);
	} else if (!got) {
		bad("cannot read %s", out);
	}
	free(got);
	return ok ? 0 : -1;
}

/* ---- independent checksums (gzip and zlib trailers made here) ---- */

static uint32_t my_crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static uint32_t my_adler32(const unsigned char *p, size_t n)
{
	uint32_t a = 1, b = 0;

	while (n--) {
		a = (a + *p++) % 65521;
		b = (b + a) % 65521;
	}
	return b << 16 | a;
}

/* ---- inputs ---- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

/* text-like lines, with a run of random bytes now and then */
static unsigned char *mixed(size_t len)
{
	static const char *const words[] = {
		"deflate", "inflate", "stream", "window", "queue", "device",
		"the", "of", "a", "buffer", "flush", "finish", "header",
	};
	unsigned char *b = malloc(len + 1);
	size_t i = 0;

	while (b && i < len) {
		if (rnd() % 50 == 0) {
			for (int k = rnd() % 300; k-- && i < len;)
				b[i++] = rnd();
		} else {
			char line[128];
			int n = snprintf(line, sizeof(line), "%u %s %s %s\n", rnd() % 10000,
					 words[rnd() % 13], words[rnd() % 13], words[rnd() % 13]);

			for (int k = 0; k < n && i < len; k++)
				b[i++] = line[k];
		}
	}
	return b;
}

static unsigned char *random_bytes(size_t len)
{
	unsigned char *b = malloc(len + 1);

	for (size_t i = 0; b && i < len; i++)
		b[i] = rnd();
	return b;
}

#define BIG	(3u << 20)
static unsigned char *text;	/* BIG bytes of mixed() */
static unsigned char *noise;	/* BIG random bytes */

/* ---- the gz* API ---- */

/*
 * gzwrite in uneven pieces, gzputs, gzprintf, gzputc, with a 64 KiB
 * buffer: gzip -d reads back exactly what went in.
 */
static int t_write(void)
{
	const char *p = path("w.gz");
	size_t cap = BIG + (1 << 20), len = 0, off = 0;
	unsigned char *want = malloc(cap);
	static const unsigned pieces[] = { 1, 7, 4096, 100000, 3, 65536, 65537, 8191, 300000 };
	gzFile f = gzopen(p, "wb6");
	int k = 0, r;

	CHECK(want && f, "gzopen(\"%s\", \"wb6\") failed", p);
	CHECK(gzbuffer(f, 65536) == 0, "gzbuffer(65536) before the first write refused");
	while (off < 2u << 20) {
		unsigned n = pieces[k++ % 9];

		if (n > (2u << 20) - off)
			n = (2u << 20) - off;
		CHECK(gzwrite(f, text + off, n) == (int)n, "gzwrite(%u) at %zu", n, off);
		memcpy(want + len, text + off, n);
		len += n;
		off += n;
		if (k % 5 == 0) {
			char line[64];
			int m = snprintf(line, sizeof(line), "gzputs line %d\n", k);

			CHECK(gzputs(f, line) == m, "gzputs");
			memcpy(want + len, line, m);
			len += m;
		}
		if (k % 7 == 0) {
			r = gzprintf(f, "gzprintf %d %s %05x\n", k, "field", k * 31);
			CHECK(r > 0, "gzprintf returned %d", r);
			len += sprintf((char *)want + len, "gzprintf %d %s %05x\n", k, "field", k * 31);
			CHECK(gzputc(f, 'Z') == 'Z', "gzputc");
			want[len++] = 'Z';
		}
	}
	CHECK(gztell(f) == (z_off_t)len, "gztell %ld after %zu bytes", (long)gztell(f), len);
	r = gzclose(f);
	CHECK(r == Z_OK, "gzclose returned %d", r);
	r = gunzip_equals(p, want, len);
	free(want);
	return r;
}

/*
 * gzip -6 wrote it: gzread in uneven pieces with an 8 KiB buffer, then
 * gzgets over a text-only file, then gzeof.
 */
static int t_read(void)
{
	const char *plain = path("r"), *gz = path("r.gz");
	unsigned char *got = malloc(BIG);
	size_t off = 0;
	gzFile f;
	int k = 0, n;

	CHECK(got && !write_file(plain, text, BIG), "cannot write %s", plain);
	CHECK(!sh("gzip -6 -c '%s' > '%s'", plain, gz), "gzip -6 failed");
	f = gzopen(gz, "rb");
	CHECK(f, "gzopen(\"%s\", \"rb\")", gz);
	CHECK(gzbuffer(f, 8192) == 0, "gzbuffer(8192)");
	CHECK(gzdirect(f) == 0, "gzdirect is not 0 for a gzip file");
	while (off < BIG) {
		unsigned want = (unsigned[]){ 1, 5000, 65536, 131071, 17 }[k++ % 5];

		n = gzread(f, got + off, want);
		CHECK(n > 0, "gzread(%u) at %zu returned %d", want, off, n);
		off += n;
	}
	CHECK(gzread(f, got, 1) == 0 && gzeof(f), "gzread past the end: not 0 and gzeof");
	CHECK(!memcmp(got, text, BIG), "gzread: not what gzip compressed");
	CHECK(gzclose(f) == Z_OK, "gzclose");

	/* gzgets: text lines only, some longer than the buffer */
	{
		FILE *pf = fopen(plain, "wb");
		size_t tl = 0;
		char line[100];

		CHECK(pf, "fopen");
		for (int i = 0; i < 20000; i++) {
			int m = fprintf(pf, "%d %.*s\n", i, i % 150,
					"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
					"abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"
					"abcdefghijklmnopqrstuvwxyz");
			tl += m;
		}
		CHECK(fclose(pf) == 0, "fclose");
		CHECK(!sh("gzip -c '%s' > '%s'", plain, gz), "gzip");
		size_t pl = 0;
		unsigned char *ref = read_file(plain, &pl), *cat = malloc(pl + 1);
		size_t cl = 0;

		CHECK(ref && cat && pl == tl, "reading %s", plain);
		f = gzopen(gz, "rb");
		CHECK(f, "gzopen");
		while (gzgets(f, line, sizeof(line))) {
			size_t m = strlen(line);

			CHECK(cl + m <= pl, "gzgets: more than the file");
			memcpy(cat + cl, line, m);
			cl += m;
		}
		CHECK(gzeof(f), "gzgets stopped before the end");
		CHECK(cl == pl && !memcmp(cat, ref, pl), "gzgets: %zu bytes, %zu expected or not the same",
		      cl, pl);
		gzclose(f);
		free(ref);
		free(cat);
	}
	free(got);
	return 0;
}

/* gzseek and gztell on a file gzip wrote, forwards and back */
static int t_seek_read(void)
{
	const char *gz = path("s.gz");
	static const long offs[] = { 0, 1000, 999999, 2500000, 77, 3000000, 131072, BIG - 10 };
	unsigned char buf[1000];
	gzFile f;

	CHECK(!write_file(path("s"), text, BIG), "write");
	CHECK(!sh("gzip -9 -c '%s' > '%s'", path("s"), gz), "gzip -9");
	f = gzopen(gz, "rb");
	CHECK(f, "gzopen");
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		long o = offs[i];
		size_t want = (size_t)(BIG - o) < sizeof(buf) ? (size_t)(BIG - o) : sizeof(buf);
		z_off_t r = i % 2 ? gzseek(f, o - gztell(f), SEEK_CUR) : gzseek(f, o, SEEK_SET);
		int n;

		CHECK(r == o, "gzseek to %ld returned %ld", o, (long)r);
		n = gzread(f, buf, sizeof(buf));
		CHECK(n == (int)want && !memcmp(buf, text + o, want),
		      "gzread after gzseek to %ld: %d bytes or not the file's", o, n);
		CHECK(gztell(f) == o + n, "gztell %ld, expected %ld", (long)gztell(f), o + n);
	}
	CHECK(gzrewind(f) == 0 && gzread(f, buf, 10) == 10 && !memcmp(buf, text, 10), "gzrewind");
	CHECK(gzclose(f) == Z_OK, "gzclose");
	return 0;
}

/* gzseek forward while writing: zeros, as gzip -d shows */
static int t_seek_write(void)
{
	const char *gz = path("sw.gz");
	size_t a = 200000, z = 70000, b = 500000;
	unsigned char *want = calloc(a + z + b, 1);
	gzFile f = gzopen(gz, "wb");
	int r;

	CHECK(want && f, "gzopen");
	memcpy(want, text, a);
	memcpy(want + a + z, text + a, b);
	CHECK(gzwrite(f, text, a) == (int)a, "gzwrite");
	CHECK(gzseek(f, z, SEEK_CUR) == (z_off_t)(a + z), "gzseek SEEK_CUR while writing");
	CHECK(gzwrite(f, text + a, b) == (int)b, "gzwrite after gzseek");
	CHECK(gzclose(f) == Z_OK, "gzclose");
	r = gunzip_equals(gz, want, a + z + b);
	free(want);
	return r;
}

/* gzdopen on descriptors, writing (level 9) and reading */
static int t_dopen(void)
{
	const char *gz = path("d.gz");
	size_t len = 1500000, n;
	unsigned char *got = malloc(len + 1);
	int fd = open(gz, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	gzFile f = fd >= 0 ? gzdopen(fd, "wb9") : NULL;

	CHECK(got && f, "gzdopen(fd, \"wb9\")");
	CHECK(gzwrite(f, noise, 300000) == 300000 && gzwrite(f, text, len - 300000) == (int)(len - 300000),
	      "gzwrite");
	CHECK(gzclose(f) == Z_OK, "gzclose");
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF, "gzclose left the descriptor open");
	memcpy(got, noise, 300000);
	memcpy(got + 300000, text, len - 300000);
	if (gunzip_equals(gz, got, len))
		return -1;
	/* read back through a descriptor of a file gzip -1 wrote */
	CHECK(!write_file(path("d"), got, len) && !sh("gzip -1 -c '%s' > '%s'", path("d"), gz), "gzip -1");
	fd = open(gz, O_RDONLY);
	f = fd >= 0 ? gzdopen(fd, "rb") : NULL;
	CHECK(f, "gzdopen(fd, \"rb\")");
	memset(got, 0, len);
	n = gzfread(got, 1, len + 1, f);
	CHECK(n == len, "gzfread: %zu bytes, expected %zu", n, len);
	CHECK(!memcmp(got, noise, 300000) && !memcmp(got + 300000, text, len - 300000),
	      "gzfread: not what gzip compressed");
	CHECK(gzclose(f) == Z_OK, "gzclose");
	free(got);
	return 0;
}

/* gzsetparams between writes: levels 1, 9, 0 (stored), strategies */
static int t_setparams(void)
{
	static const struct { int level, strategy; size_t len; } steps[] = {
		{ 1, Z_DEFAULT_STRATEGY, 1 << 20 }, { 9, Z_DEFAULT_STRATEGY, 700000 },
		{ 0, Z_DEFAULT_STRATEGY, 300000 }, { 6, Z_HUFFMAN_ONLY, 200000 },
		{ 6, Z_RLE, 200000 }, { 6, Z_FILTERED, 200000 }, { 6, Z_DEFAULT_STRATEGY, 100 },
	};
	const char *gz = path("p.gz");
	gzFile f = gzopen(gz, "wb1");
	size_t off = 0;

	CHECK(f, "gzopen");
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int r = i ? gzsetparams(f, steps[i].level, steps[i].strategy) : Z_OK;

		CHECK(r == Z_OK, "gzsetparams(%d, %d) returned %d", steps[i].level, steps[i].strategy, r);
		CHECK(gzwrite(f, text + off, steps[i].len) == (int)steps[i].len, "gzwrite after step %u", i);
		off += steps[i].len;
	}
	CHECK(gzclose(f) == Z_OK, "gzclose");
	return gunzip_equals(gz, text, off);
}

/* "ab": members appended; gzip -d and gzread read them all */
static int t_append(void)
{
	const char *gz = path("a.gz");
	size_t lens[] = { 400000, 0, 123457, 1 << 20 }, off = 0, total = 0, n;
	unsigned char *got;
	gzFile f;

	unlink(gz);
	for (int i = 0; i < 4; i++) {
		f = gzopen(gz, i ? "ab" : "wb");
		CHECK(f, "gzopen #%d", i);
		CHECK(gzwrite(f, text + off, lens[i]) == (int)lens[i], "gzwrite #%d", i);
		CHECK(gzclose(f) == Z_OK, "gzclose #%d", i);
		off += lens[i];
	}
	total = off;
	if (gunzip_equals(gz, text, total))
		return -1;
	got = malloc(total + 1);
	f = gzopen(gz, "rb");
	CHECK(got && f, "gzopen rb");
	n = gzfread(got, 1, total + 1, f);
	CHECK(n == total && !memcmp(got, text, total), "gzfread of 4 members: %zu bytes of %zu", n,
	      total);
	gzclose(f);
	free(got);
	return 0;
}

/* a file that is not gzip is read as it is; "wT" writes plain */
static int t_transparent(void)
{
	const char *p = path("t");
	unsigned char got[5000];
	gzFile f;
	size_t n;

	CHECK(!write_file(p, text, 4000), "write");
	f = gzopen(p, "rb");
	CHECK(f, "gzopen");
	n = gzfread(got, 1, sizeof(got), f);
	CHECK(gzdirect(f) == 1, "gzdirect is not 1 for a plain file");
	CHECK(n == 4000 && !memcmp(got, text, 4000), "plain read: %zu bytes", n);
	gzclose(f);
	f = gzopen(p, "wT");
	CHECK(f && gzwrite(f, text, 3000) == 3000 && gzclose(f) == Z_OK, "gzopen wT");
	unsigned char *b = read_file(p, &n);

	CHECK(b && n == 3000 && !memcmp(b, text, 3000), "\"wT\" did not write the bytes as they are");
	free(b);
	return 0;
}

/* every level, one file each, gzip -d reads each */
static int t_levels(void)
{
	for (int l = 0; l <= 9; l++) {
		char mode[8];
		const char *gz = path("l.gz");
		gzFile f;

		snprintf(mode, sizeof(mode), "wb%d", l);
		f = gzopen(gz, mode);
		CHECK(f, "gzopen %s", mode);
		CHECK(gzwrite(f, text, 600000) == 600000 && gzwrite(f, noise, 100000) == 100000,
		      "gzwrite level %d", l);
		CHECK(gzclose(f) == Z_OK, "gzclose level %d", l);
		unsigned char *want = malloc(700000);

		memcpy(want, text, 600000);
		memcpy(want + 600000, noise, 100000);
		int r = gunzip_equals(gz, want, 700000);

		free(want);
		if (r)
			return bad("level %d: %s", l, why);
	}
	return 0;
}

/* ---- one-shots ---- */

static const size_t sizes[] = {
	0, 1, 2, 63, 64, 65, 255, 1000, 4095, 4096, 4097, 16384, 65535, 65536,
	65537, 100000, 262144, 1 << 20, (3 << 20) - 7,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/*
 * compress2 at levels -1, 0, 1, 6, 9 of text and of random bytes: Z_OK
 * within compressBound(n); a valid zlib header and an Adler-32 trailer
 * computed here; its deflate data, put in a gzip member with a CRC-32
 * computed here, read back by gzip -d; uncompress2 of it gives the input
 * and consumes it all.
 */
static int t_compress2(void)
{
	static const int levels[] = { Z_DEFAULT_COMPRESSION, 0, 1, 6, 9 };

	for (unsigned s = 0; s < NSIZES; s++) {
		for (unsigned l = 0; l < 5; l++) {
			for (int kind = 0; kind < 2; kind++) {
				size_t n = sizes[s];
				const unsigned char *in = kind ? noise : text;
				uLong bound = compressBound(n), clen = bound, dlen = n, slen;
				unsigned char *c = malloc(bound), *d = malloc(n + 1);
				int r = compress2(c, &clen, in, n, levels[l]);
				const char *what = kind ? "random" : "text";

				CHECK(c && d, "malloc");
				CHECK(r == Z_OK, "compress2(%zu %s bytes, level %d) returned %d", n, what,
				      levels[l], r);
				CHECK(clen >= 6 && clen <= bound, "compress2: %lu bytes, bound %lu", clen, bound);
				CHECK((c[0] & 0x0f) == 8 && (c[0] >> 4) <= 7 && !(c[1] & 0x20) &&
				      (c[0] * 256 + c[1]) % 31 == 0, "compress2: not a zlib header %02x %02x",
				      c[0], c[1]);
				uint32_t ad = my_adler32(in, n);

				CHECK((uint32_t)c[clen - 4] << 24 == (ad & 0xff000000u) &&
				      c[clen - 3] == (ad >> 16 & 0xff) && c[clen - 2] == (ad >> 8 & 0xff) &&
				      c[clen - 1] == (ad & 0xff), "compress2 (%zu %s bytes, level %d): Adler-32 trailer wrong",
				      n, what, levels[l]);
				/* the deflate data in a gzip member, for gzip -d */
				if (levels[l] == 6 || n == sizes[NSIZES - 1] || n < 100) {
					FILE *g = fopen(path("c.gz"), "wb");
					static const unsigned char hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
					uint32_t crc = my_crc32(0, in, n), isz = (uint32_t)n;
					unsigned char tr[8] = { crc, crc >> 8, crc >> 16, crc >> 24,
								isz, isz >> 8, isz >> 16, isz >> 24 };

					CHECK(g && fwrite(hdr, 1, 10, g) == 10 &&
					      fwrite(c + 2, 1, clen - 6, g) == clen - 6 &&
					      fwrite(tr, 1, 8, g) == 8 && !fclose(g), "writing c.gz");
					if (gunzip_equals(path("c.gz"), in, n))
						return bad("compress2(%zu %s bytes, level %d)'s deflate data: %s", n,
							   what, levels[l], why);
				}
				slen = clen;
				r = uncompress2(d, &dlen, c, &slen);
				CHECK(r == Z_OK && dlen == n && slen == clen && !memcmp(d, in, n),
				      "uncompress2 of compress2(%zu %s bytes, level %d): %d, %lu bytes, %lu of %lu consumed",
				      n, what, levels[l], r, dlen, slen, clen);
				free(c);
				free(d);
			}
		}
	}
	return 0;
}

/*
 * uncompress2 of what gzip compressed (its deflate data in a zlib stream
 * with an Adler-32 computed here): the input, all consumed. Then zlib's
 * documented errors: Z_BUF_ERROR when the output does not fit, Z_DATA_ERROR
 * for a truncated or corrupted stream (uncompress2 also says how much of
 * the source it consumed).
 */
static int t_uncompress2(void)
{
	for (unsigned s = 0; s < NSIZES; s++) {
		size_t n = sizes[s], glen;
		unsigned char *g, *z, *d = malloc(n + 64);
		uLong zlen, dlen = n, slen;
		int r;

		CHECK(d && !write_file(path("u"), text, n), "write");
		CHECK(!sh("gzip -n -6 -c < '%s' > '%s'", path("u"), path("u.gz")), "gzip");
		g = read_file(path("u.gz"), &glen);
		CHECK(g && glen >= 18 && g[3] == 0, "gzip's output: not a 10-byte header");
		zlen = glen - 18 + 6;
		z = malloc(zlen);
		CHECK(z, "malloc");
		z[0] = 0x78;
		z[1] = 0x9c;
		memcpy(z + 2, g + 10, glen - 18);
		uint32_t ad = my_adler32(text, n);

		z[zlen - 4] = ad >> 24;
		z[zlen - 3] = ad >> 16;
		z[zlen - 2] = ad >> 8;
		z[zlen - 1] = ad;
		slen = zlen;
		r = uncompress2(d, &dlen, z, &slen);
		CHECK(r == Z_OK && dlen == n && slen == zlen && !memcmp(d, text, n),
		      "uncompress2 of gzip's %zu bytes: %d, %lu bytes, %lu of %lu consumed", n, r, dlen,
		      slen, zlen);
		/* the same through uncompress, dest exactly n, then one short
		 * (not into 0 bytes: zlib then decompresses into a byte of its
		 * own and says Z_OK for a 1-byte stream) */
		dlen = n;
		r = uncompress(d, &dlen, z, zlen);
		CHECK(r == Z_OK && dlen == n, "uncompress of %zu bytes: %d", n, r);
		if (n >= 2) {
			dlen = n - 1;
			r = uncompress(d, &dlen, z, zlen);
			CHECK(r == Z_BUF_ERROR, "uncompress of %zu bytes into %zu: %d, expected Z_BUF_ERROR",
			      n, n - 1, r);
		}
		/* truncated: the trailer's last byte missing */
		dlen = n + 64;
		slen = zlen - 1;
		r = uncompress2(d, &dlen, z, &slen);
		CHECK(r == Z_DATA_ERROR, "uncompress2 of %zu bytes without the last byte: %d, expected Z_DATA_ERROR",
		      n, r);
		/* the Adler-32 wrong */
		z[zlen - 1] ^= 1;
		dlen = n + 64;
		slen = zlen;
		r = uncompress2(d, &dlen, z, &slen);
		CHECK(r == Z_DATA_ERROR, "uncompress2 of %zu bytes, Adler-32 wrong: %d, expected Z_DATA_ERROR",
		      n, r);
		free(g);
		free(z);
		free(d);
	}
	return 0;
}

/*
 * compressBound is zlib 1.2.13's (a program sizes buffers by it, and
 * links against either library), and compress2 into less room than it
 * needs says Z_BUF_ERROR.
 */
static int t_bound(void)
{
	for (unsigned s = 0; s < NSIZES; s++) {
		uLong n = sizes[s];
		uLong want = n + (n >> 12) + (n >> 14) + (n >> 25) + 13;

		CHECK(compressBound(n) == want, "compressBound(%lu) = %lu, zlib 1.2.13 says %lu", n,
		      compressBound(n), want);
	}
	unsigned char c[64];
	uLong clen = sizeof(c);
	int r = compress2(c, &clen, noise, 1 << 20, 6);

	CHECK(r == Z_BUF_ERROR, "compress2 of 1 MiB of random bytes into 64: %d, expected Z_BUF_ERROR", r);
	CHECK(!strcmp(zlibVersion(), ZLIB_VERSION), "zlibVersion() %s, the header says %s", zlibVersion(),
	      ZLIB_VERSION);
	return 0;
}

/* ---- where the streams went ---- */

static struct wd_zlib_stats st0;

static int t_device(void)
{
	struct wd_zlib_stats st;

	CHECK(get_stats, "wd_zlib_get_stats is not in the process: the library is not there");
	get_stats(&st);
	printf("INFO: %s: deflate streams %llu device / %llu software, inflate %llu / %llu, input bytes %llu / %llu, output bytes %llu / %llu, fallbacks %llu, errors %llu\n",
	       prog, (unsigned long long)(st.deflate_dev - st0.deflate_dev),
	       (unsigned long long)(st.deflate_sw - st0.deflate_sw),
	       (unsigned long long)(st.inflate_dev - st0.inflate_dev),
	       (unsigned long long)(st.inflate_sw - st0.inflate_sw),
	       (unsigned long long)(st.dev_in_bytes - st0.dev_in_bytes),
	       (unsigned long long)(st.sw_in_bytes - st0.sw_in_bytes),
	       (unsigned long long)(st.dev_out_bytes - st0.dev_out_bytes),
	       (unsigned long long)(st.sw_out_bytes - st0.sw_out_bytes),
	       (unsigned long long)(st.fallbacks - st0.fallbacks),
	       (unsigned long long)(st.errors - st0.errors));
	CHECK(st.deflate_dev > st0.deflate_dev && st.inflate_dev > st0.inflate_dev,
	      "no device streams: deflate %llu, inflate %llu",
	      (unsigned long long)(st.deflate_dev - st0.deflate_dev),
	      (unsigned long long)(st.inflate_dev - st0.inflate_dev));
	return 0;
}

/* one 1 MiB compress2 and uncompress went to the device */
static int t_device_oneshot(void)
{
	struct wd_zlib_stats a, b;
	uLong bound = compressBound(1 << 20), clen = bound, dlen = 1 << 20;
	unsigned char *c = malloc(bound), *d = malloc(1 << 20);

	CHECK(get_stats, "wd_zlib_get_stats is not in the process");
	CHECK(c && d, "malloc");
	get_stats(&a);
	CHECK(compress2(c, &clen, text, 1 << 20, 6) == Z_OK, "compress2");
	CHECK(uncompress(d, &dlen, c, clen) == Z_OK && dlen == 1 << 20 && !memcmp(d, text, dlen),
	      "uncompress");
	get_stats(&b);
	CHECK(b.deflate_dev == a.deflate_dev + 1 && b.inflate_dev == a.inflate_dev + 1 &&
	      b.deflate_sw == a.deflate_sw && b.inflate_sw == a.inflate_sw,
	      "1 MiB compress2+uncompress: deflate +%llu device +%llu software, inflate +%llu / +%llu",
	      (unsigned long long)(b.deflate_dev - a.deflate_dev),
	      (unsigned long long)(b.deflate_sw - a.deflate_sw),
	      (unsigned long long)(b.inflate_dev - a.inflate_dev),
	      (unsigned long long)(b.inflate_sw - a.inflate_sw));
	CHECK(b.dev_in_bytes - a.dev_in_bytes == (1u << 20) + clen &&
	      b.dev_out_bytes - a.dev_out_bytes == (1u << 20) + clen,
	      "device bytes: in +%llu, out +%llu, expected %lu each",
	      (unsigned long long)(b.dev_in_bytes - a.dev_in_bytes),
	      (unsigned long long)(b.dev_out_bytes - a.dev_out_bytes), (1ul << 20) + clen);
	free(c);
	free(d);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!getenv("TZV_CHILD")) {
		/* once more, with the environment set from the start */
		setenv("TZV_CHILD", "1", 1);
		setenv("WD_DEV_PATH", "local", 0);
#ifdef TZV_PRELOAD
		setenv("LD_PRELOAD", getenv("T_ZLIB_LIB") ? getenv("T_ZLIB_LIB") : TZV_LIB, 1);
#endif
		execv("/proc/self/exe", argv);
		printf("FAIL: %s.exec: %s\n", prog, strerror(errno));
		return 1;
	}
	unsetenv("TZV_CHILD");
	unsetenv("LD_PRELOAD");	/* gzip runs as itself */
#ifdef TZV_PRELOAD
	get_stats = (void (*)(struct wd_zlib_stats *))dlsym(RTLD_DEFAULT, "wd_zlib_get_stats");
#else
	get_stats = wd_zlib_get_stats;
#endif
	if (!mkdtemp(tmp)) {
		printf("FAIL: %s.setup: mkdtemp: %s\n", prog, strerror(errno));
		return 1;
	}
	text = mixed(BIG);
	noise = random_bytes(BIG);
	if (!text || !noise)
		return 1;
	if (get_stats)
		get_stats(&st0);

	run("write", t_write);
	run("read", t_read);
	run("seek_read", t_seek_read);
	run("seek_write", t_seek_write);
	run("dopen", t_dopen);
	run("setparams", t_setparams);
	run("append", t_append);
	run("transparent", t_transparent);
	run("levels", t_levels);
	run("compress2", t_compress2);
	run("uncompress2", t_uncompress2);
	run("bound", t_bound);
	run("device_streams", t_device);
	run("device_oneshot", t_device_oneshot);

	sh("rm -rf '%s'", tmp);
	return failures ? 1 : 0;
}
