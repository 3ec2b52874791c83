// SPDX-License-Identifier: GPL-2.0
/*
 * fz_sys: the system-call fuzzer, in the VM, against uacce and wd_soft.
 *
 * Several worker processes, each with its own random sequence, do random
 * open / close / dup / mmap (any region, length, protection, shared or
 * private) / munmap (whole or partial) / mprotect / mremap / madvise /
 * touching mapped pages / writing SQEs and doorbells / ioctl (every uacce
 * and wd_soft command, random ones, good and bad arguments) / poll / fork
 * (the child works on the inherited descriptors, then opens its own) /
 * kill -9 of its children / passing descriptors to the other workers over
 * UNIX sockets / sysfs and debugfs writes (isolate_strategy, fail_next,
 * new_device, del_device, good and garbage strings) on three devices, one
 * per memory mode. Meanwhile the parent removes and re-creates the devices
 * at random moments and injects device errors with a low isolation
 * threshold.
 *
 * Checks: every failure has an errno the interface documents for that call
 * (anything else is reported); a process that does not own a queue never
 * gets an ioctl or mmap through, and its poll always reports POLLERR;
 * workers die only of the signals we send; at the end every device has all
 * its queues available again (no queue leaked) and can be deleted; the
 * kernel log stays clean and the modules unload (wd-vm checks both).
 *
 * Environment: FZ_SEED (default 1), FZ_OPS per worker (default 1500),
 * FZ_WORKERS (default 4), FZ_SECONDS (per run; default 0: no limit).
 */
#include "fz_sys.h"

struct shared *S;

void unexpected(const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# fz_sys: unexpected: %s\n", buf);
	if (!__atomic_fetch_add(&S->unexpected, 1, __ATOMIC_SEQ_CST))
		snprintf(S->first, sizeof(S->first), "%s", buf);
}

/* errno must be one of the listed ones (0-terminated list) */
void expect_errno(const char *what, int err, const int *ok)
{
	for (; *ok; ok++)
		if (err == *ok)
			return;
	unexpected("%s: %s", what, t_errname(err));
}

/* ---- guarded memory access: SIGSEGV/SIGBUS become a return value ---- */

sigjmp_buf guard_env;
volatile sig_atomic_t in_guard;

static void on_fault(int sig)
{
	if (in_guard) {
		in_guard = 0;
		siglongjmp(guard_env, sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- a worker's table of descriptors ---- */

struct ent E[NFD];
int my_sock, peer_socks[MAX_WORKERS], nworkers, me;
pid_t kids[8];

static void reap_kids(bool block)
{
	for (int i = 0; i < 8; i++) {
		int st;

		if (!kids[i] || waitpid(kids[i], &st, block ? 0 : WNOHANG) != kids[i])
			continue;
		if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0) &&
		    !(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))
			unexpected("a fork child ended with status %#x", st);
		kids[i] = 0;
	}
}

static void do_kill(void)
{
	int i = (int)rndn(8);

	if (!kids[i])
		return;
	kill(kids[i], SIGKILL);
	CNT(kills);
	reap_kids(false);
}

static void child_ops(void);

static void do_fork(void)
{
	int slot = -1;
	pid_t pid;

	for (int i = 0; i < 8; i++)
		if (!kids[i])
			slot = i;
	if (slot < 0) {
		reap_kids(false);
		return;
	}
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		/* nothing inherited is ours; the parent's mappings are gone */
		for (int i = 0; i < NFD; i++) {
			E[i].mine = false;
			memset(E[i].map, 0, sizeof(E[i].map));
		}
		memset(kids, 0, sizeof(kids));
		rs ^= (uint64_t)getpid() << 32;
		child_ops();
		_exit(0);
	}
	kids[slot] = pid;
	CNT(forks);
}

static void one_op(bool child)
{
	unsigned int k = (unsigned int)rndn(child ? 80 : 100);

	CNT(ops);
	if (!pick() && chance(80))
		k = 0;		/* nothing open: open something */
	if (k < 8)
		do_open();
	else if (k < 13)
		do_close();
	else if (k < 15)
		do_dup();
	else if (k < 27)
		do_mmap();
	else if (k < 31)
		do_munmap();
	else if (k < 34)
		do_mprotect();
	else if (k < 36)
		do_mremap();
	else if (k < 38)
		do_madvise();
	else if (k < 50)
		do_touch();
	else if (k < 58)
		do_ring();
	else if (k < 70)
		do_ioctl();
	else if (k < 75)
		do_poll();
	else if (k < 80)
		do_receive();
	else if (k < 85)
		do_sysfs();
	else if (k < 89)
		do_pass();
	else if (k < 93)
		do_fork();
	else if (k < 96)
		do_kill();
	else
		reap_kids(false);
}

static void child_ops(void)
{
	int n = 5 + (int)rndn(40);

	for (int i = 0; i < n && !S->stop; i++)
		one_op(true);
	for (int i = 0; i < NFD; i++)
		if (E[i].fd >= 0)
			ent_drop(&E[i]);
}

static void worker(int idx, uint64_t seed, long ops, uint64_t end_ms)
{
	struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };

	me = idx;
	rs = seed * 0x9e3779b97f4a7c15ull + (uint64_t)idx * 7919 + 1;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < NFD; i++) {
		memset(&E[i], 0, sizeof(E[i]));
		E[i].fd = -1;
	}
	for (long i = 0; i < ops && !S->stop; i++) {
		if (end_ms && t_now_ms() > end_ms)
			break;
		one_op(false);
	}
	for (int i = 0; i < 8; i++)
		if (kids[i])
			kill(kids[i], SIGKILL);
	reap_kids(true);
	for (int i = 0; i < NFD; i++)
		if (E[i].fd >= 0)
			ent_drop(&E[i]);
	_exit(0);
}

