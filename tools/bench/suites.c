// SPDX-License-Identifier: MIT
/*
 * wd-bench: the suites and the project's targets (docs/performance.md).
 *
 *   native: the in-process device against the two-thread cache-line round
 *     trip (the floor), an eventfd handoff between two threads and io_uring
 *     NOP (liburing); sizes 64 B .. 1 MiB against the same work done by the
 *     CPU in-process.
 *   kernel (in the VM, a kernel device present): the uacce path against
 *     AF_ALG with the same kernel algorithm and against a syscall per
 *     request (waiting in poll() for each request, and the bare null
 *     syscall).
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* ---- targets ---- */

static void target_v(const char *name, double value, double goal, double hi,
		     enum better better, bool known, const char *fmt, va_list ap)
{
	struct target *t = target_new();

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->value = value;
	t->goal = goal;
	t->goal_hi = hi;
	t->better = better;
	t->known = known && isfinite(value);
	vsnprintf(t->detail, sizeof(t->detail), fmt, ap);
	/* a target not measured says so first, whatever its caller wrote */
	if (!t->known && strncmp(t->detail, "not measured", 12)) {
		char d[sizeof(t->detail)];

		snprintf(d, sizeof(d), "%s", t->detail);
		snprintf(t->detail, sizeof(t->detail), "not measured: %.170s", d);
	}
}

/*
 * A target of the project: @value against @goal, higher or lower better;
 * not @known when a side of the ratio was not measured.
 */
void target(const char *name, double value, double goal, bool higher,
	    bool known, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	target_v(name, value, goal, goal, higher ? BETTER_HIGHER : BETTER_LOWER, known,
		 fmt, ap);
	va_end(ap);
}

void target_band(const char *name, double value, double lo, double hi,
		 bool known, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	target_v(name, value, lo, hi, BETTER_BAND, known, fmt, ap);
	va_end(ap);
}

/*
 * Every target of this run's kind appears in its JSON: one whose suite
 * did not run (--suite) or whose device is missing is not measured (ratio
 * null, met false) and says why. Natively (an in-process device) the
 * native ones, with a kernel device the kernel ones; the scale target in
 * both.
 */
