// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wd_soft_buf.c: request memory, for the operations (wd_soft_ops.c,
 * wd_soft_stream.c): a request's source and destination buffers (flat or
 * scatter-gather), reached only through the host: in place where it maps
 * them (wd_soft_host_map(), as DMA would), else copied (wd_soft_host_copy())
 * in chunks of at most WD_SOFT_CORE_CHUNK bytes.
 * Part of the engine core (wd_soft_core.c, sources.mk).
 */
#include "wd_soft_core.h"
#include "wd_soft_core_priv.h"

void wd_soft_core_unmap(struct wd_soft_core_ctx *ctx)
{
	if (ctx->mapped) {
		ctx->mapped = false;
		wd_soft_host_unmap(ctx);
	}
}

/* Between two chunks: OK to go on, or CANCELED if the queue is stopping. */
u32 wd_soft_core_yield(struct wd_soft_core_ctx *ctx)
{
	/*
	 * No mapping lives across a yield: a long request does not keep
	 * the owner's pages pinned for as long as it runs.
	 */
	wd_soft_core_unmap(ctx);
	wd_soft_host_yield(ctx);
	return READ_ONCE(ctx->q->stopping) ? WD_SOFT_S_CANCELED : WD_SOFT_S_OK;
}

long wd_soft_core_region_copy(void *kaddr, u64 base, u64 size, void *buf,
			      u64 addr, u32 len, bool write)
{
	u8 *p;

	if (addr < base || addr - base > size || len > size - (addr - base))
		return -EFAULT;
	p = (u8 *)kaddr + (addr - base);
	if (write)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
	return len;
}

long wd_soft_core_region_map(void *kaddr, u64 base, u64 size, u64 addr,
			     u64 len, void **p)
{
	if (addr < base || addr - base > size || len > size - (addr - base))
		return 0;
	*p = (u8 *)kaddr + (addr - base);
	return (long)len;
}

/* A host's failed copy or map: the status it means. */
static u32 wd_soft_core_host_err(struct wd_soft_core_ctx *ctx, long ret)
{
	if (ret == -ECANCELED || READ_ONCE(ctx->q->stopping))
		return WD_SOFT_S_CANCELED;
	if (ret == -EIO)
		return WD_SOFT_S_DEV_ERR;
	return WD_SOFT_S_BAD_ADDR;
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
	ret = wd_soft_host_copy(ctx, buf, addr, len, write);
	if (ret == (long)len) {
		ctx->bytes += len;
		WRITE_ONCE(ctx->eng->copied, ctx->eng->copied + len);
		return WD_SOFT_S_OK;
	}
	if (ret == -EAGAIN)
		return WD_SOFT_CORE_S_HELD;
	return wd_soft_core_host_err(ctx, ret);
}

/*
 * @len bytes at @addr, one flat piece outside the source and destination
 * (the SHA-256 state of WD_SOFT_SQE_F_STATE): the same translation and
 * checks as a flat source's, nothing to bring in ahead.
 */
u32 wd_soft_core_flat_access(struct wd_soft_core_ctx *ctx, u64 addr,
			     void *data, u32 len, bool write)
{
	return wd_soft_core_mem(ctx, data, addr, len, len, NULL, 0, write);
}

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

u32 wd_soft_core_buf_read(struct wd_soft_core_ctx *ctx,
			  struct wd_soft_core_buf *buf, void *data,
			  u32 len)
{
	return wd_soft_core_buf_access(ctx, buf, data, len, false);
}

u32 wd_soft_core_buf_write(struct wd_soft_core_ctx *ctx,
			   struct wd_soft_core_buf *buf,
			   const void *data, u32 len)
{
	return wd_soft_core_buf_access(ctx, buf, (void *)data, len, true);
}

