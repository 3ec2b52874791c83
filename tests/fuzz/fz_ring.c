// SPDX-License-Identifier: GPL-2.0
/*
 * fz_ring: the ring fuzzer, in the VM, against wd_soft.ko.
 *
 * One test per memory mode. A queue (q0) gets batches of random requests:
 * valid ones of every operation (flat or scatter-gather, sizes from 0 to
 * 160 KiB, destinations sometimes too small, decompression sources made by
 * zlib and sometimes damaged), hostile ones (kernel, non-canonical, NULL,
 * wrapping, guard-page, read-only, DKO, another queue's SS, adjacent
 * physical pages in NOIOMMU, 64 MiB lengths, SGL arrays full of those),
 * malformed descriptors and SQEs of random bytes. Per batch, at random: a
 * thread scribbles over published SQEs and their SGL arrays while the
 * device reads them; PUT_Q in the middle of the batch; hostile sq_tail or
 * cq_head (the queue must break with the right error, and recover after
 * PUT_Q/START_Q); KICK storms. A second queue (q1) of the same device
 * copies and checks data all along.
 *
 * Checks: one CQE per SQE in order; valid statuses; out_len 0 unless OK or
 * DST_SMALL; every valid request's result against a reference (memcmp,
 * bitwise CRC-32C, FIPS 180-4 SHA-256, zlib both ways, zlib's verdict on
 * decompression sources); a request that names memory the owner cannot
 * read never succeeds in reading it, one that names memory the owner
 * cannot write never writes it; after every batch the canary area, the
 * read-only page, the tripwires of malformed requests and the other
 * queue's SS are unchanged. The kernel side is checked by wd-vm's kernel
 * log scan (KASAN, lockdep, UBSAN, kmemleak on the debug kernel).
 *
 * Environment: FZ_SEED (default 1), FZ_BATCHES per mode (default 60),
 * FZ_SECONDS (stop after this long per mode; default 0: no limit).
 */
#include "t.h"
#include "ref.h"
#include "fz_ref.h"

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>


#define ARENA		(512 * 1024)	/* q0's request memory */
#define TARGET		(448 * 1024)	/* [0, TARGET) is named by requests */
#define CANARY_BYTE	0xc5
#define RO_BYTE		0x5a
#define Q2_BYTE		0x3c
#define TRIP_BYTE	0xa7
#define MAX_BATCH	48
#define MAX_PIECES	8
#define BIG		(160 * 1024)

static uint64_t rs;

static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

static uint64_t rndn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int pct)
{
	return rndn(100) < pct;
}

static long env_long(const char *name, long def)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 0) : def;
}

/* ---- the fuzzed queue and its surroundings ---- */

struct piece {
	uint8_t *p;		/* NULL: not in our memory */
	uint32_t len;
};

enum kind { K_VALID, K_NOP, K_HOSTILE, K_GARBAGE, K_RAW };

struct req {
	struct wd_soft_sqe sqe;
	enum kind kind;
	bool victim;		/* scribbled while published: no checks */
	/* K_VALID */
	uint8_t *snap;		/* the source bytes */
	size_t src_len;
	struct piece dst[MAX_PIECES];
	int ndst;
	uint64_t dst_len;
	uint32_t ztext_len;	/* decompression: the text compressed */
	/* K_HOSTILE: which side is out of reach, for reading or writing */
	bool src_bad, dst_bad;
	/* K_GARBAGE */
	uint32_t expect;
	uint8_t *trip;
	size_t trip_len;
};

struct fz {
	int mode;		/* 0 sva, 1 pasid, 2 noiommu */
	struct t_inst in;
	struct t_q q0, q1, q2;
	uint8_t *arena;		/* ARENA bytes */
	uint8_t *ro;		/* one read-only page */
	uint8_t *dko;
	size_t used;		/* bump allocator over [0, TARGET) */
	struct req r[MAX_BATCH];
	int n;
	uint64_t seq;		/* user_data of the next request */
	/* figures */
	uint64_t requests, by_kind[5], by_status[8], bytes, batches;
	uint64_t broken, stops, scribbles, kicks, good_copies;
};

static struct fz F;

static uint64_t dev_addr(const void *p)
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

static int op_wbits(uint16_t op)
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

