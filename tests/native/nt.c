// SPDX-License-Identifier: GPL-2.0 OR MIT
/* nt.c: runner, helpers and ring driver of the native tests; see nt.h */
#include "nt.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NT_MAX_TESTS 128

struct nt_test {
	const char *name;
	nt_fn fn;
	int timeout_s;
};

static struct nt_test nt_tests[NT_MAX_TESTS];
static int nt_nr_tests;
static const char *nt_prog = "t";
static int nt_report_fd = -1;

#if defined(__SANITIZE_ADDRESS__)
const bool nt_sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
const bool nt_sanitized = true;
#else
const bool nt_sanitized = false;
#endif
#else
const bool nt_sanitized = false;
#endif

void nt_register(const char *name, nt_fn fn, int timeout_s)
{
	if (nt_nr_tests == NT_MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	nt_tests[nt_nr_tests++] = (struct nt_test){ name, fn, timeout_s };
}

const char *nt_errname(int err)
{
	const char *n = err ? strerrorname_np(err) : "0";

	return n ? n : "?";
}

const char *nt_stname(unsigned int status)
{
	static const char *const names[] = {
		"OK", "BAD_OP", "BAD_ADDR", "DST_SMALL", "CORRUPT",
		"DEV_ERR", "CANCELED", "INVAL",
	};

	return status < 8 ? names[status] : "(unknown)";
}

static void nt_report(char kind, const char *fmt, va_list ap, const char *file,
		      int line)
{
	char buf[1024];
	int n;

	n = snprintf(buf, sizeof(buf), "%c", kind);
	n += vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	if (n > (int)sizeof(buf) - 100)
		n = sizeof(buf) - 100;
	if (file)
		n += snprintf(buf + n, sizeof(buf) - n, " (%s:%d)", file, line);
	for (int i = 0; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	if (nt_report_fd < 0 || write(nt_report_fd, buf, n) < 0)
		fprintf(stderr, "%.*s", n, buf + 1);
}

void nt_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nt_report('F', fmt, ap, file, line);
	va_end(ap);
	_exit(1);
}

void nt_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	nt_report('S', fmt, ap, NULL, 0);
	va_end(ap);
	_exit(0);
}

void nt_note(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("# %s: %s\n", nt_prog, buf);
	fflush(stdout);
}

/* ---- the runner ---- */

static int nt_run_one(const struct nt_test *t)
{
	char msg[1100] = "";
	int fds[2], status = 0;
	uint64_t deadline;
	ssize_t n, got = 0;
	pid_t pid, r;

	if (pipe2(fds, O_CLOEXEC)) {
		perror("pipe");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (!pid) {
		setpgid(0, 0);
		close(fds[0]);
		nt_report_fd = fds[1];
		t->fn();
		fflush(stdout);
		/* exit(), not _exit(): LeakSanitizer checks the test at exit */
		exit(0);
	}
	setpgid(pid, pid);
	close(fds[1]);
	deadline = nt_now_ns() + (uint64_t)t->timeout_s * 1000000000ull;
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
		if (nt_now_ns() > deadline) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(msg, sizeof(msg), "Ftimeout after %d s",
				 t->timeout_s);
			got = -1;
			break;
		}
		nt_usleep(2000);
	}
	/* whatever the test left behind in its group */
	kill(-pid, SIGKILL);
	if (got == 0) {
		while ((n = read(fds[0], msg + got, sizeof(msg) - 1 - got)) > 0)
			got += n;
		msg[got > 0 ? got : 0] = '\0';
	}
	close(fds[0]);
	msg[strcspn(msg, "\n")] = '\0';

	if (msg[0] == 'F') {
		printf("FAIL: %s.%s: %s\n", nt_prog, t->name, msg + 1);
	} else if (WIFSIGNALED(status)) {
		printf("FAIL: %s.%s: killed by signal %d (%s)\n", nt_prog,
		       t->name, WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (WEXITSTATUS(status)) {
		printf("FAIL: %s.%s: exit status %d\n", nt_prog, t->name,
		       WEXITSTATUS(status));
	} else if (msg[0] == 'S') {
		printf("SKIP: %s.%s: %s\n", nt_prog, t->name, msg + 1);
		fflush(stdout);
		return 0;
	} else {
		printf("PASS: %s.%s\n", nt_prog, t->name);
		fflush(stdout);
		return 0;
	}
	fflush(stdout);
	return 1;
}

int main(int argc, char **argv)
{
	int i, j, failed = 0, ran = 0;
	bool list = false;
	const char *p;

	p = strrchr(argv[0], '/');
	nt_prog = p ? p + 1 : argv[0];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "-l"))
		list = true;
	for (i = 0; i < nt_nr_tests; i++) {
		bool sel = argc == 1 || list;

		for (j = 1; j < argc && !sel; j++)
			sel = !strcmp(argv[j], nt_tests[i].name);
		if (!sel)
			continue;
		if (list) {
			printf("%s\n", nt_tests[i].name);
			continue;
		}
		failed += nt_run_one(&nt_tests[i]);
		ran++;
	}
	if (!list && !ran) {
		fprintf(stderr, "%s: no such test\n", nt_prog);
		return 2;
	}
	return failed ? 1 : 0;
}

