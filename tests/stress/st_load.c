// SPDX-License-Identifier: GPL-2.0
/*
 * st_load: fault and load tests (docs/reliability.md).
 *
 *  hammer_64x4          64 processes x 4 queues on one device, 16 requests
 *                       in flight per queue (4096 at once), copies and
 *                       CRC-32Cs checked, NOPs; every process must make
 *                       progress, nothing is lost
 *  kill9_storm          rounds of 8 processes x 4 full rings (1024
 *                       requests each, 32768 in flight, some 1 MiB long)
 *                       killed with SIGKILL at random moments; every queue
 *                       comes back, the device still works
 *  remove_under_load    processes hammering queues of every memory mode
 *                       while the device is deleted: they see SIGBUS,
 *                       POLLHUP or ENODEV and exit; nothing hangs
 *  rmmod_under_load     the same with wd_soft unloaded under them (every
 *                       instance goes), then loaded again
 *  isolation_under_load the isolation path with injected errors while
 *                       processes hammer the device: isolation comes, open
 *                       fails with EIO, the queues keep working, the reset
 *                       lifts it; many rounds
 *
 * ST_SECONDS (default 8) is the load phase of each test, ST_ROUNDS
 * (default 3) the rounds of the kill, removal and isolation tests; `make
 * stress` runs them long.
 */
#include "t.h"
#include "ref.h"

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

struct counts {
	volatile unsigned long ops[64], checked[64], dev_err[64];
	volatile unsigned long killed, removed, isolations, sigbus, pollhup;
};
static struct counts *C;

