// SPDX-License-Identifier: MIT
/*
 * ossl_crossover: where the provider "wd" should start sending updates to
 * the device (docs/openssl.md, "Threshold"). For each size N, the time of
 * one digest of one N-byte update (init, update, final) through EVP:
 *   device    the provider "wd" with WD_OSSL_THRESHOLD=0: every update a
 *             device request (on the device WD_DEV_PATH names)
 *   software  OpenSSL's default provider (the same SHA-256 code the
 *             provider's software path runs: SHA256_Update)
 * the median of repeated runs, and the ratio device/software. The
 * crossover is the smallest N from which the device is within 10% of
 * software (on a real accelerator: faster; on the in-process device, where
 * an engine thread runs the same code, the cost is the round trip).
 *
 * Usage: ossl_crossover [MODULE_DIR]   (default: next to this program,
 * ../../front/ossl-modules). Not a test: build/native/libexec.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/provider.h>

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* the median time of one digest of @n bytes with @md, in microseconds */
static double time_digest(EVP_MD *md, const unsigned char *buf, size_t n)
{
	double t[15];
	unsigned char out[32];
	unsigned int len;
	int reps = n >= (4u << 20) ? 5 : 15;
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	for (int i = 0; i < reps; i++) {
		double t0 = now_us();

		if (!EVP_DigestInit_ex(c, md, NULL) ||
		    !EVP_DigestUpdate(c, buf, n) ||
		    !EVP_DigestFinal_ex(c, out, &len)) {
			fprintf(stderr, "digest of %zu bytes failed\n", n);
			exit(1);
		}
		t[i] = now_us() - t0;
	}
	EVP_MD_CTX_free(c);
	qsort(t, (size_t)reps, sizeof(t[0]), cmp);
	return t[reps / 2];
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX + 64], exe[PATH_MAX];
	OSSL_LIB_CTX *lw = OSSL_LIB_CTX_new(), *ld = OSSL_LIB_CTX_new();
	EVP_MD *mw, *md;
	size_t max = 64u << 20, cross = 0;
	unsigned char *buf;
	ssize_t l;

	if (argc > 1) {
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	} else {
		l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (l <= 0)
			return 1;
		exe[l] = 0;
		*strrchr(exe, '/') = 0;
		snprintf(dir, sizeof(dir), "%s/../../front/ossl-modules", exe);
	}
	setenv("WD_OSSL_THRESHOLD", "0", 1);
	if (!getenv("WD_DEV_PATH"))
		setenv("WD_DEV_PATH", "local", 1);
	OSSL_PROVIDER_set_default_search_path(lw, dir);
	if (!OSSL_PROVIDER_load(lw, "wd") || !OSSL_PROVIDER_load(ld, "default")) {
		fprintf(stderr, "ossl_crossover: cannot load the providers (%s)\n",
			dir);
		return 1;
	}
	mw = EVP_MD_fetch(lw, "SHA256", "provider=wd");
	md = EVP_MD_fetch(ld, "SHA256", NULL);
	buf = malloc(max);
	if (!mw || !md || !buf)
		return 1;
	for (size_t i = 0; i < max; i++)
		buf[i] = (unsigned char)(i * 131 + (i >> 9));
	/* warm: the device and its queue come with the first request */
	time_digest(mw, buf, 4096);
	printf("WD_DEV_PATH=%s: one update of N bytes, median us per digest\n",
	       getenv("WD_DEV_PATH"));
	printf("%10s %12s %12s %8s %10s %10s\n", "bytes", "device_us",
	       "software_us", "ratio", "dev_MB/s", "sw_MB/s");
	for (size_t n = 1024; n <= max; n *= 2) {
		double d = time_digest(mw, buf, n), s = time_digest(md, buf, n);

		printf("%10zu %12.1f %12.1f %8.2f %10.0f %10.0f\n", n, d, s,
		       d / s, n / d, n / s);
		if (!cross && d <= 1.1 * s)
			cross = n;
		else if (cross && d > 1.1 * s)
			cross = 0;	/* not for good yet */
	}
	if (cross)
		printf("crossover (device within 10%% of software from here on): %zu bytes\n",
		       cross);
	else
		printf("crossover: none up to %zu bytes\n", max);
	EVP_MD_free(mw);
	EVP_MD_free(md);
	free(buf);
	return 0;
}
