// SPDX-License-Identifier: GPL-2.0
/*
 * t_instances: available_instances and the wd_soft bus (new_device,
 * del_device): docs/uacce.md and docs/soft-device.md, "Instances".
 */
#include "t.h"
#include "engines.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>


TEST(available_instances_count)
{
	struct t_inst in = t_inst_create("queues=4");
	int fd[5];

	T_EQ(t_attr_ll(in.ua, "available_instances"), 4);
	for (int i = 0; i < 4; i++) {
		fd[i] = t_open_raw(in.ua);
		T_ASSERT_MSG(fd[i] >= 0, "open #%d: %s", i + 1,
			     t_errname(-fd[i]));
		T_EQ(t_attr_ll(in.ua, "available_instances"), 3 - i);
	}
	T_EQ(t_open_raw(in.ua), -EBUSY);
	T_EQ(t_open_raw(in.ua), -EBUSY);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
	/* a dup is not a new queue */
	int d = T_OK(dup(fd[0]));

	T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
	T_OK(close(d));
	T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
	for (int i = 0; i < 4; i++) {
		T_OK(close(fd[i]));
		T_EQ(t_attr_ll(in.ua, "available_instances"), i + 1);
	}
	/* after closing, all four open again; a fifth is refused again */
	for (int i = 0; i < 4; i++) {
		fd[i] = t_open_raw(in.ua);
		T_ASSERT_MSG(fd[i] >= 0, "reopen #%d: %s", i + 1,
			     t_errname(-fd[i]));
	}
	T_EQ(t_open_raw(in.ua), -EBUSY);
	T_OK(close(fd[2]));
	fd[2] = t_open_raw(in.ua);
	T_ASSERT(fd[2] >= 0);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
}

/* started and mapped queues count the same, and are returned on close */
TEST(available_instances_with_used_queues)
{
	struct t_inst in = t_inst_create("queues=2");
	struct t_q a, b;

	t_q_setup(&a, in.ua);
	t_q_setup(&b, in.ua);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
	T_EQ(t_open_raw(in.ua), -EBUSY);
	struct wd_soft_sqe s = t_sqe_nop(1);

	t_q_run(&a, &s);
	t_q_close(&a);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 1);
	t_q_setup(&a, in.ua);
	t_q_run(&a, &s);
	t_q_close(&a);
	t_q_close(&b);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 2);
}

/* a queue still mapped after close() lives until munmap */
TEST(available_instances_mapping_holds_queue)
{
	struct t_inst in;
	struct t_q q;

	T_NEED_KERNEL("the kernel ABI itself: a mapping of /dev/uaN holds the "
		      "file after close()");
	in = t_inst_create("queues=1");
	t_q_setup(&q, in.ua);
	T_OK(close(q.fd));
	q.fd = -1;
	/* the mappings keep the file, so the queue */
	T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
	t_q_unmap(&q);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 1);
	int fd = t_open_raw(in.ua);

	T_ASSERT(fd >= 0);
}

TEST(queues_per_instance_independent)
{
	struct t_inst a = t_inst_create("queues=1");
	struct t_inst b = t_inst_create("queues=3");
	int fa = t_open_raw(a.ua);

	T_ASSERT(fa >= 0);
	T_EQ(t_open_raw(a.ua), -EBUSY);
	T_EQ(t_attr_ll(b.ua, "available_instances"), 3);
	int fb = t_open_raw(b.ua);

	T_ASSERT(fb >= 0);
	T_EQ(t_attr_ll(a.ua, "available_instances"), 0);
	T_EQ(t_attr_ll(b.ua, "available_instances"), 2);
}

/* ---- the wd_soft bus ---- */

/* in-process: the instances (each one device) of this process */
static int nr_local(void)
{
	int n = 0;

	for (int id = 0; id <= 1023; id++)
		n += t_inst_exists(id);
	return n;
}

static int nr_instances(void)
{
	return t_host_local ? nr_local() : t_count_dir(T_BUS "/devices");
}

static int nr_uacce(void)
{
	return t_host_local ? nr_local() : t_count_dir("/sys/class/uacce");
}

