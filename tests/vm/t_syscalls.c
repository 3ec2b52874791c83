// SPDX-License-Identifier: GPL-2.0
/*
 * t_syscalls: system calls per request, counted from outside the process
 * by a tracer: on the kernel host (zero_syscalls_per_request) and on the
 * in-process device (local_syscalls_per_request, whose claims follow its
 * phases below).
 *
 * The test runs this same program again as a workload under
 * `strace -f -o LOG` (every thread of the process). The workload opens a
 * queue of an instance the test made, and for each kind of request keeps
 * the ring at a fixed depth with a steady trickle: reap what completed
 * (reading the completion ring: no system call), submit up to 64 more,
 * publish. It follows the protocol of wd_soft.h, so it makes a system call
 * only for a KICK, when it sees NEED_WAKEUP (after publishing, or after
 * consuming CQEs while SQEs wait), and it never sleeps in poll(). Once in
 * steady state it marks the start of the measured window with a system
 * call strace shows and that does nothing (write(-1, "WDT-BEGIN-kind")),
 * then its end after N more completions. The test counts the system calls
 * that began in the window, in all threads. (The engines are kernel
 * threads: their work is not a system call of anybody's.)
 *
 * What a shared, noisy machine adds: when the workload is off the CPU
 * longer than the engine takes to drain the ring (this host often takes
 * the guest's vCPUs away for 100-300 ms), the engine finds nothing for
 * 50 us, parks the queue (NEED_WAKEUP) and the workload's next submission
 * is a KICK, an ioctl. NEED_WAKEUP stays set until the engine next looks
 * at the queue (docs/soft-device.md), which under TCG is milliseconds
 * after the KICK woke it, so the protocol (KICK after publishing, and after
 * consuming CQEs while SQEs wait, whenever NEED_WAKEUP is seen) makes
 * several KICKs per park: the workload counts both. (The in-process
 * device's park costs a futex wait and wake instead, and its engines are
 * the process's threads: local_syscalls_per_request, at the end.)
 *
 * How often that happens is the host's business, for deep phases too
 * (the ring holds a second or more of the engine's work under TCG: 64 KiB
 * COPYs 1024 deep, SHA256 of 64 KiB 256 deep) and the kernel engine's
 * spin cannot be lengthened. So in every phase the claim checked is the
 * one that holds on any host: every system call but N/1000 is a KICK,
 * made because NEED_WAKEUP was seen (no poll(), nothing else, strace and
 * the workload agreeing on the KICKs), and every park the workload sees
 * was of a queue with nothing to take (need_wakeup()): the engine does
 * not park a queue that has work. How many KICKs a busy engine causes,
 * none on an idle host, is a figure: wd-bench measures it ("system calls
 * per request while the engine has work (worst point)", run vm,
 * docs/performance.md).
 *
 * Without strace, or where ptrace is not allowed: SKIP.
 */
#include "engines.h"
#include "local.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


/* the device of a phase: the kernel's, or one of three in-process ones */
enum { DEV_VM, DEV_BUSY, DEV_KERNEL, DEV_PARKING, NR_DEVS };

struct phase {
	const char *name;
	uint16_t op;
	uint32_t len;		/* bytes per request */
	unsigned int depth;	/* requests kept in flight */
	unsigned int n;		/* requests measured */
	uint32_t params;
	int dev;		/* DEV_* */
	unsigned int chunks;	/* DEV_KERNEL: chunks read + written each */
};

static const struct phase phases[] = {
	{ "nop", WD_SOFT_OP_NOP, 0, 1024, 20000, 0, DEV_VM, 0 },
	{ "copy4k", WD_SOFT_OP_COPY, 4096, 1024, 10000, 0, DEV_VM, 0 },
	{ "copy64k", WD_SOFT_OP_COPY, 64 << 10, 1024, 3000, 0, DEV_VM, 0 },
	{ "sha256-64k", WD_SOFT_OP_SHA256, 64 << 10, 256, 1000, 0, DEV_VM,
	  0 },
};
#define NR_PHASES (sizeof(phases) / sizeof(phases[0]))

/*
 * The in-process device (local_syscalls_per_request): every kind of
 * request on a device whose engine spins 4 s before it parks and copies
 * with its signal guard (DEV_BUSY), then on one with the default kernel
 * copy (DEV_KERNEL: one process_vm_readv/writev per 64 KiB chunk read or
 * written), then the two that drain a ring fastest on a device that parks
 * after the default 50 us (DEV_PARKING).
 */
