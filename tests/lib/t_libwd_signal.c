// SPDX-License-Identifier: MIT
/*
 * t_libwd: the in-process device and the application's signals.
 * One of the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"

/* ---- the in-process device and the application's signals ---- */

/*
 * The in-process SVA device reaches request data through the kernel by
 * default (process_vm_readv/writev: no signal handler at all), or, with
 * WD_LOCAL_SVA_COPY=signal, copies itself and catches the faults of its
 * engine threads on bad addresses with a SIGSEGV/SIGBUS handler
 * (lib/soft/mem.c). Either way, bad addresses fail their request with
 * -EFAULT and everything else must reach the application as if libwd were
 * not there: its own faults and the signals sent to it, with its action's
 * flags and mask, its SA_RESETHAND, its SIG_DFL (death, core dump) and its
 * SIG_IGN. Each test runs the application in a child, which has a queue on
 * local:sva, and runs twice: NAME.kernel with the variable unset (the
 * default) and NAME.signal.
 */
static bool g_sig_mode;		/* this run is NAME.signal */

#define STEST(name)							\
	static void name(void);						\
	static void name##__kernel(void)				\
	{								\
		g_sig_mode = false;					\
		unsetenv("WD_LOCAL_SVA_COPY");				\
		name();							\
	}								\
	static void name##__signal(void)				\
	{								\
		g_sig_mode = true;					\
		setenv("WD_LOCAL_SVA_COPY", "signal", 1);		\
		name();							\
	}								\
	__attribute__((constructor)) static void name##__reg(void)	\
	{								\
		t_register(#name ".kernel", name##__kernel, 60);	\
		t_register(#name ".signal", name##__signal, 60);	\
	}								\
	static void name(void)

#ifdef T_NATIVE
/* an address nothing is mapped at, hidden from the compiler */
volatile int *volatile sig_bad_ptr = (volatile int *)(uintptr_t)16;

int sig_rec_fd = -1;
sigjmp_buf sig_env;
volatile sig_atomic_t sig_jump;
static stack_t sig_alt;

static void sig_record(int sig, siginfo_t *si, void *uc)
{
	struct sig_rec r = {
		.sig = sig, .code = si->si_code, .pid = si->si_pid,
		.value = si->si_value.sival_int, .addr = si->si_addr,
	};
	struct sigaction cur;
	sigset_t m;
	char here;

	(void)uc;
	sigaction(sig, NULL, &cur);
	/* SA_RESETHAND: the kernel makes the handler SIG_DFL, flags stay */
	r.reset = cur.sa_handler == SIG_DFL;
	r.act_flags = cur.sa_flags;
	r.act_usr1 = sigismember(&cur.sa_mask, SIGUSR1);
	pthread_sigmask(SIG_SETMASK, NULL, &m);
	r.usr1 = sigismember(&m, SIGUSR1);
	r.usr2 = sigismember(&m, SIGUSR2);
	r.self = sigismember(&m, sig);
	r.altstack = sig_alt.ss_sp && &here >= (char *)sig_alt.ss_sp &&
		     &here < (char *)sig_alt.ss_sp + sig_alt.ss_size;
	if (write(sig_rec_fd, &r, sizeof(r)) < 0)
		(void)0;	/* full: a fault loop, which the test reports */
	if (sig_jump) {
		sig_jump = 0;
		siglongjmp(sig_env, 1);
	}
}

void sig_act(int sig, int flags, int masked)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sig_record;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (masked)
		sigaddset(&sa.sa_mask, masked);
	T_OK(sigaction(sig, &sa, NULL));
}

static void sig_disp(int sig, void (*h)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h;
	sigemptyset(&sa.sa_mask);
	T_OK(sigaction(sig, &sa, NULL));
}

/* one copy on @q: its status */
static int copy_status(struct wd_queue *q, void *dst, const void *src,
		       uint32_t len)
{
	struct wd_copy_req req;

	wd_prep_copy(&req, dst, src, len);
	run(q, &req);
	return req.status;
}

/* the child's queue on the in-process SVA device, and a copy through it */
static void sig_queue(struct wd_queue *q)
{
	static char a[4096], b[4096];

	q_open_on(q, "copy", "local:sva");
	fill_text(a, sizeof(a), 11);
	T_EQ(copy_status(q, b, a, sizeof(a)), 0);
	T_ASSERT(!memcmp(a, b, sizeof(a)));
}

/* bad SVA addresses fail their request with -EFAULT; good ones still work */
void sig_bad_addrs(struct wd_queue *q)
{
	long pg = sysconf(_SC_PAGESIZE);
	char path[] = "/tmp/t_libwd.XXXXXX", *ok = malloc(2 * pg);
	uint8_t *none, *ro, *fm;
	int fd;

	T_ASSERT(ok);
	none = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(none != MAP_FAILED && ro != MAP_FAILED);
	fd = T_OK(mkstemp(path));
	T_OK(unlink(path));
	T_OK(write(fd, "x", 1));
	fm = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	T_ASSERT(fm != MAP_FAILED);
	close(fd);
	memset(ok, 5, 2 * pg);

	T_EQ(copy_status(q, ok, (void *)sig_bad_ptr, 100), -EFAULT);	/* NULL page */
	T_EQ(copy_status(q, ok, none, 100), -EFAULT);			/* PROT_NONE */
	T_EQ(copy_status(q, ro, ok, 100), -EFAULT);			/* read-only */
	T_EQ(copy_status(q, ok, fm + pg, 100), -EFAULT);		/* past EOF: SIGBUS */
	T_EQ(copy_status(q, ok + pg, ok, pg), 0);
	munmap(fm, 2 * pg);
	munmap(ro, pg);
	munmap(none, pg);
	free(ok);
}

/*
 * A core dump shows that the default action ran. Seen when core_pattern
 * names a file in the working directory and not under ASan (whose shadow
 * would make the core enormous; it turns core dumps off anyway).
 */
static bool core_dir(char *dir, size_t len)
{
#ifdef __SANITIZE_ADDRESS__
	(void)dir;
	(void)len;
	return false;
#else
	char pat[256];
	int n = t_read_file("/proc/sys/kernel/core_pattern", pat, sizeof(pat));

	if (n <= 0)
		return false;
	pat[n] = 0;
	if (pat[0] == '|' || strchr(pat, '/'))
		return false;
	snprintf(dir, len, "/tmp/t_libwd_core.XXXXXX");
	return mkdtemp(dir) != NULL;
#endif
}

/* in the child: cores into @dir (NULL: none) */
static void core_child(const char *dir)
{
	struct rlimit rl = { 0, 0 };

	if (dir) {
		rl.rlim_cur = rl.rlim_max = RLIM_INFINITY;
		T_OK(chdir(dir));
	}
	if (setrlimit(RLIMIT_CORE, &rl) && dir)
		T_FAIL("RLIMIT_CORE: %s", t_errname(errno));
}

static void core_clean(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
			unlink(p);
		}
	closedir(d);
	rmdir(dir);
}

