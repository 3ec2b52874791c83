/* SPDX-License-Identifier: GPL-2.0 */
/*
 * uacce's own declarations, shared by the sources of uacce.ko:
 *
 *   core.c   the character device and its file operations, the queues'
 *            life cycle, registration, the module
 *   mem.c    region memory and SS charging, SS sharing, mmap
 *   pf.c     page requests: the queues' fault threads
 *   sysfs.c  errors and isolation, the sysfs attributes
 *
 * Drivers use <warpdrive/uacce.h> only.
 */
#ifndef _UACCE_INTERNAL_H
#define _UACCE_INTERNAL_H

#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sysfs.h>

#include <warpdrive/uacce.h>

static inline struct uacce_device *to_uacce(struct device *dev)
{
	return container_of(dev, struct uacce_device, dev);
}

static inline bool uacce_q_is_owner(struct uacce_queue *q)
{
	return current->mm == q->mm;
}

/*
 * May the caller use @q? -ENODEV once removed, then -EPERM for anyone but
 * its owner (nothing about a queue is told to another process). ZOMBIE is
 * written under both @mutex and @remove_sem, so either keeps "ZOMBIE or
 * not" stable; INIT <-> STARTED only under @mutex, hence READ_ONCE().
 */
static inline int uacce_q_check(struct uacce_queue *q)
{
	lockdep_assert(lockdep_is_held(&q->mutex) ||
		       lockdep_is_held(&q->remove_sem));
	if (READ_ONCE(q->state) == UACCE_Q_ZOMBIE)
		return -ENODEV;
	if (!uacce_q_is_owner(q))
		return -EPERM;
	return 0;
}

/* core.c */
extern const struct file_operations uacce_fops;
void uacce_queue_put(struct uacce_queue *q);
int uacce_available(struct uacce_device *uacce);

/* mem.c */
extern const struct vm_operations_struct uacce_vm_ops;
struct uacce_qfr *uacce_qfr_alloc(enum uacce_qfrt type,
				  unsigned long nr_pages, bool contig,
				  int node);
size_t uacce_region_size(struct uacce_device *uacce, enum uacce_qfrt type);
long uacce_share_svas(struct uacce_queue *q, unsigned long arg);
long uacce_get_ss_dma(struct uacce_queue *q, u64 *dma);
int uacce_fops_mmap(struct file *filep, struct vm_area_struct *vma);

/* pf.c */
void uacce_pf_cancel(struct uacce_queue *q);
void uacce_pf_exit(struct uacce_queue *q);

/* sysfs.c */
bool uacce_isolated(struct uacce_device *uacce);
extern const struct attribute_group *uacce_dev_groups[];

#endif /* _UACCE_INTERNAL_H */
