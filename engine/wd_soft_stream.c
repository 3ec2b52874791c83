// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wd_soft_stream.c: stream contexts (WD_SOFT_CMD_CTX) and the requests
 * that name one: digests (sha256, crc32c) and deflate, zlib and gzip
 * compression and decompression spread over many requests, zlib's
 * avail_in/avail_out contract carried over the ring
 * (include/uapi/misc/uacce/wd_soft.h, docs/streams.md). Part of the
 * engine core (sources.mk).
 *
 * The backend runs raw deflate only; the core frames zlib and gzip, so
 * both hosts behave alike and a preset dictionary needs nothing of the
 * backend: compression primes the window by compressing the dictionary
 * with a sync flush and dropping that output (what follows starts on a
 * byte boundary and may refer back into it, as after deflateSetDictionary());
 * decompression by inflating the dictionary as a stored block.
 *
 * A request may be held for a page and run again (wd_soft_core_serve()).
 * A stream cannot take the same input twice, so the request resumes:
 * q->held_in source bytes were consumed and q->held_out destination bytes
 * written; output made but not written yet waits in the context's @pend.
 * Everything a request does to the state before its first consumption or
 * output comes from the request alone, so running that part again is
 * harmless (SF_RESET, a dictionary read before it is used).
 */
#include "wd_soft_core.h"
#include "wd_soft_core_priv.h"

/* struct wd_soft_core_stream.stage */
enum {
	WD_SOFT_ST_DATA,	/* the backend's stream (and digests, compression) */
	WD_SOFT_ST_GZ_FIXED,	/* decompression: gzip's 10 fixed header bytes */
	WD_SOFT_ST_GZ_XLEN,	/* FEXTRA's length */
	WD_SOFT_ST_GZ_EXTRA,	/* FEXTRA's bytes (@hneed left) */
	WD_SOFT_ST_GZ_NAME,	/* FNAME, zero-terminated */
	WD_SOFT_ST_GZ_COMMENT,	/* FCOMMENT, zero-terminated */
	WD_SOFT_ST_GZ_HCRC,	/* FHCRC */
	WD_SOFT_ST_ZL_HEAD,	/* zlib's 2 header bytes */
	WD_SOFT_ST_ZL_DICTID,	/* zlib's DICTID */
	WD_SOFT_ST_NEED_DICT,	/* waiting for that dictionary */
	WD_SOFT_ST_TRAIL,	/* the trailer (zlib 4 bytes, gzip 8) */
	WD_SOFT_ST_END,		/* ended; digests: the result is in @pend */
};

#define ZL_CM_DEFLATE	8
#define ZL_FDICT	0x20
#define ADLER_BASE	65521u
#define ADLER_NMAX	5552u

#define WD_SOFT_SF_KNOWN (WD_SOFT_SF_FLUSH_MASK | WD_SOFT_SF_DICT | WD_SOFT_SF_RESET)

/* What a context's op is. */
enum wd_soft_core_skind {
	WD_SOFT_SK_NONE,
	WD_SOFT_SK_DIGEST,
	WD_SOFT_SK_COMP,
	WD_SOFT_SK_DECOMP,
};

static enum wd_soft_core_skind wd_soft_core_skind(u16 op)
{
	switch (op) {
	case WD_SOFT_OP_CRC32C:
	case WD_SOFT_OP_SHA256:
		return WD_SOFT_SK_DIGEST;
	case WD_SOFT_OP_DEFLATE:
	case WD_SOFT_OP_ZLIB_COMP:
	case WD_SOFT_OP_GZIP_COMP:
		return WD_SOFT_SK_COMP;
	case WD_SOFT_OP_INFLATE:
	case WD_SOFT_OP_ZLIB_DECOMP:
	case WD_SOFT_OP_GZIP_DECOMP:
		return WD_SOFT_SK_DECOMP;
	default:
		return WD_SOFT_SK_NONE;
	}
}

static bool wd_soft_core_is_gzip(u16 op)
{
	return op == WD_SOFT_OP_GZIP_COMP || op == WD_SOFT_OP_GZIP_DECOMP;
}

static bool wd_soft_core_is_zlib(u16 op)
{
	return op == WD_SOFT_OP_ZLIB_COMP || op == WD_SOFT_OP_ZLIB_DECOMP;
}

/* The check value of no data: Adler-32's 1, CRC-32's 0. */
static u32 wd_soft_core_check_init(u16 op)
{
	return wd_soft_core_is_zlib(op) ? 1 : 0;
}

u32 wd_soft_core_adler32(u32 adler, const u8 *p, u32 len)
{
	u32 a = adler & 0xffff, b = adler >> 16, n;

	while (len) {
		n = min(len, ADLER_NMAX);
		len -= n;
		while (n--) {
			a += *p++;
			b += a;
		}
		a %= ADLER_BASE;
		b %= ADLER_BASE;
	}
	return b << 16 | a;
}

u32 wd_soft_core_buf_skip(struct wd_soft_core_buf *buf, u64 len)
{
	u32 n;

	while (len) {
		if (buf->idx == buf->nents)
			return WD_SOFT_S_INVAL;
		if (buf->off == buf->sge[buf->idx].len) {
			buf->idx++;
			buf->off = 0;
			continue;
		}
		n = (u32)min_t(u64, len, buf->sge[buf->idx].len - buf->off);
		buf->off += n;
		buf->pos += n;
		len -= n;
	}
	return WD_SOFT_S_OK;
}

/* ---------------------------------------------------------------------- */
/* contexts                                                                */
/* ---------------------------------------------------------------------- */

/* Back to the start of a stream: the state a fresh OPEN gives. */
static int wd_soft_core_stream_start(struct wd_soft_core_stream *s, bool fresh)
{
	enum wd_soft_core_skind kind = wd_soft_core_skind(s->op);
	int ret = 0;

	s->broken = false;
	s->hdr_done = false;
	s->zdone = false;
	s->zfull = false;
	s->has_dict = false;
	s->flg = 0;
	s->hlen = 0;
	s->hneed = 0;
	s->hcrc = 0;
	s->dict_id = 0;
	s->total = 0;
	s->total_in = 0;
	s->pend_off = 0;
	s->pend_len = 0;
	s->stage = WD_SOFT_ST_DATA;
	if (s->op == WD_SOFT_OP_GZIP_DECOMP)
		s->stage = WD_SOFT_ST_GZ_FIXED;
	else if (s->op == WD_SOFT_OP_ZLIB_DECOMP)
		s->stage = WD_SOFT_ST_ZL_HEAD;
	s->check = wd_soft_core_check_init(s->op);

	if (s->op == WD_SOFT_OP_CRC32C)
		s->check = ~0u;
	else if (s->op == WD_SOFT_OP_SHA256)
		ret = wd_soft_host_sha256_init(s->alg);
	else if (!fresh)
		ret = wd_soft_host_zreset(s->alg);
	else if (kind == WD_SOFT_SK_COMP)
		ret = wd_soft_host_zinit(s->alg, WD_SOFT_ZDEFLATE, s->level);
	else
		ret = wd_soft_host_zinit(s->alg, WD_SOFT_ZINFLATE, 0);
	if (fresh && !ret && s->alg && kind != WD_SOFT_SK_DIGEST)
		s->zlive = true;
	return ret;
}