/* @pid has not ended (a status that says otherwise fails the test) */
static bool still_alive(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, WNOHANG) != pid)
		return true;
	T_FAIL("the child ended early: status %#x (killed by %s)", st,
	       WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : "-");
}

/* died of @sig by its default action (with a core dump when @core) */
static void expect_default_death(int st, int sig, bool core, const char *dir)
{
	if (WIFEXITED(st))
		T_FAIL("child exited %d, expected death by SIG%s", WEXITSTATUS(st),
		       sigabbrev_np(sig));
	T_ASSERT_MSG(WIFSIGNALED(st) && WTERMSIG(st) == sig,
		     "child killed by SIG%s, expected SIG%s",
		     sigabbrev_np(WTERMSIG(st)), sigabbrev_np(sig));
	if (core) {
		T_ASSERT_MSG(WCOREDUMP(st), "killed by SIG%s without a core dump",
			     sigabbrev_np(sig));
		core_clean(dir);
	}
}

/* /proc/PID/status field @name (hex masks): its value */
unsigned long long proc_status_hex(pid_t tid, const char *name)
{
	char path[64], buf[4096], *p;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	n = t_read_file(path, buf, sizeof(buf));
	T_ASSERT(n > 0);
	buf[n] = 0;
	p = strstr(buf, name);
	T_ASSERT(p);
	return strtoull(p + strlen(name), NULL, 16);
}

#endif

