// SPDX-License-Identifier: MIT
/*
 * wd-bench: compression at level 6 on a corpus, `wd zip` on the in-process
 * device against zlib and libdeflate in-process (one thread) and pigz -p 2;
 * then the device's streams against the usual tools: `wd digest` of a file
 * over the device's 64 MiB request limit against sha256sum, `wd unzip` of
 * pigz's output against gzip -d and pigz -d. Commands write into a pipe,
 * median of the runs, all in the same run.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#ifdef WDT_HAVE_DEFLATE
#include <libdeflate.h>
#endif

#include "bench.h"

static struct comp_row *comp_new(const char *name)
{
	struct comp_row *c;

	if (ncomp == MAX_COMP) {
		wdt_err("too many compression rows");
		exit(1);
	}
	c = &comp_rows[ncomp++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->in = corpus_size;
	load_sample();
	return c;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* run argv with stdout into a pipe; the bytes it wrote and the wall time */
static int run_cmd(char *const argv[], uint64_t *out, double *secs)
{
	int p[2], st;
	pid_t pid;
	uint64_t t0 = wdt_now_ns(), n = 0;
	static char buf[1 << 16];
	ssize_t k;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((k = read(p[0], buf, sizeof(buf))) > 0)
		n += (uint64_t)k;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -ECHILD;
	*secs = (double)(wdt_now_ns() - t0) / 1e9;
	*out = n;
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		return WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -ENOENT : -EIO;
	return 0;
}

/*
 * @engines: WD_LOCAL_ENGINES for the command (wd zip), NULL: left as it is.
 * It is set in our environment, which the child inherits, while the
 * command runs, and put back afterwards.
 */
static struct comp_row *comp_cmd_in(const char *name, char *const argv[],
				    const char *engines, int reps, uint64_t in,
				    bool sized)
{
	struct comp_row *c = comp_new(name);
	const char *old = getenv("WD_LOCAL_ENGINES");
	char *saved = engines && old ? strdup(old) : NULL;
	double t[5];
	int ret = engines && old && !saved ? -ENOMEM : 0;

	if (engines && !ret && setenv("WD_LOCAL_ENGINES", engines, 1))
		ret = -ENOMEM;
	for (int i = 0; i < reps && !ret; i++)
		ret = run_cmd(argv, &c->out, &t[i]);
	if (engines) {
		if (saved)
			setenv("WD_LOCAL_ENGINES", saved, 1);
		else
			unsetenv("WD_LOCAL_ENGINES");
	}
	free(saved);
	if (ret) {
		snprintf(c->note, sizeof(c->note), "%s: %s", argv[0],
			 ret == -ENOENT ? "not installed" :
			 ret == -ENOMEM ? "no memory" : "failed");
	} else {
		qsort(t, (size_t)reps, sizeof(double), cmp_dbl);
		c->secs = t[reps / 2];
		c->mib_s = (double)in / c->secs / (1 << 20);
		c->ok = true;
	}
	c->in = in;
	if (sized)
		printf("  %-44s %10.1f MiB/s %12llu bytes (%.3f of input)%s%s\n", c->name,
		       c->mib_s, (unsigned long long)c->out,
		       in ? (double)c->out / (double)in : 0, c->ok ? "" : "  ", c->note);
	else
		printf("  %-44s %10.1f MiB/s%s%s\n", c->name, c->mib_s,
		       c->ok ? "" : "  ", c->note);
	fflush(stdout);
	return c;
}

/* a compressor: MiB/s of the corpus, and its output's size */
static struct comp_row *comp_cmd(const char *name, char *const argv[],
				 const char *engines, int reps)
{
	return comp_cmd_in(name, argv, engines, reps, corpus_size, true);
}

/* run a shell command line: 0, or -1 */
static int shell(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int shell(const char *fmt, ...)
{
	char cmd[3 * PATH_MAX];
	va_list ap;
	int n, st;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cmd))
		return -1;
	st = system(cmd);
	return st == 0 ? 0 : -1;
}

static double ratio(const struct comp_row *a, const struct comp_row *b)
{
	return a->ok && b->ok && b->mib_s > 0 ? a->mib_s / b->mib_s : NAN;
}

/*
 * The device's streams: wd digest of a file of three corpora (one with
 * --quick), over the 64 MiB a request may carry, against sha256sum; wd
 * unzip of pigz -p 2 -6's output of the corpus against gzip -d and pigz
 * -d. The files are made beside the corpus and removed.
 */