static bool is_comp(uint16_t op)
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
	uint8_t *src = balloc(256), *trip = balloc(256);

	if (!src || !trip)
		return false;
	memset(trip, TRIP_BYTE, 256);
	r->kind = K_GARBAGE;
	r->trip = trip;
	r->trip_len = 256;
	e->op = WD_SOFT_OP_COPY;
	e->src = dev_addr(src);
	e->src_len = 256;
	e->dst = dev_addr(trip);
	e->dst_len = 256;
	switch (rndn(6)) {
	case 0:
		e->flags = (uint16_t)(4u << rndn(14));
		r->expect = WD_SOFT_S_INVAL;
		break;
	case 1:
		e->rsvd[rndn(3)] = rnd() | 1;
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

static void gen_batch(void)
{
	F.used = 0;
	F.n = 1 + (int)rndn(MAX_BATCH);
	for (int i = 0; i < F.n; i++) {
		struct req *r = &F.r[i];
		unsigned int k = (unsigned int)rndn(100);
		bool ok;

		free(r->snap);
		memset(r, 0, sizeof(*r));
		if (k < 50) {
			ok = gen_valid(r);
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

/* ---- checking ---- */

static void gather(const struct req *r, uint8_t *out, size_t n)
{
	size_t at = 0;

	for (int i = 0; i < r->ndst && at < n; i++) {
		size_t l = r->dst[i].len < n - at ? r->dst[i].len : n - at;

		memcpy(out + at, r->dst[i].p, l);
		at += l;
	}
}

static uint8_t got[BIG + 4096], ref[256 * 1024];

static void check_valid(const struct req *r, const struct wd_soft_cqe *c)
{
	const struct wd_soft_sqe *e = &r->sqe;
	uint32_t st = c->status, ol = c->out_len;
	uint64_t cap = r->dst_len;
	size_t produced;
	enum ref_st rst;

	switch (e->op) {
	case WD_SOFT_OP_COPY:
		if (cap < r->src_len) {
			T_ASSERT_MSG(st == WD_SOFT_S_DST_SMALL && ol == r->src_len,
				     "copy %zu into %llu: status %u out_len %u",
				     r->src_len, (unsigned long long)cap, st, ol);
			return;
		}
		T_ASSERT_MSG(st == WD_SOFT_S_OK && ol == r->src_len,
			     "copy of %zu: status %u out_len %u", r->src_len, st, ol);
		gather(r, got, ol);
		T_ASSERT_MSG(!memcmp(got, r->snap, ol), "copy of %zu: wrong bytes", r->src_len);
		return;
	case WD_SOFT_OP_CRC32C:
	case WD_SOFT_OP_SHA256: {
		uint32_t size = e->op == WD_SOFT_OP_CRC32C ? 4 : 32;
		uint8_t want[32];

		if (cap < size) {
			T_ASSERT_MSG(st == WD_SOFT_S_DST_SMALL && ol == size,
				     "digest op %u: status %u out_len %u", e->op, st, ol);
			return;
		}
		T_ASSERT_MSG(st == WD_SOFT_S_OK && ol == size,
			     "digest op %u of %zu: status %u out_len %u", e->op,
			     r->src_len, st, ol);
		gather(r, got, size);
		if (size == 4) {
			/* the device: the raw register; ref: the standard CRC */
			uint32_t crc = ~ref_crc32c(~e->params, r->snap, r->src_len);

			memcpy(want, &crc, 4);
		} else {
			ref_sha256(r->snap, r->src_len, want);
		}
		T_ASSERT_MSG(!memcmp(got, want, size), "digest op %u of %zu: wrong value",
			     e->op, r->src_len);
		return;
	}
	}
	if (is_comp(e->op)) {
		T_ASSERT_MSG(st == WD_SOFT_S_OK || st == WD_SOFT_S_DST_SMALL,
			     "compress op %u: status %u", e->op, st);
		if (st == WD_SOFT_S_DST_SMALL) {
			T_ASSERT_MSG(!ol || ol > cap, "compress: DST_SMALL out_len %u cap %llu",
				     ol, (unsigned long long)cap);
			return;
		}
		T_ASSERT_MSG(ol <= cap, "compress: out_len %u > %llu", ol,
			     (unsigned long long)cap);
		gather(r, got, ol);
		rst = ref_inflate(got, ol, op_wbits(e->op), ref, sizeof(ref), &produced);
		T_ASSERT_MSG(rst == REF_OK && produced == r->src_len &&
			     !memcmp(ref, r->snap, produced),
			     "compress op %u level %u of %zu bytes: zlib cannot restore the source (%d, %zu)",
			     e->op, e->params, r->src_len, rst, produced);
		return;
	}
	/* decompression: the device must agree with zlib */
	rst = ref_inflate(r->snap, r->src_len, op_wbits(e->op), ref, sizeof(ref),
			  &produced);
	if (st == WD_SOFT_S_OK) {
		T_ASSERT_MSG(rst == REF_OK && produced == ol && ol <= cap,
			     "decompress op %u: OK with %u bytes, zlib says %d with %zu",
			     e->op, ol, rst, produced);
		gather(r, got, ol);
		T_ASSERT_MSG(!memcmp(got, ref, ol), "decompress op %u: wrong bytes", e->op);
	} else if (st == WD_SOFT_S_CORRUPT) {
		T_ASSERT_MSG(rst == REF_CORRUPT,
			     "decompress op %u: CORRUPT, zlib says %d with %zu bytes",
			     e->op, rst, produced);
	} else if (st == WD_SOFT_S_DST_SMALL) {
		T_ASSERT_MSG(rst == REF_BIG || produced > cap,
			     "decompress op %u: DST_SMALL, zlib says %d with %zu <= %llu",
			     e->op, rst, produced, (unsigned long long)cap);
	} else {
		T_FAIL("decompress op %u: status %u", e->op, st);
	}
	if (rst != REF_BIG && produced <= cap)
		T_ASSERT_MSG(st == (rst == REF_OK ? WD_SOFT_S_OK : WD_SOFT_S_CORRUPT),
			     "decompress op %u: status %u, zlib says %d (%zu bytes fit %llu)",
			     e->op, st, rst, produced, (unsigned long long)cap);
}

static void check_one(const struct req *r, const struct wd_soft_cqe *c,
		      bool stopped)
{
	uint32_t st = c->status;

	T_ASSERT_MSG(st <= WD_SOFT_S_INVAL, "request %llu: status %u",
		     (unsigned long long)c->user_data, st);
	F.by_status[st]++;
	if (st != WD_SOFT_S_OK && st != WD_SOFT_S_DST_SMALL)
		T_ASSERT_MSG(!c->out_len, "status %u with out_len %u", st, c->out_len);
	if (r->victim || (stopped && st == WD_SOFT_S_CANCELED))
		return;
	T_ASSERT_MSG(st != WD_SOFT_S_CANCELED, "CANCELED without a stop (kind %d)",
		     r->kind);
	T_ASSERT_MSG(st != WD_SOFT_S_DEV_ERR, "DEV_ERR (kind %d op %u)", r->kind,
		     r->sqe.op);
	switch (r->kind) {
	case K_VALID:
		check_valid(r, c);
		break;
	case K_NOP:
		T_EQ(st, WD_SOFT_S_OK);
		break;
	case K_GARBAGE:
		T_ASSERT_MSG(st == r->expect, "malformed request: status %u, expected %u",
			     st, r->expect);
		break;
	case K_HOSTILE:
		/*
		 * Reading what the owner cannot read never succeeds: a digest
		 * or copy of a non-empty unreadable source fails (or finds the
		 * destination too small first); compression of an unreadable
		 * source cannot complete. Writing where the owner cannot write
		 * never succeeds for operations that always write.
		 */
		if (r->src_bad && r->sqe.src_len && !(r->sqe.flags & WD_SOFT_SQE_F_SRC_SGL))
			T_ASSERT_MSG(st == WD_SOFT_S_BAD_ADDR || st == WD_SOFT_S_DST_SMALL ||
				     st == WD_SOFT_S_INVAL,
				     "op %u read %#llx+%u of an unreadable address: status %u",
				     r->sqe.op, (unsigned long long)r->sqe.src,
				     r->sqe.src_len, st);
		if (r->dst_bad && !r->src_bad &&
		    (r->sqe.op == WD_SOFT_OP_CRC32C || r->sqe.op == WD_SOFT_OP_SHA256 ||
		     is_comp(r->sqe.op)))
			T_ASSERT_MSG(st != WD_SOFT_S_OK,
				     "op %u wrote to %#llx, which the owner cannot write",
				     r->sqe.op, (unsigned long long)r->sqe.dst);
		break;
	case K_RAW:
		/* random reserved fields: refused before anything else */
		T_EQ(st, WD_SOFT_S_INVAL);
		break;
	}
}

static void check_memory(void)
{
	for (size_t i = TARGET; i < ARENA; i++)
		T_ASSERT_MSG(F.arena[i] == CANARY_BYTE,
			     "canary at arena+%zu is %#x: a request wrote outside what it named",
			     i, F.arena[i]);
	for (size_t i = 0; i < t_page; i++)
		T_ASSERT_MSG(F.ro[i] == RO_BYTE, "the read-only page was written (+%zu)", i);
	for (size_t i = 0; i < F.q2.ss_size; i++)
		T_ASSERT_MSG(((uint8_t *)F.q2.ss)[i] == Q2_BYTE,
			     "another queue's SS was written (+%zu)", i);
	for (int i = 0; i < F.n; i++)
		if (F.r[i].kind == K_GARBAGE && !F.r[i].victim)
			for (size_t k = 0; k < F.r[i].trip_len; k++)
				T_ASSERT_MSG(F.r[i].trip[k] == TRIP_BYTE,
					     "a refused request wrote its destination");
}

/* ---- the scribbler ---- */

struct scrib {
	pthread_t th;
	volatile bool stop;
	int victims[MAX_BATCH], nv;
	uint32_t first;		/* sq index of F.r[0] */
	uint64_t seed;
};

static void *scrib_fn(void *arg)
{
	struct scrib *s = arg;
	uint64_t x = s->seed | 1;

	while (!s->stop) {
		int v = s->victims[x % s->nv];
		struct wd_soft_sqe *slot =
			&F.q0.sq[(s->first + v) & (F.q0.depth - 1)];
		uint8_t *b = (uint8_t *)slot;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/*
		 * Not user_data (the CQE order check needs it), nor dst and
		 * dst_len: a victim may then read anything and fail in any
		 * way, but write only its own destination, so the other
		 * requests' checks and the canaries stay meaningful.
		 */
		static const uint8_t ok_bytes[] = {
			8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
			32, 33, 34, 35, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50,
			51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
		};

		b[ok_bytes[(x >> 8) % sizeof(ok_bytes)]] = (uint8_t)(x >> 32);
		if ((F.r[v].sqe.flags & WD_SOFT_SQE_F_SRC_SGL) && F.r[v].kind == K_VALID &&
		    ((x >> 20) & 1)) {
			/* its SGL array is ours: pieces move under the device */
			struct wd_soft_sge *sg =
				(struct wd_soft_sge *)(F.arena + (F.r[v].sqe.src - dev_addr(F.arena)));

			sg[(x >> 24) % F.r[v].sqe.src_len].len = (uint32_t)(x >> 40) % 8192;
		}
		F.scribbles++;
	}
	return NULL;
}

/* ---- the good queue alongside ---- */

struct good {
	pthread_t th;
	volatile bool stop;
	const char *err;
};

static void *good_fn(void *arg)
{
	struct good *g = arg;
	struct t_q *q = &F.q1;
	uint8_t *src = t_q_ss_alloc(q, 8192), *dst = t_q_ss_alloc(q, 8192);
	uint64_t x = 7;

	while (!g->stop && !g->err) {
		struct wd_soft_sqe e = t_sqe_copy(q, src, dst, 8192, 8192);
		struct wd_soft_cqe c;

		t_fill_random(src, 8192, x++);
		memset(dst, 0, 8192);
		e.user_data = x;
		t_q_push(q, &e);
		t_q_publish(q);
		if (t_q_reap(q, &c, 120000) != 1)
			g->err = "good queue: no completion";
		else if (c.status != WD_SOFT_S_OK || memcmp(src, dst, 8192))
			g->err = "good queue: wrong copy";
		F.good_copies++;
	}
	return NULL;
}

/* ---- one batch ---- */

static void restart_q0(void)
{
	T_OK(ioctl(F.q0.fd, UACCE_CMD_PUT_Q));
	t_q_start_again(&F.q0);
}

static void run_batch(void)
{
	struct t_q *q = &F.q0;
	struct scrib sc = { 0 };
	struct wd_soft_cqe c;
	bool stopped = false, scribbling = chance(10);
	uint32_t taken;
	int i;

	gen_batch();
	sc.first = q->sq_tail;
	for (i = 0; i < F.n; i++) {
		t_q_push(q, &F.r[i].sqe);
		F.by_kind[F.r[i].kind]++;
		if (scribbling && chance(30)) {
			F.r[i].victim = true;
			sc.victims[sc.nv++] = i;
		}
	}
	F.seq += F.n;
	F.requests += F.n;
	if (sc.nv) {
		sc.seed = rnd();
		pthread_create(&sc.th, NULL, scrib_fn, &sc);
	}
	t_q_publish(q);
	if (chance(5)) {
		for (i = 0; i < 100; i++)
			t_q_kick(q);
		F.kicks += 100;
	}
	taken = F.n;
	if (chance(5)) {
		/*
		 * PUT_Q while the batch runs: each request the device took
		 * completes or is CANCELED; the others never run
		 */
		usleep(rndn(3000));
		T_OK(ioctl(q->fd, UACCE_CMD_PUT_Q));
		stopped = true;
		taken = t_q_hdr_sq_head(q) - q->cq_head;
		T_ASSERT_MSG(taken <= (uint32_t)F.n, "%u of %d taken", taken, F.n);
		F.stops++;
	}
	for (i = 0; i < (int)taken; i++) {
		int got1 = t_q_reap(q, &c, stopped ? 0 : 300000);

		if (got1 == -EIO)
			T_FAIL("q0 BROKEN (error %u) by a well-formed batch",
			       q->mmio->error);
		T_ASSERT_MSG(got1 == 1, "request %d of %d: no completion%s", i, F.n,
			     stopped ? " after PUT_Q" : "");
		T_EQ(c.user_data, F.r[i].sqe.user_data);
		check_one(&F.r[i], &c, stopped);
	}
	if (stopped)
		T_ASSERT_MSG(t_q_reap(q, &c, 0) == 0, "a CQE for an SQE not "
			     "taken at PUT_Q");
	if (sc.nv) {
		sc.stop = true;
		pthread_join(sc.th, NULL);
	}
	if (stopped)
		t_q_start_again(q);
	check_memory();

	if (chance(5)) {
		/* hostile indices: the queue breaks with the right error */
		bool sq = chance(50);
		uint32_t err;
		struct pollfd p = { .fd = q->fd, .events = POLLIN };

		if (sq) {
			__atomic_store_n(&q->mmio->sq_tail,
					 q->sq_tail + WD_SOFT_DEPTH + 1 + (uint32_t)rndn(1 << 30),
					 __ATOMIC_RELEASE);
		} else {
			struct wd_soft_sqe nop = t_sqe_nop(F.seq++);

			__atomic_store_n(&q->mmio->cq_head, q->cq_head + 1 + (uint32_t)rndn(1000),
					 __ATOMIC_RELEASE);
			t_q_push(q, &nop);
			__atomic_store_n(&q->mmio->sq_tail, q->sq_tail, __ATOMIC_RELEASE);
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		t_q_kick(q);
		for (i = 0; i < 3000 && !(t_q_status(q) & WD_SOFT_ST_BROKEN); i++)
			poll(&p, 1, 100);
		T_ASSERT_MSG(t_q_status(q) & WD_SOFT_ST_BROKEN, "hostile %s did not break the queue",
			     sq ? "sq_tail" : "cq_head");
		err = q->mmio->error;
		T_EQ(err, sq ? WD_SOFT_QERR_SQ_TAIL : WD_SOFT_QERR_CQ_HEAD);
		T_ASSERT(poll(&p, 1, 0) == 1 && (p.revents & POLLERR));
		restart_q0();
		F.broken++;
	}
	F.batches++;
}

static void fz_ring(int mode)
{
	static const char *opts[] = { "mode=sva engines=2", "mode=pasid engines=2",
				      "mode=noiommu engines=2" };
	long batches = env_long("FZ_BATCHES", 60), secs = env_long("FZ_SECONDS", 0);
	uint64_t t0 = t_now_ms();
	struct good g = { 0 };

	memset(&F, 0, sizeof(F));
	F.mode = mode;
	rs = (uint64_t)env_long("FZ_SEED", 1) * 0x9e3779b97f4a7c15ull + mode + 1;
	F.in = t_inst_create(opts[mode]);
	t_q_setup(&F.q0, F.in.ua);
	t_q_setup(&F.q1, F.in.ua);
	t_q_map_ss(&F.q1, 64 * 1024);
	t_q_open(&F.q2, F.in.ua);
	t_q_map_ss(&F.q2, 64 * 1024);
	memset(F.q2.ss, Q2_BYTE, F.q2.ss_size);

	if (mode == 0) {
		uint8_t *m = mmap(NULL, ARENA + 2 * t_page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		T_ASSERT(m != MAP_FAILED);
		T_OK(mprotect(m, t_page, PROT_NONE));
		T_OK(mprotect(m + t_page + ARENA, t_page, PROT_NONE));
		F.arena = m + t_page;
		F.dko = t_mmap_region(F.q0.fd, UACCE_QFRT_DKO, t_page, PROT_NONE);
		T_ASSERT(F.dko != MAP_FAILED);
	} else {
		F.arena = t_q_map_ss(&F.q0, ARENA);
	}
	memset(F.arena + TARGET, CANARY_BYTE, ARENA - TARGET);
	F.ro = mmap(NULL, t_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	T_ASSERT(F.ro != MAP_FAILED);
	memset(F.ro, RO_BYTE, t_page);
	T_OK(mprotect(F.ro, t_page, PROT_READ));

	pthread_create(&g.th, NULL, good_fn, &g);
	for (long b = 0; b < batches; b++) {
		if (secs && t_now_ms() - t0 > (uint64_t)secs * 1000)
			break;
		run_batch();
		if (g.err)
			break;
	}
	g.stop = true;
	pthread_join(g.th, NULL);
	if (g.err)
		T_FAIL("%s", g.err);

	t_note("seed %ld: %llu batches, %llu requests (valid %llu, nop %llu, hostile %llu, malformed %llu, random %llu) in %.1f s",
	       env_long("FZ_SEED", 1), (unsigned long long)F.batches,
	       (unsigned long long)F.requests, (unsigned long long)F.by_kind[K_VALID],
	       (unsigned long long)F.by_kind[K_NOP], (unsigned long long)F.by_kind[K_HOSTILE],
	       (unsigned long long)F.by_kind[K_GARBAGE], (unsigned long long)F.by_kind[K_RAW],
	       (t_now_ms() - t0) / 1000.0);
	t_note("statuses OK %llu BAD_OP %llu BAD_ADDR %llu DST_SMALL %llu CORRUPT %llu DEV_ERR %llu CANCELED %llu INVAL %llu",
	       (unsigned long long)F.by_status[0], (unsigned long long)F.by_status[1],
	       (unsigned long long)F.by_status[2], (unsigned long long)F.by_status[3],
	       (unsigned long long)F.by_status[4], (unsigned long long)F.by_status[5],
	       (unsigned long long)F.by_status[6], (unsigned long long)F.by_status[7]);
	t_note("events: %llu PUT_Q mid-batch, %llu broken+recovered, %llu scribbles, %llu kicks; good queue: %llu checked copies",
	       (unsigned long long)F.stops, (unsigned long long)F.broken,
	       (unsigned long long)F.scribbles, (unsigned long long)F.kicks,
	       (unsigned long long)F.good_copies);
	/* the device still works and counted no error against itself */
	{
		struct wd_soft_sqe nop = t_sqe_nop(F.seq++);
		struct wd_soft_cqe c = t_q_run(&F.q0, &nop);

		T_EQ(c.status, WD_SOFT_S_OK);
	}
	T_EQ(t_attr_ll(F.in.ua, "isolate"), 0);
	if (F.dko)
		munmap(F.dko, t_page);	/* a mapping holds its queue */
	t_q_close(&F.q0);
	t_q_close(&F.q1);
	t_q_close(&F.q2);
	T_EQ(t_attr_ll(F.in.ua, "available_instances"), 64);
}

static void ring_sva(void) { fz_ring(0); }
static void ring_pasid(void) { fz_ring(1); }
static void ring_noiommu(void) { fz_ring(2); }

/* the timeout follows the run's size (FZ_SECONDS / FZ_BATCHES) */
__attribute__((constructor)) static void fz_ring_register(void)
{
	long secs = env_long("FZ_SECONDS", 0), batches = env_long("FZ_BATCHES", 60);
	int tmo = (int)(secs ? secs + 600 : 600 + batches * 10);

	t_register("ring_sva", ring_sva, tmo);
	t_register("ring_pasid", ring_pasid, tmo);
	t_register("ring_noiommu", ring_noiommu, tmo);
}
