// SPDX-License-Identifier: GPL-2.0
/*
 * t.c: the runner and the host-neutral helpers of the test harness (t.h):
 * processes, files, tasks. t-sys.c has the devices, t-queue.c the queues.
 */
#include "t.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define T_MAX_TESTS 256

struct t_test {
	const char *name;
	t_fn fn;
	int timeout_s;
};

static struct t_test t_tests[T_MAX_TESTS];
static int t_nr_tests;
const char *t_prog = "t";
static const char *t_cur = "?";
static int t_report_fd = -1;
size_t t_page = 4096;
void (*t_after_test)(void);

void t_register(const char *name, t_fn fn, int timeout_s)
{
	if (t_nr_tests == T_MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	t_tests[t_nr_tests++] = (struct t_test){ name, fn, timeout_s };
}

const char *t_errname(int err)
{
	const char *n = err ? strerrorname_np(err) : "0 (no error)";

	return n ? n : "?";
}

static void t_report(const char *prefix, const char *fmt, va_list ap)
{
	char buf[1024];
	int n = 0;

	if (prefix)
		n = snprintf(buf, sizeof(buf), "%s", prefix);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n >= (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	if (t_report_fd >= 0) {
		if (write(t_report_fd, buf, n) < 0)
			_exit(3);
	} else {
		fprintf(stderr, "%.*s", n, buf);
	}
}

void t_fail_at(const char *file, int line, const char *fmt, ...)
{
	char f[512];
	va_list ap;
	const char *b = strrchr(file, '/');

	snprintf(f, sizeof(f), "%s (%s:%d)", fmt, b ? b + 1 : file, line);
	va_start(ap, fmt);
	t_report("F", f, ap);
	va_end(ap);
	_exit(1);
}

void t_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	t_report("S", fmt, ap);
	va_end(ap);
	_exit(77);
}

void t_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stdout, "# %s.%s: ", t_prog, t_cur);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	va_end(ap);
}

uint64_t t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

void t_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

pid_t t_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/* the system call @tid is in ("running" when on a CPU): nr, or -1 */
static long t_task_syscall(pid_t tid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	if (t_read_file(path, buf, sizeof(buf) - 1) <= 0 ||
	    buf[0] < '0' || buf[0] > '9')
		return -1;
	return strtol(buf, NULL, 10);
}

char t_task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	n = t_read_file(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * The system call before and after the state, so that a thread that left
 * it between the reads is not taken for one still in it.
 */
bool t_task_asleep_in(pid_t tid, long nr1, long nr2)
{
	long nr = t_task_syscall(tid);

	return (nr == nr1 || nr == nr2) && t_task_state(tid) == 'S' &&
	       t_task_syscall(tid) == nr;
}

void t_wait_asleep_in(pid_t tid, long nr1, long nr2, const char *what)
{
	T_WAIT_UNTIL(t_task_asleep_in(tid, nr1, nr2),
		     "%s: thread %d not asleep in system call %ld/%ld after %d s",
		     what, (int)tid, nr1, nr2, T_HANG_MS / 1000);
}

void t_fill_random(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	unsigned char *p = buf;

	while (len) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		size_t n = len < 8 ? len : 8;

		memcpy(p, &x, n);
		p += n;
		len -= n;
	}
}

void t_dirty_free_memory(size_t mb)
{
	size_t len = mb << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		T_FAIL("mmap %zu MiB: %s", mb, t_errname(errno));
	memset(p, 0xa7, len);
	munmap(p, len);
}

/* ---- processes ---- */

pid_t t_fork(void)
{
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();

	if (pid < 0)
		T_FAIL("fork: %s", t_errname(errno));
	return pid;
}

int t_wait_bounded(pid_t pid, int timeout_ms)
{
	uint64_t end = t_now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		if (r < 0)
			T_FAIL("waitpid(%d): %s", pid, t_errname(errno));
		if (t_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -1;
		}
		t_msleep(5);
	}
}

int t_wait(pid_t pid, int timeout_ms)
{
	int st = t_wait_bounded(pid, timeout_ms);

	if (st == -1)
		T_FAIL("child %d did not finish within %d ms", pid, timeout_ms);
	return st;
}

static void t_describe_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by %s", sigabbrev_np(WTERMSIG(st)) ?
			 sigabbrev_np(WTERMSIG(st)) : "?");
	else
		snprintf(buf, len, "status %#x", st);
}

void t_wait_ok(pid_t pid, int timeout_ms)
{
	int st = t_wait(pid, timeout_ms);
	char d[64];

	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return;
	t_describe_status(st, d, sizeof(d));
	T_FAIL("child process failed: %s", d);
}

