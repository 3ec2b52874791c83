// SPDX-License-Identifier: GPL-2.0
/*
 * st_fork: fork() while requests are in flight, the copy-on-write case of
 * the WarpDrive design (docs/uacce.md, "Ownership, fork and passed
 * descriptors"; docs/reliability.md).
 *
 * An SVA queue has many COPY requests in flight into buffers of the
 * parent when the parent forks. After the fork every private page is
 * shared copy-on-write; the device writes through the parent's page
 * tables, so each of its writes breaks the sharing in the parent, exactly
 * as the parent's own stores do, and the child keeps the old page. Here
 * the parent also writes at once, on the very pages the device is
 * writing (bytes between the destinations), and rewrites the sources of
 * requests already done; the child writes its own copies too.
 *
 * Checks: every request of the parent completes OK with the right bytes,
 * the parent's own writes survive next to the device's; the child's view
 * of the destination pages never changes after the fork (nothing the
 * device wrote later reached the child), and the child cannot reach the
 * device (EPERM, no mapping: tests/vm/t_owner shows the rest).
 * tests/vm/t_ring_queue fork_during_copy_sva is the single-request version.
 */
#include "t.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>


#define NREQ	256
#define LEN	(32 * 1024 + 100)	/* not page aligned: shared pages */
#define STRIDE	(LEN + 64)		/* 64 parent-owned bytes between */

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

static void round_once(struct t_q *q, uint8_t *src, uint8_t *dst, uint8_t *ref,
		       int round)
{
	size_t total = (size_t)NREQ * STRIDE;
	uint8_t *snap = malloc(total);
	int to_child[2], to_parent[2];
	struct wd_soft_cqe c;
	pid_t pid;
	char ch;

	T_ASSERT(snap != NULL);
	t_fill_random(src, total, (uint64_t)round * 31 + 1);
	memcpy(ref, src, total);
	memset(dst, 0, total);
	T_OK(pipe(to_child));
	T_OK(pipe(to_parent));
	for (int i = 0; i < NREQ; i++) {
		struct wd_soft_sqe e = t_sqe_copy(q, src + (size_t)i * STRIDE,
						  dst + (size_t)i * STRIDE, LEN, LEN);

		e.user_data = (uint64_t)i;
		t_q_push(q, &e);
	}
	t_q_publish(q);
	t_msleep(round % 3);
	pid = t_fork();
	if (pid == 0) {
		/* the child: its pages are frozen at the fork */
		memcpy(snap, dst, total);
		T_ERR(ioctl(q->fd, UACCE_CMD_PUT_Q), EPERM);
		T_ERR(ioctl(q->fd, WD_SOFT_CMD_KICK), EPERM);
		/* and it writes its own copies of the sources meanwhile */
		memset(src, 0xcc, total / 2);
		T_ASSERT(write(to_parent[1], "s", 1) == 1);
		T_ASSERT(read(to_child[0], &ch, 1) == 1);
		for (size_t k = 0; k < total; k++)
			if (snap[k] != dst[k])
				T_FAIL("round %d: the child's page changed after the fork at %zu "
				       "(request %zu): a device write reached the child", round, k,
				       k / STRIDE);
		_exit(0);
	}
	/* the parent writes on the pages the device is writing, at once */
	for (int i = 0; i < NREQ; i++)
		memset(dst + (size_t)i * STRIDE + LEN, 0x5a, 64);
	T_ASSERT(read(to_parent[0], &ch, 1) == 1);
	for (int i = 0; i < NREQ; i++) {
		uint8_t *s = src + (size_t)i * STRIDE;

		t_q_wait(q, &c);
		T_EQ(c.user_data, i);
		T_EQ(c.status, WD_SOFT_S_OK);
		T_EQ(c.out_len, LEN);
		/* request i is done: its source is the parent's again */
		memset(s, 0x33, LEN);
	}
	for (int i = 0; i < NREQ; i++) {
		uint8_t *d = dst + (size_t)i * STRIDE, *r = ref + (size_t)i * STRIDE;

		if (memcmp(d, r, LEN)) {
			size_t k = 0;

			while (d[k] == r[k])
				k++;
			T_FAIL("round %d: request %d wrote wrong bytes at %zu after a fork",
			       round, i, k);
		}
		for (int k = 0; k < 64; k++)
			T_ASSERT_MSG(d[LEN + k] == 0x5a, "round %d: the parent's own write "
				     "next to request %d was lost", round, i);
	}
	T_ASSERT(write(to_child[1], "c", 1) == 1);
	t_wait_ok(pid, 60000);
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	free(snap);
}

T_TEST_TMO(fork_cow_inflight, 1800)
{
	struct t_inst in = t_inst_create("mode=sva engines=2");
	long rounds = env_long("ST_ROUNDS", 3) * 2;
	size_t total = (size_t)NREQ * STRIDE;
	uint8_t *src = mmap(NULL, total, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = mmap(NULL, total, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ref = malloc(total);
	uint64_t t0 = t_now_ms();
	struct t_q q;

	T_ASSERT(src != MAP_FAILED && dst != MAP_FAILED && ref);
	t_q_setup(&q, in.ua);
	for (int r = 0; r < rounds; r++)
		round_once(&q, src, dst, ref, r);
	t_note("%ld forks, each with %d copies of %d bytes in flight (%.1f MiB), parent and child writing: %.1f s",
	       rounds, NREQ, LEN, (double)NREQ * LEN / (1 << 20), (t_now_ms() - t0) / 1000.0);
}

/* The same with transparent huge pages where the kernel offers them. */
T_TEST_TMO(fork_cow_inflight_thp, 1800)
{
	struct t_inst in = t_inst_create("mode=sva");
	size_t total = (size_t)NREQ * STRIDE, big = (total + (4u << 20)) & ~((2u << 20) - 1);
	uint8_t *src = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	uint8_t *dst = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	uint8_t *ref = malloc(total);
	struct t_q q;

	T_ASSERT(src != MAP_FAILED && dst != MAP_FAILED && ref);
	if (madvise(src, big, MADV_HUGEPAGE) || madvise(dst, big, MADV_HUGEPAGE))
		t_skip("no transparent huge pages: %s", t_errname(errno));
	t_q_setup(&q, in.ua);
	for (int r = 0; r < 2; r++)
		round_once(&q, src, dst, ref, r);
}
