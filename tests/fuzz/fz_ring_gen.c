// SPDX-License-Identifier: GPL-2.0
/*
 * fz_ring: the queue's memory and the requests the ring fuzzer builds
 * (valid, hostile, garbage), one batch at a time (fz_ring.h).
 */
#include "fz_ring.h"

struct fz F;

uint64_t dev_addr(const void *p)
{
	return t_q_addr(&F.q0, p);
}

static void *balloc(size_t n)
{
	size_t at = (F.used + 63) & ~(size_t)63;

	if (at + n > TARGET)
		return NULL;
	F.used = at + n;
	return F.arena + at;
}

static void fill_data(uint8_t *p, size_t n)
{
	static const char *w[] = { "warp ", "drive ", "ring ", "queue ",
				   "engine ", "0123456789 ", "\n" };
	size_t i = 0;

	if (chance(40)) {
		t_fill_random(p, n, rnd());
		return;
	}
	while (i < n) {
		const char *s = w[rndn(7)];

		while (*s && i < n)
			p[i++] = (uint8_t)*s++;
	}
}

/* An address the owner of q0 cannot read (and so not write either). */
static uint64_t unreadable(void)
{
	static const uint64_t kern[] = {
		0xffff888000000000ull, 0xffffffff81000000ull,
		0xffffc90000000000ull, 0xffffea0000000000ull,
		0x0000800000000000ull,	/* non-canonical */
		0xfffffffffffff000ull,	/* wraps */
		0, 8, 4096,
	};

	switch (rndn(F.mode == 0 ? 3 : 4)) {
	case 0:
		return kern[rndn(sizeof(kern) / sizeof(kern[0]))] + rndn(4) * 4096;
	case 1:	/* the guard pages around the arena (SVA) or beyond the SS */
		return chance(50) ? dev_addr(F.arena) - 4096 + rndn(4096) :
				    dev_addr(F.arena) + ARENA + rndn(4096);
	case 2:	/* DKO (SVA); any plain VA is out of reach for PASID/NOIOMMU */
		return F.mode == 0 ? (uintptr_t)F.dko + rndn(4096) :
				     (uintptr_t)F.ro + rndn(4096);
	default: /* another queue's SS */
		return t_q_addr(&F.q2, (uint8_t *)F.q2.ss + rndn(F.q2.ss_size / 2));
	}
}

/* An address the owner may read but not write. */
static uint64_t unwritable(void)
{
	if (F.mode == 0 && chance(50))
		return (uintptr_t)F.ro + rndn(2048);
	return unreadable();
}

/* ---- building requests ---- */

static uint32_t split(struct piece *pc, int *npc, uint8_t *buf, size_t len)
{
	int n = 1 + (int)rndn(MAX_PIECES), i;
	size_t at = 0;

	for (i = 0; i < n; i++) {
		size_t l = i == n - 1 ? len - at : rndn(len - at + 1);

		pc[i].p = buf + at;
		pc[i].len = (uint32_t)l;
		at += l;
	}
	*npc = n;
	return (uint32_t)n;
}

/* Place pieces; with an SGL, the array goes to our memory too. */
static bool set_side(struct wd_soft_sqe *e, bool src, struct piece *pc,
		     int npc, uint8_t *flat, uint32_t flat_len)
{
	struct wd_soft_sge *sg;
	int i;

	if (!pc) {
		if (src) {
			e->src = dev_addr(flat);
			e->src_len = flat_len;
		} else {
			e->dst = dev_addr(flat);
			e->dst_len = flat_len;
		}
		return true;
	}
	sg = balloc(npc * sizeof(*sg));
	if (!sg)
		return false;
	for (i = 0; i < npc; i++) {
		sg[i].addr = pc[i].p ? dev_addr(pc[i].p) : 0;
		sg[i].len = pc[i].len;
		sg[i].rsvd = 0;
	}
	if (src) {
		e->flags |= WD_SOFT_SQE_F_SRC_SGL;
		e->src = dev_addr(sg);
		e->src_len = npc;
	} else {
		e->flags |= WD_SOFT_SQE_F_DST_SGL;
		e->dst = dev_addr(sg);
		e->dst_len = npc;
	}
	return true;
}

