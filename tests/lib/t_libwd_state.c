// SPDX-License-Identifier: MIT
/*
 * t_libwd: SHA-256 with the caller's state (wd_sha256_state_init(),
 * wd_digest_state_send(), libwd 1.3) against OpenSSL's one-shot SHA-256
 * (EVP_Digest) and the FIPS 180-4 step reference (ref.h) for the states
 * written back:
 *  - random splits into updates, then a FINISH (with a last piece or
 *    none), for sizes around the block and a few MiB; every state written
 *    back is the reference's, the completion's fields as wd.h says;
 *  - a state copied mid-digest and both continued differently: two right
 *    digests, and a FINISH leaves its state as it was;
 *  - the library's refusals (-EINVAL): NULL arguments, unaligned states,
 *    flushes other than NO_FLUSH and FINISH, a queue of another algorithm;
 *    the device's: a FINISH with too little room (-ENOSPC, state kept).
 * One of the files of t_libwd (t_libwd.h); every memory mode, both hosts.
 */
#include "t_libwd.h"

#include <openssl/evp.h>

static void ossl_sha256(const void *p, size_t n, uint8_t md[32])
{
	unsigned int len = 0;

	T_ASSERT(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) == 1 &&
		 len == 32);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* one step, sent and received alone */
static void srun(struct wd_queue *q, struct wd_stream_req *r,
		 struct wd_sha256_state *st)
{
	void *got = NULL;
	int ret;

	ret = wd_digest_state_send(q, r, st);
	if (ret)
		T_FAIL("wd_digest_state_send: %s", t_errname(-ret));
	ret = wd_recv_wait(q, &got, 30000);
	if (ret != 1)
		T_FAIL("wd_recv_wait: %d (%s)", ret, t_errname(-ret));
	T_ASSERT(got == r);
}

static void update(struct wd_queue *q, struct wd_sha256_state *st,
		   const void *p, uint32_t n)
{
	struct wd_stream_req r;

	wd_prep_stream(&r, NULL, 0, p, n, WD_NO_FLUSH);
	r.in_len = r.out_len = r.flags = 0xdead;
	srun(q, &r, st);
	T_EQ(r.status, 0);
	T_EQ(r.in_len, n);
	T_EQ(r.out_len, 0);
	T_EQ(r.flags, 0);
}

static void finish(struct wd_queue *q, struct wd_sha256_state *st,
		   const void *p, uint32_t n, uint8_t *out)
{
	struct wd_stream_req r;

	wd_prep_stream(&r, out, 32, p, n, WD_FINISH);
	srun(q, &r, st);
	T_EQ(r.status, 0);
	T_EQ(r.in_len, n);
	T_EQ(r.out_len, 32);
	T_EQ(r.flags, WD_STREAM_END);
}

/* the state as the device writes it back: the reference's, buf's bytes
 * after the partial block zero */
static void state_is(const struct wd_sha256_state *st,
		     const struct ref_sha256 *ref)
{
	struct wd_sha256_state want;

	memset(&want, 0, sizeof(want));
	memcpy(want.h, ref->h, sizeof(want.h));
	want.count = ref->count;
	memcpy(want.buf, ref->buf, ref->count % 64);
	T_ASSERT_MSG(!memcmp(st, &want, sizeof(want)),
		     "state: count %llu h0 %08x, reference count %llu h0 %08x",
		     (unsigned long long)st->count, st->h[0],
		     (unsigned long long)want.count, want.h[0]);
}

