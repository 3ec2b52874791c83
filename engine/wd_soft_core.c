// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * wd_soft_core.c: the portable engine core of the wd_soft device: the
 * device, the queues and their rings, serving a queue and dispatching its
 * requests to the operations.
 *
 * The core is compiled into the kernel module (kernel/wd_soft/Kbuild) and
 * into the user-space hosts from the list in sources.mk: this file,
 * wd_soft_buf.c (request memory: flat and scatter-gather buffers),
 * wd_soft_ops.c (the operations) and wd_soft_stream.c (stream contexts
 * and the requests that name one). The interface, and what the host
 * must provide, is in wd_soft_core.h, what the three files share in
 * wd_soft_core_priv.h; the behaviour is documented in docs/soft-device.md.
 *
 * Shared memory (the rings, MMIO) is read with READ_ONCE() or acquire
 * loads and each SQE is copied out before it is looked at: nothing the
 * process can change under our feet is trusted twice. Request data is
 * only reached through the host, in chunks of at most WD_SOFT_CORE_CHUNK
 * bytes through the engine's two bounce buffers.
 */
#include "wd_soft_core.h"
#include "wd_soft_core_priv.h"

#define WD_SOFT_CORE_RING_MASK	(WD_SOFT_DEPTH - 1)
#define WD_SOFT_SQE_F_SUPPORTED	(WD_SOFT_SQE_F_SRC_SGL | WD_SOFT_SQE_F_DST_SGL | \
				 WD_SOFT_SQE_F_STATE)

/* ---------------------------------------------------------------------- */
/* device                                                                  */
/* ---------------------------------------------------------------------- */

void wd_soft_core_dev_init(struct wd_soft_core_dev *dev, u32 ops)
{
	dev->ops = ops & WD_SOFT_CORE_OPS_ALL;
	WRITE_ONCE(dev->fail_next, 0);
	dev->oneshot = false;
	dev->max_ctx_bytes = WD_SOFT_CORE_DEF_CTX_BYTES;
	dev->ctx_bytes = 0;
	wd_soft_core_lock_init(&dev->lock);
	WRITE_ONCE(dev->stall_next, 0);
	WRITE_ONCE(dev->stall_on, false);
	WRITE_ONCE(dev->stalled, 0);
}

static const struct {
	const char *name;
	u32 ops;
} wd_soft_core_alg_table[] = {
	{ "nop",	WD_SOFT_CORE_OP(WD_SOFT_OP_NOP) },
	{ "copy",	WD_SOFT_CORE_OP(WD_SOFT_OP_COPY) },
	{ "crc32c",	WD_SOFT_CORE_OP(WD_SOFT_OP_CRC32C) },
	{ "sha256",	WD_SOFT_CORE_OP(WD_SOFT_OP_SHA256) },
	{ "deflate",	WD_SOFT_CORE_OP(WD_SOFT_OP_DEFLATE) |
			WD_SOFT_CORE_OP(WD_SOFT_OP_INFLATE) },
	{ "zlib",	WD_SOFT_CORE_OP(WD_SOFT_OP_ZLIB_COMP) |
			WD_SOFT_CORE_OP(WD_SOFT_OP_ZLIB_DECOMP) },
	{ "gzip",	WD_SOFT_CORE_OP(WD_SOFT_OP_GZIP_COMP) |
			WD_SOFT_CORE_OP(WD_SOFT_OP_GZIP_DECOMP) },
};

size_t wd_soft_core_algs(u32 ops, char *buf, size_t size)
{
	size_t len = 0, n, i;

	if (!size)
		return 0;
	for (i = 0; i < ARRAY_SIZE(wd_soft_core_alg_table); i++) {
		if ((ops & wd_soft_core_alg_table[i].ops) !=
		    wd_soft_core_alg_table[i].ops)
			continue;
		n = strlen(wd_soft_core_alg_table[i].name);
		/* separator, name, NUL */
		if (len + !!len + n + 1 > size)
			continue;
		if (len)
			buf[len++] = '\n';
		memcpy(buf + len, wd_soft_core_alg_table[i].name, n);
		len += n;
	}
	buf[len] = '\0';
	return len;
}

