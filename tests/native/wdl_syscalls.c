// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wdl_syscalls: system calls per request of the in-process device, counted
 * from outside by a tracer.
 *
 * The test runs this same program again as a workload under
 * `strace -f -o LOG` (every thread of the process, the engines included).
 * For each kind of request the workload keeps the ring nearly full with a
 * steady trickle (reap what completed, submit up to 64, publish; it polls
 * the completion ring and makes a system call only for a KICK, when it
 * sees NEED_WAKEUP, as the protocol says), and once in steady state marks
 * the start of the measured window with a system call strace shows
 * (write(-1, "WDL-BEGIN-kind")), then its end after N more completions.
 * The test counts the system calls that began in the window, in all
 * threads: a busy engine makes none, the submitter none either.
 *
 * Whether the engine ever runs dry meanwhile is the machine's business:
 * when the submitter is off the CPU longer than the engine takes to drain
 * the ring, the engine spins, parks the queue and sleeps (a futex wait),
 * the submitter KICKs (a futex wake), and the mutex changes hands around
 * that. So the claims are measured apart, each without luck:
 *
 *  - busy: on a device whose engine spins 4 s before it parks (a
 *    submitter away that long is a hang) and copies with the signal guard
 *    (WDL_SVA_COPY_SIGNAL), no phase may make more than N/1000 system
 *    calls: a busy engine makes none, the submitter none;
 *  - busy, kernel copy: the same on a device with the default
 *    WDL_SVA_COPY_KERNEL, whose engine reaches SVA request data with one
 *    process_vm_readv/writev per chunk (of up to 64 KiB) it reads or
 *    writes: those calls must number the requests' chunks (within the
 *    requests a window's edges may cut), and everything else N/1000;
 *  - parking: on a signal-mode device with the default spin (50 us), the
 *    NOP and 4 KiB copy phases again, where every system call must be
 *    accounted for by a park (the engines count them): at most N/1000 + 8
 *    per park.
 *
 * How many parks a loaded machine causes, and what the whole path costs in
 * system calls per request, are figures: wd-bench measures them
 * (docs/performance.md, "zero system calls per request while busy").
 *
 * Without strace, or where ptrace is not allowed: SKIP.
 */
#include "nt.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * The phases: every kind of request on the signal-mode device that never
 * parks, then on the kernel-copy one (fewer: strace stops at each of their
 * system calls), then the two that drain a full ring fastest (NOPs, 4 KiB
 * copies: tens or hundreds of microseconds) on the device that parks after
 * 50 us.
 */
enum { DEV_BUSY, DEV_KERNEL, DEV_PARKING };

struct phase {
	const char *name;
	uint16_t op;
	uint32_t params;
	uint32_t len;		/* bytes per request */
	unsigned int n;		/* requests measured */
	int dev;		/* DEV_* */
	unsigned int chunks;	/* DEV_KERNEL: chunks read + written each */
};

static const struct phase phases[] = {
	{ "nop", WD_SOFT_OP_NOP, 0, 0, 1000000, DEV_BUSY, 0 },
	{ "copy4k", WD_SOFT_OP_COPY, 0, 4096, 200000, DEV_BUSY, 0 },
	{ "copy256k", WD_SOFT_OP_COPY, 0, 256 << 10, 10000, DEV_BUSY, 0 },
	{ "crc32c256k", WD_SOFT_OP_CRC32C, 0, 256 << 10, 10000, DEV_BUSY, 0 },
	{ "sha256-64k", WD_SOFT_OP_SHA256, 0, 64 << 10, 20000, DEV_BUSY, 0 },
	{ "gzip1-4k", WD_SOFT_OP_GZIP_COMP, 1, 4 << 10, 20000, DEV_BUSY, 0 },
	/* 4 KiB in, out; 4 + 4 chunks; 4 in, 4 bytes out; 1 in, 32 out */
	{ "nop-kernel", WD_SOFT_OP_NOP, 0, 0, 200000, DEV_KERNEL, 0 },
	{ "copy4k-kernel", WD_SOFT_OP_COPY, 0, 4096, 50000, DEV_KERNEL, 2 },
	{ "copy256k-kernel", WD_SOFT_OP_COPY, 0, 256 << 10, 10000, DEV_KERNEL,
	  8 },
	{ "crc32c256k-kernel", WD_SOFT_OP_CRC32C, 0, 256 << 10, 10000,
	  DEV_KERNEL, 5 },
	{ "sha256-64k-kernel", WD_SOFT_OP_SHA256, 0, 64 << 10, 20000,
	  DEV_KERNEL, 2 },
	{ "nop-parking", WD_SOFT_OP_NOP, 0, 0, 1000000, DEV_PARKING, 0 },
	{ "copy4k-parking", WD_SOFT_OP_COPY, 0, 4096, 200000, DEV_PARKING, 0 },
};
#define NR_PHASES (sizeof(phases) / sizeof(phases[0]))
#define SRC_SIZE (256 << 10)
#define DST_SLOT (300 << 10)

