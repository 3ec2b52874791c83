// SPDX-License-Identifier: MIT
/*
 * wd-bench: one engine reached three ways in one run (issue 13), to
 * isolate the cost of each path:
 *
 *   AF_ALG -> crypto API -> wd_soft   bound to the driver "ALG-wd_soft"
 *   AF_ALG -> the CPU's own driver    bound to /proc/crypto's highest
 *                                     priority synchronous (shash) driver
 *                                     of ALG that is not wd_soft's
 *   the uacce ring                    libwd, one request at a time
 *                                     (spinning; sleeping in poll()) and
 *                                     batched
 *
 * ring (one at a time) / AF_ALG->wd_soft is what the system calls, the
 * crypto API and the kernel queue cost on the same engine, one request in
 * flight on both (spinning, the ring needs no system call; in poll(), it
 * sleeps for each request as AF_ALG does); AF_ALG->wd_soft / AF_ALG->CPU
 * is what the engine costs against hashing on the calling CPU, through
 * the same socket. wd_soft's
 * engine hashes with the crypto API's best "sha256" and "crc32c" at the
 * time the instance was created (kernel/wd_soft/algs.c): the same driver
 * as the CPU row when no faster one was loaded since.
 *
 * The AF_ALG rows also count the wd_soft engines' requests per operation
 * (debugfs wd_soft/wd_softN/crypto), which shows that the row did reach
 * wd_soft (or did not) and how many engine requests an operation takes.
 */
#define _GNU_SOURCE
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define GROUP	"cryptoapi"

/* a block of /proc/crypto */
struct calg {
	char name[64], driver[64], module[64], type[32], internal[8], selftest[16];
	int priority;
};

static void calg_set(struct calg *a, const char *key, const char *val)
{
	static const struct { const char *key; size_t off, len; } f[] = {
#define F(k) { #k, offsetof(struct calg, k), sizeof(((struct calg *)0)->k) }
		F(name), F(driver), F(module), F(type), F(internal), F(selftest),
#undef F
	};

	if (!strcmp(key, "priority")) {
		a->priority = atoi(val);
		return;
	}
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (!strcmp(key, f[i].key))
			snprintf((char *)a + f[i].off, f[i].len, "%s", val);
}

/* the CPU's own driver: synchronous, not wd_soft's, not internal, not failed */
static bool calg_cpu(const struct calg *a, const char *alg)
{
	return !strcmp(a->name, alg) && !strcmp(a->type, "shash") &&
	       strcmp(a->module, "wd_soft") && strcmp(a->internal, "yes") &&
	       strcmp(a->selftest, "failed");
}

/*
 * The CPU's own driver of @alg (calg_cpu()) with the highest priority in
 * /proc/crypto, into @drv; its priority, or -1 when there is none.
 */
static int cpu_driver(const char *alg, char *drv, size_t len)
{
	FILE *f = fopen("/proc/crypto", "r");
	struct calg a = { 0 };
	char line[256];
	int best = -1;
	bool more = f != NULL;

	while (more) {
		char key[32], val[128];

		more = fgets(line, sizeof(line), f) != NULL;
		if (more && sscanf(line, "%31[^: ] : %127[^\n]", key, val) == 2) {
			calg_set(&a, key, val);
			continue;
		}
		/* a blank line or the end: a block is complete */
		if (*a.name && calg_cpu(&a, alg) && a.priority > best) {
			best = a.priority;
			snprintf(drv, len, "%s", a.driver);
		}
		memset(&a, 0, sizeof(a));
	}
	if (f)
		fclose(f);
	return best;
}

/*
 * Requests of @alg ("sha256", "crc32c") completed by every wd_soft engine
 * for the crypto API (debugfs wd_soft/wd_softN/crypto), or -1 when no
 * instance shows the file (no debugfs, or no front door).
 */
static long long engine_requests(const char *alg)
{
	glob_t g;
	long long sum = -1;

	if (glob("/sys/kernel/debug/wd_soft/*/crypto", 0, NULL, &g))
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		char key[32];
		long long v;

		while (f && fscanf(f, "%31s %lld", key, &v) == 2)
			if (!strcmp(key, alg))
				sum = (sum < 0 ? 0 : sum) + v;
		if (f)
			fclose(f);
	}
	globfree(&g);
	return sum;
}

/* the op count of the engine-request census: enough to average, quick at 64 KiB */
#define CENSUS_OPS	200

/*
 * @row's path run for CENSUS_OPS operations (untimed) between two readings
 * of the engines' counters; the engine requests per operation go into the
 * row's note, after the driver it was bound to.
 */