static const struct phase lphases[] = {
	{ "nop", WD_SOFT_OP_NOP, 0, 1024, 1000000, 0, DEV_BUSY, 0 },
	{ "copy4k", WD_SOFT_OP_COPY, 4096, 1024, 200000, 0, DEV_BUSY, 0 },
	{ "copy256k", WD_SOFT_OP_COPY, 256 << 10, 1024, 10000, 0, DEV_BUSY, 0 },
	{ "crc32c256k", WD_SOFT_OP_CRC32C, 256 << 10, 1024, 10000, 0, DEV_BUSY,
	  0 },
	{ "sha256-64k", WD_SOFT_OP_SHA256, 64 << 10, 1024, 20000, 0, DEV_BUSY,
	  0 },
	{ "gzip1-4k", WD_SOFT_OP_GZIP_COMP, 4 << 10, 1024, 20000, 1, DEV_BUSY,
	  0 },
	/* 4 KiB in, out; 4 + 4 chunks; 4 in, 4 bytes out; 1 in, 32 out */
	{ "nop-kernel", WD_SOFT_OP_NOP, 0, 1024, 200000, 0, DEV_KERNEL, 0 },
	{ "copy4k-kernel", WD_SOFT_OP_COPY, 4096, 1024, 50000, 0, DEV_KERNEL,
	  2 },
	{ "copy256k-kernel", WD_SOFT_OP_COPY, 256 << 10, 1024, 10000, 0,
	  DEV_KERNEL, 8 },
	{ "crc32c256k-kernel", WD_SOFT_OP_CRC32C, 256 << 10, 1024, 10000, 0,
	  DEV_KERNEL, 5 },
	{ "sha256-64k-kernel", WD_SOFT_OP_SHA256, 64 << 10, 1024, 20000, 0,
	  DEV_KERNEL, 2 },
	{ "nop-parking", WD_SOFT_OP_NOP, 0, 1024, 1000000, 0, DEV_PARKING, 0 },
	{ "copy4k-parking", WD_SOFT_OP_COPY, 4096, 1024, 200000, 0,
	  DEV_PARKING, 0 },
};
#define NR_LPHASES (sizeof(lphases) / sizeof(lphases[0]))
#define SLOTS 64
#define SRC_SIZE (256 << 10)
#define DST_SLOT (300 << 10)

/* ---- the workload (runs under strace) ---- */

static void marker(const char *what, const char *name)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "WDT-%s-%s", what, name);

	/* a system call strace shows, with no effect */
	if (syscall(SYS_write, -1, buf, n) != -1)
		_exit(3);
}

struct wl {
	struct t_q q;
	uint64_t kicks;
	uint64_t parks;		/* NEED_WAKEUP seen after it was seen clear */
	bool need;		/* NEED_WAKEUP at the last look */
};

/*
 * The status, as the protocol looks at it; counts the parks seen. Not a
 * check of the parks themselves: the engine publishes NEED_WAKEUP before
 * its last look at the ring (wd_soft_core_queue_turn()), so a sighting
 * with work published is an aborted park, not a lost one; lost kicks are
 * t_stress's.
 */
static bool need_wakeup(struct wl *w)
{
	bool need = t_q_status(&w->q) & WD_SOFT_ST_NEED_WAKEUP;

	if (need && !w->need)
		w->parks++;
	w->need = need;
	return need;
}

static void wl_kick(struct wl *w)
{
	int r = t_q_cmd(&w->q, WD_SOFT_CMD_KICK, 0);

	w->kicks++;
	if (r)
		T_FAIL("KICK: %s", t_errname(-r));
}

/* one CQE without a system call unless a KICK is due: 1 or 0 */
static int try_reap(struct wl *w, struct wd_soft_cqe *cqe)
{
	struct t_q *q = &w->q;
	int r = t_q_take(q, cqe);

	if (r < 0)
		T_FAIL("device bug: cq_tail %u, cq_head %u", t_q_hdr_cq_tail(q),
		       q->cq_head);
	if (!r) {
		if (t_q_status(q) & WD_SOFT_ST_BROKEN)
			T_FAIL("queue BROKEN, error %u", q->mmio->error);
		return 0;
	}
	if (need_wakeup(w) && t_q_hdr_sq_head(q) != q->sq_pub)
		wl_kick(w);
	return 1;
}

static void publish(struct wl *w)
{
	t_q_publish_phases(&w->q);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (need_wakeup(w))
		wl_kick(w);
}

struct result {
	uint64_t ns, kicks, parks, sleeps;
};