TEST(new_device_good_strings)
{
	static const struct {
		const char *opts;
		int flags, queues, node;
	} good[] = {
		{ "", UACCE_DEV_SVA, -1, -2 },
		{ "\n", UACCE_DEV_SVA, -1, -2 },
		{ " mode=sva", UACCE_DEV_SVA, -1, -2 },
		{ " mode=pasid", UACCE_DEV_PASID, -1, -2 },
		{ " mode=noiommu\n", UACCE_DEV_NOIOMMU, -1, -2 },
		{ " queues=3", UACCE_DEV_SVA, 3, -2 },
		{ " engines=2", UACCE_DEV_SVA, -1, -2 },
		{ " node=0", UACCE_DEV_SVA, -1, 0 },
		{ " mode=pasid node=0 queues=2 engines=1", UACCE_DEV_PASID,
		  2, 0 },
		{ " queues=5 mode=noiommu engines=3\n", UACCE_DEV_NOIOMMU, 5,
		  -2 },
		/* the limits themselves */
		{ " queues=1024 engines=16", UACCE_DEV_SVA, 1024, -2 },
	};
	int base_i = nr_instances(), base_u = nr_uacce();

	for (unsigned int i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int id = t_free_id(), ua, r;
		char s[128], dev[32];

		snprintf(s, sizeof(s), "%d%s", id, good[i].opts);
		r = t_inst_new_raw(s);
		T_ASSERT_MSG(r == 0, "new_device \"%s\": %s", s, t_errname(-r));
		T_ASSERT(t_inst_exists(id));
		ua = t_inst_ua(id);
		T_ASSERT_MSG(ua >= 0, "\"%s\": no uacce device", s);
		T_EQ(nr_instances(), base_i + 1);
		T_EQ(nr_uacce(), base_u + 1);
		T_EQ(t_attr_ll(ua, "flags"), good[i].flags);
		if (good[i].queues > 0)
			T_EQ(t_attr_ll(ua, "available_instances"),
			     good[i].queues);
		if (good[i].node != -2)
			T_EQ(t_attr_ll(ua, "node_id"), good[i].node);
		/* devtmpfs makes the node asynchronously; in-process it is
		 * there already (as t_inst_create) */
		for (uint64_t end = t_now_ms() + T_HANG_MS; !t_host_local &&
		     !t_exists(t_dev_path(ua, dev)) && t_now_ms() < end;)
			t_msleep(10);
		/* usable */
		struct t_q q;
		struct wd_soft_sqe sqe = t_sqe_nop(i);

		t_q_setup(&q, ua);
		T_EQ(t_q_run(&q, &sqe).status, WD_SOFT_S_OK);
		t_q_close(&q);
		snprintf(s, sizeof(s), "%d", id);
		r = t_inst_del_raw(s);
		T_ASSERT_MSG(r == 0, "del_device \"%s\": %s", s, t_errname(-r));
		T_ASSERT(!t_inst_exists(id));
		T_EQ(nr_instances(), base_i);
		T_EQ(nr_uacce(), base_u);
		T_ASSERT(!t_exists(t_dev_path(ua, dev)));
	}
}

TEST(new_device_bad_strings_einval)
{
	int id = t_free_id();
	char bad[48][64];
	int n = 0;
	/* docs/soft-device.md: queues 1..1024, engines 1..16, node -1 or
	 * online, ID 0..1023, each key once, plain decimal numbers */
	const char *fmt[] = {
		"%d mode=bogus", "%d mode=", "%d mode", "%d queues=abc",
		"%d queues=", "%d queues=-1", "%d engines=x", "%d node=abc",
		"%d bogus=1", "%d mode=sva extra", "%d queues=3x",
		"%dx", "%d,mode=sva", "%d queues=0", "%d queues=1025",
		"%d engines=0", "%d engines=17", "%d queues=+3", "%d node=999",
		"%d node=-2", "%d mode=sva mode=pasid", "%d queues=2 queues=2",
		"%d MODE=sva", "%d mode=SVA", "%d queues=0x10",
	};

	snprintf(bad[n++], 64, "%s", "abc");
	snprintf(bad[n++], 64, "%s", "\n");
	snprintf(bad[n++], 64, "%s", "-1");
	snprintf(bad[n++], 64, "%s", "mode=sva");
	snprintf(bad[n++], 64, "%s", " ");
	snprintf(bad[n++], 64, "%s", "99999999999999999999");
	snprintf(bad[n++], 64, "%s", "1024");
	snprintf(bad[n++], 64, "%s", "+5");
	for (unsigned int i = 0; i < sizeof(fmt) / sizeof(fmt[0]); i++)
		snprintf(bad[n++], 64, fmt[i], id);

	int base_i = nr_instances(), base_u = nr_uacce();

	for (int i = 0; i < n; i++) {
		int r = t_inst_new_raw(bad[i]);

		T_ASSERT_MSG(r == -EINVAL, "new_device \"%s\": %s, expected "
			     "EINVAL", bad[i], r ? t_errname(-r) : "accepted");
		T_ASSERT_MSG(nr_instances() == base_i && nr_uacce() == base_u,
			     "new_device \"%s\" failed but created a device",
			     bad[i]);
		T_ASSERT(!t_inst_exists(id));
	}
	/* the ID is still free: a good string with it works */
	char s[32];

	snprintf(s, sizeof(s), "%d", id);
	T_EQ(t_inst_new_raw(s), 0);
	T_ASSERT(t_inst_exists(id));
}

