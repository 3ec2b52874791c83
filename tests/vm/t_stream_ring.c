// SPDX-License-Identifier: GPL-2.0
/*
 * t_stream_ring: stream contexts at the ring (added in wd_soft_v2, WD_SOFT_CMD_CTX;
 * include/uapi/misc/uacce/wd_soft.h, docs/streams.md), both hosts:
 *
 *  - SQEs naming a context never opened, another queue's, a closed one,
 *    one freed by PUT_Q + START_Q (BAD_CTX); garbage sflags, sflags
 *    without ctx, an op other than the context's, params or rsvd set
 *    (INVAL): each completes alone with its status, no output, and
 *    changes nothing: streams in progress on other contexts of the queue
 *    (and the named context itself) go on and zlib/ref.c accept their
 *    results. In every memory mode (buffers in SS for pasid and noiommu).
 *  - a failed request breaks its context (BAD_CTX) until SF_RESET
 *  - bounds: WD_SOFT_MAX_CTX per queue, max_ctx_bytes per device (ENOSPC)
 *  - debugfs ctx_bytes back to 0 after CLOSE, PUT_Q, close; device removal
 *    with contexts open (the kernel warns if its count is not 0 then:
 *    suite.sh's kernel.log_clean; t_module unloads after it)
 *  - the command's errors: EINVAL (cmd, rsvd, op, level), EBADF (CLOSE of
 *    a context not open), EPERM (fork child), ENODEV (removed)
 *  - kernel SVA: a stream request held for a missing page resumes where it
 *    was (a digest, a compression, a decompression exactly as without)
 *
 * The streams' results in depth (splits, flushes, dictionaries): the
 * library's tests (tests/lib/t_libwd_stream.c).
 */
#include "t.h"
#include "ref.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

enum mode { SVA, PASID, NOIOMMU };
static const char *const mode_opt[] = { "mode=sva", "mode=pasid",
					"mode=noiommu" };

#define MiB (1u << 20)

/* a started queue of instance @ua; SS unless the device is sva */
static void q_up(struct t_q *q, int ua)
{
	t_q_setup(q, ua);
	if ((q->flags & UACCE_DEV_SVA) != UACCE_DEV_SVA)
		t_q_map_ss(q, MiB);
}

/* request memory the queue's device reaches */
static void *q_buf(struct t_q *q, size_t len)
{
	void *p;

	if (q->ss) {
		p = t_q_ss_alloc(q, len);
		T_ASSERT_MSG(p, "SS full");
		return p;
	}
	p = aligned_alloc(64, (len + 63) & ~(size_t)63);
	T_ASSERT(p);
	return p;
}

static int ctx_cmd(struct t_q *q, struct wd_soft_ctx_cmd *c)
{
	return t_q_cmd(q, WD_SOFT_CMD_CTX, (unsigned long)c);
}

/* OPEN: 0 and the context in *@ctx, or -errno */
static int ctx_try(struct t_q *q, uint16_t op, uint32_t level, uint32_t *ctx)
{
	struct wd_soft_ctx_cmd c = { .cmd = WD_SOFT_CTX_OPEN, .op = op,
				     .level = level };
	int r = ctx_cmd(q, &c);

	if (!r) {
		T_ASSERT_MSG(c.ctx, "OPEN gave context 0");
		*ctx = c.ctx;
	}
	return r;
}

static uint32_t ctx_open(struct t_q *q, uint16_t op, uint32_t level)
{
	uint32_t ctx = 0;
	int r = ctx_try(q, op, level, &ctx);

	if (r)
		T_FAIL("OPEN of op %u level %u: %s", op, level, t_errname(-r));
	return ctx;
}

static int ctx_close(struct t_q *q, uint32_t ctx)
{
	struct wd_soft_ctx_cmd c = { .cmd = WD_SOFT_CTX_CLOSE, .ctx = ctx };

	return ctx_cmd(q, &c);
}

static long long ctx_bytes(const struct t_inst *in)
{
	return t_debugfs_ll(in->id, "ctx_bytes");
}

static uint64_t g_ud = 1;
static uint8_t g_none[64];

/* a request on a context; NULL buffers (with length 0) are given an
 * address the device may reach all the same */
static struct wd_soft_sqe sqe_on(struct t_q *q, uint16_t op, uint32_t ctx,
				 uint32_t sflags, const void *src,
				 uint32_t src_len, void *dst, uint32_t dst_len)
{
	return (struct wd_soft_sqe){
		.user_data = g_ud++,
		.op = op,
		.src = t_q_addr(q, src ? src : q->ss ? q->ss : g_none),
		.dst = t_q_addr(q, dst ? dst : q->ss ? q->ss : g_none),
		.src_len = src_len,
		.dst_len = dst_len,
		.ctx = ctx,
		.sflags = sflags,
	};
}

