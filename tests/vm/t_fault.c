// SPDX-License-Identifier: GPL-2.0
/*
 * t_fault: an SVA device needs a page of the queue owner's memory that does
 * not come.
 *
 * Any owner can arrange that: root with a userfaultfd range it does not
 * serve, anyone with a mapping of a FUSE file whose daemon does not answer
 * (fuse-hold, built beside this program, holds its READs until told). The
 * rules (docs/security.md, "Delay anyone else"; docs/interfaces.md, 1;
 * issue 9, items 1 and 2):
 *
 *  - the engine does not wait for the page: the request waits aside while
 *    the page is faulted in elsewhere, and the engine's other queues go on;
 *  - PUT_Q of the stuck queue returns at once, the stuck request completed
 *    first with CANCELED (exactly one CQE); close returns at once;
 *  - nobody else waits on it: another process's open, close, sysfs reads,
 *    poll and requests, del_device, rmmod wd_soft (rmmod uacce may be
 *    refused until the page comes or never can);
 *  - once the page comes, or never can (the owner killed with its uffd, the
 *    FUSE daemon killed), nothing is left: queues, threads, module references;
 *  - the page is faulted in with the owner's credentials: a FUSE daemon sees
 *    the owner's uid.
 *
 * Synchronisation is by events, never by sleeping: the device waits on the
 * page once the uffd has a fault message for its address, or once the FUSE
 * daemon has got the READ. Times are bounds only, turning a hang into a
 * failure: when a bound expires the test supplies the page (or releases the
 * daemon), so that a kernel that still waits on it ends the test with FAIL,
 * saying what returned once the page came, instead of hanging the suite or
 * tripping the 30 s hung-task panic.
 */
#include "t.h"
#include "fuse-hold.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


#define BOUND_MS	5000	/* "did not hang", on this slow emulated VM */
#define STUCK_MS	10000	/* the page stays missing at least this long */
#define FAULT_MS	10000	/* for the device to ask for the page */
#define LATE_MS		20000	/* for what hung, once the page came */
#define NQ		4	/* queues of every instance */
#define USER		1000	/* the unprivileged owner's uid and gid */
#define SRC_PAGE	3	/* FUSE: the page of file 0 the COPY reads */
#define MNT		"/tmp/t_fault.fuse"
#define KO_DIR		T_KO_DIR
#define MAXQ		2

/* ---- modules (as t_module) ---- */

static int mod_remove(const char *m)
{
	return syscall(SYS_delete_module, m, O_NONBLOCK) ? -errno : 0;
}

static bool have_modules(void)
{
	return t_exists(KO_DIR "/uacce.ko") && t_exists(KO_DIR "/wd_soft.ko");
}

/* the suite expects both loaded, with default parameters */
static void modules_back(void)
{
	if (!have_modules())
		return;
	if (!t_mod_loaded("uacce"))
		t_insmod("uacce", "");
	if (!t_mod_loaded("wd_soft"))
		t_insmod("wd_soft", "");
}

/* after each test, in the runner: modules loaded, no FUSE mount left */
static void restore(void)
{
	umount2(MNT, MNT_DETACH);
	modules_back();
}

__attribute__((constructor)) static void set_hook(void)
{
	t_after_test = restore;
}

/* ---- calls that may hang: in a thread, judged against a bound ---- */

struct job {
	const char *what;
	void (*fn)(struct job *);
	int ua, id;		/* arguments, by fn */
	struct t_q *q;
	const char *mod;
	int ret;		/* 0 or -errno */
	char err[160];		/* what went wrong, "" if nothing */
	uint64_t start, end;	/* t_now_ms() */
	bool late;		/* not done within its bound */
	atomic_bool done;
	pthread_t th;
};

static void *job_thread(void *arg)
{
	struct job *j = arg;

	j->fn(j);
	j->end = t_now_ms();
	atomic_store(&j->done, true);
	return NULL;
}

static void job_start(struct job *j)
{
	j->err[0] = 0;
	j->ret = 0;
	j->late = false;
	atomic_store(&j->done, false);
	j->start = t_now_ms();
	if (pthread_create(&j->th, NULL, job_thread, j))
		T_FAIL("pthread_create failed");
}

/* wait until all @n jobs are done or t_now_ms() passes @until */
static bool jobs_wait(struct job *j, int n, uint64_t until)
{
	for (;;) {
		int i = 0;

		while (i < n && atomic_load(&j[i].done))
			i++;
		if (i == n)
			return true;
		if (t_now_ms() >= until)
			return false;
		t_msleep(5);
	}
}

/* run @n jobs at once; mark those not done BOUND_MS later: true if none */
static bool jobs_run(struct job *j, int n)
{
	bool ok;

	for (int i = 0; i < n; i++)
		job_start(&j[i]);
	ok = jobs_wait(j, n, t_now_ms() + BOUND_MS);
	for (int i = 0; i < n; i++)
		j[i].late = !atomic_load(&j[i].done);
	return ok;
}

/* ---- the stuck page, first kind: a userfaultfd range nobody serves ---- */

static void need_uffd(void)
{
	void *p;
	int uffd = t_uffd_region(&p, t_page);

	if (uffd < 0)
		t_skip("userfaultfd: %s", t_errname(-uffd));
	close(uffd);
	munmap(p, t_page);
}

/* what the test puts in the uffd region's pages, @off from its start */
static uint8_t uffd_byte(uint64_t off)
{
	return (uint8_t)(off * 3 + (off >> 12) + 0x40);
}

/* ---- the stuck page, second kind: a FUSE daemon that does not answer ---- */

struct fh {
	pid_t pid;
	int ctl, log;		/* its command pipe, its log */
	char buf[4096];
	size_t len;
};

struct fh_read {
	unsigned int file, uid, gid, pid;
	long long off;
	size_t size;
};

static void need_fuse(void)
{
	if (!t_exists("/dev/fuse")) {
		/* Debian: CONFIG_FUSE_FS=m; devtmpfs makes the node */
		int r = system("modprobe fuse >/dev/null 2>&1");

		(void)r;
	}
	if (!t_exists("/dev/fuse"))
		t_skip("no /dev/fuse, even after modprobe fuse");
}

