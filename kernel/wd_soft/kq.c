// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: kernel-owned queues.
 *
 * Kernel users (crypto.c) reach the engines the way a process does: each
 * instance has one kernel queue per engine, a struct wd_soft_queue with
 * rings in kernel memory instead of a uacce queue's DUS, attached to the
 * engines like any other queue. The engines serve it with the same core,
 * the same checks and the same round-robin batches (engine/wd_soft_sched.c),
 * so kernel work and user work share the device fairly: neither can take
 * more than a batch before the other's turn. The driver side below is what
 * libwd is to a process: it writes SQEs, each published by its phase, kicks
 * a parked queue, and reaps CQEs by their phase, here from a work item the
 * device's wake-up queues (a hardware driver's interrupt and tasklet).
 *
 * Request addresses are kernel virtual addresses; mem.c copies them with
 * memcpy(). The submitter is the kernel itself, so there is no owner to
 * protect from it; the core still checks every descriptor and length.
 *
 * A full ring (or one with kq_limit requests in flight, a debugfs knob
 * that makes the case reachable on purpose) sends requests that may wait
 * to a backlog, -EBUSY, as the crypto API's backlog rules say; each is
 * told -EINPROGRESS when it moves to the ring. Others get -ENOSPC.
 */
#include <crypto/algapi.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "wd_soft.h"

/* reaps completions; may run in reclaim (zswap), hence WQ_MEM_RECLAIM */
static struct workqueue_struct *wd_soft_kq_wq;

/**
 * wd_soft_kq_init() - module load: the completion workqueue
 *
 * Return: 0 or -ENOMEM.
 */
int wd_soft_kq_init(void)
{
	wd_soft_kq_wq = alloc_workqueue("wd_soft_kq",
					WQ_HIGHPRI | WQ_MEM_RECLAIM, 0);
	return wd_soft_kq_wq ? 0 : -ENOMEM;
}

/**
 * wd_soft_kq_exit() - module unload
 */
void wd_soft_kq_exit(void)
{
	destroy_workqueue(wd_soft_kq_wq);
}

static struct wd_soft_kq *to_wd_soft_kq(struct wd_soft_queue *q)
{
	return container_of(q, struct wd_soft_kq, q);
}

/**
 * wd_soft_kq_wake() - the device posted completions (or stopped)
 * @q: a kernel queue
 *
 * Called by the engine (wd_soft_host_wake()); only queues the work.
 */
void wd_soft_kq_wake(struct wd_soft_queue *q)
{
	queue_work(wd_soft_kq_wq, &to_wd_soft_kq(q)->done_work);
}

/*
 * S2-S3 of the parking handshake (wd_soft_core_queue_unpark() in
 * engine/wd_soft_core.c), after an index was stored: whether the engine
 * parked the queue and must be kicked. Under kq->lock.
 */
static bool wd_soft_kq_need_kick(struct wd_soft_kq *kq)
{
	smp_mb();	/* S2: the index stored, then the status read */
	return READ_ONCE(kq->q.core.mmio->status) & WD_SOFT_ST_NEED_WAKEUP;
}

/*
 * Put @kr in the next ring slot and publish it (S1), then say whether the
 * engine must be kicked. Under kq->lock.
 */
static bool wd_soft_kq_post(struct wd_soft_kq *kq, struct wd_soft_kreq *kr)
{
	struct wd_soft_core_queue *core = &kq->q.core;
	struct wd_soft_sqe *sqe = &core->sq[kq->sq_tail & (WD_SOFT_DEPTH - 1)];

	lockdep_assert_held(&kq->lock);
	kr->sqe.user_data = (u64)(uintptr_t)kr;
	/* every field but the phase, which makes the entry valid */
	memcpy(sqe, &kr->sqe, offsetof(struct wd_soft_sqe, phase));
	/* release: the SQE is seen before its phase (S1) */
	smp_store_release(&sqe->phase,
			  WD_SOFT_PHASE(kq->sq_tail, WD_SOFT_DEPTH));
	kq->sq_tail++;
	return wd_soft_kq_need_kick(kq);
}

static bool wd_soft_kq_full(struct wd_soft_kq *kq)
{
	u32 limit = READ_ONCE(kq->q.wdev->kq_limit);

	return kq->sq_tail - kq->cq_head >= limit;
}

/*
 * Kick the engine, never under kq->lock: that lock is taken in softirq and
 * the engine's lock is not BH-safe, so nesting them could deadlock against
 * an engine thread interrupted on its own CPU. A kick must not reach a
 * queue wd_soft_kq_destroy() detached: it tests @dead inside an RCU
 * read-side section, and destroy sets @dead, then waits for a grace
 * period before it detaches. A submitter in softirq defers the kick to a
 * work item (the engine's lock again).
 */
static void wd_soft_kq_kick(struct wd_soft_kq *kq)
{
	rcu_read_lock();
	if (!READ_ONCE(kq->dead)) {
		if (in_task())
			wd_soft_engine_kick(&kq->q);
		else
			queue_work(wd_soft_kq_wq, &kq->kick_work);
	}
	rcu_read_unlock();
}

