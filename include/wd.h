/* SPDX-License-Identifier: MIT */
/*
 * wd.h: libwd, the WarpDrive user library.
 *
 * A queue on an accelerator: requests are sent to the device and received
 * back completed through rings shared with it, with no system call on the
 * data path. Each function's contract is below; libwd(3) gives the overview
 * and the rules every call follows (threads, fork, signals, a device going
 * away), and each function has its man page. docs/libwd.md: the design.
 *
 * Errors: functions returning int return a negative errno on failure;
 * wd_reserve_memory() returns NULL with errno set. A request's own outcome
 * is its status field ("Requests" below).
 *
 * Threads: queues are independent. On one queue, the senders (wd_send(),
 * wd_send_many(), wd_flush()) are serialised among themselves and so are
 * the receivers (wd_recv*()); a sender and a receiver run in parallel.
 * wd_request_queue(), wd_release_queue(), wd_reserve_memory() and
 * wd_share_reserved_memory() must not run concurrently with another call
 * on the same queue. A request and its buffers belong to the library from
 * wd_send() until a receive call hands the request back.
 *
 * Fork: in a child of fork(), every call on an inherited queue fails with
 * -EPERM (wd_release_queue() frees the child's copy only).
 *
 * The fast path (libwd 1.4): <wd_ring.h> has the same sends and receives
 * inline, with no call, lock or atomic read-modify-write, for a queue
 * whose wd_ring_*() calls are made by one thread at a time.
 *
 * Order: requests are received in the order they were sent, always. A
 * device with several engines may execute the requests in flight on one
 * queue at the same time, in any order, except those of one stream
 * (wd_stream_*) and digest-state requests (wd_digest_state_send()), which
 * run one after another in the order sent. A request that needs another's
 * result (reads its destination, say) is sent after that one was received.
 */
#ifndef WD_H
#define WD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WD_VERSION_MAJOR	1
#define WD_VERSION_MINOR	4	/* 1: wd_*_many, wd_local_engines(); 2: streams;
				 * 3: wd_digest_state_send(), wd_strerror();
				 * 4: the inline fast path, <wd_ring.h> */

/* ------------------------------------------------------------------ */
/* Queues                                                               */
/* ------------------------------------------------------------------ */

/* Size of struct wd_queue.dev_path, NUL included. */
#define WD_DEV_PATH_MAX		64

/*
 * dev_path of the in-process device, the same device run by threads of this
 * process: "local" (SVA), "local:sva", "local:pasid" or "local:noiommu".
 * Used only when named (in dev_path or WD_DEV_PATH), never as a fallback.
 * One device per mode, created by the first wd_request_queue() naming it,
 * with WD_LOCAL_ENGINES engine threads (1..WD_LOCAL_ENGINES_MAX, default 1;
 * see wd_local_engines()). Its SVA mode installs no signal handler unless
 * WD_LOCAL_SVA_COPY=signal (libwd(3)). WD_DEV_PATH, WD_LOCAL_ENGINES and
 * WD_LOCAL_SVA_COPY are read with secure_getenv().
 */
#define WD_DEV_LOCAL_PATH	"local"
#define WD_LOCAL_ENGINES_MAX	16

/**
 * wd_local_engines() - the engine count an in-process device created now gets
 *
 * Applies wd_request_queue()'s rule to WD_LOCAL_ENGINES as it is now:
 * decimal digits only, 1..WD_LOCAL_ENGINES_MAX; unset or empty means 1.
 *
 * Context: any thread (reads the environment). Since libwd 1.1.
 * Return: 1..WD_LOCAL_ENGINES_MAX, or -EINVAL for any other value.
 */
int wd_local_engines(void);

/*
 * struct wd_queue.dev_flags; the mode bits are also struct wd_capa.flags. A
 * requested queue has exactly one mode bit. SVA: the device reaches any
 * memory of the process. PASID: only the queue's wd_reserve_memory() memory
 * (own or shared). NOIOMMU: as PASID (libwd computes the bus addresses);
 * needs CAP_SYS_RAWIO on a kernel device. LOCAL: the in-process device.
 * Buffers in wd_reserve_memory() memory work in every mode.
 */
