// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: one instance and its uacce registration.
 *
 * An instance is a device on the wd_soft bus with its engines and a uacce
 * device underneath. uacce owns the queues; this file supplies the device
 * side of each queue (MMIO page, ring setup) through struct uacce_ops, and
 * the instance's debugfs directory (fault injection).
 */
#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "wd_soft.h"

static inline struct wd_soft_dev *to_wd_soft_dev(struct device *dev)
{
	return container_of(dev, struct wd_soft_dev, dev);
}

static int wd_soft_get_available_instances(struct uacce_device *uacce)
{
	struct wd_soft_dev *wdev = uacce->priv;

	return wdev->cfg.nr_queues - atomic_read(&wdev->nr_open);
}

static int wd_soft_get_queue(struct uacce_device *uacce,
			     struct uacce_queue *uq)
{
	struct wd_soft_dev *wdev = uacce->priv;
	void *dus = uacce_qfr_kaddr(uq, UACCE_QFRT_DUS);
	struct wd_soft_queue *q;

	if (!dus)
		return -EINVAL;
	/* nr_open never exceeds nr_queues */
	if (!atomic_add_unless(&wdev->nr_open, 1, wdev->cfg.nr_queues))
		return -EBUSY;

	/* charged to the opener, as uacce charges the regions */
	q = kzalloc_node(sizeof(*q), GFP_KERNEL_ACCOUNT, wdev->cfg.node);
	if (!q)
		goto err;
	q->mmio_page = alloc_pages_node(wdev->cfg.node, GFP_KERNEL_ACCOUNT |
					__GFP_ZERO | __GFP_NOWARN, 0);
	if (!q->mmio_page)
		goto err_free_q;

	q->wdev = wdev;
	q->uq = uq;
	INIT_LIST_HEAD(&q->sq.node);
	wd_soft_core_queue_init(&q->core, &wdev->core,
				page_address(q->mmio_page), dus);
	uq->priv = q;
	return 0;

err_free_q:
	kfree(q);
err:
	atomic_dec(&wdev->nr_open);
	return -ENOMEM;
}

static void wd_soft_put_queue(struct uacce_queue *uq)
{
	struct wd_soft_queue *q = uq->priv;
	struct wd_soft_dev *wdev = q->wdev;

	/* stopped (uacce's rule): no engine serves it */
	wd_soft_core_ctx_free_all(&q->core);
	uq->priv = NULL;
	__free_page(q->mmio_page);
	kfree(q);
	atomic_dec(&wdev->nr_open);
}

static int wd_soft_start_queue(struct uacce_queue *uq)
{
	struct wd_soft_queue *q = uq->priv;

	wd_soft_core_queue_reset(&q->core);
	wd_soft_engine_attach(q);
	return 0;
}

static void wd_soft_stop_queue(struct uacce_queue *uq)
{
	struct wd_soft_queue *q = uq->priv;

	wd_soft_engine_detach(q);
	wd_soft_core_cancel(&q->core);
	/* PUT_Q frees the contexts; no engine serves @q now */
	wd_soft_core_ctx_free_all(&q->core);
}

/* Called from poll(), beside the control path: reads only. */
static __poll_t wd_soft_poll(struct uacce_queue *uq)
{
	struct wd_soft_queue *q = uq->priv;
	__poll_t ret = 0;

	if (wd_soft_core_queue_updated(&q->core))
		ret |= EPOLLIN | EPOLLRDNORM;
	if (wd_soft_core_queue_broken(&q->core))
		ret |= EPOLLERR;
	return ret;
}

static void wd_soft_page_response(struct uacce_queue *uq, int err)
{
	wd_soft_engine_page_done(uq->priv, err);
}

/* Under the owner's mmap_lock; the region is one page, so pgoff is 0. */
static unsigned long wd_soft_mmio_pfn(struct uacce_queue *uq,
				      unsigned long pgoff)
{
	struct wd_soft_queue *q = uq->priv;

	return page_to_pfn(q->mmio_page);
}

