// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * dev.c: in-process wd_soft devices and their queues, the part uacce and
 * wd_soft's dev.c play in the kernel: queue states, regions, SS sharing,
 * error counting and isolation, device removal with queues open, and the
 * device's own commands (KICK, stream contexts).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "wdl_internal.h"

atomic_uint wdl_fork_gen;
static atomic_int wdl_next_id;
static pthread_once_t wdl_once = PTHREAD_ONCE_INIT;
static int wdl_once_err;

/*
 * The process-wide lock (wdl_internal.h): what a fork child must be able
 * to do again, create a device and install the signal handler, happens
 * under it, and fork() takes it (pthread_atfork), so that a child never
 * inherits it held by a thread that did not come along. Taking it also
 * keeps fork() out of the middle of OpenSSL's digest fetch and of thread
 * creation, whose own locks the child would need next.
 */
pthread_mutex_t wdl_lock = PTHREAD_MUTEX_INITIALIZER;

static void wdl_atfork_prepare(void)
{
	pthread_mutex_lock(&wdl_lock);
}

static void wdl_atfork_parent(void)
{
	pthread_mutex_unlock(&wdl_lock);
}

/*
 * In the child of fork() nothing of the parent's devices works: no engine
 * thread is there. The child makes its own.
 */
static void wdl_atfork_child(void)
{
	atomic_fetch_add(&wdl_fork_gen, 1);
	pthread_mutex_unlock(&wdl_lock);
}

static void wdl_global_init(void)
{
	wdl_once_err = -pthread_atfork(wdl_atfork_prepare, wdl_atfork_parent,
				       wdl_atfork_child);
}

int wdl_init(void)
{
	pthread_once(&wdl_once, wdl_global_init);
	return wdl_once_err;
}

uint64_t wdl_now_ns(void)
{
	struct timespec ts;

	/* vDSO: no system call */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t wdl_page_size(void)
{
	static size_t page;
	size_t p = __atomic_load_n(&page, __ATOMIC_RELAXED);

	if (!p) {
		p = (size_t)sysconf(_SC_PAGESIZE);
		__atomic_store_n(&page, p, __ATOMIC_RELAXED);
	}
	return p;
}

static size_t wdl_round_page(size_t n)
{
	size_t p = wdl_page_size();

	return (n + p - 1) & ~(p - 1);
}

/* Anonymous, zeroed, not inherited by fork() (as uacce's VM_DONTCOPY). */
static void *wdl_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, size, MADV_DONTFORK);
	return p;
}

static bool wdl_forked(const struct wdl_dev *dev)
{
	return dev->fork_gen != atomic_load_explicit(&wdl_fork_gen,
						     memory_order_relaxed);
}

/* ---- devices ---------------------------------------------------------- */

static int wdl_config_check(const struct wdl_config *in, struct wdl_config *c)
{
	*c = *in;
	if (!c->nr_queues)
		c->nr_queues = WDL_DEF_QUEUES;
	if (!c->nr_engines)
		c->nr_engines = WDL_DEF_ENGINES;
	if (!c->spin_ns)
		c->spin_ns = WDL_DEF_SPIN_NS;
	if (!c->op_mask)
		c->op_mask = WD_SOFT_CORE_OPS_ALL;
	if ((unsigned int)c->mode > WDL_MODE_NOIOMMU ||
	    (unsigned int)c->sva_copy > WDL_SVA_COPY_SIGNAL ||
	    c->nr_queues > WDL_MAX_QUEUES || c->nr_engines > WDL_MAX_ENGINES ||
	    c->isolate_strategy > WDL_MAX_ISOLATE ||
	    (c->op_mask & ~(uint32_t)WD_SOFT_CORE_OPS_ALL))
		return -EINVAL;
	return 0;
}