/* the next line of the daemon's log before t_now_ms() reaches @until */
static bool fh_line(struct fh *f, char *line, size_t max, uint64_t until)
{
	for (;;) {
		char *nl = memchr(f->buf, '\n', f->len);

		if (nl) {
			size_t n = nl - f->buf;

			snprintf(line, max, "%.*s", (int)n, f->buf);
			f->len -= n + 1;
			memmove(f->buf, nl + 1, f->len);
			return true;
		}
		uint64_t now = t_now_ms();
		struct pollfd p = { .fd = f->log, .events = POLLIN };

		if (poll(&p, 1, now < until ? (int)(until - now) : 0) <= 0)
			return false;
		ssize_t r = read(f->log, f->buf + f->len,
				 sizeof(f->buf) - 1 - f->len);

		if (r <= 0)	/* the daemon is gone */
			return false;
		f->len += r;
	}
}

/* the next READ the daemon logged, before @until */
static bool fh_next_read(struct fh *f, struct fh_read *r, uint64_t until)
{
	char line[256];

	while (fh_line(f, line, sizeof(line), until))
		if (sscanf(line, "READ file=%u off=%lld size=%zu uid=%u gid=%u pid=%u",
			   &r->file, &r->off, &r->size, &r->uid, &r->gid,
			   &r->pid) == 6)
			return true;
	return false;
}

/* does READ @r bring in the page the owner's COPY reads? */
static bool fh_covers(const struct fh_read *r)
{
	long long pg = SRC_PAGE * (long long)t_page;

	return r->file == 0 && r->off <= pg && r->off + (long long)r->size > pg;
}

/* fuse-hold (beside this program) mounted at MNT, holding READs or not */
static void fh_start(struct fh *f, bool hold)
{
	char exe[PATH_MAX], line[64];
	int ctl[2], log[2];
	ssize_t n;

	need_fuse();
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
	T_ASSERT(n > 0);
	exe[n] = 0;
	strcpy(strrchr(exe, '/') + 1, "fuse-hold");
	if (!t_exists(exe))
		T_FAIL("no %s", exe);
	umount2(MNT, MNT_DETACH);
	if (mkdir(MNT, 0755) && errno != EEXIST)
		T_FAIL("mkdir %s: %s", MNT, t_errname(errno));
	T_OK(pipe2(ctl, O_CLOEXEC));
	T_OK(pipe2(log, O_CLOEXEC));
	f->pid = t_fork();
	if (f->pid == 0) {
		dup2(ctl[0], 10);	/* without O_CLOEXEC */
		dup2(log[1], 11);
		execl(exe, "fuse-hold", MNT, "10", "11", hold ? "hold" : NULL,
		      (char *)NULL);
		_exit(127);
	}
	close(ctl[0]);
	close(log[1]);
	f->ctl = ctl[1];
	f->log = log[0];
	f->len = 0;
	if (!fh_line(f, line, sizeof(line), t_now_ms() + FAULT_MS) ||
	    strcmp(line, "READY"))
		T_FAIL("fuse-hold did not mount %s", MNT);
}

static void fh_cmd(struct fh *f, char c)
{
	T_EQ(write(f->ctl, &c, 1), 1);
}

/* kill it (a dead daemon fails what it held) and unmount */
static void fh_kill(struct fh *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGKILL);
		waitpid(f->pid, NULL, 0);
		f->pid = 0;
	}
	close(f->ctl);
	close(f->log);
	T_OK(umount2(MNT, MNT_DETACH));
}

/* /dev/uaN's mode set to @mode (the unprivileged owner's tests); the old one */
static mode_t dev_chmod(int ua, mode_t mode)
{
	char p[32];
	struct stat st;

	T_OK(stat(t_dev_path(ua, p), &st));
	T_OK(chmod(p, mode));
	return st.st_mode & 07777;
}

/* ---- the queue owner: a child process driven over a socket ---- */

enum src {
	SRC_UFFD,		/* root, a userfaultfd range */
	SRC_FUSE_SHARED,	/* a FUSE file, MAP_SHARED */
	SRC_FUSE_PRIVATE,	/* a FUSE file, MAP_PRIVATE */
	/*
	 * a FUSE file, MAP_SHARED, MADV_RANDOM: no readahead, so the fault
	 * reads the page itself and, once the daemon has taken the READ,
	 * waits for the answer uninterruptibly: a wait no stop can abort
	 */
	SRC_FUSE_RANDOM,
};

/* the owner's queues, each with a COPY of one page from its stuck page */
struct hello {
	uint64_t src[MAXQ];	/* the stuck page, in the owner */
	uint64_t ud[MAXQ];	/* the COPY's user_data */
};

struct cmd {
	char op;
	int q;
};

struct reply {
	int ret, err;		/* of the call */
	int ncqe;		/* completions found */
	uint32_t status;	/* the first one's */
	uint64_t user_data;
	long bad;		/* 1 + offset of the first wrong byte, 0: right */
	int extra;		/* 'D': completions nobody asked for */
	long dst_bad;		/* 'D': 1 + offset of a byte the canceled COPY wrote */
	int revents, sig;	/* 'Z': poll, touching the ring */
};

struct owner {
	pid_t pid;
	int sock;
	int uffd;		/* our copy of its userfaultfd, -1 if none */
	enum src src;
	int nq;
	struct hello h;
};

static uint8_t expect_byte(enum src src, int q, size_t k)
{
	return src == SRC_UFFD ? uffd_byte(q * t_page + k) :
				 fh_byte(0, SRC_PAGE * t_page + k);
}

static long first_wrong(const uint8_t *p, enum src src, int q)
{
	for (size_t k = 0; k < t_page; k++)
		if (p[k] != expect_byte(src, q, k))
			return k + 1;
	return 0;
}

/* take the completions in the ring without kicking (the queue may be stopped) */
static int cq_take(struct t_q *q, struct reply *r)
{
	uint32_t tail = t_q_hdr_cq_tail(q);
	int n = tail - q->cq_head;

	if (n > 0) {
		volatile struct wd_soft_cqe *c =
			&q->cq[q->cq_head & (q->depth - 1)];

		r->status = c->status;
		r->user_data = c->user_data;
	}
	q->cq_head = tail;
	__atomic_store_n(&q->mmio->cq_head, tail, __ATOMIC_RELEASE);
	return n;
}

static void reap(struct t_q *q, struct reply *r)
{
	struct wd_soft_cqe c = { 0 };

	r->ncqe = t_q_reap(q, &c, LATE_MS);
	r->status = c.status;
	r->user_data = c.user_data;
}