/*
 * A one-shot handler (SA_RESETHAND) that returns: the application's own
 * NULL write runs it once, with its action reset to SIG_DFL and its
 * sa_mask blocked, then kills the process by SIGSEGV's default action (a
 * core dump), as without libwd; never a fault loop. The reset is the
 * kernel's: the handler becomes SIG_DFL, the action's flags and sa_mask
 * stay as they were.
 */
STEST(signal_resethand_fault)
{
	native_only();
#ifdef T_NATIVE
	int pfd[2], st, n = 0;
	struct sig_rec r, x;
	char dir[64];
	bool core = core_dir(dir, sizeof(dir));
	pid_t pid;

	T_OK(pipe2(pfd, O_NONBLOCK));
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;

		close(pfd[0]);
		sig_rec_fd = pfd[1];
		core_child(core ? dir : NULL);
		sig_act(SIGSEGV, SA_RESETHAND, SIGUSR1);
		sig_queue(&q);
		*sig_bad_ptr = 1;
		_exit(0);
	}
	close(pfd[1]);
	st = t_wait_bounded(pid, 10000);
	if (read(pfd[0], &r, sizeof(r)) == sizeof(r))
		n++;
	while (read(pfd[0], &x, sizeof(x)) == sizeof(x))
		n++;
	close(pfd[0]);
	if (st == -1) {
		if (core)
			core_clean(dir);
		T_FAIL("10 s after its NULL write the child still ran: its one-shot "
		       "handler ran %d%s times (a fault loop)",
		       n, n * (int)sizeof(r) >= 65536 ? " or more" : "");
	}
	expect_default_death(st, SIGSEGV, core, dir);
	T_EQ(n, 1);
	T_EQ(r.sig, SIGSEGV);
	T_EQ(r.code, SEGV_MAPERR);
	T_ASSERT(r.addr == (void *)sig_bad_ptr);
	T_ASSERT_MSG(r.reset, "SA_RESETHAND: the action was not SIG_DFL in the handler");
	T_ASSERT_MSG((r.act_flags & (SA_SIGINFO | SA_RESETHAND)) ==
		     (SA_SIGINFO | SA_RESETHAND) && r.act_usr1,
		     "SA_RESETHAND: the reset action's flags %#x and sa_mask "
		     "(SIGUSR1 %d) are not the application's, as the kernel keeps "
		     "them", r.act_flags, r.act_usr1);
	T_ASSERT_MSG(r.usr1, "the handler's sa_mask (SIGUSR1) was not blocked");
	T_ASSERT_MSG(r.self, "SIGSEGV was not blocked in its handler (no SA_NODEFER)");
#endif
}

