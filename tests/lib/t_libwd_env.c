// SPDX-License-Identifier: MIT
/*
 * t_libwd: signal actions the default leaves alone, WD_LOCAL_SVA_COPY, the
 * kernel copy under seccomp, fork() while another thread is inside libwd,
 * and setuid programs.
 * One of the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"

#ifdef T_NATIVE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#endif

#ifdef T_NATIVE
/* every signal's action, as sigaction() reports it */
static void sig_snapshot(struct sigaction *sa)
{
	for (int i = 1; i < NSIG; i++) {
		memset(&sa[i], 0, sizeof(sa[i]));
		sigaction(i, NULL, &sa[i]);	/* glibc's own two: EINVAL */
	}
}

/* the signals (SIGBIT) whose action differs from @was: handler, flags, mask */
static unsigned long long sig_changed(const struct sigaction *was)
{
	struct sigaction now[NSIG];
	unsigned long long m = 0;

	sig_snapshot(now);
	for (int i = 1; i < NSIG && i <= 64; i++) {
		if (now[i].sa_handler != was[i].sa_handler ||
		    now[i].sa_flags != was[i].sa_flags)
			m |= SIGBIT(i);
		for (int s = 1; s < NSIG; s++)
			if (sigismember(&now[i].sa_mask, s) !=
			    sigismember(&was[i].sa_mask, s))
				m |= SIGBIT(i);
	}
	return m;
}

/* 1..31 but SIGKILL and SIGSTOP: what a thread that blocks all blocks */
#define SIG_STD_ALL	(0x7fffffffull & ~SIGBIT(SIGKILL) & ~SIGBIT(SIGSTOP))
#endif

/*
 * The default (WD_LOCAL_SVA_COPY unset) installs no signal handler. An
 * application with a crash reporter's SIGSEGV handler (SA_SIGINFO,
 * SA_ONSTACK, SA_NODEFER, a mask) and SIGBUS as it found it requests
 * queues in two modes and sends bad SVA addresses, which fail with
 * -EFAULT. Afterwards every signal's action is exactly its own (handler,
 * flags, mask), its handler never ran for the engine's bad addresses, its
 * own fault still reaches it with its siginfo, and every engine thread
 * blocks every signal, so that none sent to the process lands on one.
 */
TEST(sva_no_handler)
{
	native_only();
#ifdef T_NATIVE
	struct sigaction before[NSIG];
	struct eng_thread e[2];
	struct wd_queue q, qp;
	unsigned long long changed;
	struct sig_rec r;
	int recs[2];

	unsetenv("WD_LOCAL_SVA_COPY");
	unsetenv("WD_LOCAL_ENGINES");
	T_OK(pipe2(recs, O_NONBLOCK));
	sig_rec_fd = recs[1];
	sig_act(SIGSEGV, SA_ONSTACK | SA_NODEFER, SIGUSR1);
	sig_snapshot(before);
	q_open_on(&q, "copy", "local:sva");
	q_open_on(&qp, "copy", "local:pasid");
	local_copy_works(&q);
	local_copy_works(&qp);
	sig_bad_addrs(&q);
	changed = sig_changed(before);
	T_ASSERT_MSG(!changed, "signal actions changed: %#llx (SIGBIT)", changed);
	T_ASSERT_MSG(read(recs[0], &r, sizeof(r)) < 0,
		     "the application's handler ran for an engine's bad address");
	T_EQ(eng_threads(e, 2, NULL), 2);
	for (int i = 0; i < 2; i++)
		T_EQ_HEX(proc_status_hex(e[i].tid, "SigBlk:") & SIG_STD_ALL,
			 SIG_STD_ALL);
	/* its own fault: its handler, with its siginfo */
	if (!sigsetjmp(sig_env, 1)) {
		sig_jump = 1;
		*sig_bad_ptr = 1;
	}
	T_EQ(read(recs[0], &r, sizeof(r)), sizeof(r));
	T_EQ(r.sig, SIGSEGV);
	T_EQ(r.code, SEGV_MAPERR);
	T_ASSERT(r.addr == (void *)sig_bad_ptr);
	T_ASSERT(!r.self && r.usr1);
	wd_release_queue(&qp);
	wd_release_queue(&q);
	close(recs[0]);
	close(recs[1]);
#endif
}

/*
 * Where a seccomp filter refuses process_vm_readv/writev (EPERM), the
 * default SVA device, which reaches request data with them, is refused at
 * creation with that error instead of failing every request with -EFAULT;
 * the other modes, and the SVA device that copies itself
 * (WD_LOCAL_SVA_COPY=signal), still work, bad addresses included.
 */
