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
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>


#define NSLOT		3	/* controller devices: IDs t_id_base() + 0..2 */
#define MAX_WORKERS	16
#define NFD		12

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* shared between the controller and the workers (MAP_SHARED) */
struct shared {
	volatile int ua[NSLOT];		/* current /dev/uaN of each slot, -1 */
	volatile int stop;
	volatile unsigned long ops, unexpected, sigs, forks, kills, passed;
	volatile unsigned long opens, maps, ioctls_ok, removals, isolations;
	char first[512];		/* the first unexpected result */
};
static struct shared *S;

static uint64_t rs;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int pct)
{
	return rndn(100) < pct;
}

static void unexpected(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void unexpected(const char *fmt, ...)
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
static void expect_errno(const char *what, int err, const int *ok)
{
	for (; *ok; ok++)
		if (err == *ok)
			return;
	unexpected("%s: %s", what, t_errname(err));
}

/* ---- guarded memory access: SIGSEGV/SIGBUS become a return value ---- */

static sigjmp_buf guard_env;
static volatile sig_atomic_t in_guard;

static void on_fault(int sig)
{
	if (in_guard) {
		in_guard = 0;
		siglongjmp(guard_env, sig);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

#define CNT(x)	__atomic_fetch_add(&S->x, 1, __ATOMIC_RELAXED)

#define GUARDED(...) ({							\
	int __sig = sigsetjmp(guard_env, 1);				\
	if (!__sig) {							\
		in_guard = 1;						\
		__VA_ARGS__;						\
		in_guard = 0;						\
	} else {							\
		CNT(sigs);						\
	}								\
	__sig;								\
})

/* ---- a worker's table of descriptors ---- */

struct ent {
	int fd;
	bool mine;		/* opened by this process (it owns the queue) */
	pid_t owner;		/* the process that opened it */
	void *map[UACCE_QFRT_MAX];
	size_t len[UACCE_QFRT_MAX];
	uint32_t sq_tail;
};

static struct ent E[NFD];
static int my_sock, peer_socks[MAX_WORKERS], nworkers, me;
static pid_t kids[8];

/* a random open entry, or NULL when there is none */
static struct ent *pick(void)
{
	int used[NFD], n = 0;

	for (int i = 0; i < NFD; i++)
		if (E[i].fd >= 0)
			used[n++] = i;
	return n ? &E[used[rndn(n)]] : NULL;
}

static struct ent *free_ent(void)
{
	for (int i = 0; i < NFD; i++)
		if (E[i].fd < 0)
			return &E[i];
	return NULL;
}

static void ent_drop(struct ent *e)
{
	for (int t = 0; t < UACCE_QFRT_MAX; t++)
		if (e->map[t])
			munmap(e->map[t], e->len[t]);
	close(e->fd);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

static const int E_OPEN[] = { ENODEV, ENXIO, ENOENT, EBUSY, EIO, ENOMEM, 0 };
static const int E_MMAP[] = { EINVAL, EPERM, ENODEV, EEXIST, ENOMEM, EACCES, 0 };
static const int E_MAP_FOREIGN[] = { EINVAL, EPERM, ENODEV, EACCES, ENOMEM, 0 };
static const int E_IOCTL[] = { EINVAL, EPERM, ENODEV, ENOTTY, EBADF, EEXIST,
			       ENXIO, EFAULT, 0 };
static const int E_IOCTL_FOREIGN[] = { EPERM, ENODEV, 0 };
static const int E_MUNMAP[] = { EINVAL, 0 };
static const int E_MPROTECT[] = { EINVAL, EACCES, 0 };
static const int E_MREMAP[] = { EINVAL, EFAULT, ENOMEM, 0 };
/* EIO: a debugfs file (fail_next) written while its device is removed */
static const int E_SYSFS[] = { EINVAL, EEXIST, ENODEV, ENOSPC, EBUSY, ENOENT,
			       EACCES, EPERM, EIO, 0 };

static int slot_ua(void)
{
	if (chance(5))
		return (int)rndn(24);	/* maybe a device that is gone */
	return S->ua[rndn(NSLOT)];
}

static void do_open(void)
{
	struct ent *e = free_ent();
	char path[32];
	int ua = slot_ua(), fd;

	if (!e || ua < 0)
		return;
	fd = open(t_dev_path(ua, path), O_RDWR | (chance(50) ? O_CLOEXEC : 0));
	if (fd < 0) {
		expect_errno("open", errno, E_OPEN);
		return;
	}
	CNT(opens);
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->mine = true;
	e->owner = getpid();
}

static size_t region_len(int t)
{
	switch (rndn(10)) {
	case 0:
		return t_page * (1 + rndn(32));
	case 1:
		return 0;
	case 2:
		return (size_t)128 << 20;
	default:
		return t == UACCE_QFRT_DUS ? WD_SOFT_DUS_SIZE :
		       t == UACCE_QFRT_SS ? t_page * (1 + rndn(16)) : t_page;
	}
}

static void do_mmap(void)
{
	struct ent *e = pick();
	int t = (int)rndn(UACCE_QFRT_MAX + 1), prot;
	size_t len;
	void *p;

	if (!e)
		return;
	/* mostly the regions a program maps, so that queues get used */
	if (chance(60)) {
		for (t = 0; t < UACCE_QFRT_MAX && e->map[t]; t++)
			;
		if (t == UACCE_QFRT_MAX)
			t = (int)rndn(UACCE_QFRT_MAX);
	}
	len = region_len(t);
	prot = (int)rndn(8);	/* any of READ, WRITE, EXEC */
	if (chance(70))
		prot = PROT_READ | PROT_WRITE;
	if (t == UACCE_QFRT_DKO && chance(70))
		prot = PROT_NONE;
	p = mmap(NULL, len, prot, chance(90) ? MAP_SHARED : MAP_PRIVATE, e->fd,
		 (off_t)t * (off_t)t_page);
	if (p == MAP_FAILED) {
		expect_errno("mmap", errno, e->mine ? E_MMAP : E_MAP_FOREIGN);
		return;
	}
	if (!e->mine) {
		unexpected("mmap of region %d succeeded in a process that does not own the queue", t);
		munmap(p, len);
		return;
	}
	CNT(maps);
	if (t >= UACCE_QFRT_MAX || e->map[t]) {
		unexpected("mmap of region %d (len %zu) succeeded twice or beyond the regions", t, len);
		munmap(p, len);
		return;
	}
	e->map[t] = p;
	e->len[t] = len;
}

/* a random mapped region of any entry */
static struct ent *pick_mapped(int *t)
{
	int m[NFD * UACCE_QFRT_MAX], n = 0, k;

	for (int i = 0; i < NFD; i++)
		for (int r = 0; r < UACCE_QFRT_MAX; r++)
			if (E[i].fd >= 0 && E[i].map[r])
				m[n++] = i * UACCE_QFRT_MAX + r;
	if (!n)
		return NULL;
	k = m[rndn(n)];
	*t = k % UACCE_QFRT_MAX;
	return &E[k / UACCE_QFRT_MAX];
}

static void do_munmap(void)
{
	int t;
	struct ent *e = pick_mapped(&t);

	if (!e)
		return;
	if (e->len[t] > t_page && chance(30)) {
		/* partial: regions cannot be split */
		if (munmap((uint8_t *)e->map[t] + t_page, t_page) == 0)
			unexpected("partial munmap of region %d succeeded", t);
		else
			expect_errno("partial munmap", errno, E_MUNMAP);
		return;
	}
	if (munmap(e->map[t], e->len[t]))
		unexpected("munmap: %s", t_errname(errno));
	e->map[t] = NULL;
}

static void do_mprotect(void)
{
	int t, prot = (int)rndn(8);
	struct ent *e = pick_mapped(&t);

	if (!e)
		return;
	if (mprotect(e->map[t], chance(70) ? e->len[t] : t_page, prot))
		expect_errno("mprotect", errno, E_MPROTECT);
	else if (t == UACCE_QFRT_DKO && prot)
		unexpected("DKO made accessible (prot %d)", prot);
}

static void do_mremap(void)
{
	int t;
	struct ent *e = pick_mapped(&t);
	size_t len;
	void *p;

	if (!e)
		return;
	len = e->len[t] * (1 + rndn(2));
	p = mremap(e->map[t], e->len[t], len, MREMAP_MAYMOVE);
	if (p == MAP_FAILED) {
		expect_errno("mremap", errno, E_MREMAP);
		return;
	}
	/* regions are never moved or grown */
	if (p != e->map[t])
		unexpected("mremap moved region %d", t);
	else if (len != e->len[t])
		unexpected("mremap grew region %d", t);
}

static void do_madvise(void)
{
	static const int adv[] = { MADV_DOFORK, MADV_DONTFORK, MADV_DONTNEED,
				   MADV_WILLNEED, MADV_REMOVE, MADV_FREE,
				   MADV_DONTDUMP, MADV_DODUMP, MADV_COLD,
				   MADV_PAGEOUT, MADV_NORMAL, MADV_SEQUENTIAL };
	int t;
	struct ent *e = pick_mapped(&t);

	if (!e)
		return;
	/* any errno is fine; the kernel must just survive it */
	(void)madvise(e->map[t], e->len[t], adv[rndn(sizeof(adv) / sizeof(adv[0]))]);
}

static void do_touch(void)
{
	int t;
	struct ent *e = pick_mapped(&t);
	volatile uint8_t *volatile p;
	volatile bool w = chance(50);

	if (!e)
		return;
	p = (uint8_t *)e->map[t] + rndn(e->len[t]);
	GUARDED({
		uint8_t v = *p;

		if (w && t != UACCE_QFRT_MMIO)
			*p = v;
	});
}

/* Write a few SQEs (NOPs, copies inside the ring page, garbage) and the doorbell. */
static void do_ring(void)
{
	struct ent *e = pick();
	struct wd_soft_mmio *mmio;
	struct wd_soft_sqe *sq;
	int n = 1 + (int)rndn(8);

	if (!e || !e->map[UACCE_QFRT_MMIO] || !e->map[UACCE_QFRT_DUS] ||
	    e->len[UACCE_QFRT_DUS] < WD_SOFT_DUS_SIZE || e->len[UACCE_QFRT_MMIO] < t_page)
		return;
	mmio = e->map[UACCE_QFRT_MMIO];
	sq = (struct wd_soft_sqe *)((uint8_t *)e->map[UACCE_QFRT_DUS] + WD_SOFT_SQ_OFF);
	GUARDED({
		uint32_t head = ((volatile struct wd_soft_dus_hdr *)e->map[UACCE_QFRT_DUS])->cq_tail;

		if (chance(50))
			e->sq_tail = head;
		for (int i = 0; i < n; i++) {
			struct wd_soft_sqe s = { .user_data = rnd() };

			if (chance(30)) {
				t_fill_random(&s, sizeof(s), rnd());
			} else if (chance(50)) {
				s.op = WD_SOFT_OP_COPY;
				s.src = (uintptr_t)e->map[UACCE_QFRT_DUS] + rndn(4096);
				s.dst = (uintptr_t)e->map[UACCE_QFRT_DUS] + 2048 + rndn(1024);
				s.src_len = s.dst_len = (uint32_t)rndn(1024);
			}
			sq[e->sq_tail++ & (WD_SOFT_DEPTH - 1)] = s;
		}
		__atomic_store_n(&mmio->sq_tail, chance(5) ? (uint32_t)rnd() : e->sq_tail,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&mmio->cq_head, head, __ATOMIC_RELEASE);
	});
	if (ioctl(e->fd, WD_SOFT_CMD_KICK) && e->mine)
		expect_errno("KICK", errno, E_IOCTL);
}

static void do_ioctl(void)
{
	struct ent *e = pick(), *o = pick();
	unsigned long arg = rnd();
	unsigned int cmd;
	__u64 dma;
	int r;

	if (!e)
		return;
	switch (rndn(10)) {
	case 0:
	case 1:
	case 8:
		cmd = UACCE_CMD_START_Q;
		break;
	case 2:
		cmd = UACCE_CMD_PUT_Q;
		break;
	case 3:
		cmd = UACCE_CMD_SHARE_SVAS;
		arg = o && chance(80) ? (unsigned long)o->fd : rndn(64);
		break;
	case 4:
		cmd = UACCE_CMD_GET_SS_DMA;
		arg = chance(70) ? (uintptr_t)&dma : chance(50) ? 0 : rnd();
		break;
	case 5:
		cmd = WD_SOFT_CMD_KICK;
		break;
	case 6:
		cmd = _IO('W', rndn(16));
		break;
	case 7:
		cmd = (unsigned int)rnd();
		break;
	case 9:
		cmd = _IOWR('W', rndn(8), __u64);
		arg = (uintptr_t)&dma;
		break;
	}
	r = ioctl(e->fd, cmd, arg);
	if (r) {
		expect_errno("ioctl", errno, e->mine ? E_IOCTL : E_IOCTL_FOREIGN);
	} else {
		CNT(ioctls_ok);
		if (!e->mine)
			unexpected("ioctl %#x succeeded in a process that does not own the queue", cmd);
		if (cmd == UACCE_CMD_START_Q)
			e->sq_tail = 0;
	}
}

static void do_poll(void)
{
	struct pollfd p[3];
	struct ent *es[3];
	int n = 1 + (int)rndn(3), k = 0;

	for (int i = 0; i < n; i++) {
		es[k] = pick();
		if (!es[k])
			continue;
		p[k].fd = es[k]->fd;
		p[k].events = POLLIN;
		p[k].revents = 0;
		k++;
	}
	if (!k)
		return;
	if (poll(p, k, (int)rndn(6)) < 0) {
		if (errno != EINTR)
			unexpected("poll: %s", t_errname(errno));
		return;
	}
	for (int i = 0; i < k; i++)
		if (!es[i]->mine && !(p[i].revents & POLLERR))
			unexpected("poll by a process that does not own the queue: revents %#x",
				   p[i].revents);
}

static void do_dup(void)
{
	struct ent *e = pick(), *d = free_ent();
	int fd;

	if (!e || !d)
		return;
	fd = dup(e->fd);
	if (fd < 0)
		return;
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->mine = e->mine;
	d->owner = e->owner;
}

static void do_close(void)
{
	struct ent *e = pick();

	if (e)
		ent_drop(e);
}

static void do_sysfs(void)
{
	static const char *junk[] = { "", "-1", "65536", "1 2", "abc", "0x10",
		"99999999999999999999", "3\n", "0", "1", "65535", "\n", " 7" };
	char path[160], s[64];
	int ua = slot_ua(), r;

	switch (rndn(5)) {
	case 0:
		if (ua < 0)
			return;
		snprintf(path, sizeof(path), "/sys/class/uacce/ua%d/isolate_strategy", ua);
		r = t_write_file(path, junk[rndn(sizeof(junk) / sizeof(junk[0]))]);
		break;
	case 1:
		if (ua < 0)
			return;
		snprintf(path, sizeof(path), "/sys/class/uacce/ua%d/%s", ua,
			 chance(50) ? "available_instances" : "isolate");
		t_read_file(path, s, sizeof(s));
		return;
	case 2: {
		int id = t_id_base() + (int)rndn(T_NR_IDS);

		snprintf(path, sizeof(path), "/sys/kernel/debug/wd_soft/wd_soft%d/fail_next", id);
		snprintf(s, sizeof(s), "%d", (int)rndn(3));
		r = t_write_file(path, chance(80) ? s : junk[rndn(4)]);
		break;
	}
	case 3:	/* new instances of our own IDs (not the controller's) */
		snprintf(s, sizeof(s), "%d mode=%s queues=%d%s",
			 t_id_base() + NSLOT + (int)rndn(T_NR_IDS - NSLOT),
			 (const char *[]){ "sva", "pasid", "noiommu", "bogus" }[rndn(4)],
			 (int)rndn(5), chance(20) ? " engines=0" : "");
		r = t_inst_new_raw(s);
		break;
	default:	/* removal of any of ours, the controller's included */
		snprintf(s, sizeof(s), "%d", t_id_base() + (int)rndn(T_NR_IDS));
		r = t_inst_del_raw(chance(90) ? s : junk[rndn(6)]);
		if (!r)
			CNT(removals);	/* the report counts every removal */
		break;
	}
	if (r)
		expect_errno("sysfs write", -r, E_SYSFS);
}

static void do_pass(void)
{
	struct ent *e = pick();
	int to;

	if (!e || nworkers < 2)
		return;
	to = (int)rndn(nworkers);
	if (to == me)
		to = (to + 1) % nworkers;
	/* non-blocking: a full socket just drops this one */
	{
		struct msghdr m = { 0 };
		char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
		pid_t b = e->owner;	/* whose queue it is travels along */
		struct iovec io = { &b, sizeof(b) };
		struct cmsghdr *c;

		m.msg_iov = &io;
		m.msg_iovlen = 1;
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &e->fd, sizeof(int));
		if (sendmsg(peer_socks[to], &m, MSG_DONTWAIT) == sizeof(b))
			CNT(passed);
	}
}

static void do_receive(void)
{
	struct msghdr m = { 0 };
	char cbuf[CMSG_SPACE(sizeof(int))];
	pid_t b;
	struct iovec io = { &b, sizeof(b) };
	struct cmsghdr *c;
	struct ent *d;
	int fd;

	m.msg_iov = &io;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	if (recvmsg(my_sock, &m, MSG_DONTWAIT) != sizeof(b))
		return;
	c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	d = free_ent();
	if (!d) {
		close(fd);
		return;
	}
	memset(d, 0, sizeof(*d));
	d->fd = fd;
	d->owner = b;
	/* another worker's queue, or one of ours coming back */
	d->mine = b == getpid();
}

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