/* kill -SEGV / -BUS with SIG_DFL: death by the default action (a core) */
STEST(signal_kill_default)
{
	native_only();
#ifdef T_NATIVE
	static const int sigs[] = { SIGSEGV, SIGBUS };

	for (int i = 0; i < 2; i++) {
		int ready[2], ctl[2], st;
		char dir[64], c;
		bool core = core_dir(dir, sizeof(dir));
		pid_t pid;

		T_OK(pipe(ready));
		T_OK(pipe(ctl));
		pid = t_fork();
		if (!pid) {
			struct wd_queue q;

			core_child(core ? dir : NULL);
			sig_disp(SIGSEGV, SIG_DFL);
			sig_disp(SIGBUS, SIG_DFL);
			sig_queue(&q);
			T_OK(write(ready[1], "r", 1));
			while (read(ctl[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
		T_EQ(read(ready[0], &c, 1), 1);
		T_OK(kill(pid, sigs[i]));
		st = t_wait_bounded(pid, 10000);
		T_ASSERT_MSG(st != -1, "SIG%s sent, the child still ran after 10 s",
			     sigabbrev_np(sigs[i]));
		expect_default_death(st, sigs[i], core, dir);
		close(ready[0]);
		close(ready[1]);
		close(ctl[0]);
		close(ctl[1]);
	}
#endif
}

/*
 * kill -BUS / -SEGV with SIG_IGN: ignored. The process lives on, its
 * blocking read() is not cut short, its queue works.
 */
STEST(signal_kill_ignored)
{
	native_only();
#ifdef T_NATIVE
	static const int sigs[] = { SIGBUS, SIGSEGV, SIGBUS };
	int ready[2], ctl[2];
	pid_t pid;
	char c;

	T_OK(pipe(ready));
	T_OK(pipe(ctl));
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;
		ssize_t n;

		sig_disp(SIGBUS, SIG_IGN);
		sig_disp(SIGSEGV, SIG_IGN);
		sig_queue(&q);
		T_OK(write(ready[1], "r", 1));
		n = read(ctl[0], &c, 1);
		if (n != 1)
			T_FAIL("read() while ignored signals came: %zd (%s)", n,
			       t_errname(errno));
		sig_bad_addrs(&q);
		wd_release_queue(&q);
		_exit(0);
	}
	T_EQ(read(ready[0], &c, 1), 1);
	for (int i = 0; i < 3; i++) {
		t_wait_asleep_in(pid, SYS_read, SYS_read, "the child's read()");
		T_OK(kill(pid, sigs[i]));
		/* taken (or discarded), and the child back in its read() */
		T_WAIT_UNTIL(still_alive(pid) &&
			     !(proc_status_hex(pid, "ShdPnd:") & SIGBIT(sigs[i])) &&
			     t_task_asleep_in(pid, SYS_read, SYS_read),
			     "SIG%s never taken", sigabbrev_np(sigs[i]));
	}
	T_OK(write(ctl[1], "c", 1));
	wait_exit0(pid, 30000, "child");
#endif
}

/*
 * The application's handlers get their signals with their own flags and
 * mask: sa_mask and the signal itself blocked (or not, SA_NODEFER), the
 * alternate stack only with SA_ONSTACK, SA_RESTART or EINTR, and the
 * siginfo as sent (a fault's address; kill's and sigqueue's sender and
 * value). The engines' faults stay the device's (-EFAULT).
 */
STEST(signal_handler_flags)
{
	native_only();
#ifdef T_NATIVE
	struct sig_rec r[4];
	int recs[2], ready[2], ctl[2], st, n;
	union sigval v = { .sival_int = 42 };
	pid_t pid;
	char c;

	T_OK(pipe(recs));
	T_OK(pipe(ready));
	T_OK(pipe(ctl));
	pid = t_fork();
	if (!pid) {
		struct wd_queue q;
		int eintr = 0;

		close(recs[0]);
		sig_rec_fd = recs[1];
		sig_alt.ss_size = 1 << 16;
		sig_alt.ss_sp = malloc(sig_alt.ss_size);
		T_ASSERT(sig_alt.ss_sp);
		T_OK(sigaltstack(&sig_alt, NULL));
		sig_act(SIGSEGV, 0, SIGUSR1);
		sig_act(SIGBUS, SA_NODEFER | SA_ONSTACK | SA_RESTART, SIGUSR2);
		sig_queue(&q);
		/* its own fault */
		if (!sigsetjmp(sig_env, 1)) {
			sig_jump = 1;
			*sig_bad_ptr = 1;
		}
		/* the parent's signals, each while we sleep in read() */
		T_OK(write(ready[1], "r", 1));
		while (read(ctl[0], &c, 1) < 0) {
			T_EQ(errno, EINTR);
			eintr++;
		}
		sig_bad_addrs(&q);
		wd_release_queue(&q);
		/* how many signals cut read() short: the parent checks */
		_exit(eintr);
	}
	close(recs[1]);
	T_EQ(read(ready[0], &c, 1), 1);
	for (int i = 0; i < 3; i++) {
		t_wait_asleep_in(pid, SYS_read, SYS_read, "the child's read()");
		if (i == 0)
			T_OK(kill(pid, SIGSEGV));
		else if (i == 1)
			T_OK(kill(pid, SIGBUS));
		else
			T_OK(sigqueue(pid, SIGBUS, v));
		/* its record: the handler ran */
		T_WAIT_UNTIL(still_alive(pid) &&
			     proc_status_hex(pid, "ShdPnd:") == 0,
			     "signal %d not taken", i);
		t_wait_asleep_in(pid, SYS_read, SYS_read, "the child's read()");
	}
	T_OK(write(ctl[1], "c", 1));
	st = t_wait_bounded(pid, 30000);
	n = 0;
	while (n < 4 && read(recs[0], &r[n], sizeof(r[n])) == sizeof(r[n]))
		n++;
	T_ASSERT_MSG(st != -1, "child still running after 30 s");
	T_ASSERT_MSG(WIFEXITED(st), "child status %#x", st);
	T_EQ(n, 4);
	/* no more: the engine's faults are not the application's */
	T_EQ(read(recs[0], &c, 1), 0);
	/* its own NULL write */
	T_EQ(r[0].sig, SIGSEGV);
	T_EQ(r[0].code, SEGV_MAPERR);
	T_ASSERT(r[0].addr == (void *)sig_bad_ptr);
	/* kill -SEGV: sa_mask and the signal blocked, the normal stack */
	T_EQ(r[1].sig, SIGSEGV);
	T_EQ(r[1].code, SI_USER);
	T_EQ(r[1].pid, getpid());
	for (int i = 0; i < 2; i++) {
		T_ASSERT_MSG(r[i].usr1 && !r[i].usr2,
			     "SIGSEGV handler %d: sa_mask {SIGUSR1} not what was blocked", i);
		T_ASSERT_MSG(r[i].self,
			     "SIGSEGV handler %d: SIGSEGV not blocked (no SA_NODEFER)", i);
		T_ASSERT_MSG(!r[i].altstack,
			     "SIGSEGV handler %d: on the alternate stack without SA_ONSTACK", i);
		T_ASSERT(!r[i].reset);
	}
	/* kill -BUS and sigqueue: SA_NODEFER, SA_ONSTACK */
	T_EQ(r[2].code, SI_USER);
	T_EQ(r[3].code, SI_QUEUE);
	T_EQ(r[3].value, 42);
	for (int i = 2; i < 4; i++) {
		T_EQ(r[i].sig, SIGBUS);
		T_EQ(r[i].pid, getpid());
		T_ASSERT_MSG(r[i].usr2 && !r[i].usr1,
			     "SIGBUS handler: sa_mask {SIGUSR2} not what was blocked");
		T_ASSERT_MSG(!r[i].self, "SIGBUS blocked in its handler despite SA_NODEFER");
		T_ASSERT_MSG(r[i].altstack,
			     "SIGBUS handler not on the alternate stack (SA_ONSTACK)");
	}
	/* SIGSEGV's action has no SA_RESTART, SIGBUS's has: one EINTR */
	T_ASSERT_MSG(WEXITSTATUS(st) == 1,
		     "read() cut short by %d signals, expected 1 (SIGSEGV's)",
		     WEXITSTATUS(st));
#endif
}

/*
 * The application blocks SIGSEGV and SIGBUS in every thread it has and
 * takes them with sigwaitinfo(); a kill -BUS and a sigqueue SIGSEGV must
 * reach sigwaitinfo(), not kill the process, and bad addresses still fail
 * with -EFAULT. .kernel: the engine blocks every signal from the start, so
 * neither ever lands on it, and the kill's sender is the sender. .signal:
 * the engine cannot block them (a blocked fault kills), so they land on it
 * and it hands them on (the kill's sender becomes the process itself);
 * meanwhile it copies without faulting, and goes back to normal after.
 */
STEST(signal_blocked_sigwait)
{
	native_only();
#ifdef T_NATIVE
	union sigval v = { .sival_int = 7 };
	int ready[2];
	pid_t pid;
	char c;

	T_OK(pipe(ready));
	pid = t_fork();
	if (!pid) {
		struct timespec tmo = { 10, 0 };
		struct eng_thread e[1];
		struct wd_queue q;
		siginfo_t si[2];
		uint8_t a[256], b[256];
		sigset_t set;

		close(ready[0]);
		sigemptyset(&set);
		sigaddset(&set, SIGSEGV);
		sigaddset(&set, SIGBUS);
		T_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
		unsetenv("WD_LOCAL_ENGINES");
		sig_queue(&q);
		T_EQ(eng_threads(e, 1, NULL), 1);
		if (!g_sig_mode)
			T_EQ(proc_status_hex(e[0].tid, "SigBlk:") &
			     (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS)),
			     SIGBIT(SIGSEGV) | SIGBIT(SIGBUS));
		T_OK(write(ready[1], "r", 1));
		if (g_sig_mode)
			/* the engine took both and handed them on: it blocks them now */
			T_WAIT_UNTIL((proc_status_hex(e[0].tid, "SigBlk:") &
				      (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS))) ==
				     (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS)),
				     "the engine thread never blocked the signals it took");
		else
			/* pending for the process, as without libwd */
			T_WAIT_UNTIL((proc_status_hex(getpid(), "ShdPnd:") &
				      (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS))) ==
				     (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS)),
				     "the signals sent never became pending");
		/* which it does without faulting */
		T_EQ(copy_status(&q, b, (void *)sig_bad_ptr, 100), -EFAULT);
		t_fill_random(a, sizeof(a), 3);
		T_EQ(copy_status(&q, b, a, sizeof(a)), 0);
		T_ASSERT(!memcmp(a, b, sizeof(a)));
		/* sigwaitinfo() gets them, as sent */
		for (int i = 0; i < 2; i++)
			T_ASSERT_MSG(sigtimedwait(&set, &si[i], &tmo) > 0,
				     "sigtimedwait: %s", t_errname(errno));
		if (si[0].si_signo == SIGSEGV) {
			siginfo_t x = si[0];

			si[0] = si[1];
			si[1] = x;
		}
		T_EQ(si[0].si_signo, SIGBUS);
		T_EQ(si[0].si_code, SI_USER);
		/* handed on, a kill's sender is the process; else the sender */
		T_EQ(si[0].si_pid, g_sig_mode ? getpid() : getppid());
		T_EQ(si[1].si_signo, SIGSEGV);
		T_EQ(si[1].si_code, SI_QUEUE);
		T_EQ(si[1].si_value.sival_int, 7);
		T_EQ(si[1].si_pid, getppid());
		/* taken: the engine unblocks them at its next copy (.signal) */
		T_EQ(copy_status(&q, b, a, sizeof(a)), 0);
		T_EQ(proc_status_hex(e[0].tid, "SigBlk:") &
		     (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS)),
		     g_sig_mode ? 0 : SIGBIT(SIGSEGV) | SIGBIT(SIGBUS));
		sig_bad_addrs(&q);
		wd_release_queue(&q);
		_exit(0);
	}
	/* a child that failed before it was ready: read() gives 0 */
	close(ready[1]);
	T_EQ(read(ready[0], &c, 1), 1);
	T_OK(kill(pid, SIGBUS));
	T_OK(sigqueue(pid, SIGSEGV, v));
	wait_exit0(pid, 60000, "child");