static const char *st_name(uint32_t st)
{
	static const char *const n[] = { "OK", "BAD_OP", "BAD_ADDR",
		"DST_SMALL", "CORRUPT", "DEV_ERR", "CANCELED", "INVAL",
		"BAD_CTX" };

	return st < sizeof(n) / sizeof(n[0]) ? n[st] : "?";
}

#define ST_EQ(cqe, want, what) do {					\
	if ((cqe).status != (want))					\
		T_FAIL("%s: status %s, expected %s", what,		\
		       st_name((cqe).status), st_name(want));		\
} while (0)

/* a refused request: no input taken, no output, no flags */
static void refused(const struct wd_soft_cqe *c, uint32_t st, const char *what)
{
	ST_EQ(*c, st, what);
	T_ASSERT_MSG(!c->in_len && !c->out_len && !c->cflags && !c->dict_id,
		     "%s: in_len %u, out_len %u, cflags %#x, dict_id %#x", what,
		     c->in_len, c->out_len, c->cflags, c->dict_id);
}

/* raw deflate @z must inflate to exactly @want */
static void zlib_accepts(const uint8_t *z, size_t zlen, const uint8_t *want,
			 size_t n)
{
	z_stream s = { 0 };
	uint8_t *d = malloc(n + 1);
	int r;

	T_ASSERT(d && inflateInit2(&s, -15) == Z_OK);
	s.next_in = (uint8_t *)z;
	s.avail_in = (uInt)zlen;
	s.next_out = d;
	s.avail_out = (uInt)n + 1;
	r = inflate(&s, Z_FINISH);
	T_ASSERT_MSG(r == Z_STREAM_END && !s.avail_in && s.total_out == n &&
		     !memcmp(d, want, n), "zlib: %d (%s), %lu of %zu bytes",
		     r, s.msg ? s.msg : "", s.total_out, n);
	inflateEnd(&s);
	free(d);
}

/*
 * Hostile SQEs on a queue with streams in progress, in one batch with the
 * streams' own requests, then PUT_Q + START_Q.
 */
