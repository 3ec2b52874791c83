// SPDX-License-Identifier: MIT
/*
 * mem.c: reserved memory (the SS region) and the addresses the device
 * takes in each memory mode.
 *
 *  SVA      any process address, as it is
 *  PASID    an address inside the queue's SS region (own or shared), as it is
 *  NOIOMMU  the bus address of an address inside the SS region
 *
 * The rule itself is __wd_ring_addr() (include/wd_ring.h), inline in both
 * paths, on the ring's copy of the SS region's place kept here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "wd_priv.h"

/* @q uses @ss from now on: the ring's copy for the inline address checks */
static void wd_ss_set(struct wd_q *q, struct wd_ss *ss)
{
	q->ss = ss;
	q->ring.ss_va = (uintptr_t)ss->va;
	q->ring.ss_size = ss->size;
	q->ring.ss_dma = ss->dma;
}

void wd_ss_put(struct wd_ss *ss)
{
	if (atomic_fetch_sub(&ss->refs, 1) != 1)
		return;
	ss->tp->ss_unmap(ss->va, ss->size);
	free(ss);
}

WD_EXPORT void *wd_reserve_memory(struct wd_queue *q, size_t size)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	struct wd_ss *ss;
	struct wd_q *p;
	int ret;

	p = wd_q_get(q, &ret);
	if (!p) {
		errno = -ret;
		return NULL;
	}
	if (!size) {
		errno = EINVAL;
		return NULL;
	}
	if (p->ss) {
		errno = EEXIST;
		return NULL;
	}
	if (size > q->ss_max || size > SIZE_MAX - pg) {
		errno = ENOMEM;
		return NULL;
	}
	size = (size + pg - 1) & ~(pg - 1);
	ss = calloc(1, sizeof(*ss));
	if (!ss) {
		errno = ENOMEM;
		return NULL;
	}
	ret = p->tp->ss_map(p, size, &ss->va, &ss->dma);
	if (ret) {
		free(ss);
		errno = -ret;
		return NULL;
	}
	ss->size = size;
	ss->tp = p->tp;
	atomic_init(&ss->refs, 1);
	wd_ss_set(p, ss);
	return ss->va;
}

WD_EXPORT int wd_share_reserved_memory(struct wd_queue *q,
				       struct wd_queue *target_q)
{
	struct wd_q *p, *t;
	int ret;

	p = wd_q_get(q, &ret);
	if (!p)
		return ret;
	t = wd_q_get(target_q, &ret);
	if (!t)
		return ret;
	if (p == t || !p->ss || p->tp != t->tp)
		return -EINVAL;
	if (t->ss)
		return -EEXIST;
	ret = p->tp->share_ss(p, t);
	if (ret)
		return ret;
	atomic_fetch_add(&p->ss->refs, 1);
	wd_ss_set(t, p->ss);
	return 0;
}
