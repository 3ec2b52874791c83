// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wd_soft_ops.c: the operations of the engine core (wd_soft_core.c
 * dispatches to them through wd_soft_core_ops[]): nop, copy, the digests
 * (crc32c, sha256), and compression and decompression as raw deflate,
 * zlib or gzip, with the gzip framing (RFC 1952) done here around the
 * host's raw deflate. Request memory is reached through wd_soft_buf.c.
 */
#include "wd_soft_core.h"
#include "wd_soft_core_priv.h"

void wd_soft_core_gzip_hdr(u8 *h, u32 level)
{
	memset(h, 0, WD_SOFT_GZ_HDR_SIZE);
	h[0] = WD_SOFT_GZ_ID1;
	h[1] = WD_SOFT_GZ_ID2;
	h[2] = WD_SOFT_GZ_CM_DEFLATE;
	/* FLG 0, MTIME 0; XFL: 2 slowest, 4 fastest */
	h[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
	h[9] = WD_SOFT_GZ_OS_UNIX;
}

static u32 wd_soft_core_op_nop(struct wd_soft_core_ctx *ctx,
			       const struct wd_soft_sqe *sqe, u32 *out_len)
{
	(void)ctx;
	(void)out_len;
	return sqe->params ? WD_SOFT_S_INVAL : WD_SOFT_S_OK;
}

/*
 * The source's bytes, in order, to the start of the destination; flat or
 * SGL on either side. Overlapping buffers give an undefined result.
 */
static u32 wd_soft_core_op_copy(struct wd_soft_core_ctx *ctx,
				const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_buf src, dst;
	u8 *bounce = ctx->eng->in;
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
		ret = wd_soft_core_buf_read(ctx, &src, bounce, n);
		if (ret)
			return ret;
		ret = wd_soft_core_buf_write(ctx, &dst, bounce, n);
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

static u32 wd_soft_core_errno(int err)
{
	return err == -EBADMSG ? WD_SOFT_S_CORRUPT : WD_SOFT_S_DEV_ERR;
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
	u8 *bounce = ctx->eng->in;
	u32 crc = sqe->params;
	u8 res[WD_SOFT_CORE_CRC32C_SIZE];
	u32 left, n, ret;
	int err;

	ret = wd_soft_core_digest_bufs(ctx, sqe, &src, &dst, sizeof(res),
				       out_len);
	if (ret)
		return ret;
	for (left = (u32)src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CORE_CHUNK);
		ret = wd_soft_core_buf_read(ctx, &src, bounce, n);
		if (ret)
			return ret;
		err = wd_soft_host_crc32c(ctx->eng->alg, &crc, bounce, n);
		if (err)
			return WD_SOFT_S_DEV_ERR;
		if (left > n) {
			ret = wd_soft_core_yield(ctx);
			if (ret)
				return ret;
		}
	}
	put_unaligned_le32(crc, res);
	ret = wd_soft_core_buf_write(ctx, &dst, res, sizeof(res));
	if (ret)
		return ret;
	*out_len = sizeof(res);
	return WD_SOFT_S_OK;
}

static u32 wd_soft_core_op_sha256(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_sqe *sqe, u32 *out_len)
{
	struct wd_soft_core_buf src, dst;
	u8 *bounce = ctx->eng->in;
	u8 digest[WD_SOFT_CORE_SHA256_SIZE];
	u32 left, n, ret;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_core_digest_bufs(ctx, sqe, &src, &dst, sizeof(digest),
				       out_len);
	if (ret)
		return ret;
	if (wd_soft_host_sha256_init(ctx->eng->alg))
		return WD_SOFT_S_DEV_ERR;
	for (left = (u32)src.len; left; left -= n) {
		n = min_t(u32, left, WD_SOFT_CORE_CHUNK);
		ret = wd_soft_core_buf_read(ctx, &src, bounce, n);
		if (ret)
			return ret;
		if (wd_soft_host_sha256_update(ctx->eng->alg, bounce, n))
			return WD_SOFT_S_DEV_ERR;
		if (left > n) {
			ret = wd_soft_core_yield(ctx);
			if (ret)
				return ret;
		}
	}
	if (wd_soft_host_sha256_final(ctx->eng->alg, digest))
		return WD_SOFT_S_DEV_ERR;
	ret = wd_soft_core_buf_write(ctx, &dst, digest, sizeof(digest));
	if (ret)
		return ret;
	*out_len = sizeof(digest);
	return WD_SOFT_S_OK;
}

/*
 * Compression: the whole source becomes one stream (raw deflate, zlib, or
 * a gzip member: header, raw deflate, CRC-32 and ISIZE).
 */
static u32 wd_soft_core_compress(struct wd_soft_core_ctx *ctx,
				 const struct wd_soft_sqe *sqe, u32 *out_len,
				 enum wd_soft_zwrap wrap, bool gzip)
{
	struct wd_soft_core_buf src, dst;
	struct wd_soft_core_out out;
	struct wd_soft_core_in in;
	struct wd_soft_zstream zs;
	u32 level = sqe->params, ret, crc = 0, room;
	u8 frame[WD_SOFT_GZ_HDR_SIZE];
	bool finish, progress;
	int err;

	if (level > 9)
		return WD_SOFT_S_INVAL;
	if (!level)
		level = WD_SOFT_CORE_DEF_LEVEL;
	ret = wd_soft_core_bufs(ctx, sqe, &src, &dst);
	if (ret)
		return ret;
	wd_soft_core_in_init(ctx, &in, &src);
	wd_soft_core_out_init(ctx, &out, &dst);

	if (gzip) {
		wd_soft_core_gzip_hdr(frame, level);
		ret = wd_soft_core_out_put(ctx, &out, frame, WD_SOFT_GZ_HDR_SIZE);
		if (ret)
			return ret;
	}

	err = wd_soft_host_zinit(ctx->eng->alg, WD_SOFT_ZDEFLATE, wrap, (int)level);
	if (err)
		return WD_SOFT_S_DEV_ERR;
	for (;;) {
		if (in.pos == in.end) {
			ret = wd_soft_core_in_fill(ctx, &in);
			if (ret)
				break;
			if (gzip && in.pos < in.end)
				crc = wd_soft_host_crc32(crc, in.buf, in.end);
		}
		finish = src.pos == src.len;
		room = WD_SOFT_CORE_CHUNK - out.len;
		zs.next_in = in.buf + in.pos;
		zs.avail_in = in.end - in.pos;
		zs.next_out = out.buf + out.len;
		zs.avail_out = room;
		err = wd_soft_host_zrun(ctx->eng->alg, &zs,
					finish ? WD_SOFT_Z_FINISH : WD_SOFT_Z_NO_FLUSH);
		progress = zs.avail_in != in.end - in.pos ||
			   zs.avail_out != room;
		in.pos = in.end - zs.avail_in;
		out.len += room - zs.avail_out;
		out.total += room - zs.avail_out;
		if (err < 0) {
			ret = WD_SOFT_S_DEV_ERR;
			break;
		}
		if (err == 1) {
			ret = WD_SOFT_S_OK;
			break;
		}
		if (!zs.avail_out) {
			ret = wd_soft_core_out_flush(ctx, &out, false);
			if (ret)
				break;
			continue;
		}
		/* input left, or all given with finish: it must move */
		if (!progress && (zs.avail_in || finish)) {
			ret = WD_SOFT_S_DEV_ERR;
			break;
		}
	}
	wd_soft_host_zend(ctx->eng->alg);
	if (ret)
		return ret;

	if (gzip) {
		put_unaligned_le32(crc, frame);
		put_unaligned_le32((u32)src.len, frame + 4);
		ret = wd_soft_core_out_put(ctx, &out, frame, WD_SOFT_GZ_TRAILER_SIZE);
		if (ret)
			return ret;
	}
	return wd_soft_core_out_end(ctx, &out, out_len);
}

/*
 * Decompress one stream from the source's current position: up to its end
 * (which the backend recognises), producing into @out. For gzip, *@crc
 * accumulates the CRC-32 of the output (else @crc is NULL) and *@size its
 * length.
 */
static u32 wd_soft_core_inflate_stream(struct wd_soft_core_ctx *ctx,
				       struct wd_soft_core_in *in,
				       struct wd_soft_core_out *out,
				       enum wd_soft_zwrap wrap, u32 *crc,
				       u64 *size)
{
	struct wd_soft_zstream zs;
	u32 ret, room, produced;
	bool progress;
	int err;

	err = wd_soft_host_zinit(ctx->eng->alg, WD_SOFT_ZINFLATE, wrap, 0);
	if (err)
		return WD_SOFT_S_DEV_ERR;
	for (;;) {
		ret = wd_soft_core_in_fill(ctx, in);
		if (ret)
			break;
		room = WD_SOFT_CORE_CHUNK - out->len;
		zs.next_in = in->buf + in->pos;
		zs.avail_in = in->end - in->pos;
		zs.next_out = out->buf + out->len;
		zs.avail_out = room;
		err = wd_soft_host_zrun(ctx->eng->alg, &zs, WD_SOFT_Z_NO_FLUSH);
		produced = room - zs.avail_out;
		progress = zs.avail_in != in->end - in->pos || produced;
		if (crc && produced)
			*crc = wd_soft_host_crc32(*crc, out->buf + out->len,
						  produced);
		in->pos = in->end - zs.avail_in;
		out->len += produced;
		out->total += produced;
		*size += produced;
		if (err < 0) {
			ret = wd_soft_core_errno(err);
			break;
		}
		if (err == 1) {
			ret = WD_SOFT_S_OK;
			break;
		}
		if (!zs.avail_out) {
			ret = wd_soft_core_out_flush(ctx, out, false);
			if (ret)
				break;
			continue;
		}
		if (!progress) {
			/* all input given, room left, no end: truncated */
			ret = wd_soft_core_in_eof(in) ? WD_SOFT_S_CORRUPT :
							WD_SOFT_S_DEV_ERR;
			break;
		}
	}
	wd_soft_host_zend(ctx->eng->alg);
	return ret;
}

/* A gzip member header; anything unexpected is CORRUPT. */
static u32 wd_soft_core_gzip_header(struct wd_soft_core_ctx *ctx,
				    struct wd_soft_core_in *in)
{
	u8 hdr[WD_SOFT_GZ_HDR_SIZE], b, flg;
	u32 ret, hcrc, i, xlen;
	int field;

	for (i = 0; i < WD_SOFT_GZ_HDR_SIZE; i++) {
		ret = wd_soft_core_in_byte(ctx, in, &hdr[i]);
		if (ret)
			return ret;
	}
	flg = hdr[3];
	if (hdr[0] != WD_SOFT_GZ_ID1 || hdr[1] != WD_SOFT_GZ_ID2 || hdr[2] != WD_SOFT_GZ_CM_DEFLATE ||
	    (flg & WD_SOFT_GZ_FRESERVED))
		return WD_SOFT_S_CORRUPT;
	hcrc = wd_soft_host_crc32(0, hdr, WD_SOFT_GZ_HDR_SIZE);

	if (flg & WD_SOFT_GZ_FEXTRA) {
		xlen = 0;
		for (i = 0; i < 2; i++) {
			ret = wd_soft_core_in_byte(ctx, in, &b);
			if (ret)
				return ret;
			hcrc = wd_soft_host_crc32(hcrc, &b, 1);
			xlen |= (u32)b << (8 * i);
		}
		while (xlen--) {
			ret = wd_soft_core_in_byte(ctx, in, &b);
			if (ret)
				return ret;
			hcrc = wd_soft_host_crc32(hcrc, &b, 1);
		}
	}
	/* FNAME, then FCOMMENT: zero-terminated */
	for (field = 0; field < 2; field++) {
		if (!(flg & (field ? WD_SOFT_GZ_FCOMMENT : WD_SOFT_GZ_FNAME)))
			continue;
		do {
			ret = wd_soft_core_in_byte(ctx, in, &b);
			if (ret)
				return ret;
			hcrc = wd_soft_host_crc32(hcrc, &b, 1);
		} while (b);
	}
	if (flg & WD_SOFT_GZ_FHCRC) {
		u8 c[2];

		for (i = 0; i < 2; i++) {
			ret = wd_soft_core_in_byte(ctx, in, &c[i]);
			if (ret)
				return ret;
		}
		if (get_unaligned_le16(c) != (u16)hcrc)
			return WD_SOFT_S_CORRUPT;
	}
	return WD_SOFT_S_OK;
}

/*
 * The ISIZE a gzip source claims in its last four bytes: the size needed
 * when the source is one member. Only a hint (*@hint 0: none) for
 * DST_SMALL; the status is DST_SMALL, or HELD when the read must wait.
 */
static u32 wd_soft_core_gzip_isize(struct wd_soft_core_ctx *ctx,
				   const struct wd_soft_core_buf *src,
				   const struct wd_soft_core_out *out,
				   u32 *hint)
{
	u8 isize[4];
	u32 v, ret;

	*hint = 0;
	if (src->len < WD_SOFT_GZ_HDR_SIZE + WD_SOFT_GZ_TRAILER_SIZE)
		return WD_SOFT_S_DST_SMALL;
	ret = wd_soft_core_buf_pread(ctx, src, src->len - 4, isize, 4);
	if (ret == WD_SOFT_CORE_S_HELD)
		return ret;
	if (!ret) {
		v = get_unaligned_le32(isize);
		*hint = v > out->cap ? v : 0;
	}
	return WD_SOFT_S_DST_SMALL;
}

/*
 * Decompression: the source is exactly one stream (raw deflate, zlib) or
 * one or more gzip members; anything after that is CORRUPT, so is a
 * truncated stream or a wrong check value.
 */
static u32 wd_soft_core_decompress(struct wd_soft_core_ctx *ctx,
				   const struct wd_soft_sqe *sqe, u32 *out_len,
				   enum wd_soft_zwrap wrap, bool gzip)
{
	struct wd_soft_core_buf src, dst;
	struct wd_soft_core_out out;
	struct wd_soft_core_in in;
	u32 ret, crc, i, members = 0;
	u8 trailer[WD_SOFT_GZ_TRAILER_SIZE];
	u64 size = 0;

	if (sqe->params)
		return WD_SOFT_S_INVAL;
	ret = wd_soft_core_bufs(ctx, sqe, &src, &dst);
	if (ret)
		return ret;
	wd_soft_core_in_init(ctx, &in, &src);
	wd_soft_core_out_init(ctx, &out, &dst);

	if (!gzip) {
		ret = wd_soft_core_inflate_stream(ctx, &in, &out, wrap, NULL,
						  &size);
		if (!ret && !wd_soft_core_in_eof(&in))
			ret = WD_SOFT_S_CORRUPT;
	} else {
		do {
			ret = wd_soft_core_gzip_header(ctx, &in);
			if (ret)
				break;
			crc = 0;
			size = 0;
			ret = wd_soft_core_inflate_stream(ctx, &in, &out,
							  WD_SOFT_ZRAW, &crc,
							  &size);
			if (ret)
				break;
			for (i = 0; i < WD_SOFT_GZ_TRAILER_SIZE; i++) {
				ret = wd_soft_core_in_byte(ctx, &in,
							   &trailer[i]);
				if (ret)
					break;
			}
			if (ret)
				break;
			if (get_unaligned_le32(trailer) != crc ||
			    get_unaligned_le32(trailer + 4) != (u32)size) {
				ret = WD_SOFT_S_CORRUPT;
				break;
			}
			members++;
			ret = wd_soft_core_in_fill(ctx, &in);
		} while (!ret && !wd_soft_core_in_eof(&in));
	}
	if (!ret)
		return wd_soft_core_out_end(ctx, &out, out_len);
	if (ret == WD_SOFT_S_DST_SMALL && gzip && !members)
		ret = wd_soft_core_gzip_isize(ctx, &src, &out, out_len);
	return ret;
}

static u32 wd_soft_core_op_deflate(struct wd_soft_core_ctx *ctx,
				   const struct wd_soft_sqe *sqe, u32 *out_len)
{
	return wd_soft_core_compress(ctx, sqe, out_len, WD_SOFT_ZRAW, false);
}

static u32 wd_soft_core_op_inflate(struct wd_soft_core_ctx *ctx,
				   const struct wd_soft_sqe *sqe, u32 *out_len)
{
	return wd_soft_core_decompress(ctx, sqe, out_len, WD_SOFT_ZRAW, false);
}

static u32 wd_soft_core_op_zlib_comp(struct wd_soft_core_ctx *ctx,
				     const struct wd_soft_sqe *sqe,
				     u32 *out_len)
{
	return wd_soft_core_compress(ctx, sqe, out_len, WD_SOFT_ZLIB, false);
}

static u32 wd_soft_core_op_zlib_decomp(struct wd_soft_core_ctx *ctx,
				       const struct wd_soft_sqe *sqe,
				       u32 *out_len)
{
	return wd_soft_core_decompress(ctx, sqe, out_len, WD_SOFT_ZLIB, false);
}

static u32 wd_soft_core_op_gzip_comp(struct wd_soft_core_ctx *ctx,
				     const struct wd_soft_sqe *sqe,
				     u32 *out_len)
{
	return wd_soft_core_compress(ctx, sqe, out_len, WD_SOFT_ZRAW, true);
}

static u32 wd_soft_core_op_gzip_decomp(struct wd_soft_core_ctx *ctx,
				       const struct wd_soft_sqe *sqe,
				       u32 *out_len)
{
	return wd_soft_core_decompress(ctx, sqe, out_len, WD_SOFT_ZRAW, true);
}

const wd_soft_core_op_fn wd_soft_core_ops[WD_SOFT_OP_MAX] = {
	[WD_SOFT_OP_NOP]		= wd_soft_core_op_nop,
	[WD_SOFT_OP_COPY]		= wd_soft_core_op_copy,
	[WD_SOFT_OP_CRC32C]		= wd_soft_core_op_crc32c,
	[WD_SOFT_OP_SHA256]		= wd_soft_core_op_sha256,
	[WD_SOFT_OP_DEFLATE]		= wd_soft_core_op_deflate,
	[WD_SOFT_OP_INFLATE]		= wd_soft_core_op_inflate,
	[WD_SOFT_OP_ZLIB_COMP]		= wd_soft_core_op_zlib_comp,
	[WD_SOFT_OP_ZLIB_DECOMP]	= wd_soft_core_op_zlib_decomp,
	[WD_SOFT_OP_GZIP_COMP]		= wd_soft_core_op_gzip_comp,
	[WD_SOFT_OP_GZIP_DECOMP]	= wd_soft_core_op_gzip_decomp,
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
