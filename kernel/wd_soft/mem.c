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
 * In place (wd_soft_host_map(), as DMA would), before any copy: a kernel
 * queue's addresses as they are; PASID and NOIOMMU, the SS region's kernel
 * mapping under the copy's checks (uaddr 0 after the owner's munmap:
 * copied, hence BAD_ADDR); SVA, pages of the borrowed mm pinned without
 * faulting (GUP-fast only, FOLL_PIN: short-lived pins, held for one chunk
 * of a request's work at most; at most WD_SOFT_PIN_MAX per direction) and
 * reached through the linear map; wd_soft_host_unmap() unpins them
 * (dirtying the written ones) at the core's next yield or when the
 * request ends, before its completion. A page GUP-fast does not give (not
 * present, read-only for a write, copy-on-write shared, a file page for a
 * write, highmem) is copied as above, and the copy asks for it.
 *
 * These are the memory functions of the core's host interface
 * (wd_soft_host_map(), wd_soft_host_unmap(), wd_soft_host_copy(),
 * wd_soft_host_yield(), see engine/wd_soft_core.h); the core walks
 * scatter-gather lists and takes data piece by piece through them.
 */
#include <linux/highmem.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
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
	/* the core unmaps after each request: nothing is left but by a bug */
	if (WARN_ON_ONCE(ctx->eng->nr_pins[0] || ctx->eng->nr_pins[1]))
		wd_soft_host_unmap(&ctx->core);
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

/* SVA: the owner's mm, borrowed for the batch; false once it is gone */
static bool wd_soft_sva_borrow(struct wd_soft_ctx *ctx)
{
	struct mm_struct *mm = ctx->q->uq->mm;

	if (ctx->mm_state == WD_SOFT_MM_IDLE) {
		/* a device acts for a live process only */
		if (mmget_not_zero(mm)) {
			kthread_use_mm(mm);
			ctx->mm_state = WD_SOFT_MM_BORROWED;
		} else {
			ctx->mm_state = WD_SOFT_MM_GONE;
		}
	}
	return ctx->mm_state == WD_SOFT_MM_BORROWED;
}

static long wd_soft_sva_access(struct wd_soft_ctx *ctx, void *buf, u64 addr,
			       u32 len, bool write)
{
	void __user *uptr = u64_to_user_ptr(addr);
	unsigned long left;

	if (!wd_soft_sva_borrow(ctx))
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

/* PASID, NOIOMMU: the queue's SS region, referenced for the batch */
static struct uacce_qfr *wd_soft_ss_get(struct wd_soft_ctx *ctx)
{
	if (!ctx->ss)
		ctx->ss = uacce_ss_get(ctx->q->uq);
	return ctx->ss;
}

static long wd_soft_ss_access(struct wd_soft_ctx *ctx, void *buf, u64 addr,
			      u32 len, bool write)
{
	struct uacce_qfr *ss = wd_soft_ss_get(ctx);
	u64 base, uaddr;

	if (!ss)
		return -EFAULT;

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

/*
 * In place, SVA: pin the pages of [@addr, @addr + @len) in the borrowed
 * mm without faulting (GUP-fast only: a page not present, not writable
 * for a write, or shared copy-on-write is left to the copy, which asks
 * for it), and hand the core the linear map of the run of pages that
 * follow each other there. No writes to a page of a file (shmem
 * included): the copy writes those, whose fault keeps the filesystem's
 * dirty tracking right; anonymous memory and pages without a mapping (the
 * SS region's, mapped by uacce) are written in place.
 */
static long wd_soft_sva_map(struct wd_soft_ctx *ctx, u64 addr, u64 len,
			    bool write, void **kaddr)
{
	struct wd_soft_engine *eng = ctx->eng;
	unsigned int off = offset_in_page(addr);
	unsigned int room = WD_SOFT_PIN_MAX - eng->nr_pins[write];
	struct page **pages = eng->pins[write] + eng->nr_pins[write];
	u64 want = DIV_ROUND_UP((u64)off + len, PAGE_SIZE);
	int nr, got, i;

	if (!wd_soft_sva_borrow(ctx) || !room)
		return 0;
	nr = min_t(u64, want, room);
	got = pin_user_pages_fast_only(addr & PAGE_MASK, nr,
				       write ? FOLL_WRITE : 0, pages);
	if (got <= 0)
		return 0;
	for (i = 0; i < got; i++) {
		if (PageHighMem(pages[i]) ||
		    (write && !PageAnon(pages[i]) && page_mapping(pages[i])))
			break;
		if (i && page_address(pages[i]) !=
			 page_address(pages[i - 1]) + PAGE_SIZE)
			break;
	}
	if (i < got)
		unpin_user_pages(pages + i, got - i);
	if (!i)
		return 0;
	eng->nr_pins[write] += i;
	*kaddr = page_address(pages[0]) + off;
	return min_t(u64, len, (u64)i * PAGE_SIZE - off);
}

/*
 * In place, PASID and NOIOMMU: the SS region's kernel mapping, with the
 * copy's checks (the region is referenced until the batch ends).
 */
static long wd_soft_ss_map(struct wd_soft_ctx *ctx, u64 addr, u64 len,
			   void **kaddr)
{
	struct uacce_qfr *ss = wd_soft_ss_get(ctx);
	u64 base, uaddr;

	if (!ss)
		return 0;
	uaddr = READ_ONCE(ss->uaddr);
	if (!uaddr)
		return 0;
	base = ctx->q->wdev->cfg.mode == WD_SOFT_MODE_NOIOMMU ? ss->dma : uaddr;
	return wd_soft_core_region_map(ss->kaddr, base,
				       (u64)ss->nr_pages << PAGE_SHIFT, addr,
				       len, kaddr);
}

/**
 * wd_soft_host_map() - host interface: request data in place
 * @core: the batch's context
 * @addr: device address, as the request gives it
 * @len: bytes wanted
 * @write: the engine writes there
 * @kaddr: set to the kernel address of @addr
 *
 * Kernel queues: their kernel addresses as they are. SVA: pinned pages of
 * the owner's mm (released by wd_soft_host_unmap()). PASID, NOIOMMU: the
 * SS region's kernel mapping. Never waits for a page.
 *
 * Return: bytes reachable at *@kaddr, or 0: copy them (the copy decides).
 */
long wd_soft_host_map(struct wd_soft_core_ctx *core, u64 addr, u64 len,
		      bool write, void **kaddr)
{
	struct wd_soft_ctx *ctx = to_wd_soft_ctx(core);

	if (wd_soft_queue_is_kernel(ctx->q)) {
		*kaddr = (void *)(uintptr_t)addr;
		return len;
	}
	if (ctx->q->wdev->cfg.mode == WD_SOFT_MODE_SVA)
		return wd_soft_sva_map(ctx, addr, len, write, kaddr);
	return wd_soft_ss_map(ctx, addr, len, kaddr);
}

/**
 * wd_soft_host_unmap() - host interface: the request's pins go
 * @core: the batch's context
 *
 * Pages the engine may have written are dirtied as they are unpinned.
 */
void wd_soft_host_unmap(struct wd_soft_core_ctx *core)
{
	struct wd_soft_engine *eng = to_wd_soft_ctx(core)->eng;

	if (eng->nr_pins[0])
		unpin_user_pages(eng->pins[0], eng->nr_pins[0]);
	if (eng->nr_pins[1])
		unpin_user_pages_dirty_lock(eng->pins[1], eng->nr_pins[1],
					    true);
	eng->nr_pins[0] = 0;
	eng->nr_pins[1] = 0;
}