TEST(seccomp_kernel_copy)
{
	native_only();
#ifdef T_NATIVE
#if defined(__x86_64__)
	const unsigned int arch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
	const unsigned int arch = AUDIT_ARCH_AARCH64;
#else
	const unsigned int arch = 0;

	t_skip("no seccomp filter written for this architecture");
#endif
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_writev, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	struct wd_queue q, qp;
	int r;

	unsetenv("WD_LOCAL_SVA_COPY");
	unsetenv("WD_LOCAL_ENGINES");
	/* the filter stays with this test's process, which ends with it */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		t_skip("cannot install a seccomp filter: %s", t_errname(errno));
	r = q_try(&q, "copy", "local:sva");
	T_ASSERT_MSG(r == -EPERM, "local:sva under the filter: %s, expected "
		     "EPERM", r ? t_errname(-r) : "created");
	q_open_on(&qp, "copy", "local:pasid");
	local_copy_works(&qp);
	setenv("WD_LOCAL_SVA_COPY", "signal", 1);
	q_open_on(&q, "copy", "local:sva");
	local_copy_works(&q);
	sig_bad_addrs(&q);
	wd_release_queue(&q);
	wd_release_queue(&qp);
#endif
}

/*
 * WD_LOCAL_SVA_COPY, read when the SVA device is created: unset, empty
 * and "kernel" leave every signal action alone; "signal" installs the
 * SIGSEGV/SIGBUS handler; anything else fails the SVA request with
 * -EINVAL and creates nothing (the other modes never read it). Bad
 * addresses fail with -EFAULT under every valid value.
 */
TEST(local_sva_copy_env)
{
	native_only();
#ifdef T_NATIVE
	static const char *const bad[] = {
		"x", "Signal", "KERNEL", "signal ", " kernel", "1", "0",
		"signals", "kernel\n",
	};
	static const char *const good[] = { NULL, "", "kernel", "signal" };
	struct wd_queue q, qp;
	int engines;

	unsetenv("WD_LOCAL_ENGINES");
	setenv("WD_LOCAL_SVA_COPY", "x", 1);
	q_open_on(&qp, "copy", "local:pasid");
	local_copy_works(&qp);
	engines = nr_engines();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r;

		setenv("WD_LOCAL_SVA_COPY", bad[i], 1);
		r = q_try(&q, "copy", "local:sva");
		T_ASSERT_MSG(r == -EINVAL,
			     "WD_LOCAL_SVA_COPY=\"%s\": %s, expected EINVAL",
			     bad[i], t_errname(-r));
		T_ASSERT(!q.priv);
		T_EQ(nr_engines(), engines);
	}
	wd_release_queue(&qp);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		pid_t pid = t_fork();
		char what[48];

		if (!pid) {
			struct sigaction before[NSIG];
			unsigned long long changed;

			if (good[i])
				setenv("WD_LOCAL_SVA_COPY", good[i], 1);
			else
				unsetenv("WD_LOCAL_SVA_COPY");
			sig_snapshot(before);
			q_open_on(&q, "copy", "local:sva");
			local_copy_works(&q);
			sig_bad_addrs(&q);
			changed = sig_changed(before);
			T_ASSERT_MSG(changed == (i == 3 ? SIGBIT(SIGSEGV) |
						 SIGBIT(SIGBUS) : 0),
				     "\"%s\": the actions that changed: %#llx (SIGBIT)",
				     good[i] ? good[i] : "(unset)", changed);
			wd_release_queue(&q);
			_exit(0);
		}
		snprintf(what, sizeof(what), "WD_LOCAL_SVA_COPY=%s: child",
			 good[i] ? good[i] : "(unset)");
		wait_exit0(pid, 30000, what);
	}
#endif
}

/* ---- fork() while another thread is inside libwd ---- */

/*
 * wd.h promises that a fork child may request queues of its own. So fork()
 * at a moment when another thread is inside the in-process device's
 * critical sections (creating the device; starting an SVA queue) must
 * leave the child every lock it needs. The moment is made, not hoped for:
 * the native test programs (only) are linked with --wrap=sigaction and
 * --wrap=wd_soft_core_queue_reset (tests/lib/Makefile), so a thread that
 * armed itself stops in the first sigaction() the device makes, which it
 * makes under its lock, and parks again at the queue reset that follows
 * the lock in queue start. A watcher lets it go on once the forking thread
 * sleeps in fork() (waiting in a prepare handler for that lock); without
 * such a handler fork() does not wait, and the child inherits the lock
 * held. The devices copy with the signal guard (WD_LOCAL_SVA_COPY=signal):
 * only that mode calls sigaction(), and only it takes the lock at a
 * queue's start; device creation holds the same lock in either mode.
 */
#ifdef T_NATIVE
int __real_sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old);
void __real_wd_soft_core_queue_reset(void *q);

