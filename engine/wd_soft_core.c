// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wd_soft_core.c: the portable engine core of the wd_soft device.
 *
 * Compiled into the kernel module (kernel/wd_soft/core.c) and into the
 * user-space host. The interface, and what the host must provide, is in
 * wd_soft_core.h; the behaviour is documented in docs/soft-device.md.
 *
 * Shared memory (the rings, MMIO) is read with READ_ONCE() or acquire
 * loads and each SQE is copied out before it is looked at: nothing the
 * process can change under our feet is trusted twice. Request data is
 * only reached through the host, in chunks of at most WD_SOFT_CORE_CHUNK
 * bytes through the engine's two bounce buffers.
 */
#include "wd_soft_core.h"

#define WD_SOFT_CORE_RING_MASK	(WD_SOFT_DEPTH - 1)
#define WD_SOFT_SQE_F_SUPPORTED	(WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL)

/* gzip (RFC 1952) */
#define GZ_ID1		0x1f
#define GZ_ID2		0x8b
#define GZ_CM_DEFLATE	8
#define GZ_FTEXT	0x01
#define GZ_FHCRC	0x02
#define GZ_FEXTRA	0x04
#define GZ_FNAME	0x08
#define GZ_FCOMMENT	0x10
#define GZ_FRESERVED	0xe0
#define GZ_OS_UNIX	3
#define GZ_HDR_SIZE	10
#define GZ_TRAILER_SIZE	8

/* ---------------------------------------------------------------------- */
/* device                                                                  */
/* ---------------------------------------------------------------------- */

void wd_soft_core_dev_init(struct wd_soft_core_dev *dev, u32 ops)
{
	dev->ops = ops & WD_SOFT_CORE_OPS_ALL;
	WRITE_ONCE(dev->fail_next, 0);
}

static const struct {
	const char *name;
	u32 ops;
} wd_soft_core_alg_table[] = {
	{ "nop",	WD_SOFT_CORE_OP(WD_SOFT_OP_NOP) },
	{ "copy",	WD_SOFT_CORE_OP(WD_SOFT_OP_COPY) },
	{ "crc32c",	WD_SOFT_CORE_OP(WD_SOFT_OP_CRC32C) },
	{ "sha256",	WD_SOFT_CORE_OP(WD_SOFT_OP_SHA256) },
	{ "deflate",	WD_SOFT_CORE_OP(WD_SOFT_OP_DEFLATE) |
			WD_SOFT_CORE_OP(WD_SOFT_OP_INFLATE) },
	{ "zlib",	WD_SOFT_CORE_OP(WD_SOFT_OP_ZLIB_COMP) |
			WD_SOFT_CORE_OP(WD_SOFT_OP_ZLIB_DECOMP) },
	{ "gzip",	WD_SOFT_CORE_OP(WD_SOFT_OP_GZIP_COMP) |
			WD_SOFT_CORE_OP(WD_SOFT_OP_GZIP_DECOMP) },
};

size_t wd_soft_core_algs(u32 ops, char *buf, size_t size)
{
	size_t len = 0, n, i;

	if (!size)
		return 0;
	for (i = 0; i < ARRAY_SIZE(wd_soft_core_alg_table); i++) {
		if ((ops & wd_soft_core_alg_table[i].ops) !=
		    wd_soft_core_alg_table[i].ops)
			continue;
		n = strlen(wd_soft_core_alg_table[i].name);
		/* separator, name, NUL */
		if (len + !!len + n + 1 > size)
			continue;
		if (len)
			buf[len++] = '\n';
		memcpy(buf + len, wd_soft_core_alg_table[i].name, n);
		len += n;
	}
	buf[len] = '\0';
	return len;
}

void wd_soft_core_set_fail_next(struct wd_soft_core_dev *dev, int n)
{
	WRITE_ONCE(dev->fail_next, n > 0 ? n : 0);
}

int wd_soft_core_get_fail_next(struct wd_soft_core_dev *dev)
{
	return READ_ONCE(dev->fail_next);
}

/* Take one injected failure, if any is left. */
static bool wd_soft_core_fail_take(struct wd_soft_core_dev *dev)
{
	int v = READ_ONCE(dev->fail_next), old;

	while (v > 0) {
		old = cmpxchg(&dev->fail_next, v, v - 1);
		if (old == v)
			return true;
		v = old;
	}
	return false;
}

/* ---------------------------------------------------------------------- */
/* rings                                                                   */
/* ---------------------------------------------------------------------- */

/* Publish the private status to MMIO (error, if any, is written before). */
static void wd_soft_core_set_status(struct wd_soft_core_queue *q, u32 status)
{
	WRITE_ONCE(q->status, status);
	/* release: a BROKEN status is seen after its error code */
	smp_store_release(&q->mmio->status, status);
}

static void wd_soft_core_break(struct wd_soft_core_queue *q, u32 err)
{
	WRITE_ONCE(q->mmio->error, err);
	wd_soft_core_set_status(q, q->status | WD_SOFT_ST_BROKEN);
	/* let a poller see it */
	wd_soft_host_wake(q);
}

void wd_soft_core_queue_init(struct wd_soft_core_queue *q,
			     struct wd_soft_core_dev *dev, void *mmio,
			     void *dus)
{
	struct wd_soft_dus_hdr *hdr = dus;

	BUILD_BUG_ON(sizeof(struct wd_soft_mmio) > WD_SOFT_MMIO_SIZE);
	BUILD_BUG_ON(sizeof(struct wd_soft_dus_hdr) > WD_SOFT_SQ_OFF);
	BUILD_BUG_ON(WD_SOFT_DEPTH & WD_SOFT_CORE_RING_MASK);

	q->dev = dev;
	q->mmio = mmio;
	q->hdr = hdr;
	q->sq = (struct wd_soft_sqe *)((u8 *)dus + WD_SOFT_SQ_OFF);
	q->cq = (struct wd_soft_cqe *)((u8 *)dus + WD_SOFT_CQ_OFF);
	q->status = 0;
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = WD_SOFT_MAGIC;
	hdr->depth = WD_SOFT_DEPTH;
	hdr->sqe_size = sizeof(struct wd_soft_sqe);
	hdr->cqe_size = sizeof(struct wd_soft_cqe);
	hdr->sq_off = WD_SOFT_SQ_OFF;
	hdr->cq_off = WD_SOFT_CQ_OFF;
	wd_soft_core_queue_reset(q);
}