#endif
}

/*
 * Bad SVA addresses complete with -EFAULT whatever the application's
 * actions for SIGSEGV and SIGBUS (a one-shot handler, installed before the
 * device or after it; SIG_IGN; SIG_DFL), and the application never sees
 * the engine's faults.
 */
STEST(signal_bad_sva_addr)
{
	native_only();
#ifdef T_NATIVE
	for (int mode = 0; mode < 4; mode++) {
		int recs[2];
		char what[32];
		pid_t pid;
		char c;

		T_OK(pipe(recs));
		pid = t_fork();
		if (!pid) {
			struct wd_queue q, q2;

			close(recs[0]);
			sig_rec_fd = recs[1];
			if (mode == 0) {
				sig_act(SIGSEGV, SA_RESETHAND, 0);
				sig_act(SIGBUS, SA_RESETHAND, 0);
			} else {
				sig_disp(SIGSEGV, mode == 2 ? SIG_IGN : SIG_DFL);
				sig_disp(SIGBUS, mode == 2 ? SIG_IGN : SIG_DFL);
			}
			sig_queue(&q);
			if (mode == 3) {
				/* after the device: the next queue start puts ours back */
				sig_act(SIGSEGV, SA_RESETHAND, 0);
				sig_act(SIGBUS, SA_RESETHAND, 0);
				q_open_on(&q2, "copy", "local:sva");
			}
			sig_bad_addrs(&q);
			if (mode == 3) {
				sig_bad_addrs(&q2);
				wd_release_queue(&q2);
			}
			wd_release_queue(&q);
			_exit(0);
		}
		close(recs[1]);
		snprintf(what, sizeof(what), "mode %d: child", mode);
		wait_exit0(pid, 60000, what);
		T_ASSERT_MSG(read(recs[0], &c, 1) == 0,
			     "mode %d: the application's handler ran for an engine's fault", mode);
		close(recs[0]);
	}
#endif
}
