// SPDX-License-Identifier: GPL-2.0
/* t.c: runner and helpers of the in-VM test suite; see t.h */
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
static const char *t_prog = "t";
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

int t_wait(pid_t pid, int timeout_ms)
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
			T_FAIL("child %d did not finish within %d ms", pid,
			       timeout_ms);
		}
		t_msleep(5);
	}
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

static void t_attr_path(int ua, const char *attr, char *p, size_t len)
{
	snprintf(p, len, "/sys/class/uacce/ua%d/%s", ua, attr);
}

int t_attr_str(int ua, const char *attr, char *buf, size_t len)
{
	char p[256];
	int n;

	t_attr_path(ua, attr, p, sizeof(p));
	n = t_read_file(p, buf, len);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = 0;
	return n;
}

long long t_attr_ll(int ua, const char *attr)
{
	char buf[128], *end;
	long long v;
	int n = t_attr_str(ua, attr, buf, sizeof(buf));

	if (n < 0)
		T_FAIL("reading ua%d/%s: %s", ua, attr, t_errname(-n));
	errno = 0;
	v = strtoll(buf, &end, 0);
	if (errno || end == buf || *end)
		T_FAIL("ua%d/%s is \"%s\", not a number", ua, attr, buf);
	return v;
}

bool t_attr_exists(int ua, const char *attr)
{
	char p[256];

	t_attr_path(ua, attr, p, sizeof(p));
	return t_exists(p);
}

int t_attr_write(int ua, const char *attr, const char *s)
{
	char p[256];

	t_attr_path(ua, attr, p, sizeof(p));
	return t_write_file(p, s);
}

/* ---- instances ---- */

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

bool t_wd_soft_loaded(void)
{
	return t_exists(T_BUS "/new_device");
}

int t_inst_new_raw(const char *s)
{
	return t_write_file(T_BUS "/new_device", s);
}

int t_inst_del_raw(const char *s)
{
	return t_write_file(T_BUS "/del_device", s);
}

bool t_inst_exists(int id)
{
	char p[128];

	snprintf(p, sizeof(p), T_BUS "/devices/wd_soft%d", id);
	return t_exists(p);
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

int t_inst_ua(int id)
{
	char p[128];
	DIR *d;
	struct dirent *e;
	int ua = -1;

	snprintf(p, sizeof(p), T_BUS "/devices/wd_soft%d/uacce", id);
	d = opendir(p);
	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "ua%d", &ua) == 1)
			break;
	closedir(d);
	return ua;
}

void t_hold(int id, bool on)
{
	char p[96];
	int r;

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/hold", id);
	/* EAGAIN: an engine still finishes its batch (held already): again */
	for (uint64_t end = t_now_ms() + T_HANG_MS;;) {
		r = t_write_file(p, on ? "1" : "0");
		if (r != -EAGAIN || t_now_ms() >= end)
			break;
	}
	if (r)
		T_FAIL("%s: %s (the engines' hold, issue 9)", p, t_errname(-r));
}

/*
 * Instance IDs. The runner takes T_NR_IDS consecutive IDs when it starts:
 * the first range (from T_ID_FIRST, clear of the devices the module makes
 * at load) that no live program holds and with no instance, recorded in
 * T_ID_REGISTRY ("base pid" lines) under flock(). So programs run at once
 * (the stress suite) never share one, and none is assigned by hand.
 */
#ifdef T_NATIVE
#define T_NATIVE_BUILD	1
#else
#define T_NATIVE_BUILD	0
#endif
#define T_ID_REGISTRY	"/tmp/wd-test-ids"
#define T_ID_FIRST	100
#define T_ID_MAX	1023	/* wd_soft's largest */
static int t_ids = -1;

int t_id_base(void)
{
	if (t_ids < 0)
		T_FAIL("no wd_soft IDs: the runner took none");
	return t_ids;
}

struct t_ids_entry {
	int base;
	int pid;
};