TEST(new_device_used_id_eexist)
{
	struct t_inst in = t_inst_create("queues=2");
	char s[64];
	int base_i = nr_instances(), base_u = nr_uacce();

	snprintf(s, sizeof(s), "%d", in.id);
	T_EQ(t_inst_new_raw(s), -EEXIST);
	snprintf(s, sizeof(s), "%d mode=pasid", in.id);
	T_EQ(t_inst_new_raw(s), -EEXIST);
	T_EQ(nr_instances(), base_i);
	T_EQ(nr_uacce(), base_u);
	/* the existing one is unchanged */
	T_EQ(t_inst_ua(in.id), in.ua);
	T_EQ(t_attr_ll(in.ua, "flags"), UACCE_DEV_SVA);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 2);
}

TEST(del_device_unknown_id)
{
	int id = t_free_id();
	char s[32];
	int r;

	snprintf(s, sizeof(s), "%d", id);
	r = t_inst_del_raw(s);
	/* not fixed (docs/interfaces.md): ENODEV (soft-device.md) or ENOENT */
	T_ASSERT_MSG(r == -ENODEV || r == -ENOENT,
		     "del_device of unknown ID %d: %s", id,
		     r ? t_errname(-r) : "accepted");
}

TEST(del_device_bad_strings_einval)
{
	struct t_inst in = t_inst_create("");
	const char *bad[] = { "abc", "\n", "-1", "x1", "1 2" };
	int base = nr_instances();

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = t_inst_del_raw(bad[i]);

		T_ASSERT_MSG(r == -EINVAL, "del_device \"%s\": %s, expected "
			     "EINVAL", bad[i], r ? t_errname(-r) : "accepted");
	}
	T_EQ(nr_instances(), base);
	T_ASSERT(t_inst_exists(in.id));
	/* with a trailing newline, as echo writes it */
	char s[32];

	snprintf(s, sizeof(s), "%d\n", in.id);
	T_EQ(t_inst_del_raw(s), 0);
	T_ASSERT(!t_inst_exists(in.id));
	/* deleting twice: the second finds nothing */
	snprintf(s, sizeof(s), "%d", in.id);
	T_ASSERT(t_inst_del_raw(s) != 0);
}

/* create and delete many: counts return, IDs are reusable */
TEST(create_delete_cycles)
{
	int base_i = nr_instances(), base_u = nr_uacce();

	for (int round = 0; round < 5; round++) {
		struct t_inst in[T_NR_IDS];

		for (int i = 0; i < T_NR_IDS; i++)
			in[i] = t_inst_create(i % 3 == 0 ? "mode=pasid" :
					      i % 3 == 1 ? "mode=noiommu" : "");
		T_EQ(nr_instances(), base_i + T_NR_IDS);
		T_EQ(nr_uacce(), base_u + T_NR_IDS);
		for (int i = 0; i < T_NR_IDS; i++)
			for (int j = 0; j < i; j++)
				T_ASSERT(in[i].ua != in[j].ua);
		for (int i = 0; i < T_NR_IDS; i++)
			t_inst_delete(&in[i]);
		T_EQ(nr_instances(), base_i);
		T_EQ(nr_uacce(), base_u);
	}
}

/* deleting an instance leaves the others alone */
TEST(delete_one_of_two)
{
	struct t_inst a = t_inst_create("");
	struct t_inst b = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(4);

	t_q_setup(&q, b.ua);
	t_inst_delete(&a);
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
	T_EQ(t_attr_ll(b.ua, "id"), b.ua);
}

