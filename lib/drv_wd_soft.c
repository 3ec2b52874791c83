// SPDX-License-Identifier: MIT
/*
 * drv_wd_soft.c: the user driver of api "wd_soft_v3", the ring protocol of
 * include/uapi/misc/uacce/wd_soft.h (docs/soft-device.md), over any
 * transport: the kernel's wd_soft module and the in-process device speak it
 * alike.
 *
 * The ring's common work is inline in include/wd_ring.h (libwd 1.4's fast
 * path), the one copy both the wd_ring_*() calls and the exported
 * wd_send*()/wd_recv*()/wd_flush() (under the queue's locks) run; this
 * file sets the ring up (struct wd_ring, the first member of struct wd_q)
 * and does the rest out of line: streams, SHA-256 with its state, a
 * broken queue, a device gone (__wd_ring_recv()), waiting.
 *
 * Submission: a send writes the SQE, then its phase (release), which
 * hands it to the device; a flush, after a full barrier, kicks the engine
 * only if it announced NEED_WAKEUP. Completion: a receive takes the next
 * CQEs (requests complete in order), hands back the requests recorded for
 * their slots and stores cq_head once per call. At most depth requests
 * are sent and not received, so the device never finds SQEs waiting behind
 * a full completion ring, and receiving never needs a KICK. Waiting:
 * the process arms WD_SOFT_CQN_ARMED so the device wakes it only when it
 * sleeps (WD_SOFT_CQN_ENABLE).
 *
 * Streams (wd_stream_*(), lib/stream.c): a context opened and closed by
 * the device's own command (WD_SOFT_CMD_CTX through the transport's
 * dev_cmd), requests on the same ring naming it in the SQE's ctx with the
 * flush in sflags. Each slot records what kind of request it holds, so a
 * completion fills the right structure (struct wd_stream_req for a
 * stream's: consumed input, output, flags).
 *
 * SHA-256 with the caller's state (wd_digest_state_send()): an SQE with
 * WD_SOFT_SQE_F_STATE and the state's address, no context. Its completion
 * fills a struct wd_stream_req too, from what libwd knows rather than from
 * the CQE: in_len is the whole source when OK, the END flag that of a
 * FINISH; the CQE must carry no stream results at all and exactly the
 * digest's size (FINISH) or nothing (update) as output.
 *
 * Nothing read from the shared regions is trusted: a completion index more
 * than a ring ahead, a CQE whose user_data is not the index expected, an
 * OK one with more output than the destination holds, one that consumed
 * more input than the source holds, flags the protocol does not have, or
 * stream results on a plain request, breaks the queue (-EIO) instead of
 * handing back a wrong pointer or a wrong length.
 *
 * Every request sent comes back exactly once. When the queue breaks, the
 * library stops it (PUT_Q: the device lets go of the buffers) and hands
 * back the requests still in flight with status -EIO; when the device is
 * gone, with -ECANCELED, without touching the rings. Then -EIO or -ENODEV.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "uapi/misc/uacce/uacce.h"
#include "uapi/misc/uacce/wd_soft.h"
#include "wd_priv.h"

struct wds_alg {
	const char *name;
	enum wd_class cls;
	uint16_t op;		/* copy, digest; compress */
	uint16_t op_dec;	/* decompress */
};

static const struct wds_alg wds_algs[] = {
	{ "nop",	WD_CLASS_COPY,   WD_SOFT_OP_NOP,         0 },
	{ "copy",	WD_CLASS_COPY,   WD_SOFT_OP_COPY,        0 },
	{ "crc32c",	WD_CLASS_DIGEST, WD_SOFT_OP_CRC32C,      0 },
	{ "sha256",	WD_CLASS_DIGEST, WD_SOFT_OP_SHA256,      0 },
	{ "deflate",	WD_CLASS_COMP,   WD_SOFT_OP_DEFLATE,     WD_SOFT_OP_INFLATE },
	{ "zlib",	WD_CLASS_COMP,   WD_SOFT_OP_ZLIB_COMP,   WD_SOFT_OP_ZLIB_DECOMP },
	{ "gzip",	WD_CLASS_COMP,   WD_SOFT_OP_GZIP_COMP,   WD_SOFT_OP_GZIP_DECOMP },
};

