// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the engines.
 *
 * Each instance has cfg.nr_engines kernel threads. A started queue belongs
 * to exactly one engine, on its @active list (looked at every round) or its
 * @parked list (not looked at until the process kicks it). An engine serves
 * its active queues round-robin, at most WD_SOFT_BATCH SQEs (or
 * WD_SOFT_BATCH_BYTES of data) from one queue before it moves to the next;
 * what serving means (ring consumption, checks, the operations) is the
 * portable core's, engine/wd_soft_core.c.
 *
 * Cost model. A round costs one look per active queue (a spinlock, a list
 * move and one load of its sq_tail when it has nothing) plus the batches
 * served. A queue that has had nothing to take for WD_SOFT_SPIN_NS is
 * parked: NEED_WAKEUP is published in its status and it costs nothing any
 * more, however many such queues there are, until a KICK puts it back at
 * the tail of the active list. A queue that keeps submitting stays active
 * and never needs a system call. When no queue is active the thread sleeps
 * until a kick. See wd_soft_core_queue_turn() for why no submission is
 * ever missed.
 *
 * A queue whose request waits for a page (mem.c) is parked with @faulting
 * set until uacce's fault thread answers (wd_soft_engine_page_done()); the
 * engine serves the others meanwhile and never waits for a page itself.
 */
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>

#include "wd_soft.h"

/* Host interface: wake the queue's pollers. */
void wd_soft_host_wake(struct wd_soft_core_queue *core)
{
	uacce_wake_up(to_wd_soft_queue(core)->uq);
}

/* Host interface: count a device error (may isolate the device). */
void wd_soft_host_report_error(struct wd_soft_core_queue *core)
{
	/* not wdev->uacce: it is set only after uacce_register() */
	uacce_report_error(to_wd_soft_queue(core)->uq->uacce);
}

/* Host interface: the clock of the parking decisions. */
u64 wd_soft_host_now_ns(void)
{
	return ktime_get_ns() ?: 1;
}

/* Serve one batch of @q: eng->cur == q, so detach waits for us. */
static void wd_soft_queue_serve(struct wd_soft_engine *eng,
				struct wd_soft_queue *q)
{
	struct wd_soft_ctx ctx;

	wd_soft_ctx_init(&ctx, q, eng);
	wd_soft_core_serve(&ctx.core, WD_SOFT_BATCH, WD_SOFT_BATCH_BYTES);
	wd_soft_ctx_fini(&ctx);
}

/*
 * One round: as many turns as there are active queues at the start; each
 * turn takes the queue at the head of the active list and moves it to the
 * tail (or to the parked list), so every active queue gets at most one
 * batch per round. Returns true if any queue was served.
 */
static bool wd_soft_engine_round(struct wd_soft_engine *eng)
{
	enum wd_soft_core_turn turn;
	struct wd_soft_queue *q;
	bool progress = false;
	unsigned int i, n;
	bool stopping;

	n = READ_ONCE(eng->nr_active);

	for (i = 0; i < n && !READ_ONCE(eng->wdev->hold); i++) {
		spin_lock(&eng->lock);
		q = list_first_entry_or_null(&eng->active,
					     struct wd_soft_queue, node);
		if (!q) {
			spin_unlock(&eng->lock);
			break;
		}
		/* under the lock: PARK and a kick exclude each other */
		turn = wd_soft_core_queue_turn(&q->core, WD_SOFT_SPIN_NS);
		if (turn == WD_SOFT_TURN_PARK) {
			list_move_tail(&q->node, &eng->parked);
			q->parked = true;
			WRITE_ONCE(eng->nr_active, eng->nr_active - 1);
		} else {
			list_move_tail(&q->node, &eng->active);
		}
		if (turn != WD_SOFT_TURN_SERVE) {
			spin_unlock(&eng->lock);
			continue;
		}
		eng->cur = q;
		spin_unlock(&eng->lock);

		wd_soft_queue_serve(eng, q);
		progress = true;

		/* after this q may be freed: read what we need under the lock */
		spin_lock(&eng->lock);
		eng->cur = NULL;
		stopping = q->core.stopping;
		/* waiting for a page: set aside until the answer comes */
		if (q->faulting && !stopping && !q->parked) {
			list_move_tail(&q->node, &eng->parked);
			q->parked = true;
			WRITE_ONCE(eng->nr_active, eng->nr_active - 1);
		}
		spin_unlock(&eng->lock);
		if (stopping)
			wake_up_all(&eng->idle_wq);
	}
	return progress;
}