void wd_soft_core_set_fail_next(struct wd_soft_core_dev *dev, int n)
{
	WRITE_ONCE(dev->fail_next, n > 0 ? n : 0);
}

int wd_soft_core_get_fail_next(struct wd_soft_core_dev *dev)
{
	return READ_ONCE(dev->fail_next);
}

/* Take one injected failure, if any is left. */
static bool wd_soft_core_fail_take(struct wd_soft_core_dev *dev)
{
	int v = READ_ONCE(dev->fail_next), old;

	while (v > 0) {
		old = cmpxchg(&dev->fail_next, v, v - 1);
		if (old == v)
			return true;
		v = old;
	}
	return false;
}

/* a stall's counters: strong compare-exchange, as fail_next's */
static bool wd_soft_core_dec_if_positive(int *p)
{
	int v = READ_ONCE(*p), old;

	while (v > 0) {
		old = cmpxchg(p, v, v - 1);
		if (old == v)
			return true;
		v = old;
	}
	return false;
}

static void wd_soft_core_add(int *p, int n)
{
	int v = READ_ONCE(*p), old;

	for (;;) {
		old = cmpxchg(p, v, v + n);
		if (old == v)
			return;
		v = old;
	}
}

void wd_soft_core_set_stall(struct wd_soft_core_dev *dev, int n)
{
	if (n > 0) {
		WRITE_ONCE(dev->stall_on, true);
		WRITE_ONCE(dev->stall_next, n);
	} else {
		WRITE_ONCE(dev->stall_next, 0);
		WRITE_ONCE(dev->stall_on, false);
	}
}

int wd_soft_core_get_stall(struct wd_soft_core_dev *dev)
{
	return READ_ONCE(dev->stalled);
}

/*
 * The test stall: wait, holding nothing, until released or the queue
 * stops (the request then runs as any request of a stopping queue).
 */
static void wd_soft_core_stall(struct wd_soft_core_ctx *ctx)
{
	struct wd_soft_core_dev *dev = ctx->q->dev;

	wd_soft_core_add(&dev->stalled, 1);
	while (READ_ONCE(dev->stall_on) && !READ_ONCE(ctx->q->stopping))
		wd_soft_host_yield(ctx);
	wd_soft_core_add(&dev->stalled, -1);
}

/* ---------------------------------------------------------------------- */
/* rings                                                                   */
/* ---------------------------------------------------------------------- */

/* Publish the private status to MMIO (error, if any, is written before). */
static void wd_soft_core_set_status(struct wd_soft_core_queue *q, u32 status)
{
	WRITE_ONCE(q->status, status);
	/* release: a BROKEN status is seen after its error code */
	smp_store_release(&q->mmio->status, status);
}

static void wd_soft_core_break(struct wd_soft_core_queue *q, u32 err)
{
	WRITE_ONCE(q->mmio->error, err);
	wd_soft_core_set_status(q, q->status | WD_SOFT_ST_BROKEN);
	/* let a poller see it */
	wd_soft_host_wake(q);
}

void wd_soft_core_queue_init(struct wd_soft_core_queue *q,
			     struct wd_soft_core_dev *dev, void *mmio,
			     void *dus)
{
	struct wd_soft_dus_hdr *hdr = dus;

	BUILD_BUG_ON(sizeof(struct wd_soft_mmio) > WD_SOFT_MMIO_SIZE);
	BUILD_BUG_ON(sizeof(struct wd_soft_dus_hdr) > WD_SOFT_SQ_OFF);
	BUILD_BUG_ON(WD_SOFT_DEPTH & WD_SOFT_CORE_RING_MASK);

	q->dev = dev;
	q->mmio = mmio;
	q->hdr = hdr;
	q->sq = (struct wd_soft_sqe *)((u8 *)dus + WD_SOFT_SQ_OFF);
	q->cq = (struct wd_soft_cqe *)((u8 *)dus + WD_SOFT_CQ_OFF);
	q->status = 0;
	q->shared = false;
	wd_soft_core_lock_init(&q->lock);
	wd_soft_core_lock_init(&q->ctx_lock);
	memset(q->ctx, 0, sizeof(q->ctx));
	q->ctx_gen = 0;
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = WD_SOFT_MAGIC;
	hdr->depth = WD_SOFT_DEPTH;
	hdr->sqe_size = sizeof(struct wd_soft_sqe);
	hdr->cqe_size = sizeof(struct wd_soft_cqe);
	hdr->sq_off = WD_SOFT_SQ_OFF;
	hdr->cq_off = WD_SOFT_CQ_OFF;
	wd_soft_core_queue_reset(q);
}