/*
 * Keep the ring at the phase's depth with a steady trickle; the window is
 * from @warm completions on, for p->n of them. Then PUT_Q cancels what is
 * left and START_Q readies the queue for the next phase.
 */
static void run(struct wl *w, const struct phase *p, unsigned int warm,
		uint8_t *src, uint8_t *dst, struct result *r)
{
	struct t_q *q = &w->q;
	unsigned int sent = 0, got = 0, k;
	struct wd_soft_cqe cqe;
	uint64_t kicks = 0, parks = 0, t0 = 0;
	struct t_stats st0 = { 0 }, st1 = { 0 };
	bool in = false;

	while (got < warm + p->n) {
		for (k = 0; k < 64 && try_reap(w, &cqe); k++) {
			if (cqe.status != WD_SOFT_S_OK || cqe.user_data != got)
				T_FAIL("%s: CQE %u: status %u, user_data %llu",
				       p->name, got, cqe.status,
				       (unsigned long long)cqe.user_data);
			got++;
		}
		if (!in && got >= warm) {
			/* the clock before the marker: without a vDSO clock
			 * (TCG's hpet) clock_gettime() is a system call */
			t0 = t_now_ms();
			in = true;
			kicks = w->kicks;
			parks = w->parks;
			if (p->dev != DEV_VM)
				t_local_stats(q->ua, &st0);
			marker("BEGIN", p->name);
		}
		for (k = 0; k < 64 && q->sq_tail - q->cq_head < p->depth; k++) {
			struct wd_soft_sqe s = {
				.user_data = sent, .op = p->op,
				.params = p->params,
				.src = (uintptr_t)src, .src_len = p->len,
				.dst = (uintptr_t)(dst + (sent % SLOTS) *
						   (size_t)DST_SLOT),
				.dst_len = DST_SLOT,
			};

			sent++;
			t_q_push(q, &s);
		}
		if (k)
			publish(w);
	}
	marker("END", p->name);
	r->ns = (t_now_ms() - t0) * 1000000ull;
	r->kicks = w->kicks - kicks;
	r->parks = w->parks - parks;
	if (p->dev != DEV_VM) {
		/* the engines' own count (a park the workload never saw too) */
		t_local_stats(q->ua, &st1);
		r->parks = st1.parks - st0.parks;
		r->sleeps = st1.sleeps - st0.sleeps;
	}
	t_q_restart(q);
	w->need = false;
}

static int workload(int ua, const char *report)
{
	uint8_t *src = malloc(SRC_SIZE), *dst = malloc(SLOTS * (size_t)DST_SLOT);
	FILE *f = fopen(report, "w");
	struct result r;
	struct wl w = { 0 };

	if (!f || !src || !dst)
		return 2;
	t_fill_random(src, SRC_SIZE, 1);
	memset(dst, 0, SLOTS * (size_t)DST_SLOT);
	t_q_setup(&w.q, ua);
	for (unsigned int i = 0; i < NR_PHASES; i++) {
		const struct phase *p = &phases[i];

		/* steady state first: a full ring, pages touched, and more */
		memset(&r, 0, sizeof(r));
		run(&w, p, p->depth + 64, src, dst, &r);
		fprintf(f, "%s %u %.3f %llu %llu\n", p->name, p->n, r.ns / 1e9,
			(unsigned long long)r.kicks, (unsigned long long)r.parks);
		fflush(f);
	}
	fclose(f);
	t_q_close(&w.q);
	free(src);
	free(dst);
	return 0;
}

/*
 * Every engine thread of this process asleep (in futex): none has a
 * started queue. A state, not a count of sleeps: an engine that parked
 * its queue before the PUT_Q sleeps already and never sleeps again.
 */
static bool all_engines_asleep(void)
{
	struct eng_tid e[NR_DEVS];
	int n = eng_tids(e, NR_DEVS, NULL);

	if (n <= 0 || n > NR_DEVS)
		return false;
	for (int i = 0; i < n; i++)
		if (!t_task_asleep_in(e[i].tid, SYS_futex, SYS_futex))
			return false;
	return true;
}

/*
 * The in-process phases, instances ID + DEV_* of this process. Only the
 * measured device's engine may make system calls in a window: the others
 * sleep already, their queue stopped (or none yet).
 */