static bool t_ids_free(int base, const struct t_ids_entry *held, int n)
{
	for (int i = 0; i < n; i++)
		if (held[i].base == base)
			return false;
	for (int id = base; id < base + T_NR_IDS; id++)
		if (t_inst_exists(id))
			return false;
	return true;
}

static void t_ids_take(void)
{
	struct t_ids_entry held[T_ID_MAX / T_NR_IDS + 1];
	int n = 0, base, pid, fd;
	char buf[8192], *p, *end;
	ssize_t len;
	FILE *f;

	fd = open(T_ID_REGISTRY, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX))
		T_FAIL("%s: %s", T_ID_REGISTRY, t_errname(errno));
	len = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[len > 0 ? len : 0] = 0;
	/* keep the ranges of live programs; a dead program's is free again */
	for (p = buf; n < T_ID_MAX / T_NR_IDS; p = end) {
		base = (int)strtol(p, &end, 10);
		if (end == p)
			break;
		pid = (int)strtol(end, &end, 10);
		if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
			held[n++] = (struct t_ids_entry){ base, pid };
	}
	for (base = T_ID_FIRST; base + T_NR_IDS - 1 <= T_ID_MAX; base += T_NR_IDS)
		if (t_ids_free(base, held, n))
			break;
	if (base + T_NR_IDS - 1 > T_ID_MAX)
		T_FAIL("no free range of %d wd_soft IDs", T_NR_IDS);
	held[n++] = (struct t_ids_entry){ base, (int)getpid() };
	f = fdopen(fd, "w");
	if (!f || ftruncate(fd, 0))
		T_FAIL("%s: %s", T_ID_REGISTRY, t_errname(errno));
	for (int i = 0; i < n; i++)
		fprintf(f, "%d %d\n", held[i].base, held[i].pid);
	fclose(f);	/* and the lock */
	t_ids = base;
}

int t_free_id(void)
{
	int b = t_id_base();

	for (int id = b; id < b + T_NR_IDS; id++)
		if (!t_inst_exists(id))
			return id;
	T_FAIL("no free wd_soft ID in %d..%d", b, b + T_NR_IDS - 1);
}

char *t_dev_path(int ua, char *buf)
{
	sprintf(buf, "/dev/ua%d", ua);
	return buf;
}

struct t_inst t_inst_create(const char *opts)
{
	struct t_inst in = { .id = t_free_id(), .ua = -1 };
	char s[256], dev[32];
	int r;

	if (!t_wd_soft_loaded())
		T_FAIL("wd_soft is not loaded (no %s/new_device)", T_BUS);
	snprintf(s, sizeof(s), "%d%s%s", in.id, *opts ? " " : "", opts);
	r = t_inst_new_raw(s);
	if (r)
		T_FAIL("new_device \"%s\": %s", s, t_errname(-r));
	for (uint64_t end = t_now_ms() + T_HANG_MS; t_now_ms() < end;) {
		in.ua = t_inst_ua(in.id);
		if (in.ua >= 0 && t_exists(t_dev_path(in.ua, dev)))
			return in;
		t_msleep(10);
	}
	if (in.ua < 0)
		T_FAIL("new_device \"%s\": no %s/devices/wd_soft%d/uacce/uaN",
		       s, T_BUS, in.id);
	T_FAIL("new_device \"%s\": /dev/ua%d did not appear", s, in.ua);
}

void t_inst_delete(struct t_inst *in)
{
	char s[32];
	int r;

	snprintf(s, sizeof(s), "%d", in->id);
	r = t_inst_del_raw(s);
	if (r)
		T_FAIL("del_device \"%s\": %s", s, t_errname(-r));
	if (t_inst_exists(in->id))
		T_FAIL("wd_soft%d still exists after del_device", in->id);
}

/* ---- regions and queues ---- */

void *t_mmap_region(int fd, int qfrt, size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)qfrt * t_page);
}

size_t t_region_size(int ua, int qfrt)
{
	static const char *const names[] = {
		"region_mmio_size", "region_dko_size", "region_dus_size" };

	if (qfrt > UACCE_QFRT_DUS)
		T_FAIL("no fixed size for region %d", qfrt);
	return t_attr_ll(ua, names[qfrt]);
}