#define WD_DEV_SVA		(1u << 0)
#define WD_DEV_PASID		(1u << 1)
#define WD_DEV_NOIOMMU		(1u << 2)
#define WD_DEV_MODES		(WD_DEV_SVA | WD_DEV_PASID | WD_DEV_NOIOMMU)
#define WD_DEV_LOCAL		(1u << 8)

/**
 * struct wd_capa - what the caller needs from the device
 * @alg: "nop" or "copy" (struct wd_copy_req), "crc32c" or "sha256"
 *	(struct wd_digest_req), "deflate", "zlib" or "gzip" (struct
 *	wd_comp_req)
 * @flags: the acceptable memory modes (WD_DEV_SVA, WD_DEV_PASID,
 *	WD_DEV_NOIOMMU); 0 accepts every mode
 */
struct wd_capa {
	const char *alg;
	uint32_t flags;
};

/**
 * struct wd_queue - a queue, the caller's handle
 * @capa: in: what the queue must do
 * @dev_path: in: "" (any device, or WD_DEV_PATH if set and not empty),
 *	"/dev/uaN" or "local[:mode]" (WD_DEV_LOCAL_PATH); out: the device used
 * @dev_flags: out: WD_DEV_* of the device (its memory mode, WD_DEV_LOCAL)
 * @node: out: the device's NUMA node, -1 for none
 * @depth: out: how many requests can be in flight (sent, not yet received)
 * @ss_max: out: the most wd_reserve_memory() may map, in bytes
 * @priv: the library's; NULL when the queue is not requested
 *
 * Zero it, set @capa (and @dev_path), call wd_request_queue(); it must not
 * move until wd_release_queue().
 */
struct wd_queue {
	struct wd_capa capa;
	char dev_path[WD_DEV_PATH_MAX];
	uint32_t dev_flags;
	int node;
	uint32_t depth;
	size_t ss_max;
	void *priv;
};

/**
 * wd_request_queue() - open a started queue on a device offering capa.alg
 * @q: zeroed except for @capa and @dev_path (see struct wd_queue)
 *
 * Without a device named, of the devices that offer the algorithm in an
 * accepted mode and have a free queue, the nearest to the calling thread's
 * CPU (numa_distance), then the one with the most free queues. The rules:
 * wd_request_queue(3).
 *
 * Context: not concurrently with another call on @q.
 * Return: 0, or -EINVAL (bad argument, @q already requested, invalid
 * WD_LOCAL_ENGINES), -ENODEV (no device offers the algorithm), -ENOENT (no
 * such /dev/uaN), -EPROTONOSUPPORT (no user driver for the device's api),
 * -EBUSY (no free queue), -EIO (device isolated), -EACCES, -EPERM (NOIOMMU
 * without CAP_SYS_RAWIO), -ENOMEM, -EMFILE.
 */
int wd_request_queue(struct wd_queue *q);

/**
 * wd_release_queue() - stop and free a queue
 * @q: a requested queue; NULL or a released queue: nothing happens
 *
 * Requests in flight are completed or cancelled by the device and not handed
 * back; on return the device no longer touches their buffers. Reserved
 * memory is unmapped with the last queue using it. Afterwards q->priv is
 * NULL and calls on @q fail with -EINVAL.
 *
 * Context: not concurrently with another call on @q.
 */
void wd_release_queue(struct wd_queue *q);

/**
 * wd_send() - queue one request
 * @q: the queue
 * @req: a request of the queue's algorithm class (wd_prep_*()); it stays
 *	the library's until a receive call hands it back
 *
 * The device sees it at the next wd_flush() (or wd_send_many(),
 * wd_recv_wait(), wd_recv_sync()). Nothing is queued on error.
 *
 * Context: a sender (see the top of this file).
 * Return: 0, or -EBUSY (q->depth requests in flight), -EINVAL (NULL
 * argument, @q not requested, malformed request), -EFAULT (PASID, NOIOMMU:
 * a buffer outside the queue's reserved memory), -EPERM (inherited queue),
 * -EIO (queue broken by the device), -ENODEV (device gone).
 */
int wd_send(struct wd_queue *q, void *req);