/* every mode: the state and the data in the queue's reserved memory */
MTEST(state_splits)
{
	enum { BIG = 3 << 20 };
	static const size_t sizes[] = {
		0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 1000, 4095, 65537,
		BIG,
	};
	struct wd_queue q;
	struct wd_sha256_state *st;
	uint8_t *mem, *data, *out, want[32];
	uint64_t seed = 0x5eed;

	q_open(&q, "sha256");
	mem = q_mem(&q, BIG + 8192);
	st = (void *)mem;
	out = mem + 256;
	data = mem + 4096;
	t_fill_random(data, BIG, 3);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i], at = 0;
		struct ref_sha256 ref;

		for (int round = 0; round < 3; round++) {
			bool tail = round & 1;

			wd_sha256_state_init(st);
			ref_sha256_init(&ref);
			state_is(st, &ref);
			at = 0;
			while (n - at > (tail ? 1 : 0)) {
				/* pieces of 0 to a few blocks, or up to
				 * 1/3 of a big message */
				size_t lim = n > 100000 ? n / 3 : 300;
				size_t k = rnd(&seed) % (lim + 1);

				if (k > n - at - (tail ? 1 : 0))
					k = n - at - (tail ? 1 : 0);
				update(&q, st, data + at, (uint32_t)k);
				ref_sha256_update(&ref, data + at, k);
				state_is(st, &ref);
				at += k;
			}
			memset(out, 0, 32);
			finish(&q, st, data + at, (uint32_t)(n - at), out);
			state_is(st, &ref);	/* a FINISH writes no state */
			ossl_sha256(data, n, want);
			T_ASSERT_MSG(!memcmp(out, want, 32),
				     "%zu bytes, round %d: wrong digest", n,
				     round);
		}
	}
#undef ST
	wd_release_queue(&q);
}

MTEST(state_copy)
{
	enum { N = 200000, CUT = 70001 };
	struct wd_queue q;
	struct wd_sha256_state *a, *b;
	uint8_t *mem, *data, *other, *out, want[32];

	q_open(&q, "sha256");
	mem = q_mem(&q, 3 * N + 8192);
	a = (void *)mem;
	b = (void *)(mem + WD_SHA256_STATE_ALIGN);
	out = mem + 1024;
	data = mem + 4096;
	other = data + N;
	t_fill_random(data, N, 5);
	memcpy(other, data, CUT);
	t_fill_random(other + CUT, N - CUT, 6);

	wd_sha256_state_init(a);
	update(&q, a, data, CUT);
	memcpy(b, a, sizeof(*a));	/* the digest forks here */
	update(&q, a, data + CUT, N - CUT - 10);
	update(&q, b, other + CUT, N - CUT);
	finish(&q, a, data + N - 10, 10, out);
	ossl_sha256(data, N, want);
	T_ASSERT_MSG(!memcmp(out, want, 32), "the original's digest");
	finish(&q, b, NULL, 0, out);
	ossl_sha256(other, N, want);
	T_ASSERT_MSG(!memcmp(out, want, 32), "the copy's digest");
	/* finished, not consumed: the same FINISH again, same result */
	memset(out, 0, 32);
	finish(&q, b, NULL, 0, out);
	T_ASSERT_MSG(!memcmp(out, want, 32), "the copy finished twice");
	wd_release_queue(&q);
}

