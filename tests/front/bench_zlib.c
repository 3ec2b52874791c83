// SPDX-License-Identifier: MIT
/*
 * bench_zlib: where libwd_zlib's threshold belongs (docs/zlib.md). One-shot
 * compress2 (level 6) and uncompress of N bytes of text-like data, N from
 * 64 B to 1 MiB, through libwd_zlib on the in-process device
 * (WD_DEV_PATH=local) forced to the device (WD_ZLIB_THRESHOLD=0) and forced
 * to software (WD_ZLIB_THRESHOLD=2^40): the time per call of each, their
 * ratio, and the smallest size from which the device is at least as fast
 * (the crossover). The library reads its environment once, so each mode is
 * a child process (this program again, with --child MODE); the counters
 * (wd_zlib_get_stats) show each mode went where it was sent.
 *
 *   bench_zlib [--quick] [--runs N] [--ms MS] [--out DIR]
 *                                      (make bench: tools/bench/bench.sh,
 *                                       DIR build/bench: zlib.txt, zlib.csv)
 *
 * Time per call: in each child the median of 5 rounds, each as many calls
 * as fill --ms milliseconds (default 50); the modes' children alternate
 * --runs times (default 5) and the median of their results is taken, so
 * that the shared machine's changing load weighs on both modes alike
 * (--quick: one run of 20 ms rounds). Exit status 1 when a mode did not go
 * where it was sent or a round trip failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "wd_zlib.h"

static const size_t sizes[] = {
	64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define ROUNDS 5

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* text-like: numbered lines of a few words (compresses about 4:1) */
static unsigned char *text(size_t len)
{
	static const char *const w[] = { "deflate", "stream", "window", "queue", "device",
					  "the", "of", "buffer", "flush", "header", "level" };
	unsigned char *b = malloc(len);
	uint32_t x = 1;
	size_t i = 0;

	while (b && i < len) {
		char line[96];
		int n;

		x = x * 1103515245 + 12345;
		n = snprintf(line, sizeof(line), "%u %s %s %s\n", x >> 20, w[(x >> 8) % 11],
			     w[(x >> 12) % 11], w[(x >> 16) % 11]);
		for (int k = 0; k < n && i < len; k++)
			b[i++] = line[k];
	}
	return b;
}

/* the child: one line per size, "N comp_ns uncomp_ns", then the counters */
static int child(int ms)
{
	unsigned char *in = text(sizes[NSIZES - 1]);
	uLong bound = compressBound(sizes[NSIZES - 1]);
	unsigned char *c = malloc(bound), *d = malloc(sizes[NSIZES - 1]);
	struct wd_zlib_stats st;

	if (!in || !c || !d)
		return 1;
	for (unsigned s = 0; s < NSIZES; s++) {
		size_t n = sizes[s];
		double t[2][ROUNDS];
		uLong clen = bound, dlen;

		if (compress2(c, &clen, in, n, 6) != Z_OK)
			return fprintf(stderr, "compress2(%zu) failed\n", n), 1;
		for (int op = 0; op < 2; op++) {
			long calls = 1;

			/* calls per round: as many as fill ms, from one timed call */
			for (int r = -1; r < ROUNDS; r++) {
				double start = now();

				for (long k = 0; k < calls; k++) {
					int e;

					if (op) {
						dlen = n;
						e = uncompress(d, &dlen, c, clen);
						if (e != Z_OK || dlen != n)
							return fprintf(stderr, "uncompress(%zu): %d\n", n, e), 1;
					} else {
						uLong cl = bound;

						e = compress2(c, &cl, in, n, 6);
						if (e != Z_OK || cl != clen)
							return fprintf(stderr, "compress2(%zu): %d, %lu bytes, %lu before\n",
								       n, e, cl, clen), 1;
					}
				}
				double el = now() - start;

				if (r < 0) {
					calls = el > 0 ? (long)(ms / 1e3 / el) : 1000;
					if (calls < 1)
						calls = 1;
				} else {
					t[op][r] = el / calls * 1e9;
				}
			}
			qsort(t[op], ROUNDS, sizeof(double), cmp_double);
		}
		if (memcmp(d, in, n))
			return fprintf(stderr, "size %zu: round trip differs\n", n), 1;
		printf("%zu %.0f %.0f %lu\n", n, t[0][ROUNDS / 2], t[1][ROUNDS / 2], clen);
	}
	wd_zlib_get_stats(&st);
	printf("stats %llu %llu %llu %llu\n", (unsigned long long)st.deflate_dev,
	       (unsigned long long)st.deflate_sw, (unsigned long long)st.inflate_dev,
	       (unsigned long long)st.inflate_sw);
	free(in);
	free(c);
	free(d);
	return 0;
}