static __attribute__((noreturn))
void owner_main(int sock, int ua, enum src src, int nq, bool user)
{
	struct t_q q[MAXQ];
	struct hello h;
	uint8_t *p, *dst, *spare;
	int uffd = -1;

	memset(&h, 0, sizeof(h));
	if (user) {
		T_OK(setgroups(0, NULL));
		T_OK(setgid(USER));
		T_OK(setuid(USER));
	}
	if (src == SRC_UFFD) {
		uffd = t_uffd_region((void **)&p, nq * t_page);
		if (uffd < 0)
			T_FAIL("userfaultfd: %s", t_errname(-uffd));
	} else {
		/* one queue: the COPY's READ brings readahead around it */
		int fd = T_OK(open(MNT "/0", O_RDONLY | O_CLOEXEC));

		T_ASSERT(nq == 1);
		p = mmap(NULL, FH_FILE_SIZE, PROT_READ,
			 src == SRC_FUSE_PRIVATE ? MAP_PRIVATE : MAP_SHARED,
			 fd, 0);
		T_ASSERT(p != MAP_FAILED);
		if (src == SRC_FUSE_RANDOM)
			T_OK(madvise(p, FH_FILE_SIZE, MADV_RANDOM));
		p += SRC_PAGE * t_page;		/* never touched by us */
	}
	/* destinations, faulted in now: only the source is missing */
	dst = mmap(NULL, 2 * nq * t_page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(dst != MAP_FAILED);
	memset(dst, 0x5a, 2 * nq * t_page);
	spare = dst + nq * t_page;
	for (int i = 0; i < nq; i++) {
		t_q_setup(&q[i], ua);
		struct wd_soft_sqe s = t_sqe_copy(&q[i], p + i * t_page,
						  dst + i * t_page, t_page,
						  t_page);

		h.src[i] = (uintptr_t)(p + i * t_page);
		h.ud[i] = s.user_data;
		t_q_push(&q[i], &s);
		t_q_publish(&q[i]);
	}
	T_EQ(write(sock, &h, sizeof(h)), sizeof(h));
	if (uffd >= 0)
		t_send_fd(sock, uffd);	/* we keep ours: it goes when we do */

	for (;;) {
		struct cmd c;
		struct reply r = { 0 };

		if (read(sock, &c, sizeof(c)) != sizeof(c))
			_exit(0);	/* the test is gone */
		struct t_q *qq = &q[c.q];
		uint8_t *d = dst + c.q * t_page, *sp = spare + c.q * t_page;

		errno = 0;
		switch (c.op) {
		case 'P':	/* PUT_Q; what is in the ring as it returns */
			r.ret = ioctl(qq->fd, UACCE_CMD_PUT_Q);
			r.err = errno;
			r.ncqe = cq_take(qq, &r);
			break;
		case 'N': {	/* START_Q again, and a NOP */
			struct wd_soft_sqe s = t_sqe_nop(0x4e4f50);

			t_q_start_again(qq);
			t_q_push(qq, &s);
			t_q_publish(qq);
			reap(qq, &r);
			break;
		}
		case 'W':	/* the COPY's completion and its data */
			reap(qq, &r);
			r.bad = first_wrong(d, src, c.q);
			break;
		case 'D': {
			/*
			 * The page came after the COPY was canceled: no
			 * second completion, its destination untouched, and
			 * a new COPY of the page works. (A canceled COPY run
			 * again would show here if the engine did it before
			 * the new one.)
			 */
			struct wd_soft_sqe s = t_sqe_copy(qq, (void *)h.src[c.q],
							  sp, t_page, t_page);

			r.extra = t_q_hdr_cq_tail(qq) - qq->cq_head;
			for (size_t k = 0; k < t_page && !r.dst_bad; k++)
				if (d[k] != 0x5a)
					r.dst_bad = k + 1;
			if (r.extra)
				break;
			t_q_push(qq, &s);
			t_q_publish(qq);
			reap(qq, &r);
			r.bad = first_wrong(sp, src, c.q);
			break;
		}
		case 'C':	/* close */
			t_q_unmap(qq);
			r.ret = close(qq->fd);
			r.err = errno;
			qq->fd = -1;
			break;
		case 'Z': {	/* a removed device's queue */
			struct pollfd pf = { .fd = qq->fd, .events = POLLIN };

			r.ret = ioctl(qq->fd, UACCE_CMD_START_Q);
			r.err = errno;
			poll(&pf, 1, 0);
			r.revents = pf.revents;
			r.sig = t_touch(qq->hdr, false);
			break;
		}
		case 'X':
			_exit(0);
		}
		T_EQ(write(sock, &r, sizeof(r)), sizeof(r));
	}
}

/* read exactly @len bytes before @until; false on timeout or EOF */
static bool read_until(int fd, void *buf, size_t len, uint64_t until)
{
	size_t got = 0;

	while (got < len) {
		uint64_t now = t_now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, now < until ? (int)(until - now) : 0) <= 0)
			return false;
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			return false;
		got += n;
	}
	return true;
}

/* a child opens @nq queues of /dev/uaN and submits a COPY from a missing page on each */
static void owner_start(struct owner *o, int ua, enum src src, int nq,
			bool user)
{
	int sv[2];

	T_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	*o = (struct owner){ .uffd = -1, .src = src, .nq = nq };
	o->pid = t_fork();
	if (o->pid == 0) {
		close(sv[0]);
		owner_main(sv[1], ua, src, nq, user);
	}
	close(sv[1]);
	o->sock = sv[0];
	if (!read_until(o->sock, &o->h, sizeof(o->h), t_now_ms() + FAULT_MS))
		T_FAIL("the queue owner did not submit its requests");
	if (src == SRC_UFFD)
		o->uffd = t_recv_fd(o->sock);
}

static void owner_cmd(struct owner *o, char op, int q)
{
	struct cmd c = { op, q };

	T_EQ(write(o->sock, &c, sizeof(c)), sizeof(c));
}

static bool owner_reply(struct owner *o, struct reply *r, int ms)
{
	return read_until(o->sock, r, sizeof(*r), t_now_ms() + ms);
}

/* the state letter of process @pid in /proc, '?' if unknown */
static char proc_state(pid_t pid)
{
	char p[64], buf[512], *e;

	snprintf(p, sizeof(p), "/proc/%d/stat", pid);
	if (t_read_file(p, buf, sizeof(buf)) <= 0 || !(e = strrchr(buf, ')')))
		return '?';
	return e[1] == ' ' ? e[2] : '?';
}

/*
 * After a command: until the owner has answered, or sleeps uninterruptibly
 * in the kernel (in the call, then), at most BOUND_MS. What runs next then
 * runs while the owner is in that call, if it is still in it at all.
 */