/* what a ring slot holds (struct wds.kind[]) */
enum wds_slot {
	WDS_SLOT_PLAIN,		/* the queue's class: wd_copy_req, ... */
	WDS_SLOT_STREAM,	/* struct wd_stream_req */
	WDS_SLOT_CRC_FINAL,	/* a crc32c stream's FINISH: the raw register */
	WDS_SLOT_STATE,		/* a SHA-256 update with its state: wd_stream_req */
	WDS_SLOT_STATE_FINAL,	/* ... its FINISH */
};

_Static_assert(sizeof(struct wd_sha256_state) ==
	       sizeof(struct wd_soft_sha256_state) &&
	       offsetof(struct wd_sha256_state, count) ==
	       offsetof(struct wd_soft_sha256_state, count) &&
	       offsetof(struct wd_sha256_state, buf) ==
	       offsetof(struct wd_soft_sha256_state, buf) &&
	       WD_SHA256_STATE_ALIGN == WD_SOFT_STATE_ALIGN,
	       "wd.h's SHA-256 state is the protocol's");

/* struct wd_stream.kind: what a stream's requests may ask */
#define WDS_SK_DIGEST	(1u << 0)	/* NO_FLUSH or FINISH, no DICT */
#define WDS_SK_CRC32C	(1u << 1)	/* a digest whose result is finished here */
#define WDS_SK_COMP	(1u << 2)	/* any flush */
#define WDS_SK_DECOMP	(1u << 3)	/* NO_FLUSH only */
#define WDS_SK_DICT	(1u << 4)	/* takes WD_STREAM_DICT (with NO_FLUSH) */

/* the driver's own state (the ring's is q->ring) */
struct wds {
	const struct wds_alg *alg;
	struct wd_soft_dus_hdr *hdr;
	bool stopped;		/* receiver: stopped after breaking */
	uint8_t *kind;		/* q->ring.kind: enum wds_slot per slot */
	void *reqs[];		/* q->ring.reqs */
};

static inline struct wds *wds(struct wd_q *q)
{
	return q->drv_priv;
}

static const struct wds_alg *wds_find(const char *alg)
{
	for (size_t i = 0; i < sizeof(wds_algs) / sizeof(wds_algs[0]); i++)
		if (!strcmp(wds_algs[i].name, alg))
			return &wds_algs[i];
	return NULL;
}

static int wds_alg(const char *alg, enum wd_class *cls)
{
	const struct wds_alg *a = wds_find(alg);

	if (!a)
		return -ENODEV;
	*cls = a->cls;
	return 0;
}

static uint32_t ld_acq(const uint32_t *p)
{
	return __wd_ring_ld_acq(p);
}

static void st_rel(uint32_t *p, uint32_t v)
{
	__wd_ring_st_rel(p, v);
}

/* wd_ring.h's flush found the engine asleep */
WD_EXPORT void __wd_ring_kick(struct wd_queue *pub)
{
	struct wd_q *q = pub->priv;

	if (q->tp->kick(q) == -ENODEV)
		wd_q_set_dead(q);
}

static int wds_init(struct wd_q *q)
{
	struct wd_soft_dus_hdr *hdr;
	void *mmio, *dus;
	struct wds *s;
	uint32_t depth;
	int ret;

	ret = q->tp->region(q, UACCE_QFRT_MMIO, WD_SOFT_MMIO_SIZE, &mmio);
	if (ret)
		return ret;
	ret = q->tp->region(q, UACCE_QFRT_DUS, WD_SOFT_DUS_SIZE, &dus);
	if (ret)
		return ret;
	hdr = dus;
	depth = hdr->depth;
	if (hdr->magic != WD_SOFT_MAGIC || !depth || (depth & (depth - 1)) ||
	    hdr->sqe_size != sizeof(struct wd_soft_sqe) ||
	    hdr->cqe_size != sizeof(struct wd_soft_cqe) ||
	    hdr->sq_off < sizeof(*hdr) || hdr->cq_off < sizeof(*hdr) ||
	    (uint64_t)hdr->sq_off + (uint64_t)depth * hdr->sqe_size > WD_SOFT_DUS_SIZE ||
	    (uint64_t)hdr->cq_off + (uint64_t)depth * hdr->cqe_size > WD_SOFT_DUS_SIZE)
		return -EPROTO;	/* not the wd_soft_v3 layout */
	s = calloc(1, sizeof(*s) + depth * (sizeof(s->reqs[0]) + 1));
	if (!s)
		return -ENOMEM;
	s->kind = (uint8_t *)&s->reqs[depth];
	s->alg = wds_find(q->alg);
	s->hdr = hdr;
	q->drv_priv = s;
	q->ring.sq = (void *)((char *)dus + hdr->sq_off);
	q->ring.cq = (void *)((char *)dus + hdr->cq_off);
	q->ring.mmio = mmio;
	q->ring.reqs = s->reqs;
	q->ring.kind = s->kind;
	q->ring.depth = depth;
	q->ring.cls = s->alg->cls;
	q->ring.op = s->alg->op;
	q->ring.op_dec = s->alg->op_dec;
	q->ring.mode = q->mode;
	ret = q->tp->start(q);
	if (ret) {
		free(s);
		q->drv_priv = NULL;
		return ret;
	}
	/* START_Q reset every index and cq_notify: wake us only when we
	 * sleep */
	st_rel(&q->ring.mmio->cq_notify, WD_SOFT_CQN_ENABLE);
	q->pub->depth = depth;
	return 0;
}

