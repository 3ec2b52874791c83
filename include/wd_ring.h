/* SPDX-License-Identifier: MIT */
/*
 * wd_ring.h: libwd's fast path (since libwd 1.4), inline, in the manner of
 * liburing: sending and receiving a request is code compiled into the
 * caller, with no call into the library, no lock, no atomic
 * read-modify-write; the shared ring words are touched with acquire loads
 * and release stores only (plain moves on x86). docs/libwd.md: the design;
 * wd_ring_send_copy(3): the rules.
 *
 * Threads: the wd_ring_*() calls on one queue are made by one thread at a
 * time; the caller serialises them (one queue per thread is the intended
 * use). They must not run concurrently with the exported calls on the same
 * queue (wd_send(), wd_recv(), ...), which keep their own locked contract
 * (wd.h) and run this same code under the queue's locks: both may be used
 * on a queue one after the other.
 *
 * Everything else is as with the exported calls: a request belongs to the
 * library from its send until a receive hands it back; every request sent
 * comes back once, also from a broken queue (status -EIO) or a device gone
 * (-ECANCELED); every completion is checked before it is believed; in a
 * fork child every call on an inherited queue fails with -EPERM (a
 * generation number compared inline); PASID and NOIOMMU buffers outside
 * the reserved memory fail with -EFAULT at send. Completions of streams
 * and of wd_digest_state_send() take an out-of-line path inside libwd.
 *
 * The names starting with "__wd_ring" are libwd's, for this header only.
 * struct wd_ring's layout is part of libwd.so.1's ABI from WD_1.4 on.
 */
#ifndef WD_RING_H
#define WD_RING_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <wd.h>
#include <wd/wd_soft.h>	/* the ring protocol wd_soft_v3 (uapi) */