static void hostile(enum mode m)
{
	enum { N = 60000, ROOM = 70000, JUNK = 4096 };
	struct t_inst in = t_inst_create(mode_opt[m]);
	struct t_q q1, q2;
	struct wd_soft_sqe sq[40];
	struct wd_soft_cqe cq;
	uint32_t X, Z, W, Y, I, fresh, q1_ids[3], fin_in = 0;
	uint8_t *data, *z, *junk, *scratch, *dig, *bad, want[32];
	int nsq = 0, good[40] = { 0 };
	size_t zlen = 0;
	long long b2, b0;

	q_up(&q1, in.ua);
	q_up(&q2, in.ua);
	data = q_buf(&q1, N);
	z = q_buf(&q1, ROOM);
	junk = q_buf(&q1, JUNK);
	scratch = q_buf(&q1, JUNK);
	dig = q_buf(&q1, 64);
	bad = q_buf(&q1, 64);
	for (size_t i = 0; i < N; i += 7)
		memcpy(data + i, "stream!", N - i < 7 ? N - i : 7);
	t_fill_random(data + N / 2, 1000, m + 1);
	t_fill_random(junk, JUNK, m + 2);
	memset(scratch, 0xa5, JUNK);

	X = ctx_open(&q1, WD_SOFT_OP_DEFLATE, 6);
	Z = ctx_open(&q1, WD_SOFT_OP_SHA256, 0);
	W = ctx_open(&q1, WD_SOFT_OP_DEFLATE, 1);
	T_EQ(ctx_close(&q1, W), 0);
	q1_ids[0] = X, q1_ids[1] = Z, q1_ids[2] = W;
	/* a context of q2 whose number q1 has never had */
	b0 = ctx_bytes(&in);
	for (;;) {
		bool used = false;

		Y = ctx_open(&q2, WD_SOFT_OP_CRC32C, 0);
		for (int i = 0; i < 3; i++)
			used |= Y == q1_ids[i];
		if (!used)
			break;
	}
	b2 = ctx_bytes(&in) - b0;	/* q2's */

	/* X and Z begin their streams */
	sq[0] = sqe_on(&q1, WD_SOFT_OP_DEFLATE, X, WD_SOFT_SF_NO_FLUSH, data,
		       N / 3, z, ROOM);
	cq = t_q_run(&q1, &sq[0]);
	ST_EQ(cq, WD_SOFT_S_OK, "X's first part");
	T_EQ(cq.in_len, N / 3);
	zlen = cq.out_len;
	sq[0] = sqe_on(&q1, WD_SOFT_OP_SHA256, Z, WD_SOFT_SF_NO_FLUSH, data,
		       N / 3, NULL, 0);
	ST_EQ(t_q_run(&q1, &sq[0]), WD_SOFT_S_OK, "Z's first part");

#define PUSH(e) (sq[nsq++] = (e))
#define BAD(op, ctx, sf) PUSH(sqe_on(&q1, op, ctx, sf, junk, JUNK, scratch, JUNK))
	BAD(WD_SOFT_OP_DEFLATE, 64, 0);			/* slot 63, never opened */
	BAD(WD_SOFT_OP_DEFLATE, X + (1u << 8), 0);	/* X's slot, another generation */
	BAD(WD_SOFT_OP_DEFLATE, 0xffffff00, 0);		/* slot "-1" */
	BAD(WD_SOFT_OP_DEFLATE, 0xffffffff, 0);
	BAD(WD_SOFT_OP_CRC32C, Y, 0);			/* q2's */
	BAD(WD_SOFT_OP_DEFLATE, W, WD_SOFT_SF_FINISH);	/* closed */
	good[nsq] = 1;
	PUSH(sqe_on(&q1, WD_SOFT_OP_DEFLATE, X, WD_SOFT_SF_SYNC_FLUSH,
		    data + N / 3, N / 3, z + zlen, ROOM - (uint32_t)zlen));
	BAD(WD_SOFT_OP_DEFLATE, X, 1u << 4);		/* unknown sflags */
	BAD(WD_SOFT_OP_DEFLATE, X, 1u << 31);
	BAD(WD_SOFT_OP_DEFLATE, X, WD_SOFT_SF_DICT);	/* DICT mid-stream */
	BAD(WD_SOFT_OP_INFLATE, X, 0);			/* not X's op */
	BAD(WD_SOFT_OP_ZLIB_COMP, X, 0);
	BAD(WD_SOFT_OP_COPY, X, 0);
	BAD(WD_SOFT_OP_SHA256, X, WD_SOFT_SF_FINISH);
	BAD(WD_SOFT_OP_DEFLATE, Z, 0);			/* Z's: sha256 */
	BAD(WD_SOFT_OP_SHA256, Z, WD_SOFT_SF_SYNC_FLUSH); /* digests: NO, FINISH */
	BAD(WD_SOFT_OP_SHA256, Z, WD_SOFT_SF_DICT);
	BAD(WD_SOFT_OP_COPY, 0, WD_SOFT_SF_FINISH);	/* sflags without ctx */
	BAD(WD_SOFT_OP_DEFLATE, 0, WD_SOFT_SF_SYNC_FLUSH);
	BAD(WD_SOFT_OP_SHA256, 0, WD_SOFT_SF_RESET);
	PUSH(sqe_on(&q1, WD_SOFT_OP_DEFLATE, X, 0, junk, JUNK, scratch, JUNK));
	sq[nsq - 1].params = 6;				/* params on a context */
	PUSH(sqe_on(&q1, WD_SOFT_OP_DEFLATE, X, 0, junk, JUNK, scratch, JUNK));
	sq[nsq - 1].rsvd = 1;
	PUSH(sqe_on(&q1, WD_SOFT_OP_SHA256, Z, 0, junk, JUNK, NULL, 0));
	sq[nsq - 1].state = 1;				/* a state without F_STATE */
	PUSH(sqe_on(&q1, WD_SOFT_OP_SHA256, Z, 0, junk, JUNK, NULL, 0));
	sq[nsq - 1].flags = WD_SOFT_SQE_F_STATE;	/* F_STATE on a context */
	sq[nsq - 1].state = 4096;			/* aligned: the ctx refuses */
	good[nsq] = 2;
	PUSH(sqe_on(&q1, WD_SOFT_OP_DEFLATE, X, WD_SOFT_SF_FINISH,
		    data + 2 * (N / 3), N - 2 * (N / 3), NULL, 0));
	good[nsq] = 3;
	PUSH(sqe_on(&q1, WD_SOFT_OP_SHA256, Z, WD_SOFT_SF_FINISH,
		    data + N / 3, N - N / 3, dig, 32));
#undef BAD
#undef PUSH
	for (int i = 0; i < nsq; i++)
		t_q_push(&q1, &sq[i]);
	t_q_publish(&q1);
	for (int i = 0; i < nsq; i++) {
		char what[64];

		t_q_wait(&q1, &cq);
		T_EQ_HEX(cq.user_data, sq[i].user_data);	/* in order */
		snprintf(what, sizeof(what), "SQE %d (op %u ctx %#x sflags %#x)",
			 i, sq[i].op, sq[i].ctx, sq[i].sflags);
		if (!good[i]) {
			refused(&cq, i < 6 ? WD_SOFT_S_BAD_CTX :
				WD_SOFT_S_INVAL, what);
			continue;
		}
		ST_EQ(cq, WD_SOFT_S_OK, what);
		if (good[i] == 1) {
			T_EQ(cq.in_len, sq[i].src_len);
			T_EQ(cq.cflags, 0);
			zlen += cq.out_len;
		}
		if (good[i] == 2) {
			/* the FINISH had no room: MORE, the rest next */
			T_ASSERT(cq.in_len <= sq[i].src_len);
			fin_in = cq.in_len;
			T_EQ(cq.cflags, WD_SOFT_CF_MORE);
			T_EQ(cq.out_len, 0);
		}
		if (good[i] == 3) {
			T_EQ(cq.in_len, sq[i].src_len);
			T_EQ(cq.out_len, 32);
			T_EQ(cq.cflags, WD_SOFT_CF_END);
		}
	}
	/* nothing was written by the refused SQEs */
	for (int i = 0; i < JUNK; i++)
		T_ASSERT_MSG(scratch[i] == 0xa5, "scratch byte %d written", i);
	/* X's FINISH again, the rest of its input, with room now */
	sq[0] = sqe_on(&q1, WD_SOFT_OP_DEFLATE, X, WD_SOFT_SF_FINISH,
		       data + 2 * (N / 3) + fin_in,
		       N - 2 * (N / 3) - fin_in, z + zlen,
		       ROOM - (uint32_t)zlen);
	cq = t_q_run(&q1, &sq[0]);
	ST_EQ(cq, WD_SOFT_S_OK, "X's FINISH");
	T_EQ(cq.cflags, WD_SOFT_CF_END);
	T_EQ(cq.in_len, sq[0].src_len);
	zlen += cq.out_len;
	zlib_accepts(z, zlen, data, N);
	ref_sha256(data, N, want);
	T_ASSERT_MSG(!memcmp(dig, want, 32), "Z's digest");

	/* a failure breaks its context until SF_RESET; others go on */
	I = ctx_open(&q1, WD_SOFT_OP_INFLATE, 0);
	memset(bad, 0xff, 64);			/* BTYPE 11: never valid */
	sq[0] = sqe_on(&q1, WD_SOFT_OP_INFLATE, I, 0, bad, 64, scratch, JUNK);
	ST_EQ(t_q_run(&q1, &sq[0]), WD_SOFT_S_CORRUPT, "corrupt input");
	sq[0] = sqe_on(&q1, WD_SOFT_OP_INFLATE, I, 0, z, (uint32_t)zlen,
		       scratch, JUNK);
	cq = t_q_run(&q1, &sq[0]);
	refused(&cq, WD_SOFT_S_BAD_CTX, "a broken context");
	sq[0] = sqe_on(&q1, WD_SOFT_OP_DEFLATE, X, WD_SOFT_SF_RESET |
		       WD_SOFT_SF_FINISH, data, N, z, ROOM);
	cq = t_q_run(&q1, &sq[0]);
	ST_EQ(cq, WD_SOFT_S_OK, "X reset beside the broken context");
	zlen = cq.out_len;
	zlib_accepts(z, zlen, data, N);
	{
		uint8_t *back = q_buf(&q1, N);

		sq[0] = sqe_on(&q1, WD_SOFT_OP_INFLATE, I, WD_SOFT_SF_RESET, z,
			       (uint32_t)zlen, back, N);
		cq = t_q_run(&q1, &sq[0]);
		ST_EQ(cq, WD_SOFT_S_OK, "SF_RESET on the broken context");
		T_EQ(cq.cflags, WD_SOFT_CF_END);
		T_EQ(cq.in_len, zlen);
		T_EQ(cq.out_len, N);
		T_ASSERT(!memcmp(back, data, N));
	}

	/* q2's context is untouched: its CRC-32C register (the raw one:
	 * the standard CRC inverted) */
	{
		uint8_t *src2 = q_buf(&q2, 4000), *o = q_buf(&q2, 4);

		memcpy(src2, data, 4000);
		sq[0] = sqe_on(&q2, WD_SOFT_OP_CRC32C, Y, WD_SOFT_SF_FINISH,
			       src2, 4000, o, 4);
		cq = t_q_run(&q2, &sq[0]);
		ST_EQ(cq, WD_SOFT_S_OK, "q2's CRC-32C");
		T_EQ(cq.out_len, 4);
		T_EQ_HEX(o[0] | o[1] << 8 | o[2] << 16 | (uint32_t)o[3] << 24,
			 ~ref_crc32c(0, data, 4000));
	}

	/* PUT_Q frees q1's contexts: their numbers are BAD_CTX after
	 * START_Q, new ones differ, q2's are kept */
	t_q_restart(&q1);
	T_EQ(ctx_bytes(&in), b2);
	sq[0] = sqe_on(&q1, WD_SOFT_OP_DEFLATE, X, WD_SOFT_SF_FINISH, data, 100,
		       z, ROOM);
	refused((cq = t_q_run(&q1, &sq[0]), &cq), WD_SOFT_S_BAD_CTX,
		"X after PUT_Q + START_Q");
	sq[0] = sqe_on(&q1, WD_SOFT_OP_SHA256, Z, 0, data, 100, NULL, 0);
	refused((cq = t_q_run(&q1, &sq[0]), &cq), WD_SOFT_S_BAD_CTX,
		"Z after PUT_Q + START_Q");
	T_EQ(ctx_close(&q1, X), -EBADF);
	fresh = ctx_open(&q1, WD_SOFT_OP_DEFLATE, 6);
	T_ASSERT(fresh != X && fresh != Z && fresh != W && fresh != I);
	sq[0] = sqe_on(&q1, WD_SOFT_OP_DEFLATE, fresh, WD_SOFT_SF_FINISH, data,
		       N, z, ROOM);
	cq = t_q_run(&q1, &sq[0]);
	ST_EQ(cq, WD_SOFT_S_OK, "a new context after the restart");
	zlib_accepts(z, cq.out_len, data, N);
	t_q_close(&q1);
	T_EQ(ctx_bytes(&in), b2);
	t_q_close(&q2);
	T_EQ(ctx_bytes(&in), 0);
	t_inst_delete(&in);
}