u32 wd_soft_core_map(struct wd_soft_core_ctx *ctx, u64 addr, u32 len,
		     bool write, void **p, u32 *n)
{
	u64 end;
	long ret;

	*n = 0;
	if (!len)
		return WD_SOFT_S_OK;
	if (check_add_overflow(addr, (u64)len, &end))
		return WD_SOFT_S_BAD_ADDR;
	ret = wd_soft_host_map(ctx, addr, len, write, p);
	if (ret > 0) {
		ctx->mapped = true;
		*n = ret < (long)len ? (u32)ret : len;
		ctx->bytes += *n;
		WRITE_ONCE(ctx->eng->mapped, ctx->eng->mapped + *n);
		return WD_SOFT_S_OK;
	}
	/* -EAGAIN is not the host's to answer here: the copy path asks
	 * for the page
	 */
	if (!ret || ret == -EAGAIN)
		return WD_SOFT_S_OK;
	return wd_soft_core_host_err(ctx, ret);
}

u32 wd_soft_core_buf_map(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_buf *buf, u32 len, bool write,
			 void **p, u32 *n)
{
	const struct wd_soft_sge *sge;
	u32 ret;

	*n = 0;
	if (!len)
		return WD_SOFT_S_OK;
	/* the piece of the next byte: past the used-up and empty ones */
	for (;;) {
		if (buf->idx == buf->nents)
			return WD_SOFT_S_INVAL;
		sge = &buf->sge[buf->idx];
		if (buf->off != sge->len)
			break;
		buf->idx++;
		buf->off = 0;
	}
	ret = wd_soft_core_map(ctx, sge->addr + buf->off,
			       min(len, sge->len - buf->off), write, p, n);
	if (ret)
		return ret;
	buf->off += *n;
	buf->pos += *n;
	return WD_SOFT_S_OK;
}

u32 wd_soft_core_buf_get(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_buf *buf, u32 len, void *bounce,
			 const void **p, u32 *n)
{
	void *m;
	u32 ret;

	ret = wd_soft_core_buf_map(ctx, buf, len, false, &m, n);
	if (ret)
		return ret;
	if (*n) {
		*p = m;
		return WD_SOFT_S_OK;
	}
	*n = wd_soft_core_buf_piece(buf, len);
	*p = bounce;
	return wd_soft_core_buf_read(ctx, buf, bounce, *n);
}

u32 wd_soft_core_buf_put(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_buf *buf, const void *data,
			 u32 len)
{
	const u8 *d = data;
	u32 n, ret;
	void *p;

	while (len) {
		ret = wd_soft_core_buf_map(ctx, buf, len, true, &p, &n);
		if (ret)
			return ret;
		if (n) {
			/* memmove: source and destination may overlap (the
			 * result is undefined, not the behaviour)
			 */
			memmove(p, d, n);
		} else {
			n = wd_soft_core_buf_piece(buf, len);
			ret = wd_soft_core_buf_write(ctx, buf, d, n);
			if (ret)
				return ret;
		}
		d += n;
		len -= n;
	}
	return WD_SOFT_S_OK;
}

/* Read @len bytes at offset @off of @buf without moving its position. */
u32 wd_soft_core_buf_pread(struct wd_soft_core_ctx *ctx,
			   const struct wd_soft_core_buf *buf, u64 off,
			   void *data, u32 len)
{
	struct wd_soft_core_buf b = *buf;

	if (buf->sge == &buf->flat)
		b.sge = &b.flat;
	wd_soft_core_buf_rewind(&b);
	while (b.idx < b.nents && off >= b.sge[b.idx].len) {
		off -= b.sge[b.idx].len;
		b.idx++;
	}
	b.off = (u32)off;
	return wd_soft_core_buf_read(ctx, &b, data, len);
}

/*
 * The source and destination of a data operation: the source is read and
 * checked (size at most WD_SOFT_CORE_MAX_SRC), then the destination.
 */
u32 wd_soft_core_bufs(struct wd_soft_core_ctx *ctx,
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