static void wds_fini(struct wd_q *q)
{
	/* the device completes or cancels what is in flight and stops
	 * touching the queue's buffers before this returns; a device gone
	 * has stopped already (and its regions may be gone with it) */
	if (!wd_q_dead(q))
		q->tp->stop(q);
	free(q->drv_priv);
	q->drv_priv = NULL;
	q->ring.cls = 0;
}

/* ---- submission ---- */

static int wds_addr(struct wd_q *q, const void *p, uint32_t len, uint64_t *a)
{
	return __wd_ring_addr(&q->ring, p, len, a);
}

/* ---- completion ---- */

static int wds_status(uint32_t st)
{
	return __wd_ring_status(st);
}

static uint32_t wds_crc_finish(void *dst)
{
	return __wd_ring_crc_finish(dst);
}

static void wds_complete_stream(struct wd_stream_req *r, uint8_t kind,
				const struct wd_soft_cqe *cqe)
{
	r->status = wds_status(cqe->status);
	r->in_len = cqe->in_len;
	r->out_len = cqe->out_len;
	r->flags = (cqe->cflags & WD_SOFT_CF_END ? WD_STREAM_END : 0) |
		   (cqe->cflags & WD_SOFT_CF_MORE ? WD_STREAM_MORE : 0) |
		   (cqe->cflags & WD_SOFT_CF_NEED_DICT ? WD_STREAM_NEED_DICT : 0);
	r->dict_id = cqe->cflags & WD_SOFT_CF_NEED_DICT ? cqe->dict_id : 0;
	if (kind == WDS_SLOT_CRC_FINAL && !r->status &&
	    cqe->out_len == WD_CRC32C_SIZE)
		wds_crc_finish(r->dst);
}

/* a SHA-256 step with its state: what the device may not say is known */
static void wds_complete_state(struct wd_stream_req *r, uint8_t kind,
			       const struct wd_soft_cqe *cqe)
{
	r->status = wds_status(cqe->status);
	r->in_len = r->status ? 0 : r->src_len;
	r->out_len = cqe->out_len;
	r->flags = !r->status && kind == WDS_SLOT_STATE_FINAL ?
		   WD_STREAM_END : 0;
	r->dict_id = 0;
}

static void wds_complete(const struct wd_ring *r, uint8_t kind, void *req,
			 const struct wd_soft_cqe *cqe)
{
	if (kind == WDS_SLOT_STATE || kind == WDS_SLOT_STATE_FINAL)
		wds_complete_state(req, kind, cqe);
	else if (kind != WDS_SLOT_PLAIN)
		wds_complete_stream(req, kind, cqe);
	else
		__wd_ring_complete(r, req, cqe);
}

/*
 * Could a correct device have posted @cqe for @req (a @kind slot)? An OK
 * completion never reports more output than the destination holds (a NOP
 * none at all): one that does is not believed, and its destination not
 * touched (the CRC-32C finishing in wds_complete() writes 4 bytes at
 * dst). A stream's never consumed more than its source nor has flags the
 * protocol lacks; a plain request's has no stream results at all. A
 * SHA-256 step with its state has no stream results either, and its OK
 * output is exactly the digest (FINISH) or nothing (update).
 */