TEST(hostile_sqes_sva) { hostile(SVA); }
TEST(hostile_sqes_pasid) { hostile(PASID); }
TEST(hostile_sqes_noiommu) { hostile(NOIOMMU); }

/* WD_SOFT_MAX_CTX per queue: ENOSPC beyond, per queue, until one closes */
TEST(max_ctx_per_queue)
{
	struct t_inst in = t_inst_create("");
	struct t_q q1, q2;
	uint32_t ids[WD_SOFT_MAX_CTX], c, c2;
	static const uint16_t ops[] = { WD_SOFT_OP_CRC32C, WD_SOFT_OP_SHA256,
					WD_SOFT_OP_INFLATE };

	t_q_setup(&q1, in.ua);
	t_q_setup(&q2, in.ua);
	for (int i = 0; i < WD_SOFT_MAX_CTX; i++) {
		ids[i] = ctx_open(&q1, ops[i % 3], 0);
		for (int j = 0; j < i; j++)
			T_ASSERT(ids[j] != ids[i]);
	}
	for (int i = 0; i < 3; i++)
		T_EQ(ctx_try(&q1, ops[i], 0, &c), -ENOSPC);
	T_EQ(ctx_try(&q1, WD_SOFT_OP_DEFLATE, 1, &c), -ENOSPC);
	/* the bound is the queue's */
	c2 = ctx_open(&q2, WD_SOFT_OP_SHA256, 0);
	T_EQ(ctx_close(&q1, ids[17]), 0);
	c = ctx_open(&q1, WD_SOFT_OP_CRC32C, 0);
	T_ASSERT(c != ids[17]);
	T_EQ(ctx_try(&q1, WD_SOFT_OP_CRC32C, 0, &c), -ENOSPC);
	T_EQ(ctx_close(&q2, c2), 0);
	for (int i = 0; i < WD_SOFT_MAX_CTX; i++) {
		if (i == 17)
			continue;
		T_EQ(ctx_close(&q1, ids[i]), 0);
	}
	T_EQ(ctx_close(&q1, c), 0);
	T_EQ(ctx_bytes(&in), 0);
	t_q_close(&q1);
	t_q_close(&q2);
}