static void wd_soft_core_stream_free(struct wd_soft_core_dev *dev,
				     struct wd_soft_core_stream *s)
{
	if (s->zlive)
		wd_soft_host_zend(s->alg);
	wd_soft_host_alg_free(s->alg);
	wd_soft_core_lock(&dev->lock);
	dev->ctx_bytes -= s->bytes;
	wd_soft_core_unlock(&dev->lock);
	/* the state and @pend are the caller's data: leave none behind */
	memset(s, 0, sizeof(*s) + s->pend_cap);
	wd_soft_core_free(s);
}

/* sqe.ctx / cmd.ctx: slot + 1 in the low byte, a generation above it */
static u32 wd_soft_core_ctx_slot(u32 id)
{
	return (id & 0xff) - 1;
}

static struct wd_soft_core_stream *
wd_soft_core_stream_get(struct wd_soft_core_queue *q, u32 id)
{
	struct wd_soft_core_stream *s;
	u32 slot = wd_soft_core_ctx_slot(id);

	if (slot >= WD_SOFT_MAX_CTX)
		return NULL;
	/* id is the submitter's: no speculative load past the table */
	slot = array_index_nospec(slot, WD_SOFT_MAX_CTX);
	wd_soft_core_lock(&q->ctx_lock);
	s = q->ctx[slot];
	if (s && s->id == id)
		s->refs++;
	else
		s = NULL;
	wd_soft_core_unlock(&q->ctx_lock);
	return s;
}

static void wd_soft_core_stream_put(struct wd_soft_core_queue *q,
				    struct wd_soft_core_stream *s)
{
	bool last;

	wd_soft_core_lock(&q->ctx_lock);
	last = !--s->refs;
	wd_soft_core_unlock(&q->ctx_lock);
	if (last)
		wd_soft_core_stream_free(q->dev, s);
}

static int wd_soft_core_ctx_open(struct wd_soft_core_queue *q,
				 struct wd_soft_ctx_cmd *cmd)
{
	struct wd_soft_core_dev *dev = q->dev;
	enum wd_soft_core_skind kind = wd_soft_core_skind(cmd->op);
	enum wd_soft_alg_kind akind = WD_SOFT_ALG_SHA256;
	struct wd_soft_core_stream *s;
	size_t bytes = 0;
	bool fits;
	u32 slot, pend;
	int ret;

	if (kind == WD_SOFT_SK_NONE || !(dev->ops & WD_SOFT_CORE_OP(cmd->op)))
		return -EINVAL;
	if (kind == WD_SOFT_SK_COMP ? cmd->level > 9 : cmd->level)
		return -EINVAL;
	/*
	 * A full table refuses before anything is allocated, charged and
	 * counted against the device's bound, where it would make another
	 * queue's OPEN fail meanwhile. (The kernel's OPENs of one queue are
	 * serialised; the slot is taken again below in any case.)
	 */
	wd_soft_core_lock(&q->ctx_lock);
	for (slot = 0; slot < WD_SOFT_MAX_CTX && q->ctx[slot]; slot++)
		;
	wd_soft_core_unlock(&q->ctx_lock);
	if (slot == WD_SOFT_MAX_CTX)
		return -ENOSPC;
	pend = kind == WD_SOFT_SK_DIGEST ? WD_SOFT_CORE_SHA256_SIZE :
					   WD_SOFT_CORE_PEND;
	s = wd_soft_core_zalloc(sizeof(*s) + pend);
	if (!s)
		return -ENOMEM;
	s->pend_cap = pend;
	s->op = cmd->op;
	s->level = cmd->level ? cmd->level : WD_SOFT_CORE_DEF_LEVEL;
	s->refs = 1;
	if (kind == WD_SOFT_SK_COMP)
		akind = WD_SOFT_ALG_DEFLATE;
	else if (kind == WD_SOFT_SK_DECOMP)
		akind = WD_SOFT_ALG_INFLATE;
	if (cmd->op != WD_SOFT_OP_CRC32C) {
		s->alg = wd_soft_host_alg_alloc(dev, akind, &bytes);
		if (!s->alg) {
			wd_soft_core_free(s);
			return -ENOMEM;
		}
	}
	s->bytes = sizeof(*s) + pend + bytes;

	wd_soft_core_lock(&dev->lock);
	fits = dev->ctx_bytes + s->bytes <= dev->max_ctx_bytes;
	if (fits)
		dev->ctx_bytes += s->bytes;
	wd_soft_core_unlock(&dev->lock);
	if (!fits) {
		wd_soft_host_alg_free(s->alg);
		wd_soft_core_free(s);
		return -ENOSPC;
	}
	/* the backend's init runs here, in the opener's context */
	ret = wd_soft_core_stream_start(s, true);
	if (ret) {
		/* a failed zinit needs no zend (zlive is false) */
		wd_soft_core_stream_free(dev, s);
		return -ENOMEM;
	}

	wd_soft_core_lock(&q->ctx_lock);
	for (slot = 0; slot < WD_SOFT_MAX_CTX; slot++)
		if (!q->ctx[slot])
			break;
	if (slot < WD_SOFT_MAX_CTX) {
		s->id = (q->ctx_gen++ & 0xffffff) << 8 | (slot + 1);
		q->ctx[slot] = s;
		cmd->ctx = s->id;
	}
	wd_soft_core_unlock(&q->ctx_lock);
	if (slot == WD_SOFT_MAX_CTX) {
		wd_soft_core_stream_free(dev, s);
		return -ENOSPC;
	}
	return 0;
}