static size_t zmake(const uint8_t *in, size_t n, uint8_t *out, size_t cap,
		    int wbits)
{
	z_stream z;
	size_t len;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1 + (int)rndn(9), Z_DEFLATED, wbits, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		T_FAIL("deflateInit2");
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		T_FAIL("deflate: output does not fit");
	len = cap - z.avail_out;
	deflateEnd(&z);
	return len;
}

int op_wbits(uint16_t op)
{
	switch (op) {
	case WD_SOFT_OP_DEFLATE:
	case WD_SOFT_OP_INFLATE:
		return -15;
	case WD_SOFT_OP_ZLIB_COMP:
	case WD_SOFT_OP_ZLIB_DECOMP:
		return 15;
	default:
		return 31;
	}
}

bool is_comp(uint16_t op)
{
	return op == WD_SOFT_OP_DEFLATE || op == WD_SOFT_OP_ZLIB_COMP ||
	       op == WD_SOFT_OP_GZIP_COMP;
}

static bool is_decomp(uint16_t op)
{
	return op == WD_SOFT_OP_INFLATE || op == WD_SOFT_OP_ZLIB_DECOMP ||
	       op == WD_SOFT_OP_GZIP_DECOMP;
}

static size_t pick_size(size_t room)
{
	size_t n;

	if (chance(60))
		n = rndn(4097);
	else if (chance(75))
		n = 4096 + rndn(60 * 1024);
	else
		n = 64 * 1024 + rndn(BIG - 64 * 1024);
	return n < room ? n : room;
}

static uint8_t scratch[BIG + 4096];

/* A valid request of a random data operation; false if memory ran out. */
static bool gen_valid(struct req *r)
{
	struct wd_soft_sqe *e = &r->sqe;
	struct piece sp[MAX_PIECES];
	uint8_t *src, *dst;
	size_t slen, dlen, need;
	int nsp = 0;
	bool ssgl = chance(25), dsgl = chance(25);

	e->op = WD_SOFT_OP_COPY + (uint16_t)rndn(WD_SOFT_OP_MAX - 1);
	r->kind = K_VALID;
	if (is_decomp(e->op)) {
		size_t t = pick_size(64 * 1024);

		fill_data(scratch, t);
		r->ztext_len = (uint32_t)t;
		slen = zmake(scratch, t, scratch + BIG / 2, BIG / 2,
			     op_wbits(e->op));
		src = balloc(slen + 8);
		if (!src)
			return false;
		memcpy(src, scratch + BIG / 2, slen);
		if (chance(25)) {	/* damaged */
			switch (rndn(3)) {
			case 0:
				if (slen)
					src[rndn(slen)] ^= (uint8_t)(1u << rndn(8));
				break;
			case 1:
				slen = rndn(slen + 1);
				break;
			default:
				src[slen++] = (uint8_t)rnd();
				break;
			}
		}
		need = t;
	} else {
		slen = pick_size(TARGET / 4);
		src = balloc(slen);
		if (!src)
			return false;
		fill_data(src, slen);
		need = e->op == WD_SOFT_OP_COPY ? slen :
		       e->op == WD_SOFT_OP_CRC32C ? 4 :
		       e->op == WD_SOFT_OP_SHA256 ? 32 :
		       slen + slen / 8 + 64;
	}
	dlen = need + rndn(64);
	if (chance(15))
		dlen = rndn(need + 1);
	dst = balloc(dlen);
	if (!dst)
		return false;
	memset(dst, 0, dlen);

	if (e->op == WD_SOFT_OP_CRC32C)
		e->params = (uint32_t)rnd();
	else if (is_comp(e->op))
		e->params = (uint32_t)rndn(10);
	r->snap = malloc(slen ? slen : 1);
	memcpy(r->snap, src, slen);
	r->src_len = slen;
	if (ssgl) {
		split(sp, &nsp, src, slen);
		if (!set_side(e, true, sp, nsp, NULL, 0))
			return false;
	} else {
		set_side(e, true, NULL, 0, src, (uint32_t)slen);
	}
	if (dsgl) {
		split(r->dst, &r->ndst, dst, dlen);
		if (!set_side(e, false, r->dst, r->ndst, NULL, 0))
			return false;
	} else {
		r->dst[0].p = dst;
		r->dst[0].len = (uint32_t)dlen;
		r->ndst = 1;
		set_side(e, false, NULL, 0, dst, (uint32_t)dlen);
	}
	r->dst_len = dlen;
	return true;
}