/*
 * max_ctx_bytes of a device: what one deflate context costs on a default
 * device (its ctx_bytes) and a half more fit one, not two, on any queue;
 * small contexts still fit; closing makes room. 0 fits nothing.
 */
TEST(max_ctx_bytes_device)
{
	struct t_inst a = t_inst_create(""), b, z;
	struct t_q qa, q1, q2, qz;
	uint32_t d1, d2, s, c;
	long long one;
	char opts[64];

	t_q_setup(&qa, a.ua);
	d1 = ctx_open(&qa, WD_SOFT_OP_DEFLATE, 9);
	one = ctx_bytes(&a);
	T_ASSERT(one > 0);
	t_q_close(&qa);
	T_EQ(ctx_bytes(&a), 0);

	snprintf(opts, sizeof(opts), "max_ctx_bytes=%lld", one + one / 2);
	b = t_inst_create(opts);
	t_q_setup(&q1, b.ua);
	t_q_setup(&q2, b.ua);
	d1 = ctx_open(&q1, WD_SOFT_OP_DEFLATE, 9);
	T_EQ(ctx_try(&q1, WD_SOFT_OP_DEFLATE, 9, &d2), -ENOSPC);
	T_EQ(ctx_try(&q2, WD_SOFT_OP_DEFLATE, 9, &d2), -ENOSPC);
	s = ctx_open(&q2, WD_SOFT_OP_SHA256, 0);
	c = ctx_open(&q2, WD_SOFT_OP_CRC32C, 0);
	T_ASSERT(ctx_bytes(&b) <= one + one / 2);
	T_EQ(ctx_close(&q1, d1), 0);
	d2 = ctx_open(&q2, WD_SOFT_OP_DEFLATE, 9);
	T_EQ(ctx_close(&q2, d2), 0);
	T_EQ(ctx_close(&q2, s), 0);
	T_EQ(ctx_close(&q2, c), 0);
	T_EQ(ctx_bytes(&b), 0);
	t_q_close(&q1);
	t_q_close(&q2);

	z = t_inst_create("max_ctx_bytes=0");
	t_q_setup(&qz, z.ua);
	T_EQ(ctx_try(&qz, WD_SOFT_OP_CRC32C, 0, &c), -ENOSPC);
	T_EQ(ctx_try(&qz, WD_SOFT_OP_SHA256, 0, &c), -ENOSPC);
	T_EQ(ctx_bytes(&z), 0);
	t_q_close(&qz);
}