static bool wds_cqe_possible(const struct wd_ring *r, uint8_t kind,
			     const void *req, const struct wd_soft_cqe *cqe)
{
	const struct wd_stream_req *sr = req;

	if (kind == WDS_SLOT_STATE || kind == WDS_SLOT_STATE_FINAL) {
		if (cqe->in_len || cqe->cflags || cqe->dict_id)
			return false;
		if (cqe->status != WD_SOFT_S_OK)
			return true;
		return kind == WDS_SLOT_STATE ? !cqe->out_len :
		       cqe->out_len == WD_SHA256_SIZE &&
		       sr->dst_len >= WD_SHA256_SIZE;
	}
	if (kind != WDS_SLOT_PLAIN)
		return cqe->in_len <= sr->src_len &&
		       !(cqe->cflags & ~(WD_SOFT_CF_END | WD_SOFT_CF_MORE |
					 WD_SOFT_CF_NEED_DICT)) &&
		       (cqe->status != WD_SOFT_S_OK ||
			cqe->out_len <= sr->dst_len);
	/* a plain request: wd_ring.h's rule */
	return __wd_ring_cqe_possible(r, req, cqe);
}

/*
 * The queue broke or its device is gone: hand back up to max requests
 * still in flight, oldest first, with @status (the device's own code, as
 * a CQE would carry it), without touching the rings. How many; 0 when
 * none is left.
 */
static int wds_drain(struct wd_q *q, void **reqs, int max, uint32_t status)
{
	struct wd_ring *r = &q->ring;
	uint32_t head = r->cq_head;
	uint32_t tail = ld_acq(&r->sq_tail);
	struct wd_soft_cqe cqe = { .status = status };
	int n = 0;

	while (n < max && head != tail) {
		void *req = r->reqs[head & (r->depth - 1)];

		wds_complete(r, r->kind[head & (r->depth - 1)], req, &cqe);
		reqs[n++] = req;
		head++;
	}
	st_rel(&r->cq_head, head);
	return n;
}

/* Receiving on a dead or broken queue: what is in flight, then -errno. */
static int wds_recv_ended(struct wd_q *q, void **reqs, int max)
{
	struct wds *s = wds(q);
	int n;

	if (wd_q_dead(q)) {
		n = wds_drain(q, reqs, max, WD_SOFT_S_CANCELED);
		return n ? n : -ENODEV;
	}
	/* the device must have let go of the buffers first */
	if (!s->stopped) {
		q->tp->stop(q);
		s->stopped = true;
	}
	n = wds_drain(q, reqs, max, WD_SOFT_S_DEV_ERR);
	return n ? n : -EIO;
}

/*
 * wd_ring.h's receive, out of line: what its inline loop leaves to us (a
 * broken queue, a device gone, completions of streams and of SHA-256
 * steps with their state), for any kind of slot, with the same checks
 * (the plain ones are wd_ring.h's). Up to max (>= 1) completions, in
 * order: how many, 0 when none is there, -EIO when the queue is (or just
 * turned out) broken; the completions before a CQE that breaks it are
 * still handed back (the -EIO then comes with the next call), as
 * receiving one at a time would have.
 */
WD_EXPORT int __wd_ring_recv(struct wd_queue *pub, void **reqs, int max)
{
	struct wd_q *q = pub->priv;
	struct wd_ring *r = &q->ring;
	uint32_t head = r->cq_head;
	uint32_t sq_tail, mask = r->depth - 1;
	int n = 0;

	if (wd_q_dead(q) || __wd_ring_flag(&r->broken))
		return wds_recv_ended(q, reqs, max);
	if (!__wd_ring_cqe_ready(r, head)) {
		if (!(ld_acq(&r->mmio->status) & WD_SOFT_ST_BROKEN))
			return 0;
		__wd_ring_set_flag(&r->broken);
		return wds_recv_ended(q, reqs, max);
	}
	/* covers every request the device can have completed */
	sq_tail = ld_acq(&r->sq_tail);
	while (n < max && (!n || __wd_ring_cqe_ready(r, head))) {
		/* a copy: the device cannot change it between check and use */
		struct wd_soft_cqe cqe = r->cq[head & mask];
		void *req = r->reqs[head & mask];
		uint8_t kind = r->kind[head & mask];

		if (cqe.user_data != head || head == sq_tail ||
		    !wds_cqe_possible(r, kind, req, &cqe)) {
			/* the device is not to be believed */
			__wd_ring_set_flag(&r->broken);
			break;
		}
		wds_complete(r, kind, req, &cqe);
		reqs[n++] = req;
		head++;
	}
	if (!n)
		return wds_recv_ended(q, reqs, max);
	/*
	 * The doorbell first, then the slots go back to the sender: so the
	 * device never sees more than depth requests between its CQ head and
	 * the SQ tail, a full completion ring never holds back an SQE, and
	 * the engine never sleeps on one: no KICK is ever needed here.
	 */
	st_rel(&r->mmio->cq_head, head);
	st_rel(&r->cq_head, head);
	return n;
}

