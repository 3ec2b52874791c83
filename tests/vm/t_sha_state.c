// SPDX-License-Identifier: GPL-2.0
/*
 * t_sha_state: SHA-256 with its state in the submitter's memory
 * (WD_SOFT_SQE_F_STATE, struct wd_soft_sha256_state), on both hosts.
 *
 * References: OpenSSL's one-shot SHA-256 (EVP_Digest) for every digest of
 * a whole message, and the FIPS 180-4 step reference of tests/lib/ref.c
 * (ref_sha256_*) for the states the device writes back after each update
 * and for digests continued from states made by hand.
 *
 *  - chains: random splits into update requests (NO_FLUSH), then FINISH,
 *    for sizes 0 to past 3 blocks, chunk boundaries and a few MiB, in every
 *    memory mode; each state written back equals the reference's, and the
 *    FINISH leaves the state alone;
 *  - restore: one saved state finished (and updated) twice with different
 *    tails; states made by hand, a count past 2^61;
 *  - a request that fails (bad source, half-bad source, bad destination,
 *    bad or read-only state, injected DEV_ERR) leaves the state's bytes;
 *  - every INVAL rule of the header, each beside an accepted twin;
 *  - DST_SMALL;
 *  - sva, kernel: the state, the source and the destination in pages
 *    not yet faulted in (a held request runs again from its start).
 */
#include "algs.h"
#include "ref.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define ST_SIZE	sizeof(struct wd_soft_sha256_state)

static uint64_t rnd64(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* @n bytes the device can reach in this mode, aligned to @align (a power
 * of two); never freed (the heap in sva, the SS region otherwise)
 */
static uint8_t *q_mem(struct ctx *c, size_t n, size_t align)
{
	uint8_t *p;

	if (c->mode == SVA) {
		void *v = NULL;

		if (posix_memalign(&v, align < sizeof(void *) ? sizeof(void *) : align,
				   n ? n : 1))
			T_FAIL("no memory for %zu bytes", n);
		return v;
	}
	p = t_q_ss_alloc(&c->q, n + align);
	if (!p)
		T_FAIL("no room for %zu bytes in SS", n);
	return (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
}

static void ossl_sha256(const void *p, size_t n, uint8_t md[32])
{
	unsigned int len = 0;

	T_ASSERT(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) == 1 && len == 32);
}

/* the state in memory as the device writes it back: the reference's,
 * the block buffer's bytes after the partial block zero
 */
static void st_put(void *mem, const struct ref_sha256 *r)
{
	struct wd_soft_sha256_state st;
	unsigned int part = (unsigned int)(r->count % 64);

	memset(&st, 0, sizeof(st));
	memcpy(st.h, r->h, sizeof(st.h));
	st.count = r->count;
	memcpy(st.buf, r->buf, part);
	memcpy(mem, &st, sizeof(st));
}

static void st_check(const void *mem, const struct ref_sha256 *r,
		     const char *what)
{
	struct wd_soft_sha256_state want, got;

	st_put(&want, r);
	memcpy(&got, mem, sizeof(got));
	if (memcmp(&want, &got, sizeof(got)))
		T_FAIL("%s: state in memory: count %llu h0 %08x, expected count %llu h0 %08x%s",
		       what, (unsigned long long)got.count, got.h[0],
		       (unsigned long long)want.count, want.h[0],
		       !memcmp(got.h, want.h, sizeof(got.h)) &&
		       got.count == want.count ? " (block buffer differs)" : "");
}

static struct wd_soft_sqe st_sqe(struct ctx *c, uint32_t sflags,
				 const void *state, const void *src, size_t n,
				 const void *dst, uint32_t dlen)
{
	struct wd_soft_sqe s = {
		.user_data = ++c->ud, .op = WD_SOFT_OP_SHA256,
		.flags = WD_SOFT_SQE_F_STATE, .sflags = sflags,
		.src = t_q_addr(&c->q, src), .src_len = (uint32_t)n,
		.dst = dst ? t_q_addr(&c->q, dst) : 0, .dst_len = dlen,
		.state = t_q_addr(&c->q, state),
	};

	return s;
}

static struct wd_soft_cqe update(struct ctx *c, void *state, const void *src,
				 size_t n)
{
	struct wd_soft_sqe s = st_sqe(c, WD_SOFT_SF_NO_FLUSH, state, src, n,
				      NULL, 0);

	return t_q_run(&c->q, &s);
}

static struct wd_soft_cqe finish(struct ctx *c, void *state, const void *src,
				 size_t n, void *dst, uint32_t dlen)
{
	struct wd_soft_sqe s = st_sqe(c, WD_SOFT_SF_FINISH, state, src, n, dst,
				      dlen);

	return t_q_run(&c->q, &s);
}

#define ST_IS(cqe, st, ...) do {					\
	if ((cqe).status != (st)) {					\
		char _w[256];						\
		snprintf(_w, sizeof(_w), __VA_ARGS__);			\
		T_FAIL("%s: status %s, expected %s", _w,		\
		       stname((cqe).status), stname(st));		\
	}								\
} while (0)