static void stream_suite(const char *corpus, int reps, bool quick)
{
	char big[PATH_MAX], gz[PATH_MAX];
	struct comp_row *sum, *dsva, *dpasid, *gzd, *pigzd, *usva, *upasid;
	uint64_t big_size = corpus_size * (quick ? 1 : 3);
	bool have_pigz;

	printf("\n== streams: wd digest of a %llu MiB file, wd unzip of pigz -6 output of the corpus\n",
	       (unsigned long long)(big_size >> 20));
	if (snprintf(big, sizeof(big), "%s.x3", corpus) >= (int)sizeof(big) ||
	    snprintf(gz, sizeof(gz), "%s.pigz.gz", corpus) >= (int)sizeof(gz))
		return;
	if (quick)
		snprintf(big, sizeof(big), "%s", corpus);
	else if (shell("cat '%s' '%s' '%s' > '%s'", corpus, corpus, corpus, big)) {
		printf("  cannot write %s: skipped\n", big);
		return;
	}
	{
		char *sa[] = { "sha256sum", big, NULL };
		char *wa[] = { wd_exe, "digest", "--device", "local:sva", big, NULL };
		char *wb[] = { wd_exe, "digest", "--device", "local:pasid", big, NULL };

		sum = comp_cmd_in("sha256sum", sa, NULL, reps, big_size, false);
		dsva = comp_cmd_in("wd digest, in-process SVA (the file mapped)", wa,
				   "1", reps, big_size, false);
		dpasid = comp_cmd_in("wd digest, in-process PASID (reserved memory)",
				     wb, "1", reps, big_size, false);
	}
	if (!quick)
		unlink(big);
	target("wd digest sha256, large file (in-process, PASID) / sha256sum (MiB/s)",
	       ratio(dpasid, sum), 1.0, true, dpasid->ok && sum->ok,
	       "%.1f / %.1f MiB/s; SVA %.1f MiB/s", dpasid->mib_s, sum->mib_s,
	       dsva->mib_s);

	have_pigz = !shell("pigz -p 2 -6 -c '%s' > '%s' 2>/dev/null", corpus, gz);
	if (!have_pigz && shell("gzip -6 -c '%s' > '%s'", corpus, gz)) {
		printf("  cannot write %s: skipped\n", gz);
		unlink(gz);
		return;
	}
	printf("  decompression of %s output of the corpus, MiB/s of its output:\n",
	       have_pigz ? "pigz -p 2 -6" : "gzip -6 (no pigz)");
	{
		char *ga[] = { "gzip", "-dc", gz, NULL };
		char *pa[] = { "pigz", "-dc", gz, NULL };
		char *wa[] = { wd_exe, "unzip", "-c", "--device", "local:sva", gz, NULL };
		char *wb[] = { wd_exe, "unzip", "-c", "--device", "local:pasid", gz, NULL };

		gzd = comp_cmd_in("gzip -d", ga, NULL, reps, corpus_size, false);
		pigzd = comp_cmd_in("pigz -d", pa, NULL, reps, corpus_size, false);
		usva = comp_cmd_in("wd unzip, in-process SVA (one stream)", wa, "1",
				   reps, corpus_size, false);
		upasid = comp_cmd_in("wd unzip, in-process PASID (one stream)", wb, "1",
				     reps, corpus_size, false);
	}
	unlink(gz);
	target("wd unzip (in-process, PASID) / gzip -d (MiB/s)", ratio(upasid, gzd),
	       1.0, true, upasid->ok && gzd->ok, "%.1f / %.1f MiB/s; SVA %.1f MiB/s",
	       upasid->mib_s, gzd->mib_s, usva->mib_s);
	target("wd unzip (in-process, PASID) / pigz -d (MiB/s)", ratio(upasid, pigzd),
	       0.7, true, upasid->ok && pigzd->ok,
	       "%.1f / %.1f MiB/s (pigz -d: inflate on one thread, check and I/O on others)",
	       upasid->mib_s, pigzd->mib_s);
}

static struct comp_row *comp_inproc(const char *name, int which, const uint8_t *in,
				    size_t len, int reps)
{
	struct comp_row *c = comp_new(name);
	size_t cap = len + len / 8 + (1 << 20);
	uint8_t *out = malloc(cap);
	double t[5];

	if (!out) {
		snprintf(c->note, sizeof(c->note), "no memory");
		return c;
	}
	for (int i = 0; i < reps; i++) {
		uint64_t t0 = wdt_now_ns();

		c->out = 0;
		if (which == 0) {
			z_stream zs = { 0 };

			deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
			zs.next_in = (uint8_t *)in;
			zs.avail_in = (uInt)len;
			zs.next_out = out;
			zs.avail_out = (uInt)cap;
			deflate(&zs, Z_FINISH);
			c->out = zs.total_out;
			deflateEnd(&zs);
		} else {
#ifdef WDT_HAVE_DEFLATE
			struct libdeflate_compressor *d = libdeflate_alloc_compressor(6);

			for (size_t off = 0; off < len; off += 1 << 20) {
				size_t n = len - off > (1 << 20) ? 1 << 20 : len - off;

				c->out += libdeflate_gzip_compress(d, in + off, n, out,
								   cap);
			}
			libdeflate_free_compressor(d);
#else
			snprintf(c->note, sizeof(c->note), "built without libdeflate");
			free(out);
			return c;
#endif
		}
		t[i] = (double)(wdt_now_ns() - t0) / 1e9;
	}
	qsort(t, (size_t)reps, sizeof(double), cmp_dbl);
	c->secs = t[reps / 2];
	c->mib_s = (double)len / c->secs / (1 << 20);
	c->ok = true;
	free(out);
	printf("  %-44s %10.1f MiB/s %12llu bytes (%.3f of input)\n", c->name, c->mib_s,
	       (unsigned long long)c->out, (double)c->out / (double)len);
	fflush(stdout);
	return c;
}

