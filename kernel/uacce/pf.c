// SPDX-License-Identifier: GPL-2.0
/*
 * uacce: page requests, the queues' fault threads.
 *
 * A device that faults (UACCE_DEV_FAULT_FROM_DEV) never waits for a page of
 * the owner itself: a page that does not come (a userfaultfd nobody
 * serves, a FUSE daemon that does not answer) would stall every queue it
 * serves and, through stop_queue(), everyone who takes the locks around
 * it. Instead the driver asks uacce for the page and goes on with other
 * queues; the queue's own fault thread brings the page in, as an IOMMU's
 * page-request handling does per PASID, and answers through the driver's
 * page_response(). Only that thread ever waits, holding no lock; a stop
 * aborts its wait where the wait can be aborted (killable waits) and
 * drops its answer. Faults run with the opener's credentials and are
 * charged to the owner's memory cgroup, as if the owner had touched the
 * page.
 */
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "internal.h"

/*
 * One page of the owner, faulted in from outside the owner's context. As
 * GUP does for a foreign mm, mappings of device memory (VM_IO, VM_PFNMAP)
 * are refused: their fault handlers may assume the owner's context
 * ([vvar] does). uacce's own regions are the exception: their handler is
 * ours.
 *
 * fixup_user_fault() would check the vma only on its first try: a fault
 * that lets mmap_lock go (userfaultfd, FUSE, file I/O) returns
 * VM_FAULT_RETRY and it looks the vma up again, unchecked, when the owner
 * may have moved [vvar] there meanwhile. So this is its loop (mm/gup.c)
 * with the check on every try. The order of the tests is the arch fault
 * handlers': COMPLETED and RETRY mean mmap_lock was let go, whatever else
 * is set.
 */
static int uacce_fault_page(struct mm_struct *mm, unsigned long addr,
			    unsigned int flags)
{
	vm_flags_t need = (flags & FAULT_FLAG_WRITE) ? VM_WRITE : VM_READ;
	struct vm_area_struct *vma;
	vm_fault_t fault;

	flags |= FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
	for (;;) {
		if (mmap_read_lock_killable(mm))
			return -EINTR;
		vma = vma_lookup(mm, addr);
		if (!vma || !(vma->vm_flags & need) ||
		    ((vma->vm_flags & (VM_IO | VM_PFNMAP)) &&
		     vma->vm_ops != &uacce_vm_ops)) {
			mmap_read_unlock(mm);
			return -EFAULT;
		}
		/* the lock's fast path does not look at signals */
		if (fatal_signal_pending(current)) {
			mmap_read_unlock(mm);
			return -EINTR;
		}
		fault = handle_mm_fault(vma, addr, flags, NULL);
		if (fault & VM_FAULT_COMPLETED)
			return 0;
		if (fault & VM_FAULT_RETRY) {
			flags |= FAULT_FLAG_TRIED;
			continue;
		}
		mmap_read_unlock(mm);
		if (fault & VM_FAULT_ERROR)	/* FALLBACK: no errno */
			return vm_fault_to_errno(fault, 0) ?: -EFAULT;
		return 0;
	}
}

/* How much one page request brings in, ahead of its first page at most */
#define UACCE_PF_AHEAD_PAGES	(SZ_64M >> PAGE_SHIFT)

/*
 * A page request: the ranges the device will need, in the order it needs
 * them; the first page of the first range is the one it waits for.
 */
struct uacce_pf_req {
	bool write;
	unsigned int n;
	struct uacce_range r[];
};

/*
 * Fault the request's ranges in for the owner. Only the first page must
 * come: the rest is fetched ahead, at most UACCE_PF_AHEAD_PAGES pages, and
 * a range stops at its first failure (the end of a buffer). Killable.
 */
static int uacce_fault_in(struct uacce_queue *q, const struct uacce_pf_req *req)
{
	unsigned int flags = FAULT_FLAG_REMOTE |
			     (req->write ? FAULT_FLAG_WRITE : 0);
	unsigned long a, first = req->r[0].addr & PAGE_MASK, end, done = 0;
	struct mem_cgroup *memcg, *old_memcg;
	struct mm_struct *mm = q->mm;
	const struct cred *old_cred;
	unsigned int i;
	int ret = 0;

	/* a device acts for a live process only */
	if (!mmget_not_zero(mm))
		return -EFAULT;
	old_cred = override_creds(q->cred);
	memcg = get_mem_cgroup_from_mm(mm);
	old_memcg = set_active_memcg(memcg);

	for (i = 0; i < req->n && done < UACCE_PF_AHEAD_PAGES; i++) {
		if (check_add_overflow(req->r[i].addr, req->r[i].len, &end))
			end = ULONG_MAX;
		for (a = req->r[i].addr & PAGE_MASK; a < end; a += PAGE_SIZE) {
			ret = uacce_fault_page(mm, a, flags);
			/* the page the device waits for: its verdict */
			if (ret && a == first)
				goto out;
			if (ret || ++done >= UACCE_PF_AHEAD_PAGES ||
			    fatal_signal_pending(current))
				break;
			cond_resched();
		}
		ret = 0;
		/* a stop: the other ranges are not wanted either */
		if (fatal_signal_pending(current))
			break;
	}
out:
	set_active_memcg(old_memcg);
	mem_cgroup_put(memcg);
	revert_creds(old_cred);
	mmput(mm);
	return ret;
}

static bool uacce_pf_has_work(struct uacce_queue *q)
{
	bool work;

	spin_lock(&q->pf_lock);
	work = q->pf_req || q->pf_exit;
	spin_unlock(&q->pf_lock);
	return work;
}