void wd_soft_core_queue_reset(struct wd_soft_core_queue *q)
{
	q->sq_head = 0;
	q->idle_since = 0;
	q->has_held = false;
	q->held_idx = 0;
	memset(q->done, 0, sizeof(q->done));
	q->held_in = 0;
	q->held_out = 0;
	q->cq_head = 0;
	WRITE_ONCE(q->stopping, false);
	WRITE_ONCE(q->cq_tail, 0);
	/* no entry of an earlier life may carry a valid phase */
	memset(q->sq, 0, WD_SOFT_DEPTH * sizeof(*q->sq));
	memset(q->cq, 0, WD_SOFT_DEPTH * sizeof(*q->cq));
	WRITE_ONCE(q->mmio->rsvd0, 0);
	WRITE_ONCE(q->mmio->cq_head, 0);
	WRITE_ONCE(q->mmio->cq_notify, 0);
	WRITE_ONCE(q->mmio->error, WD_SOFT_QERR_NONE);
	wd_soft_core_set_status(q, 0);
	/* release: as in wd_soft_core_complete() */
	smp_store_release(&q->hdr->sq_head, 0);
	/* release: as in wd_soft_core_complete() */
	smp_store_release(&q->hdr->cq_tail, 0);
}

/* The phase an entry of index @i carries once it is valid. */
static u32 wd_soft_core_phase(u32 i)
{
	return WD_SOFT_PHASE(i, WD_SOFT_DEPTH);
}

/*
 * A shared queue's @lock; nothing for a queue only its owner serves (for
 * sparse, which counts lock contexts, as if taken all the same).
 */
static void wd_soft_core_qlock(struct wd_soft_core_queue *q)
	__acquires(&q->lock)
{
	if (q->shared)
		wd_soft_core_lock(&q->lock);
	else
		__acquire(&q->lock);
}

static void wd_soft_core_qunlock(struct wd_soft_core_queue *q)
	__releases(&q->lock)
{
	if (q->shared)
		wd_soft_core_unlock(&q->lock);
	else
		__release(&q->lock);
}

/*
 * Is the CQ slot of the next SQE (index sq_head) free? Every request taken
 * and not posted yet (sq_head - cq_tail of them: held, executing, in the
 * reorder buffer) owns the slot of its index, so the process must be done
 * with slot sq_head - WD_SOFT_DEPTH. The device's cached cq_head says how
 * far it was at the last reading; only when that shows the slot busy is
 * the process's cq_head (a line it writes) read again, and checked against
 * what was posted.
 */
static bool wd_soft_core_cq_free(struct wd_soft_core_queue *q)
{
	u32 cq_head;

	if (q->sq_head - q->cq_head < WD_SOFT_DEPTH)
		return true;
	/* acquire: the process is done with the CQEs below cq_head */
	cq_head = smp_load_acquire(&q->mmio->cq_head);
	if (q->cq_tail - cq_head > WD_SOFT_DEPTH) {
		wd_soft_core_break(q, WD_SOFT_QERR_CQ_HEAD);
		return false;
	}
	q->cq_head = cq_head;
	return q->sq_head - cq_head < WD_SOFT_DEPTH;
}

