// SPDX-License-Identifier: MIT
/*
 * Measuring requests through a queue: the loop that `wd bench` runs and
 * that the benchmark harness (tools/bench, wd-bench) runs for its device
 * rows, so that both measure the same way (one copy of it).
 *
 * A run is a warm-up (not measured), then operations until a count or a
 * deadline. A runner calls wdt_run_more() before an operation and
 * wdt_run_tick() after each one completes, then wdt_run_end().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wdtool.h"

/*
 * Warm-up: WARM operations, or @warm_ns of time when timing, whichever
 * ends first (a slow point, 1 MiB under TCG, would take long); an untimed
 * run warms up with WARM_UNTIMED (the harness's traced N/2N pair cancels it
 * anyway).
 */
#define WARM		200
#define WARM_UNTIMED	20

/* a clock reading, or 0 when the run reads no clock */
static uint64_t now_if(const struct wdt_run *r)
{
	return r->untimed ? 0 : wdt_now_ns();
}

bool wdt_run_more(struct wdt_run *r)
{
	if (!r->t_begin)
		r->t_begin = r->untimed ? 1 : wdt_now_ns();
	if (r->rec && r->done >= r->n + r->warm_done)
		return false;
	/*
	 * The clock is read at every 16th call, not at every 16th operation,
	 * and its verdict sticks: a runner that calls this twice per request,
	 * or with done at a fixed phase (batch 8: done % 16 may never be 0),
	 * once kept a 20 ms point running for many minutes.
	 */
	if (r->deadline && r->rec && !r->over && (++r->calls & 15) == 0 &&
	    now_if(r) >= r->deadline)
		r->over = true;
	return !r->over;
}

/* latency is sampled on one operation in 8: the clock costs too */
uint64_t wdt_run_sample(const struct wdt_run *r)
{
	return !r->untimed && (r->done & 7) == 0 ? wdt_now_ns() : 0;
}