int wdl_dev_create(const struct wdl_config *cfg, struct wdl_dev **devp)
{
	struct wdl_config c;
	struct wdl_dev *dev;
	int ret;

	if (!cfg || !devp)
		return -EINVAL;
	ret = wdl_config_check(cfg, &c);
	if (ret)
		return ret;
	ret = wdl_init();
	if (ret)
		return ret;

	pthread_mutex_lock(&wdl_lock);
	ret = wdl_mem_init(&c);
	if (ret)
		goto err_unlock;
	ret = -ENOMEM;
	dev = calloc(1, sizeof(*dev) + c.nr_engines * sizeof(dev->engines[0]));
	if (!dev)
		goto err_unlock;
	dev->cfg = c;
	dev->id = atomic_fetch_add(&wdl_next_id, 1);
	atomic_init(&dev->refs, 1);
	dev->fork_gen = atomic_load(&wdl_fork_gen);
	pthread_mutex_init(&dev->lock, NULL);
	pthread_mutex_init(&dev->err_lock, NULL);
	INIT_LIST_HEAD(&dev->queues);
	dev->isolate_strategy = c.isolate_strategy;
	dev->nr_engines = c.nr_engines;

	ret = wdl_algs_init(dev);
	if (ret)
		goto err_free;
	/* the core's default unless the creator gave a bound (0: none) */
	if (c.max_ctx_bytes_set || c.max_ctx_bytes)
		dev->core.max_ctx_bytes = c.max_ctx_bytes;
	ret = wdl_engines_start(dev);
	if (ret)
		goto err_algs;
	pthread_mutex_unlock(&wdl_lock);
	*devp = dev;
	return 0;

err_algs:
	wdl_algs_exit(dev);
err_free:
	pthread_mutex_destroy(&dev->err_lock);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
err_unlock:
	pthread_mutex_unlock(&wdl_lock);
	return ret;
}

