// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * engine.c: the engine threads of the in-process host, and the two
 * wake-ups (KICK towards an engine, completions towards pollers).
 *
 * As in the kernel (kernel/wd_soft/engine.c): each device has nr_engines
 * threads. A started queue belongs to one engine, on its @active list
 * (looked at every round) or its @parked list (not looked at until the
 * process kicks it). An engine serves its active queues round-robin, at
 * most WDL_BATCH SQEs or WDL_BATCH_BYTES of data per turn; serving is the
 * portable core's wd_soft_core_serve().
 *
 * Cost model. A round costs one look per active queue (an uncontended
 * mutex, a list move and one load of its sq_tail when it has nothing) plus
 * the batches served. A queue with nothing to take for cfg.spin_ns is
 * parked by wd_soft_core_queue_turn() (NEED_WAKEUP published) and costs
 * nothing any more, however many there are, until a kick. A busy engine
 * makes no system call: the mutexes are uncontended (a kick or a stop is
 * the only other taker), the clock is the vDSO's, condition variables are
 * signalled only when somebody waits, and pollers are woken only when one
 * sleeps. When no queue is active the thread sleeps on @kick_cv.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "wdl_internal.h"

/* one more on a counter that only this thread (or lock holder) writes */
#define WDL_COUNT(x, n) \
	__atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)

static inline void wdl_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static long wdl_futex(_Atomic uint32_t *uaddr, int op, uint32_t val,
		      const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)uaddr, op, val, ts, NULL, 0);
}

/* ---- pollers ---------------------------------------------------------- */

/*
 * Pollers sleep on q->wake_seq. A poller: (P1) sets the flag q->waiters
 * (seq_cst store), (P2) full fence, (P3) loads wake_seq, then looks at the queue
 * (updated? dead?) and sleeps only on the value of P3. A waker has changed
 * the queue (posted CQEs, broken, stopped, killed it), then: (W1) full
 * fence, (W2) loads q->waiters and returns if 0 (the cheap path of every
 * batch), else clears it (exchange), bumps wake_seq (release) and wakes
 * every sleeper. P1-P3 against the change-W2 are two stores each followed
 * by a full fence and a load of the other's location: either the poller
 * sees the change, or the waker sees the flag. A poller that saw the
 * bumped wake_seq sees the change (release/acquire); one that loaded the
 * value before the bump is woken, or finds the futex changed. So no
 * wake-up is lost, and a busy engine makes a futex call only when a poller
 * has set the flag since the last one (not per batch).
 */
void wdl_queue_wake_all(struct wdl_queue *q)
{
	atomic_thread_fence(memory_order_seq_cst);			/* W1 */
	if (!atomic_load_explicit(&q->waiters, memory_order_relaxed))	/* W2 */
		return;
	if (!atomic_exchange(&q->waiters, 0))
		return;
	atomic_fetch_add_explicit(&q->wake_seq, 1, memory_order_release);
	wdl_futex(&q->wake_seq, FUTEX_WAKE_PRIVATE, INT_MAX, NULL);
}

/* Host interface: wake the queue's pollers (cheap when none sleeps). */
void wd_soft_host_wake(struct wd_soft_core_queue *core)
{
	wdl_queue_wake_all(to_wdl_queue(core));
}

int wdl_queue_wait(struct wdl_queue *q, int timeout_ms)
{
	uint64_t deadline = 0, now;
	struct timespec ts, *tsp;
	uint32_t seq;

	if (q->dev->fork_gen != atomic_load(&wdl_fork_gen))
		return -EPERM;
	if (timeout_ms > 0)
		deadline = wdl_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	for (;;) {
		if (atomic_load(&q->state) == WDL_Q_DEAD)
			return -ENODEV;
		if (wdl_queue_updated(q))
			return 1;
		if (!timeout_ms)
			return 0;
		tsp = NULL;
		if (timeout_ms > 0) {
			now = wdl_now_ns();
			if (now >= deadline)
				return 0;
			ts.tv_sec = (time_t)((deadline - now) / 1000000000ull);
			ts.tv_nsec = (long)((deadline - now) % 1000000000ull);
			tsp = &ts;
		}
		atomic_store(&q->waiters, 1);				/* P1 */
		atomic_thread_fence(memory_order_seq_cst);		/* P2 */
		seq = atomic_load_explicit(&q->wake_seq,		/* P3 */
					   memory_order_acquire);
		if (atomic_load(&q->state) == WDL_Q_DEAD ||
		    wdl_queue_updated(q))
			continue;
		/* woken, EAGAIN (bumped already), ETIMEDOUT, EINTR: look again */
		wdl_futex(&q->wake_seq, FUTEX_WAIT_PRIVATE, seq, tsp);
	}
}