void wd_soft_core_queue_reset(struct wd_soft_core_queue *q)
{
	q->sq_head = 0;
	q->idle_since = 0;
	q->has_held = false;
	WRITE_ONCE(q->stopping, false);
	WRITE_ONCE(q->cq_tail, 0);
	WRITE_ONCE(q->mmio->sq_tail, 0);
	WRITE_ONCE(q->mmio->cq_head, 0);
	WRITE_ONCE(q->mmio->cq_notify, 0);
	WRITE_ONCE(q->mmio->error, WD_SOFT_QERR_NONE);
	wd_soft_core_set_status(q, 0);
	/* release: as in wd_soft_core_complete() */
	smp_store_release(&q->hdr->sq_head, 0);
	/* release: as in wd_soft_core_complete() */
	smp_store_release(&q->hdr->cq_tail, 0);
}

u32 wd_soft_core_queue_ready(struct wd_soft_core_queue *q)
{
	u32 sq_tail, cq_head, pending, used, room;

	if (q->status & WD_SOFT_ST_BROKEN)
		return 0;

	/* acquire: the SQEs below sq_tail are read after it */
	sq_tail = smp_load_acquire(&q->mmio->sq_tail);
	pending = sq_tail - q->sq_head;
	if (pending > WD_SOFT_DEPTH) {
		wd_soft_core_break(q, WD_SOFT_QERR_SQ_TAIL);
		return 0;
	}
	if (!pending)
		return 0;

	/* acquire: the process is done with the CQEs below cq_head */
	cq_head = smp_load_acquire(&q->mmio->cq_head);
	used = q->cq_tail - cq_head;
	if (used > WD_SOFT_DEPTH) {
		wd_soft_core_break(q, WD_SOFT_QERR_CQ_HEAD);
		return 0;
	}
	/* a held request was taken already: its CQE needs a slot too */
	room = WD_SOFT_DEPTH - used;
	if (q->has_held)
		room = room ? room - 1 : 0;
	return min(pending, room);
}

/*
 * The parking handshake, the device's half of the need-wakeup protocol.
 *
 * The process submits with: (S1) store SQEs and sq_tail (release);
 * (S2) full barrier; (S3) load status and, if NEED_WAKEUP is set, KICK.
 * The same after it stores cq_head (the device may be waiting for CQ room).
 * The device, under the host lock its KICK also takes: (E1) store
 * NEED_WAKEUP in status; (E2) smp_mb(); (E3) look at the ring once more;
 * (E4) park the queue (stop looking at it) only if E3 found nothing.
 *
 * S1-S3 and E1-E3 are two stores each followed by a full barrier and a
 * load of the other side's location, so they cannot both miss: either E3
 * sees the new sq_tail (the queue is not parked) or S3 sees NEED_WAKEUP
 * (the process kicks). Since the KICK takes the host lock, it comes after
 * E4 and puts the queue back; a kick while the queue is not parked (a
 * NEED_WAKEUP seen late) costs nothing. The kick that puts the queue back
 * clears NEED_WAKEUP (wd_soft_core_queue_unpark()), so the process kicks
 * once per park, not on every publish until the engine comes round; the
 * queue's next turn clears it too.
 */
void wd_soft_core_queue_unpark(struct wd_soft_core_queue *q)
{
	if (q->status & WD_SOFT_ST_NEED_WAKEUP)
		wd_soft_core_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
}

enum wd_soft_core_turn wd_soft_core_queue_turn(struct wd_soft_core_queue *q,
					       u64 spin_ns)
{
	if (q->status & WD_SOFT_ST_NEED_WAKEUP)
		wd_soft_core_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
	if (q->has_held || wd_soft_core_queue_ready(q)) {
		q->idle_since = 0;
		return WD_SOFT_TURN_SERVE;
	}
	if (q->status & WD_SOFT_ST_BROKEN)
		return WD_SOFT_TURN_PARK;
	if (!q->idle_since) {
		q->idle_since = wd_soft_host_now_ns();
		return WD_SOFT_TURN_IDLE;
	}
	if (wd_soft_host_now_ns() - q->idle_since < spin_ns)
		return WD_SOFT_TURN_IDLE;

	wd_soft_core_set_status(q, q->status | WD_SOFT_ST_NEED_WAKEUP); /* E1 */
	smp_mb();							/* E2 */
	if (wd_soft_core_queue_ready(q)) {				/* E3 */
		wd_soft_core_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
		q->idle_since = 0;
		return WD_SOFT_TURN_SERVE;
	}
	q->idle_since = 0;
	return WD_SOFT_TURN_PARK;					/* E4 */
}

void wd_soft_core_complete(struct wd_soft_core_queue *q, u64 user_data,
			   u32 status, u32 out_len)
{
	struct wd_soft_cqe *cqe = &q->cq[q->cq_tail & WD_SOFT_CORE_RING_MASK];

	cqe->user_data = user_data;
	cqe->status = status;
	cqe->out_len = out_len;
	WRITE_ONCE(q->cq_tail, q->cq_tail + 1);
	/* release: the process reads the CQE after it sees cq_tail */
	smp_store_release(&q->hdr->sq_head, q->sq_head);
	/* release: as above, and sq_head is published first */
	smp_store_release(&q->hdr->cq_tail, q->cq_tail);
}