#ifdef __cplusplus
extern "C" {
#endif

/* struct wd_ring.cls: the request structure a queue takes (0: no fast path) */
#define __WD_RING_COPY		1	/* struct wd_copy_req */
#define __WD_RING_DIGEST	2	/* struct wd_digest_req */
#define __WD_RING_COMP		3	/* struct wd_comp_req */

/* struct wd_ring.kind[]: what a slot in flight holds */
#define __WD_RING_SLOT_PLAIN	0	/* the queue's class; others: the slow path */

/**
 * struct wd_ring - a queue's ring as the inline code sees it: the first
 *	member of the state q->priv points to (libwd's; read only by callers)
 * @sq: the submission ring (depth entries)
 * @cq: the completion ring (depth entries)
 * @mmio: the queue's MMIO page (cq_head, status)
 * @reqs: the request of each slot in flight
 * @kind: __WD_RING_SLOT_* of each slot in flight
 * @depth: entries per ring, a power of two
 * @cls: __WD_RING_COPY, _DIGEST, _COMP; 0 for a queue without a fast path
 * @op: the device operation of the queue's algorithm (compression: compress)
 * @op_dec: decompression's
 * @mode: WD_DEV_SVA, WD_DEV_PASID or WD_DEV_NOIOMMU
 * @fork_gen: __wd_ring_fork_gen when the queue was requested
 * @ss_va: the reserved (or shared) memory, 0 if none
 * @ss_size: its size
 * @ss_dma: NOIOMMU: its bus address
 * @broken: the queue broke (any thread: relaxed byte stores, no RMW)
 * @dead: its device is gone (as @broken)
 * @sq_tail: sender: requests sent (release: receivers drain below it)
 * @sq_pub: sender: @sq_tail at the last flush
 * @cq_head: receiver: requests received (release: senders reuse below it)
 *
 * The sender's and the receiver's words are a cache line apart from each
 * other and from the read-mostly part: under the exported calls' contract
 * a sender and a receiver run on two CPUs at once.
 */
struct wd_ring {
	struct wd_soft_sqe *sq;
	struct wd_soft_cqe *cq;
	struct wd_soft_mmio *mmio;
	void **reqs;
	uint8_t *kind;
	uint32_t depth;
	uint8_t cls;
	uint8_t broken;
	uint8_t dead;
	uint8_t rsvd0;
	uint16_t op;
	uint16_t op_dec;
	uint32_t mode;
	unsigned long fork_gen;
	uintptr_t ss_va;
	uint64_t ss_size;
	uint64_t ss_dma;
	char pad0[64];
	uint32_t sq_tail;
	uint32_t sq_pub;
	char pad1[64 - 2 * sizeof(uint32_t)];
	uint32_t cq_head;
	char pad2[64 - sizeof(uint32_t)];
};

/* Bumped in every child of fork() (libwd's pthread_atfork handler). */
extern unsigned long __wd_ring_fork_gen;

/*
 * Out of line, libwd's (not for callers): receiving what the inline code
 * leaves (a broken queue, a device gone, stream and state completions;
 * as wd_ring_recv_many() with the checks done), and waking the engine.
 */
int __wd_ring_recv(struct wd_queue *q, void **reqs, int max);
void __wd_ring_kick(struct wd_queue *q);

/* ---- shared words ---- */

static inline uint32_t __wd_ring_ld_acq(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void __wd_ring_st_rel(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline uint8_t __wd_ring_flag(const uint8_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void __wd_ring_set_flag(uint8_t *p)
{
	__atomic_store_n(p, 1, __ATOMIC_RELAXED);
}

/*
 * The ring of @q if this process may use it: 0, -EINVAL (@q NULL or not
 * requested), -EPERM (inherited across fork()).
 */
static inline int __wd_ring_get(struct wd_queue *q, struct wd_ring **rp)
{
	struct wd_ring *r;

	if (!q || !q->priv)
		return -EINVAL;
	r = (struct wd_ring *)q->priv;
	if (r->fork_gen != __atomic_load_n(&__wd_ring_fork_gen,
					   __ATOMIC_RELAXED))
		return -EPERM;
	*rp = r;
	return 0;
}

/* ---- submission ---- */

/*
 * The device address of [p, p + len) (mem.c's rule, the one copy): SVA as
 * it is; PASID and NOIOMMU inside the reserved memory only (NOIOMMU: its
 * bus address). 0, -EINVAL (NULL with a length), -EFAULT.
 */
static inline int __wd_ring_addr(const struct wd_ring *r, const void *p,
				 uint64_t len, uint64_t *a)
{
	uintptr_t v = (uintptr_t)p;

	if (!p && len)
		return -EINVAL;
	if (r->mode == WD_DEV_SVA || (!p && !len)) {
		*a = v;
		return 0;
	}
	if (!r->ss_size || v < r->ss_va || v - r->ss_va > r->ss_size ||
	    len > r->ss_size - (v - r->ss_va))
		return -EFAULT;
	*a = r->mode == WD_DEV_NOIOMMU ? r->ss_dma + (v - r->ss_va) : v;
	return 0;
}

/* The buffers of an SQE being prepared: 0 or __wd_ring_addr()'s error. */
static inline int __wd_ring_bufs(const struct wd_ring *r,
				 struct wd_soft_sqe *sqe,
				 const void *src, uint32_t src_len,
				 const void *dst, uint32_t dst_len)
{
	uint64_t s = 0, d = 0;
	int ret = __wd_ring_addr(r, src, src_len, &s);

	if (!ret)
		ret = __wd_ring_addr(r, dst, dst_len, &d);
	sqe->src = s;
	sqe->dst = d;
	sqe->src_len = src_len;
	sqe->dst_len = dst_len;
	return ret;
}

static inline int __wd_ring_prep_copy(const struct wd_ring *r,
				      const struct wd_copy_req *req,
				      struct wd_soft_sqe *sqe)
{
	sqe->op = r->op;
	if (r->op == WD_SOFT_OP_NOP)
		return 0;
	return __wd_ring_bufs(r, sqe, req->src, req->src_len, req->dst,
			      req->dst_len);
}

static inline int __wd_ring_prep_digest(const struct wd_ring *r,
					const struct wd_digest_req *req,
					struct wd_soft_sqe *sqe)
{
	sqe->op = r->op;
	if (r->op == WD_SOFT_OP_CRC32C)
		sqe->params = ~req->seed;	/* the device's raw register */
	else if (req->seed)
		return -EINVAL;
	return __wd_ring_bufs(r, sqe, req->src, req->src_len, req->dst,
			      req->dst_len);
}

static inline int __wd_ring_prep_comp(const struct wd_ring *r,
				      const struct wd_comp_req *req,
				      struct wd_soft_sqe *sqe)
{
	if (req->op == WD_COMPRESS && req->level <= 9)
		sqe->op = r->op;
	else if (req->op == WD_DECOMPRESS && !req->level)
		sqe->op = r->op_dec;
	else
		return -EINVAL;
	sqe->params = req->level;
	return __wd_ring_bufs(r, sqe, req->src, req->src_len, req->dst,
			      req->dst_len);
}

/*
 * May a sender queue one more request: 0, -ENODEV (device gone), -EIO
 * (queue broken), -EBUSY (depth in flight).
 */
static inline int __wd_ring_room(const struct wd_ring *r)
{
	if (__wd_ring_flag(&r->dead))
		return -ENODEV;
	if (__wd_ring_flag(&r->broken))
		return -EIO;
	if (r->sq_tail - __wd_ring_ld_acq(&r->cq_head) >= r->depth)
		return -EBUSY;
	return 0;
}

/*
 * Queue @sqe for @req in the next slot (there is room): every field but
 * the phase, then the phase (release), which hands it to the device; then
 * the tail (release), below which a receiver may drain reqs[].
 */
static inline void __wd_ring_push(struct wd_ring *r, void *req,
				  struct wd_soft_sqe *sqe, uint8_t kind)
{
	uint32_t tail = r->sq_tail, slot = tail & (r->depth - 1);
	struct wd_soft_sqe *e = &r->sq[slot];

	sqe->user_data = tail;
	r->reqs[slot] = req;
	r->kind[slot] = kind;
	memcpy(e, sqe, offsetof(struct wd_soft_sqe, phase));
	__wd_ring_st_rel(&e->phase, WD_SOFT_PHASE(tail, r->depth));
	__wd_ring_st_rel(&r->sq_tail, tail + 1);
}

/*
 * Queue one request of the queue's class (the exported wd_send*() path,
 * under the send lock; the typed sends below do the same for theirs):
 * 0 or -errno, nothing queued on error.
 */
static inline int __wd_ring_send_one(struct wd_ring *r, void *req)
{
	struct wd_soft_sqe sqe;
	int ret = __wd_ring_room(r);

	if (ret)
		return ret;
	memset(&sqe, 0, sizeof(sqe));
	switch (r->cls) {
	case __WD_RING_COPY:
		ret = __wd_ring_prep_copy(r, (const struct wd_copy_req *)req, &sqe);
		break;
	case __WD_RING_DIGEST:
		ret = __wd_ring_prep_digest(r, (const struct wd_digest_req *)req,
					    &sqe);
		break;
	case __WD_RING_COMP:
		ret = __wd_ring_prep_comp(r, (const struct wd_comp_req *)req, &sqe);
		break;
	default:
		ret = -EINVAL;
	}
	if (!ret)
		__wd_ring_push(r, req, &sqe, __WD_RING_SLOT_PLAIN);
	return ret;
}

/* the checks every typed send makes before its own: 0 or -errno */
static inline int __wd_ring_send_check(struct wd_queue *q, const void *req,
				       unsigned int cls, struct wd_ring **rp)
{
	int ret = __wd_ring_get(q, rp);

	if (ret)
		return ret;
	if (__wd_ring_flag(&(*rp)->dead))
		return -ENODEV;
	if (!req || (*rp)->cls != cls)
		return -EINVAL;
	return __wd_ring_room(*rp);
}

/**
 * wd_ring_send_copy() - queue a "copy" or "nop" request, inline
 * @q: a requested queue of algorithm "copy" or "nop"
 * @req: the request (wd_prep_copy()); the library's until a receive hands
 *	it back
 *
 * As wd_send(): the device may start on it at once; wd_ring_flush() wakes
 * a sleeping engine. Nothing is queued on error.
 *
 * Context: the queue's wd_ring_*() thread (see the top of this file).
 * Since libwd 1.4.
 * Return: 0, or -EINVAL (@q or @req NULL, @q not requested, a queue of
 * another class), -EBUSY (q->depth requests in flight), -EFAULT (PASID,
 * NOIOMMU: a buffer outside the queue's reserved memory), -EPERM
 * (inherited queue), -EIO (queue broken), -ENODEV (device gone).
 */
static inline int (wd_ring_send_copy)(struct wd_queue *q,
				    struct wd_copy_req *req)
{
	struct wd_soft_sqe sqe;
	struct wd_ring *r;
	int ret = __wd_ring_send_check(q, req, __WD_RING_COPY, &r);

	if (ret)
		return ret;
	memset(&sqe, 0, sizeof(sqe));
	ret = __wd_ring_prep_copy(r, req, &sqe);
	if (!ret)
		__wd_ring_push(r, req, &sqe, __WD_RING_SLOT_PLAIN);
	return ret;
}

/**
 * wd_ring_send_digest() - queue a "crc32c" or "sha256" request, inline
 * @q: a requested queue of algorithm "crc32c" or "sha256"
 * @req: the request (wd_prep_digest())
 *
 * As wd_ring_send_copy().
 *
 * Context: the queue's wd_ring_*() thread. Since libwd 1.4.
 * Return: as wd_ring_send_copy(); -EINVAL also for a seed with "sha256".
 */
static inline int (wd_ring_send_digest)(struct wd_queue *q,
				      struct wd_digest_req *req)
{
	struct wd_soft_sqe sqe;
	struct wd_ring *r;
	int ret = __wd_ring_send_check(q, req, __WD_RING_DIGEST, &r);

	if (ret)
		return ret;
	memset(&sqe, 0, sizeof(sqe));
	ret = __wd_ring_prep_digest(r, req, &sqe);
	if (!ret)
		__wd_ring_push(r, req, &sqe, __WD_RING_SLOT_PLAIN);
	return ret;
}

/**
 * wd_ring_send_comp() - queue a "deflate", "zlib" or "gzip" request, inline
 * @q: a requested queue of algorithm "deflate", "zlib" or "gzip"
 * @req: the request (wd_prep_comp())
 *
 * As wd_ring_send_copy().
 *
 * Context: the queue's wd_ring_*() thread. Since libwd 1.4.
 * Return: as wd_ring_send_copy(); -EINVAL also for an unknown op or level.
 */
static inline int (wd_ring_send_comp)(struct wd_queue *q,
				    struct wd_comp_req *req)
{
	struct wd_soft_sqe sqe;
	struct wd_ring *r;
	int ret = __wd_ring_send_check(q, req, __WD_RING_COMP, &r);

	if (ret)
		return ret;
	memset(&sqe, 0, sizeof(sqe));
	ret = __wd_ring_prep_comp(r, req, &sqe);
	if (!ret)
		__wd_ring_push(r, req, &sqe, __WD_RING_SLOT_PLAIN);
	return ret;
}

/*
 * In C, a typed send takes exactly its structure: anything else, also a
 * void pointer, is a compile error whatever the warning flags (C++: the
 * functions' own types, which do not convert implicitly either).
 */
#ifndef __cplusplus
#define wd_ring_send_copy(q, req) \
	_Generic((req), struct wd_copy_req *: (wd_ring_send_copy))(q, req)
#define wd_ring_send_digest(q, req) \
	_Generic((req), struct wd_digest_req *: (wd_ring_send_digest))(q, req)
#define wd_ring_send_comp(q, req) \
	_Generic((req), struct wd_comp_req *: (wd_ring_send_comp))(q, req)
#endif

/* Make what was sent visible to a sleeping engine (the ring is usable). */
static inline void __wd_ring_flush(struct wd_queue *q, struct wd_ring *r)
{
	uint32_t tail = r->sq_tail;

	if (tail == r->sq_pub || __wd_ring_flag(&r->dead))
		return;
	/* the SQEs' phases are stored: the need-wakeup handshake */
	r->sq_pub = tail;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__wd_ring_ld_acq(&r->mmio->status) & WD_SOFT_ST_NEED_WAKEUP)
		__wd_ring_kick(q);
}

/**
 * wd_ring_flush() - wake the device's engine for what was sent, if it sleeps
 * @q: the queue; NULL, released, inherited or with its device gone:
 *	nothing happens
 *
 * As wd_flush(): a load of the device's status, a system call only when
 * the engine announced it sleeps.
 *
 * Context: the queue's wd_ring_*() thread. Since libwd 1.4.
 */
static inline void wd_ring_flush(struct wd_queue *q)
{
	struct wd_ring *r;

	if (!__wd_ring_get(q, &r))
		__wd_ring_flush(q, r);
}

/* ---- completion ---- */

/* the device's status as a request's (wd.h) */
static inline int __wd_ring_status(uint32_t st)
{
	switch (st) {
	case WD_SOFT_S_OK:		return 0;
	case WD_SOFT_S_BAD_OP:		return -EOPNOTSUPP;
	case WD_SOFT_S_BAD_ADDR:	return -EFAULT;
	case WD_SOFT_S_DST_SMALL:	return -ENOSPC;
	case WD_SOFT_S_CORRUPT:		return -EBADMSG;
	case WD_SOFT_S_DEV_ERR:		return -EIO;
	case WD_SOFT_S_CANCELED:	return -ECANCELED;
	case WD_SOFT_S_INVAL:		return -EINVAL;
	case WD_SOFT_S_BAD_CTX:		return -EBADF;
	default:			return -EPROTO;
	}
}

/* the device gives a CRC-32C's raw register: finish it in place (LE) */
static inline uint32_t __wd_ring_crc_finish(void *dst)
{
	uint8_t *d = (uint8_t *)dst;
	uint32_t crc = ~(d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24);

	d[0] = (uint8_t)crc, d[1] = (uint8_t)(crc >> 8);
	d[2] = (uint8_t)(crc >> 16), d[3] = (uint8_t)(crc >> 24);
	return crc;
}

/*
 * Could a correct device have posted @cqe for the plain request @req? No
 * stream results; an OK one never reports more output than the
 * destination holds (a NOP none): one that does is not believed and its
 * destination not touched (the CRC-32C finishing writes 4 bytes at dst).
 */
static inline int __wd_ring_cqe_possible(const struct wd_ring *r,
					 const void *req,
					 const struct wd_soft_cqe *cqe)
{
	uint32_t room;

	if (cqe->in_len || cqe->cflags)
		return 0;
	if (cqe->status != WD_SOFT_S_OK)
		return 1;
	switch (r->cls) {
	case __WD_RING_COPY:
		if (r->op == WD_SOFT_OP_NOP)
			return !cqe->out_len;
		room = ((const struct wd_copy_req *)req)->dst_len;
		break;
	case __WD_RING_DIGEST:
		room = ((const struct wd_digest_req *)req)->dst_len;
		break;
	default:
		room = ((const struct wd_comp_req *)req)->dst_len;
		break;
	}
	return cqe->out_len <= room;
}

/* fill in the plain request @req from its (checked) @cqe */
static inline void __wd_ring_complete(const struct wd_ring *r, void *req,
				      const struct wd_soft_cqe *cqe)
{
	int st = __wd_ring_status(cqe->status);

	switch (r->cls) {
	case __WD_RING_COPY: {
		struct wd_copy_req *c = (struct wd_copy_req *)req;

		c->status = st;
		c->out_len = cqe->out_len;
		break;
	}
	case __WD_RING_DIGEST: {
		struct wd_digest_req *d = (struct wd_digest_req *)req;

		d->status = st;
		d->out_len = cqe->out_len;
		if (!st && r->op == WD_SOFT_OP_CRC32C &&
		    cqe->out_len == WD_CRC32C_SIZE)
			d->crc = __wd_ring_crc_finish(d->dst);
		break;
	}
	default: {
		struct wd_comp_req *c = (struct wd_comp_req *)req;

		c->status = st;
		c->out_len = cqe->out_len;
		break;
	}
	}
}

/* Is CQE @i posted? Its other fields may be read after this (acquire). */
static inline int __wd_ring_cqe_ready(const struct wd_ring *r, uint32_t i)
{
	return __wd_ring_ld_acq(&r->cq[i & (r->depth - 1)].phase) ==
	       WD_SOFT_PHASE(i, r->depth);
}

/*
 * Collect up to @max (>= 1) completions of plain requests, in order; hand
 * anything else to __wd_ring_recv(). A CQE is believed only when its
 * user_data is its index, a request was sent for it and its contents are
 * possible; else the queue breaks (the completions before it are still
 * handed back, the -EIO comes with the next call). The CQ head goes to the
 * device once per call: the device's engine reads that line.
 */
static inline int __wd_ring_reap(struct wd_queue *q, struct wd_ring *r,
				 void **reqs, int max)
{
	uint32_t head = r->cq_head, mask = r->depth - 1, tail;
	const struct wd_soft_cqe *c = &r->cq[head & mask];
	int n = 0;

	if (__wd_ring_flag(&r->dead) || __wd_ring_flag(&r->broken))
		return __wd_ring_recv(q, reqs, max);
	if (!__wd_ring_cqe_ready(r, head)) {
		if (__wd_ring_ld_acq(&r->mmio->status) & WD_SOFT_ST_BROKEN)
			return __wd_ring_recv(q, reqs, max);
		return 0;
	}
	/* covers every request the device can have completed */
	tail = __wd_ring_ld_acq(&r->sq_tail);
	do {
		/* a copy: the device cannot change it between check and use */
		struct wd_soft_cqe cqe = *c;
		void *req = r->reqs[head & mask];

		if (r->kind[head & mask] != __WD_RING_SLOT_PLAIN)
			break;
		if (cqe.user_data != head || head == tail ||
		    !__wd_ring_cqe_possible(r, req, &cqe)) {
			__wd_ring_set_flag(&r->broken);
			break;
		}
		__wd_ring_complete(r, req, &cqe);
		reqs[n++] = req;
		c = &r->cq[++head & mask];
	} while (n < max && __wd_ring_cqe_ready(r, head));
	if (!n)
		return __wd_ring_recv(q, reqs, max);
	/* the device's copy first, then the slots go back to the sender:
	 * the device never sees more than depth in flight */
	__wd_ring_st_rel(&r->mmio->cq_head, head);
	__wd_ring_st_rel(&r->cq_head, head);
	return n;
}

/**
 * wd_ring_recv_many() - collect completed requests, inline, without waiting
 * @q: the queue
 * @reqs: room for @max pointers, set to the requests sent, oldest first,
 *	their results filled in
 * @max: the most to collect; 0 collects nothing
 *
 * As wd_recv_many(): neither flushes nor waits; requests complete in the
 * order sent; every request comes back once, on a broken queue with status
 * -EIO, after its device went away with -ECANCELED. Completions of
 * streams and wd_digest_state_send() come back too (out of line).
 *
 * Context: the queue's wd_ring_*() thread. Since libwd 1.4.
 * Return: how many (0: none completed yet, or @max 0), or -EINVAL (NULL
 * argument, @max < 0, @q not requested), -EPERM (inherited queue), -EIO
 * (queue broken), -ENODEV (device gone): these two once nothing is in
 * flight.
 */
static inline int wd_ring_recv_many(struct wd_queue *q, void **reqs, int max)
{
	struct wd_ring *r;
	int ret = __wd_ring_get(q, &r);

	if (ret)
		return ret;
	if (max < 0 || (!reqs && max))
		return -EINVAL;
	return max ? __wd_ring_reap(q, r, reqs, max) : 0;
}

/**
 * wd_ring_recv() - collect one completed request, inline, without waiting
 * @q: the queue
 * @req: set to the request sent, its results filled in
 *
 * wd_ring_recv_many(q, req, 1).
 *
 * Context: the queue's wd_ring_*() thread. Since libwd 1.4.
 * Return: 1 (*@req set), 0 (nothing completed yet), or
 * wd_ring_recv_many()'s errors.
 */
static inline int wd_ring_recv(struct wd_queue *q, void **req)
{
	struct wd_ring *r;
	int ret = __wd_ring_get(q, &r);

	if (ret)
		return ret;
	if (!req)
		return -EINVAL;
	return __wd_ring_reap(q, r, req, 1);
}

#ifdef __cplusplus
}
#endif

#endif /* WD_RING_H */