static int wd_soft_core_ctx_close(struct wd_soft_core_queue *q, u32 id)
{
	struct wd_soft_core_stream *s = NULL;
	u32 slot = wd_soft_core_ctx_slot(id);
	bool last = false;

	if (slot >= WD_SOFT_MAX_CTX)
		return -EBADF;
	slot = array_index_nospec(slot, WD_SOFT_MAX_CTX);
	wd_soft_core_lock(&q->ctx_lock);
	if (q->ctx[slot] && q->ctx[slot]->id == id) {
		s = q->ctx[slot];
		q->ctx[slot] = NULL;
		last = !--s->refs;
	}
	wd_soft_core_unlock(&q->ctx_lock);
	if (!s)
		return -EBADF;
	/* else the request using it frees it when it ends */
	if (last)
		wd_soft_core_stream_free(q->dev, s);
	return 0;
}

int wd_soft_core_ctx_cmd(struct wd_soft_core_queue *q,
			 struct wd_soft_ctx_cmd *cmd)
{
	if (cmd->rsvd0 || cmd->rsvd[0] || cmd->rsvd[1])
		return -EINVAL;
	switch (cmd->cmd) {
	case WD_SOFT_CTX_OPEN:
		if (cmd->ctx)
			return -EINVAL;
		return wd_soft_core_ctx_open(q, cmd);
	case WD_SOFT_CTX_CLOSE:
		if (cmd->op || cmd->level)
			return -EINVAL;
		return wd_soft_core_ctx_close(q, cmd->ctx);
	default:
		return -EINVAL;
	}
}

void wd_soft_core_ctx_free_all(struct wd_soft_core_queue *q)
{
	struct wd_soft_core_stream *s;
	u32 slot;
	bool last;

	/* under the lock: a CLOSE of another thread may race with this */
	for (slot = 0; slot < WD_SOFT_MAX_CTX; slot++) {
		wd_soft_core_lock(&q->ctx_lock);
		s = q->ctx[slot];
		q->ctx[slot] = NULL;
		last = s && !--s->refs;
		wd_soft_core_unlock(&q->ctx_lock);
		if (last)
			wd_soft_core_stream_free(q->dev, s);
	}
}

/*
 * A request on context @id failed before it reached it (fault injection):
 * broken all the same, as wd_soft.h says of every DEV_ERR.
 */
void wd_soft_core_stream_fail(struct wd_soft_core_queue *q, u32 id)
{
	struct wd_soft_core_stream *s = wd_soft_core_stream_get(q, id);

	if (s) {
		s->broken = true;
		wd_soft_core_stream_put(q, s);
	}
}

/* ---------------------------------------------------------------------- */
/* a request on a context                                                  */
/* ---------------------------------------------------------------------- */

/*
 * One request on a stream: the source goes through the engine's input
 * buffer (@in[@pos..@end) is what is left of the current chunk); @in_done
 * and @out_done count what was consumed and written, resumption included.
 */
struct wd_soft_core_sreq {
	struct wd_soft_core_ctx *ctx;
	struct wd_soft_core_stream *s;
	struct wd_soft_core_buf src;
	struct wd_soft_core_buf dst;
	u8 *in;
	u32 pos;
	u32 end;
	bool started;
	u64 in_done;
	u64 out_done;
	u64 cap;
	u32 flush;
	bool flushed;
	bool count_only;
	u32 cflags;
};

/* The current chunk is used up: load the next one, if the source has more. */
static u32 wd_soft_sreq_fill(struct wd_soft_core_sreq *r)
{
	u32 n, ret;

	if (r->pos < r->end || r->src.pos == r->src.len)
		return WD_SOFT_S_OK;
	if (r->started) {
		ret = wd_soft_core_yield(r->ctx);
		if (ret)
			return ret;
	}
	r->started = true;
	n = (u32)min_t(u64, r->src.len - r->src.pos, WD_SOFT_CORE_CHUNK);
	ret = wd_soft_core_buf_read(r->ctx, &r->src, r->in, n);
	if (ret)
		return ret;
	r->pos = 0;
	r->end = n;
	return WD_SOFT_S_OK;
}

static void wd_soft_sreq_consume(struct wd_soft_core_sreq *r, u32 n)
{
	r->pos += n;
	r->in_done += n;
}

/* Pending output to the destination; *@full: some is left, no room. */
static u32 wd_soft_sreq_drain(struct wd_soft_core_sreq *r, bool *full)
{
	struct wd_soft_core_stream *s = r->s;
	u32 n, ret;

	*full = false;
	if (s->pend_off == s->pend_len)
		return WD_SOFT_S_OK;
	if (r->count_only) {
		/* the destination is too small: only the size needed counts */
		r->out_done += s->pend_len - s->pend_off;
		s->pend_off = 0;
		s->pend_len = 0;
		return WD_SOFT_S_OK;
	}
	n = (u32)min_t(u64, s->pend_len - s->pend_off, r->cap - r->out_done);
	if (n) {
		ret = wd_soft_core_buf_write(r->ctx, &r->dst,
					     s->pend + s->pend_off, n);
		if (ret)
			return ret;
		s->pend_off += n;
		r->out_done += n;
		/* a long output (a decompression bomb) checks for a stop too */
		ret = wd_soft_core_yield(r->ctx);
		if (ret)
			return ret;
	}
	if (s->pend_off < s->pend_len) {
		*full = true;
		return WD_SOFT_S_OK;
	}
	s->pend_off = 0;
	s->pend_len = 0;
	return WD_SOFT_S_OK;
}

/* Append framing to the pending output (room: it is drained first). */
static void wd_soft_sreq_put(struct wd_soft_core_stream *s, const u8 *p, u32 n)
{
	memcpy(s->pend + s->pend_len, p, n);
	s->pend_len += n;
}

/* Pending output first; *@stop: the destination is full (MORE). */
static u32 wd_soft_sreq_out(struct wd_soft_core_sreq *r, bool *stop)
{
	u32 ret = wd_soft_sreq_drain(r, stop);

	if (!ret && *stop)
		r->cflags |= WD_SOFT_CF_MORE;
	return ret;
}

/*
 * One run of the backend over what is left of the current chunk, into the
 * (drained) pending buffer: *@used input bytes taken, *@made output made.
 */
static int wd_soft_sreq_zrun(struct wd_soft_core_sreq *r,
			     enum wd_soft_zflush zf, u32 *used, u32 *made)
{
	struct wd_soft_core_stream *s = r->s;
	struct wd_soft_zstream zs = {
		.next_in = r->in + r->pos,
		.avail_in = r->end - r->pos,
		.next_out = s->pend,
		.avail_out = s->pend_cap,
	};
	int err = wd_soft_host_zrun(s->alg, &zs, zf);

