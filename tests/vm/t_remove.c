// SPDX-License-Identifier: GPL-2.0
/*
 * t_remove: a device goes away while queues are open (docs/uacce.md,
 * "Device removal with queues open"): its regions
 * are unmapped from every process, ioctl and mmap fail with ENODEV, poll
 * reports POLLHUP|POLLERR (sleepers wake up), close works and a new open
 * fails with ENODEV.
 */
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>


/*
 * delete the instance from another process (the kernel; in-process
 * devices serve only the process that created them: from this one);
 * T_FAIL if it hangs
 */
static void del_from_child(struct t_inst *in, int timeout_ms)
{
	pid_t pid;

	if (t_host_local) {
		t_inst_delete(in);
		return;
	}
	pid = t_fork();
	if (pid == 0) {
		t_inst_delete(in);
		_exit(0);
	}
	t_wait_ok(pid, timeout_ms);
	T_ASSERT_MSG(!t_inst_exists(in->id), "wd_soft%d still exists", in->id);
}

struct poller {
	struct t_q *q;
	short revents;
	int ret;
	pid_t tid;
	bool done;
};

static void *poller_fn(void *arg)
{
	struct poller *p = arg;
	__atomic_store_n(&p->tid, t_gettid(), __ATOMIC_SEQ_CST);
	p->ret = t_q_poll_ev(p->q, -1, &p->revents);
	__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* a copy of /dev/uaN made before the removal, to open afterwards */
static bool make_node_copy(int ua, char *path)
{
	struct stat st;
	char dev[32];
	const char *dirs[] = { "/tmp", "/dev" };

	if (stat(t_dev_path(ua, dev), &st))
		return false;
	for (int i = 0; i < 2; i++) {
		sprintf(path, "%s/t_remove_ua%d", dirs[i], ua);
		unlink(path);
		if (!mknod(path, S_IFCHR | 0600, st.st_rdev))
			return true;
	}
	return false;
}

static void refused_after_removal(struct t_q *q)
{
	__u64 dma;
	short rev = 0;

	T_CMD_ERR(q, UACCE_CMD_START_Q, 0, ENODEV);
	T_CMD_ERR(q, UACCE_CMD_PUT_Q, 0, ENODEV);
	T_CMD_ERR(q, UACCE_CMD_SHARE_SVAS, q->fd, ENODEV);
	T_CMD_ERR(q, UACCE_CMD_GET_SS_DMA, &dma, ENODEV);
	T_CMD_ERR(q, WD_SOFT_CMD_KICK, 0, ENODEV);
	/* an unknown command: uacce's ioctl dispatch, the kernel's only */
	if (!t_host_local)
		T_ERR(ioctl(q->fd, _IO('W', 99)), ENODEV);
	T_EQ(t_q_poll_ev(q, 1000, &rev), 1);
	T_ASSERT_MSG((rev & (POLLHUP | POLLERR)) == (POLLHUP | POLLERR),
		     "poll after removal: revents %#x, expected POLLHUP|POLLERR",
		     rev);
	T_EQ(t_q_poll(q, 0), -ENODEV);
}

TEST(remove_with_queues_open)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q q, q2;
	struct poller pl = { 0 }, pl2 = { 0 };
	pthread_t th, th2;
	char copy[64], dev[32];
	bool have_copy;
	char *src, *dst;

	t_q_setup(&q, in.ua);
	t_q_map_ss(&q, 4 * t_page);
	src = t_q_ss_alloc(&q, 5000);
	dst = t_q_ss_alloc(&q, 5000);
	t_q_copy_check(&q, src, dst, 5000);
	t_q_open(&q2, in.ua);		/* open, nothing mapped */
	have_copy = !t_host_local && make_node_copy(in.ua, copy);

	/* sleepers in poll: on the started queue, and on the queue in INIT
	 * (which the driver has no reason to wake: uacce must) */
	pl.q = &q;
	pl2.q = &q2;
	/* completions would not wake this one: removal must */
	q.mmio->cq_notify = WD_SOFT_CQN_ENABLE;
	T_EQ(pthread_create(&th, NULL, poller_fn, &pl), 0);
	T_EQ(pthread_create(&th2, NULL, poller_fn, &pl2), 0);
	/* both asleep in poll() before the removal, for certain */
	T_WAIT_UNTIL(__atomic_load_n(&pl.tid, __ATOMIC_SEQ_CST) &&
		     __atomic_load_n(&pl2.tid, __ATOMIC_SEQ_CST),
		     "the pollers never ran");
	t_wait_asleep_in_poll(pl.tid, "poller (started queue)");
	t_wait_asleep_in_poll(pl2.tid, "poller (queue in INIT)");
	T_ASSERT(!__atomic_load_n(&pl.done, __ATOMIC_ACQUIRE));
	T_ASSERT(!__atomic_load_n(&pl2.done, __ATOMIC_ACQUIRE));

	del_from_child(&in, 20000);

	/* the sleepers wake up */
	T_WAIT_UNTIL(__atomic_load_n(&pl.done, __ATOMIC_ACQUIRE),
		     "poll sleeper (started queue) not woken by the removal");
	T_WAIT_UNTIL(__atomic_load_n(&pl2.done, __ATOMIC_ACQUIRE),
		     "poll sleeper (queue in INIT) not woken by the removal");
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	T_EQ(pl.ret, 1);
	T_ASSERT_MSG((pl.revents & (POLLHUP | POLLERR)) == (POLLHUP | POLLERR),
		     "woken sleeper: revents %#x, expected POLLHUP|POLLERR",
		     pl.revents);
	T_EQ(pl2.ret, 1);
	T_ASSERT_MSG((pl2.revents & (POLLHUP | POLLERR)) == (POLLHUP | POLLERR),
		     "woken sleeper (INIT): revents %#x, expected "
		     "POLLHUP|POLLERR", pl2.revents);

	refused_after_removal(&q);
	refused_after_removal(&q2);

	/* mmap: ENODEV, for a region never mapped */
	T_ERR(t_q_region(&q2, UACCE_QFRT_MMIO, q.mmio_size), ENODEV);
	T_ERR(t_q_region(&q2, UACCE_QFRT_DUS, q.dus_size), ENODEV);
	T_ERR(t_q_region(&q2, UACCE_QFRT_SS, t_page), ENODEV);

	if (t_host_local) {
		/*
		 * In-process, a dead queue's regions stay mapped until it is
		 * closed (wdl_dev_destroy(): the device cannot take pages out
		 * of its own process), and the path names the instance, so
		 * its open is the node copy's: ENODEV, as its attributes.
		 */
		char buf[64];

		T_ERR(t_q_region(&q, UACCE_QFRT_MMIO, q.mmio_size), ENODEV);
		T_EQ(t_open_raw(in.ua), -ENODEV);
		T_EQ(t_attr_str(in.ua, "flags", buf, sizeof(buf)), -ENODEV);
		goto close;
	}

	/* the regions are gone from the process */
	T_EQ(t_touch(q.mmio_map, false), SIGBUS);
	T_EQ(t_touch(q.dus_map, false), SIGBUS);
	T_EQ(t_touch((char *)q.dus_map + q.dus_size - 1, true), SIGBUS);
	T_EQ(t_touch(q.ss, false), SIGBUS);
	T_EQ(t_touch(dst, true), SIGBUS);

	/* mmap: ENODEV, for a region unmapped */
	T_OK(munmap(q.mmio_map, q.mmio_size));
	q.mmio_map = NULL;
	T_ERR(t_q_region(&q, UACCE_QFRT_MMIO, q.mmio_size), ENODEV);

	/* the node is gone; a copy of it opens nothing */
	T_ASSERT_MSG(!t_exists(t_dev_path(in.ua, dev)),
		     "%s still exists after removal", dev);
	T_EQ(t_open_raw(in.ua), -ENOENT);
	if (have_copy) {
		int fd = open(copy, O_RDWR);
		int e = errno;

		unlink(copy);
		T_ASSERT_MSG(fd < 0 && (e == ENODEV || e == ENXIO),
			     "open of a removed device: %s, expected ENODEV "
			     "(or ENXIO)", fd >= 0 ? "opened" : t_errname(e));
		if (e == ENXIO)
			t_note("a new open of the removed device gives ENXIO, "
			       "not ENODEV");
	} else {
		t_note("could not mknod a copy of /dev/ua%d: open not tested",
		       in.ua);
	}
	{
		char p[64];

		snprintf(p, sizeof(p), "/sys/class/uacce/ua%d", in.ua);
		T_ASSERT_MSG(!t_exists(p), "%s still exists", p);
	}

close:
	/* close and munmap work */
	t_q_close(&q);
	t_q_close(&q2);

	/* the bus still works */
	struct t_inst n = t_inst_create("");
	struct t_q q3;
	struct wd_soft_sqe s = t_sqe_nop(1);

	t_q_setup(&q3, n.ua);
	T_EQ(t_q_run(&q3, &s).status, WD_SOFT_S_OK);
}

