// SPDX-License-Identifier: MIT
/*
 * t_libwd: the inline fast path, <wd_ring.h> (libwd 1.4): typed round trips
 * against independent references, the refusals (class, depth, fork,
 * PASID/NOIOMMU reach), the exported calls mixed in, streams through its
 * out-of-line receive, and a broken queue's handback. One of the files of
 * t_libwd (t_libwd.h); the compile-time type check is t_ring_typed.sh's.
 */
#include "t_libwd.h"

#include <openssl/evp.h>

#include "wd_ring.h"

/* collect exactly @n requests with wd_ring_recv_many(), polling (30 s) */
static void ring_collect(struct wd_queue *q, void **out, int n)
{
	uint64_t end = t_now_ms() + 30000;
	int got = 0;

	wd_ring_flush(q);
	while (got < n) {
		int r = wd_ring_recv_many(q, out + got, n - got);

		if (r < 0)
			T_FAIL("wd_ring_recv_many: %s", t_errname(-r));
		T_ASSERT(r <= n - got);
		got += r;
		if (!r && t_now_ms() > end)
			T_FAIL("%d of %d requests came back", got, n);
	}
}

/* "copy" and "nop": data and lengths as the source, in order */
MTEST(ring_copy)
{
	enum { NR = 48, SZ = 3000 };
	struct wd_copy_req reqs[NR];
	void *out[NR];
	struct wd_queue q;
	uint8_t *mem;

	q_open(&q, "copy");
	mem = q_mem(&q, 2 * NR * SZ);
	t_fill_random(mem, NR * SZ, 21);
	for (int i = 0; i < NR; i++) {
		uint32_t len = SZ - i * 7;

		wd_prep_copy(&reqs[i], mem + (NR + i) * SZ, mem + i * SZ, len);
		reqs[i].status = 777;
		T_EQ(wd_ring_send_copy(&q, &reqs[i]), 0);
	}
	ring_collect(&q, out, NR);
	for (int i = 0; i < NR; i++) {
		T_ASSERT_MSG(out[i] == &reqs[i], "request %d out of order", i);
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, SZ - i * 7);
		T_ASSERT(!memcmp(mem + i * SZ, mem + (NR + i) * SZ, SZ - i * 7));
	}
	wd_release_queue(&q);

	q_open(&q, "nop");
	for (int i = 0; i < 3; i++) {
		wd_prep_copy(&reqs[i], NULL, NULL, 0);
		reqs[i].status = 777;
		reqs[i].out_len = 777;
		T_EQ(wd_ring_send_copy(&q, &reqs[i]), 0);
	}
	ring_collect(&q, out, 3);
	for (int i = 0; i < 3; i++) {
		T_ASSERT(out[i] == &reqs[i]);
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, 0);
	}
	wd_release_queue(&q);
}

/* OpenSSL's SHA-256, the reference */
static void ossl_sha256(const void *buf, size_t len, uint8_t out[32])
{
	unsigned int n = 0;

	T_EQ(EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL), 1);
	T_EQ(n, 32);
}

/* "crc32c" (with seeds: one CRC continued) and "sha256" */
MTEST(ring_digest)
{
	enum { NR = 16, SZ = 5000 };
	struct wd_digest_req reqs[NR];
	void *out[NR];
	struct wd_queue q;
	uint8_t *mem, want[32];

	q_open(&q, "crc32c");
	mem = q_mem(&q, NR * SZ + NR * 32);
	t_fill_random(mem, NR * SZ, 22);
	for (int i = 0; i < NR; i++) {
		/* a seed: the CRC of the block before, from the reference */
		uint32_t seed = i ? ref_crc32c(0, mem + (i - 1) * SZ, SZ) : 0;

		wd_prep_digest(&reqs[i], mem + NR * SZ + i * 32, 4,
			       mem + i * SZ, SZ, seed);
		T_EQ(wd_ring_send_digest(&q, &reqs[i]), 0);
	}
	ring_collect(&q, out, NR);
	for (int i = 0; i < NR; i++) {
		uint32_t c = ref_crc32c(0, mem + (i ? i - 1 : 0) * SZ,
					i ? 2 * SZ : SZ);

		T_ASSERT(out[i] == &reqs[i]);
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, 4);
		T_EQ_HEX(reqs[i].crc, c);
		T_EQ_HEX(le32(mem + NR * SZ + i * 32), c);
	}
	wd_release_queue(&q);

	q_open(&q, "sha256");
	mem = q_mem(&q, NR * SZ + NR * 32);
	t_fill_random(mem, NR * SZ, 23);
	for (int i = 0; i < NR; i++) {
		wd_prep_digest(&reqs[i], mem + NR * SZ + i * 32, 32,
			       mem + i * SZ, SZ - i, 0);
		T_EQ(wd_ring_send_digest(&q, &reqs[i]), 0);
	}
	ring_collect(&q, out, NR);
	for (int i = 0; i < NR; i++) {
		T_ASSERT(out[i] == &reqs[i]);
		T_EQ(reqs[i].status, 0);
		T_EQ(reqs[i].out_len, 32);
		ossl_sha256(mem + i * SZ, SZ - i, want);
		T_ASSERT_MSG(!memcmp(want, mem + NR * SZ + i * 32, 32),
			     "request %d: wrong digest", i);
	}
	/* a seed means nothing to SHA-256: refused, nothing queued */
	wd_prep_digest(&reqs[0], mem + NR * SZ, 32, mem, 10, 1);
	T_EQ(wd_ring_send_digest(&q, &reqs[0]), -EINVAL);
	T_EQ(wd_ring_recv(&q, &out[0]), 0);
	wd_release_queue(&q);
}