/* one of each kind of context, a stream in progress on the deflate one */
static void open_some(struct t_q *q, uint32_t *ids)
{
	static const uint16_t ops[] = { WD_SOFT_OP_DEFLATE, WD_SOFT_OP_INFLATE,
		WD_SOFT_OP_ZLIB_COMP, WD_SOFT_OP_ZLIB_DECOMP,
		WD_SOFT_OP_GZIP_COMP, WD_SOFT_OP_GZIP_DECOMP,
		WD_SOFT_OP_SHA256, WD_SOFT_OP_CRC32C };
	uint8_t *src = q_buf(q, 8192), *dst = q_buf(q, 8192);
	struct wd_soft_sqe sqe;

	for (int i = 0; i < 8; i++)
		ids[i] = ctx_open(q, ops[i], 0);
	t_fill_random(src, 8192, 5);
	sqe = sqe_on(q, WD_SOFT_OP_DEFLATE, ids[0], 0, src, 8192, dst, 8192);
	ST_EQ(t_q_run(q, &sqe), WD_SOFT_S_OK, "a deflate stream begins");
}

/* ctx_bytes goes back to 0 after CLOSE, PUT_Q, and close */
TEST(ctx_bytes_freed)
{
	struct t_inst in = t_inst_create("mode=pasid");
	struct t_q q;
	uint32_t ids[8];
	long long b;

	q_up(&q, in.ua);
	T_EQ(ctx_bytes(&in), 0);
	open_some(&q, ids);
	b = ctx_bytes(&in);
	T_ASSERT(b > 0);
	for (int i = 7; i >= 0; i--) {
		T_EQ(ctx_close(&q, ids[i]), 0);
		T_ASSERT(ctx_bytes(&in) < b);
		b = ctx_bytes(&in);
	}
	T_EQ(b, 0);

	open_some(&q, ids);
	T_ASSERT(ctx_bytes(&in) > 0);
	T_EQ(t_q_cmd(&q, UACCE_CMD_PUT_Q, 0), 0);
	T_EQ(ctx_bytes(&in), 0);
	t_q_start_again(&q);
	T_EQ(ctx_close(&q, ids[0]), -EBADF);

	open_some(&q, ids);
	T_ASSERT(ctx_bytes(&in) > 0);
	t_q_close(&q);
	T_EQ(ctx_bytes(&in), 0);
}

/*
 * del_device with contexts open (and a stream in progress): the device
 * goes, the queue's commands fail with ENODEV; the kernel warns if its
 * count is not back to 0 (kernel.log_clean).
 */
