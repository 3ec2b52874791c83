// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * engine.c: the in-process host's engine threads and the wake-up of
 * pollers. Which queue an engine serves when is the shared scheduler's
 * (engine/wd_soft_sched.c); this file gives it threads, a mutex and
 * condition variables, and serves a batch with the core.
 *
 * A busy engine makes no system call: the mutexes are uncontended, the
 * clock is the vDSO's, condition variables are signalled only when
 * somebody waits, and pollers are woken only when one sleeps.
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

static struct wdl_engine *to_wdl_engine(struct wd_soft_sched *s)
{
	return container_of(s, struct wdl_engine, sched);
}

/* Scheduler host interface: an uncontended mutex (a kick or a stop is the
 * only other taker), so a busy engine makes no system call for it.
 */
void wd_soft_host_sched_lock(struct wd_soft_sched *s)
{
	pthread_mutex_lock(&to_wdl_engine(s)->lock);
}

void wd_soft_host_sched_unlock(struct wd_soft_sched *s)
{
	pthread_mutex_unlock(&to_wdl_engine(s)->lock);
}

void wd_soft_host_sched_wait(struct wd_soft_sched *s, enum wd_soft_sched_wq wq)
{
	struct wdl_engine *eng = to_wdl_engine(s);

	pthread_cond_wait(wq == WD_SOFT_SCHED_KICK ? &eng->kick_cv :
			  &eng->idle_cv, &eng->lock);
}

/*
 * The scheduler wakes KICK only when the thread sleeps, and after its
 * unlock, so that the thread does not wake only to wait for the mutex.
 */
void wd_soft_host_sched_wake(struct wd_soft_sched *s, enum wd_soft_sched_wq wq)
{
	struct wdl_engine *eng = to_wdl_engine(s);

	pthread_cond_broadcast(wq == WD_SOFT_SCHED_KICK ? &eng->kick_cv :
			       &eng->idle_cv);
}

/*
 * Serve one batch of @sq: it is the scheduler's cur, or (@help) this
 * engine helps its owner and is counted in its helpers: a detach waits.
 */
u32 wd_soft_host_sched_serve(struct wd_soft_sched *s,
			     struct wd_soft_sched_queue *sq, bool help)
{
	struct wdl_queue *q = container_of(sq, struct wdl_queue, sq);
	struct wdl_ctx ctx;

	wdl_mem_undefer();
	ctx.q = q;
	ctx.eng = to_wdl_engine(s);
	wd_soft_core_ctx_init(&ctx.core, &q->core, &ctx.eng->core);
	if (help)
		return wd_soft_core_help(&ctx.core, WDL_BATCH, WDL_BATCH_BYTES);
	return wd_soft_core_serve(&ctx.core, WDL_BATCH, WDL_BATCH_BYTES);
}

void wd_soft_host_sched_yield(struct wd_soft_sched *s, bool progress)
{
	(void)s;
	if (!progress)
		wdl_cpu_relax();
}

static void *wdl_engine_thread(void *data)
{
	struct wdl_engine *eng = data;

	wdl_mem_engine_thread(eng->dev);
	wd_soft_sched_run(&eng->sched);
	return NULL;
}

void wdl_engine_kick(struct wdl_queue *q)
{
	wd_soft_sched_kick(&q->sq);
}

/*
 * Held, an engine takes no turn: it finishes the batch it serves and goes
 * to sleep, which is waited for, so that nothing is taken once this
 * returns. Released, a sleeping engine looks at its active queues again.
 */
void wdl_engines_hold(struct wdl_dev *dev, bool hold)
{
	unsigned int i;

	for (i = 0; i < dev->nr_engines; i++)
		if (!wd_soft_sched_hold(&dev->engines[i].sched, hold))
			wd_soft_sched_hold_wait(&dev->engines[i].sched);
}