#define RUNS_MAX 9
struct mode {
	const char *name, *threshold;
	double comp[NSIZES], uncomp[NSIZES];	/* the median of the runs' */
	double rc[RUNS_MAX][NSIZES], ru[RUNS_MAX][NSIZES];
	unsigned long clen[NSIZES];
	unsigned long long st[4];
};

/* run this program as the child with the mode's environment, read its
 * table into run @run; the counters add up */
static int measure(const char *self, struct mode *m, int ms, int run)
{
	char cmd[4096], line[256];
	FILE *p;
	unsigned n = 0;
	int rc;

	snprintf(cmd, sizeof(cmd), "WD_DEV_PATH=${WD_DEV_PATH:-local} WD_ZLIB_THRESHOLD=%s '%s' --child --ms %d",
		 m->threshold, self, ms);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p)) {
		unsigned long long st[4];
		size_t sz;

		if (sscanf(line, "stats %llu %llu %llu %llu", &st[0], &st[1], &st[2], &st[3]) == 4) {
			for (int i = 0; i < 4; i++)
				m->st[i] += st[i];
			continue;
		}
		if (n < NSIZES && sscanf(line, "%zu %lf %lf %lu", &sz, &m->rc[run][n],
					 &m->ru[run][n], &m->clen[n]) == 4 && sz == sizes[n])
			n++;
	}
	rc = pclose(p);
	return rc == 0 && n == NSIZES ? 0 : -1;
}

static void size_name(char *b, size_t len, size_t n)
{
	if (n >= 1 << 20)
		snprintf(b, len, "%zu MiB", n >> 20);
	else if (n >= 1024)
		snprintf(b, len, "%zu KiB", n >> 10);
	else
		snprintf(b, len, "%zu B", n);
}

