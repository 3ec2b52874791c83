// SPDX-License-Identifier: GPL-2.0
/*
 * t_kill: a process dies (SIGKILL, exit) with requests in flight: the
 * device keeps working for other queues and every queue is returned.
 */
#include "t.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>


#define NQ 4

/*
 * Every test here: a process with queues dies, and the device (another
 * process's, or the kernel's) outlives it.
 */
#define NEED_KERNEL_DEATH() T_NEED_KERNEL("a queue owner dies and the device " \
	"lives on: in-process devices serve only the process that created " \
	"them, and die with it")

/* the queues of the dead come back (asynchronously: mmput_async()) */
static void wait_available(int ua, long long want)
{
	T_WAIT_UNTIL(t_attr_ll(ua, "available_instances") == want,
		     "available_instances is %lld %d s after the death, "
		     "expected %lld", t_attr_ll(ua, "available_instances"),
		     T_HANG_MS / 1000, want);
}

static void copy_works(struct t_q *q, size_t len)
{
	char *src = malloc(len), *dst = malloc(len);

	T_ASSERT(src && dst);
	t_q_copy_check(q, src, dst, len);
	free(src);
	free(dst);
}

/*
 * In a child: open a queue, fill it with n COPY requests of len bytes,
 * tell the parent, then either sleep (to be killed), sleep in poll, or exit.
 */
enum after { SLEEP, POLL, EXIT };

static pid_t busy_child(int ua, int n, size_t len, enum after what, int wfd)
{
	pid_t pid = t_fork();

	if (pid)
		return pid;
	struct t_q q;
	char *src, *dst;

	t_q_setup(&q, ua);
	if ((q.flags & UACCE_DEV_SVA) == UACCE_DEV_SVA) {
		src = malloc(len);
		dst = malloc(len);
		T_ASSERT(src && dst);
	} else {
		long long max = t_ss_max(ua);

		if (max > 0 && (long long)len * 2 > max)
			len = max / 2;
		t_q_map_ss(&q, 2 * len);
		src = t_q_ss_alloc(&q, len);
		dst = t_q_ss_alloc(&q, len);
	}
	memset(src, 0x3c, len);
	for (int i = 0; i < n; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, len, len);

		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	if (write(wfd, "r", 1) != 1)
		_exit(2);
	if (what == EXIT)
		_exit(0);
	if (what == POLL) {
		struct pollfd p = { .fd = q.fd, .events = POLLIN };

		for (;;) {
			poll(&p, 1, -1);
			/* consume nothing: keep the ring full */
			t_msleep(1000);
		}
	}
	for (;;)
		pause();
}

static void kill_busy(const char *mode, int n, size_t len, enum after what,
		      int rounds)
{
	struct t_inst in;
	struct t_q mine;
	int pfd[2];
	char c;

	NEED_KERNEL_DEATH();
	in = t_inst_create(mode);

	T_OK(pipe(pfd));
	t_q_setup(&mine, in.ua);
	if (!((mine.flags & UACCE_DEV_SVA) == UACCE_DEV_SVA))
		t_q_map_ss(&mine, 2 * t_page);
	for (int r = 0; r < rounds; r++) {
		pid_t pid;

		/*
		 * POLL: the engines held, nothing completes, so the child
		 * sleeps in poll() with its ring full when it is killed (it
		 * is seen there), instead of in the sleep between polls.
		 */
		if (what == POLL)
			t_hold(in.id, true);
		pid = busy_child(in.ua, n, len, what, pfd[1]);
		T_EQ(read(pfd[0], &c, 1), 1);
		if (what == POLL)
			t_wait_asleep_in(pid, SYS_poll, SYS_ppoll, "the child");
		else
			t_msleep(r * 7 % 50);
		if (what != EXIT) {
			kill(pid, SIGKILL);
			t_wait_sig(pid, SIGKILL, 30000);
		} else {
			t_wait_ok(pid, 30000);
		}
		if (what == POLL)
			t_hold(in.id, false);
		/* the dead process's queue is returned */
		wait_available(in.ua, NQ - 1);
		/* the device still works for the queue that was there */
		if ((mine.flags & UACCE_DEV_SVA) == UACCE_DEV_SVA) {
			copy_works(&mine, 1 << 20);
		} else {
			mine.ss_used = 0;
			char *s = t_q_ss_alloc(&mine, 3000);
			char *d = t_q_ss_alloc(&mine, 3000);

			t_q_copy_check(&mine, s, d, 3000);
		}
	}
	/* every queue opens and works */
	struct t_q q[NQ - 1];

	for (int i = 0; i < NQ - 1; i++) {
		t_q_setup(&q[i], in.ua);
		struct wd_soft_sqe s = t_sqe_nop(i);

		T_EQ(t_q_run(&q[i], &s).status, WD_SOFT_S_OK);
	}
	T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
	for (int i = 0; i < NQ - 1; i++)
		t_q_close(&q[i]);
	t_q_close(&mine);
	T_EQ(t_attr_ll(in.ua, "available_instances"), NQ);
}

