/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * wd_soft_sched.h: the engine scheduler, one copy for every host.
 *
 * An engine thread serves its started queues: one batch per active queue
 * per round, round-robin; parked queues get nothing until a kick (or the
 * page they wait for) brings them back. The host supplies the thread, a
 * lock, sleeping and waking, and one batch of service (the
 * wd_soft_host_sched_*() functions below). docs/soft-device.md, "The
 * scheduler and its hosts", says how a host plugs in.
 *
 * Engines that share work: an engine with nothing of its own to serve
 * helps a sibling (another engine of the device) with the queue that
 * sibling is serving, if the queue is shared (its host never holds a
 * request for a page): wd_soft_core_help() takes the plain requests in
 * ring order while the owner serves the others; completions stay in ring
 * order (wd_soft_core_serve()). An owner that finds a plain SQE published
 * WD_SOFT_SCHED_SHARE_MIN - 1 places after the one it takes next when it
 * starts a batch marks it (@cur_share) and wakes its sleeping siblings to
 * help, unless the queue's last batch took less than WD_SOFT_SCHED_SHARE_NS
 * (tiny requests: sharing them costs more than it gives); a helper looks
 * at a sibling's queue only while it is so marked, and goes back to sleep
 * once it found nothing to help with for @spin_ns.
 *
 * Locking: struct wd_soft_sched and the queues' list entries and flags are
 * under the host's engine lock (wd_soft_host_sched_lock()), innermost and
 * never held while a batch runs; an engine holds at most one engine lock,
 * its own or a sibling's. The queue being served outside the lock is @cur,
 * and its helpers are counted in its @helpers under its owner's lock;
 * wd_soft_sched_detach() waits until it is not @cur and has no helper.
 */
#ifndef _WD_SOFT_SCHED_H
#define _WD_SOFT_SCHED_H

#include "wd_soft_core.h"

/**
 * struct wd_soft_sched_queue - a queue as the scheduler sees it
 * @node: entry in its engine's @active or @parked list
 * @eng: the engine while attached, else NULL (control path)
 * @core: the core's queue (turn, unpark, stopping)
 * @parked: on @eng->parked
 * @faulting: waits for a page: parked, and a kick does not bring it back
 *	(wd_soft_sched_page_done() does)
 * @fault_failed: the page's answer was an error (the host's page-request
 *	logic reads it)
 * @helpers: sibling engines serving it now (wd_soft_core_help())
 * @share_ok: its owner's last batch lasted WD_SOFT_SCHED_SHARE_NS or more
 *	(true until one did not): worth helpers (the owner's)
 *
 * Embedded in the host's queue; all fields under the engine lock.
 */
struct wd_soft_sched_queue {
	struct list_head node;
	struct wd_soft_sched *eng;
	struct wd_soft_core_queue *core;
	bool parked;
	bool faulting;
	bool fault_failed;
	unsigned int helpers;
	bool share_ok;
};

/**
 * struct wd_soft_sched_stats - what an engine has done
 * @rounds: rounds over the active list
 * @looks: queues looked at (wd_soft_core_queue_turn())
 * @batches: batches served
 * @requests: requests completed (or held) in them
 * @parks: queues parked for having nothing to take
 * @kicks: parked queues put back by a kick
 * @sleeps: times the thread went to sleep with no active queue
 * @helped: of @requests, those executed for a sibling's queue
 *
 * Written by the thread (@kicks under the lock), read with READ_ONCE().
 */
struct wd_soft_sched_stats {
	u64 rounds;
	u64 looks;
	u64 batches;
	u64 requests;
	u64 parks;
	u64 kicks;
	u64 sleeps;
	u64 helped;
};