/*
 * The queue's commands. uacce calls us under the queue's mutex, after its
 * own checks: the caller owns the queue (else EPERM) and the device is not
 * removed (else ENODEV); start_queue, stop_queue and put_queue take the
 * same mutex, so neither q->engine nor the contexts change under us. We
 * must not touch user memory under that mutex (removal takes it): uacce
 * copies @data, the command's argument, in before and out after.
 * KICK: q->engine is set while started. CTX: the core allocates (charged
 * to the caller) and may sleep; an engine may serve the queue meanwhile.
 */
static long wd_soft_ioctl(struct uacce_queue *uq, unsigned int cmd,
			  void *data)
{
	struct wd_soft_queue *q = uq->priv;

	/* uacce copies at most that much */
	BUILD_BUG_ON(_IOC_SIZE(WD_SOFT_CMD_CTX) > UACCE_IOCTL_MAX_ARG);
	switch (cmd) {
	case WD_SOFT_CMD_KICK:
		if (!q->engine)
			return -EINVAL;
		wd_soft_engine_kick(q);
		return 0;
	case WD_SOFT_CMD_CTX:
		return wd_soft_core_ctx_cmd(&q->core, data);
	default:
		return -ENOTTY;
	}
}

/*
 * An OPEN whose answer could not be copied back: the caller has no number
 * to close the context with, so close it here. Under the queue's mutex; if
 * the caller closed that number meanwhile (EBADF), the generation in it
 * never names a newer context.
 */
static void wd_soft_ioctl_undo(struct uacce_queue *uq, unsigned int cmd,
			       void *data)
{
	struct wd_soft_queue *q = uq->priv;
	struct wd_soft_ctx_cmd *open = data;
	struct wd_soft_ctx_cmd close = {
		.cmd = WD_SOFT_CTX_CLOSE,
	};

	if (cmd != WD_SOFT_CMD_CTX || open->cmd != WD_SOFT_CTX_OPEN)
		return;
	close.ctx = open->ctx;
	wd_soft_core_ctx_cmd(&q->core, &close);
}

/* Clearing isolation resets the device: no injected fault is left. */
static void wd_soft_reset(struct uacce_device *uacce)
{
	struct wd_soft_dev *wdev = uacce->priv;

	wd_soft_core_set_fail_next(&wdev->core, 0);
}

/* the commands wd_soft_ioctl() takes; uacce answers ENOTTY to the others */
static const unsigned int wd_soft_ioctl_cmds[] = {
	WD_SOFT_CMD_KICK,
	WD_SOFT_CMD_CTX,
	0
};

static const struct uacce_ops wd_soft_uacce_ops = {
	.get_available_instances = wd_soft_get_available_instances,
	.get_queue	= wd_soft_get_queue,
	.put_queue	= wd_soft_put_queue,
	.start_queue	= wd_soft_start_queue,
	.stop_queue	= wd_soft_stop_queue,
	.poll		= wd_soft_poll,
	.mmio_pfn	= wd_soft_mmio_pfn,
	.ioctl_cmds	= wd_soft_ioctl_cmds,
	.ioctl		= wd_soft_ioctl,
	.ioctl_undo	= wd_soft_ioctl_undo,
	.reset		= wd_soft_reset,
	.page_response	= wd_soft_page_response,
};

static const unsigned int wd_soft_mode_flags[] = {
	[WD_SOFT_MODE_SVA]	= UACCE_DEV_SVA,
	[WD_SOFT_MODE_PASID]	= UACCE_DEV_PASID,
	[WD_SOFT_MODE_NOIOMMU]	= UACCE_DEV_NOIOMMU,
};

static int wd_soft_uacce_register(struct wd_soft_dev *wdev)
{
	struct uacce_interface iface = {
		.flags = wd_soft_mode_flags[wdev->cfg.mode],
		.ops = &wd_soft_uacce_ops,
	};
	struct uacce_device *uacce;
	int ret;

	uacce = uacce_alloc(&wdev->dev, &iface);
	if (IS_ERR(uacce))
		return PTR_ERR(uacce);

	uacce->api = WD_SOFT_API;
	uacce->algs = wdev->algs;
	uacce->qf_pg_num[UACCE_QFRT_MMIO] = 1;
	uacce->qf_pg_num[UACCE_QFRT_DKO] = 1;
	uacce->qf_pg_num[UACCE_QFRT_DUS] = WD_SOFT_DUS_SIZE / PAGE_SIZE;
	uacce->ss_max_size = wdev->cfg.mode == WD_SOFT_MODE_NOIOMMU ?
			     WD_SOFT_SS_MAX_NOIOMMU : WD_SOFT_SS_MAX;
	uacce->priv = wdev;

	ret = uacce_register(uacce);
	if (ret) {
		uacce_remove(uacce);
		return ret;
	}
	wdev->uacce = uacce;
	return 0;
}

