// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * fz_stream.c: fz_core's stream mode (included by fz_core.c, which gives
 * the host, the device memory and the bounds oracle). An input that starts
 * with FZ_STREAM_MAGIC is a program of 8-byte commands over two queues of
 * one device (fz_core.h gives the format): open and close contexts
 * (wd_soft_core_ctx_cmd()), send requests naming valid, closed, never
 * opened, other-generation and other-queue contexts with any sflags,
 * flushes, DICT, RESET, input splits and output room, inject device
 * errors, free a queue's contexts (PUT_Q) mid-stream, close a context
 * while a request runs on it, fill a queue's 64 slots. A model of every context predicts each completion and checks it
 * against independent references:
 *  - statuses: BAD_CTX for a number not open on the queue, INVAL for bad
 *    sflags, an op other than the context's, params, a DICT out of place,
 *    and neither changes anything (the stream goes on correct); a failed
 *    request leaves the context broken (BAD_CTX until RESET);
 *  - compression: all the output so far inflates (zlib) to all the input
 *    so far after each SYNC/FULL flush, to a prefix of it otherwise, and
 *    with its trailer to all of it at END (preset dictionaries included);
 *    what follows a FULL flush decodes alone;
 *  - decompression of streams zlib made (levels, flushes, dictionaries,
 *    gzip header fields and members, trailing bytes): exactly zlib's
 *    output, END exactly at the stream's end with in_len at it, NEED_DICT
 *    with the dictionary's Adler-32; a damaged stream: only what it may;
 *  - digests: OpenSSL's SHA-256 and the bitwise CRC-32C register;
 *  - in_len, out_len within the request, MORE/END/NEED_DICT consistent,
 *    nothing written past out_len, ids never reused, context bytes
 *    accounted, every backend state freed.
 * FZ_TRACE prints every request and its completion; FZ_STRICT_RESET
 * makes the model expect no reset from SF_RESET on a request refused for
 * its source's size (the header leaves it open; see fz_request()).
 */
#include "wd_soft_core_priv.h"

#define FZ_S_CTX	12		/* contexts the model follows at once */
#define FZ_S_KNOWN	64		/* numbers remembered (open or closed) */
#define FZ_S_IN		(128u * 1024)	/* most input one model stream takes */
#define FZ_S_OUT	(256u * 1024)
#define FZ_S_SRC	0u		/* sources at the window's start */
#define FZ_S_DST	(96u * 1024)	/* destinations after them */
#define FZ_S_ROOM	(96u * 1024)
#define FZ_S_MARK	(8u * 1024)	/* destination bytes marked */
#define FZ_S_BADADDR	0x9000000ULL	/* unmapped */

enum { SK_DIGEST = 1, SK_COMP, SK_DECOMP };

struct fz_sctx {
	bool used, open;
	int qi;
	u32 id;
	u16 op;
	int kind;
	u32 level;
	bool broken;		/* a failed request: BAD_CTX until RESET */
	bool must_reset;	/* state not known: the next request resets */
	bool weak;		/* damaged input: statuses only */
	bool started;		/* comp: a data request ran (no DICT after) */
	bool ended;		/* END seen (comp; decomp at the last member) */
	bool has_dict;		/* comp: a dictionary was set */
	int more_flush;		/* comp: MORE seen with this flush, else -1 */
	u32 more_left;		/* comp: its source bytes not consumed */
	u8 *more;
	u8 *in;			/* comp, digest: input since the start */
	size_t nin;
	size_t nout;		/* comp: output since the start */
	z_stream zin;		/* comp: zlib inflating that output as it comes */
	bool zin_live;
	size_t dec;		/* bytes it gave */
	u8 *tail;		/* comp: output since the last FULL flush */
	size_t ntail, full_in;	/* its bytes; the input before that flush */
	bool has_full;
	u8 *dict;		/* comp: the dictionary; decomp: the stream's */
	u32 ndict;
	/* decomp: the stream zlib made and what it decodes to */
	u8 *c;
	size_t nc, cend, cpos;
	u8 *plain;
	size_t nplain, ppos;
	size_t mend[2], mplain[2];	/* gzip members: ends in c and plain */
	int nmem;
	bool zdict;		/* zlib stream with a dictionary */
	bool dict_sent, need_dict_seen;
	u32 dict_id;
};

static struct fz_sctx sctx[FZ_S_CTX];
static struct {
	u32 id;
	int qi;
} known[FZ_S_KNOWN];
static unsigned int nknown;

static struct wd_soft_core_queue q2;
static u8 mmio2[4096] __attribute__((aligned(4096)));
static u8 dus2[WD_SOFT_DUS_SIZE] __attribute__((aligned(4096)));
static struct wd_soft_core_queue *sq_of[2] = { &q, &q2 };
/* numbers each queue gave, to check that none is given twice */
static u32 given[2][256];
static unsigned int ngiven[2];
/* context bytes per kind of context, learnt from the first open */
static u64 kind_bytes[WD_SOFT_OP_MAX];

static bool fz_trace;	/* FZ_TRACE set: print every request */
static bool close_in_flight;	/* the next request's context: CLOSE at a yield */
static bool fz_strict_reset;	/* FZ_STRICT_RESET set: see fz_request() */
static const u8 *pool;
static size_t npool, pool_at;
static u8 tmp[FZ_S_OUT];

static int fz_skind(u16 op)
{
	switch (op) {
	case WD_SOFT_OP_CRC32C:
	case WD_SOFT_OP_SHA256:
		return SK_DIGEST;
	case WD_SOFT_OP_DEFLATE:
	case WD_SOFT_OP_ZLIB_COMP:
	case WD_SOFT_OP_GZIP_COMP:
		return SK_COMP;
	case WD_SOFT_OP_INFLATE:
	case WD_SOFT_OP_ZLIB_DECOMP:
	case WD_SOFT_OP_GZIP_DECOMP:
		return SK_DECOMP;
	}
	return 0;
}

static int fz_wbits(u16 op)
{
	return op == WD_SOFT_OP_DEFLATE || op == WD_SOFT_OP_INFLATE ? -15 :
	       op == WD_SOFT_OP_ZLIB_COMP || op == WD_SOFT_OP_ZLIB_DECOMP ? 15 : 31;
}

/* @n bytes of material from the input's pool (a pattern without one) */
static void fz_pool(u8 *buf, size_t n)
{
	static const char pat[] = "the quick brown fox jumps over the lazy dog ";
	size_t k;

	while (n) {
		if (npool) {
			k = min(n, npool - pool_at % npool);
			memcpy(buf, pool + pool_at % npool, k);
		} else {
			k = min(n, sizeof(pat) - 1 - pool_at % (sizeof(pat) - 1));
			memcpy(buf, pat + pool_at % (sizeof(pat) - 1), k);
		}
		buf += k;
		n -= k;
		pool_at += k;
	}
}