/* removal in each mode, with SVA requests in flight */
static void remove_busy(const char *mode)
{
	struct t_inst in = t_inst_create(mode);
	struct t_q q;
	size_t len;
	char *src, *dst;

	t_q_setup(&q, in.ua);
	if ((q.flags & UACCE_DEV_SVA) == UACCE_DEV_SVA) {
		len = 4 << 20;
		src = malloc(len);
		dst = malloc(len);
		T_ASSERT(src && dst);
	} else {
		long long max = t_ss_max(in.ua);

		len = 1 << 20;
		if (max > 0 && (long long)len * 2 > max)
			len = max / 2;
		t_q_map_ss(&q, 2 * len);
		src = t_q_ss_alloc(&q, len);
		dst = t_q_ss_alloc(&q, len);
	}
	memset(src, 1, len);
	for (int i = 0; i < 64; i++) {
		struct wd_soft_sqe s = t_sqe_copy(&q, src, dst, len, len);

		t_q_push(&q, &s);
	}
	t_q_publish(&q);
	del_from_child(&in, 60000);
	refused_after_removal(&q);
	/* in-process, the regions stay until close (wdl_dev_destroy()) */
	if (!t_host_local)
		T_EQ(t_touch(q.dus_map, false), SIGBUS);
	t_q_close(&q);
}