/**
 * wd_send_many() - queue a batch of requests and ring the doorbell once
 * @q: the queue
 * @reqs: @n requests, each as wd_send()'s @req (the array is not kept)
 * @n: how many; 0 queues nothing
 *
 * Queues reqs[0], reqs[1], ... in order until one does not fit or is
 * refused, then makes every request sent so far on @q visible to the
 * device, as wd_flush() (also when it queued nothing, unless @q or the
 * arguments are refused). Sending again from reqs[ret] gives the reason.
 *
 * Context: a sender. Since libwd 1.1.
 * Return: how many were queued (0 only for @n 0), or, when not even reqs[0]
 * was, wd_send()'s error; -EINVAL also for @n < 0 or @reqs NULL.
 */
int wd_send_many(struct wd_queue *q, void *const *reqs, int n);

/**
 * wd_recv() - collect one completed request, without waiting
 * @q: the queue
 * @req: set to the pointer wd_send() took, its results filled in; requests
 *	complete in the order they were sent
 *
 * Neither flushes nor waits. Every request sent is handed back once: on a
 * broken queue with status -EIO, after its device went away with status
 * -ECANCELED, before the call returns -EIO or -ENODEV.
 *
 * Context: a receiver.
 * Return: 1 (*@req set), 0 (nothing completed yet), or -EINVAL (NULL
 * argument, @q not requested), -EPERM (inherited queue), -EIO (queue
 * broken), -ENODEV (device gone): these two once nothing is in flight.
 */
int wd_recv(struct wd_queue *q, void **req);

/**
 * wd_recv_many() - collect the completed requests there are, without waiting
 * @q: the queue
 * @reqs: room for @max pointers, set as wd_recv() sets *req, oldest first
 * @max: the most to collect; 0 collects nothing
 *
 * As up to @max wd_recv() calls, but the device learns once per call that
 * the slots are free. Completions before one that breaks the queue are
 * still handed back; the next call returns -EIO.
 *
 * Context: a receiver. Since libwd 1.1.
 * Return: how many were collected (0: none had completed, or @max 0), or
 * wd_recv()'s errors; -EINVAL also for @max < 0 or @reqs NULL.
 */
int wd_recv_many(struct wd_queue *q, void **reqs, int max);

/**
 * wd_recv_sync() - collect one completed request, waiting for it
 * @q: the queue
 * @req: as wd_recv()
 *
 * wd_recv_wait(q, req, -1): flushes, then sleeps in poll() until a request
 * completes.
 *
 * Context: a receiver; takes the send lock for the flush.
 * Return: 1, or as wd_recv_wait() (never 0 or -ETIMEDOUT).
 */
int wd_recv_sync(struct wd_queue *q, void **req);

/**
 * wd_recv_wait() - collect one completed request, waiting at most a while
 * @q: the queue
 * @req: as wd_recv()
 * @timeout_ms: how long to wait; -1 for ever, 0 not at all (but flush)
 *
 * Flushes as wd_flush(), then wd_recv(), sleeping in poll() (no busy wait)
 * while nothing has completed.
 *
 * Context: a receiver; takes the send lock for the flush.
 * Return: 1, or -ETIMEDOUT (nothing within @timeout_ms), -ENOMSG (nothing
 * in flight to wait for), -EINTR (a signal interrupted poll()), -EINVAL
 * (@timeout_ms < -1), or wd_recv()'s errors.
 */
int wd_recv_wait(struct wd_queue *q, void **req, int timeout_ms);

/**
 * wd_flush() - make every request sent so far visible to the device
 * @q: the queue; NULL, released or inherited: nothing happens
 *
 * One store to the doorbell; a system call only to wake a sleeping engine.
 *
 * Context: a sender.
 */
void wd_flush(struct wd_queue *q);

/**
 * wd_reserve_memory() - map memory the device can reach (the SS region)
 * @q: the queue
 * @size: bytes, at most q->ss_max; rounded up to the page size
 *
 * Zeroed, page aligned and reachable in every memory mode; buffers in it
 * are passed to requests as ordinary pointers. One per queue, unmapped with
 * the last queue using it (wd_share_reserved_memory()).
 *
 * Context: not concurrently with another call on @q.
 * Return: the memory, or NULL with errno EINVAL (@q NULL or not requested,
 * @size 0), EEXIST (@q has reserved or shared memory), ENOMEM (@size above
 * q->ss_max, or no memory), EPERM (inherited queue; NOIOMMU kernel device
 * without CAP_SYS_RAWIO), ENODEV (device gone).
 */
void *wd_reserve_memory(struct wd_queue *q, size_t size);

