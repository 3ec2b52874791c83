// SPDX-License-Identifier: GPL-2.0
/*
 * wd_soft: the operations an engine executes.
 *
 * wd_soft_exec() checks the descriptor (a snapshot the engine took), runs
 * the operation and returns the completion status. Data moves through the
 * engine's bounce buffer, WD_SOFT_CHUNK bytes at a time, with a chance to
 * reschedule (and to notice a stopping queue) between chunks. WD_SOFT_ALGS
 * (wd_soft.h) names the algorithms implemented here.
 */
#include <linux/minmax.h>

#include "wd_soft.h"

/* SQE flags this version knows */
#define WD_SOFT_SQE_F_SUPPORTED	(WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL)

static u32 wd_soft_op_nop(struct wd_soft_ctx *ctx,
			  const struct wd_soft_sqe *sqe, u32 *out_len)
{
	return sqe->params ? WD_SOFT_S_INVAL : WD_SOFT_S_OK;
}

/*
 * The source's bytes, in order, to the start of the destination; flat or
 * SGL on either side. Overlapping buffers give an undefined result.
 */
static u32 wd_soft_op_copy(struct wd_soft_ctx *ctx,
			   const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_buf src, dst;
	u32 left, n, ret;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_buf_init(ctx, &src, WD_SOFT_BUF_SRC, sqe);
	if (ret)
		return ret;
	if (src.len > WD_SOFT_MAX_REQ_LEN)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_buf_init(ctx, &dst, WD_SOFT_BUF_DST, sqe);
	if (ret)
		return ret;
	if (dst.len < src.len) {
		*out_len = src.len;
		return WD_SOFT_S_DST_SMALL;
	}

	for (left = src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CHUNK);
		ret = wd_soft_buf_read(ctx, &src, ctx->bounce, n);
		if (ret)
			return ret;
		ret = wd_soft_buf_write(ctx, &dst, ctx->bounce, n);
		if (ret)
			return ret;
		if (left > n) {
			ret = wd_soft_ctx_yield(ctx);
			if (ret)
				return ret;
		}
	}
	*out_len = src.len;
	return WD_SOFT_S_OK;
}

typedef u32 (*wd_soft_op_fn)(struct wd_soft_ctx *ctx,
			     const struct wd_soft_sqe *sqe, u32 *out_len);

static const wd_soft_op_fn wd_soft_ops[WD_SOFT_OP_MAX] = {
	[WD_SOFT_OP_NOP]	= wd_soft_op_nop,
	[WD_SOFT_OP_COPY]	= wd_soft_op_copy,
};

/**
 * wd_soft_exec() - execute one request
 * @ctx: the batch's context
 * @sqe: the request, a private copy
 * @out_len: set to the CQE's out_len
 *
 * Checked in this order: flags and reserved fields (WD_SOFT_S_INVAL), then
 * the operation (WD_SOFT_S_BAD_OP), then the operation's own checks.
 * NOP and COPY take no params: params must be 0 (WD_SOFT_S_INVAL).
 *
 * Return: the completion status, WD_SOFT_S_*.
 */
u32 wd_soft_exec(struct wd_soft_ctx *ctx, const struct wd_soft_sqe *sqe,
		 u32 *out_len)
{
	wd_soft_op_fn fn;

	*out_len = 0;
	if (sqe->flags & ~WD_SOFT_SQE_F_SUPPORTED)
		return WD_SOFT_S_INVAL;
	if (sqe->rsvd[0] || sqe->rsvd[1] || sqe->rsvd[2])
		return WD_SOFT_S_INVAL;

	fn = sqe->op < WD_SOFT_OP_MAX ? wd_soft_ops[sqe->op] : NULL;
	if (!fn)
		return WD_SOFT_S_BAD_OP;
	return fn(ctx, sqe, out_len);
}