TEST(remove_busy_sva)
{
	remove_busy("mode=sva");
}

TEST(remove_busy_pasid)
{
	remove_busy("mode=pasid");
}

TEST(remove_busy_noiommu)
{
	remove_busy("mode=noiommu");
}

/* a fork child holds the fd (not the owner) when the device goes */
TEST(remove_with_non_owner_holding_fd)
{
	T_NEED_KERNEL("in-process devices serve only the process that "
		      "created them: a fork child's copy of the queue never "
		      "learns of its parent's removal");
	struct t_inst in = t_inst_create("");
	struct t_q q;
	int pfd[2];
	pid_t pid;
	char c;

	t_q_setup(&q, in.ua);
	T_OK(pipe(pfd));
	pid = t_fork();
	if (pid == 0) {
		struct pollfd p = { .fd = q.fd, .events = POLLIN };

		T_OK(read(pfd[0], &c, 1));
		T_EQ(poll(&p, 1, 1000), 1);
		T_ASSERT(p.revents & POLLERR);
		/* docs/uacce.md: ENODEV first, then EPERM for non-owners */
		T_CMD_ERR(&q, UACCE_CMD_START_Q, 0, ENODEV);
		T_OK(close(q.fd));
		_exit(0);
	}
	t_q_close(&q);		/* the owner lets go first */
	del_from_child(&in, 20000);
	T_OK(write(pfd[1], "x", 1));
	t_wait_ok(pid, T_HANG_MS);
}

