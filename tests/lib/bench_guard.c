// SPDX-License-Identifier: MIT
/*
 * bench_guard: what reaching SVA request memory costs the in-process
 * device, per request, for copy, crc32c and sha256 of 64 B, 4 KiB, 64 KiB
 * and 1 MiB, in the two ways its engines can do it (lib/soft/mem.c):
 *
 *  kernel   the default: process_vm_readv/writev on the process itself,
 *           one system call per 64 KiB chunk read or written
 *  signal   WD_LOCAL_SVA_COPY=signal: the engine's own guarded copy (rep
 *           movsb), a bad address caught by the SIGSEGV/SIGBUS handler
 *
 * Three figures per point:
 *  - engine CPU time per request: N requests (up to a ring, 1024) on
 *    distinct buffers queued while the engine is held, then released; the
 *    engine thread's CPU time (its thread CPU clock: user and system)
 *    until the last completes, divided by N. A machine's other load hardly
 *    changes it, where it stretches wall time (median of 3 in a process);
 *    it includes a few microseconds of the engine's idle spin after the
 *    last request;
 *  - wall time per request of the same runs;
 *  - latency: one request at a time on one buffer (cache-hot), submitted
 *    and its completion polled for (no sleep: the engine spins): the best
 *    decile of 101 round trips, which is the path's own cost; the median
 *    on a loaded machine is the scheduler's (the poller and the engine
 *    each need a CPU).
 * Each mode runs in a child process of its own (libwd's device reads the
 * variable once, at creation); the two alternate, RUNS times each, and
 * the medians over the runs are printed with their ratio, so that a load
 * that comes and goes on the machine weighs on both alike.
 *
 * It prints, asserts nothing. Build: make -C tests/lib bench
 * (build/native/libexec/bench_guard); run it on a quiet machine.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engines.h"
#include "wd_ctl.h"
#include "wd.h"

#define RUNS	5		/* children per mode */
#define INNER	3		/* throughput runs per child */
#define LAT	101		/* round trips per latency point */
#define NALG	3
#define NSIZE	4

static const char *const algs[NALG] = { "copy", "crc32c", "sha256" };
static const size_t sizes[NSIZE] = { 64, 4096, 65536, 1 << 20 };
static const char *const modes[2] = { "kernel", "signal" };

union any {
	struct wd_copy_req c;
	struct wd_digest_req d;
};

/* a child's results: ns per request (engine CPU, wall), ns round trip */
struct res {
	double cpu[NALG][NSIZE];
	double wall[NALG][NSIZE];
	double lat[NALG][NSIZE];
};

/* the tid of the one engine thread */
static int engine_tid(void)
{
	struct eng_tid t;

	if (eng_tids(&t, 1, NULL) < 1)
		abort();
	return t.tid;
}

/*
 * The CPU clock of thread @tid of this process, as pthread_getcpuclockid()
 * makes it (the kernel's CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED encoding):
 * unlike /proc's schedstat, it includes the running slice.
 */
static clockid_t thread_clock(int tid)
{
	return (clockid_t)((~(unsigned int)tid << 3) | 6);
}

static double cpu_ns(clockid_t clk)
{
	struct timespec ts;

	if (clock_gettime(clk, &ts))
		abort();
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(v[0]), cmp);
	return v[n / 2];
}

static void prep(union any *r, int a, uint8_t *dst, uint8_t *src, size_t size)
{
	if (a == 0)
		wd_prep_copy(&r->c, dst, src, size);
	else
		wd_prep_digest(&r->d, dst, 64, src, size, 0);
}

static int status(const union any *r, int a)
{
	return a == 0 ? r->c.status : r->d.status;
}

/*
 * @n queued while held, then released: engine CPU ns per request (@cpu:
 * the engine's CPU clock), wall ns per request into *@wall
 */
static double tput(struct wd_queue *q, int a, size_t size, int n,
		   uint8_t *src, uint8_t *dst, union any *reqs, void **ptrs,
		   clockid_t cpu, double *wall)
{
	size_t out = a == 0 ? size : 64;
	int got = 0;
	double t0, c0;

	for (int i = 0; i < n; i++) {
		prep(&reqs[i], a, dst + i * out, src + i * size, size);
		ptrs[i] = &reqs[i];
	}
	wd_ctl_attr_set(q->dev_path, "hold", "1");
	if (wd_send_many(q, ptrs, n) != n)
		abort();
	c0 = cpu_ns(cpu);
	t0 = now();
	wd_ctl_attr_set(q->dev_path, "hold", "0");
	while (got < n) {
		int r = wd_recv_many(q, ptrs, n);

		if (r < 0)
			abort();
		got += r;
	}
	t0 = now() - t0;
	c0 = cpu_ns(cpu) - c0;
	for (int i = 0; i < n; i++)
		if (status(&reqs[i], a))
			abort();
	*wall = t0 / n * 1e9;
	return c0 / n;
}