/*
 * After a batch of completions: wake the pollers if the process wants it.
 *
 * The process, before it sleeps: (P1) store ARMED in cq_notify; (P2) full
 * barrier; (P3) load cq_tail and sleep in poll() only if nothing new.
 * The device: (D1) store cq_tail (wd_soft_core_complete()); (D2) smp_mb();
 * (D3) load cq_notify and wake if ARMED. Either P3 sees the new cq_tail or
 * D3 sees ARMED; poll() itself re-checks wd_soft_core_queue_updated()
 * after queueing the sleeper, which wd_soft_host_wake() must respect.
 * ENABLE is set once by the process, long before it matters; reading it
 * first saves the barrier when the process does not use cq_notify (then
 * every batch wakes, as the host's wake-up is cheap without sleepers).
 */
static void wd_soft_core_notify(struct wd_soft_core_queue *q)
{
	u32 n = READ_ONCE(q->mmio->cq_notify);

	if (n & WD_SOFT_CQN_ENABLE) {
		smp_mb();					/* D2 */
		n = READ_ONCE(q->mmio->cq_notify);		/* D3 */
		if (!(n & WD_SOFT_CQN_ARMED))
			return;
	}
	wd_soft_host_wake(q);
}

void wd_soft_core_cancel(struct wd_soft_core_queue *q)
{
	if (q->has_held) {
		q->has_held = false;
		wd_soft_core_complete(q, q->held.user_data, WD_SOFT_S_CANCELED,
				      0);
	}
	wd_soft_core_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
	wd_soft_host_wake(q);
}

bool wd_soft_core_queue_updated(struct wd_soft_core_queue *q)
{
	return READ_ONCE(q->cq_tail) != READ_ONCE(q->mmio->cq_head);
}

bool wd_soft_core_queue_broken(struct wd_soft_core_queue *q)
{
	return READ_ONCE(q->status) & WD_SOFT_ST_BROKEN;
}

u32 wd_soft_core_serve(struct wd_soft_core_ctx *ctx, u32 max_sqes,
		       u64 max_bytes)
{
	struct wd_soft_core_queue *q = ctx->q;
	u32 ready = wd_soft_core_queue_ready(q);
	struct wd_soft_sqe sqe;
	u32 done = 0, status, out_len;

	while (done < max_sqes && !READ_ONCE(q->stopping) &&
	       ctx->bytes < max_bytes) {
		if (q->has_held) {
			sqe = q->held;
			q->has_held = false;
		} else if (ready) {
			memcpy(&sqe,
			       &q->sq[q->sq_head & WD_SOFT_CORE_RING_MASK],
			       sizeof(sqe));
			/* sqe is our snapshot: the ring slot is never read
			 * again
			 */
			barrier();
			q->sq_head++;
			ready--;
		} else {
			break;
		}
		status = wd_soft_core_exec(ctx, &sqe, &out_len);
		if (status == WD_SOFT_CORE_S_HELD) {
			q->held = sqe;
			q->has_held = true;
			break;
		}
		wd_soft_core_complete(q, sqe.user_data, status, out_len);
		done++;
	}
	if (done)
		wd_soft_core_notify(q);
	return done;
}

/* ---------------------------------------------------------------------- */
/* request memory                                                          */
/* ---------------------------------------------------------------------- */

/* Between two chunks: OK to go on, or CANCELED if the queue is stopping. */
static u32 wd_soft_core_yield(struct wd_soft_core_ctx *ctx)
{
	wd_soft_host_yield(ctx);
	return READ_ONCE(ctx->q->stopping) ? WD_SOFT_S_CANCELED : WD_SOFT_S_OK;
}

/*
 * @len bytes at @addr; @extent (at least @len) bytes of the buffer piece
 * follow from @addr, then @nr_ahead more pieces at @ahead: for a host that
 * brings missing pages in ahead of the request.
 */
static u32 wd_soft_core_mem(struct wd_soft_core_ctx *ctx, void *buf, u64 addr,
			    u32 len, u64 extent,
			    const struct wd_soft_sge *ahead, u32 nr_ahead,
			    bool write)
{
	u64 end;
	long ret;

	if (!len)
		return WD_SOFT_S_OK;
	if (check_add_overflow(addr, (u64)len, &end))
		return WD_SOFT_S_BAD_ADDR;
	ctx->extent = extent > len ? extent : len;
	ctx->ahead = nr_ahead ? ahead : NULL;
	ctx->nr_ahead = nr_ahead;
	if (write)
		ret = wd_soft_host_write(ctx, addr, buf, len);
	else
		ret = wd_soft_host_read(ctx, buf, addr, len);
	if (ret == (long)len) {
		ctx->bytes += len;
		return WD_SOFT_S_OK;
	}
	if (ret == -EAGAIN)
		return WD_SOFT_CORE_S_HELD;
	if (ret == -ECANCELED || READ_ONCE(ctx->q->stopping))
		return WD_SOFT_S_CANCELED;
	if (ret == -EIO)
		return WD_SOFT_S_DEV_ERR;
	return WD_SOFT_S_BAD_ADDR;
}

/*
 * A request's source or destination: one piece (flat) or a scatter-gather
 * list of pieces, itself at a device address, copied into the engine once
 * and walked from that copy.
 */
struct wd_soft_core_buf {
	const struct wd_soft_sge *sge;	/* the pieces: the SGL copy, or &flat */
	struct wd_soft_sge flat;
	u32 nents;
	u32 idx;			/* piece of the next byte */
	u32 off;			/* offset of the next byte in it */
	u64 len;			/* total bytes */
	u64 pos;			/* bytes walked */
};

enum wd_soft_core_dir {
	WD_SOFT_CORE_SRC,
	WD_SOFT_CORE_DST,
};

/*
 * With the SGL flag for @dir, src/dst is the device address of src_len /
 * dst_len struct wd_soft_sge, read once into the engine; more than
 * WD_SOFT_CORE_MAX_SGE entries or a non-zero rsvd is INVAL, an unreadable
 * list BAD_ADDR. Entries of length 0 are allowed. Without it, src/dst is
 * one piece of src_len / dst_len bytes.
 */
