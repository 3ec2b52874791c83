// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: how an engine reaches the buffers a request names.
 *
 *  SVA      addresses are the owner's virtual addresses. The engine borrows
 *           the owner's mm (only while it is alive) and uses
 *           copy_{from,to}_user(), which faults pages in like a device with
 *           page-request support would; an address the owner cannot access
 *           (unmapped, or read-only for a destination) fails the request.
 *  PASID    no faults, no page table: only the queue's SS region (its own or
 *           one shared to it) is reachable, at the user addresses where the
 *           owner mapped it; the engine uses the region's kernel mapping.
 *  NOIOMMU  addresses are bus addresses inside the SS region
 *           (UACCE_CMD_GET_SS_DMA), reached through its kernel mapping.
 *
 * Anything else fails the request with WD_SOFT_S_BAD_ADDR.
 *
 * A request's source or destination is one piece (flat) or a scatter-gather
 * list of pieces (struct wd_soft_sge, itself at a device address). An SGL is
 * copied into the engine once, checked, and then walked from that copy.
 */
#include <linux/kthread.h>
#include <linux/overflow.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "wd_soft.h"

/**
 * wd_soft_ctx_init() - begin a batch of requests on a queue
 * @ctx: the context
 * @q: the queue
 * @eng: the calling engine, whose buffers the batch uses
 */
void wd_soft_ctx_init(struct wd_soft_ctx *ctx, struct wd_soft_queue *q,
		      struct wd_soft_engine *eng)
{
	ctx->q = q;
	ctx->bounce = eng->bounce;
	ctx->sgl = eng->sgl;
	ctx->ss = NULL;
	ctx->mm_state = WD_SOFT_MM_IDLE;
	ctx->bytes = 0;
}

/**
 * wd_soft_ctx_fini() - end a batch: give back the mm or the SS region
 * @ctx: the context
 */
void wd_soft_ctx_fini(struct wd_soft_ctx *ctx)
{
	if (ctx->mm_state == WD_SOFT_MM_BORROWED) {
		kthread_unuse_mm(ctx->q->uq->mm);
		/* if the owner has exited, tearing down its mm is not our job */
		mmput_async(ctx->q->uq->mm);
	}
	uacce_ss_put(ctx->ss);
	ctx->ss = NULL;
	ctx->mm_state = WD_SOFT_MM_IDLE;
}

/**
 * wd_soft_ctx_yield() - between two chunks of a long request
 * @ctx: the context
 *
 * Return: WD_SOFT_S_OK to go on, WD_SOFT_S_CANCELED if the queue is being
 * stopped.
 */
u32 wd_soft_ctx_yield(struct wd_soft_ctx *ctx)
{
	cond_resched();
	return READ_ONCE(ctx->q->stopping) ? WD_SOFT_S_CANCELED : WD_SOFT_S_OK;
}

static u32 wd_soft_sva_access(struct wd_soft_ctx *ctx, void *buf, u64 addr,
			      u32 len, bool write)
{
	struct mm_struct *mm = ctx->q->uq->mm;
	void __user *uptr = u64_to_user_ptr(addr);
	unsigned long left;

	if (ctx->mm_state == WD_SOFT_MM_IDLE) {
		/* a device acts for a live process only */
		if (mmget_not_zero(mm)) {
			kthread_use_mm(mm);
			ctx->mm_state = WD_SOFT_MM_BORROWED;
		} else {
			ctx->mm_state = WD_SOFT_MM_GONE;
		}
	}
	if (ctx->mm_state != WD_SOFT_MM_BORROWED)
		return WD_SOFT_S_BAD_ADDR;

	left = write ? copy_to_user(uptr, buf, len) :
		       copy_from_user(buf, uptr, len);
	return left ? WD_SOFT_S_BAD_ADDR : WD_SOFT_S_OK;
}

static u32 wd_soft_ss_access(struct wd_soft_ctx *ctx, void *buf, u64 addr,
			     u32 len, bool write)
{
	struct uacce_qfr *ss = ctx->ss;
	u64 base, size, off;
	void *p;

	if (!ss) {
		ss = uacce_ss_get(ctx->q->uq);
		if (!ss)
			return WD_SOFT_S_BAD_ADDR;
		ctx->ss = ss;
	}

	if (ctx->q->wdev->cfg.mode == WD_SOFT_MODE_NOIOMMU) {
		base = ss->dma;
	} else {
		base = READ_ONCE(ss->uaddr);
		if (!base)
			return WD_SOFT_S_BAD_ADDR;
	}
	size = (u64)ss->nr_pages << PAGE_SHIFT;
	if (addr < base)
		return WD_SOFT_S_BAD_ADDR;
	off = addr - base;
	if (off > size || len > size - off)
		return WD_SOFT_S_BAD_ADDR;

	p = ss->kaddr + off;
	if (write)
		memcpy(p, buf, len);
	else
		memcpy(buf, p, len);
	return WD_SOFT_S_OK;
}