static int wd_soft_fail_next_get(void *data, u64 *val)
{
	struct wd_soft_dev *wdev = data;

	*val = wd_soft_core_get_fail_next(&wdev->core);
	return 0;
}

static int wd_soft_fail_next_set(void *data, u64 val)
{
	struct wd_soft_dev *wdev = data;

	if (val > INT_MAX)
		return -EINVAL;
	wd_soft_core_set_fail_next(&wdev->core, (int)val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(wd_soft_fail_next_fops, wd_soft_fail_next_get,
			 wd_soft_fail_next_set, "%llu\n");

static int wd_soft_hold_get(void *data, u64 *val)
{
	struct wd_soft_dev *wdev = data;

	*val = READ_ONCE(wdev->engines[0].sched.hold);
	return 0;
}

static int wd_soft_hold_set(void *data, u64 val)
{
	if (val > 1)
		return -EINVAL;
	return wd_soft_engines_hold(data, val);
}

DEFINE_DEBUGFS_ATTRIBUTE(wd_soft_hold_fops, wd_soft_hold_get,
			 wd_soft_hold_set, "%llu\n");

static int wd_soft_page_requests_get(void *data, u64 *val)
{
	struct wd_soft_dev *wdev = data;

	*val = atomic64_read(&wdev->page_requests);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(wd_soft_page_requests_fops,
			 wd_soft_page_requests_get, NULL, "%llu\n");

static int wd_soft_ctx_bytes_get(void *data, u64 *val)
{
	struct wd_soft_dev *wdev = data;

	wd_soft_core_lock(&wdev->core.lock);
	*val = wdev->core.ctx_bytes;
	wd_soft_core_unlock(&wdev->core.lock);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(wd_soft_ctx_bytes_fops, wd_soft_ctx_bytes_get, NULL,
			 "%llu\n");

/* sums of the engines' own counters, read while they run */
static int wd_soft_bytes_mapped_get(void *data, u64 *val)
{
	struct wd_soft_dev *wdev = data;
	unsigned int i;

	*val = 0;
	for (i = 0; i < wdev->cfg.nr_engines; i++)
		*val += READ_ONCE(wdev->engines[i].core.mapped);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(wd_soft_bytes_mapped_fops, wd_soft_bytes_mapped_get,
			 NULL, "%llu\n");

static int wd_soft_bytes_copied_get(void *data, u64 *val)
{
	struct wd_soft_dev *wdev = data;
	unsigned int i;

	*val = 0;
	for (i = 0; i < wdev->cfg.nr_engines; i++)
		*val += READ_ONCE(wdev->engines[i].core.copied);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(wd_soft_bytes_copied_fops, wd_soft_bytes_copied_get,
			 NULL, "%llu\n");

static int wd_soft_kq_limit_get(void *data, u64 *val)
{
	struct wd_soft_dev *wdev = data;

	*val = READ_ONCE(wdev->kq_limit);
	return 0;
}

static int wd_soft_kq_limit_set(void *data, u64 val)
{
	struct wd_soft_dev *wdev = data;

	if (!val || val > WD_SOFT_DEPTH)
		return -EINVAL;
	WRITE_ONCE(wdev->kq_limit, val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(wd_soft_kq_limit_fops, wd_soft_kq_limit_get,
			 wd_soft_kq_limit_set, "%llu\n");

static int wd_soft_crypto_show(struct seq_file *m, void *v)
{
	struct wd_soft_dev *wdev = m->private;
	struct wd_soft_crypto_stats *st = &wdev->crypto_stats;

	seq_printf(m, "tfms %u\n", READ_ONCE(wdev->crypto_tfms));
	seq_printf(m, "sha256 %lld\n", atomic64_read(&st->sha256));
	seq_printf(m, "crc32c %lld\n", atomic64_read(&st->crc32c));
	seq_printf(m, "compress %lld\n", atomic64_read(&st->compress));
	seq_printf(m, "decompress %lld\n", atomic64_read(&st->decompress));
	seq_printf(m, "backlogged %lld\n", atomic64_read(&st->backlogged));
	seq_printf(m, "errors %lld\n", atomic64_read(&st->errors));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wd_soft_crypto);

static int wd_soft_stall_get(void *data, u64 *val)
{
	struct wd_soft_dev *wdev = data;

	*val = wd_soft_core_get_stall(&wdev->core);
	return 0;
}

static int wd_soft_stall_set(void *data, u64 val)
{
	struct wd_soft_dev *wdev = data;

	if (val > INT_MAX)
		return -EINVAL;
	wd_soft_core_set_stall(&wdev->core, (int)val);
	return 0;
}

DEFINE_DEBUGFS_ATTRIBUTE(wd_soft_stall_fops, wd_soft_stall_get,
			 wd_soft_stall_set, "%llu\n");

static int wd_soft_engine_stats_show(struct seq_file *m, void *v)
{
	struct wd_soft_dev *wdev = m->private;
	const struct wd_soft_sched_stats *st;
	unsigned int i;

	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		st = &wdev->engines[i].sched.st;
		seq_printf(m, "%s%llu %llu", i ? " " : "",
			   READ_ONCE(st->requests), READ_ONCE(st->helped));
	}
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(wd_soft_engine_stats);

/*
 * /sys/kernel/debug/wd_soft/wd_softN/fail_next: write N to make the next N
 * requests fail with WD_SOFT_S_DEV_ERR (each reported to uacce), read the
 * number still to fail. .../hold: write 1 and the engines start no request
 * until 0 is written; the write returns once they finished their batch, or
 * fails with EAGAIN after WD_SOFT_HOLD_WAIT (write again). .../page_requests:
 * how many the engines made (SVA). .../ctx_bytes: what the stream contexts
 * of all queues hold now, in bytes. .../bytes_mapped, .../bytes_copied: the
 * request bytes the engines reached in place (mem.c) and copied. With the
 * crypto API (uacce_mode 0, 1): .../crypto, what kernel users did ("key value"
 * lines: tfms bound now, requests completed per algorithm, backlogged,
 * errors), and .../kq_limit, most requests in flight per kernel queue
 * (1..WD_SOFT_DEPTH), which with "hold" sends requests to the backlog on
 * purpose. .../stall: write N and the next N requests taken stall their
 * engine before they execute, until 0 is written or their queue stops; read
 * the engines stalled now (tests: an engine busy with the oldest request).
 * .../engine_stats: "requests helped" of each engine in turn: requests
 * executed, and how many of them for a sibling's queue. debugfs is optional:
 * failures are ignored.
 */
static void wd_soft_debugfs_init(struct wd_soft_dev *wdev)
{
	if (IS_ERR_OR_NULL(wd_soft_debugfs))
		return;
	wdev->debugfs = debugfs_create_dir(dev_name(&wdev->dev),
					   wd_soft_debugfs);
	debugfs_create_file_unsafe("fail_next", 0600, wdev->debugfs, wdev,
				   &wd_soft_fail_next_fops);
	debugfs_create_file_unsafe("hold", 0600, wdev->debugfs, wdev,
				   &wd_soft_hold_fops);
	debugfs_create_file_unsafe("page_requests", 0400, wdev->debugfs, wdev,
				   &wd_soft_page_requests_fops);
	debugfs_create_file_unsafe("ctx_bytes", 0400, wdev->debugfs, wdev,
				   &wd_soft_ctx_bytes_fops);
	debugfs_create_file_unsafe("bytes_mapped", 0400, wdev->debugfs, wdev,
				   &wd_soft_bytes_mapped_fops);
	debugfs_create_file_unsafe("bytes_copied", 0400, wdev->debugfs, wdev,
				   &wd_soft_bytes_copied_fops);
	debugfs_create_file_unsafe("stall", 0600, wdev->debugfs, wdev,
				   &wd_soft_stall_fops);
	debugfs_create_file("engine_stats", 0400, wdev->debugfs, wdev,
			    &wd_soft_engine_stats_fops);
	if (!wdev->kqs)
		return;
	debugfs_create_file("crypto", 0400, wdev->debugfs, wdev,
			    &wd_soft_crypto_fops);
	debugfs_create_file_unsafe("kq_limit", 0600, wdev->debugfs, wdev,
				   &wd_soft_kq_limit_fops);
}

static void wd_soft_dev_release(struct device *dev)
{
	kfree(to_wd_soft_dev(dev));
}

/**
 * wd_soft_dev_create() - create and register an instance
 * @cfg: its configuration, already validated
 *
 * Adds wd_softID to the bus, starts its engines and, as uacce_mode says,
 * registers its uacce device and serves the crypto API through kernel
 * queues. The caller holds wd_soft_devs_lock.
 *
 * Return: the instance or an ERR_PTR().
 */
struct wd_soft_dev *wd_soft_dev_create(const struct wd_soft_config *cfg)
{
	struct wd_soft_dev *wdev;
	int ret;

	/* the ring layout is the ABI: pages must divide it */
	BUILD_BUG_ON(sizeof(struct wd_soft_mmio) > PAGE_SIZE);
	BUILD_BUG_ON(WD_SOFT_DUS_SIZE % PAGE_SIZE);

	wdev = kzalloc_node(struct_size(wdev, engines, cfg->nr_engines),
			    GFP_KERNEL, cfg->node);
	if (!wdev)
		return ERR_PTR(-ENOMEM);
	wdev->cfg = *cfg;
	atomic_set(&wdev->nr_open, 0);
	atomic64_set(&wdev->page_requests, 0);
	mutex_init(&wdev->hold_lock);
	INIT_LIST_HEAD(&wdev->crypto_node);

	device_initialize(&wdev->dev);
	wdev->dev.bus = &wd_soft_bus;
	wdev->dev.release = wd_soft_dev_release;
	set_dev_node(&wdev->dev, cfg->node);
	ret = dev_set_name(&wdev->dev, "wd_soft%u", cfg->id);
	if (ret)
		goto err_put;
	ret = device_add(&wdev->dev);
	if (ret)
		goto err_put;

	ret = wd_soft_algs_init(wdev);
	if (ret)
		goto err_del;
	ret = wd_soft_engines_start(wdev);
	if (ret)
		goto err_algs;
	if (wd_soft_has_crypto()) {
		ret = wd_soft_kqs_create(wdev);
		if (ret)
			goto err_engines;
	}
	if (wd_soft_has_uacce()) {
		ret = wd_soft_uacce_register(wdev);
		if (ret)
			goto err_kqs;
	}
	wd_soft_debugfs_init(wdev);
	/* last: testmgr may test the algorithms on this instance now */
	if (wd_soft_has_crypto())
		wd_soft_crypto_add(wdev);
	return wdev;

err_kqs:
	wd_soft_kqs_destroy(wdev);
err_engines:
	wd_soft_engines_stop(wdev);
err_algs:
	wd_soft_algs_exit(wdev);
err_del:
	device_del(&wdev->dev);
err_put:
	put_device(&wdev->dev);
	return ERR_PTR(ret);
}

/**
 * wd_soft_dev_destroy() - remove an instance, open queues or not
 * @wdev: the instance, already off the bus's list and no longer serving
 *	the crypto API (wd_soft_crypto_del(): no tfm is bound to it)
 *
 * uacce_remove() stops and releases every open queue through our ops,
 * which frees their stream contexts, and makes no call to us afterwards;
 * the kernel queues stop; then the engines, idle by now, stop. The caller
 * holds wd_soft_devs_lock.
 */
void wd_soft_dev_destroy(struct wd_soft_dev *wdev)
{
	/* no fault injection into a device that goes away */
	debugfs_remove_recursive(wdev->debugfs);
	wdev->debugfs = NULL;
	if (wdev->uacce)
		uacce_remove(wdev->uacce);
	wdev->uacce = NULL;
	wd_soft_kqs_destroy(wdev);
	/* every queue was released: a byte left is the core's count wrong */
	WARN_ON(wdev->core.ctx_bytes);
	wd_soft_engines_stop(wdev);
	wd_soft_algs_exit(wdev);
	device_unregister(&wdev->dev);
}