/* ---- misc ---- */

uint64_t nt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void nt_usleep(unsigned int us)
{
	struct timespec ts = { us / 1000000, (long)(us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

pid_t nt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

static int nt_read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* the system call @tid is in (/proc: "running" when on a CPU): nr or -1 */
static long nt_task_syscall(pid_t tid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (nt_read_small(path, buf, sizeof(buf)) <= 0 ||
	    buf[0] < '0' || buf[0] > '9')
		return -1;
	return strtol(buf, NULL, 10);
}

static char nt_task_state(pid_t tid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	if (nt_read_small(path, buf, sizeof(buf)) <= 0)
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * The system call before and after the state, so that a thread that left
 * it between the reads is not taken for one still in it.
 */
bool nt_task_asleep_in(pid_t tid, long nr)
{
	return nt_task_syscall(tid) == nr && nt_task_state(tid) == 'S' &&
	       nt_task_syscall(tid) == nr;
}

void nt_wait_asleep_in(pid_t tid, long nr, const char *what)
{
	NT_WAIT_UNTIL(nt_task_asleep_in(tid, nr),
		      "%s: thread %d not asleep in system call %ld after %d s",
		      what, (int)tid, nr, NT_HANG_MS / 1000);
}

int nt_engine_tids(struct wdl_dev *dev, pid_t *tids, int max)
{
	DIR *d = opendir("/proc/self/task");
	char prefix[32], path[64], comm[32];
	struct dirent *de;
	int n = 0;

	ASSERT(d);
	snprintf(prefix, sizeof(prefix), "wdl%d/", wdl_dev_id(dev) % 1000);
	while ((de = readdir(d))) {
		int tid = atoi(de->d_name);

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%d/comm", tid);
		if (nt_read_small(path, comm, sizeof(comm)) <= 0 ||
		    strncmp(comm, prefix, strlen(prefix)))
			continue;
		if (n < max)
			tids[n] = tid;
		n++;
	}
	closedir(d);
	return n;
}

bool nt_engines_asleep(struct wdl_dev *dev)
{
	pid_t tids[WDL_MAX_ENGINES];
	int i, n = nt_engine_tids(dev, tids, WDL_MAX_ENGINES);

	ASSERT(n > 0 && n <= WDL_MAX_ENGINES);
	for (i = 0; i < n; i++)
		if (!nt_task_asleep_in(tids[i], SYS_futex))
			return false;
	return true;
}

void nt_uffd_hole(struct nt_uffd *u, void *addr, size_t len)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (uintptr_t)addr, len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	/* the kernel's faults too, if we may; else user-mode faults only */
	u->user_only = false;
	u->fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (u->fd < 0) {
		u->user_only = true;
		u->fd = (int)syscall(SYS_userfaultfd,
				     O_CLOEXEC | UFFD_USER_MODE_ONLY);
	}
	if (u->fd < 0)
		nt_skip("no userfaultfd: %s", nt_errname(errno));
	if (ioctl(u->fd, UFFDIO_API, &api))
		FAIL("UFFDIO_API: %s", nt_errname(errno));
	if (madvise(addr, len, MADV_DONTNEED))
		FAIL("madvise: %s", nt_errname(errno));
	if (ioctl(u->fd, UFFDIO_REGISTER, &reg))
		FAIL("UFFDIO_REGISTER: %s", nt_errname(errno));
	u->addr = addr;
	u->len = len;
}

uint64_t nt_uffd_fault(struct nt_uffd *u)
{
	struct pollfd p = { .fd = u->fd, .events = POLLIN };
	struct uffd_msg m;

	if (poll(&p, 1, NT_HANG_MS) != 1)
		FAIL("no fault in the userfaultfd hole within %d s",
		     NT_HANG_MS / 1000);
	if (read(u->fd, &m, sizeof(m)) != (ssize_t)sizeof(m))
		FAIL("userfaultfd read: %s", nt_errname(errno));
	if (m.event != UFFD_EVENT_PAGEFAULT)
		FAIL("userfaultfd event %u", m.event);
	return m.arg.pagefault.address;
}

void nt_uffd_fill(struct nt_uffd *u, uint8_t c)
{
	uint8_t *src = mmap(NULL, u->len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_copy cp = {
		.dst = (uintptr_t)u->addr, .src = (uintptr_t)src, .len = u->len,
	};

	ASSERT(src != MAP_FAILED);
	memset(src, c, u->len);
	if (ioctl(u->fd, UFFDIO_COPY, &cp))
		FAIL("UFFDIO_COPY: %s", nt_errname(errno));
	munmap(src, u->len);
}

enum wdl_sva_copy nt_uffd_sva_copy(const struct nt_uffd *u)
{
	return u->user_only ? WDL_SVA_COPY_SIGNAL : WDL_SVA_COPY_KERNEL;
}

void nt_uffd_close(struct nt_uffd *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}

void *nt_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		FAIL("out of memory (%zu bytes)", n);
	return p;
}

void *nt_xzalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p)
		FAIL("out of memory (%zu bytes)", n);
	return p;
}

uint64_t nt_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void nt_fill_random(void *buf, size_t len, uint64_t seed)
{
	uint8_t *p = buf;
	uint64_t v;

	while (len >= 8) {
		v = nt_rand(&seed);
		memcpy(p, &v, 8);
		p += 8;
		len -= 8;
	}
	v = nt_rand(&seed);
	memcpy(p, &v, len);
}

void nt_fill_text(void *buf, size_t len, uint64_t seed)
{
	static const char *const words[] = {
		"the ", "queue ", "engine ", "ring ", "accelerator ",
		"warpdrive ", "uacce ", "of ", "and ", "device ", "memory ",
		"request ", "completion ", "kernel ", "process ", "zlib ",
		"page ", "fault ", "doorbell ", "shared ", "virtual ",
		"address ", "a ", "to ", "in ", "is ", "\n", "that ", "with ",
		"buffer ", "SQE ", "CQE ",
	};
	uint8_t *p = buf;
	size_t n;

	while (len) {
		uint64_t r = nt_rand(&seed);
		const char *w = words[r % (sizeof(words) / sizeof(words[0]))];

		/* some noise so that the data is not all dictionary */
		if ((r >> 8) % 16 == 0) {
			*p++ = (uint8_t)(r >> 16);
			len--;
			continue;
		}
		n = strlen(w);
		if (n > len)
			n = len;
		memcpy(p, w, n);
		p += n;
		len -= n;
	}
}

const char *nt_tmpfile(const void *data, size_t len, char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	const uint8_t *p = data;
	ssize_t n;
	int fd;

	snprintf(path, size, "%s/wdl-test-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		FAIL("mkstemp %s: %s", path, strerror(errno));
	while (len) {
		n = write(fd, p, len);
		if (n <= 0)
			FAIL("write %s: %s", path, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return path;
}

int nt_pipe_cmd(const char *cmd, const void *in, size_t in_len, void **out,
		size_t *out_len)
{
	char inpath[256], cmdline[700];
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf;
	FILE *f;
	size_t n;
	int st;

	nt_tmpfile(in, in_len, inpath, sizeof(inpath));
	snprintf(cmdline, sizeof(cmdline), "%s < '%s'", cmd, inpath);
	f = popen(cmdline, "r");
	if (!f)
		FAIL("popen %s: %s", cmd, strerror(errno));
	buf = nt_xmalloc(cap);
	while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				FAIL("out of memory");
		}
	}
	st = pclose(f);
	unlink(inpath);
	*out = buf;
	*out_len = len;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ---- devices and the ring ---- */

struct wdl_dev *nt_dev(enum wdl_mode mode, unsigned int queues,
		       unsigned int engines)
{
	struct wdl_config cfg = {
		.mode = mode,
		.nr_queues = queues,
		.nr_engines = engines,
	};
	struct wdl_dev *dev;

	OK(wdl_dev_create(&cfg, &dev));
	return dev;
}

const char *nt_mode_name(enum wdl_mode mode)
{
	return mode == WDL_MODE_SVA ? "sva" :
	       mode == WDL_MODE_PASID ? "pasid" : "noiommu";
}

void nq_open(struct nq *q, struct wdl_dev *dev, size_t ss_size)
{
	void *ss;

	memset(q, 0, sizeof(*q));
	q->dev = dev;
	q->mode = wdl_dev_mode(dev);
	OK(wdl_queue_open(dev, &q->q));
	q->mmio = wdl_queue_mmio(q->q);
	q->hdr = wdl_queue_dus(q->q);
	ASSERT(q->mmio && q->hdr);
	EQ_HEX(q->hdr->magic, WD_SOFT_MAGIC);
	EQ(q->hdr->depth, WD_SOFT_DEPTH);
	q->sq = (struct wd_soft_sqe *)((uint8_t *)q->hdr + q->hdr->sq_off);
	q->cq = (volatile struct wd_soft_cqe *)((uint8_t *)q->hdr +
						q->hdr->cq_off);
	if (ss_size) {
		OK(wdl_queue_ss_alloc(q->q, ss_size, &ss));
		q->ss = ss;
		q->ss_size = ss_size;
		if (q->mode == WDL_MODE_NOIOMMU)
			OK(wdl_queue_ss_dma(q->q, &q->ss_dma));
	}
	nq_start(q);
}

void nq_close(struct nq *q)
{
	if (q->q)
		wdl_queue_close(q->q);
	q->q = NULL;
}

void nq_start(struct nq *q)
{
	OK(wdl_queue_start(q->q));
	q->sq_tail = 0;
	q->cq_head = 0;
	/* START_Q resets cq_notify: enable it again */
	if (q->notify)
		__atomic_store_n(&q->mmio->cq_notify, WD_SOFT_CQN_ENABLE,
				 __ATOMIC_RELAXED);
}

void nq_stop(struct nq *q)
{
	OK(wdl_queue_stop(q->q));
}

void *nq_ss_alloc(struct nq *q, size_t len)
{
	void *p;

	if (len > q->ss_size || q->ss_used > q->ss_size - len)
		return NULL;
	p = q->ss + q->ss_used;
	q->ss_used = (q->ss_used + len + 63) & ~(size_t)63;
	if (q->ss_used > q->ss_size)
		q->ss_used = q->ss_size;
	return p;
}

void nq_ss_reset(struct nq *q)
{
	q->ss_used = 0;
}

uint64_t nq_addr(const struct nq *q, const void *p)
{
	if (q->mode == WDL_MODE_NOIOMMU && q->ss) {
		uintptr_t a = (uintptr_t)p, b = (uintptr_t)q->ss;

		/* outside SS: an address no bus range has */
		if (a < b || a - b > q->ss_size)
			return 0x10;
		return q->ss_dma + (a - b);
	}
	return (uint64_t)(uintptr_t)p;
}

struct wd_soft_sqe nq_sqe(uint16_t op, uint32_t params, uint64_t src,
			  uint32_t src_len, uint64_t dst, uint32_t dst_len)
{
	struct wd_soft_sqe s;

	memset(&s, 0, sizeof(s));
	s.op = op;
	s.params = params;
	s.src = src;
	s.src_len = src_len;
	s.dst = dst;
	s.dst_len = dst_len;
	return s;
}

void nq_push(struct nq *q, const struct wd_soft_sqe *sqe)
{
	if (q->sq_tail - q->cq_head >= WD_SOFT_DEPTH)
		FAIL("ring full: %u in flight", q->sq_tail - q->cq_head);
	q->sq[q->sq_tail & (WD_SOFT_DEPTH - 1)] = *sqe;
	q->sq_tail++;
}

/* steps 3-4 of the submission protocol */
static void nq_kick_if_needed(struct nq *q)
{
	int r;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&q->mmio->status, __ATOMIC_RELAXED) &
	    WD_SOFT_ST_NEED_WAKEUP) {
		q->kicks++;
		r = wdl_queue_kick(q->q);
		if (r && r != -ENODEV)
			FAIL("kick: %d", r);
	}
}

void nq_publish(struct nq *q)
{
	__atomic_store_n(&q->mmio->sq_tail, q->sq_tail, __ATOMIC_RELEASE);
	nq_kick_if_needed(q);
}

uint32_t nq_status(const struct nq *q)
{
	return __atomic_load_n(&q->mmio->status, __ATOMIC_ACQUIRE);
}

uint32_t nq_inflight(const struct nq *q)
{
	return q->sq_tail - q->cq_head;
}

int nq_try_reap(struct nq *q, struct wd_soft_cqe *cqe)
{
	uint32_t tail = __atomic_load_n(&q->hdr->cq_tail, __ATOMIC_ACQUIRE);
	volatile struct wd_soft_cqe *c;

	if (tail == q->cq_head)
		return 0;
	c = &q->cq[q->cq_head & (WD_SOFT_DEPTH - 1)];
	cqe->user_data = c->user_data;
	cqe->status = c->status;
	cqe->out_len = c->out_len;
	q->cq_head++;
	__atomic_store_n(&q->mmio->cq_head, q->cq_head, __ATOMIC_RELEASE);
	/*
	 * Requests still waiting to be taken: the engine may have parked the
	 * queue on a full completion ring (steps 3-4 of the protocol).
	 */
	if (q->sq_tail != __atomic_load_n(&q->hdr->sq_head, __ATOMIC_RELAXED))
		nq_kick_if_needed(q);
	return 1;
}

int nq_reap(struct nq *q, struct wd_soft_cqe *cqe, int timeout_ms)
{
	uint64_t deadline = nt_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	uint64_t now;
	int r;

	for (;;) {
		if (nq_try_reap(q, cqe))
			return 1;
		if (nq_status(q) & WD_SOFT_ST_BROKEN)
			return -EIO;
		now = nt_now_ns();
		if (now >= deadline)
			return 0;
		if (q->notify) {
			/* arm, full barrier, look once more (wd_soft.h) */
			__atomic_store_n(&q->mmio->cq_notify,
					 WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED,
					 __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(&q->hdr->cq_tail, __ATOMIC_ACQUIRE) !=
			    q->cq_head) {
				__atomic_store_n(&q->mmio->cq_notify,
						 WD_SOFT_CQN_ENABLE,
						 __ATOMIC_RELAXED);
				continue;
			}
		}
		q->waits++;
		r = wdl_queue_wait(q->q, (int)((deadline - now + 999999) /
					       1000000));
		if (q->notify)
			__atomic_store_n(&q->mmio->cq_notify,
					 WD_SOFT_CQN_ENABLE, __ATOMIC_RELAXED);
		if (r < 0)
			return r;
	}
}

struct wd_soft_cqe nq_wait(struct nq *q)
{
	struct wd_soft_cqe c;
	int r = nq_reap(q, &c, 20000);

	if (r == 0)
		FAIL("no completion within 20 s (%u in flight, status %#x, "
		     "sq_head %u cq_tail %u)", nq_inflight(q), nq_status(q),
		     q->hdr->sq_head, q->hdr->cq_tail);
	if (r < 0)
		FAIL("waiting for a completion: %d (%s), error %u", r,
		     nt_errname(-r), q->mmio->error);
	return c;
}

struct wd_soft_cqe nq_run(struct nq *q, const struct wd_soft_sqe *sqe)
{
	struct wd_soft_cqe c;

	nq_push(q, sqe);
	nq_publish(q);
	c = nq_wait(q);
	if (c.user_data != sqe->user_data)
		FAIL("CQE user_data %#llx, expected %#llx",
		     (unsigned long long)c.user_data,
		     (unsigned long long)sqe->user_data);
	return c;
}

/* ---- request buffers ---- */

static void *tb_mem(struct nq *q, bool heap, size_t n)
{
	void *p = heap ? nt_xzalloc(n) : nq_ss_alloc(q, n);

	if (!p)
		FAIL("no room for %zu bytes in SS (%zu of %zu used)", n,
		     q->ss_used, q->ss_size);
	return p;
}

void tb_alloc(struct nq *q, struct tbuf *b, size_t size, bool sgl,
	      uint64_t seed)
{
	uint32_t k, i, j, extra, *perm;
	size_t *len, pos, cut;

	memset(b, 0, sizeof(*b));
	b->q = q;
	b->size = size;
	b->sgl = sgl;
	b->heap = q->mode == WDL_MODE_SVA;
	if (!sgl) {
		b->mem_size = size;
		b->mem = tb_mem(q, b->heap, size ? size : 1);
		return;
	}
	/* k pieces of random lengths, then up to 3 empty entries */
	k = size ? 1 + (uint32_t)(nt_rand(&seed) % 16) : 0;
	if (k > size)
		k = (uint32_t)size;
	extra = (uint32_t)(nt_rand(&seed) % 4);
	b->nents = k + extra;
	len = nt_xzalloc((b->nents + 1) * sizeof(*len));
	b->off = nt_xzalloc((b->nents + 1) * sizeof(*b->off));
	perm = nt_xzalloc((b->nents + 1) * sizeof(*perm));
	/* cut points: k - 1 distinct-ish positions */
	pos = 0;
	for (i = 0; i < k; i++) {
		size_t left = size - pos;

		if (i == k - 1) {
			cut = left;
		} else {
			/* at least 1 byte for each remaining piece */
			size_t room = left - (k - 1 - i);

			cut = 1 + (size_t)(nt_rand(&seed) % (room ? room : 1));
			if (cut > room)
				cut = room;
		}
		len[i] = cut;
		pos += cut;
	}
	/* empty entries at random places among the pieces */
	for (i = 0; i < extra; i++) {
		j = (uint32_t)(nt_rand(&seed) % (k + i + 1));
		memmove(len + j + 1, len + j, (k + i - j) * sizeof(*len));
		len[j] = 0;
	}
	/* lay the entries out in memory in a shuffled order, with gaps */
	for (i = 0; i < b->nents; i++)
		perm[i] = i;
	for (i = b->nents; i > 1; i--) {
		j = (uint32_t)(nt_rand(&seed) % i);
		uint32_t t = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	pos = 0;
	for (i = 0; i < b->nents; i++) {
		b->off[perm[i]] = pos;
		pos += len[perm[i]] + (size_t)(nt_rand(&seed) % 65);
	}
	b->mem_size = pos;
	b->mem = tb_mem(q, b->heap, pos ? pos : 1);
	b->sge = tb_mem(q, b->heap, (b->nents ? b->nents : 1) * sizeof(*b->sge));
	for (i = 0; i < b->nents; i++) {
		b->sge[i].addr = nq_addr(q, b->mem + b->off[i]);
		b->sge[i].len = (uint32_t)len[i];
		b->sge[i].rsvd = 0;
	}
	free(len);
	free(perm);
}

void tb_free(struct tbuf *b)
{
	if (b->heap) {
		free(b->mem);
		free(b->sge);
	}
	free(b->off);
	memset(b, 0, sizeof(*b));
}

static void tb_copy(const struct tbuf *b, void *data, size_t n, bool put)
{
	uint8_t *p = data;
	size_t m;
	uint32_t i;

	if (n > b->size)
		FAIL("tbuf: %zu bytes of a %zu-byte buffer", n, b->size);
	if (!b->sgl) {
		if (put)
			memcpy(b->mem, p, n);
		else
			memcpy(p, b->mem, n);
		return;
	}
	for (i = 0; i < b->nents && n; i++) {
		m = b->sge[i].len < n ? b->sge[i].len : n;
		if (put)
			memcpy(b->mem + b->off[i], p, m);
		else
			memcpy(p, b->mem + b->off[i], m);
		p += m;
		n -= m;
	}
}

void tb_put(struct tbuf *b, const void *data, size_t n)
{
	tb_copy(b, (void *)data, n, true);
}

void tb_get(const struct tbuf *b, void *out, size_t n)
{
	tb_copy(b, out, n, false);
}

void tb_src(const struct tbuf *b, struct wd_soft_sqe *sqe)
{
	if (b->sgl) {
		sqe->flags |= WD_SOFT_SQE_F_SRC_SGL;
		sqe->src = nq_addr(b->q, b->sge);
		sqe->src_len = b->nents;
	} else {
		sqe->src = nq_addr(b->q, b->mem);
		sqe->src_len = (uint32_t)b->size;
	}
}

void tb_dst(const struct tbuf *b, struct wd_soft_sqe *sqe)
{
	if (b->sgl) {
		sqe->flags |= WD_SOFT_SQE_F_DST_SGL;
		sqe->dst = nq_addr(b->q, b->sge);
		sqe->dst_len = b->nents;
	} else {
		sqe->dst = nq_addr(b->q, b->mem);
		sqe->dst_len = (uint32_t)b->size;
	}
}