static u32 wd_soft_core_buf_init(struct wd_soft_core_ctx *ctx,
				 struct wd_soft_core_buf *buf,
				 enum wd_soft_core_dir dir,
				 const struct wd_soft_sqe *sqe)
{
	bool src = dir == WD_SOFT_CORE_SRC;
	u16 flag = src ? WD_SOFT_SQE_F_SRC_SGL : WD_SOFT_SQE_F_DST_SGL;
	u64 addr = src ? sqe->src : sqe->dst;
	u32 n = src ? sqe->src_len : sqe->dst_len;
	struct wd_soft_sge *sge;
	u32 i, ret;

	buf->idx = 0;
	buf->off = 0;
	buf->pos = 0;
	if (!(sqe->flags & flag)) {
		buf->flat.addr = addr;
		buf->flat.len = n;
		buf->flat.rsvd = 0;
		buf->sge = &buf->flat;
		buf->nents = 1;
		buf->len = n;
		return WD_SOFT_S_OK;
	}

	if (n > WD_SOFT_CORE_MAX_SGE)
		return WD_SOFT_S_INVAL;
	sge = ctx->eng->sgl + (src ? 0 : WD_SOFT_CORE_MAX_SGE);
	ret = wd_soft_core_mem(ctx, sge, addr, n * (u32)sizeof(*sge), 0, NULL, 0,
			       false);
	if (ret)
		return ret;
	buf->sge = sge;
	buf->nents = n;
	buf->len = 0;
	for (i = 0; i < n; i++) {
		if (sge[i].rsvd)
			return WD_SOFT_S_INVAL;
		buf->len += sge[i].len;
	}
	return WD_SOFT_S_OK;
}

/* The next @len bytes of @buf, to or from @data; @len <= what is left. */
static u32 wd_soft_core_buf_access(struct wd_soft_core_ctx *ctx,
				   struct wd_soft_core_buf *buf, void *data,
				   u32 len, bool write)
{
	const struct wd_soft_sge *sge;
	u8 *p = data;
	u32 n, ret;

	while (len) {
		if (buf->idx == buf->nents)
			return WD_SOFT_S_INVAL;
		sge = &buf->sge[buf->idx];
		if (buf->off == sge->len) {
			buf->idx++;
			buf->off = 0;
			continue;
		}
		n = min(len, sge->len - buf->off);
		ret = wd_soft_core_mem(ctx, p, sge->addr + buf->off, n,
				       sge->len - buf->off, sge + 1,
				       buf->nents - buf->idx - 1, write);
		if (ret)
			return ret;
		buf->off += n;
		buf->pos += n;
		p += n;
		len -= n;
	}
	return WD_SOFT_S_OK;
}

static u32 wd_soft_core_buf_read(struct wd_soft_core_ctx *ctx,
				 struct wd_soft_core_buf *buf, void *data,
				 u32 len)
{
	return wd_soft_core_buf_access(ctx, buf, data, len, false);
}

static u32 wd_soft_core_buf_write(struct wd_soft_core_ctx *ctx,
				  struct wd_soft_core_buf *buf,
				  const void *data, u32 len)
{
	return wd_soft_core_buf_access(ctx, buf, (void *)data, len, true);
}

/* Read @len bytes at offset @off of @buf without moving its position. */
static u32 wd_soft_core_buf_pread(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_core_buf *buf, u64 off,
				  void *data, u32 len)
{
	struct wd_soft_core_buf b = *buf;

	if (buf->sge == &buf->flat)
		b.sge = &b.flat;
	b.idx = 0;
	b.off = 0;
	b.pos = 0;
	while (b.idx < b.nents && off >= b.sge[b.idx].len) {
		off -= b.sge[b.idx].len;
		b.idx++;
	}
	b.off = (u32)off;
	return wd_soft_core_buf_read(ctx, &b, data, len);
}

/*
 * Source reader: the source moves through the engine's input buffer one
 * chunk at a time; @pos..@end is what is left of the current chunk.
 */
struct wd_soft_core_in {
	struct wd_soft_core_buf *src;
	u8 *buf;
	u32 pos;
	u32 end;
	bool started;
};

static void wd_soft_core_in_init(struct wd_soft_core_ctx *ctx,
				 struct wd_soft_core_in *in,
				 struct wd_soft_core_buf *src)
{
	in->src = src;
	in->buf = ctx->eng->in;
	in->pos = 0;
	in->end = 0;
	in->started = false;
}

/* All of the source consumed? */
static bool wd_soft_core_in_eof(const struct wd_soft_core_in *in)
{
	return in->pos == in->end && in->src->pos == in->src->len;
}

/* If the current chunk is used up, load the next one (if any). */
static u32 wd_soft_core_in_fill(struct wd_soft_core_ctx *ctx,
				struct wd_soft_core_in *in)
{
	u32 n, ret;

	if (in->pos < in->end || in->src->pos == in->src->len)
		return WD_SOFT_S_OK;
	if (in->started) {
		ret = wd_soft_core_yield(ctx);
		if (ret)
			return ret;
	}
	in->started = true;
	n = (u32)min_t(u64, in->src->len - in->src->pos, WD_SOFT_CORE_CHUNK);
	ret = wd_soft_core_buf_read(ctx, in->src, in->buf, n);
	if (ret)
		return ret;
	in->pos = 0;
	in->end = n;
	return WD_SOFT_S_OK;
}

/* One byte of the source; running out of source is CORRUPT (truncated). */
static u32 wd_soft_core_in_byte(struct wd_soft_core_ctx *ctx,
				struct wd_soft_core_in *in, u8 *byte)
{
	u32 ret = wd_soft_core_in_fill(ctx, in);

	if (ret)
		return ret;
	if (in->pos == in->end)
		return WD_SOFT_S_CORRUPT;
	*byte = in->buf[in->pos++];
	return WD_SOFT_S_OK;
}