/* ---- chains ---- */

static void t_chain(enum mode m)
{
	static const size_t small[] = {
		0, 1, 2, 55, 56, 57, 63, 64, 65, 100, 119, 120, 127, 128, 129,
		191, 192, 193, 200, 255, 256, 4095, 65535, 65536, 65537, 200003,
	};
	size_t big = m == NOIOMMU ? 3 * MiB : 5 * MiB, sizes[32], nsz = 0;
	struct ctx c;
	uint8_t *data, *st, *dig, want[32];
	uint64_t seed = 0x5eed0000 + m;

	for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		sizes[nsz++] = small[i];
	sizes[nsz++] = MiB + 3;
	sizes[nsz++] = big;

	ctx_init(&c, m);
	data = q_mem(&c, big, 64);
	t_fill_random(data, big, 77 + m);
	st = q_mem(&c, ST_SIZE, WD_SOFT_STATE_ALIGN);
	dig = q_mem(&c, 64, 64);

	for (size_t i = 0; i < nsz; i++) {
		size_t n = sizes[i];
		int chains = n <= 256 ? 8 : n <= 65537 ? 4 : 2;

		ossl_sha256(data, n, want);
		for (int k = 0; k < chains; k++) {
			struct ref_sha256 r;
			size_t pos = 0;
			int req = 0;
			char what[160];
			struct wd_soft_cqe cqe;

			ref_sha256_init(&r);
			st_put(st, &r);
			/* updates of random lengths (empty ones too), a few
			 * dozen at most, the last piece to the FINISH
			 */
			while (pos < n && req < 40 && rnd64(&seed) % 8) {
				size_t left = n - pos, len;
				uint64_t x = rnd64(&seed);

				len = x % 3 == 0 ? x % 130 :
				      x % 3 == 1 ? x % (left / 4 + 1) : x % (left + 1);
				if (len > left)
					len = left;
				snprintf(what, sizeof(what),
					 "size %zu chain %d: update %d of %zu at %zu",
					 n, k, req, len, pos);
				cqe = update(&c, st, data + pos, len);
				ST_IS(cqe, WD_SOFT_S_OK, "%s", what);
				T_EQ(cqe.out_len, 0);
				ref_sha256_update(&r, data + pos, len);
				st_check(st, &r, what);
				pos += len;
				req++;
			}
			memset(dig, 0x11, 64);
			snprintf(what, sizeof(what), "size %zu chain %d: FINISH of %zu",
				 n, k, n - pos);
			cqe = finish(&c, st, data + pos, n - pos, dig, 32 + k % 2 * 32);
			ST_IS(cqe, WD_SOFT_S_OK, "%s", what);
			T_EQ(cqe.out_len, 32);
			if (memcmp(dig, want, 32))
				T_FAIL("%s after %d updates: wrong digest", what, req);
			for (int b = 32; b < 64; b++)
				T_ASSERT_MSG(dig[b] == 0x11, "%s: wrote past the digest", what);
			/* FINISH does not write the state */
			st_check(st, &r, what);
		}
	}
	ctx_fini(&c, "sha256 state chains");
}

T_TEST_TMO(sva_chain, 300) { t_chain(SVA); }
T_TEST_TMO(pasid_chain, 300) { t_chain(PASID); }
T_TEST_TMO(noiommu_chain, 300) { t_chain(NOIOMMU); }

/* ---- save and restore ---- */

