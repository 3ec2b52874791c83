/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rules.h: what t_rules and t_rules_addr share: a queue of one memory mode
 * with an SS region in every mode (sva reaches it as any memory of the
 * process), request buffers in it, one request run to its end, and the
 * check that the queue still works after a refused request.
 */
#ifndef WD_TESTS_VM_RULES_H
#define WD_TESTS_VM_RULES_H

#include "algs.h"

#define RULES_SS	(2u << 20)

/* a queue in mode @m of a new instance (@more: more options) */
static inline void rules_init(struct ctx *c, enum mode m, const char *more)
{
	ctx_init_opts(c, m, more);
	if (m == SVA)
		t_q_map_ss(&c->q, RULES_SS);
}

/* n bytes the device can reach, from SS (c->q.ss_used = 0 frees them all) */
static inline void *buf(struct ctx *c, size_t n)
{
	void *p = t_q_ss_alloc(&c->q, n ? n : 1);

	T_ASSERT_MSG(p, "SS full (%zu bytes wanted)", n);
	return p;
}

static inline struct wd_soft_cqe req(struct ctx *c, struct wd_soft_sqe sqe)
{
	sqe.user_data = ++c->ud;
	return t_q_run(&c->q, &sqe);
}

static inline struct wd_soft_sqe sqe_of(uint16_t op, uint32_t params,
					uint64_t src, uint32_t src_len,
					uint64_t dst, uint32_t dst_len)
{
	return (struct wd_soft_sqe){ .op = op, .params = params,
		.src = src, .src_len = src_len, .dst = dst, .dst_len = dst_len };
}

/* one request from and to buffers of this process */
static inline struct wd_soft_cqe op(struct ctx *c, uint16_t o,
				    uint32_t params, const void *src, size_t n,
				    void *dst, size_t cap)
{
	return req(c, sqe_of(o, params, t_q_addr(&c->q, src), (uint32_t)n,
			     t_q_addr(&c->q, dst), (uint32_t)cap));
}

#define ST(cqe, s) do {							\
	uint32_t _s = (cqe).status;					\
	if (_s != (uint32_t)(s))					\
		T_FAIL("status %s, expected %s (%s)", stname(_s),	\
		       stname(s), #cqe);				\
} while (0)

/* a COPY that must work: the queue survived what came before */
static inline void alive(struct ctx *c)
{
	uint8_t *s = buf(c, 100), *d = buf(c, 100);

	t_fill_random(s, 100, c->ud);
	ST(op(c, WD_SOFT_OP_COPY, 0, s, 100, d, 100), WD_SOFT_S_OK);
	T_ASSERT(!memcmp(s, d, 100));
	T_ASSERT(!(t_q_status(&c->q) & WD_SOFT_ST_BROKEN));
}

#endif