/* "deflate": compressed, then inflated by zlib; zlib's output inflated back */
MTEST(ring_comp)
{
	enum { SZ = 100000, ROOM = SZ + 1024 };
	struct wd_comp_req c, d;
	struct wd_queue q;
	uint8_t *mem, *src, *z, *back, *zz;
	size_t n, zn;
	void *out[2];

	q_open(&q, "deflate");
	mem = q_mem(&q, SZ + 3 * ROOM);
	src = mem, z = mem + SZ, back = z + ROOM, zz = back + ROOM;
	fill_text(src, SZ, 24);
	wd_prep_comp(&c, WD_COMPRESS, 6, z, ROOM, src, SZ);
	T_EQ(wd_ring_send_comp(&q, &c), 0);
	zn = ref_deflate("deflate", 1, src, SZ, zz, ROOM);
	wd_prep_comp(&d, WD_DECOMPRESS, 0, back, ROOM, zz, zn);
	T_EQ(wd_ring_send_comp(&q, &d), 0);
	ring_collect(&q, out, 2);
	T_ASSERT(out[0] == &c && out[1] == &d);
	T_EQ(c.status, 0);
	T_ASSERT(c.out_len > 0 && c.out_len < SZ);
	{
		uint8_t *chk = malloc(ROOM);

		T_ASSERT(chk);
		T_EQ(ref_inflate("deflate", z, c.out_len, chk, ROOM, &n), 0);
		T_EQ(n, SZ);
		T_ASSERT(!memcmp(chk, src, SZ));
		free(chk);
	}
	T_EQ(d.status, 0);
	T_EQ(d.out_len, SZ);
	T_ASSERT(!memcmp(back, src, SZ));
	/* an op the class does not have, a level decompression has not */
	wd_prep_comp(&c, 7, 0, z, ROOM, src, SZ);
	T_EQ(wd_ring_send_comp(&q, &c), -EINVAL);
	wd_prep_comp(&c, WD_DECOMPRESS, 3, z, ROOM, src, SZ);
	T_EQ(wd_ring_send_comp(&q, &c), -EINVAL);
	wd_release_queue(&q);
}