/* ---- engines ---------------------------------------------------------- */

/* Host interface: the clock of the idle spin (vDSO, no system call). */
u64 wd_soft_host_now_ns(void)
{
	return wdl_now_ns();
}

/* Serve one batch of @q: eng->cur == q, so a detach waits for us. */
static void wdl_queue_serve(struct wdl_engine *eng, struct wdl_queue *q)
{
	struct wdl_ctx ctx;
	u32 n;

	wdl_mem_undefer();
	wd_soft_core_ctx_init(&ctx.core, &q->core, &eng->core);
	ctx.q = q;
	ctx.eng = eng;
	n = wd_soft_core_serve(&ctx.core, WDL_BATCH, WDL_BATCH_BYTES);
	WDL_COUNT(eng->st.batches, 1);
	WDL_COUNT(eng->st.requests, n);
}

/*
 * One round: as many turns as there are active queues at the start; each
 * turn takes the queue at the head of the active list and moves it to the
 * tail (or to the parked list), so every active queue gets at most one
 * batch per round. Returns true if any queue was served.
 */
static bool wdl_engine_round(struct wdl_engine *eng)
{
	uint64_t spin_ns = eng->dev->cfg.spin_ns;
	enum wd_soft_core_turn turn;
	bool progress = false;
	struct wdl_queue *q;
	unsigned int i, n;

	pthread_mutex_lock(&eng->lock);
	n = eng->nr_active;
	pthread_mutex_unlock(&eng->lock);
	WDL_COUNT(eng->st.rounds, 1);

	for (i = 0; i < n; i++) {
		pthread_mutex_lock(&eng->lock);
		if (wdl_list_empty(&eng->active) || eng->hold) {
			pthread_mutex_unlock(&eng->lock);
			break;
		}
		q = container_of(eng->active.next, struct wdl_queue, node);
		/* under the lock: PARK and a kick exclude each other */
		turn = wd_soft_core_queue_turn(&q->core, spin_ns);
		WDL_COUNT(eng->st.looks, 1);
		if (turn == WD_SOFT_TURN_PARK) {
			wdl_list_move_tail(&q->node, &eng->parked);
			q->parked = true;
			eng->nr_active--;
			WDL_COUNT(eng->st.parks, 1);
		} else {
			wdl_list_move_tail(&q->node, &eng->active);
		}
		if (turn != WD_SOFT_TURN_SERVE) {
			pthread_mutex_unlock(&eng->lock);
			continue;
		}
		eng->cur = q;
		pthread_mutex_unlock(&eng->lock);

		wdl_queue_serve(eng, q);
		progress = true;

		/* q may be freed once cur moves on: look at it under the lock */
		pthread_mutex_lock(&eng->lock);
		eng->cur = NULL;
		if (READ_ONCE(q->core.stopping))
			pthread_cond_broadcast(&eng->idle_cv);
		pthread_mutex_unlock(&eng->lock);
	}
	return progress;
}

