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
 *
 * This file: the character device and its file operations, the queues'
 * life cycle, registration and the module. The rest of uacce.ko: mem.c
 * (region memory, SS sharing, mmap), pf.c (page requests), sysfs.c
 * (errors, isolation, sysfs); what they share is in internal.h.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "internal.h"

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
	/* under @mutex only: remove_sem readers look meanwhile */
	WRITE_ONCE(q->state, UACCE_Q_STARTED);
	return 0;
}

static int uacce_stop_queue(struct uacce_queue *q)
{
	if (q->state != UACCE_Q_STARTED)
		return -EINVAL;
	uacce_pf_cancel(q);
	q->uacce->ops->stop_queue(q);
	WRITE_ONCE(q->state, UACCE_Q_INIT);
	return 0;
}

/* Is @cmd one of the driver's commands (struct uacce_ops.ioctl_cmds)? */
static bool uacce_ioctl_known(const struct uacce_ops *ops, unsigned int cmd)
{
	const unsigned int *c;

	if (!ops->ioctl || !ops->ioctl_cmds)
		return false;
	for (c = ops->ioctl_cmds; *c; c++)
		if (*c == cmd)
			return true;
	return false;
}

/*
 * A driver command's argument, copied in before q->mutex is taken (and out
 * by the caller after it is let go): nothing under the mutex, which removal
 * takes, may touch user memory, whose pages the caller may never let come.
 * The queue's own errors come first, so that a non-owner learns nothing
 * (not even EFAULT). @size is set to the bytes at @data, 0 for none.
 */
static long uacce_ioctl_copy_in(struct uacce_queue *q, unsigned int cmd,
				void __user *uarg, void *data, size_t *size)
{
	long ret;

	*size = 0;
	down_read(&q->remove_sem);
	ret = uacce_q_check(q);
	/* while not ZOMBIE, removal has not passed us: the driver is there */
	if (!ret && !uacce_ioctl_known(q->uacce->ops, cmd))
		ret = -ENOTTY;
	up_read(&q->remove_sem);
	if (ret || _IOC_DIR(cmd) == _IOC_NONE || !_IOC_SIZE(cmd))
		return ret;
	/* uacce_register() checked the driver's commands */
	if (!(_IOC_DIR(cmd) & _IOC_WRITE))
		memset(data, 0, _IOC_SIZE(cmd));
	else if (copy_from_user(data, uarg, _IOC_SIZE(cmd)))
		return -EFAULT;
	*size = _IOC_SIZE(cmd);
	return 0;
}

static long uacce_fops_unl_ioctl(struct file *filep, unsigned int cmd,
				 unsigned long arg)
{
	struct uacce_queue *q = filep->private_data;
	struct uacce_device *uacce = q->uacce;
	void __user *uarg = (void __user *)arg;
	u8 data[UACCE_IOCTL_MAX_ARG] __aligned(8);
	bool driver = false;
	size_t size = 0;
	u64 dma;
	long ret;

	switch (cmd) {
	case UACCE_CMD_START_Q:
	case UACCE_CMD_PUT_Q:
	case UACCE_CMD_SHARE_SVAS:
	case UACCE_CMD_GET_SS_DMA:
		break;
	default:
		driver = true;
		ret = uacce_ioctl_copy_in(q, cmd, uarg, data, &size);
		if (ret)
			return ret;
		break;
	}

	/*
	 * q->mutex is held by removal too: nothing under it may touch user
	 * memory, whose pages the caller may never let come.
	 */
	mutex_lock(&q->mutex);
	ret = uacce_q_check(q);
	if (ret)
		goto out;

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
		ret = uacce->ops->ioctl(q, cmd, size ? data : NULL);
		break;
	}
out:
	mutex_unlock(&q->mutex);
	if (!ret && cmd == UACCE_CMD_GET_SS_DMA &&
	    copy_to_user(uarg, &dma, sizeof(dma)))
		ret = -EFAULT;
	if (!ret && driver && size && (_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, data, size)) {
		ret = -EFAULT;
		/* what the command created must not outlive its answer */
		mutex_lock(&q->mutex);
		if (q->state != UACCE_Q_ZOMBIE && uacce->ops->ioctl_undo)
			uacce->ops->ioctl_undo(q, cmd, data);
		mutex_unlock(&q->mutex);
	}
	return ret;
}

/* ---- open and release ------------------------------------------------- */

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

void uacce_queue_put(struct uacce_queue *q)
{
	if (refcount_dec_and_test(&q->ref))
		uacce_queue_free(q);
}

/*
 * Queues that can still be opened; uacce->mutex held. A closed queue whose
 * fault thread still waits does not hold a queue of the device, but the
 * device keeps no more such threads than it has queues: beyond that it
 * refuses new queues until some end, so that nobody piles them up.
 */
int uacce_available(struct uacce_device *uacce)
{
	int avail;

	lockdep_assert_held(&uacce->mutex);
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

	/*
	 * A non-owner is answered at once and never waits: not even on
	 * q->wait, where each completion batch of the owner would wake it
	 * (an edge-triggered epoll) and tell it the owner's timing.
	 */
	if (!uacce_q_is_owner(q)) {
		/* pairs with the release of removal, as below */
		if (smp_load_acquire(&q->gone))
			return EPOLLHUP | EPOLLERR;
		return EPOLLERR;
	}

	poll_wait(filep, &q->wait, wait);

	down_read(&q->remove_sem);
	/* hung up once the device has let go of the queue's memory */
	if (smp_load_acquire(&q->gone))
		ret = EPOLLHUP | EPOLLERR;
	else if (READ_ONCE(q->state) == UACCE_Q_ZOMBIE)
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

const struct file_operations uacce_fops = {
	.owner		= THIS_MODULE,
	.open		= uacce_fops_open,
	.release	= uacce_fops_release,
	.unlocked_ioctl	= uacce_fops_unl_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= uacce_fops_mmap,
	.poll		= uacce_fops_poll,
	.llseek		= noop_llseek,
};

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
	const unsigned int *c;
	int ret;

	/* uacce copies a driver command's argument on its stack */
	for (c = uacce->ops->ioctl_cmds; c && *c; c++)
		if (_IOC_SIZE(*c) > UACCE_IOCTL_MAX_ARG)
			return -EINVAL;
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