void t_wait_sig(pid_t pid, int sig, int timeout_ms)
{
	int st = t_wait(pid, timeout_ms);
	char d[64];

	if (WIFSIGNALED(st) && WTERMSIG(st) == sig)
		return;
	t_describe_status(st, d, sizeof(d));
	T_FAIL("child process: %s, expected death by SIG%s", d,
	       sigabbrev_np(sig));
}

static sigjmp_buf t_touch_jb;
static volatile sig_atomic_t t_touch_sig;

static void t_touch_handler(int sig)
{
	t_touch_sig = sig;
	siglongjmp(t_touch_jb, 1);
}

int t_touch(volatile void *addr, bool write)
{
	struct sigaction sa = { .sa_handler = t_touch_handler }, o1, o2;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &o1);
	sigaction(SIGBUS, &sa, &o2);
	t_touch_sig = 0;
	if (!sigsetjmp(t_touch_jb, 1)) {
		volatile unsigned char *p = addr;
		unsigned char v = *p;

		if (write)
			*p = v;
	}
	sigaction(SIGSEGV, &o1, NULL);
	sigaction(SIGBUS, &o2, NULL);
	return t_touch_sig;
}

void t_drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		T_FAIL("capget: %s", t_errname(errno));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	d[cap / 32].inheritable &= ~(1u << (cap % 32));
	if (syscall(SYS_capset, &h, d))
		T_FAIL("capset: %s", t_errname(errno));
}

void t_send_fd(int sock, int fd)
{
	char c = 'f';
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };

	memset(&u, 0, sizeof(u));
	u.h.cmsg_level = SOL_SOCKET;
	u.h.cmsg_type = SCM_RIGHTS;
	u.h.cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(&u.h), &fd, sizeof(int));
	if (sendmsg(sock, &mh, 0) != 1)
		T_FAIL("sendmsg SCM_RIGHTS: %s", t_errname(errno));
}

int t_recv_fd(int sock)
{
	char c;
	int fd;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *h;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		T_FAIL("recvmsg SCM_RIGHTS: %s", t_errname(errno));
	h = CMSG_FIRSTHDR(&mh);
	if (!h || h->cmsg_type != SCM_RIGHTS)
		T_FAIL("recvmsg: no fd received");
	memcpy(&fd, CMSG_DATA(h), sizeof(int));
	return fd;
}

/* ---- sysfs ---- */

int t_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, tot = 0;

	if (fd < 0)
		return -errno;
	while (tot < (ssize_t)len - 1 &&
	       (n = read(fd, buf + tot, len - 1 - tot)) > 0)
		tot += n;
	if (n < 0 && tot == 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	buf[tot] = 0;
	return tot;
}

int t_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	e = errno;
	close(fd);
	if (n < 0)
		return -e;
	if ((size_t)n != strlen(s))
		return -EMSGSIZE;
	return 0;
}

bool t_exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* ---- tasks and modules ---- */

int t_tasks_named(const char *comm, int *pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (pid)
		*pid = 0;
	if (!d)
		T_FAIL("opendir /proc: %s", t_errname(errno));
	while ((e = readdir(d))) {
		char p[300], buf[64];
		int len, id = atoi(e->d_name);

		snprintf(p, sizeof(p), "/proc/%s/comm", e->d_name);
		if (id <= 0 || (len = t_read_file(p, buf, sizeof(buf) - 1)) <= 0)
			continue;
		buf[len] = 0;
		buf[strcspn(buf, "\n")] = 0;
		if (strcmp(buf, comm))
			continue;
		if (pid && !n)
			*pid = id;
		n++;
	}
	closedir(d);
	return n;
}

bool t_mod_loaded(const char *name)
{
	char p[64];

	snprintf(p, sizeof(p), "/sys/module/%s", name);
	return t_exists(p);
}

int t_insmod(const char *name, const char *params)
{
	char p[128];
	int fd, r;

	snprintf(p, sizeof(p), T_KO_DIR "/%s.ko", name);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return r;
}

int t_count_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* ---- runner ---- */

enum { T_PASS, T_FAILED, T_SKIPPED };