	*used = r->end - r->pos - zs.avail_in;
	*made = s->pend_cap - zs.avail_out;
	s->pend_len = *made;
	s->zfull = !zs.avail_out;
	return err;
}

/* Read a whole dictionary (at most a chunk) into the input buffer. */
static u32 wd_soft_sreq_dict(struct wd_soft_core_sreq *r, u32 *len)
{
	u32 ret;

	if (r->src.len > WD_SOFT_CORE_CHUNK)
		return WD_SOFT_S_INVAL;
	*len = (u32)r->src.len;
	ret = wd_soft_core_buf_read(r->ctx, &r->src, r->in, *len);
	if (ret)
		return ret;
	r->in_done = *len;
	return WD_SOFT_S_OK;
}

/* ---- digests ---- */

static u32 wd_soft_stream_digest(struct wd_soft_core_sreq *r)
{
	struct wd_soft_core_stream *s = r->s;
	bool sha = s->op == WD_SOFT_OP_SHA256, full;
	u32 size = sha ? WD_SOFT_CORE_SHA256_SIZE : WD_SOFT_CORE_CRC32C_SIZE;
	u32 n, ret;

	if (r->flush == WD_SOFT_SF_FINISH && s->stage != WD_SOFT_ST_END &&
	    r->cap < size) {
		r->out_done = size;	/* the size needed */
		return WD_SOFT_S_DST_SMALL;
	}
	for (;;) {
		ret = wd_soft_sreq_drain(r, &full);
		if (ret)
			return ret;
		if (s->stage == WD_SOFT_ST_END) {
			r->cflags |= WD_SOFT_CF_END;
			return wd_soft_core_stream_start(s, false) ?
			       WD_SOFT_S_DEV_ERR : WD_SOFT_S_OK;
		}
		ret = wd_soft_sreq_fill(r);
		if (ret)
			return ret;
		n = r->end - r->pos;
		if (n) {
			if (sha)
				ret = wd_soft_host_sha256_update(s->alg,
								 r->in + r->pos, n);
			else
				ret = wd_soft_host_crc32c(r->ctx->eng->alg,
							  &s->check,
							  r->in + r->pos, n);
			if (ret)
				return WD_SOFT_S_DEV_ERR;
			s->total += n;
			wd_soft_sreq_consume(r, n);
			continue;
		}
		if (r->flush != WD_SOFT_SF_FINISH)
			return WD_SOFT_S_OK;
		if (sha) {
			if (wd_soft_host_sha256_final(s->alg, s->pend))
				return WD_SOFT_S_DEV_ERR;
		} else {
			put_unaligned_le32(s->check, s->pend);
		}
		s->pend_len = size;
		s->stage = WD_SOFT_ST_END;
	}
}

/* ---- compression ---- */

static enum wd_soft_zflush wd_soft_zflush(u32 flush)
{
	switch (flush) {
	case WD_SOFT_SF_SYNC_FLUSH:
		return WD_SOFT_Z_SYNC_FLUSH;
	case WD_SOFT_SF_FULL_FLUSH:
		return WD_SOFT_Z_FULL_FLUSH;
	case WD_SOFT_SF_FINISH:
		return WD_SOFT_Z_FINISH;
	default:
		return WD_SOFT_Z_NO_FLUSH;
	}
}

