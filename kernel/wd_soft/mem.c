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
 * @q: the queue, served by the calling engine
 * @bounce: the engine's bounce buffer
 */
void wd_soft_ctx_init(struct wd_soft_ctx *ctx, struct wd_soft_queue *q,
		      void *bounce)
{
	ctx->q = q;
	ctx->bounce = bounce;
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
	return ret;
}

/**
 * wd_soft_mem_read() - read request data
 * @ctx: the batch's context
 * @buf: kernel destination, at least @len bytes
 * @addr: device address of the source, as the request gives it
 * @len: bytes, at most WD_SOFT_CHUNK
 *
 * May sleep (SVA: page faults).
 *
 * Return: WD_SOFT_S_OK or WD_SOFT_S_BAD_ADDR.
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
 * @len: bytes, at most WD_SOFT_CHUNK
 *
 * May sleep (SVA: page faults).
 *
 * Return: WD_SOFT_S_OK or WD_SOFT_S_BAD_ADDR.
 */
u32 wd_soft_mem_write(struct wd_soft_ctx *ctx, u64 addr, const void *buf,
		      u32 len)
{
	return wd_soft_mem_access(ctx, (void *)buf, addr, len, true);
}
