// SPDX-License-Identifier: MIT
/*
 * t_libwd: choosing the device, and the in-process device's engines (WD_LOCAL_ENGINES).
 * One of the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"

#ifdef T_NATIVE
#include "wd_ctl.h"
#endif

/* ---- choosing the device ---- */

/* "local" only when named; never instead of a missing device */
TEST(local_explicit)
{
	struct wd_queue q;

	unsetenv("WD_DEV_PATH");
#ifdef T_NATIVE
	if (t_exists("/sys/class/uacce"))
		t_skip("this machine has uacce devices");
	T_EQ(q_try(&q, "copy", ""), -ENODEV);
	T_EQ(q_try(&q, "copy", "local"), 0);
	T_EQ(q.dev_flags, WD_DEV_LOCAL | WD_DEV_SVA);
	T_STREQ(q.dev_path, "local:sva");
	wd_release_queue(&q);
	setenv("WD_DEV_PATH", "local:pasid", 1);
	T_EQ(q_try(&q, "copy", ""), 0);
	T_EQ(q.dev_flags, WD_DEV_LOCAL | WD_DEV_PASID);
	T_STREQ(q.dev_path, "local:pasid");
	wd_release_queue(&q);
#else
	/* the static VM programs have no in-process device */
	T_EQ(q_try(&q, "copy", "local"), -ENODEV);
	setenv("WD_DEV_PATH", "local", 1);
	T_EQ(q_try(&q, "copy", ""), -ENODEV);
	unsetenv("WD_DEV_PATH");
	T_EQ(q_try(&q, "copy", ""), 0);
	T_ASSERT(!strncmp(q.dev_path, "/dev/ua", 7));
	T_ASSERT(!(q.dev_flags & WD_DEV_LOCAL));
	wd_release_queue(&q);
#endif
}

/* ---- the in-process device's engines (WD_LOCAL_ENGINES) ---- */

#ifdef T_NATIVE
/* the threads of this process (all of them in *all), engines into e[] */
int eng_threads(struct eng_thread *e, int max, int *all)
{
	struct eng_tid t[WD_LOCAL_ENGINES_MAX * 3];
	int nt = (int)(sizeof(t) / sizeof(t[0])), n = eng_tids(t, nt, all);

	T_ASSERT(n >= 0);
	for (int k = 0; e && k < n && k < max && k < nt; k++)
		e[k] = (struct eng_thread){ t[k].tid, t[k].dev, t[k].idx };
	return n;
}

int nr_engines(void)
{
	return eng_threads(NULL, 0, NULL);
}

static int nr_threads(void)
{
	int all;

	eng_threads(NULL, 0, &all);
	return all;
}

/*
 * Wait (up to T_HANG_MS) until every engine thread sleeps: a thread inside
 * malloc() at fork() leaves the child's allocator locked. glibc's malloc
 * guards against that; GCC 12's ASan allocator does not, and a freshly
 * started engine thread is still in its start-up allocations.
 */
void engines_asleep(void)
{
	struct eng_thread e[WD_LOCAL_ENGINES_MAX * 3];

	for (uint64_t end = t_now_ms() + T_HANG_MS; t_now_ms() < end;) {
		int n = eng_threads(e, (int)(sizeof(e) / sizeof(e[0])), NULL), awake = 0;

		for (int k = 0; k < n; k++) {
			char path[64], buf[512], *p;
			int len;

			snprintf(path, sizeof(path), "/proc/self/task/%d/stat", e[k].tid);
			len = t_read_file(path, buf, sizeof(buf) - 1);
			if (len <= 0)
				continue;
			buf[len] = 0;
			p = strrchr(buf, ')');
			awake += !p || p[2] != 'S';
		}
		if (!awake)
			return;
		t_msleep(1);
	}
	T_FAIL("engine threads still running after %d s with nothing to do",
	       T_HANG_MS / 1000);
}

/* a queue on the in-process device must work: one copy through it */
void local_copy_works(struct wd_queue *q)
{
	struct wd_copy_req req;
	uint8_t *mem = q_mem(q, 64 * 1024);

	fill_text(mem, 4096, 7);
	wd_prep_copy(&req, mem + 8192, mem, 4096);
	run(q, &req);
	T_EQ(req.status, 0);
	T_ASSERT(!memcmp(mem + 8192, mem, 4096));
}
#endif