static void wd_soft_kq_kick_work(struct work_struct *work)
{
	wd_soft_kq_kick(container_of(work, struct wd_soft_kq, kick_work));
}

/**
 * wd_soft_kq_submit() - run a kernel request on one of the instance's engines
 * @wdev: the instance
 * @kr: the request: @kr->sqe, @kr->done and @kr->base filled in
 * @req_flags: the crypto request's flags (CRYPTO_TFM_REQ_MAY_BACKLOG)
 *
 * Any context with hard IRQs enabled (process or softirq). @kr->done is
 * called exactly once when the return is -EINPROGRESS or -EBUSY, never
 * otherwise.
 *
 * Return: -EINPROGRESS (on the ring), -EBUSY (in the backlog: told
 * -EINPROGRESS when it reaches the ring), -ENOSPC (full and no backlog
 * allowed) or -ENODEV (the instance goes away).
 */
int wd_soft_kq_submit(struct wd_soft_dev *wdev, struct wd_soft_kreq *kr,
		      u32 req_flags)
{
	struct wd_soft_kq *kq;
	bool kick = false;
	int ret;

	/* the submitter's CPU picks the queue: no shared counter to bounce */
	kq = &wdev->kqs[raw_smp_processor_id() % wdev->cfg.nr_engines];
	spin_lock_bh(&kq->lock);
	if (kq->dead) {
		ret = -ENODEV;
	} else if (!list_empty(&kq->backlog) || wd_soft_kq_full(kq)) {
		/* behind the backlog: requests start in the order they came */
		if (req_flags & CRYPTO_TFM_REQ_MAY_BACKLOG) {
			list_add_tail(&kr->node, &kq->backlog);
			atomic64_inc(&wdev->crypto_stats.backlogged);
			ret = -EBUSY;
		} else {
			ret = -ENOSPC;
		}
	} else {
		kick = wd_soft_kq_post(kq, kr);
		ret = -EINPROGRESS;
	}
	spin_unlock_bh(&kq->lock);
	if (kick)
		wd_soft_kq_kick(kq);
	return ret;
}

/* @kr's completion, with BH disabled as wd_soft_kreq_done_t promises */
static void wd_soft_kq_complete(struct wd_soft_kreq *kr,
				const struct wd_soft_cqe *cqe)
{
	local_bh_disable();
	kr->done(kr, cqe);
	local_bh_enable();
}

/* A backlogged request leaves the backlog: the crypto API's -EINPROGRESS. */
static void wd_soft_kq_started(struct wd_soft_kreq *kr)
{
	local_bh_disable();
	kr->base->complete(kr->base, -EINPROGRESS);
	local_bh_enable();
}

/* Complete @kr with a status of our own (its SQE never reached the device). */
static void wd_soft_kq_fail(struct wd_soft_kreq *kr, u32 status)
{
	struct wd_soft_cqe cqe = {
		.user_data = kr->sqe.user_data,
		.status = status,
	};

	wd_soft_kq_complete(kr, &cqe);
}

/*
 * Reap what the device completed, then move backlogged requests into the
 * room that made. Reaps at most one ring's worth and says whether more is
 * left, so that one busy queue does not hold a worker for ever.
 */
static bool wd_soft_kq_reap(struct wd_soft_kq *kq)
{
	struct wd_soft_core_queue *core = &kq->q.core;
	struct wd_soft_kreq *kr, *next;
	struct wd_soft_cqe cqe, *slot;
	LIST_HEAD(started);
	unsigned int n;
	bool kick = false;

	for (n = 0; n < WD_SOFT_DEPTH; n++) {
		spin_lock_bh(&kq->lock);
		slot = &core->cq[kq->cq_head & (WD_SOFT_DEPTH - 1)];
		/* acquire: the CQE is read after its phase */
		if (smp_load_acquire(&slot->phase) !=
		    WD_SOFT_PHASE(kq->cq_head, WD_SOFT_DEPTH)) {
			spin_unlock_bh(&kq->lock);
			break;
		}
		cqe = *slot;
		kq->cq_head++;
		/* release: the device reuses the slot after we read it */
		smp_store_release(&core->mmio->cq_head, kq->cq_head);
		spin_unlock_bh(&kq->lock);

		/* our own ring: user_data is the pointer we wrote */
		kr = (struct wd_soft_kreq *)(uintptr_t)cqe.user_data;
		wd_soft_kq_complete(kr, &cqe);
	}

	spin_lock_bh(&kq->lock);
	list_for_each_entry_safe(kr, next, &kq->backlog, node) {
		if (kq->dead || wd_soft_kq_full(kq))
			break;
		list_move_tail(&kr->node, &started);
		wd_soft_kq_post(kq, kr);
	}
	/* the device may wait for CQ room, or have new SQEs */
	if (n || !list_empty(&started))
		kick = wd_soft_kq_need_kick(kq);
	spin_unlock_bh(&kq->lock);
	if (kick)
		wd_soft_kq_kick(kq);

	/*
	 * Before any later reap can complete them: reaps never overlap (one
	 * work item, and destroy runs after it stopped).
	 */
	list_for_each_entry_safe(kr, next, &started, node)
		wd_soft_kq_started(kr);
	return n == WD_SOFT_DEPTH;
}

