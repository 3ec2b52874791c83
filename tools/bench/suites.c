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

/*
 * A target of the project: @value against @goal, higher or lower better;
 * not @known when a side of the ratio was not measured.
 */
void target(const char *name, double value, double goal, bool higher,
	    bool known, const char *fmt, ...)
{
	struct target *t;
	va_list ap;

	if (ntargets == MAX_TARGETS) {
		wdt_err("too many targets");
		exit(1);
	}
	t = &targets[ntargets++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->value = value;
	t->goal = goal;
	t->higher_better = higher;
	t->known = known;
	va_start(ap, fmt);
	vsnprintf(t->detail, sizeof(t->detail), fmt, ap);
	va_end(ap);
}

static double p50(struct result *r)
{
	return r && r->ok ? r->p50_ns : NAN;
}

static double ops(struct result *r)
{
	return r && r->ok ? r->ops_s : NAN;
}

/* ---- suites ---- */

static const uint32_t sizes[] = { 64, 4096, 65536, 1 << 20 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

void native_suite(const char *dev, bool quick, bool rt_only)
{
	struct result *line, *efd, *loc1, *ur1, *l32 = NULL, *u32 = NULL;
	static const int batches[] = { 1, 8, 32, 128 };
	double worst_sc = 0;
	bool sc_known = true;

	header("one request at a time (round trip)");
	line = pt("roundtrip", "cache line, 2 threads (floor)", "cacheline", "-", 0, 1, 1, NULL);
	loc1 = pt("roundtrip", "in-process device", "wd", "nop", 0, 1, 1, dev);
	efd = pt("roundtrip", "eventfd, 2 threads", "eventfd", "-", 0, 1, 1, NULL);
	ur1 = pt("roundtrip", "io_uring NOP", "uring", "nop", 0, 1, 1, NULL);
	(void)efd;
	(void)ur1;
	target("in-process round trip / cache-line round trip (p50)",
	       p50(loc1) / p50(line), 1.5, false, !isnan(p50(loc1) / p50(line)),
	       "%.0f ns / %.0f ns", p50(loc1), p50(line));

	if (rt_only)
		return;
	header("null requests: batches (in flight: 2 x batch)");
	for (size_t i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
		int b = batches[i];
		struct result *l, *u;

		if (quick && b == 128)
			continue;
		l = pt("batch", "in-process device", "wd", "nop", 0, b, 2 * b, dev);
		u = pt("batch", "io_uring NOP", "uring", "nop", 0, b, b, NULL);
		if (b == 32) {
			l32 = l;
			u32 = u;
		}
		/* busy: at least 16 requests queued (batch 8 and up) */
		if (b >= 8 && l->sc_ok && l->sc > worst_sc)
			worst_sc = l->sc;
		if (b >= 8)
			sc_known &= l->sc_ok;
	}
	target("in-process batched nop / io_uring NOP, batch 32 (op/s)",
	       ops(l32) / ops(u32), 3, true, !isnan(ops(l32) / ops(u32)),
	       "%.0f op/s / %.0f op/s", ops(l32), ops(u32));

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
			sc_known &= l->sc_ok;
		}
	}
	target("in-process device: syscalls per request while busy (worst point)",
	       worst_sc, 0, false, sc_known, "nop in batches of 8 and more, every size above");
}

void kernel_suite(bool quick)
{
	struct result *k64 = NULL, *a64 = NULL, *k4k = NULL, *a4k = NULL;
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
	target("kernel path sha256 64 B / AF_ALG (op/s)", ops(k64) / ops(a64), 5, true,
	       !isnan(ops(k64) / ops(a64)), "%.0f op/s / %.0f op/s", ops(k64), ops(a64));
	target("kernel path sha256 4 KiB / AF_ALG (op/s)", ops(k4k) / ops(a4k), 1.5, true,
	       !isnan(ops(k4k) / ops(a4k)), "%.0f op/s / %.0f op/s", ops(k4k), ops(a4k));
	target("kernel path: syscalls per request while busy (worst point)",
	       worst_sc, 0, false, sc_known, "batched nop, sha256 and crc32c above");
}
