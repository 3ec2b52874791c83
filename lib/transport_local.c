// SPDX-License-Identifier: MIT
/*
 * transport_local.c: queues of the in-process device, the wd_soft engine
 * hosted in threads of this process (lib/soft/wd_soft_local.h). The same
 * regions and ring protocol as /dev/uaN, reached by function calls instead
 * of mmap/ioctl/poll; the wd_soft_v1 user driver runs unchanged on top.
 *
 * The device is chosen only by name ("local[:mode]" in dev_path or
 * WD_DEV_PATH): one device per memory mode, created on first use and kept
 * for the life of the process. A fork child cannot use its parent's (its
 * engine threads did not come along), so a child gets devices of its own.
 * WD_LOCAL_ENGINES sizes a device when it is created (wd_local_engines());
 * WD_LOCAL_SVA_COPY=signal makes the SVA device's engines copy with the
 * signal guard instead of the kernel (wd_local_sva_copy()).
 *
 * Built without the in-process device (WD_HAVE_LOCAL undefined, as in the
 * static programs for the VM), "local" fails with -ENODEV: it is never
 * replaced by something else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wd_priv.h"

/*
 * The engine threads of an in-process device about to be created: the
 * WD_LOCAL_ENGINES environment variable, decimal digits only, 1 to
 * WD_LOCAL_ENGINES_MAX; unset or empty: 1 (WDL_DEF_ENGINES). Anything else
 * (0, a sign, too big, not a number, trailing junk, spaces) is -EINVAL,
 * which the caller returns as it is: a mistake in the environment is
 * reported, not replaced by a default. A program running with more
 * privilege than its caller (setuid, setgid, file capabilities: AT_SECURE)
 * does not see the variable at all (secure_getenv()): whoever runs it must
 * not size, or break, its device.
 */
WD_EXPORT int wd_local_engines(void)
{
	const char *s = secure_getenv("WD_LOCAL_ENGINES");
	unsigned int n = 0;

	if (!s || !*s)
		return 1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		n = n * 10 + (unsigned int)(*s - '0');
		if (n > WD_LOCAL_ENGINES_MAX)
			return -EINVAL;
	}
	return n ? (int)n : -EINVAL;
}

#ifdef WD_HAVE_LOCAL

#include "soft/wd_soft_local.h"

static const char *const wd_local_names[] = {
	[WDL_MODE_SVA] = WD_DEV_LOCAL_PATH ":sva",
	[WDL_MODE_PASID] = WD_DEV_LOCAL_PATH ":pasid",
	[WDL_MODE_NOIOMMU] = WD_DEV_LOCAL_PATH ":noiommu",
};

/*
 * The process's in-process devices, one per mode, under wd_local_lock,
 * which is held while a device is created (so there is only one) and
 * around fork() (pthread_atfork), so that a fork child never inherits it
 * held by a thread that did not come along.
 */
static pthread_mutex_t wd_local_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	struct wdl_dev *dev;
	unsigned long fork_gen;
} wd_local[3];

static void wd_local_prepare(void)
{
	pthread_mutex_lock(&wd_local_lock);
}

static void wd_local_release(void)
{
	pthread_mutex_unlock(&wd_local_lock);
}

int wd_local_init(void)
{
	/*
	 * lib/soft's handlers first: prepare handlers run in the reverse
	 * order, so fork() takes wd_local_lock before wdl_lock, as
	 * wd_local_dev() does (around wdl_dev_create()).
	 */
	int ret = wdl_init();

	if (ret)
		return ret;
	return -pthread_atfork(wd_local_prepare, wd_local_release,
			       wd_local_release);
}

/*
 * How the SVA device about to be created reaches request data: the
 * WD_LOCAL_SVA_COPY environment variable, "kernel" (the default: no signal
 * handler) or "signal" (a process-wide SIGSEGV/SIGBUS handler, no system
 * call per request; docs/soft-local.md); unset or empty: "kernel".
 * Anything else is -EINVAL, as for WD_LOCAL_ENGINES; in a program with
 * more privilege than its caller it counts as unset (secure_getenv()).
 */
static int wd_local_sva_copy(enum wdl_sva_copy *how)
{
	const char *s = secure_getenv("WD_LOCAL_SVA_COPY");

	if (!s || !*s || !strcmp(s, "kernel"))
		*how = WDL_SVA_COPY_KERNEL;
	else if (!strcmp(s, "signal"))
		*how = WDL_SVA_COPY_SIGNAL;
	else
		return -EINVAL;
	return 0;
}

_Static_assert(WD_LOCAL_ENGINES_MAX == WDL_MAX_ENGINES && WDL_DEF_ENGINES == 1,
	       "wd.h's limit and default are the in-process device's");

static enum wdl_mode wd_wdl_mode(uint32_t mode)
{
	return mode == WD_DEV_PASID ? WDL_MODE_PASID :
	       mode == WD_DEV_NOIOMMU ? WDL_MODE_NOIOMMU : WDL_MODE_SVA;
}