/* ---- the workload (runs under strace) ---- */

static void marker(const char *what, const char *name)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "WDL-%s-%s", what, name);

	/* a system call strace shows, with no effect */
	if (syscall(SYS_write, -1, buf, n) != -1)
		_exit(3);
}

struct result {
	uint64_t ns, kicks, parks, sleeps;
};

/*
 * Keep the ring nearly full with a steady trickle: reap what has
 * completed, submit up to 64 more, publish, again. (Filling all 1024 slots
 * at once and then reaping all of them would let a fast engine run dry
 * between bursts.) The window: from @warm completions on, @n of them.
 */
static void run(struct nq *q, const struct phase *p, unsigned int warm,
		unsigned int n, uint8_t *src, uint8_t *dst, struct result *r)
{
	unsigned int sent = 0, got = 0, total = warm + n + 2048, k;
	struct wdl_stats st0, st1;
	struct wd_soft_cqe cqe;
	uint64_t kicks = 0, t0 = 0;
	bool in = false;

	while (got < total) {
		/* poll the completion ring: no system call */
		for (k = 0; k < 64 && nq_try_reap(q, &cqe); k++) {
			if (cqe.status != WD_SOFT_S_OK || cqe.user_data != got)
				FAIL("%s: CQE %u: %s", p->name, got,
				     nt_stname(cqe.status));
			got++;
		}
		if (!in && got >= warm) {
			in = true;
			wdl_dev_stats(q->dev, &st0);
			kicks = q->kicks;
			marker("BEGIN", p->name);
			t0 = nt_now_ns();
		} else if (in && got >= warm + n && t0) {
			r->ns = nt_now_ns() - t0;
			marker("END", p->name);
			wdl_dev_stats(q->dev, &st1);
			r->kicks = q->kicks - kicks;
			r->parks = st1.parks - st0.parks;
			r->sleeps = st1.sleeps - st0.sleeps;
			t0 = 0;
		}
		for (k = 0; k < 64 && sent < total &&
		     nq_inflight(q) < WD_SOFT_DEPTH; k++) {
			struct wd_soft_sqe sqe = nq_sqe(p->op, p->params,
				(uintptr_t)src, p->len,
				(uintptr_t)(dst + (sent % 64) * (size_t)DST_SLOT),
				DST_SLOT);

			sqe.user_data = sent++;
			nq_push(q, &sqe);
		}
		if (k)
			nq_publish(q);
	}
}

static int workload(const char *report)
{
	/*
	 * Engines that spin 4 s before they park (signal guard, kernel
	 * copy), and one as by default (signal guard).
	 */
	struct wdl_config cfg[] = {
		[DEV_BUSY] = { .nr_queues = 2, .nr_engines = 1,
			       .spin_ns = 4000000000u,
			       .sva_copy = WDL_SVA_COPY_SIGNAL },
		[DEV_KERNEL] = { .nr_queues = 2, .nr_engines = 1,
				 .spin_ns = 4000000000u,
				 .sva_copy = WDL_SVA_COPY_KERNEL },
		[DEV_PARKING] = { .nr_queues = 2, .nr_engines = 1,
				  .sva_copy = WDL_SVA_COPY_SIGNAL },
	};
	struct wdl_dev *dev[3];
	uint8_t *src = nt_xmalloc(SRC_SIZE), *dst = nt_xmalloc(64 * DST_SLOT);
	FILE *f = fopen(report, "w");
	struct result r;
	unsigned int i;
	struct nq q[3] = { 0 };
	int cur = -1;

	if (!f)
		return 2;
	for (i = 0; i < 3; i++)
		OK(wdl_dev_create(&cfg[i], &dev[i]));
	nt_fill_text(src, SRC_SIZE, 1);
	memset(dst, 0, 64 * (size_t)DST_SLOT);
	/*
	 * Only the measured device's engine may make system calls in a
	 * window: the others sleep already (their first futex wait comes
	 * when their thread gets to it), with no queue to wake them.
	 */
	for (i = 0; i < 3; i++)
		NT_WAIT_UNTIL(nt_engines_asleep(dev[i]),
			      "a new engine never slept");
	for (i = 0; i < NR_PHASES; i++) {
		const struct phase *p = &phases[i];

		if (p->dev != cur) {
			if (cur >= 0) {
				nq_stop(&q[cur]);
				NT_WAIT_UNTIL(nt_engines_asleep(dev[cur]),
					      "an engine without queues never slept");
			}
			cur = p->dev;
			nq_open(&q[cur], dev[cur], 0);
		}
		/* warm first: pages, malloc arenas, zlib's block cache */
		memset(&r, 0, sizeof(r));
		run(&q[cur], p, p->n / 10 + 2048, p->n, src, dst, &r);
		fprintf(f, "%s %u %.3f %llu %llu %llu\n", p->name, p->n,
			r.ns / 1e9, (unsigned long long)r.kicks,
			(unsigned long long)r.parks,
			(unsigned long long)r.sleeps);
		fflush(f);
	}
	fclose(f);
	for (i = 0; i < 3; i++) {
		if (q[i].q)
			nq_close(&q[i]);
		wdl_dev_destroy(dev[i]);
	}
	free(src);
	free(dst);
	return 0;
}