/* A request with memory out of reach on one side or both. */
static bool gen_hostile(struct req *r)
{
	struct wd_soft_sqe *e = &r->sqe;
	static const uint16_t ops[] = { WD_SOFT_OP_COPY, WD_SOFT_OP_CRC32C,
		WD_SOFT_OP_SHA256, WD_SOFT_OP_DEFLATE, WD_SOFT_OP_GZIP_COMP,
		WD_SOFT_OP_INFLATE, WD_SOFT_OP_GZIP_DECOMP };
	uint32_t len = chance(10) ? 64u << 20 : 1 + (uint32_t)rndn(8192);
	uint8_t *good;

	r->kind = K_HOSTILE;
	e->op = ops[rndn(sizeof(ops) / sizeof(ops[0]))];
	r->src_bad = chance(50);
	r->dst_bad = !r->src_bad || chance(50);
	good = balloc(len > 16384 ? 16384 : len);
	if (!good)
		return false;
	fill_data(good, len > 16384 ? 16384 : len);
	if (len > 16384)
		len = 16384;
	e->src = r->src_bad ? unreadable() : dev_addr(good);
	e->src_len = r->src_bad && chance(10) ? 64u << 20 : len;
	e->dst = r->dst_bad ? unwritable() : dev_addr(good);
	e->dst_len = 64 + (uint32_t)rndn(8192);
	if (!r->dst_bad) {
		uint8_t *d = balloc(e->dst_len);

		if (!d)
			return false;
		e->dst = dev_addr(d);
	}
	/* sometimes the bad addresses hide in an SGL */
	if (chance(30)) {
		struct wd_soft_sge *sg = balloc(3 * sizeof(*sg));

		if (!sg)
			return false;
		sg[0] = (struct wd_soft_sge){ e->src, 0, 0 };
		sg[1] = (struct wd_soft_sge){ e->src, e->src_len, 0 };
		sg[2] = (struct wd_soft_sge){ r->src_bad ? dev_addr(good) : unreadable(),
					      r->src_bad ? 16 : 0, 0 };
		e->flags |= WD_SOFT_SQE_F_SRC_SGL;
		e->src = dev_addr(sg);
		e->src_len = 3;
	}
	return true;
}