/* one request at a time: the round trip, polled for */
static double latency(struct wd_queue *q, int a, size_t size, uint8_t *src,
		      uint8_t *dst)
{
	double v[LAT];
	union any r;
	void *back;

	for (int i = -5; i < LAT; i++) {
		double t0 = now();

		prep(&r, a, dst, src, size);
		back = &r;
		if (wd_send_many(q, &back, 1) != 1)
			abort();
		while (!wd_recv(q, &back))
			;
		if (status(&r, a))
			abort();
		if (i >= 0)
			v[i] = (now() - t0) * 1e9;
	}
	qsort(v, LAT, sizeof(v[0]), cmp);
	return v[LAT / 10];
}

static void child(struct res *res)
{
	clockid_t cpu = 0;
	bool have_cpu = false;

	for (int a = 0; a < NALG; a++)
		for (int s = 0; s < NSIZE; s++) {
			struct wd_queue q = { .capa.alg = algs[a] };
			size_t size = sizes[s];
			int n = size >= (1 << 20) ? 32 : size >= 65536 ? 128 : 1024;
			uint8_t *src = malloc(size * n);
			uint8_t *dst = malloc((a == 0 ? size : 64) * n);
			union any *reqs = calloc(n, sizeof(*reqs));
			void **ptrs = calloc(n, sizeof(void *));
			double v[INNER], w[INNER];

			strcpy(q.dev_path, "local:sva");
			if (!src || !dst || !reqs || !ptrs || wd_request_queue(&q))
				abort();
			if (!have_cpu) {
				cpu = thread_clock(engine_tid());
				have_cpu = true;
			}
			memset(src, 0x5a, size * n);
			memset(dst, 1, (a == 0 ? size : 64) * n);
			/* warm */
			tput(&q, a, size, n, src, dst, reqs, ptrs, cpu, &w[0]);
			for (int r = 0; r < INNER; r++)
				v[r] = tput(&q, a, size, n, src, dst, reqs, ptrs,
					    cpu, &w[r]);
			res->cpu[a][s] = median(v, INNER);
			res->wall[a][s] = median(w, INNER);
			res->lat[a][s] = latency(&q, a, size, src, dst);
			wd_release_queue(&q);
			free(src);
			free(dst);
			free(reqs);
			free(ptrs);
		}
}

/* one child in @mode: its results */
static void run_mode(int mode, struct res *res)
{
	int p[2], st;
	pid_t pid;

	if (pipe(p))
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (!pid) {
		struct res r;

		close(p[0]);
		setenv("WD_LOCAL_SVA_COPY", modes[mode], 1);
		child(&r);
		if (write(p[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], res, sizeof(*res)) != (ssize_t)sizeof(*res))
		abort();
	close(p[0]);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		abort();
}

int main(void)
{
	static struct res r[2][RUNS];
	double la[2], t0 = now();

	unsetenv("WD_LOCAL_ENGINES");
	for (int run = 0; run < RUNS; run++)
		for (int k = 0; k < 2; k++) {
			/* alternate which goes first */
			int mode = (run + k) % 2;

			run_mode(mode, &r[mode][run]);
		}
	if (getloadavg(la, 2) != 2)
		la[0] = la[1] = -1;
	printf("bench_guard: medians of %d alternating runs per mode, %.0f s; "
	       "load average %.2f (1 min), %.2f (5 min); %ld CPUs\n", RUNS,
	       now() - t0, la[0], la[1], sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-7s %8s | %-26s %6s | %-26s %6s | %-26s %6s\n", "", "",
	       "engine CPU ns/request", "", "wall ns/request", "",
	       "round trip ns (best decile)", "");
	printf("%-7s %8s | %12s %13s %6s | %12s %13s %6s | %12s %13s %6s\n",
	       "alg", "bytes", "kernel", "signal", "ratio", "kernel", "signal",
	       "ratio", "kernel", "signal", "ratio");
	for (int a = 0; a < NALG; a++)
		for (int s = 0; s < NSIZE; s++) {
			double c[2], t[2], l[2];

			for (int m = 0; m < 2; m++) {
				double vc[RUNS], vt[RUNS], vl[RUNS];

				for (int run = 0; run < RUNS; run++) {
					vc[run] = r[m][run].cpu[a][s];
					vt[run] = r[m][run].wall[a][s];
					vl[run] = r[m][run].lat[a][s];
				}
				c[m] = median(vc, RUNS);
				t[m] = median(vt, RUNS);
				l[m] = median(vl, RUNS);
			}
			printf("%-7s %8zu | %12.0f %13.0f %5.1fx | %12.0f %13.0f %5.1fx | %12.0f %13.0f %5.1fx\n",
			       algs[a], sizes[s], c[0], c[1], c[0] / c[1], t[0],
			       t[1], t[0] / t[1], l[0], l[1], l[0] / l[1]);
		}
	return 0;
}