/* unset or empty: one engine; the variable counts only at creation */
TEST(local_engines_default)
{
	native_only();
#ifdef T_NATIVE
	struct wd_queue q, q2, q3;

	unsetenv("WD_LOCAL_ENGINES");
	T_EQ(nr_engines(), 0);
	q_open_on(&q, "copy", "local");
	T_EQ(nr_engines(), 1);
	local_copy_works(&q);

	setenv("WD_LOCAL_ENGINES", "", 1);	/* empty: as unset */
	q_open_on(&q2, "copy", "local:pasid");
	T_EQ(nr_engines(), 2);

	/* the devices exist: the variable is not read again */
	setenv("WD_LOCAL_ENGINES", "4", 1);
	q_open_on(&q3, "copy", "local:sva");
	T_EQ(nr_engines(), 2);
	wd_release_queue(&q3);
	setenv("WD_LOCAL_ENGINES", "abc", 1);
	q_open_on(&q3, "copy", "local:pasid");
	local_copy_works(&q3);
	T_EQ(nr_engines(), 2);
	wd_release_queue(&q3);
	wd_release_queue(&q2);
	wd_release_queue(&q);
	unsetenv("WD_LOCAL_ENGINES");
#endif
}

#ifdef T_NATIVE
/*
 * Which engine of @q's device owns @q: one request alone on it, then
 * engine_stats ("requests helped" per engine). A sibling can take it only
 * by helping the owner (it is then counted as helped), so the owner is
 * the engine that executed it unhelped, or the helper's sibling.
 */
static void engine_stats(struct wd_queue *q, unsigned long long r[2],
			 unsigned long long h[2])
{
	char buf[128];

	/* counted after the batch: engines asleep have counted all theirs */
	engines_asleep();
	T_ASSERT(wd_ctl_attr_get(q->dev_path, "engine_stats", buf, sizeof(buf)) > 0);
	T_EQ(sscanf(buf, "%llu %llu %llu %llu", &r[0], &h[0], &r[1], &h[1]), 4);
}

static int queue_owner(struct wd_queue *q, struct wd_comp_req *req)
{
	unsigned long long r0[2], h0[2], r1[2], h1[2];
	void *done = NULL;

	engine_stats(q, r0, h0);
	T_EQ(wd_send(q, req), 0);
	wd_flush(q);
	T_EQ(wd_recv_wait(q, &done, T_HANG_MS), 1);
	T_ASSERT(done == req && !req->status);
	engine_stats(q, r1, h1);
	T_EQ(r1[0] - r0[0] + r1[1] - r0[1], 1);
	for (int k = 0; k < 2; k++)
		if (r1[k] != r0[k])
			return h1[k] != h0[k] ? !k : k;
	return -1;
}
#endif

/*
 * WD_LOCAL_ENGINES=2: two engine threads, four queues spread over both
 * (attached to the least loaded engine: two each), every request right:
 * inflated by zlib to its input, and the same chunk compressed to the same
 * bytes on either engine.
 */