void wdl_dev_stats(struct wdl_dev *dev, struct wdl_stats *st)
{
	unsigned int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < dev->nr_engines; i++) {
		const struct wd_soft_sched_stats *e = &dev->engines[i].sched.st;

		st->rounds += READ_ONCE(e->rounds);
		st->looks += READ_ONCE(e->looks);
		st->batches += READ_ONCE(e->batches);
		st->requests += READ_ONCE(e->requests);
		st->parks += READ_ONCE(e->parks);
		st->kicks += READ_ONCE(e->kicks);
		st->sleeps += READ_ONCE(e->sleeps);
		if (dev->engines[i].core.alg)
			st->oneshots += READ_ONCE(dev->engines[i].core.alg->oneshots);
		st->mapped += READ_ONCE(dev->engines[i].core.mapped);
		st->copied += READ_ONCE(dev->engines[i].core.copied);
	}
}

int wdl_dev_engine_stats(struct wdl_dev *dev, unsigned int i,
			 uint64_t *requests, uint64_t *helped)
{
	const struct wd_soft_sched_stats *e;

	if (i >= dev->nr_engines)
		return -EINVAL;
	e = &dev->engines[i].sched.st;
	*requests = READ_ONCE(e->requests);
	*helped = READ_ONCE(e->helped);
	return 0;
}

void wdl_engine_attach(struct wdl_queue *q)
{
	struct wdl_dev *dev = q->dev;

	/* never held for a page: the engines take the process's own faults */
	wd_soft_sched_attach(wd_soft_sched_least_loaded(&dev->engines[0].sched,
							dev->nr_engines,
							sizeof(dev->engines[0])),
			     &q->sq, &q->core, true);
}

/* Take a queue away from its engine (stop, close, destroy). */
void wdl_engine_detach(struct wdl_queue *q)
{
	wd_soft_sched_detach(&q->sq);
}

/* the buffers and backends; the lock and condition variables go last */
static void wdl_engine_free(struct wdl_engine *eng)
{
	wdl_engine_algs_exit(eng);
	free(eng->core.sgl);
	free(eng->core.out);
	free(eng->core.in);
}

static void wdl_engine_destroy_locks(struct wdl_engine *eng)
{
	pthread_cond_destroy(&eng->idle_cv);
	pthread_cond_destroy(&eng->kick_cv);
	pthread_mutex_destroy(&eng->lock);
}

static void wdl_engine_join(struct wdl_engine *eng)
{
	wd_soft_sched_stop(&eng->sched);
	pthread_join(eng->thread, NULL);
}

int wdl_engines_start(struct wdl_dev *dev)
{
	sigset_t all, old;
	struct wdl_engine *eng;
	unsigned int i;
	char name[24];
	int ret = 0;

	/*
	 * Every engine's lock and scheduler first: a thread may look at its
	 * siblings (to help them) as soon as it runs.
	 */
	for (i = 0; i < dev->nr_engines; i++) {
		eng = &dev->engines[i];
		eng->dev = dev;
		pthread_mutex_init(&eng->lock, NULL);
		pthread_cond_init(&eng->kick_cv, NULL);
		pthread_cond_init(&eng->idle_cv, NULL);
		wd_soft_sched_init(&eng->sched, dev->cfg.spin_ns);
		wd_soft_sched_share(&eng->sched, &dev->engines[0].sched,
				    dev->nr_engines, sizeof(dev->engines[0]));
	}

	/* created with the engines' mask (mem.c) */
	wdl_engine_sigmask(dev, &all);
	pthread_sigmask(SIG_SETMASK, &all, &old);

	for (i = 0; i < dev->nr_engines; i++) {
		eng = &dev->engines[i];
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
	for (i = 0; i < dev->nr_engines; i++)
		wdl_engine_destroy_locks(&dev->engines[i]);
	return ret;
}

/* every thread ends before any lock goes: a thread may take a sibling's */
void wdl_engines_stop(struct wdl_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->nr_engines; i++)
		wdl_engine_join(&dev->engines[i]);
	for (i = 0; i < dev->nr_engines; i++) {
		wdl_engine_free(&dev->engines[i]);
		wdl_engine_destroy_locks(&dev->engines[i]);
	}
}