/*
 * Output writer: output collects in the engine's output buffer (@len bytes
 * pending) and goes to the destination when it is full and at the end.
 * @cap is what the destination can take (out_len is 32 bits).
 */
struct wd_soft_core_out {
	struct wd_soft_core_buf *dst;
	u8 *buf;
	u32 len;
	u64 cap;
	u64 total;
};

static void wd_soft_core_out_init(struct wd_soft_core_ctx *ctx,
				  struct wd_soft_core_out *out,
				  struct wd_soft_core_buf *dst)
{
	out->dst = dst;
	out->buf = ctx->eng->out;
	out->len = 0;
	out->cap = min_t(u64, dst->len, U32_MAX);
	out->total = 0;
}

/* Write what is pending; DST_SMALL if it does not fit. */
static u32 wd_soft_core_out_flush(struct wd_soft_core_ctx *ctx,
				  struct wd_soft_core_out *out, bool last)
{
	u32 ret;

	if (!out->len)
		return WD_SOFT_S_OK;
	if (out->len > out->cap - out->dst->pos)
		return WD_SOFT_S_DST_SMALL;
	ret = wd_soft_core_buf_write(ctx, out->dst, out->buf, out->len);
	if (ret)
		return ret;
	out->len = 0;
	return last ? WD_SOFT_S_OK : wd_soft_core_yield(ctx);
}

/*
 * The output is complete: write what is pending. When that does not fit,
 * the size needed is known exactly: DST_SMALL with out_len = that size.
 */
static u32 wd_soft_core_out_end(struct wd_soft_core_ctx *ctx,
				struct wd_soft_core_out *out, u32 *out_len)
{
	u32 ret = wd_soft_core_out_flush(ctx, out, true);

	if (ret == WD_SOFT_S_OK || ret == WD_SOFT_S_DST_SMALL)
		*out_len = out->total > U32_MAX ? 0 : (u32)out->total;
	return ret;
}

/* Append @len bytes of framing (header, trailer) to the output. */
static u32 wd_soft_core_out_put(struct wd_soft_core_ctx *ctx,
				struct wd_soft_core_out *out, const u8 *data,
				u32 len)
{
	u32 ret;

	if (len > WD_SOFT_CORE_CHUNK - out->len) {
		ret = wd_soft_core_out_flush(ctx, out, false);
		if (ret)
			return ret;
	}
	memcpy(out->buf + out->len, data, len);
	out->len += len;
	out->total += len;
	return WD_SOFT_S_OK;
}

/* ---------------------------------------------------------------------- */
/* operations                                                              */
/* ---------------------------------------------------------------------- */

static u32 wd_soft_core_op_nop(struct wd_soft_core_ctx *ctx,
			       const struct wd_soft_sqe *sqe, u32 *out_len)
{
	(void)ctx;
	(void)out_len;
	return sqe->params ? WD_SOFT_S_INVAL : WD_SOFT_S_OK;
}

/*
 * The source and destination of a data operation: the source is read and
 * checked (size at most WD_SOFT_CORE_MAX_SRC), then the destination.
 */
static u32 wd_soft_core_bufs(struct wd_soft_core_ctx *ctx,
			     const struct wd_soft_sqe *sqe,
			     struct wd_soft_core_buf *src,
			     struct wd_soft_core_buf *dst)
{
	u32 ret;

	ret = wd_soft_core_buf_init(ctx, src, WD_SOFT_CORE_SRC, sqe);
	if (ret)
		return ret;
	if (src->len > WD_SOFT_CORE_MAX_SRC)
		return WD_SOFT_S_INVAL;
	return wd_soft_core_buf_init(ctx, dst, WD_SOFT_CORE_DST, sqe);
}

/*
 * The source's bytes, in order, to the start of the destination; flat or
 * SGL on either side. Overlapping buffers give an undefined result.
 */
static u32 wd_soft_core_op_copy(struct wd_soft_core_ctx *ctx,
				const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_buf src, dst;
	u8 *bounce = ctx->eng->in;
	u32 left, n, ret;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_core_bufs(ctx, sqe, &src, &dst);
	if (ret)
		return ret;
	if (dst.len < src.len) {
		*out_len = (u32)src.len;
		return WD_SOFT_S_DST_SMALL;
	}

	for (left = (u32)src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CORE_CHUNK);
		ret = wd_soft_core_buf_read(ctx, &src, bounce, n);
		if (ret)
			return ret;
		ret = wd_soft_core_buf_write(ctx, &dst, bounce, n);
		if (ret)
			return ret;
		if (left > n) {
			ret = wd_soft_core_yield(ctx);
			if (ret)
				return ret;
		}
	}
	*out_len = (u32)src.len;
	return WD_SOFT_S_OK;
}

static u32 wd_soft_core_errno(int err)
{
	return err == -EBADMSG ? WD_SOFT_S_CORRUPT : WD_SOFT_S_DEV_ERR;
}

/*
 * The digests: params checked, source read, destination at least @size
 * bytes (else DST_SMALL with out_len @size, no data read), then the source
 * goes through the backend chunk by chunk and the result to the
 * destination.
 */
static u32 wd_soft_core_digest_bufs(struct wd_soft_core_ctx *ctx,
				    const struct wd_soft_sqe *sqe,
				    struct wd_soft_core_buf *src,
				    struct wd_soft_core_buf *dst, u32 size,
				    u32 *out_len)
{
	u32 ret = wd_soft_core_bufs(ctx, sqe, src, dst);

	if (ret)
		return ret;
	if (dst->len < size) {
		*out_len = size;
		return WD_SOFT_S_DST_SMALL;
	}
	return WD_SOFT_S_OK;
}