u32 wd_soft_core_queue_ready(struct wd_soft_core_queue *q)
{
	const struct wd_soft_sqe *sqe;

	if (q->status & WD_SOFT_ST_BROKEN)
		return 0;
	sqe = &q->sq[q->sq_head & WD_SOFT_CORE_RING_MASK];
	/* acquire: the SQE's other fields are read after its phase */
	if (smp_load_acquire(&sqe->phase) != wd_soft_core_phase(q->sq_head))
		return 0;
	return wd_soft_core_cq_free(q) ? 1 : 0;
}

bool wd_soft_core_queue_helpable(struct wd_soft_core_queue *q, u32 n)
{
	u32 i = READ_ONCE(q->sq_head) + n - 1;
	const struct wd_soft_sqe *sqe = &q->sq[i & WD_SOFT_CORE_RING_MASK];

	/* a hint: wd_soft_core_take() decides on its own copy */
	return READ_ONCE(sqe->phase) == wd_soft_core_phase(i) &&
	       !READ_ONCE(sqe->ctx) &&
	       !(READ_ONCE(sqe->flags) & WD_SOFT_SQE_F_STATE);
}

/*
 * The parking handshake, the device's half of the need-wakeup protocol.
 *
 * The process submits with: (S1) store an SQE's phase (release);
 * (S2) full barrier; (S3) load status and, if NEED_WAKEUP is set, KICK.
 * The same after it stores cq_head (the device may be waiting for CQ room).
 * The device, under the host lock its KICK also takes: (E1) store
 * NEED_WAKEUP in status; (E2) smp_mb(); (E3) look at the ring once more;
 * (E4) park the queue (stop looking at it) only if E3 found nothing.
 *
 * S1-S3 and E1-E3 are two stores each followed by a full barrier and a
 * load of the other side's location, so they cannot both miss: either E3
 * sees the new SQE (the queue is not parked) or S3 sees NEED_WAKEUP
 * (the process kicks). Since the KICK takes the host lock, it comes after
 * E4 and puts the queue back; a kick while the queue is not parked (a
 * NEED_WAKEUP seen late) costs nothing. The kick that puts the queue back
 * clears NEED_WAKEUP (wd_soft_core_queue_unpark()), so the process kicks
 * once per park, not on every publish until the engine comes round; the
 * queue's next turn clears it too.
 */
void wd_soft_core_queue_unpark(struct wd_soft_core_queue *q)
{
	/* a helper may set BROKEN meanwhile: status changes under @lock */
	wd_soft_core_qlock(q);
	if (q->status & WD_SOFT_ST_NEED_WAKEUP)
		wd_soft_core_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
	wd_soft_core_qunlock(q);
}

static enum wd_soft_core_turn
wd_soft_core_queue_turn_locked(struct wd_soft_core_queue *q, u64 spin_ns)
{
	if (q->status & WD_SOFT_ST_NEED_WAKEUP)
		wd_soft_core_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
	if (q->has_held || wd_soft_core_queue_ready(q)) {
		q->idle_since = 0;
		return WD_SOFT_TURN_SERVE;
	}
	if (q->status & WD_SOFT_ST_BROKEN)
		return WD_SOFT_TURN_PARK;
	if (!q->idle_since) {
		q->idle_since = wd_soft_host_now_ns();
		q->idle_looks = 0;
		return WD_SOFT_TURN_IDLE;
	}
	/* the clock once per WD_SOFT_CORE_IDLE_LOOKS looks: a polling
	 * engine comes back to the ring sooner
	 */
	if (spin_ns && (++q->idle_looks % WD_SOFT_CORE_IDLE_LOOKS))
		return WD_SOFT_TURN_IDLE;
	if (wd_soft_host_now_ns() - q->idle_since < spin_ns)
		return WD_SOFT_TURN_IDLE;

	wd_soft_core_set_status(q, q->status | WD_SOFT_ST_NEED_WAKEUP); /* E1 */
	smp_mb();							/* E2 */
	if (wd_soft_core_queue_ready(q)) {				/* E3 */
		wd_soft_core_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
		q->idle_since = 0;
		return WD_SOFT_TURN_SERVE;
	}
	q->idle_since = 0;
	return WD_SOFT_TURN_PARK;					/* E4 */
}