/**
 * struct wd_soft_sched - one engine's scheduling state
 * @active: queues looked at every round, from the head
 * @parked: queues not looked at until brought back
 * @nr_active: entries in @active (also read without the lock)
 * @nr_queues: entries in both lists (read without the lock, to balance)
 * @cur: the queue being served outside the lock, or NULL
 * @cur_share: @cur had work for helpers when its batch began (read
 *	without the lock by helpers, to leave the lock alone otherwise)
 * @spin_ns: how long a queue with nothing to take stays active
 * @sleeping: the thread sleeps on WD_SOFT_SCHED_KICK
 * @hold: take no turn (tests: "not done yet" as a state); read without the
 *	lock by the host's debugfs
 * @stop: wd_soft_sched_run() must return
 * @help: a sibling has work to share: stay awake (set by the sibling,
 *	cleared by this thread after @spin_ns with nothing to help with)
 * @help_idle: since when (wd_soft_host_now_ns()) helping found nothing,
 *	0 if it did last time; the thread's
 * @sib: the device's engines, this one among them (wd_soft_sched_share());
 *	set before the thread starts
 * @nr_sib: how many (1: no sharing)
 * @sib_stride: bytes from one to the next
 * @st: counters
 *
 * Embedded in the host's engine.
 */
struct wd_soft_sched {
	struct list_head active;
	struct list_head parked;
	unsigned int nr_active;
	unsigned int nr_queues;
	struct wd_soft_sched_queue *cur;
	bool cur_share;
	u64 spin_ns;
	bool sleeping;
	bool hold;
	bool stop;
	bool help;
	u64 help_idle;
	struct wd_soft_sched *sib;
	unsigned int nr_sib;
	size_t sib_stride;
	struct wd_soft_sched_stats st;
};

/* SQEs published at the start of an owner's batch that call for helpers,
 * the last plain
 */
#define WD_SOFT_SCHED_SHARE_MIN	2
/* a batch shorter than this (ns) makes its queue's next batch unshared */
#define WD_SOFT_SCHED_SHARE_NS	20000

/* What a host sleeps on: the thread for work, the others for the thread. */
enum wd_soft_sched_wq {
	WD_SOFT_SCHED_KICK,	/* the thread: a queue became active, hold, stop */
	WD_SOFT_SCHED_IDLE,	/* detach and hold: @cur moved on, the thread slept */
};

/* ---- the scheduler: called by the host ---------------------------------- */

/**
 * wd_soft_sched_init() - an engine with no queue
 * @e: the engine
 * @spin_ns: see struct wd_soft_sched
 */
void wd_soft_sched_init(struct wd_soft_sched *e, u64 spin_ns);

/**
 * wd_soft_sched_share() - the engines that may help each other
 * @e: the engine, initialised, its thread not started
 * @first: the first of @n engines, @e among them, each @stride bytes after
 *	the previous (the host's engine array, the struct embedded at the same
 *	offset), all initialised before any thread starts and freed only
 *	after every thread stopped
 * @n: at least 1 (1: no sharing)
 * @stride: sizeof the host's engine
 */
void wd_soft_sched_share(struct wd_soft_sched *e, struct wd_soft_sched *first,
			 unsigned int n, size_t stride);

/**
 * wd_soft_sched_run() - the engine thread's body
 * @e: the engine
 *
 * Serves rounds while a queue is active, sleeps while none is (or while
 * held), and returns once wd_soft_sched_stop() was called.
 */
void wd_soft_sched_run(struct wd_soft_sched *e);

/**
 * wd_soft_sched_stop() - make wd_soft_sched_run() return
 * @e: the engine, no queue attached
 */
void wd_soft_sched_stop(struct wd_soft_sched *e);

/**
 * wd_soft_sched_least_loaded() - the engine with the fewest queues
 * @first: the first of @n engines, each @stride bytes after the previous
 *	(the host's engine array, the struct embedded at the same offset)
 * @n: at least 1
 * @stride: sizeof the host's engine
 *
 * Return: the one with the fewest queues, the first of equals (read without
 * the lock: approximate).
 */
struct wd_soft_sched *wd_soft_sched_least_loaded(struct wd_soft_sched *first,
						 unsigned int n, size_t stride);

/**
 * wd_soft_sched_attach() - start serving a queue
 * @e: the engine, its owner
 * @q: a queue on no engine; its core queue reset
 * @core: the core's queue
 * @shared: the queue may be helped by @e's siblings: its host never holds
 *	one of its requests (WD_SOFT_CORE_S_HELD). Sets @core->shared when
 *	@e has a sibling.
 */
void wd_soft_sched_attach(struct wd_soft_sched *e, struct wd_soft_sched_queue *q,
			  struct wd_soft_core_queue *core, bool shared);

