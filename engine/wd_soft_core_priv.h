/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * wd_soft_core_priv.h: what the engine core's sources (sources.mk) share
 * among themselves; not part of the interface to the hosts, which is
 * wd_soft_core.h. Included after it.
 *
 * wd_soft_buf.c: request memory (buffers, flat or scatter-gather);
 * wd_soft_ops.c: the operations, dispatched by wd_soft_core_exec()
 * (wd_soft_core.c) through wd_soft_core_ops[]; wd_soft_stream.c: stream
 * contexts, and compression and decompression with or without one.
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

/* Back to the buffer's first byte. */
static inline void wd_soft_core_buf_rewind(struct wd_soft_core_buf *buf)
{
	buf->idx = 0;
	buf->off = 0;
	buf->pos = 0;
}

/* wd_soft_buf.c */
/*
 * Give back what this request mapped (wd_soft_core_map()), if anything:
 * before its CQE, at each yield, and before a path that reaches the same
 * bytes another way (a host's mapping need not be coherent with its copy).
 */
void wd_soft_core_unmap(struct wd_soft_core_ctx *ctx);
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
u32 wd_soft_core_flat_access(struct wd_soft_core_ctx *ctx, u64 addr,
			     void *data, u32 len, bool write);
u32 wd_soft_core_buf_pread(struct wd_soft_core_ctx *ctx,
			   const struct wd_soft_core_buf *buf, u64 off,
			   void *data, u32 len);
/*
 * In place: the core's only way to wd_soft_host_map(), so that every
 * request that mapped something ends with wd_soft_host_unmap()
 * (wd_soft_core_exec() sees ctx->mapped). wd_soft_core_map(): @len bytes
 * at @addr, *@n of them (0..@len) reached at *@p, 0 meaning "copy them".
 * wd_soft_core_buf_map(): the next up-to-@len bytes of @buf in place, *@n
 * of them, advancing @buf; *@n == 0 means "use buf_read/buf_write for this
 * piece" (wd_soft_core_buf_piece() bytes). All return a status, as
 * buf_read/buf_write.
 */
u32 wd_soft_core_map(struct wd_soft_core_ctx *ctx, u64 addr, u32 len,
		     bool write, void **p, u32 *n);
u32 wd_soft_core_buf_map(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_buf *buf, u32 len, bool write,
			 void **p, u32 *n);
/*
 * The next up-to-@len (1..WD_SOFT_CORE_CHUNK) bytes of source @buf: in
 * place, or read into @bounce; *@p and *@n (>= 1) say where and how many.
 */
u32 wd_soft_core_buf_get(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_buf *buf, u32 len, void *bounce,
			 const void **p, u32 *n);
/* @len bytes at @data to destination @buf: in place where it maps */
u32 wd_soft_core_buf_put(struct wd_soft_core_ctx *ctx,
			 struct wd_soft_core_buf *buf, const void *data,
			 u32 len);

/*
 * After wd_soft_core_buf_map() answered *n == 0: the bytes of the piece it
 * stopped at, up to @len (that piece is not empty).
 */
static inline u32 wd_soft_core_buf_piece(const struct wd_soft_core_buf *buf,
					 u32 len)
{
	return min(len, buf->sge[buf->idx].len - buf->off);
}

/* gzip (RFC 1952) */
#define WD_SOFT_GZ_ID1		0x1f
#define WD_SOFT_GZ_ID2		0x8b
#define WD_SOFT_GZ_CM_DEFLATE	8
#define WD_SOFT_GZ_FTEXT	0x01
#define WD_SOFT_GZ_FHCRC	0x02
#define WD_SOFT_GZ_FEXTRA	0x04
#define WD_SOFT_GZ_FNAME	0x08
#define WD_SOFT_GZ_FCOMMENT	0x10
#define WD_SOFT_GZ_FRESERVED	0xe0
#define WD_SOFT_GZ_OS_UNIX	3
#define WD_SOFT_GZ_HDR_SIZE	10
#define WD_SOFT_GZ_TRAILER_SIZE	8