/* a typed send on a queue of another class: -EINVAL, nothing queued */
TEST(ring_wrong_class)
{
	struct wd_copy_req cr;
	struct wd_digest_req dr;
	struct wd_comp_req zr;
	struct wd_queue q;
	char buf[64], out[64];
	void *r;

	use_mode("sva", WD_DEV_SVA);
	wd_prep_copy(&cr, out, buf, sizeof(buf));
	wd_prep_digest(&dr, out, 32, buf, sizeof(buf), 0);
	wd_prep_comp(&zr, WD_COMPRESS, 1, out, sizeof(out), buf, sizeof(buf));
	q_open(&q, "copy");
	T_EQ(wd_ring_send_digest(&q, &dr), -EINVAL);
	T_EQ(wd_ring_send_comp(&q, &zr), -EINVAL);
	wd_release_queue(&q);
	q_open(&q, "sha256");
	T_EQ(wd_ring_send_copy(&q, &cr), -EINVAL);
	T_EQ(wd_ring_send_comp(&q, &zr), -EINVAL);
	wd_release_queue(&q);
	q_open(&q, "gzip");
	T_EQ(wd_ring_send_copy(&q, &cr), -EINVAL);
	T_EQ(wd_ring_send_digest(&q, &dr), -EINVAL);
	T_EQ(wd_ring_recv(&q, &r), 0);		/* nothing was queued */
	T_EQ(wd_ring_send_comp(&q, (struct wd_comp_req *)NULL), -EINVAL);
	T_EQ(wd_ring_recv(&q, NULL), -EINVAL);
	T_EQ(wd_ring_recv_many(&q, NULL, 1), -EINVAL);
	T_EQ(wd_ring_recv_many(&q, &r, -1), -EINVAL);
	T_EQ(wd_ring_recv_many(&q, &r, 0), 0);
	wd_release_queue(&q);
	/* released, never requested, NULL */
	T_EQ(wd_ring_send_comp(&q, &zr), -EINVAL);
	T_EQ(wd_ring_recv(&q, &r), -EINVAL);
	T_EQ(wd_ring_send_copy(NULL, &cr), -EINVAL);
	T_EQ(wd_ring_recv_many(NULL, &r, 1), -EINVAL);
	wd_ring_flush(&q);
	wd_ring_flush(NULL);
}

/*
 * At most depth in flight: with the engines held nothing completes, so
 * the depth-th send fits and the next is -EBUSY, on both paths; released,
 * all come back in order and a send fits again.
 */
MTEST(ring_busy)
{
	struct wd_queue q;
	struct wd_copy_req *reqs, extra;
	void **out;
	uint32_t depth;

	q_open(&q, "nop");
	depth = q.depth;
	T_ASSERT(depth >= 2);
	reqs = calloc(depth, sizeof(*reqs));
	out = calloc(depth, sizeof(*out));
	T_ASSERT(reqs && out);
	dev_hold(&q, g_id, true);
	for (uint32_t i = 0; i < depth; i++) {
		wd_prep_copy(&reqs[i], NULL, NULL, 0);
		/* the last through the exported path: the same ring */
		if (i == depth - 1)
			T_EQ(wd_send(&q, &reqs[i]), 0);
		else
			T_EQ(wd_ring_send_copy(&q, &reqs[i]), 0);
	}
	wd_prep_copy(&extra, NULL, NULL, 0);
	T_EQ(wd_ring_send_copy(&q, &extra), -EBUSY);
	T_EQ(wd_send(&q, &extra), -EBUSY);
	T_EQ(wd_ring_recv(&q, &out[0]), 0);
	dev_hold(&q, g_id, false);
	ring_collect(&q, out, depth);
	for (uint32_t i = 0; i < depth; i++) {
		T_ASSERT_MSG(out[i] == &reqs[i], "request %u out of order", i);
		T_EQ(reqs[i].status, 0);
	}
	T_EQ(wd_ring_send_copy(&q, &extra), 0);
	ring_collect(&q, out, 1);
	T_ASSERT(out[0] == &extra);
	wd_release_queue(&q);
	free(reqs);
	free(out);
}

/* PASID, NOIOMMU: a buffer outside the reserved memory is -EFAULT at send */
MTEST(ring_reach)
{
	static uint8_t outside[256];
	struct wd_copy_req req;
	struct wd_queue q;
	uint8_t *mem;
	void *r;

	q_open(&q, "copy");
	mem = q_mem(&q, 4096);
	t_fill_random(mem, 256, 25);
	wd_prep_copy(&req, outside, mem, 256);
	if (g_mode == WD_DEV_SVA) {
		/* SVA reaches all of the process */
		T_EQ(wd_ring_send_copy(&q, &req), 0);
		ring_collect(&q, &r, 1);
		T_EQ(req.status, 0);
		T_ASSERT(!memcmp(outside, mem, 256));
	} else {
		T_EQ(wd_ring_send_copy(&q, &req), -EFAULT);
		wd_prep_copy(&req, mem + 2048, outside, 256);
		T_EQ(wd_ring_send_copy(&q, &req), -EFAULT);
		/* one byte past the end, and the end itself */
		wd_prep_copy(&req, mem + 4096 - 255, mem, 256);
		T_EQ(wd_ring_send_copy(&q, &req), -EFAULT);
		T_EQ(wd_ring_recv(&q, &r), 0);
	}
	/* inside: translated (NOIOMMU: bus addresses) and right */
	wd_prep_copy(&req, mem + 4096 - 256, mem, 256);
	T_EQ(wd_ring_send_copy(&q, &req), 0);
	ring_collect(&q, &r, 1);
	T_EQ(req.status, 0);
	T_ASSERT(!memcmp(mem + 4096 - 256, mem, 256));
	wd_release_queue(&q);
}