static u32 wd_soft_mem_access(struct wd_soft_ctx *ctx, void *buf, u64 addr,
			      u32 len, bool write)
{
	u64 end;
	u32 ret;

	if (!len)
		return WD_SOFT_S_OK;
	if (check_add_overflow(addr, (u64)len, &end))
		return WD_SOFT_S_BAD_ADDR;

	if (ctx->q->wdev->cfg.mode == WD_SOFT_MODE_SVA)
		ret = wd_soft_sva_access(ctx, buf, addr, len, write);
	else
		ret = wd_soft_ss_access(ctx, buf, addr, len, write);
	if (ret == WD_SOFT_S_OK)
		ctx->bytes += len;
	else if (READ_ONCE(ctx->q->stopping))
		ret = WD_SOFT_S_CANCELED;	/* the wait was aborted */
	return ret;
}

/**
 * wd_soft_mem_read() - read request data
 * @ctx: the batch's context
 * @buf: kernel destination, at least @len bytes
 * @addr: device address of the source, as the request gives it
 * @len: bytes
 *
 * May sleep (SVA: page faults).
 *
 * Return: WD_SOFT_S_OK, WD_SOFT_S_BAD_ADDR, or WD_SOFT_S_CANCELED if it
 * failed because the queue is being stopped.
 */
u32 wd_soft_mem_read(struct wd_soft_ctx *ctx, void *buf, u64 addr, u32 len)
{
	return wd_soft_mem_access(ctx, buf, addr, len, false);
}

/**
 * wd_soft_mem_write() - write request results
 * @ctx: the batch's context
 * @addr: device address of the destination, as the request gives it
 * @buf: kernel source, at least @len bytes
 * @len: bytes
 *
 * May sleep (SVA: page faults).
 *
 * Return: WD_SOFT_S_OK, WD_SOFT_S_BAD_ADDR, or WD_SOFT_S_CANCELED if it
 * failed because the queue is being stopped.
 */
u32 wd_soft_mem_write(struct wd_soft_ctx *ctx, u64 addr, const void *buf,
		      u32 len)
{
	return wd_soft_mem_access(ctx, (void *)buf, addr, len, true);
}

/**
 * wd_soft_buf_init() - the source or destination of a request
 * @ctx: the batch's context
 * @buf: set up to walk it from its first byte
 * @dir: which of the two
 * @sqe: the request (private copy)
 *
 * With the SGL flag for @dir, src/dst is the device address of src_len /
 * dst_len struct wd_soft_sge, which are read once into the engine; more
 * than WD_SOFT_MAX_SGE entries or a non-zero rsvd is WD_SOFT_S_INVAL, an
 * unreadable list WD_SOFT_S_BAD_ADDR. Entries of length 0 are allowed.
 * Without it, src/dst is one piece of src_len / dst_len bytes.
 *
 * Return: WD_SOFT_S_OK or the status to fail the request with.
 */
u32 wd_soft_buf_init(struct wd_soft_ctx *ctx, struct wd_soft_buf *buf,
		     enum wd_soft_buf_dir dir, const struct wd_soft_sqe *sqe)
{
	bool src = dir == WD_SOFT_BUF_SRC;
	u16 flag = src ? WD_SOFT_SQE_F_SRC_SGL : WD_SOFT_SQE_F_DST_SGL;
	u64 addr = src ? sqe->src : sqe->dst;
	u32 n = src ? sqe->src_len : sqe->dst_len;
	struct wd_soft_sge *sge;
	u32 i, ret;

	buf->idx = 0;
	buf->off = 0;
	if (!(sqe->flags & flag)) {
		buf->flat.addr = addr;
		buf->flat.len = n;
		buf->sge = &buf->flat;
		buf->nents = 1;
		buf->len = n;
		return WD_SOFT_S_OK;
	}

	if (n > WD_SOFT_MAX_SGE)
		return WD_SOFT_S_INVAL;
	sge = ctx->sgl + (src ? 0 : WD_SOFT_MAX_SGE);
	ret = wd_soft_mem_read(ctx, sge, addr, n * sizeof(*sge));
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
static u32 wd_soft_buf_access(struct wd_soft_ctx *ctx, struct wd_soft_buf *buf,
			      void *data, u32 len, bool write)
{
	const struct wd_soft_sge *sge;
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
		ret = wd_soft_mem_access(ctx, data, sge->addr + buf->off, n,
					 write);
		if (ret)
			return ret;
		buf->off += n;
		data += n;
		len -= n;
	}
	return WD_SOFT_S_OK;
}

/**
 * wd_soft_buf_read() - read the next bytes of a source
 * @ctx: the batch's context
 * @buf: from wd_soft_buf_init()
 * @data: kernel destination
 * @len: bytes, no more than are left in @buf
 *
 * May sleep.
 *
 * Return: as wd_soft_mem_read().
 */
u32 wd_soft_buf_read(struct wd_soft_ctx *ctx, struct wd_soft_buf *buf,
		     void *data, u32 len)
{
	return wd_soft_buf_access(ctx, buf, data, len, false);
}

/**
 * wd_soft_buf_write() - write the next bytes of a destination
 * @ctx: the batch's context
 * @buf: from wd_soft_buf_init()
 * @data: kernel source
 * @len: bytes, no more than are left in @buf
 *
 * May sleep.
 *
 * Return: as wd_soft_mem_read().
 */
u32 wd_soft_buf_write(struct wd_soft_ctx *ctx, struct wd_soft_buf *buf,
		      const void *data, u32 len)
{
	return wd_soft_buf_access(ctx, buf, (void *)data, len, true);
}