static void *wdl_engine_thread(void *data)
{
	struct wdl_engine *eng = data;
	bool counted;

	wdl_mem_engine_thread();
	pthread_mutex_lock(&eng->lock);
	for (;;) {
		/*
		 * Every queue is parked: sleep until a kick puts one back (a
		 * sleep, counted once). Held: sleep until released.
		 */
		counted = false;
		while ((!eng->nr_active || eng->hold) && !eng->stop) {
			if (!eng->nr_active && !counted) {
				WDL_COUNT(eng->st.sleeps, 1);
				counted = true;
			}
			eng->sleeping = true;
			if (eng->hold)
				pthread_cond_broadcast(&eng->idle_cv);
			pthread_cond_wait(&eng->kick_cv, &eng->lock);
		}
		eng->sleeping = false;
		if (eng->stop)
			break;
		pthread_mutex_unlock(&eng->lock);
		if (!wdl_engine_round(eng))
			wdl_cpu_relax();
		pthread_mutex_lock(&eng->lock);
	}
	pthread_mutex_unlock(&eng->lock);
	return NULL;
}

/*
 * A queue became active (eng->lock held): does the thread sleep? Then it
 * must be signalled, after the unlock, so that it does not wake up only to
 * wait for the mutex its waker still holds. Nothing is lost: the thread
 * tests nr_active under the lock and waits on kick_cv, which releases the
 * lock atomically, so a signal after our unlock finds it waiting or
 * finds nr_active already changed.
 */
static bool wdl_engine_must_wake(struct wdl_engine *eng)
{
	return eng->sleeping;
}

void wdl_engine_kick(struct wdl_queue *q)
{
	struct wdl_engine *eng = q->engine;
	bool wake = false;

	pthread_mutex_lock(&eng->lock);
	if (q->parked) {
		wdl_list_move_tail(&q->node, &eng->active);
		q->parked = false;
		wd_soft_core_queue_unpark(&q->core);
		eng->nr_active++;
		WDL_COUNT(eng->st.kicks, 1);
		wake = wdl_engine_must_wake(eng);
	}
	pthread_mutex_unlock(&eng->lock);
	if (wake)
		pthread_cond_signal(&eng->kick_cv);
}

/*
 * Held, an engine takes no turn (wdl_engine_round() looks at @hold under
 * the lock before each): it finishes the batch it serves and goes to
 * sleep, which is waited for, so that nothing is taken once this returns.
 * Released, a sleeping engine looks at its active queues again.
 */
void wdl_engines_hold(struct wdl_dev *dev, bool hold)
{
	unsigned int i;

	for (i = 0; i < dev->nr_engines; i++) {
		struct wdl_engine *eng = &dev->engines[i];
		bool wake;

		pthread_mutex_lock(&eng->lock);
		eng->hold = hold;
		while (hold && !eng->sleeping)
			pthread_cond_wait(&eng->idle_cv, &eng->lock);
		wake = !hold && wdl_engine_must_wake(eng);
		pthread_mutex_unlock(&eng->lock);
		if (wake)
			pthread_cond_signal(&eng->kick_cv);
	}
}

void wdl_dev_stats(struct wdl_dev *dev, struct wdl_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < dev->nr_engines; i++) {
		const struct wdl_stats *e = &dev->engines[i].st;

		st->rounds += __atomic_load_n(&e->rounds, __ATOMIC_RELAXED);
		st->looks += __atomic_load_n(&e->looks, __ATOMIC_RELAXED);
		st->batches += __atomic_load_n(&e->batches, __ATOMIC_RELAXED);
		st->requests += __atomic_load_n(&e->requests, __ATOMIC_RELAXED);
		st->parks += __atomic_load_n(&e->parks, __ATOMIC_RELAXED);
		st->kicks += __atomic_load_n(&e->kicks, __ATOMIC_RELAXED);
		st->sleeps += __atomic_load_n(&e->sleeps, __ATOMIC_RELAXED);
	}
}

