// SPDX-License-Identifier: GPL-2.0
/*
 * uacce: the queues' regions. Their memory (DKO, DUS, SS) and the charge
 * of SS to RLIMIT_MEMLOCK, sharing an SS region to another queue of the
 * owner (UACCE_CMD_SHARE_SVAS, UACCE_CMD_GET_SS_DMA), and the mappings
 * into the owner. See docs/uacce.md.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/pfn_t.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "internal.h"

/* ---- region memory ---------------------------------------------------- */

static void uacce_qfr_free(struct uacce_qfr *qfr)
{
	unsigned long i;

	if (!qfr)
		return;
	if (qfr->kaddr && !qfr->dma)
		vunmap(qfr->kaddr);
	for (i = 0; i < qfr->nr_pages; i++)
		if (qfr->pages[i])
			put_page(qfr->pages[i]);
	kvfree(qfr->pages);
	if (qfr->pin_user) {
		atomic_long_sub(qfr->nr_pages, &qfr->pin_user->locked_vm);
		free_uid(qfr->pin_user);
	}
	if (qfr->pin_mm) {
		atomic64_sub(qfr->nr_pages, &qfr->pin_mm->pinned_vm);
		mmdrop(qfr->pin_mm);
	}
	kfree(qfr);
}

#if !defined(CONFIG_NET) && !defined(CONFIG_IO_URING)
#error "uacce counts pinned pages in user_struct.locked_vm (CONFIG_NET)"
#endif

/*
 * SS pages cannot be swapped or reclaimed. As io_uring does, they count
 * against RLIMIT_MEMLOCK in the user's locked_vm (CAP_IPC_LOCK exempts):
 * a region outlives its process when it is shared to a queue passed on,
 * so a per-process count could be escaped. They also show in the
 * owner's pinned_vm (VmPin), as RDMA's registered memory does. Called by
 * the owner, at mmap.
 */
static int uacce_pin_charge(struct uacce_qfr *qfr)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user = current_user();
	unsigned long cur, new;

	if (!capable(CAP_IPC_LOCK)) {
		cur = atomic_long_read(&user->locked_vm);
		do {
			new = cur + qfr->nr_pages;
			if (new > limit || new < cur)
				return -ENOMEM;
		} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
		qfr->pin_user = get_uid(user);
	}
	atomic64_add(qfr->nr_pages, &current->mm->pinned_vm);
	mmgrab(current->mm);
	qfr->pin_mm = current->mm;
	return 0;
}

/*
 * Allocate @nr_pages zeroed pages for a region. @contig asks for physically
 * contiguous memory (the SS region of a NOIOMMU device, whose requests carry
 * bus addresses); its bus address is its physical address, as for a device
 * without an IOMMU or with the IOMMU in pass-through.
 */
struct uacce_qfr *uacce_qfr_alloc(enum uacce_qfrt type,
				  unsigned long nr_pages, bool contig,
				  int node)
{
	/* charged to the caller's memcg; over its limit: ENOMEM, no OOM kill */
	gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN |
		    __GFP_RETRY_MAYFAIL;
	struct uacce_qfr *qfr;
	struct page *page;
	unsigned long i;

	qfr = kzalloc(sizeof(*qfr), GFP_KERNEL_ACCOUNT);
	if (!qfr)
		return NULL;
	qfr->type = type;
	qfr->nr_pages = nr_pages;
	refcount_set(&qfr->ref, 1);
	qfr->pages = kvcalloc(nr_pages, sizeof(*qfr->pages), GFP_KERNEL_ACCOUNT);
	if (!qfr->pages)
		goto err;

	if (contig) {
		unsigned int order = get_order(nr_pages << PAGE_SHIFT);

		if (order >= MAX_ORDER)
			goto err;
		page = alloc_pages_node(node, gfp, order);
		if (!page)
			goto err;
		split_page(page, order);
		for (i = 0; i < (1UL << order); i++) {
			if (i < nr_pages)
				qfr->pages[i] = page + i;
			else
				__free_page(page + i);
		}
		qfr->kaddr = page_address(page);
		qfr->dma = page_to_phys(page);
		return qfr;
	}

	for (i = 0; i < nr_pages; i++) {
		qfr->pages[i] = alloc_pages_node(node, gfp, 0);
		if (!qfr->pages[i])
			goto err;
	}
	qfr->kaddr = vmap(qfr->pages, nr_pages, VM_MAP, PAGE_KERNEL);
	if (!qfr->kaddr)
		goto err;
	return qfr;
err:
	uacce_qfr_free(qfr);
	return NULL;
}

