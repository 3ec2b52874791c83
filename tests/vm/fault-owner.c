// SPDX-License-Identifier: GPL-2.0
/*
 * fault-owner.c: t_fault's and t_fault_left's queue owner, and the device
 * waiting on the owner's page (fault.h).
 */
#include "fault.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

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
	/* in-process, a device serves only the process that created it */
	if (t_host_local)
		ua = t_inst_create(OWNER_INST).ua;
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
bool read_until(int fd, void *buf, size_t len, uint64_t until)
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

void owner_start(struct owner *o, int ua, enum src src, int nq,
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

void owner_cmd(struct owner *o, char op, int q)
{
	struct cmd c = { op, q };

	o->sent = t_now_ms();
	T_EQ(write(o->sock, &c, sizeof(c)), sizeof(c));
}

bool owner_reply(struct owner *o, struct reply *r, int ms)
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
 * in the kernel (in the call, then), at most WAIT_MS after the command was
 * sent. What runs next then runs while the owner is in that call, if it is
 * still in it at all.
 */
void replied_or_blocked(struct owner *o)
{
	uint64_t end = o->sent + WAIT_MS;

	while (t_now_ms() < end) {
		struct pollfd p = { .fd = o->sock, .events = POLLIN };

		if (poll(&p, 1, 10) > 0 || proc_state(o->pid) == 'D')
			return;
	}
}

void owner_exit(struct owner *o)
{
	owner_cmd(o, 'X', 0);
	t_wait_ok(o->pid, T_HANG_MS);
	close(o->sock);
	if (o->uffd >= 0)
		close(o->uffd);
	o->uffd = -1;
}

/* ---- the device waits on the page; the page comes ---- */

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
const char *stuck_give(struct stuck *s)
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
void stuck_wait(struct stuck *s, int q)
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
void stuck_start(struct stuck *s, struct owner *o, struct fh *fh,
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
 * The owner's answer to its last command, within WAIT_MS of sending it while
 * the page is still missing. Else (or as soon as the owner is seen asleep on
 * the page) the page comes, and the test fails saying whether and when the
 * call returned then.
 */
struct reply must_reply(struct stuck *s, const char *what)
{
	struct reply r;
	uint64_t t;
	const char *how;
	char why[128];

	snprintf(why, sizeof(why), "did not return within %d ms while the "
		 "page was missing", WAIT_MS);
	for (;;) {
		struct pollfd p = { .fd = s->o->sock, .events = POLLIN };

		if (poll(&p, 1, 10) > 0) {
			if (owner_reply(s->o, &r, LATE_MS))
				return r;
			break;	/* its socket closed */
		}
		if (on_page(s->o->pid)) {
			snprintf(why, sizeof(why), "waited for the missing "
				 "page (the owner asleep on it %llu ms after "
				 "the command)", (unsigned long long)
				 (t_now_ms() - s->o->sent));
			break;
		}
		if (t_now_ms() >= s->o->sent + WAIT_MS)
			break;
	}
	how = stuck_give(s);
	t = t_now_ms();
	if (!s->fh && s->o->uffd < 0) {	/* killed: it cannot answer */
		t_wait_sig(s->o->pid, SIGKILL, LATE_MS);
		T_FAIL("%s %s; %s (dead %llu ms later)", what, why, how,
		       (unsigned long long)(t_now_ms() - t));
	}
	if (owner_reply(s->o, &r, LATE_MS))
		T_FAIL("%s %s; it returned %llu ms after %s", what, why,
		       (unsigned long long)(t_now_ms() - t), how);
	T_FAIL("%s %s, nor in the %d ms after %s", what, why, LATE_MS, how);
}