static __thread bool fk_stop, fk_park;
static sem_t fk_inside, fk_go, fk_forked_t, fk_forked_w;
static atomic_bool fk_done, fk_released;

static void fk_sem_wait(sem_t *s, const char *what)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += T_HANG_MS / 1000;
	while (sem_timedwait(s, &ts))
		if (errno != EINTR)
			T_FAIL("waiting for %s: %s", what, t_errname(errno));
}

int __wrap_sigaction(int sig, const struct sigaction *act,
		     struct sigaction *old)
{
	if (fk_stop) {
		fk_stop = false;
		sem_post(&fk_inside);
		fk_sem_wait(&fk_go, "the fork");
	}
	return __real_sigaction(sig, act, old);
}

void __wrap_wd_soft_core_queue_reset(void *q)
{
	if (fk_park) {
		/* out of the lock: wait here, away from malloc (ASan's
		 * allocator is not fork-safe), until the fork is done */
		fk_park = false;
		fk_sem_wait(&fk_forked_t, "the fork to end");
	}
	__real_wd_soft_core_queue_reset(q);
}

static void *fk_requester(void *arg)
{
	struct wd_queue q;

	(void)arg;
	fk_stop = true;
	fk_park = true;
	q_open_on(&q, "copy", "local:sva");
	local_copy_works(&q);
	wd_release_queue(&q);
	return NULL;
}

/* release the requester once @arg (the forking thread) sleeps in fork() */
static void *fk_watcher(void *arg)
{
	pid_t tid = *(pid_t *)arg;

	while (!atomic_load(&fk_done)) {
		if (t_task_asleep_in(tid, SYS_futex, SYS_futex)) {
			atomic_store(&fk_released, true);
			sem_post(&fk_go);
			break;
		}
		t_msleep(1);
	}
	fk_sem_wait(&fk_forked_w, "the fork to end");
	return NULL;
}

static void fork_inside(bool creating)
{
	pid_t me = t_gettid(), pid;
	pthread_t t, w;
	struct wd_queue q0;

	unsetenv("WD_LOCAL_ENGINES");
	setenv("WD_LOCAL_SVA_COPY", "signal", 1);
	T_OK(sem_init(&fk_inside, 0, 0));
	T_OK(sem_init(&fk_go, 0, 0));
	T_OK(sem_init(&fk_forked_t, 0, 0));
	T_OK(sem_init(&fk_forked_w, 0, 0));
	if (!creating) {
		/* the device exists: the requester only starts a queue */
		q_open_on(&q0, "copy", "local:sva");
		local_copy_works(&q0);
		engines_asleep();
	}
	T_EQ(pthread_create(&t, NULL, fk_requester, NULL), 0);
	fk_sem_wait(&fk_inside, "the requester inside the device");
	T_EQ(pthread_create(&w, NULL, fk_watcher, &me), 0);
	pid = t_fork();
	if (!pid) {
		struct wd_queue c;

		/* devices of the child's own, in any mode */
		q_open_on(&c, "copy", "local:sva");
		local_copy_works(&c);
		wd_release_queue(&c);
		q_open_on(&c, "copy", "local:pasid");
		local_copy_works(&c);
		wd_release_queue(&c);
		_exit(0);
	}
	atomic_store(&fk_done, true);
	sem_post(&fk_go);
	sem_post(&fk_forked_t);
	sem_post(&fk_forked_w);
	/* a child that inherited the lock held hangs in wd_request_queue() */
	wait_exit0(pid, T_HANG_MS, creating ?
		   "the child of a fork() during the device's creation" :
		   "the child of a fork() during a queue's start");
	/* the condition was made: fork() waited for the lock */
	T_ASSERT_MSG(atomic_load(&fk_released),
		     "fork() did not wait for the thread inside the device");
	pthread_join(w, NULL);
	pthread_join(t, NULL);
	if (!creating)
		wd_release_queue(&q0);
}
#endif

/* fork() while another thread creates the in-process device */
TEST(fork_while_creating)
{
	native_only();
#ifdef __SANITIZE_ADDRESS__
	/* the new engine threads start up (malloc) while fork() copies */
	t_skip("ASan's allocator is not fork-safe: needs the glibc allocator");
#endif
#ifdef T_NATIVE
	fork_inside(true);
#endif
}

/* fork() while another thread starts a queue on the existing device */
TEST(fork_while_starting)
{
	native_only();
#ifdef T_NATIVE
	fork_inside(false);
#endif
}

/* ---- setuid programs ---- */

#ifdef T_NATIVE
/*
 * Run @path with WD_DEV_PATH, WD_LOCAL_ENGINES and WD_LOCAL_SVA_COPY set
 * to values libwd refuses, as uid/gid 65534 when @drop: its output into
 * @out.
 */
