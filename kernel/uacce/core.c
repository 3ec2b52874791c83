// SPDX-License-Identifier: GPL-2.0
/*
 * uacce: Unified/User-space-access-intended Accelerator Framework.
 *
 * Every registered accelerator is a character device /dev/uaN; every open()
 * creates a queue owned by the opening process. The queue's regions (MMIO
 * doorbell, DKO, DUS, SS) are mapped into that process so that it talks to
 * the device without the kernel on the data path. uacce owns the queues'
 * lifetime and memory; the device driver supplies the hardware side through
 * struct uacce_ops. The rules are in docs/uacce.md.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/io.h>
#include <linux/kthread.h>
#include <linux/memcontrol.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pfn_t.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#include <warpdrive/uacce.h>

#define UACCE_MAX_DEVICES	256

static struct class *uacce_class;
static dev_t uacce_devt;
/*
 * id -> uacce_device. uacce_alloc() reserves the id (the entry reads as
 * NULL), uacce_register() publishes the device once it is complete,
 * uacce_remove() hides it first and frees the id last, once its sysfs
 * entry and character device are gone. Lookups take a device reference
 * under the xa_lock.
 */
static DEFINE_XARRAY_ALLOC(uacce_xa);

static const struct file_operations uacce_fops;
static const struct vm_operations_struct uacce_vm_ops;

static inline struct uacce_device *to_uacce(struct device *dev)
{
	return container_of(dev, struct uacce_device, dev);
}

static bool uacce_q_is_owner(struct uacce_queue *q)
{
	return current->mm == q->mm;
}

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
static struct uacce_qfr *uacce_qfr_alloc(enum uacce_qfrt type,
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

/* ---- page requests ------------------------------------------------------ */

/*
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

static void uacce_queue_free(struct uacce_queue *q)
{
	int i;

	for (i = 0; i < UACCE_QFRT_MAX; i++)
		uacce_ss_put(q->qfrs[i]);	/* DKO/DUS: sole reference */
	uacce_ss_put(q->shared_ss);
	kvfree(q->pf_req);
	if (q->cred)
		put_cred(q->cred);
	if (q->mm)
		mmdrop(q->mm);
	put_device(&q->uacce->dev);
	kfree(q);
}

static void uacce_queue_put(struct uacce_queue *q)
{
	if (refcount_dec_and_test(&q->ref))
		uacce_queue_free(q);
}

/*
 * One page of the owner, faulted in from outside the owner's context. As
 * GUP does for a foreign mm, mappings of device memory (VM_IO, VM_PFNMAP)
 * are refused: their fault handlers may assume the owner's context
 * ([vvar] does). uacce's own regions are the exception: their handler is
 * ours.
 */
