// SPDX-License-Identifier: MIT
/*
 * wd_queue.c: the provider's device side. One libwd queue ("sha256", SVA,
 * the device libwd chooses: WD_DEV_PATH) per thread, opened by the thread's
 * first update that goes to the device and released when the thread exits
 * (a pthread key's destructor). A digest context is not tied to a queue:
 * its state is in the context, so it may move between threads, each using
 * its own queue.
 *
 * fork(): a child must never use its parent's queue (libwd refuses with
 * -EPERM anyway). The fork handler bumps a generation; a thread's queue
 * opened under another one is released (the child's copy only) and a new
 * one opened. An -EPERM from libwd is handled the same way, once.
 *
 * A device that goes away unmaps its rings: a queue that has not noticed
 * yet would touch them and take a SIGBUS (docs/libwd.md, "Device
 * removal"). So when a request finds its device gone, an epoch is bumped,
 * and every thread drops a queue opened before it at its next use, before
 * touching its ring. (A device removed while none of this process's
 * requests is in flight is noticed by no one: the next request on it
 * still meets libwd's SIGBUS.)
 *
 * A request's state is a copy (the thread's, aligned as the device wants):
 * the context's state takes it back only after a completion that says OK,
 * so a request cancelled with its device, whatever the device did to the
 * copy, leaves the context's state as it was before it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wd_ossl.h"

/* after a queue could not be opened, the thread tries again after this */
#define WD_OSSL_RETRY_MS	1000

atomic_ulong wd_ossl_fork_gen;
/* bumped when a request found its device gone */
static atomic_ulong wd_ossl_dev_epoch;

/**
 * struct wd_ossl_tq - a thread's queue
 * @st: the state of the request in flight (aligned: the device's rule)
 * @q: the queue, when @open
 * @open: @q is requested
 * @gen: wd_ossl_fork_gen when this was last used
 * @epoch: wd_ossl_dev_epoch when @q was opened
 * @retry_ms: no open before this (CLOCK_MONOTONIC ms) after a failed one
 * @err: that open's error
 */
struct wd_ossl_tq {
	_Alignas(WD_SHA256_STATE_ALIGN) struct wd_sha256_state st;
	struct wd_queue q;
	bool open;
	unsigned long gen;
	unsigned long epoch;
	int64_t retry_ms;
	int err;
};

static pthread_key_t wd_ossl_key;
static pthread_once_t wd_ossl_once = PTHREAD_ONCE_INIT;
static int wd_ossl_init_err;

static int64_t wd_ossl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* the thread exits: its queue goes */
static void wd_ossl_tq_free(void *v)
{
	struct wd_ossl_tq *t = v;

	if (t->open)
		wd_release_queue(&t->q);
	free(t);
}

/* fork child: queues of the parent are not ours; counters start anew */
static void wd_ossl_atfork_child(void)
{
	atomic_fetch_add_explicit(&wd_ossl_fork_gen, 1, memory_order_relaxed);
	atomic_store(&wd_ossl_stats.offloaded_reqs, 0);
	atomic_store(&wd_ossl_stats.offloaded_bytes, 0);
	atomic_store(&wd_ossl_stats.software_reqs, 0);
	atomic_store(&wd_ossl_stats.software_bytes, 0);
	atomic_store(&wd_ossl_stats.fallbacks, 0);
	atomic_store(&wd_ossl_stats.errors, 0);
}

static void wd_ossl_init_once(void)
{
	wd_ossl_init_err = -pthread_key_create(&wd_ossl_key, wd_ossl_tq_free);
	if (!wd_ossl_init_err)
		wd_ossl_init_err = -pthread_atfork(NULL, NULL,
						   wd_ossl_atfork_child);
}

int wd_ossl_queue_init(void)
{
	pthread_once(&wd_ossl_once, wd_ossl_init_once);
	return wd_ossl_init_err;
}

/* release @t's queue: the next use opens another */
static void wd_ossl_tq_drop(struct wd_ossl_tq *t)
{
	if (t->open)
		wd_release_queue(&t->q);
	t->open = false;
}