static int workload_local(int id, const char *report)
{
	static const char *const opts[NR_DEVS] = {
		[DEV_BUSY] = "queues=2 engines=1 spin_ns=4000000000 sva_copy=signal",
		[DEV_KERNEL] = "queues=2 engines=1 spin_ns=4000000000 sva_copy=kernel",
		[DEV_PARKING] = "queues=2 engines=1 sva_copy=signal",
	};
	uint8_t *src = malloc(SRC_SIZE), *dst = calloc(SLOTS, DST_SLOT);
	FILE *f = fopen(report, "w");
	struct wl w[NR_DEVS] = { 0 };
	int ua[NR_DEVS], cur = DEV_VM;
	struct result r;
	char spec[128];

	if (!f || !src || !dst)
		return 2;
	t_fill_random(src, SRC_SIZE, 1);
	for (int d = DEV_BUSY; d < NR_DEVS; d++) {
		snprintf(spec, sizeof(spec), "%d %s", id + d, opts[d]);
		if (t_inst_new_raw(spec))
			T_FAIL("new_device \"%s\"", spec);
		ua[d] = t_inst_ua(id + d);
	}
	for (unsigned int i = 0; i < NR_LPHASES; i++) {
		const struct phase *p = &lphases[i];

		if (p->dev != cur) {
			if (cur != DEV_VM)
				T_EQ(t_q_cmd(&w[cur].q, UACCE_CMD_PUT_Q, 0), 0);
			T_WAIT_UNTIL(all_engines_asleep(), "an engine with no "
				     "started queue is not asleep");
			cur = p->dev;
			t_q_setup(&w[cur].q, ua[cur]);
		}
		/* warm first: pages, malloc arenas, zlib's block cache */
		memset(&r, 0, sizeof(r));
		run(&w[cur], p, p->n / 10 + 2048, src, dst, &r);
		fprintf(f, "%s %u %.3f %llu %llu %llu\n", p->name, p->n,
			r.ns / 1e9, (unsigned long long)r.kicks,
			(unsigned long long)r.parks,
			(unsigned long long)r.sleeps);
		fflush(f);
	}
	fclose(f);
	for (int d = DEV_BUSY; d < NR_DEVS; d++) {
		t_q_close(&w[d].q);
		snprintf(spec, sizeof(spec), "%d", id + d);
		t_inst_del_raw(spec);
	}
	free(src);
	free(dst);
	return 0;
}

__attribute__((constructor)) static void workload_entry(void)
{
	const char *env = getenv("T_SYSCALLS_WORKLOAD");
	const char *lenv = getenv("T_SYSCALLS_LOCAL");
	char report[256];
	int ua;

	if (env && sscanf(env, "%d:%255s", &ua, report) == 2) {
		unsetenv("T_SYSCALLS_WORKLOAD");
		t_page = sysconf(_SC_PAGESIZE);
		exit(workload(ua, report));
	}
	if (lenv && sscanf(lenv, "%d:%255s", &ua, report) == 2) {
		unsetenv("T_SYSCALLS_LOCAL");
		t_page = sysconf(_SC_PAGESIZE);
		exit(workload_local(ua, report));
	}
}

/* ---- the test ---- */

struct count {
	unsigned int total, kicks, threads;
	unsigned int vm;	/* process_vm_readv/writev among them */
	char names[512];
};

/* the system calls begun between the markers of phase @name */
static void count_phase(const char *log, const char *name, struct count *c)
{
	char begin[64], end[64], line[4096], seen[64][24];
	unsigned int nseen = 0, ncall[64] = { 0 }, i;
	int tids[64], ntids = 0, tid, in = 0;
	FILE *f = fopen(log, "r");

	memset(c, 0, sizeof(*c));
	snprintf(begin, sizeof(begin), "\"WDT-BEGIN-%s\"", name);
	snprintf(end, sizeof(end), "\"WDT-END-%s\"", name);
	if (!f)
		T_FAIL("no strace log %s", log);
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
		/* "PID call(...", or "[pid PID] call(..." */
		if (!strncmp(p, "[pid", 4))
			p += 4;
		tid = (int)strtol(p, &p, 10);
		while (*p == ' ' || *p == ']')
			p++;
		/* "<... x resumed>", "+++ exited", "--- SIGxxx" */
		if (*p == '<' || *p == '+' || *p == '-' || !*p || *p == '\n')
			continue;
		q = strchr(p, '(');
		if (!q)
			continue;
		c->total++;
		/* the workload's only ioctl in a window is KICK */
		if (!strncmp(p, "ioctl(", 6))
			c->kicks++;
		if (!strncmp(p, "process_vm_readv(", 17) ||
		    !strncmp(p, "process_vm_writev(", 18))
			c->vm++;
		*q = '\0';
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
		"/bin/strace", "/usr/bin/strace", "/usr/local/bin/strace",
	};

	for (unsigned int i = 0; i < 3; i++)
		if (!access(paths[i], X_OK))
			return paths[i];
	return NULL;
}