__attribute__((constructor)) static void workload_entry(void)
{
	const char *report = getenv("WDL_SYSCALLS_WORKLOAD");

	if (report && *report) {
		unsetenv("WDL_SYSCALLS_WORKLOAD");
		exit(workload(report));
	}
}

/* ---- the test ---- */

struct count {
	unsigned int total;
	unsigned int vm;	/* process_vm_readv/writev among them */
	unsigned int threads;
	char names[512];
};

/* count the system calls begun between the markers of phase @name */
static void count_phase(const char *log, const char *name, struct count *c)
{
	char begin[64], end[64], line[4096], seen[64][24];
	unsigned int nseen = 0, ncall[64] = { 0 }, i;
	int tids[64], ntids = 0, tid, in = 0;
	FILE *f = fopen(log, "r");

	memset(c, 0, sizeof(*c));
	snprintf(begin, sizeof(begin), "\"WDL-BEGIN-%s\"", name);
	snprintf(end, sizeof(end), "\"WDL-END-%s\"", name);
	if (!f)
		FAIL("no strace log %s", log);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *q;

		if (strstr(line, begin)) {
			in = 1;
			continue;
		}
		if (strstr(line, end))
			break;
		if (!in)
			continue;
		tid = (int)strtol(p, &p, 10);
		while (*p == ' ')
			p++;
		/* "<... x resumed>", "+++ exited", "--- SIGxxx" */
		if (*p == '<' || *p == '+' || *p == '-' || !*p || *p == '\n')
			continue;
		q = strchr(p, '(');
		if (!q)
			continue;
		*q = '\0';
		c->total++;
		if (!strcmp(p, "process_vm_readv") ||
		    !strcmp(p, "process_vm_writev"))
			c->vm++;
		for (i = 0; i < (unsigned int)ntids && tids[i] != tid; i++)
			;
		if (i == (unsigned int)ntids && ntids < 64)
			tids[ntids++] = tid;
		for (i = 0; i < nseen && strcmp(seen[i], p); i++)
			;
		if (i == nseen && nseen < 64)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", p);
		if (i < 64)
			ncall[i]++;
	}
	fclose(f);
	c->threads = (unsigned int)ntids;
	for (i = 0; i < nseen; i++) {
		size_t l = strlen(c->names);

		snprintf(c->names + l, sizeof(c->names) - l, "%s%s x%u",
			 i ? ", " : "", seen[i], ncall[i]);
	}
}