static void shared_counts(void)
{
	C = mmap(NULL, sizeof(*C), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(C != MAP_FAILED);
	memset((void *)C, 0, sizeof(*C));
}

#define CNT(x)	__atomic_fetch_add(&C->x, 1, __ATOMIC_RELAXED)

/* ---- one queue kept busy ---- */

#define DEPTH	16
#define BUF	4096

struct busy {
	struct t_q q;
	uint8_t *src, *dst;	/* DEPTH buffers each */
	struct wd_soft_sqe s[DEPTH];
	uint32_t crc[DEPTH];
	unsigned int inflight, next;
	uint64_t seed;
};

static void busy_init(struct busy *b, int ua, uint64_t seed)
{
	size_t n = (size_t)DEPTH * BUF;

	memset(b, 0, sizeof(*b));
	b->seed = seed;
	t_q_setup(&b->q, ua);
	if ((b->q.flags & UACCE_DEV_SVA) != UACCE_DEV_SVA) {
		/* PASID, NOIOMMU: the buffers live in SS */
		t_q_map_ss(&b->q, 2 * n);
		b->src = t_q_ss_alloc(&b->q, n);
		b->dst = t_q_ss_alloc(&b->q, n);
	} else {
		b->src = mmap(NULL, 2 * n, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		T_ASSERT(b->src != MAP_FAILED);
		b->dst = b->src + n;
	}
}

/* the device may go away under us: ENODEV, POLLHUP, SIGBUS end the process */
static bool doomed;

static void busy_kick(struct busy *b)
{
	if (!ioctl(b->q.fd, WD_SOFT_CMD_KICK))
		return;
	if (doomed && errno == ENODEV) {
		CNT(pollhup);
		_exit(0);
	}
	T_FAIL("KICK: %s", t_errname(errno));
}

static void busy_publish(struct busy *b)
{
	t_q_publish_phases(&b->q);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (t_q_status(&b->q) & WD_SOFT_ST_NEED_WAKEUP)
		busy_kick(b);
}

/* The next CQE (as t_q_reap(), with the device allowed to vanish). */
static void busy_next(struct busy *b, struct wd_soft_cqe *c, int timeout_ms)
{
	struct t_q *q = &b->q;
	uint64_t end = t_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		int r = t_q_take(q, c);

		if (r < 0)
			T_FAIL("device bug: cq_tail %u, cq_head %u",
			       t_q_hdr_cq_tail(q), q->cq_head);
		if (r) {
			if (t_q_kick_due(q))
				busy_kick(b);
			return;
		}
		{
			struct pollfd p = { .fd = q->fd, .events = POLLIN };
			int left = (int)(end - t_now_ms());

			if (t_now_ms() >= end)
				T_FAIL("no completion in %d ms", timeout_ms);
			if (poll(&p, 1, left < 100 ? left : 100) == 1 && (p.revents & POLLHUP)) {
				if (!doomed)
					T_FAIL("POLLHUP");
				T_ERR(ioctl(q->fd, UACCE_CMD_START_Q), ENODEV);
				CNT(pollhup);
				_exit(0);
			}
		}
	}
}

static void busy_submit(struct busy *b)
{
	while (b->inflight < DEPTH) {
		unsigned int i = b->next++ % DEPTH, kind = (unsigned int)(b->seed++ % 3);
		uint8_t *s = b->src + (size_t)i * BUF, *d = b->dst + (size_t)i * BUF;
		struct wd_soft_sqe e;

		t_fill_random(s, 256, b->seed);
		memset(d, 0, 256);
		if (kind == 0) {
			e = t_sqe_copy(&b->q, s, d, 256, 256);
		} else if (kind == 1) {
			e = t_sqe_copy(&b->q, s, d, 256, 4);
			e.op = WD_SOFT_OP_CRC32C;
			e.params = 0;
			b->crc[i] = ~ref_crc32c(~0u, s, 256);
		} else {
			e = t_sqe_nop(0);
		}
		e.user_data = b->next - 1;
		b->s[i] = e;
		t_q_push(&b->q, &e);
		b->inflight++;
	}
	busy_publish(b);
}

/* Reap one completion and check it; false if the queue is gone. */
static bool busy_reap(struct busy *b, int idx, int timeout_ms)
{
	struct wd_soft_cqe c;
	unsigned int i;

	busy_next(b, &c, timeout_ms);
	i = (unsigned int)(c.user_data % DEPTH);
	b->inflight--;
	C->ops[idx]++;
	if (c.status == WD_SOFT_S_DEV_ERR) {
		C->dev_err[idx]++;
		return true;
	}
	T_ASSERT_MSG(c.status == WD_SOFT_S_OK, "status %u", c.status);
	if (b->s[i].op == WD_SOFT_OP_COPY) {
		T_ASSERT_MSG(!memcmp(b->src + (size_t)i * BUF, b->dst + (size_t)i * BUF, 256),
			     "wrong copy");
		C->checked[idx]++;
	} else if (b->s[i].op == WD_SOFT_OP_CRC32C) {
		T_ASSERT_MSG(!memcmp(&b->crc[i], b->dst + (size_t)i * BUF, 4), "wrong CRC");
		C->checked[idx]++;
	}
	return true;
}

/* ---- hammer: 64 processes x 4 queues ---- */

#define PROCS	64
#define QPP	4

/*
 * Ready (queues open) when it writes to @wfd; hammers from the go on @gfd
 * for @secs, a round at least: a process that the host keeps off its CPU
 * for the whole time still shows its progress under the others' load
 * (or a starved request's 120 s bound fails it).
 */
static void hammer_child(int idx, int ua, int wfd, int gfd, long secs)
{
	struct busy b[QPP];
	uint64_t end;
	char c;

	for (int k = 0; k < QPP; k++)
		busy_init(&b[k], ua, (uint64_t)idx * 1000 + k);
	T_ASSERT(write(wfd, "r", 1) == 1);
	T_ASSERT(read(gfd, &c, 1) == 1);
	end = t_now_ms() + (uint64_t)secs * 1000;
	do {
		for (int k = 0; k < QPP; k++)
			busy_submit(&b[k]);
		for (int k = 0; k < QPP; k++)
			for (int n = 0; n < DEPTH / 2; n++)
				busy_reap(&b[k], idx, 120000);
	} while (t_now_ms() < end);
	for (int k = 0; k < QPP; k++)
		while (b[k].inflight)
			busy_reap(&b[k], idx, 120000);
	_exit(0);
}

T_TEST_TMO(hammer_64x4, 1800)
{
	struct t_inst in = t_inst_create("mode=sva queues=256 engines=2");
	long secs = env_long("ST_SECONDS", 8);
	uint64_t t0;
	unsigned long total = 0, checked = 0, least = ~0ul;
	pid_t pids[PROCS];
	int ready[2], go[2];
	char c[PROCS];
	uint64_t lag;

	shared_counts();
	T_OK(pipe(ready));
	T_OK(pipe(go));
	for (int i = 0; i < PROCS; i++) {
		pids[i] = t_fork();
		if (!pids[i])
			hammer_child(i, in.ua, ready[1], go[0], secs);
	}
	/* every process has its queues before any starts: the load is all */
	for (int i = 0; i < PROCS; i++)
		T_ASSERT(read(ready[0], c, 1) == 1);
	memset(c, 'g', sizeof(c));
	T_ASSERT(write(go[1], c, PROCS) == PROCS);
	t0 = t_now_ms();
	for (int i = 0; i < PROCS; i++)
		t_wait_ok(pids[i], (int)(secs * 1000 + 600000));
	for (int i = 0; i < PROCS; i++) {
		total += C->ops[i];
		checked += C->checked[i];
		if (C->ops[i] < least)
			least = C->ops[i];
	}
	T_ASSERT_MSG(least > 0, "a process made no progress");
	/*
	 * An exited owner's queues go with its address space, which the
	 * engine may have been borrowing: then the last mmput() is the
	 * engine's, done asynchronously (mmput_async()), and the mappings,
	 * which hold the queues, go a little after the process is reaped.
	 */
	lag = t_now_ms();
	T_WAIT_UNTIL(t_attr_ll(in.ua, "available_instances") == 256,
		     "%lld queues back %d s after the last exit",
		     t_attr_ll(in.ua, "available_instances"), T_HANG_MS / 1000);
	t_note("%d processes x %d queues, %d in flight each: %lu requests in %.1f s (%lu checked), the slowest process %lu; all queues back %.2f s after the last exit",
	       PROCS, QPP, DEPTH, total, (lag - t0) / 1000.0, checked, least,
	       (t_now_ms() - lag) / 1000.0);
}

/* ---- kill -9 with full rings ---- */

static void storm_child(int ua, int wfd, uint64_t seed)
{
	size_t big = 1 << 20;
	uint8_t *src = mmap(NULL, 2 * big, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	struct t_q q[QPP];

	T_ASSERT(src != MAP_FAILED);
	for (int k = 0; k < QPP; k++)
		t_q_setup(&q[k], ua);
	for (int k = 0; k < QPP; k++) {
		for (unsigned int i = 0; i < WD_SOFT_DEPTH; i++) {
			uint32_t len = (i + seed) % 64 == 0 ? (uint32_t)big : 4096;
			struct wd_soft_sqe e = t_sqe_copy(&q[k], src, src + big, len, len);

			e.user_data = i;
			t_q_push(&q[k], &e);
		}
		t_q_publish(&q[k]);
	}
	T_ASSERT(write(wfd, "r", 1) == 1);
	for (;;)
		pause();
}

T_TEST_TMO(kill9_storm, 1800)
{
	struct t_inst in = t_inst_create("mode=sva queues=64 engines=2");
	long rounds = env_long("ST_ROUNDS", 3);
	unsigned long inflight = 0;
	uint64_t t0 = t_now_ms(), seed = 5;

	for (long r = 0; r < rounds; r++) {
		pid_t pids[8];
		int p[2];
		char c;

		T_OK(pipe(p));
		for (int i = 0; i < 8; i++) {
			pids[i] = t_fork();
			if (!pids[i])
				storm_child(in.ua, p[1], seed + i);
		}
		for (int i = 0; i < 8; i++)
			T_ASSERT(read(p[0], &c, 1) == 1);
		inflight += 8 * QPP * WD_SOFT_DEPTH;
		t_msleep((int)(seed++ % 50));
		for (int i = 0; i < 8; i++) {
			kill(pids[i], SIGKILL);
			if (i % 2)
				t_msleep(1);
		}
		for (int i = 0; i < 8; i++)
			t_wait_sig(pids[i], SIGKILL, 120000);
		close(p[0]);
		close(p[1]);
		/* every queue comes back (mmput_async()); the device still works */
		T_WAIT_UNTIL(t_attr_ll(in.ua, "available_instances") == 64,
			     "round %ld: %lld queues back", r,
			     t_attr_ll(in.ua, "available_instances"));
		{
			struct t_q q;
			uint8_t *a = mmap(NULL, 2 * t_page, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			t_q_setup(&q, in.ua);
			t_fill_random(a, t_page, r);
			t_q_copy_check(&q, a, a + t_page, t_page);
			t_q_close(&q);
			munmap(a, 2 * t_page);
		}
	}
	t_note("%ld rounds of 8 processes killed with %d full rings each: %lu requests in flight killed, in %.1f s",
	       rounds, QPP, inflight, (t_now_ms() - t0) / 1000.0);
}

/* ---- removal and unload under load ---- */

static sigjmp_buf gone_env;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(gone_env, 1);
}

/*
 * Hammer until the device goes; exit 0 when it does, as it must. Ready
 * (its queues open: the removal may come) when it writes to @wfd.
 */
static void doomed_child(int ua, int idx, int wfd)
{
	struct busy b[2];
	struct sigaction sa = { .sa_handler = on_sigbus };

	doomed = true;
	sigaction(SIGBUS, &sa, NULL);
	if (sigsetjmp(gone_env, 1)) {
		CNT(sigbus);
		_exit(0);
	}
	for (int k = 0; k < 2; k++)
		busy_init(&b[k], ua, (uint64_t)idx * 7 + k);
	T_ASSERT(write(wfd, "r", 1) == 1);
	for (;;) {
		for (int k = 0; k < 2; k++) {
			busy_submit(&b[k]);
			while (b[k].inflight > DEPTH / 2)
				busy_reap(&b[k], idx, 120000);
		}
	}
}

static void under_load(bool rmmod)
{
	static const char *modes[] = { "mode=sva engines=2", "mode=pasid", "mode=noiommu" };
	long rounds = env_long("ST_ROUNDS", 3);
	uint64_t t0 = t_now_ms();
	char s[16];

	shared_counts();
	for (long r = 0; r < rounds; r++) {
		struct t_inst in[3];
		pid_t pids[12];
		int n = 0, ready[2];
		char c;

		T_OK(pipe(ready));
		for (int m = 0; m < 3; m++)
			in[m] = t_inst_create(modes[m]);
		for (int m = 0; m < 3; m++)
			for (int i = 0; i < 4; i++) {
				pids[n] = t_fork();
				if (!pids[n])
					doomed_child(in[m].ua, n, ready[1]);
				n++;
			}
		/*
		 * Every process has its queues open (a removal before that
		 * would fail its open, not its load), then a while of load.
		 */
		for (int i = 0; i < n; i++)
			T_ASSERT(read(ready[0], &c, 1) == 1);
		close(ready[0]);
		close(ready[1]);
		t_msleep(300 + (int)(r * 97 % 700));
		if (rmmod) {
			/* every instance goes with the module, ours included */
			T_OK(syscall(SYS_delete_module, "wd_soft", O_NONBLOCK));
		} else {
			for (int m = 0; m < 3; m++) {
				snprintf(s, sizeof(s), "%d", in[m].id);
				T_EQ(t_inst_del_raw(s), 0);
			}
		}
		C->removed++;
		for (int i = 0; i < n; i++)
			t_wait_ok(pids[i], 120000);
		if (rmmod) {
			int fd = open("/lib/modules/wd/wd_soft.ko", O_RDONLY);

			T_ASSERT(fd >= 0);
			T_OK(syscall(SYS_finit_module, fd, "", 0));
			close(fd);
			for (int i = 0; i < 200 && !t_wd_soft_loaded(); i++)
				t_msleep(10);
		}
	}
	t_note("%ld rounds: 12 busy processes on 3 devices (sva, pasid, noiommu) %s; %lu saw SIGBUS, %lu POLLHUP; %.1f s",
	       rounds, rmmod ? "when wd_soft was unloaded" : "when the devices were deleted",
	       C->sigbus, C->pollhup, (t_now_ms() - t0) / 1000.0);
}

T_TEST_TMO(remove_under_load, 1800) { under_load(false); }
T_TEST_TMO(rmmod_under_load, 1800) { under_load(true); }

/* ---- isolation with injected errors, under load ---- */

T_TEST_TMO(isolation_under_load, 1800)
{
	struct t_inst in = t_inst_create("mode=sva queues=16 engines=2");
	long rounds = env_long("ST_ROUNDS", 3) * 4, secs = env_long("ST_SECONDS", 8);
	uint64_t end = t_now_ms() + (uint64_t)secs * 1000 * 60;
	char path[128], dev[32], ch;
	unsigned long errs = 0, ops = 0;
	pid_t pids[4];
	int ready[2];

	shared_counts();
	snprintf(path, sizeof(path), "/sys/kernel/debug/wd_soft/wd_soft%d/fail_next", in.id);
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "20"), 0);
	T_OK(pipe(ready));
	for (int i = 0; i < 4; i++) {
		pids[i] = t_fork();
		if (!pids[i]) {
			struct busy b;

			/* open before the first isolation: open would be EIO */
			busy_init(&b, in.ua, (uint64_t)i);
			T_ASSERT(write(ready[1], "r", 1) == 1);
			while (t_now_ms() < end && !C->killed) {
				busy_submit(&b);
				while (b.inflight > DEPTH / 2)
					busy_reap(&b, i, 120000);
			}
			while (b.inflight)
				busy_reap(&b, i, 120000);
			_exit(0);
		}
	}
	for (int i = 0; i < 4; i++)
		T_ASSERT(read(ready[0], &ch, 1) == 1);
	for (long r = 0; r < rounds; r++) {
		int i;

		T_EQ(t_write_file(path, "25"), 0);
		for (i = 0; i < 3000 && t_attr_ll(in.ua, "isolate") != 1; i++)
			t_msleep(10);
		T_ASSERT_MSG(t_attr_ll(in.ua, "isolate") == 1, "round %ld: not isolated", r);
		C->isolations++;
		T_EQ(t_open_raw(in.ua), -EIO);
		/* the queues already open keep working meanwhile */
		t_msleep(50);
		T_EQ(t_attr_write(in.ua, "isolate_strategy", "20"), 0);
		T_EQ(t_attr_ll(in.ua, "isolate"), 0);
		{
			int fd = open(t_dev_path(in.ua, dev), O_RDWR);

			T_ASSERT_MSG(fd >= 0, "open after the reset: %s", t_errname(errno));
			close(fd);
		}
	}
	C->killed = 1;	/* tell the workers to finish */
	for (int i = 0; i < 4; i++)
		t_wait_ok(pids[i], 300000);
	for (int i = 0; i < 4; i++) {
		errs += C->dev_err[i];
		ops += C->ops[i];
	}
	T_ASSERT_MSG(errs > 0, "no injected error reached the workers");
	t_note("%ld isolations and resets under load; the workers' %lu requests: %lu DEV_ERR (injected), the rest OK and checked",
	       rounds, ops, errs);
}
