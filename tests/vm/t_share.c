// SPDX-License-Identifier: GPL-2.0
/*
 * t_share: engines that share work (docs/soft-device.md, "Engines that
 * share work"). One queue of an instance with engines=2 (mode=pasid: a
 * queue its host never holds for a page, so the engines may share it).
 *
 * Made deterministic with the instance's debugfs "stall" (engine core
 * test hook: the next N requests taken make their engine wait before
 * executing, until 0 is written or the queue stops) and "hold", and read
 * with debugfs "engine_stats" (each engine's requests executed, and of
 * them for a sibling's queue):
 *
 *  - share_one_queue: N requests published while held, the first taken
 *    stalls its engine; the other engine must then execute the N - 1
 *    others while the first is in flight, and post none of them (CQEs in
 *    ring order: the oldest is missing). Released, all N CQEs come in
 *    ring order with the right data (COPY against its source, SHA-256
 *    against tests/lib/ref.c).
 *  - share_mixed_in_order: plain requests and an F_STATE chain interleaved:
 *    CQEs in ring order, right data, the chain's digest (owner only, in
 *    order) the reference's.
 *  - share_{put_q,close,remove}_two_engines_in_one_queue: both engines
 *    stalled in requests of the same queue (the second one a helper);
 *    PUT_Q, close() and the instance's removal each return (the stalls
 *    end with the queue; detach waits for the helper), and after PUT_Q
 *    every request taken has exactly one CQE, in order, none for those
 *    not taken.
 */
#include "t.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifdef T_NATIVE
#include "wd_ctl.h"
#endif
#include "ref.h"

#define N	48
#define LEN	(16u << 10)

/* debugfs file @name of instance @id: write @val */
static void dbg_write(int id, const char *name, const char *val)
{
	int r;
#ifdef T_NATIVE
	char dev[32];

	r = wd_ctl_attr_set(t_dev_path(id, dev), name, val);
#else
	char p[128];

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/%s", id,
		 name);
	r = t_write_file(p, val);
#endif
	if (r)
		T_FAIL("wd_soft%d %s: %s", id, name, t_errname(-r));
}

/* engine_stats: requests executed (r) and for a sibling (h), per engine */
static void engine_stats(int id, unsigned long long r[2],
			 unsigned long long h[2])
{
	char buf[256];
	int n;
#ifdef T_NATIVE
	char dev[32];

	n = wd_ctl_attr_get(t_dev_path(id, dev), "engine_stats", buf,
			    sizeof(buf));
#else
	char p[128];

	snprintf(p, sizeof(p), "/sys/kernel/debug/wd_soft/wd_soft%d/engine_stats",
		 id);
	n = t_read_file(p, buf, sizeof(buf) - 1);
#endif
	if (n < 0)
		T_FAIL("wd_soft%d engine_stats: %s", id, t_errname(-n));
	buf[n] = 0;
	T_ASSERT_MSG(sscanf(buf, "%llu %llu %llu %llu", &r[0], &h[0], &r[1],
			    &h[1]) == 4, "engine_stats \"%s\"", buf);
}

struct job {
	struct t_inst in;
	struct t_q q;
	uint8_t *src, *dst;	/* N * LEN each, in the SS region */
	unsigned long long r0[2], h0[2];
};

/* request i: COPY for even i, SHA-256 (digest at dst + i * LEN) for odd */
static struct wd_soft_sqe req(struct job *j, unsigned int i)
{
	struct wd_soft_sqe s = t_sqe_copy(&j->q, j->src + i * LEN,
					  j->dst + i * LEN, LEN, LEN);

	s.user_data = 5000 + i;
	if (i & 1) {
		s.op = WD_SOFT_OP_SHA256;
		s.dst_len = 32;
	}
	return s;
}

/* a queue on engines=2 with N requests published while the engines are
 * held, and @stall requests to stall armed before they are released
 */
static void start(struct job *j, int stall)
{
	char v[16];

	j->in = t_inst_create("mode=pasid engines=2");
	t_q_setup(&j->q, j->in.ua);
	t_q_map_ss(&j->q, 4u << 20);
	j->src = t_q_ss_alloc(&j->q, N * LEN);
	j->dst = t_q_ss_alloc(&j->q, N * LEN);
	T_ASSERT(j->src && j->dst);
	t_fill_random(j->src, N * LEN, 15);
	memset(j->dst, 0, N * LEN);
	engine_stats(j->in.id, j->r0, j->h0);

	t_hold(j->in.id, true);
	for (unsigned int i = 0; i < N; i++) {
		struct wd_soft_sqe s = req(j, i);

		t_q_push(&j->q, &s);
	}
	t_q_publish(&j->q);
	snprintf(v, sizeof(v), "%d", stall);
	dbg_write(j->in.id, "stall", v);
	t_hold(j->in.id, false);
}