MTEST(local_engines_two)
{
	native_only();
#ifdef T_NATIVE
	enum { NQ = 4, NR = 6, CH = 256 * 1024, ROOM = CH + CH / 8 + 4096 };
	struct wd_queue q[NQ];
	static struct wd_comp_req req[NQ][NR];
	struct eng_thread e0[4], e1[4];
	uint8_t *src[NQ], *dst[NQ], *back = malloc(CH);
	int owners[NQ];
	size_t got;

	T_ASSERT(back);
	setenv("WD_LOCAL_ENGINES", "2", 1);
	for (int i = 0; i < NQ; i++) {
		uint8_t *mem;

		q_open(&q[i], "gzip");
		T_ASSERT(q[i].dev_flags & WD_DEV_LOCAL);
		mem = q_mem(&q[i], (size_t)NR * (CH + ROOM));
		src[i] = mem;
		dst[i] = mem + (size_t)NR * CH;
		/* chunk r of every queue holds the same text */
		for (int r = 0; r < NR; r++)
			fill_text(src[i] + (size_t)r * CH, CH, 100 + r);
	}
	unsetenv("WD_LOCAL_ENGINES");
	T_EQ(eng_threads(e0, 4, NULL), 2);
	T_ASSERT(e0[0].dev == e0[1].dev && e0[0].idx != e0[1].idx);

	/* all in flight at once, on every queue */
	for (int i = 0; i < NQ; i++) {
		for (int r = 0; r < NR; r++) {
			wd_prep_comp(&req[i][r], WD_COMPRESS, 6,
				     dst[i] + (size_t)r * ROOM, ROOM,
				     src[i] + (size_t)r * CH, CH);
			T_EQ(wd_send(&q[i], &req[i][r]), 0);
		}
		wd_flush(&q[i]);
	}
	for (int i = 0; i < NQ; i++) {
		for (int r = 0; r < NR; r++) {
			void *done = NULL;

			T_EQ(wd_recv_wait(&q[i], &done, 60000), 1);
			T_ASSERT(done == &req[i][r]);
			T_EQ(req[i][r].status, 0);
			T_EQ(ref_inflate("gzip", dst[i] + (size_t)r * ROOM,
					 req[i][r].out_len, back, CH, &got), 0);
			T_EQ(got, CH);
			T_ASSERT(!memcmp(back, src[i] + (size_t)r * CH, CH));
			T_EQ(req[i][r].out_len, req[0][r].out_len);
			T_ASSERT(!memcmp(dst[i] + (size_t)r * ROOM,
					 dst[0] + (size_t)r * ROOM,
					 req[i][r].out_len));
		}
	}

	/* each engine owns two of the queues: asked one queue at a time */
	for (int i = 0; i < NQ; i++)
		owners[i] = queue_owner(&q[i], &req[i][0]);
	t_note("the queues' engines: %d %d %d %d", owners[0], owners[1],
	       owners[2], owners[3]);
	for (int k = 0; k < 2; k++) {
		int n = 0;

		for (int i = 0; i < NQ; i++)
			n += owners[i] == k;
		T_ASSERT_MSG(n == NQ / 2, "engine %d owns %d of the %d queues: "
			     "%d %d %d %d", k, n, NQ, owners[0], owners[1],
			     owners[2], owners[3]);
	}
	T_EQ(eng_threads(e1, 4, NULL), 2);
	for (int k = 0; k < 2; k++)
		T_EQ(e1[k].tid, e0[k].tid);
	for (int i = 0; i < NQ; i++)
		wd_release_queue(&q[i]);
	free(back);
	T_EQ(nr_engines(), 2);		/* the device lives on */
#endif
}

#if defined(T_NATIVE) && defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

/* invalid values: -EINVAL, no thread, no memory left behind; then a fix */
TEST(local_engines_invalid)
{
	native_only();
#ifdef T_NATIVE
	static const char *const bad[] = {
		"0", "00", "-1", "+2", "17", "100", "4294967298",
		"99999999999999999999", "abc", "2x", "2 ", " 2", "0x2", "1.5",
		"\t1",
	};
	static const char *const devs[] = { "local", "local:pasid",
					    "local:noiommu" };
	struct wd_queue q;
	int threads = nr_threads();

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("WD_LOCAL_ENGINES", bad[i], 1);
		T_EQ(wd_local_engines(), -EINVAL);
		for (int d = 0; d < 3; d++) {
			int r = q_try(&q, "copy", devs[d]);

			T_ASSERT_MSG(r == -EINVAL,
				     "WD_LOCAL_ENGINES=\"%s\" on %s: %s, expected EINVAL",
				     bad[i], devs[d], t_errname(-r));
			T_ASSERT(!q.priv);
		}
		T_EQ(nr_engines(), 0);
	}
	/* WD_DEV_PATH's device is created with the same rule */
	setenv("WD_DEV_PATH", "local:noiommu", 1);
	T_EQ(q_try(&q, "copy", ""), -EINVAL);
	unsetenv("WD_DEV_PATH");
	T_EQ(nr_threads(), threads);
	T_EQ(nr_engines(), 0);
#ifdef __SANITIZE_ADDRESS__
	T_ASSERT_MSG(!__lsan_do_recoverable_leak_check(),
		     "memory leaked by the refused requests (report above)");
#endif
	/* nothing was remembered: a valid value works at once */
	setenv("WD_LOCAL_ENGINES", "3", 1);
	T_EQ(wd_local_engines(), 3);
	q_open_on(&q, "copy", "local");
	T_EQ(nr_engines(), 3);
	local_copy_works(&q);
	wd_release_queue(&q);
	setenv("WD_LOCAL_ENGINES", "016", 1);	/* leading zeros: 16 */
	T_EQ(wd_local_engines(), 16);
	q_open_on(&q, "copy", "local:pasid");
	T_EQ(nr_engines(), 3 + 16);
	wd_release_queue(&q);
	unsetenv("WD_LOCAL_ENGINES");
	T_EQ(wd_local_engines(), 1);
	setenv("WD_LOCAL_ENGINES", "", 1);
	T_EQ(wd_local_engines(), 1);
	unsetenv("WD_LOCAL_ENGINES");