void targets_missing(bool have_local, bool have_kernel, const char *suite)
{
	static const struct {
		const char *name, *suite;
		int where;		/* 0: the in-process device's, 1: a kernel
					 * device's, 2: either's (scale: the kernel
					 * device when there is one) */
		enum better better;
		double goal, hi;
	} want[] = {
		{ T_RT, "roundtrip", 0, BETTER_LOWER, 1.2, 1.2 },
		{ T_BATCH, "native", 0, BETTER_HIGHER, 3, 3 },
		{ T_SC, "native", 0, BETTER_LOWER, 0, 0 },
		{ T_ZIP, "comp", 0, BETTER_HIGHER, 1.5, 1.5 },
		{ T_ZIPSZ, "comp", 0, BETTER_LOWER, 1.0, 1.0 },
		{ T_K64, "kernel", 1, BETTER_HIGHER, 5, 5 },
		{ T_CPU4K, "kernel", 1, BETTER_LOWER, 0.10, 0.10 },
		{ T_CPU64K, "kernel", 1, BETTER_LOWER, 0.10, 0.10 },
		{ T_SC, "kernel", 1, BETTER_LOWER, 0, 0 },
		{ T_SCALE, "scale", 2, BETTER_BAND, 0.9, 1.1 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool seen = false;
		char why[160];
		struct target *t;

		if (want[i].where == 0 ? !have_local : want[i].where == 1 ? !have_kernel :
		    !have_local && !have_kernel)
			continue;
		for (int k = 0; k < ntargets; k++)
			seen |= !strcmp(targets[k].name, want[i].name);
		if (seen)
			continue;
		snprintf(why, sizeof(why), "not measured: suite %s not run (--suite %s)",
				 want[i].suite, suite);
		t = target_new();
		snprintf(t->name, sizeof(t->name), "%s", want[i].name);
		t->value = NAN;
		t->goal = want[i].goal;
		t->goal_hi = want[i].hi;
		t->better = want[i].better;
		t->loaded = false;
		snprintf(t->detail, sizeof(t->detail), "%s", why);
	}
}

static double p50(struct result *r)
{
	return r && r->ok ? r->p50_ns : NAN;
}

static double ops(struct result *r)
{
	return r && r->ok ? r->ops_s : NAN;
}

static double cpu(struct result *r)
{
	return r && r->ok && r->cpu_ok ? r->cpu_ns : NAN;
}

/*
 * The zero-system-call target over the points of @what: unknown when one
 * was not counted (@miss, the first: its size and why).
 */
static void sc_target(double worst, bool known, const struct result *miss, const char *what)
{
	if (!opt_trace)
		target(T_SC, NAN, 0, false, false, "system calls not counted (--no-trace)");
	else if (!known && miss)
		target(T_SC, NAN, 0, false, false, "%s %u B batch %d: %s", miss->s.alg,
		       miss->s.size, miss->s.batch, miss->note);
	else
		target(T_SC, worst, 0, false, known, "%s", what);
}

/* ---- suites ---- */

static const uint32_t sizes[] = { 64, 4096, 65536, 1 << 20 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

void native_suite(const char *dev, bool quick, bool rt_only)
{
	struct result *line, *efd, *loc1, *ur1, *l32 = NULL, *u32 = NULL, *sc_miss = NULL;
	static const int batches[] = { 1, 8, 32, 128 };
	double worst_sc = 0;
	bool sc_known = true;

	header("one request at a time (round trip)");
	line = pt("roundtrip", "cache line, 2 threads (floor)", "cacheline", "-", 0, 1, 1, NULL);
	/* the bench's own loop (ring.c): the calls switch to libwd 1.4's in one line */
	loc1 = pt("roundtrip", "in-process device", "ring", "nop", 0, 1, 1, dev);
	efd = pt("roundtrip", "eventfd, 2 threads", "eventfd", "-", 0, 1, 1, NULL);
	ur1 = pt("roundtrip", "io_uring NOP", "uring", "nop", 0, 1, 1, NULL);
	(void)efd;
	(void)ur1;
	target(T_RT, p50(loc1) / p50(line), 1.2, false, !isnan(p50(loc1) / p50(line)),
	       "%.0f ns / %.0f ns%s%s", p50(loc1), p50(line), loc1->ok && line->ok ? "" : ": ",
	       !loc1->ok ? loc1->note : !line->ok ? line->note : "");

	if (rt_only)
		return;
	header("null requests: batches (in flight: 2 x batch)");
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		int b = batches[i];
		struct result *l, *u;

		if (quick && b == 128)
			continue;
		l = pt("batch", "in-process device", "ring", "nop", 0, b, 2 * b, dev);
		u = pt("batch", "io_uring NOP", "uring", "nop", 0, b, b, NULL);
		if (b == 32) {
			l32 = l;
			u32 = u;
		}
		/* busy: at least 16 requests queued (batch 8 and up) */
		if (b >= 8 && l->sc_ok && l->sc > worst_sc)
			worst_sc = l->sc;
		if (b >= 8 && !l->sc_ok && !sc_miss)
			sc_miss = l;
		if (b >= 8)
			sc_known &= l->sc_ok;
	}
	target(T_BATCH, ops(l32) / ops(u32), 3, true, !isnan(ops(l32) / ops(u32)),
	       "%.0f op/s / %.0f op/s%s%s", ops(l32), ops(u32),
	       l32 && l32->ok && u32 && u32->ok ? "" : ": ",
	       l32 && !l32->ok ? l32->note : u32 && !u32->ok ? u32->note : "");

	header("sizes: the device (batch 16, 64 in flight; 1 MiB: 8, 16) and the CPU in-process");
	for (size_t i = 0; i < NSIZES; i++) {
		static const char *const algs[] = { "copy", "crc32c", "sha256" };

		if (quick && sizes[i] == 65536)
			continue;
		for (size_t a = 0; a < 3; a++) {
			struct result *l = pt("sizes", "in-process device", "wd", algs[a],
					      sizes[i], sizes[i] >= (1 << 20) ? 8 : 16,
					      sizes[i] >= (1 << 20) ? 16 : 64, dev);

			pt("sizes", "CPU in-process", "cpu", algs[a], sizes[i], 1, 1, NULL);
			if (l->sc_ok && l->sc > worst_sc)
				worst_sc = l->sc;
			if (!l->sc_ok && !sc_miss)
				sc_miss = l;
			sc_known &= l->sc_ok;
		}
	}
	sc_target(worst_sc, sc_known, sc_miss,
		  "in-process device: nop in batches of 8 and more, every size above");
}

void kernel_suite(bool quick)
{
	struct result *k64 = NULL, *a64 = NULL, *k4k = NULL, *a4k = NULL, *sc_miss = NULL;
	double worst_sc = 0;
	bool sc_known = true, afalg_missing = false;

	header("kernel path: null requests");
	pt("kroundtrip", "uacce, one at a time (spin)", "wd", "nop", 0, 1, 1, NULL);
	pt("kroundtrip", "uacce, one at a time (poll)", "wdsync", "nop", 0, 1, 1, NULL);
	pt("kroundtrip", "null syscall (getppid)", "syscall", "-", 0, 1, 1, NULL);
	{
		struct result *b = pt("kbatch", "uacce, batch 32", "wd", "nop", 0, 32, 64, NULL);

		if (b->sc_ok && b->sc > worst_sc)
			worst_sc = b->sc;
		if (!b->sc_ok)
			sc_miss = b;
		sc_known &= b->sc_ok;
	}

	header("kernel path against AF_ALG and a syscall per request");
	for (size_t i = 0; i < NSIZES; i++) {
		static const char *const algs[] = { "sha256", "crc32c" };

		if (quick && sizes[i] > 4096)
			continue;
		for (size_t a = 0; a < 2; a++) {
			struct result *k, *f;

			if (!strcmp(algs[a], "crc32c") && (sizes[i] > 4096 || quick))
				continue;
			k = pt("kernel", "uacce (batch 16, 64 in flight)", "wd", algs[a],
			       sizes[i], sizes[i] >= (1 << 20) ? 8 : 16,
			       sizes[i] >= (1 << 20) ? 16 : 64, NULL);
			f = pt("kernel", "AF_ALG (send+read per op)", "afalg", algs[a],
			       sizes[i], 1, 1, NULL);
			pt("kernel", "uacce, one at a time (poll)", "wdsync", algs[a],
			   sizes[i], 1, 1, NULL);
			if (!f->ok)
				afalg_missing = true;
			if (k->sc_ok && k->sc > worst_sc)
				worst_sc = k->sc;
			if (!k->sc_ok && !sc_miss)
				sc_miss = k;
			sc_known &= k->sc_ok;
			if (!strcmp(algs[a], "sha256") && sizes[i] == 64) {
				k64 = k;
				a64 = f;
			}
			if (!strcmp(algs[a], "sha256") && sizes[i] == 4096) {
				k4k = k;
				a4k = f;
			}
		}
	}
	if (afalg_missing)
		printf("  note: AF_ALG is missing or refused on this kernel (see above): no comparison\n");
	target(T_K64, ops(k64) / ops(a64), 5, true, !isnan(ops(k64) / ops(a64)),
	       "%.0f op/s / %.0f op/s (uacce batch 16, 64 in flight / AF_ALG send+read)",
	       ops(k64), ops(a64));
	/* a target until issue 15 (1.5x), now a figure: the CPU-time targets below */
	add_ratio("kernel sha256 4 KiB / AF_ALG (op/s)", k4k, a4k,
		  "uacce batch 16, 64 in flight / AF_ALG send+read");

	header("kernel path: the submitting thread's CPU time per request (sleeping in poll() per batch)");
	for (size_t i = 0; i < 2; i++) {
		static const uint32_t csz[] = { 4096, 65536 };
		struct result *k, *f;

		k = pt("kcpu", "uacce, batch 16, 64 in flight, poll()", "wdpoll", "sha256",
		       csz[i], 16, 64, NULL);
		f = pt("kcpu", "AF_ALG (send+read per op)", "afalg", "sha256", csz[i], 1, 1, NULL);
		if (!isnan(cpu(k) / cpu(f)))
			target(i ? T_CPU64K : T_CPU4K, cpu(k) / cpu(f), 0.10, false, true,
			       "%.0f ns / %.0f ns of the submitting thread's CPU per request"
			       " (uacce batch 16, 64 in flight, poll() per batch / AF_ALG)",
			       cpu(k), cpu(f));
		else
			target(i ? T_CPU64K : T_CPU4K, NAN, 0.10, false, false,
			       "not measured: %s", !k->ok || !k->cpu_ok ?
			       (*k->note ? k->note : "uacce row: no CPU time") :
			       (*f->note ? f->note : "AF_ALG row: no CPU time"));
	}
	/* not the poll() rows: they sleep while the engine works, by design */
	sc_target(worst_sc, sc_known, sc_miss, "kernel path: batched nop, sha256 and crc32c above");
}
