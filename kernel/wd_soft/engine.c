// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the engines.
 *
 * Each instance has cfg.nr_engines kernel threads. A started queue is on the
 * list of exactly one engine, which serves its rings; an engine serves its
 * queues round-robin, at most WD_SOFT_BATCH SQEs (or WD_SOFT_BATCH_BYTES of
 * data) from one queue before it moves to the next.
 *
 * Ring consumption trusts nothing in shared memory: the engine keeps its own
 * sq_head, cq_tail and status, reads each doorbell once per look, checks it
 * against its own copy (a queue whose doorbell is out of range is BROKEN and
 * no longer served until it is restarted) and copies each SQE out of the
 * ring before looking at it.
 *
 * Idle, the engine polls for WD_SOFT_SPIN_NS, then sets NEED_WAKEUP in its
 * queues' status and sleeps until WD_SOFT_CMD_KICK; see
 * wd_soft_engine_sleep() for why no submission can be missed.
 */
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/topology.h>

#include "wd_soft.h"

/* Publish the private status to MMIO (error, if any, is written before). */
static void wd_soft_queue_set_status(struct wd_soft_queue *q, u32 status)
{
	WRITE_ONCE(q->status, status);
	/* release: a BROKEN status is seen after its error code */
	smp_store_release(&q->mmio->status, status);
}

static void wd_soft_queue_break(struct wd_soft_queue *q, u32 err)
{
	WRITE_ONCE(q->mmio->error, err);
	wd_soft_queue_set_status(q, q->status | WD_SOFT_ST_BROKEN);
	/* let a poller see it */
	uacce_wake_up(q->uq);
}

/*
 * How many SQEs can be taken now: published and not consumed, and no more
 * than the completion ring has room for. Reads each doorbell once and
 * breaks the queue if one is out of range. Called by the queue's owner in
 * the sense of struct wd_soft_queue (engine or control path).
 */
static u32 wd_soft_queue_ready(struct wd_soft_queue *q)
{
	u32 sq_tail, cq_head, pending, used;

	if (q->status & WD_SOFT_ST_BROKEN)
		return 0;

	/* acquire: the SQEs below sq_tail are read after it */
	sq_tail = smp_load_acquire(&q->mmio->sq_tail);
	pending = sq_tail - q->sq_head;
	if (pending > WD_SOFT_DEPTH) {
		wd_soft_queue_break(q, WD_SOFT_QERR_SQ_TAIL);
		return 0;
	}
	if (!pending)
		return 0;

	/* acquire: the process is done with the CQEs below cq_head */
	cq_head = smp_load_acquire(&q->mmio->cq_head);
	used = q->cq_tail - cq_head;
	if (used > WD_SOFT_DEPTH) {
		wd_soft_queue_break(q, WD_SOFT_QERR_CQ_HEAD);
		return 0;
	}
	return min(pending, WD_SOFT_DEPTH - used);
}

/*
 * Post one CQE for the SQE just consumed (q->sq_head already advanced) and
 * publish both indices; the release stores make the CQE visible first.
 */
static void wd_soft_queue_complete(struct wd_soft_queue *q, u64 user_data,
				   u32 status, u32 out_len)
{
	struct wd_soft_cqe *cqe = &q->cq[q->cq_tail & WD_SOFT_RING_MASK];

	cqe->user_data = user_data;
	cqe->status = status;
	cqe->out_len = out_len;
	WRITE_ONCE(q->cq_tail, q->cq_tail + 1);
	/* release: the process reads the CQE after it sees cq_tail */
	smp_store_release(&q->hdr->sq_head, q->sq_head);
	/* release: as above, and sq_head is published first */
	smp_store_release(&q->hdr->cq_tail, q->cq_tail);
}

/**
 * wd_soft_queue_reset() - put a queue's rings in their start state
 * @q: a queue on no engine
 *
 * Every index is 0 (the doorbells too: the process must not ring them
 * before START_Q returns) and the status is clear.
 */