/* gzip's member header: FLG 0, MTIME 0; XFL 2 slowest, 4 fastest; Unix */
static void wd_soft_core_gzip_hdr(u8 *h, u32 level)
{
	memset(h, 0, WD_SOFT_GZ_HDR_SIZE);
	h[0] = WD_SOFT_GZ_ID1;
	h[1] = WD_SOFT_GZ_ID2;
	h[2] = WD_SOFT_GZ_CM_DEFLATE;
	h[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
	h[9] = WD_SOFT_GZ_OS_UNIX;
}

/*
 * The framing before the data of an @op stream at @level into @h (at least
 * WD_SOFT_GZ_HDR_SIZE bytes): gzip's member header, zlib's header (with
 * DICTID when @has_dict), nothing for raw deflate. Return: its bytes.
 */
static u32 wd_soft_core_frame_head(u8 *h, u16 op, u32 level, bool has_dict,
				   u32 dict_id)
{
	u32 lf;

	if (wd_soft_core_is_gzip(op)) {
		wd_soft_core_gzip_hdr(h, level);
		return WD_SOFT_GZ_HDR_SIZE;
	}
	if (!wd_soft_core_is_zlib(op))
		return 0;
	/* CINFO 7 (32 KiB window), FLEVEL as zlib sets it */
	lf = level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;
	h[0] = 0x78;
	h[1] = lf << 6 | (has_dict ? ZL_FDICT : 0);
	h[1] += 31 - (h[0] << 8 | h[1]) % 31;
	if (!has_dict)
		return 2;
	put_unaligned_be32(dict_id, h + 2);
	return 6;
}

/*
 * The framing after the data into @t (at least WD_SOFT_GZ_TRAILER_SIZE
 * bytes): gzip's CRC-32 and ISIZE, zlib's Adler-32, nothing for raw
 * deflate. Return: its bytes.
 */
static u32 wd_soft_core_frame_tail(u8 *t, u16 op, u32 check, u64 total)
{
	if (wd_soft_core_is_gzip(op)) {
		put_unaligned_le32(check, t);
		put_unaligned_le32((u32)total, t + 4);
		return WD_SOFT_GZ_TRAILER_SIZE;
	}
	if (!wd_soft_core_is_zlib(op))
		return 0;
	put_unaligned_be32(check, t);
	return 4;
}

/* The framing before the data: gzip's member header, zlib's header. */
static void wd_soft_stream_header(struct wd_soft_core_stream *s)
{
	u8 h[WD_SOFT_GZ_HDR_SIZE];
	u32 n = wd_soft_core_frame_head(h, s->op, s->level, s->has_dict,
					s->dict_id);

	wd_soft_sreq_put(s, h, n);
	s->hdr_done = true;
}

static void wd_soft_stream_trailer(struct wd_soft_core_stream *s)
{
	u8 t[WD_SOFT_GZ_TRAILER_SIZE];
	u32 n = wd_soft_core_frame_tail(t, s->op, s->check, s->total);

	wd_soft_sreq_put(s, t, n);
	s->stage = WD_SOFT_ST_END;
}

/* An @op stream's check value @check after @n more bytes at @p. */
static u32 wd_soft_core_check(u16 op, u32 check, const u8 *p, u32 n)
{
	if (!n)
		return check;
	if (wd_soft_core_is_gzip(op))
		return wd_soft_host_crc32(check, p, n);
	if (wd_soft_core_is_zlib(op))
		return wd_soft_core_adler32(check, p, n);
	return check;
}

/* The uncompressed side's check value over @n bytes at @p. */
static void wd_soft_stream_check(struct wd_soft_core_stream *s, const u8 *p,
				 u32 n)
{
	s->check = wd_soft_core_check(s->op, s->check, p, n);
}

/*
 * A preset dictionary: compress it with a sync flush into the pending
 * buffer and drop the output. Only before the stream has begun.
 */
static u32 wd_soft_stream_comp_dict(struct wd_soft_core_sreq *r)
{
	struct wd_soft_core_stream *s = r->s;
	struct wd_soft_zstream zs;
	u32 len, off, ret;
	int err;

	if (wd_soft_core_is_gzip(s->op) || s->hdr_done || s->has_dict ||
	    r->flush != WD_SOFT_SF_NO_FLUSH)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_sreq_dict(r, &len);
	if (ret)
		return ret;
	off = len > WD_SOFT_CORE_WINDOW ? len - WD_SOFT_CORE_WINDOW : 0;
	zs.next_in = r->in + off;
	zs.avail_in = len - off;
	do {
		zs.next_out = s->pend;
		zs.avail_out = s->pend_cap;
		err = wd_soft_host_zrun(s->alg, &zs, WD_SOFT_Z_SYNC_FLUSH);
		/* a sync flush always outputs something: its marker */
		if (err || zs.avail_out == s->pend_cap)
			return WD_SOFT_S_DEV_ERR;
	} while (zs.avail_in || !zs.avail_out);
	s->dict_id = wd_soft_core_adler32(1, r->in, len);
	s->has_dict = true;
	return WD_SOFT_S_OK;
}

static u32 wd_soft_stream_comp(struct wd_soft_core_sreq *r)
{
	struct wd_soft_core_stream *s = r->s;
	enum wd_soft_zflush zf;
	u32 avail, used, made, ret;
	bool stop, last;
	int err;

	for (;;) {
		ret = wd_soft_sreq_out(r, &stop);
		if (ret || stop)
			return ret;
		if (s->stage == WD_SOFT_ST_END) {
			/* finished: further requests add nothing */
			r->cflags |= WD_SOFT_CF_END;
			return WD_SOFT_S_OK;
		}
		if (!s->hdr_done) {
			wd_soft_stream_header(s);
			continue;
		}
		if (s->zdone) {
			wd_soft_stream_trailer(s);
			continue;
		}
		ret = wd_soft_sreq_fill(r);
		if (ret)
			return ret;
		last = r->src.pos == r->src.len;
		avail = r->end - r->pos;
		if (!avail && last && !s->zfull &&
		    (r->flush == WD_SOFT_SF_NO_FLUSH || r->flushed))
			return WD_SOFT_S_OK;
		zf = last ? wd_soft_zflush(r->flush) : WD_SOFT_Z_NO_FLUSH;
		err = wd_soft_sreq_zrun(r, zf, &used, &made);
		wd_soft_stream_check(s, r->in + r->pos, used);
		s->total += used;
		wd_soft_sreq_consume(r, used);
		if (err < 0)
			return WD_SOFT_S_DEV_ERR;
		if (err == 1) {
			s->zdone = true;
			continue;
		}
		if (zf != WD_SOFT_Z_NO_FLUSH && used == avail && !s->zfull)
			r->flushed = true;
		if (!used && !made) {
			/* room and input, or a finish to make: it must move */
			if (avail || zf == WD_SOFT_Z_FINISH)
				return WD_SOFT_S_DEV_ERR;
			/* zlib's answer to a flush with nothing new: done */
			r->flushed = true;
		}
	}
}

/* ---- decompression ---- */

/* The dictionary as a stored block, its output dropped. */
static u32 wd_soft_stream_decomp_dict(struct wd_soft_core_sreq *r)
{
	struct wd_soft_core_stream *s = r->s;
	struct wd_soft_zstream zs;
	u32 len, off, n, ret;
	u8 blk[5];
	int err;

	if (wd_soft_core_is_gzip(s->op) || r->flush != WD_SOFT_SF_NO_FLUSH)
		return WD_SOFT_S_INVAL;
	if (wd_soft_core_is_zlib(s->op) ? s->stage != WD_SOFT_ST_NEED_DICT :
	    s->total_in || s->has_dict)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_sreq_dict(r, &len);
	if (ret)
		return ret;
	if (wd_soft_core_is_zlib(s->op) &&
	    wd_soft_core_adler32(1, r->in, len) != s->dict_id) {
		r->in_done = 0;
		return WD_SOFT_S_INVAL;
	}
	off = len > WD_SOFT_CORE_WINDOW ? len - WD_SOFT_CORE_WINDOW : 0;
	n = len - off;
	/* BFINAL 0, BTYPE 00, aligned; LEN, NLEN */
	blk[0] = 0;
	blk[1] = n & 0xff;
	blk[2] = n >> 8;
	blk[3] = ~n & 0xff;
	blk[4] = (~n >> 8) & 0xff;
	zs.next_in = blk;
	zs.avail_in = sizeof(blk);
	zs.next_out = s->pend;
	zs.avail_out = s->pend_cap;
	err = wd_soft_host_zrun(s->alg, &zs, WD_SOFT_Z_NO_FLUSH);
	if (err || zs.avail_in)
		return WD_SOFT_S_DEV_ERR;
	zs.next_in = r->in + off;
	zs.avail_in = n;
	while (zs.avail_in) {
		zs.next_out = s->pend;
		zs.avail_out = s->pend_cap;
		err = wd_soft_host_zrun(s->alg, &zs, WD_SOFT_Z_NO_FLUSH);
		if (err || zs.avail_out == s->pend_cap)
			return WD_SOFT_S_DEV_ERR;
	}
	s->has_dict = true;
	s->stage = WD_SOFT_ST_DATA;
	return WD_SOFT_S_OK;
}

/* One byte of header or trailer: the next stage, or CORRUPT. */
static u32 wd_soft_stream_frame_byte(struct wd_soft_core_stream *s, u8 b)
{
	if (s->stage >= WD_SOFT_ST_GZ_FIXED && s->stage <= WD_SOFT_ST_GZ_COMMENT)
		s->hcrc = wd_soft_host_crc32(s->hcrc, &b, 1);

	switch (s->stage) {
	case WD_SOFT_ST_GZ_FIXED:
		s->hbuf[s->hlen++] = b;
		if (s->hlen < WD_SOFT_GZ_HDR_SIZE)
			return WD_SOFT_S_OK;
		s->flg = s->hbuf[3];
		if (s->hbuf[0] != WD_SOFT_GZ_ID1 || s->hbuf[1] != WD_SOFT_GZ_ID2 ||
		    s->hbuf[2] != WD_SOFT_GZ_CM_DEFLATE ||
		    (s->flg & WD_SOFT_GZ_FRESERVED))
			return WD_SOFT_S_CORRUPT;
		s->hlen = 0;
		if (s->flg & WD_SOFT_GZ_FEXTRA) {
			s->stage = WD_SOFT_ST_GZ_XLEN;
			return WD_SOFT_S_OK;
		}
		s->stage = WD_SOFT_ST_GZ_NAME;
		break;
	case WD_SOFT_ST_GZ_XLEN:
		s->hbuf[s->hlen++] = b;
		if (s->hlen < 2)
			return WD_SOFT_S_OK;
		s->hneed = get_unaligned_le16(s->hbuf);
		s->hlen = 0;
		s->stage = WD_SOFT_ST_GZ_EXTRA;
		break;
	case WD_SOFT_ST_GZ_EXTRA:
		s->hneed--;
		break;
	case WD_SOFT_ST_GZ_NAME:
	case WD_SOFT_ST_GZ_COMMENT:
		if (b)
			return WD_SOFT_S_OK;
		s->stage++;
		break;
	case WD_SOFT_ST_GZ_HCRC:
		s->hbuf[s->hlen++] = b;
		if (s->hlen < 2)
			return WD_SOFT_S_OK;
		if (get_unaligned_le16(s->hbuf) != (u16)s->hcrc)
			return WD_SOFT_S_CORRUPT;
		s->hlen = 0;
		s->stage = WD_SOFT_ST_DATA;
		return WD_SOFT_S_OK;
	case WD_SOFT_ST_ZL_HEAD:
		s->hbuf[s->hlen++] = b;
		if (s->hlen < 2)
			return WD_SOFT_S_OK;
		if ((s->hbuf[0] & 0x0f) != ZL_CM_DEFLATE || s->hbuf[0] >> 4 > 7 ||
		    (s->hbuf[0] << 8 | s->hbuf[1]) % 31)
			return WD_SOFT_S_CORRUPT;
		s->hlen = 0;
		s->stage = s->hbuf[1] & ZL_FDICT ? WD_SOFT_ST_ZL_DICTID :
						   WD_SOFT_ST_DATA;
		return WD_SOFT_S_OK;
	case WD_SOFT_ST_ZL_DICTID:
		s->hbuf[s->hlen++] = b;
		if (s->hlen < 4)
			return WD_SOFT_S_OK;
		s->dict_id = get_unaligned_be32(s->hbuf);
		s->hlen = 0;
		s->stage = WD_SOFT_ST_NEED_DICT;
		return WD_SOFT_S_OK;
	case WD_SOFT_ST_TRAIL:
		s->hbuf[s->hlen++] = b;
		if (wd_soft_core_is_gzip(s->op)) {
			if (s->hlen < WD_SOFT_GZ_TRAILER_SIZE)
				return WD_SOFT_S_OK;
			if (get_unaligned_le32(s->hbuf) != s->check ||
			    get_unaligned_le32(s->hbuf + 4) != (u32)s->total)
				return WD_SOFT_S_CORRUPT;
		} else {
			if (s->hlen < 4)
				return WD_SOFT_S_OK;
			if (get_unaligned_be32(s->hbuf) != s->check)
				return WD_SOFT_S_CORRUPT;
		}
		s->hlen = 0;
		s->members++;
		s->stage = WD_SOFT_ST_END;
		return WD_SOFT_S_OK;
	default:
		return WD_SOFT_S_DEV_ERR;
	}

	/* gzip: skip the optional fields the flags do not announce */
	if (s->stage == WD_SOFT_ST_GZ_EXTRA && !s->hneed)
		s->stage = WD_SOFT_ST_GZ_NAME;
	if (s->stage == WD_SOFT_ST_GZ_NAME && !(s->flg & WD_SOFT_GZ_FNAME))
		s->stage = WD_SOFT_ST_GZ_COMMENT;
	if (s->stage == WD_SOFT_ST_GZ_COMMENT && !(s->flg & WD_SOFT_GZ_FCOMMENT))
		s->stage = WD_SOFT_ST_GZ_HCRC;
	if (s->stage == WD_SOFT_ST_GZ_HCRC && !(s->flg & WD_SOFT_GZ_FHCRC))
		s->stage = WD_SOFT_ST_DATA;
	return WD_SOFT_S_OK;
}

static u32 wd_soft_stream_decomp(struct wd_soft_core_sreq *r)
{
	struct wd_soft_core_stream *s = r->s;
	u32 avail, used, made, ret;
	bool stop;
	int err;

	for (;;) {
		ret = wd_soft_sreq_out(r, &stop);
		if (ret || stop)
			return ret;
		if (s->stage == WD_SOFT_ST_NEED_DICT) {
			r->cflags |= WD_SOFT_CF_NEED_DICT;
			return WD_SOFT_S_OK;
		}
		if (s->stage != WD_SOFT_ST_DATA || !s->zfull) {
			ret = wd_soft_sreq_fill(r);
			if (ret)
				return ret;
		}
		avail = r->end - r->pos;
		if (s->stage == WD_SOFT_ST_END) {
			/* gzip: a member right after this one goes on */
			if (!wd_soft_core_is_gzip(s->op) || !avail ||
			    r->in[r->pos] != WD_SOFT_GZ_ID1) {
				r->cflags |= WD_SOFT_CF_END;
				return WD_SOFT_S_OK;
			}
			if (wd_soft_host_zreset(s->alg))
				return WD_SOFT_S_DEV_ERR;
			s->stage = WD_SOFT_ST_GZ_FIXED;
			s->check = 0;
			s->hcrc = 0;
			s->total = 0;
			s->zfull = false;
			continue;
		}
		if (s->stage != WD_SOFT_ST_DATA) {
			if (!avail)
				return WD_SOFT_S_OK;	/* more input, please */
			ret = wd_soft_stream_frame_byte(s, r->in[r->pos]);
			if (ret)
				return ret;
			s->total_in++;
			wd_soft_sreq_consume(r, 1);
			continue;
		}
		if (!avail && !s->zfull)
			return WD_SOFT_S_OK;		/* more input, please */
		err = wd_soft_sreq_zrun(r, WD_SOFT_Z_NO_FLUSH, &used, &made);
		wd_soft_stream_check(s, s->pend, made);
		s->total += made;
		s->total_in += used;
		wd_soft_sreq_consume(r, used);
		if (err < 0)
			return err == -EBADMSG ? WD_SOFT_S_CORRUPT :
						 WD_SOFT_S_DEV_ERR;
		if (err == 1) {
			s->zfull = false;
			s->hlen = 0;
			s->stage = wd_soft_core_is_gzip(s->op) ||
				   wd_soft_core_is_zlib(s->op) ?
				   WD_SOFT_ST_TRAIL : WD_SOFT_ST_END;
			continue;
		}
		if (!used && !made && avail)
			return WD_SOFT_S_DEV_ERR;	/* it must move */
	}
}

/* ---- dispatch ---- */

static bool wd_soft_stream_fails(u32 status)
{
	return status == WD_SOFT_S_CORRUPT || status == WD_SOFT_S_BAD_ADDR ||
	       status == WD_SOFT_S_DEV_ERR || status == WD_SOFT_S_CANCELED;
}

/* The flushes (and DICT) each kind takes. */
static bool wd_soft_stream_flags_ok(enum wd_soft_core_skind kind, u32 sflags)
{
	u32 flush = sflags & WD_SOFT_SF_FLUSH_MASK;

	if (sflags & ~WD_SOFT_SF_KNOWN)
		return false;
	if ((sflags & WD_SOFT_SF_DICT) && kind == WD_SOFT_SK_DIGEST)
		return false;
	if (kind == WD_SOFT_SK_DIGEST)
		return flush == WD_SOFT_SF_NO_FLUSH || flush == WD_SOFT_SF_FINISH;
	if (kind == WD_SOFT_SK_DECOMP)
		return flush == WD_SOFT_SF_NO_FLUSH;
	return true;
}

u32 wd_soft_core_stream_exec(struct wd_soft_core_ctx *ctx,
			     const struct wd_soft_sqe *sqe,
			     struct wd_soft_cqe *res)
{
	struct wd_soft_core_queue *q = ctx->q;
	struct wd_soft_core_sreq r = { .ctx = ctx, .in = ctx->eng->in };
	struct wd_soft_core_stream *s;
	enum wd_soft_core_skind kind;
	bool resume = q->held_in || q->held_out;
	u32 ret;

	s = wd_soft_core_stream_get(q, sqe->ctx);
	if (!s)
		return WD_SOFT_S_BAD_CTX;
	kind = wd_soft_core_skind(s->op);
	if (sqe->op != s->op || sqe->params ||
	    !wd_soft_stream_flags_ok(kind, sqe->sflags)) {
		ret = WD_SOFT_S_INVAL;
		goto out;
	}
	if ((sqe->sflags & WD_SOFT_SF_RESET) && !resume &&
	    wd_soft_core_stream_start(s, false)) {
		s->broken = true;
		ret = WD_SOFT_S_DEV_ERR;
		goto out;
	}
	if (s->broken) {
		ret = WD_SOFT_S_BAD_CTX;
		goto out;
	}
	r.s = s;
	r.flush = sqe->sflags & WD_SOFT_SF_FLUSH_MASK;
	/* set first: a hold while the SGLs are read again keeps the progress */
	r.in_done = q->held_in;
	r.out_done = q->held_out;
	ret = wd_soft_core_bufs(ctx, sqe, &r.src, &r.dst);
	if (!ret)
		ret = wd_soft_core_buf_skip(&r.src, q->held_in);
	if (!ret)
		ret = wd_soft_core_buf_skip(&r.dst, q->held_out);
	if (ret) {
		/* SGLs changed under a resumed request: its start was taken */
		if (resume && ret == WD_SOFT_S_INVAL)
			s->broken = true;
		goto done;
	}
	r.cap = min_t(u64, r.dst.len, U32_MAX);

	if (kind == WD_SOFT_SK_DIGEST)
		ret = wd_soft_stream_digest(&r);
	else if (sqe->sflags & WD_SOFT_SF_DICT)
		ret = kind == WD_SOFT_SK_COMP ? wd_soft_stream_comp_dict(&r) :
						wd_soft_stream_decomp_dict(&r);
	else if (kind == WD_SOFT_SK_COMP)
		ret = wd_soft_stream_comp(&r);
	else
		ret = wd_soft_stream_decomp(&r);
done:
	if (ret == WD_SOFT_CORE_S_HELD) {
		q->held_in = r.in_done;
		q->held_out = r.out_done;
		goto out;
	}
	if (wd_soft_stream_fails(ret))
		s->broken = true;
	if (ret == WD_SOFT_S_OK || ret == WD_SOFT_S_DST_SMALL) {
		res->in_len = (u32)r.in_done;
		res->out_len = (u32)r.out_done;
		res->cflags = r.cflags;
		if (r.cflags & WD_SOFT_CF_NEED_DICT)
			res->dict_id = s->dict_id;
	}
out:
	wd_soft_core_stream_put(q, s);
	return ret;
}

/* ---- without a context: one stream in one request ---- */

/*
 * A stream for this request only, in the engine's output buffer (the
 * stream code does not use it) with the engine's backend state.
 */
static struct wd_soft_core_stream *
wd_soft_core_tmp_stream(struct wd_soft_core_ctx *ctx,
			struct wd_soft_core_sreq *r, u16 op, u32 level)
{
	struct wd_soft_core_stream *s = (void *)ctx->eng->out;

	BUILD_BUG_ON(sizeof(*s) + WD_SOFT_CORE_PEND > WD_SOFT_CORE_CHUNK);
	memset(s, 0, sizeof(*s));
	s->pend_cap = WD_SOFT_CORE_PEND;
	s->op = op;
	s->level = level;
	s->alg = ctx->eng->alg;
	if (wd_soft_core_stream_start(s, true))
		return NULL;
	r->ctx = ctx;
	r->s = s;
	r->in = ctx->eng->in;
	r->cap = min_t(u64, r->dst.len, U32_MAX);
	return s;
}

/*
 * The ISIZE a gzip source claims in its last four bytes: the size needed
 * when the source is one member. Only a hint (*@hint 0: none) for
 * DST_SMALL; the status is DST_SMALL, or HELD when the read must wait.
 */
static u32 wd_soft_core_gzip_isize(struct wd_soft_core_sreq *r, u32 *hint)
{
	u8 isize[4];
	u32 v, ret;

	*hint = 0;
	if (r->src.len < WD_SOFT_GZ_HDR_SIZE + WD_SOFT_GZ_TRAILER_SIZE)
		return WD_SOFT_S_DST_SMALL;
	ret = wd_soft_core_buf_pread(r->ctx, &r->src, r->src.len - 4, isize, 4);
	if (ret == WD_SOFT_CORE_S_HELD)
		return ret;
	if (!ret) {
		v = get_unaligned_le32(isize);
		*hint = v > r->cap ? v : 0;
	}
	return WD_SOFT_S_DST_SMALL;
}

/*
 * The one-shot path of compression: a flat source and destination that the
 * host reaches whole in place go to its one-shot deflate
 * (wd_soft_host_zoneshot()), and the framing is written around what it
 * made. Return: true when it decided (*@status, and *@out_len for OK),
 * false when the stream path must run as if this had not been tried
 * (nothing in place, no one-shot backend, or the output does not fit: the
 * stream path then gives DST_SMALL and the size needed). @src and @dst are
 * left at their start, nothing mapped.
 */
static bool wd_soft_core_comp_oneshot(struct wd_soft_core_ctx *ctx, u16 op,
				      u32 level, struct wd_soft_core_buf *src,
				      struct wd_soft_core_buf *dst,
				      u32 *status, u32 *out_len)
{
	u8 frame[WD_SOFT_GZ_HDR_SIZE], *sp, *dp;
	u32 slen = (u32)src->len, dlen = (u32)dst->len, hl, tl, sn, dn, check;
	void *p;
	long n;

	if (!ctx->q->dev->oneshot || src->nents != 1 || dst->nents != 1 ||
	    !slen || slen > WD_SOFT_CORE_ONESHOT_MAX)
		return false;
	hl = wd_soft_core_frame_head(frame, op, level, false, 0);
	tl = wd_soft_core_frame_tail(frame, op, 0, 0);
	if (dlen <= hl + tl)
		return false;
	if (wd_soft_core_buf_map(ctx, src, slen, false, &p, &sn) || sn != slen)
		goto fallback;
	sp = p;
	if (wd_soft_core_buf_map(ctx, dst, dlen, true, &p, &dn) || dn != dlen)
		goto fallback;
	dp = p;
	n = wd_soft_host_zoneshot(ctx->eng->alg, (int)level, sp, slen, dp + hl,
				  dlen - hl - tl);
	if (n < 0) {
		*status = WD_SOFT_S_DEV_ERR;
		return true;
	}
	if (!n || n > dlen - hl - tl)
		goto fallback;
	check = wd_soft_core_check(op, wd_soft_core_check_init(op), sp, slen);
	wd_soft_core_frame_head(dp, op, level, false, 0);
	wd_soft_core_frame_tail(dp + hl + n, op, check, slen);
	*out_len = hl + (u32)n + tl;
	*status = WD_SOFT_S_OK;
	return true;
fallback:
	/* the stream path writes the same bytes, maybe by copy */
	wd_soft_core_unmap(ctx);
	wd_soft_core_buf_rewind(src);
	wd_soft_core_buf_rewind(dst);
	return false;
}

/*
 * Compression: the whole source becomes one stream (raw deflate, zlib, or
 * a gzip member): in one call of the host's one-shot deflate when it has
 * one and the request allows it (wd_soft_core_comp_oneshot()), else through
 * the stream backend. Output that does not fit: the rest is made and
 * counted, not written: DST_SMALL with the size needed (0 beyond 32 bits).
 */
u32 wd_soft_core_op_comp(struct wd_soft_core_ctx *ctx,
			 const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_sreq r = { .flush = WD_SOFT_SF_FINISH };
	struct wd_soft_core_stream *s;
	u32 ret, level;

	if (sqe->params > 9)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_core_bufs(ctx, sqe, &r.src, &r.dst);
	if (ret)
		return ret;
	level = sqe->params ? sqe->params : WD_SOFT_CORE_DEF_LEVEL;
	if (wd_soft_core_comp_oneshot(ctx, sqe->op, level, &r.src, &r.dst,
				      &ret, out_len))
		return ret;
	s = wd_soft_core_tmp_stream(ctx, &r, sqe->op, level);
	if (!s)
		return WD_SOFT_S_DEV_ERR;
	ret = wd_soft_stream_comp(&r);
	if (!ret && (r.cflags & WD_SOFT_CF_MORE)) {
		r.count_only = true;
		ret = wd_soft_stream_comp(&r);
		if (!ret) {
			*out_len = r.out_done <= U32_MAX ? (u32)r.out_done : 0;
			ret = WD_SOFT_S_DST_SMALL;
		}
	}
	wd_soft_host_zend(s->alg);
	if (ret)
		return ret;
	*out_len = (u32)r.out_done;
	return WD_SOFT_S_OK;
}

/*
 * Decompression: the source is exactly one stream (raw deflate, zlib) or
 * one or more gzip members; anything after it is CORRUPT, so is a
 * truncated stream, a wrong check value or a preset dictionary.
 */
u32 wd_soft_core_op_decomp(struct wd_soft_core_ctx *ctx,
			   const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_sreq r = { .flush = WD_SOFT_SF_NO_FLUSH };
	struct wd_soft_core_stream *s;
	u32 ret;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_core_bufs(ctx, sqe, &r.src, &r.dst);
	if (ret)
		return ret;
	s = wd_soft_core_tmp_stream(ctx, &r, sqe->op, 0);
	if (!s)
		return WD_SOFT_S_DEV_ERR;
	ret = wd_soft_stream_decomp(&r);
	wd_soft_host_zend(s->alg);
	if (ret)
		return ret;
	if (r.cflags & WD_SOFT_CF_MORE) {
		if (wd_soft_core_is_gzip(sqe->op) && !s->members)
			return wd_soft_core_gzip_isize(&r, out_len);
		return WD_SOFT_S_DST_SMALL;
	}
	if (!(r.cflags & WD_SOFT_CF_END) || r.in_done != r.src.len)
		return WD_SOFT_S_CORRUPT;
	*out_len = (u32)r.out_done;
	return WD_SOFT_S_OK;
}