static u32 wd_soft_core_op_crc32c(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_buf src, dst;
	u8 *bounce = ctx->eng->in;
	u32 crc = sqe->params;
	u8 res[WD_SOFT_CORE_CRC32C_SIZE];
	u32 left, n, ret;
	int err;

	ret = wd_soft_core_digest_bufs(ctx, sqe, &src, &dst, sizeof(res),
				       out_len);
	if (ret)
		return ret;
	for (left = (u32)src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CORE_CHUNK);
		ret = wd_soft_core_buf_read(ctx, &src, bounce, n);
		if (ret)
			return ret;
		err = wd_soft_host_crc32c(ctx, &crc, bounce, n);
		if (err)
			return WD_SOFT_S_DEV_ERR;
		if (left > n) {
			ret = wd_soft_core_yield(ctx);
			if (ret)
				return ret;
		}
	}
	put_unaligned_le32(crc, res);
	ret = wd_soft_core_buf_write(ctx, &dst, res, sizeof(res));
	if (ret)
		return ret;
	*out_len = sizeof(res);
	return WD_SOFT_S_OK;
}

static u32 wd_soft_core_op_sha256(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_buf src, dst;
	u8 *bounce = ctx->eng->in;
	u8 digest[WD_SOFT_CORE_SHA256_SIZE];
	u32 left, n, ret;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_core_digest_bufs(ctx, sqe, &src, &dst, sizeof(digest),
				       out_len);
	if (ret)
		return ret;
	if (wd_soft_host_sha256_init(ctx))
		return WD_SOFT_S_DEV_ERR;
	for (left = (u32)src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CORE_CHUNK);
		ret = wd_soft_core_buf_read(ctx, &src, bounce, n);
		if (ret)
			return ret;
		if (wd_soft_host_sha256_update(ctx, bounce, n))
			return WD_SOFT_S_DEV_ERR;
		if (left > n) {
			ret = wd_soft_core_yield(ctx);
			if (ret)
				return ret;
		}
	}
	if (wd_soft_host_sha256_final(ctx, digest))
		return WD_SOFT_S_DEV_ERR;
	ret = wd_soft_core_buf_write(ctx, &dst, digest, sizeof(digest));
	if (ret)
		return ret;
	*out_len = sizeof(digest);
	return WD_SOFT_S_OK;
}

/*
 * Compression: the whole source becomes one stream (raw deflate, zlib, or
 * a gzip member: header, raw deflate, CRC-32 and ISIZE).
 */
static u32 wd_soft_core_compress(struct wd_soft_core_ctx *ctx,
				 const struct wd_soft_sqe *sqe, u32 *out_len,
				 enum wd_soft_zwrap wrap, bool gzip)
{
	struct wd_soft_core_buf src, dst;
	struct wd_soft_core_out out;
	struct wd_soft_core_in in;
	struct wd_soft_zstream zs;
	u32 level = sqe->params, ret, crc = 0, room;
	u8 frame[GZ_HDR_SIZE];
	bool finish, progress;
	int err;

	if (level > 9)
		return WD_SOFT_S_INVAL;
	if (!level)
		level = WD_SOFT_CORE_DEF_LEVEL;
	ret = wd_soft_core_bufs(ctx, sqe, &src, &dst);
	if (ret)
		return ret;
	wd_soft_core_in_init(ctx, &in, &src);
	wd_soft_core_out_init(ctx, &out, &dst);

	if (gzip) {
		memset(frame, 0, sizeof(frame));
		frame[0] = GZ_ID1;
		frame[1] = GZ_ID2;
		frame[2] = GZ_CM_DEFLATE;
		/* FLG 0, MTIME 0; XFL: 2 slowest, 4 fastest */
		frame[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
		frame[9] = GZ_OS_UNIX;
		ret = wd_soft_core_out_put(ctx, &out, frame, GZ_HDR_SIZE);
		if (ret)
			return ret;
	}

	err = wd_soft_host_zinit(ctx, WD_SOFT_ZDEFLATE, wrap, (int)level);
	if (err)
		return WD_SOFT_S_DEV_ERR;
	for (;;) {
		if (in.pos == in.end) {
			ret = wd_soft_core_in_fill(ctx, &in);
			if (ret)
				break;
			if (gzip && in.pos < in.end)
				crc = wd_soft_host_crc32(crc, in.buf, in.end);
		}
		finish = src.pos == src.len;
		room = WD_SOFT_CORE_CHUNK - out.len;
		zs.next_in = in.buf + in.pos;
		zs.avail_in = in.end - in.pos;
		zs.next_out = out.buf + out.len;
		zs.avail_out = room;
		err = wd_soft_host_zrun(ctx, &zs, finish);
		progress = zs.avail_in != in.end - in.pos ||
			   zs.avail_out != room;
		in.pos = in.end - zs.avail_in;
		out.len += room - zs.avail_out;
		out.total += room - zs.avail_out;
		if (err < 0) {
			ret = WD_SOFT_S_DEV_ERR;
			break;
		}
		if (err == 1) {
			ret = WD_SOFT_S_OK;
			break;
		}
		if (!zs.avail_out) {
			ret = wd_soft_core_out_flush(ctx, &out, false);
			if (ret)
				break;
			continue;
		}
		/* input left, or all given with finish: it must move */
		if (!progress && (zs.avail_in || finish)) {
			ret = WD_SOFT_S_DEV_ERR;
			break;
		}
	}
	wd_soft_host_zend(ctx);
	if (ret)
		return ret;

	if (gzip) {
		put_unaligned_le32(crc, frame);
		put_unaligned_le32((u32)src.len, frame + 4);
		ret = wd_soft_core_out_put(ctx, &out, frame, GZ_TRAILER_SIZE);
		if (ret)
			return ret;
	}
	return wd_soft_core_out_end(ctx, &out, out_len);
}

/*
 * Decompress one stream from the source's current position: up to its end
 * (which the backend recognises), producing into @out. For gzip, *@crc
 * accumulates the CRC-32 of the output (else @crc is NULL) and *@size its
 * length.
 */
static u32 wd_soft_core_inflate_stream(struct wd_soft_core_ctx *ctx,
				       struct wd_soft_core_in *in,
				       struct wd_soft_core_out *out,
				       enum wd_soft_zwrap wrap, u32 *crc,
				       u64 *size)
{
	struct wd_soft_zstream zs;
	u32 ret, room, produced;
	bool progress;
	int err;

	err = wd_soft_host_zinit(ctx, WD_SOFT_ZINFLATE, wrap, 0);
	if (err)
		return WD_SOFT_S_DEV_ERR;
	for (;;) {
		ret = wd_soft_core_in_fill(ctx, in);
		if (ret)
			break;
		room = WD_SOFT_CORE_CHUNK - out->len;
		zs.next_in = in->buf + in->pos;
		zs.avail_in = in->end - in->pos;
		zs.next_out = out->buf + out->len;
		zs.avail_out = room;
		err = wd_soft_host_zrun(ctx, &zs, false);
		produced = room - zs.avail_out;
		progress = zs.avail_in != in->end - in->pos || produced;
		if (crc && produced)
			*crc = wd_soft_host_crc32(*crc, out->buf + out->len,
						  produced);
		in->pos = in->end - zs.avail_in;
		out->len += produced;
		out->total += produced;
		*size += produced;
		if (err < 0) {
			ret = wd_soft_core_errno(err);
			break;
		}
		if (err == 1) {
			ret = WD_SOFT_S_OK;
			break;
		}
		if (!zs.avail_out) {
			ret = wd_soft_core_out_flush(ctx, out, false);
			if (ret)
				break;
			continue;
		}
		if (!progress) {
			/* all input given, room left, no end: truncated */
			ret = wd_soft_core_in_eof(in) ? WD_SOFT_S_CORRUPT :
							WD_SOFT_S_DEV_ERR;
			break;
		}
	}
	wd_soft_host_zend(ctx);
	return ret;
}

/* A gzip member header; anything unexpected is CORRUPT. */
static u32 wd_soft_core_gzip_header(struct wd_soft_core_ctx *ctx,
				    struct wd_soft_core_in *in)
{
	u8 hdr[GZ_HDR_SIZE], b, flg;
	u32 ret, hcrc, i, xlen;
	int field;