void wd_soft_queue_reset(struct wd_soft_queue *q)
{
	q->sq_head = 0;
	WRITE_ONCE(q->cq_tail, 0);
	WRITE_ONCE(q->mmio->sq_tail, 0);
	WRITE_ONCE(q->mmio->cq_head, 0);
	WRITE_ONCE(q->mmio->error, WD_SOFT_QERR_NONE);
	wd_soft_queue_set_status(q, 0);
	/* release: as in wd_soft_queue_complete() */
	smp_store_release(&q->hdr->sq_head, 0);
	/* release: as in wd_soft_queue_complete() */
	smp_store_release(&q->hdr->cq_tail, 0);
}

/**
 * wd_soft_queue_cancel() - fail what a stopped queue has not consumed
 * @q: a queue just taken off its engine by wd_soft_engine_detach()
 *
 * Every SQE published and not yet consumed completes with
 * WD_SOFT_S_CANCELED, as far as the completion ring has room; the rest is
 * dropped (the next START_Q resets the rings). A BROKEN queue is left as it
 * is. NEED_WAKEUP is cleared: there is no engine to kick any more.
 */
void wd_soft_queue_cancel(struct wd_soft_queue *q)
{
	u32 n = wd_soft_queue_ready(q);
	u64 user_data;

	while (n--) {
		user_data = READ_ONCE(q->sq[q->sq_head & WD_SOFT_RING_MASK].user_data);
		q->sq_head++;
		wd_soft_queue_complete(q, user_data, WD_SOFT_S_CANCELED, 0);
	}
	wd_soft_queue_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
	uacce_wake_up(q->uq);
}

/*
 * Serve one batch of @q. The engine is @q's owner here: eng->cur == q, so
 * the control path waits in wd_soft_engine_detach() until we return.
 * Returns true if the queue changed (SQEs consumed).
 */
static bool wd_soft_queue_serve(struct wd_soft_engine *eng,
				struct wd_soft_queue *q)
{
	u32 n = min_t(u32, wd_soft_queue_ready(q), WD_SOFT_BATCH);
	struct wd_soft_sqe sqe;
	struct wd_soft_ctx ctx;
	u32 i, status, out_len;

	if (!n)
		return false;

	wd_soft_ctx_init(&ctx, q, eng);
	for (i = 0; i < n; i++) {
		if (READ_ONCE(q->stopping) || ctx.bytes >= WD_SOFT_BATCH_BYTES)
			break;
		memcpy(&sqe, &q->sq[q->sq_head & WD_SOFT_RING_MASK],
		       sizeof(sqe));
		/* sqe is our snapshot: the ring slot is never read again */
		barrier();
		q->sq_head++;
		status = wd_soft_exec(&ctx, &sqe, &out_len);
		wd_soft_queue_complete(q, sqe.user_data, status, out_len);
	}
	wd_soft_ctx_fini(&ctx);
	uacce_wake_up(q->uq);
	return i;
}

/*
 * One round: nr_queues times, take the queue at the head and move it to the
 * tail, so every queue gets one turn (one batch at most) per round.
 * Returns true if any queue made progress.
 */
static bool wd_soft_engine_round(struct wd_soft_engine *eng)
{
	struct wd_soft_queue *q;
	bool progress = false;
	unsigned int i, n;
	bool stopping;

	spin_lock(&eng->lock);
	n = eng->nr_queues;
	spin_unlock(&eng->lock);

	for (i = 0; i < n; i++) {
		spin_lock(&eng->lock);
		q = list_first_entry_or_null(&eng->queues,
					     struct wd_soft_queue, node);
		if (!q) {
			spin_unlock(&eng->lock);
			break;
		}
		list_move_tail(&q->node, &eng->queues);
		if (!wd_soft_queue_ready(q)) {
			spin_unlock(&eng->lock);
			continue;
		}
		eng->cur = q;
		spin_unlock(&eng->lock);

		progress |= wd_soft_queue_serve(eng, q);

		/* after this q may be freed: read what we need under the lock */
		spin_lock(&eng->lock);
		eng->cur = NULL;
		stopping = q->stopping;
		/* a detach's abort was meant for q only */
		if (signal_pending(current))
			flush_signals(current);
		spin_unlock(&eng->lock);
		if (stopping)
			wake_up_all(&eng->idle_wq);
	}
	return progress;
}