void comp_suite(const char *corpus, const char *dev, const char *dev2,
		       bool quick)
{
	int fd = open(corpus, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *in;
	int reps = quick ? 1 : 3;
	struct comp_row *pigz, *wd1, *wd2, *wde2;

	printf("\n== compression, level 6, corpus %s\n", corpus);
	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		printf("  no corpus (%s): skipped (make bench makes build/bench/corpus)\n",
		       strerror(errno ? errno : ENOENT));
		if (fd >= 0)
			close(fd);
		return;
	}
	corpus_size = (uint64_t)st.st_size;
	in = malloc(corpus_size);
	if (!in || wdt_read_full(fd, in, corpus_size) != (ssize_t)corpus_size) {
		printf("  cannot read the corpus\n");
		free(in);
		close(fd);
		return;
	}
	close(fd);
	printf("  %llu bytes; median of %d runs; commands write into a pipe\n",
	       (unsigned long long)corpus_size, reps);
	comp_inproc("zlib -6 in-process, 1 thread, one stream", 0, in, corpus_size, reps);
	comp_inproc("libdeflate -6 in-process, 1 thread, 1 MiB", 1, in, corpus_size, reps);
	free(in);
	{
		char *pa[] = { "pigz", "-p", "2", "-6", "-c", (char *)corpus, NULL };

		pigz = comp_cmd("pigz -p 2 -6", pa, NULL, reps);
	}
	{
		char d1[80], d2[160];
		char *wa[] = { wd_exe, "zip", "-c", "-6", "--device", d1, (char *)corpus, NULL };
		char *wb[] = { wd_exe, "zip", "-c", "-6", "--device", d2, (char *)corpus, NULL };

		snprintf(d1, sizeof(d1), "%s", dev);
		snprintf(d2, sizeof(d2), "%s", dev2);
		/* each device's engines set, whatever our environment says */
		wd1 = comp_cmd("wd zip -6, in-process device (1 engine)", wa, "1", reps);
		wd2 = comp_cmd("wd zip -6, 2 in-process devices (2 engines)", wb, "1", reps);
		wde2 = comp_cmd("wd zip -6, in-process device (2 engines)", wa, "2", reps);
	}
	target("wd zip (in-process, 1 engine) / pigz -p 2 -6 (MiB/s)",
	       wd1->mib_s / pigz->mib_s, 1.5, true, wd1->ok && pigz->ok,
	       "%.1f / %.1f MiB/s; size %.4f of pigz's", wd1->mib_s, pigz->mib_s,
	       pigz->out ? (double)wd1->out / (double)pigz->out : 0);
	target("wd zip (2 in-process devices) / pigz -p 2 -6 (MiB/s)",
	       wd2->mib_s / pigz->mib_s, 1.5, true, wd2->ok && pigz->ok,
	       "%.1f / %.1f MiB/s; size %.4f of pigz's", wd2->mib_s, pigz->mib_s,
	       pigz->out ? (double)wd2->out / (double)pigz->out : 0);
	target("wd zip (in-process, 2 engines) / pigz -p 2 -6 throughput",
	       wde2->mib_s / pigz->mib_s, 1.5, true, wde2->ok && pigz->ok,
	       "%.1f / %.1f MiB/s; size %.4f of pigz's", wde2->mib_s, pigz->mib_s,
	       pigz->out ? (double)wde2->out / (double)pigz->out : 0);
	/* the 2-engine row's bytes: every wd zip row writes the same ones */
	target("wd zip size / pigz -p 2 -6 size", pigz->out ?
	       (double)wde2->out / (double)pigz->out : NAN, 1.0, false,
	       wde2->ok && pigz->ok, "%llu / %llu bytes",
	       (unsigned long long)wde2->out, (unsigned long long)pigz->out);
	stream_suite(corpus, reps, quick);
}