TEST(device_removed_with_contexts)
{
	struct t_inst in = t_inst_create("mode=noiommu");
	struct t_q q;
	uint32_t ids[8], c;

	q_up(&q, in.ua);
	open_some(&q, ids);
	T_ASSERT(ctx_bytes(&in) > 0);
	t_inst_delete(&in);
	T_EQ(ctx_try(&q, WD_SOFT_OP_SHA256, 0, &c), -ENODEV);
	T_EQ(ctx_close(&q, ids[0]), -ENODEV);
	t_q_close(&q);
}

/* the command's own errors; nothing is opened or closed by them */
TEST(ctx_cmd_errors)
{
	struct t_inst in = t_inst_create("");
	struct t_q q, q2;
	struct wd_soft_ctx_cmd c;
	uint32_t x, y;

	t_q_setup(&q, in.ua);
	t_q_setup(&q2, in.ua);
	x = ctx_open(&q, WD_SOFT_OP_SHA256, 0);
	y = ctx_open(&q2, WD_SOFT_OP_SHA256, 0);
	y = ctx_open(&q2, WD_SOFT_OP_SHA256, 0);	/* a number q lacks */
	T_ASSERT(y != x);
#define CMD(...) (c = (struct wd_soft_ctx_cmd){ __VA_ARGS__ }, ctx_cmd(&q, &c))
	T_EQ(CMD(.cmd = 0, .op = WD_SOFT_OP_SHA256), -EINVAL);
	T_EQ(CMD(.cmd = 3, .op = WD_SOFT_OP_SHA256), -EINVAL);
	T_EQ(CMD(.cmd = 0xffffffff, .ctx = x), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_SHA256, .rsvd0 = 1),
	     -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_SHA256,
		 .rsvd = { 1, 0 }), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_SHA256,
		 .rsvd = { 0, 1ull << 63 }), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = x, .rsvd0 = 1), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_SHA256, .ctx = 1),
	     -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_NOP), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_COPY), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_MAX), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = 0xffff), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_DEFLATE, .level = 10),
	     -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_GZIP_COMP,
		 .level = 0xffffffff), -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_SHA256, .level = 1),
	     -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_OPEN, .op = WD_SOFT_OP_INFLATE, .level = 6),
	     -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = x, .op = WD_SOFT_OP_SHA256),
	     -EINVAL);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = x, .level = 1), -EINVAL);
	/* CLOSE of what is not open on this queue */
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = 0), -EBADF);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = 64), -EBADF);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = 0xffffffff), -EBADF);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = y), -EBADF);	/* q2's */
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = x), 0);
	T_EQ(CMD(.cmd = WD_SOFT_CTX_CLOSE, .ctx = x), -EBADF);	/* closed */
#undef CMD
	/* q2's contexts are still open */
	T_EQ(ctx_close(&q2, y), 0);
	T_EQ(ctx_close(&q2, y), -EBADF);
	t_q_close(&q2);
	T_EQ(ctx_bytes(&in), 0);
	t_q_close(&q);
}

/* the kernel copies the command in and out: a bad pointer is EFAULT */
TEST(ctx_cmd_efault)
{
	struct t_inst in;
	struct t_q q;

	T_NEED_KERNEL("the ioctl's argument is copied from user memory");
	in = t_inst_create("");
	t_q_setup(&q, in.ua);
	T_EQ(t_q_cmd(&q, WD_SOFT_CMD_CTX, 8), -EFAULT);
	T_EQ(ctx_bytes(&in), 0);
	t_q_close(&q);
}

/* a fork child is not the owner: EPERM, and the parent's context goes on */
TEST(ctx_fork_child)
{
	struct t_inst in = t_inst_create("");
	struct t_q q;
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cq;
	uint8_t *data, *dig, want[32];
	uint32_t x;
	long long b;
	pid_t pid;

	q_up(&q, in.ua);
	data = q_buf(&q, 10000);
	dig = q_buf(&q, 32);
	t_fill_random(data, 10000, 9);
	x = ctx_open(&q, WD_SOFT_OP_SHA256, 0);
	sqe = sqe_on(&q, WD_SOFT_OP_SHA256, x, 0, data, 5000, NULL, 0);
	ST_EQ(t_q_run(&q, &sqe), WD_SOFT_S_OK, "first half");
	b = ctx_bytes(&in);
	pid = t_fork();
	if (!pid) {
		uint32_t c;
		int bad = 0;

		bad |= ctx_try(&q, WD_SOFT_OP_SHA256, 0, &c) != -EPERM;
		bad |= (ctx_close(&q, x) != -EPERM) << 1;
		_exit(bad);
	}
	t_wait_ok(pid, 20000);
	T_EQ(ctx_bytes(&in), b);
	sqe = sqe_on(&q, WD_SOFT_OP_SHA256, x, WD_SOFT_SF_FINISH, data + 5000,
		     5000, dig, 32);
	cq = t_q_run(&q, &sqe);
	ST_EQ(cq, WD_SOFT_S_OK, "second half");
	ref_sha256(data, 10000, want);
	T_ASSERT(!memcmp(dig, want, 32));
	t_q_close(&q);
}

