// SPDX-License-Identifier: GPL-2.0
/*
 * t_owner: a queue belongs to the process that opened it. Any other process
 * holding the fd gets EPERM from ioctl and mmap and POLLERR from poll, and
 * the device never acts for it (docs/uacce.md, "Ownership, fork and passed
 * descriptors").
 */
#include "t.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>


static const char *const rname[] = { "MMIO", "DKO", "DUS", "SS" };

/* poll of a queue by a non-owner: at once (even with @timeout_ms), and
 * refused: POLLERR without POLLIN */
static void non_owner_poll_refused(struct t_q *q, int timeout_ms)
{
	short rev = 0;

	T_EQ(t_q_poll_ev(q, timeout_ms, &rev), 1);
	T_ASSERT_MSG(rev & POLLERR, "non-owner poll: revents %#x, "
		     "expected POLLERR", rev);
	T_ASSERT_MSG(!(rev & POLLIN), "non-owner poll: revents %#x: "
		     "POLLIN for a queue it does not own", rev);
}

/* the fixed region sizes of a device, read by the owner's side: an
 * in-process device's attributes are its creator's to read */
struct sizes {
	size_t len[UACCE_QFRT_DUS + 1];
};

static struct sizes sizes_of(int ua)
{
	struct sizes z;

	for (int r = 0; r <= UACCE_QFRT_DUS; r++)
		z.len[r] = t_region_size(ua, r);
	return z;
}

/* everything a non-owner may try; run in the non-owner, exits on failure */
static void non_owner_refused(int fd, struct sizes z)
{
	struct t_q q = { .fd = fd };
	__u64 dma = 0;

	T_CMD_ERR(&q, UACCE_CMD_START_Q, 0, EPERM);
	T_CMD_ERR(&q, UACCE_CMD_PUT_Q, 0, EPERM);
	T_CMD_ERR(&q, UACCE_CMD_SHARE_SVAS, fd, EPERM);
	T_CMD_ERR(&q, UACCE_CMD_GET_SS_DMA, &dma, EPERM);
	T_CMD_ERR(&q, WD_SOFT_CMD_KICK, 0, EPERM);
	/* an unknown command: EPERM too (the owner check comes first) */
	T_CMD_ERR(&q, _IO('W', 99), 0, EPERM);
	for (int r2 = 0; r2 < UACCE_QFRT_MAX; r2++) {
		size_t len = t_page;
		void *m;
		int r;

		if (r2 <= UACCE_QFRT_DUS) {
			len = z.len[r2];
			if (!len)
				continue;
		}
		r = t_q_mmap(&q, r2, len, r2 == UACCE_QFRT_DKO ?
			     PROT_NONE : PROT_READ | PROT_WRITE, &m);
		T_ASSERT_MSG(r == -EPERM, "non-owner mmap of %s: %s, expected "
			     "EPERM", rname[r2], r ? t_errname(-r) : "mapped");
	}
	/* at once: the first look reports POLLERR, nothing to sleep for */
	non_owner_poll_refused(&q, 0);
	/* and with a timeout too */
	non_owner_poll_refused(&q, 5000);
}

static void owner_copy_works(struct t_q *q)
{
	char *src = malloc(100000), *dst = malloc(100000);

	t_q_copy_check(q, src, dst, 100000);
	free(src);
	free(dst);
}

/* the queue is still STARTED (START_Q: EINVAL) */
static void still_started(struct t_q *q)
{
	T_CMD_ERR(q, UACCE_CMD_START_Q, 0, EINVAL);
}

TEST(fork_child_refused)
{
	struct t_inst in = t_inst_create("");
	struct sizes z = sizes_of(in.ua);
	struct t_q q;
	pid_t pid;

	t_q_setup(&q, in.ua);
	owner_copy_works(&q);
	pid = t_fork();
	if (pid == 0) {
		non_owner_refused(q.fd, z);
		_exit(0);
	}
	t_wait_ok(pid, 20000);
	/* the child's PUT_Q did nothing, nor did its KICK */
	still_started(&q);
	owner_copy_works(&q);
}