static void replied_or_blocked(struct owner *o)
{
	uint64_t end = t_now_ms() + BOUND_MS;

	while (t_now_ms() < end) {
		struct pollfd p = { .fd = o->sock, .events = POLLIN };

		if (poll(&p, 1, 10) > 0 || proc_state(o->pid) == 'D')
			return;
	}
}

static void owner_exit(struct owner *o)
{
	owner_cmd(o, 'X', 0);
	t_wait_ok(o->pid, BOUND_MS);
	close(o->sock);
	if (o->uffd >= 0)
		close(o->uffd);
	o->uffd = -1;
}

/* ---- the device waits on the page; the page comes ---- */

struct stuck {
	struct owner *o;
	struct fh *fh;		/* the daemon holding the READ, FUSE only */
	unsigned int seen;	/* queues whose page the device asked for */
	uint64_t since;		/* when it was first seen waiting */
	const char *given;	/* how the page came, NULL: not yet */
	uint64_t given_at;	/* and when */
};

/* uffd: read fault messages until the pages of all queues in @want faulted */
static bool uffd_faults(struct stuck *s, unsigned int want, uint64_t until)
{
	while ((s->seen & want) != want) {
		uint64_t now = t_now_ms();
		struct pollfd p = { .fd = s->o->uffd, .events = POLLIN };
		struct uffd_msg m;

		if (now >= until)
			return false;
		poll(&p, 1, until - now);
		if (read(s->o->uffd, &m, sizeof(m)) != sizeof(m) ||
		    m.event != UFFD_EVENT_PAGEFAULT)
			continue;
		for (int i = 0; i < s->o->nq; i++)
			if ((m.arg.pagefault.address & ~(uint64_t)(t_page - 1)) ==
			    s->o->h.src[i])
				s->seen |= 1u << i;
	}
	return true;
}

/* the page comes: filled in (uffd), answered (FUSE), or, when we have no
 * uffd (it went with the owner's), the owner dies; says which */
static const char *stuck_give(struct stuck *s)
{
	static uint8_t page[65536];

	if (s->given)
		return s->given;
	s->given_at = t_now_ms();
	if (s->fh) {
		fh_cmd(s->fh, 'r');
		return s->given = "the FUSE daemon answered";
	}
	if (s->o->uffd < 0) {
		kill(s->o->pid, SIGKILL);
		return s->given = "the owner was killed";
	}
	for (int i = 0; i < s->o->nq; i++) {
		struct uffdio_copy c = { .dst = s->o->h.src[i],
					 .src = (uintptr_t)page,
					 .len = t_page };

		for (size_t k = 0; k < t_page; k++)
			page[k] = uffd_byte(i * t_page + k);
		/* other errors: the page is there already (EEXIST), the
		 * owner is gone (ESRCH); nothing then waits for it */
		while (ioctl(s->o->uffd, UFFDIO_COPY, &c) && errno == EAGAIN)
			;
	}
	return s->given = "the page was supplied";
}

/* wait until the device waits on queue @q's page */
static void stuck_wait(struct stuck *s, int q)
{
	uint64_t until = t_now_ms() + FAULT_MS;
	bool ok;

	if (s->fh) {
		struct fh_read r;

		while ((ok = fh_next_read(s->fh, &r, until)) && !fh_covers(&r))
			;
	} else {
		ok = uffd_faults(s, 1u << q, until);
	}
	if (!ok) {
		stuck_give(s);
		T_FAIL("the device did not ask for the page within %d ms",
		       FAULT_MS);
	}
	if (!s->since)
		s->since = t_now_ms();
}

/*
 * An owner with @n queues (1 or 2) whose first COPY waits for its page
 * from @src: FUSE sources start @fh (an unprivileged owner), userfaultfd
 * ones need root. Returns once the device waits on queue 0's page.
 */
static void stuck_start(struct stuck *s, struct owner *o, struct fh *fh,
			int ua, enum src src, int n, bool user)
{
	if (src == SRC_UFFD) {
		need_uffd();
	} else {
		fh_start(fh, true);
		s->fh = fh;
	}
	if (user)
		dev_chmod(ua, 0666);
	owner_start(o, ua, src, n, user);
	s->o = o;
	stuck_wait(s, 0);
}

/*
 * The owner's answer to its last command, within BOUND_MS while the page is
 * still missing. Else the page comes, and the test fails saying whether
 * and when the call returned then.
 */
static struct reply must_reply(struct stuck *s, const char *what)
{
	struct reply r;
	uint64_t t;
	const char *how;

	if (owner_reply(s->o, &r, BOUND_MS))
		return r;
	how = stuck_give(s);
	t = t_now_ms();
	if (!s->fh && s->o->uffd < 0) {	/* killed: it cannot answer */
		t_wait_sig(s->o->pid, SIGKILL, LATE_MS);
		T_FAIL("%s did not return within %d ms while the page was "
		       "missing; %s (dead %llu ms later)", what, BOUND_MS, how,
		       (unsigned long long)(t_now_ms() - t));
	}
	if (owner_reply(s->o, &r, LATE_MS))
		T_FAIL("%s did not return within %d ms while the page was "
		       "missing; it returned %llu ms after %s", what, BOUND_MS,
		       (unsigned long long)(t_now_ms() - t), how);
	T_FAIL("%s did not return within %d ms while the page was missing, "
	       "nor in the %d ms after %s", what, BOUND_MS, LATE_MS, how);
}

/* PUT_Q returned with the stuck request's one completion, CANCELED */
static void check_put_q(struct stuck *s, int q, const struct reply *r)
{
	if (r->ret)
		T_FAIL("PUT_Q of the stuck queue failed: %s",
		       t_errname(r->err));
	if (r->ncqe != 1)
		T_FAIL("PUT_Q of the stuck queue returned with %d completions "
		       "in the ring, expected 1 (the stuck COPY, CANCELED)",
		       r->ncqe);
	T_EQ_HEX(r->user_data, s->o->h.ud[q]);
	if (r->status != WD_SOFT_S_CANCELED)
		T_FAIL("the stuck COPY completed with status %u at PUT_Q, "
		       "expected CANCELED (%u)", r->status, WD_SOFT_S_CANCELED);
}

/* available_instances back to @n within BOUND_MS */
static void available_back(int ua, int n)
{
	uint64_t end = t_now_ms() + BOUND_MS;
	long long v;

	while ((v = t_attr_ll(ua, "available_instances")) != n &&
	       t_now_ms() < end)
		t_msleep(10);
	if (v != n)
		T_FAIL("available_instances is %lld %d ms after the owner let "
		       "go, expected %d: a queue was not released", v,
		       BOUND_MS, n);
}