/* in a fork child the inline calls on an inherited queue are -EPERM */
MTEST(ring_fork_child)
{
	struct wd_copy_req req;
	struct wd_queue q;
	uint8_t *mem;
	void *r;
	pid_t pid;

	q_open(&q, "copy");
	mem = q_mem(&q, 8192);
	t_fill_random(mem, 100, 26);
	wd_prep_copy(&req, mem + 4096, mem, 100);
	T_EQ(wd_ring_send_copy(&q, &req), 0);
	ring_collect(&q, &r, 1);

	pid = t_fork();
	if (!pid) {
		T_EQ(wd_ring_send_copy(&q, &req), -EPERM);
		T_EQ(wd_ring_recv(&q, &r), -EPERM);
		T_EQ(wd_ring_recv_many(&q, &r, 1), -EPERM);
		wd_ring_flush(&q);
		T_EQ(wd_send(&q, &req), -EPERM);
		wd_release_queue(&q);
		_exit(0);
	}
	t_wait_ok(pid, 30000);
	/* the parent's queue is untouched */
	memset(mem + 4096, 0, 100);
	T_EQ(wd_ring_send_copy(&q, &req), 0);
	ring_collect(&q, &r, 1);
	T_EQ(req.status, 0);
	T_ASSERT(!memcmp(mem, mem + 4096, 100));
	wd_release_queue(&q);
}

/*
 * The fast path and the exported calls on one queue, one after the
 * other: sent by one, received by the other, in order, across several
 * laps of the ring (the phase bits of both).
 */
MTEST(ring_mixed)
{
	enum { NR = 3000, SZ = 64, SLOTS = 64 };
	struct wd_copy_req *reqs;
	struct wd_queue q;
	uint8_t *mem;
	int sent = 0, got = 0;

	q_open(&q, "copy");
	mem = q_mem(&q, 2 * SLOTS * SZ);
	t_fill_random(mem, SLOTS * SZ, 27);
	reqs = calloc(NR, sizeof(*reqs));
	T_ASSERT(reqs);
	while (got < NR) {
		void *out[8];
		int n, k = sent % 7;

		for (int j = 0; j < 5 && sent < NR && sent - got < SLOTS; j++) {
			int s = sent % SLOTS;

			wd_prep_copy(&reqs[sent], mem + (SLOTS + s) * SZ,
				     mem + s * SZ, SZ);
			T_EQ(k & 1 ? wd_send(&q, &reqs[sent]) :
			     wd_ring_send_copy(&q, &reqs[sent]), 0);
			sent++;
		}
		if (k & 2)
			wd_flush(&q);
		else
			wd_ring_flush(&q);
		n = k & 4 ? wd_recv_many(&q, out, 8) :
		    wd_ring_recv_many(&q, out, 8);
		T_ASSERT(n >= 0);
		for (int i = 0; i < n; i++, got++) {
			int s = got % SLOTS;

			T_ASSERT_MSG(out[i] == &reqs[got], "request %d out of "
				     "order", got);
			T_EQ(reqs[got].status, 0);
			T_ASSERT(!memcmp(mem + s * SZ, mem + (SLOTS + s) * SZ, SZ));
		}
	}
	free(reqs);
	wd_release_queue(&q);
}

/*
 * A stream's requests and a SHA-256 step with its state come back through
 * the inline receive too (its out-of-line part), in order with plain
 * requests around them, their results right.
 */