static int uacce_fault_page(struct mm_struct *mm, unsigned long addr,
			    unsigned int flags)
{
	struct vm_area_struct *vma;
	bool unlocked = false;
	int ret;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	vma = vma_lookup(mm, addr);
	if (!vma || ((vma->vm_flags & (VM_IO | VM_PFNMAP)) &&
		     vma->vm_ops != &uacce_vm_ops))
		ret = -EFAULT;
	else
		ret = fixup_user_fault(mm, addr, flags, &unlocked);
	mmap_read_unlock(mm);
	return ret;
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
static void uacce_pf_cancel(struct uacce_queue *q)
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

/* ---- queue control path ----------------------------------------------- */

static int uacce_start_queue(struct uacce_queue *q)
{
	int ret;

	if (q->state != UACCE_Q_INIT)
		return -EINVAL;
	/* the device may need a page as soon as it starts */
	spin_lock(&q->pf_lock);
	q->pf_open = true;
	spin_unlock(&q->pf_lock);
	ret = q->uacce->ops->start_queue(q);
	if (ret) {
		uacce_pf_cancel(q);
		return ret;
	}
	q->state = UACCE_Q_STARTED;
	return 0;
}

static int uacce_stop_queue(struct uacce_queue *q)
{
	if (q->state != UACCE_Q_STARTED)
		return -EINVAL;
	uacce_pf_cancel(q);
	q->uacce->ops->stop_queue(q);
	q->state = UACCE_Q_INIT;
	return 0;
}

static long uacce_share_svas(struct uacce_queue *q, unsigned long arg)
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
static long uacce_get_ss_dma(struct uacce_queue *q, u64 *dma)
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

static long uacce_fops_unl_ioctl(struct file *filep, unsigned int cmd,
				 unsigned long arg)
{
	struct uacce_queue *q = filep->private_data;
	struct uacce_device *uacce = q->uacce;
	u64 dma;
	long ret;

	/*
	 * q->mutex is held by removal too: nothing under it may touch user
	 * memory, whose pages the caller may never let come.
	 */
	mutex_lock(&q->mutex);
	if (q->state == UACCE_Q_ZOMBIE) {
		ret = -ENODEV;
		goto out;
	}
	if (!uacce_q_is_owner(q)) {
		ret = -EPERM;
		goto out;
	}

	switch (cmd) {
	case UACCE_CMD_START_Q:
		ret = uacce_start_queue(q);
		break;
	case UACCE_CMD_PUT_Q:
		ret = uacce_stop_queue(q);
		break;
	case UACCE_CMD_SHARE_SVAS:
		ret = uacce_share_svas(q, arg);
		break;
	case UACCE_CMD_GET_SS_DMA:
		ret = uacce_get_ss_dma(q, &dma);
		break;
	default:
		ret = uacce->ops->ioctl ? uacce->ops->ioctl(q, cmd, arg) :
					  -ENOTTY;
		break;
	}
out:
	mutex_unlock(&q->mutex);
	if (!ret && cmd == UACCE_CMD_GET_SS_DMA &&
	    copy_to_user((void __user *)arg, &dma, sizeof(dma)))
		ret = -EFAULT;
	return ret;
}

/* ---- open and release ------------------------------------------------- */

static bool uacce_isolated(struct uacce_device *uacce)
{
	bool isolated;

	spin_lock_irq(&uacce->err_lock);
	isolated = uacce->isolated;
	spin_unlock_irq(&uacce->err_lock);
	return isolated;
}

/*
 * Queues that can still be opened; uacce->mutex held. A closed queue whose
 * fault thread still waits does not hold a queue of the device, but the
 * device keeps no more such threads than it has queues: beyond that it
 * refuses new queues until some end, so that nobody piles them up.
 */
static int uacce_available(struct uacce_device *uacce)
{
	int avail;

	if (uacce->removed || uacce_isolated(uacce))
		return 0;
	avail = uacce->ops->get_available_instances(uacce);
	if (atomic_read(&uacce->nr_lingering) >= uacce->nr_queues + avail)
		return 0;
	return max(avail, 0);
}

static int uacce_fops_open(struct inode *inode, struct file *filep)
{
	struct uacce_device *uacce;
	struct uacce_queue *q;
	int ret, i;

	xa_lock(&uacce_xa);
	uacce = xa_load(&uacce_xa, iminor(inode));
	if (uacce)
		get_device(&uacce->dev);
	xa_unlock(&uacce_xa);
	if (!uacce)
		return -ENODEV;
	if (!current->mm) {
		put_device(&uacce->dev);
		return -EINVAL;
	}
	/* no IOMMU: a queue reaches memory by bus address, as VFIO no-IOMMU */
	if ((uacce->flags & UACCE_DEV_NOIOMMU) && !capable(CAP_SYS_RAWIO)) {
		put_device(&uacce->dev);
		return -EPERM;
	}

	q = kzalloc(sizeof(*q), GFP_KERNEL_ACCOUNT);
	if (!q) {
		put_device(&uacce->dev);
		return -ENOMEM;
	}
	/* from here on uacce_queue_put() undoes everything */
	q->uacce = uacce;
	refcount_set(&q->ref, 1);
	mutex_init(&q->mutex);
	init_rwsem(&q->remove_sem);
	spin_lock_init(&q->lock);
	spin_lock_init(&q->pf_lock);
	init_waitqueue_head(&q->wait);
	init_waitqueue_head(&q->pf_wait);
	INIT_LIST_HEAD(&q->list);
	q->state = UACCE_Q_INIT;
	q->mapping = filep->f_mapping;
	q->mm = current->mm;
	mmgrab(q->mm);
	q->cred = get_current_cred();

	for (i = UACCE_QFRT_DKO; i <= UACCE_QFRT_DUS; i++) {
		if (!uacce->qf_pg_num[i])
			continue;
		q->qfrs[i] = uacce_qfr_alloc(i, uacce->qf_pg_num[i], false,
					     uacce->node);
		if (!q->qfrs[i]) {
			ret = -ENOMEM;
			goto err_put_q;
		}
	}

	mutex_lock(&uacce->mutex);
	if (uacce->removed) {
		ret = -ENODEV;
		goto err_unlock;
	}
	if (uacce_isolated(uacce)) {
		ret = -EIO;
		goto err_unlock;
	}
	if (uacce_available(uacce) <= 0) {
		ret = -EBUSY;
		goto err_unlock;
	}
	ret = uacce->ops->get_queue(uacce, q);
	if (ret)
		goto err_unlock;
	list_add(&q->list, &uacce->queues);
	uacce->nr_queues++;
	mutex_unlock(&uacce->mutex);

	filep->private_data = q;
	return 0;

err_unlock:
	mutex_unlock(&uacce->mutex);
err_put_q:
	uacce_queue_put(q);
	return ret;
}

/*
 * The fault thread ends once idle. If it still waits for a page it holds
 * the queue (and a module reference) until the page comes or the wait is
 * aborted; meanwhile the queue counts against the device's queues.
 */
static void uacce_pf_exit(struct uacce_queue *q)
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

/*
 * Stop, then give the queue back to the driver. The stop waits for the
 * device to let go of the queue (a batch in progress ends at its next
 * chunk), never for the owner's memory; it holds only this queue's mutex,
 * so that no other queue, open or sysfs read waits for it.
 */
static int uacce_fops_release(struct inode *inode, struct file *filep)
{
	struct uacce_queue *q = filep->private_data;
	struct uacce_device *uacce = q->uacce;

	mutex_lock(&q->mutex);
	if (q->state == UACCE_Q_STARTED)
		uacce_stop_queue(q);
	mutex_unlock(&q->mutex);

	/* unless removal took it meanwhile */
	mutex_lock(&uacce->mutex);
	if (!list_empty(&q->list)) {
		mutex_lock(&q->mutex);
		uacce->ops->put_queue(q);
		list_del_init(&q->list);
		uacce->nr_queues--;
		mutex_unlock(&q->mutex);
	}
	uacce_pf_exit(q);
	mutex_unlock(&uacce->mutex);

	uacce_queue_put(q);
	return 0;
}

/* ---- poll ------------------------------------------------------------- */

static __poll_t uacce_fops_poll(struct file *filep, poll_table *wait)
{
	struct uacce_queue *q = filep->private_data;
	__poll_t ret = 0;

	poll_wait(filep, &q->wait, wait);

	down_read(&q->remove_sem);
	/* hung up once the device has let go of the queue's memory */
	if (smp_load_acquire(&q->gone))
		ret = EPOLLHUP | EPOLLERR;
	else if (!uacce_q_is_owner(q))
		ret = EPOLLERR;
	else if (q->state == UACCE_Q_ZOMBIE)
		ret = 0;	/* being removed: the hang-up comes soon */
	else if (q->uacce->ops->poll)
		ret = q->uacce->ops->poll(q);
	up_read(&q->remove_sem);
	return ret;
}

/**
 * uacce_wake_up() - wake the processes polling a queue
 * @q: the queue that has new completions
 *
 * Cheap when nobody sleeps on the queue. Callable from any context.
 */
void uacce_wake_up(struct uacce_queue *q)
{
	if (wq_has_sleeper(&q->wait))
		wake_up_interruptible_poll(&q->wait, EPOLLIN | EPOLLRDNORM);
}
EXPORT_SYMBOL_GPL(uacce_wake_up);

/* ---- mmap ------------------------------------------------------------- */

static size_t uacce_region_size(struct uacce_device *uacce,
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
	if (q->state == UACCE_Q_ZOMBIE)
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

static const struct vm_operations_struct uacce_vm_ops = {
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

static int uacce_fops_mmap(struct file *filep, struct vm_area_struct *vma)
{
	struct uacce_queue *q = filep->private_data;
	size_t size = vma->vm_end - vma->vm_start;
	enum uacce_qfrt type;
	int ret;

	down_read(&q->remove_sem);
	if (q->state == UACCE_Q_ZOMBIE) {
		ret = -ENODEV;
		goto out;
	}
	/* first: nothing about the queue is told to another process */
	if (!uacce_q_is_owner(q)) {
		ret = -EPERM;
		goto out;
	}
	if (vma->vm_pgoff >= UACCE_QFRT_MAX) {
		ret = -EINVAL;
		goto out;
	}
	type = vma->vm_pgoff;
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

static const struct file_operations uacce_fops = {
	.owner		= THIS_MODULE,
	.open		= uacce_fops_open,
	.release	= uacce_fops_release,
	.unlocked_ioctl	= uacce_fops_unl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= uacce_fops_mmap,
	.poll		= uacce_fops_poll,
	.llseek		= noop_llseek,
};

/* ---- errors and isolation --------------------------------------------- */

/* errors counted in the last hour; err_lock held */
static unsigned int uacce_errors_last_hour(struct uacce_device *uacce,
					   unsigned long minute)
{
	unsigned int i, sum = 0;

	for (i = 0; i < UACCE_ERR_BUCKETS; i++)
		if (minute - uacce->err_minute[i] < UACCE_ERR_BUCKETS)
			sum += uacce->err_count[i];
	return sum;
}

/**
 * uacce_report_error() - count a device error
 * @uacce: the device
 *
 * When the errors of the last hour reach isolate_strategy (if not 0) the
 * device is isolated: it refuses new queues with EIO until user space
 * writes isolate_strategy again. Callable from any context.
 */
void uacce_report_error(struct uacce_device *uacce)
{
	unsigned long minute = jiffies / (60 * HZ);
	unsigned int b = minute % UACCE_ERR_BUCKETS;
	unsigned long flags;
	bool isolate;

	spin_lock_irqsave(&uacce->err_lock, flags);
	if (uacce->err_minute[b] != minute || !uacce->err_count[b]) {
		uacce->err_minute[b] = minute;
		uacce->err_count[b] = 0;
	}
	if (uacce->err_count[b] < UINT_MAX)
		uacce->err_count[b]++;
	isolate = !uacce->isolated && uacce->isolate_strategy &&
		  uacce_errors_last_hour(uacce, minute) >=
		  uacce->isolate_strategy;
	if (isolate)
		uacce->isolated = true;
	spin_unlock_irqrestore(&uacce->err_lock, flags);

	if (isolate)
		dev_err(&uacce->dev, "too many errors: device isolated\n");
}
EXPORT_SYMBOL_GPL(uacce_report_error);

/* ---- sysfs ------------------------------------------------------------ */

static ssize_t id_show(struct device *dev, struct device_attribute *attr,
		       char *buf)
{
	return sysfs_emit(buf, "%d\n", to_uacce(dev)->dev_id);
}

static ssize_t api_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%s\n", to_uacce(dev)->api);
}

static ssize_t flags_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%u\n", to_uacce(dev)->flags);
}

static ssize_t available_instances_show(struct device *dev,
					struct device_attribute *attr,
					char *buf)
{
	struct uacce_device *uacce = to_uacce(dev);
	int n;

	/* sysfs removal waits for us, so the driver is still there */
	mutex_lock(&uacce->mutex);
	n = uacce_available(uacce);
	mutex_unlock(&uacce->mutex);
	return sysfs_emit(buf, "%d\n", n);
}

static ssize_t algorithms_show(struct device *dev,
			       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_uacce(dev)->algs);
}

static long uacce_region_offset(struct uacce_device *uacce,
				enum uacce_qfrt type)
{
	bool present = type == UACCE_QFRT_SS ? uacce->ss_max_size :
					       uacce->qf_pg_num[type];

	return present ? (long)type * PAGE_SIZE : -1;
}

static ssize_t qfrs_offset_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct uacce_device *uacce = to_uacce(dev);

	return sysfs_emit(buf, "%ld %ld %ld %ld\n",
			  uacce_region_offset(uacce, UACCE_QFRT_MMIO),
			  uacce_region_offset(uacce, UACCE_QFRT_DKO),
			  uacce_region_offset(uacce, UACCE_QFRT_DUS),
			  uacce_region_offset(uacce, UACCE_QFRT_SS));
}