static int uacce_pf_thread(void *data)
{
	struct uacce_queue *q = data;
	struct uacce_pf_req *req;
	bool exit;
	u64 gen;
	int err;

	/* a stop aborts our waits on the owner's memory */
	allow_kernel_signal(SIGKILL);

	for (;;) {
		wait_event_interruptible(q->pf_wait, uacce_pf_has_work(q));
		/* before taking a request: a stale abort is not for it */
		flush_signals(current);

		spin_lock(&q->pf_lock);
		req = q->pf_req;
		if (!req) {
			exit = q->pf_exit;
			spin_unlock(&q->pf_lock);
			if (exit)
				break;
			continue;
		}
		gen = q->pf_gen;
		q->pf_req = NULL;
		q->pf_busy = true;
		spin_unlock(&q->pf_lock);

		err = uacce_fault_in(q, req);
		kvfree(req);

		spin_lock(&q->pf_lock);
		q->pf_busy = false;
		if (gen == q->pf_gen && q->pf_open)
			q->uacce->ops->page_response(q, err);
		spin_unlock(&q->pf_lock);
	}

	spin_lock(&q->pf_lock);
	exit = q->pf_lingering;
	spin_unlock(&q->pf_lock);
	if (exit)
		atomic_dec(&q->uacce->nr_lingering);
	uacce_queue_put(q);
	module_put_and_kthread_exit(0);
}

/* The fault thread, created on first need; q->pf_task is set once. */
static int uacce_pf_start(struct uacce_queue *q)
{
	struct task_struct *t;

	__module_get(THIS_MODULE);
	refcount_inc(&q->ref);
	t = kthread_create(uacce_pf_thread, q, "%s-pf", dev_name(&q->uacce->dev));
	if (IS_ERR(t)) {
		refcount_dec(&q->ref);
		module_put(THIS_MODULE);
		return PTR_ERR(t);
	}
	spin_lock(&q->pf_lock);
	q->pf_task = t;
	spin_unlock(&q->pf_lock);
	wake_up_process(t);
	return 0;
}

/**
 * uacce_page_request() - have pages of the owner brought in, asynchronously
 * @q: a started queue of a device with UACCE_DEV_FAULT_FROM_DEV
 * @r: the ranges the device needs, in the order it needs them: the first
 *	page of @r[0] is the one it could not reach and waits for, the rest
 *	is worth bringing in ahead (up to 64 MiB; failures there are ignored)
 * @n: entries of @r, at least 1; beyond UACCE_PF_MAX_RANGES they are not
 *	looked at
 * @write: the device writes there
 *
 * The queue's fault thread faults the pages in as the owner would, with the
 * opener's credentials, and then calls the driver's page_response(). One
 * request at a time per queue. Never waits for the pages; may sleep
 * (allocations, creating the thread), with no lock held that
 * page_response() takes.
 *
 * Return: 0 (page_response() follows unless the queue is stopped first),
 * -ESHUTDOWN (the queue is stopping: no answer will come), -EBUSY (a
 * request is pending), -EINVAL, -ENOMEM.
 */
int uacce_page_request(struct uacce_queue *q, const struct uacce_range *r,
		       unsigned int n, bool write)
{
	struct uacce_pf_req *req;
	int ret = 0;

	if (!(q->uacce->flags & UACCE_DEV_FAULT_FROM_DEV) || !n ||
	    !q->uacce->ops->page_response)
		return -EINVAL;
	n = min_t(unsigned int, n, UACCE_PF_MAX_RANGES);
	if (!READ_ONCE(q->pf_task)) {
		ret = uacce_pf_start(q);
		if (ret)
			return ret;
	}
	req = kvmalloc(struct_size(req, r, n), GFP_KERNEL_ACCOUNT);
	if (!req)
		return -ENOMEM;
	req->write = write;
	req->n = n;
	memcpy(req->r, r, n * sizeof(*r));

	spin_lock(&q->pf_lock);
	if (!q->pf_open)
		ret = -ESHUTDOWN;
	else if (q->pf_req)
		ret = -EBUSY;
	else
		q->pf_req = req;
	spin_unlock(&q->pf_lock);
	if (ret)
		kvfree(req);
	else
		wake_up(&q->pf_wait);
	return ret;
}
EXPORT_SYMBOL_GPL(uacce_page_request);

/*
 * Stop taking page requests and drop the answer of the one in progress
 * (aborting its wait if it can be): from here on page_response() is not
 * called. Before the driver's stop_queue(), which may wait for a batch the
 * device is serving, and which must not see an answer come in.
 */
void uacce_pf_cancel(struct uacce_queue *q)
{
	struct uacce_pf_req *req;

	spin_lock(&q->pf_lock);
	q->pf_open = false;
	req = q->pf_req;
	q->pf_req = NULL;
	q->pf_gen++;
	if (q->pf_busy)
		send_sig(SIGKILL, q->pf_task, 1);
	spin_unlock(&q->pf_lock);
	kvfree(req);
}

/*
 * The fault thread ends once idle. If it still waits for a page it holds
 * the queue (and a module reference) until the page comes or the wait is
 * aborted; meanwhile the queue counts against the device's queues.
 */
void uacce_pf_exit(struct uacce_queue *q)
{
	spin_lock(&q->pf_lock);
	q->pf_exit = true;
	if (q->pf_task && q->pf_busy) {
		q->pf_lingering = true;
		atomic_inc(&q->uacce->nr_lingering);
	}
	spin_unlock(&q->pf_lock);
	wake_up(&q->pf_wait);
}