/**
 * wd_share_reserved_memory() - let another queue's device reach @q's memory
 * @q: a queue with memory from wd_reserve_memory()
 * @target_q: a queue of the same process without reserved or shared memory
 *
 * @target_q's requests may then point into that memory at the same
 * addresses. Both queues on kernel devices, or both on the in-process one.
 *
 * Context: not concurrently with another call on @q or @target_q.
 * Return: 0, or -EINVAL (a queue NULL or not requested, @q without reserved
 * memory, @q == @target_q, different kinds of device), -EEXIST (@target_q
 * has reserved or shared memory), -EPERM (inherited queue), -ENODEV
 * (device gone).
 */
int wd_share_reserved_memory(struct wd_queue *q, struct wd_queue *target_q);

/* ------------------------------------------------------------------ */
/* Requests                                                             */
/* ------------------------------------------------------------------ */

/*
 * One structure per algorithm class, owned by the caller: "in" fields are
 * read by wd_send(), "out" fields written before a receive call hands the
 * request back. Buffers are the caller's pointers in every mode; lengths
 * are bytes (wd_soft: at most 64 MiB of source).
 *
 * status ("out"): 0, or -ENOSPC (dst_len too small; out_len: the size
 * needed, 0 if unknown), -EFAULT (a buffer out of the device's reach),
 * -EBADMSG (invalid compressed input), -EINVAL (refused by the device),
 * -EOPNOTSUPP, -EIO (device error), -ECANCELED (queue stopped, or device
 * gone, while in flight), -EPROTO (unknown device status).
 * wd_prep_copy(3) describes each.
 */

/**
 * struct wd_copy_req - "copy" and "nop"
 * @src: in: source ("nop": ignored)
 * @dst: in: destination, may not overlap @src ("nop": ignored)
 * @src_len: in: bytes to copy
 * @dst_len: in: room at @dst (>= @src_len, else status -ENOSPC)
 * @status: out: 0 or a negative errno
 * @out_len: out: bytes written (@src_len; "nop": 0)
 * @user_data: the caller's, never touched
 */
struct wd_copy_req {
	const void *src;
	void *dst;
	uint32_t src_len;
	uint32_t dst_len;
	int status;
	uint32_t out_len;
	void *user_data;
};

/* Digest sizes in bytes */
#define WD_CRC32C_SIZE		4
#define WD_SHA256_SIZE		32

/**
 * struct wd_digest_req - "crc32c" and "sha256"
 * @src: in: the data
 * @dst: in: the result: the sha256 digest, or the crc32c value as 4 bytes
 *	little-endian
 * @src_len: in: bytes of data
 * @dst_len: in: room at @dst: at least WD_SHA256_SIZE / WD_CRC32C_SIZE
 * @seed: in: crc32c: the CRC of the data before @src (0 to start); sha256: 0
 * @status: out: 0 or a negative errno
 * @out_len: out: bytes written to @dst
 * @crc: out: crc32c: the standard CRC-32C of the data, continuing @seed
 * @user_data: the caller's, never touched
 */
struct wd_digest_req {
	const void *src;
	void *dst;
	uint32_t src_len;
	uint32_t dst_len;
	uint32_t seed;
	int status;
	uint32_t out_len;
	uint32_t crc;
	void *user_data;
};

/* struct wd_comp_req.op */
enum wd_comp_op {
	WD_COMPRESS = 0,
	WD_DECOMPRESS = 1,
};

/**
 * struct wd_comp_req - "deflate" (raw, RFC 1951), "zlib" (RFC 1950) and
 *	"gzip" (RFC 1952): compression and decompression
 * @src: in: the input; decompression: one complete stream (gzip: one or
 *	more members)
 * @dst: in: room for the output
 * @src_len: in: bytes of input
 * @dst_len: in: room at @dst (too little: status -ENOSPC)
 * @op: in: WD_COMPRESS or WD_DECOMPRESS
 * @level: in: 1 (fast) .. 9 (small), 0 the default (6); decompression: 0
 * @status: out: 0 or a negative errno
 * @out_len: out: bytes written to @dst
 * @user_data: the caller's, never touched
 *
 * The output is that of the standard formats (gzip -d, zlib's inflate()).
 */