static ssize_t region_mmio_size_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  uacce_region_size(to_uacce(dev), UACCE_QFRT_MMIO));
}

static ssize_t region_dko_size_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  uacce_region_size(to_uacce(dev), UACCE_QFRT_DKO));
}

static ssize_t region_dus_size_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%zu\n",
			  uacce_region_size(to_uacce(dev), UACCE_QFRT_DUS));
}

static ssize_t region_ss_max_size_show(struct device *dev,
				       struct device_attribute *attr,
				       char *buf)
{
	return sysfs_emit(buf, "%zu\n", to_uacce(dev)->ss_max_size);
}

static ssize_t numa_distance_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	int node = to_uacce(dev)->node;

	/* a device on no node is as near to every CPU as local memory */
	return sysfs_emit(buf, "%d\n", node == NUMA_NO_NODE ? LOCAL_DISTANCE :
			  node_distance(numa_node_id(), node));
}

static ssize_t node_id_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", to_uacce(dev)->node);
}

static ssize_t isolate_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", uacce_isolated(to_uacce(dev)));
}

static ssize_t isolate_strategy_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct uacce_device *uacce = to_uacce(dev);
	unsigned int val;

	spin_lock_irq(&uacce->err_lock);
	val = uacce->isolate_strategy;
	spin_unlock_irq(&uacce->err_lock);
	return sysfs_emit(buf, "%u\n", val);
}