/* this thread's queue, opened if need be; NULL with *err */
static struct wd_ossl_tq *wd_ossl_tq_get(int *err)
{
	unsigned long gen = atomic_load_explicit(&wd_ossl_fork_gen,
						 memory_order_relaxed);
	unsigned long epoch = atomic_load(&wd_ossl_dev_epoch);
	struct wd_ossl_tq *t;
	int64_t now;
	int ret;

	ret = wd_ossl_queue_init();
	if (ret) {
		*err = ret;
		return NULL;
	}
	t = pthread_getspecific(wd_ossl_key);
	if (!t) {
		t = aligned_alloc(WD_SHA256_STATE_ALIGN,
				  (sizeof(*t) + WD_SHA256_STATE_ALIGN - 1) &
				  ~(size_t)(WD_SHA256_STATE_ALIGN - 1));
		if (!t) {
			*err = -ENOMEM;
			return NULL;
		}
		memset(t, 0, sizeof(*t));
		t->gen = gen;
		ret = -pthread_setspecific(wd_ossl_key, t);
		if (ret) {
			free(t);
			*err = ret;
			return NULL;
		}
	}
	if (t->gen != gen) {
		/* forked: the child's copy of the parent's queue, freed
		 * without touching the device; no back-off inherited */
		wd_ossl_tq_drop(t);
		t->retry_ms = 0;
		t->gen = gen;
	}
	/* a device went away since: this queue may be on it */
	if (t->open && t->epoch != epoch)
		wd_ossl_tq_drop(t);
	if (t->open)
		return t;
	now = wd_ossl_now_ms();
	if (t->retry_ms && now < t->retry_ms) {
		*err = t->err;
		return NULL;
	}
	memset(&t->q, 0, sizeof(t->q));
	t->q.capa.alg = "sha256";
	t->q.capa.flags = WD_DEV_SVA;
	ret = wd_request_queue(&t->q);
	if (ret) {
		WD_OSSL_COUNT(errors, 1);
		t->err = *err = ret;
		t->retry_ms = now + WD_OSSL_RETRY_MS;
		return NULL;
	}
	t->open = true;
	t->epoch = epoch;
	t->retry_ms = 0;
	return t;
}

/* one request of @n bytes on @t's copy of the state: 0 or -errno */
static int wd_ossl_tq_run(struct wd_ossl_tq *t, const uint8_t *data,
			  uint32_t n)
{
	struct wd_stream_req r;
	void *got = NULL;
	int ret;

	wd_prep_stream(&r, NULL, 0, data, n, WD_NO_FLUSH);
	ret = wd_digest_state_send(&t->q, &r, &t->st);
	if (ret)
		return ret;
#ifdef WD_OSSL_TEST
	wd_ossl_test_after_send();
#endif
	/* -EINTR: the request is still in flight, and @r is on this stack */
	do
		ret = wd_recv_sync(&t->q, &got);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	/* one request in flight on this thread's queue: it is @r */
	if (got != &r)
		return -EPROTO;
	if (r.status)
		return r.status;
	return r.in_len == n ? 0 : -EIO;
}

int wd_ossl_dev_update(struct wd_sha256_state *st, const uint8_t *data,
		       size_t len, size_t *done)
{
	bool retried = false;
	struct wd_ossl_tq *t;
	int ret;

	*done = 0;
	t = wd_ossl_tq_get(&ret);
	if (!t)
		return ret;
	while (*done < len) {
		size_t left = len - *done;
		uint32_t n = left > WD_OSSL_MAX_REQ ? WD_OSSL_MAX_REQ :
			     (uint32_t)left;

		t->st = *st;
		ret = wd_ossl_tq_run(t, data + *done, n);
		if (ret == -EPERM && !retried) {
			/* inherited after all: a queue of our own, once */
			retried = true;
			wd_ossl_tq_drop(t);
			t = wd_ossl_tq_get(&ret);
			if (!t)
				return ret;
			continue;
		}
		if (ret) {
			WD_OSSL_COUNT(errors, 1);
			if (ret == -ENODEV || ret == -ECANCELED)
				atomic_fetch_add(&wd_ossl_dev_epoch, 1);
			wd_ossl_tq_drop(t);
			return ret;
		}
		*st = t->st;
		*done += n;
		WD_OSSL_COUNT(offloaded_reqs, 1);
		WD_OSSL_COUNT(offloaded_bytes, n);
	}
	return 0;
}