MTEST(state_refusals)
{
	struct wd_queue q, qc;
	struct wd_stream_req r;
	struct wd_sha256_state *st, before;
	uint8_t *mem, *data, *out;
	void *got;

	q_open(&q, "sha256");
	mem = q_mem(&q, 1 << 16);
	st = (void *)mem;
	out = mem + 1024;
	data = mem + 4096;
	t_fill_random(data, 1000, 9);
	wd_sha256_state_init(st);
	update(&q, st, data, 100);
	before = *st;

	wd_prep_stream(&r, NULL, 0, data, 10, WD_NO_FLUSH);
	T_EQ(wd_digest_state_send(NULL, &r, st), -EINVAL);
	T_EQ(wd_digest_state_send(&q, NULL, st), -EINVAL);
	T_EQ(wd_digest_state_send(&q, &r, NULL), -EINVAL);
	/* alignment: every misalignment below 128 is refused, 128 is not */
	for (size_t off = 8; off < WD_SHA256_STATE_ALIGN; off += 8)
		T_EQ(wd_digest_state_send(&q, &r,
					  (void *)((uint8_t *)st + off)),
		     -EINVAL);
	T_EQ(wd_digest_state_send(&q, &r, (void *)((uint8_t *)st + 1)),
	     -EINVAL);
	/* flushes a digest has no use for, a dictionary */
	r.flush = WD_SYNC_FLUSH;
	T_EQ(wd_digest_state_send(&q, &r, st), -EINVAL);
	r.flush = WD_FULL_FLUSH;
	T_EQ(wd_digest_state_send(&q, &r, st), -EINVAL);
	r.flush = WD_NO_FLUSH | WD_STREAM_DICT;
	T_EQ(wd_digest_state_send(&q, &r, st), -EINVAL);
	r.flush = 4;
	T_EQ(wd_digest_state_send(&q, &r, st), -EINVAL);
	/* nothing was queued by any of them */
	T_EQ(wd_recv(&q, &got), 0);
	T_ASSERT(!memcmp(st, &before, sizeof(before)));
	/* the accepted twin, at the next aligned address */
	memcpy(mem + WD_SHA256_STATE_ALIGN, st, sizeof(*st));
	update(&q, (void *)(mem + WD_SHA256_STATE_ALIGN), data + 100, 10);

	/* too little room for the digest: -ENOSPC, nothing consumed, state
	 * kept */
	wd_prep_stream(&r, out, 31, data + 100, 10, WD_FINISH);
	srun(&q, &r, st);
	T_EQ(r.status, -ENOSPC);
	T_EQ(r.in_len, 0);
	T_EQ(r.flags, 0);
	T_ASSERT(!memcmp(st, &before, sizeof(before)));

	/* a queue of another algorithm */
	q_open(&qc, "crc32c");
	mem = q_mem(&qc, 1 << 16);
	st = (void *)mem;
	wd_sha256_state_init(st);
	wd_prep_stream(&r, NULL, 0, mem + 4096, 10, WD_NO_FLUSH);
	T_EQ(wd_digest_state_send(&qc, &r, st), -EINVAL);
	wd_release_queue(&qc);
	wd_release_queue(&q);

	/* a released queue */
	T_EQ(wd_digest_state_send(&q, &r, st), -EINVAL);
}

/* several digests in flight on one queue, completions in order */
MTEST(state_pipelined)
{
	enum { D = 8, N = 50000 };
	struct wd_queue q;
	struct wd_stream_req r[D];
	uint8_t *mem, *data, *out, want[32];
	void *got;

#define ST(i) ((struct wd_sha256_state *)(mem + (i) * WD_SHA256_STATE_ALIGN))
	q_open(&q, "sha256");
	T_ASSERT(q.depth >= D);
	mem = q_mem(&q, D * N + 8192);
	out = mem + D * WD_SHA256_STATE_ALIGN;
	data = mem + 4096;
	t_fill_random(data, (size_t)D * N, 12);
	for (int i = 0; i < D; i++) {
		wd_sha256_state_init(ST(i));
		wd_prep_stream(&r[i], NULL, 0, data + (size_t)i * N, N / 2,
			       WD_NO_FLUSH);
		T_EQ(wd_digest_state_send(&q, &r[i], ST(i)), 0);
	}
	for (int i = 0; i < D; i++) {
		T_EQ(wd_recv_wait(&q, &got, 30000), 1);
		T_ASSERT(got == &r[i]);
		T_EQ(r[i].status, 0);
	}
	for (int i = 0; i < D; i++) {
		wd_prep_stream(&r[i], out + 32 * i, 32,
			       data + (size_t)i * N + N / 2, N - N / 2,
			       WD_FINISH);
		T_EQ(wd_digest_state_send(&q, &r[i], ST(i)), 0);
	}
	for (int i = 0; i < D; i++) {
		T_EQ(wd_recv_wait(&q, &got, 30000), 1);
		T_ASSERT(got == &r[i]);
		T_EQ(r[i].status, 0);
		ossl_sha256(data + (size_t)i * N, N, want);
		T_ASSERT_MSG(!memcmp(out + 32 * i, want, 32), "digest %d", i);
	}
#undef ST
	wd_release_queue(&q);
}