/* requests executed since start(), per engine */
static void executed(struct job *j, unsigned long long d[2],
		     unsigned long long hd[2])
{
	unsigned long long r[2], h[2];

	engine_stats(j->in.id, r, h);
	for (int e = 0; e < 2; e++) {
		d[e] = r[e] - j->r0[e];
		hd[e] = h[e] - j->h0[e];
	}
}

static void check_cqe(struct job *j, unsigned int i,
		      const struct wd_soft_cqe *c)
{
	uint8_t md[32];

	T_EQ(c->user_data, 5000 + i);
	T_ASSERT_MSG(c->status == WD_SOFT_S_OK, "request %u: status %u", i,
		     c->status);
	if (i & 1) {
		T_EQ(c->out_len, 32);
		ref_sha256(j->src + i * LEN, LEN, md);
		T_ASSERT_MSG(!memcmp(md, j->dst + i * LEN, 32),
			     "request %u: wrong digest", i);
	} else {
		T_EQ(c->out_len, LEN);
		T_ASSERT_MSG(!memcmp(j->src + i * LEN, j->dst + i * LEN, LEN),
			     "request %u: wrong copy", i);
	}
}

T_TEST_TMO(share_one_queue, 120)
{
	unsigned long long d[2], hd[2];
	struct wd_soft_cqe c;
	struct job j;
	int busy;

	start(&j, 1);
	/* the first request taken stalls an engine; the other does the rest */
	T_WAIT_UNTIL(t_debugfs_ll(j.in.id, "stall") == 1 &&
		     (executed(&j, d, hd), d[0] + d[1] == N - 1),
		     "the other engine did not execute the %d requests after "
		     "the stalled one", N - 1);
	busy = d[0] ? 0 : 1;
	T_EQ(d[busy], N - 1);
	T_EQ(d[!busy], 0);
	t_note("engine %d did %llu requests (%llu for its sibling) while "
	       "engine %d was stalled in the oldest", busy, d[busy], hd[busy],
	       !busy);
	/* in ring order: nothing is posted while the oldest is in flight
	 * (the header's sq_head too is published with completions)
	 */
	T_EQ(t_q_hdr_cq_tail(&j.q), 0);
	T_EQ(t_q_reap(&j.q, &c, 0), 0);

	dbg_write(j.in.id, "stall", "0");
	for (unsigned int i = 0; i < N; i++) {
		t_q_wait(&j.q, &c);
		check_cqe(&j, i, &c);
	}
	T_EQ(t_q_reap(&j.q, &c, 0), 0);
	/* an engine counts its batch when it ends, after posting its CQEs */
	T_WAIT_UNTIL((executed(&j, d, hd), d[0] + d[1] == N),
		     "the engines counted %llu + %llu requests", d[0], d[1]);
	/* the stalled one was the helper's (1) or the helper did N - 1 */
	T_ASSERT_MSG(hd[0] + hd[1] == 1 || hd[0] + hd[1] == N - 1,
		     "helped %llu + %llu", hd[0], hd[1]);
	t_q_close(&j.q);
	t_inst_delete(&j.in);
}

/*
 * Plain requests and an F_STATE SHA-256 chain interleaved on one shared
 * queue (every third request a step of the chain over its slice, the last
 * one FINISH), the first request stalled until the other engine executed
 * one (so both are at work): whatever runs where, every CQE comes in ring
 * order with the right data, and the chain, which only the owner runs, one
 * step after the other, gives the digest of its slices in order
 * (tests/lib/ref.c).
 */