static int wds_arm(struct wd_q *q)
{
	struct wd_ring *r = &q->ring;

	__atomic_store_n(&r->mmio->cq_notify,
			 WD_SOFT_CQN_ENABLE | WD_SOFT_CQN_ARMED, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__wd_ring_cqe_ready(r, r->cq_head) ||
	    (ld_acq(&r->mmio->status) & WD_SOFT_ST_BROKEN)) {
		st_rel(&r->mmio->cq_notify, WD_SOFT_CQN_ENABLE);
		return 1;
	}
	return 0;
}

static void wds_disarm(struct wd_q *q)
{
	st_rel(&q->ring.mmio->cq_notify, WD_SOFT_CQN_ENABLE);
}

static uint32_t wds_inflight(struct wd_q *q)
{
	return ld_acq(&q->ring.sq_tail) - ld_acq(&q->ring.cq_head);
}

/* ---- streams ---- */

static int wds_stream_open(struct wd_q *q, struct wd_stream *st, uint32_t op,
			   uint32_t level)
{
	const struct wds_alg *alg = wds(q)->alg;
	struct wd_soft_ctx_cmd c = { .cmd = WD_SOFT_CTX_OPEN };
	uint32_t kind;
	int ret;

	switch (alg->cls) {
	case WD_CLASS_DIGEST:
		if (op || level)
			return -EINVAL;
		c.op = alg->op;
		kind = WDS_SK_DIGEST;
		if (alg->op == WD_SOFT_OP_CRC32C)
			kind |= WDS_SK_CRC32C;
		break;
	case WD_CLASS_COMP:
		if (op == WD_COMPRESS && level <= 9) {
			c.op = alg->op;
			c.level = level;
			kind = WDS_SK_COMP;
		} else if (op == WD_DECOMPRESS && !level) {
			c.op = alg->op_dec;
			kind = WDS_SK_DECOMP;
		} else {
			return -EINVAL;
		}
		/* preset dictionaries: deflate and zlib, not gzip */
		if (alg->op != WD_SOFT_OP_GZIP_COMP)
			kind |= WDS_SK_DICT;
		break;
	default:
		return -EINVAL;		/* nop, copy: no streams */
	}
	ret = q->tp->dev_cmd(q, WD_SOFT_CMD_CTX, &c);
	if (ret == -ENODEV)
		wd_q_set_dead(q);
	if (ret == -ENOTTY)
		return -EOPNOTSUPP;	/* a device without the command */
	if (ret)
		return ret;
	if (!c.ctx)
		return -EPROTO;		/* never 0: not to be believed */
	st->ctx = c.ctx;
	st->op = c.op;
	st->kind = kind;
	return 0;
}

static void wds_stream_close(struct wd_q *q, struct wd_stream *st)
{
	struct wd_soft_ctx_cmd c = { .cmd = WD_SOFT_CTX_CLOSE, .ctx = st->ctx };

	/* requests still in flight on it complete with WD_SOFT_S_BAD_CTX */
	if (q->tp->dev_cmd(q, WD_SOFT_CMD_CTX, &c) == -ENODEV)
		wd_q_set_dead(q);
}

/* enum wd_flush -> sflags */
static const uint32_t wds_sflush[] = {
	[WD_NO_FLUSH] = WD_SOFT_SF_NO_FLUSH,
	[WD_SYNC_FLUSH] = WD_SOFT_SF_SYNC_FLUSH,
	[WD_FULL_FLUSH] = WD_SOFT_SF_FULL_FLUSH,
	[WD_FINISH] = WD_SOFT_SF_FINISH,
};