/**
 * wd_soft_sched_detach() - stop serving a queue
 * @q: an attached queue
 *
 * The queue leaves its list and is marked stopping, so a batch in progress
 * ends after the current request (a long one at its next chunk). Returns
 * once neither the engine nor a helper serves it (at most one chunk of
 * work later); the rings then belong to the caller.
 */
void wd_soft_sched_detach(struct wd_soft_sched_queue *q);

/**
 * wd_soft_sched_kick() - look at a parked queue again (KICK)
 * @q: an attached queue
 *
 * Cheap when the queue is active already. A queue waiting for a page
 * stays parked.
 */
void wd_soft_sched_kick(struct wd_soft_sched_queue *q);

/**
 * wd_soft_sched_page_done() - the page a queue waited for came, or never will
 * @q: an attached queue (or one not yet attached: ignored)
 * @failed: it never will
 *
 * The queue goes back to its engine, which runs the held request again.
 */
void wd_soft_sched_page_done(struct wd_soft_sched_queue *q, bool failed);

/**
 * wd_soft_sched_hold() - stop or resume taking requests
 * @e: the engine
 * @hold: true: the engine takes no turn from its next one on, until called
 *	with false (a batch in progress finishes first)
 *
 * Does not wait. Return: true if nothing is left to wait for: the engine
 * sleeps (held), the hold is lifted, or the engine is stopping. Else the
 * host waits for wd_soft_sched_hold_settled() on WD_SOFT_SCHED_IDLE, as
 * long as it may: a batch can run as long as its requests (64 MiB each).
 */
bool wd_soft_sched_hold(struct wd_soft_sched *e, bool hold);

/**
 * wd_soft_sched_hold_settled() - wd_soft_sched_hold()'s answer, now
 * @e: the engine
 *
 * Return: true once the engine sleeps held, the hold is lifted (by another
 * caller), or the engine is stopping.
 */
bool wd_soft_sched_hold_settled(struct wd_soft_sched *e);

/**
 * wd_soft_sched_hold_wait() - wait, without bound, until the hold settles
 * @e: the engine
 *
 * For a host whose engines serve only its own process (the in-process
 * device); the kernel bounds its wait instead.
 */
void wd_soft_sched_hold_wait(struct wd_soft_sched *e);

/* ---- the host's part: called by the scheduler --------------------------- */

/**
 * wd_soft_host_sched_lock() - take the engine lock (innermost; no sleep)
 * @e: the engine
 */
void wd_soft_host_sched_lock(struct wd_soft_sched *e);

/**
 * wd_soft_host_sched_unlock() - release it
 * @e: the engine
 */
void wd_soft_host_sched_unlock(struct wd_soft_sched *e);

/**
 * wd_soft_host_sched_wait() - sleep until woken
 * @e: the engine, its lock held: released while asleep, held again on return
 * @wq: which wake-up
 *
 * May return without a wake-up; the caller tests its condition again.
 */
void wd_soft_host_sched_wait(struct wd_soft_sched *e, enum wd_soft_sched_wq wq);

/**
 * wd_soft_host_sched_wake() - wake every sleeper of @wq
 * @e: the engine, its lock held or not
 * @wq: which
 */
void wd_soft_host_sched_wake(struct wd_soft_sched *e, enum wd_soft_sched_wq wq);

/**
 * wd_soft_host_sched_serve() - serve one batch of a queue
 * @e: the engine, lock not held
 * @q: its queue, @e->cur (so it is not freed meanwhile); or, @help, a
 *	sibling's counted in @q->helpers
 * @help: @e helps: wd_soft_core_help() instead of wd_soft_core_serve(),
 *	with @e's working memory
 *
 * Return: the requests the batch executed (the core's answer).
 */
u32 wd_soft_host_sched_serve(struct wd_soft_sched *e,
			     struct wd_soft_sched_queue *q, bool help);

/**
 * wd_soft_host_sched_yield() - between two rounds
 * @e: the engine, lock not held
 * @progress: the round served a batch (else the thread polls: relax the CPU)
 */
void wd_soft_host_sched_yield(struct wd_soft_sched *e, bool progress);

#endif /* _WD_SOFT_SCHED_H */
