// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wd_soft_ops.c: the operations of the engine core (wd_soft_core.c
 * dispatches to them through wd_soft_core_ops[]): nop, copy, the digests
 * (crc32c, sha256). Compression and decompression (raw deflate, zlib,
 * gzip) are streams that end in one request: wd_soft_stream.c. Request
 * memory is reached through wd_soft_buf.c: in place where the host maps
 * it, piece by piece, else through the engine's bounce buffer; either
 * way at most WD_SOFT_CORE_CHUNK bytes of work between two yields.
 */
#include "wd_soft_core.h"
#include "wd_soft_core_priv.h"

static u32 wd_soft_core_op_nop(struct wd_soft_core_ctx *ctx,
			       const struct wd_soft_sqe *sqe, u32 *out_len)
{
	(void)ctx;
	(void)out_len;
	return sqe->params ? WD_SOFT_S_INVAL : WD_SOFT_S_OK;
}

/*
 * One chunk (@len bytes) of a copy: each piece of the source in place or
 * read into the engine's bounce buffer, then to the destination, in place or written.
 */
static u32 wd_soft_core_copy_chunk(struct wd_soft_core_ctx *ctx,
				   struct wd_soft_core_buf *src,
				   struct wd_soft_core_buf *dst, u32 len)
{
	const void *p;
	u32 n, ret;

	for (; len; len -= n) {
		ret = wd_soft_core_buf_get(ctx, src, len, ctx->eng->in, &p, &n);
		if (ret)
			return ret;
		ret = wd_soft_core_buf_put(ctx, dst, p, n);
		if (ret)
			return ret;
	}
	return WD_SOFT_S_OK;
}

/*
 * The source's bytes, in order, to the start of the destination; flat or
 * SGL on either side. Overlapping buffers give an undefined result.
 */
static u32 wd_soft_core_op_copy(struct wd_soft_core_ctx *ctx,
				const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_buf src, dst;
	u32 left, n, ret;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_core_bufs(ctx, sqe, &src, &dst);
	if (ret)
		return ret;
	if (dst.len < src.len) {
		*out_len = (u32)src.len;
		return WD_SOFT_S_DST_SMALL;
	}

	for (left = (u32)src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CORE_CHUNK);
		ret = wd_soft_core_copy_chunk(ctx, &src, &dst, n);
		if (ret)
			return ret;
		if (left > n) {
			ret = wd_soft_core_yield(ctx);
			if (ret)
				return ret;
		}
	}
	*out_len = (u32)src.len;
	return WD_SOFT_S_OK;
}

/*
 * The digests: params checked, source read, destination at least @size
 * bytes (else DST_SMALL with out_len @size, no data read), then the source
 * goes through the backend chunk by chunk and the result to the
 * destination.
 */
static u32 wd_soft_core_digest_bufs(struct wd_soft_core_ctx *ctx,
				    const struct wd_soft_sqe *sqe,
				    struct wd_soft_core_buf *src,
				    struct wd_soft_core_buf *dst, u32 size,
				    u32 *out_len)
{
	u32 ret = wd_soft_core_bufs(ctx, sqe, src, dst);

	if (ret)
		return ret;
	if (dst->len < size) {
		*out_len = size;
		return WD_SOFT_S_DST_SMALL;
	}
	return WD_SOFT_S_OK;
}

static u32 wd_soft_core_op_crc32c(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_buf src, dst;
	u32 crc = sqe->params;
	u8 res[WD_SOFT_CORE_CRC32C_SIZE];
	u32 left, n, ret, len, m;
	const void *p;

	ret = wd_soft_core_digest_bufs(ctx, sqe, &src, &dst, sizeof(res),
				       out_len);
	if (ret)
		return ret;
	for (left = (u32)src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CORE_CHUNK);
		for (len = n; len; len -= m) {
			ret = wd_soft_core_buf_get(ctx, &src, len, ctx->eng->in,
						   &p, &m);
			if (ret)
				return ret;
			if (wd_soft_host_crc32c(ctx->eng->alg, &crc, p, m))
				return WD_SOFT_S_DEV_ERR;
		}
		if (left > n) {
			ret = wd_soft_core_yield(ctx);
			if (ret)
				return ret;
		}
	}
	put_unaligned_le32(crc, res);
	ret = wd_soft_core_buf_put(ctx, &dst, res, sizeof(res));
	if (ret)
		return ret;
	*out_len = sizeof(res);
	return WD_SOFT_S_OK;
}