static ssize_t isolate_strategy_store(struct device *dev,
				      struct device_attribute *attr,
				      const char *buf, size_t count)
{
	struct uacce_device *uacce = to_uacce(dev);
	unsigned int val;

	if (kstrtouint(buf, 10, &val) || val > UACCE_MAX_ERR_THRESHOLD)
		return -EINVAL;

	/* a new strategy starts a new count and lifts isolation */
	spin_lock_irq(&uacce->err_lock);
	uacce->isolate_strategy = val;
	memset(uacce->err_count, 0, sizeof(uacce->err_count));
	uacce->isolated = false;
	spin_unlock_irq(&uacce->err_lock);

	mutex_lock(&uacce->mutex);
	if (!uacce->removed && uacce->ops->reset)
		uacce->ops->reset(uacce);
	mutex_unlock(&uacce->mutex);
	return count;
}

static DEVICE_ATTR_RO(id);
static DEVICE_ATTR_RO(api);
static DEVICE_ATTR_RO(flags);
static DEVICE_ATTR_RO(available_instances);
static DEVICE_ATTR_RO(algorithms);
static DEVICE_ATTR_RO(qfrs_offset);
static DEVICE_ATTR_RO(region_mmio_size);
static DEVICE_ATTR_RO(region_dko_size);
static DEVICE_ATTR_RO(region_dus_size);
static DEVICE_ATTR_RO(region_ss_max_size);
static DEVICE_ATTR_RO(numa_distance);
static DEVICE_ATTR_RO(node_id);
static DEVICE_ATTR_RO(isolate);
static DEVICE_ATTR_RW(isolate_strategy);