T_TEST_TMO(kill9_inflight_sva, 180)
{
	kill_busy("mode=sva queues=4", 64, 4 << 20, SLEEP, 1);
}

T_TEST_TMO(kill9_inflight_pasid, 180)
{
	kill_busy("mode=pasid queues=4", 64, 1 << 20, SLEEP, 1);
}

T_TEST_TMO(kill9_inflight_noiommu, 180)
{
	kill_busy("mode=noiommu queues=4", 64, 1 << 20, SLEEP, 1);
}

T_TEST_TMO(kill9_while_polling, 180)
{
	kill_busy("queues=4", 64, 1 << 20, POLL, 1);
}

T_TEST_TMO(exit_inflight, 180)
{
	kill_busy("queues=4", 64, 1 << 20, EXIT, 3);
}

T_TEST_TMO(kill9_repeated, 300)
{
	kill_busy("queues=4 engines=2", 32, 256 << 10, SLEEP, 10);
}

/* a full ring of NOPs never collected, then killed */
T_TEST_TMO(kill9_full_completion_ring, 120)
{
	NEED_KERNEL_DEATH();
	struct t_inst in = t_inst_create("queues=4");
	int pfd[2];
	pid_t pid;
	char c;

	T_OK(pipe(pfd));
	pid = t_fork();
	if (pid == 0) {
		struct t_q q;

		t_q_setup(&q, in.ua);
		for (uint32_t i = 0; i < q.depth; i++) {
			struct wd_soft_sqe s = t_sqe_nop(i);

			t_q_push(&q, &s);
		}
		t_q_publish(&q);
		for (int i = 0; i < 30000 && t_q_hdr_cq_tail(&q) != q.sq_tail;
		     i++) {
			if (t_q_status(&q) & WD_SOFT_ST_NEED_WAKEUP)
				t_q_kick(&q);
			t_msleep(1);
		}
		T_EQ(t_q_hdr_cq_tail(&q) - q.cq_head, q.depth);
		T_OK(write(pfd[1], "r", 1));
		for (;;)
			pause();
	}
	T_EQ(read(pfd[0], &c, 1), 1);
	kill(pid, SIGKILL);
	t_wait_sig(pid, SIGKILL, T_HANG_MS);
	wait_available(in.ua, NQ);
}

/* the owner is killed while a fork child still holds the fd */
T_TEST_TMO(kill9_owner_child_holds_fd, 120)
{
	NEED_KERNEL_DEATH();
	struct t_inst in = t_inst_create("queues=4");
	int pfd[2], sv[2];
	pid_t owner, holder;
	char c;

	T_OK(pipe(pfd));
	T_OK(pipe(sv));
	owner = t_fork();
	if (owner == 0) {
		struct t_q q;
		char *src = malloc(4 << 20), *dst = malloc(4 << 20);

		t_q_setup(&q, in.ua);
		for (int i = 0; i < 16; i++) {
			struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, 4 << 20,
							  4 << 20);

			t_q_push(&q, &s);
		}
		t_q_publish(&q);
		holder = t_fork();
		if (holder == 0) {
			/* not the owner: refused, and keeps the file open */
			T_CMD_ERR(&q, UACCE_CMD_PUT_Q, 0, EPERM);
			T_OK(write(pfd[1], "h", 1));
			T_OK(read(sv[0], &c, 1));
			T_OK(close(q.fd));
			_exit(0);
		}
		for (;;)
			pause();
	}
	T_EQ(read(pfd[0], &c, 1), 1);
	kill(owner, SIGKILL);
	t_wait_sig(owner, SIGKILL, T_HANG_MS);
	/* the queue lives on in the holder's file, but may not be used */
	T_OK(write(sv[1], "x", 1));
	wait_available(in.ua, NQ);
	struct t_q q;

	t_q_setup(&q, in.ua);
	copy_works(&q, 1 << 20);
}
