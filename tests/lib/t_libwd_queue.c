// SPDX-License-Identifier: MIT
/*
 * t_libwd: queues: what a queue reports, request errors, copies, a full queue.
 * One of the files of t_libwd (t_libwd.h).
 */
#include "t_libwd.h"

/* ---- queues ---- */

MTEST(queue_info)
{
	struct wd_queue q;

	q_open(&q, "copy");
	T_ASSERT(q.priv);
	T_EQ_HEX(q.dev_flags & WD_DEV_MODES, g_mode);
	T_STREQ(q.dev_path, g_dev);
#ifdef T_NATIVE
	T_ASSERT(q.dev_flags & WD_DEV_LOCAL);
#else
	T_ASSERT(!(q.dev_flags & WD_DEV_LOCAL));
#endif
	T_EQ(q.depth, 1024);
	T_ASSERT(q.ss_max >= (4u << 20));
	wd_release_queue(&q);
	T_ASSERT(!q.priv);
}

MTEST(request_errors)
{
	struct wd_queue q;

	T_EQ(wd_request_queue(NULL), -EINVAL);
	T_EQ(q_try(&q, NULL, g_dev), -EINVAL);
	T_EQ(q_try(&q, "", g_dev), -EINVAL);
	T_EQ(q_try(&q, "md5", g_dev), -ENODEV);		/* unknown algorithm */
	T_EQ(q_try(&q, "copy", "bogus"), -EINVAL);
	T_EQ(q_try(&q, "copy", "local:fast"), -EINVAL);
	T_EQ(q_try(&q, "copy", "/dev/ua9999"), -ENOENT);
	T_EQ(q_try(&q, "copy", "/dev/ua1x"), -EINVAL);

	memset(&q, 0, sizeof(q));
	q.capa.alg = "copy";
	strcpy(q.dev_path, g_dev);
	q.capa.flags = 1u << 5;				/* unknown mode bit */
	T_EQ(wd_request_queue(&q), -EINVAL);
	q.capa.flags = WD_DEV_MODES & ~g_mode;		/* not this device */
	T_EQ(wd_request_queue(&q), -ENODEV);
	q.capa.flags = g_mode;
	q.priv = &q;					/* not zeroed */
	T_EQ(wd_request_queue(&q), -EINVAL);
	q.priv = NULL;
	memset(q.dev_path, 'a', sizeof(q.dev_path));	/* no NUL */
	T_EQ(wd_request_queue(&q), -EINVAL);
	strcpy(q.dev_path, g_dev);
	T_EQ(wd_request_queue(&q), 0);
	T_EQ(wd_request_queue(&q), -EINVAL);		/* already requested */
	wd_release_queue(&q);
}

MTEST(nop)
{
	struct wd_copy_req req;
	struct wd_queue q;

	q_open(&q, "nop");
	wd_prep_copy(&req, NULL, NULL, 0);
	req.status = 12345;
	req.out_len = 99;
	req.user_data = &q;
	run(&q, &req);
	T_EQ(req.status, 0);
	T_EQ(req.out_len, 0);
	T_ASSERT(req.user_data == &q);
	wd_release_queue(&q);
}

MTEST(copy_sizes)
{
	static const uint32_t sizes[] = { 0, 1, 63, 4096, 65537, 1 << 20 };
	struct wd_copy_req req;
	struct wd_queue q;
	uint8_t *mem, *src, *dst;

	q_open(&q, "copy");
	mem = q_mem(&q, 4 << 20);
	src = mem;
	dst = mem + (2 << 20);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];

		t_fill_random(src, n, n + 1);
		memset(dst, 0xa5, n + 16);
		wd_prep_copy(&req, dst, src, n);
		run(&q, &req);
		T_EQ(req.status, 0);
		T_EQ(req.out_len, n);
		T_ASSERT_MSG(!memcmp(src, dst, n), "copy of %u bytes differs", n);
		T_EQ(dst[n], 0xa5);
	}
	/* too little room: nothing written, the size needed */
	memset(dst, 0xa5, 4096);
	wd_prep_copy(&req, dst, src, 4096);
	req.dst_len = 4095;
	run(&q, &req);
	T_EQ(req.status, -ENOSPC);
	T_EQ(req.out_len, 4096);
	T_EQ(dst[0], 0xa5);
	wd_release_queue(&q);
}

/* a full ring: -EBUSY, then recovery */
MTEST(full_queue)
{
	enum { SZ = 256 };
	struct wd_copy_req *reqs, extra;
	struct wd_queue q;
	uint8_t *mem;
	uint32_t depth;
	void *r;

	q_open(&q, "copy");
	depth = q.depth;
	reqs = calloc(depth + 1, sizeof(*reqs));
	T_ASSERT(reqs);
	mem = q_mem(&q, 2 * (depth + 1) * SZ);
	t_fill_random(mem, (depth + 1) * SZ, 7);
	for (uint32_t i = 0; i < depth; i++) {
		wd_prep_copy(&reqs[i], mem + (depth + 1 + i) * SZ, mem + i * SZ, SZ);
		T_EQ(wd_send(&q, &reqs[i]), 0);
	}
	wd_prep_copy(&extra, mem + (2 * depth + 1) * SZ, mem + depth * SZ, SZ);
	T_EQ(wd_send(&q, &extra), -EBUSY);
	/* wd_soft_v3: sent is visible; the flush wakes a parked engine */
	wd_flush(&q);
	/* recovery: one back, one more in */
	T_EQ(wd_recv_wait(&q, &r, 30000), 1);
	T_ASSERT(r == &reqs[0]);
	T_EQ(wd_send(&q, &extra), 0);
	T_EQ(wd_send(&q, &reqs[0]), -EBUSY);
	for (uint32_t i = 1; i <= depth; i++) {
		struct wd_copy_req *want = i < depth ? &reqs[i] : &extra;

		T_EQ(wd_recv_sync(&q, &r), 1);
		T_ASSERT_MSG(r == want, "request %u out of order", i);
		T_EQ(want->status, 0);
		T_EQ(want->out_len, SZ);
	}
	T_ASSERT(!memcmp(mem, mem + (depth + 1) * SZ, (depth + 1) * SZ));
	T_EQ(wd_recv(&q, &r), 0);
	T_EQ(wd_recv_wait(&q, &r, 1000), -ENOMSG);	/* nothing in flight */
	wd_release_queue(&q);
	free(reqs);
}
