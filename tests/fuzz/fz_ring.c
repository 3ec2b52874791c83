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
 * malformed descriptors and SQEs of random bytes; stream contexts: requests on
 * a SHA-256 stream context opened with WD_SOFT_CMD_CTX (pieces, FINISH,
 * RESET, too small a digest room), numbers never opened or of another
 * generation (BAD_CTX), the context with another op or bad sflags and
 * sflags without one (INVAL). Per batch, at random: a
 * thread scribbles over published SQEs (not their phases) and their SGL
 * arrays while the device reads them; wd_soft_v3 publication: the phases
 * stored in a random order, after garbage and stale ones, or with a hole
 * (the device takes nothing past it until it is filled); PUT_Q in the
 * middle of the batch; a hostile cq_head with the CQ full (the queue must
 * break with the right error, and recover after PUT_Q/START_Q) or with
 * room (never read: no effect); KICK storms. A second queue (q1) of the
 * same device copies and checks data all along.
 *
 * Checks: one CQE per SQE in order, with its phase; valid statuses; out_len, in_len, cflags,
 * dict_id 0 unless OK or DST_SMALL, in_len, cflags and dict_id 0 for a
 * request without a context; the context's digests of the data sent in
 * pieces (SHA-256 reference) while no scribbled request may have named
 * it; every valid request's result against a reference (memcmp,
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
#include "fz_ring.h"

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

/*
 * A request on q0's SHA-256 context, in ring order: the data since the
 * last FINISH (or RESET) is digested at FINISH, checked against FIPS
 * 180-4's SHA-256 while no scribbled or cancelled request may have named
 * the context.
 */
static void check_ctx(const struct req *r, const struct wd_soft_cqe *c)
{
	const struct wd_soft_sqe *e = &r->sqe;
	bool fin = (e->sflags & WD_SOFT_SF_FLUSH_MASK) == WD_SOFT_SF_FINISH;
	uint8_t md[32];

	if (!F.ctx_clean)
		return;
	if (e->sflags & WD_SOFT_SF_RESET)
		F.ctx_len = 0;
	if (fin && e->dst_len < 32) {
		T_ASSERT_MSG(c->status == WD_SOFT_S_DST_SMALL && c->out_len == 32 &&
			     !c->in_len && !c->cflags,
			     "ctx FINISH into %u: status %u out_len %u in_len %u",
			     e->dst_len, c->status, c->out_len, c->in_len);
		return;
	}
	T_ASSERT_MSG(c->status == WD_SOFT_S_OK && c->in_len == e->src_len &&
		     c->out_len == (fin ? 32u : 0u) &&
		     c->cflags == (fin ? WD_SOFT_CF_END : 0u),
		     "ctx %#x sflags %#x src %u: status %u in_len %u out_len %u cflags %#x",
		     e->ctx, e->sflags, e->src_len, c->status, c->in_len, c->out_len,
		     c->cflags);
	if (F.ctx_len + r->src_len > CTX_MAX) {
		F.ctx_clean = false;	/* too long to follow: a new one */
		return;
	}
	memcpy(F.ctx_data + F.ctx_len, r->snap, r->src_len);
	F.ctx_len += r->src_len;
	if (!fin)
		return;
	ref_sha256(F.ctx_data, F.ctx_len, md);
	T_ASSERT_MSG(!memcmp(md, r->dst[0].p, 32),
		     "ctx digest of %zu bytes in pieces differs from SHA-256",
		     F.ctx_len);
	F.ctx_len = 0;
	F.ctx_finishes++;
}