/* the child's mmap attempts on an unmapped queue take nothing from the owner */
TEST(fork_child_mmap_before_owner_maps)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct sizes z = sizes_of(in.ua);
	struct t_q q;
	pid_t pid;

	t_q_open(&q, in.ua);
	pid = t_fork();
	if (pid == 0) {
		non_owner_refused(q.fd, z);
		_exit(0);
	}
	t_wait_ok(pid, 20000);
	t_q_map(&q);
	t_q_map_ss(&q, 2 * t_page);
	t_q_start(&q);
	char *src = t_q_ss_alloc(&q, 3000), *dst = t_q_ss_alloc(&q, 3000);

	t_q_copy_check(&q, src, dst, 3000);
}

/* the owner has a completion waiting: a child still gets only POLLERR */
TEST(fork_child_poll_pollerr_with_completion)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(5);
	pid_t pid;

	t_q_setup(&q, in.ua);
	t_q_push(&q, &s);
	t_q_publish(&q);
	T_WAIT_UNTIL(t_q_hdr_cq_tail(&q) != q.cq_head, "no completion");
	{
		short rev = 0;

		T_EQ(t_q_poll_ev(&q, 0, &rev), 1);
		T_ASSERT_MSG(rev & POLLIN, "owner's poll: revents %#x", rev);
	}
	pid = t_fork();
	if (pid == 0) {
		non_owner_poll_refused(&q, 1000);
		_exit(0);
	}
	t_wait_ok(pid, T_HANG_MS);
	struct wd_soft_cqe cqe;

	t_q_wait(&q, &cqe);
	T_EQ(cqe.user_data, 5);
}

TEST(fork_child_closing_fd_keeps_queue)
{
	struct t_inst in = t_inst_create("queues=2");
	struct t_q q;
	pid_t pid;

	t_q_setup(&q, in.ua);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 1);
	pid = t_fork();
	if (pid == 0) {
		T_OK(close(q.fd));
		_exit(0);
	}
	t_wait_ok(pid, T_HANG_MS);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 1);
	still_started(&q);
	owner_copy_works(&q);
}

/* a process that never shared anything with the owner gets the fd by SCM_RIGHTS */
TEST(scm_rights_receiver_refused)
{
	T_NEED_KERNEL("in-process queues are the opening process's: fd "
		      "passing over a socket is the kernel's");
	struct t_inst in = t_inst_create("");
	struct sizes z = sizes_of(in.ua);
	struct t_q q;
	int sv[2];
	pid_t pid;

	T_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	/* forked before the queue exists */
	pid = t_fork();
	if (pid == 0) {
		int fd = t_recv_fd(sv[1]);

		non_owner_refused(fd, z);
		T_OK(write(sv[1], "k", 1));
		/* keep the fd until told */
		char c;

		T_OK(read(sv[1], &c, 1));
		T_OK(close(fd));
		_exit(0);
	}
	t_q_setup(&q, in.ua);
	t_send_fd(sv[0], q.fd);
	char c;

	T_EQ(read(sv[0], &c, 1), 1);
	still_started(&q);
	owner_copy_works(&q);
	T_OK(write(sv[0], "x", 1));
	t_wait_ok(pid, T_HANG_MS);
	owner_copy_works(&q);
}

/* the other direction: a child opens, the parent receives the fd */
TEST(scm_rights_parent_receives_child_queue)
{
	T_NEED_KERNEL("in-process queues are the opening process's: fd "
		      "passing over a socket is the kernel's");
	struct t_inst in = t_inst_create("");
	struct sizes z = sizes_of(in.ua);
	int sv[2], fd;
	pid_t pid;
	char c;

	T_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	pid = t_fork();
	if (pid == 0) {
		struct t_q q;

		t_q_setup(&q, in.ua);
		t_send_fd(sv[1], q.fd);
		T_OK(read(sv[1], &c, 1));
		/* the parent's attempts changed nothing */
		still_started(&q);
		owner_copy_works(&q);
		_exit(0);
	}
	fd = t_recv_fd(sv[0]);
	non_owner_refused(fd, z);
	T_OK(write(sv[0], "x", 1));
	t_wait_ok(pid, 20000);
}