static void cat_tail(const char *path, char *buf, size_t len)
{
	int n = t_read_file(path, buf, len);

	if (n < 0)
		buf[0] = 0;
}

/* one traced run of the workload; per phase: 0 passed, 1 over its limit */
struct traced {
	char log[128], report[128], errf[128];
};

/*
 * This program again as the workload (@var=@arg:REPORT) under strace, to
 * its end: its report, open; SKIP where strace cannot trace.
 */
static FILE *traced(const char *var, int arg, struct traced *t)
{
	const char *strace = find_strace();
	char exe[512], env[300], line[256], errtxt[512];
	ssize_t n;
	FILE *f;
	pid_t pid;
	int st;

	if (!strace)
		t_skip("strace is not installed");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	T_ASSERT(n > 0);
	exe[n] = '\0';
	snprintf(t->log, sizeof(t->log), "/tmp/t_syscalls.%d.log", (int)getpid());
	snprintf(t->report, sizeof(t->report), "/tmp/t_syscalls.%d.rep",
		 (int)getpid());
	snprintf(t->errf, sizeof(t->errf), "/tmp/t_syscalls.%d.err",
		 (int)getpid());
	unlink(t->report);
	pid = t_fork();
	if (!pid) {
		int fd = open(t->errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		snprintf(env, sizeof(env), "%d:%s", arg, t->report);
		setenv(var, env, 1);
		/*
		 * LeakSanitizer cannot run under ptrace; ASan's quarantine
		 * makes its allocator mmap() now and then: count ours only.
		 */
		setenv("ASAN_OPTIONS", "detect_leaks=0:quarantine_size_mb=0:"
		       "thread_local_quarantine_size_kb=0", 1);
		if (fd >= 0)
			dup2(fd, 2);
		execl(strace, "strace", "-f", "-qq", "-e", "signal=none", "-o",
		      t->log, "--", exe, (char *)NULL);
		_exit(127);
	}
	st = t_wait(pid, 400000);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		t_skip("cannot run %s", strace);
	f = fopen(t->report, "r");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		cat_tail(t->errf, errtxt, sizeof(errtxt));
		/* the workload's own failure (T_FAIL's report), at any point */
		for (char *l = errtxt; l; l = strchr(l, '\n'), l = l ? l + 1 : l)
			if (*l == 'F')
				T_FAIL("the workload failed under strace: %s", l + 1);
		/* strace could not trace (no ptrace here), or the workload failed */
		if (!f || !fgets(line, sizeof(line), f))
			t_skip("strace ran nothing (status %#x): no ptrace? %s",
			       st, errtxt);
		T_FAIL("the workload failed under strace (status %#x): %s", st,
		       errtxt);
	}
	T_ASSERT(f);
	return f;
}

static void traced_done(FILE *f, const struct traced *t)
{
	fclose(f);
	unlink(t->log);
	unlink(t->report);
	unlink(t->errf);
}

/* the kernel's phases under strace; per phase: 0 passed, 1 over its limit */
static void traced_run(int ua, int *verdict)
{
	struct traced t;
	FILE *f = traced("T_SYSCALLS_WORKLOAD", ua, &t);
	char line[256];

	for (unsigned int i = 0; i < NR_PHASES; i++) {
		const struct phase *p = &phases[i];
		unsigned long long kicks, parks;
		unsigned int nreq, limit;
		char name[32];
		struct count c;
		double secs;

		if (!fgets(line, sizeof(line), f) ||
		    sscanf(line, "%31s %u %lf %llu %llu", name, &nreq, &secs,
			   &kicks, &parks) != 5)
			T_FAIL("workload report incomplete at phase %u", i);
		count_phase(t.log, p->name, &c);
		/* strace and the workload agree on the KICKs */
		T_ASSERT_MSG(c.kicks == kicks, "%s: strace saw %u KICKs, the "
			     "workload made %llu", name, c.kicks, kicks);
		limit = nreq / 1000 + (unsigned int)kicks;
		verdict[i] = c.total > limit;
		t_note("%s: %u requests in %.2f s: %u system calls (%.6f per "
		       "request, limit %u) in %u thread(s); %llu KICKs after %llu "
		       "parks (%.1f per park)%s%s%s",
		       name, nreq, secs, c.total, (double)c.total / nreq, limit,
		       c.threads, kicks, parks, parks ? (double)kicks / parks : 0.0,
		       c.total ? ": " : "", c.names,
		       verdict[i] ? "  <-- over" : "");
	}
	traced_done(f, &t);
}