/**
 * uacce_ss_get() - take a reference on the SS region a queue can reach
 * @q: the queue
 *
 * The region is the queue's own SS or the one shared to it with
 * UACCE_CMD_SHARE_SVAS. Process context (q->lock is not irq-safe, and
 * the uacce_ss_put() that follows may sleep).
 *
 * Return: the region, to be released with uacce_ss_put(), or NULL.
 */
struct uacce_qfr *uacce_ss_get(struct uacce_queue *q)
{
	struct uacce_qfr *qfr;

	might_sleep();
	spin_lock(&q->lock);
	qfr = q->qfrs[UACCE_QFRT_SS] ?: q->shared_ss;
	if (qfr)
		refcount_inc(&qfr->ref);
	spin_unlock(&q->lock);
	return qfr;
}
EXPORT_SYMBOL_GPL(uacce_ss_get);

/**
 * uacce_ss_put() - release a reference taken by uacce_ss_get()
 * @qfr: the region; may be NULL
 *
 * Frees the region when this was the last reference. May sleep.
 */
void uacce_ss_put(struct uacce_qfr *qfr)
{
	if (qfr && refcount_dec_and_test(&qfr->ref))
		uacce_qfr_free(qfr);
}
EXPORT_SYMBOL_GPL(uacce_ss_put);

/* ---- SS sharing ------------------------------------------------------- */

long uacce_share_svas(struct uacce_queue *q, unsigned long arg)
{
	struct uacce_qfr *ss;
	struct uacce_queue *src;
	struct fd f;
	long ret = 0;

	if (arg > INT_MAX)
		return -EBADF;
	f = fdget(arg);
	if (!f.file)
		return -EBADF;
	if (f.file->f_op != &uacce_fops) {
		ret = -EINVAL;
		goto out;
	}
	src = f.file->private_data;
	if (src == q) {
		ret = -EINVAL;
		goto out;
	}
	if (src->mm != q->mm) {
		ret = -EPERM;
		goto out;
	}

	/* never hold two queues' locks at once: A->B and B->A may race */
	spin_lock(&src->lock);
	ss = src->qfrs[UACCE_QFRT_SS];
	/* one out of the owner's reach (its device removed) is none */
	if (ss && !READ_ONCE(ss->uaddr))
		ss = NULL;
	/*
	 * A NOIOMMU device reaches memory by bus address only: a region
	 * that has none (the SS of an SVA or PASID queue is not physically
	 * contiguous) is out of its reach.
	 */
	if (ss && (q->uacce->flags & UACCE_DEV_NOIOMMU) && !ss->dma)
		ss = NULL;
	if (ss)
		refcount_inc(&ss->ref);
	spin_unlock(&src->lock);
	if (!ss) {
		ret = -EINVAL;
		goto out;
	}

	spin_lock(&q->lock);
	if (q->qfrs[UACCE_QFRT_SS] || q->shared_ss || q->nr_vmas[UACCE_QFRT_SS]) {
		ret = -EEXIST;
	} else {
		q->shared_ss = ss;
		ss = NULL;
	}
	spin_unlock(&q->lock);
	uacce_ss_put(ss);
out:
	fdput(f);
	return ret;
}