void wdl_engine_attach(struct wdl_queue *q)
{
	struct wdl_dev *dev = q->dev;
	struct wdl_engine *eng = &dev->engines[0];
	bool wake;
	unsigned int i;

	/* racy reads: the balance is approximate, the lists are exact */
	for (i = 1; i < dev->nr_engines; i++)
		if (__atomic_load_n(&dev->engines[i].nr_queues, __ATOMIC_RELAXED) <
		    __atomic_load_n(&eng->nr_queues, __ATOMIC_RELAXED))
			eng = &dev->engines[i];

	q->engine = eng;
	pthread_mutex_lock(&eng->lock);
	wdl_list_add_tail(&q->node, &eng->active);
	q->parked = false;
	eng->nr_active++;
	__atomic_store_n(&eng->nr_queues, eng->nr_queues + 1, __ATOMIC_RELAXED);
	wake = wdl_engine_must_wake(eng);
	pthread_mutex_unlock(&eng->lock);
	if (wake)
		pthread_cond_signal(&eng->kick_cv);
}

/*
 * Take a queue away from its engine (stop, close, destroy). Under the lock
 * it leaves its list, so the engine cannot pick it again, and is marked
 * stopping, so a batch in progress ends after the current request (a long
 * one at its next chunk, CANCELED). Then wait until the engine no longer
 * serves it: from there on the rings belong to the caller.
 */
void wdl_engine_detach(struct wdl_queue *q)
{
	struct wdl_engine *eng = q->engine;

	pthread_mutex_lock(&eng->lock);
	WRITE_ONCE(q->core.stopping, true);
	wdl_list_del_init(&q->node);
	if (!q->parked)
		eng->nr_active--;
	q->parked = false;
	__atomic_store_n(&eng->nr_queues, eng->nr_queues - 1, __ATOMIC_RELAXED);
	while (eng->cur == q)
		pthread_cond_wait(&eng->idle_cv, &eng->lock);
	pthread_mutex_unlock(&eng->lock);
	q->engine = NULL;
}

static void wdl_engine_free(struct wdl_engine *eng)
{
	wdl_engine_algs_exit(eng);
	free(eng->core.sgl);
	free(eng->core.out);
	free(eng->core.in);
	pthread_cond_destroy(&eng->idle_cv);
	pthread_cond_destroy(&eng->kick_cv);
	pthread_mutex_destroy(&eng->lock);
}

static void wdl_engine_join(struct wdl_engine *eng)
{
	pthread_mutex_lock(&eng->lock);
	eng->stop = true;
	pthread_cond_signal(&eng->kick_cv);
	pthread_mutex_unlock(&eng->lock);
	pthread_join(eng->thread, NULL);
}

int wdl_engines_start(struct wdl_dev *dev)
{
	sigset_t all, old;
	struct wdl_engine *eng;
	unsigned int i;
	char name[24];
	int ret = 0;

	/* created with the engines' mask (mem.c) */
	wdl_engine_sigmask(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);

	for (i = 0; i < dev->nr_engines; i++) {
		eng = &dev->engines[i];
		eng->dev = dev;
		pthread_mutex_init(&eng->lock, NULL);
		pthread_cond_init(&eng->kick_cv, NULL);
		pthread_cond_init(&eng->idle_cv, NULL);
		wdl_list_init(&eng->active);
		wdl_list_init(&eng->parked);
		eng->core.in = malloc(WD_SOFT_CORE_CHUNK);
		eng->core.out = malloc(WD_SOFT_CORE_CHUNK);
		eng->core.sgl = malloc(2 * WD_SOFT_CORE_MAX_SGE *
				       sizeof(*eng->core.sgl));
		if (!eng->core.in || !eng->core.out || !eng->core.sgl ||
		    wdl_engine_algs_init(eng)) {
			ret = -ENOMEM;
			goto err;
		}
		ret = -pthread_create(&eng->thread, NULL, wdl_engine_thread,
				      eng);
		if (ret)
			goto err;
		eng->running = true;
		snprintf(name, sizeof(name), "wdl%d/%u", dev->id % 1000, i % 100);
		pthread_setname_np(eng->thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return 0;

err:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	wdl_engine_free(eng);
	while (i--) {
		eng = &dev->engines[i];
		wdl_engine_join(eng);
		wdl_engine_free(eng);
	}
	return ret;
}

void wdl_engines_stop(struct wdl_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_engines; i++) {
		struct wdl_engine *eng = &dev->engines[i];

		wdl_engine_join(eng);
		wdl_engine_free(eng);
	}
}