int main(int argc, char **argv)
{
	struct mode dev = { .name = "device", .threshold = "0" };
	struct mode sw = { .name = "software", .threshold = "1099511627776" };
	const char *out = NULL;
	int ms = 50, runs = 5, is_child = 0;
	char self[4096];
	ssize_t sl;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--child"))
			is_child = 1;
		else if (!strcmp(argv[i], "--quick"))
			ms = 20, runs = 1;
		else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
			ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else
			return fprintf(stderr, "usage: bench_zlib [--quick] [--runs N] [--ms MS] [--out DIR]\n"), 2;
	}
	if (runs < 1 || runs > RUNS_MAX || ms < 1)
		return fprintf(stderr, "bench_zlib: --runs 1..%d, --ms > 0\n", RUNS_MAX), 2;
	if (is_child)
		return child(ms);

	sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (sl <= 0)
		return 1;
	self[sl] = 0;
	/* the modes alternate, so that a change of the (shared) machine's load
	 * weighs on both alike; per size, the median of the runs */
	for (int r = 0; r < runs; r++) {
		if (measure(self, &dev, ms, r) || measure(self, &sw, ms, r)) {
			fprintf(stderr, "bench_zlib: a measurement failed\n");
			return 1;
		}
	}
	for (struct mode *m = &dev; m; m = m == &dev ? &sw : NULL) {
		for (unsigned s = 0; s < NSIZES; s++) {
			double c[RUNS_MAX], u[RUNS_MAX];

			for (int r = 0; r < runs; r++) {
				c[r] = m->rc[r][s];
				u[r] = m->ru[r][s];
			}
			qsort(c, runs, sizeof(double), cmp_double);
			qsort(u, runs, sizeof(double), cmp_double);
			m->comp[s] = c[runs / 2];
			m->uncomp[s] = u[runs / 2];
		}
	}

	FILE *txt = stdout, *csv = NULL;
	char pth[4096];

	if (out) {
		snprintf(pth, sizeof(pth), "%s/zlib.txt", out);
		txt = fopen(pth, "w");
		snprintf(pth, sizeof(pth), "%s/zlib.csv", out);
		csv = fopen(pth, "w");
		if (!txt || !csv)
			return fprintf(stderr, "bench_zlib: %s: %s\n", pth, strerror(errno)), 1;
		fprintf(csv, "bytes,compressed,comp_device_ns,comp_software_ns,comp_ratio,"
			     "uncomp_device_ns,uncomp_software_ns,uncomp_ratio\n");
	}
	double load[3] = { 0 };

	if (getloadavg(load, 3) < 0)
		load[0] = -1;
	for (int pass = 0; pass < 1 + !!out; pass++) {
		FILE *f = pass ? stdout : txt;
		long cross[2] = { -1, -1 };

		fprintf(f, "libwd_zlib one-shots, level 6, text-like data, WD_DEV_PATH=%s; device: WD_ZLIB_THRESHOLD=%s, software: %s; "
			   "per call: median over %d alternating runs of each mode of the median of %d rounds of %d ms; "
			   "load average %.2f %.2f %.2f, %ld CPUs\n",
			getenv("WD_DEV_PATH") ? getenv("WD_DEV_PATH") : "local", dev.threshold,
			sw.threshold, runs, ROUNDS, ms, load[0], load[1], load[2], sysconf(_SC_NPROCESSORS_ONLN));
		fprintf(f, "%10s %10s | %12s %12s %7s | %12s %12s %7s\n", "size", "compressed",
			"compress2 dev", "sw (us)", "sw/dev", "uncompress dev", "sw (us)", "sw/dev");
		for (unsigned s = 0; s < NSIZES; s++) {
			char sz[32];
			double rc = sw.comp[s] / dev.comp[s], ru = sw.uncomp[s] / dev.uncomp[s];

			size_name(sz, sizeof(sz), sizes[s]);
			fprintf(f, "%10s %10lu | %12.1f %12.1f %7.2f | %14.1f %12.1f %7.2f\n", sz,
				dev.clen[s], dev.comp[s] / 1e3, sw.comp[s] / 1e3, rc,
				dev.uncomp[s] / 1e3, sw.uncomp[s] / 1e3, ru);
			if (csv && !pass)
				fprintf(csv, "%zu,%lu,%.0f,%.0f,%.3f,%.0f,%.0f,%.3f\n", sizes[s], dev.clen[s],
					dev.comp[s], sw.comp[s], rc, dev.uncomp[s], sw.uncomp[s], ru);
			/* the crossover: the device no slower from here on */
			for (int op = 0; op < 2; op++) {
				double r = op ? ru : rc;

				if (r >= 1 && cross[op] < 0)
					cross[op] = s;
				else if (r < 1)
					cross[op] = -1;
			}
		}
		for (int op = 0; op < 2; op++) {
			char sz[64] = "none (software faster at every size)";

			if (cross[op] >= 0)
				size_name(sz, sizeof(sz), sizes[cross[op]]);
			fprintf(f, "crossover %s: %s\n", op ? "uncompress" : "compress2", sz);
		}
		fprintf(f, "streams: device mode %llu+%llu device, %llu+%llu software; software mode %llu+%llu device, %llu+%llu software (deflate+inflate)\n",
			dev.st[0], dev.st[2], dev.st[1], dev.st[3], sw.st[0], sw.st[2], sw.st[1], sw.st[3]);
	}
	if (csv)
		fclose(csv);
	if (out)
		fclose(txt);
	/* each mode went where it was sent */
	if (dev.st[1] || dev.st[3] || !dev.st[0] || !dev.st[2] || sw.st[0] || sw.st[2] ||
	    !sw.st[1] || !sw.st[3]) {
		fprintf(stderr, "bench_zlib: a mode did not go where it was sent (counters above)\n");
		return 1;
	}
	return 0;
}