/* The caller copies *@dma out, after unlocking: user memory may not come. */
long uacce_get_ss_dma(struct uacce_queue *q, u64 *dma)
{
	struct uacce_device *uacce = q->uacce;
	struct uacce_qfr *ss;

	if (!(uacce->flags & UACCE_DEV_NOIOMMU))
		return -EINVAL;
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;

	spin_lock(&q->lock);
	ss = q->qfrs[UACCE_QFRT_SS];
	*dma = ss ? ss->dma : 0;
	spin_unlock(&q->lock);
	if (!ss)
		return -ENXIO;

	/* user space now programs physical addresses into a device */
	dev_notice_once(&uacce->dev,
			"%s[%d] reads DMA addresses: tainting the kernel\n",
			current->comm, task_pid_nr(current));
	add_taint(TAINT_USER, LOCKDEP_STILL_OK);
	return 0;
}

/* ---- mmap ------------------------------------------------------------- */

size_t uacce_region_size(struct uacce_device *uacce,
			 enum uacce_qfrt type)
{
	return uacce->qf_pg_num[type] << PAGE_SHIFT;
}

static void uacce_vma_open(struct vm_area_struct *vma)
{
	struct uacce_queue *q = vma->vm_private_data;

	/* only a failed mremap copies our vmas; see uacce_vma_mremap() */
	spin_lock(&q->lock);
	q->nr_vmas[vma->vm_pgoff]++;
	spin_unlock(&q->lock);
}

static void uacce_vma_close(struct vm_area_struct *vma)
{
	struct uacce_queue *q = vma->vm_private_data;
	enum uacce_qfrt type = vma->vm_pgoff;
	struct uacce_qfr *ss = NULL;

	spin_lock(&q->lock);
	if (!--q->nr_vmas[type] && type == UACCE_QFRT_SS) {
		ss = q->qfrs[UACCE_QFRT_SS];
		q->qfrs[UACCE_QFRT_SS] = NULL;
		/*
		 * The region is no longer where the owner sees it: out of
		 * reach for every queue, those it was shared to included
		 * (uaddr 0: not mapped), though they still hold it.
		 */
		if (ss)
			WRITE_ONCE(ss->uaddr, 0);
	}
	spin_unlock(&q->lock);
	uacce_ss_put(ss);
}

static int uacce_vma_may_split(struct vm_area_struct *vma, unsigned long addr)
{
	return -EINVAL;
}

static int uacce_vma_mremap(struct vm_area_struct *vma)
{
	/* regions stay where the device knows them */
	return -EINVAL;
}

/*
 * Without q->lock: DUS is fixed. SS is set by mmap with the owner's
 * mmap_lock held for writing, and cleared by vma close after munmap has
 * unlinked the vma (the lock may be downgraded to read by then), so no
 * fault of ours, which holds mmap_lock for reading, reaches a cleared one.
 */
static struct page *uacce_region_page(struct uacce_queue *q,
				      enum uacce_qfrt type, unsigned long idx)
{
	struct uacce_qfr *qfr = q->qfrs[type];

	if (!qfr || idx >= qfr->nr_pages)
		return NULL;
	return qfr->pages[idx];
}

/*
 * Regions are mapped page by page on first access, under remove_sem, so that
 * once removal has marked the queue ZOMBIE and zapped the file's mappings no
 * page can come back: every later access gets SIGBUS.
 */
static vm_fault_t uacce_vma_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct uacce_queue *q = vma->vm_private_data;
	enum uacce_qfrt type = vma->vm_pgoff;
	unsigned long idx = (vmf->address - vma->vm_start) >> PAGE_SHIFT;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct page *page;
	unsigned long pfn;
	int err;

	down_read(&q->remove_sem);
	if (READ_ONCE(q->state) == UACCE_Q_ZOMBIE)
		goto out;

	switch (type) {
	case UACCE_QFRT_MMIO:
		pfn = q->uacce->ops->mmio_pfn(q, idx);
		ret = vmf_insert_mixed(vma, vmf->address,
				       __pfn_to_pfn_t(pfn, PFN_DEV));
		break;
	case UACCE_QFRT_DUS:
	case UACCE_QFRT_SS:
		page = uacce_region_page(q, type, idx);
		if (!page)
			break;
		err = vm_insert_page(vma, vmf->address, page);
		if (!err || err == -EBUSY)
			ret = VM_FAULT_NOPAGE;
		else
			ret = err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
		break;
	default:	/* DKO is never mapped for user space */
		break;
	}
