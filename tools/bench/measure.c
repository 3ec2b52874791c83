// SPDX-License-Identifier: MIT
/*
 * wd-bench: measuring one point. Throughput and latency come from untraced
 * runs in this process, the best of opt_repeat. System calls per request
 * are counted from outside: the same point runs twice in a child under
 * `strace -f -c` (N and 2N requests) and the difference is divided by N,
 * which cancels start-up and warm-up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

/* ---- syscall counting from outside ---- */

static long strace_calls(const struct spec *s, uint64_t n, char *err, size_t elen)
{
	char spec[160], num[32], out[] = "/tmp/wd-bench-strace.XXXXXX";
	int fd = mkstemp(out), st;
	pid_t pid;
	long calls = -1;
	FILE *f;
	char line[256];

	if (fd < 0) {
		snprintf(err, elen, "mkstemp: %s", strerror(errno));
		return -1;
	}
	close(fd);
	spec_str(s, spec, sizeof(spec));
	snprintf(num, sizeof(num), "%llu", (unsigned long long)n);
	pid = fork();
	if (pid == 0) {
		int dn = open("/dev/null", O_RDWR);

		dup2(dn, 0);
		dup2(dn, 1);
		dup2(dn, 2);
		execlp("strace", "strace", "-f", "-c", "-o", out, self_exe,
		       "__worker", spec, num, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0) {
		snprintf(err, elen, "fork: %s", strerror(errno));
		unlink(out);
		return -1;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		snprintf(err, elen, WIFEXITED(st) && WEXITSTATUS(st) == 127 ?
			 "no strace" : "traced run failed (ptrace not permitted?)");
		unlink(out);
		return -1;
	}
	f = fopen(out, "r");
	while (f && fgets(line, sizeof(line), f)) {
		char tok[6][32];
		int nt = sscanf(line, "%31s %31s %31s %31s %31s %31s", tok[0], tok[1],
				tok[2], tok[3], tok[4], tok[5]);

		if (nt >= 5 && (!strcmp(tok[nt - 1], "total")))
			calls = atol(tok[3]);
	}
	if (f)
		fclose(f);
	unlink(out);
	if (calls < 0)
		snprintf(err, elen, "no strace summary");
	return calls;
}

/* ---- measuring one point ---- */

static void row_failed(struct result *res)
{
	printf("  %-30s %-7s %s\n", res->label, res->s.alg, res->note);
	fflush(stdout);
}

/*
 * The best of opt_repeat runs (highest rate, with its latencies), for
 * every row alike: on a shared machine a run can lose its CPU to someone
 * else's work, which says nothing about either path. false: no run
 * measured (res->note says why).
 */
static bool measure_rate(struct result *res)
{
	struct wdt_lat best = { 0 };

	for (int rep = 0; rep < opt_repeat; rep++) {
		struct wdt_lat l = { .ns = malloc(WDT_LAT_MAX * sizeof(uint32_t)) };
		struct wdt_run r = { .n = UINT64_MAX / 4, .lat = &l,
				     .warm_ns = (uint64_t)(opt_time * 1e8) };
		double rate;
		int ret;

		if (!l.ns) {
			wdt_err("%s", strerror(ENOMEM));
			exit(1);
		}
		r.deadline = wdt_now_ns() + (uint64_t)(opt_time * 1.1e9);
		run_cpu_ns = NAN;
		ret = run_spec(&res->s, &r);
		/* CPU time per request: the least of the runs (none: a runner without) */
		if (!ret && r.done && isfinite(run_cpu_ns) &&
		    (!res->cpu_ok || run_cpu_ns < res->cpu_ns)) {
			res->cpu_ns = run_cpu_ns;
			res->cpu_ok = true;
		}
		if (ret || !r.done || r.t_end <= r.t_start) {
			free(l.ns);
			if (rep)
				break;
			snprintf(res->note, sizeof(res->note), "%s", ret ? r.err : "no measurement");
			return false;
		}
		rate = (double)r.done / ((double)(r.t_end - r.t_start) / 1e9);
		/*
		 * A window much shorter than asked for (the warm-up of a slow
		 * point ate the time) would count requests that completed
		 * before it: such a run does not count.
		 */
		if ((double)(r.t_end - r.t_start) < opt_time * 0.5e9)
			rate = 0;
		if (rate > res->ops_s || !rep) {
			if (rate > res->ops_s)
				res->ops_s = rate;
			else
				l.n = 0;	/* the first run's latencies go with it */
			free(best.ns);
			best = l;
		} else {
			free(l.ns);
		}
	}
	if (res->ops_s <= 0) {
		snprintf(res->note, sizeof(res->note),
			 "too slow for --time %.2f: no full measuring window", opt_time);
		free(best.ns);
		return false;
	}
	res->mib_s = res->ops_s * res->s.size / (1 << 20);
	wdt_lat_pcts(&best, &res->p50_ns, &res->p99_ns);
	free(best.ns);
	return true;
}

/*
 * Calls per request = (calls(2N) - calls(N)) / N, which cancels start-up
 * and warm-up. A first pair with a small N shows whether the path makes
 * system calls at all (each traced call is slow, under TCG very slow);
 * only a path that makes (almost) none gets bigger pairs, the least of up
 * to three kept: a busy engine makes no system call, it parks (futex) only
 * after 50 us with nothing to do, which on a shared machine happens when
 * the submitting thread was taken off the CPU. A path whose cost is a
 * system call shows the same count every time.
 */
static void count_syscalls(struct result *res)
{
	uint64_t n1 = (uint64_t)(res->ops_s * 0.2), big = (uint64_t)(res->ops_s * 0.05);
	char err[96] = "";
	long c1, c2;

	n1 = n1 > 200 ? 200 : n1 < 20 ? 20 : n1;
	if (big > 200000)
		big = 200000;
	for (int tries = 0; tries < 4; tries++) {
		double v;

		c1 = strace_calls(&res->s, n1, err, sizeof(err));
		c2 = c1 >= 0 ? strace_calls(&res->s, 2 * n1, err, sizeof(err)) : -1;
		if (c1 < 0 || c2 < 0)
			break;
		v = c2 > c1 ? (double)(c2 - c1) / (double)n1 : 0;
		if (!res->sc_ok || v < res->sc)
			res->sc = v;
		res->sc_ok = true;
		if (res->sc < 0.0005)
			break;
		/*
		 * Many calls: confirm once with a pair of up to 5000, then
		 * stop. Not with the same small pair: under the tracer a KICK
		 * can take longer than the engine's 50 us idle spin, so the
		 * first few hundred requests one at a time each find the
		 * engine parked and KICK it again, a cycle the untraced path
		 * never enters (a small pair measured 1.000 call per request
		 * there, 20000 requests 0.065). A path whose cost is a system
		 * call shows the same count at any N.
		 */
		if (v > 0.25) {
			uint64_t conf = big < 5000 ? big : 5000;

			if (tries >= 1 || conf <= n1)
				break;
			n1 = conf;
			continue;
		}
		if (big <= n1)
			break;
		n1 = big;
	}
	if (!res->sc_ok)
		snprintf(res->note, sizeof(res->note), "syscalls: %s", err);
}

/* a new row of @s, not measured yet */
static struct result *new_row(const char *group, const char *label,
			      const struct spec *s)
{
	struct result *res;

	if (nresults == MAX_RESULTS) {
		wdt_err("too many results");
		exit(1);
	}
	res = &results[nresults++];
	memset(res, 0, sizeof(*res));
	res->s = *s;
	snprintf(res->group, sizeof(res->group), "%s", group);
	snprintf(res->label, sizeof(res->label), "%s", label);
	return res;
}

static struct result *measure(const char *group, const char *label,
			      const struct spec *s)
{
	struct result *res;
	char sc[32] = "n/a";

	load_sample();
	res = new_row(group, label, s);
	if (!measure_rate(res)) {
		row_failed(res);
		return res;
	}
	res->ok = true;
	if (opt_trace)
		count_syscalls(res);
	if (res->sc_ok)
		snprintf(sc, sizeof(sc), "%.3f", res->sc);
	printf("  %-30s %-7s %8u %5d %5d %12.0f %10.1f %10.2f %10.2f %8s",
	       label, s->alg, s->size, s->batch, s->depth, res->ops_s, res->mib_s,
	       res->p50_ns / 1e3, res->p99_ns / 1e3, sc);
	if (res->cpu_ok)
		printf("  cpu %.2f us/req", res->cpu_ns / 1e3);
	printf("\n");
	fflush(stdout);
	return res;
}

static struct spec mkspec(const char *kind, const char *alg, uint32_t size,
			  int batch, int depth, const char *dev)
{
	struct spec s = { 0 };

	snprintf(s.kind, sizeof(s.kind), "%s", kind);
	snprintf(s.alg, sizeof(s.alg), "%s", alg);
	s.size = size;
	s.batch = batch;
	s.depth = depth;
	snprintf(s.dev, sizeof(s.dev), "%s", dev ? dev : "");
	return s;
}

struct result *pt(const char *group, const char *label, const char *kind,
			 const char *alg, uint32_t size, int batch, int depth,
			 const char *dev)
{
	struct spec s = mkspec(kind, alg, size, batch, depth, dev);

	return measure(group, label, &s);
}

struct result *pt_skip(const char *group, const char *label, const char *kind,
		       const char *alg, uint32_t size, int batch, int depth,
		       const char *dev, const char *why)
{
	struct spec s = mkspec(kind, alg, size, batch, depth, dev);
	struct result *res = new_row(group, label, &s);

	snprintf(res->note, sizeof(res->note), "SKIP: %s", why);
	row_failed(res);
	return res;
}

void header(const char *title)
{
	printf("\n== %s\n  %-30s %-7s %8s %5s %5s %12s %10s %10s %10s %8s\n", title,
	       "path", "alg", "bytes", "batch", "depth", "op/s", "MiB/s",
	       "p50 us", "p99 us", "sc/req");
}

struct result *pt_new(const char *group, const char *label, const char *kind,
		      const char *alg, uint32_t size, int batch, int depth,
		      const char *dev)
{
	struct spec s = mkspec(kind, alg, size, batch, depth, dev);

	return new_row(group, label, &s);
}
