// SPDX-License-Identifier: MIT
/*
 * wd.c: the queue API. Argument checks, the fork check, the queue's locks;
 * the ring work is the user driver's (drv_*.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wd_priv.h"

/*
 * Bumped in every child of fork(): a queue requested under another value
 * was inherited. One relaxed load per call instead of getpid(), which is a
 * system call; exported, as wd_ring.h's inline calls compare it too.
 */
WD_EXPORT unsigned long __wd_ring_fork_gen;
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static int wd_init_err;

static void wd_atfork_child(void)
{
	/* the child has one thread: no read-modify-write needed */
	__atomic_store_n(&__wd_ring_fork_gen, wd_fork_gen() + 1,
			 __ATOMIC_RELAXED);
}

/*
 * Fork handlers. The only global lock a fork child can need is the
 * in-process device's (wd_local_init() registers its handlers); the
 * queues' locks belong to the parent's queues, which the child never
 * locks (-EPERM first), and wd_once is glibc's pthread_once(), which
 * restarts in the child if fork() interrupted it.
 */
static void wd_init_once(void)
{
	wd_init_err = wd_local_init();
	if (!wd_init_err)
		wd_init_err = -pthread_atfork(NULL, NULL, wd_atfork_child);
}

/*
 * Before anything records the fork generation (a queue, an in-process device) or
 * takes the in-process device's lock: from then on every fork() bumps the
 * generation and waits for that lock. 0 or -errno.
 */
int wd_fork_init(void)
{
	pthread_once(&wd_once, wd_init_once);
	return wd_init_err;
}

/*
 * The queue's private state, or NULL with *err set (-EINVAL, -EPERM), also
 * when its device is gone: receiving still hands back what was in flight.
 * Inline: the exported send and receive calls make it per request.
 */
static inline struct wd_q *wd_q_get_any(struct wd_queue *q, int *err)
{
	struct wd_q *p;

	if (!q || !q->priv) {
		*err = -EINVAL;
		return NULL;
	}
	p = q->priv;
	if (p->ring.fork_gen != wd_fork_gen()) {
		*err = -EPERM;
		return NULL;
	}
	return p;
}

/* wd_q_get(), inline for this file's per-request calls */
static inline struct wd_q *wd_q_get_live(struct wd_queue *q, int *err)
{
	struct wd_q *p = wd_q_get_any(q, err);

	if (p && wd_q_dead(p)) {
		*err = -ENODEV;
		return NULL;
	}
	return p;
}

/* The queue's private state, or NULL with *err set (-EINVAL, -EPERM,
 * -ENODEV). */
struct wd_q *wd_q_get(struct wd_queue *q, int *err)
{
	return wd_q_get_live(q, err);
}

WD_EXPORT int wd_request_queue(struct wd_queue *q)
{
	struct wd_dev *devs = NULL;
	struct wd_q *p;
	const char *path;
	int nr = 0, ret, err = 0;

	wd_refused_clear();
	if (!q || !q->capa.alg || !q->capa.alg[0] ||
	    strlen(q->capa.alg) >= sizeof(p->alg_name) ||
	    (q->capa.flags & ~WD_DEV_MODES) || q->priv ||
	    !memchr(q->dev_path, 0, sizeof(q->dev_path)))
		return -EINVAL;
	ret = wd_fork_init();
	if (ret)
		return ret;

	path = q->dev_path;
	if (!path[0]) {
		/* not for the caller of a setuid program to choose */
		const char *env = secure_getenv("WD_DEV_PATH");

		if (env && env[0])
			path = env;
	}
	ret = wd_discover(q, path, &devs, &nr);
	if (ret)
		return ret;

	p = calloc(1, sizeof(*p));
	if (!p) {
		free(devs);
		return -ENOMEM;
	}
	p->pub = q;
	p->ring.fork_gen = wd_fork_gen();
	strcpy(p->alg_name, q->capa.alg);
	p->alg = p->alg_name;
	pthread_mutex_init(&p->send_lock, NULL);
	pthread_mutex_init(&p->recv_lock, NULL);
	pthread_mutex_init(&p->stream_lock, NULL);

	ret = wd_open_on(p, devs, nr, &err);
	free(devs);
	if (ret) {
		pthread_mutex_destroy(&p->send_lock);
		pthread_mutex_destroy(&p->recv_lock);
		pthread_mutex_destroy(&p->stream_lock);
		free(p);
		return ret;
	}
	q->priv = p;
	return 0;
}

WD_EXPORT void wd_release_queue(struct wd_queue *q)
{
	struct wd_q *p;

	if (!q || !q->priv)
		return;
	p = q->priv;
	q->priv = NULL;
	if (p->ring.fork_gen != wd_fork_gen()) {
		/* an inherited copy: the parent's queue is not ours to stop,
		 * and its mappings were not inherited; its locks may have
		 * been held by a thread that does not exist here */
		wd_streams_free(p);
		p->tp->abandon(p);
		free(p);
		return;
	}
	/* stopping and closing the queue closes its streams' contexts; the
	 * driver frees its state even when the device is gone */
	p->drv->fini(p);
	p->tp->close(p);
	wd_streams_free(p);
	if (p->ss)
		wd_ss_put(p->ss);
	pthread_mutex_destroy(&p->send_lock);
	pthread_mutex_destroy(&p->recv_lock);
	pthread_mutex_destroy(&p->stream_lock);
	free(p);
}