	for (i = 0; i < GZ_HDR_SIZE; i++) {
		ret = wd_soft_core_in_byte(ctx, in, &hdr[i]);
		if (ret)
			return ret;
	}
	flg = hdr[3];
	if (hdr[0] != GZ_ID1 || hdr[1] != GZ_ID2 || hdr[2] != GZ_CM_DEFLATE ||
	    (flg & GZ_FRESERVED))
		return WD_SOFT_S_CORRUPT;
	hcrc = wd_soft_host_crc32(0, hdr, GZ_HDR_SIZE);

	if (flg & GZ_FEXTRA) {
		xlen = 0;
		for (i = 0; i < 2; i++) {
			ret = wd_soft_core_in_byte(ctx, in, &b);
			if (ret)
				return ret;
			hcrc = wd_soft_host_crc32(hcrc, &b, 1);
			xlen |= (u32)b << (8 * i);
		}
		while (xlen--) {
			ret = wd_soft_core_in_byte(ctx, in, &b);
			if (ret)
				return ret;
			hcrc = wd_soft_host_crc32(hcrc, &b, 1);
		}
	}
	/* FNAME, then FCOMMENT: zero-terminated */
	for (field = 0; field < 2; field++) {
		if (!(flg & (field ? GZ_FCOMMENT : GZ_FNAME)))
			continue;
		do {
			ret = wd_soft_core_in_byte(ctx, in, &b);
			if (ret)
				return ret;
			hcrc = wd_soft_host_crc32(hcrc, &b, 1);
		} while (b);
	}
	if (flg & GZ_FHCRC) {
		u8 c[2];

		for (i = 0; i < 2; i++) {
			ret = wd_soft_core_in_byte(ctx, in, &c[i]);
			if (ret)
				return ret;
		}
		if (get_unaligned_le16(c) != (u16)hcrc)
			return WD_SOFT_S_CORRUPT;
	}
	return WD_SOFT_S_OK;
}

/*
 * The ISIZE a gzip source claims in its last four bytes: the size needed
 * when the source is one member. Only a hint (*@hint 0: none) for
 * DST_SMALL; the status is DST_SMALL, or HELD when the read must wait.
 */
static u32 wd_soft_core_gzip_isize(struct wd_soft_core_ctx *ctx,
				   const struct wd_soft_core_buf *src,
				   const struct wd_soft_core_out *out,
				   u32 *hint)
{
	u8 isize[4];
	u32 v, ret;

	*hint = 0;
	if (src->len < GZ_HDR_SIZE + GZ_TRAILER_SIZE)
		return WD_SOFT_S_DST_SMALL;
	ret = wd_soft_core_buf_pread(ctx, src, src->len - 4, isize, 4);
	if (ret == WD_SOFT_CORE_S_HELD)
		return ret;
	if (!ret) {
		v = get_unaligned_le32(isize);
		*hint = v > out->cap ? v : 0;
	}
	return WD_SOFT_S_DST_SMALL;
}

/*
 * Decompression: the source is exactly one stream (raw deflate, zlib) or
 * one or more gzip members; anything after that is CORRUPT, so is a
 * truncated stream or a wrong check value.
 */
static u32 wd_soft_core_decompress(struct wd_soft_core_ctx *ctx,
				   const struct wd_soft_sqe *sqe, u32 *out_len,
				   enum wd_soft_zwrap wrap, bool gzip)
{
	struct wd_soft_core_buf src, dst;
	struct wd_soft_core_out out;
	struct wd_soft_core_in in;
	u32 ret, crc, i, members = 0;
	u8 trailer[GZ_TRAILER_SIZE];
	u64 size = 0;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_core_bufs(ctx, sqe, &src, &dst);
	if (ret)
		return ret;
	wd_soft_core_in_init(ctx, &in, &src);
	wd_soft_core_out_init(ctx, &out, &dst);

