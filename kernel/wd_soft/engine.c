// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the engines.
 *
 * Each instance has cfg.nr_engines kernel threads. Which queue a thread
 * serves when (rounds, parking, kicks, detach, hold) is the shared
 * scheduler's, engine/wd_soft_sched.c; what serving means (ring
 * consumption, checks, the operations) is the core's, engine/wd_soft_core.c
 * and its siblings in engine/sources.mk. This file gives the scheduler its
 * threads, a spinlock and two wait queues, and serves a batch with the
 * core.
 *
 * A queue whose request waits for a page (mem.c) is parked, faulting,
 * until uacce's fault thread answers (wd_soft_engine_page_done()); the
 * engine serves the others meanwhile and never waits for a page itself.
 */
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>

#include "wd_soft.h"

/* Host interface: wake the queue's pollers, or reap a kernel queue. */
void wd_soft_host_wake(struct wd_soft_core_queue *core)
{
	struct wd_soft_queue *q = to_wd_soft_queue(core);

	if (wd_soft_queue_is_kernel(q))
		wd_soft_kq_wake(q);
	else
		uacce_wake_up(q->uq);
}

/*
 * Host interface: count a device error (may isolate the device). A kernel
 * queue's errors reach its users through their requests (and debugfs
 * "crypto"); isolation is uacce's, for the queues it serves.
 */
void wd_soft_host_report_error(struct wd_soft_core_queue *core)
{
	struct wd_soft_queue *q = to_wd_soft_queue(core);

	/* not wdev->uacce: it is set only after uacce_register() */
	if (!wd_soft_queue_is_kernel(q))
		uacce_report_error(q->uq->uacce);
}

/* Host interface: the clock of the parking decisions. */
u64 wd_soft_host_now_ns(void)
{
	return ktime_get_ns() ?: 1;
}

static struct wd_soft_engine *to_wd_soft_engine(struct wd_soft_sched *s)
{
	return container_of(s, struct wd_soft_engine, sched);
}

/* Scheduler host interface: eng->lock, a spinlock (innermost). */
void wd_soft_host_sched_lock(struct wd_soft_sched *s)
	__acquires(&to_wd_soft_engine(s)->lock)
{
	spin_lock(&to_wd_soft_engine(s)->lock);
}

void wd_soft_host_sched_unlock(struct wd_soft_sched *s)
	__releases(&to_wd_soft_engine(s)->lock)
{
	spin_unlock(&to_wd_soft_engine(s)->lock);
}

/*
 * Queued on the wait queue before the lock is let go, so a wake-up after
 * the waker's change under the lock is never lost. The thread waits
 * interruptibly (a kthread takes no signal; it does not count as load),
 * detach uninterruptibly: its wait is bounded by one chunk of work. (The
 * hold waits in wd_soft_engines_hold(), bounded and killable.)
 */
void wd_soft_host_sched_wait(struct wd_soft_sched *s, enum wd_soft_sched_wq wq)
{
	struct wd_soft_engine *eng = to_wd_soft_engine(s);
	bool kick = wq == WD_SOFT_SCHED_KICK;
	wait_queue_head_t *wqh = kick ? &eng->kick_wq : &eng->idle_wq;
	DEFINE_WAIT(wait);

	prepare_to_wait(wqh, &wait,
			kick ? TASK_INTERRUPTIBLE : TASK_UNINTERRUPTIBLE);
	spin_unlock(&eng->lock);
	schedule();
	finish_wait(wqh, &wait);
	spin_lock(&eng->lock);
}

void wd_soft_host_sched_wake(struct wd_soft_sched *s, enum wd_soft_sched_wq wq)
{
	struct wd_soft_engine *eng = to_wd_soft_engine(s);

	wake_up_all(wq == WD_SOFT_SCHED_KICK ? &eng->kick_wq : &eng->idle_wq);
}

/*
 * Serve one batch of @sq: it is the scheduler's cur, or (@help) this
 * engine helps its owner and is counted in its helpers: detach waits for
 * us. A helped queue is never SVA (see wd_soft_engine_attach()), so the
 * page-request state, which its owner's lock guards, is not touched here.
 */
u32 wd_soft_host_sched_serve(struct wd_soft_sched *s,
			     struct wd_soft_sched_queue *sq, bool help)
{
	struct wd_soft_queue *q = container_of(sq, struct wd_soft_queue, sq);
	struct wd_soft_ctx ctx;
	u32 n;

	wd_soft_ctx_init(&ctx, q, to_wd_soft_engine(s));
	if (help)
		n = wd_soft_core_help(&ctx.core, WD_SOFT_BATCH,
				      WD_SOFT_BATCH_BYTES);
	else
		n = wd_soft_core_serve(&ctx.core, WD_SOFT_BATCH,
				       WD_SOFT_BATCH_BYTES);
	wd_soft_ctx_fini(&ctx);
	return n;
}

/* polling or not, give the CPU away when someone needs it */
void wd_soft_host_sched_yield(struct wd_soft_sched *s, bool progress)
{
	if (!progress)
		cpu_relax();
	cond_resched();
}