enum wd_soft_core_turn wd_soft_core_queue_turn(struct wd_soft_core_queue *q,
					       u64 spin_ns)
{
	enum wd_soft_core_turn turn;

	wd_soft_core_qlock(q);
	turn = wd_soft_core_queue_turn_locked(q, spin_ns);
	wd_soft_core_qunlock(q);
	return turn;
}

/*
 * Write a request's CQE but its phase into CQ slot @idx, which belongs to
 * it (wd_soft_core_cq_free() said so when it was taken): no lock needed.
 */
static void wd_soft_core_cqe_fill(struct wd_soft_core_queue *q, u32 idx,
				  const struct wd_soft_cqe *res)
{
	struct wd_soft_cqe *cqe = &q->cq[idx & WD_SOFT_CORE_RING_MASK];

	WRITE_ONCE(cqe->user_data, res->user_data);
	WRITE_ONCE(cqe->status, res->status);
	WRITE_ONCE(cqe->out_len, res->out_len);
	WRITE_ONCE(cqe->in_len, res->in_len);
	WRITE_ONCE(cqe->cflags, res->cflags);
	WRITE_ONCE(cqe->dict_id, res->dict_id);
}

/*
 * The CQE of request @idx is filled: post it, in ring order. If an older
 * one is not posted yet (it executes on another engine, or waits for a
 * page), leave a flag in the reorder buffer; else store its phase and those
 * of the filled ones that follow. A shared queue's @lock held. Return: the
 * CQEs posted.
 */
static u32 wd_soft_core_post(struct wd_soft_core_queue *q, u32 idx)
{
	u32 n = 0, slot;

	if (idx != q->cq_tail) {
		slot = idx & WD_SOFT_CORE_RING_MASK;
		q->done[slot / 64] |= 1ull << (slot % 64);
		return 0;
	}
	for (;;) {
		/* release: the process reads the CQE after it sees its phase */
		smp_store_release(&q->cq[idx & WD_SOFT_CORE_RING_MASK].phase,
				  wd_soft_core_phase(idx));
		n++;
		WRITE_ONCE(q->cq_tail, ++idx);
		slot = idx & WD_SOFT_CORE_RING_MASK;
		if (!(q->done[slot / 64] & (1ull << (slot % 64))))
			break;
		q->done[slot / 64] &= ~(1ull << (slot % 64));
	}
	/* release: for the header's readers, as for the CQE */
	smp_store_release(&q->hdr->sq_head, q->sq_head);
	/* release: as above, and sq_head is published first */
	smp_store_release(&q->hdr->cq_tail, q->cq_tail);
	return n;
}

/*
 * After a batch of completions: wake the pollers if the process wants it.
 *
 * The process, before it sleeps: (P1) store ARMED in cq_notify; (P2) full
 * barrier; (P3) load the next CQE's phase and sleep in poll() only if
 * nothing new.
 * The device: (D1) store the CQE's phase (wd_soft_core_complete()); (D2)
 * smp_mb(); (D3) load cq_notify and wake if ARMED. Either P3 sees the CQE or
 * D3 sees ARMED; poll() itself re-checks wd_soft_core_queue_updated()
 * after queueing the sleeper, which wd_soft_host_wake() must respect.
 * ENABLE is set once by the process, long before it matters; reading it
 * first saves the barrier when the process does not use cq_notify (then
 * every batch wakes, as the host's wake-up is cheap without sleepers).
 */
static void wd_soft_core_notify(struct wd_soft_core_queue *q)
{
	u32 n = READ_ONCE(q->mmio->cq_notify);

	if (n & WD_SOFT_CQN_ENABLE) {
		smp_mb();					/* D2 */
		n = READ_ONCE(q->mmio->cq_notify);		/* D3 */
		if (!(n & WD_SOFT_CQN_ARMED))
			return;
	}
	wd_soft_host_wake(q);
}