static void check_one(const struct req *r, const struct wd_soft_cqe *c,
		      bool stopped)
{
	uint32_t st = c->status;

	T_ASSERT_MSG(st < NR_STATUS, "request %llu: status %u",
		     (unsigned long long)c->user_data, st);
	F.by_status[st]++;
	if (st != WD_SOFT_S_OK && st != WD_SOFT_S_DST_SMALL)
		T_ASSERT_MSG(!c->out_len && !c->in_len && !c->cflags && !c->dict_id,
			     "status %u with out_len %u in_len %u cflags %#x dict_id %#x",
			     st, c->out_len, c->in_len, c->cflags, c->dict_id);
	if (r->victim || (stopped && st == WD_SOFT_S_CANCELED)) {
		if (r->kind == K_CTX)
			F.ctx_clean = false;	/* broken, or its data unknown */
		return;
	}
	/* v1 requests (no context): the v2 fields stay 0 */
	if (!r->sqe.ctx)
		T_ASSERT_MSG(!c->in_len && !c->cflags && !c->dict_id,
			     "op %u without a context: in_len %u cflags %#x dict_id %#x",
			     r->sqe.op, c->in_len, c->cflags, c->dict_id);
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
	case K_CTX:
		check_ctx(r, c);
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
			51, 52, 53, 54, 55, 56, 57, 58, 59,
		};	/* 60..63: the phase, which the device must see */

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
	ctx_drop();
	t_q_start_again(&F.q0);
}

/*
 * Store the phases of the batch pushed from @first (wd_soft_v3), the way a
 * hostile or clumsy process might: in order (the usual), after garbage or
 * stale phases, in a random order, or with a hole at one entry: the
 * device takes nothing at or past the hole until it is filled (checked:
 * sq_head stops exactly there), and the CQE order check sees any SQE
 * taken out of order.
 */