/* one opener of the storm: 300 tries, and more until one got a queue */
static void *storm(void *arg)
{
	int ua = *(int *)arg;
	uint64_t end = t_now_ms() + T_HANG_MS;
	int got = 0;

	for (int i = 0; i < 300 || (!got && t_now_ms() < end); i++) {
		struct t_q q = { .fd = t_open_raw(ua), .ua = ua };

		if (q.fd == -EBUSY)
			continue;
		if (q.fd < 0)
			T_FAIL("open: %s", t_errname(-q.fd));
		got++;
		if (i % 7 == 0)
			T_CMD_OK(&q, UACCE_CMD_START_Q, 0);
		close(q.fd);
	}
	T_ASSERT(got > 0);
	return NULL;
}

/*
 * processes opening and closing at once: EBUSY or a queue, counts exact
 * (in-process: threads, as in-process devices serve only the process that
 * created them)
 */
T_TEST_TMO(open_close_storm, 120)
{
	struct t_inst in = t_inst_create("queues=4");
	pthread_t th[6];
	pid_t pid[6];

	for (int k = 0; k < 6; k++) {
		if (t_host_local) {
			T_EQ(pthread_create(&th[k], NULL, storm, &in.ua), 0);
			continue;
		}
		pid[k] = t_fork();
		if (pid[k] == 0) {
			storm(&in.ua);
			_exit(0);
		}
	}
	for (int k = 0; k < 6; k++)
		if (t_host_local)
			T_EQ(pthread_join(th[k], NULL), 0);
		else
			t_wait_ok(pid[k], 100000);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 4);
	int fd[4];

	for (int i = 0; i < 4; i++) {
		fd[i] = t_open_raw(in.ua);
		T_ASSERT(fd[i] >= 0);
	}
	T_EQ(t_open_raw(in.ua), -EBUSY);
}

/* uacce has room for 256 devices: then new_device gives ENOSPC */
T_TEST_TMO(uacce_device_limit_enospc, 300)
{
	int base, created = 0, r = 0;
	char s[32];

	T_NEED_KERNEL("uacce's 256 char device minors: the in-process device "
		      "has no uacce");
	base = nr_uacce();
	T_ASSERT(base >= 0 && base < 256);
	for (int id = 700; id < 1000; id++) {
		snprintf(s, sizeof(s), "%d queues=1", id);
		r = t_inst_new_raw(s);
		if (r)
			break;
		created++;
	}
	int got = nr_uacce();

	for (int id = 700; id < 700 + created; id++) {
		snprintf(s, sizeof(s), "%d", id);
		t_inst_del_raw(s);
	}
	T_ASSERT_MSG(r == -ENOSPC, "new_device #%d past the limit: %s, "
		     "expected ENOSPC", created + 1,
		     r ? t_errname(-r) : "accepted");
	T_EQ(base + created, 256);
	T_EQ(got, 256);
	T_EQ(nr_uacce(), base);
	/* and there is room again */
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe sq = t_sqe_nop(1);

	t_q_setup(&q, in.ua);
	T_EQ(t_q_run(&q, &sq).status, WD_SOFT_S_OK);
}

/*
 * tasks named one of @want's three; in-process: this process's engine
 * threads, named wdlN/E by lib/soft after its own device number N (the
 * test's instance is the only device of its process)
 */
static int count_threads(char want[3][32])
{
	int n = 0;

	if (t_host_local)
		return eng_tids(NULL, 0, NULL);
	for (int i = 0; i < 3; i++)
		n += t_tasks_named(want[i], NULL);
	return n;
}

/*
 * the engines are kernel threads named wd_softID/E (docs/soft-device.md);
 * in-process, threads of the process (docs/soft-local.md)
 */
TEST(engine_threads)
{
	struct t_inst in = t_inst_create("engines=3");
	char want[3][32];

	for (int i = 0; i < 3; i++)
		snprintf(want[i], sizeof(want[i]), "wd_soft%d/%d", in.id, i);
	T_EQ(count_threads(want), 3);
	t_inst_delete(&in);
	/*
	 * And they are gone with the instance: stopped before the deletion
	 * returns, out of /proc once reaped, a moment later.
	 */
	T_WAIT_UNTIL(!count_threads(want), "%d engine threads left after the "
		     "deletion", count_threads(want));
}