/*
 * Without F_STATE, a whole digest. With it (wd_soft.h, WD_SOFT_SQE_F_STATE;
 * the checks of the SQE's fields are wd_soft_core_exec()'s), the state in
 * memory is read once into @st, first, and imported; then the source;
 * NO_FLUSH exports it and writes it back, FINISH writes the digest to the
 * destination and leaves the state alone. Request memory is written once,
 * at the end, by one call: a request held for a page (WD_SOFT_CORE_S_HELD)
 * runs again from its start on the same state, and a failure before the
 * write leaves the state as it was. The state never spans two pages
 * (128-byte alignment), so its write is all or nothing.
 */
static u32 wd_soft_core_op_sha256(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_sqe *sqe, u32 *out_len)
{
	bool has_state = sqe->flags & WD_SOFT_SQE_F_STATE;
	bool update = has_state && sqe->sflags == WD_SOFT_SF_NO_FLUSH;
	struct wd_soft_host_alg *alg = ctx->eng->alg;
	struct wd_soft_sha256_state st;
	struct wd_soft_core_buf src, dst;
	u8 digest[WD_SOFT_CORE_SHA256_SIZE];
	u32 left, n, ret, part, len, m;
	const void *p;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	if (has_state) {
		ret = wd_soft_core_flat_access(ctx, sqe->state, &st,
					       sizeof(st), false);
		if (ret)
			return ret;
	}
	if (update)	/* no destination: nothing to be too small */
		ret = wd_soft_core_bufs(ctx, sqe, &src, &dst);
	else
		ret = wd_soft_core_digest_bufs(ctx, sqe, &src, &dst,
					       sizeof(digest), out_len);
	if (ret)
		return ret;
	if (has_state ? wd_soft_host_sha256_import(alg, &st) :
			wd_soft_host_sha256_init(alg))
		return WD_SOFT_S_DEV_ERR;
	for (left = (u32)src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CORE_CHUNK);
		for (len = n; len; len -= m) {
			ret = wd_soft_core_buf_get(ctx, &src, len, ctx->eng->in,
						   &p, &m);
			if (ret)
				return ret;
			if (wd_soft_host_sha256_update(alg, p, m))
				return WD_SOFT_S_DEV_ERR;
		}
		if (left > n) {
			ret = wd_soft_core_yield(ctx);
			if (ret)
				return ret;
		}
	}
	if (update) {
		if (wd_soft_host_sha256_export(alg, &st))
			return WD_SOFT_S_DEV_ERR;
		/* the bytes after the partial block mean nothing: one value
		 * for every host, none of them left over from the backend
		 */
		part = (u32)(st.count % sizeof(st.buf));
		memset(st.buf + part, 0, sizeof(st.buf) - part);
		ret = wd_soft_core_flat_access(ctx, sqe->state, &st,
					       sizeof(st), true);
		if (ret)
			return ret;
		*out_len = 0;
		return WD_SOFT_S_OK;
	}
	if (wd_soft_host_sha256_final(alg, digest))
		return WD_SOFT_S_DEV_ERR;
	ret = wd_soft_core_buf_put(ctx, &dst, digest, sizeof(digest));
	if (ret)
		return ret;
	*out_len = sizeof(digest);
	return WD_SOFT_S_OK;
}

const wd_soft_core_op_fn wd_soft_core_ops[WD_SOFT_OP_MAX] = {
	[WD_SOFT_OP_NOP]		= wd_soft_core_op_nop,
	[WD_SOFT_OP_COPY]		= wd_soft_core_op_copy,
	[WD_SOFT_OP_CRC32C]		= wd_soft_core_op_crc32c,
	[WD_SOFT_OP_SHA256]		= wd_soft_core_op_sha256,
	[WD_SOFT_OP_DEFLATE]		= wd_soft_core_op_comp,
	[WD_SOFT_OP_INFLATE]		= wd_soft_core_op_decomp,
	[WD_SOFT_OP_ZLIB_COMP]		= wd_soft_core_op_comp,
	[WD_SOFT_OP_ZLIB_DECOMP]	= wd_soft_core_op_decomp,
	[WD_SOFT_OP_GZIP_COMP]		= wd_soft_core_op_comp,
	[WD_SOFT_OP_GZIP_DECOMP]	= wd_soft_core_op_decomp,
};

int wd_soft_core_zret(int zret)
{
	switch (zret) {
	case WD_SOFT_Z_OK:
	case WD_SOFT_Z_BUF_ERROR:
		return 0;
	case WD_SOFT_Z_STREAM_END:
		return 1;
	case WD_SOFT_Z_DATA_ERROR:
	case WD_SOFT_Z_NEED_DICT:
		return -EBADMSG;
	default:
		return -EIO;
	}
}