/* Does any queue have an SQE to take? Also catches bad doorbells. */
static bool wd_soft_engine_has_work(struct wd_soft_engine *eng)
{
	struct wd_soft_queue *q;
	bool work = false;

	spin_lock(&eng->lock);
	list_for_each_entry(q, &eng->queues, node) {
		if (wd_soft_queue_ready(q)) {
			work = true;
			break;
		}
	}
	spin_unlock(&eng->lock);
	return work;
}

static void wd_soft_engine_need_wakeup(struct wd_soft_engine *eng, bool set)
{
	struct wd_soft_queue *q;
	u32 status;

	spin_lock(&eng->lock);
	list_for_each_entry(q, &eng->queues, node) {
		status = set ? q->status | WD_SOFT_ST_NEED_WAKEUP :
			       q->status & ~WD_SOFT_ST_NEED_WAKEUP;
		wd_soft_queue_set_status(q, status);
	}
	spin_unlock(&eng->lock);
}

/*
 * Sleep until kicked, without missing a submission.
 *
 * The process submits with: (S1) store SQEs and sq_tail (release);
 * (S2) full barrier; (S3) load status and, if NEED_WAKEUP is set, KICK.
 * The same after it stores cq_head (the engine may be waiting for CQ room).
 * The engine: (E1) set NEED_WAKEUP in every queue's status; (E2) smp_mb();
 * (E3) look at every ring once more; (E4) sleep until kicked, unless E3
 * found work; (E5) consume the kick with a full barrier (atomic_xchg);
 * (E6) clear NEED_WAKEUP; then serve all queues.
 *
 * Why nothing is missed: S1-S3 and E1-E3 are two stores each followed by a
 * full barrier and a load of the other side's location. Either E3 sees the
 * new sq_tail (the engine does not sleep) or S3 sees NEED_WAKEUP (then the
 * process kicks). A kick sets eng->kicked and wakes kick_wq; wait_event()
 * tests kicked after queueing itself on kick_wq, so a kick between E3 and
 * E4 is not lost either. A kick can only be consumed by E5, which comes
 * after the sleep and before the full round that follows it; that round
 * sees every sq_tail stored before the kick (the kick happens after S2,
 * and E5 is a full barrier after reading kicked). A stale kick costs one
 * extra round, nothing more. A queue attached while the engine sleeps has
 * NEED_WAKEUP clear, so wd_soft_engine_attach() kicks the engine itself.
 */
static void wd_soft_engine_sleep(struct wd_soft_engine *eng)
{
	wd_soft_engine_need_wakeup(eng, true);			/* E1 */
	smp_mb();						/* E2 */
	if (!wd_soft_engine_has_work(eng))			/* E3 */
		wait_event_interruptible(eng->kick_wq,		/* E4 */
					 atomic_read(&eng->kicked) ||
					 kthread_should_stop());
	atomic_xchg(&eng->kicked, 0);				/* E5 */
	wd_soft_engine_need_wakeup(eng, false);			/* E6 */
}

static int wd_soft_engine_thread(void *data)
{
	struct wd_soft_engine *eng = data;
	u64 idle_since = 0;

	/* wd_soft_engine_detach() aborts our waits on the owner's memory */
	allow_kernel_signal(SIGKILL);

	while (!kthread_should_stop()) {
		if (wd_soft_engine_round(eng)) {
			idle_since = 0;
		} else if (!idle_since) {
			idle_since = ktime_get_ns();
		} else if (ktime_get_ns() - idle_since >= WD_SOFT_SPIN_NS) {
			wd_soft_engine_sleep(eng);
			idle_since = 0;
		} else {
			cpu_relax();
		}
		/* polling or not, give the CPU away when someone needs it */
		cond_resched();
	}
	return 0;
}

/**
 * wd_soft_engine_kick() - wake an engine (WD_SOFT_CMD_KICK)
 * @eng: the engine
 *
 * Cheap enough to call when the engine is not sleeping.
 */