static const char *find_strace(void)
{
	static const char *const paths[] = {
		"/usr/bin/strace", "/bin/strace", "/usr/local/bin/strace",
	};
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

/*
 * A phase's verdict: 0 passed, 1 over its limit. DEV_KERNEL: the copies'
 * system calls number its requests' chunks, give or take what a window's
 * edges cut (the engine runs up to a ring, 1024 requests, ahead of the
 * reaping that sets them); everything else is held to N/1000.
 */
static int verdict_of(const struct phase *p, unsigned int nreq,
		      unsigned long long parks, const struct count *c,
		      char *why, size_t len)
{
	unsigned int limit = nreq / 1000 + (p->dev == DEV_PARKING ?
					     8 * (unsigned int)parks : 0);
	unsigned long long want = (unsigned long long)p->chunks * nreq;
	unsigned long long slack = (unsigned long long)p->chunks * 1100;

	if (p->dev != DEV_KERNEL) {
		snprintf(why, len, "limit %u", limit);
		return c->total > limit;
	}
	snprintf(why, len, "limit %u + process_vm_* %llu +- %llu, made %u",
		 limit, want, slack, c->vm);
	return c->total - c->vm > limit || c->vm + slack < want ||
	       c->vm > want + slack;
}

/* one traced run of the workload; per phase: 0 passed, 1 over its limit */
static void traced_run(const char *strace, const char *exe, int *verdict)
{
	char log[256], report[256], errf[256], line[256], errtxt[512] = "";
	unsigned int i;
	struct count c;
	FILE *f;
	pid_t pid;
	int st, fd;

	nt_tmpfile("", 0, log, sizeof(log));
	nt_tmpfile("", 0, report, sizeof(report));
	nt_tmpfile("", 0, errf, sizeof(errf));
	pid = fork();
	ASSERT(pid >= 0);
	if (!pid) {
		setenv("WDL_SYSCALLS_WORKLOAD", report, 1);
		/*
		 * LeakSanitizer cannot run under ptrace; ASan's quarantine
		 * turns every free() into fresh memory (OpenSSL 3.0 allocates
		 * a digest context per EVP_DigestInit_ex()), so that its
		 * allocator would mmap() now and then: count ours, not ASan's.
		 */
		setenv("ASAN_OPTIONS", "detect_leaks=0:quarantine_size_mb=0:"
		       "thread_local_quarantine_size_kb=0", 1);
		fd = open(errf, O_WRONLY | O_TRUNC);
		dup2(fd, 2);
		execl(strace, "strace", "-f", "-qq", "-e", "signal=none", "-o",
		      log, "--", exe, (char *)NULL);
		_exit(127);
	}
	ASSERT(waitpid(pid, &st, 0) == pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		nt_skip("cannot run strace");
	f = fopen(report, "r");
	ASSERT(f);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		FILE *e = fopen(errf, "r");

		/* the workload's own failure: anything but strace's words */
		if (e) {
			while (fgets(errtxt, sizeof(errtxt), e) &&
			       !strncmp(errtxt, "strace", 6))
				errtxt[0] = '\0';
			fclose(e);
		}
		unlink(errf);
		if (errtxt[0])
			FAIL("the workload failed under strace: %s", errtxt);
		/* strace could not trace (no ptrace here), or the workload failed */
		if (!fgets(line, sizeof(line), f)) {
			fclose(f);
			unlink(log);
			unlink(report);
			nt_skip("strace ran nothing (status %#x): no ptrace?", st);
		}
		FAIL("the workload failed under strace (status %#x)", st);
	}
	for (i = 0; i < NR_PHASES; i++) {
		unsigned long long kicks, parks, sleeps;
		const struct phase *p = &phases[i];
		char name[32], why[96];
		unsigned int nreq;
		double secs;

		if (!fgets(line, sizeof(line), f) ||
		    sscanf(line, "%31s %u %lf %llu %llu %llu", name, &nreq, &secs,
			   &kicks, &parks, &sleeps) != 6)
			FAIL("workload report incomplete at phase %u", i);
		count_phase(log, p->name, &c);
		verdict[i] = verdict_of(p, nreq, parks, &c, why, sizeof(why));
		nt_note("%s: %u requests in %.3f s: %u system calls (%.6f per "
			"request, %s) in %u thread(s); %llu KICKs, %llu "
			"parks%s%s%s", name, nreq, secs, c.total,
			(double)c.total / nreq, why, c.threads, kicks, parks,
			c.total ? ": " : "", c.names,
			verdict[i] ? "  <-- over" : "");
	}
	fclose(f);
	unlink(log);
	unlink(report);
	unlink(errf);
}

NT_TEST_TMO(zero_syscalls_per_request, 170)
{
	const char *strace = find_strace();
	int verdict[NR_PHASES];
	unsigned int i;
	char exe[512];
	ssize_t n;

	if (!strace)
		nt_skip("strace is not installed");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT(n > 0);
	exe[n] = '\0';
	traced_run(strace, exe, verdict);
	for (i = 0; i < NR_PHASES; i++)
		ASSERT_MSG(!verdict[i], "%s: system calls per request (%s)",
			   phases[i].name,
			   phases[i].dev == DEV_PARKING ?
			   "not explained by parking" :
			   phases[i].dev == DEV_KERNEL ?
			   "not one per chunk copied, or others" :
			   "an engine with work made some");
}