static void wd_soft_kq_done_work(struct work_struct *work)
{
	struct wd_soft_kq *kq = container_of(work, struct wd_soft_kq,
					     done_work);

	if (wd_soft_kq_reap(kq))
		queue_work(wd_soft_kq_wq, work);
}

static void wd_soft_kq_free(struct wd_soft_kq *kq)
{
	if (kq->q.mmio_page)
		__free_page(kq->q.mmio_page);
	kvfree(kq->dus);
}

static int wd_soft_kq_create(struct wd_soft_dev *wdev, struct wd_soft_kq *kq)
{
	int node = wdev->cfg.node;

	kq->dus = kvzalloc_node(WD_SOFT_DUS_SIZE, GFP_KERNEL, node);
	kq->q.mmio_page = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
	if (!kq->dus || !kq->q.mmio_page) {
		wd_soft_kq_free(kq);
		return -ENOMEM;
	}
	kq->q.wdev = wdev;
	INIT_LIST_HEAD(&kq->q.sq.node);
	spin_lock_init(&kq->lock);
	INIT_LIST_HEAD(&kq->backlog);
	INIT_WORK(&kq->done_work, wd_soft_kq_done_work);
	INIT_WORK(&kq->kick_work, wd_soft_kq_kick_work);
	wd_soft_core_queue_init(&kq->q.core, &wdev->core,
				page_address(kq->q.mmio_page), kq->dus);
	wd_soft_engine_attach(&kq->q);
	return 0;
}

/*
 * Stop a kernel queue: no new request, the engine lets go of it, every
 * request taken or not gets its completion (the device's, or CANCELED for
 * those it never took and those in the backlog), then it is freed.
 * Nothing should be in flight (a tfm bound to the instance forbids its
 * removal); this is for the rest.
 */
static void wd_soft_kq_destroy(struct wd_soft_kq *kq)
{
	struct wd_soft_core_queue *core = &kq->q.core;
	struct wd_soft_kreq *kr, *next;
	LIST_HEAD(left);
	u32 taken;

	spin_lock_bh(&kq->lock);
	WRITE_ONCE(kq->dead, true);
	list_splice_init(&kq->backlog, &left);
	spin_unlock_bh(&kq->lock);

	/* a kick that saw !@dead has ended, and queues no more kick work */
	synchronize_rcu();
	cancel_work_sync(&kq->kick_work);
	wd_soft_engine_detach(&kq->q);
	wd_soft_core_cancel(core);
	/* the device's completions, then the SQEs it never took */
	cancel_work_sync(&kq->done_work);
	while (wd_soft_kq_reap(kq))
		;
	cancel_work_sync(&kq->done_work);
	taken = READ_ONCE(core->hdr->sq_head);
	while (taken != kq->sq_tail) {
		kr = (struct wd_soft_kreq *)(uintptr_t)
		     core->sq[taken++ & (WD_SOFT_DEPTH - 1)].user_data;
		wd_soft_kq_fail(kr, WD_SOFT_S_CANCELED);
	}
	list_for_each_entry_safe(kr, next, &left, node) {
		list_del(&kr->node);
		/* a backlogged request hears -EINPROGRESS before its end */
		wd_soft_kq_started(kr);
		wd_soft_kq_fail(kr, WD_SOFT_S_CANCELED);
	}
	wd_soft_kq_free(kq);
}

/**
 * wd_soft_kqs_create() - an instance's kernel queues, one per engine
 * @wdev: the instance, engines started
 *
 * Return: 0 or -ENOMEM (none is left then).
 */
int wd_soft_kqs_create(struct wd_soft_dev *wdev)
{
	unsigned int i;
	int ret;

	wdev->kq_limit = WD_SOFT_DEPTH;
	wdev->kqs = kcalloc_node(wdev->cfg.nr_engines, sizeof(*wdev->kqs),
				 GFP_KERNEL, wdev->cfg.node);
	if (!wdev->kqs)
		return -ENOMEM;
	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		ret = wd_soft_kq_create(wdev, &wdev->kqs[i]);
		if (ret) {
			while (i--)
				wd_soft_kq_destroy(&wdev->kqs[i]);
			kfree(wdev->kqs);
			wdev->kqs = NULL;
			return ret;
		}
	}
	return 0;
}

/**
 * wd_soft_kqs_destroy() - stop and free an instance's kernel queues
 * @wdev: the instance; no crypto API user is bound to it any more
 */
void wd_soft_kqs_destroy(struct wd_soft_dev *wdev)
{
	unsigned int i;

	if (!wdev->kqs)
		return;
	for (i = 0; i < wdev->cfg.nr_engines; i++)
		wd_soft_kq_destroy(&wdev->kqs[i]);
	kfree(wdev->kqs);
	wdev->kqs = NULL;
}