static int wd_soft_engine_thread(void *data)
{
	struct wd_soft_engine *eng = data;

	while (!kthread_should_stop()) {
		/*
		 * Every queue is parked (or the device held): sleep until a
		 * kick puts one back (the kick counts it under eng->lock,
		 * then wakes kick_wq; wait_event() tests the count after
		 * queueing itself).
		 */
		wait_event_interruptible(eng->kick_wq,
					 (READ_ONCE(eng->nr_active) &&
					  !READ_ONCE(eng->wdev->hold)) ||
					 kthread_should_stop());
		if (!wd_soft_engine_round(eng))
			cpu_relax();
		/* polling or not, give the CPU away when someone needs it */
		cond_resched();
	}
	return 0;
}

/* A parked queue goes back to the tail of the active list; eng->lock held. */
static bool wd_soft_engine_unpark(struct wd_soft_engine *eng,
				  struct wd_soft_queue *q)
{
	list_move_tail(&q->node, &eng->active);
	q->parked = false;
	wd_soft_core_queue_unpark(&q->core);
	WRITE_ONCE(eng->nr_active, eng->nr_active + 1);
	return true;
}

/**
 * wd_soft_engine_kick() - WD_SOFT_CMD_KICK: look at a queue again
 * @q: a started queue
 *
 * A parked queue goes back to the tail of its engine's active list, and
 * the engine is woken if it sleeps. Costs a spinlock when the queue is
 * active already.
 */
void wd_soft_engine_kick(struct wd_soft_queue *q)
{
	struct wd_soft_engine *eng = q->engine;
	bool woke = false;

	spin_lock(&eng->lock);
	/* a queue waiting for a page comes back with the page only */
	if (q->parked && !q->faulting)
		woke = wd_soft_engine_unpark(eng, q);
	spin_unlock(&eng->lock);
	if (woke)
		wake_up(&eng->kick_wq);
}

/**
 * wd_soft_engine_page_done() - uacce's answer to a page request (mem.c)
 * @q: the started queue that asked
 * @err: 0 when the page is there, else -errno
 *
 * The queue goes back to its engine, which executes the held request
 * again. Called under the uacce queue's pf_lock: only takes eng->lock.
 */
void wd_soft_engine_page_done(struct wd_soft_queue *q, int err)
{
	struct wd_soft_engine *eng = q->engine;
	bool woke = false;

	/* uacce answers only a started queue; this one is not yet attached */
	if (!eng)
		return;
	spin_lock(&eng->lock);
	q->faulting = false;
	if (err)
		q->fault_failed = true;
	if (q->parked)
		woke = wd_soft_engine_unpark(eng, q);
	spin_unlock(&eng->lock);
	if (woke)
		wake_up(&eng->kick_wq);
}

/**
 * wd_soft_engines_hold() - debugfs "hold": stop or resume taking requests
 * @wdev: the instance
 * @hold: true: the engines start no request (one in progress finishes)
 *	until called with false. Makes "not done yet" a state tests can
 *	create instead of a race they hope to win.
 */
void wd_soft_engines_hold(struct wd_soft_dev *wdev, bool hold)
{
	unsigned int i;

	WRITE_ONCE(wdev->hold, hold);
	if (!hold)
		for (i = 0; i < wdev->cfg.nr_engines; i++)
			wake_up(&wdev->engines[i].kick_wq);
}

/**
 * wd_soft_engine_attach() - give a queue to the least loaded engine
 * @q: a reset queue on no engine (start_queue)
 */
void wd_soft_engine_attach(struct wd_soft_queue *q)
{
	struct wd_soft_dev *wdev = q->wdev;
	struct wd_soft_engine *eng = &wdev->engines[0];
	unsigned int i;

	/* racy reads: the balance is approximate, the lists are exact */
	for (i = 1; i < wdev->cfg.nr_engines; i++)
		if (READ_ONCE(wdev->engines[i].nr_queues) <
		    READ_ONCE(eng->nr_queues))
			eng = &wdev->engines[i];

	q->engine = eng;
	q->faulting = false;
	q->fault_failed = false;
	q->nr_faults = 0;
	q->fault_tries = 0;
	q->fault_req = 0;
	spin_lock(&eng->lock);
	list_add_tail(&q->node, &eng->active);
	q->parked = false;
	WRITE_ONCE(eng->nr_active, eng->nr_active + 1);
	WRITE_ONCE(eng->nr_queues, eng->nr_queues + 1);
	spin_unlock(&eng->lock);
	wake_up(&eng->kick_wq);
}