/* ---- leaks: threads and module references ---- */

struct kthreads {
	int n;
	int pid[1024];
};

/* kernel threads (children of kthreadd), without the kworker pool, which
 * grows and shrinks on its own */
static void kthreads_now(struct kthreads *k)
{
	DIR *d = opendir("/proc");
	struct dirent *e;

	T_ASSERT(d);
	k->n = 0;
	while ((e = readdir(d)) && k->n < 1024) {
		char p[300], buf[512], *c, *rp;
		int pid = atoi(e->d_name), ppid;

		snprintf(p, sizeof(p), "/proc/%s/stat", e->d_name);
		if (pid <= 0 || t_read_file(p, buf, sizeof(buf)) <= 0 ||
		    !(c = strchr(buf, '(')) || !(rp = strrchr(buf, ')')) ||
		    sscanf(rp + 1, " %*c %d", &ppid) != 1)
			continue;
		if ((ppid == 2 || pid == 2) && strncmp(c + 1, "kworker", 7))
			k->pid[k->n++] = pid;
	}
	closedir(d);
}

/* within BOUND_MS, no kernel thread is left that was not in @base */
static void kthreads_back(const struct kthreads *base)
{
	uint64_t end = t_now_ms() + BOUND_MS;
	char extra[512];

	for (;;) {
		struct kthreads now;
		size_t len = 0;

		kthreads_now(&now);
		extra[0] = 0;
		for (int i = 0; i < now.n; i++) {
			bool old = false;
			char p[64], comm[64] = "?";

			for (int j = 0; j < base->n && !old; j++)
				old = base->pid[j] == now.pid[i];
			if (old)
				continue;
			snprintf(p, sizeof(p), "/proc/%d/comm", now.pid[i]);
			t_read_file(p, comm, sizeof(comm));
			comm[strcspn(comm, "\n")] = 0;
			len += snprintf(extra + len, sizeof(extra) - len, " %s",
					comm);
			if (len >= sizeof(extra))
				break;
		}
		if (!extra[0])
			return;
		if (t_now_ms() > end)
			T_FAIL("kernel threads left %d ms after the page came "
			       "or could no longer come:%s", BOUND_MS, extra);
		t_msleep(10);
	}
}

static void job_rmmod(struct job *j)
{
	j->ret = mod_remove(j->mod);
	if (j->ret)
		snprintf(j->err, sizeof(j->err), "rmmod %s: %s", j->mod,
			 t_errname(-j->ret));
}

/* rmmod @m, retrying while busy, within BOUND_MS: 0 or -errno */
static int rmmod_within(const char *m)
{
	uint64_t end = t_now_ms() + BOUND_MS;
	struct job j = { .what = "rmmod", .fn = job_rmmod, .mod = m };

	for (;;) {
		job_start(&j);
		if (!jobs_wait(&j, 1, end + LATE_MS))
			T_FAIL("rmmod %s hung", m);
		pthread_join(j.th, NULL);
		if ((j.ret != -EBUSY && j.ret != -EAGAIN) || t_now_ms() > end)
			return j.ret;
		t_msleep(20);	/* references are dropped asynchronously */
	}
}

/* nothing holds the modules: both unload; then back for the next tests */
static void modules_unload_reload(void)
{
	int r;

	if (!have_modules()) {
		t_note("no %s/*.ko: module unloading not checked", KO_DIR);
		return;
	}
	r = rmmod_within("wd_soft");
	if (r)
		T_FAIL("rmmod wd_soft: %s", t_errname(-r));
	r = rmmod_within("uacce");
	if (r)
		T_FAIL("rmmod uacce %d ms after the page came or could no "
		       "longer come: %s", BOUND_MS, t_errname(-r));
	modules_back();
	T_ASSERT(t_mod_loaded("uacce") && t_mod_loaded("wd_soft"));
}

/* ===================================================================== */

/*
 * The owner stops its queue while its COPY waits for the page: PUT_Q
 * returns at once with the COPY canceled, the queue starts again and works
 * at once; when the page comes later, the canceled COPY does not come back
 * to life (no second completion, its destination untouched).
 */
static void put_q_while_stuck(enum src src, bool user)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	struct stuck s = { 0 };
	struct owner o;
	struct reply r;
	struct fh fh;

	stuck_start(&s, &o, &fh, in.ua, src, 1, user);

	owner_cmd(&o, 'P', 0);
	r = must_reply(&s, "PUT_Q of the queue whose COPY waits for a page");
	check_put_q(&s, 0, &r);
	owner_cmd(&o, 'N', 0);
	r = must_reply(&s, "START_Q and a NOP after that PUT_Q");
	T_ASSERT_MSG(r.ncqe == 1 && r.status == WD_SOFT_S_OK,
		     "NOP after PUT_Q and START_Q: %d completions, status %u",
		     r.ncqe, r.status);

	stuck_give(&s);
	owner_cmd(&o, 'D', 0);
	T_ASSERT_MSG(owner_reply(&o, &r, LATE_MS),
		     "no answer from the owner after the page came");
	T_ASSERT_MSG(r.extra == 0, "%d completions appeared once the page "
		     "came: the canceled COPY ran again", r.extra);
	T_ASSERT_MSG(!r.dst_bad, "the canceled COPY wrote its destination "
		     "(byte %ld) once the page came", r.dst_bad - 1);
	T_ASSERT_MSG(r.ncqe == 1 && r.status == WD_SOFT_S_OK && !r.bad,
		     "COPY of the page once it came: %d completions, status "
		     "%u, first wrong byte %ld", r.ncqe, r.status, r.bad - 1);

	owner_cmd(&o, 'C', 0);
	T_ASSERT(owner_reply(&o, &r, BOUND_MS) && r.ret == 0);
	owner_exit(&o);
	available_back(in.ua, NQ);
	if (src != SRC_UFFD)
		fh_kill(&fh);
}

/* root, a userfaultfd range */
T_TEST_TMO(uffd_put_q_cancels_at_once, 120)
{
	put_q_while_stuck(SRC_UFFD, false);
}

/* an unprivileged owner, a FUSE file whose daemon does not answer */
T_TEST_TMO(fuse_user_put_q_cancels_at_once, 120)
{
	put_q_while_stuck(SRC_FUSE_SHARED, true);
}

/* ---- nobody else waits on the stuck queue ---- */