static const char *slot_opts[NSLOT] = { "mode=sva queues=6 engines=2",
					 "mode=pasid queues=4", "mode=noiommu queues=4" };
static const int slot_queues[NSLOT] = { 6, 4, 4 };

static void slot_create(int k)
{
	char s[96];
	int r;

	snprintf(s, sizeof(s), "%d %s", t_id_base() + k, slot_opts[k]);
	r = t_inst_new_raw(s);
	if (r && r != -EEXIST)
		T_FAIL("new_device \"%s\": %s", s, t_errname(-r));
	for (int i = 0; i < 200; i++) {
		int ua = t_inst_ua(t_id_base() + k);
		char dev[32];

		if (ua >= 0 && t_exists(t_dev_path(ua, dev))) {
			S->ua[k] = ua;
			return;
		}
		t_msleep(5);
	}
	S->ua[k] = -1;
}

static void sys_fuzz(void)
{
	long ops = env_long("FZ_OPS", 1500), secs = env_long("FZ_SECONDS", 0);
	int nw = (int)env_long("FZ_WORKERS", 4);
	uint64_t seed = (uint64_t)env_long("FZ_SEED", 1), t0 = t_now_ms();
	uint64_t end = secs ? t0 + (uint64_t)secs * 1000 : 0;
	pid_t pids[MAX_WORKERS];
	int socks[MAX_WORKERS][2], live;

	rs = seed * 31 + 17;
	if (nw < 1 || nw > MAX_WORKERS)
		T_FAIL("FZ_WORKERS must be 1..%d", MAX_WORKERS);
	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	T_ASSERT(S != MAP_FAILED);
	memset((void *)S, 0, sizeof(*S));
	for (int k = 0; k < NSLOT; k++)
		slot_create(k);
	for (int i = 0; i < nw; i++)
		T_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, socks[i]));
	nworkers = nw;
	for (int i = 0; i < nw; i++)
		peer_socks[i] = socks[i][1];
	for (int i = 0; i < nw; i++) {
		pids[i] = fork();
		T_ASSERT(pids[i] >= 0);
		if (!pids[i]) {
			my_sock = socks[i][0];
			worker(i, seed, ops, end);
		}
	}

	/* the controller: removal mid-sequence, errors and isolation */
	live = nw;
	for (int iter = 0; live; iter++) {
		int st, k = (int)rndn(NSLOT);
		char s[32], path[128];
		pid_t p;

		t_msleep(10 + (int)rndn(60));
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			for (int i = 0; i < nw; i++)
				if (pids[i] == p) {
					pids[i] = 0;
					live--;
					if (!WIFEXITED(st) || WEXITSTATUS(st))
						T_FAIL("worker %d ended with status %#x", i, st);
				}
		}
		if (t_now_ms() - t0 > (uint64_t)(secs ? secs + 300 : 900) * 1000) {
			S->stop = 1;
			T_FAIL("workers did not finish in time");
		}
		/* the third round always removes one: short runs get it too */
		switch (iter == 2 ? 0 : rndn(3)) {
		case 0:	/* remove a device with its queues open, mapped, busy */
			snprintf(s, sizeof(s), "%d", t_id_base() + k);
			if (!t_inst_del_raw(s))
				CNT(removals);
			t_msleep((int)rndn(50));
			slot_create(k);
			break;
		case 1:	/* injected device errors, a low threshold */
			if (S->ua[k] < 0)
				break;
			snprintf(path, sizeof(path), "/sys/class/uacce/ua%d/isolate_strategy",
				 S->ua[k]);
			t_write_file(path, chance(50) ? "3" : "0");
			snprintf(path, sizeof(path), "/sys/kernel/debug/wd_soft/wd_soft%d/fail_next",
				 t_id_base() + k);
			t_write_file(path, "5");
			break;
		default: {
			char v[16];

			/* a worker may have removed it: no T_FAIL on absence */
			if (S->ua[k] >= 0 && t_attr_str(S->ua[k], "isolate", v, sizeof(v)) >= 0 &&
			    !strcmp(v, "1"))
				CNT(isolations);
			break;
		}
		}
	}
	/* descriptors still in flight in the sockets hold their queues */
	for (int i = 0; i < nw; i++) {
		close(socks[i][0]);
		close(socks[i][1]);
	}
	/* nothing leaked: every queue of every device is available again */
	for (int k = 0; k < NSLOT; k++) {
		if (S->ua[k] < 0 || !t_inst_exists(t_id_base() + k))
			continue;
		/* the last closes of killed processes (mmput_async()) */
		T_WAIT_UNTIL(t_attr_ll(S->ua[k], "available_instances") == slot_queues[k],
			     "device %d: %lld of %d queues back", k,
			     t_attr_ll(S->ua[k], "available_instances"), slot_queues[k]);
	}
	t_note("seed %llu: %d workers, %lu operations in %.1f s: %lu opens, %lu mappings, %lu ioctls that succeeded, %lu faults caught, %lu forks, %lu kill -9, %lu descriptors passed, %lu device removals, %lu isolations seen",
	       (unsigned long long)seed, nw, S->ops, (t_now_ms() - t0) / 1000.0, S->opens,
	       S->maps, S->ioctls_ok, S->sigs, S->forks, S->kills, S->passed, S->removals,
	       S->isolations);
	if (S->unexpected)
		T_FAIL("%lu unexpected results; the first: %s", S->unexpected, S->first);
}

__attribute__((constructor)) static void fz_sys_register(void)
{
	long secs = env_long("FZ_SECONDS", 0);

	t_register("sys_fuzz", sys_fuzz, (int)(secs ? secs + 600 : 1200));
}