/*
 * The exported send and receive calls: the queue's lock around wd_ring.h's
 * inline code, the fast path's one copy (senders serialised, receivers
 * serialised, a sender and a receiver in parallel: their ring words are
 * apart and only ever stored by their side).
 */
WD_EXPORT int wd_send(struct wd_queue *q, void *req)
{
	struct wd_q *p;
	int ret;

	p = wd_q_get_live(q, &ret);
	if (!p)
		return ret;
	if (!req)
		return -EINVAL;
	pthread_mutex_lock(&p->send_lock);
	ret = __wd_ring_send_one(&p->ring, req);
	pthread_mutex_unlock(&p->send_lock);
	return ret;
}

WD_EXPORT int wd_send_many(struct wd_queue *q, void *const *reqs, int n)
{
	struct wd_q *p;
	int i, ret = 0;

	p = wd_q_get_live(q, &ret);
	if (!p)
		return ret;
	if (n < 0 || (!reqs && n))
		return -EINVAL;
	pthread_mutex_lock(&p->send_lock);
	for (i = 0; i < n; i++) {
		ret = reqs[i] ? __wd_ring_send_one(&p->ring, reqs[i]) : -EINVAL;
		if (ret)
			break;
	}
	/* the batch's doorbell (and that of earlier unflushed sends) */
	__wd_ring_flush(q, &p->ring);
	pthread_mutex_unlock(&p->send_lock);
	return i ? i : ret;
}

WD_EXPORT void wd_flush(struct wd_queue *q)
{
	struct wd_q *p;
	int ret;

	p = wd_q_get_live(q, &ret);
	if (!p)
		return;
	pthread_mutex_lock(&p->send_lock);
	__wd_ring_flush(q, &p->ring);
	pthread_mutex_unlock(&p->send_lock);
}

WD_EXPORT int wd_recv(struct wd_queue *q, void **req)
{
	struct wd_q *p;
	int ret;

	p = wd_q_get_any(q, &ret);
	if (!p)
		return ret;
	if (!req)
		return -EINVAL;
	pthread_mutex_lock(&p->recv_lock);
	ret = __wd_ring_reap(q, &p->ring, req, 1);
	pthread_mutex_unlock(&p->recv_lock);
	return ret;
}

WD_EXPORT int wd_recv_many(struct wd_queue *q, void **reqs, int max)
{
	struct wd_q *p;
	int ret;

	p = wd_q_get_any(q, &ret);
	if (!p)
		return ret;
	if (max < 0 || (!reqs && max))
		return -EINVAL;
	if (!max)
		return 0;
	pthread_mutex_lock(&p->recv_lock);
	ret = __wd_ring_reap(q, &p->ring, reqs, max);
	pthread_mutex_unlock(&p->recv_lock);
	return ret;
}

static int64_t wd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

WD_EXPORT int wd_recv_wait(struct wd_queue *q, void **req, int timeout_ms)
{
	int64_t end = 0;
	struct wd_q *p;
	int ret;

	p = wd_q_get_any(q, &ret);
	if (!p)
		return ret;
	if (!req || timeout_ms < -1)
		return -EINVAL;
	if (timeout_ms > 0)
		end = wd_now_ms() + timeout_ms;
	pthread_mutex_lock(&p->send_lock);
	__wd_ring_flush(q, &p->ring);
	pthread_mutex_unlock(&p->send_lock);

	pthread_mutex_lock(&p->recv_lock);
	for (;;) {
		int left = -1;

		ret = __wd_ring_reap(q, &p->ring, req, 1);
		if (ret)
			break;
		if (!p->drv->inflight(p)) {
			ret = -ENOMSG;
			break;
		}
		if (timeout_ms >= 0) {
			int64_t now = wd_now_ms();

			left = timeout_ms ? (int)(end > now ? end - now : 0) : 0;
			if (!left) {
				ret = -ETIMEDOUT;
				break;
			}
		}
		/* arm, look once more, sleep: no wake-up can be lost */
		if (p->drv->arm(p))
			continue;
		ret = p->tp->wait(p, left);
		if (ret == -ENODEV) {
			/* the regions are gone: touch nothing any more, but
			 * hand back what is in flight */
			wd_q_set_dead(p);
			continue;
		}
		p->drv->disarm(p);
		if (ret < 0)
			break;
	}
	pthread_mutex_unlock(&p->recv_lock);
	return ret;
}

WD_EXPORT int wd_recv_sync(struct wd_queue *q, void **req)
{
	return wd_recv_wait(q, req, -1);
}