static int wd_soft_engine_thread(void *data)
{
	struct wd_soft_engine *eng = data;

	wd_soft_sched_run(&eng->sched);
	/* kthread_stop() is called once wd_soft_sched_stop() made us return */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/**
 * wd_soft_engine_kick() - WD_SOFT_CMD_KICK: look at a queue again
 * @q: a started queue
 */
void wd_soft_engine_kick(struct wd_soft_queue *q)
{
	wd_soft_sched_kick(&q->sq);
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
	wd_soft_sched_page_done(&q->sq, err);
}

/**
 * wd_soft_engines_hold() - debugfs "hold": stop or resume taking requests
 * @wdev: the instance
 * @hold: true: the engines take no request (one in progress finishes)
 *	until called with false. Makes "not done yet" a state tests can
 *	create instead of a race they hope to win.
 *
 * Waits for a held engine to finish its batch, but at most
 * WD_SOFT_HOLD_WAIT: a batch lasts as long as its requests, which user
 * space sizes, and removal waits for this write (debugfs). The caller
 * writes again until it gets 0. Writers are serialised by @wdev->hold_lock.
 *
 * Return: 0 (held, or released), -EAGAIN (an engine still finishes its
 * batch; the hold stays set), -EINTR (killed).
 */
int wd_soft_engines_hold(struct wd_soft_dev *wdev, bool hold)
{
	struct wd_soft_engine *eng;
	struct wd_soft_sched *s;
	unsigned int i;
	long left;
	int ret = 0;

	if (mutex_lock_killable(&wdev->hold_lock))
		return -EINTR;
	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		eng = &wdev->engines[i];
		s = &eng->sched;
		if (wd_soft_sched_hold(s, hold) || ret)
			continue;
		left = wait_event_killable_timeout(eng->idle_wq,
						   wd_soft_sched_hold_settled(s),
						   WD_SOFT_HOLD_WAIT);
		if (left < 0)
			ret = -EINTR;
		else if (!left)
			ret = -EAGAIN;
	}
	mutex_unlock(&wdev->hold_lock);
	return ret;
}

/**
 * wd_soft_engine_attach() - give a queue to the least loaded engine
 * @q: a reset queue on no engine (start_queue)
 *
 * Its engine's siblings may help with it unless it is an SVA queue of a
 * process: only those hold a request while uacce brings a page in, and
 * the page-request state (mem.c) is one engine's.
 */
void wd_soft_engine_attach(struct wd_soft_queue *q)
{
	struct wd_soft_dev *wdev = q->wdev;
	bool shared = wd_soft_queue_is_kernel(q) ||
		      wdev->cfg.mode != WD_SOFT_MODE_SVA;
	struct wd_soft_sched *s;

	s = wd_soft_sched_least_loaded(&wdev->engines[0].sched,
				       wdev->cfg.nr_engines,
				       sizeof(wdev->engines[0]));
	q->engine = to_wd_soft_engine(s);
	q->nr_faults = 0;
	q->fault_tries = 0;
	q->fault_req = 0;
	wd_soft_sched_attach(s, &q->sq, &q->core, shared);
}

/**
 * wd_soft_engine_detach() - take a queue away from its engine (stop_queue)
 * @q: a started queue; uacce has cancelled its page requests
 *
 * A batch in progress ends after the current request (a long request at
 * its next chunk with WD_SOFT_S_CANCELED); then the rings belong to the
 * caller. The wait is short and bounded: the engine never waits for the
 * caller's locks nor for the owner's memory.
 */
void wd_soft_engine_detach(struct wd_soft_queue *q)
{
	wd_soft_sched_detach(&q->sq);
	q->engine = NULL;
}

static void wd_soft_engine_free(struct wd_soft_engine *eng)
{
	wd_soft_host_alg_free(eng->core.alg);
	eng->core.alg = NULL;
	kvfree(eng->pins[1]);
	kvfree(eng->pins[0]);
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
	size_t bytes;
	int ret;

	/*
	 * Every engine's lock and scheduler first: a thread may look at its
	 * siblings (to help them) as soon as it runs.
	 */
	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		eng = &wdev->engines[i];
		eng->wdev = wdev;
		spin_lock_init(&eng->lock);
		wd_soft_sched_init(&eng->sched, WD_SOFT_SPIN_NS);
		wd_soft_sched_share(&eng->sched, &wdev->engines[0].sched,
				    wdev->cfg.nr_engines,
				    sizeof(wdev->engines[0]));
		init_waitqueue_head(&eng->idle_wq);
		init_waitqueue_head(&eng->kick_wq);
	}

	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		eng = &wdev->engines[i];
		eng->core.in = kvmalloc_node(WD_SOFT_CORE_CHUNK, gfp, node);
		eng->core.out = kvmalloc_node(WD_SOFT_CORE_CHUNK, gfp, node);
		eng->core.sgl = kvmalloc_node(2 * WD_SOFT_CORE_MAX_SGE *
					      sizeof(*eng->core.sgl), gfp, node);
		eng->pf = kvmalloc_node((WD_SOFT_CORE_MAX_SGE + 1) *
					sizeof(*eng->pf), gfp, node);
		eng->pins[0] = kvmalloc_node(WD_SOFT_PIN_MAX *
					     sizeof(*eng->pins[0]), gfp, node);
		eng->pins[1] = kvmalloc_node(WD_SOFT_PIN_MAX *
					     sizeof(*eng->pins[1]), gfp, node);
		/* the device's own: not counted as a context's */
		eng->core.alg = wd_soft_host_alg_alloc(&wdev->core,
						       WD_SOFT_ALG_ENGINE,
						       &bytes);
		if (!eng->core.in || !eng->core.out || !eng->core.sgl ||
		    !eng->pf || !eng->pins[0] || !eng->pins[1] ||
		    !eng->core.alg) {
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
		wd_soft_sched_stop(&eng->sched);
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

	/* every thread ends before any engine's memory goes */
	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		eng = &wdev->engines[i];
		WARN_ON(eng->sched.nr_queues);
		wd_soft_sched_stop(&eng->sched);
		kthread_stop(eng->task);
	}
	for (i = 0; i < wdev->cfg.nr_engines; i++)
		wd_soft_engine_free(&wdev->engines[i]);
}