static void lat_add(struct wdt_lat *l, uint64_t ns)
{
	if (l && l->ns && l->n < WDT_LAT_MAX)
		l->ns[l->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

void wdt_run_tick(struct wdt_run *r, uint64_t t0)
{
	if (r->rec && t0)
		lat_add(r->lat, wdt_now_ns() - t0);
	++r->done;
	if (!r->rec && (r->done >= (r->untimed ? WARM_UNTIMED : WARM) ||
			(!r->untimed && r->deadline && r->warm_ns &&
			 (r->done & 3) == 0 &&
			 wdt_now_ns() - r->t_begin > r->warm_ns))) {
		r->rec = true;
		r->warm_done = r->done;
		r->t_start = now_if(r);
	}
}

void wdt_run_end(struct wdt_run *r)
{
	r->t_end = now_if(r);
	r->done = r->rec ? r->done - r->warm_done : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

void wdt_lat_pcts(struct wdt_lat *l, double *p50, double *p99)
{
	*p50 = *p99 = 0;
	if (!l->n)
		return;
	qsort(l->ns, l->n, sizeof(uint32_t), cmp_u32);
	*p50 = l->ns[l->n / 2];
	*p99 = l->ns[(size_t)((double)l->n * 0.99)];
}

/* ---- requests through a queue ---- */

union anyreq {
	struct wd_copy_req c;
	struct wd_digest_req d;
	struct wd_comp_req z;
};

enum { CLS_COPY, CLS_DIGEST, CLS_COMP };

static int alg_class(const char *alg)
{
	if (!strcmp(alg, "nop") || !strcmp(alg, "copy"))
		return CLS_COPY;
	if (!strcmp(alg, "crc32c") || !strcmp(alg, "sha256"))
		return CLS_DIGEST;
	return CLS_COMP;
}

/* one measured loop over a queue: its requests, memory and counts */
struct qrun {
	struct wd_queue *q;
	struct wdt_run *r;
	uint32_t size;
	int cls, depth, batch, inflight;
	bool many, sync;
	size_t dst_room, per;	/* output room; a slot's bytes */
	uint8_t *mem;
	union anyreq *reqs;
	uint64_t *t_sub, sent;	/* submission times by slot */
	void **vec;
};

static int req_status(const struct qrun *qr, const union anyreq *rq)
{
	return qr->cls == CLS_COPY ? rq->c.status :
	       qr->cls == CLS_DIGEST ? rq->d.status : rq->z.status;
}

static int qrun_fail(struct qrun *qr, int ret, const char *what, const char *why)
{
	snprintf(qr->r->err, sizeof(qr->r->err), "%s: %s", what, why);
	return ret;
}

/* depth and batch within the queue's depth and memory; slots filled */
static int qrun_setup(struct qrun *qr, struct wdt_load *l)
{
	qr->cls = alg_class(l->alg);
	qr->dst_room = qr->cls == CLS_DIGEST ? 64 : l->size + l->size / 8 + 1024;
	qr->per = ((size_t)l->size + qr->dst_room + 63) & ~(size_t)63;
	qr->depth = l->depth < 1 ? 1 : l->depth;
	if ((uint32_t)qr->depth > qr->q->depth)
		qr->depth = (int)qr->q->depth;
	while (qr->depth > 1 && qr->per * (size_t)qr->depth > qr->q->ss_max)
		qr->depth--;
	qr->batch = l->batch < 1 ? 1 : l->batch > qr->depth ? qr->depth : l->batch;
	qr->many = qr->batch > 1;
	l->depth = qr->depth;
	l->batch = qr->batch;
	qr->mem = wd_reserve_memory(qr->q, qr->per * (size_t)qr->depth);
	qr->reqs = calloc((size_t)qr->depth, sizeof(*qr->reqs));
	qr->t_sub = calloc((size_t)qr->depth, sizeof(*qr->t_sub));
	qr->vec = calloc((size_t)qr->depth, sizeof(*qr->vec));
	if (!qr->mem || !qr->reqs || !qr->t_sub || !qr->vec)
		return qrun_fail(qr, -ENOMEM, "memory", strerror(errno ? errno : ENOMEM));
	for (size_t i = 0; i < qr->per * (size_t)qr->depth; i++)
		qr->mem[i] = (uint8_t)(i * 7 + (i >> 9) * 13);
	return 0;
}

/*
 * One batch: wd_send_many() (one lock, one doorbell) for more than one
 * request, as a program that has a batch would send it; wd_send() and
 * wd_flush() for one.
 */
static int qrun_submit(struct qrun *qr)
{
	uint64_t now = !qr->r->untimed &&
		       ((qr->sent / (uint64_t)qr->batch) & 7) == 0 ? wdt_now_ns() : 0;
	int ret;

	for (int b = 0; b < qr->batch; b++) {
		int slot = (int)((qr->sent + (uint64_t)b) % (uint64_t)qr->depth);
		uint8_t *src = qr->mem + qr->per * (size_t)slot;
		uint8_t *dst = src + qr->size;
		union anyreq *rq = &qr->reqs[slot];

		if (qr->cls == CLS_COPY)
			wd_prep_copy(&rq->c, dst, src, qr->size);
		else if (qr->cls == CLS_DIGEST)
			wd_prep_digest(&rq->d, dst, 32, src, qr->size, 0);
		else
			wd_prep_comp(&rq->z, WD_COMPRESS, 1, dst,
				     (uint32_t)qr->dst_room, src, qr->size);
		qr->t_sub[slot] = now;
		qr->vec[b] = rq;
	}
	if (qr->many) {
		/* there is room for all of them: all or an error */
		ret = wd_send_many(qr->q, qr->vec, qr->batch);
		if (ret != qr->batch)
			return qrun_fail(qr, ret < 0 ? ret : -EIO, "send",
					 ret < 0 ? strerror(-ret) : "short batch");
	} else {
		ret = wd_send(qr->q, qr->vec[0]);
		if (ret)
			return qrun_fail(qr, ret, "send", strerror(-ret));
		wd_flush(qr->q);
	}
	qr->sent += (uint64_t)qr->batch;
	qr->inflight += qr->batch;
	return 0;
}

/*
 * At least one completion, then what else is there, until there is room
 * for another batch (when @more). Polling takes completions without a
 * system call (wd_recv_many() for batches: one lock, one CQ head store per
 * call); sync waits in wd_recv_sync() (poll()) for each.
 */
static int qrun_collect(struct qrun *qr, bool more)
{
	bool room;

	for (int got = 0; qr->inflight;) {
		int n = qr->many && !qr->sync ?
			wd_recv_many(qr->q, qr->vec, qr->inflight) :
			qr->sync ? wd_recv_sync(qr->q, &qr->vec[0]) :
			wd_recv(qr->q, &qr->vec[0]);

		if (n < 0)
			return qrun_fail(qr, n, "recv", strerror(-n));
		room = qr->inflight + qr->batch <= qr->depth && more;
		if (!n) {
			if (got && room)
				break;
			continue;
		}
		for (int i = 0; i < n; i++) {
			union anyreq *rq = qr->vec[i];
			int st = req_status(qr, rq);

			if (st)
				return qrun_fail(qr, st, "request", strerror(-st));
			qr->inflight--;
			got++;
			wdt_run_tick(qr->r, qr->t_sub[rq - qr->reqs]);
		}
		/* a batch call took what there was: room for a batch? */
		if (qr->inflight + qr->batch <= qr->depth && more &&
		    (qr->sync || qr->many))
			break;
	}
	return 0;
}

int wdt_run_queue(struct wd_queue *q, struct wdt_load *l, struct wdt_run *r)
{
	struct qrun qr = { .q = q, .r = r, .size = l->size, .sync = l->sync };
	int ret = qrun_setup(&qr, l);

	while (!ret) {
		bool more = wdt_run_more(r);

		/* whole batches while there is room */
		while (!ret && more && qr.inflight + qr.batch <= qr.depth) {
			ret = qrun_submit(&qr);
			more = wdt_run_more(r);
		}
		if (ret || !qr.inflight)
			break;
		ret = qrun_collect(&qr, more);
	}
	if (!ret)
		wdt_run_end(r);
	free(qr.reqs);
	free(qr.t_sub);
	free(qr.vec);
	return ret;
}