/* a NOP on queue j->q, its completion seen by poll() */
static void job_nop_poll(struct job *j)
{
	struct wd_soft_sqe s = t_sqe_nop(0x6e6f70);
	struct pollfd p = { .fd = j->q->fd, .events = POLLIN };
	uint64_t end = t_now_ms() + BOUND_MS + LATE_MS;
	struct wd_soft_cqe c;

	t_q_push(j->q, &s);
	t_q_publish(j->q);
	while (!(p.revents & POLLIN) && t_now_ms() < end)
		poll(&p, 1, 100);
	if (!(p.revents & POLLIN))
		snprintf(j->err, sizeof(j->err), "poll() never gave POLLIN");
	else if (t_q_reap(j->q, &c, 0) != 1 || c.status != WD_SOFT_S_OK)
		snprintf(j->err, sizeof(j->err), "POLLIN but no good "
			 "completion");
}

static void job_open_close(struct job *j)
{
	int fd = t_open_raw(j->ua);

	if (fd < 0)
		snprintf(j->err, sizeof(j->err), "open: %s", t_errname(-fd));
	else if (close(fd))
		snprintf(j->err, sizeof(j->err), "close: %s", t_errname(errno));
}

/* every attribute of /sys/class/uacce/uaN/ */
static void job_sysfs(struct job *j)
{
	char dir[64], p[320], buf[4096];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "/sys/class/uacce/ua%d", j->ua);
	d = opendir(dir);
	if (!d) {
		snprintf(j->err, sizeof(j->err), "opendir %s", dir);
		return;
	}
	while ((e = readdir(d))) {
		int n;

		if (e->d_type != DT_REG)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		n = t_read_file(p, buf, sizeof(buf));
		if (n < 0 && !j->err[0])
			snprintf(j->err, sizeof(j->err), "reading %.64s: %s",
				 e->d_name, t_errname(-n));
	}
	closedir(d);
}


/* append to @msg what went wrong with the jobs run @when */
static void judge(const struct stuck *s, struct job *j, int n,
		  const char *when, char *msg, size_t len)
{
	for (int i = 0; i < n; i++) {
		size_t l = strlen(msg);
		uint64_t after = j[i].end > s->given_at ?
				 j[i].end - s->given_at : 0;

		if (j[i].late && atomic_load(&j[i].done))
			snprintf(msg + l, len - l, "; %s: %s not done within "
				 "%d ms (done %llu ms after %s)", when,
				 j[i].what, BOUND_MS, (unsigned long long)after,
				 s->given);
		else if (j[i].late)
			snprintf(msg + l, len - l, "; %s: %s not done even "
				 "%d ms after %s", when, j[i].what, LATE_MS,
				 s->given);
		else if (j[i].err[0])
			snprintf(msg + l, len - l, "; %s: %s: %s", when,
				 j[i].what, j[i].err);
	}
}

static bool jobs_ok(const struct job *j, int n)
{
	for (int i = 0; i < n; i++)
		if (j[i].late || j[i].err[0])
			return false;
	return true;
}

/*
 * Process A (unprivileged, its FUSE page held) has a COPY waiting for its
 * page on an instance with one engine. Process B, the test, uses the same
 * instance: its requests on that engine complete, seen by poll(), and its
 * open, close and sysfs reads return, both while A's COPY waits and while
 * A closes its queue. The page stays missing STUCK_MS at least while B's
 * requests keep completing: passing never depends on the page.
 */
T_TEST_TMO(stuck_queue_delays_nobody, 120)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	struct stuck s = { 0 };
	struct t_q qb[2];
	struct job jobs[2][3];
	struct owner o;
	struct reply r;
	struct fh fh;
	char msg[1000] = "";
	bool a_closed;
	uint64_t t;

	for (int i = 0; i < 2; i++) {
		struct wd_soft_sqe nop = t_sqe_nop(i);

		t_q_setup(&qb[i], in.ua);
		T_EQ(t_q_run(&qb[i], &nop).status, WD_SOFT_S_OK);
	}
	stuck_start(&s, &o, &fh, in.ua, SRC_FUSE_SHARED, 1, true);

	/* B's checks, once per phase; a phase's NOP has a queue of its own
	 * in case the previous one's is still stuck */
	for (int ph = 0; ph < 2; ph++) {
		jobs[ph][0] = (struct job){ .what = "B's NOP on the same engine",
					    .fn = job_nop_poll, .q = &qb[ph] };
		jobs[ph][1] = (struct job){ .what = "B's open() and close()",
					    .fn = job_open_close, .ua = in.ua };
		jobs[ph][2] = (struct job){ .what = "B's read of every sysfs "
					    "attribute", .fn = job_sysfs,
					    .ua = in.ua };
	}
	/* phase 1: A's COPY waits for its page */
	jobs_run(jobs[0], 3);
	/* phase 2: A closes its queue; B's checks once A is done or in it */
	owner_cmd(&o, 'C', 0);
	t = t_now_ms();
	replied_or_blocked(&o);
	jobs_run(jobs[1], 3);
	a_closed = read_until(o.sock, &r, sizeof(r), t + BOUND_MS);

	if (!a_closed || !jobs_ok(jobs[0], 3) || !jobs_ok(jobs[1], 3)) {
		stuck_give(&s);
		jobs_wait(jobs[0], 3, t_now_ms() + LATE_MS);
		jobs_wait(jobs[1], 3, t_now_ms() + LATE_MS);
		if (!a_closed) {
			a_closed = owner_reply(&o, &r, LATE_MS);
			snprintf(msg, sizeof(msg), "; A's close() of its queue "
				 "not done within %d ms (%s %llu ms after %s)",
				 BOUND_MS, a_closed ? "done" : "not even",
				 (unsigned long long)(t_now_ms() - s.given_at),
				 s.given);
		}
		judge(&s, jobs[0], 3, "A's COPY waits", msg, sizeof(msg));
		judge(&s, jobs[1], 3, "A closes", msg, sizeof(msg));
		T_FAIL("%s", msg + 2);
	}
	T_ASSERT_MSG(r.ret == 0, "A's close: %s", t_errname(r.err));

	/* the page stays missing; B's requests keep completing */
	while (t_now_ms() - s.since < STUCK_MS) {
		struct job *j = &jobs[0][0];

		pthread_join(j->th, NULL);
		if (!jobs_run(j, 1) || j->err[0]) {
			stuck_give(&s);
			jobs_wait(j, 1, t_now_ms() + LATE_MS);
			judge(&s, j, 1, "later", msg, sizeof(msg));
			T_FAIL("%s", msg + 2);
		}
		t_msleep(100);	/* pace, not synchronisation */
	}
	stuck_give(&s);
	owner_exit(&o);
	t_q_close(&qb[0]);
	t_q_close(&qb[1]);
	available_back(in.ua, NQ);
	fh_kill(&fh);
}