static void suid_run(const char *path, bool drop, char *out, size_t len)
{
	char *const argv[] = { (char *)path, NULL };
	char *const envp[] = { "WD_DEV_PATH=/dev/ua-bad", "WD_LOCAL_ENGINES=x",
			       "WD_LOCAL_SVA_COPY=x", "PATH=/usr/bin:/bin",
			       NULL };
	int p[2];
	size_t n = 0;
	ssize_t r;
	pid_t pid;

	T_OK(pipe(p));
	pid = t_fork();
	if (!pid) {
		close(p[0]);
		if (dup2(p[1], 1) < 0)
			_exit(126);
		if (drop && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(126);
		execve(path, argv, envp);
		_exit(127);
	}
	close(p[1]);
	while (n < len - 1 && (r = read(p[0], out + n, len - 1 - n)) > 0)
		n += r;
	out[n] = 0;
	close(p[0]);
	wait_exit0(pid, 30000, path);
}

/* the value after @key in the helper's output */
static long suid_val(const char *out, const char *key)
{
	const char *p = strstr(out, key);

	T_ASSERT_MSG(p, "no \"%s\" in the helper's output: %s", key, out);
	return strtol(p + strlen(key), NULL, 10);
}
#endif

/*
 * A setuid program does not take libwd's environment variables from its
 * caller (secure_getenv()): a setuid-root copy of t_libwd_setuid, run by
 * an unprivileged user with WD_DEV_PATH, WD_LOCAL_ENGINES and
 * WD_LOCAL_SVA_COPY set to bad values, uses the defaults; the same program
 * without the setuid bit is refused them (-EINVAL), which shows the values
 * are honoured otherwise (WD_LOCAL_SVA_COPY's: local_sva_copy_env).
 */
TEST(setuid_env)
{
	native_only();
#ifdef T_NATIVE
	char exe[PATH_MAX], helper[PATH_MAX + 32], dir[] = "/tmp/t_libwd_suid.XXXXXX";
	char copy[sizeof(dir) + 32], out[1024], *slash;
	struct statvfs sv;
	ssize_t n;
	int in, fd;

	if (geteuid() != 0)
		t_skip("needs root to make a setuid-root copy of its helper");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	T_ASSERT(n > 0);
	exe[n] = 0;
	slash = strrchr(exe, '/');
	T_ASSERT(slash);
	*slash = 0;
	snprintf(helper, sizeof(helper), "%s/../libexec/t_libwd_setuid", exe);
	T_ASSERT_MSG(!access(helper, X_OK), "no helper %s", helper);
	T_ASSERT(mkdtemp(dir));
	T_OK(chmod(dir, 0711));
	T_OK(statvfs(dir, &sv));
	snprintf(copy, sizeof(copy), "%s/helper", dir);
	in = T_OK(open(helper, O_RDONLY | O_CLOEXEC));
	fd = T_OK(open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700));
	while ((n = read(in, out, sizeof(out))) > 0)
		T_EQ(write(fd, out, n), n);
	close(in);
	close(fd);

	/* not setuid: the bad values are refused */
	suid_run(copy, false, out, sizeof(out));
	T_EQ(suid_val(out, "at_secure "), 0);
	T_EQ(suid_val(out, "local_engines "), -EINVAL);
	T_EQ(suid_val(out, "request_default "), -EINVAL);
	T_EQ(suid_val(out, "request_local "), -EINVAL);

	/* setuid root, run by nobody: they are not even read */
	T_OK(chown(copy, 0, 0));
	T_OK(chmod(copy, 04755));
	suid_run(copy, true, out, sizeof(out));
	unlink(copy);
	rmdir(dir);
	if (sv.f_flag & ST_NOSUID || !suid_val(out, "at_secure "))
		t_skip("%s: no setuid execution here (nosuid mount?)", dir);
	T_ASSERT_MSG(suid_val(out, "euid ") == 0 && suid_val(out, "uid ") == 65534,
		     "the helper did not run setuid: %s", out);
	T_ASSERT_MSG(suid_val(out, "local_engines ") == 1,
		     "setuid: wd_local_engines() read WD_LOCAL_ENGINES=x: %s", out);
	T_ASSERT_MSG(suid_val(out, "request_default ") != -EINVAL,
		     "setuid: wd_request_queue() read WD_DEV_PATH=/dev/ua-bad: %s", out);
	T_ASSERT_MSG(suid_val(out, "request_local ") == 0,
		     "setuid: \"local\" refused (WD_LOCAL_ENGINES=x or "
		     "WD_LOCAL_SVA_COPY=x read?): %s", out);
	T_EQ(suid_val(out, " engines "), 1);
#endif
}