static void census(struct result *row, int prio)
{
	struct wdt_run r = { .untimed = true, .n = CENSUS_OPS };
	long long before = engine_requests(row->s.alg), after;
	/* "driver <40>, priority <11>; wd_soft engine requests per op <20>" */
	char what[128] = "";
	size_t n = strlen(row->note);

	if (prio >= 0)
		snprintf(what, sizeof(what), "driver %.40s, priority %d", row->s.dev, prio);
	else
		snprintf(what, sizeof(what), "driver %.40s", row->s.dev);
	if (before < 0) {
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 "; no census: no debugfs wd_soft/*/crypto");
	} else if (run_spec(&row->s, &r)) {
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 "; no census: %s", r.err);
	} else if ((after = engine_requests(row->s.alg)) >= 0) {
		uint64_t ops = r.done + r.warm_done;

		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 "; wd_soft engine requests per op %.2f", (double)(after - before) / (double)ops);
	}
	/*
	 * A note a timed run left keeps it whole: the longest is
	 * count_syscalls()'s "syscalls: " and a runner's error.
	 */
	_Static_assert(sizeof(row->note) >= sizeof("syscalls: ") - 1 + sizeof(r.err) + 2 +
		       sizeof(what), "the census's note must fit after any other");
	snprintf(row->note + n, sizeof(row->note) - n, "%s%s", n ? "; " : "", what);
}

static const char *const meaning_api =
	"system calls + crypto API + kernel queue, same engine, one request in flight";
static const char *const meaning_poll =
	"both sleep for each request: AF_ALG's extra system call, the crypto API, kernel queue";
static const char *const meaning_batch =
	"the ring batched against AF_ALG to the same engine";
static const char *const meaning_engine =
	"the engine's cost against the CPU, same socket path";

void cryptoapi_suite(bool have_kernel, bool quick)
{
	static const uint32_t sizes[] = { 64, 4096, 65536 };
	static const char *const algs[] = { "sha256", "crc32c" };
	bool seen_skip = false;

	header("one engine three ways: AF_ALG -> crypto API -> wd_soft, AF_ALG -> the CPU's driver, the uacce ring");
	for (size_t a = 0; a < 2; a++) {
		char soft[64], cpu[64] = "", why[96];
		int prio = cpu_driver(algs[a], cpu, sizeof(cpu));

		snprintf(soft, sizeof(soft), "%s-wd_soft", algs[a]);
		printf("  %s: wd_soft's driver %s; the CPU's own: %s", algs[a], soft,
		       prio >= 0 ? cpu : "none in /proc/crypto");
		if (prio >= 0)
			printf(" (priority %d, the highest synchronous one but wd_soft's)", prio);
		printf("\n");
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint32_t sz = sizes[i];
			struct result *one, *pol, *bat, *ws, *cp;
			char name[96];

			/* crc32c at the two sizes where the path, not the CRC, dominates */
			if ((quick && sz > 4096) || (a == 1 && sz > 4096))
				continue;
			if (have_kernel) {
				one = pt(GROUP, "uacce, one at a time (spin)", "wd", algs[a],
					 sz, 1, 1, NULL);
				pol = pt(GROUP, "uacce, one at a time (poll)", "wdsync",
					 algs[a], sz, 1, 1, NULL);
				bat = pt(GROUP, "uacce (batch 16, 64 in flight)", "wd",
					 algs[a], sz, 16, 64, NULL);
			} else {
				one = pt_skip(GROUP, "uacce, one at a time (spin)", "wd",
					      algs[a], sz, 1, 1, NULL,
					      "no uacce device (uacce_mode=0?)");
				pol = pt_skip(GROUP, "uacce, one at a time (poll)", "wdsync",
					      algs[a], sz, 1, 1, NULL,
					      "no uacce device (uacce_mode=0?)");
				bat = pt_skip(GROUP, "uacce (batch 16, 64 in flight)", "wd",
					      algs[a], sz, 16, 64, NULL,
					      "no uacce device (uacce_mode=0?)");
			}
			ws = pt(GROUP, "AF_ALG->crypto API->wd_soft", "afalg", algs[a], sz,
				1, 1, soft);
			/* counted whenever the bind worked: a count, not a rate */
			if (strncmp(ws->note, "SKIP", 4))
				census(ws, -1);
			else
				seen_skip = true;
			if (prio >= 0) {
				cp = pt(GROUP, "AF_ALG->CPU's own driver", "afalg", algs[a], sz,
					1, 1, cpu);
				if (strncmp(cp->note, "SKIP", 4))
					census(cp, prio);
			} else {
				snprintf(why, sizeof(why), "no synchronous %s driver in /proc/crypto",
					 algs[a]);
				cp = pt_skip(GROUP, "AF_ALG->CPU's own driver", "afalg", algs[a],
					     sz, 1, 1, NULL, why);
			}
			snprintf(name, sizeof(name), "%s %u B: uacce one at a time / AF_ALG->wd_soft",
				 algs[a], sz);
			add_ratio(name, one, ws, meaning_api);
			snprintf(name, sizeof(name), "%s %u B: uacce poll / AF_ALG->wd_soft",
				 algs[a], sz);
			add_ratio(name, pol, ws, meaning_poll);
			snprintf(name, sizeof(name), "%s %u B: uacce batch 16 / AF_ALG->wd_soft",
				 algs[a], sz);
			add_ratio(name, bat, ws, meaning_batch);
			snprintf(name, sizeof(name), "%s %u B: AF_ALG->wd_soft / AF_ALG->%s",
				 algs[a], sz, prio >= 0 ? cpu : "CPU");
			add_ratio(name, ws, cp, meaning_engine);
		}
	}
	if (seen_skip)
		printf("  SKIP: AF_ALG to wd_soft's drivers (above): not registered with the crypto API"
		       " (wd_soft not loaded, or uacce_mode=2)\n");
}