int wd_local_dev(uint32_t mode, struct wd_dev *d)
{
	enum wdl_mode m = wd_wdl_mode(mode);
	unsigned long gen = atomic_load(&wd_fork_gen);
	struct wdl_dev *dev;
	int ret = 0;

	pthread_mutex_lock(&wd_local_lock);
	if (!wd_local[m].dev || wd_local[m].fork_gen != gen) {
		/* a parent's device is left alone: its threads are not here */
		struct wdl_config cfg = { .mode = m };
		int engines = wd_local_engines();

		wd_local[m].dev = NULL;
		wd_local[m].fork_gen = gen;
		if (engines < 0) {
			/* nothing created; the next request reads it again */
			ret = engines;
		} else {
			cfg.nr_engines = (unsigned int)engines;
			/* WD_LOCAL_SVA_COPY: as above, -EINVAL creates nothing */
			if (m == WDL_MODE_SVA)
				ret = wd_local_sva_copy(&cfg.sva_copy);
			if (!ret) {
				ret = wdl_dev_create(&cfg, &wd_local[m].dev);
				/* our own configuration refused: no device */
				if (ret == -EINVAL)
					ret = -ENODEV;
			}
		}
	}
	dev = wd_local[m].dev;
	pthread_mutex_unlock(&wd_local_lock);
	if (ret)
		return ret;

	memset(d, 0, sizeof(*d));
	snprintf(d->path, sizeof(d->path), "%s", wd_local_names[m]);
	snprintf(d->api, sizeof(d->api), "%s", wdl_dev_api(dev));
	snprintf(d->algs, sizeof(d->algs), "%s", wdl_dev_algorithms(dev));
	d->mode = mode;
	d->id = -1;
	d->node = -1;
	d->distance = 10;
	d->avail = wdl_dev_available_instances(dev);
	d->isolated = wdl_dev_isolated(dev);
	d->ss_max = wdl_dev_ss_max_size(dev);
	d->tp = &wd_tp_local;
	d->drv = wd_driver_find(d->api);
	d->local = dev;
	return d->drv ? 0 : -EPROTONOSUPPORT;
}

static struct wdl_queue *lq(struct wd_q *q)
{
	return q->tp_priv;
}

static int wd_l_open(struct wd_q *q, const struct wd_dev *dev)
{
	struct wdl_queue *wq;
	int ret = wdl_queue_open(dev->local, &wq);

	if (ret)
		return ret;
	q->tp_priv = wq;
	return 0;
}

static int wd_l_region(struct wd_q *q, int qfrt, size_t size, void **addr)
{
	void *p;

	(void)size;	/* the regions have their fixed wd_soft_v1 sizes */
	if (qfrt == UACCE_QFRT_MMIO)
		p = wdl_queue_mmio(lq(q));
	else if (qfrt == UACCE_QFRT_DUS)
		p = wdl_queue_dus(lq(q));
	else
		return -EINVAL;
	if (!p)
		return -ENODEV;
	*addr = p;
	return 0;
}

static int wd_l_start(struct wd_q *q)
{
	return wdl_queue_start(lq(q));
}

static int wd_l_stop(struct wd_q *q)
{
	return wdl_queue_stop(lq(q));
}

static int wd_l_kick(struct wd_q *q)
{
	return wdl_queue_kick(lq(q));
}

static int wd_l_wait(struct wd_q *q, int timeout_ms)
{
	return wdl_queue_wait(lq(q), timeout_ms);
}

static int wd_l_ss_map(struct wd_q *q, size_t size, void **addr, uint64_t *dma)
{
	int ret = wdl_queue_ss_alloc(lq(q), size, addr);

	*dma = 0;
	if (ret || q->mode != WD_DEV_NOIOMMU)
		return ret;
	/* the region stays the queue's until it is closed: nothing to undo */
	return wdl_queue_ss_dma(lq(q), dma);
}

/* the region goes with the last queue that uses it (wdl_queue_close()) */
static void wd_l_ss_unmap(void *addr, size_t size)
{
	(void)addr;
	(void)size;
}

static int wd_l_share_ss(struct wd_q *owner, struct wd_q *target)
{
	return wdl_queue_share_ss(lq(owner), lq(target));
}

static void wd_l_close(struct wd_q *q)
{
	wdl_queue_close(lq(q));
	q->tp_priv = NULL;
}

/* fork child: the parent's queue has no engine here; leave the copy be */
static void wd_l_abandon(struct wd_q *q)
{
	q->tp_priv = NULL;
}

const struct wd_transport wd_tp_local = {
	.name = "local",
	.open = wd_l_open,
	.region = wd_l_region,
	.start = wd_l_start,
	.stop = wd_l_stop,
	.kick = wd_l_kick,
	.wait = wd_l_wait,
	.ss_map = wd_l_ss_map,
	.ss_unmap = wd_l_ss_unmap,
	.share_ss = wd_l_share_ss,
	.close = wd_l_close,
	.abandon = wd_l_abandon,
};

#else /* !WD_HAVE_LOCAL */

int wd_local_init(void)
{
	return 0;
}

int wd_local_dev(uint32_t mode, struct wd_dev *d)
{
	(void)mode;
	(void)d;
	return -ENODEV;
}

/* never used: no device refers to it */
const struct wd_transport wd_tp_local = {
	.name = "local (not built in)",
};

#endif /* WD_HAVE_LOCAL */