static void publish_hostile(struct t_q *q, uint32_t first)
{
	uint32_t n = q->sq_tail - first, i, hole;
	uint32_t order[MAX_BATCH];

	switch (rndn(8)) {
	case 0:		/* garbage and stale phases first, then the real ones */
		for (i = 0; i < n; i++)
			t_q_sqe_phase(q, first + i, chance(50) ? t_q_phase(q, first + i) ^ 1 :
				      2 + (uint32_t)rndn(1u << 31));
		t_q_kick(q);
		break;
	case 1:		/* in a random order */
		for (i = 0; i < n; i++)
			order[i] = i;
		for (i = n; i > 1; i--) {
			uint32_t j = (uint32_t)rndn(i), t = order[i - 1];

			order[i - 1] = order[j];
			order[j] = t;
		}
		for (i = 0; i < n; i++)
			t_q_sqe_phase(q, first + order[i], t_q_phase(q, first + order[i]));
		break;
	case 2:		/* a hole: everything but one, then that one */
		if (!n)
			break;
		hole = (uint32_t)rndn(n);
		for (i = 0; i < n; i++)
			if (i != hole)
				t_q_sqe_phase(q, first + i, t_q_phase(q, first + i));
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		t_q_kick(q);
		T_WAIT_UNTIL(t_q_hdr_sq_head(q) == first + hole,
			     "hole at %u: sq_head %u", hole, t_q_hdr_sq_head(q) - first);
		usleep(rndn(2000));
		T_ASSERT_MSG(t_q_hdr_sq_head(q) == first + hole,
			     "the device took SQE %u past the hole at %u",
			     t_q_hdr_sq_head(q) - first, hole);
		F.holes++;
		break;
	default:
		break;
	}
	t_q_publish(q);
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
		/* a scribbled number may name the context */
		F.ctx_clean = false;
		sc.seed = rnd();
		pthread_create(&sc.th, NULL, scrib_fn, &sc);
	}
	publish_hostile(q, sc.first);
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
		ctx_drop();
		stopped = true;
		taken = t_q_hdr_sq_head(q) - q->cq_head;
		T_ASSERT_MSG(taken <= (uint32_t)F.n, "%u of %d taken", taken, F.n);
		F.stops++;
	}
	for (i = 0; i < (int)taken; i++) {
		int got1;

		memset(&c, 0, sizeof(c));
		got1 = t_q_reap(q, &c, stopped ? 0 : 300000);

		if (got1 == -EIO)
			T_FAIL("q0 BROKEN (error %u) by a well-formed batch",
			       q->mmio->error);
		T_ASSERT_MSG(got1 == 1, "request %d of %d: no completion%s", i, F.n,
			     stopped ? " after PUT_Q" : "");
		T_EQ(c.user_data, F.r[i].sqe.user_data);
		T_EQ(c.phase, t_q_phase(q, q->cq_head - 1));
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
		/*
		 * A hostile cq_head, which the device reads only when its
		 * cached copy says the CQ is full: with the CQ full, beyond
		 * cq_tail or more than a ring behind, the queue breaks with
		 * the right error; right after START_Q (the CQ empty) any
		 * value, and the v2 sq_tail word, are not read at all.
		 */
		int kind = (int)rndn(3);
		struct wd_soft_sqe nop = t_sqe_nop(F.seq++);
		struct pollfd p = { .fd = q->fd, .events = POLLIN };

		if (kind == 0) {
			restart_q0();
			__atomic_store_n(&q->mmio->cq_head, (uint32_t)rnd(), __ATOMIC_RELEASE);
			__atomic_store_n(&q->mmio->rsvd0, (uint32_t)rnd(), __ATOMIC_RELEASE);
			T_EQ(t_q_run(q, &nop).status, WD_SOFT_S_OK);
			T_ASSERT(!(t_q_status(q) & WD_SOFT_ST_BROKEN));
		} else {
			uint32_t tail;

			t_q_fill_cq(q);
			tail = t_q_hdr_cq_tail(q);
			__atomic_store_n(&q->mmio->cq_head, kind == 1 ?
					 tail + 1 + (uint32_t)rndn(1000) :
					 tail - WD_SOFT_DEPTH - 1 - (uint32_t)rndn(1 << 30),
					 __ATOMIC_RELEASE);
			t_q_push_over(q, &nop);
			t_q_publish(q);
			t_q_kick(q);
			T_WAIT_UNTIL(t_q_status(q) & WD_SOFT_ST_BROKEN,
				     "hostile cq_head did not break the queue");
			T_EQ(q->mmio->error, WD_SOFT_QERR_CQ_HEAD);
			/* the SQE that made it read cq_head was not taken */
			T_EQ(t_q_hdr_sq_head(q), q->sq_tail - 1);
			T_ASSERT(poll(&p, 1, 0) == 1 && (p.revents & POLLERR));
			restart_q0();
			F.broken++;
		}
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

	t_note("seed %ld: %llu batches, %llu requests (valid %llu, nop %llu, hostile %llu, malformed %llu, random %llu, on a context %llu) in %.1f s",
	       env_long("FZ_SEED", 1), (unsigned long long)F.batches,
	       (unsigned long long)F.requests, (unsigned long long)F.by_kind[K_VALID],
	       (unsigned long long)F.by_kind[K_NOP], (unsigned long long)F.by_kind[K_HOSTILE],
	       (unsigned long long)F.by_kind[K_GARBAGE], (unsigned long long)F.by_kind[K_RAW],
	       (unsigned long long)F.by_kind[K_CTX],
	       (t_now_ms() - t0) / 1000.0);
	t_note("statuses OK %llu BAD_OP %llu BAD_ADDR %llu DST_SMALL %llu CORRUPT %llu DEV_ERR %llu CANCELED %llu INVAL %llu",
	       (unsigned long long)F.by_status[0], (unsigned long long)F.by_status[1],
	       (unsigned long long)F.by_status[2], (unsigned long long)F.by_status[3],
	       (unsigned long long)F.by_status[4], (unsigned long long)F.by_status[5],
	       (unsigned long long)F.by_status[6], (unsigned long long)F.by_status[7]);
	t_note("BAD_CTX %llu; a SHA-256 context: %llu opened, %llu digests in pieces checked",
	       (unsigned long long)F.by_status[WD_SOFT_S_BAD_CTX],
	       (unsigned long long)F.ctx_opens, (unsigned long long)F.ctx_finishes);
	t_note("events: %llu PUT_Q mid-batch, %llu broken+recovered, %llu holes, %llu scribbles, %llu kicks; good queue: %llu checked copies",
	       (unsigned long long)F.stops, (unsigned long long)F.broken,
	       (unsigned long long)F.holes,
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
