// SPDX-License-Identifier: MIT
/*
 * bench_guard: what reaching SVA request memory costs the in-process
 * device's engine, per request, for copy and sha256 from 64 B to 1 MiB:
 *
 *  fault    the design: a guarded copy (rep movsb; a bad address faults
 *           and the SIGSEGV/SIGBUS handler jumps out), no system call
 *  probe    the alternative without a signal handler: every copy made by
 *           process_vm_readv() on the process itself, which reports a bad
 *           address instead of faulting. Measured on the same engine in
 *           the state where it copies that way (it blocks a SIGBUS it
 *           handed on, see lib/soft/mem.c), which adds one sigpending()
 *           per batch of up to 16 requests: a slight overestimate of that
 *           design.
 *
 * N requests are queued while the engine is held, then released: the time
 * until the last completes is the engine's alone. Median of 9 runs.
 * Build: make -C tests/lib bench (build/native/libexec/bench_guard).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "soft/wd_soft_local.h"
#include "wd.h"
#include "wd_priv.h"

#define RUNS 9

union any {
	struct wd_copy_req c;
	struct wd_digest_req d;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double run(struct wd_queue *q, const char *alg, size_t size, int n,
		  unsigned char *src, unsigned char *dst, union any *reqs,
		  void **ptrs)
{
	struct wdl_dev *dev = wdl_queue_dev(((struct wd_q *)q->priv)->tp_priv);
	int got = 0;
	double t0;

	for (int i = 0; i < n; i++) {
		if (!strcmp(alg, "copy"))
			wd_prep_copy(&reqs[i].c, dst + (size_t)i * size,
				     src + (size_t)i * size, size);
		else
			wd_prep_digest(&reqs[i].d, dst + i * 64, 32,
				       src + (size_t)i * size, size, 0);
		ptrs[i] = &reqs[i];
	}
	wdl_dev_set_hold(dev, true);
	if (wd_send_many(q, ptrs, n) != n)
		abort();
	t0 = now();
	wdl_dev_set_hold(dev, false);
	while (got < n) {
		int r = wd_recv_many(q, ptrs, n);

		if (r < 0)
			abort();
		got += r;
	}
	t0 = now() - t0;
	for (int i = 0; i < n; i++)
		if (!strcmp(alg, "copy") ? reqs[i].c.status : reqs[i].d.status)
			abort();
	return t0 / n * 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* an engine thread ("wdlD/E") blocks @sig: it copies with process_vm_readv() */
static int engine_blocks(int sig)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int found = 0;

	if (!d)
		abort();
	while ((de = readdir(d))) {
		unsigned long long blk = 0;
		char path[300], line[256];
		int engine = 0;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "Name:\twdl", 9))
				engine = 1;
			sscanf(line, "SigBlk: %llx", &blk);
		}
		fclose(f);
		found |= engine && (blk & (1ull << (sig - 1)));
	}
	closedir(d);
	return found;
}

int main(void)
{
	static const size_t sizes[] = { 64, 4096, 65536, 1 << 20 };
	static const char *const algs[] = { "copy", "sha256" };
	double res[2][2][4];
	sigset_t bus;

	/* the application blocks SIGBUS: one sent lands on the engine */
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	sigprocmask(SIG_BLOCK, &bus, NULL);
	unsetenv("WD_LOCAL_ENGINES");
	for (int mode = 0; mode < 2; mode++) {
		for (int a = 0; a < 2; a++)
			for (int s = 0; s < 4; s++) {
				struct wd_queue q = { .capa.alg = algs[a] };
				size_t size = sizes[s];
				int n = size >= (1 << 20) ? 32 : 512;
				unsigned char *src = malloc(size * n);
				unsigned char *dst = malloc(size * n + 64 * n);
				union any *reqs = calloc(n, sizeof(*reqs));
				void **ptrs = calloc(n, sizeof(void *));
				double v[RUNS];

				strcpy(q.dev_path, "local:sva");
				if (!src || !dst || !reqs || !ptrs || wd_request_queue(&q))
					abort();
				if (mode == 1 && !engine_blocks(SIGBUS)) {
					double end = now() + 30;

					kill(getpid(), SIGBUS);
					while (!engine_blocks(SIGBUS))
						if (now() > end)
							abort();
				}
				memset(src, 0x5a, size * n);
				memset(dst, 1, size * n + 64 * n);
				run(&q, algs[a], size, n, src, dst, reqs, ptrs);
				for (int r = 0; r < RUNS; r++)
					v[r] = run(&q, algs[a], size, n, src, dst, reqs, ptrs);
				qsort(v, RUNS, sizeof(v[0]), cmp);
				res[mode][a][s] = v[RUNS / 2];
				wd_release_queue(&q);
				free(src);
				free(dst);
				free(reqs);
				free(ptrs);
			}
	}
	printf("%-7s %8s %12s %12s %7s\n", "alg", "bytes", "fault ns", "probe ns", "ratio");
	for (int a = 0; a < 2; a++)
		for (int s = 0; s < 4; s++)
			printf("%-7s %8zu %12.0f %12.0f %6.1fx\n", algs[a], sizes[s],
			       res[0][a][s], res[1][a][s], res[1][a][s] / res[0][a][s]);
	return 0;
}