/* the SQE of one request of @st; its slot's kind in *kind */
static int wds_stream_prep(struct wd_q *q, const struct wd_stream *st,
			   const struct wd_stream_req *r,
			   struct wd_soft_sqe *sqe, uint8_t *kind)
{
	uint32_t flush = r->flush & ~WD_STREAM_DICT;
	bool dict = r->flush & WD_STREAM_DICT;
	uint64_t a;
	int ret;

	if (flush > WD_FINISH)
		return -EINVAL;
	if (dict && (!(st->kind & WDS_SK_DICT) || flush != WD_NO_FLUSH))
		return -EINVAL;
	if ((st->kind & WDS_SK_DIGEST) &&
	    flush != WD_NO_FLUSH && flush != WD_FINISH)
		return -EINVAL;
	if ((st->kind & WDS_SK_DECOMP) && flush != WD_NO_FLUSH)
		return -EINVAL;
	*kind = (st->kind & WDS_SK_CRC32C) && flush == WD_FINISH ?
		WDS_SLOT_CRC_FINAL : WDS_SLOT_STREAM;
	sqe->op = (uint16_t)st->op;
	sqe->ctx = st->ctx;
	sqe->sflags = wds_sflush[flush] | (dict ? WD_SOFT_SF_DICT : 0) |
		      (st->reset ? WD_SOFT_SF_RESET : 0);
	ret = wds_addr(q, r->src, r->src_len, &a);
	if (ret)
		return ret;
	sqe->src = a;
	ret = wds_addr(q, r->dst, r->dst_len, &a);
	if (ret)
		return ret;
	sqe->dst = a;
	sqe->src_len = r->src_len;
	sqe->dst_len = r->dst_len;
	return 0;
}

/* one request of @st, as wd_ring.h queues one */
static int wds_stream_send(struct wd_q *q, struct wd_stream *st,
			   struct wd_stream_req *r)
{
	struct wd_soft_sqe sqe = { 0 };
	uint8_t kind;
	int ret;

	ret = __wd_ring_room(&q->ring);
	if (ret)
		return ret;
	ret = wds_stream_prep(q, st, r, &sqe, &kind);
	if (ret)
		return ret;
	__wd_ring_push(&q->ring, r, &sqe, kind);
	/* the reset goes with this request, once */
	st->reset = false;
	return 0;
}

/* ---- SHA-256 with the caller's state ---- */

/* one step of a digest whose state is @st, as wds_stream_send() queues one */
static int wds_state_send(struct wd_q *q, struct wd_stream_req *r,
			  struct wd_sha256_state *st)
{
	struct wds *s = wds(q);
	bool fin = r->flush == WD_FINISH;
	struct wd_soft_sqe sqe = {
		.op = WD_SOFT_OP_SHA256,
		.flags = WD_SOFT_SQE_F_STATE,
		.sflags = fin ? WD_SOFT_SF_FINISH : WD_SOFT_SF_NO_FLUSH,
	};
	uint64_t a;
	int ret;

	if (s->alg->op != WD_SOFT_OP_SHA256)
		return -EINVAL;
	ret = __wd_ring_room(&q->ring);
	if (ret)
		return ret;
	ret = wds_addr(q, st, sizeof(*st), &a);
	if (ret)
		return ret;
	sqe.state = a;
	ret = wds_addr(q, r->src, r->src_len, &a);
	if (ret)
		return ret;
	sqe.src = a;
	sqe.src_len = r->src_len;
	if (fin) {
		/* an update has no destination (the protocol's INVAL) */
		ret = wds_addr(q, r->dst, r->dst_len, &a);
		if (ret)
			return ret;
		sqe.dst = a;
		sqe.dst_len = r->dst_len;
	}
	__wd_ring_push(&q->ring, r, &sqe,
		       fin ? WDS_SLOT_STATE_FINAL : WDS_SLOT_STATE);
	return 0;
}

const struct wd_driver wd_drv_wd_soft = {
	.api = WD_SOFT_API,
	.alg = wds_alg,
	.init = wds_init,
	.fini = wds_fini,
	.arm = wds_arm,
	.disarm = wds_disarm,
	.inflight = wds_inflight,
	.stream_open = wds_stream_open,
	.stream_close = wds_stream_close,
	.stream_send = wds_stream_send,
	.state_send = wds_state_send,
};
