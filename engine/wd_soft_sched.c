// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wd_soft_sched.c: the engine scheduler (wd_soft_sched.h), one copy for the
 * kernel's engine threads and the in-process device's.
 *
 * Cost model. A round costs one look per active queue (the engine lock, a
 * list move and one load of its next SQE's phase when it has nothing) plus the
 * batches served. A queue that has had nothing to take for @spin_ns is
 * parked: NEED_WAKEUP is published in its status and it costs nothing any
 * more, however many such queues there are, until a KICK puts it back at
 * the tail of the active list. A queue that keeps submitting stays active
 * and never needs a system call. When no queue is active the thread
 * sleeps until a kick. wd_soft_core_queue_turn() says why no submission
 * is ever missed: PARK and a kick exclude each other under the lock.
 *
 * Sharing costs nothing while no engine helps: a queue is shared only on a
 * device with several engines, an owner looks at one more SQE's phase per
 * batch, and an engine with work of its own never looks at its siblings.
 */
#include "wd_soft_sched.h"

/* a counter only the engine thread (or the lock holder) writes */
static inline void wd_soft_sched_count(u64 *x, u64 n)
{
	WRITE_ONCE(*x, *x + n);
}

void wd_soft_sched_init(struct wd_soft_sched *e, u64 spin_ns)
{
	memset(e, 0, sizeof(*e));
	INIT_LIST_HEAD(&e->active);
	INIT_LIST_HEAD(&e->parked);
	e->spin_ns = spin_ns;
	e->sib = e;
	e->nr_sib = 1;
	e->sib_stride = sizeof(*e);
}

void wd_soft_sched_share(struct wd_soft_sched *e, struct wd_soft_sched *first,
			 unsigned int n, size_t stride)
{
	e->sib = first;
	e->nr_sib = n;
	e->sib_stride = stride;
}

static struct wd_soft_sched *wd_soft_sched_sib(struct wd_soft_sched *e,
					       unsigned int i)
{
	return (struct wd_soft_sched *)((char *)e->sib + i * e->sib_stride);
}

/*
 * @q, @e's queue, has more than one request published: make sure every
 * sibling is awake to help (a sibling with work of its own helps only once
 * it has none). Each sibling's lock is taken once per help period, while
 * its @help is clear.
 */
static void wd_soft_sched_call_help(struct wd_soft_sched *e)
{
	struct wd_soft_sched *s;
	unsigned int i;
	bool wake;

	for (i = 0; i < e->nr_sib; i++) {
		s = wd_soft_sched_sib(e, i);
		if (s == e || READ_ONCE(s->help))
			continue;
		wd_soft_host_sched_lock(s);
		WRITE_ONCE(s->help, true);
		wake = s->sleeping;
		wd_soft_host_sched_unlock(s);
		if (wake)
			wd_soft_host_sched_wake(s, WD_SOFT_SCHED_KICK);
	}
}

/*
 * Help a sibling with the queue it serves now, one batch: counted in the
 * queue's @helpers under the sibling's lock, which keeps the queue alive
 * (detach waits for them). Returns true if a request was executed.
 */
static bool wd_soft_sched_help(struct wd_soft_sched *e)
{
	struct wd_soft_sched_queue *q;
	struct wd_soft_sched *s;
	unsigned int i, k;
	u32 done;

	for (k = 1; k < e->nr_sib; k++) {
		/* from the next one on, so that helpers spread */
		i = ((unsigned int)(((char *)e - (char *)e->sib) /
				    e->sib_stride) + k) % e->nr_sib;
		s = wd_soft_sched_sib(e, i);
		/* racy look first: no sibling's lock while it has nothing */
		if (!READ_ONCE(s->cur_share))
			continue;
		wd_soft_host_sched_lock(s);
		q = s->cur;
		/* the lock keeps q alive: its ring may be looked at */
		if (!q || !s->cur_share || READ_ONCE(q->core->stopping) ||
		    s->hold || !wd_soft_core_queue_helpable(q->core, 1)) {
			wd_soft_host_sched_unlock(s);
			continue;
		}
		q->helpers++;
		wd_soft_host_sched_unlock(s);

		done = wd_soft_host_sched_serve(e, q, true);
		wd_soft_sched_count(&e->st.batches, 1);
		wd_soft_sched_count(&e->st.requests, done);
		wd_soft_sched_count(&e->st.helped, done);

		wd_soft_host_sched_lock(s);
		/* the last helper of a stopping queue lets detach go on */
		if (!--q->helpers && READ_ONCE(q->core->stopping))
			wd_soft_host_sched_wake(s, WD_SOFT_SCHED_IDLE);
		wd_soft_host_sched_unlock(s);
		if (done)
			return true;
	}
	return false;
}

/*
 * Nothing of its own served: help. An engine asked to help (@help) stays
 * awake until helping found nothing for @spin_ns, then sleeps again if it
 * has no queue of its own.
 */
static bool wd_soft_sched_try_help(struct wd_soft_sched *e)
{
	u64 now;

	if (wd_soft_sched_help(e)) {
		e->help_idle = 0;
		return true;
	}
	if (!READ_ONCE(e->help))
		return false;
	now = wd_soft_host_now_ns();
	if (!e->help_idle) {
		e->help_idle = now;
	} else if (now - e->help_idle >= e->spin_ns) {
		e->help_idle = 0;
		wd_soft_host_sched_lock(e);
		WRITE_ONCE(e->help, false);
		wd_soft_host_sched_unlock(e);
	}
	return false;
}

/* active -> parked; lock held */
static void wd_soft_sched_park(struct wd_soft_sched *e,
			       struct wd_soft_sched_queue *q)
{
	list_move_tail(&q->node, &e->parked);
	q->parked = true;
	WRITE_ONCE(e->nr_active, e->nr_active - 1);
}

/* parked -> tail of active; lock held. True if the thread must be woken. */
static bool wd_soft_sched_unpark(struct wd_soft_sched *e,
				 struct wd_soft_sched_queue *q)
{
	list_move_tail(&q->node, &e->active);
	q->parked = false;
	wd_soft_core_queue_unpark(q->core);
	WRITE_ONCE(e->nr_active, e->nr_active + 1);
	return e->sleeping;
}

/*
 * One round: as many turns as there are active queues at the start; each
 * turn takes the queue at the head of the active list and moves it to the
 * tail (or to the parked list), so every active queue gets at most one
 * batch per round. Returns true if any queue was served.
 */
static bool wd_soft_sched_round(struct wd_soft_sched *e)
{
	unsigned int i, n = READ_ONCE(e->nr_active);
	enum wd_soft_core_turn turn;
	struct wd_soft_sched_queue *q;
	bool progress = false;
	bool stopping, share;
	u64 t0;
	u32 done;

	wd_soft_sched_count(&e->st.rounds, 1);
	for (i = 0; i < n; i++) {
		wd_soft_host_sched_lock(e);
		if (e->hold || list_empty(&e->active)) {
			wd_soft_host_sched_unlock(e);
			break;
		}
		q = list_first_entry(&e->active, struct wd_soft_sched_queue,
				     node);
		turn = wd_soft_core_queue_turn(q->core, e->spin_ns);
		wd_soft_sched_count(&e->st.looks, 1);
		if (turn == WD_SOFT_TURN_PARK) {
			wd_soft_sched_park(e, q);
			wd_soft_sched_count(&e->st.parks, 1);
		} else {
			list_move_tail(&q->node, &e->active);
		}
		if (turn != WD_SOFT_TURN_SERVE) {
			wd_soft_host_sched_unlock(e);
			continue;
		}
		e->cur = q;
		/* more than one request waits: siblings may help with it */
		share = q->core->shared && q->share_ok &&
			wd_soft_core_queue_helpable(q->core,
						    WD_SOFT_SCHED_SHARE_MIN);
		WRITE_ONCE(e->cur_share, share);
		wd_soft_host_sched_unlock(e);

		if (share)
			wd_soft_sched_call_help(e);
		/* the clock only on a device with siblings */
		t0 = q->core->shared ? wd_soft_host_now_ns() : 0;
		done = wd_soft_host_sched_serve(e, q, false);
		if (t0)
			q->share_ok = wd_soft_host_now_ns() - t0 >=
				      WD_SOFT_SCHED_SHARE_NS;
		wd_soft_sched_count(&e->st.batches, 1);
		wd_soft_sched_count(&e->st.requests, done);
		progress = true;

		/* once @cur moves on q may be freed: look at it under the lock */
		wd_soft_host_sched_lock(e);
		e->cur = NULL;
		WRITE_ONCE(e->cur_share, false);
		stopping = READ_ONCE(q->core->stopping);
		/* waiting for a page: set aside until the answer comes */
		if (q->faulting && !stopping && !q->parked)
			wd_soft_sched_park(e, q);
		if (stopping)
			wd_soft_host_sched_wake(e, WD_SOFT_SCHED_IDLE);
		wd_soft_host_sched_unlock(e);
	}
	return progress;
}

void wd_soft_sched_run(struct wd_soft_sched *e)
{
	bool counted, progress;

	wd_soft_host_sched_lock(e);
	for (;;) {
		/*
		 * No active queue, or held: sleep until a kick, a release or
		 * the stop (each changes what is tested here under the lock,
		 * then wakes KICK).
		 */
		counted = false;
		while (((!e->nr_active && !e->help) || e->hold) && !e->stop) {
			if (!e->nr_active && !counted) {
				wd_soft_sched_count(&e->st.sleeps, 1);
				counted = true;
			}
			e->sleeping = true;
			/* a hold waits for this */
			if (e->hold)
				wd_soft_host_sched_wake(e, WD_SOFT_SCHED_IDLE);
			wd_soft_host_sched_wait(e, WD_SOFT_SCHED_KICK);
		}
		e->sleeping = false;
		if (e->stop)
			break;
		wd_soft_host_sched_unlock(e);
		progress = READ_ONCE(e->nr_active) && wd_soft_sched_round(e);
		if (!progress && e->nr_sib > 1 && !READ_ONCE(e->hold))
			progress = wd_soft_sched_try_help(e);
		wd_soft_host_sched_yield(e, progress);
		wd_soft_host_sched_lock(e);
	}
	wd_soft_host_sched_unlock(e);
}

void wd_soft_sched_stop(struct wd_soft_sched *e)
{
	wd_soft_host_sched_lock(e);
	e->stop = true;
	wd_soft_host_sched_unlock(e);
	wd_soft_host_sched_wake(e, WD_SOFT_SCHED_KICK);
	wd_soft_host_sched_wake(e, WD_SOFT_SCHED_IDLE);
}

struct wd_soft_sched *wd_soft_sched_least_loaded(struct wd_soft_sched *first,
						 unsigned int n, size_t stride)
{
	struct wd_soft_sched *best = first, *e;
	unsigned int i;

	/* racy reads: the balance is approximate, the lists are exact */
	for (i = 1; i < n; i++) {
		e = (struct wd_soft_sched *)((char *)first + i * stride);
		if (READ_ONCE(e->nr_queues) < READ_ONCE(best->nr_queues))
			best = e;
	}
	return best;
}

void wd_soft_sched_attach(struct wd_soft_sched *e, struct wd_soft_sched_queue *q,
			  struct wd_soft_core_queue *core, bool shared)
{
	bool wake;

	q->eng = e;
	q->core = core;
	q->faulting = false;
	q->fault_failed = false;
	q->helpers = 0;
	q->share_ok = true;
	/* no engine serves it yet: the core may take it as it stands */
	core->shared = shared && e->nr_sib > 1;
	wd_soft_host_sched_lock(e);
	list_add_tail(&q->node, &e->active);
	q->parked = false;
	WRITE_ONCE(e->nr_active, e->nr_active + 1);
	WRITE_ONCE(e->nr_queues, e->nr_queues + 1);
	wake = e->sleeping;
	wd_soft_host_sched_unlock(e);
	if (wake)
		wd_soft_host_sched_wake(e, WD_SOFT_SCHED_KICK);
}

void wd_soft_sched_detach(struct wd_soft_sched_queue *q)
{
	struct wd_soft_sched *e = q->eng;

	wd_soft_host_sched_lock(e);
	WRITE_ONCE(q->core->stopping, true);
	list_del_init(&q->node);
	if (!q->parked)
		WRITE_ONCE(e->nr_active, e->nr_active - 1);
	q->parked = false;
	q->faulting = false;
	WRITE_ONCE(e->nr_queues, e->nr_queues - 1);
	while (e->cur == q || q->helpers)
		wd_soft_host_sched_wait(e, WD_SOFT_SCHED_IDLE);
	wd_soft_host_sched_unlock(e);
	q->eng = NULL;
}

void wd_soft_sched_kick(struct wd_soft_sched_queue *q)
{
	struct wd_soft_sched *e = q->eng;
	bool wake = false;

	wd_soft_host_sched_lock(e);
	if (q->parked && !q->faulting) {
		wake = wd_soft_sched_unpark(e, q);
		wd_soft_sched_count(&e->st.kicks, 1);
	}
	wd_soft_host_sched_unlock(e);
	if (wake)
		wd_soft_host_sched_wake(e, WD_SOFT_SCHED_KICK);
}

void wd_soft_sched_page_done(struct wd_soft_sched_queue *q, bool failed)
{
	struct wd_soft_sched *e = q->eng;
	bool wake = false;

	if (!e)
		return;
	wd_soft_host_sched_lock(e);
	q->faulting = false;
	if (failed)
		q->fault_failed = true;
	if (q->parked)
		wake = wd_soft_sched_unpark(e, q);
	wd_soft_host_sched_unlock(e);
	if (wake)
		wd_soft_host_sched_wake(e, WD_SOFT_SCHED_KICK);
}

/* held and asleep, lifted, or ending: nothing for a hold to wait for; lock held */
static bool wd_soft_sched_settled(struct wd_soft_sched *e)
{
	return !e->hold || e->sleeping || e->stop;
}

bool wd_soft_sched_hold(struct wd_soft_sched *e, bool hold)
{
	bool wake, settled;

	wd_soft_host_sched_lock(e);
	WRITE_ONCE(e->hold, hold);
	wake = !hold && e->sleeping;
	settled = wd_soft_sched_settled(e);
	wd_soft_host_sched_unlock(e);
	if (wake)
		wd_soft_host_sched_wake(e, WD_SOFT_SCHED_KICK);
	return settled;
}

bool wd_soft_sched_hold_settled(struct wd_soft_sched *e)
{
	bool settled;

	wd_soft_host_sched_lock(e);
	settled = wd_soft_sched_settled(e);
	wd_soft_host_sched_unlock(e);
	return settled;
}

void wd_soft_sched_hold_wait(struct wd_soft_sched *e)
{
	wd_soft_host_sched_lock(e);
	while (!wd_soft_sched_settled(e))
		wd_soft_host_sched_wait(e, WD_SOFT_SCHED_IDLE);
	wd_soft_host_sched_unlock(e);
}