static void fz_alloc_ctx(struct fz_sctx *m)
{
	if (m->in)
		return;
	m->in = malloc(FZ_S_IN);
	m->more = malloc(FZ_S_ROOM);
	m->tail = malloc(FZ_S_OUT);
	m->dict = malloc(WD_SOFT_CORE_CHUNK);
	m->c = malloc(FZ_S_OUT);
	m->plain = malloc(FZ_S_IN);
	if (!m->in || !m->more || !m->tail || !m->dict || !m->c || !m->plain)
		abort();
}

/* ---- references ---- */

/* A compression context's reference decoder, if any, goes. */
static void fz_forget(struct fz_sctx *m)
{
	if (m->zin_live)
		inflateEnd(&m->zin);
	m->zin_live = false;
}

/*
 * zlib's deflate for @wbits at @level, reset: one stream per wrapper,
 * kept (a deflateInit2() per stream made would cost more than the rest).
 */
static z_stream *fz_deflater(int wbits, int level)
{
	static z_stream zs[3];
	static bool live[3];
	int i = wbits < 0 ? 0 : wbits == 15 ? 1 : 2;
	z_stream *z = &zs[i];

	if (!live[i]) {
		if (deflateInit2(z, level, Z_DEFLATED, wbits, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			abort();
		live[i] = true;
	}
	if (deflateReset(z) != Z_OK ||
	    deflateParams(z, level, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	return z;
}

/* A decompression context's stream: zlib compresses pool bytes (fz_core.h). */
static void fz_make_stream(struct fz_sctx *m, const u8 *g)
{
	u32 len = (u32)(g[0] | (g[1] & 0x3f) << 8) << (g[1] >> 6 & 1);
	int level = g[2] % 10, wbits = fz_wbits(m->op), i, nmem, flush, ret;
	bool dict = (g[2] & 0x80) && m->op != WD_SOFT_OP_GZIP_DECOMP;
	u32 every = g[3] & 0x80 ? 4096 : 256, at, mlen, n;
	z_stream *z;

	m->nc = m->cpos = m->nplain = m->ppos = 0;
	m->nmem = 0;
	m->weak = false;
	m->ended = false;
	m->zdict = false;
	m->dict_sent = m->need_dict_seen = false;
	m->ndict = 0;
	len = min(len, 40u * 1024);
	if (dict) {
		m->ndict = 1 + (u32)(g[3] * 37 + g[0]) % 8192;
		fz_pool(m->dict, m->ndict);
		m->dict_id = (u32)adler32(1, m->dict, m->ndict);
		m->zdict = m->op == WD_SOFT_OP_ZLIB_DECOMP;
	}
	nmem = m->op == WD_SOFT_OP_GZIP_DECOMP && (g[3] & 4) ? 2 : 1;
	for (i = 0; i < nmem; i++) {
		mlen = nmem == 1 ? len : i ? len / 3 : len - len / 3;
		z = fz_deflater(wbits, level);
		if (dict)
			deflateSetDictionary(z, m->dict, m->ndict);
		if (wbits == 31) {
			/* the stream keeps the header's address: static */
			static u8 extra[] = { 'F', 'Z', 2, 0, 'o', 'k' };
			static gz_header h = {
				.text = 1, .extra = extra, .extra_len = sizeof(extra),
				.name = (Bytef *)"fz", .comment = (Bytef *)"stream",
				.hcrc = 1,
			};

			deflateSetHeader(z, g[3] & 0x40 ? &h : Z_NULL);
		}
		fz_pool(m->plain + m->nplain, mlen);
		z->next_out = m->c + m->nc;
		z->avail_out = (uInt)(FZ_S_OUT - 64 - m->nc);
		at = 0;
		do {
			n = min(mlen - at, every);
			z->next_in = m->plain + m->nplain + at;
			z->avail_in = n;
			at += n;
			flush = at == mlen ? Z_FINISH :
				(g[3] & 3) == 1 ? Z_SYNC_FLUSH :
				(g[3] & 3) == 2 ? Z_FULL_FLUSH :
				(g[3] & 3) == 3 && (at / every) % 3 == 1 ?
				Z_SYNC_FLUSH : Z_NO_FLUSH;
			do
				ret = deflate(z, flush);
			while (ret == Z_OK && (z->avail_in || flush == Z_FINISH));
			if (ret != Z_OK && ret != Z_STREAM_END && ret != Z_BUF_ERROR)
				abort();
		} while (at < mlen);
		m->nc = FZ_S_OUT - 64 - z->avail_out;
		m->nplain += mlen;
		m->mend[m->nmem] = m->nc;
		m->mplain[m->nmem] = m->nplain;
		m->nmem++;
	}
	m->cend = m->nc;
	if (g[3] & 8) {		/* trailing bytes, not a gzip member */
		n = 1 + g[1] % 16;
		fz_pool(m->c + m->nc, n);
		m->c[m->nc] = 0;
		m->nc += n;
	}
	if ((g[3] & 0x30) == 0x30 && m->nc) {	/* damaged */
		m->c[(g[0] * 131u + g[2]) % m->nc] ^= (u8)(1u << (g[1] & 7));
		m->weak = true;
	}
}

/* Back to the start of a stream: what OPEN and RESET give. */
static void fz_start(struct fz_sctx *m, const u8 *g)
{
	fz_forget(m);
	m->broken = false;
	m->must_reset = false;
	m->started = false;
	m->ended = false;
	m->has_dict = false;
	m->more_flush = -1;
	m->more_left = 0;
	m->nin = 0;
	m->nout = 0;
	m->has_full = false;
	m->weak = false;
	if (m->kind == SK_DECOMP)
		fz_make_stream(m, g);
}

/* ---- the device ---- */

static bool fz_sflags_ok(int kind, u32 sflags)
{
	u32 flush = sflags & WD_SOFT_SF_FLUSH_MASK;

	if (sflags & ~(WD_SOFT_SF_FLUSH_MASK | WD_SOFT_SF_DICT | WD_SOFT_SF_RESET))
		return false;
	if (kind == SK_DIGEST)
		return !(sflags & WD_SOFT_SF_DICT) &&
		       (flush == WD_SOFT_SF_NO_FLUSH || flush == WD_SOFT_SF_FINISH);
	if (kind == SK_DECOMP)
		return flush == WD_SOFT_SF_NO_FLUSH;
	return true;
}

static struct fz_sctx *fz_lookup(int qi, u32 id)
{
	int i;

	for (i = 0; i < FZ_S_CTX; i++)
		if (sctx[i].used && sctx[i].open && sctx[i].qi == qi &&
		    sctx[i].id == id)
			return &sctx[i];
	return NULL;
}

static unsigned int fz_nopen(int qi)
{
	unsigned int n = 0, i;

	for (i = 0; i < FZ_S_CTX; i++)
		n += sctx[i].used && sctx[i].open && sctx[i].qi == qi;
	return n;
}

/* Submit one SQE on queue @qi and serve it: its CQE. */
static struct wd_soft_cqe fz_ssubmit(int qi, struct wd_soft_sqe *sqe)
{
	struct wd_soft_core_queue *Q = sq_of[qi];
	struct wd_soft_core_ctx ctx;
	u32 t = Q->sq_head, n;
	struct wd_soft_sqe *slot = &Q->sq[t & (WD_SOFT_DEPTH - 1)];

	/* wd_soft_v3: every field, then the phase */
	sqe->user_data = 0x5eed0000u + t;
	memcpy(slot, sqe, offsetof(struct wd_soft_sqe, phase));
	smp_store_release(&slot->phase, WD_SOFT_PHASE(t, WD_SOFT_DEPTH));
	nr_rd = nr_wr = 0;
	if (!(sqe->flags & WD_SOFT_SQE_F_SRC_SGL))
		fz_allow(rd_ok, &nr_rd, sqe->src, sqe->src_len);
	if (!(sqe->flags & WD_SOFT_SQE_F_DST_SGL))
		fz_allow(wr_ok, &nr_wr, sqe->dst, sqe->dst_len);
	FZ_CHECK(wd_soft_core_queue_turn(Q, 0) == WD_SOFT_TURN_SERVE, "turn");
	/* whatever a stream maps, fz_core's host in place (policy 1) */
	map_policy = 1;
	checking = true;
	wd_soft_core_ctx_init(&ctx, Q, &eng.core);
	n = wd_soft_core_serve(&ctx, 1, SZ_1M);
	checking = false;
	FZ_CHECK(!nr_maps, "%u mappings left after the request", nr_maps);
	FZ_CHECK(n == 1 && Q->cq_tail == t + 1 && !Q->has_held,
		 "one CQE per SQE (%u)", n);
	WRITE_ONCE(Q->mmio->cq_head, Q->cq_tail);
	FZ_CHECK(Q->cq[t & (WD_SOFT_DEPTH - 1)].user_data == sqe->user_data &&
		 Q->cq[t & (WD_SOFT_DEPTH - 1)].phase == WD_SOFT_PHASE(t, WD_SOFT_DEPTH),
		 "user_data, phase");
	return Q->cq[t & (WD_SOFT_DEPTH - 1)];
}

static u8 *fz_rw(u64 off)
{
	return rw_mem + off;
}

/* ---- commands ---- */

static void fz_remember(int qi, u32 id)
{
	unsigned int i;

	FZ_CHECK(id, "OPEN gave 0");
	for (i = 0; i < ngiven[qi] && i < 256; i++)
		FZ_CHECK(given[qi][i] != id, "number %#x given twice", id);
	if (ngiven[qi] < 256)
		given[qi][ngiven[qi]++] = id;
	known[nknown % FZ_S_KNOWN].id = id;
	known[nknown % FZ_S_KNOWN].qi = qi;
	nknown++;
}

static int fz_cmd(int qi, struct wd_soft_ctx_cmd *cmd)
{
	u64 before = dev.ctx_bytes;
	int ret = wd_soft_core_ctx_cmd(sq_of[qi], cmd);

	if (ret)
		FZ_CHECK(dev.ctx_bytes == before, "a failed command moved ctx_bytes");
	/* (a bound lowered below what is open refuses only new contexts) */
	if (dev.ctx_bytes > before)
		FZ_CHECK(dev.ctx_bytes <= dev.max_ctx_bytes,
			 "ctx_bytes %llu > %llu",
			 (unsigned long long)dev.ctx_bytes,
			 (unsigned long long)dev.max_ctx_bytes);
	return ret;
}

static void fz_open(int qi, const u8 *c)
{
	struct wd_soft_ctx_cmd cmd = { .cmd = WD_SOFT_CTX_OPEN };
	u16 op = c[1] % 11;
	int kind = op < WD_SOFT_OP_MAX ? fz_skind(op) : 0, expect = 0, ret, i;
	u64 before = dev.ctx_bytes;
	struct fz_sctx *m = NULL;

	cmd.op = op;
	cmd.level = kind == SK_COMP ? c[2] % 11 : (c[2] & 0x80 ? c[2] & 7 : 0);
	if (c[3] & 1)
		cmd.rsvd0 = 1;
	if (c[3] & 2)
		cmd.rsvd[c[3] >> 7] = 1;
	if (c[3] & 4)
		cmd.ctx = 0x101;
	if (cmd.rsvd0 || cmd.rsvd[0] || cmd.rsvd[1] || cmd.ctx || !kind ||
	    (kind == SK_COMP ? cmd.level > 9 : cmd.level != 0))
		expect = -EINVAL;
	if (!expect) {
		for (i = 0; i < FZ_S_CTX && sctx[i].used; i++)
			;
		if (i == FZ_S_CTX)
			return;		/* the model follows no more */
		m = &sctx[i];
	}
	if ((c[3] & 8) && op != WD_SOFT_OP_CRC32C && !expect)
		alloc_fail_in = 1;
	ret = fz_cmd(qi, &cmd);
	if (!expect && (c[3] & 8) && op != WD_SOFT_OP_CRC32C) {
		FZ_CHECK(!alloc_fail_in, "OPEN did not allocate");
		expect = -ENOMEM;
	}
	alloc_fail_in = 0;
	if (!expect && fz_nopen(qi) == WD_SOFT_MAX_CTX)
		expect = -ENOSPC;
	/* the device's bound: exact once a context of the op was counted */
	if (!expect && ret == -ENOSPC &&
	    (kind_bytes[op] ? before + kind_bytes[op] > dev.max_ctx_bytes :
			      dev.max_ctx_bytes != WD_SOFT_CORE_DEF_CTX_BYTES))
		expect = -ENOSPC;
	FZ_CHECK(ret == expect, "OPEN op %u level %u: %d, expected %d", op,
		 cmd.level, ret, expect);
	if (ret)
		return;
	if (kind_bytes[op])
		FZ_CHECK(dev.ctx_bytes - before == kind_bytes[op],
			 "OPEN op %u: %llu bytes, before %llu", op,
			 (unsigned long long)(dev.ctx_bytes - before),
			 (unsigned long long)kind_bytes[op]);
	kind_bytes[op] = dev.ctx_bytes - before;
	fz_remember(qi, cmd.ctx);
	fz_alloc_ctx(m);
	m->used = m->open = true;
	m->qi = qi;
	m->id = cmd.ctx;
	m->op = op;
	m->kind = kind;
	m->level = cmd.level ? cmd.level : 6;
	fz_start(m, c + 4);
}

static void fz_close(int qi, const u8 *c)
{
	struct wd_soft_ctx_cmd cmd = { .cmd = WD_SOFT_CTX_CLOSE };
	struct fz_sctx *m;
	int ret, expect;

	cmd.ctx = nknown && c[1] < 0xc0 ? known[c[1] % min(nknown, FZ_S_KNOWN)].id :
		  (u32)c[2] | (u32)c[3] << 8;
	if (c[4] & 1)
		cmd.op = WD_SOFT_OP_SHA256;
	m = fz_lookup(qi, cmd.ctx);
	expect = cmd.op ? -EINVAL : m ? 0 : -EBADF;
	ret = fz_cmd(qi, &cmd);
	FZ_CHECK(ret == expect, "CLOSE %#x on queue %d: %d, expected %d",
		 cmd.ctx, qi, ret, expect);
	if (!ret) {
		fz_forget(m);
		m->used = m->open = false;
	}
}

static void fz_free_all(int qi)
{
	int i;

	wd_soft_core_ctx_free_all(sq_of[qi]);
	for (i = 0; i < FZ_S_CTX; i++)
		if (sctx[i].used && sctx[i].qi == qi) {
			fz_forget(&sctx[i]);
			sctx[i].used = sctx[i].open = false;
		}
	for (i = 0; i < WD_SOFT_MAX_CTX; i++)
		FZ_CHECK(!sq_of[qi]->ctx[i], "free_all left slot %d", i);
}

/* Open CRC32C contexts until the queue's bound, then close them. */
static void fz_fill(int qi)
{
	struct wd_soft_ctx_cmd cmd;
	u32 ids[WD_SOFT_MAX_CTX];
	unsigned int n = 0, room = WD_SOFT_MAX_CTX - fz_nopen(qi), i;
	int ret;

	for (;;) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.cmd = WD_SOFT_CTX_OPEN;
		cmd.op = WD_SOFT_OP_CRC32C;
		ret = fz_cmd(qi, &cmd);
		if (ret)
			break;
		FZ_CHECK(n < room, "more than %d contexts on a queue",
			 WD_SOFT_MAX_CTX);
		fz_remember(qi, cmd.ctx);
		ids[n++] = cmd.ctx;
	}
	FZ_CHECK(ret == -ENOSPC, "fill: %d", ret);
	if (dev.max_ctx_bytes == WD_SOFT_CORE_DEF_CTX_BYTES)
		FZ_CHECK(n == room, "fill: %u of %u", n, room);
	for (i = 0; i < n; i++) {
		memset(&cmd, 0, sizeof(cmd));
		cmd.cmd = WD_SOFT_CTX_CLOSE;
		cmd.ctx = ids[i];
		FZ_CHECK(!fz_cmd(qi, &cmd), "fill: close");
	}
}

/* ---- a request ---- */

static u32 fz_room(u8 r)
{
	return r < 16 ? r : r < 200 ? (u32)(r - 16) * 64 :
	       min((u32)(r - 199) * 2048, FZ_S_ROOM);
}

static u32 fz_len(const u8 *c)
{
	u32 n = c[4] | (u32)c[5] << 8;

	switch (c[7] & 3) {
	case 0:
		return n % 64;
	case 1:
		return n % 4096;
	case 2:
		return n;
	default:
		return min(n * 2, FZ_S_ROOM);
	}
}

/*
 * The new output of a compression context, @n bytes, goes to zlib, which
 * must give the next input bytes: @mode 0 a prefix of the input so far,
 * 1 (after a SYNC or FULL flush) all of it, 2 (END) all of it and the
 * stream's end with a right trailer, nothing after it.
 */
static void fz_comp_feed(struct fz_sctx *m, const u8 *p, size_t n, int mode)
{
	z_stream *z = &m->zin;
	int ret = Z_OK;
	size_t got;

	if (m->weak)
		return;
	if (!m->zin_live) {
		memset(z, 0, sizeof(*z));
		if (inflateInit2(z, fz_wbits(m->op)) != Z_OK)
			abort();
		if (m->has_dict && fz_wbits(m->op) < 0)
			inflateSetDictionary(z, m->dict, m->ndict);
		m->zin_live = true;
		m->dec = 0;
	}
	z->next_in = (Bytef *)p;
	z->avail_in = (uInt)n;
	for (;;) {
		z->next_out = tmp;
		z->avail_out = sizeof(tmp);
		ret = inflate(z, Z_SYNC_FLUSH);
		if (ret == Z_NEED_DICT && m->has_dict) {
			FZ_CHECK(inflateSetDictionary(z, m->dict, m->ndict) == Z_OK,
				 "comp ctx %#x: the header's dictionary is not the one set",
				 m->id);
			continue;
		}
		got = sizeof(tmp) - z->avail_out;
		FZ_CHECK(m->dec + got <= m->nin && !memcmp(tmp, m->in + m->dec, got),
			 "comp ctx %#x op %u: output inflates to other bytes than "
			 "the input at %zu", m->id, m->op, m->dec);
		m->dec += got;
		if (ret == Z_STREAM_END) {
			FZ_CHECK(mode == 2 && !z->avail_in,
				 "comp ctx %#x op %u: the stream ends before END or "
				 "has bytes after its end", m->id, m->op);
			break;
		}
		FZ_CHECK(ret == Z_OK || ret == Z_BUF_ERROR,
			 "comp ctx %#x op %u: zlib says %d at %zu of the output",
			 m->id, m->op, ret, m->nout);
		if (!z->avail_in && z->avail_out)
			break;
	}
	if (mode)
		FZ_CHECK(m->dec == m->nin,
			 "comp ctx %#x op %u: %zu bytes of input, the output so far "
			 "inflates to %zu after %s", m->id, m->op, m->nin, m->dec,
			 mode == 2 ? "END" : "a flush");
	if (mode == 2)
		FZ_CHECK(ret == Z_STREAM_END, "comp ctx %#x: END without the end",
			 m->id);
}

/* the next stream of a decompression context being reset */
static struct fz_sctx fresh;

/* @m takes @fresh's stream (its number and queue stay) */
static void fz_take_fresh(struct fz_sctx *m)
{
	struct fz_sctx keep = *m;

	*m = fresh;
	m->used = keep.used;
	m->open = keep.open;
	m->qi = keep.qi;
	m->id = keep.id;
	fresh = keep;
}

/*
 * The INVAL checks the core makes after SF_RESET's reset: a source over
 * the limit, a DICT out of place (@src: the dictionary's bytes, NULL when
 * the device cannot read them).
 */
static bool fz_late_inval(const struct fz_sctx *m, const struct wd_soft_sqe *sqe,
			  const u8 *src)
{
	bool dict = sqe->sflags & WD_SOFT_SF_DICT;
	bool reset = sqe->sflags & WD_SOFT_SF_RESET;
	u32 flush = sqe->sflags & WD_SOFT_SF_FLUSH_MASK;

	if (sqe->src_len > WD_SOFT_CORE_MAX_SRC)
		return true;
	if (!dict)
		return false;
	if (m->op == WD_SOFT_OP_GZIP_COMP || m->op == WD_SOFT_OP_GZIP_DECOMP ||
	    sqe->src_len > WD_SOFT_CORE_CHUNK)
		return true;
	if (m->kind == SK_COMP)
		return flush || (!reset && (m->started || m->has_dict));
	if (m->op == WD_SOFT_OP_ZLIB_DECOMP)
		return reset || !m->need_dict_seen || m->dict_sent ||
		       (src && (u32)adler32(1, src, sqe->src_len) != m->dict_id);
	return !reset && (m->cpos || m->dict_sent);
}

/*
 * After a FULL flush the output decodes without what came before: the
 * output since the last one, inflated alone as raw deflate, gives the
 * input since then (at a later flush, or at the END of raw deflate).
 */
static void fz_full_check(struct fz_sctx *m)
{
	z_stream z;
	int ret;

	if (m->weak || !m->has_full)
		return;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		abort();
	z.next_in = m->tail;
	z.avail_in = (uInt)m->ntail;
	z.next_out = tmp;
	z.avail_out = sizeof(tmp);
	ret = inflate(&z, Z_SYNC_FLUSH);
	FZ_CHECK((ret == Z_OK || ret == Z_STREAM_END || ret == Z_BUF_ERROR) &&
		 z.total_out == m->nin - m->full_in &&
		 !memcmp(tmp, m->in + m->full_in, z.total_out),
		 "comp ctx %#x op %u: the %zu bytes after a FULL flush do not "
		 "decode alone (%d, %lu of %zu bytes)", m->id, m->op, m->ntail,
		 ret, z.total_out, m->nin - m->full_in);
	inflateEnd(&z);
}

static void fz_request(int qi, const u8 *c, bool fail)
{
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe e;
	struct fz_sctx *m = NULL, *t;
	u32 sel = c[1] >> 6, n, room, flush, expect = WD_SOFT_S_OK, id, honest;
	bool bad_src = false, bad_dst = false, dict, reset, prepared = false;
	bool late = false;
	u8 *src = fz_rw(FZ_S_SRC), *dst = fz_rw(FZ_S_DST);
	const u8 g[4] = { c[4], c[5], c[6], c[7] };
	int i, nopen = 0;

	memset(&sqe, 0, sizeof(sqe));
	/* the context named: an open one, a known number on this queue,
	 * one of another generation, or any number
	 */
	for (i = 0; i < FZ_S_CTX; i++)
		nopen += sctx[i].used && sctx[i].open;
	if (sel == 0 && nopen) {
		int k = (c[1] & 63) % nopen;

		for (i = 0; i < FZ_S_CTX; i++)
			if (sctx[i].used && sctx[i].open && !k--)
				break;
		qi = sctx[i].qi;
		id = sctx[i].id;
	} else if (sel <= 1 && nknown) {
		id = known[(c[1] & 63) % min(nknown, FZ_S_KNOWN)].id;
	} else if (sel == 2 && nknown) {
		id = known[(c[1] & 63) % min(nknown, FZ_S_KNOWN)].id ^
		     ((u32)(c[7] | 1) << 8);
	} else {
		id = c[1] & 63 ? c[1] & 63 : 0x40;
	}
	m = t = fz_lookup(qi, id);
	sqe.ctx = id;
	sqe.op = m ? m->op : c[3] % WD_SOFT_OP_MAX;

	/* what an honest user sends this context next */
	n = fz_len(c);
	room = fz_room(c[6]);
	flush = c[2] & 3;
	dict = false;
	reset = (c[2] & 8) || (m && (m->must_reset || (m->ended && (c[2] & 0x10))));
	if (m && m->kind == SK_DIGEST) {
		flush = flush == 3 ? WD_SOFT_SF_FINISH : WD_SOFT_SF_NO_FLUSH;
		n = min(n, (u32)(FZ_S_IN - (reset ? 0 : m->nin)));
		fz_pool(src, n);
	} else if (m && m->kind == SK_COMP) {
		if (m->more_flush >= 0 && !reset) {
			flush = (u32)m->more_flush;
			n = m->more_left;
			memcpy(src, m->more, n);
		} else {
			dict = (c[2] & 4) && !(c[2] & 0x30);
			if (dict) {
				flush = WD_SOFT_SF_NO_FLUSH;
				n = min(n, (u32)WD_SOFT_CORE_CHUNK + (c[7] >> 7));
			} else {
				n = min(n, (u32)(FZ_S_IN - (reset ? 0 : m->nin)));
				if (!n && !reset && m->nin > FZ_S_IN - 64)
					flush = WD_SOFT_SF_FINISH;
			}
			fz_pool(src, n);
		}
	} else if (m && m->kind == SK_DECOMP) {
		struct fz_sctx *d = m;

		flush = WD_SOFT_SF_NO_FLUSH;
		if (reset) {
			/* the stream after the reset, made now */
			fz_alloc_ctx(&fresh);
			fresh.op = m->op;
			fresh.kind = m->kind;
			fresh.level = m->level;
			fz_start(&fresh, g);
			prepared = true;
			d = &fresh;
		}
		if (((d->zdict && d->need_dict_seen) ||
		     (!d->zdict && d->ndict && !d->cpos)) && !d->dict_sent) {
			dict = true;
			n = d->ndict;
			memcpy(src, d->dict, n);
			if (d->zdict && (c[2] & 0x40))
				src[c[4] % n] ^= 1;	/* the wrong one */
		} else {
			n = (u32)min((size_t)n, d->nc - d->cpos);
			memcpy(src, d->c + d->cpos, n);
		}
	} else {
		fz_pool(src, n);
	}
	honest = flush | (dict ? WD_SOFT_SF_DICT : 0) | (reset ? WD_SOFT_SF_RESET : 0);
	sqe.sflags = honest;
	sqe.src = rw_base + FZ_S_SRC;
	sqe.src_len = n;
	sqe.dst = rw_base + FZ_S_DST;
	sqe.dst_len = room;

	/* and what a hostile one makes of it */
	if (!(c[3] & 0x80)) {
		switch (c[3] & 7) {
		case 0:
			sqe.op = (c[3] >> 3) % 11;
			break;
		case 1:
			sqe.params = c[3] | 1;
			break;
		case 2:
			sqe.sflags = c[2] | (c[3] & 0x40 ? (u32)c[7] << 8 : 0);
			/* after MORE the same flush: what the rules ask */
			if (m && m->kind == SK_COMP && m->more_flush >= 0 &&
			    !(sqe.sflags & WD_SOFT_SF_RESET) &&
			    fz_sflags_ok(SK_COMP, sqe.sflags))
				sqe.sflags = (sqe.sflags & ~WD_SOFT_SF_FLUSH_MASK) |
					     (u32)m->more_flush;
			break;
		case 3:
			sqe.src_len = WD_SOFT_CORE_MAX_SRC + 1;
			break;
		case 4:
			sqe.dst = FZ_S_BADADDR;
			bad_dst = room;
			break;
		case 5:
			sqe.src = FZ_S_BADADDR;
			bad_src = n;
			break;
		case 6:
			sqe.flags = 1u << (2 + (c[3] >> 5 & 3));
			break;
		default:
			/* rsvd, or a state (F_STATE's, never a context's) */
			if (c[3] >> 6 & 1)
				sqe.state = 1;
			else
				sqe.rsvd = 1;
			break;
		}
	}
	flush = sqe.sflags & WD_SOFT_SF_FLUSH_MASK;
	dict = sqe.sflags & WD_SOFT_SF_DICT;
	reset = sqe.sflags & WD_SOFT_SF_RESET;

	/* the checks, in the order of the datasheet */
	if (fail)
		expect = WD_SOFT_S_DEV_ERR;
	else if (sqe.flags || sqe.rsvd || sqe.state)
		expect = WD_SOFT_S_INVAL;
	else if (sqe.op >= WD_SOFT_OP_MAX)
		expect = WD_SOFT_S_BAD_OP;
	else if (!m)
		expect = WD_SOFT_S_BAD_CTX;
	else if (sqe.op != m->op || sqe.params || !fz_sflags_ok(m->kind, sqe.sflags))
		expect = WD_SOFT_S_INVAL;
	else if (m->broken && !reset)
		expect = WD_SOFT_S_BAD_CTX;
	/* the checks after SF_RESET's reset */
	late = expect == WD_SOFT_S_OK;
	if (late && fz_late_inval(m, &sqe, bad_src ? NULL : src))
		expect = WD_SOFT_S_INVAL;
	if (m && m->must_reset && !reset && expect == WD_SOFT_S_OK)
		expect = 0xffff;	/* state not known (after DEV_ERR): any */

	/* the destination's first bytes are marked: none written past out_len */
	memset(dst, 0xa5, min(room, FZ_S_MARK));
	if (close_in_flight && m)
		close_at_yield = m->id;
	close_in_flight = false;
	close_at_yield_ret = 1;
	e = fz_ssubmit(qi, &sqe);
	if (close_at_yield_ret != 1) {
		/* closed at a chunk boundary: the request ends as if not */
		FZ_CHECK(!close_at_yield_ret, "CLOSE in flight: %d",
			 close_at_yield_ret);
		/* the model checks this request still (its decoder stays
		 * until the slot is taken again)
		 */
		m->open = m->used = false;
		if (fz_trace)
			fprintf(stderr, "closed ctx %#x in flight\n", m->id);
	}
	close_at_yield = 0;
	if (fz_trace)
		fprintf(stderr, "req q%d ctx %#x op %u sflags %#x src %u%s dst %u%s: "
			"status %u (model %u%s) in %u out %u cflags %#x\n", qi, id,
			sqe.op, sqe.sflags, sqe.src_len, bad_src ? "!" : "", room,
			bad_dst ? "!" : "", e.status, expect, m && m->weak ? " weak" : "", e.in_len, e.out_len,
			e.cflags);
	FZ_CHECK(e.status <= WD_SOFT_S_BAD_CTX, "status %u", e.status);
	if (e.status != WD_SOFT_S_OK && e.status != WD_SOFT_S_DST_SMALL)
		FZ_CHECK(!e.out_len && !e.in_len && !e.cflags && !e.dict_id,
			 "status %u with lengths", e.status);
	if (!(e.cflags & WD_SOFT_CF_NEED_DICT))
		FZ_CHECK(!e.dict_id, "dict_id without NEED_DICT");
	if (expect == 0xffff) {
		m->weak = true;		/* reset by the next request */
		/* a failure breaks the context; BAD_CTX on this open one
		 * says the DEV_ERR before it did (the header's first reading) */
		if (e.status == WD_SOFT_S_CORRUPT || e.status == WD_SOFT_S_BAD_ADDR ||
		    e.status == WD_SOFT_S_DEV_ERR || e.status == WD_SOFT_S_BAD_CTX)
			m->broken = true;
		return;
	}
	/*
	 * SF_RESET's reset stands when a later check refuses the request
	 * with INVAL: the header says so of the DICT checks; of a source
	 * over the limit it says nothing, and the core resets then too.
	 * FZ_STRICT_RESET: not for the source's size (the stream goes on).
	 */
	if (late && reset && expect == WD_SOFT_S_INVAL &&
	    !(fz_strict_reset && sqe.src_len > WD_SOFT_CORE_MAX_SRC)) {
		if (prepared)
			fz_take_fresh(m);
		else
			fz_start(m, g);
	}
	/*
	 * After a DEV_ERR the context is broken or as it was (must_reset):
	 * a request without RESET that passes the early checks may hear
	 * BAD_CTX before a late check's INVAL; then it was broken.
	 */
	if (m && m->must_reset && !reset && late && e.status == WD_SOFT_S_BAD_CTX) {
		m->broken = true;
		return;
	}
	if (expect != WD_SOFT_S_OK) {
		FZ_CHECK(e.status == expect,
			 "ctx %#x q%d op %u sflags %#x: status %u, expected %u",
			 id, qi, sqe.op, sqe.sflags, e.status, expect);
		/*
		 * The header: a failed request (DEV_ERR) "leaves its context
		 * broken"; an injected one fails before the core looks at
		 * the context, which is left as it was. Either way the next
		 * request resets it.
		 */
		if (expect == WD_SOFT_S_DEV_ERR && m)
			m->must_reset = true;
		return;
	}

	/* the request runs: a reset first */
	if (reset) {
		if (prepared)
			fz_take_fresh(m);
		else
			fz_start(m, g);
		/* a stream other than the one the source was made for */
		if (m->kind == SK_DECOMP &&
		    (!prepared || (sqe.sflags & (WD_SOFT_SF_DICT | WD_SOFT_SF_RESET)) !=
				  (honest & (WD_SOFT_SF_DICT | WD_SOFT_SF_RESET))))
			m->weak = true;
	} else if (m->kind == SK_DECOMP &&
		   (prepared || (sqe.sflags & WD_SOFT_SF_DICT) !=
				(honest & WD_SOFT_SF_DICT))) {
		m->weak = true;
	}

	if (m->kind == SK_DIGEST && flush == WD_SOFT_SF_FINISH &&
	    room < (m->op == WD_SOFT_OP_SHA256 ? 32u : 4u)) {
		FZ_CHECK(e.status == WD_SOFT_S_DST_SMALL && !e.in_len && !e.cflags &&
			 e.out_len == (m->op == WD_SOFT_OP_SHA256 ? 32u : 4u),
			 "digest FINISH into %u: status %u out_len %u", room,
			 e.status, e.out_len);
		return;
	}
	if (bad_src || bad_dst) {
		FZ_CHECK(e.status == WD_SOFT_S_OK || e.status == WD_SOFT_S_BAD_ADDR ||
			 (m->weak && (e.status == WD_SOFT_S_CORRUPT ||
				      (dict && e.status == WD_SOFT_S_INVAL))),
			 "unmapped buffer: status %u", e.status);
		if (e.status == WD_SOFT_S_INVAL)
			return;
		if (e.status == WD_SOFT_S_BAD_ADDR) {
			m->broken = true;
			return;
		}
		if (bad_src)
			FZ_CHECK(!e.in_len, "in_len %u from an unmapped source",
				 e.in_len);
		if (bad_dst)
			FZ_CHECK(!e.out_len, "out_len %u to an unmapped destination",
				 e.out_len);
	} else if (m->weak) {
		/* (a dictionary may not be the one a damaged header names) */
		FZ_CHECK(e.status == WD_SOFT_S_OK || e.status == WD_SOFT_S_CORRUPT ||
			 (dict && e.status == WD_SOFT_S_INVAL),
			 "damaged stream: status %u", e.status);
		if (e.status == WD_SOFT_S_INVAL)
			return;
	} else {
		FZ_CHECK(e.status == WD_SOFT_S_OK,
			 "ctx %#x op %u sflags %#x n %u room %u: status %u", id,
			 sqe.op, sqe.sflags, n, room, e.status);
	}
	if (e.status == WD_SOFT_S_CORRUPT) {
		m->broken = true;
		return;
	}
	FZ_CHECK(e.in_len <= sqe.src_len && e.out_len <= room,
		 "in_len %u of %u, out_len %u of %u", e.in_len, sqe.src_len,
		 e.out_len, room);
	FZ_CHECK(!(e.cflags & ~(WD_SOFT_CF_END | WD_SOFT_CF_MORE |
				WD_SOFT_CF_NEED_DICT)), "cflags %#x", e.cflags);
	if (!bad_dst && min(room, FZ_S_MARK) > e.out_len)
		FZ_CHECK(dst[e.out_len] == 0xa5 &&
			 !memcmp(dst + e.out_len, dst + e.out_len + 1,
				 min(room, FZ_S_MARK) - e.out_len - 1),
			 "written past out_len %u", e.out_len);
	if (!(e.cflags & (WD_SOFT_CF_MORE | WD_SOFT_CF_END | WD_SOFT_CF_NEED_DICT)))
		FZ_CHECK(e.in_len == sqe.src_len || bad_src,
			 "in_len %u of %u without MORE/END/NEED_DICT", e.in_len,
			 sqe.src_len);

	switch (m->kind) {
	case SK_DIGEST: {
		u32 size = m->op == WD_SOFT_OP_SHA256 ? 32 : 4;
		u8 md[32];

		FZ_CHECK(e.in_len == (bad_src ? 0 : sqe.src_len) &&
			 !(e.cflags & ~WD_SOFT_CF_END) &&
			 !!(e.cflags & WD_SOFT_CF_END) == (flush == WD_SOFT_SF_FINISH) &&
			 e.out_len == (flush == WD_SOFT_SF_FINISH ? size : 0),
			 "digest: in_len %u out_len %u cflags %#x", e.in_len,
			 e.out_len, e.cflags);
		memcpy(m->in + m->nin, src, e.in_len);
		m->nin += e.in_len;
		if (flush != WD_SOFT_SF_FINISH)
			break;
		if (m->op == WD_SOFT_OP_SHA256)
			ref_sha256(m->in, m->nin, md);
		else
			put_unaligned_le32(ref_crc32c_raw(~0u, m->in, m->nin), md);
		if (!m->weak)
			FZ_CHECK(!memcmp(md, dst, size),
				 "digest of %zu bytes: wrong value", m->nin);
		m->nin = 0;
		m->weak = false;
		break;
	}
	case SK_COMP:
		if (dict) {
			FZ_CHECK(e.in_len == sqe.src_len && !e.out_len && !e.cflags,
				 "DICT: in_len %u out_len %u cflags %#x", e.in_len,
				 e.out_len, e.cflags);
			memcpy(m->dict, src, e.in_len);
			m->ndict = e.in_len;
			m->has_dict = true;
			break;
		}
		m->started = true;
		if (m->ended) {
			FZ_CHECK(e.cflags == WD_SOFT_CF_END && !e.in_len && !e.out_len,
				 "after END: cflags %#x in %u out %u", e.cflags,
				 e.in_len, e.out_len);
			break;
		}
		FZ_CHECK(!(e.cflags & WD_SOFT_CF_NEED_DICT) &&
			 (e.cflags & (WD_SOFT_CF_MORE | WD_SOFT_CF_END)) !=
			 (WD_SOFT_CF_MORE | WD_SOFT_CF_END), "comp: cflags %#x", e.cflags);
		if (e.cflags & WD_SOFT_CF_END)
			FZ_CHECK(flush == WD_SOFT_SF_FINISH, "END without FINISH");
		if (flush == WD_SOFT_SF_FINISH && !(e.cflags & WD_SOFT_CF_MORE))
			FZ_CHECK(e.cflags & WD_SOFT_CF_END, "FINISH done without END");
		FZ_CHECK(m->nin + e.in_len <= FZ_S_IN, "model stream too long");
		memcpy(m->in + m->nin, src, e.in_len);
		m->nin += e.in_len;
		m->nout += e.out_len;
		if (m->has_full && m->ntail + e.out_len <= FZ_S_OUT) {
			memcpy(m->tail + m->ntail, dst, e.out_len);
			m->ntail += e.out_len;
		} else {
			m->has_full = false;
		}
		if (e.cflags & WD_SOFT_CF_MORE) {
			fz_comp_feed(m, dst, e.out_len, 0);
			m->more_flush = (int)flush;
			m->more_left = sqe.src_len - e.in_len;
			memmove(m->more, src + e.in_len, m->more_left);
			break;
		}
		m->more_flush = -1;
		if (e.cflags & WD_SOFT_CF_END)
			m->ended = true;
		fz_comp_feed(m, dst, e.out_len, m->ended ? 2 :
			     flush == WD_SOFT_SF_SYNC_FLUSH ||
			     flush == WD_SOFT_SF_FULL_FLUSH ? 1 : 0);
		if ((!m->ended && flush && flush != WD_SOFT_SF_FINISH) ||
		    (m->ended && m->op == WD_SOFT_OP_DEFLATE))
			fz_full_check(m);
		if (flush == WD_SOFT_SF_FULL_FLUSH && !m->ended && !bad_dst) {
			m->has_full = true;
			m->full_in = m->nin;
			m->ntail = 0;
		}
		break;
	case SK_DECOMP:
		if (dict) {
			FZ_CHECK(e.in_len == sqe.src_len && !e.out_len && !e.cflags,
				 "DICT: in_len %u out_len %u cflags %#x", e.in_len,
				 e.out_len, e.cflags);
			m->dict_sent = true;
			break;
		}
		if (m->weak) {
			m->cpos = min(m->cpos + e.in_len, m->nc);
			if (e.cflags & WD_SOFT_CF_NEED_DICT)
				m->need_dict_seen = true;
			break;
		}
		FZ_CHECK(m->ppos + e.out_len <= m->nplain &&
			 (bad_dst || !memcmp(dst, m->plain + m->ppos, e.out_len)),
			 "decomp ctx %#x op %u: %u bytes at %zu differ from zlib's %zu",
			 id, m->op, e.out_len, m->ppos, m->nplain);
		if (m->ended) {
			FZ_CHECK(e.cflags == WD_SOFT_CF_END && !e.in_len && !e.out_len,
				 "after END: cflags %#x in %u out %u", e.cflags,
				 e.in_len, e.out_len);
			break;
		}
		if (e.cflags & WD_SOFT_CF_NEED_DICT) {
			FZ_CHECK(m->zdict && !m->dict_sent && !e.out_len &&
				 m->cpos + e.in_len == 6 && e.dict_id == m->dict_id &&
				 !(e.cflags & (WD_SOFT_CF_END | WD_SOFT_CF_MORE)),
				 "NEED_DICT: dict_id %#x (%#x), stream %d", e.dict_id,
				 m->dict_id, m->zdict);
			m->need_dict_seen = true;
		} else if (m->zdict && !m->dict_sent) {
			FZ_CHECK(m->cpos + e.in_len < 6, "no NEED_DICT after %zu bytes",
				 m->cpos + e.in_len);
		}
		m->cpos += e.in_len;
		m->ppos += e.out_len;
		if (e.cflags & WD_SOFT_CF_END) {
			bool at = false;

			for (i = 0; i < m->nmem; i++)
				if (m->cpos == m->mend[i] && m->ppos == m->mplain[i])
					at = true;
			FZ_CHECK(at, "END at %zu in, %zu out; the stream ends at %zu, %zu",
				 m->cpos, m->ppos, m->cend, m->nplain);
			if (m->cpos == m->cend)
				m->ended = true;
		} else if (!(e.cflags & (WD_SOFT_CF_MORE | WD_SOFT_CF_NEED_DICT))) {
			FZ_CHECK(m->cpos < m->cend, "no END at %zu of %zu",
				 m->cpos, m->cend);
		}
		break;
	}
}

/* ---- one input ---- */

static void fz_stream_input(const u8 *data, size_t size)
{
	const u8 *cmds = data + 5;
	size_t ncmd = data[4], i;
	bool fail = false, filled = false;
	int k;

	if (size < 5 + ncmd * 8)
		return;
	fz_trace = getenv("FZ_TRACE");
	fz_strict_reset = getenv("FZ_STRICT_RESET");
	pool = cmds + ncmd * 8;
	npool = size - 5 - ncmd * 8;
	pool_at = 0;
	/* sources and rings are written before they are published: only
	 * the doorbells and the DUS headers start from zero
	 */
	memset(dus, 0, 4096);
	memset(mmio_page, 0, sizeof(mmio_page));
	memset(dus2, 0, 4096);
	memset(mmio2, 0, sizeof(mmio2));
	wd_soft_core_dev_init(&dev, WD_SOFT_CORE_OPS_ALL);
	wd_soft_core_queue_init(&q, &dev, mmio_page, dus);
	wd_soft_core_queue_init(&q2, &dev, mmio2, dus2);
	stop_at = 0;
	for (k = 0; k < FZ_S_CTX; k++) {
		fz_forget(&sctx[k]);
		sctx[k].used = sctx[k].open = false;
	}
	nknown = 0;
	close_in_flight = false;
	ngiven[0] = ngiven[1] = 0;
	memset(kind_bytes, 0, sizeof(kind_bytes));

	for (i = 0; i < ncmd; i++) {
		const u8 *c = cmds + i * 8;
		int qi = c[0] >> 3 & 1;

		switch (c[0] & 7) {
		case 0:
			fz_open(qi, c);
			break;
		case 1:
			fz_close(qi, c);
			break;
		case 5:
			fz_free_all(qi);
			break;
		case 6:
			wd_soft_core_set_fail_next(&dev, 1);
			fail = true;
			break;
		case 7:
			if (c[1] == 0xfe) {
				close_in_flight = true;
			} else if (c[1] == 0xff) {
				/* at most once per input: 64 opens cost */
				if (!filled)
					fz_fill(qi);
				filled = true;
			} else {
				/* a bound below what is open only refuses
				 * new contexts
				 */
				dev.max_ctx_bytes = c[2] ? (u64)c[2] * 16384 :
					WD_SOFT_CORE_DEF_CTX_BYTES;
				memset(kind_bytes, 0, sizeof(kind_bytes));
			}
			break;
		default:
			fz_request(qi, c, fail);
			fail = false;
			break;
		}
		/* only a request takes an injected failure */
		FZ_CHECK(wd_soft_core_get_fail_next(&dev) == fail,
			 "fail_next %d after command %zu",
			 wd_soft_core_get_fail_next(&dev), i);
	}
	wd_soft_core_set_fail_next(&dev, 0);
	fz_free_all(0);
	fz_free_all(1);
	FZ_CHECK(!eng.core.alg->zlive, "engine stream left open");
	FZ_CHECK(algs_live == 1 && !dev.ctx_bytes,
		 "%d backend states, %llu context bytes left", algs_live - 1,
		 (unsigned long long)dev.ctx_bytes);
}