struct wd_comp_req {
	const void *src;
	void *dst;
	uint32_t src_len;
	uint32_t dst_len;
	uint32_t op;
	uint32_t level;
	int status;
	uint32_t out_len;
	void *user_data;
};

/* Preparing requests: inline, they only fill in the structure. */

/** wd_prep_copy() - a "copy" (or "nop") of @len bytes from @src to @dst */
static inline void wd_prep_copy(struct wd_copy_req *req, void *dst,
				const void *src, uint32_t len)
{
	memset(req, 0, sizeof(*req));
	req->src = src;
	req->dst = dst;
	req->src_len = len;
	req->dst_len = len;
}

/**
 * wd_prep_digest() - a digest of @len bytes at @src into @dst
 * @req: the request
 * @dst: room for the result (@dst_len bytes)
 * @dst_len: at least WD_SHA256_SIZE or WD_CRC32C_SIZE
 * @src: the data
 * @len: its length
 * @seed: crc32c: CRC of the preceding data (0 to start); sha256: 0
 */
static inline void wd_prep_digest(struct wd_digest_req *req, void *dst,
				  uint32_t dst_len, const void *src,
				  uint32_t len, uint32_t seed)
{
	memset(req, 0, sizeof(*req));
	req->src = src;
	req->dst = dst;
	req->src_len = len;
	req->dst_len = dst_len;
	req->seed = seed;
}

/**
 * wd_prep_comp() - compress or decompress @src_len bytes at @src into @dst
 * @req: the request
 * @op: WD_COMPRESS or WD_DECOMPRESS
 * @level: compression level 1..9, 0 for the default (and for decompression)
 * @dst: room for the output
 * @dst_len: its size
 * @src: the input
 * @src_len: its length
 */
static inline void wd_prep_comp(struct wd_comp_req *req, enum wd_comp_op op,
				uint32_t level, void *dst, uint32_t dst_len,
				const void *src, uint32_t src_len)
{
	memset(req, 0, sizeof(*req));
	req->src = src;
	req->dst = dst;
	req->src_len = src_len;
	req->dst_len = dst_len;
	req->op = op;
	req->level = level;
}

/* ------------------------------------------------------------------ */
/* Streams (since libwd 1.2)                                            */
/* ------------------------------------------------------------------ */

/*
 * A stream is one digest or one (de)compressed stream spread over many
 * requests: its state (the SHA-256 or CRC-32C register, deflate's window
 * and pending output) is kept by the device between them, in memory the
 * process cannot reach. A stream belongs to one queue, of an algorithm
 * that has streams: "crc32c", "sha256", "deflate", "zlib", "gzip".
 * Requests on one stream run in the order sent; they go through the queue
 * like any other request and come back from wd_recv*() (the pointer sent,
 * a struct wd_stream_req). Streams and plain requests mix on a queue.
 * docs/streams.md: the protocol; wd_stream_open(3): the rules.
 */
struct wd_stream;

/* struct wd_stream_req.flush: zlib's flush modes */
enum wd_flush {
	WD_NO_FLUSH = 0,	/* more input follows; output may lag */
	WD_SYNC_FLUSH = 1,	/* output everything so far, byte aligned */
	WD_FULL_FLUSH = 2,	/* sync, and what follows needs nothing before */
	WD_FINISH = 3,		/* the end: trailer; digests: the result */
};
/* or'ed into flush: @src is a preset dictionary ("deflate", "zlib") */
#define WD_STREAM_DICT		(1u << 8)

/* struct wd_stream_req.flags (out) */
#define WD_STREAM_END		(1u << 0)	/* the stream ended (in_len: where) */
#define WD_STREAM_MORE		(1u << 1)	/* dst was full: send the rest again */
#define WD_STREAM_NEED_DICT	(1u << 2)	/* send dictionary dict_id first */