void wd_soft_core_cancel(struct wd_soft_core_queue *q)
{
	if (q->has_held) {
		struct wd_soft_cqe res = {
			.user_data = q->held.user_data,
			.status = WD_SOFT_S_CANCELED,
		};

		q->has_held = false;
		wd_soft_core_cqe_fill(q, q->held_idx, &res);
		/* it is the oldest: the ones executed after it follow */
		wd_soft_core_post(q, q->held_idx);
	}
	wd_soft_core_set_status(q, q->status & ~WD_SOFT_ST_NEED_WAKEUP);
	wd_soft_host_wake(q);
}

bool wd_soft_core_queue_updated(struct wd_soft_core_queue *q)
{
	return READ_ONCE(q->cq_tail) != READ_ONCE(q->mmio->cq_head);
}

bool wd_soft_core_queue_broken(struct wd_soft_core_queue *q)
{
	return READ_ONCE(q->status) & WD_SOFT_ST_BROKEN;
}

/*
 * Take the next request: the held one (the owner only), else the SQE at
 * sq_head if it can be taken. A helper leaves a request with a context or
 * F_STATE to the owner, and takes nothing while one is held. A shared
 * queue's @lock held. Return: true with *@sqe and *@idx set.
 */
static bool wd_soft_core_take(struct wd_soft_core_queue *q, bool helper,
			      struct wd_soft_sqe *sqe, u32 *idx)
{
	if (q->has_held) {
		if (helper)
			return false;
		*sqe = q->held;
		*idx = q->held_idx;
		q->has_held = false;
		return true;
	}
	if (!wd_soft_core_queue_ready(q))
		return false;
	/* after the acquire of its phase */
	memcpy(sqe, &q->sq[q->sq_head & WD_SOFT_CORE_RING_MASK], sizeof(*sqe));
	/* sqe is our snapshot: the ring slot is never read again */
	barrier();
	if (helper && (sqe->ctx || (sqe->flags & WD_SOFT_SQE_F_STATE)))
		return false;
	*idx = q->sq_head;
	WRITE_ONCE(q->sq_head, q->sq_head + 1);
	if (!helper) {
		/* a new request: no progress to resume */
		q->held_in = 0;
		q->held_out = 0;
	}
	return true;
}

static u32 wd_soft_core_batch(struct wd_soft_core_ctx *ctx, u32 max_sqes,
			      u64 max_bytes, bool helper)
{
	struct wd_soft_core_queue *q = ctx->q;
	struct wd_soft_core_dev *dev = q->dev;
	u32 done = 0, posted = 0, status, idx;
	struct wd_soft_sqe sqe;
	struct wd_soft_cqe res;
	bool stall;

	wd_soft_core_qlock(q);
	while (done < max_sqes && !READ_ONCE(q->stopping) &&
	       ctx->bytes < max_bytes) {
		if (!wd_soft_core_take(q, helper, &sqe, &idx))
			break;
		/* taken in ring order, so the first taken stalls first */
		stall = unlikely(READ_ONCE(dev->stall_next)) &&
			wd_soft_core_dec_if_positive(&dev->stall_next);
		wd_soft_core_qunlock(q);

		if (unlikely(stall))
			wd_soft_core_stall(ctx);
		status = wd_soft_core_exec(ctx, &sqe, &res);
		/*
		 * Only an owner may hold: q->held is one slot, the owner's.
		 * Helpers serve queues whose host never waits for a page; a
		 * host that did would fail the request, not hang the queue.
		 */
		if (WARN_ON_ONCE(status == WD_SOFT_CORE_S_HELD && helper)) {
			memset(&res, 0, sizeof(res));
			res.status = WD_SOFT_S_DEV_ERR;
			status = WD_SOFT_S_DEV_ERR;
		}
		if (status == WD_SOFT_CORE_S_HELD) {
			wd_soft_core_qlock(q);
			q->held = sqe;
			q->held_idx = idx;
			q->has_held = true;
			break;
		}
		res.user_data = sqe.user_data;
		wd_soft_core_cqe_fill(q, idx, &res);
		done++;
		wd_soft_core_qlock(q);
		posted += wd_soft_core_post(q, idx);
	}
	wd_soft_core_qunlock(q);
	if (posted)
		wd_soft_core_notify(q);
	return done;
}