	if (!gzip) {
		ret = wd_soft_core_inflate_stream(ctx, &in, &out, wrap, NULL,
						  &size);
		if (!ret && !wd_soft_core_in_eof(&in))
			ret = WD_SOFT_S_CORRUPT;
	} else {
		do {
			ret = wd_soft_core_gzip_header(ctx, &in);
			if (ret)
				break;
			crc = 0;
			size = 0;
			ret = wd_soft_core_inflate_stream(ctx, &in, &out,
							  WD_SOFT_ZRAW, &crc,
							  &size);
			if (ret)
				break;
			for (i = 0; i < GZ_TRAILER_SIZE; i++) {
				ret = wd_soft_core_in_byte(ctx, &in,
							   &trailer[i]);
				if (ret)
					break;
			}
			if (ret)
				break;
			if (get_unaligned_le32(trailer) != crc ||
			    get_unaligned_le32(trailer + 4) != (u32)size) {
				ret = WD_SOFT_S_CORRUPT;
				break;
			}
			members++;
			ret = wd_soft_core_in_fill(ctx, &in);
		} while (!ret && !wd_soft_core_in_eof(&in));
	}
	if (!ret)
		return wd_soft_core_out_end(ctx, &out, out_len);
	if (ret == WD_SOFT_S_DST_SMALL && gzip && !members)
		ret = wd_soft_core_gzip_isize(ctx, &src, &out, out_len);
	return ret;
}

static u32 wd_soft_core_op_deflate(struct wd_soft_core_ctx *ctx,
				   const struct wd_soft_sqe *sqe, u32 *out_len)
{
	return wd_soft_core_compress(ctx, sqe, out_len, WD_SOFT_ZRAW, false);
}

static u32 wd_soft_core_op_inflate(struct wd_soft_core_ctx *ctx,
				   const struct wd_soft_sqe *sqe, u32 *out_len)
{
	return wd_soft_core_decompress(ctx, sqe, out_len, WD_SOFT_ZRAW, false);
}

static u32 wd_soft_core_op_zlib_comp(struct wd_soft_core_ctx *ctx,
				     const struct wd_soft_sqe *sqe,
				     u32 *out_len)
{
	return wd_soft_core_compress(ctx, sqe, out_len, WD_SOFT_ZLIB, false);
}

static u32 wd_soft_core_op_zlib_decomp(struct wd_soft_core_ctx *ctx,
				       const struct wd_soft_sqe *sqe,
				       u32 *out_len)
{
	return wd_soft_core_decompress(ctx, sqe, out_len, WD_SOFT_ZLIB, false);
}

static u32 wd_soft_core_op_gzip_comp(struct wd_soft_core_ctx *ctx,
				     const struct wd_soft_sqe *sqe,
				     u32 *out_len)
{
	return wd_soft_core_compress(ctx, sqe, out_len, WD_SOFT_ZRAW, true);
}

static u32 wd_soft_core_op_gzip_decomp(struct wd_soft_core_ctx *ctx,
				       const struct wd_soft_sqe *sqe,
				       u32 *out_len)
{
	return wd_soft_core_decompress(ctx, sqe, out_len, WD_SOFT_ZRAW, true);
}

typedef u32 (*wd_soft_core_op_fn)(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_sqe *sqe, u32 *out_len);

static const wd_soft_core_op_fn wd_soft_core_ops[WD_SOFT_OP_MAX] = {
	[WD_SOFT_OP_NOP]		= wd_soft_core_op_nop,
	[WD_SOFT_OP_COPY]		= wd_soft_core_op_copy,
	[WD_SOFT_OP_CRC32C]		= wd_soft_core_op_crc32c,
	[WD_SOFT_OP_SHA256]		= wd_soft_core_op_sha256,
	[WD_SOFT_OP_DEFLATE]		= wd_soft_core_op_deflate,
	[WD_SOFT_OP_INFLATE]		= wd_soft_core_op_inflate,
	[WD_SOFT_OP_ZLIB_COMP]		= wd_soft_core_op_zlib_comp,
	[WD_SOFT_OP_ZLIB_DECOMP]	= wd_soft_core_op_zlib_decomp,
	[WD_SOFT_OP_GZIP_COMP]		= wd_soft_core_op_gzip_comp,
	[WD_SOFT_OP_GZIP_DECOMP]	= wd_soft_core_op_gzip_decomp,
};

int wd_soft_core_zret(int zret)
{
	switch (zret) {
	case WD_SOFT_Z_OK:
	case WD_SOFT_Z_BUF_ERROR:
		return 0;
	case WD_SOFT_Z_STREAM_END:
		return 1;
	case WD_SOFT_Z_DATA_ERROR:
	case WD_SOFT_Z_NEED_DICT:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

u32 wd_soft_core_exec(struct wd_soft_core_ctx *ctx,
		      const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_dev *dev = ctx->q->dev;
	u32 status;

	*out_len = 0;
	if (wd_soft_core_fail_take(dev)) {
		status = WD_SOFT_S_DEV_ERR;
	} else if ((sqe->flags & ~WD_SOFT_SQE_F_SUPPORTED) ||
		   sqe->rsvd[0] || sqe->rsvd[1] || sqe->rsvd[2]) {
		status = WD_SOFT_S_INVAL;
	} else if (sqe->op >= WD_SOFT_OP_MAX ||
		   !(dev->ops & WD_SOFT_CORE_OP(sqe->op))) {
		status = WD_SOFT_S_BAD_OP;
	} else {
		status = wd_soft_core_ops[sqe->op](ctx, sqe, out_len);
	}
	if (status == WD_SOFT_CORE_S_HELD)
		return status;
	if (status == WD_SOFT_S_DEV_ERR)
		wd_soft_host_report_error(ctx->q);
	/* out_len means something for OK and DST_SMALL only */
	if (status != WD_SOFT_S_OK && status != WD_SOFT_S_DST_SMALL)
		*out_len = 0;
	return status;
}