TEST(remove_without_queues)
{
	struct t_inst in = t_inst_create("");
	char dev[32], p[64];

	t_inst_delete(&in);
	T_ASSERT(!t_exists(t_dev_path(in.ua, dev)));
	snprintf(p, sizeof(p), "/sys/class/uacce/ua%d", in.ua);
	T_ASSERT(!t_exists(p));
}

/* A's SS (on device X) shared to B (device Y); X goes away */
TEST(remove_device_of_shared_ss)
{
	struct t_inst x = t_inst_create("mode=pasid");
	struct t_inst y = t_inst_create("mode=pasid");
	struct t_q a, b;
	char *src, *dst;
	struct wd_soft_sqe s;
	struct wd_soft_cqe cqe;

	t_q_setup(&a, x.ua);
	t_q_map_ss(&a, 2 * t_page);
	src = t_q_ss_alloc(&a, 1000);
	dst = t_q_ss_alloc(&a, 1000);
	t_q_open(&b, y.ua);
	t_q_map(&b);
	T_CMD_OK(&b, UACCE_CMD_SHARE_SVAS, a.fd);
	t_q_start(&b);
	t_q_copy_check(&b, src, dst, 1000);
	del_from_child(&x, 20000);
	refused_after_removal(&a);
	/* B keeps working on its own ring; a request into the (now
	 * unmapped) shared region may succeed or fail, but must complete */
	s = t_sqe_copy(&b, src, dst, 1000, 1000);
	cqe = t_q_run(&b, &s);
	T_ASSERT_MSG(cqe.status == WD_SOFT_S_OK ||
		     cqe.status == WD_SOFT_S_BAD_ADDR,
		     "copy into a removed device's SS: status %u", cqe.status);
	s = t_sqe_nop(2);
	T_EQ(t_q_run(&b, &s).status, WD_SOFT_S_OK);
	t_q_close(&a);
	t_q_close(&b);
}

/* opens, maps and starts racing the removal: each fails cleanly or works */
struct racer {
	int ua;
	volatile bool stop;
	int opened, refused;	/* atomic */
};

static void *racer_fn(void *arg)
{
	struct racer *r = arg;

	while (!r->stop) {
		int fd = t_open_raw(r->ua);

		if (fd < 0) {
			if (fd != -ENOENT && fd != -ENODEV && fd != -ENXIO &&
			    fd != -EBUSY)
				T_FAIL("open racing removal: %s",
				       t_errname(-fd));
			__atomic_fetch_add(&r->refused, 1, __ATOMIC_RELAXED);
			continue;
		}
		__atomic_fetch_add(&r->opened, 1, __ATOMIC_RELAXED);
		struct t_q q = { .fd = fd, .ua = r->ua };
		void *m = t_q_region(&q, UACCE_QFRT_DUS, WD_SOFT_DUS_SIZE);
		int e = errno, ret;

		if (m == MAP_FAILED && e != ENODEV)
			T_FAIL("mmap racing removal: %s", t_errname(e));
		ret = t_q_cmd(&q, UACCE_CMD_START_Q, 0);
		if (ret && ret != -ENODEV)
			T_FAIL("START_Q racing removal: %s", t_errname(-ret));
		if (m != MAP_FAILED) {
			q.dus_map = m;
			q.dus_size = WD_SOFT_DUS_SIZE;
		}
		t_q_close(&q);
	}
	return NULL;
}

TEST(remove_races_open)
{
	for (int round = 0; round < 5; round++) {
		struct t_inst in = t_inst_create("queues=8");
		struct racer r = { .ua = in.ua };
		pthread_t th[2];

		for (int i = 0; i < 2; i++)
			T_EQ(pthread_create(&th[i], NULL, racer_fn, &r), 0);
		/* the race is on once they open; the removal comes a while later */
		T_WAIT_UNTIL(__atomic_load_n(&r.opened, __ATOMIC_RELAXED) >= 2,
			     "round %d: the racers never opened the device", round);
		t_msleep(round * 30);
		del_from_child(&in, 20000);
		t_msleep(20);
		r.stop = true;
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		T_ASSERT(r.opened > 0);
	}
}
