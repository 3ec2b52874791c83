/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * wd_soft_v3: the ring protocol of the WarpDrive software accelerator.
 * (v3 over v2: entries carry a phase bit, so the device sees a submission
 * in the SQE itself and the process a completion in the CQE itself: no
 * sq_tail doorbell, cq_tail is not polled, cq_notify on a line of its own.
 * v2 over v1: stream contexts, SQE ctx/sflags, 32-byte CQEs with in_len
 * and cflags.)
 *
 * A queue has two regions (see docs/soft-device.md):
 *
 *  MMIO (one page): what the process writes for the device (cq_head,
 *  cq_notify) and the device status it reads (status, error), each on its
 *  own cache line.
 *
 *  DUS: a header page the device writes (ring geometry, sq_head, cq_tail),
 *  then the submission ring (depth x struct wd_soft_sqe) and the completion
 *  ring (depth x struct wd_soft_cqe), at the offsets the header gives.
 *
 * Indices are free-running 32-bit counters; slot = index & (depth - 1),
 * lap = index / depth. Entry i is valid when its phase field is
 * WD_SOFT_PHASE(i): 1 on lap 0, 0 on lap 1, and so on. START_Q zeroes both
 * rings, so no stale entry is valid.
 *
 * Submission: the process fills SQE i (every field but phase), then stores
 * its phase, WD_SOFT_PHASE(i), last, with release order. The device looks
 * at the SQE at its own sq_head only: it takes it once it reads the
 * expected phase there (acquire), copies it and never reads the slot again.
 * Completion: the device writes CQE i (every field but phase), then its
 * phase, WD_SOFT_PHASE(i), last, with release order; the process polls the
 * phase of the CQE at its cq_head (acquire) and then reads the entry. It
 * stores cq_head after consuming CQEs (batched as it likes): the device
 * reads cq_head only when the completion ring looks full from its last
 * reading. The device never takes an SQE while the completion ring is
 * full, so at most depth requests are in flight; an honest process never
 * has more than depth sent and not received. One SQE gives one CQE, in the
 * order taken. The device keeps its own copies of every index and trusts
 * nothing it reads from shared memory; it still publishes sq_head and
 * cq_tail in the header (for the process's diagnostics and poll()).
 *
 * Execution order: a device with several engines may execute the plain
 * requests in flight on one queue (no ctx, no WD_SOFT_SQE_F_STATE) at the
 * same time, in any order; requests with a ctx or F_STATE run one at a
 * time in ring order. Completion order is ring order all the same. A
 * request that needs another's output (reads its destination, say) must
 * be sent after that one's CQE was received.
 *
 * When the device stops looking at an idle queue it sets
 * WD_SOFT_ST_NEED_WAKEUP in its status; a process that then publishes work
 * (the phase store, a full barrier, then a load of status) must call
 * ioctl(fd, WD_SOFT_CMD_KICK). While the flag is clear, no syscall is
 * needed. Completions wake pollers as cq_notify asks.
 *
 * When the queue stops (PUT_Q, close, device removal), every SQE the device
 * took (below the header's sq_head) has exactly one CQE, done or
 * WD_SOFT_S_CANCELED; SQEs it did not take get none and never run, even
 * after the next START_Q.
 */
#ifndef _UAPI_MISC_UACCE_WD_SOFT_H
#define _UAPI_MISC_UACCE_WD_SOFT_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define WD_SOFT_API		"wd_soft_v3"

/* Wake the device's engine after WD_SOFT_ST_NEED_WAKEUP was seen. */
#define WD_SOFT_CMD_KICK	_IO('W', 0x80)

/* Sizes of the regions (bytes); the ring depth is a power of two. */
#define WD_SOFT_MMIO_SIZE	4096
#define WD_SOFT_DEPTH		1024
#define WD_SOFT_SQ_OFF		4096
#define WD_SOFT_CQ_OFF		(WD_SOFT_SQ_OFF + WD_SOFT_DEPTH * 64)
#define WD_SOFT_DUS_SIZE	(WD_SOFT_CQ_OFF + WD_SOFT_DEPTH * 32)

/* MMIO page */
struct wd_soft_mmio {
	__u32 rsvd0;		/* was v2's sq_tail: not read by the device */
	__u32 pad0[15];
	__u32 cq_head;		/* process: CQEs consumed so far */
	__u32 pad1[15];
	__u32 cq_notify;	/* process: WD_SOFT_CQN_* (completion wake-ups) */
	__u32 pad2[15];
	__u32 status;		/* device: WD_SOFT_ST_* */
	__u32 error;		/* device: WD_SOFT_QERR_* when BROKEN */
	__u32 pad3[14];
};

/* The phase an entry of index i carries when valid (SQE and CQE alike). */
#define WD_SOFT_PHASE(i, depth)	((((i) / (depth)) & 1) ^ 1)

/* status bits */
#define WD_SOFT_ST_NEED_WAKEUP	(1u << 0)  /* queue not looked at: KICK after publishing */
#define WD_SOFT_ST_BROKEN	(1u << 1)  /* ring indices were invalid; queue stopped */

/*
 * cq_notify bits, written by the process only (the device never writes the
 * field; START_Q resets it to 0):
 *
 * With WD_SOFT_CQN_ENABLE clear (0, what a process that never writes the
 * field gets), the device wakes the queue's pollers after every batch of
 * completions. With it set, the device wakes them only while
 * WD_SOFT_CQN_ARMED is also set. Before sleeping in poll() the process
 * sets ARMED, executes a full barrier and looks at the phase of the CQE at
 * its cq_head once more; it
 * sleeps only if nothing new was posted, and clears ARMED once awake. The
 * device posts, executes a full barrier, then loads cq_notify, so either
 * the process sees the new CQE's phase or the device sees ARMED: no wake-up
 * is lost. A BROKEN queue, a stopped one and a removed device wake pollers
 * whatever cq_notify says.
 */
#define WD_SOFT_CQN_ARMED	(1u << 0)  /* a poller sleeps or is about to */
#define WD_SOFT_CQN_ENABLE	(1u << 31) /* wake only while ARMED */

/* error: why a queue is BROKEN */
#define WD_SOFT_QERR_NONE	0
#define WD_SOFT_QERR_SQ_TAIL	1	/* v2 only: sq_tail more than depth ahead */
#define WD_SOFT_QERR_CQ_HEAD	2	/* cq_head beyond cq_tail or behind it by more than depth */

/* DUS header page */
struct wd_soft_dus_hdr {
	__u32 magic;		/* WD_SOFT_MAGIC */
	__u32 depth;		/* entries in each ring */
	__u32 sqe_size;		/* sizeof(struct wd_soft_sqe) */
	__u32 cqe_size;		/* sizeof(struct wd_soft_cqe) */
	__u32 sq_off;		/* byte offset of the SQ in DUS */
	__u32 cq_off;		/* byte offset of the CQ in DUS */
	__u32 pad0[10];
	__u32 sq_head;		/* device: SQEs consumed so far */
	__u32 pad1[15];
	__u32 cq_tail;		/* device: CQEs posted so far */
	__u32 pad2[15];
};

#define WD_SOFT_MAGIC		0x57445333	/* "WDS3" */

/* Operations (struct wd_soft_sqe.op) */
enum wd_soft_op {
	WD_SOFT_OP_NOP		= 0,	/* no data; completes with out_len 0 */
	WD_SOFT_OP_COPY		= 1,	/* dst[0..src_len) = src; out_len = src_len */
	WD_SOFT_OP_CRC32C	= 2,	/* params: seed; crc32c(seed, src), 4 bytes LE */
	WD_SOFT_OP_SHA256	= 3,	/* 32 bytes to dst */
	WD_SOFT_OP_DEFLATE	= 4,	/* raw deflate; params: level 1..9 (0: 6) */
	WD_SOFT_OP_INFLATE	= 5,	/* raw deflate */
	WD_SOFT_OP_ZLIB_COMP	= 6,	/* zlib stream; params: level */
	WD_SOFT_OP_ZLIB_DECOMP	= 7,
	WD_SOFT_OP_GZIP_COMP	= 8,	/* one gzip member; params: level */
	WD_SOFT_OP_GZIP_DECOMP	= 9,	/* one or more gzip members */
	WD_SOFT_OP_MAX,
};

/* SQE flags */
#define WD_SOFT_SQE_F_SRC_SGL	(1u << 0) /* src points to src_len struct wd_soft_sge */
#define WD_SOFT_SQE_F_DST_SGL	(1u << 1) /* dst points to dst_len struct wd_soft_sge */
#define WD_SOFT_SQE_F_STATE	(1u << 2) /* SHA256: the digest's state is at sqe.state */

/*
 * Submission entry. Addresses are process virtual addresses (SVA, PASID) or
 * DMA addresses inside the SS region (NOIOMMU).
 */
struct wd_soft_sqe {
	__u64 user_data;	/* returned in the CQE */
	__u16 op;		/* enum wd_soft_op */
	__u16 flags;		/* WD_SOFT_SQE_F_* */
	__u32 params;		/* per op: level, seed */
	__u64 src;
	__u64 dst;
	__u32 src_len;		/* bytes, or SGL entries with F_SRC_SGL */
	__u32 dst_len;		/* bytes, or SGL entries with F_DST_SGL */
	__u32 ctx;		/* stream context (WD_SOFT_CMD_CTX), 0: none */
	__u32 sflags;		/* with ctx or F_STATE: WD_SOFT_SF_*; else 0 */
	__u64 state;		/* with F_STATE: struct wd_soft_sha256_state; else 0 */
	__u32 rsvd;		/* must be zero */
	__u32 phase;		/* WD_SOFT_PHASE(index): stored last (release) */
};

/*
 * Digest state in memory (WD_SOFT_SQE_F_STATE), for a SHA-256 digest spread
 * over requests without a context: the submitter keeps the state, so it
 * can copy, save and restore it (the kernel crypto API's export/import);
 * the device keeps nothing between requests.
 *
 * Valid with op SHA256 and ctx 0 only (else WD_SOFT_S_INVAL). sqe.state is
 * the address of a struct wd_soft_sha256_state (an address like src's, in
 * the queue's memory model, never an SGL), aligned to 128 bytes so that it
 * never spans two pages (else INVAL). sflags is the flush:
 *  - WD_SOFT_SF_NO_FLUSH: update. The device reads the state, adds the
 *    source and writes the state back, buf's bytes past count % 64 zeroed;
 *    out_len 0. dst must be 0, dst_len 0 and F_DST_SGL clear (else INVAL).
 *  - WD_SOFT_SF_FINISH: final. The device reads the state, adds the source
 *    and writes the 32-byte digest to dst (DST_SMALL if dst_len < 32); the
 *    state in memory is not written.
 * Any other sflags: INVAL. The device reads the state once, before it
 * reads the source, and writes it once, after; a request that fails
 * leaves it as it was. Every value is a valid state: a wrong one gives a
 * wrong digest, never an error. A new digest starts from FIPS 180-4's
 * initial hash value H(0) with count 0.
 */
struct wd_soft_sha256_state {
	__u32 h[8];		/* the hash value H(i), host byte order */
	__u64 count;		/* bytes added so far, host byte order */
	__u8 buf[64];		/* the last count % 64 bytes added */
};

#define WD_SOFT_STATE_ALIGN	128

/* Scatter-gather entry, in process memory */
struct wd_soft_sge {
	__u64 addr;
	__u32 len;
	__u32 rsvd;
};

/* Completion entry */
struct wd_soft_cqe {
	__u64 user_data;	/* from the SQE */
	__u32 status;		/* WD_SOFT_S_* */
	__u32 out_len;		/* bytes written; with S_DST_SMALL the size needed, 0 if unknown */
	__u32 in_len;		/* with ctx: source bytes consumed; else 0 */
	__u32 cflags;		/* with ctx: WD_SOFT_CF_*; else 0 */
	__u32 dict_id;		/* with WD_SOFT_CF_NEED_DICT: the dictionary's Adler-32 */
	__u32 phase;		/* WD_SOFT_PHASE(index): stored last (release) */
};

/* Completion status */
#define WD_SOFT_S_OK		0
#define WD_SOFT_S_BAD_OP	1	/* unknown operation */
#define WD_SOFT_S_BAD_ADDR	2	/* an address could not be translated or accessed */
#define WD_SOFT_S_DST_SMALL	3	/* output does not fit dst */
#define WD_SOFT_S_CORRUPT	4	/* input is not a valid stream (or has trailing bytes) */
#define WD_SOFT_S_DEV_ERR	5	/* device error (see fault injection) */
#define WD_SOFT_S_CANCELED	6	/* queue stopped before the request ran */
#define WD_SOFT_S_INVAL		7	/* malformed descriptor (flags, rsvd, lengths) */
#define WD_SOFT_S_BAD_CTX	8	/* ctx not open on this queue, or broken */

/*
 * Stream contexts (docs/streams.md).
 *
 * A context keeps one stream's state between requests: a SHA-256 or
 * CRC-32C register, or a deflate or inflate stream with its window. It
 * lives in device memory, never in a region the process maps; it belongs
 * to the queue that opened it and is opened and closed by command, the
 * memory charged to the opener. At most WD_SOFT_MAX_CTX per queue and the
 * device's max_ctx_bytes in all (beyond: -ENOSPC). PUT_Q, close and device
 * removal free every context of the queue.
 *
 * A request names its context in sqe.ctx; its op must be the one the
 * context was opened for (else WD_SOFT_S_INVAL). Requests on one context
 * run in ring order. sflags:
 *  - the flush (WD_SOFT_SF_FLUSH_MASK), with zlib's meanings for
 *    compression: NO (keep what is not output yet), SYNC (output all, end
 *    on a byte boundary with an empty stored block), FULL (SYNC and reset
 *    the window: what follows decodes without what came before), FINISH
 *    (end the stream: trailer). Digests: NO (update) or FINISH (the result
 *    to dst; the context then starts a new digest). Decompression: NO.
 *  - WD_SOFT_SF_DICT: the source is a preset dictionary (deflate, zlib:
 *    compression before any data, decompression of raw deflate before any
 *    data and of zlib when NEED_DICT asked for it); flush NO.
 *  - WD_SOFT_SF_RESET: the context starts a new stream (same op and level)
 *    before this request; clears a broken context. The reset happens once
 *    op, params and sflags are found valid, before the checks that depend
 *    on the stream's state (DICT's), so it stands even if those refuse
 *    the request with INVAL.
 *
 * A CRC-32C context starts from the register ~0 and its FINISH writes the
 * raw register (4 bytes LE), as WD_SOFT_OP_CRC32C does: the standard
 * CRC-32C is its complement.
 *
 * Completion: in_len source bytes consumed, out_len written. CF_MORE: the
 * destination ran out first; send the rest of the source (possibly none)
 * with the same flush and new room, nothing is lost. CF_END: the stream
 * ended (compression: FINISH done; decompression: the end of the stream,
 * gzip: of a member with no member right after it in the source; bytes
 * after in_len are not the stream's). A gzip decompression context takes a
 * next member after END. CF_NEED_DICT: zlib decompression needs the
 * dictionary with Adler-32 dict_id (send it with SF_DICT).
 *
 * A failed request (CORRUPT, BAD_ADDR, DEV_ERR, CANCELED) leaves its
 * context broken: further requests get S_BAD_CTX until one with SF_RESET.
 * INVAL and BAD_CTX change nothing (but INVAL for a resumed request whose
 * SGL changed while it waited for a page: part of its source was taken).
 * Stream lengths count in 64 bits (a stream may pass 4 GiB; gzip's ISIZE
 * is the size mod 2^32).
 */
#define WD_SOFT_MAX_CTX		64

#define WD_SOFT_SF_NO_FLUSH	0
#define WD_SOFT_SF_SYNC_FLUSH	1
#define WD_SOFT_SF_FULL_FLUSH	2
#define WD_SOFT_SF_FINISH	3
#define WD_SOFT_SF_FLUSH_MASK	3
#define WD_SOFT_SF_DICT		(1u << 2)
#define WD_SOFT_SF_RESET	(1u << 3)

#define WD_SOFT_CF_END		(1u << 0)
#define WD_SOFT_CF_MORE		(1u << 1)
#define WD_SOFT_CF_NEED_DICT	(1u << 2)

/* ioctl(fd, WD_SOFT_CMD_CTX, struct wd_soft_ctx_cmd *): 0 or -1/errno */
#define WD_SOFT_CTX_OPEN	1	/* op, level in; ctx out */
#define WD_SOFT_CTX_CLOSE	2	/* ctx in */

struct wd_soft_ctx_cmd {
	__u32 cmd;		/* WD_SOFT_CTX_* */
	__u32 ctx;		/* OPEN: out, never 0; CLOSE: in */
	__u16 op;		/* OPEN: CRC32C, SHA256, or a (de)compression op */
	__u16 rsvd0;		/* must be zero */
	__u32 level;		/* OPEN: compression 1..9, 0 for 6; else 0 */
	__u64 rsvd[2];		/* must be zero */
};

/*
 * Errors: EINVAL (unknown cmd, op, level, non-zero rsvd), ENOSPC (per
 * queue or per device bound), ENOMEM, EBADF (CLOSE: ctx not open on this
 * queue), and the queue's own (EPERM not the owner, ENODEV removed).
 */
#define WD_SOFT_CMD_CTX		_IOWR('W', 0x81, struct wd_soft_ctx_cmd)

#endif /* _UAPI_MISC_UACCE_WD_SOFT_H */
