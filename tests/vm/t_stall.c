// SPDX-License-Identifier: GPL-2.0
/*
 * t_stall: an SVA device waits for a page of the owner's memory that does
 * not come (a userfaultfd the owner does not serve, as a FUSE file or a
 * hung NFS server would do). The owner must still be able to stop the
 * queue once the page comes, and above all to die: SIGKILL ends a process
 * in PUT_Q. Each test resolves the fault itself after a while, so a stuck
 * kernel is reported as a failure instead of a hung-task panic.
 */
#include "t.h"

#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

T_PROGRAM(110);

#define LEN (4 * 4096)

/* an anonymous region whose missing pages wait for the uffd; fd or -errno */
static int uffd_region(void **out)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	int uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	void *p;

	if (uffd < 0)
		return -errno;
	if (ioctl(uffd, UFFDIO_API, &api))
		return -errno;
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	reg.range.start = (uintptr_t)p;
	reg.range.len = LEN;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	*out = p;
	return uffd;
}

static void resolve(int uffd, uint64_t addr)
{
	struct uffdio_zeropage z = { .range = { addr, LEN } };

	/* EEXIST: some pages are there already (resolved before) */
	if (ioctl(uffd, UFFDIO_ZEROPAGE, &z) && errno != EEXIST)
		T_FAIL("UFFDIO_ZEROPAGE: %s", t_errname(errno));
}

/*
 * A child opens a queue, submits a COPY from a uffd region, sends the uffd
 * and the region's address to us, then calls PUT_Q (which waits for the
 * device) and reports PUT_Q's result on the socket.
 */
static pid_t stalled_child(int ua, int sock)
{
	pid_t pid = t_fork();

	if (pid)
		return pid;
	struct t_q q;
	void *p;
	int uffd = uffd_region(&p);
	char *dst = malloc(LEN);

	if (uffd < 0)
		T_FAIL("userfaultfd: %s", t_errname(-uffd));
	t_q_setup(&q, ua);
	struct wd_soft_sqe s = t_sqe_copy(&q, p, dst, LEN, LEN);

	t_q_push(&q, &s);
	t_q_publish(&q);
	t_send_fd(sock, uffd);
	uint64_t addr = (uintptr_t)p;

	T_EQ(write(sock, &addr, sizeof(addr)), sizeof(addr));
	t_msleep(200);		/* the device is in the fault by now */
	int r = ioctl(q.fd, UACCE_CMD_PUT_Q) ? -errno : 0;

	T_EQ(write(sock, &r, sizeof(r)), sizeof(r));
	struct wd_soft_cqe c;

	T_EQ(t_q_reap(&q, &c, 0), 1);
	T_ASSERT_MSG(c.status == WD_SOFT_S_OK || c.status == WD_SOFT_S_CANCELED
		     || c.status == WD_SOFT_S_BAD_ADDR,
		     "stalled request: status %u", c.status);
	_exit(0);
}

/* skip the test where userfaultfd is not available to us */
static void need_uffd(void)
{
	void *p;
	int uffd = uffd_region(&p);

	if (uffd < 0)
		t_skip("userfaultfd: %s", t_errname(-uffd));
	close(uffd);
	munmap(p, LEN);
}

static bool dead_within(pid_t pid, int ms, int *st)
{
	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return true;
		t_msleep(10);
	}
	return false;
}

/* PUT_Q waits for the stalled request; it returns once the page comes */
T_TEST_TMO(put_q_returns_when_fault_resolved, 60)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	int sv[2], uffd, r, st;
	uint64_t addr;
	pid_t pid;

	need_uffd();
	T_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = stalled_child(in.ua, sv[1]);
	close(sv[1]);
	uffd = t_recv_fd(sv[0]);
	T_EQ(read(sv[0], &addr, sizeof(addr)), sizeof(addr));
	t_msleep(700);
	resolve(uffd, addr);
	T_EQ(read(sv[0], &r, sizeof(r)), sizeof(r));
	T_EQ(r, 0);
	T_ASSERT(dead_within(pid, 10000, &st));
	T_ASSERT_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x",
		     st);
}

/* SIGKILL ends a process waiting in PUT_Q for a device stuck in a fault */
T_TEST_TMO(put_q_killable_while_device_faults, 60)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	int sv[2], uffd, st;
	uint64_t addr;
	pid_t pid;

	need_uffd();
	T_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = stalled_child(in.ua, sv[1]);
	close(sv[1]);
	uffd = t_recv_fd(sv[0]);
	T_EQ(read(sv[0], &addr, sizeof(addr)), sizeof(addr));
	t_msleep(700);		/* in PUT_Q now */
	kill(pid, SIGKILL);
	if (dead_within(pid, 8000, &st)) {
		T_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	} else {
		/* unstick it before the hung-task watchdog fires */
		resolve(uffd, addr);
		bool died = dead_within(pid, 10000, &st);

		T_FAIL("a process in PUT_Q did not die of SIGKILL within 8 s "
		       "while the device waited on a page fault in its memory "
		       "(uninterruptible wait); %s", died ?
		       "it died once the fault was resolved" :
		       "not even after the fault was resolved");
	}
	/* the device works for others afterwards */
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(3);

	t_q_setup(&q, in.ua);
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
}

/* the owner dies (not in PUT_Q) while its request waits: all is released */
T_TEST_TMO(owner_killed_while_device_faults, 60)
{
	struct t_inst in = t_inst_create("queues=4 engines=1");
	int sv[2], st;
	pid_t pid;

	need_uffd();
	T_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = t_fork();
	if (pid == 0) {
		struct t_q q;
		void *p;
		int uffd = uffd_region(&p);
		char *dst = malloc(LEN);

		if (uffd < 0)
			T_FAIL("userfaultfd: %s", t_errname(-uffd));
		t_q_setup(&q, in.ua);
		struct wd_soft_sqe s = t_sqe_copy(&q, p, dst, LEN, LEN);

		t_q_push(&q, &s);
		t_q_publish(&q);
		T_EQ(write(sv[1], "r", 1), 1);
		for (;;)
			pause();
	}
	char c;

	T_EQ(read(sv[0], &c, 1), 1);
	t_msleep(500);
	kill(pid, SIGKILL);
	T_ASSERT_MSG(dead_within(pid, 10000, &st),
		     "owner not dead 10 s after SIGKILL");
	for (int i = 0; i < 500 &&
	     t_attr_ll(in.ua, "available_instances") != 4; i++)
		t_msleep(10);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 4);
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(3);

	t_q_setup(&q, in.ua);
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
}