/* ---- removal while the page is missing ---- */

static void job_del_device(struct job *j)
{
	char id[16];

	snprintf(id, sizeof(id), "%d", j->id);
	j->ret = t_inst_del_raw(id);
	if (j->ret)
		snprintf(j->err, sizeof(j->err), "%s", t_errname(-j->ret));
}

/*
 * Root's owner has two queues on two engines, each with a COPY waiting for
 * its userfaultfd page, and is in PUT_Q of the second (or done with it):
 * the case where del_device slept on the queue's mutex. Removing
 * the device (del_device, or rmmod wd_soft) returns at once and turns both
 * queues into zombies; close works; rmmod uacce may wait until the pages
 * come, and then works.
 */
static void removal_while_stuck(bool rmmod)
{
	struct t_inst in = t_inst_create("queues=4 engines=2");
	struct job rm = { .what = rmmod ? "rmmod wd_soft" : "del_device",
			  .fn = rmmod ? job_rmmod : job_del_device,
			  .mod = "wd_soft", .id = in.id };
	struct stuck s = { 0 };
	struct owner o;
	struct reply r;
	int ret;

	need_uffd();
	if (!have_modules())
		t_skip("no %s/*.ko", KO_DIR);
	owner_start(&o, in.ua, SRC_UFFD, 2, false);
	s.o = &o;
	stuck_wait(&s, 0);
	stuck_wait(&s, 1);
	owner_cmd(&o, 'P', 1);
	replied_or_blocked(&o);

	if (!jobs_run(&rm, 1)) {
		stuck_give(&s);
		jobs_wait(&rm, 1, t_now_ms() + LATE_MS);
		if (atomic_load(&rm.done))
			T_FAIL("%s did not return within %d ms while the "
			       "owner's COPYs waited for their pages (one in "
			       "PUT_Q); it returned %llu ms after %s", rm.what,
			       BOUND_MS,
			       (unsigned long long)(rm.end - s.given_at),
			       s.given);
		T_FAIL("%s did not return within %d ms while the owner's "
		       "COPYs waited for their pages, nor %d ms after %s",
		       rm.what, BOUND_MS, LATE_MS, s.given);
	}
	if (rm.err[0])
		T_FAIL("%s: %s", rm.what, rm.err);
	T_ASSERT(!t_inst_exists(in.id));
	r = must_reply(&s, "PUT_Q, the device being removed");
	T_ASSERT_MSG(r.ret == 0 || r.err == ENODEV, "PUT_Q: %s",
		     t_errname(r.err));

	/* zombies: ENODEV, POLLHUP, SIGBUS on the rings; close works */
	for (int q = 0; q < 2; q++) {
		owner_cmd(&o, 'Z', q);
		r = must_reply(&s, "the checks of a removed device's queue");
		T_ASSERT_MSG(r.ret == -1 && r.err == ENODEV, "queue %d: "
			     "START_Q after removal: %d %s", q, r.ret,
			     t_errname(r.err));
		T_ASSERT_MSG(r.revents & POLLHUP, "queue %d: poll after "
			     "removal: revents %#x", q, r.revents);
		T_ASSERT_MSG(r.sig == SIGBUS, "queue %d: touching the ring "
			     "after removal: signal %d", q, r.sig);
		owner_cmd(&o, 'C', q);
		r = must_reply(&s, "close of a removed device's queue");
		T_ASSERT_MSG(r.ret == 0, "close: %s", t_errname(r.err));
	}
	if (!rmmod) {
		ret = rmmod_within("wd_soft");
		if (ret)
			T_FAIL("rmmod wd_soft while the pages are missing: "
			       "%s", t_errname(-ret));
	}
	/* uacce may still wait for its fault threads: EBUSY is allowed */
	ret = mod_remove("uacce");
	if (ret != 0 && ret != -EBUSY && ret != -EAGAIN)
		T_FAIL("rmmod uacce while the pages are missing: %s",
		       t_errname(-ret));
	t_note("rmmod uacce while the pages are missing: %s",
	       ret ? t_errname(-ret) : "done");

	stuck_give(&s);
	if (t_mod_loaded("uacce")) {
		ret = rmmod_within("uacce");
		if (ret)
			T_FAIL("rmmod uacce %d ms after the pages came: %s",
			       BOUND_MS, t_errname(-ret));
	}
	modules_back();
	owner_exit(&o);
}

T_TEST_TMO(del_device_while_stuck, 120)
{
	removal_while_stuck(false);
}

T_TEST_TMO(rmmod_while_stuck, 120)
{
	removal_while_stuck(true);
}

/* ---- nothing left, whether the page comes or never can ---- */

/* the owner's stuck queue, closed at once while the page is missing */
static void close_while_stuck(struct stuck *s)
{
	struct reply r;

	owner_cmd(s->o, 'C', 0);
	r = must_reply(s, "close() of the queue whose COPY waits for a page");
	T_ASSERT_MSG(r.ret == 0, "close: %s", t_errname(r.err));
}

/* what the instance of @nq queues held is gone, its threads too; the
 * modules unload */
static void nothing_left_n(struct t_inst *in, const struct kthreads *base,
			   int nq)
{
	available_back(in->ua, nq);
	t_inst_delete(in);
	kthreads_back(base);
	modules_unload_reload();
}

static void nothing_left(struct t_inst *in, const struct kthreads *base)
{
	nothing_left_n(in, base, NQ);
}

/* the page comes after the owner closed its queue */
T_TEST_TMO(nothing_left_when_page_comes_late, 120)
{
	struct kthreads base;
	struct stuck s = { 0 };
	struct owner o;

	need_uffd();
	kthreads_now(&base);
	struct t_inst in = t_inst_create("queues=4 engines=1");

	stuck_start(&s, &o, NULL, in.ua, SRC_UFFD, 1, false);
	close_while_stuck(&s);
	stuck_give(&s);
	nothing_left(&in, &base);
	owner_exit(&o);
}

/* the page never comes: the owner, its queue closed, is killed; its
 * userfaultfd (we keep no copy) goes with it */