static void t_restore(enum mode m)
{
	enum { P = 1000, A = 777, B = 64 + 5 };
	struct ctx c;
	uint8_t *data, *s1, *s2, *dig, *msg, want[32];
	struct ref_sha256 r, r2;
	struct wd_soft_cqe cqe;

	ctx_init(&c, m);
	data = q_mem(&c, P + A + B, 64);
	t_fill_random(data, P + A + B, 5);
	s1 = q_mem(&c, ST_SIZE, WD_SOFT_STATE_ALIGN);
	s2 = q_mem(&c, ST_SIZE, WD_SOFT_STATE_ALIGN);
	dig = q_mem(&c, 32, 64);
	msg = xmalloc(P + A + B);

	ref_sha256_init(&r);
	st_put(s1, &r);
	ST_IS(update(&c, s1, data, P), WD_SOFT_S_OK, "prefix");
	memcpy(s2, s1, ST_SIZE);	/* export: the submitter's copy */

	/* FINISH twice from the same state, different tails */
	memcpy(msg, data, P);
	memcpy(msg + P, data + P, A);
	ossl_sha256(msg, P + A, want);
	cqe = finish(&c, s1, data + P, A, dig, 32);
	ST_IS(cqe, WD_SOFT_S_OK, "FINISH with tail A");
	T_ASSERT_MSG(!memcmp(dig, want, 32), "prefix + A: wrong digest");
	T_ASSERT_MSG(!memcmp(s1, s2, ST_SIZE), "FINISH wrote the state");
	memcpy(msg + P, data + P + A, B);
	ossl_sha256(msg, P + B, want);
	cqe = finish(&c, s1, data + P + A, B, dig, 32);
	ST_IS(cqe, WD_SOFT_S_OK, "FINISH with tail B");
	T_ASSERT_MSG(!memcmp(dig, want, 32), "prefix + B: wrong digest");

	/* the saved copy updated on its own: the two states diverge */
	ST_IS(update(&c, s1, data + P, A), WD_SOFT_S_OK, "update A");
	ST_IS(update(&c, s2, data + P + A, B), WD_SOFT_S_OK, "update B");
	ref_sha256_init(&r);
	ref_sha256_update(&r, data, P);
	r2 = r;
	ref_sha256_update(&r, data + P, A);
	ref_sha256_update(&r2, data + P + A, B);
	st_check(s1, &r, "prefix + A");
	st_check(s2, &r2, "prefix + B");
	cqe = finish(&c, s2, data, 0, dig, 32);
	ST_IS(cqe, WD_SOFT_S_OK, "empty FINISH");
	T_ASSERT_MSG(!memcmp(dig, want, 32), "prefix + B then empty FINISH");

	/* any value is a state: made by hand, continued as the reference
	 * continues it; a count past 2^61 (its bit length wraps) and one
	 * that wraps in the update
	 */
	static const uint64_t counts[] = { 1000003, 64, (1ull << 61) + 7,
					   ~0ull - 9 };
	for (unsigned int i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		uint8_t ref[32];

		t_fill_random(&r, sizeof(r), 100 + i);
		r.count = counts[i];
		st_put(s1, &r);
		ST_IS(update(&c, s1, data, 100), WD_SOFT_S_OK, "hand state %u", i);
		ref_sha256_update(&r, data, 100);
		st_check(s1, &r, "hand state");
		cqe = finish(&c, s1, data + 100, 30, dig, 32);
		ST_IS(cqe, WD_SOFT_S_OK, "hand state %u: FINISH", i);
		ref_sha256_update(&r, data + 100, 30);
		ref_sha256_final(&r, ref);
		T_ASSERT_MSG(!memcmp(dig, ref, 32), "hand state %u (count %#llx): wrong digest",
			     i, (unsigned long long)counts[i]);
	}
	free(msg);
	ctx_fini(&c, "sha256 state restore");
}

TEST(sva_restore) { t_restore(SVA); }
TEST(pasid_restore) { t_restore(PASID); }
TEST(noiommu_restore) { t_restore(NOIOMMU); }

/* ---- failures leave the state ---- */

/* @st's bytes are @snap's */
#define SAME(st, snap, ...) do {					\
	if (memcmp(st, snap, ST_SIZE))					\
		T_FAIL(__VA_ARGS__);					\
} while (0)