u32 wd_soft_core_serve(struct wd_soft_core_ctx *ctx, u32 max_sqes,
		       u64 max_bytes)
{
	return wd_soft_core_batch(ctx, max_sqes, max_bytes, false);
}

u32 wd_soft_core_help(struct wd_soft_core_ctx *ctx, u32 max_sqes,
		      u64 max_bytes)
{
	return wd_soft_core_batch(ctx, max_sqes, max_bytes, true);
}

/* ---------------------------------------------------------------------- */
/* dispatch                                                                */
/* ---------------------------------------------------------------------- */

/*
 * The descriptor's own fields, before the op is looked up: flags, rsvd,
 * and sflags and state, which are the context's or F_STATE's. F_STATE
 * (wd_soft.h): SHA256 without ctx, a state address aligned to
 * WD_SOFT_STATE_ALIGN, sflags FINISH, or NO_FLUSH with no destination
 * at all (dst, dst_len 0, no F_DST_SGL: an update has no output).
 */
static bool wd_soft_core_sqe_inval(const struct wd_soft_sqe *sqe)
{
	if ((sqe->flags & ~WD_SOFT_SQE_F_SUPPORTED) || sqe->rsvd)
		return true;
	if (!(sqe->flags & WD_SOFT_SQE_F_STATE))
		return sqe->state || (!sqe->ctx && sqe->sflags);
	if (sqe->ctx || sqe->op != WD_SOFT_OP_SHA256 || !sqe->state ||
	    (sqe->state & (WD_SOFT_STATE_ALIGN - 1)))
		return true;
	if (sqe->sflags == WD_SOFT_SF_FINISH)
		return false;
	return sqe->sflags != WD_SOFT_SF_NO_FLUSH || sqe->dst ||
	       sqe->dst_len || (sqe->flags & WD_SOFT_SQE_F_DST_SGL);
}

u32 wd_soft_core_exec(struct wd_soft_core_ctx *ctx,
		      const struct wd_soft_sqe *sqe, struct wd_soft_cqe *res)
{
	struct wd_soft_core_dev *dev = ctx->q->dev;
	u32 status, out_len = 0;

	memset(res, 0, sizeof(*res));
	if (wd_soft_core_fail_take(dev)) {
		status = WD_SOFT_S_DEV_ERR;
		/* it breaks its context, as any DEV_ERR: run again after a
		 * hold, it may have fed part of its source already
		 */
		if (sqe->ctx)
			wd_soft_core_stream_fail(ctx->q, sqe->ctx);
	} else if (wd_soft_core_sqe_inval(sqe)) {
		status = WD_SOFT_S_INVAL;
	} else if (sqe->op >= WD_SOFT_OP_MAX ||
		   !(dev->ops & WD_SOFT_CORE_OP(sqe->op))) {
		status = WD_SOFT_S_BAD_OP;
	} else if (sqe->ctx) {
		status = wd_soft_core_stream_exec(ctx, sqe, res);
		out_len = res->out_len;
	} else {
		/* op is the submitter's: no speculative call past the table */
		u32 op = array_index_nospec(sqe->op, WD_SOFT_OP_MAX);

		status = wd_soft_core_ops[op](ctx, sqe, &out_len);
	}
	/* whatever the outcome, before the CQE (held: before it runs again) */
	wd_soft_core_unmap(ctx);
	if (status == WD_SOFT_CORE_S_HELD)
		return status;
	if (status == WD_SOFT_S_DEV_ERR)
		wd_soft_host_report_error(ctx->q);
	res->status = status;
	/* out_len means something for OK and DST_SMALL only, and so do the
	 * stream's fields
	 */
	if (status != WD_SOFT_S_OK && status != WD_SOFT_S_DST_SMALL)
		memset(res, 0, sizeof(*res));
	else
		res->out_len = out_len;
	res->status = status;
	return status;
}