out:
	up_read(&q->remove_sem);
	return ret;
}

const struct vm_operations_struct uacce_vm_ops = {
	.open = uacce_vma_open,
	.close = uacce_vma_close,
	.may_split = uacce_vma_may_split,
	.mremap = uacce_vma_mremap,
	.fault = uacce_vma_fault,
};

/* Checks and memory for mapping region @type; @size is the vma's size. */
static int uacce_prepare_region(struct uacce_queue *q, enum uacce_qfrt type,
				struct vm_area_struct *vma, size_t size)
{
	struct uacce_device *uacce = q->uacce;
	struct uacce_qfr *ss;

	switch (type) {
	case UACCE_QFRT_MMIO:
	case UACCE_QFRT_DUS:
		if (!uacce->qf_pg_num[type] ||
		    size != uacce_region_size(uacce, type))
			return -EINVAL;
		return 0;
	case UACCE_QFRT_DKO:
		if (!uacce->qf_pg_num[type] ||
		    size != uacce_region_size(uacce, type))
			return -EINVAL;
		/* reserved address space only: no access now or later */
		if (vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC))
			return -EPERM;
		vma->vm_flags &= ~(VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC);
		return 0;
	case UACCE_QFRT_SS:
		if (!uacce->ss_max_size)
			return -EINVAL;
		if (size > uacce->ss_max_size)
			return -ENOMEM;
		ss = uacce_qfr_alloc(type, size >> PAGE_SHIFT,
				     uacce->flags & UACCE_DEV_NOIOMMU,
				     uacce->node);
		if (!ss)
			return -ENOMEM;
		if (uacce_pin_charge(ss)) {
			uacce_ss_put(ss);
			return -ENOMEM;
		}
		ss->uaddr = vma->vm_start;
		spin_lock(&q->lock);
		if (q->qfrs[UACCE_QFRT_SS] || q->shared_ss ||
		    q->nr_vmas[UACCE_QFRT_SS]) {
			spin_unlock(&q->lock);
			uacce_ss_put(ss);
			return -EEXIST;
		}
		q->qfrs[UACCE_QFRT_SS] = ss;
		spin_unlock(&q->lock);
		return 0;
	default:
		return -EINVAL;
	}
}

int uacce_fops_mmap(struct file *filep, struct vm_area_struct *vma)
{
	struct uacce_queue *q = filep->private_data;
	size_t size = vma->vm_end - vma->vm_start;
	enum uacce_qfrt type;
	int ret;

	down_read(&q->remove_sem);
	ret = uacce_q_check(q);
	if (ret)
		goto out;
	if (vma->vm_pgoff >= UACCE_QFRT_MAX) {
		ret = -EINVAL;
		goto out;
	}
	/* the owner's offset indexes every per-region array */
	type = array_index_nospec(vma->vm_pgoff, UACCE_QFRT_MAX);
	if (!(vma->vm_flags & VM_SHARED)) {
		ret = -EINVAL;
		goto out;
	}

	spin_lock(&q->lock);
	ret = q->nr_vmas[type] ? -EEXIST : 0;
	spin_unlock(&q->lock);
	if (ret)
		goto out;

	ret = uacce_prepare_region(q, type, vma, size);
	if (ret)
		goto out;

	/* not inherited by children, never moved, grown or dumped */
	vma->vm_flags |= VM_IO | VM_MIXEDMAP | VM_DONTCOPY | VM_DONTEXPAND |
			 VM_DONTDUMP;
	vma->vm_private_data = q;
	vma->vm_ops = &uacce_vm_ops;
	spin_lock(&q->lock);
	q->nr_vmas[type]++;
	spin_unlock(&q->lock);
out:
	up_read(&q->remove_sem);
	return ret;
}