T_TEST_TMO(nothing_left_when_owner_dies_after_close, 120)
{
	struct kthreads base;
	struct stuck s = { 0 };
	struct owner o;

	need_uffd();
	kthreads_now(&base);
	struct t_inst in = t_inst_create("queues=4 engines=1");

	stuck_start(&s, &o, NULL, in.ua, SRC_UFFD, 1, false);
	close(o.uffd);
	o.uffd = -1;	/* from here stuck_give() kills the owner */
	close_while_stuck(&s);
	kill(o.pid, SIGKILL);
	t_wait_sig(o.pid, SIGKILL, BOUND_MS);
	nothing_left(&in, &base);
}

/* as t_stall did: the owner dies with its queue started and its COPY
 * waiting; the device then works for others */
T_TEST_TMO(owner_killed_while_device_waits, 120)
{
	struct kthreads base;
	struct stuck s = { 0 };
	struct owner o;
	struct t_q q;
	struct wd_soft_sqe nop = t_sqe_nop(3);

	need_uffd();
	kthreads_now(&base);
	struct t_inst in = t_inst_create("queues=4 engines=1");

	stuck_start(&s, &o, NULL, in.ua, SRC_UFFD, 1, false);
	close(o.uffd);
	o.uffd = -1;
	kill(o.pid, SIGKILL);
	t_wait_sig(o.pid, SIGKILL, BOUND_MS);
	available_back(in.ua, NQ);
	t_q_setup(&q, in.ua);
	T_EQ(t_q_run(&q, &nop).status, WD_SOFT_S_OK);
	t_q_close(&q);
	nothing_left(&in, &base);
}

/* the page never comes: the FUSE daemon dies after the unprivileged owner
 * closed its queue */
T_TEST_TMO(nothing_left_when_fuse_daemon_dies, 120)
{
	struct kthreads base;
	struct stuck s = { 0 };
	struct owner o;
	struct fh fh;

	kthreads_now(&base);
	struct t_inst in = t_inst_create("queues=4 engines=1");

	stuck_start(&s, &o, &fh, in.ua, SRC_FUSE_SHARED, 1, true);
	close_while_stuck(&s);
	fh_kill(&fh);
	owner_exit(&o);
	nothing_left(&in, &base);
}

/*
 * Waits no stop can abort: the owner closes queues whose fault thread waits
 * uninterruptibly for a FUSE daemon that took the READ. The threads stay
 * until the daemon answers, holding no queue of the device; but a device
 * keeps no more of them than it has queues: then it takes no new queue
 * (nobody piles up threads), until the daemon answers.
 */
T_TEST_TMO(waiting_threads_bounded, 120)
{
	struct kthreads base;
	struct stuck s = { 0 };
	struct owner o;
	struct fh fh;
	int fd;

	kthreads_now(&base);
	struct t_inst in = t_inst_create("queues=1 engines=1");

	stuck_start(&s, &o, &fh, in.ua, SRC_FUSE_RANDOM, 1, true);
	close_while_stuck(&s);
	/* the queue's fault thread waits for FUSE's answer, unkillably */
	char comm[32], p[64], wchan[64] = "";
	int pid, n;

	snprintf(comm, sizeof(comm), "ua%d-pf", in.ua);
	t_tasks_named(comm, &pid);
	T_ASSERT_MSG(pid, "no %s thread", comm);
	snprintf(p, sizeof(p), "/proc/%d/wchan", pid);
	for (uint64_t end = t_now_ms() + BOUND_MS;; t_msleep(1)) {
		n = t_read_file(p, wchan, sizeof(wchan) - 1);
		wchan[n > 0 ? n : 0] = 0;
		if (strstr(wchan, "request_wait_answer"))
			break;
		if (t_now_ms() > end) {
			stuck_give(&s);
			T_FAIL("%s not waiting for FUSE's answer (wchan %s)",
			       comm, wchan);
		}
	}
	/* one queue, one thread left waiting: no new queue */
	if (t_attr_ll(in.ua, "available_instances") != 0 ||
	    (fd = t_open_raw(in.ua)) != -EBUSY) {
		stuck_give(&s);
		T_FAIL("a closed queue's thread waits for the FUSE daemon and "
		       "the one-queue device still takes a queue");
	}
	/* the daemon answers: the thread ends, the device takes queues */
	stuck_give(&s);
	available_back(in.ua, 1);
	fd = t_open_raw(in.ua);
	T_ASSERT_MSG(fd >= 0, "open once the thread ended: %s", t_errname(-fd));
	close(fd);
	fh_kill(&fh);
	owner_exit(&o);
	nothing_left_n(&in, &base, 1);
}

/* ---- the owner's credentials ---- */

/*
 * An unprivileged owner copies a page of a FUSE file it mapped and never
 * touched: the daemon gets the READ the device's fault causes, and must
 * see the owner's uid and gid, not root's.
 */
static void fuse_uid(enum src src)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	struct fh_read rd;
	struct owner o;
	struct reply r;
	struct fh fh;
	int nread = 0, covering = 0;

	fh_start(&fh, false);
	dev_chmod(in.ua, 0666);
	owner_start(&o, in.ua, src, 1, true);
	owner_cmd(&o, 'W', 0);
	T_ASSERT_MSG(owner_reply(&o, &r, LATE_MS), "no answer from the owner");
	T_ASSERT_MSG(r.ncqe == 1 && r.status == WD_SOFT_S_OK,
		     "COPY from the FUSE page: %d completions, status %u",
		     r.ncqe, r.status);
	T_ASSERT_MSG(!r.bad, "COPY from the FUSE page: byte %ld wrong",
		     r.bad - 1);
	/* the daemon logged the READs before answering them */
	while (fh_next_read(&fh, &rd, t_now_ms())) {
		nread++;
		covering += fh_covers(&rd);
		if (rd.uid != USER || rd.gid != USER)
			T_FAIL("the FUSE daemon got READ(file %u, offset %lld, "
			       "%zu bytes) from uid %u gid %u pid %u: the page "
			       "was faulted in with credentials other than "
			       "the owner's (uid %d gid %d)", rd.file, rd.off,
			       rd.size, rd.uid, rd.gid, rd.pid, USER, USER);
	}
	T_ASSERT_MSG(covering, "the daemon got %d READs, none of the copied "
		     "page", nread);
	owner_exit(&o);
	fh_kill(&fh);
}

T_TEST_TMO(fuse_read_as_owner_shared, 90)
{
	fuse_uid(SRC_FUSE_SHARED);
}

T_TEST_TMO(fuse_read_as_owner_private, 90)
{
	fuse_uid(SRC_FUSE_PRIVATE);
}