long long t_ss_max(int ua)
{
	if (!t_attr_exists(ua, "region_ss_max_size"))
		return -1;
	return t_attr_ll(ua, "region_ss_max_size");
}

int t_open_raw(int ua)
{
	char p[32];
	int fd = open(t_dev_path(ua, p), O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void t_q_open(struct t_q *q, int ua)
{
	memset(q, 0, sizeof(*q));
	q->ua = ua;
	q->fd = t_open_raw(ua);
	if (q->fd < 0)
		T_FAIL("open /dev/ua%d: %s", ua, t_errname(-q->fd));
	q->flags = t_attr_ll(ua, "flags");
}

void t_q_map(struct t_q *q)
{
	q->mmio_size = t_region_size(q->ua, UACCE_QFRT_MMIO);
	q->dus_size = t_region_size(q->ua, UACCE_QFRT_DUS);
	T_EQ(q->mmio_size, WD_SOFT_MMIO_SIZE);
	T_ASSERT(q->dus_size >= WD_SOFT_DUS_SIZE);
	q->mmio_map = t_mmap_region(q->fd, UACCE_QFRT_MMIO, q->mmio_size,
				    PROT_READ | PROT_WRITE);
	if (q->mmio_map == MAP_FAILED)
		T_FAIL("mmap MMIO: %s", t_errname(errno));
	q->dus_map = t_mmap_region(q->fd, UACCE_QFRT_DUS, q->dus_size,
				   PROT_READ | PROT_WRITE);
	if (q->dus_map == MAP_FAILED)
		T_FAIL("mmap DUS: %s", t_errname(errno));
	q->mmio = q->mmio_map;
	q->hdr = q->dus_map;
	T_EQ_HEX(q->hdr->magic, WD_SOFT_MAGIC);
	T_EQ(q->hdr->depth, WD_SOFT_DEPTH);
	T_EQ(q->hdr->sqe_size, sizeof(struct wd_soft_sqe));
	T_EQ(q->hdr->cqe_size, sizeof(struct wd_soft_cqe));
	T_EQ(q->hdr->sq_off, WD_SOFT_SQ_OFF);
	T_EQ(q->hdr->cq_off, WD_SOFT_CQ_OFF);
	q->depth = q->hdr->depth;
	q->sq = (struct wd_soft_sqe *)((char *)q->dus_map + q->hdr->sq_off);
	q->cq = (volatile struct wd_soft_cqe *)((char *)q->dus_map +
						 q->hdr->cq_off);
	q->sq_tail = q->hdr->sq_head;
	q->cq_head = q->hdr->cq_tail;
}

void *t_q_map_ss(struct t_q *q, size_t size)
{
	void *p = t_mmap_region(q->fd, UACCE_QFRT_SS, size,
				PROT_READ | PROT_WRITE);

	if (p == MAP_FAILED)
		T_FAIL("mmap SS of %zu bytes: %s", size, t_errname(errno));
	q->ss = p;
	q->ss_size = size;
	q->ss_used = 0;
	if (q->flags & UACCE_DEV_NOIOMMU) {
		__u64 dma = 0;

		T_OK(ioctl(q->fd, UACCE_CMD_GET_SS_DMA, &dma));
		T_ASSERT(dma != 0);
		q->ss_dma = dma;
	}
	return p;
}

void t_q_start(struct t_q *q)
{
	T_OK(ioctl(q->fd, UACCE_CMD_START_Q));
}

void t_q_setup(struct t_q *q, int ua)
{
	t_q_open(q, ua);
	t_q_map(q);
	t_q_start(q);
}

void t_q_unmap(struct t_q *q)
{
	if (q->mmio_map && q->mmio_map != MAP_FAILED)
		munmap(q->mmio_map, q->mmio_size);
	if (q->dus_map && q->dus_map != MAP_FAILED)
		munmap(q->dus_map, q->dus_size);
	if (q->ss)
		munmap(q->ss, q->ss_size);
	q->mmio_map = q->dus_map = q->ss = NULL;
	q->mmio = NULL;
	q->hdr = NULL;
}

void t_q_close(struct t_q *q)
{
	t_q_unmap(q);
	if (q->fd >= 0)
		T_OK(close(q->fd));
	q->fd = -1;
}

void *t_q_ss_alloc(struct t_q *q, size_t len)
{
	size_t off = (q->ss_used + 63) & ~(size_t)63;

	if (!q->ss || off + len > q->ss_size)
		return NULL;
	q->ss_used = off + len;
	return (char *)q->ss + off;
}

uint64_t t_q_addr(struct t_q *q, const void *p)
{
	if (q->flags & UACCE_DEV_NOIOMMU) {
		T_ASSERT(q->ss && (const char *)p >= (char *)q->ss &&
			 (const char *)p <= (char *)q->ss + q->ss_size);
		return q->ss_dma + ((const char *)p - (char *)q->ss);
	}
	return (uintptr_t)p;
}

uint32_t t_q_hdr_sq_head(struct t_q *q)
{
	return __atomic_load_n(&q->hdr->sq_head, __ATOMIC_ACQUIRE);
}

uint32_t t_q_hdr_cq_tail(struct t_q *q)
{
	return __atomic_load_n(&q->hdr->cq_tail, __ATOMIC_ACQUIRE);
}

uint32_t t_q_status(struct t_q *q)
{
	return __atomic_load_n(&q->mmio->status, __ATOMIC_ACQUIRE);
}

void t_q_push(struct t_q *q, const struct wd_soft_sqe *sqe)
{
	if (q->sq_tail - q->cq_head >= q->depth)
		T_FAIL("test bug: pushing into a full ring");
	memcpy(&q->sq[q->sq_tail & (q->depth - 1)], sqe, sizeof(*sqe));
	q->sq_tail++;
}

void t_q_kick(struct t_q *q)
{
	if (ioctl(q->fd, WD_SOFT_CMD_KICK))
		T_FAIL("WD_SOFT_CMD_KICK: %s", t_errname(errno));
}

void t_q_publish(struct t_q *q)
{
	__atomic_store_n(&q->mmio->sq_tail, q->sq_tail, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (t_q_status(q) & WD_SOFT_ST_NEED_WAKEUP)
		t_q_kick(q);
}

int t_q_reap(struct t_q *q, struct wd_soft_cqe *cqe, int timeout_ms)
{
	uint64_t end = t_now_ms() + timeout_ms;

	for (;;) {
		uint32_t tail = t_q_hdr_cq_tail(q);

		if (tail - q->cq_head > q->depth)
			T_FAIL("device bug: cq_tail %u but cq_head %u (depth %u)",
			       tail, q->cq_head, q->depth);
		if (tail != q->cq_head) {
			volatile struct wd_soft_cqe *c =
				&q->cq[q->cq_head & (q->depth - 1)];

			cqe->user_data = c->user_data;
			cqe->status = c->status;
			cqe->out_len = c->out_len;
			q->cq_head++;
			__atomic_store_n(&q->mmio->cq_head, q->cq_head,
					 __ATOMIC_RELEASE);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if ((t_q_status(q) & WD_SOFT_ST_NEED_WAKEUP) &&
			    t_q_hdr_sq_head(q) != q->sq_tail)
				t_q_kick(q);
			return 1;
		}
		uint32_t st = t_q_status(q);

		if (st & WD_SOFT_ST_BROKEN)
			return -EIO;
		if ((st & WD_SOFT_ST_NEED_WAKEUP) &&
		    t_q_hdr_sq_head(q) != q->sq_tail)
			t_q_kick(q);
		uint64_t now = t_now_ms();

		if (now >= end)
			return 0;
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		int slice = end - now > 50 ? 50 : (int)(end - now);

		poll(&pfd, 1, slice);
	}
}

void t_q_wait(struct t_q *q, struct wd_soft_cqe *cqe)
{
	int r = t_q_reap(q, cqe, 30000);

	if (r == -EIO)
		T_FAIL("queue BROKEN (error %u) while waiting for a completion",
		       q->mmio->error);
	if (r == 0)
		T_FAIL("no completion within 30 s (sq_tail %u, sq_head %u, "
		       "cq_tail %u, cq_head %u, status %#x)", q->sq_tail,
		       t_q_hdr_sq_head(q), t_q_hdr_cq_tail(q), q->cq_head,
		       t_q_status(q));
}

struct wd_soft_cqe t_q_run(struct t_q *q, const struct wd_soft_sqe *sqe)
{
	struct wd_soft_cqe cqe;

	t_q_push(q, sqe);
	t_q_publish(q);
	t_q_wait(q, &cqe);
	T_EQ_HEX(cqe.user_data, sqe->user_data);
	return cqe;
}

void t_q_resync(struct t_q *q)
{
	q->sq_tail = t_q_hdr_sq_head(q);
	q->cq_head = t_q_hdr_cq_tail(q);
}

void t_q_start_again(struct t_q *q)
{
	/* doorbells consistent with the device's indices, whatever START_Q
	 * does with them */
	__atomic_store_n(&q->mmio->sq_tail, t_q_hdr_sq_head(q), __ATOMIC_RELEASE);
	__atomic_store_n(&q->mmio->cq_head, t_q_hdr_cq_tail(q), __ATOMIC_RELEASE);
	T_OK(ioctl(q->fd, UACCE_CMD_START_Q));
	t_q_resync(q);
}

void t_q_restart(struct t_q *q)
{
	T_OK(ioctl(q->fd, UACCE_CMD_PUT_Q));
	t_q_start_again(q);
}

struct wd_soft_sqe t_sqe_copy(struct t_q *q, const void *src, const void *dst,
			      uint32_t src_len, uint32_t dst_len)
{
	static uint64_t ud = 0x1000;

	return (struct wd_soft_sqe){
		.user_data = ++ud,
		.op = WD_SOFT_OP_COPY,
		.src = t_q_addr(q, src),
		.dst = t_q_addr(q, dst),
		.src_len = src_len,
		.dst_len = dst_len,
	};
}

struct wd_soft_sqe t_sqe_nop(uint64_t user_data)
{
	return (struct wd_soft_sqe){ .user_data = user_data,
				     .op = WD_SOFT_OP_NOP };
}

void t_q_copy_check(struct t_q *q, void *src, void *dst, size_t len)
{
	struct wd_soft_sqe sqe = t_sqe_copy(q, src, dst, len, len);
	struct wd_soft_cqe cqe;

	t_fill_random(src, len, len + 7);
	memset(dst, 0xa5, len);
	cqe = t_q_run(q, &sqe);
	T_EQ(cqe.status, WD_SOFT_S_OK);
	T_EQ(cqe.out_len, len);
	if (memcmp(src, dst, len)) {
		size_t i = 0;

		while (((char *)src)[i] == ((char *)dst)[i])
			i++;
		T_FAIL("COPY of %zu bytes: dst differs from src at byte %zu",
		       len, i);
	}
}

/* ---- runner ---- */

static void t_cleanup_instances(void)
{
	char s[32];

	if (!t_wd_soft_loaded())
		return;
	for (int id = t_ids; t_ids >= 0 && id < t_ids + T_NR_IDS; id++) {
		if (!t_inst_exists(id))
			continue;
		snprintf(s, sizeof(s), "%d", id);
		int r = t_inst_del_raw(s);

		if (r)
			printf("# %s: cleanup: del_device %d: %s\n", t_prog,
			       id, t_errname(-r));
	}
}

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
	t_cleanup_instances();
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
	/* a native build (t_libwd's) has no kernel device to name */
	if (!list && !T_NATIVE_BUILD)
		t_ids_take();
	if (!list)
		t_cleanup_instances();
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
