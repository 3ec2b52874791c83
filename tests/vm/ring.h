/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring.h: what t_ring and t_ring_queue share: a page-aligned buffer with a
 * guard page after it, one request run to its completion, and the check
 * that a queue still works.
 */
#ifndef WD_TESTS_VM_RING_H
#define WD_TESTS_VM_RING_H

#include "t.h"

#include <sys/mman.h>

static inline void *xmalloc(size_t len)
{
	/* page-aligned, with a guard page after it */
	size_t pages = (len + t_page - 1) / t_page + 1;
	char *p = mmap(NULL, pages * t_page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	T_ASSERT(p != MAP_FAILED);
	T_OK(mprotect(p + (pages - 1) * t_page, t_page, PROT_NONE));
	return p;
}

static inline struct wd_soft_cqe run(struct t_q *q, struct wd_soft_sqe s)
{
	return t_q_run(q, &s);
}

static inline void nop_works(struct t_q *q)
{
	T_EQ(run(q, t_sqe_nop(0x5151)).status, WD_SOFT_S_OK);
}

#endif