/* A descriptor the checks refuse, with a tripwire as destination. */
static bool gen_garbage(struct req *r)
{
	struct wd_soft_sqe *e = &r->sqe;
	uint8_t *src = balloc(256), *trip = balloc(384), *st;

	if (!src || !trip)
		return false;
	memset(trip, TRIP_BYTE, 384);
	r->kind = K_GARBAGE;
	r->trip = trip;
	r->trip_len = 384;
	/* a state address inside the tripwire, aligned as F_STATE wants */
	st = trip + (-(uintptr_t)trip & (WD_SOFT_STATE_ALIGN - 1));
	e->op = WD_SOFT_OP_COPY;
	e->src = dev_addr(src);
	e->src_len = 256;
	e->dst = dev_addr(trip);
	e->dst_len = 256;
	switch (rndn(10)) {
	case 0:
		r->expect = WD_SOFT_S_INVAL;
		if (chance(50)) {	/* unknown flags */
			e->flags = (uint16_t)(8u << rndn(13));
			break;
		}
		/* F_STATE breaking one of its rules (wd_soft.h); the state
		 * in the tripwire must keep its bytes
		 */
		e->flags = WD_SOFT_SQE_F_STATE;
		e->op = WD_SOFT_OP_SHA256;
		e->state = dev_addr(st);
		e->sflags = chance(50) ? WD_SOFT_SF_FINISH : WD_SOFT_SF_NO_FLUSH;
		if (e->sflags == WD_SOFT_SF_NO_FLUSH) {
			e->dst = 0;
			e->dst_len = 0;
		}
		switch (rndn(7)) {
		case 0:		/* another op */
			e->op = (uint16_t)(chance(50) ? rndn(WD_SOFT_OP_MAX) :
					   rnd());
			if (e->op == WD_SOFT_OP_SHA256)
				e->op = WD_SOFT_OP_COPY;
			break;
		case 1:		/* a context (or a number) */
			e->ctx = F.ctx && chance(50) ? F.ctx : (uint32_t)rnd() | 1;
			break;
		case 2:		/* other sflags */
			e->sflags = (uint32_t)rnd();
			if (e->sflags == WD_SOFT_SF_FINISH ||
			    e->sflags == WD_SOFT_SF_NO_FLUSH)
				e->sflags = WD_SOFT_SF_SYNC_FLUSH;
			break;
		case 3:		/* a state not aligned, or none */
			e->state = chance(20) ? 0 :
				   e->state + 1 + rndn(WD_SOFT_STATE_ALIGN - 1);
			break;
		case 4:		/* an update with a destination */
			e->sflags = WD_SOFT_SF_NO_FLUSH;
			e->dst = chance(50) ? dev_addr(trip) : 0;
			e->dst_len = e->dst && chance(50) ? 0 : 1 + (uint32_t)rndn(256);
			if (chance(30))
				e->flags |= WD_SOFT_SQE_F_DST_SGL;
			break;
		case 5:		/* params */
			e->params = (uint32_t)rnd() | 1;
			break;
		default:	/* rsvd */
			e->rsvd = (uint32_t)rnd() | 1;
			break;
		}
		break;
	case 1:
		/* rsvd, or a state without F_STATE */
		if (rndn(2))
			e->rsvd = (uint32_t)rnd() | 1;
		else
			e->state = rnd() | 1;
		r->expect = WD_SOFT_S_INVAL;
		break;
	case 2:
		e->op = (uint16_t)(WD_SOFT_OP_MAX + rndn(0xfff0));
		r->expect = WD_SOFT_S_BAD_OP;
		break;
	case 3:
		e->params = (uint32_t)rnd() | 1;
		r->expect = WD_SOFT_S_INVAL;
		break;
	case 4:
		e->op = WD_SOFT_OP_GZIP_COMP;
		e->params = 10 + (uint32_t)rndn(1000);
		r->expect = WD_SOFT_S_INVAL;
		break;
	case 6:		/* sflags without a context */
		e->sflags = (uint32_t)rnd() | 1;
		r->expect = WD_SOFT_S_INVAL;
		break;
	case 7:		/* a number never opened, or of another generation */
		e->ctx = chance(50) || !F.ctx ? ((uint32_t)rnd() & ~0xffu) | 0x100 |
						(chance(50) ? 0 : 65 + (uint32_t)rndn(191)) :
			 F.ctx ^ (1u + (uint32_t)rndn(0xffffff)) << 8;
		e->sflags = chance(50) ? 0 : (uint32_t)rnd();
		r->expect = WD_SOFT_S_BAD_CTX;
		break;
	case 8:		/* the context, with another op or unknown sflags */
		if (!F.ctx) {
			e->flags = 8;	/* unknown */
			r->expect = WD_SOFT_S_INVAL;
			break;
		}
		e->ctx = F.ctx;
		e->op = chance(50) ? WD_SOFT_OP_COPY : WD_SOFT_OP_CRC32C;
		if (chance(50)) {
			e->op = WD_SOFT_OP_SHA256;
			e->sflags = chance(50) ? WD_SOFT_SF_DICT :
				    WD_SOFT_SF_SYNC_FLUSH | (uint32_t)rnd() << 4;
		}
		r->expect = WD_SOFT_S_INVAL;
		break;
	default: {	/* an SGL of too many entries, or a non-zero rsvd */
		struct wd_soft_sge *sg = balloc(2 * sizeof(*sg));

		if (!sg)
			return false;
		sg[0] = (struct wd_soft_sge){ dev_addr(src), 16, 0 };
		sg[1] = (struct wd_soft_sge){ dev_addr(src), 16, 1 };
		e->flags = WD_SOFT_SQE_F_SRC_SGL;
		e->src = dev_addr(sg);
		e->src_len = chance(50) ? 4097 + (uint32_t)rndn(1 << 20) : 2;
		r->expect = WD_SOFT_S_INVAL;
		break;
	}
	}
	return true;
}

