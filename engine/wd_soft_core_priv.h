/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * wd_soft_core_priv.h: what the engine core's sources (sources.mk) share
 * among themselves; not part of the interface to the hosts, which is
 * wd_soft_core.h. Included after it.
 *
 * wd_soft_buf.c: request memory (buffers, source reader, output writer);
 * wd_soft_ops.c: the operations, dispatched by wd_soft_core_exec()
 * (wd_soft_core.c) through wd_soft_core_ops[].
 */
#ifndef _WD_SOFT_CORE_PRIV_H
#define _WD_SOFT_CORE_PRIV_H

/*
 * A request's source or destination: one piece (flat) or a scatter-gather
 * list of pieces, itself at a device address, copied into the engine once
 * and walked from that copy.
 */
struct wd_soft_core_buf {
	const struct wd_soft_sge *sge;	/* the pieces: the SGL copy, or &flat */
	struct wd_soft_sge flat;
	u32 nents;
	u32 idx;			/* piece of the next byte */
	u32 off;			/* offset of the next byte in it */
	u64 len;			/* total bytes */
	u64 pos;			/* bytes walked */
};

/*
 * Source reader: the source moves through the engine's input buffer one
 * chunk at a time; @pos..@end is what is left of the current chunk.
 */
struct wd_soft_core_in {
	struct wd_soft_core_buf *src;
	u8 *buf;
	u32 pos;
	u32 end;
	bool started;
};

/*
 * Output writer: output collects in the engine's output buffer (@len bytes
 * pending) and goes to the destination when it is full and at the end.
 * @cap is what the destination can take (out_len is 32 bits).
 */
struct wd_soft_core_out {
	struct wd_soft_core_buf *dst;
	u8 *buf;
	u32 len;
	u64 cap;
	u64 total;
};

/* wd_soft_buf.c */
u32 wd_soft_core_yield(struct wd_soft_core_ctx *ctx);
u32 wd_soft_core_bufs(struct wd_soft_core_ctx *ctx,
		      const struct wd_soft_sqe *sqe,
		      struct wd_soft_core_buf *src,
		      struct wd_soft_core_buf *dst);
u32 wd_soft_core_buf_read(struct wd_soft_core_ctx *ctx,
			  struct wd_soft_core_buf *buf, void *data,
			  u32 len);
u32 wd_soft_core_buf_write(struct wd_soft_core_ctx *ctx,
			   struct wd_soft_core_buf *buf,
			   const void *data, u32 len);
u32 wd_soft_core_buf_pread(struct wd_soft_core_ctx *ctx,
			   const struct wd_soft_core_buf *buf, u64 off,
			   void *data, u32 len);
void wd_soft_core_in_init(struct wd_soft_core_ctx *ctx,
			  struct wd_soft_core_in *in,
			  struct wd_soft_core_buf *src);
bool wd_soft_core_in_eof(const struct wd_soft_core_in *in);
u32 wd_soft_core_in_fill(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_in *in);
u32 wd_soft_core_in_byte(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_in *in, u8 *byte);
void wd_soft_core_out_init(struct wd_soft_core_ctx *ctx,
			   struct wd_soft_core_out *out,
			   struct wd_soft_core_buf *dst);
u32 wd_soft_core_out_flush(struct wd_soft_core_ctx *ctx,
			   struct wd_soft_core_out *out, bool last);
u32 wd_soft_core_out_end(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_out *out, u32 *out_len);
u32 wd_soft_core_out_put(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_out *out, const u8 *data,
			 u32 len);

/* wd_soft_ops.c: an operation, indexed by enum wd_soft_op (wd_soft.h) */
typedef u32 (*wd_soft_core_op_fn)(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_sqe *sqe, u32 *out_len);

extern const wd_soft_core_op_fn wd_soft_core_ops[WD_SOFT_OP_MAX];

#endif /* _WD_SOFT_CORE_PRIV_H */