static struct attribute *uacce_dev_attrs[] = {
	&dev_attr_id.attr,
	&dev_attr_api.attr,
	&dev_attr_flags.attr,
	&dev_attr_available_instances.attr,
	&dev_attr_algorithms.attr,
	&dev_attr_qfrs_offset.attr,
	&dev_attr_region_mmio_size.attr,
	&dev_attr_region_dko_size.attr,
	&dev_attr_region_dus_size.attr,
	&dev_attr_region_ss_max_size.attr,
	&dev_attr_numa_distance.attr,
	&dev_attr_node_id.attr,
	&dev_attr_isolate.attr,
	&dev_attr_isolate_strategy.attr,
	NULL,
};
ATTRIBUTE_GROUPS(uacce_dev);

/* ---- registration ----------------------------------------------------- */

static void uacce_release(struct device *dev)
{
	kfree(to_uacce(dev));
}

/**
 * uacce_alloc() - allocate an accelerator for registration
 * @parent: the device underneath (its NUMA node is the accelerator's)
 * @interface: memory model and callbacks
 *
 * The caller fills in api, algs, qf_pg_num[], ss_max_size and priv, then
 * calls uacce_register(). uacce_remove() undoes both.
 *
 * Return: the device, or an ERR_PTR().
 */
struct uacce_device *uacce_alloc(struct device *parent,
				 const struct uacce_interface *interface)
{
	const struct uacce_ops *ops = interface->ops;
	struct uacce_device *uacce;
	int ret;

	if (!ops || !ops->get_available_instances || !ops->get_queue ||
	    !ops->put_queue || !ops->start_queue || !ops->stop_queue)
		return ERR_PTR(-EINVAL);

	uacce = kzalloc(sizeof(*uacce), GFP_KERNEL);
	if (!uacce)
		return ERR_PTR(-ENOMEM);
	uacce->flags = interface->flags;
	uacce->ops = ops;
	uacce->node = parent ? dev_to_node(parent) : NUMA_NO_NODE;
	mutex_init(&uacce->mutex);
	INIT_LIST_HEAD(&uacce->queues);
	spin_lock_init(&uacce->err_lock);
	atomic_set(&uacce->nr_lingering, 0);

	/* reserved, not published: open() finds it after uacce_register() */
	ret = xa_alloc(&uacce_xa, &uacce->dev_id, NULL,
		       XA_LIMIT(0, UACCE_MAX_DEVICES - 1), GFP_KERNEL);
	if (ret) {
		kfree(uacce);
		return ERR_PTR(ret == -EBUSY ? -ENOSPC : ret);
	}

	device_initialize(&uacce->dev);
	uacce->dev.class = uacce_class;
	uacce->dev.groups = uacce_dev_groups;
	uacce->dev.parent = parent;
	uacce->dev.release = uacce_release;
	uacce->dev.devt = MKDEV(MAJOR(uacce_devt), uacce->dev_id);
	ret = dev_set_name(&uacce->dev, "ua%d", uacce->dev_id);
	if (ret)
		goto err;

	uacce->cdev = cdev_alloc();
	if (!uacce->cdev) {
		ret = -ENOMEM;
		goto err;
	}
	/*
	 * No parent link to uacce->dev: open() finds the device through
	 * uacce_xa with its own reference, and the cdev (referenced by open
	 * files) lives on by itself.
	 */
	uacce->cdev->ops = &uacce_fops;
	uacce->cdev->owner = THIS_MODULE;
	return uacce;
err:
	xa_erase(&uacce_xa, uacce->dev_id);
	put_device(&uacce->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(uacce_alloc);

/**
 * uacce_register() - make an accelerator visible to user space
 * @uacce: from uacce_alloc(), filled in
 *
 * Return: 0 or -errno; on error the caller still calls uacce_remove().
 */
int uacce_register(struct uacce_device *uacce)
{
	int ret;

	if (!uacce->api || !uacce->algs ||
	    (uacce->qf_pg_num[UACCE_QFRT_MMIO] && !uacce->ops->mmio_pfn) ||
	    ((uacce->flags & UACCE_DEV_FAULT_FROM_DEV) &&
	     !uacce->ops->page_response))
		return -EINVAL;

	/* each step undone here, so that uacce_remove() knows the state */
	ret = cdev_add(uacce->cdev, uacce->dev.devt, 1);
	if (ret)
		return ret;
	ret = device_add(&uacce->dev);
	if (ret) {
		cdev_del(uacce->cdev);	/* frees it */
		uacce->cdev = NULL;
		return ret;
	}
	mutex_lock(&uacce->mutex);
	uacce->registered = true;
	mutex_unlock(&uacce->mutex);
	/* complete now: open() may find it (the entry exists: no allocation) */
	xa_store(&uacce_xa, uacce->dev_id, uacce, GFP_KERNEL);
	return 0;
}
EXPORT_SYMBOL_GPL(uacce_register);

/*
 * Take a queue away from the device for good: no new mapping or page can
 * appear (ZOMBIE under remove_sem), existing ones are zapped, the driver
 * stops and releases it, and pollers wake up to POLLHUP. A page request in
 * progress is dropped: its thread may go on waiting, holding nothing the
 * removal needs. The queue itself lives until close().
 */
static void uacce_kill_queue(struct uacce_queue *q)
{
	struct uacce_device *uacce = q->uacce;
	bool started;

	mutex_lock(&q->mutex);
	started = q->state == UACCE_Q_STARTED;
	down_write(&q->remove_sem);
	q->state = UACCE_Q_ZOMBIE;
	up_write(&q->remove_sem);
	unmap_mapping_range(q->mapping, 0, 0, 1);
	/*
	 * The owner gets SIGBUS in its SS now: so does every queue the
	 * region was shared to (uaddr 0, as after munmap).
	 */
	spin_lock(&q->lock);
	if (q->qfrs[UACCE_QFRT_SS])
		WRITE_ONCE(q->qfrs[UACCE_QFRT_SS]->uaddr, 0);
	spin_unlock(&q->lock);
	/* not under remove_sem: stopping waits for the device */
	if (started) {
		uacce_pf_cancel(q);
		uacce->ops->stop_queue(q);
	}
	uacce->ops->put_queue(q);
	mutex_unlock(&q->mutex);
	/* the requests' buffers are the process's again */
	smp_store_release(&q->gone, true);
	wake_up_interruptible_all(&q->wait);
}

/**
 * uacce_remove() - remove an accelerator, open queues or not
 * @uacce: from uacce_alloc(); NULL or an ERR_PTR() is ignored
 *
 * Every open queue is stopped and released through the driver and unmapped
 * from its process, which then gets ENODEV, POLLHUP and SIGBUS. When this
 * returns, uacce makes no more calls to the driver, which may go away.
 */
void uacce_remove(struct uacce_device *uacce)
{
	struct uacce_queue *q, *next;
	bool registered;

	if (IS_ERR_OR_NULL(uacce))
		return;

	/* no new open finds it; the id stays taken until sysfs is clean */
	xa_store(&uacce_xa, uacce->dev_id, NULL, GFP_KERNEL);

	mutex_lock(&uacce->mutex);
	uacce->removed = true;
	registered = uacce->registered;
	list_for_each_entry_safe(q, next, &uacce->queues, list) {
		uacce_kill_queue(q);
		list_del_init(&q->list);
		uacce->nr_queues--;
	}
	mutex_unlock(&uacce->mutex);

	if (registered) {
		device_del(&uacce->dev);
		cdev_del(uacce->cdev);
	} else if (uacce->cdev) {
		kobject_put(&uacce->cdev->kobj);
	}
	xa_erase(&uacce_xa, uacce->dev_id);
	put_device(&uacce->dev);
}
EXPORT_SYMBOL_GPL(uacce_remove);

static int __init uacce_init(void)
{
	int ret;

	uacce_class = class_create(THIS_MODULE, "uacce");
	if (IS_ERR(uacce_class))
		return PTR_ERR(uacce_class);

	ret = alloc_chrdev_region(&uacce_devt, 0, UACCE_MAX_DEVICES, "uacce");
	if (ret)
		class_destroy(uacce_class);
	return ret;
}

static void __exit uacce_exit(void)
{
	unregister_chrdev_region(uacce_devt, UACCE_MAX_DEVICES);
	class_destroy(uacce_class);
	WARN_ON(!xa_empty(&uacce_xa));
}

module_init(uacce_init);
module_exit(uacce_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("WarpDrive developers");
MODULE_DESCRIPTION("Unified/User-space-access-intended Accelerator Framework");