T_TEST_TMO(zero_syscalls_per_request, 500)
{
	int verdict[NR_PHASES];
	struct t_inst in;

	T_NEED_KERNEL("the kernel's engines are kernel threads: no system "
		      "call of the process but KICKs (in-process: "
		      "local_syscalls_per_request)");
	in = t_inst_create("queues=2 engines=1");
	traced_run(in.ua, verdict);
	for (unsigned int i = 0; i < NR_PHASES; i++)
		T_ASSERT_MSG(!verdict[i], "%s: system calls per request (%s)",
			     phases[i].name, "not explained by KICKs");
	t_inst_delete(&in);
}

/*
 * A local phase's verdict: 0 passed, 1 over its limit. DEV_KERNEL: the
 * copies' system calls number its requests' chunks, give or take what a
 * window's edges cut (the engine runs up to a ring, 1024 requests, ahead
 * of the reaping that sets them); everything else is held to N/1000, plus
 * on DEV_PARKING 8 per park (a futex wait and wake, the mutex around it)
 * and KICK_COST per KICK of the workload: a KICK takes the engine's mutex,
 * which the engine holds through its turn, from its NEED_WAKEUP (E1) to
 * its last look (E3) included, so a KICK made on seeing NEED_WAKEUP there
 * finds it held, with no park counted (E3 found work): the workload's
 * futex wait, the engine's wake at its unlock, the workload's own wake at
 * its unlock (a contended mutex stays marked so), one spare. (The kernel
 * phases count a KICK as its ioctl: traced_run.)
 */
#define KICK_COST 4
static int lverdict(const struct phase *p, unsigned int nreq,
		    unsigned long long kicks, unsigned long long parks,
		    const struct count *c, char *why, size_t len)
{
	unsigned int limit = nreq / 1000 + (p->dev == DEV_PARKING ?
					     8 * (unsigned int)parks +
					     KICK_COST * (unsigned int)kicks :
					     0);
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

/*
 * The in-process device's engines are threads of the process, traced
 * with it: a busy engine makes no system call (signal guard), or exactly
 * one process_vm_readv/writev per chunk it reads or writes (the default
 * kernel copy); with the default spin every system call is accounted for
 * by a park the engines counted or a KICK the workload made (lverdict()).
 * What parks cost on a loaded machine is
 * a figure: wd-bench measures it (docs/performance.md).
 */
T_TEST_TMO(local_syscalls_per_request, 400)
{
	int verdict[NR_LPHASES];
	struct traced t;
	char line[256];
	FILE *f;

	T_NEED_LOCAL("the in-process engines' system calls are the process's");
	f = traced("T_SYSCALLS_LOCAL", t_free_id(), &t);
	for (unsigned int i = 0; i < NR_LPHASES; i++) {
		unsigned long long kicks, parks, sleeps;
		const struct phase *p = &lphases[i];
		char name[32], why[96];
		unsigned int nreq;
		struct count c;
		double secs;

		if (!fgets(line, sizeof(line), f) ||
		    sscanf(line, "%31s %u %lf %llu %llu %llu", name, &nreq, &secs,
			   &kicks, &parks, &sleeps) != 6)
			T_FAIL("workload report incomplete at phase %u", i);
		count_phase(t.log, p->name, &c);
		verdict[i] = lverdict(p, nreq, kicks, parks, &c, why,
				      sizeof(why));
		t_note("%s: %u requests in %.3f s: %u system calls (%.6f per "
		       "request, %s) in %u thread(s); %llu KICKs, %llu parks%s%s%s",
		       name, nreq, secs, c.total, (double)c.total / nreq, why,
		       c.threads, kicks, parks, c.total ? ": " : "", c.names,
		       verdict[i] ? "  <-- over" : "");
	}
	traced_done(f, &t);
	for (unsigned int i = 0; i < NR_LPHASES; i++)
		T_ASSERT_MSG(!verdict[i], "%s: system calls per request (%s)",
			     lphases[i].name,
			     lphases[i].dev == DEV_PARKING ?
			     "not explained by parks and KICKs" :
			     lphases[i].dev == DEV_KERNEL ?
			     "not one per chunk copied, or others" :
			     "an engine with work made some");
}