/**
 * struct wd_stream_req - one step of a stream
 * @src: in: input (may be NULL with @src_len 0)
 * @dst: in: room for output
 * @src_len: in: bytes of input (0: none, as an empty update)
 * @dst_len: in: room at @dst (digests with WD_FINISH: at least the digest's
 *	size, else status -ENOSPC and nothing consumed)
 * @flush: in: enum wd_flush, optionally | WD_STREAM_DICT
 * @status: out: 0 or a negative errno (as for other requests; -EBADF: the
 *	stream is closed or broken by an earlier failure, see
 *	wd_stream_reset())
 * @in_len: out: bytes of @src consumed; the rest must be sent again
 * @out_len: out: bytes written to @dst
 * @flags: out: WD_STREAM_END, WD_STREAM_MORE, WD_STREAM_NEED_DICT
 * @dict_id: out: with WD_STREAM_NEED_DICT, the dictionary's Adler-32
 * @user_data: the caller's, never touched
 *
 * Compression: all of @src is consumed unless @dst fills first
 * (WD_STREAM_MORE: send the unconsumed rest, possibly nothing, with the
 * same @flush and more room). WD_FINISH completes with WD_STREAM_END.
 * Decompression (@flush WD_NO_FLUSH): consumes until the stream ends
 * (WD_STREAM_END; bytes after @in_len are not the stream's; "gzip" goes on
 * with a next member sent after it), @src is used up, or @dst fills
 * (WD_STREAM_MORE). crc32c's result: 4 bytes little-endian at @dst, the
 * standard CRC-32C.
 */
struct wd_stream_req {
	const void *src;
	void *dst;
	uint32_t src_len;
	uint32_t dst_len;
	uint32_t flush;
	int status;
	uint32_t in_len;
	uint32_t out_len;
	uint32_t flags;
	uint32_t dict_id;
	void *user_data;
};

/**
 * wd_stream_open() - open a stream on a queue
 * @q: a requested queue of a streaming algorithm
 * @op: compression algorithms: WD_COMPRESS or WD_DECOMPRESS; digests: 0
 * @level: WD_COMPRESS: 1..9, 0 for 6; otherwise 0
 * @s: set to the stream
 *
 * The device allocates the stream's state, charged to the caller; a device
 * bounds the streams per queue and in all.
 *
 * Context: not concurrently with wd_stream_close() or wd_release_queue()
 * on @q.
 * Return: 0, or -EINVAL (bad argument, an algorithm without streams),
 * -ENOSPC (too many streams on the queue or the device), -ENOMEM, -EPERM
 * (inherited queue), -ENODEV (device gone), -EOPNOTSUPP (device without
 * streams).
 */
int wd_stream_open(struct wd_queue *q, uint32_t op, uint32_t level,
		   struct wd_stream **s);

/**
 * wd_stream_send() - queue one request of a stream
 * @s: the stream
 * @req: the request (wd_prep_stream()); the library's until a receive call
 *	on the stream's queue hands it back
 *
 * As wd_send(): visible to the device at the next flush.
 *
 * Context: a sender of the stream's queue.
 * Return: 0, or wd_send()'s errors; -EINVAL also for an unknown flush, or
 * a flush the algorithm has no use for (digests: WD_NO_FLUSH or WD_FINISH;
 * decompression: WD_NO_FLUSH, optionally with WD_STREAM_DICT).
 */
int wd_stream_send(struct wd_stream *s, struct wd_stream_req *req);

/**
 * wd_stream_reset() - start the stream anew
 * @s: the stream
 *
 * The next request sent on @s starts a new stream with the same
 * parameters; that also recovers a stream broken by a failed request.
 * Does not wait and sends nothing by itself.
 *
 * Context: a sender of the stream's queue.
 */
void wd_stream_reset(struct wd_stream *s);

/**
 * wd_stream_close() - free a stream
 * @s: the stream, or NULL
 *
 * Its requests still in flight complete with -EBADF. wd_release_queue()
 * closes the queue's streams itself (their handles are freed with it); in
 * a child of fork() this frees the child's handle only.
 *
 * Context: not concurrently with another call on @s's queue but senders.
 */
void wd_stream_close(struct wd_stream *s);

/**
 * wd_prep_stream() - a step of a stream: @src_len bytes at @src, room
 *	for output at @dst, @flush (enum wd_flush, | WD_STREAM_DICT)
 */
static inline void wd_prep_stream(struct wd_stream_req *req, void *dst,
				  uint32_t dst_len, const void *src,
				  uint32_t src_len, uint32_t flush)
{
	memset(req, 0, sizeof(*req));
	req->src = src;
	req->dst = dst;
	req->src_len = src_len;
	req->dst_len = dst_len;
	req->flush = flush;
}

/* ------------------------------------------------------------------ */
/* SHA-256 with the caller's state (since libwd 1.3)                   */
/* ------------------------------------------------------------------ */