static void t_failed(enum mode m)
{
	struct ctx c;
	uint8_t *data, *st, *dig, snap[ST_SIZE];
	struct ref_sha256 r;
	struct wd_soft_cqe cqe;
	struct wd_soft_sqe s;
	uint64_t bad;

	ctx_init(&c, m);
	data = q_mem(&c, 3 * 4096, 4096);
	t_fill_random(data, 3 * 4096, 9);
	st = q_mem(&c, ST_SIZE, WD_SOFT_STATE_ALIGN);
	dig = q_mem(&c, 32, 64);
	ref_sha256_init(&r);
	st_put(st, &r);
	ST_IS(update(&c, st, data, 99), WD_SOFT_S_OK, "first part");
	memcpy(snap, st, ST_SIZE);

	/* an address the device cannot reach: a hole in sva, anything outside
	 * SS otherwise
	 */
	if (m == SVA) {
		enum { HB = 18 * 4096 };	/* more than a chunk, then a hole */
		uint8_t *p = mmap(NULL, HB, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		T_ASSERT(p != MAP_FAILED);
		memset(p, 7, HB - 4096);
		T_OK(munmap(p + HB - 4096, 4096));
		bad = (uintptr_t)(p + HB - 4096);
		/* the first chunk is there and hashed, then the hole */
		s = st_sqe(&c, WD_SOFT_SF_NO_FLUSH, st, p, HB, NULL, 0);
		cqe = t_q_run(&c.q, &s);
		ST_IS(cqe, WD_SOFT_S_BAD_ADDR, "source running into a hole");
		SAME(st, snap, "a half-bad source changed the state");
	} else {
		bad = t_q_addr(&c.q, c.q.ss) + c.q.ss_size + 4096;
		s = st_sqe(&c, WD_SOFT_SF_NO_FLUSH, st, data, 10, NULL, 0);
		s.src_len = (uint32_t)(c.q.ss_size - (data - (uint8_t *)c.q.ss) + 1);
		cqe = t_q_run(&c.q, &s);
		ST_IS(cqe, WD_SOFT_S_BAD_ADDR, "source past the SS region");
		SAME(st, snap, "a half-bad source changed the state");
	}
	s = st_sqe(&c, WD_SOFT_SF_NO_FLUSH, st, data, 10, NULL, 0);
	s.src = bad;
	ST_IS(t_q_run(&c.q, &s), WD_SOFT_S_BAD_ADDR, "bad source");
	SAME(st, snap, "an update with a bad source changed the state");
	s = st_sqe(&c, WD_SOFT_SF_FINISH, st, data, 10, dig, 32);
	s.src = bad;
	ST_IS(t_q_run(&c.q, &s), WD_SOFT_S_BAD_ADDR, "FINISH, bad source");
	s = st_sqe(&c, WD_SOFT_SF_FINISH, st, data, 10, dig, 32);
	s.dst = bad;
	ST_IS(t_q_run(&c.q, &s), WD_SOFT_S_BAD_ADDR, "FINISH, bad destination");
	SAME(st, snap, "a FINISH with a bad destination changed the state");
	/* the state itself out of reach (aligned) */
	s = st_sqe(&c, WD_SOFT_SF_NO_FLUSH, st, data, 10, NULL, 0);
	s.state = bad & ~(uint64_t)(WD_SOFT_STATE_ALIGN - 1);
	ST_IS(t_q_run(&c.q, &s), WD_SOFT_S_BAD_ADDR, "bad state address");
	memset(dig, 0x11, 32);
	s = st_sqe(&c, WD_SOFT_SF_FINISH, st, data, 10, dig, 32);
	s.state = bad & ~(uint64_t)(WD_SOFT_STATE_ALIGN - 1);
	ST_IS(t_q_run(&c.q, &s), WD_SOFT_S_BAD_ADDR, "FINISH, bad state address");
	for (int i = 0; i < 32; i++)
		T_ASSERT_MSG(dig[i] == 0x11, "FINISH without a state wrote dst");
	/* an injected device error */
	t_fail_next(c.in.id, 1);
	ST_IS(update(&c, st, data, 5000), WD_SOFT_S_DEV_ERR, "fail_next");
	SAME(st, snap, "a DEV_ERR changed the state");

	/* a read-only state (sva): read by FINISH, not writable by an update */
	if (m == SVA) {
		uint8_t *ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		uint8_t want[32];

		T_ASSERT(ro != MAP_FAILED);
		memcpy(ro + 256, snap, ST_SIZE);
		T_OK(mprotect(ro, 4096, PROT_READ));
		ST_IS(update(&c, ro + 256, data, 100), WD_SOFT_S_BAD_ADDR,
		      "update of a read-only state");
		SAME(ro + 256, snap, "read-only state changed");
		cqe = finish(&c, ro + 256, data + 99, 1000, dig, 32);
		ST_IS(cqe, WD_SOFT_S_OK, "FINISH of a read-only state");
		ossl_sha256(data, 1099, want);
		T_ASSERT_MSG(!memcmp(dig, want, 32), "FINISH of a read-only state: wrong digest");
		munmap(ro, 4096);
	}

	/* and the state still works */
	{
		uint8_t want[32];

		ST_IS(update(&c, st, data + 99, 4000), WD_SOFT_S_OK, "after failures");
		ST_IS(finish(&c, st, data + 4099, 1, dig, 32), WD_SOFT_S_OK, "final");
		ossl_sha256(data, 4100, want);
		T_ASSERT_MSG(!memcmp(dig, want, 32), "after failures: wrong digest");
	}
	ctx_fini(&c, "sha256 state failures");
}

TEST(sva_failed) { t_failed(SVA); }
TEST(pasid_failed) { t_failed(PASID); }
TEST(noiommu_failed) { t_failed(NOIOMMU); }

/* ---- the INVAL rules ---- */

/*
 * @s must be refused with INVAL touching nothing (the state and the
 * destination keep their bytes), and @ok, the same request with the rule
 * respected, accepted: the rule and nothing else refuses @s.
 */
static void refused(struct ctx *c, struct wd_soft_sqe s, uint8_t *st,
		    uint8_t *dst, const char *what)
{
	uint8_t snap[ST_SIZE];
	struct wd_soft_cqe cqe;

	memcpy(snap, st, ST_SIZE);
	memset(dst, 0x11, 64);
	s.user_data = ++c->ud;
	cqe = t_q_run(&c->q, &s);
	ST_IS(cqe, WD_SOFT_S_INVAL, "%s", what);
	T_EQ(cqe.out_len, 0);
	SAME(st, snap, "%s: refused, but the state changed", what);
	for (int i = 0; i < 64; i++)
		T_ASSERT_MSG(dst[i] == 0x11, "%s: refused, but dst written", what);
}

static void accepted(struct ctx *c, struct wd_soft_sqe s, const char *what)
{
	s.user_data = ++c->ud;
	ST_IS(t_q_run(&c->q, &s), WD_SOFT_S_OK, "%s (the twin)", what);
}

static void t_inval(enum mode m)
{
	struct ctx c;
	uint8_t *data, *st, *dst;
	struct ref_sha256 r;
	struct wd_soft_sqe s, ok;
	struct wd_soft_ctx_cmd cmd = { .cmd = WD_SOFT_CTX_OPEN,
				       .op = WD_SOFT_OP_SHA256 };
	static const uint16_t ops[] = {
		WD_SOFT_OP_NOP, WD_SOFT_OP_COPY, WD_SOFT_OP_CRC32C,
		WD_SOFT_OP_DEFLATE, WD_SOFT_OP_INFLATE, WD_SOFT_OP_GZIP_COMP,
		WD_SOFT_OP_MAX, 0x7777,
	};
	static const uint32_t sflags[] = {
		WD_SOFT_SF_SYNC_FLUSH, WD_SOFT_SF_FULL_FLUSH, WD_SOFT_SF_DICT,
		WD_SOFT_SF_RESET, WD_SOFT_SF_RESET | WD_SOFT_SF_FINISH,
		WD_SOFT_SF_DICT | WD_SOFT_SF_FINISH, 1u << 4, 1u << 31,
	};

	ctx_init(&c, m);
	data = q_mem(&c, 4096, 64);
	t_fill_random(data, 4096, 3);
	st = q_mem(&c, 2 * 4096, 4096);	/* a page, and the next */
	dst = q_mem(&c, 64, 64);
	ref_sha256_init(&r);
	st_put(st, &r);

	/* F_STATE with a context */
	T_EQ(t_q_cmd(&c.q, WD_SOFT_CMD_CTX, (unsigned long)&cmd), 0);
	ok = st_sqe(&c, WD_SOFT_SF_NO_FLUSH, st, data, 100, NULL, 0);
	s = ok;
	s.ctx = cmd.ctx;
	refused(&c, s, st, dst, "F_STATE with a context");
	accepted(&c, ok, "F_STATE with a context");
	s = ok;
	s.flags = 0;			/* on the context, without F_STATE */
	s.state = 0;
	s.ctx = cmd.ctx;
	accepted(&c, s, "the context without F_STATE");
	/* F_STATE with other ops */
	for (unsigned int i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char what[64];

		s = st_sqe(&c, WD_SOFT_SF_FINISH, st, data, 100, dst, 64);
		s.op = ops[i];
		snprintf(what, sizeof(what), "F_STATE with op %#x", ops[i]);
		refused(&c, s, st, dst, what);
	}
	accepted(&c, st_sqe(&c, WD_SOFT_SF_FINISH, st, data, 100, dst, 64),
		 "F_STATE with op SHA256");
	/* sflags other than NO_FLUSH and FINISH */
	for (unsigned int i = 0; i < sizeof(sflags) / sizeof(sflags[0]); i++) {
		char what[64];

		s = st_sqe(&c, sflags[i], st, data, 100, NULL, 0);
		snprintf(what, sizeof(what), "F_STATE with sflags %#x", sflags[i]);
		refused(&c, s, st, dst, what);
	}
	/* the state's address: 0, not 128-aligned (inside one page, too) */
	static const uint64_t offs[] = { 1, 8, 64, 127, 4096 - 64 };
	s = ok;
	s.state = 0;
	refused(&c, s, st, dst, "F_STATE, state 0");
	for (unsigned int i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		char what[64];

		s = ok;
		s.state += offs[i];
		snprintf(what, sizeof(what), "F_STATE, state at +%llu",
			 (unsigned long long)offs[i]);
		refused(&c, s, st, dst, what);
	}
	s = ok;
	s.state += 4096;		/* aligned: accepted (the next page) */
	st_put(st + 4096, &r);
	accepted(&c, s, "state 128-aligned");
	/* an update has no destination */
	s = ok;
	s.dst = t_q_addr(&c.q, dst);
	refused(&c, s, st, dst, "NO_FLUSH with dst");
	s = ok;
	s.dst_len = 32;
	refused(&c, s, st, dst, "NO_FLUSH with dst_len");
	s = ok;
	s.flags |= WD_SOFT_SQE_F_DST_SGL;
	refused(&c, s, st, dst, "NO_FLUSH with F_DST_SGL");
	/* params must be 0, as for SHA256 without a state */
	s = ok;
	s.params = 1;
	refused(&c, s, st, dst, "F_STATE with params");
	/* without F_STATE: no state, and no sflags without a context */
	s = ok;
	s.flags = 0;
	s.sflags = 0;
	refused(&c, s, st, dst, "a state without F_STATE");
	s.state = 0;
	s.sflags = WD_SOFT_SF_FINISH;
	s.dst = t_q_addr(&c.q, dst);
	s.dst_len = 32;
	refused(&c, s, st, dst, "sflags without F_STATE or a context");
	s.sflags = 0;
	accepted(&c, s, "plain SHA256");
	s = t_sqe_copy(&c.q, data, dst, 32, 32);
	s.state = t_q_addr(&c.q, st);
	refused(&c, s, st, dst, "COPY with a state");
	s.rsvd = 1;
	s.state = 0;
	refused(&c, s, st, dst, "COPY with rsvd");
	ctx_fini(&c, "sha256 state rules");
}

TEST(sva_inval) { t_inval(SVA); }
TEST(noiommu_inval) { t_inval(NOIOMMU); }

/* ---- DST_SMALL ---- */

TEST(sva_dst_small)
{
	struct ctx c;
	uint8_t *data, *st, *dst, snap[ST_SIZE], want[32];
	struct ref_sha256 r;
	struct wd_soft_cqe cqe;

	ctx_init(&c, SVA);
	data = q_mem(&c, 300, 64);
	t_fill_random(data, 300, 4);
	st = q_mem(&c, ST_SIZE, WD_SOFT_STATE_ALIGN);
	dst = q_mem(&c, 64, 64);
	ref_sha256_init(&r);
	st_put(st, &r);
	ST_IS(update(&c, st, data, 150), WD_SOFT_S_OK, "first part");
	memcpy(snap, st, ST_SIZE);
	for (uint32_t room = 0; room < 32; room += 31) {
		memset(dst, 0x11, 64);
		cqe = finish(&c, st, data + 150, 150, dst, room);
		ST_IS(cqe, WD_SOFT_S_DST_SMALL, "FINISH into %u bytes", room);
		T_EQ(cqe.out_len, 32);	/* as SHA256 without a state says */
		for (int i = 0; i < 64; i++)
			T_ASSERT_MSG(dst[i] == 0x11, "DST_SMALL wrote dst");
		SAME(st, snap, "DST_SMALL changed the state");
	}
	cqe = finish(&c, st, data + 150, 150, dst, 32);
	ST_IS(cqe, WD_SOFT_S_OK, "FINISH into 32 bytes");
	ossl_sha256(data, 300, want);
	T_ASSERT_MSG(!memcmp(dst, want, 32), "wrong digest");
	ctx_fini(&c, "sha256 state dst_small");
}

/* ---- page faults (sva, kernel) ---- */

/* @n bytes of @src in a file mapping whose pages this process never
 * touched: in the page cache, not in its page tables
 */
static uint8_t *untouched(const void *src, size_t n)
{
	int fd = T_OK(memfd_create("t_sha_state", MFD_CLOEXEC));
	uint8_t *p;

	T_EQ(pwrite(fd, src, n, 0), (ssize_t)n);
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(p != MAP_FAILED);
	close(fd);
	return p;
}

T_TEST_TMO(sva_faults, 120)
{
	enum { N = 5 * 4096 + 77 };
	struct ctx c;
	uint8_t *data, *src, *stp, *dig, want[32], sbuf[4096];
	struct ref_sha256 r;
	struct wd_soft_cqe cqe;
	long long pr;

	T_NEED_KERNEL("SVA page requests: the kernel's engines");
	ctx_init(&c, SVA);
	data = xmalloc(N);
	t_fill_random(data, N, 11);
	ossl_sha256(data, N, want);

	/* FINISH: state, source and destination all to be faulted in */
	ref_sha256_init(&r);
	ref_sha256_update(&r, data, 1000);
	memset(sbuf, 0, sizeof(sbuf));
	st_put(sbuf + 384, &r);
	stp = untouched(sbuf, sizeof(sbuf));
	src = untouched(data + 1000, N - 1000);
	dig = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(dig != MAP_FAILED);
	pr = t_debugfs_ll(c.in.id, "page_requests");
	cqe = finish(&c, stp + 384, src, N - 1000, dig + 100, 32);
	ST_IS(cqe, WD_SOFT_S_OK, "FINISH through page faults");
	T_ASSERT_MSG(t_debugfs_ll(c.in.id, "page_requests") > pr,
		     "no page request: the held path was not taken");
	T_ASSERT_MSG(!memcmp(dig + 100, want, 32), "FINISH through faults: wrong digest");
	st_check(stp + 384, &r, "FINISH through faults");
	munmap(stp, 4096);
	munmap(src, N - 1000);

	/* NO_FLUSH: the state's page not there for reading, then for writing */
	ref_sha256_init(&r);
	st_put(sbuf + 384, &r);
	stp = untouched(sbuf, sizeof(sbuf));
	src = untouched(data, N);
	pr = t_debugfs_ll(c.in.id, "page_requests");
	ST_IS(update(&c, stp + 384, src, N - 5), WD_SOFT_S_OK, "update through faults");
	T_ASSERT(t_debugfs_ll(c.in.id, "page_requests") > pr);
	ref_sha256_update(&r, data, N - 5);
	st_check(stp + 384, &r, "update through faults");
	cqe = finish(&c, stp + 384, src + N - 5, 5, dig, 32);
	ST_IS(cqe, WD_SOFT_S_OK, "FINISH after");
	T_ASSERT_MSG(!memcmp(dig, want, 32), "update through faults: wrong digest");
	munmap(stp, 4096);
	munmap(src, N);

	/* a fresh anonymous page never touched: the device reads zeros (the
	 * state h = 0, count 0), its write faults the page in and the request
	 * runs again from the zeros: the result of one run
	 */
	stp = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(stp != MAP_FAILED);
	memset(&r, 0, sizeof(r));
	pr = t_debugfs_ll(c.in.id, "page_requests");
	ST_IS(update(&c, stp + 128, data, 3000), WD_SOFT_S_OK, "update of a zero page");
	T_ASSERT(t_debugfs_ll(c.in.id, "page_requests") > pr);
	ref_sha256_update(&r, data, 3000);
	st_check(stp + 128, &r, "update of a never-touched page");
	munmap(stp, 4096);
	munmap(dig, 4096);
	free(data);
	ctx_fini(&c, "sha256 state faults");
}