/* the owner dies while another process still holds the fd */
TEST(owner_exits_other_holds_fd)
{
	T_NEED_KERNEL("in-process queues are the opening process's: fd "
		      "passing over a socket is the kernel's");
	struct t_inst in = t_inst_create("queues=2");
	struct sizes z = sizes_of(in.ua);
	int sv[2];
	pid_t owner;

	T_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	owner = t_fork();
	if (owner == 0) {
		struct t_q q;
		struct wd_soft_sqe s = t_sqe_nop(1);

		t_q_setup(&q, in.ua);
		/* leave a request in the ring */
		t_q_push(&q, &s);
		t_q_publish(&q);
		t_send_fd(sv[1], q.fd);
		_exit(0);
	}
	int fd = t_recv_fd(sv[0]);

	t_wait_ok(owner, T_HANG_MS);
	non_owner_refused(fd, z);
	T_OK(close(fd));
	/* the last reference is gone: the queue is released */
	T_WAIT_UNTIL(t_attr_ll(in.ua, "available_instances") == 2,
		     "available_instances %lld after the last close",
		     t_attr_ll(in.ua, "available_instances"));
	/* and both queues can be opened and used */
	struct t_q a, b;

	t_q_setup(&a, in.ua);
	t_q_setup(&b, in.ua);
	owner_copy_works(&a);
	owner_copy_works(&b);
}

/* a child opens and maps a queue of its own and uses it, next to its parent's */
TEST(child_uses_own_queue)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	pid_t pid;

	t_q_setup(&q, in.ua);
	pid = t_fork();
	if (pid == 0) {
		/* in-process devices serve only the process that created
		 * them: natively the child opens one of its own */
		struct t_inst ci = t_host_local ? t_inst_create("") : in;
		struct t_q c;

		t_q_setup(&c, ci.ua);
		for (int i = 0; i < 5; i++)
			owner_copy_works(&c);
		/* and the inherited queue is still not its own */
		T_CMD_ERR(&q, UACCE_CMD_PUT_Q, 0, EPERM);
		_exit(0);
	}
	for (int i = 0; i < 5; i++)
		owner_copy_works(&q);
	t_wait_ok(pid, 30000);
	owner_copy_works(&q);
}

/* threads are the same process: they may use the queue */
static void *thread_fn(void *arg)
{
	struct t_q *q = arg;

	T_CMD_OK(q, UACCE_CMD_START_Q, 0);
	owner_copy_works(q);
	T_EQ(t_q_poll(q, 0), 0);
	return NULL;
}

TEST(thread_of_owner_allowed)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	pthread_t th;

	t_q_open(&q, in.ua);
	t_q_map(&q);
	T_EQ(pthread_create(&th, NULL, thread_fn, &q), 0);
	T_EQ(pthread_join(th, NULL), 0);
	still_started(&q);
	owner_copy_works(&q);
}

/*
 * A non-owner's poll() is POLLERR at once and never sleeps, so it is not
 * put on the queue's wait queue either: else an edge-triggered epoll of
 * a fork child would be woken by each of the owner's completion batches
 * and learn their timing.
 */
TEST(fork_child_epoll_not_woken_by_owner)
{
	T_NEED_KERNEL("epoll of the queue's file: an in-process queue has no "
		      "file to add to an epoll set");
	struct t_inst in = t_inst_create("");
	struct wd_soft_sqe s = t_sqe_nop(7);
	struct wd_soft_cqe cqe;
	int go[2], ready[2];
	struct t_q q;
	pid_t pid;
	char c;

	t_q_setup(&q, in.ua);
	T_OK(pipe(go));
	T_OK(pipe(ready));
	pid = t_fork();
	if (pid == 0) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET }, out;
		int ep = T_OK(epoll_create1(EPOLL_CLOEXEC));

		T_OK(epoll_ctl(ep, EPOLL_CTL_ADD, q.fd, &ev));
		T_EQ(epoll_wait(ep, &out, 1, 0), 1);
		T_ASSERT_MSG(out.events & EPOLLERR, "events %#x", out.events);
		T_EQ(epoll_wait(ep, &out, 1, 0), 0);	/* edge consumed */
		T_EQ(write(ready[1], "r", 1), 1);
		T_EQ(read(go[0], &c, 1), 1);		/* the owner completed */
		/* a bound: an old wake-up comes within microseconds */
		T_EQ(epoll_wait(ep, &out, 1, 2000), 0);
		_exit(0);
	}
	T_EQ(read(ready[0], &c, 1), 1);
	cqe = t_q_run(&q, &s);
	T_EQ(cqe.user_data, 7);
	T_EQ(write(go[1], "g", 1), 1);
	t_wait_ok(pid, 20000);
}