/*
 * A SHA-256 digest whose state the caller keeps in its own memory, not the
 * device: it can be copied (a digest forked mid-way), saved, or continued
 * in software by any implementation that imports it (OpenSSL's SHA256_CTX
 * does: engine/sha256-user.h). The device keeps nothing between requests,
 * so a digest is not tied to a queue. wd_digest_state_send(3).
 */
#define WD_SHA256_STATE_ALIGN	128

/**
 * struct wd_sha256_state - a SHA-256 digest in progress
 * @h: the hash value H(i), host byte order
 * @count: bytes added so far
 * @buf: the last @count % 64 bytes added (the partial block); the bytes
 *	after them are not part of the state
 *
 * FIPS 180-4's state, the protocol's layout (struct wd_soft_sha256_state).
 * Aligned by the caller to WD_SHA256_STATE_ALIGN (so that it never spans
 * two pages), e.g. with _Alignas(WD_SHA256_STATE_ALIGN) on the member or
 * variable; in the PASID and NOIOMMU modes it lies in the queue's reserved
 * memory, as buffers do. Any value is a valid state: a wrong one gives a
 * wrong digest, never an error.
 */
struct wd_sha256_state {
	uint32_t h[8];
	uint64_t count;
	uint8_t buf[64];
};

/**
 * wd_sha256_state_init() - start a digest
 * @st: set to FIPS 180-4's initial hash value H(0), count 0, @buf zeroed
 *
 * Context: any thread; touches @st only. Since libwd 1.3.
 */
void wd_sha256_state_init(struct wd_sha256_state *st);

/**
 * wd_digest_state_send() - queue one step of a digest whose state is @st
 * @q: a requested queue of algorithm "sha256"
 * @req: the step (wd_prep_stream()): @src/@src_len the data (at most 64
 *	MiB), @flush WD_NO_FLUSH (update) or WD_FINISH (the result); the
 *	library's until a receive call on @q hands it back
 * @st: the state, aligned to WD_SHA256_STATE_ALIGN; the library's (and
 *	the device's) as long as @req is
 *
 * WD_NO_FLUSH: the device reads @st, adds the data and writes @st back
 * (@dst and @dst_len are not used; the bytes of buf after the partial
 * block come back zero). WD_FINISH: it reads @st, adds the data and writes
 * the 32-byte digest to @dst (@dst_len at least WD_SHA256_SIZE, else
 * status -ENOSPC, out_len 32); @st is not written, so the caller may go on
 * from it (a finished digest is not consumed). A request that fails
 * leaves @st as it was.
 *
 * Completion, through wd_recv*() like any request (the pointer @req): its
 * status as a stream request's; on success in_len = @src_len, out_len 0
 * (update) or 32 (finish), flags WD_STREAM_END on a finish; on failure
 * in_len 0 and flags 0.
 *
 * Context: a sender of @q. Since libwd 1.3.
 * Return: 0, or wd_send()'s errors; -EINVAL also for @req or @st NULL, @st
 * not aligned, a flush other than WD_NO_FLUSH or WD_FINISH, a queue of
 * another algorithm; -EFAULT also for @st out of the device's reach
 * (PASID, NOIOMMU: outside the queue's reserved memory).
 */
int wd_digest_state_send(struct wd_queue *q, struct wd_stream_req *req,
			 struct wd_sha256_state *st);

/* ------------------------------------------------------------------ */
/* Errors                                                               */
/* ------------------------------------------------------------------ */

/**
 * wd_strerror() - a libwd error value in words, for the user
 * @err: a value a libwd call returned (0 or a negative errno)
 *
 * For -EACCES and -EPERM from this thread's last wd_request_queue() it
 * names the device that refused and what grants access: the group that
 * owns its node, which the user joins (the WarpDrive udev rule gives the
 * nodes to group "uacce"; "log in again" when the user is listed in it but
 * the session predates that), or CAP_SYS_RAWIO for a NOIOMMU device. Group
 * and user names come from /etc/group and /etc/passwd. libwd prints
 * nothing itself: the caller shows the string.
 *
 * Context: any thread. Since libwd 1.3.
 * Return: a NUL-terminated sentence without a final newline, valid until
 * this thread's next wd_strerror() or wd_request_queue().
 */
const char *wd_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* WD_H */