/* the output a (de)compression context's backend produced and the
 * destination has not taken yet, with headers and trailers (a digest
 * context's is the digest's size)
 */
#define WD_SOFT_CORE_PEND	(32 * 1024)
/* deflate's window, and the most of a preset dictionary that matters */
#define WD_SOFT_CORE_WINDOW	(32 * 1024)

/*
 * One stream context (WD_SOFT_CMD_CTX), in memory of the device's host,
 * never mapped by the process. Reached by its queue's engine through
 * wd_soft_core_stream_get(), which takes a reference under q->ctx_lock;
 * freed when the last one goes (CLOSE, free_all, or the request using it).
 * Everything below @refs belongs to the engine running a request on it
 * (one at a time: a queue has one engine) or, before it is published, to
 * the opener.
 */
struct wd_soft_core_stream {
	u32 refs;			/* under q->ctx_lock */
	u32 id;				/* the number OPEN gave */
	u16 op;				/* enum wd_soft_op it serves */
	u8 level;			/* compression: 1..9 */
	u8 stage;			/* enum in wd_soft_stream.c */
	bool broken;			/* a request failed: BAD_CTX until RESET */
	bool hdr_done;			/* compression: header in @pend */
	bool zdone;			/* the backend ended its stream */
	bool zfull;			/* its last run filled its output */
	bool has_dict;			/* a preset dictionary was given */
	bool zlive;			/* zinit() done: zend() at free */
	u8 flg;				/* gzip header flags being parsed */
	u8 hlen;			/* bytes in @hbuf */
	u32 members;			/* gzip members decompressed whole */
	u32 hneed;			/* gzip: FEXTRA bytes still to skip */
	u32 hcrc;			/* gzip: CRC-32 of the header so far */
	u32 dict_id;			/* zlib: the dictionary's Adler-32 */
	u32 check;			/* CRC-32C register, gzip CRC-32, Adler-32 */
	u64 total;			/* uncompressed bytes so far (64-bit) */
	u64 total_in;			/* decompression: input consumed */
	u8 hbuf[16];			/* header or trailer bytes being parsed */
	u32 pend_off;			/* @pend[@pend_off..@pend_len) is due */
	u32 pend_len;
	size_t bytes;			/* counted in dev->ctx_bytes */
	struct wd_soft_host_alg *alg;	/* NULL for crc32c */
	u32 pend_cap;			/* bytes at @pend */
	u8 pend[];
};

/* wd_soft_stream.c */
u32 wd_soft_core_stream_exec(struct wd_soft_core_ctx *ctx,
			     const struct wd_soft_sqe *sqe,
			     struct wd_soft_cqe *res);
void wd_soft_core_stream_fail(struct wd_soft_core_queue *q, u32 id);
u32 wd_soft_core_adler32(u32 adler, const u8 *p, u32 len);
u32 wd_soft_core_buf_skip(struct wd_soft_core_buf *buf, u64 len);
/* the operations without a context: a stream in one request */
u32 wd_soft_core_op_comp(struct wd_soft_core_ctx *ctx,
			 const struct wd_soft_sqe *sqe, u32 *out_len);
u32 wd_soft_core_op_decomp(struct wd_soft_core_ctx *ctx,
			   const struct wd_soft_sqe *sqe, u32 *out_len);

/* wd_soft_ops.c: an operation, indexed by enum wd_soft_op (wd_soft.h) */
typedef u32 (*wd_soft_core_op_fn)(struct wd_soft_core_ctx *ctx,
				  const struct wd_soft_sqe *sqe, u32 *out_len);

extern const wd_soft_core_op_fn wd_soft_core_ops[WD_SOFT_OP_MAX];

#endif /* _WD_SOFT_CORE_PRIV_H */
