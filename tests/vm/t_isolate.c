// SPDX-License-Identifier: GPL-2.0
/*
 * t_isolate: error isolation (docs/uacce.md, "Error isolation": an isolated
 * device refuses new queues (EIO) until isolate_strategy is written
 * again), driven by wd_soft's fault injection, debugfs
 * wd_soft/wd_softN/fail_next (docs/soft-device.md; t_fail_next()).
 */
#include "t.h"

#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>


static void inject(struct t_inst *in, int n)
{
	t_fail_next(in->id, n);
}

static long long fail_next(struct t_inst *in)
{
	return t_get_fail_next(in->id);
}

/* a COPY that must fail with DEV_ERR without touching anything */
static void dev_err(struct t_q *q)
{
	char src[64] = "source", dst[64];
	struct wd_soft_sqe s;
	struct wd_soft_cqe c;

	memset(dst, 0x2d, sizeof(dst));
	s = t_sqe_copy(q, src, dst, sizeof(src), sizeof(dst));
	c = t_q_run(q, &s);
	T_EQ(c.status, WD_SOFT_S_DEV_ERR);
	T_EQ(c.out_len, 0);
	for (unsigned int i = 0; i < sizeof(dst); i++)
		T_ASSERT_MSG(dst[i] == 0x2d, "failed request wrote dst");
}

/* @n injected failures, seen as @n requests on @q failing with DEV_ERR */
static void dev_errs(struct t_inst *in, struct t_q *q, int n)
{
	inject(in, n);
	for (int i = 0; i < n; i++)
		dev_err(q);
}

static void copy_ok(struct t_q *q)
{
	char src[4096], dst[4096];

	t_q_copy_check(q, src, dst, sizeof(src));
}

TEST(isolated_after_strategy_errors)
{
	struct t_inst in = t_inst_create("queues=4");
	struct t_q a, b;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "3"), 0);
	t_q_setup(&a, in.ua);
	t_q_setup(&b, in.ua);
	inject(&in, 3);
	T_EQ(fail_next(&in), 3);
	dev_err(&a);
	T_EQ(fail_next(&in), 2);
	dev_err(&b);		/* errors of every queue count */
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	dev_err(&a);
	T_EQ(fail_next(&in), 0);
	T_EQ(t_attr_ll(in.ua, "isolate"), 1);
	/* no new queue while isolated, though there is room: none to count */
	T_EQ(t_attr_ll(in.ua, "available_instances"), 0);
	T_EQ(t_open_raw(in.ua), -EIO);
	T_EQ(t_open_raw(in.ua), -EIO);
	/* the queues already open keep working */
	copy_ok(&a);
	copy_ok(&b);
	T_EQ(t_attr_ll(in.ua, "isolate"), 1);
	/* writing isolate_strategy (any valid value) lifts the isolation */
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "3"), 0);
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	T_EQ(t_attr_ll(in.ua, "available_instances"), 2);
	int fd = t_open_raw(in.ua);

	T_ASSERT_MSG(fd >= 0, "open after clearing isolation: %s",
		     t_errname(-fd));
	close(fd);
	/* and the count starts again from zero */
	dev_errs(&in, &a, 2);
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	copy_ok(&a);
}

TEST(garbage_write_does_not_clear_isolation)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "1"), 0);
	t_q_setup(&q, in.ua);
	dev_errs(&in, &q, 1);
	T_EQ(t_attr_ll(in.ua, "isolate"), 1);
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "abc"), -EINVAL);
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "65536"), -EINVAL);
	T_EQ(t_attr_ll(in.ua, "isolate"), 1);
	T_EQ(t_open_raw(in.ua), -EIO);
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "0"), 0);
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	int fd = t_open_raw(in.ua);

	T_ASSERT(fd >= 0);
}

TEST(strategy_zero_never_isolates)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "0"), 0);
	t_q_setup(&q, in.ua);
	dev_errs(&in, &q, 20);
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	int fd = t_open_raw(in.ua);

	T_ASSERT(fd >= 0);
	copy_ok(&q);
}

TEST(below_strategy_not_isolated)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "5"), 0);
	t_q_setup(&q, in.ua);
	dev_errs(&in, &q, 4);
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	int fd = t_open_raw(in.ua);

	T_ASSERT(fd >= 0);
	close(fd);
	dev_errs(&in, &q, 1);
	T_EQ(t_attr_ll(in.ua, "isolate"), 1);
}

/* isolation belongs to one device */
TEST(isolation_per_device)
{
	struct t_inst a = t_inst_create("");
	struct t_inst b = t_inst_create("");
	struct t_q q;

	T_EQ(t_attr_write(a.ua, "isolate_strategy", "1"), 0);
	T_EQ(t_attr_write(b.ua, "isolate_strategy", "1"), 0);
	t_q_setup(&q, a.ua);
	dev_errs(&a, &q, 1);
	T_EQ(t_attr_ll(a.ua, "isolate"), 1);
	T_EQ(t_attr_ll(b.ua, "isolate"), 0);
	int fd = t_open_raw(b.ua);

	T_ASSERT(fd >= 0);
}

TEST(fail_next_attribute)
{
	struct t_inst in = t_inst_create("");
	const char *bad[] = { "abc", "-1", "2147483648", "\n", "1x" };

	T_EQ(fail_next(&in), 0);
	inject(&in, 7);
	T_EQ(fail_next(&in), 7);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = t_fail_next_write(in.id, bad[i]);

		T_ASSERT_MSG(r == -EINVAL, "fail_next \"%s\": %s", bad[i],
			     r ? t_errname(-r) : "accepted");
		T_EQ(fail_next(&in), 7);
	}
	inject(&in, 0);		/* cancels */
	T_EQ(fail_next(&in), 0);
	struct t_q q;
	struct wd_soft_sqe s = t_sqe_nop(1);

	t_q_setup(&q, in.ua);
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
	/* clearing isolation resets the device: the count goes to 0 */
	inject(&in, 5);
	T_EQ(t_attr_write(in.ua, "isolate_strategy", "9"), 0);
	T_EQ(fail_next(&in), 0);
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_OK);
}

/*
 * An injected failure hits the next request whatever its operation, an
 * unknown one included (DEV_ERR before BAD_OP); the request's own errors
 * (BAD_OP, BAD_ADDR, INVAL) are the process's and count for nothing.
 */
TEST(injected_failure_any_op)
{
	struct t_inst in = t_inst_create("");
	struct wd_soft_sqe s = t_sqe_nop(1);
	struct t_q q;

	T_EQ(t_attr_write(in.ua, "isolate_strategy", "2"), 0);
	t_q_setup(&q, in.ua);
	/* the process's errors, many of them: no isolation */
	for (int i = 0; i < 5; i++) {
		s.op = 0x999;
		T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_BAD_OP);
		s = t_sqe_copy(&q, (void *)16, (void *)32, 10, 10);
		T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_BAD_ADDR);
		s = t_sqe_nop(2);
		s.flags = 0x8000;
		T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_INVAL);
		s = t_sqe_nop(3);
	}
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	/* an injected failure comes first, whatever the request */
	inject(&in, 1);
	s.op = 0x999;
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_DEV_ERR);
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_BAD_OP);
	T_EQ(t_attr_ll(in.ua, "isolate"), 0);
	/* the second device error reaches the strategy */
	inject(&in, 1);
	T_EQ(t_q_run(&q, &s).status, WD_SOFT_S_DEV_ERR);
	T_EQ(t_attr_ll(in.ua, "isolate"), 1);
	T_EQ(t_open_raw(in.ua), -EIO);
}