/* an anonymous mapping: pages written by the test are there, the others
 * are not until someone touches them */
static uint8_t *fresh_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	return p;
}

/*
 * A stream request that finds a page missing is held, and runs again once
 * the page is there: from where it was, since a stream's state cannot take
 * the same input twice (the held_in/held_out resumption). Sources and
 * destinations whose first part is there and the rest is not: a digest, a
 * compression and a decompression must be exactly as without the holds,
 * and page_requests shows they happened.
 */
TEST(held_request_resumes)
{
	enum { N = MiB, PRESENT = 300 << 10 };
	struct t_inst in;
	struct t_q q;
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe cq;
	uint8_t *src, *dst, *dig, *zsrc, *back, want[32];
	uint32_t s, d, i;
	long long pr;
	size_t zlen;

	T_NEED_KERNEL("requests held for a page are the kernel's SVA page "
		      "requests (docs/soft-device.md, Page faults)");
	in = t_inst_create("mode=sva");
	t_q_setup(&q, in.ua);
	s = ctx_open(&q, WD_SOFT_OP_SHA256, 0);
	d = ctx_open(&q, WD_SOFT_OP_DEFLATE, 1);
	i = ctx_open(&q, WD_SOFT_OP_INFLATE, 0);
	dig = q_buf(&q, 64);

	/* sha256: 300 KiB there, then 724 KiB of pages not there (zeros) */
	pr = t_debugfs_ll(in.id, "page_requests");
	src = fresh_map(N);
	t_fill_random(src, PRESENT, 21);
	sqe = sqe_on(&q, WD_SOFT_OP_SHA256, s, 0, src, N, NULL, 0);
	cq = t_q_run(&q, &sqe);
	ST_EQ(cq, WD_SOFT_S_OK, "sha256 over missing pages");
	T_EQ(cq.in_len, N);
	T_ASSERT_MSG(t_debugfs_ll(in.id, "page_requests") > pr,
		     "no page request: nothing was held");
	sqe = sqe_on(&q, WD_SOFT_OP_SHA256, s, WD_SOFT_SF_FINISH, NULL, 0, dig,
		     32);
	ST_EQ(t_q_run(&q, &sqe), WD_SOFT_S_OK, "sha256 FINISH");
	ref_sha256(src, N, want);
	T_ASSERT_MSG(!memcmp(dig, want, 32), "the digest of a held request");

	/* deflate: incompressible data there, zeros not; the output into a
	 * destination whose first page only is there */
	pr = t_debugfs_ll(in.id, "page_requests");
	zsrc = fresh_map(N);
	t_fill_random(zsrc, PRESENT, 22);
	dst = fresh_map(2 * N);
	dst[0] = 0;
	sqe = sqe_on(&q, WD_SOFT_OP_DEFLATE, d, WD_SOFT_SF_FINISH, zsrc, N,
		     dst, 2 * N);
	cq = t_q_run(&q, &sqe);
	ST_EQ(cq, WD_SOFT_S_OK, "deflate over missing pages");
	T_EQ(cq.in_len, N);
	T_EQ(cq.cflags, WD_SOFT_CF_END);
	zlen = cq.out_len;
	T_ASSERT(zlen > PRESENT);
	T_ASSERT_MSG(t_debugfs_ll(in.id, "page_requests") > pr,
		     "no page request: nothing was held");
	zlib_accepts(dst, zlen, zsrc, N);

	/* inflate of that into a destination with no page there */
	pr = t_debugfs_ll(in.id, "page_requests");
	back = fresh_map(N);
	sqe = sqe_on(&q, WD_SOFT_OP_INFLATE, i, 0, dst, (uint32_t)zlen, back,
		     N);
	cq = t_q_run(&q, &sqe);
	ST_EQ(cq, WD_SOFT_S_OK, "inflate into missing pages");
	T_EQ(cq.cflags, WD_SOFT_CF_END);
	T_EQ(cq.in_len, zlen);
	T_EQ(cq.out_len, N);
	T_ASSERT_MSG(t_debugfs_ll(in.id, "page_requests") > pr,
		     "no page request: nothing was held");
	T_ASSERT(!memcmp(back, zsrc, N));
	t_q_close(&q);
	T_EQ(ctx_bytes(&in), 0);
}