TEST(ring_streams)
{
	enum { SZ = 3000 };
	_Alignas(WD_SHA256_STATE_ALIGN) struct wd_sha256_state st;
	struct wd_digest_req a, b;
	struct wd_stream_req s1, s2, s3;
	struct wd_stream *s;
	struct wd_queue q;
	uint8_t src[SZ], da[32], db[32], ds[32], dst[32], want[32];
	void *out[5];

	use_mode("sva", WD_DEV_SVA);
	t_fill_random(src, SZ, 28);
	q_open(&q, "sha256");
	T_EQ(wd_stream_open(&q, 0, 0, &s), 0);
	wd_sha256_state_init(&st);
	wd_prep_digest(&a, da, 32, src, SZ, 0);
	T_EQ(wd_ring_send_digest(&q, &a), 0);
	wd_prep_stream(&s1, NULL, 0, src, 1000, WD_NO_FLUSH);
	T_EQ(wd_stream_send(s, &s1), 0);
	wd_prep_stream(&s2, ds, 32, src + 1000, SZ - 1000, WD_FINISH);
	T_EQ(wd_stream_send(s, &s2), 0);
	wd_prep_stream(&s3, dst, 32, src, SZ, WD_FINISH);
	T_EQ(wd_digest_state_send(&q, &s3, &st), 0);
	wd_prep_digest(&b, db, 32, src, SZ / 2, 0);
	T_EQ(wd_ring_send_digest(&q, &b), 0);
	ring_collect(&q, out, 5);
	T_ASSERT(out[0] == &a && out[1] == &s1 && out[2] == &s2 &&
		 out[3] == &s3 && out[4] == &b);
	ossl_sha256(src, SZ, want);
	T_EQ(a.status, 0);
	T_ASSERT(!memcmp(da, want, 32));
	T_EQ(s1.status, 0);
	T_EQ(s1.in_len, 1000);
	T_EQ(s2.status, 0);
	T_EQ(s2.out_len, 32);
	T_ASSERT(s2.flags & WD_STREAM_END);
	T_ASSERT(!memcmp(ds, want, 32));
	T_EQ(s3.status, 0);
	T_EQ(s3.in_len, SZ);
	T_ASSERT(!memcmp(dst, want, 32));
	ossl_sha256(src, SZ / 2, want);
	T_EQ(b.status, 0);
	T_ASSERT(!memcmp(db, want, 32));
	wd_stream_close(s);
	wd_release_queue(&q);
}

/*
 * A device not to be believed (a CQE whose user_data is not its index,
 * written here with the engines held, as a faulty device would): the
 * fast path breaks the queue, stops it and hands every request in flight
 * back once with -EIO, then -EIO, on both paths.
 */
MTEST(ring_broken)
{
	enum { NR = 6 };
	struct wd_copy_req reqs[NR];
	struct wd_soft_cqe *cqe;
	struct wd_ring *ring;
	struct wd_queue q;
	uint8_t *mem;
	void *out[NR + 1];
	int n = 0, ret;

	q_open(&q, "copy");
	mem = q_mem(&q, 2 * NR * 64);
	t_fill_random(mem, NR * 64, 29);
	dev_hold(&q, g_id, true);
	for (int i = 0; i < NR; i++) {
		wd_prep_copy(&reqs[i], mem + (NR + i) * 64, mem + i * 64, 64);
		reqs[i].status = 777;
		T_EQ(wd_ring_send_copy(&q, &reqs[i]), 0);
	}
	wd_ring_flush(&q);
	ring = q.priv;
	cqe = &ring->cq[ring->cq_head & (ring->depth - 1)];
	cqe->user_data = ring->cq_head + 1;
	cqe->status = WD_SOFT_S_OK;
	cqe->out_len = 64;
	__atomic_store_n(&cqe->phase, WD_SOFT_PHASE(ring->cq_head, ring->depth),
			 __ATOMIC_RELEASE);
	/* one at a time, then the rest at once */
	T_EQ(wd_ring_recv(&q, &out[0]), 1);
	T_ASSERT(out[0] == &reqs[0]);
	ret = wd_ring_recv_many(&q, out + 1, NR);
	T_EQ(ret, NR - 1);
	for (n = 0; n < NR; n++) {
		T_ASSERT_MSG(out[n] == &reqs[n], "request %d came back out of "
			     "order or twice", n);
		T_EQ(reqs[n].status, -EIO);
	}
	T_EQ(wd_ring_recv(&q, &out[0]), -EIO);
	T_EQ(wd_recv(&q, &out[0]), -EIO);
	T_EQ(wd_ring_send_copy(&q, &reqs[0]), -EIO);
	T_EQ(wd_send(&q, &reqs[0]), -EIO);
	dev_hold(&q, g_id, false);
	/* stopped before they were handed back: the device never ran them */
	for (int i = 0; i < NR * 64; i++)
		T_EQ(mem[NR * 64 + i], 0);
	wd_release_queue(&q);
}