static bool wd_soft_engine_busy_with(struct wd_soft_engine *eng,
				     struct wd_soft_queue *q)
{
	bool busy;

	spin_lock(&eng->lock);
	busy = eng->cur == q;
	spin_unlock(&eng->lock);
	return busy;
}

/**
 * wd_soft_engine_detach() - take a queue away from its engine (stop_queue)
 * @q: a started queue; uacce has cancelled its page requests
 *
 * Under eng->lock the queue leaves its list, so the engine cannot pick it
 * again, and is marked stopping, so a batch in progress ends after the
 * current request (a long request ends at its next chunk with
 * WD_SOFT_S_CANCELED). Then wait until eng->cur is no longer @q: from
 * there on the engine does not touch the queue, and the rings belong to
 * the caller. The wait is short and bounded: the engine never waits for
 * the caller's locks nor for the owner's memory.
 */
void wd_soft_engine_detach(struct wd_soft_queue *q)
{
	struct wd_soft_engine *eng = q->engine;

	spin_lock(&eng->lock);
	WRITE_ONCE(q->core.stopping, true);
	list_del_init(&q->node);
	if (!q->parked)
		WRITE_ONCE(eng->nr_active, eng->nr_active - 1);
	q->parked = false;
	q->faulting = false;
	WRITE_ONCE(eng->nr_queues, eng->nr_queues - 1);
	spin_unlock(&eng->lock);

	wait_event(eng->idle_wq, !wd_soft_engine_busy_with(eng, q));
	q->engine = NULL;
}

static void wd_soft_engine_free(struct wd_soft_engine *eng)
{
	wd_soft_engine_algs_exit(eng);
	kvfree(eng->pf);
	kvfree(eng->core.sgl);
	kvfree(eng->core.out);
	kvfree(eng->core.in);
}

/**
 * wd_soft_engines_start() - create and start an instance's engines
 * @wdev: the instance, cfg filled in, algorithms set up
 *
 * Return: 0 or -errno, in which case no engine is left.
 */
int wd_soft_engines_start(struct wd_soft_dev *wdev)
{
	/* new_device's ENOMEM says it all: no warning splat */
	const gfp_t gfp = GFP_KERNEL | __GFP_NOWARN;
	int node = wdev->cfg.node;
	struct wd_soft_engine *eng;
	unsigned int i;
	int ret;

	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		eng = &wdev->engines[i];
		eng->wdev = wdev;
		spin_lock_init(&eng->lock);
		INIT_LIST_HEAD(&eng->active);
		INIT_LIST_HEAD(&eng->parked);
		init_waitqueue_head(&eng->idle_wq);
		init_waitqueue_head(&eng->kick_wq);

		eng->core.in = kvmalloc_node(WD_SOFT_CORE_CHUNK, gfp, node);
		eng->core.out = kvmalloc_node(WD_SOFT_CORE_CHUNK, gfp, node);
		eng->core.sgl = kvmalloc_node(2 * WD_SOFT_CORE_MAX_SGE *
					      sizeof(*eng->core.sgl), gfp, node);
		eng->pf = kvmalloc_node((WD_SOFT_CORE_MAX_SGE + 1) *
					sizeof(*eng->pf), gfp, node);
		if (!eng->core.in || !eng->core.out || !eng->core.sgl || !eng->pf ||
		    wd_soft_engine_algs_init(eng)) {
			ret = -ENOMEM;
			goto err_free;
		}
		eng->task = kthread_create_on_node(wd_soft_engine_thread, eng,
						   node, "wd_soft%u/%u",
						   wdev->cfg.id, i);
		if (IS_ERR(eng->task)) {
			ret = PTR_ERR(eng->task);
			goto err_free;
		}
		if (node != NUMA_NO_NODE)
			set_cpus_allowed_ptr(eng->task, cpumask_of_node(node));
		wake_up_process(eng->task);
	}
	return 0;

err_free:
	wd_soft_engine_free(eng);
	while (i--) {
		eng = &wdev->engines[i];
		kthread_stop(eng->task);
		wd_soft_engine_free(eng);
	}
	return ret;
}

/**
 * wd_soft_engines_stop() - stop an instance's engines
 * @wdev: the instance; no queue is started any more
 */
void wd_soft_engines_stop(struct wd_soft_dev *wdev)
{
	struct wd_soft_engine *eng;
	unsigned int i;

	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		eng = &wdev->engines[i];
		WARN_ON(!list_empty(&eng->active) || !list_empty(&eng->parked));
		kthread_stop(eng->task);
		wd_soft_engine_free(eng);
	}
}
