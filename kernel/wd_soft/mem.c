// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: how an engine reaches the buffers a request names.
 *
 *  SVA      addresses are the owner's virtual addresses. The engine borrows
 *           the owner's mm (only while it is alive) and uses
 *           copy_{from,to}_user() with page faults disabled: it never waits
 *           for a page. A page that is not there is asked of uacce's fault
 *           thread (uacce_page_request()), which brings it in as the owner
 *           would, like a device's page request; the request is held
 *           meanwhile (the core's WD_SOFT_CORE_S_HELD) and runs again from
 *           its start once the page is there. An address the owner cannot
 *           access (unmapped, or read-only for a destination) fails the
 *           request.
 *  PASID    no faults, no page table: only the queue's SS region (its own or
 *           one shared to it) is reachable, at the user addresses where the
 *           owner mapped it; the engine uses the region's kernel mapping.
 *  NOIOMMU  addresses are bus addresses inside the SS region
 *           (UACCE_CMD_GET_SS_DMA), reached through its kernel mapping.
 *  kernel   a kernel queue's (kq.c), whatever the instance's mode: kernel
 *           virtual addresses of the linear map, built by the driver from
 *           its users' scatterlists; plain memcpy().
 *
 * Anything else fails the request with WD_SOFT_S_BAD_ADDR.
 *
 * These are the memory functions of the core's host interface
 * (wd_soft_host_copy(), wd_soft_host_yield(), see engine/wd_soft_core.h);
 * the core walks scatter-gather lists and moves data chunk by chunk
 * through them.
 */
#include <linux/kthread.h>
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
	wd_soft_core_ctx_init(&ctx->core, &q->core, &eng->core);
	ctx->q = q;
	ctx->eng = eng;
	ctx->ss = NULL;
	ctx->mm_state = WD_SOFT_MM_IDLE;
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

/* Host interface: between two chunks of a long request. */
void wd_soft_host_yield(struct wd_soft_core_ctx *core)
{
	cond_resched();
}

/*
 * The page of @addr is missing: have uacce bring it in, with the buffer
 * after it (up to @end, within a window that grows with each request for
 * the same SQE) and the buffer's next pieces, and hold the request. A
 * page the last answer could not bring in fails the request instead, and
 * so does one that keeps going missing.
 */
static long wd_soft_page_request(struct wd_soft_ctx *ctx, u64 addr, u64 end,
				 bool write)
{
	struct wd_soft_queue *q = ctx->q;
	struct wd_soft_engine *eng = ctx->eng;
	const struct wd_soft_sge *ahead = ctx->core.ahead;
	unsigned long page = addr & PAGE_MASK;
	struct uacce_range *r = eng->pf;
	unsigned int n = 1, i;
	bool failed;
	u64 win;
	int ret;

	spin_lock(&eng->lock);
	/* the counts are per request: the one taken last, held or not */
	if (q->fault_req != q->core.sq_head) {
		q->fault_req = q->core.sq_head;
		q->nr_faults = 0;
		q->fault_tries = 0;
		q->sq.fault_failed = false;
	}
	if (q->nr_faults && page == q->fault_page)
		q->fault_tries++;
	else
		q->fault_tries = 1;
	failed = (q->sq.fault_failed && q->fault_page == page) ||
		 q->fault_tries > WD_SOFT_FAULT_TRIES ||
		 q->nr_faults >= WD_SOFT_FAULT_MAX;
	if (!failed) {
		q->sq.faulting = true;
		q->fault_page = page;
		q->sq.fault_failed = false;
	}
	spin_unlock(&eng->lock);
	if (failed)
		return -EFAULT;

	win = (u64)WD_SOFT_FAULT_AHEAD << (2 * min(q->nr_faults, 4U));
	q->nr_faults++;
	r[0].addr = addr;
	r[0].len = min(end - addr, win);
	for (i = 0; ahead && i < ctx->core.nr_ahead &&
	     i < WD_SOFT_CORE_MAX_SGE; i++) {
		if (!ahead[i].len)
			continue;
		r[n].addr = ahead[i].addr;
		r[n++].len = ahead[i].len;
	}
	ret = uacce_page_request(q->uq, r, n, write);
	if (!ret) {
		atomic64_inc(&q->wdev->page_requests);
		return -EAGAIN;
	}

	spin_lock(&eng->lock);
	q->sq.faulting = false;
	spin_unlock(&eng->lock);
	/* stopping: CANCELED; no thread or memory for it: out of reach */
	return ret == -ESHUTDOWN ? -ECANCELED : -EFAULT;
}

static long wd_soft_sva_access(struct wd_soft_ctx *ctx, void *buf, u64 addr,
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
		return -EFAULT;

	/* a missing page makes the copy stop short instead of sleeping */
	pagefault_disable();
	left = write ? copy_to_user(uptr, buf, len) :
		       copy_from_user(buf, uptr, len);
	pagefault_enable();
	if (!left)
		return len;
	return wd_soft_page_request(ctx, addr + len - left,
				    addr + ctx->core.extent, write);
}

static long wd_soft_ss_access(struct wd_soft_ctx *ctx, void *buf, u64 addr,
			      u32 len, bool write)
{
	struct uacce_qfr *ss = ctx->ss;
	u64 base, uaddr;

	if (!ss) {
		ss = uacce_ss_get(ctx->q->uq);
		if (!ss)
			return -EFAULT;
		ctx->ss = ss;
	}

	/*
	 * A region its owner has unmapped is out of reach in both modes,
	 * also for a queue it was shared to, which still holds it.
	 */
	uaddr = READ_ONCE(ss->uaddr);
	if (!uaddr)
		return -EFAULT;
	base = ctx->q->wdev->cfg.mode == WD_SOFT_MODE_NOIOMMU ? ss->dma : uaddr;
	return wd_soft_core_region_copy(ss->kaddr, base,
					(u64)ss->nr_pages << PAGE_SHIFT, buf,
					addr, len, write);
}

/**
 * wd_soft_host_copy() - host interface: request data at a device address
 * @core: the batch's context
 * @buf: the core's bounce buffer, at least @len bytes
 * @addr: device address, as the request gives it
 * @len: bytes
 * @write: @buf to @addr if true, else @addr to @buf
 *
 * May sleep (SVA: page faults).
 *
 * Return: @len, the bytes copied before a fault, or -EFAULT. A wait for a
 * page aborted by wd_soft_sched_detach() fails like a fault; the core
 * sees the queue stopping and completes the request with CANCELED.
 */
long wd_soft_host_copy(struct wd_soft_core_ctx *core, void *buf, u64 addr,
		       u32 len, bool write)
{
	struct wd_soft_ctx *ctx = to_wd_soft_ctx(core);

	if (wd_soft_queue_is_kernel(ctx->q)) {
		void *kaddr = (void *)(uintptr_t)addr;

		if (write)
			memcpy(kaddr, buf, len);
		else
			memcpy(buf, kaddr, len);
		return len;
	}
	if (ctx->q->wdev->cfg.mode == WD_SOFT_MODE_SVA)
		return wd_soft_sva_access(ctx, buf, addr, len, write);
	return wd_soft_ss_access(ctx, buf, addr, len, write);
}

/* Host interface: nothing in place yet; every piece is copied. */
long wd_soft_host_map(struct wd_soft_core_ctx *core, u64 addr, u64 len,
		      bool write, void **kaddr)
{
	return 0;
}

/* Host interface: nothing to give back. */
void wd_soft_host_unmap(struct wd_soft_core_ctx *core)
{
}