/*
 * A request on q0's SHA-256 context: a piece of data, sometimes FINISH
 * into a destination of 32 bytes or fewer (DST_SMALL).
 */
static bool gen_ctx(struct req *r)
{
	struct wd_soft_sqe *e = &r->sqe;
	size_t n = chance(20) ? 0 : rndn(8192);
	uint8_t *src = balloc(n ? n : 1), *dst = balloc(64);

	if (!src || !dst)
		return false;
	fill_data(src, n);
	r->kind = K_CTX;
	r->snap = malloc(n ? n : 1);
	memcpy(r->snap, src, n);
	r->src_len = n;
	e->op = WD_SOFT_OP_SHA256;
	e->ctx = F.ctx;
	e->src = dev_addr(src);
	e->src_len = (uint32_t)n;
	e->dst = dev_addr(dst);
	e->dst_len = 0;
	r->dst[0].p = dst;
	r->ndst = 1;
	if (chance(25)) {
		e->sflags = WD_SOFT_SF_FINISH;
		e->dst_len = chance(90) ? 32 + (uint32_t)rndn(32) : (uint32_t)rndn(32);
		r->dst[0].len = e->dst_len;
	}
	if (chance(5))
		e->sflags |= WD_SOFT_SF_RESET;
	return true;
}

/* q0's contexts went with a PUT_Q */
void ctx_drop(void)
{
	F.ctx = 0;
}

/* The context, opened again when a PUT_Q or a scribbler took it. */
static void ctx_ready(void)
{
	struct wd_soft_ctx_cmd cmd = { .cmd = WD_SOFT_CTX_OPEN,
				       .op = WD_SOFT_OP_SHA256 };

	if (F.ctx && F.ctx_clean)
		return;
	if (F.ctx) {
		struct wd_soft_ctx_cmd cl = { .cmd = WD_SOFT_CTX_CLOSE, .ctx = F.ctx };

		T_CMD_OK(&F.q0, WD_SOFT_CMD_CTX, &cl);
		/* a closed number is no longer open */
		T_CMD_ERR(&F.q0, WD_SOFT_CMD_CTX, &cl, EBADF);
	}
	T_CMD_OK(&F.q0, WD_SOFT_CMD_CTX, &cmd);
	T_ASSERT_MSG(cmd.ctx && cmd.ctx != F.ctx, "OPEN gave %#x (was %#x)",
		     cmd.ctx, F.ctx);
	F.ctx = cmd.ctx;
	F.ctx_clean = true;
	F.ctx_len = 0;
	F.ctx_opens++;
	if (!F.ctx_data)
		F.ctx_data = malloc(CTX_MAX);
	T_ASSERT(F.ctx_data);
}

void gen_batch(void)
{
	ctx_ready();
	F.used = 0;
	F.n = 1 + (int)rndn(MAX_BATCH);
	for (int i = 0; i < F.n; i++) {
		struct req *r = &F.r[i];
		unsigned int k = (unsigned int)rndn(100);
		bool ok;

		free(r->snap);
		memset(r, 0, sizeof(*r));
		if (k < 45) {
			ok = gen_valid(r);
		} else if (k < 50) {
			ok = gen_ctx(r);
		} else if (k < 60) {
			r->kind = K_NOP;
			ok = true;
		} else if (k < 80) {
			ok = gen_hostile(r);
		} else if (k < 92) {
			ok = gen_garbage(r);
		} else {
			r->kind = K_RAW;
			t_fill_random(&r->sqe, sizeof(r->sqe), rnd());
			ok = true;
		}
		if (!ok) {	/* out of memory this batch: a NOP */
			free(r->snap);
			memset(r, 0, sizeof(*r));
			r->kind = K_NOP;
		}
		r->sqe.user_data = F.seq + i;
	}
}