#endif
}

/* a fork child makes its own device, with the variable as it finds it */
TEST(local_engines_fork)
{
	native_only();
#ifdef T_NATIVE
	struct wd_queue q;
	pid_t pid;

	setenv("WD_LOCAL_ENGINES", "2", 1);
	q_open_on(&q, "copy", "local");
	T_EQ(nr_engines(), 2);
	engines_asleep();
	pid = t_fork();
	if (!pid) {
		struct wd_queue c;

		T_EQ(nr_engines(), 0);		/* threads do not fork */
		setenv("WD_LOCAL_ENGINES", "x", 1);
		T_EQ(q_try(&c, "copy", "local"), -EINVAL);
		setenv("WD_LOCAL_ENGINES", "3", 1);
		q_open_on(&c, "copy", "local");
		T_EQ(nr_engines(), 3);
		local_copy_works(&c);
		wd_release_queue(&c);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	T_EQ(nr_engines(), 2);
	local_copy_works(&q);
	wd_release_queue(&q);
	unsetenv("WD_LOCAL_ENGINES");
#endif
}

/*
 * The in-process devices belong to the process that made them (their
 * engine threads do not fork): in a child every operation on the parent's
 * instance fails with -EPERM, as lib/soft's calls on its devices do, and
 * the child's "local:MODE" is a device of its own. Nothing here opens a
 * queue before fork(), so libwd's fork handling must not wait for one; the
 * parent's instance is intact afterwards.
 */
TEST(local_instance_fork)
{
	native_only();
#ifdef T_NATIVE
	char dev[WD_DEV_PATH_MAX], buf[64];
	struct wd_queue q;
	pid_t pid;

	T_EQ(wd_ctl_new_device(WD_CTL_LOCAL, "5 mode=sva engines=1"), 0);
	T_EQ(wd_ctl_dev_path(WD_CTL_LOCAL, 5, dev, sizeof(dev)), 0);
	T_STREQ(dev, "local/5");
	/* a default device made by an attribute read, not by a queue */
	T_ASSERT(wd_ctl_attr_get("local:pasid", "api", buf, sizeof(buf)) > 0);
	T_EQ(nr_engines(), 2);
	engines_asleep();
	pid = t_fork();
	if (!pid) {
		struct wd_queue c;

		T_EQ(wd_ctl_del_device(WD_CTL_LOCAL, 5), -EPERM);
		T_EQ(wd_ctl_attr_get(dev, "api", buf, sizeof(buf)), -EPERM);
		T_EQ(wd_ctl_attr_get(dev, "hold", buf, sizeof(buf)), -EPERM);
		T_EQ(wd_ctl_attr_set(dev, "hold", "1"), -EPERM);
		T_EQ(wd_ctl_attr_set(dev, "fail_next", "1"), -EPERM);
		T_EQ(q_try(&c, "copy", dev), -EPERM);
		/* the ID stays the parent's, refused again */
		T_EQ(wd_ctl_new_device(WD_CTL_LOCAL, "5"), -EEXIST);
		T_EQ(wd_ctl_del_device(WD_CTL_LOCAL, 5), -EPERM);
		/* the child's own: a default device, an instance */
		q_open_on(&c, "copy", "local:pasid");
		local_copy_works(&c);
		wd_release_queue(&c);
		T_EQ(wd_ctl_new_device(WD_CTL_LOCAL, "6 engines=1"), 0);
		q_open_on(&c, "copy", "local/6");
		local_copy_works(&c);
		wd_release_queue(&c);
		T_EQ(wd_ctl_del_device(WD_CTL_LOCAL, 6), 0);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	/* the parent's instance: there, its attributes as they were, working */
	T_EQ(nr_engines(), 2);
	T_EQ(wd_ctl_attr_get(dev, "fail_next", buf, sizeof(buf)), 1);
	T_STREQ(buf, "0");
	T_EQ(wd_ctl_attr_get(dev, "hold", buf, sizeof(buf)), 1);
	T_STREQ(buf, "0");
	q_open_on(&q, "copy", dev);
	local_copy_works(&q);
	wd_release_queue(&q);
	T_EQ(wd_ctl_del_device(WD_CTL_LOCAL, 5), 0);
	T_EQ(wd_ctl_del_device(WD_CTL_LOCAL, 5), -ENODEV);
	T_EQ(nr_engines(), 1);
#endif
}