T_TEST_TMO(share_mixed_in_order, 120)
{
	unsigned long long d[2], hd[2];
	struct wd_soft_sha256_state *st;
	struct ref_sha256 r;
	struct wd_soft_cqe c;
	uint8_t md[32];
	struct job j;

	j.in = t_inst_create("mode=pasid engines=2");
	t_q_setup(&j.q, j.in.ua);
	t_q_map_ss(&j.q, 4u << 20);
	j.src = t_q_ss_alloc(&j.q, N * LEN);
	j.dst = t_q_ss_alloc(&j.q, N * LEN);
	st = t_q_ss_alloc(&j.q, sizeof(*st) + WD_SOFT_STATE_ALIGN);
	T_ASSERT(j.src && j.dst && st);
	st = (void *)(((uintptr_t)st + WD_SOFT_STATE_ALIGN - 1) &
		      ~(uintptr_t)(WD_SOFT_STATE_ALIGN - 1));
	t_fill_random(j.src, N * LEN, 16);
	memset(j.dst, 0, N * LEN);
	ref_sha256_init(&r);
	memset(st, 0, sizeof(*st));
	memcpy(st->h, r.h, sizeof(st->h));
	engine_stats(j.in.id, j.r0, j.h0);

	t_hold(j.in.id, true);
	for (unsigned int i = 0; i < N; i++) {
		struct wd_soft_sqe s = req(&j, i);

		if (i % 3 == 2) {
			s.op = WD_SOFT_OP_SHA256;
			s.flags = WD_SOFT_SQE_F_STATE;
			s.state = t_q_addr(&j.q, st);
			s.sflags = i + 3 < N ? WD_SOFT_SF_NO_FLUSH :
					       WD_SOFT_SF_FINISH;
			if (i + 3 < N) {
				s.dst = 0;
				s.dst_len = 0;
			} else {
				s.dst_len = 32;
			}
			ref_sha256_update(&r, j.src + i * LEN, LEN);
		}
		t_q_push(&j.q, &s);
	}
	t_q_publish(&j.q);
	/* the first request stalls its engine until the other did one */
	dbg_write(j.in.id, "stall", "1");
	t_hold(j.in.id, false);
	T_WAIT_UNTIL(t_debugfs_ll(j.in.id, "stall") == 1 &&
		     (executed(&j, d, hd), d[0] + d[1] >= 1),
		     "no request executed beside the stalled one");
	dbg_write(j.in.id, "stall", "0");

	for (unsigned int i = 0; i < N; i++) {
		t_q_wait(&j.q, &c);
		if (i % 3 != 2) {
			check_cqe(&j, i, &c);
			continue;
		}
		T_EQ(c.user_data, 5000 + i);
		T_ASSERT_MSG(c.status == WD_SOFT_S_OK, "step %u: status %u", i,
			     c.status);
	}
	T_ASSERT(N % 3 == 0);
	ref_sha256_final(&r, md);
	T_ASSERT_MSG(!memcmp(md, j.dst + (N - 1) * LEN, 32),
		     "the chain's digest differs from the reference");
	T_WAIT_UNTIL((executed(&j, d, hd), d[0] + d[1] == N),
		     "the engines counted %llu + %llu requests", d[0], d[1]);
	t_note("engines did %llu and %llu requests, %llu for a sibling",
	       d[0], d[1], hd[0] + hd[1]);
	t_q_close(&j.q);
	t_inst_delete(&j.in);
}

/* delete the instance: the kernel's from another process (t_remove.c) */
static void remove_inst(struct t_inst *in)
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
	t_wait_ok(pid, T_HANG_MS);
}

/*
 * Both engines in one queue, each stalled in a request (the first two
 * taken: ring order, so the second is a helper's), then the queue ended by
 * @how, which must return: the stalls end with their queue. PUT_Q: every
 * request taken has exactly one CQE, in order, the others none, and the
 * queue serves again. close(): the queue is released and both engines let
 * go. Removal: returns, and close() after it.
 */
enum { BY_PUT_Q, BY_CLOSE, BY_REMOVE };

static void stop_two(int how)
{
	unsigned long long d[2], hd[2];
	struct wd_soft_cqe c;
	struct job j;
	long long avail;

	start(&j, 2);
	T_WAIT_UNTIL(t_debugfs_ll(j.in.id, "stall") == 2,
		     "two engines stalled in one queue");
	T_EQ(t_q_hdr_cq_tail(&j.q), 0);
	avail = t_attr_ll(j.in.ua, "available_instances");
	switch (how) {
	case BY_PUT_Q:
		T_CMD_OK(&j.q, UACCE_CMD_PUT_Q, 0);
		T_EQ(t_q_hdr_sq_head(&j.q), 2);
		T_EQ(t_q_hdr_cq_tail(&j.q), 2);
		for (unsigned int i = 0; i < 2; i++) {
			T_EQ(t_q_take(&j.q, &c), 1);
			T_EQ(c.user_data, 5000 + i);
			T_ASSERT_MSG(c.status == WD_SOFT_S_OK ||
				     c.status == WD_SOFT_S_CANCELED,
				     "request %u: status %u", i, c.status);
			if (c.status == WD_SOFT_S_OK)
				check_cqe(&j, i, &c);
		}
		T_EQ(t_q_take(&j.q, &c), 0);
		break;
	case BY_CLOSE:
		t_q_close(&j.q);
		T_EQ(t_attr_ll(j.in.ua, "available_instances"), avail + 1);
		break;
	case BY_REMOVE:
		remove_inst(&j.in);
		t_q_close(&j.q);
		return;
	}
	T_EQ(t_debugfs_ll(j.in.id, "stall"), 0);
	executed(&j, d, hd);
	T_EQ(d[0] + d[1], 2);
	T_EQ(hd[0] + hd[1], 1);
	dbg_write(j.in.id, "stall", "0");
	if (how == BY_PUT_Q) {
		/* and the queue serves again, shared */
		t_q_start_again(&j.q);
		t_q_copy_check(&j.q, j.src, j.dst, LEN);
		t_q_close(&j.q);
	}
	t_inst_delete(&j.in);
}

T_TEST_TMO(share_put_q_two_engines_in_one_queue, 120)
{
	stop_two(BY_PUT_Q);
}

T_TEST_TMO(share_close_two_engines_in_one_queue, 120)
{
	stop_two(BY_CLOSE);
}

T_TEST_TMO(share_remove_two_engines_in_one_queue, 120)
{
	stop_two(BY_REMOVE);
}