static int t_run_one(struct t_test *t)
{
	int pfd[2], st = 0, res;
	char msg[4096];
	size_t mlen = 0;
	bool done = false, timed_out = false;
	uint64_t end;
	pid_t pid;

	t_cur = t->name;
	if (pipe2(pfd, O_CLOEXEC))
		return T_FAILED;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("FAIL: %s.%s: fork: %s\n", t_prog, t->name,
		       t_errname(errno));
		return T_FAILED;
	}
	if (pid == 0) {
		setpgid(0, 0);
		close(pfd[0]);
		t_report_fd = pfd[1];
		t->fn();
		_exit(0);
	}
	setpgid(pid, pid);
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	end = t_now_ms() + t->timeout_s * 1000ull;
	while (!done) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		ssize_t n;

		poll(&p, 1, 20);
		while ((n = read(pfd[0], msg + mlen,
				 sizeof(msg) - 1 - mlen)) > 0)
			mlen += n;
		if (waitpid(pid, &st, WNOHANG) == pid)
			done = true;
		else if (t_now_ms() > end) {
			timed_out = true;
			kill(-pid, SIGKILL);
			waitpid(pid, &st, 0);
			done = true;
		}
	}
	/* end whatever the test left behind, then collect late reports */
	kill(-pid, SIGKILL);
	t_msleep(1);
	for (int i = 0; i < 100; i++) {
		ssize_t n = read(pfd[0], msg + mlen, sizeof(msg) - 1 - mlen);

		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		if (n > 0)
			mlen += n;
		else
			t_msleep(5);
	}
	close(pfd[0]);
	msg[mlen] = 0;

	/* first message line of each kind */
	char fail[1024] = "", skip[1024] = "";

	for (char *line = strtok(msg, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == 'F' && !fail[0])
			snprintf(fail, sizeof(fail), "%s", line + 1);
		else if (line[0] == 'F')
			snprintf(fail + strlen(fail),
				 sizeof(fail) - strlen(fail), "; %s", line + 1);
		else if (line[0] == 'S' && !skip[0])
			snprintf(skip, sizeof(skip), "%s", line + 1);
	}
	if (timed_out) {
		printf("FAIL: %s.%s: timed out after %d s%s%s\n", t_prog,
		       t->name, t->timeout_s, fail[0] ? "; " : "", fail);
		res = T_FAILED;
	} else if (fail[0]) {
		printf("FAIL: %s.%s: %s\n", t_prog, t->name, fail);
		res = T_FAILED;
	} else if (WIFSIGNALED(st)) {
		printf("FAIL: %s.%s: killed by SIG%s\n", t_prog, t->name,
		       sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st))
						  : "?");
		res = T_FAILED;
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
		printf("SKIP: %s.%s: %s\n", t_prog, t->name,
		       skip[0] ? skip : "skipped");
		res = T_SKIPPED;
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
		printf("PASS: %s.%s\n", t_prog, t->name);
		res = T_PASS;
	} else {
		printf("FAIL: %s.%s: exit status %d\n", t_prog, t->name,
		       WEXITSTATUS(st));
		res = T_FAILED;
	}
	fflush(stdout);
	t_sys_cleanup();
	if (t_after_test)
		t_after_test();
	return res;
}

int main(int argc, char **argv)
{
	int counts[3] = { 0 };
	bool list = false;
	int first = 1;
	const char *b = strrchr(argv[0], '/');

	t_prog = b ? b + 1 : argv[0];
	t_page = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && !strcmp(argv[1], "-l")) {
		list = true;
		first = 2;
	}
	if (!list) {
		t_sys_init();
		t_sys_cleanup();
	}
	for (int i = 0; i < t_nr_tests; i++) {
		bool sel = first >= argc;

		for (int a = first; a < argc; a++)
			if (!strcmp(argv[a], t_tests[i].name))
				sel = true;
		if (!sel)
			continue;
		if (list) {
			printf("%s\n", t_tests[i].name);
			continue;
		}
		counts[t_run_one(&t_tests[i])]++;
	}
	if (!list)
		printf("# %s: %d passed, %d failed, %d skipped\n", t_prog,
		       counts[T_PASS], counts[T_FAILED], counts[T_SKIPPED]);
	return counts[T_FAILED] ? 1 : 0;
}

/* ---- userfaultfd ---- */

int t_uffd_region(void **out, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	void *p;

	if (uffd < 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_API, &api))
		return -errno;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	reg.range.start = (uintptr_t)p;
	reg.range.len = len;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	*out = p;
	return uffd;
}

int t_uffd_wait_fault(int uffd, int timeout_ms, uint64_t *addr)
{
	struct pollfd p = { .fd = uffd, .events = POLLIN };
	struct uffd_msg m;

	for (;;) {
		int n = poll(&p, 1, timeout_ms);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		if (read(uffd, &m, sizeof(m)) != sizeof(m)) {
			if (errno == EAGAIN)
				continue;
			T_FAIL("read uffd: %s", t_errname(errno));
		}
		if (m.event == UFFD_EVENT_PAGEFAULT) {
			*addr = m.arg.pagefault.address;
			return 1;
		}
	}
}
