// SPDX-License-Identifier: GPL-2.0
/*
 * t_fault_left: an SVA device needs a page of the queue owner's memory that
 * does not come (t_fault); once the page comes, or never can (the owner
 * killed with its uffd, the FUSE daemon killed), nothing is left: queues,
 * threads, module references (docs/security.md, "Delay anyone else";
 * issue 9). The stuck page and its synchronisation: fault.h.
 */
#include "fault.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

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

/* within T_HANG_MS (they end asynchronously), no kernel thread is left that
 * was not in @base */
static void kthreads_back(const struct kthreads *base)
{
	uint64_t end = t_now_ms() + T_HANG_MS;
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
			       "or could no longer come:%s", T_HANG_MS, extra);
		t_msleep(10);
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
		       "longer come: %s", T_HANG_MS, t_errname(-r));
	modules_back();
	T_ASSERT(t_mod_loaded("uacce") && t_mod_loaded("wd_soft"));
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
	NEED_KERNEL_STUCK();
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
	NEED_KERNEL_STUCK();
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
	t_wait_sig(o.pid, SIGKILL, T_HANG_MS);
	nothing_left(&in, &base);
}

/* as t_stall did: the owner dies with its queue started and its COPY
 * waiting; the device then works for others */
T_TEST_TMO(owner_killed_while_device_waits, 120)
{
	NEED_KERNEL_STUCK();
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
	t_wait_sig(o.pid, SIGKILL, T_HANG_MS);
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
	NEED_KERNEL_STUCK();
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
	NEED_KERNEL_STUCK();
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
	char comm[32], wchan[64];
	int pid;

	snprintf(comm, sizeof(comm), "ua%d-pf", in.ua);
	t_tasks_named(comm, &pid);
	T_ASSERT_MSG(pid, "no %s thread", comm);
	/* WAIT_MS: the page is missing and the thread sleeps in D state */
	for (uint64_t end = t_now_ms() + WAIT_MS;; t_msleep(1)) {
		task_wchan(pid, wchan, sizeof(wchan));
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