void wdl_dev_put(struct wdl_dev *dev)
{
	if (atomic_fetch_sub(&dev->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&dev->err_lock);
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/*
 * The queue is gone for its owner: stopped, its contexts freed (before the
 * device's digest method goes), pollers told (q->lock held).
 */
static void wdl_queue_kill(struct wdl_queue *q)
{
	if (atomic_load(&q->state) == WDL_Q_STARTED) {
		wdl_engine_detach(q);
		wd_soft_core_cancel(&q->core);
	}
	wd_soft_core_ctx_free_all(&q->core);
	atomic_store(&q->state, WDL_Q_DEAD);
	wdl_queue_wake_all(q);
}

void wdl_dev_destroy(struct wdl_dev *dev)
{
	struct list_head *n;

	if (!dev)
		return;
	/* a fork child has no engines to stop: leave the copy alone */
	if (wdl_forked(dev))
		return;
	pthread_mutex_lock(&dev->lock);
	dev->removed = true;
	/* no fault injection into a device that goes away */
	wd_soft_core_set_fail_next(&dev->core, 0);
	for (n = dev->queues.next; n != &dev->queues; n = n->next) {
		struct wdl_queue *q = container_of(n, struct wdl_queue,
						   dev_node);

		pthread_mutex_lock(&q->lock);
		wdl_queue_kill(q);
		pthread_mutex_unlock(&q->lock);
	}
	pthread_mutex_unlock(&dev->lock);

	wdl_engines_stop(dev);
	/* OpenSSL's locks, as in wdl_dev_create() */
	pthread_mutex_lock(&wdl_lock);
	wdl_algs_exit(dev);
	pthread_mutex_unlock(&wdl_lock);
	wdl_dev_put(dev);
}

int wdl_dev_id(const struct wdl_dev *dev)
{
	return dev->id;
}

enum wdl_mode wdl_dev_mode(const struct wdl_dev *dev)
{
	return dev->cfg.mode;
}

unsigned int wdl_dev_flags(const struct wdl_dev *dev)
{
	switch (dev->cfg.mode) {
	case WDL_MODE_PASID:
		return UACCE_DEV_PASID;
	case WDL_MODE_NOIOMMU:
		return UACCE_DEV_NOIOMMU;
	default:
		return UACCE_DEV_SVA;
	}
}

const char *wdl_dev_api(const struct wdl_dev *dev)
{
	(void)dev;
	return WD_SOFT_API;
}

const char *wdl_dev_algorithms(const struct wdl_dev *dev)
{
	return dev->algs;
}

bool wdl_dev_has_algorithm(const struct wdl_dev *dev, const char *name)
{
	size_t n = strlen(name);
	const char *p = dev->algs;

	if (!n)
		return false;
	while (*p) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && !memcmp(p, name, n))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

int wdl_dev_available_instances(struct wdl_dev *dev)
{
	bool isolated;
	int n;

	/* the parent's lock: a thread of the parent may have held it */
	if (wdl_forked(dev))
		return -EPERM;
	/* as uacce's: an isolated device has none to offer */
	isolated = wdl_dev_isolated(dev);
	pthread_mutex_lock(&dev->lock);
	n = dev->removed ? -ENODEV : isolated ? 0 :
	    (int)(dev->cfg.nr_queues - dev->nr_open);
	pthread_mutex_unlock(&dev->lock);
	return n;
}

size_t wdl_dev_ss_max_size(const struct wdl_dev *dev)
{
	return dev->cfg.mode == WDL_MODE_NOIOMMU ? WDL_SS_MAX_NOIOMMU :
						   WDL_SS_MAX;
}

int wdl_dev_set_hold(struct wdl_dev *dev, bool hold)
{
	int ret = 0;

	if (wdl_forked(dev))
		return -EPERM;
	/* dev->lock: destroy cannot stop the engines meanwhile */
	pthread_mutex_lock(&dev->lock);
	if (dev->removed)
		ret = -ENODEV;
	else
		wdl_engines_hold(dev, hold);
	pthread_mutex_unlock(&dev->lock);
	return ret;
}

void wdl_dev_set_fail_next(struct wdl_dev *dev, int n)
{
	wd_soft_core_set_fail_next(&dev->core, n);
}

int wdl_dev_get_fail_next(struct wdl_dev *dev)
{
	return wd_soft_core_get_fail_next(&dev->core);
}

void wdl_dev_set_stall(struct wdl_dev *dev, int n)
{
	wd_soft_core_set_stall(&dev->core, n);
}

int wdl_dev_get_stall(struct wdl_dev *dev)
{
	return wd_soft_core_get_stall(&dev->core);
}

uint64_t wdl_dev_ctx_bytes(struct wdl_dev *dev)
{
	uint64_t v;

	/* the parent's lock: a thread of the parent may have held it */
	if (wdl_forked(dev))
		return 0;
	wd_soft_core_lock(&dev->core.lock);
	v = dev->core.ctx_bytes;
	wd_soft_core_unlock(&dev->core.lock);
	return v;
}

/* ---- errors and isolation (uacce's rules) ----------------------------- */

/* errors counted in the last hour; err_lock held */
static unsigned int wdl_errors_last_hour(struct wdl_dev *dev, uint64_t minute)
{
	unsigned int i, sum = 0;

	for (i = 0; i < WDL_ERR_BUCKETS; i++)
		if (minute - dev->err_minute[i] < WDL_ERR_BUCKETS)
			sum += dev->err_count[i];
	return sum;
}

/* Host interface: a request failed with WD_SOFT_S_DEV_ERR. */
void wd_soft_host_report_error(struct wd_soft_core_queue *core)
{
	struct wdl_dev *dev = to_wdl_queue(core)->dev;
	uint64_t minute = wdl_now_ns() / (60 * 1000000000ull);
	unsigned int b = minute % WDL_ERR_BUCKETS;

	pthread_mutex_lock(&dev->err_lock);
	if (dev->err_minute[b] != minute || !dev->err_count[b]) {
		dev->err_minute[b] = minute;
		dev->err_count[b] = 0;
	}
	if (dev->err_count[b] < UINT32_MAX)
		dev->err_count[b]++;
	if (!dev->isolated && dev->isolate_strategy &&
	    wdl_errors_last_hour(dev, minute) >= dev->isolate_strategy)
		dev->isolated = true;
	pthread_mutex_unlock(&dev->err_lock);
}

bool wdl_dev_isolated(struct wdl_dev *dev)
{
	bool v;

	if (wdl_forked(dev))
		return false;
	pthread_mutex_lock(&dev->err_lock);
	v = dev->isolated;
	pthread_mutex_unlock(&dev->err_lock);
	return v;
}

unsigned int wdl_dev_get_isolate_strategy(struct wdl_dev *dev)
{
	unsigned int v;

	if (wdl_forked(dev))
		return 0;
	pthread_mutex_lock(&dev->err_lock);
	v = dev->isolate_strategy;
	pthread_mutex_unlock(&dev->err_lock);
	return v;
}

int wdl_dev_set_isolate_strategy(struct wdl_dev *dev, unsigned int n)
{
	if (wdl_forked(dev))
		return -EPERM;
	if (n > WDL_MAX_ISOLATE)
		return -EINVAL;
	/* a new strategy starts a new count and lifts isolation */
	pthread_mutex_lock(&dev->err_lock);
	dev->isolate_strategy = n;
	memset(dev->err_count, 0, sizeof(dev->err_count));
	dev->isolated = false;
	pthread_mutex_unlock(&dev->err_lock);
	/* and resets the device: no injected fault is left */
	pthread_mutex_lock(&dev->lock);
	if (!dev->removed)
		wd_soft_core_set_fail_next(&dev->core, 0);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

unsigned int wdl_dev_errors(struct wdl_dev *dev)
{
	uint64_t minute = wdl_now_ns() / (60 * 1000000000ull);
	unsigned int v;

	if (wdl_forked(dev))
		return 0;
	pthread_mutex_lock(&dev->err_lock);
	v = wdl_errors_last_hour(dev, minute);
	pthread_mutex_unlock(&dev->err_lock);
	return v;
}

/* ---- queues ----------------------------------------------------------- */

static void wdl_ss_put(struct wdl_ss *ss)
{
	if (!ss || atomic_fetch_sub(&ss->refs, 1) != 1)
		return;
	munmap(ss->addr, ss->size);
	free(ss);
}

static void wdl_queue_free(struct wdl_queue *q)
{
	wdl_ss_put(atomic_load(&q->ss));
	if (q->dus)
		munmap(q->dus, q->dus_size);
	if (q->mmio)
		munmap(q->mmio, wdl_round_page(WD_SOFT_MMIO_SIZE));
	pthread_mutex_destroy(&q->lock);
	free(q);
}

int wdl_queue_open(struct wdl_dev *dev, struct wdl_queue **qp)
{
	struct wdl_queue *q;
	int ret;

	if (!dev || !qp)
		return -EINVAL;
	if (wdl_forked(dev))
		return -EPERM;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	pthread_mutex_init(&q->lock, NULL);
	INIT_LIST_HEAD(&q->sq.node);
	INIT_LIST_HEAD(&q->dev_node);
	atomic_init(&q->state, WDL_Q_INIT);
	q->dus_size = wdl_round_page(WD_SOFT_DUS_SIZE);
	q->mmio = wdl_map(wdl_round_page(WD_SOFT_MMIO_SIZE));
	q->dus = wdl_map(q->dus_size);
	if (!q->mmio || !q->dus) {
		ret = -ENOMEM;
		goto err_free;
	}

	pthread_mutex_lock(&dev->lock);
	if (dev->removed)
		ret = -ENODEV;
	else if (wdl_dev_isolated(dev))
		ret = -EIO;
	else if (dev->nr_open >= dev->cfg.nr_queues)
		ret = -EBUSY;
	else
		ret = 0;
	if (ret) {
		pthread_mutex_unlock(&dev->lock);
		goto err_free;
	}
	q->dev = dev;
	atomic_fetch_add(&dev->refs, 1);
	wd_soft_core_queue_init(&q->core, &dev->core, q->mmio, q->dus);
	dev->nr_open++;
	list_add_tail(&q->dev_node, &dev->queues);
	pthread_mutex_unlock(&dev->lock);
	*qp = q;
	return 0;

err_free:
	wdl_queue_free(q);
	return ret;
}

void wdl_queue_close(struct wdl_queue *q)
{
	struct wdl_dev *dev;

	if (!q)
		return;
	dev = q->dev;
	/* a fork child's copy: the parent's engines are not ours to touch */
	if (wdl_forked(dev))
		return;
	pthread_mutex_lock(&dev->lock);
	pthread_mutex_lock(&q->lock);
	if (atomic_load(&q->state) == WDL_Q_STARTED) {
		wdl_engine_detach(q);
		wd_soft_core_cancel(&q->core);
		atomic_store(&q->state, WDL_Q_INIT);
	}
	/* also those opened while the queue was not started */
	wd_soft_core_ctx_free_all(&q->core);
	pthread_mutex_unlock(&q->lock);
	list_del_init(&q->dev_node);
	dev->nr_open--;
	pthread_mutex_unlock(&dev->lock);

	wdl_queue_free(q);
	wdl_dev_put(dev);
}

/* Lock the control path of a live queue: 0, or -EPERM / -ENODEV. */
static int wdl_queue_lock(struct wdl_queue *q)
{
	if (wdl_forked(q->dev))
		return -EPERM;
	pthread_mutex_lock(&q->lock);
	if (atomic_load(&q->state) == WDL_Q_DEAD) {
		pthread_mutex_unlock(&q->lock);
		return -ENODEV;
	}
	return 0;
}

int wdl_queue_start(struct wdl_queue *q)
{
	int ret = wdl_queue_lock(q);

	if (ret)
		return ret;
	if (atomic_load(&q->state) != WDL_Q_INIT) {
		ret = -EINVAL;
	} else {
		/* an application may have replaced our SIGSEGV handler */
		if (wdl_sva_signal(&q->dev->cfg)) {
			pthread_mutex_lock(&wdl_lock);
			wdl_mem_init(&q->dev->cfg);
			pthread_mutex_unlock(&wdl_lock);
		}
		wd_soft_core_queue_reset(&q->core);
		atomic_store(&q->state, WDL_Q_STARTED);
		wdl_engine_attach(q);
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int wdl_queue_stop(struct wdl_queue *q)
{
	int ret = wdl_queue_lock(q);

	if (ret)
		return ret;
	if (atomic_load(&q->state) != WDL_Q_STARTED) {
		ret = -EINVAL;
	} else {
		wdl_engine_detach(q);
		wd_soft_core_cancel(&q->core);
		/* no engine serves the queue now: PUT_Q frees its contexts */
		wd_soft_core_ctx_free_all(&q->core);
		atomic_store(&q->state, WDL_Q_INIT);
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

struct wd_soft_mmio *wdl_queue_mmio(struct wdl_queue *q)
{
	if (wdl_forked(q->dev)) {
		errno = EPERM;
		return NULL;
	}
	if (atomic_load(&q->state) == WDL_Q_DEAD) {
		errno = ENODEV;
		return NULL;
	}
	return q->mmio;
}

void *wdl_queue_dus(struct wdl_queue *q)
{
	if (wdl_forked(q->dev)) {
		errno = EPERM;
		return NULL;
	}
	if (atomic_load(&q->state) == WDL_Q_DEAD) {
		errno = ENODEV;
		return NULL;
	}
	return q->dus;
}

int wdl_queue_ss_alloc(struct wdl_queue *q, size_t size, void **addr)
{
	struct wdl_dev *dev = q->dev;
	struct wdl_ss *ss;
	size_t len;
	int ret;

	if (!addr)
		return -EINVAL;
	ret = wdl_queue_lock(q);
	if (ret)
		return ret;
	len = wdl_round_page(size);
	if (!size) {
		ret = -EINVAL;
	} else if (size > wdl_dev_ss_max_size(dev) ||
		   len > wdl_dev_ss_max_size(dev)) {
		ret = -ENOMEM;
	} else if (atomic_load(&q->ss)) {
		ret = -EEXIST;
	} else {
		ss = calloc(1, sizeof(*ss));
		if (ss)
			ss->addr = wdl_map(len);
		if (!ss || !ss->addr) {
			free(ss);
			ret = -ENOMEM;
		} else {
			atomic_init(&ss->refs, 1);
			ss->size = len;
			if (dev->cfg.mode == WDL_MODE_NOIOMMU) {
				/*
				 * A range of 2^40 bytes per device; regions
				 * 4 MiB apart with a gap between them.
				 */
				pthread_mutex_lock(&dev->lock);
				ss->dma = WDL_BUS_BASE +
					  ((uint64_t)dev->id << 40) +
					  dev->bus_next;
				dev->bus_next = (dev->bus_next +
						 2 * (uint64_t)WDL_SS_MAX_NOIOMMU) &
						((1ull << 40) - 1);
				pthread_mutex_unlock(&dev->lock);
			}
			/* release: the engine reads the region after it */
			atomic_store_explicit(&q->ss, ss, memory_order_release);
			*addr = ss->addr;
		}
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

int wdl_queue_ss_dma(struct wdl_queue *q, uint64_t *dma)
{
	struct wdl_ss *ss;
	uint64_t val = 0;
	int ret;

	if (!dma)
		return -EINVAL;
	ret = wdl_queue_lock(q);
	if (ret)
		return ret;
	ss = atomic_load(&q->ss);
	if (q->dev->cfg.mode != WDL_MODE_NOIOMMU)
		ret = -EINVAL;
	else if (!ss)
		ret = -ENXIO;
	else
		val = ss->dma;
	pthread_mutex_unlock(&q->lock);
	/* stored after unlocking, as the kernel copies it out: the caller's
	 * page may not come, and nobody else waits for it */
	if (!ret)
		*dma = val;
	return ret;
}

int wdl_queue_share_ss(struct wdl_queue *q, struct wdl_queue *target)
{
	struct wdl_queue *first, *second;
	struct wdl_ss *ss;
	int ret;

	if (!q || !target)
		return -EINVAL;
	/* uacce's order: removal (ENODEV), the owner (EPERM), the arguments */
	if (q == target && atomic_load(&q->state) == WDL_Q_DEAD)
		return -ENODEV;
	if (wdl_forked(q->dev) || wdl_forked(target->dev))
		return -EPERM;
	if (q == target)
		return -EINVAL;
	/* two queue locks: always in address order */
	first = q < target ? q : target;
	second = q < target ? target : q;
	pthread_mutex_lock(&first->lock);
	pthread_mutex_lock(&second->lock);
	ss = atomic_load(&q->ss);
	if (atomic_load(&q->state) == WDL_Q_DEAD ||
	    atomic_load(&target->state) == WDL_Q_DEAD) {
		ret = -ENODEV;
	} else if (!ss || (target->dev->cfg.mode == WDL_MODE_NOIOMMU &&
			   !ss->dma)) {
		/* a NOIOMMU device reaches bus addresses only: an SVA or
		 * PASID queue's region (it has none) is out of its reach */
		ret = -EINVAL;
	} else if (atomic_load(&target->ss)) {
		ret = -EEXIST;
	} else {
		atomic_fetch_add(&ss->refs, 1);
		atomic_store_explicit(&target->ss, ss, memory_order_release);
		ret = 0;
	}
	pthread_mutex_unlock(&second->lock);
	pthread_mutex_unlock(&first->lock);
	return ret;
}

int wdl_queue_kick(struct wdl_queue *q)
{
	return wdl_queue_cmd(q, WD_SOFT_CMD_KICK, NULL);
}

int wdl_queue_cmd(struct wdl_queue *q, unsigned long cmd, void *arg)
{
	struct wd_soft_ctx_cmd c;
	int ret = wdl_queue_lock(q);

	/* the kernel's order: the queue (uacce), then the command (wd_soft) */
	if (ret)
		return ret;
	switch (cmd) {
	case WD_SOFT_CMD_KICK:
		if (atomic_load(&q->state) != WDL_Q_STARTED)
			ret = -EINVAL;
		else
			wdl_engine_kick(q);
		break;
	case WD_SOFT_CMD_CTX:
		if (!arg) {
			ret = -EFAULT;
			break;
		}
		/* the core works on a copy, as on what the kernel copied in */
		memcpy(&c, arg, sizeof(c));
		ret = wd_soft_core_ctx_cmd(&q->core, &c);
		if (!ret)
			memcpy(arg, &c, sizeof(c));
		break;
	default:
		ret = -ENOTTY;
		break;
	}
	pthread_mutex_unlock(&q->lock);
	return ret;
}

bool wdl_queue_updated(struct wdl_queue *q)
{
	return wd_soft_core_queue_updated(&q->core) ||
	       wd_soft_core_queue_broken(&q->core);
}

struct wdl_dev *wdl_queue_dev(struct wdl_queue *q)
{
	return q->dev;
}