void wd_soft_engine_kick(struct wd_soft_engine *eng)
{
	atomic_set(&eng->kicked, 1);
	wake_up(&eng->kick_wq);
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
	q->stopping = false;
	spin_lock(&eng->lock);
	list_add_tail(&q->node, &eng->queues);
	WRITE_ONCE(eng->nr_queues, eng->nr_queues + 1);
	spin_unlock(&eng->lock);
	wd_soft_engine_kick(eng);
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

/* End a wait of the engine on the owner's memory if it serves @q now. */
static void wd_soft_engine_abort(struct wd_soft_engine *eng,
				 struct wd_soft_queue *q)
{
	spin_lock(&eng->lock);
	if (eng->cur == q)
		send_sig(SIGKILL, eng->task, 1);
	spin_unlock(&eng->lock);
}

/**
 * wd_soft_engine_detach() - take a queue away from its engine (stop_queue)
 * @q: a started queue
 *
 * Under eng->lock the queue leaves the list, so the engine cannot pick it
 * again, and is marked stopping, so a batch in progress ends after the
 * current request (a long request ends at its next chunk with
 * WD_SOFT_S_CANCELED). Then wait until eng->cur is no longer @q: from
 * there on the engine does not touch the queue, and the rings belong to
 * the caller. The engine never waits for the caller's locks.
 *
 * It may wait for the owner's memory, though: an SVA copy can sleep on a
 * page that does not come (userfaultfd, FUSE, a dead NFS server). When the
 * owner itself stops its live queue (PUT_Q, close) we wait for that page
 * as a device would, killably; in every other case (the owner is exiting,
 * the device is being removed) and once the caller is killed, the engine
 * gets a kernel-only SIGKILL, which ends such waits and fails the copy
 * (CANCELED). The engine flushes the signal under eng->lock when it lets
 * go of @q, so it never hits another queue.
 */
void wd_soft_engine_detach(struct wd_soft_queue *q)
{
	struct wd_soft_engine *eng = q->engine;
	bool patient = current->mm == q->uq->mm &&
		       q->uq->state != UACCE_Q_ZOMBIE;

	spin_lock(&eng->lock);
	WRITE_ONCE(q->stopping, true);
	list_del_init(&q->node);
	WRITE_ONCE(eng->nr_queues, eng->nr_queues - 1);
	spin_unlock(&eng->lock);

	if (!patient ||
	    wait_event_killable(eng->idle_wq, !wd_soft_engine_busy_with(eng, q))) {
		wd_soft_engine_abort(eng, q);
		wait_event(eng->idle_wq, !wd_soft_engine_busy_with(eng, q));
	}
	q->engine = NULL;
}

/**
 * wd_soft_engines_start() - create and start an instance's engines
 * @wdev: the instance, cfg filled in
 *
 * Return: 0 or -errno, in which case no engine is left.
 */
int wd_soft_engines_start(struct wd_soft_dev *wdev)
{
	int node = wdev->cfg.node;
	struct wd_soft_engine *eng;
	unsigned int i;
	int ret;

	for (i = 0; i < wdev->cfg.nr_engines; i++) {
		eng = &wdev->engines[i];
		eng->wdev = wdev;
		spin_lock_init(&eng->lock);
		INIT_LIST_HEAD(&eng->queues);
		init_waitqueue_head(&eng->idle_wq);
		init_waitqueue_head(&eng->kick_wq);
		atomic_set(&eng->kicked, 0);

		eng->bounce = kvmalloc_node(WD_SOFT_CHUNK, GFP_KERNEL, node);
		eng->sgl = kvmalloc_node(2 * WD_SOFT_MAX_SGE * sizeof(*eng->sgl),
					 GFP_KERNEL, node);
		if (!eng->bounce || !eng->sgl) {
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
	kvfree(eng->sgl);
	kvfree(eng->bounce);
	while (i--) {
		eng = &wdev->engines[i];
		kthread_stop(eng->task);
		kvfree(eng->sgl);
		kvfree(eng->bounce);
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
		WARN_ON(!list_empty(&eng->queues));
		kthread_stop(eng->task);
		kvfree(eng->sgl);
		kvfree(eng->bounce);
	}
}
